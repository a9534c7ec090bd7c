/*
 * errfmt.c - format an error message into a caller's buffer (errfmt.h).
 */
#include <stdio.h>

#include "lib/errfmt.h"

int
verrfmt(char *buf, size_t len, const char *fmt, va_list ap)
{
	if (len > 0)
		(void)vsnprintf(buf, len, fmt, ap);
	return -1;
}

int
errfmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)verrfmt(buf, len, fmt, ap);
	va_end(ap);
	return -1;
}

int
errfmt_first(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (len > 0 && buf[0] != '\0')
		return -1;
	va_start(ap, fmt);
	(void)verrfmt(buf, len, fmt, ap);
	va_end(ap);
	return -1;
}
