/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Unit tests of the socket KPI (headers/sys/kpi_socket.h) and of the
 * library's life (headers/xkpi.h), over host loopback sockets: every
 * function, its happy path and every errno the header and the semantics
 * reference (docs/semantics.md section 1) name.  Every test ends, in
 * the teardown, by proving that no socket, mbuf, cluster or tag is left
 * alive, that no panic went unnoticed and that every recorded upcall ran
 * off the test's thread with waitf == MBUF_DONTWAIT.
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "config.h"

#include "tests/lib/xk_test.h"

#include "core/mbuf_var.h"
#include "core/socket_var.h"

#define SA(ss)		((struct sockaddr *)(ss))
#define CSA(ss)		((const struct sockaddr *)(ss))
#define SAFETY_MS	XK_TEST_WAIT_MS	/* receive timeout: liveness bound */

/* Stored in out parameters that a call must overwrite. */
static char sentinel_obj;
#define SENTINEL	((socket_t)(void *)&sentinel_obj)

static struct xk_mb_live
live_now(void)
{
	struct xk_mb_live l;

	xk_test_live(&l);
	return (l);
}

static void
assert_live_equal(struct xk_mb_live a, struct xk_mb_live b)
{
	if (a.mbufs != b.mbufs || a.clusters != b.clusters ||
	    a.tags != b.tags) {
		fail_msg("live mbufs/clusters/tags %lu/%lu/%lu, want "
		    "%lu/%lu/%lu", (unsigned long)a.mbufs,
		    (unsigned long)a.clusters, (unsigned long)a.tags,
		    (unsigned long)b.mbufs, (unsigned long)b.clusters,
		    (unsigned long)b.tags);
	}
}

static socket_t
new_sock(int domain, int type, int protocol)
{
	socket_t so = NULL;

	assert_int_equal(sock_socket(domain, type, protocol, NULL, NULL, &so),
	    0);
	assert_non_null(so);
	return (so);
}

static int
getopt_int(socket_t so, int level, int name)
{
	int v = -12345, len = (int)sizeof(v);

	assert_int_equal(sock_getsockopt(so, level, name, &v, &len), 0);
	assert_int_equal(len, sizeof(int));
	return (v);
}

static void
setopt_int(socket_t so, int level, int name, int v)
{
	assert_int_equal(sock_setsockopt(so, level, name, &v, sizeof(v)), 0);
}

/* Both addresses: same family, port and IP address. */
static void
assert_same_addr(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b)
{
	assert_int_equal(a->ss_family, b->ss_family);
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a;
		const struct sockaddr_in *y = (const void *)b;

		assert_int_equal(x->sin_port, y->sin_port);
		assert_int_equal(x->sin_addr.s_addr, y->sin_addr.s_addr);
	} else if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a;
		const struct sockaddr_in6 *y = (const void *)b;

		assert_int_equal(x->sin6_port, y->sin6_port);
		assert_memory_equal(&x->sin6_addr, &y->sin6_addr, 16);
	} else if (a->ss_family == AF_UNIX) {
		const struct sockaddr_un *x = (const void *)a;
		const struct sockaddr_un *y = (const void *)b;

		assert_memory_equal(x->sun_path, y->sun_path,
		    sizeof(x->sun_path));
	}
}

/* Whether a fresh datagram socket can bind @a now (0 or the errno). */
static errno_t
probe_bind(const struct sockaddr_storage *a)
{
	socket_t p = new_sock(a->ss_family, SOCK_DGRAM, IPPROTO_UDP);
	errno_t error = sock_bind(p, CSA(a));

	sock_close(p);
	return (error);
}

/* The socket bound to @a is really closed: its port can be bound again. */
static void
await_port_free(const struct sockaddr_storage *a)
{
	int64_t deadline = xk_test_now_us() + (int64_t)XK_TEST_WAIT_MS * 1000;
	errno_t error;

	while ((error = probe_bind(a)) != 0) {
		if (error != EADDRINUSE) {
			fail_msg("probe bind: %d", error);
		}
		if (xk_test_now_us() >= deadline) {
			fail_msg("port %u still bound %d ms after the close",
			    xk_test_port(a), XK_TEST_WAIT_MS);
		}
		xk_test_sleep_ms(1);
	}
}

/* Receives one datagram of @len pattern bytes from @patoff, blocking. */
static void
recv_expect(socket_t so, size_t len, size_t patoff)
{
	uint8_t buf[16384];
	size_t got = 0;

	assert_true(len <= sizeof(buf));
	xk_test_rcvtimeo(so, SAFETY_MS);
	assert_int_equal(xk_test_recv(so, buf, sizeof(buf), 0, &got), 0);
	assert_int_equal(got, len);
	xk_test_check_pattern(buf, len, patoff);
}

/* Receives exactly @len stream bytes (MSG_WAITALL, bounded). */
static void
recv_stream_expect(socket_t so, size_t len, size_t patoff)
{
	uint8_t *buf = malloc(len);
	size_t got = 0;
	errno_t error;

	assert_non_null(buf);
	xk_test_rcvtimeo(so, SAFETY_MS);
	error = xk_test_recv(so, buf, len, MSG_WAITALL, &got);
	if (error != 0 || got != len) {
		free(buf);
		fail_msg("stream receive: error %d, %zu of %zu bytes", error,
		    got, len);
	}
	xk_test_check_pattern(buf, len, patoff);
	free(buf);
}

/*
 * A listener the host will not complete connections to: a plain Linux
 * socket listening with backlog 0, its queue filled by plain connects
 * that are never accepted.  A KPI connect to it stays in progress (the
 * host drops its SYN and retries after a second), so EALREADY and
 * sock_connectwait() can be tested without a race.  The queue is known
 * full from the kernel (TCP_INFO), not from a connect that seems slow.
 */
struct full_listener {
	int	lfd;
	int	fds[8];
	int	nfd;
	struct sockaddr_storage addr;
};

/* Connections in @lfd's accept queue; whether the queue is full. */
static bool
accept_queue(int lfd, unsigned int *queued)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	assert_int_equal(getsockopt(lfd, IPPROTO_TCP, TCP_INFO, &ti, &len),
	    0);
	/* On a listener: the queue's length, and the backlog. */
	*queued = ti.tcpi_unacked;
	return (ti.tcpi_unacked > ti.tcpi_sacked);
}

static void
full_listener_open(struct full_listener *fl)
{
	socklen_t len = sizeof(fl->addr);
	unsigned int queued, now;
	int64_t deadline;

	memset(fl, 0, sizeof(*fl));
	fl->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fl->lfd >= 0);
	xk_test_addr(AF_INET, 0, &fl->addr);
	assert_int_equal(bind(fl->lfd, SA(&fl->addr),
	    sizeof(struct sockaddr_in)), 0);
	assert_int_equal(getsockname(fl->lfd, SA(&fl->addr), &len), 0);
	assert_int_equal(listen(fl->lfd, 0), 0);
	for (;;) {
		struct pollfd p;
		bool full;
		int fd;

		if (fl->nfd == (int)(sizeof(fl->fds) / sizeof(fl->fds[0]))) {
			fail_msg("could not fill the listen queue");
		}
		full = accept_queue(fl->lfd, &queued);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		assert_true(fd >= 0);
		fl->fds[fl->nfd++] = fd;
		if (connect(fd, SA(&fl->addr), sizeof(struct sockaddr_in)) !=
		    0) {
			assert_int_equal(errno, EINPROGRESS);
		}
		if (full) {
			return;	/* this one hangs: the queue is full */
		}
		/* It completes, and joins the queue. */
		p.fd = fd;
		p.events = POLLOUT;
		p.revents = 0;
		assert_int_equal(poll(&p, 1, XK_TEST_WAIT_MS), 1);
		deadline = xk_test_now_us() + (int64_t)XK_TEST_WAIT_MS * 1000;
		while (!accept_queue(fl->lfd, &now) && now <= queued) {
			if (xk_test_now_us() >= deadline) {
				fail_msg("a connection did not join the "
				    "listen queue");
			}
			xk_test_sleep_ms(1);
		}
	}
}

static void
full_listener_close(struct full_listener *fl)
{
	for (int i = 0; i < fl->nfd; i++) {
		close(fl->fds[i]);
	}
	close(fl->lfd);
}

/* A loopback TCP address nobody listens on: bound, never listening. */
static socket_t
reserve_port(struct sockaddr_storage *a)
{
	socket_t r = new_sock(AF_INET, SOCK_STREAM, IPPROTO_TCP);

	xk_test_addr(AF_INET, 0, a);
	assert_int_equal(sock_bind(r, CSA(a)), 0);
	assert_int_equal(sock_getsockname(r, SA(a), sizeof(*a)), 0);
	return (r);
}

/* sock_socket */

static void
test_socket_null_new_so_is_einval(void **state)
{
	(void)state;
	assert_int_equal(sock_socket(PF_INET, SOCK_DGRAM, IPPROTO_UDP, NULL,
	    NULL, NULL), EINVAL);
	assert_int_equal(sock_socket(PF_INET, SOCK_STREAM, 0, NULL, NULL,
	    NULL), EINVAL);
}

static void
test_socket_unknown_domain_is_eafnosupport(void **state)
{
	socket_t so = SENTINEL;

	(void)state;
	assert_int_equal(sock_socket(AF_APPLETALK, SOCK_DGRAM, 0, NULL, NULL,
	    &so), EAFNOSUPPORT);
	assert_int_equal(sock_socket(12345, SOCK_STREAM, 0, NULL, NULL, &so),
	    EAFNOSUPPORT);
	assert_int_equal(sock_socket(AF_PACKET, SOCK_DGRAM, 0, NULL, NULL,
	    &so), EAFNOSUPPORT);
}

static void
test_socket_wrong_type_for_protocol_is_eprototype(void **state)
{
	socket_t so = SENTINEL;

	(void)state;
	assert_int_equal(sock_socket(PF_INET, SOCK_DGRAM, IPPROTO_TCP, NULL,
	    NULL, &so), EPROTOTYPE);
	assert_int_equal(sock_socket(PF_INET, SOCK_STREAM, IPPROTO_UDP, NULL,
	    NULL, &so), EPROTOTYPE);
	assert_int_equal(sock_socket(PF_INET6, SOCK_DGRAM, IPPROTO_TCP, NULL,
	    NULL, &so), EPROTOTYPE);
}

static void
test_socket_unknown_protocol_is_eprotonosupport(void **state)
{
	socket_t so = SENTINEL;

	(void)state;
	assert_int_equal(sock_socket(PF_INET, SOCK_STREAM, 200, NULL, NULL,
	    &so), EPROTONOSUPPORT);
	assert_int_equal(sock_socket(PF_INET6, SOCK_DGRAM, 253, NULL, NULL,
	    &so), EPROTONOSUPPORT);
	/* No protocol of that type in the domain. */
	assert_int_equal(sock_socket(PF_INET, SOCK_SEQPACKET, 0, NULL, NULL,
	    &so), EPROTONOSUPPORT);
}

static void
test_socket_host_kinds_succeed(void **state)
{
	static const struct {
		int dom, type, proto, want_proto;
	} kinds[] = {
		{ PF_INET, SOCK_DGRAM, IPPROTO_UDP, IPPROTO_UDP },
		{ PF_INET, SOCK_DGRAM, 0, IPPROTO_UDP },
		{ PF_INET, SOCK_STREAM, IPPROTO_TCP, IPPROTO_TCP },
		{ PF_INET, SOCK_STREAM, 0, IPPROTO_TCP },
		{ PF_INET6, SOCK_DGRAM, IPPROTO_UDP, IPPROTO_UDP },
		{ PF_INET6, SOCK_STREAM, IPPROTO_TCP, IPPROTO_TCP },
		{ PF_LOCAL, SOCK_STREAM, 0, 0 },
		{ PF_LOCAL, SOCK_DGRAM, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		int dom = -1, type = -1, proto = -1;
		socket_t so = NULL;

		assert_int_equal(sock_socket(kinds[i].dom, kinds[i].type,
		    kinds[i].proto, NULL, NULL, &so), 0);
		assert_non_null(so);
		assert_int_equal(sock_gettype(so, &dom, &type, &proto), 0);
		assert_int_equal(dom, kinds[i].dom);
		assert_int_equal(type, kinds[i].type);
		assert_int_equal(proto, kinds[i].want_proto);
		assert_int_equal(sock_isconnected(so), 0);
		assert_int_equal(sock_isnonblocking(so), 0);
		assert_int_equal(sock_iskernel(so), 1);
		sock_close(so);
	}
}

/*
 * The sock_socket() callback goes on the read side only (x86_64): a
 * write-side wakeup (SO_SNDBUF, shutdown for writing) does not call it,
 * arriving data does.
 */
static void
test_socket_cb_is_read_only_by_default(void **state)
{
	struct xk_test_upcall u = { 0 }, tu = { 0 };
	struct sockaddr_storage a;
	socket_t so, c = NULL, s, l;

	(void)state;
	so = xk_test_udp(AF_INET, xk_test_upcall_cb, &u, &a);
	setopt_int(so, SOL_SOCKET, SO_SNDBUF, 4096);	/* a write wakeup */
	xk_test_loop_barrier();
	assert_int_equal(atomic_load(&u.calls), 0);
	xk_test_send_ok(so, &a, 10, 0);
	xk_test_await(&u.calls, 1, "read upcall");
	xk_test_loop_barrier();
	assert_int_equal(atomic_load(&u.calls), 1);
	assert_ptr_equal(atomic_load(&u.last_so), so);
	sock_close(so);

	/* TCP: connecting is a read and a write wakeup; SHUT_WR a write one. */
	l = xk_test_listener(AF_INET, 4, &a);
	assert_int_equal(sock_socket(PF_INET, SOCK_STREAM, IPPROTO_TCP,
	    xk_test_upcall_cb, &tu, &c), 0);
	assert_int_equal(sock_connect(c, CSA(&a), 0), 0);
	xk_test_await(&tu.calls, 1, "read upcall on connect");
	s = xk_test_accept(l, 0, NULL, NULL);
	xk_test_loop_barrier();
	int before = atomic_load(&tu.calls);
	assert_int_equal(sock_shutdown(c, SHUT_WR), 0);
	xk_test_loop_barrier();
	assert_int_equal(atomic_load(&tu.calls), before);
	sock_close(s);
	sock_close(c);
	sock_close(l);
}

/* Reference counting (spec 1.3) */

/* socket + close: closed at the close. */
static void
test_ref_socket_close_closes(void **state)
{
	struct sockaddr_storage a;
	socket_t so;

	(void)state;
	so = xk_test_udp(AF_INET, NULL, NULL, &a);
	assert_int_equal(probe_bind(&a), EADDRINUSE);
	sock_close(so);
	await_port_free(&a);
}

/*
 * socket, retain, close, release: the close leaves the socket fully alive
 * (it still receives, its upcall still fires); the release closes it.
 */
static void
test_ref_retain_close_release_closes_at_release(void **state)
{
	struct xk_test_upcall u = { 0 };
	struct sockaddr_storage a;
	socket_t so, tx;

	(void)state;
	so = xk_test_udp(AF_INET, xk_test_upcall_cb, &u, &a);
	tx = xk_test_udp(AF_INET, NULL, NULL, NULL);
	sock_retain(so);
	sock_close(so);
	xk_test_send_ok(tx, &a, 32, 0);
	xk_test_await(&u.calls, 1, "read upcall between close and release");
	recv_expect(so, 32, 0);
	assert_int_equal(probe_bind(&a), EADDRINUSE);
	xk_test_send_ok(tx, &a, 40, 5);
	xk_test_await(&u.calls, 2, "second read upcall before release");
	recv_expect(so, 40, 5);
	sock_release(so);
	await_port_free(&a);
	assert_int_equal(xk_test_panic_count(), 0);
	sock_close(tx);
}

/* socket, retain, release, close: closed at the close. */
static void
test_ref_retain_release_close_closes_at_close(void **state)
{
	struct xk_test_upcall u = { 0 };
	struct sockaddr_storage a;
	socket_t so;

	(void)state;
	so = xk_test_udp(AF_INET, xk_test_upcall_cb, &u, &a);
	sock_retain(so);
	sock_release(so);
	/* Still open after the release. */
	assert_int_equal(probe_bind(&a), EADDRINUSE);
	xk_test_send_ok(so, &a, 12, 0);
	xk_test_await(&u.calls, 1, "read upcall after retain+release");
	recv_expect(so, 12, 0);
	sock_close(so);
	await_port_free(&a);
}

/* Two retains: the socket lives until the second release. */
static void
test_ref_two_retains_close_at_last_release(void **state)
{
	struct xk_test_upcall u = { 0 };
	struct sockaddr_storage a;
	socket_t so;

	(void)state;
	so = xk_test_udp(AF_INET, xk_test_upcall_cb, &u, &a);
	sock_retain(so);
	sock_retain(so);
	sock_close(so);
	sock_release(so);
	assert_int_equal(probe_bind(&a), EADDRINUSE);
	xk_test_send_ok(so, &a, 7, 0);
	xk_test_await(&u.calls, 1, "read upcall with one retain left");
	recv_expect(so, 7, 0);
	sock_release(so);
	await_port_free(&a);
}

/*
 * A release without a retain is an impossible state: the panic hook is
 * called, and (the hook returning) nothing changes: the socket still
 * works and closes once.
 */
static void
test_ref_release_without_retain_panics(void **state)
{
	struct xk_test_upcall u = { 0 };
	struct sockaddr_storage a;
	socket_t so;

	(void)state;
	so = xk_test_udp(AF_INET, xk_test_upcall_cb, &u, &a);
	sock_release(so);
	assert_int_equal(xk_test_panic_count(), 1);
	assert_true(strlen(xk_test_panic_msg()) > 0);
	assert_int_equal(xk_test_panic_take(), 1);
	/* Nothing was freed: the socket still receives. */
	xk_test_send_ok(so, &a, 9, 0);
	xk_test_await(&u.calls, 1, "read upcall after the bad release");
	recv_expect(so, 9, 0);
	/* A balanced pair still works, then one more release panics again. */
	sock_retain(so);
	sock_release(so);
	assert_int_equal(xk_test_panic_count(), 0);
	sock_release(so);
	assert_int_equal(xk_test_panic_take(), 1);
	assert_int_equal(probe_bind(&a), EADDRINUSE);
	sock_close(so);
	await_port_free(&a);
}

static void
test_ref_null_is_ignored(void **state)
{
	(void)state;
	sock_retain(NULL);
	sock_release(NULL);
	sock_close(NULL);
	assert_int_equal(xk_test_panic_count(), 0);
}

/* sock_close and upcalls */

struct self_closer {
	atomic_int	calls;
	atomic_int	closed;
};

static void
close_self_cb(socket_t so, void *cookie, int waitf)
{
	struct self_closer *c = cookie;

	xk_test_upcall_check(waitf);
	if (atomic_fetch_add(&c->calls, 1) == 0) {
		sock_close(so);
		atomic_store(&c->closed, 1);
	}
}

static void
test_close_inside_own_upcall(void **state)
{
	struct self_closer c = { 0 };
	struct sockaddr_storage a;
	socket_t tx;

	(void)state;
	(void)xk_test_udp(AF_INET, close_self_cb, &c, &a);
	tx = xk_test_udp(AF_INET, NULL, NULL, NULL);
	xk_test_send_ok(tx, &a, 4, 0);
	xk_test_await(&c.closed, 1, "close inside the upcall");
	/* More traffic: the closed socket calls no upcall again. */
	(void)xk_test_send(tx, &a, 4, 0);
	(void)xk_test_send(tx, &a, 4, 0);
	xk_test_loop_barrier();
	await_port_free(&a);
	assert_int_equal(atomic_load(&c.calls), 1);
	sock_close(tx);
}

struct slow_upcall {
	atomic_int	entered;
	atomic_int	finished;
};

static void
slow_cb(socket_t so, void *cookie, int waitf)
{
	struct slow_upcall *s = cookie;

	(void)so;
	xk_test_upcall_check(waitf);
	if (atomic_fetch_add(&s->entered, 1) == 0) {
		xk_test_sleep_ms(200);
		atomic_store(&s->finished, 1);
	}
}

/* Off the loop thread, sock_close returns after running upcalls end. */
static void
test_close_waits_for_running_upcall(void **state)
{
	struct slow_upcall s = { 0 };
	struct sockaddr_storage a;
	socket_t so;

	(void)state;
	so = xk_test_udp(AF_INET, slow_cb, &s, &a);
	xk_test_send_ok(so, &a, 1, 0);
	xk_test_await(&s.entered, 1, "slow upcall entered");
	sock_close(so);
	assert_int_equal(atomic_load(&s.finished), 1);
}

/* SO_UPCALLCLOSEWAIT: sock_release waits for a running upcall. */
static void
test_release_with_upcallclosewait_waits(void **state)
{
	struct slow_upcall s = { 0 };
	struct sockaddr_storage a;
	socket_t so;

	(void)state;
	so = xk_test_udp(AF_INET, slow_cb, &s, &a);
	setopt_int(so, SOL_SOCKET, SO_UPCALLCLOSEWAIT, 1);
	sock_retain(so);
	xk_test_send_ok(so, &a, 1, 0);
	xk_test_await(&s.entered, 1, "slow upcall entered");
	sock_release(so);
	assert_int_equal(atomic_load(&s.finished), 1);
	sock_close(so);
}

struct late_upcall {
	atomic_int	calls;
	atomic_int	returned;	/* sock_close has returned */
	atomic_int	late;		/* calls that started after that */
};

static void
late_cb(socket_t so, void *cookie, int waitf)
{
	struct late_upcall *l = cookie;
	uint8_t buf[64];

	xk_test_upcall_check(waitf);
	if (atomic_load(&l->returned)) {
		atomic_fetch_add(&l->late, 1);
	}
	atomic_fetch_add(&l->calls, 1);
	while (xk_test_recv(so, buf, sizeof(buf), MSG_DONTWAIT, NULL) == 0) {
		;
	}
}

/* Once sock_close has returned, no upcall of the socket starts. */
static void
test_close_no_upcall_after_return(void **state)
{
	struct late_upcall l = { 0 };
	struct sockaddr_storage a;
	socket_t so, tx;

	(void)state;
	so = xk_test_udp(AF_INET, late_cb, &l, &a);
	tx = xk_test_udp(AF_INET, NULL, NULL, NULL);
	for (int i = 0; i < 50; i++) {
		xk_test_send_ok(tx, &a, 16, 0);
	}
	xk_test_await(&l.calls, 1, "upcall before the close");
	sock_close(so);
	atomic_store(&l.returned, 1);
	for (int i = 0; i < 10; i++) {
		(void)xk_test_send(tx, &a, 16, 0);
	}
	xk_test_loop_barrier();
	assert_int_equal(atomic_load(&l.late), 0);
	sock_close(tx);
}

/* sock_bind */

static void
test_bind_null_is_einval(void **state)
{
	struct sockaddr_storage a;
	socket_t so;

	(void)state;
	so = new_sock(PF_INET, SOCK_DGRAM, IPPROTO_UDP);
	xk_test_addr(AF_INET, 0, &a);
	assert_int_equal(sock_bind(NULL, CSA(&a)), EINVAL);
	assert_int_equal(sock_bind(so, NULL), EINVAL);
	sock_close(so);
}

static void
test_bind_bad_family_is_eafnosupport(void **state)
{
	struct sockaddr_storage a;
	socket_t so;

	(void)state;
	so = new_sock(PF_INET, SOCK_DGRAM, IPPROTO_UDP);
	memset(&a, 0, sizeof(a));
	a.ss_family = AF_APPLETALK;
	assert_int_equal(sock_bind(so, CSA(&a)), EAFNOSUPPORT);
	/* A family the protocol does not handle. */
	xk_test_addr(AF_INET6, 0, &a);
	assert_int_equal(sock_bind(so, CSA(&a)), EAFNOSUPPORT);
	/* The socket is still unbound and usable. */
	xk_test_addr(AF_INET, 0, &a);
	assert_int_equal(sock_bind(so, CSA(&a)), 0);
	sock_close(so);
}

static void
test_bind_taken_port_is_eaddrinuse(void **state)
{
	struct sockaddr_storage a, la;
	socket_t u, u2, l, t;

	(void)state;
	u = xk_test_udp(AF_INET, NULL, NULL, &a);
	u2 = new_sock(PF_INET, SOCK_DGRAM, IPPROTO_UDP);
	assert_int_equal(sock_bind(u2, CSA(&a)), EADDRINUSE);
	l = xk_test_listener(AF_INET, 1, &la);
	t = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	assert_int_equal(sock_bind(t, CSA(&la)), EADDRINUSE);
	sock_close(t);
	sock_close(l);
	sock_close(u2);
	sock_close(u);
}

static void
test_bind_twice_is_einval(void **state)
{
	struct sockaddr_storage a;
	socket_t so;

	(void)state;
	so = xk_test_udp(AF_INET, NULL, NULL, NULL);
	xk_test_addr(AF_INET, 0, &a);
	assert_int_equal(sock_bind(so, CSA(&a)), EINVAL);
	sock_close(so);
}

static void
test_bind_foreign_address_is_eaddrnotavail(void **state)
{
	struct sockaddr_in sin;
	socket_t so;

	(void)state;
	so = new_sock(PF_INET, SOCK_DGRAM, IPPROTO_UDP);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0xc0000201);	/* 192.0.2.1 */
	assert_int_equal(sock_bind(so, (struct sockaddr *)&sin),
	    EADDRNOTAVAIL);
	sock_close(so);
}

