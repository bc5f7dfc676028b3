/*
 * The linux backend's edges, in a network namespace of the test's own
 * (root only; the cases skip otherwise): attaching (ENXIO, EEXIST, the
 * host's index and MTU), its counters by name, a bad XKPI_LINUX_RX, the
 * auto receive mode's switches between the direct socket and the ring,
 * receive lanes with two loops (each address pair on one lane, in order,
 * one socket's upcalls on one thread),
 * output through the TX ring (framed for the host's neighbour, counted,
 * ENOBUFS when full, drained or counted lost at shutdown) and the raw
 * socket's way for what the ring does not take,
 * EPERM for a process without CAP_NET_RAW, an interface that goes down
 * or away under the receive socket (no spinning loop), and the output
 * queue at xkpi_shutdown() and at exit (drained, or counted).  Traffic
 * itself is checked end to end by tests/integration/rawnet.sh, bignet.sh
 * and faults.sh.
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
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>
#include <xkpi.h>

#include "core/if_var.h"
#include "core/ip_var.h"
#include "core/socket_var.h"
#include "tests/lib/xk_test.h"

static bool have_ns;

/* Runs a shell command in the test's namespace; its exit status. */
static int
sh(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
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
	assert_true(xk_test_stat_find("be.linux.xkl0.rx", NULL));
	assert_true(xk_test_stat_find("be.linux.xkl0.kdrops", NULL));
	assert_true(xk_test_stat_find("be.linux.txfull", NULL));
	assert_true(xk_test_stat_find("be.linux.txerrors", NULL));
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
	setenv("XKPI_LINUX_RX", "auto", 1);
	assert_int_equal(xkpi_init(&cfg), 0);
	/* Both sockets: the switch counters are there, at 0. */
	assert_int_equal(xk_test_stat("be.linux.xkl0.to_ring"), 0);
	assert_int_equal(xk_test_stat("be.linux.xkl0.to_direct"), 0);
	xkpi_shutdown();
	unsetenv("XKPI_LINUX_RX");
	/* auto is the default. */
	assert_int_equal(xkpi_init(&cfg), 0);
	assert_true(xk_test_stat_find("be.linux.xkl0.to_ring", NULL));
	xkpi_shutdown();
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
	assert_int_equal(xk_test_stat("be.linux.txfull"), 1);
	/* The loop drains it, a batch at a time (bounded). */
	for (i = 0; i < 2000 && (error = send1(so, &to)) == ENOBUFS; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
	}
	assert_int_equal(error, 0);
	/* Counted as sent when they leave, not when queued. */
	for (i = 0; i < 2000 && xk_test_stat("if.xkl0.opackets") < 4097; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
	}
	assert_int_equal(xk_test_stat("if.xkl0.opackets"), 4097);
	assert_int_equal(xk_test_stat("if.xkl0.oqdrops"), 0);
	sock_close(so);
	xkpi_shutdown();
	event_base_free(base);
}

/* The loop's turns until a timer of @ms fires: thousands if it spins. */
static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(bool *)arg = true;
}

static int
turns_until(struct event_base *base, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	struct event *t;
	bool fired = false;
	int turns = 0;

	assert_non_null(t = evtimer_new(base, timer_cb, &fired));
	assert_int_equal(evtimer_add(t, &tv), 0);
	while (!fired && turns < 100000) {
		event_base_loop(base, EVLOOP_ONCE);
		turns++;
	}
	event_free(t);
	return turns;
}

/*
 * The library on a base of the test's own, XKPI_LINUX_RX=@rx, with one
 * loop whatever XKPI_THREADS says: the cases that use it hold that loop
 * still to let packets wait, and count per socket.
 */
static struct event_base *test_base;

static struct event_base *
start_on_base(const char *rx, const char *ifaces)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "linux",
	    .ifaces = ifaces, .threads = 1);

	setenv("XKPI_LINUX_RX", rx, 1);
	assert_int_equal(evthread_use_pthreads(), 0);
	assert_non_null(test_base = event_base_new());
	assert_int_equal(xkpi_init_with_base(test_base, &cfg), 0);
	unsetenv("XKPI_LINUX_RX");
	return test_base;
}

static void
stop_on_base(struct event_base *base)
{
	xkpi_shutdown();
	event_base_free(base);
	test_base = NULL;
}

/* After a failed case too: the next one starts afresh. */
static int
teardown_base(void **state)
{
	(void)state;
	if (test_base != NULL) {
		stop_on_base(test_base);
	}
	unsetenv("XKPI_LINUX_RX");
	(void)sh("tc qdisc del dev xkl0 root 2>/dev/null; "
	    "ip link del xkl2 2>/dev/null; "
	    "ip route del 10.207.9.0/24 2>/dev/null; "
	    "ip neigh del 10.207.9.5 dev xkl0 2>/dev/null");
	unsetenv("XKPI_LINUX_TX");
	return 0;
}

/*
 * The interface goes down and up under the receive socket: the kernel
 * leaves an error pending on it (ENETDOWN), which keeps it polling
 * readable until read.  Read once and counted (rxerrors), in every
 * receive mode (auto has two sockets: once on each); the loop then sleeps: a few turns for the host's
 * notifications in a third of a second, where a spinning loop turns
 * thousands of times.
 */
