/*
 * check_conf.c - unit tests of configuration loading (conf.c,
 * conf_values.c, conf_scan.c, conf_print.c): every default of SPEC section
 * 4, every validation error with its "FILE:LINE:" prefix, policy files
 * deciding modes, the hostname-vs-mx warning, conf_print(), files refused
 * by conf_load(), and the reference-counted snapshot in force.
 */
#include <check.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "core/conf.h"
#include "lib/netlist.h"
#include "unit.h"

#define NAME	"t.conf"

static struct conf_errors errs;

static struct conf *
load(const char *text)
{
	char *buf = unit_expand(text);
	struct conf *c;

	c = conf_load_buffer(buf, NAME, &errs);
	free(buf);
	return c;
}

static struct conf *
load_ok(const char *text)
{
	struct conf *c = load(text);

	ck_assert_msg(c != NULL, "refused:\n%s\nerrors:\n%s", text,
	    errs.text != NULL ? errs.text : "(none)");
	ck_assert_uint_eq(errs.count, 0);
	conf_errors_free(&errs);
	return c;
}

/* True when the errors hold a line "NAME:LINE: ...SUBSTR...". */
static bool
has_error(const char *name, int line, const char *substr)
{
	char prefix[4200];
	const char *p = errs.text;
	size_t plen;

	(void)snprintf(prefix, sizeof(prefix), "%s:%d: ", name, line);
	plen = strlen(prefix);
	while (p != NULL && *p != '\0') {
		const char *eol = strchr(p, '\n');
		size_t len = eol != NULL ? (size_t)(eol - p) : strlen(p);
		char one[2048];

		(void)snprintf(one, sizeof(one), "%.*s", (int)len, p);
		if (strncmp(one, prefix, plen) == 0 &&
		    strstr(one + plen, substr) != NULL)
			return true;
		p = eol != NULL ? eol + 1 : NULL;
	}
	return false;
}

static void
load_fails(const char *text, int line, const char *substr)
{
	char *sub = unit_expand(substr);
	struct conf *c = load(text);

	ck_assert_msg(c == NULL, "accepted:\n%s", text);
	ck_assert_uint_ge(errs.count, 1);
	ck_assert_ptr_nonnull(errs.text);
	ck_assert_msg(has_error(NAME, line, sub), "want \"%s:%d: ...%s...\" "
	    "for\n%s\ngot:\n%s", NAME, line, sub, text, errs.text);
	/* Every line has the FILE:LINE: form. */
	ck_assert_uint_eq(unit_count(errs.text, "\n"), errs.count);
	ck_assert_uint_eq(unit_count(errs.text, NAME ":"), errs.count);
	free(sub);
	conf_errors_free(&errs);
}

static void
teardown(void)
{
	conf_errors_free(&errs);
}

/* --- defaults ------------------------------------------------------------- */

START_TEST(defaults)
{
	struct conf *c = conf_load_buffer("", "t", &errs);

	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(errs.count, 0);
	ck_assert_str_eq(c->path, "t");
	ck_assert_int_eq(atomic_load(&c->refs), 1);
	ck_assert_str_eq(c->socket,
	    "unix:/run/mtasts-milter/mtasts-milter.sock");
	ck_assert_int_eq(c->mode, STS_MODE_TESTING);
	ck_assert_int_eq(c->mode_source, MODE_FROM_DEFAULT);
	ck_assert_ptr_null(c->policy_file);
	ck_assert_uint_eq(c->policy.nmx, 0);
	ck_assert_str_eq(c->hostname, "");
	ck_assert_str_eq(c->reject.code, "550");
	ck_assert_str_eq(c->reject.xcode, "5.7.1");
	ck_assert_str_eq(c->reject.text,
	    "STARTTLS is required to deliver mail to this server (MTA-STS)");
	ck_assert_str_eq(c->reject.text_milter, c->reject.text);
	ck_assert_int_eq(c->min_tls_version, TLSV_NONE);
	ck_assert_int_eq(c->min_cipher_bits, 0);
	ck_assert_uint_eq(netlist_count(c->exempt_networks), 2);
	ck_assert_str_eq(netlist_entry(c->exempt_networks, 0), "127.0.0.0/8");
	ck_assert_str_eq(netlist_entry(c->exempt_networks, 1), "::1/128");
	ck_assert(c->exempt_authenticated);
	ck_assert_uint_eq(c->nexempt_rcpts, 0);
	ck_assert(c->requiretls);
	ck_assert_str_eq(c->requiretls_reply.code, "523");
	ck_assert_str_eq(c->requiretls_reply.xcode, "5.7.10");
	ck_assert_str_eq(c->requiretls_reply.text,
	    "REQUIRETLS is only allowed over TLS");
	ck_assert_str_eq(c->requiretls_reply.text_milter,
	    "REQUIRETLS is only allowed over TLS");
	ck_assert_ptr_null(c->user);
	ck_assert_ptr_null(c->pidfile);
	ck_assert_int_eq(c->syslog_facility, LOG_MAIL);
	ck_assert_str_eq(c->syslog_facility_name, "mail");
	ck_assert_int_eq(c->log_level, LOG_INFO);
	ck_assert_ptr_null(c->stats_file);
	ck_assert_int_eq(c->stats_interval, 60);
	ck_assert_str_eq(c->check_resolver, "");
	ck_assert_ptr_null(c->check_ca_file);
	ck_assert_str_eq(c->check_connect, "");
	ck_assert_int_eq(c->check_timeout, 60);
	ck_assert_str_eq(c->check_smtp_connect, "");
	ck_assert_int_eq(c->check_smtp_port, 25);
	ck_assert_int_eq(c->check_cert_warn_days, 14);
	ck_assert_uint_eq(c->ndomains, 0);
	ck_assert_uint_eq(c->nwarnings, 0);
	conf_unref(c);
}
END_TEST

START_TEST(comments_only_is_defaults)
{
	struct conf *c = load_ok("# nothing\n/* still nothing */\n"
	    "// and this\n\n");

	ck_assert_int_eq(c->mode, STS_MODE_TESTING);
	ck_assert_int_eq(c->mode_source, MODE_FROM_DEFAULT);
	conf_unref(c);
}
END_TEST

