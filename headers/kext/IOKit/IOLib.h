/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/IOKit/IOLib.h
 * @abstract IOKit's library calls kexts use outside IOKit proper:
 *     IOLog(), IOSleep(), IODelay(), IOMalloc() and IOFree().
 * @discussion IOLog() writes its message to standard error, as one line
 *     (a newline is added when the message has none), where XNU writes to
 *     the kernel log.  IOMalloc() memory comes from the C library's heap;
 *     IOFree() checks the size it is given and calls the panic hook when
 *     it differs from the allocation's.
 */
#ifndef _XKPI_KEXT_IOKIT_IOLIB_H_
#define _XKPI_KEXT_IOKIT_IOLIB_H_

#include <xkpi_kext.h>

#include <stdarg.h>
#include <mach/mach_types.h>
#include <IOKit/IOTypes.h>

#ifdef __cplusplus
extern "C" {
#endif

/*!
 * @function IOLog
 * @abstract Logs a message: to standard error here.
 * @param format A printf(3) format.
 * @param ... Its arguments.
 */
extern void IOLog(const char *format, ...) __XKPI_KERN(IOLog)
    __attribute__((__format__(__printf__, 1, 2)));
/*!
 * @function IOLogv
 * @abstract IOLog() with a va_list.
 * @param format A printf(3) format.
 * @param ap Its arguments.
 */
extern void IOLogv(const char *format, va_list ap) __XKPI_KERN(IOLogv)
    __attribute__((__format__(__printf__, 1, 0)));
/*!
 * @function IOSleep
 * @abstract Sleeps for some milliseconds.
 * @param milliseconds How long.
 */
extern void IOSleep(unsigned milliseconds) __XKPI_KERN(IOSleep);
/*!
 * @function IODelay
 * @abstract Waits for some microseconds.
 * @param microseconds How long.
 */
extern void IODelay(unsigned microseconds) __XKPI_KERN(IODelay);
/*!
 * @function IOMalloc
 * @abstract Allocates memory.
 * @param size Bytes.
 * @result The memory, or NULL for a size of 0 or when the heap refuses.
 */
extern void *IOMalloc(vm_size_t size) __XKPI_KERN(IOMalloc);
/*!
 * @function IOMallocZero
 * @abstract Allocates zeroed memory.
 * @param size Bytes.
 * @result The memory, or NULL.
 */
extern void *IOMallocZero(vm_size_t size) __XKPI_KERN(IOMallocZero);
/*!
 * @function IOFree
 * @abstract Frees memory from IOMalloc() or IOMallocZero().
 * @param address The memory (NULL is ignored).
 * @param size Its size, as allocated.
 */
extern void IOFree(void *address, vm_size_t size) __XKPI_KERN(IOFree);
/*!
 * @function IOMallocAligned
 * @abstract Allocates memory aligned to a power of two.
 * @param size Bytes.
 * @param alignment The alignment (rounded up to a power of two, at least
 *     that of a pointer).
 * @result The memory, or NULL.
 */
extern void *IOMallocAligned(vm_size_t size, vm_offset_t alignment)
    __XKPI_KERN(IOMallocAligned);
/*!
 * @function IOFreeAligned
 * @abstract Frees memory from IOMallocAligned().
 * @param address The memory (NULL is ignored).
 * @param size Its size, as allocated.
 */
extern void IOFreeAligned(void *address, vm_size_t size)
    __XKPI_KERN(IOFreeAligned);

#ifdef __cplusplus
}
#endif

#endif /* _XKPI_KEXT_IOKIT_IOLIB_H_ */
