#!/bin/bash
# tests/deb/run.sh - the Debian package, end to end, on this machine (as
# root; TAP): build it with dpkg-buildpackage from a clean copy of the
# tree, lintian (no errors, no warnings), dpkg -i, the user, group, file
# modes and enabled unit postinst leaves, "mtasts-milter -n" on the shipped
# configuration, systemd-analyze verify, the daemon started as the unit
# starts it (user mtasts-milter, the packaged socket inside Postfix's
# chroot), one plaintext and one STARTTLS message through a private Postfix
# whose chrooted smtpd uses smtpd_milters = unix:/mtasts-milter/
# mtasts-milter.sock, then dpkg -r, dpkg -P and a file list compared with
# the one taken before: nothing of the package is left.
#
# The machine is left as it was: an EXIT trap stops what the test started,
# purges the package and removes the user and group when the test created
# them (the package keeps them on purge, Debian practice).
# Env: DEB_BUILD_OPTIONS (default "nocheck": the unit tests run in their
# own run-all section), MTA_KEEP=1 keeps the temporary directory.
# Failure modes: a missing tool or a failed build is "Bail out!"; an
# installed mtasts-milter package or an existing system user is refused
# (the test would change or remove them).
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=tests/mta/lib.sh
. "$top/tests/mta/lib.sh"

PKG=mtasts-milter
SOCKDIR=/var/spool/postfix/mtasts-milter
SOCK=$SOCKDIR/mtasts-milter.sock
UNIT_DIRS="/lib/systemd/system /usr/lib/systemd/system"
# What the file list covers: every place a package, its maintainer
# scripts or its unit may write to.
LIST_DIRS="/etc /usr /var/lib /var/spool /var/cache/debconf"

require_root
require_tools dpkg-buildpackage lintian dpkg adduser deluser postfix swaks \
    setpriv unshare systemd-analyze python3 openssl
if dpkg-query -W -f '${Status}' "$PKG" 2>/dev/null | grep -q installed; then
    bail_out "package $PKG is installed already: remove it first"
fi
if getent passwd "$PKG" >/dev/null || getent group "$PKG" >/dev/null; then
    bail_out "user or group $PKG exists already (the test would remove it)"
fi

tap_plan 14
mta_init
# The package build, its logs and the before/after lists: outside /tmp.
W=$(mktemp -d /var/tmp/mtasts-deb.XXXXXX) || bail_out "mktemp failed"
USER_CREATED=0
trap deb_cleanup EXIT
deb_cleanup() {
    local rc=$?
    if dpkg-query -W -f '${Status}' "$PKG" 2>/dev/null | grep -q installed; then
        dpkg -P "$PKG" >/dev/null 2>&1
    fi
    if [ "$USER_CREATED" = 1 ]; then
        deluser --quiet --system "$PKG" >/dev/null 2>&1
        delgroup --quiet --system "$PKG" >/dev/null 2>&1
    fi
    rm -rf /run/mtasts-milter
    if [ "$tap_failed" -gt 0 ] || [ "$MTA_KEEP" = 1 ]; then
        echo "# kept $W"
    else
        rm -rf "$W"
    fi
    (exit $rc)
    mta_cleanup
}

file_list() {	# file_list OUT: every path under LIST_DIRS, sorted
    # shellcheck disable=SC2086
    find $LIST_DIRS -xdev -path /var/lib/dpkg/updates -prune -o -print \
        2>/dev/null | grep -v -e '-old$' -e '^/etc/\(passwd\|group\|shadow\|gshadow\)-$' |
        LC_ALL=C sort >"$1"
}
getent passwd >"$W/passwd.before"
getent group >"$W/group.before"
file_list "$W/files.before"

# ---------------------------------------------------------------------------
# 1. build from a clean copy: git's files when there is git, else the tree
#    without build directories
# ---------------------------------------------------------------------------
src=$W/build/$PKG
mkdir -p "$src"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$top" ls-files -z | (cd "$top" && tar --null -T - -cf -) |
        tar -xf - -C "$src"
else
    tar -C "$top" --exclude='./build*' --exclude=./.git -cf - . | tar -xf - -C "$src"
