/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * SeND sockets, send(4) as FreeBSD has them (spec section 7): the one
 * socket of a Secure Neighbor Discovery daemon gets the Neighbor
 * Discovery messages of the host, incoming (SND_IN) and outgoing
 * (SND_OUT), and takes them back to continue on their way.
 *
 * Where the messages are taken (core/ip.c calls the hooks here):
 *	SND_IN	the input path after its checks, reassembly and the rule
 *		table: ICMPv6 types 133 to 137 that pass icmp6_input's
 *		checks (length, checksum, code 0), in place of the raw demux.
 *	SND_OUT	the host's own held outgoing packets, after the rule
 *		table; and what the engine's raw ICMPv6 sockets send, after
 *		the rule table, at the last step before the backend.
 *
 * On a backend that holds the host's packets (nfqueue) a message stays
 * held while the daemon has it, and the message written back answers it:
 * the same mbuf (sock_receivembuf, then sock_sendmbuf) by its hold id,
 * other bytes by direction, interface, addresses, ICMPv6 type and target,
 * the oldest first (core/held.c).  The answer is the held packet's
 * verdict, with the daemon's bytes.  A message written back never passes
 * the hooks again: SND_IN goes from here to the raw demux, SND_OUT to
 * the backend.
 */
#include "core/xk.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip6.h>
#include <string.h>

#include <netinet6/send.h>

#include "backends/backend.h"
#include "core/held.h"
#include "core/if_var.h"
#include "core/ip_var.h"
#include "core/socket_var.h"

/* FreeBSD's send_sendspace and send_recvspace. */
#define SEND_SNDQ	(8 * (1024 + sizeof(struct sockaddr_send)))
#define SEND_RCVQ	9216
/* A held message still unanswered after this is forgotten here. */
#define XK_SEND_FORGET_MS	(4 * XK_HOLD_MS_DEFAULT)
/*
 * Held messages remembered at most: the length of a netfilter queue by
 * default, and more than the receive buffer (SEND_RCVQ) holds of the
 * smallest messages (135).  Past it the oldest is forgotten, counted in
 * `forgotten`.
 */
#define SEND_HELD_MAX		1024

/* What a written-back message is matched with, when not by hold id. */
struct send_key {
	struct in6_addr	sk_src;
	struct in6_addr	sk_dst;
	struct in6_addr	sk_tgt;		/* NS, NA, Redirect; else zero */
	uint32_t	sk_ifidx;
	uint8_t		sk_dir;		/* SND_IN, SND_OUT */
	uint8_t		sk_type;	/* ICMPv6 type */
	uint8_t		sk_pad[2];
};

struct xk_send_stats {
	uint64_t	in;		/* incoming ND given to the socket */
	uint64_t	out;		/* outgoing ND given to the socket */
	uint64_t	invalid;	/* incoming ND failing icmp6_input's
					   checks: not diverted */
	uint64_t	full;		/* the receive buffer was full */
	uint64_t	nomem;		/* no mbuf for the address */
	uint64_t	wrote_in;	/* written back, SND_IN */
	uint64_t	wrote_out;	/* written back, SND_OUT */
	uint64_t	answered;	/* written back as a held one's verdict */
	uint64_t	refused;	/* write-backs that failed (any errno) */
	uint64_t	unmatched_in;	/* SND_IN answering nothing on a host
					   backend: ENOENT */
	uint64_t	oerrors;	/* SND_OUT the backend refused: ENOENT */
	uint64_t	forgotten;	/* held, never answered, forgotten here */
};

static struct xk_send_stats send_stats;
static struct __socket *send_so;	/* the daemon's socket, or NULL */
/*
 * The held messages the socket has, waiting for their answers, by hold
 * id and send_key (compared whole: its padding is always zero).  Made at
 * the first.
 */
static struct xk_held *send_held;

/*
 * The key of @m, whose ICMPv6 header is at @off: the target of NS, NA
 * and Redirect (the 16 bytes after the ICMPv6 header) counts too.
 */
