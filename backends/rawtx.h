/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Raw IP output for the host backends that let the host route (linux,
 * nfqueue): an interface output queue drained by the loop with
 * sendmmsg(2) on one raw socket per family with the IP header included
 * (IPPROTO_RAW), the interface the engine chose pinned with IP_PKTINFO /
 * IPV6_PKTINFO.  The kernel routes, resolves the link address and builds
 * the frame.  A packet counts in its interface's if_opackets when the
 * host takes it and in if_oqdrops when it does not (XK_BEF_OCOUNT).
 */
#ifndef _XK_BACKENDS_RAWTX_H_
#define _XK_BACKENDS_RAWTX_H_

#include <stdint.h>

struct event_base;
struct xk_be_pkt;
struct xk_rawtx;

/*
 * Opens the raw sockets and the loop's events on @base.  @name is the
 * backend's, for the log and the counters' names; @mark, when not 0, is
 * set as SO_MARK on both sockets (every packet sent carries it).  NULL
 * with *@errorp set on failure: EPERM without CAP_NET_RAW (or, with a
 * mark, CAP_NET_ADMIN), as the kernel says.  Without a raw IPv6 socket
 * the queue still opens, logs it, and refuses IPv6 packets
 * (EAFNOSUPPORT).
 */
struct xk_rawtx *xk_rawtx_open(struct event_base *base, const char *name,
	    uint32_t mark, int *errorp);

/*
 * be_output: each packet joins the output queue, and the loop sends it.
 * A full queue (4096 packets) is ENOBUFS for that packet, counted in
 * `<name>.txfull`.  A packet whose bp_ifindex is 0 is not pinned: the
 * host routes it as it would any packet it sends.  Core lock held.
 */
void	xk_rawtx_output(struct xk_rawtx *tx, struct xk_be_pkt *pkts,
	    unsigned int n, unsigned int *sent);

/*
 * be_drain: sends the queue from this thread, waiting in poll(2) while
 * the host's buffer is full, until @deadline (g_get_monotonic_time());
 * what is still queued then is discarded, counted (if_oqdrops,
 * `<name>.txlost`) and logged, naming @why.  Without the core lock.
 */
void	xk_rawtx_drain(struct xk_rawtx *tx, int64_t deadline,
	    const char *why);

/*
 * Packets in the output queue, or taken from it by a send in progress;
 * a backend that also sends some packets another way (linux's TX rings)
 * sends them this way too while it is not 0, so that they keep their
 * order.  Core lock held.
 */
unsigned int xk_rawtx_pending(const struct xk_rawtx *tx);

/*
 * Counts @n packets the backend kept another way and discarded at
 * shutdown or exit in `<name>.txlost` (the backend counts if_oqdrops).
 * Core lock held.
 */
void	xk_rawtx_count_lost(struct xk_rawtx *tx, unsigned int n);

/* Reports `<name>.txfull`, `<name>.txerrors` and `<name>.txlost`. */
void	xk_rawtx_stats(struct xk_rawtx *tx,
	    void (*fn)(void *ctx, const char *name, uint64_t value),
	    void *ctx);

/* Removes the loop's events (be_stop); nothing is sent afterwards. */
void	xk_rawtx_stop(struct xk_rawtx *tx);

/* Frees the queue, with the packets still in it, and closes (be_close). */
void	xk_rawtx_free(struct xk_rawtx *tx);

#endif /* _XK_BACKENDS_RAWTX_H_ */
