/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The engine's socket: XNU's state, socket buffers of mbuf records, the
 * upcall slots and the protocol switch.  Private to the library.
 *
 * Locking: one core lock (xk_core_lock) guards every field below that is
 * not marked otherwise.  Functions named *_locked expect it held.
 */
#ifndef _XK_CORE_SOCKET_VAR_H_
#define _XK_CORE_SOCKET_VAR_H_

#include <glib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <sys/kpi_socket.h>

#include "core/mbuf_var.h"

/* so_state, XNU's values. */
#define SS_NOFDREF		0x0001
#define SS_ISCONNECTED		0x0002
#define SS_ISCONNECTING		0x0004
#define SS_ISDISCONNECTING	0x0008
#define SS_CANTSENDMORE		0x0010
#define SS_CANTRCVMORE		0x0020
#define SS_RCVATMARK		0x0040
#define SS_PRIV			0x0080
#define SS_NBIO			0x0100
#define SS_ASYNC		0x0200
#define SS_INCOMP		0x0800
#define SS_COMP			0x1000
#define SS_ISDISCONNECTED	0x2000

/* so_options, with XNU's bit values (getsockopt reports these). */
#define SO_OPT_DEBUG		0x0001
#define SO_OPT_ACCEPTCONN	0x0002
#define SO_OPT_REUSEADDR	0x0004
#define SO_OPT_KEEPALIVE	0x0008
#define SO_OPT_DONTROUTE	0x0010
#define SO_OPT_BROADCAST	0x0020
#define SO_OPT_OOBINLINE	0x0100
#define SO_OPT_REUSEPORT	0x0200
#define SO_OPT_TIMESTAMP	0x0400
#define SO_OPT_DONTTRUNC	0x2000

/* so_flags, XNU's values where XNU has them. */
#define SOF_NOSIGPIPE		0x0001
#define SOF_NOADDRAVAIL		0x0002
#define SOF_CLOSEWAIT		0x0010
#define SOF_UPCALLCLOSEWAIT	0x0800
#define SOF_KPICLOSED		0x04000000	/* sock_close() was called */
#define SOF_CLOSING		0x08000000	/* close begun: no new upcalls */
#define SOF_CLOSED		0x10000000	/* really closed: calls get EBADF */
#define SOF_DETACHED		0x20000000	/* protocol state gone */
#define SOF_LINGER		0x40000000	/* closed, still sending */
#define SOF_FORCE		0x80000000	/* detach now, drop unsent */

/* sb_flags. */
#define SB_NOINTR		0x0002
#define SB_UPCALL		0x0020
#define SB_STOPPED		0x1000	/* host reads paused: buffer full */
#define SB_PEEREOF		0x2000	/* the peer's end of file came */

struct xk_sockbuf {
	struct __mbuf	*sb_mb;		/* first record */
	struct __mbuf	*sb_lastrecord;
	uint32_t	 sb_cc;		/* bytes queued, all kinds */
	uint32_t	 sb_ctl;	/* of which address and control */
	uint32_t	 sb_hiwat;
	uint32_t	 sb_lowat;
	uint32_t	 sb_flags;
	sock_upcall	 sb_upcall;
	void		*sb_upcallarg;
	struct timeval	 sb_timeo;	/* SO_RCVTIMEO / SO_SNDTIMEO */
};

struct xk_protosw;

/*
 * so_magic: what the memory behind a socket_t says it is.  Checked at
 * every KPI entry (xk_so_check); a freed socket's memory waits in a
 * quarantine of XK_SO_QUARANTINE sockets before it goes back to the
 * heap, still saying XK_SO_FREED, so a stale handle is caught.
 */
#define XK_SO_LIVE		0x6b636f73u	/* open */
#define XK_SO_CLOSED		0x6c636f73u	/* really closed, memory held */
#define XK_SO_FREED		0x6664656bu	/* in the quarantine */
#define XK_SO_QUARANTINE	64

struct __socket {
	_Atomic uint32_t so_magic;	/* first: the quarantine keeps it */

	/* Identity, fixed at creation. */
	int		 so_domain;
	int		 so_type;
	int		 so_protocol;
	const struct xk_protosw *so_proto;

	/* XNU's state. */
	uint32_t	 so_state;
	uint32_t	 so_options;
	uint32_t	 so_flags;
	int		 so_error;
	int		 so_tclass;
	struct xk_sockbuf so_rcv;
	struct xk_sockbuf so_snd;

