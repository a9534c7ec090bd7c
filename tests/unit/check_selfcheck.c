/*
 * check_selfcheck.c - unit tests of the self-check: the state machine
 * (daemon/selfcheck_state.c) for every transition, flapping included, the
 * classification of probe results, decision rule 7 (core/engine.c: a
 * rejection for plaintext or weak TLS becomes the outage tempfail), and
 * the self_check* / outage_* keys.
 */
#include <openssl/x509.h>

#include "core/conf.h"
#include "core/engine.h"
#include "daemon/selfcheck_state.h"
#include "unit.h"

#define NOW	((time_t)1800000000)
#define GOOD_NA	(NOW + 90 * 86400)

static struct selfcheck_step
feed(struct selfcheck_sm *sm, enum selfcheck_class c)
{
	return selfcheck_feed(sm, c, c == SC_CLASS_UNREACHABLE ||
	    c == SC_CLASS_TLS_FAILED ? 0 : GOOD_NA, NOW);
}

START_TEST(test_outage_needs_two_failures)
{
	struct selfcheck_sm sm = { 0 };
	struct selfcheck_step st;

	st = feed(&sm, SC_CLASS_OK);
	ck_assert_int_eq(sm.state, SELFCHECK_OK);
	ck_assert(st.success);
	ck_assert_int_eq(st.log, SC_LOG_NONE);
	st = feed(&sm, SC_CLASS_TLS_FAILED);
	ck_assert_int_eq(sm.state, SELFCHECK_OK);	/* not yet */
	ck_assert(st.probe_again);			/* at once */
	ck_assert_int_eq(st.log, SC_LOG_NONE);
	st = feed(&sm, SC_CLASS_TLS_FAILED);
	ck_assert_int_eq(sm.state, SELFCHECK_OUTAGE);
	ck_assert(!st.probe_again);
	ck_assert_int_eq(st.log, SC_LOG_OUTAGE_ENTER);
	st = feed(&sm, SC_CLASS_TLS_FAILED);		/* stays, no log */
	ck_assert_int_eq(sm.state, SELFCHECK_OUTAGE);
	ck_assert_int_eq(st.log, SC_LOG_NONE);
	ck_assert(!st.probe_again);
	st = feed(&sm, SC_CLASS_OK);			/* first success */
	ck_assert_int_eq(sm.state, SELFCHECK_OK);
	ck_assert_int_eq(st.log, SC_LOG_OUTAGE_LEAVE);
}
END_TEST

START_TEST(test_flapping)
{
	struct selfcheck_sm sm = { 0 };
	int i;

	feed(&sm, SC_CLASS_OK);
	/* Failure, success, failure, ...: never two in a row, never outage. */
	for (i = 0; i < 10; i++) {
		feed(&sm, SC_CLASS_TLS_FAILED);
		ck_assert_int_eq(sm.state, SELFCHECK_OK);
		feed(&sm, SC_CLASS_OK);
		ck_assert_int_eq(sm.state, SELFCHECK_OK);
	}
	/* An unreachable probe between two failures breaks the run. */
	feed(&sm, SC_CLASS_TLS_FAILED);
	feed(&sm, SC_CLASS_UNREACHABLE);
	ck_assert_int_eq(sm.state, SELFCHECK_UNREACHABLE);
	feed(&sm, SC_CLASS_TLS_FAILED);
	ck_assert_int_eq(sm.state, SELFCHECK_UNREACHABLE);
	feed(&sm, SC_CLASS_TLS_FAILED);
	ck_assert_int_eq(sm.state, SELFCHECK_OUTAGE);
	/* In and out of an outage twice: each change logged once. */
	ck_assert_int_eq(feed(&sm, SC_CLASS_OK).log, SC_LOG_OUTAGE_LEAVE);
	feed(&sm, SC_CLASS_TLS_FAILED);
	ck_assert_int_eq(feed(&sm, SC_CLASS_TLS_FAILED).log,
	    SC_LOG_OUTAGE_ENTER);
	ck_assert_int_eq(feed(&sm, SC_CLASS_OK).log, SC_LOG_OUTAGE_LEAVE);
}
END_TEST

