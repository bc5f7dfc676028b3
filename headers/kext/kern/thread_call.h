/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/kern/thread_call.h
 * @abstract Thread calls: work run soon or at a deadline, on the
 *     library's loop thread.
 * @discussion XNU runs thread calls on a pool of kernel threads; xkpi
 *     runs them on its event-loop thread, the one upcalls run on, one at a
 *     time and without any library lock held.  So a thread call never
 *     runs at the same time as an upcall or another thread call, and it
 *     must not wait: a KPI call that would block returns EWOULDBLOCK
 *     there, as in an upcall, and a sleep (msleep(), lck_mtx_sleep())
 *     holds every socket's input up until it ends.
 *
 *     Deadlines are in absolute time units: nanoseconds of the monotonic
 *     clock, as mach_absolute_time() and clock_interval_to_deadline()
 *     give them (`<kern/clock.h>`).  The first thread_call_allocate()
 *     starts the library if nothing has.  xkpi_shutdown() cancels every
 *     pending call; the calls stay allocated and may be entered again
 *     once the library runs again.
 */
#ifndef _XKPI_KEXT_KERN_THREAD_CALL_H_
#define _XKPI_KEXT_KERN_THREAD_CALL_H_

#include <xkpi_kext.h>

#include <stdint.h>
#include <mach/boolean.h>

#ifdef __cplusplus
extern "C" {
#endif

/*! @abstract A thread call. */
typedef struct thread_call *thread_call_t;
/*! @abstract A parameter passed to a thread call's function. */
typedef void *thread_call_param_t;
/*!
 * @abstract The function a thread call runs.
 * @param param0 The parameter given at allocation.
 * @param param1 The parameter given by thread_call_enter1() and its
 *     relatives (NULL after thread_call_enter()).
 */
typedef void (*thread_call_func_t)(thread_call_param_t param0,
    thread_call_param_t param1);

/*!
 * @abstract A thread call's importance (all run on the one loop thread
 *     here).
 */
typedef enum {
	THREAD_CALL_PRIORITY_HIGH = 0,		/*!< Above all but realtime. */
	THREAD_CALL_PRIORITY_KERNEL = 1,	/*!< As kernel threads. */
	THREAD_CALL_PRIORITY_USER = 2,		/*!< As user threads. */
	THREAD_CALL_PRIORITY_LOW = 3,		/*!< Low. */
	THREAD_CALL_PRIORITY_KERNEL_HIGH = 4	/*!< Above most kernel
						     threads. */
} thread_call_priority_t;

/*!
 * @abstract Option: a call entered again while it runs is scheduled once
 *     it returns, not before.
 */
#define	THREAD_CALL_OPTIONS_ONCE	0x00000001
/*! @abstract A set of THREAD_CALL_OPTIONS_* flags. */
typedef uint32_t thread_call_options_t;

/*!
 * @function thread_call_allocate
 * @abstract Allocates a thread call.
 * @param func The function it runs.
 * @param param0 Its first parameter.
 * @result The call, or NULL when memory runs out or the library cannot
 *     start.
 */
extern thread_call_t thread_call_allocate(thread_call_func_t func,
    thread_call_param_t param0) __XKPI_KERN(thread_call_allocate);
/*!
 * @function thread_call_allocate_with_priority
 * @abstract thread_call_allocate() with a priority (ignored).
 * @param func The function it runs.
 * @param param0 Its first parameter.
 * @param pri The priority.
 * @result The call, or NULL.
 */
extern thread_call_t thread_call_allocate_with_priority(
    thread_call_func_t func, thread_call_param_t param0,
    thread_call_priority_t pri)
    __XKPI_KERN(thread_call_allocate_with_priority);
/*!
 * @function thread_call_allocate_with_options
 * @abstract thread_call_allocate() with a priority (ignored) and options.
 * @param func The function it runs.
 * @param param0 Its first parameter.
 * @param pri The priority.
 * @param options THREAD_CALL_OPTIONS_ONCE or 0.
 * @result The call, or NULL.
 */
extern thread_call_t thread_call_allocate_with_options(
    thread_call_func_t func, thread_call_param_t param0,
    thread_call_priority_t pri, thread_call_options_t options)
    __XKPI_KERN(thread_call_allocate_with_options);
/*!
 * @function thread_call_free
 * @abstract Frees a thread call.
 * @discussion As in XNU, a pending call is not freed: cancel it first.  A
 *     call whose function is running is freed when it returns.
 * @param call The call.
 * @result TRUE when freed (or to be freed when its function returns),
 *     FALSE when it is pending and was left alone.
 */
extern boolean_t thread_call_free(thread_call_t call)
    __XKPI_KERN(thread_call_free);
/*!
 * @function thread_call_enter
 * @abstract Runs a call as soon as the loop thread can, with a NULL
 *     second parameter.
 * @discussion A pending invocation that has not begun is replaced.
 * @param call The call.
 * @result TRUE when it was already pending, FALSE otherwise.
 */
extern boolean_t thread_call_enter(thread_call_t call)
    __XKPI_KERN(thread_call_enter);
/*!
 * @function thread_call_enter1
 * @abstract Runs a call as soon as the loop thread can, with a second
 *     parameter.
 * @param call The call.
 * @param param1 The second parameter.
 * @result TRUE when it was already pending.
 */
extern boolean_t thread_call_enter1(thread_call_t call,
    thread_call_param_t param1) __XKPI_KERN(thread_call_enter1);
/*!
 * @function thread_call_enter_delayed
 * @abstract Runs a call at a deadline, with a NULL second parameter.
 * @discussion A pending invocation that has not begun is replaced by this
 *     one.  A deadline already past runs it as soon as the loop can.
 * @param call The call.
 * @param deadline When to run it, in absolute time units.
 * @result TRUE when it was already pending.
 */
extern boolean_t thread_call_enter_delayed(thread_call_t call,
    uint64_t deadline) __XKPI_KERN(thread_call_enter_delayed);
/*!
 * @function thread_call_enter1_delayed
 * @abstract Runs a call at a deadline, with a second parameter.
 * @param call The call.
 * @param param1 The second parameter.
 * @param deadline When to run it, in absolute time units.
 * @result TRUE when it was already pending.
 */
extern boolean_t thread_call_enter1_delayed(thread_call_t call,
    thread_call_param_t param1, uint64_t deadline)
    __XKPI_KERN(thread_call_enter1_delayed);
/*!
 * @function thread_call_cancel
 * @abstract Cancels a pending invocation that has not begun.
 * @param call The call.
 * @result TRUE when one was cancelled; FALSE when none was pending (its
 *     function may be running, or done).
 */
extern boolean_t thread_call_cancel(thread_call_t call)
    __XKPI_KERN(thread_call_cancel);
/*!
 * @function thread_call_cancel_wait
 * @abstract Cancels a pending invocation, or waits for a running one to
 *     return.
 * @discussion Called on the loop thread (from the call's own function, or
 *     an upcall), it cannot wait for a running invocation and returns
 *     without waiting.
 * @param call The call.
 * @result TRUE when a pending invocation was cancelled, FALSE otherwise.
 */
extern boolean_t thread_call_cancel_wait(thread_call_t call)
    __XKPI_KERN(thread_call_cancel_wait);
/*!
 * @function thread_call_isactive
 * @abstract Whether a call is pending or running.
 * @param call The call.
 * @result TRUE when pending or running.
 */
extern boolean_t thread_call_isactive(thread_call_t call)
    __XKPI_KERN(thread_call_isactive);

#ifdef __cplusplus
}
#endif

#endif /* _XKPI_KEXT_KERN_THREAD_CALL_H_ */
