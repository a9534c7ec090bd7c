/*
 * report.h - the rollout report ("mtasts-milter -r [-j] [LOGFILE...]").
 *
 * Interface: report_run() reads the milter's own decision lines from the
 * named files (standard input when nfiles is 0), with or without a syslog
 * prefix, and prints totals and the non-compliant senders that enforce
 * would reject (or did), grouped by client and by sender domain, with
 * counts and first/last seen, sorted by count.  Plain aligned text, or JSON
 * when json is set.
 *
 * Failure modes: lines it cannot parse are counted and reported, never
 * fatal.  Returns 0, or 1 when a file cannot be opened (the others are
 * still read and reported).
 */
#ifndef MTASTS_REPORT_H
#define MTASTS_REPORT_H

#include <stdbool.h>
#include <stdio.h>

int	report_run(char *const *files, int nfiles, bool json, FILE *out,
	    FILE *err);

#endif
