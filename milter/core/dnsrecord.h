/*
 * dnsrecord.h - syntax of the _mta-sts and _smtp._tls TXT records.
 *
 * Interface: dnsrecord_sts() checks an _mta-sts record (RFC 8461 section
 * 3.1: "v=STSv1", fields separated by ";", an id= of 1..32 letters and
 * digits, other fields name=value; a repeated id= counts only the first
 * time and later ones are ignored, even when malformed; blanks at the end
 * need a ";" after them).  dnsrecord_sts_candidate() says whether one
 * record of an RRset of nrr records counts as an STS record: with several
 * records only those beginning with "v=STSv1;" do (RFC 8461 3.1: the
 * others are discarded, and exactly one must remain); a lone record does
 * when it begins with "v=STSv1" and then ";", a blank or its end (anything
 * else would fail dnsrecord_sts() anyway).  dnsrecord_tlsrpt() checks an
 * _smtp._tls record (RFC 8460 section 3: "v=TLSRPTv1", exactly one rua=
 * with mailto: or https: URIs) and returns the rua mailboxes, %XX-decoded
 * (the first DNSRECORD_MAX_MAILTO of them).
 *
 * Failure modes: -1 with a one-line reason in why for any syntax error,
 * a NUL byte included; the record is untrusted and given with its length.
 * Pure functions, no global state.
 */
#ifndef MTASTS_DNSRECORD_H
#define MTASTS_DNSRECORD_H

#include <stdbool.h>
#include <stddef.h>

#define DNSRECORD_MAX_MAILTO	8

struct tlsrpt_info {
	char	mailto[DNSRECORD_MAX_MAILTO][256];	/* "local@domain" */
	size_t	nmailto;
};

int	dnsrecord_sts(const char *rec, size_t len, char *why, size_t whylen);
bool	dnsrecord_sts_candidate(const char *rec, size_t len, size_t nrr);
int	dnsrecord_tlsrpt(const char *rec, size_t len, struct tlsrpt_info *,
	    char *why, size_t whylen);

#endif