fi
t0=$(date +%s)
if (cd "$src" && DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-nocheck} \
    dpkg-buildpackage -us -uc -b) >"$W/build.log" 2>&1; then
    ok "dpkg-buildpackage -us -uc -b from a clean copy ($(( $(date +%s) - t0 )) s)"
else
    not_ok "dpkg-buildpackage -us -uc -b" "$W/build.log"
    bail_out "package build failed"
fi
deb=$(ls "$W"/build/${PKG}_*.deb 2>/dev/null | head -1)
changes=$(ls "$W"/build/${PKG}_*.changes 2>/dev/null | head -1)
[ -f "$deb" ] || bail_out "no .deb built" "$W/build.log"

# the package's version is configure.ac's
t_begin
acver=$(sed -n 's/^AC_INIT(\[[^]]*\], *\[\([^]]*\)\].*/\1/p' "$top/configure.ac")
debver=$(dpkg-deb -f "$deb" Version)
[ -n "$acver" ] && [ "$acver" = "$debver" ] ||
    t_fail "package version '$debver' is not configure.ac's '$acver'"
t_end "package version $debver = configure.ac's AC_INIT version"

# ---------------------------------------------------------------------------
# 2. lintian: no errors, no warnings
# ---------------------------------------------------------------------------
t_begin
lintian "$changes" >"$W/lintian.out" 2>&1
grep -E '^(E|W): ' "$W/lintian.out" >"$W/lintian.ew"
[ -s "$W/lintian.ew" ] && t_fail "lintian tags:" "$W/lintian.ew"
t_end "lintian: no errors, no warnings"

# ---------------------------------------------------------------------------
# 3. dpkg -i: contents, user, group, modes, socket directory, unit
# ---------------------------------------------------------------------------
USER_CREATED=1
if dpkg -i "$deb" >"$W/dpkg-i.log" 2>&1; then
    ok "dpkg -i $(basename "$deb")"
else
    not_ok "dpkg -i" "$W/dpkg-i.log"
    bail_out "cannot install the package"
fi

# mode_of PATH: "owner:group octal-mode type"
mode_of() { stat -c '%U:%G %a %F' "$1" 2>/dev/null; }
expect_mode() {	# expect_mode PATH "OWNER:GROUP MODE TYPE"
    local m
    m=$(mode_of "$1")
    [ "$m" = "$2" ] || t_fail "$1: '$m', expected '$2'"
}
t_begin
pw=$(getent passwd "$PKG")
case $pw in
"$PKG":*:*:*:*:/nonexistent:/usr/sbin/nologin) ;;
*) t_fail "passwd entry '$pw' (want home /nonexistent, shell nologin)" ;;
esac
uid=$(id -u "$PKG" 2>/dev/null)
[ -n "$uid" ] && [ "$uid" -lt 1000 ] || t_fail "uid '$uid' is not a system uid"
[ "$(id -gn "$PKG" 2>/dev/null)" = "$PKG" ] || t_fail "primary group is not $PKG"
id -nG postfix | tr ' ' '\n' | grep -qx "$PKG" || t_fail "postfix is not in group $PKG"
t_end "system user and group $PKG (home /nonexistent, nologin), postfix in the group"

t_begin
expect_mode /usr/sbin/mtasts-milter "root:root 755 regular file"
expect_mode /etc/mtasts-milter.conf "root:root 644 regular file"
expect_mode "$SOCKDIR" "$PKG:$PKG 750 directory"
grep -qx /etc/mtasts-milter.conf /var/lib/dpkg/info/$PKG.conffiles ||
    t_fail "/etc/mtasts-milter.conf is not a conffile"
grep -q '^mode = "testing"' /etc/mtasts-milter.conf || t_fail "shipped mode is not testing"
grep -q "^socket = \"unix:$SOCK\"" /etc/mtasts-milter.conf ||
    t_fail "shipped socket is not unix:$SOCK"
