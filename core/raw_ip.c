/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Raw IPv4 sockets with XNU's raw_ip.c semantics (spec section 4): the
 * four demux rules with a copy to every match, the BSD header form on
 * receive, IP_STRIPHDR, output with and without IP_HDRINCL, and the
 * bind/connect errors.
 */
#include "core/xk.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stddef.h>
#include <string.h>
#include <sys/time.h>

#include <net/if_dl.h>
#include <sys/kpi_socket.h>

#include "core/if_var.h"
#include "core/ip_var.h"
#include "core/socket_var.h"

#define RIP_SPACE	8192	/* RIPSNDQ, RIPRCVQ */
#define RIP_HDRMAX	60	/* the header with the most options */
#define RIP_HDRINCL	0x01
#define RIP_STRIPHDR	0x02
#define RIP_RECVDSTADDR	0x04
#define RIP_RECVTTL	0x08
#define RIP_PKTINFO	0x10
#define RIP_RECVIF	0x20
#define RIP_DONTFRAG	0x40
#define RIP_CONTROLOPTS	(RIP_RECVDSTADDR | RIP_RECVTTL | RIP_PKTINFO | \
    RIP_RECVIF)

/* What getsockopt reports, as XNU: the inp_flags bits. */
#define INP_HDRINCL_BIT		0x8
#define INP_STRIPHDR_BIT	0x200

struct rip_pcb {
	struct __socket	*rp_so;
	struct in_addr	 rp_laddr;
	struct in_addr	 rp_faddr;
	uint32_t	 rp_flags;
	int		 rp_tos;
	int		 rp_ttl;
	uint8_t		 rp_optlen;	/* IP_OPTIONS, padded to 4 */
	uint8_t		 rp_opts[MAX_IPOPTLEN];
	GList		 rp_link;
	/*
	 * Multicast options.  rp_mstate: some multicast option was set (BSD's
	 * inp_moptions); such a socket receives multicast only for the
	 * groups it joined on the receiving interface (FreeBSD's rip_input).
	 */
	bool		 rp_mstate;
	uint32_t	 rp_mifindex;	/* IP_MULTICAST_IF, 0: the route */
	uint8_t		 rp_mttl;	/* IP_MULTICAST_TTL, default 1 */
	bool		 rp_mloop;	/* IP_MULTICAST_LOOP, default on */
	GArray		*rp_mships;	/* struct xk_mship */
};

/*
 * The demux index: one chain per (protocol, local address, peer address)
 * that some PCB has, 0 standing for "any" in each, the PCBs in creation
 * order.  A packet looks up the chains that can match it, at most eight,
 * so its cost does not grow with the number of raw sockets that cannot
 * match it (XNU walks them all).  Counts per protocol and of connected
 * PCBs let the common packet skip most of the lookups.
 */
struct rip_key {
	in_addr_t	 rk_laddr;
	in_addr_t	 rk_faddr;
	int		 rk_proto;
};

struct rip_chain {
	struct rip_key	 rc_key;
	GQueue		 rc_pcbs;
};

static GHashTable *rip_chains;		/* struct rip_key -> rip_chain */
static unsigned int rip_nproto[256];	/* PCBs per protocol */
static unsigned int rip_nconnected;	/* PCBs with a peer */

static guint
rip_key_hash(gconstpointer p)
{
	const struct rip_key *k = p;

	return (k->rk_laddr * 2654435761u) ^ (k->rk_faddr * 40503u) ^
	    (guint)k->rk_proto;
}

static gboolean
rip_key_equal(gconstpointer a, gconstpointer b)
{
	const struct rip_key *x = a, *y = b;

	return x->rk_laddr == y->rk_laddr && x->rk_faddr == y->rk_faddr &&
	    x->rk_proto == y->rk_proto;
}

static GQueue *
rip_chain_find(int proto, in_addr_t laddr, in_addr_t faddr)
{
	struct rip_key k = { laddr, faddr, proto };
	struct rip_chain *c;

	if (rip_chains == NULL) {
		return NULL;
	}
	c = g_hash_table_lookup(rip_chains, &k);
	return c != NULL ? &c->rc_pcbs : NULL;
}

static void
rip_index_add(struct rip_pcb *rp, struct rip_chain *spare)
{
	struct rip_key k = { rp->rp_laddr.s_addr, rp->rp_faddr.s_addr,
	    rp->rp_so->so_protocol };
	struct rip_chain *c;

	if (rip_chains == NULL) {
		rip_chains = g_hash_table_new_full(rip_key_hash,
		    rip_key_equal, NULL, g_free);
	}
	if ((c = g_hash_table_lookup(rip_chains, &k)) == NULL) {
		c = spare;
		c->rc_key = k;
		g_hash_table_insert(rip_chains, &c->rc_key, c);
	} else {
		g_free(spare);
	}
	g_queue_push_tail_link(&c->rc_pcbs, &rp->rp_link);
	rip_nproto[k.rk_proto]++;
	rip_nconnected += k.rk_faddr != INADDR_ANY;
}

