-- requiretls.lua - RFC 8689 REQUIRETLS in testing mode (requiretls.conf,
-- hostname mx.test.example): the Received annotation, the plaintext
-- rejection whatever the mode, state across transactions, TLS-Required.
local T = dofile(LIB)
local case, check, eq = T.case, T.check, T.eq

-- "by mx.test.example (mtasts-milter) with ESMTPS (requiretls) id ID;"
-- is 78 characters with "Received: " for a 4-character id, so the field
-- is folded before the date.
local function head(id)
	return "by mx.test.example (mtasts-milter) with ESMTPS (requiretls) id " ..
	    id .. ";\n\t"
end

local function tls_mail(conn, id, args, o)
	o = o or {}
	eq(T.rname(T.mail(conn, { id = id, tls = T.TLS13, args = args,
	    from = o.from })), "SMFIR_CONTINUE", "MAIL reply")
	eq(T.rname(T.rcpt(conn, "<b@example.org>")), "SMFIR_CONTINUE",
	    "RCPT reply")
end

case("TLS + REQUIRETLS: one Received at index 0, exact value", function()
	local conn = T.open()
	tls_mail(conn, "Q01", { "REQUIRETLS" })
	local v = T.finish_expect_received(conn, head("Q01"))
	check(v:find("(requiretls) id Q01;", 1, true),
	    "'(requiretls)' not right before ' id Q01'")
	T.expect_log("Q01", { action = "accept", stage = "mail",
	    tls = "TLSv1.3", requiretls = "yes", reason = T.ABSENT })
end)

case("REQUIRETLS in mixed case", function()
	local conn = T.open()
	tls_mail(conn, "Q02", { "ReQuireTls" })
	T.finish_expect_received(conn, head("Q02"))
	T.expect_log("Q02", { action = "accept", requiretls = "yes" })
end)

case("REQUIRETLS among other MAIL parameters", function()
	local conn = T.open()
	tls_mail(conn, "Q03", { "BODY=8BITMIME", "REQUIRETLS", "SIZE=1000" })
	T.finish_expect_received(conn, head("Q03"))
end)

case("REQUIRETLS=yes over TLS: not REQUIRETLS, no Received", function()
	local conn = T.open()
	tls_mail(conn, "Q04", { "REQUIRETLS=yes" })
	T.finish(conn)
	T.no_header_changes(conn)
	T.expect_log("Q04", { action = "accept", requiretls = T.ABSENT })
end)

case("REQUIRETLS=yes over plaintext: continue, would-reject plaintext", function()
	local conn = T.open()
	eq(T.rname(T.mail(conn, { id = "Q05", args = { "REQUIRETLS=yes" } })),
	    "SMFIR_CONTINUE", "MAIL reply")
	eq(T.rname(T.rcpt(conn, "<b@example.org>")), "SMFIR_CONTINUE", "RCPT")
	T.finish(conn)
	T.no_header_changes(conn)
	T.expect_log("Q05", { action = "would-reject", reason = "plaintext" })
	T.expect_no_log("Q05", { reason = "requiretls-plaintext" })
end)

case("plaintext + REQUIRETLS: rejected at MAIL in testing mode", function()
	local conn = T.open()
	eq(T.rname(T.mail(conn, { id = "Q06", args = { "REQUIRETLS" } })),
	    "SMFIR_REPLYCODE", "MAIL reply")
	T.expect_log("Q06", { tls = "none", requiretls = "yes",
	    client = "client.example.net[192.0.2.7]" },
	    "action=reject reason=requiretls-plaintext mode=testing stage=mail")
end)

case("plaintext + REQUIRETLS from an exempt network or authenticated: rejected", function()
	local a = T.open({ host = "localhost", ip = "127.0.0.1" })
	eq(T.rname(T.mail(a, { id = "Q07a", args = { "REQUIRETLS" } })),
	    "SMFIR_REPLYCODE", "MAIL reply from 127.0.0.1")
	local b = T.open()
	eq(T.rname(T.mail(b, { id = "Q07b", args = { "REQUIRETLS" },
	    macros = { "{auth_type}", "PLAIN", "{auth_authen}", "alice" } })),
	    "SMFIR_REPLYCODE", "MAIL reply when authenticated")
	T.expect_log("Q07a", { action = "reject",
	    reason = "requiretls-plaintext" })
	T.expect_log("Q07b", { action = "reject",
	    reason = "requiretls-plaintext" })
end)

case("REQUIRETLS, abort (RSET), plain TLS transaction: no Received", function()
	local conn = T.open()
	tls_mail(conn, "Q08a", { "REQUIRETLS" })
	T.call("abort", conn)
	tls_mail(conn, "Q08b", nil)
	T.finish(conn)
	check(not mt.eom_check(conn, MT_HDRINSERT, "Received"),
	    "Received inserted in the second transaction")
	T.no_header_changes(conn)
	T.expect_log("Q08b", { action = "accept", requiretls = T.ABSENT })
end)

case("REQUIRETLS delivered, then a plain transaction: no Received", function()
	local conn = T.open()
	tls_mail(conn, "Q09a", { "REQUIRETLS" })
	T.finish_expect_received(conn, head("Q09a"))
	tls_mail(conn, "Q09b", nil)
	T.finish(conn)
	check(not mt.eom_check(conn, MT_HDRINSERT, "Received"),
	    "Received inserted in the second transaction")
	T.no_header_changes(conn)
end)

case("REQUIRETLS, second MAIL without abort: no Received", function()
	local conn = T.open()
	tls_mail(conn, "Q10a", { "REQUIRETLS" })
	tls_mail(conn, "Q10b", nil)
	T.finish(conn)
	T.no_header_changes(conn)
end)

