/*
 * xkpi example: divert_nat, a small natd written the way a BSD daemon
 * or a kext writes one: a divert socket whose read upcall takes every
 * packet the rule table diverts to it, rewrites it and writes it back.
 * Uses the public headers only.
 *
 *	divert_nat -i prefix -a address [-v] [-E seconds] [-P first-last]
 *	    [-p port] [-r rule]... [-t seconds]
 *
 * Source NAT (masquerading) of ICMP echo, UDP and TCP from the inside
 * network (-i, e.g. 10.1.0.0/24) to the NAT host's outside address (-a):
 *   - an outgoing packet (read with sin_addr 0.0.0.0) from the inside
 *     network gets the outside address as source, and an outside port
 *     (ICMP: echo identifier) from the mapping of its inside address and
 *     port, made on its first packet;
 *   - an incoming packet (any other sin_addr) to the outside address
 *     whose destination port (ICMP echo reply: identifier) is a
 *     mapping's goes back to the inside address and port.
 * Both are written back with the address they were read with, so each
 * goes on where it was, after the diverting rule.  The IP, TCP, UDP and
 * ICMP checksums are fixed incrementally (RFC 1624); a UDP checksum of 0
 * (none) stays 0.  Every other packet is written back unchanged, but for
 * outgoing packets from the inside that cannot be mapped (fragments,
 * protocols other than these three, ICMP other than echo requests, no
 * outside port free): those are dropped and counted, so that no inside
 * address leaves.
 *
 * A mapping is (protocol, inside address, inside port) <-> outside port;
 * the outside ports (and identifiers) come from a range (-P, by default
 * 61000-65535, above Linux's ephemeral ports so that the host's own
 * connections on the outside address do not collide), and a mapping
 * idle for -E seconds (120) is forgotten.
 *
 * The divert port is -p (8668, natd's).  The rules come from -r (added
 * after the socket is bound) or XKPI_FW; the classic one is
 *
 *	divert 8668 ip from any to any via eth1
 *
 * with eth1 the outside interface.  On the host's traffic the packets
 * come from the nfqueue backend; a gateway queues PREROUTING and
 * POSTROUTING, so that a rewritten destination is routed after the
 * verdict (see the README):
 *
 *	iptables -t mangle -A PREROUTING -m mark ! --mark 0x786b \
 *	    -j NFQUEUE --queue-num 0 --queue-bypass
 *	iptables -t mangle -A POSTROUTING -m mark ! --mark 0x786b \
 *	    -j NFQUEUE --queue-num 0 --queue-bypass
 *	XKPI_BACKEND=nfqueue divert_nat -i 10.1.0.0/24 -a 10.2.0.1 \
 *	    -r "divert 8668 ip from any to any via eth1"
 *
 * Each mapping made and forgotten is printed; -v prints every packet
 * translated too.  The program runs until the time (-t, 0 for none, the
 * default) is up or SIGINT, SIGTERM or SIGHUP comes, then prints its
 * counters; SIGUSR1 prints them at any time.  Exit status: 0, 1 when a
 * socket call failed, 2 for a usage error.
 *
 *	cc divert_nat.c $(pkg-config --cflags --libs xkpi)
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <netinet/ip_divert.h>
#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>
#include <xkpi.h>
#include <xkpi_fw.h>

#define NATD_PORT	8668
#define PORT_FIRST	61000
#define PORT_LAST	65535
#define IDLE_DEF	120
#define IDLE_MAX	86400UL
#define TIME_MAX	86400UL
#define RULES_MAX	32
#define HASH_SIZE	4096		/* inside-key buckets */
#define DRAIN_MAX	4096		/* receives per upcall: a bound */
#define RECV_ALL	1000000000	/* "all", for sock_receivembuf */
#define HDR_MAX		(60 + 20)	/* IP header and options, TCP */

/* Where the checksum and the ports lie in each transport header. */
#define TCP_SUM_OFF	16
#define UDP_SUM_OFF	6
#define ICMP_SUM_OFF	2
#define ICMP_ID_OFF	4

