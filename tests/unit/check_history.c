/*
 * check_history.c - unit tests of the TLS history (milter/history/):
 * network keys, the protection rule, and both stores for real — an LMDB
 * file in a private directory and a redis-server started here on a unix
 * socket in a private directory (nothing on the network), stopped after.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "history/history.h"
#include "history/history_rule.h"
#include "unit.h"

static struct sockaddr_storage
sa_of(const char *addr)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1)
		ss.ss_family = AF_INET;
	else {
		ck_assert_int_eq(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
		ss.ss_family = AF_INET6;
	}
	return ss;
}

static const char *
key_of(const char *addr, int p4, int p6, char *buf, size_t len)
{
	struct sockaddr_storage ss = sa_of(addr);

	ck_assert(history_key((struct sockaddr *)&ss, p4, p6, buf, len));
	return buf;
}

START_TEST(test_key_prefixes)
{
	char k[HISTORY_KEY_MAX];

	ck_assert_str_eq(key_of("192.0.2.10", 24, 56, k, sizeof(k)),
	    "192.0.2.0/24");
	ck_assert_str_eq(key_of("192.0.2.77", 24, 56, k, sizeof(k)),
	    "192.0.2.0/24");
	ck_assert_str_eq(key_of("198.51.100.1", 24, 56, k, sizeof(k)),
	    "198.51.100.0/24");
	ck_assert_str_eq(key_of("192.0.2.77", 32, 56, k, sizeof(k)),
	    "192.0.2.77/32");
	ck_assert_str_eq(key_of("192.0.2.77", 20, 56, k, sizeof(k)),
	    "192.0.0.0/20");
	ck_assert_str_eq(key_of("2001:db8:12ab:34cd::1", 24, 56, k,
	    sizeof(k)), "2001:db8:12ab:3400::/56");
	ck_assert_str_eq(key_of("2001:db8:12ab:34ff:1::9", 24, 56, k,
	    sizeof(k)), "2001:db8:12ab:3400::/56");
	ck_assert_str_eq(key_of("2001:db8::1", 24, 128, k, sizeof(k)),
	    "2001:db8::1/128");
	/* A mapped IPv4 address is the IPv4 network. */
	ck_assert_str_eq(key_of("::ffff:192.0.2.10", 24, 56, k, sizeof(k)),
	    "192.0.2.0/24");
	ck_assert(!history_key(NULL, 24, 56, k, sizeof(k)));
	ck_assert(!history_key_from_string("not-an-address", 24, 56, k,
	    sizeof(k)));
	ck_assert(!history_key_from_string("192.0.2.1", 33, 56, k,
	    sizeof(k)));
	ck_assert(!history_key_from_string("192.0.2.1", 24, 56, k, 8));
}
END_TEST

START_TEST(test_rule_threshold_window_mixed)
{
	struct history_rule r = { 3, 30L * 86400 };
	struct history_entry e;
	int64_t t0 = 1700000000;

	memset(&e, 0, sizeof(e));
	ck_assert(!history_entry_protected(&e, &r, t0));
	history_entry_record(&e, true, t0);
	history_entry_record(&e, true, t0 + 1);
	ck_assert(!history_entry_protected(&e, &r, t0 + 2));	/* 2 < 3 */
	history_entry_record(&e, true, t0 + 2);
	ck_assert(history_entry_protected(&e, &r, t0 + 3));
	/* One accepted plaintext transaction: a mixed network, unprotected
	 * for a whole window. */
	history_entry_record(&e, false, t0 + 10);
	ck_assert(!history_entry_protected(&e, &r, t0 + 11));
	history_entry_record(&e, true, t0 + 12);
	ck_assert(!history_entry_protected(&e, &r, t0 + 10 + r.window - 1));
	ck_assert(history_entry_protected(&e, &r, t0 + 10 + r.window));
	ck_assert_uint_eq(e.tls_count, 4);
	ck_assert_uint_eq(e.plain_count, 1);
	ck_assert_int_eq(e.first_tls, t0);
	ck_assert_int_eq(e.last_tls, t0 + 12);
	ck_assert_int_eq(history_entry_last_seen(&e), t0 + 12);
}
END_TEST

START_TEST(test_entry_codec)
{
	struct history_entry e = { 5, 7, 1, 2, 3, 4 }, d;
	unsigned char buf[HISTORY_ENTRY_SIZE];

	history_entry_encode(&e, buf);
	ck_assert(history_entry_decode(buf, sizeof(buf), &d));
	ck_assert(memcmp(&e, &d, sizeof(e)) == 0);
	ck_assert(!history_entry_decode(buf, sizeof(buf) - 1, &d));
	ck_assert(!history_entry_decode(NULL, sizeof(buf), &d));
}
END_TEST

