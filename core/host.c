/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Host sockets: TCP, UDP and local sockets carried by a non-blocking
 * Linux socket that the event loop watches.  The loop thread reads the
 * host socket into the receive buffer (records of mbufs, as the kernel's
 * protocol input would) and flushes the send buffer into it; the KPI's
 * semantics (upcalls, events, blocking, mbuf receive) are the engine's.
 *
 * Reads stop while the receive buffer is full and start again when the
 * application drains it, so the host kernel's own buffer is where excess
 * traffic waits, as it would in XNU's socket buffer.
 */
#include "core/xk.h"

#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <xkpi.h>

#include "core/socket_var.h"

#define RX_BATCH	32	/* datagrams per recvmmsg */
#define RX_BATCHES	4	/* recvmmsg calls per wakeup, for fairness */
#define RX_DGRAM_MAX	65536
#define RX_CTL_MAX	256
#define RX_STREAM_SEGS	4	/* 16 KB clusters per read */
#define TX_IOV_MAX	64
#define ACCEPT_BATCH	64

/*
 * Where a loop reads datagrams: one set per loop, used only by the thread
 * that runs it (a socket is read on its own loop only).  Loop 0's is
 * static; another loop's is made with the first socket it is home to
 * (host_events_new), and freed at shutdown (xk_host_reclaim).
 */
struct host_rx {
	char			rx_buf[RX_BATCH][RX_DGRAM_MAX];
	char			rx_ctl[RX_BATCH][RX_CTL_MAX];
	struct sockaddr_storage	rx_name[RX_BATCH];
};
static struct host_rx host_rx0;
static struct host_rx *host_rxs[XK_LOOPS_MAX] = { &host_rx0 };

struct xk_host_counters xk_host_stats;

static void host_read_cb(evutil_socket_t fd, short what, void *arg);
static void host_write_cb(evutil_socket_t fd, short what, void *arg);

static bool
is_stream(const struct __socket *so)
{
	return so->so_type == SOCK_STREAM;
}

void
xk_host_reclaim(void)
{
	for (int i = 1; i < XK_LOOPS_MAX; i++) {
		g_free(host_rxs[i]);
		host_rxs[i] = NULL;
	}
}

/*
 * The events of @so on its loop, and that loop's datagram buffers if
 * they are not made yet.
 */
static int
host_events_new(struct __socket *so)
{
	struct event_base *base = xk_loop_base_at(so->so_loop);

	XK_LOCK_ASSERT();
	if (host_rxs[so->so_loop] == NULL &&
	    (host_rxs[so->so_loop] = g_try_new(struct host_rx, 1)) == NULL) {
		return ENOMEM;
	}
	so->so_rev = event_new(base, so->so_fd, EV_READ | EV_PERSIST,
	    host_read_cb, so);
	so->so_wev = event_new(base, so->so_fd, EV_WRITE | EV_PERSIST,
	    host_write_cb, so);
	return so->so_rev != NULL && so->so_wev != NULL ? 0 : ENOMEM;
}

static int
host_attach(struct __socket *so)
{
	int proto = so->so_domain == AF_UNIX ? 0 : so->so_protocol;
	int fd;

	fd = socket(so->so_domain, so->so_type | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    proto);
	if (fd < 0) {
		return errno == EMFILE || errno == ENFILE ? ENOBUFS : errno;
	}
	so->so_fd = fd;
	if (host_events_new(so) != 0) {
		return ENOMEM;	/* detach frees what was made */
	}
	if (!is_stream(so)) {
		/* Datagrams may arrive as soon as the socket is bound. */
		xk_so_kick_locked(so, XK_PEND_REARM_READ);
	}
	return 0;
}

static void
host_release(struct __socket *so)
{
	if (so->so_rev != NULL) {
		event_free(so->so_rev);
		so->so_rev = NULL;
	}
	if (so->so_wev != NULL) {
		event_free(so->so_wev);
		so->so_wev = NULL;
	}
	if (so->so_fd >= 0) {
		close(so->so_fd);
		so->so_fd = -1;
	}
}

/*
 * Closing a stream with data still queued keeps sending it, as XNU's
 * socket does after close: the loop finishes in host_write_cb.
 */
