/*
 * history_lmdb.c - the history in an LMDB file (history_lmdb.h).
 *
 * Keys are the network keys of history_rule.h, values the 48-byte
 * encoded entries.  MDB_NOTLS lets any libmilter worker thread open a read
 * transaction; MDB_NOSUBDIR makes the configured path the data file
 * itself.  The map size is the bound of the file: when it is full, writes
 * fail and are counted, reads go on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include "history/history_lmdb.h"

struct lmdb_store {
	MDB_env	*env;
	MDB_dbi	 dbi;
};

static int
lmdb_fail(char *err, size_t errlen, const char *what, int rc)
{
	(void)snprintf(err, errlen, "lmdb %s: %s", what, mdb_strerror(rc));
	return -1;
}

void *
history_lmdb_open(const char *path, long max_mb, bool readonly, char *err,
    size_t errlen)
{
	struct lmdb_store *s;
	MDB_txn *txn = NULL;
	/*
	 * MDB_NOSYNC: a commit is not flushed to disk (the page cache keeps
	 * it; a crash of the daemon loses nothing, a crash of the host loses
	 * the last seconds of history, which only delays protection).  An
	 * fsync per batch would cost more than the rest of the history.
	 */
	unsigned int flags = MDB_NOSUBDIR | MDB_NOTLS | MDB_NOSYNC;
	int rc;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		(void)snprintf(err, errlen, "lmdb: out of memory");
		return NULL;
	}
	if (readonly)
		flags |= MDB_RDONLY;
	if ((rc = mdb_env_create(&s->env)) != 0 ||
	    (rc = mdb_env_set_mapsize(s->env, (size_t)max_mb << 20)) != 0 ||
	    (rc = mdb_env_set_maxreaders(s->env, 1024)) != 0 ||
	    (rc = mdb_env_open(s->env, path, flags, 0600)) != 0) {
		(void)snprintf(err, errlen, "lmdb %s: %s", path,
		    mdb_strerror(rc));
		goto fail;
	}
	if ((rc = mdb_txn_begin(s->env, NULL, readonly ? MDB_RDONLY : 0,
	    &txn)) != 0 || (rc = mdb_dbi_open(txn, NULL, 0, &s->dbi)) != 0) {
		if (rc != 0 && txn != NULL)
			mdb_txn_abort(txn);
		(void)snprintf(err, errlen, "lmdb %s: %s", path,
		    mdb_strerror(rc));
		goto fail;
	}
	if ((rc = mdb_txn_commit(txn)) != 0) {
		(void)snprintf(err, errlen, "lmdb %s: %s", path,
		    mdb_strerror(rc));
		goto fail;
	}
	return s;
fail:
	if (s->env != NULL)
		mdb_env_close(s->env);
	free(s);
	return NULL;
}

/* LMDB keys are the network keys, without their NUL. */
static MDB_val
key_val(const char *key)
{
	union {
		const char	*c;
		void		*v;
	} u;
	MDB_val k;

	u.c = key;		/* LMDB never writes through a key */
	k.mv_data = u.v;
	k.mv_size = strlen(key);
	return k;
}

/* A transaction with a cursor over the database: 0 or an LMDB error. */
static int
cursor_begin(struct lmdb_store *s, unsigned int flags, MDB_txn **txn,
    MDB_cursor **cur)
{
	int rc;

	if ((rc = mdb_txn_begin(s->env, NULL, flags, txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(*txn, s->dbi, cur)) != 0)
		mdb_txn_abort(*txn);
	return rc;
}

/* Commits after success, aborts after an error: 0, or -1 with err. */
static int
txn_end(MDB_txn *txn, int rc, const char *what, char *err, size_t errlen)
{
	if (rc != 0) {
		mdb_txn_abort(txn);
		return lmdb_fail(err, errlen, what, rc);
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		return lmdb_fail(err, errlen, what, rc);
	return 0;
}

static int
lmdb_get(void *h, const char *key, struct history_entry *e, char *err,
    size_t errlen)
{
	struct lmdb_store *s = h;
	MDB_val k = key_val(key), v;
	MDB_txn *txn;
	int rc, found;

	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn)) != 0)
		return lmdb_fail(err, errlen, "read", rc);
	rc = mdb_get(txn, s->dbi, &k, &v);
	if (rc == MDB_NOTFOUND)
		found = 0;
	else if (rc != 0)
		found = lmdb_fail(err, errlen, "get", rc);
	else if (!history_entry_decode(v.mv_data, v.mv_size, e)) {
		(void)snprintf(err, errlen, "lmdb: entry of %zu bytes for %s "
		    "is not a history entry", v.mv_size, key);
		found = -1;
	} else
		found = 1;
	mdb_txn_abort(txn);
	return found;
}

