/*
 * smtp_cert.h - the certificate half of the SMTP STARTTLS probe.
 *
 * Interface (for smtp_probe.c only):
 *	smtp_cert_context() makes the SSL_CTX of one probe: TLS 1.2 or
 *	later, the trust store of req->ca_file (or the system's), no
 *	verification during the handshake (so a bad certificate is a
 *	finding, not a failed connection), DANE enabled when there are
 *	TLSA records.
 *	smtp_cert_dane_setup() adds the TLSA records of req to one SSL.
 *	smtp_cert_check() fills the certificate part of the result after
 *	the handshake: PKIX chain verification (X509_verify_cert against
 *	the trust store, purpose sslserver), the name (X509_check_host,
 *	no partial wildcards), issuer, notBefore/notAfter, the DANE verdict
 *	of OpenSSL and the peer chain.
 *
 * Failure modes: smtp_cert_context() returns NULL (out of memory, CA
 * file unreadable); smtp_cert_dane_setup() -1; smtp_cert_check() records
 * what it could not learn as a verify error.
 */
#ifndef MTASTS_SMTP_CERT_H
#define MTASTS_SMTP_CERT_H

#include <openssl/ssl.h>

#include "net/smtp_probe.h"

SSL_CTX	*smtp_cert_context(const struct smtp_probe_request *);
int	 smtp_cert_dane_setup(SSL *, const struct smtp_probe_request *);
void	 smtp_cert_check(SSL *, SSL_CTX *, const struct smtp_probe_request *,
	    struct smtp_probe_result *);

#endif
