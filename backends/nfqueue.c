/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The nfqueue backend: the host's own packets, taken out of its path by
 * netfilter's NFQUEUE target and held until the engine's verdict
 * (libnetfilter_queue over libmnl).
 *
 * Queues.  Every queue of XKPI_NFQUEUE (default 0) is bound, in copy
 * mode NFQNL_COPY_PACKET (the whole packet, up to 65531 bytes), with
 * NFQA_CFG_F_GSO (a GSO packet comes whole, not cut in segments) and
 * NFQA_CFG_F_FAIL_OPEN unless XKPI_NFQUEUE_FAIL=closed (a full queue lets
 * packets pass instead of dropping them).  The user installs the kernel
 * side (docs/backends.md); the library never runs iptables.
 *
 * Channels.  With L loops (XKPI_THREADS) and Q queues there are
 * min(L, Q) channels: a channel is a netlink socket, its receive
 * buffers, its verdicts waiting and its held packets, and its events run
 * on one loop, channel c's on loop c (the backend's own base for channel
 * 0).  The k-th queue of the sorted list is bound to channel
 * k % channels.  A packet is received, held, answered, expired and
 * released on the channel of its queue: a verdict is for a queue bound
 * to one socket, and goes out on that socket.  What the channels share
 * is under the core lock (the softc's flags, every channel's table and
 * verdict buffer) or atomic (the counters).
 *
 * Receive, on the channel's loop: recvmmsg(2) of up to NF_BATCH messages,
 * each packet copied once into an mbuf and handed to the engine with its
 * interface, direction (PREROUTING, INPUT and FORWARD in; OUTPUT and
 * POSTROUTING out), mark, timestamp and hold id ((queue + 1) << 32 |
 * packet id).  A locally sent packet whose checksum the host leaves to
 * the device (NFQA_SKB_CSUMNOTREADY) gets its TCP or UDP checksum
 * completed in the copy, so that the engine sees the packet the wire
 * will see.  Packets the engine cannot see (not IP, an interface not
 * attached) get NF_ACCEPT at once; those it should but cannot (no mbuf,
 * truncated) get the failure policy's verdict; each is counted.
 *
 * Held packets.  Every packet handed to the engine stays in its
 * channel's table until be_verdict answers it; one nobody answers gets
 * NF_DROP after XKPI_NFQUEUE_HOLD_MS (held_expired).  The table
 * (core/held.c, by hold id only, allocation-free once made) has room
 * for the kernel's queue length of each of the channel's queues, at
 * most NF_HELD_MAX: the kernel queues no more, unless it let go of
 * packets still held (their interface went down); then the oldest held
 * packet gets NF_DROP to make room (held_evicted).  Verdicts are queued
 * on their channel and sent together, one sendmsg(2) of many netlink
 * messages: at the end of each input batch of the channel, and before
 * the channel's loop sleeps when they were given outside one (a user
 * thread's write-back, another channel's batch).  At shutdown (be_drain,
 * be_stop) the queues are set to let every new packet pass, and every
 * packet still held, or still waiting in a socket, gets NF_ACCEPT
 * (held_released): the library fails open as it goes.
 *
 * Send.  New packets (be_output) leave as on the linux backend
 * (rawtx.c), on raw sockets that carry the mark XKPI_NFQUEUE_MARK
 * (SO_MARK): the user's rules skip marked packets, so what the library
 * sends does not come back through its queue.  A packet written back
 * inward that answers no held packet (be_inject_in) goes out of the same
 * socket unpinned: the host routes it, and delivers it through loopback
 * when it is addressed to the host.
 *
 * Interfaces.  Unless an interface was attached before the loop first
 * runs (XKPI_IFACES, xkpi_if_attach()), every host interface is attached
 * on the loop's first turn, and one that appears later when its first
 * packet is queued; otherwise only the attached ones are intercepted,
 * and packets of the others pass (unattached).
 */
#include "core/xk.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <event2/event.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <xkpi.h>

#include "backends/backend.h"
#include "backends/hostif.h"
#include "backends/rawtx.h"
#include "core/held.h"
#include "core/if_var.h"
#include "core/mbuf_var.h"
#include "core/socket_var.h"

#define NF_BATCH	32	/* messages per recvmmsg, packets per batch */
#define NF_ROUNDS	8	/* batches per readable event, for fairness */
#define NF_RXBUF	(65536 + 4096)	/* one message: a whole packet */
#define NF_COPY_RANGE	0xffff	/* the kernel caps it at 65531 */
#define NF_PAYLOAD_MAX	(0xffff - MNL_ATTR_HDRLEN) /* a verdict's bytes */
#define NF_VBUF		(256 * 1024)	/* verdicts sent in one go */
#define NF_RCVBUF	(8 << 20)	/* packets the kernel may queue to us */
#define NF_SNDBUF	(1 << 20)
#define NF_QUEUES_MAX	1024	/* queue numbers in XKPI_NFQUEUE */
#define NF_SETUP_MS	2000	/* the kernel's answer to a bind */
#define NF_STOP_MSGS	65536	/* messages read from the socket at stop */
#define NF_RETRY_MS	1	/* a verdict batch the host refused */
#define NF_MARK_DEFAULT	0x786b	/* "xk" */
#define NF_HOLD_MS_MAX	3600000
#define NF_MAXLEN_DEFAULT 1024	/* the kernel's queue length */
#define NF_HELD_MAX	(1u << 20) /* held packets a channel has room for */

#define NF_INC(c)	atomic_fetch_add_explicit(&(c), 1, memory_order_relaxed)
#define NF_GET(c)	atomic_load_explicit(&(c), memory_order_relaxed)

/* One bound queue. */
struct nf_queue {
	uint16_t	 nq_num;
	unsigned int	 nq_chan;	/* its channel, in ns_chans */
	uint32_t	 nq_lastid;	/* the last packet id seen (its
					   channel's loop) */
	_Atomic uint64_t nq_missed;	/* ids the kernel gave and never sent */
	_Atomic uint64_t nq_packets;	/* handed to the engine */
};

/* A verdict decided in the receive path, before the core lock is taken. */
struct nf_direct {
	uint16_t	 nd_queue;
	uint32_t	 nd_id;
	int		 nd_verdict;	/* NF_ACCEPT, NF_DROP */
};

struct nf_softc;

/*
 * A channel: one netlink socket, bound to the queues whose nq_chan is
 * its index, and everything that belongs to that socket.  Its events run
 * on one loop, so its receive buffers have one user at a time.
 */
struct nf_chan {
	struct nf_softc	*nc_sc;
	struct xk_backend *nc_be;
	unsigned int	 nc_index;	/* in ns_chans; its loop's number */
	struct mnl_socket *nc_nl;
	int		 nc_fd;
	uint32_t	 nc_portid;
	uint32_t	 nc_seq;	/* be_open's requests */
	struct event	*nc_rxev;	/* the socket is readable */
	struct event	*nc_flushev;	/* verdicts wait: send before sleep */
	struct event	*nc_expev;	/* the oldest held packet's bound */
	struct event	*nc_retryev;	/* send the verdicts again */

	/* Receive buffers: its loop's (and be_open's, be_stop's). */
	uint8_t		*nc_rxbuf;	/* NF_BATCH * NF_RXBUF */
	struct mmsghdr	 nc_mm[NF_BATCH];
	struct iovec	 nc_iov[NF_BATCH];

	/* Under the core lock. */
	bool		 nc_in_input;	/* its loop is in an input batch */
	bool		 nc_flush_armed;
	struct xk_held	*nc_held;	/* the packets the engine holds, by
					   hold id, arrival time
					   (g_get_monotonic_time()) */
	uint32_t	 nc_held_cap;	/* room in nc_held */
	char		*nc_vbuf;	/* verdict messages waiting */
	size_t		 nc_vlen;
	size_t		 nc_vcap;	/* what one sendmsg may carry */
};

struct nf_softc {
	/* Configuration, fixed at be_open. */
	struct nf_queue	*ns_queues;	/* sorted by number */
	unsigned int	 ns_nqueues;
	bool		 ns_failopen;
	uint32_t	 ns_maxlen;	/* 0: the kernel's default (1024) */
	uint32_t	 ns_mark;
	gint64		 ns_hold_us;

	struct nf_chan	*ns_chans;	/* min(loops, queues) of them */
	unsigned int	 ns_nchans;
	struct xk_rawtx	*ns_tx;
	struct xk_hostif_mon *ns_mon;
	struct event	*ns_autoev;	/* attach every interface */

