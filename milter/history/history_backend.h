/*
 * history_backend.h - what a history store (LMDB, Redis) provides.
 *
 * Interface: a backend is a vtable and an opaque handle.
 *	get()	reads one network's entry: 1 found, 0 not found, -1 error.
 *		May be called from any milter thread at once.
 *	apply()	adds a batch of transactions (read-modify-write per key);
 *		called from the writer thread only.  Entries get a lifetime of
 *		expire seconds from their last write.
 *	sweep()	deletes entries unseen for expire seconds (NULL when the
 *		store expires entries itself, as Redis does with TTLs).
 *	walk()	calls fn for every entry (for "-H"); NULL when unsupported.
 *	close()	releases everything.
 * Errors are written into err (one line, no newline) for the caller to
 * log and count; a backend never logs and never blocks longer than its
 * configured timeout.
 */
#ifndef MTASTS_HISTORY_BACKEND_H
#define MTASTS_HISTORY_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "history/history_rule.h"

struct history_update {
	char	key[HISTORY_KEY_MAX];
	int	tls;		/* 1 TLS, 0 plaintext */
	int64_t	when;
};

typedef int (*history_walk_fn)(void *arg, const char *key,
    const struct history_entry *);

struct history_backend {
	const char	*name;		/* "lmdb", "redis": metric label */
	int	(*get)(void *, const char *key, struct history_entry *,
		    char *err, size_t errlen);
	int	(*apply)(void *, const struct history_update *, size_t n,
		    long expire, char *err, size_t errlen);
	int	(*sweep)(void *, int64_t now, long expire, size_t *removed,
		    char *err, size_t errlen);
	int	(*walk)(void *, history_walk_fn, void *arg, char *err,
		    size_t errlen);
	void	(*close)(void *);
};

#endif
