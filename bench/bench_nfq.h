/*
 * What the netfilter queue benchmarks (bench_divert, bench_ipf,
 * bench_send) share: the bare reference consumer of a queue
 * (libnetfilter_queue over libmnl, recvmmsg(2) batches, a batch's
 * verdicts in one send), the iptables rule that queues UDP to a port in
 * a, the kernel's drop counters of a queue, and UDP traffic: a generator
 * in b (flat out or paced) and a counting sink in a; and the library's
 * side of a divert or SeND socket that writes every packet back.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _XK_BENCH_NFQ_H_
#define _XK_BENCH_NFQ_H_

#include "bench_raw.h"	/* first: <netinet/in.h> before <linux/in.h> */

#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <stdbool.h>
#include <sys/prctl.h>

#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>

#define NFQ_MARK	"0x786b"	/* the library's SO_MARK */
#define NFQ_BATCH	32	/* as the nfqueue backend's NF_BATCH */
#define NFQ_BUF		(65536 + 4096)	/* one message: a whole packet */
#define NFQ_RCVBUF	(8 << 20)	/* as the backend's */
#define UDP_GEN_BATCH	32
#define UDP_GEN_PACED	16	/* smallest batch at a fixed rate */
#define UDP_SINK_BATCH	64
#define UDP_SINK_RCVBUF	(8 << 20)

/*
 * Adds (@op "-A") or deletes ("-D") the rule queueing UDP to @port on
 * @queue, but for the library's own packets (NFQ_MARK); 0, or -1 (said
 * on stderr, as @prog) on failure.
 */
static inline int
bnfq_ipt_udp(const char *prog, const char *op, int port, int queue)
{
	char cmd[256];
	int rc;

	snprintf(cmd, sizeof(cmd), "iptables -w %s INPUT -p udp --dport %d "
	    "-m mark ! --mark %s -j NFQUEUE --queue-num %d --queue-bypass",
	    op, port, NFQ_MARK, queue);
	if ((rc = system(cmd)) != 0) {
		fprintf(stderr, "%s: '%s' failed (%d)\n", prog, cmd, rc);
		return -1;
	}
	return 0;
}

/*
 * The kernel's drops on @queue (/proc/net/netfilter/nfnetlink_queue):
 * queue full into *@full, its socket full into *@sock; 0 when unknown.
 */
static inline void
bnfq_drops(int queue, uint64_t *full, uint64_t *sock)
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
		    q == (unsigned int)queue) {
			*full = d;
			*sock = ud;
		}
	}
	fclose(f);
}

/*
 * Opens a netlink socket into *@nlp (left there on failure too, for the
 * caller to close) bound to @queue for @family, whole packets copied,
 * non-blocking.  @rcvbuf > 0: its receive buffer (SO_RCVBUFFORCE);
 * @maxlen > 0: the queue's length; @gso: whole GSO packets, fail closed,
 * as the library asks.  0 or an errno.
 */
static inline int
bnfq_open(struct mnl_socket **nlp, int queue, int family, int rcvbuf,
    int maxlen, bool gso)
{
	union {
		char buf[MNL_SOCKET_BUFFER_SIZE];
		struct nlmsghdr align;
	} u;
	struct nlmsghdr *nlh;
	int fd, r;

	if ((*nlp = mnl_socket_open(NETLINK_NETFILTER)) == NULL ||
	    mnl_socket_bind(*nlp, 0, MNL_SOCKET_AUTOPID) < 0) {
		return errno;
	}
	fd = mnl_socket_get_fd(*nlp);
	if (rcvbuf > 0) {
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		    sizeof(rcvbuf));
	}
	memset(&u, 0, sizeof(u));	/* no uninitialised padding sent */
	nlh = nfq_nlmsg_put(u.buf, NFQNL_MSG_CONFIG, (uint32_t)queue);
	nfq_nlmsg_cfg_put_cmd(nlh, (uint16_t)family, NFQNL_CFG_CMD_BIND);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 0xffff);
	if (gso) {
		mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_GSO));
		mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_GSO |
		    NFQA_CFG_F_FAIL_OPEN));
	}
	if (maxlen > 0) {
		nfq_nlmsg_cfg_put_qmaxlen(nlh, (uint32_t)maxlen);
	}
	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(*nlp, nlh, nlh->nlmsg_len) < 0 ||
	    (r = (int)mnl_socket_recvfrom(*nlp, u.buf, sizeof(u.buf))) < 0 ||
	    mnl_cb_run(u.buf, (size_t)r, 0, mnl_socket_get_portid(*nlp),
	    NULL, NULL) < 0) {
		return errno;
	}
	if ((r = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, r | O_NONBLOCK) != 0) {
		return errno;
	}
	return 0;
}

