/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Helpers shared by the cmocka unit tests: a setup and a teardown that
 * prove every test leaves nothing alive, packet builders and checkers
 * that work through the public mbuf KPI only, and, for the socket tests,
 * fixtures that also wait for closed sockets to go, loopback sockets made
 * through the KPI, bounded waits, recording upcalls and a panic catcher;
 * and counters by name.
 */
#ifndef _XK_TESTS_LIB_XK_TEST_H_
#define _XK_TESTS_LIB_XK_TEST_H_

/* cmocka.h needs these first. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/kpi_mbuf.h>

/*
 * Per-test fixtures.  xk_test_setup() turns fault injection off and
 * records what is alive; xk_test_teardown() turns injection off, puts
 * the pool bounds back to their defaults and fails unless no mbuf,
 * cluster or tag is alive.  (If an earlier test failed half-way, cmocka
 * has skipped its frees: later tests then check they add nothing.)
 */
int	xk_test_setup(void **state);
int	xk_test_teardown(void **state);

/*
 * What the running test holds: xk_mb_live() less what was alive when it
 * started (nothing, unless an earlier test failed half-way).  Counts are
 * uint64_t, as in struct xk_mb_live.
 */
struct xk_mb_live;
void	xk_test_live(struct xk_mb_live *out);

/* The byte every builder writes at packet offset @off. */
static inline uint8_t
xk_pattern(size_t off)
{
	return ((uint8_t)(off * 7 + 3));
}

/* Writes the pattern of packet offsets [@off, @off + @len) to @buf. */
void	xk_pattern_fill(void *buf, size_t off, size_t len);

/* Flags of xk_chain_new(). */
#define XK_CHAIN_CLUSTERS	0x1	/* every segment in a cluster */
#define XK_CHAIN_NOPKTHDR	0x2	/* first mbuf without packet header */

/*
 * Builds a chain of @nseg mbufs holding @lens[i] bytes each, filled with
 * the pattern from packet offset 0.  A segment lives in a small mbuf when
 * it fits one, else in the smallest cluster that holds it (at most
 * 16384).  Data starts at the beginning of each buffer.  The first mbuf
 * carries a packet header whose length is the sum of @lens, unless
 * XK_CHAIN_NOPKTHDR.  Fails the test if an allocation fails.
 */
mbuf_t	xk_chain_new(const size_t *lens, size_t nseg, unsigned int flags);

/* Convenience: xk_chain_new() from a literal list of lengths. */
#define XK_CHAIN(flags, ...) \
	xk_chain_new((const size_t[]){ __VA_ARGS__ }, \
	    sizeof((const size_t[]){ __VA_ARGS__ }) / sizeof(size_t), (flags))

/* Sum of mbuf_len() over the mbuf_next() chain. */
size_t	xk_chain_len(mbuf_t m);

/* Number of mbufs in the mbuf_next() chain. */
size_t	xk_chain_count(mbuf_t m);

/*
 * Fails the test unless the @len bytes at chain offset @off, read with
 * mbuf_copydata(), equal the pattern of packet offsets starting at
 * @patoff.  The message names the first wrong byte.
 */
void	xk_chain_check_at(mbuf_t m, size_t off, size_t len, size_t patoff);

/* The usual case: chain offset and pattern offset agree. */
#define xk_chain_check(m, off, len) \
	xk_chain_check_at((m), (off), (len), (off))


/*
 * Socket tests.
 *
 * xk_test_sock_setup() does what xk_test_setup() does, makes sure the
 * library runs, installs the panic catcher and records the calling thread
 * as the test's main thread.  xk_test_sock_teardown() waits (at most
 * XK_TEST_CLOSE_MS) for the loop thread to detach every closed socket,
 * then fails, naming what is left, unless no socket, mbuf, cluster or tag
 * is alive, no panic went uncollected (xk_test_panic_take()) and every
 * upcall seen by the recorders below ran off the main thread with
 * waitf == MBUF_DONTWAIT.  After a leak it shuts the library down, so the
 * next test starts from nothing.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <sys/kpi_socket.h>

#include "core/ip_var.h"
#include <xkpi.h>

/*
 * The liveness bound: the longest a test waits for an event it needs (a
 * datagram, an upcall, a socket detaching, the kernel's answer) before
 * it fails.  Every wait ends as soon as its condition holds, so the bound
 * is no guess at speed: it only has to outlast a loaded machine.
 * XK_TEST_LIVENESS_MS in the environment replaces it (the fault-injection
 * runs shorten it: there most waits are for what a fault prevented).
 * Tests use it through these names, or xk_test_liveness_ms() itself.
 */
#define XK_TEST_LIVENESS_DEFAULT_MS	20000
int	xk_test_liveness_ms(void);
#define XK_TEST_WAIT_MS		xk_test_liveness_ms()	/* xk_test_await*() */
#define XK_TEST_CLOSE_MS	xk_test_liveness_ms()	/* sockets detached */

