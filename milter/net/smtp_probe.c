/*
 * smtp_probe.c - one SMTP STARTTLS probe of one MX address (OpenSSL).
 *
 * The socket is non-blocking; every connect, recv, send and every SSL
 * call that wants I/O waits in poll() for what is left of the one
 * deadline.  Replies are read a line at a time through a fixed buffer
 * and handed to smtp_reply_feed(); a line longer than SMTP_LINE_MAX ends
 * the probe before more of it is read.  Data sent after the STARTTLS
 * reply and before the handshake is a protocol error (it would be
 * injected into the TLS session, CVE-2011-0411 style).  The certificate
 * checks are in smtp_cert.c.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "lib/clock.h"
#include "net/smtp_probe.h"
#include "net/tls_step.h"
#include "net/smtp_cert.h"

struct conn {
	int			 fd;
	SSL			*ssl;
	long long		 deadline;
	unsigned char		 buf[4096];
	size_t			 pos, end;
	struct smtp_probe_result *res;
};

static const char *const stage_names[] = {
	"connecting", "waiting for the banner", "after EHLO",
	"after STARTTLS", "during the TLS handshake", "after EHLO over TLS",
	"after QUIT", "done"
};

const char *
smtp_stage_name(enum smtp_stage s)
{
	return (size_t)s < sizeof(stage_names) / sizeof(stage_names[0]) ?
	    stage_names[s] : "?";
}

static int
fail(struct conn *c, enum smtp_error e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct conn *c, enum smtp_error e, const char *fmt, ...)
{
	va_list ap;

	if (c->res->error != SMTP_ERR_NONE)
		return -1;		/* the first reason is the real one */
	c->res->error = e;
	va_start(ap, fmt);
	(void)vsnprintf(c->res->err, sizeof(c->res->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* strerror() is not thread-safe; GNU and XSI strerror_r() differ. */
static const char *
errtext(int e, char *buf, size_t len)
{
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
	return strerror_r(e, buf, len);
#else
	if (strerror_r(e, buf, len) != 0)
		(void)snprintf(buf, len, "error %d", e);
	return buf;
#endif
}

static int
wait_io(struct conn *c, short events)
{
	struct pollfd pfd;
	long long ms;
	char eb[128];
	int n;

	for (;;) {
		if ((ms = c->deadline - clock_now_ms()) <= 0)
			return fail(c, SMTP_ERR_TIMEOUT, "timed out %s",
			    smtp_stage_name(c->res->stage));
		pfd.fd = c->fd;
		pfd.events = events;
		pfd.revents = 0;
		if ((n = poll(&pfd, 1, ms > 86400000 ? 86400000 : (int)ms)) > 0)
			return 0;
		if (n == -1 && errno != EINTR)
			return fail(c, SMTP_ERR_INTERNAL, "poll: %s",
			    errtext(errno, eb, sizeof(eb)));
	}
}

static void
peer_name(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN + 16], serv[8];

	if (getnameinfo((const struct sockaddr *)ss, sizeof(*ss), host,
	    sizeof(host), serv, sizeof(serv),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		(void)snprintf(buf, len, "?");
	else
		(void)snprintf(buf, len, "%s port %s", host, serv);
}

static int
tcp_connect(struct conn *c, const struct smtp_probe_request *req)
{
	const struct sockaddr_storage *ss = req->addr;
	socklen_t sl = ss->ss_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	socklen_t el = sizeof(int);
	char eb[128];
	int e, rc;

	c->fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (c->fd == -1)
		return fail(c, SMTP_ERR_INTERNAL, "socket: %s",
		    errtext(errno, eb, sizeof(eb)));
	if (connect(c->fd, (const struct sockaddr *)ss, sl) == 0)
		return 0;
	if ((e = errno) == EINPROGRESS) {
		if (req->connect_deadline_ms > 0 &&
		    req->connect_deadline_ms < c->deadline)
			c->deadline = req->connect_deadline_ms;
		rc = wait_io(c, POLLOUT);
		c->deadline = req->deadline_ms;
		if (rc != 0)
			return -1;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el) == -1)
			e = errno;
	}
	if (e == 0)
		return 0;
	return fail(c, SMTP_ERR_CONNECT, "cannot connect to %s: %s",
	    c->res->peer, errtext(e, eb, sizeof(eb)));
}

/* Refills the buffer: 1 with data, 0 at EOF, -1 on error. */
static int
fill(struct conn *c)
{
	ssize_t n;
	int e;

	for (;;) {
		if (c->ssl == NULL) {
			if ((n = recv(c->fd, c->buf, sizeof(c->buf), 0)) >= 0)
				goto got;
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return fail(c, SMTP_ERR_CLOSED, "connection "
				    "reset %s", smtp_stage_name(c->res->stage));
			if (wait_io(c, POLLIN) != 0)
				return -1;
			continue;
		}
		ERR_clear_error();
		if ((n = SSL_read(c->ssl, c->buf, sizeof(c->buf))) > 0)
			goto got;
		e = SSL_get_error(c->ssl, (int)n);
		if (e == SSL_ERROR_ZERO_RETURN)
			return 0;
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			return fail(c, SMTP_ERR_CLOSED, "TLS connection "
			    "broken %s", smtp_stage_name(c->res->stage));
		if (wait_io(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT))
			return -1;
	}
got:
	c->pos = 0;
	c->end = (size_t)n;
	return n > 0 ? 1 : 0;
}

/* One line without CR LF into line[SMTP_LINE_MAX]; *len its length. */
static int
read_line(struct conn *c, char *line, size_t *len)
{
	unsigned char ch;
	int rc;

	*len = 0;
	for (;;) {
		if (c->pos == c->end) {
			if ((rc = fill(c)) < 0)
				return -1;
			if (rc == 0)
				return fail(c, SMTP_ERR_CLOSED, "connection "
				    "closed %s", smtp_stage_name(c->res->stage));
		}
		ch = c->buf[c->pos++];
		if (ch == '\n')
			break;
		if (*len + 2 >= SMTP_LINE_MAX)
			return fail(c, SMTP_ERR_PROTOCOL, "reply line longer "
			    "than %d bytes %s", SMTP_LINE_MAX,
			    smtp_stage_name(c->res->stage));
		line[(*len)++] = (char)ch;
	}
	if (*len > 0 && line[*len - 1] == '\r')
		(*len)--;
	return 0;
}

static int
read_reply(struct conn *c, struct smtp_reply *r)
{
	char line[SMTP_LINE_MAX];
	enum smtp_reply_state st;
	size_t len;

	smtp_reply_init(r);
	do {
		if (read_line(c, line, &len) != 0)
			return -1;
		st = smtp_reply_feed(r, line, len);
	} while (st == SMTP_REPLY_MORE);
	if (st == SMTP_REPLY_BAD)
		return fail(c, SMTP_ERR_PROTOCOL, "%s %s", r->err,
		    smtp_stage_name(c->res->stage));
	return 0;
}

static int
send_all(struct conn *c, const char *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;
	int e;

	while (done < len) {
		if (c->ssl == NULL) {
			n = send(c->fd, buf + done, len - done, MSG_NOSIGNAL);
			if (n >= 0) {
				done += (size_t)n;
				continue;
			}
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return fail(c, SMTP_ERR_CLOSED, "connection "
				    "closed %s", smtp_stage_name(c->res->stage));
			e = SSL_ERROR_WANT_WRITE;
		} else {
			ERR_clear_error();
			if ((n = SSL_write(c->ssl, buf + done,
			    (int)(len - done))) > 0) {
				done += (size_t)n;
				continue;
			}
			e = SSL_get_error(c->ssl, (int)n);
			if (e != SSL_ERROR_WANT_READ &&
			    e != SSL_ERROR_WANT_WRITE)
				return fail(c, SMTP_ERR_CLOSED, "TLS connection "
				    "broken %s", smtp_stage_name(c->res->stage));
		}
		if (wait_io(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT))
			return -1;
	}
	return 0;
}

/* Sends a command and reads its reply; wants the code class "want". */
static int
command(struct conn *c, const char *cmd, struct smtp_reply *r, int want)
{
	if (send_all(c, cmd, strlen(cmd)) != 0 || read_reply(c, r) != 0)
		return -1;
	if (r->code / 100 != want)
		return fail(c, SMTP_ERR_REPLY, "%.*s answered %d %s", (int)
		    strcspn(cmd, " \r"), cmd, r->code, r->text);
	return 0;
}

/* EHLO with the request's name (before and after STARTTLS). */
static int
ehlo(struct conn *c, const struct smtp_probe_request *req,
    struct smtp_reply *r)
{
	char cmd[300];

	(void)snprintf(cmd, sizeof(cmd), "EHLO %.255s\r\n", req->helo);
	return command(c, cmd, r, 2);
}

static int
smtp_hello(struct conn *c, const struct smtp_probe_request *req)
{
	struct smtp_probe_result *res = c->res;
	struct smtp_reply r;

	res->stage = SMTP_STAGE_BANNER;
	if (read_reply(c, &r) != 0)
		return -1;
	res->banner_code = r.code;
	memcpy(res->banner, r.text, sizeof(res->banner));
	if (r.code != 220)
		return fail(c, SMTP_ERR_REPLY, "banner %d %s", r.code, r.text);
	res->stage = SMTP_STAGE_EHLO;
	if (ehlo(c, req, &r) != 0)
		return -1;
	memcpy(res->ext, r.ext, sizeof(res->ext));
	res->starttls = r.starttls;
	if (!r.starttls)
		return fail(c, SMTP_ERR_NO_STARTTLS, "STARTTLS not offered");
	res->stage = SMTP_STAGE_STARTTLS;
	if (command(c, "STARTTLS\r\n", &r, 2) != 0)
		return -1;
	if (r.code != 220)
		return fail(c, SMTP_ERR_REPLY, "STARTTLS answered %d %s",
		    r.code, r.text);
	if (c->pos != c->end)
		return fail(c, SMTP_ERR_PROTOCOL, "data after the STARTTLS "
		    "reply, before the TLS handshake");
	return 0;
}

static int
handshake_fail(struct conn *c, int sslerr)
{
	unsigned long e = ERR_peek_last_error();
	const char *s = e != 0 ? ERR_reason_error_string(e) : NULL;
	char eb[128];

	if (s != NULL)
		return fail(c, SMTP_ERR_TLS, "TLS handshake failed: %s", s);
	if (sslerr == SSL_ERROR_SYSCALL && errno != 0)
		return fail(c, SMTP_ERR_TLS, "TLS handshake failed: %s",
		    errtext(errno, eb, sizeof(eb)));
	return fail(c, SMTP_ERR_TLS, "TLS handshake failed: connection "
	    "closed");
}

static int
tls_start(struct conn *c, SSL_CTX *ctx, const struct smtp_probe_request *req)
{
	int rc, e;

	c->res->stage = SMTP_STAGE_HANDSHAKE;
	if ((c->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(c->ssl, c->fd) != 1 ||
	    SSL_set_tlsext_host_name(c->ssl, req->mx) != 1 ||
	    smtp_cert_dane_setup(c->ssl, req) != 0)
		return fail(c, SMTP_ERR_INTERNAL, "OpenSSL: cannot set up "
		    "the TLS session");
	while ((rc = tls_connect_step(c->ssl, &e)) == 0)
		if (wait_io(c, (short)e) != 0)
			return -1;
	if (rc < 0)
		return handshake_fail(c, e);
	c->res->tls = true;
	(void)snprintf(c->res->version, sizeof(c->res->version), "%s",
	    SSL_get_version(c->ssl));
	(void)snprintf(c->res->cipher, sizeof(c->res->cipher), "%s",
	    SSL_get_cipher_name(c->ssl));
	c->pos = c->end = 0;
	return 0;
}

static int
smtp_tls(struct conn *c, const struct smtp_probe_request *req)
{
	struct smtp_probe_result *res = c->res;
	struct smtp_reply r;
	SSL_CTX *ctx;
	int rc = -1;

	if ((ctx = smtp_cert_context(req)) == NULL)
		return fail(c, SMTP_ERR_INTERNAL, "OpenSSL: cannot create a "
		    "TLS context");
	if (tls_start(c, ctx, req) != 0)
		goto out;
	smtp_cert_check(c->ssl, ctx, req, res);
	res->stage = SMTP_STAGE_EHLO_TLS;
	if (ehlo(c, req, &r) != 0)
		goto out;
	res->requiretls = r.requiretls;
	res->stage = SMTP_STAGE_QUIT;
	/* QUIT is a courtesy: its failure is no failure of the MX. */
	if (send_all(c, "QUIT\r\n", 6) == 0)
		(void)read_reply(c, &r);
	res->error = SMTP_ERR_NONE;
	res->err[0] = '\0';
	res->stage = SMTP_STAGE_DONE;
	rc = 0;
out:
	SSL_CTX_free(ctx);
	return rc;
}

void
smtp_probe(const struct smtp_probe_request *req,
    struct smtp_probe_result *res)
{
	struct conn c;

	memset(res, 0, sizeof(*res));
	memset(&c, 0, sizeof(c));
	c.fd = -1;
	c.res = res;
	c.deadline = req->deadline_ms;
	res->verify = -1;
	res->dane = req->ntlsa > 0;
	peer_name(req->addr, res->peer, sizeof(res->peer));
	if (tcp_connect(&c, req) == 0 && smtp_hello(&c, req) == 0)
		(void)smtp_tls(&c, req);
	else if (res->error == SMTP_ERR_NO_STARTTLS ||
	    (res->error == SMTP_ERR_REPLY && res->stage > SMTP_STAGE_BANNER))
		(void)send_all(&c, "QUIT\r\n", 6);
	if (c.ssl != NULL) {
		(void)SSL_shutdown(c.ssl);
		SSL_free(c.ssl);
	}
	if (c.fd != -1)
		(void)close(c.fd);
}

void
smtp_probe_result_free(struct smtp_probe_result *res)
{
	if (res->chain != NULL)
		sk_X509_pop_free(res->chain, X509_free);
	res->chain = NULL;
}
