/*
 * Misuse that must never corrupt memory: sockets used after sock_close()
 * (before and after their memory was freed, and after many new sockets),
 * closed twice, retained or released when closed; mbufs used after they
 * were freed, freed twice; every case reaches the panic hook and the call
 * fails with EBADF (sockets) or EINVAL (mbufs).  Bad iovecs (NULL bases,
 * more than UIO_MAXIOV entries), the mbuf_limit_bytes bound, and
 * misaligned socket addresses.
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
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <signal.h>
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
#include <xkpi_mem.h>

#include "core/mbuf_var.h"
#include "core/socket_var.h"
#include "tests/lib/xk_test.h"

#define PROTO_EXP	253	/* RFC 3692 experimentation */

static int
setup(void **state)
{
	return xk_test_sock_setup(state);
}

static int
teardown(void **state)
{
	return xk_test_sock_teardown(state);
}

/* Exactly one panic since the last take, whose message holds @what. */
static void
one_panic(const char *what)
{
	const char *msg = xk_test_panic_msg();

	if (strstr(msg, what) == NULL) {
		fail_msg("panic message \"%s\" lacks \"%s\"", msg, what);
	}
	assert_int_equal(xk_test_panic_take(), 1);
}

/* A UDP socket on loopback whose memory has gone (to the quarantine). */
static socket_t
freed_socket(struct sockaddr_storage *addr)
{
	socket_t so = xk_test_udp(AF_INET, NULL, NULL, addr);

	sock_close(so);
	assert_int_equal(xk_test_wait_sockets(0, XK_TEST_CLOSE_MS), 0);
	return so;
}

/*
 * The case: a send on a socket closed a while ago, then a new
 * socket.  Before the detector this wrote into freed memory and glibc
 * aborted with "double free detected" at a later allocation.
 */
static void
test_send_after_close_and_free(void **state)
{
	struct sockaddr_storage a, b;
	socket_t old, s;
	uint8_t buf[16];
	size_t n;

	(void)state;
	old = freed_socket(&a);
	assert_int_equal(xk_test_send(old, &a, 8, 0), EBADF);
	one_panic("used after it was freed");
	/* The library works on: a new socket sends and receives. */
	s = xk_test_udp(AF_INET, NULL, NULL, &b);
	xk_test_send_ok(s, &b, 8, 0);
	xk_test_await_nread(s, 8);
	assert_int_equal(xk_test_recv(s, buf, sizeof(buf), MSG_DONTWAIT, &n),
	    0);
	assert_int_equal(n, 8);
	sock_close(s);
	assert_int_equal(xk_test_panic_count(), 0);
}

/*
 * Every call taking a socket_t, on a socket that is closed: each one
 * panics once and fails with EBADF (0, NULL or nothing where it returns
 * no errno).
 */
static void
calls_on_bad_socket(socket_t so, const struct sockaddr_storage *a,
    const char *what)
{
	struct sockaddr_storage ss;
	struct sockaddr *sa = NULL;
	struct timeval tv = { 1, 0 };
	struct msghdr msg;
	struct iovec iov;
	uint8_t buf[8] = { 0 };
	int v = 1, len = sizeof(v), d, t, p;
	size_t n = 5, slen = sizeof(v);
	socket_t child = (socket_t)&v;
	mbuf_t m = NULL, got = (mbuf_t)&v;
	struct xk_mb_live l0, l1;

	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_name = (void *)(uintptr_t)a;

#define BAD(call) do {							\
	assert_int_equal((call), EBADF);				\
	one_panic(what);						\
} while (0)
	BAD(sock_send(so, &msg, 0, &n));
	assert_int_equal(n, 0);
	msg.msg_name = NULL;
	BAD(sock_receive(so, &msg, MSG_DONTWAIT, &n));
	n = 100;
	BAD(sock_receivembuf(so, NULL, &got, MSG_DONTWAIT, &n));
	assert_null(got);
	assert_int_equal(n, 0);
	/* The chain is consumed, as on every sock_sendmbuf error. */
	xk_test_live(&l0);
	assert_int_equal(mbuf_gethdr(MBUF_WAITOK, MBUF_TYPE_DATA, &m), 0);
	BAD(sock_sendmbuf(so, NULL, m, 0, &n));
	xk_test_live(&l1);
	assert_int_equal(l1.mbufs, l0.mbufs);
	BAD(sock_getsockopt(so, SOL_SOCKET, SO_RCVBUF, &v, &len));
	BAD(sock_setsockopt(so, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)));
	BAD(sock_bind(so, (const struct sockaddr *)a));
	BAD(sock_connect(so, (const struct sockaddr *)a, MSG_DONTWAIT));
	BAD(sock_connectwait(so, &tv));
	BAD(sock_getsockname(so, (struct sockaddr *)&ss, sizeof(ss)));
	BAD(sock_getpeername(so, (struct sockaddr *)&ss, sizeof(ss)));
	BAD(sock_getaddr(so, &sa, 0));
	assert_null(sa);
	BAD(sock_ioctl(so, FIONBIO, &v));
	BAD(sock_settclassopt(so, &v, sizeof(v)));
	BAD(sock_gettclassopt(so, &v, &slen));
	BAD(sock_listen(so, 5));
	BAD(sock_accept(so, NULL, 0, MSG_DONTWAIT, NULL, NULL, &child));
	assert_null(child);
	BAD(sock_shutdown(so, SHUT_RDWR));
	BAD(sock_setpriv(so, 1));
	BAD(sock_gettype(so, &d, &t, &p));
	BAD(sock_nointerrupt(so, 1));
	BAD(sock_setupcall(so, xk_test_upcall_cb, NULL));
	BAD(sock_setupcalls(so, xk_test_upcall_cb, NULL, NULL, NULL));
	BAD(sock_catchevents(so, xk_test_event_cb, NULL, ~0u));
