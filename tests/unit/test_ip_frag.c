/*
 * IP fragmentation and reassembly over the mem backend (core/ip_frag.c):
 * fragments made on output (sizes, offsets, flags, ids, checksums, the
 * copied options, the IPv6 Fragment header), reassembly on input (out of
 * order, duplicates, overlaps where the earlier data wins), the limits,
 * the timeout, malformed fragments, and the counters every fragment
 * ends in.
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
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <string.h>

#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>
#include <xkpi.h>

#include <xkpi_mem.h>
#include "core/ip_var.h"
#include "core/mbuf_var.h"
#include "core/socket_var.h"
#include "tests/lib/xk_test.h"

#define PROTO_EXP	253
#define WAIT_MS		XK_TEST_WAIT_MS	/* the liveness bound */
#define BIG		3000	/* payload of the big packets */
#define FRAG_ID		0x4242

/*
 * vx0: MTU 1500, 10.0.0.1/24.  vx1: MTU 1280, 2001:db8::1/64.
 * vxa and vxb, linked: 10.0.2.1/24 and 10.0.2.2/24.
 */
static int
setup(void **state)
{
	struct in_addr a;
	struct in6_addr b;

	xk_test_sock_setup(state);
	xkpi_mem_reset();
	xk_ip_frag_set_timeout_ms(0);
	assert_int_equal(xkpi_mem_vif_create("vx0", 1500, NULL), 0);
	a = xk_test_a4("10.0.0.1");
	assert_int_equal(xkpi_mem_vif_addaddr("vx0", AF_INET, &a, 24), 0);
	assert_int_equal(xkpi_mem_vif_create("vx1", 1280, NULL), 0);
	b = xk_test_a6("2001:db8::1");
	assert_int_equal(xkpi_mem_vif_addaddr("vx1", AF_INET6, &b, 64), 0);
	assert_int_equal(xkpi_mem_vif_create("vxa", 1500, NULL), 0);
	a = xk_test_a4("10.0.2.1");
	assert_int_equal(xkpi_mem_vif_addaddr("vxa", AF_INET, &a, 24), 0);
	assert_int_equal(xkpi_mem_vif_create("vxb", 1500, NULL), 0);
	a = xk_test_a4("10.0.2.2");
	assert_int_equal(xkpi_mem_vif_addaddr("vxb", AF_INET, &a, 24), 0);
	assert_int_equal(xkpi_mem_link("vxa", "vxb"), 0);
	xk_ipstat_reset();
	return 0;
}

static int
teardown(void **state)
{
	unsigned int left = xk_ip_frag_queues();

	xk_ip_frag_set_timeout_ms(0);
	xkpi_mem_reset();
	assert_int_equal(left, 0);
	return xk_test_sock_teardown(state);
}

static socket_t
raw(int domain, int proto)
{
	socket_t so = NULL;

	assert_int_equal(sock_socket(domain, SOCK_RAW, proto, NULL, NULL,
	    &so), 0);
	return so;
}

static errno_t
send_to(socket_t so, const struct sockaddr *to, socklen_t tolen,
    const void *p, size_t len)
{
	struct iovec iov = { (void *)(uintptr_t)p, len };
	struct msghdr msg = { 0 };
	size_t sent = 0;

	msg.msg_name = (void *)(uintptr_t)to;
	msg.msg_namelen = tolen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	return sock_send(so, &msg, 0, &sent);
}

/* Receives one datagram with MSG_DONTWAIT; its length, or -1. */
static ssize_t
recv1(socket_t so, uint8_t *buf, size_t cap)
{
	struct iovec iov = { buf, cap };
	struct msghdr msg = { 0 };
	size_t n = 0;

	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (sock_receive(so, &msg, MSG_DONTWAIT, &n) != 0) {
		return -1;
	}
	return (ssize_t)n;
}

/* Injects on @ifname and waits until the engine has taken the packet. */
static void
inject(const char *ifname, const uint8_t *pkt, size_t len)
{
	struct xk_ip_stats s = xk_test_ipstat();
	uint64_t before = s.ips_total + s.ip6s_total;
	int64_t end = xk_test_now_us() + (int64_t)WAIT_MS * 1000;

	assert_int_equal(xkpi_mem_inject(ifname, pkt, len), 0);
	while (xk_test_now_us() < end) {
		s = xk_test_ipstat();
		if (s.ips_total + s.ip6s_total > before) {
			break;
		}
		xk_test_sleep_ms(1);
	}
	xk_test_loop_barrier();
	s = xk_test_ipstat();
	assert_true(s.ips_total + s.ip6s_total > before);
}

/* Waits (bounded) until no reassembly queue is left; whether it came. */
static bool
wait_no_queues(int timeout_ms)
{
	int64_t end = xk_test_now_us() + (int64_t)timeout_ms * 1000;

	while (xk_test_now_us() < end) {
		if (xk_ip_frag_queues() == 0) {
			return true;
		}
		xk_test_sleep_ms(1);
	}
	return xk_ip_frag_queues() == 0;
}

/* The whole payload of the test packets: the pattern. */
static uint8_t payload[BIG];

