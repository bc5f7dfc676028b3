/*
 * xkpi example: ping, an ICMP echo client written the way a kext writes
 * one: a raw ICMP (or ICMPv6) socket with a read upcall that drains it
 * as mbuf chains, requests built with the mbuf KPI and sent with
 * sock_sendmbuf, and the library's counters printed at the end.
 *
 *	ping [-6] [-c count] [-i interval_ms] [-s size] [-W timeout_ms] [-q]
 *	    dst
 *	ping --mem [-6] [options] [dst]
 *
 * One echo request goes out every interval (1000 ms by default) until
 * count (3) were sent; then the program waits timeout_ms (2000) at most
 * for the replies still missing.  The identifier is the process id, the
 * sequence numbers run from 1, and the first 8 bytes of the payload hold
 * the send time, for the round trip.  A reply counts when its source,
 * identifier and sequence number are ours; anything else the socket
 * receives is counted as "other".
 *
 * Raw IPv4 input comes in the BSD form: the IP header first, with ip_len
 * in host order and the header length already subtracted.  Raw ICMPv6
 * input is the ICMPv6 message alone, its checksum checked by the library,
 * which also computes it on output; for IPv4 the program computes and
 * checks the ICMP checksum itself, as a kext must.
 *
 * Over a host backend (XKPI_BACKEND=linux or pcap, XKPI_IFACES=eth0) the
 * peer's own kernel answers.  With --mem the program makes the peer
 * itself, over the in-memory backend and without privilege: two linked
 * virtual interfaces, and an echo responder that is a second kext in
 * the same process (its own raw socket and upcall); dst then defaults to
 * the responder's address, all through <xkpi_mem.h>.
 *
 * Exit status: 0 when every request got its reply, 1 otherwise, 2 for a
 * usage or setup error.
 *
 *	cc ping.c $(pkg-config --cflags --libs xkpi)
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>
#include <xkpi.h>
#include <xkpi_mem.h>

#define COUNT_MAX	65535UL	/* sequence numbers stay unique */
#define INTERVAL_MAX	60000UL
#define TIMEOUT_MAX	60000UL
#define DATALEN_MAX	65507UL	/* IP_MAXPACKET - IPv4 header - ICMP header */
#define DATALEN_DEF	56
#define ECHO_HDRLEN	8	/* ICMP_MINLEN, sizeof(struct icmp6_hdr) */
#define CKSUM_OFF	2	/* the checksum's place in both */
#define STAMP_LEN	8	/* the send time, nanoseconds */
#define DRAIN_MAX	4096	/* receives per upcall, a safety bound */
#define RECV_ALL	1000000000	/* "all", for sock_receivembuf */

/*
 * --mem: the pinger's side and the responder's side are in different
 * subnets.  The engine routes by the attached prefix that holds the
 * destination, so each packet leaves through the interface on its
 * destination's subnet and comes in at the other end of the link: the
 * request and the reply both cross it, once each.
 */
#define MEM_IF_PINGER	"xkmem0"
#define MEM_IF_PEER	"xkmem1"
#define MEM_PINGER4	"10.201.1.1"
#define MEM_PEER4	"10.201.2.2"
#define MEM_PINGER6	"fd00:201:1::1"
#define MEM_PEER6	"fd00:201:2::2"

/* An echo header: type, code, checksum, identifier, sequence number. */
union echo_hdr {
	struct icmp	 eh_icmp;	/* its first ICMP_MINLEN bytes */
	struct icmp6_hdr eh_icmp6;
};

