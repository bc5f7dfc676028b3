/*
 * xkpi benchmark: divert sockets on the host's real traffic (issue 8).
 * UDP from a generator in side b to a plain UDP socket in side a, with
 * netfilter's INPUT hook in a sending it to a queue, consumed by:
 *
 *	- "no queue": no rule at all (the baseline);
 *	- "bare nfq": a bare libnetfilter_queue loop over libmnl: poll,
 *	  recvmmsg(2) of up to 32 packets, one NF_ACCEPT verdict message
 *	  per packet, all of a batch in one sendmsg(2) (or, with -V, one
 *	  NFQNL_MSG_VERDICT_BATCH message per batch; with -B, each verdict
 *	  carries the packet's bytes, as the library's do);
 *	- "xkpi divert": the library on the nfqueue backend, the rule
 *	  `divert 8668 udp from any to any in`, and a divert socket whose
 *	  read upcall reads each packet (sock_receivembuf, MSG_DONTWAIT,
 *	  until EWOULDBLOCK) and writes it back unchanged with
 *	  sock_sendmbuf() and the address it was read with.
 *
 * Tests (the methods alternate within every run, or run side by side):
 *
 *	tput	  the generator flat out: packets/s delivered to the UDP
 *		  socket, the generator's rate, the consumer's CPU per packet;
 *	lossless  the generator at a fixed rate, bisected: the highest rate
 *		  at which every packet sent arrived (sent == received);
 *	lat	  UDP request/response ping-pong (a plain UDP echo in a), the
 *		  queue on the requests: p50 and p99 round trip; the three
 *		  methods at once, each on its own port and queue, pinged in
 *		  turn;
 *	rules	  tput through xkpi with 10, 1,000 and 10,000 non-matching
 *		  rules ahead of the divert rule.
 *
 *	netns.sh bench_divert [-d seconds] [-r runs] [-w warmup_ms]
 *	    [-s size] [-t test]... [-m none|bare|xkpi]... [-R rules]...
 *	    [-L step_seconds] [-S steps] [-n round_trips] [-W warmup]
 *	    [-q maxlen] [-V | -B] [-P]
 *
 * Runs inside side a (bench/netns.sh); installs and removes its own
 * iptables rules there (queue DV_QUEUE for UDP to port DV_PORT; the
 * latency test DV_QUEUE + k for port DV_PORT + k), skipping packets
 * marked 0x786b (the library's own).  Both consumers run fail closed (a
 * full queue drops; XKPI_NFQUEUE_FAIL=closed), so that every packet
 * delivered went through the consumer, with the same queue length (-q,
 * 8192; 0 for the kernel's 1024).  Prints its own report, then ROW| and
 * NOTE| lines for bench/run.sh.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "bench_nfq.h"		/* first: <netinet/in.h> before <linux/in.h> */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <netinet/ip_divert.h>
#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>
#include <xkpi.h>
#include <xkpi_fw.h>

#define DV_PORT		5201	/* the UDP port traffic goes to, in a */
#define DV_QUEUE	8	/* the netfilter queue */
#define DV_DIVPORT	8668	/* the divert port (natd's) */
#define DV_DIVRULE	65000	/* the divert rule's number */
#define UPCALL_MAX	(1U << 22)
#define MAXRULES	4
#define MAXFILL		50000
#define CLIENT_TMO_MS	200
#define MAX_LOST	50
#define MAXSTEPS	12

enum method { M_NONE, M_BARE, M_XK, M_N };
static const char *m_name[M_N] = { "no queue", "bare nfq", "xkpi divert" };
static const char *m_opt[M_N] = { "none", "bare", "xkpi" };

enum test { T_TPUT, T_LOSSLESS, T_LAT, T_RULES, T_N };
static const char *t_opt[T_N] = { "tput", "lossless", "lat", "rules" };

static double	opt_dur = 2.0;
static int	opt_runs = 3;
static int	opt_warmup_ms = 300;
static size_t	opt_size = 64;
static double	opt_step = 1.0;
static int	opt_steps = 6;
static int	opt_n = 10000;
static int	opt_lat_warmup = 1000;
static int	opt_maxlen = 8192;	/* 0: the kernel's default, 1024 */
static int	opt_vbatch;
static int	opt_bytes;
static int	opt_nopin;
static int	opt_rules[MAXRULES];
static int	opt_nrules;
static bool	m_on[M_N];
static bool	t_on[T_N];
static const char *xk_na;	/* why the xkpi method cannot run */

static bool	avail(int k);

static int	rx_cpu = -1;
static int	gen_cpu = -1;
static struct raw_env env;

/* The consumer of the queue, bare or library; one per measurement. */
struct cons {
	enum method		 c_method;
	int			 c_port;	/* UDP port queued */
	int			 c_queue;	/* on this queue */
	size_t			 c_iplen;	/* IP packet length expected */
	struct mnl_socket	*c_nl;
	socket_t		 c_so;
	bool			 c_xkup;
	bool			 c_rule;
	atomic_int		 c_stop;
	atomic_uint_fast64_t	 c_count;	/* packets given back */
	uint64_t		 c_wakeups;
	uint64_t		 c_empty;
	uint64_t		 c_enobufs;
	uint32_t		 c_maxid;	/* -V: the batch's last id */
	struct wb_stats		 c_wb;	/* and the bare loop's verdicts */
	pthread_t		 c_thread;
	atomic_int		 c_have_thread;
	bool			 c_started;
};

/* The library's counters a run reports. */
struct dvstats {
	uint64_t	div_in, answered, full, noport, forgotten;
	uint64_t	verdicts, expired, nomem, rx_enobufs, sendfail;
};

/* The kernel's counters of our queue (/proc/net/netfilter). */
struct qstats {
	uint64_t	dropped, user_dropped;
};

struct tput {
	double		rx_pps;
	double		gen_pps;
	double		ns_pkt;		/* consumer thread CPU per packet */
	uint64_t	sent, received, passed;	/* over the whole run */
	struct qstats	q;
	struct dvstats	d;
};

/* ------------------------------------------------------------------ */

