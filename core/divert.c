/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Divert sockets, divert(4) as FreeBSD and XNU (up to 10.15) have them
 * (spec section 6): a rule of the table gives an IPv4 packet to the
 * socket bound to its divert port, with the rule's number as cookie; the
 * daemon writes it back, out or in, and the table resumes after the
 * cookie's rule.
 *
 * On a backend that holds the host's packets (nfqueue) a diverted packet
 * stays held while the daemon has it.  The packet written back answers
 * it: the same mbuf (sock_receivembuf, then sock_sendmbuf) by its hold
 * id, other bytes by direction, cookie, IP identification and protocol,
 * the oldest first.  The answer becomes the held packet's verdict, so the
 * host's packet keeps its hook, interface and connection state.  A
 * packet that answers nothing is new: sent out, or given to the host as
 * received.  Held packets nobody answers are the backend's to drop after
 * its bound; the table here (core/held.c) forgets them after
 * XK_DIV_FORGET_MS, or when DIV_HELD_MAX newer ones are held.
 */
#include "core/xk.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <string.h>

#include <netinet/ip_divert.h>
#include <xkpi.h>

#include "backends/backend.h"
#include "core/held.h"
#include "core/if_var.h"
#include "core/ip_var.h"
#include "core/socket_var.h"

/* FreeBSD's ephemeral range, which XNU shares. */
#define DIV_PORT_FIRST		49152
#define DIV_PORT_LAST		65535
/* A held packet still unanswered after this is forgotten here. */
#define XK_DIV_FORGET_MS	(4 * XK_HOLD_MS_DEFAULT)
/*
 * Held packets remembered at most: four times the length of a netfilter
 * queue by default (1024), and more than a divert socket's default
 * receive buffer (DIVRCVQ) holds of the smallest packets (1823).  Past
 * it the oldest is forgotten, counted in `forgotten`.
 */
#define DIV_HELD_MAX		4096

struct div_pcb {
	struct __socket	*dp_so;
	uint16_t	 dp_port;	/* host order; 0: not bound */
	uint8_t		 dp_optlen;	/* IP_OPTIONS set (length) */
	uint8_t		 dp_opts[MAX_IPOPTLEN];
};

struct xk_div_stats {
	uint64_t	in;		/* incoming packets given to a socket */
	uint64_t	out;		/* outgoing packets given to a socket */
	uint64_t	noport;		/* no socket on the divert port */
	uint64_t	full;		/* the socket's buffer was full */
	uint64_t	nomem;		/* no mbuf for a tee copy */
	uint64_t	wrote_out;	/* written back outward */
	uint64_t	wrote_in;	/* written back inward */
	uint64_t	answered;	/* written back as a held packet's verdict */
	uint64_t	forgotten;	/* held, never answered, forgotten here */
	uint64_t	dropped_at_end;	/* held by a socket at shutdown/exit */
};

static struct xk_div_stats div_stats;
static GHashTable *div_ports;		/* port (host order) -> div_pcb */
/*
 * The held packets divert sockets have, waiting for their answers: hold
 * id, key (div_key: direction, cookie, ip_id, protocol) and the index of
 * the interface each was held on.  Made at the first.
 */
static struct xk_held *div_held;

static struct div_pcb *
sotodiv(struct __socket *so)
{
	return so->so_pcb;
}

static uint64_t
div_key(bool incoming, uint16_t cookie, const struct ip *ip)
{
	return (uint64_t)incoming << 48 | (uint64_t)cookie << 32 |
	    (uint64_t)ntohs(ip->ip_id) << 8 | ip->ip_p;
}

/* Forgets held packets too old to be answered still. */
static void
div_held_expire(int64_t now)
{
	div_stats.forgotten += xk_held_expire(div_held,
	    now - (int64_t)XK_DIV_FORGET_MS * 1000);
}

static void
div_held_remember(uint64_t hold, uint64_t key, uint32_t ifindex)
{
	int64_t now = g_get_monotonic_time();

	if (div_held == NULL && xk_held_create(sizeof(key), DIV_HELD_MAX, 0,
	    &div_held) != 0) {
		/* No memory: the backend's bound drops it. */
		return;
	}
	div_held_expire(now);
	/* Diverted again: the first stays. */
	div_stats.forgotten += xk_held_remember(div_held, hold, &key, ifindex,
	    now);
}

/*
 * The held packet a written packet answers: its own hold id when it
 * carries one this table knows, else the oldest with the same key.
 * 0 when none; the answer is forgotten here.
 */
static uint64_t
div_held_answer(uint64_t hold, uint64_t key, uint32_t *ifindexp)
{
	if (div_held == NULL || xk_held_count(div_held) == 0) {
		return 0;
	}
	div_held_expire(g_get_monotonic_time());
	return xk_held_answer(div_held, hold, &key, ifindexp);
}

