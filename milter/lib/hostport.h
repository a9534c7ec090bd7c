/*
 * hostport.h - "HOST", "HOST<sep>PORT" and "[HOST]<sep>PORT" strings.
 *
 * Interface:
 *	hostport_parse() splits spec at the last sep (':' for check_connect,
 *	'#' for check_resolver, where an IPv6 address holds ':'), drops the
 *	brackets around the host, and checks the port: decimal digits only,
 *	1..65535.  Without a sep the port is defport; defport 0 means the
 *	port is required.  hostport_numeric() tells whether the host is an
 *	IPv4 or IPv6 address literal (what a resolver address must be).
 *
 * Failure modes: hostport_parse() returns false on an empty host, a host
 * longer than HOSTPORT_HOST_MAX - 1 bytes, a missing or invalid port;
 * out is then unspecified.  Pure functions.
 */
#ifndef MTASTS_HOSTPORT_H
#define MTASTS_HOSTPORT_H

#include <stdbool.h>

#define HOSTPORT_HOST_MAX	256

struct hostport {
	char		 host[HOSTPORT_HOST_MAX];
	unsigned short	 port;
};

bool	 hostport_parse(const char *spec, char sep, unsigned short defport,
	    struct hostport *out);
bool	 hostport_numeric(const struct hostport *);

#endif
