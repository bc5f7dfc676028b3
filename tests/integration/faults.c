/*
 * faults: the host backends under faults, across a veth pair between two
 * network namespaces.  tests/integration/faults.sh runs the modes; each
 * mode is one side of one exchange.
 *
 * In the library's namespace (XKPI_BACKEND, XKPI_IFACES set):
 *
 *	faults probe
 *	faults recv PROTO SECONDS
 *	faults send DST PROTO COUNT shutdown|exit
 *	faults unreach DST PROTO SECONDS
 *
 * In the peer's namespace, with the host's own sockets (no library):
 *
 *	faults blast DST PROTO COUNT
 *	faults sniff SRC PROTO COUNT SECONDS
 *
 * recv opens a KPI raw IPv4 socket of PROTO, prints "ready pid=PID", then
 * "rx N" each time a datagram arrives, until SIGTERM or SECONDS; then its
 * counters ("stat NAME VALUE", the non-zero ones) and "cpu_ms N", its
 * CPU time.  The script reads /proc/PID/stat meanwhile.
 *
 * send sends COUNT datagrams of PROTO to DST through the library, then
 * either calls xkpi_shutdown() (the library's log lines are printed as
 * "log ...") or calls exit() at once.  Either way its counters come out
 * after the library is done with the packets: before xkpi_shutdown(),
 * and from an atexit handler registered before the library started
 * (so it runs after any exit handler of the library).
 *
 * unreach sends one datagram of PROTO to DST (a neighbour that never
 * answers) every 100 ms for SECONDS or until a send fails, then waits
 * until the library has settled what it held, and prints each send's
 * result ("send 0", "send EHOSTUNREACH") and the counters.
 *
 * blast sends COUNT datagrams with a plain raw socket; sniff counts the
 * datagrams of PROTO from SRC it receives, prints "ready", and at the end
 * "got N" (after COUNT, or SECONDS, or 2 s without one after the first).
 *
 * Exit status: 0 when the mode ran (the script judges the numbers), 2 for
 * a usage or setup error, 77 when this build has no such backend.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sys/kpi_socket.h>
#include <xkpi.h>

#define EXIT_SKIP	77
#define PAYLOAD		64
#define RCVBUF		(4 * 1024 * 1024)
#define DRAIN_MAX	4096	/* receives per upcall, a safety bound */

static volatile sig_atomic_t stop;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int rx_count;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: faults probe\n"
	    "       faults recv PROTO SECONDS\n"
	    "       faults send DST PROTO COUNT shutdown|exit\n"
	    "       faults unreach DST PROTO SECONDS\n"
	    "       faults blast DST PROTO COUNT\n"
	    "       faults sniff SRC PROTO COUNT SECONDS\n");
	exit(2);
}

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "faults: ");
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

static struct sockaddr_in
addr4(const char *s)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	if (inet_pton(AF_INET, s, &sin.sin_addr) != 1) {
		die("%s: not an IPv4 address", s);
	}
	return sin;
}

static void
sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !stop) {
		continue;
	}
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000L;
}

static long
cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
	    (long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void
stat_print(const char *name, uint64_t value, void *ctx)
{
	(void)ctx;
	if (value != 0) {
		printf("stat %s %llu\n", name, (unsigned long long)value);
	}
}

static void
stats_print(void)
{
	(void)xkpi_stats(stat_print, NULL);
	fflush(stdout);
}

static void
log_print(int level, const char *msg, void *ctx)
{
	(void)level;
	(void)ctx;
	printf("log %s\n", msg);
	fflush(stdout);
}

/* Starts the library from the environment; exits 77 without the backend. */
static void
lib_start(void)
{
	const char *be = getenv("XKPI_BACKEND");
	errno_t error;

	if ((error = xkpi_init(NULL)) == ENOTSUP) {
		printf("faults: backend %s not built\n", be ? be : "(default)");
		exit(EXIT_SKIP);
	}
	if (error != 0) {
		die("xkpi_init (backend %s): %s", be ? be : "(default)",
		    strerror(error));
	}
}

static socket_t
kpi_raw(int proto, sock_upcall cb)
{
	socket_t so = NULL;
	int rcvbuf = 256 * 1024;
	errno_t error;

	if ((error = sock_socket(PF_INET, SOCK_RAW, proto, cb, NULL, &so)) !=
	    0) {
		die("sock_socket(SOCK_RAW, %d): %s", proto, strerror(error));
	}
	(void)sock_setsockopt(so, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
	    sizeof(rcvbuf));
	return so;
}

static errno_t
kpi_send(socket_t so, const struct sockaddr_in *dst, unsigned int seq)
{
	uint8_t buf[PAYLOAD];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr msg;
	size_t sent = 0;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, "XKFT", 4);
	buf[4] = (uint8_t)(seq >> 8);
	buf[5] = (uint8_t)seq;
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = (void *)(uintptr_t)dst;
	msg.msg_namelen = sizeof(*dst);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	return sock_send(so, &msg, 0, &sent);
}

