/*
 * Raw IPv4 sockets over the mem backend (spec section 4): privilege, the
 * demux rules with a copy to every match, the BSD header form, IP_STRIPHDR,
 * output with and without IP_HDRINCL, bind/connect errors, and the
 * counters every refused packet lands in.
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
#include <netinet/ip.h>
#include <string.h>
#include <sys/time.h>

#include <netinet/kpi_ipfilter.h>
#include <sys/kpi_mbuf.h>
#include <net/if_dl.h>
#include <sys/kpi_socket.h>

#include <xkpi_mem.h>
#include "core/ip_var.h"
#include "core/socket_var.h"
#include "tests/lib/xk_test.h"

#define PROTO_EXP	253	/* RFC 3692 experimentation */
#define WAIT_MS		XK_TEST_WAIT_MS	/* the liveness bound */

static struct sockaddr_in
sin4(const char *s)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	sin.sin_addr = xk_test_a4(s);
	return sin;
}

static uint32_t vx0_index;

/* vx0 10.0.0.1/24 and 10.0.0.4/24; vx1 10.0.1.1/24; not linked. */
static int
setup(void **state)
{
	struct in_addr a;

	xk_test_sock_setup(state);
	xkpi_mem_reset();
	assert_int_equal(xkpi_mem_vif_create("vx0", 1500, &vx0_index), 0);
	assert_int_equal(xkpi_mem_vif_create("vx1", 1500, NULL), 0);
	a = xk_test_a4("10.0.0.1");
	assert_int_equal(xkpi_mem_vif_addaddr("vx0", AF_INET, &a, 24), 0);
	a = xk_test_a4("10.0.0.4");
	assert_int_equal(xkpi_mem_vif_addaddr("vx0", AF_INET, &a, 24), 0);
	a = xk_test_a4("10.0.1.1");
	assert_int_equal(xkpi_mem_vif_addaddr("vx1", AF_INET, &a, 24), 0);
	xk_ipstat_reset();
	return 0;
}

static int
teardown(void **state)
{
	xk_so_force_unprivileged(false);
	xkpi_mem_reset();
	return xk_test_sock_teardown(state);
}

/*
 * An IPv4 packet in network form with @plen payload bytes of pattern:
 * xk_test_pkt4's, with IP_DF set and id 77.
 */
static size_t
pkt4(uint8_t *buf, const char *src, const char *dst, uint8_t proto,
    size_t plen)
{
	struct ip *ip = (struct ip *)buf;
	size_t len = xk_test_pkt4(buf, src, dst, proto, plen, 77);

	ip->ip_off = htons(IP_DF);
	ip->ip_sum = 0;
	ip->ip_sum = xk_in_cksum_buf(ip, sizeof(*ip));
	return len;
}

static socket_t
raw(int proto)
{
	socket_t so = NULL;

	assert_int_equal(sock_socket(PF_INET, SOCK_RAW, proto, NULL, NULL,
	    &so), 0);
	return so;
}

/* Datagrams queued on @so now: drained with MSG_DONTWAIT. */
static int
drain(socket_t so)
{
	int n = 0;

	for (;;) {
		size_t len = 1 << 20;
		mbuf_t m;

		if (sock_receivembuf(so, NULL, &m, MSG_DONTWAIT, &len) != 0) {
			return n;
		}
		mbuf_freem(m);
		n++;
	}
}

/* Injects and waits until the engine has taken the packet. */
static void
inject(const char *ifname, const uint8_t *pkt, size_t len)
{
	uint64_t before = xk_test_ipstat().ips_total;
	int64_t end = xk_test_now_us() + (int64_t)WAIT_MS * 1000;

	assert_int_equal(xkpi_mem_inject(ifname, pkt, len), 0);
	while (xk_test_ipstat().ips_total == before && xk_test_now_us() < end) {
		xk_test_sleep_ms(1);
	}
	xk_test_loop_barrier();
	assert_true(xk_test_ipstat().ips_total > before);
}

static void
test_attach_needs_privilege(void **state)
{
	socket_t so = NULL;

	(void)state;
	xk_so_force_unprivileged(true);
	assert_int_equal(sock_socket(PF_INET, SOCK_RAW, PROTO_EXP, NULL, NULL,
	    &so), EPERM);
	xk_so_force_unprivileged(false);
	so = raw(PROTO_EXP);
	sock_close(so);
}

static void
test_socket_protocol_rules(void **state)
{
	socket_t so = NULL;
	int dom, type, proto;

	(void)state;
	assert_int_equal(sock_socket(PF_INET, SOCK_RAW, 256, NULL, NULL, &so),
	    EINVAL);
	/*
	 * Divert is its own protocol, never a raw socket for 254: always
	 * connected, which a raw socket is not.
	 */
	assert_int_equal(sock_socket(PF_INET, SOCK_RAW, 254, NULL, NULL, &so),
	    0);
	assert_true(sock_isconnected(so));
	sock_close(so);
	/* Protocol 0 is kept as 0: the wildcard, not IPPROTO_RAW. */
	so = raw(0);
	assert_int_equal(sock_gettype(so, &dom, &type, &proto), 0);
	assert_int_equal(type, SOCK_RAW);
	assert_int_equal(proto, 0);
	sock_close(so);
}

