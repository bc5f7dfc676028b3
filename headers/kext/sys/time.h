/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/sys/time.h
 * @abstract glibc's `<sys/time.h>` with the kernel's clock calls:
 *     microtime(), microuptime(), nanotime(), nanouptime() and the
 *     timeval arithmetic of XNU.
 * @discussion The time of day is the realtime clock; uptime is the
 *     monotonic clock.
 */
#ifndef _XKPI_KEXT_SYS_TIME_H_
#define _XKPI_KEXT_SYS_TIME_H_

#include <xkpi_kext.h>

#include_next <sys/time.h>

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*!
 * @function microtime
 * @abstract The time of day, to the microsecond.
 * @param tv Where to store it.
 */
extern void microtime(struct timeval *tv) __XKPI_KERN(microtime);
/*!
 * @function microtime_with_abstime
 * @abstract The time of day and the absolute time, read together.
 * @param tv Where to store the time of day.
 * @param abstime Where to store the absolute time.
 */
extern void microtime_with_abstime(struct timeval *tv, uint64_t *abstime)
    __XKPI_KERN(microtime_with_abstime);
/*!
 * @function microuptime
 * @abstract The uptime, to the microsecond.
 * @param tv Where to store it.
 */
extern void microuptime(struct timeval *tv) __XKPI_KERN(microuptime);
/*!
 * @function nanotime
 * @abstract The time of day, to the nanosecond.
 * @param ts Where to store it.
 */
extern void nanotime(struct timespec *ts) __XKPI_KERN(nanotime);
/*!
 * @function nanouptime
 * @abstract The uptime, to the nanosecond.
 * @param ts Where to store it.
 */
extern void nanouptime(struct timespec *ts) __XKPI_KERN(nanouptime);
/*!
 * @function timevaladd
 * @abstract Adds a timeval to another.
 * @param t1 The sum's first term, which receives the sum.
 * @param t2 The second term.
 */
extern void timevaladd(struct timeval *t1, struct timeval *t2)
    __XKPI_KERN(timevaladd);
/*!
 * @function timevalsub
 * @abstract Subtracts a timeval from another.
 * @param t1 The minuend, which receives the difference.
 * @param t2 The subtrahend.
 */
extern void timevalsub(struct timeval *t1, struct timeval *t2)
    __XKPI_KERN(timevalsub);
/*!
 * @function timevalfix
 * @abstract Brings a timeval's microseconds into [0, 1000000).
 * @param t1 The timeval.
 */
extern void timevalfix(struct timeval *t1) __XKPI_KERN(timevalfix);

/*! @abstract microtime(). @param a Where to store the time. */
#define	getmicrotime(a)		microtime(a)
/*! @abstract microuptime(). @param a Where to store the time. */
#define	getmicrouptime(a)	microuptime(a)
/*! @abstract nanotime(). @param a Where to store the time. */
#define	getnanotime(a)		nanotime(a)
/*! @abstract nanouptime(). @param a Where to store the time. */
#define	getnanouptime(a)	nanouptime(a)

#ifdef __cplusplus
}
#endif

#endif /* _XKPI_KEXT_SYS_TIME_H_ */