static int
run_probe(void)
{
	lib_start();
	xkpi_shutdown();
	return 0;
}

/* The read upcall: count and drain until EWOULDBLOCK. */
static void
recv_upcall(socket_t so, void *cookie, int waitf)
{
	uint8_t buf[2048];
	struct msghdr msg;
	struct iovec iov;
	size_t n;

	(void)cookie;
	(void)waitf;
	for (int i = 0; i < DRAIN_MAX; i++) {
		unsigned int c;

		memset(&msg, 0, sizeof(msg));
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		n = 0;
		if (sock_receive(so, &msg, MSG_DONTWAIT, &n) != 0) {
			break;
		}
		pthread_mutex_lock(&lock);
		c = ++rx_count;
		pthread_mutex_unlock(&lock);
		printf("rx %u\n", c);
		fflush(stdout);
	}
}

static int
run_recv(int argc, char **argv)
{
	struct sigaction sa;
	unsigned long seconds;
	int proto;
	int64_t end;
	socket_t so;

	if (argc != 4) {
		usage();
	}
	proto = (int)number(argv[2], 255);
	seconds = number(argv[3], 3600);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	lib_start();
	so = kpi_raw(proto, recv_upcall);
	printf("ready pid=%d\n", (int)getpid());
	fflush(stdout);
	end = now_ms() + (int64_t)seconds * 1000;
	while (!stop && now_ms() < end) {
		sleep_ms(50);
	}
	stats_print();
	printf("cpu_ms %ld\n", cpu_ms());
	fflush(stdout);
	sock_close(so);
	xkpi_shutdown();
	return 0;
}

static void
exit_report(void)
{
	printf("after exit hooks\n");
	stats_print();
}

static int
run_send(int argc, char **argv)
{
	struct sockaddr_in dst;
	unsigned int count, ok = 0, failed = 0;
	bool at_exit;
	socket_t so;
	int proto;

	if (argc != 6) {
		usage();
	}
	dst = addr4(argv[2]);
	proto = (int)number(argv[3], 255);
	count = (unsigned int)number(argv[4], 100000);
	if (strcmp(argv[5], "exit") == 0) {
		at_exit = true;
	} else if (strcmp(argv[5], "shutdown") == 0) {
		at_exit = false;
	} else {
		usage();
	}
	xkpi_set_log_hook(log_print, NULL);
	/* Before the library's own: it runs after them. */
	if (at_exit && atexit(exit_report) != 0) {
		die("atexit failed");
	}
	lib_start();
	so = kpi_raw(proto, NULL);
	for (unsigned int i = 0; i < count; i++) {
		errno_t error = kpi_send(so, &dst, i);

		if (error == 0) {
			ok++;
		} else {
			failed++;
			printf("send %u: %s\n", i, strerror(error));
		}
	}
	printf("sent ok=%u failed=%u\n", ok, failed);
	fflush(stdout);
	if (at_exit) {
		exit(0);
	}
	sock_close(so);
	stats_print();
	xkpi_shutdown();
	printf("shutdown done\n");
	return 0;
}

