/*
 * strv.h - arrays of malloc'ed strings.
 *
 * Interface:
 *	strv_free() frees v[0..n) and then v itself; v may be NULL (n is
 *	then ignored), an element may be NULL.
 *
 * Failure modes: none.
 */
#ifndef MTASTS_STRV_H
#define MTASTS_STRV_H

#include <stddef.h>

void	 strv_free(char **v, size_t n);

#endif
