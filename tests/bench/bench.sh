#!/bin/bash
# bench.sh - benchmark mtasts-milter against a null milter (not a timed test).
#
# Modes:
#   bench.sh [--quick] [-n TX] [-r RUNS]
#       milter protocol: loadgen drives our milter and the null milter in
#       turn (A B, B A, ...: RUNS runs each, medians), over a unix socket
#       and over inet loopback, at concurrency 1, 16 and 64, with our
#       milter in testing and in enforce mode.  Prints one table row per
#       mode, socket and concurrency.  TX transactions per run (default
#       20000).
#   bench.sh --postfix [--quick] [-m MSGS] [-c CONC] [-r RUNS]
#       a private Postfix on 127.0.0.1 with three smtpd listeners: no
#       milter, the null milter and ours (testing mode).  Each run sends
#       MSGS (default 3000) messages to each listener in turn, the order
#       rotating from run to run, RUNS (default 5) runs: medians of
#       messages/s for plaintext (smtp-source) and STARTTLS (smtpload.py,
#       python smtplib: smtp-source has no STARTTLS), and ours / null.
#   bench.sh --memory [--quick] [-n TX] [-i IDLE]
#       milter RSS with IDLE (default 1000) idle sessions, and RSS before and
#       after a long run of TX (default 1000000) transactions.
#   bench.sh --callgrind [-n N] [-m M] [-c CONC]
#       instructions per transaction, not time: ours (testing mode, log
#       level notice) and the null milter each run twice under valgrind
#       --tool=callgrind, with N (default 500) and M (default 2500)
#       transactions of the standard mix at concurrency CONC (default 1),
#       and the figure is (Ir(M) - Ir(N)) / (M - N), so that start-up and
#       exit cancel out.  Prints Ir per transaction for each and the ratio.
#   bench.sh --downgrade [--quick] [-n TX] [-r RUNS]
#       the milter protocol table at concurrency 16, testing mode, with
#       downgrade = "log" and the TLS history in LMDB and in a
#       redis-server started here on a unix socket (needs redis-server):
#       the cost of downgrade protection against the null milter.
#   bench.sh --selfcheck [--quick] [-n TX] [-r RUNS]
#       the same table with self_check on (interval 5 s) against a small
#       SMTP responder started here (it offers no STARTTLS, so every probe
#       runs the full two-probe outage path): the probe thread must not
#       slow transactions down.
#   bench.sh --domains [--quick] [-n TX] [-r RUNS]
#       RCPT-stage cost with 1 and with 100,000 domains (issue 18): our
#       milter in testing mode with one ".example.net" block, and with
#       100,000 "dK.example.net" blocks; loadgen -D 100000 sends every
#       recipient to a random dK.example.net (so each matches a rule in
#       both), plaintext and TLS sessions as above.  Medians of tx/s and
#       p50 side by side, and the ratio (issue 18 wants <= 1.1).
#   --quick: a smoke run (few transactions, one run each) for CI.
#
# Environment: MTASTS_MILTER (our daemon; default ../../mtasts-milter from
# this script's directory), LOADGEN, NULLMILTER (default: beside this
# script), SMTPLOAD, BENCH_KEEP=1 keeps the work directory (logs, raw
# results).  When MTASTS_MILTER is not executable, only the null milter is
# measured and a warning says so.
#
# Failure modes: exits 1 when a milter or Postfix does not come up (polled
# for readiness, never a fixed sleep: loadgen -W for milters, the SMTP
# banner for Postfix), 2 on usage errors.  Loadgen errors in a run are shown
# as '!' after the row.  Everything listens on loopback only; every wait is
# bounded; processes started here are stopped by their pid on exit.

set -u

here=$(cd "$(dirname "$0")" && pwd)
MTASTS_MILTER=${MTASTS_MILTER:-$here/../../mtasts-milter}
LOADGEN=${LOADGEN:-$here/loadgen}
NULLMILTER=${NULLMILTER:-$here/nullmilter}
SMTPLOAD=${SMTPLOAD:-$here/smtpload.py}

