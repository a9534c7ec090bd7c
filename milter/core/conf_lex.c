/*
 * conf_lex.c - the tokens of a configuration text (conf_lex.h).
 */
#include <ctype.h>
#include <string.h>

#include "core/conf_lex.h"

void
conf_lex_init(struct conf_lexer *lx, const char *text)
{
	memset(lx, 0, sizeof(*lx));
	lx->p = text;
	lx->line = 1;
}

void
conf_lex_skip(struct conf_lexer *lx)
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

static enum conf_tok
lex_quoted(struct conf_lexer *lx)
{
	char quote = *lx->p++;

	lx->tok = lx->p;
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
	return CT_STRING;
}

/* A token of one or two punctuation bytes, or 0 when *p is none. */
static enum conf_tok
lex_punct(struct conf_lexer *lx)
{
	switch (*lx->p) {
	case '=':
		lx->p++;
		return CT_EQ;
	case '{':
		lx->p++;
		return CT_OPEN;
	case '}':
		lx->p++;
		return CT_CLOSE;
	case '+':
		lx->p++;
		if (*lx->p != '=')
			return CT_OTHER;
		lx->p++;
		return CT_PLUSEQ;
	case ',':
	case '(':
	case ')':
		lx->p++;
		return CT_OTHER;
	default:
		return CT_END;
	}
}

enum conf_tok
conf_lex(struct conf_lexer *lx)
{
	enum conf_tok t;

	conf_lex_skip(lx);
	lx->tokline = lx->line;
	lx->escaped = false;
	lx->tok = lx->p;
	lx->len = 0;
	if (*lx->p == '\0')
		return CT_END;
	if (*lx->p == '"' || *lx->p == '\'')
		return lex_quoted(lx);
	if ((t = lex_punct(lx)) != CT_END)
		return t;
	while (*lx->p != '\0' && !isspace((unsigned char)*lx->p) &&
	    strchr("=+{},()\"'#", *lx->p) == NULL)
		lx->p++;
	lx->len = (size_t)(lx->p - lx->tok);
	return CT_WORD;
}

bool
conf_lex_is(const struct conf_lexer *lx, const char *word)
{
	return lx->len == strlen(word) && memcmp(lx->tok, word, lx->len) == 0;
}
