/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The libpcap backend: one capture handle per attached Ethernet interface,
 * in immediate and non-blocking mode, read when its selectable descriptor
 * turns readable.  Output frames the IP packet here: the next hop comes
 * from the host's routes, its link address from the host's neighbour
 * table, and the frame leaves through pcap_inject().  A packet whose next
 * hop is still resolving waits in a small hold queue (BSD's la_hold) until
 * the neighbour monitor reports the address, or is dropped after 3 s.
 * A packet counts in the interface's opackets when it is injected, in
 * its oqdrops when it was held and dropped (XK_BEF_OCOUNT); at
 * xkpi_shutdown() and exit, held packets get a last chance (pc_drain).
 *
 * A pcap_t is not safe to share between threads, and output runs on any
 * thread that holds the core lock: so every use of a handle, receive
 * included, happens under the core lock.  The received batch goes to the
 * engine after the lock is dropped.
 *
 * libpcap 1.10 with TPACKET_V3 can leave a blocking read asleep after
 * traffic stops, whatever its timeout; the handles here never block, and
 * the loop polls their descriptors.
 */
#include "core/xk.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <net/ethernet.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include <xkpi.h>

#include "backends/backend.h"
#include "backends/hostif.h"
#include "core/if_var.h"
#include "core/mbuf_var.h"
#include "core/socket_var.h"

/*
 * The snapshot length: the interface's MTU and a link header with a VLAN
 * tag.  libpcap's immediate mode (TPACKET_V2) sizes every ring frame for
 * the snapshot length: with its maximum (256 KiB), a 4 MiB buffer held 16
 * frames, and a burst of small packets overflowed it (bench_raw_recv:
 * 17-38% of 64-byte packets received, 99% with frames for the MTU).  A
 * packet longer than the MTU (segments the host's GRO merged, or after
 * the MTU grew) is cut and counted (truncated).
 */
#define PC_SNAPLEN(mtu)	((int)((mtu) < 1500 ? 1500 : (mtu)) + \
			    ETHER_HDR_LEN + 4)
#define PC_BUFSIZE	(4 * 1024 * 1024)
#define PC_BATCH	64		/* frames per pcap_dispatch() */
#define PC_ROUNDS	8		/* batches per wakeup, for fairness */
#define PC_FRAME_MAX	(ETHER_HDR_LEN + IP_MAXPACKET)
#define PC_HOLD_HOP	16		/* held packets per next hop */
#define PC_HOLD_MAX	256		/* held packets in all */
#define PC_HOLD_US	(3 * G_USEC_PER_SEC)	/* a held packet's life */
#define PC_ASK_US	G_USEC_PER_SEC	/* resolution requests, at most */
#define PC_SWEEP_MS	250
#define PC_NUD_FAILED	0x20		/* linux/neighbour.h NUD_FAILED */
#define PC_ETHERTYPE_QINQ 0x88a8	/* 802.1ad service tag */

/* Per-interface counters, reported as pcap.<ifname>.<name>. */
enum pc_ctr {
	PC_RECEIVED,		/* IP packets handed to the engine */
	PC_OUTSEEN,		/* of which: frames with our own source */
	PC_NONIP,		/* not IPv4 or IPv6 (ARP, LLDP, ...) */
	PC_VLAN,		/* tagged: another interface's traffic */
	PC_RUNT,		/* too short for a link header and data */
	PC_TRUNCATED,		/* cut by the snapshot length */
	PC_RXERRORS,		/* pcap_dispatch() failed: receive stopped */
	PC_NOMEM,		/* no memory (mbuf, hold entry) for it */
	PC_SENT,		/* frames injected */
	PC_OERRORS,		/* pcap_inject() refused the frame */
	PC_NOROUTE,		/* no host route out of this interface */
	PC_UNRESOLVED,		/* neighbour resolution failed */
	PC_HELD,		/* packets that waited for resolution */
	PC_HOLD_DROP,		/* pushed out of a full hold queue */
	PC_HOLD_TIMEOUT,	/* still unresolved after PC_HOLD_US */
	PC_HOLD_LOST,		/* still held at xkpi_shutdown() or exit */
	PC_NCTR
};

static const char *const pc_ctr_names[PC_NCTR] = {
	[PC_RECEIVED] = "received",
	[PC_OUTSEEN] = "outseen",
	[PC_NONIP] = "nonip",
	[PC_VLAN] = "vlan",
	[PC_RUNT] = "runt",
	[PC_TRUNCATED] = "truncated",
	[PC_RXERRORS] = "rxerrors",
	[PC_NOMEM] = "nomem",
	[PC_SENT] = "sent",
	[PC_OERRORS] = "oerrors",
	[PC_NOROUTE] = "noroute",
	[PC_UNRESOLVED] = "unresolved",
	[PC_HELD] = "held",
	[PC_HOLD_DROP] = "hold_drop",
	[PC_HOLD_TIMEOUT] = "hold_timeout",
	[PC_HOLD_LOST] = "hold_lost",
};

union pc_addr {
	struct in_addr	v4;
	struct in6_addr	v6;
};

struct pc_softc;

/*
 * A remembered next-hop link address: valid while the monitor's
 * generation has not moved, i.e. while no link, address, route or
 * neighbour changed.  Saves the two netlink queries per packet.
 */
#define PC_NHC_SIZE	256	/* entries, direct mapped by destination */

struct pc_nhc {
	uint64_t	 nc_gen;	/* 0: empty */
	uint32_t	 nc_ifindex;
	int		 nc_family;
	union pc_addr	 nc_dst;
	uint8_t		 nc_lladdr[ETHER_ADDR_LEN];
};

