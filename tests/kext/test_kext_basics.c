/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The kernel services of the kext include set, built as a kext file is:
 * locks under contention (run under TSan by make check-tsan), misuse
 * caught by the panic hook, sleep and wakeup with and without timeouts,
 * thread calls and timeouts firing on the loop thread, time, the
 * allocators, atomics, panic(), IOLog() and the Darwin errno names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <IOKit/IOLib.h>
#include <kern/clock.h>
#include <kern/kalloc.h>
#include <kern/locks.h>
#include <kern/thread_call.h>
#include <libkern/OSAtomic.h>
#include <libkern/OSMalloc.h>
#include <libkern/libkern.h>
#include <mach/mach_time.h>
#include <sys/errno.h>
#include <sys/malloc.h>
#include <sys/param.h>
#include <sys/proc.h>
#include <sys/systm.h>
#include <sys/time.h>
#include <uuid/uuid.h>
#include <xkpi.h>

#define	NTHREADS	4
#define	NLOOPS		20000
/* The liveness bound of every wait: far beyond what any step needs. */
#define	LIVE_NS		(10 * NSEC_PER_SEC)

static lck_grp_t *grp;
static lck_mtx_t *wait_mtx;	/* guards the flags the waits below test */

/* The panic catcher: counts, keeps the last message, may jump out. */
static int panics;
static char panic_msg[512];
static sigjmp_buf *panic_jump;

static void
panic_hook(const char *msg, void *ctx)
{
	(void)ctx;
	panics++;
	snprintf(panic_msg, sizeof(panic_msg), "%s", msg);
	if (panic_jump != NULL) {
		siglongjmp(*panic_jump, 1);
	}
}

static int
take_panics(void)
{
	int n = panics;

	panics = 0;
	return n;
}

/*
 * Waits, at most the liveness bound, until *@flag is set; the flag is set
 * under wait_mtx by whoever then calls wakeup(flag).
 */
static void
await_flag(int *flag, const char *what)
{
	uint64_t end = mach_absolute_time() + LIVE_NS;
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	lck_mtx_lock(wait_mtx);
	while (!*flag && mach_absolute_time() < end) {
		msleep(flag, wait_mtx, PSOCK, "await", &ts);
	}
	lck_mtx_unlock(wait_mtx);
	if (!*flag) {
		fail_msg("%s did not happen within the liveness bound", what);
	}
}

static void
set_flag(int *flag)
{
	lck_mtx_lock(wait_mtx);
	*flag = 1;
	wakeup(flag);
	lck_mtx_unlock(wait_mtx);
}

static int
flag_get(int *flag)
{
	int v;

	lck_mtx_lock(wait_mtx);
	v = *flag;
	lck_mtx_unlock(wait_mtx);
	return v;
}

/* Locks */

static lck_mtx_t *cont_mtx;
static lck_spin_t *cont_spin;
static long cont_counter, spin_counter;

static void *
mtx_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < NLOOPS; i++) {
		lck_mtx_lock(cont_mtx);
		cont_counter++;
		lck_mtx_unlock(cont_mtx);
		lck_spin_lock(cont_spin);
		spin_counter++;
		lck_spin_unlock(cont_spin);
	}
	return NULL;
}

static void
test_mutex_contention(void **state)
{
	pthread_t t[NTHREADS];

	(void)state;
	cont_mtx = lck_mtx_alloc_init(grp, LCK_ATTR_NULL);
	assert_non_null(cont_mtx);
	cont_spin = lck_spin_alloc_init(grp, LCK_ATTR_NULL);
	assert_non_null(cont_spin);
	cont_counter = spin_counter = 0;
	for (int i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_create(&t[i], NULL, mtx_worker, NULL),
		    0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
	}
	/* Every increment was under its lock: none was lost. */
	assert_int_equal(cont_counter, (long)NTHREADS * NLOOPS);
	assert_int_equal(spin_counter, (long)NTHREADS * NLOOPS);
	lck_spin_free(cont_spin, grp);
	lck_mtx_free(cont_mtx, grp);
	assert_int_equal(take_panics(), 0);
}

