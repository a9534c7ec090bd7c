/*
 * conf_domains.c - domain blocks and policy_dir entries become the domain
 * rules of a snapshot, indexed for constant-time lookup.
 *
 * Order in c->domains: the blocks in file order, then the policy_dir
 * domains sorted by name (readdir order is arbitrary; -n and messages
 * must not be).  Duplicates are found through the index, never by
 * comparing every pair.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf_domains.h"
#include "core/domain_table.h"
#include "core/policy_dir.h"

struct build {
	struct load_ctx	*ctx;
	struct conf	*c;
	size_t		 cap;
	int		 dir_line;	/* of the policy_dir key */
	int		 failed;	/* out of memory */
};

static struct domain_rule *
append_rule(struct build *b)
{
	struct domain_rule *n;
	size_t cap;

	if (b->c->ndomains == b->cap) {
		cap = b->cap == 0 ? 16 : b->cap * 2;
		if ((n = reallocarray(b->c->domains, cap, sizeof(*n))) ==
		    NULL) {
			load_error(b->ctx, 0, "out of memory");
			b->failed = 1;
			return NULL;
		}
		b->c->domains = n;
		b->cap = cap;
	}
	n = &b->c->domains[b->c->ndomains++];
	memset(n, 0, sizeof(*n));
	return n;
}

static char *
dup_or_fail(struct build *b, const char *s)
{
	char *d;

	if ((d = strdup(s)) == NULL) {
		load_error(b->ctx, 0, "out of memory");
		b->failed = 1;
	}
	return d;
}

static void
index_rule(struct build *b, size_t i, const char *what)
{
	struct domain_rule *d = &b->c->domains[i];
	size_t first;
	int rc;

	rc = domain_table_add(b->c->domain_index, d->name, d->subdomains, i,
	    &first);
	if (rc == -1) {
		load_error(b->ctx, d->line, "out of memory");
		b->failed = 1;
	} else if (rc == 1 && !d->from_policy_dir)
		load_error(b->ctx, d->line, "domain \"%s\" is defined twice "
		    "(first on line %d)", what, b->c->domains[first].line);
	else if (rc == 1)
		load_error(b->ctx, d->line, "policy_dir: %s and %s: one domain "
		    "in two directories (names differ only in case)",
		    b->c->domains[first].policy_file, d->policy_file);
}

static void
block_policy_file(struct build *b, const struct conf_block *blk,
    struct domain_rule *d)
{
	char err[256];
	int pline;

	if ((d->policy_file = dup_or_fail(b, blk->policy_file)) == NULL)
		return;
	if (blk->policy_file[0] != '/') {
		load_error(b->ctx, blk->policy_file_line, "policy_file: \"%s\" "
		    "must be an absolute path", blk->policy_file);
		return;
	}
	if (policy_load(blk->policy_file, &d->policy, err, sizeof(err),
	    &pline) != 0) {
		load_error(b->ctx, blk->policy_file_line, "policy_file: %s:%d: "
		    "%s", blk->policy_file, pline, err);
		return;
	}
	d->mode = d->policy.mode;
	d->source = MODE_FROM_POLICY;
}

static void
add_block(struct build *b, const struct conf_block *blk)
{
	enum sts_mode cmode = STS_MODE_OFF;
	struct domain_rule *d;
	bool named;

	if ((d = append_rule(b)) == NULL)
		return;
	d->line = blk->line;
	d->subdomains = blk->title[0] == '.';
	if ((d->name = dup_or_fail(b, blk->title + d->subdomains)) == NULL)
		return;
	if (!(named = valid_domain_name(d->name)))
		load_error(b->ctx, d->line, "domain \"%s\": not a domain name",
		    blk->title);
	if (blk->mode == NULL && blk->policy_file == NULL)
		load_error(b->ctx, d->line, "domain \"%s\": needs mode or "
		    "policy_file", blk->title);
	if (blk->mode != NULL) {
		if (sts_mode_parse(blk->mode, false, &cmode) != 0)
			load_error(b->ctx, blk->mode_line, "mode: \"%s\" must "
			    "be enforce, testing or off", blk->mode);
		d->mode = cmode;
		d->source = MODE_FROM_CONFIG;
	}
	if (blk->policy_file != NULL) {
		block_policy_file(b, blk, d);
		if (blk->mode != NULL && d->source == MODE_FROM_POLICY &&
		    cmode != d->policy.mode)
			conf_warn(b->c, "domain \"%s\": mode %s is overridden "
			    "by policy_file %s (mode %s)", blk->title,
			    blk->mode, blk->policy_file,
			    sts_mode_name(d->policy.mode));
	}
	if (named)
		index_rule(b, b->c->ndomains - 1, blk->title);
}

static bool
dir_valid_name(char *name)
{
	return valid_domain_name(name);
}

static int
dir_add(void *arg, const char *domain, const char *path,
    struct sts_policy *pol)
{
	struct build *b = arg;
	struct domain_rule *d;

