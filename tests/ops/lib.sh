# lib.sh - shared helpers of the operations tests (reload, statistics):
# a private work directory, starting and stopping the daemon; TAP output
# and the binary (find_milter) come from tests/lib/tap.sh.
# Sourced by reload.sh and stats.sh.

: "${MILTERTEST:=miltertest}"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/tap.sh
. "$here/../lib/tap.sh"
work=$(mktemp -d /tmp/mtasts-ops.XXXXXX)
daemon_pid=
cleanup() {
	[ -n "$daemon_pid" ] && kill -TERM "$daemon_pid" 2>/dev/null
	[ -n "$daemon_pid" ] && wait "$daemon_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

require_miltertest() {
	if ! command -v "$MILTERTEST" >/dev/null 2>&1; then
		echo "1..0 # SKIP miltertest not installed"
		exit 0
	fi
	find_milter
}

# wait_for COUNT PATTERN FILE: until FILE has COUNT lines matching PATTERN
# (WAIT_SECONDS at most, default 10).
wait_for() {
	local i
	for i in $(seq $(( ${WAIT_SECONDS:-10} * 20 ))); do
		[ "$(grep -c -- "$2" "$3" 2>/dev/null)" -ge "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# start_daemon CONF: runs the daemon in the foreground on $work/m.sock.
start_daemon() {
	rm -f "$work/m.sock"
	"$MTASTS_MILTER" -f -c "$1" -p "unix:$work/m.sock" \
	    2>>"$work/daemon.log" &
	daemon_pid=$!
	local i
	for i in $(seq 200); do
		[ -S "$work/m.sock" ] && return 0
		kill -0 "$daemon_pid" 2>/dev/null || break
		sleep 0.05
	done
	echo "# daemon did not start:"; diag < "$work/daemon.log"
	return 1
}

# stop_daemon: SIGTERM; true when it was gone within 2 s.
stop_daemon() {
	local i
	kill -TERM "$daemon_pid" 2>/dev/null
	for i in $(seq 40); do
		if ! kill -0 "$daemon_pid" 2>/dev/null; then
			wait "$daemon_pid" 2>/dev/null
			daemon_pid=
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# mt SCRIPT [NAME=VALUE...]: runs a miltertest script against the daemon.
mt() {
	local script=$1 defs=() d
	shift
	for d in "$@"; do defs+=(-D "$d"); done
	"$MILTERTEST" -D "socket=unix:$work/m.sock" "${defs[@]}" \
	    -s "$here/$script"
}

# metric NAME{LABELS}: its value in the stats file, after SIGUSR1.
metric() {
	awk -v k="$1" '$1 == k { print $2 }' "$work/stats.prom"
}
dump_stats() {
	rm -f "$work/stats.prom"
	kill -USR1 "$daemon_pid"
	local i
	for i in $(seq 200); do
		[ -s "$work/stats.prom" ] && return 0
		sleep 0.05
	done
	return 1
}