START_TEST(every_key_set)
{
	struct passwd *pw = getpwuid(getuid());
	char text[4096];
	struct conf *c;

	ck_assert_ptr_nonnull(pw);
	(void)snprintf(text, sizeof(text),
	    "socket = \"inet:8461@127.0.0.1\"\n"
	    "mode = \"enforce\"\n"
	    "hostname = \"MX1.Example.ORG\"\n"
	    "reject_code = \"450\"\n"
	    "reject_xcode = \"4.7.0\"\n"
	    "reject_message = \"Try again with TLS\"\n"
	    "min_tls_version = \"TLSv1.2\"\n"
	    "min_cipher_bits = 128\n"
	    "exempt_networks = {\"10.0.0.0/8\", \"2001:db8::/32\", "
	    "\"192.0.2.1\"}\n"
	    "exempt_authenticated = false\n"
	    "exempt_recipients = {\"postmaster\", \"Tlsrpt@Example.ORG\", "
	    "\"@reports.example.org\"}\n"
	    "requiretls = false\n"
	    "requiretls_code = \"530\"\n"
	    "requiretls_xcode = \"5.7.10\"\n"
	    "requiretls_message = \"No\"\n"
	    "user = \"%s\"\n"
	    "pidfile = \"/run/mtasts-milter.pid\"\n"
	    "syslog_facility = \"local3\"\n"
	    "log_level = \"debug\"\n"
	    "stats_file = \"/var/lib/mtasts/stats.prom\"\n"
	    "stats_interval = 15\n"
	    "check_resolver = \"127.0.0.1#5353\"\n"
	    "check_ca_file = \"/etc/ssl/test-ca.pem\"\n"
	    "check_connect = \"127.0.0.1:8443\"\n"
	    "check_timeout = 5\n", pw->pw_name);
	c = load_ok(text);
	ck_assert_str_eq(c->socket, "inet:8461@127.0.0.1");
	ck_assert_int_eq(c->mode, STS_MODE_ENFORCE);
	ck_assert_int_eq(c->mode_source, MODE_FROM_CONFIG);
	ck_assert_str_eq(c->hostname, "mx1.example.org");
	ck_assert_str_eq(c->reject.code, "450");
	ck_assert_str_eq(c->reject.xcode, "4.7.0");
	ck_assert_str_eq(c->reject.text, "Try again with TLS");
	ck_assert_int_eq(c->min_tls_version, TLSV_1_2);
	ck_assert_int_eq(c->min_cipher_bits, 128);
	ck_assert_uint_eq(netlist_count(c->exempt_networks), 3);
	ck_assert_str_eq(netlist_entry(c->exempt_networks, 2),
	    "192.0.2.1/32");
	ck_assert(!c->exempt_authenticated);
	ck_assert_uint_eq(c->nexempt_rcpts, 3);
	ck_assert_str_eq(c->exempt_rcpts[0].local, "postmaster");
	ck_assert_ptr_null(c->exempt_rcpts[0].domain);
	ck_assert_str_eq(c->exempt_rcpts[1].local, "Tlsrpt");
	ck_assert_str_eq(c->exempt_rcpts[1].domain, "example.org");
	ck_assert_ptr_null(c->exempt_rcpts[2].local);
	ck_assert_str_eq(c->exempt_rcpts[2].domain, "reports.example.org");
	ck_assert(!c->requiretls);
	ck_assert_str_eq(c->requiretls_reply.code, "530");
	ck_assert_str_eq(c->requiretls_reply.text, "No");
	ck_assert_str_eq(c->user, pw->pw_name);
	ck_assert_str_eq(c->pidfile, "/run/mtasts-milter.pid");
	ck_assert_int_eq(c->syslog_facility, LOG_LOCAL3);
	ck_assert_str_eq(c->syslog_facility_name, "local3");
	ck_assert_int_eq(c->log_level, LOG_DEBUG);
	ck_assert_str_eq(c->stats_file, "/var/lib/mtasts/stats.prom");
	ck_assert_int_eq(c->stats_interval, 15);
	ck_assert_str_eq(c->check_resolver, "127.0.0.1#5353");
	ck_assert_str_eq(c->check_ca_file, "/etc/ssl/test-ca.pem");
	ck_assert_str_eq(c->check_connect, "127.0.0.1:8443");
	ck_assert_int_eq(c->check_timeout, 5);
	conf_unref(c);
}
END_TEST

START_TEST(percent_doubled)
{
	struct conf *c = load_ok("reject_message = \"100% TLS, 50%% off, %s\"\n"
	    "requiretls_message = '%'\n");

	ck_assert_str_eq(c->reject.text, "100% TLS, 50%% off, %s");
	ck_assert_str_eq(c->reject.text_milter, "100%% TLS, 50%%%% off, %%s");
	ck_assert_str_eq(c->requiretls_reply.text, "%");
	ck_assert_str_eq(c->requiretls_reply.text_milter, "%%");
	conf_unref(c);
}
END_TEST

START_TEST(valid_values)
{
	static const struct {
		const char	*text;
	} ok[] = {
		{ "mode = \"off\"\n" },
		{ "mode = enforce\n" },
		{ "reject_code = \"421\"\nreject_xcode = \"4.7.0\"\n" },
		{ "reject_code = \"554\"\nreject_xcode = \"5.7.0\"\n" },
		{ "reject_xcode = \"5.123.999\"\n" },
		{ "requiretls_code = \"450\"\nrequiretls_xcode = \"4.7.10\"\n" },
		{ "min_tls_version = \"\"\n" },
		{ "min_cipher_bits = 0\nstats_interval = 1\ncheck_timeout = 1\n" },
		{ "min_cipher_bits = 65536\nstats_interval = 86400\n"
		    "check_timeout = 3600\n" },
		{ "exempt_networks = {}\n" },
		{ "exempt_networks = {\"0.0.0.0/0\", \"::/0\"}\n" },
		{ "exempt_recipients = {\"a.b+c@x.example\"}\n" },
		{ "check_resolver = \"127.0.0.1\"\n" },
		{ "check_resolver = \"::1\"\n" },
		{ "check_resolver = \"::1#5353\"\n" },
		{ "check_resolver = \"[::1]#5353\"\n" },
		{ "check_resolver = \"192.0.2.53#65535\"\n" },
		{ "check_connect = \"localhost:443\"\n" },
		{ "check_connect = \"[::1]:8443\"\n" },
		{ "check_smtp_connect = \"[::1]:25\"\ncheck_smtp_port = 1\n"
		    "check_cert_warn_days = 0\n" },
		{ "check_smtp_connect = \"mx.example:2525\"\n"
		    "check_smtp_port = 65535\ncheck_cert_warn_days = 365\n" },
		{ "check_connect = \"192.0.2.1:1\"\n" },
		{ "user = \"root\"\n" },
		{ "log_level = \"DEBUG\"\nsyslog_facility = \"LOCAL0\"\n" },
		{ "log_level = \"error\"\nsyslog_facility = \"daemon\"\n" },
		{ "socket = \"unix:/tmp/x.sock\"\n" },
		{ "socket = \"local:/tmp/x.sock\"\n" },
		{ "socket = \"inet6:8461@[::1]\"\n" },
		{ "socket = \"inet:8461\"\n" },
		{ "domain \"a.org\" { mode = \"off\" }\n"
		    "domain \".a.org\" { mode = \"enforce\" }\n" },
		{ "domain \"xn--bcher-kva.example\" { mode = \"testing\" }\n" },
		{ "reject_message = \"x\"\n" },
	};
	size_t i;
	struct conf *c;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		c = load(ok[i].text);
		ck_assert_msg(c != NULL, "refused:\n%s%s", ok[i].text,
		    errs.text != NULL ? errs.text : "");
		conf_unref(c);
		conf_errors_free(&errs);
	}
}
END_TEST

START_TEST(min_tls_levels)
{
	static const struct {
		const char	*v;
		enum tls_level	 l;
	} t[] = {
		{ "TLSv1", TLSV_1_0 }, { "TLSv1.0", TLSV_1_0 },
		{ "TLSv1.1", TLSV_1_1 }, { "TLSv1.2", TLSV_1_2 },
		{ "TLSv1.3", TLSV_1_3 },
	};
	char text[128];
	struct conf *c;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		(void)snprintf(text, sizeof(text), "min_tls_version = \"%s\"\n",
		    t[i].v);
		c = load_ok(text);
		ck_assert_int_eq(c->min_tls_version, t[i].l);
		conf_unref(c);
	}
}
END_TEST

