/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The checks the IPv4 and IPv6 input paths make before anything else sees
 * a packet, the Internet checksum, and the BSD raw-socket header forms.
 * Every refusal names its reason, which the input path counts: a
 * malformed packet is a counted drop, never a crash.
 */
#ifndef _XK_CORE_IP_VAR_H_
#define _XK_CORE_IP_VAR_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mbuf_var.h"

/* Why the input path refused a packet; the names follow XNU's ipstat. */
enum xk_ipdrop {
	XK_IPDROP_NONE = 0,
	XK_IPDROP_TOOSMALL,	/* shorter than the fixed header */
	XK_IPDROP_BADVERS,	/* version field is not 4 (6) */
	XK_IPDROP_BADHLEN,	/* IPv4 header length < 20 or past the end */
	XK_IPDROP_BADSUM,	/* IPv4 header checksum wrong */
	XK_IPDROP_BADLEN,	/* IPv4 ip_len < header; IPv6 jumbo length */
	XK_IPDROP_TOOSHORT,	/* the packet ends before its stated length */
	XK_IPDROP_BADEXTHDR,	/* IPv6 extension headers malformed or cut */
	XK_IPDROP_COUNT
};

/* The counter name of a reason, e.g. "badsum". */
const char	*xk_ipdrop_name(enum xk_ipdrop why);

/* The Internet checksum (RFC 1071) of @len bytes of a chain at @off. */
uint16_t	 xk_in_cksum(const struct __mbuf *m, size_t off, size_t len);
/* The same over a flat buffer. */
uint16_t	 xk_in_cksum_buf(const void *p, size_t len);
struct iovec;
/* The same over the pieces of @iov, in order. */
uint16_t	 xk_in_cksum_iov(const struct iovec *iov, int iovcnt);
/*
 * The pieces of @iov into @out (room for @max), with bytes [@off, @off +
 * @len) of the whole, which must lie inside it, read from @mid instead;
 * empty pieces are left out.  How many, or -1 when @max is under
 * @iovcnt + 2.
 */
int		 xk_iov_split(const struct iovec *iov, int iovcnt, size_t off,
		    size_t len, void *mid, struct iovec *out, int max);

/*
 * IPv4 input checks, as ip_input makes them.  On success the packet is
 * trimmed to ip_len, *hlenp is the header length, and the header is
 * unchanged (network byte order).
 */
enum xk_ipdrop	 xk_ip_check(struct __mbuf *m, size_t *hlenp);

/* What the IPv6 header walk found. */
struct xk_ip6_hdrs {
	uint8_t	ih_nxt;		/* upper layer; IPPROTO_FRAGMENT: a fragment */
	bool	ih_atomic;	/* walked over an atomic Fragment header */
	size_t	ih_off;		/* offset of that header */
	size_t	ih_fragoff;	/* offset of the Fragment header, 0: none */
	size_t	ih_fragprev;	/* offset of the next-header byte naming it */
};

/*
 * IPv6 input checks: the fixed header, then the extension headers
 * (hop-by-hop only first; routing, fragment, destination options, AH)
 * up to the upper-layer header, whose number goes to ih_nxt and offset to
 * ih_off.  No-next-header and ESP end the walk too, and so does the
 * Fragment header of a real fragment (offset or M flag set: what follows
 * is fragment data): ih_nxt is then IPPROTO_FRAGMENT and ih_off its
 * offset.  An atomic fragment's header (RFC 6946) is walked over.  Trims
 * the packet to 40 + payload length.
 */
enum xk_ipdrop	 xk_ip6_check_hdrs(struct __mbuf *m, struct xk_ip6_hdrs *h);
/* The same, giving only the last header's number and offset. */
enum xk_ipdrop	 xk_ip6_check(struct __mbuf *m, uint8_t *nxtp, size_t *offp);

/*
 * What a BSD raw IPv4 socket reads: ip_len in host order with the header
 * length subtracted, ip_off in host order (ip_input's conversion).  The
 * header must be contiguous in the first mbuf.
 */
void		 xk_ip_bsd_input_form(struct __mbuf *m, size_t hlen);

