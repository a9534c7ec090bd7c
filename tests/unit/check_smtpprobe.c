/*
 * check_smtpprobe.c - unit tests of the SMTP reply parser (smtp_reply.c),
 * of the result structure of smtp_probe() against a loopback plaintext
 * server in a thread (banner 421, no STARTTLS, silence until the
 * deadline, connection refused), and of the growing -C report
 * (probe_print.c: no line is dropped, whatever the count).
 * The TLS cases run against tests/check/smtpd.py (tests/check/run.sh).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <check.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/smtp_probe.h"
#include "net/smtp_reply.h"
#include "probe/probe_print.h"
#include "unit.h"

static enum smtp_reply_state
parse(struct smtp_reply *r, const char *s)
{
	return smtp_reply_parse(r, s, strlen(s));
}

START_TEST(reply_single_and_multi)
{
	struct smtp_reply r;

	ck_assert_int_eq(parse(&r, "220 mx.example ESMTP\r\n"),
	    SMTP_REPLY_DONE);
	ck_assert_int_eq(r.code, 220);
	ck_assert_str_eq(r.text, "mx.example ESMTP");
	ck_assert_int_eq(parse(&r, "250-mx.example\r\n250-PIPELINING\r\n"
	    "250-starttls\r\n250 REQUIRETLS\r\n"), SMTP_REPLY_DONE);
	ck_assert_uint_eq(r.nlines, 4);
	ck_assert(r.starttls);
	ck_assert(r.requiretls);
	ck_assert_str_eq(r.ext, "PIPELINING starttls REQUIRETLS");
	ck_assert_int_eq(parse(&r, "250-mx\n250 8BITMIME\n"), SMTP_REPLY_DONE);
	ck_assert(!r.starttls);
	ck_assert(!r.requiretls);
	/* a bare code is a last line; a prefix of a keyword is not it */
	ck_assert_int_eq(parse(&r, "250-mx\r\n250-STARTTLSX\r\n250\r\n"),
	    SMTP_REPLY_DONE);
	ck_assert(!r.starttls);
	ck_assert_int_eq(parse(&r, "250-mx\r\n"), SMTP_REPLY_MORE);
}
END_TEST

START_TEST(reply_malformed)
{
	static const char *const bad[] = {
		"", "22\r\n", "2x0 hi\r\n", "220hi\r\n", "620 six\r\n",
		"020 zero\r\n", "250-a\r\n251 b\r\n", "abc\r\n", "220\t\r\n"
	};
	struct smtp_reply r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		smtp_reply_init(&r);
		ck_assert_msg(smtp_reply_parse(&r, bad[i], strlen(bad[i])) ==
		    SMTP_REPLY_BAD || bad[i][0] == '\0', "accepted \"%s\"",
		    bad[i]);
	}
	ck_assert_int_eq(parse(&r, "250-a\r\n251 b\r\n"), SMTP_REPLY_BAD);
	ck_assert_str_eq(r.err, "reply lines with different codes");
}
END_TEST

/* n lines of an EHLO-like reply, the last one final. */
static char *
many_lines(size_t n, size_t *len)
{
	char *buf = malloc(n * 16 + 1);
	size_t i, o = 0;

	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < n; i++)
		o += (size_t)sprintf(buf + o, "250%cX%03zu\r\n", i + 1 < n ?
		    '-' : ' ', i);
	*len = o;
	return buf;
}

START_TEST(reply_bounds)
{
	struct smtp_reply r;
	char *buf;
	size_t len;

	buf = many_lines(101, &len);
	ck_assert_int_eq(smtp_reply_parse(&r, buf, len), SMTP_REPLY_BAD);
	ck_assert_str_eq(r.err, "reply longer than 100 lines");
	free(buf);
	buf = many_lines(100, &len);
	ck_assert_int_eq(smtp_reply_parse(&r, buf, len), SMTP_REPLY_DONE);
	ck_assert_uint_eq(r.nlines, 100);
	free(buf);
	/* a line of 998 bytes + CR LF is the limit */
	buf = malloc(2000);
	ck_assert_ptr_nonnull(buf);
	memset(buf, 'a', 2000);
	memcpy(buf, "220 ", 4);
	smtp_reply_init(&r);
	ck_assert_int_eq(smtp_reply_feed(&r, buf, 998), SMTP_REPLY_DONE);
	smtp_reply_init(&r);
	ck_assert_int_eq(smtp_reply_feed(&r, buf, 999), SMTP_REPLY_BAD);
	ck_assert_str_eq(r.err, "reply line longer than 1000 bytes");
	free(buf);
	/* NUL bytes and long text are kept bounded */
	ck_assert_int_eq(smtp_reply_parse(&r, "220 a\0b\r\n", 9),
	    SMTP_REPLY_DONE);
	ck_assert_str_eq(r.text, "a");
}
END_TEST

/* --- smtp_probe() against a plaintext loopback server ------------------ */

struct fake {
	int		 lfd;
	const char	*script;	/* sent after accept, then wait */
};

