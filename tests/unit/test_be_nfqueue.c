/*
 * The nfqueue backend alone, through its ops table, in a network
 * namespace of the test's own with a veth pair to a peer namespace and
 * iptables rules the test installs (root only; every case skips, saying
 * why, when that cannot be set up).  The test plays the engine: its own
 * be_input keeps what arrives, and the cases give the verdicts.
 *
 * Checked: packets queued on INPUT and OUTPUT reach be_input with their
 * direction, interface, hold id and a complete checksum; ACCEPT lets
 * them through, DROP drops them, ACCEPT with new bytes delivers those
 * bytes; a second verdict is ENOENT; the hold bound drops and counts;
 * a full queue fails open, or closed and counted; a full table of held
 * packets drops its oldest, counted; packets the backend sends
 * (be_output, be_inject_in) carry the mark and do not come back;
 * stop accepts what is held; bad XKPI_NFQUEUE* values are EINVAL; a
 * queue bound elsewhere is EBUSY; without privilege, EPERM.  With the
 * library running two loop threads over queues 0-1: two channels, every
 * datagram of a --queue-balance rule delivered, each flow through one
 * queue and handed to the engine by that queue's loop; a queue of the
 * range bound elsewhere stops the start (EBUSY).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#ifdef XK_HAVE_BACKEND_NFQUEUE

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netinet/kpi_ipfilter.h>
#include <sys/kpi_mbuf.h>
#include <xkpi.h>

#include "backends/backend.h"
#include "core/if_var.h"
#include "core/mbuf_var.h"
#include "core/socket_var.h"
#include "tests/lib/xk_test.h"

#define MARK		0x786b
#define LOCAL4		"10.207.0.1"
#define PEER4		"10.207.0.2"
#define LOCAL6		"fd00:207::1"
#define PEER6		"fd00:207::2"
#define MAXGOT		64

static const char *skip_why;	/* NULL: the namespace is ready */
static char peer_ns[32];	/* the peer namespace's name */
static int self_fd = -1;	/* our namespace */
static int peer_fd = -1;	/* the peer's */

static const struct xk_backend_ops *ops = &xk_be_nfqueue_ops;

/* The engine the test plays. */
struct tbe {
	struct xk_backend be;
	struct event_base *base;
	bool open;
	struct xk_be_pkt got[MAXGOT];
	unsigned int ngot;
};
static struct tbe T;

#define NEED_NS() do {							\
	if (skip_why != NULL) {						\
		skip();							\
	}								\
} while (0)

/* Runs a shell command; its exit status. */
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

static void
t_input(struct xk_backend *be, struct xk_be_pkt *pkts, unsigned int n)
{
	(void)be;
	for (unsigned int i = 0; i < n; i++) {
		if (T.ngot < MAXGOT) {
			T.got[T.ngot++] = pkts[i];
		} else {
			xk_m_freem(pkts[i].bp_m);
		}
	}
}

/* Opens the backend as the engine would; its errno. */
static int
be_up(void)
{
	int error;

	memset(&T, 0, sizeof(T));
	assert_non_null(T.base = event_base_new());
	T.be.be_ops = ops;
	T.be.be_base = T.base;
	T.be.be_input = t_input;
	if ((error = ops->be_open(&T.be)) != 0) {
		event_base_free(T.base);
		T.base = NULL;
		return error;
	}
	T.open = true;
	return 0;
}

static void
be_stop_only(void)
{
	ops->be_stop(&T.be);
}

static void
be_close_only(void)
{
	ops->be_close(&T.be);
	T.open = false;
	for (unsigned int i = 0; i < T.ngot; i++) {
		xk_m_freem(T.got[i].bp_m);
		T.got[i].bp_m = NULL;
	}
	xk_core_lock();
	xk_if_detach_all_locked();
	xk_core_unlock();
	event_base_free(T.base);
	T.base = NULL;
}

static void
be_down(void)
{
	if (T.open) {
		be_stop_only();
		be_close_only();
	}
}

/* A counter of the backend by name; -1 when it reports none. */
struct stat_q {
	const char *name;
	int64_t value;
};

static void
stat_fn(void *ctx, const char *name, uint64_t value)
{
	struct stat_q *q = ctx;

	if (strcmp(name, q->name) == 0) {
		q->value = (int64_t)value;
	}
}

static int64_t
bstat(const char *name)
{
	struct stat_q q = { name, -1 };

	xk_core_lock();
	ops->be_stats(&T.be, stat_fn, &q);
	xk_core_unlock();
	return q.value;
}

/* Turns the loop until @cond holds (true) or the liveness bound passes. */
static bool
run_until(bool (*cond)(void *), void *arg)
{
	int64_t end = xk_test_now_us() + (int64_t)xk_test_liveness_ms() * 1000;

	while (!cond(arg)) {
		if (xk_test_now_us() > end) {
			return false;
		}
		event_base_loop(T.base, EVLOOP_NONBLOCK);
		usleep(500);
	}
	return true;
}

static bool
got_n(void *arg)
{
	return T.ngot >= *(unsigned int *)arg;
}

static void
await_got(unsigned int n)
{
	assert_true(run_until(got_n, &n));
}

struct stat_at {
	const char *name;
	int64_t atleast;
};

static bool
stat_reached(void *arg)
{
	struct stat_at *s = arg;

	return bstat(s->name) >= s->atleast;
}

/* A UDP socket bound to @addr:@port in our namespace or the peer's. */
static int
udp_sock(bool peer, int family, const char *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (void *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		inet_pton(AF_INET, addr, &sin->sin_addr);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (void *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &sin6->sin6_addr);
		len = sizeof(*sin6);
	}
	if (peer) {
		assert_int_equal(setns(peer_fd, CLONE_NEWNET), 0);
	}
	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (peer) {
		assert_int_equal(setns(self_fd, CLONE_NEWNET), 0);
	}
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&ss, len), 0);
	return fd;
}

