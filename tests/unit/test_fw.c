/*
 * The rule table (<xkpi_fw.h>, core/fw.c) over the mem backend: the
 * parser (every word, every error, the table unchanged and one log line
 * naming the word), numbering, the listed text and order, matching on
 * hand-built IPv4 and IPv6 packets through xk_fw_check_locked(), the
 * actions, resume points and counters, XKPI_FW and XKPI_FW_DEFAULT at
 * init, the stats socket's table, and a property test that compares the
 * indexed lookup with a linear reference over random tables and packets.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <sys/kpi_mbuf.h>
#include <xkpi.h>
#include <xkpi_fw.h>
#include <xkpi_mem.h>

#include "core/fw_var.h"
#include "core/if_var.h"
#include "core/mbuf_var.h"
#include "core/socket_var.h"
#include "tests/lib/xk_test.h"

#define P_ICMP	1
#define P_TCP	6
#define P_UDP	17
#define P_ICMP6	58
#define P_GRE	47

/* fw0: 10.0.0.1/24 and 2001:db8::1/64; fw1: 10.0.1.1/24. */
static int
setup(void **state)
{
	struct in_addr a;
	struct in6_addr a6;

	if (xk_test_sock_setup(state) != 0) {
		return -1;
	}
	xkpi_mem_reset();
	assert_int_equal(xkpi_mem_vif_create("fw0", 1500, NULL), 0);
	assert_int_equal(xkpi_mem_vif_create("fw1", 1500, NULL), 0);
	a = xk_test_a4("10.0.0.1");
	assert_int_equal(xkpi_mem_vif_addaddr("fw0", AF_INET, &a, 24), 0);
	a6 = xk_test_a6("2001:db8::1");
	assert_int_equal(xkpi_mem_vif_addaddr("fw0", AF_INET6, &a6, 64), 0);
	a = xk_test_a4("10.0.1.1");
	assert_int_equal(xkpi_mem_vif_addaddr("fw1", AF_INET, &a, 24), 0);
	assert_int_equal(xkpi_fw_flush(), 0);
	return 0;
}

static int
teardown(void **state)
{
	xkpi_fw_flush();
	xkpi_mem_reset();
	return xk_test_sock_teardown(state);
}

/* Packets. */

struct pk {
	uint8_t		 b[256];
	size_t		 len;
};

/*
 * IPv4: @proto with ports @sport/@dport for TCP and UDP (8 bytes of
 * header written for either), @fragoff in 8-byte units, @plen bytes of
 * payload after that.
 */
static void
pk4(struct pk *p, const char *src, const char *dst, uint8_t proto,
    uint16_t sport, uint16_t dport, uint16_t fragoff)
{
	struct in_addr s = xk_test_a4(src), d = xk_test_a4(dst);
	uint8_t *b = p->b;

	memset(p, 0, sizeof(*p));
	p->len = 20 + 20;
	b[0] = 0x45;
	b[2] = 0;
	b[3] = (uint8_t)p->len;
	b[6] = (uint8_t)(fragoff >> 8);
	b[7] = (uint8_t)fragoff;
	b[8] = 64;
	b[9] = proto;
	memcpy(b + 12, &s, 4);
	memcpy(b + 16, &d, 4);
	b[20] = (uint8_t)(sport >> 8);
	b[21] = (uint8_t)sport;
	b[22] = (uint8_t)(dport >> 8);
	b[23] = (uint8_t)dport;
}

/*
 * IPv6, with the extension headers @ext (next-header numbers, each 8
 * bytes long; a Fragment header gets @fragoff) before @proto.
 */
static void
pk6x(struct pk *p, const char *src, const char *dst, const uint8_t *ext,
    size_t next, uint8_t proto, uint16_t sport, uint16_t dport,
    uint16_t fragoff)
{
	struct in6_addr s = xk_test_a6(src), d = xk_test_a6(dst);
	uint8_t *b = p->b;
	size_t off = 40;

	memset(p, 0, sizeof(*p));
	b[0] = 0x60;
	b[6] = next > 0 ? ext[0] : proto;
	b[7] = 64;
	memcpy(b + 8, &s, 16);
	memcpy(b + 24, &d, 16);
	for (size_t i = 0; i < next; i++) {
		b[off] = i + 1 < next ? ext[i + 1] : proto;
		if (ext[i] == IPPROTO_FRAGMENT) {
			b[off + 2] = (uint8_t)((fragoff << 3) >> 8);
			b[off + 3] = (uint8_t)(fragoff << 3);
		} else if (ext[i] == IPPROTO_AH) {
			b[off + 1] = 0;	/* (0 + 2) * 4 = 8 bytes */
		} else {
			b[off + 1] = 0;	/* (0 + 1) * 8 */
		}
		off += 8;
	}
	b[off] = (uint8_t)(sport >> 8);
	b[off + 1] = (uint8_t)sport;
	b[off + 2] = (uint8_t)(dport >> 8);
	b[off + 3] = (uint8_t)dport;
	p->len = off + 20;
	b[4] = (uint8_t)((p->len - 40) >> 8);
	b[5] = (uint8_t)(p->len - 40);
}

static void
pk6(struct pk *p, const char *src, const char *dst, uint8_t proto,
    uint16_t sport, uint16_t dport)
{
	pk6x(p, src, dst, NULL, 0, proto, sport, dport, 0);
}

/*
 * Runs the table over @p as xk_fw_check_locked() sees it, and checks the
 * packet came back unchanged.
 */
static enum xk_fw_action
chk(const struct pk *p, bool out, const char *ifname, uint16_t after,
    struct xk_fw_result *r)
{
	struct xk_fw_result rbuf;
	struct xk_fw_args a = { .fa_out = out, .fa_after = after };
	enum xk_fw_action act;
	uint8_t back[256];
	struct __mbuf *m;

	if (r == NULL) {
		r = &rbuf;
	}
	m = xk_m_devget(p->b, p->len);
	assert_non_null(m);
	a.fa_m = m;
	xk_core_lock();
	a.fa_ifp = ifname != NULL ? xk_if_byname_locked(ifname) : NULL;
	if (ifname != NULL) {
		assert_non_null(a.fa_ifp);
	}
	r->fr_rule = 0xdead;
	r->fr_port = 0xbeef;
	act = xk_fw_check_locked(&a, r);
	xk_core_unlock();
	assert_int_equal(xk_m_length(m), p->len);
	assert_int_equal(xk_m_copydata(m, 0, p->len, back), 0);
	assert_memory_equal(back, p->b, p->len);
	xk_m_freem(m);
	return act;
}

/* The rule number that decided @p (input on fw0); 0: the default. */
static unsigned int
rule_in(const struct pk *p)
{
	struct xk_fw_result r;

	(void)chk(p, false, "fw0", 0, &r);
	return r.fr_rule;
}

static unsigned int
rule_of(const struct pk *p, bool out, const char *ifname)
{
	struct xk_fw_result r;

	(void)chk(p, out, ifname, 0, &r);
	return r.fr_rule;
}

static void
add_ok(const char *rule)
{
	errno_t e = xkpi_fw_add(rule);

	if (e != 0) {
		fail_msg("xkpi_fw_add(\"%s\") = %d", rule, e);
	}
}

/* The table, listed. */

#define MAXROWS	128

struct rows {
	unsigned int	 n;
	unsigned int	 num[MAXROWS];
	char		 text[MAXROWS][256];
	uint64_t	 packets[MAXROWS], bytes[MAXROWS];
};

static void
rows_fn(unsigned int num, const char *text, uint64_t packets,
    uint64_t bytes, void *ctx)
{
	struct rows *r = ctx;

	assert_true(r->n < MAXROWS);
	r->num[r->n] = num;
	snprintf(r->text[r->n], sizeof(r->text[0]), "%s", text);
	r->packets[r->n] = packets;
	r->bytes[r->n] = bytes;
	r->n++;
}

static void
list(struct rows *r)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(xkpi_fw_list(rows_fn, r), 0);
	/* The default rule, always last. */
	assert_true(r->n >= 1);
	assert_int_equal(r->num[r->n - 1], 65535);
}

/* Rule @i of the listing, as "NUM text". */
static const char *
row(const struct rows *r, unsigned int i)
{
	static char buf[300];

	snprintf(buf, sizeof(buf), "%u %s", r->num[i], r->text[i]);
	return buf;
}

/* Parser: every word. */

