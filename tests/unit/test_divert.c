/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Divert sockets over the mem backend (spec section 6, ip_divert.h):
 * creation and bind errors, what a diverted packet looks like and the
 * address that comes with it, divert and tee, writing back in and out
 * with the rule table resuming after the cookie, every write-back error,
 * and the counters of every packet that does not arrive.
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
#include <netinet/ip_icmp.h>
#include <string.h>

#include <netinet/ip_divert.h>
#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>
#include <xkpi_fw.h>
#include <xkpi_mem.h>

#include "backends/backend.h"
#include "core/ip_var.h"
#include "core/socket_var.h"
#include "tests/lib/xk_test.h"

#define DPORT		5000
#define PROTO_EXP	253	/* RFC 3692 experimentation */

static uint32_t vx0_index, vx1_index;

static int
setup(void **state)
{
	struct in_addr a;
	struct in6_addr a6;

	xk_test_sock_setup(state);
	xkpi_mem_reset();
	(void)xkpi_fw_flush();
	assert_int_equal(xkpi_mem_vif_create("vx0", 1500, &vx0_index), 0);
	assert_int_equal(xkpi_mem_vif_create("vx1", 1500, &vx1_index), 0);
	a = xk_test_a4("10.0.0.1");
	assert_int_equal(xkpi_mem_vif_addaddr("vx0", AF_INET, &a, 24), 0);
	a = xk_test_a4("10.0.1.1");
	assert_int_equal(xkpi_mem_vif_addaddr("vx1", AF_INET, &a, 24), 0);
	a6 = xk_test_a6("fd00::1");
	assert_int_equal(xkpi_mem_vif_addaddr("vx0", AF_INET6, &a6, 64), 0);
	xk_ipstat_reset();
	xk_div_reset();
	return 0;
}

static int
teardown(void **state)
{
	(void)xkpi_fw_flush();
	xk_so_force_unprivileged(false);
	xkpi_mem_reset();
	return xk_test_sock_teardown(state);
}

/* The index xkpi_mem_vif_create() gave @name. */
static uint32_t
if_nametoindex_mem(const char *name)
{
	return strcmp(name, "vx0") == 0 ? vx0_index : vx1_index;
}

static socket_t
divert_socket(uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socket_t so = NULL;

	assert_int_equal(sock_socket(PF_INET, SOCK_RAW, IPPROTO_DIVERT, NULL,
	    NULL, &so), 0);
	sin.sin_port = htons(port);
	if (port != 0) {
		assert_int_equal(sock_bind(so, (struct sockaddr *)&sin), 0);
	}
	return so;
}

static socket_t
raw(int proto)
{
	socket_t so = NULL;

	assert_int_equal(sock_socket(PF_INET, SOCK_RAW, proto, NULL, NULL,
	    &so), 0);
	return so;
}

/* One datagram, now, with its address; -1 when none is queued. */
static ssize_t
recv1(socket_t so, uint8_t *buf, size_t cap, struct sockaddr_in *from)
{
	return xk_test_recv1(so, buf, cap, from, sizeof(*from));
}

static errno_t
send1(socket_t so, const void *buf, size_t len, const struct sockaddr_in *to)
{
	return xk_test_send1(so, buf, len, to, sizeof(*to));
}

/* Creation */

static void
test_create_needs_privilege(void **state)
{
	socket_t so = NULL;

	(void)state;
	xk_so_force_unprivileged(true);
	assert_int_equal(sock_socket(PF_INET, SOCK_RAW, IPPROTO_DIVERT, NULL,
	    NULL, &so), EPERM);
	assert_null(so);
}

static void
test_create_always_connected_buffers(void **state)
{
	socket_t so = divert_socket(0);
	int v = 0, len = sizeof(v);

	(void)state;
	assert_true(sock_isconnected(so));
	assert_int_equal(sock_getsockopt(so, SOL_SOCKET, SO_RCVBUF, &v, &len),
	    0);
	assert_int_equal(v, DIVRCVQ);
	len = sizeof(v);
	assert_int_equal(sock_getsockopt(so, SOL_SOCKET, SO_SNDBUF, &v, &len),
	    0);
	assert_int_equal(v, DIVSNDQ);
	sock_close(so);
}

