/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The kext include set's socket entry points (xkpi_bsd_sock_*): files
 * built with that set have BSD socket addresses, a length byte and a
 * family byte where Linux has a 16-bit family.  Everything past those
 * two bytes has the same offsets, so each entry point rewrites the two
 * bytes on the way in and on the way out, and calls the plain function.
 */
#include "core/xk.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet6/send.h>
#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>

#define SUN_PATH_OFF	offsetof(struct sockaddr_un, sun_path)

/* The entry points, declared for the kext set by __XKPI_BSD_ADDR. */
errno_t	xkpi_bsd_sock_bind(socket_t so, const struct sockaddr *to);
errno_t	xkpi_bsd_sock_connect(socket_t so, const struct sockaddr *to,
    int flags);
errno_t	xkpi_bsd_sock_accept(socket_t so, struct sockaddr *from,
    int fromlen, int flags, sock_upcall cb, void *cookie, socket_t *new_so);
errno_t	xkpi_bsd_sock_getpeername(socket_t so, struct sockaddr *peer,
    int peerlen);
errno_t	xkpi_bsd_sock_getsockname(socket_t so, struct sockaddr *name,
    int namelen);
errno_t	xkpi_bsd_sock_getaddr(socket_t so, struct sockaddr **psa,
    int peer);
errno_t	xkpi_bsd_sock_setsockopt(socket_t so, int level, int name,
    const void *val, int len);
errno_t	xkpi_bsd_sock_send(socket_t so, const struct msghdr *msg,
    int flags, size_t *sentlen);
errno_t	xkpi_bsd_sock_sendmbuf(socket_t so, const struct msghdr *msg,
    mbuf_t data, int flags, size_t *sentlen);
errno_t	xkpi_bsd_sock_sendmbuf_can_wait(socket_t so,
    const struct msghdr *msg, mbuf_t data, int flags, size_t *sentlen);
errno_t	xkpi_bsd_sock_receive(socket_t so, struct msghdr *msg,
    int flags, size_t *recvdlen);
errno_t	xkpi_bsd_sock_receivembuf(socket_t so, struct msghdr *msg,
    mbuf_t *data, int flags, size_t *recvlen);

/*
 * A BSD address into Linux's layout in @ss.  The length byte is checked
 * as XNU's protocols check it (in_pcbbind, in_pcbladdr, in6_pcbbind:
 * EINVAL unless it is the structure's size).
 */
static int
bsd_addr_in(const struct sockaddr *sa, struct sockaddr_storage *ss)
{
	const unsigned char *b = (const unsigned char *)sa;
	unsigned int len = b[0], family = b[1];
	struct sockaddr_storage tmp;

	if (len < 2 || len > sizeof(*ss)) {
		return EINVAL;
	}
	if ((family == AF_INET && len != sizeof(struct sockaddr_in)) ||
	    (family == AF_INET6 && len != sizeof(struct sockaddr_in6)) ||
	    (family == AF_UNIX && len > sizeof(struct sockaddr_un))) {
		return EINVAL;
	}
	/*
	 * Zeroed first: a local path need not end with a NUL in BSD.  @sa
	 * may lie inside @ss.
	 */
	memset(&tmp, 0, sizeof(tmp));
	memcpy(&tmp, b, len);
	tmp.ss_family = (sa_family_t)family;
	memcpy(ss, &tmp, sizeof(tmp));
	return 0;
}

/* BSD's length of the address in @ss, as XNU's protocols report it. */
static unsigned int
bsd_len(const struct sockaddr *sa)
{
	const struct sockaddr_un *sun;

	switch (sa->sa_family) {
	case AF_INET:
		return sizeof(struct sockaddr_in);
	case AF_INET6:
		return sizeof(struct sockaddr_in6);
	case AF_UNIX:
		sun = (const struct sockaddr_un *)(const void *)sa;
		return (unsigned int)(SUN_PATH_OFF +
		    strnlen(sun->sun_path, sizeof(sun->sun_path)));
	default:
		return sizeof(struct sockaddr);
	}
}

/*
 * Rewrites an address the library filled in into BSD's layout, in place;
 * returns its length.
 */
