-- requiretls_off.lua - requiretls = false in testing mode
-- (requiretls_off.conf): the REQUIRETLS parameter changes nothing.
local T = dofile(LIB)
local case, eq = T.case, T.eq

case("TLS + REQUIRETLS: no Received, no header change", function()
	local conn = T.open()
	eq(T.rname(T.mail(conn, { id = "N01", tls = T.TLS13,
	    args = { "REQUIRETLS" } })), "SMFIR_CONTINUE", "MAIL reply")
	eq(T.rname(T.rcpt(conn, "<b@example.org>")), "SMFIR_CONTINUE", "RCPT")
	T.finish(conn)
	T.no_header_changes(conn)
	T.expect_log("N01", { action = "accept", requiretls = T.ABSENT })
end)

case("plaintext + REQUIRETLS: not rejected, only would-reject", function()
	local conn = T.open()
	eq(T.rname(T.mail(conn, { id = "N02", args = { "REQUIRETLS" } })),
	    "SMFIR_CONTINUE", "MAIL reply")
	eq(T.rname(T.rcpt(conn, "<b@example.org>")), "SMFIR_CONTINUE", "RCPT")
	T.finish(conn)
	T.no_header_changes(conn)
	T.expect_log("N02", { action = "would-reject", reason = "plaintext" })
	T.expect_no_log("N02", { reason = "requiretls-plaintext" })
	T.expect_no_log("N02", { action = "reject" })
end)

case("TLS-Required: No is logged (REQUIRETLS not acted on)", function()
	local conn = T.open()
	eq(T.rname(T.mail(conn, { id = "N03", tls = T.TLS13,
	    args = { "REQUIRETLS" } })), "SMFIR_CONTINUE", "MAIL reply")
	eq(T.rname(T.rcpt(conn, "<b@example.org>")), "SMFIR_CONTINUE", "RCPT")
	T.finish(conn, { { "TLS-Required", "No" } })
	T.no_header_changes(conn)
	T.expect_log("N03", { tls_required = "no" })
end)

T.done()
