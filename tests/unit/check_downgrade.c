/*
 * check_downgrade.c - unit tests of decision rule 6 (downgrade protection,
 * core/engine.c) and of the downgrade and history_* configuration keys
 * (core/conf_downgrade.c).  The store itself: check_history.c.
 */
#include "core/conf.h"
#include "core/engine.h"
#include "unit.h"

static struct conf *
load(const char *text)
{
	struct conf_errors errs = { 0 };
	struct conf *c = conf_load_buffer(text, "downgrade-test", &errs);

	ck_assert_msg(c != NULL, "config did not load: %s",
	    errs.text != NULL ? errs.text : "");
	conf_errors_free(&errs);
	return c;
}

static void
load_fails(const char *text, const char *want)
{
	struct conf_errors errs = { 0 };
	struct conf *c = conf_load_buffer(text, "downgrade-test", &errs);

	ck_assert_msg(c == NULL, "config loaded: %s", text);
	ck_assert_msg(errs.text != NULL && strstr(errs.text, want) != NULL,
	    "want \"%s\" in: %s", want, errs.text != NULL ? errs.text : "");
	conf_errors_free(&errs);
}

#define CONF_BASE \
	"mode = \"testing\"\n" \
	"domain \"enforced.org\" { mode = \"enforce\" }\n" \
	"domain \"off.org\" { mode = \"off\" }\n"

START_TEST(test_defaults)
{
	struct conf *c = load("");

	ck_assert_int_eq(c->downgrade, DOWNGRADE_OFF);
	ck_assert_str_eq(c->history.db, "lmdb:/var/lib/mtasts-milter/history");
	ck_assert_int_eq(c->history.redis_timeout_ms, 50);
	ck_assert_int_eq(c->history.prefix_v4, 24);
	ck_assert_int_eq(c->history.prefix_v6, 56);
	ck_assert_int_eq(c->history.min_tls, 3);
	ck_assert_int_eq(c->history.window, 30L * 86400);
	ck_assert_int_eq(c->history.expire, 90L * 86400);
	ck_assert_int_eq(c->history.max_mb, 256);
	ck_assert_str_eq(c->downgrade_reply.code, "451");
	ck_assert_str_eq(c->downgrade_reply.xcode, "4.7.0");
	conf_unref(c);
}
END_TEST

/* Rule 6 for each downgrade mode and recipient mode. */
START_TEST(test_rule6)
{
	static const struct {
		const char	*downgrade;
		const char	*rcpt;
		bool		 protected;
		enum tls_state	 tls;
		enum action	 action;
		enum reason	 reason;
		const char	*code;		/* reply, or NULL */
	} cases[] = {
		{ "tempfail", "<u@x.org>", true, TLS_PLAINTEXT,
		    ACTION_TEMPFAIL, REASON_DOWNGRADE, "451" },
		{ "reject", "<u@x.org>", true, TLS_PLAINTEXT,
		    ACTION_REJECT, REASON_DOWNGRADE, "550" },
		{ "log", "<u@x.org>", true, TLS_PLAINTEXT,
		    ACTION_WOULD_REJECT, REASON_DOWNGRADE, NULL },
		{ "off", "<u@x.org>", true, TLS_PLAINTEXT,
		    ACTION_WOULD_REJECT, REASON_PLAINTEXT, NULL },
		/* Not protected: testing mode as usual. */
		{ "tempfail", "<u@x.org>", false, TLS_PLAINTEXT,
		    ACTION_WOULD_REJECT, REASON_PLAINTEXT, NULL },
		/* Enforce already refuses plaintext: rule 3, not 6. */
		{ "tempfail", "<u@enforced.org>", true, TLS_PLAINTEXT,
		    ACTION_REJECT, REASON_PLAINTEXT, "550" },
		/* Mode off: the downgrade still applies. */
		{ "tempfail", "<u@off.org>", true, TLS_PLAINTEXT,
		    ACTION_TEMPFAIL, REASON_DOWNGRADE, "451" },
		/* Weak TLS is TLS: no downgrade. */
		{ "tempfail", "<u@x.org>", true, TLS_WEAK,
		    ACTION_WOULD_REJECT, REASON_WEAK_TLS, NULL },
		{ "tempfail", "<u@x.org>", true, TLS_OK,
		    ACTION_ACCEPT, REASON_NONE, NULL },
	};
	struct rcpt_context ctx = { false, false };
	char text[512];
	struct conf *c;
	struct verdict v;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		(void)snprintf(text, sizeof(text), CONF_BASE
		    "downgrade = \"%s\"\n", cases[i].downgrade);
		c = load(text);
		ctx.network_protected = cases[i].protected;
		v = engine_judge_rcpt_ctx(c, cases[i].tls, &ctx,
		    cases[i].rcpt);
		ck_assert_msg(v.action == cases[i].action &&
		    v.reason == cases[i].reason, "case %zu: %s/%s", i,
		    action_name(v.action), reason_name(v.reason));
		if (cases[i].code == NULL)
			ck_assert_msg(v.reply == NULL, "case %zu: a reply", i);
		else {
			ck_assert_msg(v.reply != NULL, "case %zu: no reply", i);
			ck_assert_str_eq(v.reply->code, cases[i].code);
		}
		conf_unref(c);
	}
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(action_name(ACTION_TEMPFAIL), "tempfail");
	ck_assert_str_eq(reason_name(REASON_DOWNGRADE), "downgrade");
	ck_assert_str_eq(downgrade_mode_name(DOWNGRADE_LOG), "log");
}
END_TEST

