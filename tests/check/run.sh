#!/bin/sh
# tests/check/run.sh - "mtasts-milter -C DOMAIN" against loopback fixtures.
#
# Starts a DNS responder (dnsd.py), an HTTPS server (httpsd.py) on
# 127.0.0.1 and a STARTTLS SMTP responder (smtpd.py) on 127.0.0.1..18 and ::1, on
# ports the kernel picks, with a test CA made here by the openssl CLI;
# then runs one -C check per case and asserts the exact verdict line(s)
# and the exit status.  TAP output, plan at the end.
#
# Environment: MTASTS_MILTER (the binary; default $top_builddir/mtasts-milter),
# top_srcdir, top_builddir (set by make check);
# MTASTS_CHECK_TIMEOUT, MTASTS_CHECK_SLACK (seconds) for slow runs.

srcdir=${top_srcdir:-$(dirname "$0")/../..}/tests/check
# shellcheck source=tests/lib/tap.sh
. "$srcdir/../lib/tap.sh"
# check_timeout for every case; raise it (and MTASTS_CHECK_SLACK, below)
# when the binary runs under valgrind.
TIMEOUT=${MTASTS_CHECK_TIMEOUT:-3}

if ! command -v python3 >/dev/null || ! command -v openssl >/dev/null; then
	echo "1..0 # SKIP python3 and openssl are needed"
	exit 0
fi
find_milter
M=$MTASTS_MILTER

T=$(mktemp -d "${TMPDIR:-/tmp}/mtasts-check.XXXXXX") || exit 99
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 99' HUP INT PIPE TERM
cd "$T" || exit 99

pass() { ok "$1"; }
fail() {	# fail DESC [LINE...]: the lines as "#   " diagnostics
	not_ok "$1"
	shift
	for l; do printf '%s\n' "$l" | sed 's/^/#   /'; done
}

# --- certificates: a CA, leaves it signs, an expired one, a self-signed ----
# shellcheck source=tests/lib/pki.sh
. "$srcdir/../lib/pki.sh"
req() { pki_req "$@"; }

mkpki() {
	pki_ca_init || return 1
	req -x509 -keyout self.key -out self.pem -days 1 \
	    -subj "/CN=mta-sts.selfsigned.test" \
	    -addext "subjectAltName=DNS:mta-sts.selfsigned.test" || return 1
	req -x509 -keyout nosni.key -out nosni.pem -days 1 \
	    -subj "/CN=client sent no SNI" || return 1
	req -x509 -keyout mxself.key -out mxself.pem -days 30 \
	    -subj "/CN=selfsigned.mx.test" \
	    -addext "subjectAltName=DNS:selfsigned.mx.test" || return 1
	# An intermediate CA, and a leaf it signs (served with or without it).
	req -new -keyout int.key -out int.csr \
	    -subj "/CN=mtasts-milter test intermediate" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" &&
	openssl ca -batch -config ca.cnf -notext -in int.csr -out int.pem \
	    -days 30 || return 1
	req -new -keyout mxint.key -out mxint.csr -subj "/CN=missingint.mx.test" \
	    -addext "subjectAltName=DNS:missingint.mx.test,DNS:withint.mx.test" &&
	openssl x509 -req -in mxint.csr -CA int.pem -CAkey int.key \
	    -set_serial 4660 -days 30 -copy_extensions copyall -out mxint.pem &&
	cat mxint.pem int.pem > mxintchain.pem
}

# leaf NAME SAN [openssl ca validity options]
leaf() {
	name=$1 san=$2
	shift 2
	req -new -keyout "$name.key" -out "$name.csr" \
	    -subj "/CN=$name" -addext "subjectAltName=$san" &&
	openssl ca -batch -config ca.cnf -notext -in "$name.csr" \
	    -out "$name.pem" "$@"
}

# Domains whose MX hosts are the cases of smtpd.py.
MXDOMAINS="mxgood mxrequire mxwild mxexpired mxnotyet mxother mxself mxmissing
mxwithint mxnostarttls mx454 mxabort mx421 mxslow mxehlo mxlong mxhostile mxtwo
mxten danegood danebad danenoad daneusage1 danesingle mxv6 mxrefused"
# MX host names served by the good responder, with its certificate.
GOODMX="mail.mx.test good.mx.test requiretls.mx.test dane-ok.mx.test
dane-bad.mx.test dane-noad.mx.test dane-usage1.mx.test dane-single.mx.test
v6.mx.test"
mxsans=
for h in $GOODMX; do mxsans="${mxsans:+$mxsans,}DNS:$h"; done

# Domains served with the main leaf certificate and a plain zone.
STD="good redirect notfound error big bigchunked slow malformed twotxt
mxmismatch notlsrpt chunked close html cname badid lax testingpub
ruablocked hostmismatch servfail dnsdrop nosts badstatus gzipte truncated
longheader slowdns repeated stsplus bigtxt tcpdrop $MXDOMAINS"
sans=
for d in $STD; do sans="${sans:+$sans,}DNS:mta-sts.$d.test"; done

