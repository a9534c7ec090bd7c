/*
 * policy_dir.c - reads DIR/DOMAIN/mta-sts.txt for every domain in DIR.
 *
 * Every step below DIR goes through openat() relative to an already open
 * and checked directory, with O_NOFOLLOW: a symbolic link anywhere below
 * DIR is refused, never followed, so a customer's tree cannot make the
 * milter read a file outside it.  fstatat(AT_SYMLINK_NOFOLLOW) looks at a
 * policy file before it is opened (a FIFO or device is never opened), and
 * fstat() checks the opened file again.  One read buffer serves every
 * file.  Names are escaped before they reach a message.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/policy_dir.h"
#include "lib/escape.h"

#define OPEN_DIR	(O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#define OPEN_FILE	(O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | \
			    O_CLOEXEC)

struct scan {
	const struct policy_dir_ops	*ops;
	const char			*dir;
	char				*buf;	/* POLICY_MAX_BYTES + 1 */
};

static void
warn_entry(struct scan *s, const char *name, const char *why)
{
	char esc[ESCAPE_MAX_INPUT * 4 + 8], msg[PATH_MAX + 1200];

	(void)escape_value(esc, sizeof(esc), name);
	(void)snprintf(msg, sizeof(msg), "policy_dir: %s/%s: %s, ignored",
	    s->dir, esc, why);
	s->ops->warn(s->ops->arg, msg);
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
			s->ops->error(s->ops->arg, path, 0, err);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == (size_t)size)
			break;
	}
	if (len > POLICY_MAX_BYTES) {
		s->ops->error(s->ops->arg, path, 0, "larger than 65536 bytes");
		return -1;
	}
	if (policy_parse(s->buf, len, pol, err, sizeof(err), &line) != 0) {
		s->ops->error(s->ops->arg, path, line, err);
		return -1;
	}
	return 0;
}

/* 0 read, 1 absent, -1 refused (reported). */
static int
open_policy(struct scan *s, int dfd, const char *path, struct sts_policy *pol)
{
	struct stat st;
	int fd, rc;

	if (fstatat(dfd, POLICY_DIR_FILE, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			return 1;
		s->ops->error(s->ops->arg, path, 0, strerror(errno));
		return -1;
	}
	if (S_ISLNK(st.st_mode)) {
		s->ops->error(s->ops->arg, path, 0, "is a symbolic link "
		    "(not followed)");
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		s->ops->error(s->ops->arg, path, 0, "not a regular file");
		return -1;
	}
	if ((fd = openat(dfd, POLICY_DIR_FILE, OPEN_FILE)) == -1) {
		s->ops->error(s->ops->arg, path, 0, errno == ELOOP ?
		    "is a symbolic link (not followed)" : strerror(errno));
		return -1;
	}
	rc = -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		s->ops->error(s->ops->arg, path, 0, "not a regular file");
	else if (writable_by_others(&st))
		s->ops->error(s->ops->arg, path, 0, "file is writable by "
		    "others (chmod o-w it)");
	else if (st.st_size > POLICY_MAX_BYTES)
		s->ops->error(s->ops->arg, path, 0, "larger than 65536 bytes");
	else
		rc = read_policy(s, fd, st.st_size, path, pol);
	(void)close(fd);
	return rc;
}

/* A checked subdirectory of dfd, or -1 (errno ENOENT when absent). */
static int
open_subdir(struct scan *s, int dfd, const char *name, const char *path,
    bool report)
{
	struct stat st;
	int fd, saved;

	if ((fd = openat(dfd, name, OPEN_DIR)) == -1) {
		saved = errno;
		if (report && saved != ENOENT)
			s->ops->error(s->ops->arg, path, 0, saved == ELOOP ||
			    saved == ENOTDIR ? "not a directory (symbolic "
			    "links are not followed)" : strerror(saved));
		errno = saved;
		return -1;
	}
	if (fstat(fd, &st) == -1 || writable_by_others(&st)) {
		s->ops->error(s->ops->arg, path, 0, "directory is writable by "
		    "others (chmod o-w it)");
		(void)close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

static int
scan_domain(struct scan *s, int root, const char *entry, unsigned char type)
{
	struct sts_policy pol;
	char path[PATH_MAX], name[256];
	struct stat st;
	int dfd, wk, rc;

	/* readdir's type saves a stat; the open below checks again. */
	if (type == DT_UNKNOWN) {
		if (fstatat(root, entry, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			warn_entry(s, entry, strerror(errno));
			return 0;
		}
		type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ?
		    DT_LNK : DT_REG;
	}
	if (type != DT_DIR) {
		warn_entry(s, entry, type == DT_LNK ? "a symbolic link "
		    "(not followed)" : "not a directory");
		return 0;
	}
	(void)snprintf(name, sizeof(name), "%s", entry);
	if (strlen(entry) >= sizeof(name) || !s->ops->valid_name(name)) {
		warn_entry(s, entry, "not a domain name");
		return 0;
	}
	/* entry passed valid_name(): safe in a message as it is. */
	(void)snprintf(path, sizeof(path), "%s/%s", s->dir, entry);
	if ((dfd = open_subdir(s, root, entry, path, true)) == -1)
		return 0;
	(void)snprintf(path, sizeof(path), "%s/%s/%s", s->dir, entry,
	    POLICY_DIR_FILE);
	rc = open_policy(s, dfd, path, &pol);
	if (rc == 1) {
		(void)snprintf(path, sizeof(path), "%s/%s/%s/%s", s->dir,
		    entry, POLICY_DIR_WELL_KNOWN, POLICY_DIR_FILE);
		if ((wk = open_subdir(s, dfd, POLICY_DIR_WELL_KNOWN, path,
		    true)) != -1) {
			rc = open_policy(s, wk, path, &pol);
			(void)close(wk);
		} else if (errno != ENOENT)
			rc = -1;
	}
	(void)close(dfd);
	if (rc == 1) {
		warn_entry(s, entry, "has no " POLICY_DIR_FILE " and no "
		    POLICY_DIR_WELL_KNOWN "/" POLICY_DIR_FILE);
		return 0;
	}
	if (rc != 0)
		return 0;
	return s->ops->add(s->ops->arg, name, path, &pol);
}

int
policy_dir_scan(const char *dir, const struct policy_dir_ops *ops)
{
	struct scan s = { ops, dir, NULL };
	struct dirent *de;
	struct stat st;
	DIR *dp;
	int fd, rc = 0;

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
	if ((s.buf = malloc(POLICY_MAX_BYTES + 1)) == NULL ||
	    (dp = fdopendir(fd)) == NULL) {
		ops->error(ops->arg, dir, 0, "out of memory");
		free(s.buf);
		(void)close(fd);
		return -1;
	}
	while (rc == 0 && (errno = 0, de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		rc = scan_domain(&s, dirfd(dp), de->d_name, de->d_type);
	}
	if (rc == 0 && errno != 0) {
		ops->error(ops->arg, dir, 0, strerror(errno));
		rc = -1;
	}
	(void)closedir(dp);
	free(s.buf);
	return rc;
}
