/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Raw IP output shared by the linux and nfqueue backends (rawtx.h).
 *
 * As BSD's if_output, the engine's output only enqueues on the output
 * queue (RT_TXQ_MAX packets; full is ENOBUFS); the loop drains it with
 * sendmmsg(2) on one raw socket per family with the IP header included
 * (IPPROTO_RAW): the kernel routes, resolves the link address and builds
 * the frame.  The interface the engine chose is pinned with an
 * IP_PKTINFO / IPV6_PKTINFO control message.  The sender pays no system
 * call, and packets queued while the loop was busy leave in one.  Errors
 * the host reports then (a netfilter EPERM, say) are counted
 * (`txerrors`), as a driver's would be.  A packet counts in the
 * interface's opackets when the host takes it, in its oqdrops when it
 * does not; xkpi_shutdown() and the exit hook send what is still queued
 * (xk_rawtx_drain), within a bound.
 */
#include "core/xk.h"

#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <xkpi.h>

#include "backends/backend.h"
#include "backends/rawtx.h"
#include "core/if_var.h"
#include "core/mbuf_var.h"
#include "core/socket_var.h"

#define RT_BATCH	32	/* packets per sendmmsg batch */
#define RT_ROUNDS	8	/* batches per turn of the loop, for fairness */
#define RT_IOV_MAX	16	/* mbufs of a chain sent as they are */
#define RT_TXQ_MAX	4096	/* the interface output queue, packets */

/* A packet waiting in the output queue. */
struct rt_ent {
	struct __mbuf	*te_m;
	uint32_t	 te_ifindex;
};

/* One packet of a sendmmsg(2) batch, and what its msghdr points at. */
struct rt_msg {
	struct iovec	 tm_iov[RT_IOV_MAX];
	union {
		struct sockaddr_in  sin;
		struct sockaddr_in6 sin6;
	} tm_to;
	union {
		char		buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr	align;
	} tm_cbuf;
};

struct xk_rawtx {
	char		 rt_name[16];	/* the backend's */
	int		 rt_fd4;	/* raw IPv4, header included */
	int		 rt_fd6;	/* raw IPv6, header included */
	/* The output queue: a ring, under the core lock. */
	struct rt_ent	*rt_q;		/* RT_TXQ_MAX entries */
	unsigned int	 rt_q_head;
	unsigned int	 rt_q_n;
	unsigned int	 rt_q_busy;	/* taken by the drain, may come back */
	bool		 rt_draining;	/* a thread sends a batch */
	pthread_cond_t	 rt_cv;		/* rt_draining went false */
	struct rt_msg	*rt_msgs;	/* RT_BATCH, the sending thread's */
	struct event	*rt_kick;	/* packets queued */
	struct event	*rt_w4;		/* room again in rt_fd4 */
	struct event	*rt_w6;		/* room again in rt_fd6 */
	_Atomic uint64_t rt_errors;	/* the host refused a packet */
	uint64_t	 rt_full;	/* the output queue was full */
	uint64_t	 rt_lost;	/* queued, not sent by shutdown or exit */
};

static void rt_cb(evutil_socket_t fd, short what, void *arg);

void
xk_rawtx_free(struct xk_rawtx *tx)
{
	if (tx == NULL) {
		return;
	}
	while (tx->rt_q != NULL && tx->rt_q_n > 0) {
		xk_m_freem(tx->rt_q[tx->rt_q_head].te_m);
		tx->rt_q_head = (tx->rt_q_head + 1) % RT_TXQ_MAX;
		tx->rt_q_n--;
	}
	if (tx->rt_kick != NULL) {
		event_free(tx->rt_kick);
	}
	if (tx->rt_w4 != NULL) {
		event_free(tx->rt_w4);
	}
	if (tx->rt_w6 != NULL) {
		event_free(tx->rt_w6);
	}
	if (tx->rt_fd4 >= 0) {
		close(tx->rt_fd4);
	}
	if (tx->rt_fd6 >= 0) {
		close(tx->rt_fd6);
	}
	g_free(tx->rt_q);
	g_free(tx->rt_msgs);
	pthread_cond_destroy(&tx->rt_cv);
	g_free(tx);
}

