/*
 * check_escape.c - unit tests of log value escaping (escape.c): every byte
 * that could start a new log line or forge a key is escaped, values are
 * quoted when they hold spaces, long values are cut with "...", and
 * kvline never lets a line overflow or carry a raw CR/LF; escape_bytes(),
 * the one escaper under every printer, gives each flag's form and stops
 * where its limit says.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/escape.h"
#include "unit.h"

static char out[ESCAPE_MAX_INPUT * 4 + 16];

static const char *
esc(const char *s)
{
	size_t n = escape_value(out, sizeof(out), s);

	ck_assert_uint_eq(n, strlen(out));
	return out;
}

/* No byte below 0x20, no DEL, nothing above 0x7e. */
static void
assert_clean(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		ck_assert_msg(*p >= 0x20 && *p < 0x7f, "raw byte 0x%02x in "
		    "\"%s\"", *p, s);
}

/*
 * Reverses escape_value() (quotes, \\, \", \xHH) so a round trip can be
 * checked; returns -1 on a malformed escape.
 */
static int
unescape(const char *s, char *dst, size_t dstlen)
{
	size_t len = strlen(s), o = 0, i;
	unsigned int v;

	if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
		s++;
		len -= 2;
	}
	for (i = 0; i < len; i++) {
		if (o + 1 >= dstlen)
			return -1;
		if (s[i] != '\\') {
			if (s[i] == '"')
				return -1;	/* unescaped quote */
			dst[o++] = s[i];
			continue;
		}
		if (i + 1 >= len)
			return -1;
		if (s[i + 1] == '\\' || s[i + 1] == '"') {
			dst[o++] = s[++i];
			continue;
		}
		if (s[i + 1] != 'x' || i + 3 >= len ||
		    sscanf(s + i + 2, "%2x", &v) != 1)
			return -1;
		dst[o++] = (char)v;
		i += 3;
	}
	dst[o] = '\0';
	return 0;
}

/*
 * The keys of a key=value line, split the way a log reader would: at
 * spaces outside double quotes, honouring backslash escapes.
 */
static const char *
keys_of(const char *line)
{
	static char keys[512];
	size_t o = 0;
	bool quoted = false, in_key = true;

	for (; *line != '\0'; line++) {
		if (*line == '\\' && line[1] != '\0') {
			line++;
			continue;
		}
		if (*line == '"')
			quoted = !quoted;
		else if (*line == ' ' && !quoted) {
			keys[o++] = ',';
			in_key = true;
		} else if (*line == '=' && !quoted && in_key)
			in_key = false;
		else if (in_key && o + 2 < sizeof(keys))
			keys[o++] = *line;
	}
	keys[o] = '\0';
	return keys;
}

/* --- escape_value --------------------------------------------------------- */

struct esc_case {
	const char	*in;
	const char	*out;
};

static const struct esc_case esc_cases[] = {
	{ "mail.example.net", "mail.example.net" },
	{ "<a@example.net>", "<a@example.net>" },
	{ "[192.0.2.7]", "[192.0.2.7]" },
	{ "", "\"\"" },
	{ "a b", "\"a b\"" },
	{ " ", "\" \"" },
	{ "a=b", "\"a=b\"" },
	{ "say \"hi\"", "\"say \\\"hi\\\"\"" },
	{ "\"", "\"\\\"\"" },
	{ "back\\slash", "back\\\\slash" },
	{ "\\x0a", "\\\\x0a" },
	{ "a\rb", "a\\x0db" },
	{ "a\nb", "a\\x0ab" },
	{ "\r\n", "\\x0d\\x0a" },
	{ "a\tb", "a\\x09b" },
	{ "\x01", "\\x01" },
	{ "\x1f", "\\x1f" },
	{ "x\x01\x02y", "x\\x01\\x02y" },
	{ "\x7f", "\\x7f" },
	{ "~", "~" },
	{ "\x80", "\\x80" },
	{ "\xff", "\\xff" },
	{ "caf\xc3\xa9", "caf\\xc3\\xa9" },
	{ "\x1b[31mred", "\\x1b[31mred" },
	{ "x\r\nX-Evil: 1", "\"x\\x0d\\x0aX-Evil: 1\"" },
	{ "key=value other=1", "\"key=value other=1\"" },
};

