/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/sys/cdefs.h
 * @abstract glibc's `<sys/cdefs.h>` with Darwin's spellings added.
 * @discussion Every glibc header reads `<sys/cdefs.h>` first, so this one
 *     is where the kext set starts: it also includes xkpi_kext.h, which
 *     gives socket addresses BSD's layout.  Each Darwin name below is
 *     defined only where glibc left it undefined.
 *
 *     One spelling cannot be had in full: Darwin's `__nonnull` is a
 *     pointer qualifier (`char * __nonnull p`) where glibc's is a function
 *     attribute with arguments (`__nonnull ((1))`), which glibc's own
 *     headers use.  Under clang both forms work (the qualifier becomes
 *     clang's `_Nonnull`).  Under gcc, which has no nullability
 *     qualifiers, `__nonnull` keeps glibc's meaning only: a file that
 *     writes it as a qualifier must spell it `_Nonnull` there (defined
 *     to nothing for gcc).  `__nullable`, `__null_unspecified`,
 *     `_Nullable`, `_Nonnull` and `_Null_unspecified` work under both
 *     compilers.
 *
 *     `__unused` is an attribute here, as in Darwin: Linux's own kernel
 *     headers (`<linux/icmp.h>`, for one) that name a structure member
 *     `__unused` cannot be used in the same file.
 */
#ifndef _XKPI_KEXT_SYS_CDEFS_H_
#define _XKPI_KEXT_SYS_CDEFS_H_

#include_next <sys/cdefs.h>

#include <xkpi_kext.h>

/*! @abstract The function never returns. */
#ifndef __dead2
#define	__dead2		__attribute__((__noreturn__))
#endif
/*! @abstract The function's result depends on its arguments only. */
#ifndef __pure2
#define	__pure2		__attribute__((__const__))
#endif
/*! @abstract The object or parameter may go unused without a warning. */
#ifndef __unused
#define	__unused	__attribute__((__unused__))
#endif
/*! @abstract The object is emitted even if nothing refers to it. */
#ifndef __used
#define	__used		__attribute__((__used__))
#endif
/*! @abstract The function is rarely called. */
#ifndef __cold
#define	__cold		__attribute__((__cold__))
#endif
/*! @abstract The symbol is visible outside the shared object. */
#ifndef __exported
#define	__exported	__attribute__((__visibility__("default")))
#endif
/*! @abstract Starts a region whose symbols are visible outside. */
#ifndef __exported_push
#define	__exported_push	_Pragma("GCC visibility push(default)")
#endif
/*! @abstract Ends a region started by `__exported_push`. */
#ifndef __exported_pop
#define	__exported_pop	_Pragma("GCC visibility pop")
#endif
/*!
 * @abstract Darwin's storage class for a symbol external to its file but
 *     hidden outside the shared object.
 * @discussion An `extern` declaration with hidden visibility.  gcc warns
 *     about an initialized variable declared with it, as it does for any
 *     initialized `extern` variable.
 */
#ifndef __private_extern__
#define	__private_extern__ extern __attribute__((__visibility__("hidden")))
#endif
/*! @abstract The symbol is hidden outside the shared object. */
#ifndef __XNU_PRIVATE_EXTERN
#define	__XNU_PRIVATE_EXTERN __attribute__((__visibility__("hidden")))
#endif
/*! @abstract Using the symbol draws a warning. */
#ifndef __deprecated
#define	__deprecated	__attribute__((__deprecated__))
#endif
/*!
 * @abstract Using the symbol draws a warning with a message.
 * @param msg The message.
 */
#ifndef __deprecated_msg
#define	__deprecated_msg(msg)	__attribute__((__deprecated__(msg)))
#endif
/*!
 * @abstract An enumerator whose use draws a warning (nothing here).
 * @param msg The message.
 */
#ifndef __deprecated_enum_msg
#define	__deprecated_enum_msg(msg)
#endif
/*!
 * @abstract A KPI Apple deprecated (no warning here: the library keeps
 *     the KPI).
 * @param msg The message.
 */
#ifndef __kpi_deprecated
#define	__kpi_deprecated(msg)
#endif
/*! @abstract A KPI Apple removed on arm64 macOS (nothing here). */
#ifndef __kpi_deprecated_arm64_macos_unavailable
#define	__kpi_deprecated_arm64_macos_unavailable
#endif
/*! @abstract Using the symbol is an error (a warning under gcc < 12). */
#ifndef __unavailable
#if defined(__has_attribute) && __has_attribute(__unavailable__)
#define	__unavailable	__attribute__((__unavailable__))
#else
#define	__unavailable	__attribute__((__deprecated__))
#endif
#endif
/*!
 * @abstract The function takes a printf(3) format.
 * @param fmtarg The position of the format argument, from 1.
 * @param firstvararg The position of the first argument it formats.
 */
#ifndef __printflike
#define	__printflike(fmtarg, firstvararg)				\
	__attribute__((__format__(__printf__, fmtarg, firstvararg)))
#endif
/*!
 * @abstract The function takes a printf(3) format that may be NULL.
 * @param fmtarg The position of the format argument, from 1.
 * @param firstvararg The position of the first argument it formats.
 */
#ifndef __printf0like
#define	__printf0like(fmtarg, firstvararg)				\
	__attribute__((__format__(__printf__, fmtarg, firstvararg)))
#endif
/*!
 * @abstract The function takes a scanf(3) format.
 * @param fmtarg The position of the format argument, from 1.
 * @param firstvararg The position of the first argument it formats.
 */
#ifndef __scanflike
#define	__scanflike(fmtarg, firstvararg)				\
	__attribute__((__format__(__scanf__, fmtarg, firstvararg)))
#endif
/*!
 * @abstract The function takes an os_log format (not checked here).
 * @param fmtarg The position of the format argument, from 1.
 * @param firstvararg The position of the first argument it formats.
 */
#ifndef __osloglike
#define	__osloglike(fmtarg, firstvararg)
#endif
/*! @abstract A function that may not be inlined into its caller's tail. */
#ifndef __not_tail_called
#if defined(__has_attribute) && __has_attribute(__not_tail_called__)
#define	__not_tail_called __attribute__((__not_tail_called__))
#else
#define	__not_tail_called
#endif
#endif
/*! @abstract A function that ends the program: no return, rarely run. */
#ifndef __abortlike
#define	__abortlike	__dead2 __cold __not_tail_called
#endif
/*! @abstract A function defined in a header. */
#ifndef __header_inline
#define	__header_inline	static __inline__
#endif
/*! @abstract A function defined in a header, always inlined. */
#ifndef __header_always_inline
#define	__header_always_inline						\
	__header_inline __attribute__((__always_inline__))
#endif
/*! @abstract The structure has no padding. */
#ifndef __packed
#define	__packed	__attribute__((__packed__))
#endif
/*!
 * @abstract The object is aligned to a number of bytes.
 * @param x The alignment.
 */
#ifndef __aligned
#define	__aligned(x)	__attribute__((__aligned__(x)))
#endif
/*!
 * @abstract The object goes in a named section.
 * @param x The section's name.
 */
#ifndef __section
#define	__section(x)	__attribute__((__section__(x)))
#endif
/*!
 * @abstract The offset of a field in a structure.
 * @param type The structure.
 * @param field The field.
 */
#ifndef __offsetof
#define	__offsetof(type, field)	__builtin_offsetof(type, field)
#endif
/*!
 * @abstract Its argument as a string, after macro expansion.
 * @param s The argument.
 */
#ifndef __XSTRING
#define	__XSTRING(s)	__STRING(s)
#endif
/*!
 * @abstract A condition expected to hold.
 * @param x The condition.
 */
#ifndef __probable
#define	__probable(x)	__builtin_expect(!!(x), 1)
#endif
/*!
 * @abstract A condition expected to fail.
 * @param x The condition.
 */
#ifndef __improbable
#define	__improbable(x)	__builtin_expect(!!(x), 0)
#endif
/*!
 * @abstract BSD's spelling of __probable().
 * @param x The condition.
 */
#ifndef __predict_true
#define	__predict_true(x)	__builtin_expect(!!(x), 1)
#endif
/*!
 * @abstract BSD's spelling of __improbable().
 * @param x The condition.
 */
#ifndef __predict_false
#define	__predict_false(x)	__builtin_expect(!!(x), 0)
#endif
/*!
 * @abstract The structure that contains a field, from the field's address.
 * @param ptr The field's address.
 * @param type The structure.
 * @param field The field's name.
 */
#ifndef __container_of
#define	__container_of(ptr, type, field)				\
	((type *)(void *)((char *)(ptr) - __builtin_offsetof(type, field)))
#endif
/*!
 * @abstract Casts a qualifier away without a warning.
 * @param var The value.
 * @param qual The qualifier (unused: kept for Darwin's signature).
 * @param type The type to cast to.
 */
#ifndef __CAST_AWAY_QUALIFIER
#define	__CAST_AWAY_QUALIFIER(var, qual, type)				\
	((type)(__UINTPTR_TYPE__)(var))
#endif
/*!
 * @abstract Casts `const` away.
 * @param type The type to cast to.
 * @param var The value.
 */
#ifndef __DECONST
#define	__DECONST(type, var)	__CAST_AWAY_QUALIFIER(var, const, type)
#endif
/*!
 * @abstract Casts `volatile` away.
 * @param type The type to cast to.
 * @param var The value.
 */
#ifndef __DEVOLATILE
#define	__DEVOLATILE(type, var)	__CAST_AWAY_QUALIFIER(var, volatile, type)
#endif
/*!
 * @abstract Casts `const` and `volatile` away.
 * @param type The type to cast to.
 * @param var The value.
 */
#ifndef __DEQUALIFY
#define	__DEQUALIFY(type, var)						\
	__CAST_AWAY_QUALIFIER(var, const volatile, type)
#endif
/*!
 * @abstract An identification string kept in the object.
 * @param name The variable's name.
 * @param string The string.
 */
#ifndef __IDSTRING
#define	__IDSTRING(name, string)					\
	static const char name[] __attribute__((__used__)) = string
#endif
/*!
 * @abstract A copyright string (accepted and dropped, so that two of
 *     them in a file do not clash).
 * @param s The string.
 */
#ifndef __COPYRIGHT
#define	__COPYRIGHT(s)	struct __xkpi_idstring
#endif
/*!
 * @abstract A revision control identifier (accepted and dropped).
 * @param s The string.
 */
#ifndef __RCSID
#define	__RCSID(s)	struct __xkpi_idstring
#endif
/*!
 * @abstract An SCCS identifier (accepted and dropped).
 * @param s The string.
 */
#ifndef __SCCSID
#define	__SCCSID(s)	struct __xkpi_idstring
#endif
/*!
 * @abstract A project version string (accepted and dropped).
 * @param s The string.
 */
#ifndef __PROJECT_VERSION
#define	__PROJECT_VERSION(s)	struct __xkpi_idstring
#endif
/*!
 * @abstract FreeBSD's source identifier (accepted and dropped).
 * @param s The string.
 */
#ifndef __FBSDID
#define	__FBSDID(s)	struct __xkpi_idstring
#endif
/*!
 * @abstract Symbol aliasing for Darwin's libc variants (nothing here).
 * @param sym The symbol.
 */
#ifndef __DARWIN_ALIAS
#define	__DARWIN_ALIAS(sym)
#endif
/*!
 * @abstract Symbol aliasing for Darwin's libc variants (nothing here).
 * @param sym The symbol.
 */
#ifndef __DARWIN_ALIAS_C
#define	__DARWIN_ALIAS_C(sym)
#endif
/*! @abstract Starts a region where unreachable code is not warned about. */
#ifndef __unreachable_ok_push
#define	__unreachable_ok_push
#endif
/*! @abstract Ends a region started by `__unreachable_ok_push`. */
#ifndef __unreachable_ok_pop
#define	__unreachable_ok_pop
#endif

/*
 * Nullability.  clang has the qualifiers; gcc has none, so they are
 * dropped there.
 */
#if defined(__has_feature)
#if __has_feature(nullability)
#define	__XKPI_NULLABILITY	1
#endif
#endif
#ifdef __XKPI_NULLABILITY
/*! @abstract A pointer that may be NULL. */
#ifndef __nullable
#define	__nullable		_Nullable
#endif
/*! @abstract A pointer whose nullability is not stated. */
#ifndef __null_unspecified
#define	__null_unspecified	_Null_unspecified
#endif
/*
 * Darwin's __nonnull is the qualifier, glibc's the function attribute
 * with arguments.  Naming a function-like macro after clang's keyword
 * gives both: `__nonnull ((1))` expands through it, a lone `__nonnull`
 * stays the keyword.
 */
#undef __nonnull
/*!
 * @abstract A pointer that is never NULL; with arguments, glibc's nonnull
 *     function attribute.
 */
#define	__nonnull	_Nonnull
/*!
 * @abstract The nonnull function attribute, when followed by arguments
 *     (clang's qualifier otherwise).
 * @param ... The parenthesized argument positions.
 */
#define	_Nonnull(...)	__attribute__((__nonnull__ __VA_ARGS__))
#else
/*! @abstract A pointer that may be NULL (nothing under gcc). */
#ifndef __nullable
#define	__nullable
#endif
/*! @abstract A pointer whose nullability is not stated (nothing). */
#ifndef __null_unspecified
#define	__null_unspecified
#endif
/*! @abstract clang's qualifier for a pointer that may be NULL. */
#ifndef _Nullable
#define	_Nullable
#endif
/*! @abstract clang's qualifier for a pointer that is never NULL. */
#ifndef _Nonnull
#define	_Nonnull
#endif
/*! @abstract clang's qualifier for unstated nullability. */
#ifndef _Null_unspecified
#define	_Null_unspecified
#endif
#endif

/*!
 * @abstract Declares an integer type and the enumeration of its values.
 * @param name The type's name.
 * @param type The integer type it stands for.
 * @param ... The enumeration's body, in braces.
 */
#ifndef __enum_decl
#define	__enum_decl(name, type, ...)					\
	typedef type name; enum __VA_ARGS__
#endif
/*!
 * @abstract __enum_decl() for an enumeration that gains no values.
 * @param name The type's name.
 * @param type The integer type it stands for.
 * @param ... The enumeration's body, in braces.
 */
#ifndef __enum_closed_decl
#define	__enum_closed_decl(name, type, ...)				\
	typedef type name; enum __VA_ARGS__
#endif
/*!
 * @abstract __enum_decl() for a set of flags.
 * @param name The type's name.
 * @param type The integer type it stands for.
 * @param ... The enumeration's body, in braces.
 */
#ifndef __options_decl
#define	__options_decl(name, type, ...)					\
	typedef type name; enum __VA_ARGS__
#endif
/*!
 * @abstract __options_decl() for flags that gain no values.
 * @param name The type's name.
 * @param type The integer type it stands for.
 * @param ... The enumeration's body, in braces.
 */
#ifndef __options_closed_decl
#define	__options_closed_decl(name, type, ...)				\
	typedef type name; enum __VA_ARGS__
#endif

/*
 * Bounds annotations of later SDKs: they change no code.
 */
/*! @abstract A pointer to a number of bytes (no effect here). @param n The count. */
#ifndef __sized_by
#define	__sized_by(n)
#endif
/*! @abstract A pointer to a number of elements (no effect here). @param n The count. */
#ifndef __counted_by
#define	__counted_by(n)
#endif
/*! @abstract A pointer to one element (no effect here). */
#ifndef __single
#define	__single
#endif
/*! @abstract A pointer with no bounds (no effect here). */
#ifndef __unsafe_indexable
#define	__unsafe_indexable
#endif

/*!
 * @abstract A KPI of the network kernel extensions, deprecated by Apple
 *     (no warning here).
 */
#ifndef __NKE_API_DEPRECATED
#define	__NKE_API_DEPRECATED
#endif
/*! @abstract A deprecated KPI (no warning here). */
#ifndef __KPI_DEPRECATED
#define	__KPI_DEPRECATED
#endif

#endif /* _XKPI_KEXT_SYS_CDEFS_H_ */
