/*
 * probe_print.c - the verdicts of "mtasts-milter -C" and their output.
 *
 * Details are sanitised once, when added, so both printers can trust
 * them; the JSON printer still escapes quotes and backslashes.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/escape.h"
#include "probe/probe_print.h"
#include "lib/json.h"

static const char *const status_names[] = { "ok", "warn", "fail" };

/* escape.h's plain form; a detail too long ends in "...". */
static void
sanitise(char *dst, size_t dstlen, const char *src)
{
	size_t len = strlen(src), used, o;

	o = escape_bytes(dst, dstlen > 8 ? dstlen - 8 : 0, src, len, 0,
	    &used);
	if (used < len)
		(void)memcpy(dst + o, "...", 4);
	else
		dst[o] = '\0';
}

/* One line; the detail formatted and made safe as probe_report_vadd(). */
void
probe_add(struct probe_report *rep, enum probe_status st, const char *check,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	probe_report_vadd(rep, st, check, fmt, ap);
	va_end(ap);
}

void
probe_report_vadd(struct probe_report *rep, enum probe_status st,
    const char *check, const char *fmt, va_list ap)
{
	struct probe_line *l;
	char raw[PROBE_DETAIL_MAX * 2];

	if (rep->nlines == rep->cap) {
		size_t cap = rep->cap > 0 ? rep->cap * 2 : 16;

		if ((l = reallocarray(rep->lines, cap, sizeof(*l))) == NULL) {
			rep->lost++;
			return;
		}
		rep->lines = l;
		rep->cap = cap;
	}
	l = &rep->lines[rep->nlines++];
	l->status = st;
	l->check = check;
	(void)vsnprintf(raw, sizeof(raw), fmt, ap);
	sanitise(l->detail, sizeof(l->detail), raw);
}

void
probe_report_free(struct probe_report *rep)
{
	free(rep->lines);
	rep->lines = NULL;
	rep->nlines = rep->cap = 0;
}

enum probe_status
probe_report_worst(const struct probe_report *rep)
{
	enum probe_status w = rep->lost > 0 ? PROBE_FAIL : PROBE_OK;
	size_t i;

	/* A line that could not be kept failed the run. */
	for (i = 0; i < rep->nlines && w != PROBE_FAIL; i++)
		w = rep->lines[i].status > w ? rep->lines[i].status : w;
	return w;
}

void
probe_print_text(FILE *out, const struct probe_report *rep, int width)
{
	char dom[300];
	size_t i;

	sanitise(dom, sizeof(dom), rep->domain);
	for (i = 0; i < rep->nlines; i++)
		fprintf(out, "%-4s %-*s  %-8s %s\n",
		    status_names[rep->lines[i].status], width, dom,
		    rep->lines[i].check, rep->lines[i].detail);
	if (rep->lost > 0)
		fprintf(out, "%-4s %-*s  %-8s %zu result lines lost: out of "
		    "memory\n", "fail", width, dom, "internal", rep->lost);
	fflush(out);
}

void
probe_print_json(FILE *out, const struct probe_report *reps, size_t n,
    enum probe_status all)
{
	char dom[300];
	size_t d, i;

	fprintf(out, "{\"result\":\"%s\",\"domains\":[", status_names[all]);
	for (d = 0; d < n; d++) {
		sanitise(dom, sizeof(dom), reps[d].domain);
		fprintf(out, "%s\n{\"domain\":", d > 0 ? "," : "");
		json_string(out, dom);
		fprintf(out, ",\"result\":\"%s\",\"checks\":[",
		    status_names[probe_report_worst(&reps[d])]);
		for (i = 0; i < reps[d].nlines; i++) {
			fprintf(out, "%s{\"check\":\"%s\",\"status\":\"%s\","
			    "\"detail\":", i > 0 ? "," : "",
			    reps[d].lines[i].check,
			    status_names[reps[d].lines[i].status]);
			json_string(out, reps[d].lines[i].detail);
			putc('}', out);
		}
		if (reps[d].lost > 0)
			fprintf(out, "%s{\"check\":\"internal\",\"status\":"
			    "\"fail\",\"detail\":\"%zu result lines lost: out "
			    "of memory\"}", reps[d].nlines > 0 ? "," : "",
			    reps[d].lost);
		fprintf(out, "]}");
	}
	fprintf(out, "]}\n");
	fflush(out);
}
