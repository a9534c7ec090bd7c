/*
 * history.c - the history front end (history.h): backend choice, the
 * writer queue and the never-stop-mail error policy.
 *
 * Layer milter/history: the TLS history of sending networks for downgrade
 * protection (LMDB, Redis, the protection rule, -H).  Uses core (for its
 * settings) and lib; the daemon and main() use it.
 *
 * Milter threads only enqueue updates; one writer thread applies them in
 * batches (one LMDB transaction, one Redis pipeline each) and sweeps
 * expired LMDB entries once an hour.  The queue is bounded; when the
 * store is too slow to keep up, updates are dropped and counted rather
 * than making a transaction wait.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "history/history.h"
#include "history/history_lmdb.h"
#include "history/history_redis.h"
#include "lib/log.h"

#define HISTORY_QUEUE_LEN	8192
#define HISTORY_BATCH		512
#define HISTORY_SWEEP_EVERY	3600	/* seconds */
#define HISTORY_LOG_EVERY	60	/* seconds between error lines */
#define HISTORY_COALESCE_NS	50000000	/* 50 ms: see history_writer() */

struct history {
	const struct history_backend	*be;
	void				*store;
	struct history_config		 cf;
	struct history_rule		 rule;
	atomic_uint_fast64_t		 errors;
	atomic_llong			 last_log;
	/* The writer queue. */
	pthread_mutex_t			 lock;
	pthread_cond_t			 nonempty, drained;
	struct history_update		*queue;
	size_t				 head, count;
	bool				 busy, stopping, started;
	bool				 idle, flushing;
	pthread_t			 writer;
};

static int64_t
wall_now(void)
{
	return (int64_t)time(NULL);
}

/* Counts an error; logs it unless one was logged less than a minute ago. */
static void
history_fail(struct history *h, const char *what, const char *err)
{
	long long now = (long long)wall_now(), last;

	atomic_fetch_add(&h->errors, 1);
	last = atomic_load(&h->last_log);
	if (now - last < HISTORY_LOG_EVERY ||
	    !atomic_compare_exchange_strong(&h->last_log, &last, now))
		return;
	log_warnx("history (%s) %s failed, deciding as if there were no "
	    "history: %s", h->be->name, what, err);
}

static void *
open_backend(const struct history_config *cf,
    const struct history_backend **be, char *err, size_t errlen)
{
	if (cf->db != NULL && strncmp(cf->db, "lmdb:", 5) == 0) {
		*be = &history_lmdb_backend;
		return history_lmdb_open(cf->db + 5, cf->max_mb, cf->readonly,
		    err, errlen);
	}
	if (cf->db != NULL && strncmp(cf->db, "redis:", 6) == 0) {
		*be = &history_redis_backend;
		return history_redis_open(cf->db + 6, cf->key_prefix,
		    cf->redis_timeout_ms, err, errlen);
	}
	(void)snprintf(err, errlen, "history_db \"%s\": not lmdb:PATH, "
	    "redis:HOST:PORT or redis:unix:PATH", cf->db != NULL ? cf->db : "");
	return NULL;
}

struct history *
history_open(const struct history_config *cf, char *err, size_t errlen)
{
	struct history *h;

	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (h->queue = calloc(HISTORY_QUEUE_LEN, sizeof(*h->queue))) == NULL) {
		free(h);
		(void)snprintf(err, errlen, "history: out of memory");
		return NULL;
	}
	if ((h->store = open_backend(cf, &h->be, err, errlen)) == NULL) {
		free(h->queue);
		free(h);
		return NULL;
	}
	h->cf = *cf;
	h->cf.db = h->cf.key_prefix = NULL;	/* not kept: caller's strings */
	h->rule.min_tls = cf->min_tls;
	h->rule.window = cf->window;
	atomic_init(&h->errors, 0);
	atomic_init(&h->last_log, 0);
	(void)pthread_mutex_init(&h->lock, NULL);
	(void)pthread_cond_init(&h->nonempty, NULL);
	(void)pthread_cond_init(&h->drained, NULL);
	return h;
}

