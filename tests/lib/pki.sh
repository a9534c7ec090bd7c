# shellcheck shell=sh
# tests/lib/pki.sh - a throwaway certificate authority for the suites that
# need verifiable certificates (tests/check, the self-check tests).
#
#   pki_ca_init         in the current directory: ca.cnf, index.txt,
#                       serial, and a CA (ca.key, ca.pem) valid 60 days
#   pki_req ARGS...     "openssl req" with a new P-256 key, no passphrase
#   pki_sign CSR OUT [openssl ca options]   the CA signs CSR into OUT
#
# "openssl ca" is used, not "openssl x509 -req", because only it sets
# arbitrary validity dates (-startdate/-enddate: expired, not yet valid).
# Every function returns non-zero when openssl fails.

pki_req() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "$@"; }

pki_ca_init() {
	cat > ca.cnf <<'EOC'
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
EOC
	: > index.txt
	echo 1000 > serial
	pki_req -x509 -keyout ca.key -out ca.pem -days 60 \
	    -subj "/CN=mtasts-milter test CA" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign"
}

pki_sign() {
	pki_sign_csr=$1 pki_sign_out=$2
	shift 2
	openssl ca -batch -config ca.cnf -notext -in "$pki_sign_csr" \
	    -out "$pki_sign_out" "$@"
}
