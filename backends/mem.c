/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The in-memory backend: virtual interfaces and links inside the process.
 * Packets injected (or sent over a link) wait in a receive queue that the
 * loop thread drains in batches into the engine; packets sent out of an
 * interface are kept for capture, the newest MEM_CAPQ_MAX of them.  State
 * is guarded by the core lock.
 *
 * Nothing is lost unseen.  A full receive queue refuses the packet with
 * ENOBUFS, to the sender over a link (as a full interface output queue
 * would: the engine counts it in if.NAME.oerrors and ip.oerrors) and to
 * the caller of xkpi_mem_inject(); either way `be.mem.rxq_full` counts
 * it.  Capture copies overwritten or never made, and received packets a
 * reset discards, have counters of their own (mem_stats).
 */
#include "core/xk.h"

#include <errno.h>
#include <event2/event.h>
#include <string.h>

#include <xkpi_mem.h>

#include "backends/backend.h"
#include "core/if_var.h"
#include "core/ip_var.h"
#include "core/socket_var.h"

#define MEM_BATCH	32
#define MEM_CAPQ_MAX	4096	/* captured packets kept per interface */
#define MEM_RXQ_MAX	65536	/* packets waiting for the engine */
#define MEM_RXFREE_MAX	4096	/* queue entries kept for reuse */

/* The bounds in force (xk_mem_set_limits); read under the core lock. */
static unsigned int mem_capq_max = MEM_CAPQ_MAX;
static unsigned int mem_rxq_max = MEM_RXQ_MAX;

/*
 * The packet queues are linked through their entries, so that a packet
 * queued or captured in the steady state allocates nothing: captures
 * through m_nextpkt (only this file holds a captured mbuf), the receive
 * queue through struct mem_rx, whose entries are kept for reuse.
 */
struct mem_vif {
	struct __ifnet	*mv_ifp;
	struct mem_vif	*mv_peer;
	struct __mbuf	*mv_caphead;	/* sent packets, oldest first */
	struct __mbuf	*mv_captail;
	unsigned int	 mv_caplen;
};

struct mem_rx {
	struct mem_rx	*mr_next;
	struct __mbuf	*mr_m;
	uint32_t	 mr_ifindex;
};

struct mem_softc {
	GQueue		 ms_vifs;
	struct mem_rx	*ms_rxhead;	/* oldest first */
	struct mem_rx	*ms_rxtail;
	unsigned int	 ms_rxlen;
	struct mem_rx	*ms_rxfree;	/* entries for reuse */
	unsigned int	 ms_rxnfree;
	struct event	*ms_rxev;
	uint32_t	 ms_nextindex;
	/* Counters, shown by xkpi_stats() as be.mem.<name>. */
	uint64_t	 ms_rxq_full;	/* refused: receive queue full */
	uint64_t	 ms_rxq_flushed; /* waiting when a reset came */
	uint64_t	 ms_cap_overwritten; /* oldest capture made room */
	uint64_t	 ms_cap_nomem;	/* no mbuf for the capture copy */
	uint64_t	 ms_rxq_nomem;	/* refused: no memory to queue it */
};

static struct xk_backend *mem_be;	/* the open instance */

static void mem_rx_cb(evutil_socket_t fd, short what, void *arg);

static int
mem_open(struct xk_backend *be)
{
	struct mem_softc *sc;

	if ((sc = g_try_new0(struct mem_softc, 1)) == NULL) {
		return ENOMEM;
	}
	sc->ms_nextindex = 1;
	sc->ms_rxev = event_new(be->be_base, -1, 0, mem_rx_cb, be);
	if (sc->ms_rxev == NULL) {
		g_free(sc);
		return ENOMEM;
	}
	be->be_softc = sc;
	mem_be = be;
	return 0;
}

static void
mem_stop(struct xk_backend *be)
{
	struct mem_softc *sc = be->be_softc;

	event_del(sc->ms_rxev);
}

/* The oldest capture of @v, or NULL. */
static struct __mbuf *
cap_pop_locked(struct mem_vif *v)
{
	struct __mbuf *m = v->mv_caphead;

	if (m != NULL) {
		v->mv_caphead = m->m_nextpkt;
		if (v->mv_caphead == NULL) {
			v->mv_captail = NULL;
		}
		m->m_nextpkt = NULL;
		v->mv_caplen--;
	}
	return m;
}

/* The oldest entry of the receive queue, or NULL. */
static struct mem_rx *
rx_pop_locked(struct mem_softc *sc)
{
	struct mem_rx *rx = sc->ms_rxhead;

	if (rx != NULL) {
		sc->ms_rxhead = rx->mr_next;
		if (sc->ms_rxhead == NULL) {
			sc->ms_rxtail = NULL;
		}
		sc->ms_rxlen--;
	}
	return rx;
}

