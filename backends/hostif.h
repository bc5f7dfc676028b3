/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The host's network state, read and followed through rtnetlink (libmnl),
 * for the backends that work on real interfaces (linux, pcap):
 *
 *  - an interface's index, MTU, link type, link address and addresses;
 *  - attaching it to the engine's interface table;
 *  - the route and next hop to a destination, and the next hop's link
 *    address from the neighbour table, with a resolution trigger;
 *  - a monitor on the loop that keeps attached interfaces' MTU, flags and
 *    addresses as the host changes them, and reports neighbour changes.
 *
 * The query calls are synchronous request/response on a netlink socket of
 * their own (a round trip of a few microseconds); they take no lock and
 * may be called with or without the core lock held.
 */
#ifndef _XK_BACKENDS_HOSTIF_H_
#define _XK_BACKENDS_HOSTIF_H_

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct __ifnet;

/* What the host says of one interface. */
struct xk_hostif {
	char		 hi_name[IF_NAMESIZE];
	uint32_t	 hi_index;	/* the host's ifindex */
	uint32_t	 hi_mtu;
	uint16_t	 hi_type;	/* ARPHRD_ETHER, ARPHRD_LOOPBACK, ... */
	uint8_t		 hi_hwlen;	/* 0 when the link has no address */
	uint8_t		 hi_hwaddr[16];
	uint32_t	 hi_flags;	/* IFF_UP, IFF_RUNNING, ... */
};

/* Reads interface @name: 0, ENXIO when the host has none by that name. */
int	xk_hostif_get(const char *name, struct xk_hostif *out);

/*
 * Calls @fn for every IPv4 and IPv6 address of host interface @index
 * (the local end of a point-to-point address), after reading them all:
 * @fn sees one consistent view and is called without any lock of ours.
 * EAGAIN when the host kept changing its addresses during the read.
 */
int	xk_hostif_addrs(uint32_t index,
	    void (*fn)(int family, const void *addr, unsigned int plen,
	    void *ctx), void *ctx);

/*
 * Attaches host interface @name to the engine: reads it (xk_hostif_get),
 * enters it in the interface table under the host's index with its MTU,
 * link type, link address, flags and addresses, and marks it if_host so
 * that the monitor keeps it current.  @besc becomes ifp->if_besc.
 * ENXIO when there is no such interface, EEXIST when attached already.
 */
int	xk_hostif_attach(const char *name, void *besc, struct __ifnet **ifpp);

/*
 * The host's route to @dst (AF_INET: struct in_addr, AF_INET6: struct
 * in6_addr): the outgoing interface in *oif and the next hop (the
 * gateway, or @dst itself when on link) in *nexthop, of @dst's size.
 * @oif_hint, when not 0, asks for the route out of that interface (needed
 * for link-local IPv6).  EHOSTUNREACH / ENETUNREACH when there is none.
 */
int	xk_hostif_route(int family, const void *dst, uint32_t oif_hint,
	    uint32_t *oif, void *nexthop);

/* Neighbour states, as the kernel's NUD_* bits (linux/neighbour.h). */
#define XK_NUD_USABLE	0xde	/* REACHABLE|STALE|DELAY|PROBE|PERMANENT|NOARP */

/*
 * The link address of neighbour @addr on @ifindex: copies up to @cap
 * bytes to @lladdr and its length to *lllen.  0 when the entry is usable
 * (XK_NUD_USABLE); ENOENT when there is no entry or it is still
 * resolving; EHOSTUNREACH when resolution failed.
 */
int	xk_hostif_neigh(int family, uint32_t ifindex, const void *addr,
	    uint8_t *lladdr, size_t cap, size_t *lllen);

/*
 * Asks the kernel to resolve neighbour @addr on @ifindex now (ARP or
 * Neighbor Solicitation), as if a packet were waiting for it; creates
 * the entry when there is none.  The answer arrives as a neighbour
 * change on the monitor.  Needs CAP_NET_ADMIN (EPERM otherwise).
 */
int	xk_hostif_neigh_resolve(int family, uint32_t ifindex, const void *addr);

/*
 * A neighbour change reported by the monitor: @state is the entry's
 * NUD_* state, @lladdr its link address (NULL and 0 when it has none).
 * A removed entry comes with NUD_NONE (0) and no link address.
 */
typedef void	xk_hostif_neigh_cb(void *ctx, int family, uint32_t ifindex,
		    const void *addr, const uint8_t *lladdr, size_t lllen,
		    uint16_t state);

/*
 * be_mcast for every host backend: the host's interface @ifindex joins or
 * leaves @group, through a datagram socket of the family kept for it.
 */
struct xk_backend;
int	xk_hostif_mcast(struct xk_backend *be, int family, const void *group,
	    uint32_t ifindex, bool join);

struct xk_hostif_mon;

/*
 * Starts following the host on @base: link changes (MTU, flags; an
 * interface that disappears is marked down and loses its addresses) and
 * address changes are applied to attached host interfaces under the core
 * lock; neighbour changes go to @neigh_cb, on the loop thread, without
 * the lock.  With @neigh_cb NULL the monitor does not listen to
 * neighbours and routes at all.  NULL with errno set on failure.
 */
struct xk_hostif_mon *xk_hostif_follow(struct event_base *base,
	    xk_hostif_neigh_cb *neigh_cb, void *ctx);
/*
 * Stops following; call from be_stop (no callback runs afterwards: from
 * another thread it waits for a running one, which needs @base to be
 * thread-safe as the library's is).  May be called from @neigh_cb.
 */
void	xk_hostif_unfollow(struct xk_hostif_mon *mon);
/*
 * How many times the kernel dropped notifications for the monitor (its
 * socket buffer overflowed); each time, the monitor re-read the attached
 * interfaces and reported their neighbour entries again.  For be_stats.
 */
uint64_t xk_hostif_overruns(const struct xk_hostif_mon *mon);
/*
 * A number that grows with every change the monitor hears of (links,
 * addresses, routes, neighbours, overruns), so a backend may keep the
 * answers of xk_hostif_route() and xk_hostif_neigh() while it stays the
 * same.
 */
uint64_t xk_hostif_generation(const struct xk_hostif_mon *mon);

#endif /* _XK_BACKENDS_HOSTIF_H_ */
