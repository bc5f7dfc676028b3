/*
 * xkpi example: ipfilter_log, an IP filter kext written the way Apple's
 * sample NKEs were: a start function that attaches an IPv4 and an IPv6
 * filter (ipf_addv4, ipf_addv6) with input, output and detach functions,
 * and a stop function that removes them and waits for their detach
 * callbacks before it lets the kext go.  The filters count the packets
 * and bytes of each flow in a small table and can block TCP and UDP
 * destination ports.  Uses the public headers only.
 *
 *	ipfilter_log [-q] [-b port]... [-t seconds]
 *
 * A flow is one direction of a conversation: protocol, source and
 * destination address, and for TCP and UDP the ports (for ICMP and
 * ICMPv6 the message type, printed after the protocol: icmp/8 is an echo
 * request).  The table holds FLOWS_MAX of them; packets of flows that
 * find it full are counted apart.  The first packet of each flow is
 * logged as it passes (unless -q):
 *
 *	ipfilter_log: in xka0 tcp 10.204.0.2:41234 > 10.204.0.1:7000:
 *	    new flow, blocked
 *
 * with its direction and, for an incoming packet, the interface it came
 * in by (mbuf_pkthdr_rcvif(), named the XNU way: ifnet_name() then
 * ifnet_unit(), "xka" and 0 for xka0; "-" for an outgoing packet, which
 * has none).  -b PORT (up to PORTS_MAX of them) blocks every TCP or UDP
 * packet to that destination port, in or out: the filter returns EPERM
 * and the library drops the packet (the host's kernel with it), counting
 * it in ipf.in.dropped or ipf.out.dropped.
 *
 * The run ends after -t seconds (0 or none: no limit) or on SIGINT,
 * SIGTERM or SIGHUP.  The stop function then removes both filters and
 * waits for their detach callbacks, and the program prints the flow
 * table and the library's ipf.* counters (xkpi_stats()).
 *
 * On the host's real traffic it runs on the nfqueue backend, with the
 * rules that queue the host's packets (docs/backends.md):
 *
 *	iptables -A INPUT -m mark ! --mark 0x786b -j NFQUEUE \
 *	    --queue-num 0 --queue-bypass	 (and the same on OUTPUT,
 *	    and with ip6tables for IPv6)
 *	XKPI_BACKEND=nfqueue ipfilter_log -b 7000 -t 60
 *
 * Exit status: 0; 1 when the library or a filter could not be started,
 * or a filter did not detach; 2 for a usage error.
 *
 *	cc ipfilter_log.c $(pkg-config --cflags --libs xkpi)
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <net/kpi_interface.h>
#include <netinet/kpi_ipfilter.h>
#include <sys/kpi_mbuf.h>
#include <xkpi.h>

#define FLOWS_MAX	256		/* flows the table records */
#define HASH_SIZE	512		/* open addressing, twice FLOWS_MAX */
#define PORTS_MAX	8		/* -b */
#define TIME_MAX	86400UL
#define DETACH_WAIT	10		/* seconds stop waits for a detach */
#define IFNAME_MAX	32
#define EXTHDRS_MAX	16		/* IPv6 headers walked on output */

enum { DIR_IN, DIR_OUT };

/* What identifies a flow; compared with memcmp, so no padding holes. */
struct flow_key {
	uint8_t		 fk_src[16];	/* IPv4: the first 4 bytes */
	uint8_t		 fk_dst[16];
	uint16_t	 fk_sport;	/* host order; ICMP: the type */
	uint16_t	 fk_dport;
	uint8_t		 fk_family;	/* 4 or 6 */
	uint8_t		 fk_proto;
	uint8_t		 fk_dir;	/* DIR_IN, DIR_OUT */
	uint8_t		 fk_ports;	/* 1: TCP or UDP with ports */
};

struct flow {
	struct flow_key	 fl_key;
	char		 fl_ifname[IFNAME_MAX];	/* in: the interface */
	uint64_t	 fl_packets;
	uint64_t	 fl_bytes;
	uint64_t	 fl_blocked;
};

