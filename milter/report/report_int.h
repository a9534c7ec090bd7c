/*
 * report_int.h - what report.c (reading, counting) shares with
 * report_print.c (text and JSON output).  Private to the -r code.
 *
 * Interface: struct report holds every counter of one run.
 * report_print_text() and report_print_json() write it to out.
 *
 * Failure modes: the print functions return -1 when out of memory
 * (sorting a table), 0 otherwise; write errors are left in ferror(out).
 */
#ifndef MTASTS_REPORT_INT_H
#define MTASTS_REPORT_INT_H

#include <stdbool.h>
#include <stdio.h>

#include "report/report_parse.h"
#include "report/report_table.h"

#define RBUF_SIZE	65536

/* TLS state of a decision: weak means reason=weak-tls. */
enum tstate { TS_TLS = 0, TS_WEAK, TS_PLAIN, TS_UNKNOWN, TS_N };

struct report {
	unsigned long long	 files, unreadable, lines, decisions, other;
	unsigned long long	 malformed, toolong, untracked, noncompliant;
	unsigned long long	 downgrades;
	unsigned long long	 state[TS_N];
	unsigned long long	 actions[ACTION_COUNT][REASON_COUNT];
	struct rtab		 versions, clients, domains, networks;
	bool			 nomem;
	char			 line[RP_LINE_MAX + 2];
	char			 key[RP_CANON_MAX];
	char			 rbuf[RBUF_SIZE];
};

int	report_print_text(const struct report *, FILE *out);
int	report_print_json(const struct report *, FILE *out);

#endif
