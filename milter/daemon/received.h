/*
 * received.h - the Received trace field of a REQUIRETLS transaction.
 *
 * Interface: received_build() writes the field body (the value for
 * smfi_insheader(ctx, 0, "Received", value)):
 *	by <hostname> (mtasts-milter) with ESMTPS (requiretls) id <id>; <date>
 * with the date in RFC 5322 form built from tm (and tm->tm_gmtoff).  The
 * host name and the id come from configuration and the MTA: every byte that
 * is not allowed in a domain name or an atom is dropped, each is cut to a
 * bounded length, an empty id becomes "NOQUEUE".  When the line with
 * "Received: " would pass 78 characters it is folded with "\n\t" before
 * "with" and/or before the date, never inside "(requiretls) id <id>":
 * the only line breaks in the value, each followed by a TAB.
 *
 * Failure modes: returns -1 when buf is too small (RECEIVED_MAX always
 * suffices); the buffer then holds an empty string.
 */
#ifndef MTASTS_RECEIVED_H
#define MTASTS_RECEIVED_H

#include <stddef.h>
#include <time.h>

#define RECEIVED_MAX	512
#define RECEIVED_HOST_MAX 253
#define RECEIVED_ID_MAX	64

int	received_build(char *buf, size_t buflen, const char *hostname,
	    const char *queue_id, const struct tm *tm);

#endif
