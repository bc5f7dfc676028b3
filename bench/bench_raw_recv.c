/*
 * xkpi benchmark: raw IP receive between two network namespaces.  The
 * library's raw socket (upcall + sock_receivembuf until EWOULDBLOCK) over
 * the linux backend (XKPI_LINUX_RX unset, i.e. auto, =mmsg and =ring)
 * and over pcap,
 * against four bare consumers in the same side: AF_PACKET TPACKET_V3 and
 * TPACKET_V2 rings, a raw socket drained with recvmmsg, and a libpcap
 * handle in the pcap backend's mode drained with pcap_dispatch.  All of
 * them in one run, alternating, fed by the same generator in side b.
 *
 * libpcap is loaded with dlopen(3) for the bare pcap consumer, so the
 * program builds and runs (with that row n/a) without it.
 *
 *	netns.sh bench_raw_recv [-d seconds] [-r runs] [-w warmup_ms]
 *	    [-b rcvbuf] [-s size]... [-m method]... [-P]
 *
 * Prints ROW| and NOTE| lines for bench/run.sh after its own report.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench_raw.h"
#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>
#include <xkpi.h>

#define MAXSIZES	4
#define RX_BATCH	32
#define RING_BLOCK	(1U << 18)	/* as the linux backend's ring */
#define RING_BLOCKS	16
#define RING_TOV_MS	1
#define RING2_FRAME	2048		/* TPACKET_V2: 4 MiB of 2 KiB frames */
#define RING2_FRAMES	2048
#define PCAP_BATCH	64		/* as the pcap backend's */
#define UPCALL_MAX	(1U << 22)

enum method {
	M_RAW, M_RING, M_RING2, M_PCAP,
	M_XK_AUTO, M_XK_MMSG, M_XK_RING, M_XK_PCAP, M_N
};
#define M_NBARE	4

static const char *m_name[M_N] = {
	"raw recvmmsg", "packet ring v3", "packet ring v2", "pcap_dispatch",
	"linux auto", "linux mmsg", "linux ring", "pcap"
};
static const char *m_opt[M_N] = {
	"raw", "ring", "ring2", "bpcap", "auto", "mmsg", "xring", "pcap"
};
/* XKPI_LINUX_RX of the linux methods (auto: unset, the default). */
static const char *m_rx[M_N] = {
	[M_XK_MMSG] = "mmsg", [M_XK_RING] = "ring"
};

static double	opt_dur = 2.0;
static int	opt_runs = 3;
static int	opt_warmup_ms = 300;
static int	opt_rcvbuf = 4 << 20;
static int	opt_nopin;
static size_t	opt_sizes[MAXSIZES];
static int	opt_nsizes;
static bool	m_on[M_N];
static const char *m_na[M_N];	/* why a method could not run */

static int	rx_cpu = -1;
static int	gen_cpu = -1;
static struct raw_env env;

/* libpcap, when it can be loaded. */
static struct {
	__typeof__(pcap_create)		*create;
	__typeof__(pcap_set_snaplen)	*set_snaplen;
	__typeof__(pcap_set_promisc)	*set_promisc;
	__typeof__(pcap_set_immediate_mode) *set_immediate_mode;
	__typeof__(pcap_set_buffer_size) *set_buffer_size;
	__typeof__(pcap_set_tstamp_precision) *set_tstamp_precision;
	__typeof__(pcap_activate)	*activate;
	__typeof__(pcap_setdirection)	*setdirection;
	__typeof__(pcap_setnonblock)	*setnonblock;
	__typeof__(pcap_get_selectable_fd) *get_selectable_fd;
	__typeof__(pcap_dispatch)	*dispatch;
	__typeof__(pcap_geterr)		*geterr;
	__typeof__(pcap_close)		*close;
} pc;

static int
pcap_load(void)
{
	const char *names[] = { "libpcap.so.1", "libpcap.so.0.8",
	    "libpcap.so" };
	void *h = NULL;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && !h; i++) {
		h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	}
	if (h == NULL) {
		return -1;
	}