static void *
try_other(void *arg)
{
	return (void *)(intptr_t)lck_mtx_try_lock(arg);
}

static void
test_mutex_try_and_misuse(void **state)
{
	lck_mtx_t *m = lck_mtx_alloc_init(grp, LCK_ATTR_NULL);
	pthread_t t;
	void *r;

	(void)state;
	assert_true(lck_mtx_try_lock(m));
	lck_mtx_assert(m, LCK_MTX_ASSERT_OWNED);
	assert_int_equal(take_panics(), 0);
	/* Another thread cannot have it; the owner cannot take it twice. */
	pthread_create(&t, NULL, try_other, m);
	pthread_join(t, &r);
	assert_int_equal((intptr_t)r, FALSE);
	assert_false(lck_mtx_try_lock(m));
	lck_mtx_lock(m);
	assert_int_equal(take_panics(), 1);
	assert_non_null(strstr(panic_msg, "already held"));
	lck_mtx_assert(m, LCK_MTX_ASSERT_NOTOWNED);
	assert_int_equal(take_panics(), 1);
	/* Freed while held: refused. */
	lck_mtx_free(m, grp);
	assert_int_equal(take_panics(), 1);
	lck_mtx_unlock(m);
	lck_mtx_assert(m, LCK_MTX_ASSERT_NOTOWNED);
	lck_mtx_unlock(m);
	assert_int_equal(take_panics(), 1);
	assert_non_null(strstr(panic_msg, "not held"));
	lck_mtx_free(m, grp);
	assert_int_equal(take_panics(), 0);
}

static lck_rw_t *rw;
static int rw_upgrade_result = -1, rw_b_result = -1, rw_a_excl = -1;
static int rw_a_done_type = -1;
static int rw_a_in, rw_b_in, rw_a_done, rw_b_done, rw_go;

static void *
rw_upgrader_a(void *arg)
{
	(void)arg;
	lck_rw_lock_shared(rw);
	set_flag(&rw_a_in);
	rw_upgrade_result = lck_rw_lock_shared_to_exclusive(rw);
	/* No cmocka assertion off the main thread: record, check there. */
	rw_a_excl = panics;
	lck_rw_assert(rw, LCK_RW_ASSERT_EXCLUSIVE);
	rw_a_excl = panics == rw_a_excl;
	rw_a_done_type = (int)lck_rw_done(rw);
	set_flag(&rw_a_done);
	return NULL;
}

static void *
rw_upgrader_b(void *arg)
{
	(void)arg;
	lck_rw_lock_shared(rw);
	set_flag(&rw_b_in);
	await_flag(&rw_go, "the go-ahead");
	/* A is upgrading: this upgrade fails and drops B's hold. */
	rw_b_result = lck_rw_lock_shared_to_exclusive(rw);
	set_flag(&rw_b_done);
	return NULL;
}

static void
test_rw_upgrade_rule(void **state)
{
	uint64_t end = mach_absolute_time() + LIVE_NS;
	pthread_t a, b;

	(void)state;
	rw = lck_rw_alloc_init(grp, LCK_ATTR_NULL);
	assert_non_null(rw);
	pthread_create(&b, NULL, rw_upgrader_b, NULL);
	await_flag(&rw_b_in, "B's shared hold");
	pthread_create(&a, NULL, rw_upgrader_a, NULL);
	await_flag(&rw_a_in, "A's shared hold");
	/* A is upgrading once a new reader is refused. */
	while (lck_rw_try_lock_shared(rw)) {
		lck_rw_unlock_shared(rw);
		assert_true(mach_absolute_time() < end);
		IOSleep(1);
	}
	assert_int_equal(flag_get(&rw_a_done), 0);
	set_flag(&rw_go);
	pthread_join(b, NULL);
	pthread_join(a, NULL);
	assert_int_equal(rw_b_result, FALSE);
	assert_int_equal(rw_upgrade_result, TRUE);
	assert_int_equal(rw_a_excl, 1);
	assert_int_equal(rw_a_done_type, LCK_RW_TYPE_EXCLUSIVE);
	/* Nothing is held now. */
	assert_true(lck_rw_try_lock_exclusive(rw));
	lck_rw_lock_exclusive_to_shared(rw);
	assert_true(lck_rw_try_lock(rw, LCK_RW_TYPE_SHARED));
	assert_false(lck_rw_try_lock(rw, LCK_RW_TYPE_EXCLUSIVE));
	lck_rw_unlock(rw, LCK_RW_TYPE_SHARED);
	assert_int_equal(lck_rw_done(rw), LCK_RW_TYPE_SHARED);
	lck_rw_unlock_shared(rw);
	assert_int_equal(take_panics(), 1);
	lck_rw_free(rw, grp);
	assert_int_equal(take_panics(), 0);
}

