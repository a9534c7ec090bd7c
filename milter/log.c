/*
 * log.c - logging to syslog, and to stderr when running in the foreground.
 *
 * The level filter is applied here rather than with setlogmask() so that
 * the stderr copy honours it too.  The level is an atomic: a reload may
 * change it while milter threads log.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

#define LOG_MSG_MAX	4096
#define LOG_QUEUE_LEN	256

struct log_entry {
	int	level;
	char	msg[LOG_MSG_MAX];
};

static atomic_int	log_level = LOG_INFO;
static bool		log_to_stderr;
static atomic_bool	q_async;
static pthread_mutex_t	q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	q_nonempty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t	q_changed = PTHREAD_COND_INITIALIZER;
static struct log_entry	q_entries[LOG_QUEUE_LEN];
static size_t		q_head, q_count;

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

static void
log_emit(int level, const char *msg)
{
	syslog(level, "%s", msg);
	if (log_to_stderr) {
		/* One fprintf per line, so threads do not interleave. */
		(void)fprintf(stderr, "mtasts-milter: %s\n", msg);
	}
}

/*
 * Once the daemon runs, lines go through a bounded queue to one writer
 * thread: glibc's syslog() takes a process-wide lock around its system
 * calls, and milter threads queueing behind it cost more than the work
 * they log.  A full queue makes the caller wait: no line is ever dropped.
 */
static void *
log_writer(void *arg)
{
	struct log_entry *e;
	int level;
	char msg[LOG_MSG_MAX];

	(void)arg;
	pthread_mutex_lock(&q_lock);
	for (;;) {
		while (q_count == 0)
			pthread_cond_wait(&q_nonempty, &q_lock);
		e = &q_entries[q_head];
		level = e->level;
		memcpy(msg, e->msg, sizeof(msg));
		pthread_mutex_unlock(&q_lock);
		log_emit(level, msg);
		pthread_mutex_lock(&q_lock);
		q_head = (q_head + 1) % LOG_QUEUE_LEN;
		q_count--;
		pthread_cond_broadcast(&q_changed);
	}
	return NULL;
}

int
log_start_writer(void)
{
	pthread_t tid;

	if (pthread_create(&tid, NULL, log_writer, NULL) != 0)
		return -1;
	(void)pthread_detach(tid);
	atomic_store(&q_async, true);
	return 0;
}

void
log_flush(void)
{
	if (!atomic_load(&q_async))
		return;
	pthread_mutex_lock(&q_lock);
	while (q_count > 0)
		pthread_cond_wait(&q_changed, &q_lock);
	pthread_mutex_unlock(&q_lock);
}

static void
log_enqueue(int level, const char *msg)
{
	struct log_entry *e;

	pthread_mutex_lock(&q_lock);
	while (q_count == LOG_QUEUE_LEN)
		pthread_cond_wait(&q_changed, &q_lock);
	e = &q_entries[(q_head + q_count) % LOG_QUEUE_LEN];
	e->level = level;
	(void)snprintf(e->msg, sizeof(e->msg), "%s", msg);
	q_count++;
	pthread_cond_signal(&q_nonempty);
	pthread_mutex_unlock(&q_lock);
}

static void log_vwrite(int, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

static void
log_vwrite(int level, const char *fmt, va_list ap)
{
	char msg[LOG_MSG_MAX];

	if (level > atomic_load(&log_level))
		return;
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	if (atomic_load(&q_async))
		log_enqueue(level, msg);
	else
		log_emit(level, msg);
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
	log_flush();
	exit(1);
}
