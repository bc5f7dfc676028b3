/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * echokext: a small network kernel extension, written for XNU's KPIs
 * only, and built unchanged against xkpi's kext include set (see
 * docs/porting.md).  Nothing in this file knows it is not in a kernel.
 *
 * On start it opens two sockets on echokext_port: a UDP socket whose
 * upcall echoes every datagram to its sender, and a TCP listener whose
 * upcall accepts connections; each connection's upcall drains what came
 * (sock_receivembuf, reading the record length from the packet header)
 * and sums it, and closes the connection at end of file.  A thread call
 * logs the counters every second.  Stop closes everything and waits, with
 * msleep(), until no upcall is running.
 */
#include <mach/mach_types.h>
#include <sys/systm.h>
#include <sys/errno.h>
#include <sys/socket.h>
#include <sys/kpi_mbuf.h>
#include <sys/queue.h>
#include <netinet/in.h>
#include <kern/locks.h>
#include <kern/thread_call.h>
#include <kern/clock.h>
#include <libkern/OSAtomic.h>
#include <libkern/OSMalloc.h>
#include <IOKit/IOLib.h>

#define ECHOKEXT_NAME	"org.xkpi.example.echokext"

/* The port to serve; a loader or a test may change it before start. */
int echokext_port = 7777;

/* Counters, read by whoever loaded the kext. */
volatile SInt32 echokext_udp_echoed;
volatile SInt32 echokext_tcp_conns;
volatile SInt64 echokext_tcp_bytes;
volatile SInt32 echokext_tcp_sum;

struct echo_conn {
	TAILQ_ENTRY(echo_conn)	ec_link;
	socket_t		ec_so;
	uint64_t		ec_bytes;
	uint32_t		ec_sum;
	int			ec_closing;
};

static TAILQ_HEAD(, echo_conn) conns = TAILQ_HEAD_INITIALIZER(conns);
static lck_grp_t	*echo_grp;
static lck_mtx_t	*echo_mtx;	/* conns, upcalls_running, stopping */
static OSMallocTag	 echo_tag;
static socket_t		 udp_so, listen_so;
static thread_call_t	 stats_call;
static int		 upcalls_running;
static int		 stopping;

static void conn_upcall(socket_t so, void *cookie, int waitf);

/* Upcalls count themselves, so that stop can wait for them. */
static int
upcall_enter(void)
{
	int ok;

	lck_mtx_lock(echo_mtx);
	ok = !stopping;
	if (ok) {
		upcalls_running++;
	}
	lck_mtx_unlock(echo_mtx);
	return (ok);
}

static void
upcall_leave(void)
{
	lck_mtx_lock(echo_mtx);
	if (--upcalls_running == 0 && stopping) {
		wakeup(&upcalls_running);
	}
	lck_mtx_unlock(echo_mtx);
}

/* UDP: every datagram goes back where it came from. */
static void
udp_upcall(socket_t so, void *cookie, int waitf)
{
	struct sockaddr_storage from;
	struct msghdr msg;
	size_t len;
	mbuf_t m;

	(void)cookie;
	(void)waitf;
	if (!upcall_enter()) {
		return;
	}
	for (;;) {
		bzero(&msg, sizeof(msg));
		bzero(&from, sizeof(from));
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		len = 65536;
		if (sock_receivembuf(so, &msg, &m, MSG_DONTWAIT, &len) != 0) {
			break;
		}
		/* The source carries its length, as in the kernel. */
		if (from.ss_len != sizeof(struct sockaddr_in) ||
		    from.ss_family != AF_INET) {
			mbuf_freem(m);
			continue;
		}
		msg.msg_namelen = from.ss_len;
		if (sock_sendmbuf(so, &msg, m, 0, NULL) == 0) {
			OSIncrementAtomic(&echokext_udp_echoed);
		}
	}
	upcall_leave();
}

static void
conn_free(struct echo_conn *ec)
{
	OSFree(ec, sizeof(*ec), echo_tag);
}

