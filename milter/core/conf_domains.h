/*
 * conf_domains.h - internal to the configuration module: the domain rules
 * of a snapshot, from domain blocks and from policy_dir.
 *
 * Interface: conf_domains_build() validates the domain blocks that
 * conf_blocks_extract() found, then reads policy_dir (a block for the same
 * exact name wins), and indexes every rule in c->domain_index; it fills
 * the per-mode counts.  conf_domains_check_hostnames() warns about
 * policies whose mx lines do not name this host (one summary warning for
 * all policy_dir policies).  Linear in the number of rules.
 *
 * Failure modes: every problem is reported through load_error() with the
 * line of its block or of the policy_dir key; the caller fails the load.
 */
#ifndef MTASTS_CONF_DOMAINS_H
#define MTASTS_CONF_DOMAINS_H

#include <confuse.h>

#include "core/conf.h"
#include "core/conf_blocks.h"
#include "core/conf_values.h"

void	conf_domains_build(struct load_ctx *, cfg_t *, struct conf *);
void	conf_domains_check_hostnames(struct conf *);
void	conf_domains_free(struct conf *);

#endif
