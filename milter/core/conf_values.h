/*
 * conf_values.h - internal to the configuration module: turning parsed
 * libconfuse values into a validated struct conf.
 *
 * Interface: conf_build() validates every key of a parsed configuration
 * and returns a new snapshot (one reference), or NULL; every problem is
 * reported through load_error() with the line conf_scan found for the key.
 * conf_destroy() frees a snapshot whose last reference went away.
 */
#ifndef MTASTS_CONF_VALUES_H
#define MTASTS_CONF_VALUES_H

#include <confuse.h>

#include "core/conf.h"
#include "core/conf_blocks.h"
#include "core/conf_scan.h"

struct load_ctx {
	const char		*name;	/* file name for messages */
	struct conf_errors	*errs;
	struct conf_scan	 scan;
	struct conf_blocks	 blocks;	/* the domain blocks */
};

void		 load_error(struct load_ctx *, int line, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
struct conf	*conf_build(struct load_ctx *, cfg_t *);
/* The line of a key in a section ("" or NULL: top level), 0 if unset. */
int		 key_line(struct load_ctx *, const char *section,
		    const char *key);
/* A top-level integer key, with an error unless lo <= value <= hi. */
long		 check_range(struct load_ctx *, cfg_t *, const char *key,
		    long lo, long hi);
/* Validates PREFIX_code, PREFIX_xcode, PREFIX_message into r. */
void		 check_reply(struct load_ctx *, cfg_t *, const char *prefix,
		    struct reply *r);
/* A warning kept in the snapshot (printed by -n and at start-up). */
void		 conf_warn(struct conf *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
/* A host name (lower-cased in place); "HOST:PORT" (sep ':') or
 * "ADDR#PORT" (sep '#') keys. */
bool		 valid_domain_name(char *);
void		 check_address_port(struct load_ctx *, cfg_t *, const char *key,
		    char sep);
/* self_check* and outage_* keys (conf_selfcheck.c). */
void		 check_selfcheck_keys(struct load_ctx *, cfg_t *,
		    struct conf *);
/* downgrade and history_* keys (conf_downgrade.c). */
void		 check_downgrade_keys(struct load_ctx *, cfg_t *,
		    struct conf *);
void		 conf_destroy(struct conf *);
/* For conf_domains.c: a domain name (lower-cased in place); a warning. */
bool		 valid_domain_name(char *);
void		 conf_warn(struct conf *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

#endif