void
xk_div_reset(void)
{
	xk_core_lock();
	xk_held_destroy(div_held);
	div_held = NULL;
	memset(&div_stats, 0, sizeof(div_stats));
	xk_core_unlock();
}

/*
 * The process is ending: what divert sockets took out of the path is the
 * daemon's, and the daemon is gone, so the held packets they have are
 * dropped (not let through by the backend's release of the rest).
 */
static void
div_drop_one(void *ctx, uint64_t hold, uint32_t ifindex)
{
	(void)ctx;
	(void)ifindex;
	xk_ip_verdict_hold_locked(hold, false);
	div_stats.dropped_at_end++;
}

void
xk_div_drop_held_locked(void)
{
	if (div_held != NULL) {
		(void)xk_held_clear(div_held, div_drop_one, NULL);
	}
}

void
xk_div_nomem_locked(void)
{
	div_stats.nomem++;
}

void
xk_div_stats_rows_locked(void (*row)(void *ctx, const char *name,
    uint64_t value), void *ctx)
{
	row(ctx, "div.in", div_stats.in);
	row(ctx, "div.out", div_stats.out);
	row(ctx, "div.noport", div_stats.noport);
	row(ctx, "div.full", div_stats.full);
	row(ctx, "div.nomem", div_stats.nomem);
	row(ctx, "div.wrote_out", div_stats.wrote_out);
	row(ctx, "div.wrote_in", div_stats.wrote_in);
	row(ctx, "div.answered", div_stats.answered);
	row(ctx, "div.forgotten", div_stats.forgotten);
	row(ctx, "div.dropped_at_end", div_stats.dropped_at_end);
}

/*
 * divert_packet: the source address says where the packet was and how
 * to put it back: the cookie raw in sin_port, the receiving interface's
 * first IPv4 address (incoming only) and its name in sin_zero.
 */
void
xk_div_packet_locked(struct __mbuf *m, bool incoming, uint16_t port,
    uint16_t rule, struct __ifnet *ifp)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	const struct xk_ifaddr *ifa;
	struct div_pcb *dp;
	uint64_t hold;
	struct ip ip;
	int error;

	XK_LOCK_ASSERT();
	dp = div_ports != NULL ? g_hash_table_lookup(div_ports,
	    GUINT_TO_POINTER(ntohs(port))) : NULL;
	if (dp == NULL || (dp->dp_so->so_flags & (SOF_CLOSING | SOF_CLOSED))) {
		/* FreeBSD counts ips_noproto; the packet is gone. */
		div_stats.noport++;
		xk_ip_verdict_locked(m, false);
		xk_m_freem(m);
		return;
	}
	sin.sin_port = rule;		/* raw, as FreeBSD stores it */
	/* Only a received packet has an interface to name, as in BSD. */
	if (incoming && ifp != NULL) {
		if ((ifa = xk_if_firstaddr_locked(ifp, AF_INET)) != NULL) {
			sin.sin_addr = ifa->ifa_addr.v4;
		}
		/* The name, cut to fit sin_zero with its NUL. */
		memcpy(sin.sin_zero, ifp->if_name, strnlen(ifp->if_name,
		    sizeof(sin.sin_zero) - 1));
	}
	xk_m_copydata(m, 0, sizeof(ip), &ip);
	hold = m->m_pkthdr.hold;
	m->m_pkthdr.rcvif = incoming ? ifp : NULL;
	error = xk_sbappendaddr_locked(&dp->dp_so->so_rcv,
	    (const struct sockaddr *)&sin, sizeof(sin), m, NULL, 0);
	if (error != 0) {
		div_stats.full++;
		xk_ip_verdict_locked(m, false);
		xk_m_freem(m);
		return;
	}
	if (hold != 0) {
		div_held_remember(hold, div_key(incoming, rule, &ip),
		    ifp != NULL ? ifp->if_index : 0);
	}
	if (incoming) {
		div_stats.in++;
	} else {
		div_stats.out++;
	}
	xk_sorwakeup_locked(dp->dp_so);
}

static int
div_attach(struct __socket *so)
{
	struct div_pcb *dp;

	if (!(so->so_state & SS_PRIV)) {
		return EPERM;
	}
	/* Divert takes packets out of the path: copies will not do. */
	if (!xk_engine_intercepts()) {
		return EPROTONOSUPPORT;
	}
	if ((dp = g_try_new0(struct div_pcb, 1)) == NULL) {
		return ENOMEM;
	}
	dp->dp_so = so;
	so->so_pcb = dp;
	/* Always connected: send() needs no address. */
	so->so_state |= SS_ISCONNECTED;
	return 0;
}

