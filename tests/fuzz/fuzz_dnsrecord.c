/*
 * fuzz_dnsrecord.c - libFuzzer target for the TXT record parsers
 * (core/dnsrecord.h): the _mta-sts record (dnsrecord_sts) and the
 * _smtp._tls record (dnsrecord_tlsrpt), as a hostile DNS server sends them.
 *
 * Input: one record, given with its length and no NUL after it (so a
 * read past the end is an ASan report), to both parsers.  Checks
 * dnsrecord.h's promises: 0 or -1; -1 says why in a non-empty string
 * that fits (it may quote record bytes as they are: callers sanitise); an accepted record starts with its version; the rua
 * mailboxes are at most DNSRECORD_MAX_MAILTO, each "local@domain"
 * NUL-terminated in its slot; a refused TLSRPT record leaves no half
 * answer beyond the slots it filled.  The parsers are pure: parsing the
 * same record again gives the same answer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dnsrecord.h"

#include "fuzz.h"

static void
check_why(const char *why, size_t len)
{
	CHECK(memchr(why, '\0', len) != NULL);
	CHECK(why[0] != '\0');
}

static void
check_sts(const char *rec, size_t len)
{
	char why[256], why2[256];
	int rc;

	memset(why, 'X', sizeof(why));
	rc = dnsrecord_sts(rec, len, why, sizeof(why));
	CHECK(rc == 0 || rc == -1);
	if (rc == 0)
		CHECK(len >= 7 && memcmp(rec, "v=STSv1", 7) == 0);
	else
		check_why(why, sizeof(why));
	/* A short reason buffer is still a terminated string. */
	memset(why2, 'X', sizeof(why2));
	CHECK(dnsrecord_sts(rec, len, why2, 8) == rc);
	if (rc != 0) {
		CHECK(memchr(why2, '\0', 8) != NULL);
		CHECK(why2[8] == 'X');
	}
}

static void
check_tlsrpt(const char *rec, size_t len)
{
	struct tlsrpt_info info, again;
	char why[256];
	size_t i;
	int rc;

	memset(why, 'X', sizeof(why));
	rc = dnsrecord_tlsrpt(rec, len, &info, why, sizeof(why));
	CHECK(rc == 0 || rc == -1);
	CHECK(info.nmailto <= DNSRECORD_MAX_MAILTO);
	for (i = 0; i < info.nmailto; i++) {
		const char *m = info.mailto[i], *at;

		CHECK(memchr(m, '\0', sizeof(info.mailto[i])) != NULL);
		at = strrchr(m, '@');
		CHECK(at != NULL && at != m && at[1] != '\0');
	}
	if (rc == 0)
		CHECK(len >= 10 && memcmp(rec, "v=TLSRPTv1", 10) == 0);
	else
		check_why(why, sizeof(why));
	CHECK(dnsrecord_tlsrpt(rec, len, &again, why, sizeof(why)) == rc);
	CHECK(again.nmailto == info.nmailto);
	for (i = 0; i < info.nmailto; i++)
		CHECK(strcmp(again.mailto[i], info.mailto[i]) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *rec;

	/* A TXT record's strings together: 64 KiB at the very most. */
	if (size > 65535)
		return 0;
	/* An exact-size copy: ASan sees any read past the record. */
	if ((rec = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	memcpy(rec, data, size);
	check_sts(rec, size);
	check_tlsrpt(rec, size);
	free(rec);
	return 0;
}
