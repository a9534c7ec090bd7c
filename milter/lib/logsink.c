/*
 * logsink.c - send batches of log lines to syslog and to stderr.
 *
 * Why not syslog(3): glibc's syslog() costs a getpid() and a send() per
 * line under a process-wide lock, and while no syslog daemon listens it
 * runs socket(), connect() and close() again for every line.  At one line
 * per mail decision that was the milter's whole overhead over libmilter
 * (see tests/bench/README).  Here the log writer thread hands over up to
 * LOGSINK_BATCH lines at once: one kept-open socket, one sendmmsg() and
 * one writev() to stderr per batch.
 *
 * The frame is what syslog(3) sends over the local socket (RFC 3164
 * without a host name): "<PRI>Mmm dd hh:mm:ss ident[pid]: message", so
 * rsyslog, syslog-ng and journald read it the same.  A datagram socket is
 * used when the daemon offers one; a stream socket gets NUL-terminated
 * frames, as syslog(3) writes them.
 *
 * libmilter's own messages still go through syslog(3) (log.c opens it).
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/logsink.h"

#define FRAME_HEAD_MAX	96	/* "<191>Mmm dd hh:mm:ss " + ident[pid]: */
#define RETRY_MS	1000	/* one connect attempt a second */
#define SEND_TIMEOUT_S	2		/* a syslog daemon that takes nothing */

/* Until logsink_open(): syslog only, as the daemon would. */
static char	 sink_path[sizeof(((struct sockaddr_un *)0)->sun_path)] =
    _PATH_LOG;
static char	 sink_ident[32] = "mtasts-milter";
static int	 sink_facility = LOG_MAIL;
static bool	 sink_stderr;
static int	 sink_fd = -1;
static int	 sink_type;		/* SOCK_DGRAM or SOCK_STREAM */
static long long sink_next_try;		/* clock_now_ms() */
static unsigned long sink_lost;		/* lines syslog did not get */

void
logsink_open(const char *path, const char *ident, int facility,
    bool to_stderr)
{
	logsink_close();
	(void)snprintf(sink_path, sizeof(sink_path), "%s", path);
	(void)snprintf(sink_ident, sizeof(sink_ident), "%s", ident);
	sink_facility = facility;
	sink_stderr = to_stderr;
	sink_next_try = 0;	/* the count of lost lines is kept */
}

void
logsink_close(void)
{
	if (sink_fd >= 0)
		(void)close(sink_fd);
	sink_fd = -1;
}

static int
sink_connect_type(int type)
{
	struct timeval timeout = { SEND_TIMEOUT_S, 0 };
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, sink_path, sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout,
	    sizeof(timeout)) != 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		(void)close(fd);
		return -1;
	}
	sink_fd = fd;
	sink_type = type;
	return 0;
}

/* At most one attempt a second while the socket is not there. */
static int
sink_connect(void)
{
	long long now;

	if (sink_fd >= 0)
		return 0;
	now = clock_now_ms();
	if (now < sink_next_try)
		return -1;
	if (sink_connect_type(SOCK_DGRAM) == 0 ||
	    (errno == EPROTOTYPE && sink_connect_type(SOCK_STREAM) == 0))
		return 0;
	sink_next_try = now + RETRY_MS;
	return -1;
}

static size_t
frame_head(char *buf, int level, const char *stamp, long pid)
{
	int n;

	n = snprintf(buf, FRAME_HEAD_MAX, "<%d>%s %s[%ld]: ",
	    sink_facility | level, stamp, sink_ident, pid);
	if (n < 0)
		return 0;
	return (size_t)n < FRAME_HEAD_MAX ? (size_t)n : FRAME_HEAD_MAX - 1;
}

static size_t
frame_len(const struct msghdr *m)
{
	size_t i, len = 0;

	for (i = 0; i < m->msg_iovlen; i++)
		len += m->msg_iov[i].iov_len;
	return len;
}

/*
 * Sends frames [*done, n) of msgs and advances *done; 0 when all went,
 * -1 on a socket error or when the daemon took nothing for SEND_TIMEOUT.
 * A stream frame only counts when all of it went: a short write would
 * leave half a frame, so the caller drops the link.
 */
static int
send_frames(struct mmsghdr *msgs, size_t n, size_t *done)
{
	size_t i;
	ssize_t w;
	int r, flags = 0;

	for (i = *done; i < n; i++)	/* a NUL ends a stream frame */
		msgs[i].msg_hdr.msg_iovlen = sink_type == SOCK_STREAM ? 3 : 2;
	while (*done < n) {
		if (sink_type == SOCK_DGRAM) {
			/*
			 * A short count means a send failed after others
			 * went, usually the timeout: ask again without
			 * waiting, so that it is not waited out twice.
			 */
			r = sendmmsg(sink_fd, msgs + *done, (unsigned int)(n -
			    *done), MSG_NOSIGNAL | flags);
			flags = r > 0 && (size_t)r < n - *done ? MSG_DONTWAIT :
			    0;
			if (r > 0)
				*done += (size_t)r;
			else if (r < 0 && errno == EINTR)
				continue;
			else
				return -1;
		} else {
			w = sendmsg(sink_fd, &msgs[*done].msg_hdr,
			    MSG_NOSIGNAL);
			if (w >= 0 &&
			    (size_t)w == frame_len(&msgs[*done].msg_hdr))
				(*done)++;
			else if (w < 0 && errno == EINTR)
				continue;
			else
				return -1;
		}
	}
	return 0;
}