#undef BAD
	assert_int_equal(sock_isconnected(so), 0);
	one_panic(what);
	assert_int_equal(sock_isnonblocking(so), 0);
	one_panic(what);
	assert_int_equal(sock_iskernel(so), 0);
	one_panic(what);
	assert_null(sock_getlistener(so));
	one_panic(what);
	sock_setupcalls_locked(so, NULL, NULL, NULL, NULL, 0);
	one_panic(what);
	sock_catchevents_locked(so, NULL, NULL, 0);
	one_panic(what);
	sock_retain(so);
	one_panic(what);
	sock_release(so);
	one_panic(what);
	sock_close(so);
	one_panic(what);
}

static void
test_every_call_on_freed_socket(void **state)
{
	struct sockaddr_storage a;
	socket_t so;

	(void)state;
	so = freed_socket(&a);
	calls_on_bad_socket(so, &a, "used after it was freed");
}

/*
 * Closed, memory still held: a socket that closes itself in its own
 * read upcall stays in memory (the upcall's reference) until the upcall
 * returns.  The upcall waits while the main thread calls.
 */
struct self_close {
	struct sockaddr_storage addr;
	atomic_int calls;
	atomic_int closed;
	atomic_int release;
};

static void
self_close_upcall(socket_t so, void *cookie, int waitf)
{
	struct self_close *sc = cookie;

	xk_test_upcall_check(waitf);
	if (atomic_fetch_add(&sc->calls, 1) != 0) {
		return;
	}
	sock_close(so);
	atomic_store(&sc->closed, 1);
	(void)xk_test_wait_atomic(&sc->release, 1, XK_TEST_CLOSE_MS);
}

static void
test_every_call_on_closed_socket(void **state)
{
	struct self_close sc = { .calls = 0 };
	socket_t so;

	(void)state;
	so = xk_test_udp(AF_INET, self_close_upcall, &sc, &sc.addr);
	xk_test_send_ok(so, &sc.addr, 4, 0);
	xk_test_await(&sc.closed, 1, "the closing upcall");
	calls_on_bad_socket(so, &sc.addr, "used after sock_close");
	atomic_store(&sc.release, 1);
	assert_int_equal(xk_test_wait_sockets(0, XK_TEST_CLOSE_MS), 0);
	assert_int_equal(atomic_load(&sc.calls), 1);
}

/* A second sock_close, right away and later, changes nothing. */
static void
test_double_close(void **state)
{
	socket_t so, keep;

	(void)state;
	keep = xk_test_udp(AF_INET, NULL, NULL, NULL);
	so = xk_test_udp(AF_INET, NULL, NULL, NULL);
	sock_close(so);
	sock_close(so);
	assert_int_equal(xk_test_panic_take(), 1);
	assert_int_equal(xk_test_wait_sockets(1, XK_TEST_CLOSE_MS), 1);
	sock_close(so);
	one_panic("used after it was freed");
	/* The other socket was not touched. */
	assert_int_equal(sock_isconnected(keep), 0);
	assert_int_equal(xk_so_count(), 1);
	sock_close(keep);
}

