/*
 * strv.c - arrays of malloc'ed strings (strv.h).
 */
#include <stdlib.h>

#include "lib/strv.h"

void
strv_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
