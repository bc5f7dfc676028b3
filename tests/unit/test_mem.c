/*
 * The mem backend's control calls (xkpi_mem.h) and the library's own
 * calls (xkpi.h) with NULL arguments; capture keeping the newest packets;
 * the receive queue refusing, never dropping unseen, when full (ENOBUFS
 * to xkpi_mem_inject() and to a sender over a link); every such packet in
 * a be.mem.* counter of xkpi_stats().
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
#include <string.h>

#include <sys/kpi_socket.h>
#include <xkpi.h>
#include <xkpi_mem.h>

#include "backends/backend.h"
#include "core/ip_var.h"
#include "core/mbuf_var.h"
#include "tests/lib/xk_test.h"

#define PROTO_EXP	253	/* RFC 3692 experimentation */
#define RXQ_TEST	200	/* the receive queue's bound in these tests */
#define CAPQ_TEST	50	/* the capture bound in these tests */

/*
 * ma0 10.7.0.1/24 alone; mb0 10.7.1.1/24 and mb1 10.7.1.2/24 linked (the
 * route to 10.7.1.2 leaves by mb0, the first of equal prefixes).
 */
static int
setup(void **state)
{
	struct in_addr a;

	xk_test_sock_setup(state);
	xkpi_mem_reset();
	assert_int_equal(xkpi_mem_vif_create("ma0", 1500, NULL), 0);
	assert_int_equal(xkpi_mem_vif_create("mb0", 1500, NULL), 0);
	assert_int_equal(xkpi_mem_vif_create("mb1", 1500, NULL), 0);
	a = xk_test_a4("10.7.0.1");
	assert_int_equal(xkpi_mem_vif_addaddr("ma0", AF_INET, &a, 24), 0);
	a = xk_test_a4("10.7.1.1");
	assert_int_equal(xkpi_mem_vif_addaddr("mb0", AF_INET, &a, 24), 0);
	a = xk_test_a4("10.7.1.2");
	assert_int_equal(xkpi_mem_vif_addaddr("mb1", AF_INET, &a, 24), 0);
	assert_int_equal(xkpi_mem_link("mb0", "mb1"), 0);
	xk_mem_set_limits(RXQ_TEST, CAPQ_TEST);
	return 0;
}

static int
teardown(void **state)
{
	xk_mem_set_limits(0, 0);
	xkpi_mem_reset();
	return xk_test_sock_teardown(state);
}

/*
 * The loop thread held in an upcall, so that nothing leaves the mem
 * receive queue until gate_open().
 */
struct gate {
	socket_t	so;
	atomic_int	entered;
	atomic_int	open;
	atomic_int	left;
};

static void
gate_upcall(socket_t so, void *cookie, int waitf)
{
	struct gate *g = cookie;

	(void)so;
	xk_test_upcall_check(waitf);
	if (atomic_fetch_add(&g->entered, 1) != 0) {
		return;
	}
	/* A liveness bound only: the test opens the gate long before. */
	for (int i = 0; i < 10000 && atomic_load(&g->open) == 0; i++) {
		xk_test_sleep_ms(1);
	}
	atomic_store(&g->left, 1);
}

static void
gate_close(struct gate *g)
{
	struct sockaddr_storage a;

	memset(g, 0, sizeof(*g));
	g->so = xk_test_udp(AF_INET, gate_upcall, g, &a);
	xk_test_send_ok(g->so, &a, 1, 0);
	xk_test_await(&g->entered, 1, "the gate upcall");
}

static void
gate_open(struct gate *g)
{
	atomic_store(&g->open, 1);
	xk_test_await(&g->left, 1, "the gate upcall's return");
	sock_close(g->so);
}

/* Waits (a liveness bound) until ip.in reaches @want. */
static void
await_ip_in(uint64_t want)
{
	int64_t end = xk_test_now_us() + (int64_t)XK_TEST_WAIT_MS * 1000;

	while (xk_test_ipstat().ips_total < want && xk_test_now_us() < end) {
		xk_test_sleep_ms(1);
	}
	assert_int_equal(xk_test_ipstat().ips_total, want);
}

