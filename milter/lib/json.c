/*
 * json.c - JSON string output (json.h).
 */
#include "lib/json.h"

void
json_string(FILE *out, const char *s)
{
	const unsigned char *p;

	putc('"', out);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(out, "\\u%04x", *p);
		else
			putc(*p, out);
	}
	putc('"', out);
}
