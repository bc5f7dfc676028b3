/*
 * The pcap backend on a real link: two network namespaces joined by a
 * veth pair, the library in one of them.  Pings from the peer reach KPI
 * raw sockets; KPI raw sockets reach the peer, through neighbour
 * resolution (the first packet is held, then sent); unreachable next hops
 * fail with EHOSTUNREACH; a burst of small packets fits the capture
 * ring; the counters show all of it.
 *
 * Needs root, iproute2 and ping; skipped otherwise, or when the pcap
 * backend is not built.  Addresses: 10.99.0.0/24 and fd00:99::/64, inside
 * the test's namespaces only.
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
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/kpi_socket.h>
#include <xkpi.h>

#include "core/socket_var.h"
#include "tests/lib/xk_test.h"

#define WAIT_MS		XK_TEST_WAIT_MS	/* the liveness bound */
#define A_ADDR4		"10.99.0.1"
#define B_ADDR4		"10.99.0.2"
#define NOBODY4		"10.99.0.66"	/* on link, never answers */
#define SLOW4		"10.99.0.67"	/* same, resolved slowly */
#define HELD4		"10.99.0.68"	/* same, at shutdown */
#define PROHIBIT4	"10.99.0.200"	/* the host refuses a route */
#define A_ADDR6		"fd00:99::1"
#define B_ADDR6		"fd00:99::2"

static char ns_a[32], ns_b[32], if_a[IF_NAMESIZE], if_b[IF_NAMESIZE];
static int root_ns = -1;
static bool made;			/* namespaces exist: clean up */
static int peer4 = -1, peer6 = -1;	/* raw sockets in ns_b */
static uint16_t echo_seq;

/* Runs a shell command; its status. */
static int __attribute__((format(printf, 1, 2)))
sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

static int
enter_ns(const char *name)
{
	char path[64];
	int fd, rc;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		return -1;
	}
	rc = setns(fd, CLONE_NEWNET);
	close(fd);
	return rc;
}

/* Idempotent: the group teardown and atexit() both call it. */
static void
cleanup(void)
{
	if (peer4 >= 0) {
		close(peer4);
		peer4 = -1;
	}
	if (peer6 >= 0) {
		close(peer6);
		peer6 = -1;
	}
	if (root_ns >= 0) {
		(void)setns(root_ns, CLONE_NEWNET);
		close(root_ns);
		root_ns = -1;
	}
	if (made) {
		made = false;
		(void)sh("ip netns del %s 2>/dev/null", ns_a);
		(void)sh("ip netns del %s 2>/dev/null", ns_b);
	}
}

static bool
skip_reason(const char **why)
{
	if (geteuid() != 0) {
		*why = "needs root";
		return true;
	}
#ifndef XK_HAVE_BACKEND_PCAP
	*why = "pcap backend not built";
	return true;
#endif
	if (sh("command -v ip >/dev/null && command -v ping >/dev/null") !=
	    0) {
		*why = "needs ip and ping";
		return true;
	}
	return false;
}

static const char *skip_why;

