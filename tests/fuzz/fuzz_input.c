/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * libFuzzer harness: the packet input path over the mem backend.
 *
 * Three virtual interfaces (one with a 15-character name, for IP_RECVIF's
 * sockaddr_dl), IPv4 and IPv6 addresses on each, and raw sockets open on
 * several protocols, bound and connected ones among them.  Each input
 * sets every socket's receive options from its header (all of them on in
 * most seeds), injects its packets (IPv4, IPv6, extension headers,
 * fragments: see fuzz.h for the layout), runs the event loop by hand
 * on this thread until every packet reached the engine, and drains every
 * socket.  Then every packet must be in exactly one per-packet counter,
 * and nothing may be left: every socket empty, no fragment queue (the
 * ones left are flushed, so that inputs do not depend on one another), no
 * captured packet, and not one mbuf, cluster or tag alive.
 * A failed check aborts, which libFuzzer reports as a crash.
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>
#include <xkpi.h>
#include <xkpi_mem.h>

#include "core/ip_var.h"
#include "core/mbuf_var.h"
#include "tests/fuzz/fuzz.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_LONGIF	"fzlongname0123"	/* IF_NAMESIZE - 1 characters */
#define FZ_MAXSPIN	100000	/* loop turns before a packet is "lost" */
#define FZ_MAXREADS	200000	/* reads of one socket per input */

static const char *const fz_ifs[] = { "fz0", "fz1", FZ_LONGIF, "nosuchif" };

struct fz_sock {
	int		 family;
	int		 proto;
	const char	*bind;		/* local address, or NULL */
	const char	*peer;		/* connected to, or NULL */
	socket_t	 so;
};

static struct fz_sock fz_socks[] = {
	{ AF_INET, 0, NULL, NULL, NULL },
	{ AF_INET, IPPROTO_ICMP, NULL, NULL, NULL },
	{ AF_INET, IPPROTO_IGMP, NULL, NULL, NULL },
	{ AF_INET, 253, NULL, NULL, NULL },
	{ AF_INET, IPPROTO_RAW, NULL, NULL, NULL },
	{ AF_INET, IPPROTO_ICMP, "192.0.2.1", NULL, NULL },
	{ AF_INET, 0, NULL, "192.0.2.9", NULL },
	{ AF_INET6, IPPROTO_ICMPV6, NULL, NULL, NULL },
	{ AF_INET6, IPPROTO_ICMPV6, NULL, NULL, NULL },	/* the filtered one */
	{ AF_INET6, 0, NULL, NULL, NULL },
	{ AF_INET6, 253, NULL, NULL, NULL },		/* IPV6_CHECKSUM on */
	{ AF_INET6, IPPROTO_NONE, NULL, NULL, NULL },
	{ AF_INET6, IPPROTO_ICMPV6, "2001:db8::1", NULL, NULL },
	{ AF_INET6, 253, NULL, "2001:db8::9", NULL },
};
#define FZ_NSOCK	(sizeof(fz_socks) / sizeof(fz_socks[0]))
#define FZ_FILTERED	8
#define FZ_CKSUMSOCK	10

static struct event_base *fz_base;
static struct xk_mb_live fz_live0;	/* alive after the set-up */
static uint64_t fz_injected;		/* packets handed to the backend */
static uint8_t fz_pkt[65536];
static struct xk_ip_stats fz_st0;	/* the counters before the input */

static void
fz_panic(const char *msg, void *ctx)
{
	(void)ctx;
	fprintf(stderr, "fuzz_input: xkpi panic: %s\n", msg);
	abort();
}

/* A failed check: the message names it and two values that tell more. */
static void
fz_check(bool ok, const char *what, long a, long b)
{
	if (!ok) {
		fprintf(stderr, "fuzz_input: %s (%ld, %ld)\n", what, a, b);
		abort();
	}
}

static void
fz_addr(const char *ifname, int family, const char *s, unsigned int plen)
{
	uint8_t a[16];

	fz_check(inet_pton(family, s, a) == 1, "inet_pton", 0, 0);
	fz_check(xkpi_mem_vif_addaddr(ifname, family, a, plen) == 0,
	    "xkpi_mem_vif_addaddr", family, (long)plen);
}

