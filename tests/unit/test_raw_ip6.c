/*
 * Raw IPv6 sockets over the mem backend (spec section 5): payload after
 * the extension headers, ICMPv6 only to ICMPv6 sockets and through the
 * filter (host macro polarity), checksums, IPV6_CHECKSUM rules, output
 * header construction, bind/connect errors.
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
#include <netinet/ip6.h>
#include <string.h>

#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>

#include <xkpi_mem.h>
#include "core/ip_var.h"
#include "core/socket_var.h"
#include "tests/lib/xk_test.h"

#define PROTO_EXP	253
#define WAIT_MS		XK_TEST_WAIT_MS	/* the liveness bound */

static struct sockaddr_in6
sin6(const char *s)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };

	sa.sin6_addr = xk_test_a6(s);
	return sa;
}

/* vx0 2001:db8::1/64. */
static uint32_t vx0_index;

static int
setup(void **state)
{
	struct in6_addr a = xk_test_a6("2001:db8::1");

	xk_test_sock_setup(state);
	xkpi_mem_reset();
	assert_int_equal(xkpi_mem_vif_create("vx0", 1500, &vx0_index), 0);
	assert_int_equal(xkpi_mem_vif_addaddr("vx0", AF_INET6, &a, 64), 0);
	xk_ipstat_reset();
	return 0;
}

static int
teardown(void **state)
{
	xkpi_mem_reset();
	return xk_test_sock_teardown(state);
}

/* The upper-layer checksum with the pseudo-header, over a flat buffer. */
static uint16_t
sum6(const struct in6_addr *src, const struct in6_addr *dst, uint8_t nxt,
    const uint8_t *p, size_t len)
{
	uint8_t buf[40 + 2048];

	memset(buf, 0, 40);
	memcpy(buf, src, 16);
	memcpy(buf + 16, dst, 16);
	buf[32] = (uint8_t)(len >> 24);
	buf[33] = (uint8_t)(len >> 16);
	buf[34] = (uint8_t)(len >> 8);
	buf[35] = (uint8_t)len;
	buf[39] = nxt;
	assert_true(len <= 2048);
	memcpy(buf + 40, p, len);
	return xk_in_cksum_buf(buf, 40 + len);
}

/* IPv6 packet: fixed header, @ext, then @ulen bytes at @upper. */
static size_t
pkt6(uint8_t *buf, const char *src, const char *dst, uint8_t nxt,
    const uint8_t *ext, size_t elen, uint8_t unxt, const uint8_t *upper,
    size_t ulen)
{
	struct ip6_hdr *ip6 = (struct ip6_hdr *)buf;

	memset(ip6, 0, sizeof(*ip6));
	ip6->ip6_vfc = 0x60;
	ip6->ip6_plen = htons((uint16_t)(elen + ulen));
	ip6->ip6_nxt = nxt;
	ip6->ip6_hlim = 64;
	ip6->ip6_src = xk_test_a6(src);
	ip6->ip6_dst = xk_test_a6(dst);
	if (elen > 0) {
		memcpy(buf + 40, ext, elen);
	}
	memcpy(buf + 40 + elen, upper, ulen);
	(void)unxt;
	return 40 + elen + ulen;
}

/* An ICMPv6 message of @type with a valid checksum. */
static size_t
icmp6_pkt(uint8_t *buf, uint8_t type, size_t datalen)
{
	uint8_t msg[64] = { 0 };
	struct in6_addr s = xk_test_a6("2001:db8::9");
	struct in6_addr d = xk_test_a6("2001:db8::1");
	uint16_t sum;
	size_t len = 8 + datalen;

	msg[0] = type;
	xk_pattern_fill(msg + 8, 0, datalen);
	sum = sum6(&s, &d, IPPROTO_ICMPV6, msg, len);
	memcpy(msg + 2, &sum, 2);
	return pkt6(buf, "2001:db8::9", "2001:db8::1", IPPROTO_ICMPV6, NULL, 0,
	    0, msg, len);
}

static socket_t
raw6(int proto)
{
	socket_t so = NULL;

	assert_int_equal(sock_socket(PF_INET6, SOCK_RAW, proto, NULL, NULL,
	    &so), 0);
	return so;
}

