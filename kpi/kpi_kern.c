/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The kernel services of the kext include set (headers/kext): locks,
 * sleep and wakeup, thread calls and timeouts on the loop thread, time,
 * the allocators, logging and panic.  Every symbol is xkpi_kern_NAME;
 * the kext headers bind NAME to it with an assembler label, so the
 * library adds no `panic` or `wakeup` to a program's name space.
 *
 * Locks are pthread mutexes (TSan sees them); a lock's owner is kept to
 * catch what XNU panics on.  One table of wait channels serves msleep,
 * tsleep, lck_*_sleep and their wakeups.  Thread calls and timeouts are
 * libevent timers on the library's base, run on its loop thread.
 */
#include "core/xk.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include <xkpi.h>

#include "core/socket_var.h"

/* XNU's values, as the kext headers give them. */
#define K_TRUE			1
#define K_FALSE			0
#define KERN_SUCCESS		0
#define KERN_INVALID_ARGUMENT	4
#define KERN_NOT_WAITING	48
#define THREAD_AWAKENED		0
#define THREAD_TIMED_OUT	1
#define LCK_SLEEP_UNLOCK	0x01
#define LCK_SLEEP_SHARED	0x02
#define LCK_SLEEP_EXCLUSIVE	0x04
#define LCK_RW_TYPE_SHARED	0x01
#define LCK_RW_TYPE_EXCLUSIVE	0x02
#define LCK_MTX_ASSERT_OWNED	1
#define LCK_MTX_ASSERT_NOTOWNED	2
#define LCK_RW_ASSERT_SHARED	0x01
#define LCK_RW_ASSERT_EXCLUSIVE	0x02
#define LCK_RW_ASSERT_HELD	0x03
#define LCK_RW_ASSERT_NOTHELD	0x04
#define PDROP			0x400
#define M_ZERO			0x0004
#define Z_ZERO			0x0004
#define Z_NOFAIL		0x8000
#define THREAD_CALL_OPTIONS_ONCE 0x1
#define HZ			100

#define NSEC_PER_SEC		1000000000ull

typedef int boolean_t;
typedef int wait_result_t;
typedef int kern_return_t;
typedef void (*thread_call_func_t)(void *, void *);
typedef void (*timeout_fcn_t)(void *);

/*
 * The exported entry points, one per service; the kext headers declare
 * them under XNU's names.
 */
#define KERN(name)	xkpi_kern_##name

/* Time */

static uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static uint64_t
mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

XK_EXPORT uint64_t KERN(mach_absolute_time)(void);
XK_EXPORT uint64_t
KERN(mach_absolute_time)(void)
{
	return mono_ns();
}

XK_EXPORT uint64_t KERN(mach_continuous_time)(void);
XK_EXPORT uint64_t
KERN(mach_continuous_time)(void)
{
	return clock_ns(CLOCK_BOOTTIME);
}

struct k_timebase {
	uint32_t	numer;
	uint32_t	denom;
};

XK_EXPORT kern_return_t KERN(mach_timebase_info)(struct k_timebase *info);
XK_EXPORT kern_return_t
KERN(mach_timebase_info)(struct k_timebase *info)
{
	if (info == NULL) {
		return KERN_INVALID_ARGUMENT;
	}
	info->numer = 1;
	info->denom = 1;
	return KERN_SUCCESS;
}

XK_EXPORT void KERN(clock_timebase_info)(struct k_timebase *info);
XK_EXPORT void
KERN(clock_timebase_info)(struct k_timebase *info)
{
	(void)KERN(mach_timebase_info)(info);
}

static void
split_ns(uint64_t ns, unsigned long *secs, unsigned int *frac,
    unsigned int div)
{
	*secs = (unsigned long)(ns / NSEC_PER_SEC);
	*frac = (unsigned int)(ns % NSEC_PER_SEC / div);
}

XK_EXPORT void KERN(clock_get_calendar_microtime)(unsigned long *secs,
    unsigned int *usecs);
XK_EXPORT void
KERN(clock_get_calendar_microtime)(unsigned long *secs, unsigned int *usecs)
{
	split_ns(clock_ns(CLOCK_REALTIME), secs, usecs, 1000);
}

XK_EXPORT void KERN(clock_get_calendar_nanotime)(unsigned long *secs,
    unsigned int *nsecs);
XK_EXPORT void
KERN(clock_get_calendar_nanotime)(unsigned long *secs, unsigned int *nsecs)
{
	split_ns(clock_ns(CLOCK_REALTIME), secs, nsecs, 1);
}

XK_EXPORT void KERN(clock_get_system_microtime)(unsigned long *secs,
    unsigned int *usecs);
XK_EXPORT void
KERN(clock_get_system_microtime)(unsigned long *secs, unsigned int *usecs)
{
	split_ns(mono_ns(), secs, usecs, 1000);
}

XK_EXPORT void KERN(clock_get_system_nanotime)(unsigned long *secs,
    unsigned int *nsecs);
XK_EXPORT void
KERN(clock_get_system_nanotime)(unsigned long *secs, unsigned int *nsecs)
{
	split_ns(mono_ns(), secs, nsecs, 1);
}

XK_EXPORT void KERN(clock_get_uptime)(uint64_t *result);
XK_EXPORT void
KERN(clock_get_uptime)(uint64_t *result)
{
	*result = mono_ns();
}

XK_EXPORT void KERN(clock_interval_to_absolutetime_interval)(uint32_t interval,
    uint32_t scale, uint64_t *result);
XK_EXPORT void
KERN(clock_interval_to_absolutetime_interval)(uint32_t interval,
    uint32_t scale, uint64_t *result)
{
	*result = (uint64_t)interval * scale;
}

XK_EXPORT void KERN(clock_interval_to_deadline)(uint32_t interval,
    uint32_t scale, uint64_t *result);
XK_EXPORT void
KERN(clock_interval_to_deadline)(uint32_t interval, uint32_t scale,
    uint64_t *result)
{
	*result = mono_ns() + (uint64_t)interval * scale;
}

XK_EXPORT void KERN(clock_absolutetime_interval_to_deadline)(uint64_t abstime,
    uint64_t *result);
XK_EXPORT void
KERN(clock_absolutetime_interval_to_deadline)(uint64_t abstime,
    uint64_t *result)
{
	*result = mono_ns() + abstime;
}

XK_EXPORT void KERN(nanoseconds_to_deadline)(uint64_t interval,
    uint64_t *result);
XK_EXPORT void
KERN(nanoseconds_to_deadline)(uint64_t interval, uint64_t *result)
{
	*result = mono_ns() + interval;
}

XK_EXPORT void KERN(absolutetime_to_nanoseconds)(uint64_t abstime,
    uint64_t *result);
XK_EXPORT void
KERN(absolutetime_to_nanoseconds)(uint64_t abstime, uint64_t *result)
{
	*result = abstime;
}

XK_EXPORT void KERN(nanoseconds_to_absolutetime)(uint64_t ns,
    uint64_t *result);
XK_EXPORT void
KERN(nanoseconds_to_absolutetime)(uint64_t ns, uint64_t *result)
{
	*result = ns;
}

static void
sleep_ns(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / NSEC_PER_SEC),
		.tv_nsec = (long)(ns % NSEC_PER_SEC),
	};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
		;
	}
}

XK_EXPORT void KERN(clock_delay_until)(uint64_t deadline);
XK_EXPORT void
KERN(clock_delay_until)(uint64_t deadline)
{
	uint64_t now = mono_ns();

	if (deadline > now) {
		sleep_ns(deadline - now);
	}
}

XK_EXPORT void KERN(delay_for_interval)(uint32_t interval, uint32_t scale);
XK_EXPORT void
KERN(delay_for_interval)(uint32_t interval, uint32_t scale)
{
	sleep_ns((uint64_t)interval * scale);
}

XK_EXPORT void KERN(IOSleep)(unsigned ms);
XK_EXPORT void
KERN(IOSleep)(unsigned ms)
{
	sleep_ns((uint64_t)ms * 1000000);
}

XK_EXPORT void KERN(IODelay)(unsigned us);
XK_EXPORT void
KERN(IODelay)(unsigned us)
{
	sleep_ns((uint64_t)us * 1000);
}

XK_EXPORT void KERN(microtime)(struct timeval *tv);
XK_EXPORT void
KERN(microtime)(struct timeval *tv)
{
	uint64_t ns = clock_ns(CLOCK_REALTIME);

	tv->tv_sec = (time_t)(ns / NSEC_PER_SEC);
	tv->tv_usec = (suseconds_t)(ns % NSEC_PER_SEC / 1000);
}

XK_EXPORT void KERN(microtime_with_abstime)(struct timeval *tv,
    uint64_t *abstime);
XK_EXPORT void
KERN(microtime_with_abstime)(struct timeval *tv, uint64_t *abstime)
{
	*abstime = mono_ns();
	KERN(microtime)(tv);
}

XK_EXPORT void KERN(microuptime)(struct timeval *tv);
XK_EXPORT void
KERN(microuptime)(struct timeval *tv)
{
	uint64_t ns = mono_ns();

	tv->tv_sec = (time_t)(ns / NSEC_PER_SEC);
	tv->tv_usec = (suseconds_t)(ns % NSEC_PER_SEC / 1000);
}

