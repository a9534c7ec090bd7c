-- enforce.lua - global enforce mode (enforce.conf): where and how plaintext
-- is rejected, the default exemptions, TLS facts from MAIL and HELO macros,
-- several transactions and connections.
local T = dofile(LIB)
local case, check, eq, reply = T.case, T.check, T.eq, T.reply

case("negotiation: no body, no NR_MAIL/NR_RCPT, may insert headers", function()
	local conn = T.open()
	check(mt.test_option(conn, SMFIP_NOBODY), "SMFIP_NOBODY not negotiated")
	check(not mt.test_option(conn, SMFIP_NR_MAIL),
	    "SMFIP_NR_MAIL negotiated: a MAIL reject would be dropped")
	check(not mt.test_option(conn, SMFIP_NR_RCPT),
	    "SMFIP_NR_RCPT negotiated: a RCPT reject would be dropped")
	check(not mt.test_option(conn, SMFIP_NOMAIL), "SMFIP_NOMAIL negotiated")
	check(not mt.test_option(conn, SMFIP_NORCPT), "SMFIP_NORCPT negotiated")
	check(mt.test_action(conn, SMFIF_ADDHDRS), "SMFIF_ADDHDRS not requested")
	check(not mt.test_action(conn, SMFIF_CHGHDRS),
	    "SMFIF_CHGHDRS requested: the milter never changes a header")
	check(not mt.test_action(conn, SMFIF_CHGBODY), "SMFIF_CHGBODY requested")
	check(mt.test_action(conn, SMFIF_SETSYMLIST),
	    "SMFIF_SETSYMLIST not requested")
end)

case("MTA without smfi_setsymlist: one loud warning, decisions unchanged", function()
	-- Every action but SMFIF_SETSYMLIST (0x100), on two connections.
	local all_but_symlist = SMFIF_ADDHDRS + SMFIF_CHGBODY + SMFIF_ADDRCPT +
	    SMFIF_DELRCPT + SMFIF_CHGHDRS + SMFIF_QUARANTINE + SMFIF_CHGFROM +
	    SMFIF_ADDRCPT_PAR
	local a = T.open({ actions = all_but_symlist })
	check(not mt.test_action(a, SMFIF_SETSYMLIST),
	    "filter asked for SMFIF_SETSYMLIST the MTA did not offer")
	eq(T.rname(T.mail(a, { id = "E00a", tls = T.TLS13 })), "SMFIR_CONTINUE",
	    "MAIL with TLS macros")
	local b = T.open({ actions = all_but_symlist, helo_macros = T.TLS13 })
	eq(T.rname(T.mail(b, { id = "E00b" })), "SMFIR_CONTINUE",
	    "MAIL with TLS macros at HELO only")
	T.call("abort", b)
	eq(T.rname(T.mail(a, { id = "E00c" })), "SMFIR_REPLYCODE",
	    "MAIL without TLS macros")
	T.expect_log("E00a", { action = "accept" })
	T.expect_log("E00b", { action = "accept" })
	T.expect_log("E00c", { action = "reject", reason = "plaintext" })
	local n = 0
	for line in T.read_log():gmatch("[^\n]+") do
		if line:find("smfi_setsymlist", 1, true) then
			n = n + 1
		end
	end
	eq(n, 1, "warnings about smfi_setsymlist")
end)

case("plaintext from a non-exempt client: rejected at MAIL", function()
	local conn = T.open()
	eq(T.rname(T.mail(conn, { id = "E01" })), "SMFIR_REPLYCODE", "MAIL reply")
	local _, raw = T.expect_log("E01", { action = "reject" })
	eq(raw, "action=reject reason=plaintext mode=enforce stage=mail " ..
	    "tls=none client=client.example.net[192.0.2.7] " ..
	    "helo=client.example.net from=<a@example.net>", "log line")
end)

case("TLSv1.3 at MAIL: accepted, logged, message untouched", function()
	local conn = T.open()
	eq(T.rname(T.mail(conn, { id = "E02", tls = T.TLS13 })),
	    "SMFIR_CONTINUE", "MAIL reply")
	eq(T.rname(T.rcpt(conn, "<b@example.org>")), "SMFIR_CONTINUE",
	    "RCPT reply")
	T.finish(conn)
	T.no_header_changes(conn)
	T.expect_log("E02", { action = "accept", stage = "mail",
	    tls = "TLSv1.3", cipher = "TLS_AES_256_GCM_SHA384", bits = "256",
	    reason = T.ABSENT, requiretls = T.ABSENT,
	    client = "client.example.net[192.0.2.7]" }, "action=accept ")
	T.expect_no_log("E02", { action = "reject" })
	T.expect_no_log("E02", { action = "would-reject" })
end)