static bool
host_detach(struct __socket *so)
{
	bool linger;

	xk_core_lock();
	linger = !(so->so_flags & SOF_FORCE) && so->so_fd >= 0 &&
	    so->so_snd.sb_cc > 0 && so->so_error == 0 &&
	    so->so_wev != NULL;
	if (linger) {
		if (so->so_rev != NULL) {
			event_del(so->so_rev);
		}
		xk_so_kick_locked(so, XK_PEND_WANT_WRITE);
	} else if (so->so_snd.sb_cc > 0) {
		xk_host_stats.tx_lost += xk_sb_datalen(&so->so_snd);
		xk_sbflush_locked(&so->so_snd);
	}
	xk_core_unlock();
	if (!linger) {
		host_release(so);
	}
	return !linger;
}

/* Whether the loop should be reading the host socket now. */
static bool
host_want_read(const struct __socket *so)
{
	if (so->so_fd < 0 || (so->so_flags & (SOF_CLOSED | SOF_DETACHED))) {
		return false;
	}
	if (so->so_options & SO_OPT_ACCEPTCONN) {
		return (int)g_queue_get_length((GQueue *)&so->so_comp) <
		    so->so_qlimit;
	}
	if (so->so_state & SS_CANTRCVMORE) {
		return false;
	}
	if (is_stream(so) && !(so->so_state & SS_ISCONNECTED)) {
		return false;
	}
	return xk_sbspace(&so->so_rcv) > 0;
}

/*
 * Watches the descriptor again.  If the loop cannot (no memory for the
 * event), the socket fails with ENOBUFS rather than wait for nothing.
 */
static void
host_loop(struct __socket *so, uint32_t pend)
{
	if ((pend & XK_PEND_REARM_READ) && so->so_rev != NULL &&
	    host_want_read(so)) {
		so->so_rcv.sb_flags &= ~SB_STOPPED;
		if (event_add(so->so_rev, NULL) != 0) {
			so->so_error = ENOBUFS;
			xk_sorwakeup_locked(so);
		}
	}
	if ((pend & XK_PEND_WANT_WRITE) && so->so_wev != NULL &&
	    !so->so_wev_on) {
		so->so_wev_on = true;
		if (event_add(so->so_wev, NULL) != 0) {
			so->so_wev_on = false;
			so->so_error = ENOBUFS;
			xk_sowwakeup_locked(so);
		}
	}
}

static void
rx_stop_locked(struct __socket *so)
{
	so->so_rcv.sb_flags |= SB_STOPPED;
	event_del(so->so_rev);
}

/*
 * Both directions are shut and our FIN is out: XNU's TCP disconnects the
 * socket then (TIME_WAIT or CLOSED), raising DISCONNECTED.
 */
static void
host_check_closed_locked(struct __socket *so)
{
	if (is_stream(so) && (so->so_state & SS_ISCONNECTED) &&
	    (so->so_rcv.sb_flags & SB_PEEREOF) &&
	    (so->so_state & SS_CANTSENDMORE) && so->so_snd.sb_cc == 0) {
		xk_soisdisconnected_locked(so);
	}
}

/* The error that ended a connection, told as XNU's stack tells it. */
static void
host_conn_error_locked(struct __socket *so, int error)
{
	so->so_error = error;
	if (error == ECONNRESET) {
		xk_soevent_locked(so, SO_FILT_HINT_CONNRESET);
	} else if (error == ETIMEDOUT) {
		xk_soevent_locked(so, SO_FILT_HINT_TIMEOUT);
	}
	xk_soisdisconnected_locked(so);
	event_del(so->so_rev);
}

/* A packet-header chain holding a copy of @len bytes at @p. */
static struct __mbuf *
m_packet_copy(const char *p, size_t len)
{
	struct __mbuf *m;

	if (len <= (size_t)XK_MHLEN) {
		m = xk_m_get(MBUF_TYPE_DATA, true);
	} else if (len <= XK_M16KCLBYTES) {
		m = xk_m_getcl(MBUF_TYPE_DATA, true, len <= XK_MCLBYTES ?
		    XK_MCLBYTES : len <= XK_MBIGCLBYTES ? XK_MBIGCLBYTES :
		    XK_M16KCLBYTES);
	} else {
		m = xk_m_getcl(MBUF_TYPE_DATA, true, XK_M16KCLBYTES);
		if (m != NULL && xk_m_copyback(m, 0, len, p) != 0) {
			xk_m_freem(m);
			return NULL;
		}
		return m;
	}
	if (m == NULL) {
		return NULL;
	}
	memcpy(m->m_data, p, len);
	m->m_len = (int32_t)len;
	m->m_pkthdr.len = (int32_t)len;
	return m;
}