mode=proto quick=0 tx='' runs='' msgs='' conc='' idle=1000
concs="1 16 64" ours_extra=
while [ $# -gt 0 ]; do
	case $1 in
	--postfix) mode=postfix ;;
	--memory) mode=memory ;;
	--callgrind) mode=callgrind ;;
	--downgrade) mode=downgrade ;;
	--selfcheck) mode=selfcheck ;;
	--domains) mode=domains ;;
	--quick) quick=1 ;;
	-n) tx=$2; shift ;;
	-r) runs=$2; shift ;;
	-m) msgs=$2; shift ;;
	-c) conc=$2; shift ;;
	-i) idle=$2; shift ;;
	*) echo "usage: bench.sh [--postfix|--memory|--callgrind|--downgrade|" \
	    "--selfcheck|--domains] [--quick] [-n TX]" \
	    "[-r RUNS] [-m MSGS] [-c CONC] [-i IDLE]" >&2; exit 2 ;;
	esac
	shift
done

for b in "$LOADGEN" "$NULLMILTER"; do
	[ -x "$b" ] || { echo "bench.sh: $b not built" >&2; exit 1; }
done
have_ours=1
if [ ! -x "$MTASTS_MILTER" ]; then
	have_ours=0
	echo "bench.sh: WARNING: $MTASTS_MILTER not found:" \
	    "measuring the null milter only" >&2
fi

if [ $mode = callgrind ]; then
	command -v valgrind >/dev/null || { echo "bench.sh: --callgrind" \
	    "needs valgrind" >&2; exit 1; }
	[ $have_ours = 1 ] || { echo "bench.sh: --callgrind needs" \
	    "$MTASTS_MILTER" >&2; exit 1; }
fi

work=$(mktemp -d /tmp/mtbench.XXXXXX) || exit 1
chmod 755 "$work"
pids=()
pfdir=

# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	local p
	for p in "${pids[@]}"; do
		stop_pid "$p"
	done
	[ -n "$pfdir" ] && postfix -c "$pfdir" stop >/dev/null 2>&1
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "bench.sh: work directory kept: $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

die() { echo "bench.sh: $*" >&2; exit 1; }

# Stop a process we started: SIGTERM, poll up to SECS (default 5) s, then
# SIGKILL.  stop_pid PID [SECS]
stop_pid() {
	local p=$1
	kill -0 "$p" 2>/dev/null || return 0
	kill -TERM "$p" 2>/dev/null
	for _ in $(seq $(( ${2:-5} * 20 ))); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	return 0
}

forget_pid() {
	local p keep=()
	for p in "${pids[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	pids=("${keep[@]}")
}

# N distinct loopback ports that no socket uses, chosen by the kernel
# (bound together, so they differ), one per line.  Probing with a connect
# is not enough: a port can be some connection's local end.
free_ports() {
	python3 -c 'import socket, sys
s = [socket.socket() for _ in range(int(sys.argv[1]))]
for x in s: x.bind(("127.0.0.1", 0))
print("\n".join(str(x.getsockname()[1]) for x in s))' "$1" ||
	    die "no free port"
}

# libmilter socket spec for KIND (unix|inet) and NAME.
sock_spec() {
	if [ "$1" = unix ]; then
		echo "unix:$work/$2.sock"
	else
		echo "inet:$(free_ports 1)@127.0.0.1"
	fi
}

# Commands the milters run under (valgrind for --callgrind), the readiness
# wait in seconds and extra lines for our configuration.
wrap=() ready_secs=15 ours_extra=

# start_ours MODE SOCKET LOG -> sets started_pid
start_ours() {
	local conf=$work/ours-$1.conf
	cat >"$conf" <<-EOF
	socket = "$2"
	mode = "$1"
	exempt_networks = {}
	$ours_extra
	EOF
	"${wrap[@]}" "$MTASTS_MILTER" -f -c "$conf" >"$3" 2>&1 &
	started_pid=$!
	pids+=("$started_pid")
	"$LOADGEN" -p "$2" -W $ready_secs ||
	    { tail -5 "$3" >&2; die "ours not ready on $2"; }
}

start_null() {
	"${wrap[@]}" "$NULLMILTER" -p "$1" >"$2" 2>&1 &
	started_pid=$!
	pids+=("$started_pid")
	"$LOADGEN" -p "$1" -W $ready_secs || die "null milter not ready on $1"
}

# run_lg SOCKET PID CONC TOTAL [SEED] -> the "result" line of loadgen; the
# same seed gives ours and the null milter the same mix of sessions.
run_lg() {
	local t=10 r
	r=$(( ($4 + $3 * t - 1) / ($3 * t) ))
	"$LOADGEN" -q -p "$1" -P "$2" -c "$3" -t $t -r $r -s "${5:-1}" \
	    -L 3600 2>>"$work/loadgen.err" | grep '^result '
}

