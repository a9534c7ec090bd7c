/*
 * report_parse.c - classify and parse one decision log line for -r.
 *
 * The parser works on (pointer, length) so that NUL bytes in hostile
 * input are just invalid bytes, and it never allocates: a decision's
 * values are spans into the caller's line.  It is strict about what
 * escape.c can produce (printable ASCII, \\ \" \xHH escapes, quotes only
 * around a whole value) so that a damaged or forged line is reported as
 * malformed rather than counted.
 */
#include <stdint.h>
#include <string.h>

#include "lib/escape.h"
#include "report/report_parse.h"
#include "lib/hex.h"

#define QUEUEID_MAX	64
#define KEY_MAX		32
#define TLS_MAX		32
#define TAG		"mtasts-milter"
#define TAG_LEN		(sizeof(TAG) - 1)

static const char *const months[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* Known keys, as bits of a "seen" mask to refuse duplicates. */
enum key {
	K_ACTION, K_REASON, K_TLS, K_STAGE, K_CLIENT, K_FROM, K_MODE,
	K_NETWORK, K_OTHER, K_BAD
};

static const char *const key_names[K_OTHER] = {
	"action", "reason", "tls", "stage", "client", "from", "mode", "network"
};

static bool
isdig(char c)
{
	return c >= '0' && c <= '9';
}

static bool
isgraphic(char c)
{
	return (unsigned char)c > 0x20 && (unsigned char)c < 0x7f;
}

/* How many leading bytes of p (at most max) satisfy ok(). */
static size_t
run_of(const char *p, size_t len, size_t max, bool (*ok)(char))
{
	size_t n = 0;

	while (n < len && n < max && ok(p[n]))
		n++;
	return n;
}

/* True when p holds n digits. */
static bool
digits(const char *p, size_t len, size_t n)
{
	size_t i;

	if (len < n)
		return false;
	for (i = 0; i < n; i++)
		if (!isdig(p[i]))
			return false;
	return true;
}

static bool
span_is(const char *p, size_t len, const char *s)
{
	return strlen(s) == len && memcmp(p, s, len) == 0;
}

static bool
mem_has(const char *p, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; i + n <= len; i++)
		if (p[i] == needle[0] && memcmp(p + i, needle, n) == 0)
			return true;
	return false;
}

/* "Nov 24 15:16:43 " (day may be space-padded): 15, else 0. */
static size_t
ts_bsd(const char *p, size_t len)
{
	size_t i;

	if (len < 16 || p[3] != ' ' || p[6] != ' ' || p[9] != ':' ||
	    p[12] != ':' || p[15] != ' ')
		return 0;
	for (i = 0; i < 12; i++)
		if (memcmp(p, months[i], 3) == 0)
			break;
	if (i == 12 || (p[4] != ' ' && !isdig(p[4])) || !isdig(p[5]) ||
	    !digits(p + 7, 2, 2) || !digits(p + 10, 2, 2) ||
	    !digits(p + 13, 2, 2))
		return 0;
	return 15;
}

/* "2026-11-24T15:16:43[.frac][Z|+HH:MM|+HHMM] ": its length, else 0. */
static size_t
ts_iso(const char *p, size_t len)
{
	size_t n = 19, f;

	if (len < 20 || !digits(p, len, 4) || p[4] != '-' ||
	    !digits(p + 5, 2, 2) || p[7] != '-' || !digits(p + 8, 2, 2) ||
	    p[10] != 'T' || !digits(p + 11, 2, 2) || p[13] != ':' ||
	    !digits(p + 14, 2, 2) || p[16] != ':' || !digits(p + 17, 2, 2))
		return 0;
	if (p[n] == '.') {
		if ((f = run_of(p + n + 1, len - n - 1, 9, isdig)) == 0)
			return 0;
		n += 1 + f;
	}
	if (n < len && p[n] == 'Z')
		n++;
	else if (n < len && (p[n] == '+' || p[n] == '-')) {
		if (!digits(p + n + 1, len - n - 1, 2))
			return 0;
		n += 3;
		if (n < len && p[n] == ':')
			n++;
		if (!digits(p + n, len - n, 2))
			return 0;
		n += 2;
	}
	if (n >= len || p[n] != ' ' || n >= RP_TS_MAX)
		return 0;
	return n;
}