static void
rip_index_remove(struct rip_pcb *rp)
{
	struct rip_key k = { rp->rp_laddr.s_addr, rp->rp_faddr.s_addr,
	    rp->rp_so->so_protocol };
	struct rip_chain *c = g_hash_table_lookup(rip_chains, &k);

	g_queue_unlink(&c->rc_pcbs, &rp->rp_link);
	if (c->rc_pcbs.length == 0) {
		g_hash_table_remove(rip_chains, &k);
	}
	rip_nproto[k.rk_proto]--;
	rip_nconnected -= k.rk_faddr != INADDR_ANY;
	if (g_hash_table_size(rip_chains) == 0) {
		g_hash_table_destroy(rip_chains);
		rip_chains = NULL;
	}
}

static struct rip_pcb *
sotorip(struct __socket *so)
{
	return so->so_pcb;
}

/*
 * Files @rp under new addresses.  The chain the new key may need is
 * allocated first, so that running out of memory changes nothing.
 */
static int
rip_rekey(struct rip_pcb *rp, struct in_addr laddr, struct in_addr faddr)
{
	struct rip_chain *spare;

	if ((spare = g_try_new0(struct rip_chain, 1)) == NULL) {
		return ENOMEM;
	}
	rip_index_remove(rp);
	rp->rp_laddr = laddr;
	rp->rp_faddr = faddr;
	rip_index_add(rp, spare);
	return 0;
}

static int
rip_attach(struct __socket *so)
{
	struct rip_chain *spare;
	struct rip_pcb *rp;

	/* XNU's rip_attach: no SS_PRIV, EPERM (ip(4) says EACCES). */
	if (!(so->so_state & SS_PRIV)) {
		return EPERM;
	}
	if (so->so_protocol < 0 || so->so_protocol > 255) {
		return EINVAL;
	}
	if ((rp = g_try_new0(struct rip_pcb, 1)) == NULL ||
	    (spare = g_try_new0(struct rip_chain, 1)) == NULL) {
		g_free(rp);
		return ENOMEM;
	}
	rp->rp_so = so;
	rp->rp_ttl = IPDEFTTL;
	rp->rp_mttl = IP_DEFAULT_MULTICAST_TTL;
	rp->rp_mloop = true;
	rp->rp_link.data = rp;
	rip_index_add(rp, spare);
	so->so_pcb = rp;
	return 0;
}

static bool
rip_detach(struct __socket *so)
{
	struct rip_pcb *rp;

	xk_core_lock();
	if ((rp = sotorip(so)) != NULL) {
		/* Every group the socket joined is left. */
		for (guint i = 0; rp->rp_mships != NULL &&
		    i < rp->rp_mships->len; i++) {
			struct xk_mship *ms = &g_array_index(rp->rp_mships,
			    struct xk_mship, i);

			(void)xk_ip_mship_change_locked(AF_INET,
			    &ms->ms_group.v4, ms->ms_ifindex, false);
		}
		if (rp->rp_mships != NULL) {
			g_array_free(rp->rp_mships, TRUE);
		}
		rip_index_remove(rp);
		so->so_pcb = NULL;
		g_free(rp);
	}
	xk_core_unlock();
	return true;
}

static int
rip_bind(struct __socket *so, const struct sockaddr *sa, socklen_t len)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

	if (len != sizeof(struct sockaddr_in)) {
		return EINVAL;
	}
	if (xk_if_count_locked() == 0) {
		return EADDRNOTAVAIL;
	}
	if (sin->sin_addr.s_addr != INADDR_ANY &&
	    xk_if_withaddr_locked(AF_INET, &sin->sin_addr) == NULL) {
		return EADDRNOTAVAIL;
	}
	return rip_rekey(sotorip(so), sin->sin_addr, sotorip(so)->rp_faddr);
}

static int
rip_connect(struct __socket *so, const struct sockaddr *sa, socklen_t len)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	int error;

	if (len != sizeof(struct sockaddr_in)) {
		return EINVAL;
	}
	if (xk_if_count_locked() == 0) {
		return EADDRNOTAVAIL;
	}
	if (sin->sin_family != AF_INET) {
		return EAFNOSUPPORT;
	}
	if ((error = rip_rekey(sotorip(so), sotorip(so)->rp_laddr,
	    sin->sin_addr)) != 0) {
		return error;
	}
	xk_soisconnected_locked(so);
	return 0;
}

/*
 * XNU detaches the PCB here, so a reconnect leaves the socket dead
 * (spec 4.6); xkpi forgets the peer instead and the socket lives on.
 */
static int
rip_disconnect(struct __socket *so)
{
	int error;

	if (!(so->so_state & SS_ISCONNECTED)) {
		return ENOTCONN;
	}
	if ((error = rip_rekey(sotorip(so), sotorip(so)->rp_laddr,
	    (struct in_addr){ .s_addr = INADDR_ANY })) != 0) {
		return error;
	}
	so->so_state &= ~SS_ISCONNECTED;
	return 0;
}

static int
rip_shutdown(struct __socket *so, int how)
{
	(void)so;
	(void)how;
	return 0;
}

