/*
 * check_conformance.c - runs the RFC 8461 conformance corpus through the
 * real parsers and fails on any disagreement.
 *
 * Input: tests/unit/data/conformance/rfc8461-vectors.tsv and its README.md,
 * copied unchanged from the project's shared conformance set
 * (../shared/conformance/ next to the repository; CI clones do not have
 * it, so the copy is the test's input).  Each row is kind, source, case,
 * input (a Python literal, decoded by pyliteral.c), expected, rfc_rule.
 *
 * Rows: txt - the TXT RRset at _mta-sts: dnsrecord_sts_candidate() picks
 * the records that count, exactly one must remain and pass dnsrecord_sts();
 * policy - policy_parse() on the body; mx - policy_mx_match() of the host
 * against each pattern.  Every disagreeing row is named (kind, source,
 * case) on stderr and in the failure message.  The corpus must have
 * exactly CORPUS_ROWS rows, so a truncated copy cannot pass.
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dnsrecord.h"
#include "core/policy.h"
#include "pyliteral.h"
#include "unit.h"

#define CORPUS_FILE	"conformance/rfc8461-vectors.tsv"
#define CORPUS_HEADER	"kind\tsource\tcase\tinput\texpected\trfc_rule"
#define CORPUS_ROWS	295
#define NCOLUMNS	6
#define REPORT_MAX	4096

enum column { KIND, SOURCE, CASE, INPUT, EXPECTED, RULE };

struct row {
	char	*col[NCOLUMNS];
	size_t	 len[NCOLUMNS];
};

struct tally {
	size_t	rows;
	size_t	checked;		/* rows of the kind asked for */
	size_t	disagree;
	char	report[REPORT_MAX];
};

/* Splits one line (NUL-terminated, no line end) at tabs, in place. */
static bool
split_row(char *line, struct row *r)
{
	int i;
	char *tab;

	for (i = 0; i < NCOLUMNS; i++) {
		r->col[i] = line;
		tab = strchr(line, '\t');
		if ((tab == NULL) != (i == NCOLUMNS - 1))
			return false;
		if (tab != NULL) {
			*tab = '\0';
			line = tab + 1;
		}
		r->len[i] = strlen(r->col[i]);
	}
	return true;
}

static bool
is_str(const struct pylit *v)
{
	return v->kind == PYLIT_STR;
}

static bool
all_str(const struct pylit *v)
{
	size_t i;

	if (v->kind != PYLIT_LIST && v->kind != PYLIT_TUPLE)
		return false;
	for (i = 0; i < v->nitem; i++)
		if (!is_str(&v->item[i]))
			return false;
	return true;
}

/* RFC 8461 3.1 over an RRset: exactly one record counts, and is valid. */
static int
txt_verdict(const struct pylit *v, const char **verdict)
{
	const struct pylit *pick = NULL;
	char why[160];
	size_t i, n = 0;

	if (!all_str(v))
		return -1;
	for (i = 0; i < v->nitem; i++)
		if (dnsrecord_sts_candidate(v->item[i].s, v->item[i].len,
		    v->nitem)) {
			pick = &v->item[i];
			n++;
		}
	*verdict = n == 1 && dnsrecord_sts(pick->s, pick->len, why,
	    sizeof(why)) == 0 ? "valid" : "invalid";
	return 0;
}

static int
policy_verdict(const struct pylit *v, const char **verdict)
{
	struct sts_policy pol;
	char err[256];
	int line;

	if (!is_str(v))
		return -1;
	*verdict = policy_parse(v->s, v->len, &pol, err, sizeof(err),
	    &line) == 0 ? "valid" : "invalid";
	policy_free(&pol);
	return 0;
}

/* ([pattern, ...], host): match when any pattern matches. */
static int
mx_verdict(const struct pylit *v, const char **verdict)
{
	const struct pylit *pats, *host;
	size_t i;

	if (v->kind != PYLIT_TUPLE || v->nitem != 2 || !all_str(&v->item[0]) ||
	    !is_str(&v->item[1]))
		return -1;
	pats = &v->item[0];
	host = &v->item[1];
	*verdict = "nomatch";
	for (i = 0; i < pats->nitem; i++)
		if (strlen(pats->item[i].s) == pats->item[i].len &&
		    strlen(host->s) == host->len &&
		    policy_mx_match(pats->item[i].s, host->s))
			*verdict = "match";
	return 0;
}

