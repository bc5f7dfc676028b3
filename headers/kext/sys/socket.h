/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/sys/socket.h
 * @abstract glibc's `<sys/socket.h>` in BSD's layout, with the socket KPI.
 * @discussion As XNU's kernel header does, this one brings in
 *     `<sys/kpi_socket.h>`: kext sources call sock_socket() and the rest
 *     after including `<sys/socket.h>` alone.  Socket addresses have
 *     `sa_len` and `ss_len` (see xkpi_kext.h); the constants keep
 *     glibc's values, and the Darwin-only names come from
 *     `<sys/kpi_socket.h>`, whose functions take and return addresses in
 *     this layout (see xkpi_kext.h).
 */
#ifndef _XKPI_KEXT_SYS_SOCKET_H_
#define _XKPI_KEXT_SYS_SOCKET_H_

#include <xkpi_kext.h>

#include_next <sys/socket.h>

#ifndef SOCK_MAXADDRLEN
/*! @abstract The longest socket address `sa_len` can describe. */
#define	SOCK_MAXADDRLEN	255
#endif

/* The plain header: xkpi_kext.h binds its address functions. */
#include <sys/kpi_socket.h>

#endif /* _XKPI_KEXT_SYS_SOCKET_H_ */
