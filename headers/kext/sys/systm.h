/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/sys/systm.h
 * @abstract The kernel's everyday calls: printf() and the string
 *     functions, sleep and wakeup, panic(), and timeouts.
 * @discussion printf() is the C library's, writing to standard output
 *     where XNU's writes to the kernel log; IOLog() (`<IOKit/IOLib.h>`)
 *     writes to standard error.  timeout() and bsd_timeout() run their
 *     function on the library's loop thread, as thread calls do (see
 *     `<kern/thread_call.h>`).
 */
#ifndef _XKPI_KEXT_SYS_SYSTM_H_
#define _XKPI_KEXT_SYS_SYSTM_H_

#include <xkpi_kext.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/param.h>
#include <sys/time.h>
#include <sys/kernel.h>
#include <sys/proc.h>
#include <kern/debug.h>

#ifdef __cplusplus
extern "C" {
#endif

/*! @abstract The function a timeout runs, with its argument. */
typedef void (*timeout_fcn_t)(void *);

/*!
 * @function timeout
 * @abstract Runs a function on the loop thread after some ticks.
 * @discussion Each call schedules one run; untimeout() cancels one.
 * @param fn The function.
 * @param arg Its argument.
 * @param ticks The delay, in ticks of `hz` (100 a second).
 */
extern void timeout(timeout_fcn_t fn, void *arg, int ticks)
    __XKPI_KERN(timeout);
/*!
 * @function untimeout
 * @abstract Cancels the earliest pending run of a function with an
 *     argument scheduled by timeout() or bsd_timeout().
 * @param fn The function.
 * @param arg Its argument.
 */
extern void untimeout(timeout_fcn_t fn, void *arg) __XKPI_KERN(untimeout);
/*!
 * @function bsd_timeout
 * @abstract Runs a function on the loop thread after a delay.
 * @param fn The function.
 * @param arg Its argument.
 * @param ts The delay; NULL runs it as soon as the loop can.
 */
extern void bsd_timeout(timeout_fcn_t fn, void *arg, struct timespec *ts)
    __XKPI_KERN(bsd_timeout);
/*!
 * @function bsd_untimeout
 * @abstract untimeout().
 * @param fn The function.
 * @param arg Its argument.
 */
extern void bsd_untimeout(timeout_fcn_t fn, void *arg)
    __XKPI_KERN(bsd_untimeout);

#ifdef __cplusplus
}
#endif

#endif /* _XKPI_KEXT_SYS_SYSTM_H_ */
