/*
 * Accounting: every packet injected over mem ends delivered or in a named
 * counter of xkpi_stats(), one counter per packet, and every copy a raw
 * socket could not take is counted too.  A million packets (by default;
 * XK_ACCOUNTING_PACKETS chooses, and runs under valgrind or a sanitizer
 * take fewer), well-formed and malformed mixed (bad versions, short
 * headers, bad header lengths and checksums, bad lengths, fragments good
 * and bad, ICMPv6 with bad checksums, TCP/UDP, not for this host), each
 * kind matched by several raw sockets with small receive buffers and a
 * slow reader, so that copies fail and whole packets find no room.
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
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>
#include <xkpi.h>
#include <xkpi_mem.h>

#include "backends/backend.h"
#include "core/ip_var.h"
#include "core/mbuf_var.h"
#include "tests/lib/xk_test.h"

#define IFNAME		"ac0"
#define PROTO_EXP	253	/* RFC 3692 experimentation: 3 v4, 2 v6 sockets */
#define PROTO_NONE	252	/* no socket */
#define DEFAULT_PACKETS	1000000
#define SMALL_PACKETS	100000	/* under valgrind */
#define SAN_PACKETS	250000	/* under ASan or TSan */
/* Liveness: no progress for this long fails. */
#define STALL_MS	XK_TEST_WAIT_MS
#define RXQ_LIMIT	4096	/* the mem receive queue, packets */

/* The kinds of packet injected; a fragment pair counts as two packets. */
enum kind {
	K4_OK,		/* delivered to 3 sockets, or counted */
	K4_NOPROTO,
	K4_BADVERS,	/* neither 4 nor 6: ip.badfamily */
	K4_SHORT,	/* ip.drop.toosmall */
	K4_BADHLEN,
	K4_BADSUM,
	K4_BADLEN,	/* ip_len under the header */
	K4_TRUNC,	/* ip_len past the end */
	K4_NOTFORUS,
	K4_UDP,		/* ip.hostproto */
	K4_FRAGS,	/* a good pair: reassembled, 3 sockets */
	K4_BADFRAG,	/* more fragments, odd length: ip.frag.dropped */
	K6_OK,		/* 2 sockets of PROTO_EXP */
	K6_ICMP,	/* 2 ICMPv6 sockets */
	K6_ICMP_BADSUM,	/* each ICMPv6 socket skips it: noproto */
	K6_NOPROTO,
	K6_SHORT,
	K6_TRUNC,
	K6_BADEXT,	/* a cut extension header */
	K6_NOTFORUS,
	K6_TCP,		/* ip.hostproto */
	K6_FRAGS,
	K6_BADFRAG,
	K_COUNT
};

struct ctrs {
	int		 n;
	struct {
		char		 name[96];
		uint64_t	 value;
	}		 c[1024];
};

static void
snap_cb(const char *name, uint64_t value, void *ctx)
{
	struct ctrs *s = ctx;

	assert_true(s->n < (int)(sizeof(s->c) / sizeof(s->c[0])));
	snprintf(s->c[s->n].name, sizeof(s->c[0].name), "%s", name);
	s->c[s->n].value = value;
	s->n++;
}

static void
snap(struct ctrs *s)
{
	s->n = 0;
	assert_int_equal(xkpi_stats(snap_cb, s), 0);
}

/* Sum of the counters named @name, or starting with it if it ends '.'. */
static uint64_t
sum(const struct ctrs *s, const char *name)
{
	size_t len = strlen(name);
	bool prefix = name[len - 1] == '.';
	uint64_t v = 0;
	int seen = 0;

	for (int i = 0; i < s->n; i++) {
		if (prefix ? strncmp(s->c[i].name, name, len) == 0 :
		    strcmp(s->c[i].name, name) == 0) {
			v += s->c[i].value;
			seen++;
		}
	}
	if (seen == 0 || (!prefix && seen != 1)) {
		fail_msg("counter %s seen %d times", name, seen);
	}
	return v;
}

