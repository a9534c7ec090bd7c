/*
 * check_domain_table.c - unit tests of the domain lookup table
 * (core/domain_table.c) and of the engine's use of it: exact names,
 * ".parent" subdomain names, longest match, exact over subdomain, case,
 * domains longer than 255 bytes, duplicates, growth to 100,000 names.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"
#include "core/domain_table.h"
#include "core/engine.h"
#include "unit.h"

static struct domain_table *t;

static void
setup(void)
{
	t = domain_table_new();
	ck_assert_ptr_nonnull(t);
}

static void
teardown(void)
{
	domain_table_free(t);
}

static long
match(const char *domain)
{
	size_t v;

	return domain_table_match(t, domain, strlen(domain), &v) ? (long)v :
	    -1;
}

START_TEST(exact)
{
	ck_assert_int_eq(domain_table_add(t, "example.org", false, 1, NULL), 0);
	ck_assert_int_eq(match("example.org"), 1);
	ck_assert_int_eq(match("a.example.org"), -1);	/* exact only */
	ck_assert_int_eq(match("example.org.x"), -1);
	ck_assert_int_eq(match("xexample.org"), -1);
	ck_assert_int_eq(match("org"), -1);
	ck_assert_int_eq(match(""), -1);
}
END_TEST

START_TEST(subdomain)
{
	ck_assert_int_eq(domain_table_add(t, "example.org", true, 2, NULL), 0);
	ck_assert_int_eq(match("a.example.org"), 2);
	ck_assert_int_eq(match("b.a.example.org"), 2);
	/* ".example.org" is not example.org itself, nor a look-alike. */
	ck_assert_int_eq(match("example.org"), -1);
	ck_assert_int_eq(match("badexample.org"), -1);
	ck_assert_int_eq(match(".example.org"), 2);
	ck_assert_int_eq(match("a..example.org"), 2);
}
END_TEST

START_TEST(longest_and_exact_win)
{
	ck_assert_int_eq(domain_table_add(t, "org", true, 1, NULL), 0);
	ck_assert_int_eq(domain_table_add(t, "example.org", true, 2, NULL), 0);
	ck_assert_int_eq(domain_table_add(t, "a.example.org", true, 3, NULL),
	    0);
	ck_assert_int_eq(domain_table_add(t, "x.a.example.org", false, 4,
	    NULL), 0);
	ck_assert_int_eq(match("z.a.example.org"), 3);
	ck_assert_int_eq(match("a.example.org"), 2);
	ck_assert_int_eq(match("b.example.org"), 2);
	ck_assert_int_eq(match("example.org"), 1);
	ck_assert_int_eq(match("x.a.example.org"), 4);	/* exact wins */
	ck_assert_int_eq(match("y.x.a.example.org"), 3);
	ck_assert_int_eq(match("example.net"), -1);
}
END_TEST

START_TEST(case_insensitive)
{
	size_t v = 0;

	ck_assert_int_eq(domain_table_add(t, "example.org", false, 5, NULL), 0);
	ck_assert_int_eq(domain_table_add(t, "sub.example.org", true, 6, NULL),
	    0);
	ck_assert_int_eq(match("EXAMPLE.Org"), 5);
	ck_assert_int_eq(match("X.SUB.Example.ORG"), 6);
	ck_assert(domain_table_get(t, "Example.ORG", 11, false, &v));
	ck_assert_uint_eq(v, 5);
	ck_assert(!domain_table_get(t, "example.org", 11, true, NULL));
}
END_TEST

START_TEST(duplicates)
{
	size_t first = 0;

	ck_assert_int_eq(domain_table_add(t, "a.org", false, 1, NULL), 0);
	ck_assert_int_eq(domain_table_add(t, "a.org", true, 2, NULL), 0);
	ck_assert_int_eq(domain_table_add(t, "a.org", false, 3, &first), 1);
	ck_assert_uint_eq(first, 1);
	ck_assert_int_eq(domain_table_add(t, "a.org", true, 4, &first), 1);
	ck_assert_uint_eq(first, 2);
	ck_assert_uint_eq(domain_table_count(t), 2);
}
END_TEST

