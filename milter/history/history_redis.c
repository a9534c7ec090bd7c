/*
 * history_redis.c - the history in Redis (history_redis.h), with hiredis.
 *
 * A hiredis context is not thread-safe: reads (milter threads, only for
 * plaintext transactions) share one connection behind a mutex, and the
 * writer thread has its own.  A lost connection is retried at most once a
 * second, so while Redis is down a read costs a mutex and a clock read,
 * never a connect timeout per transaction.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "history/history_redis.h"
#include "lib/hostport.h"

#define REDIS_FIELD_MAX		20	/* digits of a 64-bit number */
#define REDIS_RETRY_MS		1000
#define REDIS_SCAN_COUNT	"1000"
#define REDIS_READERS		4	/* connections for milter threads */

struct redis_conn {
	pthread_mutex_t	 lock;
	redisContext	*ctx;
	int64_t		 last_try_ms;
};

struct redis_store {
	char		 host[256];
	int		 port;		/* 0: host is a unix socket path */
	char		 prefix[128];
	struct timeval	 timeout;
	struct redis_conn readers[REDIS_READERS], writer;
	struct redis_conn walker;	/* -H and the protected-networks gauge */
	atomic_uint	 next_reader;
};

static const char *const fields[] = { "t", "p", "ft", "lt", "fp", "lp" };
#define NFIELDS	(sizeof(fields) / sizeof(fields[0]))

static int64_t
mono_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
parse_addr(struct redis_store *s, const char *addr)
{
	struct hostport hp;

	if (strncmp(addr, "unix:", 5) == 0) {
		if (addr[5] != '/' || strlen(addr + 5) >= sizeof(s->host))
			return -1;
		(void)snprintf(s->host, sizeof(s->host), "%s", addr + 5);
		s->port = 0;
		return 0;
	}
	if (!hostport_parse(addr, ':', 0, &hp))
		return -1;
	(void)snprintf(s->host, sizeof(s->host), "%s", hp.host);
	s->port = hp.port;
	return 0;
}

void *
history_redis_open(const char *addr, const char *prefix, long timeout_ms,
    char *err, size_t errlen)
{
	struct redis_store *s;
	size_t i;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		(void)snprintf(err, errlen, "redis: out of memory");
		return NULL;
	}
	if (addr == NULL || parse_addr(s, addr) != 0) {
		(void)snprintf(err, errlen, "redis: \"%s\" is not HOST:PORT or "
		    "unix:/PATH", addr != NULL ? addr : "");
		free(s);
		return NULL;
	}
	(void)snprintf(s->prefix, sizeof(s->prefix), "%s",
	    prefix != NULL ? prefix : "");
	s->timeout.tv_sec = timeout_ms / 1000;
	s->timeout.tv_usec = (timeout_ms % 1000) * 1000;
	for (i = 0; i < REDIS_READERS; i++) {
		(void)pthread_mutex_init(&s->readers[i].lock, NULL);
		s->readers[i].last_try_ms = -REDIS_RETRY_MS;
	}
	(void)pthread_mutex_init(&s->writer.lock, NULL);
	s->writer.last_try_ms = -REDIS_RETRY_MS;
	(void)pthread_mutex_init(&s->walker.lock, NULL);
	s->walker.last_try_ms = -REDIS_RETRY_MS;
	return s;
}

static void
conn_drop(struct redis_conn *c)
{
	if (c->ctx != NULL)
		redisFree(c->ctx);
	c->ctx = NULL;
}

/* A usable context, or NULL with err set; called with c->lock held. */
static redisContext *
conn_get(struct redis_store *s, struct redis_conn *c, char *err,
    size_t errlen)
{
	int64_t now;

	if (c->ctx != NULL && c->ctx->err == 0)
		return c->ctx;
	conn_drop(c);
	now = mono_ms();
	if (now - c->last_try_ms < REDIS_RETRY_MS) {
		(void)snprintf(err, errlen, "redis %s%s%d: not connected "
		    "(retrying once a second)", s->host, s->port ? ":" : "",
		    s->port);
		return NULL;
	}
	c->last_try_ms = now;
	c->ctx = s->port != 0 ?
	    redisConnectWithTimeout(s->host, s->port, s->timeout) :
	    redisConnectUnixWithTimeout(s->host, s->timeout);
	if (c->ctx == NULL || c->ctx->err != 0 ||
	    redisSetTimeout(c->ctx, s->timeout) != REDIS_OK) {
		(void)snprintf(err, errlen, "redis %s: connect: %s", s->host,
		    c->ctx != NULL ? c->ctx->errstr : "out of memory");
		conn_drop(c);
		return NULL;
	}
	return c->ctx;
}

static bool
field_value(const redisReply *r, int64_t *out)
{
	char buf[REDIS_FIELD_MAX + 1], *end;
	long long v;

	if (r->type == REDIS_REPLY_NIL) {
		*out = 0;
		return true;
	}
	if (r->type != REDIS_REPLY_STRING || r->len == 0 ||
	    r->len > REDIS_FIELD_MAX)
		return false;
	memcpy(buf, r->str, r->len);
	buf[r->len] = '\0';
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0)
		return false;
	*out = v;
	return true;
}