if ! { mkpki && leaf main "$sans" -days 1 &&
    leaf wrong DNS:www.wrongname.test -days 1 &&
    leaf wild "DNS:*.wild.test" -days 1 &&
    leaf expired DNS:mta-sts.expired.test \
	-startdate 20200101000000Z -enddate 20200102000000Z &&
    leaf mxgood "$mxsans" -days 30 &&
    leaf mxwild "DNS:*.mx.test" -days 30 &&
    leaf mxexpired DNS:expired.mx.test \
	-startdate 20200101000000Z -enddate 20200102000000Z &&
    leaf mxnotyet DNS:notyet.mx.test \
	-startdate 20300101000000Z -enddate 20300201000000Z; } \
    > pki.log 2>&1; then
	echo "1..0 # SKIP cannot create the test PKI: $(tail -1 pki.log)"
	exit 0
fi

# --- DNS zone and HTTPS sites ----------------------------------------------
printf 'version: STSv1\nmode: enforce\nmx: *.mx.test\nmx: mail.mx.test\nmax_age: 86400\n' > enforce.txt
printf 'version: STSv1\r\nmode: testing\r\nmx: mail.mx.test\r\nmax_age: 86400\r\n' > testing.txt
printf 'version: STSv1\nmode: enforcing\nmx: mail.mx.test\nmax_age: 86400\n' > malformed.txt
printf 'version: STSv1\nmode: enforce\nmx: mx.other.test\nmax_age: 86400\n' > other.txt
printf 'mode: enforce\nversion: STSv1\nmode: none\nmx: *.mx.test\nmx: mail.mx.test\nmax_age: 86400\n' > repeated.txt
# Hostile responses, sent verbatim.
printf 'HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n' > badstatus.raw
printf 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n' > gzipte.raw
printf 'HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\nversion: STSv1\n' > truncated.raw
{ printf 'HTTP/1.1 200 OK\r\nX-Filler: '; head -c 20000 /dev/zero | tr '\0' a
  printf '\r\n\r\n'; } > longheader.raw

{
	echo "cert - nosni.pem nosni.key"
	echo "cert * main.pem main.key"
	echo "cert mta-sts.wrongname.test wrong.pem wrong.key"
	echo "cert mta-sts.expired.test expired.pem expired.key"
	echo "cert mta-sts.selfsigned.test self.pem self.key"
	echo "cert mta-sts.wild.test wild.pem wild.key"
} > sites
# std [-notxt] [-nomx] [-norpt] DOMAIN SITE-BEHAVIOUR...: the usual
# _mta-sts TXT, MX and _smtp._tls records (unless told not to) and a site.
std() {
	txt=1 mx=1 rpt=1
	while :; do
		case $1 in
		-notxt) txt= ;;
		-nomx) mx= ;;
		-norpt) rpt= ;;
		*) break ;;
		esac
		shift
	done
	d=$1
	shift
	[ -n "$txt" ] && echo "_mta-sts.$d TXT \"v=STSv1; id=20260101T000000\""
	[ -n "$mx" ] && echo "$d MX 10 mail.mx.test"
	[ -n "$rpt" ] && echo "_smtp._tls.$d TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@$d\""
	echo "site mta-sts.$d $*" >> sites
}
{
	for d in good wrongname expired selfsigned wild lax; do
		std $d.test policy enforce.txt
	done
	std redirect.test redirect https://mta-sts.good.test/.well-known/mta-sts.txt
	std notfound.test status 404
	std error.test status 500
	std big.test big 70000
	std bigchunked.test bigchunked 70000
	std slow.test slow
	std malformed.test policy malformed.txt
	std chunked.test chunked enforce.txt
	std close.test close enforce.txt
	std html.test type enforce.txt text/html
	std testingpub.test policy testing.txt
	std twotxt.test policy enforce.txt
	echo '_mta-sts.twotxt.test TXT "v=STSv1; " "id=2"'
	std mxmismatch.test policy enforce.txt
	echo 'mxmismatch.test MX 20 other.elsewhere.test'
	std -nomx hostmismatch.test policy other.txt
	echo 'hostmismatch.test MX 5 mx.other.test'
	std -notxt badid.test policy enforce.txt
	std repeated.test policy repeated.txt
	# RFC 8461 3.1: of several RRs only those beginning "v=STSv1;" count.
	std -notxt stsplus.test policy enforce.txt
	echo '_mta-sts.stsplus.test TXT "v=STSv1 ; id=1"'
	echo '_mta-sts.stsplus.test TXT "v=STSv1; id=2"'
	echo '_mta-sts.badid.test TXT "v=STSv1; id=2026-01-01"'
	std -notxt cname.test policy enforce.txt
	echo '_mta-sts.cname.test CNAME _mta-sts.provider.test'
	echo '_mta-sts.provider.test TXT "v=STSv1; id=PROVIDER1"'
	std -norpt notlsrpt.test policy enforce.txt
	std -norpt ruablocked.test policy enforce.txt
	echo '_smtp._tls.ruablocked.test TXT "v=TLSRPTv1;rua=mailto:reports@ruablocked.test"'
	std -notxt nosts.test policy enforce.txt
	std servfail.test policy enforce.txt
	echo '_mta-sts.servfail.test SERVFAIL'
	std dnsdrop.test policy enforce.txt
	echo '_smtp._tls.dnsdrop.test DROP'
	std slowdns.test slow
	echo '_mta-sts.slowdns.test DROP'
	# 30 more TXT records: about 2,900 bytes, over UDP only truncated.
	std bigtxt.test policy enforce.txt
	for i in $(seq 30); do
		echo "_mta-sts.bigtxt.test TXT \"unrelated record $i, long enough to fill the UDP answer\""
	done
	std tcpdrop.test policy enforce.txt
	echo '_mta-sts.tcpdrop.test TCPDROP'
	for d in badstatus gzipte truncated longheader; do
		std $d.test raw $d.raw
	done
} > zone