/* IP_PKTINFO on send (struct in_pktinfo): interface and source. */
static int
rip_ctl1(int level, int type, const void *data, size_t dlen, void *arg)
{
	struct in_pktinfo *pi = arg;

	if (level != IPPROTO_IP) {
		return 0;
	}
	if (type != IP_PKTINFO) {
		return EINVAL;
	}
	if (dlen != sizeof(*pi)) {
		return EINVAL;
	}
	memcpy(pi, data, sizeof(*pi));
	return 0;
}

/*
 * Where a packet goes out and from: an IP_PKTINFO interface (ENXIO when
 * unknown) and source (EADDRNOTAVAIL when the host lacks it), else
 * IP_MULTICAST_IF for multicast.  *@ifpp stays NULL for the route.
 */
static int
rip_out_choice(const struct rip_pcb *rp, const struct in_pktinfo *pi,
    struct in_addr dst, struct __ifnet **ifpp, struct in_addr *srcp)
{
	*ifpp = NULL;
	if (pi->ipi_ifindex != 0 &&
	    (*ifpp = xk_if_byindex_locked((uint32_t)pi->ipi_ifindex)) ==
	    NULL) {
		return ENXIO;
	}
	if (pi->ipi_spec_dst.s_addr != INADDR_ANY) {
		if (xk_if_withaddr_locked(AF_INET, &pi->ipi_spec_dst) ==
		    NULL) {
			return EADDRNOTAVAIL;
		}
		*srcp = pi->ipi_spec_dst;
	}
	if (*ifpp == NULL && IN_MULTICAST(ntohl(dst.s_addr)) &&
	    rp->rp_mifindex != 0 &&
	    (*ifpp = xk_if_byindex_locked(rp->rp_mifindex)) == NULL) {
		return ENXIO;
	}
	return 0;
}

/*
 * Sends a finished packet: multicast gets the socket's TTL (unless the
 * header is the caller's) and, with IP_MULTICAST_LOOP, a copy through the
 * engine's own input, as ip_mloopback.
 */
static int
rip_output(struct rip_pcb *rp, struct __mbuf *m, struct __ifnet *ifp)
{
	struct xk_ip_path path = { .ipp_ifp = ifp };
	struct __mbuf *n;
	struct ip ip;
	int error;

	xk_m_copydata(m, 0, sizeof(ip), &ip);
	if (IN_MULTICAST(ntohl(ip.ip_dst.s_addr)) && rp->rp_mloop) {
		struct __ifnet *lifp = ifp != NULL ? ifp :
		    xk_ip_route_locked(AF_INET, &ip.ip_dst);
		uint32_t index = ifp != NULL ? ifp->if_index : 0;

		if (lifp == NULL) {
			lifp = xk_if_first_locked();
		}
		if (lifp != NULL && (n = xk_m_copym(m, 0, MBUF_COPYALL,
		    &error)) != NULL) {
			struct xk_ip_path in = { 0 };

			if (ip.ip_src.s_addr == INADDR_ANY) {
				const struct xk_ifaddr *ifa =
				    xk_if_firstaddr_locked(lifp, AF_INET);

				if (ifa != NULL) {
					ip.ip_src = ifa->ifa_addr.v4;
					(void)xk_m_copyback(n, 0, sizeof(ip),
					    &ip);
				}
			}
			xk_ip_cksum_hdr(n);
			xk_ipstat.ips_mcastloop++;
			xk_ip_input_path_locked(n, lifp, &in);
			/* Input may have let the lock go. */
			if (index != 0 && (path.ipp_ifp =
			    xk_if_byindex_locked(index)) == NULL) {
				xk_m_freem(m);
				return EHOSTUNREACH;
			}
		}
	}
	/* Multicast without a route leaves by the first interface. */
	if (path.ipp_ifp == NULL && IN_MULTICAST(ntohl(ip.ip_dst.s_addr)) &&
	    xk_ip_route_locked(AF_INET, &ip.ip_dst) == NULL) {
		path.ipp_ifp = xk_if_first_locked();
	}
	return xk_ip_output_path_locked(m, &path);
}

/*
 * The header rip_send puts in front of @len bytes from @src to @dst, in
 * @hdr (RIP_HDRMAX bytes of room): sizeof(struct ip) + rp_optlen bytes.
 */
static void
rip_header(const struct rip_pcb *rp, int proto, struct in_addr src,
    struct in_addr dst, size_t len, uint8_t *hdr)
{
	size_t hlen = sizeof(struct ip) + rp->rp_optlen;
	struct ip ip;

	memset(&ip, 0, sizeof(ip));
	ip.ip_v = IPVERSION;
	ip.ip_hl = (unsigned int)(hlen >> 2);
	ip.ip_tos = (uint8_t)rp->rp_tos;
	ip.ip_len = htons((uint16_t)(len + hlen));
	/* XNU HEAD: IP_DONTFRAG sets DF, and a packet too big is EMSGSIZE. */
	ip.ip_off = (rp->rp_flags & RIP_DONTFRAG) ? htons(IP_DF) : 0;
	ip.ip_id = htons(xk_ip_randomid());
	/* ip_output: multicast goes with the IP_MULTICAST_TTL. */
	ip.ip_ttl = IN_MULTICAST(ntohl(dst.s_addr)) ? rp->rp_mttl :
	    (uint8_t)rp->rp_ttl;
	ip.ip_p = (uint8_t)proto;
	ip.ip_src = src;
	ip.ip_dst = dst;
	memcpy(hdr, &ip, sizeof(ip));
	memcpy(hdr + sizeof(ip), rp->rp_opts, rp->rp_optlen);
}

