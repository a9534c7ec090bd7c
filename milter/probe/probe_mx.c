/*
 * probe_mx.c - the MX part of "mtasts-milter -C": STARTTLS, certificate
 * and DANE of every MX host, probed concurrently.
 *
 * Each host gets a thread with its own resolver state (dnsq is not
 * shared) that looks up its addresses and TLSA records and runs
 * smtp_probe(); the threads only fill their own struct mx_job, and the
 * calling thread turns the jobs into report lines, in MX order, after
 * joining them all.  SIGPIPE is ignored while the probes run.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "lib/clock.h"
#include "probe/probe_mx.h"
#include "net/dnsquery.h"
#include "net/smtp_probe.h"

#define MAX_TLSA	16

struct mx_job {
	const struct conf	*conf;
	const char		*mx;
	const char		*helo;
	const struct sockaddr_storage *forced;	/* check_smtp_connect */
	size_t			 nforced;
	/* results */
	char			 why[256];	/* no address, DNS errors */
	struct smtp_probe_result res;
	bool			 probed;
	enum dnsq_status	 tlsa_status;
	char			 tlsa_err[160];
	bool			 tlsa_ad;
	size_t			 ntlsa, nusable;
	struct smtp_tlsa	 tlsa[MAX_TLSA];
	unsigned char		 tlsa_data[MAX_TLSA][1024];
};



/* Seconds left until deadline, at least 1 (dnsq counts whole seconds). */
static long
left_s(long long deadline)
{
	long long ms = deadline - clock_now_ms();

	return ms < 1000 ? 1 : (long)(ms / 1000);
}

/* check_smtp_connect "HOST:PORT" (HOST may be [v6]) via getaddrinfo. */
static size_t
forced_addresses(const char *spec, struct sockaddr_storage *addrs,
    size_t max, char *why, size_t whylen)
{
	struct addrinfo hints, *res, *ai;
	const char *colon = strrchr(spec, ':');
	char host[256];
	size_t hlen = colon != NULL ? (size_t)(colon - spec) : 0, n = 0;
	int e;

	if (hlen > 2 && spec[0] == '[' && colon[-1] == ']')
		(void)snprintf(host, sizeof(host), "%.*s", (int)hlen - 2,
		    spec + 1);
	else
		(void)snprintf(host, sizeof(host), "%.*s", (int)hlen, spec);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((e = getaddrinfo(host, colon != NULL ? colon + 1 : "25", &hints,
	    &res)) != 0) {
		(void)snprintf(why, whylen, "check_smtp_connect %s: %s", spec,
		    gai_strerror(e));
		return 0;
	}
	for (ai = res; ai != NULL && n < max; ai = ai->ai_next)
		if (ai->ai_addrlen <= sizeof(addrs[0]))
			memcpy(&addrs[n++], ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(res);
	return n;
}

/* The first A and the first AAAA record of the MX, in that order. */
static size_t
mx_addresses(struct mx_job *j, struct dnsq *dns, long long deadline,
    struct sockaddr_storage *addrs)
{
	struct sockaddr_storage all[DNSQ_MAX_RR];
	size_t i, k, n = 0;

	/* A and AAAA: half of the DNS budget each, the TLSA lookup the rest. */
	dnsq_set_timeout(dns, left_s(deadline) / 2);
	k = dnsq_addresses(dns, j->mx, (unsigned short)j->conf->check_smtp_port,
	    all, DNSQ_MAX_RR, j->why, sizeof(j->why));
	/* dnsq_addresses() gives the A records first, then the AAAA. */
	for (i = 0; i < k && n < 2; i++)
		if (n == 0 || all[i].ss_family != addrs[0].ss_family)
			addrs[n++] = all[i];
	return n;
}

static void
lookup_tlsa(struct mx_job *j, struct dnsq *dns, long long deadline)
{
	struct dnsq_result r;
	char name[DNSQ_NAME_MAX];
	size_t i;

	(void)snprintf(name, sizeof(name), "_25._tcp.%s", j->mx);
	dnsq_set_timeout(dns, left_s(deadline));
	j->tlsa_status = dnsq_lookup(dns, name, ns_t_tlsa, &r);
	j->tlsa_ad = r.ad;
	(void)snprintf(j->tlsa_err, sizeof(j->tlsa_err), "%s", r.err);
	for (i = 0; i < r.nrr && j->ntlsa < MAX_TLSA; i++, j->ntlsa++) {
		struct smtp_tlsa *t = &j->tlsa[j->ntlsa];

		t->usage = (unsigned char)r.rr[i].data[0];
		t->selector = (unsigned char)r.rr[i].data[1];
		t->mtype = (unsigned char)r.rr[i].data[2];
		t->len = r.rr[i].len - 3;
		memcpy(j->tlsa_data[j->ntlsa], r.rr[i].data + 3, t->len);
		t->data = j->tlsa_data[j->ntlsa];
	}
	dnsq_result_free(&r);
}

/* Usage 2 and 3 records first: only those are given to OpenSSL. */
static void
sort_usable(struct mx_job *j)
{
	struct smtp_tlsa t;
	size_t i, k;

	for (i = 0, k = 0; i < j->ntlsa; i++)
		if (j->tlsa[i].usage == 2 || j->tlsa[i].usage == 3) {
			t = j->tlsa[k];
			j->tlsa[k++] = j->tlsa[i];
			j->tlsa[i] = t;
		}
	j->nusable = k;
}

static void *
run_job(void *arg)
{
	struct mx_job *j = arg;
	struct sockaddr_storage addrs[2];
	struct smtp_probe_request req;
	struct dnsq *dns;
	long timeout = j->conf->check_timeout > 0 ? j->conf->check_timeout : 60;
	long long dns_deadline = clock_now_ms() + timeout * 1000LL, deadline;
	size_t i, n;

	if ((dns = dnsq_open(j->conf->check_resolver, timeout, j->why,
	    sizeof(j->why))) == NULL)
		return NULL;
	n = j->nforced > 0 ? j->nforced : mx_addresses(j, dns, dns_deadline,
	    addrs);
	if (n > 0) {
		lookup_tlsa(j, dns, dns_deadline);
		sort_usable(j);
	}
	dnsq_close(dns);
	memset(&req, 0, sizeof(req));
	req.mx = j->mx;
	req.helo = j->helo;
	req.ca_file = j->conf->check_ca_file;
	req.tlsa = j->tlsa;
	req.ntlsa = j->nusable;
	req.deadline_ms = deadline = clock_now_ms() + timeout * 1000LL;
	for (i = 0; i < n; i++) {
		req.addr = j->nforced > 0 ? &j->forced[i] : &addrs[i];
		req.connect_deadline_ms = clock_now_ms() + (deadline - clock_now_ms()) /
		    (long long)(n - i);
		if (j->probed)
			smtp_probe_result_free(&j->res);
		smtp_probe(&req, &j->res);
		j->probed = true;
		/* Another address only when this one could not be reached. */
		if (j->res.stage != SMTP_STAGE_CONNECT)
			break;
	}
	return NULL;
}

/* "2026-12-31" and the whole days from now (negative: ago). */
static long
day_diff(time_t t, char *date, size_t len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(date, len, "%Y-%m-%d",
	    &tm) == 0)
		(void)snprintf(date, len, "?");
	return (long)((t - time(NULL)) / 86400);
}