struct ping {
	pthread_mutex_t	 p_lock;
	pthread_cond_t	 p_cv;
	int		 p_family;
	struct sockaddr_storage p_dst;
	char		 p_dstname[INET6_ADDRSTRLEN];
	uint16_t	 p_ident;
	size_t		 p_datalen;	/* payload bytes after the header */
	unsigned long	 p_count;
	int		 p_quiet;
	/* Under p_lock: */
	unsigned long	 p_seq;		/* the last sequence number used */
	unsigned long	 p_sent;
	unsigned long	 p_received;
	unsigned long	 p_dups;
	unsigned long	 p_other;
	uint8_t		*p_seen;	/* per sequence number: replied */
	uint64_t	 p_rtt_min;	/* nanoseconds */
	uint64_t	 p_rtt_max;
	uint64_t	 p_rtt_sum;
	unsigned long	 p_rtt_n;
	errno_t		 p_error;	/* a receive error, ends the run */
	int		 p_done;
	/* The upcall's own: */
	uint8_t		*p_in;		/* one reply's payload */
};

/* The in-process peer of --mem: answers echo requests to its address. */
struct responder {
	pthread_mutex_t	 r_lock;
	int		 r_family;
	unsigned long	 r_answered;
	unsigned long	 r_ignored;
	unsigned long	 r_errors;
	int		 r_done;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: ping [-6] [-c count] [-i interval_ms] [-s size] "
	    "[-W timeout_ms] [-q] dst\n"
	    "       ping --mem [-6] [options] [dst]\n");
	exit(2);
}

static unsigned long
number(const char *arg, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v > max) {
		usage();
	}
	return v;
}

static int
fail(const char *what, errno_t error)
{
	fprintf(stderr, "ping: %s: %s\n", what, strerror(error));
	return 2;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
ns_to_timespec(uint64_t ns, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ns / 1000000000u);
	ts->tv_nsec = (long)(ns % 1000000000u);
}

static int
cond_init_monotonic(pthread_cond_t *cv)
{
	pthread_condattr_t attr;
	int error;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	error = pthread_cond_init(cv, &attr);
	pthread_condattr_destroy(&attr);
	return error;
}

/*
 * The Internet checksum of @len bytes of a chain from @off, walking the
 * mbufs as a kext does.  A segment may end on an odd byte: the next one
 * then starts with the low half of a 16-bit word.
 */
static uint16_t
cksum_mbuf(mbuf_t m, size_t off, size_t len)
{
	uint32_t sum = 0;
	int odd = 0;

	for (; m != NULL && len > 0; m = mbuf_next(m)) {
		const uint8_t *p = mbuf_data(m);
		size_t n = mbuf_len(m);

		if (off >= n) {
			off -= n;
			continue;
		}
		p += off;
		n -= off;
		off = 0;
		if (n > len) {
			n = len;
		}
		len -= n;
		for (size_t i = 0; i < n; i++) {
			sum += odd ? p[i] : (uint32_t)p[i] << 8;
			odd = !odd;
		}
	}
	while (sum >> 16) {
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return htons((uint16_t)~sum);
}

static socklen_t
sa_len_of(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
}

static int
same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)a;
	const struct sockaddr_in *b4 = (const struct sockaddr_in *)b;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)a;
	const struct sockaddr_in6 *b6 = (const struct sockaddr_in6 *)b;

	if (a->ss_family != b->ss_family) {
		return 0;
	}
	if (a->ss_family == AF_INET) {
		return a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	}
	return IN6_ARE_ADDR_EQUAL(&a6->sin6_addr, &b6->sin6_addr);
}

static int
parse_addr(int family, const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	ss->ss_family = (sa_family_t)family;
	if (family == AF_INET) {
		return inet_pton(AF_INET, s, &sin->sin_addr) == 1 ? 0 : EINVAL;
	}
	return inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1 ? 0 : EINVAL;
}

