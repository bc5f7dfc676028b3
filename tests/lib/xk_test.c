/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Helpers shared by the cmocka unit tests.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/xk_test.h"

#include <xkpi_mem.h>

#include "backends/backend.h"
#include "core/ip_var.h"
#include "core/mbuf_var.h"
#include "core/socket_var.h"

/*
 * What was alive when the running test started.  Zero, unless an earlier
 * test failed half-way: cmocka jumps out of a failed test past its frees,
 * and charging that leak to every later test would bury the real failure.
 */
static struct xk_mb_live xk_base;

int
xk_test_setup(void **state)
{
	(void)state;
	xk_mb_inject_failures(0, 0);
	xk_mb_live(&xk_base);
	return (0);
}

void
xk_test_live(struct xk_mb_live *out)
{
	xk_mb_live(out);
	out->mbufs -= xk_base.mbufs;
	out->clusters -= xk_base.clusters;
	out->tags -= xk_base.tags;
}

int
xk_test_teardown(void **state)
{
	struct xk_mb_live live;
	int zone;

	(void)state;
	xk_mb_inject_failures(0, 0);
	/* A test that failed before restoring a bound must not starve others. */
	for (zone = 0; zone < XK_ZONE_COUNT; zone++) {
		xk_mb_set_limit((enum xk_mb_zone)zone, 0);
	}
	xk_mb_live(&live);
	if (live.mbufs != xk_base.mbufs || live.clusters != xk_base.clusters ||
	    live.tags != xk_base.tags) {
		fail_msg("leak: %" PRIu64 " mbufs, %" PRIu64 " clusters, %"
		    PRIu64 " tags alive after the test (want %" PRIu64 ", %"
		    PRIu64 ", %" PRIu64 ")", live.mbufs, live.clusters,
		    live.tags, xk_base.mbufs, xk_base.clusters, xk_base.tags);
	}
	return (0);
}

void
xk_pattern_fill(void *buf, size_t off, size_t len)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		p[i] = xk_pattern(off + i);
	}
}

/* The smallest cluster that holds @len bytes. */
static size_t
chain_clsize(size_t len)
{
	if (len <= 2048) {
		return (2048);
	}
	if (len <= 4096) {
		return (4096);
	}
	return (16384);
}

mbuf_t
xk_chain_new(const size_t *lens, size_t nseg, unsigned int flags)
{
	mbuf_t head = NULL, tail = NULL, m;
	size_t i, off = 0, room;
	int pkthdr;

	assert_true(nseg > 0);
	for (i = 0; i < nseg; i++) {
		pkthdr = (i == 0 && (flags & XK_CHAIN_NOPKTHDR) == 0);
		m = NULL;
		if (pkthdr) {
			assert_int_equal(mbuf_gethdr(MBUF_WAITOK,
			    MBUF_TYPE_DATA, &m), 0);
			room = mbuf_get_mhlen();
		} else {
			assert_int_equal(mbuf_get(MBUF_WAITOK,
			    MBUF_TYPE_DATA, &m), 0);
			room = mbuf_get_mlen();
		}
		assert_non_null(m);
		if ((flags & XK_CHAIN_CLUSTERS) != 0 || lens[i] > room) {
			assert_true(lens[i] <= 16384);
			assert_int_equal(mbuf_getcluster(MBUF_WAITOK,
			    MBUF_TYPE_DATA, chain_clsize(lens[i]), &m), 0);
		}
		xk_pattern_fill(mbuf_data(m), off, lens[i]);
		mbuf_setlen(m, lens[i]);
		off += lens[i];
		if (head == NULL) {
			head = m;
		} else {
			assert_int_equal(mbuf_setnext(tail, m), 0);
		}
		tail = m;
	}
	if ((flags & XK_CHAIN_NOPKTHDR) == 0) {
		mbuf_pkthdr_setlen(head, off);
	}
	return (head);
}

size_t
xk_chain_len(mbuf_t m)
{
	size_t len = 0;

	for (; m != NULL; m = mbuf_next(m)) {
		len += mbuf_len(m);
	}
	return (len);
}

size_t
xk_chain_count(mbuf_t m)
{
	size_t n = 0;

	for (; m != NULL; m = mbuf_next(m)) {
		n++;
	}
	return (n);
}