static unsigned int
bsd_addr_out(struct sockaddr *sa)
{
	unsigned char *b = (unsigned char *)sa;
	unsigned int len = bsd_len(sa), family = sa->sa_family;

	b[0] = (unsigned char)len;
	b[1] = (unsigned char)family;
	return len;
}

/*
 * Copies a converted address out, cut to the caller's length.  A local
 * path's terminating NUL, which SUN_LEN() leaves out, goes too when the
 * caller's length has room for it.
 */
static void
bsd_copy_out(struct sockaddr *dst, int dstlen, struct sockaddr_storage *ss)
{
	bool local = ss->ss_family == AF_UNIX;
	unsigned int len = bsd_addr_out((struct sockaddr *)ss);

	if (local && len < sizeof(struct sockaddr_un)) {
		len++;
	}
	if (dstlen > 0) {
		memcpy(dst, ss, (size_t)dstlen < len ? (size_t)dstlen : len);
	}
}

/* A SeND socket's address is FreeBSD's struct sockaddr_send: left alone. */
static bool
is_send_socket(socket_t so)
{
	int domain, type, protocol;

	return sock_gettype(so, &domain, &type, &protocol) == 0 &&
	    domain == PF_INET6 && protocol == IPPROTO_SEND;
}

XK_EXPORT errno_t
xkpi_bsd_sock_bind(socket_t so, const struct sockaddr *to)
{
	struct sockaddr_storage ss;
	int error;

	if (to == NULL) {
		return sock_bind(so, to);
	}
	if ((error = bsd_addr_in(to, &ss)) != 0) {
		return error;
	}
	return sock_bind(so, (struct sockaddr *)&ss);
}

XK_EXPORT errno_t
xkpi_bsd_sock_connect(socket_t so, const struct sockaddr *to, int flags)
{
	struct sockaddr_storage ss;
	int error;

	if (to == NULL) {
		return sock_connect(so, to, flags);
	}
	if ((error = bsd_addr_in(to, &ss)) != 0) {
		return error;
	}
	return sock_connect(so, (struct sockaddr *)&ss, flags);
}

XK_EXPORT errno_t
xkpi_bsd_sock_accept(socket_t so, struct sockaddr *from, int fromlen,
    int flags, sock_upcall cb, void *cookie, socket_t *new_so)
{
	struct sockaddr_storage ss;
	int error;

	if (from == NULL || fromlen <= 0) {
		return sock_accept(so, from, fromlen, flags, cb, cookie,
		    new_so);
	}
	ss.ss_family = AF_UNSPEC;
	error = sock_accept(so, (struct sockaddr *)&ss, sizeof(ss), flags,
	    cb, cookie, new_so);
	if (error == 0 && ss.ss_family != AF_UNSPEC) {
		bsd_copy_out(from, fromlen, &ss);
	}
	return error;
}

XK_EXPORT errno_t
xkpi_bsd_sock_getpeername(socket_t so, struct sockaddr *peer, int peerlen)
{
	struct sockaddr_storage ss;
	int error;

	if (peer == NULL || peerlen <= 0) {
		return sock_getpeername(so, peer, peerlen);
	}
	if ((error = sock_getpeername(so, (struct sockaddr *)&ss,
	    sizeof(ss))) == 0) {
		bsd_copy_out(peer, peerlen, &ss);
	}
	return error;
}

XK_EXPORT errno_t
xkpi_bsd_sock_getsockname(socket_t so, struct sockaddr *name, int namelen)
{
	struct sockaddr_storage ss;
	int error;

	if (name == NULL || namelen <= 0) {
		return sock_getsockname(so, name, namelen);
	}
	if ((error = sock_getsockname(so, (struct sockaddr *)&ss,
	    sizeof(ss))) == 0) {
		bsd_copy_out(name, namelen, &ss);
	}
	return error;
}

XK_EXPORT errno_t
xkpi_bsd_sock_getaddr(socket_t so, struct sockaddr **psa, int peer)
{
	int error;

	if ((error = sock_getaddr(so, psa, peer)) == 0 && *psa != NULL) {
		/* The allocation holds the family's whole structure. */
		bsd_addr_out(*psa);
	}
	return error;
}