static void
udp_send(int fd, int family, const char *addr, uint16_t port,
    const char *msg)
{
	struct sockaddr_storage ss;
	socklen_t len;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (void *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		inet_pton(AF_INET, addr, &sin->sin_addr);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (void *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &sin6->sin6_addr);
		len = sizeof(*sin6);
	}
	assert_int_equal(sendto(fd, msg, strlen(msg), 0,
	    (struct sockaddr *)&ss, len), (ssize_t)strlen(msg));
}

/* Polls @fd while the loop turns; the datagram in @buf, or "" at the bound. */
struct rx_wait {
	int fd;
	char *buf;
	size_t cap;
	ssize_t n;
};

static bool
rx_ready(void *arg)
{
	struct rx_wait *w = arg;

	w->n = recv(w->fd, w->buf, w->cap - 1, MSG_DONTWAIT);
	return w->n >= 0;
}

struct rx_from_wait {
	int fd;
	char *buf;
	size_t cap;
	ssize_t n;
	struct sockaddr_in *from;
	socklen_t *flen;
};

static bool
rx_from(void *arg)
{
	struct rx_from_wait *w = arg;

	w->n = recvfrom(w->fd, w->buf, w->cap, MSG_DONTWAIT,
	    (struct sockaddr *)w->from, w->flen);
	return w->n >= 0;
}

static void
rx_expect(int fd, const char *want)
{
	char buf[256];
	struct rx_wait w = { fd, buf, sizeof(buf), -1 };

	assert_true(run_until(rx_ready, &w));
	buf[w.n] = '\0';
	assert_string_equal(buf, want);
}

/* Nothing waits on @fd now. */
static void
rx_none(int fd)
{
	char buf[64];

	assert_int_equal(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

static int
verdict(uint64_t hold, enum xk_verdict v, struct __mbuf *m)
{
	int error;

	xk_core_lock();
	error = ops->be_verdict(&T.be, hold, v, m);
	xk_core_unlock();
	return error;
}

/* The one's complement sum of @len bytes at @p, folded. */
static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		sum += (i & 1) != 0 ? p[i] : (uint32_t)p[i] << 8;
	}
	while (sum >> 16) {
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return sum;
}

/* Whether the UDP checksum of IPv4 packet @p is right (or absent). */
static bool
udp4_csum_ok(const uint8_t *p, size_t len)
{
	size_t hl = (size_t)(p[0] & 0xf) * 4, ulen = len - hl;
	uint8_t ph[12];

	if (p[hl + 6] == 0 && p[hl + 7] == 0) {
		return true;
	}
	memcpy(ph, p + 12, 8);
	ph[8] = 0;
	ph[9] = IPPROTO_UDP;
	ph[10] = (uint8_t)(ulen >> 8);
	ph[11] = (uint8_t)ulen;
	return csum_add(csum_add(0, ph, sizeof(ph)), p + hl, ulen) == 0xffff;
}

/* Recomputes the UDP checksum of IPv4 packet @p in place. */
static void
udp4_csum_fix(uint8_t *p, size_t len)
{
	size_t hl = (size_t)(p[0] & 0xf) * 4, ulen = len - hl;
	uint8_t ph[12];
	uint32_t sum;

	p[hl + 6] = p[hl + 7] = 0;
	memcpy(ph, p + 12, 8);
	ph[8] = 0;
	ph[9] = IPPROTO_UDP;
	ph[10] = (uint8_t)(ulen >> 8);
	ph[11] = (uint8_t)ulen;
	sum = ~csum_add(csum_add(0, ph, sizeof(ph)), p + hl, ulen) & 0xffff;
	if (sum == 0) {
		sum = 0xffff;
	}
	p[hl + 6] = (uint8_t)(sum >> 8);
	p[hl + 7] = (uint8_t)sum;
}

/* An IPv4 UDP packet @src:@sport -> @dst:@dport carrying @msg. */
static struct __mbuf *
udp4_packet(const char *src, const char *dst, uint16_t sport, uint16_t dport,
    const char *msg)
{
	uint8_t p[256];
	size_t len = 28 + strlen(msg);
	uint32_t sum;

	memset(p, 0, sizeof(p));
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[8] = 64;
	p[9] = IPPROTO_UDP;
	inet_pton(AF_INET, src, p + 12);
	inet_pton(AF_INET, dst, p + 16);
	sum = ~csum_add(0, p, 20) & 0xffff;
	p[10] = (uint8_t)(sum >> 8);
	p[11] = (uint8_t)sum;
	p[20] = (uint8_t)(sport >> 8);
	p[21] = (uint8_t)sport;
	p[22] = (uint8_t)(dport >> 8);
	p[23] = (uint8_t)dport;
	p[24] = (uint8_t)((len - 20) >> 8);
	p[25] = (uint8_t)(len - 20);
	memcpy(p + 28, msg, strlen(msg));
	udp4_csum_fix(p, len);
	return xk_m_devget(p, len);
}

/* The packet @i the backend handed over, contiguous in @buf. */
static size_t
got_bytes(unsigned int i, uint8_t *buf, size_t cap)
{
	size_t len = xk_m_length(T.got[i].bp_m);

	assert_true(len <= cap);
	assert_int_equal(xk_m_copydata(T.got[i].bp_m, 0, len, buf), 0);
	return len;
}

static void
clear_env(void)
{
	unsetenv("XKPI_NFQUEUE");
	unsetenv("XKPI_NFQUEUE_FAIL");
	unsetenv("XKPI_NFQUEUE_HOLD_MS");
	unsetenv("XKPI_NFQUEUE_MARK");
	unsetenv("XKPI_NFQUEUE_MAXLEN");
}

static int
setup(void **state)
{
	clear_env();
	return xk_test_setup(state);
}

static int
teardown(void **state)
{
	be_down();
	clear_env();
	if (skip_why == NULL) {
		(void)sh("iptables -F INPUT; iptables -F OUTPUT; "
		    "ip6tables -F INPUT; ip6tables -F OUTPUT");
	}
	return xk_test_teardown(state);
}

/* Queue the UDP datagrams to @port arriving on xkn0 (queue 0). */
static void
rule_in(int port)
{
	assert_int_equal(sh("iptables -A INPUT -i xkn0 -p udp --dport %d "
	    "-m mark ! --mark 0x%x -j NFQUEUE --queue-num 0 --queue-bypass",
	    port, MARK), 0);
}

/* Queue the UDP datagrams to @port leaving by xkn0 (queue 0). */
static void
rule_out(int port)
{
	assert_int_equal(sh("iptables -A OUTPUT -o xkn0 -p udp --dport %d "
	    "-m mark ! --mark 0x%x -j NFQUEUE --queue-num 0 --queue-bypass",
	    port, MARK), 0);
}

static void
up_attached(void)
{
	struct __ifnet *ifp;

	assert_int_equal(be_up(), 0);
	assert_int_equal(ops->be_attach(&T.be, "xkn0", &ifp), 0);
}

/* Every bad value of every variable: EINVAL, before anything opens. */
static void
test_bad_env(void **state)
{
	static const struct {
		const char *var, *val;
	} bad[] = {
		{ "XKPI_NFQUEUE", "x" },
		{ "XKPI_NFQUEUE", "1-" },
		{ "XKPI_NFQUEUE", "-1" },
		{ "XKPI_NFQUEUE", "5-2" },
		{ "XKPI_NFQUEUE", "65536" },
		{ "XKPI_NFQUEUE", "1,,2" },
		{ "XKPI_NFQUEUE", "1,1" },
		{ "XKPI_NFQUEUE", "1,0-3" },
		{ "XKPI_NFQUEUE", "0-5000" },
		{ "XKPI_NFQUEUE", " 1" },
		{ "XKPI_NFQUEUE_FAIL", "maybe" },
		{ "XKPI_NFQUEUE_HOLD_MS", "0" },
		{ "XKPI_NFQUEUE_HOLD_MS", "10x" },
		{ "XKPI_NFQUEUE_MARK", "0" },
		{ "XKPI_NFQUEUE_MARK", "zz" },
		{ "XKPI_NFQUEUE_MAXLEN", "0" },
		{ "XKPI_NFQUEUE_MAXLEN", "-3" },
	};

	(void)state;
	NEED_NS();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv(bad[i].var, bad[i].val, 1);
		if (be_up() != EINVAL) {
			fail_msg("%s=%s: not EINVAL", bad[i].var, bad[i].val);
		}
		unsetenv(bad[i].var);
	}
	/* Good ones: a list and a range, bound and counted per queue. */
	setenv("XKPI_NFQUEUE", "1,3-4", 1);
	setenv("XKPI_NFQUEUE_MARK", "0x10", 1);
	setenv("XKPI_NFQUEUE_FAIL", "open", 1);
	assert_int_equal(be_up(), 0);
	assert_int_equal(bstat("nfqueue.q1.missed"), 0);
	assert_int_equal(bstat("nfqueue.q3.kernel_dropped"), 0);
	assert_int_equal(bstat("nfqueue.q4.user_dropped"), 0);
	assert_int_equal(bstat("nfqueue.q0.missed"), -1);
	assert_int_equal(bstat("nfqueue.q2.kernel_dropped"), -1);
	assert_int_equal(ops->be_features & (XK_BEF_INTERCEPT |
	    XK_BEF_OCOUNT), XK_BEF_INTERCEPT | XK_BEF_OCOUNT);
	be_down();
}

