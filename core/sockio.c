/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The socket layer's generic operations with XNU's rules (uipc_socket.c):
 * sosend, soreceive, soconnect, accept, shutdown and the socket-level
 * options.  Blocking waits use the socket's condition variable; on the
 * loop thread nothing waits.
 */
#include "core/xk.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include <xkpi.h>

#include "core/socket_var.h"

static gint64
sb_deadline(const struct xk_sockbuf *sb)
{
	const struct timeval *tv = &sb->sb_timeo;

	if (tv->tv_sec == 0 && tv->tv_usec == 0) {
		return 0;
	}
	return g_get_monotonic_time() + (gint64)tv->tv_sec * G_USEC_PER_SEC +
	    tv->tv_usec;
}

/* Waits for a change; EWOULDBLOCK once @deadline passed, EBADF on close. */
static int
so_wait_locked(struct __socket *so, gint64 deadline)
{
	bool woke;

	so->so_waiters++;
	woke = xk_cond_wait(&so->so_cv, deadline);
	so->so_waiters--;
	if (so->so_flags & SOF_CLOSED) {
		return EBADF;
	}
	if (!woke && deadline != 0 && g_get_monotonic_time() >= deadline) {
		return EWOULDBLOCK;
	}
	return 0;
}

static bool
so_nbio(const struct __socket *so, int flags)
{
	return (so->so_state & SS_NBIO) || (flags & MSG_NBIO) ||
	    xk_on_loop_thread();
}

/* Send */

/* Whether a send of @resid bytes may go now: 0, or sosend's error. */
static int
sosend_check_locked(struct __socket *so, const struct sockaddr *to,
    size_t resid, bool atomic)
{
	int error;

	if (so->so_flags & SOF_CLOSED) {
		return EBADF;
	}
	if (so->so_state & SS_CANTSENDMORE) {
		return EPIPE;
	}
	if (so->so_error != 0) {
		error = so->so_error;
		so->so_error = 0;
		return error;
	}
	if (!(so->so_state & SS_ISCONNECTED)) {
		if (so->so_proto->pr_flags & PR_CONNREQUIRED) {
			return ENOTCONN;
		}
		if (to == NULL) {
			return EDESTADDRREQ;
		}
	}
	if (atomic && resid > so->so_snd.sb_hiwat) {
		return EMSGSIZE;
	}
	return 0;
}

int
xk_sosend_direct(struct __socket *so, const struct sockaddr *to,
    socklen_t tolen, const struct iovec *iov, int iovcnt, size_t len,
    int flags, size_t *sent)
{
	const struct xk_protosw *pr = so->so_proto;
	int error;

	*sent = 0;
	if (pr->pr_send_direct == NULL || !(pr->pr_flags & PR_ATOMIC) ||
	    (flags & MSG_OOB)) {
		return XK_SEND_SLOW;
	}
	xk_core_lock();
	if ((error = sosend_check_locked(so, to, len, true)) == 0) {
		/* Waiting for room is xk_sosend's. */
		if (xk_sbspace(&so->so_snd) < len) {
			error = XK_SEND_SLOW;
		} else {
			error = pr->pr_send_direct(so, to, tolen, iov, iovcnt,
			    len, flags);
		}
	}
	xk_core_unlock();
	if (error == 0) {
		*sent = len;
	}
	return error;
}

