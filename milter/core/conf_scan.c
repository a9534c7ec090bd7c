/*
 * conf_scan.c - where each key of a configuration text is assigned.
 *
 * libconfuse reports syntax errors with a line number, but when a value is
 * validated after parsing it no longer knows the line, and its validation
 * callbacks run after the lexer has read ahead.  This small lexer walks the
 * same text once and records, for every "key =" statement, the section it
 * is in and its line, so every error can say FILE:LINE.  It also finds keys
 * given twice in one section, which libconfuse would silently let the last
 * one win.
 *
 * Failure modes: none; text that does not lex is left to libconfuse to
 * report.  Memory is bounded by the number of statements.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/conf_scan.h"

enum tok { T_END, T_WORD, T_STRING, T_EQ, T_OPEN, T_CLOSE, T_OTHER };

struct lexer {
	const char	*p;
	int		 line;
	char		 word[CONF_SCAN_NAME_MAX];
};

static void
skip_space_and_comments(struct lexer *lx)
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

static void
copy_word(struct lexer *lx, const char *start, size_t len)
{
	if (len >= sizeof(lx->word))
		len = sizeof(lx->word) - 1;
	memcpy(lx->word, start, len);
	lx->word[len] = '\0';
}

static enum tok
lex_string(struct lexer *lx)
{
	char quote = *lx->p++;
	const char *start = lx->p;

	while (*lx->p != '\0' && *lx->p != quote) {
		if (*lx->p == '\\' && lx->p[1] != '\0')
			lx->p++;
		if (*lx->p == '\n')
			lx->line++;
		lx->p++;
	}
	copy_word(lx, start, (size_t)(lx->p - start));
	if (*lx->p != '\0')
		lx->p++;
	return T_STRING;
}

static enum tok
lex(struct lexer *lx)
{
	const char *start;

	skip_space_and_comments(lx);
	switch (*lx->p) {
	case '\0':
		return T_END;
	case '"':
	case '\'':
		return lex_string(lx);
	case '=':
		lx->p++;
		return T_EQ;
	case '+':
		lx->p++;
		if (*lx->p == '=')
			lx->p++;
		return T_EQ;
	case '{':
		lx->p++;
		return T_OPEN;
	case '}':
		lx->p++;
		return T_CLOSE;
	default:
		break;
	}
	if (strchr(",()", *lx->p) != NULL) {
		lx->p++;
		return T_OTHER;
	}
	start = lx->p;
	while (*lx->p != '\0' && !isspace((unsigned char)*lx->p) &&
	    strchr("=+{},()\"'#", *lx->p) == NULL)
		lx->p++;
	copy_word(lx, start, (size_t)(lx->p - start));
	return T_WORD;
}

static int
record(struct conf_scan *cs, const char *section, const char *key, int line)
{
	struct conf_scan_entry *n;
	size_t cap;

	/* Doubling at each power of two: linear, not one copy per entry. */
	if (cs->count < 16 || (cs->count & (cs->count - 1)) == 0) {
		cap = cs->count < 16 ? 16 : cs->count * 2;
		n = reallocarray(cs->entries, cap, sizeof(*n));
		if (n == NULL)
			return -1;
		cs->entries = n;
	}
	n = cs->entries + cs->count++;
	(void)snprintf(n->section, sizeof(n->section), "%s", section);
	(void)snprintf(n->key, sizeof(n->key), "%s", key);
	n->line = line;
	return 0;
}

int
conf_scan(const char *text, struct conf_scan *cs)
{
	struct lexer lx = { text, 1, "" };
	char section[CONF_SCAN_NAME_MAX] = "", prev[CONF_SCAN_NAME_MAX] = "";
	enum tok t, last = T_END;
	int depth = 0, prev_line = 0, open_line = 0, rc = 0;
	bool in_list = false;

	memset(cs, 0, sizeof(*cs));
	while (rc == 0 && (t = lex(&lx)) != T_END) {
		if (t == T_EQ && last == T_WORD && depth <= 1)
			rc = record(cs, depth == 1 ? section : "", prev,
			    prev_line);
		else if (t == T_OPEN && last == T_EQ)
			in_list = true;
		else if (t == T_CLOSE && in_list)
			in_list = false;
		else if (t == T_OPEN && ++depth == 1) {
			/* 'domain "title" {': prev holds the title. */
			(void)snprintf(section, sizeof(section), "%s", prev);
			rc = record(cs, section, CONF_SCAN_SECTION, prev_line);
			open_line = prev_line;
		} else if (t == T_CLOSE && depth > 0)
			depth--;
		if (t == T_WORD || t == T_STRING) {
			(void)snprintf(prev, sizeof(prev), "%s", lx.word);
			prev_line = lx.line;
		}
		last = t;
	}
	cs->unclosed_line = depth > 0 ? open_line : 0;
	return rc;
}

int
conf_scan_line(const struct conf_scan *cs, const char *section,
    const char *key)
{
	size_t i;
	int line = 0;

	/* The last assignment is the one in force. */
	for (i = 0; i < cs->count; i++)
		if (strcmp(cs->entries[i].section, section) == 0 &&
		    strcmp(cs->entries[i].key, key) == 0)
			line = cs->entries[i].line;
	return line;
}

int
conf_scan_section_line(const struct conf_scan *cs, const char *section)
{
	return conf_scan_line(cs, section, CONF_SCAN_SECTION);
}

void
conf_scan_free(struct conf_scan *cs)
{
	free(cs->entries);
	memset(cs, 0, sizeof(*cs));
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct conf_scan_entry *x = *(const struct conf_scan_entry *const *)a;
	const struct conf_scan_entry *y = *(const struct conf_scan_entry *const *)b;
	int c;

	if ((c = strcmp(x->section, y->section)) != 0)
		return c;
	if ((c = strcmp(x->key, y->key)) != 0)
		return c;
	return (x > y) - (x < y);	/* keep file order */
}

int
conf_scan_duplicate(const struct conf_scan *cs, size_t *first, size_t *second)
{
	const struct conf_scan_entry **v;
	size_t i;
	int rc = 1;

	if (cs->count < 2)
		return 1;
	if ((v = calloc(cs->count, sizeof(const struct conf_scan_entry *))) ==
	    NULL)
		return -1;
	for (i = 0; i < cs->count; i++)
		v[i] = &cs->entries[i];
	/* Sorting keeps this O(n log n) even for a hostile file. */
	qsort(v, cs->count, sizeof(const struct conf_scan_entry *), entry_cmp);
	for (i = 0; i + 1 < cs->count; i++)
		if (entry_cmp(&v[i], &v[i + 1]) != 0 &&
		    strcmp(v[i]->section, v[i + 1]->section) == 0 &&
		    strcmp(v[i]->key, v[i + 1]->key) == 0) {
			*first = (size_t)(v[i] - cs->entries);
			*second = (size_t)(v[i + 1] - cs->entries);
			rc = 0;
			break;
		}
	free(v);
	return rc;
}
