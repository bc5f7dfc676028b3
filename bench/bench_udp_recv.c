/*
 * xkpi benchmark: UDP receive throughput over loopback, the library's
 * upcall + sock_receivembuf() path against a bare epoll + recvmmsg()
 * receiver, in one run and fed by the same traffic generator.
 *
 *	bench_udp_recv [-d seconds] [-r runs] [-w warmup_ms] [-b rcvbuf]
 *	    [-s size]... [-P]
 *
 * Prints one "ROW|name|bare|xkpi|ratio" line per datagram size for
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
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>
#include <xkpi.h>

#define BATCH		64		/* sendmmsg and recvmmsg batch */
#define RXBUF		2048		/* per-datagram receive buffer */
#define MAXSIZES	4
#define GRACE_NS	(3 * NSEC)	/* hard stop after the window */
#define DRAIN_IDLE_NS	(100 * 1000000ULL)
#define DRAIN_MAX_NS	(3 * NSEC)
#define UPCALL_MAX	(1U << 22)	/* safety bound on one drain */

enum rx_kind { RX_BARE, RX_XKPI };

static const char *kind_name[] = { "bare", "xkpi" };

/* Options. */
static double	opt_dur = 2.0;
static int	opt_runs = 3;
static int	opt_warmup_ms = 300;
static int	opt_rcvbuf;
static int	opt_nopin;
static size_t	opt_sizes[MAXSIZES];
static int	opt_nsizes;

/* CPUs chosen for the receiver and the generator; -1 when not pinned. */
static int	rx_cpu = -1;
static int	gen_cpu = -1;

struct gen {
	struct sockaddr_in	 g_dst;
	size_t			 g_size;
	uint64_t		 g_deadline;
	atomic_int		 g_stop;
	atomic_uint_fast64_t	 g_sent;
	int			 g_err;
};

struct bare_rx {
	int			 br_fd;
	int			 br_ep;
	size_t			 br_size;
	uint64_t		 br_deadline;
	atomic_int		 br_stop;
	atomic_uint_fast64_t	 br_count;
	uint64_t		 br_badlen;
	uint64_t		 br_wakeups;
	int			 br_err;
};

struct xk_rx {
	size_t			 xr_size;
	atomic_uint_fast64_t	 xr_count;
	/* Written on the loop thread only, read after sock_close(). */
	uint64_t		 xr_badlen;
	uint64_t		 xr_upcalls;
	uint64_t		 xr_empty;
	uint64_t		 xr_nopkthdr;
	uint64_t		 xr_capped;
	errno_t			 xr_err;
	/* The loop thread, learnt in the first upcall. */
	pthread_t		 xr_thread;
	atomic_int		 xr_have_thread;
};

struct udp_mib {
	uint64_t	in_dgrams;
	uint64_t	rcvbuf_errs;
	uint64_t	in_errs;
};

struct cpu_times {
	uint64_t	busy;
	uint64_t	total;
};

/* One measurement. */
struct result {
	double		rx_pps;
	double		gen_pps;
	double		rx_busy;	/* receiver CPU busy fraction */
	double		gen_busy;
	double		rx_ns_pkt;	/* receiving thread's CPU time per
					   datagram, ns */
	uint64_t	rx_total;	/* datagrams over the whole run */
	struct udp_mib	mib;		/* kernel deltas over the whole run */
	uint64_t	badlen;
	uint64_t	wakeups;	/* epoll wakeups or upcalls */
	uint64_t	empty;		/* upcalls that found nothing */
};

static void
sleep_ns(uint64_t ns)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ns / NSEC);
	ts.tv_nsec = (long)(ns % NSEC);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
		continue;
	}
}