case("empty {tls_version} is plaintext", function()
	local conn = T.open()
	eq(T.rname(T.mail(conn, { id = "E03", tls = { "{tls_version}", "",
	    "{cipher}", "", "{cipher_bits}", "" } })), "SMFIR_REPLYCODE",
	    "MAIL reply")
	T.expect_log("E03", { action = "reject", reason = "plaintext",
	    tls = "none" })
end)

case("exempt network IPv4 127.0.0.1: plaintext accepted", function()
	local conn = T.open({ host = "localhost", ip = "127.0.0.1" })
	eq(T.rname(T.mail(conn, { id = "E04" })), "SMFIR_CONTINUE", "MAIL reply")
	eq(T.rname(T.rcpt(conn, "<b@example.org>")), "SMFIR_CONTINUE",
	    "RCPT reply")
	T.finish(conn)
	T.expect_log("E04", { action = "exempt", reason = "network",
	    mode = "enforce", stage = "mail", client = "localhost[127.0.0.1]" },
	    "action=exempt reason=network ")
	T.expect_no_log("E04", { action = "reject" })
end)

case("exempt network IPv6 ::1: plaintext accepted", function()
	local conn = T.open({ host = "localhost", ip = "::1" })
	eq(T.rname(T.mail(conn, { id = "E05" })), "SMFIR_CONTINUE", "MAIL reply")
	eq(T.rname(T.rcpt(conn, "<b@example.org>")), "SMFIR_CONTINUE",
	    "RCPT reply")
	T.expect_log("E05", { action = "exempt", reason = "network",
	    client = "localhost[::1]" })
end)

case("non-exempt IPv6 client 2001:db8::7: rejected at MAIL", function()
	local conn = T.open({ ip = "2001:db8::7" })
	eq(T.rname(T.mail(conn, { id = "E06" })), "SMFIR_REPLYCODE", "MAIL reply")
	T.expect_log("E06", { action = "reject", reason = "plaintext",
	    stage = "mail", client = "client.example.net[2001:db8::7]" })
end)

case("IPv4-mapped IPv6 client ::ffff:192.0.2.1: rejected", function()
	local conn = T.open({ ip = "::ffff:192.0.2.1" })
	eq(T.rname(T.mail(conn, { id = "E07" })), "SMFIR_REPLYCODE", "MAIL reply")
	T.expect_log("E07", { action = "reject", reason = "plaintext" })
end)

case("IPv4-mapped IPv6 client ::ffff:127.0.0.1: exempt as 127.0.0.0/8", function()
	local conn = T.open({ host = "localhost", ip = "::ffff:127.0.0.1" })
	eq(T.rname(T.mail(conn, { id = "E07b" })), "SMFIR_CONTINUE", "MAIL reply")
	T.expect_log("E07b", { action = "exempt", reason = "network" })
end)

case("authenticated session ({auth_type}, {auth_authen}): exempt", function()
	local conn = T.open()
	eq(T.rname(T.mail(conn, { id = "E08", macros = { "{auth_type}",
	    "PLAIN", "{auth_authen}", "alice" } })), "SMFIR_CONTINUE",
	    "MAIL reply")
	eq(T.rname(T.rcpt(conn, "<b@example.org>")), "SMFIR_CONTINUE",
	    "RCPT reply")
	T.expect_log("E08", { action = "exempt", reason = "auth",
	    mode = "enforce", stage = "mail" }, "action=exempt reason=auth ")
end)

case("empty auth macros are not authentication", function()
	local conn = T.open()
	eq(T.rname(T.mail(conn, { id = "E09", macros = { "{auth_type}", "",
	    "{auth_authen}", "" } })), "SMFIR_REPLYCODE", "MAIL reply")
	T.expect_log("E09", { action = "reject", reason = "plaintext" })
end)

case("unknown client family: {client_addr} 127.0.0.1 decides the exemption", function()
	local conn = T.open({ host = "localhost", ip = "unspec" })
	eq(T.rname(T.mail(conn, { id = "E10", macros = { "{client_addr}",
	    "127.0.0.1" } })), "SMFIR_CONTINUE", "MAIL reply")
	T.expect_log("E10", { action = "exempt", reason = "network" })
end)

case("unknown client family without {client_addr}: rejected (fail closed)", function()
	local conn = T.open({ host = "localhost", ip = "unspec" })
	eq(T.rname(T.mail(conn, { id = "E11" })), "SMFIR_REPLYCODE", "MAIL reply")
	T.expect_log("E11", { action = "reject", reason = "plaintext" })
end)