/* 1 found, 0 all fields missing, -1 an answer that is no history. */
static int
decode_fields(const redisReply *r, struct history_entry *e)
{
	int64_t v[NFIELDS];
	size_t i, missing = 0;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != NFIELDS)
		return -1;
	for (i = 0; i < NFIELDS; i++) {
		if (!field_value(r->element[i], &v[i]))
			return -1;
		if (r->element[i]->type == REDIS_REPLY_NIL)
			missing++;
	}
	if (missing == NFIELDS)
		return 0;
	e->tls_count = (uint64_t)v[0];
	e->plain_count = (uint64_t)v[1];
	e->first_tls = v[2];
	e->last_tls = v[3];
	e->first_plain = v[4];
	e->last_plain = v[5];
	return 1;
}

static int
hmget(struct redis_store *s, redisContext *ctx, const char *fullkey,
    struct history_entry *e, char *err, size_t errlen)
{
	redisReply *r;
	int rc;

	r = redisCommand(ctx, "HMGET %s t p ft lt fp lp", fullkey);
	if (r == NULL) {
		(void)snprintf(err, errlen, "redis %s: %s", s->host,
		    ctx->errstr);
		return -2;	/* the connection is gone */
	}
	if ((rc = decode_fields(r, e)) < 0)
		(void)snprintf(err, errlen, "redis: the answer for %s is not a "
		    "history entry (type %d)", fullkey, r->type);
	freeReplyObject(r);
	return rc;
}

/*
 * A reader connection for this milter thread, locked: a free one if there
 * is one, else the next in turn.  Plaintext lookups from many threads at
 * once do not queue behind one Redis round trip.
 */
static struct redis_conn *
reader_lock(struct redis_store *s)
{
	unsigned int i, n;

	for (i = 0; i < REDIS_READERS; i++)
		if (pthread_mutex_trylock(&s->readers[i].lock) == 0)
			return &s->readers[i];
	n = atomic_fetch_add(&s->next_reader, 1) % REDIS_READERS;
	pthread_mutex_lock(&s->readers[n].lock);
	return &s->readers[n];
}

static int
redis_get(void *h, const char *key, struct history_entry *e, char *err,
    size_t errlen)
{
	struct redis_store *s = h;
	struct redis_conn *rc_conn;
	redisContext *ctx;
	char fullkey[sizeof(s->prefix) + HISTORY_KEY_MAX];
	int rc = -1;

	(void)snprintf(fullkey, sizeof(fullkey), "%s%s", s->prefix, key);
	rc_conn = reader_lock(s);
	if ((ctx = conn_get(s, rc_conn, err, errlen)) != NULL &&
	    (rc = hmget(s, ctx, fullkey, e, err, errlen)) == -2) {
		conn_drop(rc_conn);
		rc = -1;
	}
	pthread_mutex_unlock(&rc_conn->lock);
	return rc;
}

static void
append_update(redisContext *ctx, const char *fullkey,
    const struct history_update *u, long expire)
{
	const char *cnt = u->tls ? "t" : "p";
	const char *first = u->tls ? "ft" : "fp", *last = u->tls ? "lt" : "lp";

	(void)redisAppendCommand(ctx, "HINCRBY %s %s 1", fullkey, cnt);
	(void)redisAppendCommand(ctx, "HSETNX %s %s %lld", fullkey, first,
	    (long long)u->when);
	(void)redisAppendCommand(ctx, "HSET %s %s %lld", fullkey, last,
	    (long long)u->when);
	(void)redisAppendCommand(ctx, "EXPIRE %s %ld", fullkey, expire);
}

/* Reads the 4 answers of every update; any error answer fails the batch. */
static int
read_answers(struct redis_store *s, redisContext *ctx, size_t n, char *err,
    size_t errlen)
{
	redisReply *r;
	void *p;
	size_t i;
	int rc = 0;

	for (i = 0; i < n * 4; i++) {
		if (redisGetReply(ctx, &p) != REDIS_OK || p == NULL) {
			(void)snprintf(err, errlen, "redis %s: %s", s->host,
			    ctx->errstr);
			return -2;
		}
		r = p;
		if (r->type == REDIS_REPLY_ERROR && rc == 0) {
			(void)snprintf(err, errlen, "redis: %.*s",
			    (int)(r->len < 200 ? r->len : 200), r->str);
			rc = -1;
		}
		freeReplyObject(r);
	}
	return rc;
}

