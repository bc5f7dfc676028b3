/*
 * xkpi benchmark: raw IP send between two network namespaces.  The
 * library's sock_send and sock_sendmbuf on a raw socket (protocol 253,
 * the library builds the IP header) over the linux and pcap backends,
 * against three bare senders in the same side: sendmmsg on a raw socket,
 * pcap_inject of prebuilt Ethernet frames, and an AF_PACKET TX ring.
 * Each sends as fast as it can for a fixed time; a plain raw socket in
 * side b counts what arrives, so drops show.
 *
 *	netns.sh bench_raw_send [-d seconds] [-r runs] [-w warmup_ms]
 *	    [-s size]... [-m method]... [-P]
 *
 * libpcap is loaded with dlopen(3) for the bare pcap_inject sender, so
 * the program builds and runs (with that row n/a) without it.
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
#define TX_BATCH	32		/* sendmmsg batch, ring frames per kick */
#define TXR_FRAME	2048
#define TXR_FRAMES	256
#define TXR_DATA	TPACKET_ALIGN(sizeof(struct tpacket2_hdr))
#define CHECK_EVERY	32		/* packets between two clock reads */

enum method {
	M_MMSG, M_PCAP, M_TXRING, M_SENDMSG,
	M_XK_SEND, M_XK_SENDMBUF, M_XK_PCAP_SEND, M_XK_PCAP_SENDMBUF, M_N
};
#define M_NBARE	4

static const char *m_name[M_N] = {
	"raw sendmmsg", "pcap_inject", "packet TX ring", "raw sendmsg",
	"linux sock_send", "linux sock_sendmbuf",
	"pcap sock_send", "pcap sock_sendmbuf"
};
static const char *m_opt[M_N] = {
	"mmsg", "pcap", "txring", "msg", "send", "sendmbuf", "psend", "psendmbuf"
};

static double	opt_dur = 2.0;
static int	opt_runs = 3;
static int	opt_warmup_ms = 300;
static int	opt_nopin;
static size_t	opt_sizes[MAXSIZES];
static int	opt_nsizes;
static bool	m_on[M_N];
static const char *m_na[M_N];

static int	tx_cpu = -1;
static int	sink_cpu = -1;
static struct raw_env env;
static uint8_t	mac_a[6], mac_b[6];

/* libpcap, when it can be loaded. */
static struct {
	__typeof__(pcap_create)		*create;
	__typeof__(pcap_set_snaplen)	*set_snaplen;
	__typeof__(pcap_set_immediate_mode) *set_immediate_mode;
	__typeof__(pcap_activate)	*activate;
	__typeof__(pcap_setdirection)	*setdirection;
	__typeof__(pcap_inject)		*inject;
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
	if (SYM(create) || SYM(set_snaplen) || SYM(set_immediate_mode) ||
	    SYM(activate) || SYM(setdirection) || SYM(inject) ||
	    SYM(geterr) || SYM(close)) {
		return -1;
	}
#undef SYM
	return 0;
}

static uint16_t
in_cksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2) {
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	}
	if (len & 1) {
		sum += (uint32_t)b[len - 1] << 8;
	}
	while (sum >> 16) {
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return htons((uint16_t)~sum);
}

/* The Ethernet frame a to b the bare link-level senders send. */
static size_t
build_frame(uint8_t *f, size_t size)
{
	struct ether_hdr_ {
		uint8_t		dst[6];
		uint8_t		src[6];
		uint16_t	type;
	} __attribute__((packed)) eh;
	struct ip ip;

	memcpy(eh.dst, mac_b, 6);
	memcpy(eh.src, mac_a, 6);
	eh.type = htons(ETH_P_IP);
	memset(&ip, 0, sizeof(ip));
	ip.ip_v = 4;
	ip.ip_hl = 5;
	ip.ip_len = htons((uint16_t)(sizeof(ip) + size));
	ip.ip_ttl = 64;
	ip.ip_p = RAW_PROTO;
	inet_pton(AF_INET, RAW_ADDR_A, &ip.ip_src);
	inet_pton(AF_INET, RAW_ADDR_B, &ip.ip_dst);
	ip.ip_sum = in_cksum(&ip, sizeof(ip));
	memcpy(f, &eh, sizeof(eh));
	memcpy(f + sizeof(eh), &ip, sizeof(ip));
	memset(f + sizeof(eh) + sizeof(ip), 'x', size);
	return sizeof(eh) + sizeof(ip) + size;
}