/* The change of counter @name between two snapshots. */
static uint64_t
delta(const struct ctrs *a, const struct ctrs *b, const char *name)
{
	return sum(b, name) - sum(a, name);
}

/* A deterministic generator (xorshift64*), seeded per test. */
static uint64_t rng_state;

static uint32_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static uint16_t
cksum(const void *p, size_t len, uint32_t acc)
{
	const uint8_t *b = p;

	for (size_t i = 0; i + 1 < len; i += 2) {
		acc += (uint32_t)(b[i] << 8 | b[i + 1]);
	}
	if (len & 1) {
		acc += (uint32_t)b[len - 1] << 8;
	}
	while (acc >> 16) {
		acc = (acc & 0xffff) + (acc >> 16);
	}
	return htons((uint16_t)~acc);
}

static struct in_addr a_src, a_me, a_other;
static struct in6_addr a6_src, a6_me, a6_other;

/* IPv4 header and @plen payload bytes in @buf; returns the length. */
static size_t
build4(uint8_t *buf, uint8_t proto, size_t plen, uint16_t id, uint16_t off,
    struct in_addr dst)
{
	struct ip ip;

	memset(&ip, 0, sizeof(ip));
	ip.ip_v = 4;
	ip.ip_hl = 5;
	ip.ip_len = htons((uint16_t)(sizeof(ip) + plen));
	ip.ip_id = htons(id);
	ip.ip_off = htons(off);
	ip.ip_ttl = 64;
	ip.ip_p = proto;
	ip.ip_src = a_src;
	ip.ip_dst = dst;
	ip.ip_sum = xk_in_cksum_buf(&ip, sizeof(ip));
	memcpy(buf, &ip, sizeof(ip));
	for (size_t i = 0; i < plen; i++) {
		buf[sizeof(ip) + i] = (uint8_t)(i * 7 + id);
	}
	return sizeof(ip) + plen;
}

/* IPv6 header, then @plen bytes; the caller fills what follows. */
static size_t
build6(uint8_t *buf, uint8_t nxt, size_t plen, const struct in6_addr *dst)
{
	struct ip6_hdr ip6;

	memset(&ip6, 0, sizeof(ip6));
	ip6.ip6_vfc = 0x60;	/* version 6 */
	ip6.ip6_plen = htons((uint16_t)plen);
	ip6.ip6_nxt = nxt;
	ip6.ip6_hlim = 64;
	ip6.ip6_src = a6_src;
	ip6.ip6_dst = *dst;
	memcpy(buf, &ip6, sizeof(ip6));
	for (size_t i = 0; i < plen; i++) {
		buf[sizeof(ip6) + i] = (uint8_t)(i * 5 + 1);
	}
	return sizeof(ip6) + plen;
}

/* An ICMPv6 echo request of @dlen data bytes, checksum right or not. */
static size_t
build_icmp6(uint8_t *buf, size_t dlen, bool goodsum)
{
	size_t len = build6(buf, IPPROTO_ICMPV6, 8 + dlen, &a6_me);
	struct icmp6_hdr *ic = (struct icmp6_hdr *)(buf + 40);
	uint8_t ph[40];
	uint32_t acc = 0;
	uint16_t s;

	ic->icmp6_type = ICMP6_ECHO_REQUEST;
	ic->icmp6_code = 0;
	ic->icmp6_cksum = 0;
	memcpy(ph, &a6_src, 16);
	memcpy(ph + 16, &a6_me, 16);
	ph[32] = 0;
	ph[33] = 0;
	ph[34] = (uint8_t)((8 + dlen) >> 8);
	ph[35] = (uint8_t)(8 + dlen);
	ph[36] = ph[37] = ph[38] = 0;
	ph[39] = IPPROTO_ICMPV6;
	for (size_t i = 0; i < sizeof(ph); i += 2) {
		acc += (uint32_t)(ph[i] << 8 | ph[i + 1]);
	}
	s = cksum(buf + 40, 8 + dlen, acc);
	ic->icmp6_cksum = goodsum ? s : (uint16_t)(s ^ 0x5555);
	return len;
}

