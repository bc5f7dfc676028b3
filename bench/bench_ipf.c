/*
 * xkpi benchmark: an IP filter NKE on the host's real traffic (issue 13).
 * UDP datagrams from a generator in side b to a plain UDP socket in side
 * a, an iptables rule in a putting them in a netfilter queue on INPUT,
 * and every packet taken out and given back by:
 *
 *	- "no queue": nobody, no rule (the baseline);
 *	- "bare nfq": a bare libnetfilter_queue loop over libmnl (poll,
 *	  recvmmsg(2) of up to 32 messages until EAGAIN, one NF_ACCEPT
 *	  verdict per packet, a batch's verdicts in one sendto(2));
 *	- "xkpi ipf": the library on the nfqueue backend and one IPv4 filter
 *	  (ipf_addv4) whose input function looks at the packet and returns
 *	  0: the packet goes on unchanged;
 *	- "xkpi divert": the library with the rule `divert 8668 udp from any
 *	  to any in` and a divert socket whose read upcall reads each packet
 *	  (sock_receivembuf) and writes it back (sock_sendmbuf, the address
 *	  it was read with): divert's round trip.
 *
 *	netns.sh bench_ipf [-d seconds] [-r runs] [-w warmup_ms] [-s size]
 *	    [-m none|bare|ipf|divert]... [-q maxlen] [-P]
 *
 * The generator runs flat out (sendmmsg(2) of 32); the methods alternate
 * within each run (forward, then backward), with the same queue (8), the
 * same queue length (-q, 8192) and fail closed, so that a packet
 * delivered went through the consumer.  Per measurement: packets/s
 * delivered to the UDP socket in the window (-d, after -w of warm-up),
 * the generator's rate, and the consumer thread's CPU per packet (the
 * bare thread, or the library's loop thread where the filter and the
 * upcall run); medians over the runs (-r); and over the whole run, the
 * packets sent and received, the kernel's drops on the queue
 * (/proc/net/netfilter/nfnetlink_queue) and the library's
 * (be.nfqueue.held_expired, rx_enobufs, div.full).  The program
 * installs and removes its rule (`iptables -A INPUT -p udp --dport 5301
 * -m mark ! --mark 0x786b -j NFQUEUE --queue-num 8 --queue-bypass`).
 * It fails
 * when a method fails (a socket or iptables error, nothing delivered in
 * a window, a packet of the wrong length, a refused verdict or
 * write-back), not when a goal is missed.  Prints its own report, then
 * ROW| and NOTE| lines for bench/run.sh.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "bench_nfq.h"		/* first: <netinet/in.h> before <linux/in.h> */

#include <inttypes.h>
#include <sys/utsname.h>

#include <netinet/ip_divert.h>
#include <netinet/kpi_ipfilter.h>
#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>
#include <xkpi_fw.h>

#define IPF_PORT	5301	/* UDP port in a */
#define IPF_QUEUE	8
#define IPF_DIVPORT	8668
#define DRAIN_MAX	(1U << 20)	/* receives per upcall: a bound */

enum method { M_NONE, M_BARE, M_IPF, M_DIV, M_N };
static const char *m_name[M_N] = { "no queue", "bare nfq", "xkpi ipf",
	"xkpi divert" };
static const char *m_opt[M_N] = { "none", "bare", "ipf", "divert" };

static double	opt_dur = 2.0;
static int	opt_runs = 3;
static int	opt_warmup_ms = 300;
static size_t	opt_size = 64;
static int	opt_maxlen = 8192;
static int	opt_nopin;
static bool	m_on[M_N];

static int	rx_cpu = -1;
static int	gen_cpu = -1;
static struct raw_env env;

/* A consumer of the queue: one per measurement. */
struct consumer {
	enum method		 c_m;
	size_t			 c_iplen;	/* the packets' length */
	bool			 c_rule, c_lib, c_running;
	struct mnl_socket	*c_nl;		/* bare */
	socket_t		 c_so;		/* divert */
	ipfilter_t		 c_ipf;
	atomic_int		 c_detached;
	atomic_int		 c_stop;
	pthread_t		 c_thread;	/* where the work is done */
	atomic_int		 c_known;	/* c_thread is set */
	atomic_uint_fast64_t	 c_count;	/* packets given back */
	struct wb_stats		 c_wb;	/* and the bare loop's verdicts */
};

struct result {
	double		rx_pps, gen_pps, ns_pkt;
	uint64_t	sent, received;		/* over the whole run */
	uint64_t	qdrop, qudrop;		/* the kernel's, queue full */
	uint64_t	held_expired, rx_enobufs, div_full;
};

