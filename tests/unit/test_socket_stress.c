/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A threading stress test of the socket KPI, bounded in count and time:
 * several threads each create and close loopback UDP and TCP sockets with
 * upcalls, send and receive through them, retain and release them, and
 * close them from the thread while upcalls run and from inside their own
 * upcalls.  It checks that every datagram and byte whose send succeeded
 * arrived (unless its socket was closed on purpose while they flowed, in
 * which case the loss is counted, not checked), that nothing leaks (the
 * teardown), and that no panic was raised.  Meant to run under
 * ThreadSanitizer and valgrind as well.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#include "tests/lib/xk_test.h"

#define NTHREADS	4
#define NITERS		200
#define NDGRAMS		4	/* datagrams per UDP iteration */
#define TCP_EVERY	4	/* one TCP iteration in this many */
#define TCP_BYTES	3000
#define TIME_LIMIT_MS	60000	/* per thread; the loop stops early */
#define WAIT_MS		XK_TEST_WAIT_MS	/* any single wait */
#define HDR		32	/* datagram length = HDR + sequence */

/* What a receiving socket's upcall sees. */
struct rx_ctx {
	atomic_int	calls;
	atomic_int	datagrams;
	atomic_int	bytes;
	atomic_int	bad;		/* wrong length or content */
	int		close_at;	/* > 0: upcall closes after that many */
	atomic_int	closing;	/* whoever turns it 0 -> 1 closes */
	atomic_int	closed;		/* the upcall closed the socket */
	bool		stream;
};

struct thread_result {
	int	id;
	int	iters;
	long	acked;		/* datagrams whose send succeeded, checked */
	long	arrived;
	long	lost_to_close;	/* sent to sockets closed while flowing */
	long	tcp_sent;
	long	tcp_arrived;
	int	failures;
	char	first_failure[256];
};

#define FAIL(r, ...) do {						\
	if ((r)->failures++ == 0) {					\
		snprintf((r)->first_failure,				\
		    sizeof((r)->first_failure), __VA_ARGS__);		\
	}								\
} while (0)

static bool
check_payload(mbuf_t m, size_t len)
{
	uint8_t buf[HDR + NDGRAMS];
	size_t patoff;

	if (len < HDR || len >= HDR + NDGRAMS) {
		return (false);
	}
	patoff = len - HDR;
	if (mbuf_copydata(m, 0, len, buf) != 0) {
		return (false);
	}
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != xk_pattern(patoff + i)) {
			return (false);
		}
	}
	return (true);
}

static void
rx_cb(socket_t so, void *cookie, int waitf)
{
	struct rx_ctx *c = cookie;
	int zero = 0;

	xk_test_upcall_check(waitf);
	atomic_fetch_add(&c->calls, 1);
	for (;;) {
		size_t len = 1000000000;
		mbuf_t m = NULL;

		if (sock_receivembuf(so, NULL, &m, MSG_DONTWAIT, &len) != 0) {
			break;
		}
		if (len == 0) {
			mbuf_freem(m);	/* end of stream: nothing more */
			break;
		}
		if (c->stream) {
			atomic_fetch_add(&c->bytes, (int)len);
		} else {
			if (!check_payload(m, len) ||
			    xk_chain_len(m) != len) {
				atomic_fetch_add(&c->bad, 1);
			}
			atomic_fetch_add(&c->datagrams, 1);
		}
		mbuf_freem(m);
	}
	if (c->close_at > 0 && atomic_load(&c->datagrams) >= c->close_at &&
	    atomic_compare_exchange_strong(&c->closing, &zero, 1)) {
		sock_close(so);
		atomic_store(&c->closed, 1);	/* last touch of the socket */
	}
}

static socket_t
mk_udp(sock_upcall cb, void *ctx, struct sockaddr_storage *a)
{
	socket_t so = NULL;

	if (sock_socket(PF_INET, SOCK_DGRAM, IPPROTO_UDP, cb, ctx, &so) !=
	    0) {
		return (NULL);
	}
	xk_test_addr(AF_INET, 0, a);
	if (sock_bind(so, (struct sockaddr *)a) != 0 ||
	    sock_getsockname(so, (struct sockaddr *)a, sizeof(*a)) != 0) {
		sock_close(so);
		return (NULL);
	}
	return (so);
}

