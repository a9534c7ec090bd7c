/*
 * hostile.c - hostile milter-protocol inputs, for the robustness tests.
 *
 * Plays a misbehaving or malicious MTA (or an attacker who controls what
 * the MTA passes on: macro values, HELO, envelope) against a milter, then
 * checks the milter still serves a normal session.  Built on mtclient.
 *
 * Usage: hostile -p SOCKET [-H CASE[,CASE...]] [-T TIMEOUT_MS] [-q]
 *   CASE is one of
 *     macros      CR, LF, NUL-less control bytes, non-UTF-8, '%', quotes in
 *                 every macro, the connect host, HELO, sender, recipient
 *                 and header values
 *     bigmacro    64 KiB macro values (over libmilter's 65535-byte packet
 *                 limit), values just under it, 500 macros at once, a 10
 *                 KiB macro name, a 64 KiB HELO, and 64 KiB with SMFIP_MDS_1M
 *                 offered
 *     args        MAIL FROM with 500 and 2000 ESMTP arguments (REQUIRETLS in
 *                 the middle, in odd case, with a value), more than 64 KiB of
 *                 arguments, RCPT with 300 arguments
 *     disconnect  close (or reset) the socket after every stage, and in the
 *                 middle of a packet's length and of its data
 *     garbage     random bytes, zero and 2 GiB lengths, unknown commands,
 *                 steps out of order, strings without NUL, bad OPTNEG
 *     abort       ABORT with no message open (5x), MAIL over TLS then MAIL
 *                 again with plaintext macros (must not inherit TLS), ABORT
 *                 after RCPT, QUIT_NC and a new connection on the socket
 *     all         every case above (default)
 *
 * Output: one line per step, "case=C step=S reply=R [text=...]" or
 * "case=C step=S error=..." (an error is often the expected outcome: a
 * filter may drop a hostile connection), then after each case a liveness
 * probe, "case=C alive=yes|no", which opens a fresh session and runs one
 * ordinary transaction to its end.  Values are printed with C escapes.
 *
 * Exit status: 0 when the milter stayed alive after every case, 1 when a
 * liveness probe failed, 2 on usage errors.  Every step has a deadline
 * (-T, default 5000 ms) and every loop a fixed count.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mtclient.h"

static const char *sock;
static int tmo = 5000, quiet;
static const char *cur = "";

static void
print_esc(const char *s, size_t max)
{
	size_t i;

	putchar('"');
	for (i = 0; i < max && s[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			printf("\\x%02x", ch);
		else
			putchar(ch);
	}
	printf("%s\"", i == max && s[i] != '\0' ? "..." : "");
}

/* Print the outcome of one step; returns rc. */
static int
say(const char *step, int rc, struct mt_conn *c, const struct mt_reply *r)
{
	if (quiet)
		return rc;
	printf("case=%s step=%s", cur, step);
	if (rc != MT_OK)
		printf(" error=%d msg=", rc), print_esc(c->err, 200);
	else if (r != NULL) {
		printf(" reply=%s", mt_codename(r->code));
		if (r->code == SMFIR_REPLYCODE)
			printf(" text="), print_esc(r->text, 200);
		if (r->nmods > 0)
			printf(" mods=%zu", r->nmods);
	}
	printf("\n");
	return rc;
}

static int
open_neg(struct mt_conn *c, uint32_t pflags)
{
	int rc;

	if ((rc = mt_open(c, sock, tmo)) != MT_OK)
		return say("open", rc, c, NULL);
	rc = mt_negotiate(c, SMFI_PROT_VERSION, SMFI_CURR_ACTS, pflags);
	return say("negotiate", rc, c, NULL);
}

static int
std_session(struct mt_conn *c, const char *host, const char *helo)
{
	struct mt_reply r;
	int rc;

	if ((rc = open_neg(c, SMFI_CURR_PROT)) != MT_OK)
		return rc;
	rc = mt_connect(c, host, SMFIA_INET, 25000, "192.0.2.66", &r);
	if (say("connect", rc, c, &r) != MT_OK)
		return rc;
	rc = mt_helo(c, helo, &r);
	return say("helo", rc, c, &r);
}

static const char *plain_macros[] = { "i", "", "{client_addr}",
	"192.0.2.66" };
static const char *tls_macros[] = { "{tls_version}", "TLSv1.3", "{cipher}",
	"TLS_AES_256_GCM_SHA384", "{cipher_bits}", "256", "i", "",
	"{client_addr}", "192.0.2.66" };