/* IPv6 and a local socket bound to a path in /tmp. */
static void
test_bind_v6_and_local_path(void **state)
{
	struct sockaddr_storage a6, got;
	struct sockaddr_un sun;
	socket_t s6, lo, tx;
	char path[64];

	(void)state;
	s6 = xk_test_udp(AF_INET6, NULL, NULL, &a6);
	assert_int_equal(memcmp(&((struct sockaddr_in6 *)&a6)->sin6_addr,
	    &in6addr_loopback, 16), 0);
	sock_close(s6);

	snprintf(path, sizeof(path), "/tmp/xkpi-test-%ld.sock",
	    (long)getpid());
	unlink(path);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	lo = new_sock(PF_LOCAL, SOCK_DGRAM, 0);
	assert_int_equal(sock_bind(lo, (struct sockaddr *)&sun), 0);
	assert_int_equal(access(path, F_OK), 0);
	memset(&got, 0, sizeof(got));
	assert_int_equal(sock_getsockname(lo, SA(&got), sizeof(got)), 0);
	assert_int_equal(got.ss_family, AF_UNIX);
	assert_string_equal(((struct sockaddr_un *)&got)->sun_path, path);
	tx = new_sock(PF_LOCAL, SOCK_DGRAM, 0);
	memcpy(&got, &sun, sizeof(sun));
	xk_test_send_ok(tx, &got, 100, 3);
	recv_expect(lo, 100, 3);
	sock_close(tx);
	sock_close(lo);
	unlink(path);
}

/* sock_connect */

static void
test_connect_null_is_einval(void **state)
{
	struct sockaddr_storage a;
	socket_t so;

	(void)state;
	so = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	xk_test_addr(AF_INET, 9, &a);
	assert_int_equal(sock_connect(NULL, CSA(&a), 0), EINVAL);
	assert_int_equal(sock_connect(so, NULL, 0), EINVAL);
	assert_int_equal(sock_connect(so, NULL, MSG_DONTWAIT), EINVAL);
	assert_int_equal(sock_isconnected(so), 0);
	sock_close(so);
}

static void
test_connect_bad_family_is_eafnosupport(void **state)
{
	struct sockaddr_storage a;
	socket_t so;

	(void)state;
	so = new_sock(PF_INET, SOCK_DGRAM, IPPROTO_UDP);
	memset(&a, 0, sizeof(a));
	a.ss_family = AF_APPLETALK;
	assert_int_equal(sock_connect(so, CSA(&a), 0), EAFNOSUPPORT);
	assert_int_equal(sock_isconnected(so), 0);
	sock_close(so);
}

/*
 * A non-blocking connect returns EINPROGRESS; completion is announced by
 * the read and the write upcall and by CONNECTED|CONNINFO_UPDATED.
 */
static void
test_connect_dontwait_announces_completion(void **state)
{
	struct xk_test_upcall r = { 0 }, w = { 0 };
	struct xk_test_events ev = { 0 };
	struct sockaddr_storage la;
	socket_t l, c, s;
	errno_t error;

	(void)state;
	l = xk_test_listener(AF_INET, 4, &la);
	c = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	assert_int_equal(sock_setupcalls(c, xk_test_upcall_cb, &r,
	    xk_test_upcall_cb, &w), 0);
	assert_int_equal(sock_catchevents(c, xk_test_event_cb, &ev,
	    SO_FILT_HINT_CONNECTED | SO_FILT_HINT_CONNINFO_UPDATED), 0);
	error = sock_connect(c, CSA(&la), MSG_DONTWAIT);
	if (error != EINPROGRESS && error != 0) {
		fail_msg("non-blocking connect: %d", error);
	}
	xk_test_await(&w.calls, 1, "write upcall on connect");
	xk_test_await(&r.calls, 1, "read upcall on connect");
	xk_test_await(&ev.calls, 1, "CONNECTED event");
	assert_int_equal(atomic_load(&ev.first),
	    SO_FILT_HINT_CONNECTED | SO_FILT_HINT_CONNINFO_UPDATED);
	assert_int_equal(atomic_load(&ev.all),
	    SO_FILT_HINT_CONNECTED | SO_FILT_HINT_CONNINFO_UPDATED);
	assert_ptr_equal(atomic_load(&w.last_so), c);
	assert_int_equal(sock_isconnected(c), 1);
	s = xk_test_accept(l, 0, NULL, NULL);
	sock_close(s);
	sock_close(c);
	sock_close(l);
}

/* Bits outside the mask are never delivered; the value is masked. */
static void
test_connect_event_mask_filters(void **state)
{
	static const uint32_t masks[] = {
		SO_FILT_HINT_CONNECTED,
		SO_FILT_HINT_CONNINFO_UPDATED | SO_FILT_HINT_CANTRCVMORE,
		SO_FILT_HINT_CONNECTED | SO_FILT_HINT_TIMEOUT,
		0,
	};
	struct sockaddr_storage la;
	socket_t l;

	(void)state;
	l = xk_test_listener(AF_INET, 8, &la);
	for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		struct timeval tv = { 3, 0 };
		struct xk_test_events ev = { 0 };
		uint32_t want = masks[i] & (SO_FILT_HINT_CONNECTED |
		    SO_FILT_HINT_CONNINFO_UPDATED);
		socket_t c, s;
		errno_t error;

		c = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
		assert_int_equal(sock_catchevents(c, xk_test_event_cb, &ev,
		    masks[i]), 0);
		error = sock_connect(c, CSA(&la), MSG_DONTWAIT);
		assert_true(error == 0 || error == EINPROGRESS);
		assert_int_equal(sock_connectwait(c, &tv), 0);
		if (want != 0) {
			xk_test_await(&ev.calls, 1, "masked event");
		}
		xk_test_loop_barrier();
		assert_int_equal(atomic_load(&ev.all), want);
		assert_int_equal(atomic_load(&ev.first), want);
		assert_int_equal(atomic_load(&ev.zero), 0);
		s = xk_test_accept(l, 0, NULL, NULL);
		sock_close(c);
		sock_close(s);
	}
	sock_close(l);
}

/*
 * A second non-blocking connect while the first is in progress is
 * EALREADY.  The listener's queue is full, so the connect cannot complete
 * meanwhile.  sock_connectwait() checks its bounds there too.
 */
static void
test_connect_in_progress_is_ealready(void **state)
{
	struct full_listener fl;
	struct timeval tv;
	socket_t c;
	int on = 1;

	(void)state;
	full_listener_open(&fl);
	c = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	assert_int_equal(sock_connect(c, CSA(&fl.addr), MSG_DONTWAIT),
	    EINPROGRESS);
	assert_int_equal(sock_connect(c, CSA(&fl.addr), MSG_DONTWAIT),
	    EALREADY);
	/* FIONBIO makes a flagless connect non-blocking as well. */
	assert_int_equal(sock_ioctl(c, FIONBIO, &on), 0);
	assert_int_equal(sock_connect(c, CSA(&fl.addr), 0), EALREADY);
	assert_int_equal(sock_isconnected(c), 0);

	/* sock_connectwait while connecting: EDOM bounds, then a timeout. */
	tv = (struct timeval){ -1, 0 };
	assert_int_equal(sock_connectwait(c, &tv), EDOM);
	tv = (struct timeval){ 328, 0 };
	assert_int_equal(sock_connectwait(c, &tv), EDOM);
	tv = (struct timeval){ 0, -1 };
	assert_int_equal(sock_connectwait(c, &tv), EDOM);
	tv = (struct timeval){ 0, 1000000 };
	assert_int_equal(sock_connectwait(c, &tv), EDOM);
	tv = (struct timeval){ 0, 50000 };
	assert_int_equal(sock_connectwait(c, &tv), EINPROGRESS);
	assert_int_equal(sock_isconnected(c), 0);
	/* Closing a connecting socket is fine. */
	sock_close(c);
	full_listener_close(&fl);
}

/*
 * On an ordinary listener the connect may complete at once: the second
 * call is EALREADY while connecting, EISCONN once connected.
 */
static void
test_connect_again_is_ealready_or_eisconn(void **state)
{
	struct timeval tv = { 3, 0 };
	struct sockaddr_storage la;
	socket_t l, c, s;
	errno_t e1, e2;

	(void)state;
	l = xk_test_listener(AF_INET, 4, &la);
	c = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	e1 = sock_connect(c, CSA(&la), MSG_DONTWAIT);
	e2 = sock_connect(c, CSA(&la), MSG_DONTWAIT);
	if (e1 == 0) {
		assert_int_equal(e2, EISCONN);
	} else {
		assert_int_equal(e1, EINPROGRESS);
		if (e2 != EALREADY && e2 != EISCONN) {
			fail_msg("second connect: %d, want EALREADY or EISCONN",
			    e2);
		}
	}
	assert_int_equal(sock_connectwait(c, &tv), 0);
	assert_int_equal(sock_connect(c, CSA(&la), MSG_DONTWAIT), EISCONN);
	s = xk_test_accept(l, 0, NULL, NULL);
	sock_close(s);
	sock_close(c);
	sock_close(l);
}

static void
test_connect_connected_stream_is_eisconn(void **state)
{
	struct sockaddr_storage a;
	socket_t c, s;

	(void)state;
	xk_test_tcp_pair(AF_INET, &c, &s);
	assert_int_equal(sock_getpeername(c, SA(&a), sizeof(a)), 0);
	assert_int_equal(sock_connect(c, CSA(&a), 0), EISCONN);
	assert_int_equal(sock_connect(c, CSA(&a), MSG_DONTWAIT), EISCONN);
	assert_int_equal(sock_getpeername(s, SA(&a), sizeof(a)), 0);
	assert_int_equal(sock_connect(s, CSA(&a), 0), EISCONN);
	assert_int_equal(sock_isconnected(c), 1);
	sock_close(c);
	sock_close(s);
}

static void
test_connect_listener_is_eopnotsupp(void **state)
{
	struct sockaddr_storage la;
	socket_t l;

	(void)state;
	l = xk_test_listener(AF_INET, 4, &la);
	assert_int_equal(sock_connect(l, CSA(&la), 0), EOPNOTSUPP);
	assert_int_equal(sock_connect(l, CSA(&la), MSG_DONTWAIT), EOPNOTSUPP);
	sock_close(l);
}

static void
test_connect_blocking_refused(void **state)
{
	struct timeval tv = { 1, 0 };
	struct sockaddr_storage a;
	socket_t r, c;

	(void)state;
	r = reserve_port(&a);
	c = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	assert_int_equal(sock_connect(c, CSA(&a), 0), ECONNREFUSED);
	assert_int_equal(sock_isconnected(c), 0);
	/* The error was returned and cleared. */
	assert_int_equal(getopt_int(c, SOL_SOCKET, SO_ERROR), 0);
	assert_int_equal(sock_connectwait(c, &tv), EINVAL);
	sock_close(c);
	sock_close(r);
}

/*
 * A refused non-blocking connect: DISCONNECTED|CONNINFO_UPDATED (never
 * CONNECTED), then sock_connectwait() returns and clears the error.
 */
static void
test_connect_dontwait_refused(void **state)
{
	struct timeval tv = { 3, 0 };
	struct xk_test_events ev = { 0 };
	struct sockaddr_storage a;
	socket_t r, c;

	(void)state;
	r = reserve_port(&a);
	c = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	assert_int_equal(sock_catchevents(c, xk_test_event_cb, &ev,
	    SO_FILT_HINT_EV), 0);
	assert_int_equal(sock_connect(c, CSA(&a), MSG_DONTWAIT), EINPROGRESS);
	xk_test_await_bits(&ev.all, SO_FILT_HINT_DISCONNECTED |
	    SO_FILT_HINT_CONNINFO_UPDATED, "DISCONNECTED event");
	assert_int_equal(atomic_load(&ev.all) & SO_FILT_HINT_CONNECTED, 0);
	assert_int_equal(sock_connectwait(c, &tv), ECONNREFUSED);
	assert_int_equal(sock_connectwait(c, &tv), EINVAL);
	assert_int_equal(sock_isconnected(c), 0);
	sock_close(c);
	sock_close(r);
}

/* A datagram socket connects at once and raises CONNECTED. */
static void
test_connect_datagram(void **state)
{
	struct xk_test_events ev = { 0 };
	struct timeval tv = { 0, 0 };
	struct sockaddr_storage a, p;
	socket_t rx, tx;

	(void)state;
	rx = xk_test_udp(AF_INET, NULL, NULL, &a);
	tx = new_sock(PF_INET, SOCK_DGRAM, IPPROTO_UDP);
	assert_int_equal(sock_catchevents(tx, xk_test_event_cb, &ev,
	    SO_FILT_HINT_EV), 0);
	assert_int_equal(sock_connect(tx, CSA(&a), 0), 0);
	assert_int_equal(sock_isconnected(tx), 1);
	xk_test_await(&ev.calls, 1, "CONNECTED event");
	assert_int_equal(atomic_load(&ev.first),
	    SO_FILT_HINT_CONNECTED | SO_FILT_HINT_CONNINFO_UPDATED);
	memset(&p, 0, sizeof(p));
	assert_int_equal(sock_getpeername(tx, SA(&p), sizeof(p)), 0);
	assert_same_addr(&p, &a);
	assert_int_equal(sock_connectwait(tx, &tv), 0);
	xk_test_send_ok(tx, NULL, 20, 0);
	recv_expect(rx, 20, 0);
	sock_close(tx);
	sock_close(rx);
}

/* Connecting a connected datagram socket moves it to the new peer. */
static void
test_connect_datagram_again_moves_peer(void **state)
{
	struct sockaddr_storage a1, a2, p;
	socket_t rx1, rx2, tx;
	uint8_t buf[8];
	size_t n;

	(void)state;
	rx1 = xk_test_udp(AF_INET, NULL, NULL, &a1);
	rx2 = xk_test_udp(AF_INET, NULL, NULL, &a2);
	tx = new_sock(PF_INET, SOCK_DGRAM, IPPROTO_UDP);
	assert_int_equal(sock_connect(tx, CSA(&a1), 0), 0);
	assert_int_equal(sock_connect(tx, CSA(&a2), 0), 0);
	assert_int_equal(sock_isconnected(tx), 1);
	memset(&p, 0, sizeof(p));
	assert_int_equal(sock_getpeername(tx, SA(&p), sizeof(p)), 0);
	assert_same_addr(&p, &a2);
	xk_test_send_ok(tx, NULL, 6, 0);
	recv_expect(rx2, 6, 0);
	assert_int_equal(xk_test_recv(rx1, buf, sizeof(buf), MSG_DONTWAIT, &n),
	    EWOULDBLOCK);
	sock_close(tx);
	sock_close(rx2);
	sock_close(rx1);
}

/* Local stream sockets connect and carry data both ways. */
static void
test_connect_local_stream(void **state)
{
	socket_t c, s;

	(void)state;
	xk_test_tcp_pair(AF_UNIX, &c, &s);
	assert_int_equal(sock_isconnected(s), 1);
	xk_test_send_ok(c, NULL, 300, 0);
	recv_stream_expect(s, 300, 0);
	xk_test_send_ok(s, NULL, 50, 7);
	recv_stream_expect(c, 50, 7);
	sock_close(c);
	sock_close(s);
}

/* sock_connectwait */

static void
test_connectwait_null_is_einval(void **state)
{
	struct timeval tv = { 0, 0 };
	socket_t so;

	(void)state;
	so = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	assert_int_equal(sock_connectwait(NULL, &tv), EINVAL);
	assert_int_equal(sock_connectwait(so, NULL), EINVAL);
	sock_close(so);
}

static void
test_connectwait_not_connecting_is_einval(void **state)
{
	struct timeval tv = { 0, 10000 }, bad = { -1, 0 };
	socket_t t, u;

	(void)state;
	t = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	u = xk_test_udp(AF_INET, NULL, NULL, NULL);
	assert_int_equal(sock_connectwait(t, &tv), EINVAL);
	assert_int_equal(sock_connectwait(u, &tv), EINVAL);
	/* Not connecting: the bounds are not even looked at. */
	assert_int_equal(sock_connectwait(t, &bad), EINVAL);
	sock_close(t);
	sock_close(u);
}

static void
test_connectwait_connected_is_zero(void **state)
{
	struct timeval tv = { 0, 0 }, bad = { 0, 1000000 };
	socket_t c, s;

	(void)state;
	xk_test_tcp_pair(AF_INET, &c, &s);
	assert_int_equal(sock_connectwait(c, &tv), 0);
	assert_int_equal(sock_connectwait(s, &tv), 0);
	assert_int_equal(sock_connectwait(c, &bad), 0);
	sock_close(c);
	sock_close(s);
}

/* Names */

static void
test_getpeername_unconnected_is_enotconn(void **state)
{
	struct sockaddr_storage a;
	socket_t t, u, l;

	(void)state;
	t = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	u = xk_test_udp(AF_INET, NULL, NULL, NULL);
	l = xk_test_listener(AF_INET, 1, NULL);
	assert_int_equal(sock_getpeername(t, SA(&a), sizeof(a)), ENOTCONN);
	assert_int_equal(sock_getpeername(u, SA(&a), sizeof(a)), ENOTCONN);
	assert_int_equal(sock_getpeername(l, SA(&a), sizeof(a)), ENOTCONN);
	sock_close(t);
	sock_close(u);
	sock_close(l);
}

static void
test_getpeername_bad_args_are_einval(void **state)
{
	struct sockaddr_storage a;
	socket_t c, s;

	(void)state;
	xk_test_tcp_pair(AF_INET, &c, &s);
	assert_int_equal(sock_getpeername(NULL, SA(&a), sizeof(a)), EINVAL);
	assert_int_equal(sock_getpeername(c, NULL, sizeof(a)), EINVAL);
	assert_int_equal(sock_getpeername(c, SA(&a), -1), EINVAL);
	sock_close(c);
	sock_close(s);
}

static void
test_getpeername_connected_and_truncated(void **state)
{
	struct sockaddr_storage cp, cn, sp, t;
	socket_t c, s;

	(void)state;
	xk_test_tcp_pair(AF_INET, &c, &s);
	memset(&cp, 0, sizeof(cp));
	memset(&cn, 0, sizeof(cn));
	memset(&sp, 0, sizeof(sp));
	assert_int_equal(sock_getpeername(c, SA(&cp), sizeof(cp)), 0);
	assert_int_equal(sock_getsockname(c, SA(&cn), sizeof(cn)), 0);
	assert_int_equal(sock_getpeername(s, SA(&sp), sizeof(sp)), 0);
	assert_int_equal(cp.ss_family, AF_INET);
	assert_int_equal(((struct sockaddr_in *)&cp)->sin_addr.s_addr,
	    htonl(INADDR_LOOPBACK));
	assert_same_addr(&sp, &cn);
	/* At most peerlen bytes are written. */
	memset(&t, 0xaa, sizeof(t));
	assert_int_equal(sock_getpeername(c, SA(&t), 4), 0);
	assert_memory_equal(&t, &cp, 4);
	for (size_t i = 4; i < sizeof(t); i++) {
		assert_int_equal(((uint8_t *)&t)[i], 0xaa);
	}
	memset(&t, 0xaa, sizeof(t));
	assert_int_equal(sock_getpeername(c, SA(&t), 0), 0);
	assert_int_equal(((uint8_t *)&t)[0], 0xaa);
	sock_close(c);
	sock_close(s);
}