struct result {
	double		tx_pps;		/* accepted by the sender's API */
	double		rx_pps;		/* arrived at side b */
	double		ns_pkt;		/* sender thread CPU per packet */
	uint64_t	errors;		/* refused sends (ENOBUFS ...) */
	struct raw_xkstats xs;
};

/* The sender's clock: start and end of the window, and what was seen. */
struct window {
	uint64_t	w_start;
	uint64_t	w_end;
	int		w_phase;	/* 0 warm-up, 1 in window, 2 done */
	uint64_t	w_t[2], w_tx[2], w_rx[2], w_cpu[2];
	atomic_uint_fast64_t *w_sink;
};

static uint64_t
self_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

/* Called every CHECK_EVERY packets or so; false when the run is over. */
static bool
window_tick(struct window *w, uint64_t sent)
{
	uint64_t t = now_ns();

	if (w->w_phase == 0 && t >= w->w_start) {
		w->w_t[0] = t;
		w->w_tx[0] = sent;
		w->w_rx[0] = atomic_load(w->w_sink);
		w->w_cpu[0] = self_cpu_ns();
		w->w_phase = 1;
	} else if (w->w_phase == 1 && t >= w->w_end) {
		w->w_t[1] = t;
		w->w_tx[1] = sent;
		w->w_rx[1] = atomic_load(w->w_sink);
		w->w_cpu[1] = self_cpu_ns();
		w->w_phase = 2;
		return false;
	}
	return true;
}

/* sendmmsg in batches of TX_BATCH, or (@batch false) one sendmsg each. */
static int
send_mmsg(struct window *w, size_t size, bool batch, uint64_t *errors)
{
	static char payload[RAW_MAXPAY];
	struct mmsghdr msgs[TX_BATCH];
	struct sockaddr_in dst;
	struct iovec iov;
	uint64_t sent = 0;
	int fd, n;

	if ((fd = socket(AF_INET, SOCK_RAW, RAW_PROTO)) < 0) {
		return errno;
	}
	(void)shutdown(fd, SHUT_RD);
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	inet_pton(AF_INET, RAW_ADDR_B, &dst.sin_addr);
	memset(payload, 'x', sizeof(payload));
	iov.iov_base = payload;
	iov.iov_len = size;
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < TX_BATCH; i++) {
		msgs[i].msg_hdr.msg_name = &dst;
		msgs[i].msg_hdr.msg_namelen = sizeof(dst);
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (window_tick(w, sent)) {
		if (!batch) {
			/* The bare counterpart of one sock_send per packet. */
			for (int i = 0; i < TX_BATCH; i++) {
				if (sendmsg(fd, &msgs[0].msg_hdr, 0) < 0) {
					(*errors)++;
				} else {
					sent++;
				}
			}
			continue;
		}
		if ((n = sendmmsg(fd, msgs, TX_BATCH, 0)) < 0) {
			(*errors)++;
			continue;
		}
		sent += (uint64_t)n;
	}
	close(fd);
	return 0;
}

static int
send_pcap(struct window *w, size_t size, uint64_t *errors)
{
	static uint8_t frame[ETH_FRAME_LEN + 64];
	char ebuf[PCAP_ERRBUF_SIZE];
	uint64_t sent = 0;
	size_t len = build_frame(frame, size);
	pcap_t *p;

	if ((p = pc.create(env.re_ifa, ebuf)) == NULL) {
		fprintf(stderr, "bench_raw_send: pcap_create: %s\n", ebuf);
		return EIO;
	}
	(void)pc.set_snaplen(p, 128);
	(void)pc.set_immediate_mode(p, 1);
	if (pc.activate(p) < 0) {
		fprintf(stderr, "bench_raw_send: pcap_activate: %s\n",
		    pc.geterr(p));
		pc.close(p);
		return EIO;
	}
	/* It captures nothing it would have to read. */
	(void)pc.setdirection(p, PCAP_D_IN);
	for (;;) {
		if (sent % CHECK_EVERY == 0 && !window_tick(w, sent)) {
			break;
		}
		if (pc.inject(p, frame, len) != (int)len) {
			(*errors)++;
			if (*errors % CHECK_EVERY == 0 &&
			    !window_tick(w, sent)) {
				break;
			}
			continue;
		}
		sent++;
	}
	pc.close(p);
	return 0;
}