/* Sets SO_MARK on @fd when @mark is not 0; 0 or the errno. */
static int
rt_mark(int fd, uint32_t mark)
{
	if (mark == 0 || setsockopt(fd, SOL_SOCKET, SO_MARK, &mark,
	    sizeof(mark)) == 0) {
		return 0;
	}
	return errno;
}

struct xk_rawtx *
xk_rawtx_open(struct event_base *base, const char *name, uint32_t mark,
    int *errorp)
{
	struct xk_rawtx *tx;
	int one = 1, error;

	if ((tx = g_try_new0(struct xk_rawtx, 1)) == NULL) {
		*errorp = ENOMEM;
		return NULL;
	}
	g_strlcpy(tx->rt_name, name, sizeof(tx->rt_name));
	tx->rt_fd4 = tx->rt_fd6 = -1;
	xk_cond_init(&tx->rt_cv);
	tx->rt_fd4 = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_RAW);
	if (tx->rt_fd4 < 0) {
		/* EPERM without CAP_NET_RAW, as the kernel says. */
		error = errno;
		goto fail;
	}
	if ((error = rt_mark(tx->rt_fd4, mark)) != 0) {
		goto fail;
	}
	tx->rt_fd6 = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_RAW);
	if (tx->rt_fd6 >= 0) {
		/* Implied by IPPROTO_RAW since Linux 4.5; say it anyway. */
		(void)setsockopt(tx->rt_fd6, IPPROTO_IPV6, IPV6_HDRINCL, &one,
		    sizeof(one));
		/* Nothing is read from it. */
		(void)shutdown(tx->rt_fd6, SHUT_RD);
		if ((error = rt_mark(tx->rt_fd6, mark)) != 0) {
			goto fail;
		}
	} else {
		xk_log(XKPI_LOG_WARN, "%s: no raw IPv6 socket (%s): IPv6 "
		    "output will fail", name, strerror(errno));
	}
	tx->rt_q = g_try_new0(struct rt_ent, RT_TXQ_MAX);
	tx->rt_msgs = g_try_new0(struct rt_msg, RT_BATCH);
	tx->rt_kick = event_new(base, -1, 0, rt_cb, tx);
	tx->rt_w4 = event_new(base, tx->rt_fd4, EV_WRITE, rt_cb, tx);
	/* Without IPv6 the event waits on nothing and is never added. */
	tx->rt_w6 = event_new(base, tx->rt_fd6, EV_WRITE, rt_cb, tx);
	if (tx->rt_q == NULL || tx->rt_msgs == NULL || tx->rt_kick == NULL ||
	    tx->rt_w4 == NULL || tx->rt_w6 == NULL) {
		error = ENOMEM;
		goto fail;
	}
	return tx;
fail:
	xk_rawtx_free(tx);
	*errorp = error;
	return NULL;
}

/* A contiguous copy of the packet @m (at most 16 KiB: one cluster). */
static struct __mbuf *
rt_linear(const struct __mbuf *m)
{
	size_t len = xk_m_length(m);
	struct __mbuf *c;

	if (len > XK_M16KCLBYTES ||
	    (c = xk_m_getcl(MBUF_TYPE_DATA, true, XK_M16KCLBYTES)) == NULL) {
		return NULL;
	}
	xk_m_copydata(m, 0, len, c->m_data);
	c->m_len = c->m_pkthdr.len = (int32_t)len;
	return c;
}

/*
 * Fills @mh (and @tm) to send queued packet @e: its mbufs as the iovec,
 * the destination from its header, the engine's interface pinned with
 * IP_PKTINFO / IPV6_PKTINFO.  The family in *@family; false when the
 * chain is too long and could not be made contiguous.
 */
