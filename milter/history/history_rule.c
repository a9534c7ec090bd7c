/*
 * history_rule.c - network keys and the protection rule (history_rule.h).
 *
 * A network is protected only when it has shown that it uses TLS
 * (min_tls transactions) and has not sent accepted plaintext for a whole
 * window: a network with mixed TLS and plaintext senders never is.  The
 * stored form is little-endian so an LMDB file or a Redis value means the
 * same on every host of a fleet.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "history/history_rule.h"

static void
mask_bytes(unsigned char *b, size_t len, int prefix)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (prefix >= 8)
			prefix -= 8;
		else {
			b[i] &= (unsigned char)(0xff00 >> prefix);
			prefix = 0;
		}
	}
}

static bool
format_key(int af, unsigned char *addr, size_t alen, int prefix, char *buf,
    size_t len)
{
	char text[INET6_ADDRSTRLEN];
	int n;

	mask_bytes(addr, alen, prefix);
	if (inet_ntop(af, addr, text, sizeof(text)) == NULL)
		return false;
	n = snprintf(buf, len, "%s/%d", text, prefix);
	return n > 0 && (size_t)n < len;
}

/* An IPv4-mapped IPv6 address is the IPv4 client it stands for. */
static bool
key_v6(const struct in6_addr *a6, int prefix_v4, int prefix_v6, char *buf,
    size_t len)
{
	unsigned char b[16];

	memcpy(b, a6, sizeof(b));
	if (IN6_IS_ADDR_V4MAPPED(a6))
		return format_key(AF_INET, b + 12, 4, prefix_v4, buf, len);
	return format_key(AF_INET6, b, 16, prefix_v6, buf, len);
}

bool
history_key(const struct sockaddr *sa, int prefix_v4, int prefix_v6,
    char *buf, size_t len)
{
	unsigned char b[4];

	if (sa == NULL || prefix_v4 < 0 || prefix_v4 > 32 || prefix_v6 < 0 ||
	    prefix_v6 > 128)
		return false;
	if (sa->sa_family == AF_INET) {
		memcpy(b, &((const struct sockaddr_in *)(const void *)sa)->
		    sin_addr, 4);
		return format_key(AF_INET, b, 4, prefix_v4, buf, len);
	}
	if (sa->sa_family == AF_INET6)
		return key_v6(&((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr, prefix_v4, prefix_v6, buf, len);
	return false;
}

bool
history_key_from_string(const char *addr, int prefix_v4, int prefix_v6,
    char *buf, size_t len)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (addr == NULL)
		return false;
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1)
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1)
		ss.ss_family = AF_INET6;
	else
		return false;
	return history_key((struct sockaddr *)&ss, prefix_v4, prefix_v6, buf,
	    len);
}

bool
history_entry_protected(const struct history_entry *e,
    const struct history_rule *r, int64_t now)
{
	if (e->tls_count < (uint64_t)(r->min_tls > 0 ? r->min_tls : 1))
		return false;
	/* Plaintext accepted within the window: a mixed network. */
	if (e->plain_count > 0 && now - e->last_plain < r->window)
		return false;
	return true;
}

void
history_entry_record(struct history_entry *e, bool tls, int64_t now)
{
	if (tls) {
		e->tls_count++;
		if (e->first_tls == 0)
			e->first_tls = now;
		e->last_tls = now;
	} else {
		e->plain_count++;
		if (e->first_plain == 0)
			e->first_plain = now;
		e->last_plain = now;
	}
}

int64_t
history_entry_last_seen(const struct history_entry *e)
{
	return e->last_tls > e->last_plain ? e->last_tls : e->last_plain;
}

static void
put64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

void
history_entry_encode(const struct history_entry *e,
    unsigned char out[HISTORY_ENTRY_SIZE])
{
	put64(out, e->tls_count);
	put64(out + 8, e->plain_count);
	put64(out + 16, (uint64_t)e->first_tls);
	put64(out + 24, (uint64_t)e->last_tls);
	put64(out + 32, (uint64_t)e->first_plain);
	put64(out + 40, (uint64_t)e->last_plain);
}

bool
history_entry_decode(const void *data, size_t len, struct history_entry *e)
{
	const unsigned char *p = data;

	if (data == NULL || len != HISTORY_ENTRY_SIZE)
		return false;
	e->tls_count = get64(p);
	e->plain_count = get64(p + 8);
	e->first_tls = (int64_t)get64(p + 16);
	e->last_tls = (int64_t)get64(p + 24);
	e->first_plain = (int64_t)get64(p + 32);
	e->last_plain = (int64_t)get64(p + 40);
	return true;
}
