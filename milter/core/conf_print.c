/*
 * conf_print.c - the effective policy as "-n" prints it.
 *
 * What -n prints is what the engine will do: the global mode and where it
 * came from, each domain block, exemptions, the stage where rejections
 * happen, and every warning found while loading.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/conf.h"
#include "core/engine.h"
#include "lib/netlist.h"

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
print_domains(const struct conf *c, FILE *fp)
{
	const struct domain_rule *d;
	size_t i;

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