	/* References: the KPI's (creator + retains) and the engine's. */
	int		 so_usecount;	/* creator and sock_retain()s */
	int		 so_retaincnt;
	int		 so_refs;	/* memory: so_usecount + in flight */
	int		 so_upcallusecount; /* upcalls running now */
	int		 so_waiters;	/* threads blocked in a KPI call */

	/* Events (sock_catchevents). */
	sock_evupcall	 so_event;
	void		*so_eventarg;
	uint32_t	 so_eventmask;

	/* Work for the loop thread (see xk_so_kick_locked). */
	uint32_t	 so_pend_hints;	/* SO_FILT_HINT_* to deliver */
	uint32_t	 so_pend;	/* XK_PEND_* */
	bool		 so_kicked;

	/* Listener. */
	struct __socket	*so_head;	/* on a listen queue of this one */
	GQueue		 so_comp;	/* completed connections */
	int		 so_qlimit;

	pthread_cond_t	 so_cv;		/* blocked readers, writers, closers */
	GList		 so_link;	/* in the list of all sockets */

	void		*so_pcb;	/* the protocol's own state */

	/*
	 * The loop that runs this socket's upcalls, event callbacks and
	 * host I/O: one thread, so that they never run at once.
	 */
	int		 so_loop;	/* xk_loop_base_at(so_loop) */

	/* Protocol state: host sockets. */
	int		 so_fd;
	struct event	*so_rev;	/* readable, loop thread only */
	struct event	*so_wev;	/* writable, loop thread only */
	struct event	*so_kick;	/* loop-thread work, any thread */
	bool		 so_wev_on;	/* loop thread only */
};

/* so_pend: work the kick callback does on the loop thread. */
#define XK_PEND_RUPCALL		0x01	/* call the read upcall */
#define XK_PEND_WUPCALL		0x02	/* call the write upcall */
#define XK_PEND_REARM_READ	0x04	/* buffer has room: read the host */
#define XK_PEND_WANT_WRITE	0x08	/* wait for the host to be writable */
#define XK_PEND_TEARDOWN	0x10	/* detach and drop the loop's ref */

/* Protocol switch, FreeBSD style: one typedef per slot. */
typedef int	pr_attach_t(struct __socket *so);
/* Returns false to keep the socket (sending what is queued) a while. */
typedef bool	pr_detach_t(struct __socket *so);
typedef int	pr_bind_t(struct __socket *so, const struct sockaddr *sa,
		    socklen_t len);
typedef int	pr_connect_t(struct __socket *so, const struct sockaddr *sa,
		    socklen_t len);
typedef int	pr_disconnect_t(struct __socket *so);
typedef int	pr_shutdown_t(struct __socket *so, int how);
typedef int	pr_send_t(struct __socket *so, struct __mbuf *m,
		    const struct sockaddr *to, socklen_t tolen,
		    const void *control, size_t controllen, int flags);
/*
 * Optional, for datagram protocols: sends the datagram of @len bytes in
 * @iov straight from the caller's memory, without an mbuf (sock_send's
 * one copy).  XK_SEND_SLOW when it must go through pr_send instead:
 * nothing has happened to it then.  Core lock held.
 */
#define XK_SEND_SLOW	(-1)
struct iovec;
typedef int	pr_send_direct_t(struct __socket *so,
		    const struct sockaddr *to, socklen_t tolen,
		    const struct iovec *iov, int iovcnt, size_t len,
		    int flags);
typedef int	pr_ctloutput_t(struct __socket *so, bool set, int level,
		    int name, void *val, socklen_t *len);
typedef int	pr_sockaddr_t(struct __socket *so,
		    struct sockaddr_storage *ss, socklen_t *len);
typedef int	pr_listen_t(struct __socket *so, int backlog);
typedef void	pr_loop_t(struct __socket *so, uint32_t pend);
typedef void	pr_rcvpull_t(struct __socket *so);

#define XK_PR_ANY	(-1)	/* pr_protocol: any protocol number */

#define PR_ATOMIC	0x01	/* datagrams: sends are all or nothing */
#define PR_ADDR		0x02	/* records carry the source address */
#define PR_CONNREQUIRED	0x04	/* streams */
#define PR_NOCONNECT	0x08	/* connect and accept: EOPNOTSUPP (divert) */