static void
test_down_up_no_spin(void **state)
{
	static const char *const modes[] = { "ring", "mmsg", "auto" };

	(void)state;
	NEED_NS();
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct event_base *base = start_on_base(modes[i], "xkl0");
		int turns;

		(void)turns_until(base, 100);
		assert_int_equal(xk_test_stat("be.linux.xkl0.rxerrors"), 0);
		assert_int_equal(sh("ip link set xkl0 down && "
		    "ip link set xkl0 up"), 0);
		turns = turns_until(base, 300);
		print_message("%s: %d turns\n", modes[i], turns);
		assert_true(turns < 50);
		assert_int_equal(xk_test_stat("be.linux.xkl0.rxerrors"),
		    strcmp(modes[i], "auto") == 0 ? 2 : 1);
		assert_int_equal(xk_test_stat("be.linux.xkl0.gone"), 0);
		stop_on_base(base);
	}
}

/*
 * An attached interface deleted: the error is read and counted once,
 * the socket's event removed (gone), and the loop sleeps.
 */
static void
test_deleted_no_spin(void **state)
{
	static const char *const modes[] = { "ring", "mmsg", "auto" };

	(void)state;
	NEED_NS();
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct event_base *base;
		int turns;

		assert_int_equal(sh("ip link add xkl2 type veth peer name xkl3 "
		    "&& ip link set xkl2 up && ip link set xkl3 up"), 0);
		base = start_on_base(modes[i], "xkl2");
		(void)turns_until(base, 100);
		assert_int_equal(sh("ip link del xkl2"), 0);
		turns = turns_until(base, 300);
		print_message("%s: %d turns\n", modes[i], turns);
		assert_true(turns < 50);
		assert_int_equal(xk_test_stat("be.linux.xkl2.rxerrors"), 1);
		assert_int_equal(xk_test_stat("be.linux.xkl2.gone"), 1);
		stop_on_base(base);
	}
}

/*
 * A packet socket on xkl1 that sends protocol-253 datagrams from
 * 10.206.0.2 to 10.206.0.1, framed for xkl0: they arrive on xkl0 as
 * input, as from a peer.
 */
struct peer {
	int		fd;
	uint8_t		frame[ETHER_HDR_LEN + sizeof(struct ip) + 32];
};

static void
peer_open(struct peer *p)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct ether_header *eh = (void *)p->frame;
	struct ip iph, *ip = &iph;	/* frame + 14 is not aligned */
	struct ifreq ifr;

	memset(p->frame, 0, sizeof(p->frame));
	memset(&iph, 0, sizeof(iph));
	assert_true((p->fd = socket(AF_PACKET, SOCK_RAW, 0)) >= 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "xkl0");
	assert_int_equal(ioctl(p->fd, SIOCGIFHWADDR, &ifr), 0);
	memcpy(eh->ether_dhost, ifr.ifr_hwaddr.sa_data, ETHER_ADDR_LEN);
	strcpy(ifr.ifr_name, "xkl1");
	assert_int_equal(ioctl(p->fd, SIOCGIFHWADDR, &ifr), 0);
	memcpy(eh->ether_shost, ifr.ifr_hwaddr.sa_data, ETHER_ADDR_LEN);
	eh->ether_type = htons(ETHERTYPE_IP);
	ip->ip_v = 4;
	ip->ip_hl = 5;
	ip->ip_len = htons(sizeof(*ip) + 32);
	ip->ip_ttl = 64;
	ip->ip_p = 253;
	inet_pton(AF_INET, "10.206.0.2", &ip->ip_src);
	inet_pton(AF_INET, "10.206.0.1", &ip->ip_dst);
	ip->ip_sum = xk_in_cksum_buf(ip, sizeof(*ip));
	memcpy(p->frame + ETHER_HDR_LEN, &iph, sizeof(iph));
	sll.sll_ifindex = (int)if_nametoindex("xkl1");
	assert_int_equal(bind(p->fd, (struct sockaddr *)&sll, sizeof(sll)),
	    0);
}

static void
peer_send(struct peer *p, int n)
{
	for (int i = 0; i < n; i++) {
		assert_int_equal(send(p->fd, p->frame, sizeof(p->frame), 0),
		    (ssize_t)sizeof(p->frame));
	}
}

/* Runs the loop until be.linux.xkl0.rx reaches @want (bounded). */
static void
loop_until_rx(struct event_base *base, uint64_t want)
{
	for (int i = 0; i < 5000 && xk_test_stat("be.linux.xkl0.rx") < want;
	    i++) {
		(void)turns_until(base, 2);
	}
	assert_int_equal(xk_test_stat("be.linux.xkl0.rx"), want);
}

/*
 * XKPI_LINUX_RX=auto: packets go to the direct socket while they come
 * alone; 200 waiting at one wakeup send the rest to the ring (to_ring);
 * a ring block handed over with a few packets, the next one empty, sends
 * them back (to_direct); a packet alone after that comes direct again.
 * Every packet is delivered once: none to both sockets, none to neither.
 */
