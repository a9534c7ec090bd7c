#!/bin/bash
# reload.sh - live reload on SIGHUP (issue 5): testing -> enforce changes
# the verdict of the next transaction; a broken configuration is logged
# with FILE:LINE and changes nothing; 200 reloads under concurrent traffic
# all succeed, no client sees an error and memory does not grow.
set -u
. "$(dirname "$0")/lib.sh"
require_miltertest
echo "1..22"

conf="$work/m.conf"
write_conf() {	# write_conf MODE
	cat > "$conf.new" <<CONF
mode = "$1"
exempt_networks = {}
stats_file = "$work/stats.prom"
CONF
	mv "$conf.new" "$conf"
}
# verdict: "continue" or "reject" for one plaintext transaction.
verdict() {
	local out
	out=$(mt traffic.lua count=1 tls=0 client=198.51.100.9) || return 1
	case "$out" in
	*"continue=1"*) echo continue ;;
	*"reject=1"*) echo reject ;;
	*) echo "unexpected: $out" ;;
	esac
}
reloads() { grep -c "configuration reloaded" "$work/daemon.log"; }

write_conf testing
check "daemon starts in testing mode" start_daemon "$conf"
check "testing: plaintext transaction continues" \
    test "$(verdict)" = continue

write_conf enforce
kill -HUP "$daemon_pid"
check "SIGHUP reload is logged" wait_for 1 "configuration reloaded" \
    "$work/daemon.log"
check "after reload to enforce: plaintext transaction rejected" \
    test "$(verdict)" = reject

printf 'mode = "enforce"\nexempt_networks = {"10.0.0.1/8"}\n' > "$conf"
kill -HUP "$daemon_pid"
check "broken config: error logged with FILE:LINE" \
    wait_for 1 "reload: $conf:2: exempt_networks" "$work/daemon.log"
check "broken config: 'keeping the configuration in force' logged" \
    wait_for 1 "keeping the configuration in force" "$work/daemon.log"
check "broken config: daemon still alive" kill -0 "$daemon_pid"
check "broken config: old verdict (reject) still in force" \
    test "$(verdict)" = reject

# Regression ("World-writable policy file accepted"): a policy_file sets
# the mode as the configuration does, so one that others can write is
# refused the same way: by -n, and by a reload, which keeps the old one.
policy="$work/policy.txt"
printf 'version: STSv1\nmode: testing\nmx: mx.example.org\nmax_age: 1\n' \
    > "$policy"
chmod 0666 "$policy"
printf 'mode = "enforce"\nexempt_networks = {}\npolicy_file = "%s"\n' \
    "$policy" > "$conf"
out=$("$MTASTS_MILTER" -n -c "$conf" 2>&1)
rc=$?
check "-n refuses a world-writable policy_file (exit $rc)" test "$rc" -eq 1
case $out in
*"$conf:3: policy_file: $policy:0: file is writable by others"*)
	ok "-n says FILE: file is writable by others" ;;
*)	not_ok "-n says FILE: file is writable by others"
	echo "$out" | diag ;;
esac
base=$(grep -c "keeping the configuration in force" "$work/daemon.log")
kill -HUP "$daemon_pid"
check "world-writable policy_file: reload refused with FILE: message" \
    wait_for $((base + 1)) "keeping the configuration in force" \
    "$work/daemon.log"
check "world-writable policy_file: the log says FILE: why" \
    grep -q "policy_file: $policy:0: file is writable by others" \
    "$work/daemon.log"
check "world-writable policy_file: old verdict (reject) still in force" \
    test "$(verdict)" = reject

# 200 reloads, alternating modes, while 4 clients send traffic.
write_conf testing
kill -HUP "$daemon_pid"
wait_for 2 "configuration reloaded" "$work/daemon.log"
mt traffic.lua count=200 client=198.51.100.10 >/dev/null 2>&1	# warm-up
rss_before=$(awk '/^VmRSS/ { print $2 }' "/proc/$daemon_pid/status")
pids=()
for c in 1 2 3 4; do
	mt traffic.lua count=1500 client="198.51.100.2$c" \
	    > "$work/client.$c.out" 2>&1 &
	pids+=($!)
done
base=$(reloads)
for i in $(seq 200); do
	if [ $((i % 2)) -eq 0 ]; then write_conf testing; else write_conf enforce; fi
	kill -HUP "$daemon_pid"
	wait_for $((base + i)) "configuration reloaded" "$work/daemon.log" ||
	    break
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
check "200 reloads done under traffic" test "$(reloads)" -eq $((base + 200))
check "no client saw an error during the reloads" test "$failed" -eq 0
[ "$failed" -eq 0 ] || cat "$work"/client.*.out | diag
rss_after=$(awk '/^VmRSS/ { print $2 }' "/proc/$daemon_pid/status")
echo "# RSS before ${rss_before} kB, after ${rss_after} kB"
if [ -n "${ASAN_OPTIONS:-}" ]; then
	# ASan's quarantine holds freed memory: RSS says nothing there, and
	# LeakSanitizer checks for leaks when the daemon exits instead.
	skip "RSS check" "sanitizer build"
else
	check "RSS grew less than 2 MiB over 200 reloads and 6000 transactions" \
	    test $((rss_after - rss_before)) -lt 2048
fi
check "daemon stops within 2 s" stop_daemon

# Out of memory while building a reloaded configuration: the load fails,
# the daemon lives on with the old one.  An LD_PRELOAD shim fails
# calloc(97, ...), which only the 97 exempt_recipients below ask for.
shim=$work/failcalloc.so
skip=
if [ -n "${ASAN_OPTIONS:-}" ]; then
	skip="sanitizer build"
elif ! ${CC:-cc} -shared -fPIC -o "$shim" "$here/failcalloc.c" \
    >"$work/shim.cc" 2>&1; then
	skip="cannot build the LD_PRELOAD shim"
fi
if [ -z "$skip" ]; then
	write_conf enforce
	: >"$work/daemon.log"
	LD_PRELOAD=$shim MTASTS_FAIL_CALLOC_NMEMB=97 start_daemon "$conf"
	{
		echo 'mode = "testing"'
		echo 'exempt_networks = {}'
		printf 'exempt_recipients = {"u0@x.example"'
		for i in $(seq 96); do
			printf ', "u%d@x.example"' "$i"
		done
		echo '}'
	} >"$conf"
	kill -HUP "$daemon_pid"
	check "out of memory in a reload: 'out of memory' logged" \
	    wait_for 1 "reload: $conf:0: out of memory" "$work/daemon.log"
	check "out of memory in a reload: old configuration kept" \
	    wait_for 1 "keeping the configuration in force" "$work/daemon.log"
	check "out of memory in a reload: daemon still alive" \
	    kill -0 "$daemon_pid"
	check "out of memory in a reload: old verdict (reject) in force" \
	    test "$(verdict)" = reject
	grep -q 'reload: .*out of memory' "$work/daemon.log" ||
	    diag <"$work/daemon.log"
	check "out of memory in a reload: daemon stops within 2 s" stop_daemon
else
	for i in 1 2 3 4 5; do
		skip "out of memory in a reload ($i)" "$skip"
	done
fi