/* A second socket cannot take a bound queue: EBUSY. */
static void
test_queue_busy(void **state)
{
	struct tbe first;

	(void)state;
	NEED_NS();
	assert_int_equal(be_up(), 0);
	first = T;
	assert_int_equal(be_up(), EBUSY);
	T = first;
	be_down();
	/* Free again once the first is gone. */
	assert_int_equal(be_up(), 0);
	be_down();
}

static void
test_attach(void **state)
{
	struct __ifnet *ifp;

	(void)state;
	NEED_NS();
	assert_int_equal(be_up(), 0);
	assert_int_equal(ops->be_attach(&T.be, "xkn-none", &ifp), ENXIO);
	assert_int_equal(ops->be_attach(&T.be, "xkn0", &ifp), 0);
	assert_int_equal(ifp->if_index, if_nametoindex("xkn0"));
	assert_int_equal(ops->be_attach(&T.be, "xkn0", &ifp), EEXIST);
	/* Chosen: the loop's first turn attaches nothing else. */
	event_base_loop(T.base, EVLOOP_NONBLOCK);
	xk_core_lock();
	assert_null(xk_if_byname_locked("lo"));
	xk_core_unlock();
	be_down();
}

/* Only lo chosen: what xkn0 queues passes untouched, counted. */
static void
test_unattached_passes(void **state)
{
	struct __ifnet *ifp;
	int rx, tx;

	(void)state;
	NEED_NS();
	rule_in(7011);
	rx = udp_sock(false, AF_INET, LOCAL4, 7011);
	tx = udp_sock(true, AF_INET, PEER4, 0);
	assert_int_equal(be_up(), 0);
	assert_int_equal(ops->be_attach(&T.be, "lo", &ifp), 0);
	udp_send(tx, AF_INET, LOCAL4, 7011, "pass");
	rx_expect(rx, "pass");
	assert_int_equal(T.ngot, 0);
	assert_int_equal(bstat("nfqueue.unattached"), 1);
	assert_int_equal(bstat("nfqueue.rx"), 0);
	close(rx);
	close(tx);
}

/* Nothing chosen: every interface, on the loop's first turn. */
static void
test_attach_all(void **state)
{
	(void)state;
	NEED_NS();
	assert_int_equal(be_up(), 0);
	event_base_loop(T.base, EVLOOP_NONBLOCK);
	xk_core_lock();
	assert_non_null(xk_if_byname_locked("lo"));
	assert_non_null(xk_if_byname_locked("xkn0"));
	xk_core_unlock();
	be_down();
}

/*
 * INPUT: the datagram reaches be_input held (the kernel keeps it), with
 * its interface and direction; ACCEPT delivers it; a second verdict is
 * ENOENT and leaves the packet to the caller.
 */
