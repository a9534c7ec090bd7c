/*
 * fuzz.h - what every libFuzzer target in tests/fuzz shares.
 *
 * Interface: CHECK(cond) aborts with "FILE:LINE: invariant failed: cond"
 * on stderr (run.sh greps for that line) when a promise of the code under
 * test is broken; the libFuzzer entry points are declared here so that
 * -Wmissing-prototypes stays quiet; fuzz_cstring() copies the input into
 * a fresh NUL-terminated buffer (the code under test may rely on a NUL
 * after the data, the fuzzer's buffer has none).
 *
 * Failure modes: fuzz_cstring() returns NULL when the input is over max
 * bytes or memory runs out; the target then skips the input.
 */
#ifndef MTASTS_FUZZ_H
#define MTASTS_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline char *
fuzz_cstring(const uint8_t *data, size_t size, size_t max)
{
	char *s;

	if (size > max || (s = malloc(size + 1)) == NULL)
		return NULL;
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
