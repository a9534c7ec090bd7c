#!/bin/bash
# Real-MTA test: Postfix 3.7 (Debian package) + mtasts-milter, driven by swaks.
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

tap_plan $((CORE_TESTS + 2))
mta_init
read -r MILTER_PORT SMTP_PORT <<<"$(free_ports 2)"
MTA_LOG=$MTA_DIR/postfix/maillog
# Postfix connects to the milter per SMTP session, so the milter can be
# restarted with a new configuration between cases.
milter_restart 'mode = "enforce"' 'exempt_networks = {}'
postfix_setup "$MTA_DIR/postfix" "$SMTP_PORT" "inet:127.0.0.1:$MILTER_PORT"
postfix_start "$MTA_DIR/postfix" "$SMTP_PORT"

core_cases

# REQUIRETLS (issue 4).  Postfix 3.7 refuses the parameter itself (555
# 5.5.4 Unsupported option) before the milter sees MAIL FROM, on plaintext
# and on TLS sessions alike; the milter's own 523 5.7.10 and Received
# annotation are tested with miltertest.  These cases pin what Postfix 3.7
# does, so that a Postfix that starts passing the parameter on is noticed.
requiretls_case() {	# requiretls_case NAME STEP...
    local out=$MTA_DIR/$1.out before
    before=$(mta_queue_count)
    t_begin
    smtp_dialog "$out" "${@:2}" ehlo "mailparam:sender@example.net REQUIRETLS" \
        rcpt:user@example.org data quit
    expect_reply_after "$out" 'MAIL FROM' '5[0-9][0-9] '
    [ "$(mta_queue_count)" -eq "$before" ] || t_fail "a message was queued"
    t_files "$out"
    t_end "$1: MAIL FROM:<a> REQUIRETLS refused ($(reply_after "$out" 'MAIL FROM'))"
}
milter_restart 'mode = "testing"' 'exempt_networks = {}'
requiretls_case requiretls-plaintext
requiretls_case requiretls-tls ehlo starttls

[ "$tap_failed" -eq 0 ]
