/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Raw IPv4 multicast and interface choice over two mem links:
 * IP_MULTICAST_IF (address and struct ip_mreqn), IP_MULTICAST_TTL and
 * IP_MULTICAST_LOOP (byte and int forms), IP_PKTINFO on send,
 * IP_ADD_MEMBERSHIP/IP_DROP_MEMBERSHIP with FreeBSD rip_input's rule (a
 * socket with multicast state gets a group only when it joined it), and
 * MBUF_MCAST/MBUF_BCAST on received packets.
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
#include <string.h>

#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>
#include <xkpi_mem.h>

#include "core/ip_var.h"
#include "core/socket_var.h"
#include "tests/lib/xk_test.h"

#define PROTO_EXP	253
#define WAIT_MS		XK_TEST_WAIT_MS

/* vx0 10.0.0.1/24; vx1 10.0.1.1/24. */
static uint32_t vx0, vx1;

static int
setup(void **state)
{
	struct in_addr a;

	xk_test_sock_setup(state);
	xkpi_mem_reset();
	assert_int_equal(xkpi_mem_vif_create("vx0", 1500, &vx0), 0);
	assert_int_equal(xkpi_mem_vif_create("vx1", 1500, &vx1), 0);
	a = xk_test_a4("10.0.0.1");
	assert_int_equal(xkpi_mem_vif_addaddr("vx0", AF_INET, &a, 24), 0);
	a = xk_test_a4("10.0.1.1");
	assert_int_equal(xkpi_mem_vif_addaddr("vx1", AF_INET, &a, 24), 0);
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
raw(void)
{
	socket_t so = NULL;

	assert_int_equal(sock_socket(PF_INET, SOCK_RAW, PROTO_EXP, NULL, NULL,
	    &so), 0);
	return so;
}

static errno_t
send4(socket_t so, const char *dst, const void *ctl, size_t ctllen)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	uint8_t data[4] = { 1, 2, 3, 4 };
	struct iovec iov = { data, sizeof(data) };
	struct msghdr mh = { .msg_name = &sin, .msg_namelen = sizeof(sin),
	    .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = (void *)(uintptr_t)ctl, .msg_controllen = ctllen };
	size_t sent;

	sin.sin_addr = xk_test_a4(dst);
	return sock_send(so, &mh, 0, &sent);
}

static bool
left(const char *ifname, struct ip *ip)
{
	uint8_t buf[256];
	size_t len;

	if (xkpi_mem_capture(ifname, buf, sizeof(buf), &len) != 0) {
		return false;
	}
	memcpy(ip, buf, sizeof(*ip));
	return true;
}

/* One datagram, with its mbuf flags; -1 when none. */
static ssize_t
recv1(socket_t so, uint32_t *flags)
{
	struct msghdr mh;
	size_t len = 4096;
	mbuf_t m = NULL;

	memset(&mh, 0, sizeof(mh));
	if (sock_receivembuf(so, &mh, &m, MSG_DONTWAIT, &len) != 0) {
		return -1;
	}
	if (flags != NULL) {
		*flags = mbuf_flags(m);
	}
	mbuf_freem(m);
	return (ssize_t)len;
}

static void
inject4(const char *ifname, const char *src, const char *dst)
{
	uint8_t pkt[24];
	struct ip *ip = (struct ip *)pkt;
	struct xk_ip_stats s0 = xk_test_ipstat();
	int64_t end = xk_test_now_us() + (int64_t)WAIT_MS * 1000;

	memset(pkt, 0, sizeof(pkt));
	ip->ip_v = 4;
	ip->ip_hl = 5;
	ip->ip_len = htons(sizeof(pkt));
	ip->ip_ttl = 1;
	ip->ip_p = PROTO_EXP;
	ip->ip_src = xk_test_a4(src);
	ip->ip_dst = xk_test_a4(dst);
	ip->ip_sum = xk_in_cksum_buf(ip, sizeof(*ip));
	assert_int_equal(xkpi_mem_inject(ifname, pkt, sizeof(pkt)), 0);
	while (xk_test_ipstat().ips_total == s0.ips_total &&
	    xk_test_now_us() < end) {
		xk_test_sleep_ms(1);
	}
	xk_test_loop_barrier();
}