static void
test_parse_valid(void **state)
{
	static const struct {
		const char	*in;
		const char	*out;	/* "NUM text" */
	} cases[] = {
		{ "100 allow ip from any to any",
		    "100 allow ip from any to any" },
		{ "add 200 accept all from any to any",
		    "200 allow ip from any to any" },
		{ "  300\tpass  ip from any to any  ",
		    "300 allow ip from any to any" },
		{ "310 permit ip from any to any",
		    "310 allow ip from any to any" },
		{ "320 deny ip from any to any",
		    "320 deny ip from any to any" },
		{ "330 drop ip from any to any",
		    "330 deny ip from any to any" },
		{ "340 divert 8668 ip from any to any in via fw0",
		  "340 divert 8668 ip from any to any in via fw0" },
		{ "350 divert natd all from any to any via fw0",
		  "350 divert 8668 ip from any to any via fw0" },
		{ "360 tee 1 ip from any to any",
		    "360 tee 1 ip from any to any" },
		{ "370 tee 65535 ip from any to any",
		    "370 tee 65535 ip from any to any" },
		{ "380 count ip from any to any",
		    "380 count ip from any to any" },
		{ "390 skipto 65535 ip from any to any",
		    "390 skipto 65535 ip from any to any" },
		{ "400 skipto 401 ip from any to any",
		    "400 skipto 401 ip from any to any" },
		{ "410 allow icmp from any to any",
		    "410 allow icmp from any to any" },
		{ "420 allow tcp from any to any",
		    "420 allow tcp from any to any" },
		{ "430 allow udp from any to any",
		    "430 allow udp from any to any" },
		{ "440 allow icmp6 from any to any",
		    "440 allow ipv6-icmp from any to any" },
		{ "450 allow ipv6-icmp from any to any",
		    "450 allow ipv6-icmp from any to any" },
		{ "460 allow ip6 from any to any",
		    "460 allow ip6 from any to any" },
		{ "470 allow ipv6 from any to any",
		    "470 allow ip6 from any to any" },
		{ "480 allow ip4 from any to any",
		    "480 allow ip4 from any to any" },
		{ "490 allow ipv4 from any to any",
		    "490 allow ip4 from any to any" },
		{ "500 allow 47 from any to any",
		    "500 allow 47 from any to any" },
		{ "510 allow 0 from any to any",
		    "510 allow ip from any to any" },
		{ "520 allow 6 from any to any 80",
		    "520 allow tcp from any to any 80" },
		{ "530 allow 17 from any to any",
		    "530 allow udp from any to any" },
		{ "540 allow 1 from any to any",
		    "540 allow icmp from any to any" },
		{ "550 allow 58 from any to any",
		    "550 allow 58 from any to any" },
		{ "560 allow 255 from any to any",
		    "560 allow 255 from any to any" },
		{ "570 allow ip from 10.1.2.3 to 10.1.2.3/32",
		    "570 allow ip from 10.1.2.3 to 10.1.2.3" },
		{ "580 allow ip from 10.1.2.3/8 to 0.0.0.0/0",
		    "580 allow ip from 10.0.0.0/8 to 0.0.0.0/0" },
		{ "590 allow ip from 2001:db8::1/48 to ::1",
		    "590 allow ip from 2001:db8::/48 to ::1" },
		{ "600 allow ip from 2001:DB8::1/128 to any",
		    "600 allow ip from 2001:db8::1 to any" },
		{ "610 allow ip from not 10.0.0.0/8 to not me",
		    "610 allow ip from not 10.0.0.0/8 to not me" },
		{ "620 allow ip from me4 to 10.0.0.0/8",
		    "620 allow ip from me4 to 10.0.0.0/8" },
		{ "625 allow ip from any to me6",
		    "625 allow ip from any to me6" },
		{ "630 allow ip from me to any",
		    "630 allow ip from me to any" },
		{ "640 allow tcp from any 80 to any 1-1023",
		    "640 allow tcp from any 80 to any 1-1023" },
		{ "650 allow udp from any 53,67-68,5353 to any 0-65535",
		  "650 allow udp from any 53,67-68,5353 to any 0-65535" },
		{ "660 allow tcp from any to any src-port 20-21 dst-port 80",
		  "660 allow tcp from any 20-21 to any 80" },
		{ "670 allow ip from any to any via fw0 in",
		    "670 allow ip from any to any in via fw0" },
		{ "680 allow ip from any to any out xmit fw1",
		    "680 allow ip from any to any out xmit fw1" },
		{ "690 allow ip from any to any recv fw1",
		    "690 allow ip from any to any recv fw1" },
		{ "700 allow ip from any to any in recv fw1",
		    "700 allow ip from any to any in recv fw1" },
		{ "710 allow ip from any to any out",
		    "710 allow ip from any to any out" },
		{ "720 allow ip6 from 2001:db8::/32 to any",
		    "720 allow ip6 from 2001:db8::/32 to any" },
		{ "730 allow ip4 from 10.0.0.0/8 to me",
		    "730 allow ip4 from 10.0.0.0/8 to me" },
		{ "740 allow tcp from 10.0.0.0/8 to 10.0.0.1 22 via "
		    "abcdefghijklmno",
		    "740 allow tcp from 10.0.0.0/8 to 10.0.0.1 22 via "
		    "abcdefghijklmno" },
		{ "65534 deny ip from any to any",
		    "65534 deny ip from any to any" },
		{ "1 allow ip from any to any", "1 allow ip from any to any" },
	};
	size_t n = sizeof(cases) / sizeof(cases[0]);
	struct rows r;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		add_ok(cases[i].in);
	}
	list(&r);
	assert_int_equal(r.n, n + 1);
	/* "1" sorts first, the rest are in increasing order, 65534 last. */
	assert_string_equal(row(&r, 0), "1 allow ip from any to any");
	for (size_t i = 0; i + 2 < n; i++) {
		assert_string_equal(row(&r, (unsigned int)i + 1),
		    cases[i].out);
	}
	assert_string_equal(row(&r, (unsigned int)n - 1),
	    "65534 deny ip from any to any");
	assert_string_equal(row(&r, (unsigned int)n),
	    "65535 allow ip from any to any");
	/* Every normalised text parses back to itself. */
	for (unsigned int i = 0; i < n; i++) {
		char again[300];
		struct rows r2;

		assert_int_equal(xkpi_fw_flush(), 0);
		snprintf(again, sizeof(again), "%u %s", r.num[i], r.text[i]);
		add_ok(again);
		list(&r2);
		assert_string_equal(row(&r2, 0), again);
	}
}

static void
test_parse_invalid(void **state)
{
	static const struct {
		const char	*in;
		const char	*word;	/* NULL: "at the end of the rule" */
	} cases[] = {
		{ "", NULL },
		{ "add", NULL },
		{ "100", NULL },
		{ "allow", NULL },
		{ "allw ip from any to any", "allw" },
		{ "add add allow ip from any to any", "add" },
		{ "0 allow ip from any to any", "0" },
		{ "65535 allow ip from any to any", "65535" },
		{ "99999999 allow ip from any to any", "99999999" },
		{ "1e3 allow ip from any to any", "1e3" },
		{ "-5 allow ip from any to any", "-5" },
		{ "reject ip from any to any", "reject" },
		{ "fwd 10.0.0.1 ip from any to any", "fwd" },
		{ "divert ip from any to any", "ip" },
		{ "divert", NULL },
		{ "divert 0 ip from any to any", "0" },
		{ "divert 65536 ip from any to any", "65536" },
		{ "tee x ip from any to any", "x" },
		{ "skipto", NULL },
		{ "skipto ip from any to any", "ip" },
		{ "skipto 0 ip from any to any", "0" },
		{ "skipto 65536 ip from any to any", "65536" },
		{ "100 skipto 100 ip from any to any", "100" },
		{ "100 skipto 50 ip from any to any", "50" },
		{ "allow foo from any to any", "foo" },
		{ "allow 256 from any to any", "256" },
		{ "allow sctp from any to any", "sctp" },
		{ "allow ip to any", "to" },
		{ "allow ip", NULL },
		{ "allow ip from", NULL },
		{ "allow ip from bogus to any", "bogus" },
		{ "allow ip from host.example to any", "host.example" },
		{ "allow ip from 10.0.0 to any", "10.0.0" },
		{ "allow ip from 10.0.0.1/33 to any", "10.0.0.1/33" },
		{ "allow ip from 10.0.0.0/ to any", "10.0.0.0/" },
		{ "allow ip from 10.0.0.0/x to any", "10.0.0.0/x" },
		{ "allow ip from 10.0.0.0:255.0.0.0 to any",
		    "10.0.0.0:255.0.0.0" },
		{ "allow ip from 2001:db8::/129 to any", "2001:db8::/129" },
		{ "allow ip from 2001:db8:::1 to any", "2001:db8:::1" },
		{ "allow ip from {10.0.0.1,10.0.0.2} to any",
		    "{10.0.0.1,10.0.0.2}" },
		{ "allow ip from not any to any", "any" },
		{ "allow ip from not", NULL },
		{ "allow ip from any", NULL },
		{ "allow ip from any from any", "from" },
		{ "allow ip from any to", NULL },
		{ "allow ip from any to not any", "any" },
		{ "allow ip from any 80 to any", "80" },
		{ "allow icmp from any to any 80", "80" },
		{ "allow ip from any to any 80", "80" },
		{ "allow tcp from any 80-70 to any", "80-70" },
		{ "allow tcp from any 65536 to any", "65536" },
		{ "allow tcp from any 80, to any", "80," },
		{ "allow tcp from any ,80 to any", ",80" },
		{ "allow tcp from any 1-2-3 to any", "1-2-3" },
		{ "allow tcp from any 8o to any", "8o" },
		/* 33 ports; the word logged is cut to 60 characters. */
		{ "allow tcp from any to any 1,2,3,4,5,6,7,8,9,10,11,12,13,"
		    "14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,"
		    "33",
		    "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,"
		    "23," },
		{ "allow tcp from any to any 80 90", "90" },
		{ "allow tcp from any to any http", "http" },
		{ "allow ip from any to any in out", "out" },
		{ "allow ip from any to any in in", "in" },
		{ "allow ip from any to any via", NULL },
		{ "allow ip from any to any recv", NULL },
		{ "allow ip from any to any via fw0 recv fw1", "recv" },
		{ "allow ip from any to any via fw0 via fw0", "via" },
		{ "allow ip from any to any via eth*", "eth*" },
		{ "allow ip from any to any via 10.0.0.1", "10.0.0.1" },
		{ "allow ip from any to any xmit fe80::1", "fe80::1" },
		{ "allow ip from any to any via abcdefghijklmnop",
		    "abcdefghijklmnop" },
		{ "allow ip from any to any in xmit fw0", "xmit" },
		{ "allow ip from any to any xmit fw0 in", "xmit" },
		{ "allow ip from any to any out recv fw0", "recv" },
		{ "allow ip from any to any log", "log" },
		{ "allow ip from any to any keep-state", "keep-state" },
		{ "allow tcp from any to any established", "established" },
		{ "allow ip from any to any // comment", "//" },
		{ "allow ip6 from 10.0.0.1 to any", "10.0.0.1" },
		{ "allow ip4 from any to ::1", "::1" },
		{ "allow icmp6 from any to 10.0.0.1", "10.0.0.1" },
		{ "allow ip from 10.0.0.1 to ::1", "::1" },
		{ "allow ip from me6 to 10.0.0.1", "10.0.0.1" },
		{ "allow ip from me4 to me6", "me6" },
		{ "allow ip6 from me4 to any", "me4" },
		{ "allow tcp from any to any dst-port 80 dst-port 81",
		    "dst-port" },
		{ "allow tcp from any to any 80 dst-port 81", "dst-port" },
		{ "allow tcp from any 80 to any src-port 81", "src-port" },
		{ "allow udp from any to any dst-port", NULL },
		{ "allow udp from any to any dst-port x", "x" },
		{ "allow ip from any to any src-port 80", "src-port" },
		/* 69 words: the 65th is named. */
		{ "allow ip from any to any a b c d e f g h i j k l m n o p "
		    "q r s t u v w x y z a b c d e f g h i j k l m n o p q r "
		    "s t u v w x y z a b c d e f g h i j k", "g" },
	};
	struct rows before, after;

	(void)state;
	add_ok("100 count ip from any to any");
	add_ok("200 allow tcp from any to any 80");
	list(&before);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *log, *nl;
		char want[128];
		errno_t e;

		xk_test_log_keep();
		e = xkpi_fw_add(cases[i].in);
		log = xk_test_log_kept();
		if (e != EINVAL) {
			fail_msg("\"%s\": %d, not EINVAL", cases[i].in, e);
		}
		/* Exactly one line, naming the rule and the word. */
		nl = strchr(log, '\n');
		if (nl == NULL || nl[1] != '\0') {
			fail_msg("\"%s\": log \"%s\"", cases[i].in, log);
		}
		if (strncmp(log, "xkpi_fw_add: \"", 14) != 0) {
			fail_msg("\"%s\": log \"%s\"", cases[i].in, log);
		}
		if (cases[i].word != NULL) {
			snprintf(want, sizeof(want), ": '%s'\n", cases[i].word);
		} else {
			snprintf(want, sizeof(want), " at the end of the "
			    "rule\n");
		}
		if (strstr(log, want) == NULL) {
			fail_msg("\"%s\": log \"%s\" lacks \"%s\"",
			    cases[i].in, log, want);
		}
		list(&after);
		assert_int_equal(after.n, before.n);
		for (unsigned int k = 0; k < after.n; k++) {
			assert_string_equal(row(&after, k), row(&before, k));
		}
	}
	assert_int_equal(xkpi_fw_add(NULL), EINVAL);
	assert_int_equal(xkpi_fw_list(NULL, NULL), EINVAL);
}

