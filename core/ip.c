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
#include <net/if_arp.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <string.h>

#include <xkpi.h>

#include "backends/backend.h"
#include "core/fw_var.h"
#include "core/if_var.h"
#include "core/ipf_var.h"
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
static GHashTable *ip_mships;	/* struct xk_mship -> count */
static bool engine_intercepts;	/* the rule table runs (XK_BEF_INTERCEPT) */

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
	engine_intercepts = (ops->be_features & XK_BEF_INTERCEPT) != 0;
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
	/* Sockets are gone: no membership is left to count. */
	if (ip_mships != NULL) {
		g_hash_table_destroy(ip_mships);
		ip_mships = NULL;
	}
	xk_core_unlock();
	engine_open = false;
	engine_intercepts = false;
}

void
xk_engine_drain(const char *why)
{
	int64_t deadline;

	if (!engine_open || engine_be.be_ops->be_drain == NULL) {
		return;
	}
	/* Packets divert sockets took out of the path stay out of it. */
	xk_core_lock();
	xk_div_drop_held_locked();
	xk_core_unlock();
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
xk_engine_intercepts(void)
{
	return engine_open && engine_intercepts;
}

bool
xk_engine_virtual(void)
{
	return engine_open &&
	    (engine_be.be_ops->be_features & XK_BEF_VIRTUAL) != 0;
}

/*
 * A held packet leaves the engine's path: the backend's verdict.  With
 * @rewritten the bytes of @m replace the host's packet.  @m is the
 * caller's still (the verdict takes a copy of it); a verdict the backend
 * no longer expects is counted.
 */
static void
ip_verdict(struct __mbuf *m, enum xk_verdict v, bool rewritten)
{
	struct __mbuf *n = NULL;
	uint64_t hold = m->m_pkthdr.hold;
	int error;

	if (hold == 0 || !engine_open ||
	    engine_be.be_ops->be_verdict == NULL) {
		return;
	}
	m->m_pkthdr.hold = 0;
	if (v == XK_VERDICT_ACCEPT && rewritten &&
	    (n = xk_m_copym(m, 0, MBUF_COPYALL, &error)) == NULL) {
		/* No memory for the new bytes: the host's packet goes. */
		xk_ipstat.ips_verdictnomem++;
		v = XK_VERDICT_DROP;
	}
	if (engine_be.be_ops->be_verdict(&engine_be, hold, v, n) != 0) {
		xk_ipstat.ips_verdictlate++;
		xk_m_freem(n);
	}
}

void
xk_ip_verdict_hold_locked(uint64_t hold, bool accept)
{
	if (hold == 0 || !engine_open ||
	    engine_be.be_ops->be_verdict == NULL) {
		return;
	}
	if (engine_be.be_ops->be_verdict(&engine_be, hold, accept ?
	    XK_VERDICT_ACCEPT : XK_VERDICT_DROP, NULL) != 0) {
		xk_ipstat.ips_verdictlate++;
	}
}

void
xk_ip_verdict_locked(struct __mbuf *m, bool accept)
{
	ip_verdict(m, accept ? XK_VERDICT_ACCEPT : XK_VERDICT_DROP, true);
}

/*
 * Counts a packet the input path refuses, and frees it.  A held packet
 * the host gave us as it is goes on (the host judges its own traffic);
 * one a divert socket rewrote is dropped.
 */
static void
ip_drop(struct __mbuf *m, uint64_t *counter, const struct xk_ip_path *p)
{
	(*counter)++;
	if (m->m_pkthdr.hold != 0) {
		ip_verdict(m, p != NULL && p->ipp_rewritten ?
		    XK_VERDICT_DROP : XK_VERDICT_ACCEPT, false);
	}
	xk_m_freem(m);
}

/*
 * The input path is done with @m, which goes on to the raw demux or is
 * freed: a held packet goes back to the host (with its new bytes if a
 * divert socket rewrote it); a packet written inward on a divert socket
 * that answered no held packet is given to the host as received, where
 * the backend can do that.
 */
static void
ip_in_done(struct __mbuf *m, const struct xk_ip_path *p,
    struct __ifnet *ifp)
{
	struct __mbuf *n;
	int error;

	if (m->m_pkthdr.hold != 0) {
		ip_verdict(m, XK_VERDICT_ACCEPT, p->ipp_rewritten);
		return;
	}
	if (p->ipp_reinjected && engine_open &&
	    engine_be.be_ops->be_inject_in != NULL) {
		if ((n = xk_m_copym(m, 0, MBUF_COPYALL, &error)) == NULL) {
			xk_ipstat.ips_injectfail++;
			return;
		}
		if (engine_be.be_ops->be_inject_in(&engine_be, n,
		    ifp != NULL ? ifp->if_index : 0) != 0) {
			xk_ipstat.ips_injectfail++;
		}
	}
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

/* Whether @dst is a broadcast address of @ifp's (or the limited one). */
static bool
ip_is_bcast(struct in_addr dst, const struct __ifnet *ifp)
{
	if (dst.s_addr == INADDR_BROADCAST) {
		return true;
	}
	for (guint i = 0; ifp != NULL && i < ifp->if_addrs->len; i++) {
		const struct xk_ifaddr *ifa = &g_array_index(ifp->if_addrs,
		    struct xk_ifaddr, i);
		uint32_t mask;

		if (ifa->ifa_family != AF_INET || ifa->ifa_plen >= 31) {
			continue;
		}
		mask = ifa->ifa_plen == 0 ? 0 : htonl(~0u << (32 -
		    ifa->ifa_plen));
		if ((dst.s_addr & mask) == (ifa->ifa_addr.v4.s_addr & mask) &&
		    (dst.s_addr | mask) == 0xffffffffu) {
			return true;
		}
	}
	return false;
}

/*
 * Multicast memberships of the engine's sockets, counted per (family,
 * interface, group): the host's interface joins at the first and leaves
 * at the last.
 */
static guint
mship_hash(gconstpointer p)
{
	const struct xk_mship *ms = p;
	const uint8_t *b = (const uint8_t *)&ms->ms_group;
	guint h = 2166136261u ^ ms->ms_ifindex ^ (guint)ms->ms_family;

	for (size_t i = 0; i < sizeof(ms->ms_group); i++) {
		h = (h ^ b[i]) * 16777619u;
	}
	return h;
}

static gboolean
mship_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, sizeof(struct xk_mship)) == 0;
}