static long rw_shared_value;

static void *
rw_worker(void *arg)
{
	int id = (int)(intptr_t)arg;

	for (int i = 0; i < NLOOPS / 4; i++) {
		if ((i + id) % 4 == 0) {
			lck_rw_lock_exclusive(rw);
			rw_shared_value++;
			lck_rw_unlock_exclusive(rw);
		} else {
			lck_rw_lock_shared(rw);
			(void)*(volatile long *)&rw_shared_value;
			lck_rw_unlock_shared(rw);
		}
	}
	return NULL;
}

static void
test_rw_contention(void **state)
{
	pthread_t t[NTHREADS];
	long want = 0;

	(void)state;
	rw = lck_rw_alloc_init(grp, LCK_ATTR_NULL);
	rw_shared_value = 0;
	for (int i = 0; i < NTHREADS; i++) {
		pthread_create(&t[i], NULL, rw_worker, (void *)(intptr_t)i);
		for (int j = 0; j < NLOOPS / 4; j++) {
			want += (j + i) % 4 == 0;
		}
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
	}
	assert_int_equal(rw_shared_value, want);
	lck_rw_free(rw, grp);
	assert_int_equal(take_panics(), 0);
}

/* Sleep and wakeup */

static lck_mtx_t *sl_mtx;
static int sl_asleep, sl_woke;
static int sl_chan;

static void *
sleeper(void *arg)
{
	int r;

	(void)arg;
	lck_mtx_lock(sl_mtx);
	sl_asleep++;
	r = msleep(&sl_chan, sl_mtx, PSOCK | PCATCH, "test", NULL);
	lck_mtx_assert(sl_mtx, LCK_MTX_ASSERT_OWNED);
	sl_woke++;
	lck_mtx_unlock(sl_mtx);
	return (void *)(intptr_t)r;
}

static void
await_count(int *v, int n, const char *what)
{
	uint64_t end = mach_absolute_time() + LIVE_NS;

	for (;;) {
		lck_mtx_lock(sl_mtx);
		if (*v >= n) {
			lck_mtx_unlock(sl_mtx);
			return;
		}
		lck_mtx_unlock(sl_mtx);
		if (mach_absolute_time() > end) {
			fail_msg("%s did not happen within the liveness bound",
			    what);
		}
		IOSleep(1);
	}
}

static void
test_msleep_wakeup_one_and_all(void **state)
{
	pthread_t t[3];
	void *r;

	(void)state;
	sl_mtx = lck_mtx_alloc_init(grp, LCK_ATTR_NULL);
	sl_asleep = sl_woke = 0;
	for (int i = 0; i < 3; i++) {
		pthread_create(&t[i], NULL, sleeper, NULL);
	}
	/*
	 * A sleeper counts itself under the mutex and msleep releases it
	 * only once queued: after that, no wakeup can be missed.
	 */
	await_count(&sl_asleep, 3, "three sleepers");
	lck_mtx_lock(sl_mtx);
	lck_mtx_unlock(sl_mtx);
	wakeup_one((caddr_t)&sl_chan);
	await_count(&sl_woke, 1, "one wakeup");
	lck_mtx_lock(sl_mtx);
	assert_int_equal(sl_woke, 1);	/* the others still sleep */
	lck_mtx_unlock(sl_mtx);
	/* Another channel wakes nobody. */
	wakeup(&sl_woke);
	assert_int_equal(thread_wakeup(&sl_woke), KERN_NOT_WAITING);
	wakeup(&sl_chan);
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], &r);
		assert_int_equal((intptr_t)r, 0);
	}
	assert_int_equal(sl_woke, 3);
	lck_mtx_free(sl_mtx, grp);
	assert_int_equal(take_panics(), 0);
}

