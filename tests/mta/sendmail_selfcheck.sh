#!/bin/bash
# Real-MTA test: the self-check behind a real Sendmail (issue 15), once:
# enforce with self_check on Sendmail's port; STARTTLS works -> 550 for
# plaintext; Sendmail restarted without its certificate (no STARTTLS) ->
# outage, plaintext gets 451 4.7.0 and nothing is queued; restarted with it
# -> 550 again.  TAP; needs root (skips otherwise); everything on 127.0.0.1.
# Env: MTASTS_MILTER (the daemon), top_srcdir, top_builddir.
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/mta/lib.sh
. "${top_srcdir:-$here/../..}/tests/mta/lib.sh"

require_root
require_milter
require_tools swaks openssl python3 setsid unshare m4 apt-get dpkg flock

MTA_NAME=sendmail
mta_queue_count() { find "$SM_DIR/mqueue" -name 'qf*' -type f | wc -l; }
tap_plan 3
mta_init
sendmail_unpack
read -r MILTER_PORT SMTP_PORT <<<"$(free_ports 2)"
MTA_LOG=$MTA_DIR/sendmail/syslog
STATS=$MTA_DIR/stats.prom
SMD=$MTA_DIR/sendmail
make_test_pki "$MTA_DIR/tls"
selfcheck_conf "$SMTP_PORT" 5
sendmail_setup "$SMD" "$SMTP_PORT" "inet:$MILTER_PORT@127.0.0.1"
cp "$SMD/sendmail.cf" "$SMD/sendmail-tls.cf"
grep -v 'confSERVER_CERT\|confSERVER_KEY' "$SMD/sendmail.mc" >"$SMD/notls.mc"
m4 "$SMD/notls.mc" >"$SMD/sendmail-notls.cf" 2>"$SMD/m4-notls.log" ||
    bail_out "m4 could not build the cf without STARTTLS" "$SMD/m4-notls.log"
sendmail_start "$SMD" "$SMTP_PORT"

plain() { QN=$(mta_queue_count); smtp_send "$1" --to user@example.org; }
restart_with() {	# restart_with CF: Sendmail on another sendmail.cf
    sendmail_stop
    cp "$SMD/$1" "$SMD/sendmail.cf"
    sendmail_start "$SMD" "$SMTP_PORT"
}

t_begin
wait_until 15 state_is ok || t_fail "state not ok"
o=$MTA_DIR/m1.out
plain "$o"
expect_reply_after "$o" '^MAIL FROM:' "$(reject_ere sender@example.net)"
t_files "$o" "$MILTER_LOG"
t_end "sendmail with STARTTLS: self-check ok, plaintext rejected with 550 5.7.1"

t_begin
m=$(log_mark "$MILTER_LOG")
restart_with sendmail-notls.cf
wait_log "$MILTER_LOG" "$m" 'self-check: STARTTLS on .* is broken' 15 ||
    t_fail "no crit line within 15 s"
o=$MTA_DIR/m2.out
m=$(log_mark "$MILTER_LOG")
plain "$o"
expect_reply_after "$o" '^MAIL FROM:' '451 4\.7\.0 '
[ "$(mta_queue_count)" = "$QN" ] || t_fail "queue grew from $QN"
expect_log "$m" action=tempfail reason=plaintext guard=tls-outage
t_files "$o" "$MILTER_LOG" "$MTA_LOG"
t_end "sendmail without STARTTLS: outage, plaintext gets 451 4.7.0, nothing queued"

t_begin
m=$(log_mark "$MILTER_LOG")
restart_with sendmail-tls.cf
# The restart may pass through "unreachable" first: either notice will do.
wait_log "$MILTER_LOG" "$m" 'self-check: STARTTLS (on .* works again|and certificate on .* are fine again)' 15 ||
    t_fail "no notice within 15 s"
o=$MTA_DIR/m3.out
plain "$o"
expect_reply_after "$o" '^MAIL FROM:' "$(reject_ere sender@example.net)"
t_files "$o" "$MILTER_LOG"
t_end "sendmail with STARTTLS again: plaintext rejected with 550 again"

[ "$tap_failed" -eq 0 ]
