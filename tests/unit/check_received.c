/*
 * check_received.c - unit tests of the REQUIRETLS Received field builder
 * (received.c): the exact text for fixed dates and offsets, the
 * "(requiretls) id <id>" adjacency, folding, filtering of hostile host
 * names and queue ids, and buffer limits.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/received.h"
#include "unit.h"

static char buf[RECEIVED_MAX];

/*
 * A struct tm holding the given wall-clock time of a zone offset seconds
 * east of UTC (tm_wday and tm_yday computed by timegm/gmtime_r).
 */
static struct tm
tm_at(int year, int mon, int mday, int hour, int min, int sec, long offset)
{
	struct tm tm, out;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = mday;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	t = timegm(&tm);
	ck_assert_ptr_nonnull(gmtime_r(&t, &out));
	out.tm_gmtoff = offset;
	return out;
}

static const char *
build(const char *host, const char *id, const struct tm *tm)
{
	int n = received_build(buf, sizeof(buf), host, id, tm);

	ck_assert_msg(n >= 0, "received_build failed");
	ck_assert_uint_eq((size_t)n, strlen(buf));
	return buf;
}

/* Undo folding: "\n\t" becomes one space. */
static const char *
unfold(const char *s)
{
	static char flat[RECEIVED_MAX];
	size_t o = 0;

	for (; *s != '\0' && o + 1 < sizeof(flat); s++) {
		if (s[0] == '\n' && s[1] == '\t') {
			flat[o++] = ' ';
			s++;
		} else
			flat[o++] = *s;
	}
	flat[o] = '\0';
	return flat;
}

/* Longest line of "Received: " + value, a TAB counting as one character. */
static size_t
longest_line(const char *value)
{
	size_t longest, cur = strlen("Received: ");

	for (longest = 0; *value != '\0'; value++) {
		if (*value == '\n') {
			if (cur > longest)
				longest = cur;
			cur = 0;
		} else
			cur++;
	}
	return cur > longest ? cur : longest;
}

static void
assert_folds_ok(const char *v)
{
	const char *p;

	ck_assert_ptr_null(strchr(v, '\r'));
	for (p = v; (p = strchr(p, '\n')) != NULL; p++)
		ck_assert_msg(p[1] == '\t', "LF not followed by TAB in \"%s\"",
		    v);
	ck_assert_msg(v[strlen(v) - 1] != '\n' && v[strlen(v) - 1] != '\t',
	    "value ends in whitespace");
}

/* --- exact values --------------------------------------------------------- */

START_TEST(exact_utc)
{
	struct tm tm = tm_at(2026, 1, 2, 3, 4, 5, 0);

	ck_assert_str_eq(build("mx.example.org", "4XyZ1", &tm),
	    "by mx.example.org (mtasts-milter) with ESMTPS (requiretls) "
	    "id 4XyZ1;\n\tFri, 2 Jan 2026 03:04:05 +0000");
}
END_TEST

START_TEST(exact_from_epoch)
{
	/* 2025-12-31 23:59:59 UTC, built with gmtime_r from the epoch. */
	time_t t = 1767225599;
	struct tm tm;

	ck_assert_ptr_nonnull(gmtime_r(&t, &tm));
	tm.tm_gmtoff = 0;
	ck_assert_str_eq(unfold(build("mx", "A1", &tm)),
	    "by mx (mtasts-milter) with ESMTPS (requiretls) id A1; "
	    "Wed, 31 Dec 2025 23:59:59 +0000");
}
END_TEST

START_TEST(exact_positive_offset)
{
	struct tm tm = tm_at(2026, 1, 2, 3, 4, 5, 90 * 60);

	ck_assert_str_eq(unfold(build("mx.example.org", "4XyZ1", &tm)),
	    "by mx.example.org (mtasts-milter) with ESMTPS (requiretls) "
	    "id 4XyZ1; Fri, 2 Jan 2026 03:04:05 +0130");
}
END_TEST

START_TEST(exact_negative_offset)
{
	struct tm tm = tm_at(2024, 2, 29, 23, 0, 59, -5 * 3600);

	ck_assert_str_eq(unfold(build("mx.example.org", "4XyZ1", &tm)),
	    "by mx.example.org (mtasts-milter) with ESMTPS (requiretls) "
	    "id 4XyZ1; Thu, 29 Feb 2024 23:00:59 -0500");
	tm = tm_at(2024, 7, 14, 12, 30, 0, -(9 * 3600 + 30 * 60));
	ck_assert_str_eq(unfold(build("h", "i", &tm)),
	    "by h (mtasts-milter) with ESMTPS (requiretls) id i; "
	    "Sun, 14 Jul 2024 12:30:00 -0930");
	tm = tm_at(2024, 7, 14, 12, 30, 0, 14 * 3600);
	ck_assert_str_eq(strrchr(unfold(build("h", "i", &tm)), ' '),
	    " +1400");
}
END_TEST

