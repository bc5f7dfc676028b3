/*
 * xkpi benchmark: round-trip latency of one UDP datagram over loopback,
 * echoed by a bare blocking thread or by a library socket's read upcall
 * (sock_receivembuf() then sock_sendmbuf()).  The pinging side is the
 * same bare blocking client for both; the difference is the latency the
 * library's event loop and upcall path add.
 *
 *	bench_latency [-n round_trips] [-W warmup] [-r runs] [-s size] [-P]
 *
 * Prints "ROW|name|bare|xkpi|ratio" and "NOTE|text" lines for
 * bench/run.sh, after a human-readable report.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>
#include <xkpi.h>

#define MAXSIZE		1472
#define CLIENT_TMO_MS	200		/* a lost datagram costs this */
#define MAX_LOST	50		/* then the run fails */
#define ECHO_TMO_MS	50		/* bare echo polls its stop flag */
#define RUN_MAX_NS	(120 * NSEC)	/* hard bound on one run */
#define UPCALL_MAX	4096

enum echo_kind { ECHO_BARE, ECHO_XKPI };

static const char *kind_name[] = { "bare", "xkpi" };

static int	opt_n = 20000;
static int	opt_warmup = 1000;
static int	opt_runs = 3;
static size_t	opt_size = 32;
static int	opt_nopin;

static int	echo_cpu = -1;
static int	client_cpu = -1;

struct bare_echo {
	int		 be_fd;
	uint64_t	 be_deadline;
	atomic_int	 be_stop;
	uint64_t	 be_echoed;
	int		 be_err;
};

struct xk_echo {
	/* Written on the loop thread only, read after sock_close(). */
	uint64_t	 xe_echoed;
	uint64_t	 xe_upcalls;
	uint64_t	 xe_empty;
	uint64_t	 xe_copied;	/* chains without a packet header */
	errno_t		 xe_rcv_err;
	errno_t		 xe_snd_err;
	uint64_t	 xe_snd_errs;
};

struct client {
	struct sockaddr_in	 c_dst;
	uint64_t		*c_rtt;	/* opt_n samples, ns */
	int			 c_done;
	int			 c_lost;
	int			 c_err;
};

struct stats {
	double		p50, p90, p99, max, mean;	/* microseconds */
	int		lost;
	/* xkpi echo only. */
	uint64_t	echoed, upcalls, empty, copied;
};

static int
set_rcvtimeo(int fd, int ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* The bare echo: the simplest blocking server there is. */
static void *
bare_echo_main(void *arg)
{
	struct bare_echo *be = arg;
	char buf[MAXSIZE];
	struct sockaddr_in from;
	socklen_t flen;
	ssize_t n;

	while (!atomic_load_explicit(&be->be_stop, memory_order_relaxed)) {
		if (now_ns() > be->be_deadline) {
			break;
		}
		flen = sizeof(from);
		n = recvfrom(be->be_fd, buf, sizeof(buf), 0,
		    (struct sockaddr *)&from, &flen);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				continue;
			}
			be->be_err = errno;
			break;
		}
		if (sendto(be->be_fd, buf, (size_t)n, 0,
		    (struct sockaddr *)&from, flen) < 0) {
			be->be_err = errno;
			break;
		}
		be->be_echoed++;
	}
	return NULL;
}

/*
 * Give the caller a chain it may pass to sock_sendmbuf(), which wants a
 * packet header: the received chain itself when it has one (no copy),
 * else a fresh packet holding the same bytes.
 */
static mbuf_t
echo_chain(struct xk_echo *xe, mbuf_t m, size_t len)
{
	char buf[MAXSIZE];
	mbuf_t n;

	if (mbuf_flags(m) & MBUF_PKTHDR) {
		return m;
	}
	xe->xe_copied++;
	n = NULL;
	if (len > sizeof(buf) ||
	    mbuf_copydata(m, 0, len, buf) != 0 ||
	    mbuf_gethdr(MBUF_DONTWAIT, MBUF_TYPE_DATA, &n) != 0 ||
	    mbuf_copyback(n, 0, len, buf, MBUF_DONTWAIT) != 0) {
		mbuf_freem(n);
		n = NULL;
	}
	mbuf_freem(m);
	return n;
}

