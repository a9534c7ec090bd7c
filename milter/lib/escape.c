/*
 * escape.c - safe rendering of hostile values into key=value log lines.
 *
 * Everything that came from the MTA or the network (macro values, HELO
 * names, addresses) passes through escape_value() before it reaches
 * syslog, so a value can neither start a new log line nor forge a key.
 */
#include <stdio.h>
#include <string.h>

#include "lib/escape.h"

static bool
needs_quotes(const char *s)
{
	if (*s == '\0')
		return true;
	return strpbrk(s, " =\"") != NULL;
}

/* Appends one (possibly escaped) byte; returns false when out of room. */
static bool
put_byte(char *dst, size_t dstlen, size_t *pos, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[4];
	size_t n;

	if (c == '\\' || c == '"') {
		tmp[0] = '\\';
		tmp[1] = (char)c;
		n = 2;
	} else if (c < 0x20 || c >= 0x7f) {
		tmp[0] = '\\';
		tmp[1] = 'x';
		tmp[2] = hex[c >> 4];
		tmp[3] = hex[c & 0xf];
		n = 4;
	} else {
		tmp[0] = (char)c;
		n = 1;
	}
	if (*pos + n >= dstlen)
		return false;
	memcpy(dst + *pos, tmp, n);
	*pos += n;
	return true;
}

static bool
put_str(char *dst, size_t dstlen, size_t *pos, const char *s)
{
	size_t n = strlen(s);

	if (*pos + n >= dstlen)
		return false;
	memcpy(dst + *pos, s, n);
	*pos += n;
	return true;
}

size_t
escape_value(char *dst, size_t dstlen, const char *src)
{
	size_t pos = 0, i;
	bool quote, cut;

	if (dstlen == 0)
		return 0;
	dst[0] = '\0';
	if (src == NULL)
		src = "";
	quote = needs_quotes(src);
	cut = strlen(src) > ESCAPE_MAX_INPUT;
	if (quote && !put_str(dst, dstlen, &pos, "\""))
		goto full;
	for (i = 0; i < ESCAPE_MAX_INPUT && src[i] != '\0'; i++)
		if (!put_byte(dst, dstlen, &pos, (unsigned char)src[i]))
			goto full;
	if (cut && !put_str(dst, dstlen, &pos, "..."))
		goto full;
	if (quote && !put_str(dst, dstlen, &pos, "\""))
		goto full;
	dst[pos] = '\0';
	return pos;
full:
	/* Never emit half a token: an empty result is safer. */
	dst[0] = '\0';
	return 0;
}

void
kvline_init(struct kvline *kv)
{
	kv->buf[0] = '\0';
	kv->len = 0;
	kv->truncated = false;
}

static void
kvline_put(struct kvline *kv, const char *key, const char *token)
{
	static const char mark[] = " truncated=yes";
	size_t need;

	if (kv->truncated)
		return;
	need = (kv->len > 0 ? 1 : 0) + strlen(key) + 1 + strlen(token);
	if (kv->len + need + sizeof(mark) > sizeof(kv->buf)) {
		memcpy(kv->buf + kv->len, mark, sizeof(mark));
		kv->len += sizeof(mark) - 1;
		kv->truncated = true;
		return;
	}
	kv->len += (size_t)snprintf(kv->buf + kv->len, sizeof(kv->buf) -
	    kv->len, "%s%s=%s", kv->len > 0 ? " " : "", key, token);
}

void
kvline_add(struct kvline *kv, const char *key, const char *value)
{
	char token[ESCAPE_MAX_INPUT * 4 + 8];

	(void)escape_value(token, sizeof(token), value);
	kvline_put(kv, key, token);
}

const char *
kvline_str(const struct kvline *kv)
{
	return kv->buf;
}
