/*
 * The host's interfaces through rtnetlink (backends/hostif.c): reading a
 * link and its addresses, attaching it to the engine, routes, neighbours
 * and their resolution, and the monitor that follows the host.
 *
 * Nothing here touches the host's own network: when run as root the
 * program moves itself into a network namespace of its own before
 * anything else, and a child process in a second namespace plays the
 * peer at the other end of a veth pair.  Both namespaces, and every
 * link, address, route and neighbour made in them, go away with the two
 * processes.  Without root only the loopback cases run; in a build
 * without a host backend (no hostif.c in the library), none does.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#if defined(XK_HAVE_BACKEND_LINUX) || defined(XK_HAVE_BACKEND_PCAP)

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <linux/neighbour.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xkpi.h>

#include "backends/hostif.h"
#include "core/if_var.h"
#include "core/socket_var.h"
#include "tests/lib/xk_test.h"

#define PEER_MAC	"02:00:00:00:77:02"

static bool have_ns;		/* in our own namespace, with the peer */
static pid_t peer_pid = -1;
static int peer_go = -1;	/* write: configure; close: exit */
static int peer_done = -1;	/* read: one byte when configured */
static struct event_base *base;
/*
 * The monitor the running test follows, stopped by the teardown if the
 * test failed before it could: its callback's context is on that test's
 * stack.
 */
static struct xk_hostif_mon *left_mon;

/* Runs a shell command; its status. */
static int
sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define SH_OK(...)	assert_int_equal(sh(__VA_ARGS__), 0)

/*
 * The peer: a child in a network namespace of its own, forked before any
 * thread exists.  It waits for the veth end the parent moves into its
 * namespace, configures it, reports, and stays until the parent closes
 * the pipe (or dies).
 */
static void
peer_main(int go, int done)
{
	char c;
	int st;

	if (unshare(CLONE_NEWNET) != 0) {
		_exit(1);
	}
	c = 'r';
	if (write(done, &c, 1) != 1 || read(go, &c, 1) != 1) {
		_exit(1);
	}
	st = system("ip link set lo up && "
	    "ip link set xkd0p address " PEER_MAC " && "
	    "ip addr add 10.77.0.2/24 dev xkd0p && "
	    "ip -6 addr add fd00:77::2/64 dev xkd0p nodad && "
	    "ip link set xkd0p up");
	c = st == 0 ? 'y' : 'n';
	(void)write(done, &c, 1);
	while (read(go, &c, 1) > 0) {
		continue;
	}
	_exit(0);
}

/* Enters a namespace of our own and starts the peer; false if we can't. */
static bool
ns_start(void)
{
	int go[2], done[2];
	char c;

	if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0) {
		return false;
	}
	if (pipe(go) != 0 || pipe(done) != 0) {
		return false;
	}
	if ((peer_pid = fork()) < 0) {
		return false;
	}
	if (peer_pid == 0) {
		close(go[1]);
		close(done[0]);
		peer_main(go[0], done[1]);
	}
	close(go[0]);
	close(done[1]);
	peer_go = go[1];
	peer_done = done[0];
	return read(peer_done, &c, 1) == 1 && c == 'r';
}

static void
ns_stop(void)
{
	if (peer_pid > 0) {
		close(peer_go);
		close(peer_done);
		(void)waitpid(peer_pid, NULL, 0);
		peer_pid = -1;
	}
}

/*
 * The links of the namespace: lo up; xkd0 (MTU 1400, 10.77.0.1/24,
 * fd00:77::1/64) whose peer xkd0p (10.77.0.2, fd00:77::2, PEER_MAC) is in
 * the child's namespace; a route through a gateway and routes of every
 * kind that refuses.
 */
static bool
ns_links(void)
{
	char c;

	if (sh("ip link set lo up") != 0 ||
	    sh("ip link add xkd0 type veth peer name xkd0p netns %d",
	    (int)peer_pid) != 0) {
		return false;
	}
	c = 'g';
	if (write(peer_go, &c, 1) != 1 || read(peer_done, &c, 1) != 1 ||
	    c != 'y') {
		return false;
	}
	return sh("ip link set xkd0 mtu 1400 && "
	    "ip addr add 10.77.0.1/24 dev xkd0 && "
	    "ip -6 addr add fd00:77::1/64 dev xkd0 nodad && "
	    "ip link set xkd0 up && "
	    "ip route add 10.88.0.0/16 via 10.77.0.254 && "
	    "ip route add unreachable 10.99.0.0/16 && "
	    "ip route add blackhole 10.98.0.0/16 && "
	    "ip route add prohibit 10.97.0.0/16") == 0;
}

