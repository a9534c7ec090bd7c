-- domains.lua - global testing with per-domain blocks (domains.conf):
-- enforced.example and .example.org enforce, off.example off.
local T = dofile(LIB)
local case, eq = T.case, T.eq

local function plaintext(id)
	local conn = T.open()
	eq(T.rname(T.mail(conn, { id = id })), "SMFIR_CONTINUE",
	    "MAIL reply (mixed modes: judged per RCPT)")
	return conn
end

case("enforced.example rejected at RCPT, other.example would-reject", function()
	local conn = plaintext("D01")
	eq(T.rname(T.rcpt(conn, "<u@enforced.example>")), "SMFIR_REPLYCODE",
	    "RCPT u@enforced.example")
	eq(T.rname(T.rcpt(conn, "<u@other.example>")), "SMFIR_CONTINUE",
	    "RCPT u@other.example")
	T.finish(conn)
	T.no_header_changes(conn)
	T.expect_log("D01", { rcpt = "<u@enforced.example>", tls = "none" },
	    "action=reject reason=plaintext mode=enforce stage=rcpt")
	T.expect_log("D01", { rcpt = "<u@other.example>" },
	    "action=would-reject reason=plaintext mode=testing stage=rcpt")
	T.expect_no_log("D01", { stage = "mail" })
end)

case(".example.org block: subdomains enforced, example.org itself not", function()
	local conn = plaintext("D02")
	eq(T.rname(T.rcpt(conn, "<u@sub.example.org>")), "SMFIR_REPLYCODE",
	    "RCPT u@sub.example.org")
	eq(T.rname(T.rcpt(conn, "<u@a.b.example.org>")), "SMFIR_REPLYCODE",
	    "RCPT u@a.b.example.org")
	eq(T.rname(T.rcpt(conn, "<u@example.org>")), "SMFIR_CONTINUE",
	    "RCPT u@example.org")
	eq(T.rname(T.rcpt(conn, "<u@badexample.org>")), "SMFIR_CONTINUE",
	    "RCPT u@badexample.org")
	T.expect_log("D02", { action = "reject", rcpt = "<u@sub.example.org>" })
	T.expect_log("D02", { action = "reject", rcpt = "<u@a.b.example.org>" })
	T.expect_log("D02", { action = "would-reject", mode = "testing",
	    rcpt = "<u@example.org>" })
	T.expect_log("D02", { action = "would-reject", mode = "testing",
	    rcpt = "<u@badexample.org>" })
end)

case("domain match is case-insensitive, trailing dot ignored", function()
	local conn = plaintext("D03")
	eq(T.rname(T.rcpt(conn, "<U@ENFORCED.EXAMPLE>")), "SMFIR_REPLYCODE",
	    "RCPT U@ENFORCED.EXAMPLE")
	eq(T.rname(T.rcpt(conn, "<u@Sub.Example.ORG>")), "SMFIR_REPLYCODE",
	    "RCPT u@Sub.Example.ORG")
	eq(T.rname(T.rcpt(conn, "<u@enforced.example.>")), "SMFIR_REPLYCODE",
	    "RCPT u@enforced.example.")
	eq(T.count_log("D03", { action = "reject" }), 3, "reject lines")
end)

case("source route: the mailbox's domain decides", function()
	local conn = plaintext("D04")
	eq(T.rname(T.rcpt(conn, "<@relay.example:u@enforced.example>")),
	    "SMFIR_REPLYCODE", "RCPT with a source route")
	T.expect_log("D04", { action = "reject", mode = "enforce" })
end)

case("quoted local part with a space: the domain decides, log value escaped", function()
	local conn = plaintext("D09")
	eq(T.rname(T.rcpt(conn, '<"john doe"@enforced.example>')),
	    "SMFIR_REPLYCODE", "RCPT")
	local _, raw = T.expect_log("D09", { action = "reject",
	    rcpt = '<"john doe"@enforced.example>' })
	T.check(raw:find(' rcpt="<\\"john doe\\"@enforced.example>"', 1, true),
	    "rcpt not quoted and escaped: " .. raw)
end)