/* Keeps @rx for reuse, up to MEM_RXFREE_MAX entries. */
static void
rx_put_locked(struct mem_softc *sc, struct mem_rx *rx)
{
	if (sc->ms_rxnfree >= MEM_RXFREE_MAX) {
		g_free(rx);
		return;
	}
	rx->mr_m = NULL;
	rx->mr_next = sc->ms_rxfree;
	sc->ms_rxfree = rx;
	sc->ms_rxnfree++;
}

static void
vif_free_locked(struct mem_softc *sc, struct mem_vif *v)
{
	struct __mbuf *m;

	for (GList *l = sc->ms_vifs.head; l != NULL; l = l->next) {
		struct mem_vif *o = l->data;

		if (o->mv_peer == v) {
			o->mv_peer = NULL;
		}
	}
	while ((m = cap_pop_locked(v)) != NULL) {
		xk_m_freem(m);
	}
	g_queue_remove(&sc->ms_vifs, v);
	xk_if_detach_locked(v->mv_ifp);
	g_free(v);
}

static void
mem_reset_locked(struct mem_softc *sc)
{
	struct mem_rx *rx;

	while ((rx = rx_pop_locked(sc)) != NULL) {
		sc->ms_rxq_flushed++;
		xk_m_freem(rx->mr_m);
		g_free(rx);
	}
	while ((rx = sc->ms_rxfree) != NULL) {
		sc->ms_rxfree = rx->mr_next;
		g_free(rx);
	}
	sc->ms_rxnfree = 0;
	while (sc->ms_vifs.head != NULL) {
		vif_free_locked(sc, sc->ms_vifs.head->data);
	}
}

static void
mem_close(struct xk_backend *be)
{
	struct mem_softc *sc = be->be_softc;

	xk_core_lock();
	mem_reset_locked(sc);
	xk_core_unlock();
	event_free(sc->ms_rxev);
	g_free(sc);
	be->be_softc = NULL;
	mem_be = NULL;
}

/*
 * Queues a packet for the engine; ENOBUFS (counted, and the packet left
 * to the caller) when the queue is full or there is no memory for it.
 */
static int
rx_enqueue_locked(struct mem_softc *sc, struct __mbuf *m, uint32_t ifindex)
{
	struct mem_rx *rx;

	if (sc->ms_rxlen >= mem_rxq_max) {
		sc->ms_rxq_full++;
		return ENOBUFS;
	}
	if ((rx = sc->ms_rxfree) != NULL) {
		sc->ms_rxfree = rx->mr_next;
		sc->ms_rxnfree--;
	} else if ((rx = g_try_new(struct mem_rx, 1)) == NULL) {
		sc->ms_rxq_nomem++;
		return ENOBUFS;
	}
	rx->mr_next = NULL;
	rx->mr_m = m;
	rx->mr_ifindex = ifindex;
	if (sc->ms_rxtail != NULL) {
		sc->ms_rxtail->mr_next = rx;
	} else {
		sc->ms_rxhead = rx;
	}
	sc->ms_rxtail = rx;
	sc->ms_rxlen++;
	event_active(sc->ms_rxev, 0, 0);
	return 0;
}

static void
mem_rx_cb(evutil_socket_t fd, short what, void *arg)
{
	struct xk_backend *be = arg;
	struct mem_softc *sc = be->be_softc;
	struct xk_be_pkt pkts[MEM_BATCH];
	unsigned int n = 0;
	struct mem_rx *rx;
	bool more;
	bool was;

	(void)fd;
	(void)what;
	was = xk_loop_enter();
	xk_core_lock();
	while (n < MEM_BATCH && (rx = rx_pop_locked(sc)) != NULL) {
		memset(&pkts[n], 0, sizeof(pkts[n]));
		pkts[n].bp_m = rx->mr_m;
		pkts[n].bp_ifindex = rx->mr_ifindex;
		pkts[n].bp_dir = XK_DIR_IN;
		clock_gettime(CLOCK_REALTIME, &pkts[n].bp_ts);
		rx_put_locked(sc, rx);
		n++;
	}
	more = sc->ms_rxlen > 0;
	if (more) {
		event_active(sc->ms_rxev, 0, 0);	/* fairness: next turn */
	}
	xk_core_unlock();
	if (n > 0) {
		be->be_input(be, pkts, n);
	}
	xk_loop_leave(was);
}

static struct mem_vif *
vif_byindex_locked(uint32_t index)
{
	struct __ifnet *ifp = xk_if_byindex_locked(index);

	return ifp != NULL ? ifp->if_besc : NULL;
}