/* Appends an NF_ACCEPT verdict for packet @id of @queue at @v + *@vlen. */
static inline struct nlmsghdr *
bnfq_accept(char *v, size_t *vlen, int queue, uint32_t id)
{
	struct nlmsghdr *h;

	h = nfq_nlmsg_put(v + *vlen, NFQNL_MSG_VERDICT, (uint32_t)queue);
	nfq_nlmsg_verdict_put(h, (int)id, NF_ACCEPT);
	*vlen += h->nlmsg_len;
	return h;
}

/*
 * The bare consumer of one queue.  l_packet, when set, is called for
 * every packet message (its attributes, its id) and appends its verdict
 * at @v + *@vlen (at most 128 bytes beyond the packet's own), returning
 * how many packets to count; unset, every packet gets NF_ACCEPT.
 * l_batch, when set, is called after a batch with @got packets and may
 * rewrite its verdicts.
 */
struct bnfq_loop {
	struct mnl_socket	*l_nl;
	int			 l_queue;
	atomic_int		*l_stop;
	atomic_uint_fast64_t	*l_count;	/* packets given back */
	int			(*l_packet)(void *ctx, struct nlattr **attr,
				    uint32_t id, char *v, size_t *vlen);
	void			(*l_batch)(void *ctx, char *v, size_t *vlen,
				    uint64_t got);
	void			*l_ctx;
	uint64_t		 l_wakeups;
	uint64_t		 l_enobufs;
	uint64_t		 l_werr;	/* verdicts refused, unsent */
	int			 l_werr1;
	int			 l_err;		/* poll or receive */
};

/*
 * The loop: poll, then until EAGAIN: recvmmsg(2) of up to NFQ_BATCH
 * messages, and their verdicts in one send; until *l_stop or an error
 * (l_err).  One thread at a time (the buffers are static).
 */
static inline void
bnfq_run(struct bnfq_loop *l)
{
	static char bufs[NFQ_BATCH][NFQ_BUF];
	static char vbuf[NFQ_BATCH * (128 + NFQ_BUF)];
	struct mmsghdr msgs[NFQ_BATCH];
	struct iovec iovs[NFQ_BATCH];
	struct nlattr *attr[NFQA_MAX + 1];
	struct nfqnl_msg_packet_hdr *ph;
	int fd = mnl_socket_get_fd(l->l_nl), i, n, len;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct nlmsghdr *nlh;
	uint32_t id;
	uint64_t got;
	size_t vlen;

	mmsg_bufs(msgs, iovs, bufs[0], sizeof(bufs[0]), NFQ_BATCH);
	while (!atomic_load_explicit(l->l_stop, memory_order_relaxed)) {
		if ((n = poll(&pfd, 1, 50)) <= 0) {
			if (n < 0 && errno != EINTR) {
				l->l_err = errno;
				return;
			}
			continue;
		}
		l->l_wakeups++;
		for (;;) {
			n = recvmmsg(fd, msgs, NFQ_BATCH, MSG_DONTWAIT, NULL);
			if (n < 0) {
				if (errno == ENOBUFS) {
					l->l_enobufs++;
					continue;
				}
				if (errno != EAGAIN && errno != EINTR) {
					l->l_err = errno;
					return;
				}
				break;
			}
			vlen = 0;
			got = 0;
			for (i = 0; i < n; i++) {
				nlh = (void *)bufs[i];
				len = (int)msgs[i].msg_len;
				for (; mnl_nlmsg_ok(nlh, len);
				    nlh = mnl_nlmsg_next(nlh, &len)) {
					if (nlh->nlmsg_type == NLMSG_ERROR) {
						const struct nlmsgerr *e =
						    mnl_nlmsg_get_payload(nlh);

						/* A verdict refused. */
						if (e->error != 0) {
							l->l_werr++;
							l->l_werr1 = -e->error;
						}
						continue;
					}
					if (nlh->nlmsg_type !=
					    ((NFNL_SUBSYS_QUEUE << 8) |
					    NFQNL_MSG_PACKET) ||
					    nfq_nlmsg_parse(nlh, attr) < 0 ||
					    attr[NFQA_PACKET_HDR] == NULL) {
						continue;
					}
					ph = mnl_attr_get_payload(
					    attr[NFQA_PACKET_HDR]);
					id = ntohl(ph->packet_id);
					if (l->l_packet != NULL) {
						got += (uint64_t)l->l_packet(
						    l->l_ctx, attr, id, vbuf,
						    &vlen);
					} else {
						(void)bnfq_accept(vbuf, &vlen,
						    l->l_queue, id);
						got++;
					}
				}
			}
			if (l->l_batch != NULL && got > 0) {
				l->l_batch(l->l_ctx, vbuf, &vlen, got);
			}
			if (vlen > 0 &&
			    mnl_socket_sendto(l->l_nl, vbuf, vlen) < 0) {
				l->l_werr++;
				l->l_werr1 = errno;
			}
			atomic_fetch_add_explicit(l->l_count, got,
			    memory_order_relaxed);
		}
	}
}