/* An IPv6 fragment: @dlen data bytes at @off (bytes), more or not. */
static size_t
build_frag6(uint8_t *buf, uint32_t ident, uint16_t off, bool more,
    size_t dlen)
{
	size_t len = build6(buf, IPPROTO_FRAGMENT, 8 + dlen, &a6_me);
	struct ip6_frag fh;

	memset(&fh, 0, sizeof(fh));
	fh.ip6f_nxt = PROTO_EXP;
	fh.ip6f_offlg = htons((uint16_t)(off | (more ? 1 : 0)));
	fh.ip6f_ident = htonl(ident);
	memcpy(buf + 40, &fh, sizeof(fh));
	return len;
}

/* What the test did, per kind; the counters must agree. */
struct run {
	uint64_t	 sent[K_COUNT];	/* packets accepted by the backend */
	uint64_t	 accepted;
	uint64_t	 refused;	/* ENOBUFS from a full queue, retried */
	uint64_t	 received4;	/* copies read from the v4 sockets */
	uint64_t	 received6;
	bool		 faults;	/* allocation failures injected */
};

/* Injects until the backend takes it (ENOBUFS: it is full, retry). */
static void
inject(struct run *r, const uint8_t *pkt, size_t len)
{
	int64_t start = xk_test_now_us();
	errno_t e;

	while ((e = xkpi_mem_inject(IFNAME, pkt, len)) == ENOBUFS) {
		r->refused++;
		if (xk_test_now_us() - start > (int64_t)STALL_MS * 1000) {
			fail_msg("the mem receive queue stayed full");
		}
		sched_yield();
	}
	assert_int_equal(e, 0);
	r->accepted++;
}