/* Numbering, deleting, flushing. */

static void
test_numbering(void **state)
{
	struct rows r;

	(void)state;
	add_ok("allow ip from any to any");		/* 100 */
	add_ok("deny ip from any to any");		/* 200 */
	add_ok("150 count ip from any to any");
	add_ok("count tcp from any to any");		/* 300 */
	add_ok("200 tee 5 ip from any to any");		/* after the 200 */
	add_ok("add 200 divert 6 ip from any to any");	/* after that */
	list(&r);
	assert_int_equal(r.n, 7);
	assert_string_equal(row(&r, 0), "100 allow ip from any to any");
	assert_string_equal(row(&r, 1), "150 count ip from any to any");
	assert_string_equal(row(&r, 2), "200 deny ip from any to any");
	assert_string_equal(row(&r, 3), "200 tee 5 ip from any to any");
	assert_string_equal(row(&r, 4), "200 divert 6 ip from any to any");
	assert_string_equal(row(&r, 5), "300 count tcp from any to any");
	/* Delete takes every rule of a number. */
	assert_int_equal(xkpi_fw_delete(200), 0);
	assert_int_equal(xkpi_fw_delete(200), ENOENT);
	assert_int_equal(xkpi_fw_delete(201), ENOENT);
	assert_int_equal(xkpi_fw_delete(0), EINVAL);
	assert_int_equal(xkpi_fw_delete(65535), EINVAL);
	assert_int_equal(xkpi_fw_delete(70000), EINVAL);
	list(&r);
	assert_int_equal(r.n, 4);
	assert_string_equal(row(&r, 2), "300 count tcp from any to any");
	/* Automatic numbers follow the highest, not the last added. */
	add_ok("50 allow ip from any to any");
	add_ok("allow udp from any to any");
	list(&r);
	assert_string_equal(row(&r, 4), "400 allow udp from any to any");
	/* Near the top: 65434 + 100 = 65534 is the last one there is. */
	add_ok("65434 allow ip from any to any");
	add_ok("allow ip from any to any");
	list(&r);
	assert_int_equal(r.num[r.n - 2], 65534);
	xk_test_log_keep();
	assert_int_equal(xkpi_fw_add("allow ip from any to any"), EINVAL);
	assert_non_null(strstr(xk_test_log_kept(),
	    "no rule number left after: '65534'"));
	/* skipto with an automatic number is checked against it. */
	assert_int_equal(xkpi_fw_flush(), 0);
	add_ok("allow ip from any to any");		/* 100 */
	xk_test_log_keep();
	assert_int_equal(xkpi_fw_add("skipto 150 ip from any to any"),
	    EINVAL);				/* 200 > 150 */
	assert_non_null(strstr(xk_test_log_kept(), "'150'"));
	add_ok("skipto 201 ip from any to any");	/* 200 */
	assert_int_equal(xkpi_fw_flush(), 0);
	assert_int_equal(xkpi_fw_flush(), 0);
	list(&r);
	assert_int_equal(r.n, 1);
	assert_string_equal(row(&r, 0), "65535 allow ip from any to any");
	add_ok("allow ip from any to any");
	list(&r);
	assert_int_equal(r.num[0], 100);
}

/* A list callback that changes the table: no lock is held. */
static void
list_reenter_fn(unsigned int num, const char *text, uint64_t packets,
    uint64_t bytes, void *ctx)
{
	int *calls = ctx;

	(void)text;
	(void)packets;
	(void)bytes;
	if (num != 65535) {
		assert_int_equal(xkpi_fw_delete(num), 0);
		add_ok("60000 count ip from any to any");
	}
	(*calls)++;
}

static void
test_list_callback_may_change_table(void **state)
{
	struct rows r;
	int calls = 0;

	(void)state;
	add_ok("10 allow ip from any to any");
	add_ok("20 allow ip from any to any");
	assert_int_equal(xkpi_fw_list(list_reenter_fn, &calls), 0);
	assert_int_equal(calls, 3);	/* the copy: 10, 20, 65535 */
	list(&r);
	assert_int_equal(r.n, 3);
	assert_string_equal(row(&r, 0), "60000 count ip from any to any");
	assert_string_equal(row(&r, 1), "60000 count ip from any to any");
}

/* Matching. */

