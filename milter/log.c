/*
 * log.c - logging to syslog, and to stderr when running in the foreground.
 *
 * The level filter is applied here rather than with setlogmask() so that
 * the stderr copy honours it too.  The level is an atomic: a reload may
 * change it while milter threads log.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static atomic_int	log_level = LOG_INFO;
static bool		log_to_stderr;

static const struct {
	const char	*name;
	int		 level;
} level_names[] = {
	{ "error", LOG_ERR },
	{ "warning", LOG_WARNING },
	{ "notice", LOG_NOTICE },
	{ "info", LOG_INFO },
	{ "debug", LOG_DEBUG },
};

static const struct {
	const char	*name;
	int		 facility;
} facility_names[] = {
	{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

void
log_open(const char *ident, int facility, bool to_stderr)
{
	log_to_stderr = to_stderr;
	openlog(ident, LOG_PID | LOG_NDELAY, facility);
}

void
log_set_level(int level)
{
	atomic_store(&log_level, level);
}

int
log_get_level(void)
{
	return atomic_load(&log_level);
}

int
log_level_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcasecmp(name, level_names[i].name) == 0)
			return level_names[i].level;
	return -1;
}

const char *
log_level_name(int level)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (level_names[i].level == level)
			return level_names[i].name;
	return "unknown";
}

int
log_facility_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(facility_names) / sizeof(facility_names[0]);
	    i++)
		if (strcasecmp(name, facility_names[i].name) == 0)
			return facility_names[i].facility;
	return -1;
}

static void log_vwrite(int, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

static void
log_vwrite(int level, const char *fmt, va_list ap)
{
	char msg[4096];

	if (level > atomic_load(&log_level))
		return;
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	syslog(level, "%s", msg);
	if (log_to_stderr) {
		/* One fprintf per line, so threads do not interleave. */
		(void)fprintf(stderr, "mtasts-milter: %s\n", msg);
	}
}

#define LOG_FUNCTION(name, level)				\
void								\
name(const char *fmt, ...)					\
{								\
	va_list ap;						\
								\
	va_start(ap, fmt);					\
	log_vwrite(level, fmt, ap);				\
	va_end(ap);						\
}

LOG_FUNCTION(log_error, LOG_ERR)
LOG_FUNCTION(log_warn, LOG_WARNING)
LOG_FUNCTION(log_notice, LOG_NOTICE)
LOG_FUNCTION(log_info, LOG_INFO)
LOG_FUNCTION(log_debug, LOG_DEBUG)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}
