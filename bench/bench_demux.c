/*
 * xkpi benchmark: the cost of raw IP demultiplexing.  One raw socket of
 * protocol 253 receives the generator's traffic over the linux backend
 * while 1, 100 or 10,000 other raw sockets are open in the library, none
 * of which matches: half have another protocol (a quarter of all bound to
 * 10.203.0.1), half have protocol 253 but are connected to a peer in
 * 198.18.0.0/15 (RFC 2544's benchmarking range), which never sends.  The
 * counts alternate within each run.
 *
 *	netns.sh bench_demux [-d seconds] [-r runs] [-w warmup_ms]
 *	    [-s size] [-n count]... [-x mmsg|ring] [-P]
 *
 * The library's raw sockets are not file descriptors: no descriptor
 * limit applies to them.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench_raw.h"
#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>
#include <xkpi.h>

#define MAXCOUNTS	4
#define MAXOTHERS	100000
#define UPCALL_MAX	(1U << 22)

static double	opt_dur = 2.0;
static int	opt_runs = 3;
static int	opt_warmup_ms = 300;
static size_t	opt_size = 64;
static int	opt_rcvbuf = 4 << 20;
static int	opt_nopin;
static const char *opt_rx = "mmsg";
static int	opt_counts[MAXCOUNTS];
static int	opt_ncounts;

static int	rx_cpu = -1;
static int	gen_cpu = -1;
static struct raw_env env;
static socket_t	others[MAXOTHERS];

struct rx {
	size_t			 r_len;
	atomic_uint_fast64_t	 r_count;
	uint64_t		 r_badlen;
	int			 r_err;
	pthread_t		 r_thread;
	atomic_int		 r_have_thread;
};

struct result {
	double		rx_pps;
	double		gen_pps;
	double		ns_pkt;
	struct raw_xkstats xs;
};

static void
upcall(socket_t so, void *cookie, int waitf)
{
	struct rx *r = cookie;
	uint64_t local = 0;
	size_t len;
	errno_t error;
	mbuf_t m;

	(void)waitf;
	if (!atomic_load_explicit(&r->r_have_thread, memory_order_relaxed)) {
		r->r_thread = pthread_self();
		atomic_store(&r->r_have_thread, 1);
	}
	for (unsigned int i = 0; i < UPCALL_MAX; i++) {
		m = NULL;
		len = 1000000000;
		error = sock_receivembuf(so, NULL, &m, MSG_DONTWAIT, &len);
		if (error != 0) {
			if (error != EWOULDBLOCK) {
				r->r_err = error;
			}
			break;
		}
		if (len != r->r_len) {
			r->r_badlen++;
		}
		mbuf_freem(m);
		local++;
	}
	atomic_fetch_add_explicit(&r->r_count, local, memory_order_relaxed);
}

/* The @i-th socket that must not match the generator's traffic. */
static errno_t
open_other(int i, socket_t *sop)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int proto = i % 2 == 0 ? 1 + (i / 2) % 252 : RAW_PROTO;
	errno_t error;

	error = sock_socket(PF_INET, SOCK_RAW, proto, NULL, NULL, sop);
	if (error != 0) {
		return error;
	}
	if (i % 4 == 0) {
		inet_pton(AF_INET, RAW_ADDR_A, &sin.sin_addr);
		error = sock_bind(*sop, (struct sockaddr *)&sin);
	} else if (i % 2 == 1) {
		sin.sin_addr.s_addr = htonl(0xc6120000U | (uint32_t)i);
		error = sock_connect(*sop, (struct sockaddr *)&sin, 0);
	}
	return error;
}