/*
 * Polls @cond(@arg) every millisecond until it holds, at most
 * @timeout_ms; whether it held.  xk_test_await_until() fails the test
 * (naming @what) when it did not hold within the liveness bound.
 */
bool	xk_test_wait_until(bool (*cond)(void *), void *arg, int timeout_ms);
void	xk_test_await_until(bool (*cond)(void *), void *arg,
	    const char *what);

int	xk_test_sock_setup(void **state);
int	xk_test_sock_teardown(void **state);
/* Group teardown: xkpi_shutdown(), so leak checkers see nothing running. */
int	xk_test_sock_group_teardown(void **state);

/*
 * For tests that change the library's configuration: the teardown shuts
 * the library down whatever happens, so the next test starts it afresh
 * with the defaults.
 */
void	xk_test_restart_after(void);

/* Monotonic clock in microseconds; sleep in milliseconds. */
int64_t	xk_test_now_us(void);
void	xk_test_sleep_ms(int ms);

/* Whether the calling thread is the one that ran xk_test_sock_setup(). */
bool	xk_test_on_main(void);

/*
 * Bounded waits.  xk_test_wait_*() return whether the condition held
 * before @timeout_ms; xk_test_await*() fail the test (naming @what)
 * when it did not hold within XK_TEST_WAIT_MS.
 */
bool	xk_test_wait_atomic(atomic_int *c, int atleast, int timeout_ms);
void	xk_test_await(atomic_int *c, int atleast, const char *what);
bool	xk_test_wait_bits(atomic_uint *v, unsigned int bits, int timeout_ms);
void	xk_test_await_bits(atomic_uint *v, unsigned int bits,
	    const char *what);
/* FIONREAD of @so reaches @atleast bytes. */
void	xk_test_await_nread(socket_t so, int atleast);
/* Polls until xk_so_count() is at most @n; returns the last count. */
int	xk_test_wait_sockets(int n, int timeout_ms);

/*
 * Returns once every loop-thread callback queued before the call has
 * run: a socket of its own sends itself a datagram and waits for its
 * read upcall (the loop runs its callbacks in order).  Used before
 * checking that something did not happen.
 */
void	xk_test_loop_barrier(void);

/*
 * Waits until some thread is blocked inside a KPI call on @so (a
 * synchronisation aid for "closed while waiting" tests: it peeks at the
 * engine's waiter count, asserts nothing about it).
 */
void	xk_test_await_blocked(socket_t so);
bool	xk_test_blocked(socket_t so);

/*
 * Recording upcall: cookie is a struct xk_test_upcall.  Counts calls,
 * remembers the last socket, and (globally, checked by the teardown)
 * counts calls with waitf != MBUF_DONTWAIT and calls on the main thread.
 */
struct xk_test_upcall {
	atomic_int	calls;
	_Atomic(socket_t) last_so;
};
void	xk_test_upcall_cb(socket_t so, void *cookie, int waitf);
/* For custom upcalls: records waitf and thread like xk_test_upcall_cb. */
void	xk_test_upcall_check(int waitf);

/* Recording event callback: cookie is a struct xk_test_events. */
struct xk_test_events {
	atomic_int	calls;
	atomic_uint	all;		/* OR of every event value */
	atomic_uint	first;		/* the first value delivered */
	atomic_int	zero;		/* calls with event == 0 */
};
void	xk_test_event_cb(socket_t so, void *cookie, uint32_t event);

/*
 * The panic catcher (installed by xk_test_sock_setup()): counts panics
 * and keeps the last message.  xk_test_panic_take() returns the count
 * and clears it; the teardown fails if any panic was not taken.
 */
void	xk_test_panic_catch(void);
int	xk_test_panic_count(void);
const char *xk_test_panic_msg(void);
int	xk_test_panic_take(void);

/*
 * The log recorder: xk_test_log_keep() forgets what it kept before and
 * installs a log hook that keeps the library's messages, one a line, as
 * many as fit in 4 kB; xk_test_log_kept() puts the default hook back and
 * returns them.
 */
void	xk_test_log_keep(void);
const char *xk_test_log_kept(void);

/*
 * Loopback addresses: 127.0.0.1 or ::1 with @port (host order), or for
 * AF_UNIX a fresh abstract name.  Returns the length.
 */
socklen_t xk_test_addr(int family, uint16_t port, struct sockaddr_storage *ss);
uint16_t xk_test_port(const struct sockaddr_storage *ss);
/* The address written @s; fails the test unless @s is one. */
struct in_addr xk_test_a4(const char *s);
struct in6_addr xk_test_a6(const char *s);

/*
 * A datagram socket bound to an ephemeral loopback port (AF_UNIX: an
 * abstract name), with @cb installed as sock_socket() installs it; its
 * address in *@addr (may be NULL).
 */
socket_t xk_test_udp(int family, sock_upcall cb, void *cookie,
	    struct sockaddr_storage *addr);
/* A stream socket listening on an ephemeral loopback port. */
socket_t xk_test_listener(int family, int backlog,
	    struct sockaddr_storage *addr);
