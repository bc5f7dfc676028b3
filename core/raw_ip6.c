/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Raw IPv6 sockets with XNU's raw_ip6.c and icmp6.c semantics (spec
 * section 5): payload after the extension headers, ICMPv6 only to
 * ICMPv6 sockets and through their filter, IPV6_CHECKSUM, the header
 * built on output, and the bind/connect errors.
 *
 * The ICMPv6 filter is kept in the polarity of the host's <netinet/icmp6.h>
 * (a set bit blocks), so code using the ICMP6_FILTER_* macros works as
 * written.
 */
#include "core/xk.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip6.h>
#include <string.h>

#include "core/if_var.h"
#include "core/ip_var.h"
#include "core/socket_var.h"

#define RIP6_SPACE	8192	/* XNU reuses the IPv4 raw sizes */
#define RIP6_HLIM	64	/* ip6_defhlim */

struct rip6_pcb {
	struct __socket	*r6_so;
	struct in6_addr	 r6_laddr;
	struct in6_addr	 r6_faddr;
	int		 r6_cksum;	/* checksum offset, -1: none */
	int		 r6_hlim;	/* -1: the default */
	uint32_t	 r6_flags;	/* R6_* receive options */
	struct icmp6_filter r6_filter;	/* host polarity: set blocks */
	GList		 r6_link;
	/* Output options (RFC 3542, RFC 3493). */
	int		 r6_mhlim;	/* IPV6_MULTICAST_HOPS, -1: 1 */
	bool		 r6_mloop;	/* IPV6_MULTICAST_LOOP */
	uint32_t	 r6_mifindex;	/* IPV6_MULTICAST_IF, 0: the route */
	struct in6_pktinfo r6_pktinfo;	/* IPV6_PKTINFO, sticky */
	int		 r6_tclass;	/* IPV6_TCLASS, -1: 0 */
	int		 r6_v6only;	/* IPV6_V6ONLY: kept, as XNU */
	/*
	 * Multicast state: set by any multicast option, as FreeBSD's
	 * in6p_moptions.  A socket with it receives multicast only for the
	 * groups it joined on the receiving interface.
	 */
	bool		 r6_mstate;
	GArray		*r6_mships;	/* struct xk_mship */
};

#define RIP6_MHLIM	1	/* ip6_defmcasthlim (RFC 3493) */

/*
 * The demux index: the PCBs of each protocol (0: any), in creation
 * order, so a packet looks only at sockets that may want its next header.
 */
static GQueue rip6_index[256];

/* Receive options (RFC 3542), as ip6_savecontrol delivers them. */
#define R6_RECVPKTINFO	0x01
#define R6_RECVHOPLIMIT	0x02
#define R6_RECVTCLASS	0x04

static struct rip6_pcb *
sotorip6(struct __socket *so)
{
	return so->so_pcb;
}

static bool
is_icmp6(const struct __socket *so)
{
	return so->so_protocol == IPPROTO_ICMPV6;
}

static int
rip6_attach(struct __socket *so)
{
	struct rip6_pcb *rp;

	if (!(so->so_state & SS_PRIV)) {
		return EPERM;
	}
	if (so->so_protocol < 0 || so->so_protocol > 255) {
		return EINVAL;
	}
	if ((rp = g_try_new0(struct rip6_pcb, 1)) == NULL) {
		return ENOMEM;
	}
	rp->r6_so = so;
	rp->r6_cksum = -1;
	rp->r6_hlim = -1;
	rp->r6_mhlim = -1;
	rp->r6_mloop = true;
	rp->r6_tclass = -1;
	ICMP6_FILTER_SETPASSALL(&rp->r6_filter);
	rp->r6_link.data = rp;
	g_queue_push_tail_link(&rip6_index[so->so_protocol], &rp->r6_link);
	so->so_pcb = rp;
	return 0;
}

static bool
rip6_detach(struct __socket *so)
{
	struct rip6_pcb *rp;

	xk_core_lock();
	if ((rp = sotorip6(so)) != NULL) {
		/* Every group the socket joined is left. */
		for (guint i = 0; rp->r6_mships != NULL &&
		    i < rp->r6_mships->len; i++) {
			struct xk_mship *ms = &g_array_index(rp->r6_mships,
			    struct xk_mship, i);

			(void)xk_ip_mship_change_locked(AF_INET6,
			    &ms->ms_group.v6, ms->ms_ifindex, false);
		}
		if (rp->r6_mships != NULL) {
			g_array_free(rp->r6_mships, TRUE);
		}
		g_queue_unlink(&rip6_index[so->so_protocol], &rp->r6_link);
		so->so_pcb = NULL;
		g_free(rp);
	}
	xk_core_unlock();
	return true;
}

