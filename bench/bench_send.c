/*
 * xkpi benchmark: the Neighbor Discovery round trip through a SeND socket
 * and through the SeND daemon (issue 9).  A prober in side b sends a
 * Neighbor Solicitation for side a's address and times the Neighbor
 * Advertisement a's kernel answers with, one at a time, while a's (and
 * for sendd b's) ND goes:
 *
 *	- "no daemon": nowhere, no queue (the baseline);
 *	- "bare nfq": to a bare libnetfilter_queue loop (queue 2) that
 *	  accepts each message as it is, NF_ACCEPT without the bytes;
 *	- "SeND pass": to the library on the nfqueue backend (queue 1) and
 *	  a SeND socket, sock_socket(PF_INET6, SOCK_RAW, IPPROTO_SEND),
 *	  whose read upcall reads each message with sock_receivembuf() and
 *	  writes it back unchanged with sock_sendmbuf() and the struct
 *	  sockaddr_send it was read with: the NS in, the NA out;
 *	- "sendd": examples/sendd (queue 0) on both sides: b's signs the NS
 *	  and verifies the NA, a's verifies the NS and signs the NA (RSA,
 *	  -b bits).
 *
 *	netns.sh bench_send [-r runs] [-n probes] [-W warmup] [-b bits]
 *	    [-m none|bare|pass|sendd]... [-S sendd] [-P]
 *
 * Runs inside side a (bench/netns.sh).  The methods run side by side,
 * each on an address of its own in a, and the prober takes them in
 * turn, one probe at a time, so that whatever else the machine does hits
 * them alike: sendd's is a's CGA (Sec 1; sendd run makes it), the
 * others fe80::5eed:K (K = 1, 2, 3) added without DAD.  b probes from
 * its CGA for sendd and from fe80::5eed:100 for the others.  The rules
 * are those of docs/backends.md narrowed to an address: in a, for
 * T = 133 to 137,
 *
 *	-A INPUT  -p icmpv6 --icmpv6-type T -d SOLICITED-NODE-GROUP ...
 *	-A OUTPUT -p icmpv6 --icmpv6-type T -s ADDRESS ...
 *	    ... -m mark ! --mark 0x786b -j NFQUEUE --queue-num Q
 *	    --queue-bypass
 *
 * with Q 2 (bare), 1 (SeND pass), 0 (sendd) and none for "no daemon";
 * in b the same for its CGA (-s on OUTPUT, -d on INPUT) to queue 0.  The
 * NS goes to the solicited-node group of the address with a source
 * link-layer address option, as Linux's address resolution sends it;
 * a's neighbour entries for b's two addresses are permanent, so that
 * a's kernel answers at once and never probes b on its own.  Each run:
 * -W warm-up probes per method, then -n timed ones; p50 and p99 per run,
 * medians over the runs.  A probe unanswered within 200 ms is lost; more
 * than 50 lost in a run, an NA signed when it should not be or the
 * reverse, a consumer that did not see two messages per probe answered
 * (bare, pass), or a daemon that signed or verified fewer messages than
 * the sendd probes, fail the program: a missed goal does not.  -P: no
 * pinning (otherwise a's consumers on the first CPU, the prober and b's
 * sendd on the second).  Prints its own report, then ROW| and NOTE|
 * lines for bench/run.sh.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "bench_nfq.h"		/* first: <netinet/in.h> before <linux/in.h> */

#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/ip6.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <netinet6/send.h>
#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>

#define Q_SENDD		0	/* the queues: sendd's (its default) */
#define Q_PASS		1	/* the library's SeND socket */
#define Q_BARE		2	/* the bare loop */
#define PROBE_TMO_MS	200
#define MAX_LOST	50
#define STALE_MAX	8
#define SENDD_WAIT_S	30	/* for a daemon to be ready */
#define SIGNED_MIN	128	/* an NA with an RSA signature is longer */

enum method { M_NONE, M_BARE, M_PASS, M_SENDD, M_N };
static const char *m_name[M_N] = { "no daemon", "bare nfq", "SeND pass",
	"sendd" };
static const char *m_opt[M_N] = { "none", "bare", "pass", "sendd" };
static const int m_queue[M_N] = { -1, Q_BARE, Q_PASS, Q_SENDD };

static int	opt_runs = 5;
static int	opt_n = 2000;
static int	opt_warmup = 200;
static int	opt_bits = 1024;
static int	opt_nopin;
static const char *opt_sendd;
static bool	m_on[M_N];