/* Injects one packet (two for a fragment pair) of kind @k. */
static void
inject_kind(struct run *r, enum kind k, uint32_t seq)
{
	uint8_t buf[600];
	size_t len, plen = rng() % 200;
	struct ip *ip = (struct ip *)buf;
	uint16_t id = (uint16_t)seq;

	switch (k) {
	case K4_OK:
		len = build4(buf, PROTO_EXP, plen, id, 0, a_me);
		break;
	case K4_NOPROTO:
		len = build4(buf, PROTO_NONE, plen, id, 0, a_me);
		break;
	case K4_BADVERS:
		len = build4(buf, PROTO_EXP, plen, id, 0, a_me);
		buf[0] = (uint8_t)((rng() % 2 ? 5 : 15) << 4 | 5);
		break;
	case K4_SHORT:
		len = build4(buf, PROTO_EXP, 0, id, 0, a_me);
		len = 1 + rng() % 19;
		break;
	case K4_BADHLEN:
		len = build4(buf, PROTO_EXP, plen, id, 0, a_me);
		ip->ip_hl = (uint8_t)(rng() % 5);
		ip->ip_sum = 0;
		ip->ip_sum = xk_in_cksum_buf(ip, sizeof(*ip));
		break;
	case K4_BADSUM:
		len = build4(buf, PROTO_EXP, plen, id, 0, a_me);
		ip->ip_sum ^= htons(0x0101);
		break;
	case K4_BADLEN:
		len = build4(buf, PROTO_EXP, plen, id, 0, a_me);
		ip->ip_len = htons((uint16_t)(rng() % 20));
		ip->ip_sum = 0;
		ip->ip_sum = xk_in_cksum_buf(ip, sizeof(*ip));
		break;
	case K4_TRUNC:
		len = build4(buf, PROTO_EXP, plen + 8, id, 0, a_me);
		len -= 1 + rng() % 8;
		break;
	case K4_NOTFORUS:
		len = build4(buf, PROTO_EXP, plen, id, 0, a_other);
		break;
	case K4_UDP:
		len = build4(buf, IPPROTO_UDP, 8 + plen, id, 0, a_me);
		break;
	case K4_FRAGS:
		inject(r, buf, build4(buf, PROTO_EXP, 16, id, IP_MF, a_me));
		r->sent[k]++;
		len = build4(buf, PROTO_EXP, 8 + plen, id, 2, a_me);
		break;
	case K4_BADFRAG:
		len = build4(buf, PROTO_EXP, 12, id, IP_MF, a_me);
		break;
	case K6_OK:
		len = build6(buf, PROTO_EXP, plen, &a6_me);
		break;
	case K6_ICMP:
		len = build_icmp6(buf, plen, true);
		break;
	case K6_ICMP_BADSUM:
		len = build_icmp6(buf, plen, false);
		break;
	case K6_NOPROTO:
		len = build6(buf, PROTO_NONE, plen, &a6_me);
		break;
	case K6_SHORT:
		len = 1 + rng() % 39;
		build6(buf, PROTO_EXP, 0, &a6_me);
		break;
	case K6_TRUNC:
		len = build6(buf, PROTO_EXP, plen + 8, &a6_me);
		len -= 1 + rng() % 8;
		break;
	case K6_BADEXT:
		/* A destination options header whose length runs past. */
		len = build6(buf, IPPROTO_DSTOPTS, 8, &a6_me);
		buf[40] = PROTO_EXP;
		buf[41] = 3;
		break;
	case K6_NOTFORUS:
		len = build6(buf, PROTO_EXP, plen, &a6_other);
		break;
	case K6_TCP:
		len = build6(buf, IPPROTO_TCP, 20 + plen, &a6_me);
		break;
	case K6_FRAGS:
		inject(r, buf, build_frag6(buf, seq, 0, true, 16));
		r->sent[k]++;
		len = build_frag6(buf, seq, 16, false, 8 + plen);
		break;
	case K6_BADFRAG:
		len = build_frag6(buf, seq, 0, true, 12);
		break;
	default:
		fail();
		return;
	}
	inject(r, buf, len);
	r->sent[k]++;
}

/* The sockets, the slow reader that drains them, and what it read. */
#define NSOCK4	3
#define NSOCK6	4	/* 2 of PROTO_EXP, 2 ICMPv6 */

static socket_t socks4[NSOCK4], socks6[NSOCK6];
static atomic_int reader_stop;
static atomic_ullong read4, read6;

/* Reads what @so holds now, at most @max datagrams; returns how many. */
static unsigned int
drain(socket_t so, unsigned int max)
{
	unsigned int n = 0;

	while (n < max) {
		size_t len = 1 << 16;
		mbuf_t m;

		if (sock_receivembuf(so, NULL, &m, MSG_DONTWAIT, &len) != 0) {
			break;
		}
		mbuf_freem(m);
		n++;
	}
	return n;
}

/* Slow: a few datagrams from each socket, then a pause. */
static void *
reader_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&reader_stop)) {
		for (int i = 0; i < NSOCK4; i++) {
			atomic_fetch_add(&read4, drain(socks4[i], 4));
		}
		for (int i = 0; i < NSOCK6; i++) {
			atomic_fetch_add(&read6, drain(socks6[i], 4));
		}
		xk_test_sleep_ms(1);
	}
	return NULL;
}

static socket_t
raw(int domain, int proto, int rcvbuf)
{
	socket_t so = NULL;

	assert_int_equal(sock_socket(domain, SOCK_RAW, proto, NULL, NULL, &so),
	    0);
	if (rcvbuf > 0) {
		assert_int_equal(sock_setsockopt(so, SOL_SOCKET, SO_RCVBUF,
		    &rcvbuf, sizeof(rcvbuf)), 0);
	}
	return so;
}

