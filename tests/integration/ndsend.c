/*
 * ndsend: a Neighbor Discovery daemon's sending and receiving, on the
 * socket KPI only, for tests/integration/ndsend.sh: Router and Neighbor
 * Solicitations and Router Advertisements (RFC 4861) sent to multicast
 * and link-local unicast destinations on each of several links, and a
 * router's answer to a solicitation received.
 *
 *	ndsend probe
 *	ndsend send ROUNDS IF PEER PREFIX [IF PEER PREFIX]...
 *	ndsend rs IF SECONDS
 *
 * All modes run in the library's namespace, XKPI_BACKEND and XKPI_IFACES
 * set.  probe exits 77 when this build lacks the backend, else 0.
 *
 * send opens one ICMPv6 socket with IPV6_MULTICAST_HOPS and
 * IPV6_UNICAST_HOPS 255 and, ROUNDS times, on each link IF in turn,
 * sends an RS (source link-layer address option) to ff02::2 and to PEER
 * (a link-local address), an NS for PEER to PEER's solicited-node group
 * and to PEER, and an RA (router lifetime 1800 s, PREFIX/64 on-link and
 * autonomous) to ff02::1 and to PEER.  Each send chooses its interface
 * one way, the ways taken in turn so that every message of every link
 * goes out each way once in three rounds:
 *
 *	scope	the destination's sin6_scope_id
 *	pktinfo	an IPV6_PKTINFO control message naming the interface
 *	mcastif	IPV6_MULTICAST_IF (multicast destinations), or
 *	sticky	the IPV6_PKTINFO socket option (unicast ones)
 *
 * and carries its own traffic class (an IPV6_TCLASS control message),
 * 4 * (its sequence number + 1), by which a capture tells it apart from
 * the host's own ND.  For each it prints
 *
 *	sent SEQ IF TYPE DST TCLASS WAY
 *
 * then, the last on each link, an echo request to ff02::1 with traffic
 * class 252 (the end marker, "end IF"), and the library's ip6 counters
 * ("stat NAME VALUE", those not 0).  Exit 0 when every send succeeded.
 *
 * rs opens an ICMPv6 socket whose ICMP6_FILTER passes only RAs, with
 * IPV6_RECVPKTINFO and IPV6_RECVHOPLIMIT on, and sends an RS to ff02::2
 * on IF (by an IPV6_PKTINFO control message) every second until an RA
 * sent to a unicast address arrives (a router's answer, RFC 7772), at
 * most SECONDS.  Each RA received prints
 *
 *	ra from SRC scope SCOPE ifindex INDEX dst DST hlim HLIM
 *	    lifetime SECONDS prefix PREFIX/LEN	(one line)
 *
 * (scope: the source's sin6_scope_id; index and dst: IPV6_PKTINFO's).
 * Exit 0 once the answer came, 1 when it did not, 2 for a usage or setup
 * error, 77 when this build has no such backend.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip6.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <net/kpi_interface.h>
#include <sys/kpi_socket.h>
#include <xkpi.h>

#define EXIT_SKIP	77
#define MAX_LINKS	4
#define ND_HLIM		255		/* RFC 4861: every ND message */
#define TCLASS_END	252		/* the end marker's traffic class */
#define RA_LIFETIME	1800
#define PFX_VALID	86400
#define PFX_PREF	14400
#define MSG_MAX		1500

enum way { WAY_SCOPE, WAY_PKTINFO, WAY_IFOPT, NWAYS };

