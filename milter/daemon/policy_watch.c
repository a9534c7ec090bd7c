/*
 * policy_watch.c - the inotify thread behind policy_watch = true.
 *
 * The thread owns one inotify descriptor while policy_watch is on.  It
 * wakes at least once a second to notice a new snapshot (SIGHUP, or its
 * own reload) and adds the directories of the new snapshot to the set
 * (adding a watched directory again is a no-op for the kernel; a removed
 * directory drops its own watch), so a reload of 100,000 domains does
 * not tear 100,000 watches down and up again.  Events
 * are only a trigger: their names are never used, so a hostile name in a
 * watched directory cannot reach a log line or a path.  Debounce: after
 * the first event, events are drained until POLICY_WATCH_QUIET_MS pass
 * without one, so an editor's write-rename-chmod sequence, or a provider's
 * rsync of many domains, is one reload.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "core/conf.h"
#include "daemon/policy_watch.h"
#include "lib/log.h"

#define WATCH_MASK	(IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | \
			    IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | \
			    IN_MOVE_SELF)

static void	(*reload_fn)(void);

struct watch_set {
	int	fd;		/* -1: nothing watched */
	size_t	watched;
	size_t	wanted;
	bool	full;		/* the kernel's limit was reached */
};

static void
watch_dir(struct watch_set *w, const char *dir)
{
	w->wanted++;
	if (w->full)
		return;
	if (inotify_add_watch(w->fd, dir, WATCH_MASK | IN_ONLYDIR) != -1)
		w->watched++;
	else if (errno == ENOSPC)
		w->full = true;
}

/* The directory part of path: a rename into it is a change too. */
static void
watch_parent(struct watch_set *w, const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (slash == NULL || (size_t)(slash - path) >= sizeof(dir))
		return;
	(void)snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 :
	    (int)(slash - path), path);
	watch_dir(w, dir);
}

static void
build(struct watch_set *w, const struct conf *c)
{
	size_t i;

	w->watched = w->wanted = 0;
	w->full = false;
	if (w->fd == -1 && (w->fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) ==
	    -1) {
		log_error("policy_watch: inotify_init1");
		return;
	}
	if (c->policy_file != NULL)
		watch_parent(w, c->policy_file);
	if (c->policy_dir != NULL)
		watch_dir(w, c->policy_dir);
	for (i = 0; i < c->ndomains; i++)
		if (c->domains[i].policy_file != NULL)
			watch_parent(w, c->domains[i].policy_file);
	if (w->full)
		log_warnx("policy_watch: the inotify watch limit is reached "
		    "(fs.inotify.max_user_watches): %zu of %zu directories "
		    "watched, changes elsewhere need SIGHUP", w->watched,
		    w->wanted);
	log_info("policy_watch: watching %zu directories", w->watched);
}

static void
drop(struct watch_set *w)
{
	if (w->fd != -1)
		(void)close(w->fd);
	w->fd = -1;
}

/* True when events arrived; reads (and forgets) all there are. */
static bool
drain(int fd, int timeout_ms)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct
	    inotify_event))));
	struct pollfd p = { fd, POLLIN, 0 };
	bool any = false;

	if (poll(&p, 1, timeout_ms) <= 0)
		return false;
	while (read(fd, buf, sizeof(buf)) > 0)
		any = true;
	return any;
}

static void *
watch_thread(void *arg)
{
	struct watch_set w = { -1, 0, 0, false };
	struct conf *seen = NULL, *now;

	(void)arg;
	for (;;) {
		now = conf_current();
		if (now != seen) {
			if (now == NULL || !now->policy_watch)
				drop(&w);
			else
				build(&w, now);
			conf_unref(seen);
			seen = now;
		} else
			conf_unref(now);
		if (w.fd == -1) {
			(void)poll(NULL, 0, 1000);
			continue;
		}
		if (!drain(w.fd, 1000))
			continue;
		while (drain(w.fd, POLICY_WATCH_QUIET_MS))
			continue;
		log_info("policy_watch: a policy changed: reloading");
		reload_fn();
	}
	return NULL;
}

int
policy_watch_start(void (*reload)(void))
{
	pthread_t tid;

	reload_fn = reload;
	if (pthread_create(&tid, NULL, watch_thread, NULL) != 0)
		return -1;
	(void)pthread_detach(tid);
	return 0;
}