/* The library on a base of our own, driven by hand; the mem backend. */
static int
group_setup(void **state)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "mem");

	(void)state;
	if (!have_ns) {
		return 0;
	}
	if (!ns_links()) {
		fprintf(stderr, "test_hostif: cannot make the links\n");
		return -1;
	}
	if (evthread_use_pthreads() != 0 ||
	    (base = event_base_new()) == NULL ||
	    xkpi_init_with_base(base, &cfg) != 0) {
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	if (base != NULL) {
		xkpi_shutdown();
		event_base_free(base);
		base = NULL;
	}
	return 0;
}

#define NEED_NS() do {							\
	if (!have_ns) {							\
		skip();							\
	}								\
} while (0)

/*
 * Turns the loop until @done(@arg) holds, at most the liveness bound (the
 * kernel's answer, a neighbour's reply, can take long on a loaded
 * machine); whether it did.
 */
static bool
drive_until(bool (*done)(void *), void *arg)
{
	int64_t end = xk_test_now_us() + (int64_t)XK_TEST_WAIT_MS * 1000;

	for (;;) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (done(arg)) {
			return true;
		}
		if (xk_test_now_us() >= end) {
			return false;
		}
		xk_test_sleep_ms(1);
	}
}

/* Reading links. */

static void
test_get_lo(void **state)
{
	static const uint8_t zero[6];
	struct xk_hostif hi;

	(void)state;
	memset(&hi, 0xa5, sizeof(hi));
	assert_int_equal(xk_hostif_get("lo", &hi), 0);
	assert_string_equal(hi.hi_name, "lo");
	assert_int_equal(hi.hi_index, if_nametoindex("lo"));
	assert_int_equal(hi.hi_type, ARPHRD_LOOPBACK);
	assert_int_equal(hi.hi_mtu, 65536);
	assert_int_equal(hi.hi_flags & (IFF_UP | IFF_LOOPBACK),
	    IFF_UP | IFF_LOOPBACK);
	assert_int_equal(hi.hi_hwlen, 6);
	assert_memory_equal(hi.hi_hwaddr, zero, 6);
}

static void
test_get_errors(void **state)
{
	struct xk_hostif hi;

	(void)state;
	assert_int_equal(xk_hostif_get("xknosuch0", &hi), ENXIO);
	assert_int_equal(xk_hostif_get("", &hi), ENXIO);
	assert_int_equal(xk_hostif_get("xk_name_far_too_long", &hi), ENXIO);
	assert_int_equal(xk_hostif_get(NULL, &hi), EINVAL);
	assert_int_equal(xk_hostif_get("lo", NULL), EINVAL);
}

static void
test_get_veth(void **state)
{
	struct xk_hostif hi;
	struct ifreq ifr;
	int fd;

	(void)state;
	NEED_NS();
	assert_int_equal(xk_hostif_get("xkd0", &hi), 0);
	assert_int_equal(hi.hi_index, if_nametoindex("xkd0"));
	assert_int_equal(hi.hi_type, ARPHRD_ETHER);
	assert_int_equal(hi.hi_mtu, 1400);
	assert_true(hi.hi_flags & IFF_UP);
	assert_false(hi.hi_flags & IFF_LOOPBACK);
	assert_int_equal(hi.hi_hwlen, 6);
	/* The link address, as the older ioctl interface reports it. */
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "xkd0");
	assert_true((fd = socket(AF_INET, SOCK_DGRAM, 0)) >= 0);
	assert_int_equal(ioctl(fd, SIOCGIFHWADDR, &ifr), 0);
	close(fd);
	assert_memory_equal(hi.hi_hwaddr, ifr.ifr_hwaddr.sa_data, 6);
}

/* Addresses. */

struct seen {
	int	n;
	bool	v4_lo;		/* 127.0.0.1/8 */
	bool	v6_lo;		/* ::1/128 */
	bool	v4_x;		/* 10.77.0.1/24 */
	bool	v6_x;		/* fd00:77::1/64 */
};

static void
seen_cb(int family, const void *addr, unsigned int plen, void *ctx)
{
	struct seen *s = ctx;
	struct in_addr lo4 = xk_test_a4("127.0.0.1");
	struct in_addr x4 = xk_test_a4("10.77.0.1");
	struct in6_addr x6 = xk_test_a6("fd00:77::1");

	s->n++;
	if (family == AF_INET) {
		s->v4_lo |= memcmp(addr, &lo4, 4) == 0 && plen == 8;
		s->v4_x |= memcmp(addr, &x4, 4) == 0 && plen == 24;
	} else {
		assert_int_equal(family, AF_INET6);
		s->v6_lo |= memcmp(addr, &in6addr_loopback, 16) == 0 &&
		    plen == 128;
		s->v6_x |= memcmp(addr, &x6, 16) == 0 && plen == 64;
	}
}