static void
inject(const uint8_t *pkt, size_t len)
{
	uint64_t before = xk_test_ipstat().ip6s_total;
	int64_t end = xk_test_now_us() + (int64_t)WAIT_MS * 1000;

	assert_int_equal(xkpi_mem_inject("vx0", pkt, len), 0);
	while (xk_test_ipstat().ip6s_total == before &&
	    xk_test_now_us() < end) {
		xk_test_sleep_ms(1);
	}
	xk_test_loop_barrier();
	assert_true(xk_test_ipstat().ip6s_total > before);
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

static void
test_icmp6_only_to_icmp6_sockets(void **state)
{
	uint8_t pkt[128], got[128];
	socket_t ic, wild;
	size_t len;

	(void)state;
	ic = raw6(IPPROTO_ICMPV6);
	wild = raw6(0);
	len = icmp6_pkt(pkt, ICMP6_ECHO_REQUEST, 16);
	inject(pkt, len);
	/* From the ICMPv6 header on. */
	assert_int_equal(recv1(ic, got, sizeof(got)), 24);
	assert_int_equal(got[0], ICMP6_ECHO_REQUEST);
	xk_test_check_pattern(got + 8, 16, 0);
	assert_int_equal(recv1(wild, got, sizeof(got)), -1);
	sock_close(ic);
	sock_close(wild);
}

static void
test_icmp6_filter_host_polarity(void **state)
{
	struct icmp6_filter f;
	uint8_t pkt[128], got[128];
	int flen = sizeof(f);
	socket_t ic;

	(void)state;
	ic = raw6(IPPROTO_ICMPV6);
	assert_int_equal(sock_getsockopt(ic, IPPROTO_ICMPV6, ICMP6_FILTER, &f,
	    &flen), 0);
	assert_int_equal(flen, 32);
	assert_true(ICMP6_FILTER_WILLPASS(ICMP6_ECHO_REQUEST, &f));
	/* The host's macros, unchanged: block echo requests. */
	ICMP6_FILTER_SETPASSALL(&f);
	ICMP6_FILTER_SETBLOCK(ICMP6_ECHO_REQUEST, &f);
	assert_int_equal(sock_setsockopt(ic, IPPROTO_ICMPV6, ICMP6_FILTER, &f,
	    sizeof(f)), 0);
	inject(pkt, icmp6_pkt(pkt, ICMP6_ECHO_REQUEST, 4));
	inject(pkt, icmp6_pkt(pkt, ICMP6_ECHO_REPLY, 4));
	assert_int_equal(recv1(ic, got, sizeof(got)), 12);
	assert_int_equal(got[0], ICMP6_ECHO_REPLY);
	assert_int_equal(recv1(ic, got, sizeof(got)), -1);
	/* Sizes: 0 resets to pass-all, anything but 32 is EMSGSIZE. */
	assert_int_equal(sock_setsockopt(ic, IPPROTO_ICMPV6, ICMP6_FILTER, &f,
	    31), EMSGSIZE);
	assert_int_equal(sock_setsockopt(ic, IPPROTO_ICMPV6, ICMP6_FILTER, &f,
	    0), 0);
	inject(pkt, icmp6_pkt(pkt, ICMP6_ECHO_REQUEST, 4));
	assert_int_equal(recv1(ic, got, sizeof(got)), 12);
	sock_close(ic);
	/* No filter on a non-ICMPv6 socket. */
	ic = raw6(PROTO_EXP);
	assert_int_equal(sock_setsockopt(ic, IPPROTO_ICMPV6, ICMP6_FILTER, &f,
	    sizeof(f)), EINVAL);
	sock_close(ic);
}

static void
test_icmp6_bad_checksum_skipped(void **state)
{
	uint8_t pkt[128], got[128];
	size_t len;
	socket_t ic;

	(void)state;
	ic = raw6(IPPROTO_ICMPV6);
	len = icmp6_pkt(pkt, ICMP6_ECHO_REQUEST, 4);
	pkt[40 + 8] ^= 0x55;
	inject(pkt, len);
	assert_int_equal(recv1(ic, got, sizeof(got)), -1);
	assert_int_equal(xk_test_ipstat().ip6s_badsum, 1);
	sock_close(ic);
}

static void
test_payload_after_extension_headers(void **state)
{
	uint8_t ext[16] = { 0 }, upper[20], pkt[128], got[128];
	socket_t exp, wild, other;
	size_t len;

	(void)state;
	ext[0] = IPPROTO_DSTOPTS;	/* hop-by-hop, then dstopts */
	ext[8] = PROTO_EXP;
	xk_pattern_fill(upper, 0, sizeof(upper));
	exp = raw6(PROTO_EXP);
	wild = raw6(0);
	other = raw6(PROTO_EXP - 1);
	len = pkt6(pkt, "2001:db8::9", "2001:db8::1", IPPROTO_HOPOPTS, ext,
	    sizeof(ext), PROTO_EXP, upper, sizeof(upper));
	inject(pkt, len);
	assert_int_equal(recv1(exp, got, sizeof(got)), 20);
	xk_test_check_pattern(got, 20, 0);
	assert_int_equal(recv1(wild, got, sizeof(got)), 20);
	assert_int_equal(recv1(other, got, sizeof(got)), -1);
	assert_int_equal(xk_test_ipstat().ip6s_delivered, 1);
	sock_close(exp);
	sock_close(wild);
	sock_close(other);
}

static void
test_ipv6_checksum_option_rules(void **state)
{
	int v, vl = sizeof(v);
	socket_t ic, so;

	(void)state;
	ic = raw6(IPPROTO_ICMPV6);
	so = raw6(PROTO_EXP);
	assert_int_equal(sock_getsockopt(ic, IPPROTO_IPV6, IPV6_CHECKSUM, &v,
	    &vl), 0);
	assert_int_equal(v, 2);
	assert_int_equal(sock_getsockopt(so, IPPROTO_IPV6, IPV6_CHECKSUM, &v,
	    &vl), 0);
	assert_int_equal(v, -1);
	v = 3;
	assert_int_equal(sock_setsockopt(so, IPPROTO_IPV6, IPV6_CHECKSUM, &v,
	    sizeof(v)), EINVAL);
	/* XNU cannot switch it off again: -1 % 2 is -1. */
	v = -1;
	assert_int_equal(sock_setsockopt(so, IPPROTO_IPV6, IPV6_CHECKSUM, &v,
	    sizeof(v)), EINVAL);
	v = 4;
	assert_int_equal(sock_setsockopt(so, IPPROTO_IPV6, IPV6_CHECKSUM, &v,
	    2), EINVAL);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IPV6, IPV6_CHECKSUM, &v,
	    sizeof(v)), 0);
	/* On ICMPv6 sockets only 2. */
	assert_int_equal(sock_setsockopt(ic, IPPROTO_IPV6, IPV6_CHECKSUM, &v,
	    sizeof(v)), EINVAL);
	v = 2;
	assert_int_equal(sock_setsockopt(ic, IPPROTO_IPV6, IPV6_CHECKSUM, &v,
	    sizeof(v)), 0);
	sock_close(ic);
	sock_close(so);
}