/* One attached interface: if_besc of its ifnet. */
struct pc_if {
	struct pc_softc	*pi_sc;
	struct __ifnet	*pi_ifp;
	pcap_t		*pi_p;
	struct event	*pi_ev;
	uint32_t	 pi_index;
	char		 pi_name[IF_NAMESIZE];	/* as attached, for the log */
	bool		 pi_nano;	/* timestamps in nanoseconds */
	uint64_t	 pi_ctr[PC_NCTR];
};

/* Packets waiting for the link address of one next hop. */
struct pc_hold {
	struct pc_if	*ho_pif;
	int		 ho_family;
	union pc_addr	 ho_addr;
	gint64		 ho_asked;	/* last resolution request */
	GQueue		 ho_pkts;	/* struct pc_held, oldest first */
};

struct pc_held {
	struct __mbuf	*hp_m;
	gint64		 hp_since;
};

struct pc_softc {
	struct xk_backend *sc_be;
	struct xk_hostif_mon *sc_mon;
	GQueue		 sc_ifs;	/* struct pc_if */
	GQueue		 sc_holds;	/* struct pc_hold */
	unsigned int	 sc_nheld;	/* packets in all the holds */
	struct event	*sc_sweep;	/* drops holds that waited too long */
	bool		 sc_sweeping;	/* sc_sweep is pending */
	uint64_t	 sc_noif;	/* output to an interface not ours */
	uint8_t		*sc_frame;	/* output frame, PC_FRAME_MAX bytes */
	struct pc_nhc	 sc_nhc[PC_NHC_SIZE];
};

/* One pcap_dispatch() round. */
struct pc_rx {
	struct pc_if	*rx_pif;
	struct xk_be_pkt *rx_pkts;
	unsigned int	 rx_n;
};

static size_t
pc_addrlen(int family)
{
	return family == AF_INET ? sizeof(struct in_addr) :
	    sizeof(struct in6_addr);
}

/* Receive. */

static void
pc_rx_frame(u_char *arg, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct pc_rx *rx = (struct pc_rx *)(void *)arg;
	struct pc_if *pif = rx->rx_pif;
	struct xk_be_pkt *bp;
	struct __mbuf *m;
	uint16_t type;
	size_t len;

	if (h->caplen < h->len) {
		pif->pi_ctr[PC_TRUNCATED]++;
		return;
	}
	if (h->caplen <= ETHER_HDR_LEN) {
		pif->pi_ctr[PC_RUNT]++;
		return;
	}
	type = (uint16_t)(bytes[12] << 8 | bytes[13]);
	/*
	 * A tagged frame belongs to a VLAN interface on top of this one
	 * (libpcap puts back the tag the kernel took off), with addresses
	 * of its own: it is not this interface's input.
	 */
	if (type == ETHERTYPE_VLAN || type == PC_ETHERTYPE_QINQ) {
		pif->pi_ctr[PC_VLAN]++;
		return;
	}
	if (type != ETHERTYPE_IP && type != ETHERTYPE_IPV6) {
		pif->pi_ctr[PC_NONIP]++;
		return;
	}
	if (rx->rx_n == PC_BATCH) {
		/* pcap_dispatch() was asked for no more than this. */
		xk_panic("pcap: more than %d frames in a batch", PC_BATCH);
		return;
	}
	len = h->caplen - ETHER_HDR_LEN;
	if ((m = xk_m_devget(bytes + ETHER_HDR_LEN, len)) == NULL) {
		pif->pi_ctr[PC_NOMEM]++;
		return;
	}
	bp = &rx->rx_pkts[rx->rx_n++];
	memset(bp, 0, sizeof(*bp));
	bp->bp_m = m;
	bp->bp_ifindex = pif->pi_index;
	bp->bp_dir = XK_DIR_IN;
	/*
	 * With PCAP_D_IN the kernel keeps the host's outgoing frames from
	 * us; one with our own source that still comes is ours going out.
	 */
	if (memcmp(bytes + ETHER_ADDR_LEN, pif->pi_ifp->if_hwaddr,
	    ETHER_ADDR_LEN) == 0) {
		bp->bp_dir = XK_DIR_OUT;
		pif->pi_ctr[PC_OUTSEEN]++;
	}
	bp->bp_ts.tv_sec = h->ts.tv_sec;
	bp->bp_ts.tv_nsec = pif->pi_nano ? (long)h->ts.tv_usec :
	    (long)h->ts.tv_usec * 1000;
	pif->pi_ctr[PC_RECEIVED]++;
}

static void
pc_rx_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pc_if *pif = arg;
	struct xk_backend *be = pif->pi_sc->sc_be;
	struct xk_be_pkt pkts[PC_BATCH];
	struct pc_rx rx = { .rx_pif = pif, .rx_pkts = pkts };
	bool was;
	int r = 0;

	(void)fd;
	(void)what;
	was = xk_loop_enter();
	for (int round = 0; round < PC_ROUNDS; round++) {
		rx.rx_n = 0;
		xk_core_lock();
		r = pcap_dispatch(pif->pi_p, PC_BATCH, pc_rx_frame,
		    (u_char *)&rx);
		if (r == PCAP_ERROR) {
			/* On Linux: the interface is gone (or the ring is). */
			pif->pi_ctr[PC_RXERRORS]++;
			xk_log(XKPI_LOG_ERROR, "pcap %s: %s; receive stops",
			    pif->pi_name, pcap_geterr(pif->pi_p));
		}
		xk_core_unlock();
		if (rx.rx_n > 0) {
			be->be_input(be, pkts, rx.rx_n);
		}
		if (r == PCAP_ERROR) {
			event_del(pif->pi_ev);
		}
		if (r < PC_BATCH) {
			break;
		}
	}
	/*
	 * Still a full batch: come back on the next turn of the loop rather
	 * than rely on the descriptor, which may not show frames libpcap has
	 * taken from the ring but not handed out yet.
	 */
	if (r >= PC_BATCH) {
		event_active(pif->pi_ev, EV_READ, 0);
	}
	xk_loop_leave(was);
}

/* Output. */

