/*
 * hostile_conn.c - the connection-level cases of mthostile (see hostile.c):
 * disconnect (abrupt close and reset at every stage), many (10,000
 * transactions on one connection), concurrent (500 connections at once),
 * garbage (malformed packets) and the malformed macro packets that crash
 * libmilter itself (oddmacro, nonulmacro).
 */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "mtclient.h"
#include "hostile.h"

/* --- disconnect ----------------------------------------------------- */

/* Runs a session up to stage s, then drops it (half with RST). */
static void
drop_at(int s, int rst)
{
	static const char *const mac[] = { "{tls_version}", "TLSv1.3", "i",
	    "Q1" };
	struct mt_conn c;
	struct mt_reply r;
	unsigned char partial[9] = { 0, 0, 0, 40, 'H', 'h', 'e', 'l', 'o' };

	if (s == 0) {	/* connect to the socket, say nothing */
		if (mt_open(&c, sock_a, tmo) == MT_OK)
			(void)mt_send_bytes(&c, partial, 2);
		goto drop;
	}
	if (sess_open(&c, sock_a) != 0)
		return;
	if (s == 1)
		goto drop;
	if (s == 2) {	/* half a macro packet */
		(void)mt_send_bytes(&c, partial, 4);
		goto drop;
	}
	(void)mt_macro(&c, SMFIC_CONNECT, mac, 2);
	if (s == 3)
		goto drop;
	if (mt_connect(&c, "c.example.net", SMFIA_INET, 25, "192.0.2.7", &r)
	    != MT_OK || s == 4)
		goto drop;
	if (s == 5) {	/* HELO: length and 5 of its 40 bytes */
		(void)mt_send_bytes(&c, partial, sizeof(partial));
		goto drop;
	}
	if (mt_helo(&c, "c.example.net", &r) != MT_OK || s == 6)
		goto drop;
	(void)mt_macro(&c, SMFIC_MAIL, mac, 4);
	if (s == 7)
		goto drop;
	if (s == 8) {	/* MAIL sent, reply not read */
		(void)mt_send(&c, SMFIC_MAIL, "<a@b>", 6);
		goto drop;
	}
	if (mt_mail(&c, FROM_RT, 2, &r) != MT_OK || s == 9)
		goto drop;
	if (mt_rcpt(&c, FROM, 1, &r) != MT_OK || s == 10)
		goto drop;
	if (mt_data(&c, &r) != MT_OK || s == 11)
		goto drop;
	if (mt_header(&c, "Subject", "x", &r) != MT_OK || s == 12)
		goto drop;
	if (mt_eoh(&c, &r) != MT_OK || s == 13)
		goto drop;
	if (s == 14) {	/* end of message sent, reply not read */
		(void)mt_send(&c, SMFIC_BODYEOB, NULL, 0);
		goto drop;
	}
	(void)mt_eom(&c, NULL, 0, &r);
	if (s == 15)
		goto drop;
	(void)mt_abort(&c);
	(void)mt_send(&c, SMFIC_QUIT_NC, NULL, 0);
drop:
	if (rst)
		mt_close_rst(&c);
	else
		mt_close(&c);
}

#define DROP_STAGES	17

void
case_disconnect(void)
{
	int s, k;

	for (s = 0; s < DROP_STAGES; s++)
		for (k = 0; k < 20; k++)
			drop_at(s, k & 1);
	/* Give libmilter's workers a moment to see the hang-ups. */
	usleep(300 * 1000);
	tap(probe("after disconnects"), "abrupt disconnects at %d stages "
	    "(x20, close and reset): daemon answers", DROP_STAGES);
}

/* --- many ----------------------------------------------------------- */