/* "mtasts-milter[PID]: " or "mtasts-milter: ": its length, else 0. */
static size_t
tag_len(const char *p, size_t len)
{
	size_t n = TAG_LEN, d;

	if (len < TAG_LEN + 2 || memcmp(p, TAG, TAG_LEN) != 0)
		return 0;
	if (p[n] == '[') {
		d = run_of(p + n + 1, len - n - 1, 10, isdig);
		if (d == 0 || n + 1 + d >= len || p[n + 1 + d] != ']')
			return 0;
		n += d + 2;
	}
	if (n + 2 > len || p[n] != ':' || p[n + 1] != ' ')
		return 0;
	return n + 2;
}

/*
 * Finds the message: *off is where it starts.  RP_OTHER when the line has
 * a syslog prefix with another program's tag.
 */
static enum rp_kind
split_prefix(const char *line, size_t len, char *ts, size_t *off)
{
	size_t n, pos, h, t;

	ts[0] = '\0';
	if ((n = ts_bsd(line, len)) == 0 && (n = ts_iso(line, len)) == 0) {
		*off = tag_len(line, len);
		return RP_DECISION;
	}
	memcpy(ts, line, n);
	ts[n] = '\0';
	pos = n + 1;
	if ((t = tag_len(line + pos, len - pos)) == 0) {
		h = run_of(line + pos, len - pos, len, isgraphic);
		if (h == 0 || pos + h >= len || line[pos + h] != ' ')
			return RP_OTHER;
		pos += h + 1;
		if ((t = tag_len(line + pos, len - pos)) == 0)
			return RP_OTHER;
	}
	*off = pos + t;
	return RP_DECISION;
}

/* One escape sequence at p[0] == '\\': its length, or 0 when invalid. */
static size_t
escape_len(const char *p, size_t len)
{
	if (len >= 2 && (p[1] == '\\' || p[1] == '"'))
		return 2;
	if (len >= 4 && p[1] == 'x' && hex_value(p[2]) >= 0 && hex_value(p[3]) >= 0)
		return 4;
	return 0;
}

/*
 * Scans value bytes from *pos up to a stop byte (a quote when quoted, else
 * a space or the end).  Returns false on a byte escape.c cannot write.
 */
static bool
scan_value(const char *p, size_t len, size_t *pos, bool quoted)
{
	size_t e;

	while (*pos < len) {
		char c = p[*pos];

		if (quoted ? c == '"' : c == ' ')
			return true;
		if (c == '\\') {
			if ((e = escape_len(p + *pos, len - *pos)) == 0)
				return false;
			*pos += e;
			continue;
		}
		if (!isgraphic(c) && !(quoted && c == ' '))
			return false;
		if (!quoted && c == '"')
			return false;
		(*pos)++;
	}
	return !quoted;
}

static bool
parse_quoted(const char *p, size_t len, size_t *pos, struct rp_span *s)
{
	size_t start = ++*pos;

	if (!scan_value(p, len, pos, true))
		return false;
	s->p = p + start;
	s->len = *pos - start;
	s->quoted = true;
	(*pos)++;
	return true;
}