static int
send_txring(struct window *w, size_t size, uint64_t *errors)
{
	static uint8_t frame[ETH_FRAME_LEN + 64];
	struct tpacket_req req;
	struct sockaddr_ll sll;
	size_t len = build_frame(frame, size), ringlen;
	unsigned int cur = 0;
	uint64_t sent = 0;
	uint8_t *ring;
	int v = TPACKET_V2, fd, error = 0;

	if ((fd = socket(AF_PACKET, SOCK_RAW, 0)) < 0) {
		return errno;
	}
	memset(&req, 0, sizeof(req));
	req.tp_block_size = 4096 * 4;
	req.tp_frame_size = TXR_FRAME;
	req.tp_frame_nr = TXR_FRAMES;
	req.tp_block_nr = TXR_FRAMES * TXR_FRAME / req.tp_block_size;
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) != 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req,
	    sizeof(req)) != 0) {
		error = errno;
		close(fd);
		return error;
	}
	ringlen = (size_t)TXR_FRAMES * TXR_FRAME;
	ring = mmap(NULL, ringlen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ring == MAP_FAILED) {
		error = errno;
		close(fd);
		return error;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)if_nametoindex(env.re_ifa);
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		error = errno;
		goto out;
	}
	while (window_tick(w, sent)) {
		int queued = 0;
		ssize_t r;

		/* Fill up to a batch of free frames, then one kick. */
		while (queued < TX_BATCH) {
			struct tpacket2_hdr *h = (void *)(ring +
			    (size_t)cur * TXR_FRAME);

			if (__atomic_load_n(&h->tp_status,
			    __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE) {
				break;
			}
			memcpy((uint8_t *)h + TXR_DATA, frame, len);
			h->tp_len = (uint32_t)len;
			__atomic_store_n(&h->tp_status,
			    TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
			cur = (cur + 1) % TXR_FRAMES;
			queued++;
		}
		/* Blocking: returns when the kernel has sent them. */
		if ((r = send(fd, NULL, 0, 0)) < 0) {
			(*errors)++;
			continue;
		}
		sent += (uint64_t)r / len;
	}
out:
	munmap(ring, ringlen);
	close(fd);
	return error;
}

static int
send_xk(enum method m, struct window *w, size_t size, uint64_t *errors,
    struct raw_xkstats *xs)
{
	static char payload[RAW_MAXPAY];
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.ifaces = env.re_ifa);
	struct raw_xkstats xs0, xs1;
	struct sockaddr_in dst;
	struct msghdr msg;
	struct iovec iov;
	uint64_t sent = 0;
	socket_t so = NULL;
	bool mb = m == M_XK_SENDMBUF || m == M_XK_PCAP_SENDMBUF;
	errno_t error;

	cfg.backend = m >= M_XK_PCAP_SEND ? "pcap" : "linux";
	if ((error = xkpi_init(&cfg)) != 0) {
		return error;
	}
	if ((error = sock_socket(PF_INET, SOCK_RAW, RAW_PROTO, NULL, NULL,
	    &so)) != 0) {
		goto out;
	}
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	inet_pton(AF_INET, RAW_ADDR_B, &dst.sin_addr);
	memset(payload, 'x', sizeof(payload));
	iov.iov_base = payload;
	iov.iov_len = size;
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &dst;
	msg.msg_namelen = sizeof(dst);
	if (!mb) {
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
	}
	raw_xkstats_get(&xs0);
	for (;;) {
		mbuf_t mp;

		if (sent % CHECK_EVERY == 0 && !window_tick(w, sent)) {
			break;
		}
		if (mb) {
			/* What a kext does: a packet, filled, handed down. */
			if (mbuf_allocpacket(MBUF_WAITOK, size, NULL,
			    &mp) != 0 || mbuf_copyback(mp, 0, size, payload,
			    MBUF_WAITOK) != 0) {
				error = ENOBUFS;
				goto out;
			}
			error = sock_sendmbuf(so, &msg, mp, 0, NULL);
		} else {
			error = sock_send(so, &msg, 0, NULL);
		}
		if (error != 0) {
			if (error != ENOBUFS && error != EWOULDBLOCK) {
				fprintf(stderr, "bench_raw_send: %s: %s\n",
				    m_name[m], strerror(error));
				goto out;
			}
			(*errors)++;
			if (*errors % CHECK_EVERY == 0 &&
			    !window_tick(w, sent)) {
				break;
			}
			continue;
		}
		sent++;
	}
	error = 0;
	raw_xkstats_get(&xs1);
	xs->out = xs1.out - xs0.out;
	xs->oerrors = xs1.oerrors - xs0.oerrors;
	xs->txfull = xs1.txfull - xs0.txfull;
out:
	if (so != NULL) {
		sock_close(so);
	}
	xkpi_shutdown();
	return error;
}

