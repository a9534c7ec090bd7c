/*
 * downgrade.c - the daemon's TLS history (downgrade.h).
 *
 * One store for the life of the process: milter threads read the pointer
 * with one atomic load, and only the main thread (start-up) and the
 * signal thread (reload) ever set it.  It is never closed: the process
 * may exit while milter threads still run, so downgrade_stop() only
 * writes what is queued.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/downgrade.h"
#include "history/history.h"
#include "lib/log.h"

static _Atomic(struct history *) store;
static char	 opened_db[1024];
static bool	 open_failed;
static atomic_uint_fast64_t failed_opens;

void
downgrade_config(const struct conf *c, struct history_config *hc)
{
	*hc = c->history;
}

static void
open_store(const struct conf *c)
{
	struct history_config hc;
	struct history *h;
	char err[512];

	downgrade_config(c, &hc);
	(void)snprintf(opened_db, sizeof(opened_db), "%s", c->history.db);
	if ((h = history_open(&hc, err, sizeof(err))) == NULL) {
		open_failed = true;
		atomic_fetch_add(&failed_opens, 1);
		log_errorx("history off (downgrade protection inactive): %s",
		    err);
		return;
	}
	if (history_start(h) != 0) {
		log_errorx("history off: cannot start its writer thread");
		history_close(h);
		open_failed = true;
		atomic_fetch_add(&failed_opens, 1);
		return;
	}
	log_info("history: %s, downgrade=%s", c->history.db,
	    downgrade_mode_name(c->downgrade));
	atomic_store(&store, h);
}

void
downgrade_start(const struct conf *c)
{
	if (c->downgrade != DOWNGRADE_OFF)
		open_store(c);
}

void
downgrade_reload(const struct conf *c)
{
	if (c->downgrade == DOWNGRADE_OFF)
		return;
	if (atomic_load(&store) == NULL && !open_failed) {
		open_store(c);
		return;
	}
	if (strcmp(opened_db, c->history.db) != 0)
		log_warnx("history_db changed to %s: it takes effect at the next "
		    "start (still using %s)", c->history.db, opened_db);
}

/*
 * Writes what is queued.  The store stays open: milter threads may still
 * run while the process exits (signals.c leaves after a grace period).
 */
void
downgrade_stop(void)
{
	history_flush(atomic_load(&store));
}

int
downgrade_protected(const struct sockaddr *sa)
{
	struct history *h = atomic_load(&store);

	return h != NULL ? history_protected(h, sa) : -1;
}

void
downgrade_record(const struct sockaddr *sa, bool tls)
{
	struct history *h = atomic_load(&store);

	if (h != NULL)
		history_record(h, sa, tls);
}

uint64_t
downgrade_errors(void)
{
	return history_errors(atomic_load(&store)) +
	    atomic_load(&failed_opens);
}

const char *
downgrade_backend(void)
{
	struct history *h = atomic_load(&store);

	if (h != NULL)
		return history_backend_name(h);
	return strncmp(opened_db, "redis:", 6) == 0 ? "redis" : "lmdb";
}

struct protected_count {
	struct history	*h;
	int64_t		 now;
	long		 n;
};

static int
count_one(void *arg, const char *key, const struct history_entry *e)
{
	struct protected_count *pc = arg;

	(void)key;
	if (history_entry_is_protected(pc->h, e, pc->now))
		pc->n++;
	return 0;
}

long
downgrade_count_protected(void)
{
	struct protected_count pc;

	if ((pc.h = atomic_load(&store)) == NULL)
		return -1;
	pc.now = (int64_t)time(NULL);
	pc.n = 0;
	if (history_walk(pc.h, count_one, &pc) != 0)
		return -1;
	return pc.n;
}
