#!/usr/bin/env python3
"""dnsd.py - a tiny loopback DNS responder for the "-C" tests.

Usage: dnsd.py ZONEFILE PORTFILE [ADDR]

Serves the records of ZONEFILE over UDP and TCP on ADDR (default
127.0.0.1), on a port chosen by the kernel; the port is written to PORTFILE
(atomically) once both sockets are bound, so the caller polls for that
file.  Like a real server, a UDP answer larger than the client's EDNS0
buffer (512 bytes without EDNS0) is sent truncated: TC set, no records;
the whole answer is served over TCP.

Zone file lines (shell-like quoting, # comments):
    NAME A 127.0.0.1
    NAME AAAA ::1
    NAME MX 10 mail.example.test
    NAME CNAME target.example.test
    NAME TXT "string" ["more strings of the same record"...]
    NAME TLSA 3 1 1 HEXDATA
    NAME AD                set the AD bit (DNSSEC-validated) on answers
                           for NAME (the name asked for)
    NAME SERVFAIL          answer SERVFAIL for every query of NAME
    NAME DROP              never answer queries for NAME (client timeout)
    NAME TRUNCATE          over UDP, answer with TC set and no records
                           (over TCP, the records)
    NAME TCPDROP           as TRUNCATE, and over TCP read the query but
                           never answer (client timeout)

It behaves like a recursive server: CNAMEs are followed inside the zone
and put in the answer; a name with no records but with names below it is
NODATA, an unknown name NXDOMAIN.  Only stdlib.
"""

import os
import shlex
import socket
import struct
import sys
import threading
import time

TYPES = {"A": 1, "CNAME": 5, "MX": 15, "TXT": 16, "AAAA": 28, "TLSA": 52}
SPECIAL = ("SERVFAIL", "DROP", "TRUNCATE", "TCPDROP", "AD")


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\0"


def rdata(rtype, args):
    if rtype == "A":
        return socket.inet_pton(socket.AF_INET, args[0])
    if rtype == "AAAA":
        return socket.inet_pton(socket.AF_INET6, args[0])
    if rtype == "MX":
        return struct.pack("!H", int(args[0])) + encode_name(args[1])
    if rtype == "CNAME":
        return encode_name(args[0])
    if rtype == "TLSA":
        return bytes([int(args[0]), int(args[1]), int(args[2])]) + \
            bytes.fromhex(args[3])
    if rtype == "TXT":
        out = b""
        for s in args:
            b = s.encode("utf-8")
            while True:
                out += bytes([min(len(b), 255)]) + b[:255]
                b = b[255:]
                if not b:
                    break
        return out
    raise ValueError("unknown type " + rtype)


def load_zone(path):
    zone = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            words = shlex.split(line, comments=True)
            if not words:
                continue
            name, rtype, args = words[0].lower().rstrip("."), words[1], words[2:]
            if rtype in SPECIAL:
                zone.setdefault(name, []).append((rtype, None))
            else:
                zone.setdefault(name, []).append((rtype, rdata(rtype, args)))
    return zone


def parse_question(msg):
    pos, labels = 12, []
    while True:
        n = msg[pos]
        pos += 1
        if n == 0:
            break
        labels.append(msg[pos:pos + n].decode("ascii", "replace"))
        pos += n
    qtype, qclass = struct.unpack("!HH", msg[pos:pos + 4])
    return ".".join(labels).lower(), qtype, msg[12:pos + 4]


def udp_limit(msg):
    """The client's EDNS0 buffer size (an OPT record after the question),
    else 512."""
    pos = 12
    while msg[pos]:
        pos += 1 + msg[pos]
    pos += 5
    arcount = struct.unpack("!H", msg[10:12])[0]
    if arcount and msg[pos:pos + 3] == b"\0\0\x29":
        return max(512, struct.unpack("!H", msg[pos + 3:pos + 5])[0])
    return 512


def exists(zone, name):
    return name in zone or any(k.endswith("." + name) for k in zone)


