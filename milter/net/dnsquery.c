/*
 * dnsquery.c - bounded DNS lookups for the published-policy check ("-C").
 *
 * Layer milter/net: network clients (DNS, HTTPS, the SMTP STARTTLS probe)
 * that return results and never print or log; used by -C (milter/probe)
 * and by the daemon's self-check.  Uses only milter/lib.
 *
 * Queries are built with res_nmkquery(), given an EDNS0 OPT record by
 * hand and sent with res_nsend() on a private res_state, so nothing here
 * touches the process-wide _res.  A truncated UDP answer is asked again
 * over TCP (net/dns_tcp, under the same time bound; glibc's own TCP path
 * has none).  The answer is parsed with the ns_*
 * functions of libresolv; every length is checked against the message.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/dnsquery.h"
#include "net/dns_tcp.h"
#include "lib/clock.h"
#include "lib/errfmt.h"
#include "lib/hostport.h"

#define ANSWER_MAX	65536	/* what a hostile UDP server can send */
#define EDNS_BUFSIZE	1232	/* the DNS flag day 2020 value */
#define OPT_RR_LEN	11

struct dnsq {
	struct __res_state	res;
	long			timeout;
};

enum parse_result {
	PARSE_DONE = 0,
	PARSE_AGAIN		/* stopped at a CNAME: ask for the target */
};

/* Marks r as failed, with a one-line reason. */
#define result_error(r, ...)	((r)->status = DNSQ_ERROR, \
	(void)errfmt((r)->err, sizeof((r)->err), __VA_ARGS__))

const char *
dnsq_status_name(enum dnsq_status s)
{
	switch (s) {
	case DNSQ_OK:
		return "ok";
	case DNSQ_NODATA:
		return "no record";
	case DNSQ_NXDOMAIN:
		return "no such name (NXDOMAIN)";
	case DNSQ_ERROR:
	default:
		return "lookup failed";
	}
}

static const char *
rcode_name(int rcode)
{
	static const char *const names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
		"REFUSED"
	};

	if (rcode >= 0 && (size_t)rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	return "an unknown error code";
}

/* "ADDR", "ADDR#PORT", "[ADDR]#PORT" -> the only name server. */
static int
set_server(struct __res_state *res, const char *spec, char *err,
    size_t errlen)
{
	struct sockaddr_in6 *sa6;
	struct hostport hp;
	struct in_addr a4;
	struct in6_addr a6;

	if (!hostport_parse(spec, '#', 53, &hp))
		goto bad;
	if (inet_pton(AF_INET, hp.host, &a4) == 1) {
		memset(&res->nsaddr_list[0], 0, sizeof(res->nsaddr_list[0]));
		res->nsaddr_list[0].sin_family = AF_INET;
		res->nsaddr_list[0].sin_addr = a4;
		res->nsaddr_list[0].sin_port = htons(hp.port);
		res->nscount = 1;
		return 0;
	}
	if (inet_pton(AF_INET6, hp.host, &a6) != 1)
		goto bad;
	/* glibc: sin_family 0 in nsaddr_list means "use _ext.nsaddrs". */
	if ((sa6 = res->_u._ext.nsaddrs[0]) == NULL &&
	    (sa6 = malloc(sizeof(*sa6))) == NULL)
		return errfmt(err, errlen, "out of memory");
	memset(sa6, 0, sizeof(*sa6));
	sa6->sin6_family = AF_INET6;
	sa6->sin6_addr = a6;
	sa6->sin6_port = htons(hp.port);
	res->_u._ext.nsaddrs[0] = sa6;
	res->nsaddr_list[0].sin_family = 0;
	res->nscount = 1;
	return 0;
bad:
	return errfmt(err, errlen, "check_resolver \"%s\": expected ADDR or "
	    "ADDR#PORT", spec);
}

/*
 * glibc waits retrans for the first server and (retrans << i) / nscount
 * for server i, per try.  Pick retry and retrans so the sum stays within
 * the timeout (at least one second per try, as glibc rounds up to that).
 */
static void
set_timeouts(struct __res_state *res, long timeout)
{
	long n = res->nscount > 0 ? res->nscount : 1, weight = 0, i;

	for (i = 0; i < n; i++)
		weight += i == 0 ? n : (1L << i);
	/* weight / n = seconds per try for retrans == 1 */
	res->retry = timeout * n >= 2 * weight ? 2 : 1;
	res->retrans = (int)(timeout * n / (res->retry * weight));
	if (res->retrans < 1)
		res->retrans = 1;
}

