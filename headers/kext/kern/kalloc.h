/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/kern/kalloc.h
 * @abstract The allocator of later XNU releases: kalloc_data(),
 *     kfree_data(), krealloc_data(), kalloc_type() and kfree_type().
 * @discussion Memory comes from the C library's heap.  Without Z_NOFAIL
 *     an allocation the heap refuses returns NULL; with Z_NOFAIL it calls
 *     the panic hook, as XNU panics.  kfree_data() checks the size it is
 *     given against the allocation's and calls the panic hook when they
 *     differ.
 */
#ifndef _XKPI_KEXT_KERN_KALLOC_H_
#define _XKPI_KEXT_KERN_KALLOC_H_

#include <xkpi_kext.h>

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*! @abstract Allocation flags: a set of Z_* values. */
typedef int	zalloc_flags_t;
/*! @abstract The caller may wait. */
#define	Z_WAITOK	0x0000
/*! @abstract The caller must not wait. */
#define	Z_NOWAIT	0x0001
/*! @abstract The caller must not wait for pages. */
#define	Z_NOPAGEWAIT	0x0002
/*! @abstract Zero the memory. */
#define	Z_ZERO		0x0004
/*! @abstract Never return NULL: failing calls the panic hook. */
#define	Z_NOFAIL	0x8000

/*!
 * @function kalloc_data
 * @abstract Allocates memory for bytes (no pointers inside).
 * @param size Bytes.
 * @param flags Z_* flags.
 * @result The memory, or NULL for a size of 0 or when the heap refuses.
 */
extern void *kalloc_data(size_t size, zalloc_flags_t flags)
    __XKPI_KERN(kalloc_data);
/*!
 * @function krealloc_data
 * @abstract Resizes memory from kalloc_data().
 * @param addr The memory, or NULL.
 * @param old_size Its size.
 * @param new_size The new size.
 * @param flags Z_* flags; Z_ZERO zeroes the added bytes.
 * @result The memory, or NULL (the old memory then unchanged).
 */
extern void *krealloc_data(void *addr, size_t old_size, size_t new_size,
    zalloc_flags_t flags) __XKPI_KERN(krealloc_data);
/*!
 * @function kfree_data
 * @abstract Frees memory from kalloc_data() or krealloc_data().
 * @param addr The memory (NULL is ignored).
 * @param size Its size, as allocated.
 */
extern void kfree_data(void *addr, size_t size) __XKPI_KERN(kfree_data);

/*!
 * @abstract Allocates one object of a type, zeroed as XNU's typed heap
 *     zeroes it.
 * @param type The type.
 * @param flags Z_* flags.
 */
#define	kalloc_type(type, flags)					\
	((type *)kalloc_data(sizeof(type), (flags) | Z_ZERO))
/*!
 * @abstract Frees an object from kalloc_type().
 * @param type The type.
 * @param ptr The object.
 */
#define	kfree_type(type, ptr)	kfree_data((ptr), sizeof(type))

#ifdef __cplusplus
}
#endif

#endif /* _XKPI_KEXT_KERN_KALLOC_H_ */