/* Takes up to HISTORY_BATCH queued updates; called with h->lock held. */
static size_t
take_batch(struct history *h, struct history_update *batch)
{
	size_t n = 0;

	while (h->count > 0 && n < HISTORY_BATCH) {
		batch[n++] = h->queue[h->head];
		h->head = (h->head + 1) % HISTORY_QUEUE_LEN;
		h->count--;
	}
	return n;
}

static void
writer_apply(struct history *h, const struct history_update *batch,
    size_t n, int64_t *next_sweep)
{
	char err[256];
	size_t removed;

	if (n > 0 && h->be->apply(h->store, batch, n, h->cf.expire, err,
	    sizeof(err)) != 0)
		history_fail(h, "write", err);
	if (h->be->sweep != NULL && wall_now() >= *next_sweep) {
		*next_sweep = wall_now() + HISTORY_SWEEP_EVERY;
		if (h->be->sweep(h->store, wall_now(), h->cf.expire, &removed,
		    err, sizeof(err)) != 0)
			history_fail(h, "sweep", err);
		else if (removed > 0)
			log_info("history: %zu network(s) unseen for %ld s "
			    "removed", removed, h->cf.expire);
	}
}

static void *
history_writer(void *arg)
{
	struct history *h = arg;
	static const struct timespec coalesce = { 0, HISTORY_COALESCE_NS };
	struct history_update *batch;
	int64_t next_sweep = wall_now() + 60;
	struct timespec until;
	size_t n;

	if ((batch = calloc(HISTORY_BATCH, sizeof(*batch))) == NULL) {
		log_errorx("history: out of memory for the writer");
		return NULL;
	}
	pthread_mutex_lock(&h->lock);
	for (;;) {
		while (h->count == 0 && !h->stopping) {
			h->idle = true;
			(void)clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += 60;	/* wake for the sweep */
			if (pthread_cond_timedwait(&h->nonempty, &h->lock,
			    &until) == ETIMEDOUT)
				break;
		}
		h->idle = false;
		/*
		 * Let updates gather for a moment: one transaction (LMDB) or
		 * one pipeline (Redis) for many of them, and milter threads
		 * rarely have to wake this thread.
		 */
		if (h->count < HISTORY_BATCH && !h->stopping && !h->flushing) {
			pthread_mutex_unlock(&h->lock);
			(void)nanosleep(&coalesce, NULL);
			pthread_mutex_lock(&h->lock);
		}
		n = take_batch(h, batch);
		if (n == 0 && h->stopping)
			break;
		h->busy = true;
		pthread_mutex_unlock(&h->lock);
		writer_apply(h, batch, n, &next_sweep);
		pthread_mutex_lock(&h->lock);
		h->busy = false;
		if (h->count == 0)
			pthread_cond_broadcast(&h->drained);
	}
	pthread_cond_broadcast(&h->drained);
	pthread_mutex_unlock(&h->lock);
	free(batch);
	return NULL;
}

int
history_start(struct history *h)
{
	if (pthread_create(&h->writer, NULL, history_writer, h) != 0)
		return -1;
	h->started = true;
	return 0;
}

void
history_record(struct history *h, const struct sockaddr *sa, bool tls)
{
	struct history_update *u;
	char key[HISTORY_KEY_MAX];

	if (h == NULL || h->cf.readonly ||
	    !history_key(sa, h->cf.prefix_v4, h->cf.prefix_v6, key,
	    sizeof(key)))
		return;
	pthread_mutex_lock(&h->lock);
	if (h->count == HISTORY_QUEUE_LEN) {
		pthread_mutex_unlock(&h->lock);
		history_fail(h, "write", "the writer queue is full (store too "
		    "slow), update dropped");
		return;
	}
	u = &h->queue[(h->head + h->count) % HISTORY_QUEUE_LEN];
	(void)memcpy(u->key, key, sizeof(key));
	u->tls = tls;
	u->when = wall_now();
	h->count++;
	if (h->idle) {
		h->idle = false;
		pthread_cond_signal(&h->nonempty);
	}
	pthread_mutex_unlock(&h->lock);
}

