/*
 * xkpi_if_detach() on every backend, and an attached host interface that
 * the host deletes and makes again under the same name: the library
 * attaches the new one by itself and receives on it (linux and pcap, as
 * root, in a network namespace of the test's own).
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
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xkpi.h>
#include <xkpi_mem.h>

#include "core/if_var.h"
#include "core/socket_var.h"
#include "tests/lib/xk_test.h"

static bool have_ns;

static int
sh(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int
setup(void **state)
{
	xkpi_shutdown();
	return xk_test_setup(state);
}

static int
teardown(void **state)
{
	xkpi_shutdown();
	xkpi_set_log_hook(NULL, NULL);
	return xk_test_teardown(state);
}

/* Arguments, and detaching over mem. */
static void
test_detach_mem(void **state)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "mem",
	    .ifaces = "dt0");
	char longname[IF_NAMESIZE + 1];

	(void)state;
	assert_int_equal(xkpi_if_detach("dt0"), ENXIO);	/* not running */
	assert_int_equal(xkpi_init(&cfg), 0);
	assert_true(xk_test_stat_find("if.dt0.ipackets", NULL));
	assert_int_equal(xkpi_if_detach(NULL), EINVAL);
	assert_int_equal(xkpi_if_detach(""), EINVAL);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(xkpi_if_detach(longname), EINVAL);
	assert_int_equal(xkpi_if_detach("dt1"), ENXIO);
	assert_int_equal(xkpi_if_detach("dt0"), 0);
	assert_false(xk_test_stat_find("if.dt0.ipackets", NULL));
	assert_int_equal(xkpi_if_detach("dt0"), ENXIO);
	assert_int_equal(xkpi_mem_link("dt0", "dt1"), ENXIO);
	/* The name is free again. */
	assert_int_equal(xkpi_if_attach("dt0"), 0);
	assert_true(xk_test_stat_find("if.dt0.ipackets", NULL));
}

/* The log, for the "attached again" line. */
static pthread_mutex_t log_mtx = PTHREAD_MUTEX_INITIALIZER;
static char log_text[8192];

static void
log_fn(int level, const char *msg, void *ctx)
{
	size_t have;

	(void)level;
	(void)ctx;
	pthread_mutex_lock(&log_mtx);
	have = strlen(log_text);
	snprintf(log_text + have, sizeof(log_text) - have, "%s\n", msg);
	pthread_mutex_unlock(&log_mtx);
}

static bool
logged(const char *s)
{
	bool found;

	pthread_mutex_lock(&log_mtx);
	found = strstr(log_text, s) != NULL;
	pthread_mutex_unlock(&log_mtx);
	return found;
}

/*
 * Sends one IPv4 packet (protocol 253, 10.207.0.2 to 10.207.0.1) out of
 * xkd1 to xkd0's link address: it arrives on xkd0.
 */
static void
send_to_xkd0(void)
{
	static const uint8_t hdr[20] = { 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 253,
	    0, 0, 10, 207, 0, 2, 10, 207, 0, 1 };
	struct sockaddr_ll sll;
	struct ifreq ifr;
	uint8_t pkt[28];
	uint32_t sum = 0;
	int fd;

	memcpy(pkt, hdr, sizeof(hdr));
	memset(pkt + 20, 0xab, 8);
	for (int i = 0; i < 20; i += 2) {
		sum += (uint32_t)(pkt[i] << 8 | pkt[i + 1]);
	}
	while (sum >> 16) {
		sum = (sum & 0xffff) + (sum >> 16);
	}
	pkt[10] = (uint8_t)(~sum >> 8);
	pkt[11] = (uint8_t)~sum;
	assert_true((fd = socket(AF_PACKET, SOCK_DGRAM, 0)) >= 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "xkd0");
	assert_int_equal(ioctl(fd, SIOCGIFHWADDR, &ifr), 0);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_ifindex = (int)if_nametoindex("xkd1");
	sll.sll_halen = ETH_ALEN;
	memcpy(sll.sll_addr, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	assert_int_equal(sendto(fd, pkt, sizeof(pkt), 0,
	    (struct sockaddr *)&sll, sizeof(sll)), (ssize_t)sizeof(pkt));
	close(fd);
}

/* Sends to xkd0 every 50 ms until if.xkd0.ipackets moves (10 s). */
static bool
xkd0_receives(void)
{
	uint64_t v = 0;

	for (int i = 0; i < 200; i++) {
		send_to_xkd0();
		xk_test_sleep_ms(50);
		if (xk_test_stat_find("if.xkd0.ipackets", &v) && v > 0) {
			return true;
		}
	}
	return false;
}

static const char *const make_xkd =
    "ip link add xkd0 type veth peer name xkd1 && "
    "ip link set xkd0 up && ip link set xkd1 up && "
    "ip addr add 10.207.0.1/24 dev xkd0";

static void
detach_and_recreate(const char *backend)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = backend,
	    .ifaces = "xkd0");
	struct __ifnet *ifp;
	uint32_t index, old;

	if (!have_ns) {
		skip();
	}
	log_text[0] = '\0';
	xkpi_set_log_hook(log_fn, NULL);
	assert_int_equal(xkpi_init(&cfg), 0);
	assert_true(xkd0_receives());

	/* Detached: forgotten, and the name can be attached again. */
	assert_int_equal(xkpi_if_detach("xkd0"), 0);
	assert_false(xk_test_stat_find("if.xkd0.ipackets", NULL));
	assert_int_equal(xkpi_if_detach("xkd0"), ENXIO);
	assert_int_equal(xkpi_if_attach("xkd0"), 0);
	assert_true(xkd0_receives());

	/* The host deletes xkd0 and makes it again: followed. */
	old = if_nametoindex("xkd0");
	assert_int_equal(sh("ip link del xkd0"), 0);
	assert_int_equal(sh(make_xkd), 0);
	index = if_nametoindex("xkd0");
	assert_true(index != 0 && index != old);
	for (int i = 0; i < 200 && !logged("attached again"); i++) {
		xk_test_sleep_ms(50);
	}
	if (!logged("interface xkd0 was made again by the host") ||
	    !logged("attached again")) {
		fprintf(stderr, "# log:\n%s", log_text);
		fail_msg("no re-attach logged");
	}
	xk_core_lock();
	ifp = xk_if_byname_locked("xkd0");
	old = ifp != NULL ? ifp->if_index : 0;
	xk_core_unlock();
	assert_int_equal(old, index);
	assert_true(xkd0_receives());
	xkpi_shutdown();
}

static void
test_recreate_linux(void **state)
{
	(void)state;
#ifdef XK_HAVE_BACKEND_LINUX
	detach_and_recreate("linux");
#else
	skip();
#endif
}

static void
test_recreate_pcap(void **state)
{
	(void)state;
#ifdef XK_HAVE_BACKEND_PCAP
	detach_and_recreate("pcap");
#else
	skip();
#endif
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_detach_mem),
		T(test_recreate_linux),
		T(test_recreate_pcap),
	};

	have_ns = geteuid() == 0 && unshare(CLONE_NEWNET) == 0 &&
	    sh("ip link set lo up") == 0 && sh(make_xkd) == 0;
	return cmocka_run_group_tests_name("ifdetach", tests, NULL, NULL);
}
