/*
 * check_policy.c - unit tests of the RFC 8461 policy parser (policy.c):
 * valid and invalid policies, the line an error is reported on, the 64 KiB
 * limit, the warnings for repeated fields, "mx" pattern matching, and
 * policy_load() on fixture files.  The whole RFC corpus runs in
 * check_conformance.c.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/policy.h"
#include "unit.h"

#define V	"version: STSv1\n"

static struct sts_policy pol;
static char err[256];
static int errline;

static int
parse(const char *text)
{
	errline = -1;
	err[0] = '\0';
	return policy_parse(text, strlen(text), &pol, err, sizeof(err),
	    &errline);
}

static int
parse_len(const char *text, size_t len)
{
	errline = -1;
	err[0] = '\0';
	return policy_parse(text, len, &pol, err, sizeof(err), &errline);
}

static void
teardown(void)
{
	policy_free(&pol);
}

/* --- valid policies ------------------------------------------------------- */

START_TEST(valid_lf)
{
	ck_assert_int_eq(parse(V "mode: enforce\nmx: mx1.example.org\n"
	    "mx: MX2.Example.ORG\nmax_age: 604800\n"), 0);
	ck_assert_int_eq(pol.mode, STS_MODE_ENFORCE);
	ck_assert_int_eq(pol.max_age, 604800);
	ck_assert_uint_eq(pol.nmx, 2);
	ck_assert_str_eq(pol.mx[0], "mx1.example.org");
	ck_assert_str_eq(pol.mx[1], "mx2.example.org");	/* lower-cased */
	ck_assert_int_eq(errline, 0);
}
END_TEST

START_TEST(valid_crlf)
{
	ck_assert_int_eq(parse("version: STSv1\r\nmode: testing\r\n"
	    "mx: mx.example.org\r\nmax_age: 86400\r\n"), 0);
	ck_assert_int_eq(pol.mode, STS_MODE_TESTING);
	ck_assert_int_eq(pol.max_age, 86400);
	ck_assert_uint_eq(pol.nmx, 1);
	ck_assert_str_eq(pol.mx[0], "mx.example.org");
}
END_TEST

START_TEST(valid_mixed_line_ends)
{
	/* Each line may end in LF or CRLF on its own. */
	ck_assert_int_eq(parse("version: STSv1\r\nmode: enforce\n"
	    "mx: mx.example.org\r\nmax_age: 1\n"), 0);
	ck_assert_uint_eq(pol.nmx, 1);
	ck_assert_str_eq(pol.mx[0], "mx.example.org");
}
END_TEST

START_TEST(valid_no_final_newline)
{
	ck_assert_int_eq(parse(V "mode: enforce\nmx: mx.example.org\n"
	    "max_age: 86400"), 0);
	ck_assert_int_eq(pol.max_age, 86400);
}
END_TEST

START_TEST(valid_wildcard_mx)
{
	ck_assert_int_eq(parse(V "mode: enforce\nmx: *.mx.Example.net\n"
	    "max_age: 3600\n"), 0);
	ck_assert_uint_eq(pol.nmx, 1);
	ck_assert_str_eq(pol.mx[0], "*.mx.example.net");
	ck_assert(policy_host_allowed(&pol, "a.mx.example.net"));
	ck_assert(!policy_host_allowed(&pol, "mx.example.net"));
}
END_TEST

START_TEST(valid_mode_none_without_mx)
{
	ck_assert_int_eq(parse(V "mode: none\nmax_age: 0\n"), 0);
	ck_assert_int_eq(pol.mode, STS_MODE_OFF);
	ck_assert_int_eq(pol.max_age, 0);
	ck_assert_uint_eq(pol.nmx, 0);
}
END_TEST

START_TEST(valid_mode_none_with_mx)
{
	ck_assert_int_eq(parse(V "mode: none\nmx: mx.example.org\n"
	    "max_age: 10\n"), 0);
	ck_assert_int_eq(pol.mode, STS_MODE_OFF);
	ck_assert_uint_eq(pol.nmx, 1);
}
END_TEST

START_TEST(valid_unknown_keys_ignored)
{
	ck_assert_int_eq(parse(V "foo: bar\nmode: enforce\n"
	    "x-ext_1.a: several words of value\nmx: mx.example.org\n"
	    "max_age: 86400\nZZ9: \xc3\xa9t\xc3\xa9\n"), 0);
	ck_assert_int_eq(pol.mode, STS_MODE_ENFORCE);
	ck_assert_uint_eq(pol.nmx, 1);
	ck_assert_str_eq(pol.mx[0], "mx.example.org");
}
END_TEST