static void
test_auto_switch(void **state)
{
	struct event_base *base;
	struct peer p;
	socket_t so;

	(void)state;
	NEED_NS();
	peer_open(&p);
	base = start_on_base("auto", "xkl0");
	assert_int_equal(sock_socket(PF_INET, SOCK_RAW, 253, NULL, NULL, &so),
	    0);
	peer_send(&p, 1);
	loop_until_rx(base, 1);
	assert_int_equal(xk_test_stat("be.linux.xkl0.to_ring"), 0);
	/* The loop held still: they wait in the direct socket. */
	peer_send(&p, 200);
	loop_until_rx(base, 201);
	assert_int_equal(xk_test_stat("be.linux.xkl0.to_ring"), 1);
	assert_int_equal(xk_test_stat("be.linux.xkl0.to_direct"), 0);
	/* Into the ring; its block is handed over by its timeout. */
	peer_send(&p, 3);
	loop_until_rx(base, 204);
	assert_int_equal(xk_test_stat("be.linux.xkl0.to_direct"), 1);
	peer_send(&p, 1);
	loop_until_rx(base, 205);
	assert_int_equal(xk_test_stat("be.linux.xkl0.to_ring"), 1);
	assert_int_equal(xk_test_stat("be.linux.xkl0.to_direct"), 1);
	assert_int_equal(xk_test_stat("be.linux.xkl0.kdrops"), 0);
	assert_int_equal(xk_test_stat("ip.in"), 205);
	sock_close(so);
	stop_on_base(base);
	close(p.fd);
}

/*
 * Several loops (struct xkpi_config.threads = 2): what the upcall of one
 * raw socket saw.  Written on the upcall's thread, read after close.
 */
#define LANE_SRCS	8
#define LANE_PER_SRC	200
struct lane_seen {
	_Atomic int	 inside;	/* upcalls running now */
	_Atomic int	 overlaps;	/* an upcall began while one ran */
	_Atomic unsigned int got;
	pthread_t	 thread;	/* of the first upcall */
	_Atomic int	 threads;	/* upcalls on another thread */
	uint32_t	 last[LANE_SRCS];	/* per source, last seq + 1 */
	_Atomic int	 disorder;	/* a seq not above its source's last */
};

static void
lane_upcall(socket_t so, void *arg, int waitf)
{
	struct lane_seen *ls = arg;
	mbuf_t m;
	size_t len;

	(void)waitf;
	if (atomic_fetch_add(&ls->inside, 1) != 0) {
		ls->overlaps++;
	}
	if (ls->got == 0 && ls->threads == 0) {
		ls->thread = pthread_self();
	} else if (!pthread_equal(ls->thread, pthread_self())) {
		ls->threads++;
	}
	for (;;) {
		uint8_t pkt[sizeof(struct ip) + 4];
		struct ip ip;
		uint32_t seq;
		unsigned int k;

		len = SIZE_MAX;
		if (sock_receivembuf(so, NULL, &m, MSG_DONTWAIT, &len) != 0) {
			break;
		}
		if (mbuf_copydata(m, 0, sizeof(pkt), pkt) == 0) {
			memcpy(&ip, pkt, sizeof(ip));
			memcpy(&seq, pkt + sizeof(ip), sizeof(seq));
			k = ntohl(ip.ip_src.s_addr) & 0xff;
			if (k < LANE_SRCS) {
				if (seq < ls->last[k]) {
					ls->disorder++;
				}
				ls->last[k] = seq + 1;
				ls->got++;
			}
		}
		mbuf_freem(m);
	}
	atomic_fetch_sub(&ls->inside, 1);
}

/*
 * Sets the peer's frame to come from 10.206.7.@k with @seq as the first
 * word of its payload, the header checksum made again.
 */
static void
peer_frame(struct peer *p, unsigned int k, uint32_t seq)
{
	struct ip ip;

	memcpy(&ip, p->frame + ETHER_HDR_LEN, sizeof(ip));
	ip.ip_src.s_addr = htonl(0x0ace0700 | k);
	ip.ip_sum = 0;
	ip.ip_sum = xk_in_cksum_buf(&ip, sizeof(ip));
	memcpy(p->frame + ETHER_HDR_LEN, &ip, sizeof(ip));
	memcpy(p->frame + ETHER_HDR_LEN + sizeof(ip), &seq, sizeof(seq));
}

/*
 * Two loops, in each receive mode: the interface has a lane per loop
 * (be.linux.xkl0.lane<n>.rx), the kernel deals packets out by address
 * pair so that both lanes receive from eight sources, every packet
 * arrives once, each source's in order, and the one raw socket's upcalls
 * run on one thread, never two at once.
 */
