/*
 * stats.h - decision counters and the Prometheus text exposition file.
 *
 * Interface: the stats_count_*() functions are called from any milter
 * thread; they use relaxed atomic increments (no locks), so counts are
 * exact under concurrency.  stats_write_file() renders every counter with
 * HELP/TYPE lines to PATH.tmp and renames it over PATH, so a reader never
 * sees a partial file.
 *
 * Failure modes: stats_write_file() returns -1 with errno set and leaves
 * any previous file in place.
 */
#ifndef MTASTS_STATS_H
#define MTASTS_STATS_H

#include <stdbool.h>
#include <stdio.h>

#include "core/engine.h"

void	stats_init(void);
void	stats_count_transaction(bool tls, const char *tls_version);
void	stats_count_action(enum action, enum reason);
void	stats_count_requiretls(void);
void	stats_count_reload(bool ok);
void	stats_format(FILE *);
int	stats_write_file(const char *path);

#endif
