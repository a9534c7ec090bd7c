/*
 * probe.c - the published-policy check ("mtasts-milter -C DOMAIN").
 *
 * Layer milter/probe: "-C DOMAIN", the published-policy check.  Uses core,
 * net and lib; only main() uses it.
 *
 * For each domain, six checks in a fixed order (txt, policy, mx,
 * hostname, tlsrpt, mode), each giving ok, warn or fail with a one-line
 * detail.  The checks keep going after a failure, so one run shows
 * everything an administrator has to fix; a check that needs the policy
 * says "not checked" (warn) when there is none.  Every string that came
 * from the network is sanitised (bytes outside printable ASCII become
 * \xHH) before it reaches the output.
 *
 * Time: check_timeout bounds the TXT lookup, the policy host lookup and
 * the HTTPS fetch together (what a sender spends on one policy); the MX
 * and TLSRPT lookups get check_timeout each.  Worst case per domain:
 * three times check_timeout, plus glibc's one-second rounding.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "probe/probe.h"
#include "probe/probe_list.h"
#include "probe/probe_print.h"
#include "probe/probe_mx.h"
#include "net/dnsquery.h"
#include "core/dnsrecord.h"
#include "core/engine.h"
#include "net/https_fetch.h"
#include "core/policy.h"
#include "lib/clock.h"
#include "lib/dnsname.h"
#include "lib/errfmt.h"
#include "lib/hostport.h"

#define MAX_ADDRS	16
#define POLICY_PATH	"/.well-known/mta-sts.txt"

struct prober {
	const struct conf	*conf;
	struct dnsq		*dns;
	const char		*domain;
	struct probe_report		*rep;
	bool			 txt_ok;
	bool			 have_policy;
	struct sts_policy	 policy;
	long			 timeout;	/* check_timeout, seconds */
	long long		 deadline;	/* of txt + policy, ms */
	char			*mx[DNSQ_MAX_RR];	/* to probe, in order */
	size_t			 nmx;
};




static const char *
policy_mode_name(enum sts_mode m)
{
	return m == STS_MODE_OFF ? "none" : sts_mode_name(m);
}

/* Lower case, one trailing dot dropped; short enough for "_smtp._tls.". */
static bool
normalise_domain(const char *in, char *out, size_t outlen)
{
	return dnsname_normalise(in, out, outlen) && strlen(out) <= 240;
}

typedef bool (*record_counts_fn)(const char *rec, size_t len, size_t nrr);

/* "v=TLSRPTv1" then ";", blanks or the end ("v=TLSRPTv10" is another). */
static bool
tlsrpt_candidate(const char *rec, size_t len, size_t nrr)
{
	(void)nrr;
	return len >= 10 && memcmp(rec, "v=TLSRPTv1", 10) == 0 &&
	    (len == 10 || rec[10] == ';' || rec[10] == ' ' || rec[10] == '\t');
}

/*
 * The one record that counts; NULL when none or several.  For _mta-sts,
 * dnsrecord_sts_candidate() applies RFC 8461 3.1: with several records,
 * those not beginning with "v=STSv1;" are discarded before counting.
 */
static const struct dnsq_rr *
pick_record(const struct dnsq_result *r, record_counts_fn counts,
    size_t *count)
{
	const struct dnsq_rr *found = NULL;
	size_t i;

	*count = 0;
	for (i = 0; i < r->nrr; i++)
		if (counts(r->rr[i].data, r->rr[i].len, r->nrr)) {
			found = &r->rr[i];
			(*count)++;
		}
	return *count == 1 ? found : NULL;
}

