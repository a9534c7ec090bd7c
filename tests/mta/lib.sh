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
#
# The helpers are split by job; this file sources the others from its own
# directory, so sourcing lib.sh alone is enough:
#   lib.sh           TAP output, requirements, temp dir, processes and
#                    cleanup, ports, the TLS certificate, the milter
#   lib_smtp.sh      SMTP clients: readiness probe, swaks, scripted dialog
#   lib_postfix.sh   Postfix in a private configuration directory
#   lib_sendmail.sh  Sendmail unpacked from its Debian packages
#   lib_cases.sh     test-case helpers and the core cases of both MTAs

MTA_HOSTNAME=mx.test.example          # the MTA's name (Sendmail needs an FQDN)
MTA_WAIT=${MTA_WAIT:-30}              # seconds for any single readiness wait
# shellcheck disable=SC2034 # read by lib_sendmail.sh
MTA_CACHE=${MTASTS_TEST_CACHE:-/var/cache/mtasts-milter-tests}
MTA_DIR=                              # private temp dir, set by mta_init
# (read by the scripts that source this file)
# shellcheck disable=SC2034
MTA_VERBOSE=${MTA_VERBOSE:-0}         # 1: print progress lines as TAP comments

# ---------------------------------------------------------------------------
# TAP output
# ---------------------------------------------------------------------------
# tap_plan, tap_skip_all (the only reason these tests ever skip: they
# start MTAs and need root), ok, not_ok DESC [DIAG|FILE...], skip, diag
# TEXT|FILE... and bail_out come from tests/lib/tap.sh.
# shellcheck source=tests/lib/tap.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../lib/tap.sh"

note() { [ "$MTA_VERBOSE" = 1 ] && echo "# $*"; return 0; }

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

require_milter() { find_milter; }

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
# The rest of the library, from this file's directory
# ---------------------------------------------------------------------------
MTA_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd) ||
    bail_out "cannot find the directory of tests/mta/lib.sh"
# shellcheck source=tests/mta/lib_smtp.sh
. "$MTA_LIB_DIR/lib_smtp.sh"
# shellcheck source=tests/mta/lib_postfix.sh
. "$MTA_LIB_DIR/lib_postfix.sh"
# shellcheck source=tests/mta/lib_sendmail.sh
. "$MTA_LIB_DIR/lib_sendmail.sh"
# shellcheck source=tests/mta/lib_cases.sh
. "$MTA_LIB_DIR/lib_cases.sh"
