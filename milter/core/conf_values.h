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
void		 conf_destroy(struct conf *);
/* For conf_domains.c: a domain name (lower-cased in place); a warning. */
bool		 valid_domain_name(char *);
void		 conf_warn(struct conf *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

#endif
