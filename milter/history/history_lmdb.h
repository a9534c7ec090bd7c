/*
 * history_lmdb.h - the history in an LMDB file (one host).
 *
 * Interface: history_lmdb_open() opens or creates PATH (a single file,
 * plus PATH-lock) with a map of max_mb MiB, the hard bound of its size.
 * Reads use read-only transactions from any thread; writes come from one
 * writer thread, one transaction per batch.
 *
 * Failure modes: open returns NULL with err filled (unwritable directory,
 * a file that is not an LMDB environment, a corrupt one); a full map makes
 * apply() fail with "map full" and the entries of that batch are lost —
 * the caller counts it, mail is never affected.
 */
#ifndef MTASTS_HISTORY_LMDB_H
#define MTASTS_HISTORY_LMDB_H

#include <stdbool.h>
#include <stddef.h>

#include "history/history_backend.h"

extern const struct history_backend history_lmdb_backend;

void	*history_lmdb_open(const char *path, long max_mb, bool readonly,
	    char *err, size_t errlen);

#endif
