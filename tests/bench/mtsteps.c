/*
 * mtsteps.c - milter protocol steps on top of mtclient.c's transport.
 *
 * See mtclient.h for the interface.  Each step builds its packet in
 * conn->wbuf (bounded by MT_WMAX), skips it when the filter negotiated
 * the matching SMFIP_NO* flag (reply MT_SKIPPED), sends it, and reads the
 * answer unless the filter negotiated the matching SMFIP_NR_* flag (reply
 * MT_NOREPLY).  The negotiation answer is checked: version between 2 and
 * the one offered, no action that was not offered, a well-formed symbol
 * list part (stage index below MT_NSTAGES, NUL-terminated list).
 */

#include <sys/types.h>
#include <arpa/inet.h>

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "mtclient.h"

/* --- building packets ------------------------------------------------ */

static int
wb_add(struct mt_conn *c, const void *p, size_t len)
{
	unsigned char *nb;
	size_t ns;

	if (len > MT_WMAX || c->wlen + len > MT_WMAX)
		return mt_seterr(c, MT_EARG, "packet too large");
	if (c->wlen + len > c->wsize) {
		ns = c->wsize ? c->wsize : 1024;
		while (ns < c->wlen + len)
			ns *= 2;
		if ((nb = realloc(c->wbuf, ns)) == NULL)
			return mt_seterr(c, MT_ENOMEM, "out of memory");
		c->wbuf = nb;
		c->wsize = ns;
	}
	if (len > 0)
		memcpy(c->wbuf + c->wlen, p, len);
	c->wlen += len;
	return MT_OK;
}

static int
wb_str(struct mt_conn *c, const char *s)
{
	return wb_add(c, s, strlen(s) + 1);
}

static int
wb_strs(struct mt_conn *c, const char *const *v, size_t n)
{
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		if ((rc = wb_str(c, v[i])) != MT_OK)
			return rc;
	return MT_OK;
}

/*
 * Send the built packet as one protocol step.  noflag: the SMFIP_NO*
 * bit that suppresses the step; nrflag: the SMFIP_NR_* bit that
 * suppresses its reply.
 */
static int
step(struct mt_conn *c, int cmd, uint32_t noflag, uint32_t nrflag,
    struct mt_reply *r)
{
	int rc;

	memset(r, 0, offsetof(struct mt_reply, mods));
	if (noflag != 0 && (c->pflags & noflag) != 0) {
		r->code = MT_SKIPPED;
		return MT_OK;
	}
	if ((rc = mt_send(c, cmd, c->wbuf, c->wlen)) != MT_OK)
		return rc;
	if (nrflag != 0 && (c->pflags & nrflag) != 0) {
		r->code = MT_NOREPLY;
		return MT_OK;
	}
	return mt_await(c, r);
}

/* --- protocol steps -------------------------------------------------- */

static int
parse_symlists(struct mt_conn *c, const unsigned char *d, size_t len)
{
	const unsigned char *nul;
	size_t off = MILTER_OPTLEN;
	uint32_t stage;
	const char *s;

	while (off < len) {
		if (len - off < MILTER_LEN_BYTES)
			return mt_seterr(c, MT_EPROTO, "truncated symbol list");
		memcpy(&stage, d + off, MILTER_LEN_BYTES);
		stage = ntohl(stage);
		off += MILTER_LEN_BYTES;
		if ((nul = memchr(d + off, '\0', len - off)) == NULL)
			return mt_seterr(c, MT_EPROTO, "unterminated symbol list");
		s = (const char *)d + off;
		off = (size_t)(nul - d) + 1;
		if (stage >= MT_NSTAGES)
			return mt_seterr(c, MT_EPROTO, "symbol list for stage %u",
			    stage);
		free(c->symlist[stage]);
		if ((c->symlist[stage] = strdup(s)) == NULL)
			return mt_seterr(c, MT_ENOMEM, "out of memory");
	}
	return MT_OK;
}

int
mt_negotiate(struct mt_conn *c, uint32_t version, uint32_t actions,
    uint32_t pflags)
{
	uint32_t v[3];
	const unsigned char *d;
	size_t len;
	int cmd, rc;

	v[0] = htonl(version);
	v[1] = htonl(actions);
	v[2] = htonl(pflags);
	if ((rc = mt_send(c, SMFIC_OPTNEG, v, sizeof(v))) != MT_OK)
		return rc;
	if ((rc = mt_read(c, &cmd, &d, &len)) != MT_OK)
		return rc;
	if (cmd != SMFIC_OPTNEG || len < MILTER_OPTLEN)
		return mt_seterr(c, MT_EPROTO, "bad negotiation reply 0x%02x/%zu",
		    cmd, len);
	memcpy(v, d, sizeof(v));
	c->version = ntohl(v[0]);
	c->actions = ntohl(v[1]);
	c->pflags = ntohl(v[2]);
	if (c->version < 2 || c->version > version)
		return mt_seterr(c, MT_EPROTO, "filter protocol version %u",
		    c->version);
	if ((c->actions & ~actions) != 0)
		return mt_seterr(c, MT_EPROTO, "filter wants actions 0x%x",
		    c->actions & ~actions);
	return parse_symlists(c, d, len);
}

