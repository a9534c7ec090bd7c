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
 * Rules enforced (RFC 8461 3.2, checked against the conformance corpus in
 * tests/unit/data/conformance/):
 *  - "version: STSv1", a "mode" (enforce, testing, none) and a "max_age"
 *    (1 to 10 digits, at most 31557600) are required; one or more "mx"
 *    unless the mode is none.  Lines may come in any order.
 *  - A repeated version, mode or max_age line is ignored, even when its
 *    value is malformed: the first one counts.  Each ignored line gives a
 *    warning in the policy's warnings array ("line 4: repeated mode
 *    ignored (first on line 2)"); at most POLICY_MAX_WARNINGS, the last
 *    one summing up the rest.  A warning is not an error.  "mx" may repeat.
 *  - Keys and the values STSv1, enforce, testing, none are case-sensitive.
 *  - Lines end in LF or CRLF, mixed as you like; the final line end is
 *    optional.  An empty line anywhere is invalid, a trailing one (two
 *    line ends at the end) included; so is a lone CR or a NUL byte.
 *  - Blanks after the ":" and after a value are allowed.  An mx value is
 *    ["*."] followed by LDH labels, no trailing dot.  Unknown keys are
 *    ignored, but must be well formed: an ext name (letter or digit, then
 *    up to 31 letters, digits, "_", "-", "."), and a value of VCHAR or
 *    UTF-8 with inner spaces, no tab or other control character.
 *  - At most POLICY_MAX_BYTES (64 KiB).
 *
 * Failure modes: on error the functions return -1, fill err (a one-line
 * message without the file name) and *errline (1-based, 0 when the error is
 * not tied to a line), and leave the policy empty.  No partial policy is
 * ever returned.  Warnings come only with a valid policy, in it, and are
 * freed with it.  No global state: thread-safe.
 */
#ifndef MTASTS_POLICY_H
#define MTASTS_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/decision.h"	/* enum sts_mode, sts_mode_name() */

#define POLICY_MAX_BYTES	65536
#define POLICY_MAX_AGE		31557600L
#define POLICY_MAX_MX		256
#define POLICY_MAX_WARNINGS	4
#define POLICY_WARNING_MAX	80


struct sts_policy {
	enum sts_mode	 mode;
	long		 max_age;
	char		**mx;		/* lower-cased patterns */
	size_t		 nmx;
	/* Lines ignored but worth telling about (repeated fields). */
	/* NULL until the first warning: 100,000 clean policies cost nothing. */
	char		(*warnings)[POLICY_WARNING_MAX];
	size_t		 nwarnings;
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
