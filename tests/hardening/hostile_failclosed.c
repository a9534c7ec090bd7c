/*
 * hostile_failclosed.c - the protocol-level fail-closed enumeration of
 * mthostile (issue 6, item 4; see hostile.c): every missing or odd macro
 * path on daemon A (judged at MAIL FROM) and daemon B (judged per RCPT),
 * raw protocol oddities around MAIL FROM, and transaction state that must
 * not leak into the next transaction.  Only the configured exemptions
 * turn plaintext into "continue".
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmilter/mfapi.h>

#include "mtclient.h"
#include "hostile.h"

/* --- failclosed ----------------------------------------------------- */

static const char *
expect_name(enum expect e)
{
	switch (e) {
	case E_CONT:	return "continue";
	case E_550:	return "550 5.7.1";
	case E_523:	return "523 5.7.10";
	default:	return "not let through";
	}
}

int
meets(int rc, const struct mt_reply *r, enum expect e)
{
	switch (e) {
	case E_CONT:
		return rc == MT_OK && passed(r);
	case E_550:
		return rc == MT_OK && is_reject(r, "550 5.7.1 ");
	case E_523:
		return rc == MT_OK && is_reject(r, "523 5.7.10 ");
	default:
		/* Reject, tempfail, or the link dropped: never continue. */
		return rc != MT_OK || !passed(r);
	}
}

struct path {
	const char	*desc;
	int		 family;		/* SMFIA_* */
	const char	*addr;
	const char	*conn_m[4];		/* connect macros */
	const char	*helo_m[4];
	const char	*mail_m[10];
	const char	*mail_args[3];
	enum expect	 want;
};

/* Daemon A: every plaintext path must be rejected at MAIL FROM. */
static const struct path A_PATHS[] = {
	{ "no macros at all", SMFIA_INET, "192.0.2.7", {0}, {0}, {0},
	    {0}, E_550 },
	{ "{tls_version} empty", SMFIA_INET, "192.0.2.7", {0}, {0},
	    { "{tls_version}", "" }, {0}, E_550 },
	{ "{tls_version} empty at HELO and MAIL", SMFIA_INET, "192.0.2.7",
	    {0}, { "{tls_version}", "" }, { "{tls_version}", "" }, {0},
	    E_550 },
	{ "{cipher}, {cipher_bits}=256, {verify}=OK, {cert_subject}, no "
	    "{tls_version}", SMFIA_INET, "192.0.2.7", {0}, {0},
	    { "{cipher}", "TLS_AES_256_GCM_SHA384", "{cipher_bits}", "256",
	    "{verify}", "OK", "{cert_subject}", "CN=x" }, {0}, E_550 },
	{ "{auth_type} and {auth_authen} empty", SMFIA_INET, "192.0.2.7",
	    {0}, {0}, { "{auth_type}", "", "{auth_authen}", "" }, {0},
	    E_550 },
	{ "{client_addr}=127.0.0.1 but connected from 192.0.2.7", SMFIA_INET,
	    "192.0.2.7", { "{client_addr}", "127.0.0.1" }, {0},
	    { "{client_addr}", "127.0.0.1" }, {0}, E_550 },
	{ "unknown family, no {client_addr}", SMFIA_UNKNOWN, NULL, {0}, {0},
	    {0}, {0}, E_550 },
	{ "unknown family, {client_addr} empty", SMFIA_UNKNOWN, NULL, {0},
	    {0}, { "{client_addr}", "" }, {0}, E_550 },
	{ "unknown family, {client_addr} with CRLF", SMFIA_UNKNOWN, NULL,
	    {0}, {0}, { "{client_addr}", "192.0.2.7\r\n127.0.0.1" }, {0},
	    E_550 },
	{ "unknown family, {client_addr}=x127.0.0.1", SMFIA_UNKNOWN,
	    NULL, {0}, {0}, { "{client_addr}", "x127.0.0.1" }, {0}, E_550 },
	{ "unix socket client, no {client_addr}", SMFIA_UNIX, "/run/x.sock",
	    {0}, {0}, {0}, {0}, E_550 },
	{ "connect address not an address", SMFIA_INET, "not-an-address",
	    {0}, {0}, {0}, {0}, E_NOTPASS },
	{ "connect IPv6 address not an address", SMFIA_INET6, "::zz::",
	    {0}, {0}, {0}, {0}, E_NOTPASS },
	{ "REQUIRETLS on plaintext", SMFIA_INET, "192.0.2.7", {0}, {0}, {0},
	    { "<a@example.net>", "REQUIRETLS" }, E_523 },
	{ "REQUIRETLS on plaintext, authenticated", SMFIA_INET, "192.0.2.7",
	    {0}, {0}, { "{auth_type}", "PLAIN", "{auth_authen}", "u" },
	    { "<a@example.net>", "requiretls" }, E_523 },
	{ "REQUIRETLS on plaintext from an exempt network", SMFIA_INET,
	    "127.0.0.1", {0}, {0}, {0}, { "<a@example.net>", "REQUIRETLS" },
	    E_523 },
	{ "empty sender string", SMFIA_INET, "192.0.2.7", {0}, {0}, {0},
	    { "" }, E_550 },
	/* The configured exemptions: the only plaintext that continues. */
	{ "exempt: connected from 127.0.0.1", SMFIA_INET, "127.0.0.1", {0},
	    {0}, {0}, {0}, E_CONT },
	{ "exempt: connected from ::1", SMFIA_INET6, "::1", {0}, {0}, {0},
	    {0}, E_CONT },
	{ "exempt: connected from ::ffff:127.0.0.9", SMFIA_INET6,
	    "::ffff:127.0.0.9", {0}, {0}, {0}, {0}, E_CONT },
	{ "exempt: unknown family, {client_addr}=127.0.0.1", SMFIA_UNKNOWN,
	    NULL, {0}, {0}, { "{client_addr}", "127.0.0.1" }, {0}, E_CONT },
	{ "exempt: unix client, {client_addr}=IPv6:::1", SMFIA_UNIX,
	    "/run/x.sock", {0}, {0}, { "{client_addr}", "IPv6:::1" }, {0},
	    E_CONT },
	{ "exempt: {auth_type}=PLAIN", SMFIA_INET, "192.0.2.7", {0}, {0},
	    { "{auth_type}", "PLAIN" }, {0}, E_CONT },
	{ "exempt: {auth_authen}=user only", SMFIA_INET, "192.0.2.7", {0},
	    {0}, { "{auth_authen}", "user" }, {0}, E_CONT },
	/* TLS facts from an earlier stage (SPEC 5: fallback, never less). */
	{ "TLS: {tls_version} at HELO only (stale-macro fallback)",
	    SMFIA_INET, "192.0.2.7", {0}, { "{tls_version}", "TLSv1.3" },
	    {0}, {0}, E_CONT },
};