static int
rip6_bind(struct __socket *so, const struct sockaddr *sa, socklen_t len)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

	if (len != sizeof(*sin6)) {
		return EINVAL;
	}
	if (xk_if_count_locked() == 0 || sin6->sin6_family != AF_INET6) {
		return EADDRNOTAVAIL;
	}
	if (!IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr) &&
	    xk_if_withaddr_locked(AF_INET6, &sin6->sin6_addr) == NULL) {
		return EADDRNOTAVAIL;
	}
	sotorip6(so)->r6_laddr = sin6->sin6_addr;
	return 0;
}

static int
rip6_connect(struct __socket *so, const struct sockaddr *sa, socklen_t len)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
	struct rip6_pcb *rp = sotorip6(so);
	const struct xk_ifaddr *ifa;
	struct __ifnet *ifp;

	if (len != sizeof(*sin6)) {
		return EINVAL;
	}
	if (xk_if_count_locked() == 0) {
		return EADDRNOTAVAIL;
	}
	if (sin6->sin6_family != AF_INET6) {
		return EAFNOSUPPORT;
	}
	/* Connect also chooses the source address (in6_selectsrc). */
	if (IN6_IS_ADDR_UNSPECIFIED(&rp->r6_laddr)) {
		ifp = xk_ip_route_locked(AF_INET6, &sin6->sin6_addr);
		if (ifp == NULL ||
		    (ifa = xk_if_firstaddr_locked(ifp, AF_INET6)) == NULL) {
			return EADDRNOTAVAIL;
		}
		rp->r6_laddr = ifa->ifa_addr.v6;
	}
	rp->r6_faddr = sin6->sin6_addr;
	xk_soisconnected_locked(so);
	return 0;
}

/* As for IPv4: the peer is forgotten, the socket lives on. */
static int
rip6_disconnect(struct __socket *so)
{
	if (!(so->so_state & SS_ISCONNECTED)) {
		return ENOTCONN;
	}
	memset(&sotorip6(so)->r6_faddr, 0, sizeof(struct in6_addr));
	so->so_state &= ~SS_ISCONNECTED;
	return 0;
}

static int
rip6_shutdown(struct __socket *so, int how)
{
	(void)so;
	(void)how;
	return 0;
}

/*
 * The upper-layer checksum over the pseudo-header (RFC 8200 8.1), given
 * @sum, the Internet checksum of the @len bytes of the upper layer.
 */
static uint16_t
cksum6_with(const struct in6_addr *src, const struct in6_addr *dst,
    uint8_t nxt, size_t len, uint16_t sum)
{
	struct {
		struct in6_addr	src, dst;
		uint32_t	len;
		uint8_t		zero[3], nxt;
	} ph;
	uint16_t a, b;
	uint32_t t;

	memset(&ph, 0, sizeof(ph));
	ph.src = *src;
	ph.dst = *dst;
	ph.len = htonl((uint32_t)len);
	ph.nxt = nxt;
	/* Add the two complemented sums, then complement again. */
	a = (uint16_t)~xk_in_cksum_buf(&ph, sizeof(ph));
	b = (uint16_t)~sum;
	t = (uint32_t)ntohs(a) + ntohs(b);
	t = (t & 0xffff) + (t >> 16);
	return htons((uint16_t)~t);
}

/* The same over @len bytes of a chain at @off. */
static uint16_t
cksum6(const struct in6_addr *src, const struct in6_addr *dst, uint8_t nxt,
    const struct __mbuf *m, size_t off, size_t len)
{
	return cksum6_with(src, dst, nxt, len, xk_in_cksum(m, off, len));
}

/* What one send's control messages ask (RFC 3542 6). */
struct rip6_sendopts {
	struct in6_pktinfo	pi;
	bool			have_pi;
	int			hlim;	/* -2: not given */
	int			tclass;	/* -2: not given */
};

static int
rip6_ctl1(int level, int type, const void *data, size_t dlen, void *arg)
{
	struct rip6_sendopts *o = arg;
	int v;

	/* ip6_setpktopts: messages of other levels are passed over. */
	if (level != IPPROTO_IPV6) {
		return 0;
	}
	switch (type) {
	case IPV6_PKTINFO:
		if (dlen != sizeof(o->pi)) {
			return EINVAL;
		}
		memcpy(&o->pi, data, sizeof(o->pi));
		o->have_pi = true;
		return 0;
	case IPV6_HOPLIMIT:
	case IPV6_TCLASS:
		if (dlen != sizeof(int)) {
			return EINVAL;
		}
		memcpy(&v, data, sizeof(v));
		if (v < -1 || v > 255) {
			return EINVAL;
		}
		*(type == IPV6_HOPLIMIT ? &o->hlim : &o->tclass) = v;
		return 0;
	default:
		return ENOPROTOOPT;
	}
}

/* Interface-local and link-local multicast, and link-local unicast. */
static bool
in6_is_linkscope(const struct in6_addr *a)
{
	if (IN6_IS_ADDR_MULTICAST(a)) {
		return (a->s6_addr[1] & 0x0f) <= 2;
	}
	return IN6_IS_ADDR_LINKLOCAL(a);
}