START_TEST(every_month_and_weekday)
{
	static const char *months[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	/* 2026-MM-01 weekdays, checked against a calendar. */
	static const char *wday1[] = { "Thu", "Sun", "Sun", "Wed", "Fri",
	    "Mon", "Wed", "Sat", "Tue", "Thu", "Sun", "Tue" };
	char want[64];
	struct tm tm;
	int m;

	for (m = 1; m <= 12; m++) {
		tm = tm_at(2026, m, 1, 0, 0, 0, 0);
		(void)snprintf(want, sizeof(want), "; %s, 1 %s 2026 "
		    "00:00:00 +0000", wday1[m - 1], months[m - 1]);
		ck_assert_str_eq(strchr(unfold(build("h", "i", &tm)), ';'),
		    want);
	}
}
END_TEST

START_TEST(requiretls_adjacent_to_id)
{
	struct tm tm = tm_at(2026, 1, 2, 3, 4, 5, 0);

	/* "(requiretls)" is the comment just before " id ", on one line. */
	ck_assert_ptr_nonnull(strstr(build("mx.example.org", "Q1", &tm),
	    "with ESMTPS (requiretls) id Q1;"));
	ck_assert_uint_eq(unit_count(buf, "(requiretls)"), 1);
	ck_assert(strncmp(buf, "by mx.example.org (mtasts-milter)", 33) == 0);
}
END_TEST

START_TEST(empty_or_missing_id_is_noqueue)
{
	struct tm tm = tm_at(2026, 1, 2, 3, 4, 5, 0);

	ck_assert_ptr_nonnull(strstr(build("mx", "", &tm),
	    "(requiretls) id NOQUEUE;"));
	ck_assert_ptr_nonnull(strstr(build("mx", NULL, &tm),
	    "(requiretls) id NOQUEUE;"));
	/* An id made only of forbidden bytes is empty too. */
	ck_assert_ptr_nonnull(strstr(build("mx", "\r\n;()", &tm),
	    "(requiretls) id NOQUEUE;"));
}
END_TEST

START_TEST(missing_host_is_localhost)
{
	struct tm tm = tm_at(2026, 1, 2, 3, 4, 5, 0);

	ck_assert(strncmp(build(NULL, "Q", &tm), "by localhost (", 14) == 0);
	ck_assert(strncmp(build("", "Q", &tm), "by localhost (", 14) == 0);
	ck_assert(strncmp(build(";;", "Q", &tm), "by localhost (", 14) == 0);
}
END_TEST

/* --- hostile input -------------------------------------------------------- */

START_TEST(hostile_host_and_id)
{
	struct tm tm = tm_at(2026, 1, 2, 3, 4, 5, 0);
	const char *v;

	v = build("mx.example.org\r\nX-Evil: 1; (comment) by evil",
	    "4XyZ1\r\n; (x)\tid_2.a-b", &tm);
	ck_assert_str_eq(unfold(v), "by mx.example.orgX-Evil1commentbyevil "
	    "(mtasts-milter) with ESMTPS (requiretls) id 4XyZ1xid_2.a-b; "
	    "Fri, 2 Jan 2026 03:04:05 +0000");
	ck_assert_ptr_null(strchr(v, '\r'));
	assert_folds_ok(v);
	/* Exactly one ';' and only our two comments. */
	ck_assert_uint_eq(unit_count(v, ";"), 1);
	ck_assert_uint_eq(unit_count(v, "("), 2);
	ck_assert_uint_eq(unit_count(v, ")"), 2);
	/* 8-bit and control bytes are dropped, not escaped. */
	v = build("h\xc3\xa9\x01\x7f.example", "i\x80\xff", &tm);
	ck_assert_str_eq(unfold(v), "by h.example (mtasts-milter) with "
	    "ESMTPS (requiretls) id i; Fri, 2 Jan 2026 03:04:05 +0000");
}
END_TEST

START_TEST(long_host_and_id_are_cut)
{
	char host[400], id[200];
	struct tm tm = tm_at(2026, 1, 2, 3, 4, 5, 0);
	const char *v, *p;

	memset(host, 'h', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	memset(id, 'i', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	v = build(host, id, &tm);
	assert_folds_ok(v);
	p = strchr(v, ' ') + 1;
	ck_assert_uint_eq(strcspn(p, " "), RECEIVED_HOST_MAX);
	p = strstr(v, " id ") + 4;
	ck_assert_uint_eq(strcspn(p, ";"), RECEIVED_ID_MAX);
	ck_assert_uint_lt(strlen(v), RECEIVED_MAX);
}
END_TEST

/* --- folding -------------------------------------------------------------- */

START_TEST(folding_keeps_lines_short)
{
	char host[80], id[80], want[RECEIVED_MAX];
	struct tm tm = tm_at(2026, 12, 30, 23, 59, 59, -(9 * 3600 + 30 * 60));
	size_t h, i;
	const char *v;

	/*
	 * Every host and id length for which folding at the two allowed
	 * places can keep each line within 78 characters.
	 */
	for (h = 1; h <= 49; h++) {
		for (i = 1; i <= 48; i++) {
			memset(host, 'a', h);
			host[h] = '\0';
			if (h > 2)
				host[h / 2] = '.';
			memset(id, 'B', i);
			id[i] = '\0';
			v = build(host, id, &tm);
			assert_folds_ok(v);
			ck_assert_msg(longest_line(v) <= 78, "host %zu id %zu: "
			    "line of %zu: \"%s\"", h, i, longest_line(v), v);
			ck_assert_uint_le(unit_count(v, "\n"), 2);
			(void)snprintf(want, sizeof(want), "by %s "
			    "(mtasts-milter) with ESMTPS (requiretls) id %s; "
			    "Wed, 30 Dec 2026 23:59:59 -0930", host, id);
			ck_assert_str_eq(unfold(v), want);
			/* Never folded inside "(requiretls) id <id>;". */
			(void)snprintf(want, sizeof(want),
			    "(requiretls) id %s;", id);
			ck_assert_ptr_nonnull(strstr(v, want));
			/* Folds only before "with" and before the date. */
			ck_assert(strstr(v, "\n\t") == NULL ||
			    strstr(v, "\n\twith ") != NULL ||
			    strstr(v, ";\n\tWed,") != NULL);
		}
	}
}
END_TEST

START_TEST(folding_long_parts)
{
	char host[RECEIVED_HOST_MAX + 1], id[RECEIVED_ID_MAX + 1];
	struct tm tm = tm_at(2026, 1, 2, 3, 4, 5, 0);
	const char *v;

	/* Too long to fit anyway: folded at both places, no more. */
	memset(host, 'h', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	memset(id, 'i', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	v = build(host, id, &tm);
	assert_folds_ok(v);
	ck_assert_uint_eq(unit_count(v, "\n"), 2);
	ck_assert_ptr_nonnull(strstr(v, " (mtasts-milter)\n\twith ESMTPS "));
	ck_assert_ptr_nonnull(strstr(v, ";\n\tFri, 2 Jan 2026"));
}
END_TEST

/* --- limits --------------------------------------------------------------- */

START_TEST(buffer_too_small)
{
	struct tm tm = tm_at(2026, 1, 2, 3, 4, 5, 0);
	char small[RECEIVED_MAX];
	int n;

	n = received_build(small, sizeof(small), "mx.example.org", "4XyZ1",
	    &tm);
	ck_assert_int_gt(n, 0);
	/* Exactly n + 1 bytes is enough ... */
	ck_assert_int_eq(received_build(small, (size_t)n + 1,
	    "mx.example.org", "4XyZ1", &tm), n);
	/* ... n is not, and leaves an empty string. */
	ck_assert_int_eq(received_build(small, (size_t)n, "mx.example.org",
	    "4XyZ1", &tm), -1);
	ck_assert_str_eq(small, "");
	ck_assert_int_eq(received_build(small, 10, "mx.example.org",
	    "4XyZ1", &tm), -1);
	ck_assert_str_eq(small, "");
	small[0] = 'Q';
	ck_assert_int_eq(received_build(small, 0, "mx.example.org", "4XyZ1",
	    &tm), -1);
	ck_assert_int_eq(small[0], 'Q');
}
END_TEST

START_TEST(invalid_date_fields)
{
	struct tm tm = tm_at(2026, 1, 2, 3, 4, 5, 0);

	tm.tm_mon = 12;
	ck_assert_int_eq(received_build(buf, sizeof(buf), "h", "i", &tm), -1);
	ck_assert_str_eq(buf, "");
	tm.tm_mon = 0;
	tm.tm_wday = 7;
	ck_assert_int_eq(received_build(buf, sizeof(buf), "h", "i", &tm), -1);
	tm.tm_wday = -1;
	ck_assert_int_eq(received_build(buf, sizeof(buf), "h", "i", &tm), -1);
}
END_TEST

static Suite *
received_suite(void)
{
	Suite *s = suite_create("received");
	TCase *tc;

	tc = tcase_create("value");
	tcase_add_test(tc, exact_utc);
	tcase_add_test(tc, exact_from_epoch);
	tcase_add_test(tc, exact_positive_offset);
	tcase_add_test(tc, exact_negative_offset);
	tcase_add_test(tc, every_month_and_weekday);
	tcase_add_test(tc, requiretls_adjacent_to_id);
	tcase_add_test(tc, empty_or_missing_id_is_noqueue);
	tcase_add_test(tc, missing_host_is_localhost);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_add_test(tc, hostile_host_and_id);
	tcase_add_test(tc, long_host_and_id_are_cut);
	suite_add_tcase(s, tc);

	tc = tcase_create("folding");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, folding_keeps_lines_short);
	tcase_add_test(tc, folding_long_parts);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, buffer_too_small);
	tcase_add_test(tc, invalid_date_fields);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(received_suite());
}