/* A value at p[*pos]: "quoted", <addr>, <"quoted addr"> or bare. */
static bool
parse_value(const char *p, size_t len, size_t *pos, struct rp_span *s)
{
	size_t start;

	memset(s, 0, sizeof(*s));
	s->present = true;
	if (*pos < len && p[*pos] == '<') {
		s->bracketed = true;
		start = ++*pos;
		if (*pos < len && p[*pos] == '"') {
			if (!parse_quoted(p, len, pos, s) || *pos >= len ||
			    p[*pos] != '>')
				return false;
			(*pos)++;
			return true;
		}
		if (!scan_value(p, len, pos, false) || *pos == start ||
		    p[*pos - 1] != '>')
			return false;
		s->p = p + start;
		s->len = *pos - start - 1;
		return true;
	}
	if (*pos < len && p[*pos] == '"')
		return parse_quoted(p, len, pos, s);
	start = *pos;
	if (!scan_value(p, len, pos, false))
		return false;
	s->p = p + start;
	s->len = *pos - start;
	return true;
}

static enum key
parse_key(const char *p, size_t len, size_t *pos)
{
	size_t start = *pos, n;
	int k;

	while (*pos < len && ((p[*pos] >= 'a' && p[*pos] <= 'z') ||
	    isdig(p[*pos]) || p[*pos] == '_' || p[*pos] == '-'))
		(*pos)++;
	n = *pos - start;
	if (n == 0 || n > KEY_MAX || *pos >= len || p[*pos] != '=')
		return K_BAD;
	(*pos)++;
	for (k = 0; k < K_OTHER; k++)
		if (span_is(p + start, n, key_names[k]))
			return (enum key)k;
	return K_OTHER;
}

static int
stage_lookup(const char *p, size_t len)
{
	return span_is(p, len, "mail") ? 0 : span_is(p, len, "rcpt") ? 1 : -1;
}

/* The value of a bare (unquoted) name by one of the lookups, or -1. */
static int
lookup(const struct rp_span *s, int (*by_name)(const char *, size_t))
{
	if (s->quoted || s->bracketed)
		return -1;
	return by_name(s->p, s->len);
}

static bool
valid_tls(const struct rp_span *s)
{
	size_t i;

	if (s->quoted || s->bracketed || s->len == 0 || s->len > TLS_MAX)
		return false;
	for (i = 0; i < s->len; i++) {
		char c = s->p[i];

		if (!isdig(c) && !(c >= 'a' && c <= 'z') &&
		    !(c >= 'A' && c <= 'Z') && c != '.' && c != '-' &&
		    c != '_')
			return false;
	}
	return true;
}

/* A plaintext reason needs tls=none (or no tls=), weak-tls a version. */
static bool
tls_fits(const struct rp_decision *d, int r)
{
	bool none;

	if (!d->tls.present)
		return true;
	none = span_is(d->tls.p, d->tls.len, "none");
	if (r == REASON_PLAINTEXT || r == REASON_REQUIRETLS_PLAINTEXT ||
	    r == REASON_DOWNGRADE)
		return none;
	if (r == REASON_WEAK_TLS)
		return !none;
	return true;
}

/* Checks the values of the known keys and how they fit together. */
static bool
check_fields(struct rp_decision *d, const struct rp_span *act,
    const struct rp_span *rsn, const struct rp_span *mode)
{
	int a, r = REASON_NONE;
	bool exempt_reason;

	if (!act->present || (a = lookup(act, action_lookup)) < 0)
		return false;
	if (rsn->present && (r = lookup(rsn, reason_lookup)) < 0)
		return false;
	if (d->stage.present && lookup(&d->stage, stage_lookup) < 0)
		return false;
	if (mode->present && lookup(mode, sts_mode_lookup) < 0)
		return false;
	if (d->tls.present && !valid_tls(&d->tls))
		return false;
	if (!tls_fits(d, r))
		return false;
	exempt_reason = reason_is_exemption((enum reason)r);
	if ((a == ACTION_EXEMPT) != exempt_reason)
		return false;
	if ((a == ACTION_REJECT || a == ACTION_WOULD_REJECT ||
	    a == ACTION_TEMPFAIL) && r == REASON_NONE)
		return false;
	if (r == REASON_DOWNGRADE && a != ACTION_REJECT &&
	    a != ACTION_WOULD_REJECT && a != ACTION_TEMPFAIL)
		return false;
	d->action = (enum action)a;
	d->reason = (enum reason)r;
	return true;
}

