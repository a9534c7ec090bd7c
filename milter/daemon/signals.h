/*
 * signals.h - signal handling and periodic work of the daemon.
 *
 * Interface: signals_block() blocks SIGHUP, SIGUSR1, SIGTERM and SIGINT in
 * the calling thread; call it before any other thread exists, so every
 * libmilter thread inherits the mask.  signals_start() starts the one
 * thread that takes them: SIGHUP reloads the configuration (a broken one
 * is logged and the old one stays), SIGUSR1 writes the statistics file,
 * SIGTERM/SIGINT stop the milter with smfi_stop() and make sure the
 * process is gone within 2 seconds.  The same thread writes the statistics
 * file every stats_interval seconds.  signals_start() also starts the
 * policy_watch thread (policy_watch.h), which reloads through the same
 * function as SIGHUP, one reload at a time.  daemon_cleanup() (daemon.h)
 * runs once on the way out, whichever thread gets there first.
 *
 * Failure modes: signals_start() returns -1 when a thread cannot be
 * created.
 */
#ifndef MTASTS_SIGNALS_H
#define MTASTS_SIGNALS_H

#include <stdbool.h>

void	signals_block(void);
int	signals_start(const char *config_path, bool fixed_log_level);
/* Called by main() when smfi_main() has returned. */
void	signals_milter_stopped(void);

#endif