void
case_many(void)
{
	struct mt_conn c;
	struct mt_reply r;
	char why[256], qid[32];
	const char *m[10], *e[2] = { "i", NULL };
	int i, bad = 0, rc = MT_OK, n = 10000;

	if (sess_open(&c, sock_a) != 0 ||
	    sess_connect(&c, "c.example.net", SMFIA_INET, "192.0.2.7", NULL,
	    0, &r) != MT_OK ||
	    sess_helo(&c, "c.example.net", NULL, 0, &r) != MT_OK) {
		tap(0, "10000 transactions on one connection: no session");
		return;
	}
	for (i = 0; i < n && bad < 5; i++) {
		(void)snprintf(qid, sizeof(qid), "Q%05d", i);
		e[1] = qid;
		switch (i % 4) {
		case 0:	/* plaintext: rejected at MAIL */
			m[0] = "i";
			m[1] = qid;
			rc = sess_mail(&c, FROM, 1, m, 2, &r);
			if (rc == MT_OK && !is_reject(&r, "550 5.7.1 ")) {
				diag("tx %d: plaintext %s", i,
				    mt_codename(r.code));
				bad++;
			}
			break;
		case 1:	/* REQUIRETLS on plaintext */
			rc = sess_mail(&c, FROM_RT, 2, NULL, 0, &r);
			if (rc == MT_OK && !is_reject(&r, "523 5.7.10 ")) {
				diag("tx %d: requiretls %s", i,
				    mt_codename(r.code));
				bad++;
			}
			break;
		case 2:	/* TLS, aborted after RCPT */
			rc = sess_mail(&c, FROM, 1, TLS_MAIL, NV(TLS_MAIL),
			    &r);
			if (rc == MT_OK)
				rc = sess_rcpt(&c, "<b@example.org>", NULL, 0,
				    &r);
			if (rc == MT_OK && !passed(&r)) {
				diag("tx %d: TLS %s", i, mt_codename(r.code));
				bad++;
			}
			if (rc == MT_OK)
				rc = mt_abort(&c);
			break;
		default: /* TLS + REQUIRETLS to the end: a Received field */
			rc = sess_mail(&c, FROM_RT, 2, TLS_MAIL, NV(TLS_MAIL),
			    &r);
			if (rc == MT_OK)
				rc = sess_rcpt(&c, "<b@example.org>", NULL, 0,
				    &r);
			if (rc == MT_OK)
				rc = sess_data(&c, NULL, NULL, e, 2, &r);
			if (rc == MT_OK && (!passed(&r) ||
			    !check_mods(&r, 1, why, sizeof(why)))) {
				diag("tx %d: eom %s %s", i,
				    mt_codename(r.code), why);
				bad++;
			}
			break;
		}
		if (rc != MT_OK) {
			diag("tx %d: %s", i, c.err);
			bad++;
			break;
		}
	}
	(void)mt_quit(&c);
	mt_close(&c);
	tap(bad == 0 && i == n, "%d transactions on one connection (plain, "
	    "REQUIRETLS, aborted TLS, TLS to end of message): all answered "
	    "right", i);
}

/* --- concurrent ----------------------------------------------------- */

#define NCONC		500
#define NTHREADS	25

struct cworker {
	pthread_t	 tid;
	struct mt_conn	*conns;
	int		 first, count;
	int		 bad;
	char		 err[512];
};

static pthread_barrier_t all_open;

static void *
cworker(void *arg)
{
	struct cworker *w = arg;
	struct mt_reply r;
	int i, opened = 0;

	for (i = w->first; i < w->first + w->count; i++) {
		struct mt_conn *c = &w->conns[i];

		if (sess_open(c, sock_a) != 0 ||
		    sess_connect(c, "c.example.net", SMFIA_INET, "192.0.2.7",
		    NULL, 0, &r) != MT_OK || !passed(&r) ||
		    sess_helo(c, "c.example.net", NULL, 0, &r) != MT_OK) {
			(void)snprintf(w->err, sizeof(w->err), "open %d: %.200s",
			    i, c->err);
			w->bad++;
			c->fd = -1;
			continue;
		}
		opened++;
	}
	/* Every connection is open before any transaction starts. */
	(void)pthread_barrier_wait(&all_open);
	for (i = w->first; i < w->first + w->count; i++) {
		struct mt_conn *c = &w->conns[i];
		int tls = i % 2;

		if (c->fd == -1)
			continue;
		if (sess_mail(c, FROM, 1, tls ? TLS_MAIL : NULL,
		    tls ? NV(TLS_MAIL) : 0, &r) != MT_OK ||
		    (tls ? !passed(&r) : !is_reject(&r, "550 5.7.1 "))) {
			(void)snprintf(w->err, sizeof(w->err), "tx %d: %s %.200s",
			    i, mt_codename(r.code), c->err);
			w->bad++;
		}
		(void)mt_quit(c);
		mt_close(c);
	}
	(void)opened;
	return NULL;
}

void
case_concurrent(void)
{
	struct cworker w[NTHREADS];
	struct mt_conn *conns = calloc(NCONC, sizeof(*conns));
	int t, bad = 0;

	if (conns == NULL) {
		perror("calloc");
		exit(2);
	}
	(void)pthread_barrier_init(&all_open, NULL, NTHREADS);
	for (t = 0; t < NTHREADS; t++) {
		memset(&w[t], 0, sizeof(w[t]));
		w[t].conns = conns;
		w[t].first = t * (NCONC / NTHREADS);
		w[t].count = NCONC / NTHREADS;
		if (pthread_create(&w[t].tid, NULL, cworker, &w[t]) != 0) {
			perror("pthread_create");
			exit(2);
		}
	}
	for (t = 0; t < NTHREADS; t++) {
		(void)pthread_join(w[t].tid, NULL);
		if (w[t].bad > 0) {
			diag("worker %d: %d failures, last: %s", t, w[t].bad,
			    w[t].err);
			bad += w[t].bad;
		}
	}
	(void)pthread_barrier_destroy(&all_open);
	free(conns);
	tap(bad == 0, "%d connections open at once, then one transaction "
	    "each: all answered right", NCONC);
}