static void
addr_name(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *a = ss->ss_family == AF_INET6 ?
	    (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr :
	    (const void *)&((const struct sockaddr_in *)ss)->sin_addr;

	if (inet_ntop(ss->ss_family, a, buf, (socklen_t)len) == NULL) {
		snprintf(buf, len, "?");
	}
}

/*
 * One received packet.  Returns with the reply counted, or counted as
 * "other".  Only the upcall calls it, so p_in is its own.
 */
static void
ping_input(struct ping *p, mbuf_t m, const struct sockaddr_storage *from,
    int hlim)
{
	size_t total = mbuf_pkthdr_len(m), off = 0, icmplen;
	uint64_t sent_ns = 0, rtt = 0;
	char name[INET6_ADDRSTRLEN];
	int ttl = hlim, have_rtt = 0, dup = 0, ok;
	union echo_hdr eh;
	uint16_t seq;
	struct ip ip;

	if (p->p_family == AF_INET) {
		if (total < sizeof(ip) ||
		    mbuf_copydata(m, 0, sizeof(ip), &ip) != 0) {
			goto other;
		}
		off = (size_t)ip.ip_hl << 2;
		/* BSD form: ip_len is the payload's length, host order. */
		if (off < sizeof(ip) || ip.ip_len != total - off) {
			goto other;
		}
		icmplen = ip.ip_len;
		ttl = ip.ip_ttl;
	} else {
		icmplen = total;
	}
	if (icmplen < ECHO_HDRLEN ||
	    mbuf_copydata(m, off, ECHO_HDRLEN, &eh) != 0) {
		goto other;
	}
	if (p->p_family == AF_INET) {
		ok = eh.eh_icmp.icmp_type == ICMP_ECHOREPLY &&
		    eh.eh_icmp.icmp_code == 0 &&
		    ntohs(eh.eh_icmp.icmp_id) == p->p_ident;
		seq = ntohs(eh.eh_icmp.icmp_seq);
	} else {
		ok = eh.eh_icmp6.icmp6_type == ICMP6_ECHO_REPLY &&
		    eh.eh_icmp6.icmp6_code == 0 &&
		    ntohs(eh.eh_icmp6.icmp6_id) == p->p_ident;
		seq = ntohs(eh.eh_icmp6.icmp6_seq);
	}
	if (!ok || !same_host(from, &p->p_dst)) {
		goto other;
	}
	/* The raw IPv4 socket leaves the ICMP checksum to us. */
	if (p->p_family == AF_INET && cksum_mbuf(m, off, icmplen) != 0) {
		goto other;
	}
	if (icmplen - ECHO_HDRLEN != p->p_datalen ||
	    (p->p_datalen > 0 && mbuf_copydata(m, off + ECHO_HDRLEN,
	    p->p_datalen, p->p_in) != 0)) {
		goto other;
	}
	/* The pattern after the time stamp must have come back intact. */
	for (size_t i = STAMP_LEN; i < p->p_datalen; i++) {
		if (p->p_in[i] != (uint8_t)i) {
			goto other;
		}
	}
	if (p->p_datalen >= STAMP_LEN) {
		memcpy(&sent_ns, p->p_in, sizeof(sent_ns));
		rtt = now_ns() - sent_ns;
		have_rtt = 1;
	}

	pthread_mutex_lock(&p->p_lock);
	if (p->p_done || seq == 0 || seq > p->p_seq) {
		p->p_other++;
		pthread_mutex_unlock(&p->p_lock);
		return;
	}
	if (p->p_seen[seq]) {
		p->p_dups++;
		dup = 1;
	} else {
		p->p_seen[seq] = 1;
		p->p_received++;
		if (have_rtt) {
			if (p->p_rtt_n == 0 || rtt < p->p_rtt_min) {
				p->p_rtt_min = rtt;
			}
			if (rtt > p->p_rtt_max) {
				p->p_rtt_max = rtt;
			}
			p->p_rtt_sum += rtt;
			p->p_rtt_n++;
		}
		if (p->p_received >= p->p_sent) {
			pthread_cond_broadcast(&p->p_cv);
		}
	}
	pthread_mutex_unlock(&p->p_lock);

	if (!p->p_quiet) {
		addr_name(from, name, sizeof(name));
		printf("%zu bytes from %s: icmp_seq=%u", icmplen, name, seq);
		if (ttl >= 0) {
			printf(" ttl=%d", ttl);
		}
		if (have_rtt) {
			printf(" time=%.3f ms", (double)rtt / 1e6);
		}
		printf("%s\n", dup ? " (DUP!)" : "");
		fflush(stdout);
	}
	return;
other:
	pthread_mutex_lock(&p->p_lock);
	p->p_other++;
	pthread_mutex_unlock(&p->p_lock);
}

/*
 * The read upcall: only a hint, so it receives with MSG_DONTWAIT until
 * EWOULDBLOCK.  It runs on the library's loop thread.
 */
static void
ping_upcall(socket_t so, void *cookie, int waitf)
{
	struct ping *p = cookie;
	union {
		char		buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr	align;
	} ctl;
	struct sockaddr_storage from;
	struct cmsghdr *cm;
	struct msghdr msg;
	errno_t error;
	size_t len;
	mbuf_t m;
	int stop, hlim;

	(void)waitf;
	for (int i = 0; i < DRAIN_MAX; i++) {
		pthread_mutex_lock(&p->p_lock);
		stop = p->p_done;
		pthread_mutex_unlock(&p->p_lock);
		if (stop) {
			break;	/* main is closing the socket */
		}
		memset(&from, 0, sizeof(from));
		memset(&msg, 0, sizeof(msg));
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		/* IPv6 hides the header: the hop limit comes as a message. */
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		m = NULL;
		len = RECV_ALL;
		error = sock_receivembuf(so, &msg, &m, MSG_DONTWAIT, &len);
		if (error == EWOULDBLOCK) {
			break;
		}
		if (error != 0) {
			pthread_mutex_lock(&p->p_lock);
			if (!p->p_done) {
				p->p_error = error;
				p->p_done = 1;
				pthread_cond_broadcast(&p->p_cv);
			}
			pthread_mutex_unlock(&p->p_lock);
			break;
		}
		hlim = -1;
		for (cm = CMSG_FIRSTHDR(&msg); cm != NULL;
		    cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level == IPPROTO_IPV6 &&
			    cm->cmsg_type == IPV6_HOPLIMIT) {
				memcpy(&hlim, CMSG_DATA(cm), sizeof(hlim));
			}
		}
		ping_input(p, m, &from, hlim);
		mbuf_freem(m);
	}
}

