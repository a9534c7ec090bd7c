/*
 * conf_values.c - validation of every configuration value.
 *
 * Each key has one small check; a failed check reports "FILE:LINE: key:
 * problem" and the load fails.  Reply texts are checked against what
 * smfi_setreply() accepts (no CR/LF, at most 980 bytes with the codes) and
 * '%' is doubled because Sendmail drops a reply with a lone '%'.  An
 * allocation failure fails the load ("out of memory"); nothing here exits.
 */
#include <ctype.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "core/conf_domains.h"
#include "core/conf_values.h"
#include "lib/dnsname.h"
#include "lib/hostport.h"
#include "lib/log.h"
#include "lib/netlist.h"
#include "lib/strv.h"

#define REPLY_MAX	980	/* libmilter's MAXREPLYLEN */

static const char	*socket_override;	/* -p, set once at start */
/*
 * An allocation failed in this thread's conf_build(): the load fails with
 * "out of memory" (never fatal(): a SIGHUP reload must keep the old
 * configuration).  The value that could not be allocated is left NULL.
 */
static _Thread_local bool	 build_oom;

void
conf_set_socket_override(const char *socket)
{
	socket_override = socket;
}

void
load_error(struct load_ctx *ctx, int line, const char *fmt, ...)
{
	struct conf_errors *e = ctx->errs;
	char msg[1024], *n;
	size_t need;
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	need = strlen(ctx->name) + strlen(msg) + 16;
	if ((n = realloc(e->text, e->len + need)) == NULL) {
		e->count++;	/* the message is lost, not the failure */
		return;
	}
	e->text = n;
	e->len += (size_t)snprintf(e->text + e->len, need, "%s:%d: %s\n",
	    ctx->name, line, msg);
	e->count++;
}

int
key_line(struct load_ctx *ctx, const char *section, const char *key)
{
	return conf_scan_line(&ctx->scan, section != NULL ? section : "", key);
}

static char *
dup_str(const char *s)
{
	char *d = strdup(s != NULL ? s : "");

	if (d == NULL)
		build_oom = true;
	return d;
}

/* calloc(), or NULL with the load marked out of memory. */
static void *
zalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p == NULL)
		build_oom = true;
	return p;
}

void
conf_warn(struct conf *c, const char *fmt, ...)
{
	char msg[1024], **n;
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if ((n = reallocarray(c->warnings, c->nwarnings + 1, sizeof(*n))) ==
	    NULL) {
		build_oom = true;
		return;
	}
	c->warnings = n;
	if ((c->warnings[c->nwarnings] = dup_str(msg)) != NULL)
		c->nwarnings++;
}

/* A host or domain name, no trailing dot; lower-cased in place. */
bool
valid_domain_name(char *s)
{
	size_t len = strlen(s);

	return len > 0 && s[len - 1] != '.' && dnsname_normalise(s, s, len + 1);
}

/* class.subject.detail: 2, 4 or 5, then 1-3 and 1-3 digits (RFC 3463). */
static bool
valid_xcode(const char *s)
{
	size_t n;
	int part;

	if (s[0] != '4' && s[0] != '5' && s[0] != '2')
		return false;
	if (s[1] != '.')
		return false;
	s += 2;
	for (part = 0; part < 2; part++) {
		n = strspn(s, "0123456789");
		if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
			return false;
		s += n;
		if (part == 0 && *s++ != '.')
			return false;
	}
	return *s == '\0';
}

void
check_reply(struct load_ctx *ctx, cfg_t *cfg, const char *prefix,
    struct reply *r)
{
	char key[64];
	const char *code, *xcode, *text;
	size_t i, o, pct = 0;
	int line, code_line;
	bool code_ok;

	(void)snprintf(key, sizeof(key), "%s_code", prefix);
	code = cfg_getstr(cfg, key);
	code_line = key_line(ctx, NULL, key);
	code_ok = strlen(code) == 3 && (code[0] == '4' || code[0] == '5') &&
	    isdigit((unsigned char)code[1]) && isdigit((unsigned char)code[2]);
	if (!code_ok)
		load_error(ctx, code_line, "%s: \"%s\" is not a 4xx or 5xx reply "
		    "code", key, code);
	(void)snprintf(r->code, sizeof(r->code), "%.3s", code);

	(void)snprintf(key, sizeof(key), "%s_xcode", prefix);
	xcode = cfg_getstr(cfg, key);
	line = key_line(ctx, NULL, key);
	if (!valid_xcode(xcode))
		load_error(ctx, line, "%s: \"%s\" is not an enhanced status "
		    "code (class.subject.detail)", key, xcode);
	else if (code_ok && xcode[0] != code[0])
		/* A defaulted xcode has no line: point at the code. */
		load_error(ctx, line > 0 ? line : code_line, "%s: class %c does not match reply code "
		    "%s", key, xcode[0], code);
	(void)snprintf(r->xcode, sizeof(r->xcode), "%.15s", xcode);

