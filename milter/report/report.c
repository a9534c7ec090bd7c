/*
 * report.c - the rollout report: "mtasts-milter -r [-j] [LOGFILE...]".
 *
 * Layer milter/report: "-r", the rollout report from the milter's log
 * lines.  Uses only milter/lib (the shared decision vocabulary).
 *
 * Reads the milter's decision lines (report_parse.c says which shapes) from
 * each file in turn, or standard input, and prints:
 *	- input totals: lines, decisions, other lines, malformed lines;
 *	- decisions by TLS state (TLS, weak TLS, plaintext) and TLS version;
 *	- decisions by action and reason;
 *	- downgrades (reason=downgrade) by client network, with counts by
 *	  action (reject, tempfail, would-reject) and first/last seen;
 *	- the non-compliant senders: decisions with action reject or
 *	  would-reject and reason plaintext, weak-tls or requiretls-plaintext,
 *	  grouped by client (name[addr]) and by sender domain, with counts,
 *	  and first/last seen in reading order: the syslog timestamp as
 *	  printed, or FILE:LINE when the line has none.  Sorted by count,
 *	  descending, ties by name.
 * Counts are decisions (log lines), not transactions: a transaction judged
 * per recipient logs one line per recipient.  "weak TLS" counts
 * reason=weak-tls only (an exempt weak session logs reason=network).
 *
 * Input is streamed through a fixed buffer: a line over RP_LINE_MAX bytes
 * is counted as malformed (too long) without being stored, so memory is
 * bounded by the number of distinct clients, domains and TLS versions,
 * each table capped at RTAB_MAX_KEYS keys (decisions beyond it are counted
 * as "not grouped").  Every name printed has been re-escaped by rp_canon():
 * no raw control or 8-bit byte reaches the output, and JSON strings are
 * escaped.
 *
 * Failure modes: a file that cannot be opened or read is reported on err,
 * the others are still read; the result is then 1.  Out of memory or an
 * error writing out also give 1.  Malformed lines never do.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/escape.h"
#include "report/report.h"
#include "report/report_int.h"
#include "report/report_parse.h"
#include "report/report_table.h"
#include "lib/strv.h"

#define STDIN_NAME	"(stdin)"

struct reader {
	FILE	*fp;
	char	*buf;
	size_t	 pos, end;
};

/* A file name as given, with anything unprintable as \xHH. */
static char *
display_name(const char *s)
{
	size_t n = strlen(s), len = escape_bytes_len(s, n, 0);
	char *d;

	if ((d = malloc(len + 1)) == NULL)
		return NULL;
	(void)escape_bytes(d, SIZE_MAX, s, n, 0, NULL);
	d[len] = '\0';
	return d;
}

/* Appends the buffered bytes up to a newline; true when one was found. */
static bool
take(struct reader *r, char *line, size_t cap, size_t *len, bool *toolong)
{
	const char *nl;
	size_t n, room;

	nl = memchr(r->buf + r->pos, '\n', r->end - r->pos);
	n = nl != NULL ? (size_t)(nl - (r->buf + r->pos)) : r->end - r->pos;
	room = cap - *len;
	if (n > room) {
		*toolong = true;
		n = room;
	}
	memcpy(line + *len, r->buf + r->pos, n);
	*len += n;
	if (nl == NULL) {
		r->pos = r->end;
		return false;
	}
	r->pos = (size_t)(nl - r->buf) + 1;
	return true;
}

/*
 * Next line into line[0..cap) without its newline: 1, 0 at end of file,
 * -1 on a read error.  *toolong when the line did not fit (the rest of it
 * is skipped).
 */
static int
read_line(struct reader *r, char *line, size_t cap, size_t *len,
    bool *toolong)
{
	bool any = false;

	*len = 0;
	*toolong = false;
	for (;;) {
		if (r->pos == r->end) {
			r->pos = 0;
			r->end = fread(r->buf, 1, RBUF_SIZE, r->fp);
			if (r->end == 0)
				return ferror(r->fp) ? -1 : any;
		}
		any = true;
		if (take(r, line, cap, len, toolong))
			return 1;
	}
}

