/*
 * selfcheck.c - the self-check thread (selfcheck.h).
 *
 * One thread, never a milter worker: it sleeps on a condition variable
 * for self_check_interval seconds, or until a reload or 20 plaintext
 * transactions in a row wake it, probes the MTA with net/smtp_probe, feeds
 * the result to the state machine (selfcheck_state.c), logs what the
 * machine says, and publishes the state with one atomic store.  The
 * probe's own deadline (self_check_timeout) bounds every step, so a
 * stuck MTA can delay the next probe, never a transaction.
 */
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/conf.h"
#include "daemon/selfcheck.h"
#include "lib/clock.h"
#include "lib/escape.h"
#include "lib/hostport.h"
#include "lib/log.h"

static atomic_int	state = SELFCHECK_UNKNOWN;
static atomic_bool	enabled;
static atomic_llong	last_success;
static atomic_llong	cert_expiry;
static atomic_int	plaintext_run;

static pthread_mutex_t	wake_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	wake_cond = PTHREAD_COND_INITIALIZER;
static bool		wake_now;
static pthread_t	thread;

bool
selfcheck_outage(void)
{
	return atomic_load_explicit(&state, memory_order_relaxed) ==
	    SELFCHECK_OUTAGE;
}

enum selfcheck_state
selfcheck_state(void)
{
	return (enum selfcheck_state)atomic_load(&state);
}

bool
selfcheck_enabled(void)
{
	return atomic_load(&enabled);
}

time_t
selfcheck_last_success(void)
{
	return (time_t)atomic_load(&last_success);
}

time_t
selfcheck_cert_expiry(void)
{
	return (time_t)atomic_load(&cert_expiry);
}

static void
wake(void)
{
	pthread_mutex_lock(&wake_lock);
	wake_now = true;
	pthread_cond_signal(&wake_cond);
	pthread_mutex_unlock(&wake_lock);
}

void
selfcheck_reload(void)
{
	wake();
}

void
selfcheck_note_transaction(bool plaintext)
{
	enum selfcheck_state s;

	if (!plaintext) {
		atomic_store_explicit(&plaintext_run, 0, memory_order_relaxed);
		return;
	}
	if (atomic_fetch_add(&plaintext_run, 1) + 1 <
	    SELFCHECK_PLAINTEXT_TRIGGER)
		return;
	atomic_store(&plaintext_run, 0);
	s = selfcheck_state();
	if (s != SELFCHECK_OUTAGE)
		wake();		/* is it our TLS? look now */
}

/* "HOST:PORT" or "[V6]:PORT" (validated at load) into an address. */
static int
resolve(const char *spec, struct sockaddr_storage *ss, char *err,
    size_t errlen)
{
	struct addrinfo hints, *res;
	struct hostport hp;
	char port[8];
	int rc;

	if (!hostport_parse(spec, ':', 0, &hp))
		return -1;
	(void)snprintf(port, sizeof(port), "%u", (unsigned int)hp.port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(hp.host, port, &hints, &res)) != 0) {
		(void)snprintf(err, errlen, "%s: %s", hp.host, gai_strerror(rc));
		return -1;
	}
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, res->ai_addr, res->ai_addrlen <= sizeof(*ss) ?
	    res->ai_addrlen : sizeof(*ss));
	freeaddrinfo(res);
	return 0;
}

/* One probe; the result's text is made safe for a log line. */
static void
probe_once(const struct conf *c, struct smtp_probe_result *res, char *why,
    size_t whylen)
{
	struct smtp_probe_request req;
	struct sockaddr_storage ss;
	char host[256], err[600];
	const char *name;

	memset(res, 0, sizeof(*res));
	name = c->self_check_name != NULL ? c->self_check_name :
	    conf_hostname(c, NULL, host, sizeof(host));
	if (resolve(c->self_check, &ss, err, sizeof(err)) != 0) {
		res->error = SMTP_ERR_CONNECT;
		(void)escape_value(why, whylen, err);
		return;
	}
	memset(&req, 0, sizeof(req));
	req.addr = &ss;
	req.mx = name;
	req.helo = name;
	req.ca_file = c->check_ca_file;
	req.deadline_ms = clock_now_ms() + c->self_check_timeout * 1000;
	smtp_probe(&req, res);
	(void)escape_value(why, whylen, res->error != SMTP_ERR_NONE ? res->err :
	    res->verify_text);
}