	/* Under the core lock. */
	bool		 ns_auto;	/* no interface attached explicitly */
	bool		 ns_keepauto;	/* an interface detached in auto mode:
					   attaching one again keeps it */
	bool		 ns_setup;	/* be_open binds the queues */
	bool		 ns_bypass;	/* the queues let everything pass */
	bool		 ns_stopped;	/* nf_stop ran */

	/* Counters (be.nfqueue.*). */
	_Atomic uint64_t ns_rx;		/* handed to the engine */
	_Atomic uint64_t ns_rx_enobufs;	/* the socket overran */
	_Atomic uint64_t ns_rxerrors;	/* other receive errors */
	_Atomic uint64_t ns_badmsg;	/* a message that did not parse */
	_Atomic uint64_t ns_truncated;	/* bigger than the copy range */
	_Atomic uint64_t ns_nomem;	/* no mbuf for a packet */
	_Atomic uint64_t ns_notip;	/* neither IPv4 nor IPv6: passed */
	_Atomic uint64_t ns_unattached;	/* interface not attached: passed */
	_Atomic uint64_t ns_verdicts;	/* verdicts sent */
	_Atomic uint64_t ns_verdict_errors; /* the kernel refused one */
	_Atomic uint64_t ns_verdict_sendfail; /* a batch had to wait */
	_Atomic uint64_t ns_verdict_lost; /* no room for a verdict */
	_Atomic uint64_t ns_toobig;	/* a rewrite over 65531 bytes: drop */
	_Atomic uint64_t ns_expired;	/* held past the bound: dropped */
	_Atomic uint64_t ns_evicted;	/* the oldest held, dropped for room */
	_Atomic uint64_t ns_released;	/* accepted at shutdown */
	_Atomic uint64_t ns_injected_in; /* be_inject_in */
};

static void nf_flush_locked(struct nf_chan *ch);

/* Configuration. */

/* A decimal number in [lo, hi] that is all of @s; -1 otherwise. */
static long long
nf_number(const char *s, int base, long long lo, long long hi)
{
	char *end;
	long long v;

	if (*s == '\0' || *s == '-' || *s == '+' || *s == ' ') {
		return -1;
	}
	errno = 0;
	v = strtoll(s, &end, base);
	if (errno != 0 || *end != '\0' || v < lo || v > hi) {
		return -1;
	}
	return v;
}

static int
nf_queue_cmp(const void *a, const void *b)
{
	const struct nf_queue *qa = a, *qb = b;

	return (int)qa->nq_num - (int)qb->nq_num;
}

/*
 * XKPI_NFQUEUE: `N`, `N-M` and comma lists of them, every number up to
 * 65535, at most NF_QUEUES_MAX queues, none twice.  Unset or empty: 0.
 */
static int
nf_parse_queues(struct nf_softc *sc, const char *spec)
{
	gchar **items;
	int error = 0;

	if (spec == NULL || *spec == '\0') {
		spec = "0";
	}
	if ((sc->ns_queues = g_try_new0(struct nf_queue, NF_QUEUES_MAX)) ==
	    NULL) {
		return ENOMEM;
	}
	items = g_strsplit(spec, ",", -1);
	for (gchar **it = items; *it != NULL && error == 0; it++) {
		char *dash = strchr(*it, '-');
		long long lo, hi;

		if (dash != NULL) {
			*dash = '\0';
			lo = nf_number(*it, 10, 0, 65535);
			hi = nf_number(dash + 1, 10, 0, 65535);
		} else {
			lo = hi = nf_number(*it, 10, 0, 65535);
		}
		if (lo < 0 || hi < lo ||
		    sc->ns_nqueues + (hi - lo + 1) > NF_QUEUES_MAX) {
			error = EINVAL;
			break;
		}
		for (long long q = lo; q <= hi; q++) {
			sc->ns_queues[sc->ns_nqueues++].nq_num = (uint16_t)q;
		}
	}
	g_strfreev(items);
	if (error == 0) {
		qsort(sc->ns_queues, sc->ns_nqueues, sizeof(sc->ns_queues[0]),
		    nf_queue_cmp);
		for (unsigned int i = 1; i < sc->ns_nqueues; i++) {
			if (sc->ns_queues[i].nq_num ==
			    sc->ns_queues[i - 1].nq_num) {
				error = EINVAL;
			}
		}
	}
	if (error != 0) {
		xk_log(XKPI_LOG_ERROR, "XKPI_NFQUEUE=%s: not N, N-M or a comma "
		    "list of them (0 to 65535, at most %d queues, none twice)",
		    spec, NF_QUEUES_MAX);
	}
	return error;
}

/* Reads the XKPI_NFQUEUE* variables into @sc; EINVAL for a bad value. */
static int
nf_config(struct nf_softc *sc)
{
	const char *v;
	long long n;
	int error;

	if ((error = nf_parse_queues(sc, getenv("XKPI_NFQUEUE"))) != 0) {
		return error;
	}
	v = getenv("XKPI_NFQUEUE_FAIL");
	if (v == NULL || *v == '\0' || strcmp(v, "open") == 0) {
		sc->ns_failopen = true;
	} else if (strcmp(v, "closed") == 0) {
		sc->ns_failopen = false;
	} else {
		xk_log(XKPI_LOG_ERROR, "XKPI_NFQUEUE_FAIL=%s: not open or "
		    "closed", v);
		return EINVAL;
	}
	sc->ns_hold_us = (gint64)XK_HOLD_MS_DEFAULT * 1000;
	if ((v = getenv("XKPI_NFQUEUE_HOLD_MS")) != NULL && *v != '\0') {
		if ((n = nf_number(v, 10, 1, NF_HOLD_MS_MAX)) < 0) {
			xk_log(XKPI_LOG_ERROR, "XKPI_NFQUEUE_HOLD_MS=%s: not a "
			    "number of milliseconds from 1 to %d", v,
			    NF_HOLD_MS_MAX);
			return EINVAL;
		}
		sc->ns_hold_us = (gint64)n * 1000;
	}
	sc->ns_mark = NF_MARK_DEFAULT;
	if ((v = getenv("XKPI_NFQUEUE_MARK")) != NULL && *v != '\0') {
		if ((n = nf_number(v, 0, 1, UINT32_MAX)) < 0) {
			xk_log(XKPI_LOG_ERROR, "XKPI_NFQUEUE_MARK=%s: not a "
			    "mark from 1 to 0xffffffff", v);
			return EINVAL;
		}
		sc->ns_mark = (uint32_t)n;
	}
	if ((v = getenv("XKPI_NFQUEUE_MAXLEN")) != NULL && *v != '\0') {
		if ((n = nf_number(v, 10, 1, UINT32_MAX)) < 0) {
			xk_log(XKPI_LOG_ERROR, "XKPI_NFQUEUE_MAXLEN=%s: not a "
			    "number of packets from 1 to 4294967295", v);
			return EINVAL;
		}
		sc->ns_maxlen = (uint32_t)n;
	}
	return 0;
}

static struct nf_queue *
nf_queue_find(struct nf_softc *sc, uint16_t num)
{
	struct nf_queue key = { .nq_num = num };

	return bsearch(&key, sc->ns_queues, sc->ns_nqueues,
	    sizeof(sc->ns_queues[0]), nf_queue_cmp);
}

/* Verdicts. */

static uint64_t
nf_hold_id(uint16_t queue, uint32_t id)
{
	return ((uint64_t)queue + 1) << 32 | id;
}

/* The queue number of hold id @hold. */
static uint16_t
nf_hold_queue(uint64_t hold)
{
	return (uint16_t)((hold >> 32) - 1);
}

/* The channel that has queue @num bound (the first for one not ours). */
static struct nf_chan *
nf_chan_of(struct nf_softc *sc, uint16_t num)
{
	struct nf_queue *q;

	if (sc->ns_nchans == 1 || (q = nf_queue_find(sc, num)) == NULL) {
		return &sc->ns_chans[0];
	}
	return &sc->ns_chans[q->nq_chan];
}

/* Sends @ch's waiting verdicts in one sendmsg(2).  Core lock held. */
static void
nf_flush_locked(struct nf_chan *ch)
{
	XK_LOCK_ASSERT();
	if (ch->nc_vlen == 0) {
		return;
	}
	if (mnl_socket_sendto(ch->nc_nl, ch->nc_vbuf, ch->nc_vlen) < 0) {
		struct timeval tv = { 0, NF_RETRY_MS * 1000 };

		/*
		 * The host could not take them now (no memory for the
		 * message): they stay, and go again shortly.
		 */
		NF_INC(ch->nc_sc->ns_verdict_sendfail);
		if (ch->nc_retryev != NULL &&
		    !evtimer_pending(ch->nc_retryev, NULL)) {
			evtimer_add(ch->nc_retryev, &tv);
		}
		return;
	}
	ch->nc_vlen = 0;
}

