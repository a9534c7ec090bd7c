/*
 * siphash.h - SipHash-1-3, a keyed 64-bit hash for hash tables whose keys
 * come from hostile input (Aumasson and Bernstein; the 1-3 rounds variant
 * that CPython and Rust use for their tables).
 *
 * Interface:
 *	siphash_key_random() fills a key from getrandom(2); each run of the
 *	program gets its own, so nobody can prepare keys that collide.
 *	siphash13() hashes len bytes under a key.
 *
 * Failure modes: none.  When getrandom(2) fails (a kernel without it) the
 * key is mixed from the clock, the pid and an address instead: still per
 * run, only guessable by someone who can watch the process start.
 */
#ifndef MTASTS_SIPHASH_H
#define MTASTS_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

struct siphash_key {
	uint64_t	k0;
	uint64_t	k1;
};

void		siphash_key_random(struct siphash_key *);
uint64_t	siphash13(const struct siphash_key *, const void *, size_t);

#endif
