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
 *               (see case_libmilter in hostile_conn.c); hostile.sh runs
 *               them last
 *
 * Output: TAP lines without numbers ("ok - ...", "not ok - ...", "# ..."),
 * which hostile.sh numbers.  Exit status 0 when every line was ok.
 *
 * Files: hostile.c (this one: main, options, TAP output, the session
 * helpers and the probe), hostile_input.c (inject, big, args),
 * hostile_failclosed.c (failclosed), hostile_conn.c (disconnect, many,
 * concurrent, garbage, oddmacro, nonulmacro); hostile.h declares what
 * they share.
 *
 * Every call has a deadline (-T, default 5000 ms); every loop is bounded.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "mtclient.h"
#include "hostile.h"

const char *sock_a, *sock_b;
int tmo = 5000;
static int nfail, nok;

void
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

void
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
const char *
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
int
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

int
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
int
sess_connect(struct mt_conn *c, const char *host, int family,
    const char *addr, const char *const *macros, size_t nmacros,
    struct mt_reply *r)
{
	if (nmacros > 0 && send_macros(c, SMFIC_CONNECT, macros, nmacros)
	    != MT_OK)
		return -1;
	return mt_connect(c, host, family, 25, addr, r);
}

int
sess_helo(struct mt_conn *c, const char *helo, const char *const *macros,
    size_t nmacros, struct mt_reply *r)
{
	if (nmacros > 0 && send_macros(c, SMFIC_HELO, macros, nmacros) !=
	    MT_OK)
		return -1;
	return mt_helo(c, helo, r);
}

int
sess_mail(struct mt_conn *c, const char *const *args, size_t nargs,
    const char *const *macros, size_t nmacros, struct mt_reply *r)
{
	if (nmacros > 0 && send_macros(c, SMFIC_MAIL, macros, nmacros) !=
	    MT_OK)
		return -1;
	return mt_mail(c, args, nargs, r);
}

int
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
int
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
int
passed(const struct mt_reply *r)
{
	return r->code == SMFIR_CONTINUE || r->code == SMFIR_ACCEPT ||
	    r->code == MT_NOREPLY || r->code == MT_SKIPPED;
}

int
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
int
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

const char *const TLS_MAIL[] = {
	"{tls_version}", "TLSv1.3", "{cipher}", "TLS_AES_256_GCM_SHA384",
	"{cipher_bits}", "256", "i", "4ABC123", "j", "mx.example.org"
};
const char *const EOM_MACROS[] = {
	"i", "4ABC123", "j", "mx.example.org", "{tls_version}", "TLSv1.3"
};
const char *const FROM_RT[] = { "<a@example.net>", "REQUIRETLS" };
const char *const FROM[] = { "<a@example.net>" };

/* One plaintext (rejected) and one TLS + REQUIRETLS transaction on A. */
int
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

void
case_probe(void)
{
	tap(probe("probe"), "daemon A answers: plaintext 550 5.7.1, TLS + "
	    "REQUIRETLS gets a clean Received field");
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
