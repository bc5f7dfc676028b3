/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The replaceable panic hook.  Tests install their own to catch the
 * impossible states the KPI reports (XNU would panic the machine).
 */
#include "core/xk.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <xkpi.h>

static pthread_mutex_t panic_lock = PTHREAD_MUTEX_INITIALIZER;
static xkpi_panic_hook panic_hook;
static void *panic_ctx;

XK_EXPORT void
xkpi_set_panic_hook(xkpi_panic_hook hook, void *ctx)
{
	pthread_mutex_lock(&panic_lock);
	panic_hook = hook;
	panic_ctx = ctx;
	pthread_mutex_unlock(&panic_lock);
}

void
xk_panic(const char *fmt, ...)
{
	xkpi_panic_hook hook;
	char msg[512];
	va_list ap;
	void *ctx;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Read the pair together; call the hook without the lock held. */
	pthread_mutex_lock(&panic_lock);
	hook = panic_hook;
	ctx = panic_ctx;
	pthread_mutex_unlock(&panic_lock);
	if (hook != NULL) {
		hook(msg, ctx);
		return;
	}
	fprintf(stderr, "xkpi: panic: %s\n", msg);
	abort();
}