static void
test_connect_listen_accept_eopnotsupp(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socket_t so = divert_socket(DPORT), child = NULL;

	(void)state;
	sin.sin_addr = xk_test_a4("10.0.0.2");
	assert_int_equal(sock_connect(so, (struct sockaddr *)&sin, 0),
	    EOPNOTSUPP);
	assert_int_equal(sock_listen(so, 5), EOPNOTSUPP);
	assert_int_equal(sock_accept(so, NULL, 0, 0, NULL, NULL, &child),
	    EOPNOTSUPP);
	assert_null(child);
	/* Still connected, still bound. */
	assert_true(sock_isconnected(so));
	sock_close(so);
}

/* Bind */

static void
test_bind_errors(void **state)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socket_t a = divert_socket(0), b = divert_socket(0);

	(void)state;
	sin6.sin6_port = htons(DPORT);
	assert_int_equal(sock_bind(a, (struct sockaddr *)&sin6), EAFNOSUPPORT);
	sin.sin_port = htons(DPORT);
	/* The address does not count: any address binds the port. */
	sin.sin_addr = xk_test_a4("192.0.2.99");
	assert_int_equal(sock_bind(a, (struct sockaddr *)&sin), 0);
	assert_int_equal(sock_bind(a, (struct sockaddr *)&sin), EINVAL);
	assert_int_equal(sock_bind(b, (struct sockaddr *)&sin), EADDRINUSE);
	sock_close(a);
	sock_close(b);
}

static void
test_bind_port0_ephemeral_and_getsockname(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET }, got;
	socket_t so = divert_socket(0);

	(void)state;
	assert_int_equal(sock_bind(so, (struct sockaddr *)&sin), 0);
	memset(&got, 0, sizeof(got));
	assert_int_equal(sock_getsockname(so, (struct sockaddr *)&got,
	    sizeof(got)), 0);
	assert_int_equal(got.sin_family, AF_INET);
	assert_true(ntohs(got.sin_port) >= 49152);
	assert_int_equal(got.sin_addr.s_addr, INADDR_ANY);
	sock_close(so);
}

static void
test_bind_without_ipv4_interface(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socket_t so = divert_socket(0);

	(void)state;
	xkpi_mem_reset();
	sin.sin_port = htons(DPORT);
	assert_int_equal(sock_bind(so, (struct sockaddr *)&sin), EADDRNOTAVAIL);
	sock_close(so);
}

/* Reading */

static void
test_divert_in_packet_and_address(void **state)
{
	socket_t d = divert_socket(DPORT), r = raw(PROTO_EXP);
	struct sockaddr_in from;
	uint8_t pkt[128], buf[256];
	struct ip *ip = (struct ip *)buf;
	size_t len;

	(void)state;
	assert_int_equal(xkpi_fw_add("300 divert 5000 ip from any to "
	    "10.0.0.1 in"), 0);
	len = xk_test_pkt4(pkt, "10.0.0.2", "10.0.0.1", PROTO_EXP, 30, 41);
	xk_test_inject("vx0", pkt, len);
	assert_int_equal(recv1(d, buf, sizeof(buf), &from), (ssize_t)len);
	/* The whole packet, ip_len and ip_off in network order. */
	assert_memory_equal(buf, pkt, len);
	assert_int_equal(ntohs(ip->ip_len), len);
	assert_int_equal(from.sin_family, AF_INET);
	assert_int_equal(from.sin_port, 300);	/* the cookie, raw */
	assert_int_equal(from.sin_addr.s_addr, xk_test_a4("10.0.0.1").s_addr);
	assert_string_equal((const char *)from.sin_zero, "vx0");
	/* Taken out of the path: the raw socket saw nothing. */
	assert_int_equal(recv1(r, buf, sizeof(buf), NULL), -1);
	assert_int_equal(xk_test_stat("div.in"), 1);
	sock_close(d);
	sock_close(r);
}

static void
test_divert_no_socket_counted(void **state)
{
	socket_t r = raw(PROTO_EXP);
	uint8_t pkt[64], buf[128];
	size_t len;

	(void)state;
	assert_int_equal(xkpi_fw_add("divert 5001 ip from any to any in"), 0);
	len = xk_test_pkt4(pkt, "10.0.0.2", "10.0.0.1", PROTO_EXP, 8, 42);
	xk_test_inject("vx0", pkt, len);
	assert_int_equal(xk_test_stat("div.noport"), 1);
	assert_int_equal(recv1(r, buf, sizeof(buf), NULL), -1);
	sock_close(r);
}