/* Builds echo request @seq with the mbuf KPI and sends it; consumed. */
static errno_t
ping_send(struct ping *p, socket_t so, uint16_t seq, uint8_t *payload)
{
	size_t len = ECHO_HDRLEN + p->p_datalen, sent;
	union echo_hdr eh;
	struct msghdr msg;
	uint16_t sum;
	uint64_t t;
	errno_t error;
	mbuf_t m;

	error = mbuf_allocpacket(MBUF_WAITOK, len, NULL, &m);
	if (error != 0) {
		return error;
	}
	memset(&eh, 0, sizeof(eh));
	if (p->p_family == AF_INET) {
		eh.eh_icmp.icmp_type = ICMP_ECHO;
		eh.eh_icmp.icmp_id = htons(p->p_ident);
		eh.eh_icmp.icmp_seq = htons(seq);
	} else {
		eh.eh_icmp6.icmp6_type = ICMP6_ECHO_REQUEST;
		eh.eh_icmp6.icmp6_id = htons(p->p_ident);
		eh.eh_icmp6.icmp6_seq = htons(seq);
	}
	error = mbuf_copyback(m, 0, ECHO_HDRLEN, &eh, MBUF_WAITOK);
	if (error == 0 && p->p_datalen > 0) {
		if (p->p_datalen >= STAMP_LEN) {
			t = now_ns();
			memcpy(payload, &t, sizeof(t));
		}
		error = mbuf_copyback(m, ECHO_HDRLEN, p->p_datalen, payload,
		    MBUF_WAITOK);
	}
	if (error != 0) {
		mbuf_freem(m);
		return error;
	}
	/* ICMPv6: the library fills the checksum (RFC 3542). */
	if (p->p_family == AF_INET) {
		sum = cksum_mbuf(m, 0, len);
		error = mbuf_copyback(m, CKSUM_OFF, sizeof(sum), &sum,
		    MBUF_WAITOK);
		if (error != 0) {
			mbuf_freem(m);
			return error;
		}
	}
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &p->p_dst;
	msg.msg_namelen = sa_len_of(&p->p_dst);
	/* The chain is the library's now, whatever the result. */
	return sock_sendmbuf(so, &msg, m, 0, &sent);
}