static void
test_multicast_if_ttl(void **state)
{
	socket_t so = raw();
	struct in_addr a = xk_test_a4("10.0.1.1");
	struct ip_mreqn mrn;
	struct ip ip;
	uint8_t ttl = 5;
	int v = 0, len = sizeof(v);

	(void)state;
	/* Multicast without options: TTL 1, the route (or first link). */
	assert_int_equal(send4(so, "224.0.0.251", NULL, 0), 0);
	assert_true(left("vx0", &ip));
	assert_int_equal(ip.ip_ttl, 1);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_MULTICAST_IF, &a,
	    sizeof(a)), 0);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_MULTICAST_TTL,
	    &ttl, sizeof(ttl)), 0);
	assert_int_equal(send4(so, "224.0.0.251", NULL, 0), 0);
	assert_true(left("vx1", &ip));
	assert_int_equal(ip.ip_ttl, 5);
	assert_int_equal(ip.ip_src.s_addr, a.s_addr);
	assert_int_equal(sock_getsockopt(so, IPPROTO_IP, IP_MULTICAST_TTL, &v,
	    &len), 0);
	assert_int_equal(v, 5);
	/* Unicast keeps IP_TTL. */
	assert_int_equal(send4(so, "10.0.0.9", NULL, 0), 0);
	assert_true(left("vx0", &ip));
	assert_int_equal(ip.ip_ttl, IPDEFTTL);
	/* struct ip_mreqn by index. */
	memset(&mrn, 0, sizeof(mrn));
	mrn.imr_ifindex = (int)vx0;
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_MULTICAST_IF, &mrn,
	    sizeof(mrn)), 0);
	assert_int_equal(send4(so, "224.0.0.251", NULL, 0), 0);
	assert_true(left("vx0", &ip));
	/* Errors. */
	a = xk_test_a4("192.0.2.1");
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_MULTICAST_IF, &a,
	    sizeof(a)), EADDRNOTAVAIL);
	mrn.imr_ifindex = 999;
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_MULTICAST_IF, &mrn,
	    sizeof(mrn)), ENXIO);
	v = 256;
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_MULTICAST_TTL, &v,
	    sizeof(v)), EINVAL);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_MULTICAST_TTL, &v,
	    3), EINVAL);
	sock_close(so);
}

static void
test_pktinfo_on_send(void **state)
{
	socket_t so = raw();
	uint8_t ctl[CMSG_SPACE(sizeof(struct in_pktinfo))]
	    __attribute__((aligned(8)));
	struct cmsghdr *cm = (struct cmsghdr *)(void *)ctl;
	struct in_pktinfo pi;
	struct ip ip;

	(void)state;
	memset(ctl, 0, sizeof(ctl));
	cm->cmsg_len = CMSG_LEN(sizeof(pi));
	cm->cmsg_level = IPPROTO_IP;
	cm->cmsg_type = IP_PKTINFO;
	memset(&pi, 0, sizeof(pi));
	pi.ipi_ifindex = (int)vx1;
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	assert_int_equal(send4(so, "224.0.0.1", ctl, sizeof(ctl)), 0);
	assert_true(left("vx1", &ip));
	assert_int_equal(ip.ip_src.s_addr, xk_test_a4("10.0.1.1").s_addr);
	/* A source given: used as is. */
	pi.ipi_spec_dst = xk_test_a4("10.0.0.1");
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	assert_int_equal(send4(so, "224.0.0.1", ctl, sizeof(ctl)), 0);
	assert_true(left("vx1", &ip));
	assert_int_equal(ip.ip_src.s_addr, xk_test_a4("10.0.0.1").s_addr);
	/* A source the host lacks, an unknown interface. */
	pi.ipi_spec_dst = xk_test_a4("192.0.2.1");
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	assert_int_equal(send4(so, "224.0.0.1", ctl, sizeof(ctl)),
	    EADDRNOTAVAIL);
	pi.ipi_spec_dst.s_addr = INADDR_ANY;
	pi.ipi_ifindex = 999;
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	assert_int_equal(send4(so, "224.0.0.1", ctl, sizeof(ctl)), ENXIO);
	sock_close(so);
}

static void
test_loop(void **state)
{
	socket_t so = raw(), other = raw();
	struct ip ip;
	uint8_t off = 0;
	uint32_t fl = 0;

	(void)state;
	assert_int_equal(send4(so, "224.0.0.1", NULL, 0), 0);
	assert_true(left("vx0", &ip));
	xk_test_loop_barrier();
	assert_int_equal(recv1(other, &fl), 24);
	assert_true(fl & MBUF_MCAST);
	assert_int_equal(recv1(so, NULL), 24);
	assert_int_equal(xk_test_stat("ip.mcast.looped"), 1);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_MULTICAST_LOOP,
	    &off, sizeof(off)), 0);
	assert_int_equal(send4(so, "224.0.0.1", NULL, 0), 0);
	assert_true(left("vx0", &ip));
	xk_test_loop_barrier();
	assert_int_equal(recv1(other, NULL), -1);
	sock_close(so);
	sock_close(other);
}

