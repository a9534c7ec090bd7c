/*
 * fuzz_http.c - libFuzzer target for the HTTP response parser
 * (net/http_parse.h), the bytes a hostile HTTPS server sends to -C.
 *
 * Input: byte 0 picks the body limit (0, 1, 16, 4096 or 65536: 0 is
 * refused) and how the rest is cut into feeds (1..63 bytes, or whole);
 * the rest is the response as read from the connection, which then ends.
 * Checks http_parse.h's promises: the result does not depend on how the
 * stream was cut (status, error text, and the body of a complete one); feed never uses more than
 * it was given and nothing after a complete response; an error is one
 * non-empty line; a complete response has a final status (200..999, 1xx
 * only as interim), a NUL-terminated body of at most the limit for 200
 * and none otherwise; Location and Content-Type fit their fields.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/http_parse.h"

#include "fuzz.h"

static const size_t limits[] = { 0, 1, 16, 4096, 65536 };

/* Feeds data in pieces of step bytes (0: at once), then ends the stream. */
static int
parse_in_steps(struct http_parser *p, const uint8_t *data, size_t size,
    size_t max, size_t step)
{
	size_t pos = 0, n, used;
	int rc = HTTP_PARSE_MORE;

	http_parser_init(p, max);
	while (rc == HTTP_PARSE_MORE && pos < size) {
		n = step == 0 || size - pos < step ? size - pos : step;
		rc = http_parse_feed(p, data + pos, n, &used);
		CHECK(used <= n);
		CHECK(rc != HTTP_PARSE_MORE || used == n);
		pos += used;
	}
	if (rc == HTTP_PARSE_MORE)
		rc = http_parse_eof(p);
	CHECK(rc == HTTP_PARSE_DONE || rc == HTTP_PARSE_ERROR);
	/* A finished parser stays finished. */
	CHECK(http_parse_eof(p) == rc);
	CHECK(http_parse_feed(p, (const uint8_t *)"x", 1, &used) == rc);
	CHECK(used == 0);
	return rc;
}

static void
check_result(const struct http_parser *p, int rc, size_t max)
{
	const struct http_result *r = &p->res;

	CHECK(memchr(r->location, '\0', sizeof(r->location)) != NULL);
	CHECK(memchr(r->content_type, '\0', sizeof(r->content_type)) != NULL);
	if (rc == HTTP_PARSE_ERROR) {
		CHECK(p->err[0] != '\0');
		CHECK(memchr(p->err, '\0', sizeof(p->err)) != NULL);
		CHECK(strchr(p->err, '\n') == NULL);
		return;
	}
	CHECK(r->status >= 200 && r->status <= 999);
	if (r->status != 200) {
		CHECK(r->body == NULL && r->len == 0);
		return;
	}
	CHECK(max > 0 && r->body != NULL && r->len <= max);
	CHECK(r->body[r->len] == '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_parser *whole, *cut;
	size_t max, step;
	int rc, rc2;

	if (size < 1 || size > 262144)
		return 0;
	max = limits[data[0] % 5];
	step = data[0] / 5 % 64;
	data++;
	size--;
	whole = malloc(sizeof(*whole));
	cut = malloc(sizeof(*cut));
	CHECK(whole != NULL && cut != NULL);
	rc = http_parse_response(whole, data, size, max);
	CHECK(rc == HTTP_PARSE_DONE || rc == HTTP_PARSE_ERROR);
	check_result(whole, rc, max);
	rc2 = parse_in_steps(cut, data, size, max, step == 0 ? 1 : step);
	check_result(cut, rc2, max);
	CHECK(rc2 == rc);
	CHECK(cut->res.status == whole->res.status);
	/* After an error the body is a partial one, to be thrown away. */
	if (rc == HTTP_PARSE_DONE) {
		CHECK(cut->res.len == whole->res.len);
		CHECK((cut->res.body == NULL) == (whole->res.body == NULL));
		if (whole->res.body != NULL)
			CHECK(memcmp(cut->res.body, whole->res.body,
			    whole->res.len) == 0);
	}
	CHECK(strcmp(cut->err, whole->err) == 0);
	CHECK(strcmp(cut->res.location, whole->res.location) == 0);
	http_parser_free(whole);
	http_parser_free(cut);
	CHECK(whole->res.body == NULL);
	free(whole);
	free(cut);
	return 0;
}