static void
test_match_addresses(void **state)
{
	struct pk p;

	(void)state;
	add_ok("100 allow ip from 10.0.0.2 to any");
	add_ok("200 allow ip from any to 192.168.0.0/16");
	add_ok("300 allow ip from 172.16.0.0/12 to 172.16.0.0/12");
	add_ok("400 allow ip from 2001:db8:1::/48 to any");
	add_ok("500 allow ip6 from any to 2001:db8:2::9");
	add_ok("600 allow ip from not 10.0.0.0/8 to 10.9.9.9");
	add_ok("700 allow ip from 10.5.0.0/16 to not 10.0.0.0/8");
	add_ok("800 allow ip from me to 10.7.7.7");
	add_ok("900 allow ip from me6 to 2001:db8:7::7");
	add_ok("1000 allow ip from 10.6.0.1 to me4");
	add_ok("1100 allow ip from 0.0.0.0/0 to 10.8.8.8");
	add_ok("1200 deny ip from any to any");

	pk4(&p, "10.0.0.2", "10.1.1.1", P_UDP, 1, 2, 0);
	assert_int_equal(rule_in(&p), 100);
	pk4(&p, "10.0.0.3", "10.1.1.1", P_UDP, 1, 2, 0);
	assert_int_equal(rule_in(&p), 1200);
	pk4(&p, "10.0.0.3", "192.168.200.1", P_UDP, 1, 2, 0);
	assert_int_equal(rule_in(&p), 200);
	pk4(&p, "10.0.0.3", "192.169.0.1", P_UDP, 1, 2, 0);
	assert_int_equal(rule_in(&p), 1200);
	pk4(&p, "172.31.0.1", "172.16.5.5", P_TCP, 1, 2, 0);
	assert_int_equal(rule_in(&p), 300);
	pk4(&p, "172.32.0.1", "172.16.5.5", P_TCP, 1, 2, 0);
	assert_int_equal(rule_in(&p), 1200);
	pk6(&p, "2001:db8:1:ffff::1", "::1", P_UDP, 1, 2);
	assert_int_equal(rule_in(&p), 400);
	pk6(&p, "2001:db8:2::1", "2001:db8:2::9", P_UDP, 1, 2);
	assert_int_equal(rule_in(&p), 500);
	pk6(&p, "2001:db8:2::1", "2001:db8:2::8", P_UDP, 1, 2);
	assert_int_equal(rule_in(&p), 1200);
	/* An IPv4 prefix never matches an IPv6 packet, and `not' flips it. */
	pk4(&p, "11.0.0.1", "10.9.9.9", P_UDP, 1, 2, 0);
	assert_int_equal(rule_in(&p), 600);
	pk4(&p, "10.0.0.9", "10.9.9.9", P_UDP, 1, 2, 0);
	assert_int_equal(rule_in(&p), 1200);
	pk4(&p, "10.5.1.1", "11.0.0.1", P_UDP, 1, 2, 0);
	assert_int_equal(rule_in(&p), 700);
	pk4(&p, "10.5.1.1", "10.0.0.77", P_UDP, 1, 2, 0);
	assert_int_equal(rule_in(&p), 1200);
	/* me: the interfaces' addresses, of both families or one. */
	pk4(&p, "10.0.0.1", "10.7.7.7", P_UDP, 1, 2, 0);
	assert_int_equal(rule_in(&p), 800);
	pk4(&p, "10.0.1.1", "10.7.7.7", P_UDP, 1, 2, 0);	/* fw1's */
	assert_int_equal(rule_in(&p), 800);
	pk4(&p, "10.0.0.2", "10.7.7.7", P_UDP, 1, 2, 0);
	assert_int_equal(rule_in(&p), 100);
	pk4(&p, "10.0.0.3", "10.7.7.7", P_UDP, 1, 2, 0);
	assert_int_equal(rule_in(&p), 1200);
	pk6(&p, "2001:db8::1", "2001:db8:7::7", P_UDP, 1, 2);
	assert_int_equal(rule_in(&p), 900);
	pk6(&p, "2001:db8::2", "2001:db8:7::7", P_UDP, 1, 2);
	assert_int_equal(rule_in(&p), 1200);
	pk4(&p, "10.6.0.1", "10.0.0.1", P_UDP, 1, 2, 0);
	assert_int_equal(rule_in(&p), 1000);
	pk4(&p, "10.6.0.1", "10.0.0.5", P_UDP, 1, 2, 0);
	assert_int_equal(rule_in(&p), 1200);
	/* 0.0.0.0/0 is every IPv4 packet. */
	pk4(&p, "1.2.3.4", "10.8.8.8", P_UDP, 1, 2, 0);
	assert_int_equal(rule_in(&p), 1100);
}

/* An address added after the rule counts for `me'. */
static void
test_match_me_follows_interfaces(void **state)
{
	struct in_addr a = xk_test_a4("10.0.0.50");
	struct pk p;

	(void)state;
	add_ok("100 deny ip from any to me");
	pk4(&p, "1.1.1.1", "10.0.0.50", P_UDP, 1, 2, 0);
	assert_int_equal(rule_in(&p), 0);
	assert_int_equal(xkpi_mem_vif_addaddr("fw0", AF_INET, &a, 24), 0);
	assert_int_equal(chk(&p, false, "fw0", 0, NULL), XK_FW_DENY);
	assert_int_equal(rule_in(&p), 100);
}

static void
test_match_ports(void **state)
{
	static const uint8_t frag[] = { IPPROTO_FRAGMENT };
	struct pk p;

	(void)state;
	add_ok("100 allow tcp from any to any 80");
	add_ok("200 allow udp from any 53 to any");
	add_ok("300 allow tcp from any 1000-1999 to any 22,443,8000-8080");
	add_ok("400 allow tcp from any to any dst-port 25 src-port 7");
	add_ok("500 deny ip from any to any");

	pk4(&p, "1.1.1.1", "2.2.2.2", P_TCP, 5555, 80, 0);
	assert_int_equal(rule_in(&p), 100);
	pk4(&p, "1.1.1.1", "2.2.2.2", P_UDP, 5555, 80, 0);	/* UDP */
	assert_int_equal(rule_in(&p), 500);
	pk4(&p, "1.1.1.1", "2.2.2.2", P_UDP, 53, 9, 0);
	assert_int_equal(rule_in(&p), 200);
	pk4(&p, "1.1.1.1", "2.2.2.2", P_TCP, 53, 9, 0);	/* TCP */
	assert_int_equal(rule_in(&p), 500);
	pk6(&p, "::1", "::2", P_TCP, 5555, 80);
	assert_int_equal(rule_in(&p), 100);
	pk4(&p, "1.1.1.1", "2.2.2.2", P_TCP, 1000, 22, 0);
	assert_int_equal(rule_in(&p), 300);
	pk4(&p, "1.1.1.1", "2.2.2.2", P_TCP, 1999, 443, 0);
	assert_int_equal(rule_in(&p), 300);
	pk4(&p, "1.1.1.1", "2.2.2.2", P_TCP, 1500, 8080, 0);
	assert_int_equal(rule_in(&p), 300);
	pk4(&p, "1.1.1.1", "2.2.2.2", P_TCP, 1500, 8000, 0);
	assert_int_equal(rule_in(&p), 300);
	pk4(&p, "1.1.1.1", "2.2.2.2", P_TCP, 2000, 22, 0);
	assert_int_equal(rule_in(&p), 500);
	pk4(&p, "1.1.1.1", "2.2.2.2", P_TCP, 999, 22, 0);
	assert_int_equal(rule_in(&p), 500);
	pk4(&p, "1.1.1.1", "2.2.2.2", P_TCP, 1500, 7999, 0);
	assert_int_equal(rule_in(&p), 500);
	pk4(&p, "1.1.1.1", "2.2.2.2", P_TCP, 1500, 23, 0);
	assert_int_equal(rule_in(&p), 500);
	pk4(&p, "1.1.1.1", "2.2.2.2", P_TCP, 7, 25, 0);
	assert_int_equal(rule_in(&p), 400);
	pk4(&p, "1.1.1.1", "2.2.2.2", P_TCP, 8, 25, 0);
	assert_int_equal(rule_in(&p), 500);
	/* A later fragment has no ports; the first one has. */
	pk4(&p, "1.1.1.1", "2.2.2.2", P_TCP, 5555, 80, 0x2000);	/* MF */
	assert_int_equal(rule_in(&p), 100);
	pk4(&p, "1.1.1.1", "2.2.2.2", P_TCP, 5555, 80, 1);
	assert_int_equal(rule_in(&p), 500);
	pk6x(&p, "::1", "::2", frag, 1, P_TCP, 5555, 80, 0);
	assert_int_equal(rule_in(&p), 100);
	pk6x(&p, "::1", "::2", frag, 1, P_TCP, 5555, 80, 3);
	assert_int_equal(rule_in(&p), 500);
	/* A header cut before the ports. */
	pk4(&p, "1.1.1.1", "2.2.2.2", P_TCP, 5555, 80, 0);
	p.len = 22;
	assert_int_equal(rule_in(&p), 500);
}

static void
test_match_protocols(void **state)
{
	static const uint8_t hop_dst[] = { IPPROTO_HOPOPTS, IPPROTO_DSTOPTS };
	static const uint8_t rt_ah[] = { IPPROTO_ROUTING, IPPROTO_AH };
	struct pk p;

	(void)state;
	add_ok("100 allow icmp from any to any");
	add_ok("200 allow icmp6 from any to any");
	add_ok("300 allow 47 from any to any");
	add_ok("400 allow tcp from any to any");
	add_ok("500 allow ip6 from any to any");
	add_ok("600 allow ip4 from any to any");
	add_ok("700 deny ip from any to any");

	pk4(&p, "1.1.1.1", "2.2.2.2", P_ICMP, 0, 0, 0);
	assert_int_equal(rule_in(&p), 100);
	pk6(&p, "::1", "::2", P_ICMP6, 0, 0);
	assert_int_equal(rule_in(&p), 200);
	/* icmp6 is IPv6 only; protocol 58 in IPv4 is something else. */
	pk4(&p, "1.1.1.1", "2.2.2.2", P_ICMP6, 0, 0, 0);
	assert_int_equal(rule_in(&p), 600);
	pk4(&p, "1.1.1.1", "2.2.2.2", P_GRE, 0, 0, 0);
	assert_int_equal(rule_in(&p), 300);
	pk6(&p, "::1", "::2", P_GRE, 0, 0);
	assert_int_equal(rule_in(&p), 300);
	pk6(&p, "::1", "::2", P_TCP, 1, 2);
	assert_int_equal(rule_in(&p), 400);
	pk6(&p, "::1", "::2", 99, 1, 2);
	assert_int_equal(rule_in(&p), 500);
	pk4(&p, "1.1.1.1", "2.2.2.2", 99, 0, 0, 0);
	assert_int_equal(rule_in(&p), 600);
	/* Extension headers are walked to the upper layer. */
	pk6x(&p, "::1", "::2", hop_dst, 2, P_TCP, 1, 2, 0);
	assert_int_equal(rule_in(&p), 400);
	pk6x(&p, "::1", "::2", rt_ah, 2, P_ICMP6, 0, 0, 0);
	assert_int_equal(rule_in(&p), 200);
	/* Neither IPv4 nor IPv6: only rules that ask nothing match. */
	pk4(&p, "1.1.1.1", "2.2.2.2", P_ICMP, 0, 0, 0);
	p.b[0] = 0x55;
	assert_int_equal(rule_in(&p), 700);
	p.len = 1;
	assert_int_equal(rule_in(&p), 700);
}