START_TEST(test_unreachable_and_certificate)
{
	struct selfcheck_sm sm = { 0 };
	struct selfcheck_step st;

	st = feed(&sm, SC_CLASS_UNREACHABLE);
	ck_assert_int_eq(sm.state, SELFCHECK_UNREACHABLE);
	ck_assert_int_eq(st.log, SC_LOG_UNREACHABLE);
	ck_assert_int_eq(feed(&sm, SC_CLASS_UNREACHABLE).log, SC_LOG_NONE);
	st = feed(&sm, SC_CLASS_OK);
	ck_assert_int_eq(st.log, SC_LOG_RECOVERED);
	/* Outage, then the MTA stops: unreachable, replies unchanged. */
	feed(&sm, SC_CLASS_TLS_FAILED);
	feed(&sm, SC_CLASS_TLS_FAILED);
	ck_assert_int_eq(sm.state, SELFCHECK_OUTAGE);
	ck_assert_int_eq(feed(&sm, SC_CLASS_UNREACHABLE).log,
	    SC_LOG_UNREACHABLE);
	ck_assert_int_eq(sm.state, SELFCHECK_UNREACHABLE);
	/* Certificate problem: warned at the change, then daily. */
	st = selfcheck_feed(&sm, SC_CLASS_CERTIFICATE, GOOD_NA, NOW);
	ck_assert_int_eq(sm.state, SELFCHECK_CERTIFICATE);
	ck_assert_int_eq(st.log, SC_LOG_CERTIFICATE);
	ck_assert(st.success);
	st = selfcheck_feed(&sm, SC_CLASS_CERTIFICATE, GOOD_NA, NOW + 3600);
	ck_assert_int_eq(st.log, SC_LOG_NONE);
	st = selfcheck_feed(&sm, SC_CLASS_CERTIFICATE, GOOD_NA, NOW + 86400);
	ck_assert_int_eq(st.log, SC_LOG_CERTIFICATE);
	st = selfcheck_feed(&sm, SC_CLASS_OK, GOOD_NA, NOW + 90000);
	ck_assert_int_eq(st.log, SC_LOG_RECOVERED);
	/* Leaving an outage for a certificate problem says it left. */
	feed(&sm, SC_CLASS_TLS_FAILED);
	feed(&sm, SC_CLASS_TLS_FAILED);
	st = selfcheck_feed(&sm, SC_CLASS_CERTIFICATE, GOOD_NA, NOW + 200000);
	ck_assert_int_eq(st.log, SC_LOG_OUTAGE_LEAVE);
	ck_assert_int_eq(sm.state, SELFCHECK_CERTIFICATE);
}
END_TEST

START_TEST(test_expiry_warning_daily)
{
	struct selfcheck_sm sm = { 0 };
	time_t na = NOW + 10 * 86400;	/* within 14 days */

	ck_assert(selfcheck_feed(&sm, SC_CLASS_OK, na, NOW).warn_expiry);
	ck_assert(!selfcheck_feed(&sm, SC_CLASS_OK, na, NOW + 60).warn_expiry);
	ck_assert(selfcheck_feed(&sm, SC_CLASS_OK, na,
	    NOW + 86400).warn_expiry);
	memset(&sm, 0, sizeof(sm));
	ck_assert(!selfcheck_feed(&sm, SC_CLASS_OK, GOOD_NA, NOW).warn_expiry);
}
END_TEST