XK_EXPORT void KERN(nanotime)(struct timespec *ts);
XK_EXPORT void
KERN(nanotime)(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

XK_EXPORT void KERN(nanouptime)(struct timespec *ts);
XK_EXPORT void
KERN(nanouptime)(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

XK_EXPORT void KERN(timevalfix)(struct timeval *t1);
XK_EXPORT void
KERN(timevalfix)(struct timeval *t1)
{
	while (t1->tv_usec < 0) {
		t1->tv_sec--;
		t1->tv_usec += 1000000;
	}
	while (t1->tv_usec >= 1000000) {
		t1->tv_sec++;
		t1->tv_usec -= 1000000;
	}
}

XK_EXPORT void KERN(timevaladd)(struct timeval *t1, struct timeval *t2);
XK_EXPORT void
KERN(timevaladd)(struct timeval *t1, struct timeval *t2)
{
	t1->tv_sec += t2->tv_sec;
	t1->tv_usec += t2->tv_usec;
	KERN(timevalfix)(t1);
}

XK_EXPORT void KERN(timevalsub)(struct timeval *t1, struct timeval *t2);
XK_EXPORT void
KERN(timevalsub)(struct timeval *t1, struct timeval *t2)
{
	t1->tv_sec -= t2->tv_sec;
	t1->tv_usec -= t2->tv_usec;
	KERN(timevalfix)(t1);
}

XK_EXPORT int KERN(hz);
XK_EXPORT int KERN(hz) = HZ;

/* Logging and panic */

XK_EXPORT void KERN(IOLogv)(const char *fmt, va_list ap)
    XK_PRINTFLIKE(1, 0);
XK_EXPORT void
KERN(IOLogv)(const char *fmt, va_list ap)
{
	char buf[1024];
	int n;

	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0) {
		return;
	}
	/* One write, so lines of several threads do not mix. */
	flockfile(stderr);
	fputs(buf, stderr);
	if (n == 0 || (size_t)n >= sizeof(buf) || buf[n - 1] != '\n') {
		fputc('\n', stderr);
	}
	funlockfile(stderr);
}

XK_EXPORT void KERN(IOLog)(const char *fmt, ...) XK_PRINTFLIKE(1, 2);
XK_EXPORT void
KERN(IOLog)(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	KERN(IOLogv)(fmt, ap);
	va_end(ap);
}

XK_EXPORT void KERN(panic)(const char *fmt, ...) XK_PRINTFLIKE(1, 2)
    __attribute__((__noreturn__));
XK_EXPORT void
KERN(panic)(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	xk_panic("%s", msg);
	/* A kext's panic never returns, whatever the hook did. */
	abort();
}

XK_EXPORT int KERN(proc_selfpid)(void);
XK_EXPORT int
KERN(proc_selfpid)(void)
{
	return (int)getpid();
}

/* Allocation: a header in front of each block says who made it. */

enum kmem_kind {
	KM_MALLOC = 0x4d4c4c43,		/* _MALLOC */
	KM_ZONE = 0x5a4f4e45,		/* _MALLOC_ZONE */
	KM_OSMALLOC = 0x4f534d41,	/* OSMalloc */
	KM_IOMALLOC = 0x494f4d41,	/* IOMalloc */
	KM_IOALIGNED = 0x494f414c,	/* IOMallocAligned */
	KM_KALLOC = 0x4b414c4c,		/* kalloc_data */
	KM_FREED = 0x46524545
};

struct kmem_hdr {
	uint32_t	 kh_kind;	/* enum kmem_kind */
	uint32_t	 kh_pad;
	size_t		 kh_size;	/* what the caller asked for */
	void		*kh_base;	/* what malloc returned */
	void		*kh_tag;	/* OSMalloc's tag */
};

_Static_assert(sizeof(struct kmem_hdr) % 16 == 0, "keeps 16-byte alignment");

static const char *
kmem_name(uint32_t kind)
{
	switch (kind) {
	case KM_MALLOC:
		return "_MALLOC";
	case KM_ZONE:
		return "_MALLOC_ZONE";
	case KM_OSMALLOC:
		return "OSMalloc";
	case KM_IOMALLOC:
		return "IOMalloc";
	case KM_IOALIGNED:
		return "IOMallocAligned";
	case KM_KALLOC:
		return "kalloc_data";
	default:
		return "nothing of the kext allocators";
	}
}

static void *
kmem_alloc(size_t size, size_t align, bool zero, enum kmem_kind kind,
    void *tag)
{
	struct kmem_hdr *h;
	size_t extra = align > sizeof(*h) ? align : sizeof(*h);
	uintptr_t p;
	void *base;

	if (size == 0 || size > SIZE_MAX - extra - align) {
		return NULL;
	}
	if ((base = zero ? calloc(1, size + extra + align) :
	    malloc(size + extra + align)) == NULL) {
		return NULL;
	}
	p = (uintptr_t)base + sizeof(*h);
	if (align > 1) {
		p = (p + align - 1) & ~(uintptr_t)(align - 1);
	}
	h = (struct kmem_hdr *)(p - sizeof(*h));
	h->kh_kind = kind;
	h->kh_size = size;
	h->kh_base = base;
	h->kh_tag = tag;
	return (void *)p;
}

/*
 * The header of @p when one of @kind made it and @size (unless
 * SIZE_MAX) matches; else the panic hook, and NULL.
 */
static struct kmem_hdr *
kmem_check(void *p, size_t size, enum kmem_kind kind, const char *fn)
{
	struct kmem_hdr *h = (struct kmem_hdr *)p - 1;

	if (h->kh_kind != (uint32_t)kind) {
		xk_panic("%s: %p was allocated by %s", fn, p,
		    kmem_name(h->kh_kind));
		return NULL;
	}
	if (size != SIZE_MAX && size != h->kh_size) {
		xk_panic("%s: %p has %zu bytes, freed as %zu", fn, p,
		    h->kh_size, size);
		return NULL;
	}
	return h;
}

static void
kmem_release(struct kmem_hdr *h)
{
	h->kh_kind = KM_FREED;
	free(h->kh_base);
}

static void *
kmem_realloc(void *p, size_t size, bool zero, enum kmem_kind kind,
    const char *fn, size_t oldsize)
{
	struct kmem_hdr *h;
	void *n;

	if (p == NULL) {
		return kmem_alloc(size, 0, zero, kind, NULL);
	}
	if ((h = kmem_check(p, oldsize, kind, fn)) == NULL) {
		return NULL;
	}
	if (size == 0) {
		kmem_release(h);
		return NULL;
	}
	if ((n = kmem_alloc(size, 0, zero, kind, NULL)) == NULL) {
		return NULL;
	}
	memcpy(n, p, h->kh_size < size ? h->kh_size : size);
	kmem_release(h);
	return n;
}

XK_EXPORT void *KERN(_MALLOC)(size_t size, int type, int flags);
XK_EXPORT void *
KERN(_MALLOC)(size_t size, int type, int flags)
{
	(void)type;
	return kmem_alloc(size, 0, (flags & M_ZERO) != 0, KM_MALLOC, NULL);
}

XK_EXPORT void KERN(_FREE)(void *addr, int type);
XK_EXPORT void
KERN(_FREE)(void *addr, int type)
{
	struct kmem_hdr *h;

	(void)type;
	if (addr != NULL &&
	    (h = kmem_check(addr, SIZE_MAX, KM_MALLOC, "_FREE")) != NULL) {
		kmem_release(h);
	}
}

XK_EXPORT void *KERN(_REALLOC)(void *addr, size_t size, int type, int flags);
XK_EXPORT void *
KERN(_REALLOC)(void *addr, size_t size, int type, int flags)
{
	(void)type;
	return kmem_realloc(addr, size, (flags & M_ZERO) != 0, KM_MALLOC,
	    "_REALLOC", SIZE_MAX);
}

XK_EXPORT void *KERN(_MALLOC_ZONE)(size_t size, int type, int flags);
XK_EXPORT void *
KERN(_MALLOC_ZONE)(size_t size, int type, int flags)
{
	(void)type;
	return kmem_alloc(size, 0, (flags & M_ZERO) != 0, KM_ZONE, NULL);
}

XK_EXPORT void KERN(_FREE_ZONE)(void *elem, size_t size, int type);
XK_EXPORT void
KERN(_FREE_ZONE)(void *elem, size_t size, int type)
{
	struct kmem_hdr *h;

	(void)type;
	if (elem != NULL &&
	    (h = kmem_check(elem, size, KM_ZONE, "_FREE_ZONE")) != NULL) {
		kmem_release(h);
	}
}

XK_EXPORT void *KERN(kalloc_data)(size_t size, int flags);
XK_EXPORT void *
KERN(kalloc_data)(size_t size, int flags)
{
	void *p = kmem_alloc(size, 0, (flags & Z_ZERO) != 0, KM_KALLOC, NULL);

	if (p == NULL && (flags & Z_NOFAIL) && size != 0) {
		xk_panic("kalloc_data: Z_NOFAIL allocation of %zu bytes "
		    "failed", size);
	}
	return p;
}

XK_EXPORT void *KERN(krealloc_data)(void *addr, size_t old_size,
    size_t new_size, int flags);
XK_EXPORT void *
KERN(krealloc_data)(void *addr, size_t old_size, size_t new_size, int flags)
{
	return kmem_realloc(addr, new_size, (flags & Z_ZERO) != 0, KM_KALLOC,
	    "krealloc_data", addr == NULL ? SIZE_MAX : old_size);
}

XK_EXPORT void KERN(kfree_data)(void *addr, size_t size);
XK_EXPORT void
KERN(kfree_data)(void *addr, size_t size)
{
	struct kmem_hdr *h;

	if (addr != NULL &&
	    (h = kmem_check(addr, size, KM_KALLOC, "kfree_data")) != NULL) {
		kmem_release(h);
	}
}

XK_EXPORT void *KERN(IOMalloc)(uintptr_t size);
XK_EXPORT void *
KERN(IOMalloc)(uintptr_t size)
{
	return kmem_alloc(size, 0, false, KM_IOMALLOC, NULL);
}

XK_EXPORT void *KERN(IOMallocZero)(uintptr_t size);
XK_EXPORT void *
KERN(IOMallocZero)(uintptr_t size)
{
	return kmem_alloc(size, 0, true, KM_IOMALLOC, NULL);
}

XK_EXPORT void KERN(IOFree)(void *address, uintptr_t size);
XK_EXPORT void
KERN(IOFree)(void *address, uintptr_t size)
{
	struct kmem_hdr *h;

	if (address != NULL &&
	    (h = kmem_check(address, size, KM_IOMALLOC, "IOFree")) != NULL) {
		kmem_release(h);
	}
}

XK_EXPORT void *KERN(IOMallocAligned)(uintptr_t size, uintptr_t alignment);
XK_EXPORT void *
KERN(IOMallocAligned)(uintptr_t size, uintptr_t alignment)
{
	size_t align = sizeof(void *);

	while (align < alignment && align < ((size_t)1 << 30)) {
		align <<= 1;
	}
	return kmem_alloc(size, align, false, KM_IOALIGNED, NULL);
}

XK_EXPORT void KERN(IOFreeAligned)(void *address, uintptr_t size);
XK_EXPORT void
KERN(IOFreeAligned)(void *address, uintptr_t size)
{
	struct kmem_hdr *h;

	if (address != NULL && (h = kmem_check(address, size, KM_IOALIGNED,
	    "IOFreeAligned")) != NULL) {
		kmem_release(h);
	}
}

/* OSMalloc: each allocation holds a reference on its tag. */

struct __OSMallocTag__ {
	atomic_int	 ot_refs;
	atomic_bool	 ot_freed;
	uint32_t	 ot_flags;
	char		 ot_name[64];
};

static void
tag_rele(struct __OSMallocTag__ *tag)
{
	if (atomic_fetch_sub(&tag->ot_refs, 1) == 1) {
		free(tag);
	}
}

XK_EXPORT struct __OSMallocTag__ *KERN(OSMalloc_Tagalloc)(const char *name,
    uint32_t flags);
XK_EXPORT struct __OSMallocTag__ *
KERN(OSMalloc_Tagalloc)(const char *name, uint32_t flags)
{
	struct __OSMallocTag__ *tag;

	if ((tag = calloc(1, sizeof(*tag))) == NULL) {
		return NULL;
	}
	atomic_init(&tag->ot_refs, 1);
	atomic_init(&tag->ot_freed, false);
	tag->ot_flags = flags;
	if (name != NULL) {
		snprintf(tag->ot_name, sizeof(tag->ot_name), "%s", name);
	}
	return tag;
}

XK_EXPORT void KERN(OSMalloc_Tagfree)(struct __OSMallocTag__ *tag);
XK_EXPORT void
KERN(OSMalloc_Tagfree)(struct __OSMallocTag__ *tag)
{
	if (tag == NULL) {
		return;
	}
	if (atomic_exchange(&tag->ot_freed, true)) {
		xk_panic("OSMalloc_Tagfree: tag %p freed twice", (void *)tag);
		return;
	}
	tag_rele(tag);
}

XK_EXPORT void *KERN(OSMalloc)(uint32_t size, struct __OSMallocTag__ *tag);
XK_EXPORT void *
KERN(OSMalloc)(uint32_t size, struct __OSMallocTag__ *tag)
{
	void *p;

	if (tag == NULL) {
		return NULL;
	}
	if (atomic_load(&tag->ot_freed)) {
		xk_panic("OSMalloc: tag %s was freed", tag->ot_name);
		return NULL;
	}
	if ((p = kmem_alloc(size, 0, false, KM_OSMALLOC, tag)) != NULL) {
		atomic_fetch_add(&tag->ot_refs, 1);
	}
	return p;
}

XK_EXPORT void *KERN(OSMalloc_nowait)(uint32_t size,
    struct __OSMallocTag__ *tag);
XK_EXPORT void *
KERN(OSMalloc_nowait)(uint32_t size, struct __OSMallocTag__ *tag)
{
	return KERN(OSMalloc)(size, tag);
}

XK_EXPORT void *KERN(OSMalloc_noblock)(uint32_t size,
    struct __OSMallocTag__ *tag);
XK_EXPORT void *
KERN(OSMalloc_noblock)(uint32_t size, struct __OSMallocTag__ *tag)
{
	return KERN(OSMalloc)(size, tag);
}

XK_EXPORT void KERN(OSFree)(void *addr, uint32_t size,
    struct __OSMallocTag__ *tag);
XK_EXPORT void
KERN(OSFree)(void *addr, uint32_t size, struct __OSMallocTag__ *tag)
{
	struct kmem_hdr *h;

	if (addr == NULL ||
	    (h = kmem_check(addr, size, KM_OSMALLOC, "OSFree")) == NULL) {
		return;
	}
	if (h->kh_tag != tag) {
		xk_panic("OSFree: %p was allocated under another tag", addr);
		return;
	}
	kmem_release(h);
	tag_rele(tag);
}

/*
 * Wait channels.  A sleeper queues itself under sleep_mtx before it lets
 * its own lock go, so a wakeup made after that cannot be missed.
 */

struct sleeper {
	TAILQ_ENTRY(sleeper) s_link;
	const void	*s_chan;
	bool		 s_woken;
	pthread_cond_t	 s_cv;
};

#define SLEEP_BUCKETS	64

static pthread_mutex_t sleep_mtx = PTHREAD_MUTEX_INITIALIZER;
static TAILQ_HEAD(, sleeper) sleep_q[SLEEP_BUCKETS] = {
#define Q(i)	[i] = TAILQ_HEAD_INITIALIZER(sleep_q[i])
	Q(0), Q(1), Q(2), Q(3), Q(4), Q(5), Q(6), Q(7), Q(8), Q(9), Q(10),
	Q(11), Q(12), Q(13), Q(14), Q(15), Q(16), Q(17), Q(18), Q(19), Q(20),
	Q(21), Q(22), Q(23), Q(24), Q(25), Q(26), Q(27), Q(28), Q(29), Q(30),
	Q(31), Q(32), Q(33), Q(34), Q(35), Q(36), Q(37), Q(38), Q(39), Q(40),
	Q(41), Q(42), Q(43), Q(44), Q(45), Q(46), Q(47), Q(48), Q(49), Q(50),
	Q(51), Q(52), Q(53), Q(54), Q(55), Q(56), Q(57), Q(58), Q(59), Q(60),
	Q(61), Q(62), Q(63)
#undef Q
};

static unsigned int
chan_bucket(const void *chan)
{
	uintptr_t v = (uintptr_t)chan;

	return (unsigned int)((v >> 4) ^ (v >> 12)) % SLEEP_BUCKETS;
}

/*
 * Queues the caller on @chan; sleep_mtx must be held.  The caller then
 * releases its own lock and calls sleep_wait().
 */
static void
sleep_enqueue(struct sleeper *s, const void *chan)
{
	pthread_condattr_t ca;

	s->s_chan = chan;
	s->s_woken = false;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->s_cv, &ca);
	pthread_condattr_destroy(&ca);
	TAILQ_INSERT_TAIL(&sleep_q[chan_bucket(chan)], s, s_link);
}

