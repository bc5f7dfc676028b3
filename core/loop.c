/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The library's life: the core lock, the event-loop thread that owns all
 * I/O, and xkpi_init / xkpi_init_with_base / xkpi_shutdown.
 *
 * Legacy code never calls an init function, so the first KPI call starts
 * the library from the environment (xk_lib_ensure).
 */
#include "core/xk.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <glib.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <xkpi.h>

#include "backends/backend.h"
#include "core/fw_var.h"
#include "core/if_var.h"
#include "core/ipf_var.h"
#include "core/ip_var.h"
#include "core/socket_var.h"

static pthread_mutex_t core_mtx = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local bool core_held;	/* this thread holds core_mtx */
static _Thread_local bool on_loop;	/* this thread runs a loop */
static _Thread_local int loop_index;	/* which: 0 on any other thread */

static pthread_mutex_t lib_mtx = PTHREAD_MUTEX_INITIALIZER; /* init, shutdown */
static _Atomic bool lib_running;
/*
 * The loops: lib_bases[0] is the main one (lib_base), the application's
 * with xkpi_init_with_base(), else the library's; the others, when
 * XKPI_THREADS asks for more than one, are always the library's.  Each
 * has one thread and a stop event.  Written at start and shutdown only.
 */
static struct event_base *lib_bases[XK_LOOPS_MAX];
#define lib_base	lib_bases[0]
static int lib_nloops = 1;
static bool lib_own_base;	/* lib_bases[0] is the library's */
static pthread_t lib_threads[XK_LOOPS_MAX];
static struct event *lib_stop_evs[XK_LOOPS_MAX];
static atomic_uint lib_next_loop;	/* xk_loop_pick's round robin */
static int lib_upcall_mode;
static pid_t lib_pid;		/* the process that started the library */
static pid_t lib_hook_pid;	/* the process that registered lib_atexit */
static int lib_log_level = XKPI_LOG_WARN;
/*
 * Why the library runs without its engine: a start from the environment
 * (the first KPI call) whose backend or interfaces could not start keeps
 * host TCP, UDP and local sockets working; raw sockets fail with this.
 * Written before lib_running is set, read after.
 */
static int lib_engine_error;
static _Atomic bool lib_noif_warned;	/* the "no interface" warning */

static pthread_mutex_t log_mtx = PTHREAD_MUTEX_INITIALIZER;
static xkpi_log_hook log_hook;
static void *log_ctx;

void
xk_core_lock(void)
{
	pthread_mutex_lock(&core_mtx);
	core_held = true;
}

void
xk_core_unlock(void)
{
	core_held = false;
	pthread_mutex_unlock(&core_mtx);
}

bool
xk_core_owned(void)
{
	return core_held;
}

void
xk_cond_init(pthread_cond_t *cv)
{
	pthread_condattr_t attr;

	/* Deadlines are g_get_monotonic_time() values: CLOCK_MONOTONIC. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &attr);
	pthread_condattr_destroy(&attr);
}

bool
xk_cond_wait(pthread_cond_t *cv, gint64 deadline_us)
{
	struct timespec ts;
	bool woke = true;

	core_held = false;
	if (deadline_us == 0) {
		pthread_cond_wait(cv, &core_mtx);
	} else {
		ts.tv_sec = (time_t)(deadline_us / G_USEC_PER_SEC);
		ts.tv_nsec = (long)(deadline_us % G_USEC_PER_SEC) * 1000;
		woke = pthread_cond_timedwait(cv, &core_mtx, &ts) != ETIMEDOUT;
	}
	core_held = true;
	return woke;
}

bool
xk_on_loop_thread(void)
{
	return on_loop;
}

bool
xk_loop_enter(void)
{
	bool was = on_loop;

	/* With an application's base, whoever runs our callbacks is it. */
	on_loop = true;
	return was;
}

void
xk_loop_leave(bool was)
{
	on_loop = was;
}

struct event_base *
xk_loop_base(void)
{
	return lib_base;
}

