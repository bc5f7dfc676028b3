/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The socket suite of the kext include set: every KPI call that takes or
 * returns a socket address, over IPv4, IPv6 and local sockets, through
 * the public headers and the shared library only.  The same file is
 * built twice: with the kext set (BSD addresses with sa_len, calls bound
 * to the converting entry points) as test_kext_sock, and with the plain
 * headers (Linux addresses) as test_kext_sock_plain; both must pass.
 * The kext build also checks the lengths the library writes and the
 * lengths it refuses.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>
#include <xkpi.h>

#ifdef __XKPI_BSD_SOCKADDR
#define	KEXT		1
#define	SET_LEN(sa, n)	(((struct sockaddr *)(void *)(sa))->sa_len = \
			    (unsigned char)(n))
#else
#define	KEXT		0
#define	SET_LEN(sa, n)	((void)(sa), (void)(n))
#endif

#define	SA(p)		((struct sockaddr *)(void *)(p))
#define	WAIT_S		10	/* receive timeout: a liveness bound */

/* The byte at offset 0 of an address the library wrote (sa_len in BSD). */
#define	BYTE0(p)	(((const unsigned char *)(const void *)(p))[0])

static unsigned int
mbufs_in_use(void)
{
	struct mbuf_stat st;
	unsigned int n = 0;

	mbuf_stats(&st);
	for (int i = 0; i < 256; i++) {
		n += st.mtypes[i];
	}
	return n;
}

static unsigned int mbufs_at_start;

static void
count_pcb(const struct xkpi_pcb *pcb, void *ctx)
{
	(void)pcb;
	(*(int *)ctx)++;
}

static int
setup(void **state)
{
	(void)state;
	mbufs_at_start = mbufs_in_use();
	return 0;
}

/* Every test closes what it made: no socket and no mbuf is left. */
static int
teardown(void **state)
{
	int n = 0;

	(void)state;
	/* Closed sockets go on the loop thread; give it a bounded while. */
	for (int i = 0; i < 1000; i++) {
		n = 0;
		xkpi_pcblist(count_pcb, &n);
		if (n == 0) {
			break;
		}
		usleep(10000);
	}
	assert_int_equal(n, 0);
	assert_int_equal(mbufs_in_use(), mbufs_at_start);
	return 0;
}

static void
set_timeout(socket_t so)
{
	struct timeval tv = { .tv_sec = WAIT_S };

	assert_int_equal(sock_setsockopt(so, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)), 0);
}

/* An address of @family for the loopback and @port (network order). */
static socklen_t
loopback(int family, in_port_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		SET_LEN(sin, sizeof(*sin));
		sin->sin_family = AF_INET;
		sin->sin_port = port;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		SET_LEN(sin6, sizeof(*sin6));
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = port;
		sin6->sin6_addr = in6addr_loopback;
		return sizeof(*sin6);
	}
}

static in_port_t
port_of(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET ?
	    ((const struct sockaddr_in *)ss)->sin_port :
	    ((const struct sockaddr_in6 *)ss)->sin6_port;
}

/* Checks an address the library wrote: family, and length in the kext. */
static void
check_addr(const void *sa, int family, unsigned int len)
{
	assert_int_equal(((const struct sockaddr *)sa)->sa_family, family);
	if (KEXT) {
		assert_int_equal(BYTE0(sa), len);
	}
}

static socket_t
bound(int family, int type)
{
	struct sockaddr_storage ss;
	socket_t so;

	assert_int_equal(sock_socket(family, type, 0, NULL, NULL, &so), 0);
	set_timeout(so);
	loopback(family, 0, &ss);
	assert_int_equal(sock_bind(so, SA(&ss)), 0);
	return so;
}

