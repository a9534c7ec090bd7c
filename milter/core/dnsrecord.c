/*
 * dnsrecord.c - syntax of the _mta-sts and _smtp._tls TXT records.
 *
 * Both records are "VERSION" followed by ";"-separated name=value fields
 * (RFC 8461 section 3.1, RFC 8460 section 3); one field walker serves
 * both, with a callback per record kind for its own fields.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "core/dnsrecord.h"
#include "core/policy.h"
#include "lib/errfmt.h"
#include "lib/hex.h"

typedef int (*field_fn)(void *, const char *name, size_t nlen,
    const char *val, size_t vlen, char *why, size_t whylen);

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* ext-value = 1*(%x21-3A / %x3C / %x3E-7E) */
static bool
valid_ext_value(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++)
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == ';' || s[i] == '=')
			return false;
	return true;
}

/*
 * VERSION 1*(*WSP ";" *WSP field) [*WSP ";" *WSP]; field = name "=" value.
 * Blanks end a record only after a ";" (RFC 8461 3.1, RFC 8460 3).
 */
static int
record_fields(const char *s, size_t len, size_t vlen, field_fn fn, void *arg,
    char *why, size_t whylen)
{
	size_t pos = vlen, start, end;
	const char *eq;

	if (memchr(s, '\0', len) != NULL)
		return errfmt(why, whylen, "NUL byte in the record");
	for (;;) {
		while (pos < len && is_wsp(s[pos]))
			pos++;
		if (pos == len)
			return 0;
		if (s[pos++] != ';')
			return errfmt(why, whylen, "expected \";\" before "
			    "\"%.*s\"", (int)(len - pos + 1 > 20 ? 20 :
			    len - pos + 1), s + pos - 1);
		while (pos < len && is_wsp(s[pos]))
			pos++;
		if (pos == len)
			return 0;
		for (start = pos; pos < len && s[pos] != ';'; pos++)
			;
		for (end = pos; end > start && is_wsp(s[end - 1]); end--)
			;
		if (end == start)
			return errfmt(why, whylen, "empty field");
		if (end < len && pos == len)
			return errfmt(why, whylen, "blanks at the end without "
			    "a \";\" after them");
		if ((eq = memchr(s + start, '=', end - start)) == NULL ||
		    !policy_valid_ext_name(s + start, (size_t)(eq - s) - start))
			return errfmt(why, whylen, "invalid field \"%.*s\"",
			    (int)(end - start > 40 ? 40 : end - start),
			    s + start);
		if (fn(arg, s + start, (size_t)(eq - s) - start, eq + 1,
		    end - (size_t)(eq + 1 - s), why, whylen) != 0)
			return -1;
	}
}

/* A repeated id= is ignored, even when malformed (RFC 8461 3.1). */
static int
sts_field(void *arg, const char *name, size_t nlen, const char *val,
    size_t vlen, char *why, size_t whylen)
{
	int *ids = arg;
	size_t i;

	if (nlen == 2 && memcmp(name, "id", 2) == 0) {
		if (++*ids > 1)
			return 0;
		for (i = 0; i < vlen && is_alnum(val[i]); i++)
			;
		if (vlen == 0 || vlen > 32 || i != vlen)
			return errfmt(why, whylen, "id= must be 1 to 32 "
			    "letters and digits");
		return 0;
	}
	if (!valid_ext_value(val, vlen))
		return errfmt(why, whylen, "invalid value for %.*s=",
		    (int)nlen, name);
	return 0;
}

int
dnsrecord_sts(const char *rec, size_t len, char *why, size_t whylen)
{
	int ids = 0;

	if (len < 7 || memcmp(rec, "v=STSv1", 7) != 0)
		return errfmt(why, whylen, "does not start with v=STSv1");
	if (record_fields(rec, len, 7, sts_field, &ids, why, whylen) != 0)
		return -1;
	if (ids == 0)
		return errfmt(why, whylen, "no id= field");
	return 0;
}