int
xk_ip_mship_change_locked(int family, const void *group, uint32_t ifindex,
    bool join)
{
	struct xk_mship key, *k;
	gpointer val;
	unsigned int n;
	int error = 0;

	memset(&key, 0, sizeof(key));
	key.ms_family = family;
	key.ms_ifindex = ifindex;
	memcpy(&key.ms_group, group, family == AF_INET ?
	    sizeof(struct in_addr) : sizeof(struct in6_addr));
	if (ip_mships == NULL) {
		ip_mships = g_hash_table_new_full(mship_hash, mship_equal,
		    g_free, NULL);
	}
	n = GPOINTER_TO_UINT(g_hash_table_lookup(ip_mships, &key));
	if (join && n == 0 && engine_open &&
	    engine_be.be_ops->be_mcast != NULL &&
	    (error = engine_be.be_ops->be_mcast(&engine_be, family, group,
	    ifindex, true)) != 0) {
		return error;
	}
	if (!join && n == 1 && engine_open &&
	    engine_be.be_ops->be_mcast != NULL) {
		(void)engine_be.be_ops->be_mcast(&engine_be, family, group,
		    ifindex, false);
	}
	n = join ? n + 1 : n - 1;
	if (n == 0) {
		g_hash_table_remove(ip_mships, &key);
	} else if (g_hash_table_lookup_extended(ip_mships, &key, NULL,
	    &val)) {
		g_hash_table_replace(ip_mships, g_memdup2(&key, sizeof(key)),
		    GUINT_TO_POINTER(n));
	} else {
		k = g_memdup2(&key, sizeof(key));
		g_hash_table_insert(ip_mships, k, GUINT_TO_POINTER(n));
	}
	return 0;
}

/*
 * The rule table over @m: XK_FW_PASS when the packet goes on, anything
 * else when the table took it (diverted, or denied and counted).  A tee
 * gives a copy to its port and goes on after the tee's rule.  IPv6
 * packets skip divert and tee rules (divert sockets are IPv4 only).
 */
