/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header netinet/ip_divert.h
 * @abstract Divert sockets: take IPv4 packets out of the packet path, and
 *     put them back, through a socket.
 * @discussion A divert socket gives a daemon (a NAT daemon in the style of
 *     natd, a filter, a traffic shaper) the IPv4 packets that a rule of
 *     the library's rule table sends to its divert port, and lets it write
 *     them back, changed or not, in either direction.  The semantics are
 *     those of divert(4) on the BSDs, which XNU carried until macOS 10.15.
 *     On the host's own traffic the packets are really taken out of the
 *     path (the nfqueue backend intercepts them), not copied.
 *
 *     <b>Where divert sockets work.</b> On the `nfqueue` backend, on the
 *     host's real traffic: the packets the host's netfilter rules queue
 *     (the rules are in the backend notes, @ref backends) pass the rule table
 *     (<xkpi_fw.h>), and a packet a `divert` rule takes stays held by the
 *     host's kernel while the daemon has it.  On the `mem` backend, on
 *     the engine's own input and output, deterministically: for tests,
 *     and for users' tests.  The `linux` and `pcap` backends see copies
 *     of the host's traffic, which cannot be taken out of its path:
 *     there `sock_socket(PF_INET, SOCK_RAW, IPPROTO_DIVERT, ...)` fails
 *     with EPROTONOSUPPORT.  Divert sockets carry IPv4 only: an IPv6
 *     packet that meets a `divert` or `tee` rule goes on to the next
 *     rule, counted in `ip6.fw.divertskipped`.
 *
 *     <b>Creating and binding.</b>
 *     `sock_socket(PF_INET, SOCK_RAW, IPPROTO_DIVERT, cb, cookie, &so)`
 *     needs privilege (EPERM otherwise) and a backend that can intercept
 *     packets (EPROTONOSUPPORT otherwise).  The socket is always connected,
 *     so it can send without a destination.  Binding chooses the divert
 *     port: only `sin_port` of the `struct sockaddr_in` counts, the
 *     address is taken as INADDR_ANY.  A family other than AF_INET gives
 *     EAFNOSUPPORT, a port already bound EADDRINUSE, a second bind EINVAL,
 *     port 0 an ephemeral port.  sock_connect(), sock_listen() and
 *     sock_accept() fail with EOPNOTSUPP.
 *
 *     <b>Reading.</b> Each packet is a complete IPv4 packet starting at
 *     the IP header, with `ip_len` and `ip_off` in network byte order
 *     (unlike a raw IPv4 socket, whose reader gets them in host order).
 *     Incoming fragments are reassembled first.  The IP checksum of an
 *     outgoing packet may not be valid yet.  The source address returned
 *     with the packet (`msg_name` of sock_receive(), a
 *     `struct sockaddr_in`) describes it:
 *     - `sin_port` is the cookie: the number of the rule that diverted the
 *       packet.  Treat it as opaque and hand it back unchanged when
 *       writing the packet back.
 *     - `sin_addr` is the first IPv4 address of the interface that
 *       received the packet, or 0.0.0.0 for an outgoing packet.
 *     - `sin_zero` holds the name of the receiving interface, when there
 *       is one, truncated to 7 characters and NUL-terminated.
 *
 *     A `divert` rule takes the packet out of the path; a `tee` rule gives
 *     the socket the packet and lets a copy continue at the next rule, so
 *     a tee'd packet written back is a duplicate.  A packet diverted to a
 *     port no socket is bound to, or arriving at a full receive buffer, is
 *     dropped and counted in a named drop counter; no error goes to
 *     anyone.
 *
 *     <b>Writing back.</b> sock_send() or sock_sendmbuf() with a complete
 *     IPv4 packet, `ip_len` and `ip_off` in network byte order, and the
 *     address as read:
 *     - no address, or `sin_addr` 0.0.0.0: the packet goes out, as if
 *       sent by the host; its IP checksum is recomputed.
 *     - any other `sin_addr`: the packet comes in, as if received by the
 *       interface named in `sin_zero` or, when the name is empty or names
 *       no interface, by the interface that owns `sin_addr`.  (A Linux
 *       interface name longer than 7 characters arrives truncated, so the
 *       address decides for it.)  An incoming packet with a bad checksum
 *       is dropped.
 *
 *     `sin_port` gives the rule after which processing resumes (0: from
 *     the start of the rule table).  Errors: EINVAL when the packet is
 *     shorter than an IP header, is not IPv4, has a header length under
 *     20 or an `ip_len` shorter than its header or longer than the data,
 *     when the header has options while the socket has IP options set
 *     (IP_OPTIONS, the one socket option at IPPROTO_IP), or when the
 *     address is not a `struct sockaddr_in`; EADDRNOTAVAIL when no
 *     interface matches an incoming packet's name or address; ENOBUFS
 *     when memory runs out; EACCES when the packet goes out and a `deny`
 *     rule after the cookie takes it.  Bytes past `ip_len` are cut off.
 *     Control data is ignored.
 *
 *     <b>Answering a held packet.</b> On `nfqueue` the packet written
 *     back answers the held packet it came from, and becomes the host's
 *     verdict on it: the host's packet goes on with the new bytes from
 *     where the host held it, keeping its netfilter hook, interface and
 *     connection-tracking state.  The written packet is matched to the
 *     held one by its mbuf, when sock_receivembuf() read it and
 *     sock_sendmbuf() wrote it back, and otherwise by direction, cookie,
 *     IP identification and protocol (the oldest such held packet), so
 *     keep `ip_id` when rewriting.  A packet that answers no held packet
 *     is new: outward it is sent as the library sends raw packets;
 *     inward it is sent to the host through a raw socket, so that the
 *     host receives it on its loopback interface when it is for the host
 *     and routes it on otherwise.  A held packet the daemon never answers
 *     (it ate it) is dropped by the backend after its bound and counted
 *     there.  A packet a `tee` rule copied is never held: written back,
 *     it is new, a duplicate.
 *
 *     <b>Counters</b> (xkpi_stats()): `div.in`, `div.out` (packets given
 *     to a socket), `div.noport` (no socket on the port), `div.full`
 *     (receive buffer full), `div.nomem` (no memory for a tee's copy),
 *     `div.wrote_in`, `div.wrote_out`, `div.answered` (written packets
 *     that answered a held one), `div.forgotten` (held packets never
 *     answered, forgotten by the matcher after four times the backend's
 *     default hold bound (8 s), or when 4096 newer ones are held).
  */
#ifndef _XKPI_NETINET_IP_DIVERT_H_
#define _XKPI_NETINET_IP_DIVERT_H_

#include <netinet/in.h>

#ifndef IPPROTO_DIVERT
/*!
 * @abstract The protocol number of divert sockets.
 * @discussion XNU's value, and FreeBSD's before it moved divert to 258
 *     (keeping 254 as IPPROTO_OLD_DIVERT).  Linux assigns nothing to
 *     254, which IANA reserves for experiments; the number never appears
 *     in a packet.
 */
#define	IPPROTO_DIVERT	254
#endif

/*!
 * @abstract The send-buffer size of a divert socket, in bytes.
 * @discussion Room for the largest IPv4 packet (65535 bytes) plus its
 *     address: a write back of any packet fits.  SO_SNDBUF changes it.
 */
#define	DIVSNDQ		(65536 + 100)

/*!
 * @abstract The receive-buffer size of a divert socket, in bytes.
 * @discussion Packets that arrive while this much is queued are dropped
 *     and counted.  SO_RCVBUF changes it.
 */
#define	DIVRCVQ		(65536 + 100)

#endif /* _XKPI_NETINET_IP_DIVERT_H_ */