/* The protocols translated, each with its own port space. */
enum nat_proto {
	NP_ICMP,
	NP_TCP,
	NP_UDP,
	NP_COUNT
};

static const char *const np_name[NP_COUNT] = { "icmp", "tcp", "udp" };

/* (protocol, inside address, inside port) <-> outside port. */
struct nat_map {
	struct nat_map	*nm_hnext;	/* inside key's hash chain */
	enum nat_proto	 nm_proto;
	struct in_addr	 nm_addr;	/* inside address */
	uint16_t	 nm_port;	/* inside port or id, network order */
	uint16_t	 nm_alias;	/* outside port or id, host order */
	time_t		 nm_used;	/* last packet, monotonic s */
};

struct nat_stats {
	unsigned long	 ns_out;	/* outgoing, translated */
	unsigned long	 ns_in;		/* incoming, translated */
	unsigned long	 ns_pass_out;	/* outgoing, not inside's */
	unsigned long	 ns_pass_in;	/* incoming, no mapping */
	unsigned long	 ns_drop_proto;	/* inside, not mappable */
	unsigned long	 ns_drop_frag;	/* inside, a fragment */
	unsigned long	 ns_drop_short;	/* headers cut short */
	unsigned long	 ns_drop_noport; /* no outside port free */
	unsigned long	 ns_errors;	/* write back failed */
	unsigned long	 ns_mapped;	/* mappings made */
	unsigned long	 ns_expired;	/* mappings forgotten */
};

struct nat {
	pthread_mutex_t	 n_lock;
	pthread_cond_t	 n_cv;
	/* Set before the socket exists, read-only after: */
	struct in_addr	 n_net;		/* inside network */
	struct in_addr	 n_mask;
	unsigned int	 n_plen;	/* its prefix length */
	struct in_addr	 n_outside;	/* the outside address */
	uint16_t	 n_first;	/* outside port range, host order */
	uint16_t	 n_last;
	unsigned long	 n_idle;	/* seconds before a mapping goes */
	int		 n_verbose;
	socket_t	 n_so;
	/* Under n_lock: */
	struct nat_map	**n_byalias[NP_COUNT]; /* [alias - n_first] */
	struct nat_map	*n_byin[HASH_SIZE];
	uint32_t	 n_next[NP_COUNT];	/* next alias to try */
	unsigned long	 n_live;
	struct nat_stats n_st;
	errno_t		 n_error;	/* receive error: run ends */
	int		 n_signal;	/* the signal that ended the run */
	int		 n_done;
};

/* A packet being translated: its headers, copied out of the chain. */
struct nat_pkt {
	uint8_t		 p_hdr[HDR_MAX];
	size_t		 p_len;		/* bytes in p_hdr */
	size_t		 p_hlen;	/* IP header length */
	size_t		 p_dirty;	/* bytes of p_hdr to copy back */
	enum nat_proto	 p_proto;
};

enum nat_verdict {
	NV_PASS,	/* written back unchanged */
	NV_REWRITTEN,	/* written back translated */
	NV_DROP		/* freed, counted */
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: divert_nat -i prefix -a address [-v] [-E seconds] "
	    "[-P first-last]\n"
	    "           [-p port] [-r rule]... [-t seconds]\n");
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
	fprintf(stderr, "divert_nat: %s: %s\n", what, strerror(error));
	return 1;
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

static time_t
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* -i: ADDR/LEN. */
static void
parse_prefix(const char *arg, struct in_addr *net, struct in_addr *mask,
    unsigned int *plen)
{
	char buf[INET_ADDRSTRLEN + 4], *slash;
	unsigned long len;

	if (strlen(arg) >= sizeof(buf)) {
		usage();
	}
	strcpy(buf, arg);
	if ((slash = strchr(buf, '/')) == NULL) {
		usage();
	}
	*slash = '\0';
	len = number(slash + 1, 32);
	if (inet_pton(AF_INET, buf, net) != 1) {
		usage();
	}
	mask->s_addr = len == 0 ? 0 : htonl(~(uint32_t)0 << (32 - len));
	net->s_addr &= mask->s_addr;
	*plen = (unsigned int)len;
}

