#!/bin/bash
# Real-MTA test: the self-check behind a real Postfix (issue 15).  The
# milter (enforce, self_check pointed at this Postfix, interval 5 s) must:
#   1. reject plaintext with 550 5.7.1 while STARTTLS works (state ok);
#   2. after smtpd_tls_security_level = none + postfix reload: answer
#      plaintext 451 4.7.0 within the interval, queue nothing, log the crit
#      line and say outage in the statistics;
#   3. after STARTTLS is restored: 550 again, notice logged;
#   4. with Postfix stopped: state unreachable, a warning;
#   5. with Postfix serving an expired certificate: state certificate,
#      replies unchanged (550), a warning and the expiry metric;
#   6. with a long interval: the 20th plaintext transaction in a row makes
#      it probe at once, and the next one gets 451.
# TAP; needs root (skips otherwise); everything on 127.0.0.1.
# Env: MTASTS_MILTER (the daemon), top_srcdir, top_builddir.
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/mta/lib.sh
. "${top_srcdir:-$here/../..}/tests/mta/lib.sh"

require_root
require_milter
require_tools postfix postconf postcat swaks openssl python3 setsid

MTA_NAME=postfix
mta_queue_count() { postfix_queue_count "$PF_DIR"; }
tap_plan 7
mta_init
read -r MILTER_PORT SMTP_PORT <<<"$(free_ports 2)"
MTA_LOG=$MTA_DIR/postfix/maillog
PF_DIR=$MTA_DIR/postfix
STATS=$MTA_DIR/stats.prom

make_test_pki "$MTA_DIR/tls"

pf_tls() {	# pf_tls LEVEL [CERT]: edit main.cf and reload Postfix
    postconf -c "$PF_DIR" -e "smtpd_tls_security_level = $1" \
        "smtpd_tls_cert_file = $MTA_DIR/tls/${2:-cert.pem}"
    postfix -c "$PF_DIR" reload >/dev/null 2>&1
}
plain() {	# plain OUT: one plaintext message; QN = queue count before
    QN=$(mta_queue_count)
    smtp_send "$1" --to user@example.org
}

selfcheck_conf "$SMTP_PORT" 5
postfix_setup "$PF_DIR" "$SMTP_PORT" "inet:127.0.0.1:$MILTER_PORT"
postfix_start "$PF_DIR" "$SMTP_PORT"

# 1. STARTTLS works: state ok (within one interval), plaintext 550.
t_begin
wait_until 15 state_is ok || t_fail "state not ok: $(grep self_check_state "$STATS" | tr '\n' ' ')"
o=$MTA_DIR/s1.out
plain "$o"
expect_reply_after "$o" '^MAIL FROM:' "$(reject_ere sender@example.net)"
stats_has 'mtasts_milter_certificate_expiry_timestamp_seconds [0-9]+' ||
    t_fail "no certificate expiry metric"
t_files "$o" "$MILTER_LOG" "$STATS"
t_end "STARTTLS works: self-check ok, plaintext rejected with 550 5.7.1"

# 2. STARTTLS broken in Postfix: 451 within the interval, nothing queued.
t_begin
m=$(log_mark "$MILTER_LOG")
pf_tls none
wait_log "$MILTER_LOG" "$m" 'self-check: STARTTLS on .* is broken' 15 ||
    t_fail "no crit line within 15 s"
state_is outage || t_fail "statistics do not say outage"
o=$MTA_DIR/s2.out
m=$(log_mark "$MILTER_LOG")
plain "$o"
expect_reply_after "$o" '^MAIL FROM:' '451 4\.7\.0 TLS is temporarily unavailable on this server, try again later'
[ "$(mta_queue_count)" = "$QN" ] || t_fail "queue grew from $QN"
expect_log "$m" action=tempfail reason=plaintext guard=tls-outage
t_files "$o" "$MILTER_LOG" "$STATS"
t_end "STARTTLS off in Postfix: outage detected, plaintext gets 451 4.7.0, nothing queued"

# 3. STARTTLS restored: 550 again, notice.
t_begin
m=$(log_mark "$MILTER_LOG")
pf_tls may
wait_log "$MILTER_LOG" "$m" 'self-check: STARTTLS on .* works again' 15 ||
    t_fail "no notice within 15 s"
o=$MTA_DIR/s3.out
plain "$o"
expect_reply_after "$o" '^MAIL FROM:' "$(reject_ere sender@example.net)"
t_files "$o" "$MILTER_LOG"
t_end "STARTTLS restored: notice logged, plaintext rejected with 550 again"

# 4. Postfix stopped: unreachable, a warning.
t_begin
m=$(log_mark "$MILTER_LOG")
postfix_stop "$PF_DIR"
wait_log "$MILTER_LOG" "$m" 'self-check: cannot tell whether STARTTLS works' 15 ||
    t_fail "no warning within 15 s"
state_is unreachable || t_fail "statistics do not say unreachable"
t_files "$MILTER_LOG" "$STATS"
t_end "Postfix stopped: self-check unreachable, warning logged"

# 5. An expired certificate: state certificate, replies unchanged.
t_begin
m=$(log_mark "$MILTER_LOG")	# before the start: a probe may come at once
postconf -c "$PF_DIR" -e "smtpd_tls_cert_file = $MTA_DIR/tls/expired.pem"
postfix_start "$PF_DIR" "$SMTP_PORT"
wait_log "$MILTER_LOG" "$m" 'self-check: the certificate of .* is not valid for MTA-STS senders' 15 ||
    t_fail "no certificate warning within 15 s"
state_is certificate || t_fail "statistics do not say certificate"
stats_has 'mtasts_milter_certificate_expiry_timestamp_seconds 1580515200' ||
    t_fail "expiry metric is not the expired notAfter (2020-02-01)"
o=$MTA_DIR/s5.out
plain "$o"
expect_reply_after "$o" '^MAIL FROM:' "$(reject_ere sender@example.net)"
t_files "$o" "$MILTER_LOG" "$STATS"
t_end "expired certificate: self-check certificate, warning and expiry metric, 550 unchanged"

# 6. Long interval: 20 plaintext transactions in a row trigger a probe.
t_begin
pf_tls may cert.pem
selfcheck_conf "$SMTP_PORT" 3600
wait_until 15 state_is ok || t_fail "state not ok after restart"
pf_tls none
m=$(log_mark "$MILTER_LOG")
for i in $(seq 20); do
    plain "$MTA_DIR/s6-$i.out"
done
expect_reply_after "$MTA_DIR/s6-1.out" '^MAIL FROM:' "$(reject_ere sender@example.net)"
wait_log "$MILTER_LOG" "$m" 'self-check: STARTTLS on .* is broken' 10 ||
    t_fail "no outage detected after 20 plaintext transactions"
o=$MTA_DIR/s6.out
plain "$o"
expect_reply_after "$o" '^MAIL FROM:' '451 4\.7\.0 '
t_files "$o" "$MILTER_LOG"
t_end "interval 3600 s: the 20th plaintext transaction triggers a probe, the next gets 451"

# 7. The milter stayed up and stops cleanly.
t_begin
proc_alive "$MILTER_PID" || t_fail "the milter died"
milter_stop 5 || t_fail "the milter did not stop within 5 s"
t_end "the milter kept serving and stops within 5 s"

[ "$tap_failed" -eq 0 ]
