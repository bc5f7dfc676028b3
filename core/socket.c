/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Sockets: creation, references, the state changes of uipc_socket2.c,
 * and the delivery of upcalls and events on the loop thread.
 *
 * Every wakeup only records what is owed (so_pend, so_pend_hints) and
 * activates the socket's kick event; the kick callback then calls the
 * upcalls on the loop thread without the core lock.  So no upcall ever
 * runs inside a KPI call, even one made from an upcall.
 */
#include "core/xk.h"

#include <errno.h>
#include <event2/event.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include <xkpi.h>

#include "core/ip_var.h"
#include "core/socket_var.h"

static GQueue all_sockets = G_QUEUE_INIT;
struct xk_so_counters xk_so_stats;

/*
 * Freed sockets, oldest first, under the core lock: their memory goes
 * back to the heap only when XK_SO_QUARANTINE later frees push it out, or
 * at xkpi_shutdown().
 */
static struct __socket *so_quar[XK_SO_QUARANTINE];
static unsigned int so_quar_head, so_quar_len;

static void kick_cb(evutil_socket_t fd, short what, void *arg);

static _Atomic bool force_unpriv;

void
xk_so_force_unprivileged(bool on)
{
	force_unpriv = on;
}

/* Whether the process may use raw sockets: CAP_NET_RAW in CapEff. */
static _Atomic int cap_cached = -1;

static bool
cap_net_raw(void)
{
	unsigned long long eff = 0;
	char line[128];
	bool found = false;
	int v;
	FILE *f;

	/* Capabilities are read once: a process seldom changes them. */
	if ((v = cap_cached) >= 0) {
		return v;
	}
	if ((f = fopen("/proc/self/status", "r")) != NULL) {
		while (!found && fgets(line, sizeof(line), f) != NULL) {
			found = sscanf(line, "CapEff: %llx", &eff) == 1;
		}
		fclose(f);
	}
	v = (int)((eff >> 13) & 1);	/* CAP_NET_RAW */
	/* Unread (no descriptor left, say): not for good, ask again. */
	if (found) {
		cap_cached = v;
	}
	return v;
}

/*
 * XNU sets SS_PRIV at creation from the caller's credential.  Here: a
 * process with CAP_NET_RAW, or any process while the backend's
 * interfaces are virtual (they touch no host traffic).
 */
static bool
so_privileged(void)
{
	if (force_unpriv) {
		return false;
	}
	return xk_engine_virtual() || cap_net_raw();
}

int
xk_pru_notsupp(void)
{
	return EOPNOTSUPP;
}

socklen_t
xk_sa_len(const struct sockaddr *sa)
{
	sa_family_t fam;

	/* A caller's address may be misaligned: no member access. */
	memcpy(&fam, (const char *)sa + offsetof(struct sockaddr, sa_family),
	    sizeof(fam));
	switch (fam) {
	case AF_INET:
		return sizeof(struct sockaddr_in);
	case AF_INET6:
		return sizeof(struct sockaddr_in6);
	case AF_UNIX:
		return sizeof(struct sockaddr_un);
	default:
		return 0;
	}
}

static struct __socket *
so_alloc_locked(const struct xk_protosw *pr, int protocol)
{
	struct __socket *so;

	if ((so = g_try_new0(struct __socket, 1)) == NULL) {
		return NULL;
	}
	atomic_store_explicit(&so->so_magic, XK_SO_LIVE, memory_order_relaxed);
	so->so_domain = pr->pr_domain;
	so->so_type = pr->pr_type;
	so->so_protocol = protocol != 0 || pr->pr_protocol == XK_PR_ANY ?
	    protocol : pr->pr_protocol;
	so->so_proto = pr;
	so->so_fd = -1;
	so->so_usecount = 1;
	so->so_refs = 2;	/* the creator's, and the protocol's */
	so->so_rcv.sb_hiwat = pr->pr_rcvspace;
	so->so_snd.sb_hiwat = pr->pr_sndspace;
	so->so_rcv.sb_lowat = 1;
	so->so_snd.sb_lowat = 2048;
	xk_cond_init(&so->so_cv);
	g_queue_init(&so->so_comp);
	so->so_link.data = so;
	g_queue_push_tail_link(&all_sockets, &so->so_link);
	return so;
}

