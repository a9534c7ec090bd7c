/*
 * fuzz_smtpreply.c - libFuzzer target for the SMTP reply parser
 * (net/smtp_reply.h), the code that reads what a hostile MX sends.
 *
 * Input: any bytes, parsed as one reply by smtp_reply_parse() (lines end
 * in LF, NUL bytes included).  Checks what smtp_reply.h promises: the
 * state is one of the three; a complete reply has a code 100..599 and
 * 1..100 lines; text, ext and err are NUL-terminated within their arrays;
 * ext holds only ehlo-keywords, and a STARTTLS or REQUIRETLS keyword in
 * it has its flag set; and feeding the same lines one by one gives the same
 * verdict.
 */
#include <strings.h>
#include <ctype.h>

#include "fuzz.h"
#include "net/smtp_reply.h"

/* The same reply fed line by line, through a copy of each line. */
static enum smtp_reply_state
feed_lines(struct smtp_reply *r, const char *buf, size_t len)
{
	enum smtp_reply_state st = SMTP_REPLY_MORE;
	const char *nl;
	size_t pos = 0, l;
	char *copy;

	smtp_reply_init(r);
	while (st == SMTP_REPLY_MORE && pos < len) {
		nl = memchr(buf + pos, '\n', len - pos);
		l = nl != NULL ? (size_t)(nl - (buf + pos)) : len - pos;
		if (nl != NULL && l > 0 && buf[pos + l - 1] == '\r')
			l--;
		copy = malloc(l > 0 ? l : 1);
		CHECK(copy != NULL);
		memcpy(copy, buf + pos, l);
		st = smtp_reply_feed(r, copy, l);
		free(copy);
		pos = nl != NULL ? (size_t)(nl - buf) + 1 : len;
	}
	return st;
}

/* ext holds keywords only; one of them STARTTLS means the flag is set. */
static void
check_keywords(const struct smtp_reply *r)
{
	char ext[SMTP_EXT_MAX], *tok, *save = NULL;
	const char *p;

	for (p = r->ext; *p != '\0'; p++)
		CHECK(isalnum((unsigned char)*p) || *p == '-' || *p == ' ');
	memcpy(ext, r->ext, sizeof(ext));
	for (tok = strtok_r(ext, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		if (strcasecmp(tok, "STARTTLS") == 0)
			CHECK(r->starttls);
		if (strcasecmp(tok, "REQUIRETLS") == 0)
			CHECK(r->requiretls);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_reply a, b;
	enum smtp_reply_state sa, sb;

	sa = smtp_reply_parse(&a, (const char *)data, size);
	CHECK(sa == SMTP_REPLY_MORE || sa == SMTP_REPLY_DONE ||
	    sa == SMTP_REPLY_BAD);
	CHECK(memchr(a.text, '\0', sizeof(a.text)) != NULL);
	CHECK(memchr(a.ext, '\0', sizeof(a.ext)) != NULL);
	CHECK(memchr(a.err, '\0', sizeof(a.err)) != NULL);
	CHECK(a.nlines <= SMTP_REPLY_LINES);
	if (sa == SMTP_REPLY_DONE) {
		CHECK(a.code >= 100 && a.code <= 599);
		CHECK(a.nlines >= 1);
	}
	if (sa == SMTP_REPLY_BAD)
		CHECK(a.err[0] != '\0');
	check_keywords(&a);
	sb = feed_lines(&b, (const char *)data, size);
	CHECK(sa == sb);
	CHECK(a.code == b.code && a.nlines == b.nlines);
	CHECK(a.starttls == b.starttls && a.requiretls == b.requiretls);
	CHECK(strcmp(a.text, b.text) == 0 && strcmp(a.ext, b.ext) == 0);
	return 0;
}
