#!/bin/bash
# Real-MTA test: downgrade protection behind a real Postfix (issue 16).
# Three STARTTLS deliveries from 127.0.0.1 teach the milter's LMDB history
# that this client uses TLS; then, with downgrade = "tempfail" and global
# mode testing, plaintext from 127.0.0.1 gets 451 4.7.0 and nothing is
# queued, while plaintext from 127.0.0.2 (another network: prefix /32) is
# accepted and queued.  TAP; needs root (skips otherwise); 127.0.0.0/8 only.
# Env: MTASTS_MILTER (the daemon), top_srcdir, top_builddir.
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/mta/lib.sh
. "${top_srcdir:-$here/../..}/tests/mta/lib.sh"

require_root
require_milter
require_tools postfix postcat swaks openssl python3 setsid

MTA_NAME=postfix
tap_plan 4
mta_init
read -r MILTER_PORT SMTP_PORT <<<"$(free_ports 2)"
MTA_LOG=$MTA_DIR/postfix/maillog
milter_restart 'mode = "testing"' 'exempt_networks = {}' \
    'downgrade = "tempfail"' "history_db = \"lmdb:$MTA_DIR/history\"" \
    'history_prefix_v4 = 32' 'history_min_tls = 3'
postfix_setup "$MTA_DIR/postfix" "$SMTP_PORT" "inet:127.0.0.1:$MILTER_PORT"
postfix_start "$MTA_DIR/postfix" "$SMTP_PORT"

history_line() { "$MTASTS_MILTER" -c "$MILTER_CONF" -H "$1" 2>&1; }
history_has() { history_line "$1" | grep -q -- "$2"; }

# 1. Three STARTTLS deliveries are queued and recorded.
t_begin
for i in 1 2 3; do
    o=$MTA_DIR/tls$i.out
    smtp_send "$o" --tls --to user@example.org
    expect_queued "$o"
    t_files "$o"
done
wait_until 10 history_has 127.0.0.1 "protected tls=3 plain=0" ||
    t_fail "-H 127.0.0.1: $(history_line 127.0.0.1)"
t_files "$MILTER_LOG"
t_end "three STARTTLS deliveries queued; 127.0.0.1/32 is protected ($(history_line 127.0.0.1 | cut -c1-60))"

# 2. Plaintext from the same client: 451 4.7.0, nothing queued.
t_begin
o=$MTA_DIR/plain-same.out
q0=$(mta_queue_count)
m=$(log_mark "$MILTER_LOG")
smtp_send "$o" --to user@example.org
expect_reply_after "$o" '^RCPT TO:' '451 4\.7\.0 this sender has always used TLS; try again over TLS'
[ "$(mta_queue_count)" = "$q0" ] || t_fail "queue grew from $q0 to $(mta_queue_count)"
expect_log "$m" action=tempfail reason=downgrade mode=testing stage=rcpt tls=none
t_files "$o" "$MILTER_LOG"
t_end "plaintext from 127.0.0.1 (protected): 451 4.7.0, nothing queued"

# 3. The refused transaction did not unprotect the network.
t_begin
history_has 127.0.0.1 "protected tls=3 plain=0" ||
    t_fail "-H 127.0.0.1: $(history_line 127.0.0.1)"
t_end "the refused plaintext transaction was not recorded"

# 4. Plaintext from another client network: testing mode, queued.
t_begin
o=$MTA_DIR/plain-other.out
m=$(log_mark "$MILTER_LOG")
smtp_send "$o" --local-interface 127.0.0.2 --to user@example.org
expect_queued "$o"
expect_log "$m" action=would-reject reason=plaintext mode=testing tls=none
grep -q 'reason=plaintext .*\[127\.0\.0\.2\]' "$MILTER_LOG" ||
    t_fail "no decision line for client 127.0.0.2"
t_files "$o" "$MILTER_LOG"
t_end "plaintext from 127.0.0.2 (no history): accepted and queued"

[ "$tap_failed" -eq 0 ]
