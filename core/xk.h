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

/* Logs through the hook of xkpi_set_log_hook(), at an XKPI_LOG_* level. */
void	xk_log(int level, const char *fmt, ...) XK_PRINTFLIKE(2, 3);

#endif /* _XK_CORE_XK_H_ */
