/*
 * check_report.c - unit tests of the rollout report (-r): line parsing
 * (report_parse.c), the counter table (report_table.c) and its keyed hash
 * (lib/siphash.c), also under 100,000 names built to collide, and whole
 * runs of report_run() on temporary files, text and JSON.
 *
 * Output is TAP (one line per test case); the exit status is non-zero when
 * any case fails.
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/siphash.h"
#include "report/report.h"
#include "report/report_parse.h"
#include "report/report_table.h"
#include "unit.h"

#define PFX	"Nov 24 15:16:43 mx mtasts-milter[812]: "
#define REJ	"NOQUEUE: action=reject reason=plaintext mode=enforce " \
		"stage=mail tls=none "

static struct rp_decision d;
static char buf[RP_CANON_MAX];

static enum rp_kind
parse(const char *line)
{
	return rp_parse(line, strlen(line), &d);
}

static const char *
canon(const struct rp_span *s)
{
	rp_canon(buf, s, true);
	return buf;
}

static const char *
domain(void)
{
	rp_domain(buf, &d.from);
	return buf;
}

START_TEST(parse_prefixes)
{
	ck_assert_int_eq(parse(PFX REJ "client=a[192.0.2.1] from=<x@b.org>"),
	    RP_DECISION);
	ck_assert_str_eq(d.ts, "Nov 24 15:16:43");
	ck_assert_int_eq(d.action, ACTION_REJECT);
	ck_assert_int_eq(d.reason, REASON_PLAINTEXT);
	ck_assert_str_eq(canon(&d.client), "a[192.0.2.1]");
	ck_assert_str_eq(domain(), "b.org");
	ck_assert_int_eq(parse("Nov  4 01:02:03 mx mtasts-milter: " REJ),
	    RP_DECISION);
	ck_assert_str_eq(d.ts, "Nov  4 01:02:03");
	ck_assert_int_eq(parse("2026-11-24T15:16:43.123456+00:00 mx "
	    "mtasts-milter[1]: " REJ), RP_DECISION);
	ck_assert_str_eq(d.ts, "2026-11-24T15:16:43.123456+00:00");
	ck_assert_int_eq(parse("2026-11-24T15:16:43Z mtasts-milter[1]: "
	    REJ), RP_DECISION);
	ck_assert_str_eq(d.ts, "2026-11-24T15:16:43Z");
	ck_assert_int_eq(parse("mtasts-milter[812]: " REJ), RP_DECISION);
	ck_assert_str_eq(d.ts, "");
	ck_assert_int_eq(parse("mtasts-milter: " REJ), RP_DECISION);
	ck_assert_int_eq(parse(REJ), RP_DECISION);
	ck_assert_str_eq(canon(&d.client), "-");
	ck_assert_str_eq(domain(), "-");
}
END_TEST

/*
 * The -r parser reads every action, reason and mode the milter can log
 * (one vocabulary, lib/decision.h): a reason added to the engine must not
 * turn into a "malformed" line.  Each pair the engine gives (accept alone,
 * reject and would-reject with a TLS reason, exempt with an exemption
 * reason) is written as the callbacks write it and parsed back.
 */
START_TEST(decision_vocabulary_round_trips)
{
	char line[256];
	const char *tls;
	int a, r, m;

	for (a = 0; a < ACTION_COUNT; a++)
		ck_assert_int_eq(action_lookup(action_name((enum action)a),
		    strlen(action_name((enum action)a))), a);
	ck_assert_int_eq(action_lookup("per-rcpt", 8), -1);	/* not logged */
	for (r = 1; r < REASON_COUNT; r++)
		ck_assert_int_eq(reason_lookup(reason_name((enum reason)r),
		    strlen(reason_name((enum reason)r))), r);
	ck_assert_int_eq(reason_lookup("", 0), -1);
	for (m = 0; m < STS_MODE_COUNT; m++)
		ck_assert_int_eq(sts_mode_lookup(sts_mode_name((enum sts_mode)m),
		    strlen(sts_mode_name((enum sts_mode)m))), m);

	for (a = 0; a < ACTION_COUNT; a++)
		for (r = 0; r < REASON_COUNT; r++) {
			if ((a == ACTION_ACCEPT) != (r == REASON_NONE) ||
			    (a == ACTION_EXEMPT) !=
			    reason_is_exemption((enum reason)r))
				continue;
			tls = r == REASON_WEAK_TLS || a == ACTION_ACCEPT ?
			    "TLSv1.2" : "none";
			for (m = 0; m < STS_MODE_COUNT; m++) {
				(void)snprintf(line, sizeof(line), "Q1: "
				    "action=%s%s%s mode=%s stage=rcpt tls=%s",
				    action_name((enum action)a),
				    r != REASON_NONE ? " reason=" : "",
				    reason_name((enum reason)r),
				    sts_mode_name((enum sts_mode)m), tls);
				ck_assert_msg(parse(line) == RP_DECISION,
				    "not a decision: %s", line);
				ck_assert_int_eq(d.action, a);
				ck_assert_int_eq(d.reason, r);
			}
		}
}
END_TEST

