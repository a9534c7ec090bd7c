/*
 * fuzz_policy.c - libFuzzer target for the RFC 8461 policy parser.
 *
 * The input is a policy file as fetched or read from disk.  Besides
 * looking for memory errors, it checks the parser's promises (policy.h):
 * a failure leaves the policy empty and says why in one line; a success
 * has a valid mode, max_age in range, lower-case mx patterns, at least one
 * unless the mode is none, and at most POLICY_MAX_WARNINGS one-line
 * warnings (none with a failure).  The tail of the input (after the last NUL) is
 * also tried as a host name against every pattern.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/policy.h"

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sts_policy pol;
	char err[256], host[300];
	const uint8_t *nul;
	size_t i, hlen;
	int line = -1, rc;

	memset(err, 'X', sizeof(err));
	rc = policy_parse((const char *)data, size, &pol, err, sizeof(err),
	    &line);
	CHECK(rc == 0 || rc == -1);
	if (rc != 0) {
		CHECK(pol.mx == NULL && pol.nmx == 0 && pol.nwarnings == 0);
		CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		CHECK(strchr(err, '\n') == NULL && strchr(err, '\r') == NULL);
		CHECK(line >= 0);
		return 0;
	}
	CHECK(line == 0);
	CHECK(pol.mode == STS_MODE_OFF || pol.mode == STS_MODE_TESTING ||
	    pol.mode == STS_MODE_ENFORCE);
	CHECK(pol.max_age >= 0 && pol.max_age <= POLICY_MAX_AGE);
	CHECK(pol.nmx <= POLICY_MAX_MX);
	CHECK(pol.nmx > 0 || pol.mode == STS_MODE_OFF);
	CHECK(pol.nwarnings <= POLICY_MAX_WARNINGS);
	for (i = 0; i < pol.nwarnings; i++)	/* one bounded line each */
		CHECK(memchr(pol.warnings[i], '\0', POLICY_WARNING_MAX) !=
		    NULL && strncmp(pol.warnings[i], "line", 4) == 0 &&
		    strpbrk(pol.warnings[i], "\r\n") == NULL);
	for (i = 0; i < pol.nmx; i++) {
		const char *p = pol.mx[i];
		size_t j;

		CHECK(p != NULL && p[0] != '\0' && strlen(p) <= 255);
		for (j = 0; p[j] != '\0'; j++)
			CHECK(p[j] < 'A' || p[j] > 'Z');
		/* An exact pattern matches itself, in any case. */
		if (p[0] != '*')
			CHECK(policy_mx_match(p, p));
		else {
			(void)snprintf(host, sizeof(host), "mx%s", p + 1);
			CHECK(policy_mx_match(p, host));
			CHECK(!policy_mx_match(p, p + 2));
		}
	}
	/* The input's last NUL-free tail as a host name. */
	nul = size > 0 ? memchr(data, '\0', size) : NULL;
	if (nul != NULL) {
		hlen = size - (size_t)(nul - data) - 1;
		if (hlen >= sizeof(host))
			hlen = sizeof(host) - 1;
		memcpy(host, nul + 1, hlen);
		host[hlen] = '\0';
		(void)policy_host_allowed(&pol, host);
	}
	policy_free(&pol);
	CHECK(pol.mx == NULL && pol.nmx == 0);
	return 0;
}