/*
 * A BSD IP_HDRINCL packet (ip_len, ip_off in host order) checked as XNU's
 * rip_output does (spec 4.3): EMSGSIZE over 65535 bytes; EINVAL under 20
 * bytes, a header length other than 20 while the socket has IP options,
 * ip_len over the packet's length or under the header's.  On success the
 * packet is in network form: ip_len and ip_off swapped, a random ip_id
 * where it was 0, and the header checksum computed (after the caller has
 * filled a zero source address, call xk_ip_cksum_hdr again).
 */
int		 xk_ip_hdrincl_prepare(struct __mbuf *m, bool socket_has_opts);
/* Recomputes the IPv4 header checksum; the header must be contiguous. */
void		 xk_ip_cksum_hdr(struct __mbuf *m);
/*
 * Receive control messages, shared by raw IPv4 and IPv6: one message in
 * the host's cmsghdr layout appended at *@len (left out when @cap is
 * short), and SCM_TIMESTAMP with the backend's time of arrival.
 */
void	xk_ip_ctl_add(uint8_t *buf, size_t cap, size_t *len, int level,
	    int type, const void *data, size_t dlen);
void	xk_ip_ctl_timestamp(const struct __mbuf *m, uint8_t *buf, size_t cap,
	    size_t *len);

/*
 * Walks the control messages of a send (the host's cmsghdr layout): @fn
 * for each, stopping at its first non-zero result.  EINVAL for a message
 * whose length runs past the buffer or is shorter than its header.
 */
int	xk_ip_ctl_walk(const void *ctl, size_t len, int (*fn)(int level,
	    int type, const void *data, size_t dlen, void *arg), void *arg);

/*
 * Multicast memberships of a raw socket (IP_ADD_MEMBERSHIP,
 * IPV6_JOIN_GROUP), kept in a GArray of these.  ifindex 0: the interface
 * was chosen by route at join time and is stored resolved.
 */
struct xk_mship {
	int		 ms_family;
	uint32_t	 ms_ifindex;
	union {
		struct in_addr	v4;
		struct in6_addr	v6;
	} ms_group;
};
/*
 * Joins (@join) or leaves @group on @ifindex for a socket: the engine's
 * count per (interface, group), and the host's interface joins the group
 * (backend's be_mcast) the first time, leaves it the last.
 */
int	xk_ip_mship_change_locked(int family, const void *group,
	    uint32_t ifindex, bool join);

/* A random IPv4 identification, never 0. */
uint16_t	 xk_ip_randomid(void);
/* A random IPv6 Fragment header identification, never 0. */
uint32_t	 xk_ip6_randomid(void);

/*
 * The engine: the open backend, the input and output paths, and the
 * counters every packet ends in (core/ip.c).
 */