static void
check_txt(struct prober *ck)
{
	const struct dnsq_rr *rr;
	struct dnsq_result r;
	char name[256], why[160], via[DNSQ_NAME_MAX + 16] = "";
	size_t n;

	(void)snprintf(name, sizeof(name), "_mta-sts.%s", ck->domain);
	if (dnsq_lookup(ck->dns, name, ns_t_txt, &r) == DNSQ_ERROR) {
		probe_add(ck->rep, PROBE_FAIL, "txt", "%s", r.err);
		return;
	}
	if (r.ncname > 0)
		(void)snprintf(via, sizeof(via), " (via CNAME %s)", r.owner);
	if (r.status != DNSQ_OK)
		probe_add(ck->rep, PROBE_FAIL, "txt", "no %s TXT record%s",
		    name, via);
	else if ((rr = pick_record(&r, dnsrecord_sts_candidate, &n)) == NULL &&
	    n == 0)
		probe_add(ck->rep, PROBE_FAIL, "txt",
		    "no v=STSv1 record at %s%s", name,
		    via);
	else if (rr == NULL)
		probe_add(ck->rep, PROBE_FAIL, "txt",
		    "%zu v=STSv1 records at %s: senders "
		    "ignore them all", n, name);
	else if (dnsrecord_sts(rr->data, rr->len, why, sizeof(why)) != 0)
		probe_add(ck->rep, PROBE_FAIL, "txt",
		    "invalid record \"%.200s\": %s",
		    rr->data, why);
	else {
		probe_add(ck->rep, PROBE_OK, "txt", "%s%s", rr->data, via);
		ck->txt_ok = true;
	}
	dnsq_result_free(&r);
}