/*
 * Queues on @ch, the channel of @queue, the verdict @verdict on packet
 * @id of @queue, with the bytes of @m (NULL: unchanged).  Core lock held.
 */
static void
nf_vput_locked(struct nf_chan *ch, uint16_t queue, uint32_t id,
    int verdict, const struct __mbuf *m)
{
	size_t len = m != NULL ? xk_m_length(m) : 0;
	size_t need = MNL_NLMSG_HDRLEN + 64 + MNL_ALIGN(MNL_ATTR_HDRLEN + len);
	struct nlmsghdr *nlh;

	XK_LOCK_ASSERT();
	if (ch->nc_vlen + need > ch->nc_vcap) {
		nf_flush_locked(ch);
	}
	if (ch->nc_vlen + need > ch->nc_vcap) {
		/* Still no room: the host keeps the packet until we go. */
		NF_INC(ch->nc_sc->ns_verdict_lost);
		xk_log(XKPI_LOG_WARN, "nfqueue: no room for the verdict on "
		    "packet %u of queue %u (be.nfqueue.verdict_lost)", id,
		    queue);
		return;
	}
	nlh = nfq_nlmsg_put(ch->nc_vbuf + ch->nc_vlen, NFQNL_MSG_VERDICT,
	    queue);
	nfq_nlmsg_verdict_put(nlh, (int)id, verdict);
	if (m != NULL) {
		struct nlattr *a = mnl_nlmsg_get_payload_tail(nlh);
		size_t alen = MNL_ATTR_HDRLEN + len;

		a->nla_type = NFQA_PAYLOAD;
		a->nla_len = (uint16_t)alen;
		(void)xk_m_copydata(m, 0, len, (char *)a + MNL_ATTR_HDRLEN);
		memset((char *)a + alen, 0, MNL_ALIGN(alen) - alen);
		nlh->nlmsg_len += MNL_ALIGN(alen);
	}
	ch->nc_vlen += nlh->nlmsg_len;
	NF_INC(ch->nc_sc->ns_verdicts);
}

/*
 * Verdicts given outside an input batch of @ch (on another thread, or in
 * another channel's batch) leave before @ch's loop sleeps.
 */
static void
nf_flush_soon_locked(struct nf_chan *ch)
{
	XK_LOCK_ASSERT();
	if (!ch->nc_in_input && !ch->nc_flush_armed && ch->nc_vlen > 0 &&
	    ch->nc_flushev != NULL) {
		ch->nc_flush_armed = true;
		event_active(ch->nc_flushev, 0, 0);
	}
}

static void
nf_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct nf_chan *ch = arg;

	(void)fd;
	(void)what;
	xk_core_lock();
	ch->nc_flush_armed = false;
	nf_flush_locked(ch);
	xk_core_unlock();
}

/*
 * Arms the bound of @ch's oldest held packet, if not armed.  @ch's loop
 * thread.
 */
static void
nf_expiry_arm_locked(struct nf_chan *ch)
{
	struct timeval tv;
	int64_t when;
	gint64 left;

	XK_LOCK_ASSERT();
	if (ch->nc_expev == NULL || evtimer_pending(ch->nc_expev, NULL) ||
	    xk_held_oldest(ch->nc_held, &when, NULL) == 0) {
		return;
	}
	left = when + ch->nc_sc->ns_hold_us - g_get_monotonic_time();
	if (left < 0) {
		left = 0;
	}
	tv.tv_sec = (time_t)(left / 1000000);
	tv.tv_usec = (suseconds_t)(left % 1000000);
	evtimer_add(ch->nc_expev, &tv);
}

/* @ch's held packets past their bound get NF_DROP and are counted. */
static void
nf_expiry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct nf_chan *ch = arg;
	struct nf_softc *sc = ch->nc_sc;
	unsigned int n = 0;
	uint64_t hold;
	int64_t when;
	gint64 now;

	(void)fd;
	(void)what;
	xk_core_lock();
	now = g_get_monotonic_time();
	while ((hold = xk_held_oldest(ch->nc_held, &when, NULL)) != 0 &&
	    when + sc->ns_hold_us <= now) {
		nf_vput_locked(ch, nf_hold_queue(hold), (uint32_t)hold,
		    NF_DROP, NULL);
		NF_INC(sc->ns_expired);
		(void)xk_held_answer(ch->nc_held, hold, NULL, NULL);
		n++;
	}
	nf_flush_locked(ch);
	nf_expiry_arm_locked(ch);
	xk_core_unlock();
	if (n > 0) {
		xk_log(XKPI_LOG_DEBUG, "nfqueue: %u held packet(s) unanswered "
		    "after %lld ms: dropped (be.nfqueue.held_expired)", n,
		    (long long)(sc->ns_hold_us / 1000));
	}
}

/* On any thread; the verdict goes out on the socket of the hold's queue. */
static int
nf_verdict(struct xk_backend *be, uint64_t hold, enum xk_verdict verdict,
    struct __mbuf *m)
{
	struct nf_softc *sc = be->be_softc;
	uint16_t queue = nf_hold_queue(hold);
	struct nf_chan *ch = nf_chan_of(sc, queue);
	int v = verdict == XK_VERDICT_ACCEPT ? NF_ACCEPT : NF_DROP;

	XK_LOCK_ASSERT();
	if (xk_held_answer(ch->nc_held, hold, NULL, NULL) == 0) {
		return ENOENT;	/* @m stays the caller's */
	}
	if (m != NULL && v == NF_ACCEPT && xk_m_length(m) > NF_PAYLOAD_MAX) {
		/* A verdict cannot carry it (16-bit attribute length). */
		NF_INC(sc->ns_toobig);
		v = NF_DROP;
	}
	nf_vput_locked(ch, queue, (uint32_t)hold, v,
	    v == NF_ACCEPT ? m : NULL);
	xk_m_freem(m);
	nf_flush_soon_locked(ch);
	return 0;
}

/* A held packet of channel @ctx let go at shutdown.  Core lock held. */
static void
nf_release_one(void *ctx, uint64_t hold, uint32_t data)
{
	struct nf_chan *ch = ctx;

	(void)data;
	nf_vput_locked(ch, nf_hold_queue(hold), (uint32_t)hold, NF_ACCEPT,
	    NULL);
	NF_INC(ch->nc_sc->ns_released);
}

/*
 * Every packet still held, on every channel, gets NF_ACCEPT (shutdown:
 * the library fails open as it goes), oldest first, counted in
 * held_released.  Core lock held.
 */
static void
nf_release_locked(struct nf_softc *sc)
{
	XK_LOCK_ASSERT();
	for (unsigned int c = 0; c < sc->ns_nchans; c++) {
		struct nf_chan *ch = &sc->ns_chans[c];

		if (ch->nc_held != NULL) {
			(void)xk_held_clear(ch->nc_held, nf_release_one, ch);
		}
		nf_flush_locked(ch);
	}
}

/* Receive. */

/* A 16-bit one's complement sum of @len bytes at @p, added to @sum. */
static uint32_t
nf_sum(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	}
	if (i < len) {
		sum += (uint32_t)p[i] << 8;
	}
	while (sum >> 16) {
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return sum;
}

/*
 * Completes the TCP or UDP checksum of a packet the host sent with its
 * checksum left to the device (CHECKSUM_PARTIAL: the field holds only
 * the pseudo-header's sum): computed whole, in place.  Other protocols,
 * fragments and IPv6 packets with a routing header are left alone.
 */