static void
test_addrs_lo(void **state)
{
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(xk_hostif_addrs(if_nametoindex("lo"), seen_cb, &s),
	    0);
	assert_true(s.v4_lo);
	assert_true(s.v6_lo);
	assert_false(s.v4_x);
}

static void
test_addrs_errors(void **state)
{
	struct seen s = { 0 };

	(void)state;
	/* No such interface: no address, no error. */
	assert_int_equal(xk_hostif_addrs(999999, seen_cb, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(xk_hostif_addrs(0, seen_cb, &s), EINVAL);
	assert_int_equal(xk_hostif_addrs(1, NULL, &s), EINVAL);
}

static void
test_addrs_veth(void **state)
{
	struct seen s = { 0 };

	(void)state;
	NEED_NS();
	assert_int_equal(xk_hostif_addrs(if_nametoindex("xkd0"), seen_cb,
	    &s), 0);
	assert_true(s.v4_x);
	assert_true(s.v6_x);
	assert_false(s.v4_lo);
	assert_false(s.v6_lo);
}

/* Attaching. */

/* Whether @ifp has @addr/@plen. */
static bool
has_addr_locked(struct __ifnet *ifp, int family, const void *addr,
    unsigned int plen)
{
	for (guint i = 0; i < ifp->if_addrs->len; i++) {
		const struct xk_ifaddr *ifa = &g_array_index(ifp->if_addrs,
		    struct xk_ifaddr, i);

		if (ifa->ifa_family == family && ifa->ifa_plen == plen &&
		    memcmp(&ifa->ifa_addr, addr, family == AF_INET ? 4 :
		    16) == 0) {
			return true;
		}
	}
	return false;
}

static unsigned int
count_locked(struct __ifnet *ifp, int family)
{
	unsigned int n = 0;

	for (guint i = 0; i < ifp->if_addrs->len; i++) {
		n += g_array_index(ifp->if_addrs, struct xk_ifaddr,
		    i).ifa_family == family;
	}
	return n;
}

static bool
has_addr(const char *name, const char *addr, unsigned int plen)
{
	struct in6_addr a;
	struct __ifnet *ifp;
	int family = strchr(addr, ':') != NULL ? AF_INET6 : AF_INET;
	bool has;

	assert_int_equal(inet_pton(family, addr, &a), 1);
	xk_core_lock();
	has = (ifp = xk_if_byname_locked(name)) != NULL &&
	    has_addr_locked(ifp, family, &a, plen);
	xk_core_unlock();
	return has;
}

static void
detach(const char *name)
{
	struct __ifnet *ifp;

	xk_core_lock();
	if ((ifp = xk_if_byname_locked(name)) != NULL) {
		xk_if_detach_locked(ifp);
	}
	xk_core_unlock();
}

static void
test_attach(void **state)
{
	struct __ifnet *ifp = NULL, *ifp2;
	struct in_addr x4 = xk_test_a4("10.77.0.1");
	struct in6_addr x6 = xk_test_a6("fd00:77::1");
	struct xk_hostif hi;
	int marker;

	(void)state;
	NEED_NS();
	assert_int_equal(xk_hostif_get("xkd0", &hi), 0);
	assert_int_equal(xk_hostif_attach("xkd0", &marker, &ifp), 0);
	assert_non_null(ifp);
	xk_core_lock();
	ifp2 = xk_if_byname_locked("xkd0");
	xk_core_unlock();
	assert_ptr_equal(ifp2, ifp);
	xk_core_lock();
	assert_ptr_equal(xk_if_byindex_locked(if_nametoindex("xkd0")), ifp);
	assert_string_equal(ifp->if_name, "xkd0");
	assert_int_equal(ifp->if_index, if_nametoindex("xkd0"));
	assert_int_equal(ifp->if_mtu, 1400);
	assert_int_equal(ifp->if_type, ARPHRD_ETHER);
	assert_int_equal(ifp->if_hwlen, 6);
	assert_memory_equal(ifp->if_hwaddr, hi.hi_hwaddr, 6);
	assert_int_equal(ifp->if_flags, hi.hi_flags);
	assert_true(ifp->if_host);
	assert_ptr_equal(ifp->if_besc, &marker);
	assert_true(has_addr_locked(ifp, AF_INET, &x4, 24));
	assert_true(has_addr_locked(ifp, AF_INET6, &x6, 64));
	/* IPv4: only ours; IPv6: ours and the link-local one. */
	assert_int_equal(count_locked(ifp, AF_INET), 1);
	assert_int_equal(count_locked(ifp, AF_INET6), 2);
	xk_core_unlock();

	/* Attached already, by name and so by index. */
	assert_int_equal(xk_hostif_attach("xkd0", NULL, &ifp2), EEXIST);
	assert_int_equal(xk_hostif_attach("xknosuch0", NULL, &ifp2), ENXIO);
	assert_int_equal(xk_hostif_attach(NULL, NULL, &ifp2), EINVAL);
	assert_int_equal(xk_hostif_attach("xkd0", NULL, NULL), EINVAL);
	detach("xkd0");
}

/* Routes. */

static void
test_route_v4(void **state)
{
	struct in_addr dst, nh;
	uint32_t oif;

	(void)state;
	NEED_NS();
	/* On link. */
	dst = xk_test_a4("10.77.0.9");
	assert_int_equal(xk_hostif_route(AF_INET, &dst, 0, &oif, &nh), 0);
	assert_int_equal(oif, if_nametoindex("xkd0"));
	assert_int_equal(nh.s_addr, dst.s_addr);
	/* Through the gateway. */
	dst = xk_test_a4("10.88.3.4");
	assert_int_equal(xk_hostif_route(AF_INET, &dst, 0, &oif, &nh), 0);
	assert_int_equal(oif, if_nametoindex("xkd0"));
	assert_int_equal(nh.s_addr, xk_test_a4("10.77.0.254").s_addr);
	/* Our own address: the kernel's local route, out of lo. */
	dst = xk_test_a4("10.77.0.1");
	assert_int_equal(xk_hostif_route(AF_INET, &dst, 0, &oif, &nh), 0);
	assert_int_equal(oif, if_nametoindex("lo"));
	assert_int_equal(nh.s_addr, dst.s_addr);
	/* The hint is honoured when the route exists out of it. */
	dst = xk_test_a4("10.77.0.9");
	assert_int_equal(xk_hostif_route(AF_INET, &dst,
	    if_nametoindex("xkd0"), &oif, &nh), 0);
	assert_int_equal(oif, if_nametoindex("xkd0"));
}

static void
test_route_v6(void **state)
{
	struct in6_addr dst, nh;
	uint32_t oif;

	(void)state;
	NEED_NS();
	dst = xk_test_a6("fd00:77::9");
	assert_int_equal(xk_hostif_route(AF_INET6, &dst, 0, &oif, &nh), 0);
	assert_int_equal(oif, if_nametoindex("xkd0"));
	assert_memory_equal(&nh, &dst, 16);
	/* Link-local: only with the interface named. */
	dst = xk_test_a6("fe80::9");
	assert_int_equal(xk_hostif_route(AF_INET6, &dst,
	    if_nametoindex("xkd0"), &oif, &nh), 0);
	assert_int_equal(oif, if_nametoindex("xkd0"));
	assert_memory_equal(&nh, &dst, 16);
}

static void
test_route_errors(void **state)
{
	static const char *const refused[] = {
		"10.99.0.1",	/* unreachable */
		"10.98.0.1",	/* blackhole */
		"10.97.0.1",	/* prohibit */
	};
	struct in6_addr d6, nh6;
	struct in_addr dst, nh;
	uint32_t oif;
	int error;

	(void)state;
	NEED_NS();
	/* No route at all (no default route in our namespace). */
	dst = xk_test_a4("192.0.2.1");
	error = xk_hostif_route(AF_INET, &dst, 0, &oif, &nh);
	assert_true(error == ENETUNREACH || error == EHOSTUNREACH);
	d6 = xk_test_a6("2001:db8::1");
	error = xk_hostif_route(AF_INET6, &d6, 0, &oif, &nh6);
	assert_true(error == ENETUNREACH || error == EHOSTUNREACH);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		dst = xk_test_a4(refused[i]);
		assert_int_equal(xk_hostif_route(AF_INET, &dst, 0, &oif, &nh),
		    EHOSTUNREACH);
	}
	/* An interface that does not exist as the hint. */
	dst = xk_test_a4("10.77.0.9");
	assert_int_equal(xk_hostif_route(AF_INET, &dst, 999999, &oif, &nh),
	    EHOSTUNREACH);
	assert_int_equal(xk_hostif_route(AF_PACKET, &dst, 0, &oif, &nh),
	    EAFNOSUPPORT);
	assert_int_equal(xk_hostif_route(AF_INET, NULL, 0, &oif, &nh),
	    EINVAL);
	assert_int_equal(xk_hostif_route(AF_INET, &dst, 0, NULL, &nh),
	    EINVAL);
}

/* Neighbours. */

static void
test_neigh(void **state)
{
	static const uint8_t mac5[6] = { 2, 0, 0, 0, 0, 5 };
	uint32_t idx = if_nametoindex("xkd0");
	uint8_t ll[16];
	struct in_addr a;
	struct in6_addr b;
	size_t len;

	(void)state;
	NEED_NS();
	SH_OK("ip neigh replace 10.77.0.5 lladdr 02:00:00:00:00:05 dev xkd0");
	SH_OK("ip -6 neigh replace fd00:77::5 lladdr 02:00:00:00:00:05 "
	    "dev xkd0");
	SH_OK("ip neigh replace 10.77.0.7 dev xkd0 nud failed");
	SH_OK("ip neigh replace 10.77.0.8 dev xkd0 nud incomplete");

	a = xk_test_a4("10.77.0.5");
	memset(ll, 0xee, sizeof(ll));
	len = 0;
	assert_int_equal(xk_hostif_neigh(AF_INET, idx, &a, ll, sizeof(ll),
	    &len), 0);
	assert_int_equal(len, 6);
	assert_memory_equal(ll, mac5, 6);
	assert_int_equal(ll[6], 0xee);
	b = xk_test_a6("fd00:77::5");
	len = 0;
	assert_int_equal(xk_hostif_neigh(AF_INET6, idx, &b, ll, sizeof(ll),
	    &len), 0);
	assert_int_equal(len, 6);
	assert_memory_equal(ll, mac5, 6);
	/* A short buffer gets what fits, and the real length. */
	memset(ll, 0xee, sizeof(ll));
	assert_int_equal(xk_hostif_neigh(AF_INET, idx, &a, ll, 4, &len), 0);
	assert_int_equal(len, 6);
	assert_memory_equal(ll, mac5, 4);
	assert_int_equal(ll[4], 0xee);

	/* No entry; on another interface; on no interface. */
	a = xk_test_a4("10.77.0.6");
	assert_int_equal(xk_hostif_neigh(AF_INET, idx, &a, ll, sizeof(ll),
	    &len), ENOENT);
	a = xk_test_a4("10.77.0.5");
	assert_int_equal(xk_hostif_neigh(AF_INET, if_nametoindex("lo"), &a,
	    ll, sizeof(ll), &len), ENOENT);
	assert_int_equal(xk_hostif_neigh(AF_INET, 999999, &a, ll, sizeof(ll),
	    &len), ENOENT);
	/* Resolving, failed. */
	a = xk_test_a4("10.77.0.8");
	assert_int_equal(xk_hostif_neigh(AF_INET, idx, &a, ll, sizeof(ll),
	    &len), ENOENT);
	a = xk_test_a4("10.77.0.7");
	assert_int_equal(xk_hostif_neigh(AF_INET, idx, &a, ll, sizeof(ll),
	    &len), EHOSTUNREACH);

	assert_int_equal(xk_hostif_neigh(AF_INET, 0, &a, ll, sizeof(ll),
	    &len), EINVAL);
	assert_int_equal(xk_hostif_neigh(AF_INET, idx, NULL, ll, sizeof(ll),
	    &len), EINVAL);
	assert_int_equal(xk_hostif_neigh(AF_UNIX, idx, &a, ll, sizeof(ll),
	    &len), EAFNOSUPPORT);
	SH_OK("ip neigh del 10.77.0.5 dev xkd0 && "
	    "ip -6 neigh del fd00:77::5 dev xkd0 && "
	    "ip neigh del 10.77.0.7 dev xkd0 && "
	    "ip neigh del 10.77.0.8 dev xkd0");
}

struct resolve_arg {
	int		 family;
	const void	*addr;
	uint8_t		 ll[16];
	size_t		 len;
	int		 error;
};

static bool
resolved(void *arg)
{
	struct resolve_arg *r = arg;

	r->error = xk_hostif_neigh(r->family, if_nametoindex("xkd0"),
	    r->addr, r->ll, sizeof(r->ll), &r->len);
	return r->error == 0;
}

/*
 * The peer answers: the entry, absent before, becomes usable with the
 * peer's link address.  Nothing else in our namespace talks to it.
 */
static void
test_resolve(void **state)
{
	static const uint8_t peer[6] = { 2, 0, 0, 0, 0x77, 2 };
	struct in_addr a = xk_test_a4("10.77.0.2");
	struct in6_addr b = xk_test_a6("fd00:77::2");
	struct resolve_arg r4 = { .family = AF_INET, .addr = &a };
	struct resolve_arg r6 = { .family = AF_INET6, .addr = &b };
	uint32_t idx = if_nametoindex("xkd0");

	(void)state;
	NEED_NS();
	(void)sh("ip neigh del 10.77.0.2 dev xkd0 2>/dev/null");
	(void)sh("ip -6 neigh del fd00:77::2 dev xkd0 2>/dev/null");
	assert_false(resolved(&r4));
	assert_int_equal(r4.error, ENOENT);
	assert_false(resolved(&r6));
	assert_int_equal(r6.error, ENOENT);
	assert_int_equal(xk_hostif_neigh_resolve(AF_INET, idx, &a), 0);
	assert_int_equal(xk_hostif_neigh_resolve(AF_INET6, idx, &b), 0);
	assert_true(drive_until(resolved, &r4));
	assert_int_equal(r4.len, 6);
	assert_memory_equal(r4.ll, peer, 6);
	assert_true(drive_until(resolved, &r6));
	assert_int_equal(r6.len, 6);
	assert_memory_equal(r6.ll, peer, 6);
	/* Asking again about a usable entry changes nothing. */
	assert_int_equal(xk_hostif_neigh_resolve(AF_INET, idx, &a), 0);
	assert_true(resolved(&r4));

	assert_int_equal(xk_hostif_neigh_resolve(AF_INET, 0, &a), EINVAL);
	assert_int_equal(xk_hostif_neigh_resolve(AF_INET, idx, NULL), EINVAL);
	assert_int_equal(xk_hostif_neigh_resolve(AF_UNIX, idx, &a),
	    EAFNOSUPPORT);
	assert_int_equal(xk_hostif_neigh_resolve(AF_INET, 999999, &a),
	    ENODEV);
}

/* The monitor. */

struct nrec {
	struct in_addr	 want;		/* the entry watched */
	int		 calls;		/* for it */
	int		 other;		/* for anything else */
	int		 total;		/* both */
	uint16_t	 state;
	size_t		 len;
	uint8_t		 ll[16];
	uint32_t	 ifindex;
	bool		 on_loop;	/* every call a loop callback */
	struct xk_hostif_mon *unfollow;	/* stopped by the first call */
};

static void
nrec_cb(void *ctx, int family, uint32_t ifindex, const void *addr,
    const uint8_t *lladdr, size_t lllen, uint16_t state)
{
	struct nrec *r = ctx;

	r->total++;
	r->on_loop &= xk_on_loop_thread() && !xk_core_owned();
	if (r->unfollow != NULL) {
		xk_hostif_unfollow(r->unfollow);
		r->unfollow = NULL;
	}
	if (family != AF_INET || memcmp(addr, &r->want, 4) != 0) {
		r->other++;
		return;
	}
	r->calls++;
	r->ifindex = ifindex;
	r->state = state;
	r->len = lllen;
	assert_true(lllen <= sizeof(r->ll));
	assert_true(lllen == 0 || lladdr != NULL);
	if (lllen > 0) {
		memcpy(r->ll, lladdr, lllen);
	}
}

struct want_addr {
	const char	*name;
	const char	*addr;
	unsigned int	 plen;
	bool		 present;
};

static bool
addr_is(void *arg)
{
	struct want_addr *w = arg;

	return has_addr(w->name, w->addr, w->plen) == w->present;
}

struct want_u32 {
	const char	*name;
	size_t		 off;		/* a uint32_t in __ifnet */
	uint32_t	 mask;
	uint32_t	 value;
};

static bool
field_is(void *arg)
{
	struct want_u32 *w = arg;
	struct __ifnet *ifp;
	uint32_t v = 0;
	bool found;

	xk_core_lock();
	if ((found = (ifp = xk_if_byname_locked(w->name)) != NULL)) {
		memcpy(&v, (char *)ifp + w->off, sizeof(v));
	}
	xk_core_unlock();
	return found && (v & w->mask) == w->value;
}

static bool
int_at_least(void *arg)
{
	return *(int *)arg > 0;
}

#define WANT_ADDR(n, a, p, pr) do {					\
	struct want_addr w_ = { (n), (a), (p), (pr) };			\
	assert_true(drive_until(addr_is, &w_));				\
} while (0)

