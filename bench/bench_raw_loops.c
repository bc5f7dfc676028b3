/*
 * xkpi benchmark: raw IP receive with one event loop and with two
 * (struct xkpi_config.threads), over the linux backend in its default
 * mode, on traffic the kernel can spread: a generator in side b sends
 * from RAW_SRC_MAX addresses in turn, so that the receive lanes' fanout
 * program (backends/linux.c) deals the address pairs out over the loops.
 * One raw socket with a read upcall drains with sock_receivembuf, as in
 * bench_raw_recv.  Neither the generator nor the loops are pinned: the
 * kernel places them.
 *
 * Reported per loop count: packets received per second, the generator's
 * rate, and the CPU the whole receiving side spent per packet (the
 * process's CPU time less the generator thread's), with each loop's
 * share of the packets (be.linux.IF.laneN.rx).  On a machine with two
 * CPUs the generator holds one of them, so the second loop can only
 * show in the CPU per packet and in what the generator allows.
 *
 *	netns.sh bench_raw_loops [-d seconds] [-r runs] [-w warmup_ms]
 *	    [-s size]
 *
 * Prints ROW| and NOTE| lines for bench/run.sh after its own report.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench_raw.h"
#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>
#include <xkpi.h>

#define LOOPS_MAX	2	/* the counts compared: 1 and 2 */

static double	opt_dur = 2.0;
static int	opt_runs = 3;
static int	opt_warmup_ms = 300;
static size_t	opt_size = 64;
static struct raw_env env;

struct result {
	double		rx_pps;
	double		gen_pps;
	double		ns_pkt;		/* receiving side's CPU per packet */
	uint64_t	lane[LOOPS_MAX];	/* packets per loop */
	uint64_t	drops;
};

static atomic_uint_fast64_t rx_count;

static void
upcall(socket_t so, void *cookie, int waitf)
{
	uint64_t n = 0;
	size_t len;
	mbuf_t m;

	(void)cookie;
	(void)waitf;
	for (;;) {
		len = 1000000000;
		if (sock_receivembuf(so, NULL, &m, MSG_DONTWAIT, &len) != 0) {
			break;
		}
		mbuf_freem(m);
		n++;
	}
	atomic_fetch_add_explicit(&rx_count, n, memory_order_relaxed);
}

static uint64_t
process_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) {
		return 0;
	}
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

/* be.linux.IF.laneN.rx of the attached interface into lane[N]. */
struct lanes {
	char		prefix[64];
	uint64_t	lane[LOOPS_MAX];
	uint64_t	rx;
};

static void
lane_fn(const char *name, uint64_t v, void *ctx)
{
	struct lanes *l = ctx;
	size_t plen = strlen(l->prefix);
	int n;

	if (strncmp(name, l->prefix, plen) != 0) {
		return;
	}
	if (strcmp(name + plen, "rx") == 0) {
		l->rx = v;
	} else if (sscanf(name + plen, "lane%d.rx", &n) == 1 && n >= 0 &&
	    n < LOOPS_MAX) {
		l->lane[n] = v;
	}
}

static void
lanes_get(struct lanes *l)
{
	memset(l->lane, 0, sizeof(l->lane));
	l->rx = 0;
	snprintf(l->prefix, sizeof(l->prefix), "be.linux.%s.", env.re_ifa);
	(void)xkpi_stats(lane_fn, l);
}

/* 0, or -1 on failure. */
static int
measure(int loops, struct result *res)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "linux",
	    .ifaces = env.re_ifa, .threads = (unsigned int)loops);
	struct raw_xkstats xs0, xs1;
	struct lanes l0, l1;
	struct raw_gen g;
	pthread_t gt;
	uint64_t t0, t1, c0, c1, s0, s1, p0, p1, g0, g1, window;
	int rcvbuf = 4 << 20, rc = -1;
	socket_t so = NULL;
	errno_t error;

	memset(res, 0, sizeof(*res));
	memset(&g, 0, sizeof(g));
	window = (uint64_t)(opt_dur * (double)NSEC);
	atomic_store(&rx_count, 0);
	unsetenv("XKPI_LINUX_RX");
	if ((error = xkpi_init(&cfg)) != 0) {
		fprintf(stderr, "bench_raw_loops: xkpi_init, %d loops: %s\n",
		    loops, strerror(error));
		return -1;
	}
	if ((error = sock_socket(PF_INET, SOCK_RAW, RAW_PROTO, upcall, NULL,
	    &so)) != 0 || (error = sock_setsockopt(so, SOL_SOCKET, SO_RCVBUF,
	    &rcvbuf, sizeof(rcvbuf))) != 0) {
		fprintf(stderr, "bench_raw_loops: socket: %s\n",
		    strerror(error));
		goto out;
	}
	g.g_nsb = env.re_nsb;
	g.g_cpu = -1;
	g.g_nsrc = RAW_SRC_MAX;
	g.g_size = opt_size;
	if (raw_gen_start(&g, &gt, opt_warmup_ms, window) != 0) {
		goto out;
	}
	raw_xkstats_get(&xs0);
	lanes_get(&l0);
	t0 = now_ns();
	p0 = process_cpu_ns();
	g0 = thread_cpu_ns(gt);
	c0 = atomic_load(&rx_count);
	s0 = atomic_load(&g.g_sent);
	sleep_ns(window);
	t1 = now_ns();
	p1 = process_cpu_ns();
	g1 = thread_cpu_ns(gt);
	c1 = atomic_load(&rx_count);
	s1 = atomic_load(&g.g_sent);
	atomic_store(&g.g_stop, 1);
	pthread_join(gt, NULL);
	wait_quiet(&rx_count);
	raw_xkstats_get(&xs1);
	lanes_get(&l1);
	if (g.g_err != 0) {
		fprintf(stderr, "bench_raw_loops: generator: %s\n",
		    strerror(g.g_err));
		goto out;
	}
	if (c1 == c0 || s1 == s0) {
		fprintf(stderr, "bench_raw_loops: %d loops: %" PRIu64 " sent, %"
		    PRIu64 " received in the window\n", loops, s1 - s0,
		    c1 - c0);
		goto out;
	}
	res->rx_pps = per_sec(c1 - c0, t1 - t0);
	res->gen_pps = per_sec(s1 - s0, t1 - t0);
	if (p1 > p0 && g1 >= g0 && p1 - p0 > g1 - g0) {
		res->ns_pkt = (double)((p1 - p0) - (g1 - g0)) /
		    (double)(c1 - c0);
	}
	for (int n = 0; n < LOOPS_MAX; n++) {
		res->lane[n] = l1.lane[n] - l0.lane[n];
	}
	if (loops == 1) {
		res->lane[0] = l1.rx - l0.rx;
	}
	res->drops = (xs1.rawfull - xs0.rawfull) + (xs1.kdrops - xs0.kdrops) +
	    (xs1.nomem - xs0.nomem);
	rc = 0;