/*
 * Waits until woken or @deadline (monotonic ns, 0: none), then leaves
 * the queue and releases sleep_mtx.  Returns whether it was woken.
 */
static bool
sleep_wait(struct sleeper *s, uint64_t deadline)
{
	struct timespec ts;
	bool woken;

	ts.tv_sec = (time_t)(deadline / NSEC_PER_SEC);
	ts.tv_nsec = (long)(deadline % NSEC_PER_SEC);
	while (!s->s_woken) {
		if (deadline == 0) {
			pthread_cond_wait(&s->s_cv, &sleep_mtx);
		} else if (pthread_cond_timedwait(&s->s_cv, &sleep_mtx,
		    &ts) == ETIMEDOUT) {
			break;
		}
	}
	woken = s->s_woken;
	TAILQ_REMOVE(&sleep_q[chan_bucket(s->s_chan)], s, s_link);
	pthread_mutex_unlock(&sleep_mtx);
	pthread_cond_destroy(&s->s_cv);
	return woken;
}

/* Wakes the sleepers on @chan, all or the oldest; how many woke. */
static int
chan_wakeup(const void *chan, bool one)
{
	struct sleeper *s;
	int n = 0;

	pthread_mutex_lock(&sleep_mtx);
	TAILQ_FOREACH(s, &sleep_q[chan_bucket(chan)], s_link) {
		if (s->s_chan != chan || s->s_woken) {
			continue;
		}
		s->s_woken = true;
		pthread_cond_signal(&s->s_cv);
		n++;
		if (one) {
			break;
		}
	}
	pthread_mutex_unlock(&sleep_mtx);
	return n;
}

XK_EXPORT void KERN(wakeup)(void *chan);
XK_EXPORT void
KERN(wakeup)(void *chan)
{
	chan_wakeup(chan, false);
}

XK_EXPORT void KERN(wakeup_one)(char *chan);
XK_EXPORT void
KERN(wakeup_one)(char *chan)
{
	chan_wakeup(chan, true);
}

XK_EXPORT kern_return_t KERN(thread_wakeup)(void *event);
XK_EXPORT kern_return_t
KERN(thread_wakeup)(void *event)
{
	return chan_wakeup(event, false) > 0 ? KERN_SUCCESS : KERN_NOT_WAITING;
}

XK_EXPORT kern_return_t KERN(thread_wakeup_one)(void *event);
XK_EXPORT kern_return_t
KERN(thread_wakeup_one)(void *event)
{
	return chan_wakeup(event, true) > 0 ? KERN_SUCCESS : KERN_NOT_WAITING;
}

/* Groups and attributes: accepted, nothing kept. */

struct __lck_grp__ {
	char	lg_name[64];
};

struct __lck_grp_attr__ {
	int	lga_flags;
};

struct __lck_attr__ {
	int	la_flags;
};

