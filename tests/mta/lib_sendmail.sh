# shellcheck shell=bash
# tests/mta/lib_sendmail.sh - Sendmail (8.17 on Debian 12, 8.18 on 13) for the real-MTA tests: unpacked
# from its Debian packages into a cache (never installed), a generated
# sendmail.cf, a syslog listener, start and stop in a private UTS + mount
# namespace, the stored queue file.  Sourced by lib.sh; uses its helpers.

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
    [ -z "$missing" ] || bail_out "Sendmail needs libraries that are not installed (install the lib* packages \"apt-cache depends sendmail-bin\" lists; Debian 12: libwrap0 libldap-2.5-0)" "$missing"
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
