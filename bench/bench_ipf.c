/*
 * xkpi benchmark: an IP filter NKE on the host's real traffic (issue 13).
 * UDP datagrams from a generator in side b to a plain UDP socket in side
 * a, an iptables rule in a putting them in a netfilter queue on INPUT,
 * and every packet taken out and given back by:
 *
 *	- "no queue": nobody, no rule (the baseline);
 *	- "bare nfq": a bare libnetfilter_queue loop over libmnl (poll,
 *	  recvmmsg(2) of up to 32 messages until EAGAIN, one NF_ACCEPT
 *	  verdict per packet, a batch's verdicts in one sendmsg(2));
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
#include "bench_raw.h"		/* first: <netinet/in.h> before <linux/in.h> */

#include <inttypes.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <sys/prctl.h>
#include <sys/utsname.h>

#include <netinet/ip_divert.h>
#include <netinet/kpi_ipfilter.h>
#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>
#include <xkpi_fw.h>

#define IPF_PORT	5301	/* UDP port in a */
#define IPF_QUEUE	8
#define IPF_DIVPORT	8668
#define IPF_MARK	"0x786b"	/* the library's SO_MARK */
#define GEN_BATCH	32
#define SINK_BATCH	64
#define NFQ_BATCH	32
#define NFQ_MSG		(65536 + 4096)
#define BIG_BUF		(8 << 20)	/* socket buffers, as the backend's */
#define DRAIN_MAX	(1U << 20)	/* receives per upcall: a bound */
#define QUIET_NS	(200 * 1000000ULL)

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
	uint64_t		 c_badlen, c_fail;
	errno_t			 c_fail1;
	int			 c_err;
};

struct result {
	double		rx_pps, gen_pps, ns_pkt;
	uint64_t	sent, received;		/* over the whole run */
	uint64_t	qdrop, qudrop;		/* the kernel's, queue full */
	uint64_t	held_expired, rx_enobufs, div_full;
};

/* ------------------------------------------------------------------ */

static int
iptables(const char *op)
{
	char cmd[256];
	int rc;

	snprintf(cmd, sizeof(cmd), "iptables -w %s INPUT -p udp --dport %d "
	    "-m mark ! --mark %s -j NFQUEUE --queue-num %d --queue-bypass",
	    op, IPF_PORT, IPF_MARK, IPF_QUEUE);
	if ((rc = system(cmd)) != 0) {
		fprintf(stderr, "bench_ipf: '%s' failed (%d)\n", cmd, rc);
		return -1;
	}
	return 0;
}

/* The kernel's drops on our queue: full, and its socket full. */
static void
queue_drops(uint64_t *full, uint64_t *sock)
{
	unsigned int q, portid, waiting, mode, range, d, ud;
	char line[256];
	FILE *f;

	*full = *sock = 0;
	if ((f = fopen("/proc/net/netfilter/nfnetlink_queue", "r")) == NULL) {
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%u %u %u %u %u %u %u", &q, &portid,
		    &waiting, &mode, &range, &d, &ud) == 7 &&
		    q == IPF_QUEUE) {
			*full = d;
			*sock = ud;
		}
	}
	fclose(f);
}

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

static int
bare_open(struct consumer *c)
{
	union {
		char buf[MNL_SOCKET_BUFFER_SIZE];
		struct nlmsghdr align;
	} u;
	struct nlmsghdr *nlh;
	int size = BIG_BUF, fd, r;

	if ((c->c_nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL ||
	    mnl_socket_bind(c->c_nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		return errno;
	}
	fd = mnl_socket_get_fd(c->c_nl);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	memset(&u, 0, sizeof(u));	/* no uninitialised padding sent */
	nlh = nfq_nlmsg_put(u.buf, NFQNL_MSG_CONFIG, IPF_QUEUE);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 0xffff);
	/* Whole GSO packets, fail closed: as the library asks. */
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_GSO));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_GSO |
	    NFQA_CFG_F_FAIL_OPEN));
	if (opt_maxlen > 0) {
		nfq_nlmsg_cfg_put_qmaxlen(nlh, (uint32_t)opt_maxlen);
	}
	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(c->c_nl, nlh, nlh->nlmsg_len) < 0 ||
	    (r = (int)mnl_socket_recvfrom(c->c_nl, u.buf,
	    sizeof(u.buf))) < 0 ||
	    mnl_cb_run(u.buf, (size_t)r, 0, mnl_socket_get_portid(c->c_nl),
	    NULL, NULL) < 0) {
		return errno;
	}
	if ((r = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, r | O_NONBLOCK) != 0) {
		return errno;
	}
	return 0;
}

