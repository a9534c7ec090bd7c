/*
 * tls_step.c - one step of a non-blocking TLS handshake (tls_step.h).
 */
#include <errno.h>
#include <poll.h>

#include <openssl/err.h>

#include "net/tls_step.h"

int
tls_connect_step(SSL *ssl, int *arg)
{
	int rc, e;

	ERR_clear_error();
	errno = 0;
	if ((rc = SSL_connect(ssl)) == 1)
		return 1;
	e = SSL_get_error(ssl, rc);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		*arg = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		return 0;
	}
	*arg = e;
	return -1;
}