START_TEST(domain_blocks)
{
	struct conf *c = load_ok("mode = \"off\"\n"
	    "domain \"Example.ORG\" {\n  mode = \"enforce\"\n}\n"
	    "\n"
	    "domain \".Example.org\" { mode = \"testing\" }\n");

	ck_assert_uint_eq(c->ndomains, 2);
	ck_assert_str_eq(c->domains[0].name, "example.org");
	ck_assert(!c->domains[0].subdomains);
	ck_assert_int_eq(c->domains[0].mode, STS_MODE_ENFORCE);
	ck_assert_int_eq(c->domains[0].source, MODE_FROM_CONFIG);
	ck_assert_ptr_null(c->domains[0].policy_file);
	ck_assert_int_eq(c->domains[0].line, 2);
	ck_assert_str_eq(c->domains[1].name, "example.org");
	ck_assert(c->domains[1].subdomains);
	ck_assert_int_eq(c->domains[1].mode, STS_MODE_TESTING);
	ck_assert_int_eq(c->domains[1].line, 6);
	conf_unref(c);
}
END_TEST

/* --- errors: FILE:LINE: message ------------------------------------------- */

struct bad_conf {
	const char	*text;
	int		 line;
	const char	*msg;
};

static const struct bad_conf bad[] = {
	/* libconfuse: unknown keys, types */
	{ "\n\nfoo = 1\n", 3, "no such option 'foo'" },
	{ "Mode = \"enforce\"\n", 1, "no such option 'Mode'" },
	{ "domain \"a.org\" {\n  mode = \"off\"\n  bar = 2\n}\n", 3,
	    "no such option 'bar'" },
	{ "\nstats_interval = abc\n", 2, "stats_interval" },
	{ "exempt_authenticated = maybe\n", 1, "exempt_authenticated" },
	/* mode */
	{ "# comment\nmode = \"maybe\"\n", 2,
	    "mode: \"maybe\" must be enforce, testing or off" },
	{ "mode = \"none\"\n", 1, "mode: \"none\" must be" },
	{ "mode = \"Enforce\"\n", 1, "mode: \"Enforce\" must be" },
	{ "mode = \"\"\n", 1, "mode: \"\" must be" },
	/* reply codes */
	{ "\nreject_code = \"250\"\n", 2,
	    "reject_code: \"250\" is not a 4xx or 5xx reply code" },
	{ "reject_code = \"55\"\n", 1, "is not a 4xx or 5xx reply code" },
	{ "reject_code = \"5500\"\n", 1, "is not a 4xx or 5xx reply code" },
	{ "reject_code = \"5x0\"\n", 1, "is not a 4xx or 5xx reply code" },
	{ "reject_code = \"650\"\n", 1, "is not a 4xx or 5xx reply code" },
	{ "reject_code = \"\"\n", 1, "is not a 4xx or 5xx reply code" },
	{ "reject_code = \" 550\"\n", 1, "is not a 4xx or 5xx reply code" },
	{ "\n\nrequiretls_code = \"250\"\n", 3,
	    "requiretls_code: \"250\" is not a 4xx or 5xx reply code" },
	/* enhanced codes */
	{ "\nreject_xcode = \"4.7.1\"\n", 2,
	    "reject_xcode: class 4 does not match reply code 550" },
	{ "reject_xcode = \"2.0.0\"\n", 1, "class 2 does not match" },
	{ "reject_code = \"450\"\nreject_xcode = \"5.7.1\"\n", 2,
	    "class 5 does not match reply code 450" },
	{ "requiretls_xcode = \"4.7.10\"\n", 1,
	    "requiretls_xcode: class 4 does not match reply code 523" },
	{ "reject_xcode = \"5.7\"\n", 1, "is not an enhanced status code" },
	{ "reject_xcode = \"5.7.1.1\"\n", 1, "is not an enhanced status code" },
	{ "reject_xcode = \"5..1\"\n", 1, "is not an enhanced status code" },
	{ "reject_xcode = \"5.07.1\"\n", 1, "is not an enhanced status code" },
	{ "reject_xcode = \"5.7.01\"\n", 1, "is not an enhanced status code" },
	{ "reject_xcode = \"5.7.1000\"\n", 1, "is not an enhanced status code" },
	{ "reject_xcode = \"5.1000.1\"\n", 1, "is not an enhanced status code" },
	{ "reject_xcode = \"x.7.1\"\n", 1, "is not an enhanced status code" },
	{ "reject_xcode = \"55.7.1\"\n", 1, "is not an enhanced status code" },
	{ "reject_xcode = \"3.7.1\"\n", 1, "is not an enhanced status code" },
	{ "reject_xcode = \"5.7.1 \"\n", 1, "is not an enhanced status code" },
	{ "reject_xcode = \"\"\n", 1, "is not an enhanced status code" },
	/* reply texts */
	{ "\nreject_message = \"a\\tb\"\n", 2,
	    "reject_message: control characters" },
	{ "reject_message = \"a\\r\\nX-Evil: 1\"\n", 1, "control characters" },
	{ "reject_message = \"a\\nb\"\n", 1, "control characters" },
	{ "reject_message = \"a\x7f b\"\n", 1, "control characters" },
	{ "reject_message = \"a\x01 b\"\n", 1, "control characters" },
	{ "reject_message = \"caf\xc3\xa9\"\n", 1,
	    "reject_message: only ASCII text is allowed" },
	{ "reject_message = \"\"\n", 1, "reject_message: must not be empty" },
	{ "\n\n\nrequiretls_message = \"x\\r\\ny\"\n", 4,
	    "requiretls_message: control characters" },
	{ "requiretls_message = \"\"\n", 1, "requiretls_message: must not be" },
	/* networks */
	{ "exempt_networks = {\"10.0.0.0/8\", \"bogus\"}\n", 1,
	    "exempt_networks: \"bogus\" is not an IPv4 or IPv6 network" },
	{ "# nets\nexempt_networks = {\n  \"10.0.0.0/8\",\n  \"bogus\"\n}\n",
	    2, "exempt_networks: \"bogus\"" },
	{ "exempt_networks = {\"192.0.2.1/24\"}\n", 1, "host bits" },
	{ "exempt_networks = {\"10.0.0.0/33\"}\n", 1, "prefix length" },
	{ "exempt_networks = {\"\"}\n", 1, "exempt_networks:" },
	/* exempt recipients */
	{ "\nexempt_recipients = {\"\"}\n", 2,
	    "exempt_recipients: \"\" is not local, local@domain or @domain" },
	{ "exempt_recipients = {\"@\"}\n", 1, "exempt_recipients: \"@\"" },
	{ "exempt_recipients = {\"user@\"}\n", 1, "exempt_recipients: \"user@\"" },
	{ "exempt_recipients = {\"a b\"}\n", 1, "exempt_recipients: \"a b\"" },
	{ "exempt_recipients = {\"<postmaster>\"}\n", 1,
	    "exempt_recipients: \"<postmaster>\"" },
	{ "exempt_recipients = {\"x@bad..dom\"}\n", 1,
	    "exempt_recipients: \"x@bad..dom\"" },
	{ "exempt_recipients = {\"x@-bad.org\"}\n", 1,
	    "exempt_recipients: \"x@-bad.org\"" },
	{ "exempt_recipients = {\"@a_b.org\"}\n", 1,
	    "exempt_recipients: \"@a_b.org\"" },
	{ "exempt_recipients = {\"postmaster\", \"\\\"q\\\"@x.org\"}\n", 1,
	    "exempt_recipients:" },
	/* duplicates */
	{ "mode = \"enforce\"\n\nmode = \"off\"\n", 3,
	    "\"mode\" is set twice (first on line 1)" },
	{ "reject_message = \"a\"\nmode = \"off\"\nreject_message = \"b\"\n", 3,
	    "\"reject_message\" is set twice (first on line 1)" },
	{ "domain \"a.org\" {\n  mode = \"off\"\n  mode = \"enforce\"\n}\n", 3,
	    "\"mode\" is set twice (first on line 2)" },
	{ "domain \"Example.org\" { mode = \"off\" }\n\n"
	    "domain \"example.ORG\" { mode = \"enforce\" }\n", 3,
	    "domain \"example.ORG\" is defined twice (first on line 1)" },
	{ "domain \".a.org\" { mode = \"off\" }\n"
	    "domain \".A.org\" { mode = \"off\" }\n", 2,
	    "domain \".A.org\" is defined twice (first on line 1)" },
	/* domain blocks */
	{ "\ndomain \"a.org\" {\n}\n", 2,
	    "domain \"a.org\": needs mode or policy_file" },
	{ "domain \"a.org\" {\n  mode = \"none\"\n}\n", 2,
	    "mode: \"none\" must be" },
	{ "domain \"bad..name\" { mode = \"off\" }\n", 1,
	    "domain \"bad..name\": not a domain name" },
	{ "domain \"a_b.org\" { mode = \"off\" }\n", 1, "not a domain name" },
	{ "domain \".\" { mode = \"off\" }\n", 1, "not a domain name" },
	{ "domain \"-a.org\" { mode = \"off\" }\n", 1, "not a domain name" },
	{ "domain \"a.org\" {\n  policy_file = \"rel/policy.txt\"\n}\n", 2,
	    "policy_file: \"rel/policy.txt\" must be an absolute path" },
	{ "domain \"a.org\" {\n\n  policy_file = \"@DATA@/policy-bad.txt\"\n"
	    "}\n", 3, "policy_file: @DATA@/policy-bad.txt:3: invalid mx "
	    "pattern" },
	/* policy_file */
	{ "policy_file = \"policy.txt\"\n", 1,
	    "policy_file: \"policy.txt\" must be an absolute path" },
	{ "\npolicy_file = \"@DATA@/no-such-policy.txt\"\n", 2,
	    "policy_file: @DATA@/no-such-policy.txt:0: cannot open" },
	{ "policy_file = \"@DATA@/policy-bad.txt\"\n", 1,
	    "policy_file: @DATA@/policy-bad.txt:3: invalid mx pattern "
	    "\"*.*.example.org\"" },
	{ "policy_file = \"@DATA@/policy-empty.txt\"\n", 1,
	    "policy-empty.txt:0: empty policy" },
	{ "policy_file = \"@DATA@\"\n", 1, "policy_file: @DATA@:0:" },
	/* TLS minimums */
	{ "min_tls_version = \"SSLv3\"\n", 1,
	    "min_tls_version: \"SSLv3\" must be" },
	{ "min_tls_version = \"TLSv1.4\"\n", 1, "min_tls_version: \"TLSv1.4\"" },
	{ "min_tls_version = \"tlsv1.2\"\n", 1, "min_tls_version: \"tlsv1.2\"" },
	{ "min_tls_version = \"TLSv2\"\n", 1, "min_tls_version: \"TLSv2\"" },
	{ "min_tls_version = \"1.2\"\n", 1, "min_tls_version: \"1.2\"" },
	{ "min_tls_version = \"garbage\"\n", 1, "min_tls_version:" },
	{ "min_cipher_bits = -1\n", 1, "min_cipher_bits: -1 is not in 0..65536" },
	{ "min_cipher_bits = 65537\n", 1, "min_cipher_bits: 65537 is not in" },
	/* ranges */
	{ "\nstats_interval = 0\n", 2, "stats_interval: 0 is not in 1..86400" },
	{ "stats_interval = 86401\n", 1, "stats_interval: 86401 is not in" },
	{ "stats_interval = -5\n", 1, "stats_interval: -5 is not in" },
	{ "check_timeout = 0\n", 1, "check_timeout: 0 is not in 1..3600" },
	{ "check_timeout = 3601\n", 1, "check_timeout: 3601 is not in" },
	/* check_resolver / check_connect */
	{ "\ncheck_resolver = \"localhost\"\n", 2,
	    "check_resolver: \"localhost\" must be ADDR or ADDR#PORT" },
	{ "check_resolver = \"127.0.0.1#\"\n", 1, "must be ADDR or ADDR#PORT" },
	{ "check_resolver = \"127.0.0.1#0\"\n", 1, "must be ADDR or ADDR#PORT" },
	{ "check_resolver = \"127.0.0.1#65536\"\n", 1, "must be ADDR" },
	{ "check_resolver = \"127.0.0.1#53x\"\n", 1, "must be ADDR" },
	{ "check_resolver = \"127.0.0.1#-1\"\n", 1, "must be ADDR" },
	{ "check_resolver = \"#53\"\n", 1, "must be ADDR" },
	{ "check_resolver = \"127.0.0.1:53\"\n", 1, "must be ADDR" },
	{ "check_resolver = \"[::1\"\n", 1, "must be ADDR" },
	{ "\n\ncheck_connect = \"127.0.0.1\"\n", 3,
	    "check_connect: \"127.0.0.1\" must be HOST:PORT" },
	{ "check_connect = \"127.0.0.1:\"\n", 1, "must be HOST:PORT" },
	{ "check_connect = \":443\"\n", 1, "must be HOST:PORT" },
	{ "check_connect = \"host:0\"\n", 1, "must be HOST:PORT" },
	{ "check_connect = \"host:70000\"\n", 1, "must be HOST:PORT" },
	{ "check_connect = \"host:44x\"\n", 1, "must be HOST:PORT" },
	{ "check_smtp_connect = \"127.0.0.1\"\n", 1,
	    "check_smtp_connect: \"127.0.0.1\" must be HOST:PORT" },
	{ "check_smtp_connect = \"host:0\"\n", 1, "must be HOST:PORT" },
	{ "check_smtp_port = 0\n", 1, "check_smtp_port: 0 is not in 1..65535" },
	{ "check_smtp_port = 65536\n", 1, "check_smtp_port: 65536 is not in" },
	{ "check_cert_warn_days = -1\n", 1,
	    "check_cert_warn_days: -1 is not in 0..365" },
	{ "check_cert_warn_days = 366\n", 1, "check_cert_warn_days: 366 is not" },
	/* paths, user, logging, hostname, socket */
	{ "\npidfile = \"run/x.pid\"\n", 2,
	    "pidfile: \"run/x.pid\" must be an absolute path" },
	{ "stats_file = \"x.prom\"\n", 1,
	    "stats_file: \"x.prom\" must be an absolute path" },
	{ "check_ca_file = \"ca.pem\"\n", 1,
	    "check_ca_file: \"ca.pem\" must be an absolute path" },
	{ "\nuser = \"no-such-user-mtasts-xyz\"\n", 2,
	    "user: no such user \"no-such-user-mtasts-xyz\"" },
	{ "log_level = \"verbose\"\n", 1,
	    "log_level: \"verbose\" must be error, warning, notice, info or "
	    "debug" },
	{ "\nsyslog_facility = \"bogus\"\n", 2,
	    "syslog_facility: unknown facility \"bogus\"" },
	{ "hostname = \"bad host\"\n", 1,
	    "hostname: \"bad host\" is not a host name" },
	{ "hostname = \"-mx.example.org\"\n", 1, "is not a host name" },
	{ "hostname = \"mx..example.org\"\n", 1, "is not a host name" },
	{ "hostname = \"mx_1.example.org\"\n", 1, "is not a host name" },
	{ "socket = \"tcp:25\"\n", 1, "socket: \"tcp:25\" must be unix:/path" },
	{ "socket = \"unix:relative.sock\"\n", 1, "socket:" },
	{ "socket = \"inet:0@127.0.0.1\"\n", 1, "socket:" },
	{ "socket = \"inet:99999@127.0.0.1\"\n", 1, "socket:" },
	{ "socket = \"inet:25x@127.0.0.1\"\n", 1, "socket:" },
	{ "socket = \"\"\n", 1, "socket:" },
};

