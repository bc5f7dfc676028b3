/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Compiled (not run) by build.sh with the kext include set, under gcc and
 * clang with -Werror: kext-style code that must compile unchanged, and
 * BSD's socket address layout checked at compile time.
 */
#include <sys/cdefs.h>
#include <sys/types.h>
#include <sys/param.h>
#include <sys/systm.h>
#include <sys/errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/mbuf.h>
#include <sys/filio.h>
#include <sys/protosw.h>
#include <sys/domain.h>
#include <sys/malloc.h>
#include <sys/kernel.h>
#include <sys/proc.h>
#include <net/if_types.h>
#include <net/if_dl.h>
#include <net/kpi_interface.h>
#include <netinet/in.h>
#include <netinet/in_var.h>
#include <netinet/kpi_ipfilter.h>
#include <kern/locks.h>
#include <kern/thread_call.h>
#include <kern/clock.h>
#include <kern/debug.h>
#include <kern/kalloc.h>
#include <libkern/OSAtomic.h>
#include <libkern/OSMalloc.h>
#include <libkern/libkern.h>
#include <mach/mach_types.h>
#include <mach/mach_time.h>
#include <IOKit/IOLib.h>

#define	CHECK(e)	_Static_assert(e, #e)

CHECK(sizeof(struct sockaddr) == 16);
CHECK(offsetof(struct sockaddr, sa_len) == 0);
CHECK(offsetof(struct sockaddr, sa_family) == 1);
CHECK(sizeof(struct sockaddr_in) == 16);
CHECK(offsetof(struct sockaddr_in, sin_len) == 0);
CHECK(offsetof(struct sockaddr_in, sin_family) == 1);
CHECK(offsetof(struct sockaddr_in, sin_port) == 2);
CHECK(offsetof(struct sockaddr_in, sin_addr) == 4);
CHECK(sizeof(struct sockaddr_in6) == 28);
CHECK(offsetof(struct sockaddr_in6, sin6_len) == 0);
CHECK(offsetof(struct sockaddr_in6, sin6_family) == 1);
CHECK(offsetof(struct sockaddr_in6, sin6_port) == 2);
CHECK(offsetof(struct sockaddr_in6, sin6_flowinfo) == 4);
CHECK(offsetof(struct sockaddr_in6, sin6_addr) == 8);
CHECK(offsetof(struct sockaddr_in6, sin6_scope_id) == 24);
CHECK(offsetof(struct sockaddr_un, sun_len) == 0);
CHECK(offsetof(struct sockaddr_un, sun_path) == 2);
CHECK(offsetof(struct sockaddr_storage, ss_len) == 0);
CHECK(offsetof(struct sockaddr_storage, ss_family) == 1);
CHECK(sizeof(struct sockaddr_storage) == 128);
CHECK(IFT_ETHER == 6 && IFT_LOOP == 0x18 && IFT_L2VLAN == 0x87);
CHECK(PR_ATOMIC == 1 && PR_CONNREQUIRED == 4 && PRC_NCMDS == 22);
CHECK(MT_DATA == MBUF_TYPE_DATA && MT_OOBDATA == MBUF_TYPE_OOBDATA);
CHECK(EAUTH != ELIBBAD && EBADRPC != ENOTSUP && EJUSTRETURN == -2);
CHECK(PDROP == 0x400 && PCATCH == 0x100);

__private_extern__ int kext_private_counter;
int kext_private_counter;

static int kext_unused_helper(int x) __unused;
static int
kext_unused_helper(int x)
{
	return x;
}

__COPYRIGHT("Copyright 2024 the example kext");
__RCSID("$Id$");

static void kext_fatal(const char *why) __dead2;
static void
kext_fatal(const char *why)
{
	panic("kext: %s", why);
}

static void kext_log(const char *fmt, ...) __printflike(1, 2);
static void
kext_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	IOLogv(fmt, ap);
	va_end(ap);
}

/* What a kext's socket code does, unchanged. */
errno_t kext_connect(socket_t so, in_port_t port);
errno_t
kext_connect(socket_t so, in_port_t port)
{
	struct sockaddr_in sin;
	int on = 1;

	bzero(&sin, sizeof(sin));
	sin.sin_len = sizeof(sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (sock_ioctl(so, FIONBIO, &on) != 0) {
		kext_fatal("FIONBIO");
	}
	kext_log("connecting to %u", (unsigned)port);
	return sock_connect(so, (struct sockaddr *)&sin, MSG_DONTWAIT);
}

void kext_misc(void);
void
kext_misc(void)
{
	lck_grp_t *g = lck_grp_alloc_init("kext", LCK_GRP_ATTR_NULL);
	lck_mtx_t *m = lck_mtx_alloc_init(g, LCK_ATTR_NULL);
	OSMallocTag tag = OSMalloc_Tagalloc("kext", OSMT_DEFAULT);
	volatile SInt32 refs = 0;
	struct timeval tv;
	uint64_t deadline;
	char buf[8];
	void *p;

	lck_mtx_lock(m);
	(void)msleep(&kext_private_counter, m, PSOCK | PDROP, "kext", NULL);
	lck_mtx_free(m, g);
	lck_grp_free(g);
	OSIncrementAtomic(&refs);
	p = OSMalloc(16, tag);
	OSFree(p, 16, tag);
	OSMalloc_Tagfree(tag);
	MALLOC(p, void *, 8, M_TEMP, M_WAITOK | M_ZERO);
	FREE(p, M_TEMP);
	microtime(&tv);
	clock_interval_to_deadline(1, kMillisecondScale, &deadline);
	strlcpy(buf, "kext", sizeof(buf));
	(void)min(1, 2);
	(void)kext_unused_helper;
	printf("%s %ld\n", buf, (long)tv.tv_sec);
}