void
xk_chain_check_at(mbuf_t m, size_t off, size_t len, size_t patoff)
{
	uint8_t *buf;
	size_t i;
	int error;

	if (len == 0) {
		return;
	}
	buf = malloc(len);
	assert_non_null(buf);
	error = mbuf_copydata(m, off, len, buf);
	if (error != 0) {
		free(buf);
		fail_msg("mbuf_copydata(off %zu, len %zu) = %d", off, len,
		    error);
	}
	for (i = 0; i < len; i++) {
		if (buf[i] != xk_pattern(patoff + i)) {
			uint8_t got = buf[i];

			free(buf);
			fail_msg("chain byte %zu is 0x%02x, want 0x%02x "
			    "(pattern offset %zu)", off + i, got,
			    xk_pattern(patoff + i), patoff + i);
		}
	}
	free(buf);
}

/* Socket tests. */

static pthread_t xk_main_thread;
static bool xk_restart;			/* teardown: shut the library down */
static atomic_int xk_bad_waitf;		/* upcalls with waitf != 1 */
static atomic_int xk_upcall_on_main;	/* upcalls on the main thread */

static pthread_mutex_t xk_panic_lock = PTHREAD_MUTEX_INITIALIZER;
static int xk_panics;
static char xk_panic_last[512];

static void
xk_panic_hook_fn(const char *msg, void *ctx)
{
	(void)ctx;
	pthread_mutex_lock(&xk_panic_lock);
	xk_panics++;
	snprintf(xk_panic_last, sizeof(xk_panic_last), "%s",
	    msg != NULL ? msg : "");
	pthread_mutex_unlock(&xk_panic_lock);
}

void
xk_test_panic_catch(void)
{
	xkpi_set_panic_hook(xk_panic_hook_fn, NULL);
}

int
xk_test_panic_count(void)
{
	int n;

	pthread_mutex_lock(&xk_panic_lock);
	n = xk_panics;
	pthread_mutex_unlock(&xk_panic_lock);
	return (n);
}

const char *
xk_test_panic_msg(void)
{
	static char copy[sizeof(xk_panic_last)];

	pthread_mutex_lock(&xk_panic_lock);
	memcpy(copy, xk_panic_last, sizeof(copy));
	pthread_mutex_unlock(&xk_panic_lock);
	return (copy);
}

int
xk_test_panic_take(void)
{
	int n;

	pthread_mutex_lock(&xk_panic_lock);
	n = xk_panics;
	xk_panics = 0;
	xk_panic_last[0] = '\0';
	pthread_mutex_unlock(&xk_panic_lock);
	return (n);
}

static pthread_mutex_t xk_log_lock = PTHREAD_MUTEX_INITIALIZER;
static char xk_log_kept[4096];

static void
xk_log_keep_fn(int level, const char *msg, void *ctx)
{
	size_t have, len;

	(void)level;
	(void)ctx;
	pthread_mutex_lock(&xk_log_lock);
	have = strlen(xk_log_kept);
	len = strlen(msg);
	if (have + len + 2 < sizeof(xk_log_kept)) {
		memcpy(xk_log_kept + have, msg, len);
		memcpy(xk_log_kept + have + len, "\n", 2);
	}
	pthread_mutex_unlock(&xk_log_lock);
}

void
xk_test_log_keep(void)
{
	pthread_mutex_lock(&xk_log_lock);
	xk_log_kept[0] = '\0';
	pthread_mutex_unlock(&xk_log_lock);
	xkpi_set_log_hook(xk_log_keep_fn, NULL);
}

const char *
xk_test_log_kept(void)
{
	static char copy[sizeof(xk_log_kept)];

	xkpi_set_log_hook(NULL, NULL);
	pthread_mutex_lock(&xk_log_lock);
	memcpy(copy, xk_log_kept, sizeof(copy));
	pthread_mutex_unlock(&xk_log_lock);
	return (copy);
}

int64_t
xk_test_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

void
xk_test_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
		;
	}
}

int
xk_test_liveness_ms(void)
{
	static atomic_int ms;
	const char *env;
	int v;

	if ((v = atomic_load(&ms)) == 0) {
		env = getenv("XK_TEST_LIVENESS_MS");
		v = env != NULL ? atoi(env) : 0;
		if (v <= 0) {
			v = XK_TEST_LIVENESS_DEFAULT_MS;
		}
		atomic_store(&ms, v);
	}
	return (v);
}

