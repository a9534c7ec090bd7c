/*
 * https_fetch.h - one bounded, verified HTTPS GET (OpenSSL), for "-C".
 *
 * Interface: https_fetch() connects to the given addresses in turn
 * (non-blocking connect, poll), speaks TLS 1.2 or later with SNI, verifies
 * the certificate chain against ca_file (or the system store) and the host
 * name with X509_check_host() semantics (wildcards in the left-most label
 * only), sends one HTTP/1.1 GET and reads one response.  Redirects are
 * never followed: a 3xx comes back as a status with its Location.  The
 * body is read only for status 200: by Content-Length, chunked transfer
 * coding, or until the server closes, never more than max_body bytes.
 * https_response_free() releases the body.
 *
 * Bounds: one deadline, timeout_ms from the call, covers connect,
 * handshake, request and response (with several addresses, each connect
 * gets an equal share of what is left); the response head is limited to
 * HTTP_HEAD_MAX bytes (the response is parsed by http_parse.h).  SIGPIPE is ignored while the call runs.
 *
 * Failure modes: returns 0 when a response head was read (any status),
 * -1 otherwise with a one-line reason in err: connection refused or timed
 * out (and in which phase; timed_out is then set), TLS errors with the
 * verification reason ("certificate does not match HOST" for a name
 * mismatch), malformed HTTP, an unsupported Transfer-Encoding, a body
 * over max_body.  Text taken from the response (Location, Content-Type)
 * is stored as sent; callers sanitise it before printing.
 */
#ifndef MTASTS_HTTPS_FETCH_H
#define MTASTS_HTTPS_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct https_request {
	const char			*host;	/* SNI, Host:, certificate */
	const char			*path;	/* "/.well-known/..." */
	const struct sockaddr_storage	*addrs;	/* ports set */
	size_t				 naddrs;
	const char			*ca_file;	/* NULL: system store */
	long long			 timeout_ms;	/* all steps */
	size_t				 max_body;
};

struct https_response {
	int	 status;		/* 0 until a status line was read */
	char	*body;			/* status 200 only; NUL-terminated */
	size_t	 len;
	bool	 chunked;
	bool	 timed_out;		/* err is a timeout */
	char	 location[256];
	char	 content_type[128];
	char	 peer[96];		/* "ADDR port N" last tried */
	char	 err[256];
};

int	https_fetch(const struct https_request *, struct https_response *);
void	https_response_free(struct https_response *);

#endif