int
xk_sosend(struct __socket *so, const struct sockaddr *to, socklen_t tolen,
    struct __mbuf *top, const void *control, size_t controllen, int flags,
    bool atomic_mbuf, size_t *sent)
{
	const struct xk_protosw *pr = so->so_proto;
	bool atomic = (pr->pr_flags & PR_ATOMIC) || atomic_mbuf;
	size_t resid, done = 0;
	gint64 deadline;
	int error = 0;

	*sent = 0;
	resid = (top->m_flags & M_PKTHDR) ? (size_t)top->m_pkthdr.len :
	    xk_m_length(top);
	xk_core_lock();
	xk_so_ref_locked(so);
	deadline = sb_deadline(&so->so_snd);
	if ((flags & MSG_OOB) && so->so_type != SOCK_STREAM) {
		error = EOPNOTSUPP;
		goto out;
	}
	for (;;) {
		struct __mbuf *rest = NULL;
		uint32_t space;
		size_t chunk;

		if ((error = sosend_check_locked(so, to, resid, atomic)) != 0) {
			break;
		}
		space = xk_sbspace(&so->so_snd);
		if (space < resid && (atomic || space < so->so_snd.sb_lowat)) {
			/* MSG_DONTWAIT does not count here: XNU's rule. */
			if (so_nbio(so, flags)) {
				error = EWOULDBLOCK;
				break;
			}
			if ((error = so_wait_locked(so, deadline)) != 0) {
				break;
			}
			continue;
		}
		chunk = resid;
		if (!atomic && space < resid) {
			chunk = space;
			if ((rest = xk_m_split(top, chunk)) == NULL) {
				error = ENOBUFS;
				break;
			}
		}
		error = pr->pr_send(so, top, to, tolen, control, controllen,
		    flags);
		if (error == EWOULDBLOCK && (pr->pr_flags & PR_ATOMIC)) {
			/* The host is full; the datagram is still ours. */
			if (so_nbio(so, flags)) {
				break;
			}
			if ((error = so_wait_locked(so, deadline)) != 0) {
				break;
			}
			continue;
		}
		top = rest;
		if (error != 0) {
			break;
		}
		control = NULL;
		controllen = 0;
		done += chunk;
		resid -= chunk;
		if (top == NULL || resid == 0) {
			break;
		}
	}
out:
	xk_m_freem(top);
	/* Some bytes went out: XNU's sendit reports success. */
	if (done > 0 && (error == EWOULDBLOCK || error == EINTR)) {
		error = 0;
	}
	if (error == 0 && (flags & MSG_EOF) && so->so_type == SOCK_STREAM &&
	    !(so->so_state & SS_CANTSENDMORE)) {
		/* The data is queued: end the stream, as SHUT_WR would. */
		xk_socantsendmore_locked(so);
		(void)pr->pr_shutdown(so, SHUT_WR);
	}
	*sent = error == 0 ? done : 0;
	xk_so_unref_locked(so);
	xk_core_unlock();
	return error;
}

/* Receive */

/* Removes @len bytes from the front of a stream buffer. */
static void
sbdrop_stream_locked(struct xk_sockbuf *sb, size_t len)
{
	sb->sb_cc -= (uint32_t)len;
	while (sb->sb_mb != NULL && (len > 0 || sb->sb_mb->m_len == 0)) {
		struct __mbuf *m = sb->sb_mb;

		if ((size_t)m->m_len > len) {
			m->m_data += len;
			m->m_len -= (int32_t)len;
			break;
		}
		len -= (size_t)m->m_len;
		sb->sb_mb = xk_m_free(m);
	}
	if (sb->sb_mb == NULL) {
		sb->sb_lastrecord = NULL;
	}
}

/* Copies @len bytes of @m at @off into the iovecs of @msg at @at. */
static void
copy_to_iov(const struct __mbuf *m, size_t off, size_t len,
    const struct msghdr *msg, size_t at)
{
	for (size_t i = 0; i < (size_t)msg->msg_iovlen && len > 0; i++) {
		struct iovec *iov = &msg->msg_iov[i];
		size_t t;

		if (at >= iov->iov_len) {
			at -= iov->iov_len;
			continue;
		}
		t = iov->iov_len - at < len ? iov->iov_len - at : len;
		xk_m_copydata(m, off, t, (char *)iov->iov_base + at);
		off += t;
		len -= t;
		at = 0;
	}
}

static size_t
iov_total(const struct msghdr *msg)
{
	size_t n = 0;

	for (size_t i = 0; i < (size_t)msg->msg_iovlen; i++) {
		n += msg->msg_iov[i].iov_len;
	}
	return n;
}