static void
test_demux_matrix(void **state)
{
	struct sockaddr_in b1 = sin4("10.0.0.1"), b4 = sin4("10.0.0.4");
	struct sockaddr_in c9 = sin4("10.0.0.9"), c8 = sin4("10.0.0.8");
	socket_t s[8];
	uint8_t pkt[128];
	size_t len;
	/* wild, exp, icmp, bound .1, bound .4, conn .9, conn .8, wild+icmp */
	static const int want[] = { 1, 1, 0, 1, 0, 1, 0, 1 };

	(void)state;
	s[0] = raw(0);
	s[1] = raw(PROTO_EXP);
	s[2] = raw(IPPROTO_ICMP);
	s[3] = raw(0);
	assert_int_equal(sock_bind(s[3], (struct sockaddr *)&b1), 0);
	s[4] = raw(0);
	assert_int_equal(sock_bind(s[4], (struct sockaddr *)&b4), 0);
	s[5] = raw(PROTO_EXP);
	assert_int_equal(sock_connect(s[5], (struct sockaddr *)&c9, 0), 0);
	s[6] = raw(PROTO_EXP);
	assert_int_equal(sock_connect(s[6], (struct sockaddr *)&c8, 0), 0);
	s[7] = raw(0);
	len = pkt4(pkt, "10.0.0.9", "10.0.0.1", PROTO_EXP, 40);
	inject("vx0", pkt, len);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(drain(s[i]), want[i]);
	}
	assert_int_equal(xk_test_ipstat().ips_delivered, 1);
	/* ICMP: the protocol socket and the wildcards, nobody bound to .4. */
	len = pkt4(pkt, "10.0.0.8", "10.0.0.1", IPPROTO_ICMP, 8);
	inject("vx0", pkt, len);
	assert_int_equal(drain(s[0]), 1);
	assert_int_equal(drain(s[1]), 0);
	assert_int_equal(drain(s[2]), 1);
	assert_int_equal(drain(s[3]), 1);
	assert_int_equal(drain(s[4]), 0);
	assert_int_equal(drain(s[5]), 0);
	assert_int_equal(drain(s[6]), 0);
	assert_int_equal(drain(s[7]), 1);
	for (int i = 0; i < 8; i++) {
		sock_close(s[i]);
	}
}

static void
test_no_match_counts_noproto(void **state)
{
	uint8_t pkt[64];
	size_t len = pkt4(pkt, "10.0.0.9", "10.0.0.1", PROTO_EXP, 4);
	socket_t so;

	(void)state;
	so = raw(IPPROTO_ICMP);
	inject("vx0", pkt, len);
	assert_int_equal(drain(so), 0);
	assert_int_equal(xk_test_ipstat().ips_noproto, 1);
	sock_close(so);
}

static void
test_tcp_udp_never_reach_raw_sockets(void **state)
{
	uint8_t pkt[64];
	socket_t so;

	(void)state;
	so = raw(0);
	inject("vx0", pkt, pkt4(pkt, "10.0.0.9", "10.0.0.1", IPPROTO_TCP, 20));
	inject("vx0", pkt, pkt4(pkt, "10.0.0.9", "10.0.0.1", IPPROTO_UDP, 8));
	assert_int_equal(drain(so), 0);
	assert_int_equal(xk_test_ipstat().ips_hostproto, 2);
	sock_close(so);
}

static void
test_not_for_us_is_dropped(void **state)
{
	uint8_t pkt[64];
	socket_t so;

	(void)state;
	so = raw(0);
	inject("vx0", pkt, pkt4(pkt, "10.0.0.9", "10.0.0.77", PROTO_EXP, 4));
	assert_int_equal(drain(so), 0);
	assert_int_equal(xk_test_ipstat().ips_notforus, 1);
	/* The subnet broadcast and multicast are for us. */
	inject("vx0", pkt, pkt4(pkt, "10.0.0.9", "10.0.0.255", PROTO_EXP, 4));
	inject("vx0", pkt, pkt4(pkt, "10.0.0.9", "224.0.0.9", PROTO_EXP, 4));
	assert_int_equal(drain(so), 2);
	sock_close(so);
}

static void
test_malformed_input_is_counted(void **state)
{
	uint8_t pkt[64];
	struct ip *ip = (struct ip *)pkt;
	size_t len;
	socket_t so;

	(void)state;
	so = raw(0);
	len = pkt4(pkt, "10.0.0.9", "10.0.0.1", PROTO_EXP, 4);
	ip->ip_sum ^= 0x100;
	inject("vx0", pkt, len);
	len = pkt4(pkt, "10.0.0.9", "10.0.0.1", PROTO_EXP, 4);
	inject("vx0", pkt, len - 1);	/* ip_len past the end */
	len = pkt4(pkt, "10.0.0.9", "10.0.0.1", PROTO_EXP, 4);
	inject("vx0", pkt, 12);		/* not even a header */
	assert_int_equal(drain(so), 0);
	assert_int_equal(xk_test_ipstat().ips_drop[XK_IPDROP_BADSUM], 1);
	assert_int_equal(xk_test_ipstat().ips_drop[XK_IPDROP_TOOSHORT], 1);
	assert_int_equal(xk_test_ipstat().ips_drop[XK_IPDROP_TOOSMALL], 1);
	sock_close(so);
}

