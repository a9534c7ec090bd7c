#!/bin/bash
# list.sh - "mtasts-milter -C @FILE" (issue 18): every domain of the list
# is checked (comments, blank lines, blanks and a trailing dot handled),
# -j writes one JSON object per domain, a bad line fails at once with
# FILE:LINE and checks nothing, a missing list fails.  No network: the
# resolver is a closed loopback port, so every check fails fast.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib/tap.sh"
find_milter
work=$(mktemp -d /tmp/mtasts-list.XXXXXX)
trap 'rm -rf "$work"' EXIT
tap_plan 8

port=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET,
    socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'check_resolver = "127.0.0.1#%s"\ncheck_timeout = 2\n' "$port" \
    > "$work/m.conf"
{
	echo "# nightly run"
	echo
	for i in $(seq 20); do echo "d$i.example.org"; done
	echo "  Mixed.Example.NET.  "
} > "$work/list"

"$MTASTS_MILTER" -c "$work/m.conf" -C "@$work/list" > "$work/out" 2>&1
check "exit 1 when checks fail" test $? -eq 1
check "every domain checked (21 x 6 lines)" \
    test "$(grep -c ' txt ' "$work/out")" -eq 21 -a "$(wc -l < "$work/out")" -eq 126
check "blanks and the trailing dot removed" \
    grep -q "^fail mixed.example.net  *txt " "$work/out"

"$MTASTS_MILTER" -c "$work/m.conf" -j -C "@$work/list" > "$work/json"
check "-j: one JSON object per domain" python3 - "$work/json" <<'PY'
import json, sys
text, dec, i, names = open(sys.argv[1]).read(), json.JSONDecoder(), 0, []
while True:
    while i < len(text) and text[i].isspace():
        i += 1
    if i == len(text):
        break
    obj, i = dec.raw_decode(text, i)
    assert len(obj["domains"]) == 1
    names.append(obj["domains"][0]["domain"])
want = ["d%d.example.org" % k for k in range(1, 21)] + ["mixed.example.net"]
sys.exit(sorted(names) != sorted(want))
PY

printf 'ok.example.org\nbad_name.example.org\n' > "$work/bad"
"$MTASTS_MILTER" -c "$work/m.conf" -C "@$work/bad" > "$work/out" 2> "$work/err"
check "bad line: exit 1" test $? -eq 1
check "bad line: FILE:LINE on stderr" grep -q "^$work/bad:2: not a domain name" \
    "$work/err"
check "bad line: nothing checked" test ! -s "$work/out"
"$MTASTS_MILTER" -c "$work/m.conf" -C "@$work/missing" > /dev/null 2>&1
check "missing list: exit 1" test $? -eq 1
