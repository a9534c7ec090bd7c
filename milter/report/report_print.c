/*
 * report_print.c - the rollout report as aligned text or as JSON.
 *
 * Every string printed is already a display token (report_parse.c's
 * rp_canon(), report.c's display_name(), or a validated timestamp), so
 * the text output is one line per row with no raw control bytes; JSON
 * strings are escaped once more (quote, backslash, and defensively any
 * byte outside printable ASCII as \u00XX), so the output is valid JSON
 * (ASCII, hence UTF-8).
 */
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"
#include "lib/json.h"

static const char *const state_names[TS_N] = {
	"TLS", "weak TLS", "plaintext", "unknown"
};
static const char *const state_keys[TS_N] = {
	"tls", "weak", "plaintext", "unknown"
};
static const char *const col_names[RC_N] = {
	"REJECT", "WOULD", "PLAIN", "WEAK", "RTLS", "TEMPFAIL"
};
static const char *const col_keys[RC_N] = {
	"reject", "would_reject", "plaintext", "weak_tls",
	"requiretls_plaintext", "tempfail"
};

/* The columns of a grouped table. */
struct columns {
	const int	*c;
	int		 n;
};
static const int noncompliant_c[] = { RC_REJECT, RC_WOULD_REJECT,
	RC_PLAINTEXT, RC_WEAK_TLS, RC_REQUIRETLS };
static const int downgrade_c[] = { RC_REJECT, RC_TEMPFAIL, RC_WOULD_REJECT };
static const struct columns noncompliant_cols = { noncompliant_c, 5 };
static const struct columns downgrade_cols = { downgrade_c, 3 };

