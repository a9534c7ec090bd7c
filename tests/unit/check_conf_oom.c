/*
 * check_conf_oom.c - allocation failures while loading a configuration
 * (issue 13, section 5): every one must make conf_load() return NULL with
 * an error, never exit the process (a SIGHUP reload keeps the old
 * configuration only if the load returns).
 *
 * This program replaces malloc, calloc, realloc, reallocarray, strdup and
 * strndup (glibc's documented malloc replacement; the real allocator is
 * reached through __libc_malloc and friends), so it is its own test
 * program.  Only the allocations the project's own code makes count: a
 * count of them in one successful load gives N; then for every k < N a
 * forked child fails the k-th of a load and reports how the load ended.  The parent asserts that each child
 * returned normally with a refused load.  Skipped without glibc and under
 * AddressSanitizer, which owns malloc itself.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/conf.h"
#include "unit.h"

#if defined(__SANITIZE_ADDRESS__)
#define OOM_HOOK	0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OOM_HOOK	0
#endif
#endif
#if !defined(OOM_HOOK) && defined(__GLIBC__)
#define OOM_HOOK	1
#endif
#ifndef OOM_HOOK
#define OOM_HOOK	0
#endif

/* Child exit statuses (fatal() and fatalx() exit 1). */
#define CHILD_REFUSED	0	/* NULL with an error: right */
#define CHILD_LOADED	3	/* the failure went unnoticed */
#define CHILD_NO_ERROR	4	/* NULL, but no error text or count */

#if OOM_HOOK
void	*__libc_malloc(size_t);
void	*__libc_calloc(size_t, size_t);
void	*__libc_realloc(void *, size_t);
extern const char __executable_start[], etext[];	/* GNU ld */

static bool	counting;	/* count allocations */
/* Atomic: policy_dir is read by several threads at once. */
static long	nallocs;	/* our allocations seen while counting */
static long	fail_at = -1;	/* fail our allocation with this index */

/*
 * Only allocations called from this program's own code (the project's
 * static libraries) count and fail: libconfuse is not safe when its own
 * allocations fail (see the report of issue 13), which no code here can
 * change.
 */
static bool
fail_now(const void *caller)
{
	const char *c = caller;

	if (!counting || c < __executable_start || c >= etext)
		return false;
	if (__atomic_fetch_add(&nallocs, 1, __ATOMIC_RELAXED) == fail_at) {
		errno = ENOMEM;
		return true;
	}
	return false;
}

void *
malloc(size_t n)
{
	return fail_now(__builtin_return_address(0)) ? NULL :
	    __libc_malloc(n);
}

void *
calloc(size_t n, size_t size)
{
	return fail_now(__builtin_return_address(0)) ? NULL :
	    __libc_calloc(n, size);
}

void *
realloc(void *p, size_t n)
{
	return fail_now(__builtin_return_address(0)) ? NULL :
	    __libc_realloc(p, n);
}

void *
reallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > (size_t)-1 / size) {
		errno = ENOMEM;
		return NULL;
	}
	return fail_now(__builtin_return_address(0)) ? NULL :
	    __libc_realloc(p, n * size);
}

