/*
 * fuzz_escape.c - libFuzzer target for log value escaping (escape.h).
 *
 * Input: byte 0 picks the destination size, the rest is the value (a C
 * string: it ends at the first NUL, as a macro value does).  Checks what
 * escape.h promises: the token is NUL-terminated, fits, holds no byte
 * below 0x20 or above 0x7e (so no CR, LF or NUL), is quoted when it must
 * be, and decodes back to the value (cut at ESCAPE_MAX_INPUT and marked
 * "...").  Then the value goes into a struct kvline several times, which
 * must stay one line, NUL-terminated, and end in " truncated=yes" when
 * cut, also after a prefix.  Last, escape_bytes() runs over all the bytes
 * (NULs too) with the flags and limit byte 0 gives: clean output of
 * escape_bytes_len() bytes, or at most limit + 3 when it stopped early.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/escape.h"

#include "fuzz.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void
check_clean(const char *s, size_t len)
{
	size_t i;

	CHECK(strlen(s) == len);
	for (i = 0; i < len; i++)
		CHECK((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f);
}

/* Decodes a token back into out; returns its length. */
static size_t
unescape(const char *tok, size_t len, char *out, size_t outlen, int cut)
{
	size_t i = 0, o = 0;

	if (len >= 2 && tok[0] == '"') {
		CHECK(tok[len - 1] == '"');
		i = 1;
		len--;
	}
	if (cut) {
		CHECK(len - i >= 3 && memcmp(tok + len - 3, "...", 3) == 0);
		len -= 3;
	}
	while (i < len) {
		CHECK(o + 1 < outlen);
		if (tok[i] == '\\') {
			CHECK(i + 1 < len);
			if (tok[i + 1] == '\\' || tok[i + 1] == '"') {
				out[o++] = tok[i + 1];
				i += 2;
			} else {
				CHECK(tok[i + 1] == 'x' && i + 3 < len);
				CHECK(hexval(tok[i + 2]) >= 0 &&
				    hexval(tok[i + 3]) >= 0);
				out[o++] = (char)(hexval(tok[i + 2]) * 16 +
				    hexval(tok[i + 3]));
				i += 4;
			}
		} else {
			CHECK(tok[i] != '"');
			out[o++] = tok[i++];
		}
	}
	out[o] = '\0';
	return o;
}

static void
check_bytes(const uint8_t *in, size_t len, uint8_t how)
{
	size_t limit = how, full, n, used;
	int flags = how & (ESCAPE_QUOTE | ESCAPE_SPACE | ESCAPE_LOWER);
	char *out;

	full = escape_bytes_len((const char *)in, len, flags);
	if ((out = malloc(full + ESCAPE_BYTE_MAX + 1)) == NULL)
		return;
	n = escape_bytes(out, SIZE_MAX, (const char *)in, len, flags, &used);
	CHECK(n == full && used == len);
	out[n] = '\0';
	check_clean(out, n);
	n = escape_bytes(out, limit, (const char *)in, len, flags, &used);
	CHECK(used <= len && n <= full);
	CHECK(used == len ? n == full : (n >= limit &&
	    n < limit + ESCAPE_BYTE_MAX));
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "helo", "from", "client", "rcpt" };
	char *value, *dst, decoded[ESCAPE_MAX_INPUT + 8];
	struct kvline kv;
	size_t dstlen, n, vlen, i;
	int cut;

	if (size < 1)
		return 0;
	/* 0..1023 (tight and one-short sizes), 255: always large enough. */
	dstlen = data[0] == 255 ? ESCAPE_MAX_INPUT * 4 + 8 :
	    (size_t)data[0] * 4 + data[0] % 4;
	if ((value = malloc(size)) == NULL)
		return 0;
	memcpy(value, data + 1, size - 1);
	value[size - 1] = '\0';
	vlen = strlen(value);
	if ((dst = malloc(dstlen + 1)) == NULL) {
		free(value);
		return 0;
	}
	dst[dstlen] = 'Z';	/* sentinel: must never be written */
	n = escape_value(dst, dstlen, value);
	CHECK(dst[dstlen] == 'Z');
	if (dstlen == 0)
		CHECK(n == 0);
	else {
		CHECK(n < dstlen);
		check_clean(dst, n);
		if (n > 0) {
			cut = vlen > ESCAPE_MAX_INPUT;
			(void)unescape(dst, n, decoded, sizeof(decoded), cut);
			CHECK(strncmp(decoded, value, ESCAPE_MAX_INPUT) == 0);
			CHECK(strlen(decoded) == (vlen > ESCAPE_MAX_INPUT ?
			    ESCAPE_MAX_INPUT : vlen));
			/* Quoted exactly when it has to be. */
			CHECK((dst[0] == '"') == (vlen == 0 ||
			    strpbrk(value, " =\"") != NULL));
		} else
			/* Empty only when it did not fit ("" always fits in 3). */
			CHECK(dstlen < 3 || vlen > 0);
		if (data[0] == 255)
			CHECK(n > 0);
	}
	free(dst);

	/* A whole decision line with this value in every field. */
	kvline_init(&kv);
	kvline_add(&kv, "action", "reject");
	for (i = 0; i < 12; i++)
		kvline_add(&kv, keys[i % 4], i % 3 == 2 ? "" : value +
		    (i * 7 < vlen ? i * 7 : vlen));
	kvline_add(&kv, "action", "reject");
	CHECK(kv.len < KVLINE_MAX);
	check_clean(kvline_str(&kv), kv.len);
	if (kv.truncated)
		CHECK(kv.len >= 14 && strcmp(kv.buf + kv.len - 14,
		    " truncated=yes") == 0);
	kvline_init_prefix(&kv, value);
	kvline_add(&kv, "helo", value);
	CHECK(kv.len < sizeof(kv.buf) && kv.len - kv.start < KVLINE_MAX);
	check_clean(kvline_str(&kv), kv.len);
	free(value);
	check_bytes(data + 1, size - 1, data[0]);
	return 0;
}
