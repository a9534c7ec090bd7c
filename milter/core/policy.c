/*
 * policy.c - strict parser for RFC 8461 section 3.2 MTA-STS policy files.
 *
 * The grammar is small enough to check by hand, line by line: each line is
 * "key:" *WSP value *WSP, lines end in LF or CRLF.  We keep the RFC's case
 * sensitivity ("version", "STSv1", "enforce" are %s strings) because a
 * policy that a strict sender would refuse must be refused here too.
 */
#include <ctype.h>
#include <stdlib.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/policy.h"
#include "lib/dnsname.h"
#include "lib/errfmt.h"
#include "lib/fileread.h"
#include "lib/strv.h"

struct parse_state {
	struct sts_policy	*pol;
	char			*err;
	size_t			 errlen;
	int			 line;
	int			 version_line;
	int			 mode_line;
	int			 max_age_line;
	int			 last_warning;	/* line of the last slot's */
	size_t			 ndropped;	/* warnings over the array */
};

/* The line of the error is ps->line when policy_parse() fails. */
#define parse_error(ps, ...)	errfmt((ps)->err, (ps)->errlen, __VA_ARGS__)

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * A repeated version, mode or max_age line: the first counts, this one is
 * ignored whatever its value (RFC 8461 3.2), with a warning.  The last
 * slot of the bounded warnings array sums up any that do not fit.
 */
static int
repeated(struct parse_state *ps, const char *key, int first)
{
	struct sts_policy *pol = ps->pol;
	char *slot;

	if (pol->warnings == NULL && (pol->warnings = calloc(POLICY_MAX_WARNINGS,
	    sizeof(*pol->warnings))) == NULL)
		return parse_error(ps, "out of memory");
	if (pol->nwarnings < POLICY_MAX_WARNINGS) {
		slot = pol->warnings[pol->nwarnings++];
		(void)snprintf(slot, POLICY_WARNING_MAX, "line %d: repeated %s "
		    "ignored (first on line %d)", ps->line, key, first);
		ps->last_warning = ps->line;
		return 0;
	}
	ps->ndropped++;
	slot = pol->warnings[POLICY_MAX_WARNINGS - 1];
	(void)snprintf(slot, POLICY_WARNING_MAX, "lines %d to %d: %zu repeated "
	    "fields ignored", ps->last_warning, ps->line, ps->ndropped + 1);
	return 0;
}

static bool
valid_mx_pattern(const char *s, size_t len)
{
	if (len > 2 && s[0] == '*' && s[1] == '.')
		return dnsname_valid(s + 2, len - 2);
	return dnsname_valid(s, len);
}

/*
 * RFC 8461: ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / "."),
 * the same rule for policy keys (3.2) and TXT record fields (3.1).
 */
bool
policy_valid_ext_name(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 32 || !isalnum((unsigned char)s[0]))
		return false;
	for (i = 1; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

/*
 * ext-value: VCHAR (and non-ASCII UTF-8) with inner spaces; the blanks
 * around it are already gone, so any tab left is an inner one: refused.
 */
static bool
valid_ext_value(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20)
			return false;
		if (c == 0x7f)
			return false;
	}
	return true;
}

static int
add_mx(struct parse_state *ps, const char *v, size_t len)
{
	struct sts_policy *pol = ps->pol;
	char **nmx, *copy;
	size_t i;

	if (!valid_mx_pattern(v, len))
		return parse_error(ps, "invalid mx pattern \"%.*s\"",
		    (int)(len > 64 ? 64 : len), v);
	if (pol->nmx >= POLICY_MAX_MX)
		return parse_error(ps, "more than %d mx lines", POLICY_MAX_MX);
	if ((copy = strndup(v, len)) == NULL)
		return parse_error(ps, "out of memory");
	for (i = 0; i < len; i++)
		copy[i] = (char)tolower((unsigned char)copy[i]);
	nmx = reallocarray(pol->mx, pol->nmx + 1, sizeof(*nmx));
	if (nmx == NULL) {
		free(copy);
		return parse_error(ps, "out of memory");
	}
	pol->mx = nmx;
	pol->mx[pol->nmx++] = copy;
	return 0;
}

