-- testing.lua - global testing mode (testing.conf, min_tls_version TLSv1.2):
-- nothing is rejected for plaintext, each recipient is logged as
-- would-reject; REQUIRETLS over plaintext is still rejected.
local T = dofile(LIB)
local case, eq = T.case, T.eq

case("plaintext: accepted, each RCPT logged would-reject at stage rcpt", function()
	local conn = T.open()
	eq(T.rname(T.mail(conn, { id = "S01" })), "SMFIR_CONTINUE", "MAIL reply")
	eq(T.rname(T.rcpt(conn, "<b@example.org>")), "SMFIR_CONTINUE", "RCPT 1")
	eq(T.rname(T.rcpt(conn, "<c@example.com>")), "SMFIR_CONTINUE", "RCPT 2")
	T.finish(conn)
	T.no_header_changes(conn)
	local prefix = "action=would-reject reason=plaintext mode=testing stage=rcpt"
	T.expect_log("S01", { rcpt = "<b@example.org>", tls = "none",
	    client = "client.example.net[192.0.2.7]", from = "<a@example.net>" },
	    prefix)
	T.expect_log("S01", { rcpt = "<c@example.com>" }, prefix)
	eq(T.count_log("S01", { action = "would-reject" }), 2,
	    "number of would-reject lines")
	T.expect_no_log("S01", { action = "reject" })
	T.expect_no_log("S01", { stage = "mail" })
end)

case("TLSv1 below min_tls_version: would-reject reason=weak-tls", function()
	local conn = T.open()
	eq(T.rname(T.mail(conn, { id = "S02", tls = { "{tls_version}", "TLSv1",
	    "{cipher}", "AES128-SHA", "{cipher_bits}", "128" } })),
	    "SMFIR_CONTINUE", "MAIL reply")
	eq(T.rname(T.rcpt(conn, "<b@example.org>")), "SMFIR_CONTINUE", "RCPT")
	T.finish(conn)
	T.expect_log("S02", { action = "would-reject", reason = "weak-tls",
	    mode = "testing", stage = "rcpt", tls = "TLSv1", bits = "128",
	    cipher = "AES128-SHA", rcpt = "<b@example.org>" })
end)

case("SSLv3 below min_tls_version: would-reject reason=weak-tls", function()
	local conn = T.open()
	eq(T.rname(T.mail(conn, { id = "S03", tls = { "{tls_version}", "SSLv3",
	    "{cipher_bits}", "128" } })), "SMFIR_CONTINUE", "MAIL reply")
	eq(T.rname(T.rcpt(conn, "<b@example.org>")), "SMFIR_CONTINUE", "RCPT")
	T.expect_log("S03", { action = "would-reject", reason = "weak-tls",
	    tls = "SSLv3" })
end)

case("TLSv1.2 (the minimum) and TLSv1.3: accepted, no would-reject", function()
	local conn = T.open()
	eq(T.rname(T.mail(conn, { id = "S04", tls = { "{tls_version}",
	    "TLSv1.2", "{cipher_bits}", "256" } })), "SMFIR_CONTINUE", "MAIL 1")
	eq(T.rname(T.rcpt(conn, "<b@example.org>")), "SMFIR_CONTINUE", "RCPT 1")
	T.finish(conn)
	eq(T.rname(T.mail(conn, { id = "S05", tls = T.TLS13 })),
	    "SMFIR_CONTINUE", "MAIL 2")
	eq(T.rname(T.rcpt(conn, "<b@example.org>")), "SMFIR_CONTINUE", "RCPT 2")
	T.finish(conn)
	T.expect_log("S04", { action = "accept", tls = "TLSv1.2" })
	T.expect_log("S05", { action = "accept", tls = "TLSv1.3" })
	T.expect_no_log("S04", { action = "would-reject" })
	T.expect_no_log("S05", { action = "would-reject" })
end)

case("REQUIRETLS over plaintext: rejected at MAIL even in testing mode", function()
	local conn = T.open()
	eq(T.rname(T.mail(conn, { id = "S06", args = { "REQUIRETLS" } })),
	    "SMFIR_REPLYCODE", "MAIL reply")
	T.expect_log("S06", { tls = "none", requiretls = "yes" },
	    "action=reject reason=requiretls-plaintext mode=testing stage=mail")
end)

case("REQUIRETLS=yes is another parameter: plaintext only would-reject", function()
	local conn = T.open()
	eq(T.rname(T.mail(conn, { id = "S07", args = { "REQUIRETLS=yes" } })),
	    "SMFIR_CONTINUE", "MAIL reply")
	eq(T.rname(T.rcpt(conn, "<b@example.org>")), "SMFIR_CONTINUE", "RCPT")
	T.finish(conn)
	T.no_header_changes(conn)
	T.expect_log("S07", { action = "would-reject", reason = "plaintext",
	    requiretls = T.ABSENT })
	T.expect_no_log("S07", { reason = "requiretls-plaintext" })
end)

case("exempt network in testing mode: exempt, not would-reject", function()
	local conn = T.open({ host = "localhost", ip = "127.0.0.1" })
	eq(T.rname(T.mail(conn, { id = "S08" })), "SMFIR_CONTINUE", "MAIL reply")
	eq(T.rname(T.rcpt(conn, "<b@example.org>")), "SMFIR_CONTINUE", "RCPT")
	T.expect_log("S08", { action = "exempt", reason = "network",
	    mode = "testing", stage = "mail" })
	T.expect_no_log("S08", { action = "would-reject" })
end)

T.done()
