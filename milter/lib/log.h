/*
 * log.h - logging to syslog (and stderr in the foreground).
 *
 * Interface: log_open() once at start-up, log_set_level() on reload;
 * log_error()..log_debug() format one message; fatal() logs and exits 1.
 * As in OpenSMTPD, log_error(), log_warn() and fatal() append
 * ": strerror(errno)" to the message; log_errorx(), log_warnx() and
 * fatalx() do not.
 * Messages are plain text chosen by the program; values that came from the
 * network must go through escape.h first.
 * log_enabled(level) says whether a line of that level would be written,
 * so that a caller builds an expensive line only then; log_line() writes
 * a line already built (len bytes, no newline), without printf.
 *
 * log_start_writer() hands lines to a writer thread from then on (the
 * daemon calls it before libmilter starts); log_flush() waits until every
 * queued line is written (before exit); log_stop_writer() also ends the
 * thread (at exit), after which lines are written by their caller.
 *
 * Failure modes: none reported; a message longer than 4 KiB is cut.
 */
#ifndef MTASTS_LOG_H
#define MTASTS_LOG_H

#include <stdbool.h>
#include <stddef.h>

void	log_open(const char *ident, int facility, bool to_stderr);
void	log_set_level(int level);
int	log_start_writer(void);
void	log_flush(void);
void	log_stop_writer(void);
int	log_get_level(void);
bool	log_enabled(int level);
void	log_line(int level, const char *msg, size_t len);
int	log_level_parse(const char *name);	/* -1 when unknown */
const char *log_level_name(int level);
int	log_facility_parse(const char *name);	/* -1 when unknown */

void	log_critx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_errorx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_notice(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