START_TEST(parse_other)
{
	ck_assert_int_eq(parse(""), RP_OTHER);
	ck_assert_int_eq(parse(PFX "starting"), RP_OTHER);
	ck_assert_int_eq(parse("mtasts-milter: reloaded"), RP_OTHER);
	ck_assert_int_eq(parse("Nov 24 15:16:43 mx postfix/smtpd[1]: "
	    "4X: action=reject reason=plaintext"), RP_OTHER);
	ck_assert_int_eq(parse("Nov 24 15:16:43 mx mtasts-milter[x]: " REJ),
	    RP_OTHER);
	ck_assert_int_eq(parse("2026-11-24T15:16:43 mx kernel: action=x"),
	    RP_OTHER);
}
END_TEST

START_TEST(parse_fields)
{
	ck_assert_int_eq(parse(PFX "4X: action=accept stage=mail "
	    "tls=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 "
	    "requiretls=yes"), RP_DECISION);
	ck_assert_int_eq(d.action, ACTION_ACCEPT);
	ck_assert_int_eq(d.reason, REASON_NONE);
	ck_assert_uint_eq(d.tls.len, 7);
	/* SPEC section 6 order, without tls= */
	ck_assert_int_eq(parse("4X: action=reject reason=plaintext "
	    "mode=enforce stage=mail client=m[192.0.2.7] helo=m "
	    "from=<a@example.net>"), RP_DECISION);
	ck_assert_int_eq(parse("Q: action=would-reject reason=weak-tls "
	    "tls=TLSv1 bits=128 mode=testing stage=rcpt "
	    "rcpt=<b@example.org> client=x"), RP_DECISION);
	ck_assert_int_eq(d.action, ACTION_WOULD_REJECT);
	ck_assert_int_eq(parse("Q: action=exempt reason=auth tls=none"),
	    RP_DECISION);
	ck_assert_int_eq(d.reason, REASON_AUTH);
	ck_assert_int_eq(parse(REJ "helo=\"a b=c\\\"\" x-new=1 "
	    "truncated=yes"), RP_DECISION);
}
END_TEST

