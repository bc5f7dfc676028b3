/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/kern/kern_types.h
 * @abstract The kernel's wait types: events, wait results and how a wait
 *     may be interrupted, with XNU's values.
 */
#ifndef _XKPI_KEXT_KERN_KERN_TYPES_H_
#define _XKPI_KEXT_KERN_KERN_TYPES_H_

#include <xkpi_kext.h>

#include <mach/boolean.h>
#include <mach/kern_return.h>

/*! @abstract What a thread waits for: any address, compared as such. */
typedef void	*event_t;

/*! @abstract The result of a wait. */
typedef int	wait_result_t;
/*! @abstract Wait result: still waiting. */
#define	THREAD_WAITING		-1
/*! @abstract Wait result: woken by a wakeup of the event. */
#define	THREAD_AWAKENED		0
/*! @abstract Wait result: the deadline passed first. */
#define	THREAD_TIMED_OUT	1
/*! @abstract Wait result: interrupted (never in xkpi). */
#define	THREAD_INTERRUPTED	2
/*! @abstract Wait result: restart the operation (never in xkpi). */
#define	THREAD_RESTART		3
/*! @abstract Wait result: the thread was not waiting. */
#define	THREAD_NOT_WAITING	10

/*! @abstract Whether a wait may be interrupted. */
typedef int	wait_interrupt_t;
/*! @abstract The wait cannot be interrupted. */
#define	THREAD_UNINT		0
/*! @abstract The wait may be interrupted (no signal ever does here). */
#define	THREAD_INTERRUPTIBLE	1
/*! @abstract The wait may be aborted safely (never is here). */
#define	THREAD_ABORTSAFE	2

#endif /* _XKPI_KEXT_KERN_KERN_TYPES_H_ */
