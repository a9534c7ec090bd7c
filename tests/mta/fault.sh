#!/bin/bash
# Real-MTA fault test: Postfix 3.7 with milter_default_action = tempfail.
# With the milter stopped (or killed mid-transaction) Postfix must answer
# 4xx and keep nothing; once the milter is back, mail flows again without
# restarting Postfix.  TAP output.  Needs root (skips otherwise).
# Env: MTASTS_MILTER (the daemon), top_srcdir, top_builddir (from make check).
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/mta/lib.sh
. "${top_srcdir:-$here/../..}/tests/mta/lib.sh"

require_root
require_milter
require_tools postfix postcat swaks openssl python3 setsid

MTA_NAME=postfix
mta_queue_count() { postfix_queue_count "$PF_DIR"; }

tap_plan 7
mta_init
read -r MILTER_PORT SMTP_PORT <<<"$(free_ports 2)"
MTA_LOG=$MTA_DIR/postfix/maillog
ENFORCE=('mode = "enforce"' 'exempt_networks = {}' "reject_message = \"$REJECT_TEXT\"")
milter_restart "${ENFORCE[@]}"
postfix_setup "$MTA_DIR/postfix" "$SMTP_PORT" "inet:127.0.0.1:$MILTER_PORT"
postfix_start "$MTA_DIR/postfix" "$SMTP_PORT"
master=$(postfix_master_pid "$PF_DIR")
d=$MTA_DIR

# 1. baseline: the milter is in charge
t_begin
o=$d/f1-baseline.out
smtp_send "$o" --to user@example.org
expect_reply_after "$o" '^MAIL FROM:' "$(reject_ere sender@example.net)"
expect_log 0 action=reject reason=plaintext mode=enforce stage=mail
t_files "$o" "$MILTER_LOG"
t_end "baseline: milter running, plaintext rejected with 550 5.7.1"

# 2. SIGTERM stops it promptly (libmilter alone can take 10-15 s)
t_begin
pid=$MILTER_PID
log=$MILTER_LOG
milter_stop 2 || t_fail "milter still running 2 s after SIGTERM (killed it)"
diag "milter stopped $STOP_ELAPSED ms after SIGTERM"
! port_listening "$MILTER_PORT" || t_fail "something still listens on 127.0.0.1:$MILTER_PORT"
t_files "$log"
t_end "milter (pid $pid) exits within 2 s of SIGTERM and closes its socket"

# 3./4. milter down: temporary failure, nothing half-accepted
q0=$(mta_queue_count)
for kind in plain tls; do
    t_begin
    o=$d/f-down-$kind.out
    if [ "$kind" = tls ]; then smtp_send "$o" --to user@example.org --tls
    else smtp_send "$o" --to user@example.org; fi
    reply_in "$o" '4[0-9][0-9][ -]' || t_fail "no 4xx reply with the milter down"
    expect_no_reply "$o" '250 .*queued'
    expect_no_reply "$o" '5[0-9][0-9][ -]'
    [ "$SWAKS_RC" != 0 ] || t_fail "swaks reports success"
    [ "$(mta_queue_count)" = "$q0" ] || t_fail "queue grew from $q0 to $(mta_queue_count)"
    t_files "$o" "$MTA_LOG"
    t_end "milter stopped: $kind session answered 4xx (tempfail), nothing queued"
done

# 5. milter killed (SIGKILL) in the middle of a transaction
milter_restart "${ENFORCE[@]}"
t_begin
o=$d/f5-killed.out
q0=$(mta_queue_count)
smtp_dialog "$o" ehlo starttls ehlo mail:sender@example.net \
    "touch:$d/f5.ready" "wait:$d/f5.go" rcpt:user@example.org data quit &
dialog=$!
if wait_until 30 test -e "$d/f5.ready"; then
    # the milter has judged MAIL FROM (TLS: accept) before it dies
    expect_log 0 action=accept tls=TLSv1.3
    kill -KILL "$MILTER_PID"
    wait_until 10 not_ proc_alive "$MILTER_PID" || t_fail "milter survived SIGKILL"
    milter_stop 1 # reap
else
    t_fail "SMTP client never reached MAIL FROM"
fi
touch "$d/f5.go"
wait "$dialog"
expect_reply_after "$o" '^MAIL FROM:' '250 '
awk '/^ ~> RCPT/ { after = 1 } after' "$o" | grep -Eq '^<~\* 4[0-9][0-9][ -]' ||
    t_fail "no 4xx reply after the milter died"
expect_no_reply "$o" '250 .*queued'
[ "$(mta_queue_count)" = "$q0" ] || t_fail "queue grew from $q0 to $(mta_queue_count)"
t_files "$o" "$MTA_LOG"
t_end "milter killed after accepting MAIL FROM: RCPT answered 4xx, nothing queued"

# 6./7. milter back on the same socket: works again, Postfix not restarted
milter_restart "${ENFORCE[@]}"
t_begin
o=$d/f6-back-plain.out
smtp_send "$o" --to user@example.org
expect_reply_after "$o" '^MAIL FROM:' "$(reject_ere sender@example.net)"
expect_log 0 action=reject reason=plaintext mode=enforce stage=mail
t_files "$o" "$MILTER_LOG"
t_end "milter restarted: plaintext rejected with 550 5.7.1 again"

t_begin
o=$d/f7-back-tls.out
m=$(log_mark "$MILTER_LOG")
smtp_send "$o" --to user@example.org --tls
expect_reply_after "$o" '^MAIL FROM:' '250 '
expect_queued "$o"
expect_log "$m" action=accept tls=TLSv1.3
[ "$(postfix_master_pid "$PF_DIR")" = "$master" ] ||
    t_fail "Postfix master pid changed ($master -> $(postfix_master_pid "$PF_DIR"))"
proc_alive "$master" || t_fail "Postfix master $master is gone"
t_files "$o" "$MILTER_LOG" "$MTA_LOG"
t_end "milter restarted: STARTTLS delivery works again without restarting Postfix"

[ "$tap_failed" -eq 0 ]