static void
test_receive_bsd_header_form_and_source(void **state)
{
	struct sockaddr_in from;
	uint8_t pkt[128], got[128];
	struct msghdr msg = { 0 };
	struct iovec iov = { got, sizeof(got) };
	struct ip ip;
	size_t n = 0, len;
	socket_t so;

	(void)state;
	so = raw(PROTO_EXP);
	len = pkt4(pkt, "10.0.0.9", "10.0.0.1", PROTO_EXP, 30);
	inject("vx0", pkt, len);
	memset(&from, 0xff, sizeof(from));
	msg.msg_name = &from;
	msg.msg_namelen = sizeof(from);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	assert_int_equal(sock_receive(so, &msg, MSG_DONTWAIT, &n), 0);
	assert_int_equal(n, len);
	memcpy(&ip, got, sizeof(ip));
	/* ip_input's form: host order, header length subtracted. */
	assert_int_equal(ip.ip_len, 30);
	assert_int_equal(ip.ip_off, IP_DF);
	assert_int_equal(ntohs(ip.ip_id), 77);
	assert_int_equal(ip.ip_src.s_addr, xk_test_a4("10.0.0.9").s_addr);
	xk_test_check_pattern(got + 20, 30, 0);
	assert_int_equal(from.sin_family, AF_INET);
	assert_int_equal(from.sin_port, 0);
	assert_int_equal(from.sin_addr.s_addr, xk_test_a4("10.0.0.9").s_addr);
	sock_close(so);
}

static void
test_striphdr(void **state)
{
	uint8_t pkt[128], got[128];
	int on = 1, v = 0, vl = sizeof(v);
	struct msghdr msg = { 0 };
	struct iovec iov = { got, sizeof(got) };
	size_t n = 0;
	socket_t so;

	(void)state;
	so = raw(PROTO_EXP);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_STRIPHDR, &on,
	    sizeof(on)), 0);
	assert_int_equal(sock_getsockopt(so, IPPROTO_IP, IP_STRIPHDR, &v, &vl),
	    0);
	assert_int_equal(v, 0x200);
	inject("vx0", pkt, pkt4(pkt, "10.0.0.9", "10.0.0.1", PROTO_EXP, 30));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	assert_int_equal(sock_receive(so, &msg, MSG_DONTWAIT, &n), 0);
	assert_int_equal(n, 30);
	xk_test_check_pattern(got, 30, 0);
	sock_close(so);
}

static void
test_options_level_and_values(void **state)
{
	int on = 1, v = -1, vl = sizeof(v);
	socket_t so;

	(void)state;
	so = raw(PROTO_EXP);
	assert_int_equal(sock_getsockopt(so, IPPROTO_IP, IP_HDRINCL, &v, &vl),
	    0);
	assert_int_equal(v, 0);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_HDRINCL, &on,
	    sizeof(on)), 0);
	assert_int_equal(sock_getsockopt(so, IPPROTO_IP, IP_HDRINCL, &v, &vl),
	    0);
	assert_int_equal(v, 8);	/* XNU: inp_flags & INP_HDRINCL */
	/* XNU's rip_ctloutput: a level other than IPPROTO_IP is EINVAL. */
	assert_int_equal(sock_setsockopt(so, IPPROTO_TCP, 1, &on, sizeof(on)),
	    EINVAL);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_TTL, &on, 2),
	    EINVAL);
	v = 300;
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_TTL, &v,
	    sizeof(v)), EINVAL);
	sock_close(so);
}

/* Takes the packet sent out of @ifname, checks the header is sound. */
static size_t
captured(const char *ifname, uint8_t *buf, size_t cap, struct ip *ip)
{
	size_t len = 0, hlen = 0;
	mbuf_t m;

	assert_int_equal(xkpi_mem_capture(ifname, buf, cap, &len), 0);
	memcpy(ip, buf, sizeof(*ip));
	assert_int_equal(xk_in_cksum_buf(buf, (size_t)ip->ip_hl << 2), 0);
	assert_int_equal(mbuf_gethdr(MBUF_WAITOK, MBUF_TYPE_DATA, &m), 0);
	assert_int_equal(mbuf_copyback(m, 0, len, buf, MBUF_WAITOK), 0);
	assert_int_equal(xk_ip_check(m, &hlen), XK_IPDROP_NONE);
	mbuf_freem(m);
	return len;
}

static void
send_bytes(socket_t so, const struct sockaddr_in *to, const void *p,
    size_t len, errno_t want)
{
	struct iovec iov = { (void *)(uintptr_t)p, len };
	struct msghdr msg = { 0 };
	size_t sent = 1;

	msg.msg_name = (void *)(uintptr_t)to;
	msg.msg_namelen = to != NULL ? sizeof(*to) : 0;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	assert_int_equal(sock_send(so, &msg, 0, &sent), want);
	assert_int_equal(sent, want == 0 ? len : 0);
}

/*
 * IP_DONTFRAG (XNU HEAD's rip_output): DF on what the socket sends, and
 * EMSGSIZE (ip.cantfrag) instead of fragments past the MTU.
 */
static void
test_dontfrag(void **state)
{
	struct sockaddr_in dst = sin4("10.0.0.9");
	static uint8_t payload[3000], buf[3100];
	int on = 1, v = 0, vl = sizeof(v);
	struct ip ip;
	socket_t so;

	(void)state;
	so = raw(PROTO_EXP);
	assert_int_equal(sock_getsockopt(so, IPPROTO_IP, IP_DONTFRAG, &v,
	    &vl), 0);
	assert_int_equal(v, 0);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_DONTFRAG, &on,
	    sizeof(on)), 0);
	assert_int_equal(sock_getsockopt(so, IPPROTO_IP, IP_DONTFRAG, &v,
	    &vl), 0);
	assert_int_equal(v, 1);
	send_bytes(so, &dst, payload, 100, 0);
	assert_int_equal(captured("vx0", buf, sizeof(buf), &ip), 120);
	assert_int_equal(ntohs(ip.ip_off), IP_DF);
	/* 3000 bytes: too big for 1500 and not to be cut. */
	send_bytes(so, &dst, payload, 3000, EMSGSIZE);
	assert_int_equal(xk_test_ipstat().ips_cantfrag, 1);
	assert_int_equal(xk_test_ipstat().ips_fragmented, 0);
	/* Off again: the same packet leaves in fragments. */
	on = 0;
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_DONTFRAG, &on,
	    sizeof(on)), 0);
	send_bytes(so, &dst, payload, 3000, 0);
	assert_int_equal(xk_test_ipstat().ips_fragmented, 1);
	sock_close(so);
}