static void
host_rx_dgram(struct __socket *so)
{
	struct host_rx *rx = host_rxs[so->so_loop];
	struct mmsghdr mm[RX_BATCH];
	struct iovec iov[RX_BATCH];
	bool woke = false;

	for (int batch = 0; batch < RX_BATCHES; batch++) {
		int n;

		if (xk_sbspace(&so->so_rcv) == 0) {
			rx_stop_locked(so);
			xk_so_stats.rcv_full++;
			break;
		}
		for (int i = 0; i < RX_BATCH; i++) {
			iov[i].iov_base = rx->rx_buf[i];
			iov[i].iov_len = sizeof(rx->rx_buf[i]);
			memset(&mm[i].msg_hdr, 0, sizeof(mm[i].msg_hdr));
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
			mm[i].msg_hdr.msg_name = &rx->rx_name[i];
			mm[i].msg_hdr.msg_namelen = sizeof(rx->rx_name[i]);
			mm[i].msg_hdr.msg_control = rx->rx_ctl[i];
			mm[i].msg_hdr.msg_controllen = sizeof(rx->rx_ctl[i]);
		}
		/* Only this thread reads the descriptor: no lock needed. */
		xk_core_unlock();
		n = recvmmsg(so->so_fd, mm, RX_BATCH, MSG_DONTWAIT, NULL);
		xk_core_lock();
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				so->so_error = errno;
				woke = true;
			}
			break;
		}
		for (int i = 0; i < n; i++) {
			struct msghdr *mh = &mm[i].msg_hdr;
			struct __mbuf *m;
			int error;

			m = m_packet_copy(rx->rx_buf[i], mm[i].msg_len);
			if (m == NULL) {
				xk_host_stats.rx_nomem++;
				continue;
			}
			error = xk_sbappendaddr_locked(&so->so_rcv,
			    (struct sockaddr *)mh->msg_name, mh->msg_namelen,
			    m, mh->msg_control, mh->msg_controllen);
			if (error != 0) {
				xk_m_freem(m);
				if (error == ENOBUFS) {
					xk_host_stats.rx_full++;
				} else {
					xk_host_stats.rx_nomem++;
				}
				continue;
			}
			woke = true;
		}
		if (n < RX_BATCH) {
			break;
		}
	}
	if (woke) {
		xk_sorwakeup_locked(so);
	}
}

static void
host_rx_stream(struct __socket *so)
{
	struct __mbuf *segs[RX_STREAM_SEGS], *top = NULL, **np = &top;
	struct iovec iov[RX_STREAM_SEGS];
	uint32_t space = xk_sbspace(&so->so_rcv);
	int nseg = 0;
	ssize_t n;

	if (space == 0) {
		rx_stop_locked(so);
		xk_so_stats.rcv_full++;
		return;
	}
	for (; nseg < RX_STREAM_SEGS && space > 0; nseg++) {
		segs[nseg] = xk_m_getcl(MBUF_TYPE_DATA, false, XK_M16KCLBYTES);
		if (segs[nseg] == NULL) {
			break;
		}
		iov[nseg].iov_base = segs[nseg]->m_data;
		iov[nseg].iov_len = space < XK_M16KCLBYTES ? space :
		    XK_M16KCLBYTES;
		space -= (uint32_t)iov[nseg].iov_len;
	}
	if (nseg == 0) {
		return;	/* no memory: try again on the next wakeup */
	}
	xk_core_unlock();
	n = readv(so->so_fd, iov, nseg);
	xk_core_lock();
	if (n < 0) {
		int error = errno;

		for (int i = 0; i < nseg; i++) {
			xk_m_free(segs[i]);
		}
		if (error != EAGAIN && error != EINTR) {
			host_conn_error_locked(so, error);
		}
		return;
	}
	if (n == 0) {
		for (int i = 0; i < nseg; i++) {
			xk_m_free(segs[i]);
		}
		event_del(so->so_rev);
		so->so_rcv.sb_flags |= SB_PEEREOF;
		xk_socantrcvmore_locked(so);
		host_check_closed_locked(so);
		return;
	}
	for (int i = 0; i < nseg; i++) {
		size_t take = (size_t)n < iov[i].iov_len ? (size_t)n :
		    iov[i].iov_len;

		if (take == 0) {
			xk_m_free(segs[i]);
			continue;
		}
		segs[i]->m_len = (int32_t)take;
		*np = segs[i];
		np = &segs[i]->m_next;
		n -= (ssize_t)take;
	}
	xk_sbappendstream_locked(&so->so_rcv, top);
	xk_sorwakeup_locked(so);
}