static void
test_match_ports_after_ext_headers(void **state)
{
	static const uint8_t hop_dst[] = { IPPROTO_HOPOPTS, IPPROTO_DSTOPTS };
	struct pk p;

	(void)state;
	add_ok("100 allow udp from any 53 to any 1-10");
	add_ok("200 allow udp from ::1 53 to any 5");
	pk6x(&p, "::1", "::2", hop_dst, 2, P_UDP, 53, 5, 0);
	assert_int_equal(rule_in(&p), 100);
	pk6x(&p, "::1", "::2", hop_dst, 2, P_UDP, 53, 11, 0);
	assert_int_equal(rule_in(&p), 0);
	assert_int_equal(xkpi_fw_delete(100), 0);
	pk6x(&p, "::1", "::2", hop_dst, 2, P_UDP, 53, 5, 0);
	assert_int_equal(rule_in(&p), 200);
}

static void
test_match_direction_interface(void **state)
{
	struct pk p;

	(void)state;
	add_ok("100 allow ip from 1.0.0.1 to any in");
	add_ok("110 allow ip from 1.0.0.1 to any out");
	add_ok("200 allow ip from 1.0.0.2 to any recv fw1");
	add_ok("300 allow ip from 1.0.0.3 to any xmit fw1");
	add_ok("400 allow ip from 1.0.0.4 to any via fw1");
	add_ok("500 allow ip from 1.0.0.5 to any out via fw0");
	add_ok("600 allow ip from 1.0.0.6 to any via abcdefghijklmno");

	pk4(&p, "1.0.0.1", "9.9.9.9", P_UDP, 1, 2, 0);
	assert_int_equal(rule_of(&p, false, "fw0"), 100);
	assert_int_equal(rule_of(&p, true, "fw0"), 110);
	assert_int_equal(rule_of(&p, true, NULL), 110);
	pk4(&p, "1.0.0.2", "9.9.9.9", P_UDP, 1, 2, 0);
	assert_int_equal(rule_of(&p, false, "fw1"), 200);
	assert_int_equal(rule_of(&p, false, "fw0"), 0);
	assert_int_equal(rule_of(&p, true, "fw1"), 0);
	assert_int_equal(rule_of(&p, false, NULL), 0);
	pk4(&p, "1.0.0.3", "9.9.9.9", P_UDP, 1, 2, 0);
	assert_int_equal(rule_of(&p, true, "fw1"), 300);
	assert_int_equal(rule_of(&p, false, "fw1"), 0);
	assert_int_equal(rule_of(&p, true, "fw0"), 0);
	pk4(&p, "1.0.0.4", "9.9.9.9", P_UDP, 1, 2, 0);
	assert_int_equal(rule_of(&p, true, "fw1"), 400);
	assert_int_equal(rule_of(&p, false, "fw1"), 400);
	assert_int_equal(rule_of(&p, false, "fw0"), 0);
	assert_int_equal(rule_of(&p, true, NULL), 0);
	pk4(&p, "1.0.0.5", "9.9.9.9", P_UDP, 1, 2, 0);
	assert_int_equal(rule_of(&p, true, "fw0"), 500);
	assert_int_equal(rule_of(&p, false, "fw0"), 0);
	assert_int_equal(rule_of(&p, true, "fw1"), 0);
	/* A name that does not exist (yet) matches nothing. */
	pk4(&p, "1.0.0.6", "9.9.9.9", P_UDP, 1, 2, 0);
	assert_int_equal(rule_of(&p, true, "fw0"), 0);
}

static void
test_actions_and_resume(void **state)
{
	struct xk_fw_result r;
	struct pk p;

	(void)state;
	add_ok("100 tee 7000 udp from any to any");
	add_ok("200 divert 8668 ip from any to any in");
	add_ok("200 deny tcp from any to any");
	add_ok("300 divert natd ip from any to any");
	add_ok("400 deny ip from any to any");

	pk4(&p, "1.1.1.1", "2.2.2.2", P_UDP, 1, 2, 0);
	assert_int_equal(chk(&p, false, "fw0", 0, &r), XK_FW_TEE);
	assert_int_equal(r.fr_rule, 100);
	assert_int_equal(r.fr_port, htons(7000));
	/* The tee'd packet goes on after 100. */
	assert_int_equal(chk(&p, false, "fw0", 100, &r), XK_FW_DIVERT);
	assert_int_equal(r.fr_rule, 200);
	assert_int_equal(r.fr_port, htons(8668));
	/* Written back with cookie 200: every rule 200 is passed over. */
	assert_int_equal(chk(&p, false, "fw0", 200, &r), XK_FW_DIVERT);
	assert_int_equal(r.fr_rule, 300);
	assert_int_equal(r.fr_port, htons(8668));
	assert_int_equal(chk(&p, false, "fw0", 300, &r), XK_FW_DENY);
	assert_int_equal(r.fr_rule, 400);
	assert_int_equal(r.fr_port, 0);
	/* After the last rule only the default is left. */
	assert_int_equal(chk(&p, false, "fw0", 400, &r), XK_FW_PASS);
	assert_int_equal(r.fr_rule, 0);
	assert_int_equal(r.fr_port, 0);
	assert_int_equal(chk(&p, false, "fw0", 65535, &r), XK_FW_PASS);
	assert_int_equal(r.fr_rule, 0);
	/* Between numbers: the next one up. */
	assert_int_equal(chk(&p, false, "fw0", 150, &r), XK_FW_DIVERT);
	assert_int_equal(r.fr_rule, 200);
	/* Output TCP: the first 200 is input only, the second denies. */
	pk4(&p, "1.1.1.1", "2.2.2.2", P_TCP, 1, 2, 0);
	assert_int_equal(chk(&p, true, "fw0", 0, &r), XK_FW_DENY);
	assert_int_equal(r.fr_rule, 200);
	assert_int_equal(r.fr_port, 0);
	/* allow. */
	add_ok("50 allow tcp from any to any");
	assert_int_equal(chk(&p, true, "fw0", 0, &r), XK_FW_PASS);
	assert_int_equal(r.fr_rule, 50);
	assert_int_equal(r.fr_port, 0);
}

static void
test_skipto_and_count(void **state)
{
	struct xk_fw_result r;
	struct rows rw;
	uint64_t defp, defb;
	struct pk p;

	(void)state;
	/* The default rule's counters live on through flushes. */
	list(&rw);
	defp = rw.packets[0];
	defb = rw.bytes[0];
	add_ok("100 count ip from any to any");
	add_ok("110 count udp from any to any");
	add_ok("200 skipto 1000 udp from any to any 53");
	add_ok("300 deny udp from any to any");
	add_ok("1000 count ip from any to any");
	add_ok("1000 skipto 2000 ip from 10.0.0.0/8 to any");
	add_ok("1500 deny ip from any to any");
	add_ok("2000 divert 9 udp from any to any");
	add_ok("3000 skipto 65535 ip from any to any");

	pk4(&p, "10.1.1.1", "2.2.2.2", P_UDP, 1, 53, 0);	/* 60 bytes */
	p.len = 60;
	assert_int_equal(chk(&p, false, "fw0", 0, &r), XK_FW_DIVERT);
	assert_int_equal(r.fr_rule, 2000);
	assert_int_equal(r.fr_port, htons(9));
	pk4(&p, "11.1.1.1", "2.2.2.2", P_UDP, 1, 53, 0);	/* 40 */
	assert_int_equal(chk(&p, false, "fw0", 0, &r), XK_FW_DENY);
	assert_int_equal(r.fr_rule, 1500);
	pk4(&p, "11.1.1.1", "2.2.2.2", P_UDP, 1, 54, 0);
	assert_int_equal(chk(&p, false, "fw0", 0, &r), XK_FW_DENY);
	assert_int_equal(r.fr_rule, 300);
	/* TCP: counted on 100 and 1000, skipped to the end by 3000. */
	pk4(&p, "11.1.1.1", "2.2.2.2", P_TCP, 1, 53, 0);
	assert_int_equal(chk(&p, false, "fw0", 0, &r), XK_FW_DENY);
	assert_int_equal(r.fr_rule, 1500);
	assert_int_equal(xkpi_fw_delete(1500), 0);
	assert_int_equal(chk(&p, false, "fw0", 0, &r), XK_FW_PASS);
	assert_int_equal(r.fr_rule, 0);
	/* Resuming after 1000 misses both rules 1000. */
	pk4(&p, "10.1.1.1", "2.2.2.2", P_UDP, 1, 53, 0);
	assert_int_equal(chk(&p, false, "fw0", 1000, &r), XK_FW_DIVERT);
	assert_int_equal(r.fr_rule, 2000);

	list(&rw);
	assert_int_equal(rw.n, 9);
	/* 100: all seven packets. */
	assert_string_equal(row(&rw, 0), "100 count ip from any to any");
	assert_int_equal(rw.packets[0], 5);
	assert_int_equal(rw.bytes[0], 60 + 40 + 40 + 40 + 40);
	assert_int_equal(rw.packets[1], 3);	/* 110: UDP from the start */
	assert_int_equal(rw.bytes[1], 140);
	assert_int_equal(rw.packets[2], 2);	/* 200: to port 53 */
	assert_int_equal(rw.packets[3], 1);	/* 300 */
	assert_int_equal(rw.bytes[3], 40);
	assert_string_equal(row(&rw, 4), "1000 count ip from any to any");
	assert_int_equal(rw.packets[4], 4);	/* not the resumed one */
	assert_int_equal(rw.packets[5], 1);	/* skipto 2000 from 10/8 */
	assert_string_equal(row(&rw, 6), "2000 divert 9 udp from any to any");
	assert_int_equal(rw.packets[6], 2);
	assert_int_equal(rw.bytes[6], 60 + 40);
	assert_int_equal(rw.packets[7], 1);	/* 3000: TCP, once 1500 went */
	assert_int_equal(rw.packets[8], defp + 1);	/* the default */
	assert_int_equal(rw.bytes[8], defb + 40);
}

