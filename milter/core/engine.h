/*
 * engine.h - the decision engine: session facts + configuration -> verdict.
 *
 * Pure code: no libmilter calls, no I/O, no global state.  The milter
 * callbacks gather macros into a struct session_facts, call
 * engine_judge_mail() at MAIL FROM and, when it answers VERDICT_PER_RCPT,
 * engine_judge_rcpt() for every RCPT TO.
 *
 * Rules (SPEC section 5):
 *	1. TLS when {tls_version} is non-empty; weak when below min_tls_version
 *	   or min_cipher_bits.  Plaintext and weak are non-compliant.
 *	2. Non-compliant + client in exempt_networks, or authenticated with
 *	   exempt_authenticated: exempt.
 *	3. Mode per recipient domain (".example.org" blocks match subdomains),
 *	   else global.
 *	4. Reject at MAIL FROM only when every recipient would be rejected;
 *	   otherwise each RCPT TO is judged.
 *	5. REQUIRETLS on a session that is not TLS: rejected in every mode.
 *	6. Downgrade: plaintext from a network the TLS history calls
 *	   protected, to a recipient whose mode is not enforce, is logged,
 *	   tempfailed or rejected as the downgrade key says.
 *	7. TLS outage: while the self-check finds this MTA's STARTTLS broken,
 *	   a rejection for plaintext, weak TLS or downgrade becomes the
 *	   outage reply (a temporary failure): the sender is not at fault.
 *
 * Failure modes: none; missing facts count as plaintext, so a lost macro
 * can only make the engine stricter, never more lenient.
 */
#ifndef MTASTS_ENGINE_H
#define MTASTS_ENGINE_H

#include <stdbool.h>
#include <sys/socket.h>

#include "core/conf.h"
#include "lib/decision.h"

enum tls_state {
	TLS_PLAINTEXT = 0,
	TLS_WEAK,
	TLS_OK
};

/* Raw facts as the MTA gave them; any pointer may be NULL. */
struct session_facts {
	const char		*tls_version;	/* {tls_version} */
	const char		*cipher_bits;	/* {cipher_bits} */
	const char		*auth_type;	/* {auth_type} */
	const char		*auth_authen;	/* {auth_authen} */
	const struct sockaddr	*client_sa;	/* from xxfi_connect */
	const char		*client_addr;	/* {client_addr}, fallback */
	bool			 requiretls;	/* MAIL FROM had REQUIRETLS */
	bool			 tls_outage;	/* self-check: our TLS is down */
};

/* What the daemon knows beyond the session when judging a recipient. */
struct rcpt_context {
	bool	network_protected;	/* the TLS history protects it */
	bool	tls_outage;		/* self-check: our TLS is down */
};

struct verdict {
	enum action		 action;
	enum reason		 reason;
	enum sts_mode		 mode;		/* mode that applied */
	const struct reply	*reply;		/* set for REJECT and TEMPFAIL */
	bool			 outage_guard;	/* a reject turned tempfail */
};

enum tls_state	 engine_tls_state(const struct conf *, const char *tls_version,
		    const char *cipher_bits);
struct verdict	 engine_judge_mail(const struct conf *,
		    const struct session_facts *, enum tls_state *tls_out);
struct verdict	 engine_judge_rcpt(const struct conf *, enum tls_state,
		    const char *rcpt);
/*
 * The same with what the daemon knows: a client whose network the TLS
 * history calls protected (rule 6: where the recipient's mode is not
 * enforce, plaintext is a downgrade, handled as the downgrade key says),
 * and whether this MTA's own STARTTLS is down (rule 7).
 */
struct verdict	 engine_judge_rcpt_ctx(const struct conf *, enum tls_state,
		    const struct rcpt_context *, const char *rcpt);
/* The client is exempt (rule 2), whatever its TLS state. */
bool		 engine_client_exempt(const struct conf *,
		    const struct session_facts *);
/* True when a plaintext transaction needs the history (rule 6). */
bool		 engine_wants_history(const struct conf *,
		    const struct verdict *mail);
/* True when every recipient would be rejected (rule 4). */
bool		 engine_rejects_all(const struct conf *);
enum sts_mode	 engine_mode_for_domain(const struct conf *, const char *domain,
		    enum mode_source *, const struct domain_rule **);
bool		 engine_recipient_exempt(const struct conf *, const char *rcpt);
/* Scans MAIL FROM ESMTP arguments (NULL-terminated) for REQUIRETLS. */
bool		 engine_has_requiretls(char *const *args);
/* A TLS-Required header field body that says "No". */
bool		 engine_tls_required_no(const char *value);
/* Extracts the domain of "<local@domain>" into buf (lower case). */
bool		 engine_address_domain(const char *addr, char *buf, size_t len);

#endif
