/*
 * xkpi example: a UDP echo service written the way a kext writes one,
 * with a read upcall that drains the socket as mbuf chains and sends
 * each chain straight back, and a client that checks the echoes.
 * Uses the public headers only.
 *
 *	udp_echo [-p port] [-n count] [-t seconds]	 (server)
 *	udp_echo -c -p port [-n count] [-t seconds]	 (client)
 *
 * The server binds 127.0.0.1:port (port 0 picks a free one and prints
 * it), echoes until it has seen count datagrams (0: no limit) or the
 * time is up, then prints what it echoed.  The client sends count
 * datagrams of varied sizes and known content, one at a time, and
 * checks every echo.
 *
 *	cc udp_echo.c $(pkg-config --cflags --libs xkpi)
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>
#include <xkpi.h>

#define DGRAM_MAX	1400	/* the largest datagram the client sends */
#define DRAIN_MAX	4096	/* receives per upcall, a safety bound */
#define COUNT_MAX	1000000UL
#define TIME_MAX	3600UL

struct echo_ctx {
	pthread_mutex_t	 ec_lock;
	pthread_cond_t	 ec_cv;
	unsigned long	 ec_limit;	/* datagrams to echo, 0: any */
	unsigned long	 ec_datagrams;	/* datagrams received */
	unsigned long	 ec_echoed;	/* datagrams sent back */
	unsigned long	 ec_send_errors;
	unsigned long long ec_bytes;	/* bytes sent back */
	errno_t		 ec_error;	/* receive error, ends the run */
	int		 ec_done;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: udp_echo [-p port] [-n count] [-t seconds]\n"
	    "       udp_echo -c -p port [-n count] [-t seconds]\n");
	exit(2);
}

static unsigned long
number(const char *arg, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v > max) {
		usage();
	}
	return v;
}

static int
fail(const char *what, errno_t error)
{
	fprintf(stderr, "udp_echo: %s: %s\n", what, strerror(error));
	return 1;
}

/* Deadlines use the monotonic clock, so a clock step cannot stretch them. */
static void
deadline_in(struct timespec *ts, unsigned long seconds)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)seconds;
}

static int
deadline_passed(const struct timespec *ts)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > ts->tv_sec ||
	    (now.tv_sec == ts->tv_sec && now.tv_nsec >= ts->tv_nsec);
}

static int
cond_init_monotonic(pthread_cond_t *cv)
{
	pthread_condattr_t attr;
	int error;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	error = pthread_cond_init(cv, &attr);
	pthread_condattr_destroy(&attr);
	return error;
}

/*
 * The read upcall.  It is only a hint, so it receives with MSG_DONTWAIT
 * until EWOULDBLOCK and sends each datagram back to its source.  On the
 * loop thread nothing blocks: a full send buffer shows up as an error
 * from sock_sendmbuf, and the echo is lost as UDP allows.
 */
static void
echo_upcall(socket_t so, void *cookie, int waitf)
{
	struct echo_ctx *ec = cookie;
	struct sockaddr_storage from;
	struct msghdr msg, reply;
	size_t len, sent;
	errno_t error;
	mbuf_t m;
	int i, stop;

	for (i = 0; i < DRAIN_MAX; i++) {
		/*
		 * Once done, main is closing the socket: leave at once, the
		 * datagrams still queued are not ours to answer.
		 */
		pthread_mutex_lock(&ec->ec_lock);
		stop = ec->ec_done;
		pthread_mutex_unlock(&ec->ec_lock);
		if (stop) {
			break;
		}
		memset(&from, 0, sizeof(from));
		memset(&msg, 0, sizeof(msg));
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		m = NULL;
		len = 1000000000;	/* "all", as nfs_socket.c does */
		error = sock_receivembuf(so, &msg, &m, MSG_DONTWAIT, &len);
		if (error == EWOULDBLOCK) {
			break;
		}
		pthread_mutex_lock(&ec->ec_lock);
		stop = ec->ec_done;
		if (!stop && error != 0) {
			/* Not the close's doing: a real receive error. */
			ec->ec_error = error;
			ec->ec_done = 1;
			pthread_cond_broadcast(&ec->ec_cv);
		} else if (!stop) {
			ec->ec_datagrams++;
		}
		pthread_mutex_unlock(&ec->ec_lock);
		if (stop || error != 0) {
			mbuf_freem(m);
			break;
		}

		sent = 0;
		if (m != NULL) {
			/* The chain goes back as it came, and is consumed. */
			memset(&reply, 0, sizeof(reply));
			reply.msg_name = &from;
			reply.msg_namelen = from.ss_family == AF_INET6 ?
			    sizeof(struct sockaddr_in6) :
			    sizeof(struct sockaddr_in);
			error = sock_sendmbuf(so, &reply, m, 0, &sent);
		} else {
			/* A zero-length datagram: there is no chain to send. */
			error = 0;
		}

		/* An error after the run ended (time is up) is the close's. */
		pthread_mutex_lock(&ec->ec_lock);
		if (error != 0 && !ec->ec_done) {
			if (ec->ec_send_errors++ == 0) {
				fprintf(stderr, "udp_echo: sock_sendmbuf: %s\n",
				    strerror(error));
			}
		} else if (error == 0) {
			ec->ec_echoed++;
			ec->ec_bytes += sent;
		}
		if (ec->ec_limit != 0 && ec->ec_datagrams >= ec->ec_limit) {
			ec->ec_done = 1;
			pthread_cond_broadcast(&ec->ec_cv);
		}
		pthread_mutex_unlock(&ec->ec_lock);
	}
}