void
history_flush(struct history *h)
{
	struct history_update *batch;
	int64_t never = INT64_MAX;
	size_t n;

	if (h == NULL)
		return;
	if (h->started) {
		pthread_mutex_lock(&h->lock);
		h->flushing = true;
		pthread_cond_signal(&h->nonempty);
		while (h->count > 0 || h->busy)
			pthread_cond_wait(&h->drained, &h->lock);
		h->flushing = false;
		pthread_mutex_unlock(&h->lock);
		return;
	}
	/* No writer thread (-H, tests): write here. */
	if ((batch = calloc(HISTORY_BATCH, sizeof(*batch))) == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	while ((n = take_batch(h, batch)) > 0) {
		pthread_mutex_unlock(&h->lock);
		writer_apply(h, batch, n, &never);
		pthread_mutex_lock(&h->lock);
	}
	pthread_mutex_unlock(&h->lock);
	free(batch);
}

void
history_close(struct history *h)
{
	if (h == NULL)
		return;
	history_flush(h);
	if (h->started) {
		pthread_mutex_lock(&h->lock);
		h->stopping = true;
		pthread_cond_signal(&h->nonempty);
		pthread_mutex_unlock(&h->lock);
		(void)pthread_join(h->writer, NULL);
	}
	h->be->close(h->store);
	(void)pthread_mutex_destroy(&h->lock);
	(void)pthread_cond_destroy(&h->nonempty);
	(void)pthread_cond_destroy(&h->drained);
	free(h->queue);
	free(h);
}

bool
history_entry_is_protected(const struct history *h,
    const struct history_entry *e, int64_t now)
{
	return history_entry_protected(e, &h->rule, now);
}

int
history_protected(struct history *h, const struct sockaddr *sa)
{
	struct history_entry e;
	char key[HISTORY_KEY_MAX], err[256];
	int rc;

	if (h == NULL || !history_key(sa, h->cf.prefix_v4, h->cf.prefix_v6,
	    key, sizeof(key)))
		return 0;
	memset(&e, 0, sizeof(e));
	rc = h->be->get(h->store, key, &e, err, sizeof(err));
	if (rc < 0) {
		history_fail(h, "read", err);
		return -1;
	}
	return rc == 1 && history_entry_protected(&e, &h->rule, wall_now());
}

int
history_lookup(struct history *h, const char *addr, char *key, size_t keylen,
    struct history_entry *e)
{
	char err[256];
	int rc;

	if (!history_key_from_string(addr, h->cf.prefix_v4, h->cf.prefix_v6,
	    key, keylen))
		return -1;
	memset(e, 0, sizeof(*e));
	if ((rc = h->be->get(h->store, key, e, err, sizeof(err))) < 0)
		history_fail(h, "read", err);
	return rc;
}

int
history_walk(struct history *h, history_walk_fn fn, void *arg)
{
	char err[256];

	if (h->be->walk == NULL)
		return -1;
	if (h->be->walk(h->store, fn, arg, err, sizeof(err)) != 0) {
		history_fail(h, "walk", err);
		return -1;
	}
	return 0;
}

int
history_sweep(struct history *h, size_t *removed)
{
	char err[256];

	*removed = 0;
	if (h->be->sweep == NULL)
		return 0;
	if (h->be->sweep(h->store, wall_now(), h->cf.expire, removed, err,
	    sizeof(err)) != 0) {
		history_fail(h, "sweep", err);
		return -1;
	}
	return 0;
}

uint64_t
history_errors(struct history *h)
{
	return h != NULL ? atomic_load(&h->errors) : 0;
}

const char *
history_backend_name(const struct history *h)
{
	return h != NULL ? h->be->name : "none";
}
