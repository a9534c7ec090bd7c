/*
 * check_http.c - unit tests of the HTTP response parser (net/http_parse.c)
 * that -C uses on what an HTTPS server sends: the three body framings,
 * interim responses, redirects, every bound (line, head, body) and every
 * refusal with its exact message; each response is also parsed fed one
 * byte at a time, which must give the same answer.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/http_parse.h"
#include "unit.h"

#define POLICY	"version: STSv1\r\nmode: enforce\r\nmx: mx.example.org\r\n" \
		"max_age: 86400\r\n"

static struct http_parser p;

static void
teardown(void)
{
	http_parser_free(&p);
}

/* Parses text (whole, then byte by byte); returns the rc, p is the whole. */
static int
parse_max(const char *text, size_t max)
{
	static struct http_parser bytewise;
	size_t len = strlen(text), i, used;
	int rc, rc1 = HTTP_PARSE_MORE;

	http_parser_free(&p);
	rc = http_parse_response(&p, (const unsigned char *)text, len, max);
	http_parser_init(&bytewise, max);
	for (i = 0; i < len && rc1 == HTTP_PARSE_MORE; i++) {
		rc1 = http_parse_feed(&bytewise,
		    (const unsigned char *)text + i, 1, &used);
		ck_assert(used == 1 || (used == 0 && rc1 == HTTP_PARSE_ERROR));
	}
	if (rc1 == HTTP_PARSE_MORE)
		rc1 = http_parse_eof(&bytewise);
	ck_assert_int_eq(rc1, rc);
	ck_assert_str_eq(bytewise.err, p.err);
	ck_assert_int_eq(bytewise.res.status, p.res.status);
	if (rc == HTTP_PARSE_DONE) {
		ck_assert_uint_eq(bytewise.res.len, p.res.len);
		if (p.res.body != NULL)
			ck_assert_str_eq(bytewise.res.body, p.res.body);
	}
	http_parser_free(&bytewise);
	return rc;
}

static int
parse(const char *text)
{
	return parse_max(text, 65536);
}

static void
refused(const char *text, size_t max, const char *why)
{
	ck_assert_int_eq(parse_max(text, max), HTTP_PARSE_ERROR);
	ck_assert_str_eq(p.err, why);
}

START_TEST(test_content_length)
{
	ck_assert_int_eq(parse("HTTP/1.1 200 OK\r\nContent-Type:  text/plain "
	    "\r\nContent-Length: 67\r\n\r\n" POLICY), HTTP_PARSE_DONE);
	ck_assert_int_eq(p.res.status, 200);
	ck_assert_str_eq(p.res.body, POLICY);
	ck_assert_uint_eq(p.res.len, strlen(POLICY));
	ck_assert_str_eq(p.res.content_type, "text/plain");
	ck_assert(!p.res.chunked);
}
END_TEST

START_TEST(test_content_length_stops_there)
{
	const char *text = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n"
	    "abcEXTRA";
	size_t used;

	http_parser_init(&p, 100);
	ck_assert_int_eq(http_parse_feed(&p, (const unsigned char *)text,
	    strlen(text), &used), HTTP_PARSE_DONE);
	ck_assert_uint_eq(used, strlen(text) - 5);
	ck_assert_str_eq(p.res.body, "abc");
	ck_assert(http_parse_in_body(&p) == false);
}
END_TEST

START_TEST(test_chunked)
{
	ck_assert_int_eq(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked"
	    "\r\n\r\n5\r\nversi\r\n3e ; ext=1\r\non: STSv1\r\nmode: enforce\r\n"
	    "mx: mx.example.org\r\nmax_age: 86400\r\n\r\n0\r\nX-T: 1\r\n\r\n"),
	    HTTP_PARSE_DONE);
	ck_assert_str_eq(p.res.body, POLICY);
	ck_assert(p.res.chunked);
}
END_TEST

START_TEST(test_until_eof)
{
	ck_assert_int_eq(parse("HTTP/1.0 200 OK\n\n" POLICY), HTTP_PARSE_DONE);
	ck_assert_str_eq(p.res.body, POLICY);
	ck_assert_int_eq(parse("HTTP/1.0 200 OK\r\n\r\n"), HTTP_PARSE_DONE);
	ck_assert_str_eq(p.res.body, "");
}
END_TEST

START_TEST(test_redirect_has_no_body)
{
	ck_assert_int_eq(parse("HTTP/1.1 301 Moved\r\nLocation: https://x."
	    "example/p\r\n\r\nnot read"), HTTP_PARSE_DONE);
	ck_assert_int_eq(p.res.status, 301);
	ck_assert_str_eq(p.res.location, "https://x.example/p");
	ck_assert_ptr_null(p.res.body);
}
END_TEST

