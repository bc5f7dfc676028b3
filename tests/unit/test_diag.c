/*
 * What the library says when it starts, and at XKPI_LOG=debug: every
 * failure to start is one line at the default level saying why (an
 * unknown backend with the valid names; a backend without its privilege
 * with the capability to grant); a bad XKPI_LOG warns and falls back to
 * warn; XKPI_IFACES with mem, and a raw socket on a host backend with no
 * interface, warn; a backend that cannot start from the environment
 * leaves host sockets working and raw sockets failing with its error; at
 * debug, interfaces attached, sockets opened and closed, and a line per
 * packet naming the counters it moved.
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
#include <linux/capability.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>
#include <xkpi.h>
#include <xkpi_mem.h>

#include "tests/lib/xk_test.h"

/* The log, line by line with its level. */
#define LOG_MAX	256
static pthread_mutex_t log_mtx = PTHREAD_MUTEX_INITIALIZER;
static char *log_msg[LOG_MAX];
static int log_level[LOG_MAX];
static int log_n;

static void
log_fn(int level, const char *msg, void *ctx)
{
	(void)ctx;
	pthread_mutex_lock(&log_mtx);
	if (log_n < LOG_MAX) {
		log_level[log_n] = level;
		log_msg[log_n++] = strdup(msg);
	}
	pthread_mutex_unlock(&log_mtx);
}

static void
log_start(void)
{
	pthread_mutex_lock(&log_mtx);
	for (int i = 0; i < log_n; i++) {
		free(log_msg[i]);
	}
	log_n = 0;
	pthread_mutex_unlock(&log_mtx);
	xkpi_set_log_hook(log_fn, NULL);
}

/* Prints the log, for a failing test's output. */
static void
log_print(void)
{
	pthread_mutex_lock(&log_mtx);
	for (int i = 0; i < log_n; i++) {
		fprintf(stderr, "# log %d: %s\n", log_level[i], log_msg[i]);
	}
	pthread_mutex_unlock(&log_mtx);
}

/*
 * How many lines hold every one of the NULL-terminated strings; the level
 * of the last such line in *@level (when not NULL).
 */
static int
log_count(int *level, ...)
{
	const char *want[8];
	int n = 0, k = 0;
	va_list ap;

	va_start(ap, level);
	while (k < 8 && (want[k] = va_arg(ap, const char *)) != NULL) {
		k++;
	}
	va_end(ap);
	pthread_mutex_lock(&log_mtx);
	for (int i = 0; i < log_n; i++) {
		int j;

		for (j = 0; j < k && strstr(log_msg[i], want[j]) != NULL; j++) {
		}
		if (j == k) {
			n++;
			if (level != NULL) {
				*level = log_level[i];
			}
		}
	}
	pthread_mutex_unlock(&log_mtx);
	return n;
}

/* Lines logged at @level or above (more severe). */
static int
log_at_least(int level)
{
	int n = 0;

	pthread_mutex_lock(&log_mtx);
	for (int i = 0; i < log_n; i++) {
		n += log_level[i] <= level;
	}
	pthread_mutex_unlock(&log_mtx);
	return n;
}

static int
setup(void **state)
{
	unsetenv("XKPI_LOG");
	unsetenv("XKPI_IFACES");
	unsetenv("XKPI_BACKEND");
	xkpi_shutdown();
	log_start();
	return xk_test_setup(state);
}

static int
teardown(void **state)
{
	xkpi_shutdown();
	xkpi_set_log_hook(NULL, NULL);
	unsetenv("XKPI_LOG");
	unsetenv("XKPI_IFACES");
	unsetenv("XKPI_BACKEND");
	return xk_test_teardown(state);
}

/* An XKPI_LOG the library does not know: a warning, and warn it is. */
static void
test_bad_xkpi_log_warns(void **state)
{
	int level = 0;

	(void)state;
	setenv("XKPI_LOG", "verbose", 1);
	assert_int_equal(xkpi_init(NULL), 0);
	assert_int_equal(log_count(&level, "XKPI_LOG=verbose", "warn", NULL),
	    1);
	assert_int_equal(level, XKPI_LOG_WARN);
	/* At warn, the debug lines of a socket's life do not come. */
	{
		socket_t so;

		assert_int_equal(sock_socket(PF_INET, SOCK_DGRAM, IPPROTO_UDP,
		    NULL, NULL, &so), 0);
		sock_close(so);
		assert_true(xk_test_wait_sockets(0, 10000) == 0);
	}
	assert_int_equal(log_count(NULL, "opened", NULL), 0);
	xkpi_shutdown();

	/* Empty is unset: no warning. */
	log_start();
	setenv("XKPI_LOG", "", 1);
	assert_int_equal(xkpi_init(NULL), 0);
	assert_int_equal(log_at_least(XKPI_LOG_WARN), 0);
}