static int
rip_send(struct __socket *so, struct __mbuf *m, const struct sockaddr *to,
    socklen_t tolen, const void *control, size_t controllen, int flags)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)to;
	struct rip_pcb *rp = sotorip(so);
	struct in_pktinfo pi;
	struct __ifnet *ifp;
	struct in_addr dst, src;
	uint8_t hdr[RIP_HDRMAX];
	size_t len, hlen;
	int error;

	(void)flags;
	memset(&pi, 0, sizeof(pi));
	if ((error = xk_ip_ctl_walk(control, controllen, rip_ctl1,
	    &pi)) != 0) {
		goto bad;
	}
	if (so->so_state & SS_ISCONNECTED) {
		if (sin != NULL && sin->sin_addr.s_addr != INADDR_ANY) {
			error = EISCONN;
			goto bad;
		}
		dst = rp->rp_faddr;
	} else {
		if (sin == NULL || tolen != sizeof(*sin) ||
		    sin->sin_family != AF_INET) {
			error = sin == NULL ? EDESTADDRREQ : EINVAL;
			goto bad;
		}
		if (sin->sin_addr.s_addr == INADDR_ANY) {
			error = ENOTCONN;
			goto bad;
		}
		dst = sin->sin_addr;
	}
	src = rp->rp_laddr;
	if ((error = rip_out_choice(rp, &pi, dst, &ifp, &src)) != 0) {
		goto bad;
	}
	if (rp->rp_flags & RIP_HDRINCL) {
		/* The header is the caller's, in BSD host-order form. */
		if ((error = xk_ip_hdrincl_prepare(m,
		    rp->rp_optlen != 0)) != 0) {
			goto bad;
		}
		return rip_output(rp, m, ifp);
	}
	len = xk_m_length(m);
	hlen = sizeof(struct ip) + rp->rp_optlen;
	if (len + hlen > IP_MAXPACKET) {
		error = EMSGSIZE;
		goto bad;
	}
	if ((m = xk_m_prepend_own(m, hlen)) == NULL) {
		return ENOBUFS;	/* the chain went with the failure */
	}
	rip_header(rp, so->so_protocol, src, dst, len, hdr);
	(void)xk_m_copyback(m, 0, hlen, hdr);
	return rip_output(rp, m, ifp);
bad:
	xk_m_freem(m);
	return error;
}

/*
 * pr_send_direct: a datagram without control data, the header the
 * library's, to a unicast destination, goes from @iov into the TX ring
 * (xk_ip_output_direct_locked); anything else, errors included, takes
 * rip_send's way.
 */
static int
rip_send_direct(struct __socket *so, const struct sockaddr *to,
    socklen_t tolen, const struct iovec *iov, int iovcnt, size_t len,
    int flags)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)to;
	struct rip_pcb *rp = sotorip(so);
	uint8_t hdr[RIP_HDRMAX];
	size_t hlen = sizeof(struct ip) + rp->rp_optlen;
	struct in_addr dst;

	(void)flags;
	if (!xk_ip_direct_ok_locked(AF_INET) || rp->rp_flags & RIP_HDRINCL ||
	    len + hlen > IP_MAXPACKET) {
		return XK_SEND_SLOW;
	}
	if (so->so_state & SS_ISCONNECTED) {
		if (sin != NULL) {
			return XK_SEND_SLOW;
		}
		dst = rp->rp_faddr;
	} else {
		if (sin == NULL || tolen != sizeof(*sin) ||
		    sin->sin_family != AF_INET ||
		    sin->sin_addr.s_addr == INADDR_ANY) {
			return XK_SEND_SLOW;
		}
		dst = sin->sin_addr;
	}
	rip_header(rp, so->so_protocol, rp->rp_laddr, dst, len, hdr);
	return xk_ip_output_direct_locked(hdr, hlen, iov, iovcnt, len);
}

/*
 * IP_OPTIONS, as BSD's ip_pcbopts: at most 40 bytes of well-formed
 * options (an EOL ends them), padded with EOL to a multiple of 4; an
 * empty set removes them.  Source-route options are refused: BSD sends
 * such a packet to the first hop, which raw output here cannot do.
 */
static int
rip_setget_opts(struct rip_pcb *rp, bool set, void *val, socklen_t *len)
{
	const uint8_t *cp = val;
	size_t n, i, olen;

	if (!set) {
		n = (size_t)*len < rp->rp_optlen ? (size_t)*len :
		    rp->rp_optlen;
		memcpy(val, rp->rp_opts, n);
		*len = (socklen_t)n;
		return 0;
	}
	if ((n = (size_t)*len) > MAX_IPOPTLEN) {
		return EINVAL;
	}
	for (i = 0; i < n; i += olen) {
		if (cp[i] == IPOPT_EOL) {
			break;
		}
		if (cp[i] == IPOPT_NOP) {
			olen = 1;
			continue;
		}
		if (i + 1 >= n || (olen = cp[i + 1]) < 2 || olen > n - i) {
			return EINVAL;
		}
		if (cp[i] == IPOPT_LSRR || cp[i] == IPOPT_SSRR) {
			return EINVAL;
		}
	}
	memset(rp->rp_opts, IPOPT_EOL, sizeof(rp->rp_opts));
	memcpy(rp->rp_opts, cp, i);
	rp->rp_optlen = (uint8_t)((i + 3) & ~(size_t)3);
	return 0;
}

