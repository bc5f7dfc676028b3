/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * SeND sockets over the mem backend (spec section 7, netinet6/send.h):
 * creation errors and buffers, the calls send(4) lacks, which messages
 * are diverted (SND_IN from the input path, SND_OUT from raw ICMPv6
 * sockets) and which are not, the address that comes with them, writing
 * back in and out with every error, the full buffer counted, and held
 * messages (as the nfqueue backend holds them) answered by a verdict
 * recorder standing in for the backend.
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

#include <netinet6/send.h>
#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>
#include <xkpi.h>
#include <xkpi_mem.h>

#include "backends/backend.h"
#include "core/ip_var.h"
#include "core/mbuf_var.h"
#include "core/socket_var.h"
#include "tests/lib/xk_test.h"

#define WAIT_MS		XK_TEST_WAIT_MS
#define PEER_LL		"fe80::2"
#define OUR_LL		"fe80::1"

static uint32_t vx0_index, vx1_index;

static int
setup(void **state)
{
	struct in6_addr a6;

	xk_test_sock_setup(state);
	xkpi_mem_reset();
	assert_int_equal(xkpi_mem_vif_create("vx0", 1500, &vx0_index), 0);
	assert_int_equal(xkpi_mem_vif_create("vx1", 1500, &vx1_index), 0);
	a6 = xk_test_a6(OUR_LL);
	assert_int_equal(xkpi_mem_vif_addaddr("vx0", AF_INET6, &a6, 64), 0);
	a6 = xk_test_a6("fd00::1");
	assert_int_equal(xkpi_mem_vif_addaddr("vx0", AF_INET6, &a6, 64), 0);
	a6 = xk_test_a6("fd01::1");
	assert_int_equal(xkpi_mem_vif_addaddr("vx1", AF_INET6, &a6, 64), 0);
	xk_ipstat_reset();
	xk_send_reset();
	return 0;
}

static int
teardown(void **state)
{
	xk_so_force_unprivileged(false);
	xk_mb_inject_failures(0, 0);
	xkpi_mem_reset();
	return xk_test_sock_teardown(state);
}

/* The ICMPv6 checksum of the message after the IPv6 header of @buf. */
static uint16_t
icmp6_sum(const uint8_t *buf)
{
	const struct ip6_hdr *ip6 = (const struct ip6_hdr *)buf;
	size_t plen = ntohs(ip6->ip6_plen);
	uint8_t tmp[40 + 512];
	uint32_t len = htonl((uint32_t)plen);

	assert_true(plen <= 512);
	memset(tmp, 0, 40);
	memcpy(tmp, &ip6->ip6_src, 16);
	memcpy(tmp + 16, &ip6->ip6_dst, 16);
	memcpy(tmp + 32, &len, 4);
	tmp[39] = IPPROTO_ICMPV6;
	memcpy(tmp + 40, buf + 40, plen);
	tmp[40 + 2] = tmp[40 + 3] = 0;
	return xk_in_cksum_buf(tmp, 40 + plen);
}

/*
 * An ND message (or any ICMPv6 message) of @type: @icmplen bytes of
 * ICMPv6 from @src to @dst, hop limit 255, code 0, checksum right; the
 * target @tgt after the header when not NULL, pattern bytes after that.
 */
static size_t
nd6(uint8_t *buf, uint8_t type, const char *src, const char *dst,
    const char *tgt, size_t icmplen)
{
	struct ip6_hdr *ip6 = (struct ip6_hdr *)buf;
	struct icmp6_hdr *ic = (struct icmp6_hdr *)(buf + sizeof(*ip6));
	struct in6_addr a;
	uint16_t sum;

	memset(buf, 0, sizeof(*ip6) + icmplen);
	ip6->ip6_flow = htonl(6u << 28);
	ip6->ip6_plen = htons((uint16_t)icmplen);
	ip6->ip6_nxt = IPPROTO_ICMPV6;
	ip6->ip6_hlim = 255;
	ip6->ip6_src = xk_test_a6(src);
	ip6->ip6_dst = xk_test_a6(dst);
	ic->icmp6_type = type;
	if (icmplen > 24) {
		xk_pattern_fill(buf + sizeof(*ip6) + 24, 0, icmplen - 24);
	}
	if (tgt != NULL) {
		a = xk_test_a6(tgt);
		memcpy(buf + sizeof(*ip6) + 8, &a, sizeof(a));
	}
	sum = icmp6_sum(buf);
	memcpy(&ic->icmp6_cksum, &sum, sizeof(sum));
	return sizeof(*ip6) + icmplen;
}

/* Recomputes the checksum after a change. */
static void
nd6_resum(uint8_t *buf)
{
	uint16_t sum;

	buf[42] = buf[43] = 0;
	sum = icmp6_sum(buf);
	memcpy(buf + 42, &sum, sizeof(sum));
}

/* A Neighbor Solicitation for @tgt from PEER_LL, with an 8-byte option. */
static size_t
ns(uint8_t *buf, const char *tgt)
{
	return nd6(buf, ND_NEIGHBOR_SOLICIT, PEER_LL, "ff02::1:ff00:1", tgt,
	    32);
}

static socket_t
send_socket(void)
{
	socket_t so = NULL;

	assert_int_equal(sock_socket(PF_INET6, SOCK_RAW, IPPROTO_SEND, NULL,
	    NULL, &so), 0);
	assert_non_null(so);
	return so;
}

