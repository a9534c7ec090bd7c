/*
 * probe.h - the published-policy check ("mtasts-milter -C DOMAIN").
 *
 * Interface: probe_domains() checks, for each domain, what a sending MTA
 * sees: the _mta-sts TXT record, the HTTPS policy (fetched with OpenSSL,
 * verified), the MX records and this host against the policy's mx
 * patterns, the _smtp._tls TLSRPT record, and whether the mode this
 * milter applies agrees with the published one.  One line per check:
 *	ok   example.org  txt      v=STSv1; id=20260101T000000
 * (status word, domain, check name, detail), or a JSON document with json.
 * DNS goes to conf->check_resolver when set, HTTPS to conf->check_connect
 * when set (SNI and certificate name still mta-sts.DOMAIN), certificates
 * are verified against conf->check_ca_file when set.  The TXT lookup, the
 * policy host's lookup and the fetch share one budget of check_timeout
 * seconds (RFC 8461's fetch limit); the MX and TLSRPT lookups get
 * check_timeout each.
 *
 * Failure modes: returns 0 when no check failed, 1 otherwise.  Never
 * hangs past the timeout.
 */
#ifndef MTASTS_PROBE_H
#define MTASTS_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/conf.h"

int	probe_domains(const struct conf *, char *const *domains, size_t n,
	    bool json, FILE *out);

#endif
