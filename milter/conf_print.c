/*
 * conf_print.c - the effective policy as "-n" prints it, and small
 * accessors of a loaded configuration (host name, TLS version names).
 *
 * What -n prints is what the engine will do: the global mode and where it
 * came from, each domain block, exemptions, the stage where rejections
 * happen, and every warning found while loading.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "engine.h"
#include "netlist.h"

static const struct {
	const char	*name;
	enum tls_level	 level;
} tls_levels[] = {
	{ "SSLv3", TLSV_SSLV3 },
	{ "TLSv1", TLSV_1_0 },
	{ "TLSv1.0", TLSV_1_0 },
	{ "TLSv1.1", TLSV_1_1 },
	{ "TLSv1.2", TLSV_1_2 },
	{ "TLSv1.3", TLSV_1_3 },
};

enum tls_level
tls_level_parse(const char *v)
{
	size_t i;

	if (v == NULL || v[0] == '\0')
		return TLSV_NONE;
	for (i = 0; i < sizeof(tls_levels) / sizeof(tls_levels[0]); i++)
		if (strcmp(v, tls_levels[i].name) == 0)
			return tls_levels[i].level;
	/* A future "TLSv1.4" or "TLSv2" is newer than every minimum. */
	if (strncmp(v, "TLSv", 4) == 0 && ((v[4] == '1' && v[5] == '.' &&
	    v[6] >= '4' && v[6] <= '9' && v[7] == '\0') ||
	    (v[4] >= '2' && v[4] <= '9' && (v[5] == '\0' || v[5] == '.'))))
		return TLSV_NEWER;
	return TLSV_UNKNOWN;
}

const char *
tls_level_name(enum tls_level l)
{
	size_t i;

	for (i = 0; i < sizeof(tls_levels) / sizeof(tls_levels[0]); i++)
		if (tls_levels[i].level == l)
			return tls_levels[i].name;
	return l == TLSV_NEWER ? "newer" : "";
}

const char *
conf_hostname(const struct conf *c, const char *mta_j, char *buf,
    size_t buflen)
{
	if (c->hostname != NULL && c->hostname[0] != '\0')
		return c->hostname;
	if (mta_j != NULL && mta_j[0] != '\0')
		return mta_j;
	if (gethostname(buf, buflen) != 0 || buflen == 0)
		return "localhost";
	buf[buflen - 1] = '\0';
	return buf;
}

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
	fprintf(fp, "%-22s %s\n", "stats file:",
	    c->stats_file != NULL ? c->stats_file : "(none)");
	for (i = 0; i < c->nwarnings; i++)
		fprintf(fp, "warning: %s\n", c->warnings[i]);
}
