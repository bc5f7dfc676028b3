/*
 * xkpi benchmark: raw IP ping-pong between two network namespaces, one
 * packet in flight.  A bare client in side b sends a protocol-253
 * datagram to side a and waits for it to come back; in a, the echo is
 * either a bare raw socket (a thread blocking in recvfrom, then sendto)
 * or a library raw socket whose read upcall receives the packet with
 * sock_receivembuf(MSG_DONTWAIT), strips its IP header and sends it back
 * with sock_sendmbuf, over each backend (linux in each receive mode,
 * pcap).  The methods alternate within each run; the difference with the
 * bare echo is the latency the library adds to a lone packet.
 *
 *	netns.sh bench_raw_lat [-n round_trips] [-W warmup] [-r runs]
 *	    [-s size] [-i interval_us] [-m method]... [-P]
 *
 * Prints ROW| and NOTE| lines for bench/run.sh after its own report.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench_raw.h"
#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>
#include <xkpi.h>

#define CLIENT_TMO_MS	200		/* a lost packet costs this */
#define MAX_LOST	50		/* then the run fails */
#define ECHO_TMO_MS	50		/* bare echo polls its stop flag */
#define RUN_MAX_NS	(60 * NSEC)	/* hard bound on one run */
#define SLOW_NS		(1000 * 1000ULL)	/* a sample over 1 ms */

enum method { M_BARE, M_XK_LINUX, M_XK_MMSG, M_XK_V3, M_XK_PCAP, M_N };

static const char *m_name[M_N] = {
	"bare raw socket", "linux (default)", "linux mmsg", "linux ring v3",
	"pcap"
};
static const char *m_opt[M_N] = { "bare", "linux", "mmsg", "v3", "pcap" };
/* XKPI_LINUX_RX for each linux method; NULL: unset (the default). */
static const char *m_rx[M_N] = { NULL, NULL, "mmsg", "ring", NULL };

static int	opt_n = 5000;
static int	opt_warmup = 500;
static int	opt_runs = 3;
static size_t	opt_size = 32;
static int	opt_interval_us;
static int	opt_nopin;
static bool	m_on[M_N];
static const char *m_na[M_N];

static int	echo_cpu = -1;
static int	client_cpu = -1;
static struct raw_env env;

struct stats {
	double		p50, p90, p99, max;	/* microseconds */
	int		slow;			/* samples over 1 ms */
	int		lost;
	uint64_t	upcalls, empty;
};

/* The bare echo in a: the simplest blocking server there is. */
struct bare_echo {
	int		 be_fd;
	atomic_int	 be_stop;
	uint64_t	 be_echoed;
	int		 be_err;
};

static void *
bare_echo_main(void *arg)
{
	struct bare_echo *be = arg;
	uint8_t buf[2048];
	struct sockaddr_in from;
	socklen_t flen;
	ssize_t n;
	size_t hl;

	while (!atomic_load_explicit(&be->be_stop, memory_order_relaxed)) {
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
		/* A raw IPv4 socket reads the header too. */
		hl = (size_t)(buf[0] & 0x0f) * 4;
		if ((size_t)n < hl) {
			continue;
		}
		if (sendto(be->be_fd, buf + hl, (size_t)n - hl, 0,
		    (struct sockaddr *)&from, flen) < 0) {
			be->be_err = errno;
			break;
		}
		be->be_echoed++;
	}
	return NULL;
}

/* The library's echo, on the loop thread. */
struct xk_echo {
	uint64_t	 xe_echoed;
	uint64_t	 xe_upcalls;
	uint64_t	 xe_empty;
	errno_t		 xe_rcv_err;
	errno_t		 xe_snd_err;
	uint64_t	 xe_snd_errs;
};