int
xk_loop_count(void)
{
	return lib_nloops;
}

struct event_base *
xk_loop_base_at(int i)
{
	return lib_bases[i % lib_nloops];
}

int
xk_loop_index(void)
{
	return loop_index;
}

bool
xk_on_loop(int i)
{
	return on_loop && loop_index == i;
}

int
xk_loop_pick(void)
{
	unsigned int n = atomic_fetch_add_explicit(&lib_next_loop, 1,
	    memory_order_relaxed);

	return (int)(n % (unsigned int)lib_nloops);
}

int
xk_lib_upcall_mode(void)
{
	return lib_upcall_mode;
}

/* Logging. */

void
xk_log(int level, const char *fmt, ...)
{
	xkpi_log_hook hook;
	char msg[512];
	va_list ap;
	void *ctx;

	if (level > lib_log_level || lib_log_level == XKPI_LOG_OFF) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&log_mtx);
	hook = log_hook;
	ctx = log_ctx;
	pthread_mutex_unlock(&log_mtx);
	if (hook != NULL) {
		hook(level, msg, ctx);
	} else {
		fprintf(stderr, "xkpi: %s\n", msg);
	}
}

XK_EXPORT void
xkpi_set_log_hook(xkpi_log_hook hook, void *ctx)
{
	pthread_mutex_lock(&log_mtx);
	log_hook = hook;
	log_ctx = ctx;
	pthread_mutex_unlock(&log_mtx);
}

/* An XKPI_LOG name to its level; EINVAL for a name it does not know. */
static int
parse_log_level(const char *s, int *level)
{
	static const char *names[] = { "off", NULL, "error", "warn", "info",
	    "debug" };

	for (int i = 0; i < (int)G_N_ELEMENTS(names); i++) {
		if (names[i] != NULL && strcasecmp(s, names[i]) == 0) {
			*level = i - 1;
			return 0;
		}
	}
	return EINVAL;
}

/* The loop thread. */

static void
stop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

/* Loop thread @arg: runs lib_bases[(intptr_t)arg] until stopped. */
static void *
loop_main(void *arg)
{
	int i = (int)(intptr_t)arg;

	on_loop = true;
	loop_index = i;
	event_base_loop(lib_bases[i], EVLOOP_NO_EXIT_ON_EMPTY);
	on_loop = false;
	return NULL;
}

/*
 * The number of loops: cfg->threads, else XKPI_THREADS, else 1.  A bad
 * value is an error (EINVAL), logged: a program that asked for threads
 * must not silently get one.
 */
static int
loops_choose(const struct xkpi_config *cfg, int *np)
{
	const char *env = getenv("XKPI_THREADS");
	unsigned long n;
	char *end;

	*np = 1;
	if (cfg->threads != 0) {
		if (cfg->threads > XK_LOOPS_MAX) {
			xk_log(XKPI_LOG_ERROR, "struct xkpi_config: threads %u "
			    "is over %d", cfg->threads, XK_LOOPS_MAX);
			return EINVAL;
		}
		*np = (int)cfg->threads;
		return 0;
	}
	if (env == NULL || *env == '\0') {
		return 0;
	}
	errno = 0;
	n = strtoul(env, &end, 10);
	if (errno != 0 || *end != '\0' || n < 1 || n > XK_LOOPS_MAX ||
	    *env == '-' || *env == '+') {
		xk_log(XKPI_LOG_ERROR, "XKPI_THREADS=%s is not a number of "
		    "loop threads from 1 to %d", env, XK_LOOPS_MAX);
		return EINVAL;
	}
	*np = (int)n;
	return 0;
}

/* Stops and joins the library's loop threads from @from on. */
static void
loops_stop(int from)
{
	for (int i = from; i < lib_nloops; i++) {
		if (lib_stop_evs[i] != NULL) {
			event_active(lib_stop_evs[i], 0, 0);
			pthread_join(lib_threads[i], NULL);
		}
	}
}

