/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/uuid/uuid.h
 * @abstract The kernel's UUID calls, as libkern gives them to kexts.
 * @discussion Random UUIDs come from getrandom(2); uuid_generate_time()
 *     makes a random one too.  The symbols are the library's own, so a
 *     program may link libuuid beside it.
 */
#ifndef _XKPI_KEXT_UUID_UUID_H_
#define _XKPI_KEXT_UUID_UUID_H_

#include <xkpi_kext.h>

#ifdef __cplusplus
extern "C" {
#endif

/*! @abstract A UUID: 16 bytes. */
typedef unsigned char uuid_t[16];
/*! @abstract A UUID as text: 36 characters and a NUL. */
typedef char uuid_string_t[37];

/*!
 * @function uuid_clear
 * @abstract Sets a UUID to the null UUID.
 * @param uu The UUID.
 */
extern void uuid_clear(uuid_t uu) __XKPI_KERN(uuid_clear);
/*!
 * @function uuid_compare
 * @abstract Compares two UUIDs as memcmp() does.
 * @param uu1 One.
 * @param uu2 The other.
 * @result Less than, equal to or greater than 0.
 */
extern int uuid_compare(const uuid_t uu1, const uuid_t uu2)
    __XKPI_KERN(uuid_compare);
/*!
 * @function uuid_copy
 * @abstract Copies a UUID.
 * @param dst The copy.
 * @param src The UUID.
 */
extern void uuid_copy(uuid_t dst, const uuid_t src) __XKPI_KERN(uuid_copy);
/*!
 * @function uuid_generate
 * @abstract Makes a random (version 4) UUID.
 * @param out The UUID.
 */
extern void uuid_generate(uuid_t out) __XKPI_KERN(uuid_generate);
/*!
 * @function uuid_generate_random
 * @abstract Makes a random (version 4) UUID.
 * @param out The UUID.
 */
extern void uuid_generate_random(uuid_t out)
    __XKPI_KERN(uuid_generate_random);
/*!
 * @function uuid_generate_time
 * @abstract Makes a UUID (a random one here).
 * @param out The UUID.
 */
extern void uuid_generate_time(uuid_t out) __XKPI_KERN(uuid_generate_time);
/*!
 * @function uuid_is_null
 * @abstract Whether a UUID is the null UUID.
 * @param uu The UUID.
 * @result 1 when null, else 0.
 */
extern int uuid_is_null(const uuid_t uu) __XKPI_KERN(uuid_is_null);
/*!
 * @function uuid_parse
 * @abstract Reads a UUID from its 36-character text form.
 * @param in The text.
 * @param uu The UUID.
 * @result 0, or -1 when the text is not a UUID (`uu` unchanged).
 */
extern int uuid_parse(const uuid_string_t in, uuid_t uu)
    __XKPI_KERN(uuid_parse);
/*!
 * @function uuid_unparse
 * @abstract Writes a UUID's text form, upper case as XNU does.
 * @param uu The UUID.
 * @param out The text.
 */
extern void uuid_unparse(const uuid_t uu, uuid_string_t out)
    __XKPI_KERN(uuid_unparse);
/*!
 * @function uuid_unparse_lower
 * @abstract Writes a UUID's text form in lower case.
 * @param uu The UUID.
 * @param out The text.
 */
extern void uuid_unparse_lower(const uuid_t uu, uuid_string_t out)
    __XKPI_KERN(uuid_unparse_lower);
/*!
 * @function uuid_unparse_upper
 * @abstract Writes a UUID's text form in upper case.
 * @param uu The UUID.
 * @param out The text.
 */
extern void uuid_unparse_upper(const uuid_t uu, uuid_string_t out)
    __XKPI_KERN(uuid_unparse_upper);

#ifdef __cplusplus
}
#endif

#endif /* _XKPI_KEXT_UUID_UUID_H_ */
