/*
 * The options docs/semantics.md lists for each socket of the engine (the
 * tables after "<!-- options: KIND -->") are exactly those the socket
 * accepts: every option listed is taken (get or set answers something
 * other than ENOPROTOOPT), and every other option of the socket's levels
 * that this test knows is refused with ENOPROTOOPT.  An option added to
 * the code without a line in the documentation fails here, and so does a
 * line for an option the code does not take.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/kpi_socket.h>
#include <netinet/ip_divert.h>
#include <netinet6/send.h>
#include <xkpi.h>

#include "tests/lib/xk_test.h"

#ifndef XK_SRCDIR
#error "XK_SRCDIR: the source tree, from the Makefile"
#endif

#define O(l, n)	{ l, n, #n }

/* Every option this test asks each socket about, by level. */
static const struct opt {
	int		 level;
	int		 name;
	const char	*str;
} opts[] = {
	O(IPPROTO_IP, IP_OPTIONS), O(IPPROTO_IP, IP_HDRINCL),
	O(IPPROTO_IP, IP_TOS), O(IPPROTO_IP, IP_TTL),
	O(IPPROTO_IP, IP_RECVOPTS), O(IPPROTO_IP, IP_RETOPTS),
	O(IPPROTO_IP, IP_MULTICAST_IF), O(IPPROTO_IP, IP_MULTICAST_TTL),
	O(IPPROTO_IP, IP_MULTICAST_LOOP), O(IPPROTO_IP, IP_ADD_MEMBERSHIP),
	O(IPPROTO_IP, IP_DROP_MEMBERSHIP), O(IPPROTO_IP, IP_PKTINFO),
	O(IPPROTO_IP, IP_RECVTTL), O(IPPROTO_IP, IP_RECVTOS),
	O(IPPROTO_IP, IP_MTU_DISCOVER), O(IPPROTO_IP, IP_RECVERR),
	O(IPPROTO_IP, IP_FREEBIND), O(IPPROTO_IP, IP_TRANSPARENT),
	O(IPPROTO_IP, IP_MULTICAST_ALL), O(IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP),
	O(IPPROTO_IP, IP_DROP_SOURCE_MEMBERSHIP), O(IPPROTO_IP, IP_BLOCK_SOURCE),
	O(IPPROTO_IP, IP_UNBLOCK_SOURCE), O(IPPROTO_IP, IP_MSFILTER),
	O(IPPROTO_IP, IP_ROUTER_ALERT), O(IPPROTO_IP, IP_PASSSEC),
	O(IPPROTO_IP, IP_ORIGDSTADDR), O(IPPROTO_IP, IP_MINTTL),
	O(IPPROTO_IP, IP_NODEFRAG), O(IPPROTO_IP, IP_CHECKSUM),
	O(IPPROTO_IP, IP_STRIPHDR), O(IPPROTO_IP, IP_RECVDSTADDR),
	O(IPPROTO_IP, IP_RECVIF), O(IPPROTO_IP, IP_DONTFRAG),
	O(IPPROTO_IPV6, IPV6_CHECKSUM), O(IPPROTO_IPV6, IPV6_RECVPKTINFO),
	O(IPPROTO_IPV6, IPV6_RECVHOPLIMIT), O(IPPROTO_IPV6, IPV6_RECVTCLASS),
	O(IPPROTO_IPV6, IPV6_UNICAST_HOPS), O(IPPROTO_IPV6, IPV6_MULTICAST_HOPS),
	O(IPPROTO_IPV6, IPV6_MULTICAST_IF), O(IPPROTO_IPV6, IPV6_MULTICAST_LOOP),
	O(IPPROTO_IPV6, IPV6_JOIN_GROUP), O(IPPROTO_IPV6, IPV6_LEAVE_GROUP),
	O(IPPROTO_IPV6, IPV6_PKTINFO), O(IPPROTO_IPV6, IPV6_V6ONLY),
	O(IPPROTO_IPV6, IPV6_TCLASS), O(IPPROTO_IPV6, IPV6_HOPLIMIT),
	O(IPPROTO_IPV6, IPV6_RECVRTHDR), O(IPPROTO_IPV6, IPV6_RECVHOPOPTS),
	O(IPPROTO_IPV6, IPV6_RECVDSTOPTS), O(IPPROTO_IPV6, IPV6_RTHDR),
	O(IPPROTO_IPV6, IPV6_HOPOPTS), O(IPPROTO_IPV6, IPV6_DSTOPTS),
	O(IPPROTO_IPV6, IPV6_RTHDRDSTOPTS), O(IPPROTO_IPV6, IPV6_NEXTHOP),
	O(IPPROTO_IPV6, IPV6_RECVPATHMTU), O(IPPROTO_IPV6, IPV6_PATHMTU),
	O(IPPROTO_IPV6, IPV6_DONTFRAG), O(IPPROTO_IPV6, IPV6_MTU),
	O(IPPROTO_IPV6, IPV6_MTU_DISCOVER), O(IPPROTO_IPV6, IPV6_RECVERR),
	O(IPPROTO_IPV6, IPV6_ADDRFORM), O(IPPROTO_IPV6, IPV6_2292PKTINFO),
	O(IPPROTO_IPV6, IPV6_2292HOPLIMIT), O(IPPROTO_IPV6, IPV6_AUTOFLOWLABEL),
	O(IPPROTO_IPV6, IPV6_ADDR_PREFERENCES), O(IPPROTO_IPV6, IPV6_MINHOPCOUNT),
	O(IPPROTO_IPV6, IPV6_ROUTER_ALERT), O(IPPROTO_IPV6, IPV6_FREEBIND),
	O(IPPROTO_IPV6, IPV6_TRANSPARENT), O(IPPROTO_IPV6, IPV6_MULTICAST_ALL),
	O(IPPROTO_ICMPV6, ICMP6_FILTER),
	O(SOL_SOCKET, SO_DEBUG), O(SOL_SOCKET, SO_REUSEADDR),
	O(SOL_SOCKET, SO_KEEPALIVE), O(SOL_SOCKET, SO_DONTROUTE),
	O(SOL_SOCKET, SO_BROADCAST), O(SOL_SOCKET, SO_OOBINLINE),
	O(SOL_SOCKET, SO_REUSEPORT), O(SOL_SOCKET, SO_TIMESTAMP),
	O(SOL_SOCKET, SO_SNDBUF), O(SOL_SOCKET, SO_RCVBUF),
	O(SOL_SOCKET, SO_SNDLOWAT), O(SOL_SOCKET, SO_RCVLOWAT),
	O(SOL_SOCKET, SO_SNDTIMEO), O(SOL_SOCKET, SO_RCVTIMEO),
	O(SOL_SOCKET, SO_ERROR), O(SOL_SOCKET, SO_TYPE),
	O(SOL_SOCKET, SO_ACCEPTCONN), O(SOL_SOCKET, SO_LINGER),
	O(SOL_SOCKET, SO_BINDTODEVICE), O(SOL_SOCKET, SO_PRIORITY),
	O(SOL_SOCKET, SO_MARK), O(SOL_SOCKET, SO_PASSCRED),
	O(SOL_SOCKET, SO_PEERCRED), O(SOL_SOCKET, SO_RCVBUFFORCE),
	O(SOL_SOCKET, SO_SNDBUFFORCE), O(SOL_SOCKET, SO_PROTOCOL),
	O(SOL_SOCKET, SO_DOMAIN), O(SOL_SOCKET, SO_TIMESTAMPNS),
	O(SOL_SOCKET, SO_BUSY_POLL), O(SOL_SOCKET, SO_ZEROCOPY),
	O(SOL_SOCKET, SO_NREAD), O(SOL_SOCKET, SO_NOSIGPIPE),
	O(SOL_SOCKET, SO_NOADDRERR), O(SOL_SOCKET, SO_UPCALLCLOSEWAIT),
	O(SOL_SOCKET, SO_DONTTRUNC), O(SOL_SOCKET, SO_TRAFFIC_CLASS),
};

