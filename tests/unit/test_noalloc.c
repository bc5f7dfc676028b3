/*
 * Steady state allocates nothing (issue 10, item 5): once the mbuf pool
 * is warm and the tables have grown, moving packets calls no allocator,
 * on the sending thread or on the loop thread.  The allocator is counted
 * by interposition: this program defines malloc, calloc, realloc,
 * reallocarray, posix_memalign, aligned_alloc, memalign and valloc, which
 * count a call while armed and forward to glibc's __libc_* entry points
 * (strdup and glib's g_malloc reach malloc; GSlice too, as in glib 2.76
 * and later, with G_SLICE=always-malloc).  Each scenario warms up with
 * WARM packets, then arms (with a reserve of mbufs in the zones' caches:
 * pool_reserve), moves MEASURE packets and asserts the count.  The mem
 * backend's cases run anywhere; the linux, pcap and nfqueue backends'
 * cases need root, for a network namespace of the program's own with a
 * veth pair (make_ns), and skip without (nfqueue's also without
 * iptables).
 *
 * Builds whose allocator is not glibc's (ASan, TSan: they define malloc
 * themselves) leave the hooks out, as do builds that free every mbuf to
 * the heap (XK_MBUF_NO_CACHE); valgrind replaces malloc too, and
 * check-valgrind runs with XKPI_MBUF_CACHE=0.  There every test skips,
 * saying why.
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
#include <execinfo.h>
#include <glib.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netinet/ip_divert.h>
#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>

#include <xkpi.h>
#include <xkpi_fw.h>
#include <xkpi_mem.h>
#include "backends/backend.h"
#include "core/ip_var.h"
#include "tests/lib/xk_test.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND	0
#endif

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NOALLOC_SANITIZED	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define NOALLOC_SANITIZED	1
#endif
#endif
#if !defined(NOALLOC_SANITIZED) && !defined(XK_MBUF_NO_CACHE)
#define NOALLOC_HOOKS		1
#endif

#define PROTO_EXP	253	/* RFC 3692 experimentation */
#define WARM		2000	/* packets before counting */
#define MEASURE		10000	/* packets counted */
#define WINDOW		64	/* packets in flight at most */
#define NREC		4	/* allocations whose stack is kept */
#define NFRAMES		12

/*
 * The counter.  `armed` opens the window; every thread's calls count
 * while it is open.  The first NREC calls keep their stack: backtrace()
 * is called with a per-thread guard, so that what it allocates itself
 * (libgcc_s on its first call, made before any window opens) is
 * forwarded and not counted.
 */
static atomic_bool armed;
static atomic_uint nalloc;
static void *rec[NREC][NFRAMES];
static atomic_int recn[NREC];
static uint32_t vx0_index;
/* A divert case replaced the backend's ops (xk_test_held_install). */
static bool div_held_ops;

#ifdef NOALLOC_HOOKS
static _Thread_local int in_hook;

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);

/*
 * The hooks must be in the dynamic symbol table (the project builds with
 * -fvisibility=hidden) for glib and libevent to reach them.
 */
#define HOOK	__attribute__((visibility("default")))
void	*memalign(size_t, size_t) HOOK;

static void
note(void)
{
	unsigned int i;

	if (!atomic_load_explicit(&armed, memory_order_relaxed) ||
	    in_hook) {
		return;
	}
	i = atomic_fetch_add(&nalloc, 1);
	if (i < NREC) {
		in_hook = 1;
		atomic_store(&recn[i], backtrace(rec[i], NFRAMES));
		in_hook = 0;
	}
}

HOOK void *
malloc(size_t n)
{
	note();
	return __libc_malloc(n);
}

HOOK void *
calloc(size_t n, size_t size)
{
	note();
	return __libc_calloc(n, size);
}

HOOK void *
realloc(void *p, size_t n)
{
	note();
	return __libc_realloc(p, n);
}

HOOK void *
reallocarray(void *p, size_t n, size_t size)
{
	note();
	if (size != 0 && n > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_realloc(p, n * size);
}

HOOK void *
memalign(size_t align, size_t n)
{
	note();
	return __libc_memalign(align, n);
}

HOOK void *
aligned_alloc(size_t align, size_t n)
{
	note();
	return __libc_memalign(align, n);
}

HOOK void *
valloc(size_t n)
{
	note();
	return __libc_valloc(n);
}

HOOK int
posix_memalign(void **out, size_t align, size_t n)
{
	void *p;

	note();
	if (align < sizeof(void *) || (align & (align - 1)) != 0) {
		return EINVAL;
	}
	if ((p = __libc_memalign(align, n)) == NULL) {
		return ENOMEM;
	}
	*out = p;
	return 0;
}
#endif /* NOALLOC_HOOKS */

/* Why this run cannot count, or NULL. */
static const char *
why_skip(void)
{
#if defined(NOALLOC_SANITIZED)
	return "a sanitizer's allocator replaces malloc in this build";
#elif defined(XK_MBUF_NO_CACHE)
	return "this build frees every mbuf to the heap (XK_MBUF_NO_CACHE)";
#else
	const char *env = getenv("XKPI_MBUF_CACHE");

	if (RUNNING_ON_VALGRIND) {
		return "valgrind's allocator replaces malloc";
	}
	if (env != NULL && strcmp(env, "0") == 0) {
		return "XKPI_MBUF_CACHE=0: every mbuf comes from the heap";
	}
	return NULL;
#endif
}

#define SKIP_UNLESS_COUNTING() do {					\
	const char *why_ = why_skip();					\
	if (why_ != NULL) {						\
		print_message("# skipped: %s\n", why_);			\
		skip();							\
	}								\
} while (0)

/*
 * How many mbufs a scenario holds at once depends on the threads'
 * timing (a loop thread that falls behind reads a window's packets in
 * one batch, each with its address mbuf; a sender that outruns the loop
 * has a window queued), and the warm-up may not have met its highest
 * mark.  Before counting, the zones get RESERVE mbufs with clusters and
 * RESERVE plain mbufs more than they had, freed into their caches, as a
 * process that has run for a while has them.  Growth that comes with
 * the packets still shows: 10,000 packets take the reserve many times
 * over.
 */