/* Frees the library's bases from @from on, and every stop event. */
static void
loops_free(int from)
{
	for (int i = 0; i < lib_nloops; i++) {
		if (lib_stop_evs[i] != NULL) {
			event_free(lib_stop_evs[i]);
			lib_stop_evs[i] = NULL;
		}
		if (i >= from && lib_bases[i] != NULL) {
			event_base_free(lib_bases[i]);
		}
		lib_bases[i] = NULL;
	}
	lib_nloops = 1;
}

/*
 * libevent keeps a base's pending timers in a heap that grows (realloc)
 * the first time more are pending at once than ever before, on whatever
 * thread adds the timer: a sender's too (the linux TX ring's tail
 * timer).  Grown here once to LOOP_TIMERS with timers that never fire,
 * so that while no more are pending at once, a timer added on the packet
 * path allocates nothing.
 */
#define LOOP_TIMERS	64

static void
loop_noop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

static int
loop_reserve_timers(struct event_base *base)
{
	struct event *evs[LOOP_TIMERS];
	struct timeval tv = { 3600, 0 };
	int error = 0, n;

	for (n = 0; n < LOOP_TIMERS; n++) {
		if ((evs[n] = evtimer_new(base, loop_noop_cb, NULL)) == NULL) {
			error = ENOMEM;
			break;
		}
		if (evtimer_add(evs[n], &tv) != 0) {
			event_free(evs[n]);
			error = ENOMEM;
			break;
		}
	}
	while (n-- > 0) {
		event_free(evs[n]);
	}
	return error;
}

/*
 * Makes the library's bases from @from to lib_nloops - 1, grows every
 * base's timer heap (loop_reserve_timers), and makes a stop event on
 * every base the library runs (@from on; 0 too when @own).
 */
static int
loops_new(int from, bool own)
{
	for (int i = from; i < lib_nloops; i++) {
		if ((lib_bases[i] = event_base_new()) == NULL) {
			return ENOMEM;
		}
	}
	for (int i = 0; i < lib_nloops; i++) {
		if (loop_reserve_timers(lib_bases[i]) != 0) {
			return ENOMEM;
		}
	}
	for (int i = own ? 0 : 1; i < lib_nloops; i++) {
		lib_stop_evs[i] = event_new(lib_bases[i], -1, 0, stop_cb,
		    lib_bases[i]);
		if (lib_stop_evs[i] == NULL) {
			return ENOMEM;
		}
	}
	return 0;
}

/*
 * Starts a thread for every base the library runs; on a failure, stops
 * those started.
 */
static int
loops_run(bool own)
{
	int error;

	for (int i = own ? 0 : 1; i < lib_nloops; i++) {
		if ((error = pthread_create(&lib_threads[i], NULL, loop_main,
		    (void *)(intptr_t)i)) != 0) {
			xk_log(XKPI_LOG_ERROR, "cannot start loop thread %d: "
			    "%s", i, strerror(error));
			for (int j = own ? 0 : 1; j < i; j++) {
				event_active(lib_stop_evs[j], 0, 0);
				pthread_join(lib_threads[j], NULL);
			}
			return error;
		}
	}
	return 0;
}

/*
 * What a user can do about @error, which backend @backend gave when it
 * opened (@ifname NULL) or attached interface @ifname: the end of the one
 * line that says the library could not start.
 */
