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

#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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
	struct xkpi_config cfg = { .backend = "linux" };
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
	struct xkpi_config cfg = { .backend = "linux", .ifaces = "xkl0" };

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

/* Without CAP_NET_RAW the backend does not open: EPERM, as the kernel. */
static void
test_needs_privilege(void **state)
{
	struct xkpi_config cfg = { .backend = "linux" };
	pid_t pid;
	int st;

	(void)state;
	NEED_NS();
	if ((pid = fork()) == 0) {
		/* nobody, with no capabilities left. */
		if (setgid(65534) != 0 || setuid(65534) != 0) {
			_exit(2);
		}
		_exit(xkpi_init(&cfg) == EPERM ? 0 : 1);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attach),
		cmocka_unit_test(test_rx_mode),
		cmocka_unit_test(test_needs_privilege),
	};

	/* Before any thread: a namespace of our own, with a veth pair. */
	have_ns = geteuid() == 0 && unshare(CLONE_NEWNET) == 0 &&
	    sh("ip link set lo up && "
	    "ip link add xkl0 mtu 1400 type veth peer name xkl1 && "
	    "ip link set xkl0 up && ip link set xkl1 up") == 0;
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