static struct history_config
config_for(char *db)
{
	struct history_config cf;

	memset(&cf, 0, sizeof(cf));
	cf.db = db;
	cf.key_prefix = "test:";
	cf.redis_timeout_ms = 200;
	cf.prefix_v4 = 24;
	cf.prefix_v6 = 56;
	cf.min_tls = 3;
	cf.window = 30L * 86400;
	cf.expire = 90L * 86400;
	cf.max_mb = 16;
	return cf;
}

static void
record_n(struct history *h, const char *addr, bool tls, int n)
{
	struct sockaddr_storage ss = sa_of(addr);
	int i;

	for (i = 0; i < n; i++)
		history_record(h, (struct sockaddr *)&ss, tls);
}

static int
protected(struct history *h, const char *addr)
{
	struct sockaddr_storage ss = sa_of(addr);

	return history_protected(h, (struct sockaddr *)&ss);
}

/* The behaviour both stores must have, with the writer thread running. */
static void
exercise_store(char *db)
{
	struct history_config cf = config_for(db);
	struct history_entry e;
	struct history *h;
	char err[256], key[HISTORY_KEY_MAX];

	h = history_open(&cf, err, sizeof(err));
	ck_assert_msg(h != NULL, "open %s: %s", db, err);
	ck_assert_int_eq(history_start(h), 0);
	record_n(h, "192.0.2.10", true, 3);
	record_n(h, "198.51.100.1", true, 3);
	record_n(h, "198.51.100.2", false, 1);	/* mixed network */
	history_flush(h);
	ck_assert_int_eq(protected(h, "192.0.2.77"), 1);
	ck_assert_int_eq(protected(h, "198.51.100.1"), 0);
	ck_assert_int_eq(protected(h, "203.0.113.5"), 0);	/* unknown */
	ck_assert_int_eq(history_lookup(h, "192.0.2.200", key, sizeof(key),
	    &e), 1);
	ck_assert_str_eq(key, "192.0.2.0/24");
	ck_assert_uint_eq(e.tls_count, 3);
	ck_assert_uint_eq(e.plain_count, 0);
	ck_assert_int_eq(history_lookup(h, "203.0.113.5", key, sizeof(key),
	    &e), 0);
	ck_assert_uint_eq(history_errors(h), 0);
	history_close(h);

	/* Persistence: a new handle sees the same history. */
	h = history_open(&cf, err, sizeof(err));
	ck_assert_msg(h != NULL, "reopen %s: %s", db, err);
	ck_assert_int_eq(protected(h, "192.0.2.1"), 1);
	history_close(h);
}

START_TEST(test_lmdb_store)
{
	char dir[PATH_MAX], db[PATH_MAX + 16];

	unit_tmpdir(dir, sizeof(dir));
	(void)snprintf(db, sizeof(db), "lmdb:%s/history", dir);
	exercise_store(db);
}
END_TEST

static int
count_entry(void *arg, const char *key, const struct history_entry *e)
{
	(void)key;
	(void)e;
	(*(size_t *)arg)++;
	return 0;
}

START_TEST(test_lmdb_sweep_and_walk)
{
	struct history_config cf;
	struct history *h;
	char dir[PATH_MAX], db[PATH_MAX + 16], err[256];
	size_t n = 0, removed;

	unit_tmpdir(dir, sizeof(dir));
	(void)snprintf(db, sizeof(db), "lmdb:%s/history", dir);
	cf = config_for(db);
	cf.expire = 1;		/* everything older than 1 s goes */
	h = history_open(&cf, err, sizeof(err));
	ck_assert_msg(h != NULL, "%s", err);
	record_n(h, "192.0.2.10", true, 1);
	record_n(h, "192.0.3.10", true, 1);
	history_flush(h);
	ck_assert_int_eq(history_walk(h, count_entry, &n), 0);
	ck_assert_uint_eq(n, 2);
	/* Entries last seen at time T expire at T + 1: wait for the next
	 * second on the wall clock, which the rule itself reads. */
	{
		time_t t = time(NULL);
		struct timespec ms = { 0, 50000000 };

		while (time(NULL) < t + 2)
			(void)nanosleep(&ms, NULL);
	}
	ck_assert_int_eq(history_sweep(h, &removed), 0);
	ck_assert_uint_eq(removed, 2);
	n = 0;
	ck_assert_int_eq(history_walk(h, count_entry, &n), 0);
	ck_assert_uint_eq(n, 0);
	history_close(h);
}
END_TEST