static void
test_lanes(void **state)
{
	static const char *modes[] = { "auto", "mmsg", "ring" };

	(void)state;
	NEED_NS();
	for (size_t mi = 0; mi < sizeof(modes) / sizeof(modes[0]); mi++) {
		struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "linux",
		    .ifaces = "xkl0", .threads = 2);
		struct lane_seen *ls;
		struct peer p;
		socket_t so;
		int64_t end;
		int rcvbuf = 4 << 20;

		assert_non_null(ls = calloc(1, sizeof(*ls)));
		setenv("XKPI_LINUX_RX", modes[mi], 1);
		assert_int_equal(xkpi_init(&cfg), 0);
		assert_true(xk_test_stat_find("be.linux.xkl0.lane1.rx", NULL));
		assert_false(xk_test_stat_find("be.linux.xkl0.lane2.rx",
		    NULL));
		assert_int_equal(sock_socket(PF_INET, SOCK_RAW, 253,
		    lane_upcall, ls, &so), 0);
		/* Room for the whole burst: the test is not of the buffer. */
		assert_int_equal(sock_setsockopt(so, SOL_SOCKET, SO_RCVBUF,
		    &rcvbuf, sizeof(rcvbuf)), 0);
		peer_open(&p);
		for (uint32_t seq = 0; seq < LANE_PER_SRC; seq++) {
			for (unsigned int k = 0; k < LANE_SRCS; k++) {
				peer_frame(&p, k, seq);
				peer_send(&p, 1);
			}
		}
		end = xk_test_now_us() + 10 * 1000 * 1000;	/* liveness */
		while (ls->got < LANE_SRCS * LANE_PER_SRC &&
		    xk_test_now_us() < end) {
			usleep(1000);
		}
		sock_close(so);
		print_message("%s: lane0 %" PRIu64 ", lane1 %" PRIu64 "\n",
		    modes[mi], xk_test_stat("be.linux.xkl0.lane0.rx"),
		    xk_test_stat("be.linux.xkl0.lane1.rx"));
		assert_int_equal(ls->got, LANE_SRCS * LANE_PER_SRC);
		assert_int_equal(ls->disorder, 0);
		assert_int_equal(ls->overlaps, 0);
		assert_int_equal(ls->threads, 0);
		assert_true(xk_test_stat("be.linux.xkl0.lane0.rx") > 0);
		assert_true(xk_test_stat("be.linux.xkl0.lane1.rx") > 0);
		assert_int_equal(xk_test_stat("be.linux.xkl0.lane0.rx") +
		    xk_test_stat("be.linux.xkl0.lane1.rx"),
		    xk_test_stat("be.linux.xkl0.rx"));
		assert_int_equal(xk_test_stat("be.linux.xkl0.kdrops"), 0);
		xkpi_shutdown();
		close(p.fd);
		free(ls);
	}
	unsetenv("XKPI_LINUX_RX");
}

/* A host raw socket of protocol 253 in the namespace: what arrives. */
static int
sink_open(void)
{
	int fd, size = 4 << 20;

	assert_true((fd = socket(AF_INET, SOCK_RAW, 253)) >= 0);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	return fd;
}

/* Counts arrivals from 10.206.0.1 until @want, or 10 s (liveness). */
static unsigned int
sink_count(int fd, unsigned int want)
{
	int64_t end = xk_test_now_us() + 10 * 1000 * 1000;
	unsigned int got = 0;
	uint8_t buf[2048];
	ssize_t n;

	while (got < want && xk_test_now_us() < end) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, 100) <= 0) {
			continue;
		}
		while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
			const struct ip *ip = (const void *)buf;

			if ((size_t)n >= sizeof(*ip) &&
			    ip->ip_src.s_addr == htonl(0x0ace0001)) {
				got++;
			}
		}
	}
	return got;
}

/* Queues @n packets to 10.206.0.2; the loop is not run. */
static void
queue_n(int n)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	socket_t so;

	assert_int_equal(sock_socket(PF_INET, SOCK_RAW, 253, NULL, NULL, &so),
	    0);
	inet_pton(AF_INET, "10.206.0.2", &to.sin_addr);
	for (int i = 0; i < n; i++) {
		assert_int_equal(send1(so, &to), 0);
	}
	sock_close(so);
}

/*
 * xkpi_shutdown() sends what the output queue holds before it frees it:
 * 1000 packets queued with the loop held still all arrive.
 */
static void
test_shutdown_drains(void **state)
{
	struct event_base *base;
	int fd;

	(void)state;
	NEED_NS();
	fd = sink_open();
	base = start_on_base("ring", "xkl0");
	queue_n(1000);
	/* Queued, not sent: not counted as sent yet. */
	assert_int_equal(xk_test_stat("if.xkl0.opackets"), 0);
	stop_on_base(base);
	assert_int_equal(sink_count(fd, 1000), 1000);
	close(fd);
}

/* A queue discipline that lets 1 kB a second out of xkl0. */
#define SLOW_QDISC	"tc qdisc add dev xkl0 root tbf rate 8kbit " \
			"burst 1600 limit 1000000"

/*
 * The host holds the packets back: xkpi_shutdown() waits its bound
 * (XK_DRAIN_MS), then discards the rest and says how many.
 */
static void
test_shutdown_bound(void **state)
{
	struct event_base *base;
	unsigned int lost = 0;
	const char *msgs, *p;

	(void)state;
	NEED_NS();
	assert_int_equal(sh(SLOW_QDISC), 0);
	base = start_on_base("ring", "xkl0");
	queue_n(1000);
	xk_test_log_keep();
	stop_on_base(base);
	msgs = xk_test_log_kept();
	print_message("%s", msgs);
	assert_non_null(p = strstr(msgs, "linux: "));
	assert_int_equal(sscanf(p, "linux: %u queued packet(s) did not leave "
	    "by shutdown", &lost), 1);
	assert_true(lost > 0 && lost < 1000);
}

/* The child's counters, written to a pipe after the library's hook. */
static int report_fd = -1;

static void
report_cb(const char *name, uint64_t value, void *ctx)
{
	char line[128];
	int len;

	(void)ctx;
	if (strcmp(name, "if.xkl0.opackets") == 0 ||
	    strcmp(name, "if.xkl0.oqdrops") == 0 ||
	    strcmp(name, "be.linux.txlost") == 0) {
		len = snprintf(line, sizeof(line), "%s %llu\n", name,
		    (unsigned long long)value);
		if (write(report_fd, line, (size_t)len) != len) {
			_exit(4);
		}
	}
}

static void
report_at_exit(void)
{
	(void)xkpi_stats(report_cb, NULL);
	close(report_fd);
}

