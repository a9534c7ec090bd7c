/*
 * probe_list.c - -C @FILE: many domains, checked concurrently.
 *
 * The list is read whole (bounded) and validated before any check runs,
 * so a typo fails at once with FILE:LINE instead of after an hour of
 * checks.  Workers take the next domain from a shared index; output goes
 * through one mutex so the lines of one domain stay together.  The
 * number of threads, PROBE_LIST_WORKERS, bounds the DNS queries and HTTPS
 * connections in flight.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/dnsquery.h"
#include "probe/probe.h"
#include "probe/probe_list.h"
#include "probe/probe_print.h"

struct list_run {
	const struct conf	*conf;
	char			**domains;
	size_t			 n;
	size_t			 next;		/* under lock */
	enum probe_status	 all;		/* under lock */
	bool			 json;
	int			 width;
	FILE			*out;
	pthread_mutex_t		 lock;
};

static char *
read_list(const char *path)
{
	struct stat st;
	char *buf;
	ssize_t r;
	size_t len = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) ==
	    -1) {
		fprintf(stderr, "mtasts-milter: -C @%s: %s\n", path,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > PROBE_LIST_MAX_BYTES ||
	    (buf = malloc((size_t)st.st_size + 1)) == NULL) {
		fprintf(stderr, "mtasts-milter: -C @%s: not a regular file of "
		    "at most %d bytes\n", path, PROBE_LIST_MAX_BYTES);
		(void)close(fd);
		return NULL;
	}
	while (len < (size_t)st.st_size && ((r = read(fd, buf + len,
	    (size_t)st.st_size - len)) > 0 || (r == -1 && errno == EINTR)))
		if (r > 0)
			len += (size_t)r;
	(void)close(fd);
	buf[len] = '\0';
	return buf;
}

static bool
valid_name(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > 253)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '.')
			return false;
	return true;
}

/* Splits text into names in place: their number, or -1 after reporting. */
static ssize_t
parse_list(const char *path, char *text, struct list_run *lr)
{
	char *line, *next, *end, **n;
	size_t cap = 0, count = 0;
	int lineno = 0;

	for (line = text; line != NULL && *line != '\0'; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		while (isspace((unsigned char)*line))
			line++;
		end = line + strlen(line);
		while (end > line && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*line == '\0' || *line == '#')
			continue;
		if (end - line > 1 && end[-1] == '.')
			*--end = '\0';
		if (!valid_name(line)) {
			fprintf(stderr, "%s:%d: not a domain name\n", path,
			    lineno);
			return -1;
		}
		if (count == cap) {
			cap = cap == 0 ? 256 : cap * 2;
			if ((n = reallocarray(lr->domains, cap, sizeof(*n))) ==
			    NULL) {
				fprintf(stderr, "mtasts-milter: out of memory\n");
				return -1;
			}
			lr->domains = n;
		}
		lr->domains[count++] = line;
		if ((int)(end - line) > lr->width)
			lr->width = (int)(end - line);
	}
	return (ssize_t)count;
}

static void *
worker(void *arg)
{
	struct list_run *lr = arg;
	struct probe_report *rep;
	struct dnsq *dns;
	enum probe_status worst;
	char err[256];
	size_t i;

	if ((rep = malloc(sizeof(*rep))) == NULL)
		return NULL;
	dns = dnsq_open(lr->conf->check_resolver, lr->conf->check_timeout > 0 ?
	    lr->conf->check_timeout : 60, err, sizeof(err));
	for (;;) {
		pthread_mutex_lock(&lr->lock);
		i = lr->next < lr->n ? lr->next++ : lr->n;
		pthread_mutex_unlock(&lr->lock);
		if (i == lr->n)
			break;
		memset(rep, 0, sizeof(*rep));
		if (dns != NULL)
			probe_one(lr->conf, dns, lr->domains[i], rep);
		else {
			(void)snprintf(rep->domain, sizeof(rep->domain), "%s",
			    lr->domains[i]);
			probe_add(rep, PROBE_FAIL, "txt", "%s", err);
		}
		worst = probe_report_worst(rep);
		pthread_mutex_lock(&lr->lock);
		if (worst > lr->all)
			lr->all = worst;
		if (lr->json)
			probe_print_json(lr->out, rep, 1, worst);
		else
			probe_print_text(lr->out, rep, lr->width);
		pthread_mutex_unlock(&lr->lock);
	}
	dnsq_close(dns);
	free(rep);
	return NULL;
}

int
probe_list(const struct conf *conf, const char *path, bool json, FILE *out)
{
	struct list_run lr = { .conf = conf, .json = json, .out = out };
	pthread_t tids[PROBE_LIST_WORKERS];
	size_t i, want, started;
	ssize_t count;
	char *text;
	int rc = 1;

	if ((text = read_list(path)) == NULL)
		return 1;
	if ((count = parse_list(path, text, &lr)) < 0)
		goto done;
	lr.n = (size_t)count;
	(void)pthread_mutex_init(&lr.lock, NULL);
	want = lr.n < PROBE_LIST_WORKERS ? lr.n : PROBE_LIST_WORKERS;
	/* cppcheck loses lr.n through parse_list(): a false positive. */
	// cppcheck-suppress knownConditionTrueFalse
	for (started = 0; started < want; started++)
		if (pthread_create(&tids[started], NULL, worker, &lr) != 0)
			break;
	if (started == 0 && lr.n > 0)
		(void)worker(&lr);	/* no thread: check them here */
	for (i = 0; i < started; i++)
		(void)pthread_join(tids[i], NULL);
	(void)pthread_mutex_destroy(&lr.lock);
	fflush(out);
	rc = lr.all == PROBE_FAIL ? 1 : 0;
done:
	free(lr.domains);
	free(text);
	return rc;
}