static int
setup(void **state)
{
	struct sockaddr_in b = { .sin_family = AF_INET };

	xk_test_sock_setup(state);
	xkpi_mem_reset();
	inet_pton(AF_INET, "10.8.0.9", &a_src);
	inet_pton(AF_INET, "10.8.0.1", &a_me);
	inet_pton(AF_INET, "10.8.0.77", &a_other);
	inet_pton(AF_INET6, "2001:db8:8::9", &a6_src);
	inet_pton(AF_INET6, "2001:db8:8::1", &a6_me);
	inet_pton(AF_INET6, "2001:db8:8::77", &a6_other);
	/* A shorter receive queue: back-pressure, and bounded memory. */
	xk_mem_set_limits(RXQ_LIMIT, 0);
	assert_int_equal(xkpi_mem_vif_create(IFNAME, 1500, NULL), 0);
	assert_int_equal(xkpi_mem_vif_addaddr(IFNAME, AF_INET, &a_me, 24), 0);
	assert_int_equal(xkpi_mem_vif_addaddr(IFNAME, AF_INET6, &a6_me, 64),
	    0);
	/* Every IPv4 packet of PROTO_EXP matches the three. */
	socks4[0] = raw(PF_INET, PROTO_EXP, 0);
	socks4[1] = raw(PF_INET, PROTO_EXP, 2048);
	b.sin_addr = a_me;
	assert_int_equal(sock_bind(socks4[1], (struct sockaddr *)&b), 0);
	socks4[2] = raw(PF_INET, PROTO_EXP, 600);
	socks6[0] = raw(PF_INET6, PROTO_EXP, 0);
	socks6[1] = raw(PF_INET6, PROTO_EXP, 700);
	socks6[2] = raw(PF_INET6, IPPROTO_ICMPV6, 0);
	socks6[3] = raw(PF_INET6, IPPROTO_ICMPV6, 500);
	return 0;
}

static int
teardown(void **state)
{
	for (int i = 0; i < NSOCK4; i++) {
		sock_close(socks4[i]);
	}
	for (int i = 0; i < NSOCK6; i++) {
		sock_close(socks6[i]);
	}
	xk_mb_inject_failures(0, 0);
	xk_mem_set_limits(0, 0);
	xkpi_mem_reset();
	return xk_test_sock_teardown(state);
}

/* How many packets: XK_ACCOUNTING_PACKETS, else by environment. */
static unsigned long
packet_count(unsigned long div)
{
	const char *s = getenv("XK_ACCOUNTING_PACKETS");
	unsigned long n = DEFAULT_PACKETS;

	if (s != NULL && *s != '\0') {
		n = strtoul(s, NULL, 10);
	} else if (getenv("XK_TEST_WRAPPER") != NULL &&
	    *getenv("XK_TEST_WRAPPER") != '\0') {
		n = SMALL_PACKETS;	/* valgrind (make check-valgrind) */
	} else {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
		n = SAN_PACKETS;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
		n = SAN_PACKETS;
#endif
#endif
	}
	n /= div;
	return n > K_COUNT * 4 ? n : K_COUNT * 4;
}

/* ip.in + ip6.in + ip.badfamily: what the engine has taken. */
static uint64_t
engine_taken(void)
{
	struct xk_ip_stats s = xk_test_ipstat();

	return s.ips_total + s.ip6s_total + s.ips_badfamily;
}

/*
 * Injects @n packets of random kinds (fault injection now and then when
 * r->faults), waits until the engine has taken them all, stops the slow
 * reader and reads what is left.
 */
