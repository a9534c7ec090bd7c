/*
 * signals.c - the daemon's signal thread: reload, statistics, stop.
 *
 * libmilter starts its own signal thread in smfi_main() and sigwait()s for
 * SIGHUP, SIGTERM and SIGINT; on SIGHUP it stops the milter, and when two
 * threads wait for one signal the kernel picks either.  So that a reload
 * signal can never stop the daemon, this file interposes sigwait(): the
 * only caller in the process is libmilter's signal thread (ours uses
 * sigtimedwait()), and it is left waiting for none of our signals.  That
 * leaves this thread the single, deterministic owner of every signal.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "daemon/callbacks.h"
#include "core/conf.h"
#include "daemon/daemon.h"
#include "lib/clock.h"
#include "daemon/downgrade.h"
#include "daemon/selfcheck.h"
#include "daemon/policy_watch.h"
#include "lib/log.h"
#include "daemon/signals.h"
#include "daemon/stats.h"

#define STOP_GRACE_MS	1500

static const int	 handled[] = { SIGHUP, SIGUSR1, SIGTERM, SIGINT };
static const char	*config_path;
static bool		 fixed_level;
static pthread_mutex_t	 stop_lock = PTHREAD_MUTEX_INITIALIZER;
static bool		 milter_stopped;

static void
handled_set(sigset_t *set)
{
	size_t i;

	sigemptyset(set);
	for (i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaddset(set, handled[i]);
}

/* See the top of the file: libmilter's signal thread lands here. */
int
sigwait(const sigset_t *set, int *sig)
{
	sigset_t rest;
	size_t i;
	int s;

	rest = *set;
	for (i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigdelset(&rest, handled[i]);
	if (sigisemptyset(&rest))
		for (;;)
			(void)pause();
	while ((s = sigwaitinfo(&rest, NULL)) == -1 && errno == EINTR)
		continue;
	if (s == -1)
		return errno;
	*sig = s;
	return 0;
}

void
signals_block(void)
{
	sigset_t set;

	handled_set(&set);
	sigaddset(&set, SIGPIPE);
	(void)pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void
write_stats(void)
{
	struct conf *c = conf_current();

	if (c != NULL && c->stats_file != NULL &&
	    stats_write_file(c->stats_file) != 0)
		log_errorx("cannot write statistics file %s: %s",
		    c->stats_file, strerror(errno));
	conf_unref(c);
}

/* SIGHUP and policy_watch: one reload at a time. */
static pthread_mutex_t	 reload_lock = PTHREAD_MUTEX_INITIALIZER;

static void
reload_locked(void)
{
	struct conf_errors errs;
	struct conf *c, *old;
	char *line, *save = NULL;
	size_t i;

	if ((c = conf_load(config_path, &errs)) == NULL) {
		stats_count_reload(false);
		if (errs.text == NULL)	/* no memory left for the message */
			log_errorx("reload: %s: out of memory", config_path);
		for (line = errs.text != NULL ? strtok_r(errs.text, "\n",
		    &save) : NULL; line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			log_errorx("reload: %s", line);
		log_errorx("reload failed: keeping the configuration in force");
		conf_errors_free(&errs);
		return;
	}
	conf_errors_free(&errs);
	old = conf_current();
	if (old != NULL && strcmp(old->socket, c->socket) != 0)
		log_warnx("reload: socket changes need a restart (still %s)",
		    old->socket);
	conf_unref(old);
	for (i = 0; i < c->nwarnings; i++)
		log_warnx("%s", c->warnings[i]);
	if (!fixed_level)
		log_set_level(c->log_level);
	log_notice("configuration reloaded from %s: global mode %s, "
	    "%zu domain(s), %zu of them from policy_dir", config_path,
	    sts_mode_name(c->mode), c->ndomains, c->domains_from_dir);
	downgrade_reload(c);
	conf_install(c);
	selfcheck_reload();
	stats_count_reload(true);
}

static void
reload(void)
{
	pthread_mutex_lock(&reload_lock);
	reload_locked();
	pthread_mutex_unlock(&reload_lock);
}

void
signals_milter_stopped(void)
{
	pthread_mutex_lock(&stop_lock);
	milter_stopped = true;
	pthread_mutex_unlock(&stop_lock);
}

static void *
stopper_thread(void *arg)
{
	(void)arg;
	(void)smfi_stop();
	return NULL;
}

/*
 * smfi_stop() waits for a lock that libmilter's listener holds across its
 * poll() (up to 10 s), so it runs on a thread of its own while this one
 * keeps the deadline: the process leaves as soon as no connection is open
 * (transactions under way get STOP_GRACE_MS to finish), socket and pidfile
 * removed, whatever libmilter does.
 */
static void
stop(int sig)
{
	long long end;
	pthread_t tid;

	log_notice("received %s: stopping", sig == SIGTERM ? "SIGTERM" :
	    "SIGINT");
	if (pthread_create(&tid, NULL, stopper_thread, NULL) == 0)
		(void)pthread_detach(tid);
	end = clock_now_ms() + STOP_GRACE_MS;
	for (;;) {
		pthread_mutex_lock(&stop_lock);
		if (milter_stopped) {
			pthread_mutex_unlock(&stop_lock);
			return;		/* main() cleans up and exits */
		}
		pthread_mutex_unlock(&stop_lock);
		if (callbacks_active_sessions() == 0 || clock_now_ms() >= end)
			break;
		(void)nanosleep(&(struct timespec){ 0, 10 * 1000000L }, NULL);
	}
	daemon_cleanup();
	exit(0);	/* not _exit: LeakSanitizer checks at exit */
}

static long
stats_interval(void)
{
	struct conf *c = conf_current();
	long n = c != NULL && c->stats_file != NULL ? c->stats_interval : 3600;

	conf_unref(c);
	return n;
}

static void *
signal_thread(void *arg)
{
	struct timespec timeout;
	time_t next = time(NULL) + stats_interval();
	sigset_t set;
	int sig;

	(void)arg;
	handled_set(&set);
	for (;;) {
		timeout.tv_sec = next > time(NULL) ? next - time(NULL) : 0;
		timeout.tv_nsec = 0;
		sig = sigtimedwait(&set, NULL, &timeout);
		if (sig == SIGHUP)
			reload();
		else if (sig == SIGUSR1)
			write_stats();
		else if (sig == SIGTERM || sig == SIGINT) {
			stop(sig);
			return NULL;
		}
		if (time(NULL) >= next) {
			write_stats();
			next = time(NULL) + stats_interval();
		}
	}
}

int
signals_start(const char *path, bool fixed_log_level)
{
	pthread_t tid;

	config_path = path;
	fixed_level = fixed_log_level;
	if (pthread_create(&tid, NULL, signal_thread, NULL) != 0)
		return -1;
	(void)pthread_detach(tid);
	return policy_watch_start(reload);
}