START_TEST(parse_malformed)
{
	static const char *const bad[] = {
		PFX "NOQUEUE: action=destroy reason=plaintext",
		PFX "NOQUEUE: action=reject",
		PFX "NOQUEUE: action=reject reason=network",
		PFX "NOQUEUE: action=exempt reason=plaintext",
		PFX "NOQUEUE: action=exempt",
		PFX "NOQUEUE: action=accept reason=bogus",
		PFX "NOQUEUE: action=\"reject\" reason=plaintext",
		PFX REJ "client=a client=b",
		PFX REJ "action=reject",
		PFX REJ "client=\"unterminated",
		PFX REJ "client=a\"b",
		PFX REJ "helo=a\\q",
		PFX REJ "helo=a\\x4",
		PFX REJ "helo=\x01",
		PFX REJ "helo=\xc3\xa9",
		PFX REJ "helo=\"a\"b",
		PFX REJ "stage=data",
		PFX REJ "mode=strict",
		PFX "Q: action=reject reason=plaintext tls=TLSv1.3",
		PFX "Q: action=reject reason=weak-tls tls=none",
		PFX "Q: action=accept tls=TLS;v1",
		PFX "Q: action=accept tls=",
		PFX "Q: action=accept from=<a",
		PFX "Q: action=accept from=<\"a\"@b>",
		PFX "Q: action=accept Bad=1",
		PFX "Q:action=accept",
		PFX ": action=accept",
		PFX "action=accept",
		"mtasts-milter: garbage action=reject",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(parse(bad[i]) == RP_MALFORMED, "accepted: %s",
		    bad[i]);
}
END_TEST

START_TEST(parse_nul_and_length)
{
	static const char nul[] = PFX REJ "client=a\0b";
	char *big;

	ck_assert_int_eq(rp_parse(nul, sizeof(nul) - 1, &d), RP_MALFORMED);
	big = malloc(RP_LINE_MAX + 10);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', RP_LINE_MAX + 10);
	memcpy(big, REJ, strlen(REJ));
	ck_assert_int_eq(rp_parse(big, RP_LINE_MAX + 1, &d), RP_MALFORMED);
	free(big);
}
END_TEST

START_TEST(canon_values)
{
	ck_assert_int_eq(parse(REJ "client=\"Evil\\x1b[31m x\\\\y\\\"\\xff\" "
	    "from=<\"\\\"a b\\\"@Ex.ORG\">"), RP_DECISION);
	ck_assert_str_eq(canon(&d.client), "evil\\x1b[31m\\x20x\\\\y\"\\xff");
	rp_canon(buf, &d.client, false);
	ck_assert_str_eq(buf, "Evil\\x1b[31m\\x20x\\\\y\"\\xff");
	ck_assert_str_eq(domain(), "ex.org");
	ck_assert_int_eq(parse(REJ "from=<>"), RP_DECISION);
	ck_assert_str_eq(domain(), "<>");
	ck_assert_int_eq(parse(REJ "from=<\"\">"), RP_DECISION);
	ck_assert_str_eq(domain(), "<>");
	ck_assert_int_eq(parse(REJ "from=<postmaster>"), RP_DECISION);
	ck_assert_str_eq(domain(), "-");
	ck_assert_int_eq(parse(REJ "from=<a@>"), RP_DECISION);
	ck_assert_str_eq(domain(), "-");
	ck_assert_int_eq(parse(REJ "from=a@B.example"), RP_DECISION);
	ck_assert_str_eq(domain(), "b.example");
}
END_TEST

START_TEST(canon_cap)
{
	char line[RP_LINE_MAX];
	size_t n, i;

	n = (size_t)snprintf(line, sizeof(line), "%sclient=\"", REJ);
	for (i = 0; i < 300; i++)
		line[n++] = ' ';
	line[n++] = '"';
	line[n] = '\0';
	ck_assert_int_eq(parse(line), RP_DECISION);
	n = rp_canon(buf, &d.client, true);
	ck_assert_uint_le(n, RP_KEY_MAX);
	ck_assert_uint_eq(strlen(buf), n);
	ck_assert_str_eq(buf + n - 3, "...");
	ck_assert_int_eq(strncmp(buf, "\\x20\\x20", 8), 0);
}
END_TEST

START_TEST(table_grow_sort)
{
	struct rtab t;
	struct rentry *e, **v;
	char key[32];
	size_t i, n;

	rtab_init(&t);
	for (i = 0; i < 5000; i++) {
		int len = snprintf(key, sizeof(key), "k%05zu", i);

		e = rtab_get(&t, key, (size_t)len);
		ck_assert_ptr_nonnull(e);
		e->count += i % 3 == 0 ? 2 : 1;
	}
	ck_assert_uint_eq(t.n, 5000);
	e = rtab_get(&t, "k00003", 6);
	ck_assert_uint_eq(e->count, 2);
	ck_assert_str_eq(e->key, "k00003");
	v = rtab_sorted(&t, &n);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(n, 5000);
	ck_assert_str_eq(v[0]->key, "k00000");
	ck_assert_str_eq(v[1]->key, "k00003");
	ck_assert_str_eq(v[n - 1]->key, "k04999");
	for (i = 1; i < n; i++)
		ck_assert(v[i - 1]->count > v[i]->count ||
		    (v[i - 1]->count == v[i]->count &&
		    strcmp(v[i - 1]->key, v[i]->key) < 0));
	free(v);
	rtab_free(&t);
	ck_assert_ptr_null(rtab_sorted(&t, &n));
	ck_assert_uint_eq(n, 0);
}
END_TEST

/*
 * Names that collide under the old table hash, unseeded FNV-1a: all
 * NCOLL of them have the same low COLL_BITS bits, so a table of up to
 * 2^COLL_BITS slots (NCOLL keys need 2^18) puts them all in one slot, and
 * linear probing turned that into NCOLL^2 / 2 key comparisons.  Because
 * FNV-1a's low k bits depend only on the low k bits of its state, a 3-byte
 * block (a, b, c) taking state s to a chosen state t mod 2^k follows by
 * running the steps backwards: for every b and c, a = prev(prev(prev(t) ^
 * c) ^ b) ^ s, which is a byte about once in 2^(k-8) tries.  Five stages
 * of ten blocks each give 10^5 names of 15 bytes.
 */
#define COLL_BITS	18
#define COLL_MASK	((1u << COLL_BITS) - 1)
#define COLL_STAGES	5
#define COLL_BLOCKS	10			/* per stage */
#define NCOLL		100000			/* COLL_BLOCKS^COLL_STAGES */
#define FNV_PRIME	0x100000001b3ULL

static uint64_t
fnv1a(const unsigned char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= FNV_PRIME;
	}
	return h;
}

