/*
 * policy_dir.c - reads DIR/DOMAIN/mta-sts.txt for every domain in DIR.
 *
 * Every policy file is opened with open_beneath() relative to DIR: a
 * symbolic link anywhere below DIR is refused, never followed, so a
 * customer's tree cannot make the milter read a file outside it.  The
 * domain directory (and .well-known) is looked at with fstatat() for its
 * mode only; fstat() of the opened file decides whether it is read.
 *
 * Speed: about 5 system calls a domain (7 for the web-root layout), and
 * the entries are read in batches of BATCH_ENTRIES by up to MAX_WORKERS
 * threads (one per CPU): each entry's outcome - one warning, one error or
 * one policy - is recorded in its own slot, and this thread hands the
 * outcomes to ops in readdir order once the batch is done, so the ops
 * need not be thread-safe and messages come out in the same order with
 * any number of threads.  A batch bounds the memory held at once.
 * Names are escaped before they reach a message.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/policy_dir.h"
#include "lib/escape.h"
#include "lib/openbeneath.h"

#define OPEN_FILE	(O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | \
			    O_CLOEXEC)

#define BATCH_ENTRIES	4096
#define MAX_WORKERS	4

/* What one directory entry gave. */
struct outcome {
	enum { OUT_NONE, OUT_WARN, OUT_ERROR, OUT_POLICY } kind;
	char			*text;	/* warning or error message */
	char			*path;	/* error: where; policy: its file */
	int			 line;
	struct sts_policy	 pol;
};

struct batch {
	const struct policy_dir_ops	*ops;
	const char			*dir;
	int				 root;
	size_t				 n;
	atomic_size_t			 next;	/* entry to claim */
	atomic_bool			 oom;
	char				(*names)[256];
	unsigned char			*types;
	struct outcome			*out;
};

/* One thread's view: the batch, its read buffer, the entry at hand. */
struct scan {
	struct batch	*b;
	char		*buf;	/* POLICY_MAX_BYTES + 1 */
	struct outcome	*o;
};

static void
record(struct scan *s, int kind, const char *path, int line,
    const char *text)
{
	s->o->kind = kind;
	s->o->line = line;
	if ((text != NULL && (s->o->text = strdup(text)) == NULL) ||
	    (path != NULL && (s->o->path = strdup(path)) == NULL))
		atomic_store(&s->b->oom, true);
}

static void
scan_error(struct scan *s, const char *path, int line, const char *msg)
{
	record(s, OUT_ERROR, path, line, msg);
}

static void
warn_entry(struct scan *s, const char *name, const char *why)
{
	char esc[ESCAPE_MAX_INPUT * 4 + 8], msg[PATH_MAX + 1200];

	(void)escape_value(esc, sizeof(esc), name);
	(void)snprintf(msg, sizeof(msg), "policy_dir: %s/%s: %s, ignored",
	    s->b->dir, esc, why);
	record(s, OUT_WARN, NULL, 0, msg);
}

static bool
writable_by_others(const struct stat *st)
{
	/* A sticky directory (like /tmp) still lets others add entries. */
	return (st->st_mode & S_IWOTH) != 0;
}

static int
read_policy(struct scan *s, int fd, off_t size, const char *path,
    struct sts_policy *pol)
{
	char err[256];
	ssize_t n;
	size_t len = 0;
	int line = 0;

	/* Up to the size fstat() saw (one read, usually), or to EOF. */
	while (len <= POLICY_MAX_BYTES) {
		n = read(fd, s->buf + len, POLICY_MAX_BYTES + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			(void)snprintf(err, sizeof(err), "read error: %s",
			    strerror(errno));
			scan_error(s, path, 0, err);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == (size_t)size)
			break;
	}
	if (len > POLICY_MAX_BYTES) {
		scan_error(s, path, 0, "larger than 65536 bytes");
		return -1;
	}
	if (policy_parse(s->buf, len, pol, err, sizeof(err), &line) != 0) {
		scan_error(s, path, line, err);
		return -1;
	}
	return 0;
}

/*
 * rel (below root) into pol: 0 read, 1 absent, -1 refused (reported).
 * A FIFO or device is refused by fstat() before any read; the open does
 * not wait for a FIFO's writer (O_NONBLOCK), and only root can make a
 * device node.  A socket cannot be opened at all (ENXIO).
 */
static int
open_policy(struct scan *s, int root, const char *rel, const char *path,
    struct sts_policy *pol)
{
	struct stat st;
	int fd, rc;

