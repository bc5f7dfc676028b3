/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The socket KPI facade: XNU's argument checks and errno for each call,
 * sockaddr lengths from the family, reference counting (spec 1.3), then
 * the engine (core/socket.c, core/sockio.c).
 */
#include "core/xk.h"

#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <netinet6/send.h>
#include <sys/kpi_socket.h>
#include <xkpi.h>

#include "core/socket_var.h"

#define HZ	100	/* XNU's clock, for sock_connectwait's bound */
#define XK_UIO_MAXIOV	1024	/* BSD's and Linux's UIO_MAXIOV */

/* Installs @cb as a single-callback function does: XNU's arch rule. */
static void
setupcall_locked(struct __socket *so, sock_upcall cb, void *ctx)
{
	if (xk_lib_upcall_mode() == XKPI_UPCALL_ARM64) {
		xk_so_setupcalls_locked(so, cb, ctx, cb, ctx);
	} else {
		xk_so_setupcalls_locked(so, cb, ctx, NULL, NULL);
	}
}

/*
 * Copies the caller's address into aligned storage: a struct sockaddr
 * may sit at any address, and the protocols read its fields through
 * struct sockaddr_in and sockaddr_in6.  Returns the length the family
 * gives, or 0 (nothing copied) for a family without one.
 */
static socklen_t
copy_addr_in(const struct sockaddr *sa, struct sockaddr_storage *ss)
{
	socklen_t len = xk_sa_len(sa);

	if (len != 0) {
		memcpy(ss, sa, len);
	}
	return len;
}

/*
 * The iovec array of a send or a receive, checked as BSD's uio setup
 * and copyin would: more than UIO_MAXIOV entries is EMSGSIZE; a NULL
 * base under a non-zero length is EFAULT (a bad address); a total over
 * INT_MAX is EINVAL.  Nothing past msg_iovlen entries is read.
 */
static int
iov_check(const struct msghdr *msg, size_t *total)
{
	const struct iovec *iov;

	*total = 0;
	if ((size_t)msg->msg_iovlen > XK_UIO_MAXIOV) {
		return EMSGSIZE;
	}
	for (size_t i = 0; i < (size_t)msg->msg_iovlen; i++) {
		iov = &msg->msg_iov[i];
		if (iov->iov_len > (size_t)INT_MAX - *total) {
			return EINVAL;
		}
		if (iov->iov_base == NULL && iov->iov_len != 0) {
			return EFAULT;
		}
		*total += iov->iov_len;
	}
	return 0;
}

static void
copy_addr_out(struct sockaddr *dst, int dstlen,
    const struct sockaddr_storage *ss, socklen_t sslen)
{
	size_t n = (size_t)dstlen < (size_t)sslen ? (size_t)dstlen :
	    (size_t)sslen;

	memcpy(dst, ss, n);
}

/* Creation and references */

XK_EXPORT errno_t
sock_socket(int domain, int type, int protocol, sock_upcall cb, void *cookie,
    socket_t *new_so)
{
	struct __socket *so;
	int error;

	if (new_so == NULL) {
		return EINVAL;
	}
	*new_so = NULL;
	if ((error = xk_so_create(domain, type, protocol, &so)) != 0) {
		return error;
	}
	if (cb != NULL) {
		xk_core_lock();
		setupcall_locked(so, cb, cookie);
		xk_core_unlock();
	}
	*new_so = so;
	return 0;
}

XK_EXPORT void
sock_retain(socket_t so)
{
	if (so == NULL || xk_so_check(so, __func__) != 0) {
		return;
	}
	xk_core_lock();
	so->so_retaincnt++;
	so->so_usecount++;
	xk_core_unlock();
}

