/*
 * report_parse.h - parsing of the milter's decision log lines for the
 * rollout report (mtasts-milter -r).
 *
 * Interface:
 *	rp_parse() classifies one line (without its newline) as a decision,
 *	another line, or a malformed decision line.  Accepted shapes:
 *	    Mon DD HH:MM:SS host mtasts-milter[PID]: MSG	(BSD syslog)
 *	    2026-11-24T15:16:43.123456+00:00 host mtasts-milter[PID]: MSG
 *	    mtasts-milter[PID]: MSG, mtasts-milter: MSG (stderr of -f), MSG
 *	where MSG is "QUEUEID: key=value ..." as escape.c writes it.  A line
 *	with a syslog prefix but another program's tag is "other"; so is a
 *	line of ours whose message has no "action=".  A message with
 *	"action=" that does not parse is malformed: bad token syntax, a raw
 *	control or 8-bit byte, a bad escape, a duplicate known key, an
 *	unknown action/reason/stage/mode/tls value, or one that does not fit
 *	(reject without a reason, exempt without an exemption reason,
 *	reason=plaintext with a TLS version...).  Unknown keys are ignored.
 *	Lines over RP_LINE_MAX bytes are malformed.  On success the
 *	decision's spans point into the line.
 *	rp_canon() renders a value span as a display token: escapes are
 *	decoded and re-encoded so that the result holds only printable ASCII
 *	other than space (\xHH for anything else, \\ for a backslash), cut
 *	at RP_KEY_MAX bytes.  rp_domain() gives the display sender domain
 *	(lower case) of a from= value: what follows its last '@'.
 *
 * Failure modes: none; every input is classified, nothing is allocated.
 */
#ifndef MTASTS_REPORT_PARSE_H
#define MTASTS_REPORT_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/decision.h"	/* enum action, enum reason */

#define RP_LINE_MAX	8192	/* longer lines are malformed */
#define RP_TS_MAX	48	/* longest timestamp kept, with its NUL */
/* Longest display value; a longer one is cut and ends with "...". */
#define RP_KEY_MAX	512
/* Size of a display buffer for rp_canon() and rp_domain(). */
#define RP_CANON_MAX	(RP_KEY_MAX + 1)

enum rp_kind {
	RP_DECISION = 0,
	RP_OTHER,
	RP_MALFORMED
};

/* A value as it appears in the line, still escaped. */
struct rp_span {
	const char	*p;
	size_t		 len;
	bool		 present;
	bool		 quoted;	/* p/len exclude the quotes */
	bool		 bracketed;	/* from=<...>: p/len exclude <> */
};

struct rp_decision {
	char		 ts[RP_TS_MAX];	/* "" when the line has none */
	enum action	 action;
	enum reason	 reason;
	struct rp_span	 tls;		/* "none" or a version */
	struct rp_span	 stage;
	struct rp_span	 client;
	struct rp_span	 from;
	struct rp_span	 network;	/* reason=downgrade: the network */
};

enum rp_kind	 rp_parse(const char *line, size_t len, struct rp_decision *);
/*
 * dst holds RP_CANON_MAX bytes; returns the length.  rp_canon() gives "-"
 * for an absent or empty value; rp_domain() gives "<>" for the null
 * sender and "-" when there is no from= or no domain.
 */
size_t		 rp_canon(char *dst, const struct rp_span *s, bool lower);
size_t		 rp_domain(char *dst, const struct rp_span *from);

#endif