static void
test_msleep_timeouts(void **state)
{
	struct timespec ts = { 0, 30 * 1000 * 1000 };
	lck_mtx_t *m = lck_mtx_alloc_init(grp, LCK_ATTR_NULL);
	uint64_t t0, t1, dl;
	int chan;

	(void)state;
	lck_mtx_lock(m);
	t0 = mach_absolute_time();
	assert_int_equal(msleep(&chan, m, PSOCK, "to", &ts), EWOULDBLOCK);
	t1 = mach_absolute_time();
	assert_true(t1 - t0 >= 30 * NSEC_PER_MSEC);
	lck_mtx_assert(m, LCK_MTX_ASSERT_OWNED);
	/* PDROP: back without the mutex. */
	assert_int_equal(msleep(&chan, m, PSOCK | PDROP, "to", &ts),
	    EWOULDBLOCK);
	lck_mtx_assert(m, LCK_MTX_ASSERT_NOTOWNED);
	assert_int_equal(tsleep(&chan, PSOCK, "to", 2), EWOULDBLOCK);
	lck_mtx_lock(m);
	clock_interval_to_deadline(20, kMillisecondScale, &dl);
	assert_int_equal(lck_mtx_sleep_deadline(m, LCK_SLEEP_DEFAULT, &chan,
	    THREAD_UNINT, dl), THREAD_TIMED_OUT);
	assert_true(mach_absolute_time() >= dl);
	lck_mtx_assert(m, LCK_MTX_ASSERT_OWNED);
	clock_interval_to_deadline(1, kMillisecondScale, &dl);
	assert_int_equal(lck_mtx_sleep_deadline(m, LCK_SLEEP_UNLOCK, &chan,
	    THREAD_UNINT, dl), THREAD_TIMED_OUT);
	lck_mtx_assert(m, LCK_MTX_ASSERT_NOTOWNED);
	lck_mtx_free(m, grp);
	assert_int_equal(take_panics(), 0);
}

/* Thread calls and timeouts */

static pthread_t main_thread;
static int tc_ran, tc_ran_off_main, tc_barrier, tc_cancelled_ran;
static void *tc_p0, *tc_p1;
static uint64_t tc_when;

static void
tc_func(thread_call_param_t p0, thread_call_param_t p1)
{
	lck_mtx_lock(wait_mtx);
	tc_p0 = p0;
	tc_p1 = p1;
	tc_when = mach_absolute_time();
	tc_ran_off_main = !pthread_equal(pthread_self(), main_thread);
	tc_ran++;
	wakeup(&tc_ran);
	lck_mtx_unlock(wait_mtx);
}

static void
tc_cancelled_func(thread_call_param_t p0, thread_call_param_t p1)
{
	(void)p0;
	(void)p1;
	set_flag(&tc_cancelled_ran);
}

static void
tc_barrier_func(thread_call_param_t p0, thread_call_param_t p1)
{
	(void)p0;
	(void)p1;
	set_flag(&tc_barrier);
}

