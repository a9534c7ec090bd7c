/*
 * check_engine.c - unit tests of the decision engine (engine.c), SPEC
 * section 5: a table of (configuration, session facts, recipient) ->
 * expected verdict at MAIL FROM and at RCPT TO covering rules 1-5, the
 * helpers (REQUIRETLS parameter, TLS-Required header, address domains),
 * and an exhaustive fail-closed enumeration of missing macros.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "core/conf.h"
#include "core/engine.h"
#include "unit.h"

/* --- helpers -------------------------------------------------------------- */

/* Loads a configuration text; "@DATA@" stands for tests/unit/data. */
static struct conf *
load_conf(const char *text)
{
	struct conf_errors errs;
	struct conf *c;
	char *buf = unit_expand(text);

	c = conf_load_buffer(buf, "engine-test", &errs);
	ck_assert_msg(c != NULL, "configuration refused:\n%s\n%s", buf,
	    errs.text != NULL ? errs.text : "");
	conf_errors_free(&errs);
	free(buf);
	return c;
}

/* --- the decision table --------------------------------------------------- */

struct facts_spec {
	const char	*tls;		/* {tls_version} */
	const char	*bits;		/* {cipher_bits} */
	const char	*auth_type;
	const char	*auth_authen;
	const char	*sa;		/* xxfi_connect address */
	const char	*addr;		/* {client_addr} */
	bool		 requiretls;
};

struct expect {
	bool		 set;
	enum action	 action;
	enum reason	 reason;
	enum sts_mode	 mode;
	const char	*code;		/* reply code, NULL: no reply */
};

struct engine_case {
	const char		*name;
	const char		*conf;
	struct facts_spec	 f;
	enum tls_state		 tls;
	struct expect		 mail;
	const char		*rcpt;
	struct expect		 at_rcpt;	/* when mail is PER_RCPT */
};

#define NETS	"exempt_networks = {\"192.0.2.0/24\", \"2001:db8:1::/48\"}\n"
#define C_ENF	"mode = \"enforce\"\n" NETS
#define C_TST	"mode = \"testing\"\n" NETS
#define C_OFF	"mode = \"off\"\n" NETS
#define OUTSIDE	"198.51.100.1"		/* not exempt */

#define PLAIN		.sa = OUTSIDE, .addr = OUTSIDE
#define TLS(v)		.tls = v, .bits = "256", PLAIN

#define E(a, r, m, c)	{ true, ACTION_##a, REASON_##r, STS_MODE_##m, c }
#define ACCEPT(m)	E(ACCEPT, NONE, m, NULL)
#define REJ(r)		E(REJECT, r, ENFORCE, "550")
#define PER(r, m)	E(PER_RCPT, r, m, NULL)
#define RT(m)		E(REJECT, REQUIRETLS_PLAINTEXT, m, "523")
#define EXEMPT(r, m)	E(EXEMPT, r, m, NULL)
#define NO_RCPT		NULL, { 0 }

/* Domain blocks: exact blocks beat ".example.org", whatever the order. */
#define DOMS	"mode = \"testing\"\n" NETS \
	"domain \".example.org\" { mode = \"off\" }\n" \
	"domain \"example.org\" { mode = \"enforce\" }\n" \
	"domain \"sub.example.org\" { mode = \"enforce\" }\n" \
	"domain \"Example.NET\" { mode = \"off\" }\n" \
	"domain \".b.example.com\" { mode = \"enforce\" }\n" \
	"domain \".example.com\" { mode = \"off\" }\n"
#define DOMS_REV "mode = \"testing\"\n" NETS \
	"domain \"sub.example.org\" { mode = \"enforce\" }\n" \
	"domain \".example.org\" { mode = \"off\" }\n" \
	"domain \".example.com\" { mode = \"off\" }\n" \
	"domain \".b.example.com\" { mode = \"enforce\" }\n"
#define ER	C_ENF "exempt_recipients = {\"postmaster\", " \
	"\"tlsrpt@example.org\", \"@reports.example.org\"}\n"

