/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/sys/malloc.h
 * @abstract The BSD kernel allocator: _MALLOC(), _FREE(), _REALLOC(), the
 *     MALLOC() and FREE() macros, and the zone variants.
 * @discussion Memory comes from the C library's heap.  The type is
 *     accepted and ignored.  XNU sleeps with M_WAITOK until memory is
 *     free and never returns NULL; here an allocation the heap refuses
 *     returns NULL whatever the flags.  A size of 0 returns NULL, as in
 *     XNU.
 */
#ifndef _XKPI_KEXT_SYS_MALLOC_H_
#define _XKPI_KEXT_SYS_MALLOC_H_

#include <xkpi_kext.h>

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*! @abstract Allocation flag: the caller may wait. */
#define	M_WAITOK	0x0000
/*! @abstract Allocation flag: the caller must not wait. */
#define	M_NOWAIT	0x0001
/*! @abstract Allocation flag: zero the memory. */
#define	M_ZERO		0x0004
/*! @abstract Allocation flag: return NULL rather than wait. */
#define	M_NULL		0x0008

/*! @abstract Memory type: device driver memory. */
#define	M_DEVBUF	2
/*! @abstract Memory type: a protocol control block. */
#define	M_PCB		4
/*! @abstract Memory type: routing tables. */
#define	M_RTABLE	5
/*! @abstract Memory type: an interface address. */
#define	M_IFADDR	9
/*! @abstract Memory type: a socket name. */
#define	M_SONAME	11
/*! @abstract Memory type: byte-range locks. */
#define	M_LOCKF		40
/*! @abstract Memory type: an exported host address. */
#define	M_NETADDR	49
/*! @abstract Memory type: multicast options. */
#define	M_IPMOPTS	53
/*! @abstract Memory type: a link-level multicast address. */
#define	M_IFMADDR	55
/*! @abstract Memory type: temporary buffers. */
#define	M_TEMP		80
/*! @abstract Memory type: security associations. */
#define	M_SECA		81
/*! @abstract Memory type: UDF inodes. */
#define	M_UDFNODE	84
/*! @abstract Memory type: UDF mounts. */
#define	M_UDFMNT	85
/*! @abstract Memory type: IPv6 options. */
#define	M_IP6OPT	87
/*! @abstract Memory type: the kauth subsystem. */
#define	M_KAUTH		100
/*! @abstract One past the last memory type. */
#define	M_LAST		129

/*!
 * @function _MALLOC
 * @abstract Allocates memory.
 * @param size Bytes.
 * @param type A memory type (ignored).
 * @param flags M_WAITOK or M_NOWAIT, with M_ZERO and M_NULL.
 * @result The memory, or NULL for a size of 0 or when the heap refuses.
 */
extern void *_MALLOC(size_t size, int type, int flags) __XKPI_KERN(_MALLOC);
/*!
 * @function _FREE
 * @abstract Frees memory from _MALLOC() or _REALLOC().
 * @param addr The memory (NULL is ignored).
 * @param type Its memory type (ignored).
 */
extern void _FREE(void *addr, int type) __XKPI_KERN(_FREE);
/*!
 * @function _REALLOC
 * @abstract Resizes memory from _MALLOC().
 * @param addr The memory, or NULL.
 * @param size The new size.
 * @param type A memory type (ignored).
 * @param flags As for _MALLOC(); M_ZERO zeroes the added bytes.
 * @result The memory, or NULL (the old memory is then unchanged).
 */
extern void *_REALLOC(void *addr, size_t size, int type, int flags)
    __XKPI_KERN(_REALLOC);
/*!
 * @function _MALLOC_ZONE
 * @abstract Allocates memory of a size the caller will give back to
 *     _FREE_ZONE().
 * @param size Bytes.
 * @param type A memory type (ignored).
 * @param flags As for _MALLOC().
 * @result The memory, or NULL.
 */
extern void *_MALLOC_ZONE(size_t size, int type, int flags)
    __XKPI_KERN(_MALLOC_ZONE);
/*!
 * @function _FREE_ZONE
 * @abstract Frees memory from _MALLOC_ZONE().
 * @discussion A size other than the allocation's calls the panic hook,
 *     where XNU would corrupt its zones.
 * @param elem The memory (NULL is ignored).
 * @param size Its size, as allocated.
 * @param type Its memory type (ignored).
 */
extern void _FREE_ZONE(void *elem, size_t size, int type)
    __XKPI_KERN(_FREE_ZONE);

/*!
 * @abstract Allocates into a variable, cast.
 * @param space The variable.
 * @param cast The pointer type.
 * @param size Bytes.
 * @param type A memory type.
 * @param flags As for _MALLOC().
 */
#define	MALLOC(space, cast, size, type, flags)				\
	((space) = (cast)_MALLOC(size, type, flags))
/*!
 * @abstract Frees memory from MALLOC().
 * @param addr The memory.
 * @param type Its memory type.
 */
#define	FREE(addr, type)	_FREE((void *)(addr), type)
/*!
 * @abstract Allocates into a variable with _MALLOC_ZONE().
 * @param space The variable.
 * @param cast The pointer type.
 * @param size Bytes.
 * @param type A memory type.
 * @param flags As for _MALLOC().
 */
#define	MALLOC_ZONE(space, cast, size, type, flags)			\
	((space) = (cast)_MALLOC_ZONE(size, type, flags))
/*!
 * @abstract Frees memory from MALLOC_ZONE().
 * @param addr The memory.
 * @param size Its size.
 * @param type Its memory type.
 */
#define	FREE_ZONE(addr, size, type)	_FREE_ZONE((void *)(addr), size, type)

#ifdef __cplusplus
}
#endif

#endif /* _XKPI_KEXT_SYS_MALLOC_H_ */
