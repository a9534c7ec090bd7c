/*
 * conf_downgrade.c - the downgrade and history_* keys of the
 * configuration: validated here so that a history_db the daemon could
 * never open is a load error with its line, not a surprise at run time.
 *
 * The keys only describe the store; opening it is the daemon's job
 * (daemon/downgrade.c), because a store that fails at run time must never
 * stop mail.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/conf_values.h"
#include "lib/hostport.h"

static const char *const downgrade_names[] = {
	"off", "log", "tempfail", "reject"
};

const char *
downgrade_mode_name(enum downgrade_mode m)
{
	return (unsigned int)m < sizeof(downgrade_names) /
	    sizeof(downgrade_names[0]) ? downgrade_names[m] : "unknown";
}

static char *
copy_of(struct load_ctx *ctx, const char *key, const char *v)
{
	char *s = strdup(v);

	if (s == NULL)
		load_error(ctx, key_line(ctx, NULL, key), "%s: out of memory", key);
	return s;
}

/* "lmdb:/abs/path", "redis:HOST:PORT", "redis:[V6]:PORT", "redis:unix:/p" */
static bool
valid_history_db(const char *v)
{
	struct hostport hp;

	if (strncmp(v, "lmdb:", 5) == 0)
		return v[5] == '/' && v[strlen(v) - 1] != '/';
	if (strncmp(v, "redis:", 6) != 0)
		return false;
	if (strncmp(v + 6, "unix:", 5) == 0)
		return v[11] == '/';
	/* An IPv6 address needs its brackets: "a:b:6379" is ambiguous. */
	return hostport_parse(v + 6, ':', 0, &hp) &&
	    (v[6] == '[' || strchr(hp.host, ':') == NULL);
}

void
check_downgrade_keys(struct load_ctx *ctx, cfg_t *cfg, struct conf *c)
{
	const char *v = cfg_getstr(cfg, "downgrade");
	size_t i;

	c->downgrade = DOWNGRADE_OFF;
	for (i = 0; i < sizeof(downgrade_names) / sizeof(downgrade_names[0]);
	    i++)
		if (strcasecmp(v, downgrade_names[i]) == 0)
			break;
	if (i == sizeof(downgrade_names) / sizeof(downgrade_names[0]))
		load_error(ctx, key_line(ctx, NULL, "downgrade"), "downgrade: \"%s\" "
		    "must be off, log, tempfail or reject", v);
	else
		c->downgrade = (enum downgrade_mode)i;
	check_reply(ctx, cfg, "downgrade", &c->downgrade_reply);
	v = cfg_getstr(cfg, "history_db");
	if (!valid_history_db(v))
		load_error(ctx, key_line(ctx, NULL, "history_db"), "history_db: \"%s\" "
		    "must be lmdb:/PATH, redis:HOST:PORT or redis:unix:/PATH",
		    v);
	c->history.db = copy_of(ctx, "history_db", v);
	v = cfg_getstr(cfg, "history_key_prefix");
	if (strpbrk(v, " \t\r\n*?[]") != NULL || strlen(v) > 100)
		load_error(ctx, key_line(ctx, NULL, "history_key_prefix"),
		    "history_key_prefix: \"%s\" must be at most 100 "
		    "characters without blanks or * ? [ ]", v);
	c->history.key_prefix = copy_of(ctx, "history_key_prefix", v);
	c->history.redis_timeout_ms = check_range(ctx, cfg,
	    "history_redis_timeout", 1, 10000);
	c->history.prefix_v4 = (int)check_range(ctx, cfg, "history_prefix_v4",
	    8, 32);
	c->history.prefix_v6 = (int)check_range(ctx, cfg, "history_prefix_v6",
	    16, 128);
	c->history.min_tls = check_range(ctx, cfg, "history_min_tls", 1,
	    1000000);
	c->history.window = check_range(ctx, cfg, "history_window", 1, 3650) *
	    86400;
	c->history.expire = check_range(ctx, cfg, "history_expire", 1, 3650) *
	    86400;
	c->history.max_mb = check_range(ctx, cfg, "history_max_mb", 1, 65536);
	if (c->history.expire < c->history.window)
		load_error(ctx, key_line(ctx, NULL, "history_expire"),
		    "history_expire (%ld days) must not be shorter than "
		    "history_window (%ld days)", c->history.expire / 86400,
		    c->history.window / 86400);
}
