/*
 * loadgen.c - milter-protocol load generator for the benchmark.
 *
 * Plays many MTA sessions against a milter through mtclient and measures
 * what the milter costs.  Each of CONCURRENCY worker threads opens
 * CONNS_IN_SEQUENCE_PER_WORKER connections one after the other and runs
 * TRANSACTIONS_PER_CONN transactions on each.  The mix is meant to look
 * like a busy MX: 70% of the sessions are TLS ({tls_version}=TLSv1.3,
 * {cipher}, {cipher_bits}=256 sent with the MAIL macros, as the milter asks
 * with smfi_setsymlist, at HELO as Postfix does by default, and
 * {tls_version} again at RCPT and end of message), 30% are
 * plaintext; 1-3 recipients; six headers; a 4 KiB body; quit.  The client
 * address is in 192.0.2.0/24 (no traffic goes there: it is only a string
 * in the milter protocol), so loopback exemptions do not apply.
 *
 * Usage:
 *   loadgen -p SOCKET [-c CONC] [-t TX_PER_CONN] [-r CONNS_PER_WORKER]
 *           [-P MILTER_PID] [-s SEED] [-T TIMEOUT_MS] [-L MAX_SECONDS] [-q]
 *           [-D DOMAINS]
 *           -D: recipients at dK.example.net, K random below DOMAINS
 *           (bench.sh --domains: one against 100,000 domain blocks).
 *   loadgen -p SOCKET -i N [-w HOLD_SECONDS] [-P MILTER_PID]
 *           open N idle sessions (negotiate, connect, helo), print the
 *           milter's RSS, hold them, then quit them all.
 *   loadgen -p SOCKET -W SECONDS
 *           wait until the milter accepts a connection and negotiates;
 *           exit 0 when it does, 1 when the time is up (readiness probe).
 *
 * Output: one stable line "result key=value ..." (tx, conns, secs, tps,
 * p50_ms, p99_ms, max_ms, the reply counts continue/accept/reject/
 * tempfail/replycode/other/noreply, mods, errors, timedout and, with -P,
 * rss_kb and cpu_s of the milter at the end and cpu_run_s spent during the
 * run), then a human-readable block unless -q.  Latency is per
 * transaction: from the MAIL macros to the final reply of the transaction
 * (end of message, or the reject that ended it).  Idle mode prints
 * "idle key=value ...".
 *
 * Failure modes: a protocol or I/O error ends that connection (counted in
 * errors, first message on stderr) and the worker goes on with its next
 * connection.  Every call has a deadline (-T, default 10000 ms), and the
 * whole run stops starting transactions after -L seconds (default 900).
 * Exit status 0 when there was no error, 2 when some were counted, 1 on
 * usage errors.  Hostile inputs are the job of hostile.c, not this file.
 */

#include <sys/resource.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mtclient.h"
#include "procstat.h"

enum { K_CONT, K_ACCEPT, K_REJECT, K_TEMPFAIL, K_REPLY, K_OTHER, K_NOREPLY,
	NKINDS };
static const char *kindname[NKINDS] = { "continue", "accept", "reject",
	"tempfail", "replycode", "other", "noreply" };

struct opts {
	const char	*sock;
	int		 conc, tx, rounds, idle, hold, ready;
	int		 timeout_ms, maxsecs, quiet, domains;
	long		 pid;
	unsigned int	 seed;
};

struct stats {
	uint64_t	 tx, conns, errors, mods, kinds[NKINDS];
	uint32_t	*lat_us;
	size_t		 nlat, cap;
	char		 err[320];
};

struct worker {
	pthread_t		 tid;
	int			 id;
	uint32_t		 rng;
	const struct opts	*o;
	struct stats		 st;
};

static int64_t	start_us;
static atomic_int timedout;
static char	body[4096];

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint32_t
rnd(struct worker *w)
{
	uint32_t x = w->rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return w->rng = x;
}

static void
count(struct worker *w, const struct mt_reply *r)
{
	int k;

	switch (r->code) {
	case SMFIR_CONTINUE:	k = K_CONT; break;
	case SMFIR_ACCEPT:	k = K_ACCEPT; break;
	case SMFIR_REJECT:	k = K_REJECT; break;
	case SMFIR_TEMPFAIL:	k = K_TEMPFAIL; break;
	case SMFIR_REPLYCODE:	k = K_REPLY; break;
	case MT_NOREPLY:	k = K_NOREPLY; break;
	case MT_SKIPPED:	return;
	default:		k = K_OTHER; break;
	}
	w->st.kinds[k]++;
	w->st.mods += r->nmods + r->nmods_lost;
}