static void
test_membership_rip_input(void **state)
{
	socket_t member = raw(), stateful = raw(), plain = raw();
	struct ip_mreq mr;
	struct ip_mreqn mrn;
	uint8_t ttl = 2;
	uint32_t fl = 0;

	(void)state;
	mr.imr_multiaddr = xk_test_a4("239.1.2.3");
	mr.imr_interface = xk_test_a4("10.0.0.1");
	assert_int_equal(sock_setsockopt(member, IPPROTO_IP,
	    IP_ADD_MEMBERSHIP, &mr, sizeof(mr)), 0);
	assert_int_equal(sock_setsockopt(member, IPPROTO_IP,
	    IP_ADD_MEMBERSHIP, &mr, sizeof(mr)), EADDRINUSE);
	assert_int_equal(sock_setsockopt(stateful, IPPROTO_IP,
	    IP_MULTICAST_TTL, &ttl, sizeof(ttl)), 0);
	inject4("vx0", "10.0.0.7", "239.1.2.3");
	assert_int_equal(recv1(member, &fl), 24);
	assert_true(fl & MBUF_MCAST);
	/* Multicast state without the group: FreeBSD's rip_input skips it. */
	assert_int_equal(recv1(stateful, NULL), -1);
	assert_int_equal(recv1(plain, NULL), 24);
	/* Joined on vx0, not on vx1. */
	inject4("vx1", "10.0.1.7", "239.1.2.3");
	assert_int_equal(recv1(member, NULL), -1);
	assert_int_equal(recv1(plain, NULL), 24);
	/* struct ip_mreqn with an index; leave; errors. */
	memset(&mrn, 0, sizeof(mrn));
	mrn.imr_multiaddr = xk_test_a4("239.1.2.3");
	mrn.imr_ifindex = (int)vx1;
	assert_int_equal(sock_setsockopt(member, IPPROTO_IP,
	    IP_ADD_MEMBERSHIP, &mrn, sizeof(mrn)), 0);
	inject4("vx1", "10.0.1.7", "239.1.2.3");
	assert_int_equal(recv1(member, NULL), 24);
	assert_int_equal(recv1(plain, NULL), 24);
	assert_int_equal(sock_setsockopt(member, IPPROTO_IP,
	    IP_DROP_MEMBERSHIP, &mr, sizeof(mr)), 0);
	assert_int_equal(sock_setsockopt(member, IPPROTO_IP,
	    IP_DROP_MEMBERSHIP, &mr, sizeof(mr)), EADDRNOTAVAIL);
	mr.imr_multiaddr = xk_test_a4("10.0.0.9");
	assert_int_equal(sock_setsockopt(member, IPPROTO_IP,
	    IP_ADD_MEMBERSHIP, &mr, sizeof(mr)), EINVAL);
	mr.imr_multiaddr = xk_test_a4("239.1.2.3");
	mr.imr_interface = xk_test_a4("192.0.2.1");
	assert_int_equal(sock_setsockopt(member, IPPROTO_IP,
	    IP_ADD_MEMBERSHIP, &mr, sizeof(mr)), EADDRNOTAVAIL);
	sock_close(plain);
	/* Nobody left who takes the group on vx0: counted apart. */
	inject4("vx0", "10.0.0.7", "239.1.2.3");
	assert_int_equal(xk_test_stat("ip.mcast.notmember"), 1);
	sock_close(member);
	sock_close(stateful);
}

static void
test_broadcast_flag(void **state)
{
	socket_t so = raw();
	uint32_t fl = 0;

	(void)state;
	inject4("vx0", "10.0.0.7", "10.0.0.255");
	assert_int_equal(recv1(so, &fl), 24);
	assert_true(fl & MBUF_BCAST);
	assert_false(fl & MBUF_MCAST);
	inject4("vx0", "10.0.0.7", "10.0.0.1");
	assert_int_equal(recv1(so, &fl), 24);
	assert_false(fl & (MBUF_BCAST | MBUF_MCAST));
	sock_close(so);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_multicast_if_ttl),
		T(test_pktinfo_on_send),
		T(test_loop),
		T(test_membership_rip_input),
		T(test_broadcast_flag),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
