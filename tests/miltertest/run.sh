#!/bin/sh
# tests/miltertest/run.sh - milter-protocol tests of mtasts-milter with
# miltertest (OpenDKIM's Lua-scripted MTA side).  Output: TAP.
#
# For every tests/miltertest/NAME.lua (lib.lua excepted) it starts
# "mtasts-milter -f -c NAME.conf -p unix:SOCKET" with stderr in a file,
# waits until the daemon says it started (polling, bounded), runs the
# script with miltertest, numbers the script's "ok - ..." lines, checks
# that the daemon is still alive, stops it with SIGTERM and checks that it
# exits (status 0, socket removed) within 2 seconds.  The scripts check the
# daemon's decision lines themselves (lib.lua reads the stderr file).
#
# Environment (make check exports them):
#   MTASTS_MILTER  the daemon (default $top_builddir/mtasts-milter)
#   top_builddir   build tree
#   MILTERTEST     miltertest (default: miltertest from PATH)
#   top_srcdir     source tree (default: two levels above this script)
#   MTSEND         tests/bench/mtsend (default: $top_builddir's, else
#                  compiled from tests/bench into the temporary directory)
#   CC             C compiler for that fallback (default cc)
#   KEEP=1         keep the temporary directory (logs) for debugging
set -u

here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
tdir=$top_srcdir/tests/miltertest
# shellcheck source=tests/lib/tap.sh
. "$top_srcdir/tests/lib/tap.sh"
MILTERTEST=${MILTERTEST:-miltertest}

if ! command -v "$MILTERTEST" >/dev/null 2>&1; then
	echo "1..0 # SKIP miltertest not installed"
	exit 0
fi
find_milter