static int
group_setup(void **state)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "pcap");
	const int pid = (int)getpid();

	(void)state;
	if (skip_reason(&skip_why)) {
		return 0;
	}
	snprintf(ns_a, sizeof(ns_a), "xkpcapA%d", pid);
	snprintf(ns_b, sizeof(ns_b), "xkpcapB%d", pid);
	snprintf(if_a, sizeof(if_a), "xkpa%d", pid);
	snprintf(if_b, sizeof(if_b), "xkpb%d", pid);
	atexit(cleanup);
	made = true;
	if (sh("ip netns add %s && ip netns add %s", ns_a, ns_b) != 0) {
		goto fail;
	}
	/* No DAD, so that IPv6 addresses work at once. */
	for (int i = 0; i < 2; i++) {
		const char *ns = i == 0 ? ns_a : ns_b;

		if (sh("ip netns exec %s sh -c 'sysctl -qw "
		    "net.ipv6.conf.all.accept_dad=0 && sysctl -qw "
		    "net.ipv6.conf.default.accept_dad=0'", ns) != 0) {
			goto fail;
		}
	}
	if (sh("ip link add %s netns %s type veth peer name %s netns %s",
	    if_a, ns_a, if_b, ns_b) != 0 ||
	    sh("ip -n %s addr add %s/24 dev %s && "
	    "ip -n %s addr add %s/64 dev %s nodad && "
	    "ip -n %s link set %s up && ip -n %s link set lo up",
	    ns_a, A_ADDR4, if_a, ns_a, A_ADDR6, if_a, ns_a, if_a, ns_a) != 0 ||
	    sh("ip -n %s addr add %s/24 dev %s && "
	    "ip -n %s addr add %s/64 dev %s nodad && "
	    "ip -n %s link set %s up && ip -n %s link set lo up",
	    ns_b, B_ADDR4, if_b, ns_b, B_ADDR6, if_b, ns_b, if_b, ns_b) != 0 ||
	    sh("ip -n %s route add prohibit %s/32", ns_a, PROHIBIT4) != 0) {
		goto fail;
	}
	if ((root_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0 ||
	    enter_ns(ns_b) != 0) {
		goto fail;
	}
	/* The peer's plain raw sockets, made in its namespace. */
	peer4 = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	peer6 = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	/* The library (and its loop thread) live in the first one. */
	if (peer4 < 0 || peer6 < 0 || enter_ns(ns_a) != 0) {
		goto fail;
	}
	cfg.ifaces = if_a;
	if (xkpi_init(&cfg) != 0) {
		fprintf(stderr, "xkpi_init(pcap, %s) failed\n", if_a);
		goto fail;
	}
	return 0;
fail:
	cleanup();
	return -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	xkpi_shutdown();
	cleanup();
	return 0;
}

static int
setup(void **state)
{
	if (skip_why != NULL) {
		return 0;
	}
	return xk_test_sock_setup(state);
}

static int
teardown(void **state)
{
	if (skip_why != NULL) {
		return 0;
	}
	return xk_test_sock_teardown(state);
}

#define SKIP_UNLESS_READY() do {					\
	if (skip_why != NULL) {						\
		print_message("skipped: %s\n", skip_why);		\
		skip();							\
	}								\
} while (0)

/* Counters. */

/* Counter pcap.<@ifname>.@what; fails the test when there is none. */
static uint64_t
pcap_ifstat(const char *ifname, const char *what)
{
	char name[64];

	snprintf(name, sizeof(name), "be.pcap.%s.%s", ifname, what);
	return xk_test_stat(name);
}

static uint64_t
pcap_stat(const char *what)
{
	return pcap_ifstat(if_a, what);
}

/* Packets. */

static uint16_t
cksum(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2) {
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	}
	if (len & 1) {
		sum += (uint32_t)(p[len - 1] << 8);
	}
	while (sum >> 16) {
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return htons((uint16_t)~sum);
}

/* An ICMP(v6) echo request with @id, the next sequence number. */
static size_t
echo_build(uint8_t *buf, int family, uint16_t id)
{
	struct icmp6_hdr *ih6 = (struct icmp6_hdr *)(void *)buf;
	struct icmp *ih = (struct icmp *)(void *)buf;

	memset(buf, 0, 64);
	if (family == AF_INET) {
		ih->icmp_type = ICMP_ECHO;
		ih->icmp_id = htons(id);
		ih->icmp_seq = htons(++echo_seq);
		memcpy(ih->icmp_data, "xkpi pcap", 9);
		ih->icmp_cksum = cksum(buf, 64);
	} else {
		/* The engine fills in the ICMPv6 checksum. */
		ih6->icmp6_type = ICMP6_ECHO_REQUEST;
		ih6->icmp6_id = htons(id);
		ih6->icmp6_seq = htons(++echo_seq);
		memcpy(ih6 + 1, "xkpi pcap", 9);
	}
	return 64;
}

static errno_t
kpi_send_echo(socket_t so, int family, const char *to, uint16_t id)
{
	struct sockaddr_storage ss;
	struct msghdr msg;
	struct iovec iov;
	uint8_t buf[64];
	size_t sent = 0;

	memset(&ss, 0, sizeof(ss));
	memset(&msg, 0, sizeof(msg));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, to, &sin->sin_addr), 1);
		msg.msg_namelen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, to, &sin6->sin6_addr),
		    1);
		msg.msg_namelen = sizeof(*sin6);
	}
	iov.iov_base = buf;
	iov.iov_len = echo_build(buf, family, id);
	msg.msg_name = &ss;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	return sock_send(so, &msg, 0, &sent);
}

