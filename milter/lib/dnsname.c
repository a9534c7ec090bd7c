/*
 * dnsname.c - syntax of DNS host and domain names (dnsname.h).
 */
#include <ctype.h>
#include <string.h>

#include "lib/dnsname.h"

/* LDH, 1..63 bytes, no hyphen at either end. */
static bool
valid_label(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

bool
dnsname_valid(const char *s, size_t len)
{
	size_t start = 0, i;

	if (len == 0 || len > DNSNAME_MAX)
		return false;
	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (!valid_label(s + start, i - start))
				return false;
			start = i + 1;
		}
	}
	return true;
}

bool
dnsname_normalise(const char *in, char *out, size_t outlen)
{
	size_t len = strlen(in), i;

	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len >= outlen)
		return false;
	for (i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[len] = '\0';
	return dnsname_valid(out, len);
}