out:
	if (so != NULL) {
		sock_close(so);
	}
	xkpi_shutdown();
	return rc;
}

static void
usage(void)
{
	fprintf(stderr, "usage: netns.sh bench_raw_loops [-d seconds] "
	    "[-r runs] [-w warmup_ms] [-s size]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static struct result res[LOOPS_MAX][MAXRUNS];
	double v[MAXRUNS], med[LOOPS_MAX][3];
	const char *what[3] = { "kpps", "  gen kpps",
	    "  receiving side ns/pkt (all loops)" };
	struct utsname un;
	char name[128];
	long sz;
	int ch, rc;

	while ((ch = getopt(argc, argv, "d:r:w:s:")) != -1) {
		if ((rc = window_opt(ch, optarg, &opt_dur, &opt_runs,
		    &opt_warmup_ms)) != 0) {
			if (rc < 0) {
				usage();
			}
			continue;
		}
		if (ch != 's' || (sz = atol(optarg)) < 1 ||
		    sz > RAW_MAXPAY - 8) {
			usage();
		}
		opt_size = (size_t)sz;
	}
	if (raw_env_get(&env, "bench_raw_loops") != 0) {
		return 1;
	}
	uname(&un);
	printf("bench_raw_loops: %ld CPUs, Linux %s; %s (10.203.0.1) <- "
	    "generator in b from %d addresses, %zu B; window %.2f s, "
	    "warm-up %d ms, %d runs (median); nothing pinned\n",
	    sysconf(_SC_NPROCESSORS_ONLN), un.release, env.re_ifa,
	    RAW_SRC_MAX, opt_size, opt_dur, opt_warmup_ms, opt_runs);
	fflush(stdout);
	for (int run = 0; run < opt_runs; run++) {
		/* Alternate so drift hits both alike. */
		for (int loops = 1; loops <= LOOPS_MAX; loops++) {
			struct result *r = &res[loops - 1][run];

			if (measure(loops, r) != 0) {
				return 1;
			}
			printf("  %d loop%s run %d: rx %7.1f kpps  gen %7.1f "
			    "kpps (%5.1f%%)  receiving side %5.0f ns/pkt  "
			    "loop 0 %" PRIu64 ", loop 1 %" PRIu64 "  drops %"
			    PRIu64 "\n", loops, loops > 1 ? "s" : " ",
			    run + 1, r->rx_pps / 1000, r->gen_pps / 1000,
			    r->gen_pps > 0 ? 100 * r->rx_pps / r->gen_pps :
			    0, r->ns_pkt, r->lane[0], r->lane[1], r->drops);
			fflush(stdout);
		}
	}
	for (int l = 0; l < LOOPS_MAX; l++) {
		for (int q = 0; q < 3; q++) {
			for (int run = 0; run < opt_runs; run++) {
				const struct result *r = &res[l][run];

				v[run] = q == 0 ? r->rx_pps : q == 1 ?
				    r->gen_pps : r->ns_pkt;
			}
			med[l][q] = median(v, opt_runs);
		}
		printf("%d loop%s medians: rx %7.1f kpps  gen %7.1f kpps  "
		    "receiving side %5.0f ns/pkt\n", l + 1, l > 0 ? "s" : " ",
		    med[l][0] / 1000, med[l][1] / 1000, med[l][2]);
	}
	for (int q = 0; q < 3; q++) {
		double sc = q == 2 ? 1 : 1000;

		if (q == 0) {
			snprintf(name, sizeof(name), "raw recv %zu B, 2 loops "
			    "/ 1 loop, %s", opt_size, what[q]);
		} else {
			snprintf(name, sizeof(name), "%s", what[q]);
		}
		printf("ROW|%s|%.*f|%.*f|%.3f\n", name, q == 2 ? 0 : 1,
		    med[0][q] / sc, q == 2 ? 0 : 1, med[1][q] / sc,
		    med[0][q] > 0 ? med[1][q] / med[0][q] : 0);
	}
	printf("NOTE|raw recv %zu B, 2 loops / 1 loop: %.3f of the rate "
	    "(goal >= 1.8 where CPUs allow: this machine has %ld, the "
	    "generator holds one), %.3f of the receiving side's CPU per "
	    "packet\n", opt_size, med[0][0] > 0 ? med[1][0] / med[0][0] : 0,
	    sysconf(_SC_NPROCESSORS_ONLN), med[0][2] > 0 ?
	    med[1][2] / med[0][2] : 0);
	return 0;
}