static void
dvstat_fn(const char *name, uint64_t v, void *ctx)
{
	struct dvstats *s = ctx;
	const char *b;

	if (strcmp(name, "div.in") == 0) {
		s->div_in += v;
	} else if (strcmp(name, "div.answered") == 0) {
		s->answered += v;
	} else if (strcmp(name, "div.full") == 0) {
		s->full += v;
	} else if (strcmp(name, "div.noport") == 0) {
		s->noport += v;
	} else if (strcmp(name, "div.forgotten") == 0) {
		s->forgotten += v;
	} else if (strncmp(name, "be.", 3) == 0 &&
	    (b = strrchr(name, '.')) != NULL && strstr(name, "nfqueue")) {
		b++;
		if (strcmp(b, "verdicts") == 0) {
			s->verdicts += v;
		} else if (strcmp(b, "held_expired") == 0) {
			s->expired += v;
		} else if (strcmp(b, "nomem") == 0) {
			s->nomem += v;
		} else if (strcmp(b, "rx_enobufs") == 0) {
			s->rx_enobufs += v;
		} else if (strcmp(b, "verdict_sendfail") == 0) {
			s->sendfail += v;
		}
	}
}

static void
dvstats_get(struct dvstats *s)
{
	memset(s, 0, sizeof(*s));
	(void)xkpi_stats(dvstat_fn, s);
}

/* ------------------------------------------------------------------ */
/*
 * The bare reference: bench_nfq.h's loop (libnetfilter_queue over libmnl,
 * batched verdicts), with -V and -B.
 */

/* The ones' complement sum of @len bytes at @p, added to @sum. */
static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	}
	if (i < len) {
		sum += (uint32_t)p[i] << 8;
	}
	return sum;
}

/*
 * Completes the UDP checksum of an IPv4 packet the kernel left to the
 * device (NFQA_SKB_CSUMNOTREADY): a verdict with bytes makes the kernel
 * check it again.  The library does the same in its copy.
 */
static void
udp_csum_complete(uint8_t *pkt, size_t len)
{
	size_t hl = (size_t)(pkt[0] & 0x0f) * 4;
	uint32_t sum;
	uint8_t pseudo[4];

	if (len < hl + 8 || pkt[9] != IPPROTO_UDP) {
		return;
	}
	pkt[hl + 6] = pkt[hl + 7] = 0;
	pseudo[0] = 0;
	pseudo[1] = IPPROTO_UDP;
	pseudo[2] = (uint8_t)((len - hl) >> 8);
	pseudo[3] = (uint8_t)(len - hl);
	sum = csum_add(0, pkt + 12, 8);
	sum = csum_add(sum, pseudo, sizeof(pseudo));
	sum = csum_add(sum, pkt + hl, len - hl);
	while (sum >> 16) {
		sum = (sum & 0xffff) + (sum >> 16);
	}
	sum = ~sum & 0xffff;
	if (sum == 0) {
		sum = 0xffff;
	}
	pkt[hl + 6] = (uint8_t)(sum >> 8);
	pkt[hl + 7] = (uint8_t)sum;
}

/*
 * One packet: its verdict goes at @vbuf + *@vlen (or, with -V, only its
 * id into c_maxid).
 */
static int
bare_packet(void *ctx, struct nlattr **attr, uint32_t id, char *vbuf,
    size_t *vlen)
{
	struct cons *c = ctx;
	struct nlattr *pl = attr[NFQA_PAYLOAD];
	struct nlmsghdr *v;

	if (pl == NULL || mnl_attr_get_payload_len(pl) != c->c_iplen) {
		c->c_wb.wb_badlen++;
	}
	if (opt_vbatch) {
		c->c_maxid = id > c->c_maxid ? id : c->c_maxid;
		return 1;
	}
	v = bnfq_accept(vbuf, vlen, c->c_queue, id);
	if (opt_bytes && pl != NULL) {
		if (attr[NFQA_SKB_INFO] != NULL &&
		    (ntohl(mnl_attr_get_u32(attr[NFQA_SKB_INFO])) &
		    NFQA_SKB_CSUMNOTREADY) != 0) {
			udp_csum_complete(mnl_attr_get_payload(pl),
			    mnl_attr_get_payload_len(pl));
		}
		*vlen -= v->nlmsg_len;
		nfq_nlmsg_verdict_put_pkt(v, mnl_attr_get_payload(pl),
		    mnl_attr_get_payload_len(pl));
		*vlen += v->nlmsg_len;
	}
	return 1;
}

/* With -V: the batch's verdicts are one NFQNL_MSG_VERDICT_BATCH. */
static void
bare_batch(void *ctx, char *vbuf, size_t *vlen, uint64_t got)
{
	struct cons *c = ctx;
	struct nlmsghdr *v;

	(void)got;
	if (!opt_vbatch) {
		return;
	}
	v = nfq_nlmsg_put(vbuf, NFQNL_MSG_VERDICT_BATCH, (uint32_t)c->c_queue);
	nfq_nlmsg_verdict_put(v, (int)c->c_maxid, NF_ACCEPT);
	*vlen = v->nlmsg_len;
	c->c_maxid = 0;
}