/*
 * An IPv4 fragment 10.0.0.9 -> @dst, protocol PROTO_EXP, id @id: the
 * bytes [@off, @off + @len) of the payload (XORed with @garble), offset
 * and MF as given.  Network form, valid checksum.
 */
static size_t
frag4(uint8_t *buf, const char *dst, uint16_t id, size_t off, size_t len,
    bool mf, uint8_t garble)
{
	struct ip *ip = (struct ip *)buf;

	memset(ip, 0, sizeof(*ip));
	ip->ip_v = 4;
	ip->ip_hl = 5;
	ip->ip_len = htons((uint16_t)(sizeof(*ip) + len));
	ip->ip_id = htons(id);
	ip->ip_off = htons((uint16_t)(off / 8 | (mf ? IP_MF : 0)));
	ip->ip_ttl = 9;
	ip->ip_p = PROTO_EXP;
	ip->ip_src = xk_test_a4("10.0.0.9");
	ip->ip_dst = xk_test_a4(dst);
	for (size_t i = 0; i < len; i++) {
		buf[sizeof(*ip) + i] = (uint8_t)(xk_pattern(off + i) ^ garble);
	}
	ip->ip_sum = xk_in_cksum_buf(ip, sizeof(*ip));
	return sizeof(*ip) + len;
}

/*
 * An IPv6 fragment 2001:db8::9 -> 2001:db8::1 with a Hop-by-Hop header
 * before the Fragment header (so the reassembly must patch it), whose
 * next header is PROTO_EXP: payload bytes [@off, @off + @len).
 */
static size_t
frag6(uint8_t *buf, uint32_t id, size_t off, size_t len, bool more,
    uint8_t garble)
{
	struct ip6_hdr *ip6 = (struct ip6_hdr *)buf;
	struct ip6_frag fh;
	uint8_t hbh[8] = { IPPROTO_FRAGMENT, 0, 1, 4, 0, 0, 0, 0 };

	memset(ip6, 0, sizeof(*ip6));
	ip6->ip6_vfc = 0x60;
	ip6->ip6_plen = htons((uint16_t)(sizeof(hbh) + sizeof(fh) + len));
	ip6->ip6_nxt = IPPROTO_HOPOPTS;
	ip6->ip6_hlim = 64;
	ip6->ip6_src = xk_test_a6("2001:db8::9");
	ip6->ip6_dst = xk_test_a6("2001:db8::1");
	memcpy(buf + 40, hbh, sizeof(hbh));
	memset(&fh, 0, sizeof(fh));
	fh.ip6f_nxt = PROTO_EXP;
	fh.ip6f_offlg = htons((uint16_t)off);
	if (more) {
		fh.ip6f_offlg |= IP6F_MORE_FRAG;
	}
	fh.ip6f_ident = htonl(id);
	memcpy(buf + 48, &fh, sizeof(fh));
	for (size_t i = 0; i < len; i++) {
		buf[56 + i] = (uint8_t)(xk_pattern(off + i) ^ garble);
	}
	return 56 + len;
}

/* Output */

static void
test_output_v4_fragments(void **state)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	static const size_t want_len[] = { 1480, 1480, 40 };
	uint8_t buf[2048], whole[BIG];
	uint16_t id = 0;
	size_t len;
	socket_t so;
	struct ip ip;

	(void)state;
	dst.sin_addr = xk_test_a4("10.0.0.9");
	so = raw(PF_INET, PROTO_EXP);
	assert_int_equal(send_to(so, (struct sockaddr *)&dst, sizeof(dst),
	    payload, BIG), 0);
	memset(whole, 0, sizeof(whole));
	for (int i = 0; i < 3; i++) {
		size_t off;

		assert_int_equal(xkpi_mem_capture("vx0", buf, sizeof(buf), &len),
		    0);
		memcpy(&ip, buf, sizeof(ip));
		assert_int_equal(ip.ip_hl, 5);
		assert_int_equal(len, 20 + want_len[i]);
		assert_int_equal(ntohs(ip.ip_len), len);
		assert_int_equal(xk_in_cksum_buf(buf, 20), 0);
		off = (size_t)(ntohs(ip.ip_off) & IP_OFFMASK) * 8;
		assert_int_equal(off, (size_t)i * 1480);
		assert_int_equal((ntohs(ip.ip_off) & IP_MF) != 0, i < 2);
		assert_int_equal(ntohs(ip.ip_off) & IP_DF, 0);
		if (i == 0) {
			id = ip.ip_id;
			assert_int_not_equal(id, 0);
		}
		assert_int_equal(ip.ip_id, id);
		assert_int_equal(ip.ip_p, PROTO_EXP);
		assert_int_equal(ip.ip_src.s_addr,
		    xk_test_a4("10.0.0.1").s_addr);
		memcpy(whole + off, buf + 20, len - 20);
	}
	assert_int_equal(xkpi_mem_capture("vx0", buf, sizeof(buf), &len),
	    ENOENT);
	/* Put back together by hand: the payload sent. */
	xk_test_check_pattern(whole, BIG, 0);
	assert_int_equal(xk_test_ipstat().ips_fragmented, 1);
	assert_int_equal(xk_test_ipstat().ips_ofragments, 3);
	assert_int_equal(xk_test_ipstat().ips_localout, 1);
	assert_int_equal(xk_test_ipstat().ips_cantfrag, 0);
	sock_close(so);
}