static void
test_getsockname_bound_and_truncated(void **state)
{
	struct sockaddr_storage a, t;
	socket_t u, u6, f;

	(void)state;
	u = xk_test_udp(AF_INET, NULL, NULL, &a);
	assert_int_equal(((struct sockaddr_in *)&a)->sin_addr.s_addr,
	    htonl(INADDR_LOOPBACK));
	memset(&t, 0xaa, sizeof(t));
	assert_int_equal(sock_getsockname(u, SA(&t), 4), 0);
	assert_memory_equal(&t, &a, 4);
	assert_int_equal(((uint8_t *)&t)[4], 0xaa);
	assert_int_equal(sock_getsockname(NULL, SA(&t), sizeof(t)), EINVAL);
	assert_int_equal(sock_getsockname(u, NULL, sizeof(t)), EINVAL);
	assert_int_equal(sock_getsockname(u, SA(&t), -1), EINVAL);
	u6 = xk_test_udp(AF_INET6, NULL, NULL, &a);
	assert_int_equal(memcmp(&((struct sockaddr_in6 *)&a)->sin6_addr,
	    &in6addr_loopback, 16), 0);
	/* An unbound socket: the wildcard address, port 0. */
	f = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	memset(&t, 0xaa, sizeof(t));
	assert_int_equal(sock_getsockname(f, SA(&t), sizeof(t)), 0);
	assert_int_equal(t.ss_family, AF_INET);
	assert_int_equal(xk_test_port(&t), 0);
	assert_int_equal(((struct sockaddr_in *)&t)->sin_addr.s_addr, 0);
	sock_close(f);
	sock_close(u6);
	sock_close(u);
}

/* spec 8.10: the peer of an unconnected socket is the zero address. */
static void
test_getaddr_unconnected_peer_is_zero(void **state)
{
	static const uint8_t zero[16];
	struct sockaddr *sa = NULL;
	socket_t u, u6;

	(void)state;
	u = xk_test_udp(AF_INET, NULL, NULL, NULL);
	assert_int_equal(sock_getaddr(u, &sa, 1), 0);
	assert_non_null(sa);
	assert_int_equal(sa->sa_family, AF_INET);
	assert_int_equal(((struct sockaddr_in *)sa)->sin_port, 0);
	assert_int_equal(((struct sockaddr_in *)sa)->sin_addr.s_addr, 0);
	sock_freeaddr(sa);
	sa = NULL;
	u6 = xk_test_udp(AF_INET6, NULL, NULL, NULL);
	assert_int_equal(sock_getaddr(u6, &sa, 1), 0);
	assert_non_null(sa);
	assert_int_equal(sa->sa_family, AF_INET6);
	assert_int_equal(((struct sockaddr_in6 *)sa)->sin6_port, 0);
	assert_memory_equal(&((struct sockaddr_in6 *)sa)->sin6_addr, zero,
	    16);
	sock_freeaddr(sa);
	sock_freeaddr(NULL);
	sock_close(u6);
	sock_close(u);
}

static void
test_getaddr_local_and_peer(void **state)
{
	struct sockaddr_storage n, p;
	struct sockaddr *sa = NULL;
	socket_t c, s;

	(void)state;
	xk_test_tcp_pair(AF_INET, &c, &s);
	memset(&n, 0, sizeof(n));
	memset(&p, 0, sizeof(p));
	assert_int_equal(sock_getsockname(c, SA(&n), sizeof(n)), 0);
	assert_int_equal(sock_getpeername(c, SA(&p), sizeof(p)), 0);
	assert_int_equal(sock_getaddr(c, &sa, 0), 0);
	assert_same_addr((struct sockaddr_storage *)(void *)sa, &n);
	sock_freeaddr(sa);
	sa = NULL;
	assert_int_equal(sock_getaddr(c, &sa, 1), 0);
	assert_same_addr((struct sockaddr_storage *)(void *)sa, &p);
	sock_freeaddr(sa);
	assert_int_equal(sock_getaddr(NULL, &sa, 0), EINVAL);
	assert_int_equal(sock_getaddr(c, NULL, 1), EINVAL);
	sock_close(c);
	sock_close(s);
}

/* Socket options */

static void
test_sockopt_null_is_einval(void **state)
{
	int v = 1, len = (int)sizeof(v);
	socket_t so;

	(void)state;
	so = new_sock(PF_INET, SOCK_DGRAM, IPPROTO_UDP);
	assert_int_equal(sock_getsockopt(NULL, SOL_SOCKET, SO_TYPE, &v, &len),
	    EINVAL);
	assert_int_equal(sock_getsockopt(so, SOL_SOCKET, SO_TYPE, NULL, &len),
	    EINVAL);
	assert_int_equal(sock_getsockopt(so, SOL_SOCKET, SO_TYPE, &v, NULL),
	    EINVAL);
	assert_int_equal(len, sizeof(v));
	assert_int_equal(sock_setsockopt(NULL, SOL_SOCKET, SO_REUSEADDR, &v,
	    sizeof(v)), EINVAL);
	/* NULL with bytes is refused; with none, an int option is short. */
	assert_int_equal(sock_setsockopt(so, SOL_SOCKET, SO_REUSEADDR, NULL,
	    sizeof(v)), EINVAL);
	assert_int_equal(sock_setsockopt(so, SOL_SOCKET, SO_REUSEADDR, NULL,
	    0), EINVAL);
	assert_int_equal(getopt_int(so, SOL_SOCKET, SO_REUSEADDR), 0);
	sock_close(so);
}

static void
test_sockopt_buffer_sizes_round_trip(void **state)
{
	socket_t u, c, s;

	(void)state;
	u = new_sock(PF_INET, SOCK_DGRAM, IPPROTO_UDP);
	/* XNU's udp_sendspace. */
	assert_int_equal(getopt_int(u, SOL_SOCKET, SO_SNDBUF), 9216);
	setopt_int(u, SOL_SOCKET, SO_RCVBUF, 65536);
	assert_int_equal(getopt_int(u, SOL_SOCKET, SO_RCVBUF), 65536);
	setopt_int(u, SOL_SOCKET, SO_SNDBUF, 12345);
	assert_int_equal(getopt_int(u, SOL_SOCKET, SO_SNDBUF), 12345);
	xk_test_tcp_pair(AF_INET, &c, &s);
	setopt_int(c, SOL_SOCKET, SO_SNDBUF, 4096);
	assert_int_equal(getopt_int(c, SOL_SOCKET, SO_SNDBUF), 4096);
	setopt_int(s, SOL_SOCKET, SO_RCVBUF, 200000);
	assert_int_equal(getopt_int(s, SOL_SOCKET, SO_RCVBUF), 200000);
	sock_close(c);
	sock_close(s);
	sock_close(u);
}

static void
test_sockopt_buffer_over_8mib_is_enobufs(void **state)
{
	int big = 8 * 1024 * 1024 + 1;
	socket_t u;

	(void)state;
	u = new_sock(PF_INET, SOCK_DGRAM, IPPROTO_UDP);
	setopt_int(u, SOL_SOCKET, SO_RCVBUF, 10000);
	assert_int_equal(sock_setsockopt(u, SOL_SOCKET, SO_RCVBUF, &big,
	    sizeof(big)), ENOBUFS);
	assert_int_equal(sock_setsockopt(u, SOL_SOCKET, SO_SNDBUF, &big,
	    sizeof(big)), ENOBUFS);
	assert_int_equal(getopt_int(u, SOL_SOCKET, SO_RCVBUF), 10000);
	assert_int_equal(getopt_int(u, SOL_SOCKET, SO_SNDBUF), 9216);
	sock_close(u);
}

/* SO_RCVTIMEO bounds a blocking receive, which then fails EWOULDBLOCK. */
static void
test_sockopt_rcvtimeo_expires(void **state)
{
	struct timeval tv = { 0, 200000 }, got;
	int len = (int)sizeof(got);
	uint8_t buf[8];
	size_t n = 99;
	int64_t t0, waited;
	socket_t u;

	(void)state;
	u = xk_test_udp(AF_INET, NULL, NULL, NULL);
	assert_int_equal(sock_setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)), 0);
	memset(&got, 0xff, sizeof(got));
	assert_int_equal(sock_getsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &got,
	    &len), 0);
	assert_int_equal(len, sizeof(got));
	assert_int_equal(got.tv_sec, 0);
	assert_int_equal(got.tv_usec, 200000);
	t0 = xk_test_now_us();
	assert_int_equal(xk_test_recv(u, buf, sizeof(buf), 0, &n),
	    EWOULDBLOCK);
	waited = xk_test_now_us() - t0;
	assert_int_equal(n, 0);
	/* It waited, at least a good part of the timeout. */
	assert_true(waited >= 100000);
	sock_close(u);
}

static void
test_sockopt_timeo_out_of_range_is_edom(void **state)
{
	static const struct timeval bad[] = {
		{ 0, 1000000 }, { 0, -1 }, { -1, 0 },
	};
	struct timeval ok = { 1, 500 }, got;
	int len = (int)sizeof(got);
	socket_t u;

	(void)state;
	u = new_sock(PF_INET, SOCK_DGRAM, IPPROTO_UDP);
	assert_int_equal(sock_setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &ok,
	    sizeof(ok)), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(sock_setsockopt(u, SOL_SOCKET, SO_RCVTIMEO,
		    &bad[i], sizeof(bad[i])), EDOM);
		assert_int_equal(sock_setsockopt(u, SOL_SOCKET, SO_SNDTIMEO,
		    &bad[i], sizeof(bad[i])), EDOM);
	}
	assert_int_equal(sock_getsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &got,
	    &len), 0);
	assert_int_equal(got.tv_sec, 1);
	assert_int_equal(got.tv_usec, 500);
	sock_close(u);
}

/* SO_ERROR returns the pending error once, then 0. */
static void
test_sockopt_so_error_read_and_cleared(void **state)
{
	struct xk_test_events ev = { 0 };
	struct sockaddr_storage a;
	socket_t r, c;

	(void)state;
	r = reserve_port(&a);
	c = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	assert_int_equal(getopt_int(c, SOL_SOCKET, SO_ERROR), 0);
	assert_int_equal(sock_catchevents(c, xk_test_event_cb, &ev,
	    SO_FILT_HINT_DISCONNECTED), 0);
	assert_int_equal(sock_connect(c, CSA(&a), MSG_DONTWAIT), EINPROGRESS);
	xk_test_await(&ev.calls, 1, "DISCONNECTED event");
	assert_int_equal(getopt_int(c, SOL_SOCKET, SO_ERROR), ECONNREFUSED);
	assert_int_equal(getopt_int(c, SOL_SOCKET, SO_ERROR), 0);
	sock_close(c);
	sock_close(r);
}