static enum xk_fw_action
ip_fw(struct __mbuf *m, bool out, struct __ifnet *ifp,
    const struct xk_ip_path *p, bool v6)
{
	struct xk_fw_args a = { .fa_m = m, .fa_out = out, .fa_ifp = ifp,
	    .fa_after = p != NULL ? p->ipp_after : 0 };
	struct xk_fw_result r;
	struct __mbuf *n;
	int error;

	if (!engine_intercepts || !xk_fw_active_locked()) {
		return XK_FW_PASS;
	}
	for (;;) {
		switch (xk_fw_check_locked(&a, &r)) {
		case XK_FW_PASS:
			return XK_FW_PASS;
		case XK_FW_DENY:
			if (v6) {
				xk_ipstat.ip6s_fwdeny++;
			} else {
				xk_ipstat.ips_fwdeny++;
			}
			if (m->m_pkthdr.hold != 0) {
				ip_verdict(m, XK_VERDICT_DROP, false);
			}
			xk_m_freem(m);
			return XK_FW_DENY;
		case XK_FW_DIVERT:
			if (v6) {
				xk_ipstat.ip6s_fwdivskip++;
				break;
			}
			xk_div_packet_locked(m, !out, r.fr_port, r.fr_rule,
			    ifp);
			return XK_FW_DIVERT;
		case XK_FW_TEE:
			if (v6) {
				xk_ipstat.ip6s_fwdivskip++;
				break;
			}
			/* The socket gets a copy the host never hears of. */
			if ((n = xk_m_copym(m, 0, MBUF_COPYALL, &error)) ==
			    NULL) {
				xk_div_nomem_locked();
			} else {
				n->m_pkthdr.hold = 0;
				xk_div_packet_locked(n, !out, r.fr_port,
				    r.fr_rule, ifp);
			}
			break;
		}
		/* Tee, or a divert an IPv6 packet skips: the next rule. */
		a.fa_after = r.fr_rule;
	}
}

static const struct xk_ip_path ip_path_start;

/*
 * The IP filters' input side over *@mp, run without the core lock (it is
 * dropped and taken again): true when the packet goes on.  A packet a
 * filter took stays held, if it was, until it is injected or the
 * backend's bound runs out; one a filter refused is freed (and dropped by
 * the host).  *@ifpp becomes NULL when the interface went meanwhile.
 */
static bool
ip_ipf_in(struct __mbuf **mp, struct __ifnet **ifpp,
    const struct xk_ip_path *p, int family, size_t off, uint8_t proto)
{
	struct __ifnet *ifp = *ifpp;
	int r;

	(*mp)->m_pkthdr.rcvif = ifp;
	if (ifp != NULL) {
		xk_if_ref(ifp);
	}
	xk_core_unlock();
	r = xk_ipf_input(family, mp, (int)off, proto, p->ipp_ipf_after);
	xk_core_lock();
	if (ifp != NULL) {
		if (atomic_load(&ifp->if_detached)) {
			*ifpp = NULL;
		}
		xk_if_unref(ifp);
	}
	if (r == 0) {
		(*mp)->m_pkthdr.rcvif = *ifpp;
		return true;
	}
	if (r == EJUSTRETURN) {
		atomic_fetch_add(&xk_ipfstat.in_taken, 1);
		return false;
	}
	atomic_fetch_add(&xk_ipfstat.in_dropped, 1);
	if (*mp != NULL) {
		if ((*mp)->m_pkthdr.hold != 0) {
			ip_verdict(*mp, XK_VERDICT_DROP, false);
		}
		xk_m_freem(*mp);
	}
	return false;
}

/* The same on output; 0 and true when the packet goes on. */
static bool
ip_ipf_out(struct __mbuf **mp, const struct xk_ip_path *p, int family)
{
	int r;

	xk_core_unlock();
	r = xk_ipf_output(family, mp, p->ipp_ipf_after);
	xk_core_lock();
	if (r == 0) {
		return true;
	}
	if (r == EJUSTRETURN) {
		atomic_fetch_add(&xk_ipfstat.out_taken, 1);
		return false;
	}
	atomic_fetch_add(&xk_ipfstat.out_dropped, 1);
	if (*mp != NULL) {
		if ((*mp)->m_pkthdr.hold != 0) {
			ip_verdict(*mp, XK_VERDICT_DROP, false);
		}
		xk_m_freem(*mp);
	}
	return false;
}

/*
 * After the filters: the IPv4 header again (a filter may have changed
 * it), or false when it is no header any more (the packet is dropped).
 */