/*
 * The library's echo: the read upcall a kext would write, draining with
 * MSG_DONTWAIT and answering each datagram to its source.
 */
static void
xk_echo_upcall(socket_t so, void *cookie, int waitf)
{
	struct xk_echo *xe = cookie;
	struct sockaddr_in from;
	struct msghdr msg;
	unsigned int i;
	size_t len;
	errno_t error;
	mbuf_t m;

	(void)waitf;
	xe->xe_upcalls++;
	for (i = 0; i < UPCALL_MAX; i++) {
		memset(&from, 0, sizeof(from));
		memset(&msg, 0, sizeof(msg));
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		m = NULL;
		len = 1000000000;
		error = sock_receivembuf(so, &msg, &m, MSG_DONTWAIT, &len);
		if (error != 0) {
			if (error != EWOULDBLOCK) {
				xe->xe_rcv_err = error;
			}
			if (i == 0) {
				xe->xe_empty++;
			}
			break;
		}
		if ((m = echo_chain(xe, m, len)) == NULL) {
			xe->xe_snd_errs++;
			xe->xe_snd_err = ENOMEM;
			continue;
		}
		memset(&msg, 0, sizeof(msg));
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		/* The chain is consumed whatever happens. */
		error = sock_sendmbuf(so, &msg, m, 0, NULL);
		if (error != 0) {
			xe->xe_snd_errs++;
			xe->xe_snd_err = error;
			continue;
		}
		xe->xe_echoed++;
	}
}

/*
 * The client: one datagram out, wait for it back, note the time.  A reply
 * with another sequence number is a late one from a lost round trip.
 */
static void *
client_main(void *arg)
{
	struct client *c = arg;
	char out[MAXSIZE];
	uint64_t rtt, start;
	int fd, i, total;

	if (pin_self(client_cpu) != 0) {
		c->c_err = EINVAL;
		return NULL;
	}
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0) {
		c->c_err = errno;
		return NULL;
	}
	if (set_rcvtimeo(fd, CLIENT_TMO_MS) != 0 ||
	    connect(fd, (struct sockaddr *)&c->c_dst,
	    sizeof(c->c_dst)) != 0) {
		c->c_err = errno;
		close(fd);
		return NULL;
	}
	memset(out, 'p', sizeof(out));
	total = opt_warmup + opt_n;
	start = now_ns();
	for (i = 0; i < total; i++) {
		if (now_ns() - start > RUN_MAX_NS) {
			c->c_err = ETIMEDOUT;
			break;
		}
		rtt = ping_once(fd, out, opt_size, 0, (uint64_t)i, &c->c_err);
		if (c->c_err != 0) {
			break;
		}
		if (rtt == 0) {
			if (++c->c_lost > MAX_LOST) {
				c->c_err = ETIMEDOUT;
				break;
			}
			continue;
		}
		if (i >= opt_warmup) {
			c->c_rtt[c->c_done++] = rtt;
		}
	}
	close(fd);
	return NULL;
}

static void
summarize(uint64_t *rtt, int n, int lost, struct stats *st)
{
	double sum = 0;
	int i;

	memset(st, 0, sizeof(*st));
	st->lost = lost;
	if (n == 0) {
		return;
	}
	qsort(rtt, (size_t)n, sizeof(*rtt), cmp_u64);
	for (i = 0; i < n; i++) {
		sum += (double)rtt[i];
	}
	st->mean = sum / n / 1000.0;
	st->p50 = pct_us(rtt, n, 0.50);
	st->p90 = pct_us(rtt, n, 0.90);
	st->p99 = pct_us(rtt, n, 0.99);
	st->max = (double)rtt[n - 1] / 1000.0;
}

