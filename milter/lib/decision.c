/*
 * decision.c - the decision vocabulary (decision.h).
 */
#include <string.h>

#include "lib/decision.h"

static const char *const action_names[] = {
	"accept", "reject", "would-reject", "exempt", "tempfail", "per-rcpt"
};

static const char *const reason_names[REASON_COUNT] = {
	"", "plaintext", "weak-tls", "requiretls-plaintext", "network",
	"auth", "recipient", "downgrade"
};

static const char *const mode_names[STS_MODE_COUNT] = {
	"off", "testing", "enforce"
};

static const char *
name_of(const char *const *names, size_t n, unsigned int v)
{
	return v < n ? names[v] : "unknown";
}

/* Index of the non-empty name (s, len) in names[0..n), or -1. */
static int
index_of(const char *const *names, int n, const char *s, size_t len)
{
	int i;

	for (i = 0; i < n; i++)
		if (names[i][0] != '\0' && strlen(names[i]) == len &&
		    memcmp(names[i], s, len) == 0)
			return i;
	return -1;
}

const char *
action_name(enum action a)
{
	return name_of(action_names, sizeof(action_names) /
	    sizeof(action_names[0]), (unsigned int)a);
}

const char *
reason_name(enum reason r)
{
	return name_of(reason_names, REASON_COUNT, (unsigned int)r);
}

const char *
sts_mode_name(enum sts_mode m)
{
	return name_of(mode_names, STS_MODE_COUNT, (unsigned int)m);
}

int
action_lookup(const char *s, size_t len)
{
	return index_of(action_names, ACTION_COUNT, s, len);
}

int
reason_lookup(const char *s, size_t len)
{
	return index_of(reason_names, REASON_COUNT, s, len);
}

int
sts_mode_lookup(const char *s, size_t len)
{
	return index_of(mode_names, STS_MODE_COUNT, s, len);
}

int
sts_mode_parse(const char *s, bool allow_none, enum sts_mode *mode)
{
	int m = sts_mode_lookup(s, strlen(s));

	if (m == -1 && allow_none && strcmp(s, "none") == 0)
		m = STS_MODE_OFF;
	if (m == -1)
		return -1;
	*mode = (enum sts_mode)m;
	return 0;
}

bool
reason_is_exemption(enum reason r)
{
	return r == REASON_NETWORK || r == REASON_AUTH ||
	    r == REASON_RECIPIENT;
}
