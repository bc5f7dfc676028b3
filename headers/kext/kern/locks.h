/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/kern/locks.h
 * @abstract XNU's lock KPI: groups, attributes, mutexes, read-write
 *     locks and spin locks, and sleeping on an event with a lock held.
 * @discussion The locks are allocated (lck_mtx_alloc_init() and the
 *     like) and opaque, as XNU gives them to kexts.  A mutex is a pthread
 *     mutex; a spin lock is one too (a thread that waits for it sleeps
 *     instead of spinning, which changes nothing a kext can see but
 *     time); a read-write lock is the library's own, with XNU's upgrade
 *     rule (lck_rw_lock_shared_to_exclusive()).  Groups and attributes
 *     are accepted and change nothing: the library keeps no lock
 *     statistics.
 *
 *     <b>Misuse.</b> Where XNU panics (a mutex locked twice by its owner,
 *     unlocked by another thread, a failed lck_mtx_assert(), a lock freed
 *     while held), the library calls the panic hook (see xkpi.h) with a
 *     message naming the call; if the hook returns, the call does
 *     nothing more.
 *
 *     <b>Sleeping.</b> lck_mtx_sleep() and its relatives release the
 *     lock, wait for a wakeup of the event (thread_wakeup(), wakeup() of
 *     `<sys/proc.h>`: one table of events serves both), and take the lock
 *     again.  A deadline is in absolute time units (nanoseconds of the
 *     monotonic clock here, see `<kern/clock.h>`).  No wait is ever
 *     interrupted: THREAD_INTERRUPTED and THREAD_RESTART never come back.
 *     A wait on the library's loop thread (in an upcall or a
 *     thread_call) stops every socket's input and timer until it ends.
 */
#ifndef _XKPI_KEXT_KERN_LOCKS_H_
#define _XKPI_KEXT_KERN_LOCKS_H_

#include <xkpi_kext.h>

#include <stdint.h>
#include <kern/kern_types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*! @abstract A lock group: a name for statistics (none kept here). */
typedef struct __lck_grp__ lck_grp_t;
/*! @abstract Attributes of a lock group. */
typedef struct __lck_grp_attr__ lck_grp_attr_t;
/*! @abstract Attributes of a lock. */
typedef struct __lck_attr__ lck_attr_t;
/*! @abstract A mutex. */
typedef struct __lck_mtx_t__ lck_mtx_t;
/*! @abstract A read-write lock. */
typedef struct __lck_rw_t__ lck_rw_t;
/*! @abstract A spin lock. */
typedef struct __lck_spin_t__ lck_spin_t;

/*! @abstract No group attributes. */
#define	LCK_GRP_ATTR_NULL	((lck_grp_attr_t *)0)
/*! @abstract No group. */
#define	LCK_GRP_NULL		((lck_grp_t *)0)
/*! @abstract No lock attributes. */
#define	LCK_ATTR_NULL		((lck_attr_t *)0)

/*! @abstract What a sleep does with its lock: a set of LCK_SLEEP_* flags. */
typedef unsigned int	lck_sleep_action_t;
/*! @abstract Release the lock while waiting, take it again after. */
#define	LCK_SLEEP_DEFAULT	0x00
/*! @abstract Release the lock and return without it. */
#define	LCK_SLEEP_UNLOCK	0x01
/*! @abstract Take a read-write lock again shared. */
#define	LCK_SLEEP_SHARED	0x02
/*! @abstract Take a read-write lock again exclusive. */
#define	LCK_SLEEP_EXCLUSIVE	0x04
/*! @abstract Take a mutex again in spin mode (a plain lock here). */
#define	LCK_SLEEP_SPIN		0x08
/*! @abstract The valid LCK_SLEEP_* flags. */
#define	LCK_SLEEP_MASK		0x3f