/*
 * A receive on the loop thread found the buffer empty: the loop cannot
 * read for it meanwhile (it runs the caller, an upcall), so read what the
 * host already holds, as XNU's input path fills so_rcv while an upcall
 * runs.
 */
static void
host_rcvpull(struct __socket *so)
{
	if ((so->so_options & SO_OPT_ACCEPTCONN) || !host_want_read(so)) {
		return;
	}
	if (is_stream(so)) {
		host_rx_stream(so);
	} else {
		host_rx_dgram(so);
	}
}

static void
host_accept_locked(struct __socket *so)
{
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		struct __socket *child;
		int cfd;

		if ((int)g_queue_get_length(&so->so_comp) >= so->so_qlimit) {
			event_del(so->so_rev);
			break;
		}
		cfd = accept4(so->so_fd, NULL, NULL,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno != EAGAIN && errno != ECONNABORTED &&
			    errno != EINTR) {
				xk_host_stats.accept_fail++;
				xk_log(XKPI_LOG_WARN, "accept: %s",
				    strerror(errno));
				event_del(so->so_rev);
			}
			if (errno == ECONNABORTED || errno == EINTR) {
				continue;
			}
			break;
		}
		/* Read events from the start: the data may come before. */
		child = xk_so_alloc_child_locked(so, cfd);
		if (child == NULL || host_events_new(child) != 0 ||
		    event_add(child->so_rev, NULL) != 0) {
			if (child != NULL) {
				xk_soclose_locked(child);
			} else {
				close(cfd);
			}
			xk_host_stats.accept_fail++;
			continue;
		}
		child->so_state |= SS_ISCONNECTED;
		g_queue_push_tail(&so->so_comp, child);
		xk_sorwakeup_locked(so);
	}
}

static void
host_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct __socket *so = arg;
	bool was;

	(void)fd;
	(void)what;
	was = xk_loop_enter();
	xk_core_lock();
	if (so->so_flags & (SOF_CLOSED | SOF_DETACHED)) {
		event_del(so->so_rev);
	} else if (so->so_options & SO_OPT_ACCEPTCONN) {
		host_accept_locked(so);
	} else if (is_stream(so)) {
		host_rx_stream(so);
	} else {
		host_rx_dgram(so);
	}
	xk_core_unlock();
	xk_loop_leave(was);
}

/* Writes what the send buffer holds; returns an errno or 0. */
static int
host_flush_locked(struct __socket *so)
{
	struct xk_sockbuf *sb = &so->so_snd;

	while (sb->sb_cc > 0) {
		struct iovec iov[TX_IOV_MAX];
		struct __mbuf *m;
		int n = 0;
		ssize_t w;

		for (m = sb->sb_mb; m != NULL && n < TX_IOV_MAX;
		    m = m->m_next) {
			if (m->m_len > 0) {
				iov[n].iov_base = m->m_data;
				iov[n].iov_len = (size_t)m->m_len;
				n++;
			}
		}
		w = writev(so->so_fd, iov, n);
		if (w < 0) {
			return errno == EINTR ? 0 : errno;
		}
		sb->sb_cc -= (uint32_t)w;
		while (w > 0 || (sb->sb_mb != NULL && sb->sb_mb->m_len == 0)) {
			m = sb->sb_mb;
			if ((size_t)m->m_len > (size_t)w) {
				m->m_data += w;
				m->m_len -= (int32_t)w;
				break;
			}
			w -= m->m_len;
			sb->sb_mb = xk_m_free(m);
		}
		if (sb->sb_mb == NULL) {
			sb->sb_lastrecord = NULL;
		}
	}
	return 0;
}

