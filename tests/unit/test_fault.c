/*
 * Allocation failures on the paths fault injection (make check-fault)
 * found ending in a crash: each must end in an errno or a counted drop,
 * with nothing left alive.  This program is linked with
 * tests/fault/fault.c and the wrappers (Makefile.in), which fail the
 * calls a test names with xk_fault_next().
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
#include <xkpi_mem.h>

#include "core/ip_var.h"
#include "core/socket_var.h"
#include "tests/fault/fault.h"
#include "tests/lib/xk_test.h"

#define PROTO_EXP	253	/* RFC 3692 experimentation */
#define TRY		"g_try_malloc"	/* every g_try_new*, g_try_malloc* */

/* vx0: 10.0.0.1/24. */
static int
setup(void **state)
{
	struct in_addr a = xk_test_a4("10.0.0.1");

	xk_test_sock_setup(state);
	xkpi_mem_reset();
	assert_int_equal(xkpi_mem_vif_create("vx0", 1500, NULL), 0);
	assert_int_equal(xkpi_mem_vif_addaddr("vx0", AF_INET, &a, 24), 0);
	xk_ipstat_reset();
	return 0;
}

static int
teardown(void **state)
{
	xk_fault_next(NULL, 0, 0);
	xkpi_mem_reset();
	return xk_test_sock_teardown(state);
}

/* The socket itself: ENOMEM, no socket made. */
static void
test_socket_nomem(void **state)
{
	socket_t so = NULL;

	(void)state;
	xk_fault_next(TRY, 0, 1);
	assert_int_equal(sock_socket(PF_INET, SOCK_DGRAM, IPPROTO_UDP, NULL,
	    NULL, &so), ENOMEM);
	assert_null(so);
	assert_int_equal(xk_fault_pending(), 0);
	assert_int_equal(xk_so_count(), 0);
	assert_int_equal(sock_socket(PF_INET, SOCK_DGRAM, IPPROTO_UDP, NULL,
	    NULL, &so), 0);
	sock_close(so);
}

/* A raw socket's PCB, then its demux chain: ENOMEM, nothing left. */
static void
test_raw_attach_nomem(void **state)
{
	socket_t so = NULL;

	(void)state;
	for (unsigned int skip = 1; skip <= 2; skip++) {
		xk_fault_next(TRY, skip, 1);
		assert_int_equal(sock_socket(PF_INET, SOCK_RAW, PROTO_EXP,
		    NULL, NULL, &so), ENOMEM);
		assert_int_equal(xk_fault_pending(), 0);
		assert_int_equal(xk_so_count(), 0);
	}
}

/* bind and connect that cannot file the PCB anew change nothing. */
static void
test_raw_rekey_nomem(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in got;
	socket_t so = NULL;

	(void)state;
	assert_int_equal(sock_socket(PF_INET, SOCK_RAW, PROTO_EXP, NULL,
	    NULL, &so), 0);
	sin.sin_addr = xk_test_a4("10.0.0.1");
	xk_fault_next(TRY, 0, 1);
	assert_int_equal(sock_bind(so, (struct sockaddr *)&sin), ENOMEM);
	assert_int_equal(xk_fault_pending(), 0);
	assert_int_equal(sock_getsockname(so, (struct sockaddr *)&got,
	    sizeof(got)), 0);
	assert_int_equal(got.sin_addr.s_addr, INADDR_ANY);
	sin.sin_addr = xk_test_a4("10.0.0.9");
	xk_fault_next(TRY, 0, 1);
	assert_int_equal(sock_connect(so, (struct sockaddr *)&sin, 0),
	    ENOMEM);
	assert_int_equal(xk_fault_pending(), 0);
	assert_int_equal(sock_isconnected(so), 0);
	/* And with memory, both work. */
	sin.sin_addr = xk_test_a4("10.0.0.1");
	assert_int_equal(sock_bind(so, (struct sockaddr *)&sin), 0);
	sin.sin_addr = xk_test_a4("10.0.0.9");
	assert_int_equal(sock_connect(so, (struct sockaddr *)&sin, 0), 0);
	assert_int_equal(sock_isconnected(so), 1);
	sock_close(so);
}

/* An IPv4 fragment of protocol PROTO_EXP: @len bytes at @off, MF. */
static size_t
frag4(uint8_t *buf, uint16_t id, size_t off, size_t len)
{
	struct ip *ip = (struct ip *)(void *)buf;

	memset(buf, 0, sizeof(*ip) + len);
	ip->ip_v = 4;
	ip->ip_hl = 5;
	ip->ip_len = htons((uint16_t)(sizeof(*ip) + len));
	ip->ip_id = htons(id);
	ip->ip_off = htons((uint16_t)(IP_MF | off / 8));
	ip->ip_ttl = 9;
	ip->ip_p = PROTO_EXP;
	ip->ip_src = xk_test_a4("10.0.0.2");
	ip->ip_dst = xk_test_a4("10.0.0.1");
	ip->ip_sum = xk_in_cksum_buf(ip, sizeof(*ip));
	return sizeof(*ip) + len;
}

static bool
frag_dropped(void *arg)
{
	return xk_test_ipstat().ips_fragdropped >= *(uint64_t *)arg;
}

/*
 * Reassembly without memory for the queue, then for the first
 * fragment's header: the fragment is dropped and counted, no queue is
 * left.  The first allocation, skipped, is the mem backend's receive
 * entry for the first packet (setup's reset left it none to reuse); the
 * second packet reuses it, and the queue's, skipped, comes first.
 */
static void
test_frag_queue_nomem(void **state)
{
	uint8_t pkt[64];
	uint64_t want = 0;

	(void)state;
	for (uint16_t id = 1; id <= 2; id++) {
		xk_fault_next(TRY, 1, 1);
		assert_int_equal(xkpi_mem_inject("vx0", pkt,
		    frag4(pkt, id, 0, 16)), 0);
		want++;
		xk_test_await_until(frag_dropped, &want, "ip.frag.dropped");
		assert_int_equal(xk_fault_pending(), 0);
		assert_int_equal(xk_ip_frag_queues(), 0);
	}
	assert_int_equal(xk_test_stat("ip.frag.dropped"), 2);
}

/* The mem backend's receive queue without memory: refused, counted. */
static void
test_mem_inject_nomem(void **state)
{
	uint8_t pkt[64];

	(void)state;
	xk_fault_next(TRY, 0, 1);
	assert_int_equal(xkpi_mem_inject("vx0", pkt, frag4(pkt, 9, 0, 16)),
	    ENOBUFS);
	assert_int_equal(xk_fault_pending(), 0);
	assert_int_equal(xk_test_stat("be.mem.rxq_nomem"), 1);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_socket_nomem),
		T(test_raw_attach_nomem),
		T(test_raw_rekey_nomem),
		T(test_frag_queue_nomem),
		T(test_mem_inject_nomem),
	};

	return cmocka_run_group_tests_name("fault", tests, NULL,
	    xk_test_sock_group_teardown);
}