/* A BSD-form IP_HDRINCL packet: @optlen option bytes, @plen of payload. */
static size_t
hdrincl_pkt(uint8_t *buf, const uint8_t *opts, size_t optlen, size_t plen,
    uint16_t off)
{
	struct ip *ip = (struct ip *)buf;
	size_t hlen = sizeof(*ip) + optlen;

	memset(ip, 0, sizeof(*ip));
	ip->ip_v = 4;
	ip->ip_hl = (unsigned int)(hlen >> 2);
	ip->ip_len = (uint16_t)(hlen + plen);	/* host order */
	ip->ip_off = off;			/* host order */
	ip->ip_id = htons(FRAG_ID);
	ip->ip_ttl = 7;
	ip->ip_p = PROTO_EXP;
	ip->ip_dst = xk_test_a4("10.0.0.9");
	if (optlen > 0) {
		memcpy(buf + sizeof(*ip), opts, optlen);
	}
	memcpy(buf + hlen, payload, plen);
	return hlen + plen;
}

static void
test_output_v4_dontfrag(void **state)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	static uint8_t pkt[20 + BIG];
	uint8_t buf[64];
	size_t len;
	int on = 1;
	socket_t so;

	(void)state;
	dst.sin_addr = xk_test_a4("10.0.0.9");
	so = raw(PF_INET, IPPROTO_RAW);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_HDRINCL, &on,
	    sizeof(on)), 0);
	len = hdrincl_pkt(pkt, NULL, 0, BIG, IP_DF);
	assert_int_equal(send_to(so, (struct sockaddr *)&dst, sizeof(dst),
	    pkt, len), EMSGSIZE);
	assert_int_equal(xk_test_ipstat().ips_cantfrag, 1);
	assert_int_equal(xk_test_ipstat().ips_ofragments, 0);
	assert_int_equal(xkpi_mem_capture("vx0", buf, sizeof(buf), &len),
	    ENOENT);
	/* The same packet without DF goes, in three fragments. */
	len = hdrincl_pkt(pkt, NULL, 0, BIG, 0);
	assert_int_equal(send_to(so, (struct sockaddr *)&dst, sizeof(dst),
	    pkt, len), 0);
	assert_int_equal(xk_test_ipstat().ips_ofragments, 3);
	sock_close(so);
}

static void
test_output_v4_copied_options(void **state)
{
	/* Router alert (copied), a NOP, record route (not copied). */
	static const uint8_t opts[12] = { 0x94, 4, 0, 0, IPOPT_NOP,
	    IPOPT_RR, 7, 4, 0, 0, 0, 0 };
	static const uint8_t later[8] = { 0x94, 4, 0, 0, IPOPT_NOP,
	    IPOPT_EOL, IPOPT_EOL, IPOPT_EOL };
	struct sockaddr_in dst = { .sin_family = AF_INET };
	static uint8_t pkt[32 + 2000];
	uint8_t buf[2048];
	size_t len;
	int on = 1;
	socket_t so;
	struct ip ip;

	(void)state;
	dst.sin_addr = xk_test_a4("10.0.0.9");
	so = raw(PF_INET, IPPROTO_RAW);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_HDRINCL, &on,
	    sizeof(on)), 0);
	len = hdrincl_pkt(pkt, opts, sizeof(opts), 2000, 0);
	assert_int_equal(send_to(so, (struct sockaddr *)&dst, sizeof(dst),
	    pkt, len), 0);
	/* First: every option, (1500 - 32) & ~7 = 1464 data bytes. */
	assert_int_equal(xkpi_mem_capture("vx0", buf, sizeof(buf), &len), 0);
	memcpy(&ip, buf, sizeof(ip));
	assert_int_equal(ip.ip_hl, 8);
	assert_int_equal(len, 32 + 1464);
	assert_memory_equal(buf + 20, opts, sizeof(opts));
	assert_int_equal(xk_in_cksum_buf(buf, 32), 0);
	assert_int_equal(ntohs(ip.ip_id), FRAG_ID);
	xk_test_check_pattern(buf + 32, 1464, 0);
	/* Second: the copied option and the NOP, EOL-padded. */
	assert_int_equal(xkpi_mem_capture("vx0", buf, sizeof(buf), &len), 0);
	memcpy(&ip, buf, sizeof(ip));
	assert_int_equal(ip.ip_hl, 7);
	assert_int_equal(len, 28 + 536);
	assert_int_equal(ntohs(ip.ip_len), 28 + 536);
	assert_memory_equal(buf + 20, later, sizeof(later));
	assert_int_equal(xk_in_cksum_buf(buf, 28), 0);
	assert_int_equal(ntohs(ip.ip_off), 1464 / 8);
	assert_int_equal(ntohs(ip.ip_id), FRAG_ID);
	xk_test_check_pattern(buf + 28, 536, 1464);
	sock_close(so);
}

