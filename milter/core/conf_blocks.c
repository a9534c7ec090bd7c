/*
 * conf_blocks.c - cuts the domain blocks out of a configuration text.
 *
 * The lexer follows libconfuse's (and conf_scan's) rules: '#', '//' and
 * C comments, single- and double-quoted strings, bare words, '=', '+=',
 * braces.  Only a "domain" word in key position at the top level, outside
 * a list, followed by a title and '{', starts a block; any other text is
 * left alone for libconfuse to parse.  Titles and values are bounded by
 * BLOCK_VALUE_MAX bytes.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf_blocks.h"
#include "core/conf_values.h"

#define BLOCK_VALUE_MAX	4096

enum btok { B_END, B_WORD, B_STRING, B_EQ, B_PLUSEQ, B_OPEN, B_CLOSE,
	B_OTHER };

struct blexer {
	char		*p;
	int		 line;
	const char	*tok;		/* word or string contents */
	size_t		 len;
	bool		 escaped;	/* string holds a backslash */
	int		 tokline;
};

static void
skip_blank(struct blexer *lx)
{
	for (;;) {
		if (*lx->p == '\n') {
			lx->line++;
			lx->p++;
		} else if (isspace((unsigned char)*lx->p))
			lx->p++;
		else if (*lx->p == '#' || (lx->p[0] == '/' && lx->p[1] == '/'))
			while (*lx->p != '\0' && *lx->p != '\n')
				lx->p++;
		else if (lx->p[0] == '/' && lx->p[1] == '*') {
			lx->p += 2;
			while (*lx->p != '\0' && !(lx->p[0] == '*' &&
			    lx->p[1] == '/')) {
				if (*lx->p == '\n')
					lx->line++;
				lx->p++;
			}
			if (*lx->p != '\0')
				lx->p += 2;
		} else
			return;
	}
}

static enum btok
lex_quoted(struct blexer *lx)
{
	char quote = *lx->p++;

	lx->tok = lx->p;
	lx->escaped = false;
	while (*lx->p != '\0' && *lx->p != quote) {
		if (*lx->p == '\\' && lx->p[1] != '\0') {
			lx->escaped = true;
			lx->p++;
		}
		if (*lx->p == '\n')
			lx->line++;
		lx->p++;
	}
	lx->len = (size_t)(lx->p - lx->tok);
	if (*lx->p != '\0')
		lx->p++;
	return B_STRING;
}

static enum btok
blex(struct blexer *lx)
{
	skip_blank(lx);
	lx->tokline = lx->line;
	lx->escaped = false;
	switch (*lx->p) {
	case '\0':
		return B_END;
	case '"':
	case '\'':
		return lex_quoted(lx);
	case '=':
		lx->p++;
		return B_EQ;
	case '{':
		lx->p++;
		return B_OPEN;
	case '}':
		lx->p++;
		return B_CLOSE;
	case '+':
		lx->p++;
		if (*lx->p != '=')
			return B_OTHER;
		lx->p++;
		return B_PLUSEQ;
	default:
		break;
	}
	if (strchr(",()", *lx->p) != NULL) {
		lx->p++;
		return B_OTHER;
	}
	lx->tok = lx->p;
	while (*lx->p != '\0' && !isspace((unsigned char)*lx->p) &&
	    strchr("=+{},()\"'#", *lx->p) == NULL)
		lx->p++;
	lx->len = (size_t)(lx->p - lx->tok);
	return B_WORD;
}

static char *
token_copy(const struct blexer *lx)
{
	char *s;

	if ((s = malloc(lx->len + 1)) == NULL)
		return NULL;
	memcpy(s, lx->tok, lx->len);
	s[lx->len] = '\0';
	return s;
}

static bool
token_is(const struct blexer *lx, const char *word)
{
	return lx->len == strlen(word) && memcmp(lx->tok, word, lx->len) == 0;
}

static void
blank(char *from, const char *to)
{
	for (; from < to; from++)
		if (*from != '\n')
			*from = ' ';
}

static int
set_value(struct blexer *lx, struct load_ctx *ctx, struct conf_block *b,
    char **slot, int *slot_line, const char *key, int key_line)
{
	enum btok t = blex(lx);

	if (*slot != NULL) {
		load_error(ctx, key_line, "\"%s\" is set twice (first on line "
		    "%d)", key, *slot_line);
		return -1;
	}
	if (t != B_EQ) {
		load_error(ctx, key_line, "domain \"%s\": expected '=' after "
		    "%s", b->title, key);
		return -1;
	}
	t = blex(lx);
	if ((t != B_WORD && t != B_STRING) || lx->len > BLOCK_VALUE_MAX) {
		load_error(ctx, key_line, "domain \"%s\": %s needs a value",
		    b->title, key);
		return -1;
	}
	if (lx->escaped) {
		load_error(ctx, key_line, "domain \"%s\": %s: backslash escapes "
		    "are not allowed here", b->title, key);
		return -1;
	}
	if ((*slot = token_copy(lx)) == NULL) {
		load_error(ctx, key_line, "out of memory");
		return -1;
	}
	*slot_line = key_line;
	return 0;
}