/*! @abstract How a read-write lock is held. */
typedef unsigned int	lck_rw_type_t;
/*! @abstract Held shared (for reading). */
#define	LCK_RW_TYPE_SHARED	0x01
/*! @abstract Held exclusive (for writing). */
#define	LCK_RW_TYPE_EXCLUSIVE	0x02

/*! @abstract lck_mtx_assert(): the caller holds the mutex. */
#define	LCK_MTX_ASSERT_OWNED	1
/*! @abstract lck_mtx_assert(): the caller does not hold the mutex. */
#define	LCK_MTX_ASSERT_NOTOWNED	2
/*! @abstract lck_rw_assert(): the caller holds the lock shared. */
#define	LCK_RW_ASSERT_SHARED	0x01
/*! @abstract lck_rw_assert(): the caller holds the lock exclusive. */
#define	LCK_RW_ASSERT_EXCLUSIVE	0x02
/*! @abstract lck_rw_assert(): the caller holds the lock either way. */
#define	LCK_RW_ASSERT_HELD	0x03
/*! @abstract lck_rw_assert(): the caller does not hold the lock. */
#define	LCK_RW_ASSERT_NOTHELD	0x04

/*!
 * @function lck_grp_attr_alloc_init
 * @abstract Allocates group attributes with their defaults.
 * @result The attributes, or NULL when memory runs out.
 */
extern lck_grp_attr_t *lck_grp_attr_alloc_init(void)
    __XKPI_KERN(lck_grp_attr_alloc_init);
/*!
 * @function lck_grp_attr_setdefault
 * @abstract Resets group attributes (nothing to reset here).
 * @param attr The attributes.
 */
extern void lck_grp_attr_setdefault(lck_grp_attr_t *attr)
    __XKPI_KERN(lck_grp_attr_setdefault);
/*!
 * @function lck_grp_attr_setstat
 * @abstract Asks for lock statistics (none are kept here).
 * @param attr The attributes.
 */
extern void lck_grp_attr_setstat(lck_grp_attr_t *attr)
    __XKPI_KERN(lck_grp_attr_setstat);
/*!
 * @function lck_grp_attr_free
 * @abstract Frees group attributes.
 * @param attr The attributes (NULL is ignored).
 */
extern void lck_grp_attr_free(lck_grp_attr_t *attr)
    __XKPI_KERN(lck_grp_attr_free);
/*!
 * @function lck_grp_alloc_init
 * @abstract Allocates a lock group.
 * @param name The group's name, copied.
 * @param attr Its attributes, or LCK_GRP_ATTR_NULL.
 * @result The group, or NULL when memory runs out.
 */
extern lck_grp_t *lck_grp_alloc_init(const char *name, lck_grp_attr_t *attr)
    __XKPI_KERN(lck_grp_alloc_init);
/*!
 * @function lck_grp_free
 * @abstract Frees a lock group.
 * @param grp The group (NULL is ignored).
 */
extern void lck_grp_free(lck_grp_t *grp) __XKPI_KERN(lck_grp_free);

/*!
 * @function lck_attr_alloc_init
 * @abstract Allocates lock attributes with their defaults.
 * @result The attributes, or NULL when memory runs out.
 */
extern lck_attr_t *lck_attr_alloc_init(void) __XKPI_KERN(lck_attr_alloc_init);
/*!
 * @function lck_attr_setdefault
 * @abstract Resets lock attributes.
 * @param attr The attributes.
 */
extern void lck_attr_setdefault(lck_attr_t *attr)
    __XKPI_KERN(lck_attr_setdefault);
/*!
 * @function lck_attr_setdebug
 * @abstract Asks for debugging locks (misuse is always caught here).
 * @param attr The attributes.
 */
extern void lck_attr_setdebug(lck_attr_t *attr) __XKPI_KERN(lck_attr_setdebug);
/*!
 * @function lck_attr_cleardebug
 * @abstract Withdraws lck_attr_setdebug().
 * @param attr The attributes.
 */
extern void lck_attr_cleardebug(lck_attr_t *attr)
    __XKPI_KERN(lck_attr_cleardebug);