static socket_t
icmp6_socket(void)
{
	socket_t so = NULL;

	assert_int_equal(sock_socket(PF_INET6, SOCK_RAW, IPPROTO_ICMPV6, NULL,
	    NULL, &so), 0);
	return so;
}

/* One message, now, with its address; -1 when none is queued. */
static ssize_t
recv1(socket_t so, uint8_t *buf, size_t cap, struct sockaddr_send *from)
{
	return xk_test_recv1(so, buf, cap, from, sizeof(*from));
}

/* Writes @buf back with direction @dir on interface @ifidx. */
static errno_t
write1(socket_t so, const void *buf, size_t len, int dir, int ifidx)
{
	struct sockaddr_send ss;

	memset(&ss, 0, sizeof(ss));
	ss.send_family = AF_INET6;
	ss.send_direction = dir;
	ss.send_ifidx = ifidx;
	return xk_test_send1(so, buf, len, &ss, sizeof(ss));
}

static void
assert_addr(const struct sockaddr_send *ss, int dir, uint32_t ifidx)
{
	static const char zero[8];

	assert_int_equal(ss->send_family, AF_INET6);
	assert_int_equal(ss->send_pad, 0);
	assert_int_equal(ss->send_direction, dir);
	assert_int_equal(ss->send_ifidx, (int)ifidx);
	assert_memory_equal(ss->send_zero, zero, sizeof(zero));
}

/* Creation and the calls send(4) lacks */

static void
test_create_one_at_a_time(void **state)
{
	socket_t a = send_socket(), b = NULL;

	(void)state;
	assert_int_equal(sock_socket(PF_INET6, SOCK_RAW, IPPROTO_SEND, NULL,
	    NULL, &b), EEXIST);
	assert_null(b);
	/* Closing frees the place at once, before the socket is gone. */
	sock_close(a);
	b = send_socket();
	sock_close(b);
}

static void
test_create_needs_privilege(void **state)
{
	socket_t so = NULL;

	(void)state;
	xk_so_force_unprivileged(true);
	assert_int_equal(sock_socket(PF_INET6, SOCK_RAW, IPPROTO_SEND, NULL,
	    NULL, &so), EPERM);
	assert_null(so);
	xk_so_force_unprivileged(false);
	so = send_socket();
	sock_close(so);
}

static void
test_create_wrong_type(void **state)
{
	socket_t so = NULL;

	(void)state;
	assert_int_equal(sock_socket(PF_INET6, SOCK_DGRAM, IPPROTO_SEND, NULL,
	    NULL, &so), EPROTOTYPE);
	assert_null(so);
}

/* A backend that only sees copies (pcap) has no SeND socket. */
static void
test_create_needs_intercepting_backend(void **state)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "pcap");
	socket_t so = NULL;

	(void)state;
	xkpi_mem_reset();
	xkpi_shutdown();
	if (xkpi_init(&cfg) != 0) {
		xk_test_restart_after();
		skip();
	}
	xk_test_restart_after();
	assert_int_equal(sock_socket(PF_INET6, SOCK_RAW, IPPROTO_SEND, NULL,
	    NULL, &so), EPROTONOSUPPORT);
	assert_null(so);
}

static void
test_buffers(void **state)
{
	socket_t so = send_socket();
	int v = 0, len = sizeof(v);

	(void)state;
	assert_int_equal(sock_getsockopt(so, SOL_SOCKET, SO_SNDBUF, &v, &len),
	    0);
	assert_int_equal(v, 8352);
	len = sizeof(v);
	assert_int_equal(sock_getsockopt(so, SOL_SOCKET, SO_RCVBUF, &v, &len),
	    0);
	assert_int_equal(v, 9216);
	sock_close(so);
}

static void
test_unsupported_calls(void **state)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	struct sockaddr_storage ss;
	socket_t so = send_socket(), child = NULL;
	int v = 1;

	(void)state;
	sin6.sin6_addr = xk_test_a6(PEER_LL);
	assert_int_equal(sock_bind(so, (struct sockaddr *)&sin6), EOPNOTSUPP);
	assert_int_equal(sock_connect(so, (struct sockaddr *)&sin6, 0),
	    EOPNOTSUPP);
	assert_int_equal(sock_listen(so, 5), EOPNOTSUPP);
	assert_int_equal(sock_accept(so, NULL, 0, 0, NULL, NULL, &child),
	    EOPNOTSUPP);
	assert_null(child);
	assert_int_equal(sock_getsockname(so, (struct sockaddr *)&ss,
	    sizeof(ss)), EOPNOTSUPP);
	assert_int_equal(sock_getpeername(so, (struct sockaddr *)&ss,
	    sizeof(ss)), ENOTCONN);
	/* Never connected: shutdown says so first, as XNU and FreeBSD 13. */
	assert_int_equal(sock_shutdown(so, SHUT_RDWR), ENOTCONN);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IPV6, IPV6_UNICAST_HOPS,
	    &v, sizeof(v)), ENOPROTOOPT);
	assert_false(sock_isconnected(so));
	sock_close(so);
}

/* SND_IN */