/* The kext's state: the filters' cookie. */
struct ipflog {
	pthread_mutex_t	 lf_lock;
	pthread_cond_t	 lf_cv;
	ipfilter_t	 lf_v4;
	ipfilter_t	 lf_v6;
	int		 lf_quiet;
	uint16_t	 lf_block[PORTS_MAX];	/* host order */
	int		 lf_nblock;
	/* Under lf_lock: */
	int		 lf_attached;	/* filters not yet detached */
	struct flow	 lf_flows[FLOWS_MAX];	/* in order of arrival */
	int		 lf_nflows;
	int16_t		 lf_hash[HASH_SIZE];	/* index in lf_flows, or -1 */
	uint64_t	 lf_unrecorded;	/* packets of flows the table lacks */
	uint64_t	 lf_other;	/* packets not parsed (too short) */
};

static struct ipflog ipflog;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: ipfilter_log [-q] [-b port]... [-t seconds]\n");
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

/* Copies what there is of @len bytes at @off; the count copied. */
static size_t
copy_some(mbuf_t m, size_t off, size_t len, void *buf)
{
	size_t total = mbuf_pkthdr_len(m);

	if (off >= total) {
		return 0;
	}
	if (len > total - off) {
		len = total - off;
	}
	return mbuf_copydata(m, off, len, buf) == 0 ? len : 0;
}

/*
 * The ports (TCP, UDP) or the message type (ICMP, ICMPv6) of the header
 * of type @proto at @off; false when the packet is too short for them.
 */
static bool
key_l4(mbuf_t m, size_t off, uint8_t proto, struct flow_key *k)
{
	uint8_t l4[4];
	uint16_t port;

	k->fk_proto = proto;
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		if (copy_some(m, off, 4, l4) != 4) {
			return false;
		}
		memcpy(&port, l4, 2);
		k->fk_sport = ntohs(port);
		memcpy(&port, l4 + 2, 2);
		k->fk_dport = ntohs(port);
		k->fk_ports = 1;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (copy_some(m, off, 1, l4) != 1) {
			return false;
		}
		k->fk_sport = l4[0];
		break;
	default:
		break;
	}
	return true;
}

/* An IPv4 packet's key; @off and @proto as the input filter gets them. */
static bool
key_v4(mbuf_t m, size_t off, uint8_t proto, struct flow_key *k)
{
	struct ip ip;

	if (copy_some(m, 0, sizeof(ip), &ip) != sizeof(ip)) {
		return false;
	}
	k->fk_family = 4;
	memcpy(k->fk_src, &ip.ip_src, 4);
	memcpy(k->fk_dst, &ip.ip_dst, 4);
	if (off == 0) {			/* output: read it from the header */
		off = (size_t)ip.ip_hl << 2;
		proto = ip.ip_p;
	}
	/* A later fragment has no ports (output runs before fragmenting,
	 * but a packet may come fragmented from its sender). */
	if ((ntohs(ip.ip_off) & IP_OFFMASK) != 0) {
		k->fk_proto = proto;
		return true;
	}
	return key_l4(m, off, proto, k);
}

/*
 * An IPv6 packet's key.  On input the filter is called once per header
 * and @off and @proto are the upper-layer header's; on output (@off 0)
 * the extension headers are walked here.
 */
static bool
key_v6(mbuf_t m, size_t off, uint8_t proto, struct flow_key *k)
{
	struct ip6_hdr ip6;
	uint8_t eh[4];
	int i;

	if (copy_some(m, 0, sizeof(ip6), &ip6) != sizeof(ip6)) {
		return false;
	}
	k->fk_family = 6;
	memcpy(k->fk_src, &ip6.ip6_src, 16);
	memcpy(k->fk_dst, &ip6.ip6_dst, 16);
	if (off != 0) {
		return key_l4(m, off, proto, k);
	}
	off = sizeof(ip6);
	proto = ip6.ip6_nxt;
	for (i = 0; i < EXTHDRS_MAX; i++) {
		if (proto != IPPROTO_HOPOPTS && proto != IPPROTO_ROUTING &&
		    proto != IPPROTO_DSTOPTS && proto != IPPROTO_AH &&
		    proto != IPPROTO_FRAGMENT) {
			break;
		}
		if (copy_some(m, off, 4, eh) != 4) {
			return false;
		}
		if (proto == IPPROTO_FRAGMENT) {
			if (((eh[2] << 8 | eh[3]) & 0xfff8) != 0) {
				k->fk_proto = eh[0];	/* no ports here */
				return true;
			}
			off += 8;
		} else if (proto == IPPROTO_AH) {
			off += ((size_t)eh[1] + 2) * 4;
		} else {
			off += ((size_t)eh[1] + 1) * 8;
		}
		proto = eh[0];
	}
	return key_l4(m, off, proto, k);
}

