#!/bin/bash
# tests/deb/matrix.sh - the project's suites on newer Debian releases (as
# root; TAP): for each suite in MATRIX_SUITES (default "trixie sid", i.e.
# Debian 13 with Postfix 3.10 and unstable with Postfix 3.11) a
# debootstrap --variant=minbase chroot cached in
# $MTASTS_TEST_CACHE/chroot-SUITE (default /var/cache/mtasts-milter-tests),
# the build and test packages installed there, a clean copy of the tree
# built with --enable-werror, and "make check" of the unit, miltertest and
# real-MTA suites inside it; the Debian package is built there too
# (dpkg-buildpackage, lintian without errors and warnings).  Every test case inside becomes one TAP line
# here ("SUITE: NAME"), so tests/run-all counts them.
#
# The chroot is rebuilt when missing or broken (its stamp file lists the
# package set; a changed list reinstalls); apt on sid runs with
# Acquire::Check-Valid-Until=false (its Release file may be stale).  All
# mounts (/proc, /dev, /dev/pts) live in a private mount namespace
# (unshare -m) and vanish with it: nothing is left mounted.
# Env: MATRIX_SUITES, DEBIAN_MIRROR (default: the host's deb.debian.org
# URL), MATRIX_TESTS (override the list of tests run inside),
# MATRIX_PREPARE_ONLY=1 (only make the chroots ready).
# Failure modes: debootstrap/apt failures are "not ok" for that suite and
# the remaining suites still run.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
CACHE=${MTASTS_TEST_CACHE:-/var/cache/mtasts-milter-tests}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITES=${MATRIX_SUITES:-trixie sid}
# What the suites inside need (tests/mta/lib.sh, contrib/install-deps).
CHROOT_PKGS="autoconf automake libtool pkg-config make gcc libc6-dev
libmilter-dev libconfuse-dev libssl-dev check liblmdb-dev libhiredis-dev
redis-server postfix swaks miltertest
libnet-ssleay-perl python3 openssl ca-certificates procps iproute2
util-linux m4 bc build-essential dpkg-dev debhelper lintian"

. "$top/tests/lib/tap.sh"

if [ "$(id -u)" != 0 ]; then
    echo "1..0 # SKIP must run as root (debootstrap, chroot)"
    exit 0
fi
for t in debootstrap unshare chroot; do
    command -v "$t" >/dev/null || { echo "Bail out! missing $t (apt-get install debootstrap)"; exit 1; }
done
mkdir -p "$CACHE"

# in_chroot DIR CMD...: run CMD (a shell command string) in the chroot with
# /proc, /dev, /dev/pts mounted in a private mount namespace.  DIR is
# bind-mounted onto itself so that / inside is a mount point: unshare -m
# there (the Sendmail harness) fails otherwise.
in_chroot() {
    local d=$1
    shift
    unshare -m --propagation private sh -c '
        d=$1; shift
        mount --bind "$d" "$d" &&
        mount -t proc proc "$d/proc" &&
        mount --bind /dev "$d/dev" &&
        mount --bind /dev/pts "$d/dev/pts" &&
        exec chroot "$d" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
            HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive /bin/sh -c "$*"
    ' sh "$d" "$@"
}

apt_opts() {	# apt_opts SUITE
    [ "$1" = sid ] && echo "-o Acquire::Check-Valid-Until=false"
}