/* A closed stream sends its last bytes, then goes. */
static void
host_linger_locked(struct __socket *so)
{
	int error = host_flush_locked(so);

	if (error == EAGAIN && so->so_snd.sb_cc > 0) {
		return;
	}
	if (so->so_snd.sb_cc > 0) {
		xk_host_stats.tx_lost += xk_sb_datalen(&so->so_snd);
		xk_sbflush_locked(&so->so_snd);
	}
	xk_core_unlock();
	host_release(so);
	xk_core_lock();
	xk_so_detach_done_locked(so);
}

static void
host_writable_locked(struct __socket *so, int fd)
{
	uint32_t before;
	int error = 0;
	socklen_t len = sizeof(error);

	if (so->so_flags & SOF_LINGER) {
		host_linger_locked(so);
		return;
	}
	if (so->so_flags & (SOF_CLOSED | SOF_DETACHED)) {
		goto off;
	}
	if (so->so_state & SS_ISCONNECTING) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0) {
			error = errno;
		}
		if (error == EINPROGRESS || error == EALREADY) {
			return;
		}
		if (error != 0) {
			so->so_error = error;
			so->so_state &= ~SS_ISCONNECTING;
			xk_soisdisconnected_locked(so);
			goto off;
		}
		xk_soisconnected_locked(so);
		xk_so_kick_locked(so, XK_PEND_REARM_READ);
	}
	before = so->so_snd.sb_cc;
	if (before > 0) {
		error = host_flush_locked(so);
		if (error != 0 && error != EAGAIN) {
			xk_sbflush_locked(&so->so_snd);
			host_conn_error_locked(so, error);
			goto off;
		}
		if (so->so_snd.sb_cc < before) {
			xk_sowwakeup_locked(so);
		}
		if (so->so_snd.sb_cc > 0) {
			return;
		}
		if (so->so_state & SS_CANTSENDMORE) {
			shutdown(so->so_fd, SHUT_WR);
			host_check_closed_locked(so);
		}
	} else {
		/* A datagram send was waiting for room in the host. */
		xk_sowwakeup_locked(so);
	}
off:
	if (so->so_wev_on) {
		so->so_wev_on = false;
		event_del(so->so_wev);
	}
}

static void
host_write_cb(evutil_socket_t fd, short what, void *arg)
{
	bool was = xk_loop_enter();

	(void)what;
	xk_core_lock();
	host_writable_locked(arg, fd);
	xk_core_unlock();
	xk_loop_leave(was);
}

static int
host_bind(struct __socket *so, const struct sockaddr *sa, socklen_t len)
{
	return bind(so->so_fd, sa, len) == 0 ? 0 : errno;
}

static int
host_connect(struct __socket *so, const struct sockaddr *sa, socklen_t len)
{
	if (connect(so->so_fd, sa, len) == 0) {
		xk_soisconnected_locked(so);
		xk_so_kick_locked(so, XK_PEND_REARM_READ);
		return 0;
	}
	if (errno == EINPROGRESS) {
		xk_soisconnecting_locked(so);
		xk_so_kick_locked(so, XK_PEND_WANT_WRITE);
		return 0;
	}
	return errno;
}

static int
host_disconnect(struct __socket *so)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };

	if (!is_stream(so)) {
		/* A datagram socket forgets its peer. */
		if (connect(so->so_fd, &sa, sizeof(sa)) != 0) {
			return errno;
		}
		so->so_state &= ~SS_ISCONNECTED;
		return 0;
	}
	return shutdown(so->so_fd, SHUT_RDWR) == 0 ? 0 : errno;
}

static int
host_shutdown(struct __socket *so, int how)
{
	if (!is_stream(so)) {
		return 0;
	}
	if (how == SHUT_RD) {
		return shutdown(so->so_fd, SHUT_RD) == 0 ? 0 : errno;
	}
	/* Queued data goes first; the loop shuts down when it is out. */
	if (so->so_snd.sb_cc == 0) {
		if (shutdown(so->so_fd, how) != 0) {
			return errno;
		}
		host_check_closed_locked(so);
		return 0;
	}
	if (how == SHUT_RDWR) {
		(void)shutdown(so->so_fd, SHUT_RD);
	}
	xk_so_kick_locked(so, XK_PEND_WANT_WRITE);
	return 0;
}

