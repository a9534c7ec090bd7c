/*
 * daemon.c - socket permissions, pidfile, detaching, privileges, cleanup.
 *
 * Privileges are dropped after the socket is open, as the daemon needs root
 * only to create a socket and a pidfile in root-owned directories.  The
 * socket is chown'ed to the user and its primary group, mode 0660: add the
 * MTA's user (postfix) to that group.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/downgrade.h"
#include "lib/log.h"
#include "daemon/stats.h"

static char	 cleanup_socket[256];
static char	 cleanup_pidfile[4096];
static char	 cleanup_stats[4096];
static atomic_bool cleaned;

/* "unix:/path" or "local:/path" -> "/path"; NULL for inet sockets. */
static const char *
unix_path(const char *socket)
{
	if (strncmp(socket, "unix:", 5) == 0)
		return socket + 5;
	if (strncmp(socket, "local:", 6) == 0)
		return socket + 6;
	return NULL;
}

int
daemon_prepare_socket(const char *socket, const char *user)
{
	const char *path = unix_path(socket);
	struct passwd *pw;

	if (path == NULL)
		return 0;
	if (chmod(path, 0660) != 0) {
		log_error("chmod %s", path);
		return -1;
	}
	if (user == NULL || geteuid() != 0)
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		log_errorx("user %s: no such user", user);
		return -1;
	}
	if (chown(path, pw->pw_uid, pw->pw_gid) != 0) {
		log_error("chown %s", path);
		return -1;
	}
	return 0;
}

int
daemon_detach(void)
{
	int fd;

	switch (fork()) {
	case -1:
		log_error("fork");
		return -1;
	case 0:
		break;
	default:
		_exit(0);
	}
	if (setsid() == -1) {
		log_error("setsid");
		return -1;
	}
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		(void)dup2(fd, STDIN_FILENO);
		(void)dup2(fd, STDOUT_FILENO);
		(void)dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			(void)close(fd);
	}
	return chdir("/") == 0 ? 0 : -1;
}

int
daemon_write_pidfile(const char *path)
{
	char buf[32];
	int fd, n;

	(void)unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (fd == -1) {
		log_error("pidfile %s", path);
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n || close(fd) != 0) {
		log_error("pidfile %s", path);
		return -1;
	}
	return 0;
}

int
daemon_drop_privileges(const char *user)
{
	struct passwd *pw;

	if (user == NULL)
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		log_errorx("user %s: no such user", user);
		return -1;
	}
	if (geteuid() != 0) {
		if (geteuid() == pw->pw_uid)
			return 0;
		log_errorx("cannot become user %s: not started as root", user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 ||
	    setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		log_error("cannot become user %s", user);
		return -1;
	}
	/* Paranoia: the switch must be for good. */
	if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		log_errorx("could regain root after dropping privileges");
		return -1;
	}
	log_info("running as user %s (uid %ld)", user, (long)pw->pw_uid);
	return 0;
}

void
daemon_set_cleanup(const char *socket, const char *pidfile,
    const char *stats_file)
{
	const char *path = unix_path(socket);

	(void)snprintf(cleanup_socket, sizeof(cleanup_socket), "%s",
	    path != NULL ? path : "");
	(void)snprintf(cleanup_pidfile, sizeof(cleanup_pidfile), "%s",
	    pidfile != NULL ? pidfile : "");
	(void)snprintf(cleanup_stats, sizeof(cleanup_stats), "%s",
	    stats_file != NULL ? stats_file : "");
}

void
daemon_cleanup(void)
{
	if (atomic_exchange(&cleaned, true))
		return;
	if (cleanup_stats[0] != '\0' && stats_write_file(cleanup_stats) != 0)
		log_warnx("cannot write statistics file %s: %s", cleanup_stats,
		    strerror(errno));
	if (cleanup_socket[0] != '\0' && unlink(cleanup_socket) != 0 &&
	    errno != ENOENT)
		log_warnx("cannot remove socket %s: %s", cleanup_socket,
		    strerror(errno));
	if (cleanup_pidfile[0] != '\0' && unlink(cleanup_pidfile) != 0 &&
	    errno != ENOENT)
		log_warnx("cannot remove pidfile %s: %s", cleanup_pidfile,
		    strerror(errno));
	downgrade_stop();
	log_notice("stopped");
	log_stop_writer();
}
