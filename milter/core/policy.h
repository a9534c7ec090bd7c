/*
 * policy.h - strict parser for RFC 8461 section 3.2 MTA-STS policy files.
 *
 * Interface:
 *	policy_parse() parses a policy held in memory; policy_load() reads a
 *	file (lib/fileread: a regular file of at most POLICY_MAX_BYTES that
 *	others cannot write) and parses it.  Both fill a caller-owned
 *	struct sts_policy that policy_free() releases.  policy_mx_match() tests
 *	one host name against one "mx" pattern ("*." matches exactly one
 *	label); policy_host_allowed() tests it against every pattern.
 *
 * Rules enforced: "version: STSv1" is the first line; exactly one "mode"
 * (enforce, testing, none) and one "max_age" (0..31557600); one or more "mx"
 * unless the mode is none; LF or CRLF line ends; keys and values per the
 * RFC 8461 ABNF; unknown keys are ignored.
 *
 * Failure modes: on error the functions return -1, fill err (a one-line
 * message without the file name) and *errline (1-based, 0 when the error is
 * not tied to a line), and leave the policy empty.  No partial policy is
 * ever returned.  No global state: thread-safe.
 */
#ifndef MTASTS_POLICY_H
#define MTASTS_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/decision.h"	/* enum sts_mode, sts_mode_name() */

#define POLICY_MAX_BYTES	65536
#define POLICY_MAX_AGE		31557600L
#define POLICY_MAX_MX		256


struct sts_policy {
	enum sts_mode	 mode;
	long		 max_age;
	char		**mx;		/* lower-cased patterns */
	size_t		 nmx;
};

int	 policy_parse(const char *buf, size_t len, struct sts_policy *out,
	    char *err, size_t errlen, int *errline);
int	 policy_load(const char *path, struct sts_policy *out,
	    char *err, size_t errlen, int *errline);
void	 policy_free(struct sts_policy *);
bool	 policy_mx_match(const char *pattern, const char *host);
bool	 policy_host_allowed(const struct sts_policy *, const char *host);
/* An RFC 8461 extension name (policy key or TXT record field name). */
bool	 policy_valid_ext_name(const char *s, size_t len);

#endif
