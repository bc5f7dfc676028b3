/*
 * xkpi example: divert_tap, the divapp of FreeBSD's divert(4) tests
 * written the way a kext or a BSD daemon writes it: divert sockets whose
 * read upcall drains them as mbuf chains, prints each packet and writes
 * it back (or eats it).  Uses the public headers only.
 *
 *	divert_tap [-eq] [-c count] [-r rule]... [-T tos] [-t seconds]
 *	    port [port ...]
 *
 * Binds a divert socket to each port, then adds each rule (-r, as
 * xkpi_fw_add() reads it; the rules of XKPI_FW are there already), so
 * that nothing is diverted to a port before its socket is there.  Every
 * packet read is printed on one line:
 *
 *	[8668] in xka0 10.202.0.1 cookie 100: udp 10.202.0.2:40000 >
 *	    10.202.0.1:7000 len 60 tos 0x00: reinjected
 *
 * the port that read it, the direction (sin_addr 0.0.0.0 is outgoing,
 * any other address is the receiving interface's), the interface name
 * from sin_zero ("-" when there is none), the cookie (the diverting
 * rule's number, stored raw in sin_port) and a summary of the packet,
 * then what became of it:
 *   - by default it is written back unchanged, with the address it was
 *     read with, so the rule table resumes after the cookie's rule;
 *   - -T tos sets the IP type-of-service byte first (the IP checksum is
 *     fixed incrementally, RFC 1624), to show a changed packet going on;
 *   - -e eats it: it is freed, and leaves the path for good.
 * A `tee` rule gives the socket a copy while the packet itself goes on:
 * run with -e, or every tee'd packet is sent twice.
 *
 * The program ends after count packets (-c, 0 for no limit), after the
 * time (-t, 0 for none) or on SIGINT, SIGTERM or SIGHUP, and prints what
 * it saw, the rule table with its counters and the library's divert
 * counters.  Before it closes its sockets it empties the rule table, so
 * that nothing more is diverted to them.
 *
 * Divert sockets need root and a backend that intercepts packets:
 * XKPI_BACKEND=nfqueue on the host's traffic (with NFQUEUE rules that
 * send it there, see the README), or mem in a test.  For example:
 *
 *	iptables -A INPUT -m mark ! --mark 0x786b -j NFQUEUE \
 *	    --queue-num 0 --queue-bypass	 (and the same for OUTPUT)
 *	XKPI_BACKEND=nfqueue divert_tap -r "divert 8668 icmp from any \
 *	    to any" 8668
 *
 * Exit status: 0, 1 when a socket call failed, 2 for a usage error.
 *
 *	cc divert_tap.c $(pkg-config --cflags --libs xkpi)
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

#define PORTS_MAX	16
#define RULES_MAX	32
#define COUNT_MAX	100000000UL
#define TIME_MAX	86400UL
#define DRAIN_MAX	4096		/* receives per upcall: a bound */
#define RECV_ALL	1000000000	/* "all", for sock_receivembuf */
#define HDR_MAX		(60 + 20)	/* IP header and options, TCP */
#define DESC_MAX	256

struct tap;

/* One divert socket; its upcall's cookie. */
struct tap_port {
	struct tap	*tp_tap;
	socket_t	 tp_so;
	uint16_t	 tp_port;	/* host order */
};

struct tap {
	pthread_mutex_t	 t_lock;
	pthread_cond_t	 t_cv;
	int		 t_eat;		/* -e */
	int		 t_tos;		/* -T, or -1 */
	int		 t_quiet;	/* -q: no line per packet */
	unsigned long	 t_limit;	/* -c, 0: none */
	/* Under t_lock: */
	unsigned long	 t_packets;
	unsigned long	 t_in;
	unsigned long	 t_out;
	unsigned long	 t_reinjected;
	unsigned long	 t_eaten;
	unsigned long	 t_errors;	/* write-back failures */
	errno_t		 t_error;	/* receive error: run ends */
	int		 t_signal;	/* the signal that ended the run */
	int		 t_done;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: divert_tap [-eq] [-c count] [-r rule]... [-T tos] "
	    "[-t seconds]\n"
	    "           port [port ...]\n");
	exit(2);
}

static unsigned long
number(const char *arg, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 0);
	if (errno != 0 || end == arg || *end != '\0' || v > max) {
		usage();
	}
	return v;
}