/*
 * The source on @ifp for @dst, by RFC 6724's first rules as far as they
 * matter here: the same scope (link-local for a link-scoped destination,
 * else a wider one), then any address of the interface.
 */
static bool
in6_selectsrc(const struct __ifnet *ifp, const struct in6_addr *dst,
    struct in6_addr *src)
{
	bool want_ll = in6_is_linkscope(dst);
	const struct xk_ifaddr *any = NULL;

	for (guint i = 0; i < ifp->if_addrs->len; i++) {
		const struct xk_ifaddr *ifa = &g_array_index(ifp->if_addrs,
		    struct xk_ifaddr, i);

		if (ifa->ifa_family != AF_INET6) {
			continue;
		}
		if (IN6_IS_ADDR_LINKLOCAL(&ifa->ifa_addr.v6) == want_ll) {
			*src = ifa->ifa_addr.v6;
			return true;
		}
		if (any == NULL) {
			any = ifa;
		}
	}
	if (any != NULL) {
		*src = any->ifa_addr.v6;
		return true;
	}
	return false;
}

/*
 * ip6_output's choice of interface: IPV6_PKTINFO (this send's, then the
 * socket's), IPV6_MULTICAST_IF for multicast, the scope id of a scoped
 * destination, else the route (multicast without one: the first
 * interface).  ENXIO for an index that names no interface.
 */
static int
rip6_choose_if(const struct rip6_pcb *rp, const struct in6_addr *dst,
    uint32_t scope_id, const struct in6_pktinfo *pi, struct __ifnet **ifpp)
{
	uint32_t index = 0;

	if (pi->ipi6_ifindex != 0) {
		index = pi->ipi6_ifindex;
	} else if (IN6_IS_ADDR_MULTICAST(dst) && rp->r6_mifindex != 0) {
		index = rp->r6_mifindex;
	} else if (scope_id != 0 && in6_is_linkscope(dst)) {
		index = scope_id;
	}
	if (index != 0) {
		return (*ifpp = xk_if_byindex_locked(index)) != NULL ? 0 :
		    ENXIO;
	}
	if ((*ifpp = xk_ip_route_locked(AF_INET6, dst)) == NULL &&
	    IN6_IS_ADDR_MULTICAST(dst)) {
		*ifpp = xk_if_first_locked();
	}
	if (*ifpp == NULL) {
		xk_ipstat.ip6s_noroute++;
		return EHOSTUNREACH;
	}
	return 0;
}

/* What a send works out before it touches the payload. */
struct rip6_out {
	struct in6_addr	 dst, src;
	struct __ifnet	*ifp;
	int		 off;	/* of the checksum in the payload, or -1 */
	int		 hlim, tclass;
	bool		 mcast;
};

/*
 * Where a payload of @plen bytes goes, from where, and how (@o: this
 * send's control messages): 0, or the error rip6_send returns.
 */
static int
rip6_out_prepare(struct __socket *so, const struct sockaddr *to,
    socklen_t tolen, const struct rip6_sendopts *o, size_t plen,
    struct rip6_out *out)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)to;
	struct rip6_pcb *rp = sotorip6(so);
	const struct in6_pktinfo *pi;
	struct __ifnet *owner;
	uint32_t scope_id = 0;
	int error;

	if (so->so_state & SS_ISCONNECTED) {
		if (sin6 != NULL) {
			return EISCONN;
		}
		out->dst = rp->r6_faddr;
	} else {
		if (sin6 == NULL || tolen != sizeof(*sin6)) {
			return sin6 == NULL ? ENOTCONN : EINVAL;
		}
		out->dst = sin6->sin6_addr;
		scope_id = sin6->sin6_scope_id;
	}
	if (IN6_IS_ADDR_V4MAPPED(&out->dst)) {
		return EINVAL;
	}
	out->mcast = IN6_IS_ADDR_MULTICAST(&out->dst);
	pi = o->have_pi ? &o->pi : &rp->r6_pktinfo;
	if ((error = rip6_choose_if(rp, &out->dst, scope_id, pi,
	    &out->ifp)) != 0) {
		return error;
	}
	if (!IN6_IS_ADDR_UNSPECIFIED(&pi->ipi6_addr)) {
		/* A source the chosen interface does not have: refused. */
		owner = xk_if_withaddr_locked(AF_INET6, &pi->ipi6_addr);
		if (owner == NULL || owner != out->ifp) {
			return EADDRNOTAVAIL;
		}
		out->src = pi->ipi6_addr;
	} else if (!IN6_IS_ADDR_UNSPECIFIED(&rp->r6_laddr)) {
		out->src = rp->r6_laddr;
	} else if (!in6_selectsrc(out->ifp, &out->dst, &out->src)) {
		memset(&out->src, 0, sizeof(out->src));
	}
	out->off = is_icmp6(so) ? 2 : rp->r6_cksum;
	if (out->off >= 0 && (size_t)out->off + 2 > plen) {
		return EINVAL;
	}
	if (plen > 0xffff) {
		return EMSGSIZE;
	}
	/* This send's value first, then the socket's, then the default. */
	if (o->hlim >= 0) {
		out->hlim = o->hlim;
	} else if (out->mcast) {
		out->hlim = rp->r6_mhlim >= 0 ? rp->r6_mhlim : RIP6_MHLIM;
	} else {
		out->hlim = rp->r6_hlim >= 0 ? rp->r6_hlim : RIP6_HLIM;
	}
	out->tclass = o->tclass >= 0 ? o->tclass : o->tclass == -1 ? 0 :
	    rp->r6_tclass >= 0 ? rp->r6_tclass : 0;
	return 0;
}

