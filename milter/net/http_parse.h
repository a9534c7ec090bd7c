/*
 * http_parse.h - parse one HTTP/1.x response from bytes already read.
 *
 * Interface: no I/O and no OpenSSL; bytes in, a result or an error out,
 * so the parser can be fuzzed alone.  http_parser_init() prepares a
 * parser for a body of at most max_body bytes.  http_parse_feed() takes
 * the next bytes of the stream (any split) and says how many it used;
 * it returns HTTP_PARSE_MORE while it needs more, HTTP_PARSE_DONE once
 * the response is complete (bytes after it are not used) and
 * HTTP_PARSE_ERROR with a one-line reason in p->err.  http_parse_eof()
 * tells it the stream ended: that completes a body delimited by the end
 * of the connection and is an error anywhere else.  http_parse_response()
 * does both for one whole buffer.  http_parse_in_body() says whether the
 * head is complete (for the caller's "reading the body" phase).
 * http_parser_free() releases the body.
 *
 * What is parsed: the status line ("HTTP/1.x NNN ..."), header fields
 * (Content-Length, Transfer-Encoding: chunked, Location, Content-Type;
 * others ignored), up to HTTP_MAX_INTERIM 1xx interim responses, then
 * for status 200 only a body framed by Content-Length, chunked coding
 * (trailers ignored) or the end of the stream.  Other statuses complete
 * with the head.
 *
 * Bounds: every line is shorter than HTTP_LINE_MAX; the head (all
 * interim heads included) uses at most HTTP_HEAD_MAX bytes, as does each
 * chunk size line with the CRLF and trailers after it; the body is never
 * more than max_body (0 < max_body <= 1 GiB) bytes.  The body buffer,
 * max_body + 1 bytes, is allocated when a status 200 head is complete.
 *
 * Failure modes: malformed status line or header, obsolete line folding,
 * conflicting or invalid Content-Length, an unsupported
 * Transfer-Encoding, both Transfer-Encoding and Content-Length, a line or
 * head over its bound, too many interim responses, a malformed chunk, a
 * body over max_body, out of memory, and the end of the stream before
 * the response is complete.  After an error the parser stays failed.
 * Text taken from the response (Location, Content-Type) is stored as
 * sent, truncated to its field; callers sanitise it before printing.
 */
#ifndef MTASTS_HTTP_PARSE_H
#define MTASTS_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_HEAD_MAX		16384
#define HTTP_LINE_MAX		4096
#define HTTP_MAX_INTERIM	5	/* 1xx responses skipped */

enum http_parse_rc {
	HTTP_PARSE_MORE,
	HTTP_PARSE_DONE,
	HTTP_PARSE_ERROR
};

struct http_result {
	int	 status;		/* 0 until a status line was read */
	char	*body;			/* status 200 only; NUL-terminated */
	size_t	 len;
	bool	 chunked;
	char	 location[256];
	char	 content_type[128];
};

struct http_parser {
	struct http_result	 res;
	char			 err[256];
	/* private */
	int			 state;
	size_t			 max_body;
	size_t			 head_left;	/* bytes the head may use */
	long long		 clen;		/* -1 when absent */
	bool			 te_chunked;	/* this head's framing */
	int			 interim;
	size_t			 want;		/* data bytes left */
	size_t			 chunk_size;
	size_t			 line_len;
	char			 line[HTTP_LINE_MAX];
};

void	http_parser_init(struct http_parser *, size_t);
int	http_parse_feed(struct http_parser *, const unsigned char *, size_t,
	    size_t *);
int	http_parse_eof(struct http_parser *);
bool	http_parse_in_body(const struct http_parser *);
int	http_parse_response(struct http_parser *, const unsigned char *,
	    size_t, size_t);
void	http_parser_free(struct http_parser *);

#endif