XK_EXPORT struct __lck_grp_attr__ *KERN(lck_grp_attr_alloc_init)(void);
XK_EXPORT struct __lck_grp_attr__ *
KERN(lck_grp_attr_alloc_init)(void)
{
	return calloc(1, sizeof(struct __lck_grp_attr__));
}

XK_EXPORT void KERN(lck_grp_attr_setdefault)(struct __lck_grp_attr__ *attr);
XK_EXPORT void
KERN(lck_grp_attr_setdefault)(struct __lck_grp_attr__ *attr)
{
	if (attr != NULL) {
		attr->lga_flags = 0;
	}
}

XK_EXPORT void KERN(lck_grp_attr_setstat)(struct __lck_grp_attr__ *attr);
XK_EXPORT void
KERN(lck_grp_attr_setstat)(struct __lck_grp_attr__ *attr)
{
	if (attr != NULL) {
		attr->lga_flags |= 1;
	}
}

XK_EXPORT void KERN(lck_grp_attr_free)(struct __lck_grp_attr__ *attr);
XK_EXPORT void
KERN(lck_grp_attr_free)(struct __lck_grp_attr__ *attr)
{
	free(attr);
}

XK_EXPORT struct __lck_grp__ *KERN(lck_grp_alloc_init)(const char *name,
    struct __lck_grp_attr__ *attr);
XK_EXPORT struct __lck_grp__ *
KERN(lck_grp_alloc_init)(const char *name, struct __lck_grp_attr__ *attr)
{
	struct __lck_grp__ *grp;

	(void)attr;
	if ((grp = calloc(1, sizeof(*grp))) != NULL && name != NULL) {
		snprintf(grp->lg_name, sizeof(grp->lg_name), "%s", name);
	}
	return grp;
}

XK_EXPORT void KERN(lck_grp_free)(struct __lck_grp__ *grp);
XK_EXPORT void
KERN(lck_grp_free)(struct __lck_grp__ *grp)
{
	free(grp);
}

XK_EXPORT struct __lck_attr__ *KERN(lck_attr_alloc_init)(void);
XK_EXPORT struct __lck_attr__ *
KERN(lck_attr_alloc_init)(void)
{
	return calloc(1, sizeof(struct __lck_attr__));
}

XK_EXPORT void KERN(lck_attr_setdefault)(struct __lck_attr__ *attr);
XK_EXPORT void
KERN(lck_attr_setdefault)(struct __lck_attr__ *attr)
{
	if (attr != NULL) {
		attr->la_flags = 0;
	}
}

XK_EXPORT void KERN(lck_attr_setdebug)(struct __lck_attr__ *attr);
XK_EXPORT void
KERN(lck_attr_setdebug)(struct __lck_attr__ *attr)
{
	if (attr != NULL) {
		attr->la_flags |= 1;
	}
}

XK_EXPORT void KERN(lck_attr_cleardebug)(struct __lck_attr__ *attr);
XK_EXPORT void
KERN(lck_attr_cleardebug)(struct __lck_attr__ *attr)
{
	if (attr != NULL) {
		attr->la_flags &= ~1;
	}
}

XK_EXPORT void KERN(lck_attr_free)(struct __lck_attr__ *attr);
XK_EXPORT void
KERN(lck_attr_free)(struct __lck_attr__ *attr)
{
	free(attr);
}

/* Mutexes and spin locks: a pthread mutex and its owner. */

struct __lck_mtx_t__ {
	pthread_mutex_t		 lm_mtx;
	_Atomic(pthread_t)	 lm_owner;	/* 0: free */
	const char		*lm_kind;	/* "lck_mtx" or "lck_spin" */
};

static struct __lck_mtx_t__ *
mtx_new(const char *kind)
{
	struct __lck_mtx_t__ *m;

	if ((m = calloc(1, sizeof(*m))) == NULL) {
		return NULL;
	}
	pthread_mutex_init(&m->lm_mtx, NULL);
	atomic_init(&m->lm_owner, (pthread_t)0);
	m->lm_kind = kind;
	return m;
}

static bool
mtx_owned(struct __lck_mtx_t__ *m)
{
	return pthread_equal(atomic_load_explicit(&m->lm_owner,
	    memory_order_relaxed), pthread_self());
}

static void
mtx_lock(struct __lck_mtx_t__ *m)
{
	if (mtx_owned(m)) {
		xk_panic("%s_lock: %p already held by the caller", m->lm_kind,
		    (void *)m);
		return;
	}
	pthread_mutex_lock(&m->lm_mtx);
	atomic_store_explicit(&m->lm_owner, pthread_self(),
	    memory_order_relaxed);
}

static bool
mtx_unlock(struct __lck_mtx_t__ *m)
{
	if (!mtx_owned(m)) {
		xk_panic("%s_unlock: %p not held by the caller", m->lm_kind,
		    (void *)m);
		return false;
	}
	atomic_store_explicit(&m->lm_owner, (pthread_t)0,
	    memory_order_relaxed);
	pthread_mutex_unlock(&m->lm_mtx);
	return true;
}

static bool
mtx_trylock(struct __lck_mtx_t__ *m)
{
	if (mtx_owned(m) || pthread_mutex_trylock(&m->lm_mtx) != 0) {
		return false;
	}
	atomic_store_explicit(&m->lm_owner, pthread_self(),
	    memory_order_relaxed);
	return true;
}

static void
mtx_free(struct __lck_mtx_t__ *m)
{
	if (m == NULL) {
		return;
	}
	if (atomic_load_explicit(&m->lm_owner, memory_order_relaxed) !=
	    (pthread_t)0) {
		xk_panic("%s_free: %p is held", m->lm_kind, (void *)m);
		return;
	}
	pthread_mutex_destroy(&m->lm_mtx);
	free(m);
}

/* Sleeps on @event with @m released; @action says whether to retake it. */
static wait_result_t
mtx_sleep(struct __lck_mtx_t__ *m, unsigned int action, const void *event,
    uint64_t deadline, const char *fn)
{
	struct sleeper s;
	bool woken;

	if (!mtx_owned(m)) {
		xk_panic("%s: %p not held by the caller", fn, (void *)m);
		return THREAD_AWAKENED;
	}
	pthread_mutex_lock(&sleep_mtx);
	sleep_enqueue(&s, event);
	mtx_unlock(m);
	woken = sleep_wait(&s, deadline);
	if (!(action & LCK_SLEEP_UNLOCK)) {
		mtx_lock(m);
	}
	return woken ? THREAD_AWAKENED : THREAD_TIMED_OUT;
}

XK_EXPORT struct __lck_mtx_t__ *KERN(lck_mtx_alloc_init)(
    struct __lck_grp__ *grp, struct __lck_attr__ *attr);
XK_EXPORT struct __lck_mtx_t__ *
KERN(lck_mtx_alloc_init)(struct __lck_grp__ *grp, struct __lck_attr__ *attr)
{
	(void)grp;
	(void)attr;
	return mtx_new("lck_mtx");
}

XK_EXPORT void KERN(lck_mtx_free)(struct __lck_mtx_t__ *m,
    struct __lck_grp__ *grp);
XK_EXPORT void
KERN(lck_mtx_free)(struct __lck_mtx_t__ *m, struct __lck_grp__ *grp)
{
	(void)grp;
	mtx_free(m);
}

XK_EXPORT void KERN(lck_mtx_lock)(struct __lck_mtx_t__ *m);
XK_EXPORT void
KERN(lck_mtx_lock)(struct __lck_mtx_t__ *m)
{
	mtx_lock(m);
}

XK_EXPORT void KERN(lck_mtx_lock_spin)(struct __lck_mtx_t__ *m);
XK_EXPORT void
KERN(lck_mtx_lock_spin)(struct __lck_mtx_t__ *m)
{
	mtx_lock(m);
}

XK_EXPORT void KERN(lck_mtx_convert_spin)(struct __lck_mtx_t__ *m);
XK_EXPORT void
KERN(lck_mtx_convert_spin)(struct __lck_mtx_t__ *m)
{
	if (!mtx_owned(m)) {
		xk_panic("lck_mtx_convert_spin: %p not held by the caller",
		    (void *)m);
	}
}

XK_EXPORT boolean_t KERN(lck_mtx_try_lock)(struct __lck_mtx_t__ *m);
XK_EXPORT boolean_t
KERN(lck_mtx_try_lock)(struct __lck_mtx_t__ *m)
{
	return mtx_trylock(m) ? K_TRUE : K_FALSE;
}

XK_EXPORT void KERN(lck_mtx_unlock)(struct __lck_mtx_t__ *m);
XK_EXPORT void
KERN(lck_mtx_unlock)(struct __lck_mtx_t__ *m)
{
	mtx_unlock(m);
}

XK_EXPORT void KERN(lck_mtx_assert)(struct __lck_mtx_t__ *m,
    unsigned int type);
XK_EXPORT void
KERN(lck_mtx_assert)(struct __lck_mtx_t__ *m, unsigned int type)
{
	bool owned = mtx_owned(m);

	if (type == LCK_MTX_ASSERT_OWNED && !owned) {
		xk_panic("lck_mtx_assert: %p not owned by the caller",
		    (void *)m);
	} else if (type == LCK_MTX_ASSERT_NOTOWNED && owned) {
		xk_panic("lck_mtx_assert: %p owned by the caller", (void *)m);
	} else if (type != LCK_MTX_ASSERT_OWNED &&
	    type != LCK_MTX_ASSERT_NOTOWNED) {
		xk_panic("lck_mtx_assert: bad type %u", type);
	}
}

XK_EXPORT wait_result_t KERN(lck_mtx_sleep)(struct __lck_mtx_t__ *m,
    unsigned int action, void *event, int interruptible);
XK_EXPORT wait_result_t
KERN(lck_mtx_sleep)(struct __lck_mtx_t__ *m, unsigned int action, void *event,
    int interruptible)
{
	(void)interruptible;
	return mtx_sleep(m, action, event, 0, "lck_mtx_sleep");
}

