/*
 * callbacks.c - the libmilter callbacks: gather macros, ask the engine,
 * apply the verdict, log it.
 *
 * Layer milter/daemon: the milter itself - libmilter callbacks, signals,
 * daemon plumbing, statistics, the self-check thread.  Uses core, net,
 * history and lib; only main() uses it.
 *
 * libmilter runs callbacks of one connection on any worker thread, one at
 * a time, so all state lives in a struct session behind smfi_setpriv() and
 * nothing in thread-locals.  Transaction state is reset at every MAIL FROM
 * (xxfi_abort may come several times, or not at all), and each transaction
 * holds a reference to the configuration snapshot it started with.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include <libmilter/mfapi.h>

#include "daemon/callbacks.h"
#include "core/conf.h"
#include "core/engine.h"
#include "daemon/downgrade.h"
#include "history/history_rule.h"
#include "daemon/selfcheck.h"
#include "lib/escape.h"
#include "lib/log.h"
#include "daemon/received.h"
#include "daemon/stats.h"

#define SYMLIST_MAIL	"{tls_version} {cipher} {cipher_bits} " \
			"{cert_subject} {cert_issuer} {verify} {auth_type} " \
			"{auth_authen} {client_addr} i j"
#define SYMLIST_RCPT	"i {tls_version}"
#define SYMLIST_EOM	"i j {tls_version}"

struct session {
	struct sockaddr_storage	 client_sa;
	bool			 have_sa;
	bool			 no_symlist;	/* MTA can't do setsymlist */
	char			 client_name[256];
	char			 helo[256];
	/* "NAME[ADDR]" for log lines, made by the first one ("" before). */
	char			 client[256 + INET6_ADDRSTRLEN + 2];
	/* Per transaction; reset at MAIL FROM. */
	struct conf		*conf;
	bool			 in_txn;
	enum tls_state		 tls;
	struct verdict		 mail_verdict;
	bool			 requiretls;
	bool			 tls_required_no;
	bool			 network_protected;	/* TLS history */
	bool			 client_exempt;		/* never recorded */
	bool			 history_unknown;	/* lookup failed */
	char			 network[HISTORY_KEY_MAX];	/* its key */
	bool			 tls_outage;		/* self-check, at MAIL */
	bool			 downgrade_refused;
	char			 tls_version[32];
	char			 cipher[128];
	char			 cipher_bits[16];
	char			 from[512];
};

static atomic_bool	warned_symlist;
static atomic_int	active_sessions;

static bool
copy_sockaddr(struct sockaddr_storage *dst, const struct sockaddr *sa)
{
	memset(dst, 0, sizeof(*dst));
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET)
		memcpy(dst, sa, sizeof(struct sockaddr_in));
	else if (sa->sa_family == AF_INET6)
		memcpy(dst, sa, sizeof(struct sockaddr_in6));
	else
		return false;
	return true;
}

