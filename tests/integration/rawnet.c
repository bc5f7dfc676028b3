/*
 * rawnet: raw IPv4 and IPv6 sockets of the library against a real peer,
 * across a veth pair between two network namespaces (spec sections 4 and
 * 5).  tests/integration/rawnet.sh runs the modes; each mode is one side
 * of one exchange.
 *
 * In the library's namespace (XKPI_BACKEND, XKPI_IFACES set):
 *
 *	rawnet probe
 *	rawnet demux ADDR4 ADDR4B ADDR6 PEER4 PEER6 [SECONDS]
 *	rawnet emit ADDR4 PEER4 ADDR6 PEER6 COUNT
 *	rawnet watch6 ADDR6 PEER6 COUNT [SECONDS]
 *	rawnet ping6 ADDR6 PEER6 COUNT [SECONDS]
 *
 * In the peer's namespace, with the host's own sockets (no library):
 *
 *	rawnet send ADDR4 ADDR4B ADDR6 PEER4 PEER6
 *	rawnet sniff ADDR4 PEER4 ADDR6 PEER6 COUNT [SECONDS]
 *
 * demux opens one KPI raw socket per demux rule (the table `demux_socks`
 * below), prints "ready", counts what each socket receives until the
 * sender's end marker arrives, and compares every count with the one the
 * spec's rules give for the traffic of `send` (the table `sent` below).
 * emit sends COUNT packets of each of four kinds through the library and
 * sniff, on the peer, checks each of them as the peer's kernel sees it.
 * watch6 counts the echo requests a plain ping(8) on the peer sends to the
 * library's host; ping6 is a minimal ICMPv6 echo client over the library.
 * SECONDS bounds the wait for what a run expects (the end marker, the
 * packets, the replies); each run ends as soon as it has it.
 *
 * Every payload this program sends starts with a header of its own
 * (magic, kind, sequence number, length) followed by a pattern that
 * depends on the sequence number, so a receiver checks the bytes it got,
 * which packet they belong to and that it got each packet once.
 *
 * Exit status: 0 when everything matched, 1 when something did not, 2
 * for a usage or setup error, 77 when this build has no such backend.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sys/kpi_socket.h>
#include <xkpi.h>

#define EXIT_SKIP	77

#define PROTO_P		253	/* RFC 3692 experimentation */
/* Another unassigned number: 254 is divert, never a raw socket (proto.c). */
#define PROTO_Q		252
#define PROTO_END	251	/* the sender's end marker */

#define ECHO_ID		0x5852	/* our echo requests' identifier */
#define CLOSED_PORT	9	/* discard: nothing listens there */
#define PKT_MAX		2048
#define SEQ_MAX		256
#define RCVBUF		(256 * 1024)
#define DRAIN_MAX	4096	/* receives per upcall, a safety bound */
#define MAX_REPORTS	8	/* diagnostics per socket */

/*
 * The traffic of `rawnet send`, in the order it goes out.  Every IPv4
 * packet but TCP and UDP carries IP_DF in ip_off; every fifth packet of
 * kind K_P4A carries a 4-byte IP option, so its header is 24 bytes.
 */
#define N_P4A		40	/* proto P to ADDR4 */
#define N_P4B		25	/* proto P to ADDR4B */
#define N_Q4		15	/* proto Q to ADDR4 */
#define N_ICMP4		10	/* ICMP echo requests to ADDR4 */
#define N_TCP4		5	/* TCP connection attempts to ADDR4 */
#define N_UDP4		5	/* UDP datagrams to ADDR4 */
#define N_P6		30	/* proto P to ADDR6 */
#define N_Q6		12	/* proto Q to ADDR6 */
#define N_ICMP6		10	/* ICMPv6 echo requests to ADDR6 */
#define N_TCP6		5
#define N_UDP6		5
#define N_END		1	/* proto END to ADDR4, last */

/* Payload kinds. */
enum {
	K_P4A = 1, K_P4B, K_Q4, K_ICMP4, K_P6, K_Q6, K_ICMP6, K_END,
	K_EMIT_ICMP4, K_EMIT_P4, K_EMIT_ICMP6, K_EMIT_P6, K_PING6,
	K_NKINDS
};
#define KB(k)		(1u << (k))

/* Our payload header, network order, before the pattern. */
#define PL_MAGIC	"XKRN"
#define PL_HDR		10

/* Addresses given on the command line, and two nobody has. */
enum addr_ref {
	A_NONE = 0, A_ADDR4, A_ADDR4B, A_PEER4, A_OTHER4, A_ADDR6, A_PEER6,
	A_OTHER6, A_NREFS
};
#define OTHER4		"10.202.0.9"
#define OTHER6		"fd00:202::9"

static struct sockaddr_storage addrs[A_NREFS];

/* Socket flags. */
#define RS_STRIP	0x01	/* IP_STRIPHDR on */
#define RS_F6ECHO	0x02	/* ICMP6 filter: echo requests only */
#define RS_F6BLOCK	0x04	/* ICMP6 filter: block everything */
#define RS_F6REPLY	0x08	/* ICMP6 filter: echo replies only */
#define RS_END		0x10	/* its first packet ends the run */
#define RS_FOREIGN	0x20	/* payloads are not ours (ping(8)) */

struct rsock {
	const char	*rs_name;
	int		 rs_family;
	int		 rs_proto;
	enum addr_ref	 rs_bind;
	enum addr_ref	 rs_conn;
	int		 rs_flags;
	unsigned int	 rs_want;	/* datagrams expected */
	uint32_t	 rs_kinds;	/* payload kinds it may receive */
	/* Filled in at run time. */
	socket_t	 rs_so;
	unsigned int	 rs_count;
	unsigned int	 rs_bad;
	errno_t		 rs_error;
	uint8_t		 rs_seen[K_NKINDS][SEQ_MAX / 8];
};

/*
 * The demux matrix.  Counts follow from the spec's rules for the traffic
 * above (spec 4.2: protocol, then bound address, then connected peer;
 * protocol 0 matches every protocol delivered to raw sockets; TCP and UDP
 * are never delivered.  Spec 5: ICMPv6 only to ICMPv6 sockets, through
 * their filter; 0 matches any other next header).
 */
