/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/libkern/libkern.h
 * @abstract libkern's C library: the C library's printf() and string
 *     functions, strlcpy() and strlcat(), and the min()/max() family.
 * @discussion printf() and snprintf() are glibc's: printf() writes to
 *     standard output, where XNU's writes to the kernel log.
 */
#ifndef _XKPI_KEXT_LIBKERN_LIBKERN_H_
#define _XKPI_KEXT_LIBKERN_LIBKERN_H_

#include <xkpi_kext.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if !__GLIBC_PREREQ(2, 38)
/*!
 * @function strlcpy
 * @abstract Copies a string into a buffer of a given size, always
 *     terminated (glibc 2.38 has its own).
 * @param dst The buffer.
 * @param src The string.
 * @param size The buffer's size.
 * @result The length of `src`: a result of `size` or more means the copy
 *     was cut.
 */
static __inline__ size_t
strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size != 0) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

/*!
 * @function strlcat
 * @abstract Appends a string to the one in a buffer of a given size,
 *     always terminated (glibc 2.38 has its own).
 * @param dst The buffer, holding a string.
 * @param src The string to append.
 * @param size The buffer's size.
 * @result The length the whole string would have: `size` or more means
 *     it was cut.
 */
static __inline__ size_t
strlcat(char *dst, const char *src, size_t size)
{
	size_t dlen = strnlen(dst, size);

	if (dlen == size) {
		return size + strlen(src);
	}
	return dlen + strlcpy(dst + dlen, src, size - dlen);
}
#endif

/*!
 * @function imin
 * @abstract The smaller of two ints.
 * @param a One.
 * @param b The other.
 * @result The smaller.
 */
static __inline__ int
imin(int a, int b)
{
	return a < b ? a : b;
}

/*!
 * @function imax
 * @abstract The larger of two ints.
 * @param a One.
 * @param b The other.
 * @result The larger.
 */
static __inline__ int
imax(int a, int b)
{
	return a > b ? a : b;
}

/*!
 * @function min
 * @abstract The smaller of two unsigned ints.
 * @param a One.
 * @param b The other.
 * @result The smaller.
 */
static __inline__ unsigned int
min(unsigned int a, unsigned int b)
{
	return a < b ? a : b;
}

/*!
 * @function max
 * @abstract The larger of two unsigned ints.
 * @param a One.
 * @param b The other.
 * @result The larger.
 */
static __inline__ unsigned int
max(unsigned int a, unsigned int b)
{
	return a > b ? a : b;
}

/*!
 * @function lmin
 * @abstract The smaller of two longs.
 * @param a One.
 * @param b The other.
 * @result The smaller.
 */
static __inline__ long
lmin(long a, long b)
{
	return a < b ? a : b;
}

/*!
 * @function lmax
 * @abstract The larger of two longs.
 * @param a One.
 * @param b The other.
 * @result The larger.
 */
static __inline__ long
lmax(long a, long b)
{
	return a > b ? a : b;
}

/*!
 * @function ulmin
 * @abstract The smaller of two unsigned longs.
 * @param a One.
 * @param b The other.
 * @result The smaller.
 */
static __inline__ unsigned long
ulmin(unsigned long a, unsigned long b)
{
	return a < b ? a : b;
}

/*!
 * @function ulmax
 * @abstract The larger of two unsigned longs.
 * @param a One.
 * @param b The other.
 * @result The larger.
 */
static __inline__ unsigned long
ulmax(unsigned long a, unsigned long b)
{
	return a > b ? a : b;
}

#ifdef __cplusplus
}
#endif

#endif /* _XKPI_KEXT_LIBKERN_LIBKERN_H_ */