static void
fz_sockaddr(int family, const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		fz_check(inet_pton(AF_INET, s, &sin->sin_addr) == 1,
		    "inet_pton", 0, 0);
		return;
	}
	sin6->sin6_family = AF_INET6;
	fz_check(inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1, "inet_pton",
	    0, 0);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "mem",
	    .ifaces = "", .log_level = XKPI_LOG_OFF);
	struct sockaddr_storage ss;
	size_t i;
	int e;

	(void)argc;
	(void)argv;
	xkpi_set_panic_hook(fz_panic, NULL);
	fz_check(evthread_use_pthreads() == 0, "evthread_use_pthreads", 0, 0);
	fz_base = event_base_new();
	fz_check(fz_base != NULL, "event_base_new", 0, 0);
	e = xkpi_init_with_base(fz_base, &cfg);
	fz_check(e == 0, "xkpi_init_with_base", e, 0);
	fz_check(xkpi_mem_vif_create("fz0", 1500, NULL) == 0, "vif fz0", 0, 0);
	fz_check(xkpi_mem_vif_create("fz1", 1280, NULL) == 0, "vif fz1", 0, 0);
	fz_check(xkpi_mem_vif_create(FZ_LONGIF, 9000, NULL) == 0,
	    "vif long", 0, 0);
	fz_addr("fz0", AF_INET, "192.0.2.1", 24);
	fz_addr("fz0", AF_INET6, "2001:db8::1", 64);
	fz_addr("fz0", AF_INET6, "fe80::1", 64);
	fz_addr("fz1", AF_INET, "198.51.100.1", 24);
	fz_addr("fz1", AF_INET6, "2001:db8:1::1", 64);
	fz_addr("fz1", AF_INET6, "fe80::1", 64);
	fz_addr(FZ_LONGIF, AF_INET, "203.0.113.1", 32);
	fz_addr(FZ_LONGIF, AF_INET6, "2001:db8:2::1", 128);
	for (i = 0; i < FZ_NSOCK; i++) {
		struct fz_sock *s = &fz_socks[i];

		e = sock_socket(s->family, SOCK_RAW, s->proto, NULL, NULL,
		    &s->so);
		fz_check(e == 0, "sock_socket", e, (long)i);
		if (s->bind != NULL) {
			fz_sockaddr(s->family, s->bind, &ss);
			e = sock_bind(s->so, (struct sockaddr *)&ss);
			fz_check(e == 0, "sock_bind", e, (long)i);
		}
		if (s->peer != NULL) {
			fz_sockaddr(s->family, s->peer, &ss);
			e = sock_connect(s->so, (struct sockaddr *)&ss, 0);
			fz_check(e == 0, "sock_connect", e, (long)i);
		}
	}
	/* Let the loop settle whatever the set-up queued. */
	event_base_loop(fz_base, EVLOOP_NONBLOCK);
	xk_mb_live(&fz_live0);
	return 0;
}

static void
fz_setopt(socket_t so, int level, int name, int v)
{
	int e = sock_setsockopt(so, level, name, &v, sizeof(v));

	fz_check(e == 0, "sock_setsockopt", name, e);
}

