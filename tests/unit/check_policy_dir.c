/*
 * check_policy_dir.c - unit tests of policy_dir (core/policy_dir.c and
 * conf_domains.c): both layouts, explicit blocks winning, case, and the
 * hostile trees: links out of the tree, FIFOs, devices, world-writable
 * files and directories, names that are not domain names (dots, 254
 * bytes, dashes), broken policies (the load fails with path and line).
 * Every tree is built by the test in a private temporary directory.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/engine.h"
#include "unit.h"

#define ENFORCE	"version: STSv1\nmode: enforce\nmx: mx.example.net\n" \
		"max_age: 86400\n"
#define TESTING	"version: STSv1\nmode: testing\nmx: mx.example.net\n" \
		"max_age: 86400\n"
#define BROKEN	"version: STSv1\nmode: enforce\nmx: *.*.example.net\n" \
		"max_age: 86400\n"

static char root[4096], tree[4200];
static struct conf_errors errs;

static void
setup(void)
{
	unit_tmpdir(root, sizeof(root));
	(void)snprintf(tree, sizeof(tree), "%s/tree", root);
	ck_assert_int_eq(mkdir(tree, 0755), 0);
	memset(&errs, 0, sizeof(errs));
}

static void
teardown(void)
{
	char cmd[4300];

	conf_errors_free(&errs);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}

/* mkdir -p of tree/REL's directory, then the file with mode. */
static void
put(const char *rel, const char *text, mode_t mode)
{
	char path[4400], *slash;

	(void)snprintf(path, sizeof(path), "%s/%s", tree, rel);
	for (slash = path + strlen(tree) + 1; (slash = strchr(slash, '/')) !=
	    NULL; slash++) {
		*slash = '\0';
		(void)mkdir(path, 0755);
		*slash = '/';
	}
	unit_write_file(path, text, strlen(text), mode);
}

static void
dir(const char *rel)
{
	char path[4400];

	(void)snprintf(path, sizeof(path), "%s/%s", tree, rel);
	ck_assert_int_eq(mkdir(path, 0755), 0);
}

static struct conf *
load(const char *extra)
{
	char text[9000];

	/* self_check: no "enforce without self_check" warning in the counts. */
	(void)snprintf(text, sizeof(text), "hostname = \"mx.example.net\"\n"
	    "mode = \"off\"\npolicy_dir = \"%s\"\n%s"
	    "self_check = \"127.0.0.1:25\"\n", tree, extra);
	conf_errors_free(&errs);
	return conf_load_buffer(text, "pd.conf", &errs);
}

static const char *
warnings(const struct conf *c)
{
	static char all[65536];
	size_t i, len = 0;

	all[0] = '\0';
	for (i = 0; i < c->nwarnings && len < sizeof(all) - 1; i++)
		len += (size_t)snprintf(all + len, sizeof(all) - len, "%s\n",
		    c->warnings[i]);
	return all;
}

/* The load fails and names the file and what is wrong, on line 3. */
static void
refused(const char *what, const char *msg)
{
	struct conf *c = load("");

	ck_assert_msg(c == NULL, "%s accepted", what);
	ck_assert_msg(errs.text != NULL && strstr(errs.text, msg) != NULL &&
	    strstr(errs.text, what) != NULL && strncmp(errs.text,
	    "pd.conf:3: policy_dir: ", 23) == 0, "%s: want \"%s\", got: %s",
	    what, msg, errs.text != NULL ? errs.text : "(none)");
}

START_TEST(both_layouts)
{
	struct conf *c;
	const struct domain_rule *r;

	put("a.org/mta-sts.txt", ENFORCE, 0644);
	put("b.org/.well-known/mta-sts.txt", TESTING, 0644);
	put("Mixed.Case.org/mta-sts.txt", ENFORCE, 0644);
	c = load("");
	ck_assert_msg(c != NULL, "%s", errs.text);
	ck_assert_uint_eq(c->ndomains, 3);
	ck_assert_uint_eq(c->domains_from_dir, 3);
	ck_assert_int_eq(engine_mode_for_domain(c, "A.org", NULL, &r),
	    STS_MODE_ENFORCE);
	ck_assert(r->from_policy_dir);
	ck_assert_msg(strstr(r->policy_file, "/tree/a.org/mta-sts.txt") !=
	    NULL, "%s", r->policy_file);
	ck_assert_int_eq(engine_mode_for_domain(c, "b.org", NULL, &r),
	    STS_MODE_TESTING);
	ck_assert(strstr(r->policy_file, "b.org/.well-known/mta-sts.txt"));
	ck_assert_int_eq(engine_mode_for_domain(c, "mixed.case.ORG", NULL,
	    NULL), STS_MODE_ENFORCE);
	/* A policy_dir domain is exact: no subdomains. */
	ck_assert_int_eq(engine_mode_for_domain(c, "x.a.org", NULL, NULL),
	    STS_MODE_OFF);
	ck_assert_uint_eq(c->nwarnings, 0);
	/* Sorted by name, whatever readdir's order. */
	ck_assert_str_eq(c->domains[0].name, "a.org");
	ck_assert_str_eq(c->domains[2].name, "mixed.case.org");
	conf_unref(c);
}
END_TEST