static void
div_unbind_locked(struct div_pcb *dp)
{
	if (dp->dp_port != 0) {
		g_hash_table_remove(div_ports, GUINT_TO_POINTER(dp->dp_port));
		dp->dp_port = 0;
		if (g_hash_table_size(div_ports) == 0) {
			g_hash_table_destroy(div_ports);
			div_ports = NULL;
		}
	}
}

static bool
div_detach(struct __socket *so)
{
	struct div_pcb *dp;

	xk_core_lock();
	if ((dp = sotodiv(so)) != NULL) {
		div_unbind_locked(dp);
		so->so_pcb = NULL;
		g_free(dp);
	}
	xk_core_unlock();
	return true;
}

static bool
div_port_used(uint16_t port)
{
	return div_ports != NULL && g_hash_table_contains(div_ports,
	    GUINT_TO_POINTER(port));
}

/* Whether some attached interface has an IPv4 address. */
static void
div_inet_one(struct __ifnet *ifp, void *ctx)
{
	if (xk_if_firstaddr_locked(ifp, AF_INET) != NULL) {
		*(bool *)ctx = true;
	}
}

static int
div_bind(struct __socket *so, const struct sockaddr *sa, socklen_t len)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	struct div_pcb *dp = sotodiv(so);
	bool inet = false;
	uint16_t port;

	if (sa->sa_family != AF_INET) {
		return EAFNOSUPPORT;
	}
	if (len != sizeof(struct sockaddr_in)) {
		return EINVAL;
	}
	/* The address is taken as INADDR_ANY; an IPv4 interface must exist. */
	xk_if_foreach_locked(div_inet_one, &inet);
	if (!inet) {
		return EADDRNOTAVAIL;
	}
	if (dp->dp_port != 0) {
		return EINVAL;
	}
	if ((port = ntohs(sin->sin_port)) == 0) {
		/* Ephemeral: the first free port from a random start. */
		uint32_t n = DIV_PORT_LAST - DIV_PORT_FIRST + 1;
		uint32_t start = g_random_int_range(0, (gint32)n);

		for (uint32_t i = 0; i < n && port == 0; i++) {
			uint16_t p = (uint16_t)(DIV_PORT_FIRST +
			    (start + i) % n);

			if (!div_port_used(p)) {
				port = p;
			}
		}
		if (port == 0) {
			return EADDRINUSE;
		}
	} else if (div_port_used(port)) {
		return EADDRINUSE;
	}
	if (div_ports == NULL) {
		div_ports = g_hash_table_new(g_direct_hash, g_direct_equal);
	}
	g_hash_table_insert(div_ports, GUINT_TO_POINTER(port), dp);
	dp->dp_port = port;
	return 0;
}

static int
div_notsupp_connect(struct __socket *so, const struct sockaddr *sa,
    socklen_t len)
{
	(void)so;
	(void)sa;
	(void)len;
	return EOPNOTSUPP;
}

/* FreeBSD's div_disconnect: not connected any more, and unbound. */
static int
div_disconnect(struct __socket *so)
{
	if (!(so->so_state & SS_ISCONNECTED)) {
		return ENOTCONN;
	}
	div_unbind_locked(sotodiv(so));
	so->so_state &= ~SS_ISCONNECTED;
	return 0;
}

static int
div_shutdown(struct __socket *so, int how)
{
	(void)so;
	(void)how;
	return 0;
}

static int
div_listen(struct __socket *so, int backlog)
{
	(void)so;
	(void)backlog;
	return EOPNOTSUPP;
}

/* The interface a packet written inward names in sin_zero, if any. */
static struct __ifnet *
div_ifname_locked(const struct sockaddr_in *sin)
{
	char name[sizeof(sin->sin_zero)];

	memcpy(name, sin->sin_zero, sizeof(name));
	if (name[0] == '\0' || memchr(name, '\0', sizeof(name)) == NULL) {
		return NULL;
	}
	return xk_if_byname_locked(name);
}

/*
 * div_output: checks the header, then puts the packet back, out (no
 * address, or 0.0.0.0) or in, answering the held packet it stands for
 * when there is one.
 */