static void *
bare_main(void *arg)
{
	struct cons *c = arg;
	struct bnfq_loop l = {
		.l_nl = c->c_nl,
		.l_queue = c->c_queue,
		.l_stop = &c->c_stop,
		.l_count = &c->c_count,
		.l_packet = bare_packet,
		.l_batch = bare_batch,
		.l_ctx = c,
	};

	bnfq_run(&l);
	c->c_wakeups = l.l_wakeups;
	c->c_enobufs = l.l_enobufs;
	c->c_wb.wb_werr = l.l_werr;
	c->c_wb.wb_werr1 = l.l_werr1;
	c->c_wb.wb_rerr = l.l_err;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* The library: a divert socket that writes every packet back. */

static void
dv_upcall(socket_t so, void *cookie, int waitf)
{
	struct cons *c = cookie;

	(void)waitf;
	if (!atomic_load_explicit(&c->c_have_thread, memory_order_relaxed)) {
		c->c_thread = pthread_self();
		atomic_store(&c->c_have_thread, 1);
	}
	c->c_wakeups++;
	if (xk_write_back(so, sizeof(struct sockaddr_in), UPCALL_MAX,
	    c->c_iplen, &c->c_count, &c->c_wb) == 0) {
		c->c_empty++;
	}
}

/*
 * The rules ahead of the divert rule: none matches the traffic (UDP from
 * 10.203.0.2 to 10.203.0.1:DV_PORT, in on xkva).  Five shapes in turn, as
 * bench_fw's: source host and UDP port, destination host and TCP port,
 * /24 source networks, a UDP port on an interface, IPv6 /64s.
 */
static void
fill_rule(int i, char *buf, size_t size)
{
	unsigned int num = 1000 + (unsigned int)i * 6, a = (unsigned int)i /
	    250 % 256, b = (unsigned int)i % 250 + 1;

	switch (i % 5) {
	case 0:
		snprintf(buf, size, "%u deny udp from 198.18.%u.%u 53 to any",
		    num, a, b);
		break;
	case 1:
		snprintf(buf, size, "%u deny tcp from any to 198.19.%u.%u 80",
		    num, a, b);
		break;
	case 2:
		snprintf(buf, size, "%u deny ip from 100.%u.%u.0/24 to any",
		    num, 64 + a % 64, b);
		break;
	case 3:
		snprintf(buf, size, "%u deny udp from any to any %u recv %s",
		    num, 20000 + (unsigned int)i, env.re_ifa);
		break;
	default:
		snprintf(buf, size, "%u deny ip6 from 2001:db8:%x:%x::/64 to "
		    "any", num, a, b);
		break;
	}
}

static errno_t
xk_start(struct cons *c, int nrules)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.ifaces = env.re_ifa,
	    .backend = "nfqueue");
	struct sockaddr_in sin;
	char rule[128], q[16];
	errno_t error;
	int i;

	snprintf(q, sizeof(q), "%d", c->c_queue);
	setenv("XKPI_NFQUEUE", q, 1);
	setenv("XKPI_NFQUEUE_FAIL", "closed", 1);
	if (opt_maxlen > 0) {
		snprintf(q, sizeof(q), "%d", opt_maxlen);
		setenv("XKPI_NFQUEUE_MAXLEN", q, 1);
	}
	if ((error = xkpi_init(&cfg)) != 0) {
		return error;
	}
	c->c_xkup = true;
	for (i = 0; i < nrules; i++) {
		fill_rule(i, rule, sizeof(rule));
		if ((error = xkpi_fw_add(rule)) != 0) {
			fprintf(stderr, "bench_divert: xkpi_fw_add(\"%s\"): "
			    "%s\n", rule, strerror(error));
			return error;
		}
	}
	snprintf(rule, sizeof(rule), "%d divert %d udp from any to any in",
	    DV_DIVRULE, DV_DIVPORT);
	if ((error = xkpi_fw_add(rule)) != 0) {
		fprintf(stderr, "bench_divert: xkpi_fw_add(\"%s\"): %s\n",
		    rule, strerror(error));
		return error;
	}
	error = sock_socket(PF_INET, SOCK_RAW, IPPROTO_DIVERT, dv_upcall, c,
	    &c->c_so);
	if (error != 0) {
		fprintf(stderr, "bench_divert: divert sock_socket: %s\n",
		    strerror(error));
		return error;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(DV_DIVPORT);
	if ((error = sock_bind(c->c_so, (struct sockaddr *)&sin)) != 0) {
		fprintf(stderr, "bench_divert: divert sock_bind: %s\n",
		    strerror(error));
	}
	return error;
}

/*
 * Sets up method @m's consumer of UDP to @port on @queue, with @nrules
 * rules ahead (xkpi); 0, -1 on failure, 1 when the library has no
 * nfqueue backend.
 */
static int
cons_start(struct cons *c, enum method m, int nrules, int port, int queue)
{
	errno_t error;

	memset(c, 0, sizeof(*c));
	c->c_method = m;
	c->c_port = port;
	c->c_queue = queue;
	c->c_iplen = sizeof(struct ip) + 8 + opt_size;
	if (m == M_NONE) {
		return 0;
	}
	if (bnfq_ipt_udp("bench_divert", "-A", port, queue) != 0) {
		return -1;
	}
	c->c_rule = true;
	if (m == M_BARE) {
		if ((error = bnfq_open(&c->c_nl, queue, AF_INET, NFQ_RCVBUF,
		    opt_maxlen, true)) != 0) {
			fprintf(stderr, "bench_divert: bare queue %d: %s\n",
			    queue, strerror(error));
			return -1;
		}
		/* Created here: it inherits the consumer CPU. */
		if (pthread_create(&c->c_thread, NULL, bare_main, c) != 0) {
			return -1;
		}
		c->c_started = true;
		atomic_store(&c->c_have_thread, 1);
		return 0;
	}
	if ((error = xk_start(c, nrules)) != 0) {
		if (error == ENOTSUP) {
			xk_na = "n/a (nfqueue backend not built)";
			return 1;
		}
		fprintf(stderr, "bench_divert: xkpi: %s\n", strerror(error));
		return -1;
	}
	return 0;
}