	(void)snprintf(key, sizeof(key), "%s_message", prefix);
	text = cfg_getstr(cfg, key);
	line = key_line(ctx, NULL, key);
	for (i = 0; text[i] != '\0'; i++) {
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f) {
			load_error(ctx, line, "%s: control characters (CR, "
			    "LF, ...) are not allowed", key);
			break;
		}
		if ((unsigned char)text[i] >= 0x80) {
			load_error(ctx, line, "%s: only ASCII text is allowed "
			    "in an SMTP reply", key);
			break;
		}
	}
	/* Every '%', also past a bad byte: the copy below doubles them all. */
	for (i = 0; text[i] != '\0'; i++)
		pct += text[i] == '%';
	if (text[0] == '\0')
		load_error(ctx, line, "%s: must not be empty", key);
	/* "550 5.7.1 text": the whole line, with '%' doubled. */
	if (strlen(code) + 1 + strlen(xcode) + 1 + strlen(text) + pct >
	    REPLY_MAX)
		load_error(ctx, line, "%s: reply longer than %d characters",
		    key, REPLY_MAX);
	r->text = dup_str(text);
	if ((r->text_milter = malloc(strlen(text) + pct + 1)) == NULL) {
		build_oom = true;
		return;
	}
	for (i = 0, o = 0; text[i] != '\0'; i++) {
		r->text_milter[o++] = text[i];
		if (text[i] == '%')
			r->text_milter[o++] = '%';
	}
	r->text_milter[o] = '\0';
}

static bool
valid_socket(const char *s)
{
	const char *rest;
	char *end;
	long port;

	if (strncmp(s, "unix:", 5) == 0 || strncmp(s, "local:", 6) == 0) {
		rest = strchr(s, ':') + 1;
		return rest[0] == '/' && strlen(rest) < 108;
	}
	if (strncmp(s, "inet:", 5) == 0 || strncmp(s, "inet6:", 6) == 0) {
		rest = strchr(s, ':') + 1;
		/* strtol, not atoi: "inet:4294967297@..." is not port 1. */
		if (!isdigit((unsigned char)rest[0]))
			return false;
		port = strtol(rest, &end, 10);
		return port > 0 && port < 65536 && (*end == '\0' ||
		    *end == '@');
	}
	return false;
}

static void
check_mode(struct load_ctx *ctx, const char *section, const char *value,
    enum sts_mode *mode)
{
	if (sts_mode_parse(value, false, mode) != 0)
		load_error(ctx, key_line(ctx, section, "mode"), "mode: \"%s\" "
		    "must be enforce, testing or off", value);
}

static void
check_policy_file(struct load_ctx *ctx, const char *section, const char *path,
    struct sts_policy *pol)
{
	char err[256];
	int pline;

	if (path[0] != '/') {
		load_error(ctx, key_line(ctx, section, "policy_file"),
		    "policy_file: \"%s\" must be an absolute path", path);
		return;
	}
	if (policy_load(path, pol, err, sizeof(err), &pline) != 0)
		load_error(ctx, key_line(ctx, section, "policy_file"),
		    "policy_file: %s:%d: %s", path, pline, err);
}

static void
check_networks(struct load_ctx *ctx, cfg_t *cfg, struct conf *c)
{
	char err[256];
	unsigned int i;

	if ((c->exempt_networks = netlist_new()) == NULL) {
		build_oom = true;
		return;
	}
	for (i = 0; i < cfg_size(cfg, "exempt_networks"); i++)
		if (netlist_add(c->exempt_networks,
		    cfg_getnstr(cfg, "exempt_networks", i), err,
		    sizeof(err)) != 0)
			load_error(ctx, key_line(ctx, NULL, "exempt_networks"),
			    "exempt_networks: %s", err);
}