/* The reply lets the message go on (continue, no reply, step skipped). */
static int
goes_on(int code)
{
	return code == SMFIR_CONTINUE || code == MT_NOREPLY ||
	    code == MT_SKIPPED || code == SMFIR_SKIP;
}

static int
record_lat(struct worker *w, int64_t t0)
{
	int64_t d = now_us() - t0;
	uint32_t *n;

	if (w->st.nlat == w->st.cap) {
		w->st.cap = w->st.cap ? w->st.cap * 2 : 1024;
		if ((n = realloc(w->st.lat_us, w->st.cap * sizeof(*n))) == NULL)
			return -1;
		w->st.lat_us = n;
	}
	w->st.lat_us[w->st.nlat++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
	w->st.tx++;
	return 0;
}

struct sess {
	struct mt_conn	 c;
	int		 tls;
	char		 addr[32], host[64], qid[32];
};

static int
sess_open(struct worker *w, struct sess *s, const char *sock, int tmo)
{
	struct mt_reply r;
	uint32_t n = rnd(w);
	int rc;

	snprintf(s->addr, sizeof(s->addr), "192.0.2.%u", 1 + n % 254);
	snprintf(s->host, sizeof(s->host), "client%u.example.net", n % 254);
	s->tls = rnd(w) % 100 < 70;
	if ((rc = mt_open(&s->c, sock, tmo)) != MT_OK ||
	    (rc = mt_negotiate(&s->c, SMFI_PROT_VERSION, SMFI_CURR_ACTS,
	    SMFI_CURR_PROT)) != MT_OK)
		return rc;
	const char *cm[] = { "j", "mx.bench.example", "{daemon_name}",
	    "smtpd", "v", "Postfix 3.7.11", "{client_addr}", s->addr,
	    "{client_name}", s->host };
	if ((rc = mt_macro(&s->c, SMFIC_CONNECT, cm, 10)) != MT_OK ||
	    (rc = mt_connect(&s->c, s->host, SMFIA_INET,
	    (uint16_t)(1024 + n % 60000), s->addr, &r)) != MT_OK)
		return rc;
	count(w, &r);
	if (!goes_on(r.code))
		return MT_ECLOSED;
	const char *hm[] = { "{tls_version}", "TLSv1.3", "{cipher}",
	    "TLS_AES_256_GCM_SHA384", "{cipher_bits}", "256" };
	if ((s->tls && (rc = mt_macro(&s->c, SMFIC_HELO, hm, 6)) != MT_OK) ||
	    (rc = mt_helo(&s->c, s->host, &r)) != MT_OK)
		return rc;
	count(w, &r);
	return goes_on(r.code) ? MT_OK : MT_ECLOSED;
}

/* MAIL with its macros; *done is set when the reply ends the message. */
static int
tx_mail(struct worker *w, struct sess *s, int *done)
{
	struct mt_reply r;
	int rc;
	const char *mm[] = { "i", "", "{mail_addr}", "sender@example.net",
	    "{client_addr}", s->addr, "j", "mx.bench.example",
	    "{tls_version}", "TLSv1.3", "{cipher}", "TLS_AES_256_GCM_SHA384",
	    "{cipher_bits}", "256" };
	const char *ma[] = { "<sender@example.net>", "SIZE=4400",
	    "BODY=8BITMIME" };

	if ((rc = mt_macro(&s->c, SMFIC_MAIL, mm, s->tls ? 14 : 8)) != MT_OK ||
	    (rc = mt_mail(&s->c, ma, 3, &r)) != MT_OK)
		return rc;
	count(w, &r);
	*done = !goes_on(r.code);
	return MT_OK;
}

static int
tx_rcpts(struct worker *w, struct sess *s, int *done)
{
	struct mt_reply r;
	char rcpt[80], addr[64];
	int i, n, ok = 0, rc;

	n = 1 + (int)(rnd(w) % 3);
	for (i = 0; i < n; i++) {
		if (w->o->domains > 0)
			snprintf(addr, sizeof(addr), "user%d@d%u.example.net",
			    i, (unsigned int)(rnd(w) % (uint32_t)w->o->domains));
		else
			snprintf(addr, sizeof(addr), "user%d@example.%s", i,
			    i == 2 ? "com" : "org");
		snprintf(rcpt, sizeof(rcpt), "<%s>", addr);
		const char *rm[] = { "i", s->qid, "{rcpt_addr}", addr,
		    "{tls_version}", "TLSv1.3" };
		const char *ra[] = { rcpt };
		if ((rc = mt_macro(&s->c, SMFIC_RCPT, rm, s->tls ? 6 : 4)) !=
		    MT_OK ||
		    (rc = mt_rcpt(&s->c, ra, 1, &r)) != MT_OK)
			return rc;
		count(w, &r);
		if (goes_on(r.code))
			ok++;
		else if (r.code == SMFIR_ACCEPT) {
			*done = 1;
			return MT_OK;
		}
	}
	*done = ok == 0;
	return MT_OK;
}

static int
tx_content(struct worker *w, struct sess *s, int *done)
{
	static const char *hdr[][2] = {
		{ "From", " Sender <sender@example.net>" },
		{ "To", " user0@example.org" },
		{ "Subject", " load test message" },
		{ "Date", " Mon, 24 Nov 2025 15:00:00 +0000" },
		{ "Message-ID", " <bench.1@example.net>" },
		{ "MIME-Version", " 1.0" },
	};
	struct mt_reply r;
	size_t i;
	int rc;

	if ((rc = mt_data(&s->c, &r)) != MT_OK)
		return rc;
	count(w, &r);
	for (i = 0; goes_on(r.code) && i < sizeof(hdr) / sizeof(hdr[0]); i++) {
		if ((rc = mt_header(&s->c, hdr[i][0], hdr[i][1], &r)) != MT_OK)
			return rc;
		count(w, &r);
	}
	if (goes_on(r.code)) {
		if ((rc = mt_eoh(&s->c, &r)) != MT_OK)
			return rc;
		count(w, &r);
	}
	if (goes_on(r.code)) {
		if ((rc = mt_body(&s->c, body, sizeof(body), &r)) != MT_OK)
			return rc;
		count(w, &r);
	}
	*done = !goes_on(r.code);
	return MT_OK;
}

static int
transaction(struct worker *w, struct sess *s)
{
	struct mt_reply r;
	int64_t t0 = now_us();
	int done = 0, rc;
	const char *em[] = { "i", s->qid, "j", "mx.bench.example",
	    "{tls_version}", "TLSv1.3" };

	snprintf(s->qid, sizeof(s->qid), "4B%08" PRIX32, rnd(w));
	if ((rc = tx_mail(w, s, &done)) != MT_OK)
		return rc;
	if (!done && (rc = tx_rcpts(w, s, &done)) != MT_OK)
		return rc;
	if (!done && (rc = tx_content(w, s, &done)) != MT_OK)
		return rc;
	if (done) {
		/* The MTA tells the filter the message is over. */
		if ((rc = mt_abort(&s->c)) != MT_OK)
			return rc;
	} else {
		if ((rc = mt_macro(&s->c, SMFIC_BODYEOB, em,
		    s->tls ? 6 : 4)) != MT_OK ||
		    (rc = mt_eom(&s->c, NULL, 0, &r)) != MT_OK)
			return rc;
		count(w, &r);
	}
	return record_lat(w, t0) == 0 ? MT_OK : MT_ENOMEM;
}

static int
over_time(const struct opts *o)
{
	if (now_us() - start_us < (int64_t)o->maxsecs * 1000000)
		return 0;
	atomic_store(&timedout, 1);
	return 1;
}

static void
sess_error(struct worker *w, struct sess *s, int rc)
{
	w->st.errors++;
	if (w->st.err[0] == '\0')
		snprintf(w->st.err, sizeof(w->st.err), "%s (%d)",
		    s->c.err[0] ? s->c.err : "session ended by filter", rc);
	mt_close(&s->c);
}

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	const struct opts *o = w->o;
	struct sess s;
	int i, t, rc;

	for (i = 0; i < o->rounds && !over_time(o); i++) {
		w->st.conns++;
		if ((rc = sess_open(w, &s, o->sock, o->timeout_ms)) != MT_OK) {
			sess_error(w, &s, rc);
			continue;
		}
		for (t = 0, rc = MT_OK; t < o->tx && rc == MT_OK; t++)
			if (!over_time(o))
				rc = transaction(w, &s);
		if (rc != MT_OK)
			sess_error(w, &s, rc);
		else
			(void)mt_quit(&s.c);
	}
	return NULL;
}

