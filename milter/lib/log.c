/*
 * log.c - log levels, the log functions and the queue to the writer thread.
 *
 * Where lines go (syslog, stderr) is logsink.c's job.
 *
 * The level filter is applied here rather than with setlogmask() so that
 * the stderr copy honours it too.  The level is an atomic: a reload may
 * change it while milter threads log.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "lib/log.h"
#include "lib/logsink.h"

#define LOG_MSG_MAX	4096
#define LOG_QUEUE_LEN	256

#define LOG_COALESCE_NS	2000000	/* 2 ms: see log_writer() */

struct log_entry {
	int	level;
	size_t	len;
	char	msg[LOG_MSG_MAX];
};

static atomic_int	log_level = LOG_INFO;
static atomic_bool	q_async;
static pthread_mutex_t	q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	q_nonempty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t	q_changed = PTHREAD_COND_INITIALIZER;
static struct log_entry	q_entries[LOG_QUEUE_LEN];
static size_t		q_head, q_count;
static bool		q_writer_idle, q_stopping, q_writer_gone;
static pthread_t	q_writer;
/* Serialises the sink between the writer thread and other callers. */
static pthread_mutex_t	sink_lock = PTHREAD_MUTEX_INITIALIZER;

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
	/* syslog(3) stays open for libmilter's own messages. */
	openlog(ident, LOG_PID | LOG_NDELAY, facility);
	pthread_mutex_lock(&sink_lock);
	logsink_open(_PATH_LOG, ident, facility, to_stderr);
	pthread_mutex_unlock(&sink_lock);
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