/*
 * IP_OPTIONS (ip_pcbopts): well-formed options padded to 4 go out after
 * the header; malformed, over-long or source-route ones are EINVAL; with
 * options set, IP_HDRINCL wants a bare 20-byte header (spec section 4.3).
 */
static void
test_ip_options(void **state)
{
	static const uint8_t ra[] = { IPOPT_NOP, 0x94, 0x04, 0x00, 0x00 };
	static const uint8_t bad[] = { 0x44, 0x01 };
	static const uint8_t lsrr[] = { IPOPT_LSRR, 7, 4, 10, 0, 0, 9 };
	struct sockaddr_in dst = sin4("10.0.0.9");
	uint8_t payload[40] = { 0 }, buf[128], got[64], big[44] = { 0 };
	int glen = sizeof(got);
	struct ip ip;
	socket_t so;

	(void)state;
	so = raw(PROTO_EXP);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_OPTIONS, ra,
	    sizeof(ra)), 0);
	assert_int_equal(sock_getsockopt(so, IPPROTO_IP, IP_OPTIONS, got,
	    &glen), 0);
	assert_int_equal(glen, 8);	/* 5 bytes, padded with EOL */
	assert_memory_equal(got, ra, sizeof(ra));
	assert_int_equal(got[5] | got[6] | got[7], IPOPT_EOL);
	send_bytes(so, &dst, payload, sizeof(payload), 0);
	assert_int_equal(captured("vx0", buf, sizeof(buf), &ip), 68);
	assert_int_equal(ip.ip_hl, 7);
	assert_memory_equal(buf + 20, ra, sizeof(ra));
	assert_int_equal(ntohs(ip.ip_len), 68);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_OPTIONS, bad,
	    sizeof(bad)), EINVAL);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_OPTIONS, lsrr,
	    sizeof(lsrr)), EINVAL);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_OPTIONS, big,
	    sizeof(big)), EINVAL);
	/* None again: a plain 20-byte header. */
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_OPTIONS, ra, 0), 0);
	glen = sizeof(got);
	assert_int_equal(sock_getsockopt(so, IPPROTO_IP, IP_OPTIONS, got,
	    &glen), 0);
	assert_int_equal(glen, 0);
	send_bytes(so, &dst, payload, sizeof(payload), 0);
	assert_int_equal(captured("vx0", buf, sizeof(buf), &ip), 60);
	assert_int_equal(ip.ip_hl, 5);
	sock_close(so);
}

static void
test_output_builds_the_header(void **state)
{
	struct sockaddr_in dst = sin4("10.0.0.9"), b4 = sin4("10.0.0.4");
	uint8_t payload[100], buf[256];
	int ttl = 33, tos = 0x10;
	struct ip ip;
	socket_t so;

	(void)state;
	xk_pattern_fill(payload, 0, sizeof(payload));
	so = raw(PROTO_EXP);
	send_bytes(so, &dst, payload, sizeof(payload), 0);
	assert_int_equal(captured("vx0", buf, sizeof(buf), &ip), 120);
	assert_int_equal(ip.ip_p, PROTO_EXP);
	assert_int_equal(ntohs(ip.ip_len), 120);
	assert_int_equal(ip.ip_ttl, 64);
	assert_int_equal(ip.ip_off, 0);
	assert_int_not_equal(ip.ip_id, 0);
	/* No bound address: the interface's first. */
	assert_int_equal(ip.ip_src.s_addr, xk_test_a4("10.0.0.1").s_addr);
	assert_int_equal(ip.ip_dst.s_addr, dst.sin_addr.s_addr);
	xk_test_check_pattern(buf + 20, sizeof(payload), 0);
	/* Bound address, IP_TTL and IP_TOS. */
	assert_int_equal(sock_bind(so, (struct sockaddr *)&b4), 0);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_TTL, &ttl,
	    sizeof(ttl)), 0);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_TOS, &tos,
	    sizeof(tos)), 0);
	send_bytes(so, &dst, payload, 10, 0);
	captured("vx0", buf, sizeof(buf), &ip);
	assert_int_equal(ip.ip_src.s_addr, b4.sin_addr.s_addr);
	assert_int_equal(ip.ip_ttl, 33);
	assert_int_equal(ip.ip_tos, 0x10);
	sock_close(so);
}

/* An output filter that counts the mbufs of each packet it sees. */
static atomic_int out_segs;

static errno_t
count_segs(void *cookie, mbuf_t *data, ipf_pktopts_t options)
{
	int n = 0;

	(void)cookie;
	(void)options;
	for (mbuf_t m = *data; m != NULL; m = mbuf_next(m)) {
		n++;
	}
	atomic_store(&out_segs, n);
	return 0;
}

/*
 * A datagram leaves in one mbuf, header and payload: sock_send puts the
 * payload at the end of its mbuf (XNU's sosend, MH_ALIGN), and the header
 * of a packet sock_sendmbuf is given (mbuf_allocpacket's, no room in
 * front) goes in front of its bytes rather than in an mbuf of its own.
 */
