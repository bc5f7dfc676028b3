/*
 * Several event loops (XKPI_THREADS, struct xkpi_config.threads): bad
 * numbers are EINVAL, a structure of size 0 does not read the field,
 * sockets are dealt out to the loops in turn, one socket's upcalls run
 * on one thread and never two at once while several sockets' run on
 * several threads, xkpi_init_with_base() with more than one loop runs
 * the others itself, and xkpi_shutdown() from an upcall on any of the
 * library's loops is refused.  Host UDP sockets on loopback; no privilege needed.
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
#include <event2/event.h>
#include <event2/thread.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sys/kpi_socket.h>
#include <xkpi.h>

#include "tests/lib/xk_test.h"

#define NSOCKS		6
#define PER_SOCK	300

/* What one socket's upcalls saw; written on their thread. */
struct seen {
	_Atomic int	 inside;	/* upcalls of this socket running */
	_Atomic int	 overlaps;	/* one began while another ran */
	_Atomic int	 got;		/* datagrams read */
	_Atomic int	 calls;
	pthread_t	 thread;	/* of the first upcall */
	_Atomic int	 elsewhere;	/* upcalls on another thread */
	_Atomic bool	 shutdown_tried;
};

static void
upcall(socket_t so, void *arg, int waitf)
{
	struct seen *s = arg;
	char buf[64];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr msg;
	size_t len;

	(void)waitf;
	if (atomic_fetch_add(&s->inside, 1) != 0) {
		s->overlaps++;
	}
	if (s->calls++ == 0) {
		s->thread = pthread_self();
	} else if (!pthread_equal(s->thread, pthread_self())) {
		s->elsewhere++;
	}
	for (;;) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		if (sock_receive(so, &msg, MSG_DONTWAIT, &len) != 0) {
			break;
		}
		s->got++;
		/* Long enough that another loop's upcall may meet this one. */
		usleep(20);
	}
	if (s->shutdown_tried) {
		/* Refused on a loop thread: the library goes on. */
		xkpi_shutdown();
		s->shutdown_tried = false;
	}
	atomic_fetch_sub(&s->inside, 1);
}

static socket_t socks[NSOCKS];
static struct seen seen[NSOCKS];
static uint16_t ports[NSOCKS];

/* NSOCKS UDP sockets on 127.0.0.1, each with upcall() and seen[i]. */
static void
open_socks(void)
{
	for (int i = 0; i < NSOCKS; i++) {
		struct sockaddr_in sin = { .sin_family = AF_INET };
		struct sockaddr_storage ss;
		int rcvbuf = 1 << 20;

		memset(&seen[i], 0, sizeof(seen[i]));
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		assert_int_equal(sock_socket(PF_INET, SOCK_DGRAM, IPPROTO_UDP,
		    upcall, &seen[i], &socks[i]), 0);
		assert_int_equal(sock_setsockopt(socks[i], SOL_SOCKET,
		    SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
		assert_int_equal(sock_bind(socks[i],
		    (struct sockaddr *)&sin), 0);
		assert_int_equal(sock_getsockname(socks[i],
		    (struct sockaddr *)&ss, sizeof(ss)), 0);
		ports[i] = ((struct sockaddr_in *)&ss)->sin_port;
	}
}

/* PER_SOCK datagrams to every socket, interleaved, from a plain socket. */
static void
send_all(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	for (int n = 0; n < PER_SOCK; n++) {
		for (int i = 0; i < NSOCKS; i++) {
			struct sockaddr_in to = { .sin_family = AF_INET,
			    .sin_port = ports[i] };

			to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			assert_int_equal(sendto(fd, "x", 1, 0,
			    (struct sockaddr *)&to, sizeof(to)), 1);
		}
	}
	close(fd);
}

static bool
all_got(void *arg)
{
	(void)arg;
	for (int i = 0; i < NSOCKS; i++) {
		if (seen[i].got < PER_SOCK) {
			return false;
		}
	}
	return true;
}

/*
 * Every datagram read; each socket's upcalls on one thread, one at a
 * time; the sockets' upcalls on @threads threads in all.
 */
static void
check_seen(int threads)
{
	pthread_t ts[NSOCKS];
	int nts = 0;

	xk_test_await_until(all_got, NULL, "every datagram read");
	for (int i = 0; i < NSOCKS; i++) {
		bool known = false;

		sock_close(socks[i]);
		assert_int_equal(seen[i].got, PER_SOCK);
		assert_int_equal(seen[i].overlaps, 0);
		assert_int_equal(seen[i].elsewhere, 0);
		for (int j = 0; j < nts; j++) {
			known = known || pthread_equal(ts[j], seen[i].thread);
		}
		if (!known) {
			ts[nts++] = seen[i].thread;
		}
	}
	assert_int_equal(nts, threads);
}

static void
test_bad_numbers(void **state)
{
	static const char *bad[] = { "0", "17", "x", "2x", "-1", "+2", "" };
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "mem",
	    .threads = 17);

	(void)state;
	xkpi_shutdown();
	assert_int_equal(xkpi_init(&cfg), EINVAL);
	cfg.threads = 0;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("XKPI_THREADS", bad[i], 1);
		/* An empty value is unset: the default. */
		assert_int_equal(xkpi_init(&cfg), *bad[i] == '\0' ? 0 : EINVAL);
		xkpi_shutdown();
	}
	/* The structure's field wins over the environment. */
	setenv("XKPI_THREADS", "x", 1);
	cfg.threads = 2;
	assert_int_equal(xkpi_init(&cfg), 0);
	xkpi_shutdown();
	unsetenv("XKPI_THREADS");
}