static const struct engine_case cases[] = {
	/* ---- rule 1: TLS, weak, plaintext ---- */
	{ "tls13", C_ENF, { TLS("TLSv1.3") }, TLS_OK, ACCEPT(ENFORCE),
	    NO_RCPT },
	{ "plaintext-null", C_ENF, { PLAIN }, TLS_PLAINTEXT, REJ(PLAINTEXT),
	    NO_RCPT },
	{ "plaintext-empty", C_ENF, { .tls = "", .bits = "256", PLAIN },
	    TLS_PLAINTEXT, REJ(PLAINTEXT), NO_RCPT },
	{ "no-min-sslv2", C_ENF, { TLS("SSLv2") }, TLS_OK, ACCEPT(ENFORCE),
	    NO_RCPT },
	{ "no-min-garbage", C_ENF, { TLS("garbage") }, TLS_OK,
	    ACCEPT(ENFORCE), NO_RCPT },
	{ "no-min-sslv3", C_ENF, { TLS("SSLv3") }, TLS_OK, ACCEPT(ENFORCE),
	    NO_RCPT },
	{ "min10-sslv3", C_ENF "min_tls_version = \"TLSv1\"\n",
	    { TLS("SSLv3") }, TLS_WEAK, REJ(WEAK_TLS), NO_RCPT },
	{ "min10-tls1", C_ENF "min_tls_version = \"TLSv1\"\n",
	    { TLS("TLSv1") }, TLS_OK, ACCEPT(ENFORCE), NO_RCPT },
	{ "min10-tls10", C_ENF "min_tls_version = \"TLSv1\"\n",
	    { TLS("TLSv1.0") }, TLS_OK, ACCEPT(ENFORCE), NO_RCPT },
	{ "min11-tls1", C_ENF "min_tls_version = \"TLSv1.1\"\n",
	    { TLS("TLSv1") }, TLS_WEAK, REJ(WEAK_TLS), NO_RCPT },
	{ "min11-tls11", C_ENF "min_tls_version = \"TLSv1.1\"\n",
	    { TLS("TLSv1.1") }, TLS_OK, ACCEPT(ENFORCE), NO_RCPT },
	{ "min12-tls11", C_ENF "min_tls_version = \"TLSv1.2\"\n",
	    { TLS("TLSv1.1") }, TLS_WEAK, REJ(WEAK_TLS), NO_RCPT },
	{ "min12-tls1", C_ENF "min_tls_version = \"TLSv1.2\"\n",
	    { TLS("TLSv1") }, TLS_WEAK, REJ(WEAK_TLS), NO_RCPT },
	{ "min12-tls12", C_ENF "min_tls_version = \"TLSv1.2\"\n",
	    { TLS("TLSv1.2") }, TLS_OK, ACCEPT(ENFORCE), NO_RCPT },
	{ "min12-tls13", C_ENF "min_tls_version = \"TLSv1.2\"\n",
	    { TLS("TLSv1.3") }, TLS_OK, ACCEPT(ENFORCE), NO_RCPT },
	{ "min12-sslv3", C_ENF "min_tls_version = \"TLSv1.2\"\n",
	    { TLS("SSLv3") }, TLS_WEAK, REJ(WEAK_TLS), NO_RCPT },
	{ "min12-sslv2", C_ENF "min_tls_version = \"TLSv1.2\"\n",
	    { TLS("SSLv2") }, TLS_WEAK, REJ(WEAK_TLS), NO_RCPT },
	{ "min12-garbage", C_ENF "min_tls_version = \"TLSv1.2\"\n",
	    { TLS("garbage") }, TLS_WEAK, REJ(WEAK_TLS), NO_RCPT },
	{ "min12-lowercase", C_ENF "min_tls_version = \"TLSv1.2\"\n",
	    { TLS("tlsv1.3") }, TLS_WEAK, REJ(WEAK_TLS), NO_RCPT },
	{ "min12-tls14", C_ENF "min_tls_version = \"TLSv1.2\"\n",
	    { TLS("TLSv1.4") }, TLS_OK, ACCEPT(ENFORCE), NO_RCPT },
	{ "min13-tls12", C_ENF "min_tls_version = \"TLSv1.3\"\n",
	    { TLS("TLSv1.2") }, TLS_WEAK, REJ(WEAK_TLS), NO_RCPT },
	{ "min13-tls13", C_ENF "min_tls_version = \"TLSv1.3\"\n",
	    { TLS("TLSv1.3") }, TLS_OK, ACCEPT(ENFORCE), NO_RCPT },
	{ "min13-tls14", C_ENF "min_tls_version = \"TLSv1.3\"\n",
	    { TLS("TLSv1.4") }, TLS_OK, ACCEPT(ENFORCE), NO_RCPT },
	{ "min13-tls2", C_ENF "min_tls_version = \"TLSv1.3\"\n",
	    { TLS("TLSv2") }, TLS_OK, ACCEPT(ENFORCE), NO_RCPT },
	{ "min13-tls1.3x", C_ENF "min_tls_version = \"TLSv1.3\"\n",
	    { TLS("TLSv1.3x") }, TLS_WEAK, REJ(WEAK_TLS), NO_RCPT },
	{ "bits-256", C_ENF "min_cipher_bits = 128\n", { TLS("TLSv1.3") },
	    TLS_OK, ACCEPT(ENFORCE), NO_RCPT },
	{ "bits-128", C_ENF "min_cipher_bits = 128\n",
	    { .tls = "TLSv1.3", .bits = "128", PLAIN }, TLS_OK,
	    ACCEPT(ENFORCE), NO_RCPT },
	{ "bits-127", C_ENF "min_cipher_bits = 128\n",
	    { .tls = "TLSv1.3", .bits = "127", PLAIN }, TLS_WEAK,
	    REJ(WEAK_TLS), NO_RCPT },
	{ "bits-null", C_ENF "min_cipher_bits = 128\n",
	    { .tls = "TLSv1.3", PLAIN }, TLS_WEAK, REJ(WEAK_TLS), NO_RCPT },
	{ "bits-empty", C_ENF "min_cipher_bits = 128\n",
	    { .tls = "TLSv1.3", .bits = "", PLAIN }, TLS_WEAK,
	    REJ(WEAK_TLS), NO_RCPT },
	{ "bits-alpha", C_ENF "min_cipher_bits = 128\n",
	    { .tls = "TLSv1.3", .bits = "abc", PLAIN }, TLS_WEAK,
	    REJ(WEAK_TLS), NO_RCPT },
	{ "bits-suffix", C_ENF "min_cipher_bits = 128\n",
	    { .tls = "TLSv1.3", .bits = "256abc", PLAIN }, TLS_WEAK,
	    REJ(WEAK_TLS), NO_RCPT },
	{ "bits-negative", C_ENF "min_cipher_bits = 128\n",
	    { .tls = "TLSv1.3", .bits = "-256", PLAIN }, TLS_WEAK,
	    REJ(WEAK_TLS), NO_RCPT },
	{ "bits-space", C_ENF "min_cipher_bits = 128\n",
	    { .tls = "TLSv1.3", .bits = " 256", PLAIN }, TLS_WEAK,
	    REJ(WEAK_TLS), NO_RCPT },
	{ "bits-huge", C_ENF "min_cipher_bits = 128\n",
	    { .tls = "TLSv1.3", .bits = "99999999999999999999999", PLAIN },
	    TLS_OK, ACCEPT(ENFORCE), NO_RCPT },
	{ "bits-no-minimum", C_ENF, { .tls = "TLSv1.3", .bits = "x", PLAIN },
	    TLS_OK, ACCEPT(ENFORCE), NO_RCPT },
	{ "bits-weak-good-version", C_ENF "min_tls_version = \"TLSv1.2\"\n"
	    "min_cipher_bits = 128\n",
	    { .tls = "TLSv1.3", .bits = "64", PLAIN }, TLS_WEAK,
	    REJ(WEAK_TLS), NO_RCPT },
	{ "bits-only-unknown-version", C_ENF "min_cipher_bits = 128\n",
	    { TLS("garbage") }, TLS_OK, ACCEPT(ENFORCE), NO_RCPT },
	{ "weak-testing", C_TST "min_tls_version = \"TLSv1.2\"\n",
	    { TLS("TLSv1") }, TLS_WEAK, PER(WEAK_TLS, TESTING),
	    "<a@example.org>", E(WOULD_REJECT, WEAK_TLS, TESTING, NULL) },
	{ "weak-off", C_OFF "min_tls_version = \"TLSv1.2\"\n",
	    { TLS("TLSv1") }, TLS_WEAK, PER(WEAK_TLS, OFF),
	    "<a@example.org>", E(ACCEPT, WEAK_TLS, OFF, NULL) },

	/* ---- rule 2: exemptions ---- */
	{ "net-v4", C_ENF, { .sa = "192.0.2.7", .addr = OUTSIDE },
	    TLS_PLAINTEXT, EXEMPT(NETWORK, ENFORCE), NO_RCPT },
	{ "net-v6", C_ENF, { .sa = "2001:db8:1:2::5" }, TLS_PLAINTEXT,
	    EXEMPT(NETWORK, ENFORCE), NO_RCPT },
	{ "net-v4-mapped", C_ENF, { .sa = "::ffff:192.0.2.7" }, TLS_PLAINTEXT,
	    EXEMPT(NETWORK, ENFORCE), NO_RCPT },
	{ "net-v6-outside", C_ENF, { .sa = "2001:db8:2::5" }, TLS_PLAINTEXT,
	    REJ(PLAINTEXT), NO_RCPT },
	{ "net-sockaddr-wins", C_ENF, { .sa = OUTSIDE, .addr = "192.0.2.7" },
	    TLS_PLAINTEXT, REJ(PLAINTEXT), NO_RCPT },
	{ "net-addr-fallback", C_ENF, { .addr = "192.0.2.7" }, TLS_PLAINTEXT,
	    EXEMPT(NETWORK, ENFORCE), NO_RCPT },
	{ "net-addr-ipv6-prefix", C_ENF, { .addr = "IPv6:2001:db8:1::9" },
	    TLS_PLAINTEXT, EXEMPT(NETWORK, ENFORCE), NO_RCPT },
	{ "net-addr-brackets", C_ENF, { .addr = "[192.0.2.7]" },
	    TLS_PLAINTEXT, EXEMPT(NETWORK, ENFORCE), NO_RCPT },
	{ "net-unix-sa-addr-fallback", C_ENF, { .sa = "unix",
	    .addr = "192.0.2.7" }, TLS_PLAINTEXT, EXEMPT(NETWORK, ENFORCE),
	    NO_RCPT },
	{ "net-unix-sa-no-addr", C_ENF, { .sa = "unix" }, TLS_PLAINTEXT,
	    REJ(PLAINTEXT), NO_RCPT },
	{ "net-nothing", C_ENF, { .tls = NULL }, TLS_PLAINTEXT,
	    REJ(PLAINTEXT), NO_RCPT },
	{ "net-addr-garbage", C_ENF, { .addr = "garbage" }, TLS_PLAINTEXT,
	    REJ(PLAINTEXT), NO_RCPT },
	{ "net-addr-outside", C_ENF, { .addr = OUTSIDE }, TLS_PLAINTEXT,
	    REJ(PLAINTEXT), NO_RCPT },
	{ "net-default-loopback-v4", "mode = \"enforce\"\n",
	    { .sa = "127.0.0.1" }, TLS_PLAINTEXT, EXEMPT(NETWORK, ENFORCE),
	    NO_RCPT },
	{ "net-default-loopback-v6", "mode = \"enforce\"\n",
	    { .sa = "::1" }, TLS_PLAINTEXT, EXEMPT(NETWORK, ENFORCE), NO_RCPT },
	{ "net-empty-list", "mode = \"enforce\"\nexempt_networks = {}\n",
	    { .sa = "127.0.0.1" }, TLS_PLAINTEXT, REJ(PLAINTEXT), NO_RCPT },
	{ "auth-type", C_ENF, { .auth_type = "PLAIN", PLAIN }, TLS_PLAINTEXT,
	    EXEMPT(AUTH, ENFORCE), NO_RCPT },
	{ "auth-authen", C_ENF, { .auth_authen = "bob", PLAIN },
	    TLS_PLAINTEXT, EXEMPT(AUTH, ENFORCE), NO_RCPT },
	{ "auth-empty", C_ENF, { .auth_type = "", .auth_authen = "", PLAIN },
	    TLS_PLAINTEXT, REJ(PLAINTEXT), NO_RCPT },
	{ "auth-not-exempt", C_ENF "exempt_authenticated = false\n",
	    { .auth_type = "PLAIN", .auth_authen = "bob", PLAIN },
	    TLS_PLAINTEXT, REJ(PLAINTEXT), NO_RCPT },
	{ "auth-off-net-still", C_ENF "exempt_authenticated = false\n",
	    { .sa = "192.0.2.1" }, TLS_PLAINTEXT, EXEMPT(NETWORK, ENFORCE),
	    NO_RCPT },
	{ "net-before-auth", C_ENF, { .auth_type = "PLAIN",
	    .sa = "192.0.2.1" }, TLS_PLAINTEXT, EXEMPT(NETWORK, ENFORCE),
	    NO_RCPT },
	{ "net-weak", C_ENF "min_tls_version = \"TLSv1.2\"\n",
	    { .tls = "TLSv1", .sa = "192.0.2.7" }, TLS_WEAK,
	    EXEMPT(NETWORK, ENFORCE), NO_RCPT },
	{ "auth-weak", C_ENF "min_tls_version = \"TLSv1.2\"\n",
	    { .tls = "TLSv1", .auth_type = "LOGIN", PLAIN }, TLS_WEAK,
	    EXEMPT(AUTH, ENFORCE), NO_RCPT },
	{ "net-tls-ok-is-accept", C_ENF, { .tls = "TLSv1.3",
	    .sa = "192.0.2.7" }, TLS_OK, ACCEPT(ENFORCE), NO_RCPT },
	{ "net-testing", C_TST, { .sa = "192.0.2.7" }, TLS_PLAINTEXT,
	    EXEMPT(NETWORK, TESTING), NO_RCPT },
	{ "auth-off", C_OFF, { .auth_authen = "x", PLAIN }, TLS_PLAINTEXT,
	    EXEMPT(AUTH, OFF), NO_RCPT },

	/* ---- rule 3: domain blocks ---- */
	{ "dom-exact", DOMS, { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, TESTING), "<a@example.org>", REJ(PLAINTEXT) },
	{ "dom-exact-case", DOMS, { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, TESTING), "<a@EXAMPLE.Org>", REJ(PLAINTEXT) },
	{ "dom-sub", DOMS, { PLAIN }, TLS_PLAINTEXT, PER(PLAINTEXT, TESTING),
	    "<a@x.example.org>", E(ACCEPT, PLAINTEXT, OFF, NULL) },
	{ "dom-sub-deep", DOMS, { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, TESTING), "<a@a.b.c.Example.ORG>",
	    E(ACCEPT, PLAINTEXT, OFF, NULL) },
	{ "dom-exact-beats-sub", DOMS, { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, TESTING), "<a@sub.example.org>", REJ(PLAINTEXT) },
	{ "dom-exact-beats-sub-rev", DOMS_REV, { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, TESTING), "<a@SUB.Example.Org.>",
	    REJ(PLAINTEXT) },
	{ "dom-sub-not-parent", DOMS_REV, { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, TESTING), "<a@example.org>",
	    E(WOULD_REJECT, PLAINTEXT, TESTING, NULL) },
	{ "dom-bad-prefix", DOMS, { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, TESTING), "<a@badexample.org>",
	    E(WOULD_REJECT, PLAINTEXT, TESTING, NULL) },
	{ "dom-suffix-attack", DOMS, { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, TESTING), "<a@example.org.evil>",
	    E(WOULD_REJECT, PLAINTEXT, TESTING, NULL) },
	{ "dom-block-name-case", DOMS, { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, TESTING), "<a@example.net>",
	    E(ACCEPT, PLAINTEXT, OFF, NULL) },
	{ "dom-exact-not-sub", DOMS, { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, TESTING), "<a@x.example.net>",
	    E(WOULD_REJECT, PLAINTEXT, TESTING, NULL) },
	{ "dom-longest-sub", DOMS, { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, TESTING), "<a@x.b.example.com>", REJ(PLAINTEXT) },
	{ "dom-longest-sub-rev", DOMS_REV, { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, TESTING), "<a@x.b.example.com>", REJ(PLAINTEXT) },
	{ "dom-shorter-sub", DOMS_REV, { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, TESTING), "<a@b.example.com>",
	    E(ACCEPT, PLAINTEXT, OFF, NULL) },
	{ "dom-no-brackets", DOMS, { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, TESTING), "a@example.org", REJ(PLAINTEXT) },
	{ "dom-no-domain", DOMS, { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, TESTING), "<postmaster>",
	    E(WOULD_REJECT, PLAINTEXT, TESTING, NULL) },
	{ "dom-tls-ok", DOMS, { TLS("TLSv1.2") }, TLS_OK, ACCEPT(TESTING),
	    NO_RCPT },

	/* ---- rule 4: where the rejection happens ---- */
	{ "at-mail", C_ENF, { PLAIN }, TLS_PLAINTEXT, REJ(PLAINTEXT), NO_RCPT },
	{ "at-mail-enforce-block", C_ENF "domain \"x.org\" { mode = "
	    "\"enforce\" }\n", { PLAIN }, TLS_PLAINTEXT, REJ(PLAINTEXT),
	    NO_RCPT },
	{ "at-rcpt-testing-block", C_ENF "domain \"x.org\" { mode = "
	    "\"testing\" }\n", { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, ENFORCE), "<a@x.org>",
	    E(WOULD_REJECT, PLAINTEXT, TESTING, NULL) },
	{ "at-rcpt-testing-block-other", C_ENF "domain \"x.org\" { mode = "
	    "\"testing\" }\n", { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, ENFORCE), "<a@y.org>", REJ(PLAINTEXT) },
	{ "at-rcpt-off-block", C_ENF "domain \"x.org\" { mode = \"off\" }\n",
	    { PLAIN }, TLS_PLAINTEXT, PER(PLAINTEXT, ENFORCE), "<a@x.org>",
	    E(ACCEPT, PLAINTEXT, OFF, NULL) },
	{ "at-rcpt-exempt-rcpt", C_ENF "exempt_recipients = {\"postmaster\"}\n",
	    { PLAIN }, TLS_PLAINTEXT, PER(PLAINTEXT, ENFORCE),
	    "<postmaster@x.org>", EXEMPT(RECIPIENT, ENFORCE) },
	{ "at-rcpt-exempt-rcpt-other", C_ENF "exempt_recipients = "
	    "{\"postmaster\"}\n", { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, ENFORCE), "<a@x.org>", REJ(PLAINTEXT) },
	{ "at-rcpt-testing", C_TST, { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, TESTING), "<a@x.org>",
	    E(WOULD_REJECT, PLAINTEXT, TESTING, NULL) },
	{ "at-rcpt-off", C_OFF, { PLAIN }, TLS_PLAINTEXT, PER(PLAINTEXT, OFF),
	    "<a@x.org>", E(ACCEPT, PLAINTEXT, OFF, NULL) },
	{ "at-rcpt-testing-enforce-block", C_TST "domain \"x.org\" { mode = "
	    "\"enforce\" }\n", { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, TESTING), "<a@x.org>", REJ(PLAINTEXT) },
	{ "at-mail-policy-file", NETS "policy_file = "
	    "\"@DATA@/policy-enforce.txt\"\nhostname = \"mx1.example.org\"\n",
	    { PLAIN }, TLS_PLAINTEXT, REJ(PLAINTEXT), NO_RCPT },
	{ "policy-none-overrides-enforce", C_ENF "policy_file = "
	    "\"@DATA@/policy-none.txt\"\n", { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, OFF), "<a@x.org>",
	    E(ACCEPT, PLAINTEXT, OFF, NULL) },
	{ "policy-domain-block", C_TST "hostname = \"mx.example.org\"\n"
	    "domain \"x.org\" { policy_file = \"@DATA@/policy-crlf.txt\" }\n"
	    "domain \"y.org\" { policy_file = \"@DATA@/policy-enforce.txt\" "
	    "}\n", { PLAIN }, TLS_PLAINTEXT, PER(PLAINTEXT, TESTING),
	    "<a@y.org>", REJ(PLAINTEXT) },

	/* ---- exempt_recipients forms ---- */
	{ "er-postmaster-any-domain", ER, { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, ENFORCE), "<POSTMASTER@anything.example>",
	    EXEMPT(RECIPIENT, ENFORCE) },
	{ "er-postmaster-bare", ER, { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, ENFORCE), "<postmaster>",
	    EXEMPT(RECIPIENT, ENFORCE) },
	{ "er-postmaster-prefix", ER, { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, ENFORCE), "<postmaster2@x.org>", REJ(PLAINTEXT) },
	{ "er-postmaster-suffix", ER, { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, ENFORCE), "<xpostmaster@x.org>", REJ(PLAINTEXT) },
	{ "er-full-address", ER, { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, ENFORCE), "<TLSRPT@Example.ORG>",
	    EXEMPT(RECIPIENT, ENFORCE) },
	{ "er-full-address-no-brackets", ER, { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, ENFORCE), "tlsrpt@example.org",
	    EXEMPT(RECIPIENT, ENFORCE) },
	{ "er-full-address-subdomain", ER, { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, ENFORCE), "<tlsrpt@sub.example.org>",
	    REJ(PLAINTEXT) },
	{ "er-full-address-other-local", ER, { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, ENFORCE), "<other@example.org>", REJ(PLAINTEXT) },
	{ "er-domain", ER, { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, ENFORCE), "<anyone@REPORTS.example.org>",
	    EXEMPT(RECIPIENT, ENFORCE) },
	{ "er-domain-trailing-dot", ER, { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, ENFORCE), "<anyone@reports.example.org.>",
	    EXEMPT(RECIPIENT, ENFORCE) },
	{ "er-domain-not-sub", ER, { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, ENFORCE), "<a@sub.reports.example.org>",
	    REJ(PLAINTEXT) },
	{ "er-domain-not-parent", ER, { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, ENFORCE), "<a@example.org>", REJ(PLAINTEXT) },
	{ "er-testing", C_TST "exempt_recipients = {\"@reports.example.org\"}\n",
	    { PLAIN }, TLS_PLAINTEXT, PER(PLAINTEXT, TESTING),
	    "<a@reports.example.org>", EXEMPT(RECIPIENT, TESTING) },
	{ "er-null-sender-rcpt", ER, { PLAIN }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, ENFORCE), "<>", REJ(PLAINTEXT) },

	/* ---- rule 5: REQUIRETLS ---- */
	{ "rt-enforce", C_ENF, { PLAIN, .requiretls = true }, TLS_PLAINTEXT,
	    RT(ENFORCE), NO_RCPT },
	{ "rt-testing", C_TST, { PLAIN, .requiretls = true }, TLS_PLAINTEXT,
	    RT(TESTING), NO_RCPT },
	{ "rt-off", C_OFF, { PLAIN, .requiretls = true }, TLS_PLAINTEXT,
	    RT(OFF), NO_RCPT },
	{ "rt-exempt-net", C_ENF, { .sa = "192.0.2.7", .requiretls = true },
	    TLS_PLAINTEXT, RT(ENFORCE), NO_RCPT },
	{ "rt-exempt-auth", C_TST, { .auth_type = "PLAIN", PLAIN,
	    .requiretls = true }, TLS_PLAINTEXT, RT(TESTING), NO_RCPT },
	{ "rt-exempt-rcpt", ER, { PLAIN, .requiretls = true },
	    TLS_PLAINTEXT, RT(ENFORCE), NO_RCPT },
	{ "rt-empty-version", C_OFF, { .tls = "", PLAIN, .requiretls = true },
	    TLS_PLAINTEXT, RT(OFF), NO_RCPT },
	{ "rt-disabled-enforce", C_ENF "requiretls = false\n",
	    { PLAIN, .requiretls = true }, TLS_PLAINTEXT, REJ(PLAINTEXT),
	    NO_RCPT },
	{ "rt-disabled-testing", C_TST "requiretls = false\n",
	    { PLAIN, .requiretls = true }, TLS_PLAINTEXT,
	    PER(PLAINTEXT, TESTING), "<a@x.org>",
	    E(WOULD_REJECT, PLAINTEXT, TESTING, NULL) },
	{ "rt-disabled-exempt", C_ENF "requiretls = false\n",
	    { .sa = "192.0.2.7", .requiretls = true }, TLS_PLAINTEXT,
	    EXEMPT(NETWORK, ENFORCE), NO_RCPT },
	{ "rt-over-tls", C_ENF, { TLS("TLSv1.3"), .requiretls = true }, TLS_OK,
	    ACCEPT(ENFORCE), NO_RCPT },
	{ "rt-over-tls-off", C_OFF, { TLS("TLSv1.2"), .requiretls = true },
	    TLS_OK, ACCEPT(OFF), NO_RCPT },
	{ "rt-over-weak-tls", C_ENF "min_tls_version = \"TLSv1.2\"\n",
	    { TLS("TLSv1"), .requiretls = true }, TLS_WEAK, REJ(WEAK_TLS),
	    NO_RCPT },
	{ "rt-custom-reply", C_TST "requiretls_code = \"450\"\n"
	    "requiretls_xcode = \"4.7.10\"\n", { PLAIN, .requiretls = true },
	    TLS_PLAINTEXT, E(REJECT, REQUIRETLS_PLAINTEXT, TESTING, "450"),
	    NO_RCPT },
	{ "custom-reject-reply", C_ENF "reject_code = \"554\"\n"
	    "reject_xcode = \"5.7.0\"\n", { PLAIN }, TLS_PLAINTEXT,
	    E(REJECT, PLAINTEXT, ENFORCE, "554"), NO_RCPT },
};