struct link {
	const char	*l_name;
	uint32_t	 l_index;
	uint8_t		 l_mac[6];
	struct in6_addr	 l_peer;
	struct in6_addr	 l_prefix;
};

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "ndsend: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static void
usage(void)
{
	fprintf(stderr, "usage: ndsend probe\n"
	    "       ndsend send ROUNDS IF PEER PREFIX [IF PEER PREFIX]...\n"
	    "       ndsend rs IF SECONDS\n");
	exit(2);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *
ntop6(const struct in6_addr *a)
{
	static char buf[4][INET6_ADDRSTRLEN];
	static int i;

	i = (i + 1) % 4;
	return inet_ntop(AF_INET6, a, buf[i], sizeof(buf[i]));
}

static struct in6_addr
pton6(const char *s)
{
	struct in6_addr a;

	if (inet_pton(AF_INET6, s, &a) != 1) {
		die("not an IPv6 address: %s", s);
	}
	return a;
}

/* Starts the library from the environment; exits 77 without the backend. */
static void
lib_start(void)
{
	const char *be = getenv("XKPI_BACKEND");
	errno_t error;

	if ((error = xkpi_init(NULL)) == ENOTSUP) {
		printf("ndsend: backend %s not built\n", be ? be : "(default)");
		exit(EXIT_SKIP);
	}
	if (error != 0) {
		die("xkpi_init (backend %s): %s", be ? be : "(default)",
		    strerror(error));
	}
}

/* The interface's index and link-layer address, from the interface KPI. */
static void
link_find(struct link *l)
{
	ifnet_t ifp;
	errno_t error;

	if ((error = ifnet_find_by_name(l->l_name, &ifp)) != 0) {
		die("ifnet_find_by_name %s: %s", l->l_name, strerror(error));
	}
	l->l_index = ifnet_index(ifp);
	error = ifnet_lladdr_copy_bytes(ifp, l->l_mac, sizeof(l->l_mac));
	ifnet_release(ifp);
	if (error != 0) {
		die("ifnet_lladdr_copy_bytes %s: %s", l->l_name,
		    strerror(error));
	}
}

static void
setopt(socket_t so, int level, int name, const void *val, socklen_t len,
    const char *what)
{
	errno_t error;

	if ((error = sock_setsockopt(so, level, name, val, len)) != 0) {
		die("setsockopt %s: %s", what, strerror(error));
	}
}

static socket_t
icmp6_socket(void)
{
	socket_t so = NULL;
	errno_t error;

	if ((error = sock_socket(PF_INET6, SOCK_RAW, IPPROTO_ICMPV6, NULL,
	    NULL, &so)) != 0) {
		die("sock_socket: %s", strerror(error));
	}
	return so;
}

/* The source link-layer address option (RFC 4861 4.6.1) at @p. */
static size_t
opt_slla(uint8_t *p, const struct link *l)
{
	p[0] = ND_OPT_SOURCE_LINKADDR;
	p[1] = 1;
	memcpy(p + 2, l->l_mac, 6);
	return 8;
}

/* The ND message of @type for link @l into @buf; its length. */
static size_t
nd_build(uint8_t *buf, int type, const struct link *l)
{
	size_t len;

	memset(buf, 0, MSG_MAX);
	buf[0] = (uint8_t)type;		/* code and checksum 0: the library's */
	switch (type) {
	case ND_ROUTER_SOLICIT:
		len = 8;
		len += opt_slla(buf + len, l);
		break;
	case ND_NEIGHBOR_SOLICIT:
		memcpy(buf + 8, &l->l_peer, 16);	/* the target */
		len = 24;
		len += opt_slla(buf + len, l);
		break;
	case ND_ROUTER_ADVERT: {
		struct nd_opt_prefix_info pi;

		buf[4] = 64;			/* cur hop limit */
		buf[6] = RA_LIFETIME >> 8;
		buf[7] = RA_LIFETIME & 0xff;
		len = 16;			/* reachable, retrans: 0 */
		len += opt_slla(buf + len, l);
		memset(&pi, 0, sizeof(pi));
		pi.nd_opt_pi_type = ND_OPT_PREFIX_INFORMATION;
		pi.nd_opt_pi_len = 4;
		pi.nd_opt_pi_prefix_len = 64;
		pi.nd_opt_pi_flags_reserved = ND_OPT_PI_FLAG_ONLINK |
		    ND_OPT_PI_FLAG_AUTO;
		pi.nd_opt_pi_valid_time = htonl(PFX_VALID);
		pi.nd_opt_pi_preferred_time = htonl(PFX_PREF);
		pi.nd_opt_pi_prefix = l->l_prefix;
		memcpy(buf + len, &pi, sizeof(pi));
		len += sizeof(pi);
		break;
	}
	default:
		/* The end marker: an echo request, identifier "xk". */
		buf[4] = 'x';
		buf[5] = 'k';
		len = 8;
		break;
	}
	return len;
}

/* The solicited-node multicast group of @a (RFC 4291 2.7.1). */
static struct in6_addr
solicited_node(const struct in6_addr *a)
{
	struct in6_addr g = pton6("ff02::1:ff00:0");

	memcpy(&g.s6_addr[13], &a->s6_addr[13], 3);
	return g;
}

/* One control message of @dlen bytes at *@len in @buf. */
static void
ctl_add(uint8_t *buf, size_t cap, size_t *len, int type, const void *data,
    size_t dlen)
{
	struct cmsghdr cm;

	if (*len + CMSG_SPACE(dlen) > cap) {
		die("control buffer too small");
	}
	memset(buf + *len, 0, CMSG_SPACE(dlen));
	cm.cmsg_len = CMSG_LEN(dlen);
	cm.cmsg_level = IPPROTO_IPV6;
	cm.cmsg_type = type;
	memcpy(buf + *len, &cm, sizeof(cm));
	memcpy(buf + *len + CMSG_LEN(0), data, dlen);
	*len += CMSG_SPACE(dlen);
}

static const char *
way_name(enum way w, bool mcast)
{
	switch (w) {
	case WAY_SCOPE:
		return "scope";
	case WAY_PKTINFO:
		return "pktinfo";
	default:
		return mcast ? "mcastif" : "sticky";
	}
}

/*
 * Sends @len bytes of @msg to @dst on link @l, the interface chosen the
 * way @w, with traffic class @tclass.
 */
static errno_t
nd_send(socket_t so, const struct link *l, const struct in6_addr *dst,
    enum way w, int tclass, const uint8_t *msg, size_t len)
{
	struct sockaddr_in6 sa;
	struct in6_pktinfo pi;
	uint8_t ctl[128] __attribute__((aligned(8)));
	size_t ctllen = 0, sent;
	struct iovec iov = { (void *)(uintptr_t)msg, len };
	struct msghdr mh;
	bool mcast = IN6_IS_ADDR_MULTICAST(dst);
	unsigned int index = l->l_index;
	errno_t error;

	memset(&sa, 0, sizeof(sa));
	sa.sin6_family = AF_INET6;
	sa.sin6_addr = *dst;
	memset(&pi, 0, sizeof(pi));
	pi.ipi6_ifindex = l->l_index;
	switch (w) {
	case WAY_SCOPE:
		sa.sin6_scope_id = l->l_index;
		break;
	case WAY_PKTINFO:
		ctl_add(ctl, sizeof(ctl), &ctllen, IPV6_PKTINFO, &pi,
		    sizeof(pi));
		break;
	default:
		if (mcast) {
			setopt(so, IPPROTO_IPV6, IPV6_MULTICAST_IF, &index,
			    sizeof(index), "IPV6_MULTICAST_IF");
		} else {
			setopt(so, IPPROTO_IPV6, IPV6_PKTINFO, &pi,
			    sizeof(pi), "IPV6_PKTINFO");
		}
		break;
	}
	ctl_add(ctl, sizeof(ctl), &ctllen, IPV6_TCLASS, &tclass,
	    sizeof(tclass));
	memset(&mh, 0, sizeof(mh));
	mh.msg_name = &sa;
	mh.msg_namelen = sizeof(sa);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl;
	mh.msg_controllen = ctllen;
	error = sock_send(so, &mh, 0, &sent);
	if (error == 0 && sent != len) {
		error = EIO;
	}
	/* The socket options back as they were: nothing chosen. */
	if (w == WAY_IFOPT) {
		if (mcast) {
			index = 0;
			setopt(so, IPPROTO_IPV6, IPV6_MULTICAST_IF, &index,
			    sizeof(index), "IPV6_MULTICAST_IF 0");
		} else {
			/* RFC 3542 6.1: 0 bytes clear it (val not NULL). */
			setopt(so, IPPROTO_IPV6, IPV6_PKTINFO, &pi, 0,
			    "IPV6_PKTINFO clear");
		}
	}
	return error;
}

/* The library's ip6 counters that are not 0, "stat NAME VALUE". */
static void
print_stat(const char *name, uint64_t value, void *ctx)
{
	(void)ctx;
	if (value != 0 && strncmp(name, "ip6.", 4) == 0) {
		printf("stat %s %llu\n", name, (unsigned long long)value);
	}
}

static int
run_send(int argc, char **argv)
{
	static const struct {
		int	type;
		bool	mcast;
	} msgs[] = {
		{ ND_ROUTER_SOLICIT, true }, { ND_ROUTER_SOLICIT, false },
		{ ND_NEIGHBOR_SOLICIT, true }, { ND_NEIGHBOR_SOLICIT, false },
		{ ND_ROUTER_ADVERT, true }, { ND_ROUTER_ADVERT, false },
	};
	struct link links[MAX_LINKS];
	struct icmp6_filter f;
	struct in6_addr dst, all = pton6("ff02::1"), rtrs = pton6("ff02::2");
	uint8_t msg[MSG_MAX];
	int nlinks, rounds, hops = ND_HLIM, seq = 0, failed = 0;
	socket_t so;
	errno_t error;

	if (argc < 5 || (argc - 2) % 3 != 0 || (argc - 2) / 3 > MAX_LINKS) {
		usage();
	}
	rounds = atoi(argv[1]);
	/* Every traffic class below the end marker's: 62 sends at most. */
	nlinks = (argc - 2) / 3;
	if (rounds < 1 || rounds * nlinks * 6 * 4 >= TCLASS_END) {
		die("ROUNDS out of range");
	}
	lib_start();
	for (int i = 0; i < nlinks; i++) {
		links[i].l_name = argv[2 + 3 * i];
		links[i].l_peer = pton6(argv[3 + 3 * i]);
		links[i].l_prefix = pton6(argv[4 + 3 * i]);
		link_find(&links[i]);
		printf("link %s index %u\n", links[i].l_name, links[i].l_index);
	}
	so = icmp6_socket();
	setopt(so, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops),
	    "IPV6_MULTICAST_HOPS");
	setopt(so, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops),
	    "IPV6_UNICAST_HOPS");
	/* A sender only: nothing queued, not even its own multicast. */
	ICMP6_FILTER_SETBLOCKALL(&f);
	setopt(so, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f),
	    "ICMP6_FILTER");
	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < nlinks; i++) {
			const struct link *l = &links[i];

			for (int k = 0; k < 6; k++) {
				enum way w = (enum way)((r + k) % NWAYS);
				int type = msgs[k].type, tclass = 4 * (seq + 1);
				size_t len = nd_build(msg, type, l);

				if (!msgs[k].mcast) {
					dst = l->l_peer;
				} else if (type == ND_NEIGHBOR_SOLICIT) {
					dst = solicited_node(&l->l_peer);
				} else {
					dst = type == ND_ROUTER_SOLICIT ?
					    rtrs : all;
				}
				error = nd_send(so, l, &dst, w, tclass, msg,
				    len);
				if (error != 0) {
					printf("error %d %s %d %s %d %s: %s\n",
					    seq, l->l_name, type, ntop6(&dst),
					    tclass, way_name(w, msgs[k].mcast),
					    strerror(error));
					failed = 1;
				} else {
					printf("sent %d %s %d %s %d %s\n", seq,
					    l->l_name, type, ntop6(&dst),
					    tclass, way_name(w, msgs[k].mcast));
				}
				seq++;
			}
		}
	}
	for (int i = 0; i < nlinks; i++) {
		size_t len = nd_build(msg, ICMP6_ECHO_REQUEST, &links[i]);

		error = nd_send(so, &links[i], &all, WAY_SCOPE, TCLASS_END,
		    msg, len);
		if (error != 0) {
			printf("error end %s: %s\n", links[i].l_name,
			    strerror(error));
			failed = 1;
		} else {
			printf("end %s\n", links[i].l_name);
		}
	}
	sock_close(so);
	(void)xkpi_stats(print_stat, NULL);
	xkpi_shutdown();
	return failed;
}

