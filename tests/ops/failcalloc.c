/*
 * failcalloc.c - LD_PRELOAD shim for tests/ops/reload.sh: calloc(N, size)
 * fails with ENOMEM when N equals $MTASTS_FAIL_CALLOC_NMEMB, so a reload
 * of a configuration with that many exempt_recipients runs out of memory in
 * the middle of building it.  Every other call goes to glibc's allocator.
 * glibc only (__libc_calloc); not for sanitizer builds.
 */
#include <errno.h>
#include <stdlib.h>

void	*__libc_calloc(size_t, size_t);

void *
calloc(size_t n, size_t size)
{
	static long fail_n = -1;
	const char *v;

	if (fail_n == -1)
		fail_n = (v = getenv("MTASTS_FAIL_CALLOC_NMEMB")) != NULL ?
		    strtol(v, NULL, 10) : 0;
	if (fail_n > 0 && n == (size_t)fail_n) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_calloc(n, size);
}