static void
test_thread_call_fires_on_loop(void **state)
{
	thread_call_t c, dead, barrier;
	uint64_t dl, now;

	(void)state;
	tc_ran = tc_barrier = tc_cancelled_ran = 0;
	c = thread_call_allocate(tc_func, (void *)0x10);
	dead = thread_call_allocate_with_priority(tc_cancelled_func, NULL,
	    THREAD_CALL_PRIORITY_KERNEL);
	barrier = thread_call_allocate(tc_barrier_func, NULL);
	assert_non_null(c);
	assert_non_null(dead);
	assert_non_null(barrier);

	/* Delayed, with a second parameter: runs on the loop, not before. */
	clock_interval_to_deadline(40, kMillisecondScale, &dl);
	assert_false(thread_call_enter1_delayed(c, (void *)0x20, dl));
	assert_true(thread_call_isactive(c));
	await_flag(&tc_ran, "the thread call");
	assert_int_equal(tc_ran, 1);
	assert_true(tc_ran_off_main);
	assert_ptr_equal(tc_p0, (void *)0x10);
	assert_ptr_equal(tc_p1, (void *)0x20);
	assert_true(tc_when >= dl);

	/* Pending twice: TRUE the second time, one run. */
	tc_ran = 0;
	clock_interval_to_deadline(20, kMillisecondScale, &dl);
	assert_false(thread_call_enter_delayed(c, dl));
	assert_true(thread_call_enter(c));
	await_flag(&tc_ran, "the thread call again");
	assert_null(tc_p1);

	/* A cancelled call never runs, a pending one is not freed. */
	clock_interval_to_deadline(10, kMillisecondScale, &dl);
	assert_false(thread_call_enter_delayed(dead, dl));
	assert_false(thread_call_free(dead));
	assert_true(thread_call_cancel(dead));
	assert_false(thread_call_cancel(dead));
	assert_false(thread_call_isactive(dead));
	clock_interval_to_deadline(60, kMillisecondScale, &dl);
	thread_call_enter_delayed(barrier, dl);
	await_flag(&tc_barrier, "the barrier call");
	now = mach_absolute_time();
	assert_true(now >= dl);
	assert_int_equal(flag_get(&tc_cancelled_ran), 0);

	assert_true(thread_call_free(dead));
	assert_true(thread_call_free(barrier));
	lck_mtx_lock(wait_mtx);
	assert_int_equal(tc_ran, 1);
	lck_mtx_unlock(wait_mtx);
	assert_true(thread_call_free(c));
	assert_int_equal(take_panics(), 0);
}

static int cw_in, cw_release, cw_returned;

static void
tc_blocking(thread_call_param_t p0, thread_call_param_t p1)
{
	(void)p0;
	(void)p1;
	set_flag(&cw_in);
	await_flag(&cw_release, "the release of the running call");
}

static void *
cancel_waiter(void *arg)
{
	boolean_t r = thread_call_cancel_wait(arg);

	set_flag(&cw_returned);
	return (void *)(intptr_t)r;
}

static void
test_thread_call_cancel_wait(void **state)
{
	thread_call_t c = thread_call_allocate(tc_blocking, NULL);
	pthread_t t;
	void *r;

	(void)state;
	cw_in = cw_release = cw_returned = 0;
	thread_call_enter(c);
	await_flag(&cw_in, "the running call");
	assert_true(thread_call_isactive(c));
	pthread_create(&t, NULL, cancel_waiter, c);
	/* The waiter waits while the call runs: nothing to cancel. */
	IOSleep(20);
	assert_int_equal(flag_get(&cw_returned), 0);
	set_flag(&cw_release);
	pthread_join(t, &r);
	assert_int_equal((intptr_t)r, FALSE);
	assert_false(thread_call_isactive(c));
	assert_true(thread_call_free(c));
	assert_int_equal(take_panics(), 0);
}

static int to_ran, to_cancelled_ran, to_barrier;

static void
to_func(void *arg)
{
	set_flag(arg);
}

static void
test_timeout_untimeout(void **state)
{
	struct timespec ts = { 0, 40 * 1000 * 1000 };

	(void)state;
	to_ran = to_cancelled_ran = to_barrier = 0;
	timeout(to_func, &to_ran, 1);
	await_flag(&to_ran, "the timeout");
	timeout(to_func, &to_cancelled_ran, 2);
	untimeout(to_func, &to_cancelled_ran);
	bsd_timeout(to_func, &to_barrier, &ts);
	await_flag(&to_barrier, "the barrier timeout");
	assert_int_equal(flag_get(&to_cancelled_ran), 0);
	/* A timeout left pending goes at shutdown (the teardown's). */
	timeout(to_func, &to_cancelled_ran, hz * 100);
}