static int
cons_stop(struct cons *c)
{
	int rc = 0;

	if (c->c_started) {
		atomic_store(&c->c_stop, 1);
		pthread_join(c->c_thread, NULL);
	}
	if (c->c_nl != NULL) {
		mnl_socket_close(c->c_nl);
	}
	if (c->c_so != NULL) {
		sock_close(c->c_so);
	}
	if (c->c_xkup) {
		xkpi_shutdown();
	}
	if (c->c_rule &&
	    bnfq_ipt_udp("bench_divert", "-D", c->c_port, c->c_queue) != 0) {
		rc = -1;
	}
	if (c->c_wb.wb_rerr != 0) {
		fprintf(stderr, "bench_divert: %s: receive: %s\n",
		    m_name[c->c_method], strerror(c->c_wb.wb_rerr));
		rc = -1;
	}
	if (c->c_wb.wb_werr != 0) {
		fprintf(stderr, "bench_divert: %s: %" PRIu64 " write-backs or "
		    "verdicts failed (%s)\n", m_name[c->c_method],
		    c->c_wb.wb_werr, strerror(c->c_wb.wb_werr1));
		rc = -1;
	}
	if (c->c_wb.wb_badlen != 0) {
		fprintf(stderr, "bench_divert: %s: %" PRIu64 " packets of the "
		    "wrong length\n", m_name[c->c_method], c->c_wb.wb_badlen);
		rc = -1;
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* Throughput: flat out (@rate 0, a warm-up and a window) or paced. */

/*
 * One measurement of method @m; @rate 0 is flat out, measured over the
 * window after the warm-up; otherwise the generator sends at @rate for
 * @secs and everything sent and received is counted.  0, -1 on failure,
 * 1 when the method is not available.
 */
static int
measure(enum method m, int nrules, double rate, double secs,
    struct tput *res)
{
	struct dvstats d0, d1;
	struct qstats q0, q1;
	struct cons c;
	struct udp_sink k;
	struct udp_gen g;
	pthread_t gt;
	uint64_t t0, t1, c0, c1, s0, s1, u0 = 0, u1 = 0, window, warm;
	int rc, gen_started = 0, sink_started = 0;

	memset(res, 0, sizeof(*res));
	memset(&k, 0, sizeof(k));
	memset(&g, 0, sizeof(g));
	memset(&d0, 0, sizeof(d0));
	memset(&d1, 0, sizeof(d1));
	window = (uint64_t)(secs * (double)NSEC);
	warm = rate > 0 ? 0 : (uint64_t)opt_warmup_ms * 1000000ULL;
	if ((rc = cons_start(&c, m, nrules, DV_PORT, DV_QUEUE)) != 0) {
		(void)cons_stop(&c);
		return rc;
	}
	rc = -1;
	k.k_size = opt_size;
	if ((k.k_fd = udp_bound(DV_PORT)) < 0) {
		perror("bench_divert: sink socket");
		goto stop;
	}
	if (pthread_create(&k.k_thread, NULL, udp_sink_main, &k) != 0) {
		goto stop;
	}
	sink_started = 1;
	bnfq_drops(DV_QUEUE, &q0.dropped, &q0.user_dropped);
	if (m == M_XK) {
		dvstats_get(&d0);
	}
	g.g_nsb = env.re_nsb;
	g.g_cpu = gen_cpu;
	g.g_port = DV_PORT;
	g.g_size = opt_size;
	g.g_rate = rate;
	g.g_deadline = now_ns() + warm + window + (rate > 0 ? 0 : 3 * NSEC);
	if (pthread_create(&gt, NULL, udp_gen_main, &g) != 0) {
		goto stop;
	}
	gen_started = 1;
	wait_ready(&g.g_ready);
	sleep_ns(warm);
	/* The library's loop thread is known from its first upcall. */
	for (int i = 0; i < 1000 && m == M_XK &&
	    !atomic_load(&c.c_have_thread); i++) {
		sleep_ns(1000000ULL);
	}
	if (atomic_load(&c.c_have_thread)) {
		u0 = thread_cpu_ns(c.c_thread);
	}
	t0 = now_ns();
	c0 = atomic_load(&k.k_count);
	s0 = atomic_load(&g.g_sent);
	if (rate > 0) {
		/* The generator stops at its deadline. */
		pthread_join(gt, NULL);
		gen_started = 0;
	} else {
		sleep_ns(window);
	}
	t1 = now_ns();
	c1 = atomic_load(&k.k_count);
	s1 = atomic_load(&g.g_sent);
	if (atomic_load(&c.c_have_thread)) {
		u1 = thread_cpu_ns(c.c_thread);
	}
	if (gen_started) {
		atomic_store(&g.g_stop, 1);
		pthread_join(gt, NULL);
		gen_started = 0;
	}
	wait_quiet(&k.k_count);
	bnfq_drops(DV_QUEUE, &q1.dropped, &q1.user_dropped);
	if (m == M_XK) {
		dvstats_get(&d1);
	}
	res->rx_pps = per_sec(c1 - c0, t1 - t0);
	res->gen_pps = per_sec(s1 - s0, t1 - t0);
	if (u0 != 0 && u1 > u0 && c1 > c0) {
		res->ns_pkt = (double)(u1 - u0) / (double)(c1 - c0);
	}
	res->sent = atomic_load(&g.g_sent);
	res->received = atomic_load(&k.k_count);
	res->passed = atomic_load(&c.c_count);
	res->q.dropped = q1.dropped - q0.dropped;
	res->q.user_dropped = q1.user_dropped - q0.user_dropped;
	res->d.div_in = d1.div_in - d0.div_in;
	res->d.answered = d1.answered - d0.answered;
	res->d.full = d1.full - d0.full;
	res->d.noport = d1.noport - d0.noport;
	res->d.forgotten = d1.forgotten - d0.forgotten;
	res->d.verdicts = d1.verdicts - d0.verdicts;
	res->d.expired = d1.expired - d0.expired;
	res->d.nomem = d1.nomem - d0.nomem;
	res->d.rx_enobufs = d1.rx_enobufs - d0.rx_enobufs;
	res->d.sendfail = d1.sendfail - d0.sendfail;
	if (g.g_err != 0) {
		fprintf(stderr, "bench_divert: generator: %s\n",
		    strerror(g.g_err));
		goto stop;
	}
	if (s1 == s0 || c1 == c0) {
		fprintf(stderr, "bench_divert: %s: %" PRIu64 " sent, %" PRIu64
		    " received in the window\n", m_name[m], s1 - s0, c1 - c0);
		goto stop;
	}
	rc = 0;
stop:
	if (gen_started) {
		atomic_store(&g.g_stop, 1);
		pthread_join(gt, NULL);
	}
	if (sink_started) {
		atomic_store(&k.k_stop, 1);
		pthread_join(k.k_thread, NULL);
	}
	if (k.k_fd >= 0) {
		close(k.k_fd);
	}
	if (cons_stop(&c) != 0) {
		rc = -1;
	}
	if (k.k_err != 0 || k.k_badlen != 0) {
		fprintf(stderr, "bench_divert: sink: %s, %" PRIu64 " datagrams "
		    "of the wrong length\n", strerror(k.k_err), k.k_badlen);
		rc = -1;
	}
	return rc;
}

static void
print_tput(const char *what, enum method m, int run, const struct tput *r)
{
	printf("  %-11s %s run %d: rx %7.1f kpps  gen %7.1f kpps (%5.1f%%)  "
	    "consumer %5.0f ns/pkt\n", m_name[m], what, run + 1,
	    r->rx_pps / 1000, r->gen_pps / 1000, r->gen_pps > 0 ? 100 *
	    r->rx_pps / r->gen_pps : 0, r->ns_pkt);
	printf("      whole run: sent %" PRIu64 " received %" PRIu64,
	    r->sent, r->received);
	if (m != M_NONE) {
		printf(" given back %" PRIu64 "; queue drops %" PRIu64
		    " (full) %" PRIu64 " (socket)", r->passed, r->q.dropped,
		    r->q.user_dropped);
	}
	if (m == M_XK) {
		printf("\n      library: div.in %" PRIu64 " answered %" PRIu64
		    " full %" PRIu64 " noport %" PRIu64 " forgotten %" PRIu64
		    " verdicts %" PRIu64 " expired %" PRIu64 " nomem %"
		    PRIu64 " rx_enobufs %" PRIu64, r->d.div_in,
		    r->d.answered, r->d.full, r->d.noport, r->d.forgotten,
		    r->d.verdicts, r->d.expired, r->d.nomem,
		    r->d.rx_enobufs);
	}
	printf("\n");
	fflush(stdout);
}

/* ------------------------------------------------------------------ */
/*
 * Latency: the three methods side by side, in one process at once.  Each
 * has its own UDP port in a with a plain echo thread: DV_PORT + 0 (no
 * rule), + 1 (queued on DV_QUEUE + 1, the bare loop), + 2 (on DV_QUEUE +
 * 2, the library).  The client in b pings them in turn, one round trip at
 * a time, so that whatever else the machine does hits the three alike.
 */

struct echo {
	int		 e_fd;
	atomic_int	 e_stop;
	int		 e_err;
	pthread_t	 e_thread;
	bool		 e_started;
};

static void *
echo_main(void *arg)
{
	struct echo *e = arg;
	struct sockaddr_in from;
	socklen_t flen;
	char buf[2048];
	ssize_t n;

	while (!atomic_load_explicit(&e->e_stop, memory_order_relaxed)) {
		flen = sizeof(from);
		n = recvfrom(e->e_fd, buf, sizeof(buf), 0,
		    (struct sockaddr *)&from, &flen);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				e->e_err = errno;
				break;
			}
			continue;
		}
		if (sendto(e->e_fd, buf, (size_t)n, 0,
		    (struct sockaddr *)&from, flen) < 0) {
			e->e_err = errno;
			break;
		}
	}
	return NULL;
}

