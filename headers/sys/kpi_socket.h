/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header sys/kpi_socket.h
 * @abstract The XNU socket KPI: sockets driven from code written for a
 *     kernel extension, with upcalls, events and mbuf data.
 * @discussion Every function has XNU's prototype, so socket code from a
 *     network kernel extension compiles unchanged, and behaves as XNU's
 *     does, except where a paragraph headed "Difference from XNU" says
 *     otherwise (all of them are collected in @ref deviations).  The
 *     functions XNU keeps private to the kernel (KERNEL_PRIVATE) are
 *     declared here too, for every caller.
 *
 *     <b>Return values.</b> A function returning `errno_t` returns 0 or a
 *     positive Linux errno value; none returns -1 or sets `errno`.  Where
 *     XNU dereferences a NULL argument and crashes, xkpi returns EINVAL
 *     instead (0 from the predicates that return `int`, NULL from
 *     sock_getlistener()).  Blocking calls wait on a condition variable
 *     and are not interrupted by signals, so XNU's EINTR and ERESTART
 *     cases never arise.  On Linux ENOTSUP and EOPNOTSUPP are the same
 *     value (95).
 *
 *     <b>Constants.</b> Names that glibc defines (`MSG_DONTWAIT`,
 *     `SOL_SOCKET`, `SO_RCVBUF`, `IP_HDRINCL`, `SHUT_RD`, `FIONBIO`,
 *     `AF_INET6` ...) keep glibc's values and get XNU's meaning from the
 *     library.  Names that only Darwin has are defined below with values
 *     that collide with nothing glibc or Linux defines.  Each is guarded
 *     with `ifndef`; if a later glibc defines one of them with another
 *     value, a static assertion at the end of this header stops the
 *     build instead of letting the two values mix silently.
 *
 *     <b>Socket addresses.</b> Linux has no `sa_len`.  Wherever XNU reads
 *     the length of a `struct sockaddr` from `sa_len`, xkpi takes it from
 *     the family: 16 bytes (`sizeof(struct sockaddr_in)`) for AF_INET,
 *     28 (`sizeof(struct sockaddr_in6)`) for AF_INET6 and
 *     `sizeof(struct sockaddr_un)` for AF_UNIX (AF_LOCAL).  An address of
 *     any other family is refused with EAFNOSUPPORT.  The protocol then
 *     applies XNU's own checks, so a raw IPv4 socket given an AF_INET6
 *     address fails with EINVAL exactly as it would on XNU when `sa_len`
 *     is not 16.  Addresses copied out are truncated to the caller's
 *     length; the caller learns the real length from the family.  A file
 *     built with the kext include set (`pkg-config --cflags xkpi-kext`)
 *     has BSD's addresses instead, with `sa_len`, and calls entry points
 *     that convert: see kext/xkpi_kext.h.
 *
 *     <b>Threads and upcalls.</b> The library runs one event-loop thread
 *     that owns all I/O.  Read and write upcalls (#sock_upcall) and event
 *     callbacks (#sock_evupcall) run on that thread, without the
 *     library's core lock held, and never from inside a KPI call made by
 *     the application.  They are hints: a read upcall can come when
 *     there is nothing to read, so the upcall receives with MSG_DONTWAIT
 *     until the call fails with EWOULDBLOCK.  The `waitf` argument of an
 *     upcall is always MBUF_DONTWAIT (1) and can be passed to the mbuf
 *     functions as their `how`.  Inside an upcall every KPI function may
 *     be called, on any socket including the upcall's own, and none of
 *     them waits: where a call would block on another thread it returns
 *     EWOULDBLOCK (EINPROGRESS for a connect) instead.  A receive there
 *     that finds the buffer empty first reads what the host socket
 *     already holds, since the loop thread that would have filled the
 *     buffer is busy running the upcall; so, as on XNU, data that arrived
 *     while the upcall ran is seen by it.  Because there is
 *     one loop thread, upcalls never run concurrently with each other in
 *     xkpi, whereas XNU may run them on several threads at once; code
 *     meant to run on both should not rely on this.
 *
 *     <b>Which upcalls the single-callback functions install.</b>
 *     sock_socket(), sock_accept() and sock_setupcall() take one
 *     callback.  XNU on x86_64 installs it on the read side only; XNU on
 *     arm64 (Apple silicon, and every embedded build) installs it on both
 *     the read and the write side, so the same kext sees extra, often
 *     spurious, write-side calls there.  xkpi behaves like x86_64 by
 *     default; the `upcall_mode` field of struct xkpi_config (see
 *     xkpi.h) selects the arm64 behaviour at run time.
 *     sock_setupcalls() always installs exactly the two callbacks it is
 *     given, in either mode.
 *
 *     <b>Blocking.</b> Sockets are blocking when created.  FIONBIO through
 *     sock_ioctl() makes a socket non-blocking (sock_isnonblocking()
 *     reports it).  As in XNU, MSG_DONTWAIT makes sock_accept(),
 *     sock_connect(), sock_receive() and sock_receivembuf() non-blocking,
 *     but not the wait for send-buffer space in sock_send() and
 *     sock_sendmbuf(): only FIONBIO or MSG_NBIO avoid that one.  Waits
 *     honour SO_RCVTIMEO and SO_SNDTIMEO (EWOULDBLOCK on expiry) and end
 *     with EBADF if the socket is closed meanwhile.
 *
 *     <b>A socket used after it is closed.</b> Once sock_close() has
 *     closed a socket (or the last sock_release() has, for a retained
 *     one), its handle is dead, as in XNU.  Where XNU would use freed
 *     memory, every function here that takes a `socket_t` checks a word
 *     at the start of the socket first and hands a closed socket, a
 *     socket whose memory was freed, or a second sock_close() by its
 *     creator to the panic hook (xkpi_set_panic_hook() in xkpi.h), whose
 *     default prints and aborts.  When a hook returns, the call does
 *     nothing and fails with EBADF (returns 0, NULL or nothing where it
 *     returns no errno).  A freed socket's memory goes back to the heap
 *     only after 64 more sockets were freed (or at xkpi_shutdown()), so
 *     that the check finds memory that says "freed" rather than another
 *     socket; a handle kept past that is beyond the check.
 */
#ifndef _XKPI_SYS_KPI_SOCKET_H_
#define _XKPI_SYS_KPI_SOCKET_H_

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/kernel_types.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef __XKPI_BSD_ADDR
/*!
 * @abstract Nothing with the plain headers.
 * @discussion The kext include set (kext/xkpi_kext.h) defines it to bind
 *     the functions that take or return a socket address to entry points
 *     that convert BSD's layout.
 * @param fn The function's name.
 */
#define	__XKPI_BSD_ADDR(fn)
#endif

/*
 * Darwin-only message flags.  glibc's MSG_* keep glibc's values.
 */

#ifndef MSG_NBIO
/*!
 * @abstract Send flag: do not wait for send-buffer space.
 * @discussion Has the effect of FIONBIO for one call of sock_send(),
 *     sock_sendmbuf() or a receive function: the call returns EWOULDBLOCK
 *     instead of waiting.  Private in XNU.
 */
#define	MSG_NBIO	0x00200000
#endif

#ifndef MSG_HAVEMORE
/*!
 * @abstract Receive result flag: more data is queued on the socket.
 * @discussion Set in `msg_flags` on return; never needed as an input.
 */
#define	MSG_HAVEMORE	0x00400000
#endif

#ifndef MSG_RCVMORE
/*!
 * @abstract Receive result flag: the rest of a datagram was kept.
 * @discussion Set in `msg_flags` when the SO_DONTTRUNC option is on and a
 *     datagram did not fit the caller's buffer: the remainder stays queued
 *     for the next receive, instead of being dropped with MSG_TRUNC.
 */
#define	MSG_RCVMORE	0x00800000
#endif

#ifndef MSG_NEEDSA
/*!
 * @abstract Receive flag: fail when the source address cannot be stored.
 */
#define	MSG_NEEDSA	0x01000000
#endif

#ifndef MSG_EOF
/*!
 * @abstract Send flag: this data ends the transmission.
 * @discussion On a stream socket the send side is shut down once the data
 *     is queued, as a sock_shutdown() with SHUT_WR would; other protocols
 *     ignore the flag.
 */
#define	MSG_EOF		0x10000000
#endif

#ifndef MSG_USEUPCALL
/*!
 * @abstract sock_accept() flag: the accepted socket takes the listener's
 *     upcall.
 * @deviation XNU documents this flag but sock_accept() refuses it with
 *     ENOTSUP in every release.  xkpi implements what XNU documents; see
 *     sock_accept().
 */
#define	MSG_USEUPCALL	0x80000000U
#endif

/*
 * Darwin-only socket options (level SOL_SOCKET, glibc's value).
 */

#ifndef SO_NREAD
/*!
 * @abstract Socket option (get, int): bytes available to read.
 * @discussion For a datagram socket, the size of the first datagram.
 */
#define	SO_NREAD	0x1020
#endif

#ifndef SO_NOSIGPIPE
/*!
 * @abstract Socket option (int): do not raise SIGPIPE on a broken pipe.
 * @discussion Accepted for source compatibility.  Sockets made through
 *     the KPI never raise SIGPIPE; a send on a shut-down socket returns
 *     EPIPE whatever the option says.
 */
#define	SO_NOSIGPIPE	0x1022
#endif

#ifndef SO_NOADDRERR
/*!
 * @abstract Socket option (int): do not report address-unavailable errors.
 */
#define	SO_NOADDRERR	0x1023
#endif

#ifndef SO_UPCALLCLOSEWAIT
/*!
 * @abstract Socket option (int): make sock_release() wait for upcalls.
 * @discussion With the option on, sock_release() called off the
 *     event-loop thread first waits until no upcall of the socket is
 *     running.  sock_close() waits in any case (see its documentation).
 */
#define	SO_UPCALLCLOSEWAIT	0x1027
#endif

#ifndef SO_DONTTRUNC
/*!
 * @abstract Socket option (int): keep the rest of a datagram that does
 *     not fit the receive buffer.
 * @discussion The next receive returns the remainder; the short receive
 *     reports MSG_RCVMORE instead of MSG_TRUNC.
 */
#define	SO_DONTTRUNC	0x2000
#endif

#ifndef SO_TRAFFIC_CLASS
/*!
 * @abstract Socket option (int): the socket's traffic class, one of the
 *     SO_TC_* values.
 */
#define	SO_TRAFFIC_CLASS	0x1086
#endif

#ifndef SO_TC_BE
/*! @abstract Traffic class: best effort, the default. */
#define	SO_TC_BE	0
#endif

#ifndef SO_TC_BK_SYS
/*! @abstract Traffic class: background system traffic. */
#define	SO_TC_BK_SYS	100
#endif

#ifndef SO_TC_VI
/*! @abstract Traffic class: interactive video. */
#define	SO_TC_VI	700
#endif

#ifndef SO_TC_VO
/*! @abstract Traffic class: interactive voice. */
#define	SO_TC_VO	800
#endif

/*
 * Darwin-only IP option (level IPPROTO_IP).
 */

#ifndef IP_STRIPHDR
/*!
 * @abstract Raw IPv4 option (int): deliver packets without their IP
 *     header.
 * @discussion With the option on, a raw IPv4 socket receives each packet
 *     with its IP header, options included, removed.  Reading the option
 *     back gives 0x200 when it is on, as XNU does.  Darwin's value is 23,
 *     which is IP_CHECKSUM on Linux, hence a value of xkpi's own.
 */
#define	IP_STRIPHDR	0x1017
#endif

#ifndef IP_RECVDSTADDR
/*!
 * @abstract Raw IPv4 option (int): deliver each packet's destination
 *     address as a control message.
 * @discussion The message has level IPPROTO_IP, type IP_RECVDSTADDR and
 *     a `struct in_addr`.  Darwin's value is 7, which is IP_RETOPTS on
 *     Linux, hence a value of xkpi's own.
 */
#define	IP_RECVDSTADDR	0x1007
#endif

#ifndef IP_DONTFRAG
/*!
 * @abstract Raw IPv4 option (int): send with the Don't Fragment bit.
 * @discussion Packets the socket sends without IP_HDRINCL carry IP_DF,
 *     and one larger than the interface's MTU fails with EMSGSIZE
 *     instead of being fragmented.  Darwin's value is 28; Linux has no
 *     IP_DONTFRAG (it has IP_MTU_DISCOVER) and may give 28 to another
 *     option, hence a value of xkpi's own.
 */
#define	IP_DONTFRAG	0x101c
#endif

#ifndef IP_RECVIF
/*!
 * @abstract Raw IPv4 option (int): deliver the interface each packet
 *     arrived on as a control message.
 * @discussion The message has level IPPROTO_IP, type IP_RECVIF and a
 *     `struct sockaddr_dl` (see <net/if_dl.h>) holding the interface's
 *     index, type, name and link address, as XNU gives it.  Darwin's
 *     value is 20, which is IP_ORIGDSTADDR on Linux, hence a value of
 *     xkpi's own.
 */
#define	IP_RECVIF	0x1014
#endif

/*
 * Event hints for sock_catchevents(): XNU's values.
 */

#ifndef SO_FILT_HINT_LOCKED
/*!
 * @abstract Event hint: the raiser holds the socket lock.
 * @discussion In XNU this bit marks events raised with the socket lock
 *     held.  xkpi holds no lock when it calls back, but keeps XNU's rule
 *     for the bit: it reaches the callback only when it is in the mask.
 */
#define	SO_FILT_HINT_LOCKED		0x00000001
/*! @abstract Event hint: the connection was reset by the peer (TCP RST). */
#define	SO_FILT_HINT_CONNRESET		0x00000002
/*! @abstract Event hint: the receive side was shut down (peer FIN, or a
 *     local shutdown for reading). */
#define	SO_FILT_HINT_CANTRCVMORE	0x00000004
/*! @abstract Event hint: the send side was shut down. */
#define	SO_FILT_HINT_CANTSENDMORE	0x00000008
/*! @abstract Event hint: the connection timed out. */
#define	SO_FILT_HINT_TIMEOUT		0x00000010
/*! @abstract Event hint: the socket's source address went away. */
#define	SO_FILT_HINT_NOSRCADDR		0x00000020
/*! @abstract Event hint: a send was refused because of the interface the
 *     route uses. */
#define	SO_FILT_HINT_IFDENIED		0x00000040
/*! @abstract Event hint: the flow was suspended (flow advisory). */
#define	SO_FILT_HINT_SUSPEND		0x00000080
/*! @abstract Event hint: the flow was resumed. */
#define	SO_FILT_HINT_RESUME		0x00000100
/*! @abstract Event hint: a TCP keepalive probe was received. */
#define	SO_FILT_HINT_KEEPALIVE		0x00000200
/*! @abstract Event hint: the adaptive write timeout tripped. */
#define	SO_FILT_HINT_ADAPTIVE_WTIMO	0x00000400
/*! @abstract Event hint: the adaptive read timeout tripped. */
#define	SO_FILT_HINT_ADAPTIVE_RTIMO	0x00000800
/*! @abstract Event hint: the socket is connected. */
#define	SO_FILT_HINT_CONNECTED		0x00001000
/*! @abstract Event hint: the socket is disconnected. */
#define	SO_FILT_HINT_DISCONNECTED	0x00002000
/*! @abstract Event hint: connection information changed (comes with
 *     CONNECTED and DISCONNECTED). */
#define	SO_FILT_HINT_CONNINFO_UPDATED	0x00004000
/*! @abstract Event hint: multipath failover (MPTCP; never raised by
 *     xkpi). */
#define	SO_FILT_HINT_MPFAILOVER		0x00008000
/*! @abstract Event hint: multipath status (MPTCP; never raised by xkpi). */
#define	SO_FILT_HINT_MPSTATUS		0x00010000
/*! @abstract Event hint: the connection must be reset (MPTCP; never
 *     raised by xkpi). */
#define	SO_FILT_HINT_MUSTRST		0x00020000
/*! @abstract Event hint: multipath receive side closed (MPTCP; never
 *     raised by xkpi). */
#define	SO_FILT_HINT_MPCANTRCVMORE	0x00040000
/*! @abstract Event hint: data up to a notify marker was acknowledged. */
#define	SO_FILT_HINT_NOTIFY_ACK		0x00080000
/*! @abstract Event hint: a multipath subflow error (MPTCP; never raised
 *     by xkpi). */
#define	SO_FILT_HINT_MP_SUB_ERROR	0x00100000
/*! @abstract Event hint: an inbound packet was marked as the wake
 *     packet. */
#define	SO_FILT_HINT_WAKE_PKT		0x00200000
#endif /* SO_FILT_HINT_LOCKED */

#ifndef SO_FILT_HINT_EV
/*!
 * @abstract Every event hint that has a kqueue equivalent in XNU.
 * @discussion All the hints except LOCKED and the multipath-only ones
 *     (MPFAILOVER, MPSTATUS, MUSTRST, MPCANTRCVMORE, MP_SUB_ERROR).
 */
#define	SO_FILT_HINT_EV							\
	(SO_FILT_HINT_CONNRESET | SO_FILT_HINT_CANTRCVMORE |		\
	SO_FILT_HINT_CANTSENDMORE | SO_FILT_HINT_TIMEOUT |		\
	SO_FILT_HINT_NOSRCADDR | SO_FILT_HINT_IFDENIED |		\
	SO_FILT_HINT_SUSPEND | SO_FILT_HINT_RESUME |			\
	SO_FILT_HINT_KEEPALIVE | SO_FILT_HINT_ADAPTIVE_WTIMO |		\
	SO_FILT_HINT_ADAPTIVE_RTIMO | SO_FILT_HINT_CONNECTED |		\
	SO_FILT_HINT_DISCONNECTED | SO_FILT_HINT_CONNINFO_UPDATED |	\
	SO_FILT_HINT_NOTIFY_ACK | SO_FILT_HINT_WAKE_PKT)
#endif

/*!
 * @abstract Tells that sock_sendmbuf_can_wait() is available.
 * @discussion Kext sources test this macro before using the function, as
 *     they do against XNU's header.
 */
#define	HAS_SOCK_SENDMBUF_CAN_WAIT	1

/*!
 * @abstract A read or write upcall.
 * @discussion Called when the socket's receive side (read upcall) or send
 *     side (write upcall) may have changed: data or a connection arrived,
 *     space was freed, the socket connected, disconnected or was shut
 *     down.  The call is a hint and may be spurious.
 * @param so The socket.
 * @param cookie The context pointer given with the callback.
 * @param waitf Always MBUF_DONTWAIT (1): the upcall may allocate mbufs
 *     but must not wait.
 * @locking Runs on the library's event-loop thread, without the core lock,
 *     never from inside a KPI call.  The upcall may call any KPI function,
 *     on this socket too, including sock_close(); none of them blocks on
 *     the loop thread.
 */
typedef void (*sock_upcall)(socket_t so, void *cookie, int waitf);

/*!
 * @abstract An event callback, installed with sock_catchevents().
 * @param so The socket.
 * @param cookie The context pointer given to sock_catchevents().
 * @param event The raised SO_FILT_HINT_* bits ANDed with the socket's
 *     event mask; never 0, and may hold several bits (for example
 *     SO_FILT_HINT_DISCONNECTED | SO_FILT_HINT_CONNINFO_UPDATED).
 * @locking Runs on the library's event-loop thread, without the core lock,
 *     never from inside a KPI call.
 * @deviation XNU calls event callbacks with the socket lock held, so there
 *     they must not call KPI functions that lock the same socket.  In
 *     xkpi no lock is held and such calls work; code meant to run on both
 *     should still avoid them.
 */
typedef void (*sock_evupcall)(socket_t so, void *cookie, uint32_t event);

/*!
 * @function sock_accept
 * @abstract Accepts a connection from a listening socket.
 * @discussion Takes the first completed connection off the listener's
 *     queue.  The new socket inherits the listener's state, so it is
 *     non-blocking when the listener is, and privileged when the listener
 *     is.  When `cb` is not NULL it is installed as the new socket's
 *     upcall, as sock_setupcall() would: read side only by default, read
 *     and write in the arm64 upcall mode.
 *
 *     Without MSG_DONTWAIT, on a blocking listener and off the event-loop
 *     thread, the call waits for a connection; a pending socket error
 *     ends the wait and is returned (and cleared).
 * @param so The listening socket.
 * @param from Where to store the peer's address, or NULL.  At most
 *     `fromlen` bytes are written; the length is not reported back.
 * @param fromlen The size of `from` in bytes.
 * @param flags 0, MSG_DONTWAIT, MSG_USEUPCALL, or both.
 * @param cb The upcall of the new socket, or NULL for none.
 * @param cookie The context pointer passed to `cb`.
 * @param new_so Where to store the accepted socket.
 * @result 0 on success; EINVAL when `so` or `new_so` is NULL or the socket
 *     is not listening; ENOTSUP for any flag other than MSG_DONTWAIT and
 *     MSG_USEUPCALL; EWOULDBLOCK when no connection is ready and the call
 *     may not wait; ECONNABORTED when the listener can receive no more;
 *     EBADF when the listener is closed during the wait; or the pending
 *     socket error.
 * @locking Blocks only off the loop thread; on the loop thread (inside an
 *     upcall) it returns EWOULDBLOCK rather than wait.
 * @ownership The caller owns the new socket and closes it with
 *     sock_close().  `from` is written during the call only.
 * @deviation XNU returns ENOTSUP for MSG_USEUPCALL, although its header
 *     documents the flag.  In xkpi, MSG_USEUPCALL gives the new socket the
 *     listener's upcalls and their context pointers (the read upcall, and
 *     the write upcall if one is installed); `cb` and `cookie` are then
 *     ignored.
 */
extern errno_t sock_accept(socket_t so, struct sockaddr *from, int fromlen,
    int flags, sock_upcall cb, void *cookie, socket_t *new_so)
    __XKPI_BSD_ADDR(sock_accept);

/*!
 * @function sock_bind
 * @abstract Binds a socket to a local address.
 * @discussion The length of `to` comes from its family (see the header's
 *     discussion of socket addresses); the protocol checks the rest as
 *     XNU's does.  For a divert socket only the port counts: it is the
 *     divert port (see netinet/ip_divert.h).
 * @param so The socket.
 * @param to The local address.
 * @result 0 on success; EINVAL when `so` or `to` is NULL, when the socket
 *     is already bound, or when the protocol refuses the address length;
 *     EAFNOSUPPORT for a family the library or the protocol does not
 *     handle; EADDRNOTAVAIL when the address is not local (or no
 *     interface is attached); EADDRINUSE when the address and port are
 *     taken; EACCES for a reserved port the socket may not bind.
 * @ownership `to` is read during the call only.
 */
extern errno_t sock_bind(socket_t so, const struct sockaddr *to)
    __XKPI_BSD_ADDR(sock_bind);

/*!
 * @function sock_connect
 * @abstract Connects a socket to a peer, or sets a datagram socket's
 *     default destination.
 * @discussion On a raw or datagram socket the call completes at once.  On
 *     a stream socket, unless the socket is non-blocking or MSG_DONTWAIT
 *     is given, the call waits until the connection is made or fails and
 *     returns (and clears) the socket error; a non-blocking call returns
 *     EINPROGRESS and completion is announced by the upcalls and by the
 *     SO_FILT_HINT_CONNECTED event.  The length of `to` comes from its
 *     family.
 *
 *     As in XNU, connecting a datagram or raw socket that is already
 *     connected first disconnects it.  For raw IPv4 and IPv6 sockets XNU
 *     then loses the protocol state and the socket becomes unusable;
 *     the page @ref deviations says what xkpi does there.
 * @param so The socket.
 * @param to The peer's address.
 * @param flags 0 or MSG_DONTWAIT.
 * @result 0 on success; EINVAL when `so` or `to` is NULL or the protocol
 *     refuses the address length; EAFNOSUPPORT for a family the library or
 *     the protocol does not handle; EINPROGRESS when a non-blocking
 *     connection has started; EALREADY when a non-blocking connection is
 *     already in progress; EISCONN when a stream socket is already
 *     connected; EOPNOTSUPP on a listening socket, a divert socket or a
 *     SeND socket; ENOBUFS when memory runs out under MSG_DONTWAIT;
 *     EADDRNOTAVAIL when no interface is attached; EBADF when the socket
 *     is closed during the wait; or the error that ended the connection
 *     attempt (ECONNREFUSED, ETIMEDOUT, ENETUNREACH ...).
 * @locking Blocks only off the loop thread; on the loop thread the call
 *     behaves as if MSG_DONTWAIT had been given.
 * @ownership `to` is read during the call only.
 */
extern errno_t sock_connect(socket_t so, const struct sockaddr *to, int flags)
    __XKPI_BSD_ADDR(sock_connect);

/*!
 * @function sock_connectwait
 * @abstract Waits, for a bounded time, for a connection started with
 *     sock_connect() to complete.
 * @discussion If the socket is not connecting, or has a pending error, the
 *     call returns at once: the pending error (cleared), 0 if the socket
 *     is connected, EINVAL otherwise.  Otherwise it waits at most `tv`,
 *     then returns EINPROGRESS if the socket is still connecting, else the
 *     pending error (cleared) or 0.  Private in XNU.
 * @param so The socket.
 * @param tv The longest time to wait; at most 327 seconds
 *     (SHRT_MAX ticks of XNU's 100 Hz clock).
 * @result 0 when connected; EINPROGRESS when the time ran out; EDOM when
 *     `tv_sec` is negative or over 327, or `tv_usec` is outside
 *     [0, 1000000); EINVAL when `so` or `tv` is NULL or the socket is
 *     neither connected nor connecting; or the socket's pending error.
 * @locking On the loop thread the call does not wait: it returns
 *     EINPROGRESS at once if the socket is still connecting.
 * @ownership `tv` is read during the call only.
 * @deviation XNU does not check `so` and `tv` for NULL and crashes.
 */
extern errno_t sock_connectwait(socket_t so, const struct timeval *tv);

/*!
 * @function sock_getpeername
 * @abstract Copies the address of a connected socket's peer.
 * @param so The socket.
 * @param peer Where to store the address.
 * @param peerlen The size of `peer` in bytes; at most that many bytes are
 *     written and the real length is not reported back.
 * @result 0 on success; EINVAL when `so` or `peer` is NULL or `peerlen` is
 *     negative; ENOTCONN when the socket is not connected.
 * @ownership `peer` is written during the call only.
 */
extern errno_t sock_getpeername(socket_t so, struct sockaddr *peer,
    int peerlen) __XKPI_BSD_ADDR(sock_getpeername);

/*!
 * @function sock_getsockname
 * @abstract Copies the local address of a socket.
 * @param so The socket.
 * @param name Where to store the address.
 * @param namelen The size of `name` in bytes; at most that many bytes are
 *     written and the real length is not reported back.
 * @result 0 on success; EINVAL when `so` or `name` is NULL or `namelen` is
 *     negative.
 * @ownership `name` is written during the call only.
 */
extern errno_t sock_getsockname(socket_t so, struct sockaddr *name,
    int namelen) __XKPI_BSD_ADDR(sock_getsockname);

/*!
 * @function sock_getsockopt
 * @abstract Reads a socket option.
 * @discussion Levels and option names are glibc's (SOL_SOCKET,
 *     IPPROTO_IP, IP_HDRINCL ...) plus the Darwin-only names of this
 *     header; the values returned are XNU's (for example IP_HDRINCL reads
 *     back as 8 when it is on, IP_STRIPHDR as 0x200).  The call runs with
 *     the privileges of the kernel, as in XNU, so privileged options are
 *     allowed.  SOL_SOCKET options are handled by the socket layer, the
 *     others by the protocol.
 * @param so The socket.
 * @param level The option level.
 * @param name The option name.
 * @param val Where to store the value.
 * @param len On input the size of `val` in bytes; on success the number
 *     of bytes stored.  Left unchanged on error.
 * @result 0 on success; EINVAL when `so`, `val` or `len` is NULL, or for
 *     a level the protocol does not know (raw IPv4 answers EINVAL for any
 *     level but IPPROTO_IP, as XNU's does); ENOPROTOOPT for an unknown
 *     option.
 * @ownership `val` and `len` are used during the call only.
 */
extern errno_t sock_getsockopt(socket_t so, int level, int name, void *val,
    int *len);

/*!
 * @function sock_setsockopt
 * @abstract Sets a socket option.
 * @discussion Levels and names as for sock_getsockopt().  The call runs
 *     with the privileges of the kernel.
 * @param so The socket.
 * @param level The option level.
 * @param name The option name.
 * @param val The value; NULL only with a `len` of 0 (RFC 3542 clears
 *     the sticky IPV6_PKTINFO so; an option that needs a value then
 *     fails with EINVAL).
 * @param len The size of `val` in bytes.
 * @result 0 on success; EINVAL when `so` is NULL, `val` is NULL with a
 *     non-zero `len`, for a bad value
 *     or length, or for a level the protocol does not know; ENOPROTOOPT
 *     for an unknown option; EMSGSIZE for an ICMPv6 filter whose length
 *     is neither 0 nor its size.
 * @ownership `val` is read during the call only.
 */
extern errno_t sock_setsockopt(socket_t so, int level, int name,
    const void *val, int len) __XKPI_BSD_ADDR(sock_setsockopt);

/*!
 * @function sock_ioctl
 * @abstract Performs an ioctl request on a socket.
 * @discussion Requests are Linux's (`sys/ioctl.h`).  The socket layer
 *     handles FIONBIO (an int: non-zero makes the socket non-blocking,
 *     the only way to make sends non-blocking for every call), FIONREAD
 *     (an int: bytes readable), SIOCATMARK, FIOASYNC and
 *     SIOCSPGRP/SIOCGPGRP (accepted and remembered; xkpi sends no
 *     signals).  Other requests go to the protocol.
 * @param so The socket.
 * @param request The request.
 * @param argp The request's argument.
 * @result 0 on success; EINVAL when `so` is NULL, or `argp` is NULL for a
 *     request that uses it; EOPNOTSUPP for a request nobody handles; or
 *     the protocol's error.
 * @ownership `argp` is used during the call only.
 * @deviation XNU does not check `so` for NULL and crashes.
 */
extern errno_t sock_ioctl(socket_t so, unsigned long request, void *argp);

/*!
 * @function sock_settclassopt
 * @abstract Sets a connected socket's traffic class from a TOS byte.
 * @discussion `val` points to an int holding a TOS byte.  Its DSCP
 *     (the value shifted right by two) chooses the traffic class:
 *     0x30-0x3f gives SO_TC_VO, 0x20-0x2f SO_TC_VI, 0x08-0x17
 *     SO_TC_BK_SYS, anything else SO_TC_BE; the class is set as
 *     SO_TRAFFIC_CLASS.  Then, only if the peer is on a directly attached
 *     network or link-local, the byte itself is set as IP_TOS (IPv4) or
 *     IPV6_TCLASS (IPv6); for any other peer the TOS is left as it was
 *     and the call still returns 0.  Private in XNU.
 * @param so A connected IPv4 or IPv6 socket.
 * @param val Points to the TOS byte, as an int.
 * @param len `sizeof(int)`.
 * @result 0 on success; EINVAL when `so` or `val` is NULL, `len` is not
 *     `sizeof(int)`, or the socket is not an IPv4 or IPv6 socket;
 *     ENOTCONN when the socket is not connected.
 * @ownership `val` is read during the call only.
 */
extern errno_t sock_settclassopt(socket_t so, const void *val, size_t len);

/*!
 * @function sock_gettclassopt
 * @abstract Reads an IPv4 or IPv6 socket's TOS (IP_TOS or IPV6_TCLASS).
 * @discussion Private in XNU.
 * @param so An IPv4 or IPv6 socket.
 * @param val Where to store the value (an int).
 * @param len On input the size of `val`; on success the bytes stored.
 * @result 0 on success; EINVAL when an argument is NULL or the socket is
 *     not an IPv4 or IPv6 socket.
 * @ownership `val` and `len` are used during the call only.
 */
extern errno_t sock_gettclassopt(socket_t so, void *val, size_t *len);

/*!
 * @function sock_listen
 * @abstract Makes a stream socket accept connections.
 * @param so The socket.
 * @param backlog The longest queue of completed connections.
 * @result 0 on success; EINVAL when `so` is NULL; EOPNOTSUPP for a socket
 *     whose protocol has no connections (datagram, raw, divert, SeND).
 */
extern errno_t sock_listen(socket_t so, int backlog);

/*!
 * @function sock_receive
 * @abstract Receives data into the caller's buffers.
 * @discussion Copies the next data into `msg->msg_iov`.  A datagram that
 *     does not fit is truncated and MSG_TRUNC set, and the rest is dropped
 *     (kept, with MSG_RCVMORE, when SO_DONTTRUNC is on).  The call returns
 *     EWOULDBLOCK when nothing is queued and MSG_DONTWAIT or MSG_NBIO is
 *     given or the socket is non-blocking; otherwise it waits.
 *
 *     On return `msg_flags` holds the caller's `flags` ORed with the
 *     result flags (MSG_TRUNC, MSG_CTRUNC, MSG_EOR, MSG_HAVEMORE,
 *     MSG_RCVMORE), as in XNU.  When `msg_name` is set, the source address
 *     is copied into it, at most `msg_namelen` bytes; `msg_namelen` is
 *     never updated (an XNU rule: read the family to know the length).
 *     Control messages are written to `msg_control` in the Linux layout,
 *     so glibc's CMSG_FIRSTHDR() and CMSG_NXTHDR() walk them, with glibc's
 *     levels and types; `msg_controllen` becomes the number of bytes
 *     written, and MSG_CTRUNC is set when they did not fit: the message
 *     cut short then has its `cmsg_len` lowered to what was written, as
 *     on Linux, and one whose header does not fit is left out.
 * @param so The socket.
 * @param msg The buffers: at most 1024 iovecs (UIO_MAXIOV).  The first
 *     must have a non-NULL base and a non-zero length; any other may be
 *     empty, but one with a length needs a base.
 * @param flags Receive flags: MSG_DONTWAIT, MSG_NBIO, MSG_PEEK, MSG_OOB,
 *     MSG_WAITALL, MSG_NEEDSA.
 * @param recvdlen Where to store the number of bytes received, or NULL.
 *     Set to 0 first and to the count on success only.
 * @result 0 on success; EINVAL when `so` or `msg` is NULL, `msg_iovlen`
 *     is less than 1, the first iovec is empty or has a NULL base, or the
 *     total length exceeds INT_MAX; EMSGSIZE when `msg_iovlen` is over
 *     1024; EFAULT when a later iovec has a NULL base and a non-zero
 *     length (nothing is received); EWOULDBLOCK when nothing is queued and
 *     the call may not wait, or when a receive timeout expires; EBADF when
 *     the socket is closed during the wait; or a pending socket error.
 * @locking Blocks only off the loop thread; on the loop thread it returns
 *     EWOULDBLOCK rather than wait.
 * @ownership `msg` and the buffers it points to are used during the call
 *     only.
 */
extern errno_t sock_receive(socket_t so, struct msghdr *msg, int flags,
    size_t *recvdlen) __XKPI_BSD_ADDR(sock_receive);

/*!
 * @function sock_receivembuf
 * @abstract Receives data as an mbuf chain.
 * @discussion Same rules as sock_receive() for blocking, truncation and
 *     `msg_flags`, but the data comes back as a chain instead of being
 *     copied.  For a datagram socket the chain holds the data only (no
 *     address mbuf).  The usual pattern is an upcall that calls this
 *     function with MSG_DONTWAIT and a large `*recvlen` until it returns
 *     EWOULDBLOCK.
 * @param so The socket.
 * @param msg NULL, or a message header that receives the source address
 *     (`msg_name`) and control messages (`msg_control`) as with
 *     sock_receive(); its `msg_iov` must be NULL and `msg_iovlen` 0.
 * @param data Where to store the chain.
 * @param flags Receive flags, as for sock_receive().
 * @param recvlen On input the most bytes to receive (not 0); on output
 *     the number of bytes in the chain (0 on error).
 * @result 0 on success; EINVAL when `so`, `data` or `recvlen` is NULL,
 *     `*recvlen` is 0, or `msg` has iovecs; EWOULDBLOCK when nothing is
 *     queued and the call may not wait, or when a receive timeout
 *     expires; EBADF when the socket is closed during the wait; or a
 *     pending socket error.
 * @locking Blocks only off the loop thread; on the loop thread it returns
 *     EWOULDBLOCK rather than wait.
 * @ownership On success the caller owns the chain in `*data` and frees it
 *     with mbuf_freem().  On error `*data` is NULL: any partly built chain
 *     has been freed by the library.
 */
extern errno_t sock_receivembuf(socket_t so, struct msghdr *msg, mbuf_t *data,
    int flags, size_t *recvlen) __XKPI_BSD_ADDR(sock_receivembuf);

/*!
 * @function sock_send
 * @abstract Sends data from the caller's buffers.
 * @discussion `msg_name`, when set, is the destination; its length comes
 *     from its family.  Control messages in `msg_control` are read in the
 *     Linux layout with glibc's levels and types.
 *
 *     The call waits for send-buffer space unless the socket is
 *     non-blocking (FIONBIO) or MSG_NBIO is given: as in XNU, MSG_DONTWAIT
 *     does not prevent this wait.  If part of the data went out before the
 *     wait was cut short (EWOULDBLOCK), the call succeeds with the partial
 *     count.  A datagram larger than the send buffer (SO_SNDBUF; 8192
 *     bytes by default on raw sockets) fails with EMSGSIZE.
 * @param so The socket.
 * @param msg The data (`msg_iov`), the destination (`msg_name`) and the
 *     control messages (`msg_control`).
 * @param flags Send flags: MSG_DONTWAIT, MSG_NBIO, MSG_OOB, MSG_EOR,
 *     MSG_DONTROUTE, MSG_EOF.
 * @param sentlen Where to store the number of bytes sent, or NULL.  Set to
 *     0 first and to the count on success.
 * @result 0 on success; EINVAL when `so`, `msg` or `msg_iov` is NULL,
 *     `msg_iovlen` is less than 1, the total length is negative, or
 *     `msg_controllen` is below `sizeof(struct cmsghdr)` or above
 *     mbuf_get_mlen(); EMSGSIZE when `msg_iovlen` is over 1024
 *     (UIO_MAXIOV); EFAULT when an iovec has a NULL base and a non-zero
 *     length (nothing is sent); ENOMEM when control data cannot be
 *     buffered;
 *     EWOULDBLOCK when there is no room and the call may not wait; EPIPE
 *     after a shutdown for writing (no SIGPIPE is raised); EDESTADDRREQ
 *     for an unconnected socket without destination (ENOTCONN for a
 *     connection-oriented one); EISCONN for a destination on a connected
 *     raw socket; EMSGSIZE for a datagram over the send-buffer size;
 *     EOPNOTSUPP for MSG_OOB on a non-stream socket; EBADF when the socket
 *     is closed during the wait; a pending socket error; or the protocol's
 *     error (EHOSTUNREACH, ENETUNREACH, ENOBUFS ...).
 * @locking Blocks only off the loop thread; on the loop thread it returns
 *     EWOULDBLOCK rather than wait.
 * @ownership `msg` and the buffers it points to are read during the call
 *     only.
 */
extern errno_t sock_send(socket_t so, const struct msghdr *msg, int flags,
    size_t *sentlen) __XKPI_BSD_ADDR(sock_send);

/*!
 * @function sock_sendmbuf
 * @abstract Sends an mbuf chain.
 * @discussion The length sent is the chain's packet-header length, so
 *     `data` must start with a packet header whose length equals the sum
 *     of the lengths of the chain's mbufs (mbuf_allocpacket() leaves every
 *     length 0: set them).  The send is atomic even on a stream socket: a
 *     chain longer than the send buffer fails with EMSGSIZE, and otherwise
 *     the call waits (unless the socket is non-blocking or MSG_NBIO is
 *     given) until the whole chain fits.  MSG_DONTWAIT does not prevent
 *     that wait, as in XNU.
 * @param so The socket.
 * @param msg NULL, or a header giving the destination (`msg_name`) and
 *     control messages (`msg_control`); its `msg_iov` must be NULL and
 *     `msg_iovlen` 0.
 * @param data The chain to send.
 * @param flags Send flags, as for sock_send().
 * @param sentlen Where to store the number of bytes sent, or NULL: the
 *     packet-header length on success, 0 on error.
 * @result 0 on success; EINVAL when `so` or `data` is NULL, `data` has no
 *     packet header, `msg` has iovecs, or the control data is malformed;
 *     ENOMEM when control data cannot be buffered; EMSGSIZE when the chain
 *     is longer than the send buffer; otherwise the errors of
 *     sock_send().
 * @locking Blocks only off the loop thread; on the loop thread it returns
 *     EWOULDBLOCK rather than wait.
 * @ownership The chain is always consumed: the library owns `data` from
 *     the moment of the call, and frees it on every error, early or late.
 *     The caller must not touch `data` after the call, whatever it
 *     returns.  (A chain that was already freed goes to the panic hook
 *     and, if the hook returns, fails with EINVAL and is not freed
 *     again.)  `msg` is read during the call only.
 */
extern errno_t sock_sendmbuf(socket_t so, const struct msghdr *msg, mbuf_t data,
    int flags, size_t *sentlen) __XKPI_BSD_ADDR(sock_sendmbuf);

/*!
 * @function sock_sendmbuf_can_wait
 * @abstract Sends an mbuf chain, waiting for space piece by piece.
 * @discussion Like sock_sendmbuf(), but the send is not atomic: on a
 *     stream socket a chain longer than the send buffer is sent as space
 *     frees, instead of failing with EMSGSIZE.  Private in XNU; see
 *     HAS_SOCK_SENDMBUF_CAN_WAIT.
 * @param so The socket.
 * @param msg NULL, or a header giving the destination and control
 *     messages, as for sock_sendmbuf().
 * @param data The chain to send.
 * @param flags Send flags, as for sock_send().
 * @param sentlen Where to store the number of bytes sent, or NULL.
 * @result 0 on success; the errors of sock_sendmbuf() except EMSGSIZE for
 *     a stream socket.
 * @locking Blocks only off the loop thread; on the loop thread it returns
 *     EWOULDBLOCK rather than wait (with the partial count as success if
 *     part of the chain went out).
 * @ownership The chain is always consumed, as with sock_sendmbuf().
 * @deviation XNU's header allows a NULL `msg` but its code dereferences
 *     it; xkpi accepts NULL.
 */
extern errno_t sock_sendmbuf_can_wait(socket_t so, const struct msghdr *msg,
    mbuf_t data, int flags, size_t *sentlen)
    __XKPI_BSD_ADDR(sock_sendmbuf_can_wait);

/*!
 * @function sock_shutdown
 * @abstract Shuts down the receive side, the send side, or both.
 * @discussion Shutting the receive side discards what is queued and
 *     raises SO_FILT_HINT_CANTRCVMORE; shutting the send side raises
 *     SO_FILT_HINT_CANTSENDMORE, and a stream sends its end of file once
 *     the data already queued is out.  A stream shut down both ways, with
 *     the peer's end of file received, is disconnected (DISCONNECTED and
 *     CONNINFO_UPDATED), as XNU's TCP does.
 * @param so The socket.
 * @param how SHUT_RD, SHUT_WR or SHUT_RDWR.
 * @result 0 on success; EINVAL when `so` is NULL or `how` is not one of
 *     the three; ENOTCONN when the socket is not connected, connecting or
 *     disconnecting, or when a side `how` names is already shut down.
 */
extern errno_t sock_shutdown(socket_t so, int how);

/*!
 * @function sock_socket
 * @abstract Creates a socket.
 * @discussion Protocols offered: raw IPv4 (PF_INET, SOCK_RAW, any protocol
 *     0 to 255, 0 matching every protocol on input), raw IPv6 (PF_INET6,
 *     SOCK_RAW), divert (PF_INET, SOCK_RAW, IPPROTO_DIVERT; see
 *     netinet/ip_divert.h), SeND (PF_INET6, SOCK_RAW, IPPROTO_SEND; see
 *     netinet6/send.h), and host stream and datagram sockets (PF_INET,
 *     PF_INET6, PF_LOCAL with SOCK_STREAM or SOCK_DGRAM), which carry real
 *     TCP, UDP and local traffic with the KPI's semantics.
 *
 *     In this release the host stream and datagram sockets and the raw
 *     IPv4 and IPv6 sockets exist (raw sockets over the `mem`, `linux`
 *     and `pcap` backends); divert and SeND sockets exist over `mem` and
 *     `nfqueue`, and the call answers EPROTONOSUPPORT for them over
 *     `linux` and `pcap`, which only see copies.
 *
 *     The socket is blocking.  When `cb` is not NULL it is installed as by
 *     sock_setupcall(): on the read side only by default, on both sides in
 *     the arm64 upcall mode (struct xkpi_config, `upcall_mode`).
 *
 *     Divert sockets, and SeND sockets, act on the host's own traffic
 *     only through a backend that can intercept packets; when no attached
 *     backend can, the call fails rather than return a socket that would
 *     only see copies.  The first call of any KPI function initialises the
 *     library from the environment (see xkpi.h).
 * @param domain PF_INET, PF_INET6 or PF_LOCAL (glibc values).
 * @param type SOCK_RAW, SOCK_DGRAM or SOCK_STREAM.
 * @param protocol The protocol, or 0.
 * @param cb The upcall, or NULL for none.
 * @param cookie The context pointer passed to `cb`.
 * @param new_so Where to store the new socket.
 * @result 0 on success; EINVAL when `new_so` is NULL or a raw IPv4
 *     protocol is above 255; EAFNOSUPPORT for an unknown domain;
 *     EPROTOTYPE when the protocol exists but not with that type;
 *     EPROTONOSUPPORT for an unknown protocol, or for divert or SeND when
 *     no attached backend can intercept packets; ENOBUFS when memory runs
 *     out; EPERM for a raw, divert or SeND socket when the process lacks
 *     the privilege; EEXIST for a SeND socket when one already exists.
 * @ownership The caller owns the socket and ends it with sock_close().
 */
extern errno_t sock_socket(int domain, int type, int protocol, sock_upcall cb,
    void *cookie, socket_t *new_so);

/*!
 * @function sock_close
 * @abstract Closes a socket.
 * @discussion If the socket is not retained (sock_retain()), it is closed
 *     now: disconnected, detached from its protocol, and freed when the
 *     last reference goes.  If it is retained, the call only gives up the
 *     creator's reference: the socket stays fully alive, still receives
 *     and still calls its upcalls, until the last sock_release() closes
 *     it.  A NULL socket is ignored.
 * @param so The socket, or NULL.
 * @locking No new upcall of the socket starts once the call has begun.
 *     Called off the event-loop thread, it waits for upcalls already
 *     running; called on the loop thread (for instance inside the socket's
 *     own upcall) it never waits.  Do not hold a lock that the socket's
 *     upcall takes while calling it off the loop thread.
 * @ownership The caller gives up its reference: `so` must not be used
 *     after the call unless the caller also holds a retain.  Closing the
 *     same socket twice, undefined in XNU, goes to the panic hook and
 *     changes nothing (see the header's discussion).
 * @deviation XNU waits for running upcalls only when SO_UPCALLCLOSEWAIT
 *     is set; xkpi always waits off the loop thread.
 */
extern void sock_close(socket_t so);

/*!
 * @function sock_retain
 * @abstract Takes a reference that keeps a socket open across
 *     sock_close().
 * @discussion Each call must be balanced by one sock_release().  Typical
 *     use: retain a socket handed in by other code, so that its owner's
 *     close does not pull it away from under the upcalls.  A NULL socket
 *     is ignored.
 * @param so The socket, or NULL.
 * @ownership The caller holds one more reference.
 */
extern void sock_retain(socket_t so);

/*!
 * @function sock_release
 * @abstract Drops a reference taken with sock_retain().
 * @discussion When the last retain goes, no one else holds the socket and
 *     sock_close() has already been called, the socket is closed now.  A
 *     NULL socket is ignored.  Releasing a socket that has no retain is
 *     an impossible state: the library calls the panic hook (see
 *     xkpi_set_panic_hook() in xkpi.h), whose default aborts; if the
 *     hook returns, the call does nothing.
 * @param so The socket, or NULL.
 * @locking With SO_UPCALLCLOSEWAIT set and off the loop thread, the call
 *     first waits until no upcall of the socket is running.
 * @ownership The caller gives up the reference it took.
 * @deviation XNU panics the kernel on a release without a retain.
 */
extern void sock_release(socket_t so);

/*!
 * @function sock_setpriv
 * @abstract Marks a socket privileged or not.
 * @discussion The privileged state (XNU's SS_PRIV) is decided at creation
 *     from the process's privilege; it gates raw IPv4 attach (already
 *     done by then, so changing it later does not matter there) and
 *     privileged traffic classes.
 * @param so The socket.
 * @param on Non-zero to mark the socket privileged, 0 to clear.
 * @result 0 on success; EINVAL when `so` is NULL.
 */
extern errno_t sock_setpriv(socket_t so, int on);

/*!
 * @function sock_isconnected
 * @abstract Tells whether a socket is connected.
 * @param so The socket.
 * @result 1 if the socket is connected, 0 if not or if `so` is NULL.
 * @deviation XNU does not check `so` for NULL and crashes.
 */
extern int sock_isconnected(socket_t so);

/*!
 * @function sock_isnonblocking
 * @abstract Tells whether a socket is non-blocking (FIONBIO).
 * @discussion MSG_DONTWAIT applies to one call and is not a property of
 *     the socket: this reports FIONBIO only.
 * @param so The socket.
 * @result 1 if the socket is non-blocking, 0 if not or if `so` is NULL.
 * @deviation XNU does not check `so` for NULL and crashes.
 */
extern int sock_isnonblocking(socket_t so);

/*!
 * @function sock_gettype
 * @abstract Reports the domain, type and protocol of a socket.
 * @param so The socket.
 * @param domain Where to store the domain (glibc value), or NULL.
 * @param type Where to store the type, or NULL.
 * @param protocol Where to store the protocol, or NULL.
 * @result 0 on success; EINVAL when `so` is NULL.
 * @ownership The pointers are written during the call only.
 * @deviation XNU does not check `so` for NULL and crashes.
 */
extern errno_t sock_gettype(socket_t so, int *domain, int *type, int *protocol);

/*!
 * @function sock_nointerrupt
 * @abstract Makes the socket's waits uninterruptible, or interruptible
 *     again.
 * @discussion Sets or clears XNU's SB_NOINTR on both socket buffers.  The
 *     waits of xkpi are never interrupted by signals, so the flag changes
 *     nothing observable; the call is kept for source compatibility.
 *     Private in XNU.
 * @param so The socket.
 * @param on Non-zero to set, 0 to clear.
 * @result 0 on success; EINVAL when `so` is NULL.
 * @deviation XNU does not check `so` for NULL and crashes.
 */
extern errno_t sock_nointerrupt(socket_t so, int on);

/*!
 * @function sock_getlistener
 * @abstract Returns the listener of a socket still on a listen queue.
 * @discussion XNU meant it for socket-filter callbacks, which see a
 *     connection before it is accepted.  xkpi has no socket filters and
 *     hands out sockets only once accepted, so the result is NULL in
 *     practice.  Private in XNU.
 * @param so The socket.
 * @result The listening socket, or NULL after accept or when `so` is
 *     NULL.
 * @ownership No reference is taken on the result.
 * @deviation XNU does not check `so` for NULL and crashes.
 */
extern socket_t sock_getlistener(socket_t so);

/*!
 * @function sock_getaddr
 * @abstract Returns a socket's local or peer address in newly allocated
 *     memory.
 * @discussion Unlike sock_getpeername(), asking for the peer does not
 *     check that the socket is connected: an unconnected IPv4 socket
 *     yields 0.0.0.0 port 0.  Private in XNU.
 * @param so The socket.
 * @param psa Where to store the address.
 * @param peer Non-zero for the peer's address, 0 for the local address.
 * @result 0 on success; EINVAL when `so` or `psa` is NULL; ENOMEM when
 *     memory runs out or the protocol has no address to give.
 * @ownership The caller owns `*psa` and frees it with sock_freeaddr(),
 *     never with free().
 */
extern errno_t sock_getaddr(socket_t so, struct sockaddr **psa, int peer)
    __XKPI_BSD_ADDR(sock_getaddr);

/*!
 * @function sock_freeaddr
 * @abstract Frees an address returned by sock_getaddr().
 * @discussion Private in XNU.
 * @param sa The address, or NULL (ignored).
 * @ownership The memory returns to the library.
 */
extern void sock_freeaddr(struct sockaddr *sa);

/*!
 * @function sock_setupcall
 * @abstract Installs (or removes) a socket's upcall.
 * @discussion Installs `cb` on the read side by default, or on the read
 *     and write sides in the arm64 upcall mode (struct xkpi_config,
 *     `upcall_mode`); a NULL `cb` removes it from the same sides.
 *     Private in XNU.
 * @param so The socket.
 * @param cb The upcall, or NULL.
 * @param ctx The context pointer passed to `cb`.
 * @result 0 on success; EINVAL when `so` is NULL.
 * @locking May be called from any thread, inside an upcall too.  It does
 *     not wait for an upcall already running; once it returns, no new
 *     call of the old upcall starts.
 * @ownership `ctx` stays the caller's; the library only passes it back.
 */
extern errno_t sock_setupcall(socket_t so, sock_upcall cb, void *ctx);

/*!
 * @function sock_setupcalls
 * @abstract Installs (or removes) a socket's read and write upcalls.
 * @discussion Installs exactly what it is given, whatever the upcall
 *     mode: `rcb` on the read side and `wcb` on the write side, a NULL
 *     callback removing that side's upcall.  Private in XNU.
 * @param so The socket.
 * @param rcb The read upcall, or NULL.
 * @param rctx The context pointer passed to `rcb`.
 * @param wcb The write upcall, or NULL.
 * @param wctx The context pointer passed to `wcb`.
 * @result 0 on success; EINVAL when `so` is NULL.
 * @locking As for sock_setupcall().
 * @ownership The context pointers stay the caller's.
 */
extern errno_t sock_setupcalls(socket_t so, sock_upcall rcb, void *rctx,
    sock_upcall wcb, void *wctx);

/*!
 * @function sock_setupcalls_locked
 * @abstract Installs read and write upcalls, for a caller that holds the
 *     socket lock in XNU.
 * @discussion Same as sock_setupcalls().  Private in XNU.
 * @param so The socket; NULL is ignored.
 * @param rcb The read upcall, or NULL.
 * @param rctx The context pointer passed to `rcb`.
 * @param wcb The write upcall, or NULL.
 * @param wctx The context pointer passed to `wcb`.
 * @param locked In XNU, non-zero asks for upcalls called with the socket
 *     lock held.  Ignored by xkpi.
 * @locking May be called from any thread, inside an upcall or an event
 *     callback too: there is no socket lock for the caller to hold.
 * @ownership The context pointers stay the caller's.
 * @deviation XNU requires the caller to hold the socket lock and, with
 *     `locked`, calls the upcalls with it held.  In xkpi upcalls always
 *     run without any library lock.
 */
extern void sock_setupcalls_locked(socket_t so, sock_upcall rcb, void *rctx,
    sock_upcall wcb, void *wctx, int locked);

/*!
 * @function sock_catchevents
 * @abstract Installs (or removes) a socket's event callback.
 * @discussion When an event is raised on the socket its SO_FILT_HINT_*
 *     bits are ANDed with `mask`; if anything is left, `ecb` is called
 *     with what is left.  A NULL `ecb` removes the callback (mask 0).
 *     Raw, divert and SeND sockets raise CONNECTED, DISCONNECTED,
 *     CONNINFO_UPDATED, CANTSENDMORE, CANTRCVMORE, IFDENIED and WAKE_PKT;
 *     host TCP sockets also CONNRESET and TIMEOUT when the host socket
 *     reports them.  Private in XNU.
 * @param so The socket.
 * @param ecb The callback, or NULL.
 * @param ectx The context pointer passed to `ecb`.
 * @param mask The SO_FILT_HINT_* bits of interest, for example
 *     SO_FILT_HINT_EV.
 * @result 0 on success; EINVAL when `so` is NULL.
 * @locking May be called from any thread.  The callback runs on the
 *     event-loop thread without the core lock (see #sock_evupcall).
 * @ownership `ectx` stays the caller's.
 */
extern errno_t sock_catchevents(socket_t so, sock_evupcall ecb, void *ectx,
    uint32_t mask);

/*!
 * @function sock_catchevents_locked
 * @abstract Installs an event callback, for a caller that holds the socket
 *     lock in XNU.
 * @discussion Same as sock_catchevents().  Private in XNU.
 * @param so The socket; NULL is ignored.
 * @param ecb The callback, or NULL.
 * @param ectx The context pointer passed to `ecb`.
 * @param mask The SO_FILT_HINT_* bits of interest.
 * @locking May be called from any thread, inside an upcall or an event
 *     callback too.
 * @ownership `ectx` stays the caller's.
 * @deviation XNU requires (and asserts) the socket lock held.
 */
extern void sock_catchevents_locked(socket_t so, sock_evupcall ecb, void *ectx,
    uint32_t mask);

/*!
 * @function sock_iskernel
 * @abstract Tells whether a socket was made in the kernel.
 * @discussion In XNU, true for sockets made by sock_socket() and for
 *     connections accepted from them, false for sockets of user
 *     processes.  Every xkpi socket is made through the KPI, so the
 *     answer is 1 for any socket.  Private in XNU.
 * @param so The socket.
 * @result 1 for a socket, 0 when `so` is NULL.
 */
extern int sock_iskernel(socket_t so);

/*
 * If glibc ever defines one of the Darwin-only names above, the guards
 * keep glibc's definition; stop the build if its value differs from the
 * one the library was built with.
 */
#if (defined(__cplusplus) && __cplusplus >= 201103L) || \
    (!defined(__cplusplus) && defined(__STDC_VERSION__) && \
    __STDC_VERSION__ >= 201112L)
#ifdef __cplusplus
#define	__XKPI_SOCK_CHECK(name, value)					\
	static_assert((name) == (value),				\
	    #name " differs from the value xkpi uses")
#else
#define	__XKPI_SOCK_CHECK(name, value)					\
	_Static_assert((name) == (value),				\
	    #name " differs from the value xkpi uses")
#endif
__XKPI_SOCK_CHECK(IP_RECVDSTADDR, 0x1007);
__XKPI_SOCK_CHECK(IP_RECVIF, 0x1014);
__XKPI_SOCK_CHECK(IP_DONTFRAG, 0x101c);
__XKPI_SOCK_CHECK(MSG_NBIO, 0x00200000);
__XKPI_SOCK_CHECK(MSG_HAVEMORE, 0x00400000);
__XKPI_SOCK_CHECK(MSG_RCVMORE, 0x00800000);
__XKPI_SOCK_CHECK(MSG_NEEDSA, 0x01000000);
__XKPI_SOCK_CHECK(MSG_EOF, 0x10000000);
__XKPI_SOCK_CHECK(MSG_USEUPCALL, 0x80000000U);
__XKPI_SOCK_CHECK(SO_NREAD, 0x1020);
__XKPI_SOCK_CHECK(SO_NOSIGPIPE, 0x1022);
__XKPI_SOCK_CHECK(SO_NOADDRERR, 0x1023);
__XKPI_SOCK_CHECK(SO_UPCALLCLOSEWAIT, 0x1027);
__XKPI_SOCK_CHECK(SO_DONTTRUNC, 0x2000);
__XKPI_SOCK_CHECK(SO_TRAFFIC_CLASS, 0x1086);
__XKPI_SOCK_CHECK(IP_STRIPHDR, 0x1017);
#undef __XKPI_SOCK_CHECK
#endif

#ifdef __cplusplus
}
#endif

#endif /* _XKPI_SYS_KPI_SOCKET_H_ */