static int
measure(int nothers, struct result *res)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "linux",
	    .ifaces = env.re_ifa);
	struct raw_xkstats xs0, xs1;
	struct raw_gen g;
	struct rx r;
	pthread_t gt;
	uint64_t t0, t1, c0, c1, s0, s1, u0 = 0, u1 = 0, window;
	socket_t so = NULL;
	int rc = -1, i, opened = 0;
	errno_t error;

	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	memset(&g, 0, sizeof(g));
	r.r_len = sizeof(struct ip) + opt_size;
	window = (uint64_t)(opt_dur * (double)NSEC);
	setenv("XKPI_LINUX_RX", opt_rx, 1);
	if ((error = xkpi_init(&cfg)) != 0) {
		fprintf(stderr, "bench_demux: xkpi_init: %s\n",
		    strerror(error));
		return -1;
	}
	for (i = 0; i < nothers; i++, opened++) {
		if ((error = open_other(i, &others[i])) != 0) {
			fprintf(stderr, "bench_demux: other socket %d: %s\n",
			    i, strerror(error));
			if (others[i] != NULL) {
				opened++;
			}
			goto out;
		}
	}
	if ((error = sock_socket(PF_INET, SOCK_RAW, RAW_PROTO, upcall, &r,
	    &so)) != 0 || (error = sock_setsockopt(so, SOL_SOCKET, SO_RCVBUF,
	    &opt_rcvbuf, sizeof(opt_rcvbuf))) != 0) {
		fprintf(stderr, "bench_demux: receiving socket: %s\n",
		    strerror(error));
		goto out;
	}
	g.g_nsb = env.re_nsb;
	g.g_cpu = gen_cpu;
	g.g_size = opt_size;
	if (raw_gen_start(&g, &gt, opt_warmup_ms, window) != 0) {
		goto out;
	}
	raw_xkstats_get(&xs0);
	if (atomic_load(&r.r_have_thread)) {
		u0 = thread_cpu_ns(r.r_thread);
	}
	t0 = now_ns();
	c0 = atomic_load(&r.r_count);
	s0 = atomic_load(&g.g_sent);
	sleep_ns(window);
	t1 = now_ns();
	c1 = atomic_load(&r.r_count);
	s1 = atomic_load(&g.g_sent);
	if (atomic_load(&r.r_have_thread)) {
		u1 = thread_cpu_ns(r.r_thread);
	}
	atomic_store(&g.g_stop, 1);
	pthread_join(gt, NULL);
	wait_quiet(&r.r_count);
	raw_xkstats_get(&xs1);
	res->rx_pps = per_sec(c1 - c0, t1 - t0);
	res->gen_pps = per_sec(s1 - s0, t1 - t0);
	if (u0 != 0 && u1 > u0 && c1 > c0) {
		res->ns_pkt = (double)(u1 - u0) / (double)(c1 - c0);
	}
	res->xs.ip_in = xs1.ip_in - xs0.ip_in;
	res->xs.rawfull = xs1.rawfull - xs0.rawfull;
	res->xs.kdrops = xs1.kdrops - xs0.kdrops;
	if (g.g_err != 0 || c1 == c0 || s1 == s0) {
		fprintf(stderr, "bench_demux: %d others: generator %s, %"
		    PRIu64 " sent, %" PRIu64 " received\n", nothers,
		    strerror(g.g_err), s1 - s0, c1 - c0);
		goto out;
	}
	rc = 0;