/* Sets every receive option of every socket from the header. */
static void
fz_options(const uint8_t *h)
{
	struct icmp6_filter f;
	size_t i;

	for (i = 0; i < FZ_NSOCK; i++) {
		socket_t so = fz_socks[i].so;
		unsigned int r = (unsigned int)(i % 8);
		unsigned int b;

		if (fz_socks[i].family == AF_INET) {
			b = (unsigned int)(h[0] << r | h[0] >> (8 - r)) & 0xff;
			fz_setopt(so, IPPROTO_IP, IP_RECVIF,
			    (b & FZ_V4_RECVIF) != 0);
			fz_setopt(so, IPPROTO_IP, IP_STRIPHDR,
			    (b & FZ_V4_STRIPHDR) != 0);
			fz_setopt(so, IPPROTO_IP, IP_RECVDSTADDR,
			    (b & FZ_V4_DSTADDR) != 0);
			fz_setopt(so, IPPROTO_IP, IP_RECVTTL,
			    (b & FZ_V4_RECVTTL) != 0);
			fz_setopt(so, IPPROTO_IP, IP_PKTINFO,
			    (b & FZ_V4_PKTINFO) != 0);
			fz_setopt(so, SOL_SOCKET, SO_TIMESTAMP,
			    (b & FZ_V4_TSTAMP) != 0);
			fz_setopt(so, SOL_SOCKET, SO_DONTTRUNC,
			    (b & FZ_V4_DONTTRUNC) != 0);
			fz_setopt(so, SOL_SOCKET, SO_RCVBUF,
			    (b & FZ_V4_SMALLBUF) != 0 ? 600 : 65536);
			continue;
		}
		b = (unsigned int)(h[1] << r | h[1] >> (8 - r)) & 0xff;
		fz_setopt(so, IPPROTO_IPV6, IPV6_RECVPKTINFO,
		    (b & FZ_V6_PKTINFO) != 0);
		fz_setopt(so, IPPROTO_IPV6, IPV6_RECVHOPLIMIT,
		    (b & FZ_V6_HOPLIMIT) != 0);
		fz_setopt(so, IPPROTO_IPV6, IPV6_RECVTCLASS,
		    (b & FZ_V6_TCLASS) != 0);
		fz_setopt(so, SOL_SOCKET, SO_TIMESTAMP,
		    (b & FZ_V6_TSTAMP) != 0);
		fz_setopt(so, SOL_SOCKET, SO_DONTTRUNC,
		    (b & FZ_V6_DONTTRUNC) != 0);
		fz_setopt(so, SOL_SOCKET, SO_RCVBUF,
		    (b & FZ_V6_SMALLBUF) != 0 ? 600 : 65536);
	}
	/* Not rotated: these two belong to one socket each. */
	if (h[1] & FZ_V6_FILTER) {
		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(h[3], &f);
	} else {
		ICMP6_FILTER_SETPASSALL(&f);
	}
	fz_check(sock_setsockopt(fz_socks[FZ_FILTERED].so, IPPROTO_ICMPV6,
	    ICMP6_FILTER, &f, sizeof(f)) == 0, "ICMP6_FILTER", 0, 0);
	fz_setopt(fz_socks[FZ_CKSUMSOCK].so, IPPROTO_IPV6, IPV6_CHECKSUM,
	    FZ_CKSUM_OFF(h[2]));
	if (h[1] & FZ_V6_ICMPCK) {
		int v = FZ_CKSUM_OFF(h[2]);
		errno_t e = sock_setsockopt(fz_socks[FZ_FILTERED].so,
		    IPPROTO_IPV6, IPV6_CHECKSUM, &v, sizeof(v));

		/* ICMPv6's checksum is at 2, and nowhere else. */
		fz_check(e == (v == 2 ? 0 : EINVAL), "IPV6_CHECKSUM on ICMPv6",
		    v, e);
	}
}

/*
 * Every packet that reached the engine ends in exactly one per-packet
 * counter, a fragment in ip.frag.in (the whole packet it ends in, if
 * any, is counted once more and once as reassembled): the identity of
 * tests/unit/test_accounting.c, over one input.
 */
static uint64_t
fz_ends(const struct xk_ip_stats *s)
{
	uint64_t n;

	n = s->ips_badfamily + s->ips_notforus + s->ip6s_notforus +
	    s->ips_hostproto + s->ips_noproto + s->ip6s_noproto +
	    s->ip6s_icmp6filtered + s->ip6s_mcastnomember +
	    s->ips_mcastnomember +
	    s->ips_delivered + s->ip6s_delivered + s->ips_rawdropped +
	    s->ip6s_rawdropped + s->ips_fragments + s->ip6s_fragments -
	    s->ips_reassembled - s->ip6s_reassembled;
	for (int i = 0; i < XK_IPDROP_COUNT; i++) {
		n += s->ips_drop[i] + s->ip6s_drop[i];
	}
	return n;
}

static uint64_t
fz_reached(void)
{
	struct xk_ip_stats s;

	xk_ipstat_snapshot(&s);
	return s.ips_total + s.ip6s_total + s.ips_badfamily;
}

/* Runs the loop until every injected packet has entered the engine. */
static void
fz_pump(void)
{
	int spins = 0;

	while (fz_reached() < fz_injected) {
		event_base_loop(fz_base, EVLOOP_NONBLOCK);
		fz_check(++spins < FZ_MAXSPIN, "packets never reached the "
		    "engine", (long)fz_reached(), (long)fz_injected);
	}
	/* Once more, for whatever the last batch queued. */
	event_base_loop(fz_base, EVLOOP_NONBLOCK);
}

/* Walks the control messages the library wrote. */
static void
fz_check_cmsgs(struct msghdr *msg, size_t cap)
{
	struct cmsghdr *c;

	fz_check(msg->msg_controllen <= cap, "msg_controllen over the buffer",
	    (long)msg->msg_controllen, (long)cap);
	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		size_t off = (size_t)((uint8_t *)c -
		    (uint8_t *)msg->msg_control);

		fz_check(c->cmsg_len >= CMSG_LEN(0), "short cmsg_len",
		    (long)c->cmsg_len, 0);
		fz_check(off + c->cmsg_len <= msg->msg_controllen,
		    "cmsg past msg_controllen", (long)(off + c->cmsg_len),
		    (long)msg->msg_controllen);
		fz_check(c->cmsg_level == SOL_SOCKET ||
		    c->cmsg_level == IPPROTO_IP ||
		    c->cmsg_level == IPPROTO_IPV6, "cmsg level",
		    c->cmsg_level, c->cmsg_type);
	}
}