static int
so_events_new(struct __socket *so)
{
	so->so_loop = xk_loop_pick();
	so->so_kick = event_new(xk_loop_base_at(so->so_loop), -1, 0, kick_cb,
	    so);
	return so->so_kick != NULL ? 0 : ENOMEM;
}

/* Hands a quarantined socket's memory back to the heap. */
static void
so_quar_release(struct __socket *so)
{
	XK_ASAN_UNPOISON(so, sizeof(*so));
	XK_VG_DEFINED(so, sizeof(*so));
	g_free(so);
}

static void
so_free_locked(struct __socket *so)
{
	struct __socket *old = NULL;
	unsigned int at;

	xk_log(XKPI_LOG_DEBUG, "socket %p closed: %s", (void *)so,
	    so->so_proto->pr_name);
	g_queue_unlink(&all_sockets, &so->so_link);
	xk_sbflush_locked(&so->so_rcv);
	xk_sbflush_locked(&so->so_snd);
	if (so->so_kick != NULL) {
		event_free(so->so_kick);
	}
	pthread_cond_destroy(&so->so_cv);
	/*
	 * Not to the heap yet: a stale socket_t must still find memory that
	 * says "freed".  Only so_magic stays readable to the sanitizers.
	 */
	atomic_store_explicit(&so->so_magic, XK_SO_FREED,
	    memory_order_relaxed);
	XK_ASAN_POISON((char *)so + 8, sizeof(*so) - 8);
	XK_VG_NOACCESS((char *)so + sizeof(so->so_magic),
	    sizeof(*so) - sizeof(so->so_magic));
	if (so_quar_len == XK_SO_QUARANTINE) {
		old = so_quar[so_quar_head];
		so_quar_head = (so_quar_head + 1) % XK_SO_QUARANTINE;
		so_quar_len--;
	}
	at = (so_quar_head + so_quar_len) % XK_SO_QUARANTINE;
	so_quar[at] = so;
	so_quar_len++;
	if (old != NULL) {
		so_quar_release(old);
	}
}

/* Empties the quarantine (xkpi_shutdown). */
static void
so_quar_drain_locked(void)
{
	while (so_quar_len > 0) {
		so_quar_release(so_quar[so_quar_head]);
		so_quar[so_quar_head] = NULL;
		so_quar_head = (so_quar_head + 1) % XK_SO_QUARANTINE;
		so_quar_len--;
	}
	so_quar_head = 0;
}

int
xk_so_misuse(const struct __socket *so, const char *fn)
{
	uint32_t magic;

	magic = atomic_load_explicit(&so->so_magic, memory_order_relaxed);
	if (magic == XK_SO_CLOSED) {
		xk_panic("%s: socket %p used after sock_close", fn,
		    (const void *)so);
	} else if (magic == XK_SO_FREED) {
		xk_panic("%s: socket %p used after it was freed", fn,
		    (const void *)so);
	} else {
		xk_panic("%s: %p is not a socket (freed long ago?)", fn,
		    (const void *)so);
	}
	return EBADF;
}

int
xk_so_create(int domain, int type, int protocol, struct __socket **sop)
{
	const struct xk_protosw *pr;
	struct __socket *so;
	int error;

	if ((error = xk_lib_ensure()) != 0) {
		return error;
	}
	if ((error = xk_pr_find(domain, type, protocol, &pr)) != 0) {
		return error;
	}
	if (pr->pr_type == SOCK_RAW && (error = xk_lib_raw_check()) != 0) {
		return error;
	}
	xk_core_lock();
	if ((so = so_alloc_locked(pr, protocol)) == NULL) {
		xk_core_unlock();
		return ENOMEM;
	}
	if (so_privileged()) {
		so->so_state |= SS_PRIV;
	}
	if ((error = so_events_new(so)) != 0 ||
	    (error = pr->pr_attach(so)) != 0) {
		/* Undo what attach made; nothing was handed to the loop. */
		so->so_flags |= SOF_CLOSED | SOF_DETACHED;
		so->so_flags |= SOF_FORCE;
		xk_core_unlock();
		(void)pr->pr_detach(so);
		xk_core_lock();
		so->so_refs = 0;
		so_free_locked(so);
		xk_core_unlock();
		return error;
	}
	xk_core_unlock();
	xk_log(XKPI_LOG_DEBUG, "socket %p opened: %s (domain %d, type %d, "
	    "protocol %d)", (void *)so, pr->pr_name, domain, type, protocol);
	*sop = so;
	return 0;
}