/* "postmaster", "tlsrpt@example.org" or "@reports.example.org". */
static void
check_recipients(struct load_ctx *ctx, cfg_t *cfg, struct conf *c)
{
	unsigned int i, n = cfg_size(cfg, "exempt_recipients");
	struct exempt_rcpt *r;
	char *s, *at;

	if (n == 0)
		return;
	if ((c->exempt_rcpts = zalloc(n, sizeof(*c->exempt_rcpts))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		if ((s = dup_str(cfg_getnstr(cfg, "exempt_recipients", i))) ==
		    NULL)
			return;
		r = &c->exempt_rcpts[c->nexempt_rcpts++];
		if ((at = strrchr(s, '@')) != NULL) {
			*at = '\0';
			r->domain = dup_str(at + 1);
		}
		r->local = s[0] != '\0' ? s : NULL;
		if (r->local == NULL)
			free(s);
		if ((r->domain != NULL && !valid_domain_name(r->domain)) ||
		    (r->local == NULL && r->domain == NULL) ||
		    (r->local != NULL && strpbrk(r->local, " \t<>\"") != NULL))
			load_error(ctx, key_line(ctx, NULL,
			    "exempt_recipients"), "exempt_recipients: \"%s\" "
			    "is not local, local@domain or @domain",
			    cfg_getnstr(cfg, "exempt_recipients", i));
	}
}

static void
check_hostname_policy(struct conf *c, const char *what,
    const struct sts_policy *pol, const char *file)
{
	char buf[256];
	const char *host = conf_hostname(c, NULL, buf, sizeof(buf));
	size_t i;

	for (i = 0; i < pol->nwarnings; i++)	/* lines the parser ignored */
		conf_warn(c, "%s: %s: %s", what, file, pol->warnings[i]);
	if (pol->mode == STS_MODE_OFF || policy_host_allowed(pol, host))
		return;
	conf_warn(c, "%s: this host (%s) matches no mx line of %s (mode %s): "
	    "senders that obey that policy cannot deliver here", what, host,
	    file, sts_mode_name(pol->mode));
}

static void
check_hostnames(struct conf *c)
{
	if (c->policy_file != NULL)
		check_hostname_policy(c, "policy_file", &c->policy,
		    c->policy_file);
	conf_domains_check_hostnames(c);
}

long
check_range(struct load_ctx *ctx, cfg_t *cfg, const char *key, long lo,
    long hi)
{
	long v = cfg_getint(cfg, key);

	if (v < lo || v > hi)
		load_error(ctx, key_line(ctx, NULL, key), "%s: %ld is not in "
		    "%ld..%ld", key, v, lo, hi);
	return v;
}

static char *
check_path(struct load_ctx *ctx, cfg_t *cfg, const char *key)
{
	const char *v = cfg_getstr(cfg, key);

	if (v[0] != '\0' && v[0] != '/')
		load_error(ctx, key_line(ctx, NULL, key), "%s: \"%s\" must be "
		    "an absolute path", key, v);
	return v[0] != '\0' ? dup_str(v) : NULL;
}

/* check_resolver: ADDR or ADDR#PORT; check_connect: HOST:PORT. */
void
check_address_port(struct load_ctx *ctx, cfg_t *cfg, const char *key,
    char sep)
{
	const char *v = cfg_getstr(cfg, key);
	struct hostport hp;

	if (v[0] == '\0')
		return;
	if (sep == '#' ? !hostport_parse(v, sep, 53, &hp) ||
	    !hostport_numeric(&hp) : !hostport_parse(v, sep, 0, &hp))
		load_error(ctx, key_line(ctx, NULL, key), "%s: \"%s\" must be "
		    "%s", key, v, sep == '#' ? "ADDR or ADDR#PORT" :
		    "HOST:PORT");
}

static void
check_daemon_keys(struct load_ctx *ctx, cfg_t *cfg, struct conf *c)
{
	const char *v;

	c->socket = dup_str(socket_override != NULL ? socket_override :
	    cfg_getstr(cfg, "socket"));
	if (c->socket != NULL && !valid_socket(c->socket))
		load_error(ctx, key_line(ctx, NULL, "socket"), "socket: \"%s\" "
		    "must be unix:/path, inet:PORT@HOST or inet6:PORT@HOST",
		    c->socket);
	v = cfg_getstr(cfg, "user");
	c->user = v[0] != '\0' ? dup_str(v) : NULL;
	if (c->user != NULL && getpwnam(c->user) == NULL)
		load_error(ctx, key_line(ctx, NULL, "user"), "user: no such "
		    "user \"%s\"", c->user);
	c->pidfile = check_path(ctx, cfg, "pidfile");
	c->stats_file = check_path(ctx, cfg, "stats_file");
	c->stats_interval = check_range(ctx, cfg, "stats_interval", 1, 86400);
	c->syslog_facility_name = dup_str(cfg_getstr(cfg, "syslog_facility"));
	if (c->syslog_facility_name != NULL && (c->syslog_facility =
	    log_facility_parse(c->syslog_facility_name)) == -1)
		load_error(ctx, key_line(ctx, NULL, "syslog_facility"),
		    "syslog_facility: unknown facility \"%s\"",
		    c->syslog_facility_name);
	v = cfg_getstr(cfg, "log_level");
	if ((c->log_level = log_level_parse(v)) == -1)
		load_error(ctx, key_line(ctx, NULL, "log_level"), "log_level: "
		    "\"%s\" must be error, warning, notice, info or debug", v);
	check_address_port(ctx, cfg, "check_resolver", '#');
	check_address_port(ctx, cfg, "check_connect", ':');
	c->check_resolver = dup_str(cfg_getstr(cfg, "check_resolver"));
	c->check_connect = dup_str(cfg_getstr(cfg, "check_connect"));
	c->check_ca_file = check_path(ctx, cfg, "check_ca_file");
	c->check_timeout = check_range(ctx, cfg, "check_timeout", 1, 3600);
	check_address_port(ctx, cfg, "check_smtp_connect", ':');
	c->check_smtp_connect = dup_str(cfg_getstr(cfg, "check_smtp_connect"));
	c->check_smtp_port = check_range(ctx, cfg, "check_smtp_port", 1, 65535);
	c->check_cert_warn_days = check_range(ctx, cfg, "check_cert_warn_days",
	    0, 365);
}

static void
check_tls_keys(struct load_ctx *ctx, cfg_t *cfg, struct conf *c)
{
	const char *v = cfg_getstr(cfg, "min_tls_version");

	c->min_tls_version = TLSV_NONE;
	if (v[0] != '\0') {
		c->min_tls_version = tls_level_parse(v);
		if (c->min_tls_version < TLSV_1_0 ||
		    c->min_tls_version > TLSV_1_3)
			load_error(ctx, key_line(ctx, NULL, "min_tls_version"),
			    "min_tls_version: \"%s\" must be \"\", TLSv1, "
			    "TLSv1.1, TLSv1.2 or TLSv1.3", v);
	}
	c->min_cipher_bits = check_range(ctx, cfg, "min_cipher_bits", 0,
	    65536);
}

struct conf *
conf_build(struct load_ctx *ctx, cfg_t *cfg)
{
	struct conf *c;
	const char *v;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		load_error(ctx, 0, "out of memory");
		return NULL;
	}
	build_oom = false;
	atomic_init(&c->refs, 1);
	c->path = dup_str(ctx->name);
	check_daemon_keys(ctx, cfg, c);
	check_mode(ctx, NULL, cfg_getstr(cfg, "mode"), &c->mode);
	c->mode_source = key_line(ctx, NULL, "mode") > 0 ? MODE_FROM_CONFIG :
	    MODE_FROM_DEFAULT;
	v = cfg_getstr(cfg, "policy_file");
	if (v[0] != '\0') {
		c->policy_file = dup_str(v);
		check_policy_file(ctx, NULL, v, &c->policy);
		c->mode = c->policy.mode;
		c->mode_source = MODE_FROM_POLICY;
	}
	v = cfg_getstr(cfg, "hostname");
	c->hostname = dup_str(v);
	if (v[0] != '\0' && c->hostname != NULL &&
	    !valid_domain_name(c->hostname))
		load_error(ctx, key_line(ctx, NULL, "hostname"), "hostname: "
		    "\"%s\" is not a host name", v);
	check_reply(ctx, cfg, "reject", &c->reject);
	check_tls_keys(ctx, cfg, c);
	check_networks(ctx, cfg, c);
	c->exempt_authenticated = cfg_getbool(cfg, "exempt_authenticated");
	check_recipients(ctx, cfg, c);
	c->requiretls = cfg_getbool(cfg, "requiretls");
	check_reply(ctx, cfg, "requiretls", &c->requiretls_reply);
	c->policy_watch = cfg_getbool(cfg, "policy_watch");
	conf_domains_build(ctx, cfg, c);
	check_downgrade_keys(ctx, cfg, c);
	check_selfcheck_keys(ctx, cfg, c);
	if (ctx->errs->count == 0 && !build_oom)
		check_hostnames(c);
	if (build_oom)
		load_error(ctx, 0, "out of memory");
	return c;
}

static void
free_reply(struct reply *r)
{
	free(r->text);
	free(r->text_milter);
}

void
conf_destroy(struct conf *c)
{
	size_t i;

	conf_domains_free(c);
	for (i = 0; i < c->nexempt_rcpts; i++) {
		free(c->exempt_rcpts[i].local);
		free(c->exempt_rcpts[i].domain);
	}
	free(c->exempt_rcpts);
	strv_free(c->warnings, c->nwarnings);
	netlist_free(c->exempt_networks);
	policy_free(&c->policy);
	free_reply(&c->reject);
	free_reply(&c->requiretls_reply);
	free(c->path);
	free(c->socket);
	free(c->policy_file);
	free(c->hostname);
	free(c->user);
	free(c->pidfile);
	free(c->syslog_facility_name);
	free(c->stats_file);
	free(c->check_resolver);
	free(c->check_ca_file);
	free(c->check_connect);
	free(c->history.db);
	free(c->history.key_prefix);
	free_reply(&c->downgrade_reply);
	free(c->self_check);
	free(c->self_check_name);
	free_reply(&c->outage_reply);
	free(c->check_smtp_connect);
	free(c);
}