kv() { # kv KEY LINE
	local w
	for w in $2; do
		case $w in "$1"=*) echo "${w#*=}"; return ;; esac
	done
	echo 0
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-";
	else if (NR % 2) print v[(NR + 1) / 2];
	else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" ||
	b + 0 == 0) print "-"; else printf "%.2f\n", a / b }'; }

# --- milter protocol ---------------------------------------------------------

# proto_once WHO(o|n) MODE KIND CONC RUN: one loadgen run, its raw line
# kept and its figures added to $work/WHO.tps and WHO.p99.
proto_once() {
	local who=$1 m=$2 k=$3 c=$4 i=$5 name sock pid line
	if [ "$who" = o ]; then name=ours sock=$so pid=$op
	else name=null sock=$sn pid=$np; fi
	line=$(run_lg "$sock" "$pid" "$c" "$tx" "$i")
	echo "$name $m $k c=$c $line" >>"$work/raw.log"
	kv tps "$line" >>"$work/$who.tps"
	kv p99_ms "$line" >>"$work/$who.p99"
	[ "$(kv errors "$line")" = 0 ] || flag='!'
}

proto_group() { # MODE KIND
	local m=$1 k=$2 so sn op np c flag i who
	local ot nt o9 n9
	sn=$(sock_spec "$k" null)
	start_null "$sn" "$work/null-$m-$k.log"; np=$started_pid
	if [ $have_ours = 1 ]; then
		so=$(sock_spec "$k" ours)
		start_ours "$m" "$so" "$work/ours-$m-$k.log"; op=$started_pid
	fi
	for c in $concs; do
		: >"$work/o.tps"; : >"$work/n.tps"; : >"$work/o.p99"
		: >"$work/n.p99"; flag=
		# A B, B A, ...: neither milter always runs first.
		for i in $(seq "$runs"); do
			for who in $( (( i % 2 )) && echo o n || echo n o); do
				[ "$who" = n ] || [ $have_ours = 1 ] || continue
				proto_once "$who" "$m" "$k" "$c" "$i"
			done
		done
		ot=$(median <"$work/o.tps"); nt=$(median <"$work/n.tps")
		o9=$(median <"$work/o.p99"); n9=$(median <"$work/n.p99")
		printf "%-8s %-6s %5s %11s %11s %6s %9s %9s %6s%s\n" "$m" "$k" \
		    $c "$ot" "$nt" "$(ratio "$ot" "$nt")" "$o9" "$n9" \
		    "$(ratio "$o9" "$n9")" "$flag"
	done
	stop_pid "$np"; forget_pid "$np"
	if [ $have_ours = 1 ]; then
		stop_pid "$op"; forget_pid "$op"
	fi
}

run_proto() {
	[ -n "$tx" ] || { [ $quick = 1 ] && tx=500 || tx=20000; }
	[ -n "$runs" ] || { [ $quick = 1 ] && runs=1 || runs=5; }
	echo "milter protocol: $tx transactions per run, $runs runs each" \
	    "(A B, B A, ...), medians; 70% TLS sessions, 1-3 rcpts, 4 KiB body"
	printf "%-8s %-6s %5s %11s %11s %6s %9s %9s %6s\n" mode socket conc \
	    "ours_tx/s" "null_tx/s" ratio "ours_p99" "null_p99" ratio
	local m k
	for m in testing enforce; do
		for k in unix inet; do
			proto_group $m $k
		done
	done
	echo "(p99 in ms; ratio = ours / null; '!' = loadgen errors: rerun" \
	    "with BENCH_KEEP=1 and read loadgen.err in the work directory)"
}

# --- downgrade protection ----------------------------------------------------

