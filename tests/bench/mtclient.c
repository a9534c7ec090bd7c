/*
 * mtclient.c - MTA side of the milter protocol: transport and replies.
 *
 * See mtclient.h for the interface; the protocol steps are in mtsteps.c.  Wire format (libmilter/mfdef.h):
 * every packet is a 4-byte network-order length (counting the command
 * byte), one command byte, then the data.  Strings are NUL-terminated.
 *
 * Sockets are non-blocking; each call computes one deadline from
 * conn->timeout_ms and every poll() waits at most until it.  Writes use
 * sendmsg(MSG_NOSIGNAL) so a filter that hangs up never kills the caller
 * with SIGPIPE.  Lengths from the wire are checked against MT_RMAX before
 * any allocation; strings in replies must carry their NUL terminator.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mtclient.h"

int
mt_seterr(struct mt_conn *c, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return code;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
deadline(const struct mt_conn *c)
{
	return now_ms() + (c->timeout_ms > 0 ? c->timeout_ms : 10000);
}

/* Wait for events on the socket until the deadline. */
static int
wait_fd(struct mt_conn *c, short events, int64_t dl)
{
	struct pollfd pfd;
	int64_t left;
	int n;

	pfd.fd = c->fd;
	pfd.events = events;
	for (;;) {
		left = dl - now_ms();
		if (left <= 0)
			return mt_seterr(c, MT_ETIMEOUT, "timeout");
		n = poll(&pfd, 1, (int)left);
		if (n > 0)
			return MT_OK;
		if (n < 0 && errno != EINTR)
			return mt_seterr(c, MT_EIO, "poll: %s", strerror(errno));
	}
}

/* Split "inet:PORT@HOST" and friends; fills a sockaddr. */
static int
parse_inet(struct mt_conn *c, const char *rest, int family,
    struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct addrinfo hints, *res;
	char port[16], host[256];
	const char *at;
	size_t plen;
	int e;

	at = strchr(rest, '@');
	plen = at ? (size_t)(at - rest) : strlen(rest);
	if (plen == 0 || plen >= sizeof(port))
		return mt_seterr(c, MT_EARG, "bad port in socket spec");
	memcpy(port, rest, plen);
	port[plen] = '\0';
	if (at == NULL)
		snprintf(host, sizeof(host), "%s",
		    family == AF_INET6 ? "::1" : "127.0.0.1");
	else if (snprintf(host, sizeof(host), "%s", at + 1) >=
	    (int)sizeof(host))
		return mt_seterr(c, MT_EARG, "host name too long");
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0)
		return mt_seterr(c, MT_EARG, "%s: %s", host, gai_strerror(e));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return MT_OK;
}

static int
parse_spec(struct mt_conn *c, const char *spec, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)ss;
	const char *path = NULL;

	memset(ss, 0, sizeof(*ss));
	if (strncmp(spec, "inet:", 5) == 0)
		return parse_inet(c, spec + 5, AF_INET, ss, sslen);
	if (strncmp(spec, "inet6:", 6) == 0)
		return parse_inet(c, spec + 6, AF_INET6, ss, sslen);
	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0)
		path = strchr(spec, ':') + 1;
	else if (spec[0] == '/')
		path = spec;
	if (path == NULL || *path == '\0')
		return mt_seterr(c, MT_EARG, "bad socket spec: %s", spec);
	if (strlen(path) >= sizeof(sun->sun_path))
		return mt_seterr(c, MT_EARG, "socket path too long");
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, strlen(path) + 1);
	*sslen = sizeof(*sun);
	return MT_OK;
}

int
mt_open(struct mt_conn *c, const char *spec, int timeout_ms)
{
	struct sockaddr_storage ss;
	socklen_t sslen, elen;
	int rc, soerr, one = 1;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->timeout_ms = timeout_ms;
	if ((rc = parse_spec(c, spec, &ss, &sslen)) != MT_OK)
		return rc;
	c->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (c->fd == -1)
		return mt_seterr(c, MT_EIO, "socket: %s", strerror(errno));
	if (ss.ss_family != AF_UNIX)
		(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&ss, sslen) == 0)
		return MT_OK;
	if (errno != EINPROGRESS && errno != EAGAIN)
		return mt_seterr(c, MT_EIO, "connect %s: %s", spec, strerror(errno));
	if ((rc = wait_fd(c, POLLOUT, deadline(c))) != MT_OK)
		return rc;
	elen = sizeof(soerr);
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &elen) == -1 ||
	    soerr != 0)
		return mt_seterr(c, MT_EIO, "connect %s: %s", spec,
		    strerror(soerr));
	return MT_OK;
}