/* The header in front of a payload of @plen bytes. */
static void
rip6_header(const struct __socket *so, const struct rip6_out *out,
    size_t plen, struct ip6_hdr *ip6)
{
	memset(ip6, 0, sizeof(*ip6));
	ip6->ip6_flow = htonl(0x60000000u | (uint32_t)out->tclass << 20);
	ip6->ip6_plen = htons((uint16_t)plen);
	ip6->ip6_nxt = (uint8_t)so->so_protocol;
	ip6->ip6_hlim = (uint8_t)out->hlim;
	ip6->ip6_src = out->src;
	ip6->ip6_dst = out->dst;
}

/* A computed 0 goes out as 0xffff (RFC 8200 8.1). */
static uint16_t
cksum6_out(uint16_t sum)
{
	return sum == 0 ? 0xffff : sum;
}

static int
rip6_send(struct __socket *so, struct __mbuf *m, const struct sockaddr *to,
    socklen_t tolen, const void *control, size_t controllen, int flags)
{
	struct rip6_sendopts o = { .hlim = -2, .tclass = -2 };
	struct rip6_out out;
	struct ip6_hdr ip6;
	struct __ifnet *ifp;
	size_t plen = xk_m_length(m);
	uint16_t sum;
	int error;

	(void)flags;
	if ((error = xk_ip_ctl_walk(control, controllen, rip6_ctl1,
	    &o)) != 0 ||
	    (error = rip6_out_prepare(so, to, tolen, &o, plen, &out)) != 0) {
		goto bad;
	}
	ifp = out.ifp;
	if (out.off >= 0) {
		sum = 0;
		(void)xk_m_copyback(m, (size_t)out.off, 2, &sum);
		sum = cksum6_out(cksum6(&out.src, &out.dst,
		    (uint8_t)so->so_protocol, m, 0, plen));
		(void)xk_m_copyback(m, (size_t)out.off, 2, &sum);
	}
	if ((m = xk_m_prepend_own(m, sizeof(ip6))) == NULL) {
		return ENOBUFS;
	}
	rip6_header(so, &out, plen, &ip6);
	(void)xk_m_copyback(m, 0, sizeof(ip6), &ip6);
	if (out.mcast && sotorip6(so)->r6_mloop) {
		/* ip6_mloopback: the engine's own sockets get a copy. */
		struct xk_ip_path path = { 0 };
		struct __mbuf *n = xk_m_copym(m, 0, MBUF_COPYALL, &error);
		uint32_t index = ifp->if_index;

		if (n != NULL) {
			xk_ipstat.ip6s_mcastloop++;
			xk_ip_input_path_locked(n, ifp, &path);
			/* Input may have let the lock go: the interface too. */
			if ((ifp = xk_if_byindex_locked(index)) == NULL) {
				xk_ipstat.ip6s_noroute++;
				xk_m_freem(m);
				return EHOSTUNREACH;
			}
		}
	}
	return xk_ip6_output_locked(m, ifp);
bad:
	xk_m_freem(m);
	return error;
}

#define RIP6_DIRECT_IOV	16	/* pieces a direct send takes, at most */

/*
 * pr_send_direct: a unicast datagram without control data goes from @iov
 * into the TX ring (xk_ip6_output_direct_locked), its checksum, when the
 * socket computes one, in a piece of its own between the caller's.  The
 * errors are rip6_send's: nothing before them touches the payload.
 */