/* The ICMP(v6) message in a datagram of a raw socket (IPv4: after IP). */
static const uint8_t *
icmp_of(int family, const uint8_t *buf, size_t len, size_t *icmplen)
{
	size_t hl = 0;

	if (family == AF_INET) {
		if (len < sizeof(struct ip)) {
			return NULL;
		}
		hl = (size_t)(buf[0] & 0x0f) * 4;
	}
	if (len < hl + 8) {
		return NULL;
	}
	*icmplen = len - hl;
	return buf + hl;
}

static bool
echo_match(int family, const uint8_t *icmp, int type, int id)
{
	const struct icmp6_hdr *ih6 = (const struct icmp6_hdr *)icmp;
	const struct icmp *ih = (const struct icmp *)icmp;

	if (family == AF_INET) {
		return ih->icmp_type == type &&
		    (id < 0 || ntohs(ih->icmp_id) == id);
	}
	return ih6->icmp6_type == type &&
	    (id < 0 || ntohs(ih6->icmp6_id) == id);
}

/* Waits at most WAIT_MS for an echo of @type (and @id, unless -1). */
static bool
peer_wait_echo(int family, int type, int id)
{
	int fd = family == AF_INET ? peer4 : peer6;
	int64_t end = xk_test_now_us() + WAIT_MS * 1000;
	uint8_t buf[2048];

	while (xk_test_now_us() < end) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		const uint8_t *icmp;
		size_t icmplen;
		ssize_t n;

		if (poll(&pfd, 1, 100) <= 0) {
			continue;
		}
		if ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) <= 0) {
			continue;
		}
		if ((icmp = icmp_of(family, buf, (size_t)n, &icmplen)) !=
		    NULL && echo_match(family, icmp, type, id)) {
			return true;
		}
	}
	return false;
}

/* Drains what the peer's sockets have queued so far. */
static void
peer_drain(void)
{
	uint8_t buf[2048];

	while (recv(peer4, buf, sizeof(buf), MSG_DONTWAIT) > 0) {
	}
	while (recv(peer6, buf, sizeof(buf), MSG_DONTWAIT) > 0) {
	}
}

/*
 * Counts the echoes of @type (from @from, with @id unless -1) a KPI raw
 * socket receives, until @want or WAIT_MS.
 */
static int
kpi_count_echo(socket_t so, int family, int type, int id, const char *from,
    int want)
{
	int64_t end = xk_test_now_us() + WAIT_MS * 1000;
	union {
		struct sockaddr_in	sin;
		struct sockaddr_in6	sin6;
	} src, want_src;
	int got = 0;

	memset(&want_src, 0, sizeof(want_src));
	assert_int_equal(inet_pton(family, from, family == AF_INET ?
	    (void *)&want_src.sin.sin_addr : (void *)&want_src.sin6.sin6_addr),
	    1);
	xk_test_rcvtimeo(so, 100);
	while (got < want && xk_test_now_us() < end) {
		uint8_t buf[2048];
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr msg;
		const uint8_t *icmp;
		size_t n = 0, icmplen;
		bool same;

		memset(&msg, 0, sizeof(msg));
		memset(&src, 0, sizeof(src));
		msg.msg_name = &src;
		msg.msg_namelen = sizeof(src);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		if (sock_receive(so, &msg, 0, &n) != 0) {
			continue;
		}
		same = family == AF_INET ?
		    src.sin.sin_addr.s_addr == want_src.sin.sin_addr.s_addr :
		    IN6_ARE_ADDR_EQUAL(&src.sin6.sin6_addr,
		    &want_src.sin6.sin6_addr);
		if (same && (icmp = icmp_of(family, buf, n, &icmplen)) !=
		    NULL && echo_match(family, icmp, type, id)) {
			got++;
		}
	}
	return got;
}

static socket_t
kpi_icmp(int family)
{
	socket_t so = NULL;

	assert_int_equal(sock_socket(family == AF_INET ? PF_INET : PF_INET6,
	    SOCK_RAW, family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6,
	    NULL, NULL, &so), 0);
	return so;
}

/* The tests. */

static void
test_attach_errors(void **state)
{
	(void)state;
	SKIP_UNLESS_READY();
	assert_int_equal(xkpi_if_attach("xknosuch0"), ENXIO);
	/* Loopback has no Ethernet framing. */
	assert_int_equal(xkpi_if_attach("lo"), EPROTONOSUPPORT);
	assert_int_equal(xkpi_if_attach(if_a), EEXIST);
}