/* --- modes ----------------------------------------------------------- */

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct_ms(const uint32_t *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p * (double)n + 0.999999);
	i = i == 0 ? 0 : i - 1;
	return (double)v[i >= n ? n - 1 : i] / 1000.0;
}

static void
report(const struct opts *o, struct stats *t, double secs, double cpu0)
{
	double p50, p99, mx, tps, cpu = -1;
	long rss = -1;
	int k;

	qsort(t->lat_us, t->nlat, sizeof(*t->lat_us), cmp_u32);
	p50 = pct_ms(t->lat_us, t->nlat, 0.50);
	p99 = pct_ms(t->lat_us, t->nlat, 0.99);
	mx = t->nlat ? (double)t->lat_us[t->nlat - 1] / 1000.0 : 0;
	tps = secs > 0 ? (double)t->tx / secs : 0;
	if (o->pid > 0) {
		rss = proc_rss_kb(o->pid);
		cpu = proc_cpu_s(o->pid);
	}
	printf("result tx=%" PRIu64 " conns=%" PRIu64 " secs=%.3f tps=%.1f "
	    "p50_ms=%.3f p99_ms=%.3f max_ms=%.3f", t->tx, t->conns, secs, tps,
	    p50, p99, mx);
	for (k = 0; k < NKINDS; k++)
		printf(" %s=%" PRIu64, kindname[k], t->kinds[k]);
	printf(" mods=%" PRIu64 " errors=%" PRIu64 " timedout=%d", t->mods,
	    t->errors, atomic_load(&timedout));
	if (o->pid > 0)
		printf(" rss_kb=%ld cpu_s=%.2f cpu_run_s=%.2f", rss, cpu,
		    cpu >= 0 && cpu0 >= 0 ? cpu - cpu0 : -1);
	printf("\n");
	if (o->quiet)
		return;
	printf("\n  socket          %s\n  concurrency     %d x %d conns x %d tx"
	    "\n  transactions    %" PRIu64 " in %.3f s = %.1f tx/s\n"
	    "  latency (ms)    p50 %.3f  p99 %.3f  max %.3f\n"
	    "  replies         continue %" PRIu64 "  accept %" PRIu64
	    "  reject %" PRIu64 "  tempfail %" PRIu64 "  replycode %" PRIu64
	    "  other %" PRIu64 "\n  errors          %" PRIu64 "\n", o->sock,
	    o->conc, o->rounds, o->tx, t->tx, secs, tps, p50, p99, mx,
	    t->kinds[K_CONT], t->kinds[K_ACCEPT], t->kinds[K_REJECT],
	    t->kinds[K_TEMPFAIL], t->kinds[K_REPLY], t->kinds[K_OTHER],
	    t->errors);
	if (o->pid > 0)
		printf("  milter          pid %ld  RSS %ld KiB  CPU %.2f s"
		    " (%.2f s during the run)\n", o->pid, rss, cpu, cpu - cpu0);
}

