/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/IOKit/IOTypes.h
 * @abstract The IOKit types kexts of the network stack use: IOReturn and
 *     the time scales of clock_interval_to_deadline().
 */
#ifndef _XKPI_KEXT_IOKIT_IOTYPES_H_
#define _XKPI_KEXT_IOKIT_IOTYPES_H_

#include <xkpi_kext.h>

#include <mach/mach_types.h>

/*! @abstract An IOKit return code. */
typedef kern_return_t	IOReturn;
/*! @abstract Success. */
#define	kIOReturnSuccess	KERN_SUCCESS

/*! @abstract Nanoseconds per unit of an interval, by unit. */
enum {
	kNanosecondScale = 1,		/*!< Nanoseconds. */
	kMicrosecondScale = 1000,	/*!< Microseconds. */
	kMillisecondScale = 1000 * 1000, /*!< Milliseconds. */
	kSecondScale = 1000 * 1000 * 1000, /*!< Seconds. */
	kTickScale = kSecondScale / 100	/*!< Ticks of `hz` (100). */
};

#endif /* _XKPI_KEXT_IOKIT_IOTYPES_H_ */