struct xk_ip_stats {
	uint64_t	ips_total;	/* IPv4 packets received */
	uint64_t	ips_drop[XK_IPDROP_COUNT]; /* malformed, by reason */
	uint64_t	ips_delivered;	/* to one raw socket or more */
	uint64_t	ips_noproto;	/* no raw socket wanted it */
	uint64_t	ips_hostproto;	/* TCP, UDP (v4 and v6): not raw */
	uint64_t	ips_notforus;	/* destination is not this host */
	uint64_t	ips_rawfull;	/* a raw socket's buffer was full */
	uint64_t	ips_rawnomem;	/* no mbuf for a raw socket's copy */
	uint64_t	ips_outseen;	/* the host's own outgoing packets */
	uint64_t	ips_localout;	/* sent from raw sockets */
	uint64_t	ips_direct;	/* of those, copied once (sock_send) */
	uint64_t	ips_noroute;	/* no interface for the destination */
	uint64_t	ips_cantfrag;	/* over the MTU and may not be cut */
	uint64_t	ips_oerrors;	/* the backend could not send */
	uint64_t	ip6s_total;	/* IPv6 packets received */
	uint64_t	ip6s_drop[XK_IPDROP_COUNT];
	uint64_t	ip6s_noproto;	/* no raw IPv6 socket wanted it */
	uint64_t	ip6s_delivered;	/* to one raw socket or more */
	uint64_t	ip6s_notforus;	/* destination is not this host */
	uint64_t	ip6s_badsum;	/* upper-layer checksum wrong */
	uint64_t	ip6s_fullsock;	/* a raw socket's buffer was full */
	uint64_t	ip6s_rawnomem;	/* no mbuf for a raw socket's copy */
	uint64_t	ip6s_noroute;	/* no interface for the destination */
	uint64_t	ip6s_cantfrag;	/* larger than the MTU, not cuttable */
	uint64_t	ip6s_localout;	/* sent from raw IPv6 sockets */
	uint64_t	ip6s_direct;	/* of those, copied once (sock_send) */
	uint64_t	ips_badfamily;	/* neither IPv4 nor IPv6 */
	/*
	 * Fragments.  Input: every fragment received ends in a reassembled
	 * packet or in fragdropped or fragtimeout (both count fragments).
	 */
	uint64_t	ips_fragments;	/* IPv4 fragments received */
	uint64_t	ips_reassembled; /* packets put back together */
	uint64_t	ips_fragdropped; /* malformed, duplicate, over limits */
	uint64_t	ips_fragtimeout; /* in a queue that timed out */
	uint64_t	ips_fragmented;	/* output packets cut */
	uint64_t	ips_ofragments;	/* fragments made */
	uint64_t	ips_odropped;	/* no memory to cut, or left unsent */
	uint64_t	ip6s_fragments;
	uint64_t	ip6s_reassembled;
	uint64_t	ip6s_fragdropped;
	uint64_t	ip6s_fragtimeout;
	uint64_t	ip6s_atomicfrags; /* atomic fragments (RFC 6946) */
	uint64_t	ip6s_fragmented;
	uint64_t	ip6s_ofragments;
	uint64_t	ip6s_odropped;
	/*
	 * Packets that matched raw sockets none of which took a copy (each
	 * copy is in rawfull/fullsock or rawnomem as well).
	 */
	uint64_t	ips_rawdropped;
	uint64_t	ip6s_rawdropped;
	/* The rule table and held packets (intercepting backends). */
	uint64_t	ips_fwdeny;	/* denied by a rule (or the default) */
	uint64_t	ip6s_fwdeny;
	uint64_t	ip6s_fwdivskip;	/* IPv6 passing a divert or tee rule */
	uint64_t	ips_heldfrag;	/* held fragments given back unseen */
	uint64_t	ip6s_heldfrag;
	uint64_t	ips_verdictlate; /* the backend held it no more */
	uint64_t	ips_verdictnomem; /* no memory for the new bytes */
	uint64_t	ips_injectfail;	/* written inward, the host refused */
	uint64_t	ip6s_icmp6filtered; /* ICMPv6 every socket's filter
					   blocked */
	uint64_t	ips_mcastnomember; /* multicast no socket had joined */
	uint64_t	ip6s_mcastnomember;
	uint64_t	ips_mcastloop;	/* multicast looped back to the
					   engine's own sockets */
	uint64_t	ip6s_mcastloop;
};
extern struct xk_ip_stats xk_ipstat;	/* under the core lock */

/* A consistent copy of the counters, and a reset (tests, xkpi_stats). */
void	xk_ipstat_snapshot(struct xk_ip_stats *out);
void	xk_ipstat_reset(void);

struct event_base;
struct xk_backend;

int	xk_engine_open(const char *name, struct event_base *base);
void	xk_engine_close(void);
/*
 * Lets what the backend accepted for output leave, waiting for the host
 * up to XK_DRAIN_MS; the rest is discarded and counted (be_drain).  From
 * xk_engine_close() and the exit hook, without the core lock.
 */
#define XK_DRAIN_MS	1000
void	xk_engine_drain(const char *why);
/* Attaches interface @name through the open backend (be_attach). */
int	xk_engine_attach(const char *name);
struct xk_backend *xk_engine_backend(void);
/* Whether the open backend's interfaces exist only in this process. */
bool	xk_engine_virtual(void);
/* Whether the open backend intercepts: the rule table runs. */
bool	xk_engine_intercepts(void);
/* Routes and sends a complete IPv4 packet; consumes it. */
int	xk_ip_output_locked(struct __mbuf *m);

/*
 * Whether a packet of @family can leave from its sender's memory at all
 * now (xk_ip_output_direct_locked, xk_ip6_output_direct_locked): the
 * backend can, and nothing on the output path needs an mbuf.  A sender
 * asks first, before it builds anything.
 */