# The protocol table at c=16 in testing mode with downgrade = "log": every
# plaintext transaction reads the history, every accepted one is queued to
# its writer.
run_downgrade() {
	local rpid i
	command -v redis-server >/dev/null 2>&1 ||
	    die "redis-server not installed (Debian package redis-server)"
	[ -n "$tx" ] || { [ $quick = 1 ] && tx=500 || tx=20000; }
	[ -n "$runs" ] || { [ $quick = 1 ] && runs=1 || runs=5; }
	redis-server --port 0 --unixsocket "$work/redis.sock" --save "" \
	    --appendonly no --dir "$work" --logfile "$work/redis.log" &
	rpid=$!
	pids+=("$rpid")
	for i in $(seq 100); do
		[ -S "$work/redis.sock" ] && break
		sleep 0.05
	done
	[ -S "$work/redis.sock" ] || die "redis-server did not start"
	echo "downgrade = log, testing mode: $tx transactions per run, $runs" \
	    "runs each (A B, B A, ...), medians"
	printf "%-8s %-6s %5s %11s %11s %6s %9s %9s %6s\n" history socket \
	    conc "ours_tx/s" "null_tx/s" ratio "ours_p99" "null_p99" ratio
	concs=16
	ours_extra="downgrade = \"log\"
history_db = \"lmdb:$work/history\""
	proto_group testing unix | sed 's/^testing /lmdb    /'
	ours_extra="downgrade = \"log\"
history_db = \"redis:unix:$work/redis.sock\""
	proto_group testing unix | sed 's/^testing /redis   /'
	ours_extra=
	concs="1 16 64"
	echo "(p99 in ms; ratio = ours / null)"
}

# --- self-check ----------------------------------------------------------------

run_selfcheck() {
	local spid port i
	[ -n "$tx" ] || { [ $quick = 1 ] && tx=500 || tx=20000; }
	[ -n "$runs" ] || { [ $quick = 1 ] && runs=1 || runs=5; }
	python3 - "$work/smtp.port" <<-'PY' &
	import socket, sys, threading
	ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen(8)
	open(sys.argv[1], "w").write(str(ls.getsockname()[1]))
	def one(c):
	    f = c.makefile("rb")
	    try:
	        c.sendall(b"220 bench ESMTP\r\n")
	        for line in f:
	            if line[:4].upper() == b"EHLO":
	                c.sendall(b"250-bench\r\n250 PIPELINING\r\n")
	            else:
	                c.sendall(b"221 bye\r\n")
	                break
	    except OSError:
	        pass
	    c.close()
	while True:
	    c, _ = ls.accept()
	    threading.Thread(target=one, args=(c,), daemon=True).start()
	PY
	spid=$!
	pids+=("$spid")
	for i in $(seq 100); do
		[ -s "$work/smtp.port" ] && break
		sleep 0.05
	done
	port=$(cat "$work/smtp.port") || die "the SMTP responder did not start"
	echo "self_check every 5 s, testing mode: $tx transactions per run," \
	    "$runs runs each (A B, B A, ...), medians"
	printf "%-8s %-6s %5s %11s %11s %6s %9s %9s %6s\n" check socket \
	    conc "ours_tx/s" "null_tx/s" ratio "ours_p99" "null_p99" ratio
	concs=16
	ours_extra="self_check = \"127.0.0.1:$port\"
self_check_interval = 5
self_check_timeout = 2"
	proto_group testing unix | sed 's/^testing /on      /'
	ours_extra=
	concs="1 16 64"
	echo "(p99 in ms; ratio = ours / null)"
}

# --- memory ------------------------------------------------------------------

rss_of() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

memory_one() { # NAME START_FN
	local name=$1 s pid line r0 r1 r2 c=16
	s="unix:$work/mem-$name.sock"
	if [ "$name" = ours ]; then
		start_ours testing "$s" /dev/null
	else
		start_null "$s" /dev/null
	fi
	pid=$started_pid
	r0=$(rss_of "$pid")
	line=$("$LOADGEN" -p "$s" -P "$pid" -i "$idle" -T 30000 2>>"$work/loadgen.err")
	echo "$name idle: $line"
	run_lg "$s" "$pid" $c $(( tx / 100 + 100 )) >/dev/null
	r1=$(rss_of "$pid")
	line=$(run_lg "$s" "$pid" $c "$tx")
	r2=$(rss_of "$pid")
	echo "$name long: start_rss_kb=$r0 after_warmup_rss_kb=$r1" \
	    "after_long_rss_kb=$r2 growth_kb=$(( r2 - r1 )) $line"
	stop_pid "$pid"; forget_pid "$pid"
}

run_memory() {
	[ -n "$tx" ] || { [ $quick = 1 ] && tx=20000 || tx=1000000; }
	[ $quick = 1 ] && idle=100
	echo "memory: $idle idle sessions; long run of $tx transactions at" \
	    "concurrency 16 after a warm-up of $(( tx / 100 + 100 ))"
	[ $have_ours = 1 ] && memory_one ours
	memory_one null
}

# --- callgrind ---------------------------------------------------------------

