/*
 * callbacks.h - the milter layer: registers the libmilter callbacks.
 *
 * Interface: callbacks_register() hands the filter description to
 * libmilter (smfi_register); the callbacks read the configuration through
 * conf_current(), so a configuration must be installed before smfi_main().
 *
 * Failure modes: returns -1 when libmilter refuses the registration.  At
 * run time, a session that cannot be allocated, or a configuration that is
 * missing, answers TEMPFAIL: the MTA retries, nothing is accepted unseen.
 */
#ifndef MTASTS_CALLBACKS_H
#define MTASTS_CALLBACKS_H

int	callbacks_register(void);
/* Connections with a session right now (for a prompt, clean stop). */
int	callbacks_active_sessions(void);

#endif