/* The host is paused on a full buffer and there is room again. */
static void
rcv_resume_locked(struct __socket *so)
{
	if ((so->so_rcv.sb_flags & SB_STOPPED) &&
	    xk_sbspace(&so->so_rcv) > 0) {
		so->so_rcv.sb_flags &= ~SB_STOPPED;
		xk_so_kick_locked(so, XK_PEND_REARM_READ);
	}
}

/*
 * Control messages copied into a buffer that was too short: the one that
 * was cut keeps only what was copied, its cmsg_len lowered to fit, or
 * goes when not even its header fits, as Linux's recvmsg does.  (XNU
 * leaves the cut message's cmsg_len whole, and a caller that trusts it
 * reads past its buffer.)  Returns the length to report.
 */
static size_t
ctl_cut(void *ctl, size_t len)
{
	struct cmsghdr cm;
	size_t off = 0;

	while (off + sizeof(cm) <= len) {
		memcpy(&cm, (char *)ctl + off, sizeof(cm));
		if (cm.cmsg_len < sizeof(cm)) {
			break;
		}
		if (cm.cmsg_len > len - off) {
			cm.cmsg_len = len - off;
			memcpy((char *)ctl + off, &cm, sizeof(cm));
			return len;
		}
		off += CMSG_ALIGN(cm.cmsg_len);
	}
	return off < len ? off : len;
}

static int
soreceive_dgram_locked(struct __socket *so, struct msghdr *msg,
    struct __mbuf **mp, size_t *resid, int flags, int *rflags)
{
	struct xk_sockbuf *sb = &so->so_rcv;
	struct __mbuf *rec = sb->sb_mb, *m = rec, *data, *tail = NULL;
	size_t ctlcopied = 0, ctllen = 0, salen = 0, dlen, take;
	bool peek = flags & MSG_PEEK;
	bool keep = false;

	if (m != NULL && m->m_type == MBUF_TYPE_SONAME) {
		salen = (size_t)m->m_len;
		if (msg != NULL && msg->msg_name != NULL) {
			/* XNU never updates msg_namelen. */
			memcpy(msg->msg_name, m->m_data,
			    salen < msg->msg_namelen ? salen :
			    msg->msg_namelen);
		}
		m = m->m_next;
	}
	for (; m != NULL && m->m_type == MBUF_TYPE_CONTROL; m = m->m_next) {
		size_t n = (size_t)m->m_len;

		ctllen += n;
		if (msg == NULL || msg->msg_control == NULL) {
			continue;
		}
		if (ctlcopied + n > msg->msg_controllen) {
			n = msg->msg_controllen - ctlcopied;
			*rflags |= MSG_CTRUNC;
		}
		memcpy((char *)msg->msg_control + ctlcopied, m->m_data, n);
		ctlcopied += n;
	}
	if (msg != NULL && msg->msg_control != NULL) {
		msg->msg_controllen = (*rflags & MSG_CTRUNC) ?
		    ctl_cut(msg->msg_control, ctlcopied) : ctlcopied;
	}
	data = m;
	dlen = xk_m_length(data);
	take = dlen < *resid ? dlen : *resid;
	if (take < dlen) {
		if (so->so_options & SO_OPT_DONTTRUNC) {
			*rflags |= MSG_RCVMORE;
			keep = true;
		} else {
			*rflags |= MSG_TRUNC;
		}
	}
	if (mp != NULL) {
		int error = 0;

		if (peek || keep) {
			*mp = take > 0 ? xk_m_copym(data, 0, take, &error) :
			    NULL;
		} else {
			*mp = data;
			if (take < dlen) {
				tail = xk_m_split(data, take);
				if (tail == NULL) {
					error = ENOBUFS;
				}
			}
		}
		if (error != 0) {
			*mp = NULL;
			return error;
		}
	} else if (msg != NULL) {
		copy_to_iov(data, 0, take, msg, 0);
	}
	*resid = take;
	if (peek) {
		return 0;
	}
	if (keep) {
		/* SO_DONTTRUNC: the remainder stays as the record's data. */
		xk_m_adj(data, (int)take);
		sb->sb_cc -= (uint32_t)take;
		return 0;
	}
	/* Unlink the record and free what the caller did not take. */
	sb->sb_mb = rec->m_nextpkt;
	if (sb->sb_mb == NULL) {
		sb->sb_lastrecord = NULL;
	}
	rec->m_nextpkt = NULL;
	sb->sb_cc -= (uint32_t)(salen + ctllen + dlen);
	sb->sb_ctl -= (uint32_t)(salen + ctllen);
	for (m = rec; m != data;) {
		m = xk_m_free(m);
	}
	if (mp == NULL) {
		xk_m_freem(data);
	} else {
		xk_m_freem(tail);
	}
	return 0;
}

