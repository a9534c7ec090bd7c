/*
 * hostile.c - hostile milter traffic against a running mtasts-milter, and
 * the protocol-level fail-closed enumeration (issue 6, items 3 and 4).
 *
 * Usage: mthostile -a SOCKET_A [-b SOCKET_B] [-T TIMEOUT_MS] CASE...
 *
 * The two daemons it expects (hostile.sh starts them):
 *   A  mode enforce, no domain blocks, no exempt recipients (so a
 *      non-compliant transaction is rejected at MAIL FROM), the default
 *      exempt_networks (127.0.0.0/8, ::1/128), exempt_authenticated on,
 *      requiretls on, hostname "" (the Received field uses {j}).
 *   B  mode enforce with domain "testing.example" (testing) and
 *      "off.example" (off), exempt_recipients {"postmaster"},
 *      exempt_networks {}, exempt_authenticated off: judged per RCPT.
 *
 * CASEs:
 *   probe       one plaintext and one TLS+REQUIRETLS transaction on A:
 *               550 5.7.1 for the first, a clean Received field for the
 *               second (the "answers correctly" check)
 *   inject      CR, LF, CRLF + "X-Evil: 1", control bytes, DEL, non-UTF-8,
 *               '%', quotes, '=' in every value the daemon logs or puts in
 *               a header: connect host, HELO, MAIL, RCPT, {tls_version},
 *               {cipher}, {cipher_bits}, {client_addr}, {auth_authen}, i, j,
 *               TLS-Required
 *   big         64 KiB values (over libmilter's 65535-byte packet limit:
 *               the connection is dropped) and values just under it
 *   args        MAIL FROM with 500 and 2000 ESMTP arguments, REQUIRETLS
 *               among them; RCPT with 300 arguments
 *   failclosed  every missing or odd macro path on A and B (item 4): only
 *               the configured exemptions turn plaintext into "continue"
 *   disconnect  abrupt close and reset after every stage and mid-packet
 *   many        10,000 transactions on one connection
 *   concurrent  500 connections open at once, each runs a transaction
 *   garbage     unknown commands, bad lengths, strings without NUL
 *   oddmacro, nonulmacro
 *               malformed macro packets that crash libmilter 8.17 itself
 *               (see case_libmilter); hostile.sh runs them last
 *
 * Output: TAP lines without numbers ("ok - ...", "not ok - ...", "# ..."),
 * which hostile.sh numbers.  Exit status 0 when every line was ok.
 *
 * Every call has a deadline (-T, default 5000 ms); every loop is bounded.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "mtclient.h"

#define NV(a)	(sizeof(a) / sizeof((a)[0]))

static const char *sock_a, *sock_b;
static int tmo = 5000;
static int nfail, nok;

/* Offer what Postfix offers; the filter picks. */
#define OFFER_ACTIONS	(SMFIF_ADDHDRS | SMFIF_CHGBODY | SMFIF_ADDRCPT | \
			 SMFIF_DELRCPT | SMFIF_CHGHDRS | SMFIF_QUARANTINE | \
			 SMFIF_CHGFROM | SMFIF_ADDRCPT_PAR | SMFIF_SETSYMLIST)
#define OFFER_PFLAGS	(SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOMAIL | \
			 SMFIP_NORCPT | SMFIP_NOBODY | SMFIP_NOHDRS | \
			 SMFIP_NOEOH | SMFIP_NOUNKNOWN | SMFIP_NODATA | \
			 SMFIP_SKIP | SMFIP_RCPT_REJ | SMFIP_NR_HDR | \
			 SMFIP_HDR_LEADSPC)

static void tap(int, const char *, ...) __attribute__((format(printf, 2, 3)));
static void diag(const char *, ...) __attribute__((format(printf, 1, 2)));

static void
tap(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (ok)
		nok++;
	else
		nfail++;
}