# cg_once WHO(ours|null) TX: one run of TX transactions under callgrind;
# sets cg_tx (the transactions loadgen completed, not the ones asked for)
# and cg_ir.  Runs in the main shell, so that the EXIT trap stops the milter.
cg_once() {
	local who=$1 n=$2 sock out log pid line
	sock="unix:$work/cg-$who-$n.sock"
	out=$work/callgrind.out.$who.$n log=$work/cg-$who-$n.log
	wrap=(valgrind --tool=callgrind --callgrind-out-file="$out")
	if [ "$who" = ours ]; then
		start_ours testing "$sock" "$log"
	else
		start_null "$sock" "$log"
	fi
	wrap=()
	pid=$started_pid
	line=$(run_lg "$sock" "$pid" "$conc" "$n")
	echo "$who callgrind c=$conc $line" >>"$work/raw.log"
	if [ -z "$line" ] || [ "$(kv errors "$line")" != 0 ]; then
		die "loadgen errors against $who: $line"
	fi
	stop_pid "$pid" 60; forget_pid "$pid"
	cg_tx=$(kv tx "$line")
	cg_ir=$(awk '/^(summary|totals):/ { print $2; exit }' "$out" \
	    2>/dev/null)
	[ -n "$cg_ir" ] || die "no callgrind totals from $who (see $log)"
}

# cg_who WHO: sets cg_res to "IR_PER_TX IR(N) IR(M)".
cg_who() {
	local n a
	cg_once "$1" "$tx"; n=$cg_tx a=$cg_ir
	cg_once "$1" "$msgs"
	[ "$cg_tx" -gt "$n" ] || die "M must be larger than N"
	cg_res=$(awk -v n="$n" -v a="$a" -v m="$cg_tx" -v b="$cg_ir" \
	    'BEGIN { printf "%.0f %s %s\n", (b - a) / (m - n), a, b }')
}

run_callgrind() {
	local o n
	[ -n "$tx" ] || tx=500
	[ -n "$msgs" ] || msgs=2500
	[ -n "$conc" ] || conc=1
	ready_secs=120 ours_extra='log_level = "notice"'
	echo "callgrind: instructions per transaction = (Ir(M) - Ir(N)) /" \
	    "(M - N), N=$tx M=$msgs, concurrency $conc, unix socket;" \
	    "ours in testing mode at log level notice; standard mix"
	cg_who ours; o=$cg_res
	cg_who null; n=$cg_res
	printf "%-6s %12s %16s %16s\n" milter "Ir/tx" "Ir(N)" "Ir(M)"
	# shellcheck disable=SC2086 # three words each
	printf "%-6s %12s %16s %16s\n" ours $o null $n
	echo "ratio ours/null: $(ratio "${o%% *}" "${n%% *}")"
}

# --- Postfix -----------------------------------------------------------------

pf_setup() { # PORT_NONE PORT_NULL MILTER_NULL PORT_OURS MILTER_OURS
	pfdir=$work/pf
	mkdir -p "$pfdir" "$work/pfq" "$work/pfdata"
	chown postfix "$work/pfdata"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj \
	    /CN=mx.bench.example -keyout "$pfdir/key.pem" \
	    -out "$pfdir/cert.pem" >/dev/null 2>&1 || die "openssl failed"
	cat >"$pfdir/main.cf" <<-EOF
	compatibility_level = 3.6
	queue_directory = $work/pfq
	data_directory = $work/pfdata
	maillog_file = $work/postfix.log
	maillog_file_prefixes = /tmp
	myhostname = mx.bench.example
	mydestination = bench.example
	inet_interfaces = loopback-only
	inet_protocols = ipv4
	mynetworks = 127.0.0.0/8
	local_recipient_maps =
	alias_maps =
	alias_database =
	default_transport = discard
	local_transport = discard
	smtpd_tls_security_level = may
	smtpd_tls_cert_file = $pfdir/cert.pem
	smtpd_tls_key_file = $pfdir/key.pem
	smtpd_client_connection_count_limit = 0
	smtpd_client_connection_rate_limit = 0
	smtpd_client_message_rate_limit = 0
	default_process_limit = 200
	milter_default_action = tempfail
	smtpd_milters =
	EOF
	# One Postfix, one smtpd listener per milter setting: no restart
	# between the measurements of a round.
	{
		echo "127.0.0.1:$1 inet n - n - - smtpd"
		echo "127.0.0.1:$2 inet n - n - - smtpd" \
		    "-o smtpd_milters=$3"
		[ -n "$4" ] && echo "127.0.0.1:$4 inet n - n - - smtpd" \
		    "-o smtpd_milters=$5"
		cat "$here/../mta/postfix-master.cf"
	} >"$pfdir/master.cf"
	postfix -c "$pfdir" set-permissions >/dev/null 2>&1
}

