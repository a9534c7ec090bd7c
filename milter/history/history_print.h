/*
 * history_print.h - "mtasts-milter -H [ADDRESS...]": the TLS history as
 * an operator reads it, to answer "why was this sender told 451?".
 *
 * Interface: history_print() writes one line per network (every entry of
 * the store, or the entry of each ADDRESS given):
 *	192.0.2.0/24  protected  tls=3 plain=0 first_tls=... last_tls=...
 * with times in UTC (ISO 8601) and "-" for never.  An address with no
 * entry prints "ADDRESS NETWORK none".
 *
 * Failure modes: returns 0 on success, 1 when the store could not be
 * read or an argument is not an IP address (the line says which).
 */
#ifndef MTASTS_HISTORY_PRINT_H
#define MTASTS_HISTORY_PRINT_H

#include <stddef.h>
#include <stdio.h>

#include "history/history.h"

int	history_print(struct history *, char *const *addrs, size_t n,
	    FILE *out);

#endif
