/*
 * pyliteral.h - a bounded evaluator for the Python literal subset used by
 * the conformance corpus (tests/unit/data/conformance/README.md).
 *
 * Interface: pylit_eval() evaluates one expression made of string literals
 * (single or double quotes, Python escapes: \\ \' \" \n \r \t \a \b \f \v,
 * \0-\777 octal, \xHH, \uHHHH, \UHHHHHHHH), non-negative integer literals,
 * list [..] and tuple (..) literals, parentheses, "+" (str + str, list +
 * list, tuple + tuple) and "*" (str, list or tuple times an integer, either
 * side).  Strings come out UTF-8 encoded (a Python str encoded as UTF-8),
 * so "\xe9" is two bytes and "\x00" is one NUL byte.  pylit_free()
 * releases a value.
 *
 * Bounds: a string or list grows to at most PYLIT_MAX_LEN bytes or
 * PYLIT_MAX_ITEMS items, nesting to PYLIT_MAX_DEPTH, integers to
 * PYLIT_MAX_LEN.  Anything else (names, calls, other operators, a value
 * over a bound, trailing text) is an error.
 *
 * Failure modes: -1 with a one-line reason in err, and *out left empty.
 * No global state.
 */
#ifndef MTASTS_PYLITERAL_H
#define MTASTS_PYLITERAL_H

#include <stddef.h>

#define PYLIT_MAX_LEN	(1024 * 1024)
#define PYLIT_MAX_ITEMS	256
#define PYLIT_MAX_DEPTH	16

enum pylit_kind {
	PYLIT_NONE = 0,
	PYLIT_STR,
	PYLIT_INT,
	PYLIT_LIST,
	PYLIT_TUPLE
};

struct pylit {
	enum pylit_kind	 kind;
	char		*s;		/* PYLIT_STR: len bytes, NUL added */
	size_t		 len;
	long		 n;		/* PYLIT_INT */
	struct pylit	*item;		/* PYLIT_LIST, PYLIT_TUPLE */
	size_t		 nitem;
};

int	pylit_eval(const char *src, size_t len, struct pylit *out, char *err,
	    size_t errlen);
void	pylit_free(struct pylit *);

#endif
