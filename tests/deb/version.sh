#!/bin/sh
# tests/deb/version.sh - the Debian package's version (debian/changelog,
# native: no revision) is configure.ac's AC_INIT version.  TAP, one case.
# Env: top_srcdir (from make check).  Fails when either cannot be read.
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
echo "1..1"
ac=$(sed -n 's/^AC_INIT(\[[^]]*\], *\[\([^]]*\)\].*/\1/p' "$top/configure.ac")
deb=$(sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' "$top/debian/changelog")
if [ -n "$ac" ] && [ "$ac" = "$deb" ]; then
	echo "ok 1 - debian/changelog version $deb = configure.ac's AC_INIT version"
else
	echo "not ok 1 - debian/changelog version '$deb' differs from configure.ac's '$ac'"
	exit 1
fi
