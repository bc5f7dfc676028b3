/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header sys/kernel_types.h
 * @abstract Opaque handle types of the XNU kernel programming interfaces.
 * @discussion Kernel extension sources name sockets, mbufs and interfaces
 *     through these handles and never look inside them.  xkpi keeps XNU's
 *     spelling (each handle is a pointer to an incomplete
 *     <code>struct __name</code>) so that such sources compile unchanged;
 *     the structures themselves are private to the library.
 */
#ifndef _XKPI_SYS_KERNEL_TYPES_H_
#define _XKPI_SYS_KERNEL_TYPES_H_

#include <stdint.h>
#include <sys/types.h>

#ifndef _ERRNO_T
#define _ERRNO_T
/*!
 * @abstract An error number: 0 for success or a positive errno value.
 * @discussion Every KPI call that can fail returns one; none returns -1 or
 *     sets the global <code>errno</code>.
 */
typedef int errno_t;
#endif

/*! @abstract A socket created or accepted through the socket KPI. */
typedef struct __socket *socket_t;
/*! @abstract An mbuf: one buffer of a packet or of socket data. */
typedef struct __mbuf *mbuf_t;
/*! @abstract A network interface known to the library. */
typedef struct __ifnet *ifnet_t;
/*! @abstract The packet header of an mbuf (never dereferenced). */
typedef struct __pkthdr *pkthdr_t;
/*! @abstract A socket option request, as seen by socket filters. */
typedef struct __sockopt *sockopt_t;
/*! @abstract An address configured on an interface. */
typedef struct __ifaddr *ifaddr_t;
/*! @abstract A multicast membership of an interface. */
typedef struct __ifmultiaddr *ifmultiaddr_t;
/*! @abstract An interface filter. */
typedef struct __ifnet_filter *interface_filter_t;
/*! @abstract A routing table entry. */
typedef struct __rtentry *route_t;
/*! @abstract An interface cloner. */
typedef struct __if_clone *if_clone_t;
/*! @abstract Attributes of a buffer-cache buffer. */
typedef struct __bufattr *bufattr_t;

#endif /* _XKPI_SYS_KERNEL_TYPES_H_ */
