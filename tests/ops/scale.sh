#!/bin/bash
# scale.sh - 100,000 domains (issue 18).  Generates a policy_dir tree of
# 100,000 domain directories (both layouts, three modes) in a private
# temporary directory, and a configuration of 100,000 domain blocks, then:
# -n wall time, CPU time and peak RSS (< 2 s, < 2 s of user CPU, < 64 MiB)
# and its summary;
# start-up time; per-domain verdicts; SIGHUP reloads of the whole tree
# under traffic (no client error).  Figures are printed as TAP comments
# (README quotes them).  Kernel time is printed, not limited: it is the
# cost of some 600,000 system calls, spread over the CPUs, and depends on
# the machine.  SCALE_DOMAINS overrides the 100,000.
# policy_watch is tested by policy_watch.sh.
set -u
. "$(dirname "$0")/lib.sh"
require_miltertest
echo "1..16"

ndom=${SCALE_DOMAINS:-100000}
tree="$work/mta-sts"
conf="$work/m.conf"
pol() {	# pol MODE
	printf 'version: STSv1\nmode: %s\nmx: mx.example.net\nmax_age: 86400\n' "$1"
}

# One python process writes the tree: a shell loop would take minutes.
python3 - "$tree" "$ndom" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
modes = ("enforce", "testing", "none")
os.mkdir(root, 0o755)
for i in range(n - 1):
    d = os.path.join(root, "d%d.example.com" % i)
    if i % 2:
        d = os.path.join(d, ".well-known")
    os.makedirs(d, 0o755)
    with open(os.path.join(d, "mta-sts.txt"), "w") as f:
        f.write("version: STSv1\nmode: %s\nmx: mx.example.net\n"
                "max_age: 86400\n" % modes[i % 3])
os.mkdir(os.path.join(root, "example.org"), 0o755)
PY
pol testing > "$tree/example.org/mta-sts.txt"
chmod 644 "$tree/example.org/mta-sts.txt"
cat > "$conf" <<CONF
mode = "off"
hostname = "mx.example.net"
exempt_networks = {}
policy_dir = "$tree"
CONF

# measure CMD...: runs it, prints "wall cpu maxrss_kb" (children's usage).
measure() {
	python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t = time.monotonic()
rc = subprocess.call(sys.argv[1:], stdout=open("/dev/null", "w"))
wall = time.monotonic() - t
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.2f %.2f %.2f %d %d" % (wall, u.ru_utime, u.ru_stime, u.ru_maxrss,
    rc))
PY
}
# load_figures WHAT CONF: -n loads it in under 2 s of wall time (the best
# of three runs: a shared machine has bad seconds), user CPU < 2 s (all
# threads), peak RSS < 64 MiB.
load_figures() {
	local wall usr sys rss rc best=99 run
	for run in 1 2 3; do
		read -r wall usr sys rss rc < <(measure "$MTASTS_MILTER" -n \
		    -c "$2")
		echo "# -n with $ndom $1, run $run: ${wall} s wall, ${usr} s" \
		    "user CPU, ${sys} s kernel, peak RSS $((rss / 1024)) MiB"
		[ "$rc" -eq 0 ] || break
		best=$(awk -v a="$wall" -v b="$best" \
		    'BEGIN { print (a < b ? a : b) }')
		awk -v w="$best" 'BEGIN { exit !(w < 2) }' && break
	done
	check "-n loads $ndom $1" test "$rc" -eq 0
	check "-n, $1: under 2 s wall (best ${best} s)" \
	    awk -v w="$best" 'BEGIN { exit !(w < 2) }'
	check "-n, $1: under 2 s of user CPU" \
	    awk -v c="$usr" 'BEGIN { exit !(c < 2) }'
	if [ -n "${ASAN_OPTIONS:-}" ]; then
		skip "RSS under 64 MiB" "sanitizer build"
	else
		check "-n, $1: peak RSS under 64 MiB" test "$rss" -lt 65536
	fi
}
python3 - "$ndom" > "$work/blocks.conf" <<'PY'
import sys
print('hostname = "mx.example.net"')
for i in range(int(sys.argv[1])):
    print('domain "%sd%d.example.net" { mode = %s }'
          % ("." if i % 5 == 0 else "", i, ("enforce", "testing", "off")[i % 3]))
PY
load_figures "domain blocks" "$work/blocks.conf"
load_figures "policy_dir domains" "$conf"
"$MTASTS_MILTER" -n -c "$conf" > "$work/n.out"
check "-n summarises: counts per mode and source, no per-domain lines" \
    grep -q "^domains: *$ndom (0 from domain blocks, $ndom from policy_dir" \
    "$work/n.out"
check "-n: no per-domain lines without -d debug" \
    test "$(grep -c '^domain ' "$work/n.out")" -eq 0
check "-n -d debug lists every domain" test "$("$MTASTS_MILTER" -n \
    -d debug -c "$conf" | grep -c '^domain ')" -eq "$ndom"

# wait_for with 60 s: a reload of 100,000 domains on a loaded machine.
wait_long() {
	WAIT_SECONDS=60 wait_for "$@"
}
verdict() {
	local out
	out=$(mt traffic.lua count=1 tls=0 client=198.51.100.9) || return 1
	case "$out" in
	*"continue=1"*) echo continue ;;
	*"reject=1"*) echo reject ;;
	*) echo "unexpected: $out" ;;
	esac
}

t0=$(date +%s%N)
check "daemon starts with $ndom domains" start_daemon "$conf"
echo "# start-up to socket ready: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
check "example.org (testing in policy_dir): plaintext continues" \
    test "$(verdict)" = continue
pol enforce > "$tree/example.org/mta-sts.txt"
kill -HUP "$daemon_pid"
wait_long 1 "configuration reloaded" "$work/daemon.log"
check "example.org edited to enforce, SIGHUP: plaintext rejected" \
    test "$(verdict)" = reject
# SIGHUP reloads of the whole tree while 4 clients send traffic.
pids=()
for c in 1 2 3 4; do
	mt traffic.lua count=400 client="198.51.100.2$c" \
	    > "$work/client.$c.out" 2>&1 &
	pids+=($!)
done
base=$(grep -c "configuration reloaded" "$work/daemon.log")
for i in 1 2 3; do
	t0=$(date +%s%N)
	kill -HUP "$daemon_pid"
	wait_long $((base + i)) "configuration reloaded" "$work/daemon.log" ||
	    break
	echo "# reload $i of $ndom domains under traffic:" \
	    "$(( ($(date +%s%N) - t0) / 1000000 )) ms"
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
check "3 reloads done under traffic, no client error" test "$failed" -eq 0 \
    -a "$(grep -c "configuration reloaded" "$work/daemon.log")" -ge $((base + 3))
[ "$failed" -eq 0 ] || cat "$work"/client.*.out | diag
check "daemon stops within 2 s" stop_daemon