#define WANT_FIELD(n, f, m, v) do {					\
	struct want_u32 w_ = { (n), offsetof(struct __ifnet, f),	\
	    (m), (v) };							\
	assert_true(drive_until(field_is, &w_));			\
} while (0)

/* Whether the engine's table has an interface called @arg. */
static bool
name_is_attached(void *arg)
{
	bool found;

	xk_core_lock();
	found = xk_if_byname_locked(arg) != NULL;
	xk_core_unlock();
	return found;
}

static void
test_follow(void **state)
{
	static const uint8_t mac9[6] = { 2, 0, 0, 0, 0, 9 };
	struct nrec rec = { .want = xk_test_a4("10.77.0.9"), .on_loop = true };
	struct xk_hostif_mon *mon;
	struct __ifnet *ifp;

	(void)state;
	NEED_NS();
	assert_int_equal(xk_hostif_attach("xkd0", NULL, &ifp), 0);
	assert_non_null(mon = xk_hostif_follow(base, nrec_cb, &rec));
	left_mon = mon;

	SH_OK("ip addr add 10.77.1.1/24 dev xkd0");
	WANT_ADDR("xkd0", "10.77.1.1", 24, true);
	SH_OK("ip link set xkd0 mtu 1300");
	WANT_FIELD("xkd0", if_mtu, 0xffffffff, 1300);
	SH_OK("ip addr del 10.77.0.1/24 dev xkd0");
	WANT_ADDR("xkd0", "10.77.0.1", 24, false);
	assert_true(has_addr("xkd0", "10.77.1.1", 24));
	SH_OK("ip -6 addr add fd00:78::1/64 dev xkd0 nodad");
	WANT_ADDR("xkd0", "fd00:78::1", 64, true);
	SH_OK("ip -6 addr del fd00:78::1/64 dev xkd0");
	WANT_ADDR("xkd0", "fd00:78::1", 64, false);
	SH_OK("ip link set xkd0 down");
	WANT_FIELD("xkd0", if_flags, IFF_UP, 0);
	SH_OK("ip link set xkd0 up");
	WANT_FIELD("xkd0", if_flags, IFF_UP, IFF_UP);
	/* Renamed (down, as the kernel asks) and back. */
	SH_OK("ip link set xkd0 down && ip link set xkd0 name xkr0");
	assert_true(drive_until(name_is_attached, "xkr0"));
	assert_false(name_is_attached("xkd0"));
	SH_OK("ip link set xkr0 name xkd0 && ip link set xkd0 up");
	assert_true(drive_until(name_is_attached, "xkd0"));
	WANT_FIELD("xkd0", if_flags, IFF_UP, IFF_UP);

	/* A new neighbour, then its removal. */
	SH_OK("ip neigh add 10.77.0.9 lladdr 02:00:00:00:00:09 dev xkd0");
	assert_true(drive_until(int_at_least, &rec.calls));
	assert_int_equal(rec.ifindex, if_nametoindex("xkd0"));
	assert_int_equal(rec.state, NUD_PERMANENT);
	assert_int_equal(rec.len, 6);
	assert_memory_equal(rec.ll, mac9, 6);
	rec.calls = 0;
	SH_OK("ip neigh del 10.77.0.9 dev xkd0");
	assert_true(drive_until(int_at_least, &rec.calls));
	assert_int_equal(rec.state, NUD_NONE);
	assert_int_equal(rec.len, 0);
	assert_true(rec.on_loop);

	/* Back as the group set it up. */
	SH_OK("ip link set xkd0 mtu 1400 && "
	    "ip addr add 10.77.0.1/24 dev xkd0 && "
	    "ip addr del 10.77.1.1/24 dev xkd0");
	WANT_ADDR("xkd0", "10.77.1.1", 24, false);
	WANT_ADDR("xkd0", "10.77.0.1", 24, true);
	WANT_FIELD("xkd0", if_mtu, 0xffffffff, 1400);
	assert_int_equal(xk_hostif_overruns(mon), 0);
	left_mon = NULL;
	xk_hostif_unfollow(mon);
	detach("xkd0");
}