def answer(zone, msg, tcp=False):
    """The reply to msg; None: stay silent."""
    qid, flags = struct.unpack("!HH", msg[:4])
    qname, qtype, question = parse_question(msg)
    rcode, answers, name, tc = 0, [], qname, 0
    ad = 1 if "AD" in [t for t, _ in zone.get(qname, [])] else 0
    for _ in range(16):
        recs = zone.get(name, [])
        kinds = [t for t, _ in recs]
        if "DROP" in kinds:
            return None
        if "SERVFAIL" in kinds:
            rcode = 2
            break
        if "TCPDROP" in kinds and tcp:
            return None
        if ("TRUNCATE" in kinds or "TCPDROP" in kinds) and not tcp:
            tc = 1
            break
        cname = [d for t, d in recs if t == "CNAME"]
        if cname and qtype != TYPES["CNAME"]:
            answers.append((name, 5, cname[0]))
            name = decode_simple(cname[0])
            continue
        answers += [(name, TYPES[t], d) for t, d in recs
                    if TYPES.get(t) == qtype]
        if not exists(zone, name):
            rcode = 3
        break
    out = b""
    for owner, rtype, data in answers:
        out += encode_name(owner)
        out += struct.pack("!HHIH", rtype, 1, 300, len(data)) + data
    if not tcp and 12 + len(question) + len(out) > udp_limit(msg):
        tc, answers, out = 1, [], b""
    rflags = 0x8000 | (flags & 0x7900) | 0x0080 | (tc << 9) | (ad << 5) | \
        rcode
    return struct.pack("!HHHHHH", qid, rflags, 1, len(answers), 0, 0) + \
        question + out


def decode_simple(wire):
    labels, pos = [], 0
    while wire[pos]:
        labels.append(wire[pos + 1:pos + 1 + wire[pos]].decode("ascii"))
        pos += 1 + wire[pos]
    return ".".join(labels).lower()


def watch_parent():
    """Exit when the test script that started us is gone (even killed)."""
    parent = os.getppid()

    def loop():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=loop, daemon=True).start()


def recv_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def serve_tcp(zone, conn):
    """Queries on one connection, until the client closes it."""
    with conn:
        while True:
            head = recv_exact(conn, 2)
            msg = head and recv_exact(conn, struct.unpack("!H", head)[0])
            if not msg:
                return
            try:
                reply = answer(zone, msg, tcp=True)
            except (IndexError, struct.error, UnicodeError):
                return
            if reply is None:
                recv_exact(conn, 1)     # silent until the client gives up
                return
            conn.sendall(struct.pack("!H", len(reply)) + reply)


def accept_tcp(zone, lsock):
    while True:
        conn, _ = lsock.accept()
        threading.Thread(target=serve_tcp, args=(zone, conn),
                         daemon=True).start()


def bind_both(addr):
    """A UDP and a TCP socket on the same kernel-chosen port."""
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    while True:
        udp = socket.socket(family, socket.SOCK_DGRAM)
        udp.bind((addr, 0))
        tcp = socket.socket(family, socket.SOCK_STREAM)
        try:
            tcp.bind((addr, udp.getsockname()[1]))
        except OSError:
            udp.close()
            tcp.close()
            continue
        tcp.listen(16)
        return udp, tcp


def main():
    watch_parent()
    zone = load_zone(sys.argv[1])
    addr = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"
    sock, lsock = bind_both(addr)
    threading.Thread(target=accept_tcp, args=(zone, lsock),
                     daemon=True).start()
    tmp = sys.argv[2] + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write("%d\n" % sock.getsockname()[1])
    os.rename(tmp, sys.argv[2])
    while True:
        msg, peer = sock.recvfrom(4096)
        try:
            reply = answer(zone, msg)
        except (IndexError, struct.error, UnicodeError):
            continue
        if reply is not None:
            sock.sendto(reply, peer)


if __name__ == "__main__":
    main()
