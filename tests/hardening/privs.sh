#!/bin/sh
# tests/hardening/privs.sh - privileges and file modes (issue 6, item 5);
# TAP.  Needs root: it starts the daemon as root with "user" set.
#
# Checks: every thread of the daemon runs as the configured user (real,
# effective, saved and file-system uid and gid, no supplementary group
# root); the unix socket is mode 0660, owned by the user and its group;
# pidfile and stats file are not world-writable; the daemon refuses to
# start on a configuration file that others can write (and -n says why);
# a reload of a configuration made world-writable is refused and the old
# one stays; SIGTERM removes socket and pidfile.
#
# The test user is MTASTS_TEST_USER (default mtasts-test), created with
# useradd when missing.  Environment: MTASTS_MILTER, top_builddir.

set -u
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP must run as root"
	exit 0
fi
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
# shellcheck source=tests/lib/tap.sh
. "$top_srcdir/tests/lib/tap.sh"
user=${MTASTS_TEST_USER:-mtasts-test}

work=$(mktemp -d "${TMPDIR:-/tmp}/mtasts-privs.XXXXXX") || exit 1
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

find_milter
tap_plan 11
# wait_for SECONDS COMMAND...: polls every 0.1 s.
wait_for() {
	limit=$(($1 * 10))
	shift
	i=0
	until "$@"; do
		i=$((i + 1))
		[ $i -ge $limit ] && return 1
		sleep 0.1
	done
	return 0
}

if ! id "$user" >/dev/null 2>&1; then
	useradd --system --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin "$user" >/dev/null 2>&1 ||
	    adduser --system --group --no-create-home "$user" >/dev/null 2>&1
fi
check "test user $user exists" sh -c "id '$user' >/dev/null 2>&1"
uid=$(id -u "$user")
gid=$(id -g "$user")
group=$(id -gn "$user")

# The run directory belongs to the user, as systemd's RuntimeDirectory
# would: it must remove socket and pidfile and rename the stats file.
chmod 0711 "$work"
mkdir "$work/run"
chown "$user:$group" "$work/run"
chmod 0750 "$work/run"
conf=$work/mtasts-milter.conf
cat >"$conf" <<EOF
socket = "unix:$work/run/milter.sock"
mode = "enforce"
user = "$user"
pidfile = "$work/run/milter.pid"
stats_file = "$work/run/stats.prom"
stats_interval = 3600
EOF
chmod 0644 "$conf"

# --- a world-writable configuration is refused -------------------------
chmod 0666 "$conf"
out=$("$MTASTS_MILTER" -n -c "$conf" 2>&1)
rc=$?
check "-n refuses a world-writable configuration (exit $rc)" \
    test "$rc" -eq 1
case $out in
*"writable by others"*) check "-n says why: writable by others" true ;;
*) diag "$out"; check "-n says why: writable by others" false ;;
esac
"$MTASTS_MILTER" -f -c "$conf" >"$work/refused.log" 2>&1 &
rpid=$!
if wait_for 5 sh -c "! kill -0 $rpid 2>/dev/null"; then
	wait "$rpid"
	rc=$?
else
	kill -KILL "$rpid" 2>/dev/null
	rc=running
fi
check "the daemon refuses to start on it (exit $rc, no socket)" \
    sh -c "[ '$rc' = 1 ] && [ ! -e '$work/run/milter.sock' ]"
chmod 0644 "$conf"

# --- start as root, drop to the user ------------------------------------
"$MTASTS_MILTER" -f -c "$conf" >"$work/daemon.log" 2>&1 &
pid=$!
all_threads_user() {
	for s in /proc/"$pid"/task/*/status; do
		awk -v u="$uid" -v g="$gid" '
		    /^Uid:/ { if ($2 != u || $3 != u || $4 != u || $5 != u) bad = 1 }
		    /^Gid:/ { if ($2 != g || $3 != g || $4 != g || $5 != g) bad = 1 }
		    /^Groups:/ { for (i = 2; i <= NF; i++) if ($i == 0) bad = 1 }
		    END { exit bad }' "$s" 2>/dev/null || return 1
	done
	# libmilter's threads exist once smfi_main runs.
	[ "$(ls /proc/"$pid"/task | wc -l)" -ge 2 ]
}
sock_ok() {
	[ "$(stat -c '%a %U %G' "$work/run/milter.sock" 2>/dev/null)" = \
	    "660 $user $group" ]
}
wait_for 10 test -S "$work/run/milter.sock"
wait_for 5 all_threads_user
check "every thread runs as $user (uid/gid $uid/$gid: real, effective, saved, fs; no group 0)" \
    all_threads_user
[ -r "/proc/$pid/status" ] && diag "$(grep -E '^(Uid|Gid|Groups|Threads):' "/proc/$pid/status")"
wait_for 3 sock_ok
check "socket is 0660 $user:$group ($(stat -c '%a %U:%G' "$work/run/milter.sock" 2>/dev/null))" \
    sock_ok
not_world_writable() {
	[ -f "$1" ] && [ $(($(stat -c '0%a' "$1") & 2)) -eq 0 ]
}
pidfile_ok() {
	[ "$(cat "$work/run/milter.pid" 2>/dev/null)" = "$pid" ] &&
	    not_world_writable "$work/run/milter.pid"
}
check "pidfile holds the pid and is not world-writable ($(stat -c '%a %U' "$work/run/milter.pid" 2>/dev/null))" \
    pidfile_ok
kill -USR1 "$pid"
wait_for 5 test -f "$work/run/stats.prom"
check "stats file (SIGUSR1) exists, is not world-writable ($(stat -c '%a %U' "$work/run/stats.prom" 2>/dev/null))" \
    not_world_writable "$work/run/stats.prom"

# --- reload of a configuration made world-writable -----------------------
chmod 0666 "$conf"
sed -i 's/mode = "enforce"/mode = "off"/' "$conf"
kill -HUP "$pid"
reload_refused() {
	grep -q 'writable by others' "$work/daemon.log" &&
	    grep -q 'reload failed' "$work/daemon.log"
}
wait_for 5 reload_refused
check "SIGHUP with a world-writable configuration: refused, old one kept" \
    reload_refused
check "the daemon is still running as $user after the refused reload" \
    all_threads_user
chmod 0644 "$conf"

# --- stop ------------------------------------------------------------------
kill -TERM "$pid"
if wait_for 5 sh -c "! kill -0 $pid 2>/dev/null"; then
	wait "$pid"
	rc=$?
else
	rc=running
fi
pid=
check "SIGTERM: exit $rc, socket and pidfile removed" \
    sh -c "[ '$rc' = 0 ] && [ ! -e '$work/run/milter.sock' ] && [ ! -e '$work/run/milter.pid' ]"
tap_status || diag "$(cat "$work/daemon.log")"
tap_status