/* Takes up to @want bytes of stream data; appends them to *mp or @msg. */
static int
soreceive_stream_take(struct __socket *so, struct msghdr *msg,
    struct __mbuf **mp, size_t want, size_t at, int flags, size_t *took)
{
	struct xk_sockbuf *sb = &so->so_rcv;
	size_t avail = xk_sb_datalen(sb);
	size_t take = avail < want ? avail : want;
	struct __mbuf *chunk = NULL, *rest;
	int error = 0;

	*took = 0;
	if (take == 0) {
		return 0;
	}
	if (mp == NULL) {
		copy_to_iov(sb->sb_mb, 0, take, msg, at);
		if (!(flags & MSG_PEEK)) {
			sbdrop_stream_locked(sb, take);
		}
	} else if (flags & MSG_PEEK) {
		chunk = xk_m_copym(sb->sb_mb, 0, take, &error);
	} else if (take == avail) {
		chunk = sb->sb_mb;
		sb->sb_mb = NULL;
		sb->sb_lastrecord = NULL;
		sb->sb_cc = 0;
	} else {
		chunk = sb->sb_mb;
		if ((rest = xk_m_split(chunk, take)) == NULL) {
			return ENOBUFS;
		}
		sb->sb_mb = rest;
		sb->sb_cc -= (uint32_t)take;
		/*
		 * A cut inside the last mbuf gave it to the caller: the tail
		 * that appends go to is in the rest now.
		 */
		for (sb->sb_lastrecord = rest; sb->sb_lastrecord->m_next !=
		    NULL; sb->sb_lastrecord = sb->sb_lastrecord->m_next) {
			;
		}
	}
	if (error != 0) {
		return error;
	}
	if (mp != NULL) {
		if (*mp == NULL) {
			*mp = chunk;
		} else {
			xk_m_cat(*mp, chunk);
		}
	}
	*took = take;
	return 0;
}

/*
 * Stream data handed out as mbufs starts with a packet header whose
 * length is the bytes returned: XNU's first mbuf keeps the M_PKTHDR of
 * the segment it came in, and kexts read the record length from it.
 * The buffer holds clusters (host_rx_stream), which take a header in
 * place; a small mbuf first gets one put in front of it.
 */
static void
stream_pkthdr(struct __mbuf **mp, size_t len)
{
	struct __mbuf *m = *mp, *h;

	if (!(m->m_flags & M_PKTHDR)) {
		if (m->m_flags & M_EXT) {
			xk_m_pkthdr_init(m);
			m->m_flags |= M_PKTHDR;
		} else if ((h = xk_m_get(MBUF_TYPE_DATA, true)) != NULL) {
			h->m_next = m;
			*mp = m = h;
		} else {
			return;
		}
	}
	m->m_pkthdr.len = (int32_t)len;
}