XK_EXPORT void
sock_release(socket_t so)
{
	if (so == NULL || xk_so_check(so, __func__) != 0) {
		return;
	}
	xk_core_lock();
	if ((so->so_flags & SOF_UPCALLCLOSEWAIT) && !xk_on_loop_thread()) {
		so->so_flags |= SOF_CLOSEWAIT;
		while (so->so_upcallusecount > 0) {
			xk_cond_wait(&so->so_cv, 0);
		}
		so->so_flags &= ~SOF_CLOSEWAIT;
	}
	if (so->so_retaincnt <= 0) {
		xk_core_unlock();
		xk_panic("sock_release: socket %p was not retained", (void *)so);
		return;
	}
	so->so_retaincnt--;
	if (so->so_retaincnt == 0 && so->so_usecount == 1 &&
	    !(so->so_state & SS_NOFDREF)) {
		/* The creator closed it already: this is the real close. */
		so->so_usecount = 0;
		xk_soclose_locked(so);
	} else {
		so->so_usecount--;
	}
	xk_core_unlock();
}

XK_EXPORT void
sock_close(socket_t so)
{
	if (so == NULL || xk_so_check(so, __func__) != 0) {
		return;
	}
	xk_core_lock();
	/* A retained socket stays open: only this flag tells a 2nd close. */
	if (so->so_flags & SOF_KPICLOSED) {
		xk_core_unlock();
		xk_panic("sock_close: socket %p closed twice", (void *)so);
		return;
	}
	so->so_flags |= SOF_KPICLOSED;
	so->so_usecount--;
	if (so->so_retaincnt == 0) {
		xk_soclose_locked(so);
	}
	/* Retained: the socket lives on until the last sock_release. */
	xk_core_unlock();
}

/* Addresses */

XK_EXPORT errno_t
sock_bind(socket_t so, const struct sockaddr *to)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int error;

	if (so == NULL || to == NULL) {
		return EINVAL;
	}
	if (xk_so_check(so, __func__) != 0) {
		return EBADF;
	}
	if ((len = copy_addr_in(to, &ss)) == 0) {
		return EAFNOSUPPORT;
	}
	xk_core_lock();
	error = (so->so_flags & SOF_CLOSED) ? EBADF :
	    so->so_proto->pr_bind(so, (struct sockaddr *)&ss, len);
	xk_core_unlock();
	return error;
}

XK_EXPORT errno_t
sock_connect(socket_t so, const struct sockaddr *to, int flags)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (so == NULL || to == NULL) {
		return EINVAL;
	}
	if (xk_so_check(so, __func__) != 0) {
		return EBADF;
	}
	if ((len = copy_addr_in(to, &ss)) == 0) {
		return EAFNOSUPPORT;
	}
	return xk_soconnect(so, (struct sockaddr *)&ss, len, flags);
}

XK_EXPORT errno_t
sock_connectwait(socket_t so, const struct timeval *tv)
{
	gint64 deadline;
	int error = 0;

	if (so == NULL || tv == NULL) {
		return EINVAL;
	}
	if (xk_so_check(so, __func__) != 0) {
		return EBADF;
	}
	xk_core_lock();
	xk_so_ref_locked(so);
	if (!(so->so_state & SS_ISCONNECTING) || so->so_error != 0) {
		if (so->so_error != 0) {
			error = so->so_error;
			so->so_error = 0;
		} else if (!(so->so_state & SS_ISCONNECTED)) {
			error = EINVAL;
		}
		goto out;
	}
	if (tv->tv_sec < 0 || tv->tv_sec > SHRT_MAX / HZ || tv->tv_usec < 0 ||
	    tv->tv_usec >= 1000000) {
		error = EDOM;
		goto out;
	}
	deadline = g_get_monotonic_time() + (gint64)tv->tv_sec *
	    G_USEC_PER_SEC + tv->tv_usec;
	/* Not interruptible, as in XNU; on the loop thread, no wait. */
	while ((so->so_state & SS_ISCONNECTING) && so->so_error == 0 &&
	    !(so->so_flags & SOF_CLOSED) && !xk_on_loop_thread() &&
	    g_get_monotonic_time() < deadline) {
		so->so_waiters++;
		xk_cond_wait(&so->so_cv, deadline);
		so->so_waiters--;
	}
	if (so->so_flags & SOF_CLOSED) {
		error = EBADF;
	} else if ((so->so_state & SS_ISCONNECTING) && so->so_error == 0) {
		error = EINPROGRESS;
	} else {
		error = so->so_error;
		so->so_error = 0;
	}
out:
	xk_so_unref_locked(so);
	xk_core_unlock();
	return error;
}