bool
xk_test_wait_until(bool (*cond)(void *), void *arg, int timeout_ms)
{
	int64_t deadline = xk_test_now_us() + (int64_t)timeout_ms * 1000;

	while (!cond(arg)) {
		if (xk_test_now_us() >= deadline) {
			return (false);
		}
		xk_test_sleep_ms(1);
	}
	return (true);
}

void
xk_test_await_until(bool (*cond)(void *), void *arg, const char *what)
{
	if (!xk_test_wait_until(cond, arg, XK_TEST_WAIT_MS)) {
		fail_msg("%s: not within %d ms", what, XK_TEST_WAIT_MS);
	}
}

bool
xk_test_on_main(void)
{
	return (pthread_equal(pthread_self(), xk_main_thread) != 0);
}

int
xk_test_wait_sockets(int n, int timeout_ms)
{
	int64_t deadline = xk_test_now_us() + (int64_t)timeout_ms * 1000;
	int c;

	while ((c = xk_so_count()) > n && xk_test_now_us() < deadline) {
		xk_test_sleep_ms(1);
	}
	return (c);
}

int
xk_test_sock_setup(void **state)
{
	xk_test_setup(state);
	xk_main_thread = pthread_self();
	atomic_store(&xk_bad_waitf, 0);
	atomic_store(&xk_upcall_on_main, 0);
	xk_test_panic_take();
	xk_test_panic_catch();
	/* A socket left by an earlier test that failed half-way. */
	if (xk_test_wait_sockets(0, XK_TEST_CLOSE_MS) != 0) {
		xkpi_shutdown();
	}
	if (xkpi_init(NULL) != 0) {
		fprintf(stderr, "xk_test_sock_setup: xkpi_init failed\n");
		return (-1);
	}
	/* Measure the base with the library running. */
	xk_mb_live(&xk_base);
	return (0);
}

int
xk_test_sock_teardown(void **state)
{
	struct xk_mb_live live;
	char msg[1024];
	size_t n = 0;
	int socks, panics, badw, onmain;

	(void)state;
	socks = xk_test_wait_sockets(0, XK_TEST_CLOSE_MS);
	xk_mb_live(&live);
	panics = xk_test_panic_take();
	badw = atomic_load(&xk_bad_waitf);
	onmain = atomic_load(&xk_upcall_on_main);
	msg[0] = '\0';
	if (socks != 0) {
		n += (size_t)snprintf(msg + n, sizeof(msg) - n,
		    "%d socket(s) still alive %d ms after the test; ", socks,
		    XK_TEST_CLOSE_MS);
		/* Free them, so that the next test starts from nothing. */
		xkpi_shutdown();
		xk_mb_live(&live);
	}
	if (live.mbufs != xk_base.mbufs || live.clusters != xk_base.clusters ||
	    live.tags != xk_base.tags) {
		n += (size_t)snprintf(msg + n, sizeof(msg) - n,
		    "leak: %" PRIu64 " mbufs, %" PRIu64 " clusters, %"
		    PRIu64 " tags alive (want %" PRIu64 ", %" PRIu64 ", %"
		    PRIu64 "); ",
		    live.mbufs, live.clusters, live.tags, xk_base.mbufs,
		    xk_base.clusters, xk_base.tags);
	}
	if (panics != 0 && n < sizeof(msg)) {
		n += (size_t)snprintf(msg + n, sizeof(msg) - n,
		    "%d unexpected panic(s); ", panics);
	}
	if (badw != 0 && n < sizeof(msg)) {
		n += (size_t)snprintf(msg + n, sizeof(msg) - n,
		    "%d upcall(s) with waitf != MBUF_DONTWAIT; ", badw);
	}
	if (onmain != 0 && n < sizeof(msg)) {
		n += (size_t)snprintf(msg + n, sizeof(msg) - n,
		    "%d upcall(s) on the test's main thread; ", onmain);
	}
	xkpi_set_panic_hook(NULL, NULL);
	xk_mb_inject_failures(0, 0);
	if (xk_restart) {
		xk_restart = false;
		xkpi_shutdown();
	}
	if (n != 0) {
		fail_msg("%s", msg);
	}
	return (0);
}

int
xk_test_sock_group_teardown(void **state)
{
	(void)state;
	xkpi_shutdown();
	return (0);
}

void
xk_test_restart_after(void)
{
	xk_restart = true;
}