START_TEST(valid_whitespace_around_values)
{
	ck_assert_int_eq(parse("version:   STSv1 \t\nmode:\tenforce  \n"
	    "mx:  mx.example.org\t\nmax_age: 86400   \n"), 0);
	ck_assert_int_eq(pol.mode, STS_MODE_ENFORCE);
	ck_assert_int_eq(pol.max_age, 86400);
	ck_assert_str_eq(pol.mx[0], "mx.example.org");
}
END_TEST

START_TEST(valid_fields_in_any_order)
{
	/* RFC 8461 3.2 does not order the fields: version may come last. */
	ck_assert_int_eq(parse("mode: enforce\nmx: mx.example.org\n"
	    "max_age: 86400\n" V), 0);
	ck_assert_int_eq(pol.mode, STS_MODE_ENFORCE);
	ck_assert_uint_eq(pol.nwarnings, 0);
	policy_free(&pol);
	ck_assert_int_eq(parse("max_age: 1\r\nmx: a.example\r\n" V
	    "mode: testing"), 0);
	ck_assert_int_eq(pol.mode, STS_MODE_TESTING);
	ck_assert_int_eq(pol.max_age, 1);
}
END_TEST

START_TEST(valid_trailing_blank_after_ext_value)
{
	/* Blanks after a value go; only an inner tab is refused. */
	ck_assert_int_eq(parse(V "mode: none\nmax_age: 0\next: a\t"), 0);
	ck_assert_int_eq(parse(V "mode: none\nmax_age: 0\next: a b \t\n"),
	    0);
}
END_TEST

START_TEST(valid_max_age_bounds)
{
	ck_assert_int_eq(parse(V "mode: none\nmax_age: 31557600\n"), 0);
	ck_assert_int_eq(pol.max_age, 31557600L);
	policy_free(&pol);
	/* Ten digits with leading zeros: still within the limit. */
	ck_assert_int_eq(parse(V "mode: none\nmax_age: 0031557600\n"), 0);
	ck_assert_int_eq(pol.max_age, POLICY_MAX_AGE);
	policy_free(&pol);
	ck_assert_int_eq(parse(V "mode: none\nmax_age: 0000000000\n"), 0);
	ck_assert_int_eq(pol.max_age, 0);
}
END_TEST

START_TEST(valid_256_mx_and_63_char_label)
{
	char *buf = malloc(64 * 1024);
	char label[64];
	size_t len = 0;
	int i;

	ck_assert_ptr_nonnull(buf);
	memset(label, 'a', 63);
	label[63] = '\0';
	len += (size_t)sprintf(buf + len, V "mode: enforce\nmax_age: 5\n");
	len += (size_t)sprintf(buf + len, "mx: %s.example.org\n", label);
	for (i = 1; i < POLICY_MAX_MX; i++)
		len += (size_t)sprintf(buf + len, "mx: mx%d.example.org\n", i);
	ck_assert_int_eq(parse_len(buf, len), 0);
	ck_assert_uint_eq(pol.nmx, POLICY_MAX_MX);
	ck_assert_str_eq(pol.mx[255], "mx255.example.org");
	policy_free(&pol);
	/* One more is refused, on the line of the 257th mx. */
	len += (size_t)sprintf(buf + len, "mx: one-too-many.example.org\n");
	ck_assert_int_eq(parse_len(buf, len), -1);
	ck_assert_int_eq(errline, 3 + POLICY_MAX_MX + 1);
	ck_assert_ptr_nonnull(strstr(err, "more than 256"));
	free(buf);
}
END_TEST

/* A policy of exactly n bytes, padded with an unknown key. */
static char *
policy_of_size(size_t n)
{
	static const char head[] = V "mode: enforce\nmx: mx.example.org\n"
	    "max_age: 86400\npad: ";
	char *buf = malloc(n + 1);
	size_t h = strlen(head);

	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_gt(n, h + 2);
	memcpy(buf, head, h);
	memset(buf + h, 'x', n - h - 1);
	buf[n - 1] = '\n';
	buf[n] = '\0';
	return buf;
}

