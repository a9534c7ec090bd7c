/*
 * openbeneath.h - open a file below a directory without following any
 * symbolic link on the way.
 *
 * Interface:
 *	open_beneath(dfd, rel, flags) opens rel ("a/b/file", relative, no
 *	"..") below the open directory dfd, like openat(dfd, rel, flags),
 *	except that a symbolic link in ANY component - not only the last,
 *	as O_NOFOLLOW gives - fails with ELOOP, and rel cannot leave dfd.
 *	One openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) system call on
 *	Linux 5.6 and later; where the kernel or a seccomp filter refuses
 *	openat2, the same guarantee from open_beneath_walk(): one openat()
 *	with O_NOFOLLOW per component.
 *	open_beneath_walk() is that fallback alone (the unit tests use it).
 *
 * Failure modes: -1 with errno as openat() sets it: ENOENT for a missing
 * component, ELOOP for a link, ENOTDIR for an intermediate non-directory,
 * EXDEV or EINVAL for a rel that would leave dfd (absolute, "..").
 * The fallback decision is process-wide and taken once.
 */
#ifndef MTASTS_OPENBENEATH_H
#define MTASTS_OPENBENEATH_H

int	open_beneath(int dfd, const char *rel, int flags);
int	open_beneath_walk(int dfd, const char *rel, int flags);

#endif