# --- MX hosts: one loopback address per smtpd.py case ----------------------
spki() {
	openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER |
	    openssl dgst -sha256 -r | cut -d' ' -f1
}
# ::1 is served when the host has it (the IPv6 fallback case).
HAVE_V6=
python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' \
    2>/dev/null && HAVE_V6=1
GOODHASH=$(spki mxgood.pem)
OTHERHASH=$(spki wrong.pem)
{
	echo "127.0.0.1 good mxgood.pem mxgood.key"
	echo "127.0.0.2 good mxgood.pem mxgood.key"
	echo "127.0.0.3 requiretls mxgood.pem mxgood.key"
	echo "127.0.0.4 good mxwild.pem mxwild.key"
	echo "127.0.0.5 good mxexpired.pem mxexpired.key"
	echo "127.0.0.6 good mxnotyet.pem mxnotyet.key"
	echo "127.0.0.7 good wrong.pem wrong.key"
	echo "127.0.0.8 good mxself.pem mxself.key"
	echo "127.0.0.9 good mxint.pem mxint.key"
	echo "127.0.0.10 good mxintchain.pem mxint.key"
	echo "127.0.0.11 nostarttls"
	echo "127.0.0.12 s454"
	echo "127.0.0.13 abort"
	echo "127.0.0.14 b421"
	echo "127.0.0.15 slowbanner"
	echo "127.0.0.16 ehlo5000"
	echo "127.0.0.17 longline"
	echo "127.0.0.18 hostile"
	[ -n "$HAVE_V6" ] && echo "::1 good mxgood.pem mxgood.key"
} > smtpcases
# mxcase DOMAIN MXHOST ADDR: a policy domain whose one MX is MXHOST at ADDR
mxcase() {
	echo "$1 MX 10 $2"
	echo "$2 A $3"
}
{
	echo "mail.mx.test A 127.0.0.2"
	for d in $MXDOMAINS; do
		std -nomx $d.test policy enforce.txt
	done
	mxcase mxgood.test good.mx.test 127.0.0.2
	mxcase mxrequire.test requiretls.mx.test 127.0.0.3
	mxcase mxwild.test wild.mx.test 127.0.0.4
	mxcase mxexpired.test expired.mx.test 127.0.0.5
	mxcase mxnotyet.test notyet.mx.test 127.0.0.6
	mxcase mxother.test other.mx.test 127.0.0.7
	mxcase mxself.test selfsigned.mx.test 127.0.0.8
	mxcase mxmissing.test missingint.mx.test 127.0.0.9
	mxcase mxwithint.test withint.mx.test 127.0.0.10
	mxcase mxnostarttls.test nostarttls.mx.test 127.0.0.11
	mxcase mx454.test s454.mx.test 127.0.0.12
	mxcase mxabort.test abort.mx.test 127.0.0.13
	mxcase mx421.test b421.mx.test 127.0.0.14
	mxcase mxslow.test slow.mx.test 127.0.0.15
	mxcase mxehlo.test ehlo5000.mx.test 127.0.0.16
	mxcase mxlong.test longline.mx.test 127.0.0.17
	mxcase mxhostile.test hostile.mx.test 127.0.0.18
	echo "mxtwo.test MX 10 good.mx.test"
	echo "mxtwo.test MX 20 nostarttls.mx.test"
	for i in 1 2 3 4 5 6 7 8 9 10; do
		mxcase mxten.test slow$i.mx.test 127.0.0.15
	done
	mxcase danegood.test dane-ok.mx.test 127.0.0.2
	echo "_25._tcp.dane-ok.mx.test TLSA 3 1 1 $GOODHASH"
	echo "_25._tcp.dane-ok.mx.test TLSA 3 1 1 $OTHERHASH"
	echo "_25._tcp.dane-ok.mx.test AD"
	mxcase danebad.test dane-bad.mx.test 127.0.0.2
	echo "_25._tcp.dane-bad.mx.test TLSA 3 1 1 $OTHERHASH"
	echo "_25._tcp.dane-bad.mx.test TLSA 2 0 1 $OTHERHASH"
	echo "_25._tcp.dane-bad.mx.test AD"
	mxcase danenoad.test dane-noad.mx.test 127.0.0.2
	echo "_25._tcp.dane-noad.mx.test TLSA 3 1 1 $GOODHASH"
	echo "_25._tcp.dane-noad.mx.test TLSA 3 1 1 $OTHERHASH"
	mxcase daneusage1.test dane-usage1.mx.test 127.0.0.2
	echo "_25._tcp.dane-usage1.mx.test TLSA 1 1 1 $GOODHASH"
	echo "_25._tcp.dane-usage1.mx.test TLSA 1 0 1 $OTHERHASH"
	echo "_25._tcp.dane-usage1.mx.test AD"
	# v6.mx.test: nothing listens at its A address, its AAAA answers.
	mxcase mxv6.test v6.mx.test 127.0.0.19
	echo "v6.mx.test AAAA ::1"
	mxcase mxrefused.test refused.mx.test 127.0.0.19
	mxcase danesingle.test dane-single.mx.test 127.0.0.2
	echo "_25._tcp.dane-single.mx.test TLSA 3 1 1 $GOODHASH"
	echo "_25._tcp.dane-single.mx.test AD"
} >> zone

