/*
 * siphash.c - SipHash-1-3 and a per-run random key (see siphash.h).
 *
 * Written from the SipHash paper: one compression round per 8-byte word,
 * three finalisation rounds; words are read little-endian whatever the
 * host, so a key gives the same hash everywhere (the unit test checks the
 * reference values that OpenSSL's SIPHASH MAC gives for c=1, d=3).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "lib/siphash.h"

#define ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

struct sipstate {
	uint64_t	v0, v1, v2, v3;
};

static void
sipround(struct sipstate *s)
{
	s->v0 += s->v1;
	s->v1 = ROTL(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = ROTL(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = ROTL(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = ROTL(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = ROTL(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = ROTL(s->v2, 32);
}

static void
compress(struct sipstate *s, uint64_t m)
{
	s->v3 ^= m;
	sipround(s);
	s->v0 ^= m;
}

static uint64_t
load_le64(const unsigned char *p, size_t n)
{
	uint64_t w = 0;
	size_t i;

	for (i = 0; i < n; i++)
		w |= (uint64_t)p[i] << (8 * i);
	return w;
}

uint64_t
siphash13(const struct siphash_key *key, const void *data, size_t len)
{
	const unsigned char *p = data;
	struct sipstate s;
	size_t left = len;

	s.v0 = key->k0 ^ 0x736f6d6570736575ULL;
	s.v1 = key->k1 ^ 0x646f72616e646f6dULL;
	s.v2 = key->k0 ^ 0x6c7967656e657261ULL;
	s.v3 = key->k1 ^ 0x7465646279746573ULL;
	for (; left >= 8; left -= 8, p += 8)
		compress(&s, load_le64(p, 8));
	compress(&s, load_le64(p, left) | (uint64_t)(len & 0xff) << 56);
	s.v2 ^= 0xff;
	sipround(&s);
	sipround(&s);
	sipround(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

void
siphash_key_random(struct siphash_key *key)
{
	unsigned char buf[16];
	struct timespec ts;
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(buf)) {
		n = getrandom(buf + got, sizeof(buf) - got, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got == sizeof(buf)) {
		key->k0 = load_le64(buf, 8);
		key->k1 = load_le64(buf + 8, 8);
		return;
	}
	/* No getrandom(2): a weaker key, but still one per run. */
	(void)clock_gettime(CLOCK_REALTIME, &ts);
	key->k0 = (uint64_t)ts.tv_sec * 1000000007ULL ^ (uint64_t)ts.tv_nsec;
	key->k1 = (uint64_t)getpid() << 32 ^ (uint64_t)(uintptr_t)&ts;
	memset(buf, 0, sizeof(buf));
}