static void
run_traffic(struct run *r, unsigned long n, uint64_t taken0)
{
	pthread_t reader;
	uint64_t last, now;
	int64_t since;

	atomic_store(&reader_stop, 0);
	atomic_store(&read4, 0);
	atomic_store(&read6, 0);
	assert_int_equal(pthread_create(&reader, NULL, reader_main, NULL), 0);
	for (unsigned long i = 0; r->accepted < n; i++) {
		if (r->faults && i % 16 == 0) {
			/* One allocation among the next 64 fails. */
			xk_mb_inject_failures(rng() % 64, 1);
		}
		inject_kind(r, (enum kind)(rng() % K_COUNT), (uint32_t)i);
	}
	xk_mb_inject_failures(0, 0);
	/* Wait for the engine, failing only when it stops progressing. */
	last = engine_taken();
	since = xk_test_now_us();
	while ((now = engine_taken()) - taken0 < r->accepted) {
		if (now != last) {
			last = now;
			since = xk_test_now_us();
		} else if (xk_test_now_us() - since >
		    (int64_t)STALL_MS * 1000) {
			break;
		}
		xk_test_sleep_ms(1);
	}
	assert_int_equal(engine_taken() - taken0, r->accepted);
	atomic_store(&reader_stop, 1);
	assert_int_equal(pthread_join(reader, NULL), 0);
	r->received4 = atomic_load(&read4);
	r->received6 = atomic_load(&read6);
	for (int i = 0; i < NSOCK4; i++) {
		r->received4 += drain(socks4[i], UINT32_MAX);
	}
	for (int i = 0; i < NSOCK6; i++) {
		r->received6 += drain(socks6[i], UINT32_MAX);
	}
}

/*
 * The identities that hold whatever failed: every accepted packet ends
 * in exactly one per-packet counter (a fragment in ip.frag.in, which
 * ends in a reassembled packet, dropped or timed out), and every copy
 * a matching socket was due is read or counted.
 */
static void
check_identities(const struct run *r, const struct ctrs *a,
    const struct ctrs *b)
{
	uint64_t ends, frag_whole, demux4, demux6;

#define D(name)	delta(a, b, (name))
	ends = D("ip.badfamily") + D("ip.drop.") + D("ip6.drop.") +
	    D("ip.notforus") + D("ip6.notforus") + D("ip.hostproto") +
	    D("ip.noproto") + D("ip6.noproto") +
	    D("ip6.icmp6filtered") + D("ip.mcast.notmember") +
	    D("ip6.mcast.notmember") + D("ip.fw.deny") + D("ip6.fw.deny") +
	    D("ip.delivered") + D("ip6.delivered") +
	    D("ip.rawdropped") + D("ip6.rawdropped");
	/* Fragments end in a reassembled packet, dropped or timed out. */
	frag_whole = D("ip.frag.reassembled") + D("ip6.frag.reassembled");
	assert_int_equal(r->accepted, ends - frag_whole + D("ip.frag.in") +
	    D("ip6.frag.in"));
	assert_int_equal(D("ip.frag.in"), 2 * D("ip.frag.reassembled") +
	    D("ip.frag.dropped") + D("ip.frag.timeout"));
	assert_int_equal(D("ip6.frag.in"), 2 * D("ip6.frag.reassembled") +
	    D("ip6.frag.dropped") + D("ip6.frag.timeout"));
	/* Each packet at the demux: delivered, or every copy failed. */
	demux4 = D("ip.delivered") + D("ip.rawdropped");
	demux6 = D("ip6.delivered") + D("ip6.rawdropped");
	/* Every IPv4 packet there matches 3 sockets; IPv6, 2. */
	assert_int_equal(NSOCK4 * demux4, r->received4 + D("ip.rawfull") +
	    D("ip.rawnomem"));
	assert_int_equal(2 * demux6, r->received6 + D("ip6.fullsock") +
	    D("ip6.rawnomem"));
	/* A packet delivered has one copy read at least. */
	assert_true(r->received4 >= D("ip.delivered"));
	assert_true(r->received6 >= D("ip6.delivered"));
	/* The refused injections are the mem queue's (or no mbuf). */
	assert_true(D("be.mem.rxq_full") <= r->refused);
	assert_int_equal(D("be.mem.rxq_flushed"), 0);
#undef D
}

