#!/bin/bash
# stats.sh - the statistics file counts exactly what parallel clients sent
# (issue 5): CONNS concurrent connections of TXNS transactions each, 70%
# TLS, 30% plaintext, testing mode; after SIGUSR1 every counter must equal
# the number of transactions of its kind.  TAP on stdout.
set -u
. "$(dirname "$0")/lib.sh"
require_miltertest
CONNS=8 TXNS=250
total=$((CONNS * TXNS)) tls=$((CONNS * TXNS * 7 / 10))
plain=$((total - tls))
echo "1..9"

cat > "$work/m.conf" <<CONF
mode = "testing"
exempt_networks = {}
stats_file = "$work/stats.prom"
stats_interval = 3600
CONF
check "daemon starts" start_daemon "$work/m.conf"

pids=()
for c in $(seq "$CONNS"); do
	mt traffic.lua count="$TXNS" client="198.51.100.$c" \
	    > "$work/client.$c.out" 2>&1 &
	pids+=($!)
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
check "$CONNS parallel clients finished without error" test "$failed" -eq 0
[ "$failed" -eq 0 ] || cat "$work"/client.*.out | diag

check "SIGUSR1 writes the stats file" dump_stats
check "transactions_total{tls=yes} = $tls" \
    test "$(metric 'mtasts_milter_transactions_total{tls="yes"}')" = "$tls"
check "transactions_total{tls=no} = $plain" \
    test "$(metric 'mtasts_milter_transactions_total{tls="no"}')" = "$plain"
check "tls_version_total{TLSv1.3} = $tls" \
    test "$(metric 'mtasts_milter_tls_version_total{version="TLSv1.3"}')" = "$tls"
check "actions_total{accept,none} = $tls" \
    test "$(metric 'mtasts_milter_actions_total{action="accept",reason="none"}')" = "$tls"
check "actions_total{would-reject,plaintext} = $plain" \
    test "$(metric 'mtasts_milter_actions_total{action="would-reject",reason="plaintext"}')" = "$plain"
grep '^mtasts' "$work/stats.prom" | diag
check "daemon stops within 2 s" stop_daemon