# --- servers ---------------------------------------------------------------
python3 "$srcdir/dnsd.py" zone dns.port 2> dnsd.log &
pids="$pids $!"
python3 "$srcdir/httpsd.py" sites https.port 2> httpsd.log &
pids="$pids $!"
python3 "$srcdir/httpsd.py" --raw stall stall.port 2>> httpsd.log &
pids="$pids $!"
python3 "$srcdir/httpsd.py" --raw plain plain.port 2>> httpsd.log &
pids="$pids $!"
python3 "$srcdir/smtpd.py" smtpcases smtp.port 2> smtpd.log &
pids="$pids $!"
i=0
while [ ! -s dns.port ] || [ ! -s https.port ] || [ ! -s stall.port ] ||
    [ ! -s plain.port ] || [ ! -s smtp.port ]; do
	i=$((i + 1))
	if [ $i -gt 200 ]; then
		echo "1..0 # SKIP test servers did not start"
		cat dnsd.log httpsd.log smtpd.log | sed 's/^/# /'
		exit 0
	fi
	sleep 0.05
done
DNSPORT=$(cat dns.port)
HTTPSPORT=$(cat https.port)
SMTPPORT=$(cat smtp.port)

# writeconf FILE [CONNECT [SMTPCONNECT]]; an empty CONNECT resolves policy
# hosts by DNS, an empty SMTPCONNECT (the default) MX hosts
writeconf() {
	cat > "$1" <<EOF
socket = "unix:$T/milter.sock"
mode = "enforce"
hostname = "mail.mx.test"
exempt_recipients = {"tlsrpt"}
check_resolver = "127.0.0.1#$DNSPORT"
check_ca_file = "$T/ca.pem"
check_connect = "${2-127.0.0.1:$HTTPSPORT}"
check_timeout = $TIMEOUT
check_smtp_port = $SMTPPORT
check_smtp_connect = "${3-}"
domain "lax.test" {
  mode = "testing"
}
EOF
}
writeconf conf

now_ms() { date +%s%3N; }

