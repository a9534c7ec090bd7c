# shellcheck shell=bash
# tests/mta/lib_cases.sh - the test-case helpers of the real-MTA tests (one
# TAP line per case, every failed expectation listed; reply and log
# expectations) and the core cases, the same for Postfix and Sendmail.
# Sourced by lib.sh; uses its helpers and those of lib_smtp.sh.

# ---------------------------------------------------------------------------
# Test-case helpers: one TAP line per case, every failed expectation listed
# ---------------------------------------------------------------------------
T_ERRS=()
T_FILES=()
t_begin() { T_ERRS=(); T_FILES=(); }
t_fail() { T_ERRS+=("$*"); }
t_files() { T_FILES+=("$@"); }
t_end() {
    if [ "${#T_ERRS[@]}" -eq 0 ]; then
        ok "$1"
    else
        not_ok "$1" "${T_ERRS[@]}" "${T_FILES[@]}"
    fi
}

# reply_after OUT CMD_ERE: the first server reply line after the client
# command line matching CMD_ERE (swaks " -> " / " ~> " lines).
reply_after() {
    awk -v cmd="$2" '
        found && /^<[-~*]/ { sub(/^<[-~*]+ +/, ""); print; exit }
        /^ [-~]> / { line = $0; sub(/^ [-~]> /, "", line); if (line ~ cmd) found = 1 }
    ' "$1"
}

# expect_reply_after OUT CMD_ERE REPLY_ERE
expect_reply_after() {
    local r
    r=$(reply_after "$1" "$2")
    printf '%s\n' "$r" | grep -Eq -- "^$3" ||
        t_fail "reply to /$2/ is '${r:-<none>}', expected /^$3/ ($1)"
}

expect_reply() { reply_in "$1" "$2" || t_fail "no server reply /^$2/ in $1"; }
expect_no_reply() { ! reply_in "$1" "$2" || t_fail "unexpected server reply /^$2/ in $1"; }

# log_tokens FILE MARK TOKEN...: one line after MARK holds every TOKEN as a
# whole space-separated word (order free: key=value fields).
log_tokens() {
    local f=$1 m=$2
    shift 2
    awk -v from="$m" -v toks="$(printf '%s\001' "$@")" '
        BEGIN { n = split(toks, t, "\001") - 1 }
        NR > from {
            nw = split($0, w, /[ \t]+/); delete have
            for (i = 1; i <= nw; i++) have[w[i]] = 1
            for (i = 1; i <= n; i++) if (!(t[i] in have)) next
            found = 1; exit
        }
        END { exit !found }' "$f"
}

# expect_log MARK TOKEN...: the milter logged such a line (waits up to 10 s).
expect_log() {
    local m=$1
    shift
    wait_until 10 log_tokens "$MILTER_LOG" "$m" "$@" ||
        t_fail "milter log has no line with: $*"
}

# milter_restart CONFIG LINE...: (re)start the milter with a new config.
milter_conf_n=0
milter_restart() {
    milter_stop 10
    milter_conf_n=$((milter_conf_n + 1))
    MILTER_CONF=$MTA_DIR/mtasts-milter.$milter_conf_n.conf
    milter_conf "$MILTER_CONF" "$@"
    milter_start "$MILTER_CONF"
}

# ---------------------------------------------------------------------------
# The core cases, the same for Postfix and Sendmail.  The MTA script defines:
#   mta_stored ID     - the stored message (envelope + headers) on stdout
#   mta_envelope ID   - the stored envelope recipients on stdout
#   mta_queue_count   - number of messages in the MTA's queue
#   MTA_LOG           - the MTA's own log file (diagnostics)
# Each case asserts something an accept-everything milter cannot produce:
# the configured 550 5.7.1 text or the milter's own decision log line.
# ---------------------------------------------------------------------------
REJECT_TEXT="STARTTLS is required by the mtasts test policy"

# reject_ere ADDR: the reply the MTA sends for the milter's reject of ADDR.
# Postfix passes the milter's text through; Sendmail puts "<ADDR>... " before
# the text at MAIL FROM and RCPT TO (it does so for its own replies too).
reject_ere() {
    local a
    a=$(printf '%s' "$1" | sed 's/[.[\*^$+?(){}|]/\\&/g')
    if [ "$MTA_NAME" = sendmail ]; then
        echo "550 5\\.7\\.1 <$a>\\.\\.\\. $REJECT_TEXT\$"
    else
        echo "550 5\\.7\\.1 $REJECT_TEXT\$"
    fi
}
TLS_RECEIVED_ERE='(using |version=)TLSv1\.3'
# shellcheck disable=SC2034 # the plan of postfix.sh and sendmail.sh
CORE_TESTS=8

expect_queued() {   # OUT: a 250 "queued" reply, sets QID
    QID=$(queue_id "$1")
    [ -n "$QID" ] || t_fail "message not queued (no 250 queued/accepted reply) in $1"
}