#define EPERM_CHILD_OK		77	/* the child saw EPERM */
static char self_path[PATH_MAX];	/* this program, not a wrapper */

/*
 * The child of test_attach_eperm(), a fresh process in the library's
 * namespace: without CAP_NET_RAW, attaching must fail with EPERM.
 * Exits with EPERM_CHILD_OK when xkpi_init() said EPERM, a status no
 * other way of ending (a wrapper such as valgrind refusing the
 * arguments, exec failing, a crash) gives; otherwise it names the errno
 * on stderr and exits 12.
 */
static int
eperm_child(const char *ifname)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "pcap",
	    .ifaces = ifname, .log_level = XKPI_LOG_OFF);
	int error;

	if (syscall(SYS_capget, &hdr, data) != 0) {
		return 10;
	}
	for (int i = 0; i < 2; i++) {
		data[i].effective &= ~(i == CAP_NET_RAW / 32 ?
		    1u << (CAP_NET_RAW % 32) : 0);
		data[i].permitted = data[i].effective;
		data[i].inheritable = 0;
	}
	if (syscall(SYS_capset, &hdr, data) != 0) {
		return 11;
	}
	error = xkpi_init(&cfg);
	xkpi_shutdown();
	if (error != EPERM) {
		fprintf(stderr, "eperm child: xkpi_init: %d\n", error);
		return 12;
	}
	return EPERM_CHILD_OK;
}

static void
test_attach_eperm(void **state)
{
	int status = 0;
	int64_t end;
	pid_t pid;

	(void)state;
	SKIP_UNLESS_READY();
	/*
	 * This program's own file, not /proc/self/exe: under valgrind that
	 * is valgrind, which would refuse the arguments with status 1.
	 */
	assert_true(self_path[0] == '/');
	if ((pid = fork()) == 0) {
		execl(self_path, "test_be_pcap", "--eperm-child", if_a,
		    (char *)NULL);
		_exit(13);
	}
	assert_true(pid > 0);
	/* The child starts and stops a library. */
	end = xk_test_now_us() + (int64_t)WAIT_MS * 1000;
	while (waitpid(pid, &status, WNOHANG) == 0 &&
	    xk_test_now_us() < end) {
		xk_test_sleep_ms(10);
	}
	if (waitpid(pid, &status, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fail_msg("the unprivileged child did not finish");
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), EPERM_CHILD_OK);
}

/* Plain ping from the peer: the requests reach a KPI raw socket. */
static void
ping_in(int family, const char *from, const char *to)
{
	socket_t so = kpi_icmp(family);
	uint64_t rx0 = pcap_stat("received");

	/* ping waits for its replies as long as the tests wait. */
	assert_int_equal(sh("ip netns exec %s timeout %d ping -%c -n -q "
	    "-c 3 -i 0.2 -W %d %s >/dev/null", ns_b, WAIT_MS / 1000 + 10,
	    family == AF_INET ? '4' : '6', WAIT_MS / 1000, to), 0);
	assert_int_equal(kpi_count_echo(so, family, family == AF_INET ?
	    ICMP_ECHO : ICMP6_ECHO_REQUEST, -1, from, 3), 3);
	assert_true(pcap_stat("received") >= rx0 + 3);
	sock_close(so);
}

static void
test_ping_in4(void **state)
{
	(void)state;
	SKIP_UNLESS_READY();
	ping_in(AF_INET, B_ADDR4, A_ADDR4);
}

static void
test_ping_in6(void **state)
{
	(void)state;
	SKIP_UNLESS_READY();
	ping_in(AF_INET6, B_ADDR6, A_ADDR6);
}

/*
 * 300 echo requests from the peer while the loop cannot read (the core
 * lock held): all wait in the capture ring, none is dropped, and all
 * reach a KPI raw socket afterwards.  With the frames sized for the
 * largest snapshot libpcap allows, the ring held 16 of them.
 */