static int
get_addr(struct __socket *so, bool peer, struct sockaddr_storage *ss,
    socklen_t *len)
{
	const struct xk_protosw *pr = so->so_proto;
	int error;

	xk_core_lock();
	if (so->so_flags & SOF_CLOSED) {
		error = EBADF;
	} else if (peer && !(so->so_state & SS_ISCONNECTED)) {
		error = ENOTCONN;
	} else {
		error = peer ? pr->pr_peeraddr(so, ss, len) :
		    pr->pr_sockaddr(so, ss, len);
	}
	xk_core_unlock();
	return error;
}

XK_EXPORT errno_t
sock_getpeername(socket_t so, struct sockaddr *peer, int peerlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int error;

	if (so == NULL || peer == NULL || peerlen < 0) {
		return EINVAL;
	}
	if (xk_so_check(so, __func__) != 0) {
		return EBADF;
	}
	if ((error = get_addr(so, true, &ss, &len)) == 0) {
		copy_addr_out(peer, peerlen, &ss, len);
	}
	return error;
}

XK_EXPORT errno_t
sock_getsockname(socket_t so, struct sockaddr *name, int namelen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int error;

	if (so == NULL || name == NULL || namelen < 0) {
		return EINVAL;
	}
	if (xk_so_check(so, __func__) != 0) {
		return EBADF;
	}
	if ((error = get_addr(so, false, &ss, &len)) == 0) {
		copy_addr_out(name, namelen, &ss, len);
	}
	return error;
}

XK_EXPORT errno_t
sock_getaddr(socket_t so, struct sockaddr **psa, int peer)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int error;

	if (so == NULL || psa == NULL) {
		return EINVAL;
	}
	*psa = NULL;
	if (xk_so_check(so, __func__) != 0) {
		return EBADF;
	}
	error = get_addr(so, false, &ss, &len);
	if (error == 0 && peer) {
		/* XNU: an unconnected peer reads as the zero address. */
		if (get_addr(so, true, &ss, &len) != 0) {
			sa_family_t fam = ss.ss_family;

			memset(&ss, 0, sizeof(ss));
			ss.ss_family = fam;
			len = xk_sa_len((struct sockaddr *)&ss);
			if (len == 0) {
				len = sizeof(sa_family_t);
			}
		}
	}
	if (error != 0) {
		return error;
	}
	if ((*psa = malloc(len)) == NULL) {
		return ENOMEM;
	}
	memcpy(*psa, &ss, len);
	return 0;
}

XK_EXPORT void
sock_freeaddr(struct sockaddr *sa)
{
	free(sa);
}

/* Options and control */

XK_EXPORT errno_t
sock_getsockopt(socket_t so, int level, int name, void *val, int *len)
{
	socklen_t l;
	int error;

	if (so == NULL || val == NULL || len == NULL || *len < 0) {
		return EINVAL;
	}
	if (xk_so_check(so, __func__) != 0) {
		return EBADF;
	}
	l = (socklen_t)*len;
	if ((error = xk_sogetopt(so, level, name, val, &l)) == 0) {
		*len = (int)l;
	}
	return error;
}

XK_EXPORT errno_t
sock_setsockopt(socket_t so, int level, int name, const void *val, int len)
{
	static const char none;

	if (so == NULL || (val == NULL && len != 0) || len < 0) {
		return EINVAL;
	}
	/*
	 * NULL with no bytes, as XNU passes it on: RFC 3542 clears sticky
	 * options so.  The options see a pointer to nothing.
	 */
	if (val == NULL) {
		val = &none;
	}
	if (xk_so_check(so, __func__) != 0) {
		return EBADF;
	}
	return xk_sosetopt(so, level, name, val, (socklen_t)len);
}

