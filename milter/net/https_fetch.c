/*
 * https_fetch.c - one bounded, verified HTTPS GET (OpenSSL), for "-C".
 *
 * Everything runs on a non-blocking socket: connect() and every
 * SSL_connect/SSL_write/SSL_read that wants I/O waits in poll() for what
 * is left of a single deadline.  The response is read through a small
 * buffer and handed to http_parse, which bounds lines, the head and the
 * body, so a hostile server can make us wait (until the deadline) but
 * not allocate.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "net/http_parse.h"
#include "net/https_fetch.h"
#include "net/tls_step.h"
#include "lib/clock.h"
#include "lib/errfmt.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION	"0"
#endif

struct conn {
	int		 fd;
	SSL		*ssl;
	long long	 deadline;	/* CLOCK_MONOTONIC, ms */
	bool		 timed_out;
	const char	*phase;
	unsigned char	 buf[8192];
	size_t		 pos, end;
	bool		 eof;
	char		*err;
	size_t		 errlen;
	struct http_parser parser;
};

/* Fails with a reason; the first reason is the real one. */
#define set_err(c, ...)	errfmt_first((c)->err, (c)->errlen, __VA_ARGS__)

static const char *
ossl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *s = e != 0 ? ERR_reason_error_string(e) : NULL;

	return s != NULL ? s : "unknown error";
}

static int
remaining_ms(const struct conn *c)
{
	return clock_left_ms(c->deadline, 86400000);
}

static int
wait_io(struct conn *c, short events)
{
	struct pollfd pfd;
	int ms, n;

	for (;;) {
		if ((ms = remaining_ms(c)) == 0) {
			c->timed_out = c->err[0] == '\0';
			return set_err(c, "timed out %s", c->phase);
		}
		pfd.fd = c->fd;
		pfd.events = events;
		pfd.revents = 0;
		if ((n = poll(&pfd, 1, ms)) > 0)
			return 0;
		if (n == -1 && errno != EINTR)
			return set_err(c, "poll: %s", strerror(errno));
	}
}

static void
peer_name(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN + 16], serv[8];

	if (getnameinfo((const struct sockaddr *)ss, sizeof(*ss), host,
	    sizeof(host), serv, sizeof(serv),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		(void)snprintf(host, sizeof(host), "?");
		(void)snprintf(serv, sizeof(serv), "?");
	}
	(void)snprintf(buf, len, "%s port %s", host, serv);
}

static int
tcp_connect(struct conn *c, const struct sockaddr_storage *ss,
    const char *peer)
{
	socklen_t sl = ss->ss_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	socklen_t el = sizeof(int);
	int e;

	c->fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (c->fd == -1)
		return set_err(c, "socket: %s", strerror(errno));
	if (connect(c->fd, (const struct sockaddr *)ss, sl) == 0)
		return 0;
	if ((e = errno) == EINPROGRESS) {
		if (wait_io(c, POLLOUT) != 0)
			return -1;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el) == -1)
			e = errno;
	}
	if (e == 0)
		return 0;
	return set_err(c, "cannot connect to %s: %s", peer, strerror(e));
}

/*
 * Each address in turn, until one connects.  An address gets an equal
 * share of the time left, so a black-holed first one cannot use it all.
 */
static int
connect_any(struct conn *c, const struct https_request *req,
    struct https_response *r)
{
	long long deadline = c->deadline;
	size_t i;
	int rc = -1;

	c->phase = "while connecting";
	if (req->naddrs == 0)
		return set_err(c, "no address to connect to");
	for (i = 0; i < req->naddrs && rc != 0; i++) {
		c->deadline = deadline;
		if (i > 0) {
			if (remaining_ms(c) == 0)
				break;
			c->err[0] = '\0';	/* forget the last failure */
			if (c->fd != -1)
				(void)close(c->fd);
			c->fd = -1;
		}
		c->deadline = clock_now_ms() + remaining_ms(c) /
		    (long long)(req->naddrs - i);
		peer_name(&req->addrs[i], r->peer, sizeof(r->peer));
		rc = tcp_connect(c, &req->addrs[i], r->peer);
	}
	c->deadline = deadline;
	return rc;
}

static SSL_CTX *
tls_context(const char *ca_file, char *err, size_t errlen)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		(void)snprintf(err, errlen, "OpenSSL: %s", ossl_reason());
		goto fail;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	/* Many servers close without close_notify; framing is checked. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	if (ca_file != NULL && ca_file[0] != '\0' ?
	    SSL_CTX_load_verify_locations(ctx, ca_file, NULL) == 1 :
	    SSL_CTX_set_default_verify_paths(ctx) == 1)
		return ctx;
	(void)snprintf(err, errlen, "cannot load %s: %s", ca_file != NULL &&
	    ca_file[0] != '\0' ? ca_file : "the system CA store",
	    ossl_reason());
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

static int
tls_fail(struct conn *c, const char *host, int sslerr)
{
	long v = SSL_get_verify_result(c->ssl);

	if (v == X509_V_ERR_HOSTNAME_MISMATCH)
		return set_err(c, "certificate does not match %s", host);
	if (v != X509_V_OK)
		return set_err(c, "certificate verify failed: %s",
		    X509_verify_cert_error_string(v));
	if (ERR_peek_last_error() != 0)
		return set_err(c, "TLS handshake failed: %s", ossl_reason());
	if (sslerr == SSL_ERROR_SYSCALL && errno != 0)
		return set_err(c, "TLS handshake failed: %s", strerror(errno));
	return set_err(c, "TLS handshake failed: connection closed");
}

static int
tls_handshake(struct conn *c, SSL_CTX *ctx, const char *host)
{
	int rc, e;

	c->phase = "during the TLS handshake";
	if ((c->ssl = SSL_new(ctx)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1 ||
	    SSL_set_tlsext_host_name(c->ssl, host) != 1 ||
	    SSL_set1_host(c->ssl, host) != 1)
		return set_err(c, "OpenSSL: %s", ossl_reason());
	SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	while ((rc = tls_connect_step(c->ssl, &e)) == 0)
		if (wait_io(c, (short)e) != 0)
			return -1;
	if (rc < 0)
		return tls_fail(c, host, e);
	/* SSL_VERIFY_PEER: no handshake succeeds without a verified chain. */
	if (SSL_get_verify_result(c->ssl) != X509_V_OK)
		return tls_fail(c, host, SSL_ERROR_SSL);
	return 0;
}

