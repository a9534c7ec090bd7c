/*
 * check_netlist.c - unit tests of the CIDR lists (netlist.c): parsing of
 * IPv4/IPv6 networks and bare addresses, refusal of host bits, bad
 * prefixes and garbage, and matching of string and sockaddr client
 * addresses (IPv4-mapped IPv6, Sendmail's "IPv6:" prefix, [brackets]).
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "lib/netlist.h"
#include "unit.h"

static struct netlist *nl;
static char err[256];

static void
setup(void)
{
	nl = netlist_new();
	ck_assert_ptr_nonnull(nl);
	err[0] = '\0';
}

static void
teardown(void)
{
	netlist_free(nl);
	nl = NULL;
}

static void
add_ok(const char *spec)
{
	size_t before = netlist_count(nl);

	ck_assert_msg(netlist_add(nl, spec, err, sizeof(err)) == 0,
	    "netlist_add(\"%s\") failed: %s", spec, err);
	ck_assert_uint_eq(netlist_count(nl), before + 1);
}

static bool
match_sa(const char *addr)
{
	struct sockaddr_storage ss;

	return netlist_match_sockaddr(nl, unit_sockaddr(addr, &ss));
}

/* --- adding networks ------------------------------------------------------ */

START_TEST(ipv4_cidr)
{
	add_ok("192.0.2.0/24");
	ck_assert_str_eq(netlist_entry(nl, 0), "192.0.2.0/24");
	ck_assert(netlist_match_string(nl, "192.0.2.0"));
	ck_assert(netlist_match_string(nl, "192.0.2.1"));
	ck_assert(netlist_match_string(nl, "192.0.2.255"));
	ck_assert(!netlist_match_string(nl, "192.0.3.0"));
	ck_assert(!netlist_match_string(nl, "192.0.1.255"));
	ck_assert(!netlist_match_string(nl, "10.0.2.1"));
}
END_TEST

START_TEST(ipv4_odd_prefix)
{
	add_ok("198.51.100.128/25");
	add_ok("10.0.0.0/7");		/* 10/7 = 10.0.0.0 - 11.255.255.255 */
	ck_assert(netlist_match_string(nl, "198.51.100.128"));
	ck_assert(netlist_match_string(nl, "198.51.100.200"));
	ck_assert(!netlist_match_string(nl, "198.51.100.127"));
	ck_assert(netlist_match_string(nl, "11.255.255.255"));
	ck_assert(!netlist_match_string(nl, "12.0.0.0"));
	ck_assert(!netlist_match_string(nl, "9.255.255.255"));
}
END_TEST

START_TEST(ipv4_bare_address)
{
	add_ok("203.0.113.7");
	ck_assert_str_eq(netlist_entry(nl, 0), "203.0.113.7/32");
	ck_assert(netlist_match_string(nl, "203.0.113.7"));
	ck_assert(!netlist_match_string(nl, "203.0.113.6"));
	ck_assert(!netlist_match_string(nl, "203.0.113.8"));
}
END_TEST

START_TEST(ipv6_cidr)
{
	add_ok("2001:db8::/32");
	ck_assert_str_eq(netlist_entry(nl, 0), "2001:db8::/32");
	ck_assert(netlist_match_string(nl, "2001:db8::1"));
	ck_assert(netlist_match_string(nl, "2001:DB8:ffff:ffff::1"));
	ck_assert(!netlist_match_string(nl, "2001:db9::1"));
	ck_assert(!netlist_match_string(nl, "2001:db7:ffff::1"));
	ck_assert(!netlist_match_string(nl, "192.0.2.1"));
}
END_TEST

START_TEST(ipv6_odd_prefix)
{
	add_ok("2001:db8:abcd:8000::/49");
	ck_assert(netlist_match_string(nl, "2001:db8:abcd:8000::1"));
	ck_assert(netlist_match_string(nl, "2001:db8:abcd:ffff::1"));
	ck_assert(!netlist_match_string(nl, "2001:db8:abcd:7fff::1"));
}
END_TEST