START_TEST(escape_table)
{
	const struct esc_case *c = &esc_cases[_i];

	ck_assert_str_eq(esc(c->in), c->out);
	assert_clean(out);
}
END_TEST

START_TEST(escape_null_is_empty)
{
	ck_assert_str_eq(esc(NULL), "\"\"");
}
END_TEST

START_TEST(escape_every_byte)
{
	char in[4], back[16];
	int c;

	for (c = 1; c < 256; c++) {
		in[0] = 'a';
		in[1] = (char)c;
		in[2] = 'z';
		in[3] = '\0';
		(void)esc(in);
		assert_clean(out);
		ck_assert_msg(strchr(out, '\r') == NULL &&
		    strchr(out, '\n') == NULL, "byte 0x%02x", c);
		ck_assert_msg(unescape(out, back, sizeof(back)) == 0,
		    "byte 0x%02x: \"%s\" does not unescape", c, out);
		ck_assert_msg(strcmp(back, in) == 0, "byte 0x%02x: round trip "
		    "gave \"%s\"", c, back);
		if (c < 0x20 || c >= 0x7f)
			ck_assert_uint_eq(strlen(out), 6);	/* a\xHHz */
	}
}
END_TEST

START_TEST(escape_random_round_trip)
{
	char in[ESCAPE_MAX_INPUT + 1], back[ESCAPE_MAX_INPUT + 1];
	unsigned int seed = 12345, i, len, round;

	for (round = 0; round < 500; round++) {
		seed = seed * 1103515245U + 12345U;
		len = (seed >> 16) % (ESCAPE_MAX_INPUT + 1);
		for (i = 0; i < len; i++) {
			seed = seed * 1103515245U + 12345U;
			in[i] = (char)(1 + (seed >> 16) % 255);
		}
		in[len] = '\0';
		(void)esc(in);
		assert_clean(out);
		/* A token is one word: quoted iff it holds a space, = or ". */
		if (strpbrk(in, " =\"") != NULL || len == 0)
			ck_assert(out[0] == '"' && out[strlen(out) - 1] == '"');
		else
			ck_assert(strchr(out, ' ') == NULL && out[0] != '"');
		ck_assert_int_eq(unescape(out, back, sizeof(back)), 0);
		ck_assert_str_eq(back, in);
	}
}
END_TEST

