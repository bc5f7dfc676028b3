/*
 * What the raw IP benchmarks share: the two namespaces bench/netns.sh
 * makes, the traffic generator and the sink in side b, thread CPU time
 * and the library's counters.
 *
 * The programs run inside side a (netns.sh starts them there).  A thread
 * that must live in side b joins it with setns(2), which moves that
 * thread only; the sockets it opens stay in b whatever it does next.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _XK_BENCH_RAW_H_
#define _XK_BENCH_RAW_H_

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include <xkpi.h>

#define RAW_PROTO	253	/* RFC 3692: for experiments */
#define RAW_ADDR_A	"10.203.0.1"	/* side a: the library, receivers */
#define RAW_ADDR_B	"10.203.0.2"	/* side b: the generator, the sink */
#define RAW_GEN_BATCH	32		/* sendmmsg batch of the generator */
#define RAW_SINK_BATCH	64
#define RAW_MAXPAY	1472		/* payload that fits a 1500 MTU */
#define RAW_DRAIN_NS	(200 * 1000000ULL)

/* Where things are, from netns.sh's environment (or the options). */
struct raw_env {
	const char	*re_ifa;	/* the veth end in a */
	const char	*re_ifb;	/* the veth end in b */
	const char	*re_nsb;	/* a path naming namespace b */
};

static inline int
raw_env_get(struct raw_env *re, const char *prog)
{
	re->re_ifa = getenv("XKB_IF_A");
	re->re_ifb = getenv("XKB_IF_B");
	re->re_nsb = getenv("XKB_NS_B");
	if (re->re_ifa == NULL || re->re_ifb == NULL || re->re_nsb == NULL) {
		fprintf(stderr, "%s: XKB_IF_A, XKB_IF_B and XKB_NS_B unset: "
		    "run it through bench/netns.sh\n", prog);
		return -1;
	}
	return 0;
}

/*
 * Sets up @n messages for recvmmsg(2) or sendmmsg(2).  mmsg_bufs(): each
 * its own @size bytes at @bufs + i * @size, through @iovs[i].
 * mmsg_same(): all the same bytes, @iov.
 */
static inline void
mmsg_bufs(struct mmsghdr *msgs, struct iovec *iovs, char *bufs, size_t size,
    int n)
{
	memset(msgs, 0, (size_t)n * sizeof(*msgs));
	for (int i = 0; i < n; i++) {
		iovs[i].iov_base = bufs + (size_t)i * size;
		iovs[i].iov_len = size;
		msgs[i].msg_hdr.msg_iov = &iovs[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
}

static inline void
mmsg_same(struct mmsghdr *msgs, struct iovec *iov, int n)
{
	memset(msgs, 0, (size_t)n * sizeof(*msgs));
	for (int i = 0; i < n; i++) {
		msgs[i].msg_hdr.msg_iov = iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
}

static inline void
sleep_ns(uint64_t ns)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ns / NSEC);
	ts.tv_nsec = (long)(ns % NSEC);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
		continue;
	}
}

/* Moves the calling thread into the network namespace named by @path. */
static inline int
join_netns(const char *path)
{
	int fd, error = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		return errno;
	}
	if (setns(fd, CLONE_NEWNET) != 0) {
		error = errno;
	}
	close(fd);
	return error;
}

