/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header netinet/kpi_ipfilter.h
 * @abstract IP filters: callbacks that see every IPv4 or IPv6 packet in
 *     and out, as XNU's IP filter KPI gives them to kexts.
 * @discussion An IP filter is attached with ipf_addv4() or ipf_addv6().
 *     Its input function sees each packet the engine receives for this
 *     host, its output function each packet that leaves, as an mbuf chain
 *     starting at the IP header, every field in network byte order.  A
 *     filter may let the packet go on (changed or not), take it, or drop
 *     it; a packet it took can be put back later with ipf_inject_input()
 *     or ipf_inject_output().  The behaviour is that of XNU's
 *     `bsd/netinet/kpi_ipfilter.c`, described here in full.
 *
 *     <b>Where filters run.</b> On the `nfqueue` backend, on the host's
 *     real traffic: the packets the host's netfilter rules queue (the
 *     rules are in the backend notes, @ref backends).  Input filters see
 *     the packets the host receives for itself (PREROUTING and INPUT
 *     hooks, destination an address of this host, broadcast or
 *     multicast); output filters see the packets the host sends (OUTPUT
 *     and POSTROUTING hooks, forwarded ones included).  A packet being
 *     forwarded is not seen on input, as in XNU.  While a filter has a
 *     packet, the host's kernel holds it.  On the `mem` backend, on the
 *     engine's own input and output, deterministically.  On `linux` and
 *     `pcap`, which see copies of the host's traffic, filters see the
 *     copies the engine receives and the packets the engine's raw
 *     sockets send; what they decide about a copy changes nothing for
 *     the host.
 *
 *     <b>Order.</b> ipf_addv4() and ipf_addv6() put the new filter at the
 *     head of its list, so the filter attached last runs first (XNU's
 *     code does this, whatever its header once said).  Input filters run
 *     after reassembly (they never see a fragment) and after the rule
 *     table of <xkpi_fw.h>; output filters run after the route and the
 *     source address are chosen, before the rule table and before
 *     fragmentation.  An IPv4 input filter is called once, with the
 *     header length as offset and `ip_p` as protocol.  An IPv6 input
 *     filter is called once per header after the hop-by-hop options, as
 *     XNU walks them: for a routing header, a destination options header
 *     or an AH, with its offset and type, and last for the upper-layer
 *     header.
 *
 *     <b>What a callback returns.</b> 0: the packet goes on, with what the
 *     filter changed (it may replace the chain through the `mbuf_t *`).
 *     EJUSTRETURN: the filter owns the packet and the engine forgets it;
 *     the filter frees it or injects it later.  On `nfqueue` the host
 *     holds the packet meanwhile, for at most the backend's bound; an
 *     injected packet answers the held one and becomes the host's
 *     verdict, as a divert socket's write-back does (ip_divert.h).  Any
 *     other value: the engine frees the packet, and the host drops it.
 *     Each outcome is counted in xkpi_stats(): `ipf.in.taken`,
 *     `ipf.out.taken`, `ipf.in.dropped`, `ipf.out.dropped`,
 *     `ipf.inject.in`, `ipf.inject.out`, `ipf.inject.failed`.
 *
 *     <b>Threads and locks.</b> Callbacks run without any lock of the
 *     library held, as upcalls do: input callbacks on the library's
 *     event-loop thread (or on the thread that writes a packet back on a
 *     divert socket), output callbacks on the thread that sends (the
 *     loop thread for the host's own packets, the caller's for the
 *     engine's raw sockets).  A callback may call any function of the
 *     library that does not block: the mbuf KPI, the interface KPI,
 *     ipf_inject_input(), ipf_inject_output(), ipf_remove() (of itself
 *     too), and non-blocking socket calls.
 *
 *     <b>Detaching.</b> ipf_remove() stops new calls of the filter at
 *     once.  Its `ipf_detach` function runs once no callback of any
 *     filter is running any more: at once when none is, else when the
 *     last running one returns, on that thread.  After `ipf_detach`, the
 *     library never touches the filter again.
 */
#ifndef _XKPI_NETINET_KPI_IPFILTER_H_
#define _XKPI_NETINET_KPI_IPFILTER_H_

#include <stdint.h>

#include <sys/kernel_types.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef EJUSTRETURN
/*!
 * @abstract "Processing stops here; the packet was not freed."
 * @discussion XNU's value.  Returned by a filter that took a packet;
 *     Linux defines no such error, so the number collides with nothing.
 */
#define	EJUSTRETURN	(-2)
#endif

/*!
 * @abstract Options of an outgoing packet, for ipf_inject_output().
 */
struct ipf_pktopts {
	uint32_t	ippo_flags;	/*!< IPPOF_* flags: which fields
					     count. */
	ifnet_t		ippo_mcast_ifnet; /*!< With IPPOF_MCAST_OPTS: the
					     interface a multicast packet
					     leaves by (NULL: the route's). */
	int		ippo_mcast_loop; /*!< With IPPOF_MCAST_OPTS: ignored;
					     the library never loops an
					     injected multicast packet back. */
	uint8_t		ippo_mcast_ttl;	/*!< With IPPOF_MCAST_OPTS: the TTL
					     (IPv4) or hop limit (IPv6)
					     written into a multicast
					     packet. */
};

/*! @abstract The multicast fields of struct ipf_pktopts count. */
#define	IPPOF_MCAST_OPTS	0x1

/*! @abstract A pointer to struct ipf_pktopts. */
typedef struct ipf_pktopts *ipf_pktopts_t;

/*!
 * @typedef ipf_input_func
 * @abstract Filters an incoming packet.
 * @param cookie The filter's cookie.
 * @param data The packet, from its IP header; the filter may replace the
 *     chain.  Its receive interface is mbuf_pkthdr_rcvif().
 * @param offset The offset of the header `protocol` names.
 * @param protocol That header's type (IPPROTO_TCP, IPPROTO_ROUTING, ...).
 * @result 0, EJUSTRETURN, or an error (the packet is dropped).
 */
typedef errno_t (*ipf_input_func)(void *cookie, mbuf_t *data, int offset,
    uint8_t protocol);

/*!
 * @typedef ipf_output_func
 * @abstract Filters an outgoing packet.
 * @param cookie The filter's cookie.
 * @param data The packet, from its IP header; the filter may replace the
 *     chain.
 * @param options The packet's output options (none here: always NULL).
 * @result 0, EJUSTRETURN, or an error (the packet is dropped).
 */
typedef errno_t (*ipf_output_func)(void *cookie, mbuf_t *data,
    ipf_pktopts_t options);

/*!
 * @typedef ipf_detach_func
 * @abstract Tells the filter that it is detached: no callback runs any
 *     more.
 * @param cookie The filter's cookie.
 */
typedef void (*ipf_detach_func)(void *cookie);

/*!
 * @abstract An IP filter, given to ipf_addv4() or ipf_addv6() (copied).
 */
struct ipf_filter {
	void		*cookie;	/*!< Passed to every function of the
					     filter. */
	const char	*name;		/*!< A name, for logs; required. */
	ipf_input_func	 ipf_input;	/*!< The input function, or NULL. */
	ipf_output_func	 ipf_output;	/*!< The output function, or NULL
					     (not both). */
	ipf_detach_func	 ipf_detach;	/*!< Called once after ipf_remove(),
					     or NULL. */
};

struct opaque_ipfilter;
/*! @abstract An attached filter, as ipf_addv4() and ipf_addv6() return it. */
typedef struct opaque_ipfilter *ipfilter_t;

/*!
 * @function ipf_addv4
 * @abstract Attaches an IPv4 filter at the head of the IPv4 list.
 * @param filter The filter; copied.
 * @param filter_ref Receives the reference ipf_remove() and the inject
 *     calls take.
 * @discussion The first call starts the library from the environment
 *     when nothing started it, as a kext's start function expects.
 * @result 0; EINVAL when a pointer, the name or both functions are NULL;
 *     ENOMEM when memory runs out; the error of starting the library
 *     when it cannot start.
 */
extern errno_t ipf_addv4(const struct ipf_filter *filter,
    ipfilter_t *filter_ref);

/*!
 * @function ipf_addv6
 * @abstract Attaches an IPv6 filter at the head of the IPv6 list.
 * @param filter The filter; copied.
 * @param filter_ref Receives its reference.
 * @result As ipf_addv4().
 */
extern errno_t ipf_addv6(const struct ipf_filter *filter,
    ipfilter_t *filter_ref);

/*!
 * @function ipf_remove
 * @abstract Detaches a filter (see "Detaching" above).
 * @param filter_ref The filter.
 * @result 0; EINVAL for NULL; ENOENT for a filter not attached (removed
 *     already).
 */
extern errno_t ipf_remove(ipfilter_t filter_ref);

/*!
 * @function ipf_inject_input
 * @abstract Puts a packet into the input path, just after reassembly.
 * @discussion With a filter reference, the filters up to and including
 *     that one are skipped: the packet resumes after the injecting filter
 *     and never re-enters it.  With NULL every filter runs (do that after
 *     changing the packet, so that the others see the change).  The
 *     packet's receive interface (mbuf_pkthdr_setrcvif()) is the one it
 *     arrives on; with none and a NULL reference, the loopback interface
 *     when one is attached, and the IPv4 header checksum is recomputed,
 *     as XNU does.  The packet then goes through the rule table and on
 *     to the sockets.  Runs the filters on the calling thread.
 * @param data The complete packet, IP header first, network byte order.
 * @param filter_ref The injecting filter, or NULL.
 * @result 0, and the packet is the library's; ENOTSUP when it is neither
 *     IPv4 nor IPv6 and EINVAL for a NULL packet: the packet is still
 *     the caller's to free, as in XNU.
 */
extern errno_t ipf_inject_input(mbuf_t data, ipfilter_t filter_ref);

/*!
 * @function ipf_inject_output
 * @abstract Puts a packet into the output path, as if just handed to IP
 *     output.
 * @discussion Filter references work as for ipf_inject_input().  The
 *     packet is routed by its destination (ENETUNREACH without a route),
 *     goes through the remaining filters and the rule table, and is sent.
 *     On `nfqueue`, a packet that answers one the host holds becomes its
 *     verdict instead.
 * @param data The complete packet, IP header first, network byte order.
 * @param filter_ref The injecting filter, or NULL.
 * @param options Multicast options (IPPOF_MCAST_OPTS), or NULL.
 * @result 0; ENOTSUP for a packet neither IPv4 nor IPv6; EINVAL for a
 *     NULL packet or one shorter than its header; ENETUNREACH without a
 *     route; any error of sending.  The packet is always consumed.
 */
extern errno_t ipf_inject_output(mbuf_t data, ipfilter_t filter_ref,
    ipf_pktopts_t options);

#ifdef __cplusplus
}
#endif

#endif /* _XKPI_NETINET_KPI_IPFILTER_H_ */