struct dnsq *
dnsq_open(const char *resolver, long timeout, char *err, size_t errlen)
{
	struct dnsq *q;

	if ((q = calloc(1, sizeof(*q))) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (res_ninit(&q->res) != 0) {
		(void)snprintf(err, errlen, "cannot initialise the resolver");
		free(q);
		return NULL;
	}
	if (resolver != NULL && resolver[0] != '\0' &&
	    set_server(&q->res, resolver, err, errlen) != 0) {
		dnsq_close(q);
		return NULL;
	}
	q->res.options |= RES_IGNTC | RES_RECURSE;
#ifdef RES_TRUSTAD
	/* Only the configured resolver is asked: trust its AD bit (DANE). */
	q->res.options |= RES_TRUSTAD;
#endif
	q->res.options &= ~(unsigned long)(RES_DNSRCH | RES_DEFNAMES |
	    RES_USEVC);	/* glibc's TCP path has no timeout */
	dnsq_set_timeout(q, timeout);
	return q;
}

void
dnsq_set_timeout(struct dnsq *q, long timeout)
{
	q->timeout = timeout > 0 ? timeout : 1;
	set_timeouts(&q->res, q->timeout);
}

void
dnsq_close(struct dnsq *q)
{
	if (q == NULL)
		return;
	res_nclose(&q->res);
	free(q);
}

void
dnsq_result_free(struct dnsq_result *r)
{
	size_t i;

	for (i = 0; i < r->nrr; i++)
		free(r->rr[i].data);
	free(r->rr);
	r->rr = NULL;
	r->nrr = 0;
}

/* The first name server's address, where glibc keeps it; 0: none. */
static socklen_t
server_address(const struct __res_state *res, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (res->nscount < 1)
		return 0;
	if (res->nsaddr_list[0].sin_family == AF_INET) {
		memcpy(ss, &res->nsaddr_list[0], sizeof(struct sockaddr_in));
		return sizeof(struct sockaddr_in);
	}
	if (res->_u._ext.nsaddrs[0] != NULL) {
		memcpy(ss, res->_u._ext.nsaddrs[0], sizeof(struct sockaddr_in6));
		return sizeof(struct sockaddr_in6);
	}
	return 0;
}

/*
 * The UDP answer was truncated (TC): ask the same server over TCP, as a
 * sender's resolver does (RFC 7766), within what is left of the lookup's
 * time.  The answer's length, or -1 with r's error set.
 */
static int
retry_over_tcp(struct dnsq *q, const unsigned char *qbuf, int qlen,
    unsigned char *ans, long long deadline, struct dnsq_result *r)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	char why[128];
	int n;

	if ((sslen = server_address(&q->res, &ss)) == 0) {
		result_error(r, "%s: truncated DNS answer, and no server "
		    "address to ask over TCP", r->owner);
		return -1;
	}
	n = dns_tcp_exchange((struct sockaddr *)&ss, sslen, qbuf,
	    (size_t)qlen, ans, ANSWER_MAX, deadline, why, sizeof(why));
	if (n < 0) {
		result_error(r, "%s: truncated DNS answer, then %s", r->owner,
		    why);
		return -1;
	}
	if (memcmp(ans, qbuf, 2) != 0 || (ans[2] & 0x80) == 0) {
		result_error(r, "%s: the DNS answer over TCP does not match "
		    "the query", r->owner);
		return -1;
	}
	return n;
}

static int
send_query(struct dnsq *q, const char *name, int type, unsigned char *ans,
    long long deadline, struct dnsq_result *r)
{
	unsigned char qbuf[NS_PACKETSZ + OPT_RR_LEN];
	static const unsigned char opt[OPT_RR_LEN] = {
		0, 0, 41, EDNS_BUFSIZE >> 8, EDNS_BUFSIZE & 0xff, 0, 0, 0, 0,
		0, 0
	};
	int qlen, n;

	qlen = res_nmkquery(&q->res, ns_o_query, name, ns_c_in, type, NULL,
	    0, NULL, qbuf, NS_PACKETSZ);
	if (qlen < NS_HFIXEDSZ) {
		result_error(r, "cannot build a query for %s", name);
		return -1;
	}
	memcpy(qbuf + qlen, opt, sizeof(opt));	/* ARCOUNT is 0: make it 1 */
	qbuf[10] = 0;
	qbuf[11] = 1;
	qbuf[3] |= 0x20;	/* AD: tell us whether it validated (RFC 6840) */
	qlen += OPT_RR_LEN;
	memset(ans, 0, NS_HFIXEDSZ);
	errno = 0;
	if ((n = res_nsend(&q->res, qbuf, qlen, ans, ANSWER_MAX)) < 0) {
		/* glibc leaves a SERVFAIL/REFUSED answer in the buffer. */
		if (memcmp(ans, qbuf, 2) == 0 && (ans[2] & 0x80) != 0)
			result_error(r, "%s: DNS server answered %s", name,
			    rcode_name(ans[3] & 0x0f));
		else if (errno == ETIMEDOUT || errno == 0)
			result_error(r, "%s: no answer from the DNS server "
			    "(timed out)", name);
		else
			result_error(r, "%s: DNS server unreachable: %s", name,
			    strerror(errno));
		return -1;
	}
	if (n >= NS_HFIXEDSZ && (ans[2] & 0x02) != 0)	/* TC */
		return retry_over_tcp(q, qbuf, qlen, ans, deadline, r);
	return n;
}

