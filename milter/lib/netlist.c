/*
 * netlist.c - lists of IPv4/IPv6 networks and client address matching.
 *
 * Every entry is stored as a 16-byte IPv6 address and a prefix length;
 * IPv4 networks become IPv4-mapped (::ffff:0:0/96 + prefix), so one
 * comparison serves both families and a mapped client address matches an
 * IPv4 network without special cases.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/netlist.h"

#define NETLIST_TEXT_MAX	(INET6_ADDRSTRLEN + 5)

struct netentry {
	unsigned char	addr[16];
	unsigned int	prefix;		/* 0..128, in the IPv6 space */
	char		text[NETLIST_TEXT_MAX];
};

struct netlist {
	struct netentry	*entries;
	size_t		 count;
};

static const unsigned char v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

struct netlist *
netlist_new(void)
{
	return calloc(1, sizeof(struct netlist));
}

void
netlist_free(struct netlist *nl)
{
	if (nl == NULL)
		return;
	free(nl->entries);
	free(nl);
}

size_t
netlist_count(const struct netlist *nl)
{
	return nl != NULL ? nl->count : 0;
}

const char *
netlist_entry(const struct netlist *nl, size_t i)
{
	return i < nl->count ? nl->entries[i].text : NULL;
}

/* Parses an address of either family into the mapped 16-byte form. */
static int
parse_address(const char *s, unsigned char out[16], bool *is_v4)
{
	struct in_addr a4;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		memcpy(out, v4mapped, sizeof(v4mapped));
		memcpy(out + 12, &a4, 4);
		*is_v4 = true;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		/* IPv6 notation, even for a mapped address: a /0..128 prefix. */
		*is_v4 = false;
		return 0;
	}
	return -1;
}

static bool
host_bits_clear(const unsigned char addr[16], unsigned int prefix)
{
	unsigned int i;

	for (i = prefix; i < 128; i++)
		if (addr[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

static int
parse_prefix(const char *s, unsigned int max, unsigned int *out)
{
	unsigned int n = 0;

	if (*s == '\0' || strlen(s) > 3)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		n = n * 10 + (unsigned int)(*s - '0');
	}
	if (n > max)
		return -1;
	*out = n;
	return 0;
}

int
netlist_add(struct netlist *nl, const char *spec, char *err, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	struct netentry e, *n;
	unsigned int plen;
	bool v4;

	memset(&e, 0, sizeof(e));
	if (strlen(spec) >= sizeof(buf)) {
		(void)snprintf(err, errlen, "network \"%.60s...\" is too long",
		    spec);
		return -1;
	}
	memcpy(buf, spec, strlen(spec) + 1);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (parse_address(buf, e.addr, &v4) != 0) {
		(void)snprintf(err, errlen, "\"%s\" is not an IPv4 or IPv6 "
		    "network", spec);
		return -1;
	}
	plen = v4 ? 32 : 128;
	if (slash != NULL && parse_prefix(slash, plen, &plen) != 0) {
		(void)snprintf(err, errlen, "\"%s\": prefix length must be "
		    "0..%d", spec, v4 ? 32 : 128);
		return -1;
	}
	e.prefix = v4 ? plen + 96 : plen;
	if (!host_bits_clear(e.addr, e.prefix)) {
		(void)snprintf(err, errlen, "\"%s\" has host bits set beyond "
		    "the /%u prefix", spec, plen);
		return -1;
	}
	(void)snprintf(e.text, sizeof(e.text), "%s/%u", buf, plen);
	n = reallocarray(nl->entries, nl->count + 1, sizeof(*n));
	if (n == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return -1;
	}
	nl->entries = n;
	nl->entries[nl->count++] = e;
	return 0;
}

static bool
prefix_match(const unsigned char a[16], const unsigned char net[16],
    unsigned int prefix)
{
	unsigned int bytes = prefix / 8, bits = prefix % 8;
	unsigned char mask;

	if (memcmp(a, net, bytes) != 0)
		return false;
	if (bits == 0)
		return true;
	mask = (unsigned char)(0xff << (8 - bits));
	return (a[bytes] & mask) == (net[bytes] & mask);
}

static bool
match_bytes(const struct netlist *nl, const unsigned char addr[16])
{
	size_t i;

	for (i = 0; i < nl->count; i++)
		if (prefix_match(addr, nl->entries[i].addr,
		    nl->entries[i].prefix))
			return true;
	return false;
}

bool
netlist_match_sockaddr(const struct netlist *nl, const struct sockaddr *sa)
{
	unsigned char addr[16];

	if (nl == NULL || sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		memcpy(addr, v4mapped, sizeof(v4mapped));
		memcpy(addr + 12, &sin->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 =
		    (const struct sockaddr_in6 *)sa;

		memcpy(addr, &sin6->sin6_addr, 16);
	} else
		return false;
	return match_bytes(nl, addr);
}

bool
netlist_match_string(const struct netlist *nl, const char *s)
{
	char buf[INET6_ADDRSTRLEN + 1];
	unsigned char addr[16];
	size_t len;
	bool v4;

	if (nl == NULL || s == NULL)
		return false;
	if (strncasecmp(s, "IPv6:", 5) == 0)
		s += 5;
	if (*s == '[')
		s++;
	len = strcspn(s, "]");
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (parse_address(buf, addr, &v4) != 0)
		return false;
	return match_bytes(nl, addr);
}