/*
 * Retained, the socket stays open across the creator's close, so only
 * the creator's second close tells; the retain still ends it.
 */
static void
test_double_close_retained(void **state)
{
	int d = 0, t = 0, p = 0;
	socket_t so;

	(void)state;
	so = xk_test_udp(AF_INET, NULL, NULL, NULL);
	sock_retain(so);
	sock_close(so);
	sock_close(so);
	one_panic("closed twice");
	/* Still open for the holder of the retain. */
	assert_int_equal(sock_gettype(so, &d, &t, &p), 0);
	assert_int_equal(t, SOCK_DGRAM);
	sock_release(so);
	assert_int_equal(xk_test_wait_sockets(0, XK_TEST_CLOSE_MS), 0);
	sock_release(so);
	one_panic("used after it was freed");
}

/*
 * The memory of a freed socket is not reused for new ones, however many
 * are opened, nor freed by fewer than XK_SO_QUARANTINE later frees: the
 * stale handle never reaches a live socket.
 */
static void
test_stale_socket_after_many_new_ones(void **state)
{
	enum { NEW = 2 * XK_SO_QUARANTINE };
	struct sockaddr_storage a;
	socket_t old, s[NEW];
	int t;

	(void)state;
	old = freed_socket(&a);
	for (int i = 0; i < NEW; i++) {
		assert_int_equal(sock_socket(PF_INET, SOCK_RAW, PROTO_EXP, NULL,
		    NULL, &s[i]), 0);
		assert_ptr_not_equal(s[i], old);
	}
	sock_close(old);
	one_panic("used after it was freed");
	assert_int_equal(xk_so_count(), NEW);
	/* Fewer frees than the quarantine holds: still caught. */
	for (int i = 0; i < XK_SO_QUARANTINE - 1; i++) {
		sock_close(s[i]);
	}
	assert_int_equal(xk_test_wait_sockets(NEW - XK_SO_QUARANTINE + 1,
	    XK_TEST_CLOSE_MS), NEW - XK_SO_QUARANTINE + 1);
	assert_int_equal(xk_test_send(old, &a, 4, 0), EBADF);
	one_panic("used after it was freed");
	for (int i = XK_SO_QUARANTINE - 1; i < NEW; i++) {
		assert_int_equal(sock_gettype(s[i], NULL, &t, NULL), 0);
		assert_int_equal(t, SOCK_RAW);
		sock_close(s[i]);
	}
}

/*
 * With no hook installed, the default hook prints and aborts, in every
 * build: checked in a child process.
 */