struct client {
	int		 cl_n;		/* measured round trips, per method */
	int		 cl_warmup;
	bool		 cl_on[M_N];
	uint64_t	*cl_rtt[M_N];	/* ns, cl_n of them */
	int		 cl_got[M_N];
	int		 cl_lost[M_N];
	int		 cl_err;
};

static void *
client_main(void *arg)
{
	struct client *cl = arg;
	struct timeval tv = { 0, CLIENT_TMO_MS * 1000 };
	struct sockaddr_in dst;
	char out[RAW_MAXPAY];
	uint64_t rtt;
	int fd[M_N], i, j, k, lost = 0;

	for (k = 0; k < M_N; k++) {
		fd[k] = -1;
	}
	if (pin_self(gen_cpu) != 0) {
		cl->cl_err = EINVAL;
		return NULL;
	}
	if ((cl->cl_err = join_netns(env.re_nsb)) != 0) {
		return NULL;
	}
	for (k = 0; k < M_N; k++) {
		if (!cl->cl_on[k]) {
			continue;
		}
		if ((fd[k] = socket(AF_INET, SOCK_DGRAM, 0)) < 0) {
			cl->cl_err = errno;
			goto out;
		}
		(void)setsockopt(fd[k], SOL_SOCKET, SO_RCVTIMEO, &tv,
		    sizeof(tv));
		memset(&dst, 0, sizeof(dst));
		dst.sin_family = AF_INET;
		dst.sin_port = htons((uint16_t)(DV_PORT + k));
		inet_pton(AF_INET, RAW_ADDR_A, &dst.sin_addr);
		if (connect(fd[k], (struct sockaddr *)&dst,
		    sizeof(dst)) != 0) {
			cl->cl_err = errno;
			goto out;
		}
	}
	memset(out, 'p', sizeof(out));
	for (i = 0; i < cl->cl_warmup + cl->cl_n && cl->cl_err == 0; i++) {
		for (j = 0; j < M_N; j++) {
			/* The order turns: no method always goes first. */
			k = (i + j) % M_N;
			if (!cl->cl_on[k]) {
				continue;
			}
			rtt = ping_once(fd[k], out, opt_size, 0,
			    (uint64_t)i + 1, &cl->cl_err);
			if (rtt == 0) {
				cl->cl_lost[k]++;
				if (++lost > MAX_LOST) {
					cl->cl_err = ETIMEDOUT;
					break;
				}
				continue;
			}
			if (i >= cl->cl_warmup) {
				cl->cl_rtt[k][cl->cl_got[k]++] = rtt;
			}
		}
	}
out:
	for (k = 0; k < M_N; k++) {
		if (fd[k] >= 0) {
			close(fd[k]);
		}
	}
	return NULL;
}

/* One run of the three side by side: @res[k] for method k. */
static int
measure_lat(struct latres *res)
{
	struct timeval tv = { 0, 50 * 1000 };
	struct cons c[M_N];
	struct echo e[M_N];
	struct client cl;
	pthread_t ct;
	int rc = -1, k, r;

	memset(res, 0, M_N * sizeof(*res));
	memset(e, 0, sizeof(e));
	memset(c, 0, sizeof(c));
	memset(&cl, 0, sizeof(cl));
	for (k = 0; k < M_N; k++) {
		e[k].e_fd = -1;
	}
	for (k = 0; k < M_N; k++) {
		if (!avail(k)) {
			continue;
		}
		r = cons_start(&c[k], (enum method)k, 0, DV_PORT + k,
		    DV_QUEUE + k);
		if (r < 0) {
			goto stop;
		}
		if (r > 0) {
			continue;
		}
		if ((e[k].e_fd = udp_bound(DV_PORT + k)) < 0) {
			perror("bench_divert: echo socket");
			goto stop;
		}
		(void)setsockopt(e[k].e_fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
		    sizeof(tv));
		if (pthread_create(&e[k].e_thread, NULL, echo_main,
		    &e[k]) != 0) {
			goto stop;
		}
		e[k].e_started = true;
		cl.cl_on[k] = true;
		cl.cl_rtt[k] = calloc((size_t)opt_n, sizeof(uint64_t));
		if (cl.cl_rtt[k] == NULL) {
			goto stop;
		}
	}
	cl.cl_n = opt_n;
	cl.cl_warmup = opt_lat_warmup;
	if (pthread_create(&ct, NULL, client_main, &cl) != 0) {
		goto stop;
	}
	pthread_join(ct, NULL);
	if (cl.cl_err != 0) {
		fprintf(stderr, "bench_divert: ping client: %s\n",
		    strerror(cl.cl_err));
		goto stop;
	}
	for (k = 0; k < M_N; k++) {
		int n = cl.cl_got[k];

		if (!cl.cl_on[k] || n == 0) {
			continue;
		}
		latres_of(cl.cl_rtt[k], n, cl.cl_lost[k], &res[k]);
	}
	rc = 0;
stop:
	for (k = 0; k < M_N; k++) {
		if (e[k].e_started) {
			atomic_store(&e[k].e_stop, 1);
			pthread_join(e[k].e_thread, NULL);
		}
		if (e[k].e_fd >= 0) {
			close(e[k].e_fd);
		}
		free(cl.cl_rtt[k]);
		if (cons_stop(&c[k]) != 0) {
			rc = -1;
		}
		if (e[k].e_err != 0) {
			fprintf(stderr, "bench_divert: echo: %s\n",
			    strerror(e[k].e_err));
			rc = -1;
		}
	}
	return rc;
}

