-- longrcpt.lua - over-long recipient domains (longrcpt.conf: global
-- testing, ".example.org" enforce).  A name longer than 255 bytes must be
-- judged by its whole tail, and one too long to split at all by the
-- strictest mode: never by the looser global mode (issue 13, section 5).
local T = dofile(LIB)
local case, eq = T.case, T.eq

local function plaintext(id)
	local conn = T.open()
	eq(T.rname(T.mail(conn, { id = id })), "SMFIR_CONTINUE",
	    "MAIL reply (mixed modes: judged per RCPT)")
	return conn
end

local function long_name(n, tail)
	return string.rep("a", n) .. tail
end

case("x@<300 bytes>.example.org: enforced by the .example.org block", function()
	local conn = plaintext("L01")
	eq(T.rname(T.rcpt(conn, "<x@" .. long_name(300, ".example.org") .. ">")),
	    "SMFIR_REPLYCODE", "RCPT x@<300 bytes>.example.org")
	T.expect_log("L01", { action = "reject", mode = "enforce",
	    stage = "rcpt" })
	T.expect_no_log("L01", { action = "would-reject" })
end)

case("x@<480 bytes>.example.org: enforced by the .example.org block", function()
	local conn = plaintext("L02")
	eq(T.rname(T.rcpt(conn, "<x@" .. long_name(480, ".example.org") .. ">")),
	    "SMFIR_REPLYCODE", "RCPT x@<480 bytes>.example.org")
	T.expect_log("L02", { action = "reject", mode = "enforce" })
end)

case("domain too long to split: the strictest mode (enforce)", function()
	local conn = plaintext("L03")
	eq(T.rname(T.rcpt(conn, "<x@" .. long_name(900, ".other.net") .. ">")),
	    "SMFIR_REPLYCODE", "RCPT x@<900 bytes>.other.net")
	T.expect_log("L03", { action = "reject", mode = "enforce" })
end)

case("x@<300 bytes>.other.net: the global testing mode", function()
	local conn = plaintext("L04")
	eq(T.rname(T.rcpt(conn, "<x@" .. long_name(300, ".other.net") .. ">")),
	    "SMFIR_CONTINUE", "RCPT x@<300 bytes>.other.net")
	T.expect_log("L04", { action = "would-reject", mode = "testing" })
	T.expect_no_log("L04", { action = "reject" })
end)

T.done()