static void
test_in_accept(void **state)
{
	uint8_t buf[256];
	int rx, tx;
	size_t len;
	struct __mbuf *m;

	(void)state;
	NEED_NS();
	rule_in(7001);
	rx = udp_sock(false, AF_INET, LOCAL4, 7001);
	tx = udp_sock(true, AF_INET, PEER4, 0);
	up_attached();
	udp_send(tx, AF_INET, LOCAL4, 7001, "hello");
	await_got(1);
	assert_int_equal(T.got[0].bp_dir, XK_DIR_IN);
	assert_int_equal(T.got[0].bp_ifindex, if_nametoindex("xkn0"));
	assert_int_equal(T.got[0].bp_hold >> 32, 1);	/* queue 0 */
	assert_true((uint32_t)T.got[0].bp_hold != 0);
	assert_int_equal(T.got[0].bp_mark, 0);
	assert_true(T.got[0].bp_ts.tv_sec > 0);
	len = got_bytes(0, buf, sizeof(buf));
	assert_int_equal(len, 28 + 5);
	assert_int_equal(buf[0], 0x45);
	assert_memory_equal(buf + 28, "hello", 5);
	/* Held: in the kernel's queue, not in the socket. */
	assert_int_equal(bstat("nfqueue.q0.queued"), 1);
	assert_int_equal(bstat("nfqueue.held"), 1);
	rx_none(rx);
	assert_int_equal(verdict(T.got[0].bp_hold, XK_VERDICT_ACCEPT, NULL),
	    0);
	rx_expect(rx, "hello");
	assert_int_equal(bstat("nfqueue.q0.queued"), 0);
	assert_int_equal(bstat("nfqueue.held"), 0);
	assert_non_null(m = udp4_packet(PEER4, LOCAL4, 1, 7001, "x"));
	assert_int_equal(verdict(T.got[0].bp_hold, XK_VERDICT_ACCEPT, m),
	    ENOENT);
	xk_m_freem(m);
	assert_int_equal(bstat("nfqueue.rx"), 1);
	assert_int_equal(bstat("nfqueue.verdict_errors"), 0);
	close(rx);
	close(tx);
}

/* DROP drops; ACCEPT with new bytes delivers those bytes. */
static void
test_in_drop_rewrite(void **state)
{
	uint8_t buf[256];
	struct __mbuf *m;
	size_t len;
	int rx, tx;

	(void)state;
	NEED_NS();
	rule_in(7002);
	rx = udp_sock(false, AF_INET, LOCAL4, 7002);
	tx = udp_sock(true, AF_INET, PEER4, 0);
	up_attached();
	udp_send(tx, AF_INET, LOCAL4, 7002, "one");
	udp_send(tx, AF_INET, LOCAL4, 7002, "two");
	await_got(2);
	assert_int_equal(verdict(T.got[0].bp_hold, XK_VERDICT_DROP, NULL), 0);
	len = got_bytes(1, buf, sizeof(buf));
	assert_memory_equal(buf + 28, "two", 3);
	buf[28] = 'T';
	udp4_csum_fix(buf, len);
	assert_non_null(m = xk_m_devget(buf, len));
	assert_int_equal(verdict(T.got[1].bp_hold, XK_VERDICT_ACCEPT, m), 0);
	/* "one" would have come first. */
	rx_expect(rx, "Two");
	assert_int_equal(verdict(T.got[0].bp_hold, XK_VERDICT_DROP, NULL),
	    ENOENT);
	udp_send(tx, AF_INET, LOCAL4, 7002, "three");
	await_got(3);
	assert_int_equal(verdict(T.got[2].bp_hold, XK_VERDICT_ACCEPT, NULL),
	    0);
	rx_expect(rx, "three");
	rx_none(rx);
	close(rx);
	close(tx);
}

/*
 * OUTPUT: the host's own datagram, out of xkn0, with its UDP checksum
 * complete (the host leaves it to the device); ACCEPT sends it.
 */
static void
test_out_accept(void **state)
{
	uint8_t buf[256];
	size_t len;
	int rx, tx;

	(void)state;
	NEED_NS();
	rule_out(7003);
	rx = udp_sock(true, AF_INET, PEER4, 7003);
	tx = udp_sock(false, AF_INET, LOCAL4, 0);
	up_attached();
	udp_send(tx, AF_INET, PEER4, 7003, "out");
	await_got(1);
	assert_int_equal(T.got[0].bp_dir, XK_DIR_OUT);
	assert_int_equal(T.got[0].bp_ifindex, if_nametoindex("xkn0"));
	len = got_bytes(0, buf, sizeof(buf));
	assert_int_equal(len, 28 + 3);
	assert_true(buf[26] != 0 || buf[27] != 0);
	assert_true(udp4_csum_ok(buf, len));
	rx_none(rx);
	assert_int_equal(verdict(T.got[0].bp_hold, XK_VERDICT_ACCEPT, NULL),
	    0);
	rx_expect(rx, "out");
	close(rx);
	close(tx);
}

/* IPv6 on INPUT, through ip6tables. */
static void
test_in6_accept(void **state)
{
	uint8_t buf[256];
	int rx, tx;

	(void)state;
	NEED_NS();
	assert_int_equal(sh("ip6tables -A INPUT -i xkn0 -p udp --dport 7004 "
	    "-m mark ! --mark 0x%x -j NFQUEUE --queue-num 0 --queue-bypass",
	    MARK), 0);
	rx = udp_sock(false, AF_INET6, LOCAL6, 7004);
	tx = udp_sock(true, AF_INET6, PEER6, 0);
	up_attached();
	udp_send(tx, AF_INET6, LOCAL6, 7004, "six");
	await_got(1);
	assert_int_equal(T.got[0].bp_dir, XK_DIR_IN);
	assert_int_equal(T.got[0].bp_ifindex, if_nametoindex("xkn0"));
	assert_int_equal(got_bytes(0, buf, sizeof(buf)), 40 + 8 + 3);
	assert_int_equal(buf[0] >> 4, 6);
	assert_int_equal(verdict(T.got[0].bp_hold, XK_VERDICT_ACCEPT, NULL),
	    0);
	rx_expect(rx, "six");
	close(rx);
	close(tx);
}