static int	rx_cpu = -1;
static int	gen_cpu = -1;
static struct raw_env env;
static char	nsb_name[NAME_MAX + 1];
static char	tmpdir[64];

/* ------------------------------------------------------------------ */
/* Commands: ip6tables and ip, in a or (through ip netns exec) in b. */

static int
sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0) {
		fprintf(stderr, "bench_send: '%s' failed (%d)\n", cmd, rc);
		return -1;
	}
	return 0;
}

/* "ip netns exec B " for side b, "" for a. */
static const char *
in_ns(int side_b)
{
	static char pre[NAME_MAX + 32];

	if (!side_b) {
		return "";
	}
	snprintf(pre, sizeof(pre), "ip netns exec %s ", nsb_name);
	return pre;
}

/* The solicited-node group of @a (RFC 4291 2.7.1). */
static struct in6_addr
solicited(const struct in6_addr *a)
{
	struct in6_addr g;

	inet_pton(AF_INET6, "ff02::1:ff00:0", &g);
	memcpy(g.s6_addr + 13, a->s6_addr + 13, 3);
	return g;
}

/*
 * Queues on @side the ND to the solicited-node group of @a (INPUT) and
 * from @a (OUTPUT), or on b's side to and from @a, to @queue: the rules
 * of docs/backends.md narrowed to one address.
 */
static int
rules_for(int side, const struct in6_addr *a, int queue)
{
	char in[INET6_ADDRSTRLEN], out[INET6_ADDRSTRLEN];
	struct in6_addr g = solicited(a);
	int t, c;

	inet_ntop(AF_INET6, side == 0 ? &g : a, in, sizeof(in));
	inet_ntop(AF_INET6, a, out, sizeof(out));
	for (c = 0; c < 2; c++) {
		for (t = 133; t <= 137; t++) {
			if (sh("%sip6tables -w -A %s -p icmpv6 --icmpv6-type "
			    "%d %s %s -m mark ! --mark %s -j NFQUEUE "
			    "--queue-num %d --queue-bypass", in_ns(side),
			    c == 0 ? "INPUT" : "OUTPUT", t, c == 0 ? "-d" :
			    "-s", c == 0 ? in : out, NFQ_MARK, queue) != 0) {
				return -1;
			}
		}
	}
	return 0;
}

/* Flushes INPUT and OUTPUT in both namespaces (ours alone). */
static void
rules_remove(void)
{
	char cmd[512];
	int side;

	for (side = 0; side < 2; side++) {
		snprintf(cmd, sizeof(cmd), "%sip6tables -w -F INPUT "
		    "2>/dev/null; %sip6tables -w -F OUTPUT 2>/dev/null",
		    in_ns(side), in_ns(side));
		(void)system(cmd);
	}
}

/* ------------------------------------------------------------------ */
/* The two sendd daemons: a's and, through setns(2), b's. */

struct daemon {
	pid_t		 d_pid;
	int		 d_out;		/* its stdout and stderr */
	struct in6_addr	 d_addr;	/* its CGA */
	char		 d_log[4096];	/* what it said at exit */
};

static struct daemon sd[2];