static void
test_burst_fits(void **state)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	socket_t so;
	uint64_t rx0, drop0;
	uint8_t buf[64];
	int rcvbuf = 4 << 20;

	(void)state;
	SKIP_UNLESS_READY();
	so = kpi_icmp(AF_INET);
	/* Room for the whole burst: the loop delivers it at once. */
	assert_int_equal(sock_setsockopt(so, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
	    sizeof(rcvbuf)), 0);
	assert_int_equal(inet_pton(AF_INET, A_ADDR4, &to.sin_addr), 1);
	/* The peer knows our link address first: nothing waits on ARP. */
	assert_int_equal(sh("ip netns exec %s ping -4 -n -q -c 1 -W %d %s "
	    ">/dev/null", ns_b, WAIT_MS / 1000, A_ADDR4), 0);
	drop0 = pcap_stat("kernel_drop");
	rx0 = pcap_stat("received");
	xk_core_lock();
	for (int i = 0; i < 300; i++) {
		size_t len = echo_build(buf, AF_INET, 0x7a7a);

		if (sendto(peer4, buf, len, 0, (struct sockaddr *)&to,
		    sizeof(to)) != (ssize_t)len) {
			xk_core_unlock();
			fail_msg("sendto: %s", strerror(errno));
		}
	}
	xk_core_unlock();
	assert_int_equal(kpi_count_echo(so, AF_INET, ICMP_ECHO, 0x7a7a,
	    B_ADDR4, 300), 300);
	assert_true(pcap_stat("received") >= rx0 + 300);
	assert_int_equal(pcap_stat("kernel_drop"), drop0);
	sock_close(so);
	peer_drain();
}

/*
 * A KPI echo request to a neighbour nobody has resolved yet: held, then
 * sent; the peer sees it and its reply comes back to the KPI socket.  The
 * next one finds the neighbour and goes straight out; the one after
 * finds it remembered and is framed from the caller's memory
 * (ip.out.direct, ip6.out.direct), the ICMPv6 checksum spliced in: the
 * peer's kernel drops a wrong one.
 */
static void
echo_out(int family, const char *to, uint16_t id)
{
	const char *direct = family == AF_INET ? "ip.out.direct" :
	    "ip6.out.direct";
	socket_t so = kpi_icmp(family);
	uint64_t held0, sent0, direct0;

	assert_int_equal(sh("ip -n %s neigh flush dev %s", ns_a, if_a), 0);
	peer_drain();
	held0 = pcap_stat("held");
	sent0 = pcap_stat("sent");
	assert_int_equal(kpi_send_echo(so, family, to, id), 0);
	assert_true(peer_wait_echo(family, family == AF_INET ? ICMP_ECHO :
	    ICMP6_ECHO_REQUEST, id));
	assert_int_equal(pcap_stat("held"), held0 + 1);
	assert_true(pcap_stat("sent") >= sent0 + 1);
	assert_int_equal(kpi_count_echo(so, family, family == AF_INET ?
	    ICMP_ECHOREPLY : ICMP6_ECHO_REPLY, id, to, 1), 1);
	/* Resolved now: no wait. */
	assert_int_equal(kpi_send_echo(so, family, to, id), 0);
	assert_true(peer_wait_echo(family, family == AF_INET ? ICMP_ECHO :
	    ICMP6_ECHO_REQUEST, id));
	assert_int_equal(pcap_stat("held"), held0 + 1);
	direct0 = xk_test_stat(direct);
	assert_int_equal(kpi_send_echo(so, family, to, id), 0);
	assert_true(peer_wait_echo(family, family == AF_INET ? ICMP_ECHO :
	    ICMP6_ECHO_REQUEST, id));
	assert_int_equal(xk_test_stat(direct), direct0 + 1);
	sock_close(so);
}

static void
test_echo_out4(void **state)
{
	(void)state;
	SKIP_UNLESS_READY();
	echo_out(AF_INET, B_ADDR4, 0x5a01);
}

static void
test_echo_out6(void **state)
{
	(void)state;
	SKIP_UNLESS_READY();
	echo_out(AF_INET6, B_ADDR6, 0x5a02);
}

/*
 * How the host of the library's namespace resolves IPv4 neighbours:
 * @probes requests @ms apart.  The kernel's own (3, 1000) unless a test
 * needs a quick failure or a slow one: a quicker default would turn a
 * loaded machine's late reply into a lost packet.
 */
static void
neigh_probes(int probes, int ms)
{
	assert_int_equal(sh("ip netns exec %s sh -c 'sysctl -qw "
	    "net.ipv4.neigh.%s.mcast_solicit=%d && sysctl -qw "
	    "net.ipv4.neigh.%s.retrans_time_ms=%d'", ns_a, if_a, probes,
	    if_a, ms), 0);
}