/* ------------------------------------------------------------------ */

static void
note_thread(struct consumer *c)
{
	if (!atomic_load_explicit(&c->c_known, memory_order_relaxed)) {
		c->c_thread = pthread_self();
		atomic_store(&c->c_known, 1);
	}
}

/* ------------------------------------------------------------------ */
/* The bare loop. */

/* One packet: its length checked, NF_ACCEPT. */
static int
bare_packet(void *ctx, struct nlattr **attr, uint32_t id, char *v,
    size_t *vlen)
{
	struct consumer *c = ctx;

	if (attr[NFQA_PAYLOAD] == NULL ||
	    mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]) != c->c_iplen) {
		c->c_wb.wb_badlen++;
	}
	(void)bnfq_accept(v, vlen, IPF_QUEUE, id);
	return 1;
}

static void *
bare_main(void *arg)
{
	struct consumer *c = arg;
	struct bnfq_loop l = {
		.l_nl = c->c_nl,
		.l_queue = IPF_QUEUE,
		.l_stop = &c->c_stop,
		.l_count = &c->c_count,
		.l_packet = bare_packet,
		.l_ctx = c,
	};

	note_thread(c);
	bnfq_run(&l);
	c->c_wb.wb_werr = l.l_werr;
	c->c_wb.wb_werr1 = l.l_werr1;
	c->c_wb.wb_rerr = l.l_err;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* The library: one pass-through IP filter, or a divert socket. */

static errno_t
pass_input(void *cookie, mbuf_t *data, int offset, uint8_t protocol)
{
	struct consumer *c = cookie;

	(void)offset;
	note_thread(c);
	if (protocol != IPPROTO_UDP ||
	    mbuf_pkthdr_len(*data) != c->c_iplen) {
		c->c_wb.wb_badlen++;
	}
	atomic_fetch_add_explicit(&c->c_count, 1, memory_order_relaxed);
	return 0;
}

static void
pass_detach(void *cookie)
{
	struct consumer *c = cookie;

	atomic_store(&c->c_detached, 1);
}

static void
div_upcall(socket_t so, void *cookie, int waitf)
{
	struct consumer *c = cookie;

	(void)waitf;
	note_thread(c);
	(void)xk_write_back(so, sizeof(struct sockaddr_in), DRAIN_MAX,
	    c->c_iplen, &c->c_count, &c->c_wb);
}

static errno_t
lib_start(struct consumer *c)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.ifaces = env.re_ifa,
	    .backend = "nfqueue");
	struct ipf_filter f;
	struct sockaddr_in sin;
	char buf[64];
	errno_t error;

	snprintf(buf, sizeof(buf), "%d", IPF_QUEUE);
	setenv("XKPI_NFQUEUE", buf, 1);
	setenv("XKPI_NFQUEUE_FAIL", "closed", 1);
	if (opt_maxlen > 0) {
		snprintf(buf, sizeof(buf), "%d", opt_maxlen);
		setenv("XKPI_NFQUEUE_MAXLEN", buf, 1);
	}
	if ((error = xkpi_init(&cfg)) != 0) {
		return error;
	}
	c->c_lib = true;
	if (c->c_m == M_IPF) {
		memset(&f, 0, sizeof(f));
		f.cookie = c;
		f.name = "bench_ipf.pass";
		f.ipf_input = pass_input;
		f.ipf_detach = pass_detach;
		return ipf_addv4(&f, &c->c_ipf);
	}
	snprintf(buf, sizeof(buf), "65000 divert %d udp from any to any in",
	    IPF_DIVPORT);
	if ((error = xkpi_fw_add(buf)) != 0 ||
	    (error = sock_socket(PF_INET, SOCK_RAW, IPPROTO_DIVERT,
	    div_upcall, c, &c->c_so)) != 0) {
		return error;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(IPF_DIVPORT);
	return sock_bind(c->c_so, (struct sockaddr *)&sin);
}

/* The library's counters a run reports. */
struct libstats {
	uint64_t	expired, enobufs, div_full;
};

static void
libstat_fn(const char *name, uint64_t v, void *ctx)
{
	struct libstats *s = ctx;
	size_t n = strlen(name);

	if (n > 13 && strcmp(name + n - 13, ".held_expired") == 0) {
		s->expired += v;
	} else if (n > 11 && strcmp(name + n - 11, ".rx_enobufs") == 0) {
		s->enobufs += v;
	} else if (strcmp(name, "div.full") == 0) {
		s->div_full += v;
	}
}

/* ------------------------------------------------------------------ */

