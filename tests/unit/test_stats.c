/*
 * xkpi_stats and xkpi_pcblist: counters by name after known traffic,
 * every socket with its addresses and queues, callbacks free to call
 * the KPI.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <sys/kpi_socket.h>
#include <xkpi.h>

#include <xkpi_mem.h>
#include "core/ip_var.h"
#include "tests/lib/xk_test.h"

static int
setup(void **state)
{
	struct in_addr a;

	xk_test_sock_setup(state);
	xkpi_mem_reset();
	xk_ipstat_reset();
	assert_int_equal(xkpi_mem_vif_create("st0", 1500, NULL), 0);
	inet_pton(AF_INET, "10.9.0.1", &a);
	assert_int_equal(xkpi_mem_vif_addaddr("st0", AF_INET, &a, 24), 0);
	return 0;
}

static int
teardown(void **state)
{
	xkpi_mem_reset();
	return xk_test_sock_teardown(state);
}

static void
inject_wait(const uint8_t *pkt, size_t len, uint64_t want_in)
{
	int64_t end = xk_test_now_us() + (int64_t)XK_TEST_WAIT_MS * 1000;

	assert_int_equal(xkpi_mem_inject("st0", pkt, len), 0);
	while (xk_test_stat("ip.in") < want_in && xk_test_now_us() < end) {
		xk_test_sleep_ms(1);
	}
	assert_int_equal(xk_test_stat("ip.in"), want_in);
}

static void
test_stats_null_fn_is_einval(void **state)
{
	(void)state;
	assert_int_equal(xkpi_stats(NULL, NULL), EINVAL);
	assert_int_equal(xkpi_pcblist(NULL, NULL), EINVAL);
}

static void
test_stats_count_input_by_reason(void **state)
{
	uint8_t pkt[40] = { 0 };
	struct ip *ip = (struct ip *)pkt;
	socket_t so = NULL;

	(void)state;
	assert_int_equal(sock_socket(PF_INET, SOCK_RAW, 253, NULL, NULL, &so),
	    0);
	ip->ip_v = 4;
	ip->ip_hl = 5;
	ip->ip_len = htons(28);
	ip->ip_ttl = 1;
	ip->ip_p = 253;
	inet_pton(AF_INET, "10.9.0.7", &ip->ip_src);
	inet_pton(AF_INET, "10.9.0.1", &ip->ip_dst);
	ip->ip_sum = xk_in_cksum_buf(ip, 20);
	inject_wait(pkt, 28, 1);
	ip->ip_sum ^= 1;
	inject_wait(pkt, 28, 2);
	assert_int_equal(xk_test_stat("ip.delivered"), 1);
	assert_int_equal(xk_test_stat("ip.drop.badsum"), 1);
	assert_int_equal(xk_test_stat("if.st0.ipackets"), 1);
	assert_int_equal(xk_test_stat("ip.drop.tooshort"), 0);
	sock_close(so);
}

struct pcbs {
	int		n, udp, raw;
	uint16_t	udp_port;
	uint32_t	udp_rcv_cc;
	socket_t	probe;
	int		probe_err;
};

static void
pcb_cb(const struct xkpi_pcb *p, void *ctx)
{
	struct pcbs *c = ctx;
	int v, vl = sizeof(v);

	c->n++;
	if (p->xp_type == SOCK_DGRAM && p->xp_domain == PF_INET) {
		c->udp++;
		c->udp_port = ntohs(((const struct sockaddr_in *)
		    &p->xp_laddr)->sin_port);
		c->udp_rcv_cc = p->xp_rcv_cc;
	}
	if (p->xp_type == SOCK_RAW && p->xp_protocol == 253) {
		c->raw++;
	}
	/* No lock is held: the KPI works from here. */
	c->probe_err = sock_getsockopt(c->probe, SOL_SOCKET, SO_TYPE, &v, &vl);
}