/* Sends from a chain; consumes it. */
static int
host_send(struct __socket *so, struct __mbuf *top, const struct sockaddr *to,
    socklen_t tolen, const void *control, size_t controllen, int flags)
{
	struct iovec iov[TX_IOV_MAX];
	struct msghdr mh = { 0 };
	struct __mbuf *m;
	int n = 0, error = 0, xflags = MSG_DONTWAIT | MSG_NOSIGNAL;
	size_t total = xk_m_length(top);
	char *flat = NULL;
	ssize_t w;

	xflags |= flags & (MSG_OOB | MSG_DONTROUTE | MSG_EOR);
	if (is_stream(so) && so->so_snd.sb_cc > 0 && !(flags & MSG_OOB)) {
		/* Keep the byte order: queue behind what waits. */
		xk_sbappendstream_locked(&so->so_snd, top);
		return 0;
	}
	for (m = top; m != NULL && n < TX_IOV_MAX; m = m->m_next) {
		if (m->m_len > 0) {
			iov[n].iov_base = m->m_data;
			iov[n].iov_len = (size_t)m->m_len;
			n++;
		}
	}
	if (m != NULL && !is_stream(so)) {
		/* A datagram in more pieces than one call takes: flatten. */
		if ((flat = malloc(total)) == NULL) {
			error = ENOBUFS;
			goto out;
		}
		xk_m_copydata(top, 0, total, flat);
		iov[0].iov_base = flat;
		iov[0].iov_len = total;
		n = 1;
	}
	mh.msg_iov = iov;
	mh.msg_iovlen = (size_t)n;
	mh.msg_name = (void *)(uintptr_t)to;
	mh.msg_namelen = to != NULL ? tolen : 0;
	mh.msg_control = (void *)(uintptr_t)control;
	mh.msg_controllen = controllen;
	w = sendmsg(so->so_fd, &mh, xflags);
	if (w < 0) {
		error = errno;
		if (error == EAGAIN) {
			if (is_stream(so)) {
				error = 0;
				xk_sbappendstream_locked(&so->so_snd, top);
				top = NULL;
				xk_so_kick_locked(so, XK_PEND_WANT_WRITE);
				goto out;
			}
			error = EWOULDBLOCK;
			xk_so_kick_locked(so, XK_PEND_WANT_WRITE);
		} else if (is_stream(so) && (error == EPIPE ||
		    error == ECONNRESET)) {
			host_conn_error_locked(so, error);
			error = EPIPE;
		}
		goto out;
	}
	if (is_stream(so) && (size_t)w < total) {
		/* The host took part of it: the rest waits in so_snd. */
		xk_m_adj(top, (int)w);
		xk_sbappendstream_locked(&so->so_snd, top);
		top = NULL;
		xk_so_kick_locked(so, XK_PEND_WANT_WRITE);
	}
out:
	free(flat);
	xk_m_freem(top);
	return error;
}

/*
 * pr_send_direct: a datagram goes to the host from the caller's memory.
 * A full host takes host_send's way, which waits or says EWOULDBLOCK.
 */
static int
host_send_direct(struct __socket *so, const struct sockaddr *to,
    socklen_t tolen, const struct iovec *iov, int iovcnt, size_t len,
    int flags)
{
	struct msghdr mh = { 0 };
	int xflags = MSG_DONTWAIT | MSG_NOSIGNAL;

	(void)len;
	if (is_stream(so) || iovcnt > TX_IOV_MAX) {
		return XK_SEND_SLOW;
	}
	xflags |= flags & (MSG_DONTROUTE | MSG_EOR);
	mh.msg_iov = (struct iovec *)(uintptr_t)iov;
	mh.msg_iovlen = (size_t)iovcnt;
	mh.msg_name = (void *)(uintptr_t)to;
	mh.msg_namelen = to != NULL ? tolen : 0;
	if (sendmsg(so->so_fd, &mh, xflags) < 0) {
		return errno == EAGAIN ? XK_SEND_SLOW : errno;
	}
	return 0;
}

static int
host_ctloutput(struct __socket *so, bool set, int level, int name, void *val,
    socklen_t *len)
{
	int r;

	r = set ? setsockopt(so->so_fd, level, name, val, *len) :
	    getsockopt(so->so_fd, level, name, val, len);
	return r == 0 ? 0 : errno;
}

static int
host_sockaddr(struct __socket *so, struct sockaddr_storage *ss,
    socklen_t *len)
{
	*len = sizeof(*ss);
	return getsockname(so->so_fd, (struct sockaddr *)ss, len) == 0 ? 0 :
	    errno;
}