static void
datagram_roundtrip(int family)
{
	unsigned int len = family == AF_INET ? 16 : 28;
	struct sockaddr_storage a, b, from, *ap;
	socket_t s1, s2;
	char buf[32] = "hello", got[32];
	struct iovec iov = { buf, 5 };
	struct msghdr msg;
	size_t n;
	mbuf_t m;

	s1 = bound(family, SOCK_DGRAM);
	s2 = bound(family, SOCK_DGRAM);
	memset(&a, 0xa5, sizeof(a));
	assert_int_equal(sock_getsockname(s1, SA(&a), sizeof(a)), 0);
	check_addr(&a, family, len);
	assert_int_not_equal(port_of(&a), 0);
	assert_int_equal(sock_getaddr(s2, (struct sockaddr **)&ap, 0), 0);
	check_addr(ap, family, len);
	memset(&b, 0, sizeof(b));
	memcpy(&b, ap, len);
	sock_freeaddr(SA(ap));

	/* sock_send with a destination, sock_receive with a source. */
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &a;
	msg.msg_namelen = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	assert_int_equal(sock_send(s2, &msg, 0, &n), 0);
	assert_int_equal(n, 5);
	memset(&from, 0xa5, sizeof(from));
	iov.iov_base = got;
	iov.iov_len = sizeof(got);
	msg.msg_name = &from;
	msg.msg_namelen = sizeof(from);
	assert_int_equal(sock_receive(s1, &msg, 0, &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(got, "hello", 5);
	check_addr(&from, family, len);
	assert_int_equal(port_of(&from), port_of(&b));
	/* msg_namelen stays as the caller set it, as in XNU. */
	assert_int_equal(msg.msg_namelen, sizeof(from));

	/* sock_sendmbuf with a destination, sock_receivembuf with a source. */
	assert_int_equal(mbuf_allocpacket(MBUF_WAITOK, 3, NULL, &m), 0);
	assert_int_equal(mbuf_copyback(m, 0, 3, "abc", MBUF_WAITOK), 0);
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &b;
	msg.msg_namelen = len;
	assert_int_equal(sock_sendmbuf(s1, &msg, m, 0, &n), 0);
	assert_int_equal(n, 3);
	memset(&from, 0xa5, sizeof(from));
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &from;
	msg.msg_namelen = sizeof(from);
	n = 100;
	assert_int_equal(sock_receivembuf(s2, &msg, &m, 0, &n), 0);
	assert_int_equal(n, 3);
	mbuf_freem(m);
	check_addr(&from, family, len);
	assert_int_equal(port_of(&from), port_of(&a));

	/* A short name buffer gets the start of the address only. */
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_name = &a;
	msg.msg_namelen = len;
	assert_int_equal(sock_send(s2, &msg, 0, &n), 0);
	memset(&from, 0xa5, sizeof(from));
	iov.iov_base = got;
	iov.iov_len = sizeof(got);
	msg.msg_name = &from;
	msg.msg_namelen = 4;
	assert_int_equal(sock_receive(s1, &msg, 0, &n), 0);
	assert_int_equal(((unsigned char *)&from)[4], 0xa5);
	check_addr(&from, family, len);

	sock_close(s1);
	sock_close(s2);
}

static void
test_udp4(void **state)
{
	(void)state;
	datagram_roundtrip(AF_INET);
}

static void
test_udp6(void **state)
{
	(void)state;
	datagram_roundtrip(AF_INET6);
}

static void
stream_roundtrip(int family)
{
	unsigned int len = family == AF_INET ? 16 : 28;
	struct sockaddr_storage a, from, peer, self, *ap;
	socket_t l, c, s;
	struct iovec iov;
	struct msghdr msg;
	char got[8];
	size_t n;

	l = bound(family, SOCK_STREAM);
	assert_int_equal(sock_listen(l, 4), 0);
	assert_int_equal(sock_getsockname(l, SA(&a), sizeof(a)), 0);
	check_addr(&a, family, len);
	assert_int_equal(sock_socket(family, SOCK_STREAM, 0, NULL, NULL, &c),
	    0);
	set_timeout(c);
	assert_int_equal(sock_connect(c, SA(&a), 0), 0);
	memset(&from, 0xa5, sizeof(from));
	assert_int_equal(sock_accept(l, SA(&from), sizeof(from), 0, NULL,
	    NULL, &s), 0);
	check_addr(&from, family, len);
	set_timeout(s);
	assert_int_equal(sock_getsockname(c, SA(&self), sizeof(self)), 0);
	check_addr(&self, family, len);
	assert_int_equal(port_of(&from), port_of(&self));
	memset(&peer, 0xa5, sizeof(peer));
	assert_int_equal(sock_getpeername(c, SA(&peer), sizeof(peer)), 0);
	check_addr(&peer, family, len);
	assert_int_equal(port_of(&peer), port_of(&a));
	assert_int_equal(sock_getaddr(s, (struct sockaddr **)&ap, 1), 0);
	check_addr(ap, family, len);
	assert_int_equal(port_of(ap), port_of(&self));
	sock_freeaddr(SA(ap));

	/* A cut name: the start only, the length byte still whole. */
	memset(&peer, 0xa5, sizeof(peer));
	assert_int_equal(sock_getpeername(s, SA(&peer), 2), 0);
	check_addr(&peer, family, len);
	assert_int_equal(((unsigned char *)&peer)[2], 0xa5);

	/* A stream receive leaves the name buffer alone. */
	iov.iov_base = "x";
	iov.iov_len = 1;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	assert_int_equal(sock_send(c, &msg, 0, &n), 0);
	memset(&from, 0xa5, sizeof(from));
	iov.iov_base = got;
	iov.iov_len = sizeof(got);
	msg.msg_name = &from;
	msg.msg_namelen = sizeof(from);
	assert_int_equal(sock_receive(s, &msg, 0, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(((unsigned char *)&from)[1], 0xa5);

	sock_close(s);
	sock_close(c);
	sock_close(l);
}

static void
test_tcp4(void **state)
{
	(void)state;
	stream_roundtrip(AF_INET);
}

static void
test_tcp6(void **state)
{
	(void)state;
	stream_roundtrip(AF_INET6);
}

/* A local address for @path, its length as BSD's SUN_LEN() gives it. */
static unsigned int
local_addr(struct sockaddr_un *sun, const char *path)
{
	unsigned int len = (unsigned int)(offsetof(struct sockaddr_un,
	    sun_path) + strlen(path));

	memset(sun, 0, sizeof(*sun));
	SET_LEN(sun, len);
	sun->sun_family = AF_UNIX;
	strcpy(sun->sun_path, path);
	return len;
}

static void
test_local(void **state)
{
	struct sockaddr_un a, b, from, name;
	char pa[64], pb[64], got[8];
	unsigned int la, lb;
	socket_t l, c, s, d1, d2;
	struct iovec iov;
	struct msghdr msg;
	size_t n;

	(void)state;
	snprintf(pa, sizeof(pa), "/tmp/xkpi-kext-%d-a", (int)getpid());
	snprintf(pb, sizeof(pb), "/tmp/xkpi-kext-%d-b", (int)getpid());
	unlink(pa);
	unlink(pb);
	la = local_addr(&a, pa);
	lb = local_addr(&b, pb);

	/* Stream: bind, connect, accept, names. */
	assert_int_equal(sock_socket(AF_UNIX, SOCK_STREAM, 0, NULL, NULL, &l),
	    0);
	assert_int_equal(sock_bind(l, SA(&a)), 0);
	assert_int_equal(sock_listen(l, 4), 0);
	memset(&name, 0xa5, sizeof(name));
	assert_int_equal(sock_getsockname(l, SA(&name), sizeof(name)), 0);
	check_addr(&name, AF_UNIX, la);
	assert_string_equal(name.sun_path, pa);
	assert_int_equal(sock_socket(AF_UNIX, SOCK_STREAM, 0, NULL, NULL, &c),
	    0);
	assert_int_equal(sock_connect(c, SA(&a), 0), 0);
	assert_int_equal(sock_accept(l, NULL, 0, 0, NULL, NULL, &s), 0);
	memset(&name, 0xa5, sizeof(name));
	assert_int_equal(sock_getpeername(c, SA(&name), sizeof(name)), 0);
	check_addr(&name, AF_UNIX, la);
	assert_string_equal(name.sun_path, pa);
	sock_close(s);
	sock_close(c);
	sock_close(l);
	unlink(pa);

	/* Datagram: a destination given, a source received. */
	assert_int_equal(sock_socket(AF_UNIX, SOCK_DGRAM, 0, NULL, NULL, &d1),
	    0);
	set_timeout(d1);
	assert_int_equal(sock_bind(d1, SA(&a)), 0);
	assert_int_equal(sock_socket(AF_UNIX, SOCK_DGRAM, 0, NULL, NULL, &d2),
	    0);
	assert_int_equal(sock_bind(d2, SA(&b)), 0);
	iov.iov_base = "u";
	iov.iov_len = 1;
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &a;
	msg.msg_namelen = la;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	assert_int_equal(sock_send(d2, &msg, 0, &n), 0);
	memset(&from, 0xa5, sizeof(from));
	iov.iov_base = got;
	iov.iov_len = sizeof(got);
	msg.msg_name = &from;
	msg.msg_namelen = sizeof(from);
	assert_int_equal(sock_receive(d1, &msg, 0, &n), 0);
	assert_int_equal(n, 1);
	check_addr(&from, AF_UNIX, lb);
	assert_memory_equal(from.sun_path, pb, strlen(pb));
	sock_close(d1);
	sock_close(d2);
	unlink(pa);
	unlink(pb);
}

/* Lengths XNU's protocols refuse; only the kext set has them. */
static void
test_bad_lengths(void **state)
{
	struct sockaddr_storage ss;
	struct iovec iov = { "z", 1 };
	struct sockaddr_un sun;
	socket_t so, so6, su;
	struct msghdr msg;
	unsigned int before;
	size_t n;
	mbuf_t m;

	(void)state;
	if (!KEXT) {
		skip();
	}
	assert_int_equal(sock_socket(AF_INET, SOCK_DGRAM, 0, NULL, NULL, &so),
	    0);
	assert_int_equal(sock_socket(AF_INET6, SOCK_DGRAM, 0, NULL, NULL,
	    &so6), 0);
	loopback(AF_INET, 0, &ss);
	assert_int_equal(BYTE0(&ss), 16);
	((unsigned char *)&ss)[0] = 0;
	assert_int_equal(sock_bind(so, SA(&ss)), EINVAL);
	((unsigned char *)&ss)[0] = 15;
	assert_int_equal(sock_bind(so, SA(&ss)), EINVAL);
	assert_int_equal(sock_connect(so, SA(&ss), 0), EINVAL);
	((unsigned char *)&ss)[0] = 28;
	assert_int_equal(sock_bind(so, SA(&ss)), EINVAL);
	loopback(AF_INET6, 0, &ss);
	((unsigned char *)&ss)[0] = 16;
	assert_int_equal(sock_bind(so6, SA(&ss)), EINVAL);
	((unsigned char *)&ss)[0] = 1;
	assert_int_equal(sock_bind(so6, SA(&ss)), EINVAL);

	/* A refused destination still consumes the chain. */
	loopback(AF_INET, htons(9), &ss);
	((unsigned char *)&ss)[0] = 8;
	before = mbufs_in_use();
	assert_int_equal(mbuf_allocpacket(MBUF_WAITOK, 3, NULL, &m), 0);
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &ss;
	msg.msg_namelen = 16;
	n = 77;
	assert_int_equal(sock_sendmbuf(so, &msg, m, 0, &n), EINVAL);
	assert_int_equal(n, 0);
	assert_int_equal(mbufs_in_use(), before);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	assert_int_equal(sock_send(so, &msg, 0, &n), EINVAL);

	/* A local length past the structure. */
	assert_int_equal(sock_socket(AF_UNIX, SOCK_DGRAM, 0, NULL, NULL, &su),
	    0);
	local_addr(&sun, "/tmp/xkpi-kext-never");
	((unsigned char *)&sun)[0] = (unsigned char)(sizeof(sun) + 1);
	assert_int_equal(sock_bind(su, SA(&sun)), EINVAL);

	sock_close(su);
	sock_close(so6);
	sock_close(so);
}

/*
 * A multicast group request carries addresses too: a group address whose
 * length is wrong is refused before the host sees it.
 */
static void
test_mcast_group_req(void **state)
{
	struct group_req gr;
	socket_t so;

	(void)state;
	if (!KEXT) {
		skip();
	}
	assert_int_equal(sock_socket(AF_INET, SOCK_DGRAM, 0, NULL, NULL, &so),
	    0);
	memset(&gr, 0, sizeof(gr));
	loopback(AF_INET, 0, &gr.gr_group);
	((struct sockaddr_in *)&gr.gr_group)->sin_addr.s_addr =
	    htonl(0xe00000fbU);
	((unsigned char *)&gr.gr_group)[0] = 3;
	assert_int_equal(sock_setsockopt(so, IPPROTO_IP, MCAST_JOIN_GROUP,
	    &gr, sizeof(gr)), EINVAL);
	sock_close(so);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_udp4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_udp6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_lengths, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_mcast_group_req, setup,
		    teardown),
	};
	static const struct xkpi_config cfg = XKPI_CONFIG_INIT(
		.backend = "mem",
	);
	int rc;

	if (xkpi_init(&cfg) != 0) {
		return 1;
	}
	rc = cmocka_run_group_tests_name(KEXT ? "kext_sock" :
	    "kext_sock_plain", tests, NULL, NULL);
	xkpi_shutdown();
	return rc;
}