START_TEST(mx_label_64_refused)
{
	char text[256], label[65];

	memset(label, 'a', 64);
	label[64] = '\0';
	(void)snprintf(text, sizeof(text), V "mode: enforce\nmx: %s.example\n"
	    "max_age: 1\n", label);
	ck_assert_int_eq(parse(text), -1);
	ck_assert_int_eq(errline, 3);
	ck_assert_ptr_nonnull(strstr(err, "invalid mx pattern"));
	/* 63 is the longest label. */
	label[63] = '\0';
	(void)snprintf(text, sizeof(text), V "mode: enforce\nmx: *.%s.example\n"
	    "max_age: 1\n", label);
	ck_assert_int_eq(parse(text), 0);
}
END_TEST

START_TEST(size_64k_exact_allowed)
{
	char *buf = policy_of_size(POLICY_MAX_BYTES);

	ck_assert_int_eq(parse_len(buf, POLICY_MAX_BYTES), 0);
	ck_assert_int_eq(pol.mode, STS_MODE_ENFORCE);
	free(buf);
}
END_TEST

START_TEST(size_64k_plus_one_refused)
{
	char *buf = policy_of_size(POLICY_MAX_BYTES + 1);

	ck_assert_int_eq(parse_len(buf, POLICY_MAX_BYTES + 1), -1);
	ck_assert_int_eq(errline, 0);
	ck_assert_ptr_nonnull(strstr(err, "larger than 65536"));
	ck_assert_uint_eq(pol.nmx, 0);
	ck_assert_ptr_null(pol.mx);
	free(buf);
}
END_TEST

/* --- invalid policies: message and line ----------------------------------- */

struct bad_case {
	const char	*text;
	size_t		 len;		/* 0: strlen(text) */
	int		 line;
	const char	*msg;		/* substring of the error */
};

/* A literal that contains NUL bytes, with its real length. */
#define L(s)	s, sizeof(s) - 1

