/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/sys/domain.h
 * @abstract Protocol domains: the names a kext's includes expect.
 * @discussion XNU keeps `struct domain` and its functions private; a kext
 *     that includes this header uses it for the socket families and the
 *     structure's name.  Both are here; no domain can be added
 *     (`net_add_domain()` does not exist).
 */
#ifndef _XKPI_KEXT_SYS_DOMAIN_H_
#define _XKPI_KEXT_SYS_DOMAIN_H_

#include <xkpi_kext.h>

#include <sys/socket.h>

struct domain;
struct protosw;

/*! @abstract A domain whose protocols run without its lock (XNU). */
#define	DOM_REENTRANT	0x1

#endif /* _XKPI_KEXT_SYS_DOMAIN_H_ */
