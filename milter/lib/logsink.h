/*
 * logsink.h - where log lines go: the local syslog socket and, in the
 * foreground, standard error.
 *
 * Interface: logsink_open() at start-up names the syslog socket (normally
 * _PATH_LOG, "/dev/log"; "" turns syslog off), the ident, the facility
 * and whether lines are copied to stderr, and allows a connect attempt at
 * once; logsink_write() writes any number of lines, LOGSINK_BATCH per
 * system call.  Until logsink_open() lines go to /dev/log as "mail".
 * logsink_write() must not be called by two threads at once (log.c
 * serialises it); it never blocks longer than the syslog daemon or the
 * stderr reader make it.
 *
 * Failure modes: none reported to the caller.  When the syslog socket is
 * missing or refuses, lines are not sent there (syslog(3) drops them too)
 * and a reconnect is tried at most once a second; a restarted daemon is
 * reconnected at once; a daemon that takes nothing for 2 s is treated as
 * missing, so that a stuck syslog never stalls mail (syslog(3) would
 * block).  The first batch that gets through again is preceded by a
 * warning that says how many lines were lost.
 */
#ifndef MTASTS_LOGSINK_H
#define MTASTS_LOGSINK_H

#include <stdbool.h>
#include <stddef.h>

#define LOGSINK_BATCH	64	/* lines per sendmmsg() and writev() */

struct log_line {
	int		 level;		/* LOG_ERR .. LOG_DEBUG */
	const char	*msg;		/* no trailing newline */
	size_t		 len;
};

void	logsink_open(const char *path, const char *ident, int facility,
	    bool to_stderr);
void	logsink_write(const struct log_line *lines, size_t n);
void	logsink_close(void);

#endif
