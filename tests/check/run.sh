#!/bin/sh
# tests/check/run.sh - "mtasts-milter -C DOMAIN" against loopback fixtures.
#
# Starts a DNS responder (dnsd.py) and an HTTPS server (httpsd.py) on
# 127.0.0.1, on ports the kernel picks, with a test CA made here by the
# openssl CLI; then runs one -C check per case and asserts the exact
# verdict line(s) and the exit status.  TAP output, plan at the end.
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
req() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "$@"; }

mkpki() {
	cat > ca.cnf <<'EOF'
[ca]
default_ca = testca
[testca]
database = index.txt
new_certs_dir = .
serial = serial
certificate = ca.pem
private_key = ca.key
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = copy
[anything]
commonName = supplied
EOF
	: > index.txt
	echo 1000 > serial
	req -x509 -keyout ca.key -out ca.pem -days 2 \
	    -subj "/CN=mtasts-milter test CA" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" || return 1
	req -x509 -keyout self.key -out self.pem -days 1 \
	    -subj "/CN=mta-sts.selfsigned.test" \
	    -addext "subjectAltName=DNS:mta-sts.selfsigned.test" || return 1
	req -x509 -keyout nosni.key -out nosni.pem -days 1 \
	    -subj "/CN=client sent no SNI" || return 1
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

# Domains served with the main leaf certificate and a plain zone.
STD="good redirect notfound error big bigchunked slow malformed twotxt
mxmismatch notlsrpt chunked close html cname badid lax testingpub
ruablocked hostmismatch servfail dnsdrop nosts badstatus gzipte truncated
longheader slowdns repeated stsplus"
sans=
for d in $STD; do sans="${sans:+$sans,}DNS:mta-sts.$d.test"; done

if ! { mkpki && leaf main "$sans" -days 1 &&
    leaf wrong DNS:www.wrongname.test -days 1 &&
    leaf wild "DNS:*.wild.test" -days 1 &&
    leaf expired DNS:mta-sts.expired.test \
	-startdate 20200101000000Z -enddate 20200102000000Z; } \
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
	for d in badstatus gzipte truncated longheader; do
		std $d.test raw $d.raw
	done
} > zone

# --- servers ---------------------------------------------------------------
python3 "$srcdir/dnsd.py" zone dns.port 2> dnsd.log &
pids="$pids $!"
python3 "$srcdir/httpsd.py" sites https.port 2> httpsd.log &
pids="$pids $!"
python3 "$srcdir/httpsd.py" --raw stall stall.port 2>> httpsd.log &
pids="$pids $!"
python3 "$srcdir/httpsd.py" --raw plain plain.port 2>> httpsd.log &
pids="$pids $!"
i=0
while [ ! -s dns.port ] || [ ! -s https.port ] || [ ! -s stall.port ] ||
    [ ! -s plain.port ]; do
	i=$((i + 1))
	if [ $i -gt 200 ]; then
		echo "1..0 # SKIP test servers did not start"
		cat dnsd.log httpsd.log | sed 's/^/# /'
		exit 0
	fi
	sleep 0.05
done
DNSPORT=$(cat dns.port)
HTTPSPORT=$(cat https.port)

# writeconf FILE [CONNECT]; an empty CONNECT resolves policy hosts by DNS
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
expect "invalid domain name" 1 "$Q" -C bad..name -- \
    "fail bad..name  txt      invalid domain name"
expect "several domains: aligned, any failure fails" 1 "$Q" \
    -C good.test -C error.test. -- \
    "ok   good.test   txt      v=STSv1; id=20260101T000000" \
    "fail error.test  policy   HTTP status 500 (200 required)"
expect "several domains, warnings only: exit 0" 0 "$Q" \
    -C good.test -C notlsrpt.test -- \
    "warn notlsrpt.test  tlsrpt   no _smtp._tls record"

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
    ["txt", "policy", "mx", "hostname", "tlsrpt", "mode"], g
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