static void
format_addr(const struct sockaddr_storage *ss, bool have, char *buf,
    size_t len)
{
	const void *a;

	buf[0] = '\0';
	if (!have)
		return;
	a = ss->ss_family == AF_INET ?
	    (const void *)&((const struct sockaddr_in *)ss)->sin_addr :
	    (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
	if (inet_ntop(ss->ss_family, a, buf, (socklen_t)len) == NULL)
		buf[0] = '\0';
}

/* What snprintf(dst, len, "%s", src) would store, without stdio. */
static void
copy_bounded(char *dst, size_t len, const char *src)
{
	size_t n;

	if (src == NULL)
		src = "";
	n = strnlen(src, len - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static struct session *
session_get(SMFICTX *ctx)
{
	struct session *s = smfi_getpriv(ctx);

	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL) {
			log_errorx("out of memory for a new session");
			return NULL;
		}
		if (smfi_setpriv(ctx, s) != MI_SUCCESS) {
			free(s);
			return NULL;
		}
		atomic_fetch_add(&active_sessions, 1);
	}
	return s;
}

static void
txn_reset(struct session *s)
{
	conf_unref(s->conf);
	s->conf = NULL;
	s->in_txn = false;
	s->tls = TLS_PLAINTEXT;
	memset(&s->mail_verdict, 0, sizeof(s->mail_verdict));
	s->requiretls = false;
	s->tls_required_no = false;
	s->network_protected = false;
	s->client_exempt = false;
	s->history_unknown = false;
	s->network[0] = '\0';
	s->tls_outage = false;
	s->downgrade_refused = false;
	s->tls_version[0] = s->cipher[0] = s->cipher_bits[0] = '\0';
	s->from[0] = '\0';
}

/*
 * Starts a line with the queue id, or NOQUEUE (Postfix has none before the
 * first RCPT): "ID: ".
 */
static void
line_start(SMFICTX *ctx, struct kvline *kv)
{
	const char *id = smfi_getsymval(ctx, "i");

	if (id == NULL || id[0] == '\0')
		id = "NOQUEUE";
	kvline_init_prefix(kv, id);
}

/* s->client, once per connection: inet_ntop() is not cheap. */
static const char *
client_token(struct session *s)
{
	char addr[INET6_ADDRSTRLEN] = "";
	const char *name;
	size_t n, a;

	if (s->client[0] != '\0')
		return s->client;
	format_addr(&s->client_sa, s->have_sa, addr, sizeof(addr));
	/* "NAME[ADDR]"; both are NUL-terminated within their arrays. */
	name = s->client_name[0] != '\0' ? s->client_name : "unknown";
	n = strlen(name);
	a = strlen(addr);
	memcpy(s->client, name, n);
	s->client[n] = '[';
	memcpy(s->client + n + 1, addr, a);
	memcpy(s->client + n + 1 + a, "]", 2);
	return s->client;
}

static void
add_session_fields(struct kvline *kv, struct session *s)
{

	if (s->tls != TLS_PLAINTEXT) {
		kvline_add(kv, "tls", s->tls_version);
		if (s->cipher[0] != '\0')
			kvline_add(kv, "cipher", s->cipher);
		if (s->cipher_bits[0] != '\0')
			kvline_add(kv, "bits", s->cipher_bits);
	} else
		kvline_add(kv, "tls", "none");
	kvline_add(kv, "client", client_token(s));
	kvline_add(kv, "helo", s->helo);
	kvline_add(kv, "from", s->from);
	if (s->requiretls)
		kvline_add(kv, "requiretls", "yes");
}

static int
decision_level(const struct verdict *v)
{
	if (v->action == ACTION_REJECT || v->action == ACTION_WOULD_REJECT ||
	    v->action == ACTION_TEMPFAIL)
		return LOG_NOTICE;
	if (v->action == ACTION_ACCEPT && v->reason != REASON_NONE)
		return LOG_DEBUG;	/* mode off */
	return LOG_INFO;
}

/* Counts the decision; builds its line only when the level is logged. */
static void
log_decision(SMFICTX *ctx, struct session *s, const char *stage,
    const struct verdict *v, const char *rcpt)
{
	struct kvline kv;
	int level = decision_level(v);

	stats_count_action(v->action, v->reason);
	if (!log_enabled(level))
		return;
	line_start(ctx, &kv);
	kvline_add(&kv, "action", action_name(v->action));
	if (v->reason != REASON_NONE)
		kvline_add(&kv, "reason", reason_name(v->reason));
	if (v->action != ACTION_ACCEPT || v->reason != REASON_NONE)
		kvline_add(&kv, "mode", sts_mode_name(v->mode));
	if (v->outage_guard)
		kvline_add(&kv, "guard", "tls-outage");
	kvline_add(&kv, "stage", stage);
	add_session_fields(&kv, s);
	if (rcpt != NULL)
		kvline_add(&kv, "rcpt", rcpt);
	if (v->reason == REASON_DOWNGRADE && s->network[0] != '\0')
		kvline_add(&kv, "network", s->network);
	log_line(level, kvline_str(&kv), kvline_len(&kv));
}

static sfsistat
apply_reject(SMFICTX *ctx, const struct reply *r)
{
	if (r == NULL)		/* every refusing verdict has one */
		return SMFIS_TEMPFAIL;
	if (smfi_setreply(ctx, (char *)r->code, (char *)r->xcode,
	    r->text_milter) != MI_SUCCESS)
		log_errorx("smfi_setreply(%s %s) failed: the MTA sends its own "
		    "default text", r->code, r->xcode);
	return r->code[0] == '4' ? SMFIS_TEMPFAIL : SMFIS_REJECT;
}

static sfsistat
mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	struct session *s = session_get(ctx);

	(void)f2;
	(void)f3;
	if (s == NULL)
		return SMFIS_TEMPFAIL;
	*pf0 = f0 & SMFIF_ADDHDRS;
	/* Skip what we never look at; never SMFIP_NR_MAIL/NR_RCPT. */
	*pf1 = f1 & (SMFIP_NOBODY | SMFIP_NOUNKNOWN | SMFIP_NODATA);
	*pf2 = 0;
	*pf3 = 0;
	if ((f0 & SMFIF_SETSYMLIST) == 0) {
		s->no_symlist = true;
		if (!atomic_exchange(&warned_symlist, true))
			log_warnx("the MTA cannot honour smfi_setsymlist: TLS "
			    "macros at MAIL FROM depend on its own macro "
			    "settings (Postfix milter_mail_macros, Sendmail "
			    "confMILTER_MACROS_ENVFROM)");
		return SMFIS_CONTINUE;
	}
	*pf0 |= SMFIF_SETSYMLIST;
	if (smfi_setsymlist(ctx, SMFIM_ENVFROM, SYMLIST_MAIL) != MI_SUCCESS ||
	    smfi_setsymlist(ctx, SMFIM_ENVRCPT, SYMLIST_RCPT) != MI_SUCCESS ||
	    smfi_setsymlist(ctx, SMFIM_EOM, SYMLIST_EOM) != MI_SUCCESS)
		log_warnx("smfi_setsymlist failed: falling back to the MTA's "
		    "default macros");
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	struct session *s = session_get(ctx);

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	copy_bounded(s->client_name, sizeof(s->client_name), hostname);
	s->have_sa = copy_sockaddr(&s->client_sa, hostaddr);
	s->client[0] = '\0';
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_helo(SMFICTX *ctx, char *helohost)
{
	struct session *s = session_get(ctx);

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	copy_bounded(s->helo, sizeof(s->helo), helohost);
	return SMFIS_CONTINUE;
}

static void
gather_facts(SMFICTX *ctx, struct session *s, struct session_facts *f,
    char **argv)
{
	memset(f, 0, sizeof(*f));
	f->tls_version = smfi_getsymval(ctx, "{tls_version}");
	f->cipher_bits = smfi_getsymval(ctx, "{cipher_bits}");
	/* The engine reads {client_addr} only without a socket address. */
	if (s->have_sa)
		f->client_sa = (struct sockaddr *)&s->client_sa;
	else
		f->client_addr = smfi_getsymval(ctx, "{client_addr}");
	f->requiretls = argv != NULL && argv[0] != NULL &&
	    engine_has_requiretls(argv + 1);
	f->tls_outage = s->tls_outage = selfcheck_outage();
	copy_bounded(s->tls_version, sizeof(s->tls_version), f->tls_version);
	copy_bounded(s->cipher, sizeof(s->cipher),
	    smfi_getsymval(ctx, "{cipher}"));
	copy_bounded(s->cipher_bits, sizeof(s->cipher_bits), f->cipher_bits);
	copy_bounded(s->from, sizeof(s->from), argv != NULL ? argv[0] : "");
	if (s->no_symlist && f->tls_version == NULL &&
	    !atomic_exchange(&warned_symlist, true))
		log_warnx("no {tls_version} macro at MAIL FROM and the MTA "
		    "cannot be asked for it: TLS state may be unknown, "
		    "sessions count as plaintext");
}

static void
lookup_history(struct session *s)
{
	int rc = downgrade_protected((struct sockaddr *)&s->client_sa);

	if (!history_key((struct sockaddr *)&s->client_sa,
	    s->conf->history.prefix_v4, s->conf->history.prefix_v6,
	    s->network, sizeof(s->network)))
		s->network[0] = '\0';

	s->network_protected = rc == 1;
	s->history_unknown = rc < 0;
}

static sfsistat
mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct session *s = session_get(ctx);
	struct session_facts f;
	struct verdict v;

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	txn_reset(s);
	if ((s->conf = conf_current()) == NULL)
		return SMFIS_TEMPFAIL;
	s->in_txn = true;
	gather_facts(ctx, s, &f, argv);
	v = engine_judge_mail(s->conf, &f, &s->tls);
	/*
	 * Authentication can only make a verdict more lenient, and asking
	 * for a macro the MTA did not send scans all of them: look at
	 * {auth_type} and {auth_authen} only when they could matter.
	 */
	if (v.action != ACTION_ACCEPT && v.action != ACTION_EXEMPT &&
	    s->conf->exempt_authenticated) {
		f.auth_type = smfi_getsymval(ctx, "{auth_type}");
		f.auth_authen = smfi_getsymval(ctx, "{auth_authen}");
		if (f.auth_type != NULL || f.auth_authen != NULL)
			v = engine_judge_mail(s->conf, &f, &s->tls);
	}
	s->mail_verdict = v;
	s->requiretls = s->conf->requiretls && f.requiretls;
	stats_count_transaction(s->tls != TLS_PLAINTEXT, s->tls_version);
	if (s->requiretls)
		stats_count_requiretls();
	if (s->conf->downgrade != DOWNGRADE_OFF || s->conf->self_check != NULL) {
		/* The history and the self-check need exemption for TLS
		 * sessions too. */
		if (s->conf->exempt_authenticated && f.auth_type == NULL &&
		    f.auth_authen == NULL) {
			f.auth_type = smfi_getsymval(ctx, "{auth_type}");
			f.auth_authen = smfi_getsymval(ctx, "{auth_authen}");
		}
		s->client_exempt = engine_client_exempt(s->conf, &f);
	}
	if (s->conf->self_check != NULL)
		selfcheck_note_transaction(s->tls == TLS_PLAINTEXT &&
		    !s->client_exempt);
	if (s->have_sa && engine_wants_history(s->conf, &v))
		lookup_history(s);
	if (v.action == ACTION_PER_RCPT)
		return SMFIS_CONTINUE;
	log_decision(ctx, s, "mail", &v, NULL);
	if (v.action == ACTION_REJECT || v.action == ACTION_TEMPFAIL) {
		s->in_txn = false;
		return apply_reject(ctx, v.reply);
	}
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
	struct session *s = smfi_getpriv(ctx);
	struct rcpt_context rctx;
	struct verdict v;

	if (s == NULL || !s->in_txn || s->conf == NULL)
		return SMFIS_TEMPFAIL;	/* no MAIL FROM seen: fail closed */
	if (s->mail_verdict.action != ACTION_PER_RCPT)
		return SMFIS_CONTINUE;
	rctx.network_protected = s->network_protected;
	rctx.tls_outage = s->tls_outage;
	v = engine_judge_rcpt_ctx(s->conf, s->tls, &rctx,
	    argv != NULL ? argv[0] : NULL);
	log_decision(ctx, s, "rcpt", &v, argv != NULL ? argv[0] : "");
	if (v.reason == REASON_DOWNGRADE && v.reply != NULL)
		s->downgrade_refused = true;	/* not recorded as plaintext */
	if (v.action == ACTION_REJECT || v.action == ACTION_TEMPFAIL)
		return apply_reject(ctx, v.reply);
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct session *s = smfi_getpriv(ctx);

	/* Every header comes here: test the first byte before the name. */
	if (s != NULL && s->in_txn && name != NULL && value != NULL &&
	    (name[0] == 'T' || name[0] == 't') &&
	    strcasecmp(name, "TLS-Required") == 0 &&
	    engine_tls_required_no(value))
		s->tls_required_no = true;
	return SMFIS_CONTINUE;
}