XK_EXPORT errno_t
sock_ioctl(socket_t so, unsigned long request, void *argp)
{
	int error = 0;

	if (so == NULL) {
		return EINVAL;
	}
	if (xk_so_check(so, __func__) != 0) {
		return EBADF;
	}
	xk_core_lock();
	if (so->so_flags & SOF_CLOSED) {
		error = EBADF;
		goto out;
	}
	switch (request) {
	case FIONBIO:
	case FIOASYNC:
		if (argp == NULL) {
			error = EINVAL;
			break;
		}
		if (*(int *)argp != 0) {
			so->so_state |= request == FIONBIO ? SS_NBIO : SS_ASYNC;
		} else {
			so->so_state &= ~(request == FIONBIO ? SS_NBIO :
			    SS_ASYNC);
		}
		break;
	case FIONREAD:
		if (argp == NULL) {
			error = EINVAL;
			break;
		}
		*(int *)argp = (int)xk_sb_datalen(&so->so_rcv);
		break;
	case SIOCATMARK:
		if (argp == NULL) {
			error = EINVAL;
			break;
		}
		*(int *)argp = (so->so_state & SS_RCVATMARK) != 0;
		break;
	default:
		/* Interface and protocol requests go to the host socket. */
		if (so->so_fd < 0) {
			error = EOPNOTSUPP;
		} else if (ioctl(so->so_fd, request, argp) != 0) {
			error = errno == ENOTTY ? EOPNOTSUPP : errno;
		}
		break;
	}
out:
	xk_core_unlock();
	return error;
}

/* Whether @sa is on a directly attached network (XNU's in_localaddr). */
static bool
addr_is_local(const struct sockaddr_storage *sa)
{
	struct ifaddrs *ifs, *i;
	bool local = false;

	if (sa->ss_family == AF_INET6) {
		const struct in6_addr *a =
		    &((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_LINKLOCAL(a) || IN6_IS_ADDR_LOOPBACK(a)) {
			return true;
		}
	} else if (sa->ss_family == AF_INET) {
		uint32_t a = ntohl(((const struct sockaddr_in *)sa)->
		    sin_addr.s_addr);

		if ((a >> 24) == 127 || (a >> 16) == 0xa9fe) {
			return true;
		}
	}
	if (getifaddrs(&ifs) != 0) {
		return false;
	}
	for (i = ifs; i != NULL && !local; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_netmask == NULL ||
		    i->ifa_addr->sa_family != sa->ss_family) {
			continue;
		}
		if (sa->ss_family == AF_INET) {
			uint32_t a = ((const struct sockaddr_in *)sa)->
			    sin_addr.s_addr;
			uint32_t b = ((struct sockaddr_in *)i->ifa_addr)->
			    sin_addr.s_addr;
			uint32_t m = ((struct sockaddr_in *)i->ifa_netmask)->
			    sin_addr.s_addr;

			local = ((a ^ b) & m) == 0;
		} else {
			const uint8_t *a = ((const struct sockaddr_in6 *)sa)->
			    sin6_addr.s6_addr;
			const uint8_t *b = ((struct sockaddr_in6 *)i->ifa_addr)->
			    sin6_addr.s6_addr;
			const uint8_t *m = ((struct sockaddr_in6 *)
			    i->ifa_netmask)->sin6_addr.s6_addr;

			local = true;
			for (int k = 0; k < 16; k++) {
				if ((a[k] ^ b[k]) & m[k]) {
					local = false;
					break;
				}
			}
		}
	}
	freeifaddrs(ifs);
	return local;
}

XK_EXPORT errno_t
sock_settclassopt(socket_t so, const void *val, size_t len)
{
	struct sockaddr_storage peer;
	socklen_t plen;
	int tos, dscp, tc, error;

	if (so == NULL || val == NULL || len != sizeof(int)) {
		return EINVAL;
	}
	if (xk_so_check(so, __func__) != 0) {
		return EBADF;
	}
	if (so->so_domain != AF_INET && so->so_domain != AF_INET6) {
		return EINVAL;
	}
	if ((error = get_addr(so, true, &peer, &plen)) != 0) {
		return error == EBADF ? EINVAL : ENOTCONN;
	}
	memcpy(&tos, val, sizeof(tos));
	dscp = (tos & 0xff) >> 2;
	if (dscp >= 0x30 && dscp <= 0x3f) {
		tc = SO_TC_VO;
	} else if (dscp >= 0x20 && dscp <= 0x2f) {
		tc = SO_TC_VI;
	} else if (dscp >= 0x08 && dscp <= 0x17) {
		tc = SO_TC_BK_SYS;
	} else {
		tc = SO_TC_BE;
	}
	if ((error = xk_sosetopt(so, SOL_SOCKET, SO_TRAFFIC_CLASS, &tc,
	    sizeof(tc))) != 0) {
		return error;
	}
	/* XNU sets the TOS byte only towards a local destination. */
	if (!addr_is_local(&peer)) {
		return 0;
	}
	return so->so_domain == AF_INET ?
	    xk_sosetopt(so, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)) :
	    xk_sosetopt(so, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
}

