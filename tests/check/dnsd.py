#!/usr/bin/env python3
"""dnsd.py - a tiny loopback DNS responder for the "-C" tests.

Usage: dnsd.py ZONEFILE PORTFILE [ADDR]

Serves the records of ZONEFILE over UDP on ADDR (default 127.0.0.1), on a
port chosen by the kernel; the port is written to PORTFILE (atomically)
once the socket is bound, so the caller polls for that file.

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
    NAME TRUNCATE          answer with TC set and no records

It behaves like a recursive server: CNAMEs are followed inside the zone
and put in the answer; a name with no records but with names below it is
NODATA, an unknown name NXDOMAIN.  Only stdlib; no TCP.
"""

import os
import shlex
import socket
import struct
import sys
import threading
import time

TYPES = {"A": 1, "CNAME": 5, "MX": 15, "TXT": 16, "AAAA": 28, "TLSA": 52}
SPECIAL = ("SERVFAIL", "DROP", "TRUNCATE", "AD")


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


def exists(zone, name):
    return name in zone or any(k.endswith("." + name) for k in zone)


def answer(zone, msg):
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
        if "TRUNCATE" in kinds:
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
    rflags = 0x8000 | (flags & 0x7900) | 0x0080 | (tc << 9) | (ad << 5) | \
        rcode
    out = struct.pack("!HHHHHH", qid, rflags, 1, len(answers), 0, 0)
    out += question
    for owner, rtype, data in answers:
        out += encode_name(owner)
        out += struct.pack("!HHIH", rtype, 1, 300, len(data)) + data
    return out


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


def main():
    watch_parent()
    zone = load_zone(sys.argv[1])
    addr = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((addr, 0))
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