/* CPU time used so far by a thread, in ns; 0 when unknown. */
static inline uint64_t
thread_cpu_ns(pthread_t t)
{
	struct timespec ts;
	clockid_t cid;

	if (pthread_getcpuclockid(t, &cid) != 0 ||
	    clock_gettime(cid, &ts) != 0) {
		return 0;
	}
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

static inline double
per_sec(uint64_t n, uint64_t ns)
{
	return ns == 0 ? 0 : (double)n * (double)NSEC / (double)ns;
}

/*
 * The generator: a plain raw socket in b sending protocol RAW_PROTO
 * datagrams of one payload size to side a, with sendmmsg, as fast as the
 * kernel takes them, until told to stop or its deadline passes.
 */
/*
 * Sources of the generator (g_nsrc > 1): 10.203.0.RAW_SRC_FIRST and
 * on, which netns.sh gives side b, so that the library's loops
 * (XKPI_THREADS) get several address pairs to spread.
 */
#define RAW_SRC_FIRST	11
#define RAW_SRC_MAX	8

struct raw_gen {
	const char		*g_nsb;
	int			 g_cpu;
	int			 g_nsrc;	/* 0, 1: RAW_ADDR_B only */
	size_t			 g_size;
	uint64_t		 g_deadline;
	atomic_int		 g_stop;
	atomic_int		 g_ready;
	atomic_uint_fast64_t	 g_sent;
	int			 g_err;
};

static inline void *
raw_gen_main(void *arg)
{
	struct raw_gen *g = arg;
	struct mmsghdr msgs[RAW_GEN_BATCH];
	struct sockaddr_in dst, src;
	struct iovec iov;
	static char payload[RAW_MAXPAY];
	uint64_t iter;
	int fds[RAW_SRC_MAX], nfd = 0, fd, n;

	if (pin_self(g->g_cpu) != 0) {
		g->g_err = EINVAL;
		goto out;
	}
	if ((g->g_err = join_netns(g->g_nsb)) != 0) {
		goto out;
	}
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	inet_pton(AF_INET, RAW_ADDR_A, &dst.sin_addr);
	/* One socket per source address, each used in turn. */
	for (nfd = 0; nfd < (g->g_nsrc > 1 ? g->g_nsrc : 1); nfd++) {
		if ((fds[nfd] = socket(AF_INET, SOCK_RAW, RAW_PROTO)) < 0) {
			g->g_err = errno;
			goto out;
		}
		/* Nothing comes back that it should read. */
		(void)shutdown(fds[nfd], SHUT_RD);
		memset(&src, 0, sizeof(src));
		src.sin_family = AF_INET;
		src.sin_addr.s_addr = htonl(0x0acb0000 | (RAW_SRC_FIRST +
		    (uint32_t)nfd));
		if ((g->g_nsrc > 1 && bind(fds[nfd], (struct sockaddr *)&src,
		    sizeof(src)) != 0) || connect(fds[nfd],
		    (struct sockaddr *)&dst, sizeof(dst)) != 0) {
			g->g_err = errno;
			close(fds[nfd]);
			goto out;
		}
	}
	memset(payload, 'x', sizeof(payload));
	iov.iov_base = payload;
	iov.iov_len = g->g_size;
	mmsg_same(msgs, &iov, RAW_GEN_BATCH);
	atomic_store(&g->g_ready, 1);
	for (iter = 0; iter < UINT64_C(1) << 32; iter++) {
		if (atomic_load_explicit(&g->g_stop, memory_order_relaxed)) {
			break;
		}
		if ((iter & 15) == 0 && now_ns() > g->g_deadline) {
			break;
		}
		fd = fds[iter % (uint64_t)nfd];
		n = sendmmsg(fd, msgs, RAW_GEN_BATCH, 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == ENOBUFS || errno == ECONNREFUSED ||
			    errno == EHOSTUNREACH) {
				continue;
			}
			g->g_err = errno;
			break;
		}
		atomic_fetch_add_explicit(&g->g_sent, (uint64_t)n,
		    memory_order_relaxed);
	}
out:
	atomic_store(&g->g_ready, 1);
	while (nfd > 0) {
		close(fds[--nfd]);
	}
	return NULL;
}

/*
 * The sink: a plain raw socket in b counting the RAW_PROTO datagrams
 * that reach it (what a sender in a got through), until told to stop.
 */
struct raw_sink {
	const char		*k_nsb;
	int			 k_cpu;
	int			 k_rcvbuf;
	atomic_int		 k_stop;
	atomic_int		 k_ready;
	atomic_uint_fast64_t	 k_count;
	int			 k_err;
};

static inline void *
raw_sink_main(void *arg)
{
	struct raw_sink *k = arg;
	static char bufs[RAW_SINK_BATCH][2048];
	struct mmsghdr msgs[RAW_SINK_BATCH];
	struct iovec iovs[RAW_SINK_BATCH];
	struct pollfd pfd;
	int fd = -1, r;

	if (pin_self(k->k_cpu) != 0) {
		k->k_err = EINVAL;
		goto out;
	}
	if ((k->k_err = join_netns(k->k_nsb)) != 0) {
		goto out;
	}
	if ((fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK,
	    RAW_PROTO)) < 0) {
		k->k_err = errno;
		goto out;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &k->k_rcvbuf,
	    sizeof(k->k_rcvbuf));
	mmsg_bufs(msgs, iovs, bufs[0], sizeof(bufs[0]), RAW_SINK_BATCH);
	atomic_store(&k->k_ready, 1);
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (!atomic_load_explicit(&k->k_stop, memory_order_relaxed)) {
		if (poll(&pfd, 1, 20) <= 0) {
			continue;
		}
		while ((r = recvmmsg(fd, msgs, RAW_SINK_BATCH, MSG_DONTWAIT,
		    NULL)) > 0) {
			atomic_fetch_add_explicit(&k->k_count, (uint64_t)r,
			    memory_order_relaxed);
		}
	}
out:
	atomic_store(&k->k_ready, 1);
	if (fd >= 0) {
		close(fd);
	}
	return NULL;
}