/* ------------------------------------------------------------------ */

static void
usage(void)
{
	fprintf(stderr, "usage: bench_divert [-d seconds] [-r runs] "
	    "[-w warmup_ms] [-s size] [-t tput|lossless|lat|rules]... "
	    "[-m none|bare|xkpi]... [-R rules]... [-L step_seconds] "
	    "[-S steps] [-n round_trips] [-W warmup] [-q maxlen] [-V | -B] "
	    "[-P]\n");
	exit(2);
}

static bool
avail(int k)
{
	return m_on[k] && (k != M_XK || xk_na == NULL);
}

static void
row3(const char *name, double b, double x, int prec)
{
	if (!avail(M_BARE) || !avail(M_XK)) {
		printf("ROW|%s|%.*f|%s|-\n", name, prec, b,
		    avail(M_XK) ? "-" : xk_na != NULL ? xk_na : "-");
		return;
	}
	printf("ROW|%s|%.*f|%.*f|%.3f\n", name, prec, b, prec, x,
	    b > 0 ? x / b : 0);
}

static double	tput_med[M_N][3];	/* rx pps, gen pps, ns/pkt */

static int
run_tput(void)
{
	static struct tput res[M_N][MAXRUNS];
	double v[MAXRUNS];
	int run, i, k, q, rc, lossless[M_N] = { 0 };

	printf("throughput, %zu B payload, generator flat out:\n", opt_size);
	for (run = 0; run < opt_runs; run++) {
		for (i = 0; i < M_N; i++) {
			/* Forward, then backward: alternate the order. */
			k = run % 2 == 0 ? i : M_N - 1 - i;
			if (!avail(k)) {
				continue;
			}
			rc = measure((enum method)k, 0, 0, opt_dur,
			    &res[k][run]);
			if (rc < 0) {
				return -1;
			}
			if (rc == 0) {
				print_tput("flat", (enum method)k, run,
				    &res[k][run]);
			}
		}
	}
	for (k = 0; k < M_N; k++) {
		if (!avail(k)) {
			continue;
		}
		for (q = 0; q < 3; q++) {
			for (run = 0; run < opt_runs; run++) {
				v[run] = q == 0 ? res[k][run].rx_pps : q == 1 ?
				    res[k][run].gen_pps : res[k][run].ns_pkt;
			}
			tput_med[k][q] = median(v, opt_runs);
		}
		for (run = 0; run < opt_runs; run++) {
			if (res[k][run].sent == res[k][run].received) {
				lossless[k]++;
			}
		}
		printf("  %-11s median: rx %7.1f kpps  gen %7.1f kpps  "
		    "consumer %5.0f ns/pkt; sent = received in %d of %d "
		    "runs\n", m_name[k], tput_med[k][0] / 1000,
		    tput_med[k][1] / 1000, tput_med[k][2], lossless[k],
		    opt_runs);
	}
	fflush(stdout);
	if (m_on[M_BARE]) {
		char name[96];

		snprintf(name, sizeof(name), "divert %zu B flat out, "
		    "delivered kpps", opt_size);
		row3(name, tput_med[M_BARE][0] / 1000,
		    tput_med[M_XK][0] / 1000, 1);
		row3("  generator kpps", tput_med[M_BARE][1] / 1000,
		    tput_med[M_XK][1] / 1000, 1);
		row3("  consumer ns/pkt", tput_med[M_BARE][2],
		    tput_med[M_XK][2], 0);
	}
	if (m_on[M_NONE]) {
		printf("ROW|  no queue rule: delivered kpps|%.1f|-|-\n",
		    tput_med[M_NONE][0] / 1000);
	}
	if (avail(M_BARE) && avail(M_XK) && tput_med[M_BARE][0] > 0) {
		double r = tput_med[M_XK][0] / tput_med[M_BARE][0];

		printf("NOTE|divert tput %zu B: xkpi/bare nfq %.3f (goal >= "
		    "0.95): %s; consumer CPU %.0f vs %.0f ns/pkt; sent = "
		    "received (whole run) in %d of %d xkpi runs, %d of %d "
		    "bare\n", opt_size, r, r >= 0.95 ? "met" : "missed",
		    tput_med[M_XK][2], tput_med[M_BARE][2], lossless[M_XK],
		    opt_runs, lossless[M_BARE], opt_runs);
	}
	return 0;
}

