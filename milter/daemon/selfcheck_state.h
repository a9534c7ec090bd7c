/*
 * selfcheck_state.h - the self-check's state machine: what the probes of
 * this MTA's own STARTTLS mean for the milter's replies.  Pure code.
 *
 * States:
 *	OK		STARTTLS offered and the handshake completes.
 *	OUTAGE		the MTA answers its banner and EHLO, but STARTTLS is
 *			not offered, refused or its handshake fails: senders
 *			fall back to plaintext through no fault of theirs, so
 *			the engine turns plaintext rejections into tempfails.
 *			Entered after two consecutive failed probes (the
 *			second made at once), left at the first success.
 *	UNREACHABLE	no connection, no banner, a 4xx/5xx banner or EHLO:
 *			nothing can be told, replies do not change.
 *	CERTIFICATE	TLS works but the chain, the name or the dates are
 *			bad: replies do not change (opportunistic senders get
 *			TLS), but MTA-STS senders will stop delivering.
 *	UNKNOWN		before the first probe (replies do not change).
 *
 * Interface: selfcheck_classify() turns a probe result into a class;
 * selfcheck_feed() advances the machine and says what to do: probe again
 * at once, and which log line to write (selfcheck_feed never logs).
 *
 * Failure modes: none.
 */
#ifndef MTASTS_SELFCHECK_STATE_H
#define MTASTS_SELFCHECK_STATE_H

#include <stdbool.h>
#include <time.h>

#include "net/smtp_probe.h"

#define SELFCHECK_OUTAGE_PROBES	2	/* consecutive failures to enter */
#define SELFCHECK_REMIND_SECS	86400	/* daily reminders */
#define SELFCHECK_EXPIRY_WARN	(14 * 86400)

enum selfcheck_state {
	SELFCHECK_UNKNOWN = 0,
	SELFCHECK_OK,
	SELFCHECK_OUTAGE,
	SELFCHECK_UNREACHABLE,
	SELFCHECK_CERTIFICATE,
	SELFCHECK_NSTATES
};

/* What one probe showed. */
enum selfcheck_class {
	SC_CLASS_OK = 0,	/* TLS and a good certificate */
	SC_CLASS_TLS_FAILED,	/* banner + EHLO fine, no working STARTTLS */
	SC_CLASS_UNREACHABLE,
	SC_CLASS_CERTIFICATE	/* TLS fine, certificate bad */
};

/* What the caller does after a probe. */
enum selfcheck_log {
	SC_LOG_NONE = 0,
	SC_LOG_OUTAGE_ENTER,	/* crit */
	SC_LOG_OUTAGE_LEAVE,	/* notice */
	SC_LOG_UNREACHABLE,	/* warning, once per state change */
	SC_LOG_CERTIFICATE,	/* warning, at change and daily */
	SC_LOG_RECOVERED	/* notice: back to ok from unreachable/cert */
};

struct selfcheck_sm {
	enum selfcheck_state	 state;
	int			 failures;	/* consecutive TLS_FAILED */
	time_t			 last_cert_warn;
	time_t			 last_expiry_warn;
};

struct selfcheck_step {
	enum selfcheck_log	 log;
	bool			 probe_again;	/* at once, not after interval */
	bool			 warn_expiry;	/* notAfter within 14 days */
	bool			 success;	/* handshake completed */
};

enum selfcheck_class	 selfcheck_classify(const struct smtp_probe_result *,
			    time_t now);
struct selfcheck_step	 selfcheck_feed(struct selfcheck_sm *,
			    enum selfcheck_class, time_t not_after, time_t now);
const char		*selfcheck_state_name(enum selfcheck_state);

#endif