/*
 * An ordinary transaction from MAIL to end of message.  Returns MT_OK
 * when it reached a final answer (a reject at MAIL counts), and sets
 * *ended to 1 when the milter ended the message before end of message.
 */
static int
std_tx(struct mt_conn *c, const char *from, int *ended)
{
	struct mt_reply r;
	const char *ma[] = { from };
	const char *ra[] = { "<postmaster@example.org>" };
	int rc;

	*ended = 1;
	if ((rc = mt_macro(c, SMFIC_MAIL, tls_macros, 10)) != MT_OK ||
	    (rc = mt_mail(c, ma, 1, &r)) != MT_OK)
		return say("mail", rc, c, NULL);
	say("mail", rc, c, &r);
	if (r.code != SMFIR_CONTINUE && r.code != MT_NOREPLY)
		return mt_abort(c);
	if ((rc = say("rcpt", mt_rcpt(c, ra, 1, &r), c, &r)) != MT_OK)
		return rc;
	if (r.code != SMFIR_CONTINUE && r.code != MT_NOREPLY)
		return mt_abort(c);
	if ((rc = say("header", mt_header(c, "Subject", " hi", &r), c, &r)) !=
	    MT_OK || (rc = say("eoh", mt_eoh(c, &r), c, &r)) != MT_OK ||
	    (rc = say("body", mt_body(c, "hi\r\n", 4, &r), c, &r)) != MT_OK ||
	    (rc = say("eom", mt_eom(c, NULL, 0, &r), c, &r)) != MT_OK)
		return rc;
	*ended = 0;
	return MT_OK;
}

/* A fresh ordinary session must still work. */
static int
alive(void)
{
	struct mt_conn c;
	int ended, ok;

	ok = std_session(&c, "alive.example.net", "alive.example.net") ==
	    MT_OK && std_tx(&c, "<probe@example.net>", &ended) == MT_OK;
	mt_close(&c);
	printf("case=%s alive=%s\n", cur, ok ? "yes" : "no");
	return ok;
}

/* --- cases ----------------------------------------------------------- */

static void
case_macros(void)
{
	static const char *bad[] = { "TLSv1.3\r\nX-Injected: yes",
	    "\xff\xfe\xc3\x28 invalid utf-8", "%s%n%x%% 100%", "a\"b'c\\d",
	    "\x01\x02\x1b[31m\x7f", "\r\n.\r\n", "\n", "" };
	struct mt_conn c;
	struct mt_reply r;
	size_t i;
	int ended;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *m[] = { "{tls_version}", bad[i], "{cipher}", bad[i],
		    "{cipher_bits}", bad[i], "{cert_subject}", bad[i],
		    "{cert_issuer}", bad[i], "{verify}", bad[i], "{auth_type}",
		    bad[i], "{auth_authen}", bad[i], "{client_addr}", bad[i],
		    "i", bad[i], "j", bad[i] };
		const char *ma[] = { "<a\r\nb@example.net>", bad[i] };

		if (mt_open(&c, sock, tmo) != MT_OK ||
		    mt_negotiate(&c, SMFI_PROT_VERSION, SMFI_CURR_ACTS,
		    SMFI_CURR_PROT) != MT_OK) {
			say("open", MT_EIO, &c, NULL);
			mt_close(&c);
			continue;
		}
		(void)mt_macro(&c, SMFIC_CONNECT, m, 22);
		/* A bad address would only test libmilter's inet_aton. */
		say("connect", mt_connect(&c, bad[i], SMFIA_INET, 25,
		    "192.0.2.66", &r), &c, &r);
		(void)mt_macro(&c, SMFIC_HELO, m, 22);
		say("helo", mt_helo(&c, bad[i], &r), &c, &r);
		(void)mt_macro(&c, SMFIC_MAIL, m, 22);
		if (say("mail", mt_mail(&c, ma, 2, &r), &c, &r) == MT_OK &&
		    (r.code == SMFIR_CONTINUE || r.code == MT_NOREPLY)) {
			const char *ra[] = { "<x\r\n@example.org>", bad[i] };

			(void)mt_macro(&c, SMFIC_RCPT, m, 22);
			say("rcpt", mt_rcpt(&c, ra, 2, &r), &c, &r);
			say("header", mt_header(&c, "TLS-Required", bad[i], &r),
			    &c, &r);
			say("eoh", mt_eoh(&c, &r), &c, &r);
			(void)mt_macro(&c, SMFIC_BODYEOB, m, 22);
			say("eom", mt_eom(&c, NULL, 0, &r), &c, &r);
		}
		(void)mt_abort(&c);
		/* Plaintext transaction on the same connection afterwards. */
		(void)std_tx(&c, "<after@example.net>", &ended);
		(void)mt_quit(&c);
	}
}