static void
nf_csum_complete(uint8_t *p, size_t len)
{
	uint8_t pseudo[40];
	size_t off, plen, l4len, coff;
	uint32_t sum;
	uint8_t proto;

	if (len < 1) {
		return;
	}
	if (p[0] >> 4 == 4) {
		size_t tot;

		off = (size_t)(p[0] & 0x0f) * 4;
		if (len < sizeof(struct ip) || off < sizeof(struct ip) ||
		    off > len) {
			return;
		}
		tot = (size_t)p[2] << 8 | p[3];
		if (tot > len || tot < off || (p[6] & 0x3f) != 0 ||
		    p[7] != 0) {
			return;	/* inconsistent, or a fragment */
		}
		proto = p[9];
		l4len = tot - off;
		memcpy(pseudo, p + 12, 8);
		pseudo[8] = 0;
		pseudo[9] = proto;
		pseudo[10] = (uint8_t)(l4len >> 8);
		pseudo[11] = (uint8_t)l4len;
		plen = 12;
	} else if (p[0] >> 4 == 6) {
		if (len < sizeof(struct ip6_hdr)) {
			return;
		}
		proto = p[6];
		off = sizeof(struct ip6_hdr);
		while (proto == IPPROTO_HOPOPTS || proto == IPPROTO_DSTOPTS) {
			if (off + 8 > len) {
				return;
			}
			proto = p[off];
			off += ((size_t)p[off + 1] + 1) * 8;
		}
		if (off > len ||
		    sizeof(struct ip6_hdr) + ((size_t)p[4] << 8 | p[5]) > len ||
		    sizeof(struct ip6_hdr) + ((size_t)p[4] << 8 | p[5]) < off) {
			return;
		}
		l4len = sizeof(struct ip6_hdr) + ((size_t)p[4] << 8 | p[5]) -
		    off;
		memcpy(pseudo, p + 8, 32);
		pseudo[32] = (uint8_t)(l4len >> 24);
		pseudo[33] = (uint8_t)(l4len >> 16);
		pseudo[34] = (uint8_t)(l4len >> 8);
		pseudo[35] = (uint8_t)l4len;
		pseudo[36] = pseudo[37] = pseudo[38] = 0;
		pseudo[39] = proto;
		plen = 40;
	} else {
		return;
	}
	if (proto == IPPROTO_TCP && l4len >= 20) {
		coff = 16;
	} else if (proto == IPPROTO_UDP && l4len >= 8) {
		coff = 6;
	} else {
		return;
	}
	p[off + coff] = p[off + coff + 1] = 0;
	sum = nf_sum(nf_sum(0, pseudo, plen), p + off, l4len);
	sum = ~sum & 0xffff;
	if (sum == 0 && proto == IPPROTO_UDP) {
		sum = 0xffff;
	}
	p[off + coff] = (uint8_t)(sum >> 8);
	p[off + coff + 1] = (uint8_t)sum;
}

/* What nf_packet made of one message. */
enum nf_rx {
	NF_RX_NONE,		/* not a packet (an error report, say) */
	NF_RX_ENGINE,		/* a packet for the engine, in *@p */
	NF_RX_DIRECT		/* a packet answered here, in *@d */
};

/*
 * One message from the kernel: a packet becomes an engine packet (@p, of
 * queue *@qp), or a verdict given here (@d); an error report is counted.
 */
static enum nf_rx
nf_packet(struct nf_softc *sc, const struct nlmsghdr *nlh,
    struct xk_be_pkt *p, struct nf_direct *d, struct nf_queue **qp)
{
	struct nlattr *attr[NFQA_MAX + 1];
	const struct nfqnl_msg_packet_hdr *ph;
	const struct nfgenmsg *nfg;
	struct nf_queue *q;
	uint8_t *data = NULL;
	uint32_t id, ifindex = 0, info = 0;
	size_t len = 0;
	bool fail = false;

	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

		if (nlh->nlmsg_len >= MNL_NLMSG_HDRLEN + sizeof(*e) &&
		    e->error != 0) {
			/* A verdict the kernel could not apply. */
			NF_INC(sc->ns_verdict_errors);
			xk_log(XKPI_LOG_DEBUG, "nfqueue: verdict refused: %s",
			    strerror(-e->error));
		}
		return NF_RX_NONE;
	}
	if (nlh->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET)) {
		return NF_RX_NONE;
	}
	memset(attr, 0, sizeof(attr));
	if (nfq_nlmsg_parse(nlh, attr) < 0 || attr[NFQA_PACKET_HDR] == NULL ||
	    mnl_attr_get_payload_len(attr[NFQA_PACKET_HDR]) < sizeof(*ph)) {
		NF_INC(sc->ns_badmsg);
		return NF_RX_NONE;
	}
	nfg = mnl_nlmsg_get_payload(nlh);
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	id = ntohl(ph->packet_id);
	d->nd_queue = ntohs(nfg->res_id);
	d->nd_id = id;
	d->nd_verdict = NF_ACCEPT;
	if ((*qp = q = nf_queue_find(sc, d->nd_queue)) != NULL) {
		/* Ids the kernel numbered and never sent: socket overruns. */
		if ((int32_t)(id - q->nq_lastid) > 1) {
			atomic_fetch_add_explicit(&q->nq_missed,
			    id - q->nq_lastid - 1, memory_order_relaxed);
		}
		if ((int32_t)(id - q->nq_lastid) > 0) {
			q->nq_lastid = id;
		}
	}
	if (attr[NFQA_PAYLOAD] != NULL) {
		data = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
		len = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
	}
	if (sc->ns_setup) {
		/* Still binding: nothing is attached, nothing runs yet. */
		NF_INC(sc->ns_unattached);
		return NF_RX_DIRECT;
	}
	if ((nfg->nfgen_family != AF_INET && nfg->nfgen_family != AF_INET6) ||
	    len < 1 || (data[0] >> 4 != 4 && data[0] >> 4 != 6)) {
		NF_INC(sc->ns_notip);
		return NF_RX_DIRECT;
	}
	if (attr[NFQA_CAP_LEN] != NULL &&
	    ntohl(mnl_attr_get_u32(attr[NFQA_CAP_LEN])) > len) {
		NF_INC(sc->ns_truncated);
		fail = true;
	}
	if (ph->hook != NF_INET_PRE_ROUTING && ph->hook != NF_INET_LOCAL_IN &&
	    ph->hook != NF_INET_FORWARD && ph->hook != NF_INET_LOCAL_OUT &&
	    ph->hook != NF_INET_POST_ROUTING) {
		NF_INC(sc->ns_notip);
		return NF_RX_DIRECT;
	}
	if (ph->hook <= NF_INET_FORWARD) {
		/* PREROUTING, INPUT; FORWARD: a packet reaching a gateway. */
		p->bp_dir = XK_DIR_IN;
		if (attr[NFQA_IFINDEX_INDEV] != NULL) {
			ifindex = ntohl(mnl_attr_get_u32(
			    attr[NFQA_IFINDEX_INDEV]));
		}
	} else {
		p->bp_dir = XK_DIR_OUT;
		if (attr[NFQA_IFINDEX_OUTDEV] != NULL) {
			ifindex = ntohl(mnl_attr_get_u32(
			    attr[NFQA_IFINDEX_OUTDEV]));
		}
	}
	if (attr[NFQA_SKB_INFO] != NULL) {
		info = ntohl(mnl_attr_get_u32(attr[NFQA_SKB_INFO]));
	}
	if (!fail && (info & NFQA_SKB_CSUMNOTREADY) != 0) {
		nf_csum_complete(data, len);
	}
	if (!fail && (p->bp_m = xk_m_devget(data, len)) == NULL) {
		NF_INC(sc->ns_nomem);
		fail = true;
	}
	if (fail) {
		d->nd_verdict = sc->ns_failopen ? NF_ACCEPT : NF_DROP;
		return NF_RX_DIRECT;
	}
	p->bp_ifindex = ifindex;
	p->bp_hold = nf_hold_id(d->nd_queue, id);
	p->bp_mark = attr[NFQA_MARK] != NULL ?
	    ntohl(mnl_attr_get_u32(attr[NFQA_MARK])) : 0;
	if (attr[NFQA_TIMESTAMP] != NULL &&
	    mnl_attr_get_payload_len(attr[NFQA_TIMESTAMP]) >=
	    sizeof(struct nfqnl_msg_packet_timestamp)) {
		struct nfqnl_msg_packet_timestamp ts;

		memcpy(&ts, mnl_attr_get_payload(attr[NFQA_TIMESTAMP]),
		    sizeof(ts));
		p->bp_ts.tv_sec = (time_t)be64toh(ts.sec);
		p->bp_ts.tv_nsec = (long)be64toh(ts.usec) * 1000;
	} else {
		clock_gettime(CLOCK_REALTIME, &p->bp_ts);
	}
	return NF_RX_ENGINE;
}

/*
 * Parses the @got messages @ch received into the engine's batch @pkts
 * (each of queue @pq[i], NULL when not ours) and the verdicts given here
 * @direct; their counts in *@np and *@ndp.
 */
static void
nf_parse(struct nf_chan *ch, unsigned int got, struct xk_be_pkt *pkts,
    struct nf_queue **pq, unsigned int *np, struct nf_direct *direct,
    unsigned int *ndp)
{
	struct nf_softc *sc = ch->nc_sc;
	unsigned int n = 0, nd = 0;

	for (unsigned int i = 0; i < got; i++) {
		const struct nlmsghdr *nlh = (void *)(ch->nc_rxbuf +
		    (size_t)i * NF_RXBUF);
		int left = (int)ch->nc_mm[i].msg_len;

		if ((ch->nc_mm[i].msg_hdr.msg_flags & MSG_TRUNC) != 0) {
			NF_INC(sc->ns_badmsg);
			continue;
		}
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh,
		    &left)) {
			struct xk_be_pkt p;
			struct nf_direct d;
			struct nf_queue *q = NULL;

			if (n == NF_BATCH || nd == NF_BATCH) {
				break;	/* never: one packet a message */
			}
			memset(&p, 0, sizeof(p));
			switch (nf_packet(sc, nlh, &p, &d, &q)) {
			case NF_RX_ENGINE:
				pq[n] = q;
				pkts[n++] = p;
				break;
			case NF_RX_DIRECT:
				direct[nd++] = d;
				break;
			case NF_RX_NONE:
				break;
			}
		}
	}
	*np = n;
	*ndp = nd;
}