/* The responder's answer to one packet; @m stays the caller's. */
static void
responder_input(struct responder *r, socket_t so, mbuf_t m,
    struct sockaddr_storage *from)
{
	size_t total = mbuf_pkthdr_len(m), off = 0;
	uint8_t type, zero[2] = { 0, 0 };
	struct msghdr msg;
	struct ip ip;
	uint16_t sum;
	errno_t error;
	mbuf_t reply;

	if (r->r_family == AF_INET) {
		if (total < sizeof(ip) ||
		    mbuf_copydata(m, 0, sizeof(ip), &ip) != 0) {
			goto ignore;
		}
		off = (size_t)ip.ip_hl << 2;
		if (ip.ip_len != total - off || ip.ip_len < ECHO_HDRLEN ||
		    cksum_mbuf(m, off, ip.ip_len) != 0) {
			goto ignore;
		}
	} else if (total < ECHO_HDRLEN) {
		goto ignore;
	}
	if (mbuf_copydata(m, off, 1, &type) != 0 ||
	    type != (r->r_family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST)) {
		goto ignore;
	}
	/*
	 * Copies delivered to several sockets share their clusters: write
	 * into a deep copy, never into what was received.
	 */
	if ((error = mbuf_dup(m, MBUF_DONTWAIT, &reply)) != 0) {
		goto fail;
	}
	mbuf_adj(reply, (int)off);	/* the ICMP message alone */
	type = r->r_family == AF_INET ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY;
	error = mbuf_copyback(reply, 0, 1, &type, MBUF_DONTWAIT);
	if (error == 0) {
		error = mbuf_copyback(reply, CKSUM_OFF, sizeof(zero), zero,
		    MBUF_DONTWAIT);
	}
	/* ICMPv6: the library fills the checksum. */
	if (error == 0 && r->r_family == AF_INET) {
		sum = cksum_mbuf(reply, 0, mbuf_pkthdr_len(reply));
		error = mbuf_copyback(reply, CKSUM_OFF, sizeof(sum), &sum,
		    MBUF_DONTWAIT);
	}
	if (error != 0) {
		mbuf_freem(reply);
		goto fail;
	}
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = from;
	msg.msg_namelen = sa_len_of(from);
	if ((error = sock_sendmbuf(so, &msg, reply, 0, NULL)) != 0) {
		goto fail;
	}
	pthread_mutex_lock(&r->r_lock);
	r->r_answered++;
	pthread_mutex_unlock(&r->r_lock);
	return;
fail:
	pthread_mutex_lock(&r->r_lock);
	if (!r->r_done && r->r_errors++ == 0) {
		fprintf(stderr, "ping: responder: %s\n", strerror(error));
	}
	pthread_mutex_unlock(&r->r_lock);
	return;
ignore:
	pthread_mutex_lock(&r->r_lock);
	r->r_ignored++;
	pthread_mutex_unlock(&r->r_lock);
}

static void
responder_upcall(socket_t so, void *cookie, int waitf)
{
	struct responder *r = cookie;
	struct sockaddr_storage from;
	struct msghdr msg;
	size_t len;
	mbuf_t m;
	int stop;

	(void)waitf;
	for (int i = 0; i < DRAIN_MAX; i++) {
		pthread_mutex_lock(&r->r_lock);
		stop = r->r_done;
		pthread_mutex_unlock(&r->r_lock);
		if (stop) {
			break;
		}
		memset(&from, 0, sizeof(from));
		memset(&msg, 0, sizeof(msg));
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		len = RECV_ALL;
		if (sock_receivembuf(so, &msg, &m, MSG_DONTWAIT, &len) != 0) {
			break;
		}
		responder_input(r, so, m, &from);
		mbuf_freem(m);
	}
}