void
mt_close(struct mt_conn *c)
{
	int i;

	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	for (i = 0; i < MT_NSTAGES; i++) {
		free(c->symlist[i]);
		c->symlist[i] = NULL;
	}
	free(c->pkt);
	free(c->wbuf);
	c->pkt = c->wbuf = NULL;
	c->pktsize = c->wsize = c->wlen = 0;
}

/* Close with a TCP reset (SO_LINGER 0); a plain close on unix sockets. */
void
mt_close_rst(struct mt_conn *c)
{
	struct linger l = { 1, 0 };

	if (c->fd != -1)
		(void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	mt_close(c);
}

static int
write_iov(struct mt_conn *c, struct iovec *iov, int niov)
{
	struct msghdr msg;
	int64_t dl = deadline(c);
	ssize_t n;
	int rc;

	while (niov > 0) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = niov;
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if ((rc = wait_fd(c, POLLOUT, dl)) != MT_OK)
				return rc;
			continue;
		}
		if (n < 0)
			return mt_seterr(c, errno == EPIPE || errno == ECONNRESET ?
			    MT_ECLOSED : MT_EIO, "write: %s", strerror(errno));
		while (niov > 0 && (size_t)n >= iov->iov_len) {
			n -= iov->iov_len;
			iov++;
			niov--;
		}
		if (niov > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= n;
		}
	}
	return MT_OK;
}

int
mt_send_bytes(struct mt_conn *c, const void *p, size_t len)
{
	struct iovec iov;

	if (c->fd == -1)
		return mt_seterr(c, MT_ECLOSED, "not connected");
	iov.iov_base = (void *)(uintptr_t)p;
	iov.iov_len = len;
	return write_iov(c, &iov, 1);
}

int
mt_send(struct mt_conn *c, int cmd, const void *data, size_t len)
{
	unsigned char hdr[MILTER_LEN_BYTES + 1];
	struct iovec iov[2];
	uint32_t n;

	if (c->fd == -1)
		return mt_seterr(c, MT_ECLOSED, "not connected");
	if (len > MT_WMAX)
		return mt_seterr(c, MT_EARG, "packet too large: %zu", len);
	n = htonl((uint32_t)len + 1);
	memcpy(hdr, &n, MILTER_LEN_BYTES);
	hdr[MILTER_LEN_BYTES] = (unsigned char)cmd;
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)(uintptr_t)data;
	iov[1].iov_len = len;
	return write_iov(c, iov, len > 0 ? 2 : 1);
}

/* Read exactly len bytes through the read buffer. */
static int
read_full(struct mt_conn *c, unsigned char *p, size_t len, int64_t dl)
{
	size_t take;
	ssize_t n;
	int rc;

	while (len > 0) {
		if (c->rstart < c->rend) {
			take = c->rend - c->rstart;
			if (take > len)
				take = len;
			memcpy(p, c->rbuf + c->rstart, take);
			c->rstart += take;
			p += take;
			len -= take;
			continue;
		}
		c->rstart = c->rend = 0;
		n = read(c->fd, c->rbuf, sizeof(c->rbuf));
		if (n > 0) {
			c->rend = (size_t)n;
			continue;
		}
		if (n == 0)
			return mt_seterr(c, MT_ECLOSED, "connection closed by filter");
		if (errno != EAGAIN && errno != EINTR)
			return mt_seterr(c, errno == ECONNRESET ? MT_ECLOSED :
			    MT_EIO, "read: %s", strerror(errno));
		if ((rc = wait_fd(c, POLLIN, dl)) != MT_OK)
			return rc;
	}
	return MT_OK;
}

int
mt_read(struct mt_conn *c, int *cmd, const unsigned char **data,
    size_t *len)
{
	unsigned char hdr[MILTER_LEN_BYTES + 1];
	int64_t dl = deadline(c);
	uint32_t n;
	unsigned char *np;
	int rc;

	if (c->fd == -1)
		return mt_seterr(c, MT_ECLOSED, "not connected");
	if ((rc = read_full(c, hdr, sizeof(hdr), dl)) != MT_OK)
		return rc;
	memcpy(&n, hdr, MILTER_LEN_BYTES);
	n = ntohl(n);
	if (n == 0 || n > MT_RMAX)
		return mt_seterr(c, MT_EPROTO, "bad packet length %u", n);
	n--;
	if (n + 1 > c->pktsize) {
		if ((np = realloc(c->pkt, n + 1)) == NULL)
			return mt_seterr(c, MT_ENOMEM, "out of memory");
		c->pkt = np;
		c->pktsize = n + 1;
	}
	if ((rc = read_full(c, c->pkt, n, dl)) != MT_OK)
		return rc;
	c->pkt[n] = '\0';
	*cmd = hdr[MILTER_LEN_BYTES];
	*data = c->pkt;
	*len = n;
	return MT_OK;
}