/* --- garbage -------------------------------------------------------- */

void
case_garbage(void)
{
	static const unsigned char zero_len[] = { 0, 0, 0, 0 };
	static const unsigned char huge_len[] = { 0x7f, 0xff, 0xff, 0xff, 'C' };
	static const unsigned char neg_len[] = { 0xff, 0xff, 0xff, 0xff, 'C' };
	struct mt_conn c;
	struct mt_reply r;
	unsigned char junk[4096];
	int k;

	for (k = 0; k < 8; k++) {
		if (sess_open(&c, sock_a) != 0)
			continue;
		c.timeout_ms = 1000;	/* most of these get no answer */
		switch (k) {
		case 0:
			(void)mt_send_bytes(&c, zero_len, sizeof(zero_len));
			break;
		case 1:
			(void)mt_send_bytes(&c, huge_len, sizeof(huge_len));
			break;
		case 2:
			(void)mt_send_bytes(&c, neg_len, sizeof(neg_len));
			break;
		case 3:	/* an unknown command */
			(void)mt_send(&c, '~', "x", 1);
			(void)mt_await(&c, &r);
			break;
		case 4:	/* connect without NUL-terminated host */
			(void)mt_send(&c, SMFIC_CONNECT, "host4", 5);
			(void)mt_await(&c, &r);
			break;
		case 5:	/* a second negotiation */
			(void)mt_negotiate(&c, SMFI_PROT_VERSION,
			    OFFER_ACTIONS, OFFER_PFLAGS);
			break;
		case 6:	/* end of message with nothing before it */
			(void)mt_eom(&c, NULL, 0, &r);
			break;
		default: /* pseudo-random bytes */
			for (size_t i = 0; i < sizeof(junk); i++)
				junk[i] = (unsigned char)(i * 2654435761u >> 13);
			(void)mt_send_bytes(&c, junk, sizeof(junk));
			break;
		}
		mt_close_rst(&c);
	}
	usleep(200 * 1000);
	tap(probe("after garbage"), "malformed packets, bad lengths, unknown "
	    "commands: daemon answers");
}

/* --- libmilter: malformed macro packets ---------------------------- */

/*
 * Two malformed macro packets that libmilter 8.17 (Debian 12) does not
 * survive, whatever the filter does (the crash is inside
 * smfi_getsymval(), the only way to read a macro):
 *   oddmacro    a MAIL macro packet with an odd number of strings (a name
 *               without its value): smfi_getsymval() advances two entries
 *               at a time and steps over the list's NULL terminator.
 *   nonulmacro  a MAIL macro packet whose last value has no NUL: the
 *               same odd list as oddmacro.
 * Only the MTA can send these (the socket is 0660) and Postfix and
 * Sendmail do not; hostile.sh runs each last, against a daemon of its own,
 * and reports a crash as a known libmilter problem (TAP TODO).
 */
static void
case_libmilter(int kind)
{
	static const char *const odd[] = { "i", "Q1", "{tls_version}" };
	static const char *const what[] = { "with a name but no value",
	    "whose last value lacks its NUL" };
	struct mt_conn c;
	struct mt_reply r;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	if (sess_open(&c, sock_a) == 0) {
		rc = sess_connect(&c, "c.example.net", SMFIA_INET, "192.0.2.7",
		    NULL, 0, &r);
		if (rc == MT_OK)
			rc = sess_helo(&c, "c.example.net", NULL, 0, &r);
		if (rc == MT_OK && kind == 1) {
			rc = mt_send(&c, SMFIC_MACRO, "M{tls_version}\0TLSv1.3",
			    22);
			if (rc == MT_OK)
				rc = mt_mail(&c, FROM, 1, &r);
		} else if (rc == MT_OK)
			rc = sess_mail(&c, FROM, 1, odd, NV(odd), &r);
		mt_close(&c);
	}
	usleep(200 * 1000);
	tap(meets(rc, &r, E_NOTPASS) && probe("after a malformed macro packet"),
	    "MAIL macro packet %s: not let through, daemon answers",
	    what[kind]);
}

void
case_oddmacro(void)
{
	case_libmilter(0);
}

void
case_nonulmacro(void)
{
	case_libmilter(1);
}