/* An unknown backend: one error line with the names this build has. */
static void
test_unknown_backend_names_valid_ones(void **state)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "lnux");
	int level = 0;

	(void)state;
	assert_int_equal(xkpi_init(&cfg), EINVAL);
	assert_int_equal(log_at_least(XKPI_LOG_WARN), 1);
	assert_int_equal(log_count(&level, "'lnux'", "unknown", "mem", NULL),
	    1);
	assert_int_equal(level, XKPI_LOG_ERROR);
#ifdef XK_HAVE_BACKEND_LINUX
	assert_int_equal(log_count(NULL, "'lnux'", "linux", NULL), 1);
#endif
#ifndef XK_HAVE_BACKEND_NFQUEUE
	log_start();
	cfg.backend = "nfqueue";
	assert_int_equal(xkpi_init(&cfg), ENOTSUP);
	assert_int_equal(log_count(NULL, "nfqueue", "not built in",
	    "--with-backends", NULL), 1);
#endif
}

/* XKPI_IFACES with mem: a warning that the names are not the host's. */
static void
test_ifaces_with_mem_warns(void **state)
{
	int level = 0;

	(void)state;
	setenv("XKPI_IFACES", "eth0", 1);
	assert_int_equal(xkpi_init(NULL), 0);
	assert_int_equal(log_count(&level, "XKPI_IFACES=eth0", "mem",
	    "XKPI_BACKEND", NULL), 1);
	assert_int_equal(level, XKPI_LOG_WARN);
}

/* One IPv4 packet of protocol @proto from 10.9.0.2 to 10.9.0.1. */
static size_t
ip4_packet(uint8_t *p, uint8_t proto)
{
	uint32_t sum = 0;

	memset(p, 0, 28);
	p[0] = 0x45;
	p[3] = 28;
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, (uint8_t[]){ 10, 9, 0, 2 }, 4);
	memcpy(p + 16, (uint8_t[]){ 10, 9, 0, 1 }, 4);
	for (int i = 0; i < 20; i += 2) {
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	}
	while (sum >> 16) {
		sum = (sum & 0xffff) + (sum >> 16);
	}
	p[10] = (uint8_t)(~sum >> 8);
	p[11] = (uint8_t)~sum;
	return 28;
}

static bool
logged_cond(void *arg)
{
	return log_count(NULL, (const char *)arg, NULL) > 0;
}

/*
 * XKPI_LOG=debug over mem: the interface attached, the raw socket opened
 * and closed, each packet in with the counters it moved (delivered, or
 * no protocol), and each packet out.
 */
static void
test_debug_shows_interfaces_sockets_packets(void **state)
{
	struct in_addr a;
	struct sockaddr_in to;
	uint8_t pkt[28];
	socket_t so;
	mbuf_t m;
	size_t sent;

	(void)state;
	setenv("XKPI_LOG", "debug", 1);
	assert_int_equal(xkpi_init(NULL), 0);
	assert_int_equal(xkpi_mem_vif_create("dg0", 1500, NULL), 0);
	inet_pton(AF_INET, "10.9.0.1", &a);
	assert_int_equal(xkpi_mem_vif_addaddr("dg0", AF_INET, &a, 24), 0);
	assert_int_equal(log_count(NULL, "interface dg0 attached", NULL), 1);

	assert_int_equal(sock_socket(PF_INET, SOCK_RAW, 253, NULL, NULL, &so),
	    0);
	assert_int_equal(log_count(NULL, "opened", "rip", NULL), 1);

	assert_int_equal(xkpi_mem_inject("dg0", pkt, ip4_packet(pkt, 253)), 0);
	xk_test_await_until(logged_cond, "ip.delivered +1", "delivery line");
	assert_int_equal(log_count(NULL, "in dg0: IPv4 10.9.0.2 > 10.9.0.1 "
	    "proto 253 len 28", "ip.in +1", "ip.delivered +1", NULL), 1);
	assert_int_equal(xkpi_mem_inject("dg0", pkt, ip4_packet(pkt, 252)), 0);
	xk_test_await_until(logged_cond, "ip.noproto +1", "no-protocol line");
	assert_int_equal(log_count(NULL, "proto 252", "ip.noproto +1", NULL),
	    1);

	assert_int_equal(mbuf_allocpacket(MBUF_WAITOK, 8, NULL, &m), 0);
	assert_int_equal(mbuf_copyback(m, 0, 8, "12345678", MBUF_WAITOK), 0);
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	inet_pton(AF_INET, "10.9.0.7", &to.sin_addr);
	assert_int_equal(sock_sendmbuf(so, &(struct msghdr){ .msg_name = &to,
	    .msg_namelen = sizeof(to) }, m, 0, &sent), 0);
	assert_int_equal(log_count(NULL, "out dg0: IPv4 10.9.0.1 > 10.9.0.7 "
	    "proto 253 len 28", "handed to the backend", NULL), 1);

	sock_close(so);
	assert_true(xk_test_wait_sockets(0, 10000) == 0);
	assert_int_equal(log_count(NULL, "closed", "rip", NULL), 1);
	if (log_count(NULL, "in dg0", NULL) != 2) {
		log_print();
		fail();
	}
}