/*
 * Three loops: six sockets on three threads, two each.  Three sockets in
 * a row (one on each loop) ask for xkpi_shutdown() in an upcall: refused
 * on every loop, and the library goes on.
 */
static void
test_sockets_dealt_out(void **state)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "mem",
	    .threads = 3);

	(void)state;
	xkpi_shutdown();
	assert_int_equal(xkpi_init(&cfg), 0);
	open_socks();
	for (int i = 0; i < 3; i++) {
		seen[i].shutdown_tried = true;
	}
	send_all();
	check_seen(3);
	for (int i = 0; i < 3; i++) {
		assert_false(seen[i].shutdown_tried);
	}
	xkpi_shutdown();
}

/*
 * XKPI_THREADS=2 from the environment; a structure of size 0 (the
 * fields up to mbuf_limit_bytes) leaves `threads` unread, so the
 * environment decides.
 */
static void
test_env_and_size_zero(void **state)
{
	struct xkpi_config cfg;

	(void)state;
	xkpi_shutdown();
	memset(&cfg, 0, sizeof(cfg));
	cfg.backend = "mem";
	cfg.threads = 5;	/* past size 0's fields: not read */
	setenv("XKPI_THREADS", "2", 1);
	assert_int_equal(xkpi_init(&cfg), 0);
	unsetenv("XKPI_THREADS");
	open_socks();
	send_all();
	check_seen(2);
	xkpi_shutdown();
}

/* Runs the application's base on a thread of the test's own. */
static void *
run_base(void *arg)
{
	event_base_loop(arg, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

/*
 * xkpi_init_with_base() with two loops: the application's base is the
 * first, run by the application's thread; the library runs the second.
 * An upcall on either asking for xkpi_shutdown() is refused.
 */
static void
test_with_base(void **state)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "mem",
	    .threads = 2);
	struct event_base *base;
	pthread_t t;

	(void)state;
	xkpi_shutdown();
	assert_int_equal(evthread_use_pthreads(), 0);
	assert_non_null(base = event_base_new());
	assert_int_equal(xkpi_init_with_base(base, &cfg), 0);
	assert_int_equal(pthread_create(&t, NULL, run_base, base), 0);
	open_socks();
	send_all();
	check_seen(2);
	event_base_loopbreak(base);
	assert_int_equal(pthread_join(t, NULL), 0);
	xkpi_shutdown();
	event_base_free(base);
}

static int
teardown(void **state)
{
	(void)state;
	unsetenv("XKPI_THREADS");
	xkpi_shutdown();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_bad_numbers, teardown),
		cmocka_unit_test_teardown(test_sockets_dealt_out, teardown),
		cmocka_unit_test_teardown(test_env_and_size_zero, teardown),
		cmocka_unit_test_teardown(test_with_base, teardown),
	};

	/* The cases choose their own number of loops. */
	unsetenv("XKPI_THREADS");
	return cmocka_run_group_tests_name("threads", tests, NULL, NULL);
}
