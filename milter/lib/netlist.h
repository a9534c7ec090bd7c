/*
 * netlist.h - lists of IPv4/IPv6 networks (CIDR) and address matching.
 *
 * Interface:
 *	netlist_add() parses "192.0.2.0/24", "2001:db8::/32", or a bare
 *	address (host route) and appends it.  netlist_match_sockaddr() and
 *	netlist_match_string() test a client address; an IPv4-mapped IPv6
 *	address (::ffff:192.0.2.1) matches IPv4 networks, and the string form
 *	accepts Sendmail's "IPv6:" prefix and optional [brackets].
 *
 * Failure modes: netlist_add() returns -1 with a message in err for a
 * malformed network, a prefix out of range, or host bits set beyond the
 * prefix ("192.0.2.1/24" is refused: the administrator probably meant
 * something else).  Matching never fails: an unparsable address matches
 * nothing.  A list is immutable once built and may be read by many threads.
 */
#ifndef MTASTS_NETLIST_H
#define MTASTS_NETLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct netlist;

struct netlist	*netlist_new(void);
void		 netlist_free(struct netlist *);
int		 netlist_add(struct netlist *, const char *spec,
		    char *err, size_t errlen);
size_t		 netlist_count(const struct netlist *);
/* Canonical text of entry i ("192.0.2.0/24"), for -n output. */
const char	*netlist_entry(const struct netlist *, size_t i);
bool		 netlist_match_sockaddr(const struct netlist *,
		    const struct sockaddr *);
bool		 netlist_match_string(const struct netlist *, const char *addr);

#endif