#define SYM(f) ((*(void **)&pc.f = dlsym(h, "pcap_" #f)) == NULL)
	if (SYM(create) || SYM(set_snaplen) || SYM(set_promisc) ||
	    SYM(set_immediate_mode) || SYM(set_buffer_size) ||
	    SYM(set_tstamp_precision) || SYM(activate) || SYM(setdirection) ||
	    SYM(setnonblock) || SYM(get_selectable_fd) || SYM(dispatch) ||
	    SYM(geterr) || SYM(close)) {
		return -1;
	}
#undef SYM
	return 0;
}

/* The consumer, bare or library; one per measurement. */
struct rx {
	enum method		 r_method;
	size_t			 r_len;		/* IP header + payload */
	int			 r_fd;
	uint8_t			*r_ring;
	size_t			 r_ringlen;
	pcap_t			*r_pcap;
	atomic_int		 r_stop;
	atomic_uint_fast64_t	 r_count;
	uint64_t		 r_badlen;
	uint64_t		 r_wakeups;
	uint64_t		 r_empty;
	int			 r_err;
	pthread_t		 r_thread;
	atomic_int		 r_have_thread;
};

struct result {
	double		rx_pps;
	double		gen_pps;
	double		ns_pkt;		/* consumer thread CPU per packet */
	uint64_t	total;		/* received over the whole run */
	uint64_t	wakeups;
	uint64_t	drops;		/* kernel (ring) or library drops */
	struct raw_xkstats xs;
};

static void *
raw_main(void *arg)
{
	struct rx *r = arg;
	static char bufs[RX_BATCH][2048];
	struct mmsghdr msgs[RX_BATCH];
	struct iovec iovs[RX_BATCH];
	struct pollfd pfd = { .fd = r->r_fd, .events = POLLIN };
	int i, n;

	mmsg_bufs(msgs, iovs, bufs[0], sizeof(bufs[0]), RX_BATCH);
	while (!atomic_load_explicit(&r->r_stop, memory_order_relaxed)) {
		if ((n = poll(&pfd, 1, 50)) <= 0) {
			if (n < 0 && errno != EINTR) {
				r->r_err = errno;
				break;
			}
			continue;
		}
		r->r_wakeups++;
		/* Until EAGAIN, the rule the upcall follows. */
		while ((n = recvmmsg(r->r_fd, msgs, RX_BATCH, MSG_DONTWAIT,
		    NULL)) > 0) {
			for (i = 0; i < n; i++) {
				if (msgs[i].msg_len != r->r_len) {
					r->r_badlen++;
				}
			}
			atomic_fetch_add_explicit(&r->r_count, (uint64_t)n,
			    memory_order_relaxed);
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			r->r_err = errno;
			break;
		}
	}
	return NULL;
}

/* Poll, then walk every block the kernel has handed over. */
static void *
ring_main(void *arg)
{
	struct rx *r = arg;
	struct pollfd pfd = { .fd = r->r_fd, .events = POLLIN | POLLERR };
	unsigned int cur = 0;

	while (!atomic_load_explicit(&r->r_stop, memory_order_relaxed)) {
		struct tpacket_block_desc *bd = (void *)(r->r_ring +
		    (size_t)cur * RING_BLOCK);
		struct tpacket3_hdr *h;
		uint64_t local = 0;

		if ((__atomic_load_n(&bd->hdr.bh1.block_status,
		    __ATOMIC_ACQUIRE) & TP_STATUS_USER) == 0) {
			if (poll(&pfd, 1, 50) < 0 && errno != EINTR) {
				r->r_err = errno;
				break;
			}
			r->r_wakeups++;
			continue;
		}
		h = (void *)((uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt);
		for (uint32_t i = 0; i < bd->hdr.bh1.num_pkts; i++) {
			const uint8_t *ip = (uint8_t *)h + h->tp_net;

			if (ip[9] == RAW_PROTO) {
				if (h->tp_snaplen != r->r_len) {
					r->r_badlen++;
				}
				local++;
			}
			h = (void *)((uint8_t *)h + h->tp_next_offset);
		}
		__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL,
		    __ATOMIC_RELEASE);
		cur = (cur + 1) % RING_BLOCKS;
		atomic_fetch_add_explicit(&r->r_count, local,
		    memory_order_relaxed);
	}
	return NULL;
}