static int
redis_apply(void *h, const struct history_update *u, size_t n, long expire,
    char *err, size_t errlen)
{
	struct redis_store *s = h;
	redisContext *ctx;
	char fullkey[sizeof(s->prefix) + HISTORY_KEY_MAX];
	size_t i;
	int rc = -1;

	pthread_mutex_lock(&s->writer.lock);
	if ((ctx = conn_get(s, &s->writer, err, errlen)) != NULL) {
		for (i = 0; i < n; i++) {
			(void)snprintf(fullkey, sizeof(fullkey), "%s%s",
			    s->prefix, u[i].key);
			append_update(ctx, fullkey, &u[i], expire);
		}
		if ((rc = read_answers(s, ctx, n, err, errlen)) == -2) {
			conn_drop(&s->writer);
			rc = -1;
		}
	}
	pthread_mutex_unlock(&s->writer.lock);
	return rc;
}

static bool
all_strings(const redisReply *a)
{
	size_t i;

	for (i = 0; i < a->elements; i++)
		if (a->element[i]->type != REDIS_REPLY_STRING)
			return false;
	return true;
}

struct scan_state {
	struct redis_store	*s;
	redisContext		*ctx;
	history_walk_fn		 fn;
	void			*arg;
};

/*
 * One SCAN batch: an HMGET per key, all sent before the first answer is
 * read (one round trip, not one per key).  Every answer is read even
 * after fn() asked to stop, so the connection stays in step.
 */
static int
walk_keys(struct scan_state *st, const redisReply *keys, char *err,
    size_t errlen)
{
	struct history_entry e;
	size_t i, plen = strlen(st->s->prefix), sent = 0;
	char key[HISTORY_KEY_MAX];
	redisReply *r;
	void *reply;
	int rc = 0, drc;

	for (i = 0; i < keys->elements; i++)
		if (redisAppendCommand(st->ctx, "HMGET %b t p ft lt fp lp",
		    keys->element[i]->str, keys->element[i]->len) == REDIS_OK)
			sent++;
	if (sent != keys->elements) {
		(void)snprintf(err, errlen, "redis: out of memory");
		return -1;	/* the connection is dropped */
	}
	for (i = 0; i < keys->elements; i++) {
		const redisReply *k = keys->element[i];

		if (redisGetReply(st->ctx, &reply) != REDIS_OK) {
			(void)snprintf(err, errlen, "redis %s: %s",
			    st->s->host, st->ctx->errstr);
			return -1;
		}
		r = reply;
		memset(&e, 0, sizeof(e));
		drc = decode_fields(r, &e);
		freeReplyObject(r);
		if (rc != 0 || drc != 1 || k->len <= plen ||
		    k->len - plen >= sizeof(key))
			continue;
		memcpy(key, k->str + plen, k->len - plen);
		key[k->len - plen] = '\0';
		if (memchr(key, '\0', k->len - plen) == NULL &&
		    st->fn(st->arg, key, &e) != 0)
			rc = 1;
	}
	return rc;
}

/* Every entry under the prefix, on the walker's own connection. */
static int
redis_walk(void *h, history_walk_fn fn, void *arg, char *err, size_t errlen)
{
	struct redis_store *s = h;
	struct scan_state st = { s, NULL, fn, arg };
	char cursor[32] = "0", pattern[sizeof(s->prefix) + 2];
	redisReply *r;
	int rc = 0;

	(void)snprintf(pattern, sizeof(pattern), "%s*", s->prefix);
	pthread_mutex_lock(&s->walker.lock);
	if ((st.ctx = conn_get(s, &s->walker, err, errlen)) == NULL)
		rc = -1;
	while (rc == 0) {
		r = redisCommand(st.ctx, "SCAN %s MATCH %s COUNT "
		    REDIS_SCAN_COUNT, cursor, pattern);
		if (r == NULL || r->type != REDIS_REPLY_ARRAY ||
		    r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[0]->len >= sizeof(cursor) ||
		    r->element[1]->type != REDIS_REPLY_ARRAY ||
		    !all_strings(r->element[1])) {
			(void)snprintf(err, errlen, "redis: bad SCAN answer");
			if (r != NULL)
				freeReplyObject(r);
			rc = -1;
			break;
		}
		memcpy(cursor, r->element[0]->str, r->element[0]->len);
		cursor[r->element[0]->len] = '\0';
		rc = walk_keys(&st, r->element[1], err, errlen);
		freeReplyObject(r);
		if (strcmp(cursor, "0") == 0)
			break;
	}
	if (rc < 0)
		conn_drop(&s->walker);
	pthread_mutex_unlock(&s->walker.lock);
	return rc < 0 ? -1 : 0;
}

static void
redis_close(void *h)
{
	struct redis_store *s = h;
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < REDIS_READERS; i++)
		conn_drop(&s->readers[i]);
	conn_drop(&s->writer);
	conn_drop(&s->walker);
	for (i = 0; i < REDIS_READERS; i++)
		(void)pthread_mutex_destroy(&s->readers[i].lock);
	(void)pthread_mutex_destroy(&s->writer.lock);
	(void)pthread_mutex_destroy(&s->walker.lock);
	free(s);
}

const struct history_backend history_redis_backend = {
	.name = "redis",
	.get = redis_get,
	.apply = redis_apply,
	.sweep = NULL,		/* Redis expires keys itself (EXPIRE) */
	.walk = redis_walk,
	.close = redis_close,
};