/* The inverse of FNV_PRIME modulo 2^COLL_BITS (Newton's iteration). */
static uint32_t
prime_inverse(void)
{
	uint64_t p = FNV_PRIME & COLL_MASK, x = p;
	int i;

	for (i = 0; i < 5; i++)
		x = (x * (2 - p * x)) & COLL_MASK;
	ck_assert_uint_eq((p * x) & COLL_MASK, 1);
	return (uint32_t)x;
}

/* COLL_BLOCKS blocks taking state s to t (mod 2^COLL_BITS); false if not. */
static bool
find_blocks(uint32_t s, uint32_t t, uint32_t inv,
    unsigned char blocks[COLL_BLOCKS][3])
{
	uint32_t x2, x1, a;
	unsigned int b, c, found = 0;

	for (c = 0; c < 256 && found < COLL_BLOCKS; c++)
		for (b = 0; b < 256 && found < COLL_BLOCKS; b++) {
			x2 = ((uint32_t)((uint64_t)t * inv) & COLL_MASK) ^ c;
			x1 = ((uint32_t)((uint64_t)x2 * inv) & COLL_MASK) ^ b;
			a = ((uint32_t)((uint64_t)x1 * inv) & COLL_MASK) ^ s;
			if (a > 255)
				continue;
			blocks[found][0] = (unsigned char)a;
			blocks[found][1] = (unsigned char)b;
			blocks[found][2] = (unsigned char)c;
			found++;
		}
	return found == COLL_BLOCKS;
}

/*
 * SipHash-1-3 with key 00..0f over the messages 00, 00 01, ... (n bytes):
 * the values OpenSSL's SIPHASH MAC gives with c-rounds 1, d-rounds 3
 * (its output bytes read little-endian).
 */
START_TEST(siphash13_vectors)
{
	static const struct {
		size_t		len;
		uint64_t	want;
	} v[] = {
		{ 0, 0xabac0158050fc4dcULL }, { 1, 0xc9f49bf37d57ca93ULL },
		{ 2, 0x82cb9b024dc7d44dULL }, { 7, 0xd3927d989bb11140ULL },
		{ 8, 0x369095118d299a8eULL }, { 9, 0x25a48eb36c063de4ULL },
		{ 15, 0xd320d86d2a519956ULL }, { 16, 0xcc4fdd1a7d908b66ULL },
		{ 63, 0x9d199062b7bbb3a8ULL },
	};
	struct siphash_key key = { 0x0706050403020100ULL,
	    0x0f0e0d0c0b0a0908ULL }, k2;
	unsigned char msg[64];
	size_t i;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)i;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		ck_assert_msg(siphash13(&key, msg, v[i].len) == v[i].want,
		    "%zu bytes: %016llx", v[i].len,
		    (unsigned long long)siphash13(&key, msg, v[i].len));
	/* Two random keys differ (a fixed key would defeat the point). */
	siphash_key_random(&key);
	siphash_key_random(&k2);
	ck_assert(key.k0 != k2.k0 || key.k1 != k2.k1);
}
END_TEST