static struct rsock demux_socks[] = {
	{ .rs_name = "v4_p", .rs_family = AF_INET, .rs_proto = PROTO_P,
	  .rs_want = N_P4A + N_P4B, .rs_kinds = KB(K_P4A) | KB(K_P4B) },
	{ .rs_name = "v4_any", .rs_family = AF_INET, .rs_proto = 0,
	  .rs_want = N_P4A + N_P4B + N_Q4 + N_ICMP4 + N_END,
	  .rs_kinds = KB(K_P4A) | KB(K_P4B) | KB(K_Q4) | KB(K_ICMP4) |
	  KB(K_END) },
	{ .rs_name = "v4_q", .rs_family = AF_INET, .rs_proto = PROTO_Q,
	  .rs_want = N_Q4, .rs_kinds = KB(K_Q4) },
	{ .rs_name = "v4_bound_a", .rs_family = AF_INET, .rs_proto = PROTO_P,
	  .rs_bind = A_ADDR4, .rs_want = N_P4A, .rs_kinds = KB(K_P4A) },
	{ .rs_name = "v4_bound_b", .rs_family = AF_INET, .rs_proto = PROTO_P,
	  .rs_bind = A_ADDR4B, .rs_want = N_P4B, .rs_kinds = KB(K_P4B) },
	{ .rs_name = "v4_any_bound_b", .rs_family = AF_INET, .rs_proto = 0,
	  .rs_bind = A_ADDR4B, .rs_want = N_P4B, .rs_kinds = KB(K_P4B) },
	{ .rs_name = "v4_conn", .rs_family = AF_INET, .rs_proto = PROTO_P,
	  .rs_bind = A_ADDR4, .rs_conn = A_PEER4, .rs_want = N_P4A,
	  .rs_kinds = KB(K_P4A) },
	{ .rs_name = "v4_conn_other", .rs_family = AF_INET,
	  .rs_proto = PROTO_P, .rs_conn = A_OTHER4, .rs_want = 0 },
	{ .rs_name = "v4_strip", .rs_family = AF_INET, .rs_proto = PROTO_P,
	  .rs_flags = RS_STRIP, .rs_want = N_P4A + N_P4B,
	  .rs_kinds = KB(K_P4A) | KB(K_P4B) },
	{ .rs_name = "v4_icmp", .rs_family = AF_INET,
	  .rs_proto = IPPROTO_ICMP, .rs_want = N_ICMP4,
	  .rs_kinds = KB(K_ICMP4) },
	{ .rs_name = "v4_end", .rs_family = AF_INET, .rs_proto = PROTO_END,
	  .rs_flags = RS_END, .rs_want = N_END, .rs_kinds = KB(K_END) },
	{ .rs_name = "v6_p", .rs_family = AF_INET6, .rs_proto = PROTO_P,
	  .rs_want = N_P6, .rs_kinds = KB(K_P6) },
	{ .rs_name = "v6_any", .rs_family = AF_INET6, .rs_proto = 0,
	  .rs_want = N_P6 + N_Q6, .rs_kinds = KB(K_P6) | KB(K_Q6) },
	{ .rs_name = "v6_q", .rs_family = AF_INET6, .rs_proto = PROTO_Q,
	  .rs_want = N_Q6, .rs_kinds = KB(K_Q6) },
	{ .rs_name = "v6_bound", .rs_family = AF_INET6, .rs_proto = PROTO_P,
	  .rs_bind = A_ADDR6, .rs_want = N_P6, .rs_kinds = KB(K_P6) },
	{ .rs_name = "v6_conn", .rs_family = AF_INET6, .rs_proto = PROTO_P,
	  .rs_conn = A_PEER6, .rs_want = N_P6, .rs_kinds = KB(K_P6) },
	{ .rs_name = "v6_conn_other", .rs_family = AF_INET6,
	  .rs_proto = PROTO_P, .rs_conn = A_OTHER6, .rs_want = 0 },
	{ .rs_name = "v6_icmp_echo", .rs_family = AF_INET6,
	  .rs_proto = IPPROTO_ICMPV6, .rs_flags = RS_F6ECHO,
	  .rs_want = N_ICMP6, .rs_kinds = KB(K_ICMP6) },
	{ .rs_name = "v6_icmp_block", .rs_family = AF_INET6,
	  .rs_proto = IPPROTO_ICMPV6, .rs_flags = RS_F6BLOCK, .rs_want = 0 },
};
#define N_DEMUX	(sizeof(demux_socks) / sizeof(demux_socks[0]))

/* TCP and UDP the library saw and left to the host (ip.hostproto). */
#define WANT_HOSTPROTO	(N_TCP4 + N_UDP4 + N_TCP6 + N_UDP6)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;
static int run_done;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: rawnet probe\n"
	    "       rawnet demux ADDR4 ADDR4B ADDR6 PEER4 PEER6 [SECONDS]\n"
	    "       rawnet emit ADDR4 PEER4 ADDR6 PEER6 COUNT\n"
	    "       rawnet watch6 ADDR6 PEER6 COUNT [SECONDS]\n"
	    "       rawnet ping6 ADDR6 PEER6 COUNT [SECONDS]\n"
	    "       rawnet send ADDR4 ADDR4B ADDR6 PEER4 PEER6\n"
	    "       rawnet sniff ADDR4 PEER4 ADDR6 PEER6 COUNT [SECONDS]\n");
	exit(2);
}

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "rawnet: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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

static void
set_addr(enum addr_ref ref, const char *s)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&addrs[ref];
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&addrs[ref];

	memset(&addrs[ref], 0, sizeof(addrs[ref]));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
	} else if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
	} else {
		die("%s: not an address", s);
	}
}

static const struct in_addr *
in4(enum addr_ref ref)
{
	if (addrs[ref].ss_family != AF_INET) {
		die("address %d is not IPv4", (int)ref);
	}
	return &((const struct sockaddr_in *)&addrs[ref])->sin_addr;
}

static const struct in6_addr *
in6(enum addr_ref ref)
{
	if (addrs[ref].ss_family != AF_INET6) {
		die("address %d is not IPv6", (int)ref);
	}
	return &((const struct sockaddr_in6 *)&addrs[ref])->sin6_addr;
}

static socklen_t
sa_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
}

static void
sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
		continue;
	}
}

static void
deadline_in(struct timespec *ts, unsigned long ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static long
ms_left(const struct timespec *ts)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(ts->tv_sec - now.tv_sec) * 1000 +
	    (ts->tv_nsec - now.tv_nsec) / 1000000L;
}

/* The Internet checksum of @len bytes, continuing from @sum. */
static uint32_t
sum_add(uint32_t sum, const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	}
	if (i < len) {
		sum += (uint32_t)(b[i] << 8);
	}
	return sum;
}