static int
run_lossless(void)
{
	double lo[M_N], hi[M_N], r[M_N], lossy_at[M_N], best[M_N];
	uint64_t lost_at[M_N], sent_lo[M_N], recv_lo[M_N];
	struct tput res;
	int s, i, k, rc;

	printf("lossless rate, %zu B payload, %.2f s steps, bisection of %d "
	    "steps (order alternating):\n", opt_size, opt_step, opt_steps);
	for (k = 0; k < M_N; k++) {
		lo[k] = best[k] = 0;
		lossy_at[k] = 0;
		lost_at[k] = sent_lo[k] = recv_lo[k] = 0;
		/* The generator never beats its flat-out rate. */
		hi[k] = tput_med[k][1] > 0 ? tput_med[k][1] * 1.05 : 2e6;
		r[k] = tput_med[k][0] > 0 ? tput_med[k][0] : 100000;
	}
	for (s = 0; s < opt_steps; s++) {
		for (i = 0; i < M_N; i++) {
			k = s % 2 == 0 ? i : M_N - 1 - i;
			if (!avail(k)) {
				continue;
			}
			rc = measure((enum method)k, 0, r[k], opt_step, &res);
			if (rc < 0) {
				return -1;
			}
			if (rc > 0) {
				continue;
			}
			printf("  %-11s step %d: offered %7.1f kpps, sent "
			    "%7.1f: sent %" PRIu64 " received %" PRIu64
			    " %s  consumer %5.0f ns/pkt\n", m_name[k], s + 1,
			    r[k] / 1000, res.gen_pps / 1000, res.sent,
			    res.received, res.sent == res.received ?
			    "lossless" : "LOSS    ", res.ns_pkt);
			fflush(stdout);
			if (res.sent == res.received) {
				/*
				 * What was sent, not offered: a generator
				 * that cannot keep the rate caps the search.
				 */
				if (res.gen_pps < r[k] * 0.97) {
					hi[k] = r[k];
				}
				lo[k] = res.gen_pps < r[k] ? res.gen_pps :
				    r[k];
				if (res.gen_pps > best[k]) {
					best[k] = res.gen_pps;
					sent_lo[k] = res.sent;
					recv_lo[k] = res.received;
				}
			} else {
				hi[k] = r[k];
				lossy_at[k] = res.gen_pps;
				lost_at[k] = res.sent - res.received;
			}
			r[k] = (lo[k] + hi[k]) / 2;
		}
	}
	for (k = 0; k < M_N; k++) {
		if (!avail(k)) {
			continue;
		}
		printf("  %-11s lossless up to %.1f kpps (sent %" PRIu64
		    " = received %" PRIu64 ")", m_name[k], best[k] / 1000,
		    sent_lo[k], recv_lo[k]);
		if (lossy_at[k] > 0) {
			printf("; at %.1f kpps %" PRIu64 " lost",
			    lossy_at[k] / 1000, lost_at[k]);
		}
		printf("\n");
	}
	if (m_on[M_BARE]) {
		row3("  lossless rate kpps (sent = received)", best[M_BARE] /
		    1000, best[M_XK] / 1000, 1);
	}
	if (m_on[M_NONE]) {
		printf("ROW|  no queue rule: lossless kpps|%.1f|-|-\n",
		    best[M_NONE] / 1000);
	}
	for (k = M_BARE; k < M_N; k++) {
		if (!avail(k)) {
			continue;
		}
		printf("NOTE|divert lossless %zu B: %s: sent = received at "
		    "%.1f kpps (%" PRIu64 " packets)", opt_size, m_name[k],
		    best[k] / 1000, sent_lo[k]);
		if (lossy_at[k] > 0) {
			printf("; %" PRIu64 " lost at %.1f kpps", lost_at[k],
			    lossy_at[k] / 1000);
		}
		printf("\n");
	}
	return 0;
}

static int
run_lat(void)
{
	static struct latres res[MAXRUNS][M_N];
	double p50[MAXRUNS], p99[MAXRUNS], m50[M_N] = { 0 }, m99[M_N] = { 0 };
	int run, k;

	printf("latency, %zu B ping-pong, %d round trips per method after %d, "
	    "the methods in turn (own port and queue each), the queue on the "
	    "requests:\n", opt_size, opt_n, opt_lat_warmup);
	for (run = 0; run < opt_runs; run++) {
		if (measure_lat(res[run]) != 0) {
			return -1;
		}
		for (k = 0; k < M_N; k++) {
			if (!avail(k)) {
				continue;
			}
			printf("  %-11s run %d: p50 %6.1f us  p99 %6.1f  max "
			    "%7.1f  lost %d\n", m_name[k], run + 1,
			    res[run][k].p50, res[run][k].p99, res[run][k].max,
			    res[run][k].lost);
		}
		if (avail(M_BARE) && avail(M_XK)) {
			printf("  run %d: xkpi - bare nfq: p50 %+.1f us, p99 "
			    "%+.1f us\n", run + 1, res[run][M_XK].p50 -
			    res[run][M_BARE].p50, res[run][M_XK].p99 -
			    res[run][M_BARE].p99);
		}
		fflush(stdout);
	}
	for (k = 0; k < M_N; k++) {
		if (!avail(k)) {
			continue;
		}
		for (run = 0; run < opt_runs; run++) {
			p50[run] = res[run][k].p50;
			p99[run] = res[run][k].p99;
		}
		m50[k] = median(p50, opt_runs);
		m99[k] = median(p99, opt_runs);
		printf("  %-11s median: p50 %.1f us  p99 %.1f us\n",
		    m_name[k], m50[k], m99[k]);
	}
	if (m_on[M_BARE]) {
		row3("divert echo rtt p50 (us)", m50[M_BARE], m50[M_XK], 1);
		row3("divert echo rtt p99 (us)", m99[M_BARE], m99[M_XK], 1);
	}
	if (m_on[M_NONE]) {
		printf("ROW|  no queue rule: rtt p50 / p99 (us)|%.1f|%.1f|-\n",
		    m50[M_NONE], m99[M_NONE]);
	}
	if (avail(M_BARE) && avail(M_XK)) {
		printf("NOTE|divert latency: xkpi - bare nfq: p50 %+.1f us "
		    "(goal <= +3): %s, p99 %+.1f us", m50[M_XK] - m50[M_BARE],
		    m50[M_XK] - m50[M_BARE] <= 3 ? "met" : "missed",
		    m99[M_XK] - m99[M_BARE]);
		if (avail(M_NONE)) {
			printf("; bare nfq - no queue: p50 %+.1f us, p99 %+.1f "
			    "us", m50[M_BARE] - m50[M_NONE], m99[M_BARE] -
			    m99[M_NONE]);
		}
		printf("\n");
	}
	return 0;
}