static void
test_sockopt_so_type(void **state)
{
	socket_t u, t, l;

	(void)state;
	u = new_sock(PF_INET, SOCK_DGRAM, IPPROTO_UDP);
	t = new_sock(PF_INET6, SOCK_STREAM, IPPROTO_TCP);
	l = xk_test_listener(AF_INET, 1, NULL);
	assert_int_equal(getopt_int(u, SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
	assert_int_equal(getopt_int(t, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
	assert_int_equal(getopt_int(l, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
	/* SO_ACCEPTCONN reads as XNU's option bit. */
	assert_int_equal(getopt_int(l, SOL_SOCKET, SO_ACCEPTCONN), 0x2);
	assert_int_equal(getopt_int(t, SOL_SOCKET, SO_ACCEPTCONN), 0);
	sock_close(u);
	sock_close(t);
	sock_close(l);
}

/* SO_NREAD: the size of the first datagram; on a stream, all queued. */
static void
test_sockopt_so_nread(void **state)
{
	struct sockaddr_storage a;
	socket_t u, c, s;

	(void)state;
	u = xk_test_udp(AF_INET, NULL, NULL, &a);
	assert_int_equal(getopt_int(u, SOL_SOCKET, SO_NREAD), 0);
	xk_test_send_ok(u, &a, 100, 0);
	xk_test_send_ok(u, &a, 300, 0);
	xk_test_await_nread(u, 400);
	assert_int_equal(getopt_int(u, SOL_SOCKET, SO_NREAD), 100);
	recv_expect(u, 100, 0);
	assert_int_equal(getopt_int(u, SOL_SOCKET, SO_NREAD), 300);
	recv_expect(u, 300, 0);
	assert_int_equal(getopt_int(u, SOL_SOCKET, SO_NREAD), 0);
	sock_close(u);

	xk_test_tcp_pair(AF_INET, &c, &s);
	xk_test_send_ok(c, NULL, 70, 0);
	xk_test_send_ok(c, NULL, 30, 70);
	xk_test_await_nread(s, 100);
	assert_int_equal(getopt_int(s, SOL_SOCKET, SO_NREAD), 100);
	sock_close(c);
	sock_close(s);
}

/* Boolean options kept as so_options read back as XNU's bit values. */
static void
test_sockopt_option_bits_read_as_xnu_values(void **state)
{
	socket_t u, t;

	(void)state;
	u = new_sock(PF_INET, SOCK_DGRAM, IPPROTO_UDP);
	t = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	setopt_int(u, SOL_SOCKET, SO_REUSEADDR, 1);
	assert_int_equal(getopt_int(u, SOL_SOCKET, SO_REUSEADDR), 0x4);
	setopt_int(u, SOL_SOCKET, SO_BROADCAST, 1);
	assert_int_equal(getopt_int(u, SOL_SOCKET, SO_BROADCAST), 0x20);
	setopt_int(t, SOL_SOCKET, SO_KEEPALIVE, 7);
	assert_int_equal(getopt_int(t, SOL_SOCKET, SO_KEEPALIVE), 0x8);
	setopt_int(u, SOL_SOCKET, SO_REUSEADDR, 0);
	assert_int_equal(getopt_int(u, SOL_SOCKET, SO_REUSEADDR), 0);
	assert_int_equal(getopt_int(u, SOL_SOCKET, SO_BROADCAST), 0x20);
	sock_close(u);
	sock_close(t);
}

/* SO_NOSIGPIPE, SO_NOADDRERR, SO_UPCALLCLOSEWAIT: on and off again. */
static void
test_sockopt_flags_round_trip(void **state)
{
	static const int names[] = {
		SO_NOSIGPIPE, SO_NOADDRERR, SO_UPCALLCLOSEWAIT,
	};
	socket_t u;

	(void)state;
	u = new_sock(PF_INET, SOCK_DGRAM, IPPROTO_UDP);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(getopt_int(u, SOL_SOCKET, names[i]), 0);
		setopt_int(u, SOL_SOCKET, names[i], 1);
		assert_int_not_equal(getopt_int(u, SOL_SOCKET, names[i]), 0);
		setopt_int(u, SOL_SOCKET, names[i], 0);
		assert_int_equal(getopt_int(u, SOL_SOCKET, names[i]), 0);
	}
	sock_close(u);
}

/*
 * The header: "the values returned are XNU's".  XNU's sogetopt returns
 * the so_flags bit itself: SOF_NOSIGPIPE 0x1, SOF_NOADDRAVAIL 0x2,
 * SOF_UPCALLCLOSEWAIT 0x800 (xnu: bsd/kern/uipc_socket.c).
 */
static void
test_sockopt_flags_read_as_xnu_values(void **state)
{
	socket_t u;

	(void)state;
	u = new_sock(PF_INET, SOCK_DGRAM, IPPROTO_UDP);
	setopt_int(u, SOL_SOCKET, SO_NOSIGPIPE, 1);
	setopt_int(u, SOL_SOCKET, SO_NOADDRERR, 1);
	setopt_int(u, SOL_SOCKET, SO_UPCALLCLOSEWAIT, 1);
	assert_int_equal(getopt_int(u, SOL_SOCKET, SO_NOSIGPIPE), 0x1);
	assert_int_equal(getopt_int(u, SOL_SOCKET, SO_NOADDRERR), 0x2);
	assert_int_equal(getopt_int(u, SOL_SOCKET, SO_UPCALLCLOSEWAIT),
	    0x800);
	sock_close(u);
}

/* SO_DONTTRUNC: the short receive reports MSG_RCVMORE, the rest stays. */
static void
test_sockopt_donttrunc_keeps_the_rest(void **state)
{
	struct sockaddr_storage a;
	struct msghdr msg;
	struct iovec iov;
	uint8_t buf[200];
	size_t n = 0;
	socket_t u;

	(void)state;
	u = xk_test_udp(AF_INET, NULL, NULL, &a);
	setopt_int(u, SOL_SOCKET, SO_DONTTRUNC, 1);
	assert_int_equal(getopt_int(u, SOL_SOCKET, SO_DONTTRUNC), 0x2000);
	xk_test_send_ok(u, &a, 100, 0);
	xk_test_await_nread(u, 100);
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = 40;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	assert_int_equal(sock_receive(u, &msg, MSG_DONTWAIT, &n), 0);
	assert_int_equal(n, 40);
	xk_test_check_pattern(buf, 40, 0);
	assert_int_equal(msg.msg_flags & MSG_RCVMORE, MSG_RCVMORE);
	assert_int_equal(msg.msg_flags & MSG_TRUNC, 0);
	assert_int_equal(getopt_int(u, SOL_SOCKET, SO_NREAD), 60);
	iov.iov_len = sizeof(buf);
	msg.msg_flags = 0;
	assert_int_equal(sock_receive(u, &msg, MSG_DONTWAIT, &n), 0);
	assert_int_equal(n, 60);
	xk_test_check_pattern(buf, 60, 40);
	assert_int_equal(msg.msg_flags & (MSG_RCVMORE | MSG_TRUNC), 0);
	assert_int_equal(xk_test_recv(u, buf, sizeof(buf), MSG_DONTWAIT, &n),
	    EWOULDBLOCK);
	sock_close(u);
}

static void
test_sockopt_unknown_is_enoprotoopt(void **state)
{
	int v = 1, len = (int)sizeof(v);
	socket_t u;

	(void)state;
	u = new_sock(PF_INET, SOCK_DGRAM, IPPROTO_UDP);
	assert_int_equal(sock_getsockopt(u, SOL_SOCKET, 0x7777, &v, &len),
	    ENOPROTOOPT);
	assert_int_equal(len, sizeof(v));	/* unchanged on error */
	assert_int_equal(sock_setsockopt(u, SOL_SOCKET, 0x7777, &v,
	    sizeof(v)), ENOPROTOOPT);
	sock_close(u);
}

/* getsockopt reports the bytes it stored; a short buffer truncates. */
static void
test_sockopt_len_is_updated(void **state)
{
	int64_t big = -1;
	int len = (int)sizeof(big);
	socket_t u;

	(void)state;
	u = new_sock(PF_INET, SOCK_DGRAM, IPPROTO_UDP);
	assert_int_equal(sock_getsockopt(u, SOL_SOCKET, SO_TYPE, &big, &len),
	    0);
	assert_int_equal(len, sizeof(int));
	assert_int_equal((int)(big & 0xffffffff), SOCK_DGRAM);
	sock_close(u);
}

static void
test_sockopt_tcp_nodelay_round_trip(void **state)
{
	socket_t t;

	(void)state;
	t = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	assert_int_equal(getopt_int(t, IPPROTO_TCP, TCP_NODELAY), 0);
	setopt_int(t, IPPROTO_TCP, TCP_NODELAY, 1);
	assert_int_not_equal(getopt_int(t, IPPROTO_TCP, TCP_NODELAY), 0);
	setopt_int(t, IPPROTO_TCP, TCP_NODELAY, 0);
	assert_int_equal(getopt_int(t, IPPROTO_TCP, TCP_NODELAY), 0);
	sock_close(t);
}

/* XNU's tcp_ctloutput returns t_flags & TF_NODELAY, that is 4. */
static void
test_sockopt_tcp_nodelay_reads_as_xnu_value(void **state)
{
	socket_t t;

	(void)state;
	t = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	setopt_int(t, IPPROTO_TCP, TCP_NODELAY, 1);
	assert_int_equal(getopt_int(t, IPPROTO_TCP, TCP_NODELAY), 0x4);
	sock_close(t);
}

/* sock_ioctl */

static void
test_ioctl_fionbio(void **state)
{
	int on = 1, off = 0;
	uint8_t buf[8];
	size_t n = 5;
	int64_t t0;
	socket_t u;

	(void)state;
	u = xk_test_udp(AF_INET, NULL, NULL, NULL);
	xk_test_rcvtimeo(u, SAFETY_MS);
	assert_int_equal(sock_ioctl(u, FIONBIO, &on), 0);
	assert_int_equal(sock_isnonblocking(u), 1);
	t0 = xk_test_now_us();
	assert_int_equal(xk_test_recv(u, buf, sizeof(buf), 0, &n),
	    EWOULDBLOCK);
	assert_int_equal(n, 0);
	/* It did not wait for the safety timeout. */
	assert_true(xk_test_now_us() - t0 < (int64_t)SAFETY_MS * 500);
	assert_int_equal(sock_ioctl(u, FIONBIO, &off), 0);
	assert_int_equal(sock_isnonblocking(u), 0);
	sock_close(u);
}

static void
test_ioctl_fionread(void **state)
{
	struct sockaddr_storage a;
	socket_t u, c, s;
	int n = -1;

	(void)state;
	xk_test_tcp_pair(AF_INET, &c, &s);
	assert_int_equal(sock_ioctl(s, FIONREAD, &n), 0);
	assert_int_equal(n, 0);
	xk_test_send_ok(c, NULL, 123, 0);
	xk_test_await_nread(s, 123);
	assert_int_equal(sock_ioctl(s, FIONREAD, &n), 0);
	assert_int_equal(n, 123);
	recv_stream_expect(s, 23, 0);
	assert_int_equal(sock_ioctl(s, FIONREAD, &n), 0);
	assert_int_equal(n, 100);
	sock_close(c);
	sock_close(s);

	/* Datagrams: the data bytes queued. */
	u = xk_test_udp(AF_INET, NULL, NULL, &a);
	xk_test_send_ok(u, &a, 10, 0);
	xk_test_send_ok(u, &a, 20, 0);
	xk_test_await_nread(u, 30);
	assert_int_equal(sock_ioctl(u, FIONREAD, &n), 0);
	assert_int_equal(n, 30);
	sock_close(u);
}

static void
test_ioctl_bad_args(void **state)
{
	int v = 1;
	socket_t u;

	(void)state;
	u = new_sock(PF_INET, SOCK_DGRAM, IPPROTO_UDP);
	assert_int_equal(sock_ioctl(NULL, FIONBIO, &v), EINVAL);
	assert_int_equal(sock_ioctl(u, FIONBIO, NULL), EINVAL);
	assert_int_equal(sock_ioctl(u, FIONREAD, NULL), EINVAL);
	assert_int_equal(sock_isnonblocking(u), 0);
	/* Accepted and remembered; no signal is ever sent. */
	v = (int)getpid();
	assert_int_equal(sock_ioctl(u, SIOCSPGRP, &v), 0);
	v = 0;
	assert_int_equal(sock_ioctl(u, SIOCGPGRP, &v), 0);
	assert_int_equal(v, (int)getpid());
	v = 1;
	assert_int_equal(sock_ioctl(u, FIOASYNC, &v), 0);
	v = 0;
	assert_int_equal(sock_ioctl(u, FIOASYNC, &v), 0);
	v = -1;
	assert_int_equal(sock_ioctl(u, SIOCATMARK, &v), 0);
	assert_int_equal(v, 0);
	/* A request nobody handles. */
	assert_int_equal(sock_ioctl(u, _IOR('z', 99, int), &v), EOPNOTSUPP);
	sock_close(u);
}

/* sock_settclassopt / sock_gettclassopt */

static void
test_settclassopt_bad_args(void **state)
{
	struct sockaddr_storage a;
	int tos = 0xb8;
	socket_t u, rx, lo;

	(void)state;
	rx = xk_test_udp(AF_INET, NULL, NULL, &a);
	u = new_sock(PF_INET, SOCK_DGRAM, IPPROTO_UDP);
	assert_int_equal(sock_settclassopt(u, &tos, sizeof(tos)), ENOTCONN);
	assert_int_equal(sock_connect(u, CSA(&a), 0), 0);
	assert_int_equal(sock_settclassopt(NULL, &tos, sizeof(tos)), EINVAL);
	assert_int_equal(sock_settclassopt(u, NULL, sizeof(tos)), EINVAL);
	assert_int_equal(sock_settclassopt(u, &tos, 2), EINVAL);
	assert_int_equal(sock_settclassopt(u, &tos, sizeof(tos) + 1), EINVAL);
	assert_int_equal(getopt_int(u, SOL_SOCKET, SO_TRAFFIC_CLASS),
	    SO_TC_BE);
	lo = new_sock(PF_LOCAL, SOCK_DGRAM, 0);
	assert_int_equal(sock_settclassopt(lo, &tos, sizeof(tos)), EINVAL);
	sock_close(lo);
	sock_close(u);
	sock_close(rx);
}

/* A peer on 127.0.0.1 is local: the class and the TOS byte are set. */
static void
test_settclassopt_local_peer_sets_class_and_tos(void **state)
{
	static const struct {
		int tos, tc;
	} map[] = {
		/* 0xb8 is EF (DSCP 46): VI, as XNU's so_tc_from_dscp says. */
		{ 0xb8, SO_TC_VI }, { 0xc0, SO_TC_VO }, { 0xfc, SO_TC_VO },
		{ 0x80, SO_TC_VI }, { 0xbc, SO_TC_VI },
		{ 0x20, SO_TC_BK_SYS }, { 0x5c, SO_TC_BK_SYS },
		{ 0x60, SO_TC_BE }, { 0x00, SO_TC_BE }, { 0x1c, SO_TC_BE },
	};
	struct sockaddr_storage a;
	socket_t u, rx;

	(void)state;
	rx = xk_test_udp(AF_INET, NULL, NULL, &a);
	u = new_sock(PF_INET, SOCK_DGRAM, IPPROTO_UDP);
	assert_int_equal(sock_connect(u, CSA(&a), 0), 0);
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		int tos = map[i].tos, got = -1;
		size_t len = sizeof(got);

		assert_int_equal(sock_settclassopt(u, &tos, sizeof(tos)), 0);
		assert_int_equal(getopt_int(u, SOL_SOCKET, SO_TRAFFIC_CLASS),
		    map[i].tc);
		assert_int_equal(sock_gettclassopt(u, &got, &len), 0);
		assert_int_equal(len, sizeof(int));
		assert_int_equal(got, map[i].tos);
		assert_int_equal(getopt_int(u, IPPROTO_IP, IP_TOS),
		    map[i].tos);
	}
	sock_close(u);
	sock_close(rx);
}

static void
test_settclassopt_ipv6_sets_tclass(void **state)
{
	struct sockaddr_storage a;
	int tos = 0xc0, got = -1;
	size_t len = sizeof(got);
	socket_t u, rx;

	(void)state;
	rx = xk_test_udp(AF_INET6, NULL, NULL, &a);
	u = new_sock(PF_INET6, SOCK_DGRAM, IPPROTO_UDP);
	assert_int_equal(sock_connect(u, CSA(&a), 0), 0);
	assert_int_equal(sock_settclassopt(u, &tos, sizeof(tos)), 0);
	assert_int_equal(getopt_int(u, SOL_SOCKET, SO_TRAFFIC_CLASS),
	    SO_TC_VO);
	assert_int_equal(sock_gettclassopt(u, &got, &len), 0);
	assert_int_equal(got, 0xc0);
	assert_int_equal(getopt_int(u, IPPROTO_IPV6, IPV6_TCLASS), 0xc0);
	tos = 0xb8;
	assert_int_equal(sock_settclassopt(u, &tos, sizeof(tos)), 0);
	assert_int_equal(getopt_int(u, SOL_SOCKET, SO_TRAFFIC_CLASS),
	    SO_TC_VI);
	assert_int_equal(getopt_int(u, IPPROTO_IPV6, IPV6_TCLASS), 0xb8);
	sock_close(u);
	sock_close(rx);
}

static void
test_gettclassopt_bad_args(void **state)
{
	int got = -1;
	size_t len = sizeof(got);
	socket_t u, lo;

	(void)state;
	u = new_sock(PF_INET, SOCK_DGRAM, IPPROTO_UDP);
	lo = new_sock(PF_LOCAL, SOCK_STREAM, 0);
	assert_int_equal(sock_gettclassopt(NULL, &got, &len), EINVAL);
	assert_int_equal(sock_gettclassopt(u, NULL, &len), EINVAL);
	assert_int_equal(sock_gettclassopt(u, &got, NULL), EINVAL);
	assert_int_equal(sock_gettclassopt(lo, &got, &len), EINVAL);
	/* An unconnected INET socket reads its TOS: 0. */
	assert_int_equal(sock_gettclassopt(u, &got, &len), 0);
	assert_int_equal(got, 0);
	assert_int_equal(len, sizeof(int));
	sock_close(lo);
	sock_close(u);
}

/* sock_listen */

static void
test_listen_errors(void **state)
{
	socket_t u, lo, t;

	(void)state;
	u = xk_test_udp(AF_INET, NULL, NULL, NULL);
	lo = xk_test_udp(AF_UNIX, NULL, NULL, NULL);
	assert_int_equal(sock_listen(NULL, 5), EINVAL);
	assert_int_equal(sock_listen(u, 5), EOPNOTSUPP);
	assert_int_equal(sock_listen(lo, 5), EOPNOTSUPP);
	t = xk_test_listener(AF_INET6, 5, NULL);
	assert_int_equal(getopt_int(t, SOL_SOCKET, SO_ACCEPTCONN), 0x2);
	sock_close(t);
	sock_close(lo);
	sock_close(u);
}

/* sock_accept */

static void
test_accept_null_is_einval(void **state)
{
	socket_t l, so = SENTINEL;

	(void)state;
	l = xk_test_listener(AF_INET, 4, NULL);
	assert_int_equal(sock_accept(NULL, NULL, 0, MSG_DONTWAIT, NULL, NULL,
	    &so), EINVAL);
	assert_int_equal(sock_accept(l, NULL, 0, MSG_DONTWAIT, NULL, NULL,
	    NULL), EINVAL);
	sock_close(l);
}

static void
test_accept_not_listening_is_einval(void **state)
{
	socket_t t, so = SENTINEL;

	(void)state;
	t = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	assert_int_equal(sock_accept(t, NULL, 0, MSG_DONTWAIT, NULL, NULL,
	    &so), EINVAL);
	assert_int_equal(sock_accept(t, NULL, 0, 0, NULL, NULL, &so), EINVAL);
	sock_close(t);
}

static void
test_accept_other_flags_are_enotsup(void **state)
{
	socket_t l, so = SENTINEL;

	(void)state;
	l = xk_test_listener(AF_INET, 4, NULL);
	assert_int_equal(sock_accept(l, NULL, 0, MSG_PEEK, NULL, NULL, &so),
	    ENOTSUP);
	assert_int_equal(sock_accept(l, NULL, 0, MSG_DONTWAIT | MSG_WAITALL,
	    NULL, NULL, &so), ENOTSUP);
	assert_int_equal(sock_accept(l, NULL, 0, MSG_NBIO, NULL, NULL, &so),
	    ENOTSUP);
	sock_close(l);
}

static void
test_accept_dontwait_empty_is_ewouldblock(void **state)
{
	socket_t l, so = SENTINEL;
	int on = 1;

	(void)state;
	l = xk_test_listener(AF_INET, 4, NULL);
	assert_int_equal(sock_accept(l, NULL, 0, MSG_DONTWAIT, NULL, NULL,
	    &so), EWOULDBLOCK);
	/* A FIONBIO listener does not wait either. */
	assert_int_equal(sock_ioctl(l, FIONBIO, &on), 0);
	assert_int_equal(sock_accept(l, NULL, 0, 0, NULL, NULL, &so),
	    EWOULDBLOCK);
	sock_close(l);
}

/* The listener's read upcall says a connection is ready. */
static void
test_accept_listener_upcall_fires(void **state)
{
	struct xk_test_upcall u = { 0 };
	struct sockaddr_storage la;
	socket_t l, c, s = NULL;

	(void)state;
	l = xk_test_listener(AF_INET, 4, &la);
	assert_int_equal(sock_setupcall(l, xk_test_upcall_cb, &u), 0);
	c = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	assert_int_equal(sock_connect(c, CSA(&la), 0), 0);
	xk_test_await(&u.calls, 1, "listener read upcall");
	assert_ptr_equal(atomic_load(&u.last_so), l);
	/* Ready means ready: a non-blocking accept succeeds now. */
	assert_int_equal(sock_accept(l, NULL, 0, MSG_DONTWAIT, NULL, NULL,
	    &s), 0);
	assert_non_null(s);
	assert_int_equal(sock_isconnected(s), 1);
	sock_close(s);
	sock_close(c);
	sock_close(l);
}

static void
test_accept_blocking_returns_connection(void **state)
{
	struct sockaddr_storage la;
	socket_t l, c, s = NULL;

	(void)state;
	l = xk_test_listener(AF_INET, 4, &la);
	c = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	assert_int_equal(sock_connect(c, CSA(&la), 0), 0);
	assert_int_equal(sock_accept(l, NULL, 0, 0, NULL, NULL, &s), 0);
	assert_non_null(s);
	xk_test_send_ok(s, NULL, 10, 0);
	recv_stream_expect(c, 10, 0);
	sock_close(s);
	sock_close(c);
	sock_close(l);
}

static void
test_accept_child_inherits_nbio(void **state)
{
	struct sockaddr_storage la;
	socket_t l, c, s;
	uint8_t buf[4];
	size_t n = 3;
	int on = 1;

	(void)state;
	l = xk_test_listener(AF_INET, 4, &la);
	assert_int_equal(sock_ioctl(l, FIONBIO, &on), 0);
	c = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	assert_int_equal(sock_connect(c, CSA(&la), 0), 0);
	s = xk_test_accept(l, 0, NULL, NULL);
	assert_int_equal(sock_isnonblocking(s), 1);
	xk_test_rcvtimeo(s, SAFETY_MS);
	assert_int_equal(xk_test_recv(s, buf, sizeof(buf), 0, &n),
	    EWOULDBLOCK);
	assert_int_equal(n, 0);
	assert_int_equal(sock_isnonblocking(c), 0);
	sock_close(s);
	sock_close(c);
	sock_close(l);
}

/* MSG_USEUPCALL: the child gets the listener's upcall and cookie. */
static void
test_accept_useupcall_gives_listener_upcall(void **state)
{
	struct xk_test_upcall lu = { 0 }, other = { 0 };
	struct sockaddr_storage la;
	socket_t l, c, s = NULL;
	int64_t deadline;

	(void)state;
	l = xk_test_listener(AF_INET, 4, &la);
	assert_int_equal(sock_setupcall(l, xk_test_upcall_cb, &lu), 0);
	c = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	assert_int_equal(sock_connect(c, CSA(&la), 0), 0);
	xk_test_await(&lu.calls, 1, "listener upcall");
	assert_int_equal(sock_accept(l, NULL, 0, MSG_USEUPCALL | MSG_DONTWAIT,
	    xk_test_upcall_cb, &other, &s), 0);
	assert_non_null(s);
	xk_test_send_ok(c, NULL, 5, 0);
	deadline = xk_test_now_us() + (int64_t)XK_TEST_WAIT_MS * 1000;
	while (atomic_load(&lu.last_so) != s) {
		if (xk_test_now_us() >= deadline) {
			fail_msg("the listener's upcall was not called for "
			    "the child");
		}
		xk_test_sleep_ms(1);
	}
	xk_test_loop_barrier();
	assert_int_equal(atomic_load(&other.calls), 0);
	sock_close(s);
	sock_close(c);
	sock_close(l);
}

/* The callback given to sock_accept is installed; `from` is filled. */
static void
test_accept_installs_cb_and_fills_from(void **state)
{
	struct xk_test_upcall u = { 0 };
	struct sockaddr_storage la, cn, from, t;
	socket_t l, c, c2, s = NULL, s2 = NULL;

	(void)state;
	l = xk_test_listener(AF_INET, 4, &la);
	c = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	assert_int_equal(sock_connect(c, CSA(&la), 0), 0);
	memset(&cn, 0, sizeof(cn));
	assert_int_equal(sock_getsockname(c, SA(&cn), sizeof(cn)), 0);
	memset(&from, 0xaa, sizeof(from));
	xk_test_rcvtimeo(l, SAFETY_MS);
	assert_int_equal(sock_accept(l, SA(&from), sizeof(from), 0,
	    xk_test_upcall_cb, &u, &s), 0);
	assert_same_addr(&from, &cn);
	assert_null(sock_getlistener(s));
	xk_test_send_ok(c, NULL, 8, 0);
	xk_test_await(&u.calls, 1, "child read upcall");
	assert_ptr_equal(atomic_load(&u.last_so), s);
	recv_stream_expect(s, 8, 0);

	/* fromlen bounds what is written. */
	c2 = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	assert_int_equal(sock_connect(c2, CSA(&la), 0), 0);
	memset(&cn, 0, sizeof(cn));
	assert_int_equal(sock_getsockname(c2, SA(&cn), sizeof(cn)), 0);
	memset(&t, 0xaa, sizeof(t));
	assert_int_equal(sock_accept(l, SA(&t), 4, 0, NULL, NULL, &s2), 0);
	assert_memory_equal(&t, &cn, 4);
	assert_int_equal(((uint8_t *)&t)[4], 0xaa);
	sock_close(s2);
	sock_close(c2);
	sock_close(s);
	sock_close(c);
	sock_close(l);
}

/* Connections nobody accepted go with their listener. */
static void
test_accept_close_listener_with_pending(void **state)
{
	struct xk_test_upcall u = { 0 };
	struct sockaddr_storage la;
	socket_t l, c1, c2;
	uint8_t buf[4];
	size_t n;

	(void)state;
	l = xk_test_listener(AF_INET, 4, &la);
	assert_int_equal(sock_setupcall(l, xk_test_upcall_cb, &u), 0);
	c1 = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	c2 = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	assert_int_equal(sock_connect(c1, CSA(&la), 0), 0);
	assert_int_equal(sock_connect(c2, CSA(&la), 0), 0);
	xk_test_await(&u.calls, 1, "listener upcall");
	sock_close(l);
	/* The clients see the end of their connections. */
	xk_test_rcvtimeo(c1, SAFETY_MS);
	xk_test_rcvtimeo(c2, SAFETY_MS);
	for (int i = 0; i < 2; i++) {
		errno_t error = xk_test_recv(i == 0 ? c1 : c2, buf,
		    sizeof(buf), 0, &n);

		if (!(error == 0 && n == 0) && error != ECONNRESET) {
			fail_msg("client %d: receive %d (%zu bytes), want the "
			    "end of the connection", i, error, n);
		}
	}
	sock_close(c1);
	sock_close(c2);
}

struct blocked_call {
	socket_t	so;
	socket_t	new_so;
	errno_t		error;
	size_t		len;
};

static void *
accept_thread(void *arg)
{
	struct blocked_call *b = arg;

	b->new_so = SENTINEL;
	b->error = sock_accept(b->so, NULL, 0, 0, NULL, NULL, &b->new_so);
	return (NULL);
}

/* A blocked sock_accept ends with EBADF when the listener is closed. */
static void
test_accept_blocked_then_closed_is_ebadf(void **state)
{
	struct blocked_call b = { 0 };
	pthread_t th;

	(void)state;
	b.so = xk_test_listener(AF_INET, 4, NULL);
	assert_int_equal(pthread_create(&th, NULL, accept_thread, &b), 0);
	xk_test_await_blocked(b.so);
	sock_close(b.so);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(b.error, EBADF);
}

static void *
connect_thread(void *arg)
{
	struct blocked_call *b = arg;
	struct full_listener *fl = (struct full_listener *)(void *)b->new_so;

	b->error = sock_connect(b->so, CSA(&fl->addr), 0);
	return (NULL);
}

/* A blocking connect ends with EBADF when the socket is closed. */
static void
test_connect_blocked_then_closed_is_ebadf(void **state)
{
	struct blocked_call b = { 0 };
	struct full_listener fl;
	pthread_t th;

	(void)state;
	full_listener_open(&fl);
	b.so = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	b.new_so = (socket_t)(void *)&fl;	/* the thread's argument */
	assert_int_equal(pthread_create(&th, NULL, connect_thread, &b), 0);
	xk_test_await_blocked(b.so);
	sock_close(b.so);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(b.error, EBADF);
	full_listener_close(&fl);
}

/* The first connection waiting on listener @arg holds 12 bytes. */
static bool
queued_before_accept(void *arg)
{
	socket_t l = arg, child;
	bool done;

	xk_core_lock();
	child = g_queue_peek_head(&l->so_comp);
	done = child != NULL && child->so_rcv.sb_cc >= 12;
	xk_core_unlock();
	return (done);
}

/*
 * Data that came before the accept: the new socket's read upcall is
 * called once it is installed (docs/deviations.md).
 */
static void
test_accept_data_before_accept_calls_upcall(void **state)
{
	struct xk_test_upcall u = { 0 };
	struct sockaddr_storage la;
	socket_t l, c, s;

	(void)state;
	l = xk_test_listener(AF_INET, 4, &la);
	c = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	assert_int_equal(sock_connect(c, CSA(&la), 0), 0);
	xk_test_send_ok(c, NULL, 12, 0);
	/*
	 * The loop has queued the data on the connection before it is
	 * accepted (else the upcall would come on arrival and the test
	 * would prove nothing).
	 */
	xk_test_await_until(queued_before_accept, l, "data before accept");
	s = xk_test_accept(l, 0, xk_test_upcall_cb, &u);
	xk_test_await(&u.calls, 1, "read upcall for data queued before accept");
	assert_ptr_equal(atomic_load(&u.last_so), s);
	recv_stream_expect(s, 12, 0);
	sock_close(s);
	sock_close(c);
	sock_close(l);
}

/* Inside the listener's upcall a flagless accept never waits. */
struct accept_in_upcall {
	atomic_int	calls;
	atomic_int	first;		/* errno of the first accept, + 1000 */
	atomic_int	second;
	_Atomic(socket_t) child;
};

static void
accept_in_upcall_cb(socket_t so, void *cookie, int waitf)
{
	struct accept_in_upcall *a = cookie;
	socket_t s = NULL;

	xk_test_upcall_check(waitf);
	if (atomic_fetch_add(&a->calls, 1) != 0) {
		return;
	}
	atomic_store(&a->first, 1000 + sock_accept(so, NULL, 0, 0, NULL,
	    NULL, &s));
	atomic_store(&a->child, s);
	s = NULL;
	atomic_store(&a->second, 1000 + sock_accept(so, NULL, 0, 0, NULL,
	    NULL, &s));
}

static void
test_accept_in_upcall_does_not_block(void **state)
{
	struct accept_in_upcall a = { 0 };
	struct sockaddr_storage la;
	socket_t l, c;

	(void)state;
	l = xk_test_listener(AF_INET, 4, &la);
	assert_int_equal(sock_setupcall(l, accept_in_upcall_cb, &a), 0);
	c = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	assert_int_equal(sock_connect(c, CSA(&la), 0), 0);
	xk_test_await(&a.second, 1, "accepts inside the upcall");
	assert_int_equal(atomic_load(&a.first), 1000 + 0);
	assert_int_equal(atomic_load(&a.second), 1000 + EWOULDBLOCK);
	assert_non_null(atomic_load(&a.child));
	sock_close(atomic_load(&a.child));
	sock_close(c);
	sock_close(l);
}

/* sock_receive */

static void
test_receive_bad_args_are_einval(void **state)
{
	struct msghdr msg;
	struct iovec iov[2];
	uint8_t buf[8];
	size_t n;
	socket_t u;

	(void)state;
	u = xk_test_udp(AF_INET, NULL, NULL, NULL);
	n = 77;
	assert_int_equal(sock_receive(u, NULL, MSG_DONTWAIT, &n), EINVAL);
	assert_int_equal(n, 0);
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = 0;
	iov[0].iov_base = buf;
	iov[0].iov_len = sizeof(buf);
	n = 77;
	assert_int_equal(sock_receive(u, &msg, MSG_DONTWAIT, &n), EINVAL);
	assert_int_equal(n, 0);
	msg.msg_iovlen = 1;
	iov[0].iov_len = 0;
	n = 77;
	assert_int_equal(sock_receive(u, &msg, MSG_DONTWAIT, &n), EINVAL);
	assert_int_equal(n, 0);
	iov[0].iov_len = sizeof(buf);
	iov[0].iov_base = NULL;
	n = 77;
	assert_int_equal(sock_receive(u, &msg, MSG_DONTWAIT, &n), EINVAL);
	assert_int_equal(n, 0);
	iov[0].iov_base = buf;
	msg.msg_iov = NULL;
	assert_int_equal(sock_receive(u, &msg, MSG_DONTWAIT, &n), EINVAL);
	msg.msg_iov = iov;
	n = 77;
	assert_int_equal(sock_receive(NULL, &msg, MSG_DONTWAIT, &n), EINVAL);
	assert_int_equal(n, 0);
	/* Only the first iovec is checked, and the total must fit an int. */
	iov[1].iov_base = buf;
	iov[1].iov_len = (size_t)INT_MAX;
	msg.msg_iovlen = 2;
	assert_int_equal(sock_receive(u, &msg, MSG_DONTWAIT, &n), EINVAL);
	sock_close(u);
}

static void
test_receive_dontwait_empty_is_ewouldblock(void **state)
{
	uint8_t buf[8];
	size_t n = 5;
	socket_t u, c, s;

	(void)state;
	u = xk_test_udp(AF_INET, NULL, NULL, NULL);
	xk_test_rcvtimeo(u, SAFETY_MS);
	assert_int_equal(xk_test_recv(u, buf, sizeof(buf), MSG_DONTWAIT, &n),
	    EWOULDBLOCK);
	assert_int_equal(n, 0);
	n = 5;
	assert_int_equal(xk_test_recv(u, buf, sizeof(buf), MSG_NBIO, &n),
	    EWOULDBLOCK);
	assert_int_equal(n, 0);
	sock_close(u);
	xk_test_tcp_pair(AF_INET, &c, &s);
	assert_int_equal(xk_test_recv(s, buf, sizeof(buf), MSG_DONTWAIT, &n),
	    EWOULDBLOCK);
	sock_close(c);
	sock_close(s);
}

/* A datagram larger than the buffer: truncated, MSG_TRUNC, rest gone. */
static void
test_receive_datagram_truncated(void **state)
{
	struct sockaddr_storage a;
	struct msghdr msg;
	struct iovec iov;
	uint8_t buf[100];
	size_t n = 0;
	socket_t u;

	(void)state;
	u = xk_test_udp(AF_INET, NULL, NULL, &a);
	xk_test_send_ok(u, &a, 100, 0);
	xk_test_send_ok(u, &a, 10, 50);
	xk_test_await_nread(u, 110);
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = 40;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	assert_int_equal(sock_receive(u, &msg, 0, &n), 0);
	assert_int_equal(n, 40);
	xk_test_check_pattern(buf, 40, 0);
	assert_int_equal(msg.msg_flags, MSG_TRUNC);
	/* The rest of the first datagram was dropped: next is the second. */
	iov.iov_len = sizeof(buf);
	assert_int_equal(sock_receive(u, &msg, MSG_DONTWAIT, &n), 0);
	assert_int_equal(n, 10);
	xk_test_check_pattern(buf, 10, 50);
	assert_int_equal(msg.msg_flags, MSG_DONTWAIT);
	assert_int_equal(xk_test_recv(u, buf, sizeof(buf), MSG_DONTWAIT, &n),
	    EWOULDBLOCK);
	sock_close(u);
}

/* msg_flags: the caller's flags ORed with the result flags. */
static void
test_receive_msg_flags_echo_input(void **state)
{
	struct sockaddr_storage a;
	struct msghdr msg;
	struct iovec iov;
	uint8_t buf[64];
	size_t n = 0;
	socket_t u;

	(void)state;
	u = xk_test_udp(AF_INET, NULL, NULL, &a);
	xk_test_send_ok(u, &a, 20, 0);
	xk_test_send_ok(u, &a, 30, 0);
	xk_test_await_nread(u, 50);
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_flags = 0x5a5a;
	assert_int_equal(sock_receive(u, &msg, MSG_DONTWAIT, &n), 0);
	assert_int_equal(n, 20);
	assert_int_equal(msg.msg_flags, MSG_DONTWAIT);
	iov.iov_len = 10;
	assert_int_equal(sock_receive(u, &msg, MSG_DONTWAIT | MSG_PEEK, &n),
	    0);
	assert_int_equal(n, 10);
	assert_int_equal(msg.msg_flags, MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC);
	sock_close(u);
}

/* msg_name gets the source; msg_namelen is never updated (XNU). */
static void
test_receive_msg_name_filled_namelen_unchanged(void **state)
{
	struct sockaddr_storage a, txa, from, t;
	struct msghdr msg;
	struct iovec iov;
	uint8_t buf[32];
	size_t n = 0;
	socket_t rx, tx;

	(void)state;
	rx = xk_test_udp(AF_INET, NULL, NULL, &a);
	tx = xk_test_udp(AF_INET, NULL, NULL, &txa);
	xk_test_send_ok(tx, &a, 8, 0);
	xk_test_send_ok(tx, &a, 8, 0);
	xk_test_await_nread(rx, 16);
	memset(&msg, 0, sizeof(msg));
	memset(&from, 0, sizeof(from));
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_name = &from;
	msg.msg_namelen = sizeof(from);
	assert_int_equal(sock_receive(rx, &msg, MSG_DONTWAIT, &n), 0);
	assert_int_equal(n, 8);
	assert_int_equal(msg.msg_namelen, sizeof(from));
	assert_same_addr(&from, &txa);
	/* At most msg_namelen bytes are written. */
	memset(&t, 0xaa, sizeof(t));
	msg.msg_name = &t;
	msg.msg_namelen = 4;
	assert_int_equal(sock_receive(rx, &msg, MSG_DONTWAIT, &n), 0);
	assert_int_equal(msg.msg_namelen, 4);
	assert_memory_equal(&t, &txa, 4);
	assert_int_equal(((uint8_t *)&t)[4], 0xaa);
	sock_close(tx);
	sock_close(rx);
}

static void
test_receive_peek_leaves_datagram(void **state)
{
	struct sockaddr_storage a;
	uint8_t buf[64];
	size_t n = 0;
	socket_t u;

	(void)state;
	u = xk_test_udp(AF_INET, NULL, NULL, &a);
	xk_test_send_ok(u, &a, 33, 4);
	xk_test_await_nread(u, 33);
	assert_int_equal(xk_test_recv(u, buf, sizeof(buf), MSG_PEEK, &n), 0);
	assert_int_equal(n, 33);
	xk_test_check_pattern(buf, 33, 4);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(xk_test_recv(u, buf, sizeof(buf), MSG_DONTWAIT, &n),
	    0);
	assert_int_equal(n, 33);
	xk_test_check_pattern(buf, 33, 4);
	assert_int_equal(xk_test_recv(u, buf, sizeof(buf), MSG_DONTWAIT, &n),
	    EWOULDBLOCK);
	sock_close(u);
}

static void
test_receive_scatter_and_stream_partial(void **state)
{
	struct msghdr msg;
	struct iovec iov[3];
	uint8_t a[30], b[50], c2[200];
	size_t n = 0;
	socket_t c, s;

	(void)state;
	xk_test_tcp_pair(AF_INET, &c, &s);
	xk_test_send_ok(c, NULL, 150, 0);
	xk_test_await_nread(s, 150);
	memset(&msg, 0, sizeof(msg));
	iov[0].iov_base = a;
	iov[0].iov_len = sizeof(a);
	iov[1].iov_base = b;
	iov[1].iov_len = sizeof(b);
	msg.msg_iov = iov;
	msg.msg_iovlen = 2;
	assert_int_equal(sock_receive(s, &msg, 0, &n), 0);
	assert_int_equal(n, 80);
	xk_test_check_pattern(a, 30, 0);
	xk_test_check_pattern(b, 50, 30);
	assert_int_equal(xk_test_recv(s, c2, sizeof(c2), 0, &n), 0);
	assert_int_equal(n, 70);
	xk_test_check_pattern(c2, 70, 80);
	sock_close(c);
	sock_close(s);
}

struct late_sender {
	socket_t	rx;	/* wait until a thread blocks on it */
	socket_t	tx;
	errno_t		error;
};

static void *
late_sender_thread(void *arg)
{
	struct late_sender *ls = arg;
	int64_t deadline = xk_test_now_us() + (int64_t)XK_TEST_WAIT_MS * 1000;

	while (!xk_test_blocked(ls->rx) && xk_test_now_us() < deadline) {
		xk_test_sleep_ms(1);
	}
	ls->error = xk_test_send(ls->tx, NULL, 100, 100);
	return (NULL);
}

/* MSG_WAITALL collects data that comes in two pieces. */
static void
test_receive_waitall_collects_pieces(void **state)
{
	struct late_sender ls;
	uint8_t buf[200];
	size_t n = 0;
	pthread_t th;
	socket_t c, s;

	(void)state;
	xk_test_tcp_pair(AF_INET, &c, &s);
	xk_test_send_ok(c, NULL, 100, 0);
	xk_test_await_nread(s, 100);
	ls.rx = s;
	ls.tx = c;
	ls.error = -1;
	assert_int_equal(pthread_create(&th, NULL, late_sender_thread, &ls),
	    0);
	xk_test_rcvtimeo(s, SAFETY_MS);
	assert_int_equal(xk_test_recv(s, buf, sizeof(buf), MSG_WAITALL, &n),
	    0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(ls.error, 0);
	assert_int_equal(n, 200);
	xk_test_check_pattern(buf, 200, 0);
	sock_close(c);
	sock_close(s);
}

/* After the peer shuts down for writing: 0 bytes, success, every time. */
static void
test_receive_eof_after_peer_shutdown(void **state)
{
	uint8_t buf[16];
	size_t n = 7;
	socket_t c, s;

	(void)state;
	xk_test_tcp_pair(AF_INET, &c, &s);
	xk_test_send_ok(c, NULL, 5, 0);
	assert_int_equal(sock_shutdown(c, SHUT_WR), 0);
	xk_test_rcvtimeo(s, SAFETY_MS);
	assert_int_equal(xk_test_recv(s, buf, sizeof(buf), MSG_WAITALL, &n),
	    0);
	assert_int_equal(n, 5);
	n = 7;
	assert_int_equal(xk_test_recv(s, buf, sizeof(buf), 0, &n), 0);
	assert_int_equal(n, 0);
	n = 7;
	assert_int_equal(xk_test_recv(s, buf, sizeof(buf), MSG_DONTWAIT, &n),
	    0);
	assert_int_equal(n, 0);
	/* The other direction still works. */
	xk_test_send_ok(s, NULL, 9, 0);
	recv_stream_expect(c, 9, 0);
	sock_close(c);
	sock_close(s);
}

/* Control messages come in the Linux layout; truncation: MSG_CTRUNC. */
static void
test_receive_control_messages(void **state)
{
	struct sockaddr_storage a;
	struct msghdr msg;
	struct cmsghdr *cm;
	struct in_pktinfo pi;
	struct iovec iov;
	uint8_t buf[16];
	union {
		struct cmsghdr	align;
		char		b[256];
	} ctl;
	size_t n = 0;
	socket_t u;

	(void)state;
	u = xk_test_udp(AF_INET, NULL, NULL, &a);
	setopt_int(u, IPPROTO_IP, IP_PKTINFO, 1);
	xk_test_send_ok(u, &a, 6, 0);
	xk_test_send_ok(u, &a, 6, 0);
	xk_test_await_nread(u, 12);
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.b;
	msg.msg_controllen = sizeof(ctl.b);
	assert_int_equal(sock_receive(u, &msg, MSG_DONTWAIT, &n), 0);
	assert_int_equal(n, 6);
	assert_int_equal(msg.msg_flags & MSG_CTRUNC, 0);
	assert_int_equal(msg.msg_controllen, CMSG_SPACE(sizeof(pi)));
	cm = CMSG_FIRSTHDR(&msg);
	assert_non_null(cm);
	assert_int_equal(cm->cmsg_level, IPPROTO_IP);
	assert_int_equal(cm->cmsg_type, IP_PKTINFO);
	assert_int_equal(cm->cmsg_len, CMSG_LEN(sizeof(pi)));
	memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
	assert_int_equal(pi.ipi_addr.s_addr, htonl(INADDR_LOOPBACK));
	assert_null(CMSG_NXTHDR(&msg, cm));
	/* Too little room: MSG_CTRUNC, and no more than given is written. */
	memset(ctl.b, 0xaa, sizeof(ctl.b));
	msg.msg_controllen = sizeof(struct cmsghdr) + 2;
	msg.msg_flags = 0;
	assert_int_equal(sock_receive(u, &msg, MSG_DONTWAIT, &n), 0);
	assert_int_equal(n, 6);
	assert_int_equal(msg.msg_flags & MSG_CTRUNC, MSG_CTRUNC);
	assert_int_equal(msg.msg_controllen, sizeof(struct cmsghdr) + 2);
	assert_int_equal((uint8_t)ctl.b[sizeof(struct cmsghdr) + 2], 0xaa);
	sock_close(u);
}

static void *
receive_thread(void *arg)
{
	struct blocked_call *b = arg;
	uint8_t buf[16];

	b->len = 99;
	b->error = xk_test_recv(b->so, buf, sizeof(buf), 0, &b->len);
	return (NULL);
}

/* spec 1.7: a blocked receive ends with EBADF when the socket closes. */
static void
test_receive_blocked_then_closed_is_ebadf(void **state)
{
	struct blocked_call b = { 0 };
	pthread_t th;

	(void)state;
	b.so = xk_test_udp(AF_INET, NULL, NULL, NULL);
	assert_int_equal(pthread_create(&th, NULL, receive_thread, &b), 0);
	xk_test_await_blocked(b.so);
	sock_close(b.so);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(b.error, EBADF);
	assert_int_equal(b.len, 0);
}

/* sock_receivembuf */

static void
test_receivembuf_bad_args_are_einval(void **state)
{
	struct msghdr msg;
	struct iovec iov;
	uint8_t buf[8];
	mbuf_t m = (mbuf_t)(void *)&sentinel_obj;
	size_t len;
	socket_t u;

	(void)state;
	u = xk_test_udp(AF_INET, NULL, NULL, NULL);
	len = 100;
	assert_int_equal(sock_receivembuf(u, NULL, NULL, MSG_DONTWAIT, &len),
	    EINVAL);
	assert_int_equal(len, 0);
	assert_int_equal(sock_receivembuf(u, NULL, &m, MSG_DONTWAIT, NULL),
	    EINVAL);
	assert_null(m);
	len = 0;
	assert_int_equal(sock_receivembuf(u, NULL, &m, MSG_DONTWAIT, &len),
	    EINVAL);
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	len = 100;
	assert_int_equal(sock_receivembuf(u, &msg, &m, MSG_DONTWAIT, &len),
	    EINVAL);
	assert_int_equal(len, 0);
	msg.msg_iov = NULL;		/* iovlen alone is refused too */
	len = 100;
	assert_int_equal(sock_receivembuf(u, &msg, &m, MSG_DONTWAIT, &len),
	    EINVAL);
	len = 100;
	assert_int_equal(sock_receivembuf(NULL, NULL, &m, MSG_DONTWAIT, &len),
	    EINVAL);
	assert_int_equal(len, 0);
	assert_null(m);
	sock_close(u);
}

static void
test_receivembuf_dontwait_empty(void **state)
{
	mbuf_t m = (mbuf_t)(void *)&sentinel_obj;
	size_t len = 1000;
	socket_t u;

	(void)state;
	u = xk_test_udp(AF_INET, NULL, NULL, NULL);
	assert_int_equal(sock_receivembuf(u, NULL, &m, MSG_DONTWAIT, &len),
	    EWOULDBLOCK);
	assert_null(m);
	assert_int_equal(len, 0);
	sock_close(u);
}

/* A datagram comes back as a chain of data mbufs, with its source. */
static void
test_receivembuf_returns_datagram_chain(void **state)
{
	struct sockaddr_storage a, txa, from;
	struct msghdr msg;
	mbuf_t m = NULL;
	size_t len;
	socket_t rx, tx;

	(void)state;
	rx = xk_test_udp(AF_INET, NULL, NULL, &a);
	tx = xk_test_udp(AF_INET, NULL, NULL, &txa);
	xk_test_send_ok(tx, &a, 3000, 0);
	xk_test_send_ok(tx, &a, 1, 9);
	xk_test_await_nread(rx, 3001);
	len = 1000000000;
	assert_int_equal(sock_receivembuf(rx, NULL, &m, MSG_DONTWAIT, &len),
	    0);
	assert_non_null(m);
	assert_int_equal(len, 3000);
	assert_int_equal(xk_chain_len(m), 3000);
	for (mbuf_t n = m; n != NULL; n = mbuf_next(n)) {
		assert_int_equal(mbuf_type(n), MBUF_TYPE_DATA);
	}
	if (mbuf_flags(m) & MBUF_PKTHDR) {
		assert_int_equal(mbuf_pkthdr_len(m), 3000);
	}
	xk_chain_check(m, 0, 3000);
	mbuf_freem(m);
	m = NULL;
	memset(&msg, 0, sizeof(msg));
	memset(&from, 0, sizeof(from));
	msg.msg_name = &from;
	msg.msg_namelen = sizeof(from);
	len = 100;
	assert_int_equal(sock_receivembuf(rx, &msg, &m, MSG_DONTWAIT, &len),
	    0);
	assert_int_equal(len, 1);
	assert_int_equal(xk_chain_len(m), 1);
	xk_chain_check_at(m, 0, 1, 9);
	assert_same_addr(&from, &txa);
	assert_int_equal(msg.msg_namelen, sizeof(from));
	assert_int_equal(msg.msg_flags, MSG_DONTWAIT);
	mbuf_freem(m);
	sock_close(tx);
	sock_close(rx);
}

/* *recvlen below the datagram: a truncated chain and MSG_TRUNC. */
static void
test_receivembuf_truncates(void **state)
{
	struct sockaddr_storage a;
	struct msghdr msg;
	mbuf_t m = NULL;
	size_t len = 400;
	socket_t u;

	(void)state;
	u = xk_test_udp(AF_INET, NULL, NULL, &a);
	xk_test_send_ok(u, &a, 1000, 0);
	xk_test_await_nread(u, 1000);
	memset(&msg, 0, sizeof(msg));
	assert_int_equal(sock_receivembuf(u, &msg, &m, 0, &len), 0);
	assert_int_equal(len, 400);
	assert_int_equal(xk_chain_len(m), 400);
	if (mbuf_flags(m) & MBUF_PKTHDR) {
		assert_int_equal(mbuf_pkthdr_len(m), 400);
	}
	xk_chain_check(m, 0, 400);
	assert_int_equal(msg.msg_flags, MSG_TRUNC);
	mbuf_freem(m);
	m = NULL;
	len = 1000;
	assert_int_equal(sock_receivembuf(u, NULL, &m, MSG_DONTWAIT, &len),
	    EWOULDBLOCK);
	sock_close(u);
}

static void
test_receivembuf_stream(void **state)
{
	mbuf_t m = NULL;
	size_t len;
	socket_t c, s;

	(void)state;
	xk_test_tcp_pair(AF_INET, &c, &s);
	xk_test_send_ok(c, NULL, 300, 0);
	xk_test_await_nread(s, 300);
	len = 100;
	assert_int_equal(sock_receivembuf(s, NULL, &m, 0, &len), 0);
	assert_int_equal(len, 100);
	assert_int_equal(xk_chain_len(m), 100);
	xk_chain_check(m, 0, 100);
	mbuf_freem(m);
	m = NULL;
	len = 1000000000;
	assert_int_equal(sock_receivembuf(s, NULL, &m, MSG_DONTWAIT, &len),
	    0);
	assert_int_equal(len, 200);
	assert_int_equal(xk_chain_len(m), 200);
	xk_chain_check_at(m, 0, 200, 100);
	mbuf_freem(m);
	sock_close(c);
	sock_close(s);
}

/*
 * As on XNU, a stream chain starts with a packet header whose length is
 * what the call returned: RPC code reads the record length there.  So
 * for a peek, a MSG_WAITALL receive gathered from several reads, and the
 * rest of a buffer taken whole.
 */
static void
test_receivembuf_stream_pkthdr(void **state)
{
	mbuf_t m = NULL;
	size_t len;
	socket_t c, s;

	(void)state;
	xk_test_tcp_pair(AF_INET6, &c, &s);
	xk_test_send_ok(c, NULL, 500, 0);
	xk_test_await_nread(s, 500);
	len = 120;
	assert_int_equal(sock_receivembuf(s, NULL, &m, MSG_PEEK, &len), 0);
	assert_true(mbuf_flags(m) & MBUF_PKTHDR);
	assert_int_equal(mbuf_pkthdr_len(m), 120);
	mbuf_freem(m);
	len = 120;
	assert_int_equal(sock_receivembuf(s, NULL, &m, 0, &len), 0);
	assert_true(mbuf_flags(m) & MBUF_PKTHDR);
	assert_int_equal(mbuf_pkthdr_len(m), 120);
	assert_int_equal(xk_chain_len(m), 120);
	xk_chain_check(m, 0, 120);
	mbuf_freem(m);
	/* 380 queued, 600 wanted: the second half comes in a later read. */
	len = 600;
	xk_test_send_ok(c, NULL, 220, 500);
	assert_int_equal(sock_receivembuf(s, NULL, &m, MSG_WAITALL, &len), 0);
	assert_int_equal(len, 600);
	assert_true(mbuf_flags(m) & MBUF_PKTHDR);
	assert_int_equal(mbuf_pkthdr_len(m), 600);
	assert_int_equal(xk_chain_len(m), 600);
	xk_chain_check_at(m, 0, 600, 120);
	mbuf_freem(m);
	xk_test_send_ok(c, NULL, 70, 720);
	xk_test_await_nread(s, 70);
	len = 1000000000;
	assert_int_equal(sock_receivembuf(s, NULL, &m, MSG_DONTWAIT, &len),
	    0);
	assert_int_equal(len, 70);
	assert_int_equal(mbuf_pkthdr_len(m), 70);
	mbuf_freem(m);
	sock_close(c);
	sock_close(s);
}

/* sock_send */

static void
test_send_bad_args_are_einval(void **state)
{
	struct sockaddr_storage a;
	struct msghdr msg;
	struct iovec iov[2];
	uint8_t buf[8] = { 0 };
	size_t n;
	socket_t u;

	(void)state;
	u = xk_test_udp(AF_INET, NULL, NULL, &a);
	n = 5;
	assert_int_equal(sock_send(u, NULL, 0, &n), EINVAL);
	assert_int_equal(n, 0);
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &a;
	msg.msg_namelen = sizeof(a);
	iov[0].iov_base = buf;
	iov[0].iov_len = sizeof(buf);
	msg.msg_iov = NULL;
	msg.msg_iovlen = 1;
	n = 5;
	assert_int_equal(sock_send(u, &msg, 0, &n), EINVAL);
	assert_int_equal(n, 0);
	msg.msg_iov = iov;
	msg.msg_iovlen = 0;
	assert_int_equal(sock_send(u, &msg, 0, &n), EINVAL);
	msg.msg_iovlen = 1;
	n = 5;
	assert_int_equal(sock_send(NULL, &msg, 0, &n), EINVAL);
	assert_int_equal(n, 0);
	/* A total over INT_MAX. */
	iov[1].iov_base = buf;
	iov[1].iov_len = (size_t)INT_MAX;
	msg.msg_iovlen = 2;
	assert_int_equal(sock_send(u, &msg, 0, &n), EINVAL);
	/* Nothing was sent. */
	assert_int_equal(xk_test_recv(u, buf, sizeof(buf), MSG_DONTWAIT, &n),
	    EWOULDBLOCK);
	sock_close(u);
}

static void
test_send_short_control_is_einval(void **state)
{
	struct sockaddr_storage a;
	struct msghdr msg;
	struct iovec iov;
	uint8_t buf[8] = { 0 }, ctl[64];
	size_t n = 5;
	socket_t u;

	(void)state;
	u = xk_test_udp(AF_INET, NULL, NULL, &a);
	memset(&msg, 0, sizeof(msg));
	memset(ctl, 0, sizeof(ctl));
	msg.msg_name = &a;
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl;
	msg.msg_controllen = sizeof(struct cmsghdr) - 1;
	assert_int_equal(sock_send(u, &msg, 0, &n), EINVAL);
	assert_int_equal(n, 0);
	msg.msg_controllen = mbuf_get_mlen() + 1;
	assert_int_equal(sock_send(u, &msg, 0, &n), EINVAL);
	sock_close(u);
}

static void
test_send_unconnected_errors(void **state)
{
	struct sockaddr_storage a;
	socket_t u, t;

	(void)state;
	u = new_sock(PF_INET, SOCK_DGRAM, IPPROTO_UDP);
	t = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	assert_int_equal(xk_test_send(u, NULL, 10, 0), EDESTADDRREQ);
	assert_int_equal(xk_test_send(t, NULL, 10, 0), ENOTCONN);
	memset(&a, 0, sizeof(a));
	a.ss_family = AF_APPLETALK;
	assert_int_equal(xk_test_send(u, &a, 10, 0), EAFNOSUPPORT);
	sock_close(u);
	sock_close(t);
}

/* A datagram over SO_SNDBUF (9216 by default for UDP) is EMSGSIZE. */
static void
test_send_datagram_over_sndbuf_is_emsgsize(void **state)
{
	struct sockaddr_storage a;
	socket_t rx, tx;

	(void)state;
	rx = xk_test_udp(AF_INET, NULL, NULL, &a);
	setopt_int(rx, SOL_SOCKET, SO_RCVBUF, 65536);
	tx = xk_test_udp(AF_INET, NULL, NULL, NULL);
	assert_int_equal(getopt_int(tx, SOL_SOCKET, SO_SNDBUF), 9216);
	assert_int_equal(xk_test_send(tx, &a, 9217, 0), EMSGSIZE);
	xk_test_send_ok(tx, &a, 9216, 0);
	recv_expect(rx, 9216, 0);
	setopt_int(tx, SOL_SOCKET, SO_SNDBUF, 1000);
	assert_int_equal(xk_test_send(tx, &a, 1001, 0), EMSGSIZE);
	xk_test_send_ok(tx, &a, 1000, 0);
	recv_expect(rx, 1000, 0);
	sock_close(tx);
	sock_close(rx);
}

static void
test_send_after_shutdown_wr_is_epipe(void **state)
{
	struct sockaddr_storage a;
	socket_t c, s, rx, u;

	(void)state;
	xk_test_tcp_pair(AF_INET, &c, &s);
	assert_int_equal(sock_shutdown(c, SHUT_WR), 0);
	assert_int_equal(xk_test_send(c, NULL, 10, 0), EPIPE);
	sock_close(c);
	sock_close(s);
	rx = xk_test_udp(AF_INET, NULL, NULL, &a);
	u = new_sock(PF_INET, SOCK_DGRAM, IPPROTO_UDP);
	assert_int_equal(sock_connect(u, CSA(&a), 0), 0);
	assert_int_equal(sock_shutdown(u, SHUT_WR), 0);
	assert_int_equal(xk_test_send(u, NULL, 10, 0), EPIPE);
	sock_close(u);
	sock_close(rx);
}

/* Several iovecs make one datagram; sentlen counts them all. */
static void
test_send_gathers_iovecs(void **state)
{
	struct sockaddr_storage a;
	struct msghdr msg;
	struct iovec iov[3];
	uint8_t buf[100];
	size_t n = 0;
	socket_t u;

	(void)state;
	u = xk_test_udp(AF_INET, NULL, NULL, &a);
	xk_pattern_fill(buf, 0, sizeof(buf));
	memset(&msg, 0, sizeof(msg));
	iov[0].iov_base = buf;
	iov[0].iov_len = 10;
	iov[1].iov_base = buf + 10;
	iov[1].iov_len = 0;
	iov[2].iov_base = buf + 10;
	iov[2].iov_len = 90;
	msg.msg_iov = iov;
	msg.msg_iovlen = 3;
	msg.msg_name = &a;
	assert_int_equal(sock_send(u, &msg, 0, &n), 0);
	assert_int_equal(n, 100);
	recv_expect(u, 100, 0);
	assert_int_equal(sock_send(u, &msg, 0, NULL), 0);
	recv_expect(u, 100, 0);
	sock_close(u);
}

/*
 * Fills the stream from @c to @s (which never reads) with pattern bytes
 * sent with MSG_NBIO until nothing moves any more: a send fails
 * EWOULDBLOCK, the loop handles every event pending then (two loop
 * barriers), again, until the first send after that fails.  Returns the
 * bytes acknowledged.
 */
static size_t
fill_stream(socket_t c, socket_t s)
{
	uint8_t buf[1000];
	size_t total = 0, n;
	errno_t error = 0;
	int i, round;

	setopt_int(c, SOL_SOCKET, SO_SNDBUF, 4096);
	setopt_int(s, SOL_SOCKET, SO_RCVBUF, 4096);
	for (round = 0; round < 200; round++) {
		int sends = 0;

		for (i = 0; i < 20000; i++) {
			struct iovec iov = { buf, sizeof(buf) };
			struct msghdr msg;

			/* Keep the pattern continuous over partial sends. */
			xk_pattern_fill(buf, total, sizeof(buf));
			memset(&msg, 0, sizeof(msg));
			msg.msg_iov = &iov;
			msg.msg_iovlen = 1;
			n = 12345;
			error = sock_send(c, &msg, MSG_NBIO, &n);
			if (error != 0) {
				assert_int_equal(n, 0);
				break;
			}
			assert_true(n > 0 && n <= sizeof(buf));
			sends++;
			total += n;
		}
		assert_int_equal(error, EWOULDBLOCK);
		if (sends == 0) {
			return (total);
		}
		/* Every event pending now handled: what could move, moved. */
		xk_test_loop_barrier();
		xk_test_loop_barrier();
	}
	fail_msg("the stream never filled up");
	return (0);
}

/*
 * A full send buffer: MSG_NBIO and FIONBIO give EWOULDBLOCK (or a
 * partial count) at once; MSG_DONTWAIT does not stop the wait, which
 * SO_SNDTIMEO ends with EWOULDBLOCK.  Every byte acknowledged arrives.
 */
static void
test_send_full_buffer_nbio_and_dontwait(void **state)
{
	struct timeval tv = { 0, 200000 };
	uint8_t buf[1000];
	size_t total, n, got;
	int64_t t0, waited;
	errno_t error = 0;
	socket_t c, s;
	int on = 1, i;

	(void)state;
	xk_test_tcp_pair(AF_INET, &c, &s);
	total = fill_stream(c, s);
	/*
	 * FIONBIO: EWOULDBLOCK without waiting (should the peer's window
	 * still open a little, a send may go through: count it, retry).
	 */
	assert_int_equal(sock_ioctl(c, FIONBIO, &on), 0);
	for (i = 0; i < 50; i++) {
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr msg;

		xk_pattern_fill(buf, total, sizeof(buf));
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		n = 12345;
		if ((error = sock_send(c, &msg, 0, &n)) != 0) {
			assert_int_equal(n, 0);
			break;
		}
		total += n;
	}
	assert_int_equal(error, EWOULDBLOCK);
	on = 0;
	assert_int_equal(sock_ioctl(c, FIONBIO, &on), 0);
	/*
	 * MSG_DONTWAIT waits for space; SO_SNDTIMEO ends the wait with
	 * EWOULDBLOCK.  Each EWOULDBLOCK must come after such a wait.
	 */
	assert_int_equal(sock_setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv,
	    sizeof(tv)), 0);
	for (i = 0; i < 50; i++) {
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr msg;

		xk_pattern_fill(buf, total, sizeof(buf));
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		t0 = xk_test_now_us();
		n = 12345;
		error = sock_send(c, &msg, MSG_DONTWAIT, &n);
		waited = xk_test_now_us() - t0;
		if (error == 0) {
			total += n;	/* space came: try again */
			continue;
		}
		assert_int_equal(error, EWOULDBLOCK);
		assert_int_equal(n, 0);
		/* It waited, at least a good part of the timeout. */
		assert_true(waited >= 100000);
		break;
	}
	assert_int_equal(error, EWOULDBLOCK);
	/* Everything acknowledged arrives, in order. */
	{
		uint8_t *rb = malloc(total);

		assert_non_null(rb);
		xk_test_rcvtimeo(s, SAFETY_MS);
		error = xk_test_recv(s, rb, total, MSG_WAITALL, &got);
		if (error != 0 || got != total) {
			free(rb);
			fail_msg("received %zu of %zu bytes (error %d)", got,
			    total, error);
		}
		for (size_t k = 0; k < total; k++) {
			if (rb[k] != xk_pattern(k)) {
				free(rb);
				fail_msg("byte %zu wrong", k);
			}
		}
		free(rb);
	}
	sock_close(c);
	sock_close(s);
}

static void *
send_thread(void *arg)
{
	struct blocked_call *b = arg;

	b->len = 99;
	b->error = xk_test_send(b->so, NULL, 1000, 0);
	return (NULL);
}

/* A send waiting for space ends with EBADF when the socket closes. */
static void
test_send_blocked_then_closed_is_ebadf(void **state)
{
	struct blocked_call b = { 0 };
	pthread_t th;
	socket_t s;

	(void)state;
	xk_test_tcp_pair(AF_INET, &b.so, &s);
	(void)fill_stream(b.so, s);
	assert_int_equal(pthread_create(&th, NULL, send_thread, &b), 0);
	xk_test_await_blocked(b.so);
	sock_close(b.so);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(b.error, EBADF);
	sock_close(s);
}

/* Out-of-band data is not carried (docs/deviations.md). */
static void
test_oob_is_refused(void **state)
{
	struct sockaddr_storage a;
	uint8_t buf[8];
	size_t n = 3;
	socket_t u, c, s;

	(void)state;
	u = xk_test_udp(AF_INET, NULL, NULL, &a);
	assert_int_equal(xk_test_recv(u, buf, sizeof(buf), MSG_OOB, &n),
	    EOPNOTSUPP);
	assert_int_equal(n, 0);
	{
		struct iovec iov = { buf, 1 };
		struct msghdr msg;

		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_name = &a;
		n = 3;
		assert_int_equal(sock_send(u, &msg, MSG_OOB, &n), EOPNOTSUPP);
		assert_int_equal(n, 0);
	}
	xk_test_tcp_pair(AF_INET, &c, &s);
	assert_int_equal(xk_test_recv(s, buf, sizeof(buf), MSG_OOB, &n),
	    EINVAL);
	sock_close(c);
	sock_close(s);
	sock_close(u);
}

/* MSG_EOF: a stream's send side is shut down once the data is queued. */
static void
test_send_msg_eof_ends_stream(void **state)
{
	struct xk_test_events ev = { 0 };
	struct sockaddr_storage a;
	struct msghdr msg;
	struct iovec iov;
	uint8_t buf[16];
	size_t n = 0;
	socket_t c, s, u;

	(void)state;
	xk_test_tcp_pair(AF_INET, &c, &s);
	assert_int_equal(sock_catchevents(c, xk_test_event_cb, &ev,
	    SO_FILT_HINT_CANTSENDMORE), 0);
	xk_pattern_fill(buf, 0, 10);
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = 10;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	assert_int_equal(sock_send(c, &msg, MSG_EOF, &n), 0);
	assert_int_equal(n, 10);
	recv_stream_expect(s, 10, 0);
	/* Then the end of the stream. */
	xk_test_rcvtimeo(s, SAFETY_MS);
	n = 5;
	assert_int_equal(xk_test_recv(s, buf, sizeof(buf), 0, &n), 0);
	assert_int_equal(n, 0);
	xk_test_await(&ev.calls, 1, "CANTSENDMORE event");
	assert_int_equal(xk_test_send(c, NULL, 1, 0), EPIPE);
	sock_close(c);
	sock_close(s);

	/* Other protocols ignore the flag. */
	u = xk_test_udp(AF_INET, NULL, NULL, &a);
	msg.msg_name = &a;
	assert_int_equal(sock_send(u, &msg, MSG_EOF, &n), 0);
	recv_expect(u, 10, 0);
	xk_test_send_ok(u, &a, 3, 0);
	recv_expect(u, 3, 0);
	sock_close(u);
}

/* sock_sendmbuf */

/* The chain is consumed on every error path. */
static void
test_sendmbuf_consumes_chain_on_errors(void **state)
{
	struct sockaddr_storage a, bad;
	struct msghdr msg;
	struct iovec iov;
	uint8_t buf[8], ctl[64];
	struct xk_mb_live before;
	size_t n;
	socket_t u, uc, t;
	mbuf_t m;

	(void)state;
	u = xk_test_udp(AF_INET, NULL, NULL, &a);
	uc = new_sock(PF_INET, SOCK_DGRAM, IPPROTO_UDP);
	t = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	before = live_now();
	for (int can_wait = 0; can_wait < 2; can_wait++) {
		errno_t (*sendfn)(socket_t, const struct msghdr *, mbuf_t, int,
		    size_t *) = can_wait ? sock_sendmbuf_can_wait :
		    sock_sendmbuf;

		memset(&msg, 0, sizeof(msg));
		msg.msg_name = &a;
		n = 5;
		assert_int_equal(sendfn(u, &msg, NULL, 0, &n), EINVAL);
		assert_int_equal(n, 0);
		n = 5;
		assert_int_equal(sendfn(NULL, &msg, XK_CHAIN(0, 100), 0, &n),
		    EINVAL);
		assert_int_equal(n, 0);
		assert_live_equal(live_now(), before);
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		assert_int_equal(sendfn(u, &msg, XK_CHAIN(0, 100), 0, &n),
		    EINVAL);
		assert_live_equal(live_now(), before);
		msg.msg_iov = NULL;
		msg.msg_iovlen = 0;
		msg.msg_control = ctl;
		msg.msg_controllen = 4;
		assert_int_equal(sendfn(u, &msg, XK_CHAIN(0, 100), 0, &n),
		    EINVAL);
		assert_live_equal(live_now(), before);
		msg.msg_control = NULL;
		msg.msg_controllen = 0;
		assert_int_equal(sendfn(u, &msg, XK_CHAIN(XK_CHAIN_NOPKTHDR,
		    100, 20), 0, &n), EINVAL);
		assert_live_equal(live_now(), before);
		/* Errors found later, by the socket layer. */
		m = XK_CHAIN(XK_CHAIN_CLUSTERS, 4096, 4096, 1025);
		n = 5;
		assert_int_equal(sendfn(u, &msg, m, 0, &n), EMSGSIZE);
		assert_int_equal(n, 0);
		assert_live_equal(live_now(), before);
		assert_int_equal(sendfn(uc, NULL, XK_CHAIN(0, 10), 0, &n),
		    EDESTADDRREQ);
		assert_int_equal(sendfn(t, NULL, XK_CHAIN(0, 10), 0, &n),
		    ENOTCONN);
		memset(&bad, 0, sizeof(bad));
		bad.ss_family = AF_APPLETALK;
		msg.msg_name = &bad;
		assert_int_equal(sendfn(u, &msg, XK_CHAIN(0, 10), 0, &n),
		    EAFNOSUPPORT);
		assert_live_equal(live_now(), before);
	}
	assert_int_equal(xk_test_recv(u, buf, sizeof(buf), MSG_DONTWAIT, &n),
	    EWOULDBLOCK);
	sock_close(t);
	sock_close(uc);
	sock_close(u);
}

static void
test_sendmbuf_after_shutdown_consumes_chain(void **state)
{
	struct xk_mb_live before;
	size_t n = 5;
	socket_t c, s;

	(void)state;
	xk_test_tcp_pair(AF_INET, &c, &s);
	assert_int_equal(sock_shutdown(c, SHUT_WR), 0);
	before = live_now();
	assert_int_equal(sock_sendmbuf(c, NULL, XK_CHAIN(0, 100), 0, &n),
	    EPIPE);
	assert_int_equal(n, 0);
	assert_live_equal(live_now(), before);
	sock_close(c);
	sock_close(s);
}

/* sentlen is the packet-header length; the data arrives intact. */
static void
test_sendmbuf_datagram_sentlen(void **state)
{
	struct sockaddr_storage a;
	struct msghdr msg;
	size_t n = 0;
	socket_t rx, tx;

	(void)state;
	rx = xk_test_udp(AF_INET, NULL, NULL, &a);
	tx = xk_test_udp(AF_INET, NULL, NULL, NULL);
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &a;
	assert_int_equal(sock_sendmbuf(tx, &msg, XK_CHAIN(0, 50, 2000, 10), 0,
	    &n), 0);
	assert_int_equal(n, 2060);
	recv_expect(rx, 2060, 0);
	assert_int_equal(sock_connect(tx, CSA(&a), 0), 0);
	assert_int_equal(sock_sendmbuf(tx, NULL, XK_CHAIN(0, 7), 0, NULL), 0);
	recv_expect(rx, 7, 0);
	sock_close(tx);
	sock_close(rx);
}

/* Atomic even on TCP: a chain over SO_SNDBUF is EMSGSIZE. */
static void
test_sendmbuf_stream_is_atomic(void **state)
{
	struct xk_mb_live before;
	size_t n = 5;
	socket_t c, s;

	(void)state;
	xk_test_tcp_pair(AF_INET, &c, &s);
	setopt_int(c, SOL_SOCKET, SO_SNDBUF, 4096);
	before = live_now();
	assert_int_equal(sock_sendmbuf(c, NULL, XK_CHAIN(XK_CHAIN_CLUSTERS,
	    4096, 904), 0, &n), EMSGSIZE);
	assert_int_equal(n, 0);
	assert_live_equal(live_now(), before);
	assert_int_equal(sock_sendmbuf(c, NULL, XK_CHAIN(0, 3000, 1000), 0,
	    &n), 0);
	assert_int_equal(n, 4000);
	recv_stream_expect(s, 4000, 0);
	sock_close(c);
	sock_close(s);
}

static void
test_sendmbuf_can_wait_null_msg(void **state)
{
	size_t n = 0;
	socket_t c, s;

	(void)state;
	xk_test_tcp_pair(AF_INET, &c, &s);
	assert_int_equal(sock_sendmbuf_can_wait(c, NULL, XK_CHAIN(0, 64), 0,
	    &n), 0);
	assert_int_equal(n, 64);
	recv_stream_expect(s, 64, 0);
	sock_close(c);
	sock_close(s);
}

/* Not atomic: on TCP a chain over SO_SNDBUF goes out piece by piece. */
static void
test_sendmbuf_can_wait_large_stream(void **state)
{
	size_t n = 0;
	socket_t c, s;

	(void)state;
	xk_test_tcp_pair(AF_INET, &c, &s);
	setopt_int(c, SOL_SOCKET, SO_SNDBUF, 4096);
	assert_int_equal(sock_sendmbuf_can_wait(c, NULL,
	    XK_CHAIN(XK_CHAIN_CLUSTERS, 4096, 4096, 4096, 100), 0, &n), 0);
	assert_int_equal(n, 12388);
	recv_stream_expect(s, 12388, 0);
	sock_close(c);
	sock_close(s);
}

/* ...but a datagram is still all or nothing. */
static void
test_sendmbuf_can_wait_datagram_emsgsize(void **state)
{
	struct sockaddr_storage a;
	struct xk_mb_live before;
	struct msghdr msg;
	size_t n = 5;
	socket_t u;

	(void)state;
	u = xk_test_udp(AF_INET, NULL, NULL, &a);
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &a;
	before = live_now();
	assert_int_equal(sock_sendmbuf_can_wait(u, &msg,
	    XK_CHAIN(XK_CHAIN_CLUSTERS, 4096, 4096, 1025), 0, &n), EMSGSIZE);
	assert_int_equal(n, 0);
	assert_live_equal(live_now(), before);
	sock_close(u);
}

/* sock_shutdown */

static void
test_shutdown_bad_how_is_einval(void **state)
{
	socket_t c, s;

	(void)state;
	xk_test_tcp_pair(AF_INET, &c, &s);
	assert_int_equal(sock_shutdown(NULL, SHUT_RD), EINVAL);
	assert_int_equal(sock_shutdown(c, 3), EINVAL);
	assert_int_equal(sock_shutdown(c, -1), EINVAL);
	/* Nothing was shut down. */
	xk_test_send_ok(c, NULL, 4, 0);
	recv_stream_expect(s, 4, 0);
	sock_close(c);
	sock_close(s);
}

static void
test_shutdown_unconnected_is_enotconn(void **state)
{
	socket_t t, u, l;

	(void)state;
	t = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	u = xk_test_udp(AF_INET, NULL, NULL, NULL);
	l = xk_test_listener(AF_INET, 1, NULL);
	for (int how = SHUT_RD; how <= SHUT_RDWR; how++) {
		assert_int_equal(sock_shutdown(t, how), ENOTCONN);
		assert_int_equal(sock_shutdown(u, how), ENOTCONN);
		assert_int_equal(sock_shutdown(l, how), ENOTCONN);
	}
	sock_close(t);
	sock_close(u);
	sock_close(l);
}

/* SHUT_RD: CANTRCVMORE, receives see the end; a second SHUT_RD fails. */
static void
test_shutdown_rd_twice_is_enotconn(void **state)
{
	struct xk_test_events ev = { 0 };
	uint8_t buf[8];
	size_t n = 3;
	socket_t c, s;

	(void)state;
	xk_test_tcp_pair(AF_INET, &c, &s);
	assert_int_equal(sock_catchevents(c, xk_test_event_cb, &ev,
	    SO_FILT_HINT_EV), 0);
	assert_int_equal(sock_shutdown(c, SHUT_RD), 0);
	xk_test_await_bits(&ev.all, SO_FILT_HINT_CANTRCVMORE,
	    "CANTRCVMORE event");
	xk_test_rcvtimeo(c, SAFETY_MS);
	assert_int_equal(xk_test_recv(c, buf, sizeof(buf), 0, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(sock_shutdown(c, SHUT_RD), ENOTCONN);
	assert_int_equal(sock_shutdown(c, SHUT_RDWR), ENOTCONN);
	/* Sending still works. */
	xk_test_send_ok(c, NULL, 6, 0);
	recv_stream_expect(s, 6, 0);
	sock_close(c);
	sock_close(s);
}

static void
test_shutdown_wr_raises_cantsendmore(void **state)
{
	struct xk_test_events ev = { 0 };
	uint8_t buf[8];
	size_t n = 3;
	socket_t c, s;

	(void)state;
	xk_test_tcp_pair(AF_INET, &c, &s);
	assert_int_equal(sock_catchevents(c, xk_test_event_cb, &ev,
	    SO_FILT_HINT_EV), 0);
	assert_int_equal(sock_shutdown(c, SHUT_WR), 0);
	xk_test_await(&ev.calls, 1, "CANTSENDMORE event");
	assert_int_equal(atomic_load(&ev.first), SO_FILT_HINT_CANTSENDMORE);
	xk_test_rcvtimeo(s, SAFETY_MS);
	assert_int_equal(xk_test_recv(s, buf, sizeof(buf), 0, &n), 0);
	assert_int_equal(n, 0);
	sock_close(c);
	sock_close(s);
}

/* Predicates and small setters */

static void
test_setpriv(void **state)
{
	socket_t u;

	(void)state;
	u = new_sock(PF_INET, SOCK_DGRAM, IPPROTO_UDP);
	assert_int_equal(sock_setpriv(NULL, 1), EINVAL);
	assert_int_equal(sock_setpriv(u, 0), 0);
	assert_int_equal(sock_setpriv(u, 1), 0);
	sock_close(u);
}

static void
test_isconnected(void **state)
{
	struct sockaddr_storage a;
	socket_t c, s, u, rx;

	(void)state;
	assert_int_equal(sock_isconnected(NULL), 0);
	rx = xk_test_udp(AF_INET, NULL, NULL, &a);
	u = new_sock(PF_INET, SOCK_DGRAM, IPPROTO_UDP);
	assert_int_equal(sock_isconnected(u), 0);
	assert_int_equal(sock_connect(u, CSA(&a), 0), 0);
	assert_int_equal(sock_isconnected(u), 1);
	xk_test_tcp_pair(AF_INET6, &c, &s);
	assert_int_equal(sock_isconnected(c), 1);
	assert_int_equal(sock_isconnected(s), 1);
	sock_close(c);
	sock_close(s);
	sock_close(u);
	sock_close(rx);
}

static void
test_isnonblocking(void **state)
{
	int on = 1;
	socket_t u;

	(void)state;
	assert_int_equal(sock_isnonblocking(NULL), 0);
	u = new_sock(PF_INET, SOCK_DGRAM, IPPROTO_UDP);
	assert_int_equal(sock_isnonblocking(u), 0);
	assert_int_equal(sock_ioctl(u, FIONBIO, &on), 0);
	assert_int_equal(sock_isnonblocking(u), 1);
	sock_close(u);
}

static void
test_gettype_null(void **state)
{
	int type = -1;
	socket_t t;

	(void)state;
	assert_int_equal(sock_gettype(NULL, &type, &type, &type), EINVAL);
	t = new_sock(PF_INET6, SOCK_STREAM, 0);
	assert_int_equal(sock_gettype(t, NULL, &type, NULL), 0);
	assert_int_equal(type, SOCK_STREAM);
	assert_int_equal(sock_gettype(t, NULL, NULL, NULL), 0);
	sock_close(t);
}

static void
test_nointerrupt(void **state)
{
	struct sockaddr_storage a;
	socket_t u;

	(void)state;
	assert_int_equal(sock_nointerrupt(NULL, 1), EINVAL);
	u = xk_test_udp(AF_INET, NULL, NULL, &a);
	assert_int_equal(sock_nointerrupt(u, 1), 0);
	xk_test_send_ok(u, &a, 3, 0);
	recv_expect(u, 3, 0);
	assert_int_equal(sock_nointerrupt(u, 0), 0);
	sock_close(u);
}

static void
test_getlistener(void **state)
{
	socket_t c, s, u;

	(void)state;
	assert_null(sock_getlistener(NULL));
	u = new_sock(PF_INET, SOCK_DGRAM, IPPROTO_UDP);
	assert_null(sock_getlistener(u));
	xk_test_tcp_pair(AF_INET, &c, &s);
	assert_null(sock_getlistener(s));
	assert_null(sock_getlistener(c));
	sock_close(c);
	sock_close(s);
	sock_close(u);
}

static void
test_iskernel(void **state)
{
	socket_t c, s;

	(void)state;
	assert_int_equal(sock_iskernel(NULL), 0);
	xk_test_tcp_pair(AF_INET, &c, &s);
	assert_int_equal(sock_iskernel(c), 1);
	assert_int_equal(sock_iskernel(s), 1);
	sock_close(c);
	sock_close(s);
}

/* Upcall installation */

static void
test_setupcall_null_socket_and_clear(void **state)
{
	struct xk_test_upcall u = { 0 };
	struct sockaddr_storage a;
	socket_t so;

	(void)state;
	assert_int_equal(sock_setupcall(NULL, xk_test_upcall_cb, &u), EINVAL);
	so = xk_test_udp(AF_INET, NULL, NULL, &a);
	assert_int_equal(sock_setupcall(so, xk_test_upcall_cb, &u), 0);
	xk_test_send_ok(so, &a, 1, 0);
	xk_test_await(&u.calls, 1, "installed upcall");
	recv_expect(so, 1, 0);
	assert_int_equal(sock_setupcall(so, NULL, NULL), 0);
	xk_test_send_ok(so, &a, 2, 0);
	xk_test_await_nread(so, 2);
	xk_test_loop_barrier();
	assert_int_equal(atomic_load(&u.calls), 1);
	sock_close(so);
}

/*
 * sock_setupcalls installs exactly what it is given: the write upcall
 * fires on connect completion and on a write-side change, the read one on
 * data; NULL clears one side.
 */
static void
test_setupcalls_read_and_write(void **state)
{
	struct xk_test_upcall r = { 0 }, w = { 0 };
	struct sockaddr_storage la;
	socket_t l, c, s;
	int rb;

	(void)state;
	assert_int_equal(sock_setupcalls(NULL, xk_test_upcall_cb, &r, NULL,
	    NULL), EINVAL);
	l = xk_test_listener(AF_INET, 4, &la);
	c = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	assert_int_equal(sock_setupcalls(c, NULL, NULL, xk_test_upcall_cb, &w),
	    0);
	assert_int_equal(sock_connect(c, CSA(&la), MSG_DONTWAIT), EINPROGRESS);
	xk_test_await(&w.calls, 1, "write upcall on connect completion");
	s = xk_test_accept(l, 0, NULL, NULL);
	assert_int_equal(sock_setupcalls(c, xk_test_upcall_cb, &r, NULL, NULL),
	    0);
	xk_test_send_ok(s, NULL, 10, 0);
	xk_test_await(&r.calls, 1, "read upcall on data");
	rb = atomic_load(&r.calls);
	int wb = atomic_load(&w.calls);
	/* The write side is cleared: SHUT_WR calls nothing. */
	assert_int_equal(sock_shutdown(c, SHUT_WR), 0);
	xk_test_loop_barrier();
	assert_int_equal(atomic_load(&w.calls), wb);
	assert_int_equal(atomic_load(&r.calls), rb);
	sock_close(s);
	sock_close(c);
	sock_close(l);
}

static void
test_setupcalls_locked(void **state)
{
	struct xk_test_upcall r = { 0 }, w = { 0 };
	struct sockaddr_storage a;
	socket_t so;

	(void)state;
	sock_setupcalls_locked(NULL, xk_test_upcall_cb, &r, NULL, NULL, 1);
	so = xk_test_udp(AF_INET, NULL, NULL, &a);
	sock_setupcalls_locked(so, xk_test_upcall_cb, &r, xk_test_upcall_cb,
	    &w, 0);
	setopt_int(so, SOL_SOCKET, SO_SNDBUF, 5000);	/* write wakeup */
	xk_test_await(&w.calls, 1, "write upcall");
	xk_test_send_ok(so, &a, 3, 0);
	xk_test_await(&r.calls, 1, "read upcall");
	recv_expect(so, 3, 0);
	sock_setupcalls_locked(so, NULL, NULL, NULL, NULL, 1);
	int rb = atomic_load(&r.calls), wb = atomic_load(&w.calls);
	setopt_int(so, SOL_SOCKET, SO_SNDBUF, 6000);
	xk_test_send_ok(so, &a, 3, 0);
	xk_test_await_nread(so, 3);
	xk_test_loop_barrier();
	assert_int_equal(atomic_load(&r.calls), rb);
	assert_int_equal(atomic_load(&w.calls), wb);
	sock_close(so);
}

/*
 * The header: once sock_setupcalls() returns, no new call of the old
 * upcall starts.  Here the read wakeup is delivered together with an
 * event (peer FIN: CANTRCVMORE and a read wakeup); the upcalls are
 * removed while the event callback runs, before the read upcall starts.
 */
struct clear_race {
	atomic_int	ev_entered;
	atomic_int	go;
	atomic_int	cleared;
	atomic_int	rcalls;
	atomic_int	late;
};

static void
clear_race_ev(socket_t so, void *cookie, uint32_t event)
{
	struct clear_race *cr = cookie;
	int64_t deadline = xk_test_now_us() + (int64_t)XK_TEST_WAIT_MS * 1000;

	(void)so;
	(void)event;
	xk_test_upcall_check(MBUF_DONTWAIT);
	if (atomic_fetch_add(&cr->ev_entered, 1) != 0) {
		return;
	}
	while (!atomic_load(&cr->go) && xk_test_now_us() < deadline) {
		xk_test_sleep_ms(1);
	}
}

static void
clear_race_read(socket_t so, void *cookie, int waitf)
{
	struct clear_race *cr = cookie;

	(void)so;
	xk_test_upcall_check(waitf);
	if (atomic_load(&cr->cleared)) {
		atomic_fetch_add(&cr->late, 1);
	}
	atomic_fetch_add(&cr->rcalls, 1);
}

static void
test_setupcalls_clear_stops_pending_upcall(void **state)
{
	struct clear_race cr = { 0 };
	socket_t c, s;

	(void)state;
	xk_test_tcp_pair(AF_INET, &c, &s);
	assert_int_equal(sock_setupcalls(c, clear_race_read, &cr, NULL, NULL),
	    0);
	assert_int_equal(sock_catchevents(c, clear_race_ev, &cr,
	    SO_FILT_HINT_CANTRCVMORE), 0);
	assert_int_equal(sock_shutdown(s, SHUT_WR), 0);
	xk_test_await(&cr.ev_entered, 1, "event callback");
	assert_int_equal(sock_setupcalls(c, NULL, NULL, NULL, NULL), 0);
	atomic_store(&cr.cleared, 1);
	atomic_store(&cr.go, 1);
	xk_test_loop_barrier();
	assert_int_equal(atomic_load(&cr.late), 0);
	sock_close(c);
	sock_close(s);
}

/* Events */

static void
test_catchevents_null_socket_and_clear(void **state)
{
	struct xk_test_events ev = { 0 };
	socket_t c, s;

	(void)state;
	assert_int_equal(sock_catchevents(NULL, xk_test_event_cb, &ev,
	    SO_FILT_HINT_EV), EINVAL);
	xk_test_tcp_pair(AF_INET, &c, &s);
	assert_int_equal(sock_catchevents(c, xk_test_event_cb, &ev,
	    SO_FILT_HINT_EV), 0);
	assert_int_equal(sock_catchevents(c, NULL, &ev, SO_FILT_HINT_EV), 0);
	assert_int_equal(sock_shutdown(c, SHUT_WR), 0);
	assert_int_equal(sock_shutdown(c, SHUT_RD), 0);
	xk_test_loop_barrier();
	assert_int_equal(atomic_load(&ev.calls), 0);
	sock_close(c);
	sock_close(s);
}

static void
test_catchevents_locked(void **state)
{
	struct xk_test_events ev = { 0 };
	socket_t c, s;

	(void)state;
	sock_catchevents_locked(NULL, xk_test_event_cb, &ev, SO_FILT_HINT_EV);
	xk_test_tcp_pair(AF_INET, &c, &s);
	sock_catchevents_locked(c, xk_test_event_cb, &ev,
	    SO_FILT_HINT_CANTSENDMORE);
	assert_int_equal(sock_shutdown(c, SHUT_WR), 0);
	xk_test_await(&ev.calls, 1, "CANTSENDMORE event");
	assert_int_equal(atomic_load(&ev.first), SO_FILT_HINT_CANTSENDMORE);
	sock_catchevents_locked(c, NULL, NULL, 0);
	assert_int_equal(sock_shutdown(c, SHUT_RD), 0);
	xk_test_loop_barrier();
	assert_int_equal(atomic_load(&ev.calls), 1);
	sock_close(c);
	sock_close(s);
}

/* Closes @so with SO_LINGER {1, 0}: the peer gets a reset. */
static void
close_with_reset(socket_t so)
{
	struct linger lg = { 1, 0 };

	assert_int_equal(sock_setsockopt(so, SOL_SOCKET, SO_LINGER, &lg,
	    sizeof(lg)), 0);
	sock_close(so);
}

/* A reset: CONNRESET and DISCONNECTED|CONNINFO_UPDATED; the error once. */
static void
test_event_peer_reset(void **state)
{
	struct xk_test_events ev = { 0 };
	struct sockaddr_storage p;
	uint8_t buf[8];
	size_t n = 3;
	socket_t c, s;

	(void)state;
	xk_test_tcp_pair(AF_INET, &c, &s);
	assert_int_equal(sock_catchevents(c, xk_test_event_cb, &ev,
	    SO_FILT_HINT_EV), 0);
	close_with_reset(s);
	xk_test_await_bits(&ev.all, SO_FILT_HINT_CONNRESET |
	    SO_FILT_HINT_DISCONNECTED | SO_FILT_HINT_CONNINFO_UPDATED,
	    "reset events");
	xk_test_loop_barrier();
	assert_int_equal(atomic_load(&ev.all), SO_FILT_HINT_CONNRESET |
	    SO_FILT_HINT_DISCONNECTED | SO_FILT_HINT_CONNINFO_UPDATED);
	assert_int_equal(sock_isconnected(c), 0);
	assert_int_equal(sock_getpeername(c, SA(&p), sizeof(p)), ENOTCONN);
	xk_test_rcvtimeo(c, SAFETY_MS);
	assert_int_equal(xk_test_recv(c, buf, sizeof(buf), 0, &n),
	    ECONNRESET);
	assert_int_equal(n, 0);
	assert_int_equal(xk_test_recv(c, buf, sizeof(buf), 0, &n), 0);
	assert_int_equal(n, 0);
	sock_close(c);
}

static void
test_event_peer_reset_masked(void **state)
{
	struct xk_test_events ev = { 0 };
	socket_t c, s;

	(void)state;
	xk_test_tcp_pair(AF_INET, &c, &s);
	assert_int_equal(sock_catchevents(c, xk_test_event_cb, &ev,
	    SO_FILT_HINT_DISCONNECTED), 0);
	close_with_reset(s);
	xk_test_await(&ev.calls, 1, "DISCONNECTED event");
	xk_test_loop_barrier();
	assert_int_equal(atomic_load(&ev.all), SO_FILT_HINT_DISCONNECTED);
	assert_int_equal(atomic_load(&ev.zero), 0);
	sock_close(c);
}

/* Threads: where and when upcalls run */

static _Thread_local int in_kpi;	/* set around KPI calls */

struct where {
	atomic_int	calls;
	atomic_int	in_kpi;		/* calls that saw in_kpi set */
	atomic_int	on_main;
};

static void
where_cb(socket_t so, void *cookie, int waitf)
{
	struct where *w = cookie;

	(void)so;
	xk_test_upcall_check(waitf);
	if (in_kpi) {
		atomic_fetch_add(&w->in_kpi, 1);
	}
	if (xk_test_on_main()) {
		atomic_fetch_add(&w->on_main, 1);
	}
	atomic_fetch_add(&w->calls, 1);
}

static void
where_ev(socket_t so, void *cookie, uint32_t event)
{
	(void)event;
	where_cb(so, cookie, MBUF_DONTWAIT);
}

/* Upcalls run on another thread, never inside the KPI call that woke. */
static void
test_upcalls_run_off_thread_outside_kpi(void **state)
{
	struct where w = { 0 };
	struct sockaddr_storage a, la;
	socket_t u, l, c, s;

	(void)state;
	u = xk_test_udp(AF_INET, where_cb, &w, &a);
	l = xk_test_listener(AF_INET, 4, &la);
	assert_int_equal(sock_setupcall(l, where_cb, &w), 0);
	c = new_sock(PF_INET, SOCK_STREAM, IPPROTO_TCP);
	in_kpi = 1;
	assert_int_equal(sock_setupcalls(c, where_cb, &w, where_cb, &w), 0);
	assert_int_equal(sock_catchevents(c, where_ev, &w, SO_FILT_HINT_EV),
	    0);
	for (int i = 0; i < 20; i++) {
		xk_test_send_ok(u, &a, 4, 0);
	}
	assert_int_equal(sock_connect(c, CSA(&la), 0), 0);
	setopt_int(c, SOL_SOCKET, SO_SNDBUF, 8192);
	in_kpi = 0;
	s = xk_test_accept(l, 0, NULL, NULL);
	in_kpi = 1;
	xk_test_send_ok(s, NULL, 4, 0);
	assert_int_equal(sock_shutdown(c, SHUT_RDWR), 0);
	in_kpi = 0;
	xk_test_await(&w.calls, 4, "upcalls");
	xk_test_loop_barrier();
	assert_int_equal(atomic_load(&w.in_kpi), 0);
	assert_int_equal(atomic_load(&w.on_main), 0);
	sock_close(s);
	sock_close(c);
	sock_close(l);
	sock_close(u);
}

/*
 * KPI calls inside an upcall work and never wait, and the upcalls they
 * cause run after the calling upcall returns, not inside the call.
 */
struct nested {
	atomic_int	rcalls;
	atomic_int	wcalls;
	atomic_int	evcalls;
	atomic_int	nested;		/* upcalls inside a KPI call */
	atomic_int	done;
	atomic_int	recv_error;
	atomic_int	shut_error;
};

static void
nested_read(socket_t so, void *cookie, int waitf)
{
	struct nested *n = cookie;
	uint8_t buf[16];

	xk_test_upcall_check(waitf);
	if (in_kpi) {
		atomic_fetch_add(&n->nested, 1);
	}
	if (atomic_fetch_add(&n->rcalls, 1) != 0) {
		return;
	}
	in_kpi = 1;
	for (;;) {
		size_t got = 0;

		if (xk_test_recv(so, buf, sizeof(buf), MSG_DONTWAIT,
		    &got) != 0 || got == 0) {
			break;
		}
	}
	/* A flagless receive on the loop thread returns instead of waiting. */
	atomic_store(&n->recv_error, xk_test_recv(so, buf, sizeof(buf), 0,
	    NULL));
	atomic_store(&n->shut_error, sock_shutdown(so, SHUT_WR));
	{
		int v = 9000;	/* a write wakeup, too */

		(void)sock_setsockopt(so, SOL_SOCKET, SO_SNDBUF, &v,
		    sizeof(v));
	}
	in_kpi = 0;
	atomic_store(&n->done, 1);
}

static void
nested_write(socket_t so, void *cookie, int waitf)
{
	struct nested *n = cookie;

	(void)so;
	xk_test_upcall_check(waitf);
	if (in_kpi) {
		atomic_fetch_add(&n->nested, 1);
	}
	atomic_fetch_add(&n->wcalls, 1);
}

static void
nested_ev(socket_t so, void *cookie, uint32_t event)
{
	struct nested *n = cookie;

	(void)so;
	(void)event;
	xk_test_upcall_check(MBUF_DONTWAIT);
	if (in_kpi) {
		atomic_fetch_add(&n->nested, 1);
	}
	atomic_fetch_add(&n->evcalls, 1);
}

static void
test_kpi_calls_inside_upcall(void **state)
{
	struct nested n = { 0 };
	socket_t c, s;

	(void)state;
	xk_test_tcp_pair(AF_INET, &c, &s);
	assert_int_equal(sock_setupcalls(c, nested_read, &n, nested_write,
	    &n), 0);
	assert_int_equal(sock_catchevents(c, nested_ev, &n,
	    SO_FILT_HINT_CANTSENDMORE), 0);
	xk_test_send_ok(s, NULL, 5, 0);
	xk_test_await(&n.done, 1, "read upcall");
	xk_test_await(&n.evcalls, 1, "CANTSENDMORE event from the upcall");
	xk_test_await(&n.wcalls, 1, "write upcall from the upcall");
	xk_test_loop_barrier();
	assert_int_equal(atomic_load(&n.recv_error), EWOULDBLOCK);
	assert_int_equal(atomic_load(&n.shut_error), 0);
	assert_int_equal(atomic_load(&n.nested), 0);
	sock_close(c);
	sock_close(s);
}

/*
 * XNU's input path fills so_rcv while an upcall runs, so a receive made
 * in the upcall sees what arrived meanwhile.  Here the loop thread is
 * busy running the upcall: the receive reads what the host already
 * holds.  The upcall takes the first message, sends a second to itself
 * and receives with MSG_DONTWAIT until it comes (the host's delivery is
 * quick, not instant): without reading through, it never would, since
 * only the busy loop thread fills the buffer.
 */
struct readthrough {
	socket_t	 rt_peer;
	struct sockaddr_storage rt_to;	/* the upcall's socket */
	atomic_int	 rt_calls;
	atomic_int	 rt_done;
	atomic_int	 rt_second;	/* bytes of the second message seen */
	atomic_int	 rt_tries;
};

static void
readthrough_cb(socket_t so, void *cookie, int waitf)
{
	struct readthrough *rt = cookie;
	int64_t end = xk_test_now_us() + (int64_t)XK_TEST_WAIT_MS * 1000;
	char buf[64];
	size_t got;

	xk_test_upcall_check(waitf);
	if (atomic_fetch_add(&rt->rt_calls, 1) != 0) {
		return;
	}
	if (xk_test_recv(so, buf, sizeof(buf), MSG_DONTWAIT, &got) != 0 ||
	    got != 3) {
		atomic_store(&rt->rt_done, -1);
		return;
	}
	xk_test_send(rt->rt_peer, rt->rt_to.ss_family == 0 ? NULL : &rt->rt_to,
	    4, 3);
	while (xk_test_now_us() < end) {
		atomic_fetch_add(&rt->rt_tries, 1);
		if (xk_test_recv(so, buf, sizeof(buf), MSG_DONTWAIT,
		    &got) == 0) {
			atomic_store(&rt->rt_second, (int)got);
			break;
		}
		xk_test_sleep_ms(1);
	}
	atomic_store(&rt->rt_done, 1);
}

static void
test_receive_in_upcall_reads_host_udp(void **state)
{
	struct readthrough rt = { 0 };
	socket_t so;

	(void)state;
	so = xk_test_udp(AF_INET, readthrough_cb, &rt, &rt.rt_to);
	rt.rt_peer = xk_test_udp(AF_INET, NULL, NULL, NULL);
	xk_test_send_ok(rt.rt_peer, &rt.rt_to, 3, 0);
	xk_test_await(&rt.rt_done, 1, "the upcall's second receive");
	assert_int_equal(atomic_load(&rt.rt_done), 1);
	assert_int_equal(atomic_load(&rt.rt_second), 4);
	sock_close(rt.rt_peer);
	sock_close(so);
}

static void
test_receive_in_upcall_reads_host_tcp(void **state)
{
	struct readthrough rt = { 0 };
	socket_t c, s;

	(void)state;
	xk_test_tcp_pair(AF_INET, &c, &s);
	rt.rt_peer = c;
	assert_int_equal(sock_setupcall(s, readthrough_cb, &rt), 0);
	xk_test_send_ok(c, NULL, 3, 0);
	xk_test_await(&rt.rt_done, 1, "the upcall's second receive");
	assert_int_equal(atomic_load(&rt.rt_done), 1);
	assert_int_equal(atomic_load(&rt.rt_second), 4);
	sock_close(c);
	sock_close(s);
}

/* The library's life (xkpi.h) */

/* Puts the default configuration back (XKPI_LOG wins if set). */
static errno_t
restore_default_config(void)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.log_level = XKPI_LOG_WARN);

	xkpi_shutdown();
	return (xkpi_init(getenv("XKPI_LOG") != NULL ? NULL : &cfg));
}

/* Calling xkpi_init again is harmless: 0, and nothing changes. */
static void
test_init_again_changes_nothing(void **state)
{
	struct xkpi_config arm = XKPI_CONFIG_INIT(
	    .upcall_mode = XKPI_UPCALL_ARM64);
	struct xk_test_upcall u = { 0 };
	errno_t e1, e2, e3;
	socket_t so;
	int calls;

	(void)state;
	xk_test_restart_after();
	e1 = xkpi_init(NULL);
	e2 = xkpi_init(NULL);
	e3 = xkpi_init(&arm);
	so = xk_test_udp(AF_INET, NULL, NULL, NULL);
	assert_int_equal(sock_setupcall(so, xk_test_upcall_cb, &u), 0);
	setopt_int(so, SOL_SOCKET, SO_SNDBUF, 4000);	/* write wakeup */
	xk_test_loop_barrier();
	calls = atomic_load(&u.calls);
	sock_close(so);
	assert_int_equal(e1, 0);
	assert_int_equal(e2, 0);
	assert_int_equal(e3, 0);
	/* Still the x86_64 mode: the write side has no upcall. */
	assert_int_equal(calls, 0);
}

/* xkpi_shutdown closes everything; the library starts again after. */
static void
test_shutdown_then_init_again(void **state)
{
	struct xk_test_upcall u = { 0 };
	struct sockaddr_storage a;
	socket_t so;

	(void)state;
	so = xk_test_udp(AF_INET, NULL, NULL, &a);
	xk_test_send_ok(so, &a, 100, 0);	/* left queued */
	xk_test_await_nread(so, 100);
	xkpi_shutdown();			/* `so` is gone with it */
	assert_int_equal(xk_test_wait_sockets(0, 0), 0);
	assert_live_equal(live_now(), (struct xk_mb_live){ 0, 0, 0 });
	xkpi_shutdown();			/* not running: nothing */
	assert_int_equal(xkpi_init(NULL), 0);
	so = xk_test_udp(AF_INET, xk_test_upcall_cb, &u, &a);
	xk_test_send_ok(so, &a, 10, 0);
	xk_test_await(&u.calls, 1, "upcall after re-initialisation");
	recv_expect(so, 10, 0);
	sock_close(so);
}

/* After xkpi_shutdown the next KPI call starts the library again. */
static void
test_shutdown_then_kpi_call_reinitialises(void **state)
{
	struct xk_test_upcall u = { 0 };
	struct sockaddr_storage a;
	socket_t so;

	(void)state;
	xkpi_shutdown();
	so = xk_test_udp(AF_INET, xk_test_upcall_cb, &u, &a);
	xk_test_send_ok(so, &a, 10, 0);
	xk_test_await(&u.calls, 1, "upcall after implicit initialisation");
	recv_expect(so, 10, 0);
	sock_close(so);
}

static void
test_init_with_base_errors(void **state)
{
	struct event_base *base;

	(void)state;
	assert_int_equal(xkpi_init_with_base(NULL, NULL), EINVAL);
	base = event_base_new();
	assert_non_null(base);
	assert_int_equal(xkpi_init(NULL), 0);
	assert_int_equal(xkpi_init_with_base(base, NULL), EBUSY);
	event_base_free(base);
	/* The running library was not disturbed. */
	struct sockaddr_storage a;
	socket_t so = xk_test_udp(AF_INET, NULL, NULL, &a);

	xk_test_send_ok(so, &a, 5, 0);
	recv_expect(so, 5, 0);
	sock_close(so);
}

/*
 * Runs a session on a caller's base, on a thread of its own (the thread
 * that runs the base becomes the loop thread), then, on the same thread,
 * checks that the library started again with its own loop treats that
 * thread as an ordinary one.
 */
struct base_session {
	pthread_t	self;
	errno_t		init_err;
	atomic_int	calls;
	atomic_int	off_thread;	/* upcalls not on the driving thread */
	int		before_loop;	/* calls before the base ran */
	/* Second part: the library on its own thread again. */
	bool		second;
	errno_t		init2_err;
	errno_t		recv_err;
	int64_t		waited_us;
	int		alive_before;
	int		alive_after;
};

static void
base_cb(socket_t so, void *cookie, int waitf)
{
	struct base_session *b = cookie;

	(void)so;
	if (waitf != MBUF_DONTWAIT ||
	    !pthread_equal(pthread_self(), b->self)) {
		atomic_fetch_add(&b->off_thread, 1);
	}
	atomic_fetch_add(&b->calls, 1);
}

/* A loopback datagram socket bound to port 0, without cmocka asserts. */
static socket_t
plain_udp(sock_upcall cb, void *cookie, struct sockaddr_storage *a)
{
	socket_t so = NULL;

	if (sock_socket(PF_INET, SOCK_DGRAM, IPPROTO_UDP, cb, cookie, &so) !=
	    0) {
		return (NULL);
	}
	xk_test_addr(AF_INET, 0, a);
	if (sock_bind(so, CSA(a)) != 0 ||
	    sock_getsockname(so, SA(a), sizeof(*a)) != 0) {
		sock_close(so);
		return (NULL);
	}
	return (so);
}

static errno_t
plain_send(socket_t so, const struct sockaddr_storage *to)
{
	uint8_t byte = 1;
	struct iovec iov = { &byte, 1 };
	struct msghdr msg;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_name = (void *)(uintptr_t)to;
	return (sock_send(so, &msg, 0, NULL));
}

static void *
base_thread(void *arg)
{
	struct base_session *b = arg;
	struct sockaddr_storage a;
	struct event_base *base;
	int64_t deadline;
	socket_t so;

	b->self = pthread_self();
	evthread_use_pthreads();
	if ((base = event_base_new()) == NULL) {
		b->init_err = ENOMEM;
		return (NULL);
	}
	if ((b->init_err = xkpi_init_with_base(base, NULL)) != 0) {
		event_base_free(base);
		return (NULL);
	}
	if ((so = plain_udp(base_cb, b, &a)) == NULL ||
	    plain_send(so, &a) != 0) {
		b->init_err = -1;
	} else {
		/* Nothing is delivered while the base does not run. */
		xk_test_sleep_ms(20);
		b->before_loop = atomic_load(&b->calls);
		deadline = xk_test_now_us() + (int64_t)XK_TEST_WAIT_MS * 1000;
		while (atomic_load(&b->calls) == 0 &&
		    xk_test_now_us() < deadline) {
			event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
			xk_test_sleep_ms(1);
		}
	}
	xkpi_shutdown();	/* frees the socket too */
	event_base_free(base);
	if (!b->second) {
		return (NULL);
	}
	/* The library on its own loop thread again. */
	if ((b->init2_err = xkpi_init(NULL)) != 0) {
		return (NULL);
	}
	if ((so = plain_udp(NULL, NULL, &a)) == NULL) {
		b->init2_err = -1;
		return (NULL);
	}
	{
		struct timeval tv = { 0, 300000 };
		uint8_t buf[4];
		int64_t t0;

		(void)sock_setsockopt(so, SOL_SOCKET, SO_RCVTIMEO, &tv,
		    sizeof(tv));
		t0 = xk_test_now_us();
		b->recv_err = xk_test_recv(so, buf, sizeof(buf), 0, NULL);
		b->waited_us = xk_test_now_us() - t0;
	}
	b->alive_before = xk_test_wait_sockets(0, 0);
	xkpi_shutdown();
	b->alive_after = xk_test_wait_sockets(0, 0);
	if (b->alive_after != 0) {
		sock_close(so);	/* the shutdown did not happen */
	}
	return (NULL);
}

/* On the caller's base, upcalls run on the thread that runs it. */
static void
test_init_with_base_runs_upcalls_on_its_thread(void **state)
{
	struct base_session b;
	pthread_t th;

	(void)state;
	memset(&b, 0, sizeof(b));
	xkpi_shutdown();
	assert_int_equal(pthread_create(&th, NULL, base_thread, &b), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(restore_default_config(), 0);
	assert_int_equal(b.init_err, 0);
	assert_int_equal(b.before_loop, 0);
	assert_int_equal(atomic_load(&b.calls), 1);
	assert_int_equal(atomic_load(&b.off_thread), 0);
}

/*
 * A thread that once ran the caller's base is not the loop thread of the
 * library started afterwards: its blocking calls wait, and its
 * xkpi_shutdown() works.
 */
static void
test_thread_that_ran_base_is_ordinary_afterwards(void **state)
{
	struct base_session b;
	pthread_t th;

	(void)state;
	memset(&b, 0, sizeof(b));
	b.second = true;
	xkpi_shutdown();
	assert_int_equal(pthread_create(&th, NULL, base_thread, &b), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	/* Whatever happened there, start the test's library afresh. */
	xk_test_wait_sockets(0, XK_TEST_CLOSE_MS);
	assert_int_equal(restore_default_config(), 0);
	assert_int_equal(b.init_err, 0);
	assert_int_equal(atomic_load(&b.calls), 1);
	assert_int_equal(b.init2_err, 0);
	assert_int_equal(b.recv_err, EWOULDBLOCK);
	if (b.waited_us < 150000) {
		fail_msg("the blocking receive returned after %ld us: the "
		    "thread is still taken for the loop thread",
		    (long)b.waited_us);
	}
	assert_int_equal(b.alive_before, 1);
	assert_int_equal(b.alive_after, 0);
}

/*
 * The arm64 mode: single-callback functions install the upcall on both
 * sides.  The results are checked after the default mode is back.
 */
static void
test_arm64_mode_installs_both_sides(void **state)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(
	    .upcall_mode = XKPI_UPCALL_ARM64);
	struct xk_test_upcall su = { 0 }, ru = { 0 }, cu = { 0 }, au = { 0 };
	struct sockaddr_storage la;
	int setup_w, reads_only, connect_calls, shut_calls, accept_w;
	socket_t u, u2, l, c = NULL, s;
	errno_t init_err;

	(void)state;
	xk_test_restart_after();
	xkpi_shutdown();
	init_err = xkpi_init(&cfg);
	if (init_err != 0) {
		restore_default_config();
		fail_msg("xkpi_init(arm64): %d", init_err);
	}
	/* sock_setupcall: a write wakeup calls it. */
	u = xk_test_udp(AF_INET, NULL, NULL, NULL);
	assert_int_equal(sock_setupcall(u, xk_test_upcall_cb, &su), 0);
	setopt_int(u, SOL_SOCKET, SO_SNDBUF, 4000);
	(void)xk_test_wait_atomic(&su.calls, 1, XK_TEST_WAIT_MS);
	setup_w = atomic_load(&su.calls);
	/* sock_setupcalls still installs exactly what it is given. */
	u2 = xk_test_udp(AF_INET, NULL, NULL, NULL);
	assert_int_equal(sock_setupcalls(u2, xk_test_upcall_cb, &ru, NULL,
	    NULL), 0);
	setopt_int(u2, SOL_SOCKET, SO_SNDBUF, 4000);
	/* sock_socket: connecting wakes both sides. */
	l = xk_test_listener(AF_INET, 4, &la);
	assert_int_equal(sock_socket(PF_INET, SOCK_STREAM, IPPROTO_TCP,
	    xk_test_upcall_cb, &cu, &c), 0);
	assert_int_equal(sock_connect(c, CSA(&la), 0), 0);
	(void)xk_test_wait_atomic(&cu.calls, 2, XK_TEST_WAIT_MS);
	xk_test_loop_barrier();
	connect_calls = atomic_load(&cu.calls);
	assert_int_equal(sock_shutdown(c, SHUT_WR), 0);	/* write only */
	(void)xk_test_wait_atomic(&cu.calls, connect_calls + 1,
	    XK_TEST_WAIT_MS);
	shut_calls = atomic_load(&cu.calls) - connect_calls;
	/* sock_accept's callback too. */
	s = xk_test_accept(l, 0, xk_test_upcall_cb, &au);
	xk_test_loop_barrier();
	int abefore = atomic_load(&au.calls);
	setopt_int(s, SOL_SOCKET, SO_SNDBUF, 4000);
	(void)xk_test_wait_atomic(&au.calls, abefore + 1, XK_TEST_WAIT_MS);
	accept_w = atomic_load(&au.calls) - abefore;
	xk_test_loop_barrier();
	reads_only = atomic_load(&ru.calls);
	sock_close(s);
	sock_close(c);
	sock_close(l);
	sock_close(u2);
	sock_close(u);
	assert_int_equal(xk_test_wait_sockets(0, XK_TEST_CLOSE_MS), 0);
	assert_int_equal(restore_default_config(), 0);
	assert_true(setup_w >= 1);
	assert_int_equal(reads_only, 0);
	assert_true(connect_calls >= 2);
	assert_true(shut_calls >= 1);
	assert_true(accept_w >= 1);
}

/* xkpi_init refuses a bad configuration with EINVAL (header). */
static errno_t
init_bad(const struct xkpi_config *cfg)
{
	errno_t error;

	xkpi_shutdown();
	error = xkpi_init(cfg);
	(void)restore_default_config();
	return (error);
}

static void
test_init_unknown_backend_is_einval(void **state)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "no-such-backend");

	(void)state;
	xk_test_restart_after();
	assert_int_equal(init_bad(&cfg), EINVAL);
}

static void
test_init_unknown_upcall_mode_is_einval(void **state)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(
	    .upcall_mode = (enum xkpi_upcall_mode)7);

	(void)state;
	xk_test_restart_after();
	assert_int_equal(init_bad(&cfg), EINVAL);
}

static void
test_init_unknown_log_level_is_einval(void **state)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.log_level = 42);

	(void)state;
	xk_test_restart_after();
	assert_int_equal(init_bad(&cfg), EINVAL);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, xk_test_sock_setup, \
	    xk_test_sock_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_socket_null_new_so_is_einval),
		T(test_socket_unknown_domain_is_eafnosupport),
		T(test_socket_wrong_type_for_protocol_is_eprototype),
		T(test_socket_unknown_protocol_is_eprotonosupport),
		T(test_socket_host_kinds_succeed),
		T(test_socket_cb_is_read_only_by_default),
		T(test_ref_socket_close_closes),
		T(test_ref_retain_close_release_closes_at_release),
		T(test_ref_retain_release_close_closes_at_close),
		T(test_ref_two_retains_close_at_last_release),
		T(test_ref_release_without_retain_panics),
		T(test_ref_null_is_ignored),
		T(test_close_inside_own_upcall),
		T(test_close_waits_for_running_upcall),
		T(test_release_with_upcallclosewait_waits),
		T(test_close_no_upcall_after_return),
		T(test_bind_null_is_einval),
		T(test_bind_bad_family_is_eafnosupport),
		T(test_bind_taken_port_is_eaddrinuse),
		T(test_bind_twice_is_einval),
		T(test_bind_foreign_address_is_eaddrnotavail),
		T(test_bind_v6_and_local_path),
		T(test_connect_null_is_einval),
		T(test_connect_bad_family_is_eafnosupport),
		T(test_connect_dontwait_announces_completion),
		T(test_connect_event_mask_filters),
		T(test_connect_in_progress_is_ealready),
		T(test_connect_again_is_ealready_or_eisconn),
		T(test_connect_connected_stream_is_eisconn),
		T(test_connect_listener_is_eopnotsupp),
		T(test_connect_blocking_refused),
		T(test_connect_dontwait_refused),
		T(test_connect_datagram),
		T(test_connect_datagram_again_moves_peer),
		T(test_connect_local_stream),
		T(test_connectwait_null_is_einval),
		T(test_connectwait_not_connecting_is_einval),
		T(test_connectwait_connected_is_zero),
		T(test_getpeername_unconnected_is_enotconn),
		T(test_getpeername_bad_args_are_einval),
		T(test_getpeername_connected_and_truncated),
		T(test_getsockname_bound_and_truncated),
		T(test_getaddr_unconnected_peer_is_zero),
		T(test_getaddr_local_and_peer),
		T(test_sockopt_null_is_einval),
		T(test_sockopt_buffer_sizes_round_trip),
		T(test_sockopt_buffer_over_8mib_is_enobufs),
		T(test_sockopt_rcvtimeo_expires),
		T(test_sockopt_timeo_out_of_range_is_edom),
		T(test_sockopt_so_error_read_and_cleared),
		T(test_sockopt_so_type),
		T(test_sockopt_so_nread),
		T(test_sockopt_option_bits_read_as_xnu_values),
		T(test_sockopt_flags_round_trip),
		T(test_sockopt_flags_read_as_xnu_values),
		T(test_sockopt_donttrunc_keeps_the_rest),
		T(test_sockopt_unknown_is_enoprotoopt),
		T(test_sockopt_len_is_updated),
		T(test_sockopt_tcp_nodelay_round_trip),
		T(test_sockopt_tcp_nodelay_reads_as_xnu_value),
		T(test_ioctl_fionbio),
		T(test_ioctl_fionread),
		T(test_ioctl_bad_args),
		T(test_settclassopt_bad_args),
		T(test_settclassopt_local_peer_sets_class_and_tos),
		T(test_settclassopt_ipv6_sets_tclass),
		T(test_gettclassopt_bad_args),
		T(test_listen_errors),
		T(test_accept_null_is_einval),
		T(test_accept_not_listening_is_einval),
		T(test_accept_other_flags_are_enotsup),
		T(test_accept_dontwait_empty_is_ewouldblock),
		T(test_accept_listener_upcall_fires),
		T(test_accept_blocking_returns_connection),
		T(test_accept_child_inherits_nbio),
		T(test_accept_useupcall_gives_listener_upcall),
		T(test_accept_installs_cb_and_fills_from),
		T(test_accept_close_listener_with_pending),
		T(test_accept_blocked_then_closed_is_ebadf),
		T(test_connect_blocked_then_closed_is_ebadf),
		T(test_accept_data_before_accept_calls_upcall),
		T(test_accept_in_upcall_does_not_block),
		T(test_receive_bad_args_are_einval),
		T(test_receive_dontwait_empty_is_ewouldblock),
		T(test_receive_datagram_truncated),
		T(test_receive_msg_flags_echo_input),
		T(test_receive_msg_name_filled_namelen_unchanged),
		T(test_receive_peek_leaves_datagram),
		T(test_receive_scatter_and_stream_partial),
		T(test_receive_waitall_collects_pieces),
		T(test_receive_eof_after_peer_shutdown),
		T(test_receive_control_messages),
		T(test_receive_blocked_then_closed_is_ebadf),
		T(test_receivembuf_bad_args_are_einval),
		T(test_receivembuf_dontwait_empty),
		T(test_receivembuf_returns_datagram_chain),
		T(test_receivembuf_truncates),
		T(test_receivembuf_stream),
		T(test_receivembuf_stream_pkthdr),
		T(test_receive_in_upcall_reads_host_udp),
		T(test_receive_in_upcall_reads_host_tcp),
		T(test_send_bad_args_are_einval),
		T(test_send_short_control_is_einval),
		T(test_send_unconnected_errors),
		T(test_send_datagram_over_sndbuf_is_emsgsize),
		T(test_send_after_shutdown_wr_is_epipe),
		T(test_send_gathers_iovecs),
		T(test_send_full_buffer_nbio_and_dontwait),
		T(test_send_msg_eof_ends_stream),
		T(test_send_blocked_then_closed_is_ebadf),
		T(test_oob_is_refused),
		T(test_sendmbuf_consumes_chain_on_errors),
		T(test_sendmbuf_after_shutdown_consumes_chain),
		T(test_sendmbuf_datagram_sentlen),
		T(test_sendmbuf_stream_is_atomic),
		T(test_sendmbuf_can_wait_null_msg),
		T(test_sendmbuf_can_wait_large_stream),
		T(test_sendmbuf_can_wait_datagram_emsgsize),
		T(test_shutdown_bad_how_is_einval),
		T(test_shutdown_unconnected_is_enotconn),
		T(test_shutdown_rd_twice_is_enotconn),
		T(test_shutdown_wr_raises_cantsendmore),
		T(test_setpriv),
		T(test_isconnected),
		T(test_isnonblocking),
		T(test_gettype_null),
		T(test_nointerrupt),
		T(test_getlistener),
		T(test_iskernel),
		T(test_setupcall_null_socket_and_clear),
		T(test_setupcalls_read_and_write),
		T(test_setupcalls_locked),
		T(test_setupcalls_clear_stops_pending_upcall),
		T(test_catchevents_null_socket_and_clear),
		T(test_catchevents_locked),
		T(test_event_peer_reset),
		T(test_event_peer_reset_masked),
		T(test_upcalls_run_off_thread_outside_kpi),
		T(test_kpi_calls_inside_upcall),
		T(test_init_again_changes_nothing),
		T(test_shutdown_then_init_again),
		T(test_shutdown_then_kpi_call_reinitialises),
		T(test_init_with_base_errors),
		T(test_init_with_base_runs_upcalls_on_its_thread),
		T(test_thread_that_ran_base_is_ordinary_afterwards),
		T(test_arm64_mode_installs_both_sides),
		T(test_init_unknown_backend_is_einval),
		T(test_init_unknown_upcall_mode_is_einval),
		T(test_init_unknown_log_level_is_einval),
	};

	/* XK_TEST_ONLY=pattern runs only the matching tests. */
	if (getenv("XK_TEST_ONLY") != NULL) {
		cmocka_set_test_filter(getenv("XK_TEST_ONLY"));
	}
	return (cmocka_run_group_tests_name("socket", tests, NULL,
	    xk_test_sock_group_teardown));
}