/*
 * An interface that disappears stays in the table, down and without
 * addresses; interfaces that are not attached are not followed.
 */
static void
test_follow_dellink(void **state)
{
	struct xk_hostif_mon *mon;
	struct __ifnet *ifp;

	(void)state;
	NEED_NS();
	SH_OK("ip link add xkd1 type veth peer name xkd1p && "
	    "ip addr add 10.79.0.1/24 dev xkd1 && ip link set xkd1 up && "
	    "ip link set xkd1p up");
	assert_int_equal(xk_hostif_attach("xkd1", NULL, &ifp), 0);
	assert_true(has_addr("xkd1", "10.79.0.1", 24));
	assert_non_null(mon = xk_hostif_follow(base, NULL, NULL));
	left_mon = mon;
	WANT_FIELD("xkd1", if_flags, IFF_UP | IFF_RUNNING,
	    IFF_UP | IFF_RUNNING);
	/* Not attached: no trace in the table. */
	SH_OK("ip addr add 10.79.1.1/24 dev xkd1p");
	SH_OK("ip link del xkd1");
	WANT_FIELD("xkd1", if_flags, IFF_UP | IFF_RUNNING, 0);
	WANT_ADDR("xkd1", "10.79.0.1", 24, false);
	xk_core_lock();
	ifp = xk_if_byname_locked("xkd1");
	assert_non_null(ifp);
	assert_int_equal(ifp->if_addrs->len, 0);
	assert_null(xk_if_byname_locked("xkd1p"));
	xk_core_unlock();
	left_mon = NULL;
	xk_hostif_unfollow(mon);
	detach("xkd1");
}

