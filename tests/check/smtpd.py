#!/usr/bin/env python3
"""smtpd.py - a loopback STARTTLS SMTP responder for the "-C" MX tests.

Usage: smtpd.py CASEFILE PORTFILE

CASEFILE lines: ADDR CASE [CERTFILE KEYFILE]
Every ADDR (127.0.0.x, Linux routes all of 127/8 to lo; or ::1) is served on the
same TCP port, chosen by the kernel for the first one; the port is written
to PORTFILE (atomically) once all sockets listen.  The local address a
client connected to selects the case, so the DNS fixture can point each
MX name at its own behaviour.  CERTFILE may hold a chain (leaf first).

Cases:
    good         banner, EHLO with STARTTLS, TLS, EHLO, QUIT
    requiretls   as good, and REQUIRETLS is advertised over TLS
    nostarttls   EHLO does not offer STARTTLS
    s454         STARTTLS is answered 454
    abort        STARTTLS is answered 220, then the connection is closed
                 as soon as the ClientHello arrives
    b421         the banner is 421, then the connection is closed
    slowbanner   the banner comes after 30 s
    ehlo5000     the EHLO answer has 5,000 lines
    longline     the EHLO answer has a 100 KiB line
    hostile      the banner is 421 with escape sequences and bytes >= 0x80
Only stdlib.  One thread per connection.
"""

import os
import socket
import ssl
import sys
import threading
import time


def watch_parent():
    """Exit when the test script that started us is gone (even killed)."""
    parent = os.getppid()

    def loop():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=loop, daemon=True).start()


class Session:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def line(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(4096)
            if not data:
                raise EOFError
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("latin-1")

    def send(self, text):
        if isinstance(text, str):
            text = text.encode("latin-1")
        self.sock.sendall(text)


def ehlo_lines(case, tls):
    ext = ["PIPELINING", "SIZE 10240000", "8BITMIME"]
    if not tls and case != "nostarttls":
        ext.append("STARTTLS")
    if tls and case == "requiretls":
        ext.append("REQUIRETLS")
    if case == "ehlo5000":
        ext += ["X-FILLER-%d" % i for i in range(5000)]
    if case == "longline":
        ext.append("X-LONG " + "a" * 102400)
    lines = ["mx.test"] + ext
    return "".join("250%s%s\r\n" % ("-" if i < len(lines) - 1 else " ", l)
                   for i, l in enumerate(lines))


def serve(conn, case, cert):
    s = Session(conn)
    if case == "slowbanner":
        time.sleep(30)
    if case == "b421":
        s.send("421 4.3.2 mx.test service not available\r\n")
        return
    if case == "hostile":
        s.send(b"421 \x1b[2J\x1b]0;owned\x07 caf\xc3\xa9 \\ end\r\n")
        return
    s.send("220 mx.test ESMTP test responder\r\n")
    tls = False
    while True:
        cmd = s.line()
        verb = cmd.split(" ")[0].upper()
        if verb in ("EHLO", "HELO"):
            s.send(ehlo_lines(case, tls))
        elif verb == "STARTTLS" and not tls:
            if case == "s454":
                s.send("454 4.7.0 TLS not available due to local problem\r\n")
                continue
            s.send("220 2.0.0 ready to start TLS\r\n")
            if case == "abort":
                conn.recv(4096)
                return
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert[0], cert[1])
            conn = ctx.wrap_socket(conn, server_side=True)
            s = Session(conn)
            tls = True
        elif verb == "QUIT":
            s.send("221 2.0.0 bye\r\n")
            return
        else:
            s.send("502 5.5.2 not here\r\n")


def handle(conn, cases):
    try:
        addr = conn.getsockname()[0]
        case, cert = cases[addr]
        serve(conn, case, cert)
    except (OSError, EOFError, ssl.SSLError):
        pass
    finally:
        conn.close()


def listen_all(addrs):
    """The same kernel-chosen port on every address; retried on clashes."""
    for _ in range(50):
        socks = []
        try:
            port = 0
            for a in addrs:
                fam = socket.AF_INET6 if ":" in a else socket.AF_INET
                s = socket.socket(fam, socket.SOCK_STREAM)
                socks.append(s)
                s.bind((a, port))
                port = s.getsockname()[1]
                s.listen(64)
            return port, socks
        except OSError:
            for s in socks:
                s.close()
    raise SystemExit("smtpd.py: cannot bind one port on every address")


def accept_loop(sock, cases):
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=handle, args=(conn, cases),
                         daemon=True).start()


def main():
    watch_parent()
    cases = {}
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            w = line.split()
            if w and not w[0].startswith("#"):
                cases[w[0]] = (w[1], w[2:4] if len(w) >= 4 else None)
    port, socks = listen_all(list(cases))
    for s in socks:
        threading.Thread(target=accept_loop, args=(s, cases),
                         daemon=True).start()
    tmp = sys.argv[2] + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write("%d\n" % port)
    os.rename(tmp, sys.argv[2])
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