case("hostile client name and HELO: one log line, values escaped", function()
	local conn = T.open({ host = "h.example\nmtasts-milter: FAKE1: x=y",
	    helo = 'e "v" il\r\nmtasts-milter: FAKE2: action=accept' })
	eq(T.rname(T.mail(conn, { id = "E18" })), "SMFIR_REPLYCODE", "MAIL reply")
	local kv, raw = T.expect_log("E18", { action = "reject" })
	eq(kv.helo, 'e "v" il\\x0d\\x0amtasts-milter: FAKE2: action=accept',
	    "helo value (unescaped only for quotes)")
	check(raw:find(' helo="e \\"v\\" il\\x0d\\x0amtasts-milter: FAKE2: ' ..
	    'action=accept" ', 1, true), "helo not quoted: " .. raw)
	check(#T.lines("FAKE1") == 0 and #T.lines("FAKE2") == 0,
	    "a macro value started a log line of its own")
	check(not T.read_log():find("\r", 1, true), "raw CR in the log")
end)

case("TLS macros only at HELO (no second EHLO): fallback reads them", function()
	local conn = T.open({ helo_macros = T.TLS13 })
	eq(T.rname(T.mail(conn, { id = "E12" })), "SMFIR_CONTINUE", "MAIL reply")
	eq(T.rname(T.rcpt(conn, "<b@example.org>")), "SMFIR_CONTINUE",
	    "RCPT reply")
	T.finish(conn)
	T.expect_log("E12", { action = "accept", tls = "TLSv1.3",
	    stage = "mail" })
end)

case("no macros at all (no MAIL macro packet): plaintext, NOQUEUE", function()
	local conn = T.open()
	eq(T.rname(T.mail(conn, { nomacros = true,
	    from = "<nomacros@example.net>" })), "SMFIR_REPLYCODE", "MAIL reply")
	local found = false
	for _ = 1, 150 do
		for _, x in ipairs(T.lines("NOQUEUE")) do
			if x.kv.from == "<nomacros@example.net>" then
				eq(x.kv.action, "reject", "action")
				eq(x.kv.reason, "plaintext", "reason")
				eq(x.kv.tls, "none", "tls")
				found = true
			end
		end
		if found then
			break
		end
		mt.sleep(0.02)
	end
	check(found, "no NOQUEUE line with from=<nomacros@example.net>")
end)

case("several transactions on one connection: each judged on its own macros", function()
	local conn = T.open()
	-- 1: plaintext, rejected; the MTA aborts (RSET)
	eq(T.rname(T.mail(conn, { id = "E13a" })), "SMFIR_REPLYCODE", "MAIL 1")
	T.call("abort", conn)
	-- 2: TLS, accepted, delivered
	eq(T.rname(T.mail(conn, { id = "E13b", tls = T.TLS13 })),
	    "SMFIR_CONTINUE", "MAIL 2")
	eq(T.rname(T.rcpt(conn, "<b@example.org>")), "SMFIR_CONTINUE", "RCPT 2")
	T.finish(conn)
	T.no_header_changes(conn)
	-- 3: plaintext again right after end of message: rejected
	eq(T.rname(T.mail(conn, { id = "E13c" })), "SMFIR_REPLYCODE", "MAIL 3")
	T.call("abort", conn)
	-- 4: TLS again: accepted
	eq(T.rname(T.mail(conn, { id = "E13d", tls = T.TLS13 })),
	    "SMFIR_CONTINUE", "MAIL 4")
	eq(T.rname(T.rcpt(conn, "<c@example.org>")), "SMFIR_CONTINUE", "RCPT 4")
	T.finish(conn)
	T.expect_log("E13a", { action = "reject", reason = "plaintext" })
	T.expect_log("E13b", { action = "accept", tls = "TLSv1.3" })
	T.expect_log("E13c", { action = "reject", reason = "plaintext",
	    tls = "none" })
	T.expect_log("E13d", { action = "accept", tls = "TLSv1.3" })
	T.expect_no_log("E13b", { action = "reject" })
	T.expect_no_log("E13d", { action = "reject" })
end)

case("second MAIL without abort after a MAIL reject", function()
	local conn = T.open()
	eq(T.rname(T.mail(conn, { id = "E14a" })), "SMFIR_REPLYCODE", "MAIL 1")
	eq(T.rname(T.mail(conn, { id = "E14b", tls = T.TLS13 })),
	    "SMFIR_CONTINUE", "MAIL 2")
	eq(T.rname(T.rcpt(conn, "<b@example.org>")), "SMFIR_CONTINUE", "RCPT 2")
	T.finish(conn)
	T.expect_log("E14b", { action = "accept" })
end)