/*
 * After a send error: a daemon that was restarted (the socket refuses) is
 * reconnected at once and gets what had not gone; one that took nothing
 * for SEND_TIMEOUT_S is left alone until the next attempt a second later,
 * so a stuck syslog daemon costs lost lines, not stalled mail.
 */
static void
resend(struct mmsghdr *msgs, size_t n, size_t *done)
{
	bool stuck = errno == EAGAIN || errno == EWOULDBLOCK;

	logsink_close();
	if (stuck) {
		sink_next_try = clock_now_ms() + RETRY_MS;
		return;
	}
	sink_next_try = 0;
	if (sink_connect() != 0 || send_frames(msgs, n, done) != 0) {
		logsink_close();
		sink_next_try = clock_now_ms() + RETRY_MS;
	}
}

/*
 * The batch, plus a leading notice of lines lost while syslog was away.
 * On a send error (the daemon restarted) reconnect once and send what had
 * not gone; what still does not go is counted as lost.
 */
static void
sink_syslog(const struct log_line *lines, size_t n)
{
	static char nul[1] = { '\0' };		/* ends a stream frame */
	char heads[LOGSINK_BATCH + 1][FRAME_HEAD_MAX], stamp[32];
	char notice[160];
	struct iovec iov[LOGSINK_BATCH + 1][3];
	struct mmsghdr msgs[LOGSINK_BATCH + 1];
	struct tm tm;
	time_t now;
	size_t i, k = 0, done = 0, len, lost;
	long pid;
	int r;

	if (sink_path[0] == '\0')
		return;			/* syslog off: nothing is lost */
	if (sink_connect() != 0) {
		sink_lost += n;
		return;
	}
	now = time(NULL);
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%b %e %T", &tm) == 0)
		(void)snprintf(stamp, sizeof(stamp), "Jan  1 00:00:00");
	pid = (long)getpid();
	memset(msgs, 0, sizeof(msgs));
	if (sink_lost > 0) {
		r = snprintf(notice, sizeof(notice), "%lu log line(s) could "
		    "not be sent to syslog: %s was unavailable or stuck", sink_lost,
		    sink_path);
		len = r < 0 ? 0 : (size_t)r;
		iov[k][1].iov_base = notice;
		iov[k][1].iov_len = len < sizeof(notice) ? len :
		    sizeof(notice) - 1;
		iov[k][0].iov_len = frame_head(heads[k], LOG_WARNING, stamp,
		    pid);
		k++;
	}
	for (i = 0; i < n && i < LOGSINK_BATCH; i++, k++) {
		iov[k][0].iov_len = frame_head(heads[k], lines[i].level, stamp,
		    pid);
		iov[k][1].iov_base = (void *)lines[i].msg;
		iov[k][1].iov_len = lines[i].len;
	}
	for (i = 0; i < k; i++) {
		iov[i][0].iov_base = heads[i];
		iov[i][2].iov_base = nul;
		iov[i][2].iov_len = 1;
		msgs[i].msg_hdr.msg_iov = iov[i];
	}
	if (send_frames(msgs, k, &done) != 0)
		resend(msgs, k, &done);
	lost = k - done;
	if (k > n && done == 0)
		lost--;			/* the notice is not a line */
	else if (k > n)
		sink_lost = 0;		/* the notice went */
	sink_lost += lost;
}

/* All of iov to fd, across short writes; gives up on an error. */
static void
writev_all(int fd, struct iovec *iov, size_t n)
{
	ssize_t w;
	size_t left;

	while (n > 0) {
		w = writev(fd, iov, (int)n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		left = (size_t)w;
		while (n > 0 && left >= iov->iov_len) {
			left -= iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + left;
			iov->iov_len -= left;
		}
	}
}

static void
sink_stderr_write(const struct log_line *lines, size_t n)
{
	static char nl[1] = { '\n' };
	struct iovec iov[LOGSINK_BATCH * 3];
	char prefix[sizeof(sink_ident) + 2];
	size_t i, k = 0, plen;

	plen = (size_t)snprintf(prefix, sizeof(prefix), "%s: ", sink_ident);
	if (plen >= sizeof(prefix))
		plen = sizeof(prefix) - 1;
	for (i = 0; i < n && i < LOGSINK_BATCH; i++) {
		iov[k].iov_base = prefix;
		iov[k++].iov_len = plen;
		iov[k].iov_base = (void *)lines[i].msg;
		iov[k++].iov_len = lines[i].len;
		iov[k].iov_base = nl;
		iov[k++].iov_len = 1;
	}
	writev_all(STDERR_FILENO, iov, k);
}

void
logsink_write(const struct log_line *lines, size_t n)
{
	size_t k;

	for (; n > 0; lines += k, n -= k) {
		k = n < LOGSINK_BATCH ? n : LOGSINK_BATCH;
		sink_syslog(lines, k);
		if (sink_stderr)
			sink_stderr_write(lines, k);
	}
}