#define RESERVE		512

static void
pool_reserve(void)
{
	static mbuf_t held[2 * RESERVE];

	for (int i = 0; i < RESERVE; i++) {
		assert_int_equal(mbuf_getpacket(MBUF_WAITOK, &held[i]), 0);
		assert_int_equal(mbuf_get(MBUF_WAITOK, MBUF_TYPE_DATA,
		    &held[RESERVE + i]), 0);
	}
	for (int i = 0; i < 2 * RESERVE; i++) {
		mbuf_freem(held[i]);
	}
}

static void
arm(void)
{
	pool_reserve();
	atomic_store(&nalloc, 0);
	for (int i = 0; i < NREC; i++) {
		atomic_store(&recn[i], 0);
	}
	atomic_store(&armed, true);
}

/*
 * Closes the window and prints what was counted over @packets; with
 * packets, the first stacks too (the program's own frames are hidden
 * symbols: `addr2line -f -e PROGRAM +OFFSET` names them).
 */
static unsigned int
disarm(const char *what, int packets)
{
	unsigned int n;

	atomic_store(&armed, false);
	n = atomic_load(&nalloc);
	if (packets > 0) {
		print_message("# %s: %u allocator calls over %d packets\n",
		    what, n, packets);
	} else {
		print_message("# %s: %u allocator calls\n", what, n);
	}
	for (unsigned int i = 0; packets > 0 && i < n && i < NREC; i++) {
		print_message("# allocation %u:\n", i + 1);
		fflush(stdout);
		backtrace_symbols_fd(rec[i], atomic_load(&recn[i]), 2);
	}
	return n;
}

/* Spins (yielding) until *@c reaches @atleast; fails past the bound. */
static void
await_count(atomic_int *c, int atleast, const char *what)
{
	int64_t end = xk_test_now_us() + (int64_t)XK_TEST_WAIT_MS * 1000;
	unsigned int spins = 0;

	while (atomic_load(c) < atleast) {
		if (++spins % 64 == 0) {
			struct timespec ts = { 0, 20000 };

			if (xk_test_now_us() > end) {
				fail_msg("%s: %d of %d", what, atomic_load(c),
				    atleast);
			}
			nanosleep(&ts, NULL);
		} else {
			sched_yield();
		}
	}
}

static int
setup(void **state)
{
	struct in_addr a;
	struct in6_addr a6;

	xk_test_sock_setup(state);
	xkpi_mem_reset();
	assert_int_equal(xkpi_mem_vif_create("vx0", 1500, &vx0_index), 0);
	assert_int_equal(xkpi_mem_vif_create("vx1", 1500, NULL), 0);
	a = xk_test_a4("10.0.0.1");
	assert_int_equal(xkpi_mem_vif_addaddr("vx0", AF_INET, &a, 24), 0);
	a6 = xk_test_a6("2001:db8::1");
	assert_int_equal(xkpi_mem_vif_addaddr("vx0", AF_INET6, &a6, 64), 0);
	a = xk_test_a4("10.0.1.1");
	assert_int_equal(xkpi_mem_vif_addaddr("vx1", AF_INET, &a, 24), 0);
	return 0;
}

static int
teardown(void **state)
{
	atomic_store(&armed, false);
	/* What a divert case left when it failed half-way. */
	(void)xkpi_fw_flush();
	if (div_held_ops) {
		xk_test_held_restore();
		div_held_ops = false;
	}
	xkpi_mem_reset();
	return xk_test_sock_teardown(state);
}

/* The hook sees the library's allocations (else every test would pass). */
static void
test_hook_counts(void **state)
{
	void *(*volatile m)(size_t) = malloc;
	socket_t so = NULL;
	unsigned int n;

	(void)state;
	SKIP_UNLESS_COUNTING();
	arm();
	free(m(16));
	n = atomic_load(&nalloc);
	assert_int_equal(n, 1);
	/* G_SLICE=always-malloc took (main): GSlice reaches malloc. */
	g_slice_free1(24, g_slice_alloc(24));
	n = atomic_load(&nalloc);
	assert_int_equal(n, 2);
	assert_int_equal(sock_socket(PF_INET, SOCK_RAW, PROTO_EXP, NULL, NULL,
	    &so), 0);
	sock_close(so);
	n = disarm("socket created and closed", 0);
	assert_true(n > 1);
}

/*
 * Read upcall: takes every queued datagram with sock_receivembuf.  While
 * `hold` is set it first waits (saying so in `held`), keeping the loop
 * from the mem backend's queue (mem_prime).
 */
struct rx {
	atomic_int	got;
	atomic_int	bad;
	atomic_int	hold;
	atomic_int	held;
};

static void
rx_upcall(socket_t so, void *cookie, int waitf)
{
	struct rx *rx = cookie;

	xk_test_upcall_check(waitf);
	if (atomic_load(&rx->hold)) {
		atomic_store(&rx->held, 1);
		/* Liveness: the test lets go at once, this bounds a failure. */
		for (int i = 0; i < 100000 && atomic_load(&rx->hold); i++) {
			usleep(100);
		}
	}
	for (;;) {
		size_t len = 1 << 16;
		mbuf_t m = NULL;

		if (sock_receivembuf(so, NULL, &m, MSG_DONTWAIT, &len) != 0) {
			return;
		}
		if (len == 0) {
			atomic_fetch_add(&rx->bad, 1);
		}
		mbuf_freem(m);
		atomic_fetch_add(&rx->got, 1);
	}
}

/* Injects @n copies of @pkt on vx0, at most WINDOW ahead of the upcall. */
static void
inject_n(struct rx *rx, const uint8_t *pkt, size_t len, int n)
{
	int base = atomic_load(&rx->got);

	for (int i = 0; i < n; i++) {
		if (i >= WINDOW) {
			await_count(&rx->got, base + i - WINDOW + 1,
			    "packets received");
		}
		assert_int_equal(xkpi_mem_inject("vx0", pkt, len), 0);
	}
	await_count(&rx->got, base + n, "packets received");
}