XK_EXPORT wait_result_t KERN(lck_mtx_sleep_deadline)(struct __lck_mtx_t__ *m,
    unsigned int action, void *event, int interruptible, uint64_t deadline);
XK_EXPORT wait_result_t
KERN(lck_mtx_sleep_deadline)(struct __lck_mtx_t__ *m, unsigned int action,
    void *event, int interruptible, uint64_t deadline)
{
	(void)interruptible;
	return mtx_sleep(m, action, event, deadline, "lck_mtx_sleep_deadline");
}

XK_EXPORT struct __lck_mtx_t__ *KERN(lck_spin_alloc_init)(
    struct __lck_grp__ *grp, struct __lck_attr__ *attr);
XK_EXPORT struct __lck_mtx_t__ *
KERN(lck_spin_alloc_init)(struct __lck_grp__ *grp, struct __lck_attr__ *attr)
{
	(void)grp;
	(void)attr;
	return mtx_new("lck_spin");
}

XK_EXPORT void KERN(lck_spin_free)(struct __lck_mtx_t__ *m,
    struct __lck_grp__ *grp);
XK_EXPORT void
KERN(lck_spin_free)(struct __lck_mtx_t__ *m, struct __lck_grp__ *grp)
{
	(void)grp;
	mtx_free(m);
}

XK_EXPORT void KERN(lck_spin_lock)(struct __lck_mtx_t__ *m);
XK_EXPORT void
KERN(lck_spin_lock)(struct __lck_mtx_t__ *m)
{
	mtx_lock(m);
}

XK_EXPORT boolean_t KERN(lck_spin_try_lock)(struct __lck_mtx_t__ *m);
XK_EXPORT boolean_t
KERN(lck_spin_try_lock)(struct __lck_mtx_t__ *m)
{
	return mtx_trylock(m) ? K_TRUE : K_FALSE;
}

XK_EXPORT void KERN(lck_spin_unlock)(struct __lck_mtx_t__ *m);
XK_EXPORT void
KERN(lck_spin_unlock)(struct __lck_mtx_t__ *m)
{
	mtx_unlock(m);
}

XK_EXPORT wait_result_t KERN(lck_spin_sleep)(struct __lck_mtx_t__ *m,
    unsigned int action, void *event, int interruptible);
XK_EXPORT wait_result_t
KERN(lck_spin_sleep)(struct __lck_mtx_t__ *m, unsigned int action,
    void *event, int interruptible)
{
	(void)interruptible;
	return mtx_sleep(m, action, event, 0, "lck_spin_sleep");
}

XK_EXPORT wait_result_t KERN(lck_spin_sleep_deadline)(
    struct __lck_mtx_t__ *m, unsigned int action, void *event,
    int interruptible, uint64_t deadline);
XK_EXPORT wait_result_t
KERN(lck_spin_sleep_deadline)(struct __lck_mtx_t__ *m, unsigned int action,
    void *event, int interruptible, uint64_t deadline)
{
	(void)interruptible;
	return mtx_sleep(m, action, event, deadline,
	    "lck_spin_sleep_deadline");
}

/* msleep's timeout, relative, as a monotonic deadline (0: none). */
static uint64_t
ts_deadline(const struct timespec *ts)
{
	if (ts == NULL || (ts->tv_sec == 0 && ts->tv_nsec == 0)) {
		return 0;
	}
	return mono_ns() + (uint64_t)ts->tv_sec * NSEC_PER_SEC +
	    (uint64_t)ts->tv_nsec;
}

XK_EXPORT int KERN(msleep)(void *chan, struct __lck_mtx_t__ *mtx, int pri,
    const char *wmesg, struct timespec *ts);
XK_EXPORT int
KERN(msleep)(void *chan, struct __lck_mtx_t__ *mtx, int pri,
    const char *wmesg, struct timespec *ts)
{
	uint64_t deadline = ts_deadline(ts);
	struct sleeper s;
	bool woken;

	(void)wmesg;
	if (mtx == NULL) {
		pthread_mutex_lock(&sleep_mtx);
		sleep_enqueue(&s, chan);
		woken = sleep_wait(&s, deadline);
		return woken ? 0 : EWOULDBLOCK;
	}
	woken = mtx_sleep(mtx, (pri & PDROP) ? LCK_SLEEP_UNLOCK : 0, chan,
	    deadline, "msleep") == THREAD_AWAKENED;
	return woken ? 0 : EWOULDBLOCK;
}

XK_EXPORT int KERN(tsleep)(void *chan, int pri, const char *wmesg, int timo);
XK_EXPORT int
KERN(tsleep)(void *chan, int pri, const char *wmesg, int timo)
{
	struct timespec ts = { 0, 0 };

	if (timo > 0) {
		ts.tv_sec = timo / HZ;
		ts.tv_nsec = (long)(timo % HZ) * (long)(NSEC_PER_SEC / HZ);
	}
	return KERN(msleep)(chan, NULL, pri, wmesg, &ts);
}

/*
 * Read-write locks, XNU's way: writers come first (a reader waits while
 * a writer waits), and one upgrade at a time; a second upgrader loses its
 * shared hold.
 */

struct __lck_rw_t__ {
	pthread_mutex_t	 lr_mtx;
	pthread_cond_t	 lr_cv;
	int		 lr_readers;
	int		 lr_wwait;		/* writers waiting */
	bool		 lr_writer;
	bool		 lr_upgrading;
	pthread_t	 lr_wowner;
};

XK_EXPORT struct __lck_rw_t__ *KERN(lck_rw_alloc_init)(
    struct __lck_grp__ *grp, struct __lck_attr__ *attr);
XK_EXPORT struct __lck_rw_t__ *
KERN(lck_rw_alloc_init)(struct __lck_grp__ *grp, struct __lck_attr__ *attr)
{
	struct __lck_rw_t__ *l;

	(void)grp;
	(void)attr;
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		return NULL;
	}
	pthread_mutex_init(&l->lr_mtx, NULL);
	pthread_cond_init(&l->lr_cv, NULL);
	return l;
}

static bool
rw_excl_mine(const struct __lck_rw_t__ *l)
{
	return l->lr_writer && pthread_equal(l->lr_wowner, pthread_self());
}

XK_EXPORT void KERN(lck_rw_free)(struct __lck_rw_t__ *l,
    struct __lck_grp__ *grp);
XK_EXPORT void
KERN(lck_rw_free)(struct __lck_rw_t__ *l, struct __lck_grp__ *grp)
{
	bool busy;

	(void)grp;
	if (l == NULL) {
		return;
	}
	pthread_mutex_lock(&l->lr_mtx);
	busy = l->lr_writer || l->lr_readers > 0 || l->lr_wwait > 0;
	pthread_mutex_unlock(&l->lr_mtx);
	if (busy) {
		xk_panic("lck_rw_free: %p is held", (void *)l);
		return;
	}
	pthread_cond_destroy(&l->lr_cv);
	pthread_mutex_destroy(&l->lr_mtx);
	free(l);
}

XK_EXPORT void KERN(lck_rw_lock_shared)(struct __lck_rw_t__ *l);
XK_EXPORT void
KERN(lck_rw_lock_shared)(struct __lck_rw_t__ *l)
{
	pthread_mutex_lock(&l->lr_mtx);
	if (rw_excl_mine(l)) {
		pthread_mutex_unlock(&l->lr_mtx);
		xk_panic("lck_rw_lock_shared: %p held exclusive by the caller",
		    (void *)l);
		return;
	}
	while (l->lr_writer || l->lr_wwait > 0 || l->lr_upgrading) {
		pthread_cond_wait(&l->lr_cv, &l->lr_mtx);
	}
	l->lr_readers++;
	pthread_mutex_unlock(&l->lr_mtx);
}

XK_EXPORT void KERN(lck_rw_lock_exclusive)(struct __lck_rw_t__ *l);
XK_EXPORT void
KERN(lck_rw_lock_exclusive)(struct __lck_rw_t__ *l)
{
	pthread_mutex_lock(&l->lr_mtx);
	if (rw_excl_mine(l)) {
		pthread_mutex_unlock(&l->lr_mtx);
		xk_panic("lck_rw_lock_exclusive: %p already held by the "
		    "caller", (void *)l);
		return;
	}
	l->lr_wwait++;
	while (l->lr_writer || l->lr_readers > 0 || l->lr_upgrading) {
		pthread_cond_wait(&l->lr_cv, &l->lr_mtx);
	}
	l->lr_wwait--;
	l->lr_writer = true;
	l->lr_wowner = pthread_self();
	pthread_mutex_unlock(&l->lr_mtx);
}

XK_EXPORT void KERN(lck_rw_unlock_shared)(struct __lck_rw_t__ *l);
XK_EXPORT void
KERN(lck_rw_unlock_shared)(struct __lck_rw_t__ *l)
{
	pthread_mutex_lock(&l->lr_mtx);
	if (l->lr_readers == 0) {
		pthread_mutex_unlock(&l->lr_mtx);
		xk_panic("lck_rw_unlock_shared: %p not held shared",
		    (void *)l);
		return;
	}
	if (--l->lr_readers == 0) {
		pthread_cond_broadcast(&l->lr_cv);
	}
	pthread_mutex_unlock(&l->lr_mtx);
}

XK_EXPORT void KERN(lck_rw_unlock_exclusive)(struct __lck_rw_t__ *l);
XK_EXPORT void
KERN(lck_rw_unlock_exclusive)(struct __lck_rw_t__ *l)
{
	pthread_mutex_lock(&l->lr_mtx);
	if (!rw_excl_mine(l)) {
		pthread_mutex_unlock(&l->lr_mtx);
		xk_panic("lck_rw_unlock_exclusive: %p not held exclusive by "
		    "the caller", (void *)l);
		return;
	}
	l->lr_writer = false;
	pthread_cond_broadcast(&l->lr_cv);
	pthread_mutex_unlock(&l->lr_mtx);
}