START_TEST(escape_cut_at_256)
{
	char in[1024], want[1024];

	memset(in, 'a', ESCAPE_MAX_INPUT);
	in[ESCAPE_MAX_INPUT] = '\0';
	ck_assert_str_eq(esc(in), in);			/* exactly 256: kept */
	in[ESCAPE_MAX_INPUT] = 'b';
	in[ESCAPE_MAX_INPUT + 1] = '\0';
	memcpy(want, in, ESCAPE_MAX_INPUT);
	memcpy(want + ESCAPE_MAX_INPUT, "...", 4);
	ck_assert_str_eq(esc(in), want);		/* 257: cut */
	ck_assert_ptr_null(strchr(out, 'b'));
	memset(in, 'c', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	(void)esc(in);
	ck_assert_uint_eq(strlen(out), ESCAPE_MAX_INPUT + 3);
	ck_assert_str_eq(out + ESCAPE_MAX_INPUT, "...");
}
END_TEST

START_TEST(escape_cut_worst_case)
{
	char in[600], want[ESCAPE_MAX_INPUT * 4 + 8];
	size_t i;

	/* 600 LFs: 256 of them escaped (4 bytes each), then "...". */
	memset(in, '\n', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	for (i = 0; i < ESCAPE_MAX_INPUT; i++)
		memcpy(want + 4 * i, "\\x0a", 4);
	memcpy(want + 4 * ESCAPE_MAX_INPUT, "...", 4);
	ck_assert_str_eq(esc(in), want);
	assert_clean(out);
	/* 300 quotes: quoted, each one escaped. */
	memset(in, '"', 300);
	in[300] = '\0';
	(void)esc(in);
	ck_assert_uint_eq(strlen(out), 1 + 2 * ESCAPE_MAX_INPUT + 3 + 1);
	ck_assert(out[0] == '"');
	ck_assert_str_eq(out + strlen(out) - 4, "...\"");
}
END_TEST

START_TEST(escape_small_buffer)
{
	char small[6];

	/* Never half a token: too small means an empty result. */
	memset(small, 'Z', sizeof(small));
	ck_assert_uint_eq(escape_value(small, sizeof(small), "abcdefgh"), 0);
	ck_assert_str_eq(small, "");
	ck_assert_uint_eq(escape_value(small, sizeof(small), "a\nb"), 0);
	ck_assert_str_eq(small, "");
	ck_assert_uint_eq(escape_value(small, sizeof(small), "abcde"), 5);
	ck_assert_str_eq(small, "abcde");
	ck_assert_uint_eq(escape_value(small, sizeof(small), "a b"), 5);
	ck_assert_str_eq(small, "\"a b\"");
	small[0] = 'Q';
	ck_assert_uint_eq(escape_value(small, 0, "abc"), 0);
	ck_assert_int_eq(small[0], 'Q');		/* untouched */
	ck_assert_uint_eq(escape_value(small, 1, "abc"), 0);
	ck_assert_str_eq(small, "");
}
END_TEST

/* --- escape_bytes --------------------------------------------------------- */

/* The form of one byte under flags, written out by hand. */
static const char *
want_form(unsigned char c, int flags, char *buf)
{
	if ((flags & ESCAPE_LOWER) != 0 && c >= 'A' && c <= 'Z')
		c = (unsigned char)(c - 'A' + 'a');
	if (c == '\\' || (c == '"' && (flags & ESCAPE_QUOTE) != 0))
		(void)snprintf(buf, 8, "\\%c", c);
	else if (c == ' ' && (flags & ESCAPE_SPACE) != 0)
		(void)snprintf(buf, 8, "\\x20");
	else if (c >= 0x20 && c < 0x7f)
		(void)snprintf(buf, 8, "%c", c);
	else
		(void)snprintf(buf, 8, "\\x%02x", c);
	return buf;
}

START_TEST(escape_bytes_every_byte_every_flag)
{
	char in[256], got[256 * ESCAPE_BYTE_MAX + 1], want[sizeof(got)];
	char form[8];
	size_t n, used, o;
	int flags, c;

	for (c = 0; c < 256; c++)
		in[c] = (char)c;
	for (flags = 0; flags < 8; flags++) {
		o = 0;
		for (c = 0; c < 256; c++) {
			(void)want_form((unsigned char)c, flags, form);
			memcpy(want + o, form, strlen(form));
			o += strlen(form);
		}
		memset(got, 'Q', sizeof(got));
		n = escape_bytes(got, SIZE_MAX, in, sizeof(in), flags, &used);
		ck_assert_uint_eq(used, sizeof(in));
		ck_assert_uint_eq(n, o);
		ck_assert_uint_eq(escape_bytes_len(in, sizeof(in), flags), o);
		ck_assert(memcmp(got, want, o) == 0);
		ck_assert_int_eq(got[n], 'Q');		/* no NUL added */
	}
}
END_TEST

START_TEST(escape_bytes_examples)
{
	char out2[64];
	size_t n;

	n = escape_bytes(out2, SIZE_MAX, "a \"\\\x01\xff", 6, 0, NULL);
	out2[n] = '\0';
	ck_assert_str_eq(out2, "a \"\\\\\\x01\\xff");
	n = escape_bytes(out2, SIZE_MAX, "a \"b", 4, ESCAPE_QUOTE, NULL);
	out2[n] = '\0';
	ck_assert_str_eq(out2, "a \\\"b");
	n = escape_bytes(out2, SIZE_MAX, "Mx.Example ORG", 14,
	    ESCAPE_SPACE | ESCAPE_LOWER, NULL);
	out2[n] = '\0';
	ck_assert_str_eq(out2, "mx.example\\x20org");
	/* A NUL inside the span is a byte like any other. */
	n = escape_bytes(out2, SIZE_MAX, "a\0b", 3, 0, NULL);
	out2[n] = '\0';
	ck_assert_str_eq(out2, "a\\x00b");
}
END_TEST

START_TEST(escape_bytes_limit)
{
	char out2[64];
	size_t n, used;

	/* A form is started only while the output is below the limit. */
	memset(out2, 'Q', sizeof(out2));
	n = escape_bytes(out2, 3, "abcdef", 6, 0, &used);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(used, 3);
	ck_assert(memcmp(out2, "abcQ", 4) == 0);
	/* ... and a started form is whole: limit + 3 bytes at most. */
	n = escape_bytes(out2, 3, "ab\n\n", 4, 0, &used);
	ck_assert_uint_eq(n, 6);
	ck_assert_uint_eq(used, 3);
	ck_assert(memcmp(out2, "ab\\x0aQ", 7) == 0);
	n = escape_bytes(out2, 0, "abc", 3, 0, &used);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(used, 0);
	n = escape_bytes(out2, 10, "abc", 3, 0, NULL);
	ck_assert_uint_eq(n, 3);
}
END_TEST

/* --- kvline --------------------------------------------------------------- */

START_TEST(kvline_basic)
{
	struct kvline kv;

	kvline_init(&kv);
	ck_assert_str_eq(kvline_str(&kv), "");
	kvline_add(&kv, "action", "reject");
	kvline_add(&kv, "reason", "plaintext");
	kvline_add(&kv, "client", "mail.example.net[192.0.2.7]");
	kvline_add(&kv, "helo", "my host");
	kvline_add(&kv, "from", "<a@example.net>");
	kvline_add(&kv, "id", "");
	ck_assert_str_eq(kvline_str(&kv), "action=reject reason=plaintext "
	    "client=mail.example.net[192.0.2.7] helo=\"my host\" "
	    "from=<a@example.net> id=\"\"");
	ck_assert(!kv.truncated);
	ck_assert_uint_eq(kv.len, strlen(kvline_str(&kv)));
}
END_TEST

START_TEST(kvline_injection)
{
	struct kvline kv;
	const char *s;

	kvline_init(&kv);
	kvline_add(&kv, "helo", "x\r\nX-Evil: 1");
	kvline_add(&kv, "from", "<a@b>\naction=accept");
	kvline_add(&kv, "rcpt", "\r\nmtasts-milter[1]: 4XyZ1: action=accept");
	s = kvline_str(&kv);
	ck_assert_ptr_null(strchr(s, '\r'));
	ck_assert_ptr_null(strchr(s, '\n'));
	assert_clean(s);
	ck_assert_str_eq(s, "helo=\"x\\x0d\\x0aX-Evil: 1\" "
	    "from=\"<a@b>\\x0aaction=accept\" "
	    "rcpt=\"\\x0d\\x0amtasts-milter[1]: 4XyZ1: action=accept\"");
	/* Three tokens: the forged "action=accept" stays inside quotes. */
	ck_assert_str_eq(keys_of(s), "helo,from,rcpt");
}
END_TEST

START_TEST(kvline_truncation)
{
	struct kvline kv;
	char value[ESCAPE_MAX_INPUT + 1], key[16], prev[KVLINE_MAX];
	const char *s, *mark = " truncated=yes";
	int i, added = 0;

	memset(value, 'A', ESCAPE_MAX_INPUT);
	value[ESCAPE_MAX_INPUT] = '\0';
	kvline_init(&kv);
	for (i = 0; i < 20; i++) {
		(void)snprintf(key, sizeof(key), "k%d", i);
		kvline_add(&kv, key, value);
		if (!kv.truncated)
			added++;
	}
	s = kvline_str(&kv);
	ck_assert(kv.truncated);
	ck_assert_uint_lt(strlen(s), KVLINE_MAX);
	ck_assert_uint_eq(kv.len, strlen(s));
	ck_assert_uint_gt(strlen(s), strlen(mark));
	ck_assert_str_eq(s + strlen(s) - strlen(mark), mark);
	ck_assert_uint_eq(unit_count(s, "truncated=yes"), 1);
	/* Cut at a token boundary: every token before the mark is whole. */
	ck_assert_int_eq(added, 7);	/* 7 * 259 + 6 spaces + 15 <= 2048 */
	ck_assert_uint_eq(strlen(s), (size_t)added * (3 + ESCAPE_MAX_INPUT) +
	    (size_t)(added - 1) + strlen(mark));
	/* Nothing is added after the mark. */
	(void)snprintf(prev, sizeof(prev), "%s", s);
	kvline_add(&kv, "late", "x");
	ck_assert_str_eq(kvline_str(&kv), prev);
}
END_TEST

START_TEST(kvline_worst_case_values)
{
	struct kvline kv;
	char value[ESCAPE_MAX_INPUT + 50];
	int i;

	/* Values that expand fourfold and are cut: the line stays bounded,
	 * clean, and ends with the mark. */
	memset(value, '\xff', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	kvline_init(&kv);
	for (i = 0; i < 10; i++)
		kvline_add(&kv, "v", value);
	ck_assert(kv.truncated);
	ck_assert_uint_lt(strlen(kvline_str(&kv)), KVLINE_MAX);
	assert_clean(kvline_str(&kv));
	ck_assert_str_eq(kvline_str(&kv) + kv.len - 14, " truncated=yes");
	ck_assert_uint_eq(unit_count(kvline_str(&kv), "v="), 1);
}
END_TEST

START_TEST(kvline_fills_exactly)
{
	struct kvline kv;
	char value[256];

	/* Tokens are added while they and the mark still fit. */
	kvline_init(&kv);
	kvline_add(&kv, "a", "b");
	memset(value, 'x', 200);
	value[200] = '\0';
	while (!kv.truncated && kv.len + 3 + 200 + 15 <= KVLINE_MAX)
		kvline_add(&kv, "k", value);
	ck_assert(!kv.truncated);
	kvline_add(&kv, "k", value);
	ck_assert(kv.truncated);
	ck_assert_uint_lt(kv.len, KVLINE_MAX);
}
END_TEST

START_TEST(kvline_prefix)
{
	struct kvline kv, plain;
	char value[ESCAPE_MAX_INPUT + 1], longid[400];
	int i;

	kvline_init_prefix(&kv, "4XyZ1");
	ck_assert_str_eq(kvline_str(&kv), "4XyZ1: ");
	kvline_add(&kv, "action", "reject");
	kvline_add(&kv, "helo", "my host");
	ck_assert_str_eq(kvline_str(&kv),
	    "4XyZ1: action=reject helo=\"my host\"");
	ck_assert_uint_eq(kvline_len(&kv), strlen(kvline_str(&kv)));
	/* A hostile prefix is one escaped token. */
	kvline_init_prefix(&kv, "a\nb: action=accept");
	kvline_add(&kv, "k", "v");
	ck_assert_str_eq(kvline_str(&kv), "\"a\\x0ab: action=accept\": k=v");
	/* One too long for KVLINE_PREFIX_MAX is empty, never cut. */
	memset(longid, '\x01', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	kvline_init_prefix(&kv, longid);
	kvline_add(&kv, "k", "v");
	ck_assert_str_eq(kvline_str(&kv), ": k=v");
	/* The prefix does not count against KVLINE_MAX: the same cut. */
	memset(value, 'A', ESCAPE_MAX_INPUT);
	value[ESCAPE_MAX_INPUT] = '\0';
	kvline_init_prefix(&kv, "ID");
	kvline_init(&plain);
	for (i = 0; i < 20; i++) {
		kvline_add(&kv, "k", value);
		kvline_add(&plain, "k", value);
	}
	ck_assert(kv.truncated && plain.truncated);
	ck_assert_str_eq(kvline_str(&kv) + 4, kvline_str(&plain));
	ck_assert_uint_eq(kvline_len(&kv), kvline_len(&plain) + 4);
}
END_TEST

static Suite *
escape_suite(void)
{
	Suite *s = suite_create("escape");
	TCase *tc;

	tc = tcase_create("escape_value");
	tcase_set_timeout(tc, 60);		/* sanitizer builds are slow */
	tcase_add_loop_test(tc, escape_table, 0,
	    (int)(sizeof(esc_cases) / sizeof(esc_cases[0])));
	tcase_add_test(tc, escape_null_is_empty);
	tcase_add_test(tc, escape_every_byte);
	tcase_add_test(tc, escape_random_round_trip);
	tcase_add_test(tc, escape_cut_at_256);
	tcase_add_test(tc, escape_cut_worst_case);
	tcase_add_test(tc, escape_small_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("escape_bytes");
	tcase_add_test(tc, escape_bytes_every_byte_every_flag);
	tcase_add_test(tc, escape_bytes_examples);
	tcase_add_test(tc, escape_bytes_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("kvline");
	tcase_add_test(tc, kvline_basic);
	tcase_add_test(tc, kvline_injection);
	tcase_add_test(tc, kvline_truncation);
	tcase_add_test(tc, kvline_worst_case_values);
	tcase_add_test(tc, kvline_fills_exactly);
	tcase_add_test(tc, kvline_prefix);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(escape_suite());
}