struct __socket *
xk_so_alloc_child_locked(struct __socket *head, int fd)
{
	struct __socket *so;

	XK_LOCK_ASSERT();
	if ((so = so_alloc_locked(head->so_proto, head->so_protocol)) == NULL) {
		return NULL;
	}
	so->so_fd = fd;
	/* The child inherits the listener's state: NBIO and PRIV. */
	so->so_state = (head->so_state & (SS_NBIO | SS_PRIV)) | SS_COMP;
	so->so_options = head->so_options & ~SO_OPT_ACCEPTCONN;
	so->so_flags = head->so_flags & (SOF_NOSIGPIPE | SOF_NOADDRAVAIL |
	    SOF_UPCALLCLOSEWAIT);
	so->so_rcv.sb_hiwat = head->so_rcv.sb_hiwat;
	so->so_snd.sb_hiwat = head->so_snd.sb_hiwat;
	so->so_rcv.sb_timeo = head->so_rcv.sb_timeo;
	so->so_snd.sb_timeo = head->so_snd.sb_timeo;
	if (so_events_new(so) != 0) {
		so->so_refs = 0;
		so->so_fd = -1;
		so_free_locked(so);
		return NULL;
	}
	so->so_head = head;
	return so;
}

void
xk_so_ref_locked(struct __socket *so)
{
	XK_LOCK_ASSERT();
	so->so_refs++;
}

void
xk_so_unref_locked(struct __socket *so)
{
	XK_LOCK_ASSERT();
	if (so->so_refs <= 0) {
		xk_panic("socket %p: reference count below zero", (void *)so);
		return;
	}
	if (--so->so_refs == 0) {
		so_free_locked(so);
	}
}

void
xk_so_foreach_locked(void (*fn)(struct __socket *, void *), void *ctx)
{
	XK_LOCK_ASSERT();
	for (GList *l = all_sockets.head; l != NULL; l = l->next) {
		struct __socket *so = l->data;

		if (!(so->so_flags & (SOF_CLOSING | SOF_CLOSED))) {
			fn(so, ctx);
		}
	}
}

int
xk_so_count(void)
{
	int n;

	xk_core_lock();
	n = (int)g_queue_get_length(&all_sockets);
	xk_core_unlock();
	return n;
}

/* Loop-thread work. */

void
xk_so_kick_locked(struct __socket *so, uint32_t pend)
{
	XK_LOCK_ASSERT();
	so->so_pend |= pend;
	if (!so->so_kicked && so->so_kick != NULL) {
		so->so_kicked = true;
		so->so_refs++;	/* held until the kick has run */
		event_active(so->so_kick, 0, 0);
	}
}

static void
so_teardown_locked(struct __socket *so)
{
	bool done;

	if (so->so_flags & (SOF_DETACHED | SOF_LINGER)) {
		return;
	}
	/* Detach without the lock: it closes descriptors and frees events. */
	xk_core_unlock();
	done = so->so_proto->pr_detach(so);
	xk_core_lock();
	if (done) {
		xk_so_detach_done_locked(so);
	} else {
		/* The protocol finishes later (a stream still sending). */
		so->so_flags |= SOF_LINGER;
	}
}

void
xk_so_detach_done_locked(struct __socket *so)
{
	XK_LOCK_ASSERT();
	so->so_flags |= SOF_DETACHED;
	so->so_flags &= ~SOF_LINGER;
	xk_so_unref_locked(so);	/* the protocol's reference */
}

