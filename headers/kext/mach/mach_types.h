/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/mach/mach_types.h
 * @abstract The Mach types kexts name: return codes, booleans, sizes and
 *     the module information of the start and stop routines.
 * @discussion A kext's `kmod_info_t` is filled by the kext loader; a
 *     program calls the start and stop routines itself (see @ref porting)
 *     and passes NULL or a structure of its own.
 */
#ifndef _XKPI_KEXT_MACH_MACH_TYPES_H_
#define _XKPI_KEXT_MACH_MACH_TYPES_H_

#include <xkpi_kext.h>

#include <stdint.h>
#include <sys/types.h>
#include <mach/boolean.h>
#include <mach/kern_return.h>
#include <kern/kern_types.h>

/*! @abstract A size in the address space. */
typedef uintptr_t	vm_size_t;
/*! @abstract An offset in the address space. */
typedef uintptr_t	vm_offset_t;
/*! @abstract An address in the address space. */
typedef uintptr_t	vm_address_t;
/*! @abstract A kernel module's information (opaque here). */
typedef struct kmod_info kmod_info_t;
/*! @abstract A kernel module's start routine. */
typedef kern_return_t kmod_start_func_t(kmod_info_t *ki, void *data);
/*! @abstract A kernel module's stop routine. */
typedef kern_return_t kmod_stop_func_t(kmod_info_t *ki, void *data);

#endif /* _XKPI_KEXT_MACH_MACH_TYPES_H_ */