bool
xk_test_wait_atomic(atomic_int *c, int atleast, int timeout_ms)
{
	int64_t deadline = xk_test_now_us() + (int64_t)timeout_ms * 1000;

	while (atomic_load(c) < atleast) {
		if (xk_test_now_us() >= deadline) {
			return (false);
		}
		xk_test_sleep_ms(1);
	}
	return (true);
}

void
xk_test_await(atomic_int *c, int atleast, const char *what)
{
	if (!xk_test_wait_atomic(c, atleast, XK_TEST_WAIT_MS)) {
		fail_msg("%s: %d after %d ms, want at least %d", what,
		    atomic_load(c), XK_TEST_WAIT_MS, atleast);
	}
}

bool
xk_test_wait_bits(atomic_uint *v, unsigned int bits, int timeout_ms)
{
	int64_t deadline = xk_test_now_us() + (int64_t)timeout_ms * 1000;

	while ((atomic_load(v) & bits) != bits) {
		if (xk_test_now_us() >= deadline) {
			return (false);
		}
		xk_test_sleep_ms(1);
	}
	return (true);
}

void
xk_test_await_bits(atomic_uint *v, unsigned int bits, const char *what)
{
	if (!xk_test_wait_bits(v, bits, XK_TEST_WAIT_MS)) {
		fail_msg("%s: 0x%x after %d ms, want bits 0x%x", what,
		    atomic_load(v), XK_TEST_WAIT_MS, bits);
	}
}

void
xk_test_await_nread(socket_t so, int atleast)
{
	int64_t deadline = xk_test_now_us() + (int64_t)XK_TEST_WAIT_MS * 1000;
	int n = 0;

	for (;;) {
		assert_int_equal(sock_ioctl(so, FIONREAD, &n), 0);
		if (n >= atleast) {
			return;
		}
		if (xk_test_now_us() >= deadline) {
			fail_msg("FIONREAD %d after %d ms, want at least %d", n,
			    XK_TEST_WAIT_MS, atleast);
		}
		xk_test_sleep_ms(1);
	}
}

bool
xk_test_blocked(socket_t so)
{
	bool b;

	xk_core_lock();
	b = so->so_waiters > 0;
	xk_core_unlock();
	return (b);
}

void
xk_test_await_blocked(socket_t so)
{
	int64_t deadline = xk_test_now_us() + (int64_t)XK_TEST_WAIT_MS * 1000;

	while (!xk_test_blocked(so)) {
		if (xk_test_now_us() >= deadline) {
			fail_msg("no thread blocked on the socket after %d ms",
			    XK_TEST_WAIT_MS);
		}
		xk_test_sleep_ms(1);
	}
}

void
xk_test_upcall_check(int waitf)
{
	if (waitf != MBUF_DONTWAIT) {
		atomic_fetch_add(&xk_bad_waitf, 1);
	}
	if (xk_test_on_main()) {
		atomic_fetch_add(&xk_upcall_on_main, 1);
	}
}

void
xk_test_upcall_cb(socket_t so, void *cookie, int waitf)
{
	struct xk_test_upcall *u = cookie;

	xk_test_upcall_check(waitf);
	atomic_store(&u->last_so, so);
	atomic_fetch_add(&u->calls, 1);
}

void
xk_test_event_cb(socket_t so, void *cookie, uint32_t event)
{
	struct xk_test_events *e = cookie;
	unsigned int zero = 0;

	(void)so;
	xk_test_upcall_check(MBUF_DONTWAIT);
	if (event == 0) {
		atomic_fetch_add(&e->zero, 1);
	}
	atomic_compare_exchange_strong(&e->first, &zero, event);
	atomic_fetch_or(&e->all, event);
	atomic_fetch_add(&e->calls, 1);
}

void
xk_test_loop_barrier(void)
{
	struct xk_test_upcall u = { 0 };
	struct sockaddr_storage a;
	socket_t so;

	so = xk_test_udp(AF_INET, xk_test_upcall_cb, &u, &a);
	xk_test_send_ok(so, &a, 1, 0);
	xk_test_await(&u.calls, 1, "loop barrier upcall");
	sock_close(so);
}