static void
test_output_v6_fragments(void **state)
{
	struct sockaddr_in6 dst = { .sin6_family = AF_INET6 };
	static const size_t want_len[] = { 1232, 1232, 536 };
	uint8_t buf[2048], whole[BIG];
	uint32_t id = 0;
	struct ip6_hdr ip6;
	struct ip6_frag fh;
	size_t len;
	socket_t so;

	(void)state;
	dst.sin6_addr = xk_test_a6("2001:db8::9");
	so = raw(PF_INET6, PROTO_EXP);
	assert_int_equal(send_to(so, (struct sockaddr *)&dst, sizeof(dst),
	    payload, BIG), 0);
	memset(whole, 0, sizeof(whole));
	for (int i = 0; i < 3; i++) {
		size_t off;

		assert_int_equal(xkpi_mem_capture("vx1", buf, sizeof(buf), &len),
		    0);
		assert_true(len <= 1280);
		memcpy(&ip6, buf, sizeof(ip6));
		memcpy(&fh, buf + 40, sizeof(fh));
		assert_int_equal(ip6.ip6_nxt, IPPROTO_FRAGMENT);
		assert_int_equal(len, 48 + want_len[i]);
		assert_int_equal(ntohs(ip6.ip6_plen), 8 + want_len[i]);
		assert_int_equal(fh.ip6f_nxt, PROTO_EXP);
		assert_int_equal(fh.ip6f_reserved, 0);
		off = ntohs(fh.ip6f_offlg & IP6F_OFF_MASK);
		assert_int_equal(off, (size_t)i * 1232);
		assert_int_equal((fh.ip6f_offlg & IP6F_MORE_FRAG) != 0, i < 2);
		if (i == 0) {
			id = fh.ip6f_ident;
			assert_int_not_equal(id, 0);
		}
		assert_int_equal(fh.ip6f_ident, id);
		memcpy(whole + off, buf + 48, len - 48);
	}
	assert_int_equal(xkpi_mem_capture("vx1", buf, sizeof(buf), &len),
	    ENOENT);
	xk_test_check_pattern(whole, BIG, 0);
	assert_int_equal(xk_test_ipstat().ip6s_fragmented, 1);
	assert_int_equal(xk_test_ipstat().ip6s_ofragments, 3);
	assert_int_equal(xk_test_ipstat().ip6s_localout, 1);
	sock_close(so);
}

/* An IPv6 packet of @len bytes: header, @ext, then payload. */
static mbuf_t
pkt6_mbuf(uint8_t nxt, const uint8_t *ext, size_t elen, size_t plen)
{
	uint8_t buf[40 + 64 + BIG];
	struct ip6_hdr *ip6 = (struct ip6_hdr *)buf;
	mbuf_t m;

	memset(ip6, 0, sizeof(*ip6));
	ip6->ip6_vfc = 0x60;
	ip6->ip6_plen = htons((uint16_t)(elen + plen));
	ip6->ip6_nxt = nxt;
	ip6->ip6_hlim = 64;
	ip6->ip6_src = xk_test_a6("2001:db8::1");
	ip6->ip6_dst = xk_test_a6("2001:db8::9");
	memcpy(buf + 40, ext, elen);
	memcpy(buf + 40 + elen, payload, plen);
	assert_int_equal(mbuf_gethdr(MBUF_WAITOK, MBUF_TYPE_DATA, &m), 0);
	assert_int_equal(mbuf_copyback(m, 0, 40 + elen + plen, buf,
	    MBUF_WAITOK), 0);
	return m;
}

static void
test_output_v6_unfragmentable_part(void **state)
{
	/* Hop-by-hop, routing (unfragmentable), destination options. */
	uint8_t ext[24] = { IPPROTO_ROUTING, 0, 1, 4, 0, 0, 0, 0,
	    IPPROTO_DSTOPTS, 0, 0, 0, 0, 0, 0, 0,
	    PROTO_EXP, 0, 1, 4, 0, 0, 0, 0 };
	uint8_t f[8] = { PROTO_EXP, 0, 0, 0, 0, 0, 0, 1 };
	mbuf_t m, list, n;
	uint8_t buf[2048];
	int nfrags = 0;

	(void)state;
	m = pkt6_mbuf(IPPROTO_HOPOPTS, ext, sizeof(ext), 2000);
	xk_core_lock();
	assert_int_equal(xk_ip6_fragment_locked(m, 1280, &list), 0);
	xk_core_unlock();
	for (n = list; n != NULL; n = list) {
		size_t len = mbuf_pkthdr_len(n);
		struct ip6_frag fh;

		list = mbuf_nextpkt(n);
		mbuf_setnextpkt(n, NULL);
		assert_int_equal(mbuf_copydata(n, 0, len, buf), 0);
		/* The routing header's next header names the fragment's. */
		assert_int_equal(buf[6], IPPROTO_HOPOPTS);
		assert_int_equal(buf[40], IPPROTO_ROUTING);
		assert_int_equal(buf[48], IPPROTO_FRAGMENT);
		memcpy(&fh, buf + 56, sizeof(fh));
		assert_int_equal(fh.ip6f_nxt, IPPROTO_DSTOPTS);
		assert_int_equal(ntohs(((struct ip6_hdr *)buf)->ip6_plen),
		    len - 40);
		if (nfrags == 0) {
			/* The destination options lead the fragmentable part. */
			assert_int_equal(buf[64], PROTO_EXP);
		}
		nfrags++;
		mbuf_freem(n);
	}
	assert_int_equal(nfrags, 2);
	/* A packet that already has a Fragment header is not cut again. */
	m = pkt6_mbuf(IPPROTO_FRAGMENT, f, sizeof(f), 2000);
	xk_core_lock();
	assert_int_equal(xk_ip6_fragment_locked(m, 1280, &list), EMSGSIZE);
	xk_core_unlock();
	assert_null(list);
	assert_int_equal(xk_test_ipstat().ip6s_cantfrag, 1);
}

