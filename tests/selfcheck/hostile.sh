#!/bin/sh
# tests/selfcheck/hostile.sh - the self-check against hostile or broken
# SMTP endpoints (a small Python server on 127.0.0.1, one behaviour per
# case): garbage instead of a banner, nothing at all (the connection held
# open), a 100 KiB banner line, a 421 banner, and an MTA that answers EHLO
# but holds STARTTLS open.  For each: the daemon (enforce, self_check on
# that endpoint, interval 5 s, timeout 2 s) reaches the right state, keeps
# answering every transaction at once (550, or 451 in an outage), and
# stops within 2 s.  TAP.  Env: MTASTS_MILTER, MTSEND, top_srcdir, top_builddir.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/lib/tap.sh"
find_milter
MTSEND=${MTSEND:-$top_builddir/tests/bench/mtsend}
[ -x "$MTSEND" ] || bail_out "no $MTSEND (make check builds it)"
command -v python3 >/dev/null 2>&1 || bail_out "python3 not installed"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mtasts-sch.XXXXXX") || exit 1
srv= mil=
cleanup() {
	for p in $srv $mil; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# serve MODE: the hostile endpoint; its port in $tmp/port when listening.
serve() {
	rm -f "$tmp/port"
	python3 - "$1" "$tmp/port" <<'PY' &
import socket, sys, threading, time
mode, portfile = sys.argv[1], sys.argv[2]
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(16)
open(portfile + ".tmp", "w").write(str(ls.getsockname()[1]))
import os; os.rename(portfile + ".tmp", portfile)
def handle(c):
    try:
        if mode == "garbage":
            c.sendall(b"\x00\xff\x1b[2Jhello\r\nnot smtp at all\r\n")
        elif mode == "silent":
            time.sleep(60)
        elif mode == "longline":
            c.sendall(b"220 " + b"x" * 102400 + b"\r\n")
        elif mode == "busy":
            c.sendall(b"421 4.3.2 too busy\r\n")
        elif mode == "stall-starttls":
            c.sendall(b"220 mx.test.example ESMTP\r\n")
            f = c.makefile("rb")
            f.readline()
            c.sendall(b"250-mx.test.example\r\n250 STARTTLS\r\n")
            f.readline()
            time.sleep(60)
        time.sleep(60)
    except OSError:
        pass
    finally:
        c.close()
while True:
    c, _ = ls.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
PY
	srv=$!
	i=0
	while [ $i -lt 100 ] && [ ! -s "$tmp/port" ]; do sleep 0.05; i=$((i + 1)); done
	[ -s "$tmp/port" ]
}

state_is() {	# the statistics file (written on SIGUSR1) says state $1
	rm -f "$tmp/stats"
	kill -USR1 "$mil" 2>/dev/null
	i=0
	while [ $i -lt 40 ] && [ ! -s "$tmp/stats" ]; do sleep 0.05; i=$((i + 1)); done
	grep -q "mtasts_milter_self_check_state{state=\"$1\"} 1" "$tmp/stats"
}

# one_case NAME MODE STATE REPLY
one_case() {
	serve "$2" || { not_ok "$1: endpoint started"; return; }
	port=$(cat "$tmp/port")
	cat >"$tmp/conf" <<EOC
mode = "enforce"
exempt_networks = {}
self_check = "127.0.0.1:$port"
self_check_name = "mx.test.example"
self_check_interval = 5
self_check_timeout = 2
stats_file = "$tmp/stats"
EOC
	"$MTASTS_MILTER" -f -c "$tmp/conf" -p "unix:$tmp/sock" \
	    2>"$tmp/$1.log" </dev/null >/dev/null &
	mil=$!
	i=0
	while [ $i -lt 100 ] && ! grep -q 'started: ' "$tmp/$1.log"; do
		sleep 0.05; i=$((i + 1))
	done
	# The first probe ends within self_check_timeout (2 s).
	i=0
	while [ $i -lt 40 ] && ! state_is "$3"; do sleep 0.25; i=$((i + 1)); done
	if state_is "$3"; then
		ok "$1: state $3"
	else
		not_ok "$1: state $3" "$tmp/stats" "$tmp/$1.log"
	fi
	# Transactions are answered at once, with the usual reply.
	t0=$(date +%s)
	good=0
	for n in 1 2 3 4 5; do
		"$MTSEND" -p "unix:$tmp/sock" -T 3000 -a 192.0.2.$n \
		    -m M:i=H$n >"$tmp/out" 2>&1
		grep -q "^step=mail reply=replycode text=\"$4" "$tmp/out" &&
		    good=$((good + 1))
	done
	t1=$(date +%s)
	if [ "$good" -eq 5 ] && [ $((t1 - t0)) -le 3 ]; then
		ok "$1: 5 plaintext transactions answered $4 at once"
	else
		not_ok "$1: 5 plaintext transactions answered $4 at once ($good, $((t1 - t0)) s)" "$tmp/out"
	fi
	t0=$(date +%s)
	kill -TERM "$mil"
	wait "$mil"
	st=$?
	mil=
	t1=$(date +%s)
	if [ "$st" -eq 0 ] && [ $((t1 - t0)) -le 2 ]; then
		ok "$1: daemon stops within 2 s"
	else
		not_ok "$1: daemon stops within 2 s (status $st, $((t1 - t0)) s)"
	fi
	kill -KILL "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	srv=
}

one_case garbage garbage unreachable "550 5.7.1"
one_case silent silent unreachable "550 5.7.1"
one_case longline longline unreachable "550 5.7.1"
one_case busy busy unreachable "550 5.7.1"
# Banner and EHLO answered, STARTTLS never: the MTA's TLS is what fails.
one_case stall-starttls stall-starttls outage "451 4.7.0"
done_testing