static bool
same_name(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

/* Moves r->owner along the CNAMEs found in the answer section. */
static int
follow_cnames(ns_msg *msg, struct dnsq_result *r)
{
	int i, n = ns_msg_count(*msg, ns_s_an);
	bool moved;
	ns_rr rr;

	do {
		moved = false;
		for (i = 0; i < n; i++) {
			if (ns_parserr(msg, ns_s_an, i, &rr) < 0)
				return -1;
			if (ns_rr_type(rr) != ns_t_cname ||
			    ns_rr_class(rr) != ns_c_in ||
			    !same_name(ns_rr_name(rr), r->owner))
				continue;
			if (++r->ncname > DNSQ_MAX_CNAME) {
				result_error(r, "%s: more than %d CNAMEs "
				    "(a loop?)", r->owner, DNSQ_MAX_CNAME);
				return -1;
			}
			if (ns_name_uncompress(ns_msg_base(*msg),
			    ns_msg_end(*msg), ns_rr_rdata(rr), r->owner,
			    sizeof(r->owner)) < 0)
				return -1;
			moved = true;
			break;
		}
	} while (moved);
	return 0;
}

/* TXT: the character-strings of one record, concatenated. */
static char *
txt_join(const unsigned char *rd, size_t rdlen, size_t *outlen)
{
	size_t pos = 0, n = 0, l;
	char *s;

	if ((s = malloc(rdlen + 1)) == NULL)
		return NULL;
	while (pos < rdlen) {
		l = rd[pos++];
		if (l > rdlen - pos) {
			free(s);
			return NULL;
		}
		memcpy(s + n, rd + pos, l);
		n += l;
		pos += l;
	}
	s[n] = '\0';
	*outlen = n;
	return s;
}

static char *
rr_data(ns_msg *msg, ns_rr *rr, int type, struct dnsq_rr *out)
{
	const unsigned char *rd = ns_rr_rdata(*rr);
	size_t rdlen = ns_rr_rdlen(*rr);
	char name[DNSQ_NAME_MAX], *p;

	switch (type) {
	case ns_t_txt:
		return txt_join(rd, rdlen, &out->len);
	case ns_t_mx:
		if (rdlen < 3 || ns_name_uncompress(ns_msg_base(*msg),
		    ns_msg_end(*msg), rd + 2, name, sizeof(name)) < 0)
			return NULL;
		out->pref = ns_get16(rd);
		out->len = strlen(name);
		return strdup(name);
	case ns_t_tlsa:
		/* usage, selector, matching type, then the data */
		if (rdlen < 3 || rdlen > 1024 || (p = malloc(rdlen + 1)) == NULL)
			return NULL;
		memcpy(p, rd, rdlen);
		p[rdlen] = '\0';
		out->len = rdlen;
		return p;
	case ns_t_a:
	case ns_t_aaaa:
		if (rdlen != (type == ns_t_a ? 4U : 16U) ||
		    (p = malloc(rdlen + 1)) == NULL)
			return NULL;
		memcpy(p, rd, rdlen);
		p[rdlen] = '\0';
		out->len = rdlen;
		return p;
	default:
		return NULL;
	}
}

/* The records of the wanted type owned by r->owner. */
static int
collect(ns_msg *msg, int type, struct dnsq_result *r)
{
	int i, n = ns_msg_count(*msg, ns_s_an);
	struct dnsq_rr *out;
	ns_rr rr;

	for (i = 0; i < n && r->nrr < DNSQ_MAX_RR; i++) {
		if (ns_parserr(msg, ns_s_an, i, &rr) < 0)
			return -1;
		if ((int)ns_rr_type(rr) != type || ns_rr_class(rr) != ns_c_in ||
		    !same_name(ns_rr_name(rr), r->owner))
			continue;
		if (r->rr == NULL &&
		    (r->rr = calloc(DNSQ_MAX_RR, sizeof(*r->rr))) == NULL)
			return -1;
		out = &r->rr[r->nrr];
		if ((out->data = rr_data(msg, &rr, type, out)) == NULL)
			return -1;
		r->nrr++;
	}
	return 0;
}

static int
parse_answer(const unsigned char *ans, int len, int type,
    struct dnsq_result *r)
{
	unsigned before = r->ncname;
	ns_msg msg;
	int rcode;

	if (ns_initparse(ans, len, &msg) < 0)
		goto malformed;
	if (ns_msg_getflag(msg, ns_f_tc)) {
		result_error(r, "%s: truncated DNS answer, even over TCP",
		    r->owner);
		return -1;
	}
	if (follow_cnames(&msg, r) != 0)
		goto malformed;
	rcode = ns_msg_getflag(msg, ns_f_rcode);
	if (rcode == ns_r_nxdomain) {
		r->status = DNSQ_NXDOMAIN;
		return PARSE_DONE;
	}
	if (rcode != ns_r_noerror) {
		result_error(r, "%s: DNS server answered %s", r->owner,
		    rcode_name(rcode));
		return -1;
	}
	if (collect(&msg, type, r) != 0)
		goto malformed;
	r->ad = ns_msg_getflag(msg, ns_f_ad) != 0;
	if (r->nrr > 0)
		r->status = DNSQ_OK;
	else if (r->ncname > before)
		return PARSE_AGAIN;
	else
		r->status = DNSQ_NODATA;
	return PARSE_DONE;
malformed:
	if (r->status != DNSQ_ERROR)
		result_error(r, "%s: malformed DNS answer", r->owner);
	return -1;
}

enum dnsq_status
dnsq_lookup(struct dnsq *q, const char *name, int type,
    struct dnsq_result *r)
{
	unsigned char *ans;
	long long start;
	long left;
	size_t len;
	int n, rc = PARSE_DONE;

	memset(r, 0, sizeof(*r));
	len = strlen(name);
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len >= NS_MAXDNAME) {
		result_error(r, "invalid DNS name");
		return r->status;
	}
	memcpy(r->owner, name, len);
	r->owner[len] = '\0';
	if ((ans = malloc(ANSWER_MAX)) == NULL) {
		result_error(r, "out of memory");
		return r->status;
	}
	start = clock_now_ms();
	do {
		/* A CNAME chase asks again, within the same time bound. */
		if (rc == PARSE_AGAIN) {
			left = q->timeout - (long)((clock_now_ms() - start) / 1000);
			if (left <= 0) {
				result_error(r, "%s: timed out following "
				    "CNAMEs", r->owner);
				break;
			}
			set_timeouts(&q->res, left);
		}
		if ((n = send_query(q, r->owner, type, ans, start +
		    q->timeout * 1000LL, r)) < 0)
			break;
		rc = parse_answer(ans, n, type, r);
	} while (rc == PARSE_AGAIN);
	set_timeouts(&q->res, q->timeout);
	free(ans);
	if (r->status != DNSQ_OK)
		dnsq_result_free(r);
	return r->status;
}

static void
to_sockaddr(const struct dnsq_rr *rr, unsigned short port,
    struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (rr->len == 4) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, rr->data, 4);
	} else {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, rr->data, 16);
	}
}

size_t
dnsq_addresses(struct dnsq *q, const char *name, unsigned short port,
    struct sockaddr_storage *addrs, size_t max, char *why, size_t whylen)
{
	static const int types[] = { ns_t_a, ns_t_aaaa };
	struct dnsq_result r;
	size_t t, i, n = 0;

	(void)snprintf(why, whylen, "%s has no A or AAAA record", name);
	for (t = 0; t < 2; t++) {
		if (dnsq_lookup(q, name, types[t], &r) == DNSQ_ERROR)
			(void)snprintf(why, whylen, "%s", r.err);
		else if (r.status == DNSQ_NXDOMAIN)
			(void)snprintf(why, whylen, "%s: no such name "
			    "(NXDOMAIN)", name);
		for (i = 0; i < r.nrr && n < max; i++)
			to_sockaddr(&r.rr[i], port, &addrs[n++]);
		dnsq_result_free(&r);
	}
	return n;
}