/*!
 * @function lck_attr_free
 * @abstract Frees lock attributes.
 * @param attr The attributes (NULL is ignored).
 */
extern void lck_attr_free(lck_attr_t *attr) __XKPI_KERN(lck_attr_free);

/*!
 * @function lck_mtx_alloc_init
 * @abstract Allocates a mutex.
 * @param grp Its group, or LCK_GRP_NULL.
 * @param attr Its attributes, or LCK_ATTR_NULL.
 * @result The mutex, unlocked, or NULL when memory runs out.
 */
extern lck_mtx_t *lck_mtx_alloc_init(lck_grp_t *grp, lck_attr_t *attr)
    __XKPI_KERN(lck_mtx_alloc_init);
/*!
 * @function lck_mtx_free
 * @abstract Frees a mutex.
 * @discussion A held mutex is not freed: the panic hook is called.
 * @param lck The mutex (NULL is ignored).
 * @param grp Its group.
 */
extern void lck_mtx_free(lck_mtx_t *lck, lck_grp_t *grp)
    __XKPI_KERN(lck_mtx_free);
/*!
 * @function lck_mtx_lock
 * @abstract Takes a mutex, waiting as long as it takes.
 * @discussion Taking a mutex the caller holds calls the panic hook.
 * @param lck The mutex.
 */
extern void lck_mtx_lock(lck_mtx_t *lck) __XKPI_KERN(lck_mtx_lock);
/*!
 * @function lck_mtx_lock_spin
 * @abstract Takes a mutex in spin mode (as lck_mtx_lock() here).
 * @param lck The mutex.
 */
extern void lck_mtx_lock_spin(lck_mtx_t *lck) __XKPI_KERN(lck_mtx_lock_spin);
/*!
 * @function lck_mtx_convert_spin
 * @abstract Turns a mutex held in spin mode into a plain hold (nothing
 *     to do here).
 * @param lck The mutex.
 */
extern void lck_mtx_convert_spin(lck_mtx_t *lck)
    __XKPI_KERN(lck_mtx_convert_spin);
/*!
 * @function lck_mtx_try_lock
 * @abstract Takes a mutex if it is free.
 * @param lck The mutex.
 * @result TRUE when the caller now holds it, FALSE when another thread
 *     does.
 */
extern boolean_t lck_mtx_try_lock(lck_mtx_t *lck) __XKPI_KERN(lck_mtx_try_lock);
/*!
 * @function lck_mtx_unlock
 * @abstract Releases a mutex.
 * @discussion Releasing a mutex the caller does not hold calls the panic
 *     hook.
 * @param lck The mutex.
 */
extern void lck_mtx_unlock(lck_mtx_t *lck) __XKPI_KERN(lck_mtx_unlock);
/*!
 * @function lck_mtx_assert
 * @abstract Checks whether the caller holds a mutex; the panic hook is
 *     called when it is not as stated.
 * @param lck The mutex.
 * @param type LCK_MTX_ASSERT_OWNED or LCK_MTX_ASSERT_NOTOWNED.
 */
extern void lck_mtx_assert(lck_mtx_t *lck, unsigned int type)
    __XKPI_KERN(lck_mtx_assert);
/*!
 * @function lck_mtx_sleep
 * @abstract Waits for a wakeup of an event, the mutex released meanwhile.
 * @param lck The mutex, held by the caller.
 * @param action LCK_SLEEP_DEFAULT (hold it again on return) or
 *     LCK_SLEEP_UNLOCK (return without it).
 * @param event The event.
 * @param interruptible Accepted; no wait is ever interrupted.
 * @result THREAD_AWAKENED.
 */
extern wait_result_t lck_mtx_sleep(lck_mtx_t *lck, lck_sleep_action_t action,
    event_t event, wait_interrupt_t interruptible) __XKPI_KERN(lck_mtx_sleep);