static int
fail(const char *what, errno_t error)
{
	fprintf(stderr, "divert_tap: %s: %s\n", what, strerror(error));
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

/* -T: the type of service, and the header checksum to match. */
static void
set_tos(mbuf_t m, uint8_t *hdr, uint8_t tos)
{
	uint16_t old, new, sum;

	memcpy(&old, hdr, 2);		/* version, header length, tos */
	hdr[1] = tos;
	memcpy(&new, hdr, 2);
	memcpy(&sum, hdr + 10, 2);
	sum = cksum_adjust(sum, old, new);
	memcpy(hdr + 10, &sum, 2);
	(void)mbuf_copyback(m, 0, 12, hdr, MBUF_DONTWAIT);
}

/*
 * One line for a packet: protocol, addresses, ports (ICMP type, code and
 * echo identifier), IP length and type of service.  @hdr holds the first
 * @n bytes of it.
 */
static void
describe(const uint8_t *hdr, size_t n, char *buf, size_t len)
{
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
	const uint8_t *l4;
	struct ip ip;
	size_t hlen, l4len;
	uint16_t sport, dport, off;
	int frag;

	if (n < sizeof(ip)) {
		snprintf(buf, len, "short packet, %zu bytes", n);
		return;
	}
	memcpy(&ip, hdr, sizeof(ip));
	hlen = (size_t)ip.ip_hl << 2;
	if (ip.ip_v != IPVERSION || hlen < sizeof(ip) || hlen > n) {
		snprintf(buf, len, "not an IPv4 header (version %u, length "
		    "%zu)", ip.ip_v, hlen);
		return;
	}
	inet_ntop(AF_INET, &ip.ip_src, src, sizeof(src));
	inet_ntop(AF_INET, &ip.ip_dst, dst, sizeof(dst));
	off = ntohs(ip.ip_off);	/* network order on divert sockets */
	frag = (off & IP_OFFMASK) != 0;
	l4 = hdr + hlen;
	l4len = n - hlen;
	if (!frag && ip.ip_p == IPPROTO_ICMP && l4len >= 8) {
		memcpy(&sport, l4 + 4, 2);
		snprintf(buf, len, "icmp %s > %s type %u code %u id %u",
		    src, dst, l4[0], l4[1], ntohs(sport));
	} else if (!frag && (ip.ip_p == IPPROTO_TCP ||
	    ip.ip_p == IPPROTO_UDP) && l4len >= 4) {
		memcpy(&sport, l4, 2);
		memcpy(&dport, l4 + 2, 2);
		snprintf(buf, len, "%s %s:%u > %s:%u",
		    ip.ip_p == IPPROTO_TCP ? "tcp" : "udp", src, ntohs(sport),
		    dst, ntohs(dport));
	} else {
		snprintf(buf, len, "proto %u %s > %s", ip.ip_p, src, dst);
	}
	n = strlen(buf);
	snprintf(buf + n, len - n, " len %u tos 0x%02x%s", ntohs(ip.ip_len),
	    ip.ip_tos, (off & (IP_MF | IP_OFFMASK)) != 0 ? " fragment" : "");
}

/*
 * One packet read from a divert socket: describe it, then write it back
 * with the address it came with, or eat it.  The chain is consumed.
 */
static void
tap_packet(struct tap_port *tp, mbuf_t m, const struct sockaddr_in *from)
{
	struct tap *t = tp->tp_tap;
	char what[DESC_MAX], ifname[sizeof(from->sin_zero) + 1];
	char addr[INET_ADDRSTRLEN], result[64];
	uint8_t hdr[HDR_MAX];
	struct msghdr msg;
	size_t n, sent;
	errno_t error = 0;
	int incoming;

	n = mbuf_pkthdr_len(m);
	if (n > sizeof(hdr)) {
		n = sizeof(hdr);
	}
	if (mbuf_copydata(m, 0, n, hdr) != 0) {
		n = 0;
	}
	describe(hdr, n, what, sizeof(what));
	incoming = from->sin_addr.s_addr != INADDR_ANY;
	memcpy(ifname, from->sin_zero, sizeof(from->sin_zero));
	ifname[sizeof(from->sin_zero)] = '\0';
	inet_ntop(AF_INET, &from->sin_addr, addr, sizeof(addr));

	if (t->t_eat) {
		mbuf_freem(m);
		snprintf(result, sizeof(result), "eaten");
	} else {
		if (t->t_tos >= 0 && n >= sizeof(struct ip)) {
			set_tos(m, hdr, (uint8_t)t->t_tos);
		}
		/* Back where it was: the address as read, cookie and all. */
		memset(&msg, 0, sizeof(msg));
		msg.msg_name = (void *)(uintptr_t)from;
		msg.msg_namelen = sizeof(*from);
		error = sock_sendmbuf(tp->tp_so, &msg, m, 0, &sent);
		if (error != 0) {
			snprintf(result, sizeof(result), "write back failed: "
			    "%s", strerror(error));
		} else if (t->t_tos >= 0) {
			snprintf(result, sizeof(result),
			    "reinjected tos 0x%02x", t->t_tos);
		} else {
			snprintf(result, sizeof(result), "reinjected");
		}
	}
	if (!t->t_quiet) {
		printf("[%u] %s %s%s%s cookie %u: %s: %s\n", tp->tp_port,
		    incoming ? "in" : "out", ifname[0] != '\0' ? ifname : "-",
		    incoming ? " " : "", incoming ? addr : "",
		    from->sin_port, what, result);
		fflush(stdout);
	}

	pthread_mutex_lock(&t->t_lock);
	t->t_packets++;
	if (incoming) {
		t->t_in++;
	} else {
		t->t_out++;
	}
	if (t->t_eat) {
		t->t_eaten++;
	} else if (error != 0) {
		t->t_errors++;
	} else {
		t->t_reinjected++;
	}
	if (t->t_limit != 0 && t->t_packets >= t->t_limit) {
		t->t_done = 1;
		pthread_cond_broadcast(&t->t_cv);
	}
	pthread_mutex_unlock(&t->t_lock);
}

/*
 * The read upcall.  It is only a hint: receive with MSG_DONTWAIT until
 * EWOULDBLOCK.  Nothing here blocks; a packet that cannot be written
 * back is counted, and the library drops it.
 */
static void
tap_upcall(socket_t so, void *cookie, int waitf)
{
	struct tap_port *tp = cookie;
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
			pthread_mutex_lock(&tp->tp_tap->t_lock);
			if (!tp->tp_tap->t_done) {
				tp->tp_tap->t_error = error;
				tp->tp_tap->t_done = 1;
				pthread_cond_broadcast(&tp->tp_tap->t_cv);
			}
			pthread_mutex_unlock(&tp->tp_tap->t_lock);
			break;
		}
		if (m != NULL) {
			tap_packet(tp, m, &from);
		}
	}
}

