/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/kern/debug.h
 * @abstract panic(): the kernel's fatal error, through the library's
 *     panic hook.
 */
#ifndef _XKPI_KEXT_KERN_DEBUG_H_
#define _XKPI_KEXT_KERN_DEBUG_H_

#include <xkpi_kext.h>

/* XNU's kernel headers give kexts bool and the UUID calls from here. */
#include <stdbool.h>
#include <uuid/uuid.h>

#ifdef __cplusplus
extern "C" {
#endif

/*!
 * @function panic
 * @abstract Stops everything: the kext found an impossible state.
 * @discussion The message, formatted, goes to the panic hook
 *     (xkpi_set_panic_hook() in xkpi.h), whose default prints it to
 *     standard error and aborts the process.  panic() never returns: when
 *     a hook returns, it calls abort().  A test that expects a panic
 *     installs a hook that leaves by siglongjmp().
 * @param fmt A printf(3) format.
 * @param ... Its arguments.
 */
extern void panic(const char *fmt, ...) __XKPI_KERN(panic)
    __attribute__((__noreturn__, __format__(__printf__, 1, 2)));

#ifdef __cplusplus
}
#endif

#endif /* _XKPI_KEXT_KERN_DEBUG_H_ */