/*
 * One recvmmsg(2) round into @ch's receive buffers: how many messages
 * (0: nothing more now).  An overrun (ENOBUFS) is counted and reading goes
 * on: the socket stays usable, the kernel lost what did not fit.
 */
static int
nf_recv(struct nf_chan *ch)
{
	for (int tries = 0; tries < 4; tries++) {
		int got;

		for (unsigned int i = 0; i < NF_BATCH; i++) {
			ch->nc_iov[i].iov_base = ch->nc_rxbuf +
			    (size_t)i * NF_RXBUF;
			ch->nc_iov[i].iov_len = NF_RXBUF;
			memset(&ch->nc_mm[i], 0, sizeof(ch->nc_mm[i]));
			ch->nc_mm[i].msg_hdr.msg_iov = &ch->nc_iov[i];
			ch->nc_mm[i].msg_hdr.msg_iovlen = 1;
		}
		got = recvmmsg(ch->nc_fd, ch->nc_mm, NF_BATCH, MSG_DONTWAIT,
		    NULL);
		if (got >= 0) {
			return got;
		}
		if (errno == ENOBUFS) {
			NF_INC(ch->nc_sc->ns_rx_enobufs);
			continue;
		}
		if (errno == EINTR) {
			continue;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			NF_INC(ch->nc_sc->ns_rxerrors);
		}
		return 0;
	}
	return 0;
}

/*
 * @ch's table is full, which the kernel's queue length forbids unless
 * the kernel let go of packets the engine still holds (their interface
 * went down): the oldest held packet gets NF_DROP, as it would at its
 * bound, to make room for a new one.  Core lock held.
 */
static void
nf_evict_locked(struct nf_chan *ch)
{
	uint64_t hold = xk_held_oldest(ch->nc_held, NULL, NULL);

	XK_LOCK_ASSERT();
	nf_vput_locked(ch, nf_hold_queue(hold), (uint32_t)hold, NF_DROP,
	    NULL);
	(void)xk_held_answer(ch->nc_held, hold, NULL, NULL);
	if (NF_INC(ch->nc_sc->ns_evicted) == 0) {
		xk_log(XKPI_LOG_WARN, "nfqueue: %u packets held on one "
		    "thread: the oldest dropped for room "
		    "(be.nfqueue.held_evicted)", ch->nc_held_cap);
	}
}

/*
 * Attaches host interface @ifindex, found in a queued packet, when every
 * interface is to be (ns_auto).  Without the core lock.
 */
static void
nf_auto_attach(struct nf_softc *sc, uint32_t ifindex)
{
	char name[IF_NAMESIZE];
	struct __ifnet *ifp;
	int error;

	if (ifindex == 0 || if_indextoname(ifindex, name) == NULL) {
		return;
	}
	error = xk_hostif_attach(name, sc, &ifp);
	if (error == 0) {
		xk_log(XKPI_LOG_INFO, "nfqueue: %s attached", name);
	} else if (error != EEXIST) {
		xk_log(XKPI_LOG_WARN, "nfqueue: %s: cannot attach: %s", name,
		    strerror(error));
	}
}

/* Every host interface, on the loop's first turn, unless one was chosen. */
static void
nf_auto_cb(evutil_socket_t fd, short what, void *arg)
{
	struct nf_softc *sc = arg;
	struct if_nameindex *ifs;
	bool all;

	(void)fd;
	(void)what;
	xk_core_lock();
	all = sc->ns_auto;
	xk_core_unlock();
	if (!all || (ifs = if_nameindex()) == NULL) {
		return;
	}
	for (struct if_nameindex *i = ifs; i->if_index != 0; i++) {
		nf_auto_attach(sc, i->if_index);
	}
	if_freenameindex(ifs);
}

/*
 * One batch of @ch, on its loop: packets of interfaces not attached are
 * attached (every interface mode) or passed; the rest enter @ch's held
 * table and go to the engine; then every verdict waiting on @ch is sent.
 */
static void
nf_batch(struct nf_chan *ch, unsigned int got)
{
	struct xk_backend *be = ch->nc_be;
	struct nf_softc *sc = ch->nc_sc;
	struct xk_be_pkt pkts[NF_BATCH];
	struct nf_queue *pq[NF_BATCH];
	struct nf_direct direct[2 * NF_BATCH];
	uint32_t missing[NF_BATCH];
	unsigned int n, nd, nmiss = 0, k = 0;
	gint64 now;
	bool all;

	nf_parse(ch, got, pkts, pq, &n, direct, &nd);
	xk_core_lock();
	all = sc->ns_auto;
	for (unsigned int i = 0; i < n && all; i++) {
		if (xk_if_byindex_locked(pkts[i].bp_ifindex) == NULL) {
			missing[nmiss++] = pkts[i].bp_ifindex;
		}
	}
	xk_core_unlock();
	for (unsigned int i = 0; i < nmiss; i++) {
		nf_auto_attach(sc, missing[i]);
	}
	now = g_get_monotonic_time();
	xk_core_lock();
	for (unsigned int i = 0; i < n; i++) {
		struct xk_be_pkt *p = &pkts[i];
		uint16_t queue = nf_hold_queue(p->bp_hold);

		if (xk_if_byindex_locked(p->bp_ifindex) == NULL) {
			NF_INC(sc->ns_unattached);
			direct[nd++] = (struct nf_direct){ queue,
			    (uint32_t)p->bp_hold, NF_ACCEPT };
			xk_m_freem(p->bp_m);
			continue;
		}
		if (xk_held_count(ch->nc_held) == ch->nc_held_cap) {
			nf_evict_locked(ch);
		}
		(void)xk_held_remember(ch->nc_held, p->bp_hold, NULL, 0, now);
		if (pq[i] != NULL) {
			NF_INC(pq[i]->nq_packets);
		}
		pkts[k++] = *p;
	}
	for (unsigned int i = 0; i < nd; i++) {
		nf_vput_locked(ch, direct[i].nd_queue, direct[i].nd_id,
		    direct[i].nd_verdict, NULL);
	}
	ch->nc_in_input = true;
	xk_core_unlock();
	if (k > 0) {
		atomic_fetch_add_explicit(&sc->ns_rx, k, memory_order_relaxed);
		be->be_input(be, pkts, k);
	}
	xk_core_lock();
	ch->nc_in_input = false;
	nf_flush_locked(ch);
	nf_expiry_arm_locked(ch);
	xk_core_unlock();
}

/* @ch's socket is readable: on @ch's loop. */
static void
nf_rx_cb(evutil_socket_t fd, short what, void *arg)
{
	struct nf_chan *ch = arg;
	bool was;

	(void)fd;
	(void)what;
	was = xk_loop_enter();
	for (int round = 0; round < NF_ROUNDS; round++) {
		int got = nf_recv(ch);

		if (got <= 0) {
			break;
		}
		nf_batch(ch, (unsigned int)got);
		if (got < NF_BATCH) {
			break;
		}
	}
	xk_loop_leave(was);
}

/* Setting the queues up. */

/*
 * Configures queue @num on @ch, its channel: bound (when @bind), copy
 * mode and range, flags and maximum length; with @bypass, a length of 0
 * and fail open, so that every new packet passes.  @ack: waits for the
 * kernel's answer (at most NF_SETUP_MS) and returns its errno; packets
 * that arrive meanwhile get NF_ACCEPT.  Without @ack the message joins
 * @ch's verdicts (core lock held), and the answer only counts when it is
 * an error.
 */
