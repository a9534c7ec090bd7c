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
#include "core/conf_lex.h"
#include "core/conf_values.h"

#define BLOCK_VALUE_MAX	4096

/* The current token as a new string. */
static char *
token_copy(const struct conf_lexer *lx)
{
	char *s;

	if ((s = malloc(lx->len + 1)) == NULL)
		return NULL;
	memcpy(s, lx->tok, lx->len);
	s[lx->len] = '\0';
	return s;
}

static void
blank(char *from, const char *to)
{
	for (; from < to; from++)
		if (*from != '\n')
			*from = ' ';
}

static int
set_value(struct conf_lexer *lx, struct load_ctx *ctx, struct conf_block *b,
    char **slot, int *slot_line, const char *key, int key_line)
{
	enum conf_tok t = conf_lex(lx);

	if (*slot != NULL) {
		load_error(ctx, key_line, "\"%s\" is set twice (first on line "
		    "%d)", key, *slot_line);
		return -1;
	}
	if (t != CT_EQ) {
		load_error(ctx, key_line, "domain \"%s\": expected '=' after "
		    "%s", b->title, key);
		return -1;
	}
	t = conf_lex(lx);
	if ((t != CT_WORD && t != CT_STRING) || lx->len > BLOCK_VALUE_MAX) {
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
parse_body(struct conf_lexer *lx, struct load_ctx *ctx, struct conf_block *b)
{
	char key[32];
	enum conf_tok t;
	int line;

	for (;;) {
		t = conf_lex(lx);
		if (t == CT_CLOSE)
			return 0;
		if (t == CT_END) {
			load_error(ctx, b->line, "block opened here has no "
			    "closing \"}\"");
			return -1;
		}
		if (t != CT_WORD) {
			load_error(ctx, lx->tokline, "domain \"%s\": syntax "
			    "error", b->title);
			return -1;
		}
		line = lx->tokline;
		if (conf_lex_is(lx, "mode")) {
			if (set_value(lx, ctx, b, &b->mode, &b->mode_line,
			    "mode", line) != 0)
				return -1;
		} else if (conf_lex_is(lx, "policy_file")) {
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
take_block(struct conf_lexer *lx, char *start, struct conf_blocks *bs,
    struct load_ctx *ctx)
{
	struct conf_lexer save = *lx;
	struct conf_block *b;
	enum conf_tok t;

	t = conf_lex(lx);
	if ((t != CT_WORD && t != CT_STRING) || lx->len > BLOCK_VALUE_MAX ||
	    lx->escaped ||
	    conf_lex(&(struct conf_lexer){ .p = lx->p }) != CT_OPEN) {
		*lx = save;	/* libconfuse will say what is wrong */
		return 0;
	}
	if ((b = new_block(bs)) == NULL || (b->title = token_copy(lx)) ==
	    NULL) {
		load_error(ctx, lx->tokline, "out of memory");
		return -1;
	}
	b->line = lx->tokline;
	(void)conf_lex(lx);		/* the '{' */
	if (parse_body(lx, ctx, b) != 0)
		return -1;
	blank(start, lx->p);
	return 0;
}

int
conf_blocks_extract(char *text, struct conf_blocks *bs, struct load_ctx *ctx)
{
	struct conf_lexer lx;
	enum conf_tok t, last = CT_END;
	int depth = 0;
	bool in_list = false;
	char *start;

	memset(bs, 0, sizeof(*bs));
	conf_lex_init(&lx, text);
	for (;;) {
		conf_lex_skip(&lx);
		start = text + (lx.p - text);	/* the same byte, writable */
		if ((t = conf_lex(&lx)) == CT_END)
			return 0;
		if (t == CT_WORD && depth == 0 && !in_list && last != CT_EQ &&
		    last != CT_PLUSEQ && conf_lex_is(&lx, "domain")) {
			if (take_block(&lx, start, bs, ctx) != 0)
				return -1;
			last = CT_CLOSE;
			continue;
		}
		if (t == CT_OPEN && (last == CT_EQ || last == CT_PLUSEQ))
			in_list = true;
		else if (t == CT_CLOSE && in_list)
			in_list = false;
		else if (t == CT_OPEN)
			depth++;
		else if (t == CT_CLOSE && depth > 0)
			depth--;
		last = t;
	}
}

static void
block_free(struct conf_block *b)
{
	free(b->title);
	free(b->mode);
	free(b->policy_file);
}

void
conf_blocks_free(struct conf_blocks *bs)
{
	size_t i;

	for (i = 0; i < bs->count; i++)
		block_free(&bs->v[i]);
	free(bs->v);
	memset(bs, 0, sizeof(*bs));
}
