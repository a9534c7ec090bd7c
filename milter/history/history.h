/*
 * history.h - the TLS history of sending networks, for downgrade
 * protection (README "Downgrade protection").
 *
 * Interface:
 *	history_open() opens the store a history_db value names:
 *	"lmdb:/path" or "redis:HOST:PORT" / "redis:unix:/path".
 *	history_start() starts the writer thread.  history_record() queues
 *	one accepted, non-exempt transaction (never blocks: a full queue
 *	drops the update and counts an error).  history_protected() asks
 *	whether a client's network is protected; only plaintext transactions
 *	ask, and the answer is bounded by the backend's timeout.
 *	history_lookup() returns the raw entry (for -H).  history_close()
 *	writes what is queued and releases everything.
 *
 * Failure modes: the history never stops mail.  When the store cannot be
 * opened, read or written, history_protected() answers "not protected",
 * the error is counted (history_errors(), the metric
 * mtasts_milter_history_errors_total{backend}) and logged at most once a
 * minute.
 */
#ifndef MTASTS_HISTORY_H
#define MTASTS_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/conf.h"
#include "history/history_backend.h"
#include "history/history_rule.h"


struct history;

struct history	*history_open(const struct history_config *, char *err,
		    size_t errlen);
int		 history_start(struct history *);
void		 history_close(struct history *);
void		 history_record(struct history *, const struct sockaddr *,
		    bool tls);
/* 1 protected, 0 not (or no entry), -1 the store could not answer. */
int		 history_protected(struct history *, const struct sockaddr *);
/* 1 found, 0 not found, -1 error; key receives the network key. */
int		 history_lookup(struct history *, const char *addr, char *key,
		    size_t keylen, struct history_entry *);
int		 history_walk(struct history *, history_walk_fn, void *arg);
/* Deletes entries unseen for history_expire (LMDB); count removed. */
int		 history_sweep(struct history *, size_t *removed);
bool		 history_entry_is_protected(const struct history *,
		    const struct history_entry *, int64_t now);
/* Writes everything queued so far (tests, shutdown). */
void		 history_flush(struct history *);
uint64_t	 history_errors(struct history *);
const char	*history_backend_name(const struct history *);

#endif