/* An IPv4 packet of protocol 253 from @src to @dst, 4 bytes of @seq. */
static size_t
pkt4(uint8_t *buf, const char *src, const char *dst, uint32_t seq)
{
	struct ip *ip = (struct ip *)buf;

	memset(ip, 0, sizeof(*ip));
	ip->ip_v = 4;
	ip->ip_hl = 5;
	ip->ip_len = htons(sizeof(*ip) + 4);
	ip->ip_ttl = 9;
	ip->ip_p = PROTO_EXP;
	ip->ip_src = xk_test_a4(src);
	ip->ip_dst = xk_test_a4(dst);
	ip->ip_sum = xk_in_cksum_buf(ip, sizeof(*ip));
	memcpy(buf + sizeof(*ip), &seq, 4);
	return sizeof(*ip) + 4;
}

/* Sends 4 bytes of @seq from @so to @dst; returns sock_send's errno. */
static errno_t
send_seq(socket_t so, const char *dst, uint32_t seq)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct iovec iov = { &seq, sizeof(seq) };
	struct msghdr msg = { 0 };
	size_t sent = 0;
	errno_t error;

	to.sin_addr = xk_test_a4(dst);
	msg.msg_name = &to;
	msg.msg_namelen = sizeof(to);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	error = sock_send(so, &msg, 0, &sent);
	assert_int_equal(sent, error == 0 ? sizeof(seq) : 0);
	return error;
}

