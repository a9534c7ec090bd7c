/*
 * nullmilter.c - a milter that does nothing, the benchmark's floor.
 *
 * Built from the same libmilter as mtasts-milter and registering the same
 * callbacks: negotiate (actions SMFIF_ADDHDRS|SMFIF_CHGHDRS, plus
 * SMFIF_SETSYMLIST when offered, and the same smfi_setsymlist request at
 * SMFIM_ENVFROM), connect, helo,
 * envfrom, envrcpt, header, eoh, eom, abort and close, each returning
 * SMFIS_CONTINUE at once.  It never negotiates SMFIP_NR_MAIL or
 * SMFIP_NR_RCPT.  What it costs is what libmilter itself costs.
 *
 * Usage: nullmilter -p SOCKET [-b BACKLOG]
 *   SOCKET is libmilter syntax: unix:/path, inet:PORT@HOST, inet6:PORT@HOST.
 *
 * Stops on SIGTERM/SIGINT/SIGHUP within 1 s: a dedicated thread waits
 * for the signal, calls smfi_stop() (from yet another thread: with the
 * Debian 12 libmilter smfi_stop() itself blocks up to 5 s, until the
 * listener's poll times out), waits at most 0.5 s for it, removes a unix
 * socket and exits, instead of waiting for libmilter's own shutdown.
 * Exit status 0 on a clean stop, 1 on a usage or set-up error (message
 * on stderr).
 */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#define NULL_SYMLIST "{tls_version} {cipher} {cipher_bits} {cert_subject} " \
	"{cert_issuer} {verify} {auth_type} {auth_authen} {client_addr} i j"

static const char *sockpath;

static sfsistat
null_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	static char syms[] = NULL_SYMLIST;

	(void)f2;
	(void)f3;

	*pf0 = SMFIF_ADDHDRS | SMFIF_CHGHDRS;
	if ((f0 & *pf0) != *pf0)
		return SMFIS_REJECT;
	/* Without SMFIF_SETSYMLIST an MTA may ignore the symbol list. */
	*pf0 |= f0 & SMFIF_SETSYMLIST;
	/* Steps without a callback are not wanted, as libmilter would do. */
	*pf1 = f1 & (SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_NOBODY);
	*pf2 = 0;
	*pf3 = 0;
	if (smfi_setsymlist(ctx, SMFIM_ENVFROM, syms) != MI_SUCCESS)
		fprintf(stderr, "nullmilter: smfi_setsymlist failed\n");
	return SMFIS_CONTINUE;
}

static sfsistat
null_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	(void)ctx;
	(void)host;
	(void)sa;
	return SMFIS_CONTINUE;
}

static sfsistat
null_helo(SMFICTX *ctx, char *helo)
{
	(void)ctx;
	(void)helo;
	return SMFIS_CONTINUE;
}

static sfsistat
null_envfrom(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_CONTINUE;
}

static sfsistat
null_envrcpt(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_CONTINUE;
}

static sfsistat
null_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
	return SMFIS_CONTINUE;
}

static sfsistat
null_ctx(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static struct smfiDesc null_desc = {
	.xxfi_name = "nullmilter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS,
	.xxfi_connect = null_connect,
	.xxfi_helo = null_helo,
	.xxfi_envfrom = null_envfrom,
	.xxfi_envrcpt = null_envrcpt,
	.xxfi_header = null_header,
	.xxfi_eoh = null_ctx,
	.xxfi_body = NULL,
	.xxfi_eom = null_ctx,
	.xxfi_abort = null_ctx,
	.xxfi_close = null_ctx,
	.xxfi_unknown = NULL,
	.xxfi_data = NULL,
	.xxfi_negotiate = null_negotiate,
};

static void
remove_socket(void)
{
	const char *p = NULL;

	if (strncmp(sockpath, "unix:", 5) == 0)
		p = sockpath + 5;
	else if (strncmp(sockpath, "local:", 6) == 0)
		p = sockpath + 6;
	else if (sockpath[0] == '/')
		p = sockpath;
	if (p != NULL)
		(void)unlink(p);
}

static pthread_mutex_t stop_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stop_cv = PTHREAD_COND_INITIALIZER;
static int stopped;

/* smfi_stop() can block for seconds (libmilter's listener): own thread. */
static void *
stop_thread(void *arg)
{
	(void)arg;
	(void)smfi_stop();
	pthread_mutex_lock(&stop_mtx);
	stopped = 1;
	pthread_cond_signal(&stop_cv);
	pthread_mutex_unlock(&stop_mtx);
	return NULL;
}

static void *
signal_thread(void *arg)
{
	sigset_t *set = arg;
	struct timespec ts;
	pthread_t tid;
	int sig, e;

	do {
		e = sigwait(set, &sig);
	} while (e != 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 500 * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&stop_mtx);
	if (pthread_create(&tid, NULL, stop_thread, NULL) == 0)
		while (!stopped && e == 0)
			e = pthread_cond_timedwait(&stop_cv, &stop_mtx, &ts);
	pthread_mutex_unlock(&stop_mtx);
	remove_socket();
	_exit(0);
	return NULL;
}

static void usage(void) __attribute__((noreturn));

static void
usage(void)
{
	fprintf(stderr, "usage: nullmilter -p SOCKET [-b BACKLOG]\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	static sigset_t set;
	pthread_t tid;
	int ch, backlog = 128;

	while ((ch = getopt(argc, argv, "b:p:")) != -1) {
		switch (ch) {
		case 'b':
			backlog = atoi(optarg);
			break;
		case 'p':
			sockpath = optarg;
			break;
		default:
			usage();
		}
	}
	if (sockpath == NULL || optind != argc || backlog <= 0)
		usage();

	/* Block before any thread exists, so only ours takes the signals. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(&tid, NULL, signal_thread, &set) != 0) {
		fprintf(stderr, "nullmilter: pthread_create failed\n");
		return 1;
	}

	if (smfi_setconn((char *)sockpath) == MI_FAILURE ||
	    smfi_setbacklog(backlog) == MI_FAILURE ||
	    smfi_register(null_desc) == MI_FAILURE ||
	    smfi_opensocket(1) == MI_FAILURE) {
		fprintf(stderr, "nullmilter: cannot listen on %s\n", sockpath);
		return 1;
	}
	ch = smfi_main();
	remove_socket();
	return ch == MI_SUCCESS ? 0 : 1;
}