/* The RA in @buf (@len bytes): its router lifetime and first prefix. */
static void
ra_parse(const uint8_t *buf, size_t len, unsigned *lifetime, char *pfx,
    size_t pfxlen)
{
	size_t off = 16;

	*lifetime = (unsigned)buf[6] << 8 | buf[7];
	snprintf(pfx, pfxlen, "none");
	while (off + 2 <= len && buf[off + 1] != 0 &&
	    off + (size_t)buf[off + 1] * 8 <= len) {
		if (buf[off] == ND_OPT_PREFIX_INFORMATION &&
		    buf[off + 1] == 4) {
			struct nd_opt_prefix_info pi;

			memcpy(&pi, buf + off, sizeof(pi));
			snprintf(pfx, pfxlen, "%s/%u",
			    ntop6(&pi.nd_opt_pi_prefix),
			    pi.nd_opt_pi_prefix_len);
			return;
		}
		off += (size_t)buf[off + 1] * 8;
	}
}

static int
run_rs(int argc, char **argv)
{
	struct link l;
	struct icmp6_filter f;
	struct timeval tv = { 0, 100000 };
	struct in6_addr rtrs = pton6("ff02::2");
	uint8_t msg[MSG_MAX], buf[MSG_MAX];
	uint8_t ctl[256] __attribute__((aligned(8)));
	double end, next = 0;
	int on = 1, hops = ND_HLIM, tclass = 0, answered = 0, nsent = 0;
	socket_t so;
	errno_t error;

	if (argc != 3) {
		usage();
	}
	memset(&l, 0, sizeof(l));
	l.l_name = argv[1];
	end = now() + atof(argv[2]);
	lib_start();
	link_find(&l);
	printf("link %s index %u\n", l.l_name, l.l_index);
	so = icmp6_socket();
	setopt(so, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops),
	    "IPV6_MULTICAST_HOPS");
	ICMP6_FILTER_SETBLOCKALL(&f);
	ICMP6_FILTER_SETPASS(ND_ROUTER_ADVERT, &f);
	setopt(so, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f),
	    "ICMP6_FILTER");
	setopt(so, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on),
	    "IPV6_RECVPKTINFO");
	setopt(so, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof(on),
	    "IPV6_RECVHOPLIMIT");
	setopt(so, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv), "SO_RCVTIMEO");
	while (!answered && now() < end) {
		struct sockaddr_in6 from;
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh;
		struct in6_pktinfo pi;
		struct cmsghdr *cm;
		char pfx[64];
		unsigned lifetime;
		int hlim = -1;
		size_t got;

		if (now() >= next) {
			size_t len = nd_build(msg, ND_ROUTER_SOLICIT, &l);

			error = nd_send(so, &l, &rtrs, WAY_PKTINFO, tclass,
			    msg, len);
			printf("rs %d: %s\n", ++nsent, error == 0 ? "sent" :
			    strerror(error));
			next = now() + 1;
		}
		memset(&mh, 0, sizeof(mh));
		mh.msg_name = &from;
		mh.msg_namelen = sizeof(from);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = ctl;
		mh.msg_controllen = sizeof(ctl);
		if ((error = sock_receive(so, &mh, 0, &got)) != 0) {
			if (error == EWOULDBLOCK || error == EINTR) {
				continue;
			}
			die("sock_receive: %s", strerror(error));
		}
		if (got < 16 || buf[0] != ND_ROUTER_ADVERT) {
			printf("not an RA: %zu bytes, type %d\n", got, buf[0]);
			continue;
		}
		memset(&pi, 0, sizeof(pi));
		for (cm = CMSG_FIRSTHDR(&mh); cm != NULL;
		    cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level != IPPROTO_IPV6) {
				continue;
			}
			if (cm->cmsg_type == IPV6_PKTINFO) {
				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			} else if (cm->cmsg_type == IPV6_HOPLIMIT) {
				memcpy(&hlim, CMSG_DATA(cm), sizeof(hlim));
			}
		}
		ra_parse(buf, got, &lifetime, pfx, sizeof(pfx));
		printf("ra from %s scope %u ifindex %u dst %s hlim %d "
		    "lifetime %u prefix %s\n", ntop6(&from.sin6_addr),
		    from.sin6_scope_id, pi.ipi6_ifindex, ntop6(&pi.ipi6_addr),
		    hlim, lifetime, pfx);
		answered = !IN6_IS_ADDR_MULTICAST(&pi.ipi6_addr);
	}
	sock_close(so);
	(void)xkpi_stats(print_stat, NULL);
	xkpi_shutdown();
	if (!answered) {
		printf("no answer\n");
	}
	return answered ? 0 : 1;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		usage();
	}
	if (strcmp(argv[1], "probe") == 0) {
		lib_start();
		xkpi_shutdown();
		return 0;
	}
	if (strcmp(argv[1], "send") == 0) {
		return run_send(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "rs") == 0) {
		return run_rs(argc - 1, argv + 1);
	}
	usage();
	return 2;
}