static void
send_key_make(struct send_key *k, const struct __mbuf *m, size_t off,
    int dir, uint32_t ifidx)
{
	struct ip6_hdr ip6;
	size_t len = xk_m_length(m);
	uint8_t type = 0;

	memset(k, 0, sizeof(*k));
	xk_m_copydata(m, 0, sizeof(ip6), &ip6);
	k->sk_src = ip6.ip6_src;
	k->sk_dst = ip6.ip6_dst;
	k->sk_ifidx = ifidx;
	k->sk_dir = (uint8_t)dir;
	if (off + sizeof(struct icmp6_hdr) > len) {
		return;
	}
	xk_m_copydata(m, off, 1, &type);
	k->sk_type = type;
	if ((type == ND_NEIGHBOR_SOLICIT || type == ND_NEIGHBOR_ADVERT ||
	    type == ND_REDIRECT) &&
	    off + sizeof(struct icmp6_hdr) + sizeof(struct in6_addr) <= len) {
		xk_m_copydata(m, off + sizeof(struct icmp6_hdr),
		    sizeof(struct in6_addr), &k->sk_tgt);
	}
}

/* Forgets held messages too old to be answered still. */
static void
send_held_expire(int64_t now)
{
	send_stats.forgotten += xk_held_expire(send_held,
	    now - (int64_t)XK_SEND_FORGET_MS * 1000);
}

/* Forgets every held message, counting each when @count; frees the table. */
static void
send_held_clear(bool count)
{
	if (send_held == NULL) {
		return;
	}
	if (count) {
		send_stats.forgotten += xk_held_count(send_held);
	}
	xk_held_destroy(send_held);
	send_held = NULL;
}

static void
send_held_remember(uint64_t hold, const struct send_key *key)
{
	int64_t now = g_get_monotonic_time();

	if (send_held == NULL && xk_held_create(sizeof(*key), SEND_HELD_MAX,
	    0, &send_held) != 0) {
		/* No memory: the backend's bound drops it. */
		return;
	}
	send_held_expire(now);
	/* Seen already: the first stays. */
	send_stats.forgotten += xk_held_remember(send_held, hold, key, 0,
	    now);
}

/*
 * The held message a written one answers: its own hold id when this
 * table knows it, else the oldest with the same key (which needs an
 * ICMPv6 type).  0 when none; the answer is forgotten here.
 */
static uint64_t
send_held_answer(uint64_t hold, const struct send_key *key)
{
	if (send_held == NULL || xk_held_count(send_held) == 0) {
		return 0;
	}
	send_held_expire(g_get_monotonic_time());
	return xk_held_answer(send_held, hold, key->sk_type != 0 ? key : NULL,
	    NULL);
}

void
xk_send_reset(void)
{
	xk_core_lock();
	send_held_clear(false);
	memset(&send_stats, 0, sizeof(send_stats));
	xk_core_unlock();
}

void
xk_send_stats_rows_locked(void (*row)(void *ctx, const char *name,
    uint64_t value), void *ctx)
{
	row(ctx, "send.in", send_stats.in);
	row(ctx, "send.out", send_stats.out);
	row(ctx, "send.invalid", send_stats.invalid);
	row(ctx, "send.full", send_stats.full);
	row(ctx, "send.nomem", send_stats.nomem);
	row(ctx, "send.wrote_in", send_stats.wrote_in);
	row(ctx, "send.wrote_out", send_stats.wrote_out);
	row(ctx, "send.answered", send_stats.answered);
	row(ctx, "send.refused", send_stats.refused);
	row(ctx, "send.unmatched_in", send_stats.unmatched_in);
	row(ctx, "send.oerrors", send_stats.oerrors);
	row(ctx, "send.forgotten", send_stats.forgotten);
}

/* The daemon's socket, when there is one not being closed. */
static struct __socket *
send_daemon(void)
{
	if (send_so == NULL ||
	    (send_so->so_flags & (SOF_CLOSING | SOF_CLOSED))) {
		return NULL;
	}
	return send_so;
}

static bool
send_nd_type(uint8_t type)
{
	return type >= ND_ROUTER_SOLICIT && type <= ND_REDIRECT;
}

/* The smallest message of each type (RFC 4861, icmp6_input's checks). */
static size_t
send_nd_minlen(uint8_t type)
{
	switch (type) {
	case ND_ROUTER_SOLICIT:
		return sizeof(struct nd_router_solicit);
	case ND_ROUTER_ADVERT:
		return sizeof(struct nd_router_advert);
	case ND_NEIGHBOR_SOLICIT:
		return sizeof(struct nd_neighbor_solicit);
	case ND_NEIGHBOR_ADVERT:
		return sizeof(struct nd_neighbor_advert);
	default:
		return sizeof(struct nd_redirect);
	}
}