/*
 * The whole run: a million packets (XK_ACCOUNTING_PACKETS), each kind
 * ending in the counter the kind predicts.
 */
static void
test_accounting_every_packet(void **state)
{
	struct run r = { 0 };
	struct ctrs *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	unsigned long n = packet_count(1);
	uint64_t s4, s6;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	rng_state = 0x9e3779b97f4a7c15ull;
	snap(a);
	run_traffic(&r, n, engine_taken());
	snap(b);
	print_message("# accounting: %llu packets, %llu refused for a full "
	    "queue and retried, %llu + %llu copies read\n",
	    (unsigned long long)r.accepted, (unsigned long long)r.refused,
	    (unsigned long long)r.received4, (unsigned long long)r.received6);
	check_identities(&r, a, b);

#define D(name)	delta(a, b, (name))
#define S(k)	r.sent[(k)]
	/* Each kind where it belongs. */
	assert_int_equal(D("ip.badfamily"), S(K4_BADVERS));
	assert_int_equal(D("ip.drop.toosmall"), S(K4_SHORT));
	assert_int_equal(D("ip.drop.badhlen"), S(K4_BADHLEN));
	assert_int_equal(D("ip.drop.badsum"), S(K4_BADSUM));
	assert_int_equal(D("ip.drop.badlen"), S(K4_BADLEN));
	assert_int_equal(D("ip.drop.tooshort"), S(K4_TRUNC));
	assert_int_equal(D("ip.drop."), S(K4_SHORT) + S(K4_BADHLEN) +
	    S(K4_BADSUM) + S(K4_BADLEN) + S(K4_TRUNC));
	assert_int_equal(D("ip.notforus"), S(K4_NOTFORUS));
	assert_int_equal(D("ip.hostproto"), S(K4_UDP) + S(K6_TCP));
	assert_int_equal(D("ip.noproto"), S(K4_NOPROTO));
	assert_int_equal(D("ip.frag.in"), S(K4_FRAGS) + S(K4_BADFRAG));
	assert_int_equal(D("ip.frag.reassembled"), S(K4_FRAGS) / 2);
	assert_int_equal(D("ip.frag.dropped"), S(K4_BADFRAG));
	s4 = S(K4_OK) + S(K4_FRAGS) / 2;
	assert_int_equal(D("ip.delivered") + D("ip.rawdropped"), s4);
	assert_int_equal(D("ip.rawnomem"), 0);
	assert_int_equal(D("ip6.drop.toosmall"), S(K6_SHORT));
	assert_int_equal(D("ip6.drop.tooshort"), S(K6_TRUNC));
	assert_int_equal(D("ip6.drop.badexthdr"), S(K6_BADEXT));
	assert_int_equal(D("ip6.drop."), S(K6_SHORT) + S(K6_TRUNC) +
	    S(K6_BADEXT));
	assert_int_equal(D("ip6.notforus"), S(K6_NOTFORUS));
	assert_int_equal(D("ip6.noproto"), S(K6_NOPROTO) + S(K6_ICMP_BADSUM));
	assert_int_equal(D("ip6.badsum"), 2 * S(K6_ICMP_BADSUM));
	assert_int_equal(D("ip6.frag.in"), S(K6_FRAGS) + S(K6_BADFRAG));
	assert_int_equal(D("ip6.frag.reassembled"), S(K6_FRAGS) / 2);
	assert_int_equal(D("ip6.frag.dropped"), S(K6_BADFRAG));
	s6 = S(K6_OK) + S(K6_ICMP) + S(K6_FRAGS) / 2;
	assert_int_equal(D("ip6.delivered") + D("ip6.rawdropped"), s6);
	assert_int_equal(D("ip6.rawnomem"), 0);
	assert_int_equal(D("if." IFNAME ".ipackets"), s4 + s6 +
	    S(K6_NOPROTO) + S(K4_NOPROTO) + S(K6_ICMP_BADSUM));
	/* The small buffers and the slow reader did their part. */
	assert_true(D("ip.rawfull") > 0);
	assert_true(D("ip6.fullsock") > 0);
	assert_true(D("ip.rawdropped") > 0);
	assert_true(D("ip6.rawdropped") > 0);
	assert_true(r.received4 > 0);
	assert_true(r.received6 > 0);
#undef S
#undef D
	free(a);
	free(b);
}

