/*
 * probe_print.h - the verdicts of "mtasts-milter -C" and their output.
 *
 * Interface: a struct probe_report holds one domain's verdict lines
 * (status, check name, detail).  probe_report_vadd() formats a detail and
 * makes it safe to print: bytes outside printable ASCII become \xHH and a
 * backslash is doubled, so a hostile DNS record or HTTP header cannot
 * inject lines or escapes.  probe_print_text() writes
 *	ok   example.org  txt      v=STSv1; id=20260101T000000
 * (status padded to 4, the domain padded to width, the check to 8);
 * probe_print_json() writes all reports as one JSON document.
 *
 * The line list grows as needed (one domain has six checks plus up to
 * three lines per MX host); probe_report_free() releases it.
 *
 * Failure modes: details longer than PROBE_DETAIL_MAX end in "...".  A
 * line that cannot be stored (out of memory) is counted in lost; the
 * report is then a failure and both printers say how many were lost.
 */
#ifndef MTASTS_PROBE_PRINT_H
#define MTASTS_PROBE_PRINT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#define PROBE_DETAIL_MAX	480

enum probe_status {
	PROBE_OK = 0,
	PROBE_WARN,
	PROBE_FAIL
};

struct probe_line {
	enum probe_status	 status;
	const char		*check;		/* a string literal */
	char			 detail[PROBE_DETAIL_MAX];
};

struct probe_report {
	char			 domain[256];
	struct probe_line	*lines;
	size_t			 nlines, cap;
	size_t			 lost;		/* lines not stored: no memory */
};

void	probe_add(struct probe_report *, enum probe_status,
	    const char *check, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
void	probe_report_vadd(struct probe_report *, enum probe_status,
	    const char *check, const char *fmt, va_list)
	    __attribute__((format(printf, 4, 0)));
void	probe_report_free(struct probe_report *);
enum probe_status probe_report_worst(const struct probe_report *);
void	probe_print_text(FILE *, const struct probe_report *, int width);
void	probe_print_json(FILE *, const struct probe_report *, size_t n,
	    enum probe_status all);

#endif
