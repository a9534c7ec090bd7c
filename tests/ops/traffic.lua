-- traffic.lua - one connection, N transactions: every tenth transaction
-- number 0..6 carries TLS macros (TLSv1.3), 7..9 is plaintext.  Each sends
-- MAIL and one RCPT, then aborts (RSET).  Variables (miltertest -D):
--   socket   the milter socket
--   count    transactions (default 100)
--   client   client IP address (default 198.51.100.7)
--   tls      how many of every ten transactions use TLS (default 7)
-- Any reply other than continue or a reply code is an error.
-- Prints "tls=N plain=N continue=N reject=N" on success.
local ok, err = pcall(function()
	local count = tonumber(count or "100")
	local tlsshare = tonumber(tls or "7")
	local conn = mt.connect(socket, 20, 0.05)
	if conn == nil then error("cannot connect to " .. socket) end
	if mt.conninfo(conn, "client.example.net", client or "198.51.100.7") ~= nil then
		error("conninfo")
	end
	if mt.helo(conn, "client.example.net") ~= nil then error("helo") end
	local ntls, plain, cont, rej = 0, 0, 0, 0
	for i = 0, count - 1 do
		if i % 10 < tlsshare then
			mt.macro(conn, SMFIC_MAIL, "{tls_version}", "TLSv1.3",
			    "{cipher}", "TLS_AES_256_GCM_SHA384",
			    "{cipher_bits}", "256")
			ntls = ntls + 1
		else
			mt.macro(conn, SMFIC_MAIL, "i", "")
			plain = plain + 1
		end
		if mt.mailfrom(conn, "<s" .. i .. "@example.net>") ~= nil then
			error("mailfrom " .. i)
		end
		local r = mt.getreply(conn)
		if r == SMFIR_CONTINUE then
			if mt.rcptto(conn, "<r@example.org>") ~= nil then
				error("rcptto " .. i)
			end
			r = mt.getreply(conn)
		end
		if r == SMFIR_CONTINUE then
			cont = cont + 1
		elseif r == SMFIR_REPLYCODE then
			rej = rej + 1
		else
			error("unexpected reply " .. tostring(r) .. " at " .. i)
		end
		if mt.abort(conn) ~= nil then error("abort " .. i) end
	end
	mt.disconnect(conn)
	print(string.format("tls=%d plain=%d continue=%d reject=%d",
	    ntls, plain, cont, rej))
end)
if not ok then
	print("ERROR: " .. tostring(err))
	os.exit(1)
end