static size_t
count_strs(const char *const *v, size_t max)
{
	size_t n = 0;

	while (n < max && v[n] != NULL)
		n++;
	return n;
}

static int
run_path(const char *sock, const struct path *p, char *why, size_t whylen)
{
	const char *args_def[1] = { "<a@example.net>" };
	struct mt_conn c;
	struct mt_reply r;
	size_t nargs;
	int rc;

	memset(&r, 0, sizeof(r));
	if (sess_open(&c, sock) != 0) {
		(void)snprintf(why, whylen, "cannot open a session");
		return 0;
	}
	rc = sess_connect(&c, "client.example.net", p->family, p->addr,
	    p->conn_m, count_strs(p->conn_m, NV(p->conn_m)), &r);
	if (rc == MT_OK && passed(&r))
		rc = sess_helo(&c, "client.example.net", p->helo_m,
		    count_strs(p->helo_m, NV(p->helo_m)), &r);
	if (rc == MT_OK && passed(&r)) {
		nargs = count_strs(p->mail_args, NV(p->mail_args));
		rc = sess_mail(&c, nargs > 0 ? p->mail_args : args_def,
		    nargs > 0 ? nargs : 1, p->mail_m,
		    count_strs(p->mail_m, NV(p->mail_m)), &r);
	}
	if (!meets(rc, &r, p->want)) {
		(void)snprintf(why, whylen, "want %s, got rc %d %s %s %.200s",
		    expect_name(p->want), rc, mt_codename(r.code),
		    show(r.text), c.err);
		mt_close(&c);
		return 0;
	}
	mt_close(&c);
	if (p->want == E_NOTPASS && !probe("after path")) {
		(void)snprintf(why, whylen, "daemon does not answer any more");
		return 0;
	}
	return 1;
}

