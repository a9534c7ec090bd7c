/*
 * fuzz_report.c - libFuzzer target for the decision log-line parser of
 * the rollout report (report/report_parse.h, mtasts-milter -r).
 *
 * Input: one log line without its newline, given with its length and no
 * NUL after it (a read past the end is an ASan report).  Checks
 * report_parse.h's promises: every line is classified; a line over
 * RP_LINE_MAX is malformed; a decision has a known action and reason, a
 * NUL-terminated timestamp, and spans that lie inside the line;
 * rp_canon() and rp_domain() give a NUL-terminated display token of
 * printable ASCII without spaces, at most RP_KEY_MAX bytes, whose length
 * is the one returned.  Nothing is allocated, so the line is parsed in
 * place.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/decision.h"
#include "report/report_parse.h"

#include "fuzz.h"

static void
check_span(const struct rp_span *s, const char *line, size_t len)
{
	if (!s->present)
		return;
	CHECK(s->p >= line && s->p <= line + len);
	CHECK(s->len <= len - (size_t)(s->p - line));
}

static void
check_token(const char *tok, size_t n)
{
	size_t i;

	CHECK(n > 0 && n <= RP_KEY_MAX);
	CHECK(strlen(tok) == n);
	for (i = 0; i < n; i++)
		CHECK(tok[i] > 0x20 && tok[i] < 0x7f);
}

static void
check_canon(const struct rp_span *s)
{
	char dst[RP_CANON_MAX + 1];

	dst[RP_CANON_MAX] = 'Z';	/* sentinel: must never be written */
	check_token(dst, rp_canon(dst, s, false));
	check_token(dst, rp_canon(dst, s, true));
	CHECK(dst[RP_CANON_MAX] == 'Z');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rp_decision d;
	char *line, dst[RP_CANON_MAX + 1];
	enum rp_kind k;

	if (size > RP_LINE_MAX + 16)
		return 0;
	if ((line = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	memcpy(line, data, size);
	memset(&d, 0xa5, sizeof(d));
	k = rp_parse(line, size, &d);
	CHECK(k == RP_DECISION || k == RP_OTHER || k == RP_MALFORMED);
	if (size > RP_LINE_MAX)
		CHECK(k == RP_MALFORMED);
	if (k == RP_DECISION) {
		CHECK((unsigned)d.action < ACTION_COUNT);
		CHECK((unsigned)d.reason < REASON_COUNT);
		CHECK(memchr(d.ts, '\0', sizeof(d.ts)) != NULL);
		CHECK(strcmp(action_name(d.action), "unknown") != 0);
		CHECK(strcmp(reason_name(d.reason), "unknown") != 0);
		check_span(&d.tls, line, size);
		check_span(&d.stage, line, size);
		check_span(&d.client, line, size);
		check_span(&d.from, line, size);
		check_canon(&d.tls);
		check_canon(&d.stage);
		check_canon(&d.client);
		check_canon(&d.from);
		dst[RP_CANON_MAX] = 'Z';
		check_token(dst, rp_domain(dst, &d.from));
		CHECK(dst[RP_CANON_MAX] == 'Z');
	}
	free(line);
	return 0;
}
