/*
 * sendnd: the SeND socket end of tests/integration/send.sh, a daemon
 * that passes the host's Neighbor Discovery through unchanged, or drops
 * the incoming messages of chosen types, and reports what it saw.
 *
 *	sendnd [-d TYPE]... [-t SECONDS]
 *
 * Opens the SeND socket (PF_INET6, SOCK_RAW, IPPROTO_SEND), prints
 * "sendnd: ready", then for every message read prints one line
 *
 *	in 7 type 136 len 72: passed
 *
 * (direction, interface index, ICMPv6 type, length, and what became of
 * it: "passed" when written back, "dropped" when its type was named with
 * -d and it was incoming, "error N" when the write-back failed).
 * SIGUSR1 closes the socket ("sendnd: closed") and the program runs on,
 * the library and its queue still there; SIGTERM or SIGINT, or the time
 * of -t (default 60 s), end it with "sendnd: in N out N passed N dropped
 * N errors N" and the library's send.* counters ("stat send.in 3"; the
 * nfqueue backend's held ones too).  Exit status 0; 1 when a socket call
 * failed; 2 for a usage error.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip6.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <netinet6/send.h>
#include <sys/kpi_socket.h>
#include <xkpi.h>

#define MSG_MAX		9216

static volatile sig_atomic_t stop_sig, close_sig;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1) {
		close_sig = 1;
	} else {
		stop_sig = 1;
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: sendnd [-d TYPE]... [-t SECONDS]\n");
	exit(2);
}

/* The library's SeND and held-packet counters, "stat NAME VALUE". */
static void
print_stat(const char *name, uint64_t value, void *ctx)
{
	(void)ctx;
	if (strncmp(name, "send.", 5) == 0 ||
	    strncmp(name, "be.nfqueue.held", 15) == 0 ||
	    strcmp(name, "ip.verdict.late") == 0) {
		printf("stat %s %llu\n", name, (unsigned long long)value);
	}
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	static uint8_t buf[MSG_MAX];
	bool drop[256] = { false };
	struct sigaction sa;
	struct sockaddr_send from;
	struct timeval tv = { 0, 100000 };
	struct iovec iov;
	struct msghdr msg;
	unsigned long nin = 0, nout = 0, passed = 0, dropped = 0, errors = 0;
	double end, seconds = 60;
	socket_t so = NULL;
	size_t got, sent;
	errno_t error;
	int c;

	while ((c = getopt(argc, argv, "d:t:")) != -1) {
		switch (c) {
		case 'd':
			c = atoi(optarg);
			if (c < 0 || c > 255) {
				usage();
			}
			drop[c] = true;
			break;
		case 't':
			seconds = atof(optarg);
			break;
		default:
			usage();
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((error = xkpi_init(NULL)) != 0) {
		fprintf(stderr, "sendnd: xkpi_init: %s\n", strerror(error));
		return 1;
	}
	if ((error = sock_socket(PF_INET6, SOCK_RAW, IPPROTO_SEND, NULL, NULL,
	    &so)) != 0 || (error = sock_setsockopt(so, SOL_SOCKET,
	    SO_RCVTIMEO, &tv, sizeof(tv))) != 0) {
		fprintf(stderr, "sendnd: SeND socket: %s\n", strerror(error));
		xkpi_shutdown();
		return 1;
	}
	printf("sendnd: ready\n");
	end = now() + seconds;
	while (!stop_sig && now() < end) {
		int type = -1;

		if (close_sig && so != NULL) {
			sock_close(so);
			so = NULL;
			printf("sendnd: closed\n");
		}
		if (so == NULL) {
			usleep(100000);
			continue;
		}
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf);
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		if ((error = sock_receive(so, &msg, 0, &got)) != 0) {
			if (error == EWOULDBLOCK || error == EINTR) {
				continue;
			}
			fprintf(stderr, "sendnd: sock_receive: %s\n",
			    strerror(error));
			break;
		}
		if (got > sizeof(struct ip6_hdr) &&
		    ((struct ip6_hdr *)buf)->ip6_nxt == IPPROTO_ICMPV6) {
			type = buf[sizeof(struct ip6_hdr)];
		}
		if (from.send_direction == SND_IN) {
			nin++;
		} else {
			nout++;
		}
		printf("%s %d type %d len %zu: ",
		    from.send_direction == SND_IN ? "in" : "out",
		    from.send_ifidx, type, got);
		if (from.send_direction == SND_IN && type >= 0 && drop[type]) {
			dropped++;
			printf("dropped\n");
			continue;
		}
		/* Back the way it came: the same address. */
		iov.iov_len = got;
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		if ((error = sock_send(so, &msg, 0, &sent)) != 0) {
			errors++;
			printf("error %d\n", error);
		} else {
			passed++;
			printf("passed\n");
		}
	}
	if (so != NULL) {
		sock_close(so);
	}
	printf("sendnd: in %lu out %lu passed %lu dropped %lu errors %lu\n",
	    nin, nout, passed, dropped, errors);
	(void)xkpi_stats(print_stat, NULL);
	xkpi_shutdown();
	return 0;
}
