#!/bin/bash
# Real-MTA test: Postfix (Debian package: 3.7 on Debian 12, 3.10 on 13,
# 3.11 on unstable) + mtasts-milter, driven by swaks.
# TAP output.  Needs root (skips otherwise); everything on 127.0.0.1.
# Env: MTASTS_MILTER (the daemon), top_srcdir, top_builddir (from make check).
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/mta/lib.sh
. "${top_srcdir:-$here/../..}/tests/mta/lib.sh"

require_root
require_milter
require_tools postfix postcat swaks openssl python3 setsid

MTA_NAME=postfix
mta_stored() { postfix_postcat "$PF_DIR" "$1" -hq; }
mta_envelope() { postfix_postcat "$PF_DIR" "$1" -eq | grep -E '^(recipient|original_recipient):'; }
mta_queue_count() { postfix_queue_count "$PF_DIR"; }

tap_plan $((CORE_TESTS + 3))
mta_init
read -r MILTER_PORT SMTP_PORT <<<"$(free_ports 2)"
MTA_LOG=$MTA_DIR/postfix/maillog
# Postfix connects to the milter per SMTP session, so the milter can be
# restarted with a new configuration between cases.
milter_restart 'mode = "enforce"' 'exempt_networks = {}'
postfix_setup "$MTA_DIR/postfix" "$SMTP_PORT" "inet:127.0.0.1:$MILTER_PORT"
postfix_start "$MTA_DIR/postfix" "$SMTP_PORT"

core_cases

# -C probes this Postfix like a sending MTA (issue 14): its STARTTLS, its
# certificate (self-signed for $MTA_HOSTNAME, trusted through
# check_ca_file), reached through check_smtp_connect while the MX name
# comes from the DNS fixture of tests/check.  No policy is published
# there, so txt/policy fail (exit 1); the MX lines must be ok.
probe_case() {
    local out=$MTA_DIR/probe.out zone=$MTA_DIR/probe.zone conf=$MTA_DIR/probe.conf
    local srcdir=${top_srcdir:-$here/../..} rc
    t_begin
    printf '%s MX 10 %s\n%s A 127.0.0.1\n' "$MTA_HOSTNAME" "$MTA_HOSTNAME" \
        "$MTA_HOSTNAME" > "$zone"
    spawn "$MTA_DIR/probe-dnsd.log" python3 "$srcdir/tests/check/dnsd.py" \
        "$zone" "$MTA_DIR/probe-dns.port"
    wait_until "$MTA_WAIT" test -s "$MTA_DIR/probe-dns.port" ||
        t_fail "the DNS fixture did not start"
    {
        echo "socket = \"inet:$MILTER_PORT@127.0.0.1\""
        echo "check_resolver = \"127.0.0.1#$(cat "$MTA_DIR/probe-dns.port" 2>/dev/null)\""
        echo "check_ca_file = \"$MTA_DIR/tls/cert.pem\""
        echo "check_smtp_connect = \"127.0.0.1:$SMTP_PORT\""
        echo "check_timeout = 10"
        echo "check_cert_warn_days = 0"
    } > "$conf"
    timeout 60 "$MTASTS_MILTER" -c "$conf" -C "$MTA_HOSTNAME" > "$out" 2>&1
    rc=$?
    [ "$rc" -eq 1 ] || t_fail "exit status $rc, expected 1 (no policy published)"
    # Postfix 3.11 advertises REQUIRETLS over TLS; earlier ones do not.
    local adv="REQUIRETLS not advertised"
    postfix_version_ge 3 11 && adv="REQUIRETLS advertised"
    grep -Eq "^ok   $MTA_HOSTNAME  starttls $MTA_HOSTNAME: TLSv1\.[23] [A-Z0-9_-]+, $adv\$" "$out" ||
        t_fail "no ok starttls line ($adv)"
    grep -Eq "^ok   $MTA_HOSTNAME  certificate $MTA_HOSTNAME: issuer CN=$MTA_HOSTNAME, expires [0-9-]+ \([0-9]+ days left\)\$" "$out" ||
        t_fail "no ok certificate line"
    ! grep -Eq "^fail .* (starttls|certificate|dane) " "$out" ||
        t_fail "a fail line for the MX"
    t_files "$out"
    t_end "-C probes Postfix's STARTTLS and certificate via check_smtp_connect"
}
probe_case

# REQUIRETLS (issue 4), pinned per Postfix version.  Postfix before 3.11
# (3.7 on Debian 12, 3.10 on Debian 13) refuses the parameter itself (555
# 5.5.4 Unsupported option) before the milter sees MAIL FROM, on plaintext
# and on TLS sessions alike; the milter's own 523 5.7.10 and Received
# annotation are tested with miltertest.  Postfix 3.11 (Debian unstable)
# still answers 555 5.5.4 on plaintext, but over TLS advertises REQUIRETLS,
# accepts it and passes it to the milter: requiretls=yes in the milter's
# log and its "(requiretls)" Received field above Postfix's own.
requiretls_case() {	# requiretls_case NAME STEP...
    local out=$MTA_DIR/$1.out before
    before=$(mta_queue_count)
    t_begin
    smtp_dialog "$out" "${@:2}" ehlo "mailparam:sender@example.net REQUIRETLS" \
        rcpt:user@example.org data quit
    expect_reply_after "$out" 'MAIL FROM' '555 5\.5\.4 '
    [ "$(mta_queue_count)" -eq "$before" ] || t_fail "a message was queued"
    t_files "$out"
    t_end "$1: Postfix $PF_VERSION refuses MAIL FROM:<a> REQUIRETLS ($(reply_after "$out" 'MAIL FROM'))"
}
requiretls_accepted_case() {	# Postfix 3.11+, over TLS
    local out=$MTA_DIR/$1.out m st=$MTA_DIR/$1.stored
    m=$(log_mark "$MILTER_LOG")
    t_begin
    smtp_dialog "$out" ehlo starttls ehlo "mailparam:sender@example.net REQUIRETLS" \
        rcpt:user@example.org data quit
    reply_in "$out" '250[- ]REQUIRETLS' || t_fail "EHLO over TLS does not advertise REQUIRETLS"
    expect_reply_after "$out" 'MAIL FROM' '250 '
    expect_queued "$out"
    expect_log "$m" action=accept tls=TLSv1.3 requiretls=yes
    if [ -n "$QID" ]; then
        mta_stored "$QID" >"$st" 2>&1
        # Unfold the header, then: the first Received is the milter's
        # (requiretls) field, a Postfix Received comes after it.
        awk '/^[ \t]/ { h = h " " $0; next } { if (h != "") print h; h = $0 }
            END { if (h != "") print h }' "$st" | grep '^Received:' >"$st.rcvd"
        head -n 1 "$st.rcvd" | grep -q '(requiretls)' ||
            t_fail "first Received field is not the milter's (requiretls) one"
        tail -n +2 "$st.rcvd" | grep -q '(Postfix)' ||
            t_fail "no Postfix Received below the milter's"
        t_files "$st"
    fi
    t_files "$out" "$MILTER_LOG"
    t_end "$1: Postfix $PF_VERSION over TLS advertises and accepts REQUIRETLS, milter logs requiretls=yes, its (requiretls) Received above Postfix's"
}
PF_VERSION=$(postconf -dh mail_version 2>/dev/null)
milter_restart 'mode = "testing"' 'exempt_networks = {}'
requiretls_case requiretls-plaintext
if postfix_version_ge 3 11; then
    requiretls_accepted_case requiretls-tls
else
    requiretls_case requiretls-tls ehlo starttls
fi

[ "$tap_failed" -eq 0 ]
