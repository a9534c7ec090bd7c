/*
 * http_parse.c - parse one HTTP/1.x response from bytes already read.
 *
 * A push parser: http_parse_feed() takes whatever the caller has read,
 * collects lines in a fixed buffer and copies body bytes into one
 * allocation of max_body + 1 bytes, so a hostile server can make the
 * caller read (until its deadline) but not make us allocate more.  The
 * interface, bounds and failure modes are in http_parse.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/http_parse.h"

#define BODY_LIMIT_MAX	(1U << 30)

enum state {
	ST_STATUS,		/* lines */
	ST_HEADER,
	ST_CHUNK_SIZE,
	ST_CHUNK_CRLF,
	ST_TRAILER,
	ST_CLEN_BODY,		/* bytes */
	ST_CHUNK_DATA,
	ST_EOF_BODY,
	ST_DONE,
	ST_FAILED
};

static int
fail(struct http_parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(struct http_parser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->state != ST_FAILED) {	/* the first reason is the real one */
		va_start(ap, fmt);
		(void)vsnprintf(p->err, sizeof(p->err), fmt, ap);
		va_end(ap);
	}
	p->state = ST_FAILED;
	return HTTP_PARSE_ERROR;
}

/* What the line being collected is, for error messages. */
static const char *
line_name(int state)
{
	switch (state) {
	case ST_STATUS:
		return "HTTP status line";
	case ST_HEADER:
		return "HTTP header";
	case ST_CHUNK_SIZE:
		return "chunk size line";
	case ST_CHUNK_CRLF:
		return "chunk";
	default:
		return "chunked trailer";
	}
}

void
http_parser_init(struct http_parser *p, size_t max_body)
{
	memset(p, 0, sizeof(*p));
	p->state = ST_STATUS;
	p->max_body = max_body;
	p->head_left = HTTP_HEAD_MAX;
	p->clen = -1;
}

void
http_parser_free(struct http_parser *p)
{
	free(p->res.body);
	p->res.body = NULL;
	p->res.len = 0;
}

bool
http_parse_in_body(const struct http_parser *p)
{
	return p->state >= ST_CHUNK_SIZE && p->state <= ST_EOF_BODY;
}

/* "HTTP/1.x 200 reason": the code must be 100..599-ish, three digits. */
static int
parse_status(struct http_parser *p, const char *line)
{
	size_t len = strlen(line);

	if (len < 12 || strncmp(line, "HTTP/1.", 7) != 0 ||
	    !isdigit((unsigned char)line[7]) || line[8] != ' ' ||
	    strspn(line + 9, "0123456789") != 3 || line[9] == '0' ||
	    (line[12] != ' ' && line[12] != '\0'))
		return fail(p, "malformed HTTP status line");
	p->res.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 +
	    (line[11] - '0');
	p->clen = -1;
	p->te_chunked = false;
	p->state = ST_HEADER;
	return HTTP_PARSE_MORE;
}

static int
parse_length(struct http_parser *p, const char *v)
{
	long long n = 0;
	size_t i, len = strlen(v);

	if (len == 0 || len > 18 || strspn(v, "0123456789") != len)
		return fail(p, "invalid Content-Length");
	for (i = 0; i < len; i++)
		n = n * 10 + (v[i] - '0');
	if (p->clen != -1 && p->clen != n)
		return fail(p, "conflicting Content-Length headers");
	p->clen = n;
	return HTTP_PARSE_MORE;
}

