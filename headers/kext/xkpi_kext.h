/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/xkpi_kext.h
 * @abstract The kext include set: what makes a translation unit see
 *     BSD's socket addresses.
 * @discussion The kext include set is a second directory of headers,
 *     chosen with `pkg-config --cflags xkpi-kext`, that lets a kernel
 *     extension's source file compile as it did against XNU's kernel
 *     headers: `<sys/socket.h>` brings in the socket KPI, socket addresses
 *     have `sa_len`, `sin_len`, `sin6_len`, `sun_len` and `ss_len`, the
 *     Darwin errno names, `<sys/cdefs.h>` spellings and kernel services
 *     (locks, allocation, atomics, time, timers, sleep and wakeup, logging
 *     and panic) exist.  @ref porting lists what it provides.
 *
 *     Every header of the set includes this one first, and so does the
 *     set's `<sys/cdefs.h>`, which every glibc header includes: whatever
 *     the order of a file's includes, the socket address structures of
 *     glibc are declared in BSD's layout.  That layout is glibc's with
 *     its 16-bit `sa_family_t` field split in two bytes, as BSD has them:
 *     a length byte at offset 0 and a family byte at offset 1.  Every
 *     other field keeps its offset, and every structure its size.
 *
 *     The socket KPI functions that take or return an address (sock_bind(),
 *     sock_connect(), sock_accept(), sock_getsockname(),
 *     sock_getpeername(), sock_getaddr(), sock_send(), sock_sendmbuf(),
 *     sock_sendmbuf_can_wait(), sock_receive(), sock_receivembuf(), and
 *     sock_setsockopt() for the MCAST_* group requests) are bound in such
 *     a file to entry points of the library that convert (`xkpi_bsd_`
 *     followed by the function's name), through the
 *     `__XKPI_BSD_ADDR(name)` label this header defines; a file built with
 *     the plain headers calls the functions themselves.  What the
 *     conversion does, call by call:
 *     - sock_bind(), sock_connect(), and the destination of sock_send(),
 *       sock_sendmbuf() and sock_sendmbuf_can_wait(): the length is read
 *       from `sa_len` and checked as XNU's protocols check it: an AF_INET
 *       address must say 16 and an AF_INET6 address 28, else EINVAL; an
 *       AF_UNIX address gives the path's length (`sun_len` minus 2, at
 *       most 108 bytes: no terminating NUL is needed); any length under 2
 *       or over `sizeof(struct sockaddr_storage)` is EINVAL, and
 *       sock_sendmbuf() frees the chain as on every failure.  A SeND
 *       socket's `struct sockaddr_send` (not an XNU structure) is passed
 *       on unchanged.
 *     - sock_accept(), sock_getsockname(), sock_getpeername(),
 *       sock_getaddr(), and the source of sock_receive() and
 *       sock_receivembuf(): the address is written with `sa_len` set (16,
 *       28, or for AF_UNIX 2 plus the path's length, as BSD's SUN_LEN()
 *       counts it), cut to the caller's length, as XNU cuts it; a local
 *       path's terminating NUL follows when the caller's length has room.
 *       `msg_namelen` is left as the caller set it, as XNU leaves it.
 *     - sock_setsockopt() with MCAST_JOIN_GROUP, MCAST_LEAVE_GROUP,
 *       MCAST_BLOCK_SOURCE, MCAST_UNBLOCK_SOURCE, MCAST_JOIN_SOURCE_GROUP
 *       or MCAST_LEAVE_SOURCE_GROUP: the addresses inside the request,
 *       checked as above.
 *
 *     The same files must not hand socket addresses to glibc's own socket
 *     calls (`bind(2)`, `getaddrinfo(3)` and the like), which expect
 *     Linux's layout: a kext has no such calls, and a program that has
 *     them keeps them in files built with the plain headers.
 */
#ifndef _XKPI_KEXT_H_
#define _XKPI_KEXT_H_

#include <features.h>
#if !defined(__GLIBC__)
#error "the xkpi kext include set needs glibc"
#endif

#if !defined(__XKPI_BSD_SOCKADDR) && (defined(_SYS_SOCKET_H) || \
    defined(_SYS_UN_H) || defined(_NETINET_IN_H))
#error "a socket header was read before the kext set's (is -I.../xkpi/kext ahead of every other include directory?)"
#endif

#include <bits/sockaddr.h>

#undef __SOCKADDR_COMMON
/*!
 * @abstract The start of every socket address structure glibc declares,
 *     in BSD's form.
 * @discussion glibc declares each socket address with this macro, which
 *     it defines as one 16-bit family field; BSD has a length byte and a
 *     family byte in its place, and this is BSD's form.
 * @param sa_prefix The structure's field prefix (`sin_`, `sin6_` ...).
 */
#define	__SOCKADDR_COMMON(sa_prefix)					\
	unsigned char sa_prefix##len;					\
	unsigned char sa_prefix##family

/*!
 * @abstract Defined (as 1) when socket addresses have BSD's layout.
 * @discussion Code shared between the plain and the kext include set
 *     tests it before it reads or writes `sa_len`.
 */
#define	__XKPI_BSD_SOCKADDR	1

/*!
 * @abstract Binds a socket KPI function that takes or returns an address
 *     to the library's converting entry point.
 * @discussion Expands to an assembler label, `xkpi_bsd_` followed by the
 *     name; the plain headers define it to nothing.
 * @param fn The KPI function's name.
 */
#define	__XKPI_BSD_ADDR(fn)	__asm__("xkpi_bsd_" #fn)

/*!
 * @abstract Binds a kernel service the kext set declares (lck_mtx_lock(),
 *     microtime(), panic() ...) to the library's symbol for it.
 * @discussion Expands to an assembler label, `xkpi_kern_` followed by the
 *     name, so that the library adds no symbol such as `panic` or
 *     `wakeup` to a program's name space: a program linked with xkpi may
 *     have functions of those names of its own, outside the files built
 *     with the kext set.
 * @param fn The service's name.
 */
#define	__XKPI_KERN(fn)		__asm__("xkpi_kern_" #fn)

#endif /* _XKPI_KEXT_H_ */
