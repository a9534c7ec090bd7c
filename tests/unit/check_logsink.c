/*
 * check_logsink.c - unit tests of the log sinks (logsink.c) and of the
 * writer queue in front of them (log.c): the syslog frame is what
 * syslog(3) sends, batches arrive whole and in order over a datagram and
 * over a stream socket, a missing socket costs at most one connect a
 * second and the lost lines are counted when it comes back, a restarted
 * syslog daemon is reconnected at once, one that reads nothing costs
 * lines (counted) rather than time, and the stderr copy holds every
 * line, whole, when several threads log at once.
 *
 * Every socket lives in a private temporary directory; Check runs each
 * case in its own process, so the sink's state starts fresh.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <check.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/logsink.h"
#include "unit.h"

#define DIR_TEMPLATE	"/tmp/check_logsink.XXXXXX"

static char dir[sizeof(DIR_TEMPLATE)];
static char path[sizeof(dir) + 16];
static int saved_stderr = -1;

static void
setup(void)
{
	memcpy(dir, DIR_TEMPLATE, sizeof(dir));
	ck_assert_ptr_nonnull(mkdtemp(dir));
	(void)snprintf(path, sizeof(path), "%s/log", dir);
}

/* Also for CK_FORK=no (valgrind): stderr back, no socket left. */
static void
teardown(void)
{
	if (saved_stderr >= 0) {
		(void)dup2(saved_stderr, STDERR_FILENO);
		(void)close(saved_stderr);
		saved_stderr = -1;
	}
	logsink_close();
	(void)unlink(path);
	(void)rmdir(dir);
}

/* A socket of TYPE bound at path, with a 10 s receive deadline. */
static int
listen_at(int type)
{
	struct sockaddr_un sun;
	struct timeval tv = { 10, 0 };
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	(void)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, type, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	if (type == SOCK_STREAM)
		ck_assert_int_eq(listen(fd, 4), 0);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)), 0);
	return fd;
}

static void
write_lines(const char *const *msgs, const int *levels, size_t n)
{
	struct log_line lines[8];
	size_t i;

	ck_assert_uint_le(n, 8);
	for (i = 0; i < n; i++) {
		lines[i].level = levels[i];
		lines[i].msg = msgs[i];
		lines[i].len = strlen(msgs[i]);
	}
	logsink_write(lines, n);
}

/* One datagram as a string; "" when none is waiting and !wait. */
static const char *
recv_frame(int fd, bool wait)
{
	static char buf[8192];
	ssize_t n;

	n = recv(fd, buf, sizeof(buf) - 1, wait ? 0 : MSG_DONTWAIT);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	return buf;
}

static void
assert_frame(const char *frame, int pri, const char *msg)
{
	char want[512];
	regex_t re;

	(void)snprintf(want, sizeof(want), "^<%d>[A-Z][a-z]{2} [ 1-3][0-9] "
	    "[0-2][0-9]:[0-5][0-9]:[0-6][0-9] unit-ident\\[%ld\\]: %s$", pri,
	    (long)getpid(), msg);
	ck_assert_int_eq(regcomp(&re, want, REG_EXTENDED | REG_NOSUB), 0);
	ck_assert_msg(regexec(&re, frame, 0, NULL, 0) == 0, "frame \"%s\" "
	    "does not match /%s/", frame, want);
	regfree(&re);
}

START_TEST(test_datagram_frame)
{
	const char *msgs[] = { "an error", "key=value a=\"b c\"", "debug" };
	const int levels[] = { LOG_ERR, LOG_INFO, LOG_DEBUG };
	int fd = listen_at(SOCK_DGRAM);

	logsink_open(path, "unit-ident", LOG_MAIL, false);
	write_lines(msgs, levels, 3);
	assert_frame(recv_frame(fd, true), LOG_MAIL | LOG_ERR, "an error");
	assert_frame(recv_frame(fd, true), LOG_MAIL | LOG_INFO,
	    "key=value a=\"b c\"");
	assert_frame(recv_frame(fd, true), LOG_MAIL | LOG_DEBUG, "debug");
	ck_assert_str_eq(recv_frame(fd, false), "");
	(void)close(fd);
}
END_TEST

/* More lines than one sendmmsg() takes, read while they are sent. */
#define MANY	(LOGSINK_BATCH * 2 + 22)

static void *
read_many(void *arg)
{
	int fd = *(int *)arg, i;
	char want[32];
	const char *f;

	for (i = 0; i < MANY; i++) {
		f = recv_frame(fd, true);
		(void)snprintf(want, sizeof(want), ": line %d", i);
		if (strstr(f, want) == NULL ||
		    strcmp(f + strlen(f) - strlen(want), want) != 0)
			return (void *)(intptr_t)(i + 1);
	}
	return NULL;
}

