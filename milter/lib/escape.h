/*
 * escape.h - safe rendering of hostile bytes into log lines and output:
 * the one escaper of the program.
 *
 * Interface:
 *	escape_bytes() is the primitive every printer uses: printable ASCII
 *	stays, a backslash becomes "\\", every other byte (control, DEL,
 *	>= 0x80) becomes \xHH.  Flags change three bytes: ESCAPE_QUOTE
 *	writes '"' as \" (log tokens), ESCAPE_SPACE writes ' ' as \x20 (a
 *	token that must not hold a space), ESCAPE_LOWER folds A-Z to a-z.
 *	It writes the next byte's form only while its output is shorter than
 *	limit (SIZE_MAX: no limit), so dst must hold limit + ESCAPE_BYTE_MAX
 *	- 1 bytes; it says how many input bytes it used and adds no NUL.
 *	escape_bytes_len() is the length escape_bytes() would write in all.
 *
 *	escape_value() copies a value into dst so that it is one token of a
 *	key=value log line: escape_bytes() with ESCAPE_QUOTE, wrapped in
 *	double quotes when the value contains a space, '=' or '"' or is
 *	empty.  Values longer than ESCAPE_MAX_INPUT bytes are cut and marked
 *	with "...".
 *	struct kvline builds a whole decision line with kvline_add(), after
 *	an optional "TOKEN: " prefix (kvline_init_prefix()); kvline_str()
 *	and kvline_len() give the line.
 *
 * Failure modes: none; output is always NUL-terminated and never longer
 * than the buffer; a token that does not fit is empty; a line that does
 * not fit is cut at a token boundary and ends with " truncated=yes".
 * No CR, LF or NUL can reach the output.
 */
#ifndef MTASTS_ESCAPE_H
#define MTASTS_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define ESCAPE_QUOTE		0x01	/* '"' becomes \" */
#define ESCAPE_SPACE		0x02	/* ' ' becomes \x20 */
#define ESCAPE_LOWER		0x04	/* A-Z become a-z */
#define ESCAPE_BYTE_MAX		4	/* longest form of one byte, \xHH */

#define ESCAPE_MAX_INPUT	256
#define KVLINE_MAX		2048	/* the key=value part, with its NUL */
#define KVLINE_PREFIX_MAX	300	/* the prefix token, with its NUL */

size_t	escape_bytes(char *dst, size_t limit, const char *src, size_t len,
	    int flags, size_t *used);
size_t	escape_bytes_len(const char *src, size_t len, int flags);
size_t	escape_value(char *dst, size_t dstlen, const char *src);

struct kvline {
	char	buf[KVLINE_PREFIX_MAX + 2 + KVLINE_MAX];
	size_t	start;		/* where the key=value part begins */
	size_t	len;
	bool	truncated;
};

void	kvline_init(struct kvline *);
void	kvline_init_prefix(struct kvline *, const char *prefix);
void	kvline_add_key(struct kvline *, const char *key, size_t keylen,
	    const char *value);
const char *kvline_str(const struct kvline *);
size_t	kvline_len(const struct kvline *);

/* Inline so that strlen() of a literal key costs nothing. */
static inline void
kvline_add(struct kvline *kv, const char *key, const char *value)
{
	kvline_add_key(kv, key, strlen(key), value);
}

#endif
