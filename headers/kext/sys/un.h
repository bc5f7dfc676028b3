/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/sys/un.h
 * @abstract glibc's local socket address, in BSD's layout.
 * @discussion `struct sockaddr_un` has `sun_len` and `sun_family` bytes in
 *     place of glibc's 16-bit family; `sun_path` keeps glibc's offset and
 *     its 108 bytes (BSD has 104).
 */
#ifndef _XKPI_KEXT_SYS_UN_H_
#define _XKPI_KEXT_SYS_UN_H_

#include <xkpi_kext.h>

#include_next <sys/un.h>

#endif /* _XKPI_KEXT_SYS_UN_H_ */
