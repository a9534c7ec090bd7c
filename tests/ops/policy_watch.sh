#!/bin/bash
# policy_watch.sh - automatic reload on policy changes (issue 18): with
# policy_watch = true, a policy_dir policy edited from testing to enforce
# takes effect within 2 s without a signal; a broken edit is logged with
# its path and line and the old policy stays; a policy replaced by rename
# (editors, rsync) is picked up too.
set -u
. "$(dirname "$0")/lib.sh"
require_miltertest
echo "1..9"

tree="$work/mta-sts"
conf="$work/m.conf"
pol() {	# pol MODE
	printf 'version: STSv1\nmode: %s\nmx: mx.example.net\nmax_age: 86400\n' "$1"
}
mkdir -p "$tree/example.org" "$tree/other.example/.well-known"
pol testing > "$tree/example.org/mta-sts.txt"
pol enforce > "$tree/other.example/.well-known/mta-sts.txt"
cat > "$conf" <<CONF
mode = "off"
hostname = "mx.example.net"
exempt_networks = {}
policy_dir = "$tree"
policy_watch = true
CONF

# verdict [RCPT]: "continue" or "reject" for one plaintext transaction
# (traffic.lua sends to r@example.org).
verdict() {
	local out
	out=$(mt traffic.lua count=1 tls=0 client=198.51.100.9) || return 1
	case "$out" in
	*"continue=1"*) echo continue ;;
	*"reject=1"*) echo reject ;;
	*) echo "unexpected: $out" ;;
	esac
}
# until_verdict V MS: polls the verdict; prints the milliseconds it took.
until_verdict() {
	local start now v
	start=$(date +%s%N)
	while :; do
		v=$(verdict)
		now=$(date +%s%N)
		[ "$v" = "$1" ] &&
		    { echo $(( (now - start) / 1000000 )); return 0; }
		[ $(( (now - start) / 1000000 )) -gt "$2" ] && return 1
	done
}

check "daemon starts with policy_watch" start_daemon "$conf"
check "policy_watch is watching" wait_for 1 "policy_watch: watching" \
    "$work/daemon.log"
check "example.org testing: plaintext transaction continues" \
    test "$(verdict)" = continue

# Edited in place, as an administrator would: no signal.
pol enforce > "$tree/example.org/mta-sts.txt"
if ms=$(until_verdict reject 2000); then
	ok "testing -> enforce took effect within 2 s without a signal"
	echo "# policy_watch: enforce in force after $ms ms"
else
	not_ok "testing -> enforce took effect within 2 s without a signal"
	diag < "$work/daemon.log"
fi

base=$(grep -c "keeping the configuration in force" "$work/daemon.log")
printf 'version: STSv1\nmode: testing\nmx: *.*.example.net\nmax_age: 1\n' \
    > "$tree/example.org/mta-sts.txt"
check "broken edit: error logged with path and line" wait_for 1 \
    "reload: $conf:4: policy_dir: $tree/example.org/mta-sts.txt:3: invalid mx" \
    "$work/daemon.log"
check "broken edit: 'keeping the configuration in force' logged" \
    wait_for $((base + 1)) "keeping the configuration in force" \
    "$work/daemon.log"
check "broken edit: enforce still in force" test "$(verdict)" = reject

# Replaced by rename (how rsync and editors write): back to testing.
pol testing > "$tree/example.org/.mta-sts.txt.tmp"
mv "$tree/example.org/.mta-sts.txt.tmp" "$tree/example.org/mta-sts.txt"
if until_verdict continue 2000 >/dev/null; then
	ok "replaced by rename: testing again within 2 s"
else
	not_ok "replaced by rename: testing again within 2 s"
fi
check "daemon stops within 2 s" stop_daemon