/*
 * The mem backend keeps its queue's entries for reuse, as many as were
 * ever queued at once.  A window's worth waits at once here, while the
 * loop is held in an upcall, so that the counted packets (never more
 * than a window ahead) find their entries made, whatever the timing of
 * the warm-up was.
 */
static void
mem_prime(struct rx *rx, const uint8_t *pkt, size_t len)
{
	int base = atomic_load(&rx->got);

	atomic_store(&rx->hold, 1);
	assert_int_equal(xkpi_mem_inject("vx0", pkt, len), 0);
	await_count(&rx->held, 1, "the loop held in an upcall");
	for (int i = 0; i < WINDOW; i++) {
		assert_int_equal(xkpi_mem_inject("vx0", pkt, len), 0);
	}
	atomic_store(&rx->hold, 0);
	await_count(&rx->got, base + 1 + WINDOW, "packets received");
}

static void
receive_case(int domain, const uint8_t *pkt, size_t len, const char *what)
{
	struct rx rx = { 0 };
	socket_t so = NULL;
	unsigned int n;
	int rcvbuf = 1 << 20;

	assert_int_equal(sock_socket(domain, SOCK_RAW, PROTO_EXP, rx_upcall,
	    &rx, &so), 0);
	/* Room for mem_prime's window at once. */
	assert_int_equal(sock_setsockopt(so, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
	    sizeof(rcvbuf)), 0);
	inject_n(&rx, pkt, len, WARM);
	mem_prime(&rx, pkt, len);
	arm();
	inject_n(&rx, pkt, len, MEASURE);
	n = disarm(what, MEASURE);
	assert_int_equal(atomic_load(&rx.got), WARM + 1 + WINDOW + MEASURE);
	assert_int_equal(atomic_load(&rx.bad), 0);
	sock_close(so);
	assert_int_equal(n, 0);
}

static void
test_receive_raw4(void **state)
{
	uint8_t pkt[128];

	(void)state;
	SKIP_UNLESS_COUNTING();
	receive_case(PF_INET, pkt, xk_test_pkt4(pkt, "10.0.0.9", "10.0.0.1",
	    PROTO_EXP, 64, 0), "raw IPv4 receive");
}

static void
test_receive_raw6(void **state)
{
	uint8_t pkt[128];
	struct ip6_hdr ip6;

	(void)state;
	SKIP_UNLESS_COUNTING();
	memset(&ip6, 0, sizeof(ip6));
	ip6.ip6_vfc = 0x60;
	ip6.ip6_plen = htons(64);
	ip6.ip6_nxt = PROTO_EXP;
	ip6.ip6_hlim = 64;
	ip6.ip6_src = xk_test_a6("2001:db8::9");
	ip6.ip6_dst = xk_test_a6("2001:db8::1");
	memcpy(pkt, &ip6, sizeof(ip6));
	xk_pattern_fill(pkt + sizeof(ip6), 0, 64);
	receive_case(PF_INET6, pkt, sizeof(ip6) + 64, "raw IPv6 receive");
}

/* Where a send scenario sends, and what leaves. */
struct dest {
	int			 domain;
	struct sockaddr_storage	 to;
	socklen_t		 tolen;
	const char		*ifname;	/* the interface it leaves by */
	size_t			 hlen;		/* its IP header */
};

/* Takes what left by @d until *@have reaches @want (bounded). */
static void
capture_until(const struct dest *d, int *have, int want)
{
	int64_t end = xk_test_now_us() + (int64_t)XK_TEST_WAIT_MS * 1000;
	uint8_t buf[256];

	while (*have < want) {
		size_t len = 0;
		errno_t e = xkpi_mem_capture(d->ifname, buf, sizeof(buf),
		    &len);

		if (e == 0) {
			assert_int_equal(len, d->hlen + 64);
			(*have)++;
			continue;
		}
		assert_int_equal(e, ENOENT);
		if (xk_test_now_us() > end) {
			fail_msg("captured %d of %d", *have, want);
		}
		sched_yield();
	}
}

/* @len bytes of @payload to @to, with sock_send or sock_sendmbuf. */
static void
send_payload(socket_t so, const void *to, socklen_t tolen,
    const uint8_t *payload, size_t len, bool usembuf)
{
	struct msghdr msg = { 0 };
	size_t sent = 0;
	errno_t e;

	msg.msg_name = (void *)(uintptr_t)to;
	msg.msg_namelen = tolen;
	if (usembuf) {
		mbuf_t m = NULL;

		assert_int_equal(mbuf_allocpacket(MBUF_WAITOK, len, NULL, &m),
		    0);
		assert_int_equal(mbuf_copyback(m, 0, len, payload,
		    MBUF_WAITOK), 0);
		e = sock_sendmbuf(so, &msg, m, 0, &sent);
	} else {
		struct iovec iov = { (void *)(uintptr_t)payload, len };

		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		e = sock_send(so, &msg, 0, &sent);
	}
	assert_int_equal(e, 0);
	assert_int_equal(sent, len);
}

/* @n packets of 64 bytes to @d: sock_send or sock_sendmbuf. */
static void
send_n(socket_t so, const struct dest *d, bool usembuf, int n,
    int *captured)
{
	uint8_t payload[64];
	int sent = *captured;

	xk_pattern_fill(payload, 0, sizeof(payload));
	for (int i = 0; i < n; i++) {
		send_payload(so, &d->to, d->tolen, payload, sizeof(payload),
		    usembuf);
		sent++;
		if (sent - *captured >= WINDOW) {
			capture_until(d, captured, sent - WINDOW / 2);
		}
	}
	capture_until(d, captured, sent);
}