XK_EXPORT errno_t
sock_gettclassopt(socket_t so, void *val, size_t *len)
{
	socklen_t l;
	int error;

	if (so == NULL || val == NULL || len == NULL) {
		return EINVAL;
	}
	if (xk_so_check(so, __func__) != 0) {
		return EBADF;
	}
	if (so->so_domain != AF_INET && so->so_domain != AF_INET6) {
		return EINVAL;
	}
	l = (socklen_t)(*len > INT_MAX ? INT_MAX : *len);
	error = so->so_domain == AF_INET ?
	    xk_sogetopt(so, IPPROTO_IP, IP_TOS, val, &l) :
	    xk_sogetopt(so, IPPROTO_IPV6, IPV6_TCLASS, val, &l);
	if (error == 0) {
		*len = l;
	}
	return error;
}

XK_EXPORT errno_t
sock_listen(socket_t so, int backlog)
{
	int error;

	if (so == NULL) {
		return EINVAL;
	}
	if (xk_so_check(so, __func__) != 0) {
		return EBADF;
	}
	xk_core_lock();
	error = (so->so_flags & SOF_CLOSED) ? EBADF :
	    so->so_proto->pr_listen(so, backlog);
	xk_core_unlock();
	return error;
}

XK_EXPORT errno_t
sock_accept(socket_t so, struct sockaddr *from, int fromlen, int flags,
    sock_upcall cb, void *cookie, socket_t *new_so)
{
	struct sockaddr_storage ss;
	struct __socket *child;
	socklen_t len;
	int error;

	if (so == NULL || new_so == NULL) {
		return EINVAL;
	}
	*new_so = NULL;
	if (xk_so_check(so, __func__) != 0) {
		return EBADF;
	}
	if (flags & ~(MSG_DONTWAIT | (int)MSG_USEUPCALL)) {
		return ENOTSUP;
	}
	if ((error = xk_soaccept(so, flags & MSG_DONTWAIT, &child)) != 0) {
		return error;
	}
	xk_core_lock();
	if (flags & (int)MSG_USEUPCALL) {
		xk_so_setupcalls_locked(child, so->so_rcv.sb_upcall,
		    so->so_rcv.sb_upcallarg, so->so_snd.sb_upcall,
		    so->so_snd.sb_upcallarg);
	} else if (cb != NULL) {
		setupcall_locked(child, cb, cookie);
	}
	/* Data that came before the upcall existed: say so now. */
	if (child->so_rcv.sb_cc > 0 || (child->so_state & SS_CANTRCVMORE)) {
		xk_sorwakeup_locked(child);
	}
	xk_core_unlock();
	if (from != NULL && fromlen > 0 &&
	    get_addr(child, true, &ss, &len) == 0) {
		copy_addr_out(from, fromlen, &ss, len);
	}
	*new_so = child;
	return 0;
}

/* Data */

XK_EXPORT errno_t
sock_receive(socket_t so, struct msghdr *msg, int flags, size_t *recvdlen)
{
	size_t total;
	int error;

	if (recvdlen != NULL) {
		*recvdlen = 0;
	}
	if (msg == NULL || msg->msg_iov == NULL || msg->msg_iovlen < 1 ||
	    msg->msg_iov[0].iov_len == 0 || msg->msg_iov[0].iov_base == NULL) {
		return EINVAL;
	}
	if (so == NULL) {
		return EINVAL;
	}
	if (xk_so_check(so, __func__) != 0) {
		return EBADF;
	}
	if ((error = iov_check(msg, &total)) != 0) {
		return error;
	}
	error = xk_soreceive(so, msg, NULL, &total, flags);
	if (error == 0 && recvdlen != NULL) {
		*recvdlen = total;
	}
	return error;
}

