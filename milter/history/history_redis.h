/*
 * history_redis.h - the history in Redis (a fleet of MX hosts sharing it).
 *
 * Interface: history_redis_open() takes "HOST:PORT", "[V6]:PORT" or
 * "unix:/path", a key prefix and a timeout in milliseconds that bounds
 * every connect, read and write.  Each network is one Redis hash
 * PREFIX+KEY with fields t, p (counts) and ft, lt, fp, lp (first/last
 * seen), updated with HINCRBY/HSETNX/HSET and given a TTL of
 * history_expire at every write, so Redis itself forgets idle networks.
 *
 * Failure modes: open never fails on an unreachable server (the store
 * reconnects, at most once a second, and reports errors meanwhile); it
 * fails only on a malformed address.  An answer of the wrong type or
 * size (a key that is not a hash, a huge or non-numeric field) is an
 * error, never a history.
 */
#ifndef MTASTS_HISTORY_REDIS_H
#define MTASTS_HISTORY_REDIS_H

#include <stddef.h>

#include "history/history_backend.h"

extern const struct history_backend history_redis_backend;

void	*history_redis_open(const char *addr, const char *prefix,
	    long timeout_ms, char *err, size_t errlen);

#endif