static const struct bad_case bad_cases[] = {
	/* version */
	{ "mode: enforce\nmx: a.example\nmax_age: 1\n", 0, 0,
	    "no version line" },
	{ "version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n", 0, 1,
	    "unsupported version" },
	{ "version: stsv1\nmode: enforce\nmx: a.example\nmax_age: 1\n", 0, 1,
	    "unsupported version" },
	{ "version: STSv1 extra\nmode: none\nmax_age: 1\n", 0, 1,
	    "unsupported version" },
	/* "Version" is an unknown key: ignored, so there is no version. */
	{ "Version: STSv1\nmode: none\nmax_age: 1\n", 0, 0,
	    "no version line" },
	{ "mode: none\nmax_age: 1\nversion: STSv2\n", 0, 3,
	    "unsupported version" },
	{ "\n" V "mode: none\nmax_age: 1\n", 0, 1, "empty line" },
	/* the first of a repeated field counts, so it must be valid */
	{ V "mode: bogus\nmode: enforce\nmx: a.example\nmax_age: 1\n", 0, 2,
	    "mode must be" },
	{ V "mode: none\nmax_age: x\nmax_age: 1\n", 0, 3, "not a number" },
	/* missing keys */
	{ V "mx: a.example\nmax_age: 1\n", 0, 0, "no mode line" },
	{ V "mode: enforce\nmx: a.example\n", 0, 0, "no max_age line" },
	{ V "mode: enforce\nmax_age: 1\n", 0, 0, "no mx line" },
	{ V "mode: testing\nmax_age: 1\n", 0, 0, "no mx line" },
	{ V, 0, 0, "no mode line" },
	{ "", 0, 0, "empty policy" },
	/* mode */
	{ V "mode: Enforce\nmx: a.example\nmax_age: 1\n", 0, 2,
	    "mode must be" },
	{ V "mode: off\nmax_age: 1\n", 0, 2, "mode must be" },
	{ V "mode:\nmax_age: 1\n", 0, 2, "mode must be" },
	{ V "mode: enforce testing\nmx: a.example\nmax_age: 1\n", 0, 2,
	    "mode must be" },
	/* max_age */
	{ V "mode: none\nmax_age: 31557601\n", 0, 3, "exceeds" },
	{ V "mode: none\nmax_age: 9999999999\n", 0, 3, "exceeds" },
	{ V "mode: none\nmax_age: 00000000001\n", 0, 3, "1 to 10 digits" },
	{ V "mode: none\nmax_age: 12345678901\n", 0, 3, "1 to 10 digits" },
	{ V "mode: none\nmax_age: abc\n", 0, 3, "not a number" },
	{ V "mode: none\nmax_age: -1\n", 0, 3, "not a number" },
	{ V "mode: none\nmax_age: +1\n", 0, 3, "not a number" },
	{ V "mode: none\nmax_age: 1 2\n", 0, 3, "not a number" },
	{ V "mode: none\nmax_age: 0x10\n", 0, 3, "not a number" },
	{ V "mode: none\nmax_age:\n", 0, 3, "1 to 10 digits" },
	/* mx patterns */
	{ V "mode: enforce\nmx: *.*.example.com\nmax_age: 1\n", 0, 3,
	    "invalid mx pattern \"*.*.example.com\"" },
	{ V "mode: enforce\nmx: -a.example.com\nmax_age: 1\n", 0, 3,
	    "invalid mx pattern" },
	{ V "mode: enforce\nmx: a-.example.com\nmax_age: 1\n", 0, 3,
	    "invalid mx pattern" },
	{ V "mode: enforce\nmx: a..b\nmax_age: 1\n", 0, 3,
	    "invalid mx pattern" },
	{ V "mode: enforce\nmx: .example.com\nmax_age: 1\n", 0, 3,
	    "invalid mx pattern" },
	{ V "mode: enforce\nmx: mx.example.com.\nmax_age: 1\n", 0, 3,
	    "invalid mx pattern" },
	{ V "mode: enforce\nmx: *.\nmax_age: 1\n", 0, 3,
	    "invalid mx pattern" },
	{ V "mode: enforce\nmx: *\nmax_age: 1\n", 0, 3,
	    "invalid mx pattern" },
	{ V "mode: enforce\nmx: mx*.example.com\nmax_age: 1\n", 0, 3,
	    "invalid mx pattern" },
	{ V "mode: enforce\nmx: mx_1.example.com\nmax_age: 1\n", 0, 3,
	    "invalid mx pattern" },
	{ V "mode: enforce\nmx: mx.example.com mx2.example.com\nmax_age: 1\n",
	    0, 3, "invalid mx pattern" },
	{ V "mode: enforce\nmx:\nmax_age: 1\n", 0, 3, "invalid mx pattern" },
	/* line structure */
	{ V "mode: enforce\n\nmx: a.example\nmax_age: 1\n", 0, 3,
	    "empty line" },
	{ V "mode: enforce\r\n\r\nmx: a.example\r\nmax_age: 1\r\n", 0, 3,
	    "empty line" },
	/* a trailing empty line is an empty line too (two line ends) */
	{ V "mode: none\nmax_age: 1\n\n", 0, 4, "empty line" },
	{ V "mode: none\r\nmax_age: 1\r\n\r\n", 0, 4, "empty line" },
	{ V "mode: none\nmax_age: 1\r\n\r\n\n\r\n", 0, 4, "empty line" },
	{ V "mode: en\rforce\nmx: a.example\nmax_age: 1\n", 0, 2,
	    "stray CR" },
	{ V "mode: enforce\r\r\nmx: a.example\nmax_age: 1\n", 0, 2,
	    "stray CR" },
	{ "version: STSv1\rmode: none\rmax_age: 1\r\n", 0, 1, "stray CR" },
	{ L(V "mode: none\nmax_age: 1\nfoo: a\0b\n"), 4, "NUL" },
	{ L(V "mode: none\0\nmax_age: 1\n"), 2, "NUL" },
	{ L(V "mode: none\nmax_age: 1\0\n"), 3, "NUL" },
	{ V "mode enforce\nmx: a.example\nmax_age: 1\n", 0, 2,
	    "missing \":\"" },
	{ V "mode: none\nmax_age: 1\n   \n", 0, 4, "missing \":\"" },
	/* unknown keys must still be well-formed */
	{ V "mode: none\nmax_age: 1\nbad key: x\n", 0, 4, "invalid key" },
	{ V "mode: none\nmax_age: 1\n_x: y\n", 0, 4, "invalid key" },
	{ V "mode: none\nmax_age: 1\n: y\n", 0, 4, "invalid key" },
	{ V "mode: none\nmax_age: 1\nfoo:\n", 0, 4, "invalid value" },
	{ V "mode: none\nmax_age: 1\nfoo: a\x7f\n", 0, 4, "invalid value" },
	{ V "mode: none\nmax_age: 1\nfoo: a\x01\n", 0, 4, "invalid value" },
	{ V "mode: none\nmax_age: 1\nfoo: a\tb\n", 0, 4, "invalid value" },
	{ V "mode: none\nmax_age: 1\nfoo: a \t b\n", 0, 4, "invalid value" },
};

