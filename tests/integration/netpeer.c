/*
 * netpeer: the plain-socket end of the divert and NAT tests (divert.sh,
 * examples/demo.sh): a host that knows nothing of xkpi, reporting what
 * its kernel's sockets saw.  No library: only the C library's sockets.
 *
 *	netpeer udp-serve PORT COUNT SECONDS
 *	    Echoes every datagram to 0.0.0.0:PORT back to its sender and
 *	    prints "from ADDR:PORT len N tos 0xTT" for each; ends after
 *	    COUNT datagrams (0: when the time is up) with "received N".
 *	netpeer udp-send ADDR PORT COUNT SECONDS
 *	    Sends COUNT datagrams of known content, one at a time, waits for
 *	    the echo of each, prints "echo from ADDR:PORT len N tos 0xTT"
 *	    for each and "sent N, echoed N, mismatches N".  Exit 0 when
 *	    every echo came back intact.
 *	netpeer udp-blast ADDR PORT COUNT
 *	    Sends COUNT datagrams and waits for nothing: "sent N".
 *	netpeer tcp-serve PORT FILE SECONDS
 *	    Accepts one connection on 0.0.0.0:PORT, prints "peer ADDR:PORT",
 *	    writes what it reads to FILE until the peer shuts down, prints
 *	    "received N bytes" and closes.
 *	netpeer tcp-send ADDR PORT FILE SECONDS
 *	    Connects, sends FILE, shuts down its side and waits for the
 *	    server to close: "sent N bytes".
 *
 * The servers print "ready" once they listen.  SECONDS bounds every
 * wait; the time running out is a failure (exit 1) but for udp-serve
 * with COUNT 0.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DGRAM_MAX	1400
#define CHUNK		65536

static void
usage(void)
{
	fprintf(stderr,
	    "usage: netpeer udp-serve PORT COUNT SECONDS\n"
	    "       netpeer udp-send ADDR PORT COUNT SECONDS\n"
	    "       netpeer udp-blast ADDR PORT COUNT\n"
	    "       netpeer tcp-serve PORT FILE SECONDS\n"
	    "       netpeer tcp-send ADDR PORT FILE SECONDS\n");
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
fail(const char *what)
{
	fprintf(stderr, "netpeer: %s: %s\n", what, strerror(errno));
	return 1;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for @fd to be readable until @deadline (ms): 1, 0 timed out. */
static int
wait_readable(int fd, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int64_t left;
	int rc;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0) {
			return 0;
		}
		rc = poll(&pfd, 1, (int)left);
		if (rc > 0) {
			return 1;
		}
		if (rc < 0 && errno != EINTR) {
			return 0;
		}
	}
}

static void
sin_make(struct sockaddr_in *sin, const char *addr, unsigned long port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	if (addr != NULL && inet_pton(AF_INET, addr, &sin->sin_addr) != 1) {
		usage();
	}
}

static const char *
sin_name(const struct sockaddr_in *sin, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
	snprintf(buf, len, "%s:%u", a, ntohs(sin->sin_port));
	return buf;
}

/* Receives one datagram with its source and its IP type of service. */
static ssize_t
recv_tos(int fd, void *buf, size_t len, struct sockaddr_in *from, int *tos)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg;
	struct cmsghdr *cm;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	msg.msg_name = from;
	msg.msg_namelen = sizeof(*from);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	if ((n = recvmsg(fd, &msg, 0)) < 0) {
		return n;
	}
	*tos = -1;
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_TOS) {
			*tos = *(unsigned char *)CMSG_DATA(cm);
		}
	}
	return n;
}

static int
udp_socket(void)
{
	int fd, on = 1;

	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0) {
		return -1;
	}
	(void)setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &on, sizeof(on));
	return fd;
}

/* Datagram i: 16 + i % 200 bytes of a pattern that depends on i. */
static size_t
dgram_fill(uint8_t *buf, unsigned long i)
{
	size_t len = 16 + i % 200, k;

	for (k = 0; k < len; k++) {
		buf[k] = (uint8_t)(i * 31 + k * 7);
	}
	return len;
}

static int
udp_serve(unsigned long port, unsigned long count, unsigned long seconds)
{
	uint8_t buf[DGRAM_MAX + 1];
	struct sockaddr_in sin, from;
	char name[32];
	unsigned long got = 0;
	int64_t deadline = now_ms() + (int64_t)seconds * 1000;
	ssize_t n;
	int fd, tos;

	if ((fd = udp_socket()) < 0) {
		return fail("socket");
	}
	sin_make(&sin, NULL, port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		return fail("bind");
	}
	printf("ready\n");
	fflush(stdout);
	while ((count == 0 || got < count) && wait_readable(fd, deadline)) {
		if ((n = recv_tos(fd, buf, sizeof(buf), &from, &tos)) < 0) {
			return fail("recvmsg");
		}
		got++;
		printf("from %s len %zd tos 0x%02x\n",
		    sin_name(&from, name, sizeof(name)), n, tos & 0xff);
		fflush(stdout);
		if (sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from,
		    sizeof(from)) < 0) {
			return fail("sendto");
		}
	}
	printf("received %lu\n", got);
	close(fd);
	return count == 0 || got == count ? 0 : 1;
}