case("abort several times with no message open, then a transaction", function()
	local conn = T.open()
	T.call("abort", conn)
	T.call("abort", conn)
	eq(T.rname(T.mail(conn, { id = "E15" })), "SMFIR_REPLYCODE", "MAIL reply")
	T.call("abort", conn)
	T.call("abort", conn)
	eq(T.rname(T.mail(conn, { id = "E15b", tls = T.TLS13 })),
	    "SMFIR_CONTINUE", "MAIL reply 2")
	T.expect_log("E15", { action = "reject" })
	T.expect_log("E15b", { action = "accept" })
end)

case("two interleaved connections keep their own state", function()
	local a = T.open({ host = "tls.example.net", ip = "198.51.100.1" })
	local b = T.open({ host = "plain.example.net", ip = "198.51.100.2" })
	eq(T.rname(T.mail(a, { id = "E16a", tls = T.TLS13 })), "SMFIR_CONTINUE",
	    "MAIL on the TLS connection")
	eq(T.rname(T.mail(b, { id = "E16b" })), "SMFIR_REPLYCODE",
	    "MAIL on the plaintext connection")
	eq(T.rname(T.rcpt(a, "<b@example.org>")), "SMFIR_CONTINUE",
	    "RCPT on the TLS connection")
	T.finish(a)
	T.expect_log("E16a", { action = "accept",
	    client = "tls.example.net[198.51.100.1]", helo = "tls.example.net" })
	T.expect_log("E16b", { action = "reject",
	    client = "plain.example.net[198.51.100.2]",
	    helo = "plain.example.net" })
end)

case("abrupt disconnect mid-transaction, then a new connection", function()
	local a = T.open()
	eq(T.rname(T.mail(a, { id = "E17a", tls = T.TLS13,
	    args = { "REQUIRETLS" } })), "SMFIR_CONTINUE", "MAIL")
	eq(T.rname(T.rcpt(a, "<b@example.org>")), "SMFIR_CONTINUE", "RCPT")
	T.close(a, false)
	local b = T.open()
	eq(T.rname(T.mail(b, { id = "E17b" })), "SMFIR_REPLYCODE",
	    "MAIL on the new connection")
	T.call("abort", b)
	eq(T.rname(T.mail(b, { id = "E17c", tls = T.TLS13 })), "SMFIR_CONTINUE",
	    "MAIL 2 on the new connection")
	T.finish(b)
	T.no_header_changes(b)
	T.expect_log("E17b", { action = "reject", requiretls = T.ABSENT })
end)

-- The exact SMTP reply and the symbol lists, seen by tests/bench/mtsend.

local function step(steps, name, n)
	for _, st in ipairs(steps) do
		if st.step == name then
			n = (n or 1) - 1
			if n == 0 then
				return st
			end
		end
	end
	T.fail("no step=" .. name .. " in the mtsend output")
end

T.case_mtsend("exact reply at MAIL: 550 5.7.1 <reject_message>", function()
	local _, steps = T.mtsend({ "-m", "M:i=E90", "-r", "<b@example.org>" })
	local m = step(steps, "mail")
	eq(m.reply, "replycode", "MAIL reply")
	eq(m.text, "550 5.7.1 STARTTLS is required to deliver mail to this " ..
	    "server (MTA-STS)", "MAIL reply text")
	T.expect_log("E90", { action = "reject", reason = "plaintext",
	    client = "client.example.net[192.0.2.1]" })
end)

T.case_mtsend("symbol list asked for at MAIL holds every macro of SPEC 5", function()
	local lines, steps = T.mtsend({ "-m", "M:i=E91",
	    "-m", "M:{tls_version}=TLSv1.3", "-r", "<b@example.org>" })
	local list
	for _, l in ipairs(lines) do
		list = list or l:match('^symlist stage=mail macros="(.*)"$')
	end
	check(list ~= nil, "no symbol list for the MAIL stage")
	local have = {}
	for m in list:gmatch("%S+") do
		have[m] = true
	end
	for _, m in ipairs({ "{tls_version}", "{cipher}", "{cipher_bits}",
	    "{cert_subject}", "{cert_issuer}", "{verify}", "{auth_type}",
	    "{auth_authen}", "{client_addr}", "i", "j" }) do
		check(have[m], "symbol list at MAIL lacks " .. m .. ": " .. list)
	end
	eq(step(steps, "mail").reply, "continue", "MAIL reply over TLS")
end)

T.done()
