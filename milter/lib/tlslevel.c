/*
 * tlslevel.c - TLS protocol version names, ordered (see tlslevel.h).
 */
#include <stddef.h>
#include <string.h>

#include "lib/tlslevel.h"

static const struct {
	const char	*name;
	enum tls_level	 level;
} tls_levels[] = {
	{ "SSLv3", TLSV_SSLV3 },
	{ "TLSv1", TLSV_1_0 },
	{ "TLSv1.0", TLSV_1_0 },
	{ "TLSv1.1", TLSV_1_1 },
	{ "TLSv1.2", TLSV_1_2 },
	{ "TLSv1.3", TLSV_1_3 },
};

enum tls_level
tls_level_parse(const char *v)
{
	size_t i;

	if (v == NULL || v[0] == '\0')
		return TLSV_NONE;
	for (i = 0; i < sizeof(tls_levels) / sizeof(tls_levels[0]); i++)
		if (strcmp(v, tls_levels[i].name) == 0)
			return tls_levels[i].level;
	/* A future "TLSv1.4" or "TLSv2" is newer than every minimum. */
	if (strncmp(v, "TLSv", 4) == 0 && ((v[4] == '1' && v[5] == '.' &&
	    v[6] >= '4' && v[6] <= '9' && v[7] == '\0') ||
	    (v[4] >= '2' && v[4] <= '9' && (v[5] == '\0' || v[5] == '.'))))
		return TLSV_NEWER;
	return TLSV_UNKNOWN;
}

const char *
tls_level_name(enum tls_level l)
{
	size_t i;

	for (i = 0; i < sizeof(tls_levels) / sizeof(tls_levels[0]); i++)
		if (tls_levels[i].level == l)
			return tls_levels[i].name;
	return l == TLSV_NEWER ? "newer" : "";
}