START_TEST(ipv6_bare_address)
{
	add_ok("2001:db8::1");
	ck_assert_str_eq(netlist_entry(nl, 0), "2001:db8::1/128");
	ck_assert(netlist_match_string(nl, "2001:db8::1"));
	ck_assert(netlist_match_string(nl, "2001:db8:0:0:0:0:0:1"));
	ck_assert(!netlist_match_string(nl, "2001:db8::2"));
	add_ok("::1/128");
	ck_assert(netlist_match_string(nl, "::1"));
	ck_assert(!netlist_match_string(nl, "::2"));
}
END_TEST

START_TEST(ipv4_slash_zero)
{
	add_ok("0.0.0.0/0");
	ck_assert_str_eq(netlist_entry(nl, 0), "0.0.0.0/0");
	ck_assert(netlist_match_string(nl, "0.0.0.0"));
	ck_assert(netlist_match_string(nl, "255.255.255.255"));
	ck_assert(netlist_match_string(nl, "::ffff:8.8.8.8"));
	/* Every IPv4 address, but no native IPv6 address. */
	ck_assert(!netlist_match_string(nl, "2001:db8::1"));
	ck_assert(!netlist_match_string(nl, "::1"));
	ck_assert(!match_sa("2001:db8::1"));
	ck_assert(match_sa("8.8.8.8"));
}
END_TEST

START_TEST(ipv6_slash_zero)
{
	add_ok("::/0");
	ck_assert(netlist_match_string(nl, "2001:db8::1"));
	ck_assert(netlist_match_string(nl, "::"));
	ck_assert(netlist_match_string(nl, "192.0.2.1"));
	ck_assert(match_sa("192.0.2.1"));
	ck_assert(match_sa("fe80::1"));
}
END_TEST

START_TEST(slash_32_and_128)
{
	add_ok("192.0.2.9/32");
	add_ok("2001:db8::9/128");
	ck_assert(netlist_match_string(nl, "192.0.2.9"));
	ck_assert(!netlist_match_string(nl, "192.0.2.8"));
	ck_assert(netlist_match_string(nl, "2001:db8::9"));
	ck_assert(!netlist_match_string(nl, "2001:db8::8"));
}
END_TEST

START_TEST(several_entries)
{
	add_ok("127.0.0.0/8");
	add_ok("::1/128");
	add_ok("192.0.2.0/24");
	ck_assert_uint_eq(netlist_count(nl), 3);
	ck_assert_str_eq(netlist_entry(nl, 0), "127.0.0.0/8");
	ck_assert_str_eq(netlist_entry(nl, 1), "::1/128");
	ck_assert_str_eq(netlist_entry(nl, 2), "192.0.2.0/24");
	ck_assert_ptr_null(netlist_entry(nl, 3));
	ck_assert(netlist_match_string(nl, "127.1.2.3"));
	ck_assert(netlist_match_string(nl, "::1"));
	ck_assert(netlist_match_string(nl, "192.0.2.77"));
	ck_assert(!netlist_match_string(nl, "128.0.0.1"));
}
END_TEST

START_TEST(empty_list_matches_nothing)
{
	ck_assert_uint_eq(netlist_count(nl), 0);
	ck_assert(!netlist_match_string(nl, "127.0.0.1"));
	ck_assert(!match_sa("127.0.0.1"));
	ck_assert(!match_sa("::1"));
	ck_assert(!netlist_match_string(NULL, "127.0.0.1"));
	ck_assert_uint_eq(netlist_count(NULL), 0);
	netlist_free(NULL);		/* no crash */
}
END_TEST

/* --- refused networks ----------------------------------------------------- */

struct bad_net {
	const char	*spec;
	const char	*msg;	/* substring of the error */
};

