-- exempt.lua - exempt_networks replaced by 192.0.2.0/24 and 2001:db8:1::/48,
-- exempt_authenticated = false (exempt.conf, global enforce).
local T = dofile(LIB)
local case, eq = T.case, T.eq

local function mail_from(ip, id, o)
	o = o or {}
	o.id = id
	local conn = T.open({ ip = ip })
	return T.rname(T.mail(conn, o))
end

case("192.0.2.7 in exempt_networks: plaintext accepted as exempt", function()
	eq(mail_from("192.0.2.7", "X01"), "SMFIR_CONTINUE", "MAIL reply")
	T.expect_log("X01", { action = "exempt", reason = "network",
	    mode = "enforce", stage = "mail" })
end)

case("198.51.100.7 outside exempt_networks: rejected", function()
	eq(mail_from("198.51.100.7", "X02"), "SMFIR_REPLYCODE", "MAIL reply")
	T.expect_log("X02", { action = "reject", reason = "plaintext" })
end)

case("127.0.0.1 no longer exempt once exempt_networks is set", function()
	eq(mail_from("127.0.0.1", "X03"), "SMFIR_REPLYCODE", "MAIL reply")
	T.expect_log("X03", { action = "reject", reason = "plaintext" })
end)

case("::1 no longer exempt once exempt_networks is set", function()
	eq(mail_from("::1", "X04"), "SMFIR_REPLYCODE", "MAIL reply")
	T.expect_log("X04", { action = "reject", reason = "plaintext" })
end)

case("2001:db8:1::25 in 2001:db8:1::/48: exempt", function()
	eq(mail_from("2001:db8:1::25", "X05"), "SMFIR_CONTINUE", "MAIL reply")
	T.expect_log("X05", { action = "exempt", reason = "network",
	    client = "client.example.net[2001:db8:1::25]" })
end)

case("2001:db8:2::25 outside the /48: rejected", function()
	eq(mail_from("2001:db8:2::25", "X06"), "SMFIR_REPLYCODE", "MAIL reply")
	T.expect_log("X06", { action = "reject", reason = "plaintext" })
end)

case("exempt_authenticated = false: an authenticated plaintext session is rejected", function()
	eq(mail_from("198.51.100.7", "X07", { macros = { "{auth_type}",
	    "PLAIN", "{auth_authen}", "alice" } }), "SMFIR_REPLYCODE",
	    "MAIL reply")
	T.expect_log("X07", { action = "reject", reason = "plaintext" })
	T.expect_no_log("X07", { action = "exempt" })
end)

case("TLS from a non-exempt network: accepted", function()
	eq(mail_from("198.51.100.7", "X08", { tls = T.TLS13 }),
	    "SMFIR_CONTINUE", "MAIL reply")
	T.expect_log("X08", { action = "accept", tls = "TLSv1.3" })
end)

case("REQUIRETLS over plaintext from an exempt network: still rejected", function()
	eq(mail_from("192.0.2.7", "X09", { args = { "REQUIRETLS" } }),
	    "SMFIR_REPLYCODE", "MAIL reply")
	T.expect_log("X09", { action = "reject",
	    reason = "requiretls-plaintext", requiretls = "yes" })
end)

T.done()