static void
test_output_one_mbuf(void **state)
{
	static const size_t sizes[] = { 1, 64, 1024, 1400 };
	struct ipf_filter f = { .name = "segs", .ipf_output = count_segs };
	struct sockaddr_in dst = sin4("10.0.0.9");
	static uint8_t payload[1400], buf[1500];
	struct msghdr msg = { 0 };
	ipfilter_t ref;
	struct ip ip;
	socket_t so;

	(void)state;
	xk_pattern_fill(payload, 0, sizeof(payload));
	assert_int_equal(ipf_addv4(&f, &ref), 0);
	so = raw(PROTO_EXP);
	msg.msg_name = &dst;
	msg.msg_namelen = sizeof(dst);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		mbuf_t m;

		atomic_store(&out_segs, 0);
		send_bytes(so, &dst, payload, sizes[i], 0);
		assert_int_equal(atomic_load(&out_segs), 1);
		assert_int_equal(captured("vx0", buf, sizeof(buf), &ip),
		    sizeof(ip) + sizes[i]);
		xk_test_check_pattern(buf + sizeof(ip), sizes[i], 0);

		assert_int_equal(mbuf_allocpacket(MBUF_WAITOK, sizes[i], NULL,
		    &m), 0);
		assert_int_equal(mbuf_copyback(m, 0, sizes[i], payload,
		    MBUF_WAITOK), 0);
		atomic_store(&out_segs, 0);
		assert_int_equal(sock_sendmbuf(so, &msg, m, 0, NULL), 0);
		assert_int_equal(atomic_load(&out_segs), 1);
		assert_int_equal(captured("vx0", buf, sizeof(buf), &ip),
		    sizeof(ip) + sizes[i]);
		assert_int_equal(ip.ip_p, PROTO_EXP);
		xk_test_check_pattern(buf + sizeof(ip), sizes[i], 0);
	}
	sock_close(so);
	assert_int_equal(ipf_remove(ref), 0);
}

static void
test_output_hdrincl(void **state)
{
	struct sockaddr_in dst = sin4("10.0.1.9");
	uint8_t pkt[128], buf[256];
	struct ip *hip = (struct ip *)pkt, ip;
	int on = 1;
	size_t len;
	socket_t so;

	(void)state;
	so = raw(IPPROTO_RAW);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_HDRINCL, &on,
	    sizeof(on)), 0);
	/* BSD form: ip_len and ip_off in host order; id 0 asks for one. */
	len = pkt4(pkt, "0.0.0.0", "10.0.1.9", PROTO_EXP, 24);
	hip->ip_len = (uint16_t)len;
	hip->ip_off = IP_DF;
	hip->ip_id = 0;
	hip->ip_sum = 0;
	send_bytes(so, &dst, pkt, len, 0);
	assert_int_equal(captured("vx1", buf, sizeof(buf), &ip), len);
	assert_int_equal(ntohs(ip.ip_len), len);
	assert_int_equal(ntohs(ip.ip_off), IP_DF);
	assert_int_not_equal(ip.ip_id, 0);
	assert_int_equal(ip.ip_src.s_addr, xk_test_a4("10.0.1.1").s_addr);
	/* ip_len beyond the packet, and in network order, are EINVAL. */
	hip->ip_len = (uint16_t)(len + 1);
	send_bytes(so, &dst, pkt, len, EINVAL);
	hip->ip_len = htons((uint16_t)len);
	send_bytes(so, &dst, pkt, len, EINVAL);
	/* Under 20 bytes. */
	send_bytes(so, &dst, pkt, 19, EINVAL);
	sock_close(so);
}

static void
test_send_errors(void **state)
{
	struct sockaddr_in dst = sin4("10.0.0.9"), any = sin4("0.0.0.0");
	struct sockaddr_in far = sin4("192.0.2.1");
	static uint8_t big[8193];
	socket_t so;

	(void)state;
	so = raw(PROTO_EXP);
	send_bytes(so, NULL, big, 10, EDESTADDRREQ);
	send_bytes(so, &any, big, 10, ENOTCONN);
	/* RIPSNDQ is 8192: one byte more does not fit the buffer. */
	send_bytes(so, &dst, big, sizeof(big), EMSGSIZE);
	send_bytes(so, &far, big, 10, EHOSTUNREACH);
	assert_int_equal(xk_test_ipstat().ips_noroute, 1);
	/* Larger than the MTU: cut in two (test_ip_frag.c has the rest). */
	send_bytes(so, &dst, big, 1481, 0);
	assert_int_equal(xk_test_ipstat().ips_fragmented, 1);
	assert_int_equal(xk_test_ipstat().ips_cantfrag, 0);
	assert_int_equal(sock_connect(so, (struct sockaddr *)&dst, 0), 0);
	send_bytes(so, &dst, big, 10, EISCONN);
	send_bytes(so, NULL, big, 10, 0);
	sock_close(so);
}

static void
test_bind_connect_errors(void **state)
{
	struct sockaddr_in nonlocal = sin4("10.0.0.3"), b1 = sin4("10.0.0.1");
	struct sockaddr_in6 six = { .sin6_family = AF_INET6 };
	socket_t so;

	(void)state;
	so = raw(PROTO_EXP);
	assert_int_equal(sock_bind(so, (struct sockaddr *)&nonlocal),
	    EADDRNOTAVAIL);
	/* A 28-byte address is not the 16 rip_bind wants. */
	assert_int_equal(sock_bind(so, (struct sockaddr *)&six), EINVAL);
	assert_int_equal(sock_connect(so, (struct sockaddr *)&six, 0), EINVAL);
	assert_int_equal(sock_bind(so, (struct sockaddr *)&b1), 0);
	/* No interfaces at all. */
	xkpi_mem_reset();
	assert_int_equal(sock_bind(so, (struct sockaddr *)&b1),
	    EADDRNOTAVAIL);
	assert_int_equal(sock_connect(so, (struct sockaddr *)&b1, 0),
	    EADDRNOTAVAIL);
	sock_close(so);
}