START_TEST(block_wins)
{
	struct conf *c;

	put("a.org/mta-sts.txt", ENFORCE, 0644);
	put("b.org/mta-sts.txt", ENFORCE, 0644);
	c = load("domain \"a.org\" { mode = \"testing\" }\n"
	    "domain \".b.org\" { mode = \"off\" }\n");
	ck_assert_msg(c != NULL, "%s", errs.text);
	ck_assert_int_eq(engine_mode_for_domain(c, "a.org", NULL, NULL),
	    STS_MODE_TESTING);
	ck_assert_int_eq(engine_mode_for_domain(c, "b.org", NULL, NULL),
	    STS_MODE_ENFORCE);
	ck_assert_int_eq(engine_mode_for_domain(c, "x.b.org", NULL, NULL),
	    STS_MODE_OFF);
	ck_assert_uint_eq(c->domains_overridden, 1);
	ck_assert_uint_eq(c->domains_from_dir, 1);
	conf_unref(c);
}
END_TEST

START_TEST(others_ignored_with_warning)
{
	char name[300], target[4400], link[4500];
	struct conf *c;

	put("good.org/mta-sts.txt", ENFORCE, 0644);
	put("README", "not a domain\n", 0644);
	put("bad..name/mta-sts.txt", ENFORCE, 0644);
	put("-dash.org/mta-sts.txt", ENFORCE, 0644);
	put("under_score.org/mta-sts.txt", ENFORCE, 0644);
	put("...../mta-sts.txt", ENFORCE, 0644);
	/* 254 bytes: a valid-looking name longer than 253. */
	memset(name, 'a', 254);
	name[63] = name[127] = name[191] = '.';
	(void)snprintf(name + 254, sizeof(name) - 254, "/mta-sts.txt");
	put(name, ENFORCE, 0644);
	dir("empty.org");
	/* A link to a directory outside the tree: never followed. */
	(void)snprintf(target, sizeof(target), "%s/outside.org", root);
	ck_assert_int_eq(mkdir(target, 0755), 0);
	(void)snprintf(link, sizeof(link), "%s/mta-sts.txt", target);
	unit_write_file(link, ENFORCE, strlen(ENFORCE), 0644);
	(void)snprintf(link, sizeof(link), "%s/outside.org", tree);
	ck_assert_int_eq(symlink(target, link), 0);
	c = load("");
	ck_assert_msg(c != NULL, "%s", errs.text);
	ck_assert_uint_eq(c->ndomains, 1);
	ck_assert_str_eq(c->domains[0].name, "good.org");
	ck_assert_int_eq(engine_mode_for_domain(c, "outside.org", NULL, NULL),
	    STS_MODE_OFF);
	ck_assert_uint_eq(c->nwarnings, 8);
	ck_assert(strstr(warnings(c), "/README: not a directory, ignored"));
	ck_assert(strstr(warnings(c), "/bad..name: not a domain name"));
	ck_assert(strstr(warnings(c), "/-dash.org: not a domain name"));
	ck_assert(strstr(warnings(c), "/under_score.org: not a domain name"));
	ck_assert(strstr(warnings(c), "/.....: not a domain name"));
	ck_assert(strstr(warnings(c), "aaa: not a domain name"));
	ck_assert(strstr(warnings(c), "/empty.org: has no mta-sts.txt"));
	ck_assert_msg(strstr(warnings(c), "/outside.org: a symbolic link (not "
	    "followed), ignored"), "%s", warnings(c));
	conf_unref(c);
}
END_TEST

START_TEST(broken_policy)
{
	put("ok.org/mta-sts.txt", ENFORCE, 0644);
	put("broken.org/mta-sts.txt", BROKEN, 0644);
	refused("/tree/broken.org/mta-sts.txt:3: ", "invalid mx pattern");
}
END_TEST