/* Datagram @seq: HDR + seq bytes of pattern from offset seq. */
static errno_t
send_dgram(socket_t tx, const struct sockaddr_storage *to, int seq,
    bool as_mbuf)
{
	uint8_t buf[HDR + NDGRAMS];
	size_t len = HDR + (size_t)seq, sent = 0;
	struct msghdr msg;
	struct iovec iov;
	errno_t error;

	xk_pattern_fill(buf, (size_t)seq, len);
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = (void *)(uintptr_t)to;
	msg.msg_namelen = sizeof(*to);
	if (as_mbuf) {
		mbuf_t m = NULL;

		if ((error = mbuf_gethdr(MBUF_WAITOK, MBUF_TYPE_DATA, &m)) !=
		    0) {
			return (error);
		}
		if ((error = mbuf_copyback(m, 0, len, buf, MBUF_WAITOK)) !=
		    0) {
			mbuf_freem(m);
			return (error);
		}
		error = sock_sendmbuf(tx, &msg, m, 0, &sent);
	} else {
		iov.iov_base = buf;
		iov.iov_len = len;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		error = sock_send(tx, &msg, 0, &sent);
	}
	if (error == 0 && sent != len) {
		return (EMSGSIZE);	/* reported as a failure */
	}
	return (error);
}

/* Closes @so unless its upcall already did (or does). */
static void
close_once(socket_t so, struct rx_ctx *c)
{
	int zero = 0;

	if (atomic_compare_exchange_strong(&c->closing, &zero, 1)) {
		sock_close(so);
	} else {
		(void)xk_test_wait_atomic(&c->closed, 1, WAIT_MS);
	}
}

/*
 * One UDP iteration.  Variants: 0 closed by the thread once everything
 * arrived; 1 closed by its own upcall after the last datagram; 2
 * retained, closed while data flows, released once everything arrived;
 * 3 closed by the thread right after sending, while upcalls run.
 */
static void
udp_iteration(struct thread_result *r, socket_t tx, int variant)
{
	struct sockaddr_storage a;
	struct rx_ctx c;
	socket_t rx;
	int acked = 0;

	memset(&c, 0, sizeof(c));
	c.close_at = variant == 1 ? NDGRAMS : 0;
	if ((rx = mk_udp(rx_cb, &c, &a)) == NULL) {
		FAIL(r, "udp socket");
		return;
	}
	if (variant == 2) {
		sock_retain(rx);
	}
	for (int seq = 0; seq < NDGRAMS; seq++) {
		errno_t error = send_dgram(tx, &a, seq, (seq & 1) != 0);

		if (error == 0) {
			acked++;
		} else {
			FAIL(r, "send %d: %d", seq, error);
		}
		if (variant == 2 && seq == 1) {
			sock_close(rx);	/* the retain keeps it open */
		}
	}
	switch (variant) {
	case 0:
	case 2:
		if (!xk_test_wait_atomic(&c.datagrams, acked, WAIT_MS)) {
			FAIL(r, "variant %d: %d of %d datagrams", variant,
			    atomic_load(&c.datagrams), acked);
		}
		r->acked += acked;
		r->arrived += atomic_load(&c.datagrams);
		if (variant == 0) {
			close_once(rx, &c);
		} else {
			sock_release(rx);
		}
		break;
	case 1:
		if (!xk_test_wait_atomic(&c.closed, 1, WAIT_MS)) {
			FAIL(r, "variant 1: not closed by the upcall (%d of "
			    "%d datagrams)", atomic_load(&c.datagrams), acked);
			close_once(rx, &c);
		}
		r->acked += acked;
		r->arrived += atomic_load(&c.datagrams);
		break;
	default:
		close_once(rx, &c);
		/* Once sock_close returned, no upcall touches `c`. */
		r->lost_to_close += acked - atomic_load(&c.datagrams);
		break;
	}
	if (atomic_load(&c.bad) != 0) {
		FAIL(r, "variant %d: %d bad datagrams", variant,
		    atomic_load(&c.bad));
	}
}