static void
test_in_each_type_diverted(void **state)
{
	static const struct {
		uint8_t		type;
		const char	*dst;
		const char	*tgt;
		size_t		len;
	} m[] = {
		{ ND_ROUTER_SOLICIT, "ff02::2", NULL, 8 },
		{ ND_ROUTER_ADVERT, "ff02::1", NULL, 16 },
		{ ND_NEIGHBOR_SOLICIT, "ff02::1:ff00:1", OUR_LL, 32 },
		{ ND_NEIGHBOR_ADVERT, OUR_LL, PEER_LL, 24 },
		{ ND_REDIRECT, OUR_LL, "fe80::9", 40 },
	};
	socket_t so = send_socket(), r = icmp6_socket();
	struct sockaddr_send from;
	uint8_t pkt[128], buf[256];

	(void)state;
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		size_t len = nd6(pkt, m[i].type, PEER_LL, m[i].dst, m[i].tgt,
		    m[i].len);

		xk_test_inject("vx0", pkt, len);
		assert_int_equal(recv1(so, buf, sizeof(buf), &from),
		    (ssize_t)len);
		/* The whole IPv6 packet, as received. */
		assert_memory_equal(buf, pkt, len);
		assert_addr(&from, SND_IN, vx0_index);
	}
	assert_int_equal(xk_test_stat("send.in"), 5);
	/* The raw ICMPv6 socket saw none of them. */
	assert_int_equal(recv1(r, buf, sizeof(buf), NULL), -1);
	assert_int_equal(xk_test_ipstat().ip6s_delivered, 0);
	sock_close(so);
	sock_close(r);
}

static void
test_in_others_not_diverted(void **state)
{
	socket_t so = send_socket(), r = icmp6_socket();
	uint8_t pkt[128], buf[256];
	size_t len;

	(void)state;
	/* Echo request: not ND. */
	len = nd6(pkt, ICMP6_ECHO_REQUEST, PEER_LL, OUR_LL, NULL, 16);
	xk_test_inject("vx0", pkt, len);
	assert_int_equal(recv1(r, buf, sizeof(buf), NULL), 16);
	/* Type 138 (router renumbering): past the range. */
	len = nd6(pkt, 138, PEER_LL, OUR_LL, NULL, 16);
	xk_test_inject("vx0", pkt, len);
	assert_int_equal(recv1(r, buf, sizeof(buf), NULL), 16);
	/* icmp6_input's checks: code, length, checksum.  Not diverted. */
	len = ns(pkt, OUR_LL);
	pkt[41] = 1;
	nd6_resum(pkt);
	xk_test_inject("vx0", pkt, len);
	len = nd6(pkt, ND_NEIGHBOR_ADVERT, PEER_LL, OUR_LL, NULL, 20);
	xk_test_inject("vx0", pkt, len);
	len = ns(pkt, OUR_LL);
	pkt[42] ^= 0x55;
	xk_test_inject("vx0", pkt, len);
	assert_int_equal(xk_test_stat("send.invalid"), 3);
	/* The first two reach the raw socket; the bad checksum does not. */
	assert_int_equal(recv1(r, buf, sizeof(buf), NULL), 32);
	assert_int_equal(recv1(r, buf, sizeof(buf), NULL), 20);
	assert_int_equal(recv1(r, buf, sizeof(buf), NULL), -1);
	assert_int_equal(xk_test_ipstat().ip6s_badsum, 1);
	/* On mem, a unicast destination not ours: dropped as ever. */
	len = nd6(pkt, ND_NEIGHBOR_ADVERT, PEER_LL, "fe80::77", PEER_LL, 24);
	xk_test_inject("vx0", pkt, len);
	assert_int_equal(xk_test_ipstat().ip6s_notforus, 1);
	assert_int_equal(recv1(so, buf, sizeof(buf), NULL), -1);
	assert_int_equal(xk_test_stat("send.in"), 0);
	sock_close(so);
	sock_close(r);
}

/* The hop limit is ND's own check, after the write-back. */
static void
test_in_hop_limit_not_checked(void **state)
{
	socket_t so = send_socket();
	uint8_t pkt[128], buf[256];
	size_t len;

	(void)state;
	len = ns(pkt, OUR_LL);
	((struct ip6_hdr *)pkt)->ip6_hlim = 64;
	xk_test_inject("vx0", pkt, len);
	assert_int_equal(recv1(so, buf, sizeof(buf), NULL), (ssize_t)len);
	sock_close(so);
}

/* Extension headers before ICMPv6: diverted; written back, ENOSYS. */
static void
test_in_extension_headers(void **state)
{
	socket_t so = send_socket();
	struct sockaddr_send from;
	uint8_t pkt[128], ext[136], buf[256];
	size_t len;

	(void)state;
	len = ns(pkt, OUR_LL);
	/* A hop-by-hop header of 8 bytes (PadN) before the ICMPv6 one. */
	memcpy(ext, pkt, 40);
	memset(ext + 40, 0, 8);
	ext[40] = IPPROTO_ICMPV6;
	ext[42] = 1;		/* PadN, 4 bytes of padding */
	ext[43] = 4;
	memcpy(ext + 48, pkt + 40, len - 40);
	((struct ip6_hdr *)ext)->ip6_nxt = IPPROTO_HOPOPTS;
	((struct ip6_hdr *)ext)->ip6_plen = htons((uint16_t)(len - 40 + 8));
	xk_test_inject("vx0", ext, len + 8);
	assert_int_equal(recv1(so, buf, sizeof(buf), &from),
	    (ssize_t)(len + 8));
	assert_memory_equal(buf, ext, len + 8);
	assert_int_equal(write1(so, buf, len + 8, SND_IN, from.send_ifidx),
	    ENOSYS);
	/* Without the extension header it goes. */
	assert_int_equal(write1(so, pkt, len, SND_IN, from.send_ifidx), 0);
	sock_close(so);
}