static int
sendd_start(int side, const char *key)
{
	struct daemon *d = &sd[side];
	const char *ifname = side == 0 ? env.re_ifa : env.re_ifb;
	char buf[4096], *line, *end;
	size_t have = 0;
	uint64_t deadline;
	struct pollfd pfd;
	cpu_set_t set;
	int pfds[2], cpu = side == 0 ? rx_cpu : gen_cpu;
	ssize_t n;

	if (pipe(pfds) != 0) {
		return -1;
	}
	if ((d->d_pid = fork()) < 0) {
		return -1;
	}
	if (d->d_pid == 0) {
		dup2(pfds[1], STDOUT_FILENO);
		dup2(pfds[1], STDERR_FILENO);
		close(pfds[0]);
		close(pfds[1]);
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (cpu >= 0) {
			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			(void)sched_setaffinity(0, sizeof(set), &set);
		}
		if (side == 1 && join_netns(env.re_nsb) != 0) {
			_exit(126);
		}
		setenv("XKPI_NFQUEUE", "0", 1);
		unsetenv("XKPI_BACKEND");
		execl(opt_sendd, "sendd", "run", "-i", ifname, "-k", key,
		    (char *)NULL);
		_exit(127);
	}
	close(pfds[1]);
	d->d_out = pfds[0];
	pfd.fd = d->d_out;
	pfd.events = POLLIN;
	deadline = now_ns() + SENDD_WAIT_S * NSEC;
	buf[0] = '\0';
	while (strstr(buf, "sendd: ready\n") == NULL) {
		if (now_ns() > deadline || have + 1 >= sizeof(buf)) {
			fprintf(stderr, "bench_send: sendd in %c not ready: "
			    "%s\n", 'a' + side, buf);
			return -1;
		}
		if (poll(&pfd, 1, 100) <= 0) {
			continue;
		}
		if ((n = read(d->d_out, buf + have, sizeof(buf) - 1 -
		    have)) <= 0) {
			fprintf(stderr, "bench_send: sendd in %c ended: %s\n",
			    'a' + side, buf);
			return -1;
		}
		have += (size_t)n;
		buf[have] = '\0';
	}
	/* "sendd: address fe80::..., Sec 1, collision count 0" */
	if ((line = strstr(buf, "sendd: address ")) == NULL ||
	    (end = strchr(line + 15, ',')) == NULL) {
		fprintf(stderr, "bench_send: sendd in %c named no address: "
		    "%s\n", 'a' + side, buf);
		return -1;
	}
	*end = '\0';
	if (inet_pton(AF_INET6, line + 15, &d->d_addr) != 1) {
		return -1;
	}
	return 0;
}

/* Ends a daemon, keeps what it printed (its counters). */
static void
sendd_stop(int side)
{
	struct daemon *d = &sd[side];
	size_t have = 0;
	ssize_t n;
	int i, status;

	if (d->d_pid <= 0) {
		return;
	}
	kill(d->d_pid, SIGTERM);
	for (i = 0; i < 100; i++) {
		if (waitpid(d->d_pid, &status, WNOHANG) == d->d_pid) {
			break;
		}
		sleep_ns(50 * 1000000ULL);
	}
	if (i == 100) {
		kill(d->d_pid, SIGKILL);
		waitpid(d->d_pid, &status, 0);
	}
	d->d_pid = 0;
	(void)fcntl(d->d_out, F_SETFL, O_NONBLOCK);
	while (have + 1 < sizeof(d->d_log) && (n = read(d->d_out,
	    d->d_log + have, sizeof(d->d_log) - 1 - have)) > 0) {
		have += (size_t)n;
	}
	d->d_log[have] = '\0';
	close(d->d_out);
}

/* A counter sendd printed at exit ("sendd: out.signed   12"). */
static uint64_t
sendd_ctr(int side, const char *name)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "sendd: %s ", name);
	if ((p = strstr(sd[side].d_log, pat)) == NULL) {
		return 0;
	}
	return strtoull(p + strlen(pat), NULL, 10);
}

/* ------------------------------------------------------------------ */
/* The bare reference: a netfilter queue loop of its own. */

struct bare {
	struct mnl_socket	*b_nl;
	pthread_t		 b_thread;
	bool			 b_started;
	atomic_int		 b_stop;
	atomic_uint_fast64_t	 b_count;
	int			 b_err;
	uint64_t		 b_verr;
};

static struct bare bare;

/* bench_nfq.h's loop: one NF_ACCEPT per packet. */
static void *
bare_main(void *arg)
{
	struct bare *b = arg;
	struct bnfq_loop l = {
		.l_nl = b->b_nl,
		.l_queue = Q_BARE,
		.l_stop = &b->b_stop,
		.l_count = &b->b_count,
	};

	bnfq_run(&l);
	b->b_verr = l.l_werr;
	b->b_err = l.l_err;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* The library: a SeND socket that writes every message back. */

struct passer {
	socket_t		 p_so;
	bool			 p_up;
	atomic_uint_fast64_t	 p_count;
	struct wb_stats		 p_wb;
};

static struct passer pass;

static void
pass_upcall(socket_t so, void *cookie, int waitf)
{
	struct passer *p = cookie;

	(void)waitf;
	(void)xk_write_back(so, sizeof(struct sockaddr_send), 4096, 0,
	    &p->p_count, &p->p_wb);
}

static int
pass_start(struct passer *p)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.ifaces = env.re_ifa,
	    .backend = "nfqueue");
	char q[16];
	errno_t error;

	snprintf(q, sizeof(q), "%d", Q_PASS);
	setenv("XKPI_NFQUEUE", q, 1);
	if ((error = xkpi_init(&cfg)) != 0) {
		fprintf(stderr, "bench_send: xkpi_init: %s\n",
		    strerror(error));
		return -1;
	}
	p->p_up = true;
	if ((error = sock_socket(PF_INET6, SOCK_RAW, IPPROTO_SEND,
	    pass_upcall, p, &p->p_so)) != 0) {
		fprintf(stderr, "bench_send: SeND sock_socket: %s\n",
		    strerror(error));
		return -1;
	}
	return 0;
}