XK_EXPORT void KERN(lck_rw_lock)(struct __lck_rw_t__ *l, unsigned int type);
XK_EXPORT void
KERN(lck_rw_lock)(struct __lck_rw_t__ *l, unsigned int type)
{
	if (type == LCK_RW_TYPE_SHARED) {
		KERN(lck_rw_lock_shared)(l);
	} else if (type == LCK_RW_TYPE_EXCLUSIVE) {
		KERN(lck_rw_lock_exclusive)(l);
	} else {
		xk_panic("lck_rw_lock: bad type %u", type);
	}
}

XK_EXPORT void KERN(lck_rw_unlock)(struct __lck_rw_t__ *l, unsigned int type);
XK_EXPORT void
KERN(lck_rw_unlock)(struct __lck_rw_t__ *l, unsigned int type)
{
	if (type == LCK_RW_TYPE_SHARED) {
		KERN(lck_rw_unlock_shared)(l);
	} else if (type == LCK_RW_TYPE_EXCLUSIVE) {
		KERN(lck_rw_unlock_exclusive)(l);
	} else {
		xk_panic("lck_rw_unlock: bad type %u", type);
	}
}

XK_EXPORT unsigned int KERN(lck_rw_done)(struct __lck_rw_t__ *l);
XK_EXPORT unsigned int
KERN(lck_rw_done)(struct __lck_rw_t__ *l)
{
	bool excl;

	pthread_mutex_lock(&l->lr_mtx);
	excl = rw_excl_mine(l);
	pthread_mutex_unlock(&l->lr_mtx);
	if (excl) {
		KERN(lck_rw_unlock_exclusive)(l);
		return LCK_RW_TYPE_EXCLUSIVE;
	}
	KERN(lck_rw_unlock_shared)(l);
	return LCK_RW_TYPE_SHARED;
}

XK_EXPORT boolean_t KERN(lck_rw_lock_shared_to_exclusive)(
    struct __lck_rw_t__ *l);
XK_EXPORT boolean_t
KERN(lck_rw_lock_shared_to_exclusive)(struct __lck_rw_t__ *l)
{
	pthread_mutex_lock(&l->lr_mtx);
	if (l->lr_readers == 0) {
		pthread_mutex_unlock(&l->lr_mtx);
		xk_panic("lck_rw_lock_shared_to_exclusive: %p not held shared",
		    (void *)l);
		return K_FALSE;
	}
	l->lr_readers--;
	if (l->lr_upgrading) {
		/* Another upgrade goes first; this one loses its hold. */
		pthread_cond_broadcast(&l->lr_cv);
		pthread_mutex_unlock(&l->lr_mtx);
		return K_FALSE;
	}
	l->lr_upgrading = true;
	while (l->lr_readers > 0) {
		pthread_cond_wait(&l->lr_cv, &l->lr_mtx);
	}
	l->lr_upgrading = false;
	l->lr_writer = true;
	l->lr_wowner = pthread_self();
	pthread_mutex_unlock(&l->lr_mtx);
	return K_TRUE;
}

XK_EXPORT void KERN(lck_rw_lock_exclusive_to_shared)(struct __lck_rw_t__ *l);
XK_EXPORT void
KERN(lck_rw_lock_exclusive_to_shared)(struct __lck_rw_t__ *l)
{
	pthread_mutex_lock(&l->lr_mtx);
	if (!rw_excl_mine(l)) {
		pthread_mutex_unlock(&l->lr_mtx);
		xk_panic("lck_rw_lock_exclusive_to_shared: %p not held "
		    "exclusive by the caller", (void *)l);
		return;
	}
	l->lr_writer = false;
	l->lr_readers++;
	pthread_cond_broadcast(&l->lr_cv);
	pthread_mutex_unlock(&l->lr_mtx);
}

XK_EXPORT boolean_t KERN(lck_rw_try_lock_shared)(struct __lck_rw_t__ *l);
XK_EXPORT boolean_t
KERN(lck_rw_try_lock_shared)(struct __lck_rw_t__ *l)
{
	boolean_t ok;

	pthread_mutex_lock(&l->lr_mtx);
	ok = !l->lr_writer && l->lr_wwait == 0 && !l->lr_upgrading;
	if (ok) {
		l->lr_readers++;
	}
	pthread_mutex_unlock(&l->lr_mtx);
	return ok ? K_TRUE : K_FALSE;
}

XK_EXPORT boolean_t KERN(lck_rw_try_lock_exclusive)(struct __lck_rw_t__ *l);
XK_EXPORT boolean_t
KERN(lck_rw_try_lock_exclusive)(struct __lck_rw_t__ *l)
{
	boolean_t ok;

	pthread_mutex_lock(&l->lr_mtx);
	ok = !l->lr_writer && l->lr_readers == 0 && !l->lr_upgrading;
	if (ok) {
		l->lr_writer = true;
		l->lr_wowner = pthread_self();
	}
	pthread_mutex_unlock(&l->lr_mtx);
	return ok ? K_TRUE : K_FALSE;
}

XK_EXPORT boolean_t KERN(lck_rw_try_lock)(struct __lck_rw_t__ *l,
    unsigned int type);
XK_EXPORT boolean_t
KERN(lck_rw_try_lock)(struct __lck_rw_t__ *l, unsigned int type)
{
	if (type == LCK_RW_TYPE_SHARED) {
		return KERN(lck_rw_try_lock_shared)(l);
	}
	if (type == LCK_RW_TYPE_EXCLUSIVE) {
		return KERN(lck_rw_try_lock_exclusive)(l);
	}
	xk_panic("lck_rw_try_lock: bad type %u", type);
	return K_FALSE;
}

XK_EXPORT void KERN(lck_rw_assert)(struct __lck_rw_t__ *l, unsigned int type);
XK_EXPORT void
KERN(lck_rw_assert)(struct __lck_rw_t__ *l, unsigned int type)
{
	bool excl, shared, ok;

	pthread_mutex_lock(&l->lr_mtx);
	excl = rw_excl_mine(l);
	shared = l->lr_readers > 0;
	pthread_mutex_unlock(&l->lr_mtx);
	switch (type) {
	case LCK_RW_ASSERT_SHARED:
		ok = shared;
		break;
	case LCK_RW_ASSERT_EXCLUSIVE:
		ok = excl;
		break;
	case LCK_RW_ASSERT_HELD:
		ok = excl || shared;
		break;
	case LCK_RW_ASSERT_NOTHELD:
		ok = !excl;
		break;
	default:
		xk_panic("lck_rw_assert: bad type %u", type);
		return;
	}
	if (!ok) {
		xk_panic("lck_rw_assert: %p is not held as type %u says",
		    (void *)l, type);
	}
}

static wait_result_t
rw_sleep(struct __lck_rw_t__ *l, unsigned int action, const void *event,
    uint64_t deadline)
{
	struct sleeper s;
	bool woken, excl;

	pthread_mutex_lock(&l->lr_mtx);
	excl = rw_excl_mine(l);
	pthread_mutex_unlock(&l->lr_mtx);
	pthread_mutex_lock(&sleep_mtx);
	sleep_enqueue(&s, event);
	if (excl) {
		KERN(lck_rw_unlock_exclusive)(l);
	} else {
		KERN(lck_rw_unlock_shared)(l);
	}
	woken = sleep_wait(&s, deadline);
	if (action & LCK_SLEEP_EXCLUSIVE) {
		KERN(lck_rw_lock_exclusive)(l);
	} else if (action & LCK_SLEEP_SHARED) {
		KERN(lck_rw_lock_shared)(l);
	} else if (!(action & LCK_SLEEP_UNLOCK)) {
		KERN(lck_rw_lock)(l, excl ? LCK_RW_TYPE_EXCLUSIVE :
		    LCK_RW_TYPE_SHARED);
	}
	return woken ? THREAD_AWAKENED : THREAD_TIMED_OUT;
}

XK_EXPORT wait_result_t KERN(lck_rw_sleep)(struct __lck_rw_t__ *l,
    unsigned int action, void *event, int interruptible);
XK_EXPORT wait_result_t
KERN(lck_rw_sleep)(struct __lck_rw_t__ *l, unsigned int action, void *event,
    int interruptible)
{
	(void)interruptible;
	return rw_sleep(l, action, event, 0);
}

XK_EXPORT wait_result_t KERN(lck_rw_sleep_deadline)(struct __lck_rw_t__ *l,
    unsigned int action, void *event, int interruptible, uint64_t deadline);
XK_EXPORT wait_result_t
KERN(lck_rw_sleep_deadline)(struct __lck_rw_t__ *l, unsigned int action,
    void *event, int interruptible, uint64_t deadline)
{
	(void)interruptible;
	return rw_sleep(l, action, event, deadline);
}

/*
 * Thread calls and timeouts: libevent timers on the library's base, run
 * on its loop thread.  tc_mtx guards every call's state; the functions
 * run without it.  Events are never deleted with a blocking call under
 * tc_mtx: a timer that fires after it was cancelled finds nothing
 * pending and returns.
 */

struct thread_call {
	TAILQ_ENTRY(thread_call) tc_link;
	thread_call_func_t	 tc_func;
	void			*tc_param0;
	void			*tc_param1;
	uint64_t		 tc_deadline;	/* monotonic ns */
	struct event		*tc_ev;
	uint32_t		 tc_options;
	int			 tc_running;
	bool			 tc_pending;
	bool			 tc_resched;	/* ONCE: entered while running */
	void			*tc_rparam1;
	uint64_t		 tc_rdeadline;
	bool			 tc_freed;
};