/* Per-recipient paths on daemon B: MAIL continues, RCPT decides. */
struct rpath {
	const char	*rcpt;
	const char	*mail_m[4];
	const char	*addr;
	enum expect	 want;
	const char	*why;
};

static const struct rpath B_PATHS[] = {
	{ "<u@example.org>", {0}, "192.0.2.7", E_550, "enforce (global)" },
	{ "<u@testing.example>", {0}, "192.0.2.7", E_CONT,
	    "configured testing domain" },
	{ "<u@TESTING.EXAMPLE.>", {0}, "192.0.2.7", E_CONT,
	    "configured testing domain, case and root dot" },
	{ "<u@off.example>", {0}, "192.0.2.7", E_CONT,
	    "configured off domain" },
	{ "<@relay.example:u@testing.example>", {0}, "192.0.2.7", E_CONT,
	    "source route to the testing domain" },
	{ "<postmaster@example.org>", {0}, "192.0.2.7", E_CONT,
	    "configured exempt recipient" },
	{ "<PostMaster@example.org>", {0}, "192.0.2.7", E_CONT,
	    "exempt recipient, any case" },
	{ "postmaster", {0}, "192.0.2.7", E_CONT,
	    "exempt recipient, bare local part" },
	{ "<postmaster\r\n@example.org>", {0}, "192.0.2.7", E_550,
	    "CRLF in local part: not the exempt one" },
	{ "<u@sub.testing.example>", {0}, "192.0.2.7", E_550,
	    "subdomain of an exact block" },
	{ "<u@testing.example@example.org>", {0}, "192.0.2.7", E_550,
	    "last @ decides the domain" },
	{ "<u@testing.example\r\nX-Evil: 1>", {0}, "192.0.2.7", E_550,
	    "CRLF in domain" },
	{ "<>", {0}, "192.0.2.7", E_550, "empty address" },
	{ "", {0}, "192.0.2.7", E_550, "empty string" },
	{ "no-at-sign", {0}, "192.0.2.7", E_550, "no domain" },
	{ "<u@>", {0}, "192.0.2.7", E_550, "empty domain" },
	{ "<u@testing.example", {0}, "192.0.2.7", E_CONT,
	    "unclosed bracket, testing domain" },
	{ NULL /* 600-byte local part */, {0}, "192.0.2.7", E_550,
	    "unparsable (too long): strictest mode" },
	{ "<u@example.org>", { "{auth_type}", "PLAIN", "{auth_authen}", "u" },
	    "192.0.2.7", E_550, "authenticated, exempt_authenticated off" },
	{ "<u@example.org>", {0}, "127.0.0.1", E_550,
	    "loopback, exempt_networks empty" },
	{ "<u@example.org>", { "{client_addr}", "127.0.0.1" }, "192.0.2.7",
	    E_550, "{client_addr} macro ignored for exemptions here" },
};

static int
run_rpath(const struct rpath *p, char *why, size_t whylen)
{
	const char *late[2] = { "{tls_version}", "TLSv1.3" };
	char longrcpt[700];
	struct mt_conn c;
	struct mt_reply r;
	const char *rcpt = p->rcpt;
	int rc;

	if (rcpt == NULL) {
		memset(longrcpt, 'a', sizeof(longrcpt));
		memcpy(longrcpt, "<", 1);
		(void)snprintf(longrcpt + 600, 100, "@testing.example>");
		rcpt = longrcpt;
	}
	memset(&r, 0, sizeof(r));
	if (sess_open(&c, sock_b) != 0) {
		(void)snprintf(why, whylen, "cannot open a session");
		return 0;
	}
	rc = sess_connect(&c, "client.example.net", SMFIA_INET, p->addr, NULL,
	    0, &r);
	if (rc == MT_OK && passed(&r))
		rc = sess_helo(&c, "client.example.net", NULL, 0, &r);
	if (rc == MT_OK && passed(&r))
		rc = sess_mail(&c, FROM, 1, p->mail_m,
		    count_strs(p->mail_m, NV(p->mail_m)), &r);
	if (rc != MT_OK || !passed(&r)) {
		(void)snprintf(why, whylen, "MAIL: rc %d %s %s", rc,
		    mt_codename(r.code), show(r.text));
		mt_close(&c);
		return 0;
	}
	/* A {tls_version} sent only at RCPT must not change the verdict. */
	rc = sess_rcpt(&c, rcpt, late, 2, &r);
	if (!meets(rc, &r, p->want)) {
		(void)snprintf(why, whylen, "want %s, got rc %d %s %s %.200s",
		    expect_name(p->want), rc, mt_codename(r.code),
		    show(r.text), c.err);
		mt_close(&c);
		return 0;
	}
	mt_close(&c);
	return 1;
}

