/*
 * unit.h - shared helpers of the Check unit tests.
 *
 * unit_run() runs a suite with TAP output on stdout (one "ok"/"not ok" line
 * per test case, read by build-aux/tap-driver.sh) and returns non-zero when
 * anything failed, so main() can simply "return unit_run(suite())".
 *
 * Fixtures live in tests/unit/data/; make check exports top_srcdir (an
 * absolute path), and a test run by hand from the source tree falls back
 * to ".".  unit_data() always returns an absolute path, because the
 * configuration refuses relative policy_file paths.
 *
 * unit_expand() replaces "@DATA@" in a configuration text by that
 * absolute data directory (malloc'ed, sized from the number of
 * occurrences).  unit_sockaddr() makes the client address the milter sees
 * from NULL, "unix" or an IPv4/IPv6 literal (port 25).
 *
 * Everything here is static inline: each test program includes this header
 * once, and unused helpers cost nothing.
 */
#ifndef MTASTS_UNIT_H
#define MTASTS_UNIT_H

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static inline int
unit_run(Suite *s)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(s);
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? 1 : 0;
}

/* The absolute source directory (top_srcdir from make check, else "."). */
static inline const char *
unit_srcdir(void)
{
	static char abs[PATH_MAX];
	const char *top = getenv("top_srcdir");

	if (top == NULL || top[0] == '\0')
		top = ".";
	if (realpath(top, abs) == NULL)
		(void)snprintf(abs, sizeof(abs), "%s", top);
	return abs;
}

/* Absolute path of tests/unit/data/NAME in buf. */
static inline const char *
unit_data(char *buf, size_t len, const char *name)
{
	int n = snprintf(buf, len, "%s/tests/unit/data/%s", unit_srcdir(),
	    name);

	ck_assert_msg(n > 0 && (size_t)n < len, "path too long");
	return buf;
}

/* A fresh private directory (mkdtemp) under $TMPDIR or /tmp. */
static inline const char *
unit_tmpdir(char *buf, size_t len)
{
	const char *tmp = getenv("TMPDIR");

	if (tmp == NULL || tmp[0] != '/')
		tmp = "/tmp";
	(void)snprintf(buf, len, "%s/mtasts-unit.XXXXXX", tmp);
	ck_assert_msg(mkdtemp(buf) != NULL, "mkdtemp: %s", strerror(errno));
	return buf;
}

/* Writes len bytes to path with the given mode; fails the test on error. */
static inline void
unit_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	const char *p = data;
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	ck_assert_msg(fd != -1, "open %s: %s", path, strerror(errno));
	while (len > 0) {
		n = write(fd, p, len);
		ck_assert_msg(n > 0, "write %s: %s", path, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	ck_assert_int_eq(close(fd), 0);
	/* The umask must not decide the mode a test relies on. */
	ck_assert_int_eq(chmod(path, mode), 0);
}

/* Reads a whole file into a NUL-terminated malloc'ed buffer. */
static inline char *
unit_read_file(const char *path, size_t *lenp)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_msg(fd != -1, "open %s: %s", path, strerror(errno));
	for (;;) {
		if (cap - len < 4096) {
			cap = cap * 2 + 4096;
			buf = realloc(buf, cap + 1);
			ck_assert_ptr_nonnull(buf);
		}
		n = read(fd, buf + len, cap - len);
		ck_assert_msg(n >= 0, "read %s: %s", path, strerror(errno));
		if (n == 0)
			break;
		len += (size_t)n;
	}
	(void)close(fd);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

/* Number of non-overlapping occurrences of needle in hay. */
static inline size_t
unit_count(const char *hay, const char *needle)
{
	size_t n = 0, nl = strlen(needle);

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += nl;
	}
	return n;
}

/* The text with "@DATA@" replaced by the absolute tests/unit/data. */
static inline char *
unit_expand(const char *text)
{
	char data[4096], *buf, *out;
	const char *p, *at;
	size_t len;

	(void)unit_data(data, sizeof(data), "");
	len = strlen(data);
	if (len > 0 && data[len - 1] == '/')
		data[--len] = '\0';
	buf = malloc(strlen(text) + unit_count(text, "@DATA@") * len + 1);
	ck_assert_ptr_nonnull(buf);
	for (p = text, out = buf; (at = strstr(p, "@DATA@")) != NULL;
	    p = at + 6) {
		memcpy(out, p, (size_t)(at - p));
		out += at - p;
		memcpy(out, data, len);
		out += len;
	}
	strcpy(out, p);
	return buf;
}

/* addr: NULL (no address), "unix", or an IPv4/IPv6 literal (port 25). */
static inline const struct sockaddr *
unit_sockaddr(const char *addr, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (addr == NULL)
		return NULL;
	if (strcmp(addr, "unix") == 0) {
		struct sockaddr_un *sun = (struct sockaddr_un *)ss;

		sun->sun_family = AF_UNIX;
		(void)snprintf(sun->sun_path, sizeof(sun->sun_path),
		    "/run/client.sock");
	} else if (strchr(addr, ':') == NULL) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(25);
		ck_assert_int_eq(inet_pton(AF_INET, addr, &sin->sin_addr), 1);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(25);
		ck_assert_int_eq(inet_pton(AF_INET6, addr, &sin6->sin6_addr),
		    1);
	}
	return (const struct sockaddr *)ss;
}

#endif