START_TEST(load_error)
{
	load_fails(bad[_i].text, bad[_i].line, bad[_i].msg);
}
END_TEST

START_TEST(syntax_error)
{
	ck_assert_ptr_null(load("mode = \"enforce\n"));
	ck_assert_uint_ge(errs.count, 1);
	ck_assert(strncmp(errs.text, NAME ":", strlen(NAME) + 1) == 0);
	conf_errors_free(&errs);
	ck_assert_ptr_null(load("mode = = \"off\"\n"));
	ck_assert_uint_ge(errs.count, 1);
	conf_errors_free(&errs);
	ck_assert_ptr_null(load("}\nmode = \"off\"\n"));
	ck_assert_uint_ge(errs.count, 1);
}
END_TEST

START_TEST(several_errors_reported)
{
	ck_assert_ptr_null(load("mode = \"x\"\nreject_code = \"999\"\n"
	    "log_level = \"x\"\n# ok\nstats_interval = 0\n"));
	ck_assert_uint_ge(errs.count, 4);
	ck_assert(has_error(NAME, 1, "mode:"));
	ck_assert(has_error(NAME, 2, "reject_code:"));
	ck_assert(has_error(NAME, 3, "log_level:"));
	ck_assert(has_error(NAME, 5, "stats_interval:"));
}
END_TEST