/* Starts method @m's consumer; 0, or -1 (said why). */
static int
consumer_start(struct consumer *c, enum method m)
{
	errno_t error;

	memset(c, 0, sizeof(*c));
	c->c_m = m;
	c->c_iplen = sizeof(struct ip) + 8 + opt_size;
	if (m == M_NONE) {
		return 0;
	}
	if (bnfq_ipt_udp("bench_ipf", "-A", IPF_PORT, IPF_QUEUE) != 0) {
		return -1;
	}
	c->c_rule = true;
	if (m == M_BARE) {
		if ((error = bnfq_open(&c->c_nl, IPF_QUEUE, AF_INET,
		    NFQ_RCVBUF, opt_maxlen, true)) != 0) {
			fprintf(stderr, "bench_ipf: bare queue: %s\n",
			    strerror(error));
			return -1;
		}
		/* Made here: it inherits the consumer's CPU. */
		if (pthread_create(&c->c_thread, NULL, bare_main, c) != 0) {
			return -1;
		}
		c->c_running = true;
		return 0;
	}
	if ((error = lib_start(c)) != 0) {
		fprintf(stderr, "bench_ipf: %s: %s\n", m_name[m],
		    strerror(error));
		return -1;
	}
	return 0;
}

static int
consumer_stop(struct consumer *c, struct libstats *ls)
{
	int rc = 0, i;

	if (c->c_running) {
		atomic_store(&c->c_stop, 1);
		pthread_join(c->c_thread, NULL);
	}
	if (c->c_nl != NULL) {
		mnl_socket_close(c->c_nl);
	}
	if (c->c_ipf != NULL) {
		(void)ipf_remove(c->c_ipf);
		for (i = 0; i < 1000 && !atomic_load(&c->c_detached); i++) {
			sleep_ns(1000000ULL);
		}
		if (!atomic_load(&c->c_detached)) {
			fprintf(stderr, "bench_ipf: the filter never "
			    "detached\n");
			rc = -1;
		}
	}
	if (c->c_so != NULL) {
		sock_close(c->c_so);
	}
	if (c->c_lib) {
		if (ls != NULL) {
			(void)xkpi_stats(libstat_fn, ls);
		}
		xkpi_shutdown();
	}
	if (c->c_rule &&
	    bnfq_ipt_udp("bench_ipf", "-D", IPF_PORT, IPF_QUEUE) != 0) {
		rc = -1;
	}
	if (c->c_wb.wb_rerr != 0 || c->c_wb.wb_werr != 0 ||
	    c->c_wb.wb_badlen != 0) {
		fprintf(stderr, "bench_ipf: %s: receive %s; %" PRIu64
		    " verdicts or write-backs failed (%s); %" PRIu64
		    " packets of the wrong length\n", m_name[c->c_m],
		    strerror(c->c_wb.wb_rerr), c->c_wb.wb_werr,
		    strerror(c->c_wb.wb_werr1), c->c_wb.wb_badlen);
		rc = -1;
	}
	return rc;
}

/* ------------------------------------------------------------------ */

/*
 * One measurement of method @m, with bench_nfq.h's traffic: a generator
 * in b, a sink in a.
 */
