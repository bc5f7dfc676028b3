/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/libkern/OSMalloc.h
 * @abstract libkern's tagged allocator: OSMalloc_Tagalloc(), OSMalloc(),
 *     OSFree() and their relatives.
 * @discussion Memory comes from the C library's heap.  As in XNU, each
 *     allocation holds a reference on its tag: OSMalloc_Tagfree() of a
 *     tag with allocations outstanding frees it when the last of them is
 *     freed.  OSFree() checks the size and tag it is given against the
 *     allocation's and calls the panic hook when they differ, where XNU
 *     would corrupt its zones.  XNU's OSMalloc() waits for memory and
 *     never returns NULL; here it returns NULL when the heap refuses.
 */
#ifndef _XKPI_KEXT_LIBKERN_OSMALLOC_H_
#define _XKPI_KEXT_LIBKERN_OSMALLOC_H_

#include <xkpi_kext.h>

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*! @abstract An allocation tag: a name for a set of allocations. */
typedef struct __OSMallocTag__ *OSMallocTag;
/*! @abstract Another name of OSMallocTag. */
typedef struct __OSMallocTag__ *OSMallocTag_t;

/*! @abstract Tag flag: default (wired) memory. */
#define	OSMT_DEFAULT	0x00
/*! @abstract Tag flag: pageable memory (no difference here). */
#define	OSMT_PAGEABLE	0x01

/*!
 * @function OSMalloc_Tagalloc
 * @abstract Allocates a tag.
 * @param name The tag's name, copied (at most 63 bytes kept).
 * @param flags OSMT_DEFAULT or OSMT_PAGEABLE.
 * @result The tag, or NULL when memory runs out.
 */
extern OSMallocTag OSMalloc_Tagalloc(const char *name, uint32_t flags)
    __XKPI_KERN(OSMalloc_Tagalloc);
/*!
 * @function OSMalloc_Tagfree
 * @abstract Frees a tag, now or when its last allocation is freed.
 * @param tag The tag.
 */
extern void OSMalloc_Tagfree(OSMallocTag tag) __XKPI_KERN(OSMalloc_Tagfree);
/*!
 * @function OSMalloc
 * @abstract Allocates memory under a tag.
 * @param size Bytes.
 * @param tag The tag.
 * @result The memory, or NULL for a size of 0, a NULL tag, or when the
 *     heap refuses.
 */
extern void *OSMalloc(uint32_t size, OSMallocTag tag) __XKPI_KERN(OSMalloc);
/*!
 * @function OSMalloc_nowait
 * @abstract OSMalloc() for a caller that must not wait.
 * @param size Bytes.
 * @param tag The tag.
 * @result The memory, or NULL.
 */
extern void *OSMalloc_nowait(uint32_t size, OSMallocTag tag)
    __XKPI_KERN(OSMalloc_nowait);
/*!
 * @function OSMalloc_noblock
 * @abstract OSMalloc() for a caller that must not block.
 * @param size Bytes.
 * @param tag The tag.
 * @result The memory, or NULL.
 */
extern void *OSMalloc_noblock(uint32_t size, OSMallocTag tag)
    __XKPI_KERN(OSMalloc_noblock);
/*!
 * @function OSFree
 * @abstract Frees memory from OSMalloc().
 * @param addr The memory (NULL is ignored).
 * @param size Its size, as allocated.
 * @param tag Its tag.
 */
extern void OSFree(void *addr, uint32_t size, OSMallocTag tag)
    __XKPI_KERN(OSFree);

#ifdef __cplusplus
}
#endif

#endif /* _XKPI_KEXT_LIBKERN_OSMALLOC_H_ */