static enum tstate
tls_state(const struct rp_decision *d)
{
	if (d->reason == REASON_WEAK_TLS)
		return TS_WEAK;
	if (d->tls.present)
		return d->tls.len == 4 && memcmp(d->tls.p, "none", 4) == 0 ?
		    TS_PLAIN : TS_TLS;
	if (d->reason == REASON_PLAINTEXT ||
	    d->reason == REASON_REQUIRETLS_PLAINTEXT ||
	    d->reason == REASON_DOWNGRADE)
		return TS_PLAIN;
	return TS_UNKNOWN;
}

static bool
noncompliant(const struct rp_decision *d)
{
	return (d->action == ACTION_REJECT || d->action == ACTION_WOULD_REJECT) &&
	    (d->reason == REASON_PLAINTEXT || d->reason == REASON_WEAK_TLS ||
	    d->reason == REASON_REQUIRETLS_PLAINTEXT);
}

/* Entry for r->key, or NULL (counted as not grouped). */
static struct rentry *
entry(struct report *r, struct rtab *t, size_t keylen)
{
	struct rentry *e;

	if ((e = rtab_get(t, r->key, keylen)) == NULL) {
		r->untracked++;
		if (t->n < RTAB_MAX_KEYS)
			r->nomem = true;
	}
	return e;
}

static void
group(struct report *r, struct rtab *t, size_t keylen,
    const struct rp_decision *d, const struct rwhere *w)
{
	struct rentry *e;

	if ((e = entry(r, t, keylen)) == NULL)
		return;
	if (e->count++ == 0)
		e->first = *w;
	e->last = *w;
	e->by[d->action == ACTION_REJECT ? RC_REJECT : RC_WOULD_REJECT]++;
	e->by[d->reason == REASON_PLAINTEXT ? RC_PLAINTEXT :
	    d->reason == REASON_WEAK_TLS ? RC_WEAK_TLS : RC_REQUIRETLS]++;
}

/* A downgrade, grouped by the client network the line names (network=),
 * or by the client when it names none. */
static void
group_downgrade(struct report *r, const struct rp_decision *d,
    const struct rwhere *w)
{
	struct rentry *e;
	size_t n;

	r->downgrades++;
	n = rp_canon(r->key, d->network.present ? &d->network : &d->client,
	    true);
	if ((e = entry(r, &r->networks, n)) == NULL)
		return;
	if (e->count++ == 0)
		e->first = *w;
	e->last = *w;
	e->by[d->action == ACTION_REJECT ? RC_REJECT :
	    d->action == ACTION_TEMPFAIL ? RC_TEMPFAIL : RC_WOULD_REJECT]++;
}

/* Counts the TLS version of a TLS decision (tls= is at most 32 bytes). */
static void
count_version(struct report *r, const struct rp_decision *d)
{
	struct rentry *e;

	memcpy(r->key, d->tls.p, d->tls.len);
	if ((e = entry(r, &r->versions, d->tls.len)) != NULL)
		e->count++;
}

static void
tally(struct report *r, const struct rp_decision *d, const struct rwhere *w)
{
	enum tstate s = tls_state(d);

	r->decisions++;
	r->state[s]++;
	r->actions[d->action][d->reason]++;
	if ((s == TS_TLS || s == TS_WEAK) && d->tls.present)
		count_version(r, d);
	if (d->reason == REASON_DOWNGRADE)
		group_downgrade(r, d, w);
	if (!noncompliant(d))
		return;
	r->noncompliant++;
	group(r, &r->clients, rp_canon(r->key, &d->client, true), d, w);
	group(r, &r->domains, rp_domain(r->key, &d->from), d, w);
}

static void
one_line(struct report *r, size_t len, bool toolong, struct rwhere *w)
{
	struct rp_decision d;

	r->lines++;
	w->line++;
	if (len > 0 && r->line[len - 1] == '\r')
		len--;
	if (toolong || len > RP_LINE_MAX) {
		r->malformed++;
		r->toolong++;
		return;
	}
	switch (rp_parse(r->line, len, &d)) {
	case RP_DECISION:
		memcpy(w->ts, d.ts, sizeof(w->ts));
		tally(r, &d, w);
		break;
	case RP_OTHER:
		r->other++;
		break;
	default:
		r->malformed++;
		break;
	}
}