/* In a child: sends @n packets and calls exit() at once. */
static void
child_send_exit(int n)
{
	struct xkpi_config cfg = { .backend = "linux", .ifaces = "xkl0" };
	struct sockaddr_in to = { .sin_family = AF_INET };
	socket_t so;

	/* Registered before the library's own hook: runs after it. */
	if (atexit(report_at_exit) != 0 || xkpi_init(&cfg) != 0 ||
	    sock_socket(PF_INET, SOCK_RAW, 253, NULL, NULL, &so) != 0) {
		_exit(2);
	}
	inet_pton(AF_INET, "10.206.0.2", &to.sin_addr);
	for (int i = 0; i < n; i++) {
		if (send1(so, &to) != 0) {
			_exit(3);
		}
	}
	exit(0);
}

struct exit_counts {
	uint64_t	opackets;
	uint64_t	oqdrops;
	uint64_t	txlost;
};

/* Runs child_send_exit(@n) in a child; its counters after exit. */
static void
run_exit_child(int n, struct exit_counts *c)
{
	char buf[512], name[64];
	unsigned long long v;
	int fds[2], st;
	size_t have = 0;
	ssize_t r;
	FILE *f;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		close(fds[0]);
		report_fd = fds[1];
		child_send_exit(n);
	}
	assert_true(pid > 0);
	close(fds[1]);
	while (have < sizeof(buf) - 1 &&
	    (r = read(fds[0], buf + have, sizeof(buf) - 1 - have)) > 0) {
		have += (size_t)r;
	}
	buf[have] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	print_message("%s", buf);
	c->opackets = c->oqdrops = c->txlost = UINT64_MAX;
	assert_non_null(f = fmemopen(buf, have + 1, "r"));
	while (fscanf(f, "%63s %llu", name, &v) == 2) {
		if (strcmp(name, "if.xkl0.opackets") == 0) {
			c->opackets = v;
		} else if (strcmp(name, "if.xkl0.oqdrops") == 0) {
			c->oqdrops = v;
		} else if (strcmp(name, "be.linux.txlost") == 0) {
			c->txlost = v;
		}
	}
	fclose(f);
}

/*
 * A program that sends and calls exit() at once: the exit hook sends
 * what was queued, and the counters say so.
 */
static void
test_exit_drains(void **state)
{
	struct exit_counts c;
	int fd;

	(void)state;
	NEED_NS();
	fd = sink_open();
	run_exit_child(10, &c);
	assert_int_equal(sink_count(fd, 10), 10);
	assert_int_equal(c.opackets, 10);
	assert_int_equal(c.oqdrops, 0);
	assert_int_equal(c.txlost, 0);
	close(fd);
}

/*
 * At exit, with the host holding packets back: the hook's bound passes,
 * and every packet is counted, as sent or as lost.
 */
static void
test_exit_bound(void **state)
{
	struct exit_counts c;

	(void)state;
	NEED_NS();
	assert_int_equal(sh(SLOW_QDISC), 0);
	run_exit_child(1000, &c);
	assert_int_equal(c.opackets + c.oqdrops, 1000);
	assert_true(c.oqdrops > 0);
	assert_int_equal(c.txlost, c.oqdrops);
}

/* Counter @name once it reaches @want, or its value after 10 s. */
static uint64_t
wait_stat(const char *name, uint64_t want)
{
	int64_t end = xk_test_now_us() + 10 * 1000 * 1000;
	uint64_t v;

	while ((v = xk_test_stat(name)) < want && xk_test_now_us() < end) {
		usleep(1000);
	}
	return v;
}

/*
 * 10.207.9.0/24 is routed out of xkl0, and 10.207.9.5 is xkl1's link
 * address (nobody answers for 10.207.9.6): frames to it arrive on xkl1,
 * where a packet socket counts them (the host does not forward them).
 */
#define TX_ROUTE	"ip route replace 10.207.9.0/24 dev xkl0 && " \
			"ip neigh replace 10.207.9.5 dev xkl0 nud permanent " \
			"lladdr $(ip -br link show dev xkl1 | awk '{ print $3 }')"

static int
frame_sink_open(void)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int fd, size = 4 << 20;

	assert_true((fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP))) >= 0);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_ifindex = (int)if_nametoindex("xkl1");
	assert_int_equal(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
	return fd;
}

/*
 * Counts frames from xkl0's link address to xkl1's carrying protocol 253
 * from 10.206.0.1 to 10.207.9.5 with @len bytes of payload, until @want
 * or 10 s (liveness); frames of the wrong shape count in *@bad.
 */
