/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/kern/clock.h
 * @abstract The kernel's clocks: calendar and system (uptime) time,
 *     absolute time and deadlines.
 * @discussion Calendar time is the realtime clock; system time, uptime
 *     and absolute time are the monotonic clock, in nanoseconds (see
 *     `<mach/mach_time.h>`).  A deadline is an absolute time.
 */
#ifndef _XKPI_KEXT_KERN_CLOCK_H_
#define _XKPI_KEXT_KERN_CLOCK_H_

#include <xkpi_kext.h>

#include <stdint.h>
#include <mach/mach_time.h>

#ifdef __cplusplus
extern "C" {
#endif

/*! @abstract Seconds. */
typedef unsigned long	clock_sec_t;
/*! @abstract Microseconds. */
typedef unsigned int	clock_usec_t;
/*! @abstract Nanoseconds. */
typedef unsigned int	clock_nsec_t;

#ifndef NSEC_PER_USEC
/*! @abstract Nanoseconds in a microsecond. */
#define	NSEC_PER_USEC	1000ull
#endif
#ifndef USEC_PER_SEC
/*! @abstract Microseconds in a second. */
#define	USEC_PER_SEC	1000000ull
#endif
#ifndef NSEC_PER_SEC
/*! @abstract Nanoseconds in a second. */
#define	NSEC_PER_SEC	1000000000ull
#endif
#ifndef NSEC_PER_MSEC
/*! @abstract Nanoseconds in a millisecond. */
#define	NSEC_PER_MSEC	1000000ull
#endif

/*!
 * @function clock_get_calendar_microtime
 * @abstract The time of day, in seconds and microseconds since the epoch.
 * @param secs Where to store the seconds.
 * @param microsecs Where to store the microseconds.
 */
extern void clock_get_calendar_microtime(clock_sec_t *secs,
    clock_usec_t *microsecs) __XKPI_KERN(clock_get_calendar_microtime);
/*!
 * @function clock_get_calendar_nanotime
 * @abstract The time of day, in seconds and nanoseconds since the epoch.
 * @param secs Where to store the seconds.
 * @param nanosecs Where to store the nanoseconds.
 */
extern void clock_get_calendar_nanotime(clock_sec_t *secs,
    clock_nsec_t *nanosecs) __XKPI_KERN(clock_get_calendar_nanotime);
/*!
 * @function clock_get_system_microtime
 * @abstract The uptime, in seconds and microseconds.
 * @param secs Where to store the seconds.
 * @param microsecs Where to store the microseconds.
 */
extern void clock_get_system_microtime(clock_sec_t *secs,
    clock_usec_t *microsecs) __XKPI_KERN(clock_get_system_microtime);
/*!
 * @function clock_get_system_nanotime
 * @abstract The uptime, in seconds and nanoseconds.
 * @param secs Where to store the seconds.
 * @param nanosecs Where to store the nanoseconds.
 */
extern void clock_get_system_nanotime(clock_sec_t *secs,
    clock_nsec_t *nanosecs) __XKPI_KERN(clock_get_system_nanotime);
/*!
 * @function clock_get_uptime
 * @abstract The current absolute time.
 * @param result Where to store it.
 */
extern void clock_get_uptime(uint64_t *result) __XKPI_KERN(clock_get_uptime);
/*!
 * @function clock_timebase_info
 * @abstract The time base (1/1), as mach_timebase_info() gives it.
 * @param info Where to store it.
 */
extern void clock_timebase_info(mach_timebase_info_t info)
    __XKPI_KERN(clock_timebase_info);
/*!
 * @function clock_interval_to_deadline
 * @abstract The deadline an interval from now.
 * @param interval The interval, in units of `scale_factor` nanoseconds.
 * @param scale_factor Nanoseconds per unit (1000000 for milliseconds).
 * @param result Where to store the deadline.
 */
extern void clock_interval_to_deadline(uint32_t interval,
    uint32_t scale_factor, uint64_t *result)
    __XKPI_KERN(clock_interval_to_deadline);
/*!
 * @function clock_interval_to_absolutetime_interval
 * @abstract An interval in absolute time units.
 * @param interval The interval, in units of `scale_factor` nanoseconds.
 * @param scale_factor Nanoseconds per unit.
 * @param result Where to store it.
 */
extern void clock_interval_to_absolutetime_interval(uint32_t interval,
    uint32_t scale_factor, uint64_t *result)
    __XKPI_KERN(clock_interval_to_absolutetime_interval);
/*!
 * @function clock_absolutetime_interval_to_deadline
 * @abstract The deadline an absolute-time interval from now.
 * @param abstime The interval.
 * @param result Where to store the deadline.
 */
extern void clock_absolutetime_interval_to_deadline(uint64_t abstime,
    uint64_t *result) __XKPI_KERN(clock_absolutetime_interval_to_deadline);
/*!
 * @function nanoseconds_to_deadline
 * @abstract The deadline a number of nanoseconds from now.
 * @param interval The nanoseconds.
 * @param result Where to store the deadline.
 */
extern void nanoseconds_to_deadline(uint64_t interval, uint64_t *result)
    __XKPI_KERN(nanoseconds_to_deadline);
/*!
 * @function absolutetime_to_nanoseconds
 * @abstract Converts absolute time to nanoseconds (the same number here).
 * @param abstime The absolute time.
 * @param result Where to store the nanoseconds.
 */
extern void absolutetime_to_nanoseconds(uint64_t abstime, uint64_t *result)
    __XKPI_KERN(absolutetime_to_nanoseconds);
/*!
 * @function nanoseconds_to_absolutetime
 * @abstract Converts nanoseconds to absolute time (the same number here).
 * @param nanoseconds The nanoseconds.
 * @param result Where to store the absolute time.
 */
extern void nanoseconds_to_absolutetime(uint64_t nanoseconds,
    uint64_t *result) __XKPI_KERN(nanoseconds_to_absolutetime);
/*!
 * @function clock_delay_until
 * @abstract Sleeps until a deadline.
 * @param deadline The absolute time to wake at.
 */
extern void clock_delay_until(uint64_t deadline)
    __XKPI_KERN(clock_delay_until);
/*!
 * @function delay_for_interval
 * @abstract Sleeps for an interval.
 * @param interval The interval, in units of `scale_factor` nanoseconds.
 * @param scale_factor Nanoseconds per unit.
 */
extern void delay_for_interval(uint32_t interval, uint32_t scale_factor)
    __XKPI_KERN(delay_for_interval);

#ifdef __cplusplus
}
#endif

#endif /* _XKPI_KEXT_KERN_CLOCK_H_ */