/* TCP: sum what comes; at end of file, say so and close. */
static void
conn_upcall(socket_t so, void *cookie, int waitf)
{
	struct echo_conn *ec = cookie;
	int eof = 0, error;
	size_t len, off;
	uint8_t buf[256];
	mbuf_t m, n;

	(void)waitf;
	if (!upcall_enter()) {
		return;
	}
	for (;;) {
		len = 1024 * 1024;
		error = sock_receivembuf(so, NULL, &m, MSG_DONTWAIT, &len);
		if (error == EWOULDBLOCK) {
			break;
		}
		if (error != 0 || len == 0) {
			eof = 1;
			break;
		}
		/* A stream chain's packet header says how much came. */
		if (mbuf_pkthdr_len(m) != len) {
			printf("echokext: header length %lu, received %lu\n",
			    (unsigned long)mbuf_pkthdr_len(m),
			    (unsigned long)len);
		}
		for (n = m; n != NULL; n = mbuf_next(n)) {
			for (off = 0; off < mbuf_len(n); off += sizeof(buf)) {
				size_t k = mbuf_len(n) - off;

				if (k > sizeof(buf)) {
					k = sizeof(buf);
				}
				bcopy((uint8_t *)mbuf_data(n) + off, buf, k);
				for (size_t i = 0; i < k; i++) {
					ec->ec_sum = ec->ec_sum * 31 + buf[i];
				}
			}
		}
		ec->ec_bytes += len;
		OSAddAtomic64((SInt64)len, &echokext_tcp_bytes);
		mbuf_freem(m);
	}
	if (eof) {
		lck_mtx_lock(echo_mtx);
		if (!ec->ec_closing) {
			ec->ec_closing = 1;
			TAILQ_REMOVE(&conns, ec, ec_link);
		} else {
			eof = 0;	/* stop owns it */
		}
		lck_mtx_unlock(echo_mtx);
	}
	if (eof) {
		IOLog("echokext: connection closed after %llu bytes, "
		    "sum %08x\n", (unsigned long long)ec->ec_bytes,
		    (unsigned)ec->ec_sum);
		OSAddAtomic((SInt32)ec->ec_sum, &echokext_tcp_sum);
		sock_close(so);
		conn_free(ec);
	}
	upcall_leave();
}

/* The listener: accept what waits, each with its own upcall. */
static void
listen_upcall(socket_t so, void *cookie, int waitf)
{
	struct sockaddr_in from;
	struct echo_conn *ec;
	socket_t new_so;

	(void)cookie;
	(void)waitf;
	if (!upcall_enter()) {
		return;
	}
	for (;;) {
		ec = OSMalloc(sizeof(*ec), echo_tag);
		if (ec == NULL) {
			break;
		}
		bzero(ec, sizeof(*ec));
		bzero(&from, sizeof(from));
		if (sock_accept(so, (struct sockaddr *)&from, sizeof(from),
		    MSG_DONTWAIT, conn_upcall, ec, &new_so) != 0) {
			conn_free(ec);
			break;
		}
		ec->ec_so = new_so;
		lck_mtx_lock(echo_mtx);
		TAILQ_INSERT_TAIL(&conns, ec, ec_link);
		lck_mtx_unlock(echo_mtx);
		OSIncrementAtomic(&echokext_tcp_conns);
		printf("echokext: connection from port %u (address length "
		    "%u)\n", ntohs(from.sin_port), from.sin_len);
		/* Data may have come before the upcall was in place. */
		conn_upcall(new_so, ec, MBUF_DONTWAIT);
	}
	upcall_leave();
}

/* Once a second; stop sets `stopping` first, so it is not re-armed. */
static void
stats_tick(thread_call_param_t p0, thread_call_param_t p1)
{
	uint64_t deadline;

	(void)p0;
	(void)p1;
	IOLog("echokext: %d datagrams echoed, %d connections, %lld bytes\n",
	    (int)echokext_udp_echoed, (int)echokext_tcp_conns,
	    (long long)echokext_tcp_bytes);
	lck_mtx_lock(echo_mtx);
	if (!stopping) {
		clock_interval_to_deadline(1, kSecondScale, &deadline);
		thread_call_enter_delayed(stats_call, deadline);
	}
	lck_mtx_unlock(echo_mtx);
}