static void
xk_echo_upcall(socket_t so, void *cookie, int waitf)
{
	struct xk_echo *xe = cookie;
	struct sockaddr_in from;
	struct msghdr msg;
	uint8_t vhl;
	size_t len;
	errno_t error;
	mbuf_t m;

	(void)waitf;
	xe->xe_upcalls++;
	for (int i = 0;; i++) {
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
		/* What a kext does: the payload goes back, header off. */
		if (mbuf_copydata(m, 0, 1, &vhl) != 0) {
			mbuf_freem(m);
			continue;
		}
		mbuf_adj(m, (vhl & 0x0f) * 4);
		memset(&msg, 0, sizeof(msg));
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		/* The chain is consumed whatever happens. */
		if ((error = sock_sendmbuf(so, &msg, m, 0, NULL)) != 0) {
			xe->xe_snd_errs++;
			xe->xe_snd_err = error;
			continue;
		}
		xe->xe_echoed++;
	}
}

/* The client in b: one packet out, wait for it back, note the time. */
struct client {
	uint64_t	*c_rtt;
	int		 c_done;
	int		 c_lost;
	int		 c_err;
};

static void *
client_main(void *arg)
{
	struct client *c = arg;
	char out[RAW_MAXPAY];
	struct sockaddr_in dst;
	struct timeval tv = { 0, CLIENT_TMO_MS * 1000 };
	uint64_t rtt, start;
	int fd, i, total;

	if (pin_self(client_cpu) != 0) {
		c->c_err = EINVAL;
		return NULL;
	}
	if ((c->c_err = join_netns(env.re_nsb)) != 0) {
		return NULL;
	}
	if ((fd = socket(AF_INET, SOCK_RAW, RAW_PROTO)) < 0) {
		c->c_err = errno;
		return NULL;
	}
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	inet_pton(AF_INET, RAW_ADDR_A, &dst.sin_addr);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0) {
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
		if (opt_interval_us > 0) {
			sleep_ns((uint64_t)opt_interval_us * 1000);
		}
		/*
		 * The host in a answers a ping no raw socket of its own
		 * takes with an ICMP error: ping_once() reads it, not lost.
		 */
		rtt = ping_once(fd, out, opt_size, sizeof(struct ip),
		    (uint64_t)i, &c->c_err);
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
	memset(st, 0, sizeof(*st));
	st->lost = lost;
	if (n == 0) {
		return;
	}
	qsort(rtt, (size_t)n, sizeof(*rtt), cmp_u64);
	for (int i = 0; i < n; i++) {
		st->slow += rtt[i] > SLOW_NS;
	}
	st->p50 = pct_us(rtt, n, 0.50);
	st->p90 = pct_us(rtt, n, 0.90);
	st->p99 = pct_us(rtt, n, 0.99);
	st->max = (double)rtt[n - 1] / 1000.0;
}

/* Starts the library for @m; ENOTSUP when this build lacks the backend. */
static errno_t
xk_start(enum method m, struct xk_echo *xe, socket_t *sop)
{
	errno_t error;

	if ((error = raw_xk_init(env.re_ifa, m == M_XK_PCAP ? "pcap" : "linux",
	    m_rx[m])) != 0) {
		return error;
	}
	return sock_socket(PF_INET, SOCK_RAW, RAW_PROTO, xk_echo_upcall, xe,
	    sop);
}