/*
 * After an SSL call returned n <= 0: waits for the I/O it wants (0), or
 * fails with "WHAT failed: reason" (-1); closed says why when the peer
 * went away without a TLS error.
 */
static int
ssl_retry(struct conn *c, int n, const char *what, const char *closed)
{
	int e = SSL_get_error(c->ssl, n);

	if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
		return set_err(c, "%s failed: %s", what,
		    e == SSL_ERROR_SSL ? ossl_reason() : closed);
	return wait_io(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT);
}

static int
tls_write(struct conn *c, const char *buf, size_t len)
{
	size_t done = 0;
	int n;

	c->phase = "sending the request";
	while (done < len) {
		ERR_clear_error();
		n = SSL_write(c->ssl, buf + done, (int)(len - done));
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (ssl_retry(c, n, "sending the request",
		    "connection closed") != 0)
			return -1;
	}
	return 0;
}

/* Refills the buffer; sets eof at the end of the stream. */
static int
fill(struct conn *c)
{
	int n;

	for (;;) {
		ERR_clear_error();
		if ((n = SSL_read(c->ssl, c->buf, sizeof(c->buf))) > 0) {
			c->pos = 0;
			c->end = (size_t)n;
			return 0;
		}
		if (SSL_get_error(c->ssl, n) == SSL_ERROR_ZERO_RETURN) {
			c->eof = true;
			return 0;
		}
		if (ssl_retry(c, n, "reading the response",
		    "connection reset") != 0)
			return -1;
	}
}

static int
send_request(struct conn *c, const struct https_request *req)
{
	char rq[1024];
	int n;

	n = snprintf(rq, sizeof(rq), "GET %s HTTP/1.1\r\nHost: %s\r\n"
	    "User-Agent: mtasts-milter/%s\r\nAccept: text/plain\r\n"
	    "Connection: close\r\n\r\n", req->path, req->host,
	    PACKAGE_VERSION);
	if (n < 0 || (size_t)n >= sizeof(rq))
		return set_err(c, "request too long");
	return tls_write(c, rq, (size_t)n);
}

/*
 * Reads until http_parse has a complete response (the head, and for
 * status 200 the body), then hands its result over to r.
 */
static int
read_response(struct conn *c, struct https_response *r, size_t max)
{
	struct http_parser *p = &c->parser;
	size_t used;
	int rc = HTTP_PARSE_MORE, io = 0;

	http_parser_init(p, max);
	c->phase = "waiting for the response";
	while (rc == HTTP_PARSE_MORE) {
		if (c->pos == c->end) {
			if ((io = fill(c)) != 0)
				break;
			if (c->eof)
				rc = http_parse_eof(p);
			continue;
		}
		rc = http_parse_feed(p, c->buf + c->pos, c->end - c->pos,
		    &used);
		c->pos += used;
		if (http_parse_in_body(p))
			c->phase = "reading the response body";
	}
	r->status = p->res.status;
	r->body = p->res.body;
	r->len = p->res.len;
	r->chunked = p->res.chunked;
	(void)snprintf(r->location, sizeof(r->location), "%s",
	    p->res.location);
	(void)snprintf(r->content_type, sizeof(r->content_type), "%s",
	    p->res.content_type);
	p->res.body = NULL;
	if (io != 0)
		return -1;
	return rc == HTTP_PARSE_DONE ? 0 : set_err(c, "%s", p->err);
}

static int
exchange(struct conn *c, SSL_CTX *ctx, const struct https_request *req,
    struct https_response *r)
{
	if (connect_any(c, req, r) != 0 ||
	    tls_handshake(c, ctx, req->host) != 0 ||
	    send_request(c, req) != 0)
		return -1;
	return read_response(c, r, req->max_body);
}

int
https_fetch(const struct https_request *req, struct https_response *r)
{
	struct sigaction ign, old;
	struct conn c;
	SSL_CTX *ctx;
	int rc;

	memset(r, 0, sizeof(*r));
	memset(&c, 0, sizeof(c));
	c.fd = -1;
	c.err = r->err;
	c.errlen = sizeof(r->err);
	c.deadline = clock_now_ms() + req->timeout_ms;
	ERR_clear_error();
	if ((ctx = tls_context(req->ca_file, r->err, sizeof(r->err))) == NULL)
		return -1;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	(void)sigemptyset(&ign.sa_mask);
	(void)sigaction(SIGPIPE, &ign, &old);
	rc = exchange(&c, ctx, req, r);
	r->timed_out = rc != 0 && c.timed_out;
	SSL_free(c.ssl);
	if (c.fd != -1)
		(void)close(c.fd);
	SSL_CTX_free(ctx);
	(void)sigaction(SIGPIPE, &old, NULL);
	ERR_clear_error();
	if (rc != 0)
		https_response_free(r);
	return rc;
}

void
https_response_free(struct https_response *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
}