pf_ready() { # PORT: poll for the 220 banner, at most 15 s
	local l
	for _ in $(seq 300); do
		l=$(timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1 &&
		    read -t 1 l <&3 && echo \"\$l\" && echo QUIT >&3" \
		    2>/dev/null)
		case $l in 220*) return 0 ;; esac
		sleep 0.05
	done
	return 1
}

pf_stop() {
	postfix -c "$pfdir" stop >/dev/null 2>&1
	for _ in $(seq 200); do
		postfix -c "$pfdir" status >/dev/null 2>&1 || return 0
		sleep 0.05
	done
}

# pf_measure NAME PORT: one plaintext (smtp-source) and one STARTTLS
# (smtpload.py) run; appends msg/s to $work/pf-NAME.plain and .tls.
pf_measure() {
	local t0 t1 out
	t0=$(date +%s%N)
	smtp-source -s "$conc" -m "$msgs" -l 4096 -f sender@example.net \
	    -t user@bench.example "127.0.0.1:$2" 2>>"$work/smtp-source.err" ||
	    pf_flag='!'
	t1=$(date +%s%N)
	awk -v n="$msgs" -v d=$(( t1 - t0 )) 'BEGIN {
	    printf "%.1f\n", n / (d / 1e9) }' >>"$work/pf-$1.plain"
	out=$(python3 "$SMTPLOAD" -c "$conc" -m "$msgs" "127.0.0.1:$2" \
	    2>>"$work/smtpload.err") || pf_flag='!'
	kv mps "$out" >>"$work/pf-$1.tls"
	echo "postfix $1 run plain=$(tail -1 "$work/pf-$1.plain")" \
	    "tls=$(tail -1 "$work/pf-$1.tls")" >>"$work/raw.log"
}