START_TEST(test_classify)
{
	struct smtp_probe_result r;

	memset(&r, 0, sizeof(r));
	r.tls = true;
	r.have_cert = true;
	r.verify = X509_V_OK;
	r.name_match = true;
	r.not_before = NOW - 86400;
	r.not_after = GOOD_NA;
	ck_assert_int_eq(selfcheck_classify(&r, NOW), SC_CLASS_OK);
	r.name_match = false;
	ck_assert_int_eq(selfcheck_classify(&r, NOW), SC_CLASS_CERTIFICATE);
	r.name_match = true;
	r.not_after = NOW - 1;
	ck_assert_int_eq(selfcheck_classify(&r, NOW), SC_CLASS_CERTIFICATE);
	r.not_after = GOOD_NA;
	r.verify = X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT;
	ck_assert_int_eq(selfcheck_classify(&r, NOW), SC_CLASS_CERTIFICATE);

	memset(&r, 0, sizeof(r));
	r.error = SMTP_ERR_NO_STARTTLS;
	r.stage = SMTP_STAGE_EHLO;
	ck_assert_int_eq(selfcheck_classify(&r, NOW), SC_CLASS_TLS_FAILED);
	r.error = SMTP_ERR_REPLY;		/* STARTTLS answered 454 */
	r.stage = SMTP_STAGE_STARTTLS;
	ck_assert_int_eq(selfcheck_classify(&r, NOW), SC_CLASS_TLS_FAILED);
	r.error = SMTP_ERR_TLS;
	r.stage = SMTP_STAGE_HANDSHAKE;
	ck_assert_int_eq(selfcheck_classify(&r, NOW), SC_CLASS_TLS_FAILED);
	r.error = SMTP_ERR_REPLY;		/* 421 banner */
	r.stage = SMTP_STAGE_BANNER;
	ck_assert_int_eq(selfcheck_classify(&r, NOW), SC_CLASS_UNREACHABLE);
	r.error = SMTP_ERR_CONNECT;
	r.stage = SMTP_STAGE_CONNECT;
	ck_assert_int_eq(selfcheck_classify(&r, NOW), SC_CLASS_UNREACHABLE);
	r.error = SMTP_ERR_TIMEOUT;		/* no banner */
	r.stage = SMTP_STAGE_BANNER;
	ck_assert_int_eq(selfcheck_classify(&r, NOW), SC_CLASS_UNREACHABLE);
	r.error = SMTP_ERR_PROTOCOL;		/* garbage */
	r.stage = SMTP_STAGE_BANNER;
	ck_assert_int_eq(selfcheck_classify(&r, NOW), SC_CLASS_UNREACHABLE);
	ck_assert_str_eq(selfcheck_state_name(SELFCHECK_OUTAGE), "outage");
}
END_TEST

static struct conf *
load(const char *text)
{
	struct conf_errors errs = { 0 };
	struct conf *c = conf_load_buffer(text, "selfcheck-test", &errs);

	ck_assert_msg(c != NULL, "config did not load: %s",
	    errs.text != NULL ? errs.text : "");
	conf_errors_free(&errs);
	return c;
}

