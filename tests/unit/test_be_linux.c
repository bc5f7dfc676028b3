/*
 * The linux backend's edges, in a network namespace of the test's own
 * (root only; the cases skip otherwise): attaching (ENXIO, EEXIST, the
 * host's index and MTU), its counters by name, a bad XKPI_LINUX_RX, and
 * EPERM for a process without CAP_NET_RAW.  Traffic itself is checked
 * end to end by tests/integration/rawnet.sh and bignet.sh.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#ifdef XK_HAVE_BACKEND_LINUX

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/kpi_socket.h>
#include <xkpi.h>

#include "core/if_var.h"
#include "core/socket_var.h"

static bool have_ns;

/* Runs a shell command in the test's namespace; its exit status. */
static int
sh(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Whether xkpi_stats() has a counter called @name. */
struct find {
	const char	*name;
	bool		 seen;
};

static void
find_cb(const char *name, uint64_t value, void *ctx)
{
	struct find *f = ctx;

	(void)value;
	if (strcmp(name, f->name) == 0) {
		f->seen = true;
	}
}

static bool
has_stat(const char *name)
{
	struct find f = { .name = name };

	assert_int_equal(xkpi_stats(find_cb, &f), 0);
	return f.seen;
}

#define NEED_NS() do {							\
	if (!have_ns) {							\
		skip();							\
	}								\
} while (0)

static void
test_attach(void **state)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "linux");
	struct __ifnet *ifp;

	(void)state;
	NEED_NS();
	assert_int_equal(xkpi_init(&cfg), 0);
	assert_int_equal(xkpi_if_attach("xkl-none"), ENXIO);
	assert_int_equal(xkpi_if_attach("xkl0"), 0);
	assert_int_equal(xkpi_if_attach("xkl0"), EEXIST);
	xk_core_lock();
	ifp = xk_if_byname_locked("xkl0");
	assert_non_null(ifp);
	assert_int_equal(ifp->if_index, if_nametoindex("xkl0"));
	assert_int_equal(ifp->if_mtu, 1400);
	assert_int_equal(ifp->if_type, ARPHRD_ETHER);
	assert_int_equal(ifp->if_hwlen, 6);
	xk_core_unlock();
	assert_true(has_stat("be.linux.xkl0.rx"));
	assert_true(has_stat("be.linux.xkl0.kdrops"));
	assert_true(has_stat("be.linux.txfull"));
	assert_true(has_stat("be.linux.txerrors"));
	xkpi_shutdown();
	/* XKPI_IFACES: all or nothing. */
	cfg.ifaces = "xkl0,xkl-none";
	assert_int_equal(xkpi_init(&cfg), ENXIO);
	cfg.ifaces = "xkl0";
	assert_int_equal(xkpi_init(&cfg), 0);
	assert_int_equal(xkpi_if_attach("xkl0"), EEXIST);
	xkpi_shutdown();
}

static void
test_rx_mode(void **state)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "linux",
	    .ifaces = "xkl0");

	(void)state;
	NEED_NS();
	setenv("XKPI_LINUX_RX", "bogus", 1);
	assert_int_equal(xkpi_init(&cfg), EINVAL);
	setenv("XKPI_LINUX_RX", "mmsg", 1);
	assert_int_equal(xkpi_init(&cfg), 0);
	xkpi_shutdown();
	setenv("XKPI_LINUX_RX", "ring", 1);
	assert_int_equal(xkpi_init(&cfg), 0);
	xkpi_shutdown();
	unsetenv("XKPI_LINUX_RX");
}

/* Counter @name's value (0 when absent). */
struct get {
	const char	*name;
	uint64_t	 value;
};

static void
get_cb(const char *name, uint64_t value, void *ctx)
{
	struct get *g = ctx;

	if (strcmp(name, g->name) == 0) {
		g->value = value;
	}
}

static uint64_t
stat_value(const char *name)
{
	struct get g = { .name = name };

	assert_int_equal(xkpi_stats(get_cb, &g), 0);
	return g.value;
}

