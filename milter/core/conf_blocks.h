/*
 * conf_blocks.h - domain blocks, read without libconfuse.
 *
 * libconfuse looks up an existing section by title with a linear search
 * for every titled section it parses, and keeps about 1 KiB per section:
 * 100,000 domain blocks would take minutes and some 90 MiB.  So the
 * domain blocks never reach it: conf_blocks_extract() finds every
 * top-level 'domain "TITLE" { key = value ... }' in the text, records its
 * title, keys and lines, and blanks the block out of the text (newlines
 * kept, so libconfuse still reports the right line for everything else).
 * Linear in the size of the text.
 *
 * A block holds only "mode" and "policy_file" (each at most once), values
 * quoted or bare words without backslash escapes.
 *
 * Failure modes: returns -1 after reporting the problem through
 * load_error() (unknown key, key set twice, missing "}", syntax, out of
 * memory); the text is then left partly blanked and must not be parsed.
 */
#ifndef MTASTS_CONF_BLOCKS_H
#define MTASTS_CONF_BLOCKS_H

#include <stddef.h>

struct load_ctx;

struct conf_block {
	char	*title;		/* as written, NUL-terminated copy */
	int	 line;		/* of the title */
	char	*mode;		/* NULL when not set */
	int	 mode_line;
	char	*policy_file;	/* NULL when not set */
	int	 policy_file_line;
};

struct conf_blocks {
	struct conf_block	*v;
	size_t			 count;
	size_t			 cap;
};

int	conf_blocks_extract(char *text, struct conf_blocks *,
	    struct load_ctx *);
void	conf_blocks_free(struct conf_blocks *);

#endif