/* Counters: every match, the default's, and flush keeps the default's. */
static void
test_counters(void **state)
{
	struct rows rw;
	uint64_t defp, defb;
	struct pk p;

	(void)state;
	list(&rw);
	defp = rw.packets[0];
	defb = rw.bytes[0];
	add_ok("100 count tcp from any to any");
	add_ok("200 allow tcp from any to any 80");
	pk4(&p, "1.1.1.1", "2.2.2.2", P_TCP, 1, 80, 0);
	for (int i = 0; i < 3; i++) {
		(void)rule_in(&p);
	}
	p.len = 100;
	(void)rule_in(&p);
	pk4(&p, "1.1.1.1", "2.2.2.2", P_UDP, 1, 80, 0);
	(void)rule_in(&p);
	(void)rule_in(&p);
	list(&rw);
	assert_int_equal(rw.n, 3);
	assert_int_equal(rw.packets[0], 4);
	assert_int_equal(rw.bytes[0], 3 * 40 + 100);
	assert_int_equal(rw.packets[1], 4);
	assert_int_equal(rw.bytes[1], 3 * 40 + 100);
	assert_int_equal(rw.packets[2], defp + 2);
	assert_int_equal(rw.bytes[2], defb + 80);
	/* Counters belong to the rule: deleting another keeps them. */
	add_ok("150 count udp from any to any");
	assert_int_equal(xkpi_fw_delete(150), 0);
	list(&rw);
	assert_int_equal(rw.packets[1], 4);
	assert_int_equal(xkpi_fw_flush(), 0);
	list(&rw);
	assert_int_equal(rw.n, 1);
	assert_int_equal(rw.packets[0], defp + 2);
	assert_int_equal(rw.bytes[0], defb + 80);
}

static void
test_active(void **state)
{
	bool active;

	(void)state;
	xk_core_lock();
	active = xk_fw_active_locked();
	xk_core_unlock();
	assert_false(active);
	add_ok("count ip from any to any");
	xk_core_lock();
	active = xk_fw_active_locked();
	xk_core_unlock();
	assert_true(active);
}

/* The environment at init. */

static void
restart_env(const char *fw, const char *def, errno_t want)
{
	xk_test_restart_after();
	xkpi_shutdown();
	if (fw != NULL) {
		setenv("XKPI_FW", fw, 1);
	} else {
		unsetenv("XKPI_FW");
	}
	if (def != NULL) {
		setenv("XKPI_FW_DEFAULT", def, 1);
	} else {
		unsetenv("XKPI_FW_DEFAULT");
	}
	assert_int_equal(xkpi_init(NULL), want);
	unsetenv("XKPI_FW");
	unsetenv("XKPI_FW_DEFAULT");
}

static void
test_env_default_deny(void **state)
{
	struct xk_fw_result r;
	struct rows rw;
	struct pk p;
	bool active;

	(void)state;
	restart_env(NULL, "deny", 0);
	xk_core_lock();
	active = xk_fw_active_locked();
	xk_core_unlock();
	assert_true(active);
	list(&rw);
	assert_int_equal(rw.n, 1);
	assert_string_equal(row(&rw, 0), "65535 deny ip from any to any");
	pk4(&p, "1.1.1.1", "2.2.2.2", P_TCP, 1, 80, 0);
	assert_int_equal(chk(&p, false, NULL, 0, &r), XK_FW_DENY);
	assert_int_equal(r.fr_rule, 0);
	assert_int_equal(r.fr_port, 0);
	add_ok("allow tcp from any to any");
	assert_int_equal(chk(&p, false, NULL, 0, &r), XK_FW_PASS);
	assert_int_equal(r.fr_rule, 100);
	list(&rw);
	assert_int_equal(rw.packets[1], 1);
	/* Shutdown puts allow back. */
	restart_env(NULL, "allow", 0);
	list(&rw);
	assert_int_equal(rw.n, 1);
	assert_string_equal(row(&rw, 0), "65535 allow ip from any to any");
	assert_int_equal(rw.packets[0], 0);
	restart_env(NULL, "", 0);
	list(&rw);
	assert_string_equal(row(&rw, 0), "65535 allow ip from any to any");
	xk_test_log_keep();
	restart_env(NULL, "Deny", EINVAL);
	assert_non_null(strstr(xk_test_log_kept(),
	    "XKPI_FW_DEFAULT=Deny: neither allow nor deny"));
}

static void
test_env_rules(void **state)
{
	struct rows rw;
	const char *log;

	(void)state;
	restart_env(" 10 divert natd ip from any to any via fw0 ;\n"
	    "count tcp from any to any;;  \n allow udp from any to any 53 ;",
	    "deny", 0);
	list(&rw);
	assert_int_equal(rw.n, 4);
	assert_string_equal(row(&rw, 0),
	    "10 divert 8668 ip from any to any via fw0");
	assert_string_equal(row(&rw, 1), "110 count tcp from any to any");
	assert_string_equal(row(&rw, 2), "210 allow udp from any to any 53");
	assert_string_equal(row(&rw, 3), "65535 deny ip from any to any");
	/* A bad rule fails init: none of them goes in, one line names it. */
	xk_test_log_keep();
	restart_env("allow ip from any to any; deny ip frm any to any",
	    "deny", EINVAL);
	log = xk_test_log_kept();
	assert_non_null(strstr(log, "XKPI_FW: \"deny ip frm any to any\": "
	    "expected `from': 'frm'\n"));
	assert_null(strchr(strchr(log, '\n') + 1, '\n'));
	list(&rw);
	assert_int_equal(rw.n, 1);
	assert_string_equal(row(&rw, 0), "65535 allow ip from any to any");
	/* One that cannot be numbered: taken back after the others went in. */
	xk_test_log_keep();
	restart_env("100 allow ip from any to any; 65500 count ip from any "
	    "to any; allow ip from any to any", NULL, EINVAL);
	assert_non_null(strstr(xk_test_log_kept(), "XKPI_FW: \"allow ip "
	    "from any to any\": no rule number left after: '65500'\n"));
	list(&rw);
	assert_int_equal(rw.n, 1);
	/* Rules added before the library starts are kept; XKPI_FW follows. */
	xkpi_shutdown();
	add_ok("5 deny ip from any to any");
	restart_env("allow ip from any to any", NULL, 0);
	list(&rw);
	assert_int_equal(rw.n, 3);
	assert_string_equal(row(&rw, 0), "5 deny ip from any to any");
	assert_string_equal(row(&rw, 1), "105 allow ip from any to any");
	/* Empty: nothing. */
	restart_env(" ; \n ", NULL, 0);
	list(&rw);
	assert_int_equal(rw.n, 1);
}

/* The stats socket serves the table; xkpi-stat prints it. */
static void
test_stats_socket_table(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	static char buf[65536];
	struct pk p;
	size_t have = 0;
	ssize_t n;
	int fd;

	(void)state;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "/tmp/xkpi-fw-%d.sock",
	    (int)getpid());
	xk_test_restart_after();
	xkpi_shutdown();
	setenv("XKPI_STATS_SOCKET", sun.sun_path, 1);
	assert_int_equal(xkpi_init(NULL), 0);
	unsetenv("XKPI_STATS_SOCKET");
	assert_int_equal(xkpi_mem_vif_create("fw0", 1500, NULL), 0);
	add_ok("100 divert 8668 ip from any to any in via fw0");
	pk4(&p, "1.1.1.1", "2.2.2.2", P_TCP, 1, 80, 0);
	(void)rule_in(&p);
	assert_true((fd = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)),
	    0);
	for (int i = 0; i < 1000 && have < sizeof(buf) - 1; i++) {
		if ((n = read(fd, buf + have, sizeof(buf) - 1 - have)) <= 0) {
			break;
		}
		have += (size_t)n;
	}
	buf[have] = '\0';
	close(fd);
	assert_non_null(strstr(buf, "\nfw 100 1 40 divert 8668 ip from any "
	    "to any in via fw0\nfw 65535 0 0 allow ip from any to any\n"));
	/*
	 * The tool, when this build has it (make check builds it; the fault
	 * and valgrind runs need not).
	 */
	if (access("tools/xkpi-stat", X_OK) == 0) {
		char cmd[200];
		FILE *f;

		snprintf(cmd, sizeof(cmd), "tools/xkpi-stat -f %s",
		    sun.sun_path);
		assert_non_null(f = popen(cmd, "r"));
		have = fread(buf, 1, sizeof(buf) - 1, f);
		buf[have] = '\0';
		assert_int_equal(pclose(f), 0);
		assert_string_equal(buf, "rules (number packets bytes rule):\n"
		    "00100          1           40 divert 8668 ip from any to "
		    "any in via fw0\n"
		    "65535          0            0 allow ip from any to any\n");
	} else {
		print_message("tools/xkpi-stat not built: not run\n");
	}
	xkpi_shutdown();
}

/*
 * The property test: random tables and packets, the index against a
 * linear reference written here from the documented semantics.
 */