static int
rip6_send_direct(struct __socket *so, const struct sockaddr *to,
    socklen_t tolen, const struct iovec *iov, int iovcnt, size_t len,
    int flags)
{
	const struct rip6_sendopts o = { .hlim = -2, .tclass = -2 };
	struct iovec piece[RIP6_DIRECT_IOV];
	struct rip6_out out;
	struct ip6_hdr ip6;
	uint16_t sum = 0;
	int n = iovcnt, error;

	(void)flags;
	if (!xk_ip_direct_ok_locked(AF_INET6) ||
	    iovcnt + 2 > RIP6_DIRECT_IOV) {
		return XK_SEND_SLOW;
	}
	if ((error = rip6_out_prepare(so, to, tolen, &o, len, &out)) != 0) {
		return error;
	}
	if (out.mcast) {
		return XK_SEND_SLOW;
	}
	if (out.off >= 0) {
		/* The caller's checksum bytes are replaced by ours. */
		n = xk_iov_split(iov, iovcnt, (size_t)out.off, 2, &sum, piece,
		    RIP6_DIRECT_IOV);
		sum = cksum6_out(cksum6_with(&out.src, &out.dst,
		    (uint8_t)so->so_protocol, len, xk_in_cksum_iov(piece, n)));
		iov = piece;
	}
	rip6_header(so, &out, len, &ip6);
	return xk_ip6_output_direct_locked(&ip6, out.ifp, iov, n, len);
}

/*
 * IPV6_JOIN_GROUP and IPV6_LEAVE_GROUP (struct ipv6_mreq): interface 0
 * means the route's, as in6p_join_group; EINVAL for a group that is not
 * multicast, ENXIO for an unknown interface, EADDRINUSE for a second
 * join, EADDRNOTAVAIL for leaving a group not joined.
 */
static int
rip6_membership(struct rip6_pcb *rp, bool join, const void *val,
    socklen_t len)
{
	struct ipv6_mreq mr;
	struct xk_mship ms;
	struct __ifnet *ifp;
	guint i;
	int error;

	if (len != (socklen_t)sizeof(mr)) {
		return EINVAL;
	}
	memcpy(&mr, val, sizeof(mr));
	if (!IN6_IS_ADDR_MULTICAST(&mr.ipv6mr_multiaddr)) {
		return EINVAL;
	}
	if (mr.ipv6mr_interface != 0) {
		ifp = xk_if_byindex_locked(mr.ipv6mr_interface);
	} else if ((ifp = xk_ip_route_locked(AF_INET6,
	    &mr.ipv6mr_multiaddr)) == NULL) {
		ifp = xk_if_first_locked();
	}
	if (ifp == NULL) {
		return mr.ipv6mr_interface != 0 ? ENXIO : EADDRNOTAVAIL;
	}
	memset(&ms, 0, sizeof(ms));
	ms.ms_family = AF_INET6;
	ms.ms_ifindex = ifp->if_index;
	ms.ms_group.v6 = mr.ipv6mr_multiaddr;
	if (rp->r6_mships == NULL) {
		rp->r6_mships = g_array_new(FALSE, TRUE, sizeof(ms));
	}
	for (i = 0; i < rp->r6_mships->len; i++) {
		if (memcmp(&g_array_index(rp->r6_mships, struct xk_mship, i),
		    &ms, sizeof(ms)) == 0) {
			break;
		}
	}
	if (join && i < rp->r6_mships->len) {
		return EADDRINUSE;
	}
	if (!join && i == rp->r6_mships->len) {
		return EADDRNOTAVAIL;
	}
	if ((error = xk_ip_mship_change_locked(AF_INET6, &ms.ms_group.v6,
	    ms.ms_ifindex, join)) != 0) {
		return error;
	}
	if (join) {
		g_array_append_val(rp->r6_mships, ms);
	} else {
		g_array_remove_index(rp->r6_mships, i);
	}
	rp->r6_mstate = true;
	return 0;
}

/*
 * The sticky IPV6_PKTINFO (RFC 3542 6.1): an interface that exists
 * (ENXIO), a source this host has (EADDRNOTAVAIL); 0 bytes clear it.
 */
static int
rip6_sticky_pktinfo(struct rip6_pcb *rp, bool set, void *val, socklen_t *len)
{
	struct in6_pktinfo pi;
	struct __ifnet *owner;

	if (!set) {
		if (*len > (socklen_t)sizeof(pi)) {
			*len = sizeof(pi);
		}
		memcpy(val, &rp->r6_pktinfo, (size_t)*len);
		return 0;
	}
	if (*len == 0) {
		memset(&rp->r6_pktinfo, 0, sizeof(rp->r6_pktinfo));
		return 0;
	}
	if (*len != (socklen_t)sizeof(pi)) {
		return EINVAL;
	}
	memcpy(&pi, val, sizeof(pi));
	if (pi.ipi6_ifindex != 0 &&
	    xk_if_byindex_locked(pi.ipi6_ifindex) == NULL) {
		return ENXIO;
	}
	if (!IN6_IS_ADDR_UNSPECIFIED(&pi.ipi6_addr) &&
	    ((owner = xk_if_withaddr_locked(AF_INET6,
	    &pi.ipi6_addr)) == NULL || (pi.ipi6_ifindex != 0 &&
	    owner->if_index != pi.ipi6_ifindex))) {
		return EADDRNOTAVAIL;
	}
	rp->r6_pktinfo = pi;
	return 0;
}

