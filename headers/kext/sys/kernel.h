/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/sys/kernel.h
 * @abstract The clock tick rate, `hz`.
 */
#ifndef _XKPI_KEXT_SYS_KERNEL_H_
#define _XKPI_KEXT_SYS_KERNEL_H_

#include <xkpi_kext.h>

/* As XNU's: kext code uses bool, true and false after this header. */
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/*!
 * @abstract Clock ticks per second: 100, as in XNU.
 * @discussion tsleep() and timeout() count in these ticks.
 */
extern int hz __XKPI_KERN(hz);

#ifdef __cplusplus
}
#endif

#endif /* _XKPI_KEXT_SYS_KERNEL_H_ */