static void
test_nothing_diverted_without_socket(void **state)
{
	socket_t r = icmp6_socket(), so;
	uint8_t pkt[128], buf[256];
	size_t len;

	(void)state;
	len = ns(pkt, OUR_LL);
	xk_test_inject("vx0", pkt, len);
	assert_int_equal(recv1(r, buf, sizeof(buf), NULL), 32);
	/* Closing stops the diversion at once. */
	so = send_socket();
	xk_test_inject("vx0", pkt, len);
	assert_int_equal(recv1(r, buf, sizeof(buf), NULL), -1);
	sock_close(so);
	xk_test_inject("vx0", pkt, len);
	assert_int_equal(recv1(r, buf, sizeof(buf), NULL), 32);
	assert_int_equal(xk_test_stat("send.in"), 1);
	sock_close(r);
}

static void
test_in_full_buffer_counted(void **state)
{
	socket_t so = send_socket();
	uint8_t pkt[128], buf[256];
	size_t len;
	int n = 0, total = 120;

	(void)state;
	len = ns(pkt, OUR_LL);
	for (int i = 0; i < total; i++) {
		xk_test_inject("vx0", pkt, len);
	}
	/* Each record: the 20-byte address and the message. */
	while (recv1(so, buf, sizeof(buf), NULL) == (ssize_t)len) {
		n++;
	}
	assert_int_equal(n, 9216 / (20 + len));
	assert_int_equal(xk_test_stat("send.in"), (uint64_t)n);
	assert_int_equal(xk_test_stat("send.full"), (uint64_t)(total - n));
	sock_close(so);
}

/* Writing back, SND_IN */

static void
test_write_in_reaches_raw_sockets_once(void **state)
{
	socket_t so = send_socket(), r = icmp6_socket();
	struct sockaddr_send from;
	uint8_t pkt[128], buf[256];
	size_t len;

	(void)state;
	len = ns(pkt, OUR_LL);
	xk_test_inject("vx1", pkt, len);
	assert_int_equal(recv1(so, buf, sizeof(buf), &from), (ssize_t)len);
	assert_addr(&from, SND_IN, vx1_index);
	assert_int_equal(write1(so, buf, len, SND_IN, from.send_ifidx), 0);
	xk_test_loop_barrier();
	/* As received: the raw socket reads the ICMPv6 message. */
	assert_int_equal(recv1(r, buf, sizeof(buf), NULL), (ssize_t)len - 40);
	assert_memory_equal(buf, pkt + 40, len - 40);
	/* Never diverted again. */
	assert_int_equal(recv1(so, buf, sizeof(buf), NULL), -1);
	assert_int_equal(xk_test_stat("send.wrote_in"), 1);
	assert_int_equal(xk_test_stat("send.in"), 1);
	/* Bytes past the payload length are cut. */
	memcpy(buf, pkt, len);
	memset(buf + len, 0xab, 8);
	assert_int_equal(write1(so, buf, len + 8, SND_IN, (int)vx0_index), 0);
	assert_int_equal(recv1(r, buf, sizeof(buf), NULL), (ssize_t)len - 40);
	sock_close(so);
	sock_close(r);
}

static void
test_write_errors(void **state)
{
	socket_t so = send_socket();
	struct iovec iov;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	static uint8_t big[8353];
	uint8_t pkt[128];
	size_t len, sent;
	int ifx = (int)vx0_index;

	(void)state;
	len = ns(pkt, OUR_LL);
	/* No address. */
	iov.iov_base = pkt;
	iov.iov_len = len;
	assert_int_equal(sock_send(so, &msg, 0, &sent), EDESTADDRREQ);
	/* Larger than the send buffer; the buffer's size itself is not. */
	memcpy(big, pkt, len);
	assert_int_equal(write1(so, big, sizeof(big), SND_OUT, ifx),
	    EMSGSIZE);
	big[0] = 0x45;
	assert_int_equal(write1(so, big, sizeof(big) - 1, SND_OUT, ifx),
	    EINVAL);
	/* No such interface. */
	assert_int_equal(write1(so, pkt, len, SND_IN, 9999), ENETUNREACH);
	assert_int_equal(write1(so, pkt, len, SND_OUT, 0), ENETUNREACH);
	/* Direction. */
	assert_int_equal(write1(so, pkt, len, 2, ifx), EINVAL);
	assert_int_equal(write1(so, pkt, len, -1, ifx), EINVAL);
	/* Shorter than an IPv6 header, not version 6, cut short. */
	assert_int_equal(write1(so, pkt, 39, SND_OUT, ifx), EINVAL);
	assert_int_equal(write1(so, pkt, len - 1, SND_IN, ifx), EINVAL);
	pkt[0] = 0x45;
	assert_int_equal(write1(so, pkt, len, SND_IN, ifx), EINVAL);
	/* SND_IN: too short for the ICMPv6 header. */
	len = ns(pkt, OUR_LL);
	((struct ip6_hdr *)pkt)->ip6_plen = htons(4);
	assert_int_equal(write1(so, pkt, 44, SND_IN, ifx), EINVAL);
	/* SND_IN: not ND, or not ICMPv6 after the IPv6 header. */
	len = nd6(pkt, ICMP6_ECHO_REQUEST, PEER_LL, OUR_LL, NULL, 16);
	assert_int_equal(write1(so, pkt, len, SND_IN, ifx), ENOSYS);
	len = nd6(pkt, 138, PEER_LL, OUR_LL, NULL, 16);
	assert_int_equal(write1(so, pkt, len, SND_IN, ifx), ENOSYS);
	len = ns(pkt, OUR_LL);
	((struct ip6_hdr *)pkt)->ip6_nxt = IPPROTO_DSTOPTS;
	assert_int_equal(write1(so, pkt, len, SND_IN, ifx), ENOSYS);
	/* No memory for the message. */
	len = ns(pkt, OUR_LL);
	xk_mb_inject_failures(0, 1);
	assert_int_equal(write1(so, pkt, len, SND_IN, ifx), ENOBUFS);
	xk_mb_inject_failures(0, 0);
	/* Each refusal after the socket layer's is counted. */
	assert_int_equal(xk_test_stat("send.refused"), 12);
	assert_int_equal(xk_test_stat("send.wrote_in"), 0);
	assert_int_equal(xk_test_stat("send.wrote_out"), 0);
	sock_close(so);
}