static bool
rt_fill(struct rt_ent *e, struct msghdr *mh, struct rt_msg *tm,
    int *family)
{
	struct cmsghdr *cm = &tm->tm_cbuf.align;
	uint8_t vers = 0;
	size_t niov = 0;

	for (struct __mbuf *n = e->te_m; n != NULL; n = n->m_next) {
		if (n->m_len == 0) {
			continue;
		}
		if (niov == RT_IOV_MAX) {
			/* A long chain: once contiguous, then again. */
			struct __mbuf *c = rt_linear(e->te_m);

			if (c == NULL) {
				return false;
			}
			xk_m_freem(e->te_m);
			e->te_m = c;
			return rt_fill(e, mh, tm, family);
		}
		tm->tm_iov[niov].iov_base = n->m_data;
		tm->tm_iov[niov++].iov_len = (size_t)n->m_len;
	}
	memset(mh, 0, sizeof(*mh));
	memset(&tm->tm_to, 0, sizeof(tm->tm_to));
	memset(&tm->tm_cbuf, 0, sizeof(tm->tm_cbuf));
	mh->msg_iov = tm->tm_iov;
	mh->msg_iovlen = niov;
	mh->msg_name = &tm->tm_to;
	mh->msg_control = tm->tm_cbuf.buf;
	(void)xk_m_copydata(e->te_m, 0, 1, &vers);
	if (vers >> 4 == 4) {
		struct in_pktinfo pi = { .ipi_ifindex = (int)e->te_ifindex };

		*family = AF_INET;
		xk_m_copydata(e->te_m, offsetof(struct ip, ip_dst),
		    sizeof(struct in_addr), &tm->tm_to.sin.sin_addr);
		tm->tm_to.sin.sin_family = AF_INET;
		mh->msg_namelen = sizeof(tm->tm_to.sin);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
	} else {
		struct in6_pktinfo pi = { .ipi6_ifindex = e->te_ifindex };

		*family = AF_INET6;
		xk_m_copydata(e->te_m, offsetof(struct ip6_hdr, ip6_dst),
		    sizeof(struct in6_addr), &tm->tm_to.sin6.sin6_addr);
		tm->tm_to.sin6.sin6_family = AF_INET6;
		tm->tm_to.sin6.sin6_scope_id = e->te_ifindex;
		mh->msg_namelen = sizeof(tm->tm_to.sin6);
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
	}
	return true;
}

/*
 * Sends @n queued packets of one family on @fd, as few sendmmsg(2) calls
 * as the kernel allows.  Returns how many were taken; a packet the host
 * refuses is counted, marked in @failed and skipped, and a full socket
 * buffer (EAGAIN) stops the batch so the rest can wait for room.
 */
static unsigned int
rt_run(struct xk_rawtx *tx, int fd, struct mmsghdr *mm, unsigned int n,
    bool *failed, bool *full)
{
	unsigned int done = 0;

	*full = false;
	while (done < n) {
		int r = sendmmsg(fd, mm + done, n - done,
		    MSG_DONTWAIT | MSG_NOSIGNAL);

		if (r > 0) {
			done += (unsigned int)r;
		} else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			*full = true;
			break;
		} else if (r < 0 && errno == EINTR) {
			continue;
		} else {
			/* This packet: EMSGSIZE, ENETUNREACH, EPERM, ... */
			atomic_fetch_add_explicit(&tx->rt_errors, 1,
			    memory_order_relaxed);
			failed[done++] = true;
		}
	}
	return done;
}

/* What one rt_batch() did. */
enum rt_res {
	RT_EMPTY,		/* nothing was queued */
	RT_SENT,		/* a batch went */
	RT_FULL,		/* the host's buffer is full: wait for room */
	RT_BUSY		/* another thread sends */
};

/*
 * Counts the packets of @ents that the host took (if_opackets) or
 * refused (if_oqdrops), by their interface.  Core lock held.
 */
static void
rt_count_locked(const struct rt_ent *ents, const bool *failed,
    unsigned int n)
{
	struct __ifnet *ifp = NULL;

	XK_LOCK_ASSERT();
	for (unsigned int t = 0; t < n; t++) {
		if (ifp == NULL || ifp->if_index != ents[t].te_ifindex) {
			ifp = xk_if_byindex_locked(ents[t].te_ifindex);
		}
		if (ifp == NULL) {
			continue;	/* detached meanwhile: txerrors only */
		}
		if (failed[t]) {
			ifp->if_oqdrops++;
		} else {
			ifp->if_opackets++;
		}
	}
}

/*
 * One batch of the interface output queue: up to RT_BATCH packets taken
 * under the core lock, sent without it, counted under it again.  One
 * thread sends at a time (rt_draining): the loop's rt_cb, or
 * xk_rawtx_drain for xkpi_shutdown() and the exit hook.  Another thread's
 * batch is waited for until @wait_until (0: not at all; RT_BUSY).
 * RT_FULL when the host's buffer is full, with the socket to wait on
 * in *@wfd: what is left went back to the head of the queue, in order.
 */