static void
test_divert_full_buffer_counted(void **state)
{
	socket_t d = divert_socket(DPORT);
	uint8_t pkt[1500], buf[1500];
	int small = 2000, n = 0;
	size_t len;

	(void)state;
	assert_int_equal(sock_setsockopt(d, SOL_SOCKET, SO_RCVBUF, &small,
	    sizeof(small)), 0);
	assert_int_equal(xkpi_fw_add("divert 5000 ip from any to any in"), 0);
	len = xk_test_pkt4(pkt, "10.0.0.2", "10.0.0.1", PROTO_EXP, 1000, 43);
	for (int i = 0; i < 4; i++) {
		xk_test_inject("vx0", pkt, len);
	}
	while (recv1(d, buf, sizeof(buf), NULL) > 0) {
		n++;
	}
	assert_true(n >= 1 && n < 4);
	assert_int_equal(xk_test_stat("div.full"), (uint64_t)(4 - n));
	assert_int_equal(xk_test_stat("div.in"), (uint64_t)n);
	sock_close(d);
}

static void
test_tee_copy_goes_on(void **state)
{
	socket_t d = divert_socket(DPORT), r = raw(PROTO_EXP);
	struct sockaddr_in from;
	uint8_t pkt[64], buf[128];
	size_t len;

	(void)state;
	assert_int_equal(xkpi_fw_add("200 tee 5000 ip from any to any in"), 0);
	len = xk_test_pkt4(pkt, "10.0.0.2", "10.0.0.1", PROTO_EXP, 8, 44);
	xk_test_inject("vx0", pkt, len);
	assert_int_equal(recv1(d, buf, sizeof(buf), &from), (ssize_t)len);
	assert_int_equal(from.sin_port, 200);
	/* The raw socket has the packet too, in BSD form. */
	assert_int_equal(recv1(r, buf, sizeof(buf), NULL), (ssize_t)len);
	sock_close(d);
	sock_close(r);
}

/* Writing back */

static void
test_write_in_resumes_after_cookie(void **state)
{
	socket_t d = divert_socket(DPORT), r = raw(PROTO_EXP);
	struct sockaddr_in from;
	uint8_t pkt[64], buf[128];
	size_t len;
	ssize_t got;

	(void)state;
	assert_int_equal(xkpi_fw_add("100 divert 5000 ip from any to any in"),
	    0);
	len = xk_test_pkt4(pkt, "10.0.0.2", "10.0.0.1", PROTO_EXP, 8, 45);
	xk_test_inject("vx0", pkt, len);
	got = recv1(d, buf, sizeof(buf), &from);
	assert_int_equal(got, (ssize_t)len);
	/* Back in, with the address as read: on to the raw socket. */
	assert_int_equal(send1(d, buf, (size_t)got, &from), 0);
	xk_test_loop_barrier();
	assert_int_equal(recv1(r, buf, sizeof(buf), NULL), (ssize_t)len);
	assert_int_equal(recv1(d, buf, sizeof(buf), NULL), -1);
	/* Cookie 0: the table from the start, so diverted again. */
	from.sin_port = 0;
	assert_int_equal(send1(d, pkt, len, &from), 0);
	assert_int_equal(recv1(d, buf, sizeof(buf), NULL), (ssize_t)len);
	assert_int_equal(xk_test_stat("div.wrote_in"), 2);
	assert_int_equal(xk_test_stat("div.in"), 2);
	sock_close(d);
	sock_close(r);
}

static void
test_write_in_by_name_or_address(void **state)
{
	socket_t d = divert_socket(DPORT), r = raw(PROTO_EXP);
	struct sockaddr_in to = { .sin_family = AF_INET };
	uint8_t pkt[64], buf[128];
	size_t len;

	(void)state;
	len = xk_test_pkt4(pkt, "10.0.1.7", "10.0.1.1", PROTO_EXP, 8, 46);
	/* The address of vx1, no name. */
	to.sin_addr = xk_test_a4("10.0.1.1");
	assert_int_equal(send1(d, pkt, len, &to), 0);
	assert_int_equal(recv1(r, buf, sizeof(buf), NULL), (ssize_t)len);
	/* A name wins over an address it does not own. */
	to.sin_addr = xk_test_a4("192.0.2.1");
	memcpy(to.sin_zero, "vx1", 4);
	assert_int_equal(send1(d, pkt, len, &to), 0);
	assert_int_equal(recv1(r, buf, sizeof(buf), NULL), (ssize_t)len);
	/* Neither: EADDRNOTAVAIL. */
	memcpy(to.sin_zero, "nosuch", 7);
	assert_int_equal(send1(d, pkt, len, &to), EADDRNOTAVAIL);
	memset(to.sin_zero, 0, sizeof(to.sin_zero));
	assert_int_equal(send1(d, pkt, len, &to), EADDRNOTAVAIL);
	sock_close(d);
	sock_close(r);
}

