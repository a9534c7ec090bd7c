/*
 * main.c - mtasts-milter: command line, start-up and the milter main loop.
 *
 *	mtasts-milter [-c FILE] [-p SOCKET] [-f] [-n] [-d LEVEL] [-V]
 *	mtasts-milter -r [-j] [LOGFILE...]
 *	mtasts-milter -C DOMAIN [-C DOMAIN...] [-j] [-c FILE]
 *	mtasts-milter -H [-c FILE] [ADDRESS...]
 *
 * -r, -C, -n and -H select a mode and exclude each other; -j needs -r
 * or -C.
 * A bad combination exits 2 with one line saying why.
 *
 * Start-up order matters: the configuration is loaded and checked first
 * (refuse to start on any error), the socket is opened as root, the
 * process detaches, writes its pidfile, drops privileges, blocks its
 * signals and only then lets libmilter start its threads.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <confuse.h>
#include <libmilter/mfapi.h>
#include <openssl/crypto.h>

#include "config.h"
#include "daemon/callbacks.h"
#include "probe/probe.h"
#include "probe/probe_list.h"
#include "core/conf.h"
#include "daemon/daemon.h"
#include "daemon/downgrade.h"
#include "daemon/selfcheck.h"
#include "history/history_print.h"
#include "lib/log.h"
#include "report/report.h"
#include "daemon/signals.h"
#include "daemon/stats.h"

#define DEFAULT_CONFIG	SYSCONFDIR "/mtasts-milter.conf"
#define MAX_CHECK_DOMAINS 64

struct options {
	const char	*config;
	bool		 config_given;
	const char	*socket;
	const char	*level;
	bool		 foreground;
	char		 mode;		/* 'r', 'C', 'n', 'H' or 0: daemon */
	bool		 json;
	char		*domains[MAX_CHECK_DOMAINS];
	size_t		 ndomains;
	const char	*domain_list;	/* -C @FILE */
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: mtasts-milter [-c FILE] [-p SOCKET] [-f] [-n] [-d LEVEL] "
	    "[-V]\n"
	    "       mtasts-milter -r [-j] [LOGFILE...]\n"
	    "       mtasts-milter -C DOMAIN [-C DOMAIN...] [-j] [-c FILE]\n"
	    "       mtasts-milter -H [-c FILE] [ADDRESS...]\n");
	exit(2);
}

static void __attribute__((noreturn))
print_version(void)
{
	unsigned int maj, min, pl;

	(void)smfi_version(&maj, &min, &pl);
	printf("mtasts-milter %s\n", PACKAGE_VERSION);
	printf("libmilter %u.%u.%u (Sendmail %s)\n", maj, min, pl,
	    MILTER_PKG_VERSION);
	printf("libconfuse %s\n", confuse_version);
	printf("%s\n", OpenSSL_version(OPENSSL_VERSION));
	exit(0);
}

static void __attribute__((noreturn))
usage_error(const char *why)
{
	fprintf(stderr, "mtasts-milter: %s\n", why);
	exit(2);
}

/* -r, -C and -n each say what this run does: one of them at most. */
static void
set_mode(struct options *o, char mode)
{
	char why[64];

	if (o->mode != '\0' && o->mode != mode) {
		(void)snprintf(why, sizeof(why), "-%c and -%c cannot be "
		    "combined", o->mode, mode);
		usage_error(why);
	}
	o->mode = mode;
}

static void
parse_options(int argc, char **argv, struct options *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	o->config = DEFAULT_CONFIG;
	while ((ch = getopt(argc, argv, "c:p:fnd:VrjC:H")) != -1) {
		switch (ch) {
		case 'c':
			o->config = optarg;
			o->config_given = true;
			break;
		case 'p':
			o->socket = optarg;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'n':
		case 'r':
		case 'H':
			set_mode(o, (char)ch);
			break;
		case 'd':
			if (log_level_parse(optarg) == -1) {
				fprintf(stderr, "mtasts-milter: -d %s: must be "
				    "error, warning, notice, info or debug\n",
				    optarg);
				exit(2);
			}
			o->level = optarg;
			break;
		case 'V':
			print_version();
		case 'j':
			o->json = true;
			break;
		case 'C':
			set_mode(o, 'C');
			if (optarg[0] == '@') {
				o->domain_list = optarg + 1;
				break;
			}
			if (o->ndomains == MAX_CHECK_DOMAINS)
				usage();
			o->domains[o->ndomains++] = optarg;
			break;
		default:
			usage();
		}
	}
	if (o->json && o->mode != 'r' && o->mode != 'C')
		usage_error("-j needs -r or -C");
	if (o->mode != 'r' && o->mode != 'H' && optind != argc)
		usage();
}