static void
pc_held_free(struct pc_held *hp)
{
	xk_m_freem(hp->hp_m);
	g_free(hp);
}

static struct pc_hold *
pc_hold_find_locked(struct pc_softc *sc, uint32_t ifindex, int family,
    const void *addr)
{
	for (GList *l = sc->sc_holds.head; l != NULL; l = l->next) {
		struct pc_hold *ho = l->data;

		if (ho->ho_pif->pi_index == ifindex &&
		    ho->ho_family == family &&
		    memcmp(&ho->ho_addr, addr, pc_addrlen(family)) == 0) {
			return ho;
		}
	}
	return NULL;
}

/* Frees @ho when it holds nothing any more. */
static void
pc_hold_gc_locked(struct pc_softc *sc, struct pc_hold *ho)
{
	if (ho->ho_pkts.length == 0) {
		g_queue_remove(&sc->sc_holds, ho);
		g_free(ho);
	}
}

/*
 * Drops the oldest packet of @ho, counting it under @ctr and, as output
 * that was accepted but did not leave, in the interface's if_oqdrops.
 */
static void
pc_hold_drop1_locked(struct pc_softc *sc, struct pc_hold *ho, enum pc_ctr ctr)
{
	pc_held_free(g_queue_pop_head(&ho->ho_pkts));
	sc->sc_nheld--;
	ho->ho_pif->pi_ctr[ctr]++;
	ho->ho_pif->pi_ifp->if_oqdrops++;
}

/* Drops every packet of @ho (which is freed), counting under @ctr. */
static void
pc_hold_drain_locked(struct pc_softc *sc, struct pc_hold *ho, enum pc_ctr ctr)
{
	while (ho->ho_pkts.length > 0) {
		pc_hold_drop1_locked(sc, ho, ctr);
	}
	pc_hold_gc_locked(sc, ho);
}

/*
 * Writes the Ethernet header for @lladdr in the frame buffer; where the
 * IP packet goes.
 */
static uint8_t *
pc_frame_locked(struct pc_if *pif, int family, const uint8_t *lladdr)
{
	struct ether_header *eh =
	    (struct ether_header *)(void *)pif->pi_sc->sc_frame;

	memcpy(eh->ether_dhost, lladdr, ETHER_ADDR_LEN);
	memcpy(eh->ether_shost, pif->pi_ifp->if_hwaddr, ETHER_ADDR_LEN);
	eh->ether_type = htons(family == AF_INET ? ETHERTYPE_IP :
	    ETHERTYPE_IPV6);
	return (uint8_t *)(eh + 1);
}

/* Injects the frame buffer, holding an IP packet of @len bytes. */
static int
pc_inject_locked(struct pc_if *pif, size_t len)
{
	int error;

	errno = 0;
	if (pcap_inject(pif->pi_p, pif->pi_sc->sc_frame,
	    ETHER_HDR_LEN + len) < 0) {
		error = errno;
		if (error == 0 || error == EAGAIN || error == EWOULDBLOCK) {
			error = ENOBUFS;
		}
		pif->pi_ctr[PC_OERRORS]++;
		xk_log(XKPI_LOG_WARN, "pcap %s: inject: %s", pif->pi_name,
		    pcap_geterr(pif->pi_p));
		return error;
	}
	pif->pi_ctr[PC_SENT]++;
	/* Sent only now, held or not (XK_BEF_OCOUNT). */
	pif->pi_ifp->if_opackets++;
	return 0;
}

/* Frames @m (consumed) for @lladdr and injects it. */
static int
pc_send_locked(struct pc_if *pif, struct __mbuf *m, int family,
    const uint8_t *lladdr)
{
	size_t len = xk_m_length(m);

	if (len > IP_MAXPACKET) {
		xk_m_freem(m);
		pif->pi_ctr[PC_OERRORS]++;
		return EMSGSIZE;
	}
	xk_m_copydata(m, 0, len, pc_frame_locked(pif, family, lladdr));
	xk_m_freem(m);
	return pc_inject_locked(pif, len);
}

/* Sends what @ho holds to @lladdr, oldest first, and frees @ho. */
static void
pc_hold_flush_locked(struct pc_softc *sc, struct pc_hold *ho,
    const uint8_t *lladdr)
{
	struct pc_held *hp;

	while ((hp = g_queue_pop_head(&ho->ho_pkts)) != NULL) {
		sc->sc_nheld--;
		if (pc_send_locked(ho->ho_pif, hp->hp_m, ho->ho_family,
		    lladdr) != 0) {
			/* Accepted when held: nobody else counts it. */
			ho->ho_pif->pi_ifp->if_oqdrops++;
		}
		g_free(hp);
	}
	pc_hold_gc_locked(sc, ho);
}

static void
pc_sweep_start_locked(struct pc_softc *sc)
{
	struct timeval tv = { 0, PC_SWEEP_MS * 1000 };

	if (!sc->sc_sweeping && evtimer_add(sc->sc_sweep, &tv) == 0) {
		sc->sc_sweeping = true;
	}
}

/* Drops the oldest held packet of all to make room. */
static void
pc_hold_make_room_locked(struct pc_softc *sc)
{
	struct pc_hold *oldest = NULL;
	gint64 t = 0;

	for (GList *l = sc->sc_holds.head; l != NULL; l = l->next) {
		struct pc_hold *ho = l->data;
		struct pc_held *hp = g_queue_peek_head(&ho->ho_pkts);

		if (hp != NULL && (oldest == NULL || hp->hp_since < t)) {
			oldest = ho;
			t = hp->hp_since;
		}
	}
	if (oldest != NULL) {
		pc_hold_drop1_locked(sc, oldest, PC_HOLD_DROP);
		pc_hold_gc_locked(sc, oldest);
	}
}