out:
	if (so != NULL) {
		sock_close(so);
	}
	for (i = 0; i < opened; i++) {
		sock_close(others[i]);
		others[i] = NULL;
	}
	xkpi_shutdown();
	if (r.r_err != 0 || r.r_badlen != 0) {
		fprintf(stderr, "bench_demux: receive: %s, %" PRIu64 " of "
		    "the wrong length\n", strerror(r.r_err), r.r_badlen);
		rc = -1;
	}
	return rc;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_demux [-d seconds] [-r runs] "
	    "[-w warmup_ms] [-s size] [-n others]... [-x mmsg|ring] [-P]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static struct result res[MAXCOUNTS][MAXRUNS];
	double v[MAXRUNS], med[MAXCOUNTS][3];
	struct utsname un;
	long n;
	int ch, run, c, k, q, failed = 0, rc;

	while ((ch = getopt(argc, argv, "d:r:w:s:n:x:P")) != -1) {
		if ((rc = window_opt(ch, optarg, &opt_dur, &opt_runs,
		    &opt_warmup_ms)) != 0) {
			if (rc < 0) {
				usage();
			}
			continue;
		}
		switch (ch) {
		case 's':
			n = atol(optarg);
			if (n < 1 || n > RAW_MAXPAY - 8) {
				usage();
			}
			opt_size = (size_t)n;
			break;
		case 'n':
			n = atol(optarg);
			if (opt_ncounts == MAXCOUNTS || n < 0 ||
			    n > MAXOTHERS) {
				usage();
			}
			opt_counts[opt_ncounts++] = (int)n;
			break;
		case 'x':
			if (strcmp(optarg, "mmsg") != 0 &&
			    strcmp(optarg, "ring") != 0) {
				usage();
			}
			opt_rx = optarg;
			break;
		case 'P':
			opt_nopin = 1;
			break;
		default:
			usage();
		}
	}
	if (opt_ncounts == 0) {
		opt_counts[opt_ncounts++] = 1;
		opt_counts[opt_ncounts++] = 100;
		opt_counts[opt_ncounts++] = 10000;
	}
	if (raw_env_get(&env, "bench_demux") != 0) {
		return 1;
	}
	choose_two_cpus(opt_nopin, &rx_cpu, &gen_cpu);
	if (pin_self(rx_cpu) != 0) {
		fprintf(stderr, "bench_demux: cannot pin to CPU %d\n", rx_cpu);
		return 1;
	}
	uname(&un);
	printf("bench_demux: %ld CPUs, Linux %s; linux backend "
	    "(XKPI_LINUX_RX=%s) on %s, %zu B payloads; window %.2f s, "
	    "warm-up %d ms, %d runs (median); consumer CPU %d, generator "
	    "CPU %d\n", sysconf(_SC_NPROCESSORS_ONLN), un.release, opt_rx,
	    env.re_ifa, opt_size, opt_dur, opt_warmup_ms, opt_runs, rx_cpu,
	    gen_cpu);
	fflush(stdout);

	for (run = 0; run < opt_runs; run++) {
		for (k = 0; k < opt_ncounts; k++) {
			/* Forward, then backward: alternate the order. */
			c = run % 2 == 0 ? k : opt_ncounts - 1 - k;
			if (measure(opt_counts[c], &res[c][run]) != 0) {
				failed = 1;
				goto done;
			}
			printf("  %5d others run %d: rx %7.1f kpps  gen %7.1f "
			    "kpps  consumer %5.0f ns/pkt  (ip.in %" PRIu64
			    " rawfull %" PRIu64 " kdrops %" PRIu64 ")\n",
			    opt_counts[c], run + 1, res[c][run].rx_pps / 1000,
			    res[c][run].gen_pps / 1000, res[c][run].ns_pkt,
			    res[c][run].xs.ip_in, res[c][run].xs.rawfull,
			    res[c][run].xs.kdrops);
			fflush(stdout);
		}
	}
	for (c = 0; c < opt_ncounts; c++) {
		for (q = 0; q < 3; q++) {
			for (run = 0; run < opt_runs; run++) {
				v[run] = q == 0 ? res[c][run].rx_pps :
				    q == 1 ? res[c][run].gen_pps :
				    res[c][run].ns_pkt;
			}
			med[c][q] = median(v, opt_runs);
		}
		printf("%5d others median: rx %7.1f kpps  gen %7.1f kpps  "
		    "consumer %5.0f ns/pkt\n", opt_counts[c], med[c][0] / 1000,
		    med[c][1] / 1000, med[c][2]);
	}
	for (c = 1; c < opt_ncounts; c++) {
		printf("ROW|demux %zu B, %d -> %d others: consumer ns/pkt|"
		    "%.0f|%.0f|%.3f\n", opt_size, opt_counts[0],
		    opt_counts[c], med[0][2], med[c][2],
		    med[0][2] > 0 ? med[c][2] / med[0][2] : 0);
		printf("ROW|  rx kpps|%.1f|%.1f|%.3f\n", med[0][0] / 1000,
		    med[c][0] / 1000, med[0][0] > 0 ? med[c][0] / med[0][0] :
		    0);
		printf("NOTE|demux %zu B: consumer ns/pkt with %d others is "
		    "%.2fx that with %d (goal <= 1.2x): %s\n", opt_size,
		    opt_counts[c], med[0][2] > 0 ? med[c][2] / med[0][2] : 0,
		    opt_counts[0], med[0][2] > 0 &&
		    med[c][2] / med[0][2] <= 1.2 ? "met" : "missed");
	}
done:
	return failed;
}