case("REQUIRETLS rejected over plaintext, then a plain transaction: would-reject", function()
	local conn = T.open()
	eq(T.rname(T.mail(conn, { id = "Q11a", args = { "REQUIRETLS" } })),
	    "SMFIR_REPLYCODE", "MAIL 1")
	T.call("abort", conn)
	eq(T.rname(T.mail(conn, { id = "Q11b" })), "SMFIR_CONTINUE", "MAIL 2")
	eq(T.rname(T.rcpt(conn, "<b@example.org>")), "SMFIR_CONTINUE", "RCPT 2")
	T.finish(conn)
	T.no_header_changes(conn)
	T.expect_log("Q11b", { action = "would-reject", reason = "plaintext",
	    requiretls = T.ABSENT })
end)

case("queue id only at end of message (Postfix): Received id from EOM, log NOQUEUE", function()
	local conn = T.open()
	tls_mail(conn, "", { "REQUIRETLS" }, { from = "<q12@example.net>" })
	T.finish_expect_received(conn, head("4XyZ"), nil, { "i", "4XyZ" })
	local found
	T.log_barrier()
	for _, x in ipairs(T.lines("NOQUEUE")) do
		if x.kv.from == "<q12@example.net>" then
			found = x.kv
		end
	end
	check(found, "no NOQUEUE line for from=<q12@example.net>")
	eq(found.requiretls, "yes", "requiretls")
	eq(found.action, "accept", "action")
end)

case("no queue id anywhere: Received id NOQUEUE", function()
	local conn = T.open()
	tls_mail(conn, "", { "REQUIRETLS" }, { from = "<q13@example.net>" })
	-- "id NOQUEUE;" is 7 characters: folded before "with", not the date.
	T.finish_expect_received(conn, "by mx.test.example (mtasts-milter)" ..
	    "\n\twith ESMTPS (requiretls) id NOQUEUE; ")
end)

case("configured hostname wins over the MTA's {j}", function()
	local conn = T.open({ conn_macros = { "j", "other.example" } })
	tls_mail(conn, "Q14", { "REQUIRETLS" })
	T.finish_expect_received(conn, head("Q14"))
end)

case("an earlier hop's Received is left alone", function()
	local conn = T.open()
	tls_mail(conn, "Q15", { "REQUIRETLS" })
	T.finish_expect_received(conn, head("Q15"), {
	    { "Received", "from a.example by b.example with ESMTPS id 1; " ..
	      "Mon, 2 Nov 2026 10:00:00 +0000" },
	    { "From", "a@example.net" } })
end)

-- TLS-Required (RFC 8689 section 5) --------------------------------------

case("TLS-Required: No without REQUIRETLS: logged, header untouched", function()
	local conn = T.open()
	tls_mail(conn, "Q20", nil)
	T.finish(conn, { { "From", "a@example.net" },
	    { "TLS-Required", "No" }, { "Subject", "x" } })
	T.no_header_changes(conn)
	T.expect_log("Q20", { tls_required = "no", stage = "data",
	    tls = "TLSv1.3" }, "tls_required=no ")
end)

case("TLS-Required: No with REQUIRETLS: ignored, Received inserted", function()
	local conn = T.open()
	tls_mail(conn, "Q21", { "REQUIRETLS" })
	T.finish_expect_received(conn, head("Q21"), {
	    { "From", "a@example.net" }, { "TLS-Required", "No" } })
	T.expect_no_log("Q21", { tls_required = "no" })
end)

case("TLS-Required: No over plaintext (testing): logged too", function()
	local conn = T.open()
	eq(T.rname(T.mail(conn, { id = "Q22" })), "SMFIR_CONTINUE", "MAIL")
	eq(T.rname(T.rcpt(conn, "<b@example.org>")), "SMFIR_CONTINUE", "RCPT")
	T.finish(conn, { { "TLS-Required", "No" } })
	T.no_header_changes(conn)
	T.expect_log("Q22", { tls_required = "no", tls = "none" })
	T.expect_log("Q22", { action = "would-reject" })
end)

case("TLS-Required field name and value in any case, surrounding blanks", function()
	local conn = T.open()
	tls_mail(conn, "Q23", nil)
	T.finish(conn, { { "tls-required", "  NO \t" } })
	T.no_header_changes(conn)
	T.expect_log("Q23", { tls_required = "no" })
end)

case("TLS-Required: other values are not logged", function()
	local conn = T.open()
	tls_mail(conn, "Q24", nil)
	T.finish(conn, { { "TLS-Required", "Yes" },
	    { "TLS-Required", "No, thanks" }, { "X-TLS-Required", "No" } })
	T.no_header_changes(conn)
	T.expect_no_log("Q24", { tls_required = "no" })
end)

case("TLS-Required: No, abort, next transaction without it: not logged", function()
	local conn = T.open()
	tls_mail(conn, "Q25a", nil)
	T.call("header", conn, "TLS-Required", "No")
	T.call("abort", conn)
	tls_mail(conn, "Q25b", nil)
	T.finish(conn)
	T.expect_no_log("Q25a", { tls_required = "no" })
	T.expect_no_log("Q25b", { tls_required = "no" })
end)

T.case_mtsend("exact reply: 523 5.7.10 <requiretls_message>", function()
	local _, steps = T.mtsend({ "-m", "M:i=Q90", "-A", "REQUIRETLS",
	    "-r", "<b@example.org>" })
	local m
	for _, x in ipairs(steps) do
		if x.step == "mail" then
			m = x
		end
	end
	check(m ~= nil, "no MAIL step")
	eq(m.reply, "replycode", "MAIL reply")
	eq(m.text, "523 5.7.10 REQUIRETLS is only allowed over TLS",
	    "MAIL reply text")
end)

T.done()