/* -P: FIRST-LAST. */
static void
parse_range(const char *arg, uint16_t *first, uint16_t *last)
{
	char buf[16], *dash;

	if (strlen(arg) >= sizeof(buf)) {
		usage();
	}
	strcpy(buf, arg);
	if ((dash = strchr(buf, '-')) == NULL) {
		usage();
	}
	*dash = '\0';
	*first = (uint16_t)number(buf, 65535);
	*last = (uint16_t)number(dash + 1, 65535);
	if (*first == 0 || *first > *last) {
		usage();
	}
}

/*
 * RFC 1624, equation 3: the checksum @sum after one 16-bit word of what
 * it covers went from @old to @new.  Every value is as it lies in the
 * packet: one's-complement sums do not care about byte order.
 */
static uint16_t
cksum_adjust(uint16_t sum, uint16_t old, uint16_t new)
{
	uint32_t s;

	s = (uint32_t)(uint16_t)~sum + (uint16_t)~old + new;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The same for a 32-bit field (an address): its two words. */
static uint16_t
cksum_adjust32(uint16_t sum, uint32_t old, uint32_t new)
{
	uint16_t o[2], n[2];

	memcpy(o, &old, sizeof(o));
	memcpy(n, &new, sizeof(n));
	sum = cksum_adjust(sum, o[0], n[0]);
	return cksum_adjust(sum, o[1], n[1]);
}

static uint16_t
get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void
put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

/*
 * Replaces an address of the IP header (@off: 12 source, 16
 * destination) and a port or identifier of the transport header, and
 * fixes the checksums they are part of: the IP header's, and the
 * transport's, whose pseudo-header holds the addresses (not ICMP's).
 */
static void
pkt_rewrite(struct nat_pkt *p, size_t off, struct in_addr addr,
    size_t portoff, uint16_t port)
{
	uint8_t *ip = p->p_hdr, *l4 = p->p_hdr + p->p_hlen;
	uint32_t oldaddr;
	uint16_t sum, oldport;
	size_t sumoff;

	memcpy(&oldaddr, ip + off, sizeof(oldaddr));
	memcpy(ip + off, &addr, sizeof(addr));
	put16(ip + 10, cksum_adjust32(get16(ip + 10), oldaddr, addr.s_addr));

	oldport = get16(l4 + portoff);
	put16(l4 + portoff, port);
	switch (p->p_proto) {
	case NP_ICMP:
		sumoff = ICMP_SUM_OFF;
		break;
	case NP_TCP:
		sumoff = TCP_SUM_OFF;
		break;
	default:
		sumoff = UDP_SUM_OFF;
		break;
	}
	sum = get16(l4 + sumoff);
	if (p->p_proto == NP_UDP && sum == 0) {
		return;		/* no checksum: it stays none */
	}
	if (p->p_proto != NP_ICMP) {
		sum = cksum_adjust32(sum, oldaddr, addr.s_addr);
	}
	sum = cksum_adjust(sum, oldport, port);
	if (p->p_proto == NP_UDP && sum == 0) {
		sum = 0xffff;	/* 0 would mean none (RFC 768) */
	}
	put16(l4 + sumoff, sum);
}

static unsigned int
hash_in(enum nat_proto proto, struct in_addr addr, uint16_t port)
{
	uint32_t h = ntohl(addr.s_addr) * 2654435761u;

	h ^= (uint32_t)port * 40503u + (uint32_t)proto;
	return (h ^ (h >> 16)) % HASH_SIZE;
}

static int
map_idle(const struct nat *n, const struct nat_map *nm, time_t now)
{
	return now - nm->nm_used > (time_t)n->n_idle;
}

static void
map_print(const char *what, const struct nat *n, const struct nat_map *nm)
{
	char in[INET_ADDRSTRLEN], out[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &nm->nm_addr, in, sizeof(in));
	inet_ntop(AF_INET, &n->n_outside, out, sizeof(out));
	printf("divert_nat: %s %s %s:%u <-> %s:%u\n", what,
	    np_name[nm->nm_proto], in, ntohs(nm->nm_port), out,
	    nm->nm_alias);
}

/* Forgets a mapping: out of both tables, freed. */
static void
map_free_locked(struct nat *n, struct nat_map *nm)
{
	struct nat_map **pp;

	pp = &n->n_byin[hash_in(nm->nm_proto, nm->nm_addr, nm->nm_port)];
	while (*pp != nm) {
		pp = &(*pp)->nm_hnext;
	}
	*pp = nm->nm_hnext;
	n->n_byalias[nm->nm_proto][nm->nm_alias - n->n_first] = NULL;
	n->n_live--;
	n->n_st.ns_expired++;
	map_print("forget", n, nm);
	free(nm);
}

/* Forgets every mapping idle too long. */
static void
map_expire_locked(struct nat *n, time_t now)
{
	struct nat_map *nm;
	uint32_t i, size = (uint32_t)(n->n_last - n->n_first) + 1;
	int p;

	for (p = 0; p < NP_COUNT; p++) {
		for (i = 0; i < size && n->n_live != 0; i++) {
			nm = n->n_byalias[p][i];
			if (nm != NULL && map_idle(n, nm, now)) {
				map_free_locked(n, nm);
			}
		}
	}
}

/*
 * The mapping of an inside address and port, made when there is none:
 * the next free outside port after the last one given, or one whose
 * mapping is idle.  NULL when every port is taken (or no memory).
 */
static struct nat_map *
map_out_locked(struct nat *n, enum nat_proto proto, struct in_addr addr,
    uint16_t port, time_t now)
{
	struct nat_map *nm, **slot = NULL;
	uint32_t i, off = 0, size = (uint32_t)(n->n_last - n->n_first) + 1;
	unsigned int h = hash_in(proto, addr, port);

	for (nm = n->n_byin[h]; nm != NULL; nm = nm->nm_hnext) {
		if (nm->nm_proto == proto && nm->nm_port == port &&
		    nm->nm_addr.s_addr == addr.s_addr) {
			nm->nm_used = now;
			return nm;
		}
	}
	for (i = 0; i < size; i++) {
		off = (n->n_next[proto] + i) % size;
		nm = n->n_byalias[proto][off];
		if (nm != NULL && map_idle(n, nm, now)) {
			map_free_locked(n, nm);
		}
		if (n->n_byalias[proto][off] == NULL) {
			slot = &n->n_byalias[proto][off];
			n->n_next[proto] = (off + 1) % size;
			break;
		}
	}
	if (slot == NULL || (nm = calloc(1, sizeof(*nm))) == NULL) {
		return NULL;
	}
	nm->nm_proto = proto;
	nm->nm_addr = addr;
	nm->nm_port = port;
	nm->nm_alias = (uint16_t)(n->n_first + off);
	nm->nm_used = now;
	nm->nm_hnext = n->n_byin[h];
	n->n_byin[h] = nm;
	*slot = nm;
	n->n_live++;
	n->n_st.ns_mapped++;
	map_print("map", n, nm);
	return nm;
}

/* The mapping of an outside port (host order), if it is still live. */
static struct nat_map *
map_in_locked(struct nat *n, enum nat_proto proto, uint16_t alias,
    time_t now)
{
	struct nat_map *nm;

	if (alias < n->n_first || alias > n->n_last) {
		return NULL;
	}
	nm = n->n_byalias[proto][alias - n->n_first];
	if (nm != NULL && map_idle(n, nm, now)) {
		map_free_locked(n, nm);
		nm = NULL;
	}
	if (nm != NULL) {
		nm->nm_used = now;
	}
	return nm;
}

/*
 * Reads the IP header and finds the transport header and its port (or
 * ICMP identifier) field.  1 when the packet is one to translate, with
 * *portoff set for the source side (outgoing) or the destination side;
 * else 0, with the verdict for it in *v, counted.
 */
static int
pkt_parse(struct nat *n, struct nat_pkt *p, int incoming, size_t *portoff,
    enum nat_verdict *v)
{
	const uint8_t *l4;
	struct ip ip;
	size_t need;

	if (p->p_len < sizeof(ip)) {
		n->n_st.ns_drop_short++;
		*v = NV_DROP;
		return 0;
	}
	memcpy(&ip, p->p_hdr, sizeof(ip));
	p->p_hlen = (size_t)ip.ip_hl << 2;
	if (ip.ip_v != IPVERSION || p->p_hlen < sizeof(ip) ||
	    p->p_hlen > p->p_len) {
		n->n_st.ns_drop_short++;
		*v = NV_DROP;
		return 0;
	}
	if (incoming ? ip.ip_dst.s_addr != n->n_outside.s_addr :
	    (ip.ip_src.s_addr & n->n_mask.s_addr) != n->n_net.s_addr) {
		/* Not ours to translate: it goes on as it is. */
		if (incoming) {
			n->n_st.ns_pass_in++;
		} else {
			n->n_st.ns_pass_out++;
		}
		*v = NV_PASS;
		return 0;
	}
	/* ip_off is in network order on a divert socket. */
	if ((ntohs(ip.ip_off) & (IP_MF | IP_OFFMASK)) != 0) {
		if (incoming) {
			n->n_st.ns_pass_in++;
			*v = NV_PASS;
		return 0;
		}
		n->n_st.ns_drop_frag++;
		*v = NV_DROP;
		return 0;
	}
	l4 = p->p_hdr + p->p_hlen;
	switch (ip.ip_p) {
	case IPPROTO_ICMP:
		p->p_proto = NP_ICMP;
		need = ICMP_ID_OFF + 2;
		*portoff = ICMP_ID_OFF;
		break;
	case IPPROTO_TCP:
		p->p_proto = NP_TCP;
		need = TCP_SUM_OFF + 2;
		*portoff = incoming ? 2 : 0;
		break;
	case IPPROTO_UDP:
		p->p_proto = NP_UDP;
		need = UDP_SUM_OFF + 2;
		*portoff = incoming ? 2 : 0;
		break;
	default:
		need = 0;
		break;
	}
	if (need == 0 || (p->p_proto == NP_ICMP && p->p_len >= p->p_hlen + 1 &&
	    l4[0] != (incoming ? ICMP_ECHOREPLY : ICMP_ECHO))) {
		if (incoming) {
			n->n_st.ns_pass_in++;
			*v = NV_PASS;
		return 0;
		}
		n->n_st.ns_drop_proto++;
		*v = NV_DROP;
		return 0;
	}
	if (p->p_len < p->p_hlen + need) {
		n->n_st.ns_drop_short++;
		*v = NV_DROP;
		return 0;
	}
	p->p_dirty = p->p_hlen + need;
	return 1;
}

/*
 * Translates one packet's headers in p_hdr, under the lock: the
 * verdict, with the counters counted.
 */
static enum nat_verdict
nat_translate_locked(struct nat *n, struct nat_pkt *p, int incoming)
{
	struct nat_map *nm;
	struct in_addr addr;
	size_t portoff;
	enum nat_verdict v;
	time_t now = now_sec();

	if (!pkt_parse(n, p, incoming, &portoff, &v)) {
		return v;
	}
	if (!incoming) {
		memcpy(&addr, p->p_hdr + 12, sizeof(addr));
		nm = map_out_locked(n, p->p_proto, addr,
		    get16(p->p_hdr + p->p_hlen + portoff), now);
		if (nm == NULL) {
			n->n_st.ns_drop_noport++;
			return NV_DROP;
		}
		pkt_rewrite(p, 12, n->n_outside, portoff, htons(nm->nm_alias));
		n->n_st.ns_out++;
		return NV_REWRITTEN;
	}
	nm = map_in_locked(n, p->p_proto,
	    ntohs(get16(p->p_hdr + p->p_hlen + portoff)), now);
	if (nm == NULL) {
		n->n_st.ns_pass_in++;
		return NV_PASS;
	}
	pkt_rewrite(p, 16, nm->nm_addr, portoff, nm->nm_port);
	n->n_st.ns_in++;
	return NV_REWRITTEN;
}

/* -v: one line per packet translated. */
static void
pkt_print(const struct nat_pkt *p, int incoming)
{
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
	const uint8_t *l4 = p->p_hdr + p->p_hlen;

	inet_ntop(AF_INET, p->p_hdr + 12, src, sizeof(src));
	inet_ntop(AF_INET, p->p_hdr + 16, dst, sizeof(dst));
	if (p->p_proto == NP_ICMP) {
		printf("divert_nat: %s icmp %s > %s id %u\n",
		    incoming ? "in " : "out", src, dst,
		    ntohs(get16(l4 + ICMP_ID_OFF)));
	} else {
		printf("divert_nat: %s %s %s:%u > %s:%u\n",
		    incoming ? "in " : "out", np_name[p->p_proto], src,
		    ntohs(get16(l4)), dst, ntohs(get16(l4 + 2)));
	}
}

/*
 * One packet read from the divert socket: translated, or not, and
 * written back with the address it was read with; or dropped.  The chain
 * is consumed.
 */
static void
nat_packet(struct nat *n, mbuf_t m, const struct sockaddr_in *from)
{
	struct nat_pkt p;
	struct msghdr msg;
	enum nat_verdict v;
	size_t sent;
	errno_t error;
	int incoming = from->sin_addr.s_addr != INADDR_ANY;

	memset(&p, 0, sizeof(p));
	p.p_len = mbuf_pkthdr_len(m);
	if (p.p_len > sizeof(p.p_hdr)) {
		p.p_len = sizeof(p.p_hdr);
	}
	if (mbuf_copydata(m, 0, p.p_len, p.p_hdr) != 0) {
		p.p_len = 0;
	}
	pthread_mutex_lock(&n->n_lock);
	v = nat_translate_locked(n, &p, incoming);
	pthread_mutex_unlock(&n->n_lock);
	if (v == NV_DROP) {
		mbuf_freem(m);
		return;
	}
	if (v == NV_REWRITTEN) {
		/* The chain's first bytes are at least p_dirty long. */
		(void)mbuf_copyback(m, 0, p.p_dirty, p.p_hdr, MBUF_DONTWAIT);
		if (n->n_verbose) {
			pkt_print(&p, incoming);
		}
	}
	/* Back where it was: the address as read, cookie and all. */
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = (void *)(uintptr_t)from;
	msg.msg_namelen = sizeof(*from);
	if ((error = sock_sendmbuf(n->n_so, &msg, m, 0, &sent)) != 0) {
		pthread_mutex_lock(&n->n_lock);
		if (n->n_st.ns_errors++ == 0) {
			fprintf(stderr, "divert_nat: sock_sendmbuf: %s\n",
			    strerror(error));
		}
		pthread_mutex_unlock(&n->n_lock);
	}
}

/*
 * The read upcall.  It is only a hint: receive with MSG_DONTWAIT until
 * EWOULDBLOCK.  Nothing here blocks.
 */
static void
nat_upcall(socket_t so, void *cookie, int waitf)
{
	struct nat *n = cookie;
	struct sockaddr_in from;
	struct msghdr msg;
	size_t len;
	errno_t error;
	mbuf_t m;
	int i;

	(void)waitf;
	for (i = 0; i < DRAIN_MAX; i++) {
		memset(&from, 0, sizeof(from));
		memset(&msg, 0, sizeof(msg));
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		m = NULL;
		len = RECV_ALL;
		error = sock_receivembuf(so, &msg, &m, MSG_DONTWAIT, &len);
		if (error == EWOULDBLOCK) {
			break;
		}
		if (error != 0) {
			pthread_mutex_lock(&n->n_lock);
			if (!n->n_done) {
				n->n_error = error;
				n->n_done = 1;
				pthread_cond_broadcast(&n->n_cv);
			}
			pthread_mutex_unlock(&n->n_lock);
			break;
		}
		if (m != NULL) {
			nat_packet(n, m, &from);
		}
	}
}

static void
nat_print_stats(struct nat *n)
{
	struct nat_stats st;
	unsigned long live;

	pthread_mutex_lock(&n->n_lock);
	st = n->n_st;
	live = n->n_live;
	pthread_mutex_unlock(&n->n_lock);
	printf("divert_nat: translated out %lu, in %lu; unchanged out %lu, "
	    "in %lu\n", st.ns_out, st.ns_in, st.ns_pass_out, st.ns_pass_in);
	printf("divert_nat: dropped: protocol %lu, fragment %lu, short %lu, "
	    "no port %lu; write errors %lu\n", st.ns_drop_proto,
	    st.ns_drop_frag, st.ns_drop_short, st.ns_drop_noport,
	    st.ns_errors);
	printf("divert_nat: mappings made %lu, forgotten %lu, live %lu\n",
	    st.ns_mapped, st.ns_expired, live);
}

/*
 * Signals: one thread takes them with sigwait, so that the others (the
 * library's included) never see them.  SIGUSR1 prints the counters;
 * the others end the run.
 */
static void *
signal_thread(void *arg)
{
	struct nat *n = arg;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	while (sigwait(&set, &sig) == 0) {
		if (sig == SIGUSR1) {
			nat_print_stats(n);
			continue;
		}
		pthread_mutex_lock(&n->n_lock);
		if (!n->n_done) {
			n->n_signal = sig;
		}
		n->n_done = 1;
		pthread_cond_broadcast(&n->n_cv);
		pthread_mutex_unlock(&n->n_lock);
		break;
	}
	return NULL;
}

static void
count_rule(unsigned int num, const char *text, uint64_t packets,
    uint64_t bytes, void *ctx)
{
	(void)text;
	(void)packets;
	(void)bytes;
	if (num != 65535) {
		(*(int *)ctx)++;
	}
}

/*
 * Waits until the run ends (time, signal or error), forgetting idle
 * mappings once a second.
 */
static void
nat_wait(struct nat *n, unsigned long seconds)
{
	struct timespec tick;
	time_t end = now_sec() + (time_t)seconds;

	pthread_mutex_lock(&n->n_lock);
	while (!n->n_done && (seconds == 0 || now_sec() < end)) {
		clock_gettime(CLOCK_MONOTONIC, &tick);
		tick.tv_sec++;
		if (pthread_cond_timedwait(&n->n_cv, &n->n_lock, &tick) ==
		    ETIMEDOUT) {
			map_expire_locked(n, now_sec());
		}
	}
	n->n_done = 1;
	pthread_mutex_unlock(&n->n_lock);
}

int
main(int argc, char **argv)
{
	static struct nat n;
	const char *rules[RULES_MAX];
	char in[INET_ADDRSTRLEN], out[INET_ADDRSTRLEN];
	unsigned long port = NATD_PORT, seconds = 0;
	struct sockaddr_in sin;
	struct nat_map *nm;
	pthread_t sigthr;
	sigset_t set;
	errno_t error;
	int ch, i, p, have_net = 0, have_out = 0, nrules = 0, rc = 0;

	n.n_first = PORT_FIRST;
	n.n_last = PORT_LAST;
	n.n_idle = IDLE_DEF;
	while ((ch = getopt(argc, argv, "a:E:i:P:p:r:t:v")) != -1) {
		switch (ch) {
		case 'a':
			if (inet_pton(AF_INET, optarg, &n.n_outside) != 1) {
				usage();
			}
			have_out = 1;
			break;
		case 'E':
			n.n_idle = number(optarg, IDLE_MAX);
			break;
		case 'i':
			parse_prefix(optarg, &n.n_net, &n.n_mask, &n.n_plen);
			have_net = 1;
			break;
		case 'P':
			parse_range(optarg, &n.n_first, &n.n_last);
			break;
		case 'p':
			port = number(optarg, 65535);
			if (port == 0) {
				usage();
			}
			break;
		case 'r':
			if (nrules == RULES_MAX) {
				usage();
			}
			rules[nrules++] = optarg;
			break;
		case 't':
			seconds = number(optarg, TIME_MAX);
			break;
		case 'v':
			n.n_verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !have_net || !have_out) {
		usage();
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	pthread_mutex_init(&n.n_lock, NULL);
	if (cond_init_monotonic(&n.n_cv) != 0) {
		return fail("pthread_cond_init", ENOMEM);
	}
	for (p = 0; p < NP_COUNT; p++) {
		n.n_byalias[p] = calloc((size_t)(n.n_last - n.n_first) + 1,
		    sizeof(*n.n_byalias[p]));
		if (n.n_byalias[p] == NULL) {
			return fail("calloc", ENOMEM);
		}
	}

	/* Before the library starts its threads: they inherit the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if ((error = pthread_create(&sigthr, NULL, signal_thread, &n)) != 0) {
		return fail("pthread_create", error);
	}

	/* The backend of XKPI_BACKEND, the rules of XKPI_FW. */
	if ((error = xkpi_init(NULL)) != 0) {
		rc = fail("xkpi_init", error);
		goto out;
	}
	error = sock_socket(PF_INET, SOCK_RAW, IPPROTO_DIVERT, nat_upcall, &n,
	    &n.n_so);
	if (error != 0) {
		rc = fail("sock_socket", error);
		goto out;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if ((error = sock_bind(n.n_so, (struct sockaddr *)&sin)) != 0) {
		rc = fail("sock_bind", error);
		goto out;
	}
	/* The rules last: nothing is diverted before the socket is bound. */
	for (i = 0; i < nrules; i++) {
		if ((error = xkpi_fw_add(rules[i])) != 0) {
			fprintf(stderr, "divert_nat: rule \"%s\": ", rules[i]);
			rc = fail("xkpi_fw_add", error);
			goto out;
		}
	}
	i = 0;
	(void)xkpi_fw_list(count_rule, &i);
	if (i == 0) {
		fprintf(stderr, "divert_nat: no rule diverts anything here "
		    "(use -r or XKPI_FW)\n");
	}
	inet_ntop(AF_INET, &n.n_net, in, sizeof(in));
	inet_ntop(AF_INET, &n.n_outside, out, sizeof(out));
	printf("divert_nat: ready, divert port %lu: %s/%u -> %s, ports "
	    "%u-%u, idle %lu s\n", port, in, n.n_plen, out, n.n_first,
	    n.n_last, n.n_idle);

	nat_wait(&n, seconds);

out:
	pthread_mutex_lock(&n.n_lock);
	n.n_done = 1;
	pthread_mutex_unlock(&n.n_lock);
	/* Nothing more diverted to the socket, then close it. */
	(void)xkpi_fw_flush();
	if (n.n_so != NULL) {
		sock_close(n.n_so);
	}
	if (rc == 0) {
		if (n.n_error != 0) {
			rc = fail("sock_receivembuf", n.n_error);
		}
		if (n.n_signal != 0) {
			printf("divert_nat: %s\n", strsignal(n.n_signal));
		}
		nat_print_stats(&n);
	}
	xkpi_shutdown();
	pthread_kill(sigthr, SIGTERM);
	pthread_join(sigthr, NULL);
	for (p = 0; p < NP_COUNT; p++) {
		for (i = 0; i <= n.n_last - n.n_first; i++) {
			if ((nm = n.n_byalias[p][i]) != NULL) {
				free(nm);
			}
		}
		free(n.n_byalias[p]);
	}
	pthread_cond_destroy(&n.n_cv);
	pthread_mutex_destroy(&n.n_lock);
	return rc;
}