# expect DESCRIPTION RC MAX-SECONDS ARGS... -- LINE...
expect() {
	desc=$1 want=$2 max=$3
	shift 3
	args=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		args="$args $1"
		shift
	done
	[ $# -gt 0 ] && shift
	t0=$(now_ms)
	# shellcheck disable=SC2086
	out=$(timeout 60 "$M" -c conf $args 2>&1)
	rc=$?
	took=$(( $(now_ms) - t0 ))
	bad=
	[ "$rc" = "$want" ] || bad="exit status $rc, expected $want"
	[ "$took" -le $((max * 1000)) ] || bad="took $took ms (limit ${max} s)"
	for l; do
		printf '%s\n' "$out" | grep -Fxq -- "$l" ||
		    bad="${bad:+$bad; }missing line: $l"
	done
	if [ -z "$bad" ]; then pass "$desc"; else fail "$desc" "$bad" "$out"; fi
}

# Seconds a loopback case may take beyond its timeouts (raise it for
# valgrind or sanitizer runs); the slow cases get TIMEOUT + SLACK.
SLACK=${MTASTS_CHECK_SLACK:-2}
Q=$SLACK

# --- cases -----------------------------------------------------------------
expect "valid policy: txt ok" 0 "$Q" -C good.test -- \
    "ok   good.test  txt      v=STSv1; id=20260101T000000"
expect "valid policy: all six checks ok" 0 "$Q" -C good.test -- \
    "ok   good.test  policy   mode=enforce max_age=86400 mx=*.mx.test,mail.mx.test" \
    "ok   good.test  mx       mail.mx.test (all match the policy)" \
    "ok   good.test  hostname mail.mx.test matches mx *.mx.test" \
    "ok   good.test  tlsrpt   v=TLSRPTv1; rua=mailto:tlsrpt@good.test" \
    "ok   good.test  mode     milter enforce (global mode), the published mode is enforce"
expect "wrong certificate name" 1 "$Q" -C wrongname.test -- \
    "fail wrongname.test  policy   certificate does not match mta-sts.wrongname.test"
expect "expired certificate" 1 "$Q" -C expired.test -- \
    "fail expired.test  policy   certificate verify failed: certificate has expired"
expect "self-signed certificate" 1 "$Q" -C selfsigned.test -- \
    "fail selfsigned.test  policy   certificate verify failed: self-signed certificate"
expect "wildcard certificate *.wild.test" 0 "$Q" -C wild.test -- \
    "ok   wild.test  policy   mode=enforce max_age=86400 mx=*.mx.test,mail.mx.test"
expect "redirect is not followed" 1 "$Q" -C redirect.test -- \
    "fail redirect.test  policy   HTTP 301 redirect to https://mta-sts.good.test/.well-known/mta-sts.txt (redirects are not followed)"
expect "HTTP 404" 1 "$Q" -C notfound.test -- \
    "fail notfound.test  policy   HTTP status 404 (200 required)"
expect "HTTP 500" 1 "$Q" -C error.test -- \
    "fail error.test  policy   HTTP status 500 (200 required)"
expect "oversize body (Content-Length)" 1 "$Q" -C big.test -- \
    "fail big.test  policy   response body larger than 65536 bytes (Content-Length 70000)"
expect "oversize body (chunked)" 1 "$Q" -C bigchunked.test -- \
    "fail bigchunked.test  policy   response body larger than 65536 bytes"
expect "slow server times out" 1 $((TIMEOUT + SLACK)) -C slow.test -- \
    "fail slow.test  policy   timed out waiting for the response (check_timeout $TIMEOUT s)"
expect "malformed policy" 1 "$Q" -C malformed.test -- \
    "fail malformed.test  policy   invalid policy: line 2: mode must be enforce, testing or none"
expect "two STS TXT records" 1 "$Q" -C twotxt.test -- \
    "fail twotxt.test  txt      2 v=STSv1 records at _mta-sts.twotxt.test: senders ignore them all"
expect "MX not matching an enforced policy" 1 "$Q" -C mxmismatch.test -- \
    "fail mxmismatch.test  mx       other.elsewhere.test matches no policy mx pattern (mode enforce): senders that obey the policy will not deliver to it"
expect "TLSRPT missing is a warning" 0 "$Q" -C notlsrpt.test -- \
    "warn notlsrpt.test  tlsrpt   no _smtp._tls record"
expect "chunked transfer coding" 0 "$Q" -C chunked.test -- \
    "ok   chunked.test  policy   mode=enforce max_age=86400 mx=*.mx.test,mail.mx.test"
expect "body delimited by close" 0 "$Q" -C close.test -- \
    "ok   close.test  policy   mode=enforce max_age=86400 mx=*.mx.test,mail.mx.test"
expect "Content-Type not text/plain" 0 "$Q" -C html.test -- \
    "warn html.test  policy   Content-Type \"text/html\" is not text/plain; mode=enforce max_age=86400 mx=*.mx.test,mail.mx.test"
expect "TXT record through a CNAME" 0 "$Q" -C cname.test -- \
    "ok   cname.test  txt      v=STSv1; id=PROVIDER1 (via CNAME _mta-sts.provider.test)"
expect "invalid id= in the TXT record" 1 "$Q" -C badid.test -- \
    "fail badid.test  txt      invalid record \"v=STSv1; id=2026-01-01\": id= must be 1 to 32 letters and digits"
expect "repeated policy field: first counts, warn" 0 "$Q" -C repeated.test -- \
    "warn repeated.test  policy   line 3: repeated mode ignored (first on line 1); mode=enforce max_age=86400 mx=*.mx.test,mail.mx.test"
expect "several TXT RRs: only \"v=STSv1;\" ones count" 0 "$Q" -C stsplus.test -- \
    "ok   stsplus.test  txt      v=STSv1; id=2"
expect "no TXT record" 1 "$Q" -C nosts.test -- \
    "fail nosts.test  txt      no _mta-sts.nosts.test TXT record" \
    "warn nosts.test  mode     the milter enforces (global mode), but no valid policy is published"
expect "published enforce, milter testing" 0 "$Q" -C lax.test -- \
    "warn lax.test  mode     published enforce, but the milter applies testing (domain \"lax.test\"): plaintext mail is accepted"
expect "milter enforce, published testing" 0 "$Q" -C testingpub.test -- \
    "ok   testingpub.test  policy   mode=testing max_age=86400 mx=mail.mx.test" \
    "warn testingpub.test  mode     the milter enforces (global mode), but the published mode is testing"
expect "rua mailbox rejected in plaintext" 0 "$Q" -C ruablocked.test -- \
    "warn ruablocked.test  tlsrpt   rua reports@ruablocked.test is not reachable in plaintext: this milter enforces for it (add it to exempt_recipients)"
expect "hostname not in the policy" 1 "$Q" -C hostmismatch.test -- \
    "ok   hostmismatch.test  mx       mx.other.test (all match the policy)" \
    "fail hostmismatch.test  hostname mail.mx.test matches no policy mx pattern (mode enforce): senders that obey the policy will not deliver to this host"
expect "DNS SERVFAIL" 1 "$Q" -C servfail.test -- \
    "fail servfail.test  txt      _mta-sts.servfail.test: DNS server answered SERVFAIL"
expect "DNS server not answering is bounded" 0 $((TIMEOUT + SLACK)) -C dnsdrop.test -- \
    "warn dnsdrop.test  tlsrpt   _smtp._tls.dnsdrop.test: no answer from the DNS server (timed out)"
expect "one check_timeout for TXT lookup and fetch together" 1 \
    $((TIMEOUT + SLACK)) -C slowdns.test -- \
    "fail slowdns.test  txt      _mta-sts.slowdns.test: no answer from the DNS server (timed out)" \
    "fail slowdns.test  policy   timed out waiting for the response (check_timeout $TIMEOUT s)"
expect "truncated UDP answer: asked again over TCP" 0 "$Q" -C bigtxt.test -- \
    "ok   bigtxt.test  txt      v=STSv1; id=20260101T000000" \
    "ok   bigtxt.test  policy   mode=enforce max_age=86400 mx=*.mx.test,mail.mx.test"
expect "TCP retry that gets no answer is bounded" 1 \
    $((TIMEOUT + SLACK)) -C tcpdrop.test -- \
    "fail tcpdrop.test  txt      _mta-sts.tcpdrop.test: truncated DNS answer, then no answer from the DNS server over TCP (timed out)"
expect "invalid domain name" 1 "$Q" -C bad..name -- \
    "fail bad..name  txt      invalid domain name"
expect "several domains: aligned, any failure fails" 1 "$Q" \
    -C good.test -C error.test. -- \
    "ok   good.test   txt      v=STSv1; id=20260101T000000" \
    "fail error.test  policy   HTTP status 500 (200 required)"
expect "several domains, warnings only: exit 0" 0 "$Q" \
    -C good.test -C notlsrpt.test -- \
    "warn notlsrpt.test  tlsrpt   no _smtp._tls record"

# --- MX probes: STARTTLS, certificate, DANE --------------------------------
# enddate FILE: "YYYY-MM-DD (N days" of its notAfter, as -C prints it
enddate() {
	e=$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)
	echo "$(date -u -d "$e" +%F) ($(( ($(date -d "$e" +%s) - $(date +%s)) / 86400 )) days"
}
GOODEND=$(enddate mxgood.pem)
TLS="TLSv1.3 TLS_AES_256_GCM_SHA384"
CA="CN=mtasts-milter test CA"
ago() { echo $(( ($(date +%s) - $(date -d "$1" +%s)) / 86400 )); }

