/*
 * conf_lex.h - the tokens of a libconfuse configuration text, as
 * libconfuse reads them: '#', '//' and C comments, single- and
 * double-quoted strings, bare words, '=', '+=', braces.  Used by the two
 * passes that read a configuration before libconfuse does: conf_scan
 * (the line of every key) and conf_blocks (the domain blocks).
 *
 * Interface: conf_lex() returns the next token; a word's or a string's
 * contents are tok/len (a string without its quotes, escapes not undone:
 * escaped says it holds a backslash); tokline is the line it starts on.
 *
 * Failure modes: none; an unclosed string or comment ends at the end of
 * the text.  The text must be NUL-terminated.
 */
#ifndef MTASTS_CONF_LEX_H
#define MTASTS_CONF_LEX_H

#include <stdbool.h>
#include <stddef.h>

enum conf_tok {
	CT_END = 0,
	CT_WORD,
	CT_STRING,
	CT_EQ,
	CT_PLUSEQ,
	CT_OPEN,
	CT_CLOSE,
	CT_OTHER
};

struct conf_lexer {
	const char	*p;		/* the next byte to read */
	int		 line;		/* of p */
	const char	*tok;
	size_t		 len;
	bool		 escaped;
	int		 tokline;
};

void		 conf_lex_init(struct conf_lexer *, const char *text);
/* Skips blanks and comments: p is then where the next token starts. */
void		 conf_lex_skip(struct conf_lexer *);
enum conf_tok	 conf_lex(struct conf_lexer *);
bool		 conf_lex_is(const struct conf_lexer *, const char *word);

#endif