/* 0, -1 on failure, 1 when the method is not available here. */
static int
measure(enum method m, size_t size, struct result *res)
{
	struct raw_sink k;
	struct window w;
	pthread_t kt;
	uint64_t errors = 0, window;
	int error, rc = -1;

	memset(res, 0, sizeof(*res));
	memset(&k, 0, sizeof(k));
	memset(&w, 0, sizeof(w));
	k.k_nsb = env.re_nsb;
	k.k_cpu = sink_cpu;
	k.k_rcvbuf = 8 << 20;
	if (pthread_create(&kt, NULL, raw_sink_main, &k) != 0) {
		return -1;
	}
	wait_ready(&k.k_ready);
	if (k.k_err != 0) {
		fprintf(stderr, "bench_raw_send: sink: %s\n",
		    strerror(k.k_err));
		goto out;
	}
	window = (uint64_t)(opt_dur * (double)NSEC);
	w.w_start = now_ns() + (uint64_t)opt_warmup_ms * 1000000ULL;
	w.w_end = w.w_start + window;
	w.w_sink = &k.k_count;
	switch (m) {
	case M_MMSG:
		error = send_mmsg(&w, size, true, &errors);
		break;
	case M_SENDMSG:
		error = send_mmsg(&w, size, false, &errors);
		break;
	case M_PCAP:
		error = send_pcap(&w, size, &errors);
		break;
	case M_TXRING:
		error = send_txring(&w, size, &errors);
		break;
	default:
		error = send_xk(m, &w, size, &errors, &res->xs);
		break;
	}
	if (error == ENOTSUP && m >= M_NBARE) {
		m_na[m] = "n/a (not built)";
		rc = 1;
		goto out;
	}
	if (error != 0 || w.w_phase != 2) {
		fprintf(stderr, "bench_raw_send: %s: %s\n", m_name[m],
		    error != 0 ? strerror(error) : "did not finish");
		goto out;
	}
	/* Let what is in flight arrive; it is not counted. */
	res->tx_pps = per_sec(w.w_tx[1] - w.w_tx[0], w.w_t[1] - w.w_t[0]);
	res->rx_pps = per_sec(w.w_rx[1] - w.w_rx[0], w.w_t[1] - w.w_t[0]);
	if (w.w_tx[1] > w.w_tx[0]) {
		res->ns_pkt = (double)(w.w_cpu[1] - w.w_cpu[0]) /
		    (double)(w.w_tx[1] - w.w_tx[0]);
	}
	res->errors = errors;
	if (w.w_tx[1] == w.w_tx[0] || w.w_rx[1] == w.w_rx[0]) {
		fprintf(stderr, "bench_raw_send: %s: %" PRIu64 " sent, %"
		    PRIu64 " arrived in the window\n", m_name[m],
		    w.w_tx[1] - w.w_tx[0], w.w_rx[1] - w.w_rx[0]);
		goto out;
	}
	rc = 0;
out:
	wait_quiet(&k.k_count);
	atomic_store(&k.k_stop, 1);
	pthread_join(kt, NULL);
	return rc;
}

