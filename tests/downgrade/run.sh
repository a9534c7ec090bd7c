#!/bin/sh
# tests/downgrade/run.sh - downgrade protection end to end through the
# milter protocol (miltertest), with a real LMDB history.  TAP.
#
# For each of tempfail, log and reject: a fresh history, the daemon on
# downgrade-MODE.conf (history_db appended here, in a private directory),
# downgrade.lua PHASE=learn.  For tempfail also persistence: the daemon is
# restarted on the same history and downgrade.lua PHASE=again must still
# see the network protected; then SIGHUP, and PHASE=again once more.
# Finally: a history_db file that is not LMDB → the daemon starts, says
# "history off" and decides as if there were no history.
#
# Environment: MTASTS_MILTER, MILTERTEST, top_srcdir, top_builddir (make
# check exports them); MTSEND (default $top_builddir/tests/bench/mtsend).
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/lib/tap.sh"
MILTERTEST=${MILTERTEST:-miltertest}
MTSEND=${MTSEND:-$top_builddir/tests/bench/mtsend}
[ -x "$MTSEND" ] || MTSEND=
tdir=$top_srcdir/tests/downgrade
lib=$top_srcdir/tests/miltertest/lib.lua

command -v "$MILTERTEST" >/dev/null 2>&1 ||
    tap_skip_all "miltertest not installed"
find_milter
base=${TMPDIR:-/tmp}
[ ${#base} -gt 60 ] && base=/tmp
tmp=$(mktemp -d "$base/mtasts-dg.XXXXXX") || exit 1
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# start NAME CONF: the daemon in the foreground on a private socket; waits
# (bounded) until it logs that it started.
start() {
	sock=$tmp/$1.sock
	log=$tmp/$1.log
	: >"$log"
	"$MTASTS_MILTER" -f -d info -c "$2" -p "unix:$sock" 2>>"$log" \
	    </dev/null >/dev/null &
	pid=$!
	i=0
	while [ $i -lt 200 ]; do
		[ -S "$sock" ] && grep -q 'started: ' "$log" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}
stop() {
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
}

# script NAME CONF MODE PHASE: runs downgrade.lua, numbers its cases.
script() {
	timeout 120 "$MILTERTEST" -D SOCK="unix:$sock" -D LOG="$log" \
	    -D LIB="$lib" -D MTSEND="$MTSEND" -D MODE="$3" -D PHASE="$4" \
	    -D HISTORY="$MTASTS_MILTER -c $2 -H" \
	    -s "$tdir/downgrade.lua" >"$tmp/$1.tap" 2>"$tmp/$1.err"
	rc=$?
	done_seen=no
	while IFS= read -r line; do
		case $line in
		"ok - "*)	ok "$1: ${line#ok - }" ;;
		"not ok - "*)	not_ok "$1: ${line#not ok - }" ;;
		"#-done "*)	done_seen=yes ;;
		*)		echo "# $line" ;;
		esac
	done <"$tmp/$1.tap"
	if [ "$rc" -eq 0 ] && [ $done_seen = yes ]; then
		ok "$1: script ran to its end"
	else
		not_ok "$1: script ran to its end (status $rc)"
		sed 's/^/#   /' "$tmp/$1.err" | tail -5
		tail -5 "$log" | sed 's/^/#   /'
	fi
}

conf_for() {	# conf_for MODE DIR: the mode's conf with its history_db
	mkdir -p "$2"
	cp "$tdir/downgrade-$1.conf" "$2/mtasts-milter.conf"
	echo "history_db = \"lmdb:$2/history\"" >>"$2/mtasts-milter.conf"
	echo "$2/mtasts-milter.conf"
}

for mode in tempfail log reject; do
	conf=$(conf_for "$mode" "$tmp/$mode")
	if ! start "$mode" "$conf"; then
		not_ok "$mode: daemon starts"
		tail -5 "$log" | sed 's/^/#   /'
		continue
	fi
	script "$mode" "$conf" "$mode" learn
	if [ "$mode" = tempfail ]; then
		stop
		if start "$mode-restart" "$conf"; then
			script "$mode-restart" "$conf" "$mode" again
			kill -HUP "$pid"
			i=0
			while [ $i -lt 100 ] &&
			    ! grep -q 'configuration reloaded' "$log"; do
				sleep 0.05
				i=$((i + 1))
			done
			script "$mode-sighup" "$conf" "$mode" again
		else
			not_ok "$mode: daemon restarts on the same history"
		fi
	fi
	stop
done

# A corrupt history: the daemon starts with the history off and says so.
mkdir -p "$tmp/corrupt"
conf=$(conf_for tempfail "$tmp/corrupt")
head -c 65536 /dev/urandom >"$tmp/corrupt/history"
if start corrupt "$conf"; then
	ok "corrupt history file: the daemon starts"
	if grep -q 'history off' "$log"; then
		ok "corrupt history file: logged \"history off\""
	else
		not_ok "corrupt history file: logged \"history off\""
	fi
	stop
else
	not_ok "corrupt history file: the daemon starts"
	tail -5 "$log" | sed 's/^/#   /'
fi
done_testing
