/*
 * engine.c - the decision engine (SPEC section 5), pure code.
 *
 * Every input is a string the MTA sent or did not send.  A missing or
 * unparsable TLS fact always reads as "less secure": a NULL {tls_version}
 * is plaintext, an unknown version is below any configured minimum, and
 * unparsable {cipher_bits} are zero bits.  Exemptions need a positive
 * match.  So no missing macro can turn a plaintext session into an
 * accepted one in enforce mode.  A recipient the engine cannot judge
 * whole (unparsable, or a part longer than its buffers) gets the
 * strictest configured mode; domain names are never truncated.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/domain_table.h"
#include "core/engine.h"
#include "lib/netlist.h"

static long
parse_bits(const char *s)
{
	long n = 0;

	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			return 0;
		if (n > 100000)
			return n;	/* absurd but large: stop counting */
		n = n * 10 + (*s - '0');
	}
	return n;
}

enum tls_state
engine_tls_state(const struct conf *c, const char *version, const char *bits)
{
	if (version == NULL || version[0] == '\0')
		return TLS_PLAINTEXT;
	if (c->min_tls_version != TLSV_NONE &&
	    tls_level_parse(version) < c->min_tls_version)
		return TLS_WEAK;
	if (c->min_cipher_bits > 0 && parse_bits(bits) < c->min_cipher_bits)
		return TLS_WEAK;
	return TLS_OK;
}

bool
engine_has_requiretls(char *const *args)
{
	size_t i;

	if (args == NULL)
		return false;
	/* Exactly the keyword; "REQUIRETLS=x" is another parameter. */
	for (i = 0; args[i] != NULL; i++)
		if (strcasecmp(args[i], "REQUIRETLS") == 0)
			return true;
	return false;
}

bool
engine_rejects_all(const struct conf *c)
{
	if (c->mode != STS_MODE_ENFORCE || c->nexempt_rcpts > 0)
		return false;
	return c->domains_by_mode[STS_MODE_ENFORCE] == c->ndomains;
}

static bool
is_authenticated(const struct session_facts *f)
{
	return (f->auth_type != NULL && f->auth_type[0] != '\0') ||
	    (f->auth_authen != NULL && f->auth_authen[0] != '\0');
}

static bool
client_exempt(const struct conf *c, const struct session_facts *f)
{
	if (f->client_sa != NULL && (f->client_sa->sa_family == AF_INET ||
	    f->client_sa->sa_family == AF_INET6))
		return netlist_match_sockaddr(c->exempt_networks, f->client_sa);
	return netlist_match_string(c->exempt_networks, f->client_addr);
}

static struct verdict	judge_rcpt(const struct conf *, enum tls_state, bool,
			    const char *);
static struct verdict	outage_guard(const struct conf *, struct verdict, bool);

static struct verdict
make_verdict(enum action a, enum reason r, enum sts_mode m,
    const struct reply *reply)
{
	struct verdict v;

	v.action = a;
	v.reason = r;
	v.mode = m;
	v.reply = reply;
	v.outage_guard = false;
	return v;
}

bool
engine_client_exempt(const struct conf *c, const struct session_facts *f)
{
	return client_exempt(c, f) ||
	    (c->exempt_authenticated && is_authenticated(f));
}

struct verdict
engine_judge_mail(const struct conf *c, const struct session_facts *f,
    enum tls_state *tls_out)
{
	enum tls_state tls;
	enum reason why;

	tls = engine_tls_state(c, f->tls_version, f->cipher_bits);
	*tls_out = tls;
	/* Rule 5 first: a REQUIRETLS sender asked for TLS, whatever the mode. */
	if (c->requiretls && f->requiretls && tls == TLS_PLAINTEXT)
		return make_verdict(ACTION_REJECT, REASON_REQUIRETLS_PLAINTEXT,
		    c->mode, &c->requiretls_reply);
	if (tls == TLS_OK)
		return make_verdict(ACTION_ACCEPT, REASON_NONE, c->mode, NULL);
	why = tls == TLS_WEAK ? REASON_WEAK_TLS : REASON_PLAINTEXT;
	if (client_exempt(c, f))
		return make_verdict(ACTION_EXEMPT, REASON_NETWORK, c->mode,
		    NULL);
	if (c->exempt_authenticated && is_authenticated(f))
		return make_verdict(ACTION_EXEMPT, REASON_AUTH, c->mode, NULL);
	if (engine_rejects_all(c))
		return outage_guard(c, make_verdict(ACTION_REJECT, why,
		    STS_MODE_ENFORCE, &c->reject), f->tls_outage);
	return make_verdict(ACTION_PER_RCPT, why, c->mode, NULL);
}

