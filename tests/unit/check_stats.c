/*
 * check_stats.c - unit tests of the counters and the Prometheus file
 * (stats.c): exact counts under concurrent increments, the SPEC section 6
 * metric names with HELP/TYPE lines, a well-formed exposition, and the
 * atomic write-to-temp-and-rename of the file.
 *
 * The counters are process-wide and never reset, so every test works on
 * differences between two scrapes.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/engine.h"
#include "daemon/stats.h"
#include "unit.h"

#define NTHREADS	8
#define NINCR		20000

/* stats_format() into a malloc'ed string. */
static char *
scrape(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(fp);
	stats_format(fp);
	ck_assert_int_eq(fclose(fp), 0);
	return text;
}

/* The value of one sample ("name{labels}" exactly), -1 when absent. */
static long long
sample(const char *text, const char *series)
{
	size_t n = strlen(series);
	const char *p = text;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return -1;
}

static long long
delta(const char *before, const char *after, const char *series)
{
	long long a = sample(after, series), b = sample(before, series);

	/* A series printed only once it is non-zero counts from 0. */
	return (a < 0 ? 0 : a) - (b < 0 ? 0 : b);
}

/* --- concurrency ---------------------------------------------------------- */

static void *
worker(void *arg)
{
	int i, id = *(const int *)arg;

	for (i = 0; i < NINCR; i++) {
		stats_count_transaction(true, "TLSv1.3");
		stats_count_transaction(false, NULL);
		stats_count_action(ACTION_REJECT, REASON_PLAINTEXT);
		stats_count_action(ACTION_ACCEPT, REASON_NONE);
		stats_count_requiretls();
		stats_count_reload((i + id) % 2 == 0);
	}
	return NULL;
}