static void
test_default_hook_aborts(void **state)
{
	struct sockaddr_storage a;
	socket_t old;
	int status;
	pid_t pid;

	(void)state;
	old = freed_socket(&a);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		/* Keep the abort's message out of the test's output. */
		if (fd >= 0) {
			dup2(fd, STDERR_FILENO);
		}
		xkpi_set_panic_hook(NULL, NULL);
		(void)sock_isconnected(old);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

/* mbufs */

/* Every mbuf call on a freed mbuf panics once and changes nothing. */
static void
test_mbuf_calls_on_freed_mbuf(void **state)
{
	struct xk_mb_live l0, l1;
	mbuf_t m = NULL, live = NULL, out = (mbuf_t)&l0, old;
	size_t off = 0, tlen = 7;
	uint8_t buf[8];
	void *tag = &l0;
	mbuf_tag_id_t id;

	(void)state;
	assert_int_equal(mbuf_tag_id_find("org.xkpi.test.misuse", &id), 0);
	assert_int_equal(mbuf_gethdr(MBUF_WAITOK, MBUF_TYPE_DATA, &live), 0);
	assert_int_equal(mbuf_gethdr(MBUF_WAITOK, MBUF_TYPE_DATA, &m), 0);
	mbuf_freem(m);
	xk_test_live(&l0);
	old = m;

#define BAD(call, want) do {						\
	assert_int_equal((call), (want));				\
	one_panic("is free");						\
} while (0)
	BAD(mbuf_data(m) == NULL, 1);
	BAD(mbuf_datastart(m) == NULL, 1);
	BAD(mbuf_setdata(m, buf, 1), EINVAL);
	BAD(mbuf_len(m), 0);
	mbuf_setlen(m, 100);
	one_panic("is free");
	BAD(mbuf_adjustlen(m, 1), EINVAL);
	BAD(mbuf_maxlen(m), 0);
	BAD(mbuf_leadingspace(m), 0);
	BAD(mbuf_trailingspace(m), 0);
	BAD(mbuf_next(m) == NULL, 1);
	BAD(mbuf_setnext(m, NULL), EINVAL);
	BAD(mbuf_setnext(live, m), EINVAL);
	assert_null(mbuf_next(live));
	BAD(mbuf_nextpkt(m) == NULL, 1);
	mbuf_setnextpkt(m, live);
	one_panic("is free");
	mbuf_setnextpkt(live, m);
	one_panic("is free");
	assert_null(mbuf_nextpkt(live));
	BAD(mbuf_copydata(m, 0, 1, buf), EINVAL);
	BAD(mbuf_copyback(m, 0, 1, buf, MBUF_WAITOK), EINVAL);
	BAD(mbuf_copym(m, 0, 1, MBUF_WAITOK, &out), EINVAL);
	assert_null(out);
	out = (mbuf_t)&l0;
	BAD(mbuf_dup(m, MBUF_WAITOK, &out), EINVAL);
	assert_null(out);
	BAD(mbuf_prepend(&m, 4, MBUF_WAITOK), EINVAL);
	assert_ptr_equal(m, old);	/* not freed again, not replaced */
	BAD(mbuf_pullup(&m, 4), EINVAL);
	assert_ptr_equal(m, old);
	BAD(mbuf_split(m, 0, MBUF_WAITOK, &out), EINVAL);
	BAD(mbuf_pulldown(m, &off, 4, &out), EINVAL);
	mbuf_adj(m, 1);
	one_panic("is free");
	BAD(mbuf_concatenate(m, NULL) == NULL, 1);
	BAD(mbuf_concatenate(live, m) == NULL, 1);
	assert_null(mbuf_next(live));
	BAD(mbuf_type(m), MBUF_TYPE_FREE);
	BAD(mbuf_settype(m, MBUF_TYPE_DATA), EINVAL);
	BAD(mbuf_flags(m), 0);
	BAD(mbuf_setflags(m, 0), EINVAL);
	BAD(mbuf_setflags_mask(m, 0, MBUF_EOR), EINVAL);
	BAD(mbuf_copy_pkthdr(live, m), EINVAL);
	BAD(mbuf_copy_pkthdr(m, live), EINVAL);
	BAD(mbuf_pkthdr_len(m), 0);
	mbuf_pkthdr_setlen(m, 5);
	one_panic("is free");
	mbuf_pkthdr_adjustlen(m, 5);
	one_panic("is free");
	BAD(mbuf_pkthdr_rcvif(m) == NULL, 1);
	BAD(mbuf_pkthdr_setrcvif(m, NULL), EINVAL);
	BAD(mbuf_pkthdr_header(m) == NULL, 1);
	mbuf_pkthdr_setheader(m, buf);
	one_panic("is free");
	BAD(mbuf_tag_allocate(m, id, 1, 4, MBUF_WAITOK, &tag), EINVAL);
	assert_null(tag);
	BAD(mbuf_tag_find(m, id, 1, &tlen, &tag), EINVAL);
	assert_int_equal(tlen, 0);
	mbuf_tag_free(m, id, 1);
	one_panic("is free");
	BAD(mbuf_mclget(MBUF_WAITOK, MBUF_TYPE_DATA, &m), EINVAL);
	BAD(mbuf_getcluster(MBUF_WAITOK, MBUF_TYPE_DATA, 2048, &m), EINVAL);
	assert_ptr_equal(m, old);
#undef BAD
	xk_test_live(&l1);
	assert_int_equal(l1.mbufs, l0.mbufs);
	assert_int_equal(l1.clusters, l0.clusters);
	assert_int_equal(l1.tags, l0.tags);
	mbuf_freem(live);
}