/* Reads one open stream; -1 on a read error. */
static int
read_stream(struct report *r, FILE *fp, const char *name)
{
	struct reader rd;
	struct rwhere w;
	size_t len;
	bool toolong;
	int rv;

	memset(&w, 0, sizeof(w));
	w.file = name;
	rd.fp = fp;
	rd.buf = r->rbuf;
	rd.pos = rd.end = 0;
	while ((rv = read_line(&rd, r->line, sizeof(r->line), &len,
	    &toolong)) == 1)
		one_line(r, len, toolong, &w);
	return rv;
}

/* Reads one input; returns 1 when it could not be opened or read. */
static int
read_input(struct report *r, const char *path, const char *name, FILE *err)
{
	FILE *fp;
	int rv, saved;

	r->files++;
	if (strcmp(path, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(path, "r")) == NULL) {
		fprintf(err, "mtasts-milter: %s: %s\n", name, strerror(errno));
		r->unreadable++;
		return 1;
	}
	errno = 0;
	rv = read_stream(r, fp, name);
	saved = errno;
	if (fp != stdin)
		fclose(fp);
	else
		clearerr(fp);
	if (rv == -1) {
		fprintf(err, "mtasts-milter: %s: read error: %s\n", name,
		    strerror(saved != 0 ? saved : EIO));
		r->unreadable++;
		return 1;
	}
	return 0;
}

static void
report_free(struct report *r, char **names, int n)
{
	strv_free(names, n > 0 ? (size_t)n : 0);
	if (r == NULL)
		return;
	rtab_free(&r->versions);
	rtab_free(&r->clients);
	rtab_free(&r->domains);
	rtab_free(&r->networks);
	free(r);
}

static struct report *
report_new(void)
{
	struct report *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	rtab_init(&r->versions);
	rtab_init(&r->clients);
	rtab_init(&r->domains);
	rtab_init(&r->networks);
	return r;
}

/* Reads every input; -1 when out of memory, else 1 when one failed. */
static int
read_all(struct report *r, char *const *files, int nfiles, char **names,
    FILE *err)
{
	int i, rc = 0;

	for (i = 0; i < nfiles; i++) {
		names[i] = strcmp(files[i], "-") == 0 ?
		    strdup(STDIN_NAME) : display_name(files[i]);
		if (names[i] == NULL)
			return -1;
		rc |= read_input(r, files[i], names[i], err);
	}
	return rc;
}

/* Prints the report; 1 when it is incomplete or could not be written. */
static int
finish(struct report *r, bool json, FILE *out, FILE *err)
{
	int rc = 0;

	if ((json ? report_print_json(r, out) : report_print_text(r, out)) ==
	    -1) {
		fprintf(err, "mtasts-milter: -r: out of memory\n");
		rc = 1;
	}
	if (r->untracked > 0)
		fprintf(err, "mtasts-milter: -r: %s: %llu decisions not "
		    "grouped\n", r->nomem ? "out of memory" :
		    "too many distinct names", r->untracked);
	if (r->nomem)
		rc = 1;
	if (fflush(out) == EOF || ferror(out)) {
		fprintf(err, "mtasts-milter: -r: write error: %s\n",
		    strerror(errno));
		rc = 1;
	}
	return rc;
}

int
report_run(char *const *files, int nfiles, bool json, FILE *out, FILE *err)
{
	static char dash[] = "-";
	char *const stdin_file[] = { dash };
	struct report *r;
	char **names;
	int rc;

	if (nfiles <= 0) {
		files = stdin_file;
		nfiles = 1;
	}
	r = report_new();
	names = calloc((size_t)nfiles, sizeof(*names));
	if (r == NULL || names == NULL ||
	    (rc = read_all(r, files, nfiles, names, err)) == -1) {
		fprintf(err, "mtasts-milter: -r: out of memory\n");
		report_free(r, names, nfiles);
		return 1;
	}
	rc |= finish(r, json, out, err);
	report_free(r, names, nfiles);
	return rc;
}
