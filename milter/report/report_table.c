/*
 * report_table.c - a small open-addressing hash table of report counters.
 *
 * hsearch(3) is not used: it is process-global and cannot be freed or
 * grown.  Keys are copied into their entry (one allocation per key).  The
 * hash is keyed with a random key per table: with a fixed hash, a log
 * full of names chosen to share one slot made linear probing quadratic.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_table.h"

#define RTAB_MIN_CAP	64

void
rtab_init(struct rtab *t)
{
	t->slots = NULL;
	t->cap = 0;
	t->n = 0;
	siphash_key_random(&t->key);
}

/* The slot holding key, or the empty slot where it belongs. */
static size_t
probe(const struct rtab *t, struct rentry *const *slots, size_t cap,
    const char *key, size_t len)
{
	size_t i = (size_t)siphash13(&t->key, key, len) & (cap - 1);

	while (slots[i] != NULL && (slots[i]->keylen != len ||
	    memcmp(slots[i]->key, key, len) != 0))
		i = (i + 1) & (cap - 1);
	return i;
}

static int
grow(struct rtab *t)
{
	struct rentry **slots;
	size_t cap, i;

	cap = t->cap == 0 ? RTAB_MIN_CAP : t->cap * 2;
	if ((slots = calloc(cap, sizeof(struct rentry *))) == NULL)
		return -1;
	for (i = 0; i < t->cap; i++)
		if (t->slots[i] != NULL)
			slots[probe(t, slots, cap, t->slots[i]->key,
			    t->slots[i]->keylen)] = t->slots[i];
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return 0;
}

struct rentry *
rtab_get(struct rtab *t, const char *key, size_t keylen)
{
	struct rentry *e;
	size_t i;

	if (t->cap > 0) {
		i = probe(t, t->slots, t->cap, key, keylen);
		if (t->slots[i] != NULL)
			return t->slots[i];
	}
	if (t->n >= RTAB_MAX_KEYS)
		return NULL;
	if ((t->n + 1) * 2 > t->cap && grow(t) == -1)
		return NULL;
	if ((e = calloc(1, sizeof(*e) + keylen + 1)) == NULL)
		return NULL;
	memcpy(e->key, key, keylen);
	e->key[keylen] = '\0';
	e->keylen = keylen;
	t->slots[probe(t, t->slots, t->cap, key, keylen)] = e;
	t->n++;
	return e;
}

static int
cmp_entry(const void *a, const void *b)
{
	const struct rentry *x = *(const struct rentry *const *)a;
	const struct rentry *y = *(const struct rentry *const *)b;
	size_t n;
	int c;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	n = x->keylen < y->keylen ? x->keylen : y->keylen;
	if ((c = memcmp(x->key, y->key, n)) != 0)
		return c;
	return x->keylen < y->keylen ? -1 : x->keylen > y->keylen;
}

struct rentry **
rtab_sorted(const struct rtab *t, size_t *n)
{
	struct rentry **v;
	size_t i, j = 0;

	*n = 0;
	if (t->n == 0 || (v = calloc(t->n, sizeof(struct rentry *))) == NULL)
		return NULL;
	for (i = 0; i < t->cap; i++)
		if (t->slots[i] != NULL)
			v[j++] = t->slots[i];
	qsort(v, j, sizeof(struct rentry *), cmp_entry);
	*n = j;
	return v;
}

void
rtab_free(struct rtab *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		free(t->slots[i]);
	free(t->slots);
	rtab_init(t);
}