/*!
 * @function lck_mtx_sleep_deadline
 * @abstract lck_mtx_sleep() with a deadline.
 * @param lck The mutex, held by the caller.
 * @param action LCK_SLEEP_DEFAULT or LCK_SLEEP_UNLOCK.
 * @param event The event.
 * @param interruptible Accepted; no wait is ever interrupted.
 * @param deadline When to stop waiting, in absolute time units; 0 waits
 *     without a deadline.
 * @result THREAD_AWAKENED, or THREAD_TIMED_OUT when the deadline came
 *     first.
 */
extern wait_result_t lck_mtx_sleep_deadline(lck_mtx_t *lck,
    lck_sleep_action_t action, event_t event, wait_interrupt_t interruptible,
    uint64_t deadline) __XKPI_KERN(lck_mtx_sleep_deadline);

/*!
 * @function lck_spin_alloc_init
 * @abstract Allocates a spin lock.
 * @param grp Its group, or LCK_GRP_NULL.
 * @param attr Its attributes, or LCK_ATTR_NULL.
 * @result The lock, or NULL when memory runs out.
 */
extern lck_spin_t *lck_spin_alloc_init(lck_grp_t *grp, lck_attr_t *attr)
    __XKPI_KERN(lck_spin_alloc_init);
/*!
 * @function lck_spin_free
 * @abstract Frees a spin lock.
 * @param lck The lock (NULL is ignored).
 * @param grp Its group.
 */
extern void lck_spin_free(lck_spin_t *lck, lck_grp_t *grp)
    __XKPI_KERN(lck_spin_free);
/*!
 * @function lck_spin_lock
 * @abstract Takes a spin lock.
 * @param lck The lock.
 */
extern void lck_spin_lock(lck_spin_t *lck) __XKPI_KERN(lck_spin_lock);
/*!
 * @function lck_spin_try_lock
 * @abstract Takes a spin lock if it is free.
 * @param lck The lock.
 * @result TRUE when the caller now holds it.
 */
extern boolean_t lck_spin_try_lock(lck_spin_t *lck)
    __XKPI_KERN(lck_spin_try_lock);
/*!
 * @function lck_spin_unlock
 * @abstract Releases a spin lock.
 * @param lck The lock.
 */
extern void lck_spin_unlock(lck_spin_t *lck) __XKPI_KERN(lck_spin_unlock);
/*!
 * @function lck_spin_sleep
 * @abstract Waits for a wakeup of an event, the spin lock released
 *     meanwhile.
 * @param lck The lock, held.
 * @param action LCK_SLEEP_DEFAULT or LCK_SLEEP_UNLOCK.
 * @param event The event.
 * @param interruptible Accepted; no wait is ever interrupted.
 * @result THREAD_AWAKENED.
 */
extern wait_result_t lck_spin_sleep(lck_spin_t *lck, lck_sleep_action_t action,
    event_t event, wait_interrupt_t interruptible) __XKPI_KERN(lck_spin_sleep);
/*!
 * @function lck_spin_sleep_deadline
 * @abstract lck_spin_sleep() with a deadline.
 * @param lck The lock, held.
 * @param action LCK_SLEEP_DEFAULT or LCK_SLEEP_UNLOCK.
 * @param event The event.
 * @param interruptible Accepted; no wait is ever interrupted.
 * @param deadline When to stop waiting, in absolute time units (0: no
 *     deadline).
 * @result THREAD_AWAKENED or THREAD_TIMED_OUT.
 */
extern wait_result_t lck_spin_sleep_deadline(lck_spin_t *lck,
    lck_sleep_action_t action, event_t event, wait_interrupt_t interruptible,
    uint64_t deadline) __XKPI_KERN(lck_spin_sleep_deadline);

/*!
 * @function lck_rw_alloc_init
 * @abstract Allocates a read-write lock.
 * @param grp Its group, or LCK_GRP_NULL.
 * @param attr Its attributes, or LCK_ATTR_NULL.
 * @result The lock, or NULL when memory runs out.
 */
