/*
 * smtp_reply.h - the SMTP reply parser of the STARTTLS probe (pure code).
 *
 * Interface: a struct smtp_reply collects one reply, line by line.
 * smtp_reply_init() empties it; smtp_reply_feed() takes one line without
 * its CR LF (as read from the network: any bytes, any length) and says
 * whether the reply goes on, is complete or is malformed.  A reply line is
 * "DDD-text" (more follow) or "DDD text" / "DDD" (the last); every line
 * must carry the same code.  For an EHLO reply, the keywords of the lines
 * after the first are the extensions: STARTTLS and REQUIRETLS are flagged,
 * and the keywords (up to SMTP_EXT_MAX bytes) are kept, blank-separated;
 * a line whose first word is not an RFC 5321 ehlo-keyword (letters,
 * digits, "-"; at most 64) adds no extension.
 * smtp_reply_parse() runs a whole buffer through the same code (for the
 * fuzzer and the unit tests); lines end in LF, a CR before it is dropped.
 *
 * Bounds: a line may be at most SMTP_LINE_MAX bytes with its CR LF and a
 * reply at most SMTP_REPLY_LINES lines; beyond that the reply is
 * malformed.  Text kept from the reply is stored as sent (up to
 * SMTP_TEXT_MAX bytes); callers sanitise it before printing.
 *
 * Failure modes: SMTP_REPLY_BAD with a one-line reason in err.
 */
#ifndef MTASTS_SMTP_REPLY_H
#define MTASTS_SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#define SMTP_LINE_MAX		1000	/* bytes, with CR LF */
#define SMTP_REPLY_LINES	100
#define SMTP_TEXT_MAX		128
#define SMTP_EXT_MAX		256

enum smtp_reply_state {
	SMTP_REPLY_MORE = 0,	/* a continuation line: feed the next one */
	SMTP_REPLY_DONE,	/* the last line was fed */
	SMTP_REPLY_BAD		/* malformed; see err */
};

struct smtp_reply {
	int		 code;			/* 100..599 once a line was fed */
	size_t		 nlines;
	char		 text[SMTP_TEXT_MAX];	/* the first line's text */
	char		 ext[SMTP_EXT_MAX];	/* EHLO keywords, blank-separated */
	bool		 starttls;
	bool		 requiretls;
	char		 err[96];
};

void	smtp_reply_init(struct smtp_reply *);
enum smtp_reply_state smtp_reply_feed(struct smtp_reply *, const char *line,
	    size_t len);
enum smtp_reply_state smtp_reply_parse(struct smtp_reply *, const char *buf,
	    size_t len);

#endif