static void
send_case(const struct dest *d, bool usembuf, const char *what)
{
	socket_t so = NULL;
	int captured = 0, off = 0;
	unsigned int n;

	assert_int_equal(sock_socket(d->domain, SOCK_RAW, PROTO_EXP, NULL,
	    NULL, &so), 0);
	if (d->domain == PF_INET) {
		assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_HDRINCL,
		    &off, sizeof(off)), 0);
	}
	send_n(so, d, usembuf, WARM, &captured);
	arm();
	send_n(so, d, usembuf, MEASURE, &captured);
	n = disarm(what, MEASURE);
	assert_int_equal(captured, WARM + MEASURE);
	sock_close(so);
	assert_int_equal(n, 0);
}

/* 10.0.1.9, out of vx1. */
static struct dest
dest4(void)
{
	struct dest d = { .domain = PF_INET, .ifname = "vx1",
	    .hlen = sizeof(struct ip) };
	struct sockaddr_in *sin = (struct sockaddr_in *)&d.to;

	sin->sin_family = AF_INET;
	sin->sin_addr = xk_test_a4("10.0.1.9");
	d.tolen = sizeof(*sin);
	return d;
}

/* 2001:db8::9, out of vx0. */
static struct dest
dest6(void)
{
	struct dest d = { .domain = PF_INET6, .ifname = "vx0",
	    .hlen = sizeof(struct ip6_hdr) };
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&d.to;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_addr = xk_test_a6("2001:db8::9");
	d.tolen = sizeof(*sin6);
	return d;
}

static void
test_send_raw4(void **state)
{
	struct dest d = dest4();

	(void)state;
	SKIP_UNLESS_COUNTING();
	send_case(&d, false, "raw IPv4 sock_send");
}

static void
test_sendmbuf_raw4(void **state)
{
	struct dest d = dest4();

	(void)state;
	SKIP_UNLESS_COUNTING();
	send_case(&d, true, "raw IPv4 sock_sendmbuf");
}

static void
test_send_raw6(void **state)
{
	struct dest d = dest6();

	(void)state;
	SKIP_UNLESS_COUNTING();
	send_case(&d, false, "raw IPv6 sock_send");
}

static void
test_sendmbuf_raw6(void **state)
{
	struct dest d = dest6();

	(void)state;
	SKIP_UNLESS_COUNTING();
	send_case(&d, true, "raw IPv6 sock_sendmbuf");
}

/*
 * Host UDP ping-pong on 127.0.0.1: the test sends a datagram from `a` to
 * `b`; b's read upcall echoes what it reads; a's counts the echoes.
 */
struct pp {
	socket_t		 so;
	struct sockaddr_storage	 peer;
	atomic_int		 got;
	atomic_int		 bad;
	bool			 echo;
};

static void
pp_upcall(socket_t so, void *cookie, int waitf)
{
	struct pp *pp = cookie;

	xk_test_upcall_check(waitf);
	for (;;) {
		uint8_t buf[128];
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr msg = { 0 };
		size_t n = 0;

		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		if (sock_receive(so, &msg, MSG_DONTWAIT, &n) != 0) {
			return;
		}
		if (n != 64) {
			atomic_fetch_add(&pp->bad, 1);
		}
		if (pp->echo) {
			struct msghdr out = { 0 };
			size_t sent = 0;

			iov.iov_len = n;
			out.msg_name = &pp->peer;
			out.msg_namelen = pp->peer.ss_family == AF_INET ?
			    sizeof(struct sockaddr_in) :
			    sizeof(struct sockaddr_in6);
			out.msg_iov = &iov;
			out.msg_iovlen = 1;
			if (sock_send(so, &out, 0, &sent) != 0 || sent != n) {
				atomic_fetch_add(&pp->bad, 1);
			}
		}
		atomic_fetch_add(&pp->got, 1);
	}
}

static void
pingpong_n(struct pp *a, struct pp *b, int n)
{
	int base = atomic_load(&a->got);

	uint8_t payload[64];

	(void)b;
	xk_pattern_fill(payload, 0, sizeof(payload));
	for (int i = 0; i < n; i++) {
		struct iovec iov = { payload, sizeof(payload) };
		struct msghdr msg = { 0 };
		size_t sent = 0;

		msg.msg_name = &a->peer;
		msg.msg_namelen = sizeof(struct sockaddr_in);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		assert_int_equal(sock_send(a->so, &msg, 0, &sent), 0);
		assert_int_equal(sent, sizeof(payload));
		await_count(&a->got, base + i + 1, "echoes");
	}
}

static void
test_host_udp_pingpong(void **state)
{
	struct pp a = { 0 }, b = { 0 };
	unsigned int n;

	(void)state;
	SKIP_UNLESS_COUNTING();
	b.echo = true;
	a.so = xk_test_udp(AF_INET, pp_upcall, &a, &b.peer);
	b.so = xk_test_udp(AF_INET, pp_upcall, &b, &a.peer);
	pingpong_n(&a, &b, WARM);
	arm();
	pingpong_n(&a, &b, MEASURE);
	n = disarm("host UDP ping-pong", MEASURE);
	assert_int_equal(atomic_load(&a.got), WARM + MEASURE);
	assert_int_equal(atomic_load(&b.got), WARM + MEASURE);
	assert_int_equal(atomic_load(&a.bad) + atomic_load(&b.bad), 0);
	sock_close(a.so);
	sock_close(b.so);
	assert_int_equal(n, 0);
}

/*
 * Divert over mem: a rule gives every incoming packet to a divert socket
 * whose read upcall writes each back as it was read, inward.  Held: the
 * packets enter as an intercepting backend hands them over (with hold
 * ids; mem holds nothing, so the engine's backend gets mem's ops with a
 * verdict counter, as test_divert's held cases do) and every write-back
 * answers its held packet through the matcher: by its mbuf
 * (sock_receivembuf, sock_sendmbuf) or by its key (sock_receive,
 * sock_send of the bytes).  xk_test_held_install() stands in for the
 * backend, with a verdict counter in place of its recorder.  Not held: xkpi_mem_inject, and the packet
 * written back goes on through the engine's input to a raw socket.
 */
#define DIV_PORT	5000