struct k_timeout {
	TAILQ_ENTRY(k_timeout)	 to_link;
	timeout_fcn_t		 to_fn;
	void			*to_arg;
	struct event		*to_ev;
	bool			 to_cancelled;
};

static pthread_mutex_t tc_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tc_cv = PTHREAD_COND_INITIALIZER;
static TAILQ_HEAD(, thread_call) tc_all = TAILQ_HEAD_INITIALIZER(tc_all);
static TAILQ_HEAD(, k_timeout) to_all = TAILQ_HEAD_INITIALIZER(to_all);

static struct timeval
tv_until(uint64_t deadline)
{
	uint64_t now = mono_ns(), d = deadline > now ? deadline - now : 0;
	struct timeval tv = {
		.tv_sec = (time_t)(d / NSEC_PER_SEC),
		.tv_usec = (suseconds_t)((d % NSEC_PER_SEC + 999) / 1000),
	};

	if (tv.tv_usec >= 1000000) {
		tv.tv_sec++;
		tv.tv_usec -= 1000000;
	}
	return tv;
}

static void tc_fire(evutil_socket_t fd, short what, void *arg);
static void kern_shutdown(void);

/* Starts the library if need be; its shutdown then frees our timers. */
static int
kern_ensure(void)
{
	int error;

	if ((error = xk_lib_ensure()) == 0) {
		xk_atshutdown(kern_shutdown);
	}
	return error;
}

/* Arms @c for @deadline; tc_mtx held.  Fails only without memory. */
static bool
tc_arm_locked(struct thread_call *c, void *param1, uint64_t deadline)
{
	struct event_base *base;
	struct timeval tv;

	if (c->tc_ev == NULL) {
		if ((base = xk_loop_base()) == NULL ||
		    (c->tc_ev = event_new(base, -1, 0, tc_fire, c)) == NULL) {
			return false;
		}
	}
	c->tc_param1 = param1;
	c->tc_deadline = deadline;
	c->tc_pending = true;
	tv = tv_until(deadline);
	if (event_add(c->tc_ev, &tv) != 0) {
		c->tc_pending = false;
		return false;
	}
	return true;
}

static void
tc_destroy(struct thread_call *c)
{
	if (c->tc_ev != NULL) {
		event_free(c->tc_ev);
	}
	free(c);
}

static void
tc_fire(evutil_socket_t fd, short what, void *arg)
{
	struct thread_call *c = arg;
	struct timeval tv;
	bool was, gone;
	void *p1;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&tc_mtx);
	if (!c->tc_pending) {
		pthread_mutex_unlock(&tc_mtx);
		return;
	}
	if (mono_ns() < c->tc_deadline) {
		/* Re-entered for later after this firing was set. */
		tv = tv_until(c->tc_deadline);
		event_add(c->tc_ev, &tv);
		pthread_mutex_unlock(&tc_mtx);
		return;
	}
	c->tc_pending = false;
	c->tc_running++;
	p1 = c->tc_param1;
	pthread_mutex_unlock(&tc_mtx);

	was = xk_loop_enter();
	c->tc_func(c->tc_param0, p1);
	xk_loop_leave(was);

	pthread_mutex_lock(&tc_mtx);
	c->tc_running--;
	if (c->tc_resched && c->tc_running == 0) {
		c->tc_resched = false;
		if (!tc_arm_locked(c, c->tc_rparam1, c->tc_rdeadline)) {
			xk_log(XKPI_LOG_ERROR, "thread_call: no memory to "
			    "schedule %p again", (void *)c);
		}
	}
	gone = c->tc_freed && c->tc_running == 0 && !c->tc_pending;
	if (gone) {
		TAILQ_REMOVE(&tc_all, c, tc_link);
	}
	pthread_cond_broadcast(&tc_cv);
	pthread_mutex_unlock(&tc_mtx);
	if (gone) {
		tc_destroy(c);
	}
}

XK_EXPORT struct thread_call *KERN(thread_call_allocate_with_options)(
    thread_call_func_t func, void *param0, int pri, uint32_t options);
XK_EXPORT struct thread_call *
KERN(thread_call_allocate_with_options)(thread_call_func_t func, void *param0,
    int pri, uint32_t options)
{
	struct thread_call *c;

	(void)pri;
	if (func == NULL || kern_ensure() != 0 ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		return NULL;
	}
	c->tc_func = func;
	c->tc_param0 = param0;
	c->tc_options = options;
	pthread_mutex_lock(&tc_mtx);
	TAILQ_INSERT_TAIL(&tc_all, c, tc_link);
	pthread_mutex_unlock(&tc_mtx);
	return c;
}

XK_EXPORT struct thread_call *KERN(thread_call_allocate)(
    thread_call_func_t func, void *param0);
XK_EXPORT struct thread_call *
KERN(thread_call_allocate)(thread_call_func_t func, void *param0)
{
	return KERN(thread_call_allocate_with_options)(func, param0, 0, 0);
}

XK_EXPORT struct thread_call *KERN(thread_call_allocate_with_priority)(
    thread_call_func_t func, void *param0, int pri);
XK_EXPORT struct thread_call *
KERN(thread_call_allocate_with_priority)(thread_call_func_t func,
    void *param0, int pri)
{
	return KERN(thread_call_allocate_with_options)(func, param0, pri, 0);
}

static boolean_t
tc_enter(struct thread_call *c, void *param1, uint64_t deadline)
{
	bool was;

	if (c == NULL) {
		return K_FALSE;
	}
	if (kern_ensure() != 0) {
		xk_log(XKPI_LOG_ERROR, "thread_call_enter: the library "
		    "cannot start");
		return K_FALSE;
	}
	pthread_mutex_lock(&tc_mtx);
	if (c->tc_freed) {
		pthread_mutex_unlock(&tc_mtx);
		xk_panic("thread_call_enter: %p was freed", (void *)c);
		return K_FALSE;
	}
	was = c->tc_pending || c->tc_resched;
	if ((c->tc_options & THREAD_CALL_OPTIONS_ONCE) && c->tc_running > 0) {
		c->tc_resched = true;
		c->tc_rparam1 = param1;
		c->tc_rdeadline = deadline;
	} else if (!tc_arm_locked(c, param1, deadline)) {
		xk_log(XKPI_LOG_ERROR, "thread_call_enter: no memory for "
		    "the timer of %p", (void *)c);
	}
	pthread_mutex_unlock(&tc_mtx);
	return was ? K_TRUE : K_FALSE;
}

XK_EXPORT boolean_t KERN(thread_call_enter)(struct thread_call *c);
XK_EXPORT boolean_t
KERN(thread_call_enter)(struct thread_call *c)
{
	return tc_enter(c, NULL, 0);
}

XK_EXPORT boolean_t KERN(thread_call_enter1)(struct thread_call *c,
    void *param1);
XK_EXPORT boolean_t
KERN(thread_call_enter1)(struct thread_call *c, void *param1)
{
	return tc_enter(c, param1, 0);
}

XK_EXPORT boolean_t KERN(thread_call_enter_delayed)(struct thread_call *c,
    uint64_t deadline);
XK_EXPORT boolean_t
KERN(thread_call_enter_delayed)(struct thread_call *c, uint64_t deadline)
{
	return tc_enter(c, NULL, deadline);
}

XK_EXPORT boolean_t KERN(thread_call_enter1_delayed)(struct thread_call *c,
    void *param1, uint64_t deadline);
XK_EXPORT boolean_t
KERN(thread_call_enter1_delayed)(struct thread_call *c, void *param1,
    uint64_t deadline)
{
	return tc_enter(c, param1, deadline);
}

/* Cancels what is pending; tc_mtx held.  Whether something was. */
static bool
tc_cancel_locked(struct thread_call *c)
{
	bool was = c->tc_pending || c->tc_resched;

	c->tc_pending = false;
	c->tc_resched = false;
	if (was && c->tc_ev != NULL) {
		event_del_noblock(c->tc_ev);
	}
	return was;
}

XK_EXPORT boolean_t KERN(thread_call_cancel)(struct thread_call *c);
XK_EXPORT boolean_t
KERN(thread_call_cancel)(struct thread_call *c)
{
	bool was;

	if (c == NULL) {
		return K_FALSE;
	}
	pthread_mutex_lock(&tc_mtx);
	was = tc_cancel_locked(c);
	pthread_mutex_unlock(&tc_mtx);
	return was ? K_TRUE : K_FALSE;
}

XK_EXPORT boolean_t KERN(thread_call_cancel_wait)(struct thread_call *c);
XK_EXPORT boolean_t
KERN(thread_call_cancel_wait)(struct thread_call *c)
{
	bool was;

	if (c == NULL) {
		return K_FALSE;
	}
	pthread_mutex_lock(&tc_mtx);
	was = tc_cancel_locked(c);
	/* The loop thread cannot wait for itself. */
	while (!was && c->tc_running > 0 && !xk_on_loop_thread()) {
		pthread_cond_wait(&tc_cv, &tc_mtx);
	}
	pthread_mutex_unlock(&tc_mtx);
	return was ? K_TRUE : K_FALSE;
}

XK_EXPORT boolean_t KERN(thread_call_isactive)(struct thread_call *c);
XK_EXPORT boolean_t
KERN(thread_call_isactive)(struct thread_call *c)
{
	bool active;

	if (c == NULL) {
		return K_FALSE;
	}
	pthread_mutex_lock(&tc_mtx);
	active = c->tc_pending || c->tc_resched || c->tc_running > 0;
	pthread_mutex_unlock(&tc_mtx);
	return active ? K_TRUE : K_FALSE;
}