/* The interface of a struct ip_mreq(n) or IP_MULTICAST_IF value. */
static int
rip_mcast_ifp(uint32_t index, struct in_addr addr, const struct in_addr *grp,
    struct __ifnet **ifpp)
{
	if (index != 0) {
		return (*ifpp = xk_if_byindex_locked(index)) != NULL ? 0 :
		    ENXIO;
	}
	if (addr.s_addr != INADDR_ANY) {
		return (*ifpp = xk_if_withaddr_locked(AF_INET, &addr)) !=
		    NULL ? 0 : EADDRNOTAVAIL;
	}
	*ifpp = NULL;
	if (grp != NULL && (*ifpp = xk_ip_route_locked(AF_INET, grp)) ==
	    NULL) {
		*ifpp = xk_if_first_locked();
	}
	return grp != NULL && *ifpp == NULL ? EADDRNOTAVAIL : 0;
}

/*
 * IP_MULTICAST_IF (struct in_addr, or Linux's struct ip_mreqn),
 * IP_MULTICAST_TTL and IP_MULTICAST_LOOP (a u_char, or an int),
 * IP_ADD_MEMBERSHIP and IP_DROP_MEMBERSHIP (struct ip_mreq or ip_mreqn),
 * with BSD's errors: EINVAL for a group that is not multicast,
 * EADDRINUSE for a second join, EADDRNOTAVAIL for leaving a group not
 * joined or an interface address the host lacks.
 */
static int
rip_mcast_opt(struct rip_pcb *rp, bool set, int name, void *val,
    socklen_t *len)
{
	struct ip_mreqn mr;
	struct __ifnet *ifp;
	struct xk_mship ms;
	unsigned int v = 0;
	guint i;
	int error;

	if (!set) {
		switch (name) {
		case IP_MULTICAST_IF: {
			struct in_addr a = { INADDR_ANY };
			const struct xk_ifaddr *ifa;

			if (rp->rp_mifindex != 0 &&
			    (ifp = xk_if_byindex_locked(rp->rp_mifindex)) !=
			    NULL && (ifa = xk_if_firstaddr_locked(ifp,
			    AF_INET)) != NULL) {
				a = ifa->ifa_addr.v4;
			}
			if (*len > (socklen_t)sizeof(a)) {
				*len = sizeof(a);
			}
			memcpy(val, &a, (size_t)*len);
			return 0;
		}
		case IP_MULTICAST_TTL:
		case IP_MULTICAST_LOOP:
			v = name == IP_MULTICAST_TTL ? rp->rp_mttl :
			    rp->rp_mloop;
			if (*len == 1) {
				*(uint8_t *)val = (uint8_t)v;
				return 0;
			}
			if (*len > (socklen_t)sizeof(int)) {
				*len = sizeof(int);
			}
			memcpy(val, &v, (size_t)*len);
			return 0;
		default:
			return EOPNOTSUPP;
		}
	}
	rp->rp_mstate = true;
	switch (name) {
	case IP_MULTICAST_TTL:
	case IP_MULTICAST_LOOP:
		if (*len == 1) {
			v = *(const uint8_t *)val;
		} else if (*len == (socklen_t)sizeof(int)) {
			int iv;

			memcpy(&iv, val, sizeof(iv));
			if (iv < 0 || iv > 255) {
				return EINVAL;
			}
			v = (unsigned int)iv;
		} else {
			return EINVAL;
		}
		if (name == IP_MULTICAST_TTL) {
			rp->rp_mttl = (uint8_t)v;
		} else {
			rp->rp_mloop = v != 0;
		}
		return 0;
	case IP_MULTICAST_IF:
		memset(&mr, 0, sizeof(mr));
		if (*len == (socklen_t)sizeof(struct in_addr)) {
			memcpy(&mr.imr_address, val, sizeof(struct in_addr));
		} else if (*len == (socklen_t)sizeof(struct ip_mreqn) ||
		    *len == (socklen_t)sizeof(struct ip_mreq)) {
			memcpy(&mr, val, (size_t)*len);
		} else {
			return EINVAL;
		}
		if ((error = rip_mcast_ifp((uint32_t)(*len ==
		    (socklen_t)sizeof(struct ip_mreqn) ? mr.imr_ifindex : 0),
		    mr.imr_address, NULL, &ifp)) != 0) {
			return error;
		}
		rp->rp_mifindex = ifp != NULL ? ifp->if_index : 0;
		return 0;
	default:
		break;
	}
	/* IP_ADD_MEMBERSHIP, IP_DROP_MEMBERSHIP. */
	memset(&mr, 0, sizeof(mr));
	if (*len != (socklen_t)sizeof(struct ip_mreq) &&
	    *len != (socklen_t)sizeof(struct ip_mreqn)) {
		return EINVAL;
	}
	memcpy(&mr, val, (size_t)*len);
	if (!IN_MULTICAST(ntohl(mr.imr_multiaddr.s_addr))) {
		return EINVAL;
	}
	if ((error = rip_mcast_ifp((uint32_t)(*len ==
	    (socklen_t)sizeof(struct ip_mreqn) ? mr.imr_ifindex : 0),
	    mr.imr_address, &mr.imr_multiaddr, &ifp)) != 0) {
		return error;
	}
	memset(&ms, 0, sizeof(ms));
	ms.ms_family = AF_INET;
	ms.ms_ifindex = ifp->if_index;
	ms.ms_group.v4 = mr.imr_multiaddr;
	if (rp->rp_mships == NULL) {
		rp->rp_mships = g_array_new(FALSE, TRUE, sizeof(ms));
	}
	for (i = 0; i < rp->rp_mships->len; i++) {
		if (memcmp(&g_array_index(rp->rp_mships, struct xk_mship, i),
		    &ms, sizeof(ms)) == 0) {
			break;
		}
	}
	if (name == IP_ADD_MEMBERSHIP && i < rp->rp_mships->len) {
		return EADDRINUSE;
	}
	if (name == IP_DROP_MEMBERSHIP && i == rp->rp_mships->len) {
		return EADDRNOTAVAIL;
	}
	if ((error = xk_ip_mship_change_locked(AF_INET, &ms.ms_group.v4,
	    ms.ms_ifindex, name == IP_ADD_MEMBERSHIP)) != 0) {
		return error;
	}
	if (name == IP_ADD_MEMBERSHIP) {
		g_array_append_val(rp->rp_mships, ms);
	} else {
		g_array_remove_index(rp->rp_mships, i);
	}
	return 0;
}