struct div {
	socket_t	 so;
	bool		 usembuf;
	atomic_int	 wrote;		/* written back */
	atomic_int	 bad;
};

static struct {
	atomic_int	 n;		/* verdicts */
	atomic_int	 bad;		/* not ACCEPT with bytes, or out of order */
	uint64_t	 next;		/* the hold id expected next */
} div_verdicts;

static int
div_count_verdict(struct xk_backend *be, uint64_t hold, enum xk_verdict v,
    struct __mbuf *m)
{
	(void)be;
	/* Answered oldest first: the holds come back in order. */
	if (v != XK_VERDICT_ACCEPT || m == NULL ||
	    hold != div_verdicts.next++) {
		atomic_fetch_add(&div_verdicts.bad, 1);
	}
	if (m != NULL) {
		mbuf_freem(m);
	}
	atomic_fetch_add(&div_verdicts.n, 1);
	return 0;
}

static void
div_upcall(socket_t so, void *cookie, int waitf)
{
	struct div *d = cookie;

	xk_test_upcall_check(waitf);
	for (;;) {
		struct sockaddr_in from;
		struct msghdr msg = { 0 };
		uint8_t buf[256];
		struct iovec iov = { buf, sizeof(buf) };
		size_t len = sizeof(buf), sent = 0;
		mbuf_t m = NULL;
		errno_t e;

		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		if (d->usembuf) {
			e = sock_receivembuf(so, &msg, &m, MSG_DONTWAIT, &len);
		} else {
			msg.msg_iov = &iov;
			msg.msg_iovlen = 1;
			e = sock_receive(so, &msg, MSG_DONTWAIT, &len);
		}
		if (e != 0) {
			return;
		}
		memset(&msg, 0, sizeof(msg));
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		if (d->usembuf) {
			e = sock_sendmbuf(so, &msg, m, 0, &sent);
		} else {
			iov.iov_len = len;
			msg.msg_iov = &iov;
			msg.msg_iovlen = 1;
			e = sock_send(so, &msg, 0, &sent);
		}
		if (e != 0 || sent != len) {
			atomic_fetch_add(&d->bad, 1);
		}
		atomic_fetch_add(&d->wrote, 1);
	}
}

/* @n packets through the divert socket, at most WINDOW in flight. */
static void
div_n(struct rx *rx, const uint8_t *pkt, size_t len, uint64_t *hold, int n)
{
	atomic_int *done = rx != NULL ? &rx->got : &div_verdicts.n;
	int base = atomic_load(done);

	for (int i = 0; i < n; i++) {
		if (i >= WINDOW) {
			await_count(done, base + i - WINDOW + 1,
			    "packets written back");
		}
		if (rx != NULL) {
			assert_int_equal(xkpi_mem_inject("vx0", pkt, len), 0);
		} else {
			xk_test_held_input(vx0_index, pkt, len, (*hold)++,
			    false);
		}
	}
	await_count(done, base + n, "packets written back");
}

static void
divert_case(bool held, bool usembuf, const char *what)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct div d = { .usembuf = usembuf };
	struct rx rx = { 0 };
	socket_t r = NULL;
	uint8_t pkt[128];
	uint64_t hold = 1;
	size_t len;
	unsigned int n;

	xk_div_reset();
	/* Every packet alike: by key, the oldest held one answers. */
	len = xk_test_pkt4(pkt, "10.0.0.9", "10.0.0.1", PROTO_EXP, 64, 0);
	assert_int_equal(xkpi_fw_add("100 divert 5000 ip from any to any in"),
	    0);
	assert_int_equal(sock_socket(PF_INET, SOCK_RAW, IPPROTO_DIVERT,
	    div_upcall, &d, &d.so), 0);
	sin.sin_port = htons(DIV_PORT);
	assert_int_equal(sock_bind(d.so, (struct sockaddr *)&sin), 0);
	if (held) {
		xk_test_held_install()->be_verdict = div_count_verdict;
		div_held_ops = true;
		atomic_store(&div_verdicts.n, 0);
		atomic_store(&div_verdicts.bad, 0);
		div_verdicts.next = 1;
	} else {
		assert_int_equal(sock_socket(PF_INET, SOCK_RAW, PROTO_EXP,
		    rx_upcall, &rx, &r), 0);
	}
	div_n(held ? NULL : &rx, pkt, len, &hold, WARM);
	arm();
	div_n(held ? NULL : &rx, pkt, len, &hold, MEASURE);
	n = disarm(what, MEASURE);
	sock_close(d.so);
	if (held) {
		xk_test_held_restore();
		div_held_ops = false;
		assert_int_equal(atomic_load(&div_verdicts.n), WARM + MEASURE);
		assert_int_equal(atomic_load(&div_verdicts.bad), 0);
		assert_int_equal(xk_test_stat("div.answered"), WARM + MEASURE);
		assert_int_equal(xk_test_stat("div.forgotten"), 0);
	} else {
		sock_close(r);
		assert_int_equal(atomic_load(&rx.got), WARM + MEASURE);
		assert_int_equal(atomic_load(&rx.bad), 0);
	}
	(void)xkpi_fw_flush();
	assert_int_equal(atomic_load(&d.wrote), WARM + MEASURE);
	assert_int_equal(atomic_load(&d.bad), 0);
	assert_int_equal(xk_test_stat("div.wrote_in"), WARM + MEASURE);
	assert_int_equal(n, 0);
}

static void
test_divert_held_sendmbuf(void **state)
{
	(void)state;
	SKIP_UNLESS_COUNTING();
	divert_case(true, true, "divert, held, sock_sendmbuf");
}

static void
test_divert_held_send(void **state)
{
	(void)state;
	SKIP_UNLESS_COUNTING();
	divert_case(true, false, "divert, held, sock_send");
}

static void
test_divert_mem_sendmbuf(void **state)
{
	(void)state;
	SKIP_UNLESS_COUNTING();
	divert_case(false, true, "divert, mem, sock_sendmbuf");
}