[ -f /usr/share/man/man8/mtasts-milter.8.gz ] || t_fail "no man8/mtasts-milter.8.gz"
[ -f /usr/share/man/man5/mtasts-milter.conf.5.gz ] || t_fail "no man5/mtasts-milter.conf.5.gz"
for f in README.gz main.cf.snippet mtasts-milter.mc.snippet copyright; do
    [ -f /usr/share/doc/$PKG/$f ] || t_fail "no /usr/share/doc/$PKG/$f"
done
unit=
for d in $UNIT_DIRS; do [ -f "$d/$PKG.service" ] && unit=$d/$PKG.service; done
[ -n "$unit" ] || t_fail "no $PKG.service in $UNIT_DIRS"
[ -L /etc/systemd/system/multi-user.target.wants/$PKG.service ] ||
    t_fail "unit not enabled (no multi-user.target.wants link)"
grep -qx "ReadWritePaths=-$SOCKDIR" "$unit" 2>/dev/null ||
    t_fail "unit lacks ReadWritePaths=-$SOCKDIR"
t_files "$W/dpkg-i.log"
t_end "files and modes: binary 755, conffile 644 (testing, socket $SOCK), $SOCKDIR $PKG:$PKG 750, man pages, docs, unit enabled"

# ---------------------------------------------------------------------------
# 4. the shipped configuration and the unit
# ---------------------------------------------------------------------------
t_begin
/usr/sbin/mtasts-milter -n -c /etc/mtasts-milter.conf >"$W/n.out" 2>&1 ||
    t_fail "mtasts-milter -n exited $?" "$W/n.out"
t_end "mtasts-milter -n -c /etc/mtasts-milter.conf accepts the shipped configuration"

t_begin
SYSTEMD_LOG_LEVEL=warning systemd-analyze verify "$unit" >"$W/verify.out" 2>&1 ||
    t_fail "systemd-analyze verify exited non-zero" "$W/verify.out"
# It prints problems as lines naming the unit file even with status 0.
grep -F "$PKG.service" "$W/verify.out" >/dev/null &&
    t_fail "systemd-analyze verify complained" "$W/verify.out"
t_end "systemd-analyze verify $unit"

# ---------------------------------------------------------------------------
# 5. the daemon as the unit starts it, and a private Postfix in front
# ---------------------------------------------------------------------------
# The shipped file with one change: the private Postfix talks to the milter
# from 127.0.0.1, which the shipped exempt_networks would exempt.
conf=$MTA_DIR/mtasts-milter.conf
sed 's/^exempt_networks = .*/exempt_networks = {}/' /etc/mtasts-milter.conf >"$conf"
chmod 644 "$conf"
[ "$(diff /etc/mtasts-milter.conf "$conf" | grep -c '^[<>]')" = 2 ] ||
    bail_out "test configuration differs in more than exempt_networks"
# RuntimeDirectory=mtasts-milter, RuntimeDirectoryMode=0750, UMask=0007,
# User= and Group=: what systemd would do.
install -d -o "$PKG" -g "$PKG" -m 0750 /run/mtasts-milter
MILTER_LOG=$MTA_DIR/milter.log
: >"$MILTER_LOG"
# shellcheck disable=SC2016 # expanded by the inner sh
spawn "$MILTER_LOG" sh -c 'umask 0007; exec setpriv --reuid="$1" --regid="$1" \
    --init-groups --no-new-privs --inh-caps=-all --bounding-set=-all \
    /usr/sbin/mtasts-milter -f -c "$2"' sh "$PKG" "$conf"
MILTER_PID=$SPAWN_PID
sock_up() { proc_alive "$MILTER_PID" && [ -S "$SOCK" ]; }
t_begin
wait_until "$MTA_WAIT" sock_up || t_fail "no socket $SOCK within ${MTA_WAIT}s"
[ -S "$SOCK" ] && expect_mode "$SOCK" "$PKG:$PKG 660 socket"
[ "$(stat -c %U "/proc/$MILTER_PID" 2>/dev/null)" = "$PKG" ] ||
    t_fail "daemon does not run as $PKG"
t_files "$MILTER_LOG"
t_end "daemon runs as $PKG and listens on $SOCK (mode 660)"

