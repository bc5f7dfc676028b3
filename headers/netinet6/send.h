/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header netinet6/send.h
 * @abstract SeND sockets: pass IPv6 Neighbor Discovery through a Secure
 *     Neighbor Discovery (RFC 3971) daemon.
 * @discussion A SeND socket gives one daemon the Neighbor Discovery
 *     messages of the host, incoming and outgoing, so that it can verify
 *     or sign them, and takes them back to continue on their way.  The
 *     semantics are those of send(4) on FreeBSD (XNU has no SeND socket).
 *     On the host's own traffic the messages are really taken out of the
 *     path (the nfqueue backend holds them), not copied.  With no
 *     daemon, Neighbor Discovery flows on untouched.
 *
 *     <b>Where it works.</b> On the `nfqueue` backend, for the host's
 *     own Neighbor Discovery: the messages reach the library through
 *     the queues the user's ip6tables rules fill (ICMPv6 types 133 to
 *     137 on INPUT and OUTPUT; the rules are on the backend notes page),
 *     and each stays held by the host until the daemon answers it.  On
 *     `mem`, between the engine's input and its raw ICMPv6 sockets, and
 *     between those sockets and output.  On `linux` and `pcap`, which
 *     only see copies, creating the socket fails with EPROTONOSUPPORT.
 *
 *     <b>Creating.</b>
 *     `sock_socket(PF_INET6, SOCK_RAW, IPPROTO_SEND, cb, cookie, &so)`.
 *     There is at most one SeND socket at a time: while one exists,
 *     creating another fails with EEXIST (send(4) describes the case as a
 *     second daemon trying to bind); one being closed no longer counts.
 *     Creation without privilege fails with EPERM, and when no attached
 *     backend can intercept packets with EPROTONOSUPPORT (checked first,
 *     as FreeBSD without send.ko).  Closing the socket stops the
 *     diversion at once.  Only sending and receiving are implemented:
 *     binding, connecting, listening, accepting and getting the
 *     socket's name fail with EOPNOTSUPP, shutting it down with
 *     ENOTCONN (it is never connected), and options of levels other
 *     than SOL_SOCKET with ENOPROTOOPT.
 *
 *     <b>Reading.</b> Each message is a complete IPv6 packet, starting at
 *     the IPv6 header, without link-layer header.  The address returned
 *     with it (`msg_name` of sock_receive()) is a struct sockaddr_send
 *     that gives the direction and the interface:
 *     - SND_IN: Router Solicitation, Router Advertisement, Neighbor
 *       Solicitation, Neighbor Advertisement and Redirect messages
 *       (ICMPv6 types 133 to 137) received by the host, after the checks
 *       FreeBSD's icmp6_input makes before its hook: the ICMPv6 checksum,
 *       code 0 and the type's minimum length.  A message failing them is
 *       not diverted (counted in `send.invalid`): it goes on, for the
 *       host's own ND and the raw sockets to refuse.  The hop limit of
 *       255 is ND's own check, made after the write-back: the daemon sees
 *       such messages.  A message with extension headers before its
 *       ICMPv6 header is diverted too, as on FreeBSD.  On `mem` a message
 *       is diverted when it is addressed to this host (one of its
 *       addresses, or multicast).  Until the daemon writes the message
 *       back, the host has not processed it, and raw ICMPv6 sockets do
 *       not see it.
 *     - SND_OUT: Router Solicitation, Router Advertisement, Neighbor
 *       Solicitation, Neighbor Advertisement and Redirect messages the
 *       host sends (on `nfqueue`: those its OUTPUT rules queue, whoever
 *       built them; Linux's kernel sends NS, NA and RS itself), and
 *       those written on the engine's raw ICMPv6 sockets, taken just
 *       before they leave the interface (after the rule table, before
 *       fragmentation).
 *
 *     A message that arrives while the receive buffer (9216 bytes) is full
 *     is dropped and counted (`send.full`); a held one gets the drop
 *     verdict.
 *
 *     <b>Writing back.</b> sock_send() or sock_sendmbuf() with the
 *     complete IPv6 packet and a struct sockaddr_send as destination
 *     (none: EDESTADDRREQ).  A message longer than the send buffer
 *     (8352 bytes) fails with EMSGSIZE; an interface index that names no
 *     interface with ENETUNREACH; a direction other than SND_IN and
 *     SND_OUT with EINVAL; and so does a packet shorter than an IPv6
 *     header, of another version, or shorter than its payload length
 *     says (bytes past it are cut).  No mbuf for the message: ENOBUFS.
 *     Every write-back that reaches the protocol and fails is counted in
 *     `send.refused`.
 *
 *     A diverted message the host holds (on `nfqueue`, every one) is
 *     answered by the one written back: the same mbuf (sock_receivembuf(), then
 *     sock_sendmbuf()) by the hold id it carries; other bytes by
 *     direction, `send_ifidx`, source and destination addresses, ICMPv6
 *     type and target address (NS, NA and Redirect), the oldest first.
 *     The answer becomes the held message's verdict, with the daemon's
 *     bytes (`send.answered`).  A message nobody answers (the daemon
 *     dropped it) is dropped by the backend after its hold bound
 *     (`XKPI_NFQUEUE_HOLD_MS`, counted in `be.nfqueue.held_expired`);
 *     this table forgets it after four times the default bound, when
 *     1024 newer ones are held, or when the socket closes
 *     (`send.forgotten`).
 *     - SND_IN: the ICMPv6 header must follow the 40-byte IPv6 header
 *       directly (no extension headers), and its type be 133 to 137:
 *       else ENOSYS; a packet too short for the ICMPv6 header fails with
 *       EINVAL.  The message then goes to the host as received by
 *       `send_ifidx`: the verdict of the held message it answers, and
 *       the engine's raw ICMPv6 sockets get it as any received message
 *       (they check its checksum, and so does the host's ND after a
 *       verdict with new bytes: the daemon leaves it right).  A message
 *       that answers none is new: on `mem` it goes on to the raw
 *       sockets; on `nfqueue` the host cannot be given a new message as
 *       received on an interface, and it fails with ENOENT
 *       (`send.unmatched_in`).
 *     - SND_OUT: a message that answers a held one leaves with its
 *       verdict; any other leaves `send_ifidx` directly, through the
 *       backend, to the IPv6 destination of its header, bypassing IPv6
 *       output: the daemon must leave the payload length and the ICMPv6
 *       checksum right after adding its options, and nothing is
 *       fragmented.  The backend refusing it fails with ENOENT
 *       (`send.oerrors`; on `nfqueue` only what fails at once: the
 *       output queue full).
 *
 *     A message written back is not diverted again.
 *
 *     <b>Counters</b> (xkpi_stats(), `xkpi-stat`): `send.in`,
 *     `send.out` (messages given to the socket), `send.invalid`,
 *     `send.full`, `send.nomem` (no mbuf for the address: dropped),
 *     `send.wrote_in`, `send.wrote_out`, `send.answered`,
 *     `send.refused`, `send.unmatched_in`, `send.oerrors`,
 *     `send.forgotten`.
 */
#ifndef _XKPI_NETINET6_SEND_H_
#define _XKPI_NETINET6_SEND_H_

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#ifndef IPPROTO_SEND
/*!
 * @abstract The protocol number of SeND sockets.
 * @discussion FreeBSD's value, a pseudo-protocol that never appears in a
 *     packet; Linux assigns nothing to it.
 */
#define	IPPROTO_SEND	259
#endif

/*! @abstract Direction: a message the host sends. */
#define	SND_OUT		0
/*! @abstract Direction: a message the host receives. */
#define	SND_IN		1

/*!
 * @abstract The address of a SeND message: its direction and interface.
 * @discussion 20 bytes, with `send_direction`, `send_ifidx` and
 *     `send_zero` at the same offsets as FreeBSD's structure.  The
 *     difference is the start: FreeBSD has a one-byte `send_len` (20)
 *     followed by a one-byte family, where Linux has no length byte and a
 *     16-bit `sa_family_t`; here the family takes the first two bytes and
 *     two bytes of padding follow.  Code that set `send_len` drops the
 *     assignment, or wraps it in a test of `__FreeBSD__`.
 *
 *     Zero the whole structure before filling it in.
 */
struct sockaddr_send {
	sa_family_t	send_family;	/*!< AF_INET6. */
	uint16_t	send_pad;	/*!< Padding; zero. */
	int		send_direction;	/*!< SND_IN or SND_OUT. */
	int		send_ifidx;	/*!< Index of the interface that
					     received or sends the message:
					     for a host interface, the index
					     if_nametoindex() gives. */
	char		send_zero[8];	/*!< Zero. */
};

#if (defined(__cplusplus) && __cplusplus >= 201103L) || \
    (!defined(__cplusplus) && defined(__STDC_VERSION__) && \
    __STDC_VERSION__ >= 201112L)
#ifdef __cplusplus
#define	__XKPI_SEND_CHECK(expr)	static_assert(expr, #expr)
#else
#define	__XKPI_SEND_CHECK(expr)	_Static_assert(expr, #expr)
#endif
__XKPI_SEND_CHECK(sizeof(struct sockaddr_send) == 20);
__XKPI_SEND_CHECK(offsetof(struct sockaddr_send, send_family) == 0);
__XKPI_SEND_CHECK(offsetof(struct sockaddr_send, send_direction) == 4);
__XKPI_SEND_CHECK(offsetof(struct sockaddr_send, send_ifidx) == 8);
__XKPI_SEND_CHECK(offsetof(struct sockaddr_send, send_zero) == 12);
#undef __XKPI_SEND_CHECK
#endif

#endif /* _XKPI_NETINET6_SEND_H_ */