bool
log_enabled(int level)
{
	return level <= atomic_load_explicit(&log_level, memory_order_relaxed);
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
log_emit(int level, const char *msg, size_t len)
{
	struct log_line line = { level, msg, len };

	pthread_mutex_lock(&sink_lock);
	logsink_write(&line, 1);
	pthread_mutex_unlock(&sink_lock);
}

/*
 * Once the daemon runs, lines go through a bounded queue to one writer
 * thread: milter threads must not queue behind each other's system calls
 * (glibc's syslog() took a process-wide lock around them).  The writer
 * takes whatever has queued up, up to LOGSINK_BATCH lines, and writes it
 * with one system call per sink.  A full queue makes the caller wait: no
 * line is ever dropped.
 *
 * Producers wake the writer only when it sleeps on an empty queue, and
 * the writer then lets LOG_COALESCE_NS pass before it takes the batch; it
 * goes back to sleep only after a whole window without a line, so that a
 * busy milter never has to wake it and an idle one is not woken by it.
 * Lines are at most that much late; log_flush() still waits for all of
 * them.
 */
static void *
log_writer(void *arg)
{
	static const struct timespec coalesce = { 0, LOG_COALESCE_NS };
	struct log_line batch[LOGSINK_BATCH];
	struct log_entry *e;
	size_t n, i;
	bool wrote = false;

	(void)arg;
	pthread_mutex_lock(&q_lock);
	for (;;) {
		if (q_count == 0) {
			/* Just after a batch, look once more before sleeping:
			 * under steady load producers never wake the writer. */
			if (!wrote) {
				q_writer_idle = true;
				while (q_count == 0 && !q_stopping)
					pthread_cond_wait(&q_nonempty, &q_lock);
				if (q_count == 0) {
					q_writer_gone = true;
					pthread_mutex_unlock(&q_lock);
					return NULL;
				}
			}
			wrote = false;
			pthread_mutex_unlock(&q_lock);
			(void)nanosleep(&coalesce, NULL);
			pthread_mutex_lock(&q_lock);
			if (q_count == 0)
				continue;
		}
		/* Slots [q_head, q_head + n) are ours until q_head moves. */
		n = q_count;
		if (n > LOG_QUEUE_LEN - q_head)
			n = LOG_QUEUE_LEN - q_head;
		if (n > LOGSINK_BATCH)
			n = LOGSINK_BATCH;
		for (i = 0; i < n; i++) {
			e = &q_entries[q_head + i];
			batch[i].level = e->level;
			batch[i].msg = e->msg;
			batch[i].len = e->len;
		}
		pthread_mutex_unlock(&q_lock);
		pthread_mutex_lock(&sink_lock);
		logsink_write(batch, n);
		pthread_mutex_unlock(&sink_lock);
		pthread_mutex_lock(&q_lock);
		wrote = true;
		q_head = (q_head + n) % LOG_QUEUE_LEN;
		q_count -= n;
		pthread_cond_broadcast(&q_changed);
	}
	return NULL;
}

int
log_start_writer(void)
{
	if (pthread_create(&q_writer, NULL, log_writer, NULL) != 0)
		return -1;
	atomic_store(&q_async, true);
	return 0;
}

/*
 * Lets the writer drain the queue and end; later lines are written by
 * their caller.  A line queued before the writer ended is still written by
 * it, so none is lost and each thread's lines stay in order.
 */
void
log_stop_writer(void)
{
	if (!atomic_load(&q_async))
		return;
	pthread_mutex_lock(&q_lock);
	q_stopping = true;
	pthread_cond_signal(&q_nonempty);
	pthread_mutex_unlock(&q_lock);
	(void)pthread_join(q_writer, NULL);
	atomic_store(&q_async, false);
}

void
log_flush(void)
{
	if (!atomic_load(&q_async))
		return;
	pthread_mutex_lock(&q_lock);
	while (q_count > 0 && !q_writer_gone)
		pthread_cond_wait(&q_changed, &q_lock);
	pthread_mutex_unlock(&q_lock);
}

static void
log_enqueue(int level, const char *msg, size_t len)
{
	struct log_entry *e;

	pthread_mutex_lock(&q_lock);
	while (q_count == LOG_QUEUE_LEN && !q_writer_gone)
		pthread_cond_wait(&q_changed, &q_lock);
	if (q_writer_gone) {
		pthread_mutex_unlock(&q_lock);
		log_emit(level, msg, len);
		return;
	}
	e = &q_entries[(q_head + q_count) % LOG_QUEUE_LEN];
	e->level = level;
	memcpy(e->msg, msg, len);
	e->msg[len] = '\0';
	e->len = len;
	q_count++;
	if (q_writer_idle) {
		q_writer_idle = false;
		pthread_cond_signal(&q_nonempty);
	}
	pthread_mutex_unlock(&q_lock);
}

static void log_vwrite(int, const char *, va_list)
    __attribute__((format(printf, 2, 0)));
static void log_write_line(int, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* A line cut to LOG_MSG_MAX - 1 bytes, as vsnprintf() would cut it. */
static void
log_put(int level, const char *msg, size_t len)
{
	if (len > LOG_MSG_MAX - 1)
		len = LOG_MSG_MAX - 1;
	if (atomic_load(&q_async))
		log_enqueue(level, msg, len);
	else
		log_emit(level, msg, len);
}

void
log_line(int level, const char *msg, size_t len)
{
	if (!log_enabled(level))
		return;
	log_put(level, msg, len);
}

static void
log_vwrite(int level, const char *fmt, va_list ap)
{
	char msg[LOG_MSG_MAX];
	size_t len;
	int n;

	if (!log_enabled(level))
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	len = (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1;
	log_put(level, msg, len);
}

/* Appends ": strerror(errno)" to the message, as OpenSMTPD's log_warn(). */
static void log_vwrite_errno(int, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

static void
log_vwrite_errno(int level, const char *fmt, va_list ap)
{
	char msg[LOG_MSG_MAX];
	int saved = errno;

	if (!log_enabled(level))
		return;
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		return;
	log_write_line(level, "%s: %s", msg, strerror(saved));
}

static void
log_write_line(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(level, fmt, ap);
	va_end(ap);
}

/* Never returns: what is queued is written first. */
static void	log_exit(void) __attribute__((noreturn));

static void
log_exit(void)
{
	log_flush();
	exit(1);
}

/* One public function: format at level with how, then do "then". */
#define LOG_FUNCTION(name, level, how, then)			\
void								\
name(const char *fmt, ...)					\
{								\
	va_list ap;						\
								\
	va_start(ap, fmt);					\
	how(level, fmt, ap);					\
	va_end(ap);						\
	then;							\
}

LOG_FUNCTION(log_critx, LOG_CRIT, log_vwrite, (void)0)
LOG_FUNCTION(log_error, LOG_ERR, log_vwrite_errno, (void)0)
LOG_FUNCTION(log_errorx, LOG_ERR, log_vwrite, (void)0)
LOG_FUNCTION(log_warn, LOG_WARNING, log_vwrite_errno, (void)0)
LOG_FUNCTION(log_warnx, LOG_WARNING, log_vwrite, (void)0)
LOG_FUNCTION(log_notice, LOG_NOTICE, log_vwrite, (void)0)
LOG_FUNCTION(log_info, LOG_INFO, log_vwrite, (void)0)
LOG_FUNCTION(log_debug, LOG_DEBUG, log_vwrite, (void)0)
LOG_FUNCTION(fatal, LOG_ERR, log_vwrite_errno, log_exit())
LOG_FUNCTION(fatalx, LOG_ERR, log_vwrite, log_exit())