/* Whether @rp takes a packet to multicast @grp received on @ifp. */
static bool
rip_mcast_ok(const struct rip_pcb *rp, struct in_addr grp,
    const struct __ifnet *ifp)
{
	if (!rp->rp_mstate) {
		return true;
	}
	for (guint i = 0; rp->rp_mships != NULL && i < rp->rp_mships->len;
	    i++) {
		const struct xk_mship *ms = &g_array_index(rp->rp_mships,
		    struct xk_mship, i);

		if (ms->ms_group.v4.s_addr == grp.s_addr && ifp != NULL &&
		    ms->ms_ifindex == ifp->if_index) {
			return true;
		}
	}
	return false;
}

static int
rip_ctloutput(struct __socket *so, bool set, int level, int name, void *val,
    socklen_t *len)
{
	struct rip_pcb *rp = sotorip(so);
	uint32_t bit = 0;
	int v = 0;

	/* XNU: raw IPv4 options live at IPPROTO_IP, anything else EINVAL. */
	if (level != IPPROTO_IP) {
		return EINVAL;
	}
	if (name == IP_OPTIONS) {
		/* Bytes, not an int. */
		return rip_setget_opts(rp, set, val, len);
	}
	switch (name) {
	case IP_MULTICAST_IF:
	case IP_MULTICAST_TTL:
	case IP_MULTICAST_LOOP:
	case IP_ADD_MEMBERSHIP:
	case IP_DROP_MEMBERSHIP:
		return rip_mcast_opt(rp, set, name, val, len);
	default:
		break;
	}
	if (set) {
		if (*len < (socklen_t)sizeof(int)) {
			return EINVAL;
		}
		memcpy(&v, val, sizeof(v));
	}
	switch (name) {
	case IP_HDRINCL:
		bit = RIP_HDRINCL;
		v = set ? v : (rp->rp_flags & bit) ? INP_HDRINCL_BIT : 0;
		break;
	case IP_STRIPHDR:
		bit = RIP_STRIPHDR;
		v = set ? v : (rp->rp_flags & bit) ? INP_STRIPHDR_BIT : 0;
		break;
	case IP_RECVDSTADDR:
		bit = RIP_RECVDSTADDR;
		v = set ? v : (rp->rp_flags & bit) != 0;
		break;
	case IP_RECVTTL:
		bit = RIP_RECVTTL;
		v = set ? v : (rp->rp_flags & bit) != 0;
		break;
	case IP_RECVIF:
		bit = RIP_RECVIF;
		v = set ? v : (rp->rp_flags & bit) != 0;
		break;
	case IP_DONTFRAG:
		bit = RIP_DONTFRAG;
		v = set ? v : (rp->rp_flags & bit) != 0;
		break;
	case IP_PKTINFO:
		bit = RIP_PKTINFO;
		v = set ? v : (rp->rp_flags & bit) != 0;
		break;
	case IP_TOS:
		if (set && (v < 0 || v > 255)) {
			return EINVAL;
		}
		if (set) {
			rp->rp_tos = v;
		}
		v = rp->rp_tos;
		break;
	case IP_TTL:
		if (set && (v < 0 || v > 255)) {
			return EINVAL;
		}
		if (set) {
			rp->rp_ttl = v;
		}
		v = rp->rp_ttl;
		break;
	default:
		return ENOPROTOOPT;
	}
	if (set) {
		if (bit != 0) {
			rp->rp_flags = v != 0 ? rp->rp_flags | bit :
			    rp->rp_flags & ~bit;
		}
		return 0;
	}
	if (*len > (socklen_t)sizeof(v)) {
		*len = sizeof(v);
	}
	memcpy(val, &v, (size_t)*len);
	return 0;
}