static void
kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct __socket *so = arg;
	sock_upcall rcb, wcb;
	void *rarg, *warg, *earg;
	sock_evupcall ecb;
	uint32_t pend, hints;
	bool was;

	(void)fd;
	(void)what;
	was = xk_loop_enter();
	xk_core_lock();
	pend = so->so_pend;
	hints = so->so_pend_hints;
	so->so_pend = 0;
	so->so_pend_hints = 0;
	so->so_kicked = false;
	if (!(so->so_flags & SOF_DETACHED) && so->so_proto->pr_loop != NULL) {
		so->so_proto->pr_loop(so, pend);
	}
	if (pend & XK_PEND_TEARDOWN) {
		so_teardown_locked(so);
	}
	/*
	 * XNU's order: events first, then the read, then the write upcall.
	 * Each slot is read just before its call, so one cleared or closed
	 * meanwhile (by the callback before it, or another thread) is not
	 * called.
	 */
	so->so_upcallusecount++;
	if (!(so->so_flags & (SOF_CLOSING | SOF_CLOSED)) &&
	    (hints & so->so_eventmask) != 0 && so->so_event != NULL) {
		ecb = so->so_event;
		earg = so->so_eventarg;
		hints &= so->so_eventmask;
		xk_so_stats.events++;
		xk_core_unlock();
		ecb(so, earg, hints);
		xk_core_lock();
	}
	if ((pend & XK_PEND_RUPCALL) && (so->so_rcv.sb_flags & SB_UPCALL) &&
	    !(so->so_flags & (SOF_CLOSING | SOF_CLOSED))) {
		rcb = so->so_rcv.sb_upcall;
		rarg = so->so_rcv.sb_upcallarg;
		xk_so_stats.upcalls++;
		xk_core_unlock();
		rcb(so, rarg, MBUF_DONTWAIT);
		xk_core_lock();
	}
	if ((pend & XK_PEND_WUPCALL) && (so->so_snd.sb_flags & SB_UPCALL) &&
	    !(so->so_flags & (SOF_CLOSING | SOF_CLOSED))) {
		wcb = so->so_snd.sb_upcall;
		warg = so->so_snd.sb_upcallarg;
		xk_so_stats.upcalls++;
		xk_core_unlock();
		wcb(so, warg, MBUF_DONTWAIT);
		xk_core_lock();
	}
	if (--so->so_upcallusecount == 0 && (so->so_flags & SOF_CLOSEWAIT)) {
		pthread_cond_broadcast(&so->so_cv);
	}
	xk_so_unref_locked(so);	/* the kick's reference */
	xk_core_unlock();
	xk_loop_leave(was);
}

/* Wakeups and events. */

void
xk_soevent_locked(struct __socket *so, uint32_t hints)
{
	XK_LOCK_ASSERT();
	if (so->so_event != NULL && (hints & so->so_eventmask) != 0) {
		so->so_pend_hints |= hints;
		xk_so_kick_locked(so, 0);
	}
}

void
xk_sorwakeup_locked(struct __socket *so)
{
	XK_LOCK_ASSERT();
	if (so->so_waiters > 0) {
		pthread_cond_broadcast(&so->so_cv);
	}
	if (so->so_rcv.sb_flags & SB_UPCALL) {
		xk_so_kick_locked(so, XK_PEND_RUPCALL);
	}
}

void
xk_sowwakeup_locked(struct __socket *so)
{
	XK_LOCK_ASSERT();
	if (so->so_waiters > 0) {
		pthread_cond_broadcast(&so->so_cv);
	}
	if (so->so_snd.sb_flags & SB_UPCALL) {
		xk_so_kick_locked(so, XK_PEND_WUPCALL);
	}
}

void
xk_soisconnecting_locked(struct __socket *so)
{
	so->so_state &= ~(SS_ISCONNECTED | SS_ISDISCONNECTING);
	so->so_state |= SS_ISCONNECTING;
}

void
xk_soisconnected_locked(struct __socket *so)
{
	so->so_state &= ~(SS_ISCONNECTING | SS_ISDISCONNECTING |
	    SS_ISDISCONNECTED);
	so->so_state |= SS_ISCONNECTED;
	xk_soevent_locked(so, SO_FILT_HINT_CONNECTED |
	    SO_FILT_HINT_CONNINFO_UPDATED);
	xk_sorwakeup_locked(so);
	xk_sowwakeup_locked(so);
}

void
xk_soisdisconnected_locked(struct __socket *so)
{
	so->so_state &= ~(SS_ISCONNECTING | SS_ISCONNECTED |
	    SS_ISDISCONNECTING);
	so->so_state |= SS_CANTRCVMORE | SS_CANTSENDMORE | SS_ISDISCONNECTED;
	xk_soevent_locked(so, SO_FILT_HINT_DISCONNECTED |
	    SO_FILT_HINT_CONNINFO_UPDATED);
	xk_sorwakeup_locked(so);
	xk_sowwakeup_locked(so);
}