/* Keeps @m (consumed) until next hop @nh resolves, and asks for it. */
static void
pc_hold_locked(struct pc_if *pif, struct __mbuf *m, int family,
    const union pc_addr *nh)
{
	struct pc_softc *sc = pif->pi_sc;
	struct pc_held *hp;
	struct pc_hold *ho;
	gint64 now = g_get_monotonic_time();
	int error;

	if (sc->sc_nheld >= PC_HOLD_MAX) {
		pc_hold_make_room_locked(sc);
	}
	if ((ho = pc_hold_find_locked(sc, pif->pi_index, family, nh)) ==
	    NULL) {
		if ((ho = g_try_new0(struct pc_hold, 1)) == NULL) {
			pif->pi_ctr[PC_NOMEM]++;
			xk_m_freem(m);
			return;
		}
		ho->ho_pif = pif;
		ho->ho_family = family;
		memcpy(&ho->ho_addr, nh, pc_addrlen(family));
		g_queue_init(&ho->ho_pkts);
		g_queue_push_tail(&sc->sc_holds, ho);
	}
	if (ho->ho_pkts.length >= PC_HOLD_HOP) {
		pc_hold_drop1_locked(sc, ho, PC_HOLD_DROP);
	}
	if ((hp = g_try_new(struct pc_held, 1)) == NULL) {
		pif->pi_ctr[PC_NOMEM]++;
		xk_m_freem(m);
		return;
	}
	hp->hp_m = m;
	hp->hp_since = now;
	g_queue_push_tail(&ho->ho_pkts, hp);
	sc->sc_nheld++;
	pif->pi_ctr[PC_HELD]++;
	if (ho->ho_asked == 0 || now - ho->ho_asked >= PC_ASK_US) {
		ho->ho_asked = now;
		if ((error = xk_hostif_neigh_resolve(family, pif->pi_index,
		    nh)) != 0) {
			xk_log(XKPI_LOG_DEBUG, "pcap %s: resolve: %s",
			    pif->pi_name, strerror(error));
		}
	}
	pc_sweep_start_locked(sc);
}

/* Whether IPv4 @dst is a broadcast address of @ifp's link. */
static bool
pc_bcast4_locked(const struct __ifnet *ifp, struct in_addr dst)
{
	if (dst.s_addr == INADDR_BROADCAST) {
		return true;
	}
	for (guint i = 0; i < ifp->if_addrs->len; i++) {
		const struct xk_ifaddr *ifa = &g_array_index(ifp->if_addrs,
		    struct xk_ifaddr, i);
		uint32_t mask, a = ntohl(ifa->ifa_addr.v4.s_addr);

		if (ifa->ifa_family != AF_INET || ifa->ifa_plen == 0 ||
		    ifa->ifa_plen >= 31) {
			continue;
		}
		mask = 0xffffffffu << (32 - ifa->ifa_plen);
		if (ntohl(dst.s_addr) == ((a & mask) | ~mask)) {
			return true;
		}
	}
	return false;
}

/*
 * Where @m goes on the link: a link address worked out from the
 * destination (multicast, broadcast: *@known), or else the next hop in
 * *@nh whose neighbour entry gives it.  EHOSTUNREACH when there is no
 * route out of this interface.
 */
static int
pc_nexthop_locked(struct pc_if *pif, struct __mbuf *m, int *familyp,
    union pc_addr *nh, uint8_t *lladdr, bool *known)
{
	union pc_addr dst;
	uint32_t oif = 0;
	uint8_t vers = 0;
	int family;

	*known = false;
	(void)xk_m_copydata(m, 0, 1, &vers);
	switch (vers >> 4) {
	case 4:
		family = AF_INET;
		if (xk_m_copydata(m, offsetof(struct ip, ip_dst),
		    sizeof(dst.v4), &dst.v4) != 0) {
			return EINVAL;
		}
		if (pc_bcast4_locked(pif->pi_ifp, dst.v4)) {
			memset(lladdr, 0xff, ETHER_ADDR_LEN);
			*known = true;
		} else if (IN_MULTICAST(ntohl(dst.v4.s_addr))) {
			const uint8_t *b = (const uint8_t *)&dst.v4;

			lladdr[0] = 0x01;
			lladdr[1] = 0x00;
			lladdr[2] = 0x5e;
			lladdr[3] = b[1] & 0x7f;
			lladdr[4] = b[2];
			lladdr[5] = b[3];
			*known = true;
		}
		break;
	case 6:
		family = AF_INET6;
		if (xk_m_copydata(m, offsetof(struct ip6_hdr, ip6_dst),
		    sizeof(dst.v6), &dst.v6) != 0) {
			return EINVAL;
		}
		if (IN6_IS_ADDR_MULTICAST(&dst.v6)) {
			lladdr[0] = 0x33;
			lladdr[1] = 0x33;
			memcpy(lladdr + 2, &dst.v6.s6_addr[12], 4);
			*known = true;
		} else if (IN6_IS_ADDR_LINKLOCAL(&dst.v6)) {
			/* On this link by definition: no route to ask. */
			*nh = dst;
			*familyp = family;
			return 0;
		}
		break;
	default:
		return EAFNOSUPPORT;
	}
	*familyp = family;
	if (*known) {
		return 0;
	}
	/*
	 * No oif hint: given one, Linux calls any IPv4 destination on link
	 * when its tables have no route.  The engine chose this interface;
	 * the host must agree.
	 */
	if (xk_hostif_route(family, &dst, 0, &oif, nh) != 0 ||
	    oif != pif->pi_index) {
		pif->pi_ctr[PC_NOROUTE]++;
		return EHOSTUNREACH;
	}
	return 0;
}

/* The cache slot of (@family, @ifindex, @dst). */
static struct pc_nhc *
pc_nhc_slot(struct pc_softc *sc, int family, uint32_t ifindex,
    const union pc_addr *dst)
{
	const uint8_t *b = (const uint8_t *)dst;
	uint32_t h = ifindex * 2654435761u;

	for (size_t i = 0; i < pc_addrlen(family); i++) {
		h = (h ^ b[i]) * 16777619u;
	}
	return &sc->sc_nhc[h % PC_NHC_SIZE];
}