struct xk_protosw {
	int		 pr_domain;
	int		 pr_type;
	int		 pr_protocol;	/* 0: matches a request for 0 */
	uint32_t	 pr_flags;
	const char	*pr_name;
	uint32_t	 pr_sndspace;	/* default sb_hiwat, XNU's */
	uint32_t	 pr_rcvspace;
	pr_attach_t	*pr_attach;
	pr_detach_t	*pr_detach;	/* runs on the loop thread, unlocked */
	pr_bind_t	*pr_bind;
	pr_connect_t	*pr_connect;
	pr_disconnect_t	*pr_disconnect;
	pr_shutdown_t	*pr_shutdown;
	pr_send_t	*pr_send;
	pr_send_direct_t *pr_send_direct;	/* may be NULL */
	pr_ctloutput_t	*pr_ctloutput;
	pr_sockaddr_t	*pr_sockaddr;
	pr_sockaddr_t	*pr_peeraddr;
	pr_listen_t	*pr_listen;
	pr_loop_t	*pr_loop;	/* loop-thread work, locked */
	pr_rcvpull_t	*pr_rcvpull;	/* loop thread, locked: read what the
					   host holds now (may be NULL) */
};

/* The protocol switch (core/proto.c). */
int	xk_pr_find(int domain, int type, int protocol,
	    const struct xk_protosw **prp);
extern const struct xk_protosw xk_host_protosw[];
extern const size_t xk_host_nprotosw;
extern const struct xk_protosw xk_rip_protosw[];
extern const size_t xk_rip_nprotosw;
extern const struct xk_protosw xk_rip6_protosw[];
extern const size_t xk_rip6_nprotosw;
extern const struct xk_protosw xk_div_protosw[];
extern const size_t xk_div_nprotosw;
extern const struct xk_protosw xk_send_protosw[];
extern const size_t xk_send_nprotosw;

/* Tests only: make the next sockets unprivileged, as for a plain user. */
void	xk_so_force_unprivileged(bool on);

/* Not-supported defaults, installed where a protocol leaves NULL. */
int	xk_pru_notsupp(void);

/* The core lock (core/loop.c). */
void	xk_core_lock(void);
void	xk_core_unlock(void);
bool	xk_core_owned(void);
#define XK_LOCK_ASSERT()	g_assert(xk_core_owned())
/* Waits on @cv with the core lock; @deadline_us 0 means forever. */
bool	xk_cond_wait(pthread_cond_t *cv, gint64 deadline_us);
void	xk_cond_init(pthread_cond_t *cv);
bool	xk_on_loop_thread(void);
/* A loop callback starts; returns the thread's previous state. */
bool	xk_loop_enter(void);
/* The callback ends: an application's thread is its own again. */
void	xk_loop_leave(bool was);
struct event_base;
/*
 * The loops (XKPI_THREADS): xk_loop_base() is the main one, which runs
 * timers, the backends' housekeeping and what has no other home;
 * xk_loop_base_at(i) is loop i modulo xk_loop_count(); xk_loop_pick()
 * deals the loops' numbers out in turn (a new socket's home);
 * xk_loop_index() is the loop the calling thread runs (0 on a thread that
 * runs none); xk_on_loop(i): the calling thread runs loop i now.
 */
#define XK_LOOPS_MAX	16
struct event_base *xk_loop_base(void);
struct event_base *xk_loop_base_at(int i);
int	xk_loop_pick(void);
int	xk_loop_count(void);
int	xk_loop_index(void);
bool	xk_on_loop(int i);
int	xk_lib_ensure(void);
/*
 * Adds @fn to what xkpi_shutdown() calls once no loop runs, before the
 * base goes (the kext set's timers); at most XK_ATSHUTDOWN_MAX, each once.
 */
#define XK_ATSHUTDOWN_MAX	4
void	xk_atshutdown(void (*fn)(void));
/*
 * Before a raw socket is made: 0, or why the library runs without its
 * engine (a start from the environment whose backend could not start);
 * warns once when a host backend has no interface.
 */
int	xk_lib_raw_check(void);
/* XKPI_LOG=debug: a log line per packet in and out (core/trace.c). */
void	xk_trace_attach(void);
/* The stats service of XKPI_STATS_SOCKET (core/statsd.c). */
int	xk_statsd_start(struct event_base *base);
/* Frees the host sockets' buffers once no loop runs (core/host.c). */
void	xk_host_reclaim(void);
void	xk_statsd_stop(void);
int	xk_lib_upcall_mode(void);

/* Sockets (core/socket.c). */
/*
 * The misuse detector: a KPI entry given a socket_t that is not open
 * (closed, freed, or not a socket) calls the panic hook and fails with
 * EBADF.  One relaxed load on the fast path.
 */
