/*
 * fuzz_config.c - libFuzzer target for configuration loading from a
 * buffer (conf_load_buffer(), i.e. libconfuse + conf_scan + every value
 * check), followed by what the daemon does with a loaded configuration:
 * conf_print() (-n) and a few decisions of the engine.
 *
 * Input: the text of a configuration file (a C string: it ends at the
 * first NUL, as conf_load() refuses nothing else).  Checks conf.h's
 * promises: a refused text yields at least one "NAME:LINE: message" line
 * and no snapshot; an accepted one is complete (socket, replies, network
 * list) and its replies are safe for smfi_setreply (no CR/LF, '%' doubled).
 *
 * policy_file keys make the loader read files: the target creates a few
 * policy files under POLICY_DIR for the seeds to name, and skips inputs
 * that mention /dev, /proc or /sys (the loader itself refuses FIFOs and
 * devices, but reading /proc or /sys files is slow and pointless).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/engine.h"

#include "fuzz.h"

#define POLICY_DIR	"/tmp/mtasts-fuzz-policies"

static void
write_policy(const char *name, const char *text)
{
	char path[256];
	int fd;

	(void)snprintf(path, sizeof(path), "%s/%s", POLICY_DIR, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
	if (fd == -1)
		return;
	if (write(fd, text, strlen(text)) < 0)
		perror(path);
	(void)close(fd);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct stat st;

	(void)argc;
	(void)argv;
	(void)mkdir(POLICY_DIR, 0755);
	if (lstat(POLICY_DIR, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid())
		return 0;	/* not ours: the seeds just see errors */
	write_policy("enforce.txt", "version: STSv1\nmode: enforce\n"
	    "mx: mx.example.org\nmx: *.example.net\nmax_age: 86400\n");
	write_policy("testing.txt", "version: STSv1\r\nmode: testing\r\n"
	    "mx: mail.example.com\r\nmax_age: 604800\r\n");
	write_policy("none.txt", "version: STSv1\nmode: none\nmax_age: 0\n");
	write_policy("bad.txt", "version: STSv1\nmode: sometimes\n");
	return 0;
}

static void
check_reply(const struct reply *r)
{
	size_t i, pct = 0, pct2 = 0;

	CHECK(strlen(r->code) == 3 && (r->code[0] == '4' || r->code[0] == '5'));
	CHECK(r->xcode[0] == r->code[0] && r->xcode[1] == '.');
	CHECK(r->text != NULL && r->text_milter != NULL && r->text[0] != '\0');
	for (i = 0; r->text[i] != '\0'; i++) {
		CHECK((unsigned char)r->text[i] >= 0x20 &&
		    (unsigned char)r->text[i] < 0x7f);
		pct += r->text[i] == '%';
	}
	for (i = 0; r->text_milter[i] != '\0'; i++)
		pct2 += r->text_milter[i] == '%';
	CHECK(pct2 == 2 * pct);
	CHECK(strlen(r->text_milter) == strlen(r->text) + pct);
	CHECK(strlen(r->text_milter) + 10 <= 980);
}

static void
exercise(const struct conf *c, FILE *null)
{
	static const char *const rcpts[] = {
		"<a@example.org>", "<postmaster@x.example.org>", "b@EXAMPLE.NET",
		"<@route,@r2:c@sub.example.org>", "<>", "no-at-sign", NULL
	};
	struct session_facts f;
	struct verdict v;
	enum tls_state tls;
	size_t i;

	CHECK(c->socket != NULL && c->exempt_networks != NULL);
	/* An inet socket names a real port (atoi() once wrapped 2^32+1). */
	if (strncmp(c->socket, "inet", 4) == 0) {
		const char *p = strchr(c->socket, ':') + 1;
		char *end;
		long port = strtol(p, &end, 10);

		CHECK(port >= 1 && port <= 65535);
		CHECK(*end == '\0' || *end == '@');
	}
	CHECK(c->mode <= STS_MODE_ENFORCE);
	check_reply(&c->reject);
	check_reply(&c->requiretls_reply);
	conf_print(c, null);

	/* A plaintext session from a routable address, no auth. */
	memset(&f, 0, sizeof(f));
	f.client_addr = "192.0.2.7";
	v = engine_judge_mail(c, &f, &tls);
	CHECK(tls == TLS_PLAINTEXT);
	/* Plaintext is never accepted at MAIL FROM (fail closed). */
	CHECK(v.action == ACTION_REJECT || v.action == ACTION_EXEMPT ||
	    v.action == ACTION_PER_RCPT);
	if (engine_rejects_all(c))
		CHECK(v.action != ACTION_PER_RCPT);
	if (v.action == ACTION_REJECT)
		CHECK(v.reply != NULL);
	if (v.action == ACTION_PER_RCPT)
		for (i = 0; rcpts[i] != NULL; i++) {
			v = engine_judge_rcpt(c, tls, rcpts[i]);
			CHECK(v.action != ACTION_PER_RCPT);
			if (v.action == ACTION_REJECT)
				CHECK(v.reply != NULL);
		}
	/* TLS that may be weak under this configuration. */
	f.tls_version = "TLSv1";
	f.cipher_bits = "56";
	v = engine_judge_mail(c, &f, &tls);
	CHECK(tls != TLS_PLAINTEXT);
}

/* Paths a policy_file key may name while fuzzing. */
static int
paths_allowed(const char *text)
{
	static const char *const bad[] = { "/dev", "/proc", "/sys", NULL };
	size_t i;

	for (i = 0; bad[i] != NULL; i++)
		if (strstr(text, bad[i]) != NULL)
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	struct conf_errors errs;
	struct conf *c;
	char *text;

	if (null == NULL && (null = fopen("/dev/null", "w")) == NULL)
		abort();
	if ((text = fuzz_cstring(data, size, 65536)) == NULL)
		return 0;
	if (!paths_allowed(text)) {
		free(text);
		return 0;
	}
	c = conf_load_buffer(text, "fuzz.conf", &errs);
	if (c == NULL) {
		CHECK(errs.count > 0 && errs.text != NULL);
		CHECK(strncmp(errs.text, "fuzz.conf:", 10) == 0);
		CHECK(errs.text[strlen(errs.text) - 1] == '\n');
	} else {
		exercise(c, null);
		/* A second reference, as conf_current() hands out. */
		conf_unref(conf_ref(c));
		conf_unref(c);
	}
	conf_errors_free(&errs);
	free(text);
	return 0;
}