static const struct bad_net bad_nets[] = {
	/* host bits beyond the prefix */
	{ "192.0.2.1/24", "host bits" },
	{ "192.0.2.128/24", "host bits" },
	{ "10.0.0.0/6", "host bits" },
	{ "0.0.0.1/0", "host bits" },
	{ "2001:db8::1/64", "host bits" },
	{ "2001:db8::/16", "host bits" },
	{ "::1/0", "host bits" },
	/* prefixes */
	{ "10.0.0.0/33", "prefix length must be 0..32" },
	{ "2001:db8::/129", "prefix length must be 0..128" },
	{ "10.0.0.0/", "prefix length" },
	{ "10.0.0.0/-1", "prefix length" },
	{ "10.0.0.0/+8", "prefix length" },
	{ "10.0.0.0/a", "prefix length" },
	{ "10.0.0.0/8/8", "prefix length" },
	{ "10.0.0.0/ 8", "prefix length" },
	{ "10.0.0.0/8 ", "prefix length" },
	{ "10.0.0.0/1000", "prefix length" },
	{ "10.0.0.0/0x8", "prefix length" },
	{ "2001:db8::/", "prefix length" },
	/* garbage */
	{ "", "not an IPv4 or IPv6 network" },
	{ "garbage", "not an IPv4 or IPv6 network" },
	{ "/8", "not an IPv4 or IPv6 network" },
	{ "10.0.0", "not an IPv4 or IPv6 network" },
	{ "10.0.0.0.0", "not an IPv4 or IPv6 network" },
	{ "256.0.0.0/8", "not an IPv4 or IPv6 network" },
	{ " 10.0.0.0/8", "not an IPv4 or IPv6 network" },
	{ "10.0.0.0 /8", "not an IPv4 or IPv6 network" },
	{ "localhost", "not an IPv4 or IPv6 network" },
	{ "[::1]", "not an IPv4 or IPv6 network" },
	{ "IPv6:::1", "not an IPv4 or IPv6 network" },
	{ "2001:db8:::/48", "not an IPv4 or IPv6 network" },
	{ "fe80::1%eth0", "not an IPv4 or IPv6 network" },
	{ "1.2.3.4:25", "not an IPv4 or IPv6 network" },
	{ "0x7f000001", "not an IPv4 or IPv6 network" },
	{ "2001:0db8:0000:0000:0000:0000:0000:0000:0000/32", "" },
	{ "1111111111111111111111111111111111111111111111111111111111111111"
	    "11111111", "too long" },
};

START_TEST(refused)
{
	const struct bad_net *b = &bad_nets[_i];

	add_ok("198.51.100.0/24");
	err[0] = '\0';
	ck_assert_msg(netlist_add(nl, b->spec, err, sizeof(err)) == -1,
	    "\"%s\" was accepted", b->spec);
	ck_assert_msg(strstr(err, b->msg) != NULL, "\"%s\": error \"%s\" "
	    "lacks \"%s\"", b->spec, err, b->msg);
	ck_assert_str_ne(err, "");
	/* A refused network leaves the list as it was. */
	ck_assert_uint_eq(netlist_count(nl), 1);
	ck_assert_str_eq(netlist_entry(nl, 0), "198.51.100.0/24");
	ck_assert(netlist_match_string(nl, "198.51.100.1"));
}
END_TEST

START_TEST(error_names_the_network)
{
	ck_assert_int_eq(netlist_add(nl, "192.0.2.1/24", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "\"192.0.2.1/24\""));
	ck_assert_ptr_nonnull(strstr(err, "/24"));
	ck_assert_int_eq(netlist_add(nl, "nonsense", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "\"nonsense\""));
}
END_TEST

/*
 * Regression, fixed (netlist.c, netlist_add/parse_address): a network written in IPv6
 * notation with an IPv4-mapped address is given an IPv4 prefix length:
 * "::ffff:192.0.2.0/120" (the IPv6 spelling of 192.0.2.0/24) is refused
 * with "prefix length must be 0..32", "::ffff:0:0/96" (every mapped
 * address) likewise, and "::ffff:192.0.2.0/24" is silently read as the
 * /120 it is not.  Expected: an address written in IPv6 syntax takes an
 * IPv6 prefix (0..128).
 */
START_TEST(mapped_ipv6_prefix)
{
	ck_assert_msg(netlist_add(nl, "::ffff:192.0.2.0/120", err,
	    sizeof(err)) == 0, "regression: \"::ffff:192.0.2.0/120\" refused: %s",
	    err);
	ck_assert(netlist_match_string(nl, "192.0.2.200"));
	ck_assert(!netlist_match_string(nl, "192.0.3.1"));
	ck_assert_msg(netlist_add(nl, "::ffff:0:0/96", err, sizeof(err)) == 0,
	    "regression: \"::ffff:0:0/96\" refused: %s", err);
	ck_assert(netlist_match_string(nl, "8.8.8.8"));
	ck_assert(!netlist_match_string(nl, "2001:db8::1"));
}
END_TEST

/* --- matching ------------------------------------------------------------- */

