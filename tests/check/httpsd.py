#!/usr/bin/env python3
"""httpsd.py - a loopback HTTPS server for the "-C" tests.

Usage: httpsd.py SITEFILE PORTFILE
       httpsd.py --raw stall|plain PORTFILE

Listens on 127.0.0.1, on a port chosen by the kernel, written to PORTFILE
(atomically) once listening.  One thread per connection.

SITEFILE lines (shell-like quoting, # comments):
    cert NAME CERT KEY     certificate for SNI NAME; NAME "*" = any other
                           SNI, "-" = a client that sends no SNI
    site HOST policy FILE  200, text/plain, Content-Length
    site HOST chunked FILE 200, chunked transfer coding (3-byte chunks)
    site HOST close FILE   200, no length: the body ends at close
    site HOST type FILE CT 200 with Content-Type CT
    site HOST redirect URL 301 with Location URL
    site HOST status N     status N, short body
    site HOST big N        200 with N bytes, Content-Length
    site HOST bigchunked N 200 with N bytes, chunked
    site HOST slow         read the request, then never answer
    site HOST raw FILE     send FILE verbatim as the whole response

With --raw it is not a TLS server at all: "stall" accepts connections and
never says a word, "plain" answers a plaintext HTTP 400 to anything.

The behaviour is chosen by the Host header; a Host that differs from the
SNI name gets 421, an unknown Host 404.  Only stdlib.
"""

import os
import shlex
import socket
import ssl
import sys
import threading
import time

POLICY_PATH = "/.well-known/mta-sts.txt"


def load(path):
    certs, sites = {}, {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            w = shlex.split(line, comments=True)
            if not w:
                continue
            if w[0] == "cert":
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(w[2], w[3])
                certs[w[1]] = ctx
            elif w[0] == "site":
                sites[w[1].lower()] = w[2:]
    return certs, sites


def response(status, reason, headers, body):
    head = "HTTP/1.1 %d %s\r\n" % (status, reason)
    for k, v in headers:
        head += "%s: %s\r\n" % (k, v)
    return head.encode("ascii") + b"\r\n" + body


def chunked(body, size):
    out = b""
    for i in range(0, len(body), size):
        part = body[i:i + size]
        out += b"%x;ext=1\r\n" % len(part) + part + b"\r\n"
    return out + b"0\r\nX-Trailer: yes\r\n\r\n"


def read_file(name):
    with open(name, "rb") as f:
        return f.read()


def answer(site):
    kind, args = site[0], site[1:]
    plain = [("Content-Type", "text/plain")]
    if kind in ("policy", "type"):
        body = read_file(args[0])
        ctype = args[1] if kind == "type" else "text/plain"
        return response(200, "OK", [("Content-Type", ctype),
                                    ("Content-Length", len(body))], body)
    if kind == "chunked":
        return response(200, "OK", plain + [("Transfer-Encoding", "chunked")],
                        chunked(read_file(args[0]), 3))
    if kind == "raw":
        return read_file(args[0])
    if kind == "close":
        return response(200, "OK", plain, read_file(args[0]))
    if kind == "redirect":
        return response(301, "Moved", [("Location", args[0]),
                                       ("Content-Length", 0)], b"")
    if kind == "status":
        body = b"status %s\n" % args[0].encode("ascii")
        return response(int(args[0]), "Test", plain +
                        [("Content-Length", len(body))], body)
    if kind == "big":
        body = b"x" * int(args[0])
        return response(200, "OK", plain + [("Content-Length", len(body))],
                        body)
    if kind == "bigchunked":
        return response(200, "OK", plain + [("Transfer-Encoding", "chunked")],
                        chunked(b"x" * int(args[0]), 4096))
    raise ValueError("unknown site kind " + kind)


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 16384:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    lines = data.split(b"\r\n")
    host = ""
    for line in lines[1:]:
        if line.lower().startswith(b"host:"):
            host = line[5:].strip().decode("ascii", "replace").lower()
    return lines[0].decode("ascii", "replace"), host


def serve(sock, certs, sites):
    sock.settimeout(30)
    default = certs.get("-", certs.get("*"))
    try:
        conn = default.wrap_socket(sock, server_side=True)
    except (ssl.SSLError, OSError):
        sock.close()
        return
    try:
        reqline, host = read_request(conn)
        site = sites.get(host)
        if host != getattr(conn, "sni_name", None):
            out = response(421, "Misdirected", [("Content-Length", 0)], b"")
        elif site is None or reqline.split(" ")[1:2] != [POLICY_PATH]:
            out = response(404, "Not Found", [("Content-Length", 0)], b"")
        elif site[0] == "slow":
            time.sleep(120)
            return
        else:
            out = answer(site)
        conn.sendall(out)
        conn.unwrap()
    except (ssl.SSLError, OSError):
        pass
    finally:
        conn.close()


def listen(portfile):
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(64)
    tmp = portfile + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write("%d\n" % lsock.getsockname()[1])
    os.rename(tmp, portfile)
    return lsock


def raw_server(mode, portfile):
    lsock, held = listen(portfile), []
    while True:
        sock, _ = lsock.accept()
        if mode == "plain":
            sock.recv(4096)
            sock.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
            sock.close()
        else:
            held.append(sock)


def watch_parent():
    """Exit when the test script that started us is gone (even killed)."""
    parent = os.getppid()

    def loop():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=loop, daemon=True).start()


def main():
    watch_parent()
    if sys.argv[1] == "--raw":
        raw_server(sys.argv[2], sys.argv[3])
        return
    certs, sites = load(sys.argv[1])

    def pick(sslsock, name, _ctx):
        sslsock.sni_name = name
        if name is not None:
            sslsock.context = certs.get(name, certs.get("*"))

    certs.get("-", certs.get("*")).sni_callback = pick
    lsock = listen(sys.argv[2])
    while True:
        sock, _ = lsock.accept()
        threading.Thread(target=serve, args=(sock, certs, sites),
                         daemon=True).start()


if __name__ == "__main__":
    main()