static const char *
proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmp6";
	default:
		snprintf(buf, len, "proto%u", proto);
		return buf;
	}
}

/* "10.0.0.1:80", "[fd00::1]:80", "10.0.0.1": one end of a flow. */
static void
end_name(const struct flow_key *k, const uint8_t *addr, uint16_t port,
    char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(k->fk_family == 4 ? AF_INET : AF_INET6, addr, a, sizeof(a));
	if (!k->fk_ports) {
		snprintf(buf, len, "%s", a);
	} else if (k->fk_family == 4) {
		snprintf(buf, len, "%s:%u", a, port);
	} else {
		snprintf(buf, len, "[%s]:%u", a, port);
	}
}

/* "tcp", "icmp/8": the protocol, and ICMP's message type. */
static void
flow_proto(const struct flow_key *k, char *buf, size_t len)
{
	char pbuf[16];
	const char *p = proto_name(k->fk_proto, pbuf, sizeof(pbuf));

	if (k->fk_proto == IPPROTO_ICMP || k->fk_proto == IPPROTO_ICMPV6) {
		snprintf(buf, len, "%s/%u", p, k->fk_sport);
	} else {
		snprintf(buf, len, "%s", p);
	}
}

static uint32_t
key_hash(const struct flow_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint32_t h = 2166136261u;	/* FNV-1a, 32 bits */
	size_t i;

	for (i = 0; i < sizeof(*k); i++) {
		h = (h ^ p[i]) * 16777619u;
	}
	return h;
}

static bool
port_blocked(const struct ipflog *lf, const struct flow_key *k)
{
	int i;

	if (!k->fk_ports) {
		return false;
	}
	for (i = 0; i < lf->lf_nblock; i++) {
		if (lf->lf_block[i] == k->fk_dport) {
			return true;
		}
	}
	return false;
}

/*
 * Counts one packet of flow @k, @bytes long, in the table; the filter's
 * verdict: 0, or EPERM for a blocked port.  Runs in the callbacks, on
 * whichever thread the library calls them: the table has its own lock,
 * and nothing here blocks but the line logged for a new flow.
 */
static errno_t
flow_count(struct ipflog *lf, const struct flow_key *k, size_t bytes,
    ifnet_t ifp)
{
	char src[64], dst[64], proto[24], ifname[IFNAME_MAX];
	struct flow *fl = NULL;
	uint32_t h;
	bool blocked = port_blocked(lf, k), fresh = false;
	int i, idx;

	ifname[0] = '\0';
	if (ifp != NULL) {
		/* XNU's way of naming an interface: driver name, unit. */
		snprintf(ifname, sizeof(ifname), "%s%u", ifnet_name(ifp),
		    ifnet_unit(ifp));
	}
	pthread_mutex_lock(&lf->lf_lock);
	h = key_hash(k);
	for (i = 0; i < HASH_SIZE; i++) {
		idx = lf->lf_hash[(h + (uint32_t)i) % HASH_SIZE];
		if (idx < 0) {
			if (lf->lf_nflows == FLOWS_MAX) {
				break;
			}
			/* A new flow, in this empty slot. */
			idx = lf->lf_nflows++;
			lf->lf_hash[(h + (uint32_t)i) % HASH_SIZE] =
			    (int16_t)idx;
			fl = &lf->lf_flows[idx];
			fl->fl_key = *k;
			memcpy(fl->fl_ifname, ifname, sizeof(ifname));
			fresh = true;
			break;
		}
		if (memcmp(&lf->lf_flows[idx].fl_key, k, sizeof(*k)) == 0) {
			fl = &lf->lf_flows[idx];
			break;
		}
	}
	if (fl == NULL) {
		lf->lf_unrecorded++;
	} else {
		fl->fl_packets++;
		fl->fl_bytes += bytes;
		if (blocked) {
			fl->fl_blocked++;
		}
	}
	pthread_mutex_unlock(&lf->lf_lock);

	if (fresh && !lf->lf_quiet) {
		end_name(k, k->fk_src, k->fk_sport, src, sizeof(src));
		end_name(k, k->fk_dst, k->fk_dport, dst, sizeof(dst));
		flow_proto(k, proto, sizeof(proto));
		printf("ipfilter_log: %s %s %s %s > %s: new flow%s\n",
		    k->fk_dir == DIR_IN ? "in" : "out",
		    ifname[0] != '\0' ? ifname : "-", proto, src, dst,
		    blocked ? ", blocked" : "");
	}
	return blocked ? EPERM : 0;
}

