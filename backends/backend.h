/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The packet backend interface: one const ops table per backend (libevent's
 * eventop shape), chosen by name from the registry.  The core never asks
 * which backend it has, only what its feature bits say.
 *
 * Packets cross this boundary as mbuf chains holding an IP packet (IPv4 or
 * IPv6 header first); a backend that sees frames strips and adds the link
 * header itself.  Receive and transmit both take batches; the KPI above
 * stays per packet.  Transmit always consumes every packet it is given.
 *
 * Life of a backend, two phases each way:
 *	be_open		allocate, check privileges; no I/O yet
 *	be_stop		no more receive or transmit; events removed
 *	be_close	free everything (no callback runs any more)
 * Receive starts when an interface is attached to it (be_attach), and
 * stops for that interface at be_detach.
 */
#ifndef _XK_BACKENDS_BACKEND_H_
#define _XK_BACKENDS_BACKEND_H_

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include <sys/kernel_types.h>

#define XK_BACKEND_OPS_VERSION	1

/* Feature bits. */
#define XK_BEF_INTERCEPT	0x0001	/* holds a host packet until a verdict */
#define XK_BEF_COPIES		0x0002	/* sees copies of the host's traffic */
#define XK_BEF_VIRTUAL		0x0004	/* its interfaces exist in-process only */
/*
 * be_output may keep a packet it accepted (an output queue, a hold queue
 * waiting for a link address): the backend counts if_opackets itself
 * when the packet leaves, and if_oqdrops when it is discarded instead.
 * Without the bit, the core counts if_opackets when be_output accepts.
 */
#define XK_BEF_OCOUNT		0x0008

/* Direction of a received packet. */
enum xk_dir {
	XK_DIR_IN = 0,		/* arrived on the interface */
	XK_DIR_OUT = 1		/* the host sent it out of the interface */
};

/* One packet of a batch, with what the backend knows about it. */
struct xk_be_pkt {
	struct __mbuf	*bp_m;		/* the IP packet */
	uint32_t	 bp_ifindex;	/* interface it came in or goes out on */
	uint8_t		 bp_dir;	/* enum xk_dir */
	struct timespec	 bp_ts;		/* when the backend saw it */
	int		 bp_error;	/* output: why it did not leave */
	/*
	 * Input from an intercepting backend: the id of the host packet it
	 * holds until the engine's verdict (be_verdict), 0 for a copy.  The
	 * core keeps it in the mbuf (m_pkthdr.hold) while the packet is on
	 * its path.
	 */
	uint64_t	 bp_hold;
	uint32_t	 bp_mark;	/* the host's packet mark (nfmark) */
};

/* Verdicts on a held packet. */
enum xk_verdict {
	XK_VERDICT_ACCEPT = 0,	/* it goes on where the host held it */
	XK_VERDICT_DROP = 1	/* the host drops it */
};

/*
 * How long an intercepting backend holds a packet the engine has not
 * answered (a divert daemon ate it, say) before it drops it and counts
 * it, in milliseconds, when its configuration says nothing else.
 */
#define XK_HOLD_MS_DEFAULT	2000

struct xk_backend;
struct __ifnet;

/*
 * The core's receive entry: called on the loop thread with a batch; the
 * core takes every mbuf (delivers it or counts its drop).
 */
typedef void	xk_be_input_t(struct xk_backend *be, struct xk_be_pkt *pkts,
		    unsigned int n);