read -r SMTP_PORT <<<"$(free_ports 1)"
pf=$MTA_DIR/postfix
postfix_setup "$pf" "$SMTP_PORT" "unix:/mtasts-milter/mtasts-milter.sock"
# smtpd chrooted into the queue directory (Debian's default), where the
# real socket directory is bind-mounted: the path Postfix resolves is the
# one a system Postfix resolves in /var/spool/postfix.
sed -i "s/^127.0.0.1:$SMTP_PORT inet n - n /127.0.0.1:$SMTP_PORT inet n - y /" "$pf/master.cf"
mkdir -p "$pf/queue/mtasts-milter"
MTA_POSTFIX_DIRS+=("$pf")
if ! unshare -m sh -c 'mount --bind "$1" "$2" && exec postfix -c "$3" start' \
    sh "$SOCKDIR" "$pf/queue/mtasts-milter" "$pf" >"$pf/start.log" 2>&1; then
    bail_out "postfix start failed" "$pf/start.log" "$pf/maillog"
fi
wait_until "$MTA_WAIT" smtp_ready "$SMTP_PORT" ||
    bail_out "no SMTP banner from Postfix" "$pf/start.log" "$pf/maillog"

t_begin
o=$MTA_DIR/plain.out
smtp_send "$o" --to user@example.org
expect_reply_after "$o" '^MAIL FROM:' '250 '
expect_queued "$o"
expect_log 0 action=would-reject reason=plaintext mode=testing
t_files "$o" "$MILTER_LOG" "$pf/maillog"
t_end "plaintext message through chrooted smtpd and the packaged socket: 250, logged action=would-reject"

t_begin
o=$MTA_DIR/tls.out
m=$(log_mark "$MILTER_LOG")
smtp_send "$o" --to user@example.org --tls
expect_reply_after "$o" '^MAIL FROM:' '250 '
expect_queued "$o"
expect_log "$m" action=accept tls=TLSv1.3
t_files "$o" "$MILTER_LOG" "$pf/maillog"
t_end "STARTTLS message through chrooted smtpd and the packaged socket: 250, logged action=accept tls=TLSv1.3"

postfix_stop "$pf"
milter_stop 10
rm -rf /run/mtasts-milter

# ---------------------------------------------------------------------------
# 6. dpkg -r, dpkg -P, nothing left
# ---------------------------------------------------------------------------
t_begin
dpkg -r "$PKG" >"$W/dpkg-r.log" 2>&1 || t_fail "dpkg -r failed" "$W/dpkg-r.log"
[ -e /usr/sbin/mtasts-milter ] && t_fail "binary still there"
[ -f /etc/mtasts-milter.conf ] || t_fail "conffile removed by dpkg -r (only purge may)"
getent passwd "$PKG" >/dev/null || t_fail "user removed"
t_end "dpkg -r: binary gone, configuration and user kept"

t_begin
dpkg -P "$PKG" >"$W/dpkg-p.log" 2>&1 || t_fail "dpkg -P failed" "$W/dpkg-p.log"
for f in /etc/mtasts-milter.conf "$SOCKDIR" /var/lib/mtasts-milter \
    /etc/systemd/system/multi-user.target.wants/$PKG.service; do
    [ -e "$f" ] || [ -L "$f" ] && t_fail "$f left after purge"
done
getent passwd "$PKG" >/dev/null || t_fail "purge removed the user (Debian keeps it)"
t_end "dpkg -P: configuration, socket directory, state directory and unit link gone; user kept"

t_begin
deluser --quiet --system "$PKG" >"$W/deluser.log" 2>&1 ||
    t_fail "deluser failed" "$W/deluser.log"
delgroup --quiet --system "$PKG" >>"$W/deluser.log" 2>&1
USER_CREATED=0
file_list "$W/files.after"
getent passwd >"$W/passwd.after"
getent group >"$W/group.after"
for w in files passwd group; do
    diff "$W/$w.before" "$W/$w.after" >"$W/$w.diff" ||
        t_fail "$w differ before/after:" "$W/$w.diff"
done
t_end "after purge (and removing the user): file list of $LIST_DIRS, passwd and group as before"

[ "$tap_failed" -eq 0 ]
