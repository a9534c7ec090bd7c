# shellcheck shell=sh
# tests/lib/tap.sh - TAP output and the binary under test, for every
# shell suite (sourced; POSIX sh, also fine under bash).
#
# TAP (https://testanything.org), as build-aux/tap-driver.sh reads it:
#   tap_plan N            "1..N" (a plan up front)
#   done_testing          "1..N" for the N tests run (a plan at the end);
#                         true when none failed, so it can be the script's
#                         last command
#   tap_status            true when no test failed (for "exit")
#   ok DESC               "ok N - DESC"
#   not_ok DESC [DIAG..]  "not ok N - DESC", counted as a failure; DIAG as
#                         for diag
#   todo DESC             "not ok N - DESC" where DESC carries its own
#                         "# TODO reason": a known bug, not a failure
#   skip DESC REASON      "ok N - DESC # SKIP REASON"
#   tap_skip_all REASON   "1..0 # SKIP REASON" and exit 0 (before any test)
#   check DESC CMD...     ok DESC when CMD succeeds, else not_ok DESC
#   diag [TEXT|FILE...]   "# " comment lines: TEXT line by line, a
#                         readable FILE as its last 40 lines, nothing given:
#                         standard input
#   diag_file FILE [N]    the last N (20) lines of FILE as "#   " lines,
#                         nothing when FILE is empty or missing
#   bail_out REASON [DIAG..]  "Bail out! REASON" and exit 1: the run
#                         cannot go on (setup failed)
# Counters: tap_n (tests so far), tap_failed (failures so far).
#
# The binary under test: find_milter sets and exports MTASTS_MILTER to
# $MTASTS_MILTER when set (make check sets it), else
# $top_builddir/mtasts-milter, and bails out when neither is set or the
# file is not executable.  Every suite finds the daemon this way.

tap_n=0
tap_failed=0

tap_plan() { echo "1..$1"; }

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

tap_status() { [ "$tap_failed" -eq 0 ]; }

tap_skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

diag() {
	if [ $# -eq 0 ]; then
		sed 's/^/# /'
		return 0
	fi
	for tap_a in "$@"; do
		if [ -f "$tap_a" ] && [ -r "$tap_a" ]; then
			echo "# --- $tap_a (last 40 lines)"
			tail -n 40 "$tap_a" | sed 's/^/#   /'
		else
			printf '%s\n' "$tap_a" | sed 's/^/# /'
		fi
	done
	return 0
}

diag_file() {
	[ -s "$1" ] && tail -n "${2:-20}" "$1" | sed 's/^/#   /'
	return 0
}

ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $*"
}

not_ok() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $1"
	shift
	[ $# -eq 0 ] || diag "$@"
}

todo() {
	tap_n=$((tap_n + 1))
	echo "not ok $tap_n - $*"
}

skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1 # SKIP $2"
}

check() {
	tap_d=$1
	shift
	if "$@"; then
		ok "$tap_d"
	else
		not_ok "$tap_d"
	fi
}

bail_out() {
	tap_r=$1
	shift
	[ $# -eq 0 ] || diag "$@"
	echo "Bail out! $tap_r"
	exit 1
}

find_milter() {
	if [ -z "${MTASTS_MILTER:-}" ]; then
		[ -n "${top_builddir:-}" ] ||
		    bail_out "no mtasts-milter: set MTASTS_MILTER or top_builddir (make check sets both)"
		MTASTS_MILTER=$top_builddir/mtasts-milter
	fi
	[ -x "$MTASTS_MILTER" ] ||
	    bail_out "no executable mtasts-milter at $MTASTS_MILTER (set MTASTS_MILTER or top_builddir)"
	export MTASTS_MILTER
}