/* 0, -1 on failure, 1 when the method is not available here. */
static int
measure(enum method m, uint64_t *rtt, struct stats *st)
{
	struct timeval tv = { 0, ECHO_TMO_MS * 1000 };
	struct bare_echo be;
	struct xk_echo xe;
	struct client c;
	pthread_t et, ct;
	socket_t so = NULL;
	errno_t error;
	int rc = -1, echo_started = 0;

	memset(&be, 0, sizeof(be));
	memset(&xe, 0, sizeof(xe));
	memset(&c, 0, sizeof(c));
	memset(st, 0, sizeof(*st));
	be.be_fd = -1;
	if (m == M_BARE) {
		if ((be.be_fd = socket(AF_INET, SOCK_RAW, RAW_PROTO)) < 0 ||
		    setsockopt(be.be_fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
		    sizeof(tv)) != 0) {
			perror("bench_raw_lat: bare echo socket");
			goto out;
		}
		/* Created from the main thread: on the echo CPU. */
		if (pthread_create(&et, NULL, bare_echo_main, &be) != 0) {
			goto out;
		}
		echo_started = 1;
	} else if ((error = xk_start(m, &xe, &so)) != 0) {
		if (error == ENOTSUP) {
			m_na[m] = "n/a (not built)";
			rc = 1;
		} else {
			fprintf(stderr, "bench_raw_lat: %s: %s\n", m_name[m],
			    strerror(error));
		}
		goto out;
	}
	c.c_rtt = rtt;
	if (pthread_create(&ct, NULL, client_main, &c) != 0) {
		goto stop;
	}
	pthread_join(ct, NULL);
	if (c.c_err != 0) {
		fprintf(stderr, "bench_raw_lat: %s: client: %s (%d lost)\n",
		    m_name[m], strerror(c.c_err), c.c_lost);
		goto stop;
	}
	summarize(rtt, c.c_done, c.c_lost, st);
	rc = 0;
stop:
	if (echo_started) {
		atomic_store(&be.be_stop, 1);
		pthread_join(et, NULL);
		if (be.be_err != 0) {
			fprintf(stderr, "bench_raw_lat: bare echo: %s\n",
			    strerror(be.be_err));
			rc = -1;
		}
	}
	if (so != NULL) {
		/* Waits for an upcall in flight; then xe is ours. */
		sock_close(so);
		so = NULL;
		if (xe.xe_rcv_err != 0 || xe.xe_snd_errs != 0) {
			fprintf(stderr, "bench_raw_lat: %s echo: receive %s, "
			    "%" PRIu64 " send errors (last %s)\n", m_name[m],
			    strerror(xe.xe_rcv_err), xe.xe_snd_errs,
			    strerror(xe.xe_snd_err));
			rc = -1;
		}
		st->upcalls = xe.xe_upcalls;
		st->empty = xe.xe_empty;
	}
out:
	if (m != M_BARE) {
		xkpi_shutdown();
	}
	if (be.be_fd >= 0) {
		close(be.be_fd);
	}
	return rc;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_raw_lat [-n round_trips] [-W warmup] "
	    "[-r runs] [-s size] [-i interval_us] "
	    "[-m bare|linux|mmsg|v3|pcap]... [-P]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static struct stats st[M_N][MAXRUNS];
	double v[MAXRUNS], m50[M_N], m99[M_N], mmax[M_N], mslow[M_N];
	struct utsname un;
	uint64_t *rtt;
	long val;
	int ch, run, k, any = 0, failed = 0, rc;

	while ((ch = getopt(argc, argv, "n:W:r:s:i:m:P")) != -1) {
		switch (ch) {
		case 'n':
			opt_n = atoi(optarg);
			if (opt_n < 100 || opt_n > 1000000) {
				usage();
			}
			break;
		case 'W':
			opt_warmup = atoi(optarg);
			if (opt_warmup < 0 || opt_warmup > 100000) {
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
			val = atol(optarg);
			if (val < (long)sizeof(uint64_t) ||
			    val > RAW_MAXPAY - 8) {
				usage();
			}
			opt_size = (size_t)val;
			break;
		case 'i':
			opt_interval_us = atoi(optarg);
			if (opt_interval_us < 0 || opt_interval_us > 100000) {
				usage();
			}
			break;
		case 'm':
			if (!choice_opt(optarg, m_opt, M_N, m_on, &any)) {
				usage();
			}
			break;
		case 'P':
			opt_nopin = 1;
			break;
		default:
			usage();
		}
	}
	if (!any) {
		for (k = 0; k < M_N; k++) {
			m_on[k] = true;
		}
	}
	/* The bare echo is every ratio's reference. */
	m_on[M_BARE] = true;
	if (raw_env_get(&env, "bench_raw_lat") != 0) {
		return 1;
	}
	if ((rtt = calloc((size_t)opt_n, sizeof(*rtt))) == NULL) {
		return 1;
	}
	choose_two_cpus(opt_nopin, &echo_cpu, &client_cpu);
	/* The library's loop thread and the bare echo inherit this CPU. */
	if (pin_self(echo_cpu) != 0) {
		fprintf(stderr, "bench_raw_lat: cannot pin to CPU %d\n",
		    echo_cpu);
		return 1;
	}
	uname(&un);
	printf("bench_raw_lat: %ld CPUs, Linux %s; %s (10.203.0.1) echoes "
	    "for a client in b; %d round trips after %d warm-up, %zu-byte "
	    "payload, %d us apart, %d runs (median)\n",
	    sysconf(_SC_NPROCESSORS_ONLN), un.release, env.re_ifa, opt_n,
	    opt_warmup, opt_size, opt_interval_us, opt_runs);
	if (echo_cpu >= 0) {
		printf("bench_raw_lat: echo (bare thread, library loop "
		    "thread) on CPU %d, client in b on CPU %d\n", echo_cpu,
		    client_cpu);
	}
	fflush(stdout);

	for (run = 0; run < opt_runs; run++) {
		for (int i = 0; i < M_N; i++) {
			/* Alternate the order between runs. */
			k = run % 2 == 0 ? i : M_N - 1 - i;
			if (!m_on[k] || m_na[k] != NULL) {
				continue;
			}
			if ((rc = measure((enum method)k, rtt,
			    &st[k][run])) < 0) {
				failed = 1;
				goto done;
			}
			if (rc > 0) {
				continue;
			}
			printf("  %-16s run %d: p50 %7.1f us  p90 %7.1f  p99 "
			    "%7.1f  max %8.1f  >1ms %d  lost %d", m_name[k],
			    run + 1, st[k][run].p50, st[k][run].p90,
			    st[k][run].p99, st[k][run].max, st[k][run].slow,
			    st[k][run].lost);
			if (k != M_BARE) {
				printf("  upcalls %" PRIu64 " (empty %" PRIu64
				    ")", st[k][run].upcalls,
				    st[k][run].empty);
			}
			printf("\n");
			fflush(stdout);
		}
	}
	for (k = 0; k < M_N; k++) {
		if (!m_on[k] || m_na[k] != NULL) {
			continue;
		}
		for (run = 0; run < opt_runs; run++) {
			v[run] = st[k][run].p50;
		}
		m50[k] = median(v, opt_runs);
		for (run = 0; run < opt_runs; run++) {
			v[run] = st[k][run].p99;
		}
		m99[k] = median(v, opt_runs);
		for (run = 0; run < opt_runs; run++) {
			v[run] = st[k][run].max;
		}
		mmax[k] = median(v, opt_runs);
		for (run = 0; run < opt_runs; run++) {
			v[run] = st[k][run].slow;
		}
		mslow[k] = median(v, opt_runs);
	}
	printf("medians:\n");
	for (k = 0; k < M_N; k++) {
		if (!m_on[k]) {
			continue;
		}
		if (m_na[k] != NULL) {
			printf("  %-16s %s\n", m_name[k], m_na[k]);
			printf("NOTE|raw echo: %s %s\n", m_name[k], m_na[k]);
			continue;
		}
		printf("  %-16s p50 %7.1f us  p99 %7.1f us  max %8.1f us  "
		    ">1ms %.0f\n", m_name[k], m50[k], m99[k], mmax[k],
		    mslow[k]);
	}
	for (k = M_BARE + 1; k < M_N; k++) {
		if (!m_on[k] || m_na[k] != NULL) {
			continue;
		}
		printf("ROW|raw echo rtt p50 (us), %s|%.1f|%.1f|%.3f\n",
		    m_name[k], m50[M_BARE], m50[k], m50[k] / m50[M_BARE]);
		printf("ROW|  p99 (us)|%.1f|%.1f|%.3f\n", m99[M_BARE], m99[k],
		    m99[k] / m99[M_BARE]);
		printf("ROW|  samples over 1 ms|%.0f|%.0f|-\n", mslow[M_BARE],
		    mslow[k]);
		printf("NOTE|raw echo %s: p50 %+.1f us over bare (goal <= +2), "
		    "%s; %.0f samples over 1 ms (bare %.0f)\n", m_name[k],
		    m50[k] - m50[M_BARE], m50[k] - m50[M_BARE] <= 2.0 ?
		    "met" : "missed", mslow[k], mslow[M_BARE]);
	}
done:
	free(rtt);
	return failed;
}