/* SND_OUT */

static void
test_out_raw_socket_nd_diverted(void **state)
{
	struct sockaddr_in6 dst = { .sin6_family = AF_INET6 };
	socket_t so = send_socket(), r = icmp6_socket();
	struct sockaddr_send from;
	struct iovec iov;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	uint8_t icmp[24] = { ND_ROUTER_ADVERT }, echo[8] = {
	    ICMP6_ECHO_REQUEST };
	uint8_t buf[256], cap[256];
	size_t sent, caplen;
	ssize_t got;

	(void)state;
	dst.sin6_addr = xk_test_a6("fd00::2");
	msg.msg_name = &dst;
	msg.msg_namelen = sizeof(dst);
	iov.iov_base = icmp;
	iov.iov_len = sizeof(icmp);
	assert_int_equal(sock_send(r, &msg, 0, &sent), 0);
	/* Taken before the backend: nothing left vx0. */
	assert_int_equal(xkpi_mem_capture("vx0", cap, sizeof(cap), &caplen),
	    ENOENT);
	got = recv1(so, buf, sizeof(buf), &from);
	assert_int_equal(got, 40 + (ssize_t)sizeof(icmp));
	assert_addr(&from, SND_OUT, vx0_index);
	assert_int_equal(((struct ip6_hdr *)buf)->ip6_nxt, IPPROTO_ICMPV6);
	assert_int_equal(buf[40], ND_ROUTER_ADVERT);
	assert_int_equal(xk_test_stat("send.out"), 1);
	/* Written back: out of vx0 as it is, never diverted again. */
	assert_int_equal(write1(so, buf, (size_t)got, SND_OUT,
	    from.send_ifidx), 0);
	assert_int_equal(xkpi_mem_capture("vx0", cap, sizeof(cap), &caplen),
	    0);
	assert_int_equal(caplen, (size_t)got);
	assert_memory_equal(cap, buf, caplen);
	assert_int_equal(recv1(so, buf, sizeof(buf), NULL), -1);
	assert_int_equal(xk_test_stat("send.wrote_out"), 1);
	/* Not ND: sent without a detour. */
	iov.iov_base = echo;
	iov.iov_len = sizeof(echo);
	assert_int_equal(sock_send(r, &msg, 0, &sent), 0);
	assert_int_equal(xkpi_mem_capture("vx0", cap, sizeof(cap), &caplen),
	    0);
	assert_int_equal(caplen, 48);
	assert_int_equal(recv1(so, buf, sizeof(buf), NULL), -1);
	/* Out of the interface the daemon names. */
	assert_int_equal(write1(so, cap, caplen, SND_OUT, (int)vx1_index), 0);
	assert_int_equal(xkpi_mem_capture("vx1", cap, sizeof(cap), &caplen),
	    0);
	assert_int_equal(caplen, 48);
	sock_close(so);
	sock_close(r);
}

static void
test_out_each_type_from_raw_socket(void **state)
{
	struct sockaddr_in6 dst = { .sin6_family = AF_INET6 };
	socket_t so = send_socket(), r = icmp6_socket();
	struct iovec iov;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	uint8_t icmp[40], buf[256];
	size_t sent;

	(void)state;
	/* Unicast: a multicast send would loop a copy back to input too. */
	dst.sin6_addr = xk_test_a6("fd00::2");
	msg.msg_name = &dst;
	msg.msg_namelen = sizeof(dst);
	iov.iov_base = icmp;
	iov.iov_len = sizeof(icmp);
	for (uint8_t t = ND_ROUTER_SOLICIT; t <= ND_REDIRECT; t++) {
		memset(icmp, 0, sizeof(icmp));
		icmp[0] = t;
		assert_int_equal(sock_send(r, &msg, 0, &sent), 0);
		assert_int_equal(recv1(so, buf, sizeof(buf), NULL), 80);
		assert_int_equal(buf[40], t);
	}
	assert_int_equal(xk_test_stat("send.out"), 5);
	sock_close(so);
	sock_close(r);
}

