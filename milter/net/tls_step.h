/*
 * tls_step.h - one step of a non-blocking TLS handshake, for the HTTPS
 * fetch and the SMTP STARTTLS probe, which each wait for I/O their own
 * way (under their own deadline).
 *
 * Interface: tls_connect_step() calls SSL_connect() once, with the error
 * queue and errno cleared first so that what follows describes this call.
 *
 * Failure modes: returns 1 when the handshake is done, 0 when it wants
 * I/O (*arg is POLLIN or POLLOUT), -1 when it failed (*arg is the
 * SSL_get_error() value, errno as the call left it).
 */
#ifndef MTASTS_TLS_STEP_H
#define MTASTS_TLS_STEP_H

#include <openssl/ssl.h>

int	tls_connect_step(SSL *, int *arg);

#endif