static void
print_run(enum method m, size_t size, int run, const struct result *r)
{
	printf("  %4zu B %-19s run %d: sent %7.1f kpps  arrived %7.1f kpps "
	    "(%5.1f%%)  sender %5.0f ns/pkt  refused %" PRIu64, size,
	    m_name[m], run + 1, r->tx_pps / 1000, r->rx_pps / 1000,
	    r->tx_pps > 0 ? 100 * r->rx_pps / r->tx_pps : 0, r->ns_pkt,
	    r->errors);
	if (m >= M_NBARE) {
		printf("  (ip.out %" PRIu64 " oerrors %" PRIu64 " txfull %"
		    PRIu64 ")", r->xs.out, r->xs.oerrors, r->xs.txfull);
	}
	printf("\n");
	fflush(stdout);
}

static void *
mac_b_main(void *arg)
{
	int *error = arg;

	if ((*error = join_netns(env.re_nsb)) == 0) {
		*error = if_mac(env.re_ifb, mac_b);
	}
	return NULL;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_raw_send [-d seconds] [-r runs] "
	    "[-w warmup_ms] [-s size]... [-m mmsg|pcap|txring|msg|send|sendmbuf|"
	    "psend|psendmbuf]... [-P]\n");
	exit(2);
}

static void
pair_rows(size_t size, int x, int b, const double med[M_N][3])
{
	const char *what[3] = { "arrived at b, kpps", "  sent, kpps",
	    "  sender ns/pkt" };

	for (int q = 0; q < 3; q++) {
		double sc = q == 2 ? 1 : 1000;
		char name[96];

		if (q == 0) {
			snprintf(name, sizeof(name), "raw send %zu B %s / %s,"
			    " kpps at b", size, m_name[x], m_name[b]);
		} else {
			snprintf(name, sizeof(name), "%s", what[q]);
		}
		if (m_na[b] != NULL || m_na[x] != NULL) {
			printf("ROW|%s|%s|%s|-\n", name, m_na[b] != NULL ?
			    m_na[b] : "", m_na[x] != NULL ? m_na[x] : "");
			continue;
		}
		printf("ROW|%s|%.*f|%.*f|%.3f\n", name, q == 2 ? 0 : 1,
		    med[b][q] / sc, q == 2 ? 0 : 1, med[x][q] / sc,
		    med[b][q] > 0 ? med[x][q] / med[b][q] : 0);
	}
}

