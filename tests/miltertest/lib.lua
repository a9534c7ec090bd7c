-- tests/miltertest/lib.lua - helpers shared by the miltertest scripts.
--
-- Loaded by every script with dofile(LIB).  run.sh defines these globals
-- with miltertest -D:
--   SOCK       the daemon's milter socket ("unix:/path")
--   LOG        the file the daemon's stderr goes to (decision lines)
--   MTSEND     the benchmark's scripted milter client tests/bench/mtsend,
--              which prints the exact SMTP reply text ("" when it is not
--              available: those cases skip)
--
-- Output: one "ok - NAME" / "not ok - NAME" line per case, "# " lines for
-- diagnostics; run.sh numbers them into TAP.  Every case runs under pcall,
-- because an error() escaping to miltertest's top level ends the script
-- with exit status 1 and no message.

local T = {}
local unpack = table.unpack or unpack

T.sock = SOCK
T.logfile = LOG
T.mtsend_bin = MTSEND
T.ABSENT = {}			-- field value meaning "key must not be there"

-- Assertions ---------------------------------------------------------------

function T.fail(msg)
	error(msg, 0)
end

function T.check(cond, msg)
	if not cond then
		error(msg or "check failed", 0)
	end
	return cond
end

function T.eq(got, want, what)
	if got ~= want then
		error(string.format("%s: expected %s, got %s", what or "value",
		    string.format("%q", tostring(want)),
		    string.format("%q", tostring(got))), 0)
	end
end

local reply_names = {}
local function add_name(name)
	local v = _G[name]
	if v ~= nil then
		reply_names[v] = name
	end
end
for _, n in ipairs({ "SMFIR_CONTINUE", "SMFIR_ACCEPT", "SMFIR_REJECT",
    "SMFIR_TEMPFAIL", "SMFIR_DISCARD", "SMFIR_REPLYCODE", "SMFIR_SKIP" }) do
	add_name(n)
end

function T.rname(code)
	if code == nil then
		return "nil"
	end
	if reply_names[code] then
		return reply_names[code]
	end
	local c = math.floor(code)
	if c > 32 and c < 127 then
		return string.format("'%s' (%d)", string.char(c), c)
	end
	return tostring(code)
end

-- Checks the reply to the last protocol step.
function T.reply(conn, want, step)
	local got = mt.getreply(conn)
	if got ~= want then
		error(string.format("%s: expected reply %s, got %s", step,
		    T.rname(want), T.rname(got)), 0)
	end
end

-- A protocol call returns nil on success or an error string.
function T.call(what, ...)
	local f = mt[what]
	local err = f(...)
	if err ~= nil then
		error(string.format("mt.%s() failed: %s", what, tostring(err)), 0)
	end
end

-- Cases --------------------------------------------------------------------

local open_conns = {}
T.npass, T.nfail = 0, 0

local function out(line)
	io.write(line, "\n")
	io.flush()
end

function T.diag(msg)
	for line in tostring(msg):gmatch("[^\n]+") do
		out("# " .. line)
	end
end

-- Runs fn() as one test point; connections it left open are closed.
function T.case(name, fn)
	local ok, err = pcall(fn)
	for c in pairs(open_conns) do
		pcall(mt.disconnect, c)
		open_conns[c] = nil
	end
	if ok then
		T.npass = T.npass + 1
		out("ok - " .. name)
	else
		T.nfail = T.nfail + 1
		out("not ok - " .. name)
		T.diag(err)
	end
end

function T.skip(name, why)
	out("ok - " .. name .. " # SKIP " .. why)
end

-- Ends the script: run.sh checks for this line to know the script ran to
-- its end (a crash of miltertest itself prints nothing).
function T.done()
	out("#-done " .. T.npass .. " passed, " .. T.nfail .. " failed")
end

-- Milter steps ---------------------------------------------------------------