START_TEST(reply_length_limit)
{
	/* smfi_setreply() takes at most 980 characters: with "550 5.7.1 "
	 * a text of 969 is fine and one of 971 is refused. */
	char text[2100], msg[1100];
	struct conf *c;

	memset(msg, 'x', 969);
	msg[969] = '\0';
	(void)snprintf(text, sizeof(text), "reject_message = \"%s\"\n", msg);
	c = load_ok(text);
	ck_assert_uint_eq(strlen(c->reject.text_milter), 969);
	conf_unref(c);
	memset(msg, 'x', 971);
	msg[971] = '\0';
	(void)snprintf(text, sizeof(text), "\nreject_message = \"%s\"\n", msg);
	load_fails(text, 2, "reject_message: reply longer than 980");
	/* Doubled '%' count: 490 of them are 980 characters for libmilter. */
	memset(msg, '%', 490);
	msg[490] = '\0';
	(void)snprintf(text, sizeof(text), "reject_message = \"%s\"\n", msg);
	load_fails(text, 1, "reply longer than 980");
	memset(msg, '%', 480);
	msg[480] = '\0';
	(void)snprintf(text, sizeof(text), "reject_message = \"%s\"\n", msg);
	c = load_ok(text);
	ck_assert_uint_eq(strlen(c->reject.text_milter), 960);
	conf_unref(c);
	/* The requiretls reply is checked the same way. */
	memset(msg, 'y', 1000);
	msg[1000] = '\0';
	(void)snprintf(text, sizeof(text), "requiretls_message = \"%s\"\n",
	    msg);
	load_fails(text, 1, "requiretls_message: reply longer than 980");
}
END_TEST

/*
 * Regression, fixed (conf.c, parse_text): libconfuse 3.3 accepts a section left open at
 * the end of the text, so a configuration whose last domain block lacks
 * its "}" (a truncated file, a missing brace) loads without a word:
 *	domain "a.org" {
 *	  mode = "off"
 * Expected: an error, e.g. "t.conf:1: domain "a.org": missing "}"" --
 * conf_scan() already knows the block depth at the end of the text.
 */
START_TEST(unterminated_block_accepted)
{
	struct conf *c = load("mode = \"enforce\"\ndomain \"a.org\" {\n"
	    "  mode = \"off\"\n");
	bool accepted = c != NULL;

	conf_unref(c);		/* before asserting: no leak under CK_FORK=no */
	ck_assert_msg(!accepted, "regression: a domain block without its closing "
	    "brace is accepted");
	ck_assert_uint_ge(errs.count, 1);
}
END_TEST

/*
 * Regression, fixed (conf_values.c, check_reply): the length rule is documented as "at
 * most 980 bytes with the codes" but the check adds 3 to code + xcode +
 * text, so "550 5.7.1 " + a 970-character text (980 characters with the
 * codes) is refused with "reply longer than 980 characters".  (libmilter
 * itself only limits the text, to 980.)  Expected: accepted.
 */
START_TEST(reply_of_exactly_980_refused)
{
	char text[2100], msg[1100];
	struct conf *c;

	memset(msg, 'x', 970);
	msg[970] = '\0';
	ck_assert_uint_eq(strlen("550 5.7.1 ") + strlen(msg), 980);
	(void)snprintf(text, sizeof(text), "reject_message = \"%s\"\n", msg);
	c = load(text);
	ck_assert_msg(c != NULL, "regression: a 980-character reply line is "
	    "refused: %s", errs.text != NULL ? errs.text : "");
	conf_unref(c);
}
END_TEST

/*
 * Regression, fixed (conf_values.c, check_reply): when only reject_code (or
 * requiretls_code) is set and the default enhanced code's class no longer
 * matches, the error is reported on the line of the *_xcode key, which is
 * not in the file: "t.conf:0: reject_xcode: class 5 does not match reply
 * code 450".  Expected: the line of reject_code (3 here), so the
 * administrator sees where to look.
 */
START_TEST(xcode_mismatch_line_when_xcode_defaulted)
{
	ck_assert_ptr_null(load("# codes\n\nreject_code = \"450\"\n"));
	ck_assert_msg(has_error(NAME, 3, "does not match reply code 450"),
	    "regression: error not on line 3: %s", errs.text);
	conf_errors_free(&errs);
	ck_assert_ptr_null(load("\nrequiretls_code = \"450\"\n"));
	ck_assert_msg(has_error(NAME, 2, "does not match reply code 450"),
	    "regression: error not on line 2: %s", errs.text);
}
END_TEST

/*
 * Regression, fixed (conf.c, domain_opts / CFG_SEC("domain", ..., CFGF_MULTI |
 * CFGF_TITLE)): two domain blocks with the very same title are silently
 * merged by libconfuse (the later block replaces the earlier), so
 *	domain "example.org" { mode = "off" }
 *	domain "example.org" { policy_file = "/.../policy-enforce.txt" }
 * loads with one block and the "off" is lost without a word; only
 * different spellings ("Example.org" / "example.org") are caught by
 * check_domains.  Expected: "t.conf:3: domain "example.org" is defined
 * twice (first on line 1)" (libconfuse's CFGF_NO_TITLE_DUPES, or a check
 * on the conf_scan section entries).
 */