/* An ICMPv6 socket hears only the one type it wants. */
static errno_t
icmp6_pass_only(socket_t so, int type)
{
	struct icmp6_filter filt;

	ICMP6_FILTER_SETBLOCKALL(&filt);
	ICMP6_FILTER_SETPASS(type, &filt);
	return sock_setsockopt(so, IPPROTO_ICMPV6, ICMP6_FILTER, &filt,
	    sizeof(filt));
}

/*
 * --mem: two linked virtual interfaces, the pinger's address on one and
 * the responder's on the other, and the responder's socket bound to its
 * address so that it hears only what is sent to it.
 */
static int
mem_setup(int family, struct responder *r, socket_t *rso,
    struct sockaddr_storage *src, struct sockaddr_storage *peer)
{
	const char *mine = family == AF_INET ? MEM_PINGER4 : MEM_PINGER6;
	const char *theirs = family == AF_INET ? MEM_PEER4 : MEM_PEER6;
	unsigned int plen = family == AF_INET ? 24 : 64;
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "mem");
	struct sockaddr_in6 *sin6;
	struct sockaddr_in *sin;
	const void *a;
	errno_t error;

	if ((error = xkpi_init(&cfg)) != 0) {
		return fail("xkpi_init", error);
	}
	(void)parse_addr(family, mine, src);
	(void)parse_addr(family, theirs, peer);
	sin = (struct sockaddr_in *)src;
	sin6 = (struct sockaddr_in6 *)src;
	a = family == AF_INET ? (const void *)&sin->sin_addr :
	    (const void *)&sin6->sin6_addr;
	if ((error = xkpi_mem_vif_create(MEM_IF_PINGER, 1500, NULL)) != 0 ||
	    (error = xkpi_mem_vif_create(MEM_IF_PEER, 1500, NULL)) != 0 ||
	    (error = xkpi_mem_vif_addaddr(MEM_IF_PINGER, family, a, plen)) != 0) {
		return fail("mem interfaces", error);
	}
	sin = (struct sockaddr_in *)peer;
	sin6 = (struct sockaddr_in6 *)peer;
	a = family == AF_INET ? (const void *)&sin->sin_addr :
	    (const void *)&sin6->sin6_addr;
	if ((error = xkpi_mem_vif_addaddr(MEM_IF_PEER, family, a, plen)) != 0 ||
	    (error = xkpi_mem_link(MEM_IF_PINGER, MEM_IF_PEER)) != 0) {
		return fail("mem interfaces", error);
	}

	r->r_family = family;
	error = sock_socket(family == AF_INET ? PF_INET : PF_INET6, SOCK_RAW,
	    family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6,
	    responder_upcall, r, rso);
	if (error != 0) {
		return fail("responder: sock_socket", error);
	}
	if (family == AF_INET6 &&
	    (error = icmp6_pass_only(*rso, ICMP6_ECHO_REQUEST)) != 0) {
		return fail("responder: ICMP6_FILTER", error);
	}
	if ((error = sock_bind(*rso, (struct sockaddr *)peer)) != 0) {
		return fail("responder: sock_bind", error);
	}
	printf("mem: %s %s/%u <-> %s %s/%u, responder on %s\n",
	    MEM_IF_PINGER, mine, plen, MEM_IF_PEER, theirs, plen, theirs);
	return 0;
}

static void
print_stat(const char *name, uint64_t value, void *ctx)
{
	(void)ctx;
	if (value != 0) {
		printf("  %s %llu\n", name, (unsigned long long)value);
	}
}

static void
print_summary(struct ping *p, unsigned long send_errors)
{
	unsigned long lost = p->p_sent > p->p_received ?
	    p->p_sent - p->p_received : 0;

	printf("--- %s ping statistics ---\n", p->p_dstname);
	printf("%lu sent, %lu received, %lu%% loss", p->p_sent, p->p_received,
	    p->p_sent != 0 ? lost * 100 / p->p_sent : 0);
	if (p->p_dups != 0) {
		printf(", %lu duplicates", p->p_dups);
	}
	printf(", %lu other", p->p_other);
	if (send_errors != 0) {
		printf(", %lu send errors", send_errors);
	}
	if (p->p_rtt_n != 0) {
		printf(", rtt min/avg/max %.3f/%.3f/%.3f ms",
		    (double)p->p_rtt_min / 1e6,
		    (double)p->p_rtt_sum / (double)p->p_rtt_n / 1e6,
		    (double)p->p_rtt_max / 1e6);
	}
	printf("\n");
}