static void
count_other(struct ipflog *lf)
{
	pthread_mutex_lock(&lf->lf_lock);
	lf->lf_other++;
	pthread_mutex_unlock(&lf->lf_lock);
}

/*
 * The filters' functions.  Each packet is read, never changed: an
 * observer returns 0 and the packet goes on; a blocked one gets an error
 * and the library frees it.
 */
static errno_t
ipflog_input(void *cookie, mbuf_t *data, int offset, uint8_t protocol,
    int family)
{
	struct ipflog *lf = cookie;
	struct flow_key k;
	bool ok;

	/* IPv6: called once per extension header too; count the packet
	 * once, at its upper-layer header. */
	if (family == 6 && (protocol == IPPROTO_ROUTING ||
	    protocol == IPPROTO_DSTOPTS || protocol == IPPROTO_AH)) {
		return 0;
	}
	memset(&k, 0, sizeof(k));
	k.fk_dir = DIR_IN;
	ok = family == 4 ? key_v4(*data, (size_t)offset, protocol, &k) :
	    key_v6(*data, (size_t)offset, protocol, &k);
	if (!ok) {
		count_other(lf);
		return 0;
	}
	return flow_count(lf, &k, mbuf_pkthdr_len(*data),
	    mbuf_pkthdr_rcvif(*data));
}

static errno_t
ipflog_input_v4(void *cookie, mbuf_t *data, int offset, uint8_t protocol)
{
	return ipflog_input(cookie, data, offset, protocol, 4);
}

static errno_t
ipflog_input_v6(void *cookie, mbuf_t *data, int offset, uint8_t protocol)
{
	return ipflog_input(cookie, data, offset, protocol, 6);
}

static errno_t
ipflog_output(void *cookie, mbuf_t *data, int family)
{
	struct ipflog *lf = cookie;
	struct flow_key k;
	bool ok;

	memset(&k, 0, sizeof(k));
	k.fk_dir = DIR_OUT;
	ok = family == 4 ? key_v4(*data, 0, 0, &k) : key_v6(*data, 0, 0, &k);
	if (!ok) {
		count_other(lf);
		return 0;
	}
	return flow_count(lf, &k, mbuf_pkthdr_len(*data), NULL);
}

static errno_t
ipflog_output_v4(void *cookie, mbuf_t *data, ipf_pktopts_t options)
{
	(void)options;
	return ipflog_output(cookie, data, 4);
}

static errno_t
ipflog_output_v6(void *cookie, mbuf_t *data, ipf_pktopts_t options)
{
	(void)options;
	return ipflog_output(cookie, data, 6);
}

/* No callback of the filter runs any more: stop may let the kext go. */
static void
ipflog_detach(void *cookie)
{
	struct ipflog *lf = cookie;

	pthread_mutex_lock(&lf->lf_lock);
	lf->lf_attached--;
	pthread_cond_broadcast(&lf->lf_cv);
	pthread_mutex_unlock(&lf->lf_lock);
}

static const struct ipf_filter ipflog_v4_filter = {
	.cookie = &ipflog,
	.name = "com.example.ipfilter_log",
	.ipf_input = ipflog_input_v4,
	.ipf_output = ipflog_output_v4,
	.ipf_detach = ipflog_detach,
};

static const struct ipf_filter ipflog_v6_filter = {
	.cookie = &ipflog,
	.name = "com.example.ipfilter_log.v6",
	.ipf_input = ipflog_input_v6,
	.ipf_output = ipflog_output_v6,
	.ipf_detach = ipflog_detach,
};

/*
 * The kext's start function (a kmod's start routine in XNU, which would
 * return KERN_SUCCESS or KERN_FAILURE): both filters, or neither.
 */
