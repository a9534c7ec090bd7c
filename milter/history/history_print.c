/*
 * history_print.c - the -H listing (history_print.h).
 *
 * Keys and values come from the store, which another host may write
 * (Redis): keys are printed only when they are made of address
 * characters, so nothing from the store can forge a line.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "history/history_print.h"

struct print_state {
	struct history	*h;
	FILE		*out;
	int64_t		 now;
	size_t		 n;
};

static const char *
when(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return "-";
	return buf;
}

static bool
printable_key(const char *key)
{
	return key[0] != '\0' &&
	    strspn(key, "0123456789abcdefABCDEF.:/") == strlen(key);
}

static void
print_entry(struct print_state *st, const char *prefix, const char *key,
    const struct history_entry *e)
{
	char a[32], b[32], c[32], d[32];

	fprintf(st->out, "%s%-20s %-9s tls=%llu plain=%llu first_tls=%s "
	    "last_tls=%s first_plain=%s last_plain=%s\n", prefix, key,
	    history_entry_is_protected(st->h, e, st->now) ? "protected" :
	    "open", (unsigned long long)e->tls_count,
	    (unsigned long long)e->plain_count,
	    when(e->first_tls, a, sizeof(a)), when(e->last_tls, b, sizeof(b)),
	    when(e->first_plain, c, sizeof(c)),
	    when(e->last_plain, d, sizeof(d)));
}

static int
print_one(void *arg, const char *key, const struct history_entry *e)
{
	struct print_state *st = arg;

	if (printable_key(key)) {
		print_entry(st, "", key, e);
		st->n++;
	}
	return 0;
}

static int
print_address(struct print_state *st, const char *addr)
{
	struct history_entry e;
	char key[HISTORY_KEY_MAX], prefix[80];
	int rc;

	if (strspn(addr, "0123456789abcdefABCDEF.:") != strlen(addr) ||
	    strlen(addr) > 45) {
		fprintf(st->out, "-H: argument is not an IP address\n");
		return 1;
	}
	rc = history_lookup(st->h, addr, key, sizeof(key), &e);
	(void)snprintf(prefix, sizeof(prefix), "%s ", addr);
	if (rc < 0) {
		fprintf(st->out, "%s: not an IP address or the history could "
		    "not be read\n", addr);
		return 1;
	}
	if (rc == 0)
		fprintf(st->out, "%s%s none\n", prefix, key);
	else
		print_entry(st, prefix, key, &e);
	return 0;
}

int
history_print(struct history *h, char *const *addrs, size_t n, FILE *out)
{
	struct print_state st = { h, out, (int64_t)time(NULL), 0 };
	size_t i;
	int rc = 0;

	if (n > 0) {
		for (i = 0; i < n; i++)
			rc |= print_address(&st, addrs[i]);
		return rc;
	}
	if (history_walk(h, print_one, &st) != 0) {
		fprintf(out, "the history could not be read\n");
		return 1;
	}
	fprintf(out, "%zu network(s)\n", st.n);
	return 0;
}
