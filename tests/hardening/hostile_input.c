/*
 * hostile_input.c - the hostile-value cases of mthostile (see hostile.c):
 * inject (CR, LF, control bytes, non-UTF-8 ... in every logged value),
 * big (values around libmilter's 64 KiB packet limit) and args (MAIL FROM
 * and RCPT TO with hundreds of ESMTP arguments).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmilter/mfapi.h>

#include "mtclient.h"
#include "hostile.h"

/* --- inject --------------------------------------------------------- */

static const char *const EVIL[] = {
	"\r\nX-Evil: 1",
	"mx.example.org\r\nX-Evil: 1",
	"a\nX-Evil: 1",
	"a\rX-Evil: 1",
	"a\r\n\tX-Evil: folded",
	"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0b\x0c\x0e\x0f\x10\x1b\x1f",
	"tab\there",
	"\x7f del",
	"\xff\xfe\xfd non-utf8 \xc3\x28 \xa0\xa1 \xe2\x82 \xf0\x28\x8c\x28",
	"\xc0\xaf overlong \xed\xa0\x80 surrogate",
	"100% %s %n %x %%",
	"\"quoted\" \\backslash\\ \"",
	"key=value other=x",
	"action=accept reason=none",
	" ",
	"<>",
	"]",
	"[",
	"\x1b[31mred\x1b[0m",
};

enum where {
	W_HOST, W_HELO, W_FROM, W_RCPT, W_TLS, W_CIPHER, W_BITS, W_CLIENT_ADDR,
	W_AUTHEN, W_QID, W_J, W_TLSREQ, W_COUNT
};
static const char *const where_name[W_COUNT] = {
	"connect host", "HELO", "MAIL FROM", "RCPT TO", "{tls_version}",
	"{cipher}", "{cipher_bits}", "{client_addr}", "{auth_authen}", "i",
	"j", "TLS-Required header"
};

/*
 * One TLS + REQUIRETLS transaction on A with value v in place w: MAIL and
 * RCPT must pass, EOM must insert exactly one clean Received field.  Then
 * one plaintext transaction with v in place w: MAIL must be rejected with
 * the configured reply (an exemption only when w makes it one: auth).
 */
static int
inject_one(enum where w, const char *v, char *why, size_t whylen)
{
	const char *mail_m[14], *eom_m[6], *conn_m[2], *args[2];
	const char *host, *helo, *rcpt;
	struct mt_conn c;
	struct mt_reply r;
	size_t nm = 0, ne = 0, nc = 0;
	int pass;

	host = w == W_HOST ? v : "client.example.net";
	helo = w == W_HELO ? v : "client.example.net";
	rcpt = w == W_RCPT ? v : "<b@example.org>";
	args[0] = w == W_FROM ? v : "<a@example.net>";
	args[1] = "REQUIRETLS";
	mail_m[nm++] = "{tls_version}";
	mail_m[nm++] = w == W_TLS ? v : "TLSv1.3";
	mail_m[nm++] = "{cipher}";
	mail_m[nm++] = w == W_CIPHER ? v : "TLS_AES_256_GCM_SHA384";
	mail_m[nm++] = "{cipher_bits}";
	mail_m[nm++] = w == W_BITS ? v : "256";
	mail_m[nm++] = "i";
	mail_m[nm++] = w == W_QID ? v : "4ABC123";
	mail_m[nm++] = "j";
	mail_m[nm++] = w == W_J ? v : "mx.example.org";
	if (w == W_CLIENT_ADDR) {
		mail_m[nm++] = "{client_addr}";
		mail_m[nm++] = v;
		conn_m[nc++] = "{client_addr}";
		conn_m[nc++] = v;
	}
	if (w == W_AUTHEN) {
		mail_m[nm++] = "{auth_authen}";
		mail_m[nm++] = v;
	}
	eom_m[ne++] = "i";
	eom_m[ne++] = w == W_QID ? v : "4ABC123";
	eom_m[ne++] = "j";
	eom_m[ne++] = w == W_J ? v : "mx.example.org";
	eom_m[ne++] = "{tls_version}";
	eom_m[ne++] = w == W_TLS ? v : "TLSv1.3";

	why[0] = '\0';
	if (sess_open(&c, sock_a) != 0) {
		(void)snprintf(why, whylen, "cannot open a session");
		return 0;
	}
	/* TLS + REQUIRETLS: through to the Received field. */
	if (sess_connect(&c, host, SMFIA_INET, "192.0.2.7", conn_m, nc, &r) !=
	    MT_OK || !passed(&r) ||
	    sess_helo(&c, helo, NULL, 0, &r) != MT_OK || !passed(&r) ||
	    sess_mail(&c, args, 2, mail_m, nm, &r) != MT_OK || !passed(&r) ||
	    sess_rcpt(&c, rcpt, NULL, 0, &r) != MT_OK || !passed(&r) ||
	    sess_data(&c, w == W_TLSREQ ? "TLS-Required" : NULL, v, eom_m, ne,
	    &r) != MT_OK || !passed(&r)) {
		(void)snprintf(why, whylen, "TLS transaction: %s %s %.200s",
		    mt_codename(r.code), show(r.text), c.err);
		mt_close(&c);
		return 0;
	}
	if (!check_mods(&r, 1, why, whylen)) {
		mt_close(&c);
		return 0;
	}
	/* Plaintext on the same connection: the MAIL macros are gone. */
	nm = 0;
	mail_m[nm++] = "i";
	mail_m[nm++] = w == W_QID ? v : "4ABC124";
	if (w == W_CLIENT_ADDR || w == W_AUTHEN) {
		mail_m[nm++] = w == W_AUTHEN ? "{auth_authen}" :
		    "{client_addr}";
		mail_m[nm++] = v;
	}
	if (sess_mail(&c, args, 1, mail_m, nm, &r) != MT_OK) {
		(void)snprintf(why, whylen, "plaintext MAIL: %.200s", c.err);
		mt_close(&c);
		return 0;
	}
	/* A non-empty {auth_authen} is an authenticated session: exempt. */
	pass = w == W_AUTHEN ? passed(&r) : is_reject(&r,
	    "550 5.7.1 STARTTLS is required to deliver mail to this server "
	    "(MTA-STS)");
	if (!pass)
		(void)snprintf(why, whylen, "plaintext MAIL: %s %s",
		    mt_codename(r.code), show(r.text));
	(void)mt_quit(&c);
	mt_close(&c);
	return pass;
}

