/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/sys/errno.h
 * @abstract glibc's errno names, and the names only Darwin has.
 * @discussion Every name glibc defines keeps glibc's value: `ENOTSUP`
 *     and `EOPNOTSUPP` are both 95, `ERESTART` is Linux's 85.  The names
 *     below exist only in Darwin, whose numbers are taken by other Linux
 *     errors (Darwin's EAUTH, 80, is Linux's ELIBBAD).  Here each has the
 *     value 0x1000 plus Darwin's number, which no Linux error uses, so a
 *     `switch` that names both Darwin and Linux errors compiles and an
 *     error a kext returns is never mistaken for another.  The kernel's
 *     internal codes keep XNU's negative values.  xkpi_strerror() gives
 *     the text of every one of them, and of every Linux error.
 *
 *     The library itself returns none of these: what it returns is a
 *     Linux error with the name a kext tests for.  They are the kext's
 *     own errors, and the ones its callbacks return to the library
 *     (EJUSTRETURN from an IP filter, for one).
 */
#ifndef _XKPI_KEXT_SYS_ERRNO_H_
#define _XKPI_KEXT_SYS_ERRNO_H_

#include <xkpi_kext.h>

#include_next <sys/errno.h>

#include <sys/kernel_types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*!
 * @abstract A Darwin-only error's value here: 0x1000 plus Darwin's.
 * @param n Darwin's value.
 */
#define	__XKPI_DARWIN_ERRNO(n)	(0x1000 + (n))

#ifndef EPROCLIM
/*! @abstract Too many processes (Darwin's 67). */
#define	EPROCLIM	__XKPI_DARWIN_ERRNO(67)
#endif
#ifndef EBADRPC
/*! @abstract The RPC structure is bad (Darwin's 72). */
#define	EBADRPC		__XKPI_DARWIN_ERRNO(72)
#endif
#ifndef ERPCMISMATCH
/*! @abstract The RPC version is wrong (Darwin's 73). */
#define	ERPCMISMATCH	__XKPI_DARWIN_ERRNO(73)
#endif
#ifndef EPROGUNAVAIL
/*! @abstract The RPC program is not available (Darwin's 74). */
#define	EPROGUNAVAIL	__XKPI_DARWIN_ERRNO(74)
#endif
#ifndef EPROGMISMATCH
/*! @abstract The RPC program's version is wrong (Darwin's 75). */
#define	EPROGMISMATCH	__XKPI_DARWIN_ERRNO(75)
#endif
#ifndef EPROCUNAVAIL
/*! @abstract The RPC program has no such procedure (Darwin's 76). */
#define	EPROCUNAVAIL	__XKPI_DARWIN_ERRNO(76)
#endif
#ifndef EFTYPE
/*! @abstract The file's type or format is wrong (Darwin's 79). */
#define	EFTYPE		__XKPI_DARWIN_ERRNO(79)
#endif
#ifndef EAUTH
/*! @abstract Authentication failed (Darwin's 80). */
#define	EAUTH		__XKPI_DARWIN_ERRNO(80)
#endif
#ifndef ENEEDAUTH
/*! @abstract An authenticator is needed (Darwin's 81). */
#define	ENEEDAUTH	__XKPI_DARWIN_ERRNO(81)
#endif
#ifndef EPWROFF
/*! @abstract The device's power is off (Darwin's 82). */
#define	EPWROFF		__XKPI_DARWIN_ERRNO(82)
#endif
#ifndef EDEVERR
/*! @abstract The device failed (Darwin's 83). */
#define	EDEVERR		__XKPI_DARWIN_ERRNO(83)
#endif
#ifndef EBADEXEC
/*! @abstract The executable is bad (Darwin's 85). */
#define	EBADEXEC	__XKPI_DARWIN_ERRNO(85)
#endif
#ifndef EBADARCH
/*! @abstract The executable is for another CPU (Darwin's 86). */
#define	EBADARCH	__XKPI_DARWIN_ERRNO(86)
#endif
#ifndef ESHLIBVERS
/*! @abstract A shared library's version does not match (Darwin's 87). */
#define	ESHLIBVERS	__XKPI_DARWIN_ERRNO(87)
#endif
#ifndef EBADMACHO
/*! @abstract The Mach-O file is malformed (Darwin's 88). */
#define	EBADMACHO	__XKPI_DARWIN_ERRNO(88)
#endif
#ifndef ENOATTR
/*!
 * @abstract The extended attribute does not exist (Darwin's 93).
 * @discussion Linux's libattr spells this ENODATA; here it is a value of
 *     its own, like the other Darwin-only names.
 */
#define	ENOATTR		__XKPI_DARWIN_ERRNO(93)
#endif
#ifndef ENOPOLICY
/*! @abstract No such policy is registered (Darwin's 103). */
#define	ENOPOLICY	__XKPI_DARWIN_ERRNO(103)
#endif
#ifndef EQFULL
/*! @abstract The interface's output queue is full (Darwin's 106). */
#define	EQFULL		__XKPI_DARWIN_ERRNO(106)
#endif
#ifndef ECVCERORR
/*! @abstract A content filter's verdict error (Darwin's 256). */
#define	ECVCERORR	__XKPI_DARWIN_ERRNO(256)
#endif
#ifndef ECVPERORR
/*! @abstract A content filter's verdict error (Darwin's 512). */
#define	ECVPERORR	__XKPI_DARWIN_ERRNO(512)
#endif

/* The kernel's internal codes: XNU's negative values. */
#ifndef EJUSTRETURN
/*!
 * @abstract Processing stops here and the caller returns nothing
 *     (kernel internal; XNU's -2).
 */
#define	EJUSTRETURN	(-2)
#endif
#ifndef ERECYCLE
/*! @abstract The vnode is to be recycled (kernel internal; XNU's -5). */
#define	ERECYCLE	(-5)
#endif
#ifndef EREDRIVEOPEN
/*! @abstract The open is to be driven again (kernel internal; -6). */
#define	EREDRIVEOPEN	(-6)
#endif
#ifndef EKEEPLOOKING
/*! @abstract The lookup goes on (kernel internal; XNU's -7). */
#define	EKEEPLOOKING	(-7)
#endif
#ifndef EDATALESS
/*! @abstract The file has no data yet (kernel internal; XNU's -8). */
#define	EDATALESS	(-8)
#endif
#ifndef EQSUSPENDED
/*!
 * @abstract The interface's output queue is suspended (kernel internal;
 *     XNU's -EQFULL).
 */
#define	EQSUSPENDED	(-EQFULL)
#endif

/*!
 * @function xkpi_strerror
 * @abstract The text of an error: a Darwin-only one or a Linux one.
 * @discussion For the Darwin-only values above, Darwin's meaning; for any
 *     other, glibc's description (as strerror() gives it in the C
 *     locale); "Unknown error" for a number that is neither.
 * @param error An error number.
 * @result A constant string, valid for the life of the process.
 */
extern const char *xkpi_strerror(errno_t error);

#ifdef __cplusplus
}
#endif

#endif /* _XKPI_KEXT_SYS_ERRNO_H_ */
