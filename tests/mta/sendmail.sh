#!/bin/bash
# Real-MTA test: Sendmail 8.17 (unpacked from the Debian packages, not
# installed) + mtasts-milter via INPUT_MAIL_FILTER, driven by swaks.
# TAP output.  Needs root (skips otherwise); everything on 127.0.0.1.
# Env: MTASTS_MILTER (the daemon), top_srcdir, top_builddir (from make check).
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/mta/lib.sh
. "${top_srcdir:-$here/../..}/tests/mta/lib.sh"

require_root
require_milter
require_tools swaks openssl python3 setsid unshare m4 apt-get dpkg flock

MTA_NAME=sendmail
mta_stored() { sendmail_qf "$SM_DIR" "$1"; }
mta_envelope() { sendmail_qf "$SM_DIR" "$1" | grep '^R'; }
mta_queue_count() { find "$SM_DIR/mqueue" -name 'qf*' -type f | wc -l; }

tap_plan "$CORE_TESTS"
mta_init
sendmail_unpack
read -r MILTER_PORT SMTP_PORT <<<"$(free_ports 2)"
MTA_LOG=$MTA_DIR/sendmail/syslog
milter_restart 'mode = "enforce"' 'exempt_networks = {}'
sendmail_setup "$MTA_DIR/sendmail" "$SMTP_PORT" "inet:$MILTER_PORT@127.0.0.1"
sendmail_start "$MTA_DIR/sendmail" "$SMTP_PORT"

core_cases

[ "$tap_failed" -eq 0 ]