/* Next NUL-terminated string at *off; -1 when it is not terminated. */
static int
next_str(const unsigned char *d, size_t len, size_t *off, const char **s)
{
	const unsigned char *nul;

	if (*off >= len)
		return -1;
	nul = memchr(d + *off, '\0', len - *off);
	if (nul == NULL)
		return -1;
	*s = (const char *)d + *off;
	*off = (size_t)(nul - d) + 1;
	return 0;
}

static void
copy_trunc(char *dst, size_t dsize, const char *src, int *trunc)
{
	if (strlen(src) >= dsize)
		*trunc = 1;
	snprintf(dst, dsize, "%s", src);
}

static int
store_mod(struct mt_conn *c, struct mt_reply *r, int cmd,
    const unsigned char *d, size_t len)
{
	struct mt_mod m;
	const char *s1 = "", *s2 = "";
	size_t off = 0;
	uint32_t idx;

	memset(&m, 0, sizeof(m));
	m.cmd = cmd;
	m.len = len;
	if (cmd == SMFIR_INSHEADER || cmd == SMFIR_CHGHEADER) {
		if (len < MILTER_LEN_BYTES)
			return mt_seterr(c, MT_EPROTO, "short '%c' packet", cmd);
		memcpy(&idx, d, MILTER_LEN_BYTES);
		m.index = ntohl(idx);
		off = MILTER_LEN_BYTES;
	}
	if (cmd != SMFIR_REPLBODY) {
		if (next_str(d, len, &off, &s1) == -1)
			return mt_seterr(c, MT_EPROTO, "unterminated '%c'", cmd);
		if (off < len && next_str(d, len, &off, &s2) == -1)
			return mt_seterr(c, MT_EPROTO, "unterminated '%c'", cmd);
	}
	copy_trunc(m.name, sizeof(m.name), s1, &m.truncated);
	copy_trunc(m.value, sizeof(m.value), s2, &m.truncated);
	if (r->nmods < MT_MAXMODS)
		r->mods[r->nmods++] = m;
	else
		r->nmods_lost++;
	return MT_OK;
}

int
mt_is_final(int code)
{
	return strchr("cartydf4s", code) != NULL && code != '\0';
}

static int
is_mod(int code)
{
	return code != '\0' && strchr("hime+-2bq", code) != NULL;
}

int
mt_await(struct mt_conn *c, struct mt_reply *r)
{
	const unsigned char *d;
	size_t len, off;
	const char *s;
	int cmd, rc, i;

	memset(r, 0, offsetof(struct mt_reply, mods));
	for (i = 0; i < MT_MAXPKTS; i++) {
		if ((rc = mt_read(c, &cmd, &d, &len)) != MT_OK)
			return rc;
		if (cmd == SMFIR_PROGRESS) {
			r->nprogress++;
			continue;
		}
		if (is_mod(cmd)) {
			if ((rc = store_mod(c, r, cmd, d, len)) != MT_OK)
				return rc;
			continue;
		}
		if (!mt_is_final(cmd))
			return mt_seterr(c, MT_EPROTO, "unexpected reply 0x%02x",
			    cmd);
		r->code = cmd;
		if (cmd == SMFIR_REPLYCODE) {
			off = 0;
			if (next_str(d, len, &off, &s) == -1)
				return mt_seterr(c, MT_EPROTO, "unterminated 'y'");
			snprintf(r->text, sizeof(r->text), "%s", s);
		}
		return MT_OK;
	}
	return mt_seterr(c, MT_EPROTO, "more than %d packets for one step",
	    MT_MAXPKTS);
}

const char *
mt_codename(int code)
{
	switch (code) {
	case SMFIR_CONTINUE:	return "continue";
	case SMFIR_ACCEPT:	return "accept";
	case SMFIR_REJECT:	return "reject";
	case SMFIR_TEMPFAIL:	return "tempfail";
	case SMFIR_REPLYCODE:	return "replycode";
	case SMFIR_DISCARD:	return "discard";
	case SMFIR_CONN_FAIL:	return "connfail";
	case SMFIR_SHUTDOWN:	return "shutdown";
	case SMFIR_SKIP:	return "skip";
	case SMFIR_INSHEADER:	return "insheader";
	case SMFIR_ADDHEADER:	return "addheader";
	case SMFIR_CHGHEADER:	return "chgheader";
	case MT_NOREPLY:	return "noreply";
	case MT_SKIPPED:	return "skipped";
	default:		return "other";
	}
}
