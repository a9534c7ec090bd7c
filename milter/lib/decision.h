/*
 * decision.h - the decision vocabulary: actions, reasons and modes.
 *
 * One table of names shared by whoever writes a decision (the engine,
 * the callbacks' log lines, the stats file) and whoever reads it back
 * (the -r report parser), so a reason added here is known to all of them.
 *
 * Interface:
 *	action_name(), reason_name(), sts_mode_name() give the names the
 *	milter logs ("would-reject", "weak-tls", "enforce"...); REASON_NONE
 *	is "".  action_lookup(), reason_lookup(), sts_mode_lookup() map a
 *	name given as (s, len) back to its value: only the loggable actions
 *	(below ACTION_COUNT), only the real reasons (not REASON_NONE).
 *	sts_mode_parse() reads a configuration's mode ("none", a policy
 *	file's spelling of off, only when allow_none).
 *
 * Failure modes: a value out of range is named "unknown"; the lookups
 * return -1 for an unknown name.  Pure functions.
 */
#ifndef MTASTS_DECISION_H
#define MTASTS_DECISION_H

#include <stdbool.h>
#include <stddef.h>

/* The three enforcement modes.  A policy's "none" is STS_MODE_OFF. */
enum sts_mode {
	STS_MODE_OFF = 0,
	STS_MODE_TESTING,
	STS_MODE_ENFORCE
};
#define STS_MODE_COUNT	3

enum action {
	ACTION_ACCEPT = 0,
	ACTION_REJECT,
	ACTION_WOULD_REJECT,
	ACTION_EXEMPT,
	ACTION_TEMPFAIL,	/* a 4xx: downgrade, local TLS outage */
	ACTION_PER_RCPT		/* MAIL FROM only: judge each RCPT TO */
};
#define ACTION_COUNT	5	/* the loggable ones, ACCEPT..TEMPFAIL */

enum reason {
	REASON_NONE = 0,
	REASON_PLAINTEXT,
	REASON_WEAK_TLS,
	REASON_REQUIRETLS_PLAINTEXT,
	REASON_NETWORK,
	REASON_AUTH,
	REASON_RECIPIENT,
	REASON_DOWNGRADE	/* plaintext from a network that uses TLS */
};
#define REASON_COUNT	8

/* network, auth, recipient: the reasons of action exempt. */
bool		 reason_is_exemption(enum reason);
const char	*action_name(enum action);
const char	*reason_name(enum reason);
/* "enforce", "testing", "off" (milter spelling); policy files say "none". */
const char	*sts_mode_name(enum sts_mode);

int		 action_lookup(const char *s, size_t len);
int		 reason_lookup(const char *s, size_t len);
int		 sts_mode_lookup(const char *s, size_t len);
/* Parses "enforce", "testing", "off" (and "none" when allow_none). */
int		 sts_mode_parse(const char *, bool allow_none, enum sts_mode *);

#endif
