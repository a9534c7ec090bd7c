/*
 * smtp_cert.c - the certificate half of the SMTP STARTTLS probe.
 *
 * The handshake runs with SSL_VERIFY_NONE; the chain is then verified
 * here with a fresh X509_STORE_CTX, so the PKIX verdict (what an MTA-STS
 * sender checks) and OpenSSL's DANE verdict (what a DANE sender checks,
 * kept by the SSL) are both known from one connection.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "net/smtp_cert.h"

SSL_CTX *
smtp_cert_context(const struct smtp_probe_request *req)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		goto fail;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	if (req->ca_file != NULL && req->ca_file[0] != '\0' ?
	    SSL_CTX_load_verify_locations(ctx, req->ca_file, NULL) != 1 :
	    SSL_CTX_set_default_verify_paths(ctx) != 1)
		goto fail;
	if (req->ntlsa > 0 && SSL_CTX_dane_enable(ctx) <= 0)
		goto fail;
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

int
smtp_cert_dane_setup(SSL *ssl, const struct smtp_probe_request *req)
{
	size_t i;

	if (req->ntlsa == 0)
		return 0;
	if (SSL_dane_enable(ssl, req->mx) <= 0)
		return -1;
	/* A malformed or unsupported record is skipped (RFC 7671 §4). */
	for (i = 0; i < req->ntlsa; i++)
		(void)SSL_dane_tlsa_add(ssl, req->tlsa[i].usage,
		    req->tlsa[i].selector, req->tlsa[i].mtype,
		    req->tlsa[i].data, req->tlsa[i].len);
	ERR_clear_error();
	return 0;
}

static time_t
asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

static void
issuer_name(X509 *leaf, char *buf, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n;

	buf[0] = '\0';
	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, X509_get_issuer_name(leaf), 0,
	    XN_FLAG_RFC2253) >= 0 && (n = BIO_read(b, buf, (int)len - 1)) > 0)
		buf[n] = '\0';
	BIO_free(b);
}

static void
pkix_verify(SSL_CTX *ctx, X509 *leaf, STACK_OF(X509) *chain,
    struct smtp_probe_result *res)
{
	X509_STORE_CTX *x;

	res->verify = X509_V_ERR_UNSPECIFIED;
	if ((x = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(x, SSL_CTX_get_cert_store(ctx), leaf,
	    chain) != 1 || X509_STORE_CTX_set_default(x, "ssl_server") != 1)
		goto out;
	if (X509_verify_cert(x) == 1)
		res->verify = X509_V_OK;
	else if ((res->verify = X509_STORE_CTX_get_error(x)) == X509_V_OK)
		res->verify = X509_V_ERR_UNSPECIFIED;
out:
	(void)snprintf(res->verify_text, sizeof(res->verify_text), "%s",
	    X509_verify_cert_error_string(res->verify));
	X509_STORE_CTX_free(x);
	ERR_clear_error();
}

static void
dane_verdict(SSL *ssl, struct smtp_probe_result *res)
{
	uint8_t usage, selector, mtype;
	const unsigned char *data;
	size_t dlen;
	int depth;

	if (!res->dane)
		return;
	depth = SSL_get0_dane_tlsa(ssl, &usage, &selector, &mtype, &data,
	    &dlen);
	res->dane_match = SSL_get_verify_result(ssl) == X509_V_OK &&
	    depth >= 0;
	res->dane_depth = depth;
	res->dane_usage = res->dane_match ? usage : 0;
}

void
smtp_cert_check(SSL *ssl, SSL_CTX *ctx, const struct smtp_probe_request *req,
    struct smtp_probe_result *res)
{
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
	X509 *leaf;

#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	leaf = SSL_get1_peer_certificate(ssl);
#else
	leaf = SSL_get_peer_certificate(ssl);
#endif
	dane_verdict(ssl, res);
	if (leaf == NULL) {
		(void)snprintf(res->verify_text, sizeof(res->verify_text),
		    "no certificate");
		return;
	}
	res->have_cert = true;
	pkix_verify(ctx, leaf, chain, res);
	res->name_match = X509_check_host(leaf, req->mx, 0,
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1;
	issuer_name(leaf, res->issuer, sizeof(res->issuer));
	res->not_before = asn1_time(X509_get0_notBefore(leaf));
	res->not_after = asn1_time(X509_get0_notAfter(leaf));
	if (chain != NULL)
		res->chain = X509_chain_up_ref(chain);
	X509_free(leaf);
}
