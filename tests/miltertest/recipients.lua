-- recipients.lua - enforce with exempt_recipients (recipients.conf): the
-- transaction is no longer rejected at MAIL; each RCPT is judged.
local T = dofile(LIB)
local case, eq = T.case, T.eq

local function plaintext(id)
	local conn = T.open()
	eq(T.rname(T.mail(conn, { id = id })), "SMFIR_CONTINUE",
	    "MAIL reply (exempt recipients exist: judged per RCPT)")
	return conn
end

case("postmaster accepted (reason=recipient), another RCPT rejected at RCPT", function()
	local conn = plaintext("R01")
	eq(T.rname(T.rcpt(conn, "<postmaster@example.org>")), "SMFIR_CONTINUE",
	    "RCPT postmaster")
	eq(T.rname(T.rcpt(conn, "<u@example.org>")), "SMFIR_REPLYCODE",
	    "RCPT u@example.org")
	T.finish(conn)
	T.no_header_changes(conn)
	T.expect_log("R01", { rcpt = "<postmaster@example.org>" },
	    "action=exempt reason=recipient mode=enforce stage=rcpt")
	T.expect_log("R01", { rcpt = "<u@example.org>", tls = "none" },
	    "action=reject reason=plaintext mode=enforce stage=rcpt")
	T.expect_no_log("R01", { stage = "mail" })
end)

case("local-part exemption: any domain, any case", function()
	local conn = plaintext("R02")
	eq(T.rname(T.rcpt(conn, "<Postmaster@other.example>")),
	    "SMFIR_CONTINUE", "RCPT Postmaster@other.example")
	eq(T.rname(T.rcpt(conn, "<postmaster>")), "SMFIR_CONTINUE",
	    "RCPT <postmaster>")
	T.expect_log("R02", { action = "exempt", reason = "recipient",
	    rcpt = "<Postmaster@other.example>" })
	T.expect_log("R02", { action = "exempt", reason = "recipient",
	    rcpt = "<postmaster>" })
end)

case("address exemption tlsrpt@example.org: only that address", function()
	local conn = plaintext("R03")
	eq(T.rname(T.rcpt(conn, "<tlsrpt@example.org>")), "SMFIR_CONTINUE",
	    "RCPT tlsrpt@example.org")
	eq(T.rname(T.rcpt(conn, "<TLSRPT@Example.ORG>")), "SMFIR_CONTINUE",
	    "RCPT TLSRPT@Example.ORG")
	eq(T.rname(T.rcpt(conn, "<tlsrpt@other.example>")), "SMFIR_REPLYCODE",
	    "RCPT tlsrpt@other.example")
	T.expect_log("R03", { action = "reject", rcpt = "<tlsrpt@other.example>" })
	eq(T.count_log("R03", { action = "exempt" }), 2, "exempt lines")
end)

case("domain exemption @reports.example.org: the domain, not subdomains", function()
	local conn = plaintext("R04")
	eq(T.rname(T.rcpt(conn, "<x@reports.example.org>")), "SMFIR_CONTINUE",
	    "RCPT x@reports.example.org")
	eq(T.rname(T.rcpt(conn, "<y@Reports.Example.ORG>")), "SMFIR_CONTINUE",
	    "RCPT y@Reports.Example.ORG")
	eq(T.rname(T.rcpt(conn, "<x@sub.reports.example.org>")),
	    "SMFIR_REPLYCODE", "RCPT x@sub.reports.example.org")
	T.expect_log("R04", { action = "reject",
	    rcpt = "<x@sub.reports.example.org>" })
end)

case("TLS session: every recipient accepted, one accept line at MAIL", function()
	local conn = T.open()
	eq(T.rname(T.mail(conn, { id = "R05", tls = T.TLS13 })),
	    "SMFIR_CONTINUE", "MAIL reply")
	eq(T.rname(T.rcpt(conn, "<u@example.org>")), "SMFIR_CONTINUE", "RCPT")
	eq(T.rname(T.rcpt(conn, "<postmaster@example.org>")), "SMFIR_CONTINUE",
	    "RCPT postmaster")
	T.finish(conn)
	T.expect_log("R05", { action = "accept", stage = "mail" })
	eq(T.count_log("R05", {}), 1, "number of log lines")
end)

case("per-RCPT state: a rejected RCPT does not taint the next transaction", function()
	local conn = plaintext("R06a")
	eq(T.rname(T.rcpt(conn, "<u@example.org>")), "SMFIR_REPLYCODE", "RCPT 1")
	T.call("abort", conn)
	eq(T.rname(T.mail(conn, { id = "R06b", tls = T.TLS13 })),
	    "SMFIR_CONTINUE", "MAIL 2")
	eq(T.rname(T.rcpt(conn, "<u@example.org>")), "SMFIR_CONTINUE", "RCPT 2")
	T.expect_no_log("R06b", { action = "reject" })
end)

T.case_mtsend("exact reply at RCPT: 550 5.7.1, '%' doubled for Sendmail", function()
	local _, steps = T.mtsend({ "-m", "M:i=R90", "-r",
	    "<postmaster@example.org>", "-r", "<u@example.org>" })
	local function st(name, n)
		local k = 0
		for _, x in ipairs(steps) do
			if x.step == name then
				k = k + 1
				if k == n then
					return x
				end
			end
		end
		T.fail("no step " .. name .. " #" .. n)
	end
	eq(st("mail", 1).reply, "continue", "MAIL reply")
	eq(st("rcpt", 1).reply, "continue", "RCPT postmaster reply")
	eq(st("rcpt", 2).reply, "replycode", "RCPT u@example.org reply")
	eq(st("rcpt", 2).text, "550 5.7.1 TLS required: 100%% of mail must " ..
	    "use STARTTLS", "RCPT u@example.org reply text")
end)

T.done()