static int
udp_send(const char *addr, unsigned long port, unsigned long count,
    unsigned long seconds, int wait)
{
	uint8_t out[DGRAM_MAX], in[DGRAM_MAX + 1];
	struct sockaddr_in to, from;
	unsigned long i, echoed = 0, bad = 0;
	int64_t deadline = now_ms() + (int64_t)seconds * 1000;
	char name[32];
	size_t len;
	ssize_t n;
	int fd, tos;

	if ((fd = udp_socket()) < 0) {
		return fail("socket");
	}
	sin_make(&to, addr, port);
	for (i = 0; i < count; i++) {
		len = dgram_fill(out, i);
		if (sendto(fd, out, len, 0, (struct sockaddr *)&to,
		    sizeof(to)) < 0) {
			return fail("sendto");
		}
		if (!wait) {
			continue;
		}
		if (!wait_readable(fd, deadline)) {
			fprintf(stderr, "netpeer: no echo for datagram %lu\n",
			    i);
			break;
		}
		if ((n = recv_tos(fd, in, sizeof(in), &from, &tos)) < 0) {
			return fail("recvmsg");
		}
		printf("echo from %s len %zd tos 0x%02x\n",
		    sin_name(&from, name, sizeof(name)), n, tos & 0xff);
		echoed++;
		if ((size_t)n != len || memcmp(in, out, len) != 0) {
			bad++;
		}
	}
	close(fd);
	if (!wait) {
		printf("sent %lu\n", count);
		return 0;
	}
	printf("sent %lu, echoed %lu, mismatches %lu\n", i < count ? i + 1 :
	    count, echoed, bad);
	return echoed == count && bad == 0 ? 0 : 1;
}

static int
tcp_serve(unsigned long port, const char *file, unsigned long seconds)
{
	static uint8_t buf[CHUNK];
	struct sockaddr_in sin, peer;
	socklen_t plen = sizeof(peer);
	unsigned long long total = 0;
	int64_t deadline = now_ms() + (int64_t)seconds * 1000;
	char name[32];
	ssize_t n;
	int lfd, fd, out, on = 1;

	if ((out = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) {
		return fail(file);
	}
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) < 0) {
		return fail("socket");
	}
	(void)setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	sin_make(&sin, NULL, port);
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(lfd, 1) < 0) {
		return fail("bind/listen");
	}
	printf("ready\n");
	fflush(stdout);
	if (!wait_readable(lfd, deadline)) {
		fprintf(stderr, "netpeer: no connection in %lu s\n", seconds);
		return 1;
	}
	if ((fd = accept(lfd, (struct sockaddr *)&peer, &plen)) < 0) {
		return fail("accept");
	}
	close(lfd);
	printf("peer %s\n", sin_name(&peer, name, sizeof(name)));
	fflush(stdout);
	for (;;) {
		if (!wait_readable(fd, deadline)) {
			fprintf(stderr, "netpeer: stream not ended after %llu "
			    "bytes\n", total);
			return 1;
		}
		if ((n = read(fd, buf, sizeof(buf))) < 0) {
			return fail("read");
		}
		if (n == 0) {
			break;
		}
		if (write(out, buf, (size_t)n) != n) {
			return fail("write");
		}
		total += (unsigned long long)n;
	}
	close(fd);
	close(out);
	printf("received %llu bytes\n", total);
	return 0;
}

static int
tcp_send(const char *addr, unsigned long port, const char *file,
    unsigned long seconds)
{
	static uint8_t buf[CHUNK];
	struct sockaddr_in to;
	struct timeval tv = { .tv_sec = (time_t)seconds };
	unsigned long long total = 0;
	int64_t deadline = now_ms() + (int64_t)seconds * 1000;
	ssize_t n, w, off;
	int fd, in;

	if ((in = open(file, O_RDONLY)) < 0) {
		return fail(file);
	}
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0) {
		return fail("socket");
	}
	/* Bounds connect and every blocked write. */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	sin_make(&to, addr, port);
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		return fail("connect");
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		for (off = 0; off < n; off += w) {
			if ((w = write(fd, buf + off, (size_t)(n - off))) < 0) {
				return fail("write");
			}
		}
		total += (unsigned long long)n;
	}
	if (n < 0) {
		return fail("read");
	}
	close(in);
	shutdown(fd, SHUT_WR);
	/* The server closes once it has read everything. */
	if (!wait_readable(fd, deadline) || read(fd, buf, 1) != 0) {
		fprintf(stderr, "netpeer: the server did not close\n");
		return 1;
	}
	close(fd);
	printf("sent %llu bytes\n", total);
	return 0;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && strcmp(argv[1], "udp-serve") == 0) {
		return udp_serve(number(argv[2], 65535),
		    number(argv[3], 1000000), number(argv[4], 3600));
	}
	if (argc == 6 && strcmp(argv[1], "udp-send") == 0) {
		return udp_send(argv[2], number(argv[3], 65535),
		    number(argv[4], 1000000), number(argv[5], 3600), 1);
	}
	if (argc == 5 && strcmp(argv[1], "udp-blast") == 0) {
		return udp_send(argv[2], number(argv[3], 65535),
		    number(argv[4], 1000000), 0, 0);
	}
	if (argc == 5 && strcmp(argv[1], "tcp-serve") == 0) {
		return tcp_serve(number(argv[2], 65535), argv[3],
		    number(argv[4], 3600));
	}
	if (argc == 6 && strcmp(argv[1], "tcp-send") == 0) {
		return tcp_send(argv[2], number(argv[3], 65535), argv[4],
		    number(argv[5], 3600));
	}
	usage();
	return 2;
}