static void
note(struct tally *t, const struct row *r, const char *what,
    const char *detail)
{
	size_t used = strlen(t->report);
	char line[512];

	(void)snprintf(line, sizeof(line), "%s/%s/\"%s\": %s%s",
	    r->col[KIND], r->col[SOURCE], r->col[CASE], what, detail);
	fprintf(stderr, "# disagree: %s\n", line);
	if (used + strlen(line) + 3 < sizeof(t->report))
		(void)snprintf(t->report + used, sizeof(t->report) - used,
		    "%s; ", line);
	t->disagree++;
}

static void
judge_row(struct tally *t, const struct row *r)
{
	struct pylit v;
	const char *got = NULL;
	char err[160];
	int rc = -1;

	if (pylit_eval(r->col[INPUT], r->len[INPUT], &v, err,
	    sizeof(err)) != 0) {
		note(t, r, "input does not evaluate: ", err);
		return;
	}
	if (strcmp(r->col[KIND], "txt") == 0)
		rc = txt_verdict(&v, &got);
	else if (strcmp(r->col[KIND], "policy") == 0)
		rc = policy_verdict(&v, &got);
	else if (strcmp(r->col[KIND], "mx") == 0)
		rc = mx_verdict(&v, &got);
	pylit_free(&v);
	if (rc != 0)
		note(t, r, "input has the wrong shape for its kind", "");
	else if (strcmp(got, r->col[EXPECTED]) != 0)
		note(t, r, "parser says ", got);
}

/* Runs every row of kind (NULL: none, only count) through its parser. */
static void
run_corpus(const char *kind, struct tally *t)
{
	char path[4096], *buf, *line, *nl;
	struct row r;

	memset(t, 0, sizeof(*t));
	buf = unit_read_file(unit_data(path, sizeof(path), CORPUS_FILE), NULL);
	nl = strchr(buf, '\n');
	ck_assert_ptr_nonnull(nl);
	*nl = '\0';
	ck_assert_str_eq(buf, CORPUS_HEADER);
	for (line = nl + 1; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			nl = line + strlen(line) - 1;	/* no final LF */
		else
			*nl = '\0';
		ck_assert_msg(split_row(line, &r), "row %zu: not %d columns",
		    t->rows + 1, NCOLUMNS);
		t->rows++;
		ck_assert_msg(strcmp(r.col[KIND], "txt") == 0 ||
		    strcmp(r.col[KIND], "policy") == 0 ||
		    strcmp(r.col[KIND], "mx") == 0, "row %zu: kind \"%s\"",
		    t->rows, r.col[KIND]);
		if (kind == NULL || strcmp(r.col[KIND], kind) != 0)
			continue;
		t->checked++;
		judge_row(t, &r);
	}
	free(buf);
}

START_TEST(corpus_has_all_rows)
{
	struct tally t;

	run_corpus(NULL, &t);
	ck_assert_uint_eq(t.rows, CORPUS_ROWS);
}
END_TEST

static void
expect_agreement(const char *kind, size_t rows)
{
	struct tally t;

	run_corpus(kind, &t);
	ck_assert_uint_eq(t.rows, CORPUS_ROWS);
	ck_assert_uint_eq(t.checked, rows);
	ck_assert_msg(t.disagree == 0, "%zu of %zu %s rows disagree: %s",
	    t.disagree, t.checked, kind, t.report);
}

START_TEST(txt_rows_agree)
{
	expect_agreement("txt", 92);
}
END_TEST

START_TEST(policy_rows_agree)
{
	expect_agreement("policy", 168);
}
END_TEST

START_TEST(mx_rows_agree)
{
	expect_agreement("mx", 35);
}
END_TEST

/* --- the evaluator itself ------------------------------------------------ */

static struct pylit ev;

static void
teardown(void)
{
	pylit_free(&ev);
}

static int
eval(const char *src)
{
	char err[160];

	return pylit_eval(src, strlen(src), &ev, err, sizeof(err));
}

