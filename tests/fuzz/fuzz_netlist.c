/*
 * fuzz_netlist.c - libFuzzer target for the network list (netlist.h).
 *
 * Input: lines.  Lines before the first empty line are networks for
 * netlist_add() (as exempt_networks entries); the others are client
 * addresses for netlist_match_string() ({client_addr}, with Sendmail's
 * "IPv6:" and brackets); the raw bytes of each line are also matched as a
 * sockaddr.  Checks: a refused network says why in one line; an accepted
 * one has a canonical text that parses again to the same network and its
 * own address matches it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/netlist.h"

#include "fuzz.h"

static void
match_raw(const struct netlist *nl, const char *line, size_t len)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	memcpy(&sin.sin_addr, line, len < 4 ? len : 4);
	(void)netlist_match_sockaddr(nl, (struct sockaddr *)&sin);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	memcpy(&sin6.sin6_addr, line, len < 16 ? len : 16);
	(void)netlist_match_sockaddr(nl, (struct sockaddr *)&sin6);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netlist *nl, *again;
	char *text, *line, *next, err[256], addr[128];
	const char *entry;
	bool networks = true;
	size_t i, before;

	if ((text = fuzz_cstring(data, size, 16384)) == NULL)
		return 0;
	if ((nl = netlist_new()) == NULL) {
		free(text);
		return 0;
	}
	for (line = text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (line[0] == '\0') {
			networks = false;
			continue;
		}
		if (!networks) {
			(void)netlist_match_string(nl, line);
			match_raw(nl, line, strlen(line));
			continue;
		}
		before = netlist_count(nl);
		memset(err, 'X', sizeof(err));
		if (netlist_add(nl, line, err, sizeof(err)) != 0) {
			CHECK(netlist_count(nl) == before);
			CHECK(memchr(err, '\0', sizeof(err)) != NULL);
			CHECK(strchr(err, '\n') == NULL);
			continue;
		}
		CHECK(netlist_count(nl) == before + 1);
		entry = netlist_entry(nl, before);
		CHECK(entry != NULL && strchr(entry, '/') != NULL);
		/* Canonical text round-trips to an equivalent network. */
		CHECK((again = netlist_new()) != NULL);
		CHECK(netlist_add(again, entry, err, sizeof(err)) == 0);
		CHECK(strcmp(netlist_entry(again, 0), entry) == 0);
		/* The network address itself is inside the network. */
		(void)snprintf(addr, sizeof(addr), "%.*s",
		    (int)(strchr(entry, '/') - entry), entry);
		CHECK(netlist_match_string(again, addr));
		CHECK(netlist_match_string(nl, addr));
		netlist_free(again);
	}
	for (i = 0; i < netlist_count(nl); i++)
		CHECK(netlist_entry(nl, i) != NULL);
	CHECK(netlist_entry(nl, netlist_count(nl)) == NULL);
	netlist_free(nl);
	free(text);
	return 0;
}
