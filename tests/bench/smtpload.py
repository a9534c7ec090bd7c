#!/usr/bin/env python3
"""smtpload.py - small SMTP load client for bench.sh --postfix.

smtp-source (Postfix) cannot do STARTTLS, so the TLS figures use this
client: CONC threads each send their share of MSGS messages, one SMTP
session per message (EHLO, STARTTLS unless --plain, EHLO, MAIL, RCPT,
DATA with a 4 KiB body, QUIT), to HOST:PORT on loopback.  The server
certificate is not verified (a self-signed test certificate).

Usage: smtpload.py [--plain] [-c CONC] [-m MSGS] [-t TIMEOUT] HOST:PORT
Output: one line "result msgs=N ok=N failed=N secs=S mps=R tls=0|1",
then the first error, if any, on stderr.  Exit 0 when every message was
accepted, 1 otherwise, 2 on usage errors.  Every session has a timeout and
the number of messages is fixed, so the run always ends.
"""

import argparse
import smtplib
import ssl
import sys
import threading
import time

BODY = ("From: <sender@example.net>\r\nTo: <user@bench.example>\r\n"
        "Subject: bench\r\n\r\n" + ("x" * 62 + "\r\n") * 64)


def one(host, port, tls, timeout, ctx):
    with smtplib.SMTP(host, port, timeout=timeout) as s:
        s.ehlo("client.example.net")
        if tls:
            s.starttls(context=ctx)
            s.ehlo("client.example.net")
        s.sendmail("sender@example.net", ["user@bench.example"], BODY)


def worker(n, args, ctx, res, lock):
    host, port = args.target.rsplit(":", 1)
    ok = 0
    err = None
    for _ in range(n):
        try:
            one(host, int(port), not args.plain, args.timeout, ctx)
            ok += 1
        except (OSError, smtplib.SMTPException) as e:
            err = err or repr(e)
    with lock:
        res["ok"] += ok
        res["failed"] += n - ok
        res["err"] = res["err"] or err


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--plain", action="store_true")
    p.add_argument("-c", type=int, default=8)
    p.add_argument("-m", type=int, default=1000)
    p.add_argument("-t", "--timeout", type=float, default=20.0)
    p.add_argument("target")
    args = p.parse_args()
    if args.c < 1 or args.m < 1 or ":" not in args.target:
        p.error("bad arguments")
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    res = {"ok": 0, "failed": 0, "err": None}
    lock = threading.Lock()
    shares = [args.m // args.c + (1 if i < args.m % args.c else 0)
              for i in range(args.c)]
    threads = [threading.Thread(target=worker,
                                args=(n, args, ctx, res, lock))
               for n in shares if n > 0]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.monotonic() - t0
    print("result msgs=%d ok=%d failed=%d secs=%.3f mps=%.1f tls=%d" %
          (args.m, res["ok"], res["failed"], secs, res["ok"] / secs,
           0 if args.plain else 1))
    if res["err"]:
        print("smtpload: first error: %s" % res["err"], file=sys.stderr)
    return 0 if res["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
