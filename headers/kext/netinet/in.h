/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/netinet/in.h
 * @abstract glibc's `<netinet/in.h>` in BSD's layout.
 * @discussion `struct sockaddr_in` has `sin_len`, `struct sockaddr_in6`
 *     has `sin6_len`; every other field keeps its offset, and the
 *     constants keep glibc's values.
 */
#ifndef _XKPI_KEXT_NETINET_IN_H_
#define _XKPI_KEXT_NETINET_IN_H_

#include <xkpi_kext.h>

#include <sys/socket.h>
#include_next <netinet/in.h>

#endif /* _XKPI_KEXT_NETINET_IN_H_ */
