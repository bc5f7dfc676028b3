/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/sys/proc.h
 * @abstract Sleeping on a channel and waking it: msleep(), tsleep(),
 *     wakeup(), wakeup_one(); and the process's own id.
 * @discussion A channel is any address.  msleep() releases the mutex and
 *     waits in one step, so a wakeup() made after the sleeper released it
 *     is never lost.  The channels are those of thread_wakeup() and
 *     lck_mtx_sleep() (`<kern/locks.h>`) too.  No sleep is ever
 *     interrupted by a signal.  A sleep on the library's loop thread (in
 *     an upcall or a thread_call) holds every socket's input and timer up
 *     until it ends.
 */
#ifndef _XKPI_KEXT_SYS_PROC_H_
#define _XKPI_KEXT_SYS_PROC_H_

#include <xkpi_kext.h>

#include <sys/types.h>
#include <time.h>
#include <kern/locks.h>

#ifdef __cplusplus
extern "C" {
#endif

/*!
 * @function msleep
 * @abstract Sleeps on a channel until a wakeup, or until a timeout.
 * @param chan The channel.
 * @param mtx A mutex the caller holds, released while sleeping and taken
 *     again on return (unless `pri` has PDROP); NULL for none.
 * @param pri A priority (ignored) ORed with PCATCH (accepted; no signal
 *     ends a sleep) and PDROP.
 * @param wmesg What the sleep waits for (ignored).
 * @param ts How long to wait at most, or NULL (or zero) for no limit.
 * @result 0 when woken, EWOULDBLOCK when the timeout came first.
 */
extern int msleep(void *chan, lck_mtx_t *mtx, int pri, const char *wmesg,
    struct timespec *ts) __XKPI_KERN(msleep);
/*!
 * @function tsleep
 * @abstract Sleeps on a channel, without a mutex.
 * @param chan The channel.
 * @param pri A priority (ignored), with PCATCH accepted.
 * @param wmesg What the sleep waits for (ignored).
 * @param timo How long to wait at most, in ticks of `hz` (100 a second);
 *     0 for no limit.
 * @result 0 when woken, EWOULDBLOCK on timeout.
 */
extern int tsleep(void *chan, int pri, const char *wmesg, int timo)
    __XKPI_KERN(tsleep);
/*!
 * @function wakeup
 * @abstract Wakes every thread sleeping on a channel.
 * @param chan The channel.
 */
extern void wakeup(void *chan) __XKPI_KERN(wakeup);
/*!
 * @function wakeup_one
 * @abstract Wakes the thread that has slept longest on a channel.
 * @param chan The channel.
 */
extern void wakeup_one(caddr_t chan) __XKPI_KERN(wakeup_one);
/*!
 * @function proc_selfpid
 * @abstract The calling process's id.
 * @result getpid().
 */
extern int proc_selfpid(void) __XKPI_KERN(proc_selfpid);

#ifdef __cplusplus
}
#endif

#endif /* _XKPI_KEXT_SYS_PROC_H_ */