static int
parse_max_age(struct parse_state *ps, const char *v, size_t len)
{
	long n = 0;
	size_t i;

	if (len == 0 || len > 10)
		return parse_error(ps, "max_age must be 1 to 10 digits");
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)v[i]))
			return parse_error(ps, "max_age is not a number");
		n = n * 10 + (v[i] - '0');
	}
	if (n > POLICY_MAX_AGE)
		return parse_error(ps, "max_age %ld exceeds %ld", n,
		    POLICY_MAX_AGE);
	ps->pol->max_age = n;
	return 0;
}

static int
parse_mode(struct parse_state *ps, const char *v, size_t len)
{
	if (len == 7 && memcmp(v, "enforce", 7) == 0)
		ps->pol->mode = STS_MODE_ENFORCE;
	else if (len == 7 && memcmp(v, "testing", 7) == 0)
		ps->pol->mode = STS_MODE_TESTING;
	else if (len == 4 && memcmp(v, "none", 4) == 0)
		ps->pol->mode = STS_MODE_OFF;
	else
		return parse_error(ps, "mode must be enforce, testing or none");
	return 0;
}

static int
parse_version(struct parse_state *ps, const char *v, size_t len)
{
	return len == 5 && memcmp(v, "STSv1", 5) == 0 ? 0 :
	    parse_error(ps, "unsupported version");
}

/*
 * The fields that may appear once: the first counts, a repeated one is
 * ignored with a warning whatever its value (RFC 8461 3.2).
 */
static const struct single_field {
	const char	*key;
	size_t		 klen;
	int		(*parse)(struct parse_state *, const char *, size_t);
	size_t		 line_at;	/* offset of its line in parse_state */
} single_fields[] = {
	{ "version", 7, parse_version, offsetof(struct parse_state,
	    version_line) },
	{ "mode", 4, parse_mode, offsetof(struct parse_state, mode_line) },
	{ "max_age", 7, parse_max_age, offsetof(struct parse_state,
	    max_age_line) },
};

/* 1 when the key is a single field (handled), 0 when it is not. */
static int
parse_single(struct parse_state *ps, const char *k, size_t klen,
    const char *v, size_t vlen, int *rc)
{
	const struct single_field *f;
	int *line;
	size_t i;

	for (i = 0; i < sizeof(single_fields) / sizeof(single_fields[0]); i++) {
		f = &single_fields[i];
		if (klen != f->klen || memcmp(k, f->key, klen) != 0)
			continue;
		line = (int *)(void *)((char *)ps + f->line_at);
		if (*line != 0)
			*rc = repeated(ps, f->key, *line);
		else if ((*rc = f->parse(ps, v, vlen)) == 0)
			*line = ps->line;
		return 1;
	}
	return 0;
}

/* One "key: value" line, without its line end; in any order. */
static int
parse_line(struct parse_state *ps, const char *s, size_t len)
{
	const char *colon, *v;
	size_t klen, vlen;
	int rc;

	if (len == 0)
		return parse_error(ps, "empty line");
	if ((colon = memchr(s, ':', len)) == NULL)
		return parse_error(ps, "missing \":\"");
	klen = (size_t)(colon - s);
	v = colon + 1;
	vlen = len - klen - 1;
	while (vlen > 0 && is_wsp(*v)) {
		v++;
		vlen--;
	}
	while (vlen > 0 && is_wsp(v[vlen - 1]))
		vlen--;

	if (parse_single(ps, s, klen, v, vlen, &rc))
		return rc;
	if (klen == 2 && memcmp(s, "mx", 2) == 0)
		return add_mx(ps, v, vlen);
	if (!policy_valid_ext_name(s, klen))
		return parse_error(ps, "invalid key");
	if (!valid_ext_value(v, vlen))
		return parse_error(ps, "invalid value");
	return 0;		/* unknown keys are ignored (RFC 8461 3.2) */
}

