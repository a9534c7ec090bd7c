/*
 * conf.c - configuration loading, validation and the snapshot in force.
 *
 * Layer milter/core: the rules - configuration, the RFC 8461 parsers and
 * the decision engine.  Pure where it can be (no libmilter, no network);
 * uses only milter/lib.
 *
 * A load reads the text (bounded), lets libconfuse parse it (syntax,
 * unknown keys, types), then builds a struct conf and validates every value
 * with the line it came from (conf_scan).  Any error fails the whole load:
 * a half-valid configuration is never used.  The snapshot in force is a
 * pointer guarded by a mutex that is held only to swap or to take a
 * reference, never across milter I/O.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <confuse.h>

#include "core/conf.h"
#include "core/conf_blocks.h"
#include "core/conf_scan.h"
#include "core/conf_values.h"
#include "lib/fileread.h"
#include "lib/netlist.h"

/* 100,000 domain blocks take about 4 MiB; README documents the cap. */
#define CONF_MAX_BYTES	(64 * 1024 * 1024)

static pthread_mutex_t	 current_lock = PTHREAD_MUTEX_INITIALIZER;
static struct conf	*current;

static cfg_opt_t domain_opts[] = {
	CFG_STR("mode", NULL, CFGF_NODEFAULT),
	CFG_STR("policy_file", NULL, CFGF_NODEFAULT),
	CFG_END()
};

/* One SMTP reply: PREFIX_code, PREFIX_xcode, PREFIX_message (check_reply). */
#define REPLY_OPTS(prefix, code, xcode, message)			\
	CFG_STR(prefix "_code", code, CFGF_NONE),			\
	CFG_STR(prefix "_xcode", xcode, CFGF_NONE),			\
	CFG_STR(prefix "_message", message, CFGF_NONE)

static cfg_opt_t conf_opts[] = {
	CFG_STR("socket", "unix:/run/mtasts-milter/mtasts-milter.sock",
	    CFGF_NONE),
	CFG_STR("mode", "testing", CFGF_NONE),
	CFG_STR("policy_file", "", CFGF_NONE),
	CFG_STR("policy_dir", "", CFGF_NONE),
	CFG_BOOL("policy_watch", cfg_false, CFGF_NONE),
	CFG_STR("hostname", "", CFGF_NONE),
	REPLY_OPTS("reject", "550", "5.7.1",
	    "STARTTLS is required to deliver mail to this server (MTA-STS)"),
	CFG_STR("min_tls_version", "", CFGF_NONE),
	CFG_INT("min_cipher_bits", 0, CFGF_NONE),
	CFG_STR_LIST("exempt_networks", "{\"127.0.0.0/8\", \"::1/128\"}",
	    CFGF_NONE),
	CFG_BOOL("exempt_authenticated", cfg_true, CFGF_NONE),
	CFG_STR_LIST("exempt_recipients", "{}", CFGF_NONE),
	CFG_BOOL("requiretls", cfg_true, CFGF_NONE),
	REPLY_OPTS("requiretls", "523", "5.7.10",
	    "REQUIRETLS is only allowed over TLS"),
	CFG_STR("user", "", CFGF_NONE),
	CFG_STR("pidfile", "", CFGF_NONE),
	CFG_STR("syslog_facility", "mail", CFGF_NONE),
	CFG_STR("log_level", "info", CFGF_NONE),
	CFG_STR("stats_file", "", CFGF_NONE),
	CFG_INT("stats_interval", 60, CFGF_NONE),
	CFG_STR("check_resolver", "", CFGF_NONE),
	CFG_STR("check_ca_file", "", CFGF_NONE),
	CFG_STR("check_connect", "", CFGF_NONE),
	CFG_INT("check_timeout", 60, CFGF_NONE),
	CFG_STR("self_check", "", CFGF_NONE),
	CFG_INT("self_check_interval", 60, CFGF_NONE),
	CFG_INT("self_check_timeout", 10, CFGF_NONE),
	CFG_STR("self_check_name", "", CFGF_NONE),
	CFG_STR("outage_code", "451", CFGF_NONE),
	CFG_STR("outage_xcode", "4.7.0", CFGF_NONE),
	CFG_STR("outage_message",
	    "TLS is temporarily unavailable on this server, try again later",
	    CFGF_NONE),
	CFG_STR("downgrade", "off", CFGF_NONE),
	CFG_STR("downgrade_code", "451", CFGF_NONE),
	CFG_STR("downgrade_xcode", "4.7.0", CFGF_NONE),
	CFG_STR("downgrade_message",
	    "this sender has always used TLS; try again over TLS", CFGF_NONE),
	CFG_STR("history_db", "lmdb:/var/lib/mtasts-milter/history",
	    CFGF_NONE),
	CFG_INT("history_redis_timeout", 50, CFGF_NONE),
	CFG_STR("history_key_prefix", "mtasts-milter:history:", CFGF_NONE),
	CFG_INT("history_prefix_v4", 24, CFGF_NONE),
	CFG_INT("history_prefix_v6", 56, CFGF_NONE),
	CFG_INT("history_min_tls", 3, CFGF_NONE),
	CFG_INT("history_window", 30, CFGF_NONE),
	CFG_INT("history_expire", 90, CFGF_NONE),
	CFG_INT("history_max_mb", 256, CFGF_NONE),
	CFG_STR("check_smtp_connect", "", CFGF_NONE),
	CFG_INT("check_smtp_port", 25, CFGF_NONE),
	CFG_INT("check_cert_warn_days", 14, CFGF_NONE),
	CFG_SEC("domain", domain_opts, CFGF_MULTI | CFGF_TITLE),
	CFG_END()
};