/* Time */

static void
test_time(void **state)
{
	struct timeval tv, up1, up2;
	struct timespec ts;
	clock_sec_t s;
	clock_usec_t us;
	mach_timebase_info_data_t tb;
	uint64_t a, b, abs;

	(void)state;
	microtime(&tv);
	assert_true(labs((long)(tv.tv_sec - time(NULL))) <= 2);
	clock_get_calendar_microtime(&s, &us);
	assert_true(labs((long)s - (long)tv.tv_sec) <= 2);
	assert_true(us < 1000000);
	nanotime(&ts);
	assert_true(ts.tv_nsec < 1000000000);
	microuptime(&up1);
	a = mach_absolute_time();
	IODelay(2000);
	b = mach_absolute_time();
	microuptime(&up2);
	assert_true(b - a >= 2000 * NSEC_PER_USEC);
	timevalsub(&up2, &up1);
	assert_true(up2.tv_sec > 0 || up2.tv_usec >= 2000);
	assert_int_equal(mach_timebase_info(&tb), KERN_SUCCESS);
	assert_int_equal(tb.numer, 1);
	assert_int_equal(tb.denom, 1);
	nanoseconds_to_absolutetime(12345, &abs);
	assert_int_equal(abs, 12345);
	clock_interval_to_absolutetime_interval(3, kSecondScale, &abs);
	assert_int_equal(abs, 3 * NSEC_PER_SEC);
	tv.tv_sec = 1;
	tv.tv_usec = 900000;
	up1.tv_sec = 0;
	up1.tv_usec = 200000;
	timevaladd(&tv, &up1);
	assert_int_equal(tv.tv_sec, 2);
	assert_int_equal(tv.tv_usec, 100000);
	assert_int_equal(hz, 100);
}

/* Allocation */

static void
test_allocators(void **state)
{
	OSMallocTag tag = OSMalloc_Tagalloc("com.example.test", OSMT_DEFAULT);
	OSMallocTag other = OSMalloc_Tagalloc("com.example.other", 0);
	char *p, *q;
	void *a;

	(void)state;
	MALLOC(p, char *, 64, M_TEMP, M_WAITOK | M_ZERO);
	assert_non_null(p);
	for (int i = 0; i < 64; i++) {
		assert_int_equal(p[i], 0);
	}
	p = _REALLOC(p, 128, M_TEMP, M_ZERO);
	assert_non_null(p);
	FREE(p, M_TEMP);
	assert_null(_MALLOC(0, M_TEMP, M_WAITOK));

	MALLOC_ZONE(q, char *, 48, M_TEMP, M_WAITOK);
	FREE_ZONE(q, 47, M_TEMP);
	assert_int_equal(take_panics(), 1);
	FREE_ZONE(q, 48, M_TEMP);

	p = OSMalloc(100, tag);
	assert_non_null(p);
	OSFree(p, 100, other);
	assert_int_equal(take_panics(), 1);
	/* The tag outlives Tagfree while an allocation holds it. */
	OSMalloc_Tagfree(tag);
	memset(p, 1, 100);
	OSFree(p, 100, tag);
	OSMalloc_Tagfree(other);

	a = IOMallocAligned(100, 4096);
	assert_non_null(a);
	assert_int_equal((uintptr_t)a % 4096, 0);
	IOFreeAligned(a, 100);
	a = IOMallocZero(32);
	assert_int_equal(((char *)a)[31], 0);
	IOFree(a, 31);
	assert_int_equal(take_panics(), 1);
	_FREE(a, M_TEMP);	/* not _MALLOC's */
	assert_int_equal(take_panics(), 1);
	IOFree(a, 32);

	a = kalloc_data(10, Z_WAITOK | Z_ZERO);
	a = krealloc_data(a, 10, 20, Z_WAITOK | Z_ZERO);
	assert_non_null(a);
	kfree_data(a, 10);
	assert_int_equal(take_panics(), 1);
	kfree_data(a, 20);
	{
		struct pair {
			int	x;
			long	y;
		} *pp = kalloc_type(struct pair, Z_WAITOK);

		assert_int_equal(pp->x, 0);
		kfree_type(struct pair, pp);
	}
	assert_int_equal(take_panics(), 0);
}