/* Busy and total jiffies of one CPU, from /proc/stat. */
static int
read_cpu(int cpu, struct cpu_times *ct)
{
	char line[512], name[16];
	unsigned long long v[10];
	FILE *f;
	int n, i, ok = -1;

	memset(ct, 0, sizeof(*ct));
	if (cpu < 0 || (f = fopen("/proc/stat", "r")) == NULL) {
		return -1;
	}
	snprintf(name, sizeof(name), "cpu%d ", cpu);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, name, strlen(name)) != 0) {
			continue;
		}
		memset(v, 0, sizeof(v));
		n = sscanf(line + strlen(name),
		    "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
		    &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
		if (n < 4) {
			break;
		}
		for (i = 0; i < 8; i++) {
			ct->total += v[i];
		}
		/* idle and iowait are the idle time. */
		ct->busy = ct->total - v[3] - v[4];
		ok = 0;
		break;
	}
	fclose(f);
	return ok;
}

static double
cpu_busy(const struct cpu_times *a, const struct cpu_times *b)
{
	if (b->total <= a->total) {
		return -1;
	}
	return (double)(b->busy - a->busy) / (double)(b->total - a->total);
}

/* The kernel's UDP counters, to show where datagrams were lost. */
static int
read_udp_mib(struct udp_mib *mib)
{
	char hdr[1024], val[1024], *hs, *vs, *h, *v;
	FILE *f;
	int ok = -1;

	memset(mib, 0, sizeof(*mib));
	if ((f = fopen("/proc/net/snmp", "r")) == NULL) {
		return -1;
	}
	while (fgets(hdr, sizeof(hdr), f) != NULL) {
		if (strncmp(hdr, "Udp:", 4) != 0) {
			continue;
		}
		if (fgets(val, sizeof(val), f) == NULL) {
			break;
		}
		h = strtok_r(hdr, " \n", &hs);
		v = strtok_r(val, " \n", &vs);
		while (h != NULL && v != NULL) {
			if (strcmp(h, "InDatagrams") == 0) {
				mib->in_dgrams = strtoull(v, NULL, 10);
			} else if (strcmp(h, "RcvbufErrors") == 0) {
				mib->rcvbuf_errs = strtoull(v, NULL, 10);
			} else if (strcmp(h, "InErrors") == 0) {
				mib->in_errs = strtoull(v, NULL, 10);
			}
			h = strtok_r(NULL, " \n", &hs);
			v = strtok_r(NULL, " \n", &vs);
		}
		ok = 0;
		break;
	}
	fclose(f);
	return ok;
}

/*
 * The generator: one connected socket, batches of BATCH identical
 * datagrams, as fast as the kernel takes them.  It is the same code, on
 * the same CPU, whichever receiver is measured.
 */
static void *
gen_main(void *arg)
{
	struct gen *g = arg;
	struct mmsghdr msgs[BATCH];
	struct iovec iov;
	char *payload;
	uint64_t iter;
	int fd, n, i;

	if (pin_self(gen_cpu) != 0) {
		g->g_err = EINVAL;
		return NULL;
	}
	if ((payload = malloc(g->g_size)) == NULL) {
		g->g_err = ENOMEM;
		return NULL;
	}
	memset(payload, 'x', g->g_size);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0) {
		g->g_err = errno;
		free(payload);
		return NULL;
	}
	if (connect(fd, (struct sockaddr *)&g->g_dst,
	    sizeof(g->g_dst)) != 0) {
		g->g_err = errno;
		goto out;
	}
	iov.iov_base = payload;
	iov.iov_len = g->g_size;
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	/* Bounded by the stop flag, the deadline and a count. */
	for (iter = 0; iter < UINT64_C(1) << 32; iter++) {
		if (atomic_load_explicit(&g->g_stop, memory_order_relaxed)) {
			break;
		}
		if ((iter & 15) == 0 && now_ns() > g->g_deadline) {
			break;
		}
		n = sendmmsg(fd, msgs, BATCH, 0);
		if (n < 0) {
			/* Refused: an ICMP from an earlier run; go on. */
			if (errno == EINTR || errno == EAGAIN ||
			    errno == ENOBUFS || errno == ECONNREFUSED) {
				continue;
			}
			g->g_err = errno;
			break;
		}
		atomic_fetch_add_explicit(&g->g_sent, (uint64_t)n,
		    memory_order_relaxed);
	}