static void
test_write_in_bad_checksum_dropped(void **state)
{
	socket_t d = divert_socket(DPORT), r = raw(PROTO_EXP);
	struct sockaddr_in to = { .sin_family = AF_INET };
	uint8_t pkt[64], buf[128];
	size_t len;

	(void)state;
	len = xk_test_pkt4(pkt, "10.0.0.2", "10.0.0.1", PROTO_EXP, 8, 47);
	((struct ip *)pkt)->ip_sum ^= 0x5555;
	to.sin_addr = xk_test_a4("10.0.0.1");
	assert_int_equal(send1(d, pkt, len, &to), 0);
	assert_int_equal(xk_test_stat("ip.drop.badsum"), 1);
	assert_int_equal(recv1(r, buf, sizeof(buf), NULL), -1);
	sock_close(d);
	sock_close(r);
}

static void
test_divert_out_and_write_out(void **state)
{
	socket_t d = divert_socket(DPORT), r = raw(PROTO_EXP);
	struct sockaddr_in dst = { .sin_family = AF_INET }, from;
	uint8_t buf[256], cap[256];
	struct ip *ip = (struct ip *)buf;
	size_t caplen = 0;
	ssize_t got;

	(void)state;
	assert_int_equal(xkpi_fw_add("500 divert 5000 ip from any to any out"),
	    0);
	dst.sin_addr = xk_test_a4("10.0.0.9");
	assert_int_equal(send1(r, "hello", 5, &dst), 0);
	xk_test_loop_barrier();
	/* Taken before the interface: nothing left yet. */
	assert_int_equal(xkpi_mem_capture("vx0", cap, sizeof(cap), &caplen),
	    ENOENT);
	got = recv1(d, buf, sizeof(buf), &from);
	assert_int_equal(got, 25);
	assert_int_equal(ntohs(ip->ip_len), 25);
	assert_int_equal(from.sin_port, 500);
	assert_int_equal(from.sin_addr.s_addr, INADDR_ANY);
	/* No receiving interface: sin_zero stays empty. */
	assert_int_equal(from.sin_zero[0], 0);
	assert_int_equal(xk_test_stat("div.out"), 1);
	/* Rewrite the TTL, break the checksum: the library recomputes it. */
	ip->ip_ttl = 3;
	ip->ip_sum = 0x1234;
	assert_int_equal(send1(d, buf, (size_t)got, &from), 0);
	assert_int_equal(xkpi_mem_capture("vx0", cap, sizeof(cap), &caplen),
	    0);
	assert_int_equal(caplen, 25);
	assert_int_equal(((struct ip *)cap)->ip_ttl, 3);
	assert_int_equal(xk_in_cksum_buf(cap, sizeof(struct ip)), 0);
	/* No address at all goes out as well. */
	assert_int_equal(send1(d, buf, (size_t)got, NULL), 0);
	/* Cookie 0 in the address... diverted again at rule 500. */
	assert_int_equal(xkpi_mem_capture("vx0", cap, sizeof(cap), &caplen),
	    ENOENT);
	assert_int_equal(recv1(d, buf, sizeof(buf), NULL), 25);
	assert_int_equal(xk_test_stat("div.wrote_out"), 2);
	sock_close(d);
	sock_close(r);
}