/* check_connect "HOST:PORT" (HOST may be [v6]) through getaddrinfo. */
static int
connect_override(const char *spec, struct sockaddr_storage *addrs,
    size_t *n, char *why, size_t whylen)
{
	struct addrinfo hints, *res, *ai;
	struct hostport hp;
	char port[8];
	int e;

	/* conf.c checked the syntax. */
	if (!hostport_parse(spec, ':', 443, &hp))
		return errfmt(why, whylen, "check_connect %s: not HOST:PORT",
		    spec);
	(void)snprintf(port, sizeof(port), "%u", hp.port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((e = getaddrinfo(hp.host, port, &hints, &res)) != 0)
		return errfmt(why, whylen, "check_connect %s: %s", spec,
		    gai_strerror(e));
	for (ai = res, *n = 0; ai != NULL && *n < MAX_ADDRS; ai = ai->ai_next)
		if (ai->ai_addrlen <= sizeof(addrs[0]))
			memcpy(&addrs[(*n)++], ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

/* The policy host's addresses, unless check_connect says otherwise. */
static int
policy_addresses(struct prober *ck, const char *host,
    struct sockaddr_storage *addrs, size_t *n, char *why, size_t whylen)
{
	if (ck->conf->check_connect != NULL && ck->conf->check_connect[0])
		return connect_override(ck->conf->check_connect, addrs, n,
		    why, whylen);
	*n = dnsq_addresses(ck->dns, host, 443, addrs, MAX_ADDRS, why, whylen);
	return *n > 0 ? 0 : -1;
}

static bool
is_text_plain(const char *ct)
{
	size_t len = strcspn(ct, ";");

	while (len > 0 && (ct[len - 1] == ' ' || ct[len - 1] == '\t'))
		len--;
	return len == 10 && strncasecmp(ct, "text/plain", 10) == 0;
}

static void
policy_summary(const struct sts_policy *p, char *buf, size_t len)
{
	size_t i, o;

	o = (size_t)snprintf(buf, len, "mode=%s max_age=%ld mx=",
	    policy_mode_name(p->mode), p->max_age);
	for (i = 0; i < p->nmx && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s",
		    i > 0 ? "," : "", p->mx[i]);
	if (p->nmx == 0 && o < len)
		(void)snprintf(buf + o, len - o, "(none)");
}

static void
judge_policy(struct prober *ck, const struct https_response *resp)
{
	char err[200], summary[PROBE_DETAIL_MAX], warned[PROBE_DETAIL_MAX];
	size_t i, o = 0;
	int line;

	if (resp->status >= 300 && resp->status < 400)
		probe_add(ck->rep, PROBE_FAIL, "policy",
		    "HTTP %d redirect to %s (redirects "
		    "are not followed)", resp->status, resp->location[0] ?
		    resp->location : "nowhere");
	else if (resp->status != 200)
		probe_add(ck->rep, PROBE_FAIL, "policy",
		    "HTTP status %d (200 required)",
		    resp->status);
	else if (policy_parse(resp->body, resp->len, &ck->policy, err,
	    sizeof(err), &line) != 0) {
		if (line > 0)
			probe_add(ck->rep, PROBE_FAIL, "policy",
			    "invalid policy: line %d: "
			    "%s", line, err);
		else
			probe_add(ck->rep, PROBE_FAIL, "policy",
			    "invalid policy: %s", err);
	} else {
		ck->have_policy = true;
		policy_summary(&ck->policy, summary, sizeof(summary));
		/* Lines the parser ignored (repeated fields) make it a warn. */
		warned[0] = '\0';
		for (i = 0; i < ck->policy.nwarnings && o < sizeof(warned); i++)
			o += (size_t)snprintf(warned + o, sizeof(warned) - o,
			    "%s; ", ck->policy.warnings[i]);
		if (!is_text_plain(resp->content_type))
			probe_add(ck->rep, PROBE_WARN, "policy",
			    "Content-Type \"%.60s\" is "
			    "not text/plain; %s%s", resp->content_type, warned,
			    summary);
		else if (warned[0] != '\0')
			probe_add(ck->rep, PROBE_WARN, "policy", "%s%s", warned,
			    summary);
		else
			probe_add(ck->rep, PROBE_OK, "policy", "%s", summary);
	}
}

static void
check_policy(struct prober *ck)
{
	struct sockaddr_storage addrs[MAX_ADDRS];
	struct https_request req;
	struct https_response resp;
	char host[256], why[320];
	long long left;
	size_t n;

	/* check_timeout bounds the TXT lookup, the host lookup and fetch. */
	if ((left = ck->deadline - clock_now_ms()) <= 0) {
		probe_add(ck->rep, PROBE_FAIL, "policy",
		    "not fetched: check_timeout (%ld "
		    "s) used up by DNS", ck->timeout);
		return;
	}
	dnsq_set_timeout(ck->dns, (long)(left / 1000));
	(void)snprintf(host, sizeof(host), "mta-sts.%s", ck->domain);
	n = 0;
	if (policy_addresses(ck, host, addrs, &n, why, sizeof(why)) != 0 ||
	    (left = ck->deadline - clock_now_ms()) <= 0) {
		probe_add(ck->rep, PROBE_FAIL, "policy", "%s",
		    n == 0 ? why : "not fetched: "
		    "check_timeout used up by DNS");
		return;
	}
	memset(&req, 0, sizeof(req));
	req.host = host;
	req.path = POLICY_PATH;
	req.addrs = addrs;
	req.naddrs = n;
	req.ca_file = ck->conf->check_ca_file;
	req.timeout_ms = left;
	req.max_body = POLICY_MAX_BYTES;
	if (https_fetch(&req, &resp) != 0 && resp.timed_out)
		probe_add(ck->rep, PROBE_FAIL, "policy",
		    "%s (check_timeout %ld s)",
		    resp.err, ck->timeout);
	else if (resp.err[0] != '\0')
		probe_add(ck->rep, PROBE_FAIL, "policy", "%s", resp.err);
	else
		judge_policy(ck, &resp);
	https_response_free(&resp);
	dnsq_set_timeout(ck->dns, ck->timeout);
}

static int
mx_cmp(const void *a, const void *b)
{
	const struct dnsq_rr *x = a, *y = b;

	if (x->pref != y->pref)
		return x->pref < y->pref ? -1 : 1;
	return strcasecmp(x->data, y->data);
}

/* Appends "name" to a comma-separated list. */
static void
list_add(char *buf, size_t len, const char *name)
{
	size_t o = strlen(buf);

	if (o < len)
		(void)snprintf(buf + o, len - o, "%s%s", o > 0 ? ", " : "",
		    name);
}

/* Hosts outside the mx patterns of an enforce or testing policy. */
static void
add_mismatch(struct prober *ck, const char *check, const char *hosts,
    const char *verb, const char *whom)
{
	if (ck->policy.mode == STS_MODE_ENFORCE)
		probe_add(ck->rep, PROBE_FAIL, check,
		    "%s %s no policy mx pattern (mode "
		    "enforce): senders that obey the policy will not deliver "
		    "to %s", hosts, verb, whom);
	else
		probe_add(ck->rep, PROBE_WARN, check,
		    "%s %s no policy mx pattern (mode "
		    "testing): enforce would stop delivery to %s", hosts, verb,
		    whom);
}

static void
judge_mx(struct prober *ck, struct dnsq_rr *rr, size_t n, const char *how)
{
	char all[PROBE_DETAIL_MAX] = "", bad[PROBE_DETAIL_MAX] = "";
	enum sts_mode mode = ck->policy.mode;
	size_t i, nbad = 0;

	qsort(rr, n, sizeof(*rr), mx_cmp);
	for (i = 0; i < n; i++) {
		if (ck->nmx < DNSQ_MAX_RR &&
		    (ck->mx[ck->nmx] = strdup(rr[i].data)) != NULL)
			ck->nmx++;
		list_add(all, sizeof(all), rr[i].data);
		if (!policy_host_allowed(&ck->policy, rr[i].data)) {
			list_add(bad, sizeof(bad), rr[i].data);
			nbad++;
		}
	}
	if (!ck->have_policy)
		probe_add(ck->rep, PROBE_WARN, "mx",
		    "%s%s (not checked: no valid policy)",
		    how, all);
	else if (nbad == 0 || mode == STS_MODE_OFF)
		probe_add(ck->rep, PROBE_OK, "mx", "%s%s%s", how, all,
		    nbad == 0 ?
		    " (all match the policy)" : " (policy mode none)");
	else
		add_mismatch(ck, "mx", bad, nbad > 1 ? "match" : "matches",
		    nbad > 1 ? "them" : "it");
}

static void
check_mx(struct prober *ck)
{
	struct dnsq_result r;
	struct dnsq_rr implicit;
	char self[256];

	switch (dnsq_lookup(ck->dns, ck->domain, ns_t_mx, &r)) {
	case DNSQ_ERROR:
		probe_add(ck->rep, PROBE_FAIL, "mx", "%s", r.err);
		return;
	case DNSQ_NXDOMAIN:
		probe_add(ck->rep, PROBE_FAIL, "mx",
		    "%s does not exist (NXDOMAIN)",
		    ck->domain);
		return;
	case DNSQ_NODATA:
		(void)snprintf(self, sizeof(self), "%s", ck->domain);
		implicit.data = self;
		implicit.len = strlen(self);
		implicit.pref = 0;
		judge_mx(ck, &implicit, 1, "no MX record, implicit MX ");
		return;
	case DNSQ_OK:
	default:
		break;
	}
	if (r.nrr == 1 && (r.rr[0].len == 0 || strcmp(r.rr[0].data, ".") == 0))
		probe_add(ck->rep, PROBE_WARN, "mx",
		    "null MX (RFC 7505): %s accepts no "
		    "mail", ck->domain);
	else
		judge_mx(ck, r.rr, r.nrr, "");
	dnsq_result_free(&r);
}

static void
check_hostname(struct prober *ck)
{
	char buf[256];
	const char *h = conf_hostname(ck->conf, NULL, buf, sizeof(buf));
	size_t i;

	if (!ck->have_policy) {
		probe_add(ck->rep, PROBE_WARN, "hostname",
		    "%s (not checked: no valid "
		    "policy)", h);
		return;
	}
	for (i = 0; i < ck->policy.nmx; i++)
		if (policy_mx_match(ck->policy.mx[i], h)) {
			probe_add(ck->rep, PROBE_OK, "hostname",
			    "%s matches mx %s", h,
			    ck->policy.mx[i]);
			return;
		}
	if (ck->policy.mode == STS_MODE_OFF)
		probe_add(ck->rep, PROBE_OK, "hostname",
		    "%s (policy mode none)", h);
	else
		add_mismatch(ck, "hostname", h, "matches", "this host");
}

/* Would this milter reject plaintext mail to a rua mailbox? */
static bool
rua_blocked(struct prober *ck, const char *addr)
{
	const struct domain_rule *rule;
	size_t dl, pl = strlen(ck->domain);
	char rcpt[320], dom[256];

	if (!normalise_domain(strrchr(addr, '@') + 1, dom, sizeof(dom)) ||
	    engine_mode_for_domain(ck->conf, dom, NULL, &rule) !=
	    STS_MODE_ENFORCE)
		return false;
	/* Only mailboxes this host receives: the domain, below, or a block. */
	dl = strlen(dom);
	if (rule == NULL && strcmp(dom, ck->domain) != 0 && (dl <= pl ||
	    dom[dl - pl - 1] != '.' || strcmp(dom + dl - pl, ck->domain) != 0))
		return false;
	(void)snprintf(rcpt, sizeof(rcpt), "<%s>", addr);
	return !engine_recipient_exempt(ck->conf, rcpt);
}

static void
judge_tlsrpt(struct prober *ck, const struct dnsq_rr *rr)
{
	struct tlsrpt_info info;
	char why[160];
	size_t i;

	if (dnsrecord_tlsrpt(rr->data, rr->len, &info, why,
	    sizeof(why)) != 0) {
		probe_add(ck->rep, PROBE_WARN, "tlsrpt",
		    "invalid record \"%.200s\": %s",
		    rr->data, why);
		return;
	}
	for (i = 0; i < info.nmailto; i++)
		if (rua_blocked(ck, info.mailto[i])) {
			probe_add(ck->rep, PROBE_WARN, "tlsrpt",
			    "rua %s is not reachable "
			    "in plaintext: this milter enforces for it (add it "
			    "to exempt_recipients)", info.mailto[i]);
			return;
		}
	probe_add(ck->rep, PROBE_OK, "tlsrpt", "%s", rr->data);
}

static void
check_tlsrpt(struct prober *ck)
{
	const struct dnsq_rr *rr;
	struct dnsq_result r;
	char name[256];
	size_t n;

	(void)snprintf(name, sizeof(name), "_smtp._tls.%s", ck->domain);
	if (dnsq_lookup(ck->dns, name, ns_t_txt, &r) == DNSQ_ERROR) {
		probe_add(ck->rep, PROBE_WARN, "tlsrpt", "%s", r.err);
		return;
	}
	if (r.status != DNSQ_OK)
		probe_add(ck->rep, PROBE_WARN, "tlsrpt",
		    "no _smtp._tls record");
	else if ((rr = pick_record(&r, tlsrpt_candidate, &n)) == NULL && n == 0)
		probe_add(ck->rep, PROBE_WARN, "tlsrpt",
		    "no v=TLSRPTv1 record at %s", name);
	else if (rr == NULL)
		probe_add(ck->rep, PROBE_WARN, "tlsrpt",
		    "%zu v=TLSRPTv1 records at %s: "
		    "reporters ignore them all", n, name);
	else
		judge_tlsrpt(ck, rr);
	dnsq_result_free(&r);
}

static void
check_mode(struct prober *ck)
{
	const struct domain_rule *rule;
	enum mode_source src;
	enum sts_mode m, pub;
	char from[300], pubname[48];
	bool valid;

	m = engine_mode_for_domain(ck->conf, ck->domain, &src, &rule);
	if (rule != NULL)
		(void)snprintf(from, sizeof(from), "domain \"%s%s\"%s",
		    rule->subdomains ? "." : "", rule->name,
		    rule->policy_file != NULL ? " policy_file" : "");
	else
		(void)snprintf(from, sizeof(from), "%s",
		    src == MODE_FROM_POLICY ? "global policy_file" :
		    src == MODE_FROM_CONFIG ? "global mode" : "default mode");
	valid = ck->txt_ok && ck->have_policy;
	pub = valid ? ck->policy.mode : STS_MODE_OFF;
	if (valid)
		(void)snprintf(pubname, sizeof(pubname), "the published mode "
		    "is %s", policy_mode_name(pub));
	else
		(void)snprintf(pubname, sizeof(pubname), "no valid policy is "
		    "published");
	if (pub == STS_MODE_ENFORCE && m != STS_MODE_ENFORCE)
		probe_add(ck->rep, PROBE_WARN, "mode", "published enforce, "
		    "but the milter applies %s (%s): plaintext mail is "
		    "accepted",
		    sts_mode_name(m), from);
	else if (m == STS_MODE_ENFORCE && pub != STS_MODE_ENFORCE)
		probe_add(ck->rep, PROBE_WARN, "mode",
		    "the milter enforces (%s), but %s",
		    from, pubname);
	else
		probe_add(ck->rep, PROBE_OK, "mode", "milter %s (%s), %s",
		    sts_mode_name(m),
		    from, pubname);
}

/* starttls, certificate and dane of the MX hosts check_mx() found. */
static void
check_mx_hosts(struct prober *ck)
{
	size_t i;

	probe_mx_hosts(ck->conf, ck->have_policy ? &ck->policy : NULL, ck->mx,
	    ck->nmx, ck->rep);
	for (i = 0; i < ck->nmx; i++)
		free(ck->mx[i]);
	ck->nmx = 0;
}

static void
check_one(const struct conf *conf, struct dnsq *dns, const char *arg,
    struct probe_report *rep)
{
	struct prober ck;

	memset(&ck, 0, sizeof(ck));
	ck.conf = conf;
	ck.dns = dns;
	ck.rep = rep;
	ck.domain = rep->domain;
	ck.timeout = conf->check_timeout > 0 ? conf->check_timeout : 60;
	ck.deadline = clock_now_ms() + ck.timeout * 1000LL;
	if (!normalise_domain(arg, rep->domain, sizeof(rep->domain))) {
		(void)snprintf(rep->domain, sizeof(rep->domain), "%.200s", arg);
		probe_add(rep, PROBE_FAIL, "txt", "invalid domain name");
		return;
	}
	check_txt(&ck);
	check_policy(&ck);
	check_mx(&ck);
	check_hostname(&ck);
	check_tlsrpt(&ck);
	check_mode(&ck);
	check_mx_hosts(&ck);
	policy_free(&ck.policy);
}

int
probe_domains(const struct conf *conf, char *const *domains, size_t n,
    bool json, FILE *out)
{
	struct probe_report *reps;
	struct dnsq *dns;
	enum probe_status all = PROBE_OK;
	char err[256];
	size_t i, len;
	int width = 0;

	dns = dnsq_open(conf->check_resolver, conf->check_timeout > 0 ?
	    conf->check_timeout : 60, err, sizeof(err));
	if (dns == NULL || (reps = calloc(n > 0 ? n : 1, sizeof(*reps))) ==
	    NULL) {
		fprintf(stderr, "mtasts-milter: -C: %s\n", dns == NULL ? err :
		    "out of memory");
		dnsq_close(dns);
		return 1;
	}
	for (i = 0; i < n; i++) {
		len = strnlen(domains[i], 200);
		if (len > 1 && domains[i][len - 1] == '.')
			len--;
		if ((int)len > width)
			width = (int)len;
	}
	for (i = 0; i < n; i++) {
		check_one(conf, dns, domains[i], &reps[i]);
		if (probe_report_worst(&reps[i]) > all)
			all = probe_report_worst(&reps[i]);
		if (!json)
			probe_print_text(out, &reps[i], width);
	}
	if (json)
		probe_print_json(out, reps, n, all);
	for (i = 0; i < n; i++)
		probe_report_free(&reps[i]);
	free(reps);
	dnsq_close(dns);
	return all == PROBE_FAIL ? 1 : 0;
}

/* For probe_list.c (-C @FILE): one domain, the caller's resolver. */
void
probe_one(const struct conf *conf, struct dnsq *dns, const char *domain,
    struct probe_report *rep)
{
	check_one(conf, dns, domain, rep);
}