static const char *
start_hint(const char *backend, const char *ifname, int error, char *buf,
    size_t size)
{
	const char *caps = xk_backend_caps(backend);
	char upper[64];
	size_t i, j;

	switch (error) {
	case EPERM:
	case EACCES:
		if (caps == NULL) {
			break;
		}
		/* "cap_net_admin,cap_net_raw": "CAP_NET_ADMIN and CAP_NET_RAW" */
		for (i = 0, j = 0; caps[i] != '\0' && j < sizeof(upper) - 6;
		    i++) {
			if (caps[i] == ',') {
				memcpy(upper + j, " and ", 5);
				j += 5;
			} else {
				upper[j++] = g_ascii_toupper(caps[i]);
			}
		}
		upper[j] = '\0';
		snprintf(buf, size, " (backend %s needs %s: run as root, or "
		    "grant it with setcap %s+ep PROGRAM)", backend, upper, caps);
		return buf;
	case ENXIO:
	case ENODEV:
		if (ifname != NULL) {
			return " (the host has no interface of that name: see "
			    "ip link)";
		}
		break;
	case EEXIST:
		return " (named twice)";
	case EINVAL:
		if (ifname != NULL) {
			return " (an interface name is empty or too long)";
		}
		break;
	default:
		break;
	}
	return "";
}

/*
 * Opens the backend and attaches the interfaces of @ifaces, a
 * comma-separated list (NULL or empty: none).  All or nothing; a failure
 * is logged in one line, at the default level, saying what to do about
 * it.  @lazy: the start of a first KPI call, which goes on without the
 * engine (lib_start_locked), and the line says so.
 */
static int
engine_start(const char *backend, const char *ifaces, bool lazy)
{
	gchar **names = NULL;
	char *failed = NULL;
	char hint[192];
	int error;

	if ((error = xk_engine_open(backend, lib_base)) == 0) {
		if (ifaces == NULL || *ifaces == '\0') {
			ifaces = "";
		}
		names = g_strsplit(ifaces, ",", -1);
		for (gchar **n = names; *n != NULL && error == 0; n++) {
			g_strstrip(*n);
			if ((error = xk_engine_attach(*n)) != 0) {
				failed = *n;
			}
		}
		if (error != 0) {
			xk_engine_close();
		}
	}
	if (error != 0) {
		xk_log(XKPI_LOG_ERROR, "backend %s cannot start%s%s%s: %s%s%s",
		    backend, failed != NULL ? ": interface '" : "",
		    failed != NULL ? failed : "", failed != NULL ? "'" : "",
		    strerror(error), start_hint(backend, failed, error, hint,
		    sizeof(hint)), lazy ? "; host TCP, UDP and local sockets "
		    "work, raw sockets fail with this error" : "");
	}
	g_strfreev(names);
	return error;
}

/*
 * At exit() (or a return from main), while the library runs: what the
 * backend accepted for output leaves, within XK_DRAIN_MS, or is counted
 * and logged (xk_engine_drain).  Nothing is torn down: other threads,
 * the loop among them, may still run.  Not in a child that inherited the
 * library through fork(): those packets are its parent's to send.  Not
 * when this thread holds the core lock (a panic or log hook that exits),
 * nor while xkpi_init() or xkpi_shutdown() runs elsewhere (which drains).
 */
static void
lib_atexit(void)
{
	if (getpid() != lib_pid || xk_core_owned() ||
	    pthread_mutex_trylock(&lib_mtx) != 0) {
		return;
	}
	if (atomic_load(&lib_running)) {
		xk_engine_drain("exit");
	}
	pthread_mutex_unlock(&lib_mtx);
}

/*
 * The library started: arm the exit hook, once per process (a child of
 * fork() arms its own, so that it runs before the exit handlers the
 * child registered before starting the library, as in its parent).
 */
static void
lib_started_locked(void)
{
	lib_pid = getpid();
	if (lib_hook_pid != lib_pid && atexit(lib_atexit) == 0) {
		lib_hook_pid = lib_pid;
	}
	atomic_store(&lib_running, true);
}

/*
 * What a `size` of 0 stands for: the fields the structure had when `size`
 * came, backend to mbuf_limit_bytes.  Never to grow with the structure.
 */
#define CFG_SIZE0	(offsetof(struct xkpi_config, mbuf_limit_bytes) + \
	sizeof(((struct xkpi_config *)0)->mbuf_limit_bytes))

/* Copies field @f of @in to @out when it lies wholly within @size bytes. */
#define CFG_FIELD(out, in, size, f) do {				\
	if (offsetof(struct xkpi_config, f) + sizeof((in)->f) <=	\
	    (size)) {							\
		memcpy(&(out)->f, &(in)->f, sizeof((in)->f));		\
	}								\
} while (0)

