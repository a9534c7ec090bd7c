#!/bin/sh
# tests/fuzz/run.sh - build the libFuzzer targets, replay the regression
# inputs, fuzz each target for a bounded time; TAP, one test per target.
#
#   FUZZ_SECONDS   time per target (default 30)
#   FUZZ_CC        compiler (default clang; needs -fsanitize=fuzzer:
#                  Debian clang + libclang-rt-14-dev)
#   FUZZ_TARGETS   subset to run (default: all of them, the list below)
#   FUZZ_ARTIFACTS directory to copy crash/leak/timeout inputs into
#                  (default: none; they are shown as a hex dump)
#   top_srcdir     source tree (default: two levels up)
#
# Each target (tests/fuzz/fuzz_<target>.c, sharing tests/fuzz/fuzz.h) is
# compiled straight from the milter/*.c files it needs, and only those,
# with -fsanitize=fuzzer,address,undefined (UB is fatal), not through
# automake, so the fuzz build never depends on ./configure options.
# A target fails when it does not build, when a file in
# tests/fuzz/regressions/<target>/ crashes, leaks or times out, or when
# fuzzing (seeded from tests/fuzz/corpus/<target>/, new inputs kept in a
# scratch directory) finds a crash, leak, timeout or out-of-memory.

set -u
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
FUZZ_CC=${FUZZ_CC:-clang}
FUZZ_TARGETS=${FUZZ_TARGETS:-policy config netlist escape received report dnsrecord http smtpreply}
src=$top_srcdir/milter
fz=$top_srcdir/tests/fuzz

work=$(mktemp -d "${TMPDIR:-/tmp}/mtasts-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM

set -- $FUZZ_TARGETS
echo "1..$#"

sources() {
	case $1 in
	policy)   echo "$src/core/policy.c" "$src"/lib/decision.c \
	    "$src"/lib/dnsname.c "$src"/lib/errfmt.c "$src"/lib/fileread.c \
	    "$src"/lib/strv.c ;;
	config)   echo "$src"/core/*.c "$src"/lib/*.c ;;
	netlist)  echo "$src/lib/netlist.c" ;;
	escape)   echo "$src/lib/escape.c" ;;
	received) echo "$src/daemon/received.c" ;;
	report)   echo "$src/report/report_parse.c" "$src"/lib/*.c ;;
	dnsrecord) echo "$src/core/dnsrecord.c $src/core/policy.c" \
	    "$src"/lib/*.c ;;
	http)     echo "$src/net/http_parse.c" ;;
	smtpreply) echo "$src/net/smtp_reply.c" ;;
	esac
}

libs() {
	case $1 in
	config) pkg-config --libs libconfuse 2>/dev/null || echo -lconfuse ;;
	esac
}

# Shows a failing input as a hex dump and keeps a copy when asked to.
show_artifacts() {
	for a in "$work/art/$1"/*; do
		[ -f "$a" ] || continue
		echo "# artifact $(basename "$a") ($(wc -c <"$a") bytes):"
		od -A x -t x1z -v "$a" | head -16 | sed 's/^/#   /'
		if [ -n "${FUZZ_ARTIFACTS:-}" ]; then
			mkdir -p "$FUZZ_ARTIFACTS/$1" &&
			    cp "$a" "$FUZZ_ARTIFACTS/$1/" &&
			    echo "# kept as $FUZZ_ARTIFACTS/$1/$(basename "$a")"
		fi
	done
}

if ! command -v "$FUZZ_CC" >/dev/null 2>&1; then
	n=0
	for t; do
		n=$((n + 1))
		echo "ok $n - fuzz_$t # SKIP $FUZZ_CC not installed (Debian: clang libclang-rt-14-dev)"
	done
	exit 0
fi

opts="-timeout=10 -rss_limit_mb=2048 -detect_leaks=1 -print_final_stats=1"
failed=0
n=0
for t; do
	n=$((n + 1))
	bin=$work/fuzz_$t
	mkdir -p "$work/art/$t" "$work/corpus/$t"
	start=$(date +%s)
	# shellcheck disable=SC2046
	if ! "$FUZZ_CC" -g -O1 -std=gnu11 -D_GNU_SOURCE \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    -fno-omit-frame-pointer -I"$src" \
	    -o "$bin" "$fz/fuzz_$t.c" $(sources "$t") $(libs "$t") \
	    >"$work/build-$t.log" 2>&1; then
		echo "not ok $n - fuzz_$t: does not build"
		sed 's/^/# /' "$work/build-$t.log" | head -40
		failed=1
		continue
	fi
	# 1. Regression inputs: every file runs once, none may fail.
	regs=$(ls "$fz/regressions/$t" 2>/dev/null | wc -l)
	if [ "$regs" -gt 0 ] && ! (cd "$work/art/$t" &&
	    "$bin" $opts "$fz/regressions/$t"/*) >"$work/reg-$t.log" 2>&1; then
		echo "not ok $n - fuzz_$t: a regression input fails"
		grep -E 'ERROR|SUMMARY|invariant|Running:' "$work/reg-$t.log" |
		    tail -20 | sed 's/^/# /'
		failed=1
		continue
	fi
	# 2. Fuzz from the seeds; new inputs go to the scratch corpus.
	dict=
	[ -f "$fz/fuzz_$t.dict" ] && dict="-dict=$fz/fuzz_$t.dict"
	# shellcheck disable=SC2086
	"$bin" $opts $dict -max_total_time="$FUZZ_SECONDS" \
	    -artifact_prefix="$work/art/$t/" \
	    "$work/corpus/$t" "$fz/corpus/$t" >"$work/fuzz-$t.log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
	    "$work/fuzz-$t.log")
	cov=$(grep -o 'cov: [0-9]*' "$work/fuzz-$t.log" | tail -1)
	if [ "$rc" -eq 0 ] && ! ls "$work/art/$t"/* >/dev/null 2>&1; then
		echo "ok $n - fuzz_$t: $regs regression input(s), ${runs:-?} runs, $cov, ${secs}s"
	else
		echo "not ok $n - fuzz_$t: exit $rc after ${runs:-?} runs"
		grep -E '==ERROR|SUMMARY|invariant failed|runtime error|Timeout|out-of-memory' \
		    "$work/fuzz-$t.log" | head -10 | sed 's/^/# /'
		grep -A12 '==ERROR' "$work/fuzz-$t.log" | grep '#[0-9]' |
		    head -12 | sed 's/^/# /'
		show_artifacts "$t"
		failed=1
	fi
done
exit $failed
