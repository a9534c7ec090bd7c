/*
 * check_lib.c - unit tests of the one-per-primitive lib modules:
 * dnsname, hostport, hex, errfmt, fileread, openbeneath.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/dnsname.h"
#include "lib/errfmt.h"
#include "lib/fileread.h"
#include "lib/hex.h"
#include "lib/hostport.h"
#include "lib/openbeneath.h"
#include "unit.h"

static bool
valid(const char *s)
{
	return dnsname_valid(s, strlen(s));
}

START_TEST(dnsname_syntax)
{
	char label63[64], long254[260], out[300];

	memset(label63, 'a', 63);
	label63[63] = '\0';
	ck_assert(valid("example.org"));
	ck_assert(valid("a-b.c9"));
	ck_assert(valid(label63));
	ck_assert(!valid(""));
	ck_assert(!valid("a..b"));
	ck_assert(!valid(".a"));
	ck_assert(!valid("a."));
	ck_assert(!valid("-a.b"));
	ck_assert(!valid("a-.b"));
	ck_assert(!valid("a_b.c"));
	ck_assert(!valid("a b"));
	ck_assert(!dnsname_valid("ab\0c", 4));
	label63[62] = 'a';
	(void)snprintf(long254, sizeof(long254), "%s.%s.%s.%.61s", label63,
	    label63, label63, label63);		/* 64 * 3 + 61 = 253 */
	ck_assert_uint_eq(strlen(long254), 253);
	ck_assert(valid(long254));
	strcat(long254, "a");
	ck_assert(!valid(long254));

	ck_assert(dnsname_normalise("Mail.Example.ORG.", out, sizeof(out)));
	ck_assert_str_eq(out, "mail.example.org");
	ck_assert(!dnsname_normalise("example.org..", out, sizeof(out)));
	ck_assert(!dnsname_normalise(".", out, sizeof(out)));
	ck_assert(!dnsname_normalise("example.org", out, 11));	/* no NUL */
	ck_assert(dnsname_normalise("example.org", out, 12));
	(void)snprintf(out, sizeof(out), "A.B");
	ck_assert(dnsname_normalise(out, out, sizeof(out)));	/* in place */
	ck_assert_str_eq(out, "a.b");
}
END_TEST

START_TEST(hostport_forms)
{
	struct hostport hp;

	ck_assert(hostport_parse("192.0.2.1", '#', 53, &hp));
	ck_assert_str_eq(hp.host, "192.0.2.1");
	ck_assert_uint_eq(hp.port, 53);
	ck_assert(hostport_numeric(&hp));
	ck_assert(hostport_parse("[2001:db8::1]#5353", '#', 53, &hp));
	ck_assert_str_eq(hp.host, "2001:db8::1");
	ck_assert_uint_eq(hp.port, 5353);
	ck_assert(hostport_numeric(&hp));
	ck_assert(hostport_parse("::1", '#', 53, &hp));
	ck_assert_str_eq(hp.host, "::1");
	ck_assert(hostport_parse("[::1]:8443", ':', 0, &hp));
	ck_assert_str_eq(hp.host, "::1");
	ck_assert_uint_eq(hp.port, 8443);
	ck_assert(hostport_parse("mta-sts.example.org:443", ':', 0, &hp));
	ck_assert_str_eq(hp.host, "mta-sts.example.org");
	ck_assert(!hostport_numeric(&hp));
	ck_assert(hostport_parse("x:65535", ':', 0, &hp));

	ck_assert(!hostport_parse("example.org", ':', 0, &hp));	/* no port */
	ck_assert(!hostport_parse(":443", ':', 0, &hp));
	ck_assert(!hostport_parse("[]:443", ':', 0, &hp));
	ck_assert(!hostport_parse("x:", ':', 0, &hp));
	ck_assert(!hostport_parse("x:0", ':', 0, &hp));
	ck_assert(!hostport_parse("x:65536", ':', 0, &hp));
	ck_assert(!hostport_parse("x:+443", ':', 0, &hp));
	ck_assert(!hostport_parse("x:44 3", ':', 0, &hp));
	ck_assert(!hostport_parse("x:4294967297", ':', 0, &hp));
	ck_assert(!hostport_parse("1.2.3.4#", '#', 53, &hp));
}
END_TEST

START_TEST(hex_digits)
{
	ck_assert_int_eq(hex_value('0'), 0);
	ck_assert_int_eq(hex_value('9'), 9);
	ck_assert_int_eq(hex_value('a'), 10);
	ck_assert_int_eq(hex_value('F'), 15);
	ck_assert_int_eq(hex_value('g'), -1);
	ck_assert_int_eq(hex_value('G'), -1);
	ck_assert_int_eq(hex_value('/'), -1);
	ck_assert_int_eq(hex_value('\0'), -1);
}
END_TEST

