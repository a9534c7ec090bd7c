/*
 * selfcheck.h - the self-check: a thread that probes the STARTTLS of the
 * MTA this milter serves (self_check = "HOST:PORT"), so that a local TLS
 * outage turns plaintext rejections into temporary failures instead of
 * bouncing every sender (README "When your own TLS breaks").
 *
 * Interface: selfcheck_start() starts the probe thread (it idles while
 * self_check is empty); selfcheck_reload() makes it pick up a new
 * configuration at once.  selfcheck_outage() is the one atomic load the
 * milter threads make per transaction.  selfcheck_note_transaction() counts
 * consecutive plaintext, non-exempt transactions: the 20th in a row asks
 * for a probe at once instead of at the next interval.  The accessors give
 * the statistics: state, last successful handshake, notAfter of the MTA's
 * certificate.
 *
 * Failure modes: the probe thread never blocks a milter thread; a probe
 * that fails in any way is a state (smtp_probe.h), never an error of the
 * daemon.  If the thread cannot be started the state stays unknown and
 * replies never change (logged).
 */
#ifndef MTASTS_SELFCHECK_H
#define MTASTS_SELFCHECK_H

#include <stdbool.h>
#include <time.h>

#include "daemon/selfcheck_state.h"

#define SELFCHECK_PLAINTEXT_TRIGGER	20

int			selfcheck_start(void);
void			selfcheck_reload(void);
bool			selfcheck_outage(void);
void			selfcheck_note_transaction(bool plaintext);
enum selfcheck_state	selfcheck_state(void);
bool			selfcheck_enabled(void);
time_t			selfcheck_last_success(void);
time_t			selfcheck_cert_expiry(void);

#endif