XK_EXPORT errno_t
sock_receivembuf(socket_t so, struct msghdr *msg, mbuf_t *data, int flags,
    size_t *recvlen)
{
	size_t want;
	int error;

	if (data != NULL) {
		*data = NULL;
	}
	if (data == NULL || recvlen == NULL || *recvlen == 0 ||
	    (msg != NULL && (msg->msg_iov != NULL || msg->msg_iovlen != 0))) {
		if (recvlen != NULL) {
			*recvlen = 0;
		}
		return EINVAL;
	}
	if (so == NULL) {
		*recvlen = 0;
		return EINVAL;
	}
	if (xk_so_check(so, __func__) != 0) {
		*recvlen = 0;
		return EBADF;
	}
	want = *recvlen;
	error = xk_soreceive(so, msg, data, &want, flags);
	*recvlen = error == 0 ? want : 0;
	return error;
}

/* Checks the control data of a send; XNU's limits. */
static int
control_ok(const struct msghdr *msg)
{
	if (msg == NULL || msg->msg_control == NULL) {
		return 0;
	}
	if (msg->msg_controllen < sizeof(struct cmsghdr) ||
	    msg->msg_controllen > (size_t)mbuf_get_mlen()) {
		return EINVAL;
	}
	return 0;
}

/*
 * The destination of a send, copied to @ss; *@top NULL for none.  A SeND
 * socket's is a struct sockaddr_send: 20 bytes, whatever its family.
 */
static int
send_dest(const struct __socket *so, const struct msghdr *msg,
    struct sockaddr_storage *ss, const struct sockaddr **top, socklen_t *len)
{
	*top = NULL;
	*len = 0;
	if (msg == NULL || msg->msg_name == NULL) {
		return 0;
	}
	if (so->so_domain == PF_INET6 && so->so_protocol == IPPROTO_SEND) {
		memcpy(ss, msg->msg_name, sizeof(struct sockaddr_send));
		*len = sizeof(struct sockaddr_send);
	} else if ((*len = copy_addr_in(msg->msg_name, ss)) == 0) {
		return EAFNOSUPPORT;
	}
	*top = (const struct sockaddr *)ss;
	return 0;
}

XK_EXPORT errno_t
sock_send(socket_t so, const struct msghdr *msg, int flags, size_t *sentlen)
{
	const struct sockaddr *to;
	struct sockaddr_storage ss;
	struct __mbuf *m;
	size_t total, at = 0, sent;
	socklen_t tolen;
	int error;

	if (sentlen != NULL) {
		*sentlen = 0;
	}
	if (msg == NULL || msg->msg_iov == NULL || msg->msg_iovlen < 1 ||
	    so == NULL) {
		return EINVAL;
	}
	if (xk_so_check(so, __func__) != 0) {
		return EBADF;
	}
	if ((error = iov_check(msg, &total)) != 0 ||
	    (error = control_ok(msg)) != 0 ||
	    (error = send_dest(so, msg, &ss, &to, &tolen)) != 0) {
		return error;
	}
	/* A datagram that can leave from the caller's memory does. */
	if (msg->msg_control == NULL &&
	    (error = xk_sosend_direct(so, to, tolen, msg->msg_iov,
	    (int)msg->msg_iovlen, total, flags, &sent)) != XK_SEND_SLOW) {
		if (error == 0 && sentlen != NULL) {
			*sentlen = sent;
		}
		return error;
	}
	/* Copy the data into a packet, as sosend's uiomove does. */
	if (total == 0) {
		error = mbuf_gethdr(MBUF_WAITOK, MBUF_TYPE_DATA, &m);
	} else {
		error = mbuf_allocpacket(MBUF_WAITOK, total, NULL, &m);
	}
	if (error != 0) {
		return ENOBUFS;
	}
	/*
	 * A datagram in one mbuf goes at its end, as sosend's MH_ALIGN
	 * does: the protocol's headers then fit in front of it.
	 */
	if ((so->so_proto->pr_flags & PR_ATOMIC) && m->m_next == NULL) {
		xk_m_align_end(m, total);
	}
	for (size_t i = 0; i < (size_t)msg->msg_iovlen; i++) {
		if (msg->msg_iov[i].iov_len == 0) {
			continue;
		}
		if (xk_m_copyback(m, at, msg->msg_iov[i].iov_len,
		    msg->msg_iov[i].iov_base) != 0) {
			xk_m_freem(m);
			return ENOBUFS;
		}
		at += msg->msg_iov[i].iov_len;
	}
	error = xk_sosend(so, to, tolen, m, msg->msg_control,
	    msg->msg_control != NULL ? msg->msg_controllen : 0, flags, false,
	    &sent);
	if (error == 0 && sentlen != NULL) {
		*sentlen = sent;
	}
	return error;
}