static int
host_peeraddr(struct __socket *so, struct sockaddr_storage *ss,
    socklen_t *len)
{
	*len = sizeof(*ss);
	return getpeername(so->so_fd, (struct sockaddr *)ss, len) == 0 ? 0 :
	    errno;
}

static int
host_listen(struct __socket *so, int backlog)
{
	if (backlog < 0 || backlog > SOMAXCONN) {
		backlog = SOMAXCONN;
	}
	if (listen(so->so_fd, backlog) != 0) {
		return errno;
	}
	so->so_options |= SO_OPT_ACCEPTCONN;
	so->so_qlimit = backlog > 0 ? backlog : 1;
	xk_so_kick_locked(so, XK_PEND_REARM_READ);
	return 0;
}

/* XNU's default buffer sizes for each protocol. */
#define TCP_SPACE	131072
#define UDP_SNDSPACE	9216
#define UDP_RCVSPACE	786896
#define LOCAL_STREAM	8192
#define LOCAL_DGRAM_SND	2048
#define LOCAL_DGRAM_RCV	4096

#define HOST_OPS							\
	.pr_attach = host_attach,					\
	.pr_detach = host_detach,					\
	.pr_bind = host_bind,						\
	.pr_connect = host_connect,					\
	.pr_disconnect = host_disconnect,				\
	.pr_shutdown = host_shutdown,					\
	.pr_send = host_send,						\
	.pr_send_direct = host_send_direct,				\
	.pr_ctloutput = host_ctloutput,					\
	.pr_sockaddr = host_sockaddr,					\
	.pr_peeraddr = host_peeraddr,					\
	.pr_loop = host_loop,						\
	.pr_rcvpull = host_rcvpull

static int
host_listen_notsupp(struct __socket *so, int backlog)
{
	(void)so;
	(void)backlog;
	return EOPNOTSUPP;
}

const struct xk_protosw xk_host_protosw[] = {
	{ .pr_domain = AF_INET, .pr_type = SOCK_STREAM,
	    .pr_protocol = IPPROTO_TCP, .pr_flags = PR_CONNREQUIRED,
	    .pr_name = "tcp", .pr_sndspace = TCP_SPACE,
	    .pr_rcvspace = TCP_SPACE, .pr_listen = host_listen, HOST_OPS },
	{ .pr_domain = AF_INET, .pr_type = SOCK_DGRAM,
	    .pr_protocol = IPPROTO_UDP, .pr_flags = PR_ATOMIC | PR_ADDR,
	    .pr_name = "udp", .pr_sndspace = UDP_SNDSPACE,
	    .pr_rcvspace = UDP_RCVSPACE, .pr_listen = host_listen_notsupp,
	    HOST_OPS },
	{ .pr_domain = AF_INET6, .pr_type = SOCK_STREAM,
	    .pr_protocol = IPPROTO_TCP, .pr_flags = PR_CONNREQUIRED,
	    .pr_name = "tcp6", .pr_sndspace = TCP_SPACE,
	    .pr_rcvspace = TCP_SPACE, .pr_listen = host_listen, HOST_OPS },
	{ .pr_domain = AF_INET6, .pr_type = SOCK_DGRAM,
	    .pr_protocol = IPPROTO_UDP, .pr_flags = PR_ATOMIC | PR_ADDR,
	    .pr_name = "udp6", .pr_sndspace = UDP_SNDSPACE,
	    .pr_rcvspace = UDP_RCVSPACE, .pr_listen = host_listen_notsupp,
	    HOST_OPS },
	{ .pr_domain = AF_UNIX, .pr_type = SOCK_STREAM, .pr_protocol = 0,
	    .pr_flags = PR_CONNREQUIRED, .pr_name = "local-stream",
	    .pr_sndspace = LOCAL_STREAM, .pr_rcvspace = LOCAL_STREAM,
	    .pr_listen = host_listen, HOST_OPS },
	{ .pr_domain = AF_UNIX, .pr_type = SOCK_DGRAM, .pr_protocol = 0,
	    .pr_flags = PR_ATOMIC | PR_ADDR, .pr_name = "local-dgram",
	    .pr_sndspace = LOCAL_DGRAM_SND, .pr_rcvspace = LOCAL_DGRAM_RCV,
	    .pr_listen = host_listen_notsupp, HOST_OPS },
};
const size_t xk_host_nprotosw = G_N_ELEMENTS(xk_host_protosw);