static bool
ip4_reread(struct __mbuf *m, struct ip *ip, size_t *hlenp,
    const struct xk_ip_path *p)
{
	size_t len = xk_m_length(m);

	if (len < sizeof(*ip)) {
		ip_drop(m, &xk_ipstat.ips_drop[XK_IPDROP_TOOSMALL], p);
		return false;
	}
	xk_m_copydata(m, 0, sizeof(*ip), ip);
	*hlenp = (size_t)ip->ip_hl << 2;
	if (ip->ip_v != IPVERSION || *hlenp < sizeof(*ip) || *hlenp > len) {
		ip_drop(m, &xk_ipstat.ips_drop[XK_IPDROP_BADHLEN], p);
		return false;
	}
	return true;
}

/*
 * The IPv6 filters, once per header after the hop-by-hop options, as
 * XNU's ip6_input calls them: routing, destination options and AH
 * headers with their offset and type, then the upper-layer header.
 */
static bool
ip6_ipf_in(struct __mbuf **mp, struct __ifnet **ifpp,
    const struct xk_ip_path *p)
{
	size_t off = sizeof(struct ip6_hdr), len;
	uint8_t nxt, eh[2];

	xk_m_copydata(*mp, 6, 1, &nxt);
	for (int hops = 0; hops < 64; hops++) {
		len = xk_m_length(*mp);
		if (nxt == IPPROTO_HOPOPTS && hops == 0) {
			if (off + 2 > len) {
				return true;
			}
			xk_m_copydata(*mp, off, 2, eh);
			nxt = eh[0];
			off += ((size_t)eh[1] + 1) * 8;
			continue;
		}
		if (!ip_ipf_in(mp, ifpp, p, AF_INET6, off, nxt)) {
			return false;
		}
		len = xk_m_length(*mp);
		if ((nxt != IPPROTO_ROUTING && nxt != IPPROTO_DSTOPTS &&
		    nxt != IPPROTO_AH) || off + 2 > len) {
			return true;
		}
		xk_m_copydata(*mp, off, 2, eh);
		off += nxt == IPPROTO_AH ? ((size_t)eh[1] + 2) * 4 :
		    ((size_t)eh[1] + 1) * 8;
		nxt = eh[0];
	}
	return true;
}

static void
ip4_input_locked(struct __mbuf *m, struct __ifnet *ifp,
    const struct xk_ip_path *p)
{
	enum xk_ipdrop why;
	struct ip ip;
	size_t hlen;
	uint8_t proto;

	xk_ipstat.ips_total++;
	if ((why = xk_ip_check(m, &hlen)) != XK_IPDROP_NONE) {
		ip_drop(m, &xk_ipstat.ips_drop[why], p);
		return;
	}
	xk_m_copydata(m, 0, sizeof(ip), &ip);
	proto = ip.ip_p;
	/*
	 * A fragment waits for the rest; the whole packet goes on.  A
	 * fragment the host holds goes back to it at once, unseen (the
	 * host reassembles before its queue when conntrack is loaded).
	 */
	if (ntohs(ip.ip_off) & (IP_MF | IP_OFFMASK)) {
		if (m->m_pkthdr.hold != 0) {
			ip_drop(m, &xk_ipstat.ips_heldfrag, p);
			return;
		}
		if ((m = xk_ip_reass_locked(m, hlen, &hlen)) == NULL) {
			return;
		}
		xk_m_copydata(m, 0, sizeof(ip), &ip);
		proto = ip.ip_p;
	}
	/* A filter's injection resumes at the filters, as XNU's. */
	if (p->ipp_ipf_after == NULL) {
		if (ip_fw(m, false, ifp, p, false) != XK_FW_PASS) {
			return;
		}
		/* No forwarding: what is not for this host goes (to it). */
		if (!xk_if_forus4_locked(ip.ip_dst)) {
			ip_in_done(m, p, ifp);
			ip_drop(m, &xk_ipstat.ips_notforus, p);
			return;
		}
	}
	if (xk_ipf_active(AF_INET)) {
		if (!ip_ipf_in(&m, &ifp, p, AF_INET, hlen, proto) ||
		    !ip4_reread(m, &ip, &hlen, p)) {
			return;
		}
		proto = ip.ip_p;
	}
	ip_in_done(m, p, ifp);
	/* BSD hands TCP and UDP to their own input, never to raw sockets. */
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		ip_drop(m, &xk_ipstat.ips_hostproto, p);
		return;
	}
	if (IN_MULTICAST(ntohl(ip.ip_dst.s_addr))) {
		m->m_flags |= MBUF_MCAST;
	} else if (ip_is_bcast(ip.ip_dst, ifp)) {
		m->m_flags |= MBUF_BCAST;
	}
	ip_deliver_prep(m, ifp);
	xk_rip_input_locked(m, hlen);
}