/*
 * The UDP generator in b: datagrams of g_size bytes to g_port in a, with
 * sendmmsg(2), flat out (g_rate 0) or at g_rate packets/s, until told to
 * stop or its deadline passes.
 */
struct udp_gen {
	const char		*g_nsb;
	int			 g_cpu;
	int			 g_port;
	size_t			 g_size;
	double			 g_rate;	/* packets/s; 0: flat out */
	uint64_t		 g_deadline;
	atomic_int		 g_stop;
	atomic_int		 g_ready;
	atomic_uint_fast64_t	 g_sent;
	int			 g_err;
};

static inline void *
udp_gen_main(void *arg)
{
	struct udp_gen *g = arg;
	struct mmsghdr msgs[UDP_GEN_BATCH];
	struct sockaddr_in dst;
	struct iovec iov;
	static char payload[RAW_MAXPAY];
	uint64_t start, now, due, sent = 0, iter;
	unsigned int want;
	int fd = -1, n;

	if (pin_self(g->g_cpu) != 0) {
		g->g_err = EINVAL;
		goto out;
	}
	if ((g->g_err = join_netns(g->g_nsb)) != 0) {
		goto out;
	}
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		g->g_err = errno;
		goto out;
	}
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)g->g_port);
	inet_pton(AF_INET, RAW_ADDR_A, &dst.sin_addr);
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0) {
		g->g_err = errno;
		goto out;
	}
	memset(payload, 'x', sizeof(payload));
	iov.iov_base = payload;
	iov.iov_len = g->g_size;
	mmsg_same(msgs, &iov, UDP_GEN_BATCH);
	atomic_store(&g->g_ready, 1);
	start = now_ns();
	for (iter = 0; iter < UINT64_C(1) << 34; iter++) {
		if (atomic_load_explicit(&g->g_stop, memory_order_relaxed)) {
			break;
		}
		want = UDP_GEN_BATCH;
		if (g->g_rate > 0 || (iter & 15) == 0) {
			now = now_ns();
			if (now > g->g_deadline) {
				break;
			}
			if (g->g_rate > 0) {
				due = (uint64_t)((double)(now - start) *
				    g->g_rate / (double)NSEC);
				if (due < sent + UDP_GEN_PACED) {
					/*
					 * Sleep until a batch is due: tiny
					 * batches would cost the generator
					 * the rate it is asked for.
					 */
					sleep_ns((uint64_t)((double)(sent +
					    UDP_GEN_PACED - due) *
					    (double)NSEC / g->g_rate));
					continue;
				}
				if (due - sent < want) {
					want = (unsigned int)(due - sent);
				}
			}
		}
		n = sendmmsg(fd, msgs, want, 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == ENOBUFS || errno == ECONNREFUSED) {
				continue;
			}
			g->g_err = errno;
			break;
		}
		sent += (uint64_t)n;
		atomic_fetch_add_explicit(&g->g_sent, (uint64_t)n,
		    memory_order_relaxed);
	}
