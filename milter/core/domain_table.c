/*
 * domain_table.c - open-addressing hash table of domain names.
 *
 * The hash (FNV-1a over lower-cased bytes) runs from the LAST byte to the
 * first, so one right-to-left pass over a recipient domain yields the hash
 * of every suffix: the parent walk for subdomain names costs one probe per
 * label, not one rehash per label.  Linear probing, at most half full;
 * the table doubles when it would be fuller.  A bitmap of FILTER_BITS bits
 * per slot (one bit set per name, from other hash bits than the slot's)
 * answers most misses - the parent walk's usual case - from a few hundred
 * KiB that stay in the CPU cache, instead of a probe into the whole table.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/domain_table.h"

#define FNV_OFFSET	UINT64_C(14695981039346656037)
#define FNV_PRIME	UINT64_C(1099511628211)
#define INITIAL_SLOTS	64
#define FILTER_BITS	4	/* filter bits per slot */

/*
 * 16 bytes: 100,000 names take 4 MiB of slots, not 10, so fewer lookups
 * miss the CPU caches and TLB.  tag (8 bits of the hash) spares most name
 * comparisons on a probe chain; the full hash is recomputed from the name
 * when the table grows.
 */
struct slot {
	const char	*name;		/* NULL: empty */
	uint32_t	 value;
	uint16_t	 len;
	uint8_t		 subdomains;
	uint8_t		 tag;
};

struct domain_table {
	struct slot	*slots;
	size_t		 nslots;	/* a power of two */
	size_t		 count;
	uint64_t	*filter;	/* nslots * FILTER_BITS bits */
};

static uint64_t
hash_step(uint64_t h, char c)
{
	return (h ^ (unsigned char)tolower((unsigned char)c)) * FNV_PRIME;
}

/* Mixes in the kind, so "x" and ".x" land apart. */
static uint64_t
hash_final(uint64_t h, bool subdomains)
{
	return hash_step(h, subdomains ? '.' : '\0');
}

static uint64_t
hash_name(const char *s, size_t len, bool subdomains)
{
	uint64_t h = FNV_OFFSET;

	while (len > 0)
		h = hash_step(h, s[--len]);
	return hash_final(h, subdomains);
}

/* FNV's low bits are weak for names that differ in a few bytes. */
static size_t
slot_of(uint64_t h, size_t mask)
{
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	return (size_t)h & mask;
}

static size_t
filter_bit(uint64_t h, size_t nslots)
{
	return (size_t)(h >> 20) & (nslots * FILTER_BITS - 1);
}

static bool
filter_has(const struct domain_table *t, uint64_t h)
{
	size_t b = filter_bit(h, t->nslots);

	return (t->filter[b / 64] >> (b % 64)) & 1;
}

static void
filter_set(uint64_t *filter, size_t nslots, uint64_t h)
{
	size_t b = filter_bit(h, nslots);

	filter[b / 64] |= UINT64_C(1) << (b % 64);
}

static uint8_t
tag_of(uint64_t h)
{
	return (uint8_t)(h >> 56);
}

static bool
same_name(const struct slot *sl, const char *s, size_t len, bool subdomains)
{
	return sl->subdomains == subdomains && sl->len == len &&
	    strncasecmp(sl->name, s, len) == 0;
}

static const struct slot *
find(const struct domain_table *t, const char *s, size_t len,
    bool subdomains, uint64_t h)
{
	size_t i, mask = t->nslots - 1;

	if (!filter_has(t, h))
		return NULL;
	for (i = slot_of(h, mask); t->slots[i].name != NULL;
	    i = (i + 1) & mask)
		if (t->slots[i].tag == tag_of(h) && same_name(&t->slots[i], s,
		    len, subdomains))
			return &t->slots[i];
	return NULL;
}

struct domain_table *
domain_table_new(void)
{
	struct domain_table *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->slots = calloc(INITIAL_SLOTS, sizeof(*t->slots));
	t->filter = calloc(INITIAL_SLOTS * FILTER_BITS / 64, sizeof(uint64_t));
	if (t->slots == NULL || t->filter == NULL) {
		free(t->slots);
		free(t->filter);
		free(t);
		return NULL;
	}
	t->nslots = INITIAL_SLOTS;
	return t;
}

