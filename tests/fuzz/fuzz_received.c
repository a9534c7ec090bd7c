/*
 * fuzz_received.c - libFuzzer target for the REQUIRETLS Received field
 * builder (received.h).
 *
 * Input: 8 bytes of time, 4 of UTC offset, 1 picking the buffer size, then
 * the host name ({j} or the hostname key) and the queue id ({i}) separated
 * by a NUL: the two values an MTA controls.  Checks the header's promises:
 * with RECEIVED_MAX it always succeeds; the value has no CR, every LF is
 * the fold "\n\t", every other byte is printable ASCII, "(requiretls) id
 * <id>;" stays on one line, the id holds only atom characters, and a
 * buffer that is too small gives -1 and an empty string.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/received.h"

#include "fuzz.h"

static void
check_field(const char *buf, int n)
{
	const char *p, *id, *line;
	size_t i, linelen = strlen("Received: ");

	CHECK(n > 0 && (size_t)n == strlen(buf));
	CHECK(strncmp(buf, "by ", 3) == 0);
	for (i = 0; buf[i] != '\0'; i++) {
		unsigned char c = (unsigned char)buf[i];

		CHECK(c != '\r');
		if (c == '\n') {
			CHECK(buf[i + 1] == '\t');
			CHECK(i > 0 && buf[i - 1] != ' ');
			linelen = 0;
			continue;
		}
		CHECK((c >= 0x20 && c < 0x7f) || c == '\t');
		CHECK(++linelen <= 998);
	}
	p = strstr(buf, " (requiretls) id ");
	CHECK(p != NULL && strstr(p + 2, "(requiretls)") == NULL);
	id = p + strlen(" (requiretls) id ");
	for (line = id; *line != ';'; line++) {
		CHECK(*line != '\0' && *line != '\n');
		CHECK(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW"
		    "XYZ0123456789.-_", *line) != NULL);
	}
	CHECK(line > id && (size_t)(line - id) <= RECEIVED_ID_MAX);
	CHECK(strstr(buf, "(mtasts-milter)") != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[RECEIVED_MAX + 64], small[RECEIVED_MAX], *rest, *host, *id;
	const uint8_t *nul;
	uint64_t t64;
	int32_t off;
	time_t t;
	struct tm tm;
	size_t smalllen;
	int n;

	if (size < 13 || size > 4096)
		return 0;
	memcpy(&t64, data, 8);
	memcpy(&off, data + 8, 4);
	smalllen = data[12] % (RECEIVED_MAX + 1);
	data += 13;
	size -= 13;
	/* Dates a clock can show: years 1970..9999, offsets within +-26 h. */
	t = (time_t)(t64 % 253402300800ULL);
	if (gmtime_r(&t, &tm) == NULL)
		return 0;
	tm.tm_gmtoff = (long)(off % (26 * 3600));
	if ((rest = malloc(size + 2)) == NULL)
		return 0;
	memcpy(rest, data, size);
	rest[size] = rest[size + 1] = '\0';
	host = rest;
	nul = memchr(data, '\0', size);
	id = nul != NULL ? rest + (nul - data) + 1 : rest + size;

	memset(buf, 'Z', sizeof(buf));
	n = received_build(buf, RECEIVED_MAX, host, id, &tm);
	CHECK(n > 0 && n < RECEIVED_MAX);
	CHECK(buf[RECEIVED_MAX] == 'Z');
	check_field(buf, n);

	/* Too small a buffer: -1 and "", never a cut field. */
	memset(small, 'Z', sizeof(small));
	n = received_build(small, smalllen, host, id, &tm);
	CHECK(n < 0 || (size_t)n < smalllen);
	if (n >= 0)
		check_field(small, n);
	else
		CHECK(smalllen == 0 || small[0] == '\0');
	if (smalllen < sizeof(small))
		CHECK(small[smalllen] == 'Z');
	free(rest);
	return 0;
}
