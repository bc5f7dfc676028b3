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
};

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

/* The upper-layer checksum over the pseudo-header (RFC 8200 8.1). */
static uint16_t
cksum6(const struct in6_addr *src, const struct in6_addr *dst, uint8_t nxt,
    const struct __mbuf *m, size_t off, size_t len)
{
	struct {
		struct in6_addr	src, dst;
		uint32_t	len;
		uint8_t		zero[3], nxt;
	} ph;
	uint16_t a, b;
	uint32_t sum;

	memset(&ph, 0, sizeof(ph));
	ph.src = *src;
	ph.dst = *dst;
	ph.len = htonl((uint32_t)len);
	ph.nxt = nxt;
	/* Add the two complemented sums, then complement again. */
	a = (uint16_t)~xk_in_cksum_buf(&ph, sizeof(ph));
	b = (uint16_t)~xk_in_cksum(m, off, len);
	sum = (uint32_t)ntohs(a) + ntohs(b);
	sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static int
rip6_send(struct __socket *so, struct __mbuf *m, const struct sockaddr *to,
    socklen_t tolen, const void *control, size_t controllen, int flags)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)to;
	struct rip6_pcb *rp = sotorip6(so);
	const struct xk_ifaddr *ifa;
	struct in6_addr dst, src;
	struct ip6_hdr ip6;
	struct __ifnet *ifp;
	size_t plen = xk_m_length(m);
	uint16_t sum;
	int off, error;

	(void)control;
	(void)controllen;
	(void)flags;
	if (so->so_state & SS_ISCONNECTED) {
		if (sin6 != NULL) {
			error = EISCONN;
			goto bad;
		}
		dst = rp->r6_faddr;
	} else {
		if (sin6 == NULL || tolen != sizeof(*sin6)) {
			error = sin6 == NULL ? ENOTCONN : EINVAL;
			goto bad;
		}
		dst = sin6->sin6_addr;
	}
	if (IN6_IS_ADDR_V4MAPPED(&dst)) {
		error = EINVAL;
		goto bad;
	}
	if ((ifp = xk_ip_route_locked(AF_INET6, &dst)) == NULL &&
	    !IN6_IS_ADDR_MULTICAST(&dst)) {
		xk_ipstat.ip6s_noroute++;
		error = EHOSTUNREACH;
		goto bad;
	}
	src = rp->r6_laddr;
	if (IN6_IS_ADDR_UNSPECIFIED(&src) && ifp != NULL &&
	    (ifa = xk_if_firstaddr_locked(ifp, AF_INET6)) != NULL) {
		src = ifa->ifa_addr.v6;
	}
	off = is_icmp6(so) ? 2 : rp->r6_cksum;
	if (off >= 0) {
		if ((size_t)off + 2 > plen) {
			error = EINVAL;
			goto bad;
		}
		sum = 0;
		(void)xk_m_copyback(m, (size_t)off, 2, &sum);
		sum = cksum6(&src, &dst, (uint8_t)so->so_protocol, m, 0, plen);
		/* A computed 0 goes out as 0xffff (RFC 8200 8.1). */
		if (sum == 0) {
			sum = 0xffff;
		}
		(void)xk_m_copyback(m, (size_t)off, 2, &sum);
	}
	if (plen > 0xffff) {
		error = EMSGSIZE;
		goto bad;
	}
	if ((m = xk_m_prepend(m, sizeof(ip6))) == NULL) {
		return ENOBUFS;
	}
	memset(&ip6, 0, sizeof(ip6));
	ip6.ip6_vfc = 0x60;
	ip6.ip6_plen = htons((uint16_t)plen);
	ip6.ip6_nxt = (uint8_t)so->so_protocol;
	ip6.ip6_hlim = (uint8_t)(rp->r6_hlim >= 0 ? rp->r6_hlim : RIP6_HLIM);
	ip6.ip6_src = src;
	ip6.ip6_dst = dst;
	(void)xk_m_copyback(m, 0, sizeof(ip6), &ip6);
	return xk_ip6_output_locked(m, ifp);
bad:
	xk_m_freem(m);
	return error;
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
	bool matched = false, delivered = false;
	bool sumchecked = false, sumok = false;
	GList *chains[2];
	uint8_t type = 0, ctl[128];
	size_t ctllen;

	xk_m_copydata(m, 0, sizeof(ip6), &ip6);
	src.sin6_addr = ip6.ip6_src;
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
	} else if (!matched) {
		xk_ipstat.ip6s_noproto++;
	} else {
		xk_ipstat.ip6s_rawdropped++;
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
	    .pr_send = rip6_send, .pr_ctloutput = rip6_ctloutput,
	    .pr_sockaddr = rip6_sockaddr, .pr_peeraddr = rip6_peeraddr,
	    .pr_listen = rip6_listen },
};
const size_t xk_rip6_nprotosw = G_N_ELEMENTS(xk_rip6_protosw);