static void
check_verdict(const char *name, const char *stage, const struct verdict *v,
    const struct expect *e)
{
	ck_assert_msg(v->action == e->action, "%s at %s: action %s, want %s",
	    name, stage, action_name(v->action), action_name(e->action));
	ck_assert_msg(v->reason == e->reason, "%s at %s: reason \"%s\", want "
	    "\"%s\"", name, stage, reason_name(v->reason),
	    reason_name(e->reason));
	ck_assert_msg(v->mode == e->mode, "%s at %s: mode %s, want %s", name,
	    stage, sts_mode_name(v->mode), sts_mode_name(e->mode));
	if (e->code == NULL)
		ck_assert_msg(v->reply == NULL, "%s at %s: unexpected reply",
		    name, stage);
	else {
		ck_assert_msg(v->reply != NULL, "%s at %s: no reply", name,
		    stage);
		ck_assert_msg(strcmp(v->reply->code, e->code) == 0, "%s at %s: "
		    "reply %s, want %s", name, stage, v->reply->code, e->code);
	}
}

START_TEST(decision_table)
{
	const struct engine_case *tc = &cases[_i];
	struct sockaddr_storage ss;
	struct session_facts f;
	struct verdict v, r;
	enum tls_state tls = (enum tls_state)-1;
	struct conf *c = load_conf(tc->conf);

	memset(&f, 0, sizeof(f));
	f.tls_version = tc->f.tls;
	f.cipher_bits = tc->f.bits;
	f.auth_type = tc->f.auth_type;
	f.auth_authen = tc->f.auth_authen;
	f.client_sa = unit_sockaddr(tc->f.sa, &ss);
	f.client_addr = tc->f.addr;
	f.requiretls = tc->f.requiretls;
	ck_assert_msg(tc->mail.set, "%s: no expectation", tc->name);
	v = engine_judge_mail(c, &f, &tls);
	ck_assert_msg(tls == tc->tls, "%s: tls state %d, want %d", tc->name,
	    tls, tc->tls);
	check_verdict(tc->name, "mail", &v, &tc->mail);
	if (v.action == ACTION_PER_RCPT) {
		ck_assert_msg(tc->at_rcpt.set && tc->rcpt != NULL,
		    "%s: per-rcpt without an rcpt case", tc->name);
		r = engine_judge_rcpt(c, tls, tc->rcpt);
		check_verdict(tc->name, "rcpt", &r, &tc->at_rcpt);
		if (r.action == ACTION_REJECT)
			ck_assert_ptr_eq(r.reply, &c->reject);
	} else
		ck_assert_msg(!tc->at_rcpt.set, "%s: rcpt case never judged",
		    tc->name);
	if (v.action == ACTION_REJECT)
		ck_assert_ptr_eq(v.reply, v.reason ==
		    REASON_REQUIRETLS_PLAINTEXT ? &c->requiretls_reply :
		    &c->reject);
	conf_unref(c);
}
END_TEST

