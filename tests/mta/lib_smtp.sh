# shellcheck shell=bash
# tests/mta/lib_smtp.sh - the SMTP client side of the real-MTA tests: is
# an SMTP banner there (smtp_ready), one transaction with swaks (smtp_send),
# reading its transcript (reply_in, queue_id) and a scripted client for what
# swaks cannot do (smtp_dialog).  Sourced by lib.sh; uses its helpers.

# ---------------------------------------------------------------------------
# SMTP readiness
# ---------------------------------------------------------------------------
# smtp_ready PORT: an SMTP banner 220 answers on 127.0.0.1:PORT.
smtp_ready() {
    python3 - "$1" <<'EOF'
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    f = s.makefile("rb")
    line = f.readline()
    ok = line.startswith(b"220")
    if ok:
        s.sendall(b"QUIT\r\n")
        f.readline()
    s.close()
    sys.exit(0 if ok else 1)
except OSError:
    sys.exit(1)
EOF
}

# ---------------------------------------------------------------------------
# swaks
# ---------------------------------------------------------------------------
SMTP_PORT=
SWAKS_RC=

# smtp_send OUT [SWAKS ARGS...]: one transaction to 127.0.0.1:$SMTP_PORT;
# the transcript in OUT, swaks' exit code in SWAKS_RC (23 = MAIL rejected,
# 24 = every RCPT rejected, 0 = sent).
smtp_send() {
    local out=$1 name
    shift
    name=${out##*/}
    timeout 90 swaks --server 127.0.0.1 --port "$SMTP_PORT" \
        --helo client.test.example --from sender@example.net \
        --timeout 30 --header "Subject: mtasts-milter test $name" \
        "$@" >"$out" 2>&1
    # shellcheck disable=SC2034 # read by lib_cases.sh and the test scripts
    SWAKS_RC=$?
    return 0
}

# reply_in OUT ERE: a server reply line (swaks "<-", "<**", "<~", "<~*")
# starting with ERE.
reply_in() { grep -Eq -- "^<[-~*]+ +$2" "$1"; }

# queue_id OUT: Postfix "queued as ID" or Sendmail "2.0.0 ID Message accepted".
queue_id() {
    sed -n -e 's/^<[-~*]* *250 .*queued as \([0-9A-Za-z]*\).*/\1/p' \
        -e 's/^<[-~*]* *250 2\.0\.0 \([0-9A-Za-z]*\) Message accepted.*/\1/p' "$1" | tail -n 1
}

# smtp_dialog OUT STEP...: a scripted SMTP client for what swaks cannot do
# (MAIL right after STARTTLS without a second EHLO; pausing mid-transaction).
# Steps: ehlo | starttls | mail:ADDR | mailparam:ADDR PARAMS | rcpt:ADDR |
#        data | quit |
#        touch:FILE (signal the test) | wait:FILE (until the test says go).
# The transcript in OUT uses swaks' prefixes, so reply_in works on it.
smtp_dialog() {
    local out=$1
    shift
    timeout 90 python3 - "$SMTP_PORT" "$@" >"$out" 2>&1 <<'PYEOF'
import os, smtplib, ssl, sys, time
port, steps = int(sys.argv[1]), sys.argv[2:]
tls = False
def show(code, msg):
    lines = msg.decode(errors="replace").split("\n")
    pre = ("<~" if tls else "<-") + ("*" if code >= 400 else " ")
    for i, l in enumerate(lines):
        sep = "-" if i < len(lines) - 1 else " "
        print("%s %d%s%s" % (pre, code, sep, l), flush=True)
def cmd(c):
    print((" ~> " if tls else " -> ") + c, flush=True)
    code, msg = s.docmd(c)
    show(code, msg)
    return code
s = smtplib.SMTP(timeout=30)
show(*s.connect("127.0.0.1", port))
try:
    for st in steps:
        op, _, arg = st.partition(":")
        if op == "ehlo":
            cmd("EHLO client.test.example")
        elif op == "starttls":
            if cmd("STARTTLS") == 220:
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                s.sock = ctx.wrap_socket(s.sock, server_hostname="mx.test.example")
                s.file = None
                tls = True
                print("=== TLS started with cipher %s:%s"
                      % (s.sock.version(), s.sock.cipher()[0]), flush=True)
        elif op == "mail":
            cmd("MAIL FROM:<%s>" % arg)
        elif op == "mailparam":
            addr, _, params = arg.partition(" ")
            cmd("MAIL FROM:<%s> %s" % (addr, params))
        elif op == "rcpt":
            cmd("RCPT TO:<%s>" % arg)
        elif op == "data":
            if cmd("DATA") == 354:
                print((" ~> " if tls else " -> ") + "<message>", flush=True)
                s.send(b"From: <sender@example.net>\r\nTo: <user@example.org>\r\n"
                       b"Subject: mtasts-milter test smtp_dialog\r\n\r\ntest\r\n.\r\n")
                show(*s.getreply())
        elif op == "quit":
            cmd("QUIT")
        elif op == "touch":
            open(arg, "w").close()
        elif op == "wait":
            end = time.time() + 30
            while not os.path.exists(arg) and time.time() < end:
                time.sleep(0.05)
except (smtplib.SMTPServerDisconnected, OSError) as e:
    print("=== connection closed: %s" % e, flush=True)
PYEOF
}