/* Every allocation the cutting makes may fail: ENOBUFS, nothing leaks. */
static void
test_output_no_memory_midway(void **state)
{
	struct ip *ip;
	uint8_t buf[20 + BIG];
	unsigned int fails = 0;
	mbuf_t m, list = NULL;
	int error = ENOBUFS;

	(void)state;
	for (unsigned int skip = 0; skip < 64 && error != 0; skip++) {
		ip = (struct ip *)buf;
		memset(ip, 0, sizeof(*ip));
		ip->ip_v = 4;
		ip->ip_hl = 5;
		ip->ip_len = htons(sizeof(buf));
		ip->ip_id = htons(FRAG_ID);
		ip->ip_p = PROTO_EXP;
		memcpy(buf + 20, payload, BIG);
		assert_int_equal(mbuf_gethdr(MBUF_WAITOK, MBUF_TYPE_DATA, &m),
		    0);
		assert_int_equal(mbuf_copyback(m, 0, sizeof(buf), buf,
		    MBUF_WAITOK), 0);
		xk_core_lock();
		xk_mb_inject_failures(skip, 1);
		error = xk_ip_fragment_locked(m, 1500, &list);
		xk_mb_inject_failures(0, 0);
		xk_core_unlock();
		if (error != 0) {
			assert_int_equal(error, ENOBUFS);
			assert_null(list);
			fails++;
		}
	}
	assert_int_equal(error, 0);
	assert_true(fails > 0);
	assert_int_equal(xk_test_ipstat().ips_odropped, fails);
	while (list != NULL) {
		m = list;
		list = mbuf_nextpkt(m);
		mbuf_setnextpkt(m, NULL);
		mbuf_freem(m);
	}
}

/* Input */

static void
test_input_v4_out_of_order_dup_overlap(void **state)
{
	static uint8_t pkt[1600], got[4096];
	struct xk_ip_stats s;
	struct ip ip;
	socket_t so;

	(void)state;
	so = raw(PF_INET, PROTO_EXP);
	/* The last first. */
	inject("vx0", pkt, frag4(pkt, "10.0.0.1", FRAG_ID, 2000, 1000, false,
	    0));
	/* A small one the overlap below covers whole (its bytes lose). */
	inject("vx0", pkt, frag4(pkt, "10.0.0.1", FRAG_ID, 1200, 8, true,
	    0xff));
	inject("vx0", pkt, frag4(pkt, "10.0.0.1", FRAG_ID, 0, 1000, true, 0));
	/* A duplicate whose bytes differ: the earlier data wins. */
	inject("vx0", pkt, frag4(pkt, "10.0.0.1", FRAG_ID, 0, 1000, true,
	    0x55));
	/*
	 * [800, 1600): its first 200 bytes overlap the first fragment and
	 * are garbled (cut); the rest is good and replaces [1200, 1208).
	 */
	frag4(pkt, "10.0.0.1", FRAG_ID, 800, 800, true, 0);
	for (size_t i = 0; i < 200; i++) {
		pkt[20 + i] ^= 0xaa;
	}
	inject("vx0", pkt, 20 + 800);
	assert_int_equal(recv1(so, got, sizeof(got)), -1);
	/* [1000, 2000): its first 600 bytes are covered already. */
	frag4(pkt, "10.0.0.1", FRAG_ID, 1000, 1000, true, 0);
	for (size_t i = 0; i < 600; i++) {
		pkt[20 + i] ^= 0x33;
	}
	inject("vx0", pkt, 20 + 1000);
	/* One packet, BSD form: ip_len host order without the header. */
	assert_int_equal(recv1(so, got, sizeof(got)), 20 + BIG);
	assert_int_equal(recv1(so, got + 4000, 64), -1);
	memcpy(&ip, got, sizeof(ip));
	assert_int_equal(ip.ip_len, BIG);
	assert_int_equal(ip.ip_off, 0);
	assert_int_equal(ntohs(ip.ip_id), FRAG_ID);
	assert_int_equal(ip.ip_p, PROTO_EXP);
	xk_test_check_pattern(got + 20, BIG, 0);
	s = xk_test_ipstat();
	assert_int_equal(s.ips_fragments, 6);
	assert_int_equal(s.ips_reassembled, 1);
	assert_int_equal(s.ips_fragdropped, 2);	/* duplicate, covered */
	assert_int_equal(s.ips_delivered, 1);
	assert_int_equal(s.ips_total, 6);
	assert_int_equal(xk_ip_frag_queues(), 0);
	sock_close(so);
}