static void
insert_received(SMFICTX *ctx, struct session *s)
{
	char field[RECEIVED_MAX], host[256];
	const char *hostname;
	struct tm tm;
	time_t now = time(NULL);

	hostname = conf_hostname(s->conf, smfi_getsymval(ctx, "j"), host,
	    sizeof(host));
	if (localtime_r(&now, &tm) == NULL ||
	    received_build(field, sizeof(field), hostname,
	    smfi_getsymval(ctx, "i"), &tm) < 0) {
		log_errorx("cannot build the REQUIRETLS Received field");
		return;
	}
	if (smfi_insheader(ctx, 0, "Received", field) != MI_SUCCESS)
		log_errorx("smfi_insheader(Received) failed");
}

/*
 * An accepted transaction from a client that is not exempt teaches the
 * history how its network sends; one refused as a downgrade does not, or
 * a single stripped attempt would unprotect the network.  Nor does one
 * whose lookup failed: while the store is down nothing is known, and an
 * attacker must not be able to unprotect a network by timing a failure.
 * Nor is plaintext during a local TLS outage: it is this MTA's fault.
 */
static void
record_history(const struct session *s)
{
	if (s->conf->downgrade == DOWNGRADE_OFF || !s->have_sa ||
	    s->client_exempt || s->downgrade_refused || s->history_unknown ||
	    (s->tls_outage && s->tls == TLS_PLAINTEXT))
		return;
	downgrade_record((const struct sockaddr *)&s->client_sa,
	    s->tls != TLS_PLAINTEXT);
}