/* Nobody answers for NOBODY4: held, dropped, then EHOSTUNREACH. */
static void
test_unresolved(void **state)
{
	socket_t so;
	int64_t end;
	uint64_t held0, lost0, unres0;
	errno_t error = 0;

	(void)state;
	SKIP_UNLESS_READY();
	so = kpi_icmp(AF_INET);
	(void)sh("ip -n %s neigh del %s dev %s 2>/dev/null", ns_a, NOBODY4,
	    if_a);
	held0 = pcap_stat("held");
	lost0 = pcap_stat("unresolved") + pcap_stat("hold_timeout");
	unres0 = pcap_stat("unresolved");
	/* A quick failure: one probe, 100 ms. */
	neigh_probes(1, 100);
	/* The first is held (and counts as sent), as BSD does. */
	assert_int_equal(kpi_send_echo(so, AF_INET, NOBODY4, 0x5a03), 0);
	assert_int_equal(pcap_stat("held"), held0 + 1);
	/* Once the host gives up on it, sends fail at once. */
	end = xk_test_now_us() + (int64_t)WAIT_MS * 1000;
	while (xk_test_now_us() < end &&
	    (error = kpi_send_echo(so, AF_INET, NOBODY4, 0x5a03)) == 0) {
		xk_test_sleep_ms(100);
	}
	assert_int_equal(error, EHOSTUNREACH);
	/* Every held packet is dropped and counted, within its life. */
	end = xk_test_now_us() + (int64_t)WAIT_MS * 1000;
	while (xk_test_now_us() < end &&
	    pcap_stat("unresolved") + pcap_stat("hold_timeout") - lost0 <
	    pcap_stat("held") - held0 + 1) {
		xk_test_sleep_ms(100);
	}
	assert_int_equal(pcap_stat("unresolved") + pcap_stat("hold_timeout") -
	    lost0, pcap_stat("held") - held0 + 1);
	assert_true(pcap_stat("unresolved") > unres0);
	sock_close(so);
	neigh_probes(3, 1000);
}

/* Slow resolution: a full hold pushes its oldest out; 3 s end the rest. */
static void
test_hold_limits(void **state)
{
	socket_t so;
	int64_t end;
	uint64_t drop0, timeout0, held0;

	(void)state;
	SKIP_UNLESS_READY();
	/*
	 * Probes a second apart: the host keeps trying well past the 3 s
	 * hold, and past the liveness bound, however slow this run is.
	 */
	neigh_probes(WAIT_MS / 1000 + 10, 1000);
	so = kpi_icmp(AF_INET);
	held0 = pcap_stat("held");
	drop0 = pcap_stat("hold_drop");
	timeout0 = pcap_stat("hold_timeout");
	for (int i = 0; i < 20; i++) {
		assert_int_equal(kpi_send_echo(so, AF_INET, SLOW4, 0x5a05), 0);
	}
	assert_int_equal(pcap_stat("held"), held0 + 20);
	assert_int_equal(pcap_stat("hold_drop"), drop0 + 4);
	/* The backend holds for 3 s; the liveness bound counts after that. */
	end = xk_test_now_us() + (int64_t)(3000 + WAIT_MS) * 1000;
	while (xk_test_now_us() < end &&
	    pcap_stat("hold_timeout") < timeout0 + 16) {
		xk_test_sleep_ms(100);
	}
	assert_int_equal(pcap_stat("hold_timeout"), timeout0 + 16);
	sock_close(so);
	neigh_probes(3, 1000);
}

/* The host's route says no: EHOSTUNREACH, counted as noroute. */
static void
test_noroute(void **state)
{
	socket_t so;
	uint64_t n0;

	(void)state;
	SKIP_UNLESS_READY();
	so = kpi_icmp(AF_INET);
	n0 = pcap_stat("noroute");
	assert_int_equal(kpi_send_echo(so, AF_INET, PROHIBIT4, 0x5a04),
	    EHOSTUNREACH);
	assert_int_equal(pcap_stat("noroute"), n0 + 1);
	sock_close(so);
}