static uint16_t
sum_fold(uint32_t sum)
{
	while (sum >> 16) {
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return htons((uint16_t)~sum);
}

static uint16_t
cksum(const void *p, size_t len)
{
	return sum_fold(sum_add(0, p, len));
}

/* The upper-layer checksum of an IPv6 packet, pseudo-header included. */
static uint16_t
cksum6(const struct in6_addr *src, const struct in6_addr *dst, uint8_t nxt,
    const void *p, size_t len)
{
	uint8_t ph[8] = { 0 };
	uint32_t sum;

	ph[0] = (uint8_t)(len >> 24);
	ph[1] = (uint8_t)(len >> 16);
	ph[2] = (uint8_t)(len >> 8);
	ph[3] = (uint8_t)len;
	ph[7] = nxt;
	sum = sum_add(0, src, 16);
	sum = sum_add(sum, dst, 16);
	sum = sum_add(sum, ph, sizeof(ph));
	return sum_fold(sum_add(sum, p, len));
}

static uint8_t
pattern(unsigned int seq, size_t i)
{
	return (uint8_t)(seq * 31 + i * 7 + 1);
}

/* A payload of @len bytes (at least PL_HDR) of @kind, number @seq. */
static void
pl_fill(uint8_t *p, size_t len, int kind, unsigned int seq)
{
	memcpy(p, PL_MAGIC, 4);
	p[4] = (uint8_t)kind;
	p[5] = 0;
	p[6] = (uint8_t)(seq >> 8);
	p[7] = (uint8_t)seq;
	p[8] = (uint8_t)(len >> 8);
	p[9] = (uint8_t)len;
	for (size_t i = PL_HDR; i < len; i++) {
		p[i] = pattern(seq, i);
	}
}

/* Payload lengths wander with the sequence number. */
static size_t
pl_len(unsigned int seq)
{
	return 16 + (seq * 13) % 90;
}

/* Checks a payload of ours; 0 and its kind and number, or -1. */
static int
pl_parse(const uint8_t *p, size_t len, int *kind, unsigned int *seq,
    const char **why)
{
	size_t want;

	if (len < PL_HDR || memcmp(p, PL_MAGIC, 4) != 0) {
		*why = "not our payload";
		return -1;
	}
	*kind = p[4];
	*seq = (unsigned int)(p[6] << 8 | p[7]);
	want = (size_t)(p[8] << 8 | p[9]);
	if (want != len) {
		*why = "payload length differs from what was sent";
		return -1;
	}
	if (*kind <= 0 || *kind >= K_NKINDS || *seq >= SEQ_MAX) {
		*why = "kind or number out of range";
		return -1;
	}
	for (size_t i = PL_HDR; i < len; i++) {
		if (p[i] != pattern(*seq, i)) {
			*why = "payload bytes differ";
			return -1;
		}
	}
	return 0;
}

static const char *
ntop(const void *addr, int family, char *buf, size_t cap)
{
	return inet_ntop(family, addr, buf, (socklen_t)cap) != NULL ? buf :
	    "?";
}

/* A datagram a socket should not have got: say why, for the first few. */
static void
rs_reject(struct rsock *rs, const char *why, size_t n)
{
	if (rs->rs_bad++ < MAX_REPORTS) {
		fprintf(stderr, "rawnet: %s: datagram %u (%zu bytes): %s\n",
		    rs->rs_name, rs->rs_count + rs->rs_bad, n, why);
	}
}

/*
 * Checks one datagram a library socket received from the peer.  IPv4
 * comes in the BSD form (spec 4.2) unless IP_STRIPHDR is on; IPv6 starts
 * after the IPv6 header (spec 5).  Called with the lock held.
 */
static void
rs_check_locked(struct rsock *rs, const uint8_t *buf, size_t n, int flags,
    const struct sockaddr_storage *from)
{
	const struct sockaddr_in *fsin = (const struct sockaddr_in *)from;
	const struct sockaddr_in6 *fsin6 = (const struct sockaddr_in6 *)from;
	const uint8_t *pl = buf;
	size_t plen = n, hlen;
	const char *why = NULL;
	unsigned int seq;
	struct ip ip;
	int kind;
	char a[INET6_ADDRSTRLEN], w[160];

	if ((flags & MSG_TRUNC) != 0) {
		rs_reject(rs, "truncated", n);
		return;
	}
	if (rs->rs_family == AF_INET) {
		if (fsin->sin_family != AF_INET || fsin->sin_port != 0 ||
		    fsin->sin_addr.s_addr != in4(A_PEER4)->s_addr) {
			snprintf(w, sizeof(w), "msg_name is family %d %s "
			    "port %u, not the peer", fsin->sin_family,
			    ntop(&fsin->sin_addr, AF_INET, a, sizeof(a)),
			    ntohs(fsin->sin_port));
			rs_reject(rs, w, n);
			return;
		}
	} else {
		if (fsin6->sin6_family != AF_INET6 ||
		    memcmp(&fsin6->sin6_addr, in6(A_PEER6), 16) != 0) {
			snprintf(w, sizeof(w), "msg_name is family %d %s, not "
			    "the peer", fsin6->sin6_family,
			    ntop(&fsin6->sin6_addr, AF_INET6, a, sizeof(a)));
			rs_reject(rs, w, n);
			return;
		}
	}
	if (rs->rs_family == AF_INET && (rs->rs_flags & RS_STRIP) == 0) {
		if (n < sizeof(ip)) {
			rs_reject(rs, "shorter than an IP header", n);
			return;
		}
		memcpy(&ip, buf, sizeof(ip));
		hlen = (size_t)ip.ip_hl << 2;
		if (ip.ip_v != 4 || hlen < sizeof(ip) || hlen > n) {
			rs_reject(rs, "bad version or header length", n);
			return;
		}
		/* ip_input's form: host order, header length subtracted. */
		if (ip.ip_len != n - hlen) {
			snprintf(w, sizeof(w), "ip_len %u (0x%04x), want %zu "
			    "in host order without the %zu-byte header",
			    ip.ip_len, ip.ip_len, n - hlen, hlen);
			rs_reject(rs, w, n);
			return;
		}
		if (ip.ip_off != IP_DF) {
			snprintf(w, sizeof(w), "ip_off 0x%04x, want 0x%04x "
			    "(IP_DF in host order)", ip.ip_off, IP_DF);
			rs_reject(rs, w, n);
			return;
		}
		if (ip.ip_src.s_addr != in4(A_PEER4)->s_addr) {
			rs_reject(rs, "ip_src is not the peer", n);
			return;
		}
		if (rs->rs_bind != A_NONE &&
		    ip.ip_dst.s_addr != in4(rs->rs_bind)->s_addr) {
			rs_reject(rs, "ip_dst is not the bound address", n);
			return;
		}
		pl = buf + hlen;
		plen = n - hlen;
		if (ip.ip_p == IPPROTO_ICMP) {
			if (plen < 8 || pl[0] != ICMP_ECHO ||
			    cksum(pl, plen) != 0) {
				rs_reject(rs, "not a sound echo request", n);
				return;
			}
			pl += 8;
			plen -= 8;
		}
	} else if (rs->rs_proto == IPPROTO_ICMPV6) {
		int type = (rs->rs_flags & RS_F6REPLY) != 0 ?
		    ICMP6_ECHO_REPLY : ICMP6_ECHO_REQUEST;

		if (plen < 8 || pl[0] != type || pl[1] != 0) {
			snprintf(w, sizeof(w), "ICMPv6 type %d code %d, want "
			    "%d", plen > 0 ? pl[0] : -1, plen > 1 ? pl[1] : -1,
			    type);
			rs_reject(rs, w, n);
			return;
		}
		if ((rs->rs_flags & RS_FOREIGN) == 0 &&
		    (pl[4] << 8 | pl[5]) != ECHO_ID) {
			rs_reject(rs, "not our echo identifier", n);
			return;
		}
		if (cksum6(in6(A_PEER6), in6(A_ADDR6), IPPROTO_ICMPV6, pl,
		    plen) != 0) {
			rs_reject(rs, "bad ICMPv6 checksum", n);
			return;
		}
		pl += 8;
		plen -= 8;
	}
	if ((rs->rs_flags & RS_FOREIGN) != 0) {
		rs->rs_count++;
		return;
	}
	if (pl_parse(pl, plen, &kind, &seq, &why) != 0) {
		rs_reject(rs, why, n);
		return;
	}
	if ((rs->rs_kinds & KB(kind)) == 0) {
		snprintf(w, sizeof(w), "a packet of kind %d, which the demux "
		    "rules keep from this socket", kind);
		rs_reject(rs, w, n);
		return;
	}
	if ((rs->rs_seen[kind][seq / 8] & (1u << (seq % 8))) != 0) {
		rs_reject(rs, "a second copy", n);
		return;
	}
	rs->rs_seen[kind][seq / 8] |= (uint8_t)(1u << (seq % 8));
	rs->rs_count++;
	if ((rs->rs_flags & RS_END) != 0) {
		run_done = 1;
		pthread_cond_broadcast(&cv);
	}
}

/* Receives everything queued on a socket, MSG_DONTWAIT. */
static void
rs_drain(struct rsock *rs)
{
	struct sockaddr_storage from;
	uint8_t buf[PKT_MAX];
	struct msghdr msg;
	struct iovec iov;
	size_t n;
	errno_t error;

	for (int i = 0; i < DRAIN_MAX; i++) {
		memset(&from, 0, sizeof(from));
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		n = 0;
		error = sock_receive(rs->rs_so, &msg, MSG_DONTWAIT, &n);
		if (error == EWOULDBLOCK) {
			break;
		}
		pthread_mutex_lock(&lock);
		if (error != 0) {
			if (rs->rs_error == 0) {
				rs->rs_error = error;
			}
		} else {
			rs_check_locked(rs, buf, n, msg.msg_flags, &from);
		}
		pthread_mutex_unlock(&lock);
		if (error != 0) {
			break;
		}
	}
}

/* The read upcall: only a hint, so drain until EWOULDBLOCK. */
static void
rs_upcall(socket_t so, void *cookie, int waitf)
{
	(void)so;
	(void)waitf;
	rs_drain(cookie);
}

static int
cond_init_monotonic(pthread_cond_t *c)
{
	pthread_condattr_t attr;
	int error;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	error = pthread_cond_init(c, &attr);
	pthread_condattr_destroy(&attr);
	return error;
}

/* Starts the library from the environment; exits 77 without the backend. */
static void
lib_start(void)
{
	const char *be = getenv("XKPI_BACKEND");
	errno_t error;

	if ((error = xkpi_init(NULL)) == ENOTSUP) {
		printf("rawnet: backend %s not built\n", be ? be : "(default)");
		exit(EXIT_SKIP);
	}
	if (error != 0) {
		die("xkpi_init (backend %s): %s", be ? be : "(default)",
		    strerror(error));
	}
}

static errno_t
icmp6_filter_set(socket_t so, int flags)
{
	struct icmp6_filter f;

	/* The host's macros: the library takes the host's polarity. */
	ICMP6_FILTER_SETBLOCKALL(&f);
	if ((flags & RS_F6ECHO) != 0) {
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REQUEST, &f);
	}
	if ((flags & RS_F6REPLY) != 0) {
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
	}
	return sock_setsockopt(so, IPPROTO_ICMPV6, ICMP6_FILTER, &f,
	    sizeof(f));
}