static void
test_write_errors(void **state)
{
	socket_t d = divert_socket(DPORT);
	struct sockaddr_in6 to6 = { .sin6_family = AF_INET6 };
	uint8_t pkt[128], opts[4] = { IPOPT_NOP, IPOPT_NOP, IPOPT_NOP,
	    IPOPT_EOL };
	struct ip *ip = (struct ip *)pkt;
	struct iovec iov;
	struct msghdr msg;
	size_t len, sent;

	(void)state;
	len = xk_test_pkt4(pkt, "10.0.0.1", "10.0.0.9", PROTO_EXP, 8, 48);
	/* Shorter than an IP header. */
	assert_int_equal(send1(d, pkt, 19, NULL), EINVAL);
	/* ip_len longer than the data. */
	ip->ip_len = htons((uint16_t)(len + 1));
	assert_int_equal(send1(d, pkt, len, NULL), EINVAL);
	ip->ip_len = htons((uint16_t)len);
	/* Not IPv4. */
	ip->ip_v = 6;
	assert_int_equal(send1(d, pkt, len, NULL), EINVAL);
	ip->ip_v = 4;
	/* Header length under 20. */
	ip->ip_hl = 4;
	assert_int_equal(send1(d, pkt, len, NULL), EINVAL);
	/* Options in the header while the socket has IP options. */
	ip->ip_hl = 6;
	assert_int_equal(sock_setsockopt(d, IPPROTO_IP, IP_OPTIONS, opts,
	    sizeof(opts)), 0);
	assert_int_equal(send1(d, pkt, len, NULL), EINVAL);
	ip->ip_hl = 5;
	/* An address of another family. */
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = pkt;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_name = &to6;
	msg.msg_namelen = sizeof(to6);
	assert_int_equal(sock_send(d, &msg, 0, &sent), EINVAL);
	/* Nothing left the interface or came in. */
	assert_int_equal(xk_test_stat("div.wrote_out"), 0);
	assert_int_equal(xk_test_stat("div.wrote_in"), 0);
	sock_close(d);
}

/* The rule table on the path */

static void
test_deny_in_and_out(void **state)
{
	socket_t r = raw(PROTO_EXP);
	struct sockaddr_in dst = { .sin_family = AF_INET };
	uint8_t pkt[64], buf[128];
	size_t len;

	(void)state;
	assert_int_equal(xkpi_fw_add("deny ip from 10.0.0.2 to any"), 0);
	assert_int_equal(xkpi_fw_add("deny ip from any to 10.0.0.9 out"), 0);
	len = xk_test_pkt4(pkt, "10.0.0.2", "10.0.0.1", PROTO_EXP, 8, 49);
	xk_test_inject("vx0", pkt, len);
	assert_int_equal(recv1(r, buf, sizeof(buf), NULL), -1);
	assert_int_equal(xk_test_stat("ip.fw.deny"), 1);
	/* Raw output a rule denies: EACCES, as FreeBSD's ip_output. */
	dst.sin_addr = xk_test_a4("10.0.0.9");
	assert_int_equal(send1(r, "x", 1, &dst), EACCES);
	assert_int_equal(xk_test_stat("ip.fw.deny"), 2);
	/* Another source passes. */
	len = xk_test_pkt4(pkt, "10.0.0.3", "10.0.0.1", PROTO_EXP, 8, 50);
	xk_test_inject("vx0", pkt, len);
	assert_int_equal(recv1(r, buf, sizeof(buf), NULL), (ssize_t)len);
	sock_close(r);
}

static void
test_ipv6_skips_divert_rules(void **state)
{
	socket_t d = divert_socket(DPORT), r6 = NULL;
	uint8_t pkt[64], buf[128];
	struct ip6_hdr *ip6 = (struct ip6_hdr *)pkt;

	(void)state;
	assert_int_equal(sock_socket(PF_INET6, SOCK_RAW, PROTO_EXP, NULL, NULL,
	    &r6), 0);
	assert_int_equal(xkpi_fw_add("divert 5000 ip from any to any"), 0);
	memset(pkt, 0, sizeof(pkt));
	ip6->ip6_vfc = 0x60;
	ip6->ip6_plen = htons(8);
	ip6->ip6_nxt = PROTO_EXP;
	ip6->ip6_hlim = 64;
	ip6->ip6_src = xk_test_a6("fd00::2");
	ip6->ip6_dst = xk_test_a6("fd00::1");
	xk_test_inject("vx0", pkt, 48);
	assert_int_equal(recv1(d, buf, sizeof(buf), NULL), -1);
	assert_int_equal(recv1(r6, buf, sizeof(buf), NULL), 8);
	assert_int_equal(xk_test_stat("ip6.fw.divertskipped"), 1);
	sock_close(d);
	sock_close(r6);
}

