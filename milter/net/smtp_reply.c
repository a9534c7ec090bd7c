/*
 * smtp_reply.c - the SMTP reply parser of the STARTTLS probe.
 *
 * No I/O and no allocation: the reader (smtp_probe.c) hands in lines, the
 * fuzzer hands in buffers.  Lengths are checked before every copy; text
 * may contain any byte, including NUL, and is cut at SMTP_TEXT_MAX.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "net/smtp_reply.h"

void
smtp_reply_init(struct smtp_reply *r)
{
	memset(r, 0, sizeof(*r));
}

static enum smtp_reply_state
bad(struct smtp_reply *r, const char *why)
{
	(void)snprintf(r->err, sizeof(r->err), "%s", why);
	return SMTP_REPLY_BAD;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "KEYWORD params": records the keyword of one EHLO line. */
static void
note_extension(struct smtp_reply *r, const char *s, size_t len)
{
	size_t k = 0, o = strlen(r->ext);

	/* ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") */
	while (k < len && k < 64 && (isalnum((unsigned char)s[k]) ||
	    (k > 0 && s[k] == '-')))
		k++;
	if (k == 0 || (k < len && s[k] != ' '))
		return;		/* not a keyword: ignored */
	if (k == 8 && strncasecmp(s, "STARTTLS", 8) == 0)
		r->starttls = true;
	else if (k == 10 && strncasecmp(s, "REQUIRETLS", 10) == 0)
		r->requiretls = true;
	if (o + k + 2 <= sizeof(r->ext)) {
		if (o > 0)
			r->ext[o++] = ' ';
		memcpy(r->ext + o, s, k);
		r->ext[o + k] = '\0';
	}
}

enum smtp_reply_state
smtp_reply_feed(struct smtp_reply *r, const char *line, size_t len)
{
	size_t tlen;
	int code;

	if (len + 2 > SMTP_LINE_MAX)
		return bad(r, "reply line longer than 1000 bytes");
	if (r->nlines >= SMTP_REPLY_LINES)
		return bad(r, "reply longer than 100 lines");
	if (len < 3 || !is_digit(line[0]) || !is_digit(line[1]) ||
	    !is_digit(line[2]) || line[0] < '1' || line[0] > '5' ||
	    (len > 3 && line[3] != ' ' && line[3] != '-'))
		return bad(r, "malformed reply line");
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (r->nlines > 0 && code != r->code)
		return bad(r, "reply lines with different codes");
	r->code = code;
	tlen = len > 4 ? len - 4 : 0;
	if (r->nlines == 0) {
		if (tlen >= sizeof(r->text))
			tlen = sizeof(r->text) - 1;
		memcpy(r->text, line + 4, tlen);
		r->text[tlen] = '\0';
	} else
		note_extension(r, line + 4, tlen);
	r->nlines++;
	return len > 3 && line[3] == '-' ? SMTP_REPLY_MORE : SMTP_REPLY_DONE;
}

enum smtp_reply_state
smtp_reply_parse(struct smtp_reply *r, const char *buf, size_t len)
{
	enum smtp_reply_state st = SMTP_REPLY_MORE;
	const char *nl;
	size_t pos = 0, l;

	smtp_reply_init(r);
	while (st == SMTP_REPLY_MORE && pos < len) {
		nl = memchr(buf + pos, '\n', len - pos);
		l = nl != NULL ? (size_t)(nl - (buf + pos)) : len - pos;
		if (nl != NULL && l > 0 && buf[pos + l - 1] == '\r')
			st = smtp_reply_feed(r, buf + pos, l - 1);
		else
			st = smtp_reply_feed(r, buf + pos, l);
		pos += l + 1;
	}
	return st;
}
