/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/mach/mach_time.h
 * @abstract Absolute time: the monotonic clock in nanoseconds.
 * @discussion XNU's absolute time counts in units of the machine's time
 *     base; here the unit is the nanosecond (a time base of 1/1, as on
 *     Intel Macs), read from the monotonic clock.  Code that converts
 *     with mach_timebase_info() or the conversion calls of
 *     `<kern/clock.h>` works unchanged.
 */
#ifndef _XKPI_KEXT_MACH_MACH_TIME_H_
#define _XKPI_KEXT_MACH_MACH_TIME_H_

#include <xkpi_kext.h>

#include <stdint.h>
#include <mach/kern_return.h>

#ifdef __cplusplus
extern "C" {
#endif

/*! @abstract The ratio that turns absolute time into nanoseconds. */
struct mach_timebase_info {
	uint32_t	numer;	/*!< Numerator (1 here). */
	uint32_t	denom;	/*!< Denominator (1 here). */
};
/*! @abstract A pointer to a struct mach_timebase_info. */
typedef struct mach_timebase_info *mach_timebase_info_t;
/*! @abstract struct mach_timebase_info. */
typedef struct mach_timebase_info mach_timebase_info_data_t;

/*!
 * @function mach_absolute_time
 * @abstract The current absolute time.
 * @result Nanoseconds of the monotonic clock.
 */
extern uint64_t mach_absolute_time(void) __XKPI_KERN(mach_absolute_time);
/*!
 * @function mach_continuous_time
 * @abstract The current absolute time, counting time asleep.
 * @result Nanoseconds of the boot-time clock.
 */
extern uint64_t mach_continuous_time(void) __XKPI_KERN(mach_continuous_time);
/*!
 * @function mach_timebase_info
 * @abstract The time base: 1/1.
 * @param info Where to store it.
 * @result KERN_SUCCESS, or KERN_INVALID_ARGUMENT for NULL.
 */
extern kern_return_t mach_timebase_info(mach_timebase_info_t info)
    __XKPI_KERN(mach_timebase_info);

#ifdef __cplusplus
}
#endif

#endif /* _XKPI_KEXT_MACH_MACH_TIME_H_ */