static sfsistat
mlfi_eom(SMFICTX *ctx)
{
	struct session *s = smfi_getpriv(ctx);
	struct kvline kv;

	if (s == NULL || !s->in_txn)
		return SMFIS_CONTINUE;
	record_history(s);
	if (s->requiretls && s->tls != TLS_PLAINTEXT)
		insert_received(ctx, s);
	else if (s->tls_required_no && log_enabled(LOG_INFO)) {
		line_start(ctx, &kv);
		kvline_add(&kv, "tls_required", "no");
		kvline_add(&kv, "stage", "data");
		add_session_fields(&kv, s);
		log_line(LOG_INFO, kvline_str(&kv), kvline_len(&kv));
	}
	txn_reset(s);
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_abort(SMFICTX *ctx)
{
	struct session *s = smfi_getpriv(ctx);

	if (s != NULL)
		txn_reset(s);
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_close(SMFICTX *ctx)
{
	struct session *s = smfi_getpriv(ctx);

	if (s != NULL) {
		txn_reset(s);
		free(s);
		(void)smfi_setpriv(ctx, NULL);
		atomic_fetch_sub(&active_sessions, 1);
	}
	return SMFIS_CONTINUE;
}

static struct smfiDesc milter_desc = {
	.xxfi_name = "mtasts-milter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_SETSYMLIST,
	.xxfi_connect = mlfi_connect,
	.xxfi_helo = mlfi_helo,
	.xxfi_envfrom = mlfi_envfrom,
	.xxfi_envrcpt = mlfi_envrcpt,
	.xxfi_header = mlfi_header,
	.xxfi_eom = mlfi_eom,
	.xxfi_abort = mlfi_abort,
	.xxfi_close = mlfi_close,
	.xxfi_negotiate = mlfi_negotiate,
};

int
callbacks_active_sessions(void)
{
	return atomic_load(&active_sessions);
}

int
callbacks_register(void)
{
	return smfi_register(milter_desc) == MI_SUCCESS ? 0 : -1;
}
