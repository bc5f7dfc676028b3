/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/mach/kern_return.h
 * @abstract Mach's return codes, with XNU's values.
 * @discussion A kext's start and stop routines return them; no service of
 *     the library does.
 */
#ifndef _XKPI_KEXT_MACH_KERN_RETURN_H_
#define _XKPI_KEXT_MACH_KERN_RETURN_H_

#include <xkpi_kext.h>

#ifndef __XKPI_KERN_RETURN_T
/*! @abstract Defined once kern_return_t is (here or in sys/kpi_mbuf.h). */
#define	__XKPI_KERN_RETURN_T
/*! @abstract A Mach return code. */
typedef int	kern_return_t;
#endif

/*! @abstract Success. */
#define	KERN_SUCCESS			0
/*! @abstract The address is not valid. */
#define	KERN_INVALID_ADDRESS		1
/*! @abstract The protection does not allow the operation. */
#define	KERN_PROTECTION_FAILURE		2
/*! @abstract No room in the address space. */
#define	KERN_NO_SPACE			3
/*! @abstract An argument is not valid. */
#define	KERN_INVALID_ARGUMENT		4
/*! @abstract The operation failed. */
#define	KERN_FAILURE			5
/*! @abstract A resource ran out. */
#define	KERN_RESOURCE_SHORTAGE		6
/*! @abstract The operation was aborted. */
#define	KERN_ABORTED			14
/*! @abstract The object is not in a state that allows it. */
#define	KERN_INVALID_VALUE		18
/*! @abstract The operation is not supported. */
#define	KERN_NOT_SUPPORTED		46
/*! @abstract No thread was waiting. */
#define	KERN_NOT_WAITING		48
/*! @abstract The operation timed out. */
#define	KERN_OPERATION_TIMED_OUT	49

#endif /* _XKPI_KEXT_MACH_KERN_RETURN_H_ */