/*
 * Reads the caller's configuration into @out, a whole structure: only
 * the fields within the caller's `size` (0: CFG_SIZE0), every other one
 * left 0, its default.  Bytes past our structure must be 0 (E2BIG).
 */
static int
config_read(const struct xkpi_config *in, struct xkpi_config *out)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t size;

	memset(out, 0, sizeof(*out));
	if (in == NULL) {
		return 0;
	}
	size = in->size != 0 ? in->size : CFG_SIZE0;
	if (size < sizeof(in->size)) {
		return EINVAL;
	}
	for (size_t i = sizeof(*out); i < size; i++) {
		if (p[i] != 0) {
			return E2BIG;
		}
	}
	CFG_FIELD(out, in, size, backend);
	CFG_FIELD(out, in, size, ifaces);
	CFG_FIELD(out, in, size, log_level);
	CFG_FIELD(out, in, size, upcall_mode);
	CFG_FIELD(out, in, size, mbuf_limit_bytes);
	CFG_FIELD(out, in, size, threads);
	out->size = sizeof(*out);
	return 0;
}

/*
 * The engine and the stats socket.  A @lazy start whose engine cannot
 * start goes on without it (lib_engine_error says why): host sockets need
 * no backend.
 */
static int
lib_services_start(const char *backend, const char *ifaces, bool lazy)
{
	int error;

	lib_engine_error = 0;
	atomic_store(&lib_noif_warned, false);
	if ((error = engine_start(backend, ifaces, lazy)) != 0) {
		if (!lazy) {
			return error;
		}
		lib_engine_error = error;
	} else if (lib_log_level >= XKPI_LOG_DEBUG) {
		xk_trace_attach();
	}
	if ((error = xk_statsd_start(lib_base)) != 0) {
		xk_engine_close();
		lib_engine_error = 0;
	}
	return error;
}

/*
 * @lazy: started by a first KPI call, from the environment alone, rather
 * than by xkpi_init() or xkpi_init_with_base().
 */