static char *
filled(size_t n, int ch)
{
	char *p = malloc(n + 1);

	if (p == NULL) {
		perror("hostile: malloc");
		exit(1);
	}
	memset(p, ch, n);
	p[n] = '\0';
	return p;
}

static void
big_mail(const char *step, const char *const *m, size_t nm, uint32_t pf)
{
	struct mt_conn c;
	struct mt_reply r;

	if (std_session(&c, "big.example.net", "big.example.net") == MT_OK) {
		const char *ma[] = { "<big@example.net>" };
		int rc;

		if ((pf & SMFIP_MDS_1M) && !quiet)
			printf("case=%s step=%s mds_1m=%s\n", cur, step,
			    c.pflags & SMFIP_MDS_1M ? "granted" : "refused");
		rc = mt_macro(&c, SMFIC_MAIL, m, nm);
		if (rc == MT_OK)
			rc = mt_mail(&c, ma, 1, &r);
		say(step, rc, &c, &r);
		(void)mt_abort(&c);
	}
	mt_close(&c);
}

static void
case_bigmacro(void)
{
	char *v64 = filled(65536, 'A'), *v65 = filled(65000, 'B');
	char *name = filled(10240, 'n'), *vals[500];
	const char *many[1000];
	struct mt_conn c;
	struct mt_reply r;
	int i;

	const char *m1[] = { "{tls_version}", v64 };
	const char *m2[] = { "{tls_version}", v65 };
	const char *m3[] = { name, "x", "{cipher}", v64 + 60000 };
	big_mail("macro_64k", m1, 2, SMFI_CURR_PROT);
	big_mail("macro_65000", m2, 2, SMFI_CURR_PROT);
	big_mail("macro_name_10k", m3, 4, SMFI_CURR_PROT);
	for (i = 0; i < 500; i++) {
		vals[i] = filled(100, 'a' + i % 26);
		many[2 * i] = i % 2 ? "{tls_version}" : "{cipher_bits}";
		many[2 * i + 1] = vals[i];
	}
	big_mail("macros_500", many, 1000, SMFI_CURR_PROT);
	big_mail("macro_64k_mds1m", m1, 2, SMFI_CURR_PROT | SMFIP_MDS_1M);
	if (open_neg(&c, SMFI_CURR_PROT) == MT_OK) {
		say("connect", mt_connect(&c, "h", SMFIA_INET, 1, "192.0.2.1",
		    &r), &c, &r);
		say("helo_64k", mt_helo(&c, v64, &r), &c, &r);
	}
	mt_close(&c);
	for (i = 0; i < 500; i++)
		free(vals[i]);
	free(v64);
	free(v65);
	free(name);
}

static void
many_args(const char *step, int n, size_t len, int rcpt)
{
	struct mt_conn c;
	struct mt_reply r;
	const char **a = calloc((size_t)n + 1, sizeof(*a));
	char *buf = malloc((size_t)n * (len + 16));
	int i;

	if (a == NULL || buf == NULL) {
		perror("hostile: malloc");
		exit(1);
	}
	a[0] = "<args@example.net>";
	for (i = 1; i <= n; i++) {
		char *p = buf + (size_t)(i - 1) * (len + 16);

		snprintf(p, len + 16, "X%d=%.*s", i, (int)len,
		    "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
		    "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv");
		a[i] = p;
	}
	a[n / 2] = "REQUIRETLS";
	a[n / 3] = "ReQuIrEtLs";
	a[n / 4] = "REQUIRETLS=yes";
	if (std_session(&c, "args.example.net", "args.example.net") == MT_OK) {
		int rc;

		(void)mt_macro(&c, SMFIC_MAIL, tls_macros, 10);
		rc = mt_mail(&c, a, (size_t)n + 1, &r);
		if (rcpt && rc == MT_OK) {
			a[0] = "<postmaster@example.org>";
			rc = mt_rcpt(&c, a, (size_t)n + 1, &r);
		}
		say(step, rc, &c, &r);
		(void)mt_abort(&c);
	}
	mt_close(&c);
	free(a);
	free(buf);
}