T.case("quoted local part holding '>': the domain still decides", function()
	local conn = plaintext("D10")
	eq(T.rname(T.rcpt(conn, '<"a>b"@enforced.example>')),
	    "SMFIR_REPLYCODE", "RCPT <\"a>b\"@enforced.example>")
	T.expect_log("D10", { action = "reject", mode = "enforce" })
end)

T.case("recipient with a space before '>': the domain still decides",
    function()
	local conn = plaintext("D11")
	eq(T.rname(T.rcpt(conn, '<u@enforced.example >')),
	    "SMFIR_REPLYCODE", "RCPT <u@enforced.example >")
	T.expect_log("D11", { action = "reject", mode = "enforce" })
end)

case("queue id appears at RCPT (Postfix): NOQUEUE before, the id after", function()
	local conn = T.open()
	eq(T.rname(T.mail(conn, { id = "", from = "<d11@example.net>" })),
	    "SMFIR_CONTINUE", "MAIL reply")
	eq(T.rname(T.rcpt(conn, "<d11@other.example>")), "SMFIR_CONTINUE",
	    "RCPT 1")
	T.call("macro", conn, SMFIC_RCPT, "i", "D11Q")
	eq(T.rname(T.rcpt(conn, "<d11@enforced.example>")), "SMFIR_REPLYCODE",
	    "RCPT 2")
	T.expect_log("NOQUEUE", { action = "would-reject",
	    rcpt = "<d11@other.example>" })
	T.expect_log("D11Q", { action = "reject",
	    rcpt = "<d11@enforced.example>" })
end)

case("off.example: accepted with no reject or would-reject line", function()
	local conn = plaintext("D05")
	eq(T.rname(T.rcpt(conn, "<u@off.example>")), "SMFIR_CONTINUE",
	    "RCPT u@off.example")
	T.finish(conn)
	T.expect_no_log("D05", { action = "reject" })
	T.expect_no_log("D05", { action = "would-reject" })
end)

case("TLS session: enforced.example accepted", function()
	local conn = T.open()
	eq(T.rname(T.mail(conn, { id = "D06", tls = T.TLS13 })),
	    "SMFIR_CONTINUE", "MAIL reply")
	eq(T.rname(T.rcpt(conn, "<u@enforced.example>")), "SMFIR_CONTINUE",
	    "RCPT u@enforced.example")
	eq(T.rname(T.rcpt(conn, "<u@sub.example.org>")), "SMFIR_CONTINUE",
	    "RCPT u@sub.example.org")
	T.finish(conn)
	T.expect_log("D06", { action = "accept", stage = "mail" })
	T.expect_no_log("D06", { action = "reject" })
end)

case("exempt network: enforced.example accepted", function()
	local conn = T.open({ host = "localhost", ip = "127.0.0.1" })
	eq(T.rname(T.mail(conn, { id = "D07" })), "SMFIR_CONTINUE", "MAIL reply")
	eq(T.rname(T.rcpt(conn, "<u@enforced.example>")), "SMFIR_CONTINUE",
	    "RCPT u@enforced.example")
	T.expect_log("D07", { action = "exempt", reason = "network" })
	T.expect_no_log("D07", { action = "reject" })
end)

case("per-RCPT verdicts do not leak into the next transaction", function()
	local conn = plaintext("D08a")
	eq(T.rname(T.rcpt(conn, "<u@enforced.example>")), "SMFIR_REPLYCODE",
	    "RCPT 1")
	T.call("abort", conn)
	eq(T.rname(T.mail(conn, { id = "D08b", tls = T.TLS13 })),
	    "SMFIR_CONTINUE", "MAIL 2")
	eq(T.rname(T.rcpt(conn, "<u@enforced.example>")), "SMFIR_CONTINUE",
	    "RCPT 2")
	T.finish(conn)
	T.expect_no_log("D08b", { action = "reject" })
end)

T.done()