static int
merge(struct worker *ws, int n, struct stats *t)
{
	int i, k;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < n; i++)
		t->nlat += ws[i].st.nlat;
	if ((t->lat_us = calloc(t->nlat + 1, sizeof(*t->lat_us))) == NULL)
		return -1;
	t->nlat = 0;
	for (i = 0; i < n; i++) {
		struct stats *s = &ws[i].st;

		if (s->nlat > 0)
			memcpy(t->lat_us + t->nlat, s->lat_us,
			    s->nlat * sizeof(*s->lat_us));
		t->nlat += s->nlat;
		t->tx += s->tx;
		t->conns += s->conns;
		t->errors += s->errors;
		t->mods += s->mods;
		for (k = 0; k < NKINDS; k++)
			t->kinds[k] += s->kinds[k];
		if (s->err[0] != '\0')
			fprintf(stderr, "loadgen: worker %d: %s\n", i, s->err);
		free(s->lat_us);
	}
	return 0;
}

static int
run_load(const struct opts *o)
{
	struct worker *ws;
	struct stats total;
	double cpu0 = -1, secs;
	int i, started;

	if ((ws = calloc((size_t)o->conc, sizeof(*ws))) == NULL)
		return 1;
	memset(body, 'x', sizeof(body));
	for (i = 63; i < (int)sizeof(body); i += 64) {
		body[i - 1] = '\r';
		body[i] = '\n';
	}
	if (o->pid > 0)
		cpu0 = proc_cpu_s(o->pid);
	start_us = now_us();
	for (started = 0; started < o->conc; started++) {
		ws[started].id = started;
		ws[started].o = o;
		/* xorshift needs a non-zero state: force the low bit. */
		ws[started].rng = (o->seed * 2654435761u + (uint32_t)started) |
		    1;
		if (pthread_create(&ws[started].tid, NULL, worker_run,
		    &ws[started]) != 0)
			break;
	}
	for (i = 0; i < started; i++)
		pthread_join(ws[i].tid, NULL);
	secs = (double)(now_us() - start_us) / 1e6;
	if (started < o->conc)
		fprintf(stderr, "loadgen: only %d threads started\n", started);
	if (merge(ws, started, &total) == -1)
		return 1;
	report(o, &total, secs, cpu0);
	free(total.lat_us);
	free(ws);
	return total.errors > 0 || started < o->conc ? 2 : 0;
}