#ifdef XK_HAVE_BACKEND_LINUX
/* Drops CAP_NET_RAW and CAP_NET_ADMIN from this process, for good. */
static void
drop_net_caps(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) != 0) {
		_exit(90);
	}
	for (int i = 0; i < 2; i++) {
		uint32_t drop = i == 0 ? (1u << CAP_NET_RAW) |
		    (1u << CAP_NET_ADMIN) : 0;

		d[i].effective &= ~drop;
		d[i].permitted &= ~drop;
		d[i].inheritable &= ~drop;
	}
	if (syscall(SYS_capset, &h, d) != 0) {
		_exit(91);
	}
}

/* Runs @fn in a child without the network capabilities; its status. */
static int
in_unprivileged_child(int (*fn)(void))
{
	pid_t pid;
	int status;

	fflush(NULL);
	if ((pid = fork()) == 0) {
		drop_net_caps();
		_exit(fn());
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* xkpi_init() of linux without privilege: EPERM and what to grant. */
static int
child_explicit(void)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "linux");
	int level = 0;

	log_start();
	if (xkpi_init(&cfg) != EPERM) {
		return 1;
	}
	if (log_at_least(XKPI_LOG_WARN) != 1 ||
	    log_count(&level, "backend linux cannot start", "CAP_NET_RAW",
	    "setcap cap_net_raw+ep", NULL) != 1 || level != XKPI_LOG_ERROR) {
		log_print();
		return 2;
	}
	return 0;
}

static void
test_no_privilege_says_which_capability(void **state)
{
	(void)state;
	assert_int_equal(in_unprivileged_child(child_explicit), 0);
}

/*
 * XKPI_BACKEND=linux without privilege, started by a first KPI call: the
 * host's UDP sockets work, raw sockets fail with EPERM, one line says so.
 */
static int
child_lazy(void)
{
	socket_t so;

	log_start();
	setenv("XKPI_BACKEND", "linux", 1);
	if (sock_socket(PF_INET, SOCK_DGRAM, IPPROTO_UDP, NULL, NULL,
	    &so) != 0) {
		log_print();
		return 1;
	}
	sock_close(so);
	if (sock_socket(PF_INET, SOCK_RAW, IPPROTO_ICMP, NULL, NULL,
	    &so) != EPERM) {
		return 2;
	}
	if (xkpi_if_attach("lo") != EPERM) {
		return 3;
	}
	if (log_at_least(XKPI_LOG_WARN) != 1 ||
	    log_count(NULL, "backend linux cannot start", "CAP_NET_RAW",
	    "host TCP, UDP and local sockets work", NULL) != 1) {
		log_print();
		return 4;
	}
	xkpi_shutdown();
	return 0;
}

static void
test_lazy_start_keeps_host_sockets(void **state)
{
	(void)state;
	assert_int_equal(in_unprivileged_child(child_lazy), 0);
}

/* A raw socket on linux with no interface: one warning, once. */
static void
test_host_backend_without_interface_warns(void **state)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "linux");
	socket_t a, b;

	(void)state;
	if (geteuid() != 0) {
		skip();
	}
	assert_int_equal(xkpi_init(&cfg), 0);
	assert_int_equal(log_count(NULL, "no interface", NULL), 0);
	assert_int_equal(sock_socket(PF_INET, SOCK_RAW, IPPROTO_ICMP, NULL,
	    NULL, &a), 0);
	assert_int_equal(sock_socket(PF_INET6, SOCK_RAW, IPPROTO_ICMPV6, NULL,
	    NULL, &b), 0);
	assert_int_equal(log_count(NULL, "backend linux has no interface",
	    "xkpi_if_attach()", NULL), 1);
	sock_close(a);
	sock_close(b);
	assert_true(xk_test_wait_sockets(0, 10000) == 0);
}
#endif /* XK_HAVE_BACKEND_LINUX */

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_bad_xkpi_log_warns),
		T(test_unknown_backend_names_valid_ones),
		T(test_ifaces_with_mem_warns),
		T(test_debug_shows_interfaces_sockets_packets),
#ifdef XK_HAVE_BACKEND_LINUX
		T(test_no_privilege_says_which_capability),
		T(test_lazy_start_keeps_host_sockets),
		T(test_host_backend_without_interface_warns),
#endif
	};

	return cmocka_run_group_tests_name("diag", tests, NULL, NULL);
}