/* --- rule 4 and rule 3 helpers -------------------------------------------- */

START_TEST(rejects_all)
{
	static const struct {
		const char	*conf;
		bool		 all;
	} t[] = {
		{ "mode = \"enforce\"\n", true },
		{ "mode = \"testing\"\n", false },
		{ "mode = \"off\"\n", false },
		{ "", false },
		{ "mode = \"enforce\"\ndomain \"a.org\" { mode = \"enforce\" }\n",
		    true },
		{ "mode = \"enforce\"\ndomain \"a.org\" { mode = \"testing\" }\n",
		    false },
		{ "mode = \"enforce\"\ndomain \".a.org\" { mode = \"off\" }\n",
		    false },
		{ "mode = \"testing\"\ndomain \"a.org\" { mode = \"enforce\" }\n",
		    false },
		{ "mode = \"enforce\"\nexempt_recipients = {\"postmaster\"}\n",
		    false },
		{ "mode = \"enforce\"\nexempt_networks = {}\n"
		    "exempt_authenticated = false\nrequiretls = false\n", true },
		{ "mode = \"off\"\npolicy_file = \"@DATA@/policy-enforce.txt\"\n"
		    "hostname = \"mx1.example.org\"\n", true },
		{ "mode = \"enforce\"\npolicy_file = "
		    "\"@DATA@/policy-testing.txt\"\n"
		    "hostname = \"mx.example.org\"\n", false },
		{ "mode = \"enforce\"\ndomain \"a.org\" { policy_file = "
		    "\"@DATA@/policy-none.txt\" }\n", false },
	};
	size_t i;
	struct conf *c;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		c = load_conf(t[i].conf);
		ck_assert_msg(engine_rejects_all(c) == t[i].all, "case %zu: "
		    "%s", i, t[i].conf);
		conf_unref(c);
	}
}
END_TEST

