-- weaktls.lua - enforce with min_tls_version = "TLSv1.3" and
-- min_cipher_bits = 256 (weaktls.conf).
local T = dofile(LIB)
local case, eq = T.case, T.eq

local function tls(id, version, bits, o)
	o = o or {}
	local conn = T.open(o.open)
	local m = { "{tls_version}", version, "{cipher}", "TLS_AES_X" }
	if bits then
		m[#m + 1] = "{cipher_bits}"
		m[#m + 1] = bits
	end
	return T.rname(T.mail(conn, { id = id, tls = m, args = o.args }))
end

case("TLSv1.2 below min_tls_version TLSv1.3: rejected, reason=weak-tls", function()
	eq(tls("W01", "TLSv1.2", "256"), "SMFIR_REPLYCODE", "MAIL reply")
	T.expect_log("W01", { tls = "TLSv1.2", bits = "256" },
	    "action=reject reason=weak-tls mode=enforce stage=mail")
end)

case("128 cipher bits below min_cipher_bits 256: rejected, reason=weak-tls", function()
	eq(tls("W02", "TLSv1.3", "128"), "SMFIR_REPLYCODE", "MAIL reply")
	T.expect_log("W02", { action = "reject", reason = "weak-tls",
	    tls = "TLSv1.3", bits = "128" })
end)

case("TLSv1.3 with 256 bits: accepted", function()
	eq(tls("W03", "TLSv1.3", "256"), "SMFIR_CONTINUE", "MAIL reply")
	T.expect_log("W03", { action = "accept", tls = "TLSv1.3" })
end)

case("unknown version name: weak", function()
	eq(tls("W04", "FOO", "256"), "SMFIR_REPLYCODE", "MAIL reply")
	T.expect_log("W04", { action = "reject", reason = "weak-tls" })
end)

case("unparsable or missing {cipher_bits}: weak", function()
	eq(tls("W05", "TLSv1.3", "abc"), "SMFIR_REPLYCODE", "MAIL reply 1")
	eq(tls("W06", "TLSv1.3", nil), "SMFIR_REPLYCODE", "MAIL reply 2")
	T.expect_log("W05", { action = "reject", reason = "weak-tls" })
	T.expect_log("W06", { action = "reject", reason = "weak-tls" })
end)

case("weak TLS with REQUIRETLS: rejected as weak-tls (it is TLS)", function()
	eq(tls("W07", "TLSv1.2", "256", { args = { "REQUIRETLS" } }),
	    "SMFIR_REPLYCODE", "MAIL reply")
	T.expect_log("W07", { action = "reject", reason = "weak-tls",
	    requiretls = "yes" })
end)

case("weak TLS from an exempt network: exempt", function()
	eq(tls("W08", "TLSv1.2", "256", { open = { host = "localhost",
	    ip = "127.0.0.1" } }), "SMFIR_CONTINUE", "MAIL reply")
	T.expect_log("W08", { action = "exempt", reason = "network" })
end)

case("MAIL-stage macros win over HELO-stage ones", function()
	local conn = T.open({ helo_macros = T.TLS13 })
	eq(T.rname(T.mail(conn, { id = "W09", tls = { "{tls_version}",
	    "TLSv1.2", "{cipher_bits}", "256" } })), "SMFIR_REPLYCODE",
	    "MAIL reply")
	T.expect_log("W09", { action = "reject", reason = "weak-tls",
	    tls = "TLSv1.2" })
end)

T.done()
