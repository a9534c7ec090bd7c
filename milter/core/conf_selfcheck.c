/*
 * conf_selfcheck.c - the self_check* and outage_* keys: where the MTA this
 * milter serves listens, how often and under which name its STARTTLS is
 * probed, and what plaintext gets while that STARTTLS is broken.
 *
 * Enforce without a self-check is legal but dangerous: a local STARTTLS
 * outage would turn every sender's fallback to plaintext into a permanent
 * bounce.  That is a warning (-n, start-up), not an error.
 */
#include <stdlib.h>
#include <string.h>

#include "core/conf_values.h"

static bool
enforce_in_force(const struct conf *c)
{
	size_t i;

	if (c->mode == STS_MODE_ENFORCE)
		return true;
	for (i = 0; i < c->ndomains; i++)
		if (c->domains[i].mode == STS_MODE_ENFORCE)
			return true;
	return false;
}

static char *
copy_or_null(struct load_ctx *ctx, const char *key, const char *v)
{
	char *s;

	if (v[0] == '\0')
		return NULL;
	if ((s = strdup(v)) == NULL)
		load_error(ctx, key_line(ctx, NULL, key), "%s: out of memory",
		    key);
	return s;
}

void
check_selfcheck_keys(struct load_ctx *ctx, cfg_t *cfg, struct conf *c)
{
	check_address_port(ctx, cfg, "self_check", ':');
	c->self_check = copy_or_null(ctx, "self_check",
	    cfg_getstr(cfg, "self_check"));
	c->self_check_interval = check_range(ctx, cfg, "self_check_interval",
	    5, 3600);
	c->self_check_timeout = check_range(ctx, cfg, "self_check_timeout", 1,
	    300);
	if (c->self_check_timeout >= c->self_check_interval)
		load_error(ctx, key_line(ctx, NULL, "self_check_timeout"),
		    "self_check_timeout (%ld s) must be shorter than "
		    "self_check_interval (%ld s)", c->self_check_timeout,
		    c->self_check_interval);
	c->self_check_name = copy_or_null(ctx, "self_check_name",
	    cfg_getstr(cfg, "self_check_name"));
	if (c->self_check_name != NULL &&
	    !valid_domain_name(c->self_check_name))
		load_error(ctx, key_line(ctx, NULL, "self_check_name"),
		    "self_check_name: \"%s\" is not a host name",
		    cfg_getstr(cfg, "self_check_name"));
	check_reply(ctx, cfg, "outage", &c->outage_reply);
	if (c->outage_reply.code[0] != '4')
		load_error(ctx, key_line(ctx, NULL, "outage_code"), "outage_code:"
		    " \"%s\" must be a 4xx (temporary) reply: an outage is "
		    "this server's fault", c->outage_reply.code);
	if (c->self_check == NULL && enforce_in_force(c))
		conf_warn(c, "enforce without self_check: a local STARTTLS "
		    "outage would bounce every sender");
}
