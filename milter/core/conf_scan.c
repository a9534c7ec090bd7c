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

#include "core/conf_lex.h"
#include "core/conf_scan.h"

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
	struct conf_lexer lx;
	char section[CONF_SCAN_NAME_MAX] = "", prev[CONF_SCAN_NAME_MAX] = "";
	enum conf_tok t, last = CT_END;
	int depth = 0, prev_line = 0, open_line = 0, rc = 0;
	bool in_list = false;

	memset(cs, 0, sizeof(*cs));
	conf_lex_init(&lx, text);
	while (rc == 0 && (t = conf_lex(&lx)) != CT_END) {
		if (t == CT_PLUSEQ)
			t = CT_EQ;		/* "key += value" sets key too */
		if (t == CT_EQ && last == CT_WORD && depth <= 1)
			rc = record(cs, depth == 1 ? section : "", prev,
			    prev_line);
		else if (t == CT_OPEN && last == CT_EQ)
			in_list = true;
		else if (t == CT_CLOSE && in_list)
			in_list = false;
		else if (t == CT_OPEN && ++depth == 1) {
			/* 'domain "title" {': prev holds the title. */
			(void)snprintf(section, sizeof(section), "%s", prev);
			rc = record(cs, section, CONF_SCAN_SECTION, prev_line);
			open_line = prev_line;
		} else if (t == CT_CLOSE && depth > 0)
			depth--;
		if (t == CT_WORD || t == CT_STRING) {
			(void)snprintf(prev, sizeof(prev), "%.*s",
			    (int)(lx.len < sizeof(prev) ? lx.len :
			    sizeof(prev) - 1), lx.tok);
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