bool
dnsrecord_sts_candidate(const char *rec, size_t len, size_t nrr)
{
	if (nrr > 1)
		return len >= 8 && memcmp(rec, "v=STSv1;", 8) == 0;
	return len >= 7 && memcmp(rec, "v=STSv1", 7) == 0 &&
	    (len == 7 || rec[7] == ';' || is_wsp(rec[7]));
}

struct tlsrpt_state {
	struct tlsrpt_info	*info;
	int			 ruas;
};

/* mailto:local@domain[?...], %XX decoded, into the next slot. */
static int
add_mailto(struct tlsrpt_info *info, const char *u, size_t len)
{
	char *out;
	size_t i, o = 0;
	int hi, lo;

	if (info->nmailto >= DNSRECORD_MAX_MAILTO)
		return 0;
	out = info->mailto[info->nmailto];
	for (i = 0; i < len && u[i] != '?' && o + 1 < sizeof(info->mailto[0]);
	    i++) {
		if (u[i] == '%' && i + 2 < len &&
		    (hi = hex_value(u[i + 1])) >= 0 &&
		    (lo = hex_value(u[i + 2])) >= 0) {
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else
			out[o++] = u[i];
	}
	out[o] = '\0';
	if (strchr(out, '@') == NULL || out[0] == '@' ||
	    strrchr(out, '@')[1] == '\0' || strlen(out) != o)
		return -1;
	info->nmailto++;
	return 0;
}

static int
rua_uri(struct tlsrpt_info *info, const char *u, size_t len, char *why,
    size_t whylen)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (u[i] < 0x21 || u[i] > 0x7e || u[i] == '!' || u[i] == ';')
			return errfmt(why, whylen, "invalid character in "
			    "rua URI \"%.*s\"", (int)(len > 60 ? 60 : len), u);
	if (len > 7 && strncasecmp(u, "mailto:", 7) == 0) {
		if (add_mailto(info, u + 7, len - 7) != 0)
			return errfmt(why, whylen, "rua URI \"%.*s\" is not "
			    "a mailbox", (int)(len > 60 ? 60 : len), u);
		return 0;
	}
	if (len > 8 && strncasecmp(u, "https://", 8) == 0)
		return 0;
	return errfmt(why, whylen, "rua URI \"%.*s\" is neither mailto: nor "
	    "https:", (int)(len > 60 ? 60 : len), u);
}

static int
tlsrpt_field(void *arg, const char *name, size_t nlen, const char *val,
    size_t vlen, char *why, size_t whylen)
{
	struct tlsrpt_state *st = arg;
	size_t pos = 0, start, end;

	if (nlen != 3 || memcmp(name, "rua", 3) != 0) {
		if (!valid_ext_value(val, vlen))
			return errfmt(why, whylen, "invalid value for %.*s=",
			    (int)nlen, name);
		return 0;
	}
	if (++st->ruas > 1)
		return errfmt(why, whylen, "more than one rua=");
	do {				/* uri *(*WSP "," *WSP uri) */
		while (pos < vlen && is_wsp(val[pos]))
			pos++;
		for (start = pos; pos < vlen && val[pos] != ','; pos++)
			;
		for (end = pos; end > start && is_wsp(val[end - 1]); end--)
			;
		if (end == start)
			return errfmt(why, whylen, "empty rua URI");
		if (rua_uri(st->info, val + start, end - start, why,
		    whylen) != 0)
			return -1;
	} while (pos++ < vlen);
	return 0;
}

int
dnsrecord_tlsrpt(const char *rec, size_t len, struct tlsrpt_info *info,
    char *why, size_t whylen)
{
	struct tlsrpt_state st;

	memset(info, 0, sizeof(*info));
	st.info = info;
	st.ruas = 0;
	if (len < 10 || memcmp(rec, "v=TLSRPTv1", 10) != 0)
		return errfmt(why, whylen, "does not start with v=TLSRPTv1");
	if (record_fields(rec, len, 10, tlsrpt_field, &st, why, whylen) != 0)
		return -1;
	if (st.ruas == 0)
		return errfmt(why, whylen, "no rua= field");
	return 0;
}