/*
 * The family and destination of the IP packet whose first @len bytes are
 * @p, or false for neither IP (or a header cut short).
 */
static bool
pc_dst(const uint8_t *p, size_t len, int *family, union pc_addr *dst)
{
	memset(dst, 0, sizeof(*dst));
	if (len >= sizeof(struct ip) && p[0] >> 4 == 4) {
		*family = AF_INET;
		memcpy(&dst->v4, p + offsetof(struct ip, ip_dst),
		    sizeof(dst->v4));
		return true;
	}
	if (len >= sizeof(struct ip6_hdr) && p[0] >> 4 == 6) {
		*family = AF_INET6;
		memcpy(&dst->v6, p + offsetof(struct ip6_hdr, ip6_dst),
		    sizeof(dst->v6));
		return true;
	}
	return false;
}

/*
 * The link address the cache has for (@family, @ifindex, @dst) while the
 * host's tables are unchanged, or NULL.
 */
static const uint8_t *
pc_nhc_lookup(struct pc_softc *sc, int family, uint32_t ifindex,
    const union pc_addr *dst, uint64_t gen)
{
	struct pc_nhc *nc = pc_nhc_slot(sc, family, ifindex, dst);

	if (nc->nc_gen == gen && nc->nc_ifindex == ifindex &&
	    nc->nc_family == family &&
	    memcmp(&nc->nc_dst, dst, sizeof(*dst)) == 0) {
		return nc->nc_lladdr;
	}
	return NULL;
}

/* Sends, holds or drops one packet; 0 when it left or waits. */
static int
pc_output1_locked(struct pc_softc *sc, struct __mbuf *m, uint32_t ifindex)
{
	struct __ifnet *ifp = xk_if_byindex_locked(ifindex);
	struct pc_nhc *nc = NULL;
	struct pc_if *pif;
	struct pc_hold *ho;
	union pc_addr nh, dst;
	uint64_t gen;
	uint8_t lladdr[16], hdr[sizeof(struct ip6_hdr)];
	size_t lllen = 0, hlen;
	bool known;
	int error, family = 0;

	/* Every ifnet in the table is ours: we are the open backend. */
	if (ifp == NULL || (pif = ifp->if_besc) == NULL) {
		sc->sc_noif++;
		xk_m_freem(m);
		return ENXIO;
	}
	gen = xk_hostif_generation(sc->sc_mon) + 1;	/* never 0 */
	hlen = MIN(xk_m_length(m), sizeof(hdr));
	(void)xk_m_copydata(m, 0, hlen, hdr);
	if (pc_dst(hdr, hlen, &family, &dst)) {
		const uint8_t *ll = pc_nhc_lookup(sc, family, ifindex, &dst,
		    gen);

		if (ll != NULL) {
			return pc_send_locked(pif, m, family, ll);
		}
		nc = pc_nhc_slot(sc, family, ifindex, &dst);
	}
	if ((error = pc_nexthop_locked(pif, m, &family, &nh, lladdr,
	    &known)) != 0) {
		if (error != EHOSTUNREACH) {
			pif->pi_ctr[PC_OERRORS]++;
		}
		xk_m_freem(m);
		return error;
	}
	if (known) {
		return pc_send_locked(pif, m, family, lladdr);
	}
	error = xk_hostif_neigh(family, pif->pi_index, &nh, lladdr,
	    sizeof(lladdr), &lllen);
	if (error == 0 && lllen != ETHER_ADDR_LEN) {
		error = EHOSTUNREACH;
	}
	switch (error) {
	case 0:
		if (nc != NULL) {
			nc->nc_gen = gen;
			nc->nc_ifindex = ifindex;
			nc->nc_family = family;
			nc->nc_dst = dst;
			memcpy(nc->nc_lladdr, lladdr, ETHER_ADDR_LEN);
		}
		/* Resolved while packets waited: they go first. */
		if ((ho = pc_hold_find_locked(sc, pif->pi_index, family,
		    &nh)) != NULL) {
			pc_hold_flush_locked(sc, ho, lladdr);
		}
		return pc_send_locked(pif, m, family, lladdr);
	case ENOENT:
		/*
		 * As BSD does with la_hold, the send succeeds; the packet
		 * counts in if_opackets when it leaves, else if_oqdrops.
		 */
		pc_hold_locked(pif, m, family, &nh);
		return 0;
	default:
		pif->pi_ctr[PC_UNRESOLVED]++;
		xk_m_freem(m);
		return EHOSTUNREACH;
	}
}

static void
pc_output(struct xk_backend *be, struct xk_be_pkt *pkts, unsigned int n,
    unsigned int *sent)
{
	struct pc_softc *sc = be->be_softc;

	XK_LOCK_ASSERT();
	*sent = 0;
	for (unsigned int i = 0; i < n; i++) {
		struct __mbuf *m = pkts[i].bp_m;
		int error;

		pkts[i].bp_m = NULL;
		if ((error = pc_output1_locked(sc, m, pkts[i].bp_ifindex)) ==
		    0) {
			(*sent)++;
		} else {
			pkts[i].bp_error = error;
		}
	}
}

/*
 * be_output_direct: a packet whose next hop the cache knows is framed
 * from the caller's memory and injected; anything else takes
 * pc_output's way (EAGAIN).
 */