static void
pass_stop(struct passer *p)
{
	if (p->p_so != NULL) {
		sock_close(p->p_so);
		p->p_so = NULL;
	}
	if (p->p_up) {
		xkpi_shutdown();
		p->p_up = false;
	}
}

/* ------------------------------------------------------------------ */
/* The prober, in b: the methods in turn, one probe at a time. */

static struct in6_addr a_addr[M_N];	/* a's address probed per method */
static struct in6_addr b_other;	/* b's source but for sendd */

struct probe {
	int		 pr_n, pr_warmup;
	uint64_t	*pr_rtt[M_N];	/* ns, pr_n of them */
	int		 pr_got[M_N];
	int		 pr_lost[M_N];
	int		 pr_answered[M_N];
	int		 pr_badsig[M_N]; /* signed when not wanted, or not */
	int		 pr_err;
};

static int
hwaddr(int fd, const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) {
		return errno;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

/* Whether the NA's options, after its 24 bytes, hold an RSA Signature. */
static bool
na_signed(const uint8_t *p, size_t len)
{
	size_t off = 24, olen;

	while (off + 2 <= len) {
		if (p[off] == 12) {
			return true;
		}
		if ((olen = (size_t)p[off + 1] * 8) == 0) {
			break;
		}
		off += olen;
	}
	return false;
}

/*
 * One round trip: an NS for a's address of method @k from b's source
 * for it, to the solicited-node group; its time in ns, 0 when lost.
 */
static uint64_t
probe_one(struct probe *pr, int fd, unsigned int ifidx, const uint8_t *mac,
    enum method k)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} cm;
	struct nd_neighbor_solicit *nsol;
	struct in6_pktinfo *pi;
	struct sockaddr_in6 dst;
	struct cmsghdr *c;
	struct msghdr msg;
	struct iovec iov;
	uint8_t ns[32], buf[2048];
	uint64_t t0, rtt;
	ssize_t n = -1;
	int stale;

	memset(ns, 0, sizeof(ns));
	nsol = (struct nd_neighbor_solicit *)(void *)ns;
	nsol->nd_ns_type = ND_NEIGHBOR_SOLICIT;
	nsol->nd_ns_target = a_addr[k];
	ns[24] = ND_OPT_SOURCE_LINKADDR;
	ns[25] = 1;
	memcpy(ns + 26, mac, 6);
	memset(&dst, 0, sizeof(dst));
	dst.sin6_family = AF_INET6;
	dst.sin6_addr = solicited(&a_addr[k]);
	dst.sin6_scope_id = ifidx;
	iov.iov_base = ns;
	iov.iov_len = sizeof(ns);
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &dst;
	msg.msg_namelen = sizeof(dst);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	memset(&cm, 0, sizeof(cm));
	msg.msg_control = cm.buf;
	msg.msg_controllen = sizeof(cm.buf);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(*pi));
	pi = (struct in6_pktinfo *)(void *)CMSG_DATA(c);
	pi->ipi6_addr = k == M_SENDD ? sd[1].d_addr : b_other;
	pi->ipi6_ifindex = ifidx;
	t0 = now_ns();
	if (sendmsg(fd, &msg, 0) < 0) {
		pr->pr_err = errno;
		return 0;
	}
	for (stale = 0; stale < STALE_MAX; stale++) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 || ((size_t)n >= 24 &&
		    buf[0] == ND_NEIGHBOR_ADVERT &&
		    memcmp(buf + 8, &a_addr[k], 16) == 0)) {
			break;
		}
	}
	rtt = now_ns() - t0;
	if (n < 0 || stale == STALE_MAX) {
		return 0;
	}
	pr->pr_answered[k]++;
	if (na_signed(buf, (size_t)n) != (k == M_SENDD)) {
		pr->pr_badsig[k]++;
	}
	return rtt;
}