static void
log_step(const struct conf *c, const struct selfcheck_step *st,
    const struct smtp_probe_result *res, const char *why)
{
	char date[32];
	struct tm tm;
	time_t na = res->not_after;

	switch (st->log) {
	case SC_LOG_OUTAGE_ENTER:
		log_critx("self-check: STARTTLS on %s is broken (%s): plaintext "
		    "that would be rejected gets %s %s until it works again",
		    c->self_check, why, c->outage_reply.code,
		    c->outage_reply.xcode);
		break;
	case SC_LOG_OUTAGE_LEAVE:
		log_notice("self-check: STARTTLS on %s works again (%s): "
		    "rejections are permanent again", c->self_check,
		    res->version);
		break;
	case SC_LOG_UNREACHABLE:
		log_warnx("self-check: cannot tell whether STARTTLS works on %s "
		    "(%s): replies unchanged", c->self_check, why);
		break;
	case SC_LOG_CERTIFICATE:
		log_warnx("self-check: the certificate of %s is not valid for "
		    "MTA-STS senders (%s%s): they will stop delivering",
		    c->self_check, res->name_match ? "" : "name mismatch, ",
		    why);
		break;
	case SC_LOG_RECOVERED:
		log_notice("self-check: STARTTLS and certificate on %s are fine "
		    "again", c->self_check);
		break;
	case SC_LOG_NONE:
	default:
		break;
	}
	if (!st->warn_expiry || gmtime_r(&na, &tm) == NULL ||
	    strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%SZ", &tm) == 0)
		return;
	if (na <= time(NULL))
		log_warnx("self-check: the certificate of %s expired on %s",
		    c->self_check, date);
	else
		log_warnx("self-check: the certificate of %s expires on %s "
		    "(in %lld day(s))", c->self_check, date,
		    (long long)((na - time(NULL)) / 86400));
}

/* Probes until the machine needs no immediate second look. */
static void
check_once(const struct conf *c, struct selfcheck_sm *sm)
{
	struct smtp_probe_result res;
	struct selfcheck_step st;
	char why[300];
	time_t now;

	do {
		probe_once(c, &res, why, sizeof(why));
		now = time(NULL);
		st = selfcheck_feed(sm, selfcheck_classify(&res, now),
		    res.have_cert ? res.not_after : 0, now);
		if (st.success)
			atomic_store(&last_success, (long long)now);
		if (res.have_cert)
			atomic_store(&cert_expiry, (long long)res.not_after);
		atomic_store(&state, (int)sm->state);
		log_step(c, &st, &res, why);
		smtp_probe_result_free(&res);
	} while (st.probe_again);
}

static void
wait_for(long seconds)
{
	struct timespec until;

	(void)clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += seconds;
	pthread_mutex_lock(&wake_lock);
	while (!wake_now)
		if (pthread_cond_timedwait(&wake_cond, &wake_lock, &until) != 0)
			break;
	wake_now = false;
	pthread_mutex_unlock(&wake_lock);
}

static void *
selfcheck_thread(void *arg)
{
	struct selfcheck_sm sm;
	struct conf *c;
	long interval;

	(void)arg;
	memset(&sm, 0, sizeof(sm));
	for (;;) {
		if ((c = conf_current()) == NULL) {
			wait_for(60);
			continue;
		}
		atomic_store(&enabled, c->self_check != NULL);
		if (c->self_check == NULL) {
			/* Off: forget the state, so nothing is guarded. */
			memset(&sm, 0, sizeof(sm));
			atomic_store(&state, SELFCHECK_UNKNOWN);
			interval = 3600;
		} else {
			check_once(c, &sm);
			interval = c->self_check_interval;
		}
		conf_unref(c);
		wait_for(interval);
	}
	return NULL;
}

int
selfcheck_start(void)
{
	if (pthread_create(&thread, NULL, selfcheck_thread, NULL) != 0) {
		log_errorx("self-check: cannot start its thread: replies will "
		    "never be guarded against a local TLS outage");
		return -1;
	}
	(void)pthread_detach(thread);
	return 0;
}