START_TEST(duplicate_domain_same_title)
{
	struct conf *c = load("domain \"example.org\" { mode = \"off\" }\n\n"
	    "domain \"example.org\" { policy_file = "
	    "\"@DATA@/policy-enforce.txt\" }\nhostname = \"mx1.example.org\"\n");
	char what[128] = "";

	if (c != NULL)
		(void)snprintf(what, sizeof(what), "%zu block(s), mode %s",
		    c->ndomains, c->ndomains > 0 ?
		    sts_mode_name(c->domains[0].mode) : "-");
	conf_unref(c);		/* before asserting: no leak under CK_FORK=no */
	ck_assert_msg(what[0] == '\0', "regression: duplicate domain block accepted "
	    "(%s)", what);
	ck_assert(has_error(NAME, 3, "defined twice"));
}
END_TEST

/* --- policy files --------------------------------------------------------- */

START_TEST(policy_sets_global_mode)
{
	struct conf *c = load_ok("mode = \"enforce\"\n"
	    "policy_file = \"@DATA@/policy-testing.txt\"\n"
	    "hostname = \"mx.example.org\"\n");
	char path[4096];

	ck_assert_int_eq(c->mode, STS_MODE_TESTING);
	ck_assert_int_eq(c->mode_source, MODE_FROM_POLICY);
	ck_assert_str_eq(c->policy_file, unit_data(path, sizeof(path),
	    "policy-testing.txt"));
	ck_assert_int_eq(c->policy.mode, STS_MODE_TESTING);
	ck_assert_uint_eq(c->policy.nmx, 1);
	ck_assert_str_eq(c->policy.mx[0], "mx.example.org");
	ck_assert_int_eq(c->policy.max_age, 86400);
	ck_assert_uint_eq(c->nwarnings, 0);
	conf_unref(c);

	c = load_ok("mode = \"enforce\"\n"
	    "policy_file = \"@DATA@/policy-none.txt\"\n");
	ck_assert_int_eq(c->mode, STS_MODE_OFF);	/* "none" is off */
	ck_assert_int_eq(c->mode_source, MODE_FROM_POLICY);
	ck_assert_uint_eq(c->nwarnings, 0);
	conf_unref(c);

	c = load_ok("mode = \"off\"\n"
	    "policy_file = \"@DATA@/policy-crlf.txt\"\n"
	    "hostname = \"mx.example.org\"\n");
	ck_assert_int_eq(c->mode, STS_MODE_TESTING);
	conf_unref(c);
}
END_TEST

START_TEST(policy_sets_domain_mode)
{
	struct conf *c = load_ok("hostname = \"a.mx.example.net\"\n"
	    "self_check = \"127.0.0.1:25\"\n"
	    "domain \"example.org\" {\n"
	    "  policy_file = \"@DATA@/policy-enforce.txt\"\n"
	    "}\n"
	    "domain \".example.net\" {\n"
	    "  mode = \"testing\"\n"
	    "  policy_file = \"@DATA@/policy-none.txt\"\n"
	    "}\n");

	ck_assert_int_eq(c->mode, STS_MODE_TESTING);
	ck_assert_int_eq(c->mode_source, MODE_FROM_DEFAULT);
	ck_assert_uint_eq(c->ndomains, 2);
	ck_assert_int_eq(c->domains[0].mode, STS_MODE_ENFORCE);
	ck_assert_int_eq(c->domains[0].source, MODE_FROM_POLICY);
	ck_assert_ptr_nonnull(strstr(c->domains[0].policy_file,
	    "/tests/unit/data/policy-enforce.txt"));
	ck_assert_uint_eq(c->domains[0].policy.nmx, 2);
	/* The policy file's mode wins over the block's own mode key, with
	 * a warning. */
	ck_assert_int_eq(c->domains[1].mode, STS_MODE_OFF);
	ck_assert_int_eq(c->domains[1].source, MODE_FROM_POLICY);
	ck_assert_uint_eq(c->nwarnings, 1);
	ck_assert_ptr_nonnull(strstr(c->warnings[0], "domain \".example.net\""));
	ck_assert_ptr_nonnull(strstr(c->warnings[0], "overridden by "
	    "policy_file"));
	conf_unref(c);
}
END_TEST

START_TEST(hostname_mx_warning)
{
	struct conf *c;

	/* Global policy: this host is not one of its mx. */
	c = load_ok("hostname = \"mx9.example.net\"\n"
	    "self_check = \"127.0.0.1:25\"\n"
	    "policy_file = \"@DATA@/policy-enforce.txt\"\n");
	ck_assert_uint_eq(c->nwarnings, 1);
	ck_assert_ptr_nonnull(strstr(c->warnings[0], "policy_file"));
	ck_assert_ptr_nonnull(strstr(c->warnings[0], "mx9.example.net"));
	ck_assert_ptr_nonnull(strstr(c->warnings[0], "matches no mx line"));
	ck_assert_ptr_nonnull(strstr(c->warnings[0], "policy-enforce.txt"));
	ck_assert_ptr_nonnull(strstr(c->warnings[0], "mode enforce"));
	conf_unref(c);

	/* Listed exactly, or through the wildcard: no warning. */
	c = load_ok("hostname = \"MX1.example.org\"\n"
	    "self_check = \"127.0.0.1:25\"\n"
	    "policy_file = \"@DATA@/policy-enforce.txt\"\n");
	ck_assert_uint_eq(c->nwarnings, 0);
	conf_unref(c);
	c = load_ok("hostname = \"b.mx.example.net\"\n"
	    "self_check = \"127.0.0.1:25\"\n"
	    "policy_file = \"@DATA@/policy-enforce.txt\"\n");
	ck_assert_uint_eq(c->nwarnings, 0);
	conf_unref(c);

	/* A domain block's policy: the warning names the block. */
	c = load_ok("hostname = \"other.example\"\n"
	    "domain \".example.org\" { policy_file = "
	    "\"@DATA@/policy-testing.txt\" }\n");
	ck_assert_uint_eq(c->nwarnings, 1);
	ck_assert_ptr_nonnull(strstr(c->warnings[0],
	    "domain \".example.org\""));
	ck_assert_ptr_nonnull(strstr(c->warnings[0], "mode testing"));
	conf_unref(c);

	/* Mode none: senders do not care, no warning. */
	c = load_ok("hostname = \"other.example\"\n"
	    "policy_file = \"@DATA@/policy-none.txt\"\n");
	ck_assert_uint_eq(c->nwarnings, 0);
	conf_unref(c);
}
END_TEST


static char *
print(const struct conf *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(fp);
	conf_print(c, fp);
	ck_assert_int_eq(fclose(fp), 0);
	return text;
}

/* A repeated policy field: the first counts, -n shows a warning. */
START_TEST(policy_repeated_field_warning)
{
	char path[4096], want[4300], *out;
	struct conf *c;

	c = load_ok("hostname = \"mx.example.org\"\n"
	    "self_check = \"127.0.0.1:25\"\n"
	    "domain \"example.org\" { policy_file = "
	    "\"@DATA@/policy-repeated.txt\" }\n");
	ck_assert_int_eq(c->domains[0].mode, STS_MODE_ENFORCE);
	ck_assert_uint_eq(c->domains[0].policy.nwarnings, 1);
	ck_assert_uint_eq(c->nwarnings, 1);
	(void)snprintf(want, sizeof(want), "domain \"example.org\": %s: line 4: "
	    "repeated mode ignored (first on line 2)", unit_data(path,
	    sizeof(path), "policy-repeated.txt"));
	ck_assert_str_eq(c->warnings[0], want);
	out = print(c);
	ck_assert_msg(strstr(out, "\nwarning: domain \"example.org\": ") !=
	    NULL && strstr(out, "line 4: repeated mode ignored") != NULL,
	    "no warning in:\n%s", out);
	free(out);
	conf_unref(c);

	c = load_ok("hostname = \"mx.example.org\"\n"
	    "self_check = \"127.0.0.1:25\"\n"
	    "policy_file = \"@DATA@/policy-repeated.txt\"\n");
	ck_assert_int_eq(c->mode, STS_MODE_ENFORCE);
	ck_assert_uint_eq(c->nwarnings, 1);
	ck_assert_ptr_nonnull(strstr(c->warnings[0], "policy_file: /"));
	ck_assert_ptr_nonnull(strstr(c->warnings[0], "policy-repeated.txt: "
	    "line 4: repeated mode ignored (first on line 2)"));
	conf_unref(c);
}
END_TEST