static int
run_server(unsigned short port, unsigned long count, unsigned long seconds)
{
	struct echo_ctx ec;
	struct sockaddr_in sin;
	struct timespec deadline;
	socket_t so = NULL;
	errno_t error;
	int rc, timed_out;

	memset(&ec, 0, sizeof(ec));
	ec.ec_limit = count;
	pthread_mutex_init(&ec.ec_lock, NULL);
	if (cond_init_monotonic(&ec.ec_cv) != 0) {
		return fail("pthread_cond_init", ENOMEM);
	}

	error = sock_socket(PF_INET, SOCK_DGRAM, IPPROTO_UDP, echo_upcall,
	    &ec, &so);
	if (error != 0) {
		return fail("sock_socket", error);
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	error = sock_bind(so, (struct sockaddr *)&sin);
	if (error != 0) {
		sock_close(so);
		return fail("sock_bind", error);
	}
	/* With port 0 the system chose: tell whoever starts the client. */
	memset(&sin, 0, sizeof(sin));
	error = sock_getsockname(so, (struct sockaddr *)&sin, sizeof(sin));
	if (error != 0) {
		sock_close(so);
		return fail("sock_getsockname", error);
	}
	printf("udp_echo: listening on 127.0.0.1:%u\n", ntohs(sin.sin_port));
	fflush(stdout);

	deadline_in(&deadline, seconds);
	timed_out = 0;
	pthread_mutex_lock(&ec.ec_lock);
	while (!ec.ec_done) {
		rc = pthread_cond_timedwait(&ec.ec_cv, &ec.ec_lock, &deadline);
		if (rc == ETIMEDOUT || deadline_passed(&deadline)) {
			timed_out = !ec.ec_done;
			break;
		}
	}
	ec.ec_done = 1;
	pthread_mutex_unlock(&ec.ec_lock);

	/* Off the loop thread, close waits for an upcall still running. */
	sock_close(so);

	printf("udp_echo: received %lu datagrams, echoed %lu (%llu bytes), "
	    "%lu send errors%s\n", ec.ec_datagrams, ec.ec_echoed, ec.ec_bytes,
	    ec.ec_send_errors, timed_out ? ", time is up" : "");
	if (ec.ec_error != 0) {
		fail("sock_receivembuf", ec.ec_error);
	}
	pthread_cond_destroy(&ec.ec_cv);
	pthread_mutex_destroy(&ec.ec_lock);

	if (ec.ec_error != 0 || ec.ec_send_errors != 0) {
		return 1;
	}
	/* A count that was asked for and not reached is a failure. */
	if (count != 0 && ec.ec_datagrams < count) {
		fprintf(stderr, "udp_echo: expected %lu datagrams, got %lu\n",
		    count, ec.ec_datagrams);
		return 1;
	}
	return 0;
}

/* Datagram i: a size that wanders over 1..DGRAM_MAX, and its bytes. */
static size_t
dgram_len(unsigned long i)
{
	if (i == 0) {
		return 1;
	}
	if (i == 1) {
		return DGRAM_MAX;
	}
	return 1 + (size_t)((i * 337 + 91) % DGRAM_MAX);
}

static void
dgram_fill(unsigned char *buf, size_t len, unsigned long i)
{
	size_t j;

	for (j = 0; j < len; j++) {
		buf[j] = (unsigned char)(i * 131 + j * 7 + (j >> 8));
	}
}

static int
run_client(unsigned short port, unsigned long count, unsigned long seconds)
{
	unsigned char out[DGRAM_MAX], in[DGRAM_MAX + 64];
	unsigned long i, nsent, echoed, mismatches, lost;
	struct sockaddr_in sin, from;
	struct timespec deadline;
	struct timeval tv;
	struct msghdr msg;
	struct iovec iov;
	socket_t so = NULL;
	size_t len, n;
	errno_t error;

	error = sock_socket(PF_INET, SOCK_DGRAM, IPPROTO_UDP, NULL, NULL, &so);
	if (error != 0) {
		return fail("sock_socket", error);
	}
	/* Bound every blocking receive: a lost echo must not hang us. */
	tv.tv_sec = 1;
	tv.tv_usec = 0;
	error = sock_setsockopt(so, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (error != 0) {
		sock_close(so);
		return fail("sock_setsockopt SO_RCVTIMEO", error);
	}
	/* Connected, so only the server's datagrams reach us. */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	error = sock_connect(so, (struct sockaddr *)&sin, 0);
	if (error != 0) {
		sock_close(so);
		return fail("sock_connect", error);
	}

	deadline_in(&deadline, seconds);
	nsent = echoed = mismatches = lost = 0;
	for (i = 0; i < count; i++) {
		if (deadline_passed(&deadline)) {
			fprintf(stderr, "udp_echo: time is up after %lu "
			    "datagrams\n", nsent);
			break;
		}
		len = dgram_len(i);
		dgram_fill(out, len, i);
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = out;
		iov.iov_len = len;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		error = sock_send(so, &msg, 0, &n);
		if (error == 0 && n != len) {
			fprintf(stderr, "udp_echo: sock_send sent %zu of %zu "
			    "bytes\n", n, len);
			error = EIO;
		}
		if (error != 0) {
			fail("sock_send", error);
			break;
		}
		nsent++;

		memset(&from, 0, sizeof(from));
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = in;
		iov.iov_len = sizeof(in);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		error = sock_receive(so, &msg, 0, &n);
		if (error == EWOULDBLOCK) {
			/* SO_RCVTIMEO expired: count it and go on. */
			lost++;
			continue;
		}
		if (error != 0) {
			fail("sock_receive", error);
			break;
		}
		if (n != len || memcmp(in, out, len) != 0 ||
		    (msg.msg_flags & MSG_TRUNC) != 0 ||
		    from.sin_family != AF_INET ||
		    from.sin_port != sin.sin_port ||
		    from.sin_addr.s_addr != sin.sin_addr.s_addr) {
			if (mismatches++ < 5) {
				fprintf(stderr, "udp_echo: datagram %lu: sent "
				    "%zu bytes, got %zu from %s:%u%s\n", i, len,
				    n, inet_ntoa(from.sin_addr),
				    ntohs(from.sin_port),
				    (msg.msg_flags & MSG_TRUNC) != 0 ?
				    " (truncated)" : "");
			}
			continue;
		}
		echoed++;
	}
	sock_close(so);

	printf("sent %lu, echoed %lu, mismatches %lu\n", nsent, echoed,
	    mismatches);
	if (lost != 0) {
		fprintf(stderr, "udp_echo: %lu echoes did not come back\n",
		    lost);
	}
	return error == 0 && nsent == count && echoed == count &&
	    mismatches == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	unsigned long port = 0, count, seconds = 30;
	int ch, client = 0, have_count = 0, have_port = 0;

	count = 0;
	while ((ch = getopt(argc, argv, "cn:p:t:")) != -1) {
		switch (ch) {
		case 'c':
			client = 1;
			break;
		case 'n':
			count = number(optarg, COUNT_MAX);
			have_count = 1;
			break;
		case 'p':
			port = number(optarg, 65535);
			have_port = 1;
			break;
		case 't':
			seconds = number(optarg, TIME_MAX);
			if (seconds == 0) {
				usage();
			}
			break;
		default:
			usage();
		}
	}
	if (optind != argc) {
		usage();
	}
	if (client) {
		/* The client needs to know where the server is. */
		if (!have_port || port == 0) {
			usage();
		}
		if (!have_count) {
			count = 100;
		}
		return run_client((unsigned short)port, count, seconds);
	}
	if (!have_port) {
		port = 7777;
	}
	return run_server((unsigned short)port, count, seconds);
}
