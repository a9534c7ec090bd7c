/*
 * conf_scan.h - the line of every "key =" statement in a configuration text.
 *
 * Interface: conf_scan() lexes a libconfuse text once; conf_scan_line()
 * answers the line of the last assignment of a key in a section ("" for
 * the top level, the block title for a section); conf_scan_section_line()
 * the line where a titled block opens; conf_scan_duplicate() names a key
 * assigned twice in one section.  Lines are 1-based; 0 means not found.
 *
 * Failure modes: conf_scan() and conf_scan_duplicate() return -1 only
 * when out of memory.
 */
#ifndef MTASTS_CONF_SCAN_H
#define MTASTS_CONF_SCAN_H

#include <stddef.h>

#define CONF_SCAN_NAME_MAX	256
#define CONF_SCAN_SECTION	"{"	/* pseudo key: where a block opens */

struct conf_scan_entry {
	char	section[CONF_SCAN_NAME_MAX];
	char	key[CONF_SCAN_NAME_MAX];
	int	line;
};

struct conf_scan {
	struct conf_scan_entry	*entries;
	size_t			 count;
	int			 unclosed_line;	/* block without "}", or 0 */
};

int	conf_scan(const char *text, struct conf_scan *);
int	conf_scan_line(const struct conf_scan *, const char *section,
	    const char *key);
int	conf_scan_section_line(const struct conf_scan *, const char *section);
/*
 * A key assigned twice in one section, or a block title used twice
 * (key CONF_SCAN_SECTION): 0 and the two entries; 1 when there is none;
 * -1 when out of memory.
 */
int	conf_scan_duplicate(const struct conf_scan *, size_t *first,
	    size_t *second);
void	conf_scan_free(struct conf_scan *);

#endif
