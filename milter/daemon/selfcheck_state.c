/*
 * selfcheck_state.c - the self-check's state machine (selfcheck_state.h).
 *
 * Only OUTAGE changes what the milter answers, so only OUTAGE needs proof:
 * two failed probes in a row.  One good handshake ends it, because a
 * false outage costs senders a retry while a missed recovery would keep
 * tempfailing plaintext that should be refused.
 */
#include <openssl/x509.h>

#include "daemon/selfcheck_state.h"

static const char *const state_names[SELFCHECK_NSTATES] = {
	"unknown", "ok", "outage", "unreachable", "certificate"
};

const char *
selfcheck_state_name(enum selfcheck_state s)
{
	return (unsigned int)s < SELFCHECK_NSTATES ? state_names[s] : "unknown";
}

enum selfcheck_class
selfcheck_classify(const struct smtp_probe_result *r, time_t now)
{
	if (r->tls) {
		if (!r->have_cert || r->verify != X509_V_OK ||
		    !r->name_match || now < r->not_before ||
		    now > r->not_after)
			return SC_CLASS_CERTIFICATE;
		return SC_CLASS_OK;
	}
	/* The MTA talked SMTP up to EHLO: the failure is its TLS. */
	switch (r->error) {
	case SMTP_ERR_NO_STARTTLS:
	case SMTP_ERR_TLS:
		return SC_CLASS_TLS_FAILED;
	case SMTP_ERR_REPLY:
	case SMTP_ERR_CLOSED:
	case SMTP_ERR_TIMEOUT:
	case SMTP_ERR_PROTOCOL:
		if (r->stage == SMTP_STAGE_STARTTLS ||
		    r->stage == SMTP_STAGE_HANDSHAKE)
			return SC_CLASS_TLS_FAILED;
		return SC_CLASS_UNREACHABLE;
	default:
		return SC_CLASS_UNREACHABLE;
	}
}

static void
enter(struct selfcheck_sm *sm, enum selfcheck_state s)
{
	sm->state = s;
}

static struct selfcheck_step
feed_success(struct selfcheck_sm *sm, enum selfcheck_class c, time_t now)
{
	struct selfcheck_step st = { SC_LOG_NONE, false, false, true };
	enum selfcheck_state was = sm->state;

	sm->failures = 0;
	if (c == SC_CLASS_CERTIFICATE) {
		if (was != SELFCHECK_CERTIFICATE ||
		    now - sm->last_cert_warn >= SELFCHECK_REMIND_SECS) {
			st.log = was == SELFCHECK_OUTAGE ?
			    SC_LOG_OUTAGE_LEAVE : SC_LOG_CERTIFICATE;
			sm->last_cert_warn = now;
		}
		enter(sm, SELFCHECK_CERTIFICATE);
		return st;
	}
	if (was == SELFCHECK_OUTAGE)
		st.log = SC_LOG_OUTAGE_LEAVE;
	else if (was == SELFCHECK_UNREACHABLE || was == SELFCHECK_CERTIFICATE)
		st.log = SC_LOG_RECOVERED;
	enter(sm, SELFCHECK_OK);
	return st;
}

struct selfcheck_step
selfcheck_feed(struct selfcheck_sm *sm, enum selfcheck_class c,
    time_t not_after, time_t now)
{
	struct selfcheck_step st = { SC_LOG_NONE, false, false, false };

	switch (c) {
	case SC_CLASS_OK:
	case SC_CLASS_CERTIFICATE:
		st = feed_success(sm, c, now);
		if (not_after > 0 && not_after - now < SELFCHECK_EXPIRY_WARN &&
		    now - sm->last_expiry_warn >= SELFCHECK_REMIND_SECS) {
			st.warn_expiry = true;
			sm->last_expiry_warn = now;
		}
		return st;
	case SC_CLASS_TLS_FAILED:
		if (sm->state == SELFCHECK_OUTAGE)
			return st;
		if (++sm->failures < SELFCHECK_OUTAGE_PROBES) {
			st.probe_again = true;	/* prove it at once */
			return st;
		}
		sm->failures = 0;
		enter(sm, SELFCHECK_OUTAGE);
		st.log = SC_LOG_OUTAGE_ENTER;
		return st;
	case SC_CLASS_UNREACHABLE:
	default:
		sm->failures = 0;
		if (sm->state != SELFCHECK_UNREACHABLE)
			st.log = SC_LOG_UNREACHABLE;
		enter(sm, SELFCHECK_UNREACHABLE);
		return st;
	}
}