run_postfix() {
	command -v postfix >/dev/null || die "postfix is not installed"
	command -v smtp-source >/dev/null || die "smtp-source is not installed"
	[ -n "$msgs" ] || { [ $quick = 1 ] && msgs=200 || msgs=3000; }
	[ -n "$conc" ] || conc=16
	[ -n "$runs" ] || { [ $quick = 1 ] && runs=1 || runs=5; }
	local ports=() names=(none null) so sn i j k n
	mapfile -t ports < <(free_ports 5)
	[ "${#ports[@]}" -eq 5 ] || die "no free ports"
	sn="inet:127.0.0.1:${ports[3]}"; so=
	start_null "inet:${ports[3]}@127.0.0.1" "$work/pf-null.log"
	if [ $have_ours = 1 ]; then
		so="inet:127.0.0.1:${ports[4]}"
		start_ours testing "inet:${ports[4]}@127.0.0.1" \
		    "$work/pf-ours.log"
		names+=(ours)
	fi
	pf_setup "${ports[0]}" "${ports[1]}" "$sn" \
	    "$([ -n "$so" ] && echo "${ports[2]}")" "$so"
	postfix -c "$pfdir" start >/dev/null 2>&1 || {
		tail -5 "$work/postfix.log" >&2; die "postfix did not start"; }
	for i in "${!names[@]}"; do
		pf_ready "${ports[$i]}" || { tail -5 "$work/postfix.log" >&2;
			die "postfix not answering on 127.0.0.1:${ports[$i]}"; }
	done
	echo "Postfix on 127.0.0.1, $msgs messages of 4 KiB per run," \
	    "$conc sessions in parallel, one message per session;" \
	    "$runs runs each, the order rotating, medians"
	pf_flag=
	n=${#names[@]}
	for i in $(seq 0 $(( runs - 1 ))); do
		for j in $(seq 0 $(( n - 1 ))); do
			k=$(( (i + j) % n ))
			pf_measure "${names[$k]}" "${ports[$k]}"
		done
	done
	pf_stop
	printf "%-22s %12s %12s\n" milter "plain_msg/s" "tls_msg/s"
	for k in "${names[@]}"; do
		printf "%-22s %12s %12s\n" "$k" \
		    "$(median <"$work/pf-$k.plain")" \
		    "$(median <"$work/pf-$k.tls")"
	done
	[ $have_ours = 1 ] && printf "%-22s %12s %12s\n" "ratio ours/null" \
	    "$(ratio "$(median <"$work/pf-ours.plain")" \
	    "$(median <"$work/pf-null.plain")")" \
	    "$(ratio "$(median <"$work/pf-ours.tls")" \
	    "$(median <"$work/pf-null.tls")")"
	echo "(ours in testing mode; '!' = the client saw failures:$pf_flag" \
	    "rerun with BENCH_KEEP=1 and read smtp-source.err, smtpload.err," \
	    "postfix.log)"
	echo "postfix milter warnings: $(grep -c \
	    'milter-reject\|warning:.*milter' "$work/postfix.log")"
}

# --- 1 vs 100,000 domains ------------------------------------------------------

# start_conf CONF SOCKET LOG -> sets started_pid
start_conf() {
	"$MTASTS_MILTER" -f -c "$1" -p "$2" >"$3" 2>&1 &
	started_pid=$!
	pids+=("$started_pid")
	"$LOADGEN" -p "$2" -W 120 || { tail -5 "$3" >&2; die "ours not ready on $2"; }
}

# domains_run NAME SOCKET PID OUT SEED DOMAINS: one loadgen run, its
# tx/s and p50 appended to $work/OUT.tps and $work/OUT.p50.
domains_run() {
	local line
	line=$("$LOADGEN" -q -p "$2" -P "$3" -c 16 -t 10 \
	    -r $(( (tx + 159) / 160 )) -s "$5" -D "$6" \
	    2>>"$work/loadgen.err" | grep '^result ')
	echo "$1 $line" >>"$work/raw.log"
	kv tps "$line" >>"$work/$4.tps"
	kv p50_ms "$line" >>"$work/$4.p50"
}

run_domains() {
	local nd=100000 s1 sb p1 pb i who t1 tb l1 lb
	[ -n "$tx" ] || { [ $quick = 1 ] && tx=500 || tx=20000; }
	[ -n "$runs" ] || { [ $quick = 1 ] && runs=1 || runs=5; }
	printf 'mode = "testing"\nexempt_networks = {}\n' > "$work/one.conf"
	cp "$work/one.conf" "$work/many.conf"
	echo 'domain ".example.net" { mode = "testing" }' >> "$work/one.conf"
	python3 -c 'import sys
for i in range(int(sys.argv[1])):
    print("domain \"d%d.example.net\" { mode = testing }" % i)' "$nd" \
	    >> "$work/many.conf"
	s1="unix:$work/one.sock" sb="unix:$work/many.sock"
	start_conf "$work/one.conf" "$s1" "$work/one.log"; p1=$started_pid
	start_conf "$work/many.conf" "$sb" "$work/many.log"; pb=$started_pid
	for i in $(seq "$runs"); do
		for who in $( [ $((i % 2)) = 1 ] && echo "1 b" || echo "b 1"); do
			if [ "$who" = 1 ]; then
				domains_run one "$s1" "$p1" d1 "$i" "$nd"
			else
				domains_run many "$sb" "$pb" db "$i" "$nd"
			fi
		done
	done
	t1=$(median < "$work/d1.tps") tb=$(median < "$work/db.tps")
	l1=$(median < "$work/d1.p50") lb=$(median < "$work/db.p50")
	echo "RCPT stage through the milter: $tx transactions per run, $runs" \
	    "runs each (alternating), medians; every recipient matches a rule"
	printf "%-9s %11s %9s\n" domains "tx/s" "p50_ms"
	printf "%-9s %11s %9s\n" 1 "$t1" "$l1"
	printf "%-9s %11s %9s\n" "$nd" "$tb" "$lb"
	printf "%-9s %11s %9s\n" ratio "$(ratio "$t1" "$tb")" "$(ratio "$lb" "$l1")"
	echo "(ratio: tx/s of 1 domain / of $nd, p50 of $nd / of 1; <= 1.1 wanted)"
}

main() {
	case $mode in
	domains) run_domains ;;
	proto) run_proto ;;
	memory) run_memory ;;
	postfix) run_postfix ;;
	callgrind) run_callgrind ;;
	downgrade) run_downgrade ;;
	selfcheck) run_selfcheck ;;
	esac
}

# One line, so that editing this file while it runs cannot change what runs.
main; exit $?
