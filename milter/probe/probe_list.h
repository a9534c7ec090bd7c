/*
 * probe_list.h - "mtasts-milter -C @FILE": the published-policy check of
 * many domains, a provider's nightly run.
 *
 * Interface: probe_list() reads FILE (one domain per line; blank lines
 * and lines starting with '#' are skipped; surrounding blanks and one
 * trailing dot are removed) and checks every domain as probe_domains()
 * does, PROBE_LIST_WORKERS at a time, each worker with its own resolver.
 * Each domain's lines (text), or one JSON object per domain (json), are
 * written as soon as the domain is done, so the order is the order of
 * completion; every line names its domain.
 *
 * Failure modes: returns 1 when any check failed, when FILE cannot be
 * read (a regular file of at most PROBE_LIST_MAX_BYTES), or when a line is
 * not a domain name of at most 253 bytes (reported with FILE:LINE on
 * stderr, nothing is checked); 0 otherwise.
 */
#ifndef MTASTS_PROBE_LIST_H
#define MTASTS_PROBE_LIST_H

#include <stdbool.h>
#include <stdio.h>

#include "core/conf.h"

#define PROBE_LIST_WORKERS	8
#define PROBE_LIST_MAX_BYTES	(16 * 1024 * 1024)

struct dnsq;
struct probe_report;

int	probe_list(const struct conf *, const char *path, bool json,
	    FILE *out);
/* In probe.c: every check of one domain, with the caller's resolver. */
void	probe_one(const struct conf *, struct dnsq *, const char *domain,
	    struct probe_report *);

#endif
