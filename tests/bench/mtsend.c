/*
 * mtsend.c - run one scripted milter session and print every answer.
 *
 * A command-line MTA for shell tests: it negotiates, sends the given
 * macros at the given stages, connect, HELO, one or more transactions
 * (MAIL with ESMTP arguments, recipients, DATA, headers, end of headers,
 * body, end of message) and quits, printing the negotiated options, the
 * symbol lists the filter asked for, each reply (with the SMFIR_REPLYCODE
 * text) and each modification at end of message.  Unlike miltertest it
 * has no 1 KiB macro limit and no argument-count limit.  A reply that
 * ends the message (reject, tempfail, replycode, accept, discard) makes
 * it send ABORT and go on with the next transaction, as an MTA would.
 *
 * Usage: mtsend -p SOCKET [-T MS] [-a ADDR] [-n HOST] [-e HELO] [-k N]
 *        [-m STAGE:NAME=VALUE]... [-f SENDER] [-A ARG]... [-r RCPT]...
 *        [-h 'Name: value']... [-b BODY]
 *   STAGE  C connect, H helo, M mail, R rcpt, T data, N eoh, E eom
 *   -a     client address (default 192.0.2.1; "::"-style gives inet6)
 *   -k     transactions on the connection (default 1)
 *   Every string takes C escapes: \r \n \t \\ \xHH.
 *
 * Output lines: "negotiate version=V actions=0x.. pflags=0x..",
 * "symlist stage=S macros=\"...\"", "step=S reply=R [text=\"...\"]",
 * "mod=M index=I name=\"...\" value=\"...\"".  Strings are printed with C
 * escapes.  Exit status 0 when the session ran to its end, 1 on a
 * connection or protocol error (printed as "error=... msg=..."), 2 on
 * usage errors.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mtclient.h"

#define MAXV	256

struct script {
	const char	*sock, *addr, *host, *helo, *from, *body;
	int		 tmo, count;
	const char	*macros[8][2 * MAXV];	/* per stage: name, value */
	size_t		 nmacros[8];
	const char	*args[MAXV + 1];	/* sender + ESMTP args */
	size_t		 nargs;
	const char	*rcpts[MAXV];
	size_t		 nrcpts;
	const char	*hdrs[MAXV][2];
	size_t		 nhdrs;
};

static const char stagechars[] = "CHMRTNE";
static const char *stagenames[] = { "connect", "helo", "mail", "rcpt",
	"data", "eom", "eoh" };	/* indexed by SMFIM_* */

static void usage(void) __attribute__((noreturn));

static void
usage(void)
{
	fprintf(stderr, "usage: mtsend -p SOCKET [-T MS] [-a ADDR] [-n HOST] "
	    "[-e HELO] [-k N]\n\t[-m STAGE:NAME=VALUE]... [-f SENDER] "
	    "[-A ARG]... [-r RCPT]...\n\t[-h 'Name: value']... [-b BODY]\n");
	exit(2);
}

static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Decode C escapes in place (the result is never longer). */
static char *
unescape(char *s)
{
	char *in = s, *out = s;

	while (*in != '\0') {
		if (*in != '\\' || in[1] == '\0') {
			*out++ = *in++;
			continue;
		}
		in++;
		switch (*in) {
		case 'r': *out++ = '\r'; in++; break;
		case 'n': *out++ = '\n'; in++; break;
		case 't': *out++ = '\t'; in++; break;
		case 'x':
			if (hexval(in[1]) >= 0 && hexval(in[2]) >= 0) {
				*out++ = (char)(hexval(in[1]) * 16 +
				    hexval(in[2]));
				in += 3;
				break;
			}
			/* FALLTHROUGH */
		default: *out++ = *in++; break;
		}
	}
	*out = '\0';
	return s;
}