core_cases() {
    local d=$MTA_DIR o m q0 st

    # 1. enforce: plaintext rejected at MAIL FROM with the configured text
    milter_restart 'mode = "enforce"' 'exempt_networks = {}' \
        "reject_message = \"$REJECT_TEXT\""
    t_begin
    o=$d/c1-enforce-plain.out
    q0=$(mta_queue_count)
    smtp_send "$o" --to user@example.org
    expect_reply_after "$o" '^MAIL FROM:' "$(reject_ere sender@example.net)"
    [ "$SWAKS_RC" = 23 ] || t_fail "swaks exit $SWAKS_RC, expected 23 (MAIL rejected)"
    expect_log 0 action=reject reason=plaintext mode=enforce stage=mail tls=none \
        'from=<sender@example.net>'
    [ "$(mta_queue_count)" = "$q0" ] || t_fail "queue grew from $q0 to $(mta_queue_count)"
    t_files "$o" "$MILTER_LOG"
    t_end "$MTA_NAME enforce: plaintext MAIL FROM rejected with 550 5.7.1 and the configured text"

    # 2. enforce: STARTTLS accepted and stored
    t_begin
    o=$d/c2-enforce-tls.out
    m=$(log_mark "$MILTER_LOG")
    smtp_send "$o" --to user@example.org --tls
    expect_reply_after "$o" '^MAIL FROM:' '250 '
    expect_queued "$o"
    if [ -n "$QID" ]; then
        st=$d/c2-stored.txt
        mta_stored "$QID" >"$st" 2>&1
        grep -q 'Subject: mtasts-milter test c2-enforce-tls.out' "$st" ||
            t_fail "stored message $QID lacks its Subject"
        grep -Eq "$TLS_RECEIVED_ERE" "$st" ||
            t_fail "stored message $QID has no TLSv1.3 Received trace"
        t_files "$st"
    fi
    expect_log "$m" action=accept tls=TLSv1.3
    t_files "$o" "$MILTER_LOG" "$MTA_LOG"
    t_end "$MTA_NAME enforce: STARTTLS message accepted (250), stored, logged action=accept tls=TLSv1.3"

    # 3. enforce: EHLO, STARTTLS, MAIL without a second EHLO: the HELO-stage
    #    macros are the pre-TLS ones, so this passes only when the milter
    #    asked for the TLS macros at MAIL FROM (smfi_setsymlist).
    t_begin
    o=$d/c3-no-second-ehlo.out
    m=$(log_mark "$MILTER_LOG")
    smtp_dialog "$o" ehlo starttls mail:sender@example.net rcpt:user@example.org data quit
    grep -q '^=== TLS started' "$o" || t_fail "STARTTLS did not start"
    expect_reply_after "$o" '^MAIL FROM:' '250 '
    expect_reply_after "$o" '^<message>' '250 '
    expect_log "$m" action=accept tls=TLSv1.3
    t_files "$o" "$MILTER_LOG"
    t_end "$MTA_NAME enforce: STARTTLS then MAIL without a second EHLO is seen as TLS"

    # 4. testing: plaintext accepted, logged as would-reject
    milter_restart 'mode = "testing"' 'exempt_networks = {}' \
        "reject_message = \"$REJECT_TEXT\""
    t_begin
    o=$d/c4-testing-plain.out
    smtp_send "$o" --to user@example.org
    expect_reply_after "$o" '^MAIL FROM:' '250 '
    expect_reply_after "$o" '^RCPT TO:' '250 '
    expect_queued "$o"
    expect_no_reply "$o" '5[0-9][0-9] '
    expect_log 0 action=would-reject reason=plaintext mode=testing
    t_files "$o" "$MILTER_LOG"
    t_end "$MTA_NAME testing: plaintext accepted and logged action=would-reject"

    # 5. enforce with 127.0.0.0/8 exempt: plaintext accepted, logged exempt
    milter_restart 'mode = "enforce"' 'exempt_networks = {"127.0.0.0/8"}' \
        "reject_message = \"$REJECT_TEXT\""
    t_begin
    o=$d/c5-exempt-network.out
    smtp_send "$o" --to user@example.org
    expect_reply_after "$o" '^MAIL FROM:' '250 '
    expect_queued "$o"
    expect_log 0 action=exempt reason=network
    t_files "$o" "$MILTER_LOG"
    t_end "$MTA_NAME enforce: client in exempt_networks accepted in plaintext, logged action=exempt reason=network"

    # 6. global off + one enforced domain: only that domain's RCPT is refused
    milter_restart 'mode = "off"' 'exempt_networks = {}' \
        "reject_message = \"$REJECT_TEXT\"" \
        'domain "enforced.example" { mode = "enforce" }'
    t_begin
    o=$d/c6-domain.out
    smtp_send "$o" --to a@enforced.example,b@other.example
    expect_reply_after "$o" '^MAIL FROM:' '250 '
    expect_reply_after "$o" '^RCPT TO:<a@enforced\.example>' "$(reject_ere a@enforced.example)"
    expect_reply_after "$o" '^RCPT TO:<b@other\.example>' '250 '
    expect_queued "$o"
    if [ -n "$QID" ]; then
        st=$d/c6-envelope.txt
        mta_envelope "$QID" >"$st" 2>&1
        grep -q 'b@other\.example' "$st" || t_fail "b@other.example is not a stored recipient"
        ! grep -q 'enforced\.example' "$st" || t_fail "a@enforced.example was stored as a recipient"
        t_files "$st"
    fi
    expect_log 0 action=reject reason=plaintext mode=enforce stage=rcpt \
        'rcpt=<a@enforced.example>'
    t_files "$o" "$MILTER_LOG"
    t_end "$MTA_NAME per-domain enforce: RCPT TO enforced.example rejected with 550 5.7.1, other.example accepted"

    # 7. min_tls_version = TLSv1.3: a TLSv1.2 session is refused
    milter_restart 'mode = "enforce"' 'exempt_networks = {}' \
        "reject_message = \"$REJECT_TEXT\"" 'min_tls_version = "TLSv1.3"'
    t_begin
    o=$d/c7-tls12.out
    smtp_send "$o" --to user@example.org --tls --tls-protocol tlsv1_2
    grep -q 'TLS started with cipher TLSv1\.2' "$o" || t_fail "swaks did not negotiate TLSv1.2"
    expect_reply_after "$o" '^MAIL FROM:' "$(reject_ere sender@example.net)"
    expect_log 0 action=reject reason=weak-tls tls=TLSv1.2
    t_files "$o" "$MILTER_LOG"
    t_end "$MTA_NAME min_tls_version TLSv1.3: TLSv1.2 session rejected with 550 5.7.1 (weak-tls)"

    # 8. ... and a TLSv1.3 session under the same configuration is accepted
    t_begin
    o=$d/c8-tls13.out
    m=$(log_mark "$MILTER_LOG")
    smtp_send "$o" --to user@example.org --tls --tls-protocol tlsv1_3
    grep -q 'TLS started with cipher TLSv1\.3' "$o" || t_fail "swaks did not negotiate TLSv1.3"
    expect_reply_after "$o" '^MAIL FROM:' '250 '
    expect_queued "$o"
    expect_log "$m" action=accept tls=TLSv1.3
    t_files "$o" "$MILTER_LOG"
    t_end "$MTA_NAME min_tls_version TLSv1.3: TLSv1.3 session accepted"
}