static int
div_send(struct __socket *so, struct __mbuf *m, const struct sockaddr *to,
    socklen_t tolen, const void *control, size_t controllen, int flags)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)to;
	struct xk_ip_path path = { 0 };
	struct __ifnet *ifp = NULL;
	bool incoming = false;
	size_t len, hlen, iplen;
	uint32_t heldif = 0;
	uint64_t hold;
	struct ip ip;
	int error;

	(void)control;		/* discarded, as divert(4) does */
	(void)controllen;
	(void)flags;
	len = xk_m_length(m);
	if (sin != NULL && (tolen != sizeof(*sin) ||
	    sin->sin_family != AF_INET)) {
		error = EINVAL;
		goto bad;
	}
	if (len < sizeof(ip)) {
		error = EINVAL;
		goto bad;
	}
	xk_m_copydata(m, 0, sizeof(ip), &ip);
	hlen = (size_t)ip.ip_hl << 2;
	iplen = ntohs(ip.ip_len);
	if (ip.ip_v != IPVERSION || hlen < sizeof(ip) || iplen < hlen ||
	    iplen > len) {
		error = EINVAL;
		goto bad;
	}
	if (sin != NULL) {
		path.ipp_after = sin->sin_port;	/* the cookie, raw */
		incoming = sin->sin_addr.s_addr != INADDR_ANY;
	}
	if (incoming) {
		/* The named interface, else the one owning the address. */
		if ((ifp = div_ifname_locked(sin)) == NULL &&
		    (ifp = xk_if_withaddr_locked(AF_INET,
		    &sin->sin_addr)) == NULL) {
			error = EADDRNOTAVAIL;
			goto bad;
		}
	} else if (hlen != sizeof(ip) && sotodiv(so)->dp_optlen != 0) {
		error = EINVAL;
		goto bad;
	}
	/* What is past ip_len is not the packet's. */
	if (iplen < len) {
		xk_m_adj(m, -(int)(len - iplen));
	}
	m->m_pkthdr.rcvif = NULL;
	hold = div_held_answer(m->m_pkthdr.hold, div_key(incoming,
	    path.ipp_after, &ip), &heldif);
	m->m_pkthdr.hold = hold;
	path.ipp_rewritten = hold != 0;
	path.ipp_reinjected = hold == 0;
	if (hold != 0) {
		div_stats.answered++;
	}
	if (incoming) {
		/* Checked as any input: a bad checksum is counted, dropped. */
		div_stats.wrote_in++;
		xk_ip_input_path_locked(m, ifp, &path);
		return 0;
	}
	div_stats.wrote_out++;
	/* The checksum is the library's to make. */
	ip.ip_sum = 0;
	(void)xk_m_copyback(m, 0, sizeof(ip), &ip);
	xk_ip_cksum_hdr(m);
	if (hold != 0) {
		/* On the interface the host holds it for: `xmit` matches. */
		xk_ip_out_held_path_locked(m, xk_if_byindex_locked(heldif),
		    &path);
		return 0;
	}
	return xk_ip_output_path_locked(m, &path);
bad:
	xk_m_freem(m);
	return error;
}

/* IP_OPTIONS only: stored for div_send's header check. */
static int
div_ctloutput(struct __socket *so, bool set, int level, int name, void *val,
    socklen_t *len)
{
	struct div_pcb *dp = sotodiv(so);
	size_t n;

	if (level != IPPROTO_IP) {
		return EINVAL;
	}
	if (name != IP_OPTIONS) {
		return ENOPROTOOPT;
	}
	if (!set) {
		n = (size_t)*len < dp->dp_optlen ? (size_t)*len : dp->dp_optlen;
		memcpy(val, dp->dp_opts, n);
		*len = (socklen_t)n;
		return 0;
	}
	if ((n = (size_t)*len) > MAX_IPOPTLEN) {
		return EINVAL;
	}
	memset(dp->dp_opts, IPOPT_EOL, sizeof(dp->dp_opts));
	memcpy(dp->dp_opts, val, n);
	dp->dp_optlen = (uint8_t)((n + 3) & ~(size_t)3);
	return 0;
}

static int
div_sockaddr(struct __socket *so, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(sotodiv(so)->dp_port);
	*len = sizeof(*sin);
	return 0;
}

/* Always connected, to no one in particular. */
static int
div_peeraddr(struct __socket *so, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	(void)so;
	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	*len = sizeof(*sin);
	return 0;
}

const struct xk_protosw xk_div_protosw[] = {
	{ .pr_domain = AF_INET, .pr_type = SOCK_RAW,
	    .pr_protocol = IPPROTO_DIVERT,
	    .pr_flags = PR_ATOMIC | PR_ADDR | PR_NOCONNECT,
	    .pr_name = "divert", .pr_sndspace = DIVSNDQ,
	    .pr_rcvspace = DIVRCVQ,
	    .pr_attach = div_attach, .pr_detach = div_detach,
	    .pr_bind = div_bind, .pr_connect = div_notsupp_connect,
	    .pr_disconnect = div_disconnect, .pr_shutdown = div_shutdown,
	    .pr_send = div_send, .pr_ctloutput = div_ctloutput,
	    .pr_sockaddr = div_sockaddr, .pr_peeraddr = div_peeraddr,
	    .pr_listen = div_listen },
};
const size_t xk_div_nprotosw = G_N_ELEMENTS(xk_div_protosw);