static void
test_input_v4_missing_fragment_times_out(void **state)
{
	uint8_t pkt[1100], got[4096];
	socket_t so;

	(void)state;
	so = raw(PF_INET, PROTO_EXP);
	inject("vx0", pkt, frag4(pkt, "10.0.0.1", FRAG_ID, 0, 1000, true, 0));
	inject("vx0", pkt, frag4(pkt, "10.0.0.1", FRAG_ID, 2000, 1000, false,
	    0));
	assert_int_equal(recv1(so, got, sizeof(got)), -1);
	assert_int_equal(xk_ip_frag_queues(), 1);
	/* Lowered only now: a slow run must not expire it early. */
	xk_ip_frag_set_timeout_ms(100);
	assert_true(wait_no_queues(WAIT_MS));
	assert_int_equal(xk_test_ipstat().ips_fragtimeout, 2);
	assert_int_equal(xk_test_ipstat().ips_reassembled, 0);
	assert_int_equal(recv1(so, got, sizeof(got)), -1);
	/* The rest coming late starts a new queue, which times out too. */
	inject("vx0", pkt, frag4(pkt, "10.0.0.1", FRAG_ID, 1000, 1000, true,
	    0));
	assert_int_equal(recv1(so, got, sizeof(got)), -1);
	assert_true(wait_no_queues(WAIT_MS));
	assert_int_equal(xk_test_ipstat().ips_fragtimeout, 3);
	sock_close(so);
}

static void
test_input_v4_limits(void **state)
{
	uint8_t pkt[64];
	struct ip *ip = (struct ip *)pkt;
	size_t len;

	(void)state;
	/* The 17th fragment of one packet takes the whole queue down. */
	for (int i = 0; i < XK_IPFRAG_MAXFRAGS + 1; i++) {
		inject("vx0", pkt, frag4(pkt, "10.0.0.1", 1, (size_t)i * 8, 8,
		    true, 0));
	}
	assert_int_equal(xk_ip_frag_queues(), 0);
	assert_int_equal(xk_test_ipstat().ips_fragdropped,
	    XK_IPFRAG_MAXFRAGS + 1);
	/* A fragment ending past 65535 bytes takes its queue down too. */
	inject("vx0", pkt, frag4(pkt, "10.0.0.1", 2, 0, 16, true, 0));
	assert_int_equal(xk_ip_frag_queues(), 1);
	len = frag4(pkt, "10.0.0.1", 2, 0, 16, true, 0);
	ip->ip_off = htons(IP_MF | 8189);	/* 65512 + 16 + 20 */
	ip->ip_sum = 0;
	ip->ip_sum = xk_in_cksum_buf(ip, sizeof(*ip));
	inject("vx0", pkt, len);
	assert_int_equal(xk_ip_frag_queues(), 0);
	assert_int_equal(xk_test_ipstat().ips_fragdropped,
	    XK_IPFRAG_MAXFRAGS + 3);
	/* More fragments to come, and not a multiple of 8 bytes. */
	inject("vx0", pkt, frag4(pkt, "10.0.0.1", 3, 0, 12, true, 0));
	assert_int_equal(xk_ip_frag_queues(), 0);
	assert_int_equal(xk_test_ipstat().ips_fragdropped,
	    XK_IPFRAG_MAXFRAGS + 4);
	/* A fragment past the end a last fragment set: garbage. */
	inject("vx0", pkt, frag4(pkt, "10.0.0.1", 4, 16, 8, false, 0));
	inject("vx0", pkt, frag4(pkt, "10.0.0.1", 4, 24, 8, true, 0));
	assert_int_equal(xk_ip_frag_queues(), 0);
	assert_int_equal(xk_test_ipstat().ips_fragdropped,
	    XK_IPFRAG_MAXFRAGS + 6);
	assert_int_equal(xk_test_ipstat().ips_fragments,
	    XK_IPFRAG_MAXFRAGS + 6);
}

static void
test_input_v4_queue_limit(void **state)
{
	uint8_t pkt[64];

	(void)state;
	for (int i = 0; i < XK_IPFRAG_MAXPACKETS + 1; i++) {
		inject("vx0", pkt, frag4(pkt, "10.0.0.1", (uint16_t)(100 + i),
		    0, 8, true, 0));
	}
	/* The oldest went to make room. */
	assert_int_equal(xk_ip_frag_queues(), XK_IPFRAG_MAXPACKETS);
	assert_int_equal(xk_test_ipstat().ips_fragdropped, 1);
	xk_ip_frag_set_timeout_ms(100);
	assert_true(wait_no_queues(WAIT_MS));
	assert_int_equal(xk_test_ipstat().ips_fragtimeout,
	    XK_IPFRAG_MAXPACKETS);
}