static void
test_reconnect_repoints_the_peer(void **state)
{
	struct sockaddr_in c9 = sin4("10.0.0.9"), c8 = sin4("10.0.0.8");
	struct sockaddr_in peer;
	uint8_t pkt[64];
	socket_t so;

	(void)state;
	so = raw(PROTO_EXP);
	assert_int_equal(sock_connect(so, (struct sockaddr *)&c9, 0), 0);
	/* xkpi's choice (docs/deviations.md): no dead socket, a new peer. */
	assert_int_equal(sock_connect(so, (struct sockaddr *)&c8, 0), 0);
	assert_int_equal(sock_getpeername(so, (struct sockaddr *)&peer,
	    sizeof(peer)), 0);
	assert_int_equal(peer.sin_addr.s_addr, c8.sin_addr.s_addr);
	inject("vx0", pkt, pkt4(pkt, "10.0.0.9", "10.0.0.1", PROTO_EXP, 4));
	inject("vx0", pkt, pkt4(pkt, "10.0.0.8", "10.0.0.1", PROTO_EXP, 4));
	assert_int_equal(drain(so), 1);
	sock_close(so);
}

/*
 * The demux index follows bind and connect in any order, and hundreds of
 * sockets that cannot match change nothing for the one that does.
 */
static void
test_demux_index_follows_bind_and_connect(void **state)
{
	struct sockaddr_in b1 = sin4("10.0.0.1"), c9 = sin4("10.0.0.9");
	struct sockaddr_in c8 = sin4("10.0.0.8");
	static socket_t others[300];
	uint8_t pkt[64];
	socket_t so;

	(void)state;
	for (int i = 0; i < 300; i++) {
		struct sockaddr_in c = sin4("10.0.0.200");

		others[i] = raw(i % 3 == 0 ? 1 + i % 250 : PROTO_EXP);
		c.sin_addr.s_addr = htonl(0x0a000100u | (uint32_t)(i % 250));
		if (i % 3 != 0) {
			assert_int_equal(sock_connect(others[i],
			    (struct sockaddr *)&c, 0), 0);
		}
		if (i % 3 == 2) {
			assert_int_equal(sock_bind(others[i],
			    (struct sockaddr *)&b1), 0);
		}
	}
	so = raw(PROTO_EXP);
	/* Connected first, bound after: (.1, .9) only. */
	assert_int_equal(sock_connect(so, (struct sockaddr *)&c9, 0), 0);
	assert_int_equal(sock_bind(so, (struct sockaddr *)&b1), 0);
	inject("vx0", pkt, pkt4(pkt, "10.0.0.9", "10.0.0.1", PROTO_EXP, 4));
	inject("vx0", pkt, pkt4(pkt, "10.0.0.9", "10.0.0.4", PROTO_EXP, 4));
	inject("vx0", pkt, pkt4(pkt, "10.0.0.8", "10.0.0.1", PROTO_EXP, 4));
	assert_int_equal(drain(so), 1);
	/* Reconnected: (.1, .8). */
	assert_int_equal(sock_connect(so, (struct sockaddr *)&c8, 0), 0);
	inject("vx0", pkt, pkt4(pkt, "10.0.0.9", "10.0.0.1", PROTO_EXP, 4));
	inject("vx0", pkt, pkt4(pkt, "10.0.0.8", "10.0.0.1", PROTO_EXP, 4));
	assert_int_equal(drain(so), 1);
	for (int i = 0; i < 300; i++) {
		assert_int_equal(drain(others[i]), 0);
		sock_close(others[i]);
	}
	assert_int_equal(xk_test_ipstat().ips_delivered, 2);
	assert_int_equal(xk_test_ipstat().ips_noproto, 3);
	sock_close(so);
}

static void
test_full_buffer_drops_are_counted(void **state)
{
	uint8_t pkt[1500];
	size_t len = pkt4(pkt, "10.0.0.9", "10.0.0.1", PROTO_EXP, 1400);
	socket_t so;

	(void)state;
	so = raw(PROTO_EXP);
	/* 8192 bytes of buffer hold five 1436-byte records, not ten. */
	for (int i = 0; i < 10; i++) {
		inject("vx0", pkt, len);
	}
	assert_int_equal(drain(so), 5);
	assert_int_equal(xk_test_ipstat().ips_rawfull, 5);
	sock_close(so);
}

static void
test_read_upcall_fires_on_input(void **state)
{
	struct xk_test_upcall up = { 0 };
	uint8_t pkt[64];
	socket_t so = NULL;

	(void)state;
	assert_int_equal(sock_socket(PF_INET, SOCK_RAW, PROTO_EXP,
	    xk_test_upcall_cb, &up, &so), 0);
	inject("vx0", pkt, pkt4(pkt, "10.0.0.9", "10.0.0.1", PROTO_EXP, 4));
	xk_test_await(&up.calls, 1, "read upcall");
	assert_int_equal(drain(so), 1);
	sock_close(so);
}