/* After the '{': statements up to the '}'. */
static int
parse_body(struct blexer *lx, struct load_ctx *ctx, struct conf_block *b)
{
	char key[32];
	enum btok t;
	int line;

	for (;;) {
		t = blex(lx);
		if (t == B_CLOSE)
			return 0;
		if (t == B_END) {
			load_error(ctx, b->line, "block opened here has no "
			    "closing \"}\"");
			return -1;
		}
		if (t != B_WORD) {
			load_error(ctx, lx->tokline, "domain \"%s\": syntax "
			    "error", b->title);
			return -1;
		}
		line = lx->tokline;
		if (token_is(lx, "mode")) {
			if (set_value(lx, ctx, b, &b->mode, &b->mode_line,
			    "mode", line) != 0)
				return -1;
		} else if (token_is(lx, "policy_file")) {
			if (set_value(lx, ctx, b, &b->policy_file,
			    &b->policy_file_line, "policy_file", line) != 0)
				return -1;
		} else {
			(void)snprintf(key, sizeof(key), "%.*s",
			    (int)(lx->len < 31 ? lx->len : 31), lx->tok);
			load_error(ctx, line, "no such option '%s'", key);
			return -1;
		}
	}
}

static struct conf_block *
new_block(struct conf_blocks *bs)
{
	struct conf_block *n;
	size_t cap;

	if (bs->count == bs->cap) {
		cap = bs->cap == 0 ? 64 : bs->cap * 2;
		if ((n = reallocarray(bs->v, cap, sizeof(*n))) == NULL)
			return NULL;
		bs->v = n;
		bs->cap = cap;
	}
	n = &bs->v[bs->count++];
	memset(n, 0, sizeof(*n));
	return n;
}

/* At 'domain': title and '{' follow, else this is not a block for us. */
static int
take_block(struct blexer *lx, char *start, struct conf_blocks *bs,
    struct load_ctx *ctx)
{
	struct blexer save = *lx;
	struct conf_block *b;
	enum btok t;

	t = blex(lx);
	if ((t != B_WORD && t != B_STRING) || lx->len > BLOCK_VALUE_MAX ||
	    lx->escaped || blex(&(struct blexer){ .p = lx->p }) != B_OPEN) {
		*lx = save;	/* libconfuse will say what is wrong */
		return 0;
	}
	if ((b = new_block(bs)) == NULL || (b->title = token_copy(lx)) ==
	    NULL) {
		load_error(ctx, lx->tokline, "out of memory");
		return -1;
	}
	b->line = lx->tokline;
	(void)blex(lx);		/* the '{' */
	if (parse_body(lx, ctx, b) != 0)
		return -1;
	blank(start, lx->p);
	return 0;
}

int
conf_blocks_extract(char *text, struct conf_blocks *bs, struct load_ctx *ctx)
{
	struct blexer lx = { .p = text, .line = 1 };
	enum btok t, last = B_END;
	int depth = 0;
	bool in_list = false;
	char *start;

	memset(bs, 0, sizeof(*bs));
	for (;;) {
		skip_blank(&lx);
		start = lx.p;
		if ((t = blex(&lx)) == B_END)
			return 0;
		if (t == B_WORD && depth == 0 && !in_list && last != B_EQ &&
		    last != B_PLUSEQ && token_is(&lx, "domain")) {
			if (take_block(&lx, start, bs, ctx) != 0)
				return -1;
			last = B_CLOSE;
			continue;
		}
		if (t == B_OPEN && (last == B_EQ || last == B_PLUSEQ))
			in_list = true;
		else if (t == B_CLOSE && in_list)
			in_list = false;
		else if (t == B_OPEN)
			depth++;
		else if (t == B_CLOSE && depth > 0)
			depth--;
		last = t;
	}
}

void
conf_blocks_free(struct conf_blocks *bs)
{
	size_t i;

	for (i = 0; i < bs->count; i++) {
		free(bs->v[i].title);
		free(bs->v[i].mode);
		free(bs->v[i].policy_file);
	}
	free(bs->v);
	memset(bs, 0, sizeof(*bs));
}