START_TEST(invalid_policy)
{
	const struct bad_case *bc = &bad_cases[_i];
	size_t len = bc->len != 0 ? bc->len : strlen(bc->text);

	ck_assert_msg(parse_len(bc->text, len) == -1,
	    "case %d accepted", _i);
	ck_assert_msg(errline == bc->line, "case %d: errline %d, want %d "
	    "(%s)", _i, errline, bc->line, err);
	ck_assert_msg(strstr(err, bc->msg) != NULL, "case %d: error \"%s\" "
	    "lacks \"%s\"", _i, err, bc->msg);
	/* No partial policy is ever returned. */
	ck_assert_ptr_null(pol.mx);
	ck_assert_uint_eq(pol.nmx, 0);
	ck_assert_int_eq(pol.max_age, 0);
}
END_TEST

/*
 * Regression, fixed (policy.c, parse_lines): a CR that ends the last line without an LF
 * ("max_age: 1\r" at the very end) is stripped as if it were CRLF, so the
 * policy is accepted.  RFC 8461 allows LF or CRLF line ends only; a lone
 * CR is a stray CR like anywhere else.  Expected -1 on line 3.
 */
START_TEST(lone_cr_at_end_refused)
{
	ck_assert_msg(parse(V "mode: none\nmax_age: 1\r") == -1,
	    "regression: a lone CR at the end of the policy is accepted");
	ck_assert_int_eq(errline, 3);
	ck_assert_ptr_nonnull(strstr(err, "stray CR"));
}
END_TEST

START_TEST(error_without_errline_pointer)
{
	/* errline and err are optional: no crash, same result. */
	static const char bad[] = V "mode: x\n";
	static const char good[] = V "mode: none\nmax_age: 1\n";

	ck_assert_int_eq(policy_parse(bad, strlen(bad), &pol, NULL, 0, NULL),
	    -1);
	ck_assert_int_eq(policy_parse(good, strlen(good), &pol, NULL, 0,
	    NULL), 0);
	ck_assert_int_eq(pol.mode, STS_MODE_OFF);
}
END_TEST

START_TEST(error_message_is_bounded)
{
	static const char bad[] = V "mode: nonsense\n";
	char small[8];
	int line;

	ck_assert_int_eq(policy_parse(bad, strlen(bad), &pol, small,
	    sizeof(small), &line), -1);
	ck_assert_uint_lt(strlen(small), sizeof(small));
	ck_assert_int_eq(line, 2);
}
END_TEST

START_TEST(policy_reuse_after_success)
{
	/* policy_parse() starts from an empty policy every time. */
	ck_assert_int_eq(parse(V "mode: enforce\nmx: a.example\nmax_age: 1\n"),
	    0);
	policy_free(&pol);
	ck_assert_int_eq(parse(V "mode: none\nmax_age: 2\n"), 0);
	ck_assert_uint_eq(pol.nmx, 0);
	ck_assert_int_eq(pol.max_age, 2);
}
END_TEST

/* --- repeated fields: the first counts, a warning names the others ------- */

START_TEST(repeated_fields_warn)
{
	/* Later ones are ignored even when malformed (RFC 8461 3.2). */
	ck_assert_int_eq(parse(V "mode: enforce\nmx: a.example\nmode: bogus\n"
	    "max_age: 1\nmax_age: 2\n" "version: STSv2\nmx: b.example\n"), 0);
	ck_assert_int_eq(pol.mode, STS_MODE_ENFORCE);
	ck_assert_int_eq(pol.max_age, 1);
	ck_assert_uint_eq(pol.nmx, 2);		/* mx may repeat: no warning */
	ck_assert_int_eq(errline, 0);
	ck_assert_uint_eq(pol.nwarnings, 3);
	ck_assert_str_eq(pol.warnings[0],
	    "line 4: repeated mode ignored (first on line 2)");
	ck_assert_str_eq(pol.warnings[1],
	    "line 6: repeated max_age ignored (first on line 5)");
	ck_assert_str_eq(pol.warnings[2],
	    "line 7: repeated version ignored (first on line 1)");
}
END_TEST

START_TEST(repeated_same_value_warns)
{
	ck_assert_int_eq(parse("mode: testing\r\n" V "mode: testing\r\n"
	    "mx: a.example\r\nmax_age: 9\r\n"), 0);
	ck_assert_int_eq(pol.mode, STS_MODE_TESTING);
	ck_assert_uint_eq(pol.nwarnings, 1);
	ck_assert_str_eq(pol.warnings[0],
	    "line 3: repeated mode ignored (first on line 1)");
}
END_TEST