static void
ip6_input_locked(struct __mbuf *m, struct __ifnet *ifp,
    const struct xk_ip_path *p)
{
	struct xk_ip6_hdrs h;
	struct ip6_hdr ip6;
	enum xk_ipdrop why;
	size_t off;
	uint8_t nxt;

	xk_ipstat.ip6s_total++;
	if ((why = xk_ip6_check_hdrs(m, &h)) != XK_IPDROP_NONE) {
		ip_drop(m, &xk_ipstat.ip6s_drop[why], p);
		return;
	}
	xk_m_copydata(m, 0, sizeof(ip6), &ip6);
	if (h.ih_atomic) {
		xk_ipstat.ip6s_atomicfrags++;
	}
	if (h.ih_nxt == IPPROTO_FRAGMENT) {
		if (m->m_pkthdr.hold != 0) {
			ip_drop(m, &xk_ipstat.ip6s_heldfrag, p);
			return;
		}
		if ((m = xk_ip6_reass_locked(m, &h)) == NULL) {
			return;
		}
		/* The whole packet's headers; one level of fragments only. */
		if ((why = xk_ip6_check_hdrs(m, &h)) != XK_IPDROP_NONE ||
		    h.ih_nxt == IPPROTO_FRAGMENT) {
			ip_drop(m, &xk_ipstat.ip6s_drop[why != XK_IPDROP_NONE ?
			    why : XK_IPDROP_BADEXTHDR], p);
			return;
		}
	}
	if (p->ipp_ipf_after == NULL) {
		if (ip_fw(m, false, ifp, p, true) != XK_FW_PASS) {
			return;
		}
		if (!IN6_IS_ADDR_MULTICAST(&ip6.ip6_dst) &&
		    xk_if_withaddr_locked(AF_INET6, &ip6.ip6_dst) == NULL) {
			ip_in_done(m, p, ifp);
			ip_drop(m, &xk_ipstat.ip6s_notforus, p);
			return;
		}
	}
	if (xk_ipf_active(AF_INET6)) {
		if (!ip6_ipf_in(&m, &ifp, p)) {
			return;
		}
		/* The headers again: a filter may have changed them. */
		if ((why = xk_ip6_check_hdrs(m, &h)) != XK_IPDROP_NONE ||
		    h.ih_nxt == IPPROTO_FRAGMENT) {
			ip_drop(m, &xk_ipstat.ip6s_drop[why != XK_IPDROP_NONE ?
			    why : XK_IPDROP_BADEXTHDR], p);
			return;
		}
	}
	if (xk_send_input_locked(m, ifp, &h)) {
		return;
	}
	ip_in_done(m, p, ifp);
	nxt = h.ih_nxt;
	off = h.ih_off;
	/* TCP and UDP are the host's, as for IPv4 (one counter for both). */
	if (nxt == IPPROTO_TCP || nxt == IPPROTO_UDP) {
		ip_drop(m, &xk_ipstat.ips_hostproto, p);
		return;
	}
	if (IN6_IS_ADDR_MULTICAST(&ip6.ip6_dst)) {
		m->m_flags |= MBUF_MCAST;
	}
	ip_deliver_prep(m, ifp);
	xk_rip6_input_locked(m, nxt, off);
}

/*
 * A packet the host is sending, held by an intercepting backend: the
 * rule table's output side, then back to the host.
 */
static void
ip_out_held_locked(struct __mbuf *m, struct __ifnet *ifp,
    const struct xk_ip_path *p)
{
	uint8_t vers = 0;

	(void)xk_m_copydata(m, 0, 1, &vers);
	xk_ipstat.ips_outseen++;
	if ((vers >> 4) == 4 || (vers >> 4) == 6) {
		int family = (vers >> 4) == 4 ? AF_INET : AF_INET6;
		uint32_t index = ifp != NULL ? ifp->if_index : 0;

		if (xk_ipf_active(family)) {
			if (!ip_ipf_out(&m, p, family)) {
				return;
			}
			ifp = index != 0 ? xk_if_byindex_locked(index) : NULL;
		}
		if (ip_fw(m, true, ifp, p, family == AF_INET6) !=
		    XK_FW_PASS) {
			return;
		}
	}
	if ((vers >> 4) == 6 && xk_send_held_out_locked(m, ifp)) {
		return;
	}
	ip_verdict(m, XK_VERDICT_ACCEPT, p->ipp_rewritten);
	xk_m_freem(m);
}