static void
rs_open(struct rsock *rs)
{
	int on = 1, rcvbuf = RCVBUF;
	errno_t error;

	error = sock_socket(rs->rs_family == AF_INET ? PF_INET : PF_INET6,
	    SOCK_RAW, rs->rs_proto, rs_upcall, rs, &rs->rs_so);
	if (error != 0) {
		die("%s: sock_socket: %s", rs->rs_name, strerror(error));
	}
	/* Room for bursts: the counts must not depend on timing. */
	error = sock_setsockopt(rs->rs_so, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
	    sizeof(rcvbuf));
	if (error != 0) {
		die("%s: SO_RCVBUF: %s", rs->rs_name, strerror(error));
	}
	if ((rs->rs_flags & RS_STRIP) != 0 && (error = sock_setsockopt(
	    rs->rs_so, IPPROTO_IP, IP_STRIPHDR, &on, sizeof(on))) != 0) {
		die("%s: IP_STRIPHDR: %s", rs->rs_name, strerror(error));
	}
	if ((rs->rs_flags & (RS_F6ECHO | RS_F6BLOCK | RS_F6REPLY)) != 0 &&
	    (error = icmp6_filter_set(rs->rs_so, rs->rs_flags)) != 0) {
		die("%s: ICMP6_FILTER: %s", rs->rs_name, strerror(error));
	}
	if (rs->rs_bind != A_NONE && (error = sock_bind(rs->rs_so,
	    (struct sockaddr *)&addrs[rs->rs_bind])) != 0) {
		die("%s: sock_bind: %s", rs->rs_name, strerror(error));
	}
	if (rs->rs_conn != A_NONE && (error = sock_connect(rs->rs_so,
	    (struct sockaddr *)&addrs[rs->rs_conn], 0)) != 0) {
		die("%s: sock_connect: %s", rs->rs_name, strerror(error));
	}
}

struct stat_ctx {
	uint64_t	sc_hostproto;
};

static void
stat_print(const char *name, uint64_t value, void *ctx)
{
	struct stat_ctx *sc = ctx;

	if (strcmp(name, "ip.hostproto") == 0) {
		sc->sc_hostproto = value;
	}
	if (value != 0) {
		printf("stat %s %llu\n", name, (unsigned long long)value);
	}
}

/* Waits until the run is done or @ms have passed; 1 if done. */
static int
wait_done(unsigned long ms)
{
	struct timespec deadline;
	int done;

	deadline_in(&deadline, ms);
	pthread_mutex_lock(&lock);
	while (!run_done) {
		if (pthread_cond_timedwait(&cv, &lock, &deadline) ==
		    ETIMEDOUT) {
			break;
		}
	}
	done = run_done;
	pthread_mutex_unlock(&lock);
	return done;
}

/* Prints "NAME COUNT" per socket and compares; 0 when all match. */
static int
rs_report(struct rsock *socks, size_t n)
{
	int failed = 0;

	for (size_t i = 0; i < n; i++) {
		struct rsock *rs = &socks[i];

		printf("%s %u\n", rs->rs_name, rs->rs_count);
		if (rs->rs_count != rs->rs_want || rs->rs_bad != 0 ||
		    rs->rs_error != 0) {
			fprintf(stderr, "rawnet: %s: %u datagrams, want %u; "
			    "%u refused by the checks%s%s\n", rs->rs_name,
			    rs->rs_count, rs->rs_want, rs->rs_bad,
			    rs->rs_error != 0 ? "; receive error: " : "",
			    rs->rs_error != 0 ? strerror(rs->rs_error) : "");
			failed = 1;
		}
	}
	return failed;
}

static int
run_demux(int argc, char **argv)
{
	struct stat_ctx sc = { 0 };
	unsigned long seconds = 30;
	int failed, done;

	if (argc != 5 && argc != 6) {
		usage();
	}
	set_addr(A_ADDR4, argv[0]);
	set_addr(A_ADDR4B, argv[1]);
	set_addr(A_ADDR6, argv[2]);
	set_addr(A_PEER4, argv[3]);
	set_addr(A_PEER6, argv[4]);
	set_addr(A_OTHER4, OTHER4);
	set_addr(A_OTHER6, OTHER6);
	if (argc == 6) {
		seconds = number(argv[5], 3600);
	}
	(void)in4(A_ADDR4);
	(void)in4(A_ADDR4B);
	(void)in6(A_ADDR6);
	(void)in4(A_PEER4);
	(void)in6(A_PEER6);

	lib_start();
	for (size_t i = 0; i < N_DEMUX; i++) {
		rs_open(&demux_socks[i]);
	}
	printf("ready\n");
	fflush(stdout);

	done = wait_done(seconds * 1000);
	if (!done) {
		fprintf(stderr, "rawnet: no end marker within %lu s\n",
		    seconds);
	}
	/* Let the loop finish what came with the marker, then drain. */
	sleep_ms(300);
	for (size_t i = 0; i < N_DEMUX; i++) {
		rs_drain(&demux_socks[i]);
	}
	for (size_t i = 0; i < N_DEMUX; i++) {
		sock_close(demux_socks[i].rs_so);
	}
	pthread_mutex_lock(&lock);
	failed = rs_report(demux_socks, N_DEMUX);
	pthread_mutex_unlock(&lock);

	xkpi_stats(stat_print, &sc);
	if (sc.sc_hostproto != WANT_HOSTPROTO) {
		fprintf(stderr, "rawnet: ip.hostproto %llu, want %d (the "
		    "peer's TCP and UDP)\n",
		    (unsigned long long)sc.sc_hostproto, WANT_HOSTPROTO);
		failed = 1;
	}
	xkpi_shutdown();
	printf("demux %s\n", failed ? "FAILED" : "ok");
	return failed;
}