static int
ring_open(struct rx *r)
{
	struct tpacket_req3 req;
	struct sockaddr_ll sll;
	int v = TPACKET_V3;

	r->r_fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
	if (r->r_fd < 0) {
		return errno;
	}
	if (setsockopt(r->r_fd, SOL_PACKET, PACKET_VERSION, &v,
	    sizeof(v)) != 0) {
		return errno;
	}
	memset(&req, 0, sizeof(req));
	req.tp_block_size = RING_BLOCK;
	req.tp_block_nr = RING_BLOCKS;
	req.tp_frame_size = 2048;
	req.tp_frame_nr = RING_BLOCK / 2048 * RING_BLOCKS;
	req.tp_retire_blk_tov = RING_TOV_MS;
	if (setsockopt(r->r_fd, SOL_PACKET, PACKET_RX_RING, &req,
	    sizeof(req)) != 0) {
		return errno;
	}
	r->r_ringlen = (size_t)RING_BLOCK * RING_BLOCKS;
	r->r_ring = mmap(NULL, r->r_ringlen, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_POPULATE, r->r_fd, 0);
	if (r->r_ring == MAP_FAILED) {
		r->r_ring = NULL;
		return errno;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_ifindex = (int)if_nametoindex(env.re_ifa);
	if (bind(r->r_fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		return errno;
	}
	return 0;
}

/* TPACKET_V2: poll when the next frame is the kernel's, else read it. */
static void *
ring2_main(void *arg)
{
	struct rx *r = arg;
	struct pollfd pfd = { .fd = r->r_fd, .events = POLLIN | POLLERR };
	unsigned int cur = 0;
	uint64_t local = 0;

	while (!atomic_load_explicit(&r->r_stop, memory_order_relaxed)) {
		struct tpacket2_hdr *h = (void *)(r->r_ring +
		    (size_t)cur * RING2_FRAME);
		const uint8_t *ip;

		if ((__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) &
		    TP_STATUS_USER) == 0) {
			atomic_fetch_add_explicit(&r->r_count, local,
			    memory_order_relaxed);
			local = 0;
			if (poll(&pfd, 1, 50) < 0 && errno != EINTR) {
				r->r_err = errno;
				break;
			}
			r->r_wakeups++;
			continue;
		}
		ip = (uint8_t *)h + h->tp_net;
		if (ip[9] == RAW_PROTO) {
			if (h->tp_snaplen != r->r_len) {
				r->r_badlen++;
			}
			local++;
		}
		__atomic_store_n(&h->tp_status, TP_STATUS_KERNEL,
		    __ATOMIC_RELEASE);
		cur = (cur + 1) % RING2_FRAMES;
		if (local == RX_BATCH) {
			atomic_fetch_add_explicit(&r->r_count, local,
			    memory_order_relaxed);
			local = 0;
		}
	}
	return NULL;
}

static int
ring2_open(struct rx *r)
{
	struct tpacket_req req;
	struct sockaddr_ll sll;
	int v = TPACKET_V2;

	r->r_fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
	if (r->r_fd < 0) {
		return errno;
	}
	if (setsockopt(r->r_fd, SOL_PACKET, PACKET_VERSION, &v,
	    sizeof(v)) != 0) {
		return errno;
	}
	memset(&req, 0, sizeof(req));
	req.tp_block_size = 1U << 16;
	req.tp_frame_size = RING2_FRAME;
	req.tp_frame_nr = RING2_FRAMES;
	req.tp_block_nr = RING2_FRAMES * RING2_FRAME / req.tp_block_size;
	if (setsockopt(r->r_fd, SOL_PACKET, PACKET_RX_RING, &req,
	    sizeof(req)) != 0) {
		return errno;
	}
	r->r_ringlen = (size_t)RING2_FRAMES * RING2_FRAME;
	r->r_ring = mmap(NULL, r->r_ringlen, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_POPULATE, r->r_fd, 0);
	if (r->r_ring == MAP_FAILED) {
		r->r_ring = NULL;
		return errno;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_ifindex = (int)if_nametoindex(env.re_ifa);
	if (bind(r->r_fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		return errno;
	}
	return 0;
}

static void
pcap_frame(u_char *arg, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct rx *r = (struct rx *)(void *)arg;

	if (h->caplen > 14 + 9 && bytes[12] == 0x08 && bytes[13] == 0x00 &&
	    bytes[14 + 9] == RAW_PROTO) {
		if (h->caplen - 14 != r->r_len) {
			r->r_badlen++;
		}
		atomic_fetch_add_explicit(&r->r_count, 1,
		    memory_order_relaxed);
	}
}

/* The pcap backend's loop, bare: poll, then pcap_dispatch until short. */
static void *
pcap_main(void *arg)
{
	struct rx *r = arg;
	struct pollfd pfd = { .fd = r->r_fd, .events = POLLIN };
	int n;

	while (!atomic_load_explicit(&r->r_stop, memory_order_relaxed)) {
		if ((n = poll(&pfd, 1, 50)) <= 0) {
			if (n < 0 && errno != EINTR) {
				r->r_err = errno;
				break;
			}
			continue;
		}
		r->r_wakeups++;
		do {
			n = pc.dispatch(r->r_pcap, PCAP_BATCH, pcap_frame,
			    (u_char *)r);
		} while (n == PCAP_BATCH);
		if (n < 0) {
			r->r_err = EIO;
			break;
		}
	}
	return NULL;
}

/* A handle as the pcap backend opens one (backends/pcap.c). */
static int
bare_pcap_open(struct rx *r)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *p;

	if ((p = pc.create(env.re_ifa, ebuf)) == NULL) {
		fprintf(stderr, "bench_raw_recv: pcap_create: %s\n", ebuf);
		return EIO;
	}
	r->r_pcap = p;
	/* The MTU (1500), a link header and a VLAN tag, as the backend. */
	(void)pc.set_snaplen(p, 1500 + 14 + 4);
	(void)pc.set_promisc(p, 0);
	(void)pc.set_immediate_mode(p, 1);
	(void)pc.set_buffer_size(p, 4 * 1024 * 1024);
	(void)pc.set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
	if (pc.activate(p) < 0) {
		fprintf(stderr, "bench_raw_recv: pcap_activate: %s\n",
		    pc.geterr(p));
		return EIO;
	}
	(void)pc.setdirection(p, PCAP_D_IN);
	if (pc.setnonblock(p, 1, ebuf) != 0 ||
	    (r->r_fd = pc.get_selectable_fd(p)) < 0) {
		return EIO;
	}
	return 0;
}

static void
xk_upcall(socket_t so, void *cookie, int waitf)
{
	struct rx *r = cookie;
	uint64_t local = 0;
	unsigned int i;
	size_t len;
	errno_t error;
	mbuf_t m;

	(void)waitf;
	if (!atomic_load_explicit(&r->r_have_thread, memory_order_relaxed)) {
		r->r_thread = pthread_self();
		atomic_store(&r->r_have_thread, 1);
	}
	r->r_wakeups++;
	for (i = 0; i < UPCALL_MAX; i++) {
		m = NULL;
		len = 1000000000;
		error = sock_receivembuf(so, NULL, &m, MSG_DONTWAIT, &len);
		if (error != 0) {
			if (error != EWOULDBLOCK) {
				r->r_err = error;
			}
			if (i == 0) {
				r->r_empty++;
			}
			break;
		}
		if (len != r->r_len) {
			r->r_badlen++;
		}
		mbuf_freem(m);
		if (++local == RX_BATCH) {
			atomic_fetch_add_explicit(&r->r_count, local,
			    memory_order_relaxed);
			local = 0;
		}
	}
	atomic_fetch_add_explicit(&r->r_count, local, memory_order_relaxed);
}

/* Starts the library for @m; ENOTSUP when this build lacks the backend. */
static errno_t
xk_start(enum method m, struct rx *r, socket_t *sop)
{
	errno_t error;

	if ((error = raw_xk_init(env.re_ifa, m == M_XK_PCAP ? "pcap" : "linux",
	    m_rx[m])) != 0) {
		return error;
	}
	error = sock_socket(PF_INET, SOCK_RAW, RAW_PROTO, xk_upcall, r, sop);
	if (error != 0) {
		fprintf(stderr, "bench_raw_recv: sock_socket: %s\n",
		    strerror(error));
		return error;
	}
	error = sock_setsockopt(*sop, SOL_SOCKET, SO_RCVBUF, &opt_rcvbuf,
	    sizeof(opt_rcvbuf));
	if (error != 0) {
		fprintf(stderr, "bench_raw_recv: SO_RCVBUF %d: %s\n",
		    opt_rcvbuf, strerror(error));
	}
	return error;
}

/* 0, -1 on failure, 1 when the method is not available here. */
static int
measure(enum method m, size_t size, struct result *res)
{
	struct raw_xkstats xs0, xs1;
	struct raw_gen g;
	struct rx r;
	pthread_t gt;
	uint64_t t0, t1, c0, c1, s0, s1, u0 = 0, u1 = 0, window;
	socket_t so = NULL;
	int rc = -1, started = 0, gen_started = 0, xk = m >= M_NBARE;
	errno_t error;

	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	memset(&g, 0, sizeof(g));
	memset(&xs0, 0, sizeof(xs0));
	memset(&xs1, 0, sizeof(xs1));
	r.r_method = m;
	r.r_len = sizeof(struct ip) + size;
	r.r_fd = -1;
	window = (uint64_t)(opt_dur * (double)NSEC);

	if (m == M_RAW) {
		r.r_fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, RAW_PROTO);
		if (r.r_fd < 0 || setsockopt(r.r_fd, SOL_SOCKET,
		    SO_RCVBUFFORCE, &opt_rcvbuf, sizeof(opt_rcvbuf)) != 0) {
			perror("bench_raw_recv: raw socket");
			goto out;
		}
	} else if (m == M_RING || m == M_RING2) {
		if ((error = (m == M_RING ? ring_open : ring2_open)(&r)) !=
		    0) {
			fprintf(stderr, "bench_raw_recv: %s: %s\n",
			    m_name[m], strerror(error));
			goto out;
		}
	} else if (m == M_PCAP) {
		if (bare_pcap_open(&r) != 0) {
			goto out;
		}
	} else if ((error = xk_start(m, &r, &so)) != 0) {
		if (error == ENOTSUP) {
			rc = 1;
			m_na[m] = "n/a (not built)";
		} else {
			fprintf(stderr, "bench_raw_recv: %s: %s\n",
			    m_name[m], strerror(error));
		}
		goto out;
	}
	if (!xk) {
		/* Created here: it inherits the receiver CPU. */
		if (pthread_create(&r.r_thread, NULL, m == M_RAW ? raw_main :
		    m == M_RING ? ring_main : m == M_RING2 ? ring2_main :
		    pcap_main, &r) != 0) {
			goto out;
		}
		started = 1;
	}

	g.g_nsb = env.re_nsb;
	g.g_cpu = gen_cpu;
	g.g_size = size;
	if (raw_gen_start(&g, &gt, opt_warmup_ms, window) != 0) {
		goto stop;
	}
	gen_started = 1;

	if (xk) {
		raw_xkstats_get(&xs0);
	}
	if (started || atomic_load(&r.r_have_thread)) {
		u0 = thread_cpu_ns(r.r_thread);
	}
	t0 = now_ns();
	c0 = atomic_load(&r.r_count);
	s0 = atomic_load(&g.g_sent);
	sleep_ns(window);
	t1 = now_ns();
	c1 = atomic_load(&r.r_count);
	s1 = atomic_load(&g.g_sent);
	if (started || atomic_load(&r.r_have_thread)) {
		u1 = thread_cpu_ns(r.r_thread);
	}
	atomic_store(&g.g_stop, 1);
	pthread_join(gt, NULL);
	gen_started = 0;
	wait_quiet(&r.r_count);
	if (xk) {
		raw_xkstats_get(&xs1);
	}

	res->rx_pps = per_sec(c1 - c0, t1 - t0);
	res->gen_pps = per_sec(s1 - s0, t1 - t0);
	if (u0 != 0 && u1 > u0 && c1 > c0) {
		res->ns_pkt = (double)(u1 - u0) / (double)(c1 - c0);
	}
	if (g.g_err != 0) {
		fprintf(stderr, "bench_raw_recv: generator: %s\n",
		    strerror(g.g_err));
		goto stop;
	}
	if (s1 == s0 || c1 == c0) {
		fprintf(stderr, "bench_raw_recv: %s: %" PRIu64 " sent, %"
		    PRIu64 " received in the window\n", m_name[m], s1 - s0,
		    c1 - c0);
		goto stop;
	}
	rc = 0;
stop:
	if (gen_started) {
		atomic_store(&g.g_stop, 1);
		pthread_join(gt, NULL);
	}
	if (started) {
		atomic_store(&r.r_stop, 1);
		pthread_join(r.r_thread, NULL);
	}
	if ((m == M_RING || m == M_RING2) && r.r_fd >= 0) {
		struct tpacket_stats_v3 st;
		socklen_t len = sizeof(st);

		if (getsockopt(r.r_fd, SOL_PACKET, PACKET_STATISTICS, &st,
		    &len) == 0) {
			res->drops = st.tp_drops;
		}
	}
	if (xk) {
		res->xs.ip_in = xs1.ip_in - xs0.ip_in;
		res->xs.delivered = xs1.delivered - xs0.delivered;
		res->xs.rawfull = xs1.rawfull - xs0.rawfull;
		res->xs.kdrops = xs1.kdrops - xs0.kdrops;
		res->xs.nomem = xs1.nomem - xs0.nomem;
		res->xs.to_ring = xs1.to_ring - xs0.to_ring;
		res->xs.to_direct = xs1.to_direct - xs0.to_direct;
		res->drops = res->xs.rawfull + res->xs.kdrops + res->xs.nomem;
	}
out:
	if (so != NULL) {
		sock_close(so);
	}
	if (xk) {
		xkpi_shutdown();
	}
	res->total = atomic_load(&r.r_count);
	res->wakeups = r.r_wakeups;
	if (r.r_err != 0) {
		fprintf(stderr, "bench_raw_recv: %s: receive: %s\n",
		    m_name[m], strerror(r.r_err));
		rc = -1;
	}
	if (r.r_badlen != 0) {
		fprintf(stderr, "bench_raw_recv: %s: %" PRIu64 " packets of "
		    "the wrong length\n", m_name[m], r.r_badlen);
		rc = -1;
	}
	if (r.r_ring != NULL) {
		munmap(r.r_ring, r.r_ringlen);
	}
	if (r.r_pcap != NULL) {
		pc.close(r.r_pcap);
	} else if (r.r_fd >= 0) {
		close(r.r_fd);
	}
	return rc;
}

static void
print_run(enum method m, size_t size, int run, const struct result *r)
{
	printf("  %4zu B %-14s run %d: rx %7.1f kpps  gen %7.1f kpps "
	    "(%5.1f%%)  consumer %5.0f ns/pkt  %s %" PRIu64,
	    size, m_name[m], run + 1, r->rx_pps / 1000, r->gen_pps / 1000,
	    r->gen_pps > 0 ? 100 * r->rx_pps / r->gen_pps : 0, r->ns_pkt,
	    m >= M_NBARE ? "upcalls" : "wakeups", r->wakeups);
	if (m == M_RING || m == M_RING2) {
		printf("  ring drops %" PRIu64, r->drops);
	} else if (m >= M_NBARE) {
		printf("\n         library: ip.in %" PRIu64 " delivered %"
		    PRIu64 " rawfull %" PRIu64 " kdrops %" PRIu64 " nomem %"
		    PRIu64, r->xs.ip_in, r->xs.delivered, r->xs.rawfull,
		    r->xs.kdrops, r->xs.nomem);
		if (m == M_XK_AUTO) {
			printf(" to_ring %" PRIu64 " to_direct %" PRIu64,
			    r->xs.to_ring, r->xs.to_direct);
		}
	}
	printf("\n");
	fflush(stdout);
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_raw_recv [-d seconds] [-r runs] "
	    "[-w warmup_ms] [-b rcvbuf] [-s size]... "
	    "[-m raw|ring|ring2|bpcap|auto|mmsg|xring|pcap]... [-P]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static struct result res[MAXSIZES][M_N][MAXRUNS];
	double v[MAXRUNS], med[M_N][3];
	struct utsname un;
	char name[96], bs[32], xs[32], rs[16];
	long sz;
	int ch, si, run, k, b, x, q, best, failed = 0, any = 0, rc;

	while ((ch = getopt(argc, argv, "d:r:w:b:s:m:P")) != -1) {
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
			if (opt_nsizes == MAXSIZES || sz < 1 ||
			    sz > RAW_MAXPAY - 8) {
				usage();
			}
			opt_sizes[opt_nsizes++] = (size_t)sz;
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
	if (opt_nsizes == 0) {
		opt_sizes[opt_nsizes++] = 64;
		opt_sizes[opt_nsizes++] = 1024;
	}
	if (raw_env_get(&env, "bench_raw_recv") != 0) {
		return 1;
	}
	if (pcap_load() != 0) {
		m_na[M_PCAP] = "n/a (no libpcap)";
	}
	choose_two_cpus(opt_nopin, &rx_cpu, &gen_cpu);
	/* Before the library starts: its loop thread inherits the CPU. */
	if (pin_self(rx_cpu) != 0) {
		fprintf(stderr, "bench_raw_recv: cannot pin to CPU %d\n",
		    rx_cpu);
		return 1;
	}
	uname(&un);
	printf("bench_raw_recv: %ld CPUs, Linux %s; %s (10.203.0.1) <- "
	    "generator in b; window %.2f s, warm-up %d ms, %d runs "
	    "(median), receive buffers %d B\n", sysconf(_SC_NPROCESSORS_ONLN),
	    un.release, env.re_ifa, opt_dur, opt_warmup_ms, opt_runs,
	    opt_rcvbuf);
	if (rx_cpu >= 0) {
		printf("bench_raw_recv: consumer (bare thread, library loop "
		    "thread) on CPU %d, generator on CPU %d\n", rx_cpu,
		    gen_cpu);
	}
	fflush(stdout);

	for (si = 0; si < opt_nsizes; si++) {
		for (run = 0; run < opt_runs; run++) {
			/* Alternate so drift hits every method alike. */
			for (k = 0; k < M_N; k++) {
				if (!m_on[k] || m_na[k] != NULL) {
					continue;
				}
				rc = measure((enum method)k, opt_sizes[si],
				    &res[si][k][run]);
				if (rc < 0) {
					failed = 1;
					goto done;
				}
				if (rc == 0) {
					print_run((enum method)k,
					    opt_sizes[si], run,
					    &res[si][k][run]);
				}
			}
		}
		for (k = 0; k < M_N; k++) {
			for (q = 0; q < 3; q++) {
				for (run = 0; run < opt_runs; run++) {
					const struct result *r =
					    &res[si][k][run];

					v[run] = q == 0 ? r->rx_pps :
					    q == 1 ? r->gen_pps : r->ns_pkt;
				}
				med[k][q] = m_on[k] && m_na[k] == NULL ?
				    median(v, opt_runs) : 0;
			}
		}
		printf("%4zu B medians:\n", opt_sizes[si]);
		for (k = 0; k < M_N; k++) {
			if (!m_on[k]) {
				continue;
			}
			if (m_na[k] != NULL) {
				printf("  %-12s %s\n", m_name[k], m_na[k]);
				continue;
			}
			printf("  %-12s rx %7.1f kpps  gen %7.1f kpps  "
			    "consumer %5.0f ns/pkt\n", m_name[k],
			    med[k][0] / 1000, med[k][1] / 1000, med[k][2]);
		}
		/*
		 * Each library method against its reference: the best of
		 * the bare kernel consumers for linux, bare libpcap (and
		 * that best) for pcap.
		 */
		best = -1;
		for (b = M_RAW; b <= M_RING2; b++) {
			if (m_on[b] && m_na[b] == NULL &&
			    (best < 0 || med[b][0] > med[best][0])) {
				best = b;
			}
		}
		for (x = M_NBARE; x < M_N; x++) {
			for (int pass = 0; pass < 2; pass++) {
				b = pass == 0 ? best : M_PCAP;
				if (!m_on[x] || b < 0 || !m_on[b] ||
				    m_na[b] != NULL ||
				    (pass == 1 && x != M_XK_PCAP)) {
					continue;
				}
				for (q = 0; q < 3; q++) {
					const char *what[] = {
						"rx kpps", "  gen kpps",
						"  consumer ns/pkt"
					};
					double sc = q == 2 ? 1 : 1000;

					if (q == 0) {
						snprintf(name, sizeof(name),
						    "raw recv %zu B %s / %s, "
						    "kpps", opt_sizes[si],
						    m_name[x], m_name[b]);
					} else {
						snprintf(name, sizeof(name),
						    "%s", what[q]);
					}
					snprintf(bs, sizeof(bs), "%.*f",
					    q == 2 ? 0 : 1, med[b][q] / sc);
					if (m_na[x] != NULL) {
						snprintf(xs, sizeof(xs), "%s",
						    m_na[x]);
						snprintf(rs, sizeof(rs), "-");
					} else {
						snprintf(xs, sizeof(xs),
						    "%.*f", q == 2 ? 0 : 1,
						    med[x][q] / sc);
						snprintf(rs, sizeof(rs),
						    "%.3f", med[b][q] > 0 ?
						    med[x][q] / med[b][q] : 0);
					}
					printf("ROW|%s|%s|%s|%s\n", name, bs,
					    xs, rs);
				}
				if (m_na[x] != NULL) {
					continue;
				}
				printf("NOTE|raw recv %zu B: %s / %s %.3f "
				    "(goal >= 0.95), %s; consumer ns/pkt %.0f "
				    "vs %.0f\n", opt_sizes[si], m_name[x],
				    m_name[b], med[x][0] / med[b][0],
				    med[x][0] / med[b][0] >= 0.95 ? "met" :
				    "missed", med[x][2], med[b][2]);
			}
		}
		fflush(stdout);
	}
done:
	for (k = 0; k < M_N; k++) {
		if (m_on[k] && m_na[k] != NULL) {
			printf("NOTE|raw recv: %s backend %s\n", m_name[k],
			    m_na[k]);
		}
	}
	return failed;
}