socklen_t
xk_test_addr(int family, uint16_t port, struct sockaddr_storage *ss)
{
	static atomic_int seq;

	memset(ss, 0, sizeof(*ss));
	switch (family) {
	case AF_INET: {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return (sizeof(*sin));
	}
	case AF_INET6: {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sin6->sin6_addr = in6addr_loopback;
		return (sizeof(*sin6));
	}
	case AF_UNIX: {
		struct sockaddr_un *sun = (struct sockaddr_un *)ss;

		sun->sun_family = AF_UNIX;
		/* Abstract: nothing to remove afterwards. */
		snprintf(sun->sun_path + 1, sizeof(sun->sun_path) - 1,
		    "xkpi-test-%ld-%d", (long)getpid(),
		    atomic_fetch_add(&seq, 1));
		return (sizeof(*sun));
	}
	default:
		fail_msg("xk_test_addr: family %d", family);
		return (0);
	}
}

uint16_t
xk_test_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		return (ntohs(((const struct sockaddr_in *)ss)->sin_port));
	}
	if (ss->ss_family == AF_INET6) {
		return (ntohs(((const struct sockaddr_in6 *)ss)->sin6_port));
	}
	return (0);
}

struct in_addr
xk_test_a4(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1) {
		fail_msg("xk_test_a4: \"%s\" is no IPv4 address", s);
	}
	return (a);
}

struct in6_addr
xk_test_a6(const char *s)
{
	struct in6_addr a;

	if (inet_pton(AF_INET6, s, &a) != 1) {
		fail_msg("xk_test_a6: \"%s\" is no IPv6 address", s);
	}
	return (a);
}

static int
xk_proto(int family, int type)
{
	if (family == AF_UNIX) {
		return (0);
	}
	return (type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP);
}

socket_t
xk_test_udp(int family, sock_upcall cb, void *cookie,
    struct sockaddr_storage *addr)
{
	struct sockaddr_storage ss;
	socket_t so = NULL;

	assert_int_equal(sock_socket(family, SOCK_DGRAM,
	    xk_proto(family, SOCK_DGRAM), cb, cookie, &so), 0);
	assert_non_null(so);
	xk_test_addr(family, 0, &ss);
	assert_int_equal(sock_bind(so, (struct sockaddr *)&ss), 0);
	if (addr != NULL) {
		memset(addr, 0, sizeof(*addr));
		assert_int_equal(sock_getsockname(so, (struct sockaddr *)addr,
		    sizeof(*addr)), 0);
		assert_int_equal(addr->ss_family, family);
		if (family != AF_UNIX) {
			assert_int_not_equal(xk_test_port(addr), 0);
		}
	}
	return (so);
}

socket_t
xk_test_listener(int family, int backlog, struct sockaddr_storage *addr)
{
	struct sockaddr_storage ss;
	socket_t so = NULL;

	assert_int_equal(sock_socket(family, SOCK_STREAM,
	    xk_proto(family, SOCK_STREAM), NULL, NULL, &so), 0);
	xk_test_addr(family, 0, &ss);
	assert_int_equal(sock_bind(so, (struct sockaddr *)&ss), 0);
	assert_int_equal(sock_listen(so, backlog), 0);
	if (addr != NULL) {
		memset(addr, 0, sizeof(*addr));
		assert_int_equal(sock_getsockname(so, (struct sockaddr *)addr,
		    sizeof(*addr)), 0);
		assert_int_equal(addr->ss_family, family);
	}
	return (so);
}

socket_t
xk_test_accept(socket_t l, int flags, sock_upcall cb, void *cookie)
{
	int64_t deadline = xk_test_now_us() + (int64_t)XK_TEST_WAIT_MS * 1000;
	socket_t so = NULL;
	int error;

	for (;;) {
		error = sock_accept(l, NULL, 0, flags | MSG_DONTWAIT, cb,
		    cookie, &so);
		if (error == 0) {
			assert_non_null(so);
			return (so);
		}
		if (error != EWOULDBLOCK) {
			fail_msg("sock_accept: %d", error);
		}
		if (xk_test_now_us() >= deadline) {
			fail_msg("no connection to accept after %d ms",
			    XK_TEST_WAIT_MS);
		}
		xk_test_sleep_ms(1);
	}
}