int
main(int argc, char **argv)
{
	static struct result res[MAXSIZES][M_N][MAXRUNS];
	double v[MAXRUNS], med[M_N][3];
	struct utsname un;
	pthread_t mt;
	long sz;
	int ch, si, run, k, b, x, q, failed = 0, any = 0, rc, error;

	while ((ch = getopt(argc, argv, "d:r:w:s:m:P")) != -1) {
		if ((rc = window_opt(ch, optarg, &opt_dur, &opt_runs,
		    &opt_warmup_ms)) != 0) {
			if (rc < 0) {
				usage();
			}
			continue;
		}
		switch (ch) {
		case 's':
			sz = atol(optarg);
			if (opt_nsizes == MAXSIZES || sz < 1 ||
			    sz > RAW_MAXPAY - 8) {
				usage();
			}
			opt_sizes[opt_nsizes++] = (size_t)sz;
			break;
		case 'm':
			for (k = 0; k < M_N; k++) {
				if (strcmp(optarg, m_opt[k]) == 0) {
					m_on[k] = true;
					any = 1;
				}
			}
			if (!any) {
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
	if (raw_env_get(&env, "bench_raw_send") != 0) {
		return 1;
	}
	if (pcap_load() != 0) {
		m_na[M_PCAP] = "n/a (no libpcap)";
	}
	if ((error = if_mac(env.re_ifa, mac_a)) != 0) {
		fprintf(stderr, "bench_raw_send: %s: %s\n", env.re_ifa,
		    strerror(error));
		return 1;
	}
	/* The far end's address, read from inside b by a helper thread. */
	if (pthread_create(&mt, NULL, mac_b_main, &error) != 0) {
		return 1;
	}
	pthread_join(mt, NULL);
	if (error != 0) {
		fprintf(stderr, "bench_raw_send: %s in b: %s\n", env.re_ifb,
		    strerror(error));
		return 1;
	}
	choose_two_cpus(opt_nopin, &tx_cpu, &sink_cpu);
	if (pin_self(tx_cpu) != 0) {
		fprintf(stderr, "bench_raw_send: cannot pin to CPU %d\n",
		    tx_cpu);
		return 1;
	}
	uname(&un);
	printf("bench_raw_send: %ld CPUs, Linux %s; %s (10.203.0.1) -> "
	    "sink in b; window %.2f s, warm-up %d ms, %d runs (median)\n",
	    sysconf(_SC_NPROCESSORS_ONLN), un.release, env.re_ifa, opt_dur,
	    opt_warmup_ms, opt_runs);
	if (tx_cpu >= 0) {
		printf("bench_raw_send: sender (and library loop thread) on "
		    "CPU %d, sink in b on CPU %d\n", tx_cpu, sink_cpu);
	}
	fflush(stdout);

	for (si = 0; si < opt_nsizes; si++) {
		for (run = 0; run < opt_runs; run++) {
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
					    q == 1 ? r->tx_pps : r->ns_pkt;
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
				printf("  %-19s %s\n", m_name[k], m_na[k]);
				continue;
			}
			printf("  %-19s sent %7.1f kpps  arrived %7.1f kpps  "
			    "sender %5.0f ns/pkt\n", m_name[k],
			    med[k][1] / 1000, med[k][0] / 1000, med[k][2]);
		}
		for (x = M_NBARE; x < M_N; x++) {
			for (b = 0; b < M_NBARE; b++) {
				if (m_on[x] && m_on[b]) {
					pair_rows(opt_sizes[si], x, b, med);
				}
			}
		}
		if (m_on[M_MMSG] && m_on[M_TXRING] && m_na[M_TXRING] == NULL) {
			int best = M_MMSG;

			for (b = 1; b < M_NBARE; b++) {
				if (m_on[b] && m_na[b] == NULL &&
				    med[b][0] > med[best][0]) {
					best = b;
				}
			}
			for (x = M_XK_SEND; x <= M_XK_SENDMBUF; x++) {
				if (!m_on[x] || m_na[x] != NULL) {
					continue;
				}
				printf("NOTE|raw send %zu B: best bare is %s "
				    "(%.1f kpps at b); %s/best %.3f (goal >= "
				    "0.95), %s\n", opt_sizes[si],
				    m_name[best], med[best][0] / 1000,
				    m_name[x], med[x][0] / med[best][0],
				    med[x][0] / med[best][0] >= 0.95 ?
				    "met" : "missed");
			}
		}
		/* pcap: one pcap_inject per packet is its floor. */
		for (x = M_XK_PCAP_SEND; x <= M_XK_PCAP_SENDMBUF; x++) {
			if (!m_on[x] || m_na[x] != NULL || !m_on[M_PCAP] ||
			    m_na[M_PCAP] != NULL || med[M_PCAP][0] <= 0) {
				continue;
			}
			printf("NOTE|raw send %zu B: %s/pcap_inject %.3f, "
			    "sender ns/pkt %.0f vs %.0f\n", opt_sizes[si],
			    m_name[x], med[x][0] / med[M_PCAP][0], med[x][2],
			    med[M_PCAP][2]);
		}
		fflush(stdout);
	}
done:
	for (k = 0; k < M_N; k++) {
		if (m_on[k] && m_na[k] != NULL) {
			printf("NOTE|raw send: %s %s\n", m_name[k], m_na[k]);
		}
	}
	return failed;
}