static unsigned int
frame_sink_count(int fd, unsigned int want, size_t len, unsigned int *bad)
{
	int64_t end = xk_test_now_us() + 10 * 1000 * 1000;
	uint8_t buf[2048], src[ETHER_ADDR_LEN], dst[ETHER_ADDR_LEN];
	struct ifreq ifr;
	unsigned int got = 0;
	ssize_t n;

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "xkl0");
	assert_int_equal(ioctl(fd, SIOCGIFHWADDR, &ifr), 0);
	memcpy(src, ifr.ifr_hwaddr.sa_data, ETHER_ADDR_LEN);
	strcpy(ifr.ifr_name, "xkl1");
	assert_int_equal(ioctl(fd, SIOCGIFHWADDR, &ifr), 0);
	memcpy(dst, ifr.ifr_hwaddr.sa_data, ETHER_ADDR_LEN);
	*bad = 0;
	while (got + *bad < want && xk_test_now_us() < end) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, 100) <= 0) {
			continue;
		}
		while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
			const struct ether_header *eh = (const void *)buf;
			struct ip iph, *ip = &iph;

			if ((size_t)n < sizeof(*eh) + sizeof(*ip)) {
				continue;
			}
			/* At an odd offset of the frame: copied, not cast. */
			memcpy(ip, eh + 1, sizeof(*ip));
			if (ip->ip_p != 253 ||
			    ip->ip_dst.s_addr != htonl(0x0acf0905)) {
				continue;	/* not ours (ARP, ...) */
			}
			if ((size_t)n == sizeof(*eh) + sizeof(*ip) + len &&
			    memcmp(eh->ether_dhost, dst, sizeof(dst)) == 0 &&
			    memcmp(eh->ether_shost, src, sizeof(src)) == 0 &&
			    ntohs(ip->ip_len) == sizeof(*ip) + len &&
			    ip->ip_src.s_addr == htonl(0x0ace0001)) {
				got++;
			} else {
				(*bad)++;
			}
		}
	}
	return got;
}

/*
 * A resolved next hop out of an Ethernet interface: the packets leave
 * through xkl0's TX ring, framed for the host's neighbour entry, every
 * one counted once (txring, if_opackets) and none the raw socket's way
 * (XKPI_LINUX_TX=ring, the default), kicked at least once per 32.  With XKPI_LINUX_TX=raw the same
 * packets take the raw socket's way and arrive as well.
 */
static void
test_tx_ring(void **state)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "linux",
	    .ifaces = "xkl0");
	struct sockaddr_in to = { .sin_family = AF_INET };
	uint64_t kicks, kicks0;
	unsigned int bad;
	socket_t so;
	int fd;

	(void)state;
	NEED_NS();
	assert_int_equal(sh(TX_ROUTE), 0);
	fd = frame_sink_open();
	inet_pton(AF_INET, "10.207.9.5", &to.sin_addr);
	for (int raw = 0; raw < 2; raw++) {
		if (raw) {
			setenv("XKPI_LINUX_TX", "raw", 1);
		}
		assert_int_equal(xkpi_init(&cfg), 0);
		unsetenv("XKPI_LINUX_TX");
		kicks0 = xk_test_stat("be.linux.xkl0.txring_kicks");
		assert_int_equal(sock_socket(PF_INET, SOCK_RAW, 253, NULL,
		    NULL, &so), 0);
		for (int i = 0; i < 1000; i++) {
			assert_int_equal(send1(so, &to), 0);
		}
		assert_int_equal(frame_sink_count(fd, 1000, 32, &bad), 1000);
		assert_int_equal(bad, 0);
		sock_close(so);
		/* Counted once the host took them (just after, maybe). */
		assert_int_equal(wait_stat("if.xkl0.opackets", 1000), 1000);
		assert_int_equal(xk_test_stat("if.xkl0.oqdrops"), 0);
		assert_int_equal(xk_test_stat("be.linux.xkl0.txring"),
		    raw ? 0 : 1000);
		assert_int_equal(xk_test_stat("be.linux.xkl0.txring_full"), 0);
		/*
		 * The ring's frames leave by kicks, at least one per 32
		 * (how many more depends on the pace: a frame alone is
		 * kicked at once); the raw socket's way makes none.
		 */
		kicks = xk_test_stat("be.linux.xkl0.txring_kicks") - kicks0;
		assert_true(raw ? kicks == 0 : kicks >= 1000 / 32 &&
		    kicks <= 1000);
		xkpi_shutdown();
	}
	close(fd);
}

/*
 * The next frame on @fd carrying protocol 253 to 10.207.9.5: its IP
 * packet into @pkt (@size bytes of room) and its length, or 0 after 10 s
 * (liveness).
 */
static size_t
frame_sink_next(int fd, uint8_t *pkt, size_t size)
{
	int64_t end = xk_test_now_us() + 10 * 1000 * 1000;
	uint8_t buf[2048];
	ssize_t n;

	while (xk_test_now_us() < end) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct ip ip;

		if (poll(&pfd, 1, 100) <= 0) {
			continue;
		}
		while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
			size_t len = (size_t)n - ETHER_HDR_LEN;

			if ((size_t)n < ETHER_HDR_LEN + sizeof(ip)) {
				continue;
			}
			memcpy(&ip, buf + ETHER_HDR_LEN, sizeof(ip));
			if (ip.ip_p == 253 &&
			    ip.ip_dst.s_addr == htonl(0x0acf0905) &&
			    len <= size) {
				memcpy(pkt, buf + ETHER_HDR_LEN, len);
				return len;
			}
		}
	}
	return 0;
}

/*
 * sock_send's one copy: a datagram in pieces, behind a header with IP
 * options, goes from the caller's memory into the TX ring
 * (ip.out.direct) and arrives whole: the pieces in order, the options
 * there, the header's checksum right; so does one on a connected socket.
 * sock_sendmbuf, and a packet to a next hop the host has not resolved,
 * take the mbuf's way: ip.out counts them, ip.out.direct does not.
 */