/*
 * Transaction state must not leak into the next one.  (A MAIL with no
 * macro packet at all would see libmilter's MAIL-stage macros of the
 * previous transaction: on one connection TLS cannot be undone, so that
 * cannot turn plaintext into TLS.  Here the MTA sends the new facts.)
 *   0: TLS to end of message, then MAIL macros without {tls_version}: 550
 *   1: TLS MAIL, ABORT, MAIL with {tls_version}="": 550
 *   2: TLS MAIL with REQUIRETLS, ABORT, TLS MAIL without: no Received
 */
static int
second_txn(int kind, char *why, size_t whylen)
{
	static const char *const empty_tls[] = { "{tls_version}", "" };
	static const char *const no_tls[] = { "{cipher}", "NULL-SHA" };
	struct mt_conn c;
	struct mt_reply r;
	int rc;

	if (sess_open(&c, sock_a) != 0) {
		(void)snprintf(why, whylen, "cannot open a session");
		return 0;
	}
	rc = sess_connect(&c, "c.example.net", SMFIA_INET, "192.0.2.7", NULL,
	    0, &r);
	if (rc == MT_OK)
		rc = sess_helo(&c, "c.example.net", NULL, 0, &r);
	if (rc == MT_OK)
		rc = sess_mail(&c, kind == 2 ? FROM_RT : FROM, kind == 2 ? 2 : 1,
		    TLS_MAIL, NV(TLS_MAIL), &r);
	if (rc != MT_OK || !passed(&r)) {
		(void)snprintf(why, whylen, "TLS MAIL: %s", mt_codename(r.code));
		mt_close(&c);
		return 0;
	}
	if (kind == 0) {
		rc = sess_rcpt(&c, "<b@example.org>", NULL, 0, &r);
		if (rc == MT_OK)
			rc = sess_data(&c, NULL, NULL, NULL, 0, &r);
		if (rc == MT_OK)
			rc = sess_mail(&c, FROM, 1, no_tls, 2, &r);
	} else if (kind == 1) {
		rc = mt_abort(&c);
		if (rc == MT_OK)
			rc = sess_mail(&c, FROM, 1, empty_tls, 2, &r);
	} else {
		rc = mt_abort(&c);
		if (rc == MT_OK)
			rc = sess_mail(&c, FROM, 1, TLS_MAIL, NV(TLS_MAIL), &r);
		if (rc == MT_OK)
			rc = sess_rcpt(&c, "<b@example.org>", NULL, 0, &r);
		if (rc == MT_OK)
			rc = sess_data(&c, NULL, NULL, EOM_MACROS,
			    NV(EOM_MACROS), &r);
		if (rc != MT_OK || !passed(&r) || !check_mods(&r, 0, why,
		    whylen)) {
			if (why[0] == '\0')
				(void)snprintf(why, whylen, "rc %d %s", rc,
				    mt_codename(r.code));
			mt_close(&c);
			return 0;
		}
		mt_close(&c);
		return 1;
	}
	if (!meets(rc, &r, E_550)) {
		(void)snprintf(why, whylen, "second MAIL: rc %d %s", rc,
		    mt_codename(r.code));
		mt_close(&c);
		return 0;
	}
	mt_close(&c);
	return 1;
}