expect "MX: good STARTTLS and certificate" 0 "$Q" -C mxgood.test -- \
    "ok   mxgood.test  starttls good.mx.test: $TLS, REQUIRETLS not advertised" \
    "ok   mxgood.test  certificate good.mx.test: issuer $CA, expires $GOODEND left)"
expect "MX: REQUIRETLS advertised over TLS" 0 "$Q" -C mxrequire.test -- \
    "ok   mxrequire.test  starttls requiretls.mx.test: $TLS, REQUIRETLS advertised"
expect "MX: wildcard certificate" 0 "$Q" -C mxwild.test -- \
    "ok   mxwild.test  certificate wild.mx.test: issuer $CA, expires $(enddate mxwild.pem) left)"
expect "MX: expired certificate" 1 "$Q" -C mxexpired.test -- \
    "ok   mxexpired.test  starttls expired.mx.test: $TLS, REQUIRETLS not advertised" \
    "fail mxexpired.test  certificate expired.mx.test: expired 2020-01-02 ($(ago 2020-01-02) days ago)"
expect "MX: certificate not yet valid" 1 "$Q" -C mxnotyet.test -- \
    "fail mxnotyet.test  certificate notyet.mx.test: not valid before 2030-01-01 (in $(( $(ago 2030-01-01) * -1 )) days)"
