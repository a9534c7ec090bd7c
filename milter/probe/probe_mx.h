/*
 * probe_mx.h - the MX part of "mtasts-milter -C": probe every MX host
 * like a sending MTA (STARTTLS, certificate, DANE).
 *
 * Interface: probe_mx_hosts() takes the MX host names of a domain in
 * preference order (at most PROBE_MX_MAX are probed; a line says so when
 * there are more) and the domain's policy (NULL when none was fetched),
 * probes the hosts concurrently (one thread each) and adds, per host in
 * the given order, the lines "starttls", "certificate" (when a TLS
 * session was set up) and "dane" (when _25._tcp.HOST has TLSA records)
 * to the report.  Each line's text starts with "HOST: ".
 *
 * Bounds: per host, the A, AAAA and TLSA lookups share one check_timeout
 * and the SMTP probe (at most one IPv4 and one IPv6 address, the second
 * only when the first cannot be connected to) another, so the whole MX
 * part takes at most 2 x check_timeout (plus glibc's rounding).
 *
 * Failure modes: none returned; a host that cannot be probed gets a fail
 * line, a thread that cannot be started is probed in the calling thread.
 */
#ifndef MTASTS_PROBE_MX_H
#define MTASTS_PROBE_MX_H

#include <stddef.h>

#include "core/conf.h"
#include "core/policy.h"
#include "probe/probe_print.h"

#define PROBE_MX_MAX	10

void	probe_mx_hosts(const struct conf *, const struct sts_policy *,
	    char *const *mx, size_t nmx, struct probe_report *);

#endif