static void
test_tx_direct(void **state)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "linux",
	    .ifaces = "xkl0");
	struct sockaddr_in to5 = { .sin_family = AF_INET }, to6 = to5;
	static const uint8_t opts[4] = { IPOPT_NOP, IPOPT_NOP, IPOPT_NOP,
	    IPOPT_EOL };
	uint8_t a[3] = { 1, 2, 3 }, b[200], pkt[2048], want[203];
	struct iovec iov[3] = { { a, sizeof(a) }, { NULL, 0 },
	    { b, sizeof(b) } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 3 };
	size_t sent, hlen = sizeof(struct ip) + sizeof(opts);
	struct ip ip;
	uint64_t d0, o0, p0;
	mbuf_t m;
	socket_t so;
	int fd;

	(void)state;
	NEED_NS();
	assert_int_equal(sh(TX_ROUTE), 0);
	for (size_t i = 0; i < sizeof(b); i++) {
		b[i] = (uint8_t)(i * 7 + 11);
	}
	memcpy(want, a, sizeof(a));
	memcpy(want + sizeof(a), b, sizeof(b));
	inet_pton(AF_INET, "10.207.9.5", &to5.sin_addr);
	inet_pton(AF_INET, "10.207.9.6", &to6.sin_addr);
	fd = frame_sink_open();
	assert_int_equal(xkpi_init(&cfg), 0);
	/* The counters run on from earlier tests. */
	d0 = xk_test_stat("ip.out.direct");
	o0 = xk_test_stat("ip.out");
	p0 = xk_test_stat("if.xkl0.opackets");
	assert_int_equal(sock_socket(PF_INET, SOCK_RAW, 253, NULL, NULL, &so),
	    0);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_OPTIONS, opts,
	    sizeof(opts)), 0);
	msg.msg_name = &to5;
	msg.msg_namelen = sizeof(to5);
	assert_int_equal(sock_send(so, &msg, 0, &sent), 0);
	assert_int_equal(sent, sizeof(want));
	assert_int_equal(frame_sink_next(fd, pkt, sizeof(pkt)),
	    hlen + sizeof(want));
	memcpy(&ip, pkt, sizeof(ip));
	assert_int_equal(ip.ip_hl << 2, hlen);
	assert_int_equal(ntohs(ip.ip_len), hlen + sizeof(want));
	assert_int_equal(ip.ip_src.s_addr, htonl(0x0ace0001));
	assert_int_equal(xk_in_cksum_buf(pkt, hlen), 0);
	assert_memory_equal(pkt + sizeof(ip), opts, sizeof(opts));
	assert_memory_equal(pkt + hlen, want, sizeof(want));
	assert_int_equal(xk_test_stat("ip.out.direct"), d0 + 1);
	assert_int_equal(xk_test_stat("ip.out"), o0 + 1);

	/* The mbuf's way: the same bytes, one copy from the chain. */
	assert_int_equal(mbuf_allocpacket(MBUF_WAITOK, sizeof(want), NULL,
	    &m), 0);
	assert_int_equal(mbuf_copyback(m, 0, sizeof(want), want,
	    MBUF_WAITOK), 0);
	msg.msg_iov = NULL;
	msg.msg_iovlen = 0;
	assert_int_equal(sock_sendmbuf(so, &msg, m, 0, &sent), 0);
	assert_int_equal(frame_sink_next(fd, pkt, sizeof(pkt)),
	    hlen + sizeof(want));
	assert_memory_equal(pkt + hlen, want, sizeof(want));
	assert_int_equal(xk_test_stat("ip.out"), o0 + 2);
	assert_int_equal(xk_test_stat("ip.out.direct"), d0 + 1);

	/* Nobody resolved: the raw socket's way, where the host asks. */
	msg.msg_iov = iov;
	msg.msg_iovlen = 3;
	msg.msg_name = &to6;
	assert_int_equal(sock_send(so, &msg, 0, &sent), 0);
	assert_int_equal(xk_test_stat("ip.out"), o0 + 3);
	assert_int_equal(xk_test_stat("ip.out.direct"), d0 + 1);
	/* The ring waits until the host has taken it: order is kept. */
	assert_int_equal(wait_stat("if.xkl0.opackets", p0 + 3), p0 + 3);

	/* Connected: no name, the peer's address. */
	assert_int_equal(sock_connect(so, (struct sockaddr *)&to5, 0), 0);
	msg.msg_name = NULL;
	msg.msg_namelen = 0;
	assert_int_equal(sock_send(so, &msg, 0, &sent), 0);
	assert_int_equal(frame_sink_next(fd, pkt, sizeof(pkt)),
	    hlen + sizeof(want));
	assert_memory_equal(pkt + hlen, want, sizeof(want));
	assert_int_equal(xk_test_stat("ip.out.direct"), d0 + 2);
	sock_close(so);
	xkpi_shutdown();
	close(fd);
}

/*
 * With the loop held still: a packet to a next hop the host has not
 * resolved (10.207.9.6) takes the raw socket's way, where the host
 * resolves it; one to the resolved 10.207.9.5 follows it there rather
 * than overtake it; once the queue has left, the ring takes them again.
 */
