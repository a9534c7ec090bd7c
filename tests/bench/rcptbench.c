/*
 * rcptbench.c - RCPT-stage cost with 1 and with 100,000 domains, side by
 * side (issue 18).  Not a timed test.
 *
 * Loads two configurations in process (conf_load_buffer): one domain
 * block ".example.net", which every recipient below matches through the
 * parent walk, and N (default 100,000) domain blocks "dK.example.net" of
 * which every fifth is a subdomain block.  Then times engine_judge_rcpt()
 * - everything the milter does per RCPT TO besides libmilter's own I/O -
 * for a plaintext session over the same 65,536 recipients for both, RUNS
 * times each, alternating, and prints the median nanoseconds per
 * recipient and the ratio.  The lookup does the same work in both; what
 * differs is that 100,000 rules do not fit in the CPU cache, so a hit
 * costs a few memory accesses more (README, "Many domains").
 *
 * Usage: rcptbench [-n DOMAINS] [-r RUNS] [-i ITERATIONS]
 * Failure modes: exits 1 when a configuration does not load, 2 on usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/engine.h"

#define NRCPT	65536

static char	rcpts[NRCPT][64];

static struct conf *
load(size_t n)
{
	static const char one[] = "domain \".example.net\" { mode = testing }\n";
	static const char *const modes[] = { "enforce", "testing", "off" };
	struct conf_errors errs;
	struct conf *c;
	char *text, *p;
	size_t i, cap = 64 + n * 64;

	if ((text = malloc(cap)) == NULL)
		exit(1);
	p = text;
	for (i = 0; i < n; i++)
		p += snprintf(p, cap - (size_t)(p - text), "domain \"%sd%zu."
		    "example.net\" { mode = %s }\n", i % 5 == 4 ? "." : "", i,
		    modes[i % 3]);
	*p = '\0';
	c = conf_load_buffer(n == 1 ? one : text, "rcptbench", &errs);
	free(text);
	if (c == NULL) {
		fprintf(stderr, "rcptbench: %s", errs.text != NULL ? errs.text :
		    "load failed\n");
		exit(1);
	}
	conf_errors_free(&errs);
	return c;
}

static double
now_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Nanoseconds per RCPT over iter recipients; sink defeats the optimizer. */
static double
run(const struct conf *c, size_t iter, unsigned long *sink)
{
	struct verdict v;
	double t0 = now_ns();
	size_t i;

	for (i = 0; i < iter; i++) {
		v = engine_judge_rcpt(c, TLS_PLAINTEXT, rcpts[i % NRCPT]);
		*sink += (unsigned long)v.action;
	}
	return (now_ns() - t0) / (double)iter;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	struct conf *small, *large;
	double *ts, *tl, ms, ml;
	unsigned long sink = 0;
	size_t n = 100000, runs = 11, iter = 2000000, i;
	int ch;

	while ((ch = getopt(argc, argv, "n:r:i:")) != -1) {
		switch (ch) {
		case 'n': n = strtoul(optarg, NULL, 10); break;
		case 'r': runs = strtoul(optarg, NULL, 10); break;
		case 'i': iter = strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: rcptbench [-n DOMAINS] "
			    "[-r RUNS] [-i ITERATIONS]\n");
			return 2;
		}
	}
	if (n < 1 || runs < 1 || iter < 1)
		return 2;
	srandom(1);
	for (i = 0; i < NRCPT; i++)
		(void)snprintf(rcpts[i], sizeof(rcpts[i]), "<user%zu@%sd%ld."
		    "example.net>", i, i % 3 == 0 ? "mail." : "",
		    random() % (long)(n + n / 10));
	small = load(1);
	large = load(n);
	ts = calloc(runs, sizeof(*ts));
	tl = calloc(runs, sizeof(*tl));
	if (ts == NULL || tl == NULL)
		return 1;
	(void)run(small, iter / 4, &sink);	/* warm-up */
	(void)run(large, iter / 4, &sink);
	for (i = 0; i < runs; i++) {
		if (i % 2 == 0) {
			ts[i] = run(small, iter, &sink);
			tl[i] = run(large, iter, &sink);
		} else {
			tl[i] = run(large, iter, &sink);
			ts[i] = run(small, iter, &sink);
		}
	}
	qsort(ts, runs, sizeof(*ts), cmp_double);
	qsort(tl, runs, sizeof(*tl), cmp_double);
	ms = ts[runs / 2];
	ml = tl[runs / 2];
	printf("RCPT stage (engine_judge_rcpt, plaintext), median of %zu "
	    "runs of %zu recipients\n", runs, iter);
	printf("%-10s %12s\n", "domains", "ns/rcpt");
	printf("%-10d %12.1f\n", 1, ms);
	printf("%-10zu %12.1f\n", n, ml);
	printf("ratio      %12.2f\n", ml / ms);
	printf("# checksum %lu\n", sink);
	conf_unref(small);
	conf_unref(large);
	free(ts);
	free(tl);
	return 0;
}