/* Whether @rp may receive a packet to multicast @dst arriving on @ifp. */
static bool
rip6_mcast_ok(const struct rip6_pcb *rp, const struct in6_addr *dst,
    const struct __ifnet *ifp)
{
	if (!rp->r6_mstate) {
		return true;
	}
	for (guint i = 0; rp->r6_mships != NULL && i < rp->r6_mships->len;
	    i++) {
		const struct xk_mship *ms = &g_array_index(rp->r6_mships,
		    struct xk_mship, i);

		if (IN6_ARE_ADDR_EQUAL(&ms->ms_group.v6, dst) &&
		    ifp != NULL && ms->ms_ifindex == ifp->if_index) {
			return true;
		}
	}
	return false;
}

static int
rip6_ctloutput(struct __socket *so, bool set, int level, int name,
    void *val, socklen_t *len)
{
	struct rip6_pcb *rp = sotorip6(so);
	int v = 0;

	if (level == IPPROTO_ICMPV6) {
		if (name != ICMP6_FILTER || !is_icmp6(so)) {
			return EINVAL;	/* XNU: no filter on this socket */
		}
		if (set) {
			/* RFC 3542: 0 bytes resets to pass-all. */
			if (*len == 0) {
				ICMP6_FILTER_SETPASSALL(&rp->r6_filter);
				return 0;
			}
			if (*len != sizeof(rp->r6_filter)) {
				return EMSGSIZE;
			}
			memcpy(&rp->r6_filter, val, sizeof(rp->r6_filter));
			return 0;
		}
		if (*len > (socklen_t)sizeof(rp->r6_filter)) {
			*len = sizeof(rp->r6_filter);
		}
		memcpy(val, &rp->r6_filter, (size_t)*len);
		return 0;
	}
	if (level != IPPROTO_IPV6) {
		return EINVAL;
	}
	switch (name) {
	case IPV6_CHECKSUM:
		if (set) {
			if (*len != (socklen_t)sizeof(int)) {
				return EINVAL;
			}
			memcpy(&v, val, sizeof(v));
			/* XNU: odd is refused, and so is -1 (-1 % 2 == -1). */
			if (v % 2 != 0 || (is_icmp6(so) && v != 2)) {
				return EINVAL;
			}
			rp->r6_cksum = v;
			return 0;
		}
		v = is_icmp6(so) ? 2 : rp->r6_cksum;
		break;
	case IPV6_RECVPKTINFO:
	case IPV6_RECVHOPLIMIT:
	case IPV6_RECVTCLASS: {
		uint32_t bit = name == IPV6_RECVPKTINFO ? R6_RECVPKTINFO :
		    name == IPV6_RECVHOPLIMIT ? R6_RECVHOPLIMIT : R6_RECVTCLASS;

		if (set) {
			if (*len < (socklen_t)sizeof(int)) {
				return EINVAL;
			}
			memcpy(&v, val, sizeof(v));
			rp->r6_flags = v ? rp->r6_flags | bit :
			    rp->r6_flags & ~bit;
			return 0;
		}
		v = (rp->r6_flags & bit) != 0;
		break;
	}
	case IPV6_UNICAST_HOPS:
		if (set) {
			if (*len < (socklen_t)sizeof(int)) {
				return EINVAL;
			}
			memcpy(&v, val, sizeof(v));
			if (v < -1 || v > 255) {
				return EINVAL;
			}
			rp->r6_hlim = v;
			return 0;
		}
		v = rp->r6_hlim >= 0 ? rp->r6_hlim : RIP6_HLIM;
		break;
	case IPV6_MULTICAST_HOPS:
	case IPV6_TCLASS:
		if (set) {
			if (*len != (socklen_t)sizeof(int)) {
				return EINVAL;
			}
			memcpy(&v, val, sizeof(v));
			if (v < -1 || v > 255) {
				return EINVAL;
			}
			if (name == IPV6_TCLASS) {
				rp->r6_tclass = v;
			} else {
				rp->r6_mhlim = v;
				rp->r6_mstate = true;
			}
			return 0;
		}
		v = name == IPV6_TCLASS ? (rp->r6_tclass >= 0 ?
		    rp->r6_tclass : 0) : (rp->r6_mhlim >= 0 ? rp->r6_mhlim :
		    RIP6_MHLIM);
		break;
	case IPV6_MULTICAST_LOOP:
	case IPV6_MULTICAST_IF:
		if (set) {
			unsigned int u;

			if (*len != (socklen_t)sizeof(u)) {
				return EINVAL;
			}
			memcpy(&u, val, sizeof(u));
			if (name == IPV6_MULTICAST_LOOP) {
				/* RFC 3493: 0 or 1, nothing else. */
				if (u > 1) {
					return EINVAL;
				}
				rp->r6_mloop = u != 0;
			} else {
				if (u != 0 && xk_if_byindex_locked(u) ==
				    NULL) {
					return ENXIO;
				}
				rp->r6_mifindex = u;
			}
			rp->r6_mstate = true;
			return 0;
		}
		v = name == IPV6_MULTICAST_LOOP ? rp->r6_mloop :
		    (int)rp->r6_mifindex;
		break;
	case IPV6_JOIN_GROUP:
	case IPV6_LEAVE_GROUP:
		if (!set) {
			return EOPNOTSUPP;
		}
		return rip6_membership(rp, name == IPV6_JOIN_GROUP, val,
		    *len);
	case IPV6_PKTINFO:
		return rip6_sticky_pktinfo(rp, set, val, len);
	case IPV6_V6ONLY:
		if (set) {
			if (*len != (socklen_t)sizeof(int)) {
				return EINVAL;
			}
			memcpy(&v, val, sizeof(v));
			rp->r6_v6only = v != 0;
			return 0;
		}
		v = rp->r6_v6only;
		break;
	default:
		return ENOPROTOOPT;
	}
	if (*len > (socklen_t)sizeof(v)) {
		*len = sizeof(v);
	}
	memcpy(val, &v, (size_t)*len);
	return 0;
}