/* The sequence number of the next captured packet of @ifname. */
static uint32_t
capture_seq(const char *ifname)
{
	uint8_t buf[64];
	size_t len = 0;
	uint32_t seq;

	assert_int_equal(xkpi_mem_capture(ifname, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, sizeof(struct ip) + 4);
	memcpy(&seq, buf + sizeof(struct ip), 4);
	return seq;
}

static socket_t
raw(int proto)
{
	socket_t so = NULL;

	assert_int_equal(sock_socket(PF_INET, SOCK_RAW, proto, NULL, NULL,
	    &so), 0);
	return so;
}

/* Item 5 of issue 14: NULL names, addresses and lengths are EINVAL. */
static void
test_null_arguments_einval(void **state)
{
	struct in_addr a = xk_test_a4("10.7.0.5");
	uint8_t buf[64], pkt[64];
	size_t len = 0, plen;
	socket_t so;

	(void)state;
	plen = pkt4(pkt, "10.7.0.9", "10.7.0.1", 1);
	assert_int_equal(xkpi_mem_vif_create(NULL, 1500, NULL), EINVAL);
	assert_int_equal(xkpi_mem_vif_create("", 1500, NULL), EINVAL);
	assert_int_equal(xkpi_mem_vif_addaddr(NULL, AF_INET, &a, 24), EINVAL);
	assert_int_equal(xkpi_mem_vif_addaddr("ma0", AF_INET, NULL, 24),
	    EINVAL);
	assert_int_equal(xkpi_mem_vif_addaddr("ma0", AF_INET6, NULL, 64),
	    EINVAL);
	assert_int_equal(xkpi_mem_link(NULL, "ma0"), EINVAL);
	assert_int_equal(xkpi_mem_link("ma0", NULL), EINVAL);
	assert_int_equal(xkpi_mem_link(NULL, NULL), EINVAL);
	assert_int_equal(xkpi_mem_inject(NULL, pkt, plen), EINVAL);
	assert_int_equal(xkpi_mem_inject("ma0", NULL, plen), EINVAL);
	assert_int_equal(xkpi_mem_capture(NULL, buf, sizeof(buf), &len),
	    EINVAL);
	assert_int_equal(xkpi_mem_capture("ma0", buf, sizeof(buf), NULL),
	    EINVAL);
	assert_int_equal(xkpi_mem_capture("ma0", NULL, sizeof(buf), &len),
	    EINVAL);
	assert_int_equal(xkpi_if_attach(NULL), EINVAL);
	assert_int_equal(xkpi_stats(NULL, NULL), EINVAL);
	assert_int_equal(xkpi_pcblist(NULL, NULL), EINVAL);
	assert_int_equal(xkpi_init_with_base(NULL, NULL), EINVAL);
	/* NULL hooks restore the defaults; NULL configs mean defaults. */
	xkpi_set_log_hook(NULL, NULL);
	xkpi_set_panic_hook(NULL, NULL);
	xk_test_panic_catch();
	assert_int_equal(xkpi_init(NULL), 0);

	/* Nothing was changed by the refused calls. */
	assert_int_equal(xk_test_stat("if.ma0.ipackets"), 0);
	assert_int_equal(xkpi_mem_capture("ma0", buf, sizeof(buf), &len),
	    ENOENT);

	/* A NULL buffer of size 0 consumes a capture: EMSGSIZE, length. */
	so = raw(PROTO_EXP);
	assert_int_equal(send_seq(so, "10.7.0.9", 7), 0);
	len = 0;
	assert_int_equal(xkpi_mem_capture("ma0", NULL, 0, &len), EMSGSIZE);
	assert_int_equal(len, sizeof(struct ip) + 4);
	assert_int_equal(xkpi_mem_capture("ma0", buf, sizeof(buf), &len),
	    ENOENT);
	sock_close(so);
}

/*
 * Item 8: capture keeps the newest packets, as the header says; the
 * oldest ones make room and are counted.
 */
static void
test_capture_keeps_newest(void **state)
{
	uint64_t over0 = xk_test_stat("be.mem.capture_overwritten");
	uint8_t buf[64];
	size_t len;
	socket_t so;

	(void)state;
	so = raw(PROTO_EXP);
	for (uint32_t i = 0; i < CAPQ_TEST + 17; i++) {
		assert_int_equal(send_seq(so, "10.7.0.9", i), 0);
	}
	assert_int_equal(xk_test_stat("be.mem.capture_overwritten") - over0,
	    17);
	assert_int_equal(xk_test_stat("if.ma0.opackets"), CAPQ_TEST + 17);
	for (uint32_t i = 17; i < CAPQ_TEST + 17; i++) {
		assert_int_equal(capture_seq("ma0"), i);
	}
	assert_int_equal(xkpi_mem_capture("ma0", buf, sizeof(buf), &len),
	    ENOENT);
	sock_close(so);
}

/* The default bounds are the documented ones: 4096 captured packets. */
static void
test_capture_default_bound_4096(void **state)
{
	uint64_t over0;
	socket_t so;

	(void)state;
	xk_mem_set_limits(0, 0);
	over0 = xk_test_stat("be.mem.capture_overwritten");
	so = raw(PROTO_EXP);
	for (uint32_t i = 0; i < 4096 + 3; i++) {
		assert_int_equal(send_seq(so, "10.7.0.9", i), 0);
	}
	assert_int_equal(xk_test_stat("be.mem.capture_overwritten") - over0, 3);
	assert_int_equal(capture_seq("ma0"), 3);
	xkpi_mem_reset();
	sock_close(so);
}

/*
 * Item 8: a full receive queue refuses injected packets with ENOBUFS,
 * each counted in be.mem.rxq_full; what was accepted all arrives.
 */
static void
test_inject_rxq_full_enobufs(void **state)
{
	uint64_t full0 = xk_test_stat("be.mem.rxq_full");
	uint64_t in0 = xk_test_ipstat().ips_total;
	uint8_t pkt[64];
	struct gate g;
	size_t plen;
	int ok = 0, refused = 0;

	(void)state;
	plen = pkt4(pkt, "10.7.0.9", "10.7.0.1", 1);
	gate_close(&g);
	for (int i = 0; i < RXQ_TEST + 30; i++) {
		errno_t e = xkpi_mem_inject("ma0", pkt, plen);

		assert_true(e == 0 || e == ENOBUFS);
		if (e == 0) {
			ok++;
		} else {
			refused++;
		}
	}
	assert_int_equal(ok, RXQ_TEST);
	assert_int_equal(refused, 30);
	assert_int_equal(xk_test_stat("be.mem.rxq_full") - full0, 30);
	gate_open(&g);
	await_ip_in(in0 + RXQ_TEST);
	/* Room again. */
	assert_int_equal(xkpi_mem_inject("ma0", pkt, plen), 0);
	await_ip_in(in0 + RXQ_TEST + 1);
	assert_int_equal(xk_test_stat("be.mem.rxq_full") - full0, 30);
}

/*
 * Item 8, as measured: packets sent over a link while the loop thread
 * was busy vanished with every sock_send returning 0.  Now the send
 * past the queue's room fails with ENOBUFS and is counted (ip.oerrors,
 * if.mb0.oerrors, be.mem.rxq_full); every send that returned 0 arrives.
 */
static void
test_link_backpressure(void **state)
{
	uint64_t full0 = xk_test_stat("be.mem.rxq_full");
	uint64_t in0 = xk_test_ipstat().ips_total;
	uint64_t oerr0 = xk_test_stat("ip.oerrors");
	uint64_t out0 = xk_test_stat("ip.out");
	int ok = 0, refused = 0, got = 0, rcvbuf = 1 << 16;
	struct gate g;
	socket_t tx, rx;

	(void)state;
	tx = raw(PROTO_EXP);
	rx = raw(PROTO_EXP);
	assert_int_equal(sock_setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
	    sizeof(rcvbuf)), 0);
	gate_close(&g);
	for (uint32_t i = 0; i < RXQ_TEST + 40; i++) {
		errno_t e = send_seq(tx, "10.7.1.2", i);

		assert_true(e == 0 || e == ENOBUFS);
		if (e == 0) {
			ok++;
		} else {
			refused++;
		}
	}
	assert_int_equal(ok, RXQ_TEST);
	assert_int_equal(refused, 40);
	assert_int_equal(xk_test_stat("be.mem.rxq_full") - full0, 40);
	assert_int_equal(xk_test_stat("ip.oerrors") - oerr0, 40);
	assert_int_equal(xk_test_stat("if.mb0.oerrors"), 40);
	assert_int_equal(xk_test_stat("if.mb0.opackets"), RXQ_TEST);
	assert_int_equal(xk_test_stat("ip.out") - out0, RXQ_TEST);
	gate_open(&g);
	await_ip_in(in0 + RXQ_TEST);
	assert_int_equal(xk_test_stat("if.mb1.ipackets"), RXQ_TEST);
	/* The first RXQ_TEST sequence numbers, in order. */
	for (;;) {
		size_t n = 1 << 16;
		uint32_t seq;
		mbuf_t m;

		if (sock_receivembuf(rx, NULL, &m, MSG_DONTWAIT, &n) != 0) {
			break;
		}
		assert_int_equal(mbuf_copydata(m, n - 4, 4, &seq), 0);
		assert_int_equal(seq, (uint32_t)got);
		mbuf_freem(m);
		got++;
	}
	assert_int_equal(got, RXQ_TEST);
	sock_close(tx);
	sock_close(rx);
}