int
xk_soreceive(struct __socket *so, struct msghdr *msg, struct __mbuf **mp,
    size_t *resid, int flags)
{
	const struct xk_protosw *pr = so->so_proto;
	size_t want = *resid, got = 0, took;
	bool nbio, pulled = false;
	int error = 0, rflags = 0;
	gint64 deadline;

	*resid = 0;
	if (mp != NULL) {
		*mp = NULL;
	} else {
		want = iov_total(msg) < want ? iov_total(msg) : want;
	}
	if (flags & MSG_OOB) {
		/* Out-of-band data is not carried (see deviations). */
		return so->so_type == SOCK_STREAM ? EINVAL : EOPNOTSUPP;
	}
	xk_core_lock();
	xk_so_ref_locked(so);
	nbio = so_nbio(so, flags) || (flags & MSG_DONTWAIT);
	deadline = sb_deadline(&so->so_rcv);
	for (;;) {
		if (so->so_flags & SOF_CLOSED) {
			error = EBADF;
			break;
		}
		if (so->so_rcv.sb_cc == 0 && !pulled &&
		    pr->pr_rcvpull != NULL && xk_on_loop(so->so_loop) &&
		    !(so->so_flags & SOF_DETACHED)) {
			/* In an upcall: what the host holds is there to read. */
			pulled = true;
			pr->pr_rcvpull(so);
			continue;
		}
		if (so->so_rcv.sb_cc == 0) {
			if (got > 0 && !(flags & MSG_WAITALL)) {
				break;
			}
			if (so->so_error != 0) {
				if (got == 0) {
					error = so->so_error;
					if (!(flags & MSG_PEEK)) {
						so->so_error = 0;
					}
				}
				break;
			}
			if (so->so_state & SS_CANTRCVMORE) {
				break;	/* end of file: 0 bytes, success */
			}
			if ((pr->pr_flags & PR_CONNREQUIRED) &&
			    !(so->so_state & (SS_ISCONNECTED |
			    SS_ISCONNECTING))) {
				error = ENOTCONN;
				break;
			}
			if (nbio) {
				error = got > 0 ? 0 : EWOULDBLOCK;
				break;
			}
			if ((error = so_wait_locked(so, deadline)) != 0) {
				if (got > 0) {
					error = 0;	/* partial WAITALL */
				}
				break;
			}
			continue;
		}
		if (pr->pr_flags & PR_ADDR) {
			size_t n = want;

			error = soreceive_dgram_locked(so, msg, mp, &n, flags,
			    &rflags);
			got = n;
			break;
		}
		error = soreceive_stream_take(so, msg, mp, want - got, got,
		    flags, &took);
		got += took;
		if (took > 0 && !(flags & MSG_PEEK)) {
			/* A MSG_WAITALL reader must let the host refill. */
			rcv_resume_locked(so);
		}
		if (error != 0 || got >= want || !(flags & MSG_WAITALL) ||
		    (flags & MSG_PEEK)) {
			break;
		}
	}
	if (got > 0 && !(flags & MSG_PEEK)) {
		rcv_resume_locked(so);
	}
	xk_so_unref_locked(so);
	xk_core_unlock();
	if (error != 0) {
		if (mp != NULL) {
			xk_m_freem(*mp);
			*mp = NULL;
		}
		return error;
	}
	if (mp != NULL && *mp != NULL && !(pr->pr_flags & PR_ADDR)) {
		stream_pkthdr(mp, got);
	}
	if (msg != NULL) {
		/* XNU echoes the caller's flags with the results. */
		msg->msg_flags = flags | rflags;
	}
	*resid = got;
	return 0;
}

/* Connect, accept, shutdown */

int
xk_soconnect(struct __socket *so, const struct sockaddr *sa, socklen_t len,
    int flags)
{
	const struct xk_protosw *pr = so->so_proto;
	bool nbio;
	int error;

	xk_core_lock();
	xk_so_ref_locked(so);
	nbio = so_nbio(so, flags) || (flags & MSG_DONTWAIT);
	if (so->so_flags & SOF_CLOSED) {
		error = EBADF;
		goto out;
	}
	if ((so->so_options & SO_OPT_ACCEPTCONN) ||
	    (pr->pr_flags & PR_NOCONNECT)) {
		error = EOPNOTSUPP;
		goto out;
	}
	if ((so->so_state & SS_ISCONNECTING) && nbio) {
		error = EALREADY;
		goto out;
	}
	if (so->so_state & (SS_ISCONNECTED | SS_ISCONNECTING)) {
		if (pr->pr_flags & PR_CONNREQUIRED) {
			error = EISCONN;
			goto out;
		}
		/* A datagram socket is disconnected first, as in XNU. */
		if ((error = pr->pr_disconnect(so)) != 0) {
			goto out;
		}
	}
	if ((error = pr->pr_connect(so, sa, len)) != 0) {
		so->so_state &= ~SS_ISCONNECTING;
		goto out;
	}
	if (!(so->so_state & SS_ISCONNECTING)) {
		goto out;
	}
	if (nbio) {
		error = EINPROGRESS;
		goto out;
	}
	while ((so->so_state & SS_ISCONNECTING) && so->so_error == 0) {
		if ((error = so_wait_locked(so, 0)) != 0) {
			goto out;
		}
	}
	error = so->so_error;
	so->so_error = 0;
out:
	xk_so_unref_locked(so);
	xk_core_unlock();
	return error;
}

