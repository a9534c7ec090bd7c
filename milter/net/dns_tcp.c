/*
 * dns_tcp.c - one DNS query over TCP, under a deadline.
 *
 * A non-blocking socket and poll() for what is left of the deadline at
 * every step, so a server that accepts and then stays silent, or sends
 * one byte a second, costs no more than the caller's time bound.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/dns_tcp.h"
#include "lib/clock.h"
#include "lib/errfmt.h"

#define DNS_HEADER	12
#define QUERY_MAX	1024	/* our queries: one name, one OPT record */

/* 0 when fd is ready for events; -1 with errno (ETIMEDOUT at the end). */
static int
wait_fd(int fd, short events, long long deadline)
{
	struct pollfd p;
	int ms, n;

	for (;;) {
		if ((ms = clock_left_ms(deadline, 86400000)) == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		p.fd = fd;
		p.events = events;
		p.revents = 0;
		if ((n = poll(&p, 1, ms)) > 0)
			return 0;
		if (n == -1 && errno != EINTR)
			return -1;
	}
}

static int
send_all(int fd, const unsigned char *b, size_t len, long long deadline)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, b, len, MSG_NOSIGNAL);
		if (n > 0) {
			b += n;
			len -= (size_t)n;
			continue;
		}
		if ((n == -1 && errno != EAGAIN && errno != EINTR) ||
		    wait_fd(fd, POLLOUT, deadline) == -1)
			return -1;
	}
	return 0;
}

/* 0 read; -1 errno set; 1 the server closed the connection first. */
static int
recv_all(int fd, unsigned char *b, size_t len, long long deadline)
{
	ssize_t n;

	while (len > 0) {
		n = recv(fd, b, len, 0);
		if (n > 0) {
			b += n;
			len -= (size_t)n;
			continue;
		}
		if (n == 0)
			return 1;
		if ((errno != EAGAIN && errno != EINTR) ||
		    wait_fd(fd, POLLIN, deadline) == -1)
			return -1;
	}
	return 0;
}

static int
connect_by(int fd, const struct sockaddr *sa, socklen_t salen,
    long long deadline)
{
	socklen_t optlen = sizeof(int);
	int soerr = 0;

	if (connect(fd, sa, salen) == 0)
		return 0;
	if (errno != EINPROGRESS || wait_fd(fd, POLLOUT, deadline) == -1)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &optlen) == -1)
		return -1;
	if (soerr != 0) {
		errno = soerr;
		return -1;
	}
	return 0;
}

static int
io_error(int rc, char *err, size_t errlen)
{
	if (rc == 1)
		return errfmt(err, errlen, "DNS server closed the TCP "
		    "connection");
	if (errno == ETIMEDOUT)
		return errfmt(err, errlen, "no answer from the DNS server over "
		    "TCP (timed out)");
	return errfmt(err, errlen, "DNS server unreachable over TCP: %s",
	    strerror(errno));
}

int
dns_tcp_exchange(const struct sockaddr *sa, socklen_t salen,
    const unsigned char *query, size_t qlen, unsigned char *ans,
    size_t anslen, long long deadline_ms, char *err, size_t errlen)
{
	unsigned char out[2 + QUERY_MAX], len[2];
	size_t n;
	int fd, rc;

	if (qlen > QUERY_MAX)
		return errfmt(err, errlen, "DNS query too long for TCP");
	out[0] = (unsigned char)(qlen >> 8);
	out[1] = (unsigned char)(qlen & 0xff);
	memcpy(out + 2, query, qlen);
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return io_error(-1, err, errlen);
	rc = -1;
	if (connect_by(fd, sa, salen, deadline_ms) == 0 &&
	    send_all(fd, out, qlen + 2, deadline_ms) == 0)
		rc = recv_all(fd, len, 2, deadline_ms);
	if (rc != 0) {
		rc = io_error(rc, err, errlen);
		(void)close(fd);
		return rc;
	}
	n = (size_t)len[0] << 8 | len[1];
	if (n < DNS_HEADER || n > anslen) {
		(void)close(fd);
		return errfmt(err, errlen, "DNS answer over TCP of %zu bytes "
		    "(%d to %zu wanted)", n, DNS_HEADER, anslen);
	}
	rc = recv_all(fd, ans, n, deadline_ms);
	(void)close(fd);
	if (rc != 0)
		return io_error(rc, err, errlen);
	return (int)n;
}