START_TEST(test_interim)
{
	char text[512] = "";
	int i;

	ck_assert_int_eq(parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 E"
	    "\r\nContent-Length: 9\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: "
	    "2\r\n\r\nok"), HTTP_PARSE_DONE);
	ck_assert_str_eq(p.res.body, "ok");
	for (i = 0; i < HTTP_MAX_INTERIM; i++)
		strcat(text, "HTTP/1.1 100 Continue\r\n\r\n");
	strcat(text, "HTTP/1.1 204 No Content\r\n\r\n");
	ck_assert_int_eq(parse(text), HTTP_PARSE_DONE);
	ck_assert_int_eq(p.res.status, 204);
	text[0] = '\0';
	for (i = 0; i <= HTTP_MAX_INTERIM; i++)
		strcat(text, "HTTP/1.1 100 Continue\r\n\r\n");
	refused(text, 100, "too many interim (1xx) responses");
}
END_TEST

START_TEST(test_refusals)
{
	refused("HTTP/1.1 2000 OK\r\n\r\n", 100, "malformed HTTP status line");
	refused("HTTP/2 200 OK\r\n\r\n", 100, "malformed HTTP status line");
	refused("HTTP/1.1 099 X\r\n\r\n", 100, "malformed HTTP status line");
	refused("HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", 100,
	    "obsolete folded HTTP header");
	refused("HTTP/1.1 200 OK\r\nNo colon\r\n\r\n", 100,
	    "malformed HTTP header");
	refused("HTTP/1.1 200 OK\r\nBad name: x\r\n\r\n", 100,
	    "malformed HTTP header");
	refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
	    100, "unsupported Transfer-Encoding \"gzip, chunked\"");
	refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Length: 1\r\n\r\n", 100,
	    "both Transfer-Encoding and Content-Length (refused)");
	refused("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2"
	    "\r\n\r\n", 100, "conflicting Content-Length headers");
	refused("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 100,
	    "invalid Content-Length");
	refused("HTTP/1.1 200 OK\r\nContent-Length: 1234567890123456789\r\n"
	    "\r\n", 100, "invalid Content-Length");
	refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "3\r\nabcX\r\n0\r\n\r\n", 100,
	    "malformed chunk (no CRLF after the data)");
	refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "123456789\r\n", 100, "chunk size too large");
	refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "x\r\n", 100, "malformed chunk size line");
	refused("HTTP/1.1 200 OK\r\n\r\n", 0, "invalid body limit");
}
END_TEST

START_TEST(test_truncated)
{
	refused("", 100, "connection closed in the HTTP status line");
	refused("HTTP/1.1 200 OK\r\nX: 1", 100,
	    "connection closed in the HTTP header");
	refused("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nversion", 100,
	    "connection closed after 7 of 50 body bytes");
	refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "10\r\nabc", 100, "connection closed after 3 of 16 body bytes");
	refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "3\r\nabc\r\n", 100, "connection closed in the chunk size line");
	refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "0\r\n", 100, "connection closed in the chunked trailer");
}
END_TEST

START_TEST(test_body_limit)
{
	ck_assert_int_eq(parse_max("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n"
	    "\r\nabcd", 4), HTTP_PARSE_DONE);
	refused("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcde", 4,
	    "response body larger than 4 bytes (Content-Length 5)");
	ck_assert_int_eq(parse_max("HTTP/1.1 200 OK\r\n\r\nabcd", 4),
	    HTTP_PARSE_DONE);
	refused("HTTP/1.1 200 OK\r\n\r\nabcde", 4,
	    "response body larger than 4 bytes");
	refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n", 4,
	    "response body larger than 4 bytes");
}
END_TEST

START_TEST(test_line_and_head_limits)
{
	char *text = malloc(HTTP_HEAD_MAX + 256);
	size_t i, n;

	ck_assert_ptr_nonnull(text);
	/* A header line of HTTP_LINE_MAX - 1 bytes with its LF: too long. */
	n = (size_t)sprintf(text, "HTTP/1.1 200 OK\r\nX: ");
	memset(text + n, 'a', HTTP_LINE_MAX - 1 - 3);
	n += HTTP_LINE_MAX - 1 - 3;
	strcpy(text + n, "\n\n");
	refused(text, 100, "HTTP header too long");
	/* One byte shorter fits. */
	strcpy(text + n - 1, "\n\n");
	ck_assert_int_eq(parse_max(text, 100), HTTP_PARSE_DONE);
	/* Short lines that add up to more than the head may use. */
	n = (size_t)sprintf(text, "HTTP/1.1 200 OK\r\n");
	for (i = 0; n + 20 < HTTP_HEAD_MAX + 100; i++)
		n += (size_t)sprintf(text + n, "X-%05zu: 123456789\r\n", i);
	strcpy(text + n, "\r\n");
	refused(text, 100, "HTTP header too long");
	free(text);
}
END_TEST

static Suite *
http_suite(void)
{
	Suite *s = suite_create("http_parse");
	TCase *tc = tcase_create("http_parse");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_content_length);
	tcase_add_test(tc, test_content_length_stops_there);
	tcase_add_test(tc, test_chunked);
	tcase_add_test(tc, test_until_eof);
	tcase_add_test(tc, test_redirect_has_no_body);
	tcase_add_test(tc, test_interim);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_body_limit);
	tcase_add_test(tc, test_line_and_head_limits);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(http_suite());
}