static int
pc_output_direct(struct xk_backend *be, uint32_t ifindex, const void *hdr,
    size_t hlen, const struct iovec *iov, int iovcnt, size_t paylen)
{
	struct pc_softc *sc = be->be_softc;
	struct __ifnet *ifp = xk_if_byindex_locked(ifindex);
	const uint8_t *ll;
	union pc_addr dst;
	struct pc_if *pif;
	int family;

	XK_LOCK_ASSERT();
	if (ifp == NULL || (pif = ifp->if_besc) == NULL ||
	    hlen + paylen > IP_MAXPACKET ||
	    !pc_dst(hdr, hlen, &family, &dst) ||
	    (ll = pc_nhc_lookup(sc, family, ifindex, &dst,
	    xk_hostif_generation(sc->sc_mon) + 1)) == NULL) {
		return EAGAIN;
	}
	xk_be_copy_direct(pc_frame_locked(pif, family, ll), hdr, hlen, iov,
	    iovcnt);
	return pc_inject_locked(pif, hlen + paylen);
}

/*
 * Asks the host's neighbour table for @ho's next hop: when it has the
 * link address, sends what @ho holds and frees @ho (true).
 */
static bool
pc_hold_ask_locked(struct pc_softc *sc, struct pc_hold *ho)
{
	uint8_t lladdr[16];
	size_t lllen = 0;

	if (xk_hostif_neigh(ho->ho_family, ho->ho_pif->pi_index,
	    &ho->ho_addr, lladdr, sizeof(lladdr), &lllen) == 0 &&
	    lllen == ETHER_ADDR_LEN) {
		pc_hold_flush_locked(sc, ho, lladdr);
		return true;
	}
	return false;
}

/*
 * Ages the holds: drops what waited PC_HOLD_US, and sends what the host
 * has resolved meanwhile (should a neighbour report have been missed).
 */
static void
pc_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pc_softc *sc = arg;
	gint64 now = g_get_monotonic_time();
	GList *l, *next;

	(void)fd;
	(void)what;
	xk_core_lock();
	sc->sc_sweeping = false;
	for (l = sc->sc_holds.head; l != NULL; l = next) {
		struct pc_hold *ho = l->data;
		struct pc_held *hp;

		next = l->next;
		if (pc_hold_ask_locked(sc, ho)) {
			continue;
		}
		while ((hp = g_queue_peek_head(&ho->ho_pkts)) != NULL &&
		    now - hp->hp_since >= PC_HOLD_US) {
			pc_hold_drop1_locked(sc, ho, PC_HOLD_TIMEOUT);
		}
		pc_hold_gc_locked(sc, ho);
	}
	if (sc->sc_nheld > 0) {
		pc_sweep_start_locked(sc);
	}
	xk_core_unlock();
}

/* A neighbour changed on the host: release or drop what waits for it. */
static void
pc_neigh_cb(void *ctx, int family, uint32_t ifindex, const void *addr,
    const uint8_t *lladdr, size_t lllen, uint16_t state)
{
	struct pc_softc *sc = ctx;
	struct pc_hold *ho;

	if (family != AF_INET && family != AF_INET6) {
		return;
	}
	xk_core_lock();
	if ((ho = pc_hold_find_locked(sc, ifindex, family, addr)) != NULL) {
		if ((state & XK_NUD_USABLE) != 0 && lladdr != NULL &&
		    lllen == ETHER_ADDR_LEN) {
			xk_log(XKPI_LOG_DEBUG, "pcap %s: resolved, %u held "
			    "packet(s) go", ho->ho_pif->pi_name,
			    ho->ho_pkts.length);
			pc_hold_flush_locked(sc, ho, lladdr);
		} else if ((state & PC_NUD_FAILED) != 0) {
			xk_log(XKPI_LOG_DEBUG, "pcap %s: resolution failed, %u "
			    "held packet(s) dropped", ho->ho_pif->pi_name,
			    ho->ho_pkts.length);
			pc_hold_drain_locked(sc, ho, PC_UNRESOLVED);
		}
	}
	xk_core_unlock();
}

/*
 * be_drain: held packets whose next hop the host resolves before
 * @deadline leave (the neighbour table is asked every 10 ms); the rest
 * are dropped and counted (hold_lost, if_oqdrops).
 */
static void
pc_drain(struct xk_backend *be, int64_t deadline, const char *why)
{
	struct pc_softc *sc = be->be_softc;
	struct pc_hold *ho;
	unsigned int lost;

	for (;;) {
		GList *l, *next;
		bool left;

		xk_core_lock();
		for (l = sc->sc_holds.head; l != NULL; l = next) {
			next = l->next;
			(void)pc_hold_ask_locked(sc, l->data);
		}
		left = sc->sc_nheld > 0;
		xk_core_unlock();
		if (!left || g_get_monotonic_time() >= deadline) {
			break;
		}
		g_usleep(10 * 1000);
	}
	xk_core_lock();
	lost = sc->sc_nheld;
	while ((ho = g_queue_peek_head(&sc->sc_holds)) != NULL) {
		pc_hold_drain_locked(sc, ho, PC_HOLD_LOST);
	}
	xk_core_unlock();
	if (lost > 0) {
		xk_log(XKPI_LOG_WARN, "pcap: %u held packet(s) did not leave by "
		    "%s (if.*.oqdrops, be.pcap.*.hold_lost)", lost, why);
	}
}

static int
pc_route(struct xk_backend *be, int family, const void *dst,
    uint32_t *ifindex)
{
	union pc_addr nh;

	(void)be;
	XK_LOCK_ASSERT();
	return xk_hostif_route(family, dst, 0, ifindex, &nh) == 0 ? 0 :
	    EHOSTUNREACH;
}

/* Life cycle. */

/* libpcap's activation result as an errno, its text logged. */
static int
pc_activate_error(pcap_t *p, const char *name, int r)
{
	xk_log(XKPI_LOG_ERROR, "pcap %s: %s: %s", name, pcap_statustostr(r),
	    pcap_geterr(p));
	switch (r) {
	case PCAP_ERROR_PERM_DENIED:
	case PCAP_ERROR_PROMISC_PERM_DENIED:
		return EPERM;
	case PCAP_ERROR_NO_SUCH_DEVICE:
		return ENXIO;
	case PCAP_ERROR_IFACE_NOT_UP:
		return ENETDOWN;
	default:
		return EIO;
	}
}