/* The whole domain is compared: no truncated copy can match. */
START_TEST(long_domains)
{
	char big[1200];

	ck_assert_int_eq(domain_table_add(t, "example.org", true, 7, NULL), 0);
	memset(big, 'a', sizeof(big));
	(void)snprintf(big + 1000, sizeof(big) - 1000, ".example.org");
	ck_assert_int_eq(match(big), 7);
	/* 255 bytes of a name whose first 255 bytes would be an exact name. */
	ck_assert_int_eq(domain_table_add(t, "b.example.org", false, 8, NULL),
	    0);
	(void)snprintf(big, sizeof(big), "b.example.org%0300d", 0);
	ck_assert_int_eq(match(big), -1);
	memset(big, '.', 1000);
	big[1000] = '\0';
	ck_assert_int_eq(match(big), -1);
}
END_TEST

/* A slot holds a 16-bit length: a longer name is refused, not cut. */
START_TEST(name_too_long_refused)
{
	static char huge[70000];

	memset(huge, 'a', sizeof(huge) - 1);
	ck_assert_int_eq(domain_table_add(t, huge, false, 1, NULL), -1);
	ck_assert_uint_eq(domain_table_count(t), 0);
	huge[65535] = '\0';
	ck_assert_int_eq(domain_table_add(t, huge, false, 1, NULL), 0);
	ck_assert_int_eq(match(huge), 1);
}
END_TEST

START_TEST(many)
{
	static char names[100000][24];
	char q[40];
	size_t i;

	for (i = 0; i < 100000; i++) {
		(void)snprintf(names[i], sizeof(names[i]), "d%zu.example.org",
		    i);
		ck_assert_int_eq(domain_table_add(t, names[i], i % 2 == 1, i,
		    NULL), 0);
	}
	ck_assert_uint_eq(domain_table_count(t), 100000);
	for (i = 0; i < 100000; i += 997) {
		(void)snprintf(q, sizeof(q), "D%zu.Example.org", i);
		ck_assert_int_eq(match(q), i % 2 == 0 ? (long)i : -1);
		(void)snprintf(q, sizeof(q), "x.d%zu.example.org", i);
		ck_assert_int_eq(match(q), i % 2 == 1 ? (long)i : -1);
	}
}
END_TEST

/* Through the configuration: what the engine answers per recipient. */
START_TEST(engine_modes)
{
	struct conf_errors errs;
	const struct domain_rule *r;
	struct conf *c;
	enum mode_source src;

	c = conf_load_buffer("mode = \"testing\"\n"
	    "domain \".example.org\" { mode = \"off\" }\n"
	    "domain \".a.example.org\" { mode = \"enforce\" }\n"
	    "domain \"b.a.example.org\" { mode = \"testing\" }\n", "t", &errs);
	ck_assert_msg(c != NULL, "%s", errs.text != NULL ? errs.text : "");
	conf_errors_free(&errs);
	ck_assert_int_eq(engine_mode_for_domain(c, "X.A.Example.Org", &src,
	    &r), STS_MODE_ENFORCE);
	ck_assert_ptr_eq(r, &c->domains[1]);
	ck_assert_int_eq(src, MODE_FROM_CONFIG);
	ck_assert_int_eq(engine_mode_for_domain(c, "b.a.example.org", NULL,
	    NULL), STS_MODE_TESTING);
	ck_assert_int_eq(engine_mode_for_domain(c, "a.example.org", NULL,
	    NULL), STS_MODE_OFF);
	ck_assert_int_eq(engine_mode_for_domain(c, "example.org", &src, &r),
	    STS_MODE_TESTING);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(src, MODE_FROM_CONFIG);	/* the global mode key */
	ck_assert(!engine_rejects_all(c));
	conf_unref(c);
}
END_TEST

static Suite *
domain_table_suite(void)
{
	Suite *s = suite_create("domain_table");
	TCase *tc = tcase_create("lookup");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, exact);
	tcase_add_test(tc, subdomain);
	tcase_add_test(tc, longest_and_exact_win);
	tcase_add_test(tc, case_insensitive);
	tcase_add_test(tc, duplicates);
	tcase_add_test(tc, long_domains);
	tcase_add_test(tc, name_too_long_refused);
	tcase_add_test(tc, many);
	tcase_add_test(tc, engine_modes);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(domain_table_suite());
}
