# shellcheck shell=bash
# tests/mta/lib.sh - shared helpers for the real-MTA tests (postfix.sh,
# sendmail.sh, fault.sh) and for contrib/quickstart.
#
# Everything started here listens on 127.0.0.1 only, lives in one private
# temporary directory (a throwaway Postfix/Sendmail configuration, queue,
# certificate and logs) and is stopped by an EXIT trap - also when a test
# fails, the script dies or the user presses ^C.  Every wait is bounded and
# polls for the real event (a listening socket, an SMTP banner, a log line).
#
# Source it from bash; it needs the Debian packages postfix, swaks,
# libnet-ssleay-perl (swaks --tls), openssl, python3, util-linux (setsid,
# unshare, flock), and for Sendmail m4, libwrap0 and libldap-2.5-0 plus
# sendmail-bin/sendmail-cf, which it downloads (apt-get download, so the
# package lists must be there) and unpacks into a cache directory - never
# installs: Sendmail and Postfix conflict as packages.

MTA_HOSTNAME=mx.test.example          # the MTA's name (Sendmail needs an FQDN)
MTA_WAIT=${MTA_WAIT:-30}              # seconds for any single readiness wait
MTA_CACHE=${MTASTS_TEST_CACHE:-/var/cache/mtasts-milter-tests}
MTA_DIR=                              # private temp dir, set by mta_init
# (read by the scripts that source this file)
# shellcheck disable=SC2034
MTA_VERBOSE=${MTA_VERBOSE:-0}         # 1: print progress lines as TAP comments

# ---------------------------------------------------------------------------
# TAP output
# ---------------------------------------------------------------------------
tap_count=0
tap_failed=0

tap_plan() { echo "1..$1"; }

# The only reason these tests ever skip: they start MTAs and need root.
tap_skip_all() { echo "1..0 # SKIP $*"; exit 0; }

# diag TEXT|FILE...: "# " comment lines; a readable file is shown (last 40 lines).
diag() {
    local a
    for a in "$@"; do
        if [ -f "$a" ]; then
            echo "# --- $a (last 40 lines)"
            tail -n 40 "$a" | sed 's/^/#   /'
        else
            printf '%s\n' "$a" | sed 's/^/# /'
        fi
    done
}

note() { [ "$MTA_VERBOSE" = 1 ] && echo "# $*"; return 0; }

ok() { tap_count=$((tap_count + 1)); echo "ok $tap_count - $*"; }

# not_ok DESC [DIAG|FILE...]
not_ok() {
    local d=$1
    shift
    tap_count=$((tap_count + 1))
    tap_failed=$((tap_failed + 1))
    echo "not ok $tap_count - $d"
    diag "$@"
}

# skip DESC REASON
skip() { tap_count=$((tap_count + 1)); echo "ok $tap_count - $1 # SKIP $2"; }

# check DESC CMD...: ok when CMD succeeds, else not_ok with $CHECK_DIAG files.
CHECK_DIAG=
check() {
    local d=$1
    shift
    if "$@"; then
        ok "$d"
    else
        # shellcheck disable=SC2086
        not_ok "$d" "failed: $*" $CHECK_DIAG
    fi
}

# bail_out REASON [FILE...]: setup failed, stop the whole script (TAP error).
bail_out() {
    local r=$1
    shift
    diag "$@"
    echo "Bail out! $r"
    exit 1
}

# require_root: the single allowed skip.
require_root() {
    [ "$(id -u)" = 0 ] ||
        tap_skip_all "must run as root (starts Postfix/Sendmail on 127.0.0.1)"
}

# require_tools: a missing tool is an error, not a skip (CI must run these).
require_tools() {
    local t missing=
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
    done
    [ -z "$missing" ] || bail_out "missing tools:$missing (install the Debian packages listed in tests/mta/lib.sh)"
    # swaks --tls needs Net::SSLeay, only a Recommends of the swaks package
    case " $* " in *" swaks "*) ;; *) return 0 ;; esac
    if ! perl -MNet::SSLeay -e 1 >/dev/null 2>&1; then
        bail_out "swaks cannot do STARTTLS: install the Debian package libnet-ssleay-perl"
    fi
}

require_milter() {
    [ -n "${MTASTS_MILTER:-}" ] || bail_out "MTASTS_MILTER is not set (run through make check)"
    [ -x "$MTASTS_MILTER" ] || bail_out "MTASTS_MILTER=$MTASTS_MILTER is not executable"
}

# ---------------------------------------------------------------------------
# Temp dir, processes, cleanup
# ---------------------------------------------------------------------------
MTA_PIDS=()            # background processes we started (each its own session)
MTA_POSTFIX_DIRS=()    # Postfix config dirs we started
MTA_KEEP=${MTA_KEEP:-0}