XK_EXPORT errno_t
xkpi_bsd_sock_setsockopt(socket_t so, int level, int name, const void *val,
    int len)
{
	struct group_source_req gsr;
	struct group_req gr;
	int error;

	if (val == NULL || (level != IPPROTO_IP && level != IPPROTO_IPV6)) {
		return sock_setsockopt(so, level, name, val, len);
	}
	switch (name) {
	case MCAST_JOIN_GROUP:
	case MCAST_LEAVE_GROUP:
		if (len < (int)sizeof(gr)) {
			break;
		}
		memcpy(&gr, val, sizeof(gr));
		if ((error = bsd_addr_in((struct sockaddr *)&gr.gr_group,
		    &gr.gr_group)) != 0) {
			return error;
		}
		return sock_setsockopt(so, level, name, &gr, sizeof(gr));
	case MCAST_BLOCK_SOURCE:
	case MCAST_UNBLOCK_SOURCE:
	case MCAST_JOIN_SOURCE_GROUP:
	case MCAST_LEAVE_SOURCE_GROUP:
		if (len < (int)sizeof(gsr)) {
			break;
		}
		memcpy(&gsr, val, sizeof(gsr));
		if ((error = bsd_addr_in((struct sockaddr *)&gsr.gsr_group,
		    &gsr.gsr_group)) != 0 ||
		    (error = bsd_addr_in((struct sockaddr *)&gsr.gsr_source,
		    &gsr.gsr_source)) != 0) {
			return error;
		}
		return sock_setsockopt(so, level, name, &gsr, sizeof(gsr));
	default:
		break;
	}
	return sock_setsockopt(so, level, name, val, len);
}

/*
 * The destination of a send in Linux's layout: *@out is the caller's
 * msghdr, or @tmp pointing at @ss.
 */
static int
send_msg_in(socket_t so, const struct msghdr *msg, struct msghdr *tmp,
    struct sockaddr_storage *ss, const struct msghdr **out)
{
	int error;

	*out = msg;
	if (msg == NULL || msg->msg_name == NULL || is_send_socket(so)) {
		return 0;
	}
	if ((error = bsd_addr_in(msg->msg_name, ss)) != 0) {
		return error;
	}
	*tmp = *msg;
	tmp->msg_name = ss;
	tmp->msg_namelen = sizeof(*ss);
	*out = tmp;
	return 0;
}

XK_EXPORT errno_t
xkpi_bsd_sock_send(socket_t so, const struct msghdr *msg, int flags,
    size_t *sentlen)
{
	struct sockaddr_storage ss;
	const struct msghdr *m;
	struct msghdr tmp;
	int error;

	if ((error = send_msg_in(so, msg, &tmp, &ss, &m)) != 0) {
		if (sentlen != NULL) {
			*sentlen = 0;
		}
		return error;
	}
	return sock_send(so, m, flags, sentlen);
}

XK_EXPORT errno_t
xkpi_bsd_sock_sendmbuf(socket_t so, const struct msghdr *msg, mbuf_t data,
    int flags, size_t *sentlen)
{
	struct sockaddr_storage ss;
	const struct msghdr *m;
	struct msghdr tmp;
	int error;

	if ((error = send_msg_in(so, msg, &tmp, &ss, &m)) != 0) {
		/* The chain is consumed whatever the result. */
		mbuf_freem(data);
		if (sentlen != NULL) {
			*sentlen = 0;
		}
		return error;
	}
	return sock_sendmbuf(so, m, data, flags, sentlen);
}

XK_EXPORT errno_t
xkpi_bsd_sock_sendmbuf_can_wait(socket_t so, const struct msghdr *msg,
    mbuf_t data, int flags, size_t *sentlen)
{
	struct sockaddr_storage ss;
	const struct msghdr *m;
	struct msghdr tmp;
	int error;

	if ((error = send_msg_in(so, msg, &tmp, &ss, &m)) != 0) {
		mbuf_freem(data);
		if (sentlen != NULL) {
			*sentlen = 0;
		}
		return error;
	}
	return sock_sendmbuf_can_wait(so, m, data, flags, sentlen);
}

/*
 * A receive: the source lands in @ss, then goes to the caller's buffer
 * in BSD's layout.  The rest of the msghdr is the caller's own.
 */