/* Atomics */

static volatile SInt32 at32;
static volatile SInt64 at64;

static void *
atomic_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < NLOOPS; i++) {
		OSIncrementAtomic(&at32);
		OSAddAtomic64(2, &at64);
	}
	return NULL;
}

static void
test_atomics(void **state)
{
	volatile UInt8 bits[2] = { 0, 0 };
	volatile UInt32 mask = 0xf0;
	void *volatile ptr = NULL;
	pthread_t t[NTHREADS];
	int x;

	(void)state;
	at32 = 0;
	at64 = 0;
	for (int i = 0; i < NTHREADS; i++) {
		pthread_create(&t[i], NULL, atomic_worker, NULL);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
	}
	assert_int_equal(at32, NTHREADS * NLOOPS);
	assert_int_equal(at64, 2LL * NTHREADS * NLOOPS);
	assert_int_equal(OSAddAtomic(5, &at32), NTHREADS * NLOOPS);
	assert_int_equal(OSDecrementAtomic(&at32), NTHREADS * NLOOPS + 5);
	assert_true(OSCompareAndSwap(0xf0, 0x0f, &mask));
	assert_false(OSCompareAndSwap(0xf0, 0x00, &mask));
	assert_int_equal(OSBitOrAtomic(0x100, &mask), 0x0f);
	assert_int_equal(mask, 0x10f);
	assert_true(OSCompareAndSwapPtr(NULL, &x, &ptr));
	assert_ptr_equal(ptr, &x);
	/* Bit 0 is the top bit of the first byte; bit 9 the second's 0x40. */
	assert_false(OSTestAndSet(0, bits));
	assert_int_equal(bits[0], 0x80);
	assert_false(OSTestAndSet(9, bits));
	assert_int_equal(bits[1], 0x40);
	assert_true(OSTestAndSet(9, bits));
	assert_true(OSTestAndClear(0, bits));
	assert_int_equal(bits[0], 0);
	OSMemoryBarrier();
}

/* panic, IOLog, errno */

static void
test_panic_goes_to_hook(void **state)
{
	sigjmp_buf jb;

	(void)state;
	panic_jump = &jb;
	if (sigsetjmp(jb, 0) == 0) {
		panic("kext state %d is impossible", 7);
		fail_msg("panic returned");
	}
	panic_jump = NULL;
	assert_int_equal(take_panics(), 1);
	assert_string_equal(panic_msg, "kext state 7 is impossible");
}

static void
test_iolog_to_stderr(void **state)
{
	char path[] = "/tmp/xkpi-iolog-XXXXXX", buf[256];
	int fd = mkstemp(path), saved;
	ssize_t n;

	(void)state;
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	IOLog("mykext: %s %d", "started", 3);
	IOLog("mykext: done\n");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	unlink(path);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "mykext: started 3\nmykext: done\n");
}

