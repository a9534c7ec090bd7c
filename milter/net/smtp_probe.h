/*
 * smtp_probe.h - one SMTP STARTTLS probe of one MX address, as a sending
 * MTA does it (OpenSSL).  Used by "-C" and meant for the daemon's
 * self-check; it neither prints nor logs.
 *
 * Interface: smtp_probe() connects to req->addr (non-blocking, poll),
 * reads the 220 banner, sends "EHLO helo", sends STARTTLS when it is
 * offered, does a TLS 1.2+ handshake with SNI = req->mx, then checks the
 * certificate itself: the chain against ca_file (or the system store),
 * the name with X509_check_host() (SAN DNS names, one wildcard label),
 * the validity dates; with TLSA records (req->tlsa, usage 2 or 3 only)
 * OpenSSL's DANE code (SSL_dane_enable, SSL_dane_tlsa_add) says whether
 * one matches the served chain.  Then EHLO again over TLS (is REQUIRETLS
 * advertised?) and QUIT.  It never sends MAIL.  Everything it learnt is
 * in the result; smtp_probe_result_free() releases the peer chain.
 *
 * Bounds: one deadline (req->deadline_ms, CLOCK_MONOTONIC milliseconds)
 * for the whole probe; connect() alone may be given an earlier one.  Reply
 * lines longer than 1000 bytes or replies over 100 lines are protocol
 * errors (smtp_reply.h); nothing is read beyond a bounded buffer.
 *
 * Threads: reentrant; every call has its own SSL_CTX and socket.  The
 * caller must ignore SIGPIPE (OpenSSL writes with write(2)).
 *
 * Failure modes: every failure is a result, never a crash or a hang:
 * res->error says which kind, res->stage where it stopped, res->err says
 * it in one line (text from the server in it is raw: sanitise it).
 * Certificate problems do not stop the probe: verify, name_match and the
 * dates are recorded and the probe goes on to EHLO and QUIT.
 */
#ifndef MTASTS_SMTP_PROBE_H
#define MTASTS_SMTP_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <sys/socket.h>

#include "net/smtp_reply.h"

struct smtp_tlsa {
	unsigned char		 usage, selector, mtype;
	const unsigned char	*data;
	size_t			 len;
};

struct smtp_probe_request {
	const struct sockaddr_storage	*addr;		/* port set */
	const char			*mx;		/* SNI, names */
	const char			*helo;		/* EHLO argument */
	const char			*ca_file;	/* NULL: system */
	long long			 deadline_ms;	/* whole probe */
	long long			 connect_deadline_ms; /* 0: same */
	const struct smtp_tlsa		*tlsa;		/* DANE records */
	size_t				 ntlsa;
};

enum smtp_stage {
	SMTP_STAGE_CONNECT = 0,
	SMTP_STAGE_BANNER,
	SMTP_STAGE_EHLO,
	SMTP_STAGE_STARTTLS,
	SMTP_STAGE_HANDSHAKE,
	SMTP_STAGE_EHLO_TLS,
	SMTP_STAGE_QUIT,
	SMTP_STAGE_DONE
};

enum smtp_error {
	SMTP_ERR_NONE = 0,
	SMTP_ERR_CONNECT,	/* refused, unreachable */
	SMTP_ERR_TIMEOUT,	/* the deadline passed (in stage) */
	SMTP_ERR_CLOSED,	/* the server closed the connection */
	SMTP_ERR_PROTOCOL,	/* malformed or overlong reply */
	SMTP_ERR_REPLY,		/* a 4xx/5xx (or unexpected) reply */
	SMTP_ERR_NO_STARTTLS,	/* EHLO did not offer STARTTLS */
	SMTP_ERR_TLS,		/* the handshake failed */
	SMTP_ERR_INTERNAL	/* out of memory, OpenSSL setup */
};

struct smtp_probe_result {
	enum smtp_stage	 stage;
	enum smtp_error	 error;
	char		 err[256];
	char		 peer[96];		/* "ADDR port N" */
	int		 banner_code;
	char		 banner[SMTP_TEXT_MAX];
	char		 ext[SMTP_EXT_MAX];	/* EHLO keywords (plain) */
	bool		 starttls;		/* offered */
	bool		 tls;			/* handshake done */
	char		 version[16];
	char		 cipher[64];
	bool		 have_cert;
	long		 verify;		/* X509_V_OK or the error */
	char		 verify_text[96];
	bool		 name_match;
	char		 issuer[160];
	time_t		 not_before, not_after;
	bool		 requiretls;		/* advertised over TLS */
	bool		 dane;			/* TLSA records were given */
	bool		 dane_match;
	int		 dane_depth;		/* of the matched cert */
	unsigned char	 dane_usage;		/* of the matched record */
	void		*chain;			/* STACK_OF(X509), or NULL */
};

void	smtp_probe(const struct smtp_probe_request *,
	    struct smtp_probe_result *);
void	smtp_probe_result_free(struct smtp_probe_result *);
const char *smtp_stage_name(enum smtp_stage);

#endif