extern lck_rw_t *lck_rw_alloc_init(lck_grp_t *grp, lck_attr_t *attr)
    __XKPI_KERN(lck_rw_alloc_init);
/*!
 * @function lck_rw_free
 * @abstract Frees a read-write lock.
 * @param lck The lock (NULL is ignored).
 * @param grp Its group.
 */
extern void lck_rw_free(lck_rw_t *lck, lck_grp_t *grp)
    __XKPI_KERN(lck_rw_free);
/*!
 * @function lck_rw_lock
 * @abstract Takes a read-write lock shared or exclusive.
 * @param lck The lock.
 * @param type LCK_RW_TYPE_SHARED or LCK_RW_TYPE_EXCLUSIVE.
 */
extern void lck_rw_lock(lck_rw_t *lck, lck_rw_type_t type)
    __XKPI_KERN(lck_rw_lock);
/*!
 * @function lck_rw_unlock
 * @abstract Releases a read-write lock held as stated.
 * @param lck The lock.
 * @param type How the caller holds it.
 */
extern void lck_rw_unlock(lck_rw_t *lck, lck_rw_type_t type)
    __XKPI_KERN(lck_rw_unlock);
/*!
 * @function lck_rw_lock_shared
 * @abstract Takes a read-write lock shared.
 * @discussion As in XNU, a thread that asks for it while a writer waits
 *     waits behind the writer.
 * @param lck The lock.
 */
extern void lck_rw_lock_shared(lck_rw_t *lck) __XKPI_KERN(lck_rw_lock_shared);
/*!
 * @function lck_rw_unlock_shared
 * @abstract Releases a shared hold.
 * @param lck The lock.
 */
extern void lck_rw_unlock_shared(lck_rw_t *lck)
    __XKPI_KERN(lck_rw_unlock_shared);
/*!
 * @function lck_rw_lock_exclusive
 * @abstract Takes a read-write lock exclusive.
 * @param lck The lock.
 */
extern void lck_rw_lock_exclusive(lck_rw_t *lck)
    __XKPI_KERN(lck_rw_lock_exclusive);
/*!
 * @function lck_rw_unlock_exclusive
 * @abstract Releases an exclusive hold.
 * @param lck The lock.
 */
extern void lck_rw_unlock_exclusive(lck_rw_t *lck)
    __XKPI_KERN(lck_rw_unlock_exclusive);
/*!
 * @function lck_rw_done
 * @abstract Releases a read-write lock however the caller holds it.
 * @param lck The lock.
 * @result How it was held: LCK_RW_TYPE_SHARED or LCK_RW_TYPE_EXCLUSIVE.
 */
extern lck_rw_type_t lck_rw_done(lck_rw_t *lck) __XKPI_KERN(lck_rw_done);
/*!
 * @function lck_rw_lock_shared_to_exclusive
 * @abstract Upgrades a shared hold to an exclusive one.
 * @discussion As in XNU: when another thread is already upgrading, the
 *     upgrade fails and the caller's shared hold is released; the caller
 *     then holds nothing and must take the lock again.
 * @param lck The lock, held shared by the caller.
 * @result TRUE when the caller holds it exclusive, FALSE when it holds
 *     nothing.
 */
extern boolean_t lck_rw_lock_shared_to_exclusive(lck_rw_t *lck)
    __XKPI_KERN(lck_rw_lock_shared_to_exclusive);
/*!
 * @function lck_rw_lock_exclusive_to_shared
 * @abstract Downgrades an exclusive hold to a shared one, letting waiting
 *     readers in.
 * @param lck The lock, held exclusive by the caller.
 */
extern void lck_rw_lock_exclusive_to_shared(lck_rw_t *lck)
    __XKPI_KERN(lck_rw_lock_exclusive_to_shared);
/*!
 * @function lck_rw_try_lock
 * @abstract Takes a read-write lock if it can without waiting.
 * @param lck The lock.
 * @param type LCK_RW_TYPE_SHARED or LCK_RW_TYPE_EXCLUSIVE.
 * @result TRUE when the caller now holds it.
 */