/* Opens and sets up the capture handle of @pif. */
static int
pc_if_open(struct pc_if *pif, uint32_t mtu)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	const char *name = pif->pi_name;
	pcap_t *p;
	int fd, fl, r;

	errbuf[0] = '\0';
	if ((p = pcap_create(name, errbuf)) == NULL) {
		xk_log(XKPI_LOG_ERROR, "pcap %s: %s", name, errbuf);
		return ENOMEM;
	}
	pif->pi_p = p;
	if (pcap_set_snaplen(p, PC_SNAPLEN(mtu)) != 0 ||
	    pcap_set_promisc(p, 0) != 0 ||
	    pcap_set_immediate_mode(p, 1) != 0 ||
	    pcap_set_buffer_size(p, PC_BUFSIZE) != 0) {
		xk_log(XKPI_LOG_ERROR, "pcap %s: cannot set options", name);
		return EIO;
	}
	pif->pi_nano = pcap_set_tstamp_precision(p,
	    PCAP_TSTAMP_PRECISION_NANO) == 0;
	if ((r = pcap_activate(p)) < 0) {
		return pc_activate_error(p, name, r);
	}
	if (r > 0) {
		xk_log(XKPI_LOG_WARN, "pcap %s: %s: %s", name,
		    pcap_statustostr(r), pcap_geterr(p));
	}
	if (pcap_datalink(p) != DLT_EN10MB) {
		xk_log(XKPI_LOG_ERROR, "pcap %s: link type %s, not Ethernet",
		    name, pcap_datalink_val_to_name(pcap_datalink(p)));
		return EPROTONOSUPPORT;
	}
	if (pcap_setnonblock(p, 1, errbuf) != 0) {
		xk_log(XKPI_LOG_ERROR, "pcap %s: %s", name, errbuf);
		return EIO;
	}
	/*
	 * Measured on a veth (Linux 6.1, libpcap 1.10.3): with PCAP_D_IN no
	 * frame with our source comes, neither the host's own output nor
	 * frames another handle injects; without it both come.  Frames a
	 * handle injects never come back to that same handle.  Where the
	 * filter is refused, pc_rx_frame()'s source check marks them.
	 */
	if (pcap_setdirection(p, PCAP_D_IN) != 0) {
		xk_log(XKPI_LOG_INFO, "pcap %s: no direction filter: %s",
		    name, pcap_geterr(p));
	}
	if ((fd = pcap_get_selectable_fd(p)) < 0) {
		xk_log(XKPI_LOG_ERROR, "pcap %s: no selectable descriptor",
		    name);
		return ENOTSUP;
	}
	/* Reads never block (above); neither must pcap_inject()'s send(). */
	if ((fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		return errno;
	}
	pif->pi_ev = event_new(pif->pi_sc->sc_be->be_base, fd,
	    EV_READ | EV_PERSIST, pc_rx_cb, pif);
	return pif->pi_ev != NULL ? 0 : ENOMEM;
}

static void
pc_if_free(struct pc_if *pif)
{
	if (pif->pi_ev != NULL) {
		event_free(pif->pi_ev);
	}
	if (pif->pi_p != NULL) {
		pcap_close(pif->pi_p);
	}
	g_free(pif);
}

static int
pc_attach(struct xk_backend *be, const char *name, struct __ifnet **ifpp)
{
	struct pc_softc *sc = be->be_softc;
	struct xk_hostif hi;
	struct __ifnet *ifp = NULL;
	struct pc_if *pif;
	int error;

	if ((error = xk_hostif_get(name, &hi)) != 0) {
		return error;
	}
	if (hi.hi_type != ARPHRD_ETHER || hi.hi_hwlen != ETHER_ADDR_LEN) {
		xk_log(XKPI_LOG_ERROR, "pcap %s: not an Ethernet interface",
		    name);
		return EPROTONOSUPPORT;
	}
	xk_core_lock();
	ifp = xk_if_byname_locked(name);
	xk_core_unlock();
	if (ifp != NULL) {
		return EEXIST;
	}
	if ((pif = g_try_new0(struct pc_if, 1)) == NULL) {
		return ENOMEM;
	}
	pif->pi_sc = sc;
	pif->pi_index = hi.hi_index;
	g_strlcpy(pif->pi_name, name, sizeof(pif->pi_name));
	if ((error = pc_if_open(pif, hi.hi_mtu)) != 0) {
		goto fail;
	}
	if ((error = xk_hostif_attach(name, pif, &ifp)) != 0) {
		goto fail;
	}
	xk_core_lock();
	pif->pi_ifp = ifp;
	pif->pi_index = ifp->if_index;
	g_queue_push_tail(&sc->sc_ifs, pif);
	xk_core_unlock();
	/* Receive starts once the engine knows the interface. */
	if (event_add(pif->pi_ev, NULL) != 0) {
		error = ENOMEM;
		xk_core_lock();
		g_queue_remove(&sc->sc_ifs, pif);
		xk_if_detach_locked(ifp);
		xk_core_unlock();
		goto fail;
	}
	xk_log(XKPI_LOG_INFO, "pcap: attached %s (index %u, MTU %u)", name,
	    pif->pi_index, ifp->if_mtu);
	*ifpp = ifp;
	return 0;
fail:
	pc_if_free(pif);
	return error;
}

/*
 * The capture handle's event goes first, without the core lock (event_del
 * waits for a receive callback that runs); then packets still waiting for
 * a next hop out of the interface are dropped (hold_lost, if_oqdrops).
 */
