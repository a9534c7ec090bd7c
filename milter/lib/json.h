/*
 * json.h - JSON string output for the -C and -r printers.
 *
 * Interface:
 *	json_string() writes s as a quoted JSON string: '"' and '\' are
 *	escaped, every byte outside printable ASCII becomes \u00XX, so the
 *	output is valid JSON and plain ASCII whatever the input bytes are
 *	(a byte of a UTF-8 sequence is written as its own code point).
 *
 * Failure modes: none reported; write errors show in ferror(out).
 */
#ifndef MTASTS_JSON_H
#define MTASTS_JSON_H

#include <stdio.h>

void	 json_string(FILE *out, const char *s);

#endif