-- Opens a connection: negotiate, connect info, HELO.
--   o.host, o.ip      client (default client.example.net / 192.0.2.7)
--   o.helo            HELO name (default o.host)
--   o.conn_macros     list of name, value for SMFIC_CONNECT
--   o.helo_macros     list of name, value for SMFIC_HELO
--   o.actions         SMFIF_* actions the MTA offers (default: all)
function T.open(o)
	o = o or {}
	local host = o.host or "client.example.net"
	local ip = o.ip or "192.0.2.7"
	local conn = mt.connect(T.sock, 10, 0.05)
	T.check(conn ~= nil, "mt.connect(" .. tostring(T.sock) .. ") failed")
	open_conns[conn] = true
	if o.actions then
		-- miltertest's argument order: version, protocol steps, actions
		T.call("negotiate", conn, nil, nil, o.actions)
	end
	if o.conn_macros then
		T.call("macro", conn, SMFIC_CONNECT, unpack(o.conn_macros))
	end
	T.call("conninfo", conn, host, ip)
	T.reply(conn, SMFIR_CONTINUE, "connect")
	if o.helo_macros then
		T.call("macro", conn, SMFIC_HELO, unpack(o.helo_macros))
	end
	T.call("helo", conn, o.helo or host)
	T.reply(conn, SMFIR_CONTINUE, "helo")
	return conn
end

function T.close(conn, polite)
	if open_conns[conn] then
		open_conns[conn] = nil
		if polite == false then
			mt.disconnect(conn, false)
		else
			mt.disconnect(conn)
		end
	end
end

-- miltertest has no constant for the end-of-message macro stage.
T.SMFIC_BODYEOB = string.byte("E")

T.TLS13 = { "{tls_version}", "TLSv1.3", "{cipher}", "TLS_AES_256_GCM_SHA384",
    "{cipher_bits}", "256" }