static void
test_darwin_errnos(void **state)
{
	const int darwin[] = { EAUTH, EBADRPC, ERPCMISMATCH, EPROGUNAVAIL,
	    EPROGMISMATCH, EPROCUNAVAIL, EFTYPE, ENEEDAUTH, ENOATTR, EQFULL,
	    EPWROFF, EDEVERR, EBADEXEC, EBADARCH, ESHLIBVERS, EBADMACHO,
	    ENOPOLICY, EPROCLIM };

	(void)state;
	for (size_t i = 0; i < sizeof(darwin) / sizeof(darwin[0]); i++) {
		/* Nothing Linux returns has these numbers. */
		assert_true(darwin[i] > 0xfff);
		assert_string_not_equal(xkpi_strerror(darwin[i]),
		    "Unknown error");
		for (size_t j = 0; j < i; j++) {
			assert_int_not_equal(darwin[i], darwin[j]);
		}
	}
	assert_int_equal(EAUTH - 0x1000, 80);
	assert_string_equal(xkpi_strerror(EAUTH), "Authentication error");
	assert_string_equal(xkpi_strerror(EPROGUNAVAIL),
	    "RPC program not available");
	assert_int_equal(EJUSTRETURN, -2);
	assert_non_null(strstr(xkpi_strerror(EJUSTRETURN), "kernel"));
	assert_string_equal(xkpi_strerror(ECONNREFUSED), "Connection refused");
	assert_string_equal(xkpi_strerror(100000), "Unknown error");
	/* glibc's names keep glibc's values. */
	assert_int_equal(ENOTSUP, EOPNOTSUPP);
}

static void
test_uuid(void **state)
{
	uuid_string_t s;
	uuid_t a, b;

	(void)state;
	uuid_clear(a);
	assert_true(uuid_is_null(a));
	uuid_generate(a);
	assert_false(uuid_is_null(a));
	assert_int_equal(a[6] >> 4, 4);		/* version 4 */
	assert_int_equal(a[8] & 0xc0, 0x80);	/* RFC 4122 variant */
	uuid_unparse(a, s);
	assert_int_equal(strlen(s), 36);
	assert_int_equal(s[8], '-');
	assert_int_equal(uuid_parse(s, b), 0);
	assert_int_equal(uuid_compare(a, b), 0);
	strcpy(s, "not-a-uuid");
	assert_int_equal(uuid_parse(s, b), -1);
	strcpy(s, "0123456789abcdef0123456789abcdef0123");
	assert_int_equal(uuid_parse(s, b), -1);
	strcpy(s, "01234567-89ab-cdef-0123-456789ABCDEF");
	assert_int_equal(uuid_parse(s, b), 0);
	uuid_unparse_lower(b, s);
	assert_string_equal(s, "01234567-89ab-cdef-0123-456789abcdef");
	uuid_unparse(b, s);
	assert_string_equal(s, "01234567-89AB-CDEF-0123-456789ABCDEF");
	uuid_copy(a, b);
	assert_int_equal(uuid_compare(a, b), 0);
}

static int
group_setup(void **state)
{
	static const struct xkpi_config cfg = XKPI_CONFIG_INIT(
		.backend = "mem",
	);

	(void)state;
	main_thread = pthread_self();
	xkpi_set_panic_hook(panic_hook, NULL);
	if (xkpi_init(&cfg) != 0) {
		return -1;
	}
	grp = lck_grp_alloc_init("test", LCK_GRP_ATTR_NULL);
	wait_mtx = lck_mtx_alloc_init(grp, LCK_ATTR_NULL);
	return grp != NULL && wait_mtx != NULL ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	xkpi_shutdown();
	lck_mtx_free(wait_mtx, grp);
	lck_grp_free(grp);
	xkpi_set_panic_hook(NULL, NULL);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mutex_contention),
		cmocka_unit_test(test_mutex_try_and_misuse),
		cmocka_unit_test(test_rw_upgrade_rule),
		cmocka_unit_test(test_rw_contention),
		cmocka_unit_test(test_msleep_wakeup_one_and_all),
		cmocka_unit_test(test_msleep_timeouts),
		cmocka_unit_test(test_thread_call_fires_on_loop),
		cmocka_unit_test(test_thread_call_cancel_wait),
		cmocka_unit_test(test_timeout_untimeout),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_allocators),
		cmocka_unit_test(test_atomics),
		cmocka_unit_test(test_panic_goes_to_hook),
		cmocka_unit_test(test_iolog_to_stderr),
		cmocka_unit_test(test_darwin_errnos),
		cmocka_unit_test(test_uuid),
	};

	return cmocka_run_group_tests_name("kext_basics", tests, group_setup,
	    group_teardown);
}