	/* A domain block for this exact name wins. */
	if (domain_table_get(b->c->domain_index, domain, strlen(domain), false,
	    NULL)) {
		b->c->domains_overridden++;
		policy_free(pol);
		return 0;
	}
	if ((d = append_rule(b)) == NULL) {
		policy_free(pol);
		return -1;
	}
	d->line = b->dir_line;
	d->from_policy_dir = true;
	d->name = dup_or_fail(b, domain);
	d->policy_file = dup_or_fail(b, path);
	d->policy = *pol;
	d->mode = pol->mode;
	d->source = MODE_FROM_POLICY;
	return b->failed ? -1 : 0;
}

static void
dir_warn(void *arg, const char *msg)
{
	struct build *b = arg;

	conf_warn(b->c, "%s", msg);
}

static void
dir_error(void *arg, const char *path, int line, const char *msg)
{
	struct build *b = arg;

	load_error(b->ctx, b->dir_line, "policy_dir: %s:%d: %s", path, line,
	    msg);
}

static int
rule_name_cmp(const void *x, const void *y)
{
	return strcmp(((const struct domain_rule *)x)->name,
	    ((const struct domain_rule *)y)->name);
}

static void
read_policy_dir(struct build *b, const char *dir)
{
	const struct policy_dir_ops ops = { b, dir_valid_name, dir_add,
	    dir_warn, dir_error };
	size_t i, first = b->c->ndomains;

	b->dir_line = conf_scan_line(&b->ctx->scan, "", "policy_dir");
	if (dir[0] != '/') {
		load_error(b->ctx, b->dir_line, "policy_dir: \"%s\" must be an "
		    "absolute path", dir);
		return;
	}
	if ((b->c->policy_dir = dup_or_fail(b, dir)) == NULL)
		return;
	if (policy_dir_scan(dir, &ops) != 0 || b->failed)
		return;
	if (b->c->ndomains > first)
		qsort(b->c->domains + first, b->c->ndomains - first,
		    sizeof(*b->c->domains), rule_name_cmp);
	if (domain_table_reserve(b->c->domain_index, b->c->ndomains - first)) {
		load_error(b->ctx, 0, "out of memory");
		b->failed = 1;
	}
	for (i = first; i < b->c->ndomains && !b->failed; i++)
		index_rule(b, i, b->c->domains[i].name);
	b->c->domains_from_dir = b->c->ndomains - first;
}

void
conf_domains_build(struct load_ctx *ctx, cfg_t *cfg, struct conf *c)
{
	struct build b = { ctx, c, 0, 0, 0 };
	const char *dir = cfg_getstr(cfg, "policy_dir");
	size_t i;

	if ((c->domain_index = domain_table_new()) == NULL) {
		load_error(ctx, 0, "out of memory");
		return;
	}
	for (i = 0; i < ctx->blocks.count && !b.failed; i++)
		add_block(&b, &ctx->blocks.v[i]);
	if (dir[0] != '\0' && !b.failed)
		read_policy_dir(&b, dir);
	for (i = 0; i < c->ndomains; i++)
		c->domains_by_mode[c->domains[i].mode]++;
}

/* Lines the policy parser ignored (repeated fields), named by block. */
static void
policy_warnings(struct conf *c, const struct domain_rule *d)
{
	size_t i;

	for (i = 0; i < d->policy.nwarnings; i++)
		conf_warn(c, "domain \"%s%s\": %s: %s", d->subdomains ? "." :
		    "", d->name, d->policy_file, d->policy.warnings[i]);
}

static void
check_one(struct conf *c, const struct domain_rule *d, const char *host)
{
	if (d->policy.mode == STS_MODE_OFF ||
	    policy_host_allowed(&d->policy, host))
		return;
	conf_warn(c, "domain \"%s%s\": this host (%s) matches no mx line of "
	    "%s (mode %s): senders that obey that policy cannot deliver here",
	    d->subdomains ? "." : "", d->name, host, d->policy_file,
	    sts_mode_name(d->policy.mode));
}

void
conf_domains_check_hostnames(struct conf *c)
{
	const struct domain_rule *d, *example = NULL;
	char buf[256];
	const char *host = conf_hostname(c, NULL, buf, sizeof(buf));
	size_t i, n = 0;

	for (i = 0; i < c->ndomains; i++) {
		d = &c->domains[i];
		if (d->policy_file == NULL)
			continue;
		policy_warnings(c, d);
		if (!d->from_policy_dir) {
			check_one(c, d, host);
			continue;
		}
		if (d->policy.mode != STS_MODE_OFF &&
		    !policy_host_allowed(&d->policy, host) && n++ == 0)
			example = d;
	}
	/* One line for the whole tree, not one per customer. */
	if (example != NULL)
		conf_warn(c, "policy_dir: this host (%s) matches no mx line of "
		    "%zu policies (first: %s, mode %s): senders that obey them "
		    "cannot deliver here", host, n, example->policy_file,
		    sts_mode_name(example->policy.mode));
}

void
conf_domains_free(struct conf *c)
{
	size_t i;

	for (i = 0; i < c->ndomains; i++) {
		free(c->domains[i].name);
		free(c->domains[i].policy_file);
		policy_free(&c->domains[i].policy);
	}
	free(c->domains);
	domain_table_free(c->domain_index);
	free(c->policy_dir);
}