static errno_t
sendmbuf_common(socket_t so, const struct msghdr *msg, mbuf_t data, int flags,
    size_t *sentlen, bool atomic, const char *fn)
{
	const struct sockaddr *to;
	struct sockaddr_storage ss;
	socklen_t tolen;
	size_t sent;
	int error;

	if (sentlen != NULL) {
		*sentlen = 0;
	}
	/* The chain is ours from here on, whatever happens. */
	if (data == NULL) {
		return EINVAL;
	}
	if (xk_m_check(data, fn) != 0) {
		return EINVAL;	/* freed already: nothing to consume */
	}
	if (so == NULL || !(data->m_flags & M_PKTHDR) ||
	    (msg != NULL && (msg->msg_iov != NULL || msg->msg_iovlen != 0))) {
		xk_m_freem(data);
		return EINVAL;
	}
	if (xk_so_check(so, fn) != 0) {
		xk_m_freem(data);
		return EBADF;
	}
	if ((error = control_ok(msg)) != 0 ||
	    (error = send_dest(so, msg, &ss, &to, &tolen)) != 0) {
		xk_m_freem(data);
		return error;
	}
	error = xk_sosend(so, to, tolen, data,
	    msg != NULL ? msg->msg_control : NULL,
	    msg != NULL && msg->msg_control != NULL ? msg->msg_controllen : 0,
	    flags, atomic, &sent);
	if (error == 0 && sentlen != NULL) {
		*sentlen = sent;
	}
	return error;
}

XK_EXPORT errno_t
sock_sendmbuf(socket_t so, const struct msghdr *msg, mbuf_t data, int flags,
    size_t *sentlen)
{
	return sendmbuf_common(so, msg, data, flags, sentlen, true, __func__);
}

XK_EXPORT errno_t
sock_sendmbuf_can_wait(socket_t so, const struct msghdr *msg, mbuf_t data,
    int flags, size_t *sentlen)
{
	return sendmbuf_common(so, msg, data, flags, sentlen, false,
	    __func__);
}

XK_EXPORT errno_t
sock_shutdown(socket_t so, int how)
{
	if (so == NULL || (how != SHUT_RD && how != SHUT_WR &&
	    how != SHUT_RDWR)) {
		return EINVAL;
	}
	if (xk_so_check(so, __func__) != 0) {
		return EBADF;
	}
	return xk_soshutdown(so, how);
}

/* State */

XK_EXPORT errno_t
sock_setpriv(socket_t so, int on)
{
	if (so == NULL) {
		return EINVAL;
	}
	if (xk_so_check(so, __func__) != 0) {
		return EBADF;
	}
	xk_core_lock();
	if (on) {
		so->so_state |= SS_PRIV;
	} else {
		so->so_state &= ~SS_PRIV;
	}
	xk_core_unlock();
	return 0;
}

XK_EXPORT int
sock_isconnected(socket_t so)
{
	int r;

	if (so == NULL || xk_so_check(so, __func__) != 0) {
		return 0;
	}
	xk_core_lock();
	r = (so->so_state & SS_ISCONNECTED) != 0;
	xk_core_unlock();
	return r;
}