static int
ndigits(unsigned long long v)
{
	int n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

static int
imax(int a, int b)
{
	return a > b ? a : b;
}

static int
where_len(const struct rwhere *w)
{
	if (w->ts[0] != '\0')
		return (int)strlen(w->ts);
	return (int)strlen(w->file) + 1 + ndigits(w->line);
}

static void
print_where(FILE *out, const struct rwhere *w, int width)
{
	if (w->ts[0] != '\0')
		fprintf(out, "%-*s", width, w->ts);
	else
		fprintf(out, "%s:%llu%*s", w->file, w->line,
		    width - where_len(w), "");
}

/* One "  label   N" row of a summary section. */
static void
text_row(FILE *out, const char *label, int lw, unsigned long long n, int nw)
{
	fprintf(out, "  %-*s %*llu\n", lw, label, nw, n);
}

struct widths {
	int	count, by[RC_N], first, last;
};

static void
text_widths(struct rentry *const *v, size_t n, const struct columns *cols,
    struct widths *w)
{
	size_t i;
	int c, k;

	w->count = (int)strlen("COUNT");
	w->first = (int)strlen("FIRST");
	w->last = (int)strlen("LAST");
	for (k = 0; k < cols->n; k++)
		w->by[cols->c[k]] = (int)strlen(col_names[cols->c[k]]);
	for (i = 0; i < n; i++) {
		w->count = imax(w->count, ndigits(v[i]->count));
		for (k = 0; k < cols->n; k++) {
			c = cols->c[k];
			w->by[c] = imax(w->by[c], ndigits(v[i]->by[c]));
		}
		w->first = imax(w->first, where_len(&v[i]->first));
		w->last = imax(w->last, where_len(&v[i]->last));
	}
}

static int
text_group(FILE *out, const char *title, const char *what,
    const struct rtab *t, const struct columns *cols)
{
	struct rentry **v;
	struct widths w;
	size_t n, i;
	int c, k;

	fprintf(out, "\n%s\n", title);
	if (t->n == 0) {
		fprintf(out, "  none\n");
		return 0;
	}
	if ((v = rtab_sorted(t, &n)) == NULL)
		return -1;
	text_widths(v, n, cols, &w);
	fprintf(out, "  %*s", w.count, "COUNT");
	for (k = 0; k < cols->n; k++) {
		c = cols->c[k];
		fprintf(out, "  %*s", w.by[c], col_names[c]);
	}
	fprintf(out, "  %-*s  %-*s  %s\n", w.first, "FIRST", w.last, "LAST",
	    what);
	for (i = 0; i < n; i++) {
		fprintf(out, "  %*llu", w.count, v[i]->count);
		for (k = 0; k < cols->n; k++) {
			c = cols->c[k];
			fprintf(out, "  %*llu", w.by[c], v[i]->by[c]);
		}
		fprintf(out, "  ");
		print_where(out, &v[i]->first, w.first);
		fprintf(out, "  ");
		print_where(out, &v[i]->last, w.last);
		fprintf(out, "  %s\n", v[i]->key);
	}
	free(v);
	return 0;
}

static void
text_input(const struct report *r, FILE *out, int nw)
{
	fprintf(out, "mtasts-milter rollout report\n"
	    "Counts are decisions (log lines): one per transaction, or one "
	    "per recipient\nwhen the milter judged at RCPT TO.\n\nInput\n");
	text_row(out, "files", 18, r->files, nw);
	text_row(out, "unreadable files", 18, r->unreadable, nw);
	text_row(out, "lines", 18, r->lines, nw);
	text_row(out, "decisions", 18, r->decisions, nw);
	text_row(out, "other lines", 18, r->other, nw);
	text_row(out, "malformed lines", 18, r->malformed, nw);
	text_row(out, "  too long", 18, r->toolong, nw);
	if (r->untracked > 0)
		text_row(out, "not grouped", 18, r->untracked, nw);
}

static int
text_tls(const struct report *r, FILE *out, int nw)
{
	struct rentry **v;
	size_t n, i;
	int s;

	fprintf(out, "\nDecisions by TLS state\n");
	for (s = 0; s < TS_N; s++)
		text_row(out, state_names[s], 18, r->state[s], nw);
	fprintf(out, "\nTLS versions\n");
	if (r->versions.n == 0) {
		fprintf(out, "  none\n");
		return 0;
	}
	if ((v = rtab_sorted(&r->versions, &n)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		text_row(out, v[i]->key, 18, v[i]->count, nw);
	free(v);
	return 0;
}

static void
text_actions(const struct report *r, FILE *out, int nw)
{
	char label[64];
	int a, rs;

	fprintf(out, "\nDecisions by action and reason\n");
	for (a = 0; a < ACTION_COUNT; a++)
		for (rs = 0; rs < REASON_COUNT; rs++) {
			if (r->actions[a][rs] == 0)
				continue;
			snprintf(label, sizeof(label), "%-12s %s",
			    action_name((enum action)a),
			    rs == REASON_NONE ? "-" :
			    reason_name((enum reason)rs));
			text_row(out, label, 33, r->actions[a][rs], nw);
		}
	if (r->decisions == 0)
		fprintf(out, "  none\n");
}

int
report_print_text(const struct report *r, FILE *out)
{
	int nw = ndigits(r->lines);

	text_input(r, out, nw);
	if (text_tls(r, out, nw) == -1)
		return -1;
	text_actions(r, out, nw);
	fprintf(out, "\nNon-compliant senders: %llu decisions with action "
	    "reject or would-reject and\nreason plaintext, weak-tls or "
	    "requiretls-plaintext.  REJECT: rejected,\nWOULD: would-reject "
	    "(testing); PLAIN: plaintext, WEAK: weak-tls,\nRTLS: "
	    "requiretls-plaintext.  FIRST and LAST seen in reading order\n"
	    "(FILE:LINE when the line has no timestamp).\n",
	    r->noncompliant);
	if (text_group(out, "By client", "CLIENT", &r->clients,
	    &noncompliant_cols) == -1 ||
	    text_group(out, "By sender domain", "DOMAIN", &r->domains,
	    &noncompliant_cols) == -1)
		return -1;
	if (r->downgrades == 0)
		return 0;
	fprintf(out, "\nDowngrades: %llu decisions with reason downgrade "
	    "(plaintext from a network\nthat has always used TLS: STARTTLS "
	    "stripping?), by client network.\nREJECT: rejected, TEMPFAIL: "
	    "told to retry, WOULD: logged only.\n", r->downgrades);
	return text_group(out, "By client network", "NETWORK", &r->networks,
	    &downgrade_cols);
}

static void
json_where(FILE *out, const char *name, const struct rwhere *w)
{
	fprintf(out, ", \"%s\": {\"file\": ", name);
	json_string(out, w->file);
	fprintf(out, ", \"line\": %llu, \"time\": ", w->line);
	if (w->ts[0] != '\0')
		json_string(out, w->ts);
	else
		fprintf(out, "null");
	putc('}', out);
}

static int
json_group(FILE *out, const char *name, const char *what,
    const struct rtab *t, const struct columns *cols, bool last)
{
	struct rentry **v = NULL;
	size_t n = 0, i;
	int k;

	if (t->n > 0 && (v = rtab_sorted(t, &n)) == NULL)
		return -1;
	fprintf(out, "    \"%s\": [", name);
	for (i = 0; i < n; i++) {
		fprintf(out, "%s\n      {\"%s\": ", i > 0 ? "," : "", what);
		json_string(out, v[i]->key);
		fprintf(out, ", \"count\": %llu", v[i]->count);
		for (k = 0; k < cols->n; k++)
			fprintf(out, ", \"%s\": %llu", col_keys[cols->c[k]],
			    v[i]->by[cols->c[k]]);
		json_where(out, "first_seen", &v[i]->first);
		json_where(out, "last_seen", &v[i]->last);
		putc('}', out);
	}
	fprintf(out, "%s]%s\n", n > 0 ? "\n    " : "", last ? "" : ",");
	free(v);
	return 0;
}

static int
json_versions(const struct report *r, FILE *out)
{
	struct rentry **v = NULL;
	size_t n = 0, i;

	if (r->versions.n > 0 && (v = rtab_sorted(&r->versions, &n)) == NULL)
		return -1;
	fprintf(out, "  \"tls_versions\": [");
	for (i = 0; i < n; i++) {
		fprintf(out, "%s\n    {\"version\": ", i > 0 ? "," : "");
		json_string(out, v[i]->key);
		fprintf(out, ", \"count\": %llu}", v[i]->count);
	}
	fprintf(out, "%s],\n", n > 0 ? "\n  " : "");
	free(v);
	return 0;
}

static void
json_actions(const struct report *r, FILE *out)
{
	int a, rs;
	bool first = true;

	fprintf(out, "  \"actions\": [");
	for (a = 0; a < ACTION_COUNT; a++)
		for (rs = 0; rs < REASON_COUNT; rs++) {
			if (r->actions[a][rs] == 0)
				continue;
			fprintf(out, "%s\n    {\"action\": \"%s\", "
			    "\"reason\": ", first ? "" : ",",
			    action_name((enum action)a));
			if (rs == REASON_NONE)
				fprintf(out, "null");
			else
				json_string(out,
				    reason_name((enum reason)rs));
			fprintf(out, ", \"count\": %llu}", r->actions[a][rs]);
			first = false;
		}
	fprintf(out, "%s],\n", first ? "" : "\n  ");
}

int
report_print_json(const struct report *r, FILE *out)
{
	int s;

	fprintf(out, "{\n  \"report\": \"mtasts-milter rollout\",\n"
	    "  \"unit\": \"decisions\",\n");
	fprintf(out, "  \"input\": {\"files\": %llu, \"unreadable\": %llu, "
	    "\"lines\": %llu, \"decisions\": %llu, \"other\": %llu, "
	    "\"malformed\": %llu, \"too_long\": %llu, \"not_grouped\": "
	    "%llu},\n", r->files, r->unreadable, r->lines, r->decisions,
	    r->other, r->malformed, r->toolong, r->untracked);
	fprintf(out, "  \"tls_state\": {");
	for (s = 0; s < TS_N; s++)
		fprintf(out, "%s\"%s\": %llu", s > 0 ? ", " : "",
		    state_keys[s], r->state[s]);
	fprintf(out, "},\n");
	if (json_versions(r, out) == -1)
		return -1;
	json_actions(r, out);
	fprintf(out, "  \"noncompliant\": {\n    \"decisions\": %llu,\n",
	    r->noncompliant);
	if (json_group(out, "by_client", "client", &r->clients,
	    &noncompliant_cols, false) == -1 ||
	    json_group(out, "by_sender_domain", "domain", &r->domains,
	    &noncompliant_cols, true) == -1)
		return -1;
	fprintf(out, "  },\n  \"downgrades\": {\n    \"decisions\": %llu,\n",
	    r->downgrades);
	if (json_group(out, "by_network", "network", &r->networks,
	    &downgrade_cols, true) == -1)
		return -1;
	fprintf(out, "  }\n}\n");
	return 0;
}