START_TEST(no_warnings_for_a_clean_policy)
{
	ck_assert_int_eq(parse(V "mode: enforce\nmx: a.example\n"
	    "mx: *.b.example\nmax_age: 1\nfoo: bar\nfoo: baz\n"), 0);
	ck_assert_uint_eq(pol.nwarnings, 0);
	ck_assert_ptr_null(pol.warnings);
}
END_TEST

START_TEST(warnings_are_bounded)
{
	char text[4096];
	size_t o;
	int i;

	o = (size_t)snprintf(text, sizeof(text), V "mode: none\nmax_age: 1\n");
	for (i = 0; i < 100; i++)		/* lines 4 to 103 */
		o += (size_t)snprintf(text + o, sizeof(text) - o,
		    "mode: x%d\n", i);
	ck_assert_uint_lt(o, sizeof(text));
	ck_assert_int_eq(parse(text), 0);
	ck_assert_int_eq(pol.mode, STS_MODE_OFF);
	ck_assert_uint_eq(pol.nwarnings, POLICY_MAX_WARNINGS);
	ck_assert_str_eq(pol.warnings[0],
	    "line 4: repeated mode ignored (first on line 2)");
	ck_assert_str_eq(pol.warnings[2],
	    "line 6: repeated mode ignored (first on line 2)");
	/* The last slot sums up line 7 and every one after it. */
	ck_assert_str_eq(pol.warnings[POLICY_MAX_WARNINGS - 1],
	    "lines 7 to 103: 97 repeated fields ignored");
}
END_TEST

START_TEST(no_warnings_with_an_invalid_policy)
{
	ck_assert_int_eq(parse(V "mode: none\nmode: none\nmax_age: 1\n\n"),
	    -1);
	ck_assert_int_eq(errline, 5);
	ck_assert_uint_eq(pol.nwarnings, 0);
	ck_assert_ptr_null(pol.warnings);
}
END_TEST

