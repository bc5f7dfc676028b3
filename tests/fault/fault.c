/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Fault injection for the unit test programs.  A program linked with
 * this file and -Wl,--wrap=NAME for every NAME below reaches each
 * allocation, mbuf allocation and host call through a wrapper here.
 * A call site is the wrapper's return address, as an offset from the
 * executable's base: the same number in every run of the same binary.
 *
 * Environment:
 *   XK_FAULT_LOG=FILE   append one line per distinct site reached
 *                       ("site OFFSET NAME") and, when a fault is
 *                       injected, "fired OFFSET NAME NTH".
 *   XK_FAULT_SITE=OFF   the site to fail (hex offset, as logged);
 *   XK_FAULT_NTH=N      fail its Nth call (default 1) ...
 *   XK_FAULT_COUNT=N    ... and N calls from there (default 1, 0: all).
 *
 * Test programs may also fail calls by name, wherever they are made:
 * xk_fault_next() in tests/fault/fault.h.
 *
 * A failed call answers as the real one does when it fails: NULL or -1
 * with errno set, or the error number (pthread_create).  An mbuf
 * allocator call is failed through the pool's own injector, so that it
 * unwinds as it would on exhaustion; if that call allocated nothing, the
 * next call at the site is failed instead.  tests/fault/run.sh drives
 * all this; see there.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <glib.h>
#if defined(XK_HAVE_BACKEND_LINUX) || defined(XK_HAVE_BACKEND_PCAP)
#include <libmnl/libmnl.h>
#endif
#ifdef XK_HAVE_BACKEND_PCAP
#include <pcap/pcap.h>
#endif

#include <sys/kpi_mbuf.h>

#include "core/mbuf_var.h"
#include "tests/fault/fault.h"

#define SITES_MAX	8192		/* distinct sites one run records */

struct site {
	uintptr_t	 s_off;		/* 0: free slot */
	uint64_t	 s_calls;
};

static pthread_mutex_t fault_lock = PTHREAD_MUTEX_INITIALIZER;
static struct site sites[SITES_MAX];
static uintptr_t exe_base;
static int log_fd = -1;
static uintptr_t want_off;		/* 0: inject nothing */
static uint64_t want_nth = 1, want_count = 1;
static char next_prefix[32];		/* xk_fault_next() */
static unsigned int next_skip, next_count;

static void
log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
log_line(const char *fmt, ...)
{
	char buf[160];
	va_list ap;
	int n;

	if (log_fd < 0) {
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(buf)) {
		(void)!write(log_fd, buf, (size_t)n);
	}
}

static uint64_t
env_u64(const char *name, uint64_t dflt, int base)
{
	const char *s = getenv(name);
	char *end;
	uint64_t v;

	if (s == NULL || *s == '\0') {
		return dflt;
	}
	v = strtoull(s, &end, base);
	return *end == '\0' ? v : dflt;
}

__attribute__((constructor)) static void
fault_init(void)
{
	Dl_info info;
	const char *path;

	if (dladdr((void *)fault_init, &info) != 0) {
		exe_base = (uintptr_t)info.dli_fbase;
	}
	if ((path = getenv("XK_FAULT_LOG")) != NULL && *path != '\0') {
		log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		    0644);
	}
	want_off = (uintptr_t)env_u64("XK_FAULT_SITE", 0, 16);
	want_nth = env_u64("XK_FAULT_NTH", 1, 10);
	want_count = env_u64("XK_FAULT_COUNT", 1, 10);
	if (want_nth == 0) {
		want_nth = 1;
	}
}

/*
 * Called by every wrapper with its return address: records the site and
 * says whether this call is to fail.
 */
static bool
fault_hit(const char *name, const void *ra)
{
	uintptr_t off = (uintptr_t)ra - exe_base;
	size_t i = (size_t)(off * 0x9e3779b97f4a7c15ull >> 51) % SITES_MAX;
	struct site *s = NULL;
	bool fail = false;

	pthread_mutex_lock(&fault_lock);
	for (size_t n = 0; n < SITES_MAX; n++, i = (i + 1) % SITES_MAX) {
		if (sites[i].s_off == off || sites[i].s_off == 0) {
			s = &sites[i];
			break;
		}
	}
	if (s != NULL) {
		if (s->s_off == 0) {
			s->s_off = off;
			log_line("site %#" PRIxPTR " %s\n", off, name);
		}
		s->s_calls++;
		if (off == want_off && s->s_calls >= want_nth &&
		    (want_count == 0 || s->s_calls < want_nth + want_count)) {
			fail = true;
			log_line("fired %#" PRIxPTR " %s %" PRIu64 "\n", off,
			    name, s->s_calls);
		}
	}
	if (next_count > 0 &&
	    strncmp(name, next_prefix, strlen(next_prefix)) == 0) {
		if (next_skip > 0) {
			next_skip--;
		} else {
			next_count--;
			fail = true;
		}
	}
	pthread_mutex_unlock(&fault_lock);
	return fail;
}