static void *
probe_main(void *arg)
{
	struct probe *pr = arg;
	struct timeval tv = { 0, PROBE_TMO_MS * 1000 };
	struct icmp6_filter filt;
	uint8_t buf[2048], mac[6];
	unsigned int ifidx;
	uint64_t rtt;
	int fd = -1, i, j, k, hops = 255, lost = 0;

	if (pin_self(gen_cpu) != 0) {
		pr->pr_err = EINVAL;
		return NULL;
	}
	if ((pr->pr_err = join_netns(env.re_nsb)) != 0) {
		return NULL;
	}
	if ((fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC,
	    IPPROTO_ICMPV6)) < 0 || (ifidx = if_nametoindex(env.re_ifb)) ==
	    0 || (pr->pr_err = hwaddr(fd, env.re_ifb, mac)) != 0) {
		pr->pr_err = pr->pr_err != 0 ? pr->pr_err : errno;
		goto out;
	}
	ICMP6_FILTER_SETBLOCKALL(&filt);
	ICMP6_FILTER_SETPASS(ND_NEIGHBOR_ADVERT, &filt);
	if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filt,
	    sizeof(filt)) != 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops,
	    sizeof(hops)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0) {
		pr->pr_err = errno;
		goto out;
	}
	/* Nothing old waiting. */
	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0) {
		continue;
	}
	for (i = 0; i < pr->pr_warmup + pr->pr_n && pr->pr_err == 0; i++) {
		for (j = 0; j < M_N; j++) {
			/* The order turns: no method always goes first. */
			k = (i + j) % M_N;
			if (!m_on[k]) {
				continue;
			}
			if ((rtt = probe_one(pr, fd, ifidx, mac,
			    (enum method)k)) == 0) {
				if (pr->pr_err != 0) {
					break;
				}
				pr->pr_lost[k]++;
				if (++lost > MAX_LOST) {
					pr->pr_err = ETIMEDOUT;
					break;
				}
				continue;
			}
			if (i >= pr->pr_warmup) {
				pr->pr_rtt[k][pr->pr_got[k]++] = rtt;
			}
		}
	}
out:
	if (fd >= 0) {
		close(fd);
	}
	return NULL;
}

/* One run: the methods side by side; @res[k] for method k. */
static int
measure(struct latres *res)
{
	struct probe pr;
	pthread_t t;
	uint64_t b0, b1, p0, p1, want;
	int rc = -1, k, n;

	memset(res, 0, M_N * sizeof(*res));
	memset(&pr, 0, sizeof(pr));
	pr.pr_n = opt_n;
	pr.pr_warmup = opt_warmup;
	for (k = 0; k < M_N; k++) {
		if (m_on[k] && (pr.pr_rtt[k] = calloc((size_t)opt_n,
		    sizeof(uint64_t))) == NULL) {
			goto out;
		}
	}
	b0 = atomic_load(&bare.b_count);
	p0 = atomic_load(&pass.p_count);
	if (pthread_create(&t, NULL, probe_main, &pr) != 0) {
		goto out;
	}
	pthread_join(t, NULL);
	b1 = atomic_load(&bare.b_count);
	p1 = atomic_load(&pass.p_count);
	if (pr.pr_err != 0) {
		fprintf(stderr, "bench_send: prober: %s\n",
		    strerror(pr.pr_err));
		goto out;
	}
	for (k = 0; k < M_N; k++) {
		if (!m_on[k]) {
			continue;
		}
		if (pr.pr_badsig[k] != 0) {
			fprintf(stderr, "bench_send: %s: %d NAs %s\n",
			    m_name[k], pr.pr_badsig[k], k == M_SENDD ?
			    "unsigned" : "signed");
			goto out;
		}
		/* The NS in and the NA out of every probe answered. */
		want = 2 * (uint64_t)pr.pr_answered[k];
		if ((k == M_BARE && b1 - b0 < want) ||
		    (k == M_PASS && p1 - p0 < want)) {
			fprintf(stderr, "bench_send: %s: %" PRIu64 " messages "
			    "seen for %d probes answered\n", m_name[k],
			    k == M_BARE ? b1 - b0 : p1 - p0,
			    pr.pr_answered[k]);
			goto out;
		}
		if ((n = pr.pr_got[k]) == 0) {
			goto out;
		}
		latres_of(pr.pr_rtt[k], n, pr.pr_lost[k], &res[k]);
	}
	rc = 0;
out:
	for (k = 0; k < M_N; k++) {
		free(pr.pr_rtt[k]);
	}
	return rc;
}