static int
lib_start_locked(struct event_base *base, const struct xkpi_config *ucfg,
    bool lazy)
{
	const char *env, *backend, *ifaces;
	const struct xk_backend_ops *ops;
	struct xkpi_config cfgbuf;
	const struct xkpi_config *cfg = &cfgbuf;
	char names[96];
	bool own;
	int error;

	int level = XKPI_LOG_WARN, mode = XKPI_UPCALL_X86_64;

	/* Until the level is chosen, what goes wrong shows at the default. */
	lib_log_level = XKPI_LOG_WARN;
	/* From here on only the fields the caller's size covers. */
	if ((error = config_read(ucfg, &cfgbuf)) != 0) {
		xk_log(XKPI_LOG_ERROR, "struct xkpi_config: %s size %zu",
		    error == E2BIG ? "unknown fields set in" : "bad",
		    ucfg->size);
		return error;
	}
	if (cfg->log_level != XKPI_LOG_DEFAULT) {
		if (cfg->log_level < XKPI_LOG_OFF ||
		    cfg->log_level > XKPI_LOG_DEBUG) {
			xk_log(XKPI_LOG_ERROR, "struct xkpi_config: log_level "
			    "%d is not an enum xkpi_log_level", cfg->log_level);
			return EINVAL;
		}
		level = cfg->log_level;
	} else if ((env = getenv("XKPI_LOG")) != NULL && *env != '\0' &&
	    parse_log_level(env, &level) != 0) {
		/* A typo must not silence the library, nor stop it. */
		xk_log(XKPI_LOG_WARN, "XKPI_LOG=%s is not off, error, warn, "
		    "info or debug: logging at warn", env);
		level = XKPI_LOG_WARN;
	}
	lib_log_level = level;
	backend = cfg->backend != NULL ? cfg->backend : getenv("XKPI_BACKEND");
	if (backend == NULL || *backend == '\0') {
		backend = "mem";
	}
	if ((ops = xk_backend_lookup(backend)) == NULL) {
		error = xk_backend_known(backend) ? ENOTSUP : EINVAL;
		xk_backend_names(true, names, sizeof(names));
		if (error == ENOTSUP) {
			xk_log(XKPI_LOG_ERROR, "backend %s is not built in: "
			    "this build has %s (configure --with-backends)",
			    backend, names);
		} else {
			xk_log(XKPI_LOG_ERROR, "backend '%s' is unknown: this "
			    "build has %s", backend, names);
		}
		return error;
	}
	if (cfg->upcall_mode != XKPI_UPCALL_X86_64) {
		if (cfg->upcall_mode != XKPI_UPCALL_ARM64) {
			xk_log(XKPI_LOG_ERROR, "struct xkpi_config: upcall_mode "
			    "%d is not an enum xkpi_upcall_mode",
			    (int)cfg->upcall_mode);
			return EINVAL;
		}
		mode = XKPI_UPCALL_ARM64;
	} else if ((env = getenv("XKPI_UPCALL")) != NULL &&
	    strcmp(env, "arm64") == 0) {
		mode = XKPI_UPCALL_ARM64;
	}
	lib_upcall_mode = mode;
	if ((error = loops_choose(cfg, &lib_nloops)) != 0) {
		return error;
	}
	/* The rule table, before any packet can flow (XKPI_FW). */
	if ((error = xk_fw_init_env()) != 0) {
		return error;
	}
	xk_mb_set_byte_limit(cfg->mbuf_limit_bytes);
	if ((ifaces = cfg->ifaces) == NULL &&
	    (ifaces = getenv("XKPI_IFACES")) != NULL && *ifaces != '\0' &&
	    (ops->be_features & XK_BEF_VIRTUAL)) {
		/* Most likely XKPI_BACKEND was forgotten. */
		xk_log(XKPI_LOG_WARN, "XKPI_IFACES=%s with backend %s: each "
		    "name becomes a virtual interface, not the host's (set "
		    "XKPI_BACKEND=linux or pcap for those)", ifaces, backend);
	}
	own = base == NULL;
	if ((own || lib_nloops > 1) && evthread_use_pthreads() != 0) {
		error = ENOMEM;
	} else if (own) {
		error = loops_new(0, true);
	} else {
		lib_bases[0] = base;
		error = loops_new(1, false);
	}
	if (error != 0) {
		xk_log(XKPI_LOG_ERROR, "cannot start: no event base (%s)",
		    strerror(error));
		goto fail;
	}
	lib_own_base = own;
	if ((error = lib_services_start(backend, ifaces, lazy)) != 0) {
		goto fail;
	}
	if ((error = loops_run(own)) != 0) {
		xk_statsd_stop();
		xk_engine_close();
		goto fail;
	}
	lib_started_locked();
	xk_log(XKPI_LOG_INFO, "started, backend %s, %d loop thread%s",
	    backend, lib_nloops, lib_nloops > 1 ? "s" : "");
	return 0;
fail:
	loops_free(own ? 0 : 1);
	xk_fw_reset();
	return error;
}

int
xk_lib_ensure(void)
{
	int error = 0;

	if (atomic_load_explicit(&lib_running, memory_order_acquire)) {
		return 0;
	}
	pthread_mutex_lock(&lib_mtx);
	if (!atomic_load(&lib_running)) {
		error = lib_start_locked(NULL, NULL, true);
	}
	pthread_mutex_unlock(&lib_mtx);
	return error;
}

XK_EXPORT errno_t
xkpi_init(const struct xkpi_config *cfg)
{
	int error = 0;

	pthread_mutex_lock(&lib_mtx);
	if (!atomic_load(&lib_running)) {
		error = lib_start_locked(NULL, cfg, false);
	}
	pthread_mutex_unlock(&lib_mtx);
	return error;
}

