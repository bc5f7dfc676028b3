/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/sys/param.h
 * @abstract glibc's `<sys/param.h>` with the kernel's sleep priorities
 *     and flags.
 * @discussion The priorities are accepted by msleep() and tsleep() and
 *     change nothing; PCATCH is accepted and no sleep is ever interrupted;
 *     PDROP leaves the mutex released on return.
 */
#ifndef _XKPI_KEXT_SYS_PARAM_H_
#define _XKPI_KEXT_SYS_PARAM_H_

#include <xkpi_kext.h>

#include_next <sys/param.h>

/*! @abstract Sleep priority: virtual memory. */
#define	PVM		4
/*! @abstract Sleep priority: inodes. */
#define	PINOD		8
/*! @abstract Sleep priority: block I/O. */
#define	PRIBIO		16
/*! @abstract Sleep priority: file systems. */
#define	PVFS		20
/*! @abstract Sleep priority: the boundary of signal catching (historic). */
#define	PZERO		22
/*! @abstract Sleep priority: sockets. */
#define	PSOCK		24
/*! @abstract Sleep priority: waits. */
#define	PWAIT		32
/*! @abstract Sleep priority: locks. */
#define	PLOCK		36
/*! @abstract Sleep priority: pauses. */
#define	PPAUSE		40
/*! @abstract Sleep priority: user. */
#define	PUSER		50
/*! @abstract The priority bits of a sleep's `pri`. */
#define	PRIMASK		0x0ff
/*! @abstract Sleep flag: a signal may end the sleep (none does here). */
#define	PCATCH		0x100
/*! @abstract Sleep flag: return with the mutex released. */
#define	PDROP		0x400
/*! @abstract Sleep flag: take the mutex again in spin mode (plainly here). */
#define	PSPIN		0x800

#endif /* _XKPI_KEXT_SYS_PARAM_H_ */
