/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The engine's packet path: the open backend, IPv4/IPv6 input up to the
 * raw demux, and output to the backend.  Every packet that enters ends
 * delivered, sent, or counted in xk_ipstat under a named reason.
 */
#include "core/xk.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <string.h>

#include <xkpi.h>

#include "backends/backend.h"
#include "core/if_var.h"
#include "core/ip_var.h"
#include "core/socket_var.h"

struct xk_ip_stats xk_ipstat;

void
xk_ipstat_snapshot(struct xk_ip_stats *out)
{
	xk_core_lock();
	*out = xk_ipstat;
	xk_core_unlock();
}

void
xk_ipstat_reset(void)
{
	xk_core_lock();
	memset(&xk_ipstat, 0, sizeof(xk_ipstat));
	xk_core_unlock();
}

static struct xk_backend engine_be;
static bool engine_open;

static void ip_input_batch(struct xk_backend *be, struct xk_be_pkt *pkts,
    unsigned int n);

int
xk_engine_open(const char *name, struct event_base *base)
{
	const struct xk_backend_ops *ops;
	int error;

	if ((ops = xk_backend_lookup(name)) == NULL) {
		return xk_backend_known(name) ? ENOTSUP : EINVAL;
	}
	if (ops->be_version != XK_BACKEND_OPS_VERSION) {
		return ENOTSUP;
	}
	memset(&engine_be, 0, sizeof(engine_be));
	engine_be.be_ops = ops;
	engine_be.be_base = base;
	engine_be.be_input = ip_input_batch;
	if ((error = ops->be_open(&engine_be)) != 0) {
		return error;
	}
	if ((error = xk_ip_frag_open(base)) != 0) {
		ops->be_close(&engine_be);
		return error;
	}
	engine_open = true;
	return 0;
}

void
xk_engine_close(void)
{
	if (!engine_open) {
		return;
	}
	/* What the backend accepted leaves first, or is counted. */
	xk_engine_drain("shutdown");
	engine_be.be_ops->be_stop(&engine_be);
	/* No input now: the reassembly queues and their timer can go. */
	xk_ip_frag_close();
	engine_be.be_ops->be_close(&engine_be);
	xk_core_lock();
	xk_if_detach_all_locked();
	xk_core_unlock();
	engine_open = false;
}

void
xk_engine_drain(const char *why)
{
	int64_t deadline;

	if (!engine_open || engine_be.be_ops->be_drain == NULL) {
		return;
	}
	deadline = g_get_monotonic_time() + XK_DRAIN_MS * 1000;
	engine_be.be_ops->be_drain(&engine_be, deadline, why);
}

int
xk_engine_attach(const char *name)
{
	struct __ifnet *ifp;

	if (name == NULL || *name == '\0' || strlen(name) >= IF_NAMESIZE) {
		return EINVAL;
	}
	if (!engine_open) {
		return ENXIO;
	}
	return engine_be.be_ops->be_attach(&engine_be, name, &ifp);
}

struct xk_backend *
xk_engine_backend(void)
{
	return engine_open ? &engine_be : NULL;
}

bool
xk_engine_virtual(void)
{
	return engine_open &&
	    (engine_be.be_ops->be_features & XK_BEF_VIRTUAL) != 0;
}

/* Counts a packet the input path refuses, and frees it. */
static void
ip_drop(struct __mbuf *m, uint64_t *counter)
{
	(*counter)++;
	xk_m_freem(m);
}

/* The last steps of both families: account and hand to the raw demux. */
static void
ip_deliver_prep(struct __mbuf *m, struct __ifnet *ifp)
{
	if (ifp != NULL) {
		ifp->if_ipackets++;
	}
	m->m_pkthdr.rcvif = ifp;
}

static void
ip4_input_locked(struct __mbuf *m, struct __ifnet *ifp)
{
	enum xk_ipdrop why;
	struct ip ip;
	size_t hlen;
	uint8_t proto;

	xk_ipstat.ips_total++;
	if ((why = xk_ip_check(m, &hlen)) != XK_IPDROP_NONE) {
		ip_drop(m, &xk_ipstat.ips_drop[why]);
		return;
	}
	xk_m_copydata(m, 0, sizeof(ip), &ip);
	proto = ip.ip_p;
	/* No forwarding: what is not for this host goes. */
	if (!xk_if_forus4_locked(ip.ip_dst)) {
		ip_drop(m, &xk_ipstat.ips_notforus);
		return;
	}
	/* A fragment waits for the rest; the whole packet goes on. */
	if (ntohs(ip.ip_off) & (IP_MF | IP_OFFMASK)) {
		if ((m = xk_ip_reass_locked(m, hlen, &hlen)) == NULL) {
			return;
		}
		xk_m_copydata(m, 0, sizeof(ip), &ip);
		proto = ip.ip_p;
	}
	/* BSD hands TCP and UDP to their own input, never to raw sockets. */
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		ip_drop(m, &xk_ipstat.ips_hostproto);
		return;
	}
	ip_deliver_prep(m, ifp);
	xk_rip_input_locked(m, hlen);
}