/*
 * Sleeps until @deadline, or, when @early, until every request sent has
 * its reply.
 */
static void
wait_until(struct ping *p, uint64_t deadline, int early)
{
	struct timespec ts;

	ns_to_timespec(deadline, &ts);
	pthread_mutex_lock(&p->p_lock);
	while (!p->p_done && !(early && p->p_received >= p->p_sent)) {
		if (pthread_cond_timedwait(&p->p_cv, &p->p_lock, &ts) ==
		    ETIMEDOUT || now_ns() >= deadline) {
			break;
		}
	}
	pthread_mutex_unlock(&p->p_lock);
}

static int
run(struct ping *p, unsigned long interval_ms, unsigned long timeout_ms,
    const struct sockaddr_storage *src)
{
	uint8_t *payload = NULL;
	unsigned long send_errors = 0, seq;
	uint64_t next;
	socket_t so = NULL;
	errno_t error;
	int rc, on = 1;

	payload = calloc(1, p->p_datalen + 1);
	p->p_in = calloc(1, p->p_datalen + 1);
	p->p_seen = calloc(p->p_count + 1, 1);
	if (payload == NULL || p->p_in == NULL || p->p_seen == NULL) {
		rc = fail("calloc", ENOMEM);
		goto out;
	}
	for (size_t i = STAMP_LEN; i < p->p_datalen; i++) {
		payload[i] = (uint8_t)i;
	}

	error = sock_socket(p->p_family == AF_INET ? PF_INET : PF_INET6,
	    SOCK_RAW, p->p_family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6,
	    ping_upcall, p, &so);
	if (error != 0) {
		rc = fail("sock_socket", error);
		goto out;
	}
	if (p->p_family == AF_INET6 &&
	    (error = icmp6_pass_only(so, ICMP6_ECHO_REPLY)) != 0) {
		rc = fail("ICMP6_FILTER", error);
		goto out;
	}
	if (p->p_family == AF_INET6 &&
	    (error = sock_setsockopt(so, IPPROTO_IPV6, IPV6_RECVHOPLIMIT,
	    &on, sizeof(on))) != 0) {
		rc = fail("IPV6_RECVHOPLIMIT", error);
		goto out;
	}
	/* A source of our own, as a kext that owns an address binds it. */
	if (src != NULL &&
	    (error = sock_bind(so, (const struct sockaddr *)src)) != 0) {
		rc = fail("sock_bind", error);
		goto out;
	}

	printf("PING %s: %zu data bytes\n", p->p_dstname, p->p_datalen);
	fflush(stdout);
	next = now_ns();
	for (seq = 1; seq <= p->p_count; seq++) {
		wait_until(p, next, 0);
		pthread_mutex_lock(&p->p_lock);
		if (p->p_done) {
			pthread_mutex_unlock(&p->p_lock);
			break;
		}
		/* Set first: the reply may beat sock_sendmbuf's return. */
		p->p_seq = seq;
		pthread_mutex_unlock(&p->p_lock);
		error = ping_send(p, so, (uint16_t)seq, payload);
		pthread_mutex_lock(&p->p_lock);
		if (error == 0) {
			p->p_sent++;
		} else {
			p->p_seen[seq] = 1;	/* no reply may count */
		}
		pthread_mutex_unlock(&p->p_lock);
		if (error != 0) {
			if (send_errors++ < 5) {
				fprintf(stderr, "ping: sock_sendmbuf seq %lu: "
				    "%s\n", seq, strerror(error));
			}
		}
		next += (uint64_t)interval_ms * 1000000u;
	}
	/* The last replies: timeout_ms after the last request at most. */
	wait_until(p, now_ns() + (uint64_t)timeout_ms * 1000000u, 1);

	pthread_mutex_lock(&p->p_lock);
	p->p_done = 1;
	pthread_mutex_unlock(&p->p_lock);
	/* Off the loop thread, close waits for an upcall still running. */
	sock_close(so);
	so = NULL;

	print_summary(p, send_errors);
	if (p->p_error != 0) {
		fprintf(stderr, "ping: sock_receivembuf: %s\n",
		    strerror(p->p_error));
	}
	rc = p->p_error == 0 && send_errors == 0 &&
	    p->p_received == p->p_count ? 0 : 1;
out:
	sock_close(so);
	free(payload);
	free(p->p_in);
	free(p->p_seen);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mem", no_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned long interval_ms = 1000, timeout_ms = 2000;
	struct sockaddr_storage src, peer;
	struct responder r;
	struct ping p;
	socket_t rso = NULL;
	errno_t error;
	int ch, family = AF_INET, mem = 0, rc;

	memset(&p, 0, sizeof(p));
	memset(&r, 0, sizeof(r));
	p.p_count = 3;
	p.p_datalen = DATALEN_DEF;
	while ((ch = getopt_long(argc, argv, "6c:i:qs:W:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case '6':
			family = AF_INET6;
			break;
		case 'c':
			p.p_count = number(optarg, COUNT_MAX);
			if (p.p_count == 0) {
				usage();
			}
			break;
		case 'i':
			interval_ms = number(optarg, INTERVAL_MAX);
			break;
		case 'M':
			mem = 1;
			break;
		case 'q':
			p.p_quiet = 1;
			break;
		case 's':
			p.p_datalen = number(optarg, DATALEN_MAX);
			break;
		case 'W':
			timeout_ms = number(optarg, TIMEOUT_MAX);
			break;
		default:
			usage();
		}
	}
	if (argc - optind > 1 || (!mem && argc - optind != 1)) {
		usage();
	}
	p.p_family = family;
	p.p_ident = (uint16_t)(getpid() & 0xffff);
	if (optind < argc &&
	    parse_addr(family, argv[optind], &p.p_dst) != 0) {
		fprintf(stderr, "ping: %s: not an IPv%d address\n",
		    argv[optind], family == AF_INET ? 4 : 6);
		return 2;
	}
	pthread_mutex_init(&p.p_lock, NULL);
	pthread_mutex_init(&r.r_lock, NULL);
	if (cond_init_monotonic(&p.p_cv) != 0) {
		return fail("pthread_cond_init", ENOMEM);
	}

	if (mem) {
		rc = mem_setup(family, &r, &rso, &src, &peer);
		if (rc == 0 && optind == argc) {
			p.p_dst = peer;
		}
	} else if ((error = xkpi_init(NULL)) != 0) {
		/* The backend of XKPI_BACKEND, the interfaces of XKPI_IFACES. */
		rc = fail("xkpi_init", error);
	} else {
		rc = 0;
	}
	if (rc == 0) {
		addr_name(&p.p_dst, p.p_dstname, sizeof(p.p_dstname));
		rc = run(&p, interval_ms, timeout_ms, mem ? &src : NULL);
	}

	if (rso != NULL) {
		pthread_mutex_lock(&r.r_lock);
		r.r_done = 1;
		pthread_mutex_unlock(&r.r_lock);
		sock_close(rso);
		if (rc != 2) {
			printf("responder: answered %lu echo requests, "
			    "ignored %lu, %lu errors\n", r.r_answered,
			    r.r_ignored, r.r_errors);
		}
		if (r.r_errors != 0 && rc == 0) {
			rc = 1;
		}
	}
	if (rc != 2) {
		printf("counters:\n");
		(void)xkpi_stats(print_stat, NULL);
	}
	xkpi_shutdown();
	pthread_cond_destroy(&p.p_cv);
	pthread_mutex_destroy(&p.p_lock);
	pthread_mutex_destroy(&r.r_lock);
	return rc;
}