START_TEST(print_policy_modes)
{
	char path[4096], want[4300], *out;
	struct conf *c = load_ok("hostname = \"mx9.example.net\"\n"
	    "policy_file = \"@DATA@/policy-enforce.txt\"\n"
	    "exempt_recipients = {\"postmaster\", \"tlsrpt@example.org\", "
	    "\"@reports.example.org\"}\n"
	    "domain \"example.org\" { policy_file = "
	    "\"@DATA@/policy-none.txt\" }\n"
	    "domain \".example.com\" { mode = \"testing\" }\n");

	out = print(c);
	(void)snprintf(want, sizeof(want), "enforce (from policy file %s)\n",
	    unit_data(path, sizeof(path), "policy-enforce.txt"));
	ck_assert_msg(strstr(out, want) != NULL, "no \"%s\" in:\n%s", want,
	    out);
	ck_assert_ptr_nonnull(strstr(out, "global mode:"));
	(void)snprintf(want, sizeof(want), "domain example.org: off (from "
	    "policy file %s)\n", unit_data(path, sizeof(path),
	    "policy-none.txt"));
	ck_assert_msg(strstr(out, want) != NULL, "no \"%s\" in:\n%s", want,
	    out);
	ck_assert_ptr_nonnull(strstr(out, "domain .example.com and "
	    "subdomains: testing (from config)\n"));
	ck_assert_ptr_nonnull(strstr(out, "RCPT TO"));
	ck_assert_ptr_nonnull(strstr(out, " postmaster tlsrpt@example.org "
	    "@reports.example.org\n"));
	ck_assert_ptr_nonnull(strstr(out, "127.0.0.0/8 ::1/128"));
	ck_assert_ptr_nonnull(strstr(out, "550 5.7.1 STARTTLS is required"));
	ck_assert_ptr_nonnull(strstr(out, "523 5.7.10 REQUIRETLS"));
	ck_assert_ptr_nonnull(strstr(out, "mx9.example.net"));
	ck_assert_ptr_nonnull(strstr(out, "\nwarning: policy_file: this host "
	    "(mx9.example.net) matches no mx line"));
	free(out);
	conf_unref(c);
}
END_TEST

START_TEST(print_defaults_and_config)
{
	struct conf *c = load_ok("");
	char *out = print(c);

	ck_assert_ptr_nonnull(strstr(out, "testing (from default)\n"));
	ck_assert_ptr_null(strstr(out, "warning:"));
	ck_assert_ptr_nonnull(strstr(out, "(none)"));
	free(out);
	conf_unref(c);

	c = load_ok("mode = \"enforce\"\nrequiretls = false\n"
	    "min_tls_version = \"TLSv1.2\"\n");
	out = print(c);
	ck_assert_ptr_nonnull(strstr(out, "enforce (from config)\n"));
	ck_assert_ptr_nonnull(strstr(out, "MAIL FROM"));
	ck_assert_ptr_nonnull(strstr(out, "TLSv1.2"));
	ck_assert_ptr_null(strstr(out, "523 5.7.10"));
	free(out);
	conf_unref(c);
}
END_TEST

/* --- files ---------------------------------------------------------------- */

START_TEST(load_file_valid)
{
	char path[4096];
	struct conf *c;

	unit_data(path, sizeof(path), "conf-valid.conf");
	c = conf_load(path, &errs);
	ck_assert_msg(c != NULL, "%s", errs.text != NULL ? errs.text : "");
	ck_assert_str_eq(c->path, path);
	ck_assert_int_eq(c->mode, STS_MODE_ENFORCE);
	ck_assert_str_eq(c->reject.text, "TLS please");
	ck_assert_uint_eq(netlist_count(c->exempt_networks), 3);
	ck_assert_uint_eq(c->ndomains, 1);
	ck_assert_int_eq(c->domains[0].line, 6);
	conf_unref(c);
}
END_TEST

START_TEST(load_file_errors_name_the_file)
{
	char path[4096];

	unit_data(path, sizeof(path), "conf-bad.conf");
	ck_assert_ptr_null(conf_load(path, &errs));
	ck_assert_uint_ge(errs.count, 1);
	ck_assert_msg(has_error(path, 3, "reject_code: \"250\""), "%s",
	    errs.text);
	ck_assert(strncmp(errs.text, path, strlen(path)) == 0);
}
END_TEST

START_TEST(load_file_refused)
{
	char dir[4096], path[4200];
	char *big;
	struct conf *c;
	size_t i;
	const size_t mib = 1024 * 1024;

	unit_tmpdir(dir, sizeof(dir));
	(void)snprintf(path, sizeof(path), "%s/m.conf", dir);

	/* Writable by others: anyone could switch enforcement off. */
	unit_write_file(path, "mode = \"enforce\"\n", 17, 0666);
	ck_assert_ptr_null(conf_load(path, &errs));
	ck_assert_msg(has_error(path, 0, "writable by others"), "%s",
	    errs.text);
	conf_errors_free(&errs);
	ck_assert_int_eq(chmod(path, 0664), 0);	/* group-writable is fine */
	c = conf_load(path, &errs);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->mode, STS_MODE_ENFORCE);
	conf_unref(c);
	conf_errors_free(&errs);

	/* 1 MiB, the old cap, is no limit any more (issue 18). */
	big = malloc(mib + 2);
	ck_assert_ptr_nonnull(big);
	/* Comment lines of 64 bytes (one 1 MiB line is slow to lex under
	 * AddressSanitizer, and says nothing more). */
	memset(big, ' ', mib + 1);
	for (i = 63; i <= mib; i += 64) {
		big[i - 63] = '#';
		big[i] = '\n';
	}
	memcpy(big, "mode = \"off\"\n", 13);
	big[mib - 1] = '\n';
	unit_write_file(path, big, mib, 0644);
	c = conf_load(path, &errs);
	ck_assert_msg(c != NULL, "%s", errs.text != NULL ? errs.text : "");
	ck_assert_int_eq(c->mode, STS_MODE_OFF);
	conf_unref(c);
	conf_errors_free(&errs);
	big[mib] = '\n';
	unit_write_file(path, big, mib + 1, 0644);
	c = conf_load(path, &errs);
	ck_assert_msg(c != NULL, "%s", errs.text != NULL ? errs.text : "");
	conf_unref(c);
	conf_errors_free(&errs);
	free(big);
	/* 64 MiB is read; one byte more is refused (a sparse file). */
	ck_assert_int_eq(truncate(path, 64 * mib + 1), 0);
	ck_assert_ptr_null(conf_load(path, &errs));
	ck_assert_msg(has_error(path, 0, "larger than 67108864 bytes"), "%s",
	    errs.text);
	conf_errors_free(&errs);

	/* Missing file, directory. */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_ptr_null(conf_load(path, &errs));
	ck_assert(has_error(path, 0, "cannot open"));
	conf_errors_free(&errs);
	ck_assert_ptr_null(conf_load(dir, &errs));
	ck_assert(has_error(dir, 0, "not a regular file"));
	conf_errors_free(&errs);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/*
 * Regression ("World-writable policy file accepted"): a policy_file sets
 * the mode just as the configuration does, so one that others can write
 * is refused the same way, global or in a domain block.
 */
