/*
 * escape.h - safe rendering of hostile values into log lines.
 *
 * Interface:
 *	escape_value() copies a value into dst so that it is one token of a
 *	key=value log line: control bytes, DEL, backslash and bytes >= 0x80
 *	become \xHH (\\ for backslash, \" for a quote), and the result is
 *	wrapped in double quotes when it contains a space, '=' or '"' or is
 *	empty.  Values longer than ESCAPE_MAX_INPUT bytes are cut and marked
 *	with "...".
 *	struct kvline builds a whole decision line with kvline_add().
 *
 * Failure modes: none; output is always NUL-terminated and never longer
 * than the buffer; a line that does not fit is cut at a token boundary and
 * ends with " truncated=yes".  No CR, LF or NUL can reach the output.
 */
#ifndef MTASTS_ESCAPE_H
#define MTASTS_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

#define ESCAPE_MAX_INPUT	256
#define KVLINE_MAX		2048

size_t	escape_value(char *dst, size_t dstlen, const char *src);

struct kvline {
	char	buf[KVLINE_MAX];
	size_t	len;
	bool	truncated;
};

void	kvline_init(struct kvline *);
void	kvline_add(struct kvline *, const char *key, const char *value);
const char *kvline_str(const struct kvline *);

#endif