static void
diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* A printable rendering of a hostile value, for test names. */
static const char *
show(const char *s)
{
	static char buf[8][64];
	static int k;
	char *o = buf[k++ % 8];
	size_t i, n = 0;

	for (i = 0; s[i] != '\0' && n < 40; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '\\')
			n += (size_t)snprintf(o + n, 64 - n, "\\x%02x", c);
		else
			o[n++] = (char)c;
	}
	if (s[i] != '\0')
		n += (size_t)snprintf(o + n, 64 - n, "...(%zu)", strlen(s));
	o[n < 63 ? n : 63] = '\0';
	return o;
}

/* --- sessions ------------------------------------------------------- */

/*
 * A macro packet for stage `stage' with n strings (name, value, ...); unlike
 * mt_macro() an odd n is allowed: a name whose value is missing.
 */
static int
send_macros(struct mt_conn *c, int stage, const char *const *v, size_t n)
{
	unsigned char *buf;
	size_t len = 1, i, l;
	int rc;

	for (i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	if ((buf = malloc(len)) == NULL) {
		perror("malloc");
		exit(2);
	}
	buf[0] = (unsigned char)stage;
	for (i = 0, len = 1; i < n; i++) {
		l = strlen(v[i]) + 1;
		memcpy(buf + len, v[i], l);
		len += l;
	}
	rc = mt_send(c, SMFIC_MACRO, buf, len);
	free(buf);
	return rc;
}

static int
sess_open(struct mt_conn *c, const char *sock)
{
	if (mt_open(c, sock, tmo) != MT_OK ||
	    mt_negotiate(c, SMFI_PROT_VERSION, OFFER_ACTIONS, OFFER_PFLAGS) !=
	    MT_OK) {
		diag("open %s: %s", sock, c->err);
		mt_close(c);
		return -1;
	}
	return 0;
}

/* Connect step: family '4', '6', 'L' (unix) or 'U' (unknown). */
static int
sess_connect(struct mt_conn *c, const char *host, int family,
    const char *addr, const char *const *macros, size_t nmacros,
    struct mt_reply *r)
{
	if (nmacros > 0 && send_macros(c, SMFIC_CONNECT, macros, nmacros)
	    != MT_OK)
		return -1;
	return mt_connect(c, host, family, 25, addr, r);
}

static int
sess_helo(struct mt_conn *c, const char *helo, const char *const *macros,
    size_t nmacros, struct mt_reply *r)
{
	if (nmacros > 0 && send_macros(c, SMFIC_HELO, macros, nmacros) !=
	    MT_OK)
		return -1;
	return mt_helo(c, helo, r);
}

static int
sess_mail(struct mt_conn *c, const char *const *args, size_t nargs,
    const char *const *macros, size_t nmacros, struct mt_reply *r)
{
	if (nmacros > 0 && send_macros(c, SMFIC_MAIL, macros, nmacros) !=
	    MT_OK)
		return -1;
	return mt_mail(c, args, nargs, r);
}

static int
sess_rcpt(struct mt_conn *c, const char *rcpt, const char *const *macros,
    size_t nmacros, struct mt_reply *r)
{
	const char *args[1];

	args[0] = rcpt;
	if (nmacros > 0 && send_macros(c, SMFIC_RCPT, macros, nmacros) !=
	    MT_OK)
		return -1;
	return mt_rcpt(c, args, 1, r);
}

/* Header, end of headers and end of message; r gets the EOM reply. */
static int
sess_data(struct mt_conn *c, const char *hname, const char *hvalue,
    const char *const *eom_macros, size_t neom, struct mt_reply *r)
{
	struct mt_reply hr;

	if (mt_data(c, &hr) != MT_OK)
		return -1;
	if (mt_header(c, "From", "<a@example.net>", &hr) != MT_OK)
		return -1;
	if (hname != NULL && mt_header(c, hname, hvalue, &hr) != MT_OK)
		return -1;
	if (mt_eoh(c, &hr) != MT_OK)
		return -1;
	if (neom > 0 && send_macros(c, SMFIC_BODYEOB, eom_macros, neom) !=
	    MT_OK)
		return -1;
	return mt_eom(c, NULL, 0, r);
}

/* "continue" at a step: the step was let through. */
static int
passed(const struct mt_reply *r)
{
	return r->code == SMFIR_CONTINUE || r->code == SMFIR_ACCEPT ||
	    r->code == MT_NOREPLY || r->code == MT_SKIPPED;
}

static int
is_reject(const struct mt_reply *r, const char *prefix)
{
	return r->code == SMFIR_REPLYCODE && strncmp(r->text, prefix,
	    strlen(prefix)) == 0;
}

/*
 * Checks every modification of an end-of-message reply: at most one, an
 * inserted Received field at index 0 whose value has no CR, whose only LFs
 * are the fold "\n\t", whose bytes are printable ASCII, and that holds no
 * line starting with a header name of its own (no injection).
 */
static int
check_mods(const struct mt_reply *r, int want_received, char *why,
    size_t whylen)
{
	const struct mt_mod *m;
	const char *v;
	size_t i;

	why[0] = '\0';
	if (r->nmods_lost > 0 || r->nmods > (want_received ? 1u : 0u)) {
		(void)snprintf(why, whylen, "%zu modifications",
		    r->nmods + r->nmods_lost);
		return 0;
	}
	if (want_received && r->nmods != 1) {
		(void)snprintf(why, whylen, "no Received field inserted");
		return 0;
	}
	for (i = 0; i < r->nmods; i++) {
		m = &r->mods[i];
		if (m->cmd != SMFIR_INSHEADER || m->index != 0 ||
		    strcmp(m->name, "Received") != 0 || m->truncated) {
			(void)snprintf(why, whylen, "modification '%c' %s",
			    m->cmd, show(m->name));
			return 0;
		}
		for (v = m->value; *v != '\0'; v++) {
			unsigned char ch = (unsigned char)*v;

			if (ch == '\r' || (ch == '\n' && v[1] != '\t') ||
			    (ch < 0x20 && ch != '\n' && ch != '\t') ||
			    ch >= 0x7f) {
				(void)snprintf(why, whylen, "byte 0x%02x in "
				    "Received: %s", ch, show(m->value));
				return 0;
			}
		}
		/* Filtered values may keep "X-Evil1": harmless inside. */
		if (strncmp(m->value, "by ", 3) != 0 ||
		    strstr(m->value, " (mtasts-milter)") == NULL ||
		    strstr(m->value, "with ESMTPS (requiretls) id ") == NULL) {
			(void)snprintf(why, whylen, "odd Received: %s",
			    show(m->value));
			return 0;
		}
	}
	return 1;
}

/* --- probe ---------------------------------------------------------- */

static const char *const TLS_MAIL[] = {
	"{tls_version}", "TLSv1.3", "{cipher}", "TLS_AES_256_GCM_SHA384",
	"{cipher_bits}", "256", "i", "4ABC123", "j", "mx.example.org"
};
static const char *const EOM_MACROS[] = {
	"i", "4ABC123", "j", "mx.example.org", "{tls_version}", "TLSv1.3"
};
static const char *const FROM_RT[] = { "<a@example.net>", "REQUIRETLS" };
static const char *const FROM[] = { "<a@example.net>" };

/* One plaintext (rejected) and one TLS + REQUIRETLS transaction on A. */
static int
probe(const char *what)
{
	struct mt_conn c;
	struct mt_reply r;
	char why[256];
	int ok = 0;

	if (sess_open(&c, sock_a) != 0)
		goto out;
	if (sess_connect(&c, "client.example.net", SMFIA_INET, "192.0.2.7",
	    NULL, 0, &r) != MT_OK || !passed(&r) ||
	    sess_helo(&c, "client.example.net", NULL, 0, &r) != MT_OK ||
	    !passed(&r)) {
		diag("%s: connect/helo: %s %s", what, mt_codename(r.code),
		    c.err);
		goto out;
	}
	if (sess_mail(&c, FROM, 1, NULL, 0, &r) != MT_OK ||
	    !is_reject(&r, "550 5.7.1 ")) {
		diag("%s: plaintext MAIL: %s %s %s", what,
		    mt_codename(r.code), r.text, c.err);
		goto out;
	}
	(void)mt_abort(&c);
	if (sess_mail(&c, FROM_RT, 2, TLS_MAIL, NV(TLS_MAIL), &r) != MT_OK ||
	    !passed(&r) ||
	    sess_rcpt(&c, "<b@example.org>", NULL, 0, &r) != MT_OK ||
	    !passed(&r) ||
	    sess_data(&c, NULL, NULL, EOM_MACROS, NV(EOM_MACROS), &r) !=
	    MT_OK || !passed(&r)) {
		diag("%s: TLS transaction: %s %s", what, mt_codename(r.code),
		    c.err);
		goto out;
	}
	if (!check_mods(&r, 1, why, sizeof(why))) {
		diag("%s: %s", what, why);
		goto out;
	}
	ok = strstr(r.mods[0].value, "by mx.example.org (mtasts-milter)") !=
	    NULL && strstr(r.mods[0].value, "id 4ABC123;") != NULL;
	if (!ok)
		diag("%s: Received: %s", what, show(r.mods[0].value));
	(void)mt_quit(&c);
out:
	mt_close(&c);
	return ok;
}

static void
case_probe(void)
{
	tap(probe("probe"), "daemon A answers: plaintext 550 5.7.1, TLS + "
	    "REQUIRETLS gets a clean Received field");
}

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

static void
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

static void
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

static void
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

/* --- failclosed ----------------------------------------------------- */

enum expect { E_CONT, E_550, E_523, E_NOTPASS };

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

static int
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

static void
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

static void
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

static void
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

static void
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

static void
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

static void
case_oddmacro(void)
{
	case_libmilter(0);
}

static void
case_nonulmacro(void)
{
	case_libmilter(1);
}

/* --- main ----------------------------------------------------------- */

static const struct {
	const char	*name;
	void		(*fn)(void);
	int		 needs_b;
} cases[] = {
	{ "probe", case_probe, 0 },
	{ "inject", case_inject, 0 },
	{ "big", case_big, 0 },
	{ "args", case_args, 1 },
	{ "failclosed", case_failclosed, 1 },
	{ "disconnect", case_disconnect, 0 },
	{ "many", case_many, 0 },
	{ "concurrent", case_concurrent, 0 },
	{ "garbage", case_garbage, 0 },
	{ "oddmacro", case_oddmacro, 0 },
	{ "nonulmacro", case_nonulmacro, 0 },
};

static void
usage(void)
{
	size_t i;

	fprintf(stderr, "usage: mthostile -a SOCKET_A [-b SOCKET_B] "
	    "[-T TIMEOUT_MS] CASE...\ncases:");
	for (i = 0; i < NV(cases); i++)
		fprintf(stderr, " %s", cases[i].name);
	fputc('\n', stderr);
	exit(2);
}

int
main(int argc, char **argv)
{
	size_t i;
	int ch, a;

	while ((ch = getopt(argc, argv, "a:b:T:")) != -1) {
		switch (ch) {
		case 'a':
			sock_a = optarg;
			break;
		case 'b':
			sock_b = optarg;
			break;
		case 'T':
			tmo = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (sock_a == NULL || optind == argc)
		usage();
	for (a = optind; a < argc; a++) {
		for (i = 0; i < NV(cases); i++)
			if (strcmp(argv[a], cases[i].name) == 0)
				break;
		if (i == NV(cases) || (cases[i].needs_b && sock_b == NULL))
			usage();
		cases[i].fn();
	}
	return nfail > 0 ? 1 : 0;
}