static int
nf_cfg(struct nf_chan *ch, uint16_t num, bool bind, bool bypass, bool ack)
{
	struct nf_softc *sc = ch->nc_sc;
	union {
		char buf[MNL_NLMSG_HDRLEN + 128];
		struct nlmsghdr align;
	} u;
	struct nlmsghdr *nlh;
	uint32_t flags = NFQA_CFG_F_GSO, seq;
	gint64 deadline;
	int error = -1;

	if (sc->ns_failopen || bypass) {
		flags |= NFQA_CFG_F_FAIL_OPEN;
	}
	memset(&u, 0, sizeof(u));
	nlh = nfq_nlmsg_put(u.buf, NFQNL_MSG_CONFIG, num);
	if (bind) {
		nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
		nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET,
		    NF_COPY_RANGE);
	}
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_GSO |
	    NFQA_CFG_F_FAIL_OPEN));
	if (bypass) {
		nfq_nlmsg_cfg_put_qmaxlen(nlh, 0);
	} else if (sc->ns_maxlen != 0) {
		nfq_nlmsg_cfg_put_qmaxlen(nlh, sc->ns_maxlen);
	}
	if (!ack) {
		XK_LOCK_ASSERT();
		if (ch->nc_vlen + nlh->nlmsg_len > ch->nc_vcap) {
			nf_flush_locked(ch);
		}
		if (ch->nc_vlen + nlh->nlmsg_len <= ch->nc_vcap) {
			memcpy(ch->nc_vbuf + ch->nc_vlen, nlh, nlh->nlmsg_len);
			ch->nc_vlen += nlh->nlmsg_len;
		}
		return 0;
	}
	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = seq = ++ch->nc_seq;
	if (mnl_socket_sendto(ch->nc_nl, nlh, nlh->nlmsg_len) < 0) {
		return errno;
	}
	deadline = g_get_monotonic_time() + NF_SETUP_MS * 1000;
	for (;;) {
		struct pollfd pfd = { .fd = ch->nc_fd, .events = POLLIN };
		gint64 left = deadline - g_get_monotonic_time();
		int got;

		if (left <= 0) {
			return ETIMEDOUT;
		}
		if (poll(&pfd, 1, (int)((left + 999) / 1000)) < 0 &&
		    errno != EINTR) {
			return errno;
		}
		if ((got = nf_recv(ch)) == 0) {
			continue;
		}
		/* Every message read is handled before the answer counts. */
		for (int i = 0; i < got; i++) {
			const struct nlmsghdr *m = (void *)(ch->nc_rxbuf +
			    (size_t)i * NF_RXBUF);
			int mleft = (int)ch->nc_mm[i].msg_len;

			for (; mnl_nlmsg_ok(m, mleft);
			    m = mnl_nlmsg_next(m, &mleft)) {
				const struct nlmsgerr *e =
				    mnl_nlmsg_get_payload(m);
				struct xk_be_pkt p;
				struct nf_direct d;
				struct nf_queue *q;

				if (m->nlmsg_type == NLMSG_ERROR &&
				    m->nlmsg_seq == seq) {
					error = -e->error;
					continue;
				}
				memset(&p, 0, sizeof(p));
				if (nf_packet(sc, m, &p, &d, &q) ==
				    NF_RX_DIRECT) {
					xk_core_lock();
					nf_vput_locked(ch, d.nd_queue,
					    d.nd_id, d.nd_verdict, NULL);
					xk_core_unlock();
				}
			}
		}
		if (error >= 0) {
			return error;
		}
	}
}

/* Whether netlink port @portid is one of our channels' sockets. */
static bool
nf_portid_ours(struct nf_softc *sc, uint32_t portid)
{
	for (unsigned int c = 0; c < sc->ns_nchans; c++) {
		if (sc->ns_chans[c].nc_nl != NULL &&
		    sc->ns_chans[c].nc_portid == portid) {
			return true;
		}
	}
	return false;
}

/* Whether another process's socket has queue @num bound (/proc). */
static bool
nf_queue_taken(struct nf_softc *sc, uint16_t num)
{
	unsigned int q, portid;
	char line[160];
	bool taken = false;
	FILE *f;

	if ((f = fopen("/proc/net/netfilter/nfnetlink_queue", "r")) == NULL) {
		return false;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%u %u", &q, &portid) == 2 && q == num &&
		    !nf_portid_ours(sc, portid)) {
			taken = true;
		}
	}
	fclose(f);
	return taken;
}

/*
 * Binds every queue of the configuration, each to its channel's socket;
 * the first failure's errno.
 */
static int
nf_bind_all(struct nf_softc *sc)
{
	int error = 0;

	sc->ns_setup = true;
	for (unsigned int i = 0; i < sc->ns_nqueues && error == 0; i++) {
		uint16_t num = sc->ns_queues[i].nq_num;

		error = nf_cfg(&sc->ns_chans[sc->ns_queues[i].nq_chan], num,
		    true, false, true);
		if (error == EPERM && nf_queue_taken(sc, num)) {
			error = EBUSY;
		}
		if (error != 0) {
			xk_log(XKPI_LOG_ERROR, "nfqueue: queue %u: %s%s", num,
			    strerror(error), error == EBUSY ? " (another "
			    "process has bound it)" : error == EPERM ?
			    " (binding a queue needs CAP_NET_ADMIN)" : "");
		}
	}
	xk_core_lock();
	sc->ns_setup = false;
	/* What arrived while binding passes now. */
	for (unsigned int c = 0; c < sc->ns_nchans; c++) {
		nf_flush_locked(&sc->ns_chans[c]);
	}
	xk_core_unlock();
	return error;
}

/*
 * What @ch's socket still holds gets NF_ACCEPT, counted in
 * held_released (only when its loop no longer reads it).  Without the
 * core lock.
 */
static void
nf_bypass_rx(struct nf_chan *ch)
{
	struct nf_softc *sc = ch->nc_sc;
	unsigned int msgs = 0;
	int got;

	if (ch->nc_nl == NULL) {
		return;		/* be_open failed before its socket */
	}
	while (msgs < NF_STOP_MSGS && (got = nf_recv(ch)) > 0) {
		struct xk_be_pkt pkts[NF_BATCH];
		struct nf_queue *pq[NF_BATCH];
		struct nf_direct direct[NF_BATCH];
		unsigned int n, nd;

		msgs += (unsigned int)got;
		nf_parse(ch, (unsigned int)got, pkts, pq, &n, direct, &nd);
		xk_core_lock();
		for (unsigned int i = 0; i < n; i++) {
			xk_m_freem(pkts[i].bp_m);
			nf_vput_locked(ch, nf_hold_queue(pkts[i].bp_hold),
			    (uint32_t)pkts[i].bp_hold, NF_ACCEPT, NULL);
			NF_INC(sc->ns_released);
		}
		for (unsigned int i = 0; i < nd; i++) {
			nf_vput_locked(ch, direct[i].nd_queue,
			    direct[i].nd_id, direct[i].nd_verdict, NULL);
		}
		xk_core_unlock();
	}
}

/*
 * Every queue lets new packets pass (maximum length 0, fail open); every
 * held packet gets NF_ACCEPT, and with @rx, what the sockets still hold
 * too (only when no loop reads them any more).  Counted in
 * held_released.  Without the core lock; idempotent.
 */
static void
nf_bypass(struct nf_softc *sc, bool rx)
{
	xk_core_lock();
	if (!sc->ns_bypass) {
		sc->ns_bypass = true;
		for (unsigned int i = 0; i < sc->ns_nqueues; i++) {
			(void)nf_cfg(&sc->ns_chans[sc->ns_queues[i].nq_chan],
			    sc->ns_queues[i].nq_num, false, true, false);
		}
		for (unsigned int c = 0; c < sc->ns_nchans; c++) {
			nf_flush_locked(&sc->ns_chans[c]);
		}
	}
	xk_core_unlock();
	for (unsigned int c = 0; rx && c < sc->ns_nchans; c++) {
		nf_bypass_rx(&sc->ns_chans[c]);
	}
	xk_core_lock();
	nf_release_locked(sc);
	xk_core_unlock();
}

/* Life. */

/* Frees what @ch holds; its socket's queues were released before. */
static void
nf_chan_free(struct nf_chan *ch)
{
	if (ch->nc_rxev != NULL) {
		event_free(ch->nc_rxev);
	}
	if (ch->nc_flushev != NULL) {
		event_free(ch->nc_flushev);
	}
	if (ch->nc_expev != NULL) {
		event_free(ch->nc_expev);
	}
	if (ch->nc_retryev != NULL) {
		event_free(ch->nc_retryev);
	}
	/* The kernel drops what it still queues for us: released before. */
	if (ch->nc_nl != NULL) {
		mnl_socket_close(ch->nc_nl);
	}
	xk_held_destroy(ch->nc_held);
	g_free(ch->nc_rxbuf);
	g_free(ch->nc_vbuf);
}