/* watch6: the echo requests a ping(8) on the peer sends us. */
static int
run_watch6(int argc, char **argv)
{
	struct rsock rs = {
		.rs_name = "v6_icmp_echo", .rs_family = AF_INET6,
		.rs_proto = IPPROTO_ICMPV6, .rs_flags = RS_F6ECHO | RS_FOREIGN,
	};
	struct timespec deadline;
	unsigned long seconds = 20;
	int failed, got;

	if (argc != 3 && argc != 4) {
		usage();
	}
	set_addr(A_ADDR6, argv[0]);
	set_addr(A_PEER6, argv[1]);
	(void)in6(A_ADDR6);
	(void)in6(A_PEER6);
	rs.rs_want = (unsigned int)number(argv[2], SEQ_MAX);
	if (argc == 4) {
		seconds = number(argv[3], 3600);
	}
	lib_start();
	rs_open(&rs);
	printf("ready\n");
	fflush(stdout);
	deadline_in(&deadline, seconds * 1000);
	do {
		sleep_ms(20);
		pthread_mutex_lock(&lock);
		got = rs.rs_count + rs.rs_bad >= rs.rs_want;
		pthread_mutex_unlock(&lock);
	} while (!got && ms_left(&deadline) > 0);
	/* A copy too many would show now. */
	sleep_ms(300);
	rs_drain(&rs);
	sock_close(rs.rs_so);
	pthread_mutex_lock(&lock);
	failed = rs_report(&rs, 1);
	pthread_mutex_unlock(&lock);
	xkpi_stats(stat_print, &(struct stat_ctx){ 0 });
	xkpi_shutdown();
	return failed;
}

/* Sends @len bytes to @dst through a library socket. */
static int
kpi_send(socket_t so, const struct sockaddr_storage *dst, const void *p,
    size_t len, const char *what)
{
	struct iovec iov = { (void *)(uintptr_t)p, len };
	struct msghdr msg;
	size_t sent = 0;
	errno_t error;

	memset(&msg, 0, sizeof(msg));
	msg.msg_name = (void *)(uintptr_t)dst;
	msg.msg_namelen = sa_len(dst);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	error = sock_send(so, &msg, 0, &sent);
	if (error != 0 || sent != len) {
		fprintf(stderr, "rawnet: %s: sock_send: %s (%zu of %zu "
		    "bytes)\n", what, strerror(error), sent, len);
		return 1;
	}
	return 0;
}

static socket_t
kpi_raw(int family, int proto, sock_upcall cb, void *ctx)
{
	socket_t so = NULL;
	errno_t error;

	error = sock_socket(family == AF_INET ? PF_INET : PF_INET6, SOCK_RAW,
	    proto, cb, ctx, &so);
	if (error != 0) {
		die("sock_socket(%d, SOCK_RAW, %d): %s", family, proto,
		    strerror(error));
	}
	return so;
}

/* An echo request of ours: ICMP or ICMPv6 header, then our payload. */
static size_t
echo_build(uint8_t *buf, int type, int kind, unsigned int seq)
{
	size_t plen = pl_len(seq);

	memset(buf, 0, 8);
	buf[0] = (uint8_t)type;
	buf[4] = ECHO_ID >> 8;
	buf[5] = ECHO_ID & 0xff;
	buf[6] = (uint8_t)(seq >> 8);
	buf[7] = (uint8_t)seq;
	pl_fill(buf + 8, plen, kind, seq);
	return 8 + plen;
}

/* ping6: COUNT echo requests through the library, every reply back. */
static int
run_ping6(int argc, char **argv)
{
	struct rsock rs = {
		.rs_name = "ping6_replies", .rs_family = AF_INET6,
		.rs_proto = IPPROTO_ICMPV6, .rs_flags = RS_F6REPLY,
		.rs_kinds = KB(K_PING6),
	};
	struct timespec deadline;
	uint8_t buf[PKT_MAX];
	unsigned long seconds = 20;
	unsigned int count;
	int failed = 0, got;

	if (argc != 3 && argc != 4) {
		usage();
	}
	if (argc == 4) {
		seconds = number(argv[3], 3600);
	}
	set_addr(A_ADDR6, argv[0]);
	set_addr(A_PEER6, argv[1]);
	(void)in6(A_ADDR6);
	(void)in6(A_PEER6);
	count = (unsigned int)number(argv[2], SEQ_MAX);
	rs.rs_want = count;
	lib_start();
	rs_open(&rs);
	for (unsigned int i = 0; i < count && !failed; i++) {
		/* The library computes the ICMPv6 checksum (offset 2). */
		failed = kpi_send(rs.rs_so, &addrs[A_PEER6], buf,
		    echo_build(buf, ICMP6_ECHO_REQUEST, K_PING6, i),
		    "echo request");
		sleep_ms(100);
	}
	deadline_in(&deadline, seconds * 1000);
	do {
		pthread_mutex_lock(&lock);
		got = rs.rs_count + rs.rs_bad >= count;
		pthread_mutex_unlock(&lock);
		if (!got) {
			sleep_ms(20);
		}
	} while (!got && ms_left(&deadline) > 0);
	sleep_ms(200);
	rs_drain(&rs);
	sock_close(rs.rs_so);
	pthread_mutex_lock(&lock);
	failed |= rs_report(&rs, 1);
	pthread_mutex_unlock(&lock);
	printf("%u requests, %u replies\n", count, rs.rs_count);
	xkpi_stats(stat_print, &(struct stat_ctx){ 0 });
	xkpi_shutdown();
	return failed;
}

/*
 * emit: COUNT packets of each kind through the library.  IPv4 with
 * IP_HDRINCL takes ip_len and ip_off in host order (spec 4.3); odd
 * numbers carry their own id and source, even ones leave both 0 for the
 * library to fill.  ICMP checksums are ours, ICMPv6 ones the library's.
 */