START_TEST(concurrent_counts_are_exact)
{
	pthread_t th[NTHREADS];
	int ids[NTHREADS], i;
	char *before, *after;
	const long long n = (long long)NTHREADS * NINCR;

	before = scrape();
	for (i = 0; i < NTHREADS; i++) {
		ids[i] = i;
		ck_assert_int_eq(pthread_create(&th[i], NULL, worker, &ids[i]),
		    0);
	}
	for (i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
	after = scrape();
	ck_assert_int_eq(delta(before, after,
	    "mtasts_milter_transactions_total{tls=\"yes\"}"), n);
	ck_assert_int_eq(delta(before, after,
	    "mtasts_milter_transactions_total{tls=\"no\"}"), n);
	ck_assert_int_eq(delta(before, after,
	    "mtasts_milter_tls_version_total{version=\"TLSv1.3\"}"), n);
	ck_assert_int_eq(delta(before, after,
	    "mtasts_milter_actions_total{action=\"reject\",reason="
	    "\"plaintext\"}"), n);
	ck_assert_int_eq(delta(before, after,
	    "mtasts_milter_actions_total{action=\"accept\",reason="
	    "\"none\"}"), n);
	ck_assert_int_eq(delta(before, after,
	    "mtasts_milter_requiretls_total"), n);
	ck_assert_int_eq(delta(before, after,
	    "mtasts_milter_config_reloads_total{result=\"ok\"}"), n / 2);
	ck_assert_int_eq(delta(before, after,
	    "mtasts_milter_config_reloads_total{result=\"error\"}"), n / 2);
	free(before);
	free(after);
}
END_TEST

/* --- what is counted where ------------------------------------------------ */

START_TEST(tls_versions)
{
	char *before = scrape(), *after;

	stats_count_transaction(true, "SSLv3");
	stats_count_transaction(true, "TLSv1");
	stats_count_transaction(true, "TLSv1.1");
	stats_count_transaction(true, "TLSv1.2");
	stats_count_transaction(true, "TLSv1.2");
	stats_count_transaction(true, "TLSv1.3");
	stats_count_transaction(true, "TLSv1.4");
	stats_count_transaction(true, "garbage\"}\n");
	stats_count_transaction(true, NULL);
	stats_count_transaction(false, "TLSv1.2");	/* no version */
	after = scrape();
	ck_assert_int_eq(delta(before, after,
	    "mtasts_milter_transactions_total{tls=\"yes\"}"), 9);
	ck_assert_int_eq(delta(before, after,
	    "mtasts_milter_transactions_total{tls=\"no\"}"), 1);
	ck_assert_int_eq(delta(before, after,
	    "mtasts_milter_tls_version_total{version=\"SSLv3\"}"), 1);
	ck_assert_int_eq(delta(before, after,
	    "mtasts_milter_tls_version_total{version=\"TLSv1\"}"), 1);
	ck_assert_int_eq(delta(before, after,
	    "mtasts_milter_tls_version_total{version=\"TLSv1.1\"}"), 1);
	ck_assert_int_eq(delta(before, after,
	    "mtasts_milter_tls_version_total{version=\"TLSv1.2\"}"), 2);
	ck_assert_int_eq(delta(before, after,
	    "mtasts_milter_tls_version_total{version=\"TLSv1.3\"}"), 1);
	ck_assert_int_eq(delta(before, after,
	    "mtasts_milter_tls_version_total{version=\"other\"}"), 3);
	/* A hostile version string never reaches the exposition. */
	ck_assert_ptr_null(strstr(after, "garbage"));
	free(before);
	free(after);
}
END_TEST

START_TEST(actions_and_reasons)
{
	static const struct {
		enum action	 a;
		enum reason	 r;
		const char	*series;
	} cases[] = {
		{ ACTION_ACCEPT, REASON_NONE, "{action=\"accept\",reason=\"none\"}" },
		{ ACTION_ACCEPT, REASON_PLAINTEXT,
		    "{action=\"accept\",reason=\"plaintext\"}" },
		{ ACTION_REJECT, REASON_PLAINTEXT,
		    "{action=\"reject\",reason=\"plaintext\"}" },
		{ ACTION_REJECT, REASON_WEAK_TLS,
		    "{action=\"reject\",reason=\"weak-tls\"}" },
		{ ACTION_REJECT, REASON_REQUIRETLS_PLAINTEXT,
		    "{action=\"reject\",reason=\"requiretls-plaintext\"}" },
		{ ACTION_WOULD_REJECT, REASON_PLAINTEXT,
		    "{action=\"would-reject\",reason=\"plaintext\"}" },
		{ ACTION_WOULD_REJECT, REASON_WEAK_TLS,
		    "{action=\"would-reject\",reason=\"weak-tls\"}" },
		{ ACTION_EXEMPT, REASON_NETWORK,
		    "{action=\"exempt\",reason=\"network\"}" },
		{ ACTION_EXEMPT, REASON_AUTH, "{action=\"exempt\",reason=\"auth\"}" },
		{ ACTION_EXEMPT, REASON_RECIPIENT,
		    "{action=\"exempt\",reason=\"recipient\"}" },
	};
	char *before = scrape(), *after, series[256];
	size_t i, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (j = 0; j <= i; j++)
			stats_count_action(cases[i].a, cases[i].r);
	/* Out of range: ignored, not counted anywhere, no crash. */
	stats_count_action(ACTION_PER_RCPT, REASON_PLAINTEXT);
	stats_count_action((enum action)99, REASON_NONE);
	stats_count_action(ACTION_REJECT, (enum reason)99);
	after = scrape();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		(void)snprintf(series, sizeof(series),
		    "mtasts_milter_actions_total%s", cases[i].series);
		ck_assert_msg(delta(before, after, series) == (long long)i + 1,
		    "%s: %lld, want %zu", series, delta(before, after, series),
		    i + 1);
	}
	ck_assert_ptr_null(strstr(after, "per-rcpt"));
	ck_assert_ptr_null(strstr(after, "unknown"));
	free(before);
	free(after);
}
END_TEST