static char *
copy_string(const char *s, size_t len, const void *caller)
{
	char *d;

	if (fail_now(caller) || (d = __libc_malloc(len + 1)) == NULL)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

char *
strndup(const char *s, size_t max)
{
	return copy_string(s, strnlen(s, max), __builtin_return_address(0));
}

char *
strdup(const char *s)
{
	return copy_string(s, strlen(s), __builtin_return_address(0));
}
#endif

/*
 * Touches every allocating path of conf_build(): domain blocks with a
 * policy_file whose mode overrides the block's (a warning) and whose mx
 * lines miss this host (another warning), exempt recipients of all three
 * shapes, networks, replies with '%', every string key, and a policy_dir
 * with both layouts and an entry that is not a domain (a third warning;
 * its worker threads allocate in any order, so the k-th allocation is not
 * always the same one - every one of them must still refuse the load).
 */
static const char conf_text[] =
    "mode = \"testing\"\n"
    "hostname = \"mx9.example.com\"\n"
    "socket = \"inet:8461@127.0.0.1\"\n"
    "pidfile = \"/run/x.pid\"\n"
    "stats_file = \"/run/x.prom\"\n"
    "check_resolver = \"127.0.0.1#53\"\n"
    "check_connect = \"127.0.0.1:443\"\n"
    "check_ca_file = \"/etc/ssl/ca.pem\"\n"
    "self_check = \"127.0.0.1:25\"\n"
    "reject_message = \"100% TLS, please\"\n"
    "requiretls_message = \"TLS only\"\n"
    "exempt_networks = {\"192.0.2.0/24\", \"2001:db8::/32\"}\n"
    "exempt_recipients = {\"postmaster\", \"tlsrpt@example.org\", "
    "\"@reports.example.org\"}\n"
    "domain \"a.example.org\" { mode = \"enforce\" }\n"
    "domain \".b.example.org\" { mode = \"off\" }\n"
    "domain \"c.example.org\" {\n"
    "  mode = \"testing\"\n"
    "  policy_file = \"@POLICY@\"\n"
    "}\n";

static char conf_path[PATH_MAX], tree_path[PATH_MAX];

static const char tree_policy[] = "version: STSv1\nmode: enforce\n"
    "mx: mx9.example.com\nmax_age: 86400\n";

/* DIR/tree: p.example.net (flat), q.example.net (web root), README. */
static void
write_tree(const char *dir)
{
	char path[2 * PATH_MAX + 64];

	(void)snprintf(tree_path, sizeof(tree_path), "%.4000s/tree", dir);
	(void)snprintf(path, sizeof(path), "mkdir -p %s/p.example.net "
	    "%s/q.example.net/.well-known", tree_path, tree_path);
	ck_assert_int_eq(system(path), 0);
	(void)snprintf(path, sizeof(path), "%s/p.example.net/mta-sts.txt",
	    tree_path);
	unit_write_file(path, tree_policy, strlen(tree_policy), 0644);
	(void)snprintf(path, sizeof(path),
	    "%s/q.example.net/.well-known/mta-sts.txt", tree_path);
	unit_write_file(path, tree_policy, strlen(tree_policy), 0644);
	(void)snprintf(path, sizeof(path), "%s/README", tree_path);
	unit_write_file(path, "x", 1, 0644);
}

static void
write_conf(void)
{
	char dir[PATH_MAX - 32], policy[PATH_MAX], *text;
	const char *at;
	size_t len;

	(void)unit_data(policy, sizeof(policy), "policy-enforce.txt");
	at = strstr(conf_text, "@POLICY@");
	ck_assert_ptr_nonnull(at);
	(void)unit_tmpdir(dir, sizeof(dir));
	write_tree(dir);
	len = sizeof(conf_text) + strlen(policy) + strlen(tree_path) + 32;
	text = malloc(len);
	ck_assert_ptr_nonnull(text);
	(void)snprintf(text, len, "policy_dir = \"%s\"\n%.*s%s%s", tree_path,
	    (int)(at - conf_text), conf_text, policy, at + strlen("@POLICY@"));
	(void)snprintf(conf_path, sizeof(conf_path), "%s/oom.conf", dir);
	unit_write_file(conf_path, text, strlen(text), 0644);
	free(text);
}

static void
remove_conf(void)
{
	char cmd[PATH_MAX + 16], *slash;

	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", tree_path);
	ck_assert_int_eq(system(cmd), 0);
	(void)unlink(conf_path);
	if ((slash = strrchr(conf_path, '/')) != NULL) {
		*slash = '\0';
		(void)rmdir(conf_path);
	}
}

#if OOM_HOOK
/* Loads conf_path failing allocation k (-1: none); the child's status. */
static int
load_failing(long k)
{
	struct conf_errors errs;
	struct conf *c;
	int status = CHILD_REFUSED;

	nallocs = 0;
	fail_at = k;
	counting = true;
	c = conf_load(conf_path, &errs);
	counting = false;
	if (c != NULL) {
		status = CHILD_LOADED;
		conf_unref(c);
	} else if (errs.count == 0)
		status = CHILD_NO_ERROR;
	conf_errors_free(&errs);
	return status;
}
#endif

START_TEST(every_allocation_failure_is_a_load_error)
{
#if OOM_HOOK
	int status, nwarn = 0;
	long k, total;
	pid_t pid;

	write_conf();
	/* The text loads, with its two warnings, when nothing fails. */
	{
		struct conf_errors errs;
		struct conf *c;

		nallocs = 0;
		fail_at = -1;
		counting = true;
		c = conf_load(conf_path, &errs);
		counting = false;
		ck_assert_msg(c != NULL, "%s", errs.text != NULL ? errs.text :
		    "refused");
		nwarn = (int)c->nwarnings;
		conf_unref(c);
		conf_errors_free(&errs);
	}
	total = nallocs;
	ck_assert_int_eq(nwarn, 3);
	ck_assert_int_gt(total, 20);
	for (k = 0; k < total; k++) {
		fflush(NULL);
		pid = fork();
		ck_assert_int_ne(pid, -1);
		if (pid == 0)
			_exit(load_failing(k));
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFEXITED(status), "allocation %ld of %ld: "
		    "killed by signal %d", k, total, WTERMSIG(status));
		ck_assert_msg(WEXITSTATUS(status) == CHILD_REFUSED,
		    "allocation %ld of %ld failed: child status %d (1: "
		    "fatal exit, %d: loaded anyway, %d: no error)", k, total,
		    WEXITSTATUS(status), CHILD_LOADED, CHILD_NO_ERROR);
	}
	remove_conf();
#else
	fprintf(stderr, "# skipped: malloc cannot be replaced here "
	    "(sanitizer, or not glibc)\n");
#endif
}
END_TEST

static Suite *
conf_oom_suite(void)
{
	Suite *s = suite_create("conf_oom");
	TCase *tc = tcase_create("oom");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, every_allocation_failure_is_a_load_error);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(conf_oom_suite());
}