/* Unanswered past XKPI_NFQUEUE_HOLD_MS: dropped, counted, ENOENT. */
static void
test_hold_expires(void **state)
{
	struct stat_at s = { "nfqueue.held_expired", 1 };
	struct __mbuf *m;
	int rx, tx;

	(void)state;
	NEED_NS();
	setenv("XKPI_NFQUEUE_HOLD_MS", "50", 1);
	rule_in(7005);
	rx = udp_sock(false, AF_INET, LOCAL4, 7005);
	tx = udp_sock(true, AF_INET, PEER4, 0);
	up_attached();
	udp_send(tx, AF_INET, LOCAL4, 7005, "late");
	await_got(1);
	assert_true(run_until(stat_reached, &s));
	assert_int_equal(bstat("nfqueue.held_expired"), 1);
	assert_int_equal(bstat("nfqueue.held"), 0);
	assert_non_null(m = udp4_packet(PEER4, LOCAL4, 1, 7005, "x"));
	assert_int_equal(verdict(T.got[0].bp_hold, XK_VERDICT_ACCEPT, m),
	    ENOENT);
	xk_m_freem(m);
	udp_send(tx, AF_INET, LOCAL4, 7005, "next");
	await_got(2);
	assert_int_equal(verdict(T.got[1].bp_hold, XK_VERDICT_ACCEPT, NULL),
	    0);
	rx_expect(rx, "next");
	rx_none(rx);
	close(rx);
	close(tx);
}

/*
 * A full queue (one packet) with the loop held still: fail open lets the
 * others through, uncounted by the kernel; the held one waits.
 */
static void
test_full_fail_open(void **state)
{
	int rx, tx;

	(void)state;
	NEED_NS();
	setenv("XKPI_NFQUEUE_MAXLEN", "1", 1);
	rule_in(7006);
	rx = udp_sock(false, AF_INET, LOCAL4, 7006);
	tx = udp_sock(true, AF_INET, PEER4, 0);
	up_attached();
	udp_send(tx, AF_INET, LOCAL4, 7006, "a");
	udp_send(tx, AF_INET, LOCAL4, 7006, "b");
	udp_send(tx, AF_INET, LOCAL4, 7006, "c");
	/* Not run_until: the loop must not turn. */
	for (int i = 0; i < 2; i++) {
		struct pollfd pfd = { .fd = rx, .events = POLLIN };
		char buf[8];
		ssize_t n;

		assert_int_equal(poll(&pfd, 1, xk_test_liveness_ms()), 1);
		n = recv(rx, buf, sizeof(buf), 0);
		assert_int_equal(n, 1);
		assert_int_equal(buf[0], i == 0 ? 'b' : 'c');
	}
	assert_int_equal(T.ngot, 0);
	assert_int_equal(bstat("nfqueue.q0.queued"), 1);
	assert_int_equal(bstat("nfqueue.q0.kernel_dropped"), 0);
	await_got(1);
	assert_int_equal(verdict(T.got[0].bp_hold, XK_VERDICT_ACCEPT, NULL),
	    0);
	rx_expect(rx, "a");
	close(rx);
	close(tx);
}

static bool
kdropped2(void *arg)
{
	(void)arg;
	return bstat("nfqueue.q0.kernel_dropped") >= 2;
}

/* The same, failing closed: the others are dropped and counted. */
static void
test_full_fail_closed(void **state)
{
	int64_t end;
	int rx, tx;

	(void)state;
	NEED_NS();
	setenv("XKPI_NFQUEUE_MAXLEN", "1", 1);
	setenv("XKPI_NFQUEUE_FAIL", "closed", 1);
	rule_in(7007);
	rx = udp_sock(false, AF_INET, LOCAL4, 7007);
	tx = udp_sock(true, AF_INET, PEER4, 0);
	up_attached();
	udp_send(tx, AF_INET, LOCAL4, 7007, "a");
	udp_send(tx, AF_INET, LOCAL4, 7007, "b");
	udp_send(tx, AF_INET, LOCAL4, 7007, "c");
	/* The loop must not turn while the kernel counts. */
	end = xk_test_now_us() + (int64_t)xk_test_liveness_ms() * 1000;
	while (!kdropped2(NULL) && xk_test_now_us() < end) {
		usleep(1000);
	}
	assert_int_equal(bstat("nfqueue.q0.kernel_dropped"), 2);
	assert_int_equal(T.ngot, 0);
	await_got(1);
	assert_int_equal(verdict(T.got[0].bp_hold, XK_VERDICT_ACCEPT, NULL),
	    0);
	rx_expect(rx, "a");
	rx_none(rx);
	close(rx);
	close(tx);
}

/*
 * The table of held packets has room for the queue's length (one here).
 * It fills only when the kernel let go of a packet still held: xkn0
 * going down drops what its queue holds (the kernel's count goes to 0).
 * The next packet then finds the table full: the oldest gets NF_DROP
 * for room (counted; the kernel, having dropped it, refuses the
 * verdict) and is no longer held, and the new one is held and answered.
 * An unbounded table keeps both.
 */