static void
nf_softc_free(struct nf_softc *sc)
{
	if (sc->ns_mon != NULL) {
		xk_hostif_unfollow(sc->ns_mon);
	}
	if (sc->ns_autoev != NULL) {
		event_free(sc->ns_autoev);
	}
	for (unsigned int c = 0; c < sc->ns_nchans; c++) {
		nf_chan_free(&sc->ns_chans[c]);
	}
	xk_rawtx_free(sc->ns_tx);
	g_free(sc->ns_chans);
	g_free(sc->ns_queues);
	g_free(sc);
}

/* @ch's netlink socket, with room for bursts; 0 or an errno. */
static int
nf_socket(struct nf_chan *ch)
{
	int size, one = 1;
	socklen_t len = sizeof(size);

	ch->nc_nl = mnl_socket_open2(NETLINK_NETFILTER,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (ch->nc_nl == NULL) {
		return errno;
	}
	if (mnl_socket_bind(ch->nc_nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		return errno;
	}
	ch->nc_fd = mnl_socket_get_fd(ch->nc_nl);
	ch->nc_portid = mnl_socket_get_portid(ch->nc_nl);
	size = NF_RCVBUF;
	if (setsockopt(ch->nc_fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
	    sizeof(size)) != 0) {
		(void)setsockopt(ch->nc_fd, SOL_SOCKET, SO_RCVBUF, &size,
		    sizeof(size));
	}
	size = NF_SNDBUF;
	if (setsockopt(ch->nc_fd, SOL_SOCKET, SO_SNDBUFFORCE, &size,
	    sizeof(size)) != 0) {
		(void)setsockopt(ch->nc_fd, SOL_SOCKET, SO_SNDBUF, &size,
		    sizeof(size));
	}
	/* A refused verdict is reported without the packet it carried. */
	(void)setsockopt(ch->nc_fd, SOL_NETLINK, NETLINK_CAP_ACK, &one,
	    sizeof(one));
	/* The kernel refuses a message longer than its buffer less 32. */
	size = 0;
	if (getsockopt(ch->nc_fd, SOL_SOCKET, SO_SNDBUF, &size, &len) != 0 ||
	    size < 64 * 1024) {
		size = 64 * 1024;
	}
	ch->nc_vcap = (size_t)size - 64 < NF_VBUF ? (size_t)size - 64 :
	    NF_VBUF;
	return 0;
}

/*
 * Channel @c of @sc: its buffers, table, socket and events, on @base
 * (the loop that will run them); 0 or an errno.  Its queues are bound
 * later (nf_bind_all) and its receive event added last.
 */
static int
nf_chan_open(struct xk_backend *be, struct nf_softc *sc, unsigned int c,
    struct event_base *base)
{
	struct nf_chan *ch = &sc->ns_chans[c];
	uint64_t room = 0;
	int error;

	ch->nc_sc = sc;
	ch->nc_be = be;
	ch->nc_index = c;
	ch->nc_fd = -1;
	/*
	 * Room for every packet the kernel may hold for the channel's
	 * queues at once: their length each.
	 */
	for (unsigned int i = 0; i < sc->ns_nqueues; i++) {
		if (sc->ns_queues[i].nq_chan == c) {
			room += sc->ns_maxlen != 0 ? sc->ns_maxlen :
			    NF_MAXLEN_DEFAULT;
		}
	}
	ch->nc_held_cap = room < NF_HELD_MAX ? (uint32_t)room : NF_HELD_MAX;
	if ((error = xk_held_create(0, ch->nc_held_cap, 0, &ch->nc_held)) !=
	    0) {
		return error;
	}
	ch->nc_rxbuf = g_try_malloc((size_t)NF_BATCH * NF_RXBUF);
	ch->nc_vbuf = g_try_malloc(NF_VBUF);
	if (ch->nc_rxbuf == NULL || ch->nc_vbuf == NULL) {
		return ENOMEM;
	}
	if ((error = nf_socket(ch)) != 0) {
		return error;
	}
	ch->nc_rxev = event_new(base, ch->nc_fd, EV_READ | EV_PERSIST,
	    nf_rx_cb, ch);
	ch->nc_flushev = event_new(base, -1, 0, nf_flush_cb, ch);
	ch->nc_expev = evtimer_new(base, nf_expiry_cb, ch);
	ch->nc_retryev = evtimer_new(base, nf_flush_cb, ch);
	if (ch->nc_rxev == NULL || ch->nc_flushev == NULL ||
	    ch->nc_expev == NULL || ch->nc_retryev == NULL) {
		return ENOMEM;
	}
	return 0;
}

static int
nf_open(struct xk_backend *be)
{
	struct nf_softc *sc;
	bool ready = false;
	int error;

	if ((sc = g_try_new0(struct nf_softc, 1)) == NULL) {
		return ENOMEM;
	}
	sc->ns_auto = true;
	if ((error = nf_config(sc)) != 0) {
		goto fail;
	}
	/*
	 * A channel a loop, while there are queues for them: the k-th
	 * queue goes to channel k % channels, whose events run on loop
	 * k % channels (channel 0 on the backend's own base).
	 */
	sc->ns_nchans = (unsigned int)xk_loop_count();
	if (sc->ns_nchans > sc->ns_nqueues) {
		sc->ns_nchans = sc->ns_nqueues;
	}
	if (sc->ns_nchans < 1) {
		sc->ns_nchans = 1;
	}
	for (unsigned int i = 0; i < sc->ns_nqueues; i++) {
		sc->ns_queues[i].nq_chan = i % sc->ns_nchans;
	}
	if ((sc->ns_chans = g_try_new0(struct nf_chan, sc->ns_nchans)) ==
	    NULL) {
		sc->ns_nchans = 0;
		error = ENOMEM;
		goto fail;
	}
	/* EPERM without CAP_NET_RAW (or to set the mark), as the kernel. */
	if ((sc->ns_tx = xk_rawtx_open(be->be_base, "nfqueue", sc->ns_mark,
	    &error)) == NULL) {
		goto fail;
	}
	for (unsigned int c = 0; c < sc->ns_nchans; c++) {
		error = nf_chan_open(be, sc, c, c == 0 ? be->be_base :
		    xk_loop_base_at((int)c));
		/* A socket with a verdict buffer: it can release queues. */
		ready = ready || sc->ns_chans[c].nc_vcap > 0;
		if (error != 0) {
			goto fail;
		}
	}
	sc->ns_autoev = event_new(be->be_base, -1, 0, nf_auto_cb, sc);
	if (sc->ns_autoev == NULL) {
		error = ENOMEM;
		goto fail;
	}
	if ((error = nf_bind_all(sc)) != 0) {
		goto fail;
	}
	/* Attached interfaces follow the host's MTU and addresses. */
	if ((sc->ns_mon = xk_hostif_follow(be->be_base, NULL, NULL)) == NULL) {
		error = errno;
		goto fail;
	}
	for (unsigned int c = 0; c < sc->ns_nchans; c++) {
		if (event_add(sc->ns_chans[c].nc_rxev, NULL) != 0) {
			error = ENOMEM;
			goto fail;
		}
	}
	/* Runs on the loop's first turn, after XKPI_IFACES was attached. */
	event_active(sc->ns_autoev, 0, 0);
	be->be_softc = sc;
	return 0;
fail:
	if (ready) {
		/* No loop reads the sockets now: they are ours to empty. */
		for (unsigned int c = 0; c < sc->ns_nchans; c++) {
			if (sc->ns_chans[c].nc_rxev != NULL) {
				event_del(sc->ns_chans[c].nc_rxev);
			}
		}
		nf_bypass(sc, true);
	}
	nf_softc_free(sc);
	return error;
}

static int
nf_attach(struct xk_backend *be, const char *name, struct __ifnet **ifpp)
{
	struct nf_softc *sc = be->be_softc;
	int error;

	/* ENXIO: no such interface; EEXIST: attached already. */
	if ((error = xk_hostif_attach(name, sc, ifpp)) != 0) {
		return error;
	}
	/*
	 * Chosen interfaces: from now on, only those; unless this takes the
	 * place of one detached in auto mode (the host re-created it).
	 */
	xk_core_lock();
	if (!sc->ns_keepauto) {
		sc->ns_auto = false;
	}
	sc->ns_keepauto = false;
	xk_core_unlock();
	return 0;
}

/* Its packets pass unattached from now on (or attach again: ns_auto). */
static int
nf_detach(struct xk_backend *be, const char *name)
{
	struct __ifnet *ifp;
	struct nf_softc *sc = be->be_softc;
	int error = ENXIO;

	xk_core_lock();
	if ((ifp = xk_if_byname_locked(name)) != NULL) {
		xk_if_detach_locked(ifp);
		sc->ns_keepauto = sc->ns_auto;
		error = 0;
	}
	xk_core_unlock();
	return error;
}

static void
nf_output(struct xk_backend *be, struct xk_be_pkt *pkts, unsigned int n,
    unsigned int *sent)
{
	struct nf_softc *sc = be->be_softc;

	xk_rawtx_output(sc->ns_tx, pkts, n, sent);
}

/*
 * A packet written back inward that answers no held packet: sent on the
 * marked raw socket without an interface, so that the host routes it.
 * Addressed to the host, it is delivered through loopback (the host
 * sees it arrive on `lo`, not on @ifindex); addressed elsewhere, it is
 * forwarded as a packet the host sends.  The mark keeps it out of the
 * queue on the way.
 */
static int
nf_inject_in(struct xk_backend *be, struct __mbuf *m, uint32_t ifindex)
{
	struct nf_softc *sc = be->be_softc;
	struct xk_be_pkt p;
	unsigned int sent = 0;

	(void)ifindex;
	XK_LOCK_ASSERT();
	memset(&p, 0, sizeof(p));
	p.bp_m = m;
	p.bp_dir = XK_DIR_OUT;
	xk_rawtx_output(sc->ns_tx, &p, 1, &sent);
	if (sent == 0) {
		return p.bp_error != 0 ? p.bp_error : ENOBUFS;
	}
	NF_INC(sc->ns_injected_in);
	return 0;
}

static int
nf_route(struct xk_backend *be, int family, const void *dst,
    uint32_t *ifindex)
{
	uint8_t nexthop[sizeof(struct in6_addr)];

	(void)be;
	return xk_hostif_route(family, dst, 0, ifindex, nexthop);
}

/*
 * be_drain: what the output queue holds leaves (or is counted), then the
 * queues let every new packet pass and every packet held gets NF_ACCEPT.
 */
static void
nf_drain(struct xk_backend *be, int64_t deadline, const char *why)
{
	struct nf_softc *sc = be->be_softc;
	uint64_t before = NF_GET(sc->ns_released);

	xk_rawtx_drain(sc->ns_tx, deadline, why);
	/* The loops may still read: the sockets are left to nf_stop. */
	nf_bypass(sc, false);
	if (NF_GET(sc->ns_released) != before) {
		xk_log(XKPI_LOG_INFO, "nfqueue: %llu held packet(s) accepted "
		    "at %s (be.nfqueue.held_released)",
		    (unsigned long long)(NF_GET(sc->ns_released) - before),
		    why);
	}
}

/* The packets every channel holds.  Core lock held. */
static uint64_t
nf_held_count(struct nf_softc *sc)
{
	uint64_t n = 0;

	for (unsigned int c = 0; c < sc->ns_nchans; c++) {
		n += xk_held_count(sc->ns_chans[c].nc_held);
	}
	return n;
}

/* The kernel's counters of our queues, from /proc.  Core lock held. */
static void
nf_kstats(struct nf_softc *sc, void (*fn)(void *, const char *, uint64_t),
    void *ctx)
{
	unsigned int q, portid, total, mode, range, dropped, udropped;
	char line[160], name[64];
	FILE *f;

	if ((f = fopen("/proc/net/netfilter/nfnetlink_queue", "r")) == NULL) {
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%u %u %u %u %u %u %u", &q, &portid, &total,
		    &mode, &range, &dropped, &udropped) != 7 ||
		    !nf_portid_ours(sc, portid)) {
			continue;
		}
		snprintf(name, sizeof(name), "nfqueue.q%u.kernel_dropped", q);
		fn(ctx, name, dropped);
		snprintf(name, sizeof(name), "nfqueue.q%u.user_dropped", q);
		fn(ctx, name, udropped);
		snprintf(name, sizeof(name), "nfqueue.q%u.queued", q);
		fn(ctx, name, total);
	}
	fclose(f);
}