/* The ICMPv6 checksum of @len bytes at @off is right (RFC 8200 8.1). */
static bool
send_cksum_ok(const struct __mbuf *m, const struct ip6_hdr *ip6, size_t off,
    size_t len)
{
	struct {
		struct in6_addr	src, dst;
		uint32_t	len;
		uint8_t		zero[3], nxt;
	} ph;
	uint32_t sum;
	uint16_t a, b;

	memset(&ph, 0, sizeof(ph));
	ph.src = ip6->ip6_src;
	ph.dst = ip6->ip6_dst;
	ph.len = htonl((uint32_t)len);
	ph.nxt = IPPROTO_ICMPV6;
	/* The two sums uncomplemented, added: all ones when right. */
	a = (uint16_t)~xk_in_cksum_buf(&ph, sizeof(ph));
	b = (uint16_t)~xk_in_cksum(m, off, len);
	sum = (uint32_t)ntohs(a) + ntohs(b);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/*
 * send_input: queues @m on the daemon's socket with its direction and
 * interface, or drops and counts it (a held message gets the drop
 * verdict); consumes @m.  A held message is remembered so that the one
 * written back answers it.
 */
static void
send_queue_locked(struct __socket *so, struct __mbuf *m, int dir,
    struct __ifnet *ifp, size_t off)
{
	struct sockaddr_send ss;
	struct send_key key;
	uint64_t hold = m->m_pkthdr.hold;
	int error;

	memset(&ss, 0, sizeof(ss));
	ss.send_family = AF_INET6;
	ss.send_direction = dir;
	ss.send_ifidx = ifp != NULL ? (int)ifp->if_index : 0;
	if (hold != 0) {
		send_key_make(&key, m, off, dir, (uint32_t)ss.send_ifidx);
	}
	m->m_pkthdr.rcvif = dir == SND_IN ? ifp : NULL;
	error = xk_sbappendaddr_locked(&so->so_rcv,
	    (const struct sockaddr *)&ss, sizeof(ss), m, NULL, 0);
	if (error != 0) {
		/* FreeBSD frees it silently; here it is counted. */
		if (error == ENOBUFS) {
			send_stats.full++;
		} else {
			send_stats.nomem++;
		}
		xk_ip_verdict_locked(m, false);
		xk_m_freem(m);
		return;
	}
	if (hold != 0) {
		send_held_remember(hold, &key);
	}
	if (dir == SND_IN) {
		send_stats.in++;
	} else {
		send_stats.out++;
	}
	xk_sorwakeup_locked(so);
}

bool
xk_send_input_locked(struct __mbuf *m, struct __ifnet *ifp,
    const struct xk_ip6_hdrs *h)
{
	struct __socket *so;
	struct ip6_hdr ip6;
	struct icmp6_hdr icmp6;
	size_t len, off = h->ih_off;

	XK_LOCK_ASSERT();
	if ((so = send_daemon()) == NULL || h->ih_nxt != IPPROTO_ICMPV6) {
		return false;
	}
	len = xk_m_length(m);
	if (off + sizeof(icmp6) > len) {
		return false;		/* the raw demux counts it */
	}
	xk_m_copydata(m, off, sizeof(icmp6), &icmp6);
	if (!send_nd_type(icmp6.icmp6_type)) {
		return false;
	}
	xk_m_copydata(m, 0, sizeof(ip6), &ip6);
	/* What the host holds is its own; on mem, what is for this host. */
	if (m->m_pkthdr.hold == 0 && !IN6_IS_ADDR_MULTICAST(&ip6.ip6_dst) &&
	    xk_if_withaddr_locked(AF_INET6, &ip6.ip6_dst) == NULL) {
		return false;
	}
	/*
	 * icmp6_input's checks before its hook: code 0, the type's
	 * length, the checksum.  A message failing them goes on, for the
	 * host's own ND (and the raw sockets) to refuse.
	 */
	if (icmp6.icmp6_code != 0 ||
	    len - off < send_nd_minlen(icmp6.icmp6_type) ||
	    !send_cksum_ok(m, &ip6, off, len - off)) {
		send_stats.invalid++;
		return false;
	}
	send_queue_locked(so, m, SND_IN, ifp, off);
	return true;
}

/*
 * An outgoing packet's ND type, when its ICMPv6 header follows the IPv6
 * header directly (the host's and the raw sockets' ND do); else 0.
 */
static uint8_t
send_out_type(const struct __mbuf *m)
{
	struct ip6_hdr ip6;
	uint8_t type = 0;

	if (xk_m_length(m) < sizeof(ip6) + sizeof(struct icmp6_hdr)) {
		return 0;
	}
	xk_m_copydata(m, 0, sizeof(ip6), &ip6);
	if ((ip6.ip6_vfc >> 4) != 6 || ip6.ip6_nxt != IPPROTO_ICMPV6) {
		return 0;
	}
	xk_m_copydata(m, sizeof(ip6), 1, &type);
	return send_nd_type(type) ? type : 0;
}

bool
xk_send_output_locked(struct __mbuf *m, struct __ifnet *ifp)
{
	struct __socket *so;

	XK_LOCK_ASSERT();
	if ((so = send_daemon()) == NULL || send_out_type(m) == 0) {
		return false;
	}
	send_queue_locked(so, m, SND_OUT, ifp, sizeof(struct ip6_hdr));
	return true;
}

bool
xk_send_active_locked(void)
{
	return send_daemon() != NULL;
}

/* Sends @m out of @ifp through the backend, as if_output; consumes it. */
static int
send_if_output(struct __mbuf *m, struct __ifnet *ifp)
{
	struct xk_backend *be = xk_engine_backend();
	struct xk_be_pkt pkt;
	unsigned int sent = 0;

	if (be == NULL) {
		xk_m_freem(m);
		return ENOENT;
	}
	memset(&pkt, 0, sizeof(pkt));
	pkt.bp_m = m;
	pkt.bp_ifindex = ifp->if_index;
	pkt.bp_dir = XK_DIR_OUT;
	be->be_ops->be_output(be, &pkt, 1, &sent);
	if (sent == 0) {
		ifp->if_oerrors++;
		send_stats.oerrors++;
		return ENOENT;
	}
	if ((be->be_ops->be_features & XK_BEF_OCOUNT) == 0) {
		ifp->if_opackets++;
	}
	return 0;
}

/*
 * send_output: the daemon's message back on its way.  Checked, then
 * matched with the held message it answers; SND_IN goes to the raw
 * demux as received on send_ifidx, SND_OUT out of it.
 */
static int
send_send(struct __socket *so, struct __mbuf *m, const struct sockaddr *to,
    socklen_t tolen, const void *control, size_t controllen, int flags)
{
	struct sockaddr_send ss;
	struct icmp6_hdr icmp6;
	struct send_key key;
	struct __ifnet *ifp;
	struct ip6_hdr ip6;
	uint64_t hold;
	size_t len, iplen;
	int error;

	(void)so;
	(void)control;		/* no control messages, as send(4) */
	(void)controllen;
	(void)flags;
	if (to == NULL) {
		error = EDESTADDRREQ;
		goto bad;
	}
	if (tolen < (socklen_t)sizeof(ss)) {
		error = EINVAL;
		goto bad;
	}
	memcpy(&ss, to, sizeof(ss));
	if (ss.send_ifidx <= 0 ||
	    (ifp = xk_if_byindex_locked((uint32_t)ss.send_ifidx)) == NULL) {
		error = ENETUNREACH;
		goto bad;
	}
	if (ss.send_direction != SND_IN && ss.send_direction != SND_OUT) {
		error = EINVAL;		/* FreeBSD panics */
		goto bad;
	}
	len = xk_m_length(m);
	if (len < sizeof(ip6)) {
		error = EINVAL;
		goto bad;
	}
	xk_m_copydata(m, 0, sizeof(ip6), &ip6);
	iplen = sizeof(ip6) + ntohs(ip6.ip6_plen);
	if ((ip6.ip6_vfc >> 4) != 6 || iplen > len) {
		error = EINVAL;
		goto bad;
	}
	/* What is past the payload length is not the packet's. */
	if (iplen < len) {
		xk_m_adj(m, -(int)(len - iplen));
		len = iplen;
	}
	if (ss.send_direction == SND_IN) {
		if (ip6.ip6_nxt != IPPROTO_ICMPV6) {
			error = ENOSYS;
			goto bad;
		}
		if (len < sizeof(ip6) + sizeof(icmp6)) {
			error = EINVAL;
			goto bad;
		}
		xk_m_copydata(m, sizeof(ip6), sizeof(icmp6), &icmp6);
		if (!send_nd_type(icmp6.icmp6_type)) {
			error = ENOSYS;
			goto bad;
		}
	}
	send_key_make(&key, m, sizeof(ip6), ss.send_direction,
	    (uint32_t)ss.send_ifidx);
	hold = send_held_answer(m->m_pkthdr.hold, &key);
	m->m_pkthdr.hold = hold;
	m->m_pkthdr.rcvif = NULL;
	if (ss.send_direction == SND_OUT) {
		if (hold != 0) {
			send_stats.answered++;
			send_stats.wrote_out++;
			xk_ip_verdict_locked(m, true);
			xk_m_freem(m);
			return 0;
		}
		if ((error = send_if_output(m, ifp)) != 0) {
			send_stats.refused++;
			return error;
		}
		send_stats.wrote_out++;
		return 0;
	}
	if (hold != 0) {
		send_stats.answered++;
		xk_ip_verdict_locked(m, true);
	} else if (!xk_engine_virtual()) {
		/*
		 * The host cannot be given a new message as received on an
		 * interface (be_inject_in would deliver it on lo, useless
		 * to ND): only a held one can be answered.
		 */
		send_stats.unmatched_in++;
		error = ENOENT;
		goto bad;
	}
	send_stats.wrote_in++;
	/* The engine's own ND input is its raw ICMPv6 sockets. */
	ifp->if_ipackets++;
	m->m_pkthdr.rcvif = ifp;
	xk_rip6_input_locked(m, IPPROTO_ICMPV6, sizeof(ip6));
	return 0;
bad:
	send_stats.refused++;
	xk_m_freem(m);
	return error;
}

bool
xk_send_held_out_locked(struct __mbuf *m, struct __ifnet *ifp)
{
	struct __socket *so;

	XK_LOCK_ASSERT();
	if ((so = send_daemon()) == NULL || send_out_type(m) == 0) {
		return false;
	}
	send_queue_locked(so, m, SND_OUT, ifp, sizeof(struct ip6_hdr));
	return true;
}

static int
send_attach(struct __socket *so)
{
	/*
	 * SeND takes messages out of the path: copies will not do.  As
	 * FreeBSD without send.ko, whoever asks; then send_attach's order.
	 */
	if (!xk_engine_intercepts()) {
		return EPROTONOSUPPORT;
	}
	if (send_daemon() != NULL) {
		return EEXIST;
	}
	if (!(so->so_state & SS_PRIV)) {
		return EPERM;
	}
	/* One closing still detaches later; it is no daemon any more. */
	send_held_clear(true);
	send_so = so;
	return 0;
}

static bool
send_detach(struct __socket *so)
{
	xk_core_lock();
	if (send_so == so) {
		send_so = NULL;
		/* Nobody can answer them now: the backend's bound drops them. */
		send_held_clear(true);
	}
	xk_core_unlock();
	return true;
}

static int
send_notsupp_addr(struct __socket *so, const struct sockaddr *sa,
    socklen_t len)
{
	(void)so;
	(void)sa;
	(void)len;
	return EOPNOTSUPP;
}

static int
send_notsupp_disconnect(struct __socket *so)
{
	(void)so;
	return EOPNOTSUPP;
}

static int
send_notsupp_shutdown(struct __socket *so, int how)
{
	(void)so;
	(void)how;
	return EOPNOTSUPP;
}

static int
send_notsupp_listen(struct __socket *so, int backlog)
{
	(void)so;
	(void)backlog;
	return EOPNOTSUPP;
}

static int
send_notsupp_sockaddr(struct __socket *so, struct sockaddr_storage *ss,
    socklen_t *len)
{
	(void)so;
	(void)ss;
	(void)len;
	return EOPNOTSUPP;
}

/* No options of its own: FreeBSD's sosetopt without pr_ctloutput. */
static int
send_ctloutput(struct __socket *so, bool set, int level, int name,
    void *val, socklen_t *len)
{
	(void)so;
	(void)set;
	(void)level;
	(void)name;
	(void)val;
	(void)len;
	return ENOPROTOOPT;
}

const struct xk_protosw xk_send_protosw[] = {
	{ .pr_domain = AF_INET6, .pr_type = SOCK_RAW,
	    .pr_protocol = IPPROTO_SEND,
	    .pr_flags = PR_ATOMIC | PR_ADDR | PR_NOCONNECT,
	    .pr_name = "send", .pr_sndspace = SEND_SNDQ,
	    .pr_rcvspace = SEND_RCVQ,
	    .pr_attach = send_attach, .pr_detach = send_detach,
	    .pr_bind = send_notsupp_addr, .pr_connect = send_notsupp_addr,
	    .pr_disconnect = send_notsupp_disconnect,
	    .pr_shutdown = send_notsupp_shutdown,
	    .pr_send = send_send, .pr_ctloutput = send_ctloutput,
	    .pr_sockaddr = send_notsupp_sockaddr,
	    .pr_peeraddr = send_notsupp_sockaddr,
	    .pr_listen = send_notsupp_listen },
};
const size_t xk_send_nprotosw = G_N_ELEMENTS(xk_send_protosw);