START_TEST(mode_for_domain)
{
	struct conf *c = load_conf(DOMS);
	const struct domain_rule *rule = (const struct domain_rule *)1;
	enum mode_source src = (enum mode_source)-1;

	ck_assert_int_eq(engine_mode_for_domain(c, "Sub.Example.ORG", &src,
	    &rule), STS_MODE_ENFORCE);
	ck_assert_ptr_nonnull(rule);
	ck_assert_str_eq(rule->name, "sub.example.org");
	ck_assert(!rule->subdomains);
	ck_assert_int_eq(src, MODE_FROM_CONFIG);
	ck_assert_int_eq(engine_mode_for_domain(c, "x.example.org", &src,
	    &rule), STS_MODE_OFF);
	ck_assert_str_eq(rule->name, "example.org");
	ck_assert(rule->subdomains);
	ck_assert_int_eq(engine_mode_for_domain(c, "other.org", &src, &rule),
	    STS_MODE_TESTING);
	ck_assert_ptr_null(rule);
	ck_assert_int_eq(src, MODE_FROM_CONFIG);	/* the global mode key */
	ck_assert_int_eq(engine_mode_for_domain(c, "", NULL, NULL),
	    STS_MODE_TESTING);
	conf_unref(c);

	c = load_conf("domain \"y.org\" { policy_file = "
	    "\"@DATA@/policy-enforce.txt\" }\nhostname = \"mx1.example.org\"\n");
	ck_assert_int_eq(engine_mode_for_domain(c, "y.org", &src, &rule),
	    STS_MODE_ENFORCE);
	ck_assert_int_eq(src, MODE_FROM_POLICY);
	ck_assert_int_eq(engine_mode_for_domain(c, "z.org", &src, &rule),
	    STS_MODE_TESTING);
	ck_assert_int_eq(src, MODE_FROM_DEFAULT);
	conf_unref(c);
}
END_TEST