/* Rule 7 at MAIL FROM (every recipient enforced) and at RCPT TO. */
START_TEST(test_rule7)
{
	struct conf *c = load("mode = \"enforce\"\nexempt_networks = {}\n"
	    "self_check = \"127.0.0.1:25\"\n");
	struct session_facts f;
	struct rcpt_context rc = { false, true };
	enum tls_state tls;
	struct verdict v;

	memset(&f, 0, sizeof(f));
	f.client_addr = "192.0.2.1";
	v = engine_judge_mail(c, &f, &tls);
	ck_assert_int_eq(v.action, ACTION_REJECT);
	ck_assert(!v.outage_guard);
	f.tls_outage = true;
	v = engine_judge_mail(c, &f, &tls);
	ck_assert_int_eq(v.action, ACTION_TEMPFAIL);
	ck_assert_int_eq(v.reason, REASON_PLAINTEXT);
	ck_assert(v.outage_guard);
	ck_assert_str_eq(v.reply->code, "451");
	ck_assert_str_eq(v.reply->xcode, "4.7.0");
	/* Weak TLS too. */
	v = engine_judge_rcpt_ctx(c, TLS_WEAK, &rc, "<u@example.org>");
	ck_assert_int_eq(v.action, ACTION_TEMPFAIL);
	ck_assert_int_eq(v.reason, REASON_WEAK_TLS);
	/* REQUIRETLS on plaintext: unchanged (the sender asked for TLS). */
	f.requiretls = true;
	v = engine_judge_mail(c, &f, &tls);
	ck_assert_int_eq(v.action, ACTION_REJECT);
	ck_assert_int_eq(v.reason, REASON_REQUIRETLS_PLAINTEXT);
	ck_assert(!v.outage_guard);
	/* TLS is accepted whatever the state. */
	v = engine_judge_rcpt_ctx(c, TLS_OK, &rc, "<u@example.org>");
	ck_assert_int_eq(v.action, ACTION_ACCEPT);
	conf_unref(c);

	/* Testing mode: nothing was going to be rejected, nothing changes. */
	c = load("mode = \"testing\"\nself_check = \"127.0.0.1:25\"\n");
	v = engine_judge_rcpt_ctx(c, TLS_PLAINTEXT, &rc, "<u@example.org>");
	ck_assert_int_eq(v.action, ACTION_WOULD_REJECT);
	ck_assert(!v.outage_guard);
	conf_unref(c);
}
END_TEST

START_TEST(test_keys)
{
	struct conf_errors errs = { 0 };
	struct conf *c;
	size_t i;
	bool warned = false;

	c = load("mode = \"enforce\"\n");
	for (i = 0; i < c->nwarnings; i++)
		warned |= strstr(c->warnings[i], "enforce without self_check")
		    != NULL;
	ck_assert_msg(warned, "no warning for enforce without self_check");
	conf_unref(c);
	c = load("mode = \"testing\"\ndomain \"a.org\" { mode = \"enforce\" }\n"
	    "self_check = \"[::1]:25\"\nself_check_name = \"MX.Example.org\"\n"
	    "self_check_interval = 5\nself_check_timeout = 2\n");
	ck_assert_uint_eq(c->nwarnings, 0);
	ck_assert_str_eq(c->self_check, "[::1]:25");
	ck_assert_str_eq(c->self_check_name, "mx.example.org");
	ck_assert_int_eq(c->self_check_interval, 5);
	ck_assert_str_eq(c->outage_reply.code, "451");
	conf_unref(c);
	c = load("");
	ck_assert(c->self_check == NULL);
	ck_assert_int_eq(c->self_check_interval, 60);
	ck_assert_int_eq(c->self_check_timeout, 10);
	conf_unref(c);
	{
		static const char *const bad[] = {
			"self_check = \"127.0.0.1\"\n",
			"self_check = \"127.0.0.1:0\"\n",
			"self_check_interval = 4\n",
			"self_check_interval = 3601\n",
			"self_check_interval = 10\nself_check_timeout = 10\n",
			"self_check_name = \"not a name\"\n",
			"outage_code = \"550\"\noutage_xcode = \"5.7.0\"\n",
			"outage_message = \"a\\rb\"\n",
		};
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			c = conf_load_buffer(bad[i], "t", &errs);
			ck_assert_msg(c == NULL, "loaded: %s", bad[i]);
			conf_errors_free(&errs);
		}
	}
}
END_TEST

static Suite *
selfcheck_suite(void)
{
	Suite *s = suite_create("selfcheck");
	TCase *tc = tcase_create("selfcheck");

	tcase_add_test(tc, test_outage_needs_two_failures);
	tcase_add_test(tc, test_flapping);
	tcase_add_test(tc, test_unreachable_and_certificate);
	tcase_add_test(tc, test_expiry_warning_daily);
	tcase_add_test(tc, test_classify);
	tcase_add_test(tc, test_rule7);
	tcase_add_test(tc, test_keys);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(selfcheck_suite());
}