/*
 * Signals end the run: one thread takes them with sigwait, so that the
 * others (the library's included) never see them.
 */
static void *
signal_thread(void *arg)
{
	struct tap *t = arg;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigwait(&set, &sig) == 0) {
		pthread_mutex_lock(&t->t_lock);
		if (!t->t_done) {
			t->t_signal = sig;
		}
		t->t_done = 1;
		pthread_cond_broadcast(&t->t_cv);
		pthread_mutex_unlock(&t->t_lock);
	}
	return NULL;
}

static void
print_rule(unsigned int num, const char *text, uint64_t packets,
    uint64_t bytes, void *ctx)
{
	(void)ctx;
	printf("  %05u %10llu %12llu %s\n", num, (unsigned long long)packets,
	    (unsigned long long)bytes, text);
}

static void
print_stat(const char *name, uint64_t value, void *ctx)
{
	(void)ctx;
	if (strncmp(name, "div.", 4) == 0) {
		printf("  %s %llu\n", name, (unsigned long long)value);
	}
}

/* Waits until the run ends: count, time, signal or error. */
static void
tap_wait(struct tap *t, unsigned long seconds)
{
	struct timespec deadline;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += (time_t)seconds;
	pthread_mutex_lock(&t->t_lock);
	while (!t->t_done) {
		if (seconds == 0) {
			pthread_cond_wait(&t->t_cv, &t->t_lock);
		} else if (pthread_cond_timedwait(&t->t_cv, &t->t_lock,
		    &deadline) == ETIMEDOUT) {
			break;
		}
	}
	t->t_done = 1;
	pthread_mutex_unlock(&t->t_lock);
}

