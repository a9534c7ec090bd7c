/*
 * dnsquery.h - bounded DNS lookups for the published-policy check ("-C").
 *
 * Interface:
 *	dnsq_open() prepares a private resolver state (res_ninit) that asks
 *	either the system's name servers or, for tests and split-horizon
 *	setups, one server given as "ADDR" or "ADDR#PORT" (IPv4 or IPv6,
 *	optionally in [brackets]).  dnsq_lookup() asks for one record type
 *	(TXT, MX, A, AAAA, TLSA) and follows CNAMEs, both the ones a recursive
 *	server already put in the answer and, when it stopped at a CNAME, by
 *	asking again for the target.  TXT strings of one record are
 *	concatenated (RFC 7208/8461 style); MX records carry their preference
 *	and exchange name; A/AAAA records their address bytes; TLSA records
 *	their raw RDATA (usage, selector, matching type, data; 3 to 1024
 *	bytes).  ad says whether the server set the AD bit on the answer
 *	(DNSSEC-validated); glibc's RES_TRUSTAD is set so that it reaches us.
 *	dnsq_addresses() turns the A and AAAA records of a name into socket
 *	addresses, A first.  (The syntax of the records: dnsrecord.h.)
 *
 * Bounds: every query is sent with res_nsend(), its retrans/retry chosen
 * so that one lookup (CNAME chase included) never waits much longer than
 * the timeout (glibc counts whole seconds); TCP fallback and "options
 * use-vc" are disabled (glibc's TCP path has no timeout), an EDNS0 buffer
 * of 1232 bytes is offered instead, and a truncated answer is an error.
 * At most DNSQ_MAX_RR records and DNSQ_MAX_CNAME aliases are followed.
 *
 * Failure modes: dnsq_open() returns NULL with a message.  dnsq_lookup()
 * always fills the result: DNSQ_OK with records, DNSQ_NODATA,
 * DNSQ_NXDOMAIN, or DNSQ_ERROR with a one-line reason (timeout, SERVFAIL,
 * truncated or malformed answer, CNAME loop).  Record data is untrusted:
 * it may contain any byte, including NUL; use len.
 */
#ifndef MTASTS_DNSQUERY_H
#define MTASTS_DNSQUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define DNSQ_MAX_RR	64
#define DNSQ_MAX_CNAME	8
#define DNSQ_NAME_MAX	1025	/* NS_MAXDNAME */

enum dnsq_status {
	DNSQ_OK = 0,		/* at least one record of the type */
	DNSQ_NODATA,		/* the name exists, no record of the type */
	DNSQ_NXDOMAIN,		/* the name does not exist */
	DNSQ_ERROR		/* no usable answer; see err */
};

struct dnsq_rr {
	char		*data;	/* TXT text, MX/CNAME name, A/AAAA bytes */
	size_t		 len;	/* bytes in data (a NUL always follows) */
	unsigned	 pref;	/* MX preference */
};

struct dnsq_result {
	enum dnsq_status status;
	struct dnsq_rr	*rr;
	size_t		 nrr;
	char		 owner[DNSQ_NAME_MAX];	/* name after CNAMEs */
	unsigned	 ncname;		/* aliases followed */
	bool		 ad;			/* AD bit of the last answer */
	char		 err[160];
};

struct dnsq;

struct dnsq	*dnsq_open(const char *resolver, long timeout, char *err,
		    size_t errlen);
void		 dnsq_close(struct dnsq *);
/* The bound of each later query, in seconds (at least 1). */
void		 dnsq_set_timeout(struct dnsq *, long timeout);
/* type is ns_t_txt, ns_t_mx, ns_t_a, ns_t_aaaa or ns_t_tlsa. */
enum dnsq_status dnsq_lookup(struct dnsq *, const char *name, int type,
		    struct dnsq_result *);
void		 dnsq_result_free(struct dnsq_result *);
/* A then AAAA records of name, as addresses with port; 0: see why. */
size_t		 dnsq_addresses(struct dnsq *, const char *name,
		    unsigned short port, struct sockaddr_storage *, size_t max,
		    char *why, size_t whylen);

const char	*dnsq_status_name(enum dnsq_status);

#endif