extern boolean_t lck_rw_try_lock(lck_rw_t *lck, lck_rw_type_t type)
    __XKPI_KERN(lck_rw_try_lock);
/*!
 * @function lck_rw_try_lock_shared
 * @abstract Takes a read-write lock shared if it can without waiting.
 * @param lck The lock.
 * @result TRUE when the caller now holds it.
 */
extern boolean_t lck_rw_try_lock_shared(lck_rw_t *lck)
    __XKPI_KERN(lck_rw_try_lock_shared);
/*!
 * @function lck_rw_try_lock_exclusive
 * @abstract Takes a read-write lock exclusive if it can without waiting.
 * @param lck The lock.
 * @result TRUE when the caller now holds it.
 */
extern boolean_t lck_rw_try_lock_exclusive(lck_rw_t *lck)
    __XKPI_KERN(lck_rw_try_lock_exclusive);
/*!
 * @function lck_rw_assert
 * @abstract Checks how the caller holds a read-write lock; the panic hook
 *     is called when it is not as stated.
 * @discussion Which thread holds a shared hold is not recorded: for
 *     LCK_RW_ASSERT_SHARED and LCK_RW_ASSERT_HELD a shared hold by any
 *     thread passes, and LCK_RW_ASSERT_NOTHELD checks only that the
 *     caller does not hold it exclusive.
 * @param lck The lock.
 * @param type One of the LCK_RW_ASSERT_* values.
 */
extern void lck_rw_assert(lck_rw_t *lck, unsigned int type)
    __XKPI_KERN(lck_rw_assert);
/*!
 * @function lck_rw_sleep
 * @abstract Waits for a wakeup of an event, the lock released meanwhile.
 * @param lck The lock, held by the caller.
 * @param action LCK_SLEEP_DEFAULT (take it again as it was held),
 *     LCK_SLEEP_SHARED, LCK_SLEEP_EXCLUSIVE or LCK_SLEEP_UNLOCK.
 * @param event The event.
 * @param interruptible Accepted; no wait is ever interrupted.
 * @result THREAD_AWAKENED.
 */
extern wait_result_t lck_rw_sleep(lck_rw_t *lck, lck_sleep_action_t action,
    event_t event, wait_interrupt_t interruptible) __XKPI_KERN(lck_rw_sleep);
/*!
 * @function lck_rw_sleep_deadline
 * @abstract lck_rw_sleep() with a deadline.
 * @param lck The lock, held by the caller.
 * @param action As for lck_rw_sleep().
 * @param event The event.
 * @param interruptible Accepted; no wait is ever interrupted.
 * @param deadline When to stop waiting, in absolute time units (0: no
 *     deadline).
 * @result THREAD_AWAKENED or THREAD_TIMED_OUT.
 */
extern wait_result_t lck_rw_sleep_deadline(lck_rw_t *lck,
    lck_sleep_action_t action, event_t event, wait_interrupt_t interruptible,
    uint64_t deadline) __XKPI_KERN(lck_rw_sleep_deadline);

/*!
 * @function thread_wakeup
 * @abstract Wakes every thread sleeping on an event.
 * @param event The event.
 * @result KERN_SUCCESS, or KERN_NOT_WAITING when no thread was.
 */
extern kern_return_t thread_wakeup(event_t event) __XKPI_KERN(thread_wakeup);
/*!
 * @function thread_wakeup_one
 * @abstract Wakes the longest-sleeping thread on an event.
 * @param event The event.
 * @result KERN_SUCCESS, or KERN_NOT_WAITING when no thread was.
 */
extern kern_return_t thread_wakeup_one(event_t event)
    __XKPI_KERN(thread_wakeup_one);

#ifdef __cplusplus
}
#endif

#endif /* _XKPI_KEXT_KERN_LOCKS_H_ */