START_TEST(load_keeps_warnings)
{
	static const char text[] = V "max_age: 5\nmode: none\nmax_age: 6\n";
	char dir[256], path[300];

	unit_tmpdir(dir, sizeof(dir));
	(void)snprintf(path, sizeof(path), "%s/p.txt", dir);
	unit_write_file(path, text, sizeof(text) - 1, 0644);
	errline = -1;
	ck_assert_int_eq(policy_load(path, &pol, err, sizeof(err), &errline),
	    0);
	ck_assert_int_eq(pol.max_age, 5);
	ck_assert_uint_eq(pol.nwarnings, 1);
	ck_assert_str_eq(pol.warnings[0],
	    "line 4: repeated max_age ignored (first on line 2)");
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* --- mx matching ---------------------------------------------------------- */

struct mx_case {
	const char	*pattern;
	const char	*host;
	bool		 match;
};

static const struct mx_case mx_cases[] = {
	{ "*.example.com", "mx.example.com", true },
	{ "*.example.com", "MX.Example.COM.", true },
	{ "*.example.com", "a.b.example.com", false },
	{ "*.example.com", "example.com", false },
	{ "*.example.com", ".example.com", false },
	{ "*.example.com", "mx.example.com.evil", false },
	{ "*.example.com", "mxexample.com", false },
	{ "*.example.com", "mx.example.comm", false },
	{ "*.example.com", "mx.xexample.com", false },
	{ "*.example.com", "", false },
	{ "*.example.com", ".", false },
	{ "mx.example.com", "mx.example.com", true },
	{ "mx.example.com", "MX.EXAMPLE.COM", true },
	{ "mx.example.com", "mx.example.com.", true },
	{ "mx.example.com", "mx.example.com..", false },
	{ "mx.example.com", "mx.example.co", false },
	{ "mx.example.com", "amx.example.com", false },
	{ "mx.example.com", "a.mx.example.com", false },
	{ "mx.example.com", "", false },
	{ "mx.example.com", ".", false },
};

START_TEST(mx_match)
{
	const struct mx_case *mc = &mx_cases[_i];

	ck_assert_msg(policy_mx_match(mc->pattern, mc->host) == mc->match,
	    "policy_mx_match(\"%s\", \"%s\") != %d", mc->pattern, mc->host,
	    mc->match);
}
END_TEST

START_TEST(host_allowed)
{
	ck_assert_int_eq(parse(V "mode: enforce\nmx: mx1.example.org\n"
	    "mx: *.backup.example.org\nmax_age: 1\n"), 0);
	ck_assert(policy_host_allowed(&pol, "mx1.example.org"));
	ck_assert(policy_host_allowed(&pol, "MX1.example.org."));
	ck_assert(policy_host_allowed(&pol, "b1.backup.example.org"));
	ck_assert(!policy_host_allowed(&pol, "mx2.example.org"));
	ck_assert(!policy_host_allowed(&pol, "backup.example.org"));
	ck_assert(!policy_host_allowed(&pol, "x.b1.backup.example.org"));
	policy_free(&pol);
	ck_assert(!policy_host_allowed(&pol, "mx1.example.org"));
}
END_TEST

START_TEST(mode_names)
{
	enum sts_mode m;

	ck_assert_str_eq(sts_mode_name(STS_MODE_ENFORCE), "enforce");
	ck_assert_str_eq(sts_mode_name(STS_MODE_TESTING), "testing");
	ck_assert_str_eq(sts_mode_name(STS_MODE_OFF), "off");
	ck_assert_int_eq(sts_mode_parse("enforce", false, &m), 0);
	ck_assert_int_eq(m, STS_MODE_ENFORCE);
	ck_assert_int_eq(sts_mode_parse("testing", false, &m), 0);
	ck_assert_int_eq(m, STS_MODE_TESTING);
	m = STS_MODE_ENFORCE;
	ck_assert_int_eq(sts_mode_parse("off", false, &m), 0);
	ck_assert_int_eq(m, STS_MODE_OFF);
	ck_assert_int_eq(sts_mode_parse("none", false, &m), -1);
	m = STS_MODE_ENFORCE;
	ck_assert_int_eq(sts_mode_parse("none", true, &m), 0);
	ck_assert_int_eq(m, STS_MODE_OFF);
	ck_assert_int_eq(sts_mode_parse("Enforce", true, &m), -1);
	ck_assert_int_eq(sts_mode_parse("", true, &m), -1);
}
END_TEST

/* --- policy_load ---------------------------------------------------------- */

static int
load(const char *name)
{
	char path[4096];

	errline = -1;
	err[0] = '\0';
	return policy_load(unit_data(path, sizeof(path), name), &pol, err,
	    sizeof(err), &errline);
}

START_TEST(load_enforce)
{
	ck_assert_int_eq(load("policy-enforce.txt"), 0);
	ck_assert_int_eq(pol.mode, STS_MODE_ENFORCE);
	ck_assert_int_eq(pol.max_age, 604800);
	ck_assert_uint_eq(pol.nmx, 2);
	ck_assert_str_eq(pol.mx[0], "mx1.example.org");
	ck_assert_str_eq(pol.mx[1], "*.mx.example.net");
	ck_assert(policy_host_allowed(&pol, "a.MX.example.net"));
}
END_TEST

START_TEST(load_crlf)
{
	ck_assert_int_eq(load("policy-crlf.txt"), 0);
	ck_assert_int_eq(pol.mode, STS_MODE_TESTING);
	ck_assert_int_eq(pol.max_age, 86400);
	ck_assert_uint_eq(pol.nmx, 1);
	ck_assert_str_eq(pol.mx[0], "mx.example.org");
}
END_TEST

START_TEST(load_none_and_testing)
{
	ck_assert_int_eq(load("policy-none.txt"), 0);
	ck_assert_int_eq(pol.mode, STS_MODE_OFF);
	ck_assert_uint_eq(pol.nmx, 0);
	policy_free(&pol);
	ck_assert_int_eq(load("policy-testing.txt"), 0);
	ck_assert_int_eq(pol.mode, STS_MODE_TESTING);
	ck_assert_uint_eq(pol.nmx, 1);
}
END_TEST

START_TEST(load_bad)
{
	ck_assert_int_eq(load("policy-bad.txt"), -1);
	ck_assert_int_eq(errline, 3);
	ck_assert_ptr_nonnull(strstr(err, "invalid mx pattern"));
	ck_assert_ptr_null(pol.mx);
}
END_TEST

START_TEST(load_empty)
{
	ck_assert_int_eq(load("policy-empty.txt"), -1);
	ck_assert_int_eq(errline, 0);
	ck_assert_ptr_nonnull(strstr(err, "empty policy"));
}
END_TEST

START_TEST(load_missing_file)
{
	ck_assert_int_eq(load("no-such-policy.txt"), -1);
	ck_assert_int_eq(errline, 0);
	ck_assert_ptr_nonnull(strstr(err, "cannot open"));
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
}
END_TEST

START_TEST(load_directory)
{
	char path[4096];

	ck_assert_int_eq(policy_load(unit_data(path, sizeof(path), "."),
	    &pol, err, sizeof(err), &errline), -1);
	ck_assert_int_eq(errline, 0);
	ck_assert_str_ne(err, "");
}
END_TEST

START_TEST(load_size_limit)
{
	char dir[4096], path[4200];
	char *buf;

	unit_tmpdir(dir, sizeof(dir));
	(void)snprintf(path, sizeof(path), "%s/policy.txt", dir);
	buf = policy_of_size(POLICY_MAX_BYTES);
	unit_write_file(path, buf, POLICY_MAX_BYTES, 0644);
	free(buf);
	ck_assert_int_eq(policy_load(path, &pol, err, sizeof(err), &errline),
	    0);
	ck_assert_int_eq(pol.mode, STS_MODE_ENFORCE);
	policy_free(&pol);

	buf = policy_of_size(POLICY_MAX_BYTES + 1);
	unit_write_file(path, buf, POLICY_MAX_BYTES + 1, 0644);
	free(buf);
	ck_assert_int_eq(policy_load(path, &pol, err, sizeof(err), &errline),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "larger than 65536"));
	ck_assert_int_eq(errline, 0);

	/* Far larger than the limit: still refused, not truncated. */
	buf = policy_of_size(3 * POLICY_MAX_BYTES);
	unit_write_file(path, buf, 3 * POLICY_MAX_BYTES, 0644);
	free(buf);
	ck_assert_int_eq(policy_load(path, &pol, err, sizeof(err), &errline),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "larger than 65536"));
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc;

	tc = tcase_create("valid");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, valid_lf);
	tcase_add_test(tc, valid_crlf);
	tcase_add_test(tc, valid_mixed_line_ends);
	tcase_add_test(tc, valid_no_final_newline);
	tcase_add_test(tc, valid_wildcard_mx);
	tcase_add_test(tc, valid_mode_none_without_mx);
	tcase_add_test(tc, valid_mode_none_with_mx);
	tcase_add_test(tc, valid_unknown_keys_ignored);
	tcase_add_test(tc, valid_whitespace_around_values);
	tcase_add_test(tc, valid_fields_in_any_order);
	tcase_add_test(tc, valid_trailing_blank_after_ext_value);
	tcase_add_test(tc, valid_max_age_bounds);
	tcase_add_test(tc, valid_256_mx_and_63_char_label);
	tcase_add_test(tc, mx_label_64_refused);
	tcase_add_test(tc, size_64k_exact_allowed);
	tcase_add_test(tc, size_64k_plus_one_refused);
	tcase_add_test(tc, policy_reuse_after_success);
	suite_add_tcase(s, tc);

	tc = tcase_create("invalid");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_loop_test(tc, invalid_policy, 0,
	    (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, lone_cr_at_end_refused);
	tcase_add_test(tc, error_without_errline_pointer);
	tcase_add_test(tc, error_message_is_bounded);
	suite_add_tcase(s, tc);

	tc = tcase_create("warnings");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, repeated_fields_warn);
	tcase_add_test(tc, repeated_same_value_warns);
	tcase_add_test(tc, no_warnings_for_a_clean_policy);
	tcase_add_test(tc, warnings_are_bounded);
	tcase_add_test(tc, no_warnings_with_an_invalid_policy);
	tcase_add_test(tc, load_keeps_warnings);
	suite_add_tcase(s, tc);

	tc = tcase_create("match");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_loop_test(tc, mx_match, 0,
	    (int)(sizeof(mx_cases) / sizeof(mx_cases[0])));
	tcase_add_test(tc, host_allowed);
	tcase_add_test(tc, mode_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, load_enforce);
	tcase_add_test(tc, load_crlf);
	tcase_add_test(tc, load_none_and_testing);
	tcase_add_test(tc, load_bad);
	tcase_add_test(tc, load_empty);
	tcase_add_test(tc, load_missing_file);
	tcase_add_test(tc, load_directory);
	tcase_add_test(tc, load_size_limit);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(policy_suite());
}