START_TEST(test_datagram_batches_in_order)
{
	static char text[MANY][32];
	struct log_line lines[MANY];
	pthread_t tid;
	void *bad;
	int fd = listen_at(SOCK_DGRAM), i;

	for (i = 0; i < MANY; i++) {
		(void)snprintf(text[i], sizeof(text[i]), "line %d", i);
		lines[i].level = LOG_INFO;
		lines[i].msg = text[i];
		lines[i].len = strlen(text[i]);
	}
	logsink_open(path, "unit-ident", LOG_LOCAL3, false);
	ck_assert_int_eq(pthread_create(&tid, NULL, read_many, &fd), 0);
	logsink_write(lines, MANY);
	ck_assert_int_eq(pthread_join(tid, &bad), 0);
	ck_assert_msg(bad == NULL, "line %d missing or out of order",
	    (int)(intptr_t)bad - 1);
	ck_assert_str_eq(recv_frame(fd, false), "");
	(void)close(fd);
}
END_TEST

START_TEST(test_missing_socket_counts_lost_lines)
{
	const char *msgs[] = { "lost 1", "lost 2", "lost 3" };
	const char *back[] = { "back" };
	const int levels[] = { LOG_INFO, LOG_INFO, LOG_INFO };
	int fd;

	logsink_open(path, "unit-ident", LOG_MAIL, false);
	write_lines(msgs, levels, 3);		/* nobody listens */
	fd = listen_at(SOCK_DGRAM);
	/* Within the second after a failed connect, no new attempt. */
	write_lines(msgs, levels, 1);
	ck_assert_str_eq(recv_frame(fd, false), "");
	/* logsink_open() allows an attempt at once; 4 lines were lost. */
	logsink_open(path, "unit-ident", LOG_MAIL, false);
	write_lines(back, levels, 1);
	assert_frame(recv_frame(fd, true), LOG_MAIL | LOG_WARNING,
	    "4 log line\\(s\\) could not be sent to syslog: .* was "
	    "unavailable or stuck");
	assert_frame(recv_frame(fd, true), LOG_MAIL | LOG_INFO, "back");
	/* The count starts again from zero. */
	write_lines(back, levels, 1);
	assert_frame(recv_frame(fd, true), LOG_MAIL | LOG_INFO, "back");
	(void)close(fd);
}
END_TEST

START_TEST(test_restarted_daemon_is_reconnected)
{
	const char *one[] = { "one" }, *two[] = { "two" };
	const int levels[] = { LOG_NOTICE };
	int fd = listen_at(SOCK_DGRAM);

	logsink_open(path, "unit-ident", LOG_DAEMON, false);
	write_lines(one, levels, 1);
	assert_frame(recv_frame(fd, true), LOG_DAEMON | LOG_NOTICE, "one");
	(void)close(fd);
	ck_assert_int_eq(unlink(path), 0);
	fd = listen_at(SOCK_DGRAM);
	write_lines(two, levels, 1);
	assert_frame(recv_frame(fd, true), LOG_DAEMON | LOG_NOTICE, "two");
	(void)close(fd);
}
END_TEST