static int
rip_addr(struct __socket *so, struct sockaddr_storage *ss, socklen_t *len,
    bool peer)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct rip_pcb *rp = sotorip(so);

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_addr = peer ? rp->rp_faddr : rp->rp_laddr;
	*len = sizeof(*sin);
	return 0;
}

static int
rip_sockaddr(struct __socket *so, struct sockaddr_storage *ss, socklen_t *len)
{
	return rip_addr(so, ss, len, false);
}

static int
rip_peeraddr(struct __socket *so, struct sockaddr_storage *ss, socklen_t *len)
{
	return rip_addr(so, ss, len, true);
}

static int
rip_listen(struct __socket *so, int backlog)
{
	(void)so;
	(void)backlog;
	return EOPNOTSUPP;
}

/* An IP_RECVIF address: BSD lets sdl_data run past its declared size. */
union rip_sdl {
	struct sockaddr_dl sdl;
	uint8_t		   raw[offsetof(struct sockaddr_dl, sdl_data) +
			       IF_NAMESIZE + 16];
};

/*
 * The IP_RECVIF address of @ifp: index, type, name and link address, as
 * XNU copies its interface's link-level address; a packet with no
 * interface gets index 0 and nothing else.
 */
static void
if_sockaddr_dl(const struct __ifnet *ifp, union rip_sdl *u)
{
	struct sockaddr_dl *sdl = &u->sdl;
	size_t nlen, len;

	memset(u, 0, sizeof(*u));
	sdl->sdl_len = sizeof(*sdl);
	sdl->sdl_family = AF_LINK;
	if (ifp == NULL) {
		return;
	}
	sdl->sdl_index = (unsigned short)ifp->if_index;
	sdl->sdl_type = ifp->if_type == ARPHRD_ETHER ? IFT_ETHER :
	    ifp->if_type == ARPHRD_LOOPBACK ? IFT_LOOP : IFT_OTHER;
	nlen = strnlen(ifp->if_name, IF_NAMESIZE);
	sdl->sdl_nlen = (unsigned char)nlen;
	sdl->sdl_alen = ifp->if_hwlen;
	/*
	 * Through raw[]: a name and address longer than sdl_data's 12 bytes
	 * run past that array, which indexing it cannot do (UBSan).
	 */
	len = offsetof(struct sockaddr_dl, sdl_data);
	memcpy(u->raw + len, ifp->if_name, nlen);
	memcpy(u->raw + len + nlen, ifp->if_hwaddr, ifp->if_hwlen);
	len += nlen + ifp->if_hwlen;
	if (len > sizeof(*sdl)) {
		sdl->sdl_len = (unsigned char)len;
	}
}

/* The receive options' control messages (XNU's ip_savecontrol). */
static size_t
rip_control(const struct rip_pcb *rp, const struct ip *ip,
    const struct __mbuf *m, uint8_t *buf, size_t cap)
{
	size_t len = 0;

	if ((rp->rp_flags & RIP_CONTROLOPTS) == 0 &&
	    !(rp->rp_so->so_options & SO_OPT_TIMESTAMP)) {
		return 0;
	}
	if (rp->rp_so->so_options & SO_OPT_TIMESTAMP) {
		xk_ip_ctl_timestamp(m, buf, cap, &len);
	}
	if (rp->rp_flags & RIP_RECVDSTADDR) {
		xk_ip_ctl_add(buf, cap, &len, IPPROTO_IP, IP_RECVDSTADDR,
		    &ip->ip_dst, sizeof(ip->ip_dst));
	}
	if (rp->rp_flags & RIP_RECVTTL) {
		/* XNU gives the TTL as one byte. */
		xk_ip_ctl_add(buf, cap, &len, IPPROTO_IP, IP_RECVTTL, &ip->ip_ttl,
		    sizeof(ip->ip_ttl));
	}
	if (rp->rp_flags & RIP_RECVIF) {
		union rip_sdl u;

		if_sockaddr_dl(m->m_pkthdr.rcvif, &u);
		xk_ip_ctl_add(buf, cap, &len, IPPROTO_IP, IP_RECVIF, &u,
		    u.sdl.sdl_len);
	}
	if (rp->rp_flags & RIP_PKTINFO) {
		struct in_pktinfo pi;
		const struct __ifnet *ifp = m->m_pkthdr.rcvif;

		memset(&pi, 0, sizeof(pi));
		pi.ipi_ifindex = ifp != NULL ? (int)ifp->if_index : 0;
		pi.ipi_spec_dst = ip->ip_dst;
		pi.ipi_addr = ip->ip_dst;
		xk_ip_ctl_add(buf, cap, &len, IPPROTO_IP, IP_PKTINFO, &pi,
		    sizeof(pi));
	}
	return len;
}