START_TEST(policy_link_out_of_tree)
{
	char target[4400], link[4500];

	(void)snprintf(target, sizeof(target), "%s/secret.txt", root);
	unit_write_file(target, ENFORCE, strlen(ENFORCE), 0644);
	dir("evil.org");
	(void)snprintf(link, sizeof(link), "%s/evil.org/mta-sts.txt", tree);
	ck_assert_int_eq(symlink(target, link), 0);
	refused("/tree/evil.org/mta-sts.txt:0: ", "is a symbolic link (not "
	    "followed)");
}
END_TEST

START_TEST(well_known_link)
{
	char target[4400], link[4500];

	(void)snprintf(target, sizeof(target), "%s/wk", root);
	ck_assert_int_eq(mkdir(target, 0755), 0);
	(void)snprintf(link, sizeof(link), "%s/mta-sts.txt", target);
	unit_write_file(link, ENFORCE, strlen(ENFORCE), 0644);
	dir("evil.org");
	(void)snprintf(link, sizeof(link), "%s/evil.org/.well-known", tree);
	ck_assert_int_eq(symlink(target, link), 0);
	refused("evil.org/.well-known/mta-sts.txt:0: ", "not a directory "
	    "(symbolic links are not followed)");
}
END_TEST

START_TEST(fifo_refused)
{
	char path[4400];

	dir("fifo.org");
	(void)snprintf(path, sizeof(path), "%s/fifo.org/mta-sts.txt", tree);
	ck_assert_int_eq(mkfifo(path, 0644), 0);
	/* A FIFO nobody writes to must not hang the load. */
	refused("/tree/fifo.org/mta-sts.txt:0: ", "not a regular file");
}
END_TEST

START_TEST(device_refused)
{
	char path[4400];

	dir("dev.org");
	(void)snprintf(path, sizeof(path), "%s/dev.org/.well-known", tree);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	(void)snprintf(path, sizeof(path),
	    "%s/dev.org/.well-known/mta-sts.txt", tree);
	if (mknod(path, S_IFCHR | 0644, makedev(1, 3)) != 0) {
		/* Not root: a socket is another non-regular file. */
		ck_assert_int_eq(mknod(path, S_IFSOCK | 0644, 0), 0);
	}
	refused("/tree/dev.org/.well-known/mta-sts.txt:0: ",
	    "not a regular file");
}
END_TEST

START_TEST(world_writable_file)
{
	put("ww.org/mta-sts.txt", ENFORCE, 0666);
	refused("/tree/ww.org/mta-sts.txt:0: ", "writable by others");
}
END_TEST

START_TEST(world_writable_dirs)
{
	char path[4400];

	put("ww.org/mta-sts.txt", ENFORCE, 0644);
	(void)snprintf(path, sizeof(path), "%s/ww.org", tree);
	ck_assert_int_eq(chmod(path, 0777), 0);
	refused("/tree/ww.org:0: ", "writable by others");
	ck_assert_int_eq(chmod(path, 0755), 0);
	ck_assert_int_eq(chmod(tree, 01777), 0);
	refused("/tree:0: ", "writable by others");
}
END_TEST

START_TEST(bad_keys)
{
	struct conf *c;

	conf_errors_free(&errs);
	c = conf_load_buffer("\npolicy_dir = \"rel/dir\"\n", "pd.conf", &errs);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(errs.text, "pd.conf:2: policy_dir: \"rel/dir\" "
	    "must be an absolute path") != NULL, "%s", errs.text);
	conf_errors_free(&errs);
	c = conf_load_buffer("policy_dir = \"/nonexistent/mta-sts\"\n",
	    "pd.conf", &errs);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(errs.text, "pd.conf:1: policy_dir: "
	    "/nonexistent/mta-sts:0: No such file") != NULL, "%s", errs.text);
	conf_errors_free(&errs);
	c = conf_load_buffer("policy_watch = maybe\n", "pd.conf", &errs);
	ck_assert_ptr_null(c);
	conf_errors_free(&errs);
	c = conf_load_buffer("policy_watch = true\n", "pd.conf", &errs);
	ck_assert_ptr_nonnull(c);
	ck_assert(c->policy_watch);
	conf_unref(c);
}
END_TEST

static Suite *
policy_dir_suite(void)
{
	Suite *s = suite_create("policy_dir");
	TCase *tc = tcase_create("tree");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, both_layouts);
	tcase_add_test(tc, block_wins);
	tcase_add_test(tc, others_ignored_with_warning);
	tcase_add_test(tc, broken_policy);
	tcase_add_test(tc, policy_link_out_of_tree);
	tcase_add_test(tc, well_known_link);
	tcase_add_test(tc, fifo_refused);
	tcase_add_test(tc, device_refused);
	tcase_add_test(tc, world_writable_file);
	tcase_add_test(tc, world_writable_dirs);
	tcase_add_test(tc, bad_keys);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(policy_dir_suite());
}