/* ------------------------------------------------------------------ */

static void
usage(void)
{
	fprintf(stderr, "usage: bench_send [-r runs] [-n probes] "
	    "[-W warmup] [-b bits] [-m none|bare|pass|sendd]... "
	    "[-S sendd] [-P]\n");
	exit(2);
}

/* examples/sendd of the build directory this program is in. */
static const char *
default_sendd(void)
{
	static char path[PATH_MAX + 32];
	char self[PATH_MAX];
	ssize_t n;

	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0) {
		return "examples/sendd";
	}
	self[n] = '\0';
	snprintf(path, sizeof(path), "%s/../examples/sendd", dirname(self));
	return path;
}

static void
row(const char *name, enum method b, enum method x, double bv, double xv)
{
	if (!m_on[b] || !m_on[x]) {
		return;
	}
	printf("ROW|%s|%.1f|%.1f|%.3f\n", name, bv, xv, bv > 0 ? xv / bv : 0);
}

static void
cleanup(void)
{
	char cmd[128];

	if (bare.b_started) {
		atomic_store(&bare.b_stop, 1);
		pthread_join(bare.b_thread, NULL);
		bare.b_started = false;
	}
	if (bare.b_nl != NULL) {
		mnl_socket_close(bare.b_nl);
		bare.b_nl = NULL;
	}
	pass_stop(&pass);
	sendd_stop(0);
	sendd_stop(1);
	rules_remove();
	if (tmpdir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		(void)system(cmd);
		tmpdir[0] = '\0';
	}
}

/*
 * The addresses: a's CGA for sendd and one of fe80::5eed:K for each
 * other method K (no DAD), b's CGA for sendd and fe80::5eed:100 for the
 * others; a's neighbour entries for b's two, permanent; and the rules.
 */