static void
test_held_full_evicts_oldest(void **state)
{
	struct stat_at refused = { "nfqueue.verdict_errors", 1 };
	int rx, tx;

	(void)state;
	NEED_NS();
	setenv("XKPI_NFQUEUE_MAXLEN", "1", 1);
	rule_in(7011);
	rx = udp_sock(false, AF_INET, LOCAL4, 7011);
	tx = udp_sock(true, AF_INET, PEER4, 0);
	up_attached();
	udp_send(tx, AF_INET, LOCAL4, 7011, "a");
	await_got(1);
	assert_int_equal(bstat("nfqueue.q0.queued"), 1);
	/* Its IPv6 address stays for the cases after. */
	assert_int_equal(sh("sysctl -qw "
	    "net.ipv6.conf.xkn0.keep_addr_on_down=1 && "
	    "ip link set xkn0 down && ip link set xkn0 up"), 0);
	assert_int_equal(bstat("nfqueue.q0.queued"), 0);
	assert_int_equal(bstat("nfqueue.held"), 1);
	assert_int_equal(bstat("nfqueue.held_evicted"), 0);
	udp_send(tx, AF_INET, LOCAL4, 7011, "b");
	await_got(2);
	assert_int_equal(bstat("nfqueue.held_evicted"), 1);
	assert_int_equal(bstat("nfqueue.held"), 1);
	assert_int_equal(bstat("nfqueue.held_expired"), 0);
	assert_int_equal(verdict(T.got[0].bp_hold, XK_VERDICT_ACCEPT, NULL),
	    ENOENT);
	assert_int_equal(verdict(T.got[1].bp_hold, XK_VERDICT_ACCEPT, NULL),
	    0);
	rx_expect(rx, "b");
	assert_true(run_until(stat_reached, &refused));
	assert_int_equal(bstat("nfqueue.verdict_errors"), 1);
	assert_int_equal(bstat("nfqueue.held"), 0);
	rx_none(rx);
	close(rx);
	close(tx);
}

/*
 * be_output's packets carry the mark: the rule skips them, so they leave
 * without coming back through the queue; an unmarked datagram to the
 * same port is queued (the rule works).
 */
static void
test_output_marked(void **state)
{
	struct xk_be_pkt p;
	unsigned int sent = 0;
	int rx, tx;

	(void)state;
	NEED_NS();
	rule_out(7008);
	rx = udp_sock(true, AF_INET, PEER4, 7008);
	tx = udp_sock(false, AF_INET, LOCAL4, 0);
	up_attached();
	memset(&p, 0, sizeof(p));
	assert_non_null(p.bp_m = udp4_packet(LOCAL4, PEER4, 1, 7008, "mk"));
	p.bp_ifindex = if_nametoindex("xkn0");
	p.bp_dir = XK_DIR_OUT;
	xk_core_lock();
	ops->be_output(&T.be, &p, 1, &sent);
	xk_core_unlock();
	assert_int_equal(sent, 1);
	rx_expect(rx, "mk");
	assert_int_equal(T.ngot, 0);
	assert_int_equal(bstat("nfqueue.txerrors"), 0);
	udp_send(tx, AF_INET, PEER4, 7008, "plain");
	await_got(1);
	assert_int_equal(verdict(T.got[0].bp_hold, XK_VERDICT_ACCEPT, NULL),
	    0);
	rx_expect(rx, "plain");
	close(rx);
	close(tx);
}

/*
 * be_inject_in: a packet from the peer, given to the host as received:
 * delivered to the local socket (through loopback), marked, so not
 * queued on INPUT, and counted.
 */
static void
test_inject_in(void **state)
{
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	struct __mbuf *m;
	char buf[16];
	struct rx_from_wait w = { .buf = buf, .cap = sizeof(buf) };
	struct __ifnet *ifp;
	int rx, error;

	(void)state;
	NEED_NS();
	rule_in(7009);
	assert_int_equal(sh("iptables -A INPUT -i lo -p udp --dport 7009 "
	    "-m mark ! --mark 0x%x -j NFQUEUE --queue-num 0 --queue-bypass",
	    MARK), 0);
	rx = udp_sock(false, AF_INET, LOCAL4, 7009);
	up_attached();
	/* Its way in is lo: attached, so that a queued copy would show. */
	assert_int_equal(ops->be_attach(&T.be, "lo", &ifp), 0);
	assert_non_null(m = udp4_packet(PEER4, LOCAL4, 4242, 7009, "inj"));
	xk_core_lock();
	error = ops->be_inject_in(&T.be, m, if_nametoindex("xkn0"));
	xk_core_unlock();
	assert_int_equal(error, 0);
	rx_expect(rx, "inj");
	assert_int_equal(T.ngot, 0);
	assert_int_equal(bstat("nfqueue.unattached"), 0);
	assert_int_equal(bstat("nfqueue.injected_in"), 1);
	/* The source is the packet's. */
	assert_non_null(m = udp4_packet(PEER4, LOCAL4, 4242, 7009, "src"));
	xk_core_lock();
	error = ops->be_inject_in(&T.be, m, 0);
	xk_core_unlock();
	assert_int_equal(error, 0);
	w.fd = rx;
	w.from = &from;
	w.flen = &flen;
	assert_true(run_until(rx_from, &w));
	assert_int_equal(w.n, 3);
	assert_memory_equal(buf, "src", 3);
	assert_int_equal(from.sin_addr.s_addr, inet_addr(PEER4));
	assert_int_equal(ntohs(from.sin_port), 4242);
	close(rx);
}

/* At stop every held packet gets NF_ACCEPT, counted. */
static void
test_stop_releases(void **state)
{
	int rx, tx;

	(void)state;
	NEED_NS();
	rule_in(7010);
	rx = udp_sock(false, AF_INET, LOCAL4, 7010);
	tx = udp_sock(true, AF_INET, PEER4, 0);
	up_attached();
	udp_send(tx, AF_INET, LOCAL4, 7010, "s1");
	udp_send(tx, AF_INET, LOCAL4, 7010, "s2");
	await_got(2);
	rx_none(rx);
	be_stop_only();
	assert_int_equal(bstat("nfqueue.held_released"), 2);
	assert_int_equal(bstat("nfqueue.held"), 0);
	be_close_only();
	rx_expect(rx, "s1");
	rx_expect(rx, "s2");
	close(rx);
	close(tx);
}

/*
 * Without privilege the backend does not open: EPERM, as the kernel.
 * The child exits with a status only the EPERM answer gives.
 */
#define EPERM_CHILD_OK	77

