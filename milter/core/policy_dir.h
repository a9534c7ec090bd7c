/*
 * policy_dir.h - the policies of a hosting provider's domains, one file
 * per domain, read from a directory tree.
 *
 * Layout: DIR/DOMAIN/mta-sts.txt, or when that is absent the web-root
 * layout DIR/DOMAIN/.well-known/mta-sts.txt.  policy_dir_scan() reads the
 * tree once and calls ops->add() for each domain with its parsed policy.
 *
 * Hostile trees: nothing below DIR is followed through a symbolic link
 * (lib/openbeneath); a domain entry that is not a directory, or
 * whose name ops->valid_name() refuses, is skipped with ops->warn(); a
 * policy file that is a link, not a regular file (FIFO, device), writable
 * by others, larger than POLICY_MAX_BYTES or not a valid policy is an
 * error through ops->error() with its path and line; so is a
 * world-writable DIR or domain directory.  Files are opened with
 * O_NONBLOCK and checked with fstat() before any read, reads are bounded.
 *
 * Failure modes: returns -1 when DIR cannot be read or ops->add() fails;
 * errors in single domains are reported and the scan goes on (the caller
 * fails the load when any was reported).
 */
#ifndef MTASTS_POLICY_DIR_H
#define MTASTS_POLICY_DIR_H

#include <stdbool.h>

#include "core/policy.h"

#define POLICY_DIR_FILE		"mta-sts.txt"
#define POLICY_DIR_WELL_KNOWN	".well-known"

struct policy_dir_ops {
	void	*arg;
	/* Lower-cases name in place; false: not a domain name. */
	bool	(*valid_name)(char *name);
	/* Takes the policy (frees it on failure); -1 stops the scan. */
	int	(*add)(void *arg, const char *domain, const char *path,
		    struct sts_policy *);
	void	(*warn)(void *arg, const char *msg);
	void	(*error)(void *arg, const char *path, int line,
		    const char *msg);
};

int	policy_dir_scan(const char *dir, const struct policy_dir_ops *);

#endif