static void
print_esc(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			printf("\\x%02x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void
add_macro(struct script *sc, char *arg)
{
	const char *p;
	char *eq;
	int st;

	if (arg[0] == '\0' || arg[1] != ':' ||
	    (p = strchr(stagechars, arg[0])) == NULL ||
	    (eq = strchr(arg + 2, '=')) == NULL)
		usage();
	st = (int)(p - stagechars);
	if (sc->nmacros[st] >= 2 * MAXV)
		usage();
	*eq = '\0';
	sc->macros[st][sc->nmacros[st]++] = unescape(arg + 2);
	sc->macros[st][sc->nmacros[st]++] = unescape(eq + 1);
}

static void
add_header(struct script *sc, char *arg)
{
	char *colon = strchr(arg, ':');

	if (colon == NULL || sc->nhdrs >= MAXV)
		usage();
	*colon = '\0';
	sc->hdrs[sc->nhdrs][0] = unescape(arg);
	sc->hdrs[sc->nhdrs++][1] = unescape(colon + 1);
}

static int
show(const char *step, int rc, struct mt_conn *c, const struct mt_reply *r)
{
	size_t i;

	if (rc != MT_OK) {
		printf("step=%s error=%d msg=", step, rc);
		print_esc(c->err);
		printf("\n");
		return rc;
	}
	if (r == NULL)
		return MT_OK;
	printf("step=%s reply=%s", step, mt_codename(r->code));
	if (r->code == SMFIR_REPLYCODE)
		printf(" text="), print_esc(r->text);
	printf("\n");
	for (i = 0; i < r->nmods; i++) {
		printf("mod=%s index=%u name=", mt_codename(r->mods[i].cmd),
		    r->mods[i].index);
		print_esc(r->mods[i].name);
		printf(" value=");
		print_esc(r->mods[i].value);
		printf("\n");
	}
	return MT_OK;
}

static int
ends(int code)
{
	return code != SMFIR_CONTINUE && code != MT_NOREPLY &&
	    code != MT_SKIPPED && code != SMFIR_SKIP;
}

static int
macros(struct mt_conn *c, const struct script *sc, int cmd)
{
	int st = (int)(strchr(stagechars, cmd) - stagechars);

	if (sc->nmacros[st] == 0)
		return MT_OK;
	return mt_macro(c, cmd, sc->macros[st], sc->nmacros[st]);
}

static int
transaction(struct mt_conn *c, const struct script *sc)
{
	struct mt_reply r;
	size_t i, ok = 0;
	int rc;

	if ((rc = macros(c, sc, 'M')) != MT_OK ||
	    (rc = show("mail", mt_mail(c, sc->args, sc->nargs, &r), c, &r)))
		return rc;
	for (i = 0; i < sc->nrcpts && !ends(r.code); i++) {
		if ((rc = macros(c, sc, 'R')) != MT_OK ||
		    (rc = show("rcpt", mt_rcpt(c, &sc->rcpts[i], 1, &r), c,
		    &r)) != MT_OK)
			return rc;
		ok += !ends(r.code);
		if (r.code == SMFIR_ACCEPT)
			break;
	}
	if (ends(r.code) && (r.code == SMFIR_ACCEPT || ok == 0))
		return mt_abort(c);
	if ((rc = macros(c, sc, 'T')) != MT_OK ||
	    (rc = show("data", mt_data(c, &r), c, &r)) != MT_OK)
		return rc;
	for (i = 0; i < sc->nhdrs && !ends(r.code); i++)
		if ((rc = show("header", mt_header(c, sc->hdrs[i][0],
		    sc->hdrs[i][1], &r), c, &r)) != MT_OK)
			return rc;
	if (!ends(r.code) && ((rc = macros(c, sc, 'N')) != MT_OK ||
	    (rc = show("eoh", mt_eoh(c, &r), c, &r)) != MT_OK))
		return rc;
	if (!ends(r.code) && (rc = show("body", mt_body(c, sc->body,
	    strlen(sc->body), &r), c, &r)) != MT_OK)
		return rc;
	if (ends(r.code))
		return mt_abort(c);
	if ((rc = macros(c, sc, 'E')) != MT_OK)
		return rc;
	return show("eom", mt_eom(c, NULL, 0, &r), c, &r);
}

static int
session(const struct script *sc)
{
	struct mt_conn c;
	struct mt_reply r;
	int i, rc, fam = strchr(sc->addr, ':') ? SMFIA_INET6 : SMFIA_INET;

	if ((rc = mt_open(&c, sc->sock, sc->tmo)) != MT_OK ||
	    (rc = mt_negotiate(&c, SMFI_PROT_VERSION, SMFI_CURR_ACTS,
	    SMFI_CURR_PROT)) != MT_OK)
		goto out;
	printf("negotiate version=%u actions=0x%x pflags=0x%x\n", c.version,
	    c.actions, c.pflags);
	for (i = 0; i < MT_NSTAGES; i++)
		if (mt_symlist(&c, i) != NULL) {
			printf("symlist stage=%s macros=", stagenames[i]);
			print_esc(mt_symlist(&c, i));
			printf("\n");
		}
	if ((rc = macros(&c, sc, 'C')) != MT_OK ||
	    (rc = show("connect", mt_connect(&c, sc->host, fam, 25000,
	    sc->addr, &r), &c, &r)) != MT_OK || ends(r.code))
		goto out;
	if ((rc = macros(&c, sc, 'H')) != MT_OK ||
	    (rc = show("helo", mt_helo(&c, sc->helo, &r), &c, &r)) != MT_OK ||
	    ends(r.code))
		goto out;
	for (i = 0; i < sc->count && rc == MT_OK; i++)
		rc = transaction(&c, sc);
out:
	if (rc != MT_OK)
		show("session", rc, &c, NULL);
	if (c.fd != -1)
		(void)mt_quit(&c);
	else
		mt_close(&c);
	return rc == MT_OK ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	static struct script sc;
	int ch;

	sc.addr = "192.0.2.1";
	sc.host = "client.example.net";
	sc.helo = "client.example.net";
	sc.from = "<sender@example.net>";
	sc.body = "Hello.\r\n";
	sc.tmo = 10000;
	sc.count = 1;
	while ((ch = getopt(argc, argv, "a:A:b:e:f:h:k:m:n:p:r:T:")) != -1) {
		switch (ch) {
		case 'a': sc.addr = unescape(optarg); break;
		case 'A':
			if (sc.nargs >= MAXV)
				usage();
			sc.args[1 + sc.nargs++] = unescape(optarg);
			break;
		case 'b': sc.body = unescape(optarg); break;
		case 'e': sc.helo = unescape(optarg); break;
		case 'f': sc.from = unescape(optarg); break;
		case 'h': add_header(&sc, optarg); break;
		case 'k': sc.count = atoi(optarg); break;
		case 'm': add_macro(&sc, optarg); break;
		case 'n': sc.host = unescape(optarg); break;
		case 'p': sc.sock = optarg; break;
		case 'r':
			if (sc.nrcpts >= MAXV)
				usage();
			sc.rcpts[sc.nrcpts++] = unescape(optarg);
			break;
		case 'T': sc.tmo = atoi(optarg); break;
		default: usage();
		}
	}
	if (sc.sock == NULL || optind != argc || sc.tmo <= 0 ||
	    sc.count < 1 || sc.count > 10000)
		usage();
	sc.args[0] = sc.from;
	sc.nargs++;
	if (sc.nrcpts == 0)
		sc.rcpts[sc.nrcpts++] = "<postmaster@example.org>";
	setvbuf(stdout, NULL, _IOLBF, 0);
	return session(&sc);
}