int
xk_soaccept(struct __socket *so, int flags, struct __socket **childp)
{
	struct __socket *child;
	int error = 0;
	bool nbio;

	*childp = NULL;
	xk_core_lock();
	xk_so_ref_locked(so);
	nbio = so_nbio(so, flags) || (flags & MSG_DONTWAIT);
	if (so->so_proto->pr_flags & PR_NOCONNECT) {
		error = EOPNOTSUPP;
		goto out;
	}
	if (!(so->so_options & SO_OPT_ACCEPTCONN)) {
		error = EINVAL;
		goto out;
	}
	while (g_queue_is_empty(&so->so_comp)) {
		if (so->so_flags & SOF_CLOSED) {
			error = EBADF;
			goto out;
		}
		if (so->so_error != 0) {
			error = so->so_error;
			so->so_error = 0;
			goto out;
		}
		if (so->so_state & SS_CANTRCVMORE) {
			error = ECONNABORTED;
			goto out;
		}
		if (nbio) {
			error = EWOULDBLOCK;
			goto out;
		}
		if ((error = so_wait_locked(so, 0)) != 0) {
			goto out;
		}
	}
	child = g_queue_pop_head(&so->so_comp);
	child->so_head = NULL;
	child->so_state &= ~SS_COMP;
	/* The queue had room again: accept more from the host. */
	xk_so_kick_locked(so, XK_PEND_REARM_READ);
	*childp = child;
out:
	xk_so_unref_locked(so);
	xk_core_unlock();
	return error;
}

int
xk_soshutdown(struct __socket *so, int how)
{
	const struct xk_protosw *pr = so->so_proto;
	int error = 0;

	xk_core_lock();
	if (!(so->so_state & (SS_ISCONNECTED | SS_ISCONNECTING |
	    SS_ISDISCONNECTING))) {
		error = ENOTCONN;
		goto out;
	}
	if (how != SHUT_WR) {
		if (so->so_state & SS_CANTRCVMORE) {
			error = ENOTCONN;	/* read side already shut */
			goto out;
		}
		xk_socantrcvmore_locked(so);
		xk_sbflush_locked(&so->so_rcv);
		(void)pr->pr_shutdown(so, SHUT_RD);
	}
	if (how != SHUT_RD) {
		if (so->so_state & SS_CANTSENDMORE) {
			error = ENOTCONN;	/* write side already shut */
			goto out;
		}
		xk_socantsendmore_locked(so);
		error = pr->pr_shutdown(so, SHUT_WR);
	}
out:
	xk_core_unlock();
	return error;
}

/* Socket options */

/* Options kept as so_options bits, reported with XNU's bit values. */
static uint32_t
opt_bit(int name)
{
	switch (name) {
	case SO_DEBUG:
		return SO_OPT_DEBUG;
	case SO_REUSEADDR:
		return SO_OPT_REUSEADDR;
	case SO_KEEPALIVE:
		return SO_OPT_KEEPALIVE;
	case SO_DONTROUTE:
		return SO_OPT_DONTROUTE;
	case SO_BROADCAST:
		return SO_OPT_BROADCAST;
	case SO_OOBINLINE:
		return SO_OPT_OOBINLINE;
	case SO_REUSEPORT:
		return SO_OPT_REUSEPORT;
	case SO_DONTTRUNC:
		return SO_OPT_DONTTRUNC;
	case SO_TIMESTAMP:
		return SO_OPT_TIMESTAMP;
	default:
		return 0;
	}
}