START_TEST(errfmt_buffers)
{
	char buf[8] = "";

	ck_assert_int_eq(errfmt(buf, sizeof(buf), "%s %d", "abc", 12345), -1);
	ck_assert_str_eq(buf, "abc 123");		/* cut, terminated */
	ck_assert_int_eq(errfmt_first(buf, sizeof(buf), "later"), -1);
	ck_assert_str_eq(buf, "abc 123");		/* the first one stays */
	buf[0] = '\0';
	ck_assert_int_eq(errfmt_first(buf, sizeof(buf), "now"), -1);
	ck_assert_str_eq(buf, "now");
	ck_assert_int_eq(errfmt(buf, 0, "nothing"), -1);
	ck_assert_str_eq(buf, "now");
}
END_TEST

START_TEST(fileread_checks)
{
	char dir[4096], path[4200], err[256];
	size_t len;
	char *text;

	unit_tmpdir(dir, sizeof(dir));
	(void)snprintf(path, sizeof(path), "%s/f", dir);
	unit_write_file(path, "12345", 5, 0640);
	text = fileread(path, 5, &len, err, sizeof(err));
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(len, 5);
	ck_assert_str_eq(text, "12345");
	free(text);
	ck_assert_ptr_null(fileread(path, 4, &len, err, sizeof(err)));
	ck_assert_str_eq(err, "larger than 4 bytes");
	ck_assert_int_eq(chmod(path, 0602), 0);
	ck_assert_ptr_null(fileread(path, 5, &len, err, sizeof(err)));
	ck_assert_str_eq(err, "file is writable by others (chmod o-w it)");
	ck_assert_ptr_null(fileread(dir, 5, &len, err, sizeof(err)));
	ck_assert_str_eq(err, "not a regular file");
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_ptr_null(fileread(path, 5, &len, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "cannot open: "));
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

typedef int (*open_fn)(int, const char *, int);

/* fn opens rel below dfd: 0 if it did, else errno. */
static int
opened(open_fn fn, int dfd, const char *rel)
{
	int fd = fn(dfd, rel, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return errno;
	(void)close(fd);
	return 0;
}

/* open_beneath() and its fallback: links nowhere followed, no way out. */
START_TEST(openbeneath_links)
{
	static const open_fn fns[] = { open_beneath, open_beneath_walk };
	char dir[4096], path[4200], target[4200], up[4200];
	size_t i;
	int dfd;

	unit_tmpdir(dir, sizeof(dir));
	/* Out and back in: never allowed. */
	(void)snprintf(up, sizeof(up), "../%s/sub/f", strrchr(dir, '/') + 1);
	(void)snprintf(path, sizeof(path), "%s/sub", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	(void)snprintf(path, sizeof(path), "%s/sub/f", dir);
	unit_write_file(path, "x", 1, 0644);
	(void)snprintf(path, sizeof(path), "%s/sub/fl", dir);
	ck_assert_int_eq(symlink("f", path), 0);
	(void)snprintf(path, sizeof(path), "%s/dl", dir);
	ck_assert_int_eq(symlink("sub", path), 0);
	(void)snprintf(target, sizeof(target), "%s/sub/f", dir);
	(void)snprintf(path, sizeof(path), "%s/sub/abs", dir);
	ck_assert_int_eq(symlink(target, path), 0);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ne(dfd, -1);
	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		ck_assert_int_eq(opened(fns[i], dfd, "sub/f"), 0);
		ck_assert_int_eq(opened(fns[i], dfd, "sub/./f"), 0);
		ck_assert_int_eq(opened(fns[i], dfd, "sub/fl"), ELOOP);
		ck_assert_int_eq(opened(fns[i], dfd, "sub/abs"), ELOOP);
		ck_assert_int_eq(opened(fns[i], dfd, "dl/f"), ELOOP);
		ck_assert_int_eq(opened(fns[i], dfd, "sub/none"), ENOENT);
		ck_assert_int_eq(opened(fns[i], dfd, "sub/f/x"), ENOTDIR);
		ck_assert_int_eq(opened(fns[i], dfd, up), EXDEV);
		ck_assert_int_ne(opened(fns[i], dfd, target), 0);
	}
	(void)close(dfd);
	(void)snprintf(path, sizeof(path), "rm -rf %s", dir);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

static Suite *
lib_suite(void)
{
	Suite *s = suite_create("lib");
	TCase *tc = tcase_create("primitives");

	tcase_add_test(tc, dnsname_syntax);
	tcase_add_test(tc, hostport_forms);
	tcase_add_test(tc, hex_digits);
	tcase_add_test(tc, errfmt_buffers);
	tcase_add_test(tc, fileread_checks);
	tcase_add_test(tc, openbeneath_links);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(lib_suite());
}