struct xk_backend_ops {
	uint32_t	 be_version;	/* XK_BACKEND_OPS_VERSION */
	const char	*be_name;
	uint32_t	 be_features;	/* XK_BEF_* */
	int		(*be_open)(struct xk_backend *be);
	/*
	 * Attaches the interface called @name: enters it in the engine's
	 * interface table (xk_if_attach_locked, or xk_hostif_attach for a
	 * host interface) and starts receiving on it.  Called without the
	 * core lock, off or on the loop thread.  ENXIO when there is no such
	 * interface, EEXIST when it is attached already, EPROTONOSUPPORT for
	 * a link type the backend cannot carry.
	 */
	int		(*be_attach)(struct xk_backend *be, const char *name,
			    struct __ifnet **ifpp);
	/*
	 * Sends @n packets, consuming all; *@sent counts those that left.
	 * A packet that did not leave has its bp_error set (EHOSTUNREACH
	 * when its next hop has no link address, ENOBUFS when the host
	 * refused it, ...); the backend has counted it.  Called with the
	 * core lock held: it must not block.
	 */
	void		(*be_output)(struct xk_backend *be,
			    struct xk_be_pkt *pkts, unsigned int n,
			    unsigned int *sent);
	/*
	 * Optional: sends one IP packet out of interface @ifindex from the
	 * caller's memory, each byte copied once, straight to where the host
	 * takes it: the header @hdr (@hlen bytes, complete and checksummed)
	 * followed by the @iovcnt pieces of @iov, @paylen bytes in all.
	 * 0 when it left as be_output would have sent it, and is counted the
	 * same way; ENOBUFS when the host's ring was full (counted as
	 * be_output counts it); EAGAIN when this packet cannot go this way
	 * now (no link address known yet, packets waiting in another queue,
	 * too big): nothing happened, and the caller sends it with
	 * be_output.  Called with the core lock held: it must not block.
	 */
	int		(*be_output_direct)(struct xk_backend *be,
			    uint32_t ifindex, const void *hdr, size_t hlen,
			    const struct iovec *iov, int iovcnt,
			    size_t paylen);
	/*
	 * Optional (NULL for virtual backends): the host's route to @dst
	 * when no attached interface's prefix holds it; 0 and the outgoing
	 * interface's index in *ifindex, or EHOSTUNREACH.  Core lock held.
	 */
	int		(*be_route)(struct xk_backend *be, int family,
			    const void *dst, uint32_t *ifindex);
	/*
	 * Optional: reports the backend's own counters (packets the host or
	 * the backend dropped before the engine saw them, resolution
	 * failures, ...) as fn(ctx, name, value); xkpi_stats() shows them
	 * as `be.<name>`.  Names are dotted, `<backend>.<ifname>.<counter>`
	 * for per-interface ones.  Core lock held.
	 */
	void		(*be_stats)(struct xk_backend *be,
			    void (*fn)(void *ctx, const char *name,
			    uint64_t value), void *ctx);
	/*
	 * Optional, for a backend that keeps packets it accepted
	 * (XK_BEF_OCOUNT): sends what it still keeps, waiting for the host
	 * until @deadline_us (g_get_monotonic_time()); what has not left by
	 * then is discarded, counted (if_oqdrops, and a counter of the
	 * backend's) and logged, naming @why ("shutdown", "exit").  Called
	 * without the core lock: by xkpi_shutdown() before be_stop, and by
	 * the exit hook, while the loop and other threads may still run.
	 */
	void		(*be_drain)(struct xk_backend *be, int64_t deadline_us,
			    const char *why);
	/*
	 * Optional, for a backend that holds host packets (bp_hold): the
	 * engine's verdict on held packet @hold.  XK_VERDICT_ACCEPT with @m
	 * NULL lets the original go on unchanged; with @m (a complete IP
	 * packet, network order, checksums right) the packet goes on with
	 * those bytes instead.  XK_VERDICT_DROP drops it.  Returns 0 and
	 * consumes @m; or ENOENT, when the backend no longer holds @hold
	 * (answered already, or dropped after its bound), and then leaves
	 * @m to the caller, which treats it as a new packet.  Verdicts may be batched: the backend
	 * sends what it has before the loop sleeps.  Core lock held; must
	 * not block.
	 */
	int		(*be_verdict)(struct xk_backend *be, uint64_t hold,
			    enum xk_verdict verdict, struct __mbuf *m);
	/*
	 * Optional, for a backend that intercepts the host's traffic: gives
	 * @m (a complete IP packet, network order) to the host as if it had
	 * been received on interface @ifindex (a packet written back inward
	 * that answers no held packet).  Consumes @m.  Core lock held.
	 */
	int		(*be_inject_in)(struct xk_backend *be,
			    struct __mbuf *m, uint32_t ifindex);
	/*
	 * Optional, for host backends: makes the host's interface @ifindex
	 * join (@join) or leave the multicast @group (AF_INET: struct
	 * in_addr, AF_INET6: struct in6_addr), so that the group's packets
	 * arrive at all.  The engine calls it once per (interface, group):
	 * at the first socket's join and the last one's leave.  Core lock
	 * held; must not block.
	 */
	int		(*be_mcast)(struct xk_backend *be, int family,
			    const void *group, uint32_t ifindex, bool join);
	/*
	 * Detaches the interface called @name that be_attach attached:
	 * receive on it stops, what the backend keeps for it (packets
	 * waiting for a link address) is dropped and counted, and it leaves
	 * the engine's interface table (xk_if_detach_locked).  ENXIO when
	 * no interface of that name is attached.  Called without the core
	 * lock, off or on the loop thread, but not from this backend's own
	 * receive callback.
	 */
	int		(*be_detach)(struct xk_backend *be, const char *name);
	void		(*be_stop)(struct xk_backend *be);
	void		(*be_close)(struct xk_backend *be);
};

/* An open backend. */
struct xk_backend {
	const struct xk_backend_ops *be_ops;
	struct event_base *be_base;	/* the loop's */
	xk_be_input_t	*be_input;	/* the core's receive entry */
	void		*be_softc;	/* the backend's own state */
};

/*
 * be_output_direct's copy: the header @hdr (@hlen bytes), then the
 * pieces of @iov, to @to.
 */
static inline void
xk_be_copy_direct(uint8_t *to, const void *hdr, size_t hlen,
    const struct iovec *iov, int iovcnt)
{
	memcpy(to, hdr, hlen);
	to += hlen;
	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len != 0) {
			memcpy(to, iov[i].iov_base, iov[i].iov_len);
			to += iov[i].iov_len;
		}
	}
}

/* The registry (backends/registry.c): NULL when not built in. */
const struct xk_backend_ops *xk_backend_lookup(const char *name);
/* Whether @name is a backend xkpi knows, built in or not. */
bool	xk_backend_known(const char *name);
/*
 * The backends' names, ", " between them, into @buf of @size bytes: those
 * of this build (@built), or every backend xkpi knows.
 */
void	xk_backend_names(bool built, char *buf, size_t size);
/*
 * The capabilities backend @name needs, as setcap(8) spells them
 * ("cap_net_raw"), or NULL when it needs none.
 */
const char *xk_backend_caps(const char *name);

extern const struct xk_backend_ops xk_be_mem_ops;
/*
 * Test hook of the mem backend: the receive queue's bound and each
 * interface's capture bound, in packets (0: the defaults, 65536 and 4096).
 */
void	xk_mem_set_limits(unsigned int rxq, unsigned int capq);
extern const struct xk_backend_ops xk_be_linux_ops;
extern const struct xk_backend_ops xk_be_pcap_ops;
extern const struct xk_backend_ops xk_be_nfqueue_ops;

#endif /* _XK_BACKENDS_BACKEND_H_ */
