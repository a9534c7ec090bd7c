/*
 * dns_tcp.h - one DNS query over TCP, under a deadline.
 *
 * Interface:
 *	dns_tcp_exchange() connects to the name server sa, sends the query
 *	(RFC 1035 4.2.2: a two-byte length, then the message) and reads one
 *	answer into ans.  Used when a UDP answer came back truncated (TC),
 *	as a sender's resolver does; glibc's own TCP path has no time
 *	bound, this one stops at deadline_ms (lib/clock) whatever the
 *	server does: silence, a trickle, a length it never sends.
 *
 * Failure modes: -1 with a one-line reason in err ("no answer from the
 * DNS server over TCP (timed out)", "DNS server unreachable over TCP:
 * ...", "DNS answer over TCP larger than N bytes", "DNS server closed
 * the TCP connection"); otherwise the answer's length (at least the DNS
 * header).  The caller checks the answer's id and parses it.
 */
#ifndef MTASTS_DNS_TCP_H
#define MTASTS_DNS_TCP_H

#include <sys/socket.h>
#include <stddef.h>

int	dns_tcp_exchange(const struct sockaddr *sa, socklen_t salen,
	    const unsigned char *query, size_t qlen, unsigned char *ans,
	    size_t anslen, long long deadline_ms, char *err, size_t errlen);

#endif