static int
setup_net(void)
{
	char a[INET6_ADDRSTRLEN], mac[32], cmd[NAME_MAX + 96];
	struct in6_addr g;
	FILE *f;
	int k;

	for (k = 0; k < M_N; k++) {
		if (k == M_SENDD) {
			a_addr[k] = sd[0].d_addr;
			continue;
		}
		snprintf(a, sizeof(a), "fe80::5eed:%d", k + 1);
		inet_pton(AF_INET6, a, &a_addr[k]);
		g = solicited(&a_addr[k]);
		if (memcmp(g.s6_addr + 13, sd[0].d_addr.s6_addr + 13, 3) ==
		    0) {
			fprintf(stderr, "bench_send: a's CGA shares the group "
			    "of %s: run again\n", a);
			return -1;
		}
		if (sh("ip -6 addr add %s/64 dev %s nodad", a,
		    env.re_ifa) != 0) {
			return -1;
		}
	}
	inet_pton(AF_INET6, "fe80::5eed:100", &b_other);
	if (sh("%sip -6 addr add fe80::5eed:100/64 dev %s nodad", in_ns(1),
	    env.re_ifb) != 0) {
		return -1;
	}
	snprintf(cmd, sizeof(cmd), "%sip -o link show dev %s", in_ns(1),
	    env.re_ifb);
	mac[0] = '\0';
	if ((f = popen(cmd, "r")) != NULL) {
		char line[512], *p;

		if (fgets(line, sizeof(line), f) != NULL &&
		    (p = strstr(line, "link/ether ")) != NULL) {
			sscanf(p + 11, "%31s", mac);
		}
		pclose(f);
	}
	if (mac[0] == '\0') {
		fprintf(stderr, "bench_send: no link address for %s\n",
		    env.re_ifb);
		return -1;
	}
	for (k = 0; k < 2; k++) {
		inet_ntop(AF_INET6, k == 0 ? &sd[1].d_addr : &b_other, a,
		    sizeof(a));
		if (sh("ip -6 neigh replace %s dev %s lladdr %s nud "
		    "permanent", a, env.re_ifa, mac) != 0) {
			return -1;
		}
	}
	for (k = 0; k < M_N; k++) {
		if (m_on[k] && m_queue[k] >= 0 &&
		    rules_for(0, &a_addr[k], m_queue[k]) != 0) {
			return -1;
		}
	}
	if (m_on[M_SENDD] && rules_for(1, &sd[1].d_addr, Q_SENDD) != 0) {
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct latres res[MAXRUNS][M_N];
	double v[MAXRUNS], p50[M_N], p99[M_N];
	char key[2][128], addr[INET6_ADDRSTRLEN];
	struct utsname un;
	uint64_t nsendd;
	int ch, k, i, run, any_m = 0, failed = 1;
	long n;

	while ((ch = getopt(argc, argv, "r:n:W:b:m:S:P")) != -1) {
		switch (ch) {
		case 'r':
			opt_runs = atoi(optarg);
			if (opt_runs < 1 || opt_runs > MAXRUNS) {
				usage();
			}
			break;
		case 'n':
			n = atol(optarg);
			if (n < 100 || n > 1000000) {
				usage();
			}
			opt_n = (int)n;
			break;
		case 'W':
			opt_warmup = atoi(optarg);
			if (opt_warmup < 0 || opt_warmup > 100000) {
				usage();
			}
			break;
		case 'b':
			opt_bits = atoi(optarg);
			if (opt_bits < 1024 || opt_bits > 4096) {
				usage();
			}
			break;
		case 'm':
			if (!choice_opt(optarg, m_opt, M_N, m_on, &any_m)) {
				usage();
			}
			break;
		case 'S':
			opt_sendd = optarg;
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
	if (opt_sendd == NULL) {
		opt_sendd = default_sendd();
	}
	if (raw_env_get(&env, "bench_send") != 0) {
		return 1;
	}
	snprintf(nsb_name, sizeof(nsb_name), "%s", strrchr(env.re_nsb, '/') !=
	    NULL ? strrchr(env.re_nsb, '/') + 1 : env.re_nsb);
	if (access(opt_sendd, X_OK) != 0) {
		fprintf(stderr, "bench_send: %s: %s\n", opt_sendd,
		    strerror(errno));
		return 1;
	}
	choose_two_cpus(opt_nopin, &rx_cpu, &gen_cpu);
	/* Before the library starts: its loop thread inherits the CPU. */
	if (pin_self(rx_cpu) != 0) {
		fprintf(stderr, "bench_send: cannot pin to CPU %d\n", rx_cpu);
		return 1;
	}
	(void)signal(SIGPIPE, SIG_IGN);
	uname(&un);
	printf("bench_send: %ld CPUs, Linux %s; NS from b (%s) to a (%s), "
	    "NA back, one at a time, the methods in turn; %d probes each "
	    "after %d, %d runs (median); sendd RSA %d, Sec 1\n",
	    sysconf(_SC_NPROCESSORS_ONLN), un.release, env.re_ifb, env.re_ifa,
	    opt_n, opt_warmup, opt_runs, opt_bits);
	if (rx_cpu >= 0) {
		printf("bench_send: a's consumers (bare thread, library loop, "
		    "a's sendd) on CPU %d; prober and b's sendd on CPU %d\n",
		    rx_cpu, gen_cpu);
	}
	fflush(stdout);

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/xkb-send.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		tmpdir[0] = '\0';
		return 1;
	}
	for (i = 0; i < 2; i++) {
		snprintf(key[i], sizeof(key[i]), "%s/%c.pem", tmpdir, 'a' + i);
		if (sh("openssl genrsa -out %s %d 2>/dev/null", key[i],
		    opt_bits) != 0) {
			goto out;
		}
	}
	/* The daemons run whatever -m says: their CGAs are probed. */
	if (sendd_start(0, key[0]) != 0 || sendd_start(1, key[1]) != 0 ||
	    setup_net() != 0) {
		goto out;
	}
	for (k = 0; k < M_N; k++) {
		inet_ntop(AF_INET6, &a_addr[k], addr, sizeof(addr));
		printf("bench_send: %-10s probes %s%s\n", m_name[k], addr,
		    m_queue[k] < 0 ? ", no rule" : "");
	}
	if (m_on[M_BARE]) {
		if ((errno = bnfq_open(&bare.b_nl, Q_BARE, AF_INET6, 0, 0,
		    false)) != 0) {
			fprintf(stderr, "bench_send: bare queue: %s\n",
			    strerror(errno));
			goto out;
		}
		/* Created here: it inherits the consumer CPU. */
		if (pthread_create(&bare.b_thread, NULL, bare_main,
		    &bare) != 0) {
			goto out;
		}
		bare.b_started = true;
	}
	if (m_on[M_PASS] && pass_start(&pass) != 0) {
		goto out;
	}

	for (run = 0; run < opt_runs; run++) {
		if (measure(res[run]) != 0) {
			goto out;
		}
		for (k = 0; k < M_N; k++) {
			if (!m_on[k]) {
				continue;
			}
			printf("  %-10s run %d: rtt p50 %7.1f us  p99 %7.1f "
			    "us  max %8.1f us  lost %d\n", m_name[k], run + 1,
			    res[run][k].p50, res[run][k].p99, res[run][k].max,
			    res[run][k].lost);
		}
		fflush(stdout);
	}
	if (pass.p_wb.wb_werr != 0 || pass.p_wb.wb_rerr != 0 ||
	    bare.b_err != 0 || bare.b_verr != 0) {
		fprintf(stderr, "bench_send: SeND pass: %" PRIu64
		    " write-backs failed (%s), receive: %s; bare: %s, %"
		    PRIu64 " verdicts refused\n", pass.p_wb.wb_werr,
		    strerror(pass.p_wb.wb_werr1), strerror(pass.p_wb.wb_rerr),
		    strerror(bare.b_err), bare.b_verr);
		goto out;
	}
	for (k = 0; k < M_N; k++) {
		if (!m_on[k]) {
			continue;
		}
		for (run = 0; run < opt_runs; run++) {
			v[run] = res[run][k].p50;
		}
		p50[k] = median(v, opt_runs);
		for (run = 0; run < opt_runs; run++) {
			v[run] = res[run][k].p99;
		}
		p99[k] = median(v, opt_runs);
		printf("  %-10s median: rtt p50 %7.1f us  p99 %7.1f us\n",
		    m_name[k], p50[k], p99[k]);
	}
	failed = 0;
	sendd_stop(0);
	sendd_stop(1);
	/* Every sendd probe answered was signed and verified, twice. */
	nsendd = (uint64_t)opt_runs * (uint64_t)opt_n;
	for (i = 0; i < 2 && m_on[M_SENDD]; i++) {
		printf("  sendd in %c: out.signed %" PRIu64 " in.secured %"
		    PRIu64 " in.unsecured %" PRIu64 " in.drop.sig %" PRIu64
		    " in.drop.replay %" PRIu64 " in.drop.nonce %" PRIu64 "\n",
		    'a' + i, sendd_ctr(i, "out.signed"),
		    sendd_ctr(i, "in.secured"), sendd_ctr(i, "in.unsecured"),
		    sendd_ctr(i, "in.drop.sig"), sendd_ctr(i, "in.drop.replay"),
		    sendd_ctr(i, "in.drop.nonce"));
		if (sendd_ctr(i, "out.signed") < nsendd ||
		    sendd_ctr(i, "in.secured") < nsendd) {
			fprintf(stderr, "bench_send: sendd in %c signed or "
			    "verified fewer messages than probes\n", 'a' + i);
			failed = 1;
		}
	}
	row("nd rtt p50 (us): SeND pass vs no daemon", M_NONE, M_PASS,
	    p50[M_NONE], p50[M_PASS]);
	row("  nd rtt p99 (us)", M_NONE, M_PASS, p99[M_NONE], p99[M_PASS]);
	row("nd rtt p50 (us): SeND pass vs bare nfq", M_BARE, M_PASS,
	    p50[M_BARE], p50[M_PASS]);
	row("  nd rtt p99 (us)", M_BARE, M_PASS, p99[M_BARE], p99[M_PASS]);
	row("nd rtt p50 (us): sendd vs no daemon", M_NONE, M_SENDD,
	    p50[M_NONE], p50[M_SENDD]);
	row("  nd rtt p99 (us)", M_NONE, M_SENDD, p99[M_NONE], p99[M_SENDD]);
	if (m_on[M_NONE] && m_on[M_PASS]) {
		double d = p50[M_PASS] - p50[M_NONE];

		printf("NOTE|SeND socket detour: %+.1f us p50 over no daemon "
		    "(goal <= +5 us): %s", d, d <= 5 ? "met" : "missed");
		if (m_on[M_BARE]) {
			printf("; %+.1f us over a bare queue loop (the queue "
			    "itself: %+.1f us)", p50[M_PASS] - p50[M_BARE],
			    p50[M_BARE] - p50[M_NONE]);
		}
		printf("\n");
	}
	if (m_on[M_NONE] && m_on[M_SENDD]) {
		printf("NOTE|sendd (RSA %d, both ends sign and verify): %+.1f "
		    "us p50 over no daemon\n", opt_bits,
		    p50[M_SENDD] - p50[M_NONE]);
	}
out:
	cleanup();
	return failed;
}
