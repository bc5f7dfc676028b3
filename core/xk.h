/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * What every file of the library includes first: config.h, the export
 * marker, and the panic hook.
 */
#ifndef _XK_CORE_XK_H_
#define _XK_CORE_XK_H_

#include "config.h"

/* The library is built with -fvisibility=hidden: mark what users may call. */
#define XK_EXPORT	__attribute__((visibility("default")))

#define XK_PRINTFLIKE(f, a) __attribute__((format(printf, f, a)))

/*
 * An impossible state (a double free, a release without a retain).  Calls
 * the hook installed with xkpi_set_panic_hook(); the default prints and
 * aborts.  When a hook returns, so does xk_panic, and the caller abandons
 * the operation.
 */
void	xk_panic(const char *fmt, ...) XK_PRINTFLIKE(1, 2);

/*
 * Memory in a quarantine (freed sockets and mbufs, core/socket.c and
 * core/mbuf.c) is made inaccessible to AddressSanitizer and valgrind,
 * but for the word that says it is freed, so the library's own use of
 * freed memory is still reported by those tools.  No-ops otherwise.
 */
#if defined(__SANITIZE_ADDRESS__)
#define XK_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define XK_ASAN	1
#endif
#endif
#ifdef XK_ASAN
#include <sanitizer/asan_interface.h>
#define XK_ASAN_POISON(p, n)	ASAN_POISON_MEMORY_REGION((p), (n))
#define XK_ASAN_UNPOISON(p, n)	ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define XK_ASAN_POISON(p, n)	((void)(p), (void)(n))
#define XK_ASAN_UNPOISON(p, n)	((void)(p), (void)(n))
#endif
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define XK_VG_NOACCESS(p, n)	((void)VALGRIND_MAKE_MEM_NOACCESS((p), (n)))
#define XK_VG_DEFINED(p, n)	((void)VALGRIND_MAKE_MEM_DEFINED((p), (n)))
#endif
#endif
#ifndef XK_VG_NOACCESS
#define XK_VG_NOACCESS(p, n)	((void)(p), (void)(n))
#define XK_VG_DEFINED(p, n)	((void)(p), (void)(n))
#endif

/* Logs through the hook of xkpi_set_log_hook(), at an XKPI_LOG_* level. */
void	xk_log(int level, const char *fmt, ...) XK_PRINTFLIKE(2, 3);

#endif /* _XK_CORE_XK_H_ */