/*
 * More notifications than the socket holds: the kernel drops some, the
 * monitor counts the overrun and reads the interface again, so that a
 * change whose notification was lost still lands.
 */
static void
test_follow_overrun(void **state)
{
	struct xk_hostif_mon *mon;
	struct __ifnet *ifp;
	FILE *f;

	(void)state;
	NEED_NS();
	assert_int_equal(xk_hostif_attach("xkd0", NULL, &ifp), 0);
	assert_non_null(mon = xk_hostif_follow(base, NULL, NULL));
	left_mon = mon;
	/* Each MTU change is a full link message: a few MB in all. */
	assert_non_null(f = popen("ip -batch -", "w"));
	for (int i = 0; i < 12000; i++) {
		fprintf(f, "link set xkd0 mtu %d\n", 1280 + i % 2);
	}
	fprintf(f, "link set xkd0 mtu 1410\n");
	fprintf(f, "address add 10.77.2.1/24 dev xkd0\n");
	assert_int_equal(pclose(f), 0);
	WANT_FIELD("xkd0", if_mtu, 0xffffffff, 1410);
	WANT_ADDR("xkd0", "10.77.2.1", 24, true);
	assert_true(xk_hostif_overruns(mon) >= 1);
	SH_OK("ip link set xkd0 mtu 1400 && ip addr del 10.77.2.1/24 dev xkd0");
	WANT_ADDR("xkd0", "10.77.2.1", 24, false);
	left_mon = NULL;
	xk_hostif_unfollow(mon);
	detach("xkd0");
}