static void
ip6_input_locked(struct __mbuf *m, struct __ifnet *ifp)
{
	struct xk_ip6_hdrs h;
	struct ip6_hdr ip6;
	enum xk_ipdrop why;
	size_t off;
	uint8_t nxt;

	xk_ipstat.ip6s_total++;
	if ((why = xk_ip6_check_hdrs(m, &h)) != XK_IPDROP_NONE) {
		ip_drop(m, &xk_ipstat.ip6s_drop[why]);
		return;
	}
	xk_m_copydata(m, 0, sizeof(ip6), &ip6);
	if (!IN6_IS_ADDR_MULTICAST(&ip6.ip6_dst) &&
	    xk_if_withaddr_locked(AF_INET6, &ip6.ip6_dst) == NULL) {
		ip_drop(m, &xk_ipstat.ip6s_notforus);
		return;
	}
	if (h.ih_atomic) {
		xk_ipstat.ip6s_atomicfrags++;
	}
	if (h.ih_nxt == IPPROTO_FRAGMENT) {
		if ((m = xk_ip6_reass_locked(m, &h)) == NULL) {
			return;
		}
		/* The whole packet's headers; one level of fragments only. */
		if ((why = xk_ip6_check_hdrs(m, &h)) != XK_IPDROP_NONE ||
		    h.ih_nxt == IPPROTO_FRAGMENT) {
			ip_drop(m, &xk_ipstat.ip6s_drop[why != XK_IPDROP_NONE ?
			    why : XK_IPDROP_BADEXTHDR]);
			return;
		}
	}
	nxt = h.ih_nxt;
	off = h.ih_off;
	/* TCP and UDP are the host's, as for IPv4 (one counter for both). */
	if (nxt == IPPROTO_TCP || nxt == IPPROTO_UDP) {
		ip_drop(m, &xk_ipstat.ips_hostproto);
		return;
	}
	ip_deliver_prep(m, ifp);
	xk_rip6_input_locked(m, nxt, off);
}

static void
ip_input_batch(struct xk_backend *be, struct xk_be_pkt *pkts, unsigned int n)
{
	(void)be;
	xk_core_lock();
	for (unsigned int i = 0; i < n; i++) {
		struct __mbuf *m = pkts[i].bp_m;
		uint8_t vers = 0;

		pkts[i].bp_m = NULL;
		m->m_pkthdr.rcvts = (uint64_t)pkts[i].bp_ts.tv_sec *
		    1000000000u + (uint64_t)pkts[i].bp_ts.tv_nsec;
		if (pkts[i].bp_dir == XK_DIR_OUT) {
			/* The host's own packet leaving: not input. */
			ip_drop(m, &xk_ipstat.ips_outseen);
			continue;
		}
		(void)xk_m_copydata(m, 0, 1, &vers);
		switch (vers >> 4) {
		case 4:
			ip4_input_locked(m,
			    xk_if_byindex_locked(pkts[i].bp_ifindex));
			break;
		case 6:
			ip6_input_locked(m,
			    xk_if_byindex_locked(pkts[i].bp_ifindex));
			break;
		default:
			ip_drop(m, &xk_ipstat.ips_badfamily);
			break;
		}
	}
	xk_core_unlock();
}

struct __ifnet *
xk_ip_route_locked(int family, const void *dst)
{
	struct __ifnet *ifp;
	uint32_t index;

	if ((ifp = xk_if_route_locked(family, dst)) != NULL || !engine_open ||
	    engine_be.be_ops->be_route == NULL ||
	    engine_be.be_ops->be_route(&engine_be, family, dst, &index) != 0) {
		return ifp;
	}
	return xk_if_byindex_locked(index);
}

/*
 * Sends the fragments of one packet, a list linked by m_nextpkt, in
 * order; after a failure the rest are freed unsent and counted in
 * @odropped.  Consumes the list.
 */