/* A daemon that reads nothing: lines are lost and counted, mail flows. */
START_TEST(test_stuck_daemon_costs_lines_not_time)
{
	static char text[30][16];
	struct log_line lines[30];
	struct timespec t0, t1;
	const char *back[] = { "back" };
	const int levels[] = { LOG_INFO };
	char want[96];
	int fd = listen_at(SOCK_DGRAM), i, got = 0;

	for (i = 0; i < 30; i++) {
		(void)snprintf(text[i], sizeof(text[i]), "stuck %d", i);
		lines[i].level = LOG_INFO;
		lines[i].msg = text[i];
		lines[i].len = strlen(text[i]);
	}
	logsink_open(path, "unit-ident", LOG_MAIL, false);
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	logsink_write(lines, 30);
	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	/* One 2 s send timeout, not one per line or per retry. */
	ck_assert_int_lt((t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000, 2900);
	while (recv_frame(fd, false)[0] != '\0')
		got++;
	ck_assert_int_gt(got, 0);	/* the kernel queue took some */
	ck_assert_int_lt(got, 30);
	logsink_open(path, "unit-ident", LOG_MAIL, false);
	write_lines(back, levels, 1);
	(void)snprintf(want, sizeof(want), "%d log line\\(s\\) could not be "
	    "sent to syslog: .*", 30 - got);
	assert_frame(recv_frame(fd, true), LOG_MAIL | LOG_WARNING, want);
	assert_frame(recv_frame(fd, true), LOG_MAIL | LOG_INFO, "back");
	(void)close(fd);
}
END_TEST

START_TEST(test_stream_socket_nul_frames)
{
	const char *msgs[] = { "first", "second" };
	const int levels[] = { LOG_INFO, LOG_WARNING };
	char buf[1024], *nul;
	size_t got = 0;
	ssize_t n;
	int lfd = listen_at(SOCK_STREAM), fd;

	logsink_open(path, "unit-ident", LOG_MAIL, false);
	write_lines(msgs, levels, 2);
	fd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(fd, 0);
	while (memchr(buf, '\0', got) == NULL ||
	    memchr((char *)memchr(buf, '\0', got) + 1, '\0', got -
	    (size_t)((char *)memchr(buf, '\0', got) + 1 - buf)) == NULL) {
		n = read(fd, buf + got, sizeof(buf) - got);
		ck_assert_int_gt(n, 0);
		got += (size_t)n;
	}
	assert_frame(buf, LOG_MAIL | LOG_INFO, "first");
	nul = memchr(buf, '\0', got);
	assert_frame(nul + 1, LOG_MAIL | LOG_WARNING, "second");
	ck_assert_uint_eq(got, strlen(buf) + strlen(nul + 1) + 2);
	(void)close(fd);
	(void)close(lfd);
}
END_TEST

/* stderr as a pipe; returns the read end. */
static int
capture_stderr(void)
{
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	saved_stderr = dup(STDERR_FILENO);
	ck_assert_int_eq(dup2(p[1], STDERR_FILENO), STDERR_FILENO);
	(void)close(p[1]);
	return p[0];
}

static size_t
read_all(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	(void)close(STDERR_FILENO);		/* the only writer */
	while (got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	return got;
}

START_TEST(test_stderr_copy)
{
	static char big[LOGSINK_BATCH * 70], out[LOGSINK_BATCH * 80];
	const char *msgs[] = { "a", big, "c" };
	const int levels[] = { LOG_INFO, LOG_INFO, LOG_DEBUG };
	int rfd = capture_stderr();

	memset(big, 'x', sizeof(big) - 1);
	logsink_open("", "unit-ident", LOG_MAIL, true);
	write_lines(msgs, levels, 3);
	ck_assert_uint_eq(read_all(rfd, out, sizeof(out)),
	    3 * strlen("unit-ident: \n") + 2 + strlen(big));
	ck_assert(strncmp(out, "unit-ident: a\nunit-ident: xxx", 29) == 0);
	ck_assert(strcmp(out + strlen(out) - 16, "x\nunit-ident: c\n") == 0);
}
END_TEST

/* The writer queue: every line from every thread, whole, none lost. */
#define THREADS		4
#define PER_THREAD	250	/* all of it fits in a pipe */

static void *
log_many(void *arg)
{
	int t = (int)(intptr_t)arg, i;

	for (i = 0; i < PER_THREAD; i++)
		log_info("thread=%d line=%d", t, i);
	return NULL;
}

START_TEST(test_writer_queue_keeps_every_line)
{
	static char out[THREADS * PER_THREAD * 48];
	pthread_t tid[THREADS];
	int rfd = capture_stderr(), t, i, seen[THREADS], n = 0;
	char *line, *save = NULL, last[64];

	log_open("unit-ident", LOG_MAIL, true);
	logsink_open("", "unit-ident", LOG_MAIL, true);	/* no syslog */
	ck_assert_int_eq(log_start_writer(), 0);
	for (t = 0; t < THREADS; t++)
		ck_assert_int_eq(pthread_create(&tid[t], NULL, log_many,
		    (void *)(intptr_t)t), 0);
	for (t = 0; t < THREADS; t++) {
		ck_assert_int_eq(pthread_join(tid[t], NULL), 0);
		seen[t] = 0;
	}
	log_stop_writer();
	log_info("after the writer: thread=0 line=%d", PER_THREAD);
	(void)read_all(rfd, out, sizeof(out));
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save), n++) {
		if (n == THREADS * PER_THREAD) {
			(void)snprintf(last, sizeof(last), "unit-ident: after "
			    "the writer: thread=0 line=%d", PER_THREAD);
			ck_assert_str_eq(line, last);
			continue;
		}
		ck_assert_int_eq(sscanf(line, "unit-ident: thread=%d line=%d",
		    &t, &i), 2);
		ck_assert_int_eq(i, seen[t]);	/* in order per thread */
		seen[t]++;
	}
	ck_assert_int_eq(n, THREADS * PER_THREAD + 1);
}
END_TEST

static Suite *
logsink_suite(void)
{
	Suite *s = suite_create("logsink");
	TCase *tc = tcase_create("logsink");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_datagram_frame);
	tcase_add_test(tc, test_datagram_batches_in_order);
	tcase_add_test(tc, test_missing_socket_counts_lost_lines);
	tcase_add_test(tc, test_restarted_daemon_is_reconnected);
	tcase_add_test(tc, test_stuck_daemon_costs_lines_not_time);
	tcase_add_test(tc, test_stream_socket_nul_frames);
	tcase_add_test(tc, test_stderr_copy);
	tcase_add_test(tc, test_writer_queue_keeps_every_line);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(logsink_suite());
}