static void
test_linked_interfaces_carry_packets(void **state)
{
	struct sockaddr_in dst = sin4("10.0.1.1");
	uint8_t payload[16] = { 0 };
	struct xk_test_upcall up = { 0 };
	socket_t tx, rx = NULL;
	struct in_addr a;

	(void)state;
	/* vx2 10.0.1.2/24 on the wire with vx1. */
	assert_int_equal(xkpi_mem_vif_create("vx2", 1500, NULL), 0);
	a = xk_test_a4("10.0.1.2");
	assert_int_equal(xkpi_mem_vif_addaddr("vx2", AF_INET, &a, 24), 0);
	assert_int_equal(xkpi_mem_link("vx1", "vx2"), 0);
	assert_int_equal(sock_socket(PF_INET, SOCK_RAW, PROTO_EXP,
	    xk_test_upcall_cb, &up, &rx), 0);
	tx = raw(PROTO_EXP);
	/* 10.0.1.1 routes out of vx1 (longest prefix ties: first), the
	 * wire hands it to vx2, whose host has 10.0.1.1? no: 10.0.1.2. */
	dst = sin4("10.0.1.2");
	send_bytes(tx, &dst, payload, sizeof(payload), 0);
	xk_test_await(&up.calls, 1, "read upcall over the link");
	assert_int_equal(drain(rx), 1);
	sock_close(tx);
	sock_close(rx);
}

static void
test_receive_control_messages(void **state)
{
	uint8_t pkt[64], got[64], ctl[256];
	struct msghdr msg = { 0 };
	struct iovec iov = { got, sizeof(got) };
	int on = 1, v = 0, vl = sizeof(v), seen = 0;
	struct cmsghdr *cm;
	struct timeval before;
	size_t n = 0;
	socket_t so;

	(void)state;
	gettimeofday(&before, NULL);
	so = raw(PROTO_EXP);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_RECVDSTADDR, &on,
	    sizeof(on)), 0);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_RECVTTL, &on,
	    sizeof(on)), 0);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_PKTINFO, &on,
	    sizeof(on)), 0);
	assert_int_equal(sock_setsockopt(so, SOL_SOCKET, SO_TIMESTAMP, &on,
	    sizeof(on)), 0);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_RECVIF, &on,
	    sizeof(on)), 0);
	assert_int_equal(sock_getsockopt(so, IPPROTO_IP, IP_RECVIF, &v, &vl),
	    0);
	assert_int_equal(v, 1);
	assert_int_equal(sock_getsockopt(so, IPPROTO_IP, IP_RECVTTL, &v, &vl),
	    0);
	assert_int_equal(v, 1);
	assert_int_equal(sock_getsockopt(so, SOL_SOCKET, SO_TIMESTAMP, &v,
	    &vl), 0);
	assert_int_equal(v, 0x400);	/* XNU's so_options bit */
	inject("vx0", pkt, pkt4(pkt, "10.0.0.9", "10.0.0.4", PROTO_EXP, 8));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl;
	msg.msg_controllen = sizeof(ctl);
	assert_int_equal(sock_receive(so, &msg, MSG_DONTWAIT, &n), 0);
	assert_int_equal(n, 28);
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_RECVDSTADDR) {
			struct in_addr d;

			memcpy(&d, CMSG_DATA(cm), sizeof(d));
			assert_int_equal(d.s_addr,
			    xk_test_a4("10.0.0.4").s_addr);
			seen |= 1;
		} else if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_RECVTTL) {
			assert_int_equal(cm->cmsg_len, CMSG_LEN(1));
			assert_int_equal(*CMSG_DATA(cm), 9);
			seen |= 2;
		} else if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			assert_int_equal(pi.ipi_ifindex, vx0_index);
			assert_int_equal(pi.ipi_addr.s_addr,
			    xk_test_a4("10.0.0.4").s_addr);
			seen |= 4;
		} else if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_TIMESTAMP) {
			struct timeval tv;

			memcpy(&tv, CMSG_DATA(cm), sizeof(tv));
			/* The backend's time of arrival: a moment ago. */
			assert_true(tv.tv_sec > 0);
			assert_true(tv.tv_sec >= before.tv_sec - 1 &&
			    tv.tv_sec <= before.tv_sec + 60);
			seen |= 8;
		} else if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_RECVIF) {
			struct sockaddr_dl sdl;

			/* Index, type and name "vx0"; mem has no link address. */
			assert_true(cm->cmsg_len >= CMSG_LEN(sizeof(sdl)));
			memcpy(&sdl, CMSG_DATA(cm), sizeof(sdl));
			assert_int_equal(sdl.sdl_family, AF_LINK);
			assert_int_equal(sdl.sdl_len, sizeof(sdl));
			assert_int_equal(sdl.sdl_index, vx0_index);
			assert_int_equal(sdl.sdl_type, IFT_OTHER);
			assert_int_equal(sdl.sdl_nlen, 3);
			assert_int_equal(sdl.sdl_alen, 0);
			assert_memory_equal(sdl.sdl_data, "vx0", 3);
			seen |= 16;
		}
	}
	assert_int_equal(seen, 31);
	/* Too small a buffer: cut, and MSG_CTRUNC says so. */
	inject("vx0", pkt, pkt4(pkt, "10.0.0.9", "10.0.0.4", PROTO_EXP, 8));
	msg.msg_controllen = 20;
	msg.msg_flags = 0;
	assert_int_equal(sock_receive(so, &msg, MSG_DONTWAIT, &n), 0);
	assert_int_equal(msg.msg_flags & MSG_CTRUNC, MSG_CTRUNC);
	assert_int_equal(msg.msg_controllen, 20);
	sock_close(so);
}

/*
 * IP_RECVIF on an interface whose name (15 characters) runs past
 * sdl_data's 12 bytes: all of it arrives, sdl_len counting it.  clang's
 * UBSan flagged the copy that indexed sdl_data past its end (fuzz_input
 * found it; gcc's does not see it).
 */