static enum rt_res
rt_batch(struct xk_rawtx *tx, gint64 wait_until, int *wfd)
{
	struct rt_ent ents[RT_BATCH];
	struct mmsghdr mm[RT_BATCH];
	bool failed[RT_BATCH];
	struct rt_msg *tm = tx->rt_msgs;
	unsigned int n = 0, i = 0;
	bool full = false;

	xk_core_lock();
	while (tx->rt_draining) {
		if (wait_until == 0 || g_get_monotonic_time() >= wait_until) {
			xk_core_unlock();
			return RT_BUSY;
		}
		(void)xk_cond_wait(&tx->rt_cv, wait_until);
	}
	while (n < RT_BATCH && tx->rt_q_n > 0) {
		ents[n++] = tx->rt_q[tx->rt_q_head];
		tx->rt_q_head = (tx->rt_q_head + 1) % RT_TXQ_MAX;
		tx->rt_q_n--;
	}
	/* Their places stay reserved: what waits for room returns. */
	tx->rt_q_busy = n;
	tx->rt_draining = n > 0;
	xk_core_unlock();
	if (n == 0) {
		return RT_EMPTY;
	}
	memset(failed, 0, sizeof(failed));
	while (i < n && !full) {
		unsigned int j = i, k = 0;
		int family = 0, f, fd;

		/* A run of one family: one socket, one sendmmsg. */
		while (j < n) {
			if (!rt_fill(&ents[j], &mm[k].msg_hdr, &tm[k], &f)) {
				atomic_fetch_add_explicit(&tx->rt_errors, 1,
				    memory_order_relaxed);
				if (k == 0) {
					failed[j] = true;
					i = ++j;
					continue;
				}
				break;
			}
			if (k > 0 && f != family) {
				break;
			}
			family = f;
			mm[k].msg_len = 0;
			k++;
			j++;
		}
		if (k == 0) {
			continue;
		}
		fd = family == AF_INET ? tx->rt_fd4 : tx->rt_fd6;
		i += rt_run(tx, fd, mm, k, failed + i, &full);
		if (full) {
			*wfd = fd;
		}
	}
	xk_core_lock();
	rt_count_locked(ents, failed, i);
	/* Put back what waits for room, ahead of the rest. */
	for (unsigned int t = n; t > i; t--) {
		tx->rt_q_head = (tx->rt_q_head + RT_TXQ_MAX - 1) %
		    RT_TXQ_MAX;
		tx->rt_q[tx->rt_q_head] = ents[t - 1];
		tx->rt_q_n++;
	}
	tx->rt_q_busy = 0;
	tx->rt_draining = false;
	pthread_cond_broadcast(&tx->rt_cv);
	xk_core_unlock();
	for (unsigned int t = 0; t < i; t++) {
		xk_m_freem(ents[t].te_m);
	}
	return full ? RT_FULL : RT_SENT;
}

/*
 * The interface output queue's drain, on the loop thread: up to
 * RT_ROUNDS batches, then the next turn of the loop.  When the kernel's
 * buffer is full, what is left waits for the socket to be writable
 * again, in order.
 */
static void
rt_cb(evutil_socket_t fd, short what, void *arg)
{
	struct xk_rawtx *tx = arg;
	enum rt_res r = RT_SENT;
	int wfd = -1;
	bool was;

	(void)fd;
	(void)what;
	was = xk_loop_enter();
	for (int round = 0; round < RT_ROUNDS && r == RT_SENT; round++) {
		r = rt_batch(tx, 0, &wfd);
	}
	if (r == RT_FULL) {
		event_add(wfd == tx->rt_fd4 ? tx->rt_w4 : tx->rt_w6, NULL);
	}
	/* Another thread sending (xk_rawtx_drain) sends the rest. */
	xk_core_lock();
	if (r == RT_SENT && tx->rt_q_n > 0 &&
	    !event_pending(tx->rt_w4, EV_WRITE, NULL) &&
	    !event_pending(tx->rt_w6, EV_WRITE, NULL)) {
		event_active(tx->rt_kick, 0, 0);	/* fairness: next turn */
	}
	xk_core_unlock();
	xk_loop_leave(was);
}