void
xk_ip_input_path_locked(struct __mbuf *m, struct __ifnet *ifp,
    const struct xk_ip_path *p)
{
	uint8_t vers = 0;

	XK_LOCK_ASSERT();
	(void)xk_m_copydata(m, 0, 1, &vers);
	switch (vers >> 4) {
	case 4:
		ip4_input_locked(m, ifp, p);
		break;
	case 6:
		ip6_input_locked(m, ifp, p);
		break;
	default:
		ip_drop(m, &xk_ipstat.ips_badfamily, p);
		break;
	}
}

void
xk_ip_out_held_path_locked(struct __mbuf *m, struct __ifnet *ifp,
    const struct xk_ip_path *p)
{
	XK_LOCK_ASSERT();
	ip_out_held_locked(m, ifp, p);
}

static void
ip_input_batch(struct xk_backend *be, struct xk_be_pkt *pkts, unsigned int n)
{
	(void)be;
	xk_core_lock();
	for (unsigned int i = 0; i < n; i++) {
		struct __mbuf *m = pkts[i].bp_m;
		struct __ifnet *ifp;

		pkts[i].bp_m = NULL;
		m->m_pkthdr.rcvts = (uint64_t)pkts[i].bp_ts.tv_sec *
		    1000000000u + (uint64_t)pkts[i].bp_ts.tv_nsec;
		m->m_pkthdr.hold = pkts[i].bp_hold;
		ifp = xk_if_byindex_locked(pkts[i].bp_ifindex);
		if (pkts[i].bp_dir == XK_DIR_OUT) {
			if (m->m_pkthdr.hold != 0) {
				ip_out_held_locked(m, ifp, &ip_path_start);
				continue;
			}
			/* The host's own packet leaving: not input. */
			ip_drop(m, &xk_ipstat.ips_outseen, NULL);
			continue;
		}
		xk_ip_input_path_locked(m, ifp, &ip_path_start);
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

/*
 * if_send_locked for a packet in the caller's memory (be_output_direct):
 * counted the same way, in @localout and @direct when it left.
 */
static int
if_send_direct_locked(struct __ifnet *ifp, const void *hdr, size_t hlen,
    const struct iovec *iov, int iovcnt, size_t paylen, uint64_t *localout,
    uint64_t *direct)
{
	const struct xk_backend_ops *ops = engine_be.be_ops;
	int error;

	error = ops->be_output_direct(&engine_be, ifp->if_index, hdr, hlen,
	    iov, iovcnt, paylen);
	switch (error) {
	case 0:
		if ((ops->be_features & XK_BEF_OCOUNT) == 0) {
			ifp->if_opackets++;
		}
		(*localout)++;
		(*direct)++;
		return 0;
	case EAGAIN:
		return XK_SEND_SLOW;
	default:
		ifp->if_oerrors++;
		xk_ipstat.ips_oerrors++;
		return error;
	}
}

int
xk_ip_output_locked(struct __mbuf *m)
{
	return xk_ip_output_path_locked(m, &ip_path_start);
}

/* The rule table's word on output: 0 to send, else what the caller gets. */
static int
ip_fw_out(struct __mbuf *m, struct __ifnet *ifp, const struct xk_ip_path *p,
    bool v6, bool *taken)
{
	*taken = true;
	switch (ip_fw(m, true, ifp, p, v6)) {
	case XK_FW_PASS:
		*taken = false;
		return 0;
	case XK_FW_DENY:
		/* FreeBSD's ip_output says EACCES for a firewall's deny. */
		return EACCES;
	default:
		return 0;
	}
}

int
xk_ip_output_path_locked(struct __mbuf *m, const struct xk_ip_path *p)
{
	const struct xk_ifaddr *ifa;
	bool taken;
	struct __ifnet *ifp;
	struct ip ip;
	size_t len;
	int error;

	XK_LOCK_ASSERT();
	xk_m_copydata(m, 0, sizeof(ip), &ip);
	if (!engine_open || ((ifp = p->ipp_ifp) == NULL &&
	    (ifp = xk_ip_route_locked(AF_INET, &ip.ip_dst)) == NULL)) {
		xk_ipstat.ips_noroute++;
		xk_m_freem(m);
		return EHOSTUNREACH;
	}
	if (ip.ip_src.s_addr == INADDR_ANY &&
	    (ifa = xk_if_firstaddr_locked(ifp, AF_INET)) != NULL) {
		ip.ip_src = ifa->ifa_addr.v4;
		(void)xk_m_copyback(m, 0, sizeof(ip), &ip);
	}
	if (xk_ipf_active(AF_INET)) {
		uint32_t index = ifp->if_index;

		if (!ip_ipf_out(&m, p, AF_INET)) {
			return 0;
		}
		if ((ifp = xk_if_byindex_locked(index)) == NULL ||
		    xk_m_length(m) < sizeof(ip)) {
			xk_ipstat.ips_noroute++;
			xk_m_freem(m);
			return EHOSTUNREACH;
		}
	}
	if ((error = ip_fw_out(m, ifp, p, false, &taken)) != 0 || taken) {
		return error;
	}
	len = xk_m_length(m);
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

bool
xk_ip_direct_ok_locked(int family)
{
	/*
	 * What the output path would do to a packet besides sending it
	 * needs an mbuf: filters, the rule table, a SeND daemon's look at
	 * ND output.
	 */
	return engine_open && engine_be.be_ops->be_output_direct != NULL &&
	    !xk_ipf_active(family) &&
	    !(engine_intercepts && xk_fw_active_locked()) &&
	    (family != AF_INET6 || !xk_send_active_locked());
}

int
xk_ip_output_direct_locked(void *hdr, size_t hlen, const struct iovec *iov,
    int iovcnt, size_t paylen)
{
	const struct xk_ifaddr *ifa;
	struct __ifnet *ifp;
	struct ip *ip = hdr;

	XK_LOCK_ASSERT();
	if (!xk_ip_direct_ok_locked(AF_INET) ||
	    IN_MULTICAST(ntohl(ip->ip_dst.s_addr)) ||
	    (ifp = xk_ip_route_locked(AF_INET, &ip->ip_dst)) == NULL ||
	    hlen + paylen > ifp->if_mtu) {
		return XK_SEND_SLOW;
	}
	if (ip->ip_src.s_addr == INADDR_ANY &&
	    (ifa = xk_if_firstaddr_locked(ifp, AF_INET)) != NULL) {
		ip->ip_src = ifa->ifa_addr.v4;
	}
	ip->ip_sum = 0;
	ip->ip_sum = xk_in_cksum_buf(ip, hlen);
	return if_send_direct_locked(ifp, hdr, hlen, iov, iovcnt, paylen,
	    &xk_ipstat.ips_localout, &xk_ipstat.ips_direct);
}

int
xk_ip6_output_direct_locked(const struct ip6_hdr *ip6, struct __ifnet *ifp,
    const struct iovec *iov, int iovcnt, size_t paylen)
{
	XK_LOCK_ASSERT();
	if (!xk_ip_direct_ok_locked(AF_INET6) ||
	    IN6_IS_ADDR_MULTICAST(&ip6->ip6_dst) ||
	    sizeof(*ip6) + paylen > ifp->if_mtu) {
		return XK_SEND_SLOW;
	}
	return if_send_direct_locked(ifp, ip6, sizeof(*ip6), iov, iovcnt,
	    paylen, &xk_ipstat.ip6s_localout, &xk_ipstat.ip6s_direct);
}

int
xk_ip6_output_locked(struct __mbuf *m, struct __ifnet *ifp)
{
	return xk_ip6_output_path_locked(m, ifp, &ip_path_start);
}

int
xk_ip6_output_path_locked(struct __mbuf *m, struct __ifnet *ifp,
    const struct xk_ip_path *p)
{
	struct ip6_hdr ip6;
	bool taken;
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
	if (xk_ipf_active(AF_INET6)) {
		uint32_t index = ifp->if_index;

		if (!ip_ipf_out(&m, p, AF_INET6)) {
			return 0;
		}
		if ((ifp = xk_if_byindex_locked(index)) == NULL) {
			xk_ipstat.ip6s_noroute++;
			xk_m_freem(m);
			return EHOSTUNREACH;
		}
	}
	if ((error = ip_fw_out(m, ifp, p, true, &taken)) != 0 || taken) {
		return error;
	}
	if (xk_send_output_locked(m, ifp)) {
		return 0;
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

/* Whether @ifp is attached now (compared, never read: it may be gone). */
static void
if_is(struct __ifnet *ifp, void *ctx)
{
	struct __ifnet **want = ctx;

	if (ifp == *want) {
		*want = NULL;
	}
}

static bool
ip_if_attached_locked(struct __ifnet *ifp)
{
	struct __ifnet *want = ifp;

	xk_if_foreach_locked(if_is, &want);
	return want == NULL;
}

static void
if_loopback(struct __ifnet *ifp, void *ctx)
{
	struct __ifnet **found = ctx;

	if (*found == NULL && ifp->if_host && ifp->if_type == ARPHRD_LOOPBACK) {
		*found = ifp;
	}
}

void
xk_ip_inject_input(struct __mbuf *m, ipfilter_t after)
{
	struct xk_ip_path path = { .ipp_ipf_after = after };
	struct __ifnet *ifp;
	uint8_t vers = 0;

	xk_core_lock();
	ifp = m->m_pkthdr.rcvif;
	if (ifp != NULL && !ip_if_attached_locked(ifp)) {
		ifp = NULL;
	}
	(void)xk_m_copydata(m, 0, 1, &vers);
	if (ifp == NULL && after == NULL) {
		/* XNU: from lo0, with a header checksum made anew. */
		xk_if_foreach_locked(if_loopback, &ifp);
		if ((vers >> 4) == 4 && xk_m_length(m) >= sizeof(struct ip)) {
			xk_ip_cksum_hdr(m);
		}
	}
	path.ipp_rewritten = m->m_pkthdr.hold != 0;
	path.ipp_reinjected = m->m_pkthdr.hold == 0;
	xk_ip_input_path_locked(m, ifp, &path);
	xk_core_unlock();
}

int
xk_ip_inject_output(struct __mbuf *m, ipfilter_t after,
    const struct ipf_pktopts *opts)
{
	struct xk_ip_path path = { .ipp_ipf_after = after };
	bool mcast = false;
	uint8_t hdr[40];
	size_t len;
	int error;

	len = xk_m_length(m);
	(void)xk_m_copydata(m, 0, 1, hdr);
	if (len < ((hdr[0] >> 4) == 4 ? sizeof(struct ip) :
	    sizeof(struct ip6_hdr))) {
		xk_m_freem(m);
		return EINVAL;
	}
	xk_core_lock();
	if (m->m_pkthdr.hold != 0) {
		/* It answers the held packet: the host's verdict. */
		path.ipp_rewritten = true;
		ip_out_held_locked(m, NULL, &path);
		xk_core_unlock();
		return 0;
	}
	if ((hdr[0] >> 4) == 4) {
		struct ip ip;

		xk_m_copydata(m, 0, sizeof(ip), &ip);
		mcast = IN_MULTICAST(ntohl(ip.ip_dst.s_addr));
		if (mcast && opts != NULL &&
		    (opts->ippo_flags & IPPOF_MCAST_OPTS)) {
			ip.ip_ttl = opts->ippo_mcast_ttl;
			(void)xk_m_copyback(m, 0, sizeof(ip), &ip);
			if (opts->ippo_mcast_ifnet != NULL &&
			    ip_if_attached_locked(opts->ippo_mcast_ifnet)) {
				path.ipp_ifp = opts->ippo_mcast_ifnet;
			}
		}
		if (path.ipp_ifp == NULL &&
		    xk_ip_route_locked(AF_INET, &ip.ip_dst) == NULL) {
			xk_ipstat.ips_noroute++;
			xk_core_unlock();
			xk_m_freem(m);
			return ENETUNREACH;
		}
		error = xk_ip_output_path_locked(m, &path);
	} else {
		struct ip6_hdr ip6;
		struct __ifnet *ifp = NULL;

		xk_m_copydata(m, 0, sizeof(ip6), &ip6);
		mcast = IN6_IS_ADDR_MULTICAST(&ip6.ip6_dst);
		if (mcast && opts != NULL &&
		    (opts->ippo_flags & IPPOF_MCAST_OPTS)) {
			ip6.ip6_hlim = opts->ippo_mcast_ttl;
			(void)xk_m_copyback(m, 0, sizeof(ip6), &ip6);
			if (opts->ippo_mcast_ifnet != NULL &&
			    ip_if_attached_locked(opts->ippo_mcast_ifnet)) {
				ifp = opts->ippo_mcast_ifnet;
			}
		}
		if (ifp == NULL && !mcast &&
		    xk_ip_route_locked(AF_INET6, &ip6.ip6_dst) == NULL) {
			xk_ipstat.ip6s_noroute++;
			xk_core_unlock();
			xk_m_freem(m);
			return ENETUNREACH;
		}
		error = xk_ip6_output_path_locked(m, ifp, &path);
	}
	xk_core_unlock();
	return error;
}