struct ref_addr {
	int		 kind;		/* 0 any, 1 me, 2 net */
	int		 fam;		/* me: 0, 4, 6; net: 4, 6 */
	int		 plen;
	bool		 not;
	uint8_t		 a[16];
};

struct ref_rule {
	unsigned int	 num;
	int		 act;		/* 0 allow 1 deny 2 divert 3 tee 4 count
					   5 skipto */
	unsigned int	 arg;
	int		 proto;		/* -1 any */
	int		 fam;		/* from the protocol word */
	struct ref_addr	 src, dst;
	int		 nsp, ndp;
	uint16_t	 sp[4][2], dp[4][2];
	int		 dir;		/* 0 any 1 in 2 out */
	int		 ifm;		/* 0 none 1 via 2 recv 3 xmit */
	const char	*ifname;
	uint64_t	 packets, bytes;
};

struct ref_pkt {
	int		 fam;
	int		 proto;
	bool		 ports;
	uint16_t	 sport, dport;
	uint8_t		 src[16], dst[16];
	bool		 out;
	const char	*ifname;
	size_t		 len;
};

static const char *const v4pool[] = { "10.0.0.1", "10.0.0.2", "10.0.1.1",
	"10.1.0.1", "192.168.1.1", "192.168.1.2" };
static const char *const v6pool[] = { "2001:db8::1", "2001:db8::2",
	"2001:db8:1::1", "2001:db8:1:1::1", "fe80::1" };
static const uint16_t portpool[] = { 53, 80, 443, 1000, 1001, 1002, 7 };
static const int protopool[] = { P_ICMP, P_TCP, P_UDP, P_ICMP6, P_GRE };

static uint64_t rng_state;

static unsigned int
rnd(unsigned int n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned int)((rng_state >> 33) % n);
}

static bool
ref_prefix(const uint8_t *net, const uint8_t *a, int plen)
{
	for (int i = 0; i < plen; i++) {
		int bit = 0x80 >> (i % 8);

		if ((net[i / 8] & bit) != (a[i / 8] & bit)) {
			return false;
		}
	}
	return true;
}

/* The interfaces' addresses (setup): what `me' is. */
static bool
ref_local(int fam, const uint8_t *a)
{
	uint8_t x[16];

	if (fam == 4) {
		struct in_addr l1 = xk_test_a4("10.0.0.1"),
		    l2 = xk_test_a4("10.0.1.1");

		return memcmp(a, &l1, 4) == 0 || memcmp(a, &l2, 4) == 0;
	}
	inet_pton(AF_INET6, "2001:db8::1", x);
	return memcmp(a, x, 16) == 0;
}

static bool
ref_addr_match(const struct ref_addr *ra, const struct ref_pkt *p,
    const uint8_t *a)
{
	bool m;

	if (ra->kind == 0) {
		return true;
	}
	if (ra->kind == 1) {
		m = p->fam != 0 && (ra->fam == 0 || ra->fam == p->fam) &&
		    ref_local(p->fam, a);
	} else {
		m = p->fam == ra->fam && ref_prefix(ra->a, a, ra->plen);
	}
	return m != ra->not;
}

static bool
ref_ports(int n, uint16_t (*pr)[2], bool have, uint16_t port)
{
	if (n == 0) {
		return true;
	}
	if (!have) {
		return false;
	}
	for (int i = 0; i < n; i++) {
		if (port >= pr[i][0] && port <= pr[i][1]) {
			return true;
		}
	}
	return false;
}

static bool
ref_match(struct ref_rule *r, const struct ref_pkt *p)
{
	int dir = r->dir;

	if (r->ifm == 2) {
		dir = 1;
	} else if (r->ifm == 3) {
		dir = 2;
	}
	if (r->fam != 0 && r->fam != p->fam) {
		return false;
	}
	if (r->proto >= 0 && (p->fam == 0 || r->proto != p->proto)) {
		return false;
	}
	if ((dir == 1 && p->out) || (dir == 2 && !p->out)) {
		return false;
	}
	if (r->ifm != 0 && (p->ifname == NULL ||
	    strcmp(p->ifname, r->ifname) != 0)) {
		return false;
	}
	return ref_addr_match(&r->src, p, p->src) &&
	    ref_addr_match(&r->dst, p, p->dst) &&
	    ref_ports(r->nsp, r->sp, p->ports, p->sport) &&
	    ref_ports(r->ndp, r->dp, p->ports, p->dport);
}

/* The reference lookup over @rules (in table order). */
static enum xk_fw_action
ref_check(struct ref_rule *rules, int n, const struct ref_pkt *p,
    unsigned int after, struct xk_fw_result *res, bool deny,
    struct ref_rule *def)
{
	int i = 0;

	while (i < n && rules[i].num <= after) {
		i++;
	}
	res->fr_rule = 0;
	res->fr_port = 0;
	while (i < n) {
		struct ref_rule *r = &rules[i];

		if (!ref_match(r, p)) {
			i++;
			continue;
		}
		r->packets++;
		r->bytes += p->len;
		if (r->act == 4) {
			i++;
			continue;
		}
		if (r->act == 5) {
			while (i < n && rules[i].num < r->arg) {
				i++;
			}
			continue;
		}
		res->fr_rule = (uint16_t)r->num;
		if (r->act == 2 || r->act == 3) {
			res->fr_port = htons((uint16_t)r->arg);
		}
		return r->act == 0 ? XK_FW_PASS : r->act == 1 ? XK_FW_DENY :
		    r->act == 2 ? XK_FW_DIVERT : XK_FW_TEE;
	}
	def->packets++;
	def->bytes += p->len;
	return deny ? XK_FW_DENY : XK_FW_PASS;
}