/* --- the exposition format ------------------------------------------------ */

static const struct {
	const char	*name;
	const char	*type;
} metrics[] = {
	{ "mtasts_milter_transactions_total", "counter" },
	{ "mtasts_milter_tls_version_total", "counter" },
	{ "mtasts_milter_actions_total", "counter" },
	{ "mtasts_milter_requiretls_total", "counter" },
	{ "mtasts_milter_config_reloads_total", "counter" },
	{ "mtasts_milter_start_time_seconds", "gauge" },
};

START_TEST(metric_names_help_type)
{
	char *text, line[256];
	const char *help, *type, *first;
	size_t i;

	stats_count_action(ACTION_REJECT, REASON_PLAINTEXT);
	text = scrape();
	for (i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++) {
		(void)snprintf(line, sizeof(line), "# HELP %s ",
		    metrics[i].name);
		help = strstr(text, line);
		ck_assert_msg(help != NULL, "no HELP for %s", metrics[i].name);
		ck_assert_msg(help == text || help[-1] == '\n', "%s", line);
		(void)snprintf(line, sizeof(line), "\n# TYPE %s %s\n",
		    metrics[i].name, metrics[i].type);
		type = strstr(text, line);
		ck_assert_msg(type != NULL, "no TYPE %s for %s",
		    metrics[i].type, metrics[i].name);
		ck_assert_uint_eq(unit_count(text, line), 1);
		/* HELP and TYPE come before the first sample. */
		(void)snprintf(line, sizeof(line), "\n%s", metrics[i].name);
		first = strstr(text, line);
		ck_assert_msg(first != NULL, "no sample of %s",
		    metrics[i].name);
		ck_assert(first > type);
		ck_assert(type > help);
	}
	ck_assert_int_ge(sample(text,
	    "mtasts_milter_config_reloads_total{result=\"ok\"}"), 0);
	ck_assert_int_ge(sample(text,
	    "mtasts_milter_config_reloads_total{result=\"error\"}"), 0);
	ck_assert_int_ge(sample(text, "mtasts_milter_requiretls_total"), 0);
	free(text);
}
END_TEST

START_TEST(exposition_is_well_formed)
{
	regex_t sample_re, comment_re;
	char *text, *line, *save = NULL;
	int samples = 0;

	ck_assert_int_eq(regcomp(&sample_re, "^mtasts_milter_[a-z_]+"
	    "(\\{[a-z_]+=\"[A-Za-z0-9.-]*\"(,[a-z_]+=\"[A-Za-z0-9.-]*\")*\\})?"
	    " [0-9]+$", REG_EXTENDED | REG_NOSUB), 0);
	ck_assert_int_eq(regcomp(&comment_re, "^# (HELP|TYPE) "
	    "mtasts_milter_[a-z_]+ .+$", REG_EXTENDED | REG_NOSUB), 0);
	stats_count_transaction(true, "TLSv1.2");
	stats_count_action(ACTION_EXEMPT, REASON_AUTH);
	text = scrape();
	ck_assert_uint_gt(strlen(text), 0);
	ck_assert_int_eq(text[strlen(text) - 1], '\n');
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			ck_assert_msg(regexec(&comment_re, line, 0, NULL, 0) ==
			    0, "bad comment line \"%s\"", line);
		else {
			ck_assert_msg(regexec(&sample_re, line, 0, NULL, 0) ==
			    0, "bad sample line \"%s\"", line);
			samples++;
		}
	}
	/* tls yes/no, 6 versions, >= 1 action, requiretls, 2 reloads, start */
	ck_assert_int_ge(samples, 2 + 6 + 1 + 1 + 2 + 1);
	regfree(&sample_re);
	regfree(&comment_re);
	free(text);
}
END_TEST

START_TEST(start_time)
{
	time_t t0 = time(NULL), t1;
	char *text;
	long long v;

	stats_init();
	t1 = time(NULL);
	text = scrape();
	v = sample(text, "mtasts_milter_start_time_seconds");
	ck_assert_int_ge(v, (long long)t0);
	ck_assert_int_le(v, (long long)t1);
	free(text);
}
END_TEST