# ---------------------------------------------------------------------------
# The self-check (postfix_selfcheck.sh, sendmail_selfcheck.sh)
# ---------------------------------------------------------------------------
# make_test_pki DIR: a CA (DIR/ca.pem), a certificate for $MTA_HOSTNAME it
# signs (DIR/cert.pem, DIR/key.pem) and an expired one (DIR/expired.pem,
# notAfter 2020-02-01), so that the self-check can verify the MTA's chain.
make_test_pki() {
    mkdir -p "$1" || return 1
    # shellcheck source=tests/lib/pki.sh
    ( cd "$1" && . "$MTA_LIB_DIR/../lib/pki.sh" && pki_ca_init &&
    openssl req -new -newkey rsa:2048 -nodes -keyout key.pem -out good.csr \
        -subj "/CN=$MTA_HOSTNAME" -addext "subjectAltName=DNS:$MTA_HOSTNAME" &&
    pki_sign good.csr cert.pem -days 20 &&
    pki_sign good.csr expired.pem -startdate 20200101000000Z \
        -enddate 20200201000000Z &&
    chmod 600 key.pem ) >"$1/pki.log" 2>&1 ||
        bail_out "cannot make the test certificates" "$1/pki.log"
}

# selfcheck_conf PORT INTERVAL: (re)start the milter in enforce mode with
# self_check on 127.0.0.1:PORT, statistics in $STATS.
selfcheck_conf() {
    milter_restart 'mode = "enforce"' 'exempt_networks = {}' \
        "self_check = \"127.0.0.1:$1\"" \
        "self_check_name = \"$MTA_HOSTNAME\"" \
        "check_ca_file = \"$MTA_DIR/tls/ca.pem\"" \
        "self_check_interval = $2" 'self_check_timeout = 3' \
        "stats_file = \"$STATS\"" \
        "reject_message = \"$REJECT_TEXT\""
}

# stats_has ERE: SIGUSR1 writes the statistics file; it matches ERE.
stats_has() {
    rm -f "$STATS"
    kill -USR1 "$MILTER_PID" 2>/dev/null
    wait_until 5 test -s "$STATS" && grep -Eq -- "$1" "$STATS"
}
state_is() { stats_has "mtasts_milter_self_check_state\\{state=\"$1\"\\} 1"; }