static void
test_receivembuf_sendmbuf_round_trip(void **state)
{
	socket_t d = divert_socket(DPORT), r = raw(IPPROTO_ICMP);
	struct sockaddr_in from;
	struct iovec iov;
	struct msghdr msg;
	uint8_t pkt[64], buf[128];
	size_t len, rlen = 1 << 16;
	mbuf_t m = NULL;

	(void)state;
	assert_int_equal(xkpi_fw_add("700 divert 5000 icmp from any to any "
	    "in recv vx0"), 0);
	len = xk_test_pkt4(pkt, "10.0.0.2", "10.0.0.1", IPPROTO_ICMP, 8, 51);
	xk_test_inject("vx0", pkt, len);
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &from;
	msg.msg_namelen = sizeof(from);
	assert_int_equal(sock_receivembuf(d, &msg, &m, MSG_DONTWAIT, &rlen),
	    0);
	assert_int_equal(rlen, len);
	assert_int_equal(from.sin_port, 700);
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &from;
	msg.msg_namelen = sizeof(from);
	assert_int_equal(sock_sendmbuf(d, &msg, m, 0, &rlen), 0);
	xk_test_loop_barrier();
	(void)iov;
	assert_int_equal(recv1(r, buf, sizeof(buf), NULL), (ssize_t)len);
	sock_close(d);
	sock_close(r);
}

/*
 * Held packets.  mem holds nothing, so these tests stand in for an
 * intercepting backend: the engine's backend gets mem's ops with a
 * verdict recorder, and packets enter through the engine's receive entry
 * with hold ids, as nfqueue hands them over.
 */
static int
held_setup(void **state)
{
	setup(state);
	(void)xk_test_held_install();
	return 0;
}

static int
held_teardown(void **state)
{
	xk_test_held_restore();
	return teardown(state);
}

/* Hands @pkt to the engine as the host's held packet @hold. */
static void
held_input(const char *ifname, const uint8_t *pkt, size_t len,
    uint64_t hold, bool out)
{
	xk_test_held_input(if_nametoindex_mem(ifname), pkt, len, hold, out);
}

static void
test_held_pass_accepts_unchanged(void **state)
{
	uint8_t pkt[64];
	size_t len;

	(void)state;
	assert_int_equal(xkpi_fw_add("count ip from any to any"), 0);
	len = xk_test_pkt4(pkt, "10.0.0.2", "10.0.0.1", IPPROTO_TCP, 20, 60);
	held_input("vx0", pkt, len, 11, false);
	len = xk_test_pkt4(pkt, "10.0.0.1", "10.0.0.2", IPPROTO_UDP, 20, 61);
	held_input("vx0", pkt, len, 12, true);
	assert_int_equal(xk_test_nverdicts, 2);
	assert_int_equal(xk_test_verdicts[0].hold, 11);
	assert_int_equal(xk_test_verdicts[0].verdict, XK_VERDICT_ACCEPT);
	assert_int_equal(xk_test_verdicts[0].len, 0);
	assert_int_equal(xk_test_verdicts[1].hold, 12);
	assert_int_equal(xk_test_verdicts[1].verdict, XK_VERDICT_ACCEPT);
	assert_int_equal(xk_test_verdicts[1].len, 0);
}

static void
test_held_deny_and_noport_drop(void **state)
{
	uint8_t pkt[64];
	size_t len;

	(void)state;
	assert_int_equal(xkpi_fw_add("100 deny udp from any to any"), 0);
	assert_int_equal(xkpi_fw_add("200 divert 5009 ip from any to any"),
	    0);
	len = xk_test_pkt4(pkt, "10.0.0.2", "10.0.0.1", IPPROTO_UDP, 20, 62);
	held_input("vx0", pkt, len, 21, false);
	len = xk_test_pkt4(pkt, "10.0.0.2", "10.0.0.1", IPPROTO_TCP, 20, 63);
	held_input("vx0", pkt, len, 22, false);
	assert_int_equal(xk_test_nverdicts, 2);
	assert_int_equal(xk_test_verdicts[0].hold, 21);
	assert_int_equal(xk_test_verdicts[0].verdict, XK_VERDICT_DROP);
	assert_int_equal(xk_test_verdicts[1].hold, 22);
	assert_int_equal(xk_test_verdicts[1].verdict, XK_VERDICT_DROP);
	assert_int_equal(xk_test_stat("div.noport"), 1);
	assert_int_equal(xk_test_stat("ip.fw.deny"), 1);
}