static void *
fake_server(void *arg)
{
	struct fake *f = arg;
	char buf[512];
	int fd;

	if ((fd = accept(f->lfd, NULL, NULL)) == -1)
		return NULL;
	if (f->script != NULL) {
		(void)write(fd, f->script, strlen(f->script));
		/* answer EHLO with the rest of the script's second part */
	}
	while (read(fd, buf, sizeof(buf)) > 0) {
		if (strncmp(buf, "EHLO", 4) == 0)
			(void)write(fd, "250-mx\r\n250 8BITMIME\r\n", 22);
		else if (strncmp(buf, "QUIT", 4) == 0)
			break;
	}
	(void)close(fd);
	return NULL;
}

static long long
mono_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
run_probe(const char *script, bool listening, long long timeout_ms,
    struct smtp_probe_result *res)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)&ss;
	struct smtp_probe_request req;
	struct fake f = { -1, script };
	socklen_t sl = sizeof(*sin);
	pthread_t tid;

	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f.lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ne(f.lfd, -1);
	ck_assert_int_eq(bind(f.lfd, (struct sockaddr *)sin, sl), 0);
	ck_assert_int_eq(getsockname(f.lfd, (struct sockaddr *)sin, &sl), 0);
	if (listening) {
		ck_assert_int_eq(listen(f.lfd, 1), 0);
		ck_assert_int_eq(pthread_create(&tid, NULL, fake_server, &f), 0);
	} else
		(void)close(f.lfd);
	memset(&req, 0, sizeof(req));
	req.addr = &ss;
	req.mx = "mx.example";
	req.helo = "client.example";
	req.deadline_ms = mono_ms() + timeout_ms;
	smtp_probe(&req, res);
	if (listening) {
		(void)pthread_join(tid, NULL);
		(void)close(f.lfd);
	}
}

START_TEST(probe_banner_421)
{
	struct smtp_probe_result res;

	run_probe("421 4.3.2 busy\r\n", true, 5000, &res);
	ck_assert_int_eq(res.error, SMTP_ERR_REPLY);
	ck_assert_int_eq(res.stage, SMTP_STAGE_BANNER);
	ck_assert_int_eq(res.banner_code, 421);
	ck_assert_str_eq(res.err, "banner 421 4.3.2 busy");
	ck_assert(!res.tls);
	smtp_probe_result_free(&res);
}
END_TEST

START_TEST(probe_no_starttls)
{
	struct smtp_probe_result res;

	run_probe("220 mx ESMTP\r\n", true, 5000, &res);
	ck_assert_int_eq(res.error, SMTP_ERR_NO_STARTTLS);
	ck_assert_int_eq(res.stage, SMTP_STAGE_EHLO);
	ck_assert_int_eq(res.banner_code, 220);
	ck_assert_str_eq(res.ext, "8BITMIME");
	ck_assert(!res.starttls);
	smtp_probe_result_free(&res);
}
END_TEST

START_TEST(probe_silent_times_out)
{
	struct smtp_probe_result res;
	long long t0 = mono_ms();

	/* the server says nothing; QUIT after the deadline ends it */
	run_probe(NULL, true, 300, &res);
	ck_assert_int_eq(res.error, SMTP_ERR_TIMEOUT);
	ck_assert_str_eq(res.err, "timed out waiting for the banner");
	ck_assert_int_lt(mono_ms() - t0, 2000);
	smtp_probe_result_free(&res);
}
END_TEST

START_TEST(probe_refused)
{
	struct smtp_probe_result res;

	run_probe(NULL, false, 2000, &res);
	ck_assert_int_eq(res.error, SMTP_ERR_CONNECT);
	ck_assert_int_eq(res.stage, SMTP_STAGE_CONNECT);
	ck_assert_ptr_nonnull(strstr(res.err, "Connection refused"));
	smtp_probe_result_free(&res);
}
END_TEST

/* --- the report grows --------------------------------------------------- */

static void
report_add(struct probe_report *rep, enum probe_status st, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	probe_report_vadd(rep, st, "starttls", fmt, ap);
	va_end(ap);
}

START_TEST(report_keeps_every_line)
{
	struct probe_report rep;
	char *text = NULL;
	size_t len = 0, i;
	FILE *f;

	memset(&rep, 0, sizeof(rep));
	(void)snprintf(rep.domain, sizeof(rep.domain), "example.org");
	for (i = 0; i < 40; i++)
		report_add(&rep, i == 39 ? PROBE_FAIL : PROBE_OK, "mx%zu: %s",
		    i, "line");
	ck_assert_uint_eq(rep.nlines, 40);
	ck_assert_uint_eq(rep.lost, 0);
	ck_assert_int_eq(probe_report_worst(&rep), PROBE_FAIL);
	f = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(f);
	probe_print_text(f, &rep, 11);
	(void)fclose(f);
	ck_assert_ptr_nonnull(strstr(text, "ok   example.org  starttls mx0: "
	    "line\n"));
	ck_assert_ptr_nonnull(strstr(text, "fail example.org  starttls mx39: "
	    "line\n"));
	free(text);
	probe_report_free(&rep);
	ck_assert_ptr_null(rep.lines);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("smtpprobe");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, reply_single_and_multi);
	tcase_add_test(tc, reply_malformed);
	tcase_add_test(tc, reply_bounds);
	tcase_add_test(tc, probe_banner_421);
	tcase_add_test(tc, probe_no_starttls);
	tcase_add_test(tc, probe_silent_times_out);
	tcase_add_test(tc, probe_refused);
	tcase_add_test(tc, report_keeps_every_line);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(suite());
}