START_TEST(policy_file_writable_by_others_refused)
{
	static const char policy[] = "version: STSv1\nmode: enforce\n"
	    "mx: mx.example.org\nmax_age: 86400\n";
	char dir[4096], path[4200], text[8600], want[4300];
	struct conf *c;

	unit_tmpdir(dir, sizeof(dir));
	(void)snprintf(path, sizeof(path), "%s/p.txt", dir);
	(void)snprintf(want, sizeof(want), "policy_file: %s:0: file is "
	    "writable by others", path);
	unit_write_file(path, policy, sizeof(policy) - 1, 0646);
	(void)snprintf(text, sizeof(text), "mode = \"testing\"\n"
	    "policy_file = \"%s\"\n", path);
	ck_assert_ptr_null(conf_load_buffer(text, NAME, &errs));
	ck_assert_msg(has_error(NAME, 2, want), "%s", errs.text != NULL ?
	    errs.text : "(accepted)");
	conf_errors_free(&errs);
	(void)snprintf(text, sizeof(text), "domain \"example.org\" {\n"
	    "  policy_file = \"%s\"\n}\n", path);
	ck_assert_ptr_null(conf_load_buffer(text, NAME, &errs));
	ck_assert_msg(has_error(NAME, 2, want), "%s", errs.text != NULL ?
	    errs.text : "(accepted)");
	conf_errors_free(&errs);

	ck_assert_int_eq(chmod(path, 0664), 0);	/* group-writable is fine */
	c = conf_load_buffer(text, NAME, &errs);
	ck_assert_msg(c != NULL, "%s", errs.text != NULL ? errs.text : "");
	ck_assert_int_eq(c->domains[0].mode, STS_MODE_ENFORCE);
	conf_unref(c);
	conf_errors_free(&errs);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(errors_free_resets)
{
	ck_assert_ptr_null(load("mode = \"x\"\n"));
	ck_assert_ptr_nonnull(errs.text);
	conf_errors_free(&errs);
	ck_assert_ptr_null(errs.text);
	ck_assert_uint_eq(errs.len, 0);
	ck_assert_uint_eq(errs.count, 0);
	conf_errors_free(&errs);		/* twice: harmless */
}
END_TEST

/* --- snapshots ------------------------------------------------------------ */

START_TEST(ref_unref)
{
	struct conf *c = load_ok("mode = \"enforce\"\n");

	ck_assert_int_eq(atomic_load(&c->refs), 1);
	ck_assert_ptr_eq(conf_ref(c), c);
	ck_assert_int_eq(atomic_load(&c->refs), 2);
	conf_unref(c);
	ck_assert_int_eq(atomic_load(&c->refs), 1);
	ck_assert_int_eq(c->mode, STS_MODE_ENFORCE);	/* still alive */
	conf_unref(c);
	conf_unref(NULL);				/* harmless */
}
END_TEST

START_TEST(install_current)
{
	struct conf *a = load_ok("mode = \"enforce\"\n");
	struct conf *b = load_ok("mode = \"off\"\n");
	struct conf *cur, *old;

	conf_install(NULL);
	ck_assert_ptr_null(conf_current());
	conf_install(a);			/* takes the reference */
	ck_assert_int_eq(atomic_load(&a->refs), 1);
	cur = conf_current();
	ck_assert_ptr_eq(cur, a);
	ck_assert_int_eq(atomic_load(&a->refs), 2);
	old = cur;
	/* A reload while a transaction still holds the old snapshot. */
	conf_install(b);
	ck_assert_int_eq(atomic_load(&old->refs), 1);
	ck_assert_int_eq(old->mode, STS_MODE_ENFORCE);	/* not freed */
	cur = conf_current();
	ck_assert_ptr_eq(cur, b);
	ck_assert_int_eq(cur->mode, STS_MODE_OFF);
	conf_unref(cur);
	conf_unref(old);			/* last reference: freed */
	conf_install(NULL);			/* drops b */
	ck_assert_ptr_null(conf_current());
}
END_TEST

START_TEST(socket_override)
{
	struct conf *c;

	conf_set_socket_override("unix:/tmp/override.sock");
	c = load_ok("socket = \"inet:25@127.0.0.1\"\n");
	ck_assert_str_eq(c->socket, "unix:/tmp/override.sock");
	conf_unref(c);
	conf_set_socket_override("bogus");
	ck_assert_ptr_null(load(""));
	ck_assert(has_error(NAME, 0, "socket: \"bogus\""));
	conf_errors_free(&errs);
	conf_set_socket_override(NULL);
	c = load_ok("socket = \"inet:25@127.0.0.1\"\n");
	ck_assert_str_eq(c->socket, "inet:25@127.0.0.1");
	conf_unref(c);
}
END_TEST

START_TEST(hostname_choice)
{
	char buf[256], sys[256];
	struct conf *c = load_ok("hostname = \"mx.example.org\"\n");

	ck_assert_str_eq(conf_hostname(c, "j.example", buf, sizeof(buf)),
	    "mx.example.org");
	conf_unref(c);
	c = load_ok("");
	ck_assert_str_eq(conf_hostname(c, "j.example", buf, sizeof(buf)),
	    "j.example");
	ck_assert_int_eq(gethostname(sys, sizeof(sys)), 0);
	sys[sizeof(sys) - 1] = '\0';
	ck_assert_str_eq(conf_hostname(c, NULL, buf, sizeof(buf)), sys);
	ck_assert_str_eq(conf_hostname(c, "", buf, sizeof(buf)), sys);
	conf_unref(c);
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc;

	tc = tcase_create("values");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, comments_only_is_defaults);
	tcase_add_test(tc, every_key_set);
	tcase_add_test(tc, percent_doubled);
	tcase_add_test(tc, valid_values);
	tcase_add_test(tc, min_tls_levels);
	tcase_add_test(tc, domain_blocks);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_loop_test(tc, load_error, 0,
	    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, syntax_error);
	tcase_add_test(tc, several_errors_reported);
	tcase_add_test(tc, reply_length_limit);
	tcase_add_test(tc, unterminated_block_accepted);
	tcase_add_test(tc, reply_of_exactly_980_refused);
	tcase_add_test(tc, xcode_mismatch_line_when_xcode_defaulted);
	tcase_add_test(tc, duplicate_domain_same_title);
	tcase_add_test(tc, errors_free_resets);
	suite_add_tcase(s, tc);

	tc = tcase_create("policy");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, policy_sets_global_mode);
	tcase_add_test(tc, policy_sets_domain_mode);
	tcase_add_test(tc, hostname_mx_warning);
	tcase_add_test(tc, policy_repeated_field_warning);
	tcase_add_test(tc, print_policy_modes);
	tcase_add_test(tc, print_defaults_and_config);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, load_file_valid);
	tcase_add_test(tc, load_file_errors_name_the_file);
	tcase_add_test(tc, load_file_refused);
	tcase_add_test(tc, policy_file_writable_by_others_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("snapshots");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, ref_unref);
	tcase_add_test(tc, install_current);
	tcase_add_test(tc, socket_override);
	tcase_add_test(tc, hostname_choice);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(conf_suite());
}