void
domain_table_free(struct domain_table *t)
{
	if (t == NULL)
		return;
	free(t->slots);
	free(t->filter);
	free(t);
}

static void
place(struct slot *slots, size_t nslots, const struct slot *sl, uint64_t h)
{
	size_t i, mask = nslots - 1;

	for (i = slot_of(h, mask); slots[i].name != NULL; i = (i + 1) & mask)
		continue;
	slots[i] = *sl;
}

/* Rehashes into nslots (a power of two, larger than now). */
static int
resize(struct domain_table *t, size_t nslots)
{
	struct slot *n;
	uint64_t *f, h;
	size_t i;

	if ((n = calloc(nslots, sizeof(*n))) == NULL)
		return -1;
	if ((f = calloc(nslots * FILTER_BITS / 64, sizeof(*f))) == NULL) {
		free(n);
		return -1;
	}
	for (i = 0; i < t->nslots; i++)
		if (t->slots[i].name != NULL) {
			h = hash_name(t->slots[i].name, t->slots[i].len,
			    t->slots[i].subdomains);
			place(n, nslots, &t->slots[i], h);
			filter_set(f, nslots, h);
		}
	free(t->slots);
	free(t->filter);
	t->slots = n;
	t->filter = f;
	t->nslots = nslots;
	return 0;
}

int
domain_table_reserve(struct domain_table *t, size_t more)
{
	size_t nslots = t->nslots;

	if (more > SIZE_MAX / 4 - t->count)
		return -1;
	while ((t->count + more) * 2 > nslots) {
		if (nslots > SIZE_MAX / 2 / sizeof(struct slot))
			return -1;
		nslots *= 2;
	}
	return nslots == t->nslots ? 0 : resize(t, nslots);
}

int
domain_table_add(struct domain_table *t, const char *name, bool subdomains,
    size_t value, size_t *existing)
{
	const struct slot *old;
	struct slot sl;
	size_t len = strlen(name);
	uint64_t h;

	if (len > UINT16_MAX || value > UINT32_MAX)
		return -1;
	h = hash_name(name, len, subdomains);
	sl.name = name;
	sl.len = (uint16_t)len;
	sl.value = (uint32_t)value;
	sl.subdomains = subdomains;
	sl.tag = tag_of(h);
	if ((old = find(t, name, len, subdomains, h)) != NULL) {
		if (existing != NULL)
			*existing = old->value;
		return 1;
	}
	if (domain_table_reserve(t, 1) != 0)
		return -1;
	place(t->slots, t->nslots, &sl, h);
	filter_set(t->filter, t->nslots, h);
	t->count++;
	return 0;
}

bool
domain_table_get(const struct domain_table *t, const char *name, size_t len,
    bool subdomains, size_t *value)
{
	const struct slot *sl;

	sl = find(t, name, len, subdomains, hash_name(name, len, subdomains));
	if (sl != NULL && value != NULL)
		*value = sl->value;
	return sl != NULL;
}

bool
domain_table_match(const struct domain_table *t, const char *domain,
    size_t len, size_t *value)
{
	const struct slot *sl, *best = NULL;
	uint64_t h = FNV_OFFSET;
	size_t i = len;

	if (t == NULL || t->count == 0 || len == 0)
		return false;
	/*
	 * Right to left: at each '.', h is the hash of the suffix after it,
	 * the parent name.  The leftmost match is the longest.
	 */
	while (i > 0) {
		if (domain[i - 1] == '.' && i < len &&
		    (sl = find(t, domain + i, len - i, true,
		    hash_final(h, true))) != NULL)
			best = sl;
		h = hash_step(h, domain[--i]);
	}
	/* An exact name wins over any subdomain name. */
	if ((sl = find(t, domain, len, false, hash_final(h, false))) != NULL)
		best = sl;
	if (best != NULL && value != NULL)
		*value = best->value;
	return best != NULL;
}

size_t
domain_table_count(const struct domain_table *t)
{
	return t != NULL ? t->count : 0;
}