/*
 * The host backends, linux and pcap, on a veth pair in a network
 * namespace of the test's own (made in main() before any thread; root
 * only, else these cases skip).  The library is attached to HOST_IF
 * (10.208.0.1); PEER_IF is the pair's other end.  Receive: a packet
 * socket on PEER_IF sends protocol-253 frames to HOST_IF's link address,
 * from 10.208.0.2 (the host drops them: a local source), to a raw socket
 * of the library.  Send: to 10.208.9.5, routed out of HOST_IF with a
 * permanent neighbour entry of PEER_IF's link address (so the linux TX
 * ring and pcap frame it themselves; the host forwards nothing), and to
 * the group 239.1.2.3 (the raw socket's way); a packet socket on PEER_IF
 * counts what arrives.  IPv6 is off on the pair: no address, ND or MLD
 * traffic wakes the library's monitor while it counts.
 */
#define HOST_IF		"xna0"
#define PEER_IF		"xna1"
#define HOST_DST	"10.208.9.5"
#define HOST_GROUP	"239.1.2.3"

static bool have_ns;
static bool host_on;		/* a host case started the library */

/* Runs a shell command; its exit status. */
static int
sh(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool
make_ns(void)
{
	return geteuid() == 0 && unshare(CLONE_NEWNET) == 0 &&
	    sh("ip link set lo up && "
	    "ip link add " HOST_IF " type veth peer name " PEER_IF " && "
	    "sysctl -qw net.ipv6.conf." HOST_IF ".disable_ipv6=1 && "
	    "sysctl -qw net.ipv6.conf." PEER_IF ".disable_ipv6=1 && "
	    "ip addr add 10.208.0.1/24 dev " HOST_IF " && "
	    "ip addr add 10.208.0.2/24 dev " PEER_IF " && "
	    "ip link set " HOST_IF " up && ip link set " PEER_IF " up && "
	    "ip route add 10.208.9.0/24 dev " HOST_IF " && "
	    "ip route add 239.0.0.0/8 dev " HOST_IF " && "
	    "ip neigh replace " HOST_DST " dev " HOST_IF " nud permanent "
	    "lladdr $(ip -br link show dev " PEER_IF " | "
	    "awk '{ print $3 }')") == 0;
}

/*
 * The library on @backend attached to HOST_IF, XKPI_LINUX_RX=@rx and
 * XKPI_LINUX_TX=@tx where not NULL; the checks of every socket test.
 */
static void
host_start(void **state, const char *backend, const char *rx,
    const char *tx)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = backend,
	    .ifaces = HOST_IF);

	if (!have_ns) {
		print_message("# skipped: not root, or no namespace\n");
		skip();
	}
	xkpi_shutdown();
	if (rx != NULL) {
		setenv("XKPI_LINUX_RX", rx, 1);
	}
	if (tx != NULL) {
		setenv("XKPI_LINUX_TX", tx, 1);
	}
	assert_int_equal(xkpi_init(&cfg), 0);
	unsetenv("XKPI_LINUX_RX");
	unsetenv("XKPI_LINUX_TX");
	host_on = true;
	/* xkpi_init(NULL) in there finds the library running. */
	assert_int_equal(xk_test_sock_setup(state), 0);
}

/*
 * The library stops first: what the backend keeps (the spare receive
 * mbufs) goes with it, and the next case starts on mem again.
 */
static int
teardown_host(void **state)
{
	atomic_store(&armed, false);
	unsetenv("XKPI_LINUX_RX");
	unsetenv("XKPI_LINUX_TX");
	if (!host_on) {
		return 0;
	}
	host_on = false;
	(void)xk_test_wait_sockets(0, XK_TEST_CLOSE_MS);
	xkpi_shutdown();
	return xk_test_sock_teardown(state);
}

static void
link_addr(int fd, const char *ifname, uint8_t *out)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	g_strlcpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name));
	assert_int_equal(ioctl(fd, SIOCGIFHWADDR, &ifr), 0);
	memcpy(out, ifr.ifr_hwaddr.sa_data, ETHER_ADDR_LEN);
}

/* A packet socket bound to PEER_IF, for @proto (0: send only). */
static int
peer_open(uint16_t proto)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int fd, size = 4 << 20;

	assert_true((fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC,
	    htons(proto))) >= 0);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	sll.sll_protocol = htons(proto);
	sll.sll_ifindex = (int)if_nametoindex(PEER_IF);
	assert_int_equal(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
	return fd;
}

/* @n frames from the peer, at most WINDOW ahead of the upcall. */
static void
peer_send_n(int fd, struct rx *rx, const uint8_t *frame, size_t len, int n)
{
	int base = atomic_load(&rx->got);

	for (int i = 0; i < n; i++) {
		if (i >= WINDOW) {
			await_count(&rx->got, base + i - WINDOW + 1,
			    "packets received");
		}
		assert_int_equal(send(fd, frame, len, 0), (ssize_t)len);
	}
	await_count(&rx->got, base + n, "packets received");
}

/*
 * Raw IPv4 receive over the host backend: WARM frames from the peer,
 * then MEASURE counted; every one received (@rxstat counts them too).
 */
static void
host_receive_case(const char *rxstat, const char *what)
{
	uint8_t frame[ETHER_HDR_LEN + 128];
	struct ether_header eh;
	struct rx rx = { 0 };
	socket_t so = NULL;
	unsigned int n;
	size_t len;
	int fd;

	fd = peer_open(0);
	link_addr(fd, HOST_IF, eh.ether_dhost);
	link_addr(fd, PEER_IF, eh.ether_shost);
	eh.ether_type = htons(ETHERTYPE_IP);
	memcpy(frame, &eh, sizeof(eh));
	len = ETHER_HDR_LEN + xk_test_pkt4(frame + ETHER_HDR_LEN, "10.208.0.2",
	    "10.208.0.1", PROTO_EXP, 64, 0);
	assert_int_equal(sock_socket(PF_INET, SOCK_RAW, PROTO_EXP, rx_upcall,
	    &rx, &so), 0);
	peer_send_n(fd, &rx, frame, len, WARM);
	arm();
	peer_send_n(fd, &rx, frame, len, MEASURE);
	n = disarm(what, MEASURE);
	close(fd);
	sock_close(so);
	assert_int_equal(atomic_load(&rx.got), WARM + MEASURE);
	assert_int_equal(atomic_load(&rx.bad), 0);
	assert_int_equal(xk_test_stat(rxstat), WARM + MEASURE);
	assert_int_equal(n, 0);
}