static int
run_emit(int argc, char **argv)
{
	socket_t s_icmp, s_p4, s_icmp6, s_p6;
	uint8_t buf[PKT_MAX];
	struct ip *ip = (struct ip *)buf;
	unsigned int count;
	size_t len, plen;
	int on = 1, failed = 0;
	errno_t error;

	if (argc != 5) {
		usage();
	}
	set_addr(A_ADDR4, argv[0]);
	set_addr(A_PEER4, argv[1]);
	set_addr(A_ADDR6, argv[2]);
	set_addr(A_PEER6, argv[3]);
	(void)in4(A_ADDR4);
	(void)in4(A_PEER4);
	(void)in6(A_ADDR6);
	(void)in6(A_PEER6);
	count = (unsigned int)number(argv[4], SEQ_MAX);

	lib_start();
	s_icmp = kpi_raw(AF_INET, IPPROTO_ICMP, NULL, NULL);
	s_p4 = kpi_raw(AF_INET, PROTO_P, NULL, NULL);
	if ((error = sock_setsockopt(s_p4, IPPROTO_IP, IP_HDRINCL, &on,
	    sizeof(on))) != 0) {
		die("IP_HDRINCL: %s", strerror(error));
	}
	s_icmp6 = kpi_raw(AF_INET6, IPPROTO_ICMPV6, NULL, NULL);
	/* The replies are not ours to read: keep them out of the buffer. */
	if ((error = icmp6_filter_set(s_icmp6, RS_F6BLOCK)) != 0) {
		die("ICMP6_FILTER: %s", strerror(error));
	}
	s_p6 = kpi_raw(AF_INET6, PROTO_P, NULL, NULL);

	for (unsigned int i = 0; i < count && !failed; i++) {
		len = echo_build(buf, ICMP_ECHO, K_EMIT_ICMP4, i);
		memcpy(buf + 2, &(uint16_t){ cksum(buf, len) }, 2);
		failed |= kpi_send(s_icmp, &addrs[A_PEER4], buf, len,
		    "ICMP echo request");

		plen = pl_len(i);
		memset(ip, 0, sizeof(*ip));
		ip->ip_v = 4;
		ip->ip_hl = sizeof(*ip) >> 2;
		/* ip_len and ip_off in host order. */
		ip->ip_len = (uint16_t)(sizeof(*ip) + plen);
		ip->ip_off = IP_DF;
		ip->ip_id = (i % 2) != 0 ? htons((uint16_t)(0x1000 + i)) : 0;
		ip->ip_ttl = 64;
		ip->ip_p = PROTO_P;
		if ((i % 2) != 0) {
			ip->ip_src = *in4(A_ADDR4);
		}
		ip->ip_dst = *in4(A_PEER4);
		pl_fill(buf + sizeof(*ip), plen, K_EMIT_P4, i);
		failed |= kpi_send(s_p4, &addrs[A_PEER4], buf,
		    sizeof(*ip) + plen, "IP_HDRINCL packet");

		failed |= kpi_send(s_icmp6, &addrs[A_PEER6], buf,
		    echo_build(buf, ICMP6_ECHO_REQUEST, K_EMIT_ICMP6, i),
		    "ICMPv6 echo request");

		plen = pl_len(i);
		pl_fill(buf, plen, K_EMIT_P6, i);
		failed |= kpi_send(s_p6, &addrs[A_PEER6], buf, plen,
		    "IPv6 packet");
		/* A bounded rate: the peer's sockets must not overflow. */
		if (i % 10 == 9) {
			sleep_ms(10);
		}
	}
	sock_close(s_icmp);
	sock_close(s_p4);
	sock_close(s_icmp6);
	sock_close(s_p6);
	printf("emitted %u of each kind%s\n", count,
	    failed ? ", with errors" : "");
	xkpi_stats(stat_print, &(struct stat_ctx){ 0 });
	xkpi_shutdown();
	return failed;
}

/*
 * The peer's side, with the host's sockets only.
 */

struct sender {
	int	sd_r4;		/* IPPROTO_RAW: the header is ours */
	int	sd_r6p, sd_r6q, sd_r6i;
	unsigned int sd_sent;
	int	sd_failed;
};

/*
 * Ten packets, then a pause: XK_RAWNET_PACE_MS long (5 ms by default).
 * rawnet.sh lengthens it when the receiver runs under a wrapper
 * (valgrind), whose first packets take far longer than a burst lasts:
 * libpcap's immediate mode has only a few dozen ring frames.
 */
static void
pace(struct sender *sd)
{
	static int pace_ms = -1;
	const char *env;

	if (pace_ms < 0) {
		env = getenv("XK_RAWNET_PACE_MS");
		pace_ms = env != NULL && *env != '\0' ? atoi(env) : 5;
	}
	if (++sd->sd_sent % 10 == 0) {
		sleep_ms(pace_ms);
	}
}

static void
send_check(struct sender *sd, ssize_t r, size_t len, const char *what)
{
	if (r < 0 || (size_t)r != len) {
		fprintf(stderr, "rawnet: send %s: %s\n", what,
		    r < 0 ? strerror(errno) : "short");
		sd->sd_failed = 1;
	}
	pace(sd);
}

/* One IPv4 packet from the peer, the whole header built here. */
static void
send4(struct sender *sd, enum addr_ref dst, int proto, int kind,
    unsigned int seq, int with_opt)
{
	static const uint8_t opt[4] = { IPOPT_NOP, IPOPT_NOP, IPOPT_NOP,
	    IPOPT_EOL };
	uint8_t buf[PKT_MAX];
	struct ip *ip = (struct ip *)buf;
	size_t hlen = sizeof(*ip) + (with_opt ? sizeof(opt) : 0), len;

	memset(ip, 0, sizeof(*ip));
	if (with_opt) {
		memcpy(buf + sizeof(*ip), opt, sizeof(opt));
	}
	if (proto == IPPROTO_ICMP) {
		len = echo_build(buf + hlen, ICMP_ECHO, kind, seq);
		memcpy(buf + hlen + 2, &(uint16_t){ cksum(buf + hlen, len) },
		    2);
	} else {
		len = pl_len(seq);
		pl_fill(buf + hlen, len, kind, seq);
	}
	len += hlen;
	ip->ip_v = 4;
	ip->ip_hl = (unsigned int)(hlen >> 2);
	ip->ip_len = htons((uint16_t)len);
	ip->ip_id = htons((uint16_t)(kind * 1000 + seq + 1));
	ip->ip_off = htons(IP_DF);
	ip->ip_ttl = 64;
	ip->ip_p = (uint8_t)proto;
	ip->ip_src = *in4(A_PEER4);
	ip->ip_dst = *in4(dst);
	ip->ip_sum = cksum(buf, hlen);
	send_check(sd, sendto(sd->sd_r4, buf, len, 0,
	    (struct sockaddr *)&addrs[dst], sizeof(struct sockaddr_in)), len,
	    "IPv4 raw");
}

static void
send6(struct sender *sd, int fd, int kind, unsigned int seq)
{
	uint8_t buf[PKT_MAX];
	size_t len;

	if (kind == K_ICMP6) {
		/* The kernel computes the ICMPv6 checksum. */
		len = echo_build(buf, ICMP6_ECHO_REQUEST, kind, seq);
	} else {
		len = pl_len(seq);
		pl_fill(buf, len, kind, seq);
	}
	send_check(sd, sendto(fd, buf, len, 0, (struct sockaddr *)&addrs[
	    A_ADDR6], sizeof(struct sockaddr_in6)), len, "IPv6 raw");
}

/* TCP to a closed port: a SYN in, a reset out.  Connection refused. */
static void
send_tcp(struct sender *sd, enum addr_ref dst)
{
	struct sockaddr_storage ss = addrs[dst];
	struct timeval tv = { 2, 0 };
	int fd;

	((struct sockaddr_in *)&ss)->sin_port = htons(CLOSED_PORT);
	if (ss.ss_family == AF_INET6) {
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(CLOSED_PORT);
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM, 0)) < 0) {
		die("socket: %s", strerror(errno));
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&ss, sa_len(&ss)) == 0 ||
	    errno != ECONNREFUSED) {
		fprintf(stderr, "rawnet: TCP connect to a closed port: %s\n",
		    strerror(errno));
		sd->sd_failed = 1;
	}
	close(fd);
	pace(sd);
}

static void
send_udp(struct sender *sd, enum addr_ref dst, unsigned int seq)
{
	struct sockaddr_storage ss = addrs[dst];
	uint8_t buf[PKT_MAX];
	size_t len = pl_len(seq);
	int fd;

	((struct sockaddr_in *)&ss)->sin_port = htons(CLOSED_PORT);
	if (ss.ss_family == AF_INET6) {
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(CLOSED_PORT);
	}
	if ((fd = socket(ss.ss_family, SOCK_DGRAM, 0)) < 0) {
		die("socket: %s", strerror(errno));
	}
	pl_fill(buf, len, K_NKINDS - 1, seq);
	send_check(sd, sendto(fd, buf, len, 0, (struct sockaddr *)&ss,
	    sa_len(&ss)), len, "UDP");
	close(fd);
}