START_TEST(eval_strings_and_escapes)
{
	ck_assert_int_eq(eval("'a\\tb\\r\\n\\\\\\'\"'"), 0);
	ck_assert_int_eq(ev.kind, PYLIT_STR);
	ck_assert_uint_eq(ev.len, 8);
	ck_assert_mem_eq(ev.s, "a\tb\r\n\\'\"", 8);
	pylit_free(&ev);
	/* A Python str encoded as UTF-8: \xe9 is U+00E9, two bytes. */
	ck_assert_int_eq(eval("'\\x00\\xe9\\u2713\\U0001F600\\101'"), 0);
	ck_assert_uint_eq(ev.len, 1 + 2 + 3 + 4 + 1);
	ck_assert_mem_eq(ev.s, "\0\xc3\xa9\xe2\x9c\x93\xf0\x9f\x98\x80" "A", 11);
}
END_TEST

START_TEST(eval_operators)
{
	ck_assert_int_eq(eval("'ab' * 3 + 'c' + 2 * 'd'"), 0);
	ck_assert_str_eq(ev.s, "abababcdd");
	pylit_free(&ev);
	ck_assert_int_eq(eval("('x' + 'y') * 2"), 0);
	ck_assert_str_eq(ev.s, "xyxy");
	pylit_free(&ev);
	ck_assert_int_eq(eval("'\\x00' * 65538"), 0);
	ck_assert_uint_eq(ev.len, 65538);
	ck_assert_int_eq(ev.s[65537], '\0');
}
END_TEST

START_TEST(eval_lists_and_tuples)
{
	ck_assert_int_eq(eval("(['a', '*.b'], 'c.')"), 0);
	ck_assert_int_eq(ev.kind, PYLIT_TUPLE);
	ck_assert_uint_eq(ev.nitem, 2);
	ck_assert_int_eq(ev.item[0].kind, PYLIT_LIST);
	ck_assert_uint_eq(ev.item[0].nitem, 2);
	ck_assert_str_eq(ev.item[0].item[1].s, "*.b");
	ck_assert_str_eq(ev.item[1].s, "c.");
	pylit_free(&ev);
	ck_assert_int_eq(eval("['a',] + ['b'] * 2"), 0);
	ck_assert_int_eq(ev.kind, PYLIT_LIST);
	ck_assert_uint_eq(ev.nitem, 3);
	ck_assert_str_eq(ev.item[2].s, "b");
	pylit_free(&ev);
	ck_assert_int_eq(eval("('a',)"), 0);
	ck_assert_int_eq(ev.kind, PYLIT_TUPLE);
	ck_assert_uint_eq(ev.nitem, 1);
}
END_TEST

static const char *const eval_refused[] = {
	"__import__('os')",		/* names and calls */
	"'a' - 'b'",			/* other operators */
	"'a' + ['b']",			/* mixed kinds */
	"'a' * 'b'",
	"'abc",				/* unterminated */
	"'a' 'b'",			/* trailing text */
	"'\\x4'",			/* truncated escape */
	"'\\ud800'",			/* a surrogate is not UTF-8 */
	"'a' * 2000000",		/* over PYLIT_MAX_LEN */
	"[[[[[[[[[[[[[[[[[['deep']]]]]]]]]]]]]]]]]]",
	"",
};

START_TEST(eval_refuses)
{
	ck_assert_int_eq(eval(eval_refused[_i]), -1);
	ck_assert_int_eq(ev.kind, PYLIT_NONE);
}
END_TEST

static Suite *
conformance_suite(void)
{
	Suite *s = suite_create("conformance");
	TCase *tc;

	tc = tcase_create("corpus");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, corpus_has_all_rows);
	tcase_add_test(tc, txt_rows_agree);
	tcase_add_test(tc, policy_rows_agree);
	tcase_add_test(tc, mx_rows_agree);
	suite_add_tcase(s, tc);

	tc = tcase_create("evaluator");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, eval_strings_and_escapes);
	tcase_add_test(tc, eval_operators);
	tcase_add_test(tc, eval_lists_and_tuples);
	tcase_add_loop_test(tc, eval_refuses, 0,
	    (int)(sizeof(eval_refused) / sizeof(eval_refused[0])));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(conformance_suite());
}