/*
 * Held messages.  mem holds nothing, so these tests stand in for an
 * intercepting backend: the engine's backend gets mem's ops with a
 * verdict recorder, and messages enter through the engine's receive
 * entry with hold ids, as nfqueue hands them over.
 */
static struct xk_backend_ops *held_ops;	/* the engine's backend's, recording */

/* A backend whose output always fails. */
static void
fail_output(struct xk_backend *be, struct xk_be_pkt *pkts, unsigned int n,
    unsigned int *sent)
{
	(void)be;
	for (unsigned int i = 0; i < n; i++) {
		pkts[i].bp_error = ENOBUFS;
		mbuf_freem(pkts[i].bp_m);
		pkts[i].bp_m = NULL;
	}
	*sent = 0;
}

static int
held_setup(void **state)
{
	setup(state);
	held_ops = xk_test_held_install();
	return 0;
}

static int
held_teardown(void **state)
{
	xk_test_held_restore();
	return teardown(state);
}

static void
test_held_without_socket_accepted(void **state)
{
	uint8_t pkt[128];
	size_t len;

	(void)state;
	len = ns(pkt, OUR_LL);
	xk_test_held_input(vx0_index, pkt, len, 11, false);
	xk_test_held_input(vx0_index, pkt, len, 12, true);
	assert_int_equal(xk_test_nverdicts, 2);
	assert_int_equal(xk_test_verdicts[0].hold, 11);
	assert_int_equal(xk_test_verdicts[0].verdict, XK_VERDICT_ACCEPT);
	assert_int_equal(xk_test_verdicts[0].len, 0);
	assert_int_equal(xk_test_verdicts[1].hold, 12);
	assert_int_equal(xk_test_verdicts[1].verdict, XK_VERDICT_ACCEPT);
	assert_int_equal(xk_test_verdicts[1].len, 0);
}

static void
test_held_in_answered_by_copy(void **state)
{
	socket_t so = send_socket(), r = icmp6_socket();
	struct sockaddr_send from;
	uint8_t pkt[128], buf[256];
	size_t len;

	(void)state;
	len = ns(pkt, OUR_LL);
	xk_test_held_input(vx0_index, pkt, len, 21, false);
	/* Held while the daemon has it: no verdict yet. */
	assert_int_equal(xk_test_nverdicts, 0);
	assert_int_equal(recv1(so, buf, sizeof(buf), &from), (ssize_t)len);
	assert_addr(&from, SND_IN, vx0_index);
	/* The daemon changes an option: the verdict carries it. */
	buf[len - 1] ^= 0xff;
	nd6_resum(buf);
	assert_int_equal(write1(so, buf, len, SND_IN, from.send_ifidx), 0);
	assert_int_equal(xk_test_nverdicts, 1);
	assert_int_equal(xk_test_verdicts[0].hold, 21);
	assert_int_equal(xk_test_verdicts[0].verdict, XK_VERDICT_ACCEPT);
	assert_int_equal(xk_test_verdicts[0].len, len);
	assert_memory_equal(xk_test_verdicts[0].bytes, buf, len);
	assert_int_equal(xk_test_stat("send.answered"), 1);
	/* The engine's raw sockets get it too, once. */
	assert_int_equal(recv1(r, pkt, sizeof(pkt), NULL), (ssize_t)len - 40);
	/* Written again: it answers nothing now (mem: input goes on). */
	assert_int_equal(write1(so, buf, len, SND_IN, from.send_ifidx), 0);
	assert_int_equal(xk_test_nverdicts, 1);
	assert_int_equal(xk_test_stat("send.answered"), 1);
	assert_int_equal(recv1(r, pkt, sizeof(pkt), NULL), (ssize_t)len - 40);
	sock_close(so);
	sock_close(r);
}

static void
test_held_out_answered_by_id_then_oldest_first(void **state)
{
	socket_t so = send_socket();
	struct sockaddr_send from;
	struct iovec iov;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	uint8_t pkt[128], buf[256];
	size_t len, rlen, sent;
	mbuf_t m = NULL;

	(void)state;
	len = nd6(pkt, ND_NEIGHBOR_ADVERT, OUR_LL, PEER_LL, OUR_LL, 32);
	/* Three alike held outgoing messages. */
	xk_test_held_input(vx0_index, pkt, len, 31, true);
	xk_test_held_input(vx0_index, pkt, len, 32, true);
	xk_test_held_input(vx0_index, pkt, len, 33, true);
	assert_int_equal(xk_test_nverdicts, 0);
	assert_int_equal(recv1(so, buf, sizeof(buf), &from), (ssize_t)len);
	assert_addr(&from, SND_OUT, vx0_index);
	assert_int_equal(recv1(so, buf, sizeof(buf), NULL), (ssize_t)len);
	/* The third as an mbuf, written back as one: by its hold id. */
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &from;
	msg.msg_namelen = sizeof(from);
	rlen = 1024;
	assert_int_equal(sock_receivembuf(so, &msg, &m, MSG_DONTWAIT, &rlen),
	    0);
	assert_int_equal(sock_sendmbuf(so, &msg, m, 0, &sent), 0);
	assert_int_equal(xk_test_nverdicts, 1);
	assert_int_equal(xk_test_verdicts[0].hold, 33);
	/* Copies answer the others by key, the oldest first. */
	iov.iov_base = buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	assert_int_equal(sock_send(so, &msg, 0, &sent), 0);
	assert_int_equal(write1(so, buf, len, SND_OUT, (int)vx0_index), 0);
	assert_int_equal(xk_test_nverdicts, 3);
	assert_int_equal(xk_test_verdicts[1].hold, 31);
	assert_int_equal(xk_test_verdicts[2].hold, 32);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(xk_test_verdicts[i].verdict,
		    XK_VERDICT_ACCEPT);
		assert_int_equal(xk_test_verdicts[i].len, len);
	}
	assert_int_equal(xk_test_stat("send.answered"), 3);
	/* Nothing held now: out of the interface. */
	assert_int_equal(write1(so, buf, len, SND_OUT, (int)vx0_index), 0);
	assert_int_equal(xk_test_nverdicts, 3);
	assert_int_equal(xkpi_mem_capture("vx0", pkt, sizeof(pkt), &rlen), 0);
	assert_int_equal(rlen, len);
	assert_int_equal(xk_test_stat("send.wrote_out"), 4);
	sock_close(so);
}