/* Keeps @m (consumed) as the newest capture of @v, dropping the oldest. */
static void
capture_locked(struct mem_softc *sc, struct mem_vif *v, struct __mbuf *m)
{
	while (v->mv_caplen >= mem_capq_max) {
		sc->ms_cap_overwritten++;
		xk_m_freem(cap_pop_locked(v));
	}
	m->m_nextpkt = NULL;
	if (v->mv_captail != NULL) {
		v->mv_captail->m_nextpkt = m;
	} else {
		v->mv_caphead = m;
	}
	v->mv_captail = m;
	v->mv_caplen++;
}

static void
mem_output(struct xk_backend *be, struct xk_be_pkt *pkts, unsigned int n,
    unsigned int *sent)
{
	struct mem_softc *sc = be->be_softc;

	XK_LOCK_ASSERT();
	*sent = 0;
	for (unsigned int i = 0; i < n; i++) {
		struct mem_vif *v = vif_byindex_locked(pkts[i].bp_ifindex);
		struct __mbuf *m = pkts[i].bp_m, *copy = m;

		pkts[i].bp_m = NULL;
		if (v == NULL) {
			pkts[i].bp_error = ENXIO;
			xk_m_freem(m);
			continue;
		}
		if (v->mv_peer != NULL) {
			/*
			 * The wire carries the packet, unless the far end's
			 * queue is full: then it does not leave (ENOBUFS,
			 * as from a full output queue).  Capture keeps a copy
			 * of what left.
			 */
			copy = xk_m_dup(m);
			if (rx_enqueue_locked(sc, m,
			    v->mv_peer->mv_ifp->if_index) != 0) {
				pkts[i].bp_error = ENOBUFS;
				xk_m_freem(copy);
				xk_m_freem(m);
				continue;
			}
			if (copy == NULL) {
				sc->ms_cap_nomem++;
			}
		}
		if (copy != NULL) {
			capture_locked(sc, v, copy);
		}
		(*sent)++;
	}
}

static void
mem_stats(struct xk_backend *be, void (*fn)(void *, const char *, uint64_t),
    void *ctx)
{
	struct mem_softc *sc = be->be_softc;

	XK_LOCK_ASSERT();
	fn(ctx, "mem.rxq_full", sc->ms_rxq_full);
	fn(ctx, "mem.rxq_flushed", sc->ms_rxq_flushed);
	fn(ctx, "mem.capture_overwritten", sc->ms_cap_overwritten);
	fn(ctx, "mem.capture_nomem", sc->ms_cap_nomem);
	fn(ctx, "mem.rxq_nomem", sc->ms_rxq_nomem);
}

/* Creates a virtual interface; the caller holds the core lock. */
static int
vif_create_locked(struct mem_softc *sc, const char *name, uint32_t mtu,
    struct __ifnet **ifpp)
{
	struct mem_vif *v;
	int error;

	if ((v = g_try_new0(struct mem_vif, 1)) == NULL) {
		return ENOMEM;
	}
	error = xk_if_attach_locked(name, sc->ms_nextindex, mtu, v,
	    &v->mv_ifp);
	if (error != 0) {
		g_free(v);
		return error;
	}
	sc->ms_nextindex++;
	g_queue_push_tail(&sc->ms_vifs, v);
	*ifpp = v->mv_ifp;
	return 0;
}

/* xkpi_if_detach(): the vif goes, as xkpi_mem_reset() takes them all. */
static int
mem_detach(struct xk_backend *be, const char *name)
{
	struct __ifnet *ifp;
	int error = ENXIO;

	xk_core_lock();
	if ((ifp = xk_if_byname_locked(name)) != NULL &&
	    ifp->if_besc != NULL) {
		vif_free_locked(be->be_softc, ifp->if_besc);
		error = 0;
	}
	xk_core_unlock();
	return error;
}

/* Attaching a name (XKPI_IFACES) creates an unlinked 1500-byte vif. */
static int
mem_attach(struct xk_backend *be, const char *name, struct __ifnet **ifpp)
{
	int error;

	xk_core_lock();
	error = vif_create_locked(be->be_softc, name, 1500, ifpp);
	xk_core_unlock();
	return error;
}

const struct xk_backend_ops xk_be_mem_ops = {
	.be_version = XK_BACKEND_OPS_VERSION,
	.be_name = "mem",
	.be_features = XK_BEF_INTERCEPT | XK_BEF_VIRTUAL,
	.be_open = mem_open,
	.be_attach = mem_attach,
	.be_output = mem_output,
	.be_stats = mem_stats,
	.be_detach = mem_detach,
	.be_stop = mem_stop,
	.be_close = mem_close,
};