static int
measure(enum method m, struct result *r)
{
	struct libstats ls;
	struct consumer c;
	struct udp_gen g;
	struct udp_sink k;
	pthread_t gt;
	uint64_t t0, t1, r0, r1, s0, s1, u0 = 0, u1 = 0;
	bool gen = false, sink = false;
	int rc = -1, i;

	memset(r, 0, sizeof(*r));
	memset(&g, 0, sizeof(g));
	memset(&k, 0, sizeof(k));
	memset(&ls, 0, sizeof(ls));
	k.k_fd = -1;
	if (consumer_start(&c, m) != 0) {
		(void)consumer_stop(&c, NULL);
		return -1;
	}
	k.k_size = opt_size;
	if ((k.k_fd = udp_bound(IPF_PORT)) < 0) {
		perror("bench_ipf: sink");
		goto out;
	}
	if (pthread_create(&k.k_thread, NULL, udp_sink_main, &k) != 0) {
		goto out;
	}
	sink = true;
	g.g_nsb = env.re_nsb;
	g.g_cpu = gen_cpu;
	g.g_port = IPF_PORT;
	g.g_size = opt_size;
	g.g_deadline = now_ns() + (uint64_t)opt_warmup_ms * 1000000ULL +
	    (uint64_t)(opt_dur * (double)NSEC) + 5 * NSEC;
	if (pthread_create(&gt, NULL, udp_gen_main, &g) != 0) {
		goto out;
	}
	gen = true;
	wait_ready(&g.g_ready);
	sleep_ns((uint64_t)opt_warmup_ms * 1000000ULL);
	/* The library's thread is known from its first callback. */
	for (i = 0; i < 1000 && m != M_NONE && !atomic_load(&c.c_known);
	    i++) {
		sleep_ns(1000000ULL);
	}
	if (atomic_load(&c.c_known)) {
		u0 = thread_cpu_ns(c.c_thread);
	}
	t0 = now_ns();
	r0 = atomic_load(&k.k_count);
	s0 = atomic_load(&g.g_sent);
	sleep_ns((uint64_t)(opt_dur * (double)NSEC));
	t1 = now_ns();
	r1 = atomic_load(&k.k_count);
	s1 = atomic_load(&g.g_sent);
	if (atomic_load(&c.c_known)) {
		u1 = thread_cpu_ns(c.c_thread);
	}
	atomic_store(&g.g_stop, 1);
	pthread_join(gt, NULL);
	gen = false;
	wait_quiet(&k.k_count);
	bnfq_drops(IPF_QUEUE, &r->qdrop, &r->qudrop);
	r->rx_pps = per_sec(r1 - r0, t1 - t0);
	r->gen_pps = per_sec(s1 - s0, t1 - t0);
	if (u1 > u0 && u0 != 0 && r1 > r0) {
		r->ns_pkt = (double)(u1 - u0) / (double)(r1 - r0);
	}
	r->sent = atomic_load(&g.g_sent);
	r->received = atomic_load(&k.k_count);
	if (g.g_err != 0) {
		fprintf(stderr, "bench_ipf: generator: %s\n",
		    strerror(g.g_err));
		goto out;
	}
	if (r1 == r0) {
		fprintf(stderr, "bench_ipf: %s: nothing delivered in the "
		    "window (%" PRIu64 " sent)\n", m_name[m], s1 - s0);
		goto out;
	}
	rc = 0;
out:
	atomic_store(&g.g_stop, 1);
	if (gen) {
		pthread_join(gt, NULL);
	}
	atomic_store(&k.k_stop, 1);
	if (sink) {
		pthread_join(k.k_thread, NULL);
	}
	if (k.k_fd >= 0) {
		close(k.k_fd);
	}
	if (consumer_stop(&c, &ls) != 0) {
		rc = -1;
	}
	r->held_expired = ls.expired;
	r->rx_enobufs = ls.enobufs;
	r->div_full = ls.div_full;
	if (k.k_err != 0 || k.k_badlen != 0) {
		fprintf(stderr, "bench_ipf: sink: %s, %" PRIu64 " datagrams "
		    "of the wrong length\n", strerror(k.k_err), k.k_badlen);
		rc = -1;
	}
	return rc;
}

/* ------------------------------------------------------------------ */

static void
usage(void)
{
	fprintf(stderr, "usage: bench_ipf [-d seconds] [-r runs] "
	    "[-w warmup_ms] [-s size] [-m none|bare|ipf|divert]... "
	    "[-q maxlen] [-P]\n");
	exit(2);
}

static void
rows(const char *what, enum method x, double med[M_N][3])
{
	double r = med[M_BARE][0] > 0 ? med[x][0] / med[M_BARE][0] : 0;

	if (!m_on[M_BARE] || !m_on[x]) {
		return;
	}
	printf("ROW|%s %zu B vs bare nfq (kpps)|%.1f|%.1f|%.3f\n", what,
	    opt_size, med[M_BARE][0] / 1000, med[x][0] / 1000, r);
	printf("ROW|  consumer CPU (ns/pkt)|%.0f|%.0f|%.3f\n", med[M_BARE][2],
	    med[x][2], med[M_BARE][2] > 0 ? med[x][2] / med[M_BARE][2] : 0);
	printf("NOTE|%s: %.3fx the bare queue loop's delivered rate "
	    "(goal >= 0.95x): %s; consumer CPU per packet %.2fx\n", what, r,
	    r >= 0.95 ? "met" : "missed", med[M_BARE][2] > 0 ?
	    med[x][2] / med[M_BARE][2] : 0);
}