static void
test_stats_names(void **state)
{
	static const char *const names[] = {
		"received", "outseen", "nonip", "vlan", "runt", "truncated",
		"rxerrors",
		"nomem", "sent", "oerrors", "noroute", "unresolved", "held",
		"hold_drop", "hold_timeout", "hold_lost", "kernel_drop",
		"if_drop",
	};

	(void)state;
	SKIP_UNLESS_READY();
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		(void)pcap_stat(names[i]);
	}
	/* Pings and ARP went by: some frames were not IP. */
	assert_true(pcap_stat("nonip") > 0);
	assert_int_equal(pcap_stat("truncated"), 0);
	assert_int_equal(pcap_stat("nomem"), 0);
}

/* An attached interface deleted under the capture: receive stops. */
static void
test_iface_gone(void **state)
{
	char gone[IF_NAMESIZE], other[IF_NAMESIZE];
	int64_t end;

	(void)state;
	SKIP_UNLESS_READY();
	snprintf(gone, sizeof(gone), "xkpc%d", (int)getpid());
	snprintf(other, sizeof(other), "xkpd%d", (int)getpid());
	assert_int_equal(sh("ip -n %s link add %s type veth peer name %s && "
	    "ip -n %s link set %s up && ip -n %s link set %s up", ns_a, gone,
	    other, ns_a, gone, ns_a, other), 0);
	assert_int_equal(xkpi_if_attach(gone), 0);
	assert_int_equal(pcap_ifstat(gone, "rxerrors"), 0);
	assert_int_equal(sh("ip -n %s link del %s", ns_a, gone), 0);
	end = xk_test_now_us() + WAIT_MS * 1000;
	while (xk_test_now_us() < end && pcap_ifstat(gone, "rxerrors") == 0) {
		xk_test_sleep_ms(50);
	}
	assert_int_equal(pcap_ifstat(gone, "rxerrors"), 1);
	/*
	 * Once: the dead handle is not polled again.  Two barriers: every
	 * event pending now has been handled, a poll of it included.
	 */
	xk_test_loop_barrier();
	xk_test_loop_barrier();
	assert_int_equal(pcap_ifstat(gone, "rxerrors"), 1);
}

/*
 * Packets held for a next hop still resolving at xkpi_shutdown(): they
 * have the drain's bound to leave, then are dropped, counted (hold_lost,
 * if.IF.oqdrops) and logged with their number, never freed unsaid.
 */
static void
test_shutdown_counts_held(void **state)
{
	unsigned int lost = 0;
	const char *msgs, *p;
	socket_t so;

	(void)state;
	SKIP_UNLESS_READY();
	/* Probes a second apart: the host still tries after the bound. */
	assert_int_equal(sh("ip netns exec %s sh -c 'sysctl -qw "
	    "net.ipv4.neigh.%s.mcast_solicit=10 && sysctl -qw "
	    "net.ipv4.neigh.%s.retrans_time_ms=1000'", ns_a, if_a, if_a), 0);
	so = kpi_icmp(AF_INET);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(kpi_send_echo(so, AF_INET, HELD4, 0x5a06), 0);
	}
	assert_int_equal(pcap_stat("hold_lost"), 0);
	sock_close(so);
	xk_test_log_keep();
	xkpi_shutdown();
	msgs = xk_test_log_kept();
	(void)sh("ip netns exec %s sh -c 'sysctl -qw "
	    "net.ipv4.neigh.%s.mcast_solicit=1 && sysctl -qw "
	    "net.ipv4.neigh.%s.retrans_time_ms=100'", ns_a, if_a, if_a);
	print_message("%s", msgs);
	assert_non_null(p = strstr(msgs, "pcap: "));
	assert_int_equal(sscanf(p, "pcap: %u held packet(s) did not leave by "
	    "shutdown", &lost), 1);
	assert_int_equal(lost, 5);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_attach_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_attach_eperm, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ping_in4, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ping_in6, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_burst_fits, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_echo_out4, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_echo_out6, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unresolved, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hold_limits, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_noroute, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stats_names, setup,
		    teardown),
		/* Last: it leaves a dead interface attached. */
		cmocka_unit_test_setup_teardown(test_iface_gone, setup,
		    teardown),
		/* After the last: it shuts the library down. */
		cmocka_unit_test(test_shutdown_counts_held),
	};

	if (argc == 3 && strcmp(argv[1], "--eperm-child") == 0) {
		return eperm_child(argv[2]);
	}
	if (realpath(argv[0], self_path) == NULL) {
		self_path[0] = '\0';
	}
	return cmocka_run_group_tests_name("be_pcap", tests, group_setup,
	    group_teardown);
}