/* Freeing twice, by each free call, is caught and frees nothing more. */
static void
test_mbuf_double_free(void **state)
{
	struct xk_mb_live l0, l1;
	mbuf_t m, n, keep = NULL;

	(void)state;
	assert_int_equal(mbuf_gethdr(MBUF_WAITOK, MBUF_TYPE_DATA, &keep), 0);
	m = XK_CHAIN(0, 10, 300, 20);
	n = mbuf_next(m);
	mbuf_freem(m);
	xk_test_live(&l0);
	mbuf_freem(m);
	one_panic("already free");
	assert_null(mbuf_free(m));
	one_panic("already free");
	assert_null(mbuf_free(n));	/* the second mbuf of the chain */
	one_panic("already free");
	assert_int_equal(mbuf_freem_list(m), 0);
	one_panic("is free");
	xk_test_live(&l1);
	assert_int_equal(l1.mbufs, l0.mbufs);
	assert_int_equal(l1.clusters, l0.clusters);
	/* The live mbuf was not taken instead. */
	assert_int_equal(mbuf_type(keep), MBUF_TYPE_DATA);
	mbuf_freem(keep);
}

/*
 * A freed mbuf's memory is not handed out again by any number of new
 * allocations, nor by fewer than XK_MB_QUARANTINE later frees; once past
 * the quarantine, in a cache, it still says it is free.
 */
static void
test_freed_mbuf_stays_marked(void **state)
{
	enum { NEW = 2 * XK_MB_QUARANTINE };
	static mbuf_t s[NEW];
	const char *env = getenv("XKPI_MBUF_CACHE");
	bool cache = true;
	mbuf_t old = NULL;

	(void)state;
#ifdef XK_MBUF_NO_CACHE
	cache = false;
#endif
	if (env != NULL && strcmp(env, "0") == 0) {
		cache = false;
	}
	xk_mb_reclaim();
	assert_int_equal(mbuf_get(MBUF_WAITOK, MBUF_TYPE_DATA, &old), 0);
	mbuf_free(old);
	for (int i = 0; i < NEW; i++) {
		assert_int_equal(mbuf_get(MBUF_WAITOK, MBUF_TYPE_DATA, &s[i]),
		    0);
		assert_ptr_not_equal(s[i], old);
	}
	assert_int_equal(mbuf_len(old), 0);
	one_panic("is free");
	for (int i = 0; i < XK_MB_QUARANTINE - 1; i++) {
		mbuf_free(s[i]);
	}
	assert_null(mbuf_data(old));
	one_panic("is free");
	for (int i = XK_MB_QUARANTINE - 1; i < NEW; i++) {
		mbuf_free(s[i]);
	}
	if (cache) {
		/* Pushed out of the quarantine into the cache: still marked. */
		assert_int_equal(mbuf_type(old), MBUF_TYPE_FREE);
		one_panic("is free");
	}
	xk_mb_reclaim();
}

/* A freed chain handed to sock_sendmbuf is not freed a second time. */
static void
test_sendmbuf_freed_chain(void **state)
{
	struct sockaddr_storage a;
	struct xk_mb_live l0, l1;
	size_t n = 9;
	mbuf_t m = NULL;
	socket_t so;

	(void)state;
	so = xk_test_udp(AF_INET, NULL, NULL, &a);
	assert_int_equal(mbuf_gethdr(MBUF_WAITOK, MBUF_TYPE_DATA, &m), 0);
	mbuf_freem(m);
	xk_test_live(&l0);
	assert_int_equal(sock_sendmbuf(so, NULL, m, 0, &n), EINVAL);
	one_panic("is free");
	assert_int_equal(n, 0);
	xk_test_live(&l1);
	assert_int_equal(l1.mbufs, l0.mbufs);
	sock_close(so);
}

/* iovecs */

static void
msg_init(struct msghdr *msg, struct iovec *iov, size_t n,
    struct sockaddr_storage *to)
{
	memset(msg, 0, sizeof(*msg));
	msg->msg_iov = iov;
	msg->msg_iovlen = n;
	msg->msg_name = to;
	msg->msg_namelen = to != NULL ? sizeof(*to) : 0;
}