-- Sends the MAIL-stage macros then MAIL FROM.
--   o.id        value of the i macro (always sent, "" allowed)
--   o.tls       list of TLS macro name/value pairs (T.TLS13), or nil
--   o.macros    more name/value pairs
--   o.from      envelope sender (default <a@example.net>)
--   o.args      ESMTP parameters, e.g. { "REQUIRETLS" }
--   o.nomacros  send no MAIL-stage macro packet at all
function T.mail(conn, o)
	if not o.nomacros then
		local m = { "i", o.id or "" }
		for _, v in ipairs(o.tls or {}) do
			m[#m + 1] = v
		end
		for _, v in ipairs(o.macros or {}) do
			m[#m + 1] = v
		end
		T.call("macro", conn, SMFIC_MAIL, unpack(m))
	end
	T.call("mailfrom", conn, o.from or "<a@example.net>", unpack(o.args or {}))
	return mt.getreply(conn)
end

function T.rcpt(conn, rcpt, ...)
	T.call("rcptto", conn, rcpt, ...)
	return mt.getreply(conn)
end

-- Headers (list of {name, value}), end of headers, end of message.  The
-- daemon negotiates SMFIP_NOBODY, so no body chunk is ever sent.
-- eom_macros: name/value pairs sent for the end-of-message stage (Postfix
-- sends the queue id i there).
function T.finish(conn, headers, eom_macros)
	headers = headers or { { "From", "a@example.net" },
	    { "Subject", "test" } }
	for _, h in ipairs(headers) do
		T.call("header", conn, h[1], h[2])
		T.reply(conn, SMFIR_CONTINUE, "header " .. h[1])
	end
	T.call("eoh", conn)
	T.reply(conn, SMFIR_CONTINUE, "eoh")
	if eom_macros then
		T.call("macro", conn, T.SMFIC_BODYEOB, unpack(eom_macros))
	end
	T.call("eom", conn)
	local r = mt.getreply(conn)
	T.check(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT,
	    "eom: expected continue/accept, got " .. T.rname(r))
end

-- No header was added, changed, deleted or inserted at end of message.
function T.no_header_changes(conn)
	T.check(not mt.eom_check(conn, MT_HDRINSERT),
	    "a header field was inserted: " ..
	    tostring(mt.getheader(conn, "Received", 0)))
	T.check(not mt.eom_check(conn, MT_HDRADD), "a header field was added")
	T.check(not mt.eom_check(conn, MT_HDRCHANGE),
	    "a header field was changed")
	T.check(not mt.eom_check(conn, MT_HDRDELETE),
	    "a header field was deleted")
end

-- The log --------------------------------------------------------------------

function T.read_log()
	local f = io.open(T.logfile, "r")
	if f == nil then
		return ""
	end
	local s = f:read("*a")
	f:close()
	return s or ""
end

-- Parses "k=v k="quoted \"v\"" ..." into a table (values unescaped only
-- for \" and \\) and the list of keys in order.
function T.parse_kv(s)
	local t, order, i = {}, {}, 1
	while i <= #s do
		local k, p = s:match("^ *([%w_]+)=()", i)
		if k == nil then
			break
		end
		i = p
		local v
		if s:sub(i, i) == '"' then
			local buf, j = {}, i + 1
			while j <= #s do
				local c = s:sub(j, j)
				if c == "\\" and (s:sub(j + 1, j + 1) == '"' or
				    s:sub(j + 1, j + 1) == "\\") then
					buf[#buf + 1] = s:sub(j + 1, j + 1)
					j = j + 2
				elseif c == "\\" then
					buf[#buf + 1] = s:sub(j, j + 1)
					j = j + 2
				elseif c == '"' then
					break
				else
					buf[#buf + 1] = c
					j = j + 1
				end
			end
			v = table.concat(buf)
			i = j + 1
		else
			v = s:match("^[^ ]*", i)
			i = i + #v
		end
		t[k] = v
		order[#order + 1] = k
	end
	return t, order
end

local function lua_pattern_escape(s)
	return (s:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0"))
end

-- Decision lines of one queue id: { {raw=, kv=}, ... }
function T.lines(id)
	local res = {}
	local pat = "^mtasts%-milter: " .. lua_pattern_escape(id) .. ": (.*)$"
	for line in T.read_log():gmatch("[^\n]+") do
		local rest = line:match(pat)
		if rest then
			res[#res + 1] = { raw = rest, kv = (T.parse_kv(rest)) }
		end
	end
	return res
end

local function matches(kv, fields)
	for k, v in pairs(fields) do
		if v == T.ABSENT then
			if kv[k] ~= nil then
				return false
			end
		elseif kv[k] ~= v then
			return false
		end
	end
	return true
end

local function describe(fields)
	local keys, parts = {}, {}
	for k in pairs(fields) do
		keys[#keys + 1] = k
	end
	table.sort(keys)
	for _, k in ipairs(keys) do
		parts[#parts + 1] = k .. "=" .. (fields[k] == T.ABSENT and
		    "(absent)" or fields[k])
	end
	return table.concat(parts, " ")
end

local function dump(id)
	local l = T.lines(id)
	if #l == 0 then
		return "no log line for " .. id
	end
	local s = {}
	for _, x in ipairs(l) do
		s[#s + 1] = "log: " .. id .. ": " .. x.raw
	end
	return table.concat(s, "\n")
end

-- Waits (bounded: 3 s) for a decision line of queue id `id` whose fields
-- include `fields`; `prefix`, when given, must start the line literally
-- (it pins the order of the leading keys).  Returns the line's fields.
function T.expect_log(id, fields, prefix)
	for _ = 1, 150 do
		for _, x in ipairs(T.lines(id)) do
			if matches(x.kv, fields) and (prefix == nil or
			    x.raw:sub(1, #prefix) == prefix) then
				return x.kv, x.raw
			end
		end
		mt.sleep(0.02)
	end
	error("expected a log line " .. id .. ": " ..
	    (prefix and (prefix .. " ... ") or "") .. describe(fields) ..
	    "\n" .. dump(id), 0)
end

-- The daemon hands log lines to a writer thread, in order: once a line
-- logged after a reply is in the file, every line logged before it is too.
-- A TLS transaction on a connection of its own always logs action=accept.
local barriers = 0
function T.log_barrier()
	barriers = barriers + 1
	local id = "BARRIER" .. barriers
	local conn = T.open({ ip = "198.51.100.250" })
	T.mail(conn, { id = id, tls = T.TLS13 })
	T.expect_log(id, { action = "accept" })
	T.close(conn)
end

-- No decision line of `id` includes `fields` (final after a barrier).
function T.expect_no_log(id, fields)
	T.log_barrier()
	for _, x in ipairs(T.lines(id)) do
		if matches(x.kv, fields) then
			error("unexpected log line " .. id .. ": " .. x.raw, 0)
		end
	end
end

function T.count_log(id, fields)
	local n = 0
	T.log_barrier()
	for _, x in ipairs(T.lines(id)) do
		if matches(x.kv, fields) then
			n = n + 1
		end
	end
	return n
end

-- Received ---------------------------------------------------------------

local days = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" }
local months = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
    "Sep", "Oct", "Nov", "Dec" }

-- RFC 5322 date-time of time t in local time, English names, day without
-- a leading zero: "Tue, 4 Nov 2026 15:32:45 +0100".
function T.rfc5322_date(t)
	local d = os.date("*t", t)
	return string.format("%s, %d %s %04d %02d:%02d:%02d %s",
	    days[d.wday], d.day, months[d.month], d.year, d.hour, d.min,
	    d.sec, os.date("%z", t))
end

-- Runs end of message and checks that exactly one Received field was
-- inserted at index 0 and nothing else added or changed.  `head` is the
-- exact text before the date (folding included); the date must be one of
-- the seconds between just before and just after mt.eom, so the check is
-- on the exact full value with mt.eom_check(..., value, 0).
-- Returns the value.
function T.finish_expect_received(conn, head, headers, eom_macros)
	local t0 = os.time()
	T.finish(conn, headers, eom_macros)
	local t1 = os.time()
	local v = mt.getheader(conn, "Received", 0)
	T.check(v ~= nil, "no Received field inserted at end of message")
	T.check(mt.getheader(conn, "Received", 1) == nil,
	    "more than one Received field added or inserted")
	T.check(not mt.eom_check(conn, MT_HDRADD),
	    "a header was appended (smfi_addheader) instead of inserted")
	T.check(not mt.eom_check(conn, MT_HDRCHANGE),
	    "a header field was changed (an earlier hop's Received?)")
	T.check(not mt.eom_check(conn, MT_HDRDELETE),
	    "a header field was deleted")
	local tried = {}
	for t = t0 - 1, t1 do
		local want = head .. T.rfc5322_date(t)
		tried[#tried + 1] = string.format("%q", want)
		if mt.eom_check(conn, MT_HDRINSERT, "Received", want, 0) then
			return v
		end
	end
	error("Received value/index mismatch: got " .. string.format("%q", v) ..
	    "\nexpected one of (at index 0):\n" .. table.concat(tried, "\n"), 0)
end

-- The exact reply text ---------------------------------------------------

-- Runs mtsend (-p SOCK plus args) and returns its output split in lines
-- and the "step=... reply=... text=..." lines as { step=, reply=, text= }.
function T.mtsend(args)
	local cmd = { T.mtsend_bin, "-p", T.sock }
	for _, a in ipairs(args) do
		cmd[#cmd + 1] = a
	end
	for i, a in ipairs(cmd) do
		cmd[i] = "'" .. (a:gsub("'", "'\\''")) .. "'"
	end
	local p = io.popen(table.concat(cmd, " ") .. " 2>&1", "r")
	local out = p:read("*a")
	p:close()
	local lines, steps = {}, {}
	for line in out:gmatch("[^\n]+") do
		lines[#lines + 1] = line
		local st, r, rest = line:match("^step=(%S+) reply=(%S+)(.*)$")
		if st then
			steps[#steps + 1] = { step = st, reply = r,
			    text = rest:match('^ text="(.*)"$') }
		end
	end
	return lines, steps, out
end

-- A case that needs mtsend: skipped without it.
function T.case_mtsend(name, fn)
	if T.mtsend_bin == nil or T.mtsend_bin == "" then
		T.skip(name, "tests/bench/mtsend not available")
	else
		T.case(name, fn)
	end
end

return T