/* Fragments of TCP and UDP are put together, then go to the host. */
static void
test_input_v4_reassembled_tcp_is_the_hosts(void **state)
{
	uint8_t pkt[64];
	struct ip *ip = (struct ip *)pkt;
	socket_t so;

	(void)state;
	so = raw(PF_INET, 0);
	for (int i = 0; i < 2; i++) {
		size_t len = frag4(pkt, "10.0.0.1", 9, (size_t)i * 16, 16,
		    i == 0, 0);

		ip->ip_p = IPPROTO_TCP;
		ip->ip_sum = 0;
		ip->ip_sum = xk_in_cksum_buf(ip, sizeof(*ip));
		inject("vx0", pkt, len);
	}
	assert_int_equal(xk_test_ipstat().ips_reassembled, 1);
	assert_int_equal(xk_test_ipstat().ips_hostproto, 1);
	assert_int_equal(recv1(so, pkt, sizeof(pkt)), -1);
	sock_close(so);
}

/* Out of one interface, over the link, reassembled on the other. */
static void
test_round_trip_over_a_link(void **state)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct xk_test_upcall up = { 0 };
	static uint8_t got[4096];
	socket_t tx, rx = NULL;

	(void)state;
	dst.sin_addr = xk_test_a4("10.0.2.2");
	assert_int_equal(sock_socket(PF_INET, SOCK_RAW, PROTO_EXP,
	    xk_test_upcall_cb, &up, &rx), 0);
	assert_int_equal(sock_bind(rx, (struct sockaddr *)&dst), 0);
	tx = raw(PF_INET, PROTO_EXP);
	assert_int_equal(send_to(tx, (struct sockaddr *)&dst, sizeof(dst),
	    payload, BIG), 0);
	xk_test_await(&up.calls, 1, "read upcall of the reassembled packet");
	assert_int_equal(recv1(rx, got, sizeof(got)), 20 + BIG);
	xk_test_check_pattern(got + 20, BIG, 0);
	assert_int_equal(xk_test_ipstat().ips_ofragments, 3);
	assert_int_equal(xk_test_ipstat().ips_reassembled, 1);
	sock_close(tx);
	sock_close(rx);
}

static void
test_input_v6_out_of_order_dup_overlap(void **state)
{
	static uint8_t pkt[1600], got[4096];
	struct xk_ip_stats s;
	socket_t so, other;

	(void)state;
	so = raw(PF_INET6, PROTO_EXP);
	other = raw(PF_INET6, IPPROTO_FRAGMENT);
	inject("vx1", pkt, frag6(pkt, 7, 2000, 1000, false, 0));
	inject("vx1", pkt, frag6(pkt, 7, 0, 1000, true, 0));
	inject("vx1", pkt, frag6(pkt, 7, 0, 1000, true, 0x55));
	frag6(pkt, 7, 800, 800, true, 0);
	for (size_t i = 0; i < 200; i++) {
		pkt[56 + i] ^= 0xaa;
	}
	inject("vx1", pkt, 56 + 800);
	assert_int_equal(recv1(so, got, sizeof(got)), -1);
	frag6(pkt, 7, 1000, 1000, true, 0);
	for (size_t i = 0; i < 600; i++) {
		pkt[56 + i] ^= 0x33;
	}
	inject("vx1", pkt, 56 + 1000);
	/* Data after the headers: the whole payload. */
	assert_int_equal(recv1(so, got, sizeof(got)), BIG);
	xk_test_check_pattern(got, BIG, 0);
	assert_int_equal(recv1(so, got, sizeof(got)), -1);
	/* Nobody sees the Fragment header as an upper layer. */
	assert_int_equal(recv1(other, got, sizeof(got)), -1);
	s = xk_test_ipstat();
	assert_int_equal(s.ip6s_fragments, 5);
	assert_int_equal(s.ip6s_reassembled, 1);
	assert_int_equal(s.ip6s_fragdropped, 1);
	assert_int_equal(s.ip6s_delivered, 1);
	assert_int_equal(xk_ip_frag_queues(), 0);
	sock_close(so);
	sock_close(other);
}

/* The reassembled IPv6 header chain, checked at the mbuf level. */
static void
test_input_v6_reassembled_headers(void **state)
{
	uint8_t pkt[128];
	struct xk_ip6_hdrs h;
	mbuf_t m, first, r;
	size_t len;

	(void)state;
	len = frag6(pkt, 8, 0, 16, true, 0);
	assert_int_equal(mbuf_gethdr(MBUF_WAITOK, MBUF_TYPE_DATA, &first), 0);
	assert_int_equal(mbuf_copyback(first, 0, len, pkt, MBUF_WAITOK), 0);
	len = frag6(pkt, 8, 16, 8, false, 0);
	assert_int_equal(mbuf_gethdr(MBUF_WAITOK, MBUF_TYPE_DATA, &m), 0);
	assert_int_equal(mbuf_copyback(m, 0, len, pkt, MBUF_WAITOK), 0);
	xk_core_lock();
	assert_int_equal(xk_ip6_check_hdrs(first, &h), XK_IPDROP_NONE);
	assert_int_equal(h.ih_nxt, IPPROTO_FRAGMENT);
	assert_int_equal(h.ih_fragoff, 48);
	assert_int_equal(h.ih_fragprev, 40);
	assert_null(xk_ip6_reass_locked(first, &h));
	assert_int_equal(xk_ip6_check_hdrs(m, &h), XK_IPDROP_NONE);
	r = xk_ip6_reass_locked(m, &h);
	xk_core_unlock();
	assert_non_null(r);
	assert_int_equal(mbuf_pkthdr_len(r), 48 + 24);
	assert_int_equal(mbuf_copydata(r, 0, 48 + 24, pkt), 0);
	assert_int_equal(ntohs(((struct ip6_hdr *)pkt)->ip6_plen), 8 + 24);
	assert_int_equal(pkt[6], IPPROTO_HOPOPTS);
	assert_int_equal(pkt[40], PROTO_EXP);	/* was IPPROTO_FRAGMENT */
	xk_test_check_pattern(pkt + 48, 24, 0);
	assert_int_equal(xk_ip6_check_hdrs(r, &h), XK_IPDROP_NONE);
	assert_int_equal(h.ih_nxt, PROTO_EXP);
	assert_int_equal(h.ih_off, 48);
	mbuf_freem(r);
}

