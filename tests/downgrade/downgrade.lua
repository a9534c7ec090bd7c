-- tests/downgrade/downgrade.lua - downgrade protection through the milter
-- protocol (run.sh starts the daemon and sets the globals):
--   MODE     the configured downgrade key: tempfail, log or reject
--   PHASE    "learn" (a fresh history) or "again" (after a restart or a
--            SIGHUP: the history must still be there)
--   HISTORY  the command "mtasts-milter -c CONF -H", to read the store
-- Global mode is testing and exempt_networks is 203.0.113.0/24
-- (downgrade-MODE.conf), history_min_tls 3, history_prefix_v4 24.
local T = dofile(LIB)
local case, eq = T.case, T.eq

-- One whole transaction; returns the RCPT reply.
local function txn(ip, id, o)
	o = o or {}
	local conn = T.open({ ip = ip })
	local r = T.mail(conn, { id = id, tls = o.tls, macros = o.macros })
	T.eq(T.rname(r), "SMFIR_CONTINUE", "MAIL reply")
	r = T.rcpt(conn, "<u@example.org>")
	if r == SMFIR_CONTINUE then
		T.finish(conn, nil, { "i", id })
	end
	T.close(conn)
	return T.rname(r)
end

-- The -H line of an address (polls until want matches: the history is
-- written by a writer thread, so a readiness check, not a sleep).
local function history(ip, want)
	local line
	for _ = 1, 200 do
		local p = io.popen(HISTORY .. " " .. ip .. " 2>&1")
		line = p:read("*l") or ""
		p:close()
		if want == nil or line:find(want, 1, true) then
			return line
		end
		os.execute("sleep 0.05")
	end
	T.fail(string.format("-H %s: expected %q, got %q", ip, want, line))
end

if PHASE == "learn" then
	case("three TLS transactions from 192.0.2.10 are recorded", function()
		for i = 1, 3 do
			eq(txn("192.0.2.10", "L0" .. i, { tls = T.TLS13 }),
			    "SMFIR_CONTINUE", "RCPT reply")
		end
		local l = history("192.0.2.10", "tls=3 ")
		T.check(l:find("192.0.2.0/24", 1, true), l)
		T.check(l:find(" protected ", 1, true), l)
	end)
end

local expect = {
	tempfail = { reply = "SMFIR_REPLYCODE", action = "tempfail" },
	reject = { reply = "SMFIR_REPLYCODE", action = "reject" },
	log = { reply = "SMFIR_CONTINUE", action = "would-reject" },
}
local e = expect[MODE]

case(MODE .. ": plaintext from 192.0.2.77 (same /24) is a downgrade", function()
	local id = PHASE == "learn" and "D01" or "D11"
	eq(txn("192.0.2.77", id), e.reply, "RCPT reply")
	T.expect_log(id, { action = e.action, reason = "downgrade",
	    mode = "testing", stage = "rcpt", network = "192.0.2.0/24" })
end)

if MODE == "tempfail" then
	T.case_mtsend("tempfail: the reply is 451 4.7.0 with the configured text",
	    function()
		local _, steps, out = T.mtsend({ "-a", "192.0.2.78", "-m",
		    "M:i=D03", "-r", "<u@example.org>" })
		for _, st in ipairs(steps) do
			if st.step == "rcpt" then
				T.check(st.text and st.text:find(
				    "451 4.7.0 this sender has always used TLS",
				    1, true), "rcpt reply: " .. out)
				return
			end
		end
		T.fail("no rcpt step in the mtsend output: " .. out)
	end)
end

if MODE ~= "log" then
	case(MODE .. ": the refused transaction is not recorded as plaintext",
	    function()
		local l = history("192.0.2.10", "plain=0 ")
		T.check(l:find(" protected ", 1, true), l)
	end)
else
	case("log: the accepted plaintext is recorded, the network is mixed now",
	    function()
		local l = history("192.0.2.10", "plain=1 ")
		T.check(l:find(" open ", 1, true), l)
	end)
end

if PHASE == "learn" then
	case("plaintext from 198.51.100.1 (no history): testing as usual", function()
		eq(txn("198.51.100.1", "D02"), "SMFIR_CONTINUE", "RCPT reply")
		T.expect_log("D02", { action = "would-reject",
		    reason = "plaintext" })
	end)

	case("an exempt network is never recorded", function()
		for i = 1, 3 do
			txn("203.0.113.5", "E0" .. i, { tls = T.TLS13 })
		end
		eq(txn("203.0.113.5", "E04"), "SMFIR_CONTINUE", "RCPT reply")
		-- A later transaction that is recorded shows the writer has
		-- passed the exempt ones.
		txn("100.64.9.9", "E05", { tls = T.TLS13 })
		history("100.64.9.9", "tls=1 ")
		local l = history("203.0.113.5")
		T.check(l:find(" none", 1, true), l)
	end)

	case("an authenticated client is never recorded", function()
		local auth = { "{auth_type}", "PLAIN", "{auth_authen}", "alice" }
		for i = 1, 3 do
			txn("100.64.1.1", "A0" .. i, { tls = T.TLS13,
			    macros = auth })
		end
		txn("100.64.1.2", "A04", { macros = auth })
		txn("100.64.9.9", "A05", { tls = T.TLS13 })
		history("100.64.9.9", "tls=2 ")
		local l = history("100.64.1.1")
		T.check(l:find(" none", 1, true), l)
	end)
end

T.done()