static int
run_idle(const struct opts *o)
{
	struct worker w;
	struct sess *ss;
	struct rlimit rl;
	long rss0 = -1, rss = -1;
	int i, opened = 0, errors = 0;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)o->idle + 64) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if ((ss = calloc((size_t)o->idle, sizeof(*ss))) == NULL)
		return 1;
	memset(&w, 0, sizeof(w));
	w.rng = o->seed | 1;
	if (o->pid > 0)
		rss0 = proc_rss_kb(o->pid);
	for (i = 0; i < o->idle; i++) {
		if (sess_open(&w, &ss[i], o->sock, o->timeout_ms) == MT_OK) {
			opened++;
			continue;
		}
		if (errors++ == 0)
			fprintf(stderr, "loadgen: idle %d: %s\n", i,
			    ss[i].c.err);
		mt_close(&ss[i].c);
	}
	if (o->pid > 0)
		rss = proc_rss_kb(o->pid);
	printf("idle conns=%d opened=%d errors=%d rss_before_kb=%ld "
	    "rss_kb=%ld rss_per_conn_kb=%.1f\n", o->idle, opened, errors,
	    rss0, rss, opened > 0 && rss >= 0 ? (double)(rss - rss0) /
	    opened : 0.0);
	fflush(stdout);
	if (o->hold > 0)
		sleep((unsigned int)o->hold);
	for (i = 0; i < o->idle; i++)
		if (ss[i].c.fd != -1)
			(void)mt_quit(&ss[i].c);
	free(ss);
	return errors > 0 ? 2 : 0;
}

/* Poll until the milter negotiates, every 20 ms, for at most o->ready s. */
static int
run_ready(const struct opts *o)
{
	struct mt_conn c;
	int64_t end = now_us() + (int64_t)o->ready * 1000000;
	struct timespec ts = { 0, 20 * 1000000 };
	int rc;

	do {
		rc = mt_open(&c, o->sock, 1000);
		if (rc == MT_OK)
			rc = mt_negotiate(&c, SMFI_PROT_VERSION, SMFI_CURR_ACTS,
			    SMFI_CURR_PROT);
		if (rc == MT_OK) {
			(void)mt_quit(&c);
			return 0;
		}
		mt_close(&c);
		nanosleep(&ts, NULL);
	} while (now_us() < end);
	fprintf(stderr, "loadgen: %s not ready: %s\n", o->sock, c.err);
	return 1;
}

static void usage(void) __attribute__((noreturn));

static void
usage(void)
{
	fprintf(stderr, "usage: loadgen -p SOCKET [-c CONC] [-t TX] [-r CONNS]"
	    " [-P PID] [-s SEED] [-T MS] [-L SECS] [-q] [-D DOMAINS]\n"
	    "       loadgen -p SOCKET -i N [-w HOLD_SECS] [-P PID]\n"
	    "       loadgen -p SOCKET -W SECS\n");
	exit(1);
}

static int
num(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		usage();
	return (int)v;
}

int
main(int argc, char *argv[])
{
	struct opts o = { .conc = 1, .tx = 10, .rounds = 100,
	    .timeout_ms = 10000, .maxsecs = 900, .seed = 1 };
	int ch;

	while ((ch = getopt(argc, argv, "c:D:i:L:p:P:qr:s:t:T:w:W:")) != -1) {
		switch (ch) {
		case 'c': o.conc = num(optarg, 1, 4096); break;
		case 'D': o.domains = num(optarg, 1, 100000000); break;
		case 'i': o.idle = num(optarg, 1, 100000); break;
		case 'L': o.maxsecs = num(optarg, 1, 86400); break;
		case 'p': o.sock = optarg; break;
		case 'P': o.pid = num(optarg, 1, 1L << 30); break;
		case 'q': o.quiet = 1; break;
		case 'r': o.rounds = num(optarg, 1, 100000000); break;
		case 's': o.seed = (unsigned int)num(optarg, 0, 1L << 30);
			break;
		case 't': o.tx = num(optarg, 1, 100000000); break;
		case 'T': o.timeout_ms = num(optarg, 1, 3600000); break;
		case 'w': o.hold = num(optarg, 0, 3600); break;
		case 'W': o.ready = num(optarg, 1, 3600); break;
		default: usage();
		}
	}
	if (o.sock == NULL || optind != argc)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (o.ready > 0)
		return run_ready(&o);
	if (o.idle > 0)
		return run_idle(&o);
	return run_load(&o);
}