bool	xk_ip_direct_ok_locked(int family);
/*
 * Sends the IPv4 packet made of the header @hdr (@hlen bytes, ip_len,
 * ip_off and the rest in network order; ip_src INADDR_ANY for the
 * interface's address; the checksum is filled here) and the payload
 * @iov, from the caller's memory straight into the backend's TX ring:
 * sock_send's one copy.  XK_SEND_SLOW (socket_var.h) when the packet
 * needs what only xk_ip_output_locked does (a filter, the rule table,
 * multicast, fragments, a backend without be_output_direct, a next hop
 * not yet resolved); else 0 or the error, counted as xk_ip_output_locked
 * counts them.
 */
int	xk_ip_output_direct_locked(void *hdr, size_t hlen,
	    const struct iovec *iov, int iovcnt, size_t paylen);
/*
 * The same for IPv6: the header @ip6 (complete) out of @ifp, the
 * interface the socket chose.  XK_SEND_SLOW also when a SeND daemon
 * sees the host's output.
 */
struct ip6_hdr;
int	xk_ip6_output_direct_locked(const struct ip6_hdr *ip6,
	    struct __ifnet *ifp, const struct iovec *iov, int iovcnt,
	    size_t paylen);

/*
 * Where a packet is on the path, for one written back on a divert
 * socket: the rule table resumes after ipp_after; ipp_rewritten says
 * that the bytes are the daemon's, so a held packet's verdict carries
 * them; ipp_reinjected, that it answered no held packet and, written
 * inward, is given to the host at the end of the input path.
 */
struct opaque_ipfilter;
struct xk_ip_path {
	uint16_t	ipp_after;
	bool		ipp_rewritten;
	bool		ipp_reinjected;
	/*
	 * An IP filter's injection: the filters resume after this one, and
	 * input skips the rule table and the destination check, as XNU's.
	 */
	struct opaque_ipfilter *ipp_ipf_after;
	struct __ifnet	*ipp_ifp;	/* output: this interface, no route */
};
/* Input, from the start (checks) to the raw demux; consumes @m. */
void	xk_ip_input_path_locked(struct __mbuf *m, struct __ifnet *ifp,
	    const struct xk_ip_path *p);
/*
 * Output of a packet the host is sending and an intercepting backend
 * holds (m_pkthdr.hold): the rule table, then the verdict; consumes @m.
 */
void	xk_ip_out_held_path_locked(struct __mbuf *m, struct __ifnet *ifp,
	    const struct xk_ip_path *p);
/* xk_ip_output_locked with the rule table resuming where @p says. */
int	xk_ip_output_path_locked(struct __mbuf *m, const struct xk_ip_path *p);
/* xk_ip6_output_locked, the same way. */
int	xk_ip6_output_path_locked(struct __mbuf *m, struct __ifnet *ifp,
	    const struct xk_ip_path *p);
/*
 * The verdict on the held packet @m stands for (m_pkthdr.hold; nothing
 * when 0): accept with @m's bytes, or drop.  @m stays the caller's.
 */
void	xk_ip_verdict_locked(struct __mbuf *m, bool accept);

/*
 * Divert sockets (core/divert.c).  xk_div_packet_locked gives @m to the
 * socket bound to divert port @port (network order) with cookie @rule,
 * or drops and counts it; consumes @m.  A held packet is remembered so
 * that the packet written back answers it.
 */
void	xk_div_packet_locked(struct __mbuf *m, bool incoming, uint16_t port,
	    uint16_t rule, struct __ifnet *ifp);
/* A tee's copy could not be made: counted. */
void	xk_div_nomem_locked(void);
/* Shutdown or exit: every held packet a divert socket has is dropped. */
void	xk_div_drop_held_locked(void);
/* A verdict by hold id alone (no bytes): accept or drop. */
void	xk_ip_verdict_hold_locked(uint64_t hold, bool accept);
/* The div.* counters, for xkpi_stats(). */
void	xk_div_stats_rows_locked(void (*row)(void *ctx, const char *name,
	    uint64_t value), void *ctx);
void	xk_div_reset(void);

