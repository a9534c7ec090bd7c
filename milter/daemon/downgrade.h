/*
 * downgrade.h - the daemon's one TLS history (milter/history/), opened
 * at start-up and kept across reloads.
 *
 * Interface: downgrade_start() opens the store the configuration names
 * when downgrade is not off (or a later reload turns it on) and starts its
 * writer; downgrade_reload() is called with every newly installed
 * configuration.  downgrade_protected() and downgrade_record() are called
 * from milter threads.  downgrade_stop() writes what is queued (at exit).
 *
 * Failure modes: a store that cannot be opened leaves the daemon running
 * with the history off (logged once, counted); no function here can stop
 * or delay mail beyond the store's own timeout.  history_db and the
 * history_* keys are read when the store is opened: a reload that changes
 * them is logged as taking effect at the next start.
 */
#ifndef MTASTS_DOWNGRADE_H
#define MTASTS_DOWNGRADE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "core/conf.h"
#include "history/history.h"

/* The store settings of a configuration (also for -H). */
void		downgrade_config(const struct conf *, struct history_config *);
void		downgrade_start(const struct conf *);
void		downgrade_reload(const struct conf *);
void		downgrade_stop(void);
/* 1 protected, 0 not, -1 unknown (no store, or it failed to answer). */
int		downgrade_protected(const struct sockaddr *);
void		downgrade_record(const struct sockaddr *, bool tls);
/* Metrics: the store's error count and backend; protected networks. */
uint64_t	downgrade_errors(void);
const char	*downgrade_backend(void);
long		downgrade_count_protected(void);

#endif