static void
send6(socket_t so, const struct sockaddr_in6 *to, const void *p, size_t len,
    errno_t want)
{
	struct iovec iov = { (void *)(uintptr_t)p, len };
	struct msghdr msg = { 0 };
	size_t sent = 1;

	msg.msg_name = (void *)(uintptr_t)to;
	msg.msg_namelen = to != NULL ? sizeof(*to) : 0;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	assert_int_equal(sock_send(so, &msg, 0, &sent), want);
}

static void
test_output_header_and_checksums(void **state)
{
	struct sockaddr_in6 dst = sin6("2001:db8::9");
	uint8_t echo[12] = { ICMP6_ECHO_REPLY }, data[10] = { 0 };
	uint8_t buf[256];
	struct in6_addr want_src;
	struct ip6_hdr ip6;
	size_t len = 0;
	int off = 4;
	socket_t ic, so;

	(void)state;
	ic = raw6(IPPROTO_ICMPV6);
	send6(ic, &dst, echo, sizeof(echo), 0);
	assert_int_equal(xkpi_mem_capture("vx0", buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 40 + sizeof(echo));
	memcpy(&ip6, buf, sizeof(ip6));
	assert_int_equal(ip6.ip6_vfc >> 4, 6);
	assert_int_equal(ip6.ip6_nxt, IPPROTO_ICMPV6);
	assert_int_equal(ip6.ip6_hlim, 64);
	assert_int_equal(ntohs(ip6.ip6_plen), sizeof(echo));
	want_src = xk_test_a6("2001:db8::1");
	assert_memory_equal(&ip6.ip6_src, &want_src, 16);
	/* The kernel's ICMPv6 checksum at offset 2 verifies. */
	assert_int_equal(sum6(&ip6.ip6_src, &ip6.ip6_dst, IPPROTO_ICMPV6,
	    buf + 40, sizeof(echo)), 0);
	/* Too short for the checksum field. */
	send6(ic, &dst, echo, 1, EINVAL);
	/* IPV6_CHECKSUM 4 on another protocol. */
	so = raw6(PROTO_EXP);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IPV6, IPV6_CHECKSUM,
	    &off, sizeof(off)), 0);
	send6(so, &dst, data, sizeof(data), 0);
	assert_int_equal(xkpi_mem_capture("vx0", buf, sizeof(buf), &len), 0);
	memcpy(&ip6, buf, sizeof(ip6));
	assert_int_equal(ip6.ip6_nxt, PROTO_EXP);
	assert_int_equal(sum6(&ip6.ip6_src, &ip6.ip6_dst, PROTO_EXP, buf + 40,
	    sizeof(data)), 0);
	sock_close(ic);
	sock_close(so);
}