/*
 * SeND sockets (core/send.c).  Each hook returns true when it took @m
 * (queued on the daemon's socket, or dropped and counted); false, with
 * @m untouched, when there is no socket or @m is not for it.
 * xk_send_input_locked: a checked incoming IPv6 packet whose header walk
 * is @h, at the end of input before the raw demux (SND_IN).
 * xk_send_output_locked: what a raw IPv6 socket sends out of @ifp, after
 * the rule table (SND_OUT).  xk_send_held_out_locked: an outgoing packet
 * the host sends and a backend holds, after the rule table (SND_OUT).
 */
bool	xk_send_input_locked(struct __mbuf *m, struct __ifnet *ifp,
	    const struct xk_ip6_hdrs *h);
bool	xk_send_output_locked(struct __mbuf *m, struct __ifnet *ifp);
/* Whether a SeND daemon is there to see the host's ND output. */
bool	xk_send_active_locked(void);
bool	xk_send_held_out_locked(struct __mbuf *m, struct __ifnet *ifp);
/* The send.* counters, for xkpi_stats(). */
void	xk_send_stats_rows_locked(void (*row)(void *ctx, const char *name,
	    uint64_t value), void *ctx);
/* Tests: counters to 0, held messages forgotten. */
void	xk_send_reset(void);

/*
 * The interface for @dst: an attached interface's prefix first, then, on
 * a host backend, the host's routing table.  NULL when neither has one.
 */
struct __ifnet *xk_ip_route_locked(int family, const void *dst);

/* Sends a complete IPv6 packet out of @ifp (NULL: by the route). */
int	xk_ip6_output_locked(struct __mbuf *m, struct __ifnet *ifp);

/*
 * Fragmentation and reassembly (core/ip_frag.c).  Every function here
 * needs the core lock, except open, close and the test hooks.
 */
#define XK_IPFRAG_MAXPACKETS	64	/* queues per family (maxfragpackets) */
#define XK_IPFRAG_MAXFRAGS	16	/* fragments per queue */
#define XK_IPFRAG_TIMEOUT_MS	30000	/* ipfragttl: 60 half-seconds */

/*
 * Cuts the complete IPv4 packet @m (network byte order) into fragments
 * that fit @mtu, as ip_output does, and hands them back as a list linked
 * by m_nextpkt in *@listp.  @m is consumed whatever the result.
 * EMSGSIZE: IP_DF is set or the MTU holds no 8 data bytes (counted in
 * ips_cantfrag); ENOBUFS: no memory (ips_odropped).
 */
int	xk_ip_fragment_locked(struct __mbuf *m, size_t mtu,
	    struct __mbuf **listp);
/*
 * The same for IPv6 (RFC 8200 4.5): a Fragment header after the
 * unfragmentable part.  EMSGSIZE also for a packet that already carries
 * a Fragment header.
 */
int	xk_ip6_fragment_locked(struct __mbuf *m, size_t mtu,
	    struct __mbuf **listp);
/*
 * Queues the checked IPv4 fragment @m (header length @hlen, network
 * order); consumes it.  Returns the reassembled packet once complete
 * (ip_off 0, ip_len and checksum new, header length in *@hlenp), else
 * NULL.
 */
struct __mbuf *xk_ip_reass_locked(struct __mbuf *m, size_t hlen,
	    size_t *hlenp);
/*
 * Queues the checked IPv6 fragment @m, whose header walk is @h; consumes
 * it.  Returns the reassembled packet once complete (Fragment header
 * removed, the header before it naming what followed it, payload length
 * new), else NULL.
 */
struct __mbuf *xk_ip6_reass_locked(struct __mbuf *m,
	    const struct xk_ip6_hdrs *h);
/* The expiry timer on @base (xk_engine_open), and teardown of it all. */
int	xk_ip_frag_open(struct event_base *base);
void	xk_ip_frag_close(void);
/* Test hooks: the queue lifetime (0: the default), and queues held. */
void	xk_ip_frag_set_timeout_ms(unsigned int ms);
unsigned int xk_ip_frag_queues(void);

/* Raw IPv4 (core/raw_ip.c) and IPv6 (core/raw_ip6.c). */
void	xk_rip_input_locked(struct __mbuf *m, size_t hlen);
void	xk_rip6_input_locked(struct __mbuf *m, uint8_t nxt, size_t off);

#endif /* _XK_CORE_IP_VAR_H_ */