# The daemon's unix socket lives in here: keep the path short (sun_path).
base=${TMPDIR:-/tmp}
[ ${#base} -gt 60 ] && base=/tmp
tmp=$(mktemp -d "$base/mtasts-mt.XXXXXX") || {
	echo "Bail out! mktemp failed"
	exit 1
}
daemon_pid=
cleanup() {
	if [ -n "$daemon_pid" ]; then
		kill -KILL "$daemon_pid" 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
	fi
	if [ "${KEEP:-0}" = 1 ]; then
		echo "# kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE


now_ms() {
	# GNU date prints nanoseconds; elsewhere fall back to whole seconds.
	t=$(date +%s%N 2>/dev/null)
	case $t in
	*N|'') echo $(( $(date +%s) * 1000 )) ;;
	*) echo $((t / 1000000)) ;;
	esac
}

# tests/bench/mtsend (built by make check) shows the exact SMTP reply
# text that miltertest cannot.  For a manual run without a build tree it
# is compiled here from its sources; without it those cases skip.
MTSEND=${MTSEND:-}
if [ -z "$MTSEND" ] && [ -x "${top_builddir:-.}/tests/bench/mtsend" ]; then
	MTSEND=${top_builddir:-.}/tests/bench/mtsend
fi
b=$top_srcdir/tests/bench
if [ -z "$MTSEND" ] && [ -f "$b/mtsend.c" ]; then
	if ${CC:-cc} -std=gnu11 -D_GNU_SOURCE -I"$b" -o "$tmp/mtsend" \
	    "$b/mtsend.c" "$b/mtclient.c" "$b/mtsteps.c" \
	    >"$tmp/mtsend.cc" 2>&1; then
		MTSEND=$tmp/mtsend
	else
		echo "# could not build tests/bench/mtsend (exact reply text cases skip):"
		diag_file "$tmp/mtsend.cc" 10
	fi
fi
case $MTSEND in
''|/*) ;;
*) MTSEND=$(pwd)/$MTSEND ;;
esac

# alive PID: the process exists and is not a zombie (kill -0 alone cannot
# tell a child that died but has not been waited for).
alive() {
	kill -0 "$1" 2>/dev/null || return 1
	if [ -r "/proc/$1/stat" ]; then
		state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
		[ "$state" != Z ] || return 1
	fi
	return 0
}

# A hung miltertest must not hang make check.
limit=
command -v timeout >/dev/null 2>&1 && limit="timeout 120"

# start_daemon NAME: starts the daemon on NAME.conf, waits until it is
# listening (at most 10 s).  Returns non-zero when it did not start.
start_daemon() {
	sock=$tmp/$1.sock
	log=$tmp/$1.log
	rm -f "$sock"
	"$MTASTS_MILTER" -f -d info -c "$tdir/$1.conf" -p "unix:$sock" \
	    >"$tmp/$1.out" 2>"$log" </dev/null &
	daemon_pid=$!
	i=0
	while [ $i -lt 200 ]; do
		if [ -S "$sock" ] && grep -q 'started: ' "$log"; then
			return 0
		fi
		if ! alive "$daemon_pid"; then
			wait "$daemon_pid" 2>/dev/null
			daemon_pid=
			return 1
		fi
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# stop_daemon NAME: SIGTERM, then the daemon must be gone within 2 s with
# status 0 and its socket removed.
stop_daemon() {
	t0=$(now_ms)
	kill -TERM "$daemon_pid"
	# Watchdog: a daemon that hangs is killed after 2 s (status 137).
	( sleep 2; kill -KILL "$daemon_pid" 2>/dev/null ) >/dev/null 2>&1 &
	watchdog=$!
	wait "$daemon_pid"
	st=$?
	t1=$(now_ms)
	kill "$watchdog" 2>/dev/null
	wait "$watchdog" 2>/dev/null
	daemon_pid=
	ms=$((t1 - t0))
	if [ "$st" -eq 0 ] && [ "$ms" -le 2000 ]; then
		ok "$1: daemon exits within 2 s of SIGTERM (${ms} ms)"
	else
		not_ok "$1: daemon exits within 2 s of SIGTERM (status $st after ${ms} ms)"
		diag_file "$log" 5
	fi
	if [ -e "$sock" ]; then
		not_ok "$1: socket removed on exit"
	else
		ok "$1: socket removed on exit"
	fi
}

for script in "$tdir"/*.lua; do
	name=$(basename "$script" .lua)
	[ "$name" = lib ] && continue
	if [ ! -f "$tdir/$name.conf" ]; then
		not_ok "$name: no $name.conf"
		continue
	fi
	if ! start_daemon "$name"; then
		not_ok "$name: daemon starts and listens"
		diag_file "$log"
		[ -n "$daemon_pid" ] && kill -KILL "$daemon_pid" 2>/dev/null
		daemon_pid=
		continue
	fi
	$limit "$MILTERTEST" -D SOCK="unix:$sock" -D LOG="$log" \
	    -D LIB="$tdir/lib.lua" -D MTSEND="$MTSEND" \
	    -s "$script" >"$tmp/$name.tap" 2>"$tmp/$name.mterr"
	rc=$?
	done_seen=no
	while IFS= read -r line; do
		case $line in
		"ok - "*)	ok "$name: ${line#ok - }" ;;
		"not ok - "*"# TODO "*)
				todo "$name: ${line#not ok - }" ;;
		"not ok - "*)	not_ok "$name: ${line#not ok - }" ;;
		"#-done "*)	done_seen=yes ;;
		"#"*)		echo "$line" ;;
		*)		echo "# $line" ;;
		esac
	done <"$tmp/$name.tap"
	if [ "$rc" -eq 0 ] && [ "$done_seen" = yes ]; then
		ok "$name: script ran to its end"
	else
		not_ok "$name: script ran to its end (miltertest status $rc)"
		diag_file "$tmp/$name.mterr"
		diag_file "$log" 10
	fi
	if alive "$daemon_pid"; then
		ok "$name: daemon still running after the script"
	else
		not_ok "$name: daemon still running after the script"
		diag_file "$log"
	fi
	stop_daemon "$name"
	# Errors the daemon logs when a milter call fails, and sanitizer
	# reports (the ASan/UBSan build runs this suite too).
	if grep -E 'smfi_setreply|smfi_insheader|cannot build|out of memory|smfi_setsymlist failed|Sanitizer|runtime error:' \
	    "$log" >"$tmp/$name.errs"; then
		not_ok "$name: no milter API error or sanitizer report in the daemon log"
		diag_file "$tmp/$name.errs"
	else
		ok "$name: no milter API error or sanitizer report in the daemon log"
	fi
done

done_testing