static void
test_held_divert_answer_by_copy(void **state)
{
	socket_t d = divert_socket(DPORT);
	struct sockaddr_in from;
	uint8_t pkt[64], buf[128];
	size_t len;
	ssize_t got;

	(void)state;
	assert_int_equal(xkpi_fw_add("100 divert 5000 tcp from any to any"),
	    0);
	len = xk_test_pkt4(pkt, "10.0.0.2", "10.0.0.1", IPPROTO_TCP, 20, 64);
	held_input("vx0", pkt, len, 31, false);
	/* Held while the daemon has it: no verdict yet. */
	assert_int_equal(xk_test_nverdicts, 0);
	got = recv1(d, buf, sizeof(buf), &from);
	assert_int_equal(got, (ssize_t)len);
	/* The daemon rewrites the destination, keeps ip_id. */
	((struct ip *)buf)->ip_dst = xk_test_a4("10.0.0.77");
	((struct ip *)buf)->ip_sum = 0;
	((struct ip *)buf)->ip_sum = xk_in_cksum_buf(buf, sizeof(struct ip));
	assert_int_equal(send1(d, buf, (size_t)got, &from), 0);
	assert_int_equal(xk_test_nverdicts, 1);
	assert_int_equal(xk_test_verdicts[0].hold, 31);
	assert_int_equal(xk_test_verdicts[0].verdict, XK_VERDICT_ACCEPT);
	assert_int_equal(xk_test_verdicts[0].len, len);
	assert_memory_equal(xk_test_verdicts[0].bytes, buf, len);
	assert_int_equal(xk_test_stat("div.answered"), 1);
	/* Written again: it answers nothing now, a new packet. */
	assert_int_equal(send1(d, buf, (size_t)got, &from), 0);
	assert_int_equal(xk_test_nverdicts, 1);
	assert_int_equal(xk_test_stat("div.answered"), 1);
	sock_close(d);
}

static void
test_held_out_divert_answer_and_oldest_first(void **state)
{
	socket_t d = divert_socket(DPORT);
	struct sockaddr_in from;
	uint8_t pkt[64], buf[128];
	size_t len;

	(void)state;
	assert_int_equal(xkpi_fw_add("100 divert 5000 udp from any to any out"),
	    0);
	len = xk_test_pkt4(pkt, "10.0.0.1", "10.0.0.2", IPPROTO_UDP, 20, 65);
	/* Two held packets alike (same id): answered oldest first. */
	held_input("vx0", pkt, len, 41, true);
	held_input("vx0", pkt, len, 42, true);
	assert_int_equal(recv1(d, buf, sizeof(buf), &from), (ssize_t)len);
	assert_int_equal(from.sin_addr.s_addr, INADDR_ANY);
	((struct ip *)buf)->ip_src = xk_test_a4("10.0.1.1");
	assert_int_equal(send1(d, buf, len, &from), 0);
	assert_int_equal(send1(d, buf, len, &from), 0);
	assert_int_equal(xk_test_nverdicts, 2);
	assert_int_equal(xk_test_verdicts[0].hold, 41);
	assert_int_equal(xk_test_verdicts[1].hold, 42);
	/* The checksum was made by the library, the source is the new one. */
	assert_int_equal(xk_in_cksum_buf(xk_test_verdicts[0].bytes,
	    sizeof(struct ip)), 0);
	assert_int_equal(((struct ip *)xk_test_verdicts[0].bytes)->
	    ip_src.s_addr, xk_test_a4("10.0.1.1").s_addr);
	(void)recv1(d, buf, sizeof(buf), NULL);
	sock_close(d);
}

static void
test_held_tee_accepts_original(void **state)
{
	socket_t d = divert_socket(DPORT);
	uint8_t pkt[64], buf[128];
	size_t len;

	(void)state;
	assert_int_equal(xkpi_fw_add("tee 5000 ip from any to any"), 0);
	len = xk_test_pkt4(pkt, "10.0.0.2", "10.0.0.1", IPPROTO_TCP, 20, 66);
	held_input("vx0", pkt, len, 51, false);
	assert_int_equal(xk_test_nverdicts, 1);
	assert_int_equal(xk_test_verdicts[0].hold, 51);
	assert_int_equal(xk_test_verdicts[0].verdict, XK_VERDICT_ACCEPT);
	assert_int_equal(recv1(d, buf, sizeof(buf), NULL), (ssize_t)len);
	sock_close(d);
}