/* Options kept as so_flags bits, reported as 0 or 1. */
static uint32_t
flag_bit(int name)
{
	switch (name) {
	case SO_NOSIGPIPE:
		return SOF_NOSIGPIPE;
	case SO_NOADDRERR:
		return SOF_NOADDRAVAIL;
	case SO_UPCALLCLOSEWAIT:
		return SOF_UPCALLCLOSEWAIT;
	default:
		return 0;
	}
}

static bool
tclass_ok(int tc)
{
	switch (tc) {
	case SO_TC_BE:
	case SO_TC_BK_SYS:
	case SO_TC_VI:
	case SO_TC_VO:
		return true;
	default:
		/* XNU's other classes: BK 100..., RD 400, OAM 500, ... */
		return tc == 200 || tc == 300 || tc == 400 || tc == 500 ||
		    tc == 600 || tc == 900;
	}
}

int
xk_sosetopt(struct __socket *so, int level, int name, const void *val,
    socklen_t len)
{
	const struct xk_protosw *pr = so->so_proto;
	struct xk_sockbuf *sb;
	struct timeval tv;
	uint32_t bit;
	int error = 0, v = 0;

	xk_core_lock();
	if (so->so_flags & SOF_CLOSED) {
		error = EBADF;
		goto out;
	}
	if (level != SOL_SOCKET) {
		error = pr->pr_ctloutput(so, true, level, name, (void *)val,
		    &len);
		goto out;
	}
	if (name != SO_RCVTIMEO && name != SO_SNDTIMEO && name != SO_LINGER) {
		if (len < (socklen_t)sizeof(int)) {
			error = EINVAL;
			goto out;
		}
		memcpy(&v, val, sizeof(v));
	}
	if ((bit = opt_bit(name)) != 0) {
		if (name != SO_DONTTRUNC && so->so_fd >= 0) {
			error = pr->pr_ctloutput(so, true, level, name, &v,
			    &len);
			if (error != 0) {
				goto out;
			}
		}
		if (v != 0) {
			so->so_options |= bit;
		} else {
			so->so_options &= ~bit;
		}
		goto out;
	}
	if ((bit = flag_bit(name)) != 0) {
		if (v != 0) {
			so->so_flags |= bit;
		} else {
			so->so_flags &= ~bit;
		}
		goto out;
	}
	switch (name) {
	case SO_SNDBUF:
	case SO_RCVBUF:
		if (v < 1) {
			error = EINVAL;
			break;
		}
		sb = name == SO_SNDBUF ? &so->so_snd : &so->so_rcv;
		if ((error = xk_sb_reserve(so, sb, (uint64_t)v)) != 0) {
			break;
		}
		/* The host buffer follows, so the host queues as much. */
		(void)pr->pr_ctloutput(so, true, level, name, &v, &len);
		if (name == SO_RCVBUF) {
			so->so_rcv.sb_flags &= ~SB_STOPPED;
			xk_so_kick_locked(so, XK_PEND_REARM_READ);
		} else {
			xk_sowwakeup_locked(so);
		}
		break;
	case SO_SNDLOWAT:
	case SO_RCVLOWAT:
		if (v < 0) {
			error = EINVAL;
			break;
		}
		sb = name == SO_SNDLOWAT ? &so->so_snd : &so->so_rcv;
		sb->sb_lowat = (uint32_t)v > sb->sb_hiwat ? sb->sb_hiwat :
		    (uint32_t)v;
		if (name == SO_SNDLOWAT) {
			xk_sowwakeup_locked(so);
		}
		break;
	case SO_RCVTIMEO:
	case SO_SNDTIMEO:
		if (len < (socklen_t)sizeof(tv)) {
			error = EINVAL;
			break;
		}
		memcpy(&tv, val, sizeof(tv));
		if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000) {
			error = EDOM;
			break;
		}
		(name == SO_RCVTIMEO ? &so->so_rcv : &so->so_snd)->sb_timeo =
		    tv;
		break;
	case SO_LINGER:
		error = pr->pr_ctloutput(so, true, level, name, (void *)val,
		    &len);
		break;
	case SO_TRAFFIC_CLASS:
		if (!tclass_ok(v)) {
			error = EINVAL;
			break;
		}
		so->so_tclass = v;
		break;
	default:
		error = ENOPROTOOPT;
		break;
	}