static errno_t
open_sockets(void)
{
	struct sockaddr_in sin;
	errno_t error;
	int on = 1;

	bzero(&sin, sizeof(sin));
	sin.sin_len = sizeof(sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((in_port_t)echokext_port);
	sin.sin_addr.s_addr = htonl(INADDR_ANY);

	error = sock_socket(PF_INET, SOCK_DGRAM, IPPROTO_UDP, udp_upcall,
	    NULL, &udp_so);
	if (error == 0) {
		error = sock_bind(udp_so, (struct sockaddr *)&sin);
	}
	if (error == 0) {
		error = sock_socket(PF_INET, SOCK_STREAM, IPPROTO_TCP,
		    listen_upcall, NULL, &listen_so);
	}
	if (error == 0) {
		error = sock_setsockopt(listen_so, SOL_SOCKET, SO_REUSEADDR,
		    &on, sizeof(on));
	}
	if (error == 0) {
		error = sock_bind(listen_so, (struct sockaddr *)&sin);
	}
	if (error == 0) {
		error = sock_listen(listen_so, 8);
	}
	return (error);
}

static void
close_sockets(void)
{
	struct echo_conn *ec;

	if (udp_so != NULL) {
		sock_close(udp_so);
		udp_so = NULL;
	}
	if (listen_so != NULL) {
		sock_close(listen_so);
		listen_so = NULL;
	}
	lck_mtx_lock(echo_mtx);
	while ((ec = TAILQ_FIRST(&conns)) != NULL) {
		TAILQ_REMOVE(&conns, ec, ec_link);
		ec->ec_closing = 1;
		lck_mtx_unlock(echo_mtx);
		sock_close(ec->ec_so);
		conn_free(ec);
		lck_mtx_lock(echo_mtx);
	}
	lck_mtx_unlock(echo_mtx);
}

kern_return_t echokext_start(kmod_info_t *ki, void *data);
kern_return_t echokext_stop(kmod_info_t *ki, void *data);

kern_return_t
echokext_start(kmod_info_t *ki, void *data)
{
	uint64_t deadline;
	errno_t error;

	(void)ki;
	(void)data;
	echo_grp = lck_grp_alloc_init(ECHOKEXT_NAME, LCK_GRP_ATTR_NULL);
	echo_mtx = lck_mtx_alloc_init(echo_grp, LCK_ATTR_NULL);
	echo_tag = OSMalloc_Tagalloc(ECHOKEXT_NAME, OSMT_DEFAULT);
	stats_call = thread_call_allocate(stats_tick, NULL);
	if (echo_grp == NULL || echo_mtx == NULL || echo_tag == NULL ||
	    stats_call == NULL) {
		echokext_stop(ki, data);
		return (KERN_RESOURCE_SHORTAGE);
	}
	stopping = 0;
	if ((error = open_sockets()) != 0) {
		printf("echokext: cannot open port %d: error %d\n",
		    echokext_port, error);
		echokext_stop(ki, data);
		return (KERN_FAILURE);
	}
	clock_interval_to_deadline(1, kSecondScale, &deadline);
	thread_call_enter_delayed(stats_call, deadline);
	printf("echokext: serving UDP and TCP port %d\n", echokext_port);
	return (KERN_SUCCESS);
}

kern_return_t
echokext_stop(kmod_info_t *ki, void *data)
{
	struct timespec ts = { 1, 0 };

	(void)ki;
	(void)data;
	if (echo_mtx != NULL) {
		lck_mtx_lock(echo_mtx);
		stopping = 1;
		lck_mtx_unlock(echo_mtx);
	}
	if (stats_call != NULL) {
		/* Wait for a tick that runs; it arms nothing now. */
		thread_call_cancel_wait(stats_call);
		thread_call_free(stats_call);
		stats_call = NULL;
	}
	if (echo_mtx != NULL) {
		lck_mtx_lock(echo_mtx);
		while (upcalls_running > 0) {
			msleep(&upcalls_running, echo_mtx, PSOCK, "echostop",
			    &ts);
		}
		lck_mtx_unlock(echo_mtx);
		close_sockets();
		lck_mtx_free(echo_mtx, echo_grp);
		echo_mtx = NULL;
	}
	if (echo_tag != NULL) {
		OSMalloc_Tagfree(echo_tag);
		echo_tag = NULL;
	}
	if (echo_grp != NULL) {
		lck_grp_free(echo_grp);
		echo_grp = NULL;
	}
	printf("echokext: stopped: %d datagrams echoed, %d connections, "
	    "%lld bytes\n", (int)echokext_udp_echoed,
	    (int)echokext_tcp_conns, (long long)echokext_tcp_bytes);
	return (KERN_SUCCESS);
}