static void
test_needs_privilege(void **state)
{
	pid_t pid;
	int st;

	(void)state;
	NEED_NS();
	if ((pid = fork()) == 0) {
		int error;

		if (setgid(65534) != 0 || setuid(65534) != 0) {
			_exit(2);
		}
		if ((error = be_up()) != EPERM) {
			fprintf(stderr, "child: be_open: %d\n", error);
			_exit(1);
		}
		_exit(EPERM_CHILD_OK);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), EPERM_CHILD_OK);
}

/*
 * Two loop threads (XKPI_THREADS) and the queues 0-1.  The library runs
 * with the backend; an IP filter notes, for each datagram, its flow and
 * the loop thread that handed it to the engine.
 */
#define THR_PORT	7012
#define THR_FLOWS	32	/* peer addresses 10.207.0.100 on */
#define THR_MIN_FLOWS	8	/* at least, and until both queues had one */
#define THR_PER_FLOW	6	/* datagrams of each flow */

static atomic_uint thr_seen[THR_FLOWS][2];	/* flow, loop */
static atomic_uint thr_stray;	/* not on loop 0 or 1, or no flow */

static errno_t
thr_ipf_in(void *cookie, mbuf_t *data, int offset, uint8_t protocol)
{
	uint8_t src[4], dport[2];
	int loop = xk_loop_index();

	(void)cookie;
	if (protocol != IPPROTO_UDP ||
	    mbuf_copydata(*data, (size_t)offset + 2, 2, dport) != 0 ||
	    (dport[0] << 8 | dport[1]) != THR_PORT) {
		return 0;
	}
	if (mbuf_copydata(*data, 12, 4, src) != 0 || src[3] < 100 ||
	    src[3] >= 100 + THR_FLOWS || loop < 0 || loop > 1 ||
	    !xk_on_loop(loop)) {
		atomic_fetch_add(&thr_stray, 1);
		return 0;
	}
	atomic_fetch_add(&thr_seen[src[3] - 100][loop], 1);
	return 0;
}

/* A counter of xkpi_stats() by name; -1 when there is none. */
static void
lstat_fn(const char *name, uint64_t value, void *ctx)
{
	struct stat_q *q = ctx;

	if (strcmp(name, q->name) == 0) {
		q->value = (int64_t)value;
	}
}

static int64_t
lstat(const char *name)
{
	struct stat_q q = { name, -1 };

	assert_int_equal(xkpi_stats(lstat_fn, &q), 0);
	return q.value;
}

/* Reads datagrams on @fd until @total came; how many came. */
static unsigned int
thr_read(int fd, unsigned int got, unsigned int total)
{
	int64_t end = xk_test_now_us() + (int64_t)xk_test_liveness_ms() * 1000;
	char buf[64];

	while (got < total && xk_test_now_us() < end) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, 10) == 1 &&
		    recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0) {
			got++;
		}
	}
	return got;
}

/* The loop that saw flow @f (0 or 1), -1 before any datagram. */
static int
thr_loop_of(unsigned int f)
{
	if (atomic_load(&thr_seen[f][0]) != 0) {
		return 0;
	}
	return atomic_load(&thr_seen[f][1]) != 0 ? 1 : -1;
}

/*
 * With two loops and two queues there are two channels, queue k on loop
 * k.  The rule balances over both queues with the kernel's flow hash (of
 * the addresses, not the ports: each flow has a peer address of its
 * own).  Every datagram is answered and delivered; every flow comes
 * through one queue, handed to the engine by that queue's loop; both
 * queues carry flows, and the per-queue counters match what each loop
 * handed over.
 */
static void
test_threads_balance(void **state)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "nfqueue",
	    .ifaces = "xkn0", .threads = 2);
	struct ipf_filter f = { .name = "thr", .ipf_input = thr_ipf_in };
	ipfilter_t ref;
	int tx[THR_FLOWS], rx, size = 4 << 20;
	unsigned int nflows = 0, got = 0, total, per[2] = { 0, 0 };
	char addr[32], msg[32];

	(void)state;
	NEED_NS();
	memset(thr_seen, 0, sizeof(thr_seen));
	atomic_store(&thr_stray, 0);
	for (unsigned int i = 0; i < THR_FLOWS; i++) {
		assert_int_equal(sh("ip -n %s addr add 10.207.0.%u/24 dev xkn1",
		    peer_ns, 100 + i), 0);
	}
	assert_int_equal(sh("iptables -A INPUT -i xkn0 -p udp --dport %d "
	    "-m mark ! --mark 0x%x -j NFQUEUE --queue-balance 0:1 "
	    "--queue-bypass", THR_PORT, MARK), 0);
	rx = udp_sock(false, AF_INET, LOCAL4, THR_PORT);
	assert_int_equal(setsockopt(rx, SOL_SOCKET, SO_RCVBUFFORCE, &size,
	    sizeof(size)), 0);
	setenv("XKPI_NFQUEUE", "0-1", 1);
	assert_int_equal(xkpi_init(&cfg), 0);
	assert_int_equal(xk_loop_count(), 2);
	assert_int_equal(ipf_addv4(&f, &ref), 0);
	assert_int_equal(lstat("be.nfqueue.channels"), 2);
	/* One datagram a flow, until both queues had some. */
	for (unsigned int i = 0; i < THR_FLOWS; i++) {
		int loop;

		snprintf(addr, sizeof(addr), "10.207.0.%u", 100 + i);
		tx[i] = udp_sock(true, AF_INET, addr, 0);
		nflows++;
		udp_send(tx[i], AF_INET, LOCAL4, THR_PORT, "first");
		got = thr_read(rx, got, nflows);
		assert_int_equal(got, nflows);
		assert_true((loop = thr_loop_of(i)) >= 0);
		per[loop]++;
		if (nflows >= THR_MIN_FLOWS && per[0] > 0 && per[1] > 0) {
			break;
		}
	}
	assert_true(per[0] > 0 && per[1] > 0);
	/* The rest, every flow in turn: both loops at work at once. */
	for (unsigned int k = 1; k < THR_PER_FLOW; k++) {
		for (unsigned int i = 0; i < nflows; i++) {
			snprintf(msg, sizeof(msg), "%u.%u", i, k);
			udp_send(tx[i], AF_INET, LOCAL4, THR_PORT, msg);
		}
	}
	total = nflows * THR_PER_FLOW;
	assert_int_equal(thr_read(rx, got, total), total);
	for (unsigned int i = 0; i < nflows; i++) {
		unsigned int s0 = atomic_load(&thr_seen[i][0]);
		unsigned int s1 = atomic_load(&thr_seen[i][1]);

		/* One flow, one queue, one loop. */
		if (!((s0 == THR_PER_FLOW && s1 == 0) ||
		    (s0 == 0 && s1 == THR_PER_FLOW))) {
			fail_msg("flow %u: %u on loop 0, %u on loop 1", i, s0,
			    s1);
		}
	}
	assert_int_equal(atomic_load(&thr_stray), 0);
	assert_int_equal(lstat("be.nfqueue.q0.packets"),
	    per[0] * THR_PER_FLOW);
	assert_int_equal(lstat("be.nfqueue.q1.packets"),
	    per[1] * THR_PER_FLOW);
	assert_int_equal(lstat("be.nfqueue.rx"), total);
	assert_int_equal(lstat("be.nfqueue.verdicts"), total);
	assert_int_equal(lstat("be.nfqueue.held"), 0);
	assert_int_equal(lstat("be.nfqueue.verdict_errors"), 0);
	assert_int_equal(lstat("be.nfqueue.q0.missed"), 0);
	assert_int_equal(lstat("be.nfqueue.q1.missed"), 0);
	assert_int_equal(ipf_remove(ref), 0);
	xkpi_shutdown();
	for (unsigned int i = 0; i < nflows; i++) {
		close(tx[i]);
	}
	close(rx);
	for (unsigned int i = 0; i < THR_FLOWS; i++) {
		(void)sh("ip -n %s addr del 10.207.0.%u/24 dev xkn1", peer_ns,
		    100 + i);
	}
}

