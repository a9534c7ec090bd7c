/*
 * pyliteral.c - a bounded evaluator for the Python literal subset used by
 * the conformance corpus; see pyliteral.h for the accepted grammar:
 *
 *	expr = term *("+" term)
 *	term = atom *("*" atom)
 *	atom = string / integer / "[" [items] "]" / "(" [items] ")"
 *
 * where "(" expr ")" is a grouping and a comma makes a tuple, as in
 * Python.  Recursive descent; every allocation is bounded (pyliteral.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyliteral.h"

struct lexer {
	const char	*p;
	const char	*end;
	int		 depth;
	char		*err;
	size_t		 errlen;
};

static int	parse_expr(struct lexer *, struct pylit *);

static int
fail(struct lexer *lx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(struct lexer *lx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (lx->errlen > 0)
		(void)vsnprintf(lx->err, lx->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

void
pylit_free(struct pylit *v)
{
	size_t i;

	for (i = 0; i < v->nitem; i++)
		pylit_free(&v->item[i]);
	free(v->item);
	free(v->s);
	memset(v, 0, sizeof(*v));
}

static void
skip_ws(struct lexer *lx)
{
	while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t'))
		lx->p++;
}

/* Appends n bytes to the string v, keeping it NUL-terminated. */
static int
str_add(struct lexer *lx, struct pylit *v, const char *d, size_t n)
{
	char *s;

	if (n > PYLIT_MAX_LEN - v->len)
		return fail(lx, "string longer than %d bytes", PYLIT_MAX_LEN);
	if ((s = realloc(v->s, v->len + n + 1)) == NULL)
		return fail(lx, "out of memory");
	memcpy(s + v->len, d, n);
	v->s = s;
	v->len += n;
	v->s[v->len] = '\0';
	return 0;
}

static int
put_utf8(struct lexer *lx, struct pylit *v, unsigned long cp)
{
	char b[4];
	size_t n;

	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return fail(lx, "code point U+%lX cannot be UTF-8", cp);
	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return str_add(lx, v, b, n);
}