START_TEST(rcpt_tls_ok_is_accept)
{
	struct conf *c = load_conf(DOMS);
	struct verdict v = engine_judge_rcpt(c, TLS_OK, "<a@example.org>");

	ck_assert_int_eq(v.action, ACTION_ACCEPT);
	ck_assert_int_eq(v.reason, REASON_NONE);
	ck_assert_ptr_null(v.reply);
	conf_unref(c);
}
END_TEST

START_TEST(rcpt_unparsable_fails_closed)
{
	/* A recipient too long to split is judged by the strictest mode. */
	struct conf *c = load_conf(C_TST "domain \"x.org\" { mode = "
	    "\"enforce\" }\n");
	char rcpt[2048];
	struct verdict v;

	memset(rcpt, 'a', sizeof(rcpt) - 1);
	rcpt[0] = '<';
	rcpt[sizeof(rcpt) - 1] = '\0';
	v = engine_judge_rcpt(c, TLS_PLAINTEXT, rcpt);
	ck_assert_int_eq(v.action, ACTION_REJECT);
	ck_assert_int_eq(v.mode, STS_MODE_ENFORCE);
	v = engine_judge_rcpt(c, TLS_PLAINTEXT, NULL);
	ck_assert_int_eq(v.action, ACTION_REJECT);
	conf_unref(c);
}
END_TEST

START_TEST(rcpt_long_domain_fails_closed)
{
	/*
	 * Domains too long to compare in a fixed buffer must not lose their
	 * tail: x@<300 bytes>.example.org is under ".example.org".
	 */
	struct conf *c = load_conf(C_TST "domain \".example.org\" { mode = "
	    "\"enforce\" }\n");
	char rcpt[1200], dom[1100];
	struct verdict v;
	size_t lens[] = { 243, 300, 480, 600, 1000 };
	size_t i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memset(dom, 'a', lens[i]);
		(void)snprintf(dom + lens[i], sizeof(dom) - lens[i],
		    ".example.org");
		ck_assert_int_eq(engine_mode_for_domain(c, dom, NULL, NULL),
		    STS_MODE_ENFORCE);
		(void)snprintf(rcpt, sizeof(rcpt), "<x@%s>", dom);
		v = engine_judge_rcpt(c, TLS_PLAINTEXT, rcpt);
		ck_assert_msg(v.action == ACTION_REJECT &&
		    v.mode == STS_MODE_ENFORCE, "domain of %zu bytes: %s",
		    strlen(dom), action_name(v.action));
	}
	conf_unref(c);

	/* A cut-off name must not match a looser block either. */
	c = load_conf(C_ENF "domain \".example.org\" { mode = \"off\" }\n");
	memset(dom, 'a', 243);
	(void)snprintf(dom + 243, sizeof(dom) - 243, ".example.org.evil.net");
	ck_assert_int_eq(engine_mode_for_domain(c, dom, NULL, NULL),
	    STS_MODE_ENFORCE);
	(void)snprintf(rcpt, sizeof(rcpt), "<x@%s>", dom);
	v = engine_judge_rcpt(c, TLS_PLAINTEXT, rcpt);
	ck_assert_int_eq(v.action, ACTION_REJECT);
	conf_unref(c);
}
END_TEST

START_TEST(recipient_exempt_without_list)
{
	struct conf *c = load_conf(C_ENF);

	ck_assert(!engine_recipient_exempt(c, "<postmaster>"));
	ck_assert(!engine_recipient_exempt(c, "<postmaster@x.org>"));
	conf_unref(c);
}
END_TEST

/* --- small helpers -------------------------------------------------------- */