static int
measure(enum echo_kind kind, uint64_t *rtt, struct stats *st)
{
	struct sockaddr_in sin;
	struct bare_echo be;
	struct xk_echo xe;
	struct client c;
	pthread_t et, ct;
	socket_t so = NULL;
	socklen_t slen;
	errno_t error;
	int rc = -1, echo_started = 0;

	memset(&be, 0, sizeof(be));
	memset(&xe, 0, sizeof(xe));
	memset(&c, 0, sizeof(c));
	be.be_fd = -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	if (kind == ECHO_BARE) {
		if ((be.be_fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0 ||
		    set_rcvtimeo(be.be_fd, ECHO_TMO_MS) != 0 ||
		    bind(be.be_fd, (struct sockaddr *)&sin,
		    sizeof(sin)) != 0) {
			perror("bench_latency: bare echo socket");
			goto out;
		}
		slen = sizeof(sin);
		if (getsockname(be.be_fd, (struct sockaddr *)&sin,
		    &slen) != 0) {
			perror("bench_latency: getsockname");
			goto out;
		}
		be.be_deadline = now_ns() + RUN_MAX_NS + NSEC;
		/* Created from the main thread: on the echo CPU. */
		if (pthread_create(&et, NULL, bare_echo_main, &be) != 0) {
			fprintf(stderr, "bench_latency: pthread_create\n");
			goto out;
		}
		echo_started = 1;
	} else {
		error = sock_socket(PF_INET, SOCK_DGRAM, IPPROTO_UDP,
		    xk_echo_upcall, &xe, &so);
		if (error != 0) {
			fprintf(stderr, "bench_latency: sock_socket: %s\n",
			    strerror(error));
			goto out;
		}
		if ((error = sock_bind(so, (struct sockaddr *)&sin)) != 0) {
			fprintf(stderr, "bench_latency: sock_bind: %s\n",
			    strerror(error));
			goto out;
		}
		error = sock_getsockname(so, (struct sockaddr *)&sin,
		    sizeof(sin));
		if (error != 0 || sin.sin_port == 0) {
			fprintf(stderr, "bench_latency: sock_getsockname: "
			    "%s (port %u)\n", strerror(error),
			    ntohs(sin.sin_port));
			goto out;
		}
	}

	c.c_dst = sin;
	c.c_rtt = rtt;
	if (pthread_create(&ct, NULL, client_main, &c) != 0) {
		fprintf(stderr, "bench_latency: pthread_create\n");
		goto stop;
	}
	pthread_join(ct, NULL);
	if (c.c_err != 0) {
		fprintf(stderr, "bench_latency: %s: client: %s (%d lost)\n",
		    kind_name[kind], strerror(c.c_err), c.c_lost);
		goto stop;
	}
	summarize(rtt, c.c_done, c.c_lost, st);
	rc = 0;

stop:
	if (kind == ECHO_BARE) {
		if (echo_started) {
			atomic_store(&be.be_stop, 1);
			pthread_join(et, NULL);
		}
		if (be.be_err != 0) {
			fprintf(stderr, "bench_latency: bare echo: %s\n",
			    strerror(be.be_err));
			rc = -1;
		}
	} else {
		/* Waits for an upcall in flight; then xe is ours. */
		sock_close(so);
		so = NULL;
		if (xe.xe_rcv_err != 0 || xe.xe_snd_errs != 0) {
			fprintf(stderr, "bench_latency: xkpi echo: receive "
			    "%s, %" PRIu64 " send errors (last %s)\n",
			    strerror(xe.xe_rcv_err), xe.xe_snd_errs,
			    strerror(xe.xe_snd_err));
			rc = -1;
		}
		st->echoed = xe.xe_echoed;
		st->upcalls = xe.xe_upcalls;
		st->empty = xe.xe_empty;
		st->copied = xe.xe_copied;
	}
out:
	if (so != NULL) {
		sock_close(so);
	}
	if (be.be_fd >= 0) {
		close(be.be_fd);
	}
	return rc;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_latency [-n round_trips] [-W warmup] "
	    "[-r runs] [-s size] [-P]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct stats st[2][MAXRUNS];
	double p50[2][MAXRUNS], p99[2][MAXRUNS], m50[2], m99[2];
	struct utsname un;
	uint64_t *rtt;
	errno_t error;
	long v;
	int ch, run, k, failed = 0;

	while ((ch = getopt(argc, argv, "n:W:r:s:P")) != -1) {
		switch (ch) {
		case 'n':
			opt_n = atoi(optarg);
			if (opt_n < 100 || opt_n > 10000000) {
				usage();
			}
			break;
		case 'W':
			opt_warmup = atoi(optarg);
			if (opt_warmup < 0 || opt_warmup > 1000000) {
				usage();
			}
			break;
		case 'r':
			opt_runs = atoi(optarg);
			if (opt_runs < 1 || opt_runs > MAXRUNS) {
				usage();
			}
			break;
		case 's':
			v = atol(optarg);
			if (v < (long)sizeof(uint64_t) || v > MAXSIZE) {
				usage();
			}
			opt_size = (size_t)v;
			break;
		case 'P':
			opt_nopin = 1;
			break;
		default:
			usage();
		}
	}
	if ((rtt = calloc((size_t)opt_n, sizeof(*rtt))) == NULL) {
		fprintf(stderr, "bench_latency: out of memory\n");
		return 1;
	}

	choose_two_cpus(opt_nopin, &echo_cpu, &client_cpu);
	/* The library's loop thread and the bare echo inherit this CPU. */
	if (pin_self(echo_cpu) != 0) {
		fprintf(stderr, "bench_latency: cannot pin to CPU %d\n",
		    echo_cpu);
		return 1;
	}
	if ((error = xkpi_init(NULL)) != 0) {
		fprintf(stderr, "bench_latency: xkpi_init: %s\n",
		    strerror(error));
		return 1;
	}

	uname(&un);
	printf("bench_latency: %ld CPUs online, Linux %s; %d round trips "
	    "after %d warm-up, %zu-byte datagrams, %d runs each (median)\n",
	    sysconf(_SC_NPROCESSORS_ONLN), un.release, opt_n, opt_warmup,
	    opt_size, opt_runs);
	if (echo_cpu >= 0) {
		printf("bench_latency: echo side (bare thread, xkpi loop "
		    "thread) pinned to CPU %d, client to CPU %d\n",
		    echo_cpu, client_cpu);
	} else {
		printf("bench_latency: not pinned (fewer than 2 CPUs, or "
		    "-P)\n");
	}
	printf("NOTE|udp echo: %s\n", echo_cpu >= 0 ? "echo side and "
	    "client pinned to different CPUs" : "not pinned");
	fflush(stdout);

	for (run = 0; run < opt_runs; run++) {
		for (k = 0; k < 2; k++) {
			if (measure((enum echo_kind)k, rtt,
			    &st[k][run]) != 0) {
				failed = 1;
				goto done;
			}
			printf("  %s run %d: p50 %6.1f us  p90 %6.1f  p99 "
			    "%6.1f  max %7.1f  mean %6.1f  lost %d\n",
			    kind_name[k], run + 1, st[k][run].p50,
			    st[k][run].p90, st[k][run].p99, st[k][run].max,
			    st[k][run].mean, st[k][run].lost);
			if (k == ECHO_XKPI) {
				printf("         xkpi echo: %" PRIu64
				    " echoed, %" PRIu64 " upcalls, %" PRIu64
				    " empty, %" PRIu64 " copied (no packet "
				    "header)\n", st[k][run].echoed,
				    st[k][run].upcalls, st[k][run].empty,
				    st[k][run].copied);
			}
			fflush(stdout);
			p50[k][run] = st[k][run].p50;
			p99[k][run] = st[k][run].p99;
		}
	}
	for (k = 0; k < 2; k++) {
		m50[k] = median(p50[k], opt_runs);
		m99[k] = median(p99[k], opt_runs);
	}
	printf("median: bare p50 %.1f us p99 %.1f us; xkpi p50 %.1f us "
	    "p99 %.1f us; added p50 %+.1f us (goal <= 5), p99 %+.1f us\n",
	    m50[0], m99[0], m50[1], m99[1], m50[1] - m50[0],
	    m99[1] - m99[0]);
	printf("ROW|udp echo rtt p50 (us)|%.1f|%.1f|%.3f\n", m50[0], m50[1],
	    m50[0] > 0 ? m50[1] / m50[0] : 0);
	printf("ROW|udp echo rtt p99 (us)|%.1f|%.1f|%.3f\n", m99[0], m99[1],
	    m99[0] > 0 ? m99[1] / m99[0] : 0);
	printf("NOTE|upcall latency added by xkpi: p50 %+.1f us (goal <= 5), "
	    "p99 %+.1f us\n", m50[1] - m50[0], m99[1] - m99[0]);
done:
	xkpi_shutdown();
	free(rtt);
	return failed;
}
