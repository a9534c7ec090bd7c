/*
 * tlslevel.h - TLS protocol version names as MTAs report them in the
 * {tls_version} macro ("TLSv1.2"), ordered so they can be compared.
 *
 * Interface: tls_level_parse() maps a name to its level; tls_level_name()
 * maps a level back to its canonical name.
 *
 * Failure modes: none.  NULL or "" is TLSV_NONE; an unknown name is
 * TLSV_UNKNOWN, which sorts below every real version, so an unparsable
 * version never satisfies a minimum.
 */
#ifndef MTASTS_TLSLEVEL_H
#define MTASTS_TLSLEVEL_H

/* TLS protocol versions in order; TLSV_UNKNOWN sorts below everything. */
enum tls_level {
	TLSV_NONE = 0,		/* no minimum configured */
	TLSV_UNKNOWN,
	TLSV_SSLV3,
	TLSV_1_0,
	TLSV_1_1,
	TLSV_1_2,
	TLSV_1_3,
	TLSV_NEWER		/* TLSv1.4 and later: above every minimum */
};

enum tls_level	 tls_level_parse(const char *version);
const char	*tls_level_name(enum tls_level);

#endif
