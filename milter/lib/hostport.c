/*
 * hostport.c - "HOST", "HOST<sep>PORT", "[HOST]<sep>PORT" (hostport.h).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <string.h>

#include "lib/hostport.h"

/* 1..65535, decimal digits only. */
static bool
parse_port(const char *s, unsigned short *port)
{
	unsigned long n = 0;
	size_t i;

	if (s[0] == '\0' || strlen(s) > 5)
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		n = n * 10 + (unsigned long)(s[i] - '0');
	}
	if (n == 0 || n > 65535)
		return false;
	*port = (unsigned short)n;
	return true;
}

bool
hostport_parse(const char *spec, char sep, unsigned short defport,
    struct hostport *out)
{
	const char *p = strrchr(spec, sep);
	size_t hlen = p != NULL ? (size_t)(p - spec) : strlen(spec);

	if (hlen >= 2 && spec[0] == '[' && spec[hlen - 1] == ']') {
		spec++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(out->host))
		return false;
	memcpy(out->host, spec, hlen);
	out->host[hlen] = '\0';
	if (p != NULL)
		return parse_port(p + 1, &out->port);
	out->port = defport;
	return defport != 0;
}

bool
hostport_numeric(const struct hostport *hp)
{
	unsigned char addr[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, hp->host, addr) == 1 ||
	    inet_pton(AF_INET6, hp->host, addr) == 1;
}