static void
test_send_bind_connect_errors(void **state)
{
	struct sockaddr_in6 dst = sin6("2001:db8::9");
	struct sockaddr_in6 mapped = sin6("::ffff:10.0.0.1");
	struct sockaddr_in6 nonlocal = sin6("2001:db8::5");
	struct sockaddr_in6 offlink = sin6("2001:db9::1");
	struct sockaddr_in v4 = { .sin_family = AF_INET };
	uint8_t echo[8] = { ICMP6_ECHO_REQUEST };
	socket_t so = NULL;

	(void)state;
	/* No interface's prefix holds it, and mem has no host table. */
	so = raw6(IPPROTO_ICMPV6);
	send6(so, &offlink, echo, sizeof(echo), EHOSTUNREACH);
	assert_int_equal(xk_test_ipstat().ip6s_noroute, 1);
	assert_int_equal(xk_test_ipstat().ips_noroute, 0);
	sock_close(so);
	/* 259 is SeND's (test_send.c), never the raw wildcard's. */
	assert_int_equal(sock_socket(PF_INET6, SOCK_RAW, 259, NULL, NULL,
	    &so), 0);
	assert_int_equal(sock_bind(so, (struct sockaddr *)&dst), EOPNOTSUPP);
	sock_close(so);
	so = raw6(IPPROTO_ICMPV6);
	send6(so, &mapped, echo, sizeof(echo), EINVAL);
	assert_int_equal(sock_bind(so, (struct sockaddr *)&v4), EINVAL);
	assert_int_equal(sock_bind(so, (struct sockaddr *)&nonlocal),
	    EADDRNOTAVAIL);
	assert_int_equal(sock_connect(so, (struct sockaddr *)&v4, 0), EINVAL);
	assert_int_equal(sock_connect(so, (struct sockaddr *)&dst, 0), 0);
	send6(so, &dst, echo, sizeof(echo), EISCONN);
	send6(so, NULL, echo, sizeof(echo), 0);
	xkpi_mem_reset();
	assert_int_equal(sock_bind(so, (struct sockaddr *)&dst),
	    EADDRNOTAVAIL);
	sock_close(so);
}

/*
 * RFC 3542's receive options, as ip6_savecontrol gives them: the
 * destination and interface (IPV6_PKTINFO), the hop limit a SeND or ND
 * daemon must check is 255 (IPV6_HOPLIMIT), the traffic class and
 * SO_TIMESTAMP, in the host's cmsg layout and with glibc's names.
 */