static void
test_tx_ring_order(void **state)
{
	struct sockaddr_in to5 = { .sin_family = AF_INET }, to6 = to5;
	struct event_base *base;
	socket_t so;

	(void)state;
	NEED_NS();
	assert_int_equal(sh(TX_ROUTE), 0);
	inet_pton(AF_INET, "10.207.9.5", &to5.sin_addr);
	inet_pton(AF_INET, "10.207.9.6", &to6.sin_addr);
	base = start_on_base("auto", "xkl0");
	assert_int_equal(sock_socket(PF_INET, SOCK_RAW, 253, NULL, NULL, &so),
	    0);
	assert_int_equal(send1(so, &to6), 0);
	assert_int_equal(send1(so, &to5), 0);
	assert_int_equal(xk_test_stat("be.linux.xkl0.txring"), 0);
	for (int i = 0; i < 100 && xk_test_stat("if.xkl0.opackets") < 2;
	    i++) {
		(void)turns_until(base, 2);
	}
	assert_int_equal(xk_test_stat("if.xkl0.opackets"), 2);
	assert_int_equal(send1(so, &to5), 0);
	for (int i = 0; i < 100 && xk_test_stat("be.linux.xkl0.txring") < 1;
	    i++) {
		(void)turns_until(base, 2);
	}
	assert_int_equal(xk_test_stat("be.linux.xkl0.txring"), 1);
	assert_int_equal(xk_test_stat("if.xkl0.opackets"), 3);
	sock_close(so);
	stop_on_base(base);
}

/*
 * The host holds the frames back (a slow queue discipline, the socket's
 * buffer full): the ring fills, and the next send is ENOBUFS, counted
 * (txring_full).  At shutdown what the host has not taken is discarded
 * and counted: every packet accepted is sent or lost, once.
 */
static void
test_tx_ring_full(void **state)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct event_base *base;
	uint64_t taken, accepted = 0;
	unsigned int lost = 0;
	const char *msgs, *p;
	errno_t error = 0;
	socket_t so;

	(void)state;
	NEED_NS();
	assert_int_equal(sh(TX_ROUTE " && " SLOW_QDISC), 0);
	inet_pton(AF_INET, "10.207.9.5", &to.sin_addr);
	base = start_on_base("auto", "xkl0");
	assert_int_equal(sock_socket(PF_INET, SOCK_RAW, 253, NULL, NULL, &so),
	    0);
	while (accepted < 20000 && (error = send1(so, &to)) == 0) {
		accepted++;
	}
	assert_int_equal(error, ENOBUFS);
	assert_int_equal(xk_test_stat("be.linux.xkl0.txring_full"), 1);
	taken = xk_test_stat("be.linux.xkl0.txring");
	print_message("accepted %llu, the host took %llu\n",
	    (unsigned long long)accepted, (unsigned long long)taken);
	/*
	 * The ring's 1024 frames filled once at least; no more wait than
	 * it holds (frames the host took but still holds are not free).
	 */
	assert_true(accepted >= 1024 && accepted - taken <= 1024);
	assert_int_equal(xk_test_stat("if.xkl0.opackets"), taken);
	sock_close(so);
	xk_test_log_keep();
	stop_on_base(base);
	msgs = xk_test_log_kept();
	print_message("%s", msgs);
	assert_non_null(p = strstr(msgs, "linux: "));
	assert_int_equal(sscanf(p, "linux: %u queued packet(s) did not leave "
	    "by shutdown", &lost), 1);
	/* The host took a few more while the drain waited, no more. */
	assert_true(lost > 0 && lost <= accepted - taken);
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
		cmocka_unit_test_teardown(test_down_up_no_spin, teardown_base),
		cmocka_unit_test_teardown(test_deleted_no_spin, teardown_base),
		cmocka_unit_test_teardown(test_auto_switch, teardown_base),
		cmocka_unit_test_teardown(test_shutdown_drains, teardown_base),
		cmocka_unit_test_teardown(test_shutdown_bound, teardown_base),
		cmocka_unit_test_teardown(test_exit_drains, teardown_base),
		cmocka_unit_test_teardown(test_exit_bound, teardown_base),
		cmocka_unit_test_teardown(test_tx_ring, teardown_base),
		cmocka_unit_test_teardown(test_tx_direct, teardown_base),
		cmocka_unit_test_teardown(test_tx_ring_order, teardown_base),
		cmocka_unit_test_teardown(test_tx_ring_full, teardown_base),
		cmocka_unit_test_teardown(test_lanes, teardown_base),
	};

	/* Before any thread: a namespace of our own, with a veth pair. */
	have_ns = geteuid() == 0 && unshare(CLONE_NEWNET) == 0 &&
	    sh("ip link set lo up && "
	    /*
	     * No IPv6 on the pair: the router solicitations and MLD
	     * reports a new link sends would add to the counts the cases
	     * assert exactly.
	     */
	    "sysctl -qw net.ipv6.conf.default.disable_ipv6=1 && "
	    "ip link add xkl0 mtu 1400 type veth peer name xkl1 && "
	    "ip link set xkl0 up && ip link set xkl1 up && "
	    "ip addr add 10.206.0.1/24 dev xkl0 && "
	    "ip addr add 10.206.0.2/24 dev xkl1 && "
	    /*
	     * Sent out of xkl0 (IP_PKTINFO), packets to 10.206.0.2 cross
	     * the pair: its link address is given, as ARP between two
	     * addresses of one host is refused, and xkl1 takes packets
	     * from a local source.
	     */
	    "ip neigh replace 10.206.0.2 dev xkl0 nud permanent lladdr "
	    "$(ip -br link show dev xkl1 | awk '{ print $3 }') && "
	    "sysctl -qw net.ipv4.conf.all.rp_filter=0 && "
	    "sysctl -qw net.ipv4.conf.xkl1.rp_filter=0 && "
	    "sysctl -qw net.ipv4.conf.xkl1.accept_local=1") == 0;
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