/* Waits (at most a second) for a thread to say it is ready. */
static inline void
wait_ready(atomic_int *ready)
{
	for (int i = 0; i < 1000 && !atomic_load(ready); i++) {
		sleep_ns(1000000ULL);
	}
}


/*
 * Starts generator @g (its g_nsb, g_cpu, g_nsrc and g_size set) on
 * thread *@gt, to run through @warmup_ms of warm-up, a window of
 * @window_ns and 3 s to spare, and returns once the warm-up is over.
 * 0, or -1 when no thread could be made.
 */
static inline int
raw_gen_start(struct raw_gen *g, pthread_t *gt, int warmup_ms,
    uint64_t window_ns)
{
	uint64_t warm = (uint64_t)warmup_ms * 1000000ULL;

	g->g_deadline = now_ns() + warm + window_ns + 3 * NSEC;
	if (pthread_create(gt, NULL, raw_gen_main, g) != 0) {
		return -1;
	}
	wait_ready(&g->g_ready);
	sleep_ns(warm);
	return 0;
}
/* Waits until @count stops moving for RAW_DRAIN_NS, at most 3 s. */
static inline void
wait_quiet(atomic_uint_fast64_t *count)
{
	uint64_t start = now_ns(), last_change = start, last, cur;

	last = atomic_load(count);
	while (now_ns() - start < 3 * NSEC) {
		sleep_ns(10 * 1000000ULL);
		cur = atomic_load(count);
		if (cur != last) {
			last = cur;
			last_change = now_ns();
		} else if (now_ns() - last_change >= RAW_DRAIN_NS) {
			break;
		}
	}
}

/*
 * Starts the library on @ifname with @backend and, for the linux
 * backend, the receive method @linux_rx (XKPI_LINUX_RX; NULL: unset, the
 * default).  0, or xkpi_init()'s error (ENOTSUP: not in this build).
 */
static inline errno_t
raw_xk_init(const char *ifname, const char *backend, const char *linux_rx)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.ifaces = ifname);

	cfg.backend = backend;
	if (linux_rx != NULL) {
		setenv("XKPI_LINUX_RX", linux_rx, 1);
	} else {
		unsetenv("XKPI_LINUX_RX");
	}
	return xkpi_init(&cfg);
}

/* The library's counters a run reports, summed over interfaces. */
struct raw_xkstats {
	uint64_t	ip_in;
	uint64_t	delivered;
	uint64_t	rawfull;	/* socket buffer full */
	uint64_t	kdrops;		/* the backend's kernel socket full */
	uint64_t	nomem;
	uint64_t	mbuf_drops;
	uint64_t	out;
	uint64_t	oerrors;
	uint64_t	txfull;
	uint64_t	to_ring;	/* linux auto: switches to the ring */
	uint64_t	to_direct;	/* and back */
};

static inline void
raw_xkstat_fn(const char *name, uint64_t v, void *ctx)
{
	struct raw_xkstats *s = ctx;
	size_t len = strlen(name);

#define ENDS(suf) (len >= sizeof(suf) - 1 && \
	strcmp(name + len - (sizeof(suf) - 1), suf) == 0)
	if (strcmp(name, "ip.in") == 0) {
		s->ip_in += v;
	} else if (strcmp(name, "ip.delivered") == 0) {
		s->delivered += v;
	} else if (strcmp(name, "ip.rawfull") == 0) {
		s->rawfull += v;
	} else if (strcmp(name, "ip.out") == 0) {
		s->out += v;
	} else if (strcmp(name, "ip.oerrors") == 0) {
		s->oerrors += v;
	} else if (strcmp(name, "mbuf.drops") == 0) {
		s->mbuf_drops += v;
	} else if (strncmp(name, "be.", 3) == 0 && (ENDS(".kdrops") ||
	    ENDS(".kernel_drop"))) {
		s->kdrops += v;
	} else if (strncmp(name, "be.", 3) == 0 && ENDS(".nomem")) {
		s->nomem += v;
	} else if (strncmp(name, "be.", 3) == 0 && ENDS("txfull")) {
		s->txfull += v;
	} else if (strncmp(name, "be.", 3) == 0 && ENDS(".to_ring")) {
		s->to_ring += v;
	} else if (strncmp(name, "be.", 3) == 0 && ENDS(".to_direct")) {
		s->to_direct += v;
	}
#undef ENDS
}

static inline void
raw_xkstats_get(struct raw_xkstats *s)
{
	memset(s, 0, sizeof(*s));
	(void)xkpi_stats(raw_xkstat_fn, s);
}

/* The MAC address of @ifname in the calling thread's namespace. */
static inline int
if_mac(const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr;
	int fd, error = 0;

	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0) {
		return errno;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) {
		error = errno;
	} else {
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	}
	close(fd);
	return error;
}

#endif /* _XK_BENCH_RAW_H_ */