expect "MX: certificate for another name" 1 "$Q" -C mxother.test -- \
    "fail mxother.test  certificate other.mx.test: does not match the MX host name (issuer $CA)"
expect "MX: self-signed certificate" 1 "$Q" -C mxself.test -- \
    "fail mxself.test  certificate selfsigned.mx.test: chain does not verify: self-signed certificate"
expect "MX: intermediate certificate missing" 1 "$Q" -C mxmissing.test -- \
    "fail mxmissing.test  certificate missingint.mx.test: chain does not verify: unable to get local issuer certificate"
expect "MX: intermediate certificate sent" 0 "$Q" -C mxwithint.test -- \
    "ok   mxwithint.test  certificate withint.mx.test: issuer CN=mtasts-milter test intermediate, expires $(enddate mxint.pem) left)"
expect "MX: STARTTLS not offered" 1 "$Q" -C mxnostarttls.test -- \
    "fail mxnostarttls.test  starttls nostarttls.mx.test: STARTTLS not offered"
expect "MX: STARTTLS answered 454" 1 "$Q" -C mx454.test -- \
    "fail mx454.test  starttls s454.mx.test: STARTTLS answered 454 4.7.0 TLS not available due to local problem"
expect "MX: handshake aborted" 1 "$Q" -C mxabort.test -- \
    "fail mxabort.test  starttls abort.mx.test: TLS handshake failed: connection closed"
expect "MX: 421 banner" 1 "$Q" -C mx421.test -- \
    "fail mx421.test  starttls b421.mx.test: banner 421 4.3.2 mx.test service not available"
expect "MX: banner after 30 s times out" 1 $((TIMEOUT + SLACK)) -C mxslow.test -- \
    "fail mxslow.test  starttls slow.mx.test: timed out waiting for the banner"
expect "MX: 5,000-line EHLO answer" 1 "$Q" -C mxehlo.test -- \
    "fail mxehlo.test  starttls ehlo5000.mx.test: reply longer than 100 lines after EHLO"
expect "MX: 100 KiB reply line" 1 "$Q" -C mxlong.test -- \
    "fail mxlong.test  starttls longline.mx.test: reply line longer than 1000 bytes after EHLO"
expect "MX: server text is escaped" 1 "$Q" -C mxhostile.test -- \
    'fail mxhostile.test  starttls hostile.mx.test: banner 421 \x1b[2J\x1b]0;owned\x07 caf\xc3\xa9 \\ end'
expect "MX: one good, one broken" 1 "$Q" -C mxtwo.test -- \
    "ok   mxtwo.test  starttls good.mx.test: $TLS, REQUIRETLS not advertised" \
    "fail mxtwo.test  starttls nostarttls.mx.test: STARTTLS not offered"
expect "MX: 10 unresponsive MX hosts, probed concurrently" 1 \
    $((2 * TIMEOUT + 2)) -C mxten.test -- \
    "fail mxten.test  starttls slow1.mx.test: timed out waiting for the banner" \
    "fail mxten.test  starttls slow10.mx.test: timed out waiting for the banner"
expect "DANE: 3 1 1 matches, two records, AD" 0 "$Q" -C danegood.test -- \
    "ok   danegood.test  dane     dane-ok.mx.test: a usage 3 record of 2 matches"
expect "DANE: no record matches" 1 "$Q" -C danebad.test -- \
    "fail danebad.test  dane     dane-bad.mx.test: no usable TLSA record matches the served chain: DANE senders will not deliver"
expect "DANE: AD bit clear" 0 "$Q" -C danenoad.test -- \
    "warn danenoad.test  dane     dane-noad.mx.test: a usage 3 record matches, but the answer is not DNSSEC-validated (AD bit clear): senders ignore it"
expect "DANE: usage 1 only" 0 "$Q" -C daneusage1.test -- \
    "warn daneusage1.test  dane     dane-usage1.mx.test: all 2 TLSA records use usage 0 or 1 (ignored for SMTP, RFC 7672 3.1.3)"
expect "DANE: a single record" 0 "$Q" -C danesingle.test -- \
    "warn danesingle.test  dane     dane-single.mx.test: TLSA 3 1 1 matches, but it is the only record (no rollover cover)"
if [ -n "$HAVE_V6" ]; then
	expect "MX: IPv4 address refused, IPv6 address probed" 0 "$Q" \
	    -C mxv6.test -- \
	    "ok   mxv6.test  starttls v6.mx.test: $TLS, REQUIRETLS not advertised"
else
	pass "MX: IPv4 address refused, IPv6 address probed # SKIP no ::1"
fi
expect "MX: connection refused" 1 "$Q" -C mxrefused.test -- \
    "fail mxrefused.test  starttls refused.mx.test: cannot connect to 127.0.0.19 port $SMTPPORT: Connection refused"