static int
rip6_addr(struct __socket *so, struct sockaddr_storage *ss, socklen_t *len,
    bool peer)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct rip6_pcb *rp = sotorip6(so);

	memset(ss, 0, sizeof(*ss));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_addr = peer ? rp->r6_faddr : rp->r6_laddr;
	*len = sizeof(*sin6);
	return 0;
}

static int
rip6_sockaddr(struct __socket *so, struct sockaddr_storage *ss,
    socklen_t *len)
{
	return rip6_addr(so, ss, len, false);
}

static int
rip6_peeraddr(struct __socket *so, struct sockaddr_storage *ss,
    socklen_t *len)
{
	return rip6_addr(so, ss, len, true);
}

static int
rip6_listen(struct __socket *so, int backlog)
{
	(void)so;
	(void)backlog;
	return EOPNOTSUPP;
}

/* The receive options' control messages (XNU's ip6_savecontrol). */
static size_t
rip6_control(const struct rip6_pcb *rp, const struct ip6_hdr *ip6,
    const struct __mbuf *m, uint8_t *buf, size_t cap)
{
	size_t len = 0;

	if (rp->r6_so->so_options & SO_OPT_TIMESTAMP) {
		xk_ip_ctl_timestamp(m, buf, cap, &len);
	}
	if (rp->r6_flags & R6_RECVPKTINFO) {
		struct in6_pktinfo pi;
		const struct __ifnet *ifp = m->m_pkthdr.rcvif;

		pi.ipi6_addr = ip6->ip6_dst;
		pi.ipi6_ifindex = ifp != NULL ? ifp->if_index : 0;
		xk_ip_ctl_add(buf, cap, &len, IPPROTO_IPV6, IPV6_PKTINFO, &pi,
		    sizeof(pi));
	}
	if (rp->r6_flags & R6_RECVHOPLIMIT) {
		int hlim = ip6->ip6_hlim;

		xk_ip_ctl_add(buf, cap, &len, IPPROTO_IPV6, IPV6_HOPLIMIT,
		    &hlim, sizeof(hlim));
	}
	if (rp->r6_flags & R6_RECVTCLASS) {
		int tclass = (int)((ntohl(ip6->ip6_flow) >> 20) & 0xff);

		xk_ip_ctl_add(buf, cap, &len, IPPROTO_IPV6, IPV6_TCLASS,
		    &tclass, sizeof(tclass));
	}
	return len;
}

/*
 * rip6_input and icmp6_rip6_input: a copy of the upper-layer part (from
 * @off) to every matching socket.  ICMPv6 goes only to ICMPv6 sockets,
 * through their filter; other protocols to sockets of that protocol or 0.
 * The packet ends delivered (one copy queued or more), unwanted
 * (`ip6s_noproto`: no socket, or every one skipped it for its filter or a
 * bad checksum, `ip6s_badsum` counting each), or, when every socket that
 * wanted it failed to take its copy, in `ip6s_rawdropped`; each failed
 * copy is in `ip6s_fullsock` or `ip6s_rawnomem` too.
 */
