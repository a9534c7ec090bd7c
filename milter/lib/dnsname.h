/*
 * dnsname.h - syntax of DNS host and domain names.
 *
 * Interface:
 *	dnsname_valid() checks a name given as (s, len): LDH labels
 *	(letters, digits, hyphen) of 1..63 bytes with no hyphen at either
 *	end, at most 253 bytes in all, no trailing dot (RFC 1123 2.1, the
 *	"domain" of RFC 8461 and of the configuration).
 *	dnsname_normalise() copies in to out lower-cased, with one trailing
 *	dot dropped, and checks the result with dnsname_valid(); in and out
 *	may be the same buffer.
 *
 * Failure modes: both return false on an invalid name (dnsname_normalise
 * also when out cannot hold it with its NUL; out then holds garbage).
 * Pure functions.
 */
#ifndef MTASTS_DNSNAME_H
#define MTASTS_DNSNAME_H

#include <stdbool.h>
#include <stddef.h>

#define DNSNAME_MAX	253	/* longest name, without a trailing dot */

bool	 dnsname_valid(const char *s, size_t len);
bool	 dnsname_normalise(const char *in, char *out, size_t outlen);

#endif