/* A NULL base under a length is a bad address: EFAULT, nothing sent. */
static void
test_send_null_iov_base_efault(void **state)
{
	struct sockaddr_storage a;
	struct msghdr msg;
	struct iovec iov[2];
	uint8_t buf[16];
	size_t n = 77;
	socket_t so;

	(void)state;
	so = xk_test_udp(AF_INET, NULL, NULL, &a);
	iov[0].iov_base = buf;
	iov[0].iov_len = 4;
	iov[1].iov_base = NULL;
	iov[1].iov_len = 8;
	msg_init(&msg, iov, 2, &a);
	assert_int_equal(sock_send(so, &msg, 0, &n), EFAULT);
	assert_int_equal(n, 0);
	iov[0].iov_base = NULL;
	iov[1].iov_base = buf;
	assert_int_equal(sock_send(so, &msg, 0, &n), EFAULT);
	assert_int_equal(xk_test_recv(so, buf, sizeof(buf), MSG_DONTWAIT, &n),
	    EWOULDBLOCK);
	/* A NULL base with no length is fine. */
	xk_pattern_fill(buf, 0, 4);
	iov[0].iov_base = buf;
	iov[0].iov_len = 4;
	iov[1].iov_base = NULL;
	iov[1].iov_len = 0;
	assert_int_equal(sock_send(so, &msg, 0, &n), 0);
	assert_int_equal(n, 4);
	xk_test_await_nread(so, 4);
	assert_int_equal(xk_test_recv(so, buf, sizeof(buf), MSG_DONTWAIT, &n),
	    0);
	assert_int_equal(n, 4);
	xk_test_check_pattern(buf, 4, 0);
	sock_close(so);
}

/* The receive side: EFAULT, not a write through NULL; data stays. */
static void
test_receive_null_iov_base_efault(void **state)
{
	struct sockaddr_storage a;
	struct msghdr msg;
	struct iovec iov[2];
	uint8_t buf[16];
	size_t n = 77;
	socket_t so;

	(void)state;
	so = xk_test_udp(AF_INET, NULL, NULL, &a);
	xk_test_send_ok(so, &a, 12, 0);
	xk_test_await_nread(so, 12);
	iov[0].iov_base = buf;
	iov[0].iov_len = 2;
	iov[1].iov_base = NULL;
	iov[1].iov_len = 10;
	msg_init(&msg, iov, 2, NULL);
	assert_int_equal(sock_receive(so, &msg, MSG_DONTWAIT, &n), EFAULT);
	assert_int_equal(n, 0);
	assert_int_equal(xk_test_recv(so, buf, sizeof(buf), MSG_DONTWAIT, &n),
	    0);
	assert_int_equal(n, 12);
	xk_test_check_pattern(buf, 12, 0);
	sock_close(so);
}

/*
 * More than UIO_MAXIOV (1024) iovecs: EMSGSIZE, without reading past the
 * caller's array (a million entries over an array of two); 1024 work.
 */
static void
test_iovlen_over_uio_maxiov(void **state)
{
	enum { MAXIOV = 1024 };
	static struct iovec iov[MAXIOV + 1];
	static uint8_t buf[MAXIOV + 1];
	struct sockaddr_storage a;
	struct msghdr msg;
	size_t n = 77;
	socket_t so;

	(void)state;
	so = xk_test_udp(AF_INET, NULL, NULL, &a);
	xk_pattern_fill(buf, 0, sizeof(buf));
	for (int i = 0; i <= MAXIOV; i++) {
		iov[i].iov_base = &buf[i];
		iov[i].iov_len = 1;
	}
	msg_init(&msg, iov, MAXIOV + 1, &a);
	assert_int_equal(sock_send(so, &msg, 0, &n), EMSGSIZE);
	assert_int_equal(n, 0);
	msg.msg_iovlen = 1000000;
	assert_int_equal(sock_send(so, &msg, 0, &n), EMSGSIZE);
	msg.msg_iovlen = MAXIOV;
	assert_int_equal(sock_send(so, &msg, 0, &n), 0);
	assert_int_equal(n, MAXIOV);
	xk_test_await_nread(so, MAXIOV);
	memset(buf, 0, sizeof(buf));
	msg_init(&msg, iov, MAXIOV + 1, NULL);
	assert_int_equal(sock_receive(so, &msg, MSG_DONTWAIT, &n), EMSGSIZE);
	assert_int_equal(n, 0);
	msg.msg_iovlen = 1000000;
	assert_int_equal(sock_receive(so, &msg, MSG_DONTWAIT, &n), EMSGSIZE);
	msg.msg_iovlen = MAXIOV;
	assert_int_equal(sock_receive(so, &msg, MSG_DONTWAIT, &n), 0);
	assert_int_equal(n, MAXIOV);
	xk_test_check_pattern(buf, MAXIOV, 0);
	sock_close(so);
}

/* mbuf_limit_bytes */