/* The last '@' outside a quoted local part, or NULL. */
static const char *
find_at(const char *s, size_t len)
{
	const char *at = NULL;
	bool quoted = false;
	size_t i;

	for (i = 0; i < len; i++) {
		if (quoted && s[i] == '\\' && i + 1 < len)
			i++;
		else if (s[i] == '"')
			quoted = !quoted;
		else if (!quoted && s[i] == '@')
			at = s + i;
	}
	return at;
}

static bool
copy_part(char *dst, size_t dstlen, const char *src, size_t len)
{
	if (len >= dstlen)
		return false;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return true;
}

/*
 * Splits "<local@domain>" (brackets optional) into its two parts.  Only
 * the outer brackets are removed: a quoted local part may hold '>' or '@'.
 */
static bool
split_address(const char *addr, char *local, size_t llen, char *domain,
    size_t dlen)
{
	const char *s = addr, *end, *at, *colon;
	size_t len, i;

	if (s == NULL)
		return false;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '<')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end > s && end[-1] == '>')
		end--;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	/* A source route "@a,@b:local@domain" keeps only the mailbox. */
	if (*s == '@' && (colon = memchr(s, ':', (size_t)(end - s))) != NULL)
		s = colon + 1;
	len = (size_t)(end - s);
	if ((at = find_at(s, len)) == NULL)
		return copy_part(local, llen, s, len) &&
		    copy_part(domain, dlen, "", 0);
	if (!copy_part(local, llen, s, (size_t)(at - s)) ||
	    !copy_part(domain, dlen, at + 1, (size_t)(end - at - 1)))
		return false;
	for (i = 0; domain[i] != '\0'; i++)
		domain[i] = (char)tolower((unsigned char)domain[i]);
	len = strlen(domain);
	if (len > 0 && domain[len - 1] == '.')
		domain[len - 1] = '\0';
	return true;
}

bool
engine_address_domain(const char *addr, char *buf, size_t len)
{
	char local[512];

	return split_address(addr, local, sizeof(local), buf, len);
}

bool
engine_recipient_exempt(const struct conf *c, const char *rcpt)
{
	char local[512], domain[512];
	const struct exempt_rcpt *e;
	size_t i;

	if (c->nexempt_rcpts == 0 ||
	    !split_address(rcpt, local, sizeof(local), domain, sizeof(domain)))
		return false;
	for (i = 0; i < c->nexempt_rcpts; i++) {
		e = &c->exempt_rcpts[i];
		if (e->local != NULL && strcasecmp(e->local, local) != 0)
			continue;
		if (e->domain != NULL && strcmp(e->domain, domain) != 0)
			continue;
		return true;
	}
	return false;
}

enum sts_mode
engine_mode_for_domain(const struct conf *c, const char *domain,
    enum mode_source *src, const struct domain_rule **rule)
{
	const struct domain_rule *best = NULL;
	size_t i;

	/* Exact wins, then the longest ".parent" block; the whole domain. */
	if (domain_table_match(c->domain_index, domain, strlen(domain), &i))
		best = &c->domains[i];
	if (rule != NULL)
		*rule = best;
	if (src != NULL)
		*src = best != NULL ? best->source : c->mode_source;
	return best != NULL ? best->mode : c->mode;
}

static enum sts_mode
strictest_mode(const struct conf *c)
{
	if (c->domains_by_mode[STS_MODE_ENFORCE] > 0)
		return STS_MODE_ENFORCE;
	if (c->domains_by_mode[STS_MODE_TESTING] > 0 &&
	    c->mode < STS_MODE_TESTING)
		return STS_MODE_TESTING;
	return c->mode;
}