static void
test_recvif_long_interface_name(void **state)
{
	static const char name[] = "vxlongname01234";
	uint8_t pkt[64], got[64], ctl[256];
	struct msghdr msg = { 0 };
	struct iovec iov = { got, sizeof(got) };
	struct in_addr a = xk_test_a4("10.0.7.1");
	struct sockaddr_dl *sdl;
	struct cmsghdr *cm;
	int on = 1;
	size_t n = 0;
	socket_t so;

	(void)state;
	assert_int_equal(strlen(name), IF_NAMESIZE - 1);
	assert_int_equal(xkpi_mem_vif_create(name, 1500, NULL), 0);
	assert_int_equal(xkpi_mem_vif_addaddr(name, AF_INET, &a, 24), 0);
	so = raw(PROTO_EXP);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_RECVIF, &on,
	    sizeof(on)), 0);
	inject(name, pkt, pkt4(pkt, "10.0.7.9", "10.0.7.1", PROTO_EXP, 8));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl;
	msg.msg_controllen = sizeof(ctl);
	assert_int_equal(sock_receive(so, &msg, MSG_DONTWAIT, &n), 0);
	cm = CMSG_FIRSTHDR(&msg);
	assert_non_null(cm);
	assert_int_equal(cm->cmsg_type, IP_RECVIF);
	sdl = (struct sockaddr_dl *)CMSG_DATA(cm);
	assert_int_equal(sdl->sdl_nlen, IF_NAMESIZE - 1);
	assert_int_equal(sdl->sdl_len,
	    offsetof(struct sockaddr_dl, sdl_data) + IF_NAMESIZE - 1);
	assert_true(cm->cmsg_len >= CMSG_LEN(sdl->sdl_len));
	assert_memory_equal((uint8_t *)sdl +
	    offsetof(struct sockaddr_dl, sdl_data), name, IF_NAMESIZE - 1);
	sock_close(so);
}

/*
 * A control message cut by a short buffer says how much of it is there,
 * as Linux's recvmsg does: a caller that reads cmsg_len bytes stays in
 * its buffer.  (XNU leaves the cut message's cmsg_len whole.)  The fuzz
 * harness fuzz_input found this.
 */
static void
test_cut_control_message_fits_the_buffer(void **state)
{
	uint8_t pkt[64], got[64], ctl[64];
	struct msghdr msg = { 0 };
	struct iovec iov = { got, sizeof(got) };
	int on = 1;
	struct cmsghdr *cm;
	size_t n = 0;
	socket_t so;

	(void)state;
	so = raw(PROTO_EXP);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_RECVDSTADDR, &on,
	    sizeof(on)), 0);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_RECVTTL, &on,
	    sizeof(on)), 0);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl;
	/* Room for the first message's header only, then for 1.5 messages. */
	for (size_t cap = CMSG_LEN(0); cap <= CMSG_SPACE(4) + CMSG_LEN(0);
	    cap += CMSG_SPACE(4)) {
		inject("vx0", pkt, pkt4(pkt, "10.0.0.9", "10.0.0.4",
		    PROTO_EXP, 8));
		memset(ctl, 0xee, sizeof(ctl));
		msg.msg_controllen = cap;
		msg.msg_flags = 0;
		assert_int_equal(sock_receive(so, &msg, MSG_DONTWAIT, &n), 0);
		assert_int_equal(msg.msg_flags & MSG_CTRUNC, MSG_CTRUNC);
		assert_int_equal(msg.msg_controllen, cap);
		for (cm = CMSG_FIRSTHDR(&msg); cm != NULL;
		    cm = CMSG_NXTHDR(&msg, cm)) {
			size_t at = (size_t)((uint8_t *)cm - ctl);

			assert_true(cm->cmsg_len >= CMSG_LEN(0));
			assert_true(at + cm->cmsg_len <= msg.msg_controllen);
		}
	}
	/* Not even a header fits: nothing is written. */
	inject("vx0", pkt, pkt4(pkt, "10.0.0.9", "10.0.0.4", PROTO_EXP, 8));
	msg.msg_controllen = CMSG_LEN(0) - 1;
	msg.msg_flags = 0;
	assert_int_equal(sock_receive(so, &msg, MSG_DONTWAIT, &n), 0);
	assert_int_equal(msg.msg_flags & MSG_CTRUNC, MSG_CTRUNC);
	assert_int_equal(msg.msg_controllen, 0);
	assert_null(CMSG_FIRSTHDR(&msg));
	sock_close(so);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_attach_needs_privilege),
		T(test_socket_protocol_rules),
		T(test_demux_matrix),
		T(test_no_match_counts_noproto),
		T(test_tcp_udp_never_reach_raw_sockets),
		T(test_not_for_us_is_dropped),
		T(test_malformed_input_is_counted),
		T(test_receive_bsd_header_form_and_source),
		T(test_striphdr),
		T(test_options_level_and_values),
		T(test_output_builds_the_header),
		T(test_dontfrag),
		T(test_ip_options),
		T(test_output_one_mbuf),
		T(test_output_hdrincl),
		T(test_send_errors),
		T(test_bind_connect_errors),
		T(test_reconnect_repoints_the_peer),
		T(test_demux_index_follows_bind_and_connect),
		T(test_full_buffer_drops_are_counted),
		T(test_read_upcall_fires_on_input),
		T(test_linked_interfaces_carry_packets),
		T(test_receive_control_messages),
		T(test_cut_control_message_fits_the_buffer),
		T(test_recvif_long_interface_name),
	};

	return cmocka_run_group_tests_name("raw_ip", tests, NULL,
	    xk_test_sock_group_teardown);
}