/* A verdict for one packet message into @v; 1 for a packet. */
static int
bare_verdict(struct consumer *c, struct nlmsghdr *nlh, char *v)
{
	struct nlattr *attr[NFQA_MAX + 1];
	struct nfqnl_msg_packet_hdr *ph;
	struct nlmsghdr *vh;

	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

		if (e->error != 0) {
			c->c_fail++;
			c->c_fail1 = -e->error;
		}
		return 0;
	}
	if (nfq_nlmsg_parse(nlh, attr) < 0 || attr[NFQA_PACKET_HDR] == NULL) {
		return 0;
	}
	if (attr[NFQA_PAYLOAD] == NULL ||
	    mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]) != c->c_iplen) {
		c->c_badlen++;
	}
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	vh = nfq_nlmsg_put(v, NFQNL_MSG_VERDICT, IPF_QUEUE);
	nfq_nlmsg_verdict_put(vh, (int)ntohl(ph->packet_id), NF_ACCEPT);
	return 1;
}

static void *
bare_main(void *arg)
{
	struct consumer *c = arg;
	static char msgs[NFQ_BATCH][NFQ_MSG];
	static char verdicts[NFQ_BATCH * 4][128];
	struct mmsghdr mm[NFQ_BATCH];
	struct iovec iov[NFQ_BATCH], viov[NFQ_BATCH * 4];
	struct msghdr vmsg;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	int fd = mnl_socket_get_fd(c->c_nl), i, n, len, nv;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct nlmsghdr *nlh;

	note_thread(c);
	memset(mm, 0, sizeof(mm));
	for (i = 0; i < NFQ_BATCH; i++) {
		iov[i].iov_base = msgs[i];
		iov[i].iov_len = sizeof(msgs[i]);
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	while (!atomic_load_explicit(&c->c_stop, memory_order_relaxed)) {
		if (poll(&pfd, 1, 50) <= 0) {
			continue;
		}
		while ((n = recvmmsg(fd, mm, NFQ_BATCH, MSG_DONTWAIT,
		    NULL)) > 0) {
			nv = 0;
			for (i = 0; i < n; i++) {
				len = (int)mm[i].msg_len;
				for (nlh = (struct nlmsghdr *)(void *)msgs[i];
				    mnl_nlmsg_ok(nlh, len) &&
				    nv < NFQ_BATCH * 4;
				    nlh = mnl_nlmsg_next(nlh, &len)) {
					if (bare_verdict(c, nlh,
					    verdicts[nv]) == 0) {
						continue;
					}
					viov[nv].iov_base = verdicts[nv];
					viov[nv].iov_len = ((struct nlmsghdr *)
					    (void *)verdicts[nv])->nlmsg_len;
					nv++;
				}
			}
			if (nv == 0) {
				continue;
			}
			/* A batch's verdicts, one sendmsg(2). */
			memset(&vmsg, 0, sizeof(vmsg));
			vmsg.msg_name = &kernel;
			vmsg.msg_namelen = sizeof(kernel);
			vmsg.msg_iov = viov;
			vmsg.msg_iovlen = (size_t)nv;
			if (sendmsg(fd, &vmsg, 0) < 0) {
				c->c_fail++;
				c->c_fail1 = errno;
			}
			atomic_fetch_add_explicit(&c->c_count, (uint64_t)nv,
			    memory_order_relaxed);
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR &&
		    errno != ENOBUFS) {
			c->c_err = errno;
			break;
		}
	}
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
		c->c_badlen++;
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
	struct sockaddr_in from;
	struct msghdr msg;
	size_t len, sent;
	errno_t error;
	unsigned int i;
	mbuf_t m;

	(void)waitf;
	note_thread(c);
	for (i = 0; i < DRAIN_MAX; i++) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		m = NULL;
		len = SIZE_MAX;
		if ((error = sock_receivembuf(so, &msg, &m, MSG_DONTWAIT,
		    &len)) != 0) {
			if (error != EWOULDBLOCK) {
				c->c_err = error;
			}
			break;
		}
		if (len != c->c_iplen) {
			c->c_badlen++;
		}
		memset(&msg, 0, sizeof(msg));
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		if ((error = sock_sendmbuf(so, &msg, m, 0, &sent)) != 0) {
			c->c_fail++;
			c->c_fail1 = error;
		}
		atomic_fetch_add_explicit(&c->c_count, 1,
		    memory_order_relaxed);
	}
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
	if (iptables("-A") != 0) {
		return -1;
	}
	c->c_rule = true;
	if (m == M_BARE) {
		if ((error = bare_open(c)) != 0) {
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
	if (c->c_rule && iptables("-D") != 0) {
		rc = -1;
	}
	if (c->c_err != 0 || c->c_fail != 0 || c->c_badlen != 0) {
		fprintf(stderr, "bench_ipf: %s: receive %s; %" PRIu64
		    " verdicts or write-backs failed (%s); %" PRIu64
		    " packets of the wrong length\n", m_name[c->c_m],
		    strerror(c->c_err), c->c_fail, strerror(c->c_fail1),
		    c->c_badlen);
		rc = -1;
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* The traffic: a generator in b, a sink in a. */

struct traffic {
	int			 t_sink;
	atomic_int		 t_stop;	/* the generator's */
	atomic_int		 t_sstop;	/* the sink's */
	atomic_int		 t_ready;
	atomic_uint_fast64_t	 t_sent;
	atomic_uint_fast64_t	 t_rcvd;
	uint64_t		 t_deadline;
	uint64_t		 t_badlen;
	int			 t_gerr, t_serr;
};

static void *
gen_thread(void *arg)
{
	struct traffic *t = arg;
	static char payload[RAW_MAXPAY];
	struct mmsghdr mm[GEN_BATCH];
	struct sockaddr_in to;
	struct iovec iov;
	uint64_t loops;
	int fd = -1, i, n;

	if (pin_self(gen_cpu) != 0 ||
	    (t->t_gerr = join_netns(env.re_nsb)) != 0) {
		t->t_gerr = t->t_gerr != 0 ? t->t_gerr : EINVAL;
		goto out;
	}
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		t->t_gerr = errno;
		goto out;
	}
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons(IPF_PORT);
	inet_pton(AF_INET, RAW_ADDR_A, &to.sin_addr);
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
		t->t_gerr = errno;
		goto out;
	}
	memset(payload, 'i', sizeof(payload));
	iov.iov_base = payload;
	iov.iov_len = opt_size;
	memset(mm, 0, sizeof(mm));
	for (i = 0; i < GEN_BATCH; i++) {
		mm[i].msg_hdr.msg_iov = &iov;
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	atomic_store(&t->t_ready, 1);
	for (loops = 0; !atomic_load_explicit(&t->t_stop,
	    memory_order_relaxed); loops++) {
		/* A bound of its own, should the main thread stall. */
		if ((loops & 63) == 0 && now_ns() > t->t_deadline) {
			break;
		}
		if ((n = sendmmsg(fd, mm, GEN_BATCH, 0)) < 0) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == ENOBUFS || errno == ECONNREFUSED) {
				continue;
			}
			t->t_gerr = errno;
			break;
		}
		atomic_fetch_add_explicit(&t->t_sent, (uint64_t)n,
		    memory_order_relaxed);
	}
out:
	atomic_store(&t->t_ready, 1);
	if (fd >= 0) {
		close(fd);
	}
	return NULL;
}

static void *
sink_thread(void *arg)
{
	struct traffic *t = arg;
	static char bufs[SINK_BATCH][2048];
	struct mmsghdr mm[SINK_BATCH];
	struct iovec iov[SINK_BATCH];
	struct pollfd pfd = { .fd = t->t_sink, .events = POLLIN };
	int i, n;

	memset(mm, 0, sizeof(mm));
	for (i = 0; i < SINK_BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	while (!atomic_load_explicit(&t->t_sstop, memory_order_relaxed)) {
		if (poll(&pfd, 1, 20) <= 0) {
			continue;
		}
		while ((n = recvmmsg(t->t_sink, mm, SINK_BATCH, MSG_DONTWAIT,
		    NULL)) > 0) {
			for (i = 0; i < n; i++) {
				t->t_badlen += mm[i].msg_len != opt_size;
			}
			atomic_fetch_add_explicit(&t->t_rcvd, (uint64_t)n,
			    memory_order_relaxed);
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			t->t_serr = errno;
			break;
		}
	}
	return NULL;
}

static int
sink_open(void)
{
	struct sockaddr_in sin;
	int fd, size = BIG_BUF;

	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(IPF_PORT);
	inet_pton(AF_INET, RAW_ADDR_A, &sin.sin_addr);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Waits (bounded) until the sink has had nothing new for a while. */
static void
drain(struct traffic *t)
{
	uint64_t last = atomic_load(&t->t_rcvd), now, since = now_ns();
	int i;

	for (i = 0; i < 200; i++) {
		sleep_ns(20 * 1000000ULL);
		now = atomic_load(&t->t_rcvd);
		if (now != last) {
			last = now;
			since = now_ns();
		} else if (now_ns() - since > QUIET_NS) {
			break;
		}
	}
}

/* One measurement of method @m. */
static int
measure(enum method m, struct result *r)
{
	struct libstats ls;
	struct consumer c;
	struct traffic t;
	pthread_t gt, st;
	uint64_t t0, t1, r0, r1, s0, s1, u0 = 0, u1 = 0;
	bool gen = false, sink = false;
	int rc = -1, i;

	memset(r, 0, sizeof(*r));
	memset(&t, 0, sizeof(t));
	memset(&ls, 0, sizeof(ls));
	t.t_sink = -1;
	if (consumer_start(&c, m) != 0) {
		(void)consumer_stop(&c, NULL);
		return -1;
	}
	if ((t.t_sink = sink_open()) < 0) {
		perror("bench_ipf: sink");
		goto out;
	}
	if (pthread_create(&st, NULL, sink_thread, &t) != 0) {
		goto out;
	}
	sink = true;
	t.t_deadline = now_ns() + (uint64_t)opt_warmup_ms * 1000000ULL +
	    (uint64_t)(opt_dur * (double)NSEC) + 5 * NSEC;
	if (pthread_create(&gt, NULL, gen_thread, &t) != 0) {
		goto out;
	}
	gen = true;
	for (i = 0; i < 5000 && !atomic_load(&t.t_ready); i++) {
		sleep_ns(1000000ULL);
	}
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
	r0 = atomic_load(&t.t_rcvd);
	s0 = atomic_load(&t.t_sent);
	sleep_ns((uint64_t)(opt_dur * (double)NSEC));
	t1 = now_ns();
	r1 = atomic_load(&t.t_rcvd);
	s1 = atomic_load(&t.t_sent);
	if (atomic_load(&c.c_known)) {
		u1 = thread_cpu_ns(c.c_thread);
	}
	atomic_store(&t.t_stop, 1);
	pthread_join(gt, NULL);
	gen = false;
	drain(&t);
	queue_drops(&r->qdrop, &r->qudrop);
	r->rx_pps = per_sec(r1 - r0, t1 - t0);
	r->gen_pps = per_sec(s1 - s0, t1 - t0);
	if (u1 > u0 && u0 != 0 && r1 > r0) {
		r->ns_pkt = (double)(u1 - u0) / (double)(r1 - r0);
	}
	r->sent = atomic_load(&t.t_sent);
	r->received = atomic_load(&t.t_rcvd);
	if (t.t_gerr != 0) {
		fprintf(stderr, "bench_ipf: generator: %s\n",
		    strerror(t.t_gerr));
		goto out;
	}
	if (r1 == r0) {
		fprintf(stderr, "bench_ipf: %s: nothing delivered in the "
		    "window (%" PRIu64 " sent)\n", m_name[m], s1 - s0);
		goto out;
	}
	rc = 0;
out:
	atomic_store(&t.t_stop, 1);
	if (gen) {
		pthread_join(gt, NULL);
	}
	atomic_store(&t.t_sstop, 1);
	if (sink) {
		pthread_join(st, NULL);
	}
	if (t.t_sink >= 0) {
		close(t.t_sink);
	}
	if (consumer_stop(&c, &ls) != 0) {
		rc = -1;
	}
	r->held_expired = ls.expired;
	r->rx_enobufs = ls.enobufs;
	r->div_full = ls.div_full;
	if (t.t_serr != 0 || t.t_badlen != 0) {
		fprintf(stderr, "bench_ipf: sink: %s, %" PRIu64 " datagrams "
		    "of the wrong length\n", strerror(t.t_serr), t.t_badlen);
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
			for (k = 0; k < M_N; k++) {
				if (strcmp(optarg, m_opt[k]) == 0) {
					break;
				}
			}
			if (k == M_N) {
				usage();
			}
			m_on[k] = true;
			any_m = 1;
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
