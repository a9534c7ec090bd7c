/*
 * history_rule.h - downgrade protection: which client network a history
 * entry is kept for, and when a network counts as protected.
 *
 * Pure code, no I/O.  The store (history.h) keeps one struct
 * history_entry per client network; this module names the network and
 * judges the entry.
 *
 * Interface:
 *	history_key() turns a client address into its network's key,
 *	"192.0.2.0/24" or "2001:db8:1200::/56" (the prefix lengths are
 *	history_prefix_v4/_v6), so every address of a network shares one
 *	entry.  history_entry_protected() applies the rule: at least min_tls
 *	TLS transactions, and no accepted plaintext transaction within the
 *	window.  history_entry_record() adds one transaction to an entry.
 *	history_entry_encode()/decode() give the fixed 48-byte stored form.
 *
 * Failure modes: history_key() returns false for anything that is not an
 * IPv4 or IPv6 address (the transaction is then neither recorded nor
 * judged); decode() returns false for a value of the wrong size.
 */
#ifndef MTASTS_HISTORY_RULE_H
#define MTASTS_HISTORY_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define HISTORY_KEY_MAX		64	/* "ffff:...:ffff/128" fits */
#define HISTORY_ENTRY_SIZE	48

struct history_entry {
	uint64_t	tls_count;
	uint64_t	plain_count;
	int64_t		first_tls;	/* unix seconds, 0 = never */
	int64_t		last_tls;
	int64_t		first_plain;
	int64_t		last_plain;
};

struct history_rule {
	long	min_tls;		/* history_min_tls */
	long	window;			/* history_window, seconds */
};

bool	history_key(const struct sockaddr *, int prefix_v4, int prefix_v6,
	    char *buf, size_t len);
bool	history_key_from_string(const char *addr, int prefix_v4,
	    int prefix_v6, char *buf, size_t len);
bool	history_entry_protected(const struct history_entry *,
	    const struct history_rule *, int64_t now);
void	history_entry_record(struct history_entry *, bool tls, int64_t now);
int64_t	history_entry_last_seen(const struct history_entry *);
void	history_entry_encode(const struct history_entry *,
	    unsigned char out[HISTORY_ENTRY_SIZE]);
bool	history_entry_decode(const void *data, size_t len,
	    struct history_entry *);

#endif