START_TEST(test_lmdb_corrupt_and_full)
{
	struct history_config cf;
	struct history *h;
	char dir[PATH_MAX], path[PATH_MAX + 16], db[PATH_MAX + 32], err[256];
	char addr[64];
	FILE *fp;
	int i;

	unit_tmpdir(dir, sizeof(dir));
	(void)snprintf(path, sizeof(path), "%s/garbage", dir);
	ck_assert((fp = fopen(path, "w")) != NULL);
	for (i = 0; i < 2000; i++)
		fputs("this is not an LMDB file\n", fp);
	ck_assert_int_eq(fclose(fp), 0);
	(void)snprintf(db, sizeof(db), "lmdb:%s", path);
	cf = config_for(db);
	ck_assert(history_open(&cf, err, sizeof(err)) == NULL);
	ck_assert_msg(strstr(err, path) != NULL, "%s", err);

	/* A 1 MiB map and 100,000 networks: writes fail and are counted,
	 * the file never grows past the map, reads go on. */
	(void)snprintf(db, sizeof(db), "lmdb:%s/small", dir);
	cf = config_for(db);
	cf.max_mb = 1;
	h = history_open(&cf, err, sizeof(err));
	ck_assert_msg(h != NULL, "%s", err);
	for (i = 0; i < 100000; i++) {
		(void)snprintf(addr, sizeof(addr), "%d.%d.%d.1", 10 + i / 65536,
		    (i / 256) % 256, i % 256);
		record_n(h, addr, true, 1);
		if (i % 4096 == 4095)
			history_flush(h);
	}
	history_flush(h);
	ck_assert_uint_gt(history_errors(h), 0);
	(void)protected(h, "10.0.0.1");
	history_close(h);
	{
		struct stat st;

		ck_assert(snprintf(path, sizeof(path), "%s/small", dir) <
		    (int)sizeof(path));
		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert_int_le(st.st_size, 1L << 20);
	}
}
END_TEST

START_TEST(test_bad_spec)
{
	struct history_config cf = config_for("memcached:127.0.0.1:11211");
	char err[256];

	ck_assert(history_open(&cf, err, sizeof(err)) == NULL);
	ck_assert(strstr(err, "history_db") != NULL);
	cf = config_for("redis:no-port");
	ck_assert(history_open(&cf, err, sizeof(err)) == NULL);
}
END_TEST

/* --- a real redis-server on a private unix socket ------------------- */

static pid_t redis_pid = -1;
static char redis_dir[PATH_MAX], redis_sock[PATH_MAX + 16];

static bool
redis_ready(void)
{
	struct sockaddr_un sun;
	char buf[16];
	ssize_t n;
	int fd;
	bool ok = false;

	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return false;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert(snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
	    redis_sock) < (int)sizeof(sun.sun_path));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 &&
	    write(fd, "PING\r\n", 6) == 6 &&
	    (n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		ok = strncmp(buf, "+PONG", 5) == 0;
	}
	(void)close(fd);
	return ok;
}