XK_EXPORT errno_t
xkpi_init_with_base(struct event_base *base, const struct xkpi_config *cfg)
{
	int error;

	if (base == NULL) {
		return EINVAL;
	}
	pthread_mutex_lock(&lib_mtx);
	error = atomic_load(&lib_running) ? EBUSY :
	    lib_start_locked(base, cfg, false);
	pthread_mutex_unlock(&lib_mtx);
	return error;
}

XK_EXPORT errno_t
xkpi_if_attach(const char *name)
{
	int error;

	if ((error = xk_lib_ensure()) != 0) {
		return error;
	}
	if (lib_engine_error != 0) {
		return lib_engine_error;
	}
	return xk_engine_attach(name);
}

XK_EXPORT errno_t
xkpi_if_detach(const char *name)
{
	struct xk_backend *be;
	int error;

	if (name == NULL || *name == '\0' || strlen(name) >= IF_NAMESIZE) {
		return EINVAL;
	}
	if (!atomic_load(&lib_running)) {
		return ENXIO;
	}
	xk_core_lock();
	be = xk_engine_backend();
	xk_core_unlock();
	if (be == NULL || be->be_ops->be_detach == NULL) {
		return ENXIO;
	}
	if ((error = be->be_ops->be_detach(be, name)) == 0) {
		xk_log(XKPI_LOG_INFO, "interface %s detached", name);
	}
	return error;
}

int
xk_lib_raw_check(void)
{
	struct xk_backend *be;
	const char *name = NULL;

	if (lib_engine_error != 0) {
		return lib_engine_error;
	}
	if (atomic_load(&lib_noif_warned)) {
		return 0;
	}
	xk_core_lock();
	be = xk_engine_backend();
	if (be != NULL && xk_if_count_locked() == 0 &&
	    !(be->be_ops->be_features & (XK_BEF_VIRTUAL | XK_BEF_INTERCEPT))) {
		name = be->be_ops->be_name;
	}
	xk_core_unlock();
	if (name != NULL && !atomic_exchange(&lib_noif_warned, true)) {
		xk_log(XKPI_LOG_WARN, "backend %s has no interface: raw "
		    "sockets receive nothing until XKPI_IFACES or "
		    "xkpi_if_attach() names one", name);
	}
	return 0;
}

static void (*atshutdown[XK_ATSHUTDOWN_MAX])(void);

void
xk_atshutdown(void (*fn)(void))
{
	pthread_mutex_lock(&lib_mtx);
	for (int i = 0; i < XK_ATSHUTDOWN_MAX; i++) {
		if (atshutdown[i] == fn) {
			break;
		}
		if (atshutdown[i] == NULL) {
			atshutdown[i] = fn;
			break;
		}
	}
	pthread_mutex_unlock(&lib_mtx);
}

XK_EXPORT void
xkpi_shutdown(void)
{
	if (on_loop && (lib_own_base || loop_index != 0)) {
		/* A loop thread cannot wait for itself to stop. */
		xk_log(XKPI_LOG_ERROR, "xkpi_shutdown called from an upcall");
		return;
	}
	pthread_mutex_lock(&lib_mtx);
	if (!atomic_load(&lib_running)) {
		pthread_mutex_unlock(&lib_mtx);
		return;
	}
	loops_stop(lib_own_base ? 0 : 1);
	/* No loop runs now: tear every socket down on this thread. */
	xk_so_shutdown_all();
	xk_statsd_stop();
	xk_engine_close();
	xk_fw_reset();
	/* Filters still attached are detached: no packet moves now. */
	xk_ipf_reset();
	for (int i = 0; i < XK_ATSHUTDOWN_MAX && atshutdown[i] != NULL; i++) {
		atshutdown[i]();
	}
	loops_free(lib_own_base ? 0 : 1);
	xk_host_reclaim();
	atomic_store(&lib_running, false);
	xk_mb_reclaim();
	pthread_mutex_unlock(&lib_mtx);
}
