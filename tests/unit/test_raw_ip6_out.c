/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Raw IPv6 output as an ND daemon needs it, over two mem links: the
 * interface from the scope id, IPV6_PKTINFO (per send and sticky) and
 * IPV6_MULTICAST_IF; the source by scope; hop limits and traffic class
 * per socket and per send; multicast loop; group membership deciding
 * delivery; and on the receive side the scope id of link-local sources,
 * MBUF_MCAST, and ICMPv6 the filter blocked counted under its own name.
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
#define WAIT_MS		XK_TEST_WAIT_MS

/* vx0: fe80::1, fd00::1; vx1: fe80::2, fd01::1. */
static uint32_t vx0, vx1;

static void
addr6(const char *ifname, const char *a, unsigned int plen)
{
	struct in6_addr in6 = xk_test_a6(a);

	assert_int_equal(xkpi_mem_vif_addaddr(ifname, AF_INET6, &in6, plen),
	    0);
}

static int
setup(void **state)
{
	xk_test_sock_setup(state);
	xkpi_mem_reset();
	assert_int_equal(xkpi_mem_vif_create("vx0", 1500, &vx0), 0);
	assert_int_equal(xkpi_mem_vif_create("vx1", 1500, &vx1), 0);
	addr6("vx0", "fe80::1", 64);
	addr6("vx0", "fd00::1", 64);
	addr6("vx1", "fe80::2", 64);
	addr6("vx1", "fd01::1", 64);
	xk_ipstat_reset();
	return 0;
}

static int
teardown(void **state)
{
	xkpi_mem_reset();
	return xk_test_sock_teardown(state);
}

static socket_t
icmp6_socket(void)
{
	socket_t so = NULL;

	assert_int_equal(sock_socket(PF_INET6, SOCK_RAW, IPPROTO_ICMPV6, NULL,
	    NULL, &so), 0);
	return so;
}

/* Sends an echo request to @dst (scope @scope) with @ctl control. */
static errno_t
send6(socket_t so, const char *dst, uint32_t scope, const void *ctl,
    size_t ctllen)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
	uint8_t msg[8] = { ICMP6_ECHO_REQUEST };
	struct iovec iov = { msg, sizeof(msg) };
	struct msghdr mh = { .msg_name = &sa, .msg_namelen = sizeof(sa),
	    .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = (void *)(uintptr_t)ctl, .msg_controllen = ctllen };
	size_t sent;

	sa.sin6_addr = xk_test_a6(dst);
	sa.sin6_scope_id = scope;
	return sock_send(so, &mh, 0, &sent);
}

/* The packet that left @ifname, its header in *@ip6; false: none. */
static bool
left(const char *ifname, struct ip6_hdr *ip6)
{
	uint8_t buf[256];
	size_t len;

	if (xkpi_mem_capture(ifname, buf, sizeof(buf), &len) != 0) {
		return false;
	}
	assert_true(len >= sizeof(*ip6));
	memcpy(ip6, buf, sizeof(*ip6));
	return true;
}

static void
assert_a6(const struct in6_addr *a, const char *want)
{
	struct in6_addr w = xk_test_a6(want);

	assert_memory_equal(a, &w, sizeof(w));
}

/* One control message of int or struct payload, in the host's layout. */
struct ctl {
	uint8_t	buf[128] __attribute__((aligned(8)));
	size_t	len;
};

static void
ctl_add(struct ctl *c, int type, const void *data, size_t dlen)
{
	struct cmsghdr cm = { .cmsg_len = CMSG_LEN(dlen),
	    .cmsg_level = IPPROTO_IPV6, .cmsg_type = type };

	assert_true(c->len + CMSG_SPACE(dlen) <= sizeof(c->buf));
	memcpy(c->buf + c->len, &cm, sizeof(cm));
	memcpy(c->buf + c->len + CMSG_LEN(0), data, dlen);
	c->len += CMSG_SPACE(dlen);
}

static void
test_scope_id_chooses_link_and_source(void **state)
{
	socket_t so = icmp6_socket();
	struct ip6_hdr ip6;

	(void)state;
	assert_int_equal(send6(so, "fe80::99", vx1, NULL, 0), 0);
	assert_false(left("vx0", &ip6));
	assert_true(left("vx1", &ip6));
	assert_a6(&ip6.ip6_src, "fe80::2");
	assert_int_equal(send6(so, "fe80::99", vx0, NULL, 0), 0);
	assert_true(left("vx0", &ip6));
	assert_a6(&ip6.ip6_src, "fe80::1");
	/* A global destination gets a global source. */
	assert_int_equal(send6(so, "fd01::7", 0, NULL, 0), 0);
	assert_true(left("vx1", &ip6));
	assert_a6(&ip6.ip6_src, "fd01::1");
	assert_int_equal(ip6.ip6_hlim, 64);
	/* A scope id naming nothing. */
	assert_int_equal(send6(so, "fe80::99", 999, NULL, 0), ENXIO);
	sock_close(so);
}