void
case_inject(void)
{
	char why[512];
	size_t i;
	int w, bad;

	for (w = 0; w < W_COUNT; w++) {
		bad = 0;
		for (i = 0; i < NV(EVIL); i++)
			if (!inject_one((enum where)w, EVIL[i], why,
			    sizeof(why))) {
				diag("%s = \"%s\": %s", where_name[w],
				    show(EVIL[i]), why);
				bad++;
			}
		tap(bad == 0, "hostile %s values (%zu): replies right, "
		    "Received field clean", where_name[w], NV(EVIL));
	}
}

/* --- big ------------------------------------------------------------ */

static char *
filled(size_t n, char ch)
{
	char *s = malloc(n + 1);

	if (s == NULL) {
		perror("malloc");
		exit(2);
	}
	memset(s, ch, n);
	s[n] = '\0';
	return s;
}

/* A plaintext session with one huge value: reject, or a dropped link. */
static int
big_one(enum where w, size_t len, int expect_drop, char *why, size_t whylen)
{
	char *v = filled(len, 'x');
	const char *m[4], *args[1];
	struct mt_conn c;
	struct mt_reply r;
	size_t nm = 0;
	int rc, ok;

	if (sess_open(&c, sock_a) != 0) {
		(void)snprintf(why, whylen, "cannot open a session");
		free(v);
		return 0;
	}
	memcpy(v, "\r\nX-Evil: 1\r\n", 13);
	args[0] = w == W_FROM ? v : "<a@example.net>";
	if (w == W_TLS || w == W_QID) {
		m[nm++] = w == W_TLS ? "{cipher}" : "i";
		m[nm++] = v;
	}
	rc = sess_connect(&c, w == W_HOST ? v : "client.example.net",
	    SMFIA_INET, "192.0.2.7", NULL, 0, &r);
	if (rc == MT_OK)
		rc = sess_helo(&c, w == W_HELO ? v : "c.example.net", NULL, 0,
		    &r);
	if (rc == MT_OK)
		rc = sess_mail(&c, args, 1, m, nm, &r);
	if (expect_drop)
		ok = rc != MT_OK || !passed(&r);
	else
		ok = rc == MT_OK && is_reject(&r, "550 5.7.1 ");
	if (!ok)
		(void)snprintf(why, whylen, "%s: rc %d %s %.200s",
		    expect_drop ? "over the limit" : "under the limit", rc,
		    mt_codename(r.code), c.err);
	mt_close_rst(&c);
	free(v);
	return ok;
}