START_TEST(has_requiretls)
{
	char *a1[] = { "REQUIRETLS", NULL };
	char *a2[] = { "requiretls", NULL };
	char *a3[] = { "SIZE=1000", "BODY=8BITMIME", "RequireTLS", NULL };
	char *n1[] = { "REQUIRETLS=yes", NULL };
	char *n2[] = { "XREQUIRETLS", "REQUIRETLSX", " REQUIRETLS", NULL };
	char *n3[] = { "SIZE=1000", NULL };
	char *n4[] = { NULL };
	char *n5[] = { "REQUIRETLS=", "", NULL };

	ck_assert(engine_has_requiretls(a1));
	ck_assert(engine_has_requiretls(a2));
	ck_assert(engine_has_requiretls(a3));
	ck_assert(!engine_has_requiretls(n1));
	ck_assert(!engine_has_requiretls(n2));
	ck_assert(!engine_has_requiretls(n3));
	ck_assert(!engine_has_requiretls(n4));
	ck_assert(!engine_has_requiretls(n5));
	ck_assert(!engine_has_requiretls(NULL));
}
END_TEST

START_TEST(tls_required_no)
{
	ck_assert(engine_tls_required_no("No"));
	ck_assert(engine_tls_required_no("no"));
	ck_assert(engine_tls_required_no("NO"));
	ck_assert(engine_tls_required_no(" No "));
	ck_assert(engine_tls_required_no("\tNo\r\n"));
	ck_assert(engine_tls_required_no("\r\n No\t"));
	ck_assert(!engine_tls_required_no(""));
	ck_assert(!engine_tls_required_no("   "));
	ck_assert(!engine_tls_required_no("Yes"));
	ck_assert(!engine_tls_required_no("N"));
	ck_assert(!engine_tls_required_no("Nope"));
	ck_assert(!engine_tls_required_no("No, thanks"));
	ck_assert(!engine_tls_required_no("N o"));
	ck_assert(!engine_tls_required_no("No;"));
	ck_assert(!engine_tls_required_no("\"No\""));
}
END_TEST

START_TEST(address_domain)
{
	char buf[64], small[4];

	ck_assert(engine_address_domain("<User@Example.ORG>", buf,
	    sizeof(buf)));
	ck_assert_str_eq(buf, "example.org");
	ck_assert(engine_address_domain("User@Example.ORG.", buf,
	    sizeof(buf)));
	ck_assert_str_eq(buf, "example.org");
	ck_assert(engine_address_domain(" <a@b.example>", buf, sizeof(buf)));
	ck_assert_str_eq(buf, "b.example");
	ck_assert(engine_address_domain("<@relay.example,@r2.example:u@"
	    "c.example>", buf, sizeof(buf)));
	ck_assert_str_eq(buf, "c.example");
	ck_assert(engine_address_domain("<\"a@b\"@quoted.example>", buf,
	    sizeof(buf)));
	ck_assert_str_eq(buf, "quoted.example");
	ck_assert(engine_address_domain("<postmaster>", buf, sizeof(buf)));
	ck_assert_str_eq(buf, "");
	ck_assert(engine_address_domain("<>", buf, sizeof(buf)));
	ck_assert_str_eq(buf, "");
	ck_assert(engine_address_domain("<a@>", buf, sizeof(buf)));
	ck_assert_str_eq(buf, "");
	ck_assert(!engine_address_domain("<a@example.org>", small,
	    sizeof(small)));
	ck_assert(engine_address_domain("<a@b.c>", small, sizeof(small)));
	ck_assert_str_eq(small, "b.c");
	ck_assert(!engine_address_domain(NULL, buf, sizeof(buf)));
}
END_TEST

START_TEST(names)
{
	ck_assert_str_eq(action_name(ACTION_ACCEPT), "accept");
	ck_assert_str_eq(action_name(ACTION_REJECT), "reject");
	ck_assert_str_eq(action_name(ACTION_WOULD_REJECT), "would-reject");
	ck_assert_str_eq(action_name(ACTION_EXEMPT), "exempt");
	ck_assert_str_eq(action_name((enum action)42), "unknown");
	ck_assert_str_eq(reason_name(REASON_NONE), "");
	ck_assert_str_eq(reason_name(REASON_PLAINTEXT), "plaintext");
	ck_assert_str_eq(reason_name(REASON_WEAK_TLS), "weak-tls");
	ck_assert_str_eq(reason_name(REASON_REQUIRETLS_PLAINTEXT),
	    "requiretls-plaintext");
	ck_assert_str_eq(reason_name(REASON_NETWORK), "network");
	ck_assert_str_eq(reason_name(REASON_AUTH), "auth");
	ck_assert_str_eq(reason_name(REASON_RECIPIENT), "recipient");
	ck_assert_str_eq(reason_name((enum reason)42), "unknown");
}
END_TEST

START_TEST(tls_levels)
{
	ck_assert_int_eq(tls_level_parse(NULL), TLSV_NONE);
	ck_assert_int_eq(tls_level_parse(""), TLSV_NONE);
	ck_assert_int_eq(tls_level_parse("SSLv3"), TLSV_SSLV3);
	ck_assert_int_eq(tls_level_parse("TLSv1"), TLSV_1_0);
	ck_assert_int_eq(tls_level_parse("TLSv1.0"), TLSV_1_0);
	ck_assert_int_eq(tls_level_parse("TLSv1.1"), TLSV_1_1);
	ck_assert_int_eq(tls_level_parse("TLSv1.2"), TLSV_1_2);
	ck_assert_int_eq(tls_level_parse("TLSv1.3"), TLSV_1_3);
	ck_assert_int_eq(tls_level_parse("TLSv1.4"), TLSV_NEWER);
	ck_assert_int_eq(tls_level_parse("TLSv1.9"), TLSV_NEWER);
	ck_assert_int_eq(tls_level_parse("TLSv2"), TLSV_NEWER);
	ck_assert_int_eq(tls_level_parse("TLSv3.0"), TLSV_NEWER);
	ck_assert_int_eq(tls_level_parse("TLSv1.10"), TLSV_UNKNOWN);
	ck_assert_int_eq(tls_level_parse("TLSv10"), TLSV_UNKNOWN);
	ck_assert_int_eq(tls_level_parse("TLSv"), TLSV_UNKNOWN);
	ck_assert_int_eq(tls_level_parse("SSLv2"), TLSV_UNKNOWN);
	ck_assert_int_eq(tls_level_parse("tlsv1.2"), TLSV_UNKNOWN);
	ck_assert_int_eq(tls_level_parse("garbage"), TLSV_UNKNOWN);
	/* Unknown sorts below every real version. */
	ck_assert_int_lt(TLSV_UNKNOWN, TLSV_SSLV3);
	ck_assert_int_gt(TLSV_NEWER, TLSV_1_3);
	ck_assert_str_eq(tls_level_name(TLSV_1_2), "TLSv1.2");
	ck_assert_str_eq(tls_level_name(TLSV_1_0), "TLSv1");
	ck_assert_str_eq(tls_level_name(TLSV_NEWER), "newer");
}
END_TEST

/* --- fail closed ---------------------------------------------------------- */