void
xk_socantsendmore_locked(struct __socket *so)
{
	so->so_state |= SS_CANTSENDMORE;
	xk_soevent_locked(so, SO_FILT_HINT_CANTSENDMORE);
	xk_sowwakeup_locked(so);
}

void
xk_socantrcvmore_locked(struct __socket *so)
{
	so->so_state |= SS_CANTRCVMORE;
	xk_soevent_locked(so, SO_FILT_HINT_CANTRCVMORE);
	xk_sorwakeup_locked(so);
}

void
xk_so_setupcalls_locked(struct __socket *so, sock_upcall rcb, void *rarg,
    sock_upcall wcb, void *warg)
{
	struct xk_sockbuf *sbs[2] = { &so->so_rcv, &so->so_snd };
	sock_upcall cbs[2] = { rcb, wcb };
	void *args[2] = { rarg, warg };

	XK_LOCK_ASSERT();
	if (so->so_flags & (SOF_CLOSING | SOF_CLOSED)) {
		return;
	}
	for (int i = 0; i < 2; i++) {
		sbs[i]->sb_upcall = cbs[i];
		sbs[i]->sb_upcallarg = cbs[i] != NULL ? args[i] : NULL;
		if (cbs[i] != NULL) {
			sbs[i]->sb_flags |= SB_UPCALL;
		} else {
			sbs[i]->sb_flags &= ~SB_UPCALL;
		}
	}
}

/*
 * The real close (XNU's soclose): no upcall starts after this; off the
 * loop thread, wait for those running; the loop thread detaches the
 * protocol; memory goes with the last reference.
 */
void
xk_soclose_locked(struct __socket *so)
{
	struct __socket *child;

	XK_LOCK_ASSERT();
	if (so->so_flags & (SOF_CLOSING | SOF_CLOSED)) {
		return;
	}
	/* No upcall starts from here on. */
	xk_so_setupcalls_locked(so, NULL, NULL, NULL, NULL);
	so->so_flags |= SOF_CLOSING;
	so->so_event = NULL;
	so->so_eventmask = 0;
	/*
	 * Off the loop thread, wait for the upcalls already running; they
	 * still see a working socket meanwhile, as in XNU's soclose.
	 */
	if (!xk_on_loop_thread()) {
		so->so_flags |= SOF_CLOSEWAIT;
		while (so->so_upcallusecount > 0) {
			xk_cond_wait(&so->so_cv, 0);
		}
		so->so_flags &= ~SOF_CLOSEWAIT;
	}
	so->so_flags |= SOF_CLOSED;
	so->so_state |= SS_NOFDREF;
	atomic_store_explicit(&so->so_magic, XK_SO_CLOSED,
	    memory_order_relaxed);
	/* Connections nobody accepted go with their listener. */
	while ((child = g_queue_pop_head(&so->so_comp)) != NULL) {
		child->so_head = NULL;
		xk_soclose_locked(child);
	}
	if (so->so_head != NULL) {
		g_queue_remove(&so->so_head->so_comp, so);
		so->so_head = NULL;
	}
	pthread_cond_broadcast(&so->so_cv);	/* waiters return EBADF */
	xk_so_kick_locked(so, XK_PEND_TEARDOWN);
	xk_so_unref_locked(so);	/* the creator's reference */
}

/*
 * xkpi_shutdown: the loop no longer runs.  Detach and free every socket
 * here, whoever still holds it.
 */
void
xk_so_shutdown_all(void)
{
	struct __socket *so;
	GList *l;

	xk_core_lock();
	for (l = all_sockets.head; l != NULL; l = l->next) {
		so = l->data;
		so->so_flags |= SOF_CLOSED;
		atomic_store_explicit(&so->so_magic, XK_SO_CLOSED,
		    memory_order_relaxed);
		so->so_head = NULL;
		g_queue_clear(&so->so_comp);
		pthread_cond_broadcast(&so->so_cv);
	}
	while ((l = all_sockets.head) != NULL) {
		so = l->data;
		if (!(so->so_flags & SOF_DETACHED)) {
			so->so_flags |= SOF_DETACHED | SOF_FORCE;
			xk_core_unlock();
			(void)so->so_proto->pr_detach(so);
			xk_core_lock();
		}
		so->so_refs = 0;
		so_free_locked(so);
	}
	so_quar_drain_locked();
	xk_core_unlock();
}

