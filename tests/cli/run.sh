#!/bin/sh
# run.sh - TAP tests of the command line: the modes -r (report), -C
# (probe) and -n (print the configuration) exclude each other, and -j
# needs -r or -C.  A bad combination exits 2 with exactly one line on
# stderr saying why, and nothing on stdout (before, -r silently won over
# -C and -n, and a lone -j was ignored).
#
# Environment: MTASTS_MILTER (the binary), top_srcdir (both exported by
# make check).  Offline: the -C cases point the resolver at a closed
# loopback port with a one-second timeout, and every case reads stdin
# from /dev/null, so an old binary that runs a mode fails fast.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cli-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

. "$top_srcdir/tests/lib/tap.sh"
find_milter

conf=$tmp/m.conf
# The socket's directory does not exist: an old binary that started the
# daemon for a bad combination stops at once instead of staying around.
cat >"$conf" <<CONF
mode = "testing"
socket = "unix:$tmp/no-such-dir/m.sock"
check_resolver = "127.0.0.1#1"
check_timeout = 1
CONF
chmod 0644 "$conf"

# usage_error WHY ARGS...: exit 2, stdout empty, stderr one line holding WHY.
usage_error() {
	why=$1
	shift
	"$MTASTS_MILTER" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	lines=$(wc -l <"$tmp/err")
	if [ "$rc" -eq 2 ] && [ ! -s "$tmp/out" ] && [ "$lines" -eq 1 ] &&
	    grep -qF -- "mtasts-milter: $why" "$tmp/err"; then
		ok "$* -> exit 2, \"$why\""
	else
		not_ok "$* -> exit 2, \"$why\" (exit $rc, $lines stderr lines)"
		sed 's/^/# stderr: /' "$tmp/err" | head -n 5
		sed 's/^/# stdout: /' "$tmp/out" | head -n 5
	fi
}

# runs NAME WANT ARGS...: a valid combination exits WANT.
runs() {
	name=$1
	want=$2
	shift 2
	"$MTASTS_MILTER" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	if [ "$rc" -eq "$want" ]; then
		ok "$name"
	else
		not_ok "$name (exit $rc, want $want)"
		sed 's/^/# stderr: /' "$tmp/err" | head -n 5
	fi
}

usage_error "-r and -C cannot be combined" -r -c "$conf" -C a.example
usage_error "-C and -r cannot be combined" -c "$conf" -C a.example -r
usage_error "-r and -n cannot be combined" -r -n
usage_error "-n and -r cannot be combined" -n -r
usage_error "-n and -C cannot be combined" -n -c "$conf" -C a.example
usage_error "-C and -n cannot be combined" -c "$conf" -C a.example \
    -C b.example -n
usage_error "-H and -r cannot be combined" -H -r
usage_error "-n and -H cannot be combined" -n -H
usage_error "-j needs -r or -C" -H -j
usage_error "-j needs -r or -C" -j
usage_error "-j needs -r or -C" -j -c "$conf"
usage_error "-j needs -r or -C" -n -j -c "$conf"

runs "-r -j on empty input exits 0" 0 -r -j
runs "-r twice is still one mode" 0 -r -r
runs "-n -c FILE exits 0" 0 -n -c "$conf"

done_testing