static const size_t fz_datacap[] = { 7, 64, 1500, 65536 };
static const size_t fz_ctlcap[] = { 0, 16, 40, 512 };

/* One read; false when the socket is empty. */
static bool
fz_read1(struct fz_sock *s, uint8_t how, uint8_t *buf, uint8_t *peekbuf)
{
	size_t cap = fz_datacap[FZ_RX_DATA(how)];
	size_t ctlcap = fz_ctlcap[FZ_RX_CTL(how)];
	uint8_t ctl[512] __attribute__((aligned(8)));
	struct sockaddr_storage from;
	struct msghdr msg;
	struct iovec iov;
	size_t got = 0, peeked = 0;
	mbuf_t m = NULL;
	errno_t e;
	bool peek = (how & FZ_RX_PEEK) != 0;

	for (int pass = peek ? 0 : 1; pass < 2; pass++) {
		int flags = MSG_DONTWAIT | (pass == 0 ? MSG_PEEK : 0);

		memset(&msg, 0, sizeof(msg));
		if (!(how & FZ_RX_NONAME)) {
			msg.msg_name = &from;
			msg.msg_namelen = sizeof(from);
		}
		if (ctlcap > 0) {
			msg.msg_control = ctl;
			msg.msg_controllen = ctlcap;
		}
		if (how & FZ_RX_MBUF) {
			got = cap;
			e = sock_receivembuf(s->so, &msg, &m, flags, &got);
		} else {
			iov.iov_base = pass == 0 ? peekbuf : buf;
			iov.iov_len = cap;
			msg.msg_iov = &iov;
			msg.msg_iovlen = 1;
			e = sock_receive(s->so, &msg, flags, &got);
		}
		if (e == EWOULDBLOCK) {
			fz_check(pass == 0 || !peek, "peeked, then nothing",
			    (long)peeked, 0);
			fz_check(m == NULL, "chain on EWOULDBLOCK", 0, 0);
			return false;
		}
		fz_check(e == 0, "receive error", e, s->proto);
		fz_check(got <= cap, "received more than asked", (long)got,
		    (long)cap);
		if (!(how & FZ_RX_NONAME)) {
			fz_check(from.ss_family == s->family,
			    "source address family", from.ss_family,
			    s->family);
		}
		if (ctlcap > 0) {
			fz_check_cmsgs(&msg, ctlcap);
		}
		if (how & FZ_RX_MBUF) {
			size_t sum = 0;

			for (mbuf_t n = m; n != NULL; n = mbuf_next(n)) {
				sum += mbuf_len(n);
			}
			/* An empty datagram comes as no chain at all. */
			fz_check((m != NULL || got == 0) && sum == got,
			    "receivembuf: chain length", (long)sum,
			    (long)got);
			if (m != NULL && (mbuf_flags(m) & MBUF_PKTHDR)) {
				fz_check(mbuf_pkthdr_len(m) == sum,
				    "receivembuf: packet length",
				    (long)mbuf_pkthdr_len(m), (long)sum);
			}
			if (pass == 0) {
				fz_check(mbuf_copydata(m, 0, got, peekbuf) == 0,
				    "mbuf_copydata", 0, 0);
			} else if (peek) {
				fz_check(mbuf_copydata(m, 0, got, buf) == 0,
				    "mbuf_copydata", 0, 0);
			}
			mbuf_freem(m);
			m = NULL;
		}
		if (pass == 0) {
			peeked = got;
		}
	}
	if (peek) {
		fz_check(peeked == got, "MSG_PEEK length differs", (long)peeked,
		    (long)got);
		fz_check(memcmp(peekbuf, buf, got) == 0,
		    "MSG_PEEK data differs", (long)got, 0);
	}
	return true;
}

static uint8_t fz_buf[65536], fz_peekbuf[65536];

/* Reads every socket until it is empty. */
static void
fz_drain(uint8_t how)
{
	size_t i;
	int n, reads;

	for (i = 0; i < FZ_NSOCK; i++) {
		for (reads = 0; fz_read1(&fz_socks[i], how, fz_buf,
		    fz_peekbuf); reads++) {
			fz_check(reads < FZ_MAXREADS, "socket never empties",
			    (long)i, reads);
		}
		n = -1;
		fz_check(sock_ioctl(fz_socks[i].so, FIONREAD, &n) == 0,
		    "FIONREAD", 0, 0);
		fz_check(n == 0, "FIONREAD after draining", n, (long)i);
	}
}