/* Packets still queued when xkpi_mem_reset() comes are counted. */
static void
test_reset_counts_flushed(void **state)
{
	uint64_t fl0 = xk_test_stat("be.mem.rxq_flushed");
	uint64_t in0 = xk_test_ipstat().ips_total;
	uint8_t pkt[64];
	struct gate g;
	size_t plen;

	(void)state;
	plen = pkt4(pkt, "10.7.0.9", "10.7.0.1", 1);
	gate_close(&g);
	for (int i = 0; i < 12; i++) {
		assert_int_equal(xkpi_mem_inject("ma0", pkt, plen), 0);
	}
	xkpi_mem_reset();
	assert_int_equal(xk_test_stat("be.mem.rxq_flushed") - fl0, 12);
	gate_open(&g);
	xk_test_loop_barrier();
	assert_int_equal(xk_test_ipstat().ips_total, in0);
}

/*
 * A capture copy that cannot be made (no mbuf) is counted; the packet
 * itself still crosses the link.
 */
static void
test_capture_nomem_counted(void **state)
{
	uint64_t nm0 = xk_test_stat("be.mem.capture_nomem");
	uint64_t in0 = xk_test_ipstat().ips_total;
	unsigned int crossed = 0;
	socket_t tx;
	bool seen = false;

	(void)state;
	tx = raw(PROTO_EXP);
	/* Fail one allocation further along each time: one is the copy's. */
	for (unsigned int skip = 0; skip < 32 && !seen; skip++) {
		errno_t e;

		xk_mb_inject_failures(skip, 1);
		e = send_seq(tx, "10.7.1.2", skip);
		xk_mb_inject_failures(0, 0);
		crossed += e == 0;
		seen = xk_test_stat("be.mem.capture_nomem") > nm0;
	}
	assert_true(seen);
	assert_int_equal(xk_test_stat("be.mem.capture_nomem") - nm0, 1);
	/* Every send that succeeded crossed, the uncaptured one too. */
	await_ip_in(in0 + crossed);
	sock_close(tx);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_null_arguments_einval),
		T(test_capture_keeps_newest),
		T(test_capture_default_bound_4096),
		T(test_inject_rxq_full_enobufs),
		T(test_link_backpressure),
		T(test_reset_counts_flushed),
		T(test_capture_nomem_counted),
	};

	return cmocka_run_group_tests_name("mem", tests, NULL,
	    xk_test_sock_group_teardown);
}