out:
	close(fd);
	free(payload);
	return NULL;
}

/*
 * The bare receiver: what a careful Linux program does.  Level-triggered
 * epoll, then recvmmsg() until EAGAIN, the same rule as the upcall's.
 * (Stopping at the first short batch saves a syscall but sleeps more
 * often, and on loopback every wakeup is paid by the generator: it
 * measured slower here.)
 */
static void *
bare_main(void *arg)
{
	struct bare_rx *br = arg;
	static char bufs[BATCH][RXBUF];
	struct mmsghdr msgs[BATCH];
	struct iovec iovs[BATCH];
	struct epoll_event ev;
	uint64_t local;
	int i, n, r, inner;

	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		iovs[i].iov_base = bufs[i];
		iovs[i].iov_len = RXBUF;
		msgs[i].msg_hdr.msg_iov = &iovs[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (!atomic_load_explicit(&br->br_stop, memory_order_relaxed)) {
		if (now_ns() > br->br_deadline) {
			break;
		}
		n = epoll_wait(br->br_ep, &ev, 1, 50);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			br->br_err = errno;
			break;
		}
		if (n == 0) {
			continue;
		}
		br->br_wakeups++;
		for (inner = 0; inner < 4096; inner++) {
			r = recvmmsg(br->br_fd, msgs, BATCH, MSG_DONTWAIT,
			    NULL);
			if (r < 0) {
				if (errno != EAGAIN && errno != EINTR) {
					br->br_err = errno;
				}
				break;
			}
			local = 0;
			for (i = 0; i < r; i++) {
				if (msgs[i].msg_len != br->br_size) {
					br->br_badlen++;
				}
				local++;
			}
			atomic_fetch_add_explicit(&br->br_count, local,
			    memory_order_relaxed);
		}
		if (br->br_err != 0) {
			break;
		}
	}
	return NULL;
}

/*
 * The library's receiver: the pattern the KPI documents for a kext, an
 * upcall that drains with MSG_DONTWAIT until EWOULDBLOCK.  The shared
 * count is published every BATCH datagrams, as the bare receiver does.
 */
static void
xk_upcall(socket_t so, void *cookie, int waitf)
{
	struct xk_rx *xr = cookie;
	uint64_t local = 0;
	unsigned int i;
	size_t len;
	errno_t error;
	mbuf_t m;

	(void)waitf;
	if (!atomic_load_explicit(&xr->xr_have_thread,
	    memory_order_relaxed)) {
		xr->xr_thread = pthread_self();
		atomic_store(&xr->xr_have_thread, 1);
	}
	xr->xr_upcalls++;
	for (i = 0; i < UPCALL_MAX; i++) {
		m = NULL;
		len = 1000000000;
		error = sock_receivembuf(so, NULL, &m, MSG_DONTWAIT, &len);
		if (error != 0) {
			if (error != EWOULDBLOCK) {
				xr->xr_err = error;
			}
			if (i == 0) {
				xr->xr_empty++;
			}
			break;
		}
		if (len != xr->xr_size) {
			xr->xr_badlen++;
		}
		if (m != NULL && !(mbuf_flags(m) & MBUF_PKTHDR)) {
			xr->xr_nopkthdr++;
		}
		mbuf_freem(m);
		if (++local == BATCH) {
			atomic_fetch_add_explicit(&xr->xr_count, local,
			    memory_order_relaxed);
			local = 0;
		}
	}
	if (i == UPCALL_MAX) {
		xr->xr_capped++;
	}
	atomic_fetch_add_explicit(&xr->xr_count, local, memory_order_relaxed);
}