int
main(int argc, char **argv)
{
	static struct tap_port ports[PORTS_MAX];
	const char *rules[RULES_MAX];
	unsigned long seconds = 0;
	struct sockaddr_in sin;
	pthread_t sigthr;
	sigset_t set;
	struct tap t;
	errno_t error;
	int ch, i, nports, nrules = 0, rc = 0;

	memset(&t, 0, sizeof(t));
	t.t_tos = -1;
	while ((ch = getopt(argc, argv, "c:eqr:T:t:")) != -1) {
		switch (ch) {
		case 'c':
			t.t_limit = number(optarg, COUNT_MAX);
			break;
		case 'e':
			t.t_eat = 1;
			break;
		case 'q':
			t.t_quiet = 1;
			break;
		case 'r':
			if (nrules == RULES_MAX) {
				usage();
			}
			rules[nrules++] = optarg;
			break;
		case 'T':
			t.t_tos = (int)number(optarg, 255);
			break;
		case 't':
			seconds = number(optarg, TIME_MAX);
			break;
		default:
			usage();
		}
	}
	nports = argc - optind;
	if (nports < 1 || nports > PORTS_MAX) {
		usage();
	}
	for (i = 0; i < nports; i++) {
		ports[i].tp_tap = &t;
		ports[i].tp_port = (uint16_t)number(argv[optind + i], 65535);
		if (ports[i].tp_port == 0) {
			usage();
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	pthread_mutex_init(&t.t_lock, NULL);
	if (cond_init_monotonic(&t.t_cv) != 0) {
		return fail("pthread_cond_init", ENOMEM);
	}

	/* Before the library starts its threads: they inherit the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if ((error = pthread_create(&sigthr, NULL, signal_thread, &t)) != 0) {
		return fail("pthread_create", error);
	}

	/* The backend of XKPI_BACKEND, the rules of XKPI_FW. */
	if ((error = xkpi_init(NULL)) != 0) {
		rc = fail("xkpi_init", error);
		goto out;
	}
	for (i = 0; i < nports; i++) {
		error = sock_socket(PF_INET, SOCK_RAW, IPPROTO_DIVERT,
		    tap_upcall, &ports[i], &ports[i].tp_so);
		if (error != 0) {
			rc = fail("sock_socket", error);
			goto out;
		}
		/* Only the port counts; the address is INADDR_ANY. */
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(ports[i].tp_port);
		if ((error = sock_bind(ports[i].tp_so,
		    (struct sockaddr *)&sin)) != 0) {
			fprintf(stderr, "divert_tap: port %u: ",
			    ports[i].tp_port);
			rc = fail("sock_bind", error);
			goto out;
		}
	}
	/* The rules last: no packet is diverted to a port not bound yet. */
	for (i = 0; i < nrules; i++) {
		if ((error = xkpi_fw_add(rules[i])) != 0) {
			fprintf(stderr, "divert_tap: rule \"%s\": ", rules[i]);
			rc = fail("xkpi_fw_add", error);
			goto out;
		}
	}
	printf("divert_tap: ready, divert port%s", nports > 1 ? "s" : "");
	for (i = 0; i < nports; i++) {
		printf(" %u", ports[i].tp_port);
	}
	printf("%s%s\n", t.t_eat ? ", eating" : "",
	    t.t_tos >= 0 ? ", setting tos" : "");

	tap_wait(&t, seconds);

out:
	pthread_mutex_lock(&t.t_lock);
	t.t_done = 1;
	pthread_mutex_unlock(&t.t_lock);
	if (rc == 0) {
		printf("divert_tap: rules:\n");
		(void)xkpi_fw_list(print_rule, NULL);
	}
	/* Nothing more diverted to the sockets, then close them. */
	(void)xkpi_fw_flush();
	for (i = 0; i < nports; i++) {
		if (ports[i].tp_so != NULL) {
			sock_close(ports[i].tp_so);
		}
	}
	if (rc == 0) {
		pthread_mutex_lock(&t.t_lock);
		if (t.t_error != 0) {
			rc = fail("sock_receivembuf", t.t_error);
		}
		if (t.t_signal != 0) {
			printf("divert_tap: %s\n", strsignal(t.t_signal));
		}
		printf("divert_tap: %lu packets (in %lu, out %lu): reinjected "
		    "%lu, eaten %lu, write errors %lu\n", t.t_packets, t.t_in,
		    t.t_out, t.t_reinjected, t.t_eaten, t.t_errors);
		pthread_mutex_unlock(&t.t_lock);
		printf("divert_tap: counters:\n");
		(void)xkpi_stats(print_stat, NULL);
	}
	xkpi_shutdown();
	/* Wake the signal thread if no signal came, then collect it. */
	pthread_kill(sigthr, SIGTERM);
	pthread_join(sigthr, NULL);
	pthread_cond_destroy(&t.t_cv);
	pthread_mutex_destroy(&t.t_lock);
	return rc;
}