START_TEST(table_colliding_names)
{
	unsigned char blocks[COLL_STAGES][COLL_BLOCKS][3], *keys, *key;
	uint32_t inv = prime_inverse(), s, t;
	struct rtab t_;
	struct rentry *e;
	size_t i, j, run, longest = 0;
	unsigned int stage, k;
	clock_t start;
	double secs;

	s = (uint32_t)(0xcbf29ce484222325ULL & COLL_MASK);
	for (stage = 0; stage < COLL_STAGES; stage++) {
		for (t = 0x15a5a; !find_blocks(s, t, inv, blocks[stage]); t++)
			;
		s = t;
	}
	keys = malloc((size_t)NCOLL * COLL_STAGES * 3);
	ck_assert_ptr_nonnull(keys);
	for (i = 0; i < NCOLL; i++) {
		key = keys + i * COLL_STAGES * 3;
		for (stage = 0, k = (unsigned int)i; stage < COLL_STAGES;
		    stage++, k /= COLL_BLOCKS)
			memcpy(key + 3 * stage, blocks[stage][k % COLL_BLOCKS],
			    3);
		/* The attack works: every name has the same old hash slot. */
		ck_assert_uint_eq(fnv1a(key, COLL_STAGES * 3) & COLL_MASK, s);
	}
	rtab_init(&t_);
	start = clock();
	for (i = 0; i < NCOLL; i++) {
		e = rtab_get(&t_, (const char *)keys + i * COLL_STAGES * 3,
		    COLL_STAGES * 3);
		ck_assert_ptr_nonnull(e);
		e->count++;
	}
	secs = (double)(clock() - start) / CLOCKS_PER_SEC;
	free(keys);
	ck_assert_uint_eq(t_.n, NCOLL);
	ck_assert_uint_le(t_.cap, 1u << COLL_BITS);
	/*
	 * The old table held one run of NCOLL occupied slots and took a
	 * minute of CPU (about NCOLL^2 / 2 key comparisons); now it takes
	 * well under a second, and under valgrind a few seconds.
	 */
	for (i = 0, run = 0; i < 2 * t_.cap; i++) {
		j = i % t_.cap;
		run = t_.slots[j] != NULL ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	rtab_free(&t_);
	ck_assert_msg(longest < 1000, "a run of %zu occupied slots", longest);
	ck_assert_msg(secs < 20.0, "%d colliding names took %.1f s of CPU",
	    NCOLL, secs);
}
END_TEST

/* Runs report_run on one file holding text; returns its output. */
static char *
run(const char *text, size_t len, bool json, int *rc)
{
	char path[] = "/tmp/check_report.XXXXXX", *out = NULL;
	char *files[1];
	size_t outlen = 0;
	FILE *fp, *mem, *err;
	int fd;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fp = fdopen(fd, "w");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(text, 1, len, fp), len);
	fclose(fp);
	files[0] = path;
	mem = open_memstream(&out, &outlen);
	err = fopen("/dev/null", "w");
	ck_assert_ptr_nonnull(mem);
	ck_assert_ptr_nonnull(err);
	*rc = report_run(files, 1, json, mem, err);
	fclose(mem);
	fclose(err);
	unlink(path);
	return out;
}

static const char log1[] =
    PFX "starting\n"
    PFX REJ "client=b[192.0.2.2] from=<x@B.example>\n"
    "Nov 24 15:16:44 mx mtasts-milter[812]: Q: action=would-reject "
    "reason=weak-tls tls=TLSv1 client=a[192.0.2.1] from=<y@b.example>\r\n"
    PFX "Q: action=accept tls=TLSv1.3 client=c from=<z@c.example>\n"
    PFX "Q: action=bogus\n"
    "Nov 24 15:16:45 mx mtasts-milter[812]: " REJ
    "client=a[192.0.2.1] from=<>";