/*
 * mbufs and clusters together stay within the configured bytes: past
 * them every allocation fails with the mbuf KPI's errno and is counted
 * (mbuf.limit, and mbuf.drops as every failed allocation); what is
 * freed, quarantined or cached, serves again.
 */
static void
test_mbuf_limit_bytes(void **state)
{
	enum { LIMIT = 64 * 1024, MAXN = LIMIT / XK_MSIZE };
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "mem",
	    .mbuf_limit_bytes = LIMIT);
	static mbuf_t s[MAXN + 1];
	uint64_t lim0, drops0;
	mbuf_t c = NULL;
	int n = 0;

	(void)state;
	xk_test_restart_after();
	xkpi_shutdown();
	assert_int_equal(xkpi_init(&cfg), 0);
	lim0 = xk_test_stat("mbuf.limit");
	drops0 = xk_test_stat("mbuf.drops");
	while (n <= MAXN && mbuf_get(MBUF_DONTWAIT, MBUF_TYPE_DATA,
	    &s[n]) == 0) {
		n++;
	}
	/* The library itself holds next to nothing at rest. */
	assert_true(n <= MAXN);
	assert_true(n >= MAXN - 8);
	assert_int_equal(xk_test_stat("mbuf.limit"), lim0 + 1);
	assert_int_equal(xk_test_stat("mbuf.drops"), drops0 + 1);
	assert_int_equal(mbuf_get(MBUF_WAITOK, MBUF_TYPE_DATA, &c), ENOMEM);
	assert_int_equal(mbuf_getpacket(MBUF_DONTWAIT, &c), EWOULDBLOCK);
	assert_null(c);
	assert_int_equal(xk_test_stat("mbuf.limit"), lim0 + 3);
	/* Freed mbufs wait in the quarantine: a cluster still fits. */
	for (int i = 0; i < 16; i++) {
		mbuf_free(s[--n]);
	}
	assert_int_equal(mbuf_getcluster(MBUF_WAITOK, MBUF_TYPE_DATA, 2048,
	    &c), 0);
	s[n] = NULL;
	assert_int_equal(mbuf_getcluster(MBUF_WAITOK, MBUF_TYPE_DATA, 16384,
	    &s[n]), ENOMEM);
	assert_null(s[n]);
	mbuf_freem(c);
	while (n > 0) {
		mbuf_free(s[--n]);
	}
	/* Everything back: a 16 KB cluster fits again. */
	c = NULL;
	assert_int_equal(mbuf_getcluster(MBUF_WAITOK, MBUF_TYPE_DATA, 16384,
	    &c), 0);
	mbuf_freem(c);
}

/* Misaligned socket addresses (UBSan's misaligned-access check). */

/* Copies @sa to one byte past an aligned buffer; returns that address. */
static const struct sockaddr *
misalign(unsigned char *buf, const void *sa, size_t len)
{
	memcpy(buf + 1, sa, len);
	return (const struct sockaddr *)(const void *)(buf + 1);
}

/* The destination address of the last packet captured on @ifname. */
static void
captured_dst(const char *ifname, int family, void *dst)
{
	_Alignas(8) uint8_t pkt[256];
	size_t len = 0;

	assert_int_equal(xkpi_mem_capture(ifname, pkt, sizeof(pkt), &len), 0);
	if (family == AF_INET) {
		assert_true(len >= sizeof(struct ip));
		memcpy(dst, &((struct ip *)(void *)pkt)->ip_dst,
		    sizeof(struct in_addr));
	} else {
		assert_true(len >= sizeof(struct ip6_hdr));
		memcpy(dst, &((struct ip6_hdr *)(void *)pkt)->ip6_dst,
		    sizeof(struct in6_addr));
	}
}

