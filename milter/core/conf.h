/*
 * conf.h - the configuration: loading with libconfuse, validation, and
 * reference-counted snapshots for live reload.
 *
 * Interface:
 *	conf_load() parses a file, conf_load_buffer() a string (fuzzing, unit
 *	tests).  Every value is validated while it is parsed; policy files named
 *	by policy_file keys are read and parsed too.  The result is immutable
 *	and reference counted: conf_ref()/conf_unref().  conf_print() writes the
 *	effective policy for "-n".
 *
 *	conf_current() returns a new reference to the snapshot in force;
 *	conf_install() replaces it (the old one lives on until its last
 *	reference goes), so a transaction finishes under the snapshot it began
 *	with and no lock is held across milter I/O.
 *
 * Failure modes: on any error conf_load*() returns NULL and appends one
 * "FILE:LINE: message" line per problem to the errors buffer; nothing is
 * installed.  Warnings (e.g. this host not listed in a policy's mx) are kept
 * in the snapshot and printed by conf_print() and at start-up.
 */
#ifndef MTASTS_CONF_H
#define MTASTS_CONF_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/policy.h"
#include "lib/tlslevel.h"

struct domain_table;
struct netlist;

/* Where a mode came from, for -n and the -C consistency check. */
enum mode_source {
	MODE_FROM_DEFAULT = 0,	/* built-in default */
	MODE_FROM_CONFIG,	/* a mode = ... key */
	MODE_FROM_POLICY	/* a policy_file's mode: line */
};


/* A reply validated for smfi_setreply(): no CR/LF, <= 980 chars, % doubled. */
struct reply {
	char	code[4];
	char	xcode[16];
	char	*text;		/* as given, for -n and logs */
	char	*text_milter;	/* with % doubled, for smfi_setreply() */
};

struct domain_rule {
	char		*name;		/* lower case, without leading dot */
	bool		 subdomains;	/* block was named ".example.org" */
	enum sts_mode	 mode;
	enum mode_source source;
	char		*policy_file;	/* NULL when none */
	struct sts_policy policy;	/* valid when policy_file != NULL */
	int		 line;		/* of the domain block */
	bool		 from_policy_dir; /* policy_file is DIR/DOMAIN/... */
};

/* What a plaintext transaction from a protected network gets. */
enum downgrade_mode {
	DOWNGRADE_OFF = 0,
	DOWNGRADE_LOG,
	DOWNGRADE_TEMPFAIL,
	DOWNGRADE_REJECT
};

/*
 * The history_* keys, in the units the TLS history (milter/history) uses;
 * db and key_prefix are owned by the snapshot.
 */
struct history_config {
	char		*db;		/* history_db */
	char		*key_prefix;	/* history_key_prefix (Redis) */
	long		 redis_timeout_ms;
	int		 prefix_v4;
	int		 prefix_v6;
	long		 min_tls;
	long		 window;	/* seconds (the key is in days) */
	long		 expire;	/* seconds (the key is in days) */
	long		 max_mb;
	bool		 readonly;	/* -H: never write */
};

struct exempt_rcpt {
	char	*local;			/* NULL for "@domain" */
	char	*domain;		/* NULL for "local" (any domain) */
};

struct conf {
	atomic_int	 refs;
	char		*path;		/* file it was loaded from */

	char		*socket;
	enum sts_mode	 mode;
	enum mode_source mode_source;
	char		*policy_file;
	struct sts_policy policy;	/* valid when policy_file != NULL */
	char		*hostname;	/* "" = MTA's {j}, else gethostname() */

	struct reply	 reject;
	enum tls_level	 min_tls_version;
	long		 min_cipher_bits;
	struct netlist	*exempt_networks;
	bool		 exempt_authenticated;
	struct exempt_rcpt *exempt_rcpts;
	size_t		 nexempt_rcpts;

	bool		 requiretls;
	struct reply	 requiretls_reply;

	char		*user;
	char		*pidfile;
	int		 syslog_facility;	/* LOG_MAIL etc. */
	char		*syslog_facility_name;
	int		 log_level;		/* LOG_ERR .. LOG_DEBUG */
	char		*stats_file;
	long		 stats_interval;

	char		*check_resolver;
	char		*check_ca_file;
	char		*check_connect;
	long		 check_timeout;
	char		*check_smtp_connect;	/* "HOST:PORT" or NULL */
	long		 check_smtp_port;
	long		 check_cert_warn_days;

	struct domain_rule *domains;	/* blocks, then policy_dir domains */
	size_t		 ndomains;
	struct domain_table *domain_index;	/* name -> index in domains */
	size_t		 domains_by_mode[3];	/* by enum sts_mode */
	char		*policy_dir;		/* NULL when off */
	size_t		 domains_from_dir;
	size_t		 domains_overridden;	/* dir entries a block beat */
	bool		 policy_watch;

	/* Self-check of the MTA's own STARTTLS (README "When your own TLS
	 * breaks"). */
	char		*self_check;		/* "HOST:PORT", NULL = off */
	long		 self_check_interval;	/* seconds */
	long		 self_check_timeout;	/* seconds */
	char		*self_check_name;	/* NULL: the host name */
	struct reply	 outage_reply;

	/* Downgrade protection (README "Downgrade protection"). */
	enum downgrade_mode downgrade;
	struct reply	 downgrade_reply;	/* for tempfail */
	struct history_config history;		/* the history_* keys */

	char		**warnings;
	size_t		 nwarnings;
};

/* A growable buffer of "FILE:LINE: message\n" lines. */
struct conf_errors {
	char	*text;
	size_t	 len;
	size_t	 count;
};

struct conf	*conf_load(const char *path, struct conf_errors *);
struct conf	*conf_load_buffer(const char *buf, const char *name,
		    struct conf_errors *);
struct conf	*conf_ref(struct conf *);
void		 conf_unref(struct conf *);
void		 conf_errors_free(struct conf_errors *);
void		 conf_print(const struct conf *, FILE *);

/* -p SOCKET: used instead of the socket key by every later load. */
void		 conf_set_socket_override(const char *);

struct conf	*conf_current(void);
void		 conf_install(struct conf *);	/* takes the reference */

/* Effective hostname: the configured one, else mta_j, else gethostname(). */
const char	*conf_hostname(const struct conf *, const char *mta_j,
		    char *buf, size_t buflen);
const char	*downgrade_mode_name(enum downgrade_mode);

#endif