static void
report_starttls(struct probe_report *rep, const struct mx_job *j)
{
	const struct smtp_probe_result *r = &j->res;

	if (!j->probed)
		probe_add(rep, PROBE_FAIL, "starttls", "%s: %s", j->mx, j->why);
	else if (!r->tls)
		probe_add(rep, PROBE_FAIL, "starttls", "%s: %s", j->mx, r->err);
	else if (r->error != SMTP_ERR_NONE)
		probe_add(rep, PROBE_FAIL, "starttls", "%s: %s %s, then %s",
		    j->mx,
		    r->version, r->cipher, r->err);
	else
		probe_add(rep, PROBE_OK, "starttls", "%s: %s %s, REQUIRETLS %s",
		    j->mx, r->version, r->cipher, r->requiretls ?
		    "advertised" : "not advertised");
}

static void
report_certificate(struct probe_report *rep, const struct mx_job *j,
    const struct sts_policy *pol, long warn_days)
{
	const struct smtp_probe_result *r = &j->res;
	char date[32];
	long days;

	if (!r->have_cert) {
		probe_add(rep, PROBE_FAIL, "certificate", "%s: no certificate",
		    j->mx);
		return;
	}
	if (r->verify == X509_V_ERR_CERT_HAS_EXPIRED) {
		days = day_diff(r->not_after, date, sizeof(date));
		probe_add(rep, PROBE_FAIL, "certificate",
		    "%s: expired %s (%ld days "
		    "ago)", j->mx, date, -days);
	} else if (r->verify == X509_V_ERR_CERT_NOT_YET_VALID) {
		days = day_diff(r->not_before, date, sizeof(date));
		probe_add(rep, PROBE_FAIL, "certificate",
		    "%s: not valid before %s "
		    "(in %ld days)", j->mx, date, days);
	} else if (r->verify != X509_V_OK)
		probe_add(rep, PROBE_FAIL, "certificate", "%s: chain does not "
		    "verify: %s", j->mx, r->verify_text);
	else if (!r->name_match)
		probe_add(rep, PROBE_FAIL, "certificate",
		    "%s: does not match the MX "
		    "host name (issuer %s)", j->mx, r->issuer);
	else if (pol != NULL && pol->mode != STS_MODE_OFF &&
	    !policy_host_allowed(pol, j->mx))
		probe_add(rep,
		    pol->mode == STS_MODE_ENFORCE ? PROBE_FAIL : PROBE_WARN,
		    "certificate", "%s: matched by no mx line of the policy",
		    j->mx);
	else if ((days = day_diff(r->not_after, date, sizeof(date))) <
	    warn_days)
		probe_add(rep, PROBE_WARN, "certificate",
		    "%s: expires %s (%ld days "
		    "left, check_cert_warn_days %ld), issuer %s", j->mx, date,
		    days, warn_days, r->issuer);
	else
		probe_add(rep, PROBE_OK, "certificate", "%s: issuer %s, "
		    "expires %s (%ld days left)", j->mx, r->issuer, date,
		    days);
}