static bool
recv_msg_in(socket_t so, struct msghdr *msg, struct msghdr *tmp,
    struct sockaddr_storage *ss)
{
	if (msg == NULL || msg->msg_name == NULL || is_send_socket(so)) {
		return false;
	}
	*tmp = *msg;
	ss->ss_family = AF_UNSPEC;
	tmp->msg_name = ss;
	tmp->msg_namelen = sizeof(*ss);
	return true;
}

static void
recv_msg_out(struct msghdr *msg, const struct msghdr *tmp,
    struct sockaddr_storage *ss, int error)
{
	msg->msg_flags = tmp->msg_flags;
	msg->msg_controllen = tmp->msg_controllen;
	if (error == 0 && ss->ss_family != AF_UNSPEC &&
	    msg->msg_namelen > 0) {
		bsd_copy_out(msg->msg_name, (int)msg->msg_namelen, ss);
	}
}

XK_EXPORT errno_t
xkpi_bsd_sock_receive(socket_t so, struct msghdr *msg, int flags,
    size_t *recvdlen)
{
	struct sockaddr_storage ss;
	struct msghdr tmp;
	int error;

	if (!recv_msg_in(so, msg, &tmp, &ss)) {
		return sock_receive(so, msg, flags, recvdlen);
	}
	error = sock_receive(so, &tmp, flags, recvdlen);
	recv_msg_out(msg, &tmp, &ss, error);
	return error;
}

XK_EXPORT errno_t
xkpi_bsd_sock_receivembuf(socket_t so, struct msghdr *msg, mbuf_t *data,
    int flags, size_t *recvlen)
{
	struct sockaddr_storage ss;
	struct msghdr tmp;
	int error;

	if (!recv_msg_in(so, msg, &tmp, &ss)) {
		return sock_receivembuf(so, msg, data, flags, recvlen);
	}
	error = sock_receivembuf(so, &tmp, data, flags, recvlen);
	recv_msg_out(msg, &tmp, &ss, error);
	return error;
}

/*
 * The Darwin-only errors of the kext set's <sys/errno.h>: 0x1000 plus
 * Darwin's number, or XNU's own negative value for the kernel's codes.
 */
static const struct {
	int		 e_num;
	const char	*e_text;
} darwin_errors[] = {
	{ 0x1000 + 67, "Too many processes" },
	{ 0x1000 + 72, "RPC structure is bad" },
	{ 0x1000 + 73, "RPC version is wrong" },
	{ 0x1000 + 74, "RPC program not available" },
	{ 0x1000 + 75, "RPC program version is wrong" },
	{ 0x1000 + 76, "RPC procedure not available" },
	{ 0x1000 + 79, "Inappropriate file type or format" },
	{ 0x1000 + 80, "Authentication error" },
	{ 0x1000 + 81, "Need authenticator" },
	{ 0x1000 + 82, "Device power is off" },
	{ 0x1000 + 83, "Device error" },
	{ 0x1000 + 85, "Bad executable or shared library" },
	{ 0x1000 + 86, "Bad CPU type in executable" },
	{ 0x1000 + 87, "Shared library version mismatch" },
	{ 0x1000 + 88, "Malformed Mach-O file" },
	{ 0x1000 + 93, "Attribute not found" },
	{ 0x1000 + 103, "Policy not found" },
	{ 0x1000 + 106, "Interface output queue is full" },
	{ 0x1000 + 256, "Content filter verdict error (connection)" },
	{ 0x1000 + 512, "Content filter verdict error (packet)" },
	{ -2, "Processing done, nothing to return (kernel internal)" },
	{ -5, "Vnode to be recycled (kernel internal)" },
	{ -6, "Open to be driven again (kernel internal)" },
	{ -7, "Lookup goes on (kernel internal)" },
	{ -8, "File has no data yet (kernel internal)" },
	{ -(0x1000 + 106),
	    "Interface output queue is suspended (kernel internal)" },
};

XK_EXPORT const char *xkpi_strerror(errno_t error);
XK_EXPORT const char *
xkpi_strerror(errno_t error)
{
	const char *text;

	for (size_t i = 0; i < sizeof(darwin_errors) /
	    sizeof(darwin_errors[0]); i++) {
		if (darwin_errors[i].e_num == error) {
			return darwin_errors[i].e_text;
		}
	}
	if ((text = strerrordesc_np(error)) != NULL) {
		return text;
	}
	return "Unknown error";
}
