/*
 * conf_print.c - the effective policy as "-n" prints it.
 *
 * What -n prints is what the engine will do: the global mode and where it
 * came from, each domain block, exemptions, the stage where rejections
 * happen, and every warning found while loading.  More than
 * PRINT_DOMAINS_MAX domains are summarised (counts per mode and source)
 * unless the log level is debug (-d debug): a provider's 100,000 domains
 * are not read line by line.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "core/conf.h"
#include "core/engine.h"
#include "lib/log.h"
#include "lib/netlist.h"

#define PRINT_DOMAINS_MAX	50

enum { FROM_BLOCK_MODE, FROM_BLOCK_POLICY, FROM_DIR, NFROM };

static const char *
source_name(enum mode_source s)
{
	switch (s) {
	case MODE_FROM_CONFIG:
		return "config";
	case MODE_FROM_POLICY:
		return "policy file";
	case MODE_FROM_DEFAULT:
	default:
		return "default";
	}
}

static void
print_reply(FILE *fp, const char *what, const struct reply *r)
{
	fprintf(fp, "%-22s %s %s %s\n", what, r->code, r->xcode, r->text);
}

static void
print_exemptions(const struct conf *c, FILE *fp)
{
	size_t i;

	fprintf(fp, "%-22s", "exempt networks:");
	for (i = 0; i < netlist_count(c->exempt_networks); i++)
		fprintf(fp, " %s", netlist_entry(c->exempt_networks, i));
	fprintf(fp, "%s\n", netlist_count(c->exempt_networks) ? "" : " (none)");
	fprintf(fp, "%-22s %s\n", "exempt authenticated:",
	    c->exempt_authenticated ? "yes" : "no");
	fprintf(fp, "%-22s", "exempt recipients:");
	for (i = 0; i < c->nexempt_rcpts; i++)
		fprintf(fp, " %s%s%s", c->exempt_rcpts[i].local != NULL ?
		    c->exempt_rcpts[i].local : "",
		    c->exempt_rcpts[i].domain != NULL ? "@" : "",
		    c->exempt_rcpts[i].domain != NULL ?
		    c->exempt_rcpts[i].domain : "");
	fprintf(fp, "%s\n", c->nexempt_rcpts ? "" : " (none)");
}

static void
print_downgrade(const struct conf *c, FILE *fp)
{
	fprintf(fp, "%-22s %s\n", "downgrade:", downgrade_mode_name(c->downgrade));
	if (c->downgrade == DOWNGRADE_OFF)
		return;
	if (c->downgrade == DOWNGRADE_TEMPFAIL)
		print_reply(fp, "downgrade reply:", &c->downgrade_reply);
	fprintf(fp, "%-22s %s\n", "history:", c->history.db);
	fprintf(fp, "%-22s /%ld (IPv4), /%ld (IPv6); protected after %ld TLS "
	    "transaction(s) and no plaintext for %ld day(s); forgotten after "
	    "%ld day(s)\n", "history networks:", (long)c->history.prefix_v4,
	    (long)c->history.prefix_v6, c->history.min_tls,
	    c->history.window / 86400, c->history.expire / 86400);
}

static void
print_summary(const struct conf *c, FILE *fp)
{
	static const enum sts_mode modes[] = { STS_MODE_ENFORCE,
	    STS_MODE_TESTING, STS_MODE_OFF };
	size_t n[3][NFROM], i, m;
	const struct domain_rule *d;

	memset(n, 0, sizeof(n));
	for (i = 0; i < c->ndomains; i++) {
		d = &c->domains[i];
		n[d->mode][d->from_policy_dir ? FROM_DIR : d->policy_file !=
		    NULL ? FROM_BLOCK_POLICY : FROM_BLOCK_MODE]++;
	}
	fprintf(fp, "%-22s %zu (%zu from domain blocks, %zu from policy_dir"
	    "%s%s); each listed with -n -d debug\n", "domains:", c->ndomains,
	    c->ndomains - c->domains_from_dir, c->domains_from_dir,
	    c->policy_dir != NULL ? " " : "",
	    c->policy_dir != NULL ? c->policy_dir : "");
	for (i = 0; i < 3; i++) {
		m = (size_t)modes[i];
		fprintf(fp, "  %-20s %zu (block mode %zu, block policy_file %zu, "
		    "policy_dir %zu)\n", sts_mode_name(modes[i]),
		    n[m][0] + n[m][1] + n[m][2], n[m][FROM_BLOCK_MODE],
		    n[m][FROM_BLOCK_POLICY], n[m][FROM_DIR]);
	}
	if (c->domains_overridden > 0)
		fprintf(fp, "  %-20s %zu policy_dir domain(s) have a domain "
		    "block, which wins\n", "overridden:", c->domains_overridden);
}

static void
print_domains(const struct conf *c, FILE *fp)
{
	const struct domain_rule *d;
	size_t i;

	if (c->ndomains > PRINT_DOMAINS_MAX && log_get_level() < LOG_DEBUG) {
		print_summary(c, fp);
		return;
	}
	if (c->policy_dir != NULL)
		fprintf(fp, "%-22s %s (%zu domains)\n", "policy_dir:",
		    c->policy_dir, c->domains_from_dir);
	for (i = 0; i < c->ndomains; i++) {
		d = &c->domains[i];
		fprintf(fp, "domain %s%s%s: %s (from %s%s%s)\n",
		    d->subdomains ? "." : "", d->name,
		    d->subdomains ? " and subdomains" : "",
		    sts_mode_name(d->mode), source_name(d->source),
		    d->policy_file != NULL ? " " : "",
		    d->policy_file != NULL ? d->policy_file : "");
	}
}

void
conf_print(const struct conf *c, FILE *fp)
{
	char host[256];
	size_t i;

	fprintf(fp, "%-22s %s\n", "config:", c->path);
	fprintf(fp, "%-22s %s\n", "socket:", c->socket);
	fprintf(fp, "%-22s %s (from %s%s%s)\n", "global mode:",
	    sts_mode_name(c->mode), source_name(c->mode_source),
	    c->policy_file != NULL ? " " : "",
	    c->policy_file != NULL ? c->policy_file : "");
	print_domains(c, fp);
	fprintf(fp, "%-22s %s\n", "rejections happen at:",
	    engine_rejects_all(c) ? "MAIL FROM (every recipient is enforced)" :
	    "RCPT TO (judged per recipient)");
	fprintf(fp, "%-22s %s%s\n", "hostname:",
	    conf_hostname(c, NULL, host, sizeof(host)),
	    c->hostname[0] == '\0' ? " (MTA's {j} when sent, else this "
	    "system's name)" : "");
	print_reply(fp, "reject reply:", &c->reject);
	fprintf(fp, "%-22s %s\n", "min TLS version:",
	    c->min_tls_version == TLSV_NONE ? "(any)" :
	    tls_level_name(c->min_tls_version));
	fprintf(fp, "%-22s %ld\n", "min cipher bits:", c->min_cipher_bits);
	print_exemptions(c, fp);
	fprintf(fp, "%-22s %s\n", "requiretls:", c->requiretls ? "on" : "off");
	if (c->requiretls)
		print_reply(fp, "requiretls reply:", &c->requiretls_reply);
	print_downgrade(c, fp);
	fprintf(fp, "%-22s %s\n", "stats file:",
	    c->stats_file != NULL ? c->stats_file : "(none)");
	for (i = 0; i < c->nwarnings; i++)
		fprintf(fp, "warning: %s\n", c->warnings[i]);
}
