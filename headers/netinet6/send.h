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
 *     path (the nfqueue backend intercepts them), not copied.  With no
 *     daemon, Neighbor Discovery flows on untouched.
 *
 *     <b>Status: not built yet.</b> In this release SeND sockets and the
 *     nfqueue backend do not exist:
 *     `sock_socket(PF_INET6, SOCK_RAW, IPPROTO_SEND, ...)` fails with
 *     EPROTONOSUPPORT on every backend.  This header defines the constants
 *     and struct sockaddr_send, and describes the semantics the library is
 *     being built to; code written to it compiles today.
 *
 *     <b>Creating.</b>
 *     `sock_socket(PF_INET6, SOCK_RAW, IPPROTO_SEND, cb, cookie, &so)`.
 *     There is at most one SeND socket at a time: while one exists,
 *     creating another fails with EEXIST (send(4) describes the case as a
 *     second daemon trying to bind).  Creation without privilege fails with
 *     EPERM, and when no attached backend can intercept packets with
 *     EPROTONOSUPPORT.  Closing the socket stops the diversion.  Only
 *     sending and receiving are implemented: binding, connecting,
 *     listening and the like fail with EOPNOTSUPP.
 *
 *     <b>Reading.</b> Each message is a complete IPv6 packet, starting at
 *     the IPv6 header, without link-layer header.  The address returned
 *     with it (`msg_name` of sock_receive()) is a struct sockaddr_send
 *     that gives the direction and the interface:
 *     - SND_IN: Router Solicitation, Router Advertisement, Neighbor
 *       Solicitation, Neighbor Advertisement and Redirect messages
 *       (ICMPv6 types 133 to 137) received by the host.  Until the daemon
 *       writes the message back, the host has not processed it, and raw
 *       ICMPv6 sockets never see it.
 *     - SND_OUT: Neighbor Solicitation, Neighbor Advertisement and
 *       Redirect messages the host sends, and Router Advertisements and
 *       Solicitations written on ICMPv6 raw sockets, taken just before they
 *       leave the interface.
 *
 *     A message that arrives while the receive buffer (9216 bytes) is full
 *     is dropped and counted.
 *
 *     <b>Writing back.</b> sock_send() or sock_sendmbuf() with the
 *     complete IPv6 packet and a struct sockaddr_send as destination
 *     (none: EDESTADDRREQ).  A message longer than the send buffer
 *     (8352 bytes) fails with EMSGSIZE; an interface index that names no
 *     interface with ENETUNREACH; a direction other than SND_IN and
 *     SND_OUT with EINVAL.
 *     - SND_IN: the ICMPv6 header must follow the 40-byte IPv6 header
 *       directly (no extension headers); the message goes to the host's
 *       Neighbor Discovery input as if received by `send_ifidx`, without a
 *       second checksum check.  An ICMPv6 type other than 133 to 137
 *       fails with ENOSYS; a packet too short for the headers with
 *       ENOBUFS.
 *     - SND_OUT: the packet leaves `send_ifidx` directly, to the IPv6
 *       destination of its header, bypassing IPv6 output: the daemon must
 *       leave the payload length and the ICMPv6 checksum right after
 *       adding its options, and nothing is fragmented.  A packet too short
 *       for the IPv6 header fails with ENOBUFS, a failed output with
 *       ENOENT.
 *
 *     A message written back is not diverted again.
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