static void
test_pktinfo_per_send_and_sticky(void **state)
{
	socket_t so = icmp6_socket();
	struct in6_pktinfo pi;
	struct ctl c = { .len = 0 };
	struct ip6_hdr ip6;
	int hl = 7;

	(void)state;
	memset(&pi, 0, sizeof(pi));
	pi.ipi6_ifindex = vx1;
	ctl_add(&c, IPV6_PKTINFO, &pi, sizeof(pi));
	ctl_add(&c, IPV6_HOPLIMIT, &hl, sizeof(hl));
	assert_int_equal(send6(so, "ff02::1", 0, c.buf, c.len), 0);
	assert_true(left("vx1", &ip6));
	assert_a6(&ip6.ip6_src, "fe80::2");
	assert_int_equal(ip6.ip6_hlim, 7);
	/* A source the chosen interface lacks. */
	c.len = 0;
	pi.ipi6_addr = xk_test_a6("fd00::1");
	ctl_add(&c, IPV6_PKTINFO, &pi, sizeof(pi));
	assert_int_equal(send6(so, "ff02::1", 0, c.buf, c.len),
	    EADDRNOTAVAIL);
	/* Bad values and lengths. */
	c.len = 0;
	hl = 256;
	ctl_add(&c, IPV6_HOPLIMIT, &hl, sizeof(hl));
	assert_int_equal(send6(so, "ff02::1", 0, c.buf, c.len), EINVAL);
	c.len = 0;
	ctl_add(&c, IPV6_PKTINFO, &pi, sizeof(pi) - 1);
	assert_int_equal(send6(so, "ff02::1", 0, c.buf, c.len), EINVAL);
	/* Sticky: the socket's own, and its errors. */
	memset(&pi, 0, sizeof(pi));
	pi.ipi6_ifindex = 999;
	assert_int_equal(sock_setsockopt(so, IPPROTO_IPV6, IPV6_PKTINFO, &pi,
	    sizeof(pi)), ENXIO);
	pi.ipi6_ifindex = vx0;
	pi.ipi6_addr = xk_test_a6("fd01::1");
	assert_int_equal(sock_setsockopt(so, IPPROTO_IPV6, IPV6_PKTINFO, &pi,
	    sizeof(pi)), EADDRNOTAVAIL);
	pi.ipi6_addr = xk_test_a6("fd00::1");
	assert_int_equal(sock_setsockopt(so, IPPROTO_IPV6, IPV6_PKTINFO, &pi,
	    sizeof(pi)), 0);
	assert_int_equal(send6(so, "ff02::2", 0, NULL, 0), 0);
	assert_true(left("vx0", &ip6));
	assert_a6(&ip6.ip6_src, "fd00::1");
	/* RFC 3542: NULL and 0 clear it; the source is chosen again. */
	assert_int_equal(sock_setsockopt(so, IPPROTO_IPV6, IPV6_PKTINFO, NULL,
	    0), 0);
	assert_int_equal(send6(so, "ff02::2", 0, NULL, 0), 0);
	assert_true(left("vx0", &ip6));
	assert_a6(&ip6.ip6_src, "fe80::1");
	sock_close(so);
}