out:
	atomic_store(&g->g_ready, 1);
	if (fd >= 0) {
		close(fd);
	}
	return NULL;
}

/* A UDP socket in a bound to @port, with a big receive buffer; or -1. */
static inline int
udp_bound(int port)
{
	struct sockaddr_in sin;
	int fd, size = UDP_SINK_RCVBUF;

	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
	    sizeof(size));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, RAW_ADDR_A, &sin.sin_addr);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The UDP sink in a: counts what arrives on k_fd, checking its size. */
struct udp_sink {
	int			 k_fd;
	size_t			 k_size;
	atomic_int		 k_stop;
	atomic_uint_fast64_t	 k_count;
	uint64_t		 k_badlen;
	int			 k_err;
	pthread_t		 k_thread;
};

static inline void *
udp_sink_main(void *arg)
{
	struct udp_sink *k = arg;
	static char bufs[UDP_SINK_BATCH][2048];
	struct mmsghdr msgs[UDP_SINK_BATCH];
	struct iovec iovs[UDP_SINK_BATCH];
	struct pollfd pfd = { .fd = k->k_fd, .events = POLLIN };
	int i, n;

	mmsg_bufs(msgs, iovs, bufs[0], sizeof(bufs[0]), UDP_SINK_BATCH);
	while (!atomic_load_explicit(&k->k_stop, memory_order_relaxed)) {
		if ((n = poll(&pfd, 1, 20)) <= 0) {
			if (n < 0 && errno != EINTR) {
				k->k_err = errno;
				break;
			}
			continue;
		}
		while ((n = recvmmsg(k->k_fd, msgs, UDP_SINK_BATCH,
		    MSG_DONTWAIT, NULL)) > 0) {
			for (i = 0; i < n; i++) {
				if (msgs[i].msg_len != k->k_size) {
					k->k_badlen++;
				}
			}
			atomic_fetch_add_explicit(&k->k_count, (uint64_t)n,
			    memory_order_relaxed);
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			k->k_err = errno;
			break;
		}
	}
	return NULL;
}

/* What xk_write_back() saw, added to. */
struct wb_stats {
	uint64_t	wb_badlen;	/* packets of another length */
	uint64_t	wb_werr;	/* write-backs that failed */
	errno_t		wb_werr1;	/* the last one's error */
	errno_t		wb_rerr;	/* a receive error but EWOULDBLOCK */
};

/*
 * A divert or SeND socket's read upcall: reads what @so holds
 * (sock_receivembuf(), MSG_DONTWAIT, until EWOULDBLOCK, at most @max
 * packets) and writes each back unchanged with sock_sendmbuf() and the
 * address it was read with (@fromlen bytes at most), adding them to
 * *@count; a packet of another length than @want (unless 0) counts in
 * wb_badlen.  Returns how many packets it read.
 */
static inline unsigned int
xk_write_back(socket_t so, socklen_t fromlen, unsigned int max, size_t want,
    atomic_uint_fast64_t *count, struct wb_stats *w)
{
	struct sockaddr_storage from;
	struct msghdr msg;
	unsigned int i;
	uint64_t local = 0;
	size_t len, sent;
	errno_t error;
	mbuf_t m;

	for (i = 0; i < max; i++) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_name = &from;
		msg.msg_namelen = fromlen;
		m = NULL;
		len = SIZE_MAX;
		error = sock_receivembuf(so, &msg, &m, MSG_DONTWAIT, &len);
		if (error != 0) {
			if (error != EWOULDBLOCK) {
				w->wb_rerr = error;
			}
			break;
		}
		if (want != 0 && len != want) {
			w->wb_badlen++;
		}
		/* Back where it came from: the address as read. */
		memset(&msg, 0, sizeof(msg));
		msg.msg_name = &from;
		msg.msg_namelen = fromlen;
		if ((error = sock_sendmbuf(so, &msg, m, 0, &sent)) != 0) {
			w->wb_werr++;
			w->wb_werr1 = error;
		}
		if (++local == 32) {
			atomic_fetch_add_explicit(count, local,
			    memory_order_relaxed);
			local = 0;
		}
	}
	atomic_fetch_add_explicit(count, local, memory_order_relaxed);
	return i;
}

#endif /* _XK_BENCH_NFQ_H_ */
