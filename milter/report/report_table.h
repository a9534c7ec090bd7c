/*
 * report_table.h - counters keyed by a display string, for the rollout
 * report (one table per grouping: client, sender domain, TLS version).
 *
 * Interface:
 *	rtab_init() prepares an empty table with its own random SipHash key
 *	(getrandom(2)), so no log can be crafted to make its names collide.
 *	rtab_get() finds or adds the entry for a key (an open-addressing
 *	hash table, keyed SipHash-1-3, linear probing, grown at half load);
 *	the caller updates its counters.  rtab_sorted() returns the entries sorted by
 *	count (descending), ties by key (byte order); free the array with
 *	free(), not the entries.  rtab_free() releases everything.
 *
 * Failure modes: rtab_get() returns NULL when the table already holds
 * RTAB_MAX_KEYS keys or memory runs out; the caller counts that decision
 * as untracked, so memory stays bounded whatever the input.  rtab_sorted()
 * returns NULL when out of memory (and when the table is empty, with *n 0).
 */
#ifndef MTASTS_REPORT_TABLE_H
#define MTASTS_REPORT_TABLE_H

#include <stddef.h>

#include "lib/siphash.h"
#include "report/report_parse.h"

#define RTAB_MAX_KEYS	(1u << 20)

/* Where a decision was seen: a timestamp when the line had one. */
struct rwhere {
	const char		*file;	/* display name, outlives the table */
	unsigned long long	 line;
	char			 ts[RP_TS_MAX];
};

enum rcount {
	RC_REJECT = 0,		/* action=reject */
	RC_WOULD_REJECT,	/* action=would-reject */
	RC_PLAINTEXT,		/* reason=plaintext */
	RC_WEAK_TLS,		/* reason=weak-tls */
	RC_REQUIRETLS,		/* reason=requiretls-plaintext */
	RC_TEMPFAIL,		/* action=tempfail */
	RC_N
};

struct rentry {
	unsigned long long	 count;
	unsigned long long	 by[RC_N];
	struct rwhere		 first;
	struct rwhere		 last;
	size_t			 keylen;
	char			 key[];
};

struct rtab {
	struct rentry	**slots;
	size_t		  cap;		/* a power of two, or 0 */
	size_t		  n;
	struct siphash_key key;		/* per table, random */
};

void		  rtab_init(struct rtab *);
struct rentry	 *rtab_get(struct rtab *, const char *key, size_t keylen);
struct rentry	**rtab_sorted(const struct rtab *, size_t *n);
void		  rtab_free(struct rtab *);

#endif