static void
test_multicast_if_hops_tclass(void **state)
{
	socket_t so = icmp6_socket();
	struct ctl c = { .len = 0 };
	struct ip6_hdr ip6;
	unsigned int idx = vx1;
	int v = 255, got = 0, len = sizeof(got);

	(void)state;
	/* RFC 3493: multicast goes with hop limit 1 unless told. */
	assert_int_equal(send6(so, "ff02::2", 0, NULL, 0), 0);
	assert_true(left("vx0", &ip6));
	assert_int_equal(ip6.ip6_hlim, 1);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IPV6, IPV6_MULTICAST_IF,
	    &idx, sizeof(idx)), 0);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IPV6, IPV6_MULTICAST_HOPS,
	    &v, sizeof(v)), 0);
	assert_int_equal(sock_getsockopt(so, IPPROTO_IPV6, IPV6_MULTICAST_HOPS,
	    &got, &len), 0);
	assert_int_equal(got, 255);
	v = 0xb8;
	ctl_add(&c, IPV6_TCLASS, &v, sizeof(v));
	assert_int_equal(send6(so, "ff02::2", 0, c.buf, c.len), 0);
	assert_true(left("vx1", &ip6));
	assert_int_equal(ip6.ip6_hlim, 255);
	assert_int_equal((ntohl(ip6.ip6_flow) >> 20) & 0xff, 0xb8);
	assert_a6(&ip6.ip6_src, "fe80::2");
	/* Unicast keeps its own hop limit. */
	assert_int_equal(send6(so, "fd01::9", 0, NULL, 0), 0);
	assert_true(left("vx1", &ip6));
	assert_int_equal(ip6.ip6_hlim, 64);
	/* Errors. */
	idx = 999;
	assert_int_equal(sock_setsockopt(so, IPPROTO_IPV6, IPV6_MULTICAST_IF,
	    &idx, sizeof(idx)), ENXIO);
	v = 256;
	assert_int_equal(sock_setsockopt(so, IPPROTO_IPV6, IPV6_MULTICAST_HOPS,
	    &v, sizeof(v)), EINVAL);
	idx = 2;
	assert_int_equal(sock_setsockopt(so, IPPROTO_IPV6, IPV6_MULTICAST_LOOP,
	    &idx, sizeof(idx)), EINVAL);
	v = -2;
	assert_int_equal(sock_setsockopt(so, IPPROTO_IPV6, IPV6_TCLASS, &v,
	    sizeof(v)), EINVAL);
	v = 1;
	assert_int_equal(sock_setsockopt(so, IPPROTO_IPV6, IPV6_V6ONLY, &v,
	    sizeof(v)), 0);
	len = sizeof(got);
	assert_int_equal(sock_getsockopt(so, IPPROTO_IPV6, IPV6_V6ONLY, &got,
	    &len), 0);
	assert_int_equal(got, 1);
	sock_close(so);
}

static ssize_t
recv_from(socket_t so, struct sockaddr_in6 *from, bool *mcast)
{
	struct msghdr mh;
	size_t len = 4096;
	mbuf_t m = NULL;

	memset(&mh, 0, sizeof(mh));
	mh.msg_name = from;
	mh.msg_namelen = sizeof(*from);
	if (sock_receivembuf(so, &mh, &m, MSG_DONTWAIT, &len) != 0) {
		return -1;
	}
	if (mcast != NULL) {
		*mcast = (mbuf_flags(m) & MBUF_MCAST) != 0;
	}
	mbuf_freem(m);
	return (ssize_t)len;
}

static void
test_multicast_loop(void **state)
{
	socket_t so = icmp6_socket(), other = icmp6_socket();
	struct sockaddr_in6 from;
	unsigned int off = 0;
	bool mc = false;
	struct ip6_hdr ip6;

	(void)state;
	assert_int_equal(send6(so, "ff02::1", vx0, NULL, 0), 0);
	assert_true(left("vx0", &ip6));
	xk_test_loop_barrier();
	/* Looped back: both sockets have it, as a multicast packet. */
	assert_int_equal(recv_from(other, &from, &mc), 8);
	assert_true(mc);
	assert_int_equal(recv_from(so, &from, NULL), 8);
	assert_int_equal(xk_test_stat("ip6.mcast.looped"), 1);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IPV6, IPV6_MULTICAST_LOOP,
	    &off, sizeof(off)), 0);
	assert_int_equal(send6(so, "ff02::1", vx0, NULL, 0), 0);
	assert_true(left("vx0", &ip6));
	xk_test_loop_barrier();
	assert_int_equal(recv_from(other, &from, NULL), -1);
	sock_close(so);
	sock_close(other);
}

/* An echo request from @src to @dst injected on @ifname. */
static void
inject_echo(const char *ifname, const char *src, const char *dst)
{
	uint8_t pkt[48];
	struct ip6_hdr *ip6 = (struct ip6_hdr *)pkt;
	struct xk_ip_stats s0 = xk_test_ipstat();
	int64_t end = xk_test_now_us() + (int64_t)WAIT_MS * 1000;
	uint8_t ph[40 + 8];
	uint16_t sum;

	memset(pkt, 0, sizeof(pkt));
	ip6->ip6_vfc = 0x60;
	ip6->ip6_plen = htons(8);
	ip6->ip6_nxt = IPPROTO_ICMPV6;
	ip6->ip6_hlim = 255;
	ip6->ip6_src = xk_test_a6(src);
	ip6->ip6_dst = xk_test_a6(dst);
	pkt[40] = ICMP6_ECHO_REQUEST;
	memset(ph, 0, sizeof(ph));
	memcpy(ph, &ip6->ip6_src, 32);
	ph[35] = 8;
	ph[39] = IPPROTO_ICMPV6;
	memcpy(ph + 40, pkt + 40, 8);
	sum = xk_in_cksum_buf(ph, sizeof(ph));
	memcpy(pkt + 42, &sum, 2);
	assert_int_equal(xkpi_mem_inject(ifname, pkt, sizeof(pkt)), 0);
	while (xk_test_ipstat().ip6s_total == s0.ip6s_total &&
	    xk_test_now_us() < end) {
		xk_test_sleep_ms(1);
	}
	xk_test_loop_barrier();
}