static void
nf_stats(struct xk_backend *be, void (*fn)(void *, const char *, uint64_t),
    void *ctx)
{
	struct nf_softc *sc = be->be_softc;
	char name[64];
	const struct {
		const char *n;
		uint64_t v;
	} rows[] = {
		{ "rx", NF_GET(sc->ns_rx) },
		{ "rx_enobufs", NF_GET(sc->ns_rx_enobufs) },
		{ "rxerrors", NF_GET(sc->ns_rxerrors) },
		{ "badmsg", NF_GET(sc->ns_badmsg) },
		{ "truncated", NF_GET(sc->ns_truncated) },
		{ "nomem", NF_GET(sc->ns_nomem) },
		{ "notip", NF_GET(sc->ns_notip) },
		{ "unattached", NF_GET(sc->ns_unattached) },
		{ "held", nf_held_count(sc) },
		{ "held_expired", NF_GET(sc->ns_expired) },
		{ "held_evicted", NF_GET(sc->ns_evicted) },
		{ "held_released", NF_GET(sc->ns_released) },
		{ "verdicts", NF_GET(sc->ns_verdicts) },
		{ "verdict_errors", NF_GET(sc->ns_verdict_errors) },
		{ "verdict_sendfail", NF_GET(sc->ns_verdict_sendfail) },
		{ "verdict_lost", NF_GET(sc->ns_verdict_lost) },
		{ "verdict_toobig", NF_GET(sc->ns_toobig) },
		{ "injected_in", NF_GET(sc->ns_injected_in) },
		{ "channels", sc->ns_nchans },
	};

	XK_LOCK_ASSERT();
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		snprintf(name, sizeof(name), "nfqueue.%s", rows[r].n);
		fn(ctx, name, rows[r].v);
	}
	for (unsigned int i = 0; i < sc->ns_nqueues; i++) {
		snprintf(name, sizeof(name), "nfqueue.q%u.missed",
		    sc->ns_queues[i].nq_num);
		fn(ctx, name, NF_GET(sc->ns_queues[i].nq_missed));
		snprintf(name, sizeof(name), "nfqueue.q%u.packets",
		    sc->ns_queues[i].nq_num);
		fn(ctx, name, NF_GET(sc->ns_queues[i].nq_packets));
	}
	nf_kstats(sc, fn, ctx);
	fn(ctx, "nfqueue.netlink_overruns", sc->ns_mon != NULL ?
	    xk_hostif_overruns(sc->ns_mon) : 0);
	xk_rawtx_stats(sc->ns_tx, fn, ctx);
}

/*
 * No more receive or send; the queues let everything pass and every
 * packet still held, or still in a socket, gets NF_ACCEPT.  No loop
 * runs now.
 */
static void
nf_stop(struct xk_backend *be)
{
	struct nf_softc *sc = be->be_softc;

	for (unsigned int c = 0; c < sc->ns_nchans; c++) {
		event_del(sc->ns_chans[c].nc_rxev);
		event_del(sc->ns_chans[c].nc_expev);
	}
	event_del(sc->ns_autoev);
	xk_rawtx_stop(sc->ns_tx);
	if (sc->ns_mon != NULL) {
		xk_hostif_unfollow(sc->ns_mon);
		sc->ns_mon = NULL;
	}
	nf_bypass(sc, true);
	for (unsigned int c = 0; c < sc->ns_nchans; c++) {
		event_del(sc->ns_chans[c].nc_flushev);
		event_del(sc->ns_chans[c].nc_retryev);
	}
	xk_core_lock();
	for (unsigned int c = 0; c < sc->ns_nchans; c++) {
		struct nf_chan *ch = &sc->ns_chans[c];

		/* One last try for what the host refused a moment ago. */
		nf_flush_locked(ch);
		if (ch->nc_vlen > 0) {
			xk_log(XKPI_LOG_WARN, "nfqueue: verdicts not sent at "
			    "stop: the kernel drops those packets");
			ch->nc_vlen = 0;
		}
		ch->nc_flush_armed = false;
	}
	sc->ns_stopped = true;
	xk_core_unlock();
}

static void
nf_close(struct xk_backend *be)
{
	struct nf_softc *sc = be->be_softc;

	/* Closed without a stop (the engine's open failed after ours). */
	if (!sc->ns_stopped) {
		nf_stop(be);
	}
	nf_softc_free(sc);
	be->be_softc = NULL;
}

const struct xk_backend_ops xk_be_nfqueue_ops = {
	.be_version = XK_BACKEND_OPS_VERSION,
	.be_name = "nfqueue",
	.be_features = XK_BEF_INTERCEPT | XK_BEF_OCOUNT,
	.be_open = nf_open,
	.be_attach = nf_attach,
	.be_output = nf_output,
	.be_route = nf_route,
	.be_stats = nf_stats,
	.be_drain = nf_drain,
	.be_mcast = xk_hostif_mcast,
	.be_detach = nf_detach,
	.be_verdict = nf_verdict,
	.be_inject_in = nf_inject_in,
	.be_stop = nf_stop,
	.be_close = nf_close,
};