static int
raw_fd(int family, int proto)
{
	int fd;

	if ((fd = socket(family, SOCK_RAW, proto)) < 0) {
		die("socket(%d, SOCK_RAW, %d): %s", family, proto,
		    strerror(errno));
	}
	return fd;
}

/* send: the traffic the demux table counts, in its documented order. */
static int
run_send(int argc, char **argv)
{
	struct sender sd = { 0 };
	unsigned int i;

	if (argc != 5) {
		usage();
	}
	set_addr(A_ADDR4, argv[0]);
	set_addr(A_ADDR4B, argv[1]);
	set_addr(A_ADDR6, argv[2]);
	set_addr(A_PEER4, argv[3]);
	set_addr(A_PEER6, argv[4]);
	sd.sd_r4 = raw_fd(AF_INET, IPPROTO_RAW);
	sd.sd_r6p = raw_fd(AF_INET6, PROTO_P);
	sd.sd_r6q = raw_fd(AF_INET6, PROTO_Q);
	sd.sd_r6i = raw_fd(AF_INET6, IPPROTO_ICMPV6);

	for (i = 0; i < N_P4A; i++) {
		send4(&sd, A_ADDR4, PROTO_P, K_P4A, i, i % 5 == 4);
	}
	for (i = 0; i < N_P4B; i++) {
		send4(&sd, A_ADDR4B, PROTO_P, K_P4B, i, 0);
	}
	for (i = 0; i < N_Q4; i++) {
		send4(&sd, A_ADDR4, PROTO_Q, K_Q4, i, 0);
	}
	for (i = 0; i < N_ICMP4; i++) {
		send4(&sd, A_ADDR4, IPPROTO_ICMP, K_ICMP4, i, 0);
	}
	for (i = 0; i < N_TCP4; i++) {
		send_tcp(&sd, A_ADDR4);
	}
	for (i = 0; i < N_UDP4; i++) {
		send_udp(&sd, A_ADDR4, i);
	}
	for (i = 0; i < N_P6; i++) {
		send6(&sd, sd.sd_r6p, K_P6, i);
	}
	for (i = 0; i < N_Q6; i++) {
		send6(&sd, sd.sd_r6q, K_Q6, i);
	}
	for (i = 0; i < N_ICMP6; i++) {
		send6(&sd, sd.sd_r6i, K_ICMP6, i);
	}
	for (i = 0; i < N_TCP6; i++) {
		send_tcp(&sd, A_ADDR6);
	}
	for (i = 0; i < N_UDP6; i++) {
		send_udp(&sd, A_ADDR6, i);
	}
	/* The marker goes last, after a pause: it ends the count. */
	sleep_ms(200);
	send4(&sd, A_ADDR4, PROTO_END, K_END, 0, 0);
	close(sd.sd_r4);
	close(sd.sd_r6p);
	close(sd.sd_r6q);
	close(sd.sd_r6i);
	printf("sent %u packets: IPv4 P %d to A, %d to B, Q %d, ICMP %d, "
	    "TCP %d, UDP %d; IPv6 P %d, Q %d, ICMPv6 %d, TCP %d, UDP %d; "
	    "end %d\n", sd.sd_sent, N_P4A, N_P4B, N_Q4, N_ICMP4, N_TCP4,
	    N_UDP4, N_P6, N_Q6, N_ICMP6, N_TCP6, N_UDP6, N_END);
	return sd.sd_failed;
}

/*
 * sniff: what the peer's kernel makes of the packets emit sends.  The
 * kernel checks IPv4 header checksums before raw delivery and ICMPv6
 * checksums on raw ICMPv6 sockets (a bad one is never delivered, so it
 * shows as a missing packet); ICMP checksums reach us unchecked.  All
 * are checked again here.
 */
struct sniffer {
	const char	*sn_name;
	int		 sn_family;
	int		 sn_proto;
	int		 sn_kind;
	int		 sn_fd;
	unsigned int	 sn_count;
	unsigned int	 sn_bad;
	unsigned int	 sn_other;	/* not ours: another sender's */
	uint8_t		 sn_seen[SEQ_MAX / 8];
};

static void
sn_reject(struct sniffer *sn, unsigned int seq, const char *why)
{
	if (sn->sn_bad++ < MAX_REPORTS) {
		fprintf(stderr, "rawnet: sniff %s: packet %u: %s\n",
		    sn->sn_name, seq, why);
	}
}

static void
sn_check4(struct sniffer *sn, const uint8_t *buf, size_t n)
{
	const uint8_t *pl;
	const char *why;
	unsigned int seq;
	struct ip ip;
	size_t hlen, plen;
	int kind;
	char w[160];

	if (n < sizeof(ip)) {
		sn->sn_other++;
		return;
	}
	memcpy(&ip, buf, sizeof(ip));
	hlen = (size_t)ip.ip_hl << 2;
	if (ip.ip_v != 4 || hlen < sizeof(ip) || hlen > n) {
		sn->sn_other++;
		return;
	}
	pl = buf + hlen;
	plen = n - hlen;
	if (sn->sn_proto == IPPROTO_ICMP) {
		/* Only our echo requests; the rest is someone else's. */
		if (plen < 8 || pl[0] != ICMP_ECHO ||
		    (pl[4] << 8 | pl[5]) != ECHO_ID) {
			sn->sn_other++;
			return;
		}
		pl += 8;
		plen -= 8;
	}
	if (pl_parse(pl, plen, &kind, &seq, &why) != 0 ||
	    kind != sn->sn_kind) {
		sn->sn_other++;
		return;
	}
	if (ip.ip_src.s_addr != in4(A_ADDR4)->s_addr ||
	    ip.ip_dst.s_addr != in4(A_PEER4)->s_addr) {
		sn_reject(sn, seq, "addresses are not the library's and ours");
		return;
	}
	if (cksum(buf, hlen) != 0) {
		sn_reject(sn, seq, "bad IPv4 header checksum");
		return;
	}
	if (ntohs(ip.ip_len) != n) {
		snprintf(w, sizeof(w), "ip_len %u on the wire, %zu bytes "
		    "arrived", ntohs(ip.ip_len), n);
		sn_reject(sn, seq, w);
		return;
	}
	if (sn->sn_proto == IPPROTO_ICMP && cksum(buf + hlen, n - hlen) != 0) {
		sn_reject(sn, seq, "bad ICMP checksum");
		return;
	}
	if (sn->sn_proto == PROTO_P) {
		/* IP_HDRINCL: the fields the sender gave, in network order. */
		if (ntohs(ip.ip_off) != IP_DF) {
			snprintf(w, sizeof(w), "ip_off 0x%04x on the wire, "
			    "want IP_DF", ntohs(ip.ip_off));
			sn_reject(sn, seq, w);
			return;
		}
		if ((seq % 2) != 0 ? ntohs(ip.ip_id) != 0x1000 + seq :
		    ip.ip_id == 0) {
			snprintf(w, sizeof(w), "ip_id 0x%04x", ntohs(ip.ip_id));
			sn_reject(sn, seq, w);
			return;
		}
		if (ip.ip_ttl != 64) {
			sn_reject(sn, seq, "ip_ttl is not the sender's 64");
			return;
		}
	}
	if ((sn->sn_seen[seq / 8] & (1u << (seq % 8))) != 0) {
		sn_reject(sn, seq, "a second copy");
		return;
	}
	sn->sn_seen[seq / 8] |= (uint8_t)(1u << (seq % 8));
	sn->sn_count++;
}