void
case_big(void)
{
	static const enum where ws[] = { W_HOST, W_HELO, W_FROM, W_TLS, W_QID };
	char why[512];
	size_t i;
	int bad;

	/* libmilter's packet limit is 65535 bytes, command byte included. */
	for (i = 0; i < NV(ws); i++) {
		bad = 0;
		if (!big_one(ws[i], 65000, 0, why, sizeof(why))) {
			diag("%s: %s", where_name[ws[i]], why);
			bad++;
		}
		if (!big_one(ws[i], 65536, 1, why, sizeof(why))) {
			diag("%s: %s", where_name[ws[i]], why);
			bad++;
		}
		if (!big_one(ws[i], 1024 * 1024, 1, why, sizeof(why))) {
			diag("%s: %s", where_name[ws[i]], why);
			bad++;
		}
		tap(bad == 0, "%s of 65000 bytes: rejected as plaintext; of 64 "
		    "KiB and 1 MiB: connection refused, nothing accepted",
		    where_name[ws[i]]);
	}
	tap(probe("after big"), "daemon answers after 64 KiB values");
}

/* --- args ----------------------------------------------------------- */

static int
args_one(size_t nargs, size_t rt_at, const char *rt, const char *want,
    char *why, size_t whylen)
{
	const char **args = calloc(nargs, sizeof(*args));
	char (*store)[32] = calloc(nargs, sizeof(*store));
	struct mt_conn c;
	struct mt_reply r;
	size_t i;
	int ok = 0, rc;

	if (args == NULL || store == NULL) {
		perror("calloc");
		exit(2);
	}
	args[0] = "<a@example.net>";
	for (i = 1; i < nargs; i++) {
		(void)snprintf(store[i], sizeof(store[i]), "X-ARG%zu=%s", i,
		    i % 7 == 0 ? "\r\nX-Evil: 1" : "value");
		args[i] = i == rt_at ? rt : store[i];
	}
	if (sess_open(&c, sock_a) != 0) {
		(void)snprintf(why, whylen, "cannot open a session");
		goto out;
	}
	rc = sess_connect(&c, "c.example.net", SMFIA_INET, "192.0.2.7", NULL,
	    0, &r);
	if (rc == MT_OK)
		rc = sess_helo(&c, "c.example.net", NULL, 0, &r);
	if (rc == MT_OK)
		rc = sess_mail(&c, args, nargs, NULL, 0, &r);
	ok = rc == MT_OK && is_reject(&r, want);
	if (!ok)
		(void)snprintf(why, whylen, "rc %d %s %s %.200s", rc,
		    mt_codename(r.code), show(r.text), c.err);
	mt_close(&c);
out:
	free(args);
	free(store);
	return ok;
}

void
case_args(void)
{
	char why[512], store[300][24];
	const char *rargs[300];
	struct mt_conn c;
	struct mt_reply r;
	size_t i;
	int ok;

	ok = args_one(500, 250, "REQUIRETLS", "523 5.7.10 ", why, sizeof(why));
	if (!ok)
		diag("500 args: %s", why);
	tap(ok, "MAIL FROM with 500 ESMTP arguments, REQUIRETLS at 250: 523");
	ok = args_one(2000, 1999, "rEqUiReTlS", "523 5.7.10 ", why,
	    sizeof(why));
	if (!ok)
		diag("2000 args: %s", why);
	tap(ok, "MAIL FROM with 2000 ESMTP arguments, requiretls last: 523");
	ok = args_one(800, 400, "REQUIRETLS=YES", "550 5.7.1 ", why,
	    sizeof(why));
	if (!ok)
		diag("REQUIRETLS=YES: %s", why);
	tap(ok, "MAIL FROM with 800 arguments, REQUIRETLS=YES is not "
	    "REQUIRETLS: 550");

	/* RCPT with 300 arguments on daemon B (judged per recipient). */
	ok = 0;
	if (sess_open(&c, sock_b) == 0) {
		rargs[0] = "<u@example.org>";
		for (i = 1; i < 300; i++) {
			(void)snprintf(store[i], sizeof(store[i]),
			    "X-R%zu=\r\nv", i);
			rargs[i] = store[i];
		}
		if (sess_connect(&c, "c.example.net", SMFIA_INET, "192.0.2.7",
		    NULL, 0, &r) == MT_OK && passed(&r) &&
		    sess_helo(&c, "c", NULL, 0, &r) == MT_OK && passed(&r) &&
		    sess_mail(&c, FROM, 1, NULL, 0, &r) == MT_OK &&
		    passed(&r) && mt_rcpt(&c, rargs, 300, &r) == MT_OK)
			ok = is_reject(&r, "550 5.7.1 ");
		if (!ok)
			diag("RCPT 300 args: %s %s", mt_codename(r.code),
			    c.err);
		mt_close(&c);
	}
	tap(ok, "RCPT TO with 300 arguments on B: 550");
}