void
xk_rip6_input_locked(struct __mbuf *m, uint8_t nxt, size_t off)
{
	struct sockaddr_in6 src = { .sin6_family = AF_INET6 };
	size_t plen = xk_m_length(m) - off;
	struct ip6_hdr ip6;
	bool matched = false, delivered = false, filtered = false;
	bool nomember = false;
	bool sumchecked = false, sumok = false;
	GList *chains[2];
	uint8_t type = 0, ctl[128];
	size_t ctllen;

	xk_m_copydata(m, 0, sizeof(ip6), &ip6);
	src.sin6_addr = ip6.ip6_src;
	/* A scoped source names its link: the answer needs it. */
	if (in6_is_linkscope(&ip6.ip6_src) && m->m_pkthdr.rcvif != NULL) {
		src.sin6_scope_id = m->m_pkthdr.rcvif->if_index;
	}
	if (nxt == IPPROTO_ICMPV6) {
		if (plen < sizeof(struct icmp6_hdr)) {
			xk_ipstat.ip6s_drop[XK_IPDROP_TOOSHORT]++;
			xk_m_freem(m);
			return;
		}
		xk_m_copydata(m, off, 1, &type);
	}
	/* ICMPv6 goes to ICMPv6 sockets only; the rest also to wildcards. */
	chains[0] = rip6_index[nxt].head;
	chains[1] = nxt != IPPROTO_ICMPV6 && nxt != 0 ? rip6_index[0].head :
	    NULL;
	for (int c = 0; c < 2; c++) {
		for (GList *l = chains[c]; l != NULL; l = l->next) {
			struct rip6_pcb *rp = l->data;
			struct __socket *so = rp->r6_so;
			struct __mbuf *n;
			int error;

			if ((!IN6_IS_ADDR_UNSPECIFIED(&rp->r6_laddr) &&
			    !IN6_ARE_ADDR_EQUAL(&rp->r6_laddr,
			    &ip6.ip6_dst)) ||
			    (!IN6_IS_ADDR_UNSPECIFIED(&rp->r6_faddr) &&
			    !IN6_ARE_ADDR_EQUAL(&rp->r6_faddr,
			    &ip6.ip6_src))) {
				continue;
			}
			if (so->so_flags & (SOF_CLOSING | SOF_CLOSED)) {
				continue;
			}
			if (is_icmp6(so) &&
			    ICMP6_FILTER_WILLBLOCK(type, &rp->r6_filter)) {
				filtered = true;
				continue;
			}
			if (IN6_IS_ADDR_MULTICAST(&ip6.ip6_dst) &&
			    !rip6_mcast_ok(rp, &ip6.ip6_dst,
			    m->m_pkthdr.rcvif)) {
				nomember = true;
				continue;
			}
			/* ICMPv6 or IPV6_CHECKSUM: a bad sum skips it. */
			if (is_icmp6(so) || rp->r6_cksum >= 0) {
				if (!sumchecked) {
					sumok = cksum6(&ip6.ip6_src,
					    &ip6.ip6_dst, nxt, m, off,
					    plen) == 0;
					sumchecked = true;
				}
				if (!sumok) {
					xk_ipstat.ip6s_badsum++;
					continue;
				}
			}
			matched = true;
			n = xk_m_copym(m, 0, MBUF_COPYALL, &error);
			if (n == NULL) {
				xk_ipstat.ip6s_rawnomem++;
				continue;
			}
			/* Data starts after the headers. */
			xk_m_adj(n, (int)off);
			ctllen = rip6_control(rp, &ip6, m, ctl, sizeof(ctl));
			error = xk_sbappendaddr_locked(&so->so_rcv,
			    (struct sockaddr *)&src, sizeof(src), n,
			    ctllen != 0 ? ctl : NULL, ctllen);
			if (error != 0) {
				xk_ipstat.ip6s_fullsock++;
				xk_m_freem(n);
				continue;
			}
			delivered = true;
			xk_sorwakeup_locked(so);
		}
	}
	if (delivered) {
		xk_ipstat.ip6s_delivered++;
	} else if (matched) {
		xk_ipstat.ip6s_rawdropped++;
	} else if (filtered) {
		/* Wanted by an ICMPv6 socket, but its filter said no. */
		xk_ipstat.ip6s_icmp6filtered++;
	} else if (nomember) {
		xk_ipstat.ip6s_mcastnomember++;
	} else {
		xk_ipstat.ip6s_noproto++;
	}
	xk_m_freem(m);
}

const struct xk_protosw xk_rip6_protosw[] = {
	{ .pr_domain = AF_INET6, .pr_type = SOCK_RAW,
	    .pr_protocol = XK_PR_ANY, .pr_flags = PR_ATOMIC | PR_ADDR,
	    .pr_name = "rip6", .pr_sndspace = RIP6_SPACE,
	    .pr_rcvspace = RIP6_SPACE,
	    .pr_attach = rip6_attach, .pr_detach = rip6_detach,
	    .pr_bind = rip6_bind, .pr_connect = rip6_connect,
	    .pr_disconnect = rip6_disconnect, .pr_shutdown = rip6_shutdown,
	    .pr_send = rip6_send, .pr_send_direct = rip6_send_direct,
	    .pr_ctloutput = rip6_ctloutput,
	    .pr_sockaddr = rip6_sockaddr, .pr_peeraddr = rip6_peeraddr,
	    .pr_listen = rip6_listen },
};
const size_t xk_rip6_nprotosw = G_N_ELEMENTS(xk_rip6_protosw);