int
main(int argc, char **argv)
{
	static struct result res[M_N][MAXRUNS];
	double v[MAXRUNS], med[M_N][3];
	const struct result *r;
	struct utsname un;
	int ch, k, i, q, run, any_m = 0, lossless;
	long n;

	while ((ch = getopt(argc, argv, "d:r:w:s:m:q:P")) != -1) {
		if ((k = window_opt(ch, optarg, &opt_dur, &opt_runs,
		    &opt_warmup_ms)) != 0) {
			if (k < 0) {
				usage();
			}
			continue;
		}
		switch (ch) {
		case 's':
			n = atol(optarg);
			if (n < 16 || n > RAW_MAXPAY - 8) {
				usage();
			}
			opt_size = (size_t)n;
			break;
		case 'm':
			if (!choice_opt(optarg, m_opt, M_N, m_on, &any_m)) {
				usage();
			}
			break;
		case 'q':
			opt_maxlen = atoi(optarg);
			if (opt_maxlen < 0) {
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
	if (optind != argc) {
		usage();
	}
	for (k = 0; k < M_N; k++) {
		m_on[k] = m_on[k] || !any_m;
	}
	if (raw_env_get(&env, "bench_ipf") != 0) {
		return 1;
	}
	choose_two_cpus(opt_nopin, &rx_cpu, &gen_cpu);
	/* Before the library starts: its loop thread inherits the CPU. */
	if (pin_self(rx_cpu) != 0) {
		fprintf(stderr, "bench_ipf: cannot pin to CPU %d\n", rx_cpu);
		return 1;
	}
	uname(&un);
	printf("bench_ipf: %ld CPUs, Linux %s; UDP %zu B %s -> %s:%d flat "
	    "out, INPUT queue %d (fail closed, maxlen %d); window %.2f s, "
	    "warm-up %d ms, %d runs (median), methods alternating\n",
	    sysconf(_SC_NPROCESSORS_ONLN), un.release, opt_size, RAW_ADDR_B,
	    RAW_ADDR_A, IPF_PORT, IPF_QUEUE, opt_maxlen > 0 ? opt_maxlen :
	    1024, opt_dur, opt_warmup_ms, opt_runs);
	if (rx_cpu >= 0) {
		printf("bench_ipf: consumer (bare thread, library loop "
		    "thread) and sink on CPU %d; generator on CPU %d\n",
		    rx_cpu, gen_cpu);
	}
	fflush(stdout);
	for (run = 0; run < opt_runs; run++) {
		for (i = 0; i < M_N; i++) {
			k = run % 2 == 0 ? i : M_N - 1 - i;
			if (!m_on[k]) {
				continue;
			}
			if (measure((enum method)k, &res[k][run]) != 0) {
				return 1;
			}
			r = &res[k][run];
			printf("  %-11s run %d: rx %7.1f kpps  gen %7.1f kpps  "
			    "consumer %5.0f ns/pkt\n      whole run: sent %"
			    PRIu64 " received %" PRIu64 "; kernel queue drops %"
			    PRIu64 " (full) %" PRIu64 " (socket); library "
			    "held_expired %" PRIu64 " rx_enobufs %" PRIu64
			    " div.full %" PRIu64 "\n", m_name[k], run + 1,
			    r->rx_pps / 1000, r->gen_pps / 1000, r->ns_pkt,
			    r->sent, r->received, r->qdrop, r->qudrop,
			    r->held_expired, r->rx_enobufs, r->div_full);
			fflush(stdout);
		}
	}
	for (k = 0; k < M_N; k++) {
		if (!m_on[k]) {
			continue;
		}
		for (q = 0; q < 3; q++) {
			for (run = 0; run < opt_runs; run++) {
				v[run] = q == 0 ? res[k][run].rx_pps : q == 1 ?
				    res[k][run].gen_pps : res[k][run].ns_pkt;
			}
			med[k][q] = median(v, opt_runs);
		}
		for (lossless = 0, run = 0; run < opt_runs; run++) {
			lossless += res[k][run].sent == res[k][run].received;
		}
		printf("  %-11s median: rx %7.1f kpps  gen %7.1f kpps  "
		    "consumer %5.0f ns/pkt; sent = received in %d of %d runs\n",
		    m_name[k], med[k][0] / 1000, med[k][1] / 1000, med[k][2],
		    lossless, opt_runs);
	}
	rows("ipf pass-through", M_IPF, med);
	rows("divert round trip", M_DIV, med);
	if (m_on[M_IPF] && m_on[M_DIV]) {
		printf("ROW|ipf vs divert %zu B (kpps)|%.1f|%.1f|%.3f\n",
		    opt_size, med[M_DIV][0] / 1000, med[M_IPF][0] / 1000,
		    med[M_DIV][0] > 0 ? med[M_IPF][0] / med[M_DIV][0] : 0);
	}
	if (m_on[M_NONE] && m_on[M_BARE]) {
		printf("NOTE|ipf: the queue itself (bare nfq / no queue): "
		    "%.3fx delivered\n", med[M_NONE][0] > 0 ?
		    med[M_BARE][0] / med[M_NONE][0] : 0);
	}
	return 0;
}
