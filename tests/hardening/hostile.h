/*
 * hostile.h - what the files of the hostile milter-traffic driver
 * (mthostile) share: hostile.c defines the globals, the TAP output, the
 * session helpers and the probe; hostile_input.c, hostile_failclosed.c
 * and hostile_conn.c define the cases that main() runs.
 */

#ifndef HOSTILE_H
#define HOSTILE_H

#include <stddef.h>

#include <libmilter/mfapi.h>

#include "mtclient.h"

#define NV(a)	(sizeof(a) / sizeof((a)[0]))

/* Offer what Postfix offers; the filter picks. */
#define OFFER_ACTIONS	(SMFIF_ADDHDRS | SMFIF_CHGBODY | SMFIF_ADDRCPT | \
			 SMFIF_DELRCPT | SMFIF_CHGHDRS | SMFIF_QUARANTINE | \
			 SMFIF_CHGFROM | SMFIF_ADDRCPT_PAR | SMFIF_SETSYMLIST)
#define OFFER_PFLAGS	(SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOMAIL | \
			 SMFIP_NORCPT | SMFIP_NOBODY | SMFIP_NOHDRS | \
			 SMFIP_NOEOH | SMFIP_NOUNKNOWN | SMFIP_NODATA | \
			 SMFIP_SKIP | SMFIP_RCPT_REJ | SMFIP_NR_HDR | \
			 SMFIP_HDR_LEADSPC)

/* hostile.c: the options */
extern const char *sock_a, *sock_b;
extern int tmo;

/* hostile.c: TAP output ("ok - ...", "not ok - ...", "# ...") */
void tap(int, const char *, ...) __attribute__((format(printf, 2, 3)));
void diag(const char *, ...) __attribute__((format(printf, 1, 2)));
const char *show(const char *);

/* hostile.c: sessions */
int send_macros(struct mt_conn *, int, const char *const *, size_t);
int sess_open(struct mt_conn *, const char *);
int sess_connect(struct mt_conn *, const char *, int, const char *,
    const char *const *, size_t, struct mt_reply *);
int sess_helo(struct mt_conn *, const char *, const char *const *, size_t,
    struct mt_reply *);
int sess_mail(struct mt_conn *, const char *const *, size_t,
    const char *const *, size_t, struct mt_reply *);
int sess_rcpt(struct mt_conn *, const char *, const char *const *, size_t,
    struct mt_reply *);
int sess_data(struct mt_conn *, const char *, const char *,
    const char *const *, size_t, struct mt_reply *);
int passed(const struct mt_reply *);
int is_reject(const struct mt_reply *, const char *);
int check_mods(const struct mt_reply *, int, char *, size_t);

/* hostile.c: the probe and its macro and argument lists */
extern const char *const TLS_MAIL[10];
extern const char *const EOM_MACROS[6];
extern const char *const FROM_RT[2];
extern const char *const FROM[1];
int probe(const char *);

/* hostile_failclosed.c: the expected outcome of a step */
enum expect { E_CONT, E_550, E_523, E_NOTPASS };
int meets(int, const struct mt_reply *, enum expect);

/* The cases (main runs them by name) */
void case_probe(void);		/* hostile.c */
void case_inject(void);		/* hostile_input.c */
void case_big(void);
void case_args(void);
void case_failclosed(void);	/* hostile_failclosed.c */
void case_disconnect(void);	/* hostile_conn.c */
void case_many(void);
void case_concurrent(void);
void case_garbage(void);
void case_oddmacro(void);
void case_nonulmacro(void);

#endif /* HOSTILE_H */