/*
 * Accepts with MSG_DONTWAIT until a connection comes, at most
 * XK_TEST_WAIT_MS; @flags is ORed in.  Fails the test on timeout.
 */
socket_t xk_test_accept(socket_t l, int flags, sock_upcall cb, void *cookie);
/*
 * A connected stream pair through the KPI: listener, sock_connect,
 * sock_connectwait, sock_accept; the listener is closed.
 */
void	xk_test_tcp_pair(int family, socket_t *client, socket_t *server);

/* Sends @len pattern bytes from pattern offset @patoff; returns errno. */
errno_t	xk_test_send(socket_t so, const struct sockaddr_storage *to,
	    size_t len, size_t patoff);
/* Same, failing the test unless it succeeds with sentlen == @len. */
void	xk_test_send_ok(socket_t so, const struct sockaddr_storage *to,
	    size_t len, size_t patoff);
/* One sock_receive into @buf; *@got is recvdlen; returns errno. */
errno_t	xk_test_recv(socket_t so, void *buf, size_t len, int flags,
	    size_t *got);
/* Fails unless @buf holds the pattern from offset @patoff. */
void	xk_test_check_pattern(const void *buf, size_t len, size_t patoff);
/* Sets SO_RCVTIMEO. */
void	xk_test_rcvtimeo(socket_t so, int ms);

/* The engine's packet counters, read under its lock. */
struct xk_ip_stats xk_test_ipstat(void);

/*
 * Raw packets over the mem backend.  xk_test_inject() injects @pkt on
 * @ifname, fails the test unless mem takes it, and waits (at most
 * XK_TEST_WAIT_MS) until the engine has counted an IPv4 or IPv6 packet
 * more, then for the event loop (xk_test_loop_barrier()).
 * xk_test_recv1() reads one datagram now (MSG_DONTWAIT) into @buf, and
 * its address into @from (@fromlen bytes, first filled with 0xee) when
 * @from is not NULL; it returns the datagram's length, or -1 when none
 * is queued.  xk_test_send1() sends @len bytes of @buf with sock_send(),
 * to @to (@tolen bytes) when @to is not NULL, and returns its errno.
 */
void	xk_test_inject(const char *ifname, const void *pkt, size_t len);
/*
 * An IPv4 packet in network form at @buf: a 20-byte header from @src to
 * @dst, protocol @proto, IP id @id, TTL 9, its checksum made, and @plen
 * payload bytes of the pattern (xk_pattern_fill); returns its length.
 */
size_t	xk_test_pkt4(uint8_t *buf, const char *src, const char *dst,
	    uint8_t proto, size_t plen, uint16_t id);
ssize_t	xk_test_recv1(socket_t so, void *buf, size_t cap, void *from,
	    socklen_t fromlen);
errno_t	xk_test_send1(socket_t so, const void *buf, size_t len,
	    const void *to, socklen_t tolen);

/*
 * Held packets without an intercepting backend.  xk_test_held_install()
 * gives the engine's backend a copy of its ops whose be_verdict records
 * each verdict in xk_test_verdicts[] (xk_test_nverdicts of them, set to
 * 0; at most XK_TEST_MAXVERDICTS, with at most 256 bytes of a packet
 * that comes with one, else the test fails) and frees the packet; it
 * returns the copy, for a test to change other ops.  While
 * xk_test_verdict_enoent is true (it is set false) the recorder records
 * nothing and answers ENOENT, as a backend whose hold expired.
 * xk_test_held_restore() puts the backend's own ops back.
 * xk_test_held_input() hands @pkt to the engine's receive entry as the
 * host's packet @hold, in on (or, @out, out of) interface @ifindex, as
 * nfqueue hands packets over.
 */
#define XK_TEST_MAXVERDICTS	16

struct xk_test_verdict {
	uint64_t	hold;
	int		verdict;	/* enum xk_verdict */
	size_t		len;		/* of the new bytes; 0: none */
	uint8_t		bytes[256];
};

extern struct xk_test_verdict xk_test_verdicts[XK_TEST_MAXVERDICTS];
extern unsigned int xk_test_nverdicts;
extern bool xk_test_verdict_enoent;

struct xk_backend_ops;
struct xk_backend_ops *xk_test_held_install(void);
void	xk_test_held_restore(void);
void	xk_test_held_input(uint32_t ifindex, const void *pkt, size_t len,
	    uint64_t hold, bool out);

/*
 * Counters of xkpi_stats() by name.  xk_test_stat_find() returns whether
 * the counter @name is listed, and its value in *@value (when @value is
 * not NULL and it is).  xk_test_stat() returns its value and fails the
 * test when it is not listed.  Both fail the test when xkpi_stats() fails
 * or lists @name more than once (it calls its function once a counter).
 */
bool	xk_test_stat_find(const char *name, uint64_t *value);
uint64_t xk_test_stat(const char *name);

#endif /* _XK_TESTS_LIB_XK_TEST_H_ */