int
mt_macro(struct mt_conn *c, int stage, const char *const *nv, size_t n)
{
	unsigned char s = (unsigned char)stage;
	int rc;

	if (n % 2 != 0)
		return mt_seterr(c, MT_EARG, "odd number of macro strings");
	c->wlen = 0;
	if ((rc = wb_add(c, &s, 1)) != MT_OK ||
	    (rc = wb_strs(c, nv, n)) != MT_OK)
		return rc;
	return mt_send(c, SMFIC_MACRO, c->wbuf, c->wlen);
}

int
mt_connect(struct mt_conn *c, const char *host, int family, uint16_t port,
    const char *addr, struct mt_reply *r)
{
	unsigned char f = (unsigned char)family;
	uint16_t p = htons(port);
	int rc;

	c->wlen = 0;
	if ((rc = wb_str(c, host)) != MT_OK || (rc = wb_add(c, &f, 1)) != MT_OK)
		return rc;
	if (family != SMFIA_UNKNOWN &&
	    ((rc = wb_add(c, &p, sizeof(p))) != MT_OK ||
	    (rc = wb_str(c, addr ? addr : "")) != MT_OK))
		return rc;
	return step(c, SMFIC_CONNECT, SMFIP_NOCONNECT, SMFIP_NR_CONN, r);
}

int
mt_helo(struct mt_conn *c, const char *helo, struct mt_reply *r)
{
	int rc;

	c->wlen = 0;
	if ((rc = wb_str(c, helo)) != MT_OK)
		return rc;
	return step(c, SMFIC_HELO, SMFIP_NOHELO, SMFIP_NR_HELO, r);
}

int
mt_mail(struct mt_conn *c, const char *const *args, size_t n,
    struct mt_reply *r)
{
	int rc;

	c->wlen = 0;
	if (n == 0)
		return mt_seterr(c, MT_EARG, "MAIL needs a sender");
	if ((rc = wb_strs(c, args, n)) != MT_OK)
		return rc;
	return step(c, SMFIC_MAIL, SMFIP_NOMAIL, SMFIP_NR_MAIL, r);
}

int
mt_rcpt(struct mt_conn *c, const char *const *args, size_t n,
    struct mt_reply *r)
{
	int rc;

	c->wlen = 0;
	if (n == 0)
		return mt_seterr(c, MT_EARG, "RCPT needs a recipient");
	if ((rc = wb_strs(c, args, n)) != MT_OK)
		return rc;
	return step(c, SMFIC_RCPT, SMFIP_NORCPT, SMFIP_NR_RCPT, r);
}

int
mt_data(struct mt_conn *c, struct mt_reply *r)
{
	c->wlen = 0;
	return step(c, SMFIC_DATA, SMFIP_NODATA, SMFIP_NR_DATA, r);
}

int
mt_header(struct mt_conn *c, const char *name, const char *value,
    struct mt_reply *r)
{
	int rc;

	c->wlen = 0;
	if ((rc = wb_str(c, name)) != MT_OK || (rc = wb_str(c, value)) != MT_OK)
		return rc;
	return step(c, SMFIC_HEADER, SMFIP_NOHDRS, SMFIP_NR_HDR, r);
}

int
mt_eoh(struct mt_conn *c, struct mt_reply *r)
{
	c->wlen = 0;
	return step(c, SMFIC_EOH, SMFIP_NOEOH, SMFIP_NR_EOH, r);
}

/* Body in MILTER_CHUNK_SIZE chunks; stops at the first non-continue. */
int
mt_body(struct mt_conn *c, const void *p, size_t len, struct mt_reply *r)
{
	const unsigned char *b = p;
	size_t take;
	int rc;

	memset(r, 0, offsetof(struct mt_reply, mods));
	r->code = MT_SKIPPED;
	while (len > 0) {
		take = len > MILTER_CHUNK_SIZE ? MILTER_CHUNK_SIZE : len;
		c->wlen = 0;
		if ((rc = wb_add(c, b, take)) != MT_OK ||
		    (rc = step(c, SMFIC_BODY, SMFIP_NOBODY, SMFIP_NR_BODY,
		    r)) != MT_OK)
			return rc;
		if (r->code != SMFIR_CONTINUE && r->code != MT_NOREPLY)
			break;
		b += take;
		len -= take;
	}
	return MT_OK;
}

int
mt_eom(struct mt_conn *c, const void *p, size_t len, struct mt_reply *r)
{
	int rc;

	c->wlen = 0;
	if ((rc = wb_add(c, p, len)) != MT_OK)
		return rc;
	return step(c, SMFIC_BODYEOB, 0, 0, r);
}

int
mt_abort(struct mt_conn *c)
{
	return mt_send(c, SMFIC_ABORT, NULL, 0);
}

int
mt_quit(struct mt_conn *c)
{
	int rc;

	rc = mt_send(c, SMFIC_QUIT, NULL, 0);
	mt_close(c);
	return rc;
}

const char *
mt_symlist(const struct mt_conn *c, int stage)
{
	if (stage < 0 || stage >= MT_NSTAGES)
		return NULL;
	return c->symlist[stage];
}