static void
case_args(void)
{
	many_args("mail_500_args", 500, 40, 0);
	many_args("mail_2000_args", 2000, 1, 0);
	many_args("mail_args_over_64k", 700, 100, 0);
	many_args("rcpt_300_args", 300, 20, 1);
}

static const char *stages[] = { "open", "negotiate", "connect", "helo",
	"mail_macros", "mail", "rcpt", "header", "eoh", "body", "eom",
	"mid_length", "mid_data" };
#define NSTAGES	(sizeof(stages) / sizeof(stages[0]))

/* Run a session up to and including stage k; returns the stage reached. */
static size_t
run_until(struct mt_conn *c, size_t k)
{
	struct mt_reply r;
	const char *ma[] = { "<cut@example.net>" }, *ra[] = { "<x@example.org>" };
	size_t s = 0;

	if (mt_open(c, sock, tmo) != MT_OK || k == s++ ||
	    mt_negotiate(c, SMFI_PROT_VERSION, SMFI_CURR_ACTS,
	    SMFI_CURR_PROT) != MT_OK || k == s++ ||
	    mt_connect(c, "cut.example.net", SMFIA_INET6, 1, "2001:db8::1",
	    &r) != MT_OK || k == s++ ||
	    mt_helo(c, "cut.example.net", &r) != MT_OK || k == s++ ||
	    mt_macro(c, SMFIC_MAIL, tls_macros, 10) != MT_OK || k == s++ ||
	    mt_mail(c, ma, 1, &r) != MT_OK || k == s++ ||
	    mt_rcpt(c, ra, 1, &r) != MT_OK || k == s++ ||
	    mt_header(c, "From", " <cut@example.net>", &r) != MT_OK ||
	    k == s++ || mt_eoh(c, &r) != MT_OK || k == s++ ||
	    mt_body(c, "body\r\n", 6, &r) != MT_OK || k == s++ ||
	    mt_eom(c, NULL, 0, &r) != MT_OK || k == s++)
		return s;
	if (k == s++) {
		(void)mt_send_bytes(c, "\0\0", 2);
		return s - 1;
	}
	(void)mt_send_bytes(c, "\0\0\0\x65L", 5);
	(void)mt_send_bytes(c, "Subject\0ha", 10);
	return s;
}

static void
case_disconnect(void)
{
	struct mt_conn c;
	size_t k;

	for (k = 0; k < NSTAGES; k++) {
		size_t got = run_until(&c, k);

		if (!quiet)
			printf("case=%s step=close_after_%s reached=%s%s\n",
			    cur, stages[k], got < NSTAGES ? stages[got] : "?",
			    k % 2 ? " rst=yes" : "");
		if (k % 2)
			mt_close_rst(&c);
		else
			mt_close(&c);
	}
}

struct raw {
	const char	*name;
	int		 negotiate;	/* negotiate first */
	const char	*bytes;
	size_t		 len;
};

static void
case_garbage(void)
{
	static const struct raw raws[] = {
		{ "zero_length", 1, "\0\0\0\0", 4 },
		{ "length_2g", 1, "\x7f\xff\xff\xffM<a>", 8 },
		{ "unknown_cmd", 1, "\0\0\0\x01Z", 5 },
		{ "rcpt_before_mail", 1, "\0\0\0\x05R<a>\0", 9 },
		{ "eom_without_mail", 1, "\0\0\0\x01" "E", 5 },
		{ "header_no_nul", 1, "\0\0\0\x05LFrom", 9 },
		{ "connect_no_nul", 1, "\0\0\0\x06" "Chost4", 10 },
		{ "macro_odd", 1, "\0\0\0\x07" "DM{tls", 11 },
		{ "macro_empty", 1, "\0\0\0\x01" "D", 5 },
		{ "optneg_short", 0, "\0\0\0\x05O\0\0\0\x06", 9 },
		{ "optneg_v1", 0, "\0\0\0\x0dO\0\0\0\x01\0\0\0\0\0\0\0\0", 17 },
		{ "optneg_twice", 1, "\0\0\0\x0dO\0\0\0\x06\0\0\x01\xff"
		    "\0\x1f\xff\xff", 17 },
		{ "body_before_optneg", 0, "\0\0\0\x03" "Bab", 7 },
	};
	struct mt_conn c;
	struct mt_reply r;
	unsigned char junk[4096];
	uint32_t x = 2463534242u;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(junk); i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		junk[i] = (unsigned char)x;
	}
	if (mt_open(&c, sock, tmo) == MT_OK) {
		rc = mt_send_bytes(&c, junk, sizeof(junk));
		c.timeout_ms = tmo < 1000 ? tmo : 1000;
		say("random_4k", rc == MT_OK ? mt_await(&c, &r) : rc, &c, &r);
	}
	mt_close(&c);
	for (i = 0; i < sizeof(raws) / sizeof(raws[0]); i++) {
		rc = raws[i].negotiate ? open_neg(&c, SMFI_CURR_PROT) :
		    mt_open(&c, sock, tmo);
		if (rc == MT_OK)
			rc = mt_send_bytes(&c, raws[i].bytes, raws[i].len);
		/* No answer is a normal outcome here: wait less. */
		c.timeout_ms = tmo < 1000 ? tmo : 1000;
		if (rc == MT_OK)
			rc = mt_await(&c, &r);
		say(raws[i].name, rc, &c, &r);
		mt_close(&c);
	}
}