static errno_t
ipfilter_log_start(void)
{
	struct ipflog *lf = &ipflog;
	errno_t error;

	pthread_mutex_lock(&lf->lf_lock);
	lf->lf_attached = 2;
	pthread_mutex_unlock(&lf->lf_lock);
	if ((error = ipf_addv4(&ipflog_v4_filter, &lf->lf_v4)) != 0) {
		fprintf(stderr, "ipfilter_log: ipf_addv4: %s\n",
		    strerror(error));
		pthread_mutex_lock(&lf->lf_lock);
		lf->lf_attached = 0;
		pthread_mutex_unlock(&lf->lf_lock);
		return error;
	}
	if ((error = ipf_addv6(&ipflog_v6_filter, &lf->lf_v6)) != 0) {
		fprintf(stderr, "ipfilter_log: ipf_addv6: %s\n",
		    strerror(error));
		pthread_mutex_lock(&lf->lf_lock);
		lf->lf_attached--;		/* the v6 one never was */
		pthread_mutex_unlock(&lf->lf_lock);
		(void)ipf_remove(lf->lf_v4);
		lf->lf_v4 = NULL;
		return error;
	}
	return 0;
}

/*
 * The kext's stop function: remove both filters, then wait until both
 * detach callbacks have run, for a callback may still be running on
 * another thread when ipf_remove() returns.  A kext's stop routine would
 * return EBUSY (KERN_FAILURE) instead of waiting, and be asked again.
 */
static errno_t
ipfilter_log_stop(void)
{
	struct ipflog *lf = &ipflog;
	struct timespec deadline;
	errno_t error = 0, e;

	if (lf->lf_v4 != NULL && (e = ipf_remove(lf->lf_v4)) != 0) {
		fprintf(stderr, "ipfilter_log: ipf_remove v4: %s\n",
		    strerror(e));
		error = e;
	}
	if (lf->lf_v6 != NULL && (e = ipf_remove(lf->lf_v6)) != 0) {
		fprintf(stderr, "ipfilter_log: ipf_remove v6: %s\n",
		    strerror(e));
		error = e;
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += DETACH_WAIT;
	pthread_mutex_lock(&lf->lf_lock);
	while (lf->lf_attached > 0) {
		if (pthread_cond_timedwait(&lf->lf_cv, &lf->lf_lock,
		    &deadline) == ETIMEDOUT) {
			break;
		}
	}
	if (lf->lf_attached > 0) {
		fprintf(stderr, "ipfilter_log: %d filter%s not detached after "
		    "%d s\n", lf->lf_attached, lf->lf_attached > 1 ? "s" : "",
		    DETACH_WAIT);
		error = EBUSY;
	} else {
		lf->lf_v4 = lf->lf_v6 = NULL;
		printf("ipfilter_log: filters removed and detached\n");
	}
	pthread_mutex_unlock(&lf->lf_lock);
	return error;
}

/* The table, once the filters are detached (nothing writes it now). */
static void
print_flows(const struct ipflog *lf)
{
	char src[64], dst[64], proto[24];
	const struct flow *fl;
	int i;

	printf("ipfilter_log: %d flow%s", lf->lf_nflows,
	    lf->lf_nflows == 1 ? "" : "s");
	if (lf->lf_unrecorded != 0) {
		printf(", %" PRIu64 " packets of flows not recorded (table "
		    "full)", lf->lf_unrecorded);
	}
	if (lf->lf_other != 0) {
		printf(", %" PRIu64 " packets too short to tell",
		    lf->lf_other);
	}
	printf(":\n");
	if (lf->lf_nflows == 0) {
		return;
	}
	printf("  %-3s %-8s %-9s %-25s %-25s %8s %10s %7s\n", "dir", "if",
	    "proto", "source", "destination", "packets", "bytes", "blocked");
	for (i = 0; i < lf->lf_nflows; i++) {
		fl = &lf->lf_flows[i];
		end_name(&fl->fl_key, fl->fl_key.fk_src, fl->fl_key.fk_sport,
		    src, sizeof(src));
		end_name(&fl->fl_key, fl->fl_key.fk_dst, fl->fl_key.fk_dport,
		    dst, sizeof(dst));
		flow_proto(&fl->fl_key, proto, sizeof(proto));
		printf("  %-3s %-8s %-9s %-25s %-25s %8" PRIu64 " %10" PRIu64
		    " %7" PRIu64 "\n",
		    fl->fl_key.fk_dir == DIR_IN ? "in" : "out",
		    fl->fl_ifname[0] != '\0' ? fl->fl_ifname : "-", proto,
		    src, dst, fl->fl_packets, fl->fl_bytes, fl->fl_blocked);
	}
}

static void
print_stat(const char *name, uint64_t value, void *ctx)
{
	(void)ctx;
	if (strncmp(name, "ipf.", 4) == 0) {
		printf("  %s %" PRIu64 "\n", name, value);
	}
}

/* The run's end: a signal (taken by one thread with sigwait), or -t. */
static int run_signal;
static int run_done;
static pthread_mutex_t run_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t run_cv;

static void *
signal_thread(void *arg)
{
	sigset_t set;
	int sig;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigwait(&set, &sig) == 0) {
		pthread_mutex_lock(&run_lock);
		if (!run_done) {
			run_signal = sig;
		}
		run_done = 1;
		pthread_cond_broadcast(&run_cv);
		pthread_mutex_unlock(&run_lock);
	}
	return NULL;
}