void
xk_test_tcp_pair(int family, socket_t *client, socket_t *server)
{
	struct timeval tv = { XK_TEST_WAIT_MS / 1000, 0 };
	struct sockaddr_storage la;
	socket_t l, c = NULL;
	int error;

	l = xk_test_listener(family, 8, &la);
	assert_int_equal(sock_socket(family, SOCK_STREAM,
	    xk_proto(family, SOCK_STREAM), NULL, NULL, &c), 0);
	error = sock_connect(c, (struct sockaddr *)&la, MSG_DONTWAIT);
	if (error != 0 && error != EINPROGRESS) {
		fail_msg("sock_connect: %d", error);
	}
	assert_int_equal(sock_connectwait(c, &tv), 0);
	assert_int_equal(sock_isconnected(c), 1);
	*server = xk_test_accept(l, 0, NULL, NULL);
	*client = c;
	sock_close(l);
}

errno_t
xk_test_send(socket_t so, const struct sockaddr_storage *to, size_t len,
    size_t patoff)
{
	struct msghdr msg;
	struct iovec iov;
	uint8_t *buf;
	size_t sent = 12345;
	errno_t error;

	buf = malloc(len > 0 ? len : 1);
	assert_non_null(buf);
	xk_pattern_fill(buf, patoff, len);
	iov.iov_base = buf;
	iov.iov_len = len;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_name = (void *)(uintptr_t)to;
	msg.msg_namelen = to != NULL ? sizeof(*to) : 0;
	error = sock_send(so, &msg, 0, &sent);
	free(buf);
	if (error == 0 && sent != len) {
		fail_msg("sock_send: sentlen %zu, want %zu", sent, len);
	}
	if (error != 0 && sent != 0) {
		fail_msg("sock_send failed with %d but sentlen %zu", error,
		    sent);
	}
	return (error);
}

void
xk_test_send_ok(socket_t so, const struct sockaddr_storage *to, size_t len,
    size_t patoff)
{
	errno_t error = xk_test_send(so, to, len, patoff);

	if (error != 0) {
		fail_msg("sock_send of %zu bytes: %d", len, error);
	}
}

errno_t
xk_test_recv(socket_t so, void *buf, size_t len, int flags, size_t *got)
{
	struct msghdr msg;
	struct iovec iov;
	size_t n = 12345;
	errno_t error;

	iov.iov_base = buf;
	iov.iov_len = len;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	error = sock_receive(so, &msg, flags, &n);
	if (got != NULL) {
		*got = n;
	}
	return (error);
}

void
xk_test_check_pattern(const void *buf, size_t len, size_t patoff)
{
	const uint8_t *p = buf;

	for (size_t i = 0; i < len; i++) {
		if (p[i] != xk_pattern(patoff + i)) {
			fail_msg("byte %zu is 0x%02x, want 0x%02x (pattern "
			    "offset %zu)", i, p[i], xk_pattern(patoff + i),
			    patoff + i);
		}
	}
}

void
xk_test_rcvtimeo(socket_t so, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	assert_int_equal(sock_setsockopt(so, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)), 0);
}

struct xk_ip_stats
xk_test_ipstat(void)
{
	struct xk_ip_stats s;

	xk_ipstat_snapshot(&s);
	return s;
}

void
xk_test_inject(const char *ifname, const void *pkt, size_t len)
{
	struct xk_ip_stats s0 = xk_test_ipstat(), s;
	int64_t end = xk_test_now_us() + (int64_t)XK_TEST_WAIT_MS * 1000;

	assert_int_equal(xkpi_mem_inject(ifname, pkt, len), 0);
	for (;;) {
		s = xk_test_ipstat();
		if (s.ips_total + s.ip6s_total > s0.ips_total + s0.ip6s_total ||
		    xk_test_now_us() >= end) {
			break;
		}
		xk_test_sleep_ms(1);
	}
	xk_test_loop_barrier();
}

size_t
xk_test_pkt4(uint8_t *buf, const char *src, const char *dst, uint8_t proto,
    size_t plen, uint16_t id)
{
	struct ip *ip = (struct ip *)(void *)buf;

	memset(ip, 0, sizeof(*ip));
	ip->ip_v = 4;
	ip->ip_hl = 5;
	ip->ip_len = htons((uint16_t)(sizeof(*ip) + plen));
	ip->ip_id = htons(id);
	ip->ip_ttl = 9;
	ip->ip_p = proto;
	ip->ip_src = xk_test_a4(src);
	ip->ip_dst = xk_test_a4(dst);
	xk_pattern_fill(buf + sizeof(*ip), 0, plen);
	ip->ip_sum = xk_in_cksum_buf(ip, sizeof(*ip));
	return sizeof(*ip) + plen;
}