/* The key: another interface, type or target answers nothing. */
static void
test_held_key_must_match(void **state)
{
	socket_t so = send_socket();
	uint8_t pkt[128], buf[128];
	size_t len;

	(void)state;
	len = ns(pkt, OUR_LL);
	xk_test_held_input(vx0_index, pkt, len, 41, false);
	/* Another interface: a new message, given to mem's input. */
	assert_int_equal(write1(so, pkt, len, SND_IN, (int)vx1_index), 0);
	/* Another target. */
	len = ns(buf, "fe80::99");
	assert_int_equal(write1(so, buf, len, SND_IN, (int)vx0_index), 0);
	/* Another direction. */
	len = ns(buf, OUR_LL);
	assert_int_equal(write1(so, buf, len, SND_OUT, (int)vx0_index), 0);
	assert_int_equal(xk_test_nverdicts, 0);
	assert_int_equal(write1(so, buf, len, SND_IN, (int)vx0_index), 0);
	assert_int_equal(xk_test_nverdicts, 1);
	assert_int_equal(xk_test_verdicts[0].hold, 41);
	sock_close(so);
}

static void
test_held_full_buffer_dropped(void **state)
{
	socket_t so = send_socket();
	uint8_t pkt[128];
	size_t len;
	unsigned int fit;

	(void)state;
	len = ns(pkt, OUR_LL);
	fit = 9216 / (unsigned int)(20 + len);
	for (unsigned int i = 0; i <= fit; i++) {
		xk_test_held_input(vx0_index, pkt, len, 100 + i, false);
	}
	/* The one that did not fit: dropped, by verdict, and counted. */
	assert_int_equal(xk_test_nverdicts, 1);
	assert_int_equal(xk_test_verdicts[0].hold, 100 + fit);
	assert_int_equal(xk_test_verdicts[0].verdict, XK_VERDICT_DROP);
	assert_int_equal(xk_test_stat("send.full"), 1);
	sock_close(so);
}

/* No mbuf for the address: dropped, by verdict, and counted. */
static void
test_held_no_mbuf_dropped(void **state)
{
	struct xk_backend *be = xk_engine_backend();
	socket_t so = send_socket();
	struct xk_be_pkt bp;
	uint8_t pkt[128], buf[128];
	size_t len;
	mbuf_t m;

	(void)state;
	len = ns(pkt, OUR_LL);
	assert_int_equal(mbuf_allocpacket(MBUF_DONTWAIT, len, NULL, &m), 0);
	assert_int_equal(mbuf_copyback(m, 0, len, pkt, MBUF_DONTWAIT), 0);
	memset(&bp, 0, sizeof(bp));
	bp.bp_m = m;
	bp.bp_ifindex = vx0_index;
	bp.bp_hold = 81;
	xk_mb_inject_failures(0, 1);
	be->be_input(be, &bp, 1);
	xk_mb_inject_failures(0, 0);
	assert_int_equal(xk_test_nverdicts, 1);
	assert_int_equal(xk_test_verdicts[0].hold, 81);
	assert_int_equal(xk_test_verdicts[0].verdict, XK_VERDICT_DROP);
	assert_int_equal(xk_test_stat("send.nomem"), 1);
	assert_int_equal(recv1(so, buf, sizeof(buf), NULL), -1);
	sock_close(so);
}

/* On a host backend a new SND_IN message cannot be given to the host. */
static void
test_held_unmatched_in_on_host_backend(void **state)
{
	socket_t so = send_socket();
	uint8_t pkt[128], buf[256];
	size_t len;

	(void)state;
	held_ops->be_features &= ~XK_BEF_VIRTUAL;
	len = ns(pkt, OUR_LL);
	assert_int_equal(write1(so, pkt, len, SND_IN, (int)vx0_index), ENOENT);
	assert_int_equal(xk_test_stat("send.unmatched_in"), 1);
	/* A held one is still answered. */
	xk_test_held_input(vx0_index, pkt, len, 51, false);
	assert_int_equal(recv1(so, buf, sizeof(buf), NULL), (ssize_t)len);
	assert_int_equal(write1(so, buf, len, SND_IN, (int)vx0_index), 0);
	assert_int_equal(xk_test_nverdicts, 1);
	assert_int_equal(xk_test_verdicts[0].hold, 51);
	sock_close(so);
}