static void
test_held_expired_answer_is_new_packet(void **state)
{
	socket_t d = divert_socket(DPORT), r = raw(PROTO_EXP);
	struct sockaddr_in from;
	uint8_t pkt[64], buf[128];
	size_t len;

	(void)state;
	assert_int_equal(xkpi_fw_add("100 divert 5000 ip from any to any in"),
	    0);
	len = xk_test_pkt4(pkt, "10.0.0.2", "10.0.0.1", PROTO_EXP, 20, 67);
	held_input("vx0", pkt, len, 61, false);
	assert_int_equal(recv1(d, buf, sizeof(buf), &from), (ssize_t)len);
	/* The backend dropped it meanwhile: the answer is a new packet. */
	xk_test_verdict_enoent = true;
	assert_int_equal(send1(d, buf, len, &from), 0);
	assert_int_equal(xk_test_stat("ip.verdict.late"), 1);
	/* It went on through the engine's input to the raw socket. */
	assert_int_equal(recv1(r, buf, sizeof(buf), NULL), (ssize_t)len);
	sock_close(d);
	sock_close(r);
}

static void
test_held_fragment_accepted_unseen(void **state)
{
	socket_t d = divert_socket(DPORT);
	uint8_t pkt[64], buf[128];
	size_t len;

	(void)state;
	assert_int_equal(xkpi_fw_add("divert 5000 ip from any to any"), 0);
	len = xk_test_pkt4(pkt, "10.0.0.2", "10.0.0.1", IPPROTO_UDP, 24, 68);
	((struct ip *)pkt)->ip_off = htons(IP_MF);
	((struct ip *)pkt)->ip_sum = 0;
	((struct ip *)pkt)->ip_sum = xk_in_cksum_buf(pkt, sizeof(struct ip));
	held_input("vx0", pkt, len, 71, false);
	assert_int_equal(xk_test_nverdicts, 1);
	assert_int_equal(xk_test_verdicts[0].verdict, XK_VERDICT_ACCEPT);
	assert_int_equal(xk_test_stat("ip.frag.held"), 1);
	assert_int_equal(recv1(d, buf, sizeof(buf), NULL), -1);
	sock_close(d);
}

/*
 * More held packets than the matcher keeps (4096): the oldest is
 * forgotten and counted, and the copy written back answers the oldest
 * left.
 */
static void
test_held_matcher_full_forgets_oldest(void **state)
{
	socket_t d = divert_socket(DPORT);
	struct sockaddr_in from;
	uint8_t pkt[64], buf[128];
	size_t len;

	(void)state;
	assert_int_equal(xkpi_fw_add("100 divert 5000 tcp from any to any"),
	    0);
	len = xk_test_pkt4(pkt, "10.0.0.2", "10.0.0.1", IPPROTO_TCP, 20, 69);
	for (uint64_t hold = 1; hold <= 4097; hold++) {
		held_input("vx0", pkt, len, hold, false);
		assert_int_equal(recv1(d, buf, sizeof(buf), &from),
		    (ssize_t)len);
	}
	assert_int_equal(xk_test_nverdicts, 0);
	assert_int_equal(xk_test_stat("div.in"), 4097);
	assert_int_equal(xk_test_stat("div.forgotten"), 1);
	assert_int_equal(send1(d, buf, len, &from), 0);
	assert_int_equal(xk_test_nverdicts, 1);
	assert_int_equal(xk_test_verdicts[0].hold, 2);
	assert_int_equal(xk_test_stat("div.answered"), 1);
	sock_close(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_create_needs_privilege),
		T(test_create_always_connected_buffers),
		T(test_connect_listen_accept_eopnotsupp),
		T(test_bind_errors),
		T(test_bind_port0_ephemeral_and_getsockname),
		T(test_bind_without_ipv4_interface),
		T(test_divert_in_packet_and_address),
		T(test_divert_no_socket_counted),
		T(test_divert_full_buffer_counted),
		T(test_tee_copy_goes_on),
		T(test_write_in_resumes_after_cookie),
		T(test_write_in_by_name_or_address),
		T(test_write_in_bad_checksum_dropped),
		T(test_divert_out_and_write_out),
		T(test_write_errors),
		T(test_deny_in_and_out),
		T(test_ipv6_skips_divert_rules),
		T(test_receivembuf_sendmbuf_round_trip),
#undef T
#define H(f) cmocka_unit_test_setup_teardown(f, held_setup, held_teardown)
		H(test_held_pass_accepts_unchanged),
		H(test_held_deny_and_noport_drop),
		H(test_held_divert_answer_by_copy),
		H(test_held_out_divert_answer_and_oldest_first),
		H(test_held_tee_accepts_original),
		H(test_held_expired_answer_is_new_packet),
		H(test_held_fragment_accepted_unseen),
		H(test_held_matcher_full_forgets_oldest),
#undef H
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