int	xk_so_misuse(const struct __socket *so, const char *fn);
static inline int
xk_so_check(const struct __socket *so, const char *fn)
{
	if (__builtin_expect(atomic_load_explicit(&so->so_magic,
	    memory_order_relaxed) == XK_SO_LIVE, 1)) {
		return 0;
	}
	return xk_so_misuse(so, fn);
}
int	xk_so_create(int domain, int type, int protocol,
	    struct __socket **sop);
struct __socket *xk_so_alloc_child_locked(struct __socket *head, int fd);
void	xk_so_ref_locked(struct __socket *so);
void	xk_so_unref_locked(struct __socket *so);
void	xk_so_kick_locked(struct __socket *so, uint32_t pend);
void	xk_soevent_locked(struct __socket *so, uint32_t hints);
void	xk_sorwakeup_locked(struct __socket *so);
void	xk_sowwakeup_locked(struct __socket *so);
void	xk_soisconnecting_locked(struct __socket *so);
void	xk_soisconnected_locked(struct __socket *so);
void	xk_soisdisconnected_locked(struct __socket *so);
void	xk_socantsendmore_locked(struct __socket *so);
void	xk_socantrcvmore_locked(struct __socket *so);
void	xk_soclose_locked(struct __socket *so);
void	xk_so_setupcalls_locked(struct __socket *so, sock_upcall rcb,
	    void *rarg, sock_upcall wcb, void *warg);
void	xk_so_shutdown_all(void);
void	xk_so_detach_done_locked(struct __socket *so);
int	xk_so_count(void);

/* Socket buffers. */
static inline uint32_t
xk_sbspace(const struct xk_sockbuf *sb)
{
	return sb->sb_hiwat > sb->sb_cc ? sb->sb_hiwat - sb->sb_cc : 0;
}
int	xk_sbappendaddr_locked(struct xk_sockbuf *sb,
	    const struct sockaddr *sa, socklen_t salen, struct __mbuf *data,
	    const void *control, size_t controllen);
void	xk_sbappendstream_locked(struct xk_sockbuf *sb, struct __mbuf *m);
void	xk_sbflush_locked(struct xk_sockbuf *sb);
uint32_t xk_sb_datalen(const struct xk_sockbuf *sb);
int	xk_sb_reserve(struct __socket *so, struct xk_sockbuf *sb,
	    uint64_t bytes);

/* Generic send and receive with XNU's blocking rules (core/sockio.c). */
struct xk_uio;
int	xk_sosend(struct __socket *so, const struct sockaddr *to,
	    socklen_t tolen, struct __mbuf *top, const void *control,
	    size_t controllen, int flags, bool atomic_mbuf, size_t *sent);
/*
 * xk_sosend for a datagram in the caller's @iov, through pr_send_direct;
 * XK_SEND_SLOW when it must go by xk_sosend in an mbuf (no fast path for
 * this protocol or this datagram, control data, or a wait for room).
 */
int	xk_sosend_direct(struct __socket *so, const struct sockaddr *to,
	    socklen_t tolen, const struct iovec *iov, int iovcnt, size_t len,
	    int flags, size_t *sent);
int	xk_soreceive(struct __socket *so, struct msghdr *msg,
	    struct __mbuf **mp, size_t *resid, int flags);
int	xk_soconnect(struct __socket *so, const struct sockaddr *sa,
	    socklen_t len, int flags);
int	xk_soaccept(struct __socket *so, int flags, struct __socket **childp);
int	xk_soshutdown(struct __socket *so, int how);
int	xk_sosetopt(struct __socket *so, int level, int name, const void *val,
	    socklen_t len);
int	xk_sogetopt(struct __socket *so, int level, int name, void *val,
	    socklen_t *len);

/* Address lengths come from the family: Linux has no sa_len. */
socklen_t xk_sa_len(const struct sockaddr *sa);

/* Counters. */
struct xk_so_counters {
	uint64_t	rcv_full;	/* loop paused reading: buffer full */
	uint64_t	upcalls;
	uint64_t	events;
};
extern struct xk_so_counters xk_so_stats;

/* Host sockets' counters (core/host.c), under the core lock. */
struct xk_host_counters {
	uint64_t	rx_full;	/* datagrams dropped: buffer full */
	uint64_t	rx_nomem;	/* datagrams dropped: no mbufs */
	uint64_t	accept_fail;
	uint64_t	tx_lost;	/* bytes unsent at close */
};
extern struct xk_host_counters xk_host_stats;

/* Calls @fn for every socket not being closed, with the lock held. */
void	xk_so_foreach_locked(void (*fn)(struct __socket *, void *), void *ctx);

#endif /* _XK_CORE_SOCKET_VAR_H_ */