/* Socket buffers. */

uint32_t
xk_sb_datalen(const struct xk_sockbuf *sb)
{
	return sb->sb_cc - sb->sb_ctl;
}

int
xk_sb_reserve(struct __socket *so, struct xk_sockbuf *sb, uint64_t bytes)
{
	(void)so;
	/* XNU's sb_max: 8 MiB. */
	if (bytes == 0 || bytes > 8u * 1024 * 1024) {
		return ENOBUFS;
	}
	sb->sb_hiwat = (uint32_t)bytes;
	if (sb->sb_lowat > sb->sb_hiwat) {
		sb->sb_lowat = sb->sb_hiwat;
	}
	return 0;
}

void
xk_sbflush_locked(struct xk_sockbuf *sb)
{
	struct __mbuf *m, *next;

	for (m = sb->sb_mb; m != NULL; m = next) {
		next = m->m_nextpkt;
		m->m_nextpkt = NULL;
		xk_m_freem(m);
	}
	sb->sb_mb = NULL;
	sb->sb_lastrecord = NULL;
	sb->sb_cc = 0;
	sb->sb_ctl = 0;
}

/* Copies @len bytes into a new mbuf of @type (a cluster if needed). */
static struct __mbuf *
m_from_bytes(int type, const void *p, size_t len)
{
	struct __mbuf *m;

	if (len > (size_t)XK_MLEN) {
		m = xk_m_getcl(type, false, len <= XK_MCLBYTES ? XK_MCLBYTES :
		    len <= XK_MBIGCLBYTES ? XK_MBIGCLBYTES : XK_M16KCLBYTES);
	} else {
		m = xk_m_get(type, false);
	}
	if (m != NULL) {
		memcpy(m->m_data, p, len);
		m->m_len = (int32_t)len;
	}
	return m;
}

/*
 * Appends a datagram record: [address] [control] data.  Returns 0, or
 * ENOBUFS when the buffer has no room (the caller counts the drop and
 * frees @data), or ENOMEM.
 */
int
xk_sbappendaddr_locked(struct xk_sockbuf *sb, const struct sockaddr *sa,
    socklen_t salen, struct __mbuf *data, const void *control,
    size_t controllen)
{
	struct __mbuf *head = NULL, *ctl = NULL, *n;
	size_t dlen = data != NULL ? xk_m_length(data) : 0;
	size_t space = salen + controllen + dlen;

	if (space > xk_sbspace(sb) || controllen > XK_M16KCLBYTES) {
		return ENOBUFS;
	}
	if (controllen > 0 &&
	    (ctl = m_from_bytes(MBUF_TYPE_CONTROL, control,
	    controllen)) == NULL) {
		return ENOMEM;
	}
	if (salen > 0) {
		if ((head = m_from_bytes(MBUF_TYPE_SONAME, sa, salen)) == NULL) {
			xk_m_freem(ctl);
			return ENOMEM;
		}
		head->m_next = ctl != NULL ? ctl : data;
	} else {
		head = ctl != NULL ? ctl : data;
	}
	if (ctl != NULL) {
		ctl->m_next = data;
	}
	if (head == NULL) {
		return 0;
	}
	if (sb->sb_lastrecord != NULL) {
		sb->sb_lastrecord->m_nextpkt = head;
	} else {
		sb->sb_mb = head;
	}
	sb->sb_lastrecord = head;
	sb->sb_cc += (uint32_t)space;
	sb->sb_ctl += (uint32_t)(salen + controllen);
	for (n = head; n != NULL; n = n->m_next) {
		n->m_nextpkt = NULL;
	}
	head->m_nextpkt = NULL;
	return 0;
}

/* Streams keep one record: the chain grows at its tail. */
void
xk_sbappendstream_locked(struct xk_sockbuf *sb, struct __mbuf *m)
{
	struct __mbuf *tail;

	if (m == NULL) {
		return;
	}
	sb->sb_cc += (uint32_t)xk_m_length(m);
	if (sb->sb_mb == NULL) {
		sb->sb_mb = m;
	} else {
		tail = sb->sb_lastrecord;
		tail->m_next = m;
	}
	for (tail = m; tail->m_next != NULL; tail = tail->m_next) {
		;
	}
	sb->sb_lastrecord = tail;
}
