#!/bin/sh
# run.sh - TAP: README's MTA integration examples are copies of the tested
# snippets.  Real-MTA tests (tests/mta/) install contrib/sendmail/
# mtasts-milter.mc.snippet and contrib/postfix/main.cf.snippet; a README
# line typed by hand can drift from them (it once lost the m4 quotes of
# INPUT_MAIL_FILTER(`mtasts', ...), which m4 then mangles).
#
# In README's "Sendmail integration" section every indented m4 line
# (INPUT_MAIL_FILTER, define, FEATURE) must be a line of the Sendmail
# snippet, and every m4 line of the snippet must be shown; in "Postfix
# integration" every indented "name = value" line must be a line of the
# Postfix snippet.  Lines are compared whole, after the README indent.
#
# Environment: top_srcdir (exported by make check).

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
readme=$top_srcdir/README
mc=$top_srcdir/contrib/sendmail/mtasts-milter.mc.snippet
cf=$top_srcdir/contrib/postfix/main.cf.snippet
tmp=$(mktemp -d "${TMPDIR:-/tmp}/docs-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

. "$top_srcdir/tests/lib/tap.sh"

# section TITLE: README's lines from the heading TITLE (underlined with
# dashes) up to the next heading, indented lines only, indent removed.
section() {
	awk -v title="$1" '
	    /^-+$/ && prev == title { inside = 1; next }
	    /^-+$/ && inside { exit }
	    inside && /^    / { l = $0; sub(/^ +/, "", l); print l }
	    { prev = $0 }' "$readme"
}

# in_file LINE FILE: LINE is a whole line of FILE.
in_file() {
	grep -qxF -- "$1" "$2"
}

# --- Sendmail ---------------------------------------------------------------
section "Sendmail integration" |
    grep -E '^(INPUT_MAIL_FILTER|define|FEATURE)\(' >"$tmp/readme.mc"
grep -E '^(INPUT_MAIL_FILTER|define|FEATURE)\(' "$mc" >"$tmp/snippet.mc"
if [ -s "$tmp/readme.mc" ]; then
	ok "README shows Sendmail m4 lines ($(wc -l <"$tmp/readme.mc"))"
else
	not_ok "README shows Sendmail m4 lines (none found)"
fi
while IFS= read -r line; do
	if in_file "$line" "$mc"; then
		ok "README Sendmail line is in the snippet: ${line%%,*}"
	else
		not_ok "README Sendmail line is in the snippet: ${line%%,*}"
		echo "#   README:  $line"
		grep -F -- "${line%%(*}(" "$mc" | sed 's/^/#   snippet: /'
	fi
done <"$tmp/readme.mc"
while IFS= read -r line; do
	if in_file "$line" "$tmp/readme.mc"; then
		ok "snippet line is shown in README: ${line%%,*}"
	else
		not_ok "snippet line is shown in README: ${line%%,*}"
		echo "#   snippet: $line"
	fi
done <"$tmp/snippet.mc"

# --- Postfix ----------------------------------------------------------------
section "Postfix integration" |
    grep -E '^[a-z_]+ *=' >"$tmp/readme.cf"
if [ -s "$tmp/readme.cf" ]; then
	ok "README shows Postfix main.cf lines ($(wc -l <"$tmp/readme.cf"))"
else
	not_ok "README shows Postfix main.cf lines (none found)"
fi
while IFS= read -r line; do
	if in_file "$line" "$cf"; then
		ok "README Postfix line is in the snippet: ${line%% *}"
	else
		not_ok "README Postfix line is in the snippet: ${line%% *}"
		echo "#   README:  $line"
		grep -E -- "^${line%% *} *=" "$cf" | sed 's/^/#   snippet: /'
	fi
done <"$tmp/readme.cf"

done_testing