static void
ref_gen_addr(struct ref_addr *a, int fam)
{
	memset(a, 0, sizeof(*a));
	switch (rnd(10)) {
	case 0: case 1: case 2:
		return;				/* any */
	case 3:
		a->kind = 1;
		a->fam = (int)rnd(3) * 2;	/* 0, 2 (me4: 4), 4 (me6) */
		a->fam = a->fam == 2 ? 4 : a->fam == 4 ? 6 : 0;
		if (fam != 0 && a->fam != 0 && a->fam != fam) {
			a->fam = fam;
		}
		break;
	default:
		a->kind = 2;
		a->fam = fam != 0 ? fam : rnd(2) ? 4 : 6;
		if (a->fam == 4) {
			static const int pl[] = { 0, 8, 16, 24, 31, 32, 32 };

			inet_pton(AF_INET, v4pool[rnd(6)], a->a);
			a->plen = pl[rnd(7)];
		} else {
			static const int pl[] = { 0, 32, 48, 64, 127, 128,
			    128 };

			inet_pton(AF_INET6, v6pool[rnd(5)], a->a);
			a->plen = pl[rnd(7)];
		}
		for (int i = a->plen; i < 128; i++) {
			a->a[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
		}
		break;
	}
	a->not = rnd(6) == 0;
}

static int
ref_gen_ports(uint16_t (*pr)[2])
{
	int n = rnd(3) == 0 ? (int)rnd(4) + 1 : 1;

	for (int i = 0; i < n; i++) {
		pr[i][0] = portpool[rnd(7)];
		pr[i][1] = rnd(4) == 0 ? (uint16_t)(pr[i][0] + rnd(3)) :
		    pr[i][0];
	}
	return n;
}

static void
ref_text_addr(char *s, size_t cap, const struct ref_addr *a)
{
	char buf[INET6_ADDRSTRLEN];
	size_t n = strlen(s);

	if (a->not) {
		n += (size_t)snprintf(s + n, cap - n, "not ");
	}
	if (a->kind == 0) {
		snprintf(s + n, cap - n, "any");
	} else if (a->kind == 1) {
		snprintf(s + n, cap - n, "%s", a->fam == 0 ? "me" :
		    a->fam == 4 ? "me4" : "me6");
	} else {
		inet_ntop(a->fam == 4 ? AF_INET : AF_INET6, a->a, buf,
		    sizeof(buf));
		snprintf(s + n, cap - n, "%s/%d", buf, a->plen);
	}
}

static void
ref_text_ports(char *s, size_t cap, int n, uint16_t (*pr)[2])
{
	for (int i = 0; i < n; i++) {
		size_t len = strlen(s);

		snprintf(s + len, cap - len, "%s%u-%u", i == 0 ? " " : ",",
		    pr[i][0], pr[i][1]);
	}
}

/* A random valid rule numbered @num, and its text. */
static void
ref_gen(struct ref_rule *r, unsigned int num, char *s, size_t cap)
{
	static const char *acts[] = { "allow", "deny", "divert", "tee",
	    "count", "skipto" };
	static const char *ifs[] = { "fw0", "fw1", "zz9" };
	int f;

	memset(r, 0, sizeof(*r));
	r->num = num;
	r->act = (int)rnd(6);
	if (r->act == 2 || r->act == 3) {
		r->arg = 1 + rnd(3);
	} else if (r->act == 5) {
		if (num >= 65534) {
			r->act = 4;
		} else {
			r->arg = num + 1 + rnd(600);
			if (r->arg > 65535) {
				r->arg = 65535;
			}
		}
	}
	f = (int)rnd(8);
	r->proto = -1;
	if (f == 1) {
		r->fam = 4;
	} else if (f == 2) {
		r->fam = 6;
	} else if (f == 3) {
		r->proto = P_ICMP6;
		r->fam = 6;
	} else if (f >= 4) {
		r->proto = protopool[rnd(5)];
	}
	ref_gen_addr(&r->src, r->fam);
	{
		int sf = r->src.kind == 0 ? 0 : r->src.fam;

		ref_gen_addr(&r->dst, r->fam != 0 ? r->fam : sf);
		if (sf != 0 && r->dst.kind != 0 && r->dst.fam != 0 &&
		    r->dst.fam != sf) {
			r->dst.fam = sf;	/* me of the other family */
		}
	}
	if (r->proto == P_TCP || r->proto == P_UDP) {
		if (rnd(2)) {
			r->nsp = ref_gen_ports(r->sp);
		}
		if (rnd(2)) {
			r->ndp = ref_gen_ports(r->dp);
		}
	}
	r->dir = (int)rnd(3);
	r->ifm = (int)rnd(4);
	if ((r->dir == 1 && r->ifm == 3) || (r->dir == 2 && r->ifm == 2)) {
		r->ifm = 1;
	}
	r->ifname = ifs[rnd(3)];

	snprintf(s, cap, "%s%u %s", rnd(2) ? "add " : "", num,
	    acts[r->act]);
	if (r->act >= 2 && r->act != 4) {
		size_t n = strlen(s);

		snprintf(s + n, cap - n, " %u", r->arg);
	}
	{
		size_t n = strlen(s);

		if (r->proto < 0) {
			snprintf(s + n, cap - n, " %s", r->fam == 4 ? "ip4" :
			    r->fam == 6 ? "ip6" : "ip");
		} else if (r->fam == 6) {
			snprintf(s + n, cap - n, " icmp6");
		} else {
			snprintf(s + n, cap - n, " %d", r->proto);
		}
	}
	strncat(s, " from ", cap - strlen(s) - 1);
	ref_text_addr(s, cap, &r->src);
	ref_text_ports(s, cap, r->nsp, r->sp);
	strncat(s, " to ", cap - strlen(s) - 1);
	ref_text_addr(s, cap, &r->dst);
	ref_text_ports(s, cap, r->ndp, r->dp);
	if (r->ifm != 0) {
		size_t n = strlen(s);

		snprintf(s + n, cap - n, " %s %s", r->ifm == 1 ? "via" :
		    r->ifm == 2 ? "recv" : "xmit", r->ifname);
	}
	if (r->dir != 0) {
		strncat(s, r->dir == 1 ? " in" : " out", cap - strlen(s) - 1);
	}
}

static void
ref_gen_pkt(struct ref_pkt *rp, struct pk *p)
{
	static const char *ifs[] = { "fw0", "fw1", NULL };
	char src[64], dst[64];

	memset(rp, 0, sizeof(*rp));
	rp->fam = rnd(2) ? 4 : 6;
	rp->proto = protopool[rnd(5)];
	rp->sport = portpool[rnd(7)] + (uint16_t)rnd(2);
	rp->dport = portpool[rnd(7)] + (uint16_t)rnd(2);
	rp->out = rnd(2);
	rp->ifname = ifs[rnd(3)];
	if (rp->fam == 4) {
		snprintf(src, sizeof(src), "%s", v4pool[rnd(6)]);
		snprintf(dst, sizeof(dst), "%s", v4pool[rnd(6)]);
		if (rnd(5) == 0) {
			src[strlen(src) - 1] = '9';	/* x.x.x.9 */
		}
		pk4(p, src, dst, (uint8_t)rp->proto, rp->sport, rp->dport,
		    rnd(6) == 0 ? 1 : 0);
		rp->ports = (rp->proto == P_TCP || rp->proto == P_UDP) &&
		    p->b[7] == 0;
		inet_pton(AF_INET, src, rp->src);
		inet_pton(AF_INET, dst, rp->dst);
	} else {
		snprintf(src, sizeof(src), "%s", v6pool[rnd(5)]);
		snprintf(dst, sizeof(dst), "%s", v6pool[rnd(5)]);
		pk6(p, src, dst, (uint8_t)rp->proto, rp->sport, rp->dport);
		rp->ports = rp->proto == P_TCP || rp->proto == P_UDP;
		inet_pton(AF_INET6, src, rp->src);
		inet_pton(AF_INET6, dst, rp->dst);
	}
	rp->len = p->len;
}

static int
ref_cmp(const void *a, const void *b)
{
	const struct ref_rule *x = a, *y = b;

	return (x->num > y->num) - (x->num < y->num);
}

#define PROP_TABLES	60
#define PROP_PACKETS	150
#define PROP_MAXRULES	120

static void
test_property_index_equals_reference(void **state)
{
	static struct ref_rule rules[PROP_MAXRULES];
	struct ref_rule def;
	uint64_t mismatches = 0, byact[4] = { 0 }, resumed = 0, bydef = 0;

	(void)state;
	rng_state = 0x5eed;
	for (int t = 0; t < PROP_TABLES; t++) {
		int n = 1 + (int)rnd(PROP_MAXRULES);
		unsigned int span = 1 + rnd(3000);
		struct rows rw;

		assert_int_equal(xkpi_fw_flush(), 0);
		memset(&def, 0, sizeof(def));
		list(&rw);
		def.packets = rw.packets[0];
		def.bytes = rw.bytes[0];
		/* Rules with equal numbers stay in insertion order. */
		for (int i = 0; i < n; i++) {
			char text[512];

			ref_gen(&rules[i], 1 + rnd(span), text, sizeof(text));
			if (xkpi_fw_add(text) != 0) {
				fail_msg("valid rule refused: %s", text);
			}
		}
		/* A stable sort by number: insertion order within. */
		for (int i = 1; i < n; i++) {
			for (int j = i; j > 0 && ref_cmp(&rules[j - 1],
			    &rules[j]) > 0; j--) {
				struct ref_rule tmp = rules[j];

				rules[j] = rules[j - 1];
				rules[j - 1] = tmp;
			}
		}
		list(&rw);
		for (int k = 0; k < PROP_PACKETS; k++) {
			struct xk_fw_result got, want;
			enum xk_fw_action ga, wa;
			struct ref_pkt rp;
			unsigned int after;
			struct pk p;

			ref_gen_pkt(&rp, &p);
			after = rnd(4) == 0 ? rules[rnd((unsigned int)n)].num :
			    0;
			ga = chk(&p, rp.out, rp.ifname, (uint16_t)after, &got);
			wa = ref_check(rules, n, &rp, after, &want, false,
			    &def);
			if (want.fr_rule == 0) {
				bydef++;
			} else {
				byact[wa]++;
				resumed += after != 0;
			}
			if (ga != wa || got.fr_rule != want.fr_rule ||
			    got.fr_port != want.fr_port) {
				mismatches++;
				print_message("table %d packet %d: got "
				    "%d/%u/%u want %d/%u/%u\n", t, k, ga,
				    got.fr_rule, got.fr_port, wa,
				    want.fr_rule, want.fr_port);
			}
		}
		list(&rw);
		assert_int_equal(rw.n, n + 1);
		for (int i = 0; i < n; i++) {
			assert_int_equal(rw.num[i], rules[i].num);
			assert_int_equal(rw.packets[i], rules[i].packets);
			assert_int_equal(rw.bytes[i], rules[i].bytes);
		}
		assert_int_equal(rw.packets[n], def.packets);
		assert_int_equal(rw.bytes[n], def.bytes);
	}
	assert_int_equal(mismatches, 0);
	/* The test is worth something: every outcome came up often. */
	for (int a = 0; a < 4; a++) {
		assert_true(byact[a] > PROP_TABLES * PROP_PACKETS / 50);
	}
	assert_true(bydef > PROP_TABLES * PROP_PACKETS / 50);
	assert_true(resumed > PROP_TABLES * PROP_PACKETS / 50);
}

/* Many rules of one shape and a few of others: the index's buckets. */
static void
test_many_rules(void **state)
{
	char text[128];
	struct pk p;

	(void)state;
	for (int i = 0; i < 2000; i++) {
		snprintf(text, sizeof(text), "%d allow udp from 10.%d.%d.1 to "
		    "any %d", i + 1, i / 250, i % 250, 1000 + i % 7);
		add_ok(text);
	}
	add_ok("count udp from any to any 53");		/* 2100 */
	add_ok("divert 99 udp from 10.7.7.7 to any 53");	/* 2200 */
	add_ok("allow udp from 10.7.7.7 to any 53");
	pk4(&p, "10.7.7.7", "2.2.2.2", P_UDP, 1, 53, 0);
	assert_int_equal(rule_in(&p), 2200);
	pk4(&p, "10.1.0.1", "2.2.2.2", P_UDP, 1, 1000 + 250 % 7, 0);
	assert_int_equal(rule_in(&p), 251);
	pk4(&p, "10.1.0.1", "2.2.2.2", P_UDP, 1, 1000, 0);
	assert_int_equal(rule_in(&p), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_parse_valid),
		T(test_parse_invalid),
		T(test_numbering),
		T(test_list_callback_may_change_table),
		T(test_match_addresses),
		T(test_match_me_follows_interfaces),
		T(test_match_ports),
		T(test_match_protocols),
		T(test_match_ports_after_ext_headers),
		T(test_match_direction_interface),
		T(test_actions_and_resume),
		T(test_skipto_and_count),
		T(test_counters),
		T(test_active),
		T(test_env_default_deny),
		T(test_env_rules),
		T(test_stats_socket_table),
		T(test_property_index_equals_reference),
		T(test_many_rules),
	};

	return cmocka_run_group_tests_name("fw", tests, NULL,
	    xk_test_sock_group_teardown);
}
