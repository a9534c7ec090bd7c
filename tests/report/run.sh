#!/bin/sh
# run.sh - TAP tests of the rollout report, mtasts-milter -r [-j] [LOGFILE...]
#
# Runs $MTASTS_MILTER -r on the fixture logs in this directory (BSD syslog,
# ISO-8601 syslog, and -f stderr lines, with malformed lines among them)
# and on hostile input made here (NUL bytes, raw control and 8-bit bytes, a
# 100 kB line, CRLF, no final newline, a file name with a TAB), and
# compares the output with the expected files byte for byte.  The JSON
# outputs are also checked with python3 when it is installed.
#
# Environment: MTASTS_MILTER (the binary; default
# $top_builddir/mtasts-milter), top_srcdir, top_builddir (exported by make
# check).  To refresh an expected file after a deliberate format
# change, run the command shown in the failure and review the diff.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/tap.sh
. "$top_srcdir/tests/lib/tap.sh"
find_milter
fixtures=$top_srcdir/tests/report
tmp=$(mktemp -d "${TMPDIR:-/tmp}/report-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# same NAME EXPECTED ACTUAL: byte-for-byte comparison, diff as comments.
same() {
	if cmp -s "$2" "$3"; then
		ok "$1"
	else
		not_ok "$1"
		diff -u "$2" "$3" | sed 's/^/# /' | head -n 60
	fi
}

# status NAME WANT GOT
status() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1 (exit status $3, want $2)"
	fi
}

valid_json() {
	if ! command -v python3 >/dev/null 2>&1; then
		skip "$1" "python3 not installed"
	elif python3 -c 'import json,sys; json.load(open(sys.argv[1]))' \
	    "$2" 2>/dev/null; then
		ok "$1"
	else
		not_ok "$1"
	fi
}

# no_raw_bytes NAME FILE: only printable ASCII and newlines.
no_raw_bytes() {
	if [ "$(LC_ALL=C tr -d '\n -~' < "$2" | wc -c)" -eq 0 ]; then
		ok "$1"
	else
		not_ok "$1"
	fi
}

# Relative names, so FILE:LINE in the output does not depend on the tree.
cd "$fixtures" || exit 1

"$MTASTS_MILTER" -r fixture.log > "$tmp/out" 2> "$tmp/err"
status "text report exits 0" 0 $?
same "text report of fixture.log" fixture.out "$tmp/out"

"$MTASTS_MILTER" -r -j fixture.log > "$tmp/json" 2> "$tmp/err"
status "JSON report exits 0" 0 $?
same "JSON report of fixture.log" fixture.json "$tmp/json"
valid_json "JSON report of fixture.log is valid JSON" "$tmp/json"

# Downgrade (reason=downgrade, by network=) and tempfail lines.
"$MTASTS_MILTER" -r fixture-downgrade.log > "$tmp/out" 2> "$tmp/err"
status "downgrade report exits 0" 0 $?
same "text report of downgrades and tempfails" downgrade.out "$tmp/out"
"$MTASTS_MILTER" -r -j fixture-downgrade.log > "$tmp/json" 2> "$tmp/err"
same "JSON report of downgrades and tempfails" downgrade.json "$tmp/json"
valid_json "JSON report of downgrades is valid JSON" "$tmp/json"

"$MTASTS_MILTER" -r < fixture.log > "$tmp/out" 2> "$tmp/err"
status "report of standard input exits 0" 0 $?
same "standard input reads like the file" fixture.out "$tmp/out"

"$MTASTS_MILTER" -r fixture.log fixture-stderr.log fixture-iso.log \
    > "$tmp/out" 2> "$tmp/err"
status "report of three files exits 0" 0 $?
same "text report of three files" multi.out "$tmp/out"
"$MTASTS_MILTER" -r -j fixture.log fixture-stderr.log fixture-iso.log \
    > "$tmp/json" 2> "$tmp/err"
same "JSON report of three files" multi.json "$tmp/json"
valid_json "JSON report of three files is valid JSON" "$tmp/json"

"$MTASTS_MILTER" -r fixture.log missing.log > "$tmp/out" 2> "$tmp/err"
status "a missing file gives exit status 1" 1 $?
if grep -q '^mtasts-milter: missing.log: ' "$tmp/err" &&
    grep -q '^  unreadable files    1$' "$tmp/out" &&
    grep -q '^  decisions          12$' "$tmp/out"; then
	ok "a missing file is reported, the others still are"
else
	not_ok "a missing file is reported, the others still are"
fi

"$MTASTS_MILTER" -r -j < /dev/null > "$tmp/json" 2> "$tmp/err"
status "empty input exits 0" 0 $?
same "JSON report of empty input" empty.json "$tmp/json"

# Hostile input, made here: the name has a TAB, lines hold NUL, ESC and
# 8-bit bytes, one line is 100 kB, one ends in CRLF, the last has no
# newline.
hostile=$(printf 'hostile\tname.log')
ts='Nov 24 15:16:43 mx mtasts-milter[1]: NOQUEUE:'
rej='action=reject reason=plaintext mode=enforce stage=mail tls=none'
would='action=would-reject reason=plaintext mode=testing stage=rcpt tls=none'
{
	printf '%s client=a\000b[192.0.2.1] from=<x@y.example>\n' "$ts $rej"
	printf '%s client=\033[2J\377[192.0.2.1] from=<x@y.example>\n' \
	    "$ts $rej"
	head -c 100000 /dev/zero | tr '\000' 'x'
	printf '\n\000\000\000\n'
	printf 'Nov 24 15:16:44 mx mtasts-milter[1]: NOQUEUE: %s' "$rej"
	printf ' client=esc\\x1b[2J\\xff[192.0.2.1] helo=x'
	printf ' from=<\\x00@Hostile.Example>\r\n'
	printf 'mtasts-milter[1]: NOQUEUE: %s' "$would"
	printf ' client="a b\\"c" from=<"x y@z.example">'
} > "$tmp/$hostile"
(cd "$tmp" && "$MTASTS_MILTER" -r "$hostile") > "$tmp/out" 2> "$tmp/err"
status "hostile input exits 0" 0 $?
same "text report of hostile input" hostile.out "$tmp/out"
no_raw_bytes "text report of hostile input has no raw bytes" "$tmp/out"
(cd "$tmp" && "$MTASTS_MILTER" -r -j "$hostile") > "$tmp/json" 2> "$tmp/err"
same "JSON report of hostile input" hostile.json "$tmp/json"
valid_json "JSON report of hostile input is valid JSON" "$tmp/json"
no_raw_bytes "JSON report of hostile input has no raw bytes" "$tmp/json"

done_testing
