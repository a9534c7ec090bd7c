/*
 * fileread.h - bounded, careful reading of a whole configuration file.
 *
 * Interface:
 *	fileread() reads the file at path into a new NUL-terminated buffer
 *	(*len bytes before the NUL; the caller frees it).  Used for every
 *	file that sets what the milter enforces: the configuration and the
 *	policy_file(s).  The file is opened with O_CLOEXEC | O_NOCTTY |
 *	O_NONBLOCK (a FIFO or device must not hang start-up or a reload)
 *	and must be a regular file of at most max bytes that others cannot
 *	write (anyone could switch enforcement off; group-writable is the
 *	administrator's choice).
 *
 * Failure modes: NULL, with a one-line message in err that does not name
 * the file (callers print "FILE:LINE: message"): "cannot open: ...",
 * "not a regular file", "file is writable by others (chmod o-w it)",
 * "larger than MAX bytes", "read error: ...", "out of memory".  A file
 * larger than max is refused, never truncated.  No global state.
 */
#ifndef MTASTS_FILEREAD_H
#define MTASTS_FILEREAD_H

#include <stddef.h>

char	*fileread(const char *path, size_t max, size_t *len, char *err,
	    size_t errlen);

#endif
