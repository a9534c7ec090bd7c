/*
 * errfmt.h - format an error message into a caller's buffer.
 *
 * Interface:
 *	errfmt() formats a one-line message into buf (at most len bytes,
 *	always terminated when len > 0, silently cut when longer) and
 *	returns -1, so that a failing function can "return errfmt(...)".
 *	errfmt_first() does the same unless buf already holds a message:
 *	the first reason of a failure is usually the real one.
 *	verrfmt() is errfmt() for a va_list.
 *
 * Failure modes: none; len 0 writes nothing.  No global state.
 */
#ifndef MTASTS_ERRFMT_H
#define MTASTS_ERRFMT_H

#include <stdarg.h>
#include <stddef.h>

int	 errfmt(char *buf, size_t len, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	 errfmt_first(char *buf, size_t len, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	 verrfmt(char *buf, size_t len, const char *fmt, va_list ap)
	    __attribute__((format(printf, 3, 0)));

#endif