/*
 * Two loops, queues 0-1, queue 1 bound elsewhere (the test's backend):
 * the second channel cannot bind it, and the library does not start
 * (EBUSY), leaving queue 0 free; once queue 1 is free it starts.
 */
static void
test_threads_busy(void **state)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "nfqueue",
	    .ifaces = "xkn0", .threads = 2);

	(void)state;
	NEED_NS();
	setenv("XKPI_NFQUEUE", "1", 1);
	assert_int_equal(be_up(), 0);
	setenv("XKPI_NFQUEUE", "0-1", 1);
	assert_int_equal(xkpi_init(&cfg), EBUSY);
	be_down();
	/* Queue 0 was let go: a socket of ours binds it again. */
	setenv("XKPI_NFQUEUE", "0", 1);
	assert_int_equal(be_up(), 0);
	be_down();
	setenv("XKPI_NFQUEUE", "0-1", 1);
	assert_int_equal(xkpi_init(&cfg), 0);
	assert_int_equal(lstat("be.nfqueue.channels"), 2);
	xkpi_shutdown();
}

/* The namespaces, the veth pair and a check that NFQUEUE rules work. */
static void
ns_setup(void)
{
	if (geteuid() != 0) {
		skip_why = "not root";
		return;
	}
	if (unshare(CLONE_NEWNET) != 0) {
		skip_why = "no network namespaces (unshare)";
		return;
	}
	snprintf(peer_ns, sizeof(peer_ns), "xknq%ld", (long)getpid());
	if (sh("ip link set lo up && ip netns add %s && "
	    "ip link add xkn0 type veth peer name xkn1 netns %s && "
	    "ip addr add %s/24 dev xkn0 && "
	    "ip addr add %s/64 dev xkn0 nodad && ip link set xkn0 up && "
	    "ip -n %s link set lo up && "
	    "ip -n %s addr add %s/24 dev xkn1 && "
	    "ip -n %s addr add %s/64 dev xkn1 nodad && "
	    "ip -n %s link set xkn1 up",
	    peer_ns, peer_ns, LOCAL4, LOCAL6, peer_ns, peer_ns, PEER4,
	    peer_ns, PEER6, peer_ns) != 0) {
		skip_why = "cannot build the veth pair";
		return;
	}
	if (sh("iptables -A INPUT -i xkn0 -j NFQUEUE --queue-num 0 "
	    "--queue-bypass && iptables -F INPUT && "
	    "ip6tables -A INPUT -i xkn0 -j NFQUEUE --queue-num 0 "
	    "--queue-bypass && ip6tables -F INPUT") != 0) {
		skip_why = "iptables cannot install an NFQUEUE rule";
		return;
	}
	{
		char path[64];

		snprintf(path, sizeof(path), "/run/netns/%s", peer_ns);
		self_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		peer_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (self_fd < 0 || peer_fd < 0) {
			skip_why = "cannot open the namespaces";
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bad_env, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_busy, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_attach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_all, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unattached_passes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_in_accept, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_in_drop_rewrite, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_out_accept, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_in6_accept, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hold_expires, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_full_fail_open, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_full_fail_closed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_held_full_evicts_oldest,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_marked, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_inject_in, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stop_releases, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_needs_privilege, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_threads_balance, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_threads_busy, setup,
		    teardown),
	};
	int rc;

	/* Before any thread: namespaces of our own. */
	ns_setup();
	if (skip_why != NULL) {
		fprintf(stderr, "test_be_nfqueue: %s: every case skips\n",
		    skip_why);
	}
	evthread_use_pthreads();
	rc = cmocka_run_group_tests_name("be_nfqueue", tests, NULL, NULL);
	if (peer_ns[0] != '\0') {
		(void)sh("ip netns del %s 2>/dev/null", peer_ns);
	}
	return rc;
}

#else /* !XK_HAVE_BACKEND_NFQUEUE */

static void
test_nfqueue_not_built(void **state)
{
	(void)state;
	skip();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nfqueue_not_built),
	};

	return cmocka_run_group_tests_name("be_nfqueue", tests, NULL, NULL);
}

#endif /* XK_HAVE_BACKEND_NFQUEUE */