out:
	xk_core_unlock();
	return error;
}

static void
opt_out(void *val, socklen_t *len, const void *src, size_t size)
{
	size_t n = (size_t)*len < size ? (size_t)*len : size;

	memcpy(val, src, n);
	*len = (socklen_t)n;
}

int
xk_sogetopt(struct __socket *so, int level, int name, void *val,
    socklen_t *len)
{
	const struct xk_protosw *pr = so->so_proto;
	struct timeval tv;
	uint32_t bit;
	int error = 0, v;

	xk_core_lock();
	if (so->so_flags & SOF_CLOSED) {
		error = EBADF;
		goto out;
	}
	if (level != SOL_SOCKET) {
		error = pr->pr_ctloutput(so, false, level, name, val, len);
		if (error == 0 && level == IPPROTO_TCP && name == TCP_NODELAY &&
		    *len >= (socklen_t)sizeof(int) && *(int *)val != 0) {
			/* XNU reports t_flags & TF_NODELAY: 4. */
			*(int *)val = 4;
		}
		goto out;
	}
	if ((bit = opt_bit(name)) != 0 || name == SO_ACCEPTCONN) {
		v = (int)(so->so_options & (bit != 0 ? bit :
		    SO_OPT_ACCEPTCONN));
		opt_out(val, len, &v, sizeof(v));
		goto out;
	}
	if ((bit = flag_bit(name)) != 0) {
		/* XNU reports the so_flags bit itself. */
		v = (int)(so->so_flags & bit);
		opt_out(val, len, &v, sizeof(v));
		goto out;
	}
	switch (name) {
	case SO_SNDBUF:
		v = (int)so->so_snd.sb_hiwat;
		break;
	case SO_RCVBUF:
		v = (int)so->so_rcv.sb_hiwat;
		break;
	case SO_SNDLOWAT:
		v = (int)so->so_snd.sb_lowat;
		break;
	case SO_RCVLOWAT:
		v = (int)so->so_rcv.sb_lowat;
		break;
	case SO_ERROR:
		v = so->so_error;
		so->so_error = 0;
		break;
	case SO_TYPE:
		v = so->so_type;
		break;
	case SO_TRAFFIC_CLASS:
		v = so->so_tclass;
		break;
	case SO_NREAD:
		/* Datagrams: the first one's data; streams: all queued. */
		if ((pr->pr_flags & PR_ADDR) && so->so_rcv.sb_mb != NULL) {
			struct __mbuf *m = so->so_rcv.sb_mb;

			while (m != NULL && (m->m_type == MBUF_TYPE_SONAME ||
			    m->m_type == MBUF_TYPE_CONTROL)) {
				m = m->m_next;
			}
			v = (int)xk_m_length(m);
		} else {
			v = (int)xk_sb_datalen(&so->so_rcv);
		}
		break;
	case SO_RCVTIMEO:
	case SO_SNDTIMEO:
		tv = (name == SO_RCVTIMEO ? &so->so_rcv : &so->so_snd)->sb_timeo;
		opt_out(val, len, &tv, sizeof(tv));
		goto out;
	case SO_LINGER:
		error = pr->pr_ctloutput(so, false, level, name, val, len);
		goto out;
	default:
		error = ENOPROTOOPT;
		goto out;
	}
	opt_out(val, len, &v, sizeof(v));
out:
	xk_core_unlock();
	return error;
}