/* The engine's sockets, and the levels each one answers at. */
static const struct kind {
	const char	*name;		/* as in the documentation's marker */
	int		 domain, protocol;
	int		 levels[3];	/* -1 ends (IPPROTO_IP is 0);
					   SOL_SOCKET is section 9's */
} kinds[] = {
	{ "rip", PF_INET, 253, { IPPROTO_IP, -1 } },
	{ "rip6", PF_INET6, IPPROTO_ICMPV6, { IPPROTO_IPV6, IPPROTO_ICMPV6,
	    -1 } },
	{ "divert", PF_INET, IPPROTO_DIVERT, { IPPROTO_IP, -1 } },
	{ "send", PF_INET6, IPPROTO_SEND, { IPPROTO_IP, IPPROTO_IPV6, -1 } },
};

static char *doc;

static int
group_setup(void **state)
{
	FILE *f;
	long n;

	(void)state;
	if ((f = fopen(XK_SRCDIR "/docs/semantics.md", "r")) == NULL) {
		return -1;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	doc = calloc(1, (size_t)n + 1);
	if (doc == NULL || fread(doc, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	free(doc);
	xkpi_shutdown();
	return 0;
}

/*
 * The names in the first column of the table after the marker of @kind,
 * as a newline-separated list with a newline on each side of each name.
 */
static char *
documented(const char *kind)
{
	char marker[64], *out, *p, *o;

	snprintf(marker, sizeof(marker), "<!-- options: %s -->\n", kind);
	if ((p = strstr(doc, marker)) == NULL) {
		fail_msg("docs/semantics.md has no \"%s\"", marker);
	}
	p += strlen(marker);
	out = o = calloc(1, strlen(p) + 2);
	assert_non_null(out);
	*o++ = '\n';
	/* Table lines; the first cell ends at the second '|'. */
	while (*p == '|') {
		char *eol = strchr(p, '\n'), *cell_end = strchr(p + 1, '|');

		if (eol == NULL) {
			eol = p + strlen(p);
		}
		for (char *q = p + 1; cell_end != NULL && q < cell_end; q++) {
			char *e;

			if (*q != '`' || (e = strchr(q + 1, '`')) == NULL ||
			    e > cell_end) {
				continue;
			}
			memcpy(o, q + 1, (size_t)(e - q - 1));
			o += e - q - 1;
			*o++ = '\n';
			q = e;
		}
		p = *eol != '\0' ? eol + 1 : eol;
	}
	return out;
}

static bool
listed(const char *list, const char *name)
{
	char key[64];

	snprintf(key, sizeof(key), "\n%s\n", name);
	return strstr(list, key) != NULL;
}

/* Whether @so takes option @o: an answer other than "no such option". */
static bool
takes(socket_t so, const struct opt *o)
{
	char buf[256];
	int len = sizeof(buf), g, s;

	memset(buf, 0, sizeof(buf));
	g = sock_getsockopt(so, o->level, o->name, buf, &len);
	memset(buf, 0, sizeof(buf));
	s = sock_setsockopt(so, o->level, o->name, buf, sizeof(int));
	/* Set-only options read back EOPNOTSUPP. */
	return g == 0 || s == 0 || g == EOPNOTSUPP;
}

static bool
at_level(const int *levels, int level)
{
	for (; *levels != -1; levels++) {
		if (*levels == level) {
			return true;
		}
	}
	return false;
}

/* Every name listed for @kind (and for "socket") is one this test asks. */
static void
check_known(const char *list, const char *kind)
{
	const char *p = list + 1, *nl;

	for (; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		bool known = false;

		for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
			known |= strlen(opts[i].str) == (size_t)(nl - p) &&
			    strncmp(opts[i].str, p, (size_t)(nl - p)) == 0;
		}
		if (!known) {
			fail_msg("docs/semantics.md lists %.*s for %s: add it to "
			    "opts[] of this test", (int)(nl - p), p, kind);
		}
	}
}

static void
test_documented_options_are_the_accepted_ones(void **state)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "mem",
	    .ifaces = "do0");
	char *sock_list = documented("socket");
	int wrong = 0;

	(void)state;
	xkpi_shutdown();
	assert_int_equal(xkpi_init(&cfg), 0);
	check_known(sock_list, "socket");
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		char *list = documented(kinds[k].name);
		socket_t so;

		check_known(list, kinds[k].name);
		assert_int_equal(sock_socket(kinds[k].domain, SOCK_RAW,
		    kinds[k].protocol, NULL, NULL, &so), 0);
		for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
			const struct opt *o = &opts[i];
			bool doc_says;

			if (o->level == SOL_SOCKET) {
				doc_says = listed(sock_list, o->str);
			} else if (at_level(kinds[k].levels, o->level)) {
				doc_says = listed(list, o->str);
			} else {
				continue;
			}
			if (takes(so, o) != doc_says) {
				print_message("%s: %s is %s but %s\n",
				    kinds[k].name, o->str, doc_says ?
				    "documented" : "not documented",
				    doc_says ? "refused" : "accepted");
				wrong++;
			}
		}
		sock_close(so);
		free(list);
	}
	free(sock_list);
	assert_int_equal(xk_test_wait_sockets(0, 10000), 0);
	assert_int_equal(wrong, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_documented_options_are_the_accepted_ones),
	};

	return cmocka_run_group_tests_name("docopts", tests, group_setup,
	    group_teardown);
}