XK_EXPORT boolean_t KERN(thread_call_free)(struct thread_call *c);
XK_EXPORT boolean_t
KERN(thread_call_free)(struct thread_call *c)
{
	bool now;

	if (c == NULL) {
		return K_FALSE;
	}
	pthread_mutex_lock(&tc_mtx);
	if (c->tc_pending || c->tc_resched) {
		pthread_mutex_unlock(&tc_mtx);
		return K_FALSE;
	}
	if (c->tc_freed) {
		pthread_mutex_unlock(&tc_mtx);
		xk_panic("thread_call_free: %p freed twice", (void *)c);
		return K_FALSE;
	}
	c->tc_freed = true;
	now = c->tc_running == 0;
	if (now) {
		TAILQ_REMOVE(&tc_all, c, tc_link);
	}
	pthread_mutex_unlock(&tc_mtx);
	if (now) {
		/* Waits for a firing that found it cancelled, if any. */
		tc_destroy(c);
	}
	return K_TRUE;
}

static void
to_fire(evutil_socket_t fd, short what, void *arg)
{
	struct k_timeout *t = arg;
	bool was;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&tc_mtx);
	if (t->to_cancelled) {
		/* untimeout() owns it now, and frees it. */
		pthread_mutex_unlock(&tc_mtx);
		return;
	}
	TAILQ_REMOVE(&to_all, t, to_link);
	pthread_mutex_unlock(&tc_mtx);
	was = xk_loop_enter();
	t->to_fn(t->to_arg);
	xk_loop_leave(was);
	event_free(t->to_ev);
	free(t);
}

static void
to_schedule(timeout_fcn_t fn, void *arg, uint64_t delay_ns, const char *who)
{
	struct event_base *base;
	struct k_timeout *t;
	struct timeval tv;

	if (fn == NULL) {
		return;
	}
	if (kern_ensure() != 0 || (base = xk_loop_base()) == NULL ||
	    (t = calloc(1, sizeof(*t))) == NULL) {
		xk_log(XKPI_LOG_ERROR, "%s: cannot schedule (no memory, or "
		    "the library cannot start)", who);
		return;
	}
	t->to_fn = fn;
	t->to_arg = arg;
	if ((t->to_ev = event_new(base, -1, 0, to_fire, t)) == NULL) {
		free(t);
		xk_log(XKPI_LOG_ERROR, "%s: no memory for the timer", who);
		return;
	}
	tv = tv_until(mono_ns() + delay_ns);
	pthread_mutex_lock(&tc_mtx);
	TAILQ_INSERT_TAIL(&to_all, t, to_link);
	if (event_add(t->to_ev, &tv) != 0) {
		TAILQ_REMOVE(&to_all, t, to_link);
		pthread_mutex_unlock(&tc_mtx);
		event_free(t->to_ev);
		free(t);
		xk_log(XKPI_LOG_ERROR, "%s: no memory for the timer", who);
		return;
	}
	pthread_mutex_unlock(&tc_mtx);
}

XK_EXPORT void KERN(timeout)(timeout_fcn_t fn, void *arg, int ticks);
XK_EXPORT void
KERN(timeout)(timeout_fcn_t fn, void *arg, int ticks)
{
	uint64_t ns = ticks > 0 ? (uint64_t)ticks * (NSEC_PER_SEC / HZ) : 0;

	to_schedule(fn, arg, ns, "timeout");
}

XK_EXPORT void KERN(bsd_timeout)(timeout_fcn_t fn, void *arg,
    struct timespec *ts);
XK_EXPORT void
KERN(bsd_timeout)(timeout_fcn_t fn, void *arg, struct timespec *ts)
{
	uint64_t ns = 0;

	if (ts != NULL && ts->tv_sec >= 0 && ts->tv_nsec >= 0) {
		ns = (uint64_t)ts->tv_sec * NSEC_PER_SEC +
		    (uint64_t)ts->tv_nsec;
	}
	to_schedule(fn, arg, ns, "bsd_timeout");
}

XK_EXPORT void KERN(untimeout)(timeout_fcn_t fn, void *arg);
XK_EXPORT void
KERN(untimeout)(timeout_fcn_t fn, void *arg)
{
	struct k_timeout *t;

	pthread_mutex_lock(&tc_mtx);
	TAILQ_FOREACH(t, &to_all, to_link) {
		if (t->to_fn == fn && t->to_arg == arg) {
			break;
		}
	}
	if (t != NULL) {
		TAILQ_REMOVE(&to_all, t, to_link);
		t->to_cancelled = true;
	}
	pthread_mutex_unlock(&tc_mtx);
	if (t != NULL) {
		/* Waits for a firing that found it cancelled, if any. */
		event_free(t->to_ev);
		free(t);
	}
}

XK_EXPORT void KERN(bsd_untimeout)(timeout_fcn_t fn, void *arg);
XK_EXPORT void
KERN(bsd_untimeout)(timeout_fcn_t fn, void *arg)
{
	KERN(untimeout)(fn, arg);
}

/*
 * xkpi_shutdown(), with no loop running and before the base goes:
 * pending calls are cancelled and every timer freed; the calls stay
 * allocated, and get a timer on the next base when entered again.
 */
static void
kern_shutdown(void)
{
	struct thread_call *c;
	struct k_timeout *t;

	pthread_mutex_lock(&tc_mtx);
	TAILQ_FOREACH(c, &tc_all, tc_link) {
		c->tc_pending = false;
		c->tc_resched = false;
		if (c->tc_ev != NULL) {
			event_free(c->tc_ev);
			c->tc_ev = NULL;
		}
	}
	while ((t = TAILQ_FIRST(&to_all)) != NULL) {
		TAILQ_REMOVE(&to_all, t, to_link);
		event_free(t->to_ev);
		free(t);
	}
	pthread_mutex_unlock(&tc_mtx);
}

/* UUIDs (libkern's uuid/uuid.h) */

typedef unsigned char k_uuid_t[16];

XK_EXPORT void KERN(uuid_clear)(k_uuid_t uu);
XK_EXPORT void
KERN(uuid_clear)(k_uuid_t uu)
{
	memset(uu, 0, sizeof(k_uuid_t));
}

XK_EXPORT int KERN(uuid_compare)(const k_uuid_t a, const k_uuid_t b);
XK_EXPORT int
KERN(uuid_compare)(const k_uuid_t a, const k_uuid_t b)
{
	return memcmp(a, b, sizeof(k_uuid_t));
}

XK_EXPORT void KERN(uuid_copy)(k_uuid_t dst, const k_uuid_t src);
XK_EXPORT void
KERN(uuid_copy)(k_uuid_t dst, const k_uuid_t src)
{
	memcpy(dst, src, sizeof(k_uuid_t));
}

XK_EXPORT void KERN(uuid_generate_random)(k_uuid_t out);
XK_EXPORT void
KERN(uuid_generate_random)(k_uuid_t out)
{
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(k_uuid_t)) {
		n = getrandom(out + got, sizeof(k_uuid_t) - got, 0);
		if (n > 0) {
			got += (size_t)n;
		} else if (errno != EINTR) {
			xk_panic("uuid_generate: no randomness (%s)",
			    strerror(errno));
			return;
		}
	}
	out[6] = (unsigned char)((out[6] & 0x0f) | 0x40);	/* version 4 */
	out[8] = (unsigned char)((out[8] & 0x3f) | 0x80);	/* RFC 4122 */
}

XK_EXPORT void KERN(uuid_generate)(k_uuid_t out);
XK_EXPORT void
KERN(uuid_generate)(k_uuid_t out)
{
	KERN(uuid_generate_random)(out);
}

XK_EXPORT void KERN(uuid_generate_time)(k_uuid_t out);
XK_EXPORT void
KERN(uuid_generate_time)(k_uuid_t out)
{
	KERN(uuid_generate_random)(out);
}

XK_EXPORT int KERN(uuid_is_null)(const k_uuid_t uu);
XK_EXPORT int
KERN(uuid_is_null)(const k_uuid_t uu)
{
	static const k_uuid_t null;

	return memcmp(uu, null, sizeof(k_uuid_t)) == 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

XK_EXPORT int KERN(uuid_parse)(const char *in, k_uuid_t uu);
XK_EXPORT int
KERN(uuid_parse)(const char *in, k_uuid_t uu)
{
	k_uuid_t v;
	int i = 0;

	for (int pos = 0; pos < 36; pos++) {
		int hi, lo;

		if (pos == 8 || pos == 13 || pos == 18 || pos == 23) {
			if (in[pos] != '-') {
				return -1;
			}
			continue;
		}
		if ((hi = hexval(in[pos])) < 0 ||
		    (lo = hexval(in[pos + 1])) < 0) {
			return -1;
		}
		v[i++] = (unsigned char)(hi << 4 | lo);
		pos++;
	}
	if (in[36] != '\0') {
		return -1;
	}
	memcpy(uu, v, sizeof(v));
	return 0;
}

static void
uuid_text(const k_uuid_t uu, char *out, const char *digits)
{
	int o = 0;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10) {
			out[o++] = '-';
		}
		out[o++] = digits[uu[i] >> 4];
		out[o++] = digits[uu[i] & 0xf];
	}
	out[o] = '\0';
}

XK_EXPORT void KERN(uuid_unparse_lower)(const k_uuid_t uu, char *out);
XK_EXPORT void
KERN(uuid_unparse_lower)(const k_uuid_t uu, char *out)
{
	uuid_text(uu, out, "0123456789abcdef");
}

XK_EXPORT void KERN(uuid_unparse_upper)(const k_uuid_t uu, char *out);
XK_EXPORT void
KERN(uuid_unparse_upper)(const k_uuid_t uu, char *out)
{
	uuid_text(uu, out, "0123456789ABCDEF");
}

XK_EXPORT void KERN(uuid_unparse)(const k_uuid_t uu, char *out);
XK_EXPORT void
KERN(uuid_unparse)(const k_uuid_t uu, char *out)
{
	KERN(uuid_unparse_upper)(uu, out);
}