static void
test_membership_decides_delivery(void **state)
{
	socket_t member = icmp6_socket(), plain = icmp6_socket();
	struct ipv6_mreq mr;
	struct sockaddr_in6 from;

	(void)state;
	memset(&mr, 0, sizeof(mr));
	mr.ipv6mr_multiaddr = xk_test_a6("ff02::1:2");
	mr.ipv6mr_interface = vx0;
	assert_int_equal(sock_setsockopt(member, IPPROTO_IPV6,
	    IPV6_JOIN_GROUP, &mr, sizeof(mr)), 0);
	assert_int_equal(sock_setsockopt(member, IPPROTO_IPV6,
	    IPV6_JOIN_GROUP, &mr, sizeof(mr)), EADDRINUSE);
	/* The group on vx0: both get it (plain has no multicast state). */
	inject_echo("vx0", "fe80::9", "ff02::1:2");
	assert_int_equal(recv_from(member, &from, NULL), 8);
	/* A link-local source carries its link. */
	assert_int_equal(from.sin6_scope_id, vx0);
	assert_int_equal(recv_from(plain, &from, NULL), 8);
	/* The group on vx1, or another group: not for the member. */
	inject_echo("vx1", "fe80::9", "ff02::1:2");
	assert_int_equal(recv_from(member, &from, NULL), -1);
	assert_int_equal(recv_from(plain, &from, NULL), 8);
	assert_int_equal(from.sin6_scope_id, vx1);
	inject_echo("vx0", "fe80::9", "ff02::1:3");
	assert_int_equal(recv_from(member, &from, NULL), -1);
	assert_int_equal(recv_from(plain, &from, NULL), 8);
	/* Errors. */
	assert_int_equal(sock_setsockopt(member, IPPROTO_IPV6,
	    IPV6_LEAVE_GROUP, &mr, sizeof(mr)), 0);
	assert_int_equal(sock_setsockopt(member, IPPROTO_IPV6,
	    IPV6_LEAVE_GROUP, &mr, sizeof(mr)), EADDRNOTAVAIL);
	mr.ipv6mr_interface = 999;
	assert_int_equal(sock_setsockopt(member, IPPROTO_IPV6,
	    IPV6_JOIN_GROUP, &mr, sizeof(mr)), ENXIO);
	mr.ipv6mr_interface = vx0;
	mr.ipv6mr_multiaddr = xk_test_a6("fd00::5");
	assert_int_equal(sock_setsockopt(member, IPPROTO_IPV6,
	    IPV6_JOIN_GROUP, &mr, sizeof(mr)), EINVAL);
	/* Left every group, the state stays: no multicast for it now. */
	inject_echo("vx0", "fe80::9", "ff02::1:2");
	assert_int_equal(recv_from(member, &from, NULL), -1);
	assert_int_equal(recv_from(plain, &from, NULL), 8);
	sock_close(member);
	sock_close(plain);
	/* Only the member skipped that one: no socket wanted it at all. */
	inject_echo("vx0", "fe80::9", "ff02::1:2");
}

static void
test_filtered_counted_apart(void **state)
{
	socket_t so = icmp6_socket();
	struct icmp6_filter f;

	(void)state;
	ICMP6_FILTER_SETBLOCKALL(&f);
	assert_int_equal(sock_setsockopt(so, IPPROTO_ICMPV6, ICMP6_FILTER, &f,
	    sizeof(f)), 0);
	inject_echo("vx0", "fd00::9", "fd00::1");
	assert_int_equal(xk_test_stat("ip6.icmp6filtered"), 1);
	assert_int_equal(xk_test_stat("ip6.noproto"), 0);
	sock_close(so);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_scope_id_chooses_link_and_source),
		T(test_pktinfo_per_send_and_sticky),
		T(test_multicast_if_hops_tclass),
		T(test_multicast_loop),
		T(test_membership_decides_delivery),
		T(test_filtered_counted_apart),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