XK_EXPORT int
sock_isnonblocking(socket_t so)
{
	int r;

	if (so == NULL || xk_so_check(so, __func__) != 0) {
		return 0;
	}
	xk_core_lock();
	r = (so->so_state & SS_NBIO) != 0;
	xk_core_unlock();
	return r;
}

XK_EXPORT errno_t
sock_gettype(socket_t so, int *domain, int *type, int *protocol)
{
	if (so == NULL) {
		return EINVAL;
	}
	if (xk_so_check(so, __func__) != 0) {
		return EBADF;
	}
	if (domain != NULL) {
		*domain = so->so_domain;
	}
	if (type != NULL) {
		*type = so->so_type;
	}
	if (protocol != NULL) {
		*protocol = so->so_protocol;
	}
	return 0;
}

XK_EXPORT errno_t
sock_nointerrupt(socket_t so, int on)
{
	if (so == NULL) {
		return EINVAL;
	}
	if (xk_so_check(so, __func__) != 0) {
		return EBADF;
	}
	xk_core_lock();
	if (on) {
		so->so_rcv.sb_flags |= SB_NOINTR;
		so->so_snd.sb_flags |= SB_NOINTR;
	} else {
		so->so_rcv.sb_flags &= ~SB_NOINTR;
		so->so_snd.sb_flags &= ~SB_NOINTR;
	}
	xk_core_unlock();
	return 0;
}

XK_EXPORT socket_t
sock_getlistener(socket_t so)
{
	socket_t head;

	if (so == NULL || xk_so_check(so, __func__) != 0) {
		return NULL;
	}
	xk_core_lock();
	head = so->so_head;
	xk_core_unlock();
	return head;
}

XK_EXPORT int
sock_iskernel(socket_t so)
{
	/* Every socket of xkpi is made through the KPI. */
	return so != NULL && xk_so_check(so, __func__) == 0;
}

/* Upcalls and events */

XK_EXPORT errno_t
sock_setupcall(socket_t so, sock_upcall cb, void *ctx)
{
	if (so == NULL) {
		return EINVAL;
	}
	if (xk_so_check(so, __func__) != 0) {
		return EBADF;
	}
	xk_core_lock();
	setupcall_locked(so, cb, ctx);
	xk_core_unlock();
	return 0;
}

XK_EXPORT errno_t
sock_setupcalls(socket_t so, sock_upcall rcb, void *rctx, sock_upcall wcb,
    void *wctx)
{
	if (so == NULL) {
		return EINVAL;
	}
	if (xk_so_check(so, __func__) != 0) {
		return EBADF;
	}
	xk_core_lock();
	xk_so_setupcalls_locked(so, rcb, rctx, wcb, wctx);
	xk_core_unlock();
	return 0;
}

XK_EXPORT void
sock_setupcalls_locked(socket_t so, sock_upcall rcb, void *rctx,
    sock_upcall wcb, void *wctx, int locked)
{
	(void)locked;
	if (so == NULL || xk_so_check(so, __func__) != 0) {
		return;
	}
	(void)sock_setupcalls(so, rcb, rctx, wcb, wctx);
}

XK_EXPORT errno_t
sock_catchevents(socket_t so, sock_evupcall ecb, void *ectx, uint32_t mask)
{
	if (so == NULL) {
		return EINVAL;
	}
	if (xk_so_check(so, __func__) != 0) {
		return EBADF;
	}
	xk_core_lock();
	if (!(so->so_flags & (SOF_CLOSING | SOF_CLOSED))) {
		so->so_event = ecb;
		so->so_eventarg = ecb != NULL ? ectx : NULL;
		so->so_eventmask = ecb != NULL ? mask : 0;
	}
	xk_core_unlock();
	return 0;
}

XK_EXPORT void
sock_catchevents_locked(socket_t so, sock_evupcall ecb, void *ectx,
    uint32_t mask)
{
	if (so == NULL || xk_so_check(so, __func__) != 0) {
		return;
	}
	(void)sock_catchevents(so, ecb, ectx, mask);
}