/*
 * Every fragment received ended dropped, timed out or in a reassembled
 * packet, which took 2 to XK_IPFRAG_MAXFRAGS of them.
 */
static void
fz_frag_check(const struct xk_ip_stats *a, const struct xk_ip_stats *b,
    int family)
{
	uint64_t in, out, whole;

	if (family == AF_INET) {
		in = b->ips_fragments - a->ips_fragments;
		out = b->ips_fragdropped - a->ips_fragdropped +
		    b->ips_fragtimeout - a->ips_fragtimeout;
		whole = b->ips_reassembled - a->ips_reassembled;
	} else {
		in = b->ip6s_fragments - a->ip6s_fragments;
		out = b->ip6s_fragdropped - a->ip6s_fragdropped +
		    b->ip6s_fragtimeout - a->ip6s_fragtimeout;
		whole = b->ip6s_reassembled - a->ip6s_reassembled;
	}
	fz_check(out <= in && in - out >= 2 * whole &&
	    in - out <= XK_IPFRAG_MAXFRAGS * whole,
	    family == AF_INET ? "IPv4 fragments unaccounted for" :
	    "IPv6 fragments unaccounted for", (long)in, (long)(out + whole));
}

/* Forgets what the input left behind, so that the next starts afresh. */
static void
fz_reset(uint64_t ends0, uint64_t injected0)
{
	struct xk_ip_stats st;
	struct xk_mb_live live;
	uint8_t pkt[64];
	size_t len;

	if (xk_ip_frag_queues() != 0) {
		xk_ip_frag_close();
		fz_check(xk_ip_frag_open(fz_base) == 0, "xk_ip_frag_open", 0,
		    0);
	}
	/* The fragments flushed are counted: now every packet has ended. */
	xk_ipstat_snapshot(&st);
	fz_check(fz_ends(&st) - ends0 == fz_injected - injected0,
	    "packets not in exactly one counter", (long)(fz_ends(&st) - ends0),
	    (long)(fz_injected - injected0));
	fz_frag_check(&fz_st0, &st, AF_INET);
	fz_frag_check(&fz_st0, &st, AF_INET6);
	for (size_t i = 0; i < 3; i++) {
		while (xkpi_mem_capture(fz_ifs[i], pkt, sizeof(pkt),
		    &len) != ENOENT) {
			;
		}
	}
	xk_mb_live(&live);
	fz_check(live.mbufs == fz_live0.mbufs, "mbufs alive after the input",
	    (long)live.mbufs, (long)fz_live0.mbufs);
	fz_check(live.clusters == fz_live0.clusters,
	    "clusters alive after the input", (long)live.clusters,
	    (long)fz_live0.clusters);
	fz_check(live.tags == fz_live0.tags, "tags alive after the input",
	    (long)live.tags, (long)fz_live0.tags);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = FZ_HDRLEN, len;
	uint64_t ends0, injected0 = fz_injected;
	uint8_t how, ctl;
	int cksum_off;
	errno_t e;

	if (size < FZ_HDRLEN) {
		return 0;
	}
	xk_ipstat_snapshot(&fz_st0);
	ends0 = fz_ends(&fz_st0);
	fz_options(data);
	how = data[4];
	cksum_off = FZ_CKSUM_OFF(data[2]);
	while (off + 3 <= size) {
		ctl = data[off];
		len = (size_t)data[off + 1] << 8 | data[off + 2];
		off += 3;
		if (len > size - off) {
			len = size - off;
		}
		if (ctl & FZ_REC_DRAIN) {
			fz_pump();
			fz_drain(how);
		}
		if (len == 0) {
			continue;
		}
		memcpy(fz_pkt, data + off, len);
		off += len;
		if (ctl & FZ_REC_FIXSUM) {
			fz_fix_cksums(fz_pkt, len, cksum_off);
		}
		e = xkpi_mem_inject(fz_ifs[FZ_REC_IF(ctl)], fz_pkt, len);
		if (FZ_REC_IF(ctl) == 3) {
			fz_check(e == ENXIO, "inject on no interface", e, 0);
			continue;
		}
		fz_check(e == 0, "xkpi_mem_inject", e, (long)len);
		fz_injected++;
	}
	fz_pump();
	fz_drain(how);
	fz_reset(ends0, injected0);
	return 0;
}
