-- off.lua - global off mode (off.conf, no hostname set): nothing is
-- rejected or logged as would-reject for plaintext, but REQUIRETLS still
-- works, and the Received field takes its host name from the MTA's {j}.
local T = dofile(LIB)
local case, check, eq = T.case, T.check, T.eq

case("plaintext: accepted at MAIL and RCPT, no reject or would-reject", function()
	local conn = T.open()
	eq(T.rname(T.mail(conn, { id = "O01" })), "SMFIR_CONTINUE", "MAIL reply")
	eq(T.rname(T.rcpt(conn, "<b@example.org>")), "SMFIR_CONTINUE", "RCPT")
	T.finish(conn)
	T.no_header_changes(conn)
	T.expect_no_log("O01", { action = "reject" })
	T.expect_no_log("O01", { action = "would-reject" })
end)

case("REQUIRETLS over plaintext: rejected at MAIL even in off mode", function()
	local conn = T.open()
	eq(T.rname(T.mail(conn, { id = "O02", args = { "REQUIRETLS" } })),
	    "SMFIR_REPLYCODE", "MAIL reply")
	T.expect_log("O02", { requiretls = "yes" },
	    "action=reject reason=requiretls-plaintext mode=off stage=mail")
end)

case("REQUIRETLS over TLS in off mode: Received by {j}", function()
	local conn = T.open({ conn_macros = { "j", "mx.j.example" } })
	eq(T.rname(T.mail(conn, { id = "O03", tls = T.TLS13,
	    args = { "REQUIRETLS" } })), "SMFIR_CONTINUE", "MAIL reply")
	eq(T.rname(T.rcpt(conn, "<b@example.org>")), "SMFIR_CONTINUE", "RCPT")
	-- Folded before the date: on one line it would pass 78 characters.
	T.finish_expect_received(conn, "by mx.j.example (mtasts-milter) " ..
	    "with ESMTPS (requiretls) id O03;\n\t")
end)

local long = string.rep("a", 20) .. "." .. string.rep("b", 20) .. "." ..
    string.rep("c", 13) .. ".example"	-- 63 characters

case("long host name: folded before 'with', '(requiretls) id' kept together", function()
	local conn = T.open({ conn_macros = { "j", long } })
	eq(T.rname(T.mail(conn, { id = "O04", tls = T.TLS13,
	    args = { "REQUIRETLS" } })), "SMFIR_CONTINUE", "MAIL reply")
	eq(T.rname(T.rcpt(conn, "<b@example.org>")), "SMFIR_CONTINUE", "RCPT")
	local v = T.finish_expect_received(conn, "by " .. long ..
	    " (mtasts-milter)\n\twith ESMTPS (requiretls) id O04; ")
	for line in ("Received: " .. v):gmatch("[^\n]+") do
		check(#line <= 998, "line over 998 characters")
	end
end)

case("hostile {j} and i: no CR/LF, ';' or spaces reach the Received field", function()
	local conn = T.open({ conn_macros = { "j",
	    "evil.example\r\nX-Injected: yes" } })
	eq(T.rname(T.mail(conn, { id = "O05;\r\nX-Bad: 1 (comment)", tls = T.TLS13,
	    args = { "REQUIRETLS" } })), "SMFIR_CONTINUE", "MAIL reply")
	eq(T.rname(T.rcpt(conn, "<b@example.org>")), "SMFIR_CONTINUE", "RCPT")
	-- Filtered to "evil.exampleX-Injectedyes" and "O05X-Bad1comment"; too
	-- long for either single fold, so folded before "with" and the date.
	local v = T.finish_expect_received(conn,
	    "by evil.exampleX-Injectedyes (mtasts-milter)\n\twith ESMTPS " ..
	    "(requiretls) id O05X-Bad1comment;\n\t")
	check(not v:find("\r", 1, true), "CR in the Received field")
	T.log_barrier()
	local log = T.read_log()
	check(not log:find("\r", 1, true), "raw CR in the log")
	check(not log:find("\nX%-Bad"), "the queue id started a new log line")
end)

case("no hostname and no {j}: the system host name", function()
	local p = io.popen("uname -n")
	local host = (p:read("*l") or ""):gsub("[^%w%.%-]", "")
	p:close()
	check(host ~= "", "cannot learn the host name")
	local conn = T.open()
	eq(T.rname(T.mail(conn, { id = "O06", tls = T.TLS13,
	    args = { "REQUIRETLS" } })), "SMFIR_CONTINUE", "MAIL reply")
	eq(T.rname(T.rcpt(conn, "<b@example.org>")), "SMFIR_CONTINUE", "RCPT")
	T.finish(conn)
	local v = mt.getheader(conn, "Received", 0)
	check(v ~= nil, "no Received field")
	local unfolded = v:gsub("\n\t", " ")
	check(unfolded:sub(1, #("by " .. host .. " (mtasts-milter) with " ..
	    "ESMTPS (requiretls) id O06; ")) == "by " .. host ..
	    " (mtasts-milter) with ESMTPS (requiretls) id O06; ",
	    "Received value " .. string.format("%q", v) ..
	    " does not start with host " .. host)
end)

T.done()
