/*
 * escape.c - safe rendering of hostile bytes: escape_bytes() for every
 * printer, key=value log tokens and lines on top of it.
 *
 * Everything that came from the MTA or the network (macro values, HELO
 * names, addresses, policy text, log lines read by -r) passes through
 * escape_bytes() before it is printed, so a value can neither start a new
 * line nor forge a key.
 *
 * This runs for every logged decision, so the common case is cheap: one
 * pass over the value finds its escaped length and whether it needs
 * quotes, and a value with nothing to escape is copied with memcpy().  No
 * stdio.
 */
#include <stdint.h>
#include <string.h>

#include "lib/escape.h"

static const char hex[] = "0123456789abcdef";

/* True for the bytes every form writes as they are, bar ESCAPE_LOWER. */
static inline bool
plain_byte(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '\\' && c != '"';
}

size_t
escape_bytes(char *dst, size_t limit, const char *src, size_t len,
    int flags, size_t *used)
{
	size_t i, o = 0;
	unsigned char c;

	for (i = 0; i < len && o < limit; i++) {
		c = (unsigned char)src[i];
		if (plain_byte(c)) {
			if ((flags & ESCAPE_LOWER) != 0 && c >= 'A' &&
			    c <= 'Z')
				c = (unsigned char)(c - 'A' + 'a');
			dst[o++] = (char)c;
		} else if (c == '\\' ||
		    (c == '"' && (flags & ESCAPE_QUOTE) != 0)) {
			dst[o++] = '\\';
			dst[o++] = (char)c;
		} else if (c == '"' ||
		    (c == ' ' && (flags & ESCAPE_SPACE) == 0))
			dst[o++] = (char)c;
		else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 0xf];
		}
	}
	if (used != NULL)
		*used = i;
	return o;
}

size_t
escape_bytes_len(const char *src, size_t len, int flags)
{
	size_t i, n = len;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)src[i];
		if (plain_byte(c))
			continue;
		if (c == '\\' || (c == '"' && (flags & ESCAPE_QUOTE) != 0))
			n += 1;
		else if (c != '"' && (c != ' ' || (flags & ESCAPE_SPACE) != 0))
			n += 3;
	}
	return n;
}

/*
 * For log tokens (ESCAPE_QUOTE): the bytes a byte's form adds (0, 1 or
 * 3) and TOKEN_QUOTE when the value must be quoted.  A table, because
 * token_scan() runs over every byte of every logged value.
 */
#define TOKEN_QUOTE	8
#define TOKEN_EXTRA	7
static const unsigned char token_class[256] = {
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,	/* 0x00 */
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,	/* 0x10 */
	8, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0x20 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0,	/* 0x30 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0x40 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,	/* 0x50 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0x60 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3,	/* 0x70 */
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,	/* 0x80 */
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,	/* 0x90 */
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,	/* 0xa0 */
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,	/* 0xb0 */
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,	/* 0xc0 */
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,	/* 0xd0 */
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,	/* 0xe0 */
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,	/* 0xf0 */
};

/* A log token about to be written: see token_scan(). */
struct token {
	size_t	in;	/* input bytes used, at most ESCAPE_MAX_INPUT */
	size_t	esc;	/* their escaped length */
	size_t	len;	/* the whole token: quotes, escapes, "..." */
	bool	quote;
	bool	cut;
};

/* One pass: how long the token for src is and whether it needs quotes. */
static void
token_scan(const char *src, struct token *t)
{
	size_t i, n, esc;
	unsigned int k, any = 0;

	n = strnlen(src, ESCAPE_MAX_INPUT + 1);
	t->cut = n > ESCAPE_MAX_INPUT;
	if (t->cut)
		n = ESCAPE_MAX_INPUT;
	/* Locals: src may alias *t, which would keep esc in memory. */
	for (i = 0, esc = n; i < n; i++) {
		k = token_class[(unsigned char)src[i]];
		esc += k & TOKEN_EXTRA;
		any |= k;
	}
	t->in = n;
	t->esc = esc;
	t->quote = n == 0 || (any & TOKEN_QUOTE) != 0;
	/* The quotes depend on the whole value, not just what is shown. */
	if (t->cut && !t->quote && strpbrk(src + t->in, " =\"") != NULL)
		t->quote = true;
	t->len = t->esc + (t->quote ? 2 : 0) + (t->cut ? 3 : 0);
}

/* Writes the token scanned into t; dst holds t->len bytes.  No NUL. */
static void
token_write(char *dst, const struct token *t, const char *src)
{
	char *p = dst;

	if (t->quote)
		*p++ = '"';
	if (t->esc == t->in)
		memcpy(p, src, t->in);
	else
		(void)escape_bytes(p, SIZE_MAX, src, t->in, ESCAPE_QUOTE,
		    NULL);
	p += t->esc;
	if (t->cut) {
		memcpy(p, "...", 3);
		p += 3;
	}
	if (t->quote)
		*p = '"';
}

size_t
escape_value(char *dst, size_t dstlen, const char *src)
{
	struct token t;

	if (dstlen == 0)
		return 0;
	token_scan(src != NULL ? src : "", &t);
	/* Never emit half a token: an empty result is safer. */
	if (t.len >= dstlen) {
		dst[0] = '\0';
		return 0;
	}
	token_write(dst, &t, src != NULL ? src : "");
	dst[t.len] = '\0';
	return t.len;
}

void
kvline_init(struct kvline *kv)
{
	kv->buf[0] = '\0';
	kv->start = kv->len = 0;
	kv->truncated = false;
}

/* The line starts "TOKEN: ", TOKEN being prefix as escape_value() makes
 * it in KVLINE_PREFIX_MAX bytes; it does not count against KVLINE_MAX. */
void
kvline_init_prefix(struct kvline *kv, const char *prefix)
{
	size_t n;

	kvline_init(kv);
	n = escape_value(kv->buf, KVLINE_PREFIX_MAX, prefix);
	memcpy(kv->buf + n, ": ", 3);
	kv->start = kv->len = n + 2;
}

void
kvline_add_key(struct kvline *kv, const char *key, size_t keylen,
    const char *value)
{
	static const char mark[] = " truncated=yes";
	struct token t;
	size_t used, need;
	char *p;

	if (kv->truncated)
		return;
	if (value == NULL)
		value = "";
	token_scan(value, &t);
	used = kv->len - kv->start;
	need = (used > 0 ? 1 : 0) + keylen + 1 + t.len;
	if (used + need + sizeof(mark) > KVLINE_MAX) {
		memcpy(kv->buf + kv->len, mark, sizeof(mark));
		kv->len += sizeof(mark) - 1;
		kv->truncated = true;
		return;
	}
	p = kv->buf + kv->len;
	if (used > 0)
		*p++ = ' ';
	memcpy(p, key, keylen);
	p += keylen;
	*p++ = '=';
	token_write(p, &t, value);
	p += t.len;
	*p = '\0';
	kv->len = (size_t)(p - kv->buf);
}

const char *
kvline_str(const struct kvline *kv)
{
	return kv->buf;
}

size_t
kvline_len(const struct kvline *kv)
{
	return kv->len;
}