ssize_t
xk_test_recv1(socket_t so, void *buf, size_t cap, void *from,
    socklen_t fromlen)
{
	struct iovec iov = { buf, cap };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	size_t got = 0;

	if (from != NULL) {
		memset(from, 0xee, fromlen);
		msg.msg_name = from;
		msg.msg_namelen = fromlen;
	}
	if (sock_receive(so, &msg, MSG_DONTWAIT, &got) != 0) {
		return (-1);
	}
	return ((ssize_t)got);
}

errno_t
xk_test_send1(socket_t so, const void *buf, size_t len, const void *to,
    socklen_t tolen)
{
	struct iovec iov = { (void *)(uintptr_t)buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	size_t sent = 0;

	if (to != NULL) {
		msg.msg_name = (void *)(uintptr_t)to;
		msg.msg_namelen = tolen;
	}
	return (sock_send(so, &msg, 0, &sent));
}

struct xk_test_verdict xk_test_verdicts[XK_TEST_MAXVERDICTS];
unsigned int xk_test_nverdicts;
bool xk_test_verdict_enoent;
static struct xk_backend_ops xk_held_ops;
static const struct xk_backend_ops *xk_held_saved;

static int
xk_held_verdict(struct xk_backend *be, uint64_t hold, enum xk_verdict v,
    struct __mbuf *m)
{
	struct xk_test_verdict *r;

	(void)be;
	if (xk_test_verdict_enoent) {
		return (ENOENT);
	}
	assert_true(xk_test_nverdicts < XK_TEST_MAXVERDICTS);
	r = &xk_test_verdicts[xk_test_nverdicts++];
	memset(r, 0, sizeof(*r));
	r->hold = hold;
	r->verdict = v;
	if (m != NULL) {
		r->len = mbuf_pkthdr_len(m);
		assert_true(r->len <= sizeof(r->bytes));
		assert_int_equal(mbuf_copydata(m, 0, r->len, r->bytes), 0);
		mbuf_freem(m);
	}
	return (0);
}

struct xk_backend_ops *
xk_test_held_install(void)
{
	struct xk_backend *be = xk_engine_backend();

	xk_held_saved = be->be_ops;
	xk_held_ops = *xk_held_saved;
	xk_held_ops.be_verdict = xk_held_verdict;
	be->be_ops = &xk_held_ops;
	xk_test_nverdicts = 0;
	xk_test_verdict_enoent = false;
	return (&xk_held_ops);
}

void
xk_test_held_restore(void)
{
	xk_engine_backend()->be_ops = xk_held_saved;
}

void
xk_test_held_input(uint32_t ifindex, const void *pkt, size_t len,
    uint64_t hold, bool out)
{
	struct xk_backend *be = xk_engine_backend();
	struct xk_be_pkt bp;
	mbuf_t m;

	assert_int_equal(mbuf_allocpacket(MBUF_DONTWAIT, len, NULL, &m), 0);
	assert_int_equal(mbuf_copyback(m, 0, len, pkt, MBUF_DONTWAIT), 0);
	memset(&bp, 0, sizeof(bp));
	bp.bp_m = m;
	bp.bp_ifindex = ifindex;
	bp.bp_dir = out ? XK_DIR_OUT : XK_DIR_IN;
	bp.bp_hold = hold;
	be->be_input(be, &bp, 1);
}

struct xk_stat_find {
	const char	*name;
	uint64_t	 value;
	int		 seen;
};

static void
xk_stat_find_cb(const char *name, uint64_t value, void *ctx)
{
	struct xk_stat_find *f = ctx;

	if (strcmp(name, f->name) == 0) {
		f->value = value;
		f->seen++;
	}
}

bool
xk_test_stat_find(const char *name, uint64_t *value)
{
	struct xk_stat_find f = { .name = name };

	assert_int_equal(xkpi_stats(xk_stat_find_cb, &f), 0);
	if (f.seen > 1) {
		fail_msg("counter %s listed %d times", name, f.seen);
	}
	if (f.seen == 1 && value != NULL) {
		*value = f.value;
	}
	return (f.seen == 1);
}

uint64_t
xk_test_stat(const char *name)
{
	uint64_t value = 0;

	if (!xk_test_stat_find(name, &value)) {
		fail_msg("no counter %s", name);
	}
	return (value);
}