mta_init() {
    MTA_DIR=$(mktemp -d /tmp/mtasts-mta.XXXXXX) || bail_out "mktemp failed"
    # Postfix daemons (user postfix) must traverse it.
    chmod 755 "$MTA_DIR"
    trap mta_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
}

# proc_alive PID: running (a zombie counts as dead).
proc_alive() {
    local st
    [ -r "/proc/$1/stat" ] || return 1
    st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# group_alive PGID: any non-zombie process left in that process group
# (reads /proc directly: no procps needed).
group_alive() {
    local g=$1 f line st pgrp
    for f in /proc/[0-9]*/stat; do
        { read -r line <"$f"; } 2>/dev/null || continue
        line=${line##*) }                 # "state ppid pgrp ..."
        st=${line%% *}
        line=${line#* }
        line=${line#* }
        pgrp=${line%% *}
        if [ "$pgrp" = "$g" ] && [ "$st" != Z ] && [ "$st" != X ]; then
            return 0
        fi
    done
    return 1
}

# pids_mentioning STRING: processes whose command line contains STRING.
pids_mentioning() {
    grep -lsF -- "$1" /proc/[0-9]*/cmdline 2>/dev/null | sed 's#^/proc/\([0-9]*\)/cmdline$#\1#'
}

# wait_until SECONDS CMD...: poll CMD every 0.1 s, at most SECONDS.
wait_until() {
    local limit=$1 i=0
    shift
    while ! "$@"; do
        i=$((i + 1))
        [ "$i" -ge $((limit * 10)) ] && return 1
        sleep 0.1
    done
    return 0
}

not_() { ! "$@"; }

# spawn LOG CMD...: run CMD in its own session (so we can signal its whole
# process group), output to LOG; sets SPAWN_PID.
spawn() {
    local log=$1
    shift
    setsid "$@" >>"$log" 2>&1 </dev/null &
    SPAWN_PID=$!
    MTA_PIDS+=("$SPAWN_PID")
}

# now_ms: wall clock in milliseconds
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }

# stop_pid PID [SECONDS]: SIGTERM, wait (bounded), then SIGKILL the group.
# Returns 0 when it stopped within SECONDS; sets STOP_ELAPSED (ms).
stop_pid() {
    local pid=$1 limit=${2:-10} rc=0 t0
    STOP_ELAPSED=0
    [ -n "$pid" ] || return 0
    t0=$(now_ms)
    kill -TERM "$pid" 2>/dev/null
    while proc_alive "$pid" && [ $(($(now_ms) - t0)) -lt $((limit * 1000)) ]; do
        sleep 0.05
    done
    # shellcheck disable=SC2034 # read by callers
    STOP_ELAPSED=$(($(now_ms) - t0))
    if proc_alive "$pid"; then
        rc=1
        kill -KILL "$pid" 2>/dev/null
    fi
    # whatever it left in its process group
    if group_alive "$pid"; then
        kill -TERM -- "-$pid" 2>/dev/null
        wait_until 5 not_ group_alive "$pid" || kill -KILL -- "-$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    local p new=()
    for p in "${MTA_PIDS[@]}"; do [ "$p" = "$pid" ] || new+=("$p"); done
    MTA_PIDS=("${new[@]}")
    return $rc
}

mta_cleanup() {
    local rc=$? d p
    trap - EXIT INT TERM HUP
    for d in "${MTA_POSTFIX_DIRS[@]}"; do
        postfix_stop "$d" >/dev/null 2>&1
    done
    for p in "${MTA_PIDS[@]}"; do
        stop_pid "$p" 5 >/dev/null 2>&1
    done
    # Last resort: any process still running from our directory.
    if [ -n "$MTA_DIR" ] && [ -d "$MTA_DIR" ]; then
        for p in $(pids_mentioning "$MTA_DIR"); do
            [ "$p" != $$ ] && kill -KILL "$p" 2>/dev/null
        done
        if [ "$MTA_KEEP" = 1 ] || { [ "$tap_failed" -gt 0 ] && [ "${CI:-}" != true ]; }; then
            echo "# kept $MTA_DIR for inspection"
        else
            rm -rf "$MTA_DIR"
        fi
    fi
    exit "$rc"
}

# free_ports N: N distinct free TCP ports on 127.0.0.1 (bound together, so
# they differ), on one line.
free_ports() {
    python3 -c 'import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

# port_listening PORT: some socket is in LISTEN state on that TCP port
# (reads /proc/net/tcp*: no iproute2 needed).
port_listening() {
    local hex
    hex=$(printf '%04X' "$1")
    cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
        awk -v p="$hex" '$4 == "0A" && substr($2, length($2) - 3) == p { f = 1 } END { exit !f }'
}

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
# TLS certificate
# ---------------------------------------------------------------------------
# make_cert DIR: self-signed RSA cert for $MTA_HOSTNAME -> DIR/cert.pem, DIR/key.pem
make_cert() {
    mkdir -p "$1"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -sha256 \
        -subj "/CN=$MTA_HOSTNAME" -addext "subjectAltName=DNS:$MTA_HOSTNAME" \
        -keyout "$1/key.pem" -out "$1/cert.pem" >"$1/openssl.log" 2>&1 ||
        bail_out "openssl req failed" "$1/openssl.log"
    chmod 600 "$1/key.pem"
    chmod 644 "$1/cert.pem"
}

# ---------------------------------------------------------------------------
# The milter
# ---------------------------------------------------------------------------
MILTER_PORT=
MILTER_PID=
MILTER_LOG=
milter_n=0

# milter_conf FILE [CONFIG LINE...]: socket line + the given lines.
milter_conf() {
    local f=$1
    shift
    {
        echo "# generated by tests/mta/lib.sh"
        echo "socket = \"inet:$MILTER_PORT@127.0.0.1\""
        printf '%s\n' "$@"
    } >"$f"
}

# milter_start CONFIG: start "$MTASTS_MILTER -f -c CONFIG -d debug", wait
# until it listens on $MILTER_PORT; log in $MILTER_LOG (new file each start).
milter_start() {
    local conf=$1
    milter_n=$((milter_n + 1))
    MILTER_LOG=$MTA_DIR/milter.$milter_n.log
    : >"$MILTER_LOG"
    spawn "$MILTER_LOG" "$MTASTS_MILTER" -f -c "$conf" -d debug
    MILTER_PID=$SPAWN_PID
    if ! wait_until "$MTA_WAIT" milter_up; then
        bail_out "milter did not listen on 127.0.0.1:$MILTER_PORT within ${MTA_WAIT}s" "$conf" "$MILTER_LOG"
    fi
    note "milter pid $MILTER_PID on 127.0.0.1:$MILTER_PORT ($conf)"
}
milter_up() {
    proc_alive "$MILTER_PID" || bail_out "milter exited at start" "$MILTER_LOG"
    port_listening "$MILTER_PORT"
}

# milter_stop [SECONDS]: returns non-zero when it needed more than SECONDS.
milter_stop() {
    local rc=0
    [ -n "$MILTER_PID" ] || return 0
    stop_pid "$MILTER_PID" "${1:-10}" || rc=1
    MILTER_PID=
    return $rc
}

# log_mark FILE: current line count (use with wait_log to look only at new lines)
log_mark() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }

# log_has FILE MARK ERE: a line after MARK matches ERE.
log_has() { tail -n "+$(($2 + 1))" "$1" 2>/dev/null | grep -Eq -- "$3"; }

# wait_log FILE MARK ERE [SECONDS]: poll for it (default 10 s).
wait_log() { wait_until "${4:-10}" log_has "$1" "$2" "$3"; }

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

# ---------------------------------------------------------------------------
# Postfix (Debian package) in a private configuration directory
# ---------------------------------------------------------------------------
PF_DIR=

# postfix_setup DIR SMTP_PORT MILTER_SOCKET: write DIR/main.cf, DIR/master.cf.
postfix_setup() {
    local dir=$1 port=$2 milter=$3
    mkdir -p "$dir/queue" "$dir/data"
    chown postfix "$dir/data"
    [ -f "$MTA_DIR/tls/cert.pem" ] || make_cert "$MTA_DIR/tls"
    cat >"$dir/main.cf" <<EOF
# throwaway Postfix for mtasts-milter tests (tests/mta/lib.sh)
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
meta_directory = /etc/postfix
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
# Postfix logs to /dev/log unless told otherwise (and there may be none).
maillog_file = $dir/maillog
maillog_file_prefixes = $MTA_DIR
myhostname = $MTA_HOSTNAME
mydomain = test.example
myorigin = \$myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination = \$myhostname, localhost, example.org, enforced.example, other.example
local_recipient_maps =
alias_maps =
alias_database =
# Keep every accepted message in the queue (postcat -q shows it).
local_transport = discard
default_transport = discard
defer_transports = discard
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
biff = no
smtputf8_enable = no
smtpd_banner = \$myhostname ESMTP mtasts-milter test
smtpd_tls_security_level = may
smtpd_tls_cert_file = $MTA_DIR/tls/cert.pem
smtpd_tls_key_file = $MTA_DIR/tls/key.pem
smtpd_tls_received_header = yes
smtpd_tls_loglevel = 1
# The milter.  It asks for the TLS macros at MAIL FROM itself
# (smfi_setsymlist); no milter_macro_defaults for {tls_version}, ever.
smtpd_milters = $milter
non_smtpd_milters =
milter_default_action = tempfail
milter_protocol = 6
milter_connect_timeout = 10s
milter_command_timeout = 10s
milter_content_timeout = 30s
EOF
    cat >"$dir/master.cf" <<EOF
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

postfix_master_pid() {
    local f=$1/queue/pid/master.pid
    [ -r "$f" ] && tr -dc '0-9' <"$f"
}

# postfix_start DIR SMTP_PORT: start it, wait for the SMTP banner.
postfix_start() {
    local dir=$1 port=$2
    MTA_POSTFIX_DIRS+=("$dir")
    if ! timeout 60 postfix -c "$dir" start >"$dir/start.log" 2>&1; then
        bail_out "postfix -c $dir start failed" "$dir/start.log" "$dir/maillog"
    fi
    wait_until "$MTA_WAIT" smtp_ready "$port" ||
        bail_out "no SMTP banner from Postfix on 127.0.0.1:$port within ${MTA_WAIT}s" \
            "$dir/start.log" "$dir/maillog"
    # shellcheck disable=SC2034 # read by the test scripts
    PF_DIR=$dir
    note "postfix master pid $(postfix_master_pid "$dir") on 127.0.0.1:$port"
}

# postfix_stop DIR: stop it and wait until master and its children are gone.
postfix_stop() {
    local dir=$1 pid
    pid=$(postfix_master_pid "$dir")
    [ -n "$pid" ] && proc_alive "$pid" || return 0
    timeout 30 postfix -c "$dir" stop >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null
    if ! wait_until 20 not_ group_alive "$pid"; then
        kill -KILL -- "-$pid" 2>/dev/null
        wait_until 5 not_ group_alive "$pid"
    fi
}

# postfix_queue_count DIR: messages in any queue (incoming/active/deferred/hold/maildrop)
postfix_queue_count() {
    local q=$1/queue
    find "$q/incoming" "$q/active" "$q/deferred" "$q/hold" "$q/maildrop" \
        -type f 2>/dev/null | wc -l
}

# postfix_postcat DIR QUEUEID FLAGS: print the stored queue file with
# postcat FLAGS (-hq headers, -eq envelope); retries while qmgr moves the
# file between queues.
postfix_postcat() {
    local tmp=$MTA_DIR/postcat.tmp rc=0
    wait_until 10 eval "timeout 10 postcat -c '$1' $3 '$2' >'$tmp' 2>&1" || rc=1
    cat "$tmp"
    return $rc
}

# ---------------------------------------------------------------------------
# Sendmail 8.17 unpacked from its Debian packages (never installed: it
# conflicts with postfix)
# ---------------------------------------------------------------------------
SM_ROOT=
SM_DIR=
SM_PID=
SM_SYSLOG_PID=

# sendmail_unpack: download sendmail-bin + sendmail-cf once into $MTA_CACHE,
# unpack them there; sets SM_ROOT.
sendmail_unpack() {
    SM_ROOT=$MTA_CACHE/sendmail-root
    mkdir -p "$MTA_CACHE" || bail_out "cannot create $MTA_CACHE"
    (
        flock -w 300 9 || exit 1
        [ -x "$SM_ROOT/usr/libexec/sendmail/sendmail" ] &&
            [ -f "$SM_ROOT/usr/share/sendmail/cf/m4/cf.m4" ] && exit 0
        cd "$MTA_CACHE" || exit 1
        rm -rf debs sendmail-root.new
        mkdir -p debs && cd debs || exit 1
        if ! timeout 300 apt-get download sendmail-bin sendmail-cf >../download.log 2>&1; then
            # The package lists may never have been fetched on this machine.
            timeout 600 apt-get update >>../download.log 2>&1
            timeout 300 apt-get download sendmail-bin sendmail-cf >>../download.log 2>&1 || exit 1
        fi
        mkdir ../sendmail-root.new
        for d in ./*.deb; do dpkg -x "$d" ../sendmail-root.new || exit 1; done
        rm -rf "$SM_ROOT" && mv ../sendmail-root.new "$SM_ROOT"
    ) 9>"$MTA_CACHE/.lock" || bail_out "could not download/unpack sendmail-bin and sendmail-cf (apt-get download; run apt-get update first)" "$MTA_CACHE/download.log"
    local missing
    missing=$(ldd "$SM_ROOT/usr/libexec/sendmail/sendmail" 2>&1 | grep 'not found')
    [ -z "$missing" ] || bail_out "Sendmail needs libraries that are not installed (apt-get install libwrap0 libldap-2.5-0 libsasl2-2 libdb5.3 libnsl2)" "$missing"
}

# sendmail_setup DIR SMTP_PORT MILTER_SOCKET: generate DIR/sendmail.cf.
sendmail_setup() {
    local dir=$1 port=$2 milter=$3 cf=$SM_ROOT/usr/share/sendmail/cf
    mkdir -p "$dir/mqueue" "$dir/tls"
    chmod 700 "$dir/mqueue"
    [ -f "$MTA_DIR/tls/cert.pem" ] || make_cert "$MTA_DIR/tls"
    cp "$MTA_DIR/tls/cert.pem" "$MTA_DIR/tls/key.pem" "$dir/tls/"
    chmod 600 "$dir/tls/key.pem"
    printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s %s\n' "$MTA_HOSTNAME" "${MTA_HOSTNAME%%.*}" >"$dir/hosts"
    : >"$dir/aliases"
    cat >"$dir/sendmail.mc" <<EOF
divert(-1)
# throwaway Sendmail for mtasts-milter tests (tests/mta/lib.sh)
divert(0)dnl
include(\`$cf/m4/cf.m4')dnl
VERSIONID(\`mtasts-milter test')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`$MTA_HOSTNAME')dnl
define(\`QUEUE_DIR', \`$dir/mqueue')dnl
define(\`confPID_FILE', \`$dir/sendmail.pid')dnl
define(\`STATUS_FILE', \`$dir/statistics')dnl
define(\`ALIAS_FILE', \`$dir/aliases')dnl
define(\`confHELP_FILE', \`')dnl
define(\`confCACERT_PATH', \`$dir/tls')dnl
define(\`confCACERT', \`$dir/tls/cert.pem')dnl
define(\`confSERVER_CERT', \`$dir/tls/cert.pem')dnl
define(\`confSERVER_KEY', \`$dir/tls/key.pem')dnl
define(\`confDELIVERY_MODE', \`queueonly')dnl
define(\`confDONT_BLAME_SENDMAIL', \`TrustStickyBit')dnl
define(\`confLOG_LEVEL', \`14')dnl
define(\`confTO_IDENT', \`0s')dnl
define(\`confBIND_OPTS', \`-DNSRCH -DEFNAMES')dnl
define(\`confMILTER_LOG_LEVEL', \`14')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`accept_unresolvable_domains')dnl
FEATURE(\`accept_unqualified_senders')dnl
LOCAL_DOMAIN(\`$MTA_HOSTNAME')dnl
RELAY_DOMAIN(\`example.org enforced.example other.example')dnl
DAEMON_OPTIONS(\`Port=$port, Addr=127.0.0.1, Name=MTA')dnl
dnl The milter asks for the TLS macros at MAIL FROM itself (smfi_setsymlist):
dnl no confMILTER_MACROS_ENVFROM here, so the tests prove that it does.
INPUT_MAIL_FILTER(\`mtasts', \`S=$milter, F=T, T=C:10s;S:10s;R:10s;E:30s')dnl
MAILER(\`local')dnl
MAILER(\`smtp')dnl
EOF
    m4 "$dir/sendmail.mc" >"$dir/sendmail.cf" 2>"$dir/m4.log" ||
        bail_out "m4 could not build sendmail.cf" "$dir/m4.log"
}

# The syslog listener: Sendmail logs only to /dev/log; inside its mount
# namespace /dev/log is a symlink to this datagram socket.
syslog_start() {
    local sock=$1 out=$2
    rm -f "$sock"
    : >"$out"
    spawn "$out.err" python3 -u -c '
import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
with open(sys.argv[2], "ab", buffering=0) as out:
    while True:
        msg = s.recv(65536).rstrip(b"\0\n")
        out.write(msg.replace(b"\n", b" ") + b"\n")
' "$sock" "$out"
    SM_SYSLOG_PID=$SPAWN_PID
    wait_until "$MTA_WAIT" test -S "$sock" || bail_out "syslog listener did not start" "$out.err"
}

# sendmail_start DIR SMTP_PORT: run "sendmail -bD" in its own UTS + mount
# namespace (FQDN host name, private /etc/hosts and /dev/log), wait for 220.
sendmail_start() {
    local dir=$1 port=$2
    syslog_start "$dir/log.sock" "$dir/syslog"
    mkdir -p "$dir/olddev"
    # shellcheck disable=SC2016
    spawn "$dir/sendmail.out" unshare -m -u sh -c '
        set -e
        dir=$1; host=$2; sm=$3
        mount --bind "$dir/hosts" /etc/hosts
        hostname "$host"
        # a private /dev with the few nodes Sendmail uses, /dev/log -> our socket
        mount --rbind /dev "$dir/olddev"
        mount -t tmpfs -o mode=755 mtasts-dev /dev
        for n in null zero full random urandom tty; do
            touch "/dev/$n"; mount --bind "$dir/olddev/$n" "/dev/$n"
        done
        ln -s /proc/self/fd /dev/fd
        ln -s "$dir/log.sock" /dev/log
        exec "$sm" -C "$dir/sendmail.cf" -bD
    ' sendmail-ns "$dir" "$MTA_HOSTNAME" "$SM_ROOT/usr/libexec/sendmail/sendmail"
    SM_PID=$SPAWN_PID
    SM_DIR=$dir
    wait_until "$MTA_WAIT" sendmail_up "$port" ||
        bail_out "no SMTP banner from Sendmail on 127.0.0.1:$port within ${MTA_WAIT}s" \
            "$dir/sendmail.out" "$dir/syslog"
    note "sendmail pid $SM_PID on 127.0.0.1:$port"
}
sendmail_up() {
    proc_alive "$SM_PID" || bail_out "sendmail exited at start" "$SM_DIR/sendmail.out" "$SM_DIR/syslog"
    smtp_ready "$1"
}

sendmail_stop() {
    [ -n "$SM_PID" ] && stop_pid "$SM_PID" 10
    SM_PID=
    [ -n "$SM_SYSLOG_PID" ] && stop_pid "$SM_SYSLOG_PID" 5
    SM_SYSLOG_PID=
}

# sendmail_qf DIR QUEUEID: the stored queue file (headers as H??Name: value)
sendmail_qf() { cat "$1/mqueue/qf$2" 2>/dev/null; }

# ---------------------------------------------------------------------------
# Test-case helpers: one TAP line per case, every failed expectation listed
# ---------------------------------------------------------------------------
T_ERRS=()
T_FILES=()
t_begin() { T_ERRS=(); T_FILES=(); }
t_fail() { T_ERRS+=("$*"); }
t_files() { T_FILES+=("$@"); }
t_end() {
    if [ "${#T_ERRS[@]}" -eq 0 ]; then
        ok "$1"
    else
        not_ok "$1" "${T_ERRS[@]}" "${T_FILES[@]}"
    fi
}

# reply_after OUT CMD_ERE: the first server reply line after the client
# command line matching CMD_ERE (swaks " -> " / " ~> " lines).
reply_after() {
    awk -v cmd="$2" '
        found && /^<[-~*]/ { sub(/^<[-~*]+ +/, ""); print; exit }
        /^ [-~]> / { line = $0; sub(/^ [-~]> /, "", line); if (line ~ cmd) found = 1 }
    ' "$1"
}

# expect_reply_after OUT CMD_ERE REPLY_ERE
expect_reply_after() {
    local r
    r=$(reply_after "$1" "$2")
    printf '%s\n' "$r" | grep -Eq -- "^$3" ||
        t_fail "reply to /$2/ is '${r:-<none>}', expected /^$3/ ($1)"
}

expect_reply() { reply_in "$1" "$2" || t_fail "no server reply /^$2/ in $1"; }
expect_no_reply() { ! reply_in "$1" "$2" || t_fail "unexpected server reply /^$2/ in $1"; }

# log_tokens FILE MARK TOKEN...: one line after MARK holds every TOKEN as a
# whole space-separated word (order free: key=value fields).
log_tokens() {
    local f=$1 m=$2
    shift 2
    awk -v from="$m" -v toks="$(printf '%s\001' "$@")" '
        BEGIN { n = split(toks, t, "\001") - 1 }
        NR > from {
            nw = split($0, w, /[ \t]+/); delete have
            for (i = 1; i <= nw; i++) have[w[i]] = 1
            for (i = 1; i <= n; i++) if (!(t[i] in have)) next
            found = 1; exit
        }
        END { exit !found }' "$f"
}

# expect_log MARK TOKEN...: the milter logged such a line (waits up to 10 s).
expect_log() {
    local m=$1
    shift
    wait_until 10 log_tokens "$MILTER_LOG" "$m" "$@" ||
        t_fail "milter log has no line with: $*"
}

# milter_restart CONFIG LINE...: (re)start the milter with a new config.
milter_conf_n=0
milter_restart() {
    milter_stop 10
    milter_conf_n=$((milter_conf_n + 1))
    MILTER_CONF=$MTA_DIR/mtasts-milter.$milter_conf_n.conf
    milter_conf "$MILTER_CONF" "$@"
    milter_start "$MILTER_CONF"
}

# ---------------------------------------------------------------------------
# The core cases, the same for Postfix and Sendmail.  The MTA script defines:
#   mta_stored ID     - the stored message (envelope + headers) on stdout
#   mta_envelope ID   - the stored envelope recipients on stdout
#   mta_queue_count   - number of messages in the MTA's queue
#   MTA_LOG           - the MTA's own log file (diagnostics)
# Each case asserts something an accept-everything milter cannot produce:
# the configured 550 5.7.1 text or the milter's own decision log line.
# ---------------------------------------------------------------------------
REJECT_TEXT="STARTTLS is required by the mtasts test policy"

# reject_ere ADDR: the reply the MTA sends for the milter's reject of ADDR.
# Postfix passes the milter's text through; Sendmail puts "<ADDR>... " before
# the text at MAIL FROM and RCPT TO (it does so for its own replies too).
reject_ere() {
    local a
    a=$(printf '%s' "$1" | sed 's/[.[\*^$+?(){}|]/\\&/g')
    if [ "$MTA_NAME" = sendmail ]; then
        echo "550 5\\.7\\.1 <$a>\\.\\.\\. $REJECT_TEXT\$"
    else
        echo "550 5\\.7\\.1 $REJECT_TEXT\$"
    fi
}
TLS_RECEIVED_ERE='(using |version=)TLSv1\.3'
# shellcheck disable=SC2034 # the plan of postfix.sh and sendmail.sh
CORE_TESTS=8

expect_queued() {   # OUT: a 250 "queued" reply, sets QID
    QID=$(queue_id "$1")
    [ -n "$QID" ] || t_fail "message not queued (no 250 queued/accepted reply) in $1"
}

core_cases() {
    local d=$MTA_DIR o m q0 st

    # 1. enforce: plaintext rejected at MAIL FROM with the configured text
    milter_restart 'mode = "enforce"' 'exempt_networks = {}' \
        "reject_message = \"$REJECT_TEXT\""
    t_begin
    o=$d/c1-enforce-plain.out
    q0=$(mta_queue_count)
    smtp_send "$o" --to user@example.org
    expect_reply_after "$o" '^MAIL FROM:' "$(reject_ere sender@example.net)"
    [ "$SWAKS_RC" = 23 ] || t_fail "swaks exit $SWAKS_RC, expected 23 (MAIL rejected)"
    expect_log 0 action=reject reason=plaintext mode=enforce stage=mail tls=none \
        'from=<sender@example.net>'
    [ "$(mta_queue_count)" = "$q0" ] || t_fail "queue grew from $q0 to $(mta_queue_count)"
    t_files "$o" "$MILTER_LOG"
    t_end "$MTA_NAME enforce: plaintext MAIL FROM rejected with 550 5.7.1 and the configured text"

    # 2. enforce: STARTTLS accepted and stored
    t_begin
    o=$d/c2-enforce-tls.out
    m=$(log_mark "$MILTER_LOG")
    smtp_send "$o" --to user@example.org --tls
    expect_reply_after "$o" '^MAIL FROM:' '250 '
    expect_queued "$o"
    if [ -n "$QID" ]; then
        st=$d/c2-stored.txt
        mta_stored "$QID" >"$st" 2>&1
        grep -q 'Subject: mtasts-milter test c2-enforce-tls.out' "$st" ||
            t_fail "stored message $QID lacks its Subject"
        grep -Eq "$TLS_RECEIVED_ERE" "$st" ||
            t_fail "stored message $QID has no TLSv1.3 Received trace"
        t_files "$st"
    fi
    expect_log "$m" action=accept tls=TLSv1.3
    t_files "$o" "$MILTER_LOG" "$MTA_LOG"
    t_end "$MTA_NAME enforce: STARTTLS message accepted (250), stored, logged action=accept tls=TLSv1.3"

    # 3. enforce: EHLO, STARTTLS, MAIL without a second EHLO: the HELO-stage
    #    macros are the pre-TLS ones, so this passes only when the milter
    #    asked for the TLS macros at MAIL FROM (smfi_setsymlist).
    t_begin
    o=$d/c3-no-second-ehlo.out
    m=$(log_mark "$MILTER_LOG")
    smtp_dialog "$o" ehlo starttls mail:sender@example.net rcpt:user@example.org data quit
    grep -q '^=== TLS started' "$o" || t_fail "STARTTLS did not start"
    expect_reply_after "$o" '^MAIL FROM:' '250 '
    expect_reply_after "$o" '^<message>' '250 '
    expect_log "$m" action=accept tls=TLSv1.3
    t_files "$o" "$MILTER_LOG"
    t_end "$MTA_NAME enforce: STARTTLS then MAIL without a second EHLO is seen as TLS"

    # 4. testing: plaintext accepted, logged as would-reject
    milter_restart 'mode = "testing"' 'exempt_networks = {}' \
        "reject_message = \"$REJECT_TEXT\""
    t_begin
    o=$d/c4-testing-plain.out
    smtp_send "$o" --to user@example.org
    expect_reply_after "$o" '^MAIL FROM:' '250 '
    expect_reply_after "$o" '^RCPT TO:' '250 '
    expect_queued "$o"
    expect_no_reply "$o" '5[0-9][0-9] '
    expect_log 0 action=would-reject reason=plaintext mode=testing
    t_files "$o" "$MILTER_LOG"
    t_end "$MTA_NAME testing: plaintext accepted and logged action=would-reject"

    # 5. enforce with 127.0.0.0/8 exempt: plaintext accepted, logged exempt
    milter_restart 'mode = "enforce"' 'exempt_networks = {"127.0.0.0/8"}' \
        "reject_message = \"$REJECT_TEXT\""
    t_begin
    o=$d/c5-exempt-network.out
    smtp_send "$o" --to user@example.org
    expect_reply_after "$o" '^MAIL FROM:' '250 '
    expect_queued "$o"
    expect_log 0 action=exempt reason=network
    t_files "$o" "$MILTER_LOG"
    t_end "$MTA_NAME enforce: client in exempt_networks accepted in plaintext, logged action=exempt reason=network"

    # 6. global off + one enforced domain: only that domain's RCPT is refused
    milter_restart 'mode = "off"' 'exempt_networks = {}' \
        "reject_message = \"$REJECT_TEXT\"" \
        'domain "enforced.example" { mode = "enforce" }'
    t_begin
    o=$d/c6-domain.out
    smtp_send "$o" --to a@enforced.example,b@other.example
    expect_reply_after "$o" '^MAIL FROM:' '250 '
    expect_reply_after "$o" '^RCPT TO:<a@enforced\.example>' "$(reject_ere a@enforced.example)"
    expect_reply_after "$o" '^RCPT TO:<b@other\.example>' '250 '
    expect_queued "$o"
    if [ -n "$QID" ]; then
        st=$d/c6-envelope.txt
        mta_envelope "$QID" >"$st" 2>&1
        grep -q 'b@other\.example' "$st" || t_fail "b@other.example is not a stored recipient"
        ! grep -q 'enforced\.example' "$st" || t_fail "a@enforced.example was stored as a recipient"
        t_files "$st"
    fi
    expect_log 0 action=reject reason=plaintext mode=enforce stage=rcpt \
        'rcpt=<a@enforced.example>'
    t_files "$o" "$MILTER_LOG"
    t_end "$MTA_NAME per-domain enforce: RCPT TO enforced.example rejected with 550 5.7.1, other.example accepted"

    # 7. min_tls_version = TLSv1.3: a TLSv1.2 session is refused
    milter_restart 'mode = "enforce"' 'exempt_networks = {}' \
        "reject_message = \"$REJECT_TEXT\"" 'min_tls_version = "TLSv1.3"'
    t_begin
    o=$d/c7-tls12.out
    smtp_send "$o" --to user@example.org --tls --tls-protocol tlsv1_2
    grep -q 'TLS started with cipher TLSv1\.2' "$o" || t_fail "swaks did not negotiate TLSv1.2"
    expect_reply_after "$o" '^MAIL FROM:' "$(reject_ere sender@example.net)"
    expect_log 0 action=reject reason=weak-tls tls=TLSv1.2
    t_files "$o" "$MILTER_LOG"
    t_end "$MTA_NAME min_tls_version TLSv1.3: TLSv1.2 session rejected with 550 5.7.1 (weak-tls)"

    # 8. ... and a TLSv1.3 session under the same configuration is accepted
    t_begin
    o=$d/c8-tls13.out
    m=$(log_mark "$MILTER_LOG")
    smtp_send "$o" --to user@example.org --tls --tls-protocol tlsv1_3
    grep -q 'TLS started with cipher TLSv1\.3' "$o" || t_fail "swaks did not negotiate TLSv1.3"
    expect_reply_after "$o" '^MAIL FROM:' '250 '
    expect_queued "$o"
    expect_log "$m" action=accept tls=TLSv1.3
    t_files "$o" "$MILTER_LOG"
    t_end "$MTA_NAME min_tls_version TLSv1.3: TLSv1.3 session accepted"
}