static void
redis_start(void)
{
	struct timespec step = { 0, 20000000 };
	int i;

	unit_tmpdir(redis_dir, sizeof(redis_dir));
	(void)snprintf(redis_sock, sizeof(redis_sock), "%s/redis.sock",
	    redis_dir);
	redis_pid = fork();
	ck_assert_int_ne(redis_pid, -1);
	if (redis_pid == 0) {
		execlp("redis-server", "redis-server", "--port", "0",
		    "--unixsocket", redis_sock, "--save", "",
		    "--appendonly", "no", "--dir", redis_dir,
		    "--loglevel", "warning", "--logfile", "redis.log",
		    (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500 && !redis_ready(); i++)	/* up to 10 s */
		(void)nanosleep(&step, NULL);
	ck_assert_msg(redis_ready(), "redis-server did not answer PING on %s "
	    "(Debian package redis-server)", redis_sock);
}

static void
redis_stop(void)
{
	if (redis_pid > 0) {
		(void)kill(redis_pid, SIGTERM);
		(void)waitpid(redis_pid, NULL, 0);
	}
	redis_pid = -1;
}

/* Sends one raw command to the test's Redis (fixtures, not the store). */
static void
redis_raw(const char *cmd)
{
	struct sockaddr_un sun;
	char buf[256];
	int fd;

	ck_assert((fd = socket(AF_UNIX, SOCK_STREAM, 0)) != -1);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert(snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
	    redis_sock) < (int)sizeof(sun.sun_path));
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert(write(fd, cmd, strlen(cmd)) == (ssize_t)strlen(cmd));
	ck_assert(read(fd, buf, sizeof(buf)) > 0);
	(void)close(fd);
}

START_TEST(test_redis_store)
{
	char db[PATH_MAX + 32];

	redis_start();
	(void)snprintf(db, sizeof(db), "redis:unix:%s", redis_sock);
	exercise_store(db);
	redis_stop();
}
END_TEST

START_TEST(test_redis_hostile_and_down)
{
	struct history_config cf;
	struct history *h;
	char db[PATH_MAX + 32], err[256], key[HISTORY_KEY_MAX];
	struct history_entry e;
	uint64_t before;

	redis_start();
	(void)snprintf(db, sizeof(db), "redis:unix:%s", redis_sock);
	cf = config_for(db);
	h = history_open(&cf, err, sizeof(err));
	ck_assert_msg(h != NULL, "%s", err);
	/* Wrong type: the key is a list. */
	redis_raw("RPUSH test:192.0.2.0/24 x\r\n");
	ck_assert_int_eq(protected(h, "192.0.2.1"), -1);
	ck_assert_uint_eq(history_errors(h), 1);
	/* Fields that are no numbers, or far too long. */
	redis_raw("HSET test:198.51.100.0/24 t 99999999999999999999999 "
	    "p 0\r\n");
	ck_assert_int_eq(history_lookup(h, "198.51.100.9", key, sizeof(key),
	    &e), -1);
	redis_raw("HSET test:203.0.113.0/24 t abc\r\n");
	ck_assert_int_eq(protected(h, "203.0.113.9"), -1);
	ck_assert_uint_eq(history_errors(h), 3);
	/* A huge value (1 MiB) is no history either. */
	{
		static const char bigkey[] = "test:100.64.0.0/24";
		size_t big = 1 << 20, len;
		char *cmd = malloc(big + 256);
		int hl;

		ck_assert(cmd != NULL);
		hl = snprintf(cmd, 256, "*4\r\n$4\r\nHSET\r\n$%zu\r\n%s\r\n"
		    "$1\r\nt\r\n$%zu\r\n", strlen(bigkey), bigkey, big);
		ck_assert(hl > 0 && hl < 256);
		memset(cmd + hl, '7', big);
		len = (size_t)hl + big;
		memcpy(cmd + len, "\r\n", 3);
		redis_raw(cmd);
		free(cmd);
	}
	ck_assert_int_eq(protected(h, "100.64.0.1"), -1);
	ck_assert_uint_eq(history_errors(h), 4);
	/* Redis gone: answers "unknown" at once, errors counted. */
	redis_stop();
	before = history_errors(h);
	ck_assert_int_eq(protected(h, "192.0.2.1"), -1);
	ck_assert_int_eq(protected(h, "192.0.2.1"), -1);
	record_n(h, "192.0.2.1", true, 1);
	history_flush(h);
	ck_assert_uint_ge(history_errors(h), before + 3);
	history_close(h);
}
END_TEST

/* SCAN in batches of 1000, HMGETs pipelined: every entry, none twice. */
START_TEST(test_redis_walk)
{
	struct history_config cf;
	struct history *h;
	char db[PATH_MAX + 32], err[256], addr[32];
	size_t n = 0;
	int i;

	redis_start();
	(void)snprintf(db, sizeof(db), "redis:unix:%s", redis_sock);
	cf = config_for(db);
	h = history_open(&cf, err, sizeof(err));
	ck_assert_msg(h != NULL, "%s", err);
	for (i = 0; i < 2500; i++) {
		(void)snprintf(addr, sizeof(addr), "10.%d.%d.1", i / 256,
		    i % 256);
		record_n(h, addr, true, 1);
	}
	history_flush(h);
	/* Not history entries: skipped, the walk goes on. */
	redis_raw("RPUSH test:192.0.2.0/24 x\r\n");
	redis_raw("HSET test:203.0.113.0/24 t abc\r\n");
	redis_raw("SET other:198.51.100.0/24 1\r\n");
	ck_assert_int_eq(history_walk(h, count_entry, &n), 0);
	ck_assert_uint_eq(n, 2500);
	/* A mail lookup on the readers while the walker is connected. */
	ck_assert_int_eq(protected(h, "10.0.5.9"), 0);
	n = 0;
	ck_assert_int_eq(history_walk(h, count_entry, &n), 0);
	ck_assert_uint_eq(n, 2500);
	history_close(h);
	redis_stop();
}
END_TEST

static Suite *
history_suite(void)
{
	Suite *s = suite_create("history");
	TCase *tc = tcase_create("history");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_key_prefixes);
	tcase_add_test(tc, test_rule_threshold_window_mixed);
	tcase_add_test(tc, test_entry_codec);
	tcase_add_test(tc, test_lmdb_store);
	tcase_add_test(tc, test_lmdb_sweep_and_walk);
	tcase_add_test(tc, test_lmdb_corrupt_and_full);
	tcase_add_test(tc, test_bad_spec);
	tcase_add_test(tc, test_redis_walk);
	tcase_add_test(tc, test_redis_store);
	tcase_add_test(tc, test_redis_hostile_and_down);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	/* As in the daemon (signals.c): a dead Redis must not kill us. */
	(void)signal(SIGPIPE, SIG_IGN);
	return unit_run(history_suite());
}