	if ((fd = open_beneath(root, rel, OPEN_FILE)) == -1) {
		if (errno == ENOENT)
			return 1;
		scan_error(s, path, 0, errno == ELOOP ?
		    "is a symbolic link (not followed)" : errno == ENXIO ?
		    "not a regular file" : strerror(errno));
		return -1;
	}
	rc = -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		scan_error(s, path, 0, "not a regular file");
	else if (writable_by_others(&st))
		scan_error(s, path, 0, "file is writable by "
		    "others (chmod o-w it)");
	else if (st.st_size > POLICY_MAX_BYTES)
		scan_error(s, path, 0, "larger than 65536 bytes");
	else
		rc = read_policy(s, fd, st.st_size, path, pol);
	(void)close(fd);
	return rc;
}

/*
 * The directory rel below root must not be writable by others: 0 it is
 * fine, 1 absent, -1 refused (reported).  Only its mode is looked at;
 * open_beneath() is what guarantees no link is followed.
 */
static int
check_subdir(struct scan *s, int root, const char *rel, const char *path)
{
	struct stat st;

	if (fstatat(root, rel, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			return 1;
		scan_error(s, path, 0, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		scan_error(s, path, 0, "not a directory "
		    "(symbolic links are not followed)");
		return -1;
	}
	if (writable_by_others(&st)) {
		scan_error(s, path, 0, "directory is writable by "
		    "others (chmod o-w it)");
		return -1;
	}
	return 0;
}

/* DOMAIN/mta-sts.txt, else DOMAIN/.well-known/mta-sts.txt. */
static int
read_domain(struct scan *s, int root, const char *entry,
    struct sts_policy *pol, char *path, size_t pathlen)
{
	char rel[NAME_MAX + sizeof(POLICY_DIR_WELL_KNOWN "/" POLICY_DIR_FILE) +
	    2];
	int rc;

	(void)snprintf(path, pathlen, "%s/%s", s->b->dir, entry);
	if ((rc = check_subdir(s, root, entry, path)) != 0)
		return rc;			/* 1: gone since readdir */
	(void)snprintf(rel, sizeof(rel), "%s/%s", entry, POLICY_DIR_FILE);
	(void)snprintf(path, pathlen, "%s/%s", s->b->dir, rel);
	if ((rc = open_policy(s, root, rel, path, pol)) != 1)
		return rc;
	(void)snprintf(rel, sizeof(rel), "%s/%s", entry,
	    POLICY_DIR_WELL_KNOWN);
	(void)snprintf(path, pathlen, "%s/%s/%s", s->b->dir, rel,
	    POLICY_DIR_FILE);
	if ((rc = check_subdir(s, root, rel, path)) != 0)
		return rc;
	(void)snprintf(rel, sizeof(rel), "%s/%s/%s", entry,
	    POLICY_DIR_WELL_KNOWN, POLICY_DIR_FILE);
	return open_policy(s, root, rel, path, pol);
}

static void
scan_domain(struct scan *s, int root, const char *entry, unsigned char type)
{
	char path[PATH_MAX], name[256];
	struct stat st;
	int rc;

	/* readdir's type saves a stat; check_subdir() looks again. */
	if (type == DT_UNKNOWN) {
		if (fstatat(root, entry, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			warn_entry(s, entry, strerror(errno));
			return;
		}
		type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ?
		    DT_LNK : DT_REG;
	}
	if (type != DT_DIR) {
		warn_entry(s, entry, type == DT_LNK ? "a symbolic link "
		    "(not followed)" : "not a directory");
		return;
	}
	(void)snprintf(name, sizeof(name), "%s", entry);
	if (strlen(entry) >= sizeof(name) || !s->b->ops->valid_name(name)) {
		warn_entry(s, entry, "not a domain name");
		return;
	}
	/* entry passed valid_name(): safe in a message as it is. */
	rc = read_domain(s, root, entry, &s->o->pol, path, sizeof(path));
	if (rc == 1)
		warn_entry(s, entry, "has no " POLICY_DIR_FILE " and no "
		    POLICY_DIR_WELL_KNOWN "/" POLICY_DIR_FILE);
	else if (rc == 0)
		record(s, OUT_POLICY, path, 0, name);
}

/* A thread's share of the batch: entries claimed one at a time. */
static void *
scan_worker(void *arg)
{
	struct scan *s = arg;
	struct batch *b = s->b;
	size_t i;

	while ((i = atomic_fetch_add(&b->next, 1)) < b->n) {
		s->o = &b->out[i];
		scan_domain(s, b->root, b->names[i], b->types[i]);
	}
	return NULL;
}

static size_t
worker_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > MAX_WORKERS ? MAX_WORKERS : (size_t)n;
}

/*
 * Runs the batch on this thread and up to MAX_WORKERS - 1 others; a
 * thread that cannot be made only means fewer helpers.  -1: no memory.
 */
static int
scan_batch(struct batch *b, struct scan *w, size_t nw)
{
	pthread_t tid[MAX_WORKERS];
	bool started[MAX_WORKERS] = { false };
	size_t i;

	atomic_store(&b->next, 0);
	for (i = 1; i < nw && b->n > 1; i++)
		started[i] = pthread_create(&tid[i], NULL, scan_worker,
		    &w[i]) == 0;
	(void)scan_worker(&w[0]);
	for (i = 1; i < nw; i++)
		if (started[i])
			(void)pthread_join(tid[i], NULL);
	return atomic_load(&b->oom) ? -1 : 0;
}

/*
 * The batch's outcomes to ops, in order, and the slots emptied; -1 when
 * ops->add() stops us.  rc -1 on entry (out of memory): only emptied.
 */
static int
hand_over(struct batch *b, int rc)
{
	const struct policy_dir_ops *ops = b->ops;
	struct outcome *o;
	size_t i;

	for (i = 0; i < b->n; i++) {
		o = &b->out[i];
		if (rc != 0)
			policy_free(&o->pol);	/* zeroed when unused */
		else if (o->kind == OUT_WARN)
			ops->warn(ops->arg, o->text);
		else if (o->kind == OUT_ERROR)
			ops->error(ops->arg, o->path, o->line, o->text);
		else if (o->kind == OUT_POLICY)
			rc = ops->add(ops->arg, o->text, o->path, &o->pol);
		free(o->text);
		free(o->path);
		memset(o, 0, sizeof(*o));
	}
	b->n = 0;
	return rc;
}

static void
workers_free(struct scan *w, size_t nw)
{
	size_t i;

	for (i = 0; w != NULL && i < nw; i++)
		free(w[i].buf);
	free(w);
}

static struct scan *
workers_new(struct batch *b, size_t nw)
{
	struct scan *w;
	size_t i;

	if ((w = calloc(nw, sizeof(*w))) == NULL)
		return NULL;
	for (i = 0; i < nw; i++) {
		w[i].b = b;
		if ((w[i].buf = malloc(POLICY_MAX_BYTES + 1)) == NULL) {
			workers_free(w, i);
			return NULL;
		}
	}
	return w;
}

static void
batch_free(struct batch *b)
{
	free(b->names);
	free(b->types);
	free(b->out);
}

/* Reads DIR's entries a batch at a time; -1 on a failure reported here. */
static int
scan_entries(DIR *dp, struct batch *b, struct scan *w, size_t nw)
{
	struct dirent *de;
	int rc = 0, eof = 0;

	while (rc == 0 && !eof) {
		while (b->n < BATCH_ENTRIES &&
		    (errno = 0, de = readdir(dp)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			/* d_name is at most NAME_MAX (255) bytes. */
			(void)snprintf(b->names[b->n], sizeof(b->names[0]),
			    "%s", de->d_name);
			b->types[b->n++] = de->d_type;
		}
		if (b->n < BATCH_ENTRIES) {
			eof = 1;
			if (errno != 0) {
				b->ops->error(b->ops->arg, b->dir, 0,
				    strerror(errno));
				rc = -1;
			}
		}
		if (scan_batch(b, w, nw) != 0) {
			b->ops->error(b->ops->arg, b->dir, 0, "out of memory");
			rc = -1;
		}
		rc = hand_over(b, rc);
	}
	return rc;
}

int
policy_dir_scan(const char *dir, const struct policy_dir_ops *ops)
{
	struct batch b;
	struct scan *w = NULL;
	struct stat st;
	size_t nw = 0;
	DIR *dp = NULL;
	int fd, rc = -1;

	memset(&b, 0, sizeof(b));
	b.ops = ops;
	b.dir = dir;
	/* DIR itself may be a link the administrator made; nothing below. */
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		ops->error(ops->arg, dir, 0, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || writable_by_others(&st)) {
		ops->error(ops->arg, dir, 0, "directory is writable by others "
		    "(chmod o-w it)");
		(void)close(fd);
		return -1;
	}
	b.root = fd;
	b.names = calloc(BATCH_ENTRIES, sizeof(*b.names));
	b.types = calloc(BATCH_ENTRIES, sizeof(*b.types));
	b.out = calloc(BATCH_ENTRIES, sizeof(*b.out));
	if (b.names == NULL || b.types == NULL || b.out == NULL ||
	    (w = workers_new(&b, nw = worker_count())) == NULL ||
	    (dp = fdopendir(fd)) == NULL) {
		ops->error(ops->arg, dir, 0, "out of memory");
		(void)close(fd);
	} else {
		rc = scan_entries(dp, &b, w, nw);
		(void)closedir(dp);
	}
	workers_free(w, nw);
	batch_free(&b);
	return rc;
}
