/*
 * received.c - the Received trace field of a REQUIRETLS transaction.
 *
 * The host name and queue id are filtered to the characters a domain name
 * or an atom may hold, so no macro value can carry CR, LF, ';' or a
 * comment into the trace field.  The date is built by hand in the C
 * locale's English names, as RFC 5322 section 3.3 requires, whatever
 * locale the process runs in.
 */
#include <stdio.h>
#include <string.h>

#include "daemon/received.h"

#define FOLD_AT	78

static void
filter(char *dst, size_t dstlen, const char *src, const char *extra)
{
	size_t o = 0;

	for (; src != NULL && *src != '\0' && o + 1 < dstlen; src++) {
		unsigned char c = (unsigned char)*src;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr(extra, c) != NULL)
			dst[o++] = (char)c;
	}
	dst[o] = '\0';
}

static int
format_date(char *buf, size_t len, const struct tm *tm)
{
	static const char days[7][4] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char months[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
		"Oct", "Nov", "Dec"
	};
	long off = tm->tm_gmtoff / 60;
	char sign = off < 0 ? '-' : '+';

	if (off < 0)
		off = -off;
	if (tm->tm_wday < 0 || tm->tm_wday > 6 || tm->tm_mon < 0 ||
	    tm->tm_mon > 11)
		return -1;
	return snprintf(buf, len, "%s, %d %s %04d %02d:%02d:%02d %c%02ld%02ld",
	    days[tm->tm_wday], tm->tm_mday, months[tm->tm_mon],
	    tm->tm_year + 1900, tm->tm_hour, tm->tm_min, tm->tm_sec, sign,
	    (off / 60) % 100, off % 60);
}

int
received_build(char *buf, size_t buflen, const char *hostname,
    const char *queue_id, const struct tm *tm)
{
	char host[RECEIVED_HOST_MAX + 1], id[RECEIVED_ID_MAX + 1], date[64];
	const char *sep1, *sep2;
	size_t head, tail;
	int n;

	if (buflen > 0)
		buf[0] = '\0';
	filter(host, sizeof(host), hostname, ".-");
	filter(id, sizeof(id), queue_id, ".-_");
	if (host[0] == '\0')
		(void)snprintf(host, sizeof(host), "localhost");
	if (id[0] == '\0')
		(void)snprintf(id, sizeof(id), "NOQUEUE");
	if (format_date(date, sizeof(date), tm) < 0)
		return -1;
	/*
	 * Fold only where it keeps "(requiretls) id <id>" on one line, as
	 * readers match it: before "with" and before the date.
	 */
	head = strlen("Received: by ") + strlen(host) +
	    strlen(" (mtasts-milter)");
	tail = strlen(" with ESMTPS (requiretls) id ") + strlen(id) + 1;
	sep1 = " ";
	sep2 = " ";
	if (head + tail + 1 + strlen(date) > FOLD_AT) {
		if (head + tail <= FOLD_AT)
			sep2 = "\n\t";
		else if (8 + tail + strlen(date) <= FOLD_AT)
			sep1 = "\n\t";
		else {
			sep1 = "\n\t";
			sep2 = "\n\t";
		}
	}
	n = snprintf(buf, buflen, "by %s (mtasts-milter)%swith ESMTPS "
	    "(requiretls) id %s;%s%s", host, sep1, id, sep2, date);
	if (n < 0 || (size_t)n >= buflen) {
		if (buflen > 0)
			buf[0] = '\0';
		return -1;
	}
	return n;
}
