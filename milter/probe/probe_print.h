/*
 * check_print.h - the verdicts of "mtasts-milter -C" and their output.
 *
 * Interface: a struct check_report holds one domain's verdict lines
 * (status, check name, detail).  check_report_vadd() formats a detail and
 * makes it safe to print: bytes outside printable ASCII become \xHH and a
 * backslash is doubled, so a hostile DNS record or HTTP header cannot
 * inject lines or escapes.  check_print_text() writes
 *	ok   example.org  txt      v=STSv1; id=20260101T000000
 * (status padded to 4, the domain padded to width, the check to 8);
 * check_print_json() writes all reports as one JSON document.
 *
 * Failure modes: none; details longer than CHECK_DETAIL_MAX end in "...",
 * lines beyond CHECK_NLINES are dropped.
 */
#ifndef MTASTS_CHECK_PRINT_H
#define MTASTS_CHECK_PRINT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#define CHECK_DETAIL_MAX	480
#define CHECK_NLINES		6

enum check_status {
	CHK_OK = 0,
	CHK_WARN,
	CHK_FAIL
};

struct check_line {
	enum check_status	 status;
	const char		*check;		/* a string literal */
	char			 detail[CHECK_DETAIL_MAX];
};

struct check_report {
	char			 domain[256];
	struct check_line	 lines[CHECK_NLINES];
	size_t			 nlines;
};

void	check_report_vadd(struct check_report *, enum check_status,
	    const char *check, const char *fmt, va_list)
	    __attribute__((format(printf, 4, 0)));
enum check_status check_report_worst(const struct check_report *);
void	check_print_text(FILE *, const struct check_report *, int width);
void	check_print_json(FILE *, const struct check_report *, size_t n,
	    enum check_status all);

#endif