static void
test_input_v6_atomic_fragment(void **state)
{
	uint8_t pkt[128], got[128];
	socket_t so;

	(void)state;
	so = raw(PF_INET6, PROTO_EXP);
	inject("vx1", pkt, frag6(pkt, 9, 0, 30, false, 0));
	assert_int_equal(recv1(so, got, sizeof(got)), 30);
	xk_test_check_pattern(got, 30, 0);
	assert_int_equal(xk_test_ipstat().ip6s_atomicfrags, 1);
	assert_int_equal(xk_test_ipstat().ip6s_fragments, 0);
	assert_int_equal(xk_ip_frag_queues(), 0);
	sock_close(so);
}

static void
test_input_v6_timeout_and_malformed(void **state)
{
	uint8_t pkt[1100], got[4096];
	socket_t so;

	(void)state;
	so = raw(PF_INET6, PROTO_EXP);
	/* M set and 12 bytes: dropped at once. */
	inject("vx1", pkt, frag6(pkt, 10, 0, 12, true, 0));
	assert_int_equal(xk_test_ipstat().ip6s_fragdropped, 1);
	assert_int_equal(xk_ip_frag_queues(), 0);
	/* A fragment whose packet would pass 65535 bytes of payload. */
	inject("vx1", pkt, frag6(pkt, 11, 65528, 16, true, 0));
	assert_int_equal(xk_test_ipstat().ip6s_fragdropped, 2);
	/* A hole: the queue times out. */
	inject("vx1", pkt, frag6(pkt, 12, 0, 1000, true, 0));
	inject("vx1", pkt, frag6(pkt, 12, 2000, 100, false, 0));
	assert_int_equal(xk_ip_frag_queues(), 1);
	xk_ip_frag_set_timeout_ms(100);
	assert_true(wait_no_queues(WAIT_MS));
	assert_int_equal(xk_test_ipstat().ip6s_fragtimeout, 2);
	assert_int_equal(xk_test_ipstat().ip6s_fragments, 4);
	assert_int_equal(recv1(so, got, sizeof(got)), -1);
	sock_close(so);
}

static void
test_counters_by_name(void **state)
{
	static const char *const names[] = { "ip.frag.in",
	    "ip.frag.reassembled", "ip.frag.dropped", "ip.frag.timeout",
	    "ip.frag.out", "ip.frag.fragmented", "ip.frag.odropped",
	    "ip6.frag.in", "ip6.frag.reassembled", "ip6.frag.dropped",
	    "ip6.frag.timeout", "ip6.frag.atomic", "ip6.frag.out",
	    "ip6.frag.fragmented", "ip6.frag.odropped" };
	uint64_t value;
	uint8_t pkt[64];

	(void)state;
	inject("vx0", pkt, frag4(pkt, "10.0.0.1", 5, 0, 12, true, 0));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		value = xk_test_stat(names[i]);
		if (strcmp(names[i], "ip.frag.in") == 0 ||
		    strcmp(names[i], "ip.frag.dropped") == 0) {
			assert_int_equal(value, 1);
		}
	}
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_output_v4_fragments),
		T(test_output_v4_dontfrag),
		T(test_output_v4_copied_options),
		T(test_output_v6_fragments),
		T(test_output_v6_unfragmentable_part),
		T(test_output_no_memory_midway),
		T(test_input_v4_out_of_order_dup_overlap),
		T(test_input_v4_missing_fragment_times_out),
		T(test_input_v4_limits),
		T(test_input_v4_queue_limit),
		T(test_input_v4_reassembled_tcp_is_the_hosts),
		T(test_round_trip_over_a_link),
		T(test_input_v6_out_of_order_dup_overlap),
		T(test_input_v6_reassembled_headers),
		T(test_input_v6_atomic_fragment),
		T(test_input_v6_timeout_and_malformed),
		T(test_counters_by_name),
	};

	xk_pattern_fill(payload, 0, sizeof(payload));
	return cmocka_run_group_tests_name("ip_frag", tests, NULL,
	    xk_test_sock_group_teardown);
}