/* --- the file ------------------------------------------------------------- */

START_TEST(write_file_atomic)
{
	char dir[4096], path[4200], tmp[4300];
	char *content, *now;
	struct stat st;

	unit_tmpdir(dir, sizeof(dir));
	(void)snprintf(path, sizeof(path), "%s/mtasts.prom", dir);
	(void)snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	stats_init();
	stats_count_requiretls();
	ck_assert_int_eq(stats_write_file(path), 0);
	ck_assert_int_eq(access(tmp, F_OK), -1);	/* no .tmp left */
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0644);
	content = unit_read_file(path, NULL);
	now = scrape();
	ck_assert_str_eq(content, now);
	ck_assert_int_ge(sample(content, "mtasts_milter_requiretls_total"),
	    1);
	free(content);
	free(now);

	/* Rewriting replaces the file by rename: a new inode each time, so
	 * a reader holding the old one never sees a partial file. */
	{
		struct stat st2;

		stats_count_requiretls();
		ck_assert_int_eq(stats_write_file(path), 0);
		ck_assert_int_eq(stat(path, &st2), 0);
		ck_assert(st2.st_ino != st.st_ino);
		ck_assert_int_eq(access(tmp, F_OK), -1);
		content = unit_read_file(path, NULL);
		now = scrape();
		ck_assert_str_eq(content, now);
		free(content);
		free(now);
	}
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(write_file_failure_keeps_old_file)
{
	char dir[4096], path[4200], tmp[4300], bad[4300];
	char *before, *after;

	unit_tmpdir(dir, sizeof(dir));
	(void)snprintf(path, sizeof(path), "%s/mtasts.prom", dir);
	(void)snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ck_assert_int_eq(stats_write_file(path), 0);
	before = unit_read_file(path, NULL);

	/* The temporary name is a symlink: O_NOFOLLOW refuses it. */
	(void)snprintf(bad, sizeof(bad), "%s/elsewhere", dir);
	ck_assert_int_eq(symlink(bad, tmp), 0);
	stats_count_requiretls();
	errno = 0;
	ck_assert_int_eq(stats_write_file(path), -1);
	ck_assert_int_ne(errno, 0);
	ck_assert_int_eq(access(bad, F_OK), -1);	/* not followed */
	after = unit_read_file(path, NULL);
	ck_assert_str_eq(after, before);		/* old file intact */
	free(after);
	ck_assert_int_eq(unlink(tmp), 0);

	/* A directory that does not exist. */
	(void)snprintf(bad, sizeof(bad), "%s/no-such-dir/x.prom", dir);
	errno = 0;
	ck_assert_int_eq(stats_write_file(bad), -1);
	ck_assert_int_eq(errno, ENOENT);

	/* A path too long for PATH.tmp. */
	{
		char *longp = malloc(5000);

		ck_assert_ptr_nonnull(longp);
		memset(longp, 'x', 4999);
		longp[0] = '/';
		longp[4999] = '\0';
		errno = 0;
		ck_assert_int_eq(stats_write_file(longp), -1);
		ck_assert_int_eq(errno, ENAMETOOLONG);
		free(longp);
	}
	free(before);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static Suite *
stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc;

	tc = tcase_create("counters");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, concurrent_counts_are_exact);
	tcase_add_test(tc, tls_versions);
	tcase_add_test(tc, actions_and_reasons);
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_test(tc, metric_names_help_type);
	tcase_add_test(tc, exposition_is_well_formed);
	tcase_add_test(tc, start_time);
	suite_add_tcase(s, tc);

	tc = tcase_create("file");
	tcase_add_test(tc, write_file_atomic);
	tcase_add_test(tc, write_file_failure_keeps_old_file);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	stats_init();
	return unit_run(stats_suite());
}