/* Exactly ndigits hex digits (or up to 3 octal ones when base is 8). */
static int
escape_number(struct lexer *lx, int base, int ndigits, unsigned long *cp)
{
	int i, d;
	char c;

	*cp = 0;
	for (i = 0; i < ndigits && lx->p < lx->end; i++) {
		c = *lx->p;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (base == 16 && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			break;
		if (d >= base)
			break;
		*cp = *cp * (unsigned long)base + (unsigned long)d;
		lx->p++;
	}
	if (base == 16 && i != ndigits)
		return fail(lx, "truncated \\x, \\u or \\U escape");
	return 0;
}

static int
escape(struct lexer *lx, struct pylit *v)
{
	static const char simple[] = "\\\\''\"\"n\nr\rt\ta\ab\bf\fv\v";
	unsigned long cp;
	const char *m;
	char c;

	if (lx->p >= lx->end)
		return fail(lx, "backslash at the end");
	c = *lx->p;
	for (m = simple; *m != '\0'; m += 2)
		if (m[0] == c) {
			lx->p++;
			return str_add(lx, v, m + 1, 1);
		}
	if (c >= '0' && c <= '7') {
		(void)escape_number(lx, 8, 3, &cp);
		return put_utf8(lx, v, cp);
	}
	if (c == 'x' || c == 'u' || c == 'U') {
		lx->p++;
		if (escape_number(lx, 16, c == 'x' ? 2 : c == 'u' ? 4 : 8,
		    &cp) != 0)
			return -1;
		return put_utf8(lx, v, cp);
	}
	/* Python keeps an unknown escape as it is, backslash included. */
	return str_add(lx, v, "\\", 1);
}

static int
parse_string(struct lexer *lx, struct pylit *v)
{
	char quote = *lx->p++;
	const char *run;

	v->kind = PYLIT_STR;
	if (str_add(lx, v, "", 0) != 0)
		return -1;
	for (;;) {
		for (run = lx->p; lx->p < lx->end && *lx->p != quote &&
		    *lx->p != '\\' && *lx->p != '\n'; lx->p++)
			;
		if (str_add(lx, v, run, (size_t)(lx->p - run)) != 0)
			return -1;
		if (lx->p >= lx->end || *lx->p == '\n')
			return fail(lx, "unterminated string");
		if (*lx->p++ == quote)
			return 0;
		if (escape(lx, v) != 0)
			return -1;
	}
}

static int
parse_int(struct lexer *lx, struct pylit *v)
{
	v->kind = PYLIT_INT;
	while (lx->p < lx->end && *lx->p >= '0' && *lx->p <= '9') {
		v->n = v->n * 10 + (*lx->p++ - '0');
		if (v->n > PYLIT_MAX_LEN)
			return fail(lx, "integer over %d", PYLIT_MAX_LEN);
	}
	return 0;
}

/* Moves item into the list or tuple v. */
static int
append(struct lexer *lx, struct pylit *v, struct pylit *item)
{
	struct pylit *n;

	if (v->nitem >= PYLIT_MAX_ITEMS)
		return fail(lx, "more than %d items", PYLIT_MAX_ITEMS);
	if ((n = reallocarray(v->item, v->nitem + 1, sizeof(*n))) == NULL)
		return fail(lx, "out of memory");
	v->item = n;
	v->item[v->nitem++] = *item;
	memset(item, 0, sizeof(*item));
	return 0;
}

/* The items after the opening bracket, up to and including close. */
static int
parse_items(struct lexer *lx, struct pylit *v, char close)
{
	struct pylit item;

	for (;;) {
		skip_ws(lx);
		if (lx->p < lx->end && *lx->p == close) {
			lx->p++;
			return 0;
		}
		memset(&item, 0, sizeof(item));
		if (parse_expr(lx, &item) != 0 || append(lx, v, &item) != 0) {
			pylit_free(&item);
			return -1;
		}
		skip_ws(lx);
		if (lx->p < lx->end && *lx->p == ',')
			lx->p++;
		else if (lx->p < lx->end && *lx->p == close) {
			lx->p++;
			return 0;
		} else
			return fail(lx, "expected \",\" or \"%c\"", close);
	}
}

/* "(" expr ")" is a grouping; "()" or a comma make a tuple. */
static int
parse_paren(struct lexer *lx, struct pylit *v)
{
	struct pylit first;

	skip_ws(lx);
	v->kind = PYLIT_TUPLE;
	if (lx->p < lx->end && *lx->p == ')') {
		lx->p++;
		return 0;
	}
	memset(&first, 0, sizeof(first));
	if (parse_expr(lx, &first) != 0) {
		pylit_free(&first);
		return -1;
	}
	skip_ws(lx);
	if (lx->p < lx->end && *lx->p == ')') {
		lx->p++;
		*v = first;
		return 0;
	}
	if (lx->p >= lx->end || *lx->p != ',') {
		pylit_free(&first);
		return fail(lx, "expected \",\" or \")\"");
	}
	lx->p++;
	if (append(lx, v, &first) != 0) {
		pylit_free(&first);
		return -1;
	}
	return parse_items(lx, v, ')');
}

static int
parse_atom(struct lexer *lx, struct pylit *v)
{
	int rc;

	skip_ws(lx);
	if (lx->p >= lx->end)
		return fail(lx, "expression ends early");
	if (++lx->depth > PYLIT_MAX_DEPTH)
		return fail(lx, "nested deeper than %d", PYLIT_MAX_DEPTH);
	if (*lx->p == '\'' || *lx->p == '"')
		rc = parse_string(lx, v);
	else if (*lx->p >= '0' && *lx->p <= '9')
		rc = parse_int(lx, v);
	else if (*lx->p == '[') {
		lx->p++;
		v->kind = PYLIT_LIST;
		rc = parse_items(lx, v, ']');
	} else if (*lx->p == '(') {
		lx->p++;
		rc = parse_paren(lx, v);
	} else
		rc = fail(lx, "unexpected \"%.10s\"", lx->p);
	lx->depth--;
	return rc;
}

static int
copy(struct lexer *lx, struct pylit *dst, const struct pylit *src)
{
	struct pylit item;
	size_t i;

	memset(dst, 0, sizeof(*dst));
	dst->kind = src->kind;
	dst->n = src->n;
	if (src->kind == PYLIT_STR)
		return str_add(lx, dst, src->s, src->len);
	for (i = 0; i < src->nitem; i++)
		if (copy(lx, &item, &src->item[i]) != 0 ||
		    append(lx, dst, &item) != 0) {
			pylit_free(&item);
			return -1;
		}
	return 0;
}

/* a + b into a; b is consumed. */
static int
add(struct lexer *lx, struct pylit *a, struct pylit *b)
{
	size_t i;

	if (a->kind != b->kind || a->kind == PYLIT_INT)
		return fail(lx, "\"+\" needs two strings, lists or tuples");
	if (a->kind == PYLIT_STR)
		return str_add(lx, a, b->s, b->len);
	for (i = 0; i < b->nitem; i++)
		if (append(lx, a, &b->item[i]) != 0)
			return -1;
	return 0;
}

/* a * b into a (one of them an integer); b is consumed. */
static int
multiply(struct lexer *lx, struct pylit *a, struct pylit *b)
{
	struct pylit seq, tmp;
	long n, i;
	size_t size;

	if (a->kind == PYLIT_INT && b->kind != PYLIT_INT) {
		tmp = *a;
		*a = *b;
		*b = tmp;
	}
	if (b->kind != PYLIT_INT || a->kind == PYLIT_INT)
		return fail(lx, "\"*\" needs a sequence and an integer");
	n = b->n;
	size = a->kind == PYLIT_STR ? a->len : a->nitem;
	if (n > 0 && size > (size_t)PYLIT_MAX_LEN / (size_t)n)
		return fail(lx, "repetition over %d", PYLIT_MAX_LEN);
	seq = *a;
	memset(a, 0, sizeof(*a));
	a->kind = seq.kind;
	if (a->kind == PYLIT_STR) {
		/* Integers are never negative here (parse_int). */
		if ((a->s = malloc(size * (size_t)n + 1)) == NULL) {
			(void)fail(lx, "out of memory");
			goto fail;
		}
		for (i = 0; i < n; i++)
			memcpy(a->s + (size_t)i * size, seq.s, size);
		a->len = size * (size_t)n;
		a->s[a->len] = '\0';
		n = 0;
	}
	for (i = 0; i < n; i++) {
		if (copy(lx, &tmp, &seq) != 0 || add(lx, a, &tmp) != 0) {
			pylit_free(&tmp);
			goto fail;
		}
		pylit_free(&tmp);
	}
	pylit_free(&seq);
	return 0;
fail:
	pylit_free(&seq);
	return -1;
}

static int
parse_binary(struct lexer *lx, struct pylit *v, char op)
{
	struct pylit rhs;
	int rc;

	if ((op == '*' ? parse_atom(lx, v) : parse_binary(lx, v, '*')) != 0)
		return -1;
	for (;;) {
		skip_ws(lx);
		if (lx->p >= lx->end || *lx->p != op)
			return 0;
		lx->p++;
		memset(&rhs, 0, sizeof(rhs));
		rc = op == '*' ? parse_atom(lx, &rhs) :
		    parse_binary(lx, &rhs, '*');
		if (rc == 0)
			rc = op == '*' ? multiply(lx, v, &rhs) :
			    add(lx, v, &rhs);
		pylit_free(&rhs);
		if (rc != 0)
			return -1;
	}
}

static int
parse_expr(struct lexer *lx, struct pylit *v)
{
	return parse_binary(lx, v, '+');
}

int
pylit_eval(const char *src, size_t len, struct pylit *out, char *err,
    size_t errlen)
{
	struct lexer lx;

	memset(out, 0, sizeof(*out));
	memset(&lx, 0, sizeof(lx));
	lx.p = src;
	lx.end = src + len;
	lx.err = err;
	lx.errlen = errlen;
	if (parse_expr(&lx, out) == 0) {
		skip_ws(&lx);
		if (lx.p == lx.end)
			return 0;
		(void)fail(&lx, "trailing text \"%.10s\"", lx.p);
	}
	pylit_free(out);
	return -1;
}