static void
test_pcblist_reports_every_socket(void **state)
{
	struct sockaddr_storage a;
	struct pcbs c = { 0 };
	socket_t u, r = NULL;

	(void)state;
	u = xk_test_udp(AF_INET, NULL, NULL, &a);
	assert_int_equal(sock_socket(PF_INET, SOCK_RAW, 253, NULL, NULL, &r),
	    0);
	xk_test_send_ok(u, &a, 100, 0);
	xk_test_await_nread(u, 100);
	c.probe = u;
	assert_int_equal(xkpi_pcblist(pcb_cb, &c), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.udp, 1);
	assert_int_equal(c.raw, 1);
	assert_int_equal(c.udp_port, xk_test_port(&a));
	assert_int_equal(c.udp_rcv_cc, 100);
	assert_int_equal(c.probe_err, 0);
	sock_close(u);
	sock_close(r);
}

/*
 * XKPI_IFACES (the config's ifaces) and xkpi_if_attach(): on mem each
 * name becomes a virtual interface, listed by xkpi_stats; a malformed
 * list or a repeated name fails the whole initialisation.
 */
static void
test_ifaces_attach(void **state)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "mem",
	    .ifaces = "m0, m1");

	(void)state;
	xkpi_shutdown();
	assert_int_equal(xkpi_init(&cfg), 0);
	assert_int_equal(xk_test_stat("if.m0.ipackets"), 0);
	assert_int_equal(xk_test_stat("if.m1.opackets"), 0);
	assert_int_equal(xkpi_if_attach("m2"), 0);
	assert_int_equal(xk_test_stat("if.m2.ipackets"), 0);
	assert_int_equal(xkpi_if_attach("m2"), EEXIST);
	assert_int_equal(xkpi_if_attach(""), EINVAL);
	assert_int_equal(xkpi_if_attach(NULL), EINVAL);
	assert_int_equal(xkpi_if_attach("a-name-far-too-long"), EINVAL);
	xkpi_shutdown();

	cfg.ifaces = "m0,,m1";
	assert_int_equal(xkpi_init(&cfg), EINVAL);
	cfg.ifaces = "m0,m0";
	assert_int_equal(xkpi_init(&cfg), EEXIST);
	cfg.ifaces = "";
	assert_int_equal(xkpi_init(&cfg), 0);
	xkpi_shutdown();
}

/* Reads the whole answer of the stats service at @path into @buf. */
static size_t
statsd_read(const char *path, char *buf, size_t cap)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t have = 0;
	ssize_t n;
	int fd;

	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	/* Bounded: the service closes once the answer is written. */
	for (int i = 0; i < 1000 && have < cap - 1; i++) {
		if ((n = read(fd, buf + have, cap - 1 - have)) <= 0) {
			break;
		}
		have += (size_t)n;
	}
	buf[have] = '\0';
	close(fd);
	return have;
}

/*
 * XKPI_STATS_SOCKET: a running process answers with every counter and
 * every socket; the socket file goes at shutdown.
 */
static void
test_stats_socket(void **state)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "mem",
	    .ifaces = "s0");
	static char buf[65536];
	char path[64];
	socket_t so;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/xkpi-test-%d.sock", (int)getpid());
	xkpi_shutdown();
	setenv("XKPI_STATS_SOCKET", path, 1);
	assert_int_equal(xkpi_init(&cfg), 0);
	assert_int_equal(sock_socket(PF_INET, SOCK_RAW, 253, NULL, NULL, &so),
	    0);
	assert_true(statsd_read(path, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "stat ip.in 0\n"));
	assert_non_null(strstr(buf, "stat if.s0.ipackets 0\n"));
	assert_non_null(strstr(buf, "pcb inet raw 253 0.0.0.0:0 - 0/8192 0/8192"));
	sock_close(so);
	xkpi_shutdown();
	unsetenv("XKPI_STATS_SOCKET");
	assert_int_equal(access(path, F_OK), -1);	/* removed */
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_stats_null_fn_is_einval),
		T(test_stats_count_input_by_reason),
		T(test_pcblist_reports_every_socket),
		cmocka_unit_test(test_ifaces_attach),
		cmocka_unit_test(test_stats_socket),
	};

	return cmocka_run_group_tests_name("stats", tests, NULL,
	    xk_test_sock_group_teardown);
}
