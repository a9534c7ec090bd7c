/*
 * stats.c - decision counters and the Prometheus text exposition file.
 *
 * Counters are C11 atomics incremented with relaxed ordering: each one is
 * exact, and a scrape only needs each value, not a consistent cut across
 * them.  The file is written to PATH.tmp and renamed, so readers never see
 * a partial file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon/downgrade.h"
#include "daemon/selfcheck.h"
#include "daemon/stats.h"

/* TLS versions get fixed slots; anything else is counted as "other". */
static const char *const version_labels[] = {
	"SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3", "other"
};
#define NVERSIONS	(sizeof(version_labels) / sizeof(version_labels[0]))

static atomic_ulong	transactions[2];		/* [tls] */
static atomic_ulong	versions[NVERSIONS];
static atomic_ulong	actions[ACTION_COUNT][REASON_COUNT];
static atomic_ulong	requiretls_total;
static atomic_ulong	reloads[2];			/* [ok] */
static time_t		start_time;

void
stats_init(void)
{
	start_time = time(NULL);
}

static void
bump(atomic_ulong *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static unsigned long
get(atomic_ulong *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

void
stats_count_transaction(bool tls, const char *version)
{
	size_t i;

	bump(&transactions[tls ? 1 : 0]);
	if (!tls)
		return;
	for (i = 0; i < NVERSIONS - 1; i++)
		if (version != NULL && strcmp(version, version_labels[i]) == 0)
			break;
	bump(&versions[i]);
}

void
stats_count_action(enum action a, enum reason r)
{
	if ((unsigned int)a < ACTION_COUNT && (unsigned int)r < REASON_COUNT)
		bump(&actions[a][r]);
}

void
stats_count_requiretls(void)
{
	bump(&requiretls_total);
}

void
stats_count_reload(bool ok)
{
	bump(&reloads[ok ? 1 : 0]);
}

static void
header(FILE *fp, const char *name, const char *type, const char *help)
{
	fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The TLS history of downgrade protection (daemon/downgrade.c). */
static void
format_history(FILE *fp)
{
	long n;

	header(fp, "mtasts_milter_history_errors_total", "counter",
	    "TLS history store errors (mail was decided without history).");
	fprintf(fp, "mtasts_milter_history_errors_total{backend=\"%s\"} "
	    "%llu\n", downgrade_backend(),
	    (unsigned long long)downgrade_errors());
	if ((n = downgrade_count_protected()) < 0)
		return;
	header(fp, "mtasts_milter_history_protected_networks", "gauge",
	    "Client networks the TLS history protects against downgrade.");
	fprintf(fp, "mtasts_milter_history_protected_networks %ld\n", n);
}

/* The self-check (daemon/selfcheck.c), when self_check is set. */
static void
format_selfcheck(FILE *fp)
{
	enum selfcheck_state s, cur = selfcheck_state();

	if (!selfcheck_enabled())
		return;
	header(fp, "mtasts_milter_self_check_state", "gauge",
	    "State of the self-check of the MTA's STARTTLS (1 = current).");
	for (s = SELFCHECK_OK; s < SELFCHECK_NSTATES; s++)
		fprintf(fp, "mtasts_milter_self_check_state{state=\"%s\"} %d\n",
		    selfcheck_state_name(s), s == cur ? 1 : 0);
	header(fp, "mtasts_milter_self_check_last_success_timestamp_seconds",
	    "gauge", "Last self-check whose TLS handshake completed.");
	fprintf(fp, "mtasts_milter_self_check_last_success_timestamp_seconds "
	    "%lld\n", (long long)selfcheck_last_success());
	if (selfcheck_cert_expiry() == 0)
		return;
	header(fp, "mtasts_milter_certificate_expiry_timestamp_seconds",
	    "gauge", "notAfter of the certificate the MTA serves.");
	fprintf(fp, "mtasts_milter_certificate_expiry_timestamp_seconds %lld\n",
	    (long long)selfcheck_cert_expiry());
}

void
stats_format(FILE *fp)
{
	size_t a, r, v;

	header(fp, "mtasts_milter_transactions_total", "counter",
	    "MAIL FROM transactions seen, by session TLS state.");
	fprintf(fp, "mtasts_milter_transactions_total{tls=\"yes\"} %lu\n",
	    get(&transactions[1]));
	fprintf(fp, "mtasts_milter_transactions_total{tls=\"no\"} %lu\n",
	    get(&transactions[0]));
	header(fp, "mtasts_milter_tls_version_total", "counter",
	    "TLS transactions by protocol version.");
	for (v = 0; v < NVERSIONS; v++)
		fprintf(fp, "mtasts_milter_tls_version_total{version=\"%s\"} "
		    "%lu\n", version_labels[v], get(&versions[v]));
	header(fp, "mtasts_milter_actions_total", "counter",
	    "Decisions by action and reason (reason=\"none\": TLS accept).");
	for (a = 0; a < ACTION_COUNT; a++)
		for (r = 0; r < REASON_COUNT; r++)
			if (get(&actions[a][r]) > 0)
				fprintf(fp, "mtasts_milter_actions_total{action="
				    "\"%s\",reason=\"%s\"} %lu\n",
				    action_name((enum action)a),
				    r == REASON_NONE ? "none" :
				    reason_name((enum reason)r),
				    get(&actions[a][r]));
	header(fp, "mtasts_milter_requiretls_total", "counter",
	    "Transactions that carried the REQUIRETLS MAIL FROM parameter.");
	fprintf(fp, "mtasts_milter_requiretls_total %lu\n",
	    get(&requiretls_total));
	header(fp, "mtasts_milter_config_reloads_total", "counter",
	    "Configuration reloads by result.");
	fprintf(fp, "mtasts_milter_config_reloads_total{result=\"ok\"} %lu\n",
	    get(&reloads[1]));
	fprintf(fp, "mtasts_milter_config_reloads_total{result=\"error\"} "
	    "%lu\n", get(&reloads[0]));
	format_history(fp);
	format_selfcheck(fp);
	header(fp, "mtasts_milter_start_time_seconds", "gauge",
	    "Start time of the process since the Unix epoch.");
	fprintf(fp, "mtasts_milter_start_time_seconds %lld\n",
	    (long long)start_time);
}

int
stats_write_file(const char *path)
{
	char tmp[4096];
	FILE *fp;
	int fd, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* 0644: readable by a node exporter, writable only by us. */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0644)) == -1)
		return -1;
	if ((fp = fdopen(fd, "w")) == NULL) {
		saved = errno;
		(void)close(fd);
		(void)unlink(tmp);
		errno = saved;
		return -1;
	}
	(void)fchmod(fd, 0644);
	stats_format(fp);
	/* No fsync: the file is rewritten every interval, and a stop must
	 * not wait for the disk. */
	if (fflush(fp) != 0 || ferror(fp)) {
		saved = errno;
		(void)fclose(fp);
		(void)unlink(tmp);
		errno = saved;
		return -1;
	}
	if (fclose(fp) != 0 || rename(tmp, path) != 0) {
		saved = errno;
		(void)unlink(tmp);
		errno = saved;
		return -1;
	}
	return 0;
}