/* libconfuse keeps no user pointer: the load in progress, under a lock. */
static pthread_mutex_t	 load_lock = PTHREAD_MUTEX_INITIALIZER;
static struct load_ctx	*loading;

static void confuse_error(cfg_t *, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

static void
confuse_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	char msg[512];

	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	load_error(loading, cfg != NULL ? cfg->line : 0, "%s", msg);
}

void
conf_errors_free(struct conf_errors *errs)
{
	free(errs->text);
	memset(errs, 0, sizeof(*errs));
}

static char *
read_text(const char *path, struct load_ctx *ctx)
{
	char err[256], *text;
	size_t len;

	if ((text = fileread(path, CONF_MAX_BYTES, &len, err, sizeof(err))) ==
	    NULL)
		load_error(ctx, 0, "%s", err);
	return text;
}

static cfg_t *
parse_text(struct load_ctx *ctx, char *text)
{
	const struct conf_scan_entry *e;
	cfg_t *cfg;
	size_t a, b;
	int dup;

	/* Domain blocks first: libconfuse then sees only the top level. */
	if (conf_blocks_extract(text, &ctx->blocks, ctx) != 0)
		return NULL;
	if (conf_scan(text, &ctx->scan) != 0 ||
	    (dup = conf_scan_duplicate(&ctx->scan, &a, &b)) == -1) {
		load_error(ctx, 0, "out of memory");
		return NULL;
	}
	if (dup == 0) {
		e = &ctx->scan.entries[b];
		if (strcmp(e->key, CONF_SCAN_SECTION) == 0)
			load_error(ctx, e->line, "domain \"%s\" is defined "
			    "twice (first on line %d)", e->section,
			    ctx->scan.entries[a].line);
		else
			load_error(ctx, e->line, "\"%s\" is set twice (first "
			    "on line %d)", e->key, ctx->scan.entries[a].line);
	}
	/* libconfuse accepts a block left open at the end of the file. */
	if (ctx->scan.unclosed_line > 0)
		load_error(ctx, ctx->scan.unclosed_line, "block opened here "
		    "has no closing \"}\"");
	if ((cfg = cfg_init(conf_opts, CFGF_NONE)) == NULL) {
		load_error(ctx, 0, "out of memory");
		return NULL;
	}
	(void)cfg_set_error_function(cfg, confuse_error);
	pthread_mutex_lock(&load_lock);
	loading = ctx;
	if (cfg_parse_buf(cfg, text) != CFG_SUCCESS) {
		if (ctx->errs->count == 0)
			load_error(ctx, 0, "cannot parse");
		cfg_free(cfg);
		cfg = NULL;
	}
	loading = NULL;
	pthread_mutex_unlock(&load_lock);
	return cfg;
}

static struct conf *
load_text(const char *text, const char *name, struct conf_errors *errs)
{
	struct load_ctx ctx;
	struct conf *conf = NULL;
	char *copy;
	cfg_t *cfg;

	memset(&ctx, 0, sizeof(ctx));
	ctx.name = name;
	ctx.errs = errs;
	if ((copy = strdup(text)) == NULL) {
		load_error(&ctx, 0, "out of memory");
		return NULL;
	}
	if ((cfg = parse_text(&ctx, copy)) != NULL) {
		conf = conf_build(&ctx, cfg);
		cfg_free(cfg);
	}
	free(copy);
	conf_scan_free(&ctx.scan);
	conf_blocks_free(&ctx.blocks);
	if (conf != NULL && errs->count > 0) {
		conf_unref(conf);
		conf = NULL;
	}
	return conf;
}

struct conf *
conf_load(const char *path, struct conf_errors *errs)
{
	struct load_ctx ctx;
	struct conf *conf;
	char *text;

	memset(errs, 0, sizeof(*errs));
	memset(&ctx, 0, sizeof(ctx));
	ctx.name = path;
	ctx.errs = errs;
	if ((text = read_text(path, &ctx)) == NULL)
		return NULL;
	conf = load_text(text, path, errs);
	free(text);
	return conf;
}

struct conf *
conf_load_buffer(const char *buf, const char *name, struct conf_errors *errs)
{
	memset(errs, 0, sizeof(*errs));
	return load_text(buf, name, errs);
}

struct conf *
conf_ref(struct conf *conf)
{
	atomic_fetch_add(&conf->refs, 1);
	return conf;
}

void
conf_unref(struct conf *conf)
{
	if (conf == NULL || atomic_fetch_sub(&conf->refs, 1) != 1)
		return;
	conf_destroy(conf);
}

struct conf *
conf_current(void)
{
	struct conf *conf;

	pthread_mutex_lock(&current_lock);
	conf = current != NULL ? conf_ref(current) : NULL;
	pthread_mutex_unlock(&current_lock);
	return conf;
}

void
conf_install(struct conf *conf)
{
	struct conf *old;

	pthread_mutex_lock(&current_lock);
	old = current;
	current = conf;
	pthread_mutex_unlock(&current_lock);
	conf_unref(old);
}

const char *
conf_hostname(const struct conf *c, const char *mta_j, char *buf,
    size_t buflen)
{
	if (c->hostname != NULL && c->hostname[0] != '\0')
		return c->hostname;
	if (mta_j != NULL && mta_j[0] != '\0')
		return mta_j;
	if (gethostname(buf, buflen) != 0 || buflen == 0)
		return "localhost";
	buf[buflen - 1] = '\0';
	return buf;
}
