/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/libkern/OSTypes.h
 * @abstract libkern's integer and boolean types.
 */
#ifndef _XKPI_KEXT_LIBKERN_OSTYPES_H_
#define _XKPI_KEXT_LIBKERN_OSTYPES_H_

#include <xkpi_kext.h>

#include <stdint.h>

/*! @abstract An unsigned integer as wide as a pointer. */
typedef unsigned long	UInt;
/*! @abstract A signed integer as wide as a pointer. */
typedef signed long	SInt;
/*! @abstract 8-bit unsigned. */
typedef uint8_t		UInt8;
/*! @abstract 16-bit unsigned. */
typedef uint16_t	UInt16;
/*! @abstract 32-bit unsigned. */
typedef uint32_t	UInt32;
/*! @abstract 64-bit unsigned. */
typedef uint64_t	UInt64;
/*! @abstract 8-bit signed. */
typedef int8_t		SInt8;
/*! @abstract 16-bit signed. */
typedef int16_t		SInt16;
/*! @abstract 32-bit signed. */
typedef int32_t		SInt32;
/*! @abstract 64-bit signed. */
typedef int64_t		SInt64;
/*! @abstract libkern's boolean: an unsigned char. */
typedef unsigned char	Boolean;
/*! @abstract A status code. */
typedef SInt32		OSStatus;

#endif /* _XKPI_KEXT_LIBKERN_OSTYPES_H_ */