static void
test_misaligned_sockaddr(void **state)
{
	_Alignas(16) unsigned char buf[sizeof(struct sockaddr_storage) + 1];
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	struct sockaddr_storage a;
	struct in6_addr d6, local6;
	struct in_addr d4, local4;
	struct msghdr msg;
	struct iovec iov;
	uint8_t data[8] = { 0 };
	size_t n;
	socket_t r4, r6, u;

	(void)state;
	xkpi_mem_reset();
	local4 = xk_test_a4("10.61.0.1");
	local6 = xk_test_a6("fd00:61::1");
	assert_int_equal(xkpi_mem_vif_create("mis0", 1500, NULL), 0);
	assert_int_equal(xkpi_mem_vif_addaddr("mis0", AF_INET, &local4, 24),
	    0);
	assert_int_equal(xkpi_mem_vif_addaddr("mis0", AF_INET6, &local6, 64),
	    0);
	iov.iov_base = data;
	iov.iov_len = sizeof(data);

	/* Raw IPv4: bind, connect, send to an address read right. */
	assert_int_equal(sock_socket(PF_INET, SOCK_RAW, PROTO_EXP, NULL, NULL,
	    &r4), 0);
	sin.sin_addr = local4;
	assert_int_equal(sock_bind(r4, misalign(buf, &sin, sizeof(sin))), 0);
	sin.sin_addr = xk_test_a4("10.61.0.2");
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_name = (void *)(uintptr_t)misalign(buf, &sin, sizeof(sin));
	msg.msg_namelen = sizeof(sin);
	assert_int_equal(sock_send(r4, &msg, 0, &n), 0);
	captured_dst("mis0", AF_INET, &d4);
	assert_int_equal(d4.s_addr, sin.sin_addr.s_addr);
	sin.sin_addr = xk_test_a4("10.61.0.3");
	assert_int_equal(sock_connect(r4, misalign(buf, &sin, sizeof(sin)), 0),
	    0);
	msg.msg_name = NULL;
	msg.msg_namelen = 0;
	assert_int_equal(sock_send(r4, &msg, 0, &n), 0);
	captured_dst("mis0", AF_INET, &d4);
	assert_int_equal(d4.s_addr, sin.sin_addr.s_addr);
	sock_close(r4);

	/* Raw IPv6, the same. */
	assert_int_equal(sock_socket(PF_INET6, SOCK_RAW, PROTO_EXP, NULL, NULL,
	    &r6), 0);
	sin6.sin6_addr = local6;
	assert_int_equal(sock_bind(r6, misalign(buf, &sin6, sizeof(sin6))), 0);
	sin6.sin6_addr = xk_test_a6("fd00:61::2");
	msg.msg_name = (void *)(uintptr_t)misalign(buf, &sin6, sizeof(sin6));
	msg.msg_namelen = sizeof(sin6);
	assert_int_equal(sock_send(r6, &msg, 0, &n), 0);
	captured_dst("mis0", AF_INET6, &d6);
	assert_memory_equal(&d6, &sin6.sin6_addr, sizeof(d6));
	sin6.sin6_addr = xk_test_a6("fd00:61::3");
	assert_int_equal(sock_connect(r6, misalign(buf, &sin6, sizeof(sin6)),
	    0), 0);
	msg.msg_name = NULL;
	msg.msg_namelen = 0;
	assert_int_equal(sock_send(r6, &msg, 0, &n), 0);
	captured_dst("mis0", AF_INET6, &d6);
	assert_memory_equal(&d6, &sin6.sin6_addr, sizeof(d6));
	sock_close(r6);

	/* A host datagram socket: the family is read from the address. */
	u = xk_test_udp(AF_INET, NULL, NULL, &a);
	msg.msg_name = (void *)(uintptr_t)misalign(buf, &a, sizeof(sin));
	msg.msg_namelen = sizeof(sin);
	assert_int_equal(sock_send(u, &msg, 0, &n), 0);
	assert_int_equal(n, sizeof(data));
	xk_test_await_nread(u, sizeof(data));
	assert_int_equal(sock_connect(u, misalign(buf, &a, sizeof(sin)), 0),
	    0);
	sock_close(u);
	xkpi_mem_reset();
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_send_after_close_and_free),
		T(test_every_call_on_freed_socket),
		T(test_every_call_on_closed_socket),
		T(test_double_close),
		T(test_double_close_retained),
		T(test_stale_socket_after_many_new_ones),
		T(test_default_hook_aborts),
		T(test_mbuf_calls_on_freed_mbuf),
		T(test_mbuf_double_free),
		T(test_freed_mbuf_stays_marked),
		T(test_sendmbuf_freed_chain),
		T(test_send_null_iov_base_efault),
		T(test_receive_null_iov_base_efault),
		T(test_iovlen_over_uio_maxiov),
		T(test_mbuf_limit_bytes),
		T(test_misaligned_sockaddr),
	};

	return cmocka_run_group_tests_name("misuse", tests, NULL,
	    xk_test_sock_group_teardown);
}