static int
pc_detach(struct xk_backend *be, const char *name)
{
	struct pc_softc *sc = be->be_softc;
	struct pc_if *pif = NULL;
	struct __ifnet *ifp;
	GList *l, *next;

	xk_core_lock();
	if ((ifp = xk_if_byname_locked(name)) != NULL) {
		pif = ifp->if_besc;
	}
	xk_core_unlock();
	if (pif == NULL) {
		return ENXIO;
	}
	event_del(pif->pi_ev);
	xk_core_lock();
	if (g_queue_index(&sc->sc_ifs, pif) < 0) {
		/* Detached meanwhile by another thread. */
		xk_core_unlock();
		return ENXIO;
	}
	for (l = sc->sc_holds.head; l != NULL; l = next) {
		struct pc_hold *ho = l->data;

		next = l->next;
		if (ho->ho_pif == pif) {
			pc_hold_drain_locked(sc, ho, PC_HOLD_LOST);
		}
	}
	g_queue_remove(&sc->sc_ifs, pif);
	pif->pi_ifp->if_besc = NULL;
	xk_if_detach_locked(pif->pi_ifp);
	xk_core_unlock();
	pc_if_free(pif);
	return 0;
}

static int
pc_open(struct xk_backend *be)
{
	struct pc_softc *sc;
	int error;

	if ((sc = g_try_new0(struct pc_softc, 1)) == NULL) {
		return ENOMEM;
	}
	sc->sc_be = be;
	g_queue_init(&sc->sc_ifs);
	g_queue_init(&sc->sc_holds);
	if ((sc->sc_frame = g_try_malloc(PC_FRAME_MAX)) == NULL ||
	    (sc->sc_sweep = evtimer_new(be->be_base, pc_sweep_cb, sc)) ==
	    NULL) {
		error = ENOMEM;
		goto fail;
	}
	if ((sc->sc_mon = xk_hostif_follow(be->be_base, pc_neigh_cb, sc)) ==
	    NULL) {
		error = errno != 0 ? errno : ENOMEM;
		xk_log(XKPI_LOG_ERROR, "pcap: cannot follow the host: %s",
		    strerror(error));
		goto fail;
	}
	be->be_softc = sc;
	return 0;
fail:
	if (sc->sc_sweep != NULL) {
		event_free(sc->sc_sweep);
	}
	g_free(sc->sc_frame);
	g_free(sc);
	return error;
}

/* Without the core lock: event_del() waits for a callback that runs. */
static void
pc_stop(struct xk_backend *be)
{
	struct pc_softc *sc = be->be_softc;

	for (GList *l = sc->sc_ifs.head; l != NULL; l = l->next) {
		struct pc_if *pif = l->data;

		event_del(pif->pi_ev);
	}
	event_del(sc->sc_sweep);
	if (sc->sc_mon != NULL) {
		xk_hostif_unfollow(sc->sc_mon);
		sc->sc_mon = NULL;
	}
}

/*
 * The engine detaches the ifnets after this returns (xk_engine_close):
 * until then they are valid, and lose their pointer to what is freed here.
 */
static void
pc_close(struct xk_backend *be)
{
	struct pc_softc *sc = be->be_softc;
	struct pc_hold *ho;
	struct pc_if *pif;

	xk_core_lock();
	while ((ho = g_queue_peek_head(&sc->sc_holds)) != NULL) {
		struct pc_held *hp;

		while ((hp = g_queue_pop_head(&ho->ho_pkts)) != NULL) {
			pc_held_free(hp);
		}
		g_queue_pop_head(&sc->sc_holds);
		g_free(ho);
	}
	sc->sc_nheld = 0;
	while ((pif = g_queue_pop_head(&sc->sc_ifs)) != NULL) {
		pif->pi_ifp->if_besc = NULL;
		pc_if_free(pif);
	}
	xk_core_unlock();
	event_free(sc->sc_sweep);
	g_free(sc->sc_frame);
	g_free(sc);
	be->be_softc = NULL;
}

static void
pc_stats(struct xk_backend *be,
    void (*fn)(void *ctx, const char *name, uint64_t value), void *ctx)
{
	struct pc_softc *sc = be->be_softc;
	char name[IF_NAMESIZE + 32];

	XK_LOCK_ASSERT();
	for (GList *l = sc->sc_ifs.head; l != NULL; l = l->next) {
		struct pc_if *pif = l->data;
		struct pcap_stat ps;

		for (int c = 0; c < PC_NCTR; c++) {
			snprintf(name, sizeof(name), "pcap.%s.%s",
			    pif->pi_ifp->if_name, pc_ctr_names[c]);
			fn(ctx, name, pif->pi_ctr[c]);
		}
		/* What the kernel dropped before libpcap saw it. */
		if (pcap_stats(pif->pi_p, &ps) == 0) {
			snprintf(name, sizeof(name), "pcap.%s.kernel_drop",
			    pif->pi_ifp->if_name);
			fn(ctx, name, ps.ps_drop);
			snprintf(name, sizeof(name), "pcap.%s.if_drop",
			    pif->pi_ifp->if_name);
			fn(ctx, name, ps.ps_ifdrop);
		}
	}
	fn(ctx, "pcap.noif", sc->sc_noif);
	if (sc->sc_mon != NULL) {
		fn(ctx, "pcap.netlink_overruns",
		    xk_hostif_overruns(sc->sc_mon));
	}
}

const struct xk_backend_ops xk_be_pcap_ops = {
	.be_version = XK_BACKEND_OPS_VERSION,
	.be_name = "pcap",
	.be_features = XK_BEF_COPIES | XK_BEF_OCOUNT,
	.be_open = pc_open,
	.be_attach = pc_attach,
	.be_output = pc_output,
	.be_output_direct = pc_output_direct,
	.be_route = pc_route,
	.be_stats = pc_stats,
	.be_drain = pc_drain,
	.be_mcast = xk_hostif_mcast,
	.be_detach = pc_detach,
	.be_stop = pc_stop,
	.be_close = pc_close,
};
