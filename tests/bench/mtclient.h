/*
 * mtclient.h - MTA side of the milter protocol, version 6.
 *
 * mtclient.c holds the transport (socket, packets, replies), mtsteps.c
 * the protocol steps. *
 * A small client that talks to a libmilter filter the way Postfix or
 * Sendmail does: option negotiation (including the symbol lists a filter
 * asks for with smfi_setsymlist), macros, connect, helo, mail, rcpt,
 * headers, end of headers, body, end of message, abort and quit.  It is
 * used by the benchmark load generator and by the hostile-input tests, so
 * besides the typed calls it can send any command with any bytes
 * (mt_send), any bytes with no framing at all (mt_send_bytes), and stop
 * abruptly at any point (mt_close, mt_close_rst).
 *
 * Interface: every call takes a struct mt_conn opened by mt_open.  Calls
 * that expect an answer fill a struct mt_reply: reply->code is the final
 * SMFIR_* character, MT_NOREPLY when the filter negotiated "no reply" for
 * that step, or MT_SKIPPED when it asked not to be sent the step at all.
 * Progress packets are counted, header and envelope modifications
 * (normally only at end of message) are collected in reply->mods.
 *
 * Failure modes: every function returns MT_OK (0) or a negative MT_E*
 * code and leaves a message in conn->err.  Every read and write has a
 * deadline of conn->timeout_ms per call (poll on a non-blocking socket);
 * every length read from the wire is bounded (MT_RMAX) and every string
 * in a reply is checked for its NUL terminator.  After an error the
 * connection is unusable: close it.  Not thread-safe per connection; use
 * one connection per thread.
 */

#ifndef MTCLIENT_H
#define MTCLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <libmilter/mfdef.h>

#define MT_OK		 0
#define MT_EIO		-1	/* read/write/connect failed */
#define MT_ETIMEOUT	-2	/* deadline passed */
#define MT_EPROTO	-3	/* malformed or unexpected packet */
#define MT_ECLOSED	-4	/* peer closed the connection */
#define MT_EARG		-5	/* bad argument (socket spec, size) */
#define MT_ENOMEM	-6

#define MT_NOREPLY	1	/* step sent, filter negotiated no reply */
#define MT_SKIPPED	2	/* step not sent: filter asked not to get it */

#define MT_RMAX		(2 * 1024 * 1024)	/* largest packet accepted */
#define MT_WMAX		(16 * 1024 * 1024)	/* largest packet sent */
#define MT_TEXTMAX	1024	/* SMFIR_REPLYCODE text kept */
#define MT_NAMEMAX	256	/* header name kept */
#define MT_VALUEMAX	2048	/* header value kept */
#define MT_MAXMODS	16	/* modifications kept per reply */
#define MT_MAXPKTS	4096	/* packets read while awaiting one reply */
#define MT_NSTAGES	7	/* SMFIM_CONNECT .. SMFIM_EOH */

/* One modification action sent by the filter (SMFIR_INSHEADER etc.). */
struct mt_mod {
	int		 cmd;		/* SMFIR_* character */
	uint32_t	 index;		/* INSHEADER/CHGHEADER index */
	char		 name[MT_NAMEMAX];	/* header name, rcpt, sender */
	char		 value[MT_VALUEMAX];	/* header value, ESMTP args */
	size_t		 len;		/* payload length (REPLBODY) */
	int		 truncated;	/* name or value was cut */
};

struct mt_reply {
	int		 code;		/* SMFIR_*, MT_NOREPLY, MT_SKIPPED */
	char		 text[MT_TEXTMAX];	/* SMFIR_REPLYCODE text */
	unsigned int	 nprogress;	/* SMFIR_PROGRESS packets seen */
	size_t		 nmods;		/* entries used in mods */
	size_t		 nmods_lost;	/* modifications beyond MT_MAXMODS */
	struct mt_mod	 mods[MT_MAXMODS];
};

struct mt_conn {
	int		 fd;
	int		 timeout_ms;	/* per call */
	uint32_t	 version;	/* negotiated */
	uint32_t	 actions;	/* SMFIF_* the filter asked for */
	uint32_t	 pflags;	/* SMFIP_* the filter asked for */
	char		*symlist[MT_NSTAGES];	/* SMFIM_* -> "{a} {b}" */
	unsigned char	*pkt;		/* last packet read */
	size_t		 pktsize;
	unsigned char	 rbuf[8192];	/* read buffer */
	size_t		 rstart, rend;
	unsigned char	*wbuf;		/* packet being built */
	size_t		 wlen, wsize;
	char		 err[256];
};

/* Socket and raw packets. */
int	 mt_open(struct mt_conn *, const char *spec, int timeout_ms);
void	 mt_close(struct mt_conn *);
void	 mt_close_rst(struct mt_conn *);
int	 mt_send(struct mt_conn *, int cmd, const void *, size_t);
int	 mt_send_bytes(struct mt_conn *, const void *, size_t);
int	 mt_read(struct mt_conn *, int *cmd, const unsigned char **,
	    size_t *);
int	 mt_await(struct mt_conn *, struct mt_reply *);
int	 mt_seterr(struct mt_conn *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

/* Protocol steps. */
int	 mt_negotiate(struct mt_conn *, uint32_t version, uint32_t actions,
	    uint32_t pflags);
int	 mt_macro(struct mt_conn *, int stage, const char *const *namevals,
	    size_t nnamevals);
int	 mt_connect(struct mt_conn *, const char *host, int family,
	    uint16_t port, const char *addr, struct mt_reply *);
int	 mt_helo(struct mt_conn *, const char *, struct mt_reply *);
int	 mt_mail(struct mt_conn *, const char *const *args, size_t nargs,
	    struct mt_reply *);
int	 mt_rcpt(struct mt_conn *, const char *const *args, size_t nargs,
	    struct mt_reply *);
int	 mt_data(struct mt_conn *, struct mt_reply *);
int	 mt_header(struct mt_conn *, const char *name, const char *value,
	    struct mt_reply *);
int	 mt_eoh(struct mt_conn *, struct mt_reply *);
int	 mt_body(struct mt_conn *, const void *, size_t, struct mt_reply *);
int	 mt_eom(struct mt_conn *, const void *, size_t, struct mt_reply *);
int	 mt_abort(struct mt_conn *);
int	 mt_quit(struct mt_conn *);

/* Helpers. */
const char	*mt_codename(int code);
const char	*mt_symlist(const struct mt_conn *, int stage);
int		 mt_is_final(int code);

#endif /* MTCLIENT_H */