/* The neighbour callback may stop the monitor it is called from. */
static void
test_unfollow_in_cb(void **state)
{
	struct nrec rec = { .want = xk_test_a4("10.77.0.10"), .on_loop = true };
	struct xk_hostif_mon *mon;
	bool called;

	(void)state;
	NEED_NS();
	assert_non_null(mon = xk_hostif_follow(base, nrec_cb, &rec));
	left_mon = mon;
	rec.unfollow = mon;
	SH_OK("ip neigh add 10.77.0.10 lladdr 02:00:00:00:00:0a dev xkd0 && "
	    "ip neigh add 10.77.0.11 lladdr 02:00:00:00:00:0b dev xkd0");
	called = drive_until(int_at_least, &rec.total);
	left_mon = rec.unfollow;	/* NULL: the callback stopped it */
	assert_true(called);
	assert_null(rec.unfollow);
	/* Nothing was read after the first call. */
	for (int i = 0; i < 20; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
	}
	assert_int_equal(rec.total, 1);
	SH_OK("ip neigh del 10.77.0.10 dev xkd0 && "
	    "ip neigh del 10.77.0.11 dev xkd0");
}

static void
test_follow_errors(void **state)
{
	(void)state;
	errno = 0;
	assert_null(xk_hostif_follow(NULL, NULL, NULL));
	assert_int_equal(errno, EINVAL);
	xk_hostif_unfollow(NULL);
}