static int if_send_locked(struct __ifnet *ifp, struct __mbuf *m);

static int
if_send_frags_locked(struct __ifnet *ifp, struct __mbuf *m,
    uint64_t *odropped)
{
	int error = 0;

	while (m != NULL) {
		struct __mbuf *next = m->m_nextpkt;

		m->m_nextpkt = NULL;
		if (error == 0) {
			error = if_send_locked(ifp, m);
		} else {
			(*odropped)++;
			xk_m_freem(m);
		}
		m = next;
	}
	return error;
}

/* Hands one packet to the backend out of @ifp; consumes it. */
static int
if_send_locked(struct __ifnet *ifp, struct __mbuf *m)
{
	struct xk_be_pkt pkt;
	unsigned int sent = 0;

	memset(&pkt, 0, sizeof(pkt));
	pkt.bp_m = m;
	pkt.bp_ifindex = ifp->if_index;
	pkt.bp_dir = XK_DIR_OUT;
	engine_be.be_ops->be_output(&engine_be, &pkt, 1, &sent);
	if (sent == 0) {
		ifp->if_oerrors++;
		xk_ipstat.ips_oerrors++;
		return pkt.bp_error != 0 ? pkt.bp_error : ENOBUFS;
	}
	if ((engine_be.be_ops->be_features & XK_BEF_OCOUNT) == 0) {
		ifp->if_opackets++;
	}
	return 0;
}

int
xk_ip_output_locked(struct __mbuf *m)
{
	const struct xk_ifaddr *ifa;
	struct __ifnet *ifp;
	struct ip ip;
	size_t len;
	int error;

	XK_LOCK_ASSERT();
	len = xk_m_length(m);
	xk_m_copydata(m, 0, sizeof(ip), &ip);
	if (!engine_open ||
	    (ifp = xk_ip_route_locked(AF_INET, &ip.ip_dst)) == NULL) {
		xk_ipstat.ips_noroute++;
		xk_m_freem(m);
		return EHOSTUNREACH;
	}
	if (ip.ip_src.s_addr == INADDR_ANY &&
	    (ifa = xk_if_firstaddr_locked(ifp, AF_INET)) != NULL) {
		ip.ip_src = ifa->ifa_addr.v4;
		(void)xk_m_copyback(m, 0, sizeof(ip), &ip);
	}
	if (len > ifp->if_mtu) {
		/* ip_len and ip_off are in network order here. */
		if ((error = xk_ip_fragment_locked(m, ifp->if_mtu, &m)) != 0) {
			return error;
		}
		error = if_send_frags_locked(ifp, m, &xk_ipstat.ips_odropped);
		if (error == 0) {
			xk_ipstat.ips_fragmented++;
			xk_ipstat.ips_localout++;
		}
		return error;
	}
	xk_ip_cksum_hdr(m);
	if ((error = if_send_locked(ifp, m)) == 0) {
		xk_ipstat.ips_localout++;
	}
	return error;
}

int
xk_ip6_output_locked(struct __mbuf *m, struct __ifnet *ifp)
{
	struct ip6_hdr ip6;
	int error;

	XK_LOCK_ASSERT();
	xk_m_copydata(m, 0, sizeof(ip6), &ip6);
	if (ifp == NULL && engine_open) {
		ifp = xk_ip_route_locked(AF_INET6, &ip6.ip6_dst);
	}
	if (ifp == NULL && IN6_IS_ADDR_MULTICAST(&ip6.ip6_dst)) {
		/* Multicast without a route: the first interface. */
		ifp = xk_if_first_locked();
	}
	if (!engine_open || ifp == NULL) {
		xk_ipstat.ip6s_noroute++;
		xk_m_freem(m);
		return EHOSTUNREACH;
	}
	if (xk_m_length(m) > ifp->if_mtu) {
		/* No IPV6_DONTFRAG here: XNU fragments raw output. */
		if ((error = xk_ip6_fragment_locked(m, ifp->if_mtu, &m)) != 0) {
			return error;
		}
		error = if_send_frags_locked(ifp, m, &xk_ipstat.ip6s_odropped);
		if (error == 0) {
			xk_ipstat.ip6s_fragmented++;
			xk_ipstat.ip6s_localout++;
		}
		return error;
	}
	if ((error = if_send_locked(ifp, m)) == 0) {
		xk_ipstat.ip6s_localout++;
	}
	return error;
}