/* One raw datagram of protocol 253 to @to; sock_send's result. */
static errno_t
send1(socket_t so, const struct sockaddr_in *to)
{
	static const uint8_t data[32];
	struct iovec iov = { (void *)(uintptr_t)data, sizeof(data) };
	struct msghdr msg = { 0 };
	size_t sent;

	msg.msg_name = (void *)(uintptr_t)to;
	msg.msg_namelen = sizeof(*to);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	return sock_send(so, &msg, 0, &sent);
}

/*
 * The interface output queue, as IFQ_ENQUEUE: with the loop held still
 * (a base of the test's own, not run) 4096 packets wait and the next is
 * ENOBUFS, counted in txfull; once the loop runs, the queue drains and
 * sending works again.
 */
static void
test_output_queue_full(void **state)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "linux",
	    .ifaces = "xkl0");
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct event_base *base;
	errno_t error = 0;
	socket_t so;
	int i;

	(void)state;
	NEED_NS();
	assert_int_equal(evthread_use_pthreads(), 0);
	assert_non_null(base = event_base_new());
	assert_int_equal(xkpi_init_with_base(base, &cfg), 0);
	assert_int_equal(sock_socket(PF_INET, SOCK_RAW, 253, NULL, NULL, &so),
	    0);
	inet_pton(AF_INET, "10.206.0.2", &to.sin_addr);
	for (i = 0; i < 5000 && (error = send1(so, &to)) == 0; i++) {
		continue;
	}
	assert_int_equal(error, ENOBUFS);
	assert_int_equal(i, 4096);
	assert_int_equal(stat_value("be.linux.txfull"), 1);
	/* The loop drains it, a batch at a time (bounded). */
	for (i = 0; i < 2000 && (error = send1(so, &to)) == ENOBUFS; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
	}
	assert_int_equal(error, 0);
	assert_int_equal(stat_value("if.xkl0.opackets"), 4097);
	sock_close(so);
	xkpi_shutdown();
	event_base_free(base);
}

/*
 * Without CAP_NET_RAW the backend does not open: EPERM, as the kernel.
 * The child (forked, not exec'd: under valgrind /proc/self/exe is
 * valgrind) exits with a status only the EPERM answer gives.
 */
#define EPERM_CHILD_OK	77

static void
test_needs_privilege(void **state)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "linux");
	pid_t pid;
	int error, st;

	(void)state;
	NEED_NS();
	if ((pid = fork()) == 0) {
		/* nobody, with no capabilities left. */
		if (setgid(65534) != 0 || setuid(65534) != 0) {
			_exit(2);
		}
		if ((error = xkpi_init(&cfg)) != EPERM) {
			fprintf(stderr, "child: xkpi_init: %d\n", error);
			_exit(1);
		}
		_exit(EPERM_CHILD_OK);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), EPERM_CHILD_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attach),
		cmocka_unit_test(test_rx_mode),
		cmocka_unit_test(test_output_queue_full),
		cmocka_unit_test(test_needs_privilege),
	};

	/* Before any thread: a namespace of our own, with a veth pair. */
	have_ns = geteuid() == 0 && unshare(CLONE_NEWNET) == 0 &&
	    sh("ip link set lo up && "
	    "ip link add xkl0 mtu 1400 type veth peer name xkl1 && "
	    "ip link set xkl0 up && ip link set xkl1 up && "
	    "ip addr add 10.206.0.1/24 dev xkl0 && "
	    "ip addr add 10.206.0.2/24 dev xkl1") == 0;
	if (!have_ns) {
		fprintf(stderr, "test_be_linux: not root or no namespaces: "
		    "every case skips\n");
	}
	return cmocka_run_group_tests_name("be_linux", tests, NULL, NULL);
}

#else /* !XK_HAVE_BACKEND_LINUX */

static void
test_linux_not_built(void **state)
{
	(void)state;
	skip();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linux_not_built),
	};

	return cmocka_run_group_tests_name("be_linux", tests, NULL, NULL);
}

#endif /* XK_HAVE_BACKEND_LINUX */