void
xk_mem_set_limits(unsigned int rxq, unsigned int capq)
{
	xk_core_lock();
	mem_rxq_max = rxq != 0 ? rxq : MEM_RXQ_MAX;
	mem_capq_max = capq != 0 ? capq : MEM_CAPQ_MAX;
	xk_core_unlock();
}

/* The control API. */

static int
mem_enter(struct mem_softc **scp)
{
	int error;

	if ((error = xk_lib_ensure()) != 0) {
		return error;
	}
	xk_core_lock();
	if (mem_be == NULL) {
		xk_core_unlock();
		return ENXIO;
	}
	*scp = mem_be->be_softc;
	return 0;
}

static struct mem_vif *
vif_byname_locked(const char *name)
{
	struct __ifnet *ifp = xk_if_byname_locked(name);

	return ifp != NULL ? ifp->if_besc : NULL;
}

XK_EXPORT errno_t
xkpi_mem_vif_create(const char *name, uint32_t mtu, uint32_t *ifindex)
{
	struct mem_softc *sc;
	struct __ifnet *ifp;
	int error;

	if (name == NULL || *name == '\0' || mtu < 68) {
		return EINVAL;
	}
	if ((error = mem_enter(&sc)) != 0) {
		return error;
	}
	if ((error = vif_create_locked(sc, name, mtu, &ifp)) == 0 &&
	    ifindex != NULL) {
		*ifindex = ifp->if_index;
	}
	xk_core_unlock();
	return error;
}

XK_EXPORT errno_t
xkpi_mem_vif_addaddr(const char *name, int family, const void *addr,
    unsigned int plen)
{
	struct mem_softc *sc;
	struct mem_vif *v;
	int error;

	if (name == NULL || addr == NULL) {
		return EINVAL;
	}
	if ((error = mem_enter(&sc)) != 0) {
		return error;
	}
	error = (v = vif_byname_locked(name)) == NULL ? ENXIO :
	    xk_if_addaddr_locked(v->mv_ifp, family, addr, plen);
	xk_core_unlock();
	return error;
}

XK_EXPORT errno_t
xkpi_mem_link(const char *a, const char *b)
{
	struct mem_vif *va, *vb;
	struct mem_softc *sc;
	int error;

	if (a == NULL || b == NULL) {
		return EINVAL;
	}
	if ((error = mem_enter(&sc)) != 0) {
		return error;
	}
	va = vif_byname_locked(a);
	vb = vif_byname_locked(b);
	if (va == NULL || vb == NULL || va == vb) {
		error = va == vb && va != NULL ? EINVAL : ENXIO;
	} else {
		va->mv_peer = vb;
		vb->mv_peer = va;
	}
	xk_core_unlock();
	return error;
}

XK_EXPORT errno_t
xkpi_mem_inject(const char *name, const void *pkt, size_t len)
{
	struct mem_softc *sc;
	struct __mbuf *m;
	struct mem_vif *v;
	int error;

	if (name == NULL || pkt == NULL || len == 0 || len > 65535) {
		return EINVAL;
	}
	if ((error = mem_enter(&sc)) != 0) {
		return error;
	}
	if ((v = vif_byname_locked(name)) == NULL) {
		xk_core_unlock();
		return ENXIO;
	}
	if ((m = xk_m_devget(pkt, len)) == NULL) {
		xk_core_unlock();
		return ENOBUFS;
	}
	if ((error = rx_enqueue_locked(sc, m, v->mv_ifp->if_index)) != 0) {
		xk_m_freem(m);
	}
	xk_core_unlock();
	return error;
}

XK_EXPORT errno_t
xkpi_mem_capture(const char *name, void *buf, size_t cap, size_t *len)
{
	struct mem_softc *sc;
	struct __mbuf *m;
	struct mem_vif *v;
	size_t n;
	int error;

	if (name == NULL || len == NULL || (buf == NULL && cap > 0)) {
		return EINVAL;
	}
	if ((error = mem_enter(&sc)) != 0) {
		return error;
	}
	if ((v = vif_byname_locked(name)) == NULL) {
		xk_core_unlock();
		return ENXIO;
	}
	if ((m = cap_pop_locked(v)) == NULL) {
		xk_core_unlock();
		return ENOENT;
	}
	n = xk_m_length(m);
	*len = n;
	xk_m_copydata(m, 0, n < cap ? n : cap, buf);
	xk_m_freem(m);
	xk_core_unlock();
	return n > cap ? EMSGSIZE : 0;
}

XK_EXPORT void
xkpi_mem_reset(void)
{
	struct mem_softc *sc;

	if (mem_enter(&sc) != 0) {
		return;
	}
	mem_reset_locked(sc);
	xk_core_unlock();
}