static int
run_rules(void)
{
	static struct tput res[MAXRULES][MAXRUNS];
	double v[MAXRUNS], med[MAXRULES][2];
	char name[96];
	int run, i, c, rc;

	if (xk_na != NULL) {
		printf("NOTE|divert rules: xkpi %s\n", xk_na);
		return 0;
	}
	printf("rules ahead of the divert rule, xkpi, %zu B, flat out:\n",
	    opt_size);
	for (run = 0; run < opt_runs; run++) {
		for (i = 0; i < opt_nrules; i++) {
			c = run % 2 == 0 ? i : opt_nrules - 1 - i;
			rc = measure(M_XK, opt_rules[c], 0, opt_dur,
			    &res[c][run]);
			if (rc < 0) {
				return -1;
			}
			if (rc > 0) {
				printf("NOTE|divert rules: xkpi %s\n", xk_na);
				return 0;
			}
			snprintf(name, sizeof(name), "%5d rules",
			    opt_rules[c]);
			print_tput(name, M_XK, run, &res[c][run]);
		}
	}
	for (c = 0; c < opt_nrules; c++) {
		for (i = 0; i < 2; i++) {
			for (run = 0; run < opt_runs; run++) {
				v[run] = i == 0 ? res[c][run].rx_pps :
				    res[c][run].ns_pkt;
			}
			med[c][i] = median(v, opt_runs);
		}
		printf("  %5d rules median: rx %7.1f kpps  consumer %5.0f "
		    "ns/pkt\n", opt_rules[c], med[c][0] / 1000, med[c][1]);
	}
	for (c = 1; c < opt_nrules; c++) {
		double r = med[0][1] > 0 ? med[c][1] / med[0][1] : 0;

		printf("ROW|divert %d -> %d rules ahead: consumer ns/pkt|"
		    "%.0f|%.0f|%.3f\n", opt_rules[0], opt_rules[c], med[0][1],
		    med[c][1], r);
		printf("ROW|  delivered kpps|%.1f|%.1f|%.3f\n",
		    med[0][0] / 1000, med[c][0] / 1000, med[0][0] > 0 ?
		    med[c][0] / med[0][0] : 0);
		printf("NOTE|divert rules: consumer ns/pkt with %d rules "
		    "ahead is %.2fx that with %d (goal <= 1.2x): %s; "
		    "delivered %.2fx\n", opt_rules[c], r, opt_rules[0],
		    r > 0 && r <= 1.2 ? "met" : "missed", med[0][0] > 0 ?
		    med[c][0] / med[0][0] : 0);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct utsname un;
	int ch, k, rc, any_m = 0, any_t = 0, failed = 0;
	long n;

	while ((ch = getopt(argc, argv, "d:r:w:s:t:m:R:L:S:n:W:q:VBP")) !=
	    -1) {
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
			if (n < 16 || n > RAW_MAXPAY - 8) {
				usage();
			}
			opt_size = (size_t)n;
			break;
		case 't':
			if (!choice_opt(optarg, t_opt, T_N, t_on, &any_t)) {
				usage();
			}
			break;
		case 'm':
			if (!choice_opt(optarg, m_opt, M_N, m_on, &any_m)) {
				usage();
			}
			break;
		case 'R':
			n = atol(optarg);
			if (opt_nrules == MAXRULES || n < 0 || n > MAXFILL) {
				usage();
			}
			opt_rules[opt_nrules++] = (int)n;
			break;
		case 'L':
			opt_step = atof(optarg);
			if (opt_step < 0.05 || opt_step > 60) {
				usage();
			}
			break;
		case 'S':
			opt_steps = atoi(optarg);
			if (opt_steps < 1 || opt_steps > MAXSTEPS) {
				usage();
			}
			break;
		case 'n':
			opt_n = atoi(optarg);
			if (opt_n < 100 || opt_n > 10000000) {
				usage();
			}
			break;
		case 'W':
			opt_lat_warmup = atoi(optarg);
			if (opt_lat_warmup < 0) {
				usage();
			}
			break;
		case 'q':
			opt_maxlen = atoi(optarg);
			if (opt_maxlen < 0) {
				usage();
			}
			break;
		case 'V':
			opt_vbatch = 1;
			break;
		case 'B':
			opt_bytes = 1;
			break;
		case 'P':
			opt_nopin = 1;
			break;
		default:
			usage();
		}
	}
	for (k = 0; k < M_N; k++) {
		m_on[k] = m_on[k] || !any_m;
	}
	for (k = 0; k < T_N; k++) {
		t_on[k] = t_on[k] || !any_t;
	}
	if (opt_vbatch && opt_bytes) {
		usage();
	}
	if (opt_nrules == 0) {
		opt_rules[opt_nrules++] = 10;
		opt_rules[opt_nrules++] = 1000;
		opt_rules[opt_nrules++] = 10000;
	}
	if (raw_env_get(&env, "bench_divert") != 0) {
		return 1;
	}
	choose_two_cpus(opt_nopin, &rx_cpu, &gen_cpu);
	/* Before the library starts: its loop thread inherits the CPU. */
	if (pin_self(rx_cpu) != 0) {
		fprintf(stderr, "bench_divert: cannot pin to CPU %d\n",
		    rx_cpu);
		return 1;
	}
	uname(&un);
	printf("bench_divert: %ld CPUs, Linux %s; UDP %s -> %s:%d, INPUT "
	    "queue %d (fail closed, maxlen %d), %s verdicts; window %.2f s, "
	    "warm-up %d ms, %d runs (median)\n",
	    sysconf(_SC_NPROCESSORS_ONLN), un.release, RAW_ADDR_B,
	    RAW_ADDR_A, DV_PORT, DV_QUEUE, opt_maxlen > 0 ? opt_maxlen :
	    1024, opt_vbatch ? "NFQNL_MSG_VERDICT_BATCH" : opt_bytes ?
	    "per-packet, with the bytes," : "per-packet",
	    opt_dur, opt_warmup_ms, opt_runs);
	if (rx_cpu >= 0) {
		printf("bench_divert: consumer (bare thread, library loop "
		    "thread), UDP sink and echo on CPU %d; generator and "
		    "ping client on CPU %d\n", rx_cpu, gen_cpu);
	}
	fflush(stdout);
	/* Probe the library's backend once, before any test. */
	if (m_on[M_XK] || t_on[T_RULES]) {
		struct cons c;

		if ((rc = cons_start(&c, M_XK, 0, DV_PORT, DV_QUEUE)) < 0 ||
		    cons_stop(&c) != 0) {
			return 1;
		}
	}
	if (t_on[T_TPUT] && run_tput() != 0) {
		failed = 1;
	}
	if (!failed && t_on[T_LOSSLESS] && run_lossless() != 0) {
		failed = 1;
	}
	if (!failed && t_on[T_LAT] && run_lat() != 0) {
		failed = 1;
	}
	if (!failed && t_on[T_RULES] && run_rules() != 0) {
		failed = 1;
	}
	if (xk_na != NULL) {
		printf("NOTE|divert: xkpi %s\n", xk_na);
	}
	return failed;
}