/* One TCP iteration: connect to the thread's listener, stream, close. */
static void
tcp_iteration(struct thread_result *r, socket_t l,
    const struct sockaddr_storage *la, int n)
{
	struct timeval tv = { WAIT_MS / 1000, 0 };
	struct rx_ctx cc, sc;
	socket_t c = NULL, s = NULL;
	int64_t deadline;
	errno_t error;
	uint8_t buf[TCP_BYTES];
	int sent = 0;

	memset(&cc, 0, sizeof(cc));
	memset(&sc, 0, sizeof(sc));
	cc.stream = sc.stream = true;
	if (sock_socket(PF_INET, SOCK_STREAM, IPPROTO_TCP, rx_cb, &cc, &c) !=
	    0) {
		FAIL(r, "tcp socket");
		return;
	}
	error = sock_connect(c, (const struct sockaddr *)la, MSG_DONTWAIT);
	if ((error != 0 && error != EINPROGRESS) ||
	    (error = sock_connectwait(c, &tv)) != 0) {
		FAIL(r, "connect: %d", error);
		close_once(c, &cc);
		return;
	}
	deadline = xk_test_now_us() + (int64_t)WAIT_MS * 1000;
	while ((error = sock_accept(l, NULL, 0, MSG_DONTWAIT, rx_cb, &sc,
	    &s)) == EWOULDBLOCK && xk_test_now_us() < deadline) {
		xk_test_sleep_ms(1);
	}
	if (error != 0) {
		FAIL(r, "accept: %d", error);
		close_once(c, &cc);
		return;
	}
	if (n % 2 == 0) {
		/* Retained: closed half-way, released at the end. */
		sock_retain(s);
	}
	xk_pattern_fill(buf, 0, sizeof(buf));
	for (int part = 0; part < 3; part++) {
		struct iovec iov = { buf + part * 1000, 1000 };
		struct msghdr msg;
		size_t done = 0;

		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		if ((error = sock_send(s, &msg, 0, &done)) != 0 ||
		    done != 1000) {
			FAIL(r, "tcp send: %d (%zu)", error, done);
			break;
		}
		sent += 1000;
		if (n % 2 == 0 && part == 0) {
			sock_close(s);
		}
	}
	if (!xk_test_wait_atomic(&cc.bytes, sent, WAIT_MS)) {
		FAIL(r, "tcp: %d of %d bytes", atomic_load(&cc.bytes), sent);
	}
	r->tcp_sent += sent;
	r->tcp_arrived += atomic_load(&cc.bytes);
	if (n % 2 == 0) {
		sock_release(s);
	} else {
		close_once(s, &sc);
	}
	close_once(c, &cc);
}

static void *
stress_thread(void *arg)
{
	struct thread_result *r = arg;
	struct sockaddr_storage ta, la;
	int64_t end = xk_test_now_us() + (int64_t)TIME_LIMIT_MS * 1000;
	socket_t tx, l = NULL;
	int error;

	if ((tx = mk_udp(NULL, NULL, &ta)) == NULL) {
		FAIL(r, "sender socket");
		return (NULL);
	}
	error = sock_socket(PF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, NULL, &l);
	xk_test_addr(AF_INET, 0, &la);
	if (error != 0 || sock_bind(l, (struct sockaddr *)&la) != 0 ||
	    sock_listen(l, 16) != 0 ||
	    sock_getsockname(l, (struct sockaddr *)&la, sizeof(la)) != 0) {
		FAIL(r, "listener");
		sock_close(l);
		sock_close(tx);
		return (NULL);
	}
	for (int i = 0; i < NITERS && xk_test_now_us() < end; i++) {
		udp_iteration(r, tx, i % 4);
		if (i % TCP_EVERY == 0) {
			tcp_iteration(r, l, &la, i / TCP_EVERY);
		}
		r->iters++;
		if (r->failures > 20) {
			break;
		}
	}
	sock_close(l);
	sock_close(tx);
	return (NULL);
}

static void
test_stress_threads(void **state)
{
	struct thread_result res[NTHREADS];
	pthread_t th[NTHREADS];
	long acked = 0, arrived = 0, lost = 0, tsent = 0, tarrived = 0;
	int iters = 0;

	(void)state;
	memset(res, 0, sizeof(res));
	for (int i = 0; i < NTHREADS; i++) {
		res[i].id = i;
		assert_int_equal(pthread_create(&th[i], NULL, stress_thread,
		    &res[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		if (res[i].failures != 0) {
			fail_msg("thread %d: %d failure(s), first: %s", i,
			    res[i].failures, res[i].first_failure);
		}
		iters += res[i].iters;
		acked += res[i].acked;
		arrived += res[i].arrived;
		lost += res[i].lost_to_close;
		tsent += res[i].tcp_sent;
		tarrived += res[i].tcp_arrived;
	}
	print_message("stress: %d iterations, %ld datagrams checked, %ld lost "
	    "to a close while flowing, %ld TCP bytes\n", iters, acked, lost,
	    tsent);
	/* Every acknowledged datagram and byte arrived. */
	assert_int_equal(arrived, acked);
	assert_int_equal(tarrived, tsent);
	assert_true(lost >= 0);
	/* The time bound must not have hollowed the test out. */
	assert_true(iters >= NTHREADS * 20);
	assert_true(acked >= (long)iters / 2 * NDGRAMS);
	assert_int_equal(xk_test_panic_count(), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stress_threads,
		    xk_test_sock_setup, xk_test_sock_teardown),
	};

	return (cmocka_run_group_tests_name("socket_stress", tests, NULL,
	    xk_test_sock_group_teardown));
}