static int
parse_header(struct http_parser *p, char *line)
{
	char *colon = strchr(line, ':'), *v, *e;

	if (line[0] == ' ' || line[0] == '\t')
		return fail(p, "obsolete folded HTTP header");
	if (colon == NULL || colon == line ||
	    strcspn(line, " \t") < (size_t)(colon - line))
		return fail(p, "malformed HTTP header");
	*colon = '\0';
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	for (e = v + strlen(v); e > v && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	*e = '\0';
	if (strcasecmp(line, "Content-Length") == 0)
		return parse_length(p, v);
	if (strcasecmp(line, "Transfer-Encoding") == 0) {
		if (strcasecmp(v, "chunked") != 0)
			return fail(p, "unsupported Transfer-Encoding "
			    "\"%.40s\"", v);
		p->te_chunked = true;
		p->res.chunked = true;
	} else if (strcasecmp(line, "Location") == 0)
		(void)snprintf(p->res.location, sizeof(p->res.location), "%s",
		    v);
	else if (strcasecmp(line, "Content-Type") == 0)
		(void)snprintf(p->res.content_type,
		    sizeof(p->res.content_type), "%s", v);
	return HTTP_PARSE_MORE;
}

static void
start_chunk_size(struct http_parser *p)
{
	p->head_left = HTTP_HEAD_MAX;
	p->state = ST_CHUNK_SIZE;
}

/* A status 200 head is complete: choose the body framing. */
static int
start_body(struct http_parser *p)
{
	if (p->max_body == 0 || p->max_body > BODY_LIMIT_MAX)
		return fail(p, "invalid body limit");
	if (p->clen > (long long)p->max_body)
		return fail(p, "response body larger than %zu bytes "
		    "(Content-Length %lld)", p->max_body, p->clen);
	if ((p->res.body = malloc(p->max_body + 1)) == NULL)
		return fail(p, "out of memory");
	p->res.body[0] = '\0';
	if (p->te_chunked)
		start_chunk_size(p);
	else if (p->clen >= 0) {
		p->want = (size_t)p->clen;
		p->state = p->want == 0 ? ST_DONE : ST_CLEN_BODY;
	} else
		p->state = ST_EOF_BODY;
	return p->state == ST_DONE ? HTTP_PARSE_DONE : HTTP_PARSE_MORE;
}

/* The empty line after the header fields. */
static int
end_head(struct http_parser *p)
{
	if (p->res.status < 200) {
		if (++p->interim > HTTP_MAX_INTERIM)
			return fail(p, "too many interim (1xx) responses");
		p->state = ST_STATUS;
		return HTTP_PARSE_MORE;
	}
	if (p->te_chunked && p->clen != -1)
		return fail(p, "both Transfer-Encoding and Content-Length "
		    "(refused)");
	if (p->res.status != 200) {
		p->state = ST_DONE;
		return HTTP_PARSE_DONE;
	}
	return start_body(p);
}

static int
parse_chunk_size(struct http_parser *p, const char *line)
{
	size_t n = 0, i;

	for (i = 0; isxdigit((unsigned char)line[i]); i++) {
		if (i == 8)
			return fail(p, "chunk size too large");
		n = n * 16 + (size_t)(isdigit((unsigned char)line[i]) ?
		    line[i] - '0' : tolower((unsigned char)line[i]) - 'a' + 10);
	}
	while (line[i] == ' ' || line[i] == '\t')
		i++;
	if (i == 0 || (line[i] != '\0' && line[i] != ';'))
		return fail(p, "malformed chunk size line");
	if (n == 0) {
		p->state = ST_TRAILER;
		return HTTP_PARSE_MORE;
	}
	if (n > p->max_body - p->res.len)
		return fail(p, "response body larger than %zu bytes",
		    p->max_body);
	p->chunk_size = p->want = n;
	p->state = ST_CHUNK_DATA;
	return HTTP_PARSE_MORE;
}

/* One complete line, without its CR LF. */
static int
end_line(struct http_parser *p)
{
	char *line = p->line;

	if (p->line_len > 0 && line[p->line_len - 1] == '\r')
		p->line_len--;
	line[p->line_len] = '\0';
	p->line_len = 0;
	switch (p->state) {
	case ST_STATUS:
		return parse_status(p, line);
	case ST_HEADER:
		return line[0] == '\0' ? end_head(p) : parse_header(p, line);
	case ST_CHUNK_SIZE:
		return parse_chunk_size(p, line);
	case ST_CHUNK_CRLF:
		if (line[0] != '\0')
			return fail(p, "malformed chunk (no CRLF after the "
			    "data)");
		start_chunk_size(p);
		return HTTP_PARSE_MORE;
	default:			/* trailer fields, ignored */
		if (line[0] != '\0')
			return HTTP_PARSE_MORE;
		p->state = ST_DONE;
		return HTTP_PARSE_DONE;
	}
}

/* Line states: one byte; every byte counts against the head budget. */
static int
line_byte(struct http_parser *p, unsigned char ch)
{
	if (p->head_left == 0 || p->line_len + 1 >= sizeof(p->line))
		return fail(p, "%s too long", line_name(p->state));
	p->head_left--;
	if (ch == '\n')
		return end_line(p);
	p->line[p->line_len++] = (char)ch;
	return HTTP_PARSE_MORE;
}

/* Body states: as many bytes as fit; returns how many were used. */
static size_t
body_bytes(struct http_parser *p, const unsigned char *buf, size_t len)
{
	struct http_result *r = &p->res;
	size_t k = len;

	if (p->state == ST_EOF_BODY) {
		if (k > p->max_body - r->len) {
			(void)fail(p, "response body larger than %zu bytes",
			    p->max_body);
			return 0;
		}
	} else if (k > p->want)
		k = p->want;
	memcpy(r->body + r->len, buf, k);
	r->len += k;
	r->body[r->len] = '\0';
	if (p->state == ST_EOF_BODY || (p->want -= k) > 0)
		return k;
	p->state = p->state == ST_CHUNK_DATA ? ST_CHUNK_CRLF : ST_DONE;
	return k;
}

int
http_parse_feed(struct http_parser *p, const unsigned char *buf, size_t len,
    size_t *used)
{
	size_t i = 0;
	int rc = p->state == ST_DONE ? HTTP_PARSE_DONE :
	    p->state == ST_FAILED ? HTTP_PARSE_ERROR : HTTP_PARSE_MORE;

	while (i < len && rc == HTTP_PARSE_MORE) {
		if (p->state >= ST_CLEN_BODY) {
			i += body_bytes(p, buf + i, len - i);
			rc = p->state == ST_DONE ? HTTP_PARSE_DONE :
			    p->state == ST_FAILED ? HTTP_PARSE_ERROR :
			    HTTP_PARSE_MORE;
		} else
			rc = line_byte(p, buf[i++]);
	}
	*used = i;
	return rc;
}

int
http_parse_eof(struct http_parser *p)
{
	size_t total;

	switch (p->state) {
	case ST_DONE:
		return HTTP_PARSE_DONE;
	case ST_FAILED:
		return HTTP_PARSE_ERROR;
	case ST_EOF_BODY:
		p->state = ST_DONE;
		return HTTP_PARSE_DONE;
	case ST_CLEN_BODY:
	case ST_CHUNK_DATA:
		total = p->state == ST_CLEN_BODY ? (size_t)p->clen :
		    p->chunk_size;
		return fail(p, "connection closed after %zu of %zu body bytes",
		    total - p->want, total);
	default:
		return fail(p, "connection closed in the %s",
		    line_name(p->state));
	}
}

int
http_parse_response(struct http_parser *p, const unsigned char *buf,
    size_t len, size_t max_body)
{
	size_t used;
	int rc;

	http_parser_init(p, max_body);
	if ((rc = http_parse_feed(p, buf, len, &used)) == HTTP_PARSE_MORE)
		rc = http_parse_eof(p);
	return rc;
}