/*
 * After a test that failed half-way: no monitor left running, nothing
 * left attached, so that the next test starts as the group set it up.
 */
static int
teardown(void **state)
{
	if (left_mon != NULL) {
		xk_hostif_unfollow(left_mon);
		left_mon = NULL;
	}
	if (have_ns) {
		detach("xkd0");
		detach("xkd1");
		detach("xkr0");
	}
	return xk_test_teardown(state);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, xk_test_setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_get_lo),
		T(test_get_errors),
		T(test_get_veth),
		T(test_addrs_lo),
		T(test_addrs_errors),
		T(test_addrs_veth),
		T(test_attach),
		T(test_route_v4),
		T(test_route_v6),
		T(test_route_errors),
		T(test_neigh),
		T(test_resolve),
		T(test_follow),
		T(test_follow_dellink),
		T(test_follow_overrun),
		T(test_unfollow_in_cb),
		T(test_follow_errors),
	};
	int rc;

	/* First, before any thread: the namespaces. */
	have_ns = ns_start();
	if (!have_ns) {
		ns_stop();
		fprintf(stderr, "test_hostif: not root or no namespaces: "
		    "only the loopback cases run\n");
	}
	rc = cmocka_run_group_tests_name("hostif", tests, group_setup,
	    group_teardown);
	ns_stop();
	return rc;
}

#else /* no host backend */

static void
test_hostif_not_built(void **state)
{
	(void)state;
	skip();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostif_not_built),
	};

	return cmocka_run_group_tests_name("hostif", tests, NULL, NULL);
}

#endif /* XK_HAVE_BACKEND_LINUX || XK_HAVE_BACKEND_PCAP */