static void
test_linux_receive_auto(void **state)
{
	SKIP_UNLESS_COUNTING();
	host_start(state, "linux", "auto", NULL);
	host_receive_case("be.linux." HOST_IF ".rx", "linux (auto) receive");
}

static void
test_linux_receive_mmsg(void **state)
{
	SKIP_UNLESS_COUNTING();
	host_start(state, "linux", "mmsg", NULL);
	host_receive_case("be.linux." HOST_IF ".rx", "linux (mmsg) receive");
}

static void
test_linux_receive_ring(void **state)
{
	SKIP_UNLESS_COUNTING();
	host_start(state, "linux", "ring", NULL);
	host_receive_case("be.linux." HOST_IF ".rx", "linux (ring) receive");
}

static void
test_pcap_receive(void **state)
{
	SKIP_UNLESS_COUNTING();
	host_start(state, "pcap", NULL, NULL);
	host_receive_case("be.pcap." HOST_IF ".received", "pcap receive");
}

/*
 * Takes what arrived on PEER_IF (protocol 253 to @dst, 64 bytes of
 * payload) until *@have reaches @want; the rest (ARP, ...) is not ours.
 */
static void
sink_until(int fd, in_addr_t dst, int *have, int want)
{
	int64_t end = xk_test_now_us() + (int64_t)XK_TEST_WAIT_MS * 1000;
	uint8_t buf[2048];

	while (*have < want) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		struct ip ip;

		if (n < 0) {
			assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
			if (xk_test_now_us() > end) {
				fail_msg("arrived %d of %d", *have, want);
			}
			sched_yield();
			continue;
		}
		if ((size_t)n < ETHER_HDR_LEN + sizeof(ip)) {
			continue;
		}
		memcpy(&ip, buf + ETHER_HDR_LEN, sizeof(ip));
		if (ip.ip_p != PROTO_EXP || ip.ip_dst.s_addr != dst) {
			continue;
		}
		assert_int_equal(n, ETHER_HDR_LEN + sizeof(ip) + 64);
		(*have)++;
	}
}

/* @n packets of 64 bytes to @to, at most WINDOW ahead of the sink. */
static void
host_send_n(socket_t so, int fd, const struct sockaddr_in *to,
    bool usembuf, int n, int *arrived)
{
	uint8_t payload[64];
	int sent = *arrived;

	xk_pattern_fill(payload, 0, sizeof(payload));
	for (int i = 0; i < n; i++) {
		send_payload(so, to, sizeof(*to), payload, sizeof(payload),
		    usembuf);
		sent++;
		if (sent - *arrived >= WINDOW) {
			sink_until(fd, to->sin_addr.s_addr, arrived,
			    sent - WINDOW / 2);
		}
	}
	sink_until(fd, to->sin_addr.s_addr, arrived, sent);
}

/*
 * Raw IPv4 send over the host backend to @dst: WARM packets, then
 * MEASURE counted, every one arrived on the peer; *@stat, when not NULL,
 * counts them (@want of them) once the host took them.
 */
static void
host_send_case(const char *dst, bool usembuf, const char *stat,
    uint64_t want, const char *what)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	socket_t so = NULL;
	int arrived = 0, fd, off = 0;
	unsigned int n;

	to.sin_addr = xk_test_a4(dst);
	fd = peer_open(ETH_P_IP);
	assert_int_equal(sock_socket(PF_INET, SOCK_RAW, PROTO_EXP, NULL,
	    NULL, &so), 0);
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, IP_HDRINCL, &off,
	    sizeof(off)), 0);
	host_send_n(so, fd, &to, usembuf, WARM, &arrived);
	arm();
	host_send_n(so, fd, &to, usembuf, MEASURE, &arrived);
	n = disarm(what, MEASURE);
	close(fd);
	sock_close(so);
	assert_int_equal(arrived, WARM + MEASURE);
	if (stat != NULL) {
		assert_int_equal(xk_test_stat(stat), want);
	}
	assert_int_equal(n, 0);
}

#define TXRING	"be.linux." HOST_IF ".txring"

static void
test_linux_send_ring(void **state)
{
	SKIP_UNLESS_COUNTING();
	host_start(state, "linux", NULL, NULL);
	host_send_case(HOST_DST, false, TXRING, WARM + MEASURE,
	    "linux TX ring, sock_send");
}

static void
test_linux_sendmbuf_ring(void **state)
{
	SKIP_UNLESS_COUNTING();
	host_start(state, "linux", NULL, NULL);
	host_send_case(HOST_DST, true, TXRING, WARM + MEASURE,
	    "linux TX ring, sock_sendmbuf");
}

static void
test_linux_send_raw(void **state)
{
	SKIP_UNLESS_COUNTING();
	host_start(state, "linux", NULL, "raw");
	host_send_case(HOST_DST, false, TXRING, 0,
	    "linux raw socket (XKPI_LINUX_TX=raw), sock_send");
}

static void
test_linux_sendmbuf_raw(void **state)
{
	SKIP_UNLESS_COUNTING();
	host_start(state, "linux", NULL, "raw");
	host_send_case(HOST_DST, true, TXRING, 0,
	    "linux raw socket (XKPI_LINUX_TX=raw), sock_sendmbuf");
}

static void
test_linux_sendmbuf_group(void **state)
{
	SKIP_UNLESS_COUNTING();
	host_start(state, "linux", NULL, NULL);
	host_send_case(HOST_GROUP, true, TXRING, 0,
	    "linux raw socket (multicast), sock_sendmbuf");
}