# check_smtp_connect: every probe goes there; names still checked against
# the MX host name.
writeconf conf "127.0.0.1:$HTTPSPORT" "127.0.0.1:$SMTPPORT"
expect "check_smtp_connect: probe sent there, name checked against the MX" \
    1 "$Q" -C mxnostarttls.test -- \
    "ok   mxnostarttls.test  starttls nostarttls.mx.test: $TLS, REQUIRETLS not advertised" \
    "fail mxnostarttls.test  certificate nostarttls.mx.test: does not match the MX host name (issuer $CA)"
expect "check_smtp_connect: ok when the name matches" 0 "$Q" -C mxgood.test -- \
    "ok   mxgood.test  certificate good.mx.test: issuer $CA, expires $GOODEND left)"
writeconf conf
# check_cert_warn_days: a certificate expiring within it warns.
echo "check_cert_warn_days = 60" >> conf
expect "MX: certificate expires within check_cert_warn_days" 0 "$Q" \
    -C mxgood.test -- \
    "warn mxgood.test  certificate good.mx.test: expires ${GOODEND} left, check_cert_warn_days 60), issuer $CA"
writeconf conf
out=$(timeout 60 "$M" -c conf -j -C mxtwo.test 2>&1)
rc=$?
if [ $rc = 1 ] && printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
c = [(x["check"], x["status"], x["detail"].split(":")[0])
     for x in d["domains"][0]["checks"]][6:]
assert c == [("starttls", "ok", "good.mx.test"),
    ("certificate", "ok", "good.mx.test"),
    ("starttls", "fail", "nostarttls.mx.test")], c
'; then
	pass "-j: MX lines in JSON"
else
	fail "-j: MX lines in JSON" "exit $rc" "$out"
fi

# JSON: parses, and carries the same verdicts.
out=$(timeout 60 "$M" -c conf -j -C good.test -C twotxt.test 2>&1)
rc=$?
if [ $rc = 1 ] && printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["result"] == "fail", d
g, t = d["domains"]
assert g["domain"] == "good.test" and g["result"] == "ok", g
assert [c["check"] for c in g["checks"]] == \
    ["txt", "policy", "mx", "hostname", "tlsrpt", "mode", "starttls",
     "certificate"], g
assert g["checks"][0] == {"check": "txt", "status": "ok",
    "detail": "v=STSv1; id=20260101T000000"}, g
assert t["checks"][0]["status"] == "fail", t
'; then
	pass "-j prints JSON with the same verdicts"
else
	fail "-j prints JSON with the same verdicts" "exit $rc" "$out"
fi

expect "malformed status line" 1 "$Q" -C badstatus.test -- \
    "fail badstatus.test  policy   malformed HTTP status line"
expect "unsupported Transfer-Encoding" 1 "$Q" -C gzipte.test -- \
    "fail gzipte.test  policy   unsupported Transfer-Encoding \"gzip, chunked\""
expect "body shorter than Content-Length" 1 "$Q" -C truncated.test -- \
    "fail truncated.test  policy   connection closed after 15 of 500 body bytes"
expect "header line too long" 1 "$Q" -C longheader.test -- \
    "fail longheader.test  policy   HTTP header too long"

# A server that accepts and then never speaks TLS: bounded handshake.
writeconf conf "127.0.0.1:$(cat stall.port)"
expect "TLS handshake stalls" 1 $((TIMEOUT + SLACK)) -C good.test -- \
    "fail good.test  policy   timed out during the TLS handshake (check_timeout $TIMEOUT s)"
# A plaintext HTTP server where TLS is expected.
writeconf conf "127.0.0.1:$(cat plain.port)"
expect "plaintext server" 1 "$Q" -C good.test -- \
    "fail good.test  policy   TLS handshake failed: wrong version number"

# check_connect also takes a name; "localhost" may give ::1 first, which
# nobody serves, and the next address must still be tried.
writeconf conf "localhost:$HTTPSPORT"
expect "check_connect by name, several addresses" 0 "$Q" -C good.test -- \
    "ok   good.test  policy   mode=enforce max_age=86400 mx=*.mx.test,mail.mx.test"
# Without check_connect the policy host is looked up with check_resolver.
writeconf conf ""
expect "policy host without an address" 1 "$Q" -C good.test -- \
    "fail good.test  policy   mta-sts.good.test: no such name (NXDOMAIN)"

# Nothing listens on a port we bound and closed: connect is refused.
CLOSED=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
writeconf conf "127.0.0.1:$CLOSED"
expect "connection refused" 1 "$Q" -C good.test -- \
    "fail good.test  policy   cannot connect to 127.0.0.1 port $CLOSED: Connection refused"
# A CA file that does not verify our leaves: the system store must not help.
writeconf conf
sed -i "s|$T/ca.pem|$T/self.pem|" conf
expect "certificate from an untrusted CA" 1 "$Q" -C good.test -- \
    "fail good.test  policy   certificate verify failed: unable to get local issuer certificate"

done_testing