START_TEST(mapped_client_matches_ipv4_network)
{
	add_ok("192.0.2.0/24");
	ck_assert(netlist_match_string(nl, "::ffff:192.0.2.9"));
	ck_assert(netlist_match_string(nl, "::FFFF:192.0.2.9"));
	ck_assert(!netlist_match_string(nl, "::ffff:192.0.3.9"));
	/* Not mapped: the IPv4-compatible form is another address. */
	ck_assert(!netlist_match_string(nl, "::192.0.2.9"));
	ck_assert(!netlist_match_string(nl, "64:ff9b::192.0.2.9"));
	ck_assert(match_sa("::ffff:192.0.2.9"));
	ck_assert(!match_sa("::ffff:192.0.3.9"));
}
END_TEST

START_TEST(ipv4_client_does_not_match_ipv6_network)
{
	add_ok("2001:db8::/32");
	add_ok("::/96");		/* IPv4-compatible block, not mapped */
	ck_assert(!netlist_match_string(nl, "192.0.2.1"));
	ck_assert(!match_sa("192.0.2.1"));
	ck_assert(!match_sa("0.0.0.1"));
}
END_TEST

START_TEST(string_forms)
{
	add_ok("2001:db8::/32");
	add_ok("192.0.2.0/24");
	ck_assert(netlist_match_string(nl, "IPv6:2001:db8::5"));
	ck_assert(netlist_match_string(nl, "ipv6:2001:db8::5"));
	ck_assert(netlist_match_string(nl, "IPV6:2001:DB8::5"));
	ck_assert(netlist_match_string(nl, "[2001:db8::5]"));
	ck_assert(netlist_match_string(nl, "IPv6:[2001:db8::5]"));
	ck_assert(netlist_match_string(nl, "[192.0.2.5]"));
	ck_assert(netlist_match_string(nl, "IPv6:::ffff:192.0.2.5"));
	ck_assert(!netlist_match_string(nl, "IPv6:2001:db9::5"));
	ck_assert(!netlist_match_string(nl, "[192.0.3.5]"));
}
END_TEST

START_TEST(string_garbage_matches_nothing)
{
	add_ok("::/0");			/* would match any parsable address */
	ck_assert(!netlist_match_string(nl, NULL));
	ck_assert(!netlist_match_string(nl, ""));
	ck_assert(!netlist_match_string(nl, "garbage"));
	ck_assert(!netlist_match_string(nl, "[]"));
	ck_assert(!netlist_match_string(nl, "["));
	ck_assert(!netlist_match_string(nl, "IPv6:"));
	ck_assert(!netlist_match_string(nl, "IPv6:[]"));
	ck_assert(!netlist_match_string(nl, "unknown"));
	ck_assert(!netlist_match_string(nl, "192.0.2.1/24"));
	ck_assert(!netlist_match_string(nl, "192.0.2"));
	ck_assert(!netlist_match_string(nl, " 192.0.2.1"));
	ck_assert(!netlist_match_string(nl, "fe80::1%eth0"));
	ck_assert(!netlist_match_string(nl,
	    "1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb"));
}
END_TEST

START_TEST(sockaddr_matching)
{
	add_ok("192.0.2.0/24");
	add_ok("2001:db8:1::/48");
	ck_assert(match_sa("192.0.2.1"));
	ck_assert(!match_sa("192.0.3.1"));
	ck_assert(match_sa("2001:db8:1:ffff::1"));
	ck_assert(!match_sa("2001:db8:2::1"));
	ck_assert(match_sa("::ffff:192.0.2.250"));
}
END_TEST

START_TEST(sockaddr_other_families)
{
	struct sockaddr_un sun;
	struct sockaddr sa;

	add_ok("::/0");
	add_ok("0.0.0.0/0");
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	(void)snprintf(sun.sun_path, sizeof(sun.sun_path), "/run/x.sock");
	ck_assert(!netlist_match_sockaddr(nl, (struct sockaddr *)&sun));
	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNSPEC;
	ck_assert(!netlist_match_sockaddr(nl, &sa));
	ck_assert(!netlist_match_sockaddr(nl, NULL));
	ck_assert(!netlist_match_sockaddr(NULL, &sa));
}
END_TEST