static void
test_pcap_send(void **state)
{
	SKIP_UNLESS_COUNTING();
	host_start(state, "pcap", NULL, NULL);
	host_send_case(HOST_DST, false, "be.pcap." HOST_IF ".sent",
	    WARM + MEASURE, "pcap, sock_send");
}

static void
test_pcap_sendmbuf(void **state)
{
	SKIP_UNLESS_COUNTING();
	host_start(state, "pcap", NULL, NULL);
	host_send_case(HOST_DST, true, "be.pcap." HOST_IF ".sent",
	    WARM + MEASURE, "pcap, sock_sendmbuf");
}

/*
 * The nfqueue backend (root, iptables) in the same namespace: a raw
 * socket of the host sends protocol-253 packets to HOST_DST; a rule
 * queues them on OUTPUT (queue 0); the library, attached to HOST_IF,
 * receives each, holds it, hands it to the engine (no rule: it goes
 * on) and sends its verdict, NF_ACCEPT; every one arrives on PEER_IF.
 */
#define NFQ_RULE	"OUTPUT -o " HOST_IF " -p 253 -m mark ! --mark " \
			"0x786b -j NFQUEUE --queue-num 0"

static bool nfq_rule;		/* NFQ_RULE is installed */

#ifdef XK_HAVE_BACKEND_NFQUEUE
/* @n packets to @to from @hfd, at most WINDOW ahead of the sink @fd. */
static void
nfq_send_n(int hfd, int fd, const struct sockaddr_in *to, int n, int *sent,
    int *arrived)
{
	uint8_t payload[64];

	xk_pattern_fill(payload, 0, sizeof(payload));
	for (int i = 0; i < n; i++) {
		assert_int_equal(sendto(hfd, payload, sizeof(payload), 0,
		    (const struct sockaddr *)to, sizeof(*to)),
		    (ssize_t)sizeof(payload));
		(*sent)++;
		if (*sent - *arrived >= WINDOW) {
			sink_until(fd, to->sin_addr.s_addr, arrived,
			    *sent - WINDOW / 2);
		}
	}
	sink_until(fd, to->sin_addr.s_addr, arrived, *sent);
}
#endif

static void
test_nfqueue_output(void **state)
{
#ifdef XK_HAVE_BACKEND_NFQUEUE
	struct sockaddr_in to = { .sin_family = AF_INET };
	int arrived = 0, sent = 0, fd, hfd;
	unsigned int n;

	SKIP_UNLESS_COUNTING();
	host_start(state, "nfqueue", NULL, NULL);
	if (sh("iptables -A " NFQ_RULE) != 0) {
		print_message("# skipped: iptables cannot install an NFQUEUE "
		    "rule\n");
		skip();
	}
	nfq_rule = true;
	to.sin_addr = xk_test_a4(HOST_DST);
	fd = peer_open(ETH_P_IP);
	assert_true((hfd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC,
	    PROTO_EXP)) >= 0);
	nfq_send_n(hfd, fd, &to, WARM, &sent, &arrived);
	arm();
	nfq_send_n(hfd, fd, &to, MEASURE, &sent, &arrived);
	n = disarm("nfqueue, output queued and accepted", MEASURE);
	close(hfd);
	close(fd);
	assert_int_equal(arrived, WARM + MEASURE);
	assert_int_equal(xk_test_stat("be.nfqueue.rx"), WARM + MEASURE);
	assert_int_equal(xk_test_stat("be.nfqueue.verdicts"), WARM + MEASURE);
	assert_int_equal(xk_test_stat("be.nfqueue.held"), 0);
	assert_int_equal(n, 0);
#else
	(void)state;
	print_message("# skipped: the nfqueue backend is not built\n");
	skip();
#endif
}

static int
teardown_nfq(void **state)
{
	if (nfq_rule) {
		(void)sh("iptables -D " NFQ_RULE);
		nfq_rule = false;
	}
	return teardown_host(state);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
#define H(f) cmocka_unit_test_teardown(f, teardown_host)

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		T(test_hook_counts),
		T(test_receive_raw4),
		T(test_receive_raw6),
		T(test_send_raw4),
		T(test_sendmbuf_raw4),
		T(test_send_raw6),
		T(test_sendmbuf_raw6),
		T(test_host_udp_pingpong),
		T(test_divert_held_sendmbuf),
		T(test_divert_held_send),
		T(test_divert_mem_sendmbuf),
		H(test_linux_receive_auto),
		H(test_linux_receive_mmsg),
		H(test_linux_receive_ring),
		H(test_linux_send_ring),
		H(test_linux_sendmbuf_ring),
		H(test_linux_send_raw),
		H(test_linux_sendmbuf_raw),
		H(test_linux_sendmbuf_group),
		H(test_pcap_receive),
		H(test_pcap_send),
		H(test_pcap_sendmbuf),
		cmocka_unit_test_teardown(test_nfqueue_output, teardown_nfq),
	};
	const char *gs = getenv("G_SLICE");
	void *frames[4];

	/*
	 * GSlice is malloc from glib 2.76 on; older glib keeps magazines
	 * of its own, which would hide a GList or GSlice per packet here.
	 * glib reads G_SLICE as it loads: the program starts again with it
	 * (if that fails, test_hook_counts says so).
	 */
	(void)argc;
	if (why_skip() == NULL &&
	    (gs == NULL || strcmp(gs, "always-malloc") != 0)) {
		setenv("G_SLICE", "always-malloc", 1);
		execv("/proc/self/exe", argv);
	}
	/* Before any thread: the host cases' namespace. */
	if (why_skip() == NULL && !(have_ns = make_ns())) {
		fprintf(stderr, "test_noalloc: not root or no namespaces: "
		    "the host backends' cases skip\n");
	}
	/* backtrace() loads libgcc_s on its first call: not in a window. */
	(void)backtrace(frames, 4);
	return cmocka_run_group_tests_name("noalloc", tests, NULL,
	    xk_test_sock_group_teardown);
}
