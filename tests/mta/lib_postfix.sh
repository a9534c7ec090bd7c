# shellcheck shell=bash
# tests/mta/lib_postfix.sh - Postfix (the Debian package) for the real-MTA
# tests: a throwaway configuration directory (main.cf, master.cf), start,
# stop, queue count and postcat.  Sourced by lib.sh; uses its helpers.

# ---------------------------------------------------------------------------
# Postfix (Debian package) in a private configuration directory
# ---------------------------------------------------------------------------
PF_DIR=

# postfix_setup DIR SMTP_PORT MILTER_SOCKET: write DIR/main.cf, DIR/master.cf.
postfix_setup() {
    local dir=$1 port=$2 milter=$3
    mkdir -p "$dir/queue" "$dir/data"
    chown postfix "$dir/data"
    [ -f "$MTA_DIR/tls/cert.pem" ] || make_cert "$MTA_DIR/tls"
    # postfix-files: /etc/postfix up to Postfix 3.10 on Debian,
    # /usr/share/postfix on unstable's 3.11.
    local meta=/etc/postfix
    [ -f "$meta/postfix-files" ] || meta=/usr/share/postfix
    cat >"$dir/main.cf" <<EOF
# throwaway Postfix for mtasts-milter tests (tests/mta/lib.sh)
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
meta_directory = $meta
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
# Postfix logs to /dev/log unless told otherwise (and there may be none).
maillog_file = $dir/maillog
maillog_file_prefixes = $MTA_DIR
myhostname = $MTA_HOSTNAME
mydomain = test.example
myorigin = \$myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination = \$myhostname, localhost, example.org, enforced.example, other.example
local_recipient_maps =
alias_maps =
alias_database =
# Keep every accepted message in the queue (postcat -q shows it).
local_transport = discard
default_transport = discard
defer_transports = discard
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
biff = no
smtputf8_enable = no
smtpd_banner = \$myhostname ESMTP mtasts-milter test
smtpd_tls_security_level = may
smtpd_tls_cert_file = $MTA_DIR/tls/cert.pem
smtpd_tls_key_file = $MTA_DIR/tls/key.pem
smtpd_tls_received_header = yes
smtpd_tls_loglevel = 1
# The milter.  It asks for the TLS macros at MAIL FROM itself
# (smfi_setsymlist); no milter_macro_defaults for {tls_version}, ever.
smtpd_milters = $milter
non_smtpd_milters =
milter_default_action = tempfail
milter_protocol = 6
milter_connect_timeout = 10s
milter_command_timeout = 10s
milter_content_timeout = 30s
EOF
    {
        echo "127.0.0.1:$port inet n - n - - smtpd"
        cat "$MTA_LIB_DIR/postfix-master.cf"
    } >"$dir/master.cf"
}

# postfix_version_ge MAJOR MINOR: the installed Postfix is at least that.
postfix_version_ge() {
    local v maj min
    v=$(postconf -dh mail_version 2>/dev/null) || return 1
    maj=${v%%.*}
    min=${v#*.}
    min=${min%%.*}
    [ "$maj" -gt "$1" ] || { [ "$maj" -eq "$1" ] && [ "$min" -ge "$2" ]; }
}

postfix_master_pid() {
    local f=$1/queue/pid/master.pid
    [ -r "$f" ] && tr -dc '0-9' <"$f"
}

# postfix_start DIR SMTP_PORT: start it, wait for the SMTP banner.
postfix_start() {
    local dir=$1 port=$2
    MTA_POSTFIX_DIRS+=("$dir")
    if ! timeout 60 postfix -c "$dir" start >"$dir/start.log" 2>&1; then
        bail_out "postfix -c $dir start failed" "$dir/start.log" "$dir/maillog"
    fi
    wait_until "$MTA_WAIT" smtp_ready "$port" ||
        bail_out "no SMTP banner from Postfix on 127.0.0.1:$port within ${MTA_WAIT}s" \
            "$dir/start.log" "$dir/maillog"
    # shellcheck disable=SC2034 # read by the test scripts
    PF_DIR=$dir
    note "postfix master pid $(postfix_master_pid "$dir") on 127.0.0.1:$port"
}

# postfix_stop DIR: stop it and wait until master and its children are gone.
postfix_stop() {
    local dir=$1 pid
    pid=$(postfix_master_pid "$dir")
    [ -n "$pid" ] && proc_alive "$pid" || return 0
    timeout 30 postfix -c "$dir" stop >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null
    if ! wait_until 20 not_ group_alive "$pid"; then
        kill -KILL -- "-$pid" 2>/dev/null
        wait_until 5 not_ group_alive "$pid"
    fi
}

# postfix_queue_count DIR: messages in any queue (incoming/active/deferred/hold/maildrop)
postfix_queue_count() {
    local q=$1/queue
    find "$q/incoming" "$q/active" "$q/deferred" "$q/hold" "$q/maildrop" \
        -type f 2>/dev/null | wc -l
}

# postfix_postcat DIR QUEUEID FLAGS: print the stored queue file with
# postcat FLAGS (-hq headers, -eq envelope); retries while qmgr moves the
# file between queues.
postfix_postcat() {
    local tmp=$MTA_DIR/postcat.tmp rc=0
    wait_until 10 eval "timeout 10 postcat -c '$1' $3 '$2' >'$tmp' 2>&1" || rc=1
    cat "$tmp"
    return $rc
}
