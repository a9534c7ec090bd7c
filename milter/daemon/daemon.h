/*
 * daemon.h - the process side of the daemon: socket permissions, pidfile,
 * detaching, dropping privileges, and cleanup on the way out.
 *
 * Interface: daemon_prepare_socket() fixes owner and mode (0660) of a unix
 * socket once libmilter has created it, so the MTA's group can connect;
 * daemon_detach() forks into the background; daemon_write_pidfile() writes
 * the pid (0644, refusing a symlink); daemon_drop_privileges() switches to
 * the configured user for good and checks that it cannot switch back;
 * daemon_cleanup() removes socket and pidfile once, from whichever thread
 * calls it first.
 *
 * Failure modes: each returns -1 after logging what failed and why; the
 * caller refuses to start.
 */
#ifndef MTASTS_DAEMON_H
#define MTASTS_DAEMON_H

#include "core/conf.h"

int	daemon_prepare_socket(const char *socket, const char *user);
int	daemon_detach(void);
int	daemon_write_pidfile(const char *path);
int	daemon_drop_privileges(const char *user);
/* What daemon_cleanup() removes; set once before threads start. */
void	daemon_set_cleanup(const char *socket, const char *pidfile,
	    const char *stats_file);
void	daemon_cleanup(void);

#endif