# prepare SUITE: a ready chroot in $CACHE/chroot-SUITE (or return 1).
prepare() {
    local s=$1 d=$CACHE/chroot-$1 log=$CACHE/prepare-$1.log stamp want
    want=$(echo "$CHROOT_PKGS" | tr -s ' \n' '  ')
    stamp=$d/.mtasts-ready
    # Broken (no working shell inside): start again.
    if [ -e "$d" ] && ! in_chroot "$d" true 2>/dev/null; then
        rm -rf "$d"
    fi
    [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
    : >"$log"
    if [ ! -d "$d" ]; then
        # A tree left by an interrupted run is not trusted.
        rm -rf "$d.tmp"
        timeout 1200 debootstrap --variant=minbase "$s" "$d.tmp" "$MIRROR" \
            >>"$log" 2>&1 || return 1
        mv "$d.tmp" "$d" || return 1
    fi
    cp /etc/resolv.conf "$d/etc/resolv.conf"
    printf '127.0.0.1\tlocalhost\n' >"$d/etc/hosts"
    echo "mx.test.example" >"$d/etc/mailname"
    # shellcheck disable=SC2046,SC2086
    in_chroot "$d" "
        echo 'postfix postfix/main_mailer_type select No configuration' |
            debconf-set-selections &&
        apt-get $(apt_opts "$s") -q update &&
        apt-get $(apt_opts "$s") -q install -y --no-install-recommends $want &&
        apt-get $(apt_opts "$s") -q install -y --no-install-recommends \
            \$(apt-cache depends sendmail-bin | sed -n 's/^ *Depends: \(lib[^ <]*\).*/\1/p') &&
        apt-get clean" >>"$log" 2>&1 || return 1
    echo "$want" >"$stamp"
}

# run_suite SUITE: build and test inside; TAP lines for every case.
run_suite() {
    local s=$1 d=$CACHE/chroot-$1 w log tests pf
    w=$d/build
    log=$CACHE/check-$s.log
    rm -rf "$w" && mkdir -p "$w/src"
    if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
        git -C "$top" ls-files -z | (cd "$top" && tar --null -T - -cf -) |
            tar -xf - -C "$w/src"
    else
        tar -C "$top" --exclude='./build*' --exclude=./.git -cf - . | tar -xf - -C "$w/src"
    fi
    pf=$(in_chroot "$d" "postconf -d mail_version" 2>/dev/null | sed 's/.*= //')
    if in_chroot "$d" "cd /build/src && autoreconf -fi && mkdir -p ../b && cd ../b &&
        ../src/configure --enable-werror && make -j$(nproc)" >"$CACHE/build-$s.log" 2>&1; then
        ok "$s: build with -Werror (Postfix $pf)"
    else
        not_ok "$s: build with -Werror" "$CACHE/build-$s.log"
        return
    fi
    # The Debian package builds there too, lintian-clean.
    if in_chroot "$d" "set -e; cp -a /build/src /build/pkg; cd /build/pkg
        DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b
        lintian ../mtasts-milter_*.changes >../lintian.out 2>&1 || true
        cat ../lintian.out; ! grep -E '^(E|W): ' ../lintian.out" \
        >"$CACHE/package-$s.log" 2>&1; then
        ok "$s: dpkg-buildpackage -us -uc -b, lintian without errors and warnings"
    else
        not_ok "$s: dpkg-buildpackage, lintian" "$CACHE/package-$s.log"
    fi
    tests=${MATRIX_TESTS:-"\$(make -s print-unit-tests) tests/miltertest/run.sh tests/mta/postfix.sh tests/mta/sendmail.sh"}
    in_chroot "$d" "cd /build/b && make -j$(nproc) check TESTS=\"$tests\"" >"$log" 2>&1
    if [ ! -f "$w/b/test-suite.log" ]; then
        not_ok "$s: make check did not run" "$log"
        return
    fi
    # One TAP line per case from the automake result lines.
    while IFS= read -r line; do
        case $line in
        PASS:*) ok "$s: ${line#PASS: }" ;;
        SKIP:* | XFAIL:*) ok "$s: ${line#*: } # SKIP" ;;
        FAIL:* | ERROR:* | XPASS:*) not_ok "$s: $line" ;;
        esac
    done < <(grep -E '^(PASS|SKIP|XFAIL|FAIL|ERROR|XPASS):' "$log")
    grep -A40 -E '^(FAIL|ERROR):' "$w/b/test-suite.log" 2>/dev/null | head -80 | sed 's/^/#   /'
}

for s in $SUITES; do
    t0=$(date +%s)
    if prepare "$s"; then
        ok "$s: chroot $CACHE/chroot-$s ready ($(( $(date +%s) - t0 )) s)"
        [ "${MATRIX_PREPARE_ONLY:-0}" = 1 ] || run_suite "$s"
        echo "# $s: $(( $(date +%s) - t0 )) s"
    else
        not_ok "$s: prepare chroot (debootstrap, apt-get)" "$CACHE/prepare-$s.log"
    fi
done
done_testing