/* "QUEUEID: key=value ...": fills d, false when malformed. */
static bool
parse_message(const char *p, size_t len, struct rp_decision *d)
{
	struct rp_span act, rsn, mode, other, *dst;
	unsigned seen = 0;
	size_t pos = 0;
	enum key k;

	while (pos < len && p[pos] != ':' && isgraphic(p[pos]))
		pos++;
	if (pos == 0 || pos > QUEUEID_MAX || pos + 1 >= len ||
	    p[pos] != ':' || p[pos + 1] != ' ')
		return false;
	pos += 2;
	memset(&act, 0, sizeof(act));
	rsn = mode = act;
	for (;;) {
		while (pos < len && p[pos] == ' ')
			pos++;
		if (pos >= len)
			break;
		if ((k = parse_key(p, len, &pos)) == K_BAD)
			return false;
		if (k != K_OTHER && (seen & (1u << k)))
			return false;
		seen |= 1u << k;
		dst = k == K_ACTION ? &act : k == K_REASON ? &rsn :
		    k == K_TLS ? &d->tls : k == K_STAGE ? &d->stage :
		    k == K_CLIENT ? &d->client : k == K_FROM ? &d->from :
		    k == K_NETWORK ? &d->network : k == K_MODE ? &mode :
		    &other;
		if (!parse_value(p, len, &pos, dst) ||
		    (pos < len && p[pos] != ' '))
			return false;
	}
	return check_fields(d, &act, &rsn, &mode);
}

enum rp_kind
rp_parse(const char *line, size_t len, struct rp_decision *d)
{
	size_t off;

	memset(d, 0, sizeof(*d));
	if (len > RP_LINE_MAX)
		return RP_MALFORMED;
	if (split_prefix(line, len, d->ts, &off) == RP_OTHER)
		return RP_OTHER;
	if (!mem_has(line + off, len - off, "action="))
		return RP_OTHER;
	if (!parse_message(line + off, len - off, d))
		return RP_MALFORMED;
	return RP_DECISION;
}

/* Decodes p's escapes and re-encodes them for display, within the cap. */
static size_t
canon(char *dst, const char *p, size_t len, bool lower)
{
	size_t i = 0, n = 0, e;
	unsigned char b;

	while (i < len) {
		if (n + 4 > RP_KEY_MAX - 3) {
			memcpy(dst + n, "...", 3);
			n += 3;
			break;
		}
		b = (unsigned char)p[i];
		if (b == '\\' && (e = escape_len(p + i, len - i)) > 0) {
			b = e == 2 ? (unsigned char)p[i + 1] :
			    (unsigned char)(hex_value(p[i + 2]) * 16 +
			    hex_value(p[i + 3]));
			i += e;
		} else
			i++;
		n += escape_bytes(dst + n, SIZE_MAX, (const char *)&b, 1,
		    ESCAPE_SPACE | (lower ? ESCAPE_LOWER : 0), NULL);
	}
	dst[n] = '\0';
	return n;
}

static size_t
set_str(char *dst, const char *s)
{
	size_t n = strlen(s);

	memcpy(dst, s, n + 1);
	return n;
}

size_t
rp_canon(char *dst, const struct rp_span *s, bool lower)
{
	if (!s->present || s->len == 0)
		return set_str(dst, "-");
	return canon(dst, s->p, s->len, lower);
}

size_t
rp_domain(char *dst, const struct rp_span *from)
{
	size_t at;

	if (!from->present)
		return set_str(dst, "-");
	if (from->len == 0)
		return set_str(dst, "<>");
	for (at = from->len; at > 0 && from->p[at - 1] != '@'; at--)
		;
	if (at == 0 || at == from->len)
		return set_str(dst, "-");
	return canon(dst, from->p + at, from->len - at, true);
}