static void
test_held_out_failed_output_enoent(void **state)
{
	socket_t so = send_socket();
	uint8_t pkt[128];
	size_t len;

	(void)state;
	held_ops->be_output = fail_output;
	len = nd6(pkt, ND_NEIGHBOR_ADVERT, OUR_LL, PEER_LL, OUR_LL, 24);
	assert_int_equal(write1(so, pkt, len, SND_OUT, (int)vx0_index),
	    ENOENT);
	assert_int_equal(xk_test_stat("send.oerrors"), 1);
	assert_int_equal(xk_test_stat("if.vx0.oerrors"), 1);
	sock_close(so);
}

/* Other ICMPv6 the host sends is not the daemon's. */
static void
test_held_out_not_nd_accepted(void **state)
{
	socket_t so = send_socket();
	uint8_t pkt[128], buf[128];
	size_t len;

	(void)state;
	len = nd6(pkt, ICMP6_ECHO_REQUEST, OUR_LL, PEER_LL, NULL, 16);
	xk_test_held_input(vx0_index, pkt, len, 61, true);
	assert_int_equal(xk_test_nverdicts, 1);
	assert_int_equal(xk_test_verdicts[0].hold, 61);
	assert_int_equal(xk_test_verdicts[0].verdict, XK_VERDICT_ACCEPT);
	assert_int_equal(recv1(so, buf, sizeof(buf), NULL), -1);
	sock_close(so);
}

/* Closed with messages held: forgotten here, the backend's to drop. */
static void
test_held_forgotten_at_close(void **state)
{
	socket_t so = send_socket(), r = icmp6_socket();
	uint8_t pkt[128], buf[128];
	size_t len;

	(void)state;
	len = ns(pkt, OUR_LL);
	xk_test_held_input(vx0_index, pkt, len, 71, false);
	xk_test_held_input(vx0_index, pkt, len, 72, false);
	sock_close(so);
	assert_int_equal(xk_test_wait_sockets(1, WAIT_MS), 1);
	assert_int_equal(xk_test_nverdicts, 0);
	assert_int_equal(xk_test_stat("send.forgotten"), 2);
	/* Diversion stopped: the next one goes to the host and the raw demux. */
	xk_test_held_input(vx0_index, pkt, len, 73, false);
	assert_int_equal(xk_test_nverdicts, 1);
	assert_int_equal(xk_test_verdicts[0].hold, 73);
	assert_int_equal(recv1(r, buf, sizeof(buf), NULL), (ssize_t)len - 40);
	sock_close(r);
}

/*
 * More held messages than the matcher keeps (1024): the oldest is
 * forgotten and counted, and the copy written back answers the oldest
 * left.
 */
static void
test_held_matcher_full_forgets_oldest(void **state)
{
	socket_t so = send_socket();
	struct sockaddr_send from;
	uint8_t pkt[128], buf[256];
	size_t len;

	(void)state;
	len = ns(pkt, OUR_LL);
	for (uint64_t hold = 1; hold <= 1025; hold++) {
		xk_test_held_input(vx0_index, pkt, len, hold, false);
		assert_int_equal(recv1(so, buf, sizeof(buf), &from),
		    (ssize_t)len);
	}
	assert_int_equal(xk_test_nverdicts, 0);
	assert_int_equal(xk_test_stat("send.in"), 1025);
	assert_int_equal(xk_test_stat("send.forgotten"), 1);
	assert_int_equal(write1(so, buf, len, SND_IN, from.send_ifidx), 0);
	assert_int_equal(xk_test_nverdicts, 1);
	assert_int_equal(xk_test_verdicts[0].hold, 2);
	assert_int_equal(xk_test_stat("send.answered"), 1);
	sock_close(so);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_create_one_at_a_time),
		T(test_create_needs_privilege),
		T(test_create_wrong_type),
		T(test_create_needs_intercepting_backend),
		T(test_buffers),
		T(test_unsupported_calls),
		T(test_in_each_type_diverted),
		T(test_in_others_not_diverted),
		T(test_in_hop_limit_not_checked),
		T(test_in_extension_headers),
		T(test_nothing_diverted_without_socket),
		T(test_in_full_buffer_counted),
		T(test_write_in_reaches_raw_sockets_once),
		T(test_write_errors),
		T(test_out_raw_socket_nd_diverted),
		T(test_out_each_type_from_raw_socket),
#undef T
#define H(f) cmocka_unit_test_setup_teardown(f, held_setup, held_teardown)
		H(test_held_without_socket_accepted),
		H(test_held_in_answered_by_copy),
		H(test_held_out_answered_by_id_then_oldest_first),
		H(test_held_key_must_match),
		H(test_held_full_buffer_dropped),
		H(test_held_no_mbuf_dropped),
		H(test_held_unmatched_in_on_host_backend),
		H(test_held_out_failed_output_enoent),
		H(test_held_out_not_nd_accepted),
		H(test_held_forgotten_at_close),
		H(test_held_matcher_full_forgets_oldest),
#undef H
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