bool
engine_wants_history(const struct conf *c, const struct verdict *mail)
{
	return c->downgrade != DOWNGRADE_OFF &&
	    mail->action == ACTION_PER_RCPT && mail->reason == REASON_PLAINTEXT;
}

/* Rule 6; the recipient's mode is not enforce. */
static struct verdict
downgrade_verdict(const struct conf *c, enum sts_mode mode)
{
	switch (c->downgrade) {
	case DOWNGRADE_TEMPFAIL:
		return make_verdict(ACTION_TEMPFAIL, REASON_DOWNGRADE, mode,
		    &c->downgrade_reply);
	case DOWNGRADE_REJECT:
		return make_verdict(ACTION_REJECT, REASON_DOWNGRADE, mode,
		    &c->reject);
	case DOWNGRADE_LOG:
	case DOWNGRADE_OFF:
	default:
		return make_verdict(ACTION_WOULD_REJECT, REASON_DOWNGRADE, mode,
		    NULL);
	}
}

/* Rule 7: no permanent rejection for a TLS failure that is ours. */
static struct verdict
outage_guard(const struct conf *c, struct verdict v, bool tls_outage)
{
	if (!tls_outage || v.action != ACTION_REJECT ||
	    (v.reason != REASON_PLAINTEXT && v.reason != REASON_WEAK_TLS &&
	    v.reason != REASON_DOWNGRADE))
		return v;
	v.action = ACTION_TEMPFAIL;
	v.reply = &c->outage_reply;
	v.outage_guard = true;
	return v;
}

struct verdict
engine_judge_rcpt(const struct conf *c, enum tls_state tls, const char *rcpt)
{
	static const struct rcpt_context none = { false, false };

	return engine_judge_rcpt_ctx(c, tls, &none, rcpt);
}

struct verdict
engine_judge_rcpt_ctx(const struct conf *c, enum tls_state tls,
    const struct rcpt_context *ctx, const char *rcpt)
{
	return outage_guard(c, judge_rcpt(c, tls, ctx->network_protected, rcpt),
	    ctx->tls_outage);
}

static struct verdict
judge_rcpt(const struct conf *c, enum tls_state tls, bool network_protected,
    const char *rcpt)
{
	enum reason why = tls == TLS_WEAK ? REASON_WEAK_TLS : REASON_PLAINTEXT;
	char local[512], domain[512];
	enum sts_mode mode;

	if (tls == TLS_OK)
		return make_verdict(ACTION_ACCEPT, REASON_NONE, c->mode, NULL);
	if (engine_recipient_exempt(c, rcpt))
		return make_verdict(ACTION_EXEMPT, REASON_RECIPIENT, c->mode,
		    NULL);
	if (split_address(rcpt, local, sizeof(local), domain, sizeof(domain)))
		mode = engine_mode_for_domain(c, domain, NULL, NULL);
	else
		mode = strictest_mode(c);	/* unparsable or too long */
	if (mode != STS_MODE_ENFORCE && network_protected &&
	    tls == TLS_PLAINTEXT && c->downgrade != DOWNGRADE_OFF)
		return downgrade_verdict(c, mode);
	switch (mode) {
	case STS_MODE_ENFORCE:
		return make_verdict(ACTION_REJECT, why, mode, &c->reject);
	case STS_MODE_TESTING:
		return make_verdict(ACTION_WOULD_REJECT, why, mode, NULL);
	case STS_MODE_OFF:
	default:
		return make_verdict(ACTION_ACCEPT, why, STS_MODE_OFF, NULL);
	}
}

bool
engine_tls_required_no(const char *value)
{
	size_t len;

	/* The field body is "No" (RFC 8689 section 5), any case, any WSP. */
	while (*value == ' ' || *value == '\t' || *value == '\r' ||
	    *value == '\n')
		value++;
	len = strlen(value);
	while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t' ||
	    value[len - 1] == '\r' || value[len - 1] == '\n'))
		len--;
	return len == 2 && strncasecmp(value, "no", 2) == 0;
}