static int
apply_one(struct lmdb_store *s, MDB_txn *txn, const struct history_update *u)
{
	struct history_entry e;
	unsigned char buf[HISTORY_ENTRY_SIZE];
	MDB_val k = key_val(u->key), v;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = mdb_get(txn, s->dbi, &k, &v);
	if (rc == 0 && !history_entry_decode(v.mv_data, v.mv_size, &e))
		memset(&e, 0, sizeof(e));	/* overwrite a bad value */
	else if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	history_entry_record(&e, u->tls != 0, u->when);
	history_entry_encode(&e, buf);
	v.mv_data = buf;
	v.mv_size = sizeof(buf);
	return mdb_put(txn, s->dbi, &k, &v, 0);
}

static int
lmdb_apply(void *h, const struct history_update *u, size_t n, long expire,
    char *err, size_t errlen)
{
	struct lmdb_store *s = h;
	MDB_txn *txn;
	size_t i;
	int rc;

	(void)expire;		/* entries expire by sweep() */
	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		return lmdb_fail(err, errlen, "write", rc);
	for (i = 0; i < n && rc == 0; i++)
		rc = apply_one(s, txn, &u[i]);
	return txn_end(txn, rc, "write", err, errlen);
}

static int
lmdb_sweep(void *h, int64_t now, long expire, size_t *removed, char *err,
    size_t errlen)
{
	struct lmdb_store *s = h;
	struct history_entry e;
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	MDB_cursor_op op = MDB_FIRST;
	int rc;

	*removed = 0;
	if ((rc = cursor_begin(s, 0, &txn, &cur)) != 0)
		return lmdb_fail(err, errlen, "sweep", rc);
	/* After mdb_cursor_del() the cursor already is on the next entry;
	 * LMDB's MDB_NEXT knows that and does not skip it. */
	while ((rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
		op = MDB_NEXT;
		if (history_entry_decode(v.mv_data, v.mv_size, &e) &&
		    now - history_entry_last_seen(&e) < expire)
			continue;
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			break;
		(*removed)++;
	}
	mdb_cursor_close(cur);
	return txn_end(txn, rc == MDB_NOTFOUND ? 0 : rc, "sweep", err, errlen);
}

static int
lmdb_walk(void *h, history_walk_fn fn, void *arg, char *err, size_t errlen)
{
	struct lmdb_store *s = h;
	struct history_entry e;
	char key[HISTORY_KEY_MAX];
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	MDB_cursor_op op = MDB_FIRST;
	int rc;

	if ((rc = cursor_begin(s, MDB_RDONLY, &txn, &cur)) != 0)
		return lmdb_fail(err, errlen, "walk", rc);
	while ((rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
		op = MDB_NEXT;
		if (k.mv_size >= sizeof(key) ||
		    !history_entry_decode(v.mv_data, v.mv_size, &e))
			continue;
		memcpy(key, k.mv_data, k.mv_size);
		key[k.mv_size] = '\0';
		if (fn(arg, key, &e) != 0)
			break;
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return lmdb_fail(err, errlen, "walk", rc);
	return 0;
}

static void
lmdb_close(void *h)
{
	struct lmdb_store *s = h;

	if (s == NULL)
		return;
	(void)mdb_env_sync(s->env, 1);
	mdb_env_close(s->env);
	free(s);
}

const struct history_backend history_lmdb_backend = {
	.name = "lmdb",
	.get = lmdb_get,
	.apply = lmdb_apply,
	.sweep = lmdb_sweep,
	.walk = lmdb_walk,
	.close = lmdb_close,
};