/*
 * Every combination of present, empty and missing macros.  The oracle is
 * written from SPEC section 5, not from the code: a transaction is accepted
 * only when TLS is positively good, and exempted only when an exemption
 * positively matches; anything else is rejected (enforce).
 */
START_TEST(fail_closed_enumeration)
{
	static const char *tlsv[] = { NULL, "", "TLSv1.3", "SSLv2", "garbage",
	    "TLSv1.1" };
	static const char *bitsv[] = { NULL, "", "256", "x", "64" };
	static const char *authv[] = { NULL, "", "PLAIN" };
	static const char *authenv[] = { NULL, "", "bob" };
	static const char *sav[] = { NULL, "192.0.2.9", "198.51.100.9",
	    "unix", "::ffff:192.0.2.9" };
	static const char *addrv[] = { NULL, "", "192.0.2.9", "198.51.100.9",
	    "garbage", "IPv6:::ffff:192.0.2.9" };
	static const char *confs[] = {
		"mode = \"enforce\"\nexempt_networks = {\"192.0.2.0/24\"}\n"
		"min_tls_version = \"TLSv1.2\"\nmin_cipher_bits = 128\n",
		"mode = \"enforce\"\nexempt_networks = {\"192.0.2.0/24\"}\n"
		"min_tls_version = \"TLSv1.2\"\nmin_cipher_bits = 128\n"
		"exempt_authenticated = false\n",
		/* per-recipient judgement, enforce for other.org */
		"mode = \"enforce\"\nexempt_networks = {\"192.0.2.0/24\"}\n"
		"min_tls_version = \"TLSv1.2\"\nmin_cipher_bits = 128\n"
		"domain \"testing.org\" { mode = \"testing\" }\n",
	};
	size_t ci, a, b, t, u, s, d, rt;
	unsigned long checked = 0;

	for (ci = 0; ci < sizeof(confs) / sizeof(confs[0]); ci++) {
		struct conf *c = load_conf(confs[ci]);
		bool exempt_auth = ci != 1;

		for (a = 0; a < 6; a++) for (b = 0; b < 5; b++)
		for (t = 0; t < 3; t++) for (u = 0; u < 3; u++)
		for (s = 0; s < 5; s++) for (d = 0; d < 6; d++)
		for (rt = 0; rt < 2; rt++) {
			struct sockaddr_storage ss;
			struct session_facts f;
			struct verdict v, r;
			enum tls_state tls;
			bool present, good, net, auth;

			memset(&f, 0, sizeof(f));
			f.tls_version = tlsv[a];
			f.cipher_bits = bitsv[b];
			f.auth_type = authv[t];
			f.auth_authen = authenv[u];
			f.client_sa = unit_sockaddr(sav[s], &ss);
			f.client_addr = addrv[d];
			f.requiretls = rt == 1;

			present = tlsv[a] != NULL && tlsv[a][0] != '\0';
			good = present && strcmp(tlsv[a], "TLSv1.3") == 0 &&
			    bitsv[b] != NULL && strcmp(bitsv[b], "256") == 0;
			/* The connect address decides; {client_addr} only
			 * when there is no IP connect address. */
			if (sav[s] != NULL && strcmp(sav[s], "unix") != 0)
				net = strstr(sav[s], "192.0.2.9") != NULL;
			else
				net = addrv[d] != NULL &&
				    strstr(addrv[d], "192.0.2.9") != NULL;
			auth = exempt_auth && ((authv[t] != NULL &&
			    authv[t][0] != '\0') || (authenv[u] != NULL &&
			    authenv[u][0] != '\0'));

			v = engine_judge_mail(c, &f, &tls);
			checked++;
			if (rt == 1 && !present) {
				ck_assert_int_eq(v.action, ACTION_REJECT);
				ck_assert_int_eq(v.reason,
				    REASON_REQUIRETLS_PLAINTEXT);
				continue;
			}
			if (good) {
				ck_assert_int_eq(v.action, ACTION_ACCEPT);
				ck_assert_int_eq(tls, TLS_OK);
				continue;
			}
			ck_assert_int_eq(tls, present ? TLS_WEAK :
			    TLS_PLAINTEXT);
			if (net || auth) {
				ck_assert_int_eq(v.action, ACTION_EXEMPT);
				ck_assert_int_eq(v.reason, net ?
				    REASON_NETWORK : REASON_AUTH);
				continue;
			}
			/* No positive match: never accepted, never exempt. */
			ck_assert_msg(v.action != ACTION_ACCEPT &&
			    v.action != ACTION_EXEMPT, "conf %zu tls=%s bits=%s "
			    "auth=%s/%s sa=%s addr=%s: %s", ci,
			    tlsv[a] ? tlsv[a] : "NULL",
			    bitsv[b] ? bitsv[b] : "NULL",
			    authv[t] ? authv[t] : "NULL",
			    authenv[u] ? authenv[u] : "NULL",
			    sav[s] ? sav[s] : "NULL",
			    addrv[d] ? addrv[d] : "NULL",
			    action_name(v.action));
			ck_assert_int_eq(v.reason, present ? REASON_WEAK_TLS :
			    REASON_PLAINTEXT);
			if (ci < 2) {
				ck_assert_int_eq(v.action, ACTION_REJECT);
				continue;
			}
			ck_assert_int_eq(v.action, ACTION_PER_RCPT);
			r = engine_judge_rcpt(c, tls, "<u@other.org>");
			ck_assert_int_eq(r.action, ACTION_REJECT);
			r = engine_judge_rcpt(c, tls, "<u@testing.org>");
			ck_assert_int_eq(r.action, ACTION_WOULD_REJECT);
		}
		conf_unref(c);
	}
	ck_assert_uint_eq(checked, 3UL * 6 * 5 * 3 * 3 * 5 * 6 * 2);
}
END_TEST

static Suite *
engine_suite(void)
{
	Suite *s = suite_create("engine");
	TCase *tc;

	tc = tcase_create("table");
	tcase_add_loop_test(tc, decision_table, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("rules");
	tcase_add_test(tc, rejects_all);
	tcase_add_test(tc, mode_for_domain);
	tcase_add_test(tc, rcpt_tls_ok_is_accept);
	tcase_add_test(tc, rcpt_unparsable_fails_closed);
	tcase_add_test(tc, rcpt_long_domain_fails_closed);
	tcase_add_test(tc, recipient_exempt_without_list);
	suite_add_tcase(s, tc);

	tc = tcase_create("helpers");
	tcase_add_test(tc, has_requiretls);
	tcase_add_test(tc, tls_required_no);
	tcase_add_test(tc, address_domain);
	tcase_add_test(tc, names);
	tcase_add_test(tc, tls_levels);
	suite_add_tcase(s, tc);

	tc = tcase_create("fail-closed");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, fail_closed_enumeration);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(engine_suite());
}
