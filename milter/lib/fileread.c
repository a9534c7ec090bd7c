/*
 * fileread.c - bounded, careful reading of a whole file (fileread.h).
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/errfmt.h"
#include "lib/fileread.h"

/* Opens path and checks what it is; -1 with a message. */
static int
open_checked(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) ==
	    -1)
		return errfmt(err, errlen, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		(void)close(fd);
		return errfmt(err, errlen, "not a regular file");
	}
	if (st.st_mode & S_IWOTH) {
		(void)close(fd);
		return errfmt(err, errlen, "file is writable by others "
		    "(chmod o-w it)");
	}
	return fd;
}

/* Reads up to max + 1 bytes, to tell "too large" from "exactly max". */
static ssize_t
read_all(int fd, char *buf, size_t max)
{
	size_t len = 0;
	ssize_t n;

	while (len <= max) {
		n = read(fd, buf + len, max + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	return (ssize_t)len;
}

char *
fileread(const char *path, size_t max, size_t *len, char *err,
    size_t errlen)
{
	char *buf;
	ssize_t n;
	int fd, saved;

	*len = 0;
	if ((fd = open_checked(path, err, errlen)) == -1)
		return NULL;
	if ((buf = malloc(max + 1)) == NULL) {
		(void)close(fd);
		(void)errfmt(err, errlen, "out of memory");
		return NULL;
	}
	n = read_all(fd, buf, max);
	saved = errno;
	(void)close(fd);
	if (n == -1)
		(void)errfmt(err, errlen, "read error: %s", strerror(saved));
	else if ((size_t)n > max)
		(void)errfmt(err, errlen, "larger than %zu bytes", max);
	else {
		buf[n] = '\0';
		*len = (size_t)n;
		return buf;
	}
	free(buf);
	return NULL;
}