START_TEST(every_prefix_length_ipv4)
{
	/* For each /n, the network of 203.0.113.77 matches it, and flipping
	 * the last network bit does not. */
	unsigned int n;
	uint32_t a = 0xcb00714dU;	/* 203.0.113.77 */

	for (n = 1; n <= 32; n++) {
		uint32_t mask = n == 32 ? 0xffffffffU : ~(0xffffffffU >> n);
		uint32_t net = a & mask, other = a ^ (1U << (32 - n));
		struct in_addr ia;
		char spec[64], addr[INET_ADDRSTRLEN], oth[INET_ADDRSTRLEN];

		ia.s_addr = htonl(net);
		(void)inet_ntop(AF_INET, &ia, addr, sizeof(addr));
		(void)snprintf(spec, sizeof(spec), "%s/%u", addr, n);
		netlist_free(nl);
		nl = netlist_new();
		add_ok(spec);
		ia.s_addr = htonl(a);
		(void)inet_ntop(AF_INET, &ia, addr, sizeof(addr));
		ia.s_addr = htonl(other);
		(void)inet_ntop(AF_INET, &ia, oth, sizeof(oth));
		ck_assert_msg(netlist_match_string(nl, addr), "%s !~ %s", addr,
		    spec);
		ck_assert_msg(!netlist_match_string(nl, oth), "%s ~ %s", oth,
		    spec);
	}
}
END_TEST

START_TEST(every_prefix_length_ipv6)
{
	unsigned int n, i;
	unsigned char a[16], net[16], other[16];
	char spec[80], s[INET6_ADDRSTRLEN], o[INET6_ADDRSTRLEN];

	ck_assert_int_eq(inet_pton(AF_INET6,
	    "2001:db8:a5a5:5a5a:ffff:1234:8765:abcd", a), 1);
	for (n = 1; n <= 128; n++) {
		for (i = 0; i < 16; i++) {
			unsigned int bits = n > i * 8 ? n - i * 8 : 0;
			unsigned char mask = bits >= 8 ? 0xff :
			    (unsigned char)(0xff << (8 - bits));

			net[i] = a[i] & mask;
		}
		memcpy(other, a, 16);
		other[(n - 1) / 8] ^= (unsigned char)(0x80 >> ((n - 1) % 8));
		(void)inet_ntop(AF_INET6, net, s, sizeof(s));
		(void)snprintf(spec, sizeof(spec), "%s/%u", s, n);
		netlist_free(nl);
		nl = netlist_new();
		add_ok(spec);
		(void)inet_ntop(AF_INET6, a, s, sizeof(s));
		(void)inet_ntop(AF_INET6, other, o, sizeof(o));
		ck_assert_msg(netlist_match_string(nl, s), "%s !~ %s", s, spec);
		ck_assert_msg(!netlist_match_string(nl, o), "%s ~ %s", o, spec);
	}
}
END_TEST

static Suite *
netlist_suite(void)
{
	Suite *s = suite_create("netlist");
	TCase *tc;

	tc = tcase_create("add");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, ipv4_cidr);
	tcase_add_test(tc, ipv4_odd_prefix);
	tcase_add_test(tc, ipv4_bare_address);
	tcase_add_test(tc, ipv6_cidr);
	tcase_add_test(tc, ipv6_odd_prefix);
	tcase_add_test(tc, ipv6_bare_address);
	tcase_add_test(tc, ipv4_slash_zero);
	tcase_add_test(tc, ipv6_slash_zero);
	tcase_add_test(tc, slash_32_and_128);
	tcase_add_test(tc, several_entries);
	tcase_add_test(tc, empty_list_matches_nothing);
	tcase_add_test(tc, every_prefix_length_ipv4);
	tcase_add_test(tc, every_prefix_length_ipv6);
	suite_add_tcase(s, tc);

	tc = tcase_create("refused");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, refused, 0,
	    (int)(sizeof(bad_nets) / sizeof(bad_nets[0])));
	tcase_add_test(tc, error_names_the_network);
	tcase_add_test(tc, mapped_ipv6_prefix);
	suite_add_tcase(s, tc);

	tc = tcase_create("match");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, mapped_client_matches_ipv4_network);
	tcase_add_test(tc, ipv4_client_does_not_match_ipv6_network);
	tcase_add_test(tc, string_forms);
	tcase_add_test(tc, string_garbage_matches_nothing);
	tcase_add_test(tc, sockaddr_matching);
	tcase_add_test(tc, sockaddr_other_families);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(netlist_suite());
}