void
xk_rawtx_drain(struct xk_rawtx *tx, int64_t deadline, const char *why)
{
	struct __ifnet *ifp = NULL;
	enum rt_res r;
	unsigned int lost = 0;

	do {
		int wfd = -1;

		r = rt_batch(tx, deadline, &wfd);
		if (r == RT_FULL) {
			struct pollfd pfd = { .fd = wfd, .events = POLLOUT };
			gint64 left = deadline - g_get_monotonic_time();

			if (left > 0) {
				(void)poll(&pfd, 1, (int)((left + 999) / 1000));
			}
		}
	} while (r != RT_EMPTY && r != RT_BUSY &&
	    g_get_monotonic_time() < deadline);
	xk_core_lock();
	while (tx->rt_q_n > 0) {
		struct rt_ent *e = &tx->rt_q[tx->rt_q_head];

		if (ifp == NULL || ifp->if_index != e->te_ifindex) {
			ifp = xk_if_byindex_locked(e->te_ifindex);
		}
		if (ifp != NULL) {
			ifp->if_oqdrops++;
		}
		xk_m_freem(e->te_m);
		e->te_m = NULL;
		tx->rt_q_head = (tx->rt_q_head + 1) % RT_TXQ_MAX;
		tx->rt_q_n--;
		tx->rt_lost++;
		lost++;
	}
	xk_core_unlock();
	if (lost > 0) {
		xk_log(XKPI_LOG_WARN, "%s: %u queued packet(s) did not "
		    "leave by %s (if.*.oqdrops, be.%s.txlost)", tx->rt_name,
		    lost, why, tx->rt_name);
	}
}

void
xk_rawtx_output(struct xk_rawtx *tx, struct xk_be_pkt *pkts, unsigned int n,
    unsigned int *sent)
{
	bool was_empty = tx->rt_q_n == 0;

	XK_LOCK_ASSERT();
	*sent = 0;
	for (unsigned int i = 0; i < n; i++) {
		struct __mbuf *m = pkts[i].bp_m;
		uint8_t vers = 0;
		bool full;

		pkts[i].bp_m = NULL;
		(void)xk_m_copydata(m, 0, 1, &vers);
		full = tx->rt_q_n + tx->rt_q_busy >= RT_TXQ_MAX;
		if (full || (vers >> 4 == 6 && tx->rt_fd6 < 0)) {
			pkts[i].bp_error = full ? ENOBUFS : EAFNOSUPPORT;
			tx->rt_full += pkts[i].bp_error == ENOBUFS;
			xk_m_freem(m);
			continue;
		}
		tx->rt_q[(tx->rt_q_head + tx->rt_q_n) % RT_TXQ_MAX] =
		    (struct rt_ent){ m, pkts[i].bp_ifindex };
		tx->rt_q_n++;
		(*sent)++;
	}
	if (was_empty && tx->rt_q_n > 0) {
		event_active(tx->rt_kick, 0, 0);
	}
}

unsigned int
xk_rawtx_pending(const struct xk_rawtx *tx)
{
	XK_LOCK_ASSERT();
	return tx->rt_q_n + tx->rt_q_busy;
}

void
xk_rawtx_count_lost(struct xk_rawtx *tx, unsigned int n)
{
	XK_LOCK_ASSERT();
	tx->rt_lost += n;
}

void
xk_rawtx_stats(struct xk_rawtx *tx,
    void (*fn)(void *ctx, const char *name, uint64_t value), void *ctx)
{
	char name[64];

	snprintf(name, sizeof(name), "%s.txfull", tx->rt_name);
	fn(ctx, name, tx->rt_full);
	snprintf(name, sizeof(name), "%s.txerrors", tx->rt_name);
	fn(ctx, name, atomic_load_explicit(&tx->rt_errors,
	    memory_order_relaxed));
	snprintf(name, sizeof(name), "%s.txlost", tx->rt_name);
	fn(ctx, name, tx->rt_lost);
}

void
xk_rawtx_stop(struct xk_rawtx *tx)
{
	event_del(tx->rt_kick);
	event_del(tx->rt_w4);
	event_del(tx->rt_w6);
}
