#!/bin/sh
# tests/static/run.sh - static analysis of milter/**/*.c, as TAP.
#
#   1     cppcheck (warning, style, performance, portability), no finding
#   2..N  clang-tidy with the checked-in .clang-tidy, one test per file
#
# Environment: top_srcdir (default: two levels up), top_builddir (for
# config.h; a stand-in is generated when it has none), CLANG_TIDY,
# CPPCHECK.  Exits 0 when every test passed, 1 otherwise.
#
# cppcheck suppressions (the code is KNF: declarations at the top of a
# block, "while (cond) continue;" for an empty loop body):
#   variableScope      "the scope of the variable can be reduced"
#   redundantContinue  "continue is redundant as the last statement"
# Anything else is fixed in the code or, for a proven false positive,
# suppressed where it occurs with "// cppcheck-suppress id".

set -u
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
CPPCHECK=${CPPCHECK:-cppcheck}
CLANG_TIDY=${CLANG_TIDY:-clang-tidy}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

work=$(mktemp -d "${TMPDIR:-/tmp}/mtasts-static.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM

cd "$top_srcdir" || exit 1
files=$(ls milter/*.c milter/*/*.c)
nfiles=$(echo "$files" | wc -l)
echo "1..$((nfiles + 1))"

# config.h: the build's, else a stand-in with what the sources use.
if [ -f "$top_builddir/config.h" ]; then
	confdir=$top_builddir
else
	confdir=$work
	printf '#define PACKAGE_VERSION "0.0"\n#define PACKAGE_NAME "mtasts-milter"\n#define MILTER_PKG_VERSION "0"\n' \
	    >"$work/config.h"
fi
pkgflags=$(pkg-config --cflags milter libconfuse openssl 2>/dev/null)
# The quotes around /etc are meant literally: the macro is a C string.
# shellcheck disable=SC2089
cflags="-std=gnu11 -D_GNU_SOURCE -I$top_srcdir/milter -I$confdir -DSYSCONFDIR=\"/etc\" $pkgflags"
failed=0

# --- cppcheck ----------------------------------------------------------
if ! command -v "$CPPCHECK" >/dev/null 2>&1; then
	echo "ok 1 - cppcheck # SKIP $CPPCHECK not installed (Debian: cppcheck)"
else
	# shellcheck disable=SC2086
	if "$CPPCHECK" --enable=warning,style,performance,portability \
	    --error-exitcode=1 --inline-suppr --quiet --std=c11 \
	    -D_GNU_SOURCE -I milter -I "$confdir" \
	    --suppress=variableScope --suppress=redundantContinue \
	    --template='{file}:{line}: {severity}: {id}: {message}' \
	    $files >"$work/cppcheck.out" 2>&1; then
		echo "ok 1 - cppcheck milter/**/*.c: no findings"
	else
		echo "not ok 1 - cppcheck milter/*.c"
		sed 's/^/# /' "$work/cppcheck.out"
		failed=1
	fi
fi

# --- clang-tidy, files in parallel, results in file order ---------------
n=1
if ! command -v "$CLANG_TIDY" >/dev/null 2>&1; then
	for f in $files; do
		n=$((n + 1))
		echo "ok $n - clang-tidy $f # SKIP $CLANG_TIDY not installed (Debian: clang-tidy)"
	done
	exit $failed
fi
# shellcheck disable=SC2090
export CLANG_TIDY cflags work
echo "$files" | xargs -P "$JOBS" -I{} sh -c '
	out="$work/$(echo "{}" | tr / _).tidy"
	# shellcheck disable=SC2086
	if "$CLANG_TIDY" --quiet "{}" -- $cflags >"$out" 2>&1; then
		echo ok >"$out.rc"
	else
		echo fail >"$out.rc"
	fi'
for f in $files; do
	n=$((n + 1))
	out="$work/$(echo "$f" | tr / _).tidy"
	if [ "$(cat "$out.rc" 2>/dev/null)" = ok ] &&
	    ! grep -q 'warning:\|error:' "$out"; then
		echo "ok $n - clang-tidy $f"
	else
		echo "not ok $n - clang-tidy $f"
		grep -A3 'warning:\|error:' "$out" | head -60 | sed 's/^/# /'
		failed=1
	fi
done
exit $failed