static void
report_dane(struct probe_report *rep, const struct mx_job *j)
{
	const struct smtp_probe_result *r = &j->res;
	const struct smtp_tlsa *m = &j->tlsa[0];
	size_t unusable = j->ntlsa - j->nusable;

	if (j->tlsa_status == DNSQ_ERROR) {
		probe_add(rep, PROBE_WARN, "dane", "%s: %s", j->mx,
		    j->tlsa_err);
		return;
	}
	if (j->ntlsa == 0)
		return;
	if (j->nusable == 0) {
		probe_add(rep, PROBE_WARN, "dane",
		    "%s: all %zu TLSA records use usage "
		    "0 or 1 (ignored for SMTP, RFC 7672 3.1.3)", j->mx, j->ntlsa);
		return;
	}
	if (!r->tls) {
		probe_add(rep, PROBE_FAIL, "dane", "%s: %zu TLSA records, "
		    "not checked: no TLS session", j->mx, j->ntlsa);
		return;
	}
	if (!r->dane_match) {
		probe_add(rep, j->tlsa_ad ? PROBE_FAIL : PROBE_WARN, "dane",
		    "%s: no "
		    "usable TLSA record matches the served chain%s", j->mx,
		    j->tlsa_ad ? ": DANE senders will not deliver" : " (answer "
		    "not DNSSEC-validated, AD bit clear: senders ignore it)");
		return;
	}
	if (!j->tlsa_ad)
		probe_add(rep, PROBE_WARN, "dane",
		    "%s: a usage %u record matches, but "
		    "the answer is not DNSSEC-validated (AD bit clear): senders "
		    "ignore it", j->mx, r->dane_usage);
	else if (unusable > 0)
		probe_add(rep, PROBE_WARN, "dane",
		    "%s: a usage %u record matches; %zu "
		    "of %zu records use usage 0 or 1 (ignored for SMTP)", j->mx,
		    r->dane_usage, unusable, j->ntlsa);
	else if (j->ntlsa == 1)
		probe_add(rep, PROBE_WARN, "dane", "%s: TLSA %u %u %u matches, "
		    "but it is the only record (no rollover cover)", j->mx,
		    m->usage,
		    m->selector, m->mtype);
	else
		probe_add(rep, PROBE_OK, "dane", "%s: a usage %u record of %zu "
		    "matches", j->mx, r->dane_usage, j->ntlsa);
}

void
probe_mx_hosts(const struct conf *conf, const struct sts_policy *pol,
    char *const *mx, size_t nmx, struct probe_report *rep)
{
	struct sockaddr_storage forced[4];
	struct sigaction ign, old;
	struct mx_job *jobs;
	pthread_t tid[PROBE_MX_MAX];
	bool started[PROBE_MX_MAX];
	char hbuf[256], why[256] = "";
	const char *helo;
	size_t i, n, nforced = 0;

	/* cppcheck 2.10 wrongly concludes n < 1 from this line. */
	n = nmx > PROBE_MX_MAX ? PROBE_MX_MAX : nmx;
	if ((jobs = calloc(PROBE_MX_MAX, sizeof(*jobs))) == NULL) {
		probe_add(rep, PROBE_FAIL, "starttls", "out of memory");
		return;
	}
	if (conf->check_smtp_connect != NULL && conf->check_smtp_connect[0])
		nforced = forced_addresses(conf->check_smtp_connect, forced, 4,
		    why, sizeof(why));
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &ign, &old);
	helo = conf_hostname(conf, NULL, hbuf, sizeof(hbuf));
	// cppcheck-suppress knownConditionTrueFalse
	for (i = 0; i < n; i++) {
		jobs[i].conf = conf;
		jobs[i].mx = mx[i];
		jobs[i].helo = helo;
		jobs[i].forced = forced;
		jobs[i].nforced = nforced;
		(void)snprintf(jobs[i].why, sizeof(jobs[i].why), "%s", why);
		started[i] = why[0] == '\0' &&
		    pthread_create(&tid[i], NULL, run_job, &jobs[i]) == 0;
		if (!started[i] && why[0] == '\0')
			(void)run_job(&jobs[i]);
	}
	// cppcheck-suppress knownConditionTrueFalse
	for (i = 0; i < n; i++) {
		if (started[i])
			(void)pthread_join(tid[i], NULL);
		report_starttls(rep, &jobs[i]);
		if (jobs[i].probed && jobs[i].res.tls)
			report_certificate(rep, &jobs[i], pol,
			    conf->check_cert_warn_days);
		report_dane(rep, &jobs[i]);
		smtp_probe_result_free(&jobs[i].res);
	}
	(void)sigaction(SIGPIPE, &old, NULL);
	// cppcheck-suppress knownConditionTrueFalse
	if (nmx > n)
		probe_add(rep, PROBE_WARN, "starttls",
		    "%zu more MX hosts not probed "
		    "(at most %d are)", nmx - n, PROBE_MX_MAX);
	free(jobs);
}