static void
sn_check6(struct sniffer *sn, const uint8_t *buf, size_t n,
    const struct sockaddr_in6 *from, const struct in6_addr *dst)
{
	const uint8_t *pl = buf;
	const char *why;
	unsigned int seq;
	size_t plen = n;
	int kind;

	if (sn->sn_proto == IPPROTO_ICMPV6) {
		if (plen < 8 || pl[0] != ICMP6_ECHO_REQUEST ||
		    (pl[4] << 8 | pl[5]) != ECHO_ID) {
			sn->sn_other++;
			return;
		}
		pl += 8;
		plen -= 8;
	}
	if (pl_parse(pl, plen, &kind, &seq, &why) != 0 ||
	    kind != sn->sn_kind) {
		sn->sn_other++;
		return;
	}
	if (memcmp(&from->sin6_addr, in6(A_ADDR6), 16) != 0 ||
	    dst == NULL || memcmp(dst, in6(A_PEER6), 16) != 0) {
		sn_reject(sn, seq, "addresses are not the library's and ours");
		return;
	}
	if (sn->sn_proto == IPPROTO_ICMPV6 &&
	    cksum6(&from->sin6_addr, dst, IPPROTO_ICMPV6, buf, n) != 0) {
		sn_reject(sn, seq, "bad ICMPv6 checksum");
		return;
	}
	if ((sn->sn_seen[seq / 8] & (1u << (seq % 8))) != 0) {
		sn_reject(sn, seq, "a second copy");
		return;
	}
	sn->sn_seen[seq / 8] |= (uint8_t)(1u << (seq % 8));
	sn->sn_count++;
}

static void
sn_read(struct sniffer *sn)
{
	uint8_t buf[PKT_MAX];
	union {
		struct cmsghdr	align;
		uint8_t		buf[CMSG_SPACE(
		    sizeof(struct in6_pktinfo))];
	} cbuf;
	struct sockaddr_in6 from;
	const struct in6_addr *dst;
	struct cmsghdr *cm;
	struct msghdr msg;
	struct iovec iov = { buf, sizeof(buf) };
	ssize_t n;

	for (;;) {
		memset(&msg, 0, sizeof(msg));
		memset(&from, 0, sizeof(from));
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = sizeof(cbuf.buf);
		n = recvmsg(sn->sn_fd, &msg, MSG_DONTWAIT);
		if (n < 0) {
			return;
		}
		if (sn->sn_family == AF_INET) {
			sn_check4(sn, buf, (size_t)n);
			continue;
		}
		dst = NULL;
		for (cm = CMSG_FIRSTHDR(&msg); cm != NULL;
		    cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level == IPPROTO_IPV6 &&
			    cm->cmsg_type == IPV6_PKTINFO) {
				dst = &((struct in6_pktinfo *)(void *)
				    CMSG_DATA(cm))->ipi6_addr;
			}
		}
		sn_check6(sn, buf, (size_t)n, &from, dst);
	}
}

static int
run_sniff(int argc, char **argv)
{
	struct sniffer sn[] = {
		{ "ip_p253", AF_INET, PROTO_P, K_EMIT_P4, -1, 0, 0, 0, {0} },
		{ "ip_icmp", AF_INET, IPPROTO_ICMP, K_EMIT_ICMP4, -1, 0, 0, 0,
		  {0} },
		{ "ip6_p253", AF_INET6, PROTO_P, K_EMIT_P6, -1, 0, 0, 0, {0} },
		{ "ip6_icmp6", AF_INET6, IPPROTO_ICMPV6, K_EMIT_ICMP6, -1, 0, 0,
		  0, {0} },
	};
	const size_t nsn = sizeof(sn) / sizeof(sn[0]);
	struct pollfd pfd[sizeof(sn) / sizeof(sn[0])];
	struct timespec deadline;
	struct icmp6_filter f;
	unsigned long seconds = 20;
	unsigned int count;
	int on = 1, failed = 0, all;

	if (argc != 5 && argc != 6) {
		usage();
	}
	set_addr(A_ADDR4, argv[0]);
	set_addr(A_PEER4, argv[1]);
	set_addr(A_ADDR6, argv[2]);
	set_addr(A_PEER6, argv[3]);
	(void)in4(A_ADDR4);
	(void)in4(A_PEER4);
	(void)in6(A_ADDR6);
	(void)in6(A_PEER6);
	count = (unsigned int)number(argv[4], SEQ_MAX);
	if (argc == 6) {
		seconds = number(argv[5], 3600);
	}
	for (size_t i = 0; i < nsn; i++) {
		sn[i].sn_fd = raw_fd(sn[i].sn_family, sn[i].sn_proto);
		if (sn[i].sn_family == AF_INET6 && setsockopt(sn[i].sn_fd,
		    IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) != 0) {
			die("IPV6_RECVPKTINFO: %s", strerror(errno));
		}
		pfd[i].fd = sn[i].sn_fd;
		pfd[i].events = POLLIN;
	}
	ICMP6_FILTER_SETBLOCKALL(&f);
	ICMP6_FILTER_SETPASS(ICMP6_ECHO_REQUEST, &f);
	if (setsockopt(sn[3].sn_fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f,
	    sizeof(f)) != 0) {
		die("ICMP6_FILTER: %s", strerror(errno));
	}
	printf("ready\n");
	fflush(stdout);

	deadline_in(&deadline, seconds * 1000);
	for (;;) {
		all = 1;
		for (size_t i = 0; i < nsn; i++) {
			all &= sn[i].sn_count + sn[i].sn_bad >= count;
		}
		if (all || ms_left(&deadline) <= 0) {
			break;
		}
		if (poll(pfd, nsn, 100) > 0) {
			for (size_t i = 0; i < nsn; i++) {
				sn_read(&sn[i]);
			}
		}
	}
	/* A copy too many would arrive now. */
	sleep_ms(300);
	for (size_t i = 0; i < nsn; i++) {
		sn_read(&sn[i]);
		close(sn[i].sn_fd);
		printf("%s %u (other %u)\n", sn[i].sn_name, sn[i].sn_count,
		    sn[i].sn_other);
		if (sn[i].sn_count != count || sn[i].sn_bad != 0) {
			fprintf(stderr, "rawnet: sniff %s: %u sound packets, "
			    "want %u; %u refused by the checks\n",
			    sn[i].sn_name, sn[i].sn_count, count,
			    sn[i].sn_bad);
			failed = 1;
		}
	}
	printf("sniff %s\n", failed ? "FAILED" : "ok");
	return failed;
}

static int
run_probe(int argc, char **argv)
{
	(void)argv;
	if (argc != 0) {
		usage();
	}
	lib_start();
	xkpi_shutdown();
	printf("backend %s built\n", getenv("XKPI_BACKEND") ?
	    getenv("XKPI_BACKEND") : "(default)");
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} modes[] = {
		{ "probe", run_probe },
		{ "demux", run_demux },
		{ "emit", run_emit },
		{ "watch6", run_watch6 },
		{ "ping6", run_ping6 },
		{ "send", run_send },
		{ "sniff", run_sniff },
	};

	if (argc < 2) {
		usage();
	}
	if (cond_init_monotonic(&cv) != 0) {
		die("pthread_cond_init failed");
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcmp(argv[1], modes[i].name) == 0) {
			return modes[i].fn(argc - 2, argv + 2);
		}
	}
	usage();
	return 2;
}
