#!/bin/sh
# tests/downgrade/fleet.sh - two milters (a fleet of two MX hosts) share
# one TLS history in a real redis-server on 127.0.0.1, started here on a
# free port and stopped after.  TAP.
#
#   1. three TLS transactions through milter A; milter B sees the network
#      protected (-H) and answers plaintext from it with 451 (tempfail);
#   2. redis-server killed mid-traffic: both milters keep answering at
#      once (testing mode decides, no 451), history errors are counted in
#      the statistics file;
#   3. redis-server back (same data, append-only file): B protects again.
#
# Environment: MTASTS_MILTER, top_srcdir, top_builddir; MTSEND (default
# $top_builddir/tests/bench/mtsend).  Needs redis-server and python3.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/lib/tap.sh"
find_milter
MTSEND=${MTSEND:-$top_builddir/tests/bench/mtsend}
for need in redis-server python3; do
	command -v "$need" >/dev/null 2>&1 ||
	    bail_out "$need not installed (contrib/install-deps)"
done
[ -x "$MTSEND" ] || bail_out "no $MTSEND"

base=${TMPDIR:-/tmp}
[ ${#base} -gt 60 ] && base=/tmp
tmp=$(mktemp -d "$base/mtasts-fleet.XXXXXX") || exit 1
pids=
redis_pid=
cleanup() {
	for p in $pids $redis_pid; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

port=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

redis_up() {
	python3 - "$port" <<'PY'
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.5)
    s.sendall(b"PING\r\n")
    sys.exit(0 if s.recv(16).startswith(b"+PONG") else 1)
except OSError:
    sys.exit(1)
PY
}
start_redis() {
	redis-server --bind 127.0.0.1 --port "$port" --save "" \
	    --appendonly yes --appendfsync always --dir "$tmp" \
	    --logfile "$tmp/redis.log" &
	redis_pid=$!
	i=0
	while [ $i -lt 200 ] && ! redis_up; do sleep 0.05; i=$((i + 1)); done
	redis_up
}

# milter NAME: conf + daemon; sets sock_NAME.
start_milter() {
	cat >"$tmp/$1.conf" <<EOC
mode = "testing"
downgrade = "tempfail"
exempt_networks = {}
history_db = "redis:127.0.0.1:$port"
history_key_prefix = "fleet-test:"
stats_file = "$tmp/$1.prom"
EOC
	"$MTASTS_MILTER" -f -d info -c "$tmp/$1.conf" -p "unix:$tmp/$1.sock" \
	    2>"$tmp/$1.log" </dev/null >/dev/null &
	pids="$pids $!"
	eval "pid_$1=$!"
	i=0
	while [ $i -lt 200 ]; do
		[ -S "$tmp/$1.sock" ] && grep -q 'started: ' "$tmp/$1.log" &&
		    return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# txn MILTER IP [tls]: one transaction; prints the RCPT reply code name.
txn() {
	set -- "$1" "$2" "${3:-}"
	tlsm=
	[ "$3" = tls ] && tlsm="-m M:{tls_version}=TLSv1.3"
	# shellcheck disable=SC2086
	"$MTSEND" -p "unix:$tmp/$1.sock" -T 5000 -a "$2" $tlsm -m M:i=F$$ \
	    -r "<u@example.org>" 2>&1 | sed -n "s/^step=rcpt reply=\\([a-z_-]*\\).*/\\1/p"
}

# history MILTER IP WANT: polls -H (bounded) until its line holds WANT.
history_has() {
	i=0
	while [ $i -lt 100 ]; do
		"$MTASTS_MILTER" -c "$tmp/$1.conf" -H "$2" 2>&1 | grep -q -- "$3" &&
		    return 0
		sleep 0.05
		i=$((i + 1))
	done
	"$MTASTS_MILTER" -c "$tmp/$1.conf" -H "$2" 2>&1 | sed 's/^/# -H: /'
	return 1
}

check "redis-server answers on 127.0.0.1:$port" start_redis
check "milter A starts" start_milter A
check "milter B starts" start_milter B

for i in 1 2 3; do txn A 192.0.2.10 tls >/dev/null; done
check "B sees what A learned (192.0.2.0/24 protected)" \
    history_has B 192.0.2.10 "protected tls=3 "
# gauge MILTER N: SIGUSR1, then polls (bounded) for the gauge at N.
gauge() {
	kill -USR1 "$(eval echo "\$pid_$1")"
	i=0
	while [ $i -lt 100 ]; do
		grep -qx "mtasts_milter_history_protected_networks $2" \
		    "$tmp/$1.prom" 2>/dev/null && return 0
		sleep 0.05
		i=$((i + 1))
	done
	grep protected_networks "$tmp/$1.prom" | sed 's/^/# /'
	return 1
}
check "B's statistics count the protected network A taught it" gauge B 1
r=$(txn B 192.0.2.77)
check "B: plaintext from the protected network gets a tempfail ($r)" \
    [ "$r" = replycode ]
r=$(txn B 198.51.100.1)
check "B: plaintext from another network is accepted ($r)" \
    [ "$r" = continue ]

kill -KILL "$redis_pid"
wait "$redis_pid" 2>/dev/null
redis_pid=
t0=$(date +%s)
good=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	r1=$(txn A 192.0.2.77)
	r2=$(txn B 192.0.2.78 tls)
	[ "$r1" = continue ] && [ "$r2" = continue ] &&
	    good=$((good + 1))
done
t1=$(date +%s)
check "Redis down: 20 transactions accepted, decided without history ($good/10 pairs)" \
    [ "$good" -eq 10 ]
check "Redis down: none of them waited (20 transactions in $((t1 - t0)) s)" \
    [ $((t1 - t0)) -le 5 ]
kill -USR1 "$pid_A"
i=0
while [ $i -lt 100 ] && ! grep -qs 'history_errors_total{backend="redis"} [1-9]' "$tmp/A.prom"; do
	sleep 0.05
	i=$((i + 1))
done
check "Redis down: errors counted in A's statistics" \
    grep -q 'history_errors_total{backend="redis"} [1-9]' "$tmp/A.prom"
check "Redis down: logged (at most once a minute)" \
    grep -q 'history (redis) .* failed' "$tmp/A.log"

check "redis-server back on the same port, same data" start_redis
# The reader reconnects at most once a second: poll the decision.
i=0
r=
while [ $i -lt 60 ]; do
	r=$(txn B 192.0.2.79)
	[ "$r" = replycode ] && break
	sleep 0.1
	i=$((i + 1))
done
check "Redis back: B protects the network again ($r)" [ "$r" = replycode ]
for p in $pids; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
pids=
done_testing