static struct conf *
load_or_exit(const struct options *o)
{
	struct conf_errors errs;
	struct conf *c;

	if (o->socket != NULL)
		conf_set_socket_override(o->socket);
	/* -C works without a configuration file: it checks the defaults. */
	if ((o->ndomains > 0 || o->domain_list != NULL) && !o->config_given &&
	    access(o->config, F_OK) != 0)
		c = conf_load_buffer("", "(built-in defaults)", &errs);
	else
		c = conf_load(o->config, &errs);
	if (c == NULL) {
		fputs(errs.text != NULL ? errs.text : "invalid configuration\n",
		    stderr);
		conf_errors_free(&errs);
		exit(1);
	}
	conf_errors_free(&errs);
	return c;
}

static void
open_socket(const struct conf *c)
{
	mode_t old;

	if (callbacks_register() != 0)
		fatalx("smfi_register failed");
	if (smfi_setconn(c->socket) != MI_SUCCESS)
		fatalx("smfi_setconn(%s) failed", c->socket);
	/* Socket created 0660 at most; daemon_prepare_socket() sets owner. */
	old = umask(0117);
	if (smfi_opensocket(true) != MI_SUCCESS)
		fatalx("cannot open milter socket %s (does its directory "
		    "exist? is it in use?)", c->socket);
	(void)umask(old);
	if (daemon_prepare_socket(c->socket, c->user) != 0)
		fatalx("cannot set permissions of %s", c->socket);
}

/* -H: the history_db of the configuration, read-only where it can be. */
static int
print_history(const struct conf *c, char *const *addrs, size_t n)
{
	struct history_config hc;
	struct history *h;
	char err[512];
	int rc;

	downgrade_config(c, &hc);
	if (hc.redis_timeout_ms < 1000)
		hc.redis_timeout_ms = 1000;	/* an operator can wait */
	hc.readonly = true;
	if ((h = history_open(&hc, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mtasts-milter: %s\n", err);
		return 1;
	}
	rc = history_print(h, addrs, n, stdout);
	history_close(h);
	return rc;
}

static int
run_daemon(const struct options *o, struct conf *c)
{
	size_t i;
	int rc;

	/* First: a SIGTERM during start-up waits for the signal thread. */
	signals_block();
	log_open("mtasts-milter", c->syslog_facility, o->foreground);
	log_set_level(o->level != NULL ? log_level_parse(o->level) :
	    c->log_level);
	for (i = 0; i < c->nwarnings; i++)
		log_warnx("%s", c->warnings[i]);
	stats_init();
	open_socket(c);
	daemon_set_cleanup(c->socket, c->pidfile, c->stats_file);
	if (!o->foreground && daemon_detach() != 0)
		fatalx("cannot detach");
	if (c->pidfile != NULL && daemon_write_pidfile(c->pidfile) != 0) {
		daemon_cleanup();
		exit(1);
	}
	if (daemon_drop_privileges(c->user) != 0) {
		daemon_cleanup();
		exit(1);
	}
	conf_install(c);
	if (log_start_writer() != 0)
		fatalx("cannot start the log writer thread");
	downgrade_start(c);
	(void)selfcheck_start();
	if (signals_start(o->config, o->level != NULL) != 0)
		fatalx("cannot start the signal thread");
	log_notice("started: socket %s, global mode %s, %zu domain(s), %zu of "
	    "them from policy_dir", c->socket, sts_mode_name(c->mode),
	    c->ndomains, c->domains_from_dir);
	rc = smfi_main();
	signals_milter_stopped();
	daemon_cleanup();
	return rc == MI_SUCCESS ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct options o;
	struct conf *c;
	int rc;

	parse_options(argc, argv, &o);
	if (o.mode == 'r')
		return report_run(argv + optind, argc - optind, o.json, stdout,
		    stderr);
	c = load_or_exit(&o);
	if (o.domain_list != NULL) {
		rc = probe_list(c, o.domain_list, o.json, stdout);
		conf_unref(c);
		return rc;
	}
	if (o.ndomains > 0) {
		rc = probe_domains(c, o.domains, o.ndomains, o.json, stdout);
		conf_unref(c);
		return rc;
	}
	if (o.mode == 'H') {
		rc = print_history(c, argv + optind, (size_t)(argc - optind));
		conf_unref(c);
		return rc;
	}
	if (o.mode == 'n') {
		if (o.level != NULL)	/* -d debug: every domain listed */
			log_set_level(log_level_parse(o.level));
		conf_print(c, stdout);
		conf_unref(c);
		return 0;
	}
	return run_daemon(&o, c);
}