static void
test_receive_options(void **state)
{
	uint8_t pkt[128], got[64], ctl[256];
	struct iovec iov = { got, sizeof(got) };
	struct msghdr msg = { 0 };
	struct ip6_hdr *ip6 = (struct ip6_hdr *)pkt;
	int on = 1, v = 0, vl = sizeof(v), seen = 0;
	struct cmsghdr *cm;
	size_t len, n = 0;
	socket_t so;

	(void)state;
	so = raw6(IPPROTO_ICMPV6);
	assert_int_equal(sock_getsockopt(so, IPPROTO_IPV6, IPV6_RECVPKTINFO,
	    &v, &vl), 0);
	assert_int_equal(v, 0);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IPV6, IPV6_RECVPKTINFO,
	    &on, sizeof(on)), 0);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IPV6, IPV6_RECVHOPLIMIT,
	    &on, sizeof(on)), 0);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IPV6, IPV6_RECVTCLASS,
	    &on, sizeof(on)), 0);
	assert_int_equal(sock_setsockopt(so, SOL_SOCKET, SO_TIMESTAMP, &on,
	    sizeof(on)), 0);
	assert_int_equal(sock_getsockopt(so, IPPROTO_IPV6, IPV6_RECVHOPLIMIT,
	    &v, &vl), 0);
	assert_int_equal(v, 1);
	len = icmp6_pkt(pkt, ND_NEIGHBOR_SOLICIT, 16);
	ip6->ip6_hlim = 255;
	ip6->ip6_flow = htonl(0x60000000u | (0xb8u << 20));
	inject(pkt, len);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl;
	msg.msg_controllen = sizeof(ctl);
	assert_int_equal(sock_receive(so, &msg, MSG_DONTWAIT, &n), 0);
	assert_int_equal(n, 24);
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			struct in6_addr d = xk_test_a6("2001:db8::1");

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			assert_memory_equal(&pi.ipi6_addr, &d, sizeof(d));
			assert_int_equal(pi.ipi6_ifindex, vx0_index);
			seen |= 1;
		} else if (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_HOPLIMIT) {
			memcpy(&v, CMSG_DATA(cm), sizeof(v));
			assert_int_equal(v, 255);
			seen |= 2;
		} else if (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_TCLASS) {
			memcpy(&v, CMSG_DATA(cm), sizeof(v));
			assert_int_equal(v, 0xb8);
			seen |= 4;
		} else if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_TIMESTAMP) {
			seen |= 8;
		}
	}
	assert_int_equal(seen, 15);
	/* Off again: no control data at all. */
	on = 0;
	assert_int_equal(sock_setsockopt(so, IPPROTO_IPV6, IPV6_RECVPKTINFO,
	    &on, sizeof(on)), 0);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IPV6, IPV6_RECVHOPLIMIT,
	    &on, sizeof(on)), 0);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IPV6, IPV6_RECVTCLASS,
	    &on, sizeof(on)), 0);
	assert_int_equal(sock_setsockopt(so, SOL_SOCKET, SO_TIMESTAMP, &on,
	    sizeof(on)), 0);
	inject(pkt, len);
	msg.msg_controllen = sizeof(ctl);
	assert_int_equal(sock_receive(so, &msg, MSG_DONTWAIT, &n), 0);
	assert_int_equal(msg.msg_controllen, 0);
	sock_close(so);
}

static void
test_not_for_us_and_host_protocols(void **state)
{
	uint8_t upper[8] = { 0 }, pkt[128];
	socket_t wild;

	(void)state;
	wild = raw6(0);
	inject(pkt, pkt6(pkt, "2001:db8::9", "2001:db8::77", PROTO_EXP, NULL,
	    0, 0, upper, sizeof(upper)));
	inject(pkt, pkt6(pkt, "2001:db8::9", "2001:db8::1", IPPROTO_UDP, NULL,
	    0, 0, upper, sizeof(upper)));
	assert_int_equal(xk_test_ipstat().ip6s_notforus, 1);
	assert_int_equal(xk_test_ipstat().ips_hostproto, 1);
	assert_int_equal(recv1(wild, pkt, sizeof(pkt)), -1);
	sock_close(wild);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_icmp6_only_to_icmp6_sockets),
		T(test_icmp6_filter_host_polarity),
		T(test_icmp6_bad_checksum_skipped),
		T(test_payload_after_extension_headers),
		T(test_ipv6_checksum_option_rules),
		T(test_output_header_and_checksums),
		T(test_send_bind_connect_errors),
		T(test_receive_options),
		T(test_not_for_us_and_host_protocols),
	};

	return cmocka_run_group_tests_name("raw_ip6", tests, NULL,
	    xk_test_sock_group_teardown);
}