/* Queues a copy of @m on @rp's socket: true when it was queued. */
static bool
rip_deliver1(struct rip_pcb *rp, struct __mbuf *m, size_t hlen,
    const struct ip *ip, const struct sockaddr_in *src)
{
	struct __socket *so = rp->rp_so;
	struct __mbuf *n;
	uint8_t ctl[256];
	size_t ctllen;
	int error;

	if ((n = xk_m_copym(m, 0, MBUF_COPYALL, &error)) == NULL) {
		/* XNU skips that socket silently; we count it. */
		xk_ipstat.ips_rawnomem++;
		return false;
	}
	if (rp->rp_flags & RIP_STRIPHDR) {
		xk_m_adj(n, (int)hlen);
	}
	ctllen = rip_control(rp, ip, m, ctl, sizeof(ctl));
	error = xk_sbappendaddr_locked(&so->so_rcv,
	    (const struct sockaddr *)src, sizeof(*src), n, ctl, ctllen);
	if (error != 0) {
		xk_ipstat.ips_rawfull++;
		xk_m_freem(n);
		return false;
	}
	xk_sorwakeup_locked(so);
	return true;
}

/*
 * rip_input: a copy to every socket that matches the protocol (0: any),
 * the bound address and the connected address.  The packet is turned to
 * BSD form (ip_len host order minus the header, ip_off host order) once;
 * copies share its clusters.  The packet ends delivered (one copy queued
 * or more), unwanted (`ips_noproto`), or, when every matching socket
 * failed to take its copy, in `ips_rawdropped`; each failed copy is in
 * `ips_rawfull` or `ips_rawnomem` too.
 */
void
xk_rip_input_locked(struct __mbuf *m, size_t hlen)
{
	struct sockaddr_in src = { .sin_family = AF_INET };
	bool matched = false, delivered = false, nomember = false;
	bool mcast;
	in_addr_t laddrs[2], faddrs[2];
	int protos[2];
	struct ip ip;

	xk_m_copydata(m, 0, sizeof(ip), &ip);
	src.sin_addr = ip.ip_src;
	mcast = IN_MULTICAST(ntohl(ip.ip_dst.s_addr));
	xk_ip_bsd_input_form(m, hlen);
	protos[0] = ip.ip_p;
	protos[1] = 0;
	laddrs[0] = ip.ip_dst.s_addr;
	laddrs[1] = INADDR_ANY;
	faddrs[0] = ip.ip_src.s_addr;
	faddrs[1] = INADDR_ANY;
	for (int p = 0; p < 2; p++) {
		if ((p == 1 && protos[0] == 0) || rip_nproto[protos[p]] == 0) {
			continue;
		}
		for (int c = 0; c < 4; c++) {
			int a = c & 1, f = c >> 1;
			GQueue *q;

			/* Each chain once; peers only if some PCB has one. */
			if ((a == 1 && laddrs[0] == INADDR_ANY) ||
			    (f == 0 && (rip_nconnected == 0 ||
			    faddrs[0] == INADDR_ANY))) {
				continue;
			}
			q = rip_chain_find(protos[p], laddrs[a], faddrs[f]);
			for (GList *l = q != NULL ? q->head : NULL; l != NULL;
			    l = l->next) {
				struct rip_pcb *rp = l->data;

				if (rp->rp_so->so_flags &
				    (SOF_CLOSING | SOF_CLOSED)) {
					continue;
				}
				if (mcast && !rip_mcast_ok(rp, ip.ip_dst,
				    m->m_pkthdr.rcvif)) {
					nomember = true;
					continue;
				}
				matched = true;
				delivered |= rip_deliver1(rp, m, hlen, &ip,
				    &src);
			}
		}
	}
	if (!matched && nomember) {
		xk_ipstat.ips_mcastnomember++;
	} else if (!matched) {
		xk_ipstat.ips_noproto++;
	} else if (delivered) {
		xk_ipstat.ips_delivered++;
	} else {
		xk_ipstat.ips_rawdropped++;
	}
	xk_m_freem(m);
}

const struct xk_protosw xk_rip_protosw[] = {
	{ .pr_domain = AF_INET, .pr_type = SOCK_RAW,
	    .pr_protocol = XK_PR_ANY, .pr_flags = PR_ATOMIC | PR_ADDR,
	    .pr_name = "rip", .pr_sndspace = RIP_SPACE,
	    .pr_rcvspace = RIP_SPACE,
	    .pr_attach = rip_attach, .pr_detach = rip_detach,
	    .pr_bind = rip_bind, .pr_connect = rip_connect,
	    .pr_disconnect = rip_disconnect, .pr_shutdown = rip_shutdown,
	    .pr_send = rip_send, .pr_send_direct = rip_send_direct,
	    .pr_ctloutput = rip_ctloutput,
	    .pr_sockaddr = rip_sockaddr, .pr_peeraddr = rip_peeraddr,
	    .pr_listen = rip_listen },
};
const size_t xk_rip_nprotosw = G_N_ELEMENTS(xk_rip_protosw);