/* CPU time used so far by a thread, in ns; 0 when unknown. */
static uint64_t
thread_cpu_ns(const pthread_t *t)
{
	struct timespec ts;
	clockid_t cid;

	if (t == NULL || pthread_getcpuclockid(*t, &cid) != 0 ||
	    clock_gettime(cid, &ts) != 0) {
		return 0;
	}
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

/* Wait until the receiver's count stops moving, within DRAIN_MAX_NS. */
static void
wait_drained(atomic_uint_fast64_t *count)
{
	uint64_t start = now_ns(), last_change = start, last, cur;

	last = atomic_load(count);
	while (now_ns() - start < DRAIN_MAX_NS) {
		sleep_ns(10 * 1000000ULL);
		cur = atomic_load(count);
		if (cur != last) {
			last = cur;
			last_change = now_ns();
		} else if (now_ns() - last_change >= DRAIN_IDLE_NS) {
			break;
		}
	}
}

static int
measure(enum rx_kind kind, size_t size, struct result *res)
{
	struct udp_mib mib0, mib1;
	struct cpu_times rc0, rc1, gc0, gc1;
	struct sockaddr_in sin;
	struct epoll_event ev;
	struct bare_rx br;
	struct xk_rx xr;
	struct gen g;
	pthread_t gt, bt;
	atomic_uint_fast64_t *count = NULL;
	const pthread_t *rxt = NULL;
	uint64_t t0, t1, c0, c1, s0, s1, window, u0, u1;
	socket_t so = NULL;
	socklen_t slen;
	errno_t error;
	int rc = -1, bare_started = 0;

	memset(res, 0, sizeof(*res));
	memset(&br, 0, sizeof(br));
	memset(&xr, 0, sizeof(xr));
	memset(&g, 0, sizeof(g));
	br.br_fd = br.br_ep = -1;
	window = (uint64_t)(opt_dur * (double)NSEC);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = 0;

	read_udp_mib(&mib0);
	if (kind == RX_BARE) {
		br.br_size = size;
		br.br_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (br.br_fd < 0) {
			perror("bench_udp_recv: socket");
			goto out;
		}
		if (opt_rcvbuf > 0 && setsockopt(br.br_fd, SOL_SOCKET,
		    SO_RCVBUF, &opt_rcvbuf, sizeof(opt_rcvbuf)) != 0) {
			perror("bench_udp_recv: SO_RCVBUF");
			goto out;
		}
		if (bind(br.br_fd, (struct sockaddr *)&sin,
		    sizeof(sin)) != 0) {
			perror("bench_udp_recv: bind");
			goto out;
		}
		slen = sizeof(sin);
		if (getsockname(br.br_fd, (struct sockaddr *)&sin,
		    &slen) != 0) {
			perror("bench_udp_recv: getsockname");
			goto out;
		}
		if ((br.br_ep = epoll_create1(0)) < 0) {
			perror("bench_udp_recv: epoll_create1");
			goto out;
		}
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		if (epoll_ctl(br.br_ep, EPOLL_CTL_ADD, br.br_fd, &ev) != 0) {
			perror("bench_udp_recv: epoll_ctl");
			goto out;
		}
		br.br_deadline = now_ns() + (uint64_t)opt_warmup_ms *
		    1000000ULL + window + GRACE_NS + DRAIN_MAX_NS;
		/* Created from the main thread: on the receiver CPU. */
		if (pthread_create(&bt, NULL, bare_main, &br) != 0) {
			fprintf(stderr, "bench_udp_recv: pthread_create\n");
			goto out;
		}
		bare_started = 1;
		count = &br.br_count;
		rxt = &bt;
	} else {
		xr.xr_size = size;
		error = sock_socket(PF_INET, SOCK_DGRAM, IPPROTO_UDP,
		    xk_upcall, &xr, &so);
		if (error != 0) {
			fprintf(stderr, "bench_udp_recv: sock_socket: %s\n",
			    strerror(error));
			goto out;
		}
		if (opt_rcvbuf > 0 && (error = sock_setsockopt(so,
		    SOL_SOCKET, SO_RCVBUF, &opt_rcvbuf,
		    sizeof(opt_rcvbuf))) != 0) {
			fprintf(stderr, "bench_udp_recv: sock_setsockopt: "
			    "%s\n", strerror(error));
			goto out;
		}
		if ((error = sock_bind(so, (struct sockaddr *)&sin)) != 0) {
			fprintf(stderr, "bench_udp_recv: sock_bind: %s\n",
			    strerror(error));
			goto out;
		}
		error = sock_getsockname(so, (struct sockaddr *)&sin,
		    sizeof(sin));
		if (error != 0 || sin.sin_port == 0) {
			fprintf(stderr, "bench_udp_recv: sock_getsockname: "
			    "%s (port %u)\n", strerror(error),
			    ntohs(sin.sin_port));
			goto out;
		}
		count = &xr.xr_count;
	}

	g.g_dst = sin;
	g.g_size = size;
	g.g_deadline = now_ns() + (uint64_t)opt_warmup_ms * 1000000ULL +
	    window + GRACE_NS;
	if (pthread_create(&gt, NULL, gen_main, &g) != 0) {
		fprintf(stderr, "bench_udp_recv: pthread_create\n");
		goto stop_rx;
	}
	sleep_ns((uint64_t)opt_warmup_ms * 1000000ULL);

	if (kind == RX_XKPI && atomic_load(&xr.xr_have_thread)) {
		rxt = &xr.xr_thread;
	}
	read_cpu(rx_cpu, &rc0);
	read_cpu(gen_cpu, &gc0);
	u0 = thread_cpu_ns(rxt);
	t0 = now_ns();
	c0 = atomic_load(count);
	s0 = atomic_load(&g.g_sent);
	sleep_ns(window);
	t1 = now_ns();
	c1 = atomic_load(count);
	s1 = atomic_load(&g.g_sent);
	u1 = thread_cpu_ns(rxt);
	read_cpu(rx_cpu, &rc1);
	read_cpu(gen_cpu, &gc1);

	atomic_store(&g.g_stop, 1);
	pthread_join(gt, NULL);
	wait_drained(count);

	res->rx_pps = (double)(c1 - c0) * (double)NSEC / (double)(t1 - t0);
	res->gen_pps = (double)(s1 - s0) * (double)NSEC / (double)(t1 - t0);
	res->rx_busy = cpu_busy(&rc0, &rc1);
	res->gen_busy = cpu_busy(&gc0, &gc1);
	if (u0 != 0 && u1 > u0 && c1 > c0) {
		res->rx_ns_pkt = (double)(u1 - u0) / (double)(c1 - c0);
	}
	if (g.g_err != 0) {
		fprintf(stderr, "bench_udp_recv: generator: %s\n",
		    strerror(g.g_err));
		goto stop_rx;
	}
	/* Nothing to compare: the path under test is broken. */
	if (s1 == s0 || c1 == c0) {
		fprintf(stderr, "bench_udp_recv: %s: %" PRIu64 " sent, %"
		    PRIu64 " received in the window\n", kind_name[kind],
		    s1 - s0, c1 - c0);
		goto stop_rx;
	}
	rc = 0;

stop_rx:
	if (kind == RX_BARE) {
		if (bare_started) {
			atomic_store(&br.br_stop, 1);
			pthread_join(bt, NULL);
		}
		res->rx_total = atomic_load(&br.br_count);
		res->badlen = br.br_badlen;
		res->wakeups = br.br_wakeups;
		if (br.br_err != 0) {
			fprintf(stderr, "bench_udp_recv: bare receiver: %s\n",
			    strerror(br.br_err));
			rc = -1;
		}
	} else {
		/* Waits for an upcall in flight; then xr is ours. */
		sock_close(so);
		so = NULL;
		res->rx_total = atomic_load(&xr.xr_count);
		res->badlen = xr.xr_badlen;
		res->wakeups = xr.xr_upcalls;
		res->empty = xr.xr_empty;
		if (xr.xr_err != 0) {
			fprintf(stderr, "bench_udp_recv: sock_receivembuf: "
			    "%s\n", strerror(xr.xr_err));
			rc = -1;
		}
		if (xr.xr_nopkthdr != 0 || xr.xr_capped != 0) {
			fprintf(stderr, "bench_udp_recv: note: %" PRIu64
			    " chains without a packet header, %" PRIu64
			    " drains capped\n", xr.xr_nopkthdr,
			    xr.xr_capped);
		}
	}
	read_udp_mib(&mib1);
	res->mib.in_dgrams = mib1.in_dgrams - mib0.in_dgrams;
	res->mib.rcvbuf_errs = mib1.rcvbuf_errs - mib0.rcvbuf_errs;
	res->mib.in_errs = mib1.in_errs - mib0.in_errs;
	if (res->badlen != 0) {
		fprintf(stderr, "bench_udp_recv: %s: %" PRIu64 " datagrams "
		    "of the wrong length\n", kind_name[kind], res->badlen);
		rc = -1;
	}
out:
	if (so != NULL) {
		sock_close(so);
	}
	if (br.br_ep >= 0) {
		close(br.br_ep);
	}
	if (br.br_fd >= 0) {
		close(br.br_fd);
	}
	return rc;
}

static void
print_run(enum rx_kind kind, size_t size, int run, const struct result *r)
{
	printf("  %4zu B %s run %d: rx %8.0f pps  gen %8.0f pps (%5.1f%% "
	    "received)\n", size, kind_name[kind], run + 1, r->rx_pps,
	    r->gen_pps, r->gen_pps > 0 ? 100 * r->rx_pps / r->gen_pps : 0);
	printf("         rx thread %5.0f ns/dgram", r->rx_ns_pkt);
	if (r->rx_busy >= 0 && r->gen_busy >= 0) {
		printf(";  busy: rx core %3.0f%%, gen core %3.0f%%",
		    r->rx_busy * 100, r->gen_busy * 100);
	}
	printf("\n");
	printf("         whole run: received %" PRIu64 ", kernel "
	    "InDatagrams %" PRIu64 " RcvbufErrors %" PRIu64 ", %s %" PRIu64
	    " (%.1f dgram each)", r->rx_total, r->mib.in_dgrams,
	    r->mib.rcvbuf_errs, kind == RX_BARE ? "wakeups" : "upcalls",
	    r->wakeups, r->wakeups ? (double)r->rx_total /
	    (double)r->wakeups : 0);
	if (kind == RX_XKPI) {
		printf(", empty %" PRIu64, r->empty);
	}
	printf("\n");
	fflush(stdout);
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_udp_recv [-d seconds] [-r runs] "
	    "[-w warmup_ms] [-b rcvbuf] [-s size]... [-P]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct result res[2][MAXRUNS];
	double rx[2][MAXRUNS], gen[2][MAXRUNS], nspk[2][MAXRUNS];
	double mrx[2], mgen[2], mns[2];
	struct utsname un;
	errno_t error;
	long sz;
	int ch, si, run, k, failed = 0, rc;

	while ((ch = getopt(argc, argv, "d:r:w:b:s:P")) != -1) {
		if ((rc = window_opt(ch, optarg, &opt_dur, &opt_runs,
		    &opt_warmup_ms)) != 0) {
			if (rc < 0) {
				usage();
			}
			continue;
		}
		switch (ch) {
		case 'b':
			opt_rcvbuf = atoi(optarg);
			break;
		case 's':
			sz = atol(optarg);
			if (opt_nsizes == MAXSIZES || sz < 1 || sz > 1472) {
				usage();
			}
			opt_sizes[opt_nsizes++] = (size_t)sz;
			break;
		case 'P':
			opt_nopin = 1;
			break;
		default:
			usage();
		}
	}
	if (opt_nsizes == 0) {
		opt_sizes[opt_nsizes++] = 64;
		opt_sizes[opt_nsizes++] = 1024;
	}

	choose_two_cpus(opt_nopin, &rx_cpu, &gen_cpu);
	/*
	 * Pin the main thread before the library starts: its event-loop
	 * thread, and the bare receiver thread, inherit the receiver CPU.
	 */
	if (pin_self(rx_cpu) != 0) {
		fprintf(stderr, "bench_udp_recv: cannot pin to CPU %d\n",
		    rx_cpu);
		return 1;
	}
	if ((error = xkpi_init(NULL)) != 0) {
		fprintf(stderr, "bench_udp_recv: xkpi_init: %s\n",
		    strerror(error));
		return 1;
	}

	uname(&un);
	printf("bench_udp_recv: %ld CPUs online, Linux %s; window %.2f s, "
	    "warm-up %d ms, %d runs each (median), SO_RCVBUF %d%s\n",
	    sysconf(_SC_NPROCESSORS_ONLN), un.release, opt_dur,
	    opt_warmup_ms, opt_runs, opt_rcvbuf,
	    opt_rcvbuf > 0 ? "" : " (default)");
	if (rx_cpu >= 0) {
		printf("bench_udp_recv: receiver (bare thread, xkpi loop "
		    "thread) pinned to CPU %d, generator to CPU %d\n",
		    rx_cpu, gen_cpu);
	} else {
		printf("bench_udp_recv: not pinned (fewer than 2 CPUs, or "
		    "-P): receiver and generator share the CPUs\n");
	}
	printf("NOTE|udp recv: %s\n", rx_cpu >= 0 ? "receiver and "
	    "generator pinned to different CPUs" : "not pinned");
	fflush(stdout);

	for (si = 0; si < opt_nsizes; si++) {
		for (run = 0; run < opt_runs; run++) {
			/* Alternate so that drift hits both alike. */
			for (k = 0; k < 2; k++) {
				if (measure((enum rx_kind)k, opt_sizes[si],
				    &res[k][run]) != 0) {
					failed = 1;
					goto done;
				}
				print_run((enum rx_kind)k, opt_sizes[si], run,
				    &res[k][run]);
				rx[k][run] = res[k][run].rx_pps;
				gen[k][run] = res[k][run].gen_pps;
				nspk[k][run] = res[k][run].rx_ns_pkt;
			}
		}
		for (k = 0; k < 2; k++) {
			mrx[k] = median(rx[k], opt_runs);
			mgen[k] = median(gen[k], opt_runs);
			mns[k] = median(nspk[k], opt_runs);
		}
		printf("%4zu B median: bare %.0f pps (gen %.0f, %.1f%% "
		    "received, %.0f ns/dgram), xkpi %.0f pps (gen %.0f, "
		    "%.1f%% received, %.0f ns/dgram), xkpi/bare %.3f "
		    "(goal >= 0.9)\n", opt_sizes[si], mrx[0], mgen[0],
		    mgen[0] > 0 ? 100 * mrx[0] / mgen[0] : 0, mns[0],
		    mrx[1], mgen[1], mgen[1] > 0 ? 100 * mrx[1] / mgen[1] : 0,
		    mns[1], mrx[0] > 0 ? mrx[1] / mrx[0] : 0);
		printf("ROW|udp recv %zu B (kpps)|%.1f|%.1f|%.3f\n",
		    opt_sizes[si], mrx[0] / 1000, mrx[1] / 1000,
		    mrx[0] > 0 ? mrx[1] / mrx[0] : 0);
		printf("ROW|  generator rate %zu B (kpps)|%.1f|%.1f|%.3f\n",
		    opt_sizes[si], mgen[0] / 1000, mgen[1] / 1000,
		    mgen[0] > 0 ? mgen[1] / mgen[0] : 0);
		printf("ROW|  rx thread CPU/dgram %zu B (ns)|%.0f|%.0f|%.3f\n",
		    opt_sizes[si], mns[0], mns[1],
		    mns[0] > 0 ? mns[1] / mns[0] : 0);
		printf("NOTE|udp recv %zu B: xkpi/bare %.3f (goal >= 0.9); "
		    "received/sent: bare %.1f%%, xkpi %.1f%%\n",
		    opt_sizes[si], mrx[0] > 0 ? mrx[1] / mrx[0] : 0,
		    mgen[0] > 0 ? 100 * mrx[0] / mgen[0] : 0,
		    mgen[1] > 0 ? 100 * mrx[1] / mgen[1] : 0);
		fflush(stdout);
	}
done:
	xkpi_shutdown();
	return failed;
}