START_TEST(run_text)
{
	char *out;
	int rc;

	out = run(log1, sizeof(log1) - 1, false, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(strstr(out, "  lines              6\n"));
	ck_assert_ptr_nonnull(strstr(out, "  decisions          4\n"));
	ck_assert_ptr_nonnull(strstr(out, "  other lines        1\n"));
	ck_assert_ptr_nonnull(strstr(out, "  malformed lines    1\n"));
	ck_assert_ptr_nonnull(strstr(out, "  weak TLS           1\n"));
	ck_assert_ptr_nonnull(strstr(out, "Non-compliant senders: 3 "));
	ck_assert_ptr_nonnull(strstr(out, "      2       1      1      1"
	    "     1     0  Nov 24 15:16:44  Nov 24 15:16:45  a[192.0.2.1]\n"));
	ck_assert_ptr_nonnull(strstr(out, "      2       1      1      1"
	    "     1     0  Nov 24 15:16:43  Nov 24 15:16:44  b.example\n"));
	ck_assert_ptr_nonnull(strstr(out, "  <>\n"));
	free(out);
}
END_TEST

START_TEST(run_json)
{
	char *out;
	int rc;

	out = run(log1, sizeof(log1) - 1, true, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(strstr(out, "\"decisions\": 4, \"other\": 1, "
	    "\"malformed\": 1"));
	ck_assert_ptr_nonnull(strstr(out, "{\"client\": \"a[192.0.2.1]\", "
	    "\"count\": 2, \"reject\": 1, \"would_reject\": 1, "
	    "\"plaintext\": 1, \"weak_tls\": 1, \"requiretls_plaintext\": 0, "
	    "\"first_seen\": {\"file\": \"/tmp/check_report."));
	ck_assert_ptr_nonnull(strstr(out, "\"line\": 6, \"time\": "
	    "\"Nov 24 15:16:45\"}}"));
	ck_assert_ptr_nonnull(strstr(out, "{\"version\": \"TLSv1\", "
	    "\"count\": 1}"));
	ck_assert_ptr_nonnull(strstr(out, "{\"action\": \"accept\", "
	    "\"reason\": null, \"count\": 1}"));
	free(out);
}
END_TEST

START_TEST(run_hostile)
{
	static const char hostile[] = "\0\0\0\n" REJ "client=x\\x00\\x0a"
	    "\xff\n\n" REJ "client=\"a\\\\\\\"\" from=<q@\\x0d.example>\n";
	char *text, *out;
	size_t len, n = 0, i;
	int rc;

	len = sizeof(hostile) - 1 + 3 * RP_LINE_MAX;
	text = malloc(len);
	ck_assert_ptr_nonnull(text);
	memcpy(text, hostile, sizeof(hostile) - 1);
	n = sizeof(hostile) - 1;
	memset(text + n, 'x', len - n);
	text[len - 1] = '\n';
	out = run(text, len, false, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(strstr(out, "  lines              5\n"));
	ck_assert_ptr_nonnull(strstr(out, "  decisions          1\n"));
	ck_assert_ptr_nonnull(strstr(out, "  malformed lines    2\n"));
	ck_assert_ptr_nonnull(strstr(out, "    too long         1\n"));
	ck_assert_ptr_nonnull(strstr(out, "  a\\\\\"\n"));
	ck_assert_ptr_nonnull(strstr(out, "  \\x0d.example\n"));
	for (i = 0; out[i] != '\0'; i++)
		ck_assert(out[i] == '\n' || (out[i] >= 0x20 && out[i] < 0x7f));
	free(out);
	out = run(text, len, true, &rc);
	ck_assert_ptr_nonnull(strstr(out, "{\"client\": \"a\\\\\\\\\\\"\""));
	free(out);
	free(text);
}
END_TEST

START_TEST(run_missing)
{
	char *files[] = { "/nonexistent/mtasts.log" }, *out = NULL;
	size_t outlen = 0;
	FILE *mem, *err;

	mem = open_memstream(&out, &outlen);
	err = fopen("/dev/null", "w");
	ck_assert_int_eq(report_run(files, 1, false, mem, err), 1);
	fclose(mem);
	fclose(err);
	ck_assert_ptr_nonnull(strstr(out, "  unreadable files   1\n"));
	ck_assert_ptr_nonnull(strstr(out, "By client\n  none\n"));
	free(out);
}
END_TEST

static Suite *
report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, parse_prefixes);
	tcase_add_test(tc, parse_other);
	tcase_add_test(tc, decision_vocabulary_round_trips);
	tcase_add_test(tc, parse_fields);
	tcase_add_test(tc, parse_malformed);
	tcase_add_test(tc, parse_nul_and_length);
	tcase_add_test(tc, canon_values);
	tcase_add_test(tc, canon_cap);
	tcase_add_test(tc, table_grow_sort);
	tcase_add_test(tc, run_text);
	tcase_add_test(tc, run_json);
	tcase_add_test(tc, run_hostile);
	tcase_add_test(tc, run_missing);
	suite_add_tcase(s, tc);
	tc = tcase_create("hash");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, siphash13_vectors);
	tcase_add_test(tc, table_colliding_names);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(report_suite());
}