static int
run_unreach(int argc, char **argv)
{
	struct sockaddr_in dst;
	unsigned long seconds;
	int proto;
	int64_t end;
	socket_t so;
	errno_t error = 0;

	if (argc != 5) {
		usage();
	}
	dst = addr4(argv[2]);
	proto = (int)number(argv[3], 255);
	seconds = number(argv[4], 3600);
	xkpi_set_log_hook(log_print, NULL);
	lib_start();
	so = kpi_raw(proto, NULL);
	end = now_ms() + (int64_t)seconds * 1000;
	for (unsigned int i = 0; now_ms() < end && error == 0; i++) {
		error = kpi_send(so, &dst, i);
		printf("send %s\n", error == 0 ? "0" : error == EHOSTUNREACH ?
		    "EHOSTUNREACH" : strerror(error));
		fflush(stdout);
		sleep_ms(100);
	}
	/* What was held has its life (3 s) to end, counted. */
	sleep_ms(4000);
	stats_print();
	sock_close(so);
	xkpi_shutdown();
	return 0;
}

static int
host_raw(int proto)
{
	int fd, size = RCVBUF;

	if ((fd = socket(AF_INET, SOCK_RAW, proto)) < 0) {
		die("socket(SOCK_RAW, %d): %s", proto, strerror(errno));
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
	    sizeof(size)) != 0) {
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size,
		    sizeof(size));
	}
	return fd;
}

static int
run_blast(int argc, char **argv)
{
	struct sockaddr_in dst;
	uint8_t buf[PAYLOAD];
	unsigned int count;
	int fd, proto;

	if (argc != 5) {
		usage();
	}
	dst = addr4(argv[2]);
	proto = (int)number(argv[3], 255);
	count = (unsigned int)number(argv[4], 100000);
	fd = host_raw(proto);
	memset(buf, 0, sizeof(buf));
	memcpy(buf, "XKFT", 4);
	for (unsigned int i = 0; i < count; i++) {
		buf[4] = (uint8_t)(i >> 8);
		buf[5] = (uint8_t)i;
		if (sendto(fd, buf, sizeof(buf), 0, (struct sockaddr *)&dst,
		    sizeof(dst)) != (ssize_t)sizeof(buf)) {
			die("sendto: %s", strerror(errno));
		}
		if (i % 10 == 9) {
			sleep_ms(5);
		}
	}
	close(fd);
	return 0;
}

static int
run_sniff(int argc, char **argv)
{
	struct sockaddr_in src;
	unsigned int count, got = 0;
	unsigned long seconds;
	int64_t end, last = 0;
	int fd, proto;

	if (argc != 6) {
		usage();
	}
	src = addr4(argv[2]);
	proto = (int)number(argv[3], 255);
	count = (unsigned int)number(argv[4], 100000);
	seconds = number(argv[5], 3600);
	fd = host_raw(proto);
	printf("ready\n");
	fflush(stdout);
	end = now_ms() + (int64_t)seconds * 1000;
	while (got < count && now_ms() < end &&
	    (last == 0 || now_ms() - last < 2000)) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		uint8_t buf[2048];
		struct ip *ip = (struct ip *)buf;
		ssize_t n;

		if (poll(&pfd, 1, 100) <= 0) {
			continue;
		}
		while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
			if ((size_t)n >= sizeof(*ip) + 4 &&
			    ip->ip_src.s_addr == src.sin_addr.s_addr &&
			    memcmp(buf + ip->ip_hl * 4, "XKFT", 4) == 0) {
				got++;
				last = now_ms();
			}
		}
	}
	printf("got %u\n", got);
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage();
	}
	if (strcmp(argv[1], "probe") == 0) {
		return run_probe();
	}
	if (strcmp(argv[1], "recv") == 0) {
		return run_recv(argc, argv);
	}
	if (strcmp(argv[1], "send") == 0) {
		return run_send(argc, argv);
	}
	if (strcmp(argv[1], "unreach") == 0) {
		return run_unreach(argc, argv);
	}
	if (strcmp(argv[1], "blast") == 0) {
		return run_blast(argc, argv);
	}
	if (strcmp(argv[1], "sniff") == 0) {
		return run_sniff(argc, argv);
	}
	usage();
	return 2;
}