void
xk_fault_next(const char *prefix, unsigned int skip, unsigned int count)
{
	pthread_mutex_lock(&fault_lock);
	next_count = 0;
	if (prefix != NULL && strlen(prefix) < sizeof(next_prefix)) {
		strcpy(next_prefix, prefix);
		next_skip = skip;
		next_count = count;
	}
	pthread_mutex_unlock(&fault_lock);
}

unsigned int
xk_fault_pending(void)
{
	unsigned int n;

	pthread_mutex_lock(&fault_lock);
	n = next_count;
	pthread_mutex_unlock(&fault_lock);
	return n;
}

/* An mbuf allocator call that was to fail allocated nothing: try again. */
static void
fault_unused(const void *ra, const char *name)
{
	uintptr_t off = (uintptr_t)ra - exe_base;

	pthread_mutex_lock(&fault_lock);
	if (off == want_off) {
		want_nth++;
		log_line("unused %#" PRIxPTR " %s\n", off, name);
	}
	pthread_mutex_unlock(&fault_lock);
}

#define RA	__builtin_return_address(0)

/*
 * The wrapper must have the wrapped function's type: the compiler checks
 * it against the declaration in the library's or the system's header.
 */
#define SAME_TYPE(name)							\
	_Static_assert(__builtin_types_compatible_p(			\
	    __typeof__(&name), __typeof__(&__wrap_##name)),		\
	    #name ": the wrapper's type differs")

/* A wrapper that fails with @fail, errno @err. */
#define WRAP(ret, name, params, args, fail, err)			\
	ret __real_##name params;					\
	ret __wrap_##name params;					\
	SAME_TYPE(name);						\
	ret								\
	__wrap_##name params						\
	{								\
		if (fault_hit(#name, RA)) {				\
			errno = (err);					\
			return (fail);					\
		}							\
		return (__real_##name args);				\
	}

/* Allocation. */
WRAP(void *, malloc, (size_t n), (n), NULL, ENOMEM)
WRAP(void *, calloc, (size_t k, size_t n), (k, n), NULL, ENOMEM)
WRAP(void *, realloc, (void *p, size_t n), (p, n), NULL, ENOMEM)
WRAP(char *, strdup, (const char *s), (s), NULL, ENOMEM)
WRAP(gpointer, g_malloc, (gsize n), (n), NULL, ENOMEM)
WRAP(gpointer, g_malloc0, (gsize n), (n), NULL, ENOMEM)
WRAP(gpointer, g_malloc_n, (gsize k, gsize n), (k, n), NULL, ENOMEM)
WRAP(gpointer, g_malloc0_n, (gsize k, gsize n), (k, n), NULL, ENOMEM)
WRAP(gpointer, g_realloc, (gpointer p, gsize n), (p, n), NULL, ENOMEM)
WRAP(gpointer, g_try_malloc, (gsize n), (n), NULL, ENOMEM)
WRAP(gpointer, g_try_malloc0, (gsize n), (n), NULL, ENOMEM)
WRAP(gpointer, g_try_malloc_n, (gsize k, gsize n), (k, n), NULL, ENOMEM)
WRAP(gpointer, g_try_malloc0_n, (gsize k, gsize n), (k, n), NULL, ENOMEM)
WRAP(gpointer, g_try_realloc, (gpointer p, gsize n), (p, n), NULL, ENOMEM)
WRAP(void *, mmap, (void *a, size_t n, int prot, int fl, int fd, off_t o),
    (a, n, prot, fl, fd, o), MAP_FAILED, ENOMEM)

/* Sockets and descriptors. */
WRAP(int, socket, (int d, int t, int p), (d, t, p), -1, EMFILE)
WRAP(int, bind, (int fd, const struct sockaddr *a, socklen_t l),
    (fd, a, l), -1, EADDRINUSE)
WRAP(int, connect, (int fd, const struct sockaddr *a, socklen_t l),
    (fd, a, l), -1, ECONNREFUSED)
WRAP(int, listen, (int fd, int n), (fd, n), -1, EADDRINUSE)
WRAP(int, accept4, (int fd, struct sockaddr *a, socklen_t *l, int f),
    (fd, a, l, f), -1, EMFILE)
WRAP(int, shutdown, (int fd, int how), (fd, how), -1, ENOTCONN)
WRAP(int, setsockopt, (int fd, int lv, int o, const void *v, socklen_t l),
    (fd, lv, o, v, l), -1, ENOMEM)
WRAP(int, getsockopt, (int fd, int lv, int o, void *v, socklen_t *l),
    (fd, lv, o, v, l), -1, ENOBUFS)
WRAP(int, getsockname, (int fd, struct sockaddr *a, socklen_t *l),
    (fd, a, l), -1, ENOBUFS)
WRAP(int, getpeername, (int fd, struct sockaddr *a, socklen_t *l),
    (fd, a, l), -1, ENOTCONN)
WRAP(ssize_t, sendmsg, (int fd, const struct msghdr *m, int f), (fd, m, f),
    -1, ENOBUFS)
WRAP(ssize_t, recvmsg, (int fd, struct msghdr *m, int f), (fd, m, f),
    -1, ENOMEM)
WRAP(int, sendmmsg, (int fd, struct mmsghdr *v, unsigned int n, int f),
    (fd, v, n, f), -1, ENOBUFS)
WRAP(int, recvmmsg, (int fd, struct mmsghdr *v, unsigned int n, int f,
    struct timespec *t), (fd, v, n, f, t), -1, ENOMEM)
WRAP(ssize_t, readv, (int fd, const struct iovec *v, int n), (fd, v, n),
    -1, ECONNRESET)
WRAP(ssize_t, writev, (int fd, const struct iovec *v, int n), (fd, v, n),
    -1, EPIPE)
WRAP(int, getifaddrs, (struct ifaddrs **p), (p), -1, ENOMEM)
WRAP(FILE *, fopen, (const char *p, const char *m), (p, m), NULL, EMFILE)
WRAP(ssize_t, getrandom, (void *b, size_t n, unsigned int f), (b, n, f),
    -1, EAGAIN)

/* ioctl(2) and fcntl(2) are variadic; the library passes one word. */
int	__real_ioctl(int fd, unsigned long req, ...);
int	__wrap_ioctl(int fd, unsigned long req, void *arg);
int
__wrap_ioctl(int fd, unsigned long req, void *arg)
{
	if (fault_hit("ioctl", RA)) {
		errno = ENODEV;
		return -1;
	}
	return __real_ioctl(fd, req, arg);
}

int	__real_fcntl(int fd, int cmd, ...);
int	__wrap_fcntl(int fd, int cmd, long arg);
int
__wrap_fcntl(int fd, int cmd, long arg)
{
	if (fault_hit("fcntl", RA)) {
		errno = EINVAL;
		return -1;
	}
	return __real_fcntl(fd, cmd, arg);
}

/* Threads: the error is the result. */
int	__real_pthread_create(pthread_t *t, const pthread_attr_t *a,
	    void *(*fn)(void *), void *arg);
int	__wrap_pthread_create(pthread_t *t, const pthread_attr_t *a,
	    void *(*fn)(void *), void *arg);
int
__wrap_pthread_create(pthread_t *t, const pthread_attr_t *a,
    void *(*fn)(void *), void *arg)
{
	if (fault_hit("pthread_create", RA)) {
		return EAGAIN;
	}
	return __real_pthread_create(t, a, fn, arg);
}

/* libevent. */
WRAP(struct event_base *, event_base_new, (void), (), NULL, ENOMEM)
WRAP(struct event *, event_new, (struct event_base *b, evutil_socket_t fd,
    short what, event_callback_fn cb, void *arg), (b, fd, what, cb, arg),
    NULL, ENOMEM)
WRAP(int, event_add, (struct event *ev, const struct timeval *tv),
    (ev, tv), -1, ENOMEM)
WRAP(int, evthread_use_pthreads, (void), (), -1, ENOMEM)
WRAP(struct bufferevent *, bufferevent_socket_new, (struct event_base *b,
    evutil_socket_t fd, int opt), (b, fd, opt), NULL, ENOMEM)
WRAP(int, bufferevent_enable, (struct bufferevent *bev, short ev),
    (bev, ev), -1, ENOMEM)
WRAP(int, bufferevent_write, (struct bufferevent *bev, const void *d,
    size_t n), (bev, d, n), -1, ENOMEM)
WRAP(struct evconnlistener *, evconnlistener_new_bind, (struct event_base *b,
    evconnlistener_cb cb, void *arg, unsigned int fl, int backlog,
    const struct sockaddr *sa, int len), (b, cb, arg, fl, backlog, sa, len),
    NULL, EADDRINUSE)

#if defined(XK_HAVE_BACKEND_LINUX) || defined(XK_HAVE_BACKEND_PCAP)
/* libmnl (netlink). */
WRAP(struct mnl_socket *, mnl_socket_open2, (int bus, int flags),
    (bus, flags), NULL, ENOBUFS)
WRAP(int, mnl_socket_bind, (struct mnl_socket *nl, unsigned int groups,
    pid_t pid), (nl, groups, pid), -1, EADDRINUSE)
WRAP(ssize_t, mnl_socket_sendto, (const struct mnl_socket *nl,
    const void *buf, size_t len), (nl, buf, len), -1, ENOBUFS)
WRAP(ssize_t, mnl_socket_recvfrom, (const struct mnl_socket *nl, void *buf,
    size_t len), (nl, buf, len), -1, ENOBUFS)
#endif

#ifdef XK_HAVE_BACKEND_PCAP
/* libpcap: a failed handle call leaves its text in the handle. */
pcap_t	*__real_pcap_create(const char *dev, char *err);
pcap_t	*__wrap_pcap_create(const char *dev, char *err);
pcap_t *
__wrap_pcap_create(const char *dev, char *err)
{
	if (fault_hit("pcap_create", RA)) {
		snprintf(err, PCAP_ERRBUF_SIZE, "fault injected");
		return NULL;
	}
	return __real_pcap_create(dev, err);
}

int	__real_pcap_setnonblock(pcap_t *p, int on, char *err);
int	__wrap_pcap_setnonblock(pcap_t *p, int on, char *err);
int
__wrap_pcap_setnonblock(pcap_t *p, int on, char *err)
{
	if (fault_hit("pcap_setnonblock", RA)) {
		snprintf(err, PCAP_ERRBUF_SIZE, "fault injected");
		return PCAP_ERROR;
	}
	return __real_pcap_setnonblock(p, on, err);
}

WRAP(int, pcap_activate, (pcap_t *p), (p), PCAP_ERROR, ENOMEM)
WRAP(int, pcap_inject, (pcap_t *p, const void *b, size_t n), (p, b, n),
    PCAP_ERROR, ENOBUFS)
WRAP(int, pcap_dispatch, (pcap_t *p, int n, pcap_handler cb, u_char *u),
    (p, n, cb, u), PCAP_ERROR, ENETDOWN)
WRAP(int, pcap_get_selectable_fd, (pcap_t *p), (p), -1, EINVAL)
WRAP(int, pcap_stats, (pcap_t *p, struct pcap_stat *st), (p, st),
    PCAP_ERROR, ENODEV)
WRAP(int, pcap_setdirection, (pcap_t *p, pcap_direction_t d), (p, d),
    PCAP_ERROR, EINVAL)
#endif

/*
 * The mbuf allocator: the pool's injector fails the first allocation the
 * real call makes, which then unwinds as on exhaustion.
 */
#define MB_BEGIN(name)							\
	bool inj_ = fault_hit(#name, RA);				\
	if (inj_) {							\
		xk_mb_inject_failures(0, 1);				\
	}
#define MB_END(name) do {						\
	if (inj_ && xk_mb_inject_fail()) {				\
		fault_unused(RA, #name);				\
	}								\
} while (0)

#define MBWRAP(ret, name, params, args)					\
	ret __real_##name params;					\
	ret __wrap_##name params;					\
	SAME_TYPE(name);						\
	ret								\
	__wrap_##name params						\
	{								\
		ret r_;							\
		MB_BEGIN(name)						\
		r_ = __real_##name args;				\
		MB_END(name);						\
		return (r_);						\
	}

MBWRAP(struct __mbuf *, xk_m_get, (int type, bool pkthdr), (type, pkthdr))
MBWRAP(int, xk_m_clget, (struct __mbuf *m, uint32_t size), (m, size))
MBWRAP(struct __mbuf *, xk_m_getcl, (int type, bool pkthdr, uint32_t size),
    (type, pkthdr, size))
MBWRAP(struct __mbuf *, xk_m_devget, (const void *d, size_t n), (d, n))
MBWRAP(struct __mbuf *, xk_m_copym, (struct __mbuf *m, size_t off,
    size_t len, int *error), (m, off, len, error))
MBWRAP(struct __mbuf *, xk_m_dup, (const struct __mbuf *m), (m))
MBWRAP(struct __mbuf *, xk_m_split, (struct __mbuf *m, size_t off),
    (m, off))
MBWRAP(struct __mbuf *, xk_m_prepend, (struct __mbuf *m, size_t len),
    (m, len))
MBWRAP(struct __mbuf *, xk_m_pullup, (struct __mbuf *m, size_t len),
    (m, len))
MBWRAP(struct __mbuf *, xk_m_pulldown, (struct __mbuf *m, size_t off,
    size_t len, size_t *offp), (m, off, len, offp))
MBWRAP(int, xk_m_copyback, (struct __mbuf *m, size_t off, size_t len,
    const void *cp), (m, off, len, cp))
MBWRAP(struct xk_mtag *, xk_m_tag_alloc, (mbuf_tag_id_t id,
    mbuf_tag_type_t type, size_t len), (id, type, len))
MBWRAP(errno_t, mbuf_gethdr, (mbuf_how_t how, mbuf_type_t type, mbuf_t *m),
    (how, type, m))
MBWRAP(errno_t, mbuf_allocpacket, (mbuf_how_t how, size_t len,
    unsigned int *maxchunks, mbuf_t *m), (how, len, maxchunks, m))