static void
run_wait(unsigned long seconds)
{
	struct timespec deadline;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += (time_t)seconds;
	pthread_mutex_lock(&run_lock);
	while (!run_done) {
		if (seconds == 0) {
			pthread_cond_wait(&run_cv, &run_lock);
		} else if (pthread_cond_timedwait(&run_cv, &run_lock,
		    &deadline) == ETIMEDOUT) {
			break;
		}
	}
	run_done = 1;
	pthread_mutex_unlock(&run_lock);
}

/*
 * main() is the loader: it starts the library (xkpi_init(): the backend
 * of XKPI_BACKEND), calls the kext's start function, waits, calls its
 * stop function, and reports.
 */
int
main(int argc, char **argv)
{
	struct ipflog *lf = &ipflog;
	unsigned long seconds = 0;
	pthread_t sigthr;
	sigset_t set;
	errno_t error;
	int ch, i, rc = 0;

	while ((ch = getopt(argc, argv, "b:qt:")) != -1) {
		switch (ch) {
		case 'b':
			if (lf->lf_nblock == PORTS_MAX) {
				usage();
			}
			lf->lf_block[lf->lf_nblock] =
			    (uint16_t)number(optarg, 65535);
			if (lf->lf_block[lf->lf_nblock++] == 0) {
				usage();
			}
			break;
		case 'q':
			lf->lf_quiet = 1;
			break;
		case 't':
			seconds = number(optarg, TIME_MAX);
			break;
		default:
			usage();
		}
	}
	if (optind != argc) {
		usage();
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	pthread_mutex_init(&lf->lf_lock, NULL);
	if (cond_init_monotonic(&lf->lf_cv) != 0 ||
	    cond_init_monotonic(&run_cv) != 0) {
		fprintf(stderr, "ipfilter_log: pthread_cond_init failed\n");
		return 1;
	}
	for (i = 0; i < HASH_SIZE; i++) {
		lf->lf_hash[i] = -1;
	}

	/* Before the library starts its threads: they inherit the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if ((error = pthread_create(&sigthr, NULL, signal_thread, NULL)) !=
	    0) {
		fprintf(stderr, "ipfilter_log: pthread_create: %s\n",
		    strerror(error));
		return 1;
	}

	if ((error = xkpi_init(NULL)) != 0) {
		fprintf(stderr, "ipfilter_log: xkpi_init: %s\n",
		    strerror(error));
		rc = 1;
		goto out;
	}
	if (ipfilter_log_start() != 0) {
		rc = 1;
		goto out;
	}
	printf("ipfilter_log: ready, filters com.example.ipfilter_log "
	    "(IPv4, IPv6)");
	if (lf->lf_nblock > 0) {
		printf(", blocking port%s", lf->lf_nblock > 1 ? "s" : "");
		for (i = 0; i < lf->lf_nblock; i++) {
			printf(" %u", lf->lf_block[i]);
		}
	}
	printf("\n");

	run_wait(seconds);
	pthread_mutex_lock(&run_lock);
	if (run_signal != 0) {
		printf("ipfilter_log: %s\n", strsignal(run_signal));
	}
	pthread_mutex_unlock(&run_lock);

	if (ipfilter_log_stop() != 0) {
		rc = 1;
	} else {
		print_flows(lf);
	}
	printf("ipfilter_log: counters:\n");
	(void)xkpi_stats(print_stat, NULL);
out:
	xkpi_shutdown();
	/* Wake the signal thread if no signal came, then collect it. */
	pthread_mutex_lock(&run_lock);
	run_done = 1;
	pthread_mutex_unlock(&run_lock);
	pthread_kill(sigthr, SIGTERM);
	pthread_join(sigthr, NULL);
	pthread_cond_destroy(&run_cv);
	pthread_cond_destroy(&lf->lf_cv);
	pthread_mutex_destroy(&lf->lf_lock);
	return rc;
}