static void
case_abort(void)
{
	struct mt_conn c;
	struct mt_reply r;
	int ended;

	if (std_session(&c, "abort.example.net", "abort.example.net") ==
	    MT_OK) {
		const char *ma[] = { "<ab@example.net>" };
		const char *ra[] = { "<x@example.org>" };
		int i;

		for (i = 0; i < 5; i++)
			say("abort_idle", mt_abort(&c), &c, NULL);
		(void)mt_macro(&c, SMFIC_MAIL, tls_macros, 10);
		say("mail_tls", mt_mail(&c, ma, 1, &r), &c, &r);
		/* New MAIL-stage macros replace the old: no TLS now. */
		(void)mt_macro(&c, SMFIC_MAIL, plain_macros, 4);
		say("mail_again_plain", mt_mail(&c, ma, 1, &r), &c, &r);
		say("rcpt", mt_rcpt(&c, ra, 1, &r), &c, &r);
		say("abort", mt_abort(&c), &c, NULL);
		say("abort_again", mt_abort(&c), &c, NULL);
		say("full_tx", std_tx(&c, "<ab2@example.net>", &ended), &c,
		    NULL);
		say("quit_nc", mt_send(&c, SMFIC_QUIT_NC, NULL, 0), &c, NULL);
		say("connect_again", mt_connect(&c, "next.example.net",
		    SMFIA_INET, 2, "192.0.2.77", &r), &c, &r);
		say("helo_again", mt_helo(&c, "next.example.net", &r), &c, &r);
		say("full_tx_again", std_tx(&c, "<ab3@example.net>", &ended),
		    &c, NULL);
	}
	(void)mt_quit(&c);
}

static const struct {
	const char	*name;
	void		(*fn)(void);
} cases[] = {
	{ "macros", case_macros },
	{ "bigmacro", case_bigmacro },
	{ "args", case_args },
	{ "disconnect", case_disconnect },
	{ "garbage", case_garbage },
	{ "abort", case_abort },
};
#define NCASES	(sizeof(cases) / sizeof(cases[0]))

static void usage(void) __attribute__((noreturn));

static void
usage(void)
{
	fprintf(stderr, "usage: hostile -p SOCKET [-H CASE[,CASE...]] "
	    "[-T TIMEOUT_MS] [-q]\n  cases: macros bigmacro args disconnect "
	    "garbage abort all\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	const char *want = "all";
	size_t i;
	int ch, dead = 0, ran = 0;

	while ((ch = getopt(argc, argv, "H:p:qT:")) != -1) {
		switch (ch) {
		case 'H': want = optarg; break;
		case 'p': sock = optarg; break;
		case 'q': quiet = 1; break;
		case 'T': tmo = atoi(optarg); break;
		default: usage();
		}
	}
	if (sock == NULL || optind != argc || tmo <= 0)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < NCASES; i++) {
		const char *p = strstr(want, cases[i].name);
		size_t n = strlen(cases[i].name);

		if (strcmp(want, "all") != 0 && (p == NULL ||
		    (p != want && p[-1] != ',') || (p[n] != '\0' && p[n] != ',')))
			continue;
		cur = cases[i].name;
		cases[i].fn();
		dead += !alive();
		ran++;
	}
	if (ran == 0)
		usage();
	return dead > 0;
}