static int
parse_lines(struct parse_state *ps, const char *buf, size_t len)
{
	size_t pos = 0, end, next;

	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);

		ps->line++;
		end = nl != NULL ? (size_t)(nl - buf) : len;
		next = nl != NULL ? end + 1 : len;
		if (nl != NULL && end > pos && buf[end - 1] == '\r')
			end--;
		if (memchr(buf + pos, '\r', end - pos) != NULL ||
		    memchr(buf + pos, '\0', end - pos) != NULL)
			return parse_error(ps, "stray CR or NUL byte");
		/* The final line end is optional; an empty line is invalid. */
		if (parse_line(ps, buf + pos, end - pos) != 0)
			return -1;
		pos = next;
	}
	return 0;
}

int
policy_parse(const char *buf, size_t len, struct sts_policy *out,
    char *err, size_t errlen, int *errline)
{
	struct parse_state ps;

	memset(out, 0, sizeof(*out));
	memset(&ps, 0, sizeof(ps));
	ps.pol = out;
	ps.err = err;
	ps.errlen = errlen;
	if (errline != NULL)
		*errline = 0;
	if (len > POLICY_MAX_BYTES)
		return parse_error(&ps, "policy larger than %d bytes",
		    POLICY_MAX_BYTES);
	if (len == 0)
		return parse_error(&ps, "empty policy");
	if (parse_lines(&ps, buf, len) != 0)
		goto fail;
	ps.line = 0;
	if (ps.version_line == 0) {
		parse_error(&ps, "no version line");
		goto fail;
	}
	if (ps.mode_line == 0) {
		parse_error(&ps, "no mode line");
		goto fail;
	}
	if (ps.max_age_line == 0) {
		parse_error(&ps, "no max_age line");
		goto fail;
	}
	if (out->nmx == 0 && out->mode != STS_MODE_OFF) {
		parse_error(&ps, "no mx line (required unless mode is none)");
		goto fail;
	}
	return 0;
fail:
	if (errline != NULL)
		*errline = ps.line;
	policy_free(out);
	return -1;
}

int
policy_load(const char *path, struct sts_policy *out, char *err,
    size_t errlen, int *errline)
{
	char *buf;
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	if (errline != NULL)
		*errline = 0;
	if ((buf = fileread(path, POLICY_MAX_BYTES, &len, err, errlen)) ==
	    NULL)
		return -1;
	rc = policy_parse(buf, len, out, err, errlen, errline);
	free(buf);
	return rc;
}

void
policy_free(struct sts_policy *pol)
{
	strv_free(pol->mx, pol->nmx);
	free(pol->warnings);
	memset(pol, 0, sizeof(*pol));
}

bool
policy_mx_match(const char *pattern, const char *host)
{
	size_t hlen = strlen(host), plen = strlen(pattern);
	const char *dot;

	if (hlen > 0 && host[hlen - 1] == '.')
		hlen--;
	if (hlen == 0)
		return false;
	if (plen > 2 && pattern[0] == '*' && pattern[1] == '.') {
		/* "*.example.com": exactly one more label, not empty. */
		if ((dot = memchr(host, '.', hlen)) == NULL || dot == host)
			return false;
		return (size_t)(hlen - (size_t)(dot - host) - 1) == plen - 2 &&
		    strncasecmp(dot + 1, pattern + 2, plen - 2) == 0;
	}
	return hlen == plen && strncasecmp(host, pattern, plen) == 0;
}

bool
policy_host_allowed(const struct sts_policy *pol, const char *host)
{
	size_t i;

	for (i = 0; i < pol->nmx; i++)
		if (policy_mx_match(pol->mx[i], host))
			return true;
	return false;
}