/* Raw protocol oddities around MAIL FROM: never a "continue". */
static int
raw_path(int kind, char *why, size_t whylen)
{
	static const char *const raw_plain[] = { "{cipher}", "NULL-SHA" };
	struct mt_conn c;
	struct mt_reply r;
	int rc;

	memset(&r, 0, sizeof(r));
	if (sess_open(&c, sock_a) != 0) {
		(void)snprintf(why, whylen, "cannot open a session");
		return 0;
	}
	rc = sess_connect(&c, "c.example.net", SMFIA_INET, "192.0.2.7", NULL,
	    0, &r);
	if (rc == MT_OK && kind != 3)
		rc = sess_helo(&c, "c.example.net", NULL, 0, &r);
	if (rc != MT_OK) {
		(void)snprintf(why, whylen, "setup: %.200s", c.err);
		mt_close(&c);
		return 0;
	}
	switch (kind) {
	case 0:	/* MAIL with no data at all */
		rc = mt_send(&c, SMFIC_MAIL, NULL, 0);
		break;
	case 1:	/* MAIL whose sender lacks its NUL */
		rc = mt_send(&c, SMFIC_MAIL, "<a@example.net>", 15);
		break;
	case 2:	/* macro packet: stage byte only, then MAIL */
		rc = mt_send(&c, SMFIC_MACRO, "M", 1);
		if (rc == MT_OK)
			rc = mt_mail(&c, FROM, 1, &r);
		goto judged;
	case 3:	/* RCPT with no MAIL before it */
		rc = mt_rcpt(&c, FROM, 1, &r);
		goto judged;
	case 4:	/* plaintext MAIL facts, ABORT, an empty macro packet
		 * (libmilter ignores it: the old list stays), MAIL */
		rc = send_macros(&c, SMFIC_MAIL, raw_plain, 2);
		if (rc == MT_OK)
			rc = mt_mail(&c, FROM, 1, &r);
		if (rc == MT_OK)
			rc = mt_abort(&c);
		if (rc == MT_OK)
			rc = send_macros(&c, SMFIC_MAIL, NULL, 0);
		if (rc == MT_OK)
			rc = mt_mail(&c, FROM, 1, &r);
		goto judged;
	default: /* TLS macros for an unknown stage, then MAIL */
		rc = mt_send(&c, SMFIC_MACRO,
		    "Z{tls_version}\0TLSv1.3\0", 23);
		if (rc == MT_OK)
			rc = mt_mail(&c, FROM, 1, &r);
		goto judged;
	}
	if (rc == MT_OK)
		rc = mt_await(&c, &r);
judged:
	if (!meets(rc, &r, E_NOTPASS)) {
		(void)snprintf(why, whylen, "let through: %s",
		    mt_codename(r.code));
		mt_close(&c);
		return 0;
	}
	mt_close(&c);
	/* A dropped link passes only when the daemon did not die. */
	if (!probe("after raw path")) {
		(void)snprintf(why, whylen, "daemon does not answer any more");
		return 0;
	}
	return 1;
}

void
case_failclosed(void)
{
	static const char *const raw_desc[] = {
		"MAIL packet with no sender", "MAIL sender without NUL",
		"empty macro packet before MAIL", "RCPT before any MAIL",
		"plaintext MAIL, ABORT, empty macro packet, MAIL",
		"TLS macros for an unknown stage"
	};
	char why[512];
	size_t i;
	int ok;

	for (i = 0; i < NV(A_PATHS); i++) {
		ok = run_path(sock_a, &A_PATHS[i], why, sizeof(why));
		if (!ok)
			diag("%s", why);
		tap(ok, "fail-closed A (reject at MAIL): %s -> %s",
		    A_PATHS[i].desc, expect_name(A_PATHS[i].want));
	}
	for (i = 0; i < NV(raw_desc); i++) {
		ok = raw_path((int)i, why, sizeof(why));
		if (!ok)
			diag("%s", why);
		tap(ok, "fail-closed A: %s -> not let through", raw_desc[i]);
	}
	ok = second_txn(0, why, sizeof(why));
	if (!ok)
		diag("%s", why);
	tap(ok, "fail-closed A: TLS transaction, then MAIL macros without "
	    "{tls_version} on the same connection -> 550 5.7.1");
	ok = second_txn(1, why, sizeof(why));
	if (!ok)
		diag("%s", why);
	tap(ok, "fail-closed A: TLS MAIL, ABORT, MAIL with {tls_version} "
	    "empty -> 550 5.7.1");
	why[0] = '\0';
	ok = second_txn(2, why, sizeof(why));
	if (!ok)
		diag("%s", why);
	tap(ok, "per transaction: REQUIRETLS MAIL, ABORT, TLS MAIL without "
	    "it -> no Received field");
	for (i = 0; i < NV(B_PATHS); i++) {
		ok = run_rpath(&B_PATHS[i], why, sizeof(why));
		if (!ok)
			diag("%s", why);
		tap(ok, "fail-closed B (per RCPT): %s: %s -> %s",
		    B_PATHS[i].rcpt != NULL ? show(B_PATHS[i].rcpt) :
		    "<aaa...(600)@testing.example>", B_PATHS[i].why,
		    expect_name(B_PATHS[i].want));
	}
}