/*
 * Allocation failures here and there (the pool's fault injection): the
 * kinds may now end elsewhere (a copy without an mbuf, a reassembly
 * without memory), but every packet and every copy is still counted.
 */
static void
test_accounting_with_allocation_failures(void **state)
{
	struct run r = { .faults = true };
	struct ctrs *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	unsigned long n = packet_count(10);

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	rng_state = 0x2545f4914f6cdd1dull;
	snap(a);
	run_traffic(&r, n, engine_taken());
	snap(b);
	check_identities(&r, a, b);
	assert_true(delta(a, b, "mbuf.drops") > 0);
	free(a);
	free(b);
}

/*
 * The per-packet counter for a packet whose every copy failed: two
 * sockets, both too small to take it.  Not delivered, not unwanted:
 * ip.rawdropped (ip6.rawdropped), and each copy in ip.rawfull
 * (ip6.fullsock).
 */
static void
test_every_copy_failed_is_counted(void **state)
{
	struct ctrs *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	uint64_t taken0 = engine_taken();
	struct run r = { 0 };
	socket_t t[4];
	uint8_t buf[600];

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	/* Only the two of each family here: the fixture's go elsewhere. */
	for (int i = 0; i < NSOCK4; i++) {
		sock_close(socks4[i]);
		socks4[i] = raw(PF_INET, PROTO_NONE, 0);
	}
	for (int i = 0; i < NSOCK6; i++) {
		sock_close(socks6[i]);
		socks6[i] = raw(PF_INET6, PROTO_NONE, 0);
	}
	t[0] = raw(PF_INET, PROTO_EXP, 1);
	t[1] = raw(PF_INET, PROTO_EXP, 1);
	t[2] = raw(PF_INET6, PROTO_EXP, 1);
	t[3] = raw(PF_INET6, PROTO_EXP, 1);
	snap(a);
	inject(&r, buf, build4(buf, PROTO_EXP, 300, 1, 0, a_me));
	inject(&r, buf, build6(buf, PROTO_EXP, 300, &a6_me));
	for (int i = 0; i < STALL_MS && engine_taken() - taken0 < 2; i++) {
		xk_test_sleep_ms(1);
	}
	snap(b);
	assert_int_equal(delta(a, b, "ip.in"), 1);
	assert_int_equal(delta(a, b, "ip.delivered"), 0);
	assert_int_equal(delta(a, b, "ip.noproto"), 0);
	assert_int_equal(delta(a, b, "ip.rawfull"), 2);
	assert_int_equal(delta(a, b, "ip.rawdropped"), 1);
	assert_int_equal(delta(a, b, "ip6.in"), 1);
	assert_int_equal(delta(a, b, "ip6.delivered"), 0);
	assert_int_equal(delta(a, b, "ip6.noproto"), 0);
	assert_int_equal(delta(a, b, "ip6.fullsock"), 2);
	assert_int_equal(delta(a, b, "ip6.rawdropped"), 1);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(drain(t[i], 10), 0);
		sock_close(t[i]);
	}
	free(a);
	free(b);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_every_copy_failed_is_counted),
		T(test_accounting_every_packet),
		T(test_accounting_with_allocation_failures),
	};

	return cmocka_run_group_tests_name("accounting", tests, NULL,
	    xk_test_sock_group_teardown);
}
