/*
 * domain_table.h - constant-time lookup of domain blocks by name.
 *
 * Interface: a hash table of domain names, each either an exact name
 * ("example.org") or a subdomain name (".example.org": every name below
 * example.org, not example.org itself), mapped to a caller's index.
 * domain_table_add() inserts; domain_table_match() answers the rule for a
 * recipient domain: the exact name first, else the longest subdomain name
 * that is a parent of it.  Comparison ignores ASCII case; the whole
 * domain is always compared, whatever its length.  A lookup costs
 * O(length of the domain), independent of the number of names.
 *
 * The table does not copy names: each must stay valid (and unchanged) as
 * long as the table lives.  Names are stored as given (the caller passes
 * lower case); lookups may be in any case.
 *
 * Failure modes: domain_table_new() and domain_table_add() return
 * NULL / -1 when out of memory (add: also for a name longer than 65,535
 * bytes or a value above 2^32 - 1); the table is then unchanged.
 */
#ifndef MTASTS_DOMAIN_TABLE_H
#define MTASTS_DOMAIN_TABLE_H

#include <stdbool.h>
#include <stddef.h>

struct domain_table;

/* 0 added; 1 the name is there already (its value in *existing); -1 OOM. */
int			 domain_table_add(struct domain_table *, const char *name,
			    bool subdomains, size_t value, size_t *existing);
struct domain_table	*domain_table_new(void);
/* Room for more names without rehashing: 0, or -1 out of memory. */
int			 domain_table_reserve(struct domain_table *,
			    size_t more);
void			 domain_table_free(struct domain_table *);
/* The value of exactly this name (of this kind). */
bool			 domain_table_get(const struct domain_table *,
			    const char *name, size_t len, bool subdomains,
			    size_t *value);
/* Exact name, else the longest parent subdomain name. */
bool			 domain_table_match(const struct domain_table *,
			    const char *domain, size_t len, size_t *value);
size_t			 domain_table_count(const struct domain_table *);

#endif