/* Only plaintext per-recipient transactions ask the history. */
START_TEST(test_wants_history)
{
	struct conf *c = load(CONF_BASE "downgrade = \"log\"\n");
	struct verdict v = { ACTION_PER_RCPT, REASON_PLAINTEXT, STS_MODE_TESTING,
	    NULL, false };

	ck_assert(engine_wants_history(c, &v));
	v.reason = REASON_WEAK_TLS;
	ck_assert(!engine_wants_history(c, &v));
	v.reason = REASON_PLAINTEXT;
	v.action = ACTION_EXEMPT;
	ck_assert(!engine_wants_history(c, &v));
	conf_unref(c);
	c = load(CONF_BASE);
	v.action = ACTION_PER_RCPT;
	ck_assert(!engine_wants_history(c, &v));	/* downgrade off */
	conf_unref(c);
}
END_TEST

START_TEST(test_bad_keys)
{
	load_fails("downgrade = \"block\"\n", "downgrade: \"block\"");
	load_fails("history_db = \"lmdb:relative\"\n", "history_db");
	load_fails("history_db = \"redis:localhost\"\n", "history_db");
	load_fails("history_db = \"redis:1.2.3.4:99999\"\n", "history_db");
	load_fails("history_db = \"sqlite:/x\"\n", "history_db");
	load_fails("history_prefix_v4 = 33\n", "history_prefix_v4");
	load_fails("history_prefix_v6 = 8\n", "history_prefix_v6");
	load_fails("history_min_tls = 0\n", "history_min_tls");
	load_fails("history_redis_timeout = 0\n", "history_redis_timeout");
	load_fails("history_window = 60\nhistory_expire = 30\n",
	    "history_expire");
	load_fails("history_key_prefix = \"a b\"\n", "history_key_prefix");
	load_fails("downgrade_code = \"250\"\n", "downgrade_code");
	load_fails("downgrade_message = \"\"\n", "downgrade_message");
}
END_TEST

START_TEST(test_good_keys)
{
	struct conf *c;

	c = load("history_db = \"redis:[::1]:6379\"\n");
	conf_unref(c);
	c = load("history_db = \"redis:unix:/run/redis/redis.sock\"\n");
	conf_unref(c);
	c = load("history_db = \"redis:127.0.0.1:6379\"\n"
	    "downgrade = \"tempfail\"\nhistory_prefix_v4 = 32\n");
	ck_assert_int_eq(c->downgrade, DOWNGRADE_TEMPFAIL);
	ck_assert_int_eq(c->history.prefix_v4, 32);
	conf_unref(c);
}
END_TEST

static Suite *
downgrade_suite(void)
{
	Suite *s = suite_create("downgrade");
	TCase *tc = tcase_create("downgrade");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_rule6);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_wants_history);
	tcase_add_test(tc, test_bad_keys);
	tcase_add_test(tc, test_good_keys);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(downgrade_suite());
}
