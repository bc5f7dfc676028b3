/*
 * xkpi example: a TCP client written the way a kext writes one: a
 * non-blocking connect finished with sock_connectwait, connection events
 * caught with sock_catchevents, and a file streamed as mbuf chains with
 * sock_sendmbuf.  Uses the public headers only.
 *
 *	tcp_stream [-p port] [-t seconds] file
 *
 * Connects to 127.0.0.1:port, sends the file in 64 KB pieces, shuts the
 * sending side down and prints "sent N bytes, fnv1a 0x..." (tcp_sink
 * prints the same line for what it received).
 *
 *	cc tcp_stream.c $(pkg-config --cflags --libs xkpi)
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>
#include <xkpi.h>

#define PIECE		(64 * 1024)	/* bytes per chain */
#define CONNECT_WAITS	3		/* sock_connectwait calls of 5 s */
#define TIME_MAX	3600UL

#define FNV1A_BASIS	0xcbf29ce484222325ULL
#define FNV1A_PRIME	0x100000001b3ULL

#define EVENT_MASK							\
	(SO_FILT_HINT_CONNECTED | SO_FILT_HINT_DISCONNECTED |		\
	SO_FILT_HINT_CONNRESET | SO_FILT_HINT_CANTSENDMORE)

struct events {
	pthread_mutex_t	 ev_lock;
	pthread_cond_t	 ev_cv;
	uint32_t	 ev_seen;	/* every bit delivered so far */
	unsigned	 ev_calls;
};

static const struct {
	uint32_t	 bit;
	const char	*name;
} hint_names[] = {
	{ SO_FILT_HINT_LOCKED, "LOCKED" },
	{ SO_FILT_HINT_CONNRESET, "CONNRESET" },
	{ SO_FILT_HINT_CANTRCVMORE, "CANTRCVMORE" },
	{ SO_FILT_HINT_CANTSENDMORE, "CANTSENDMORE" },
	{ SO_FILT_HINT_TIMEOUT, "TIMEOUT" },
	{ SO_FILT_HINT_CONNECTED, "CONNECTED" },
	{ SO_FILT_HINT_DISCONNECTED, "DISCONNECTED" },
	{ SO_FILT_HINT_CONNINFO_UPDATED, "CONNINFO_UPDATED" },
};

static void
usage(void)
{
	fprintf(stderr, "usage: tcp_stream [-p port] [-t seconds] file\n");
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
	fprintf(stderr, "tcp_stream: %s: %s\n", what, strerror(error));
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

static uint64_t
fnv1a(uint64_t h, const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= FNV1A_PRIME;
	}
	return h;
}

static const char *
hint_string(uint32_t event, char *buf, size_t size)
{
	size_t i, off = 0;
	uint32_t rest = event;

	buf[0] = '\0';
	for (i = 0; i < sizeof(hint_names) / sizeof(hint_names[0]); i++) {
		if ((event & hint_names[i].bit) != 0 && off < size) {
			off += (size_t)snprintf(buf + off, size - off, "%s%s",
			    off != 0 ? "|" : "", hint_names[i].name);
			rest &= ~hint_names[i].bit;
		}
	}
	if (rest != 0 && off < size) {
		snprintf(buf + off, size - off, "%s0x%x", off != 0 ? "|" : "",
		    rest);
	}
	if (event == 0) {
		snprintf(buf, size, "none");
	}
	return buf;
}

/*
 * The event callback runs on the library's loop thread.  It only
 * records and prints: the main thread decides what the events mean.
 */
static void
event_cb(socket_t so, void *cookie, uint32_t event)
{
	struct events *ev = cookie;
	char names[160];

	printf("tcp_stream: event %s\n",
	    hint_string(event, names, sizeof(names)));
	fflush(stdout);
	pthread_mutex_lock(&ev->ev_lock);
	ev->ev_seen |= event;
	ev->ev_calls++;
	pthread_cond_broadcast(&ev->ev_cv);
	pthread_mutex_unlock(&ev->ev_lock);
}

/* Waits, at most `seconds', for every bit of `want' to be delivered. */
static int
wait_events(struct events *ev, uint32_t want, time_t seconds)
{
	struct timespec deadline;
	int rc = 0, ok;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += seconds;
	pthread_mutex_lock(&ev->ev_lock);
	while ((ev->ev_seen & want) != want && rc != ETIMEDOUT) {
		rc = pthread_cond_timedwait(&ev->ev_cv, &ev->ev_lock,
		    &deadline);
	}
	ok = (ev->ev_seen & want) == want;
	pthread_mutex_unlock(&ev->ev_lock);
	return ok;
}

/*
 * One piece of the file as a packet: mbuf_allocpacket leaves every
 * length 0 and mbuf_copyback sets them, packet header included, which
 * is what sock_sendmbuf reads the length from.
 */
static errno_t
send_piece(socket_t so, const unsigned char *buf, size_t len)
{
	size_t sent = 0;
	errno_t error;
	mbuf_t m = NULL;

	error = mbuf_allocpacket(MBUF_WAITOK, len, NULL, &m);
	if (error != 0) {
		fail("mbuf_allocpacket", error);
		return error;
	}
	error = mbuf_copyback(m, 0, len, buf, MBUF_WAITOK);
	if (error == 0 && mbuf_pkthdr_len(m) != len) {
		fprintf(stderr, "tcp_stream: packet length %zu after copying "
		    "%zu bytes\n", mbuf_pkthdr_len(m), len);
		error = EIO;
	}
	if (error != 0) {
		mbuf_freem(m);
		fail("mbuf_copyback", error);
		return error;
	}
	/* Consumed whatever happens; blocks until the whole chain fits. */
	error = sock_sendmbuf(so, NULL, m, 0, &sent);
	if (error != 0) {
		fail("sock_sendmbuf", error);
		return error;
	}
	if (sent != len) {
		fprintf(stderr, "tcp_stream: sock_sendmbuf sent %zu of %zu "
		    "bytes\n", sent, len);
		return EIO;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned long port = 9999, seconds = 30;
	static unsigned char buf[PIECE];
	struct sockaddr_in sin;
	struct timespec start, now;
	struct timeval tv;
	struct events ev;
	struct stat st;
	uint64_t hash = FNV1A_BASIS, total = 0;
	unsigned long pieces, max_pieces;
	socket_t so = NULL;
	errno_t error;
	FILE *f;
	size_t n;
	int ch, i, sndbuf, status = 1;
	char names[160];

	while ((ch = getopt(argc, argv, "p:t:")) != -1) {
		switch (ch) {
		case 'p':
			port = number(optarg, 65535);
			if (port == 0) {
				usage();
			}
			break;
		case 't':
			seconds = number(optarg, TIME_MAX);
			if (seconds == 0) {
				usage();
			}
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1) {
		usage();
	}
	f = fopen(argv[optind], "rb");
	if (f == NULL || fstat(fileno(f), &st) != 0) {
		perror(argv[optind]);
		return 1;
	}
	/* The file's size bounds the send loop (plus one short read). */
	max_pieces = (unsigned long)(st.st_size / PIECE) + 2;

	memset(&ev, 0, sizeof(ev));
	pthread_mutex_init(&ev.ev_lock, NULL);
	if (cond_init_monotonic(&ev.ev_cv) != 0) {
		fclose(f);
		return fail("pthread_cond_init", ENOMEM);
	}

	error = sock_socket(PF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, NULL,
	    &so);
	if (error != 0) {
		fclose(f);
		return fail("sock_socket", error);
	}
	/* Before connecting, so that CONNECTED is not missed. */
	error = sock_catchevents(so, event_cb, &ev, EVENT_MASK);
	if (error != 0) {
		fail("sock_catchevents", error);
		goto out;
	}
	/*
	 * sock_sendmbuf is atomic even on TCP: a chain longer than the send
	 * buffer fails with EMSGSIZE.  Make room for two pieces.
	 */
	sndbuf = 2 * PIECE;
	error = sock_setsockopt(so, SOL_SOCKET, SO_SNDBUF, &sndbuf,
	    sizeof(sndbuf));
	if (error != 0) {
		fail("sock_setsockopt SO_SNDBUF", error);
		goto out;
	}
	/* A stalled receiver must not hold a blocking send forever. */
	tv.tv_sec = 10;
	tv.tv_usec = 0;
	error = sock_setsockopt(so, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (error != 0) {
		fail("sock_setsockopt SO_SNDTIMEO", error);
		goto out;
	}

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	error = sock_connect(so, (struct sockaddr *)&sin, MSG_DONTWAIT);
	if (error != 0 && error != EINPROGRESS) {
		fail("sock_connect", error);
		goto out;
	}
	/* Non-blocking connect: finish it with bounded waits. */
	tv.tv_sec = 5;
	tv.tv_usec = 0;
	for (i = 0; i < CONNECT_WAITS && error == EINPROGRESS; i++) {
		error = sock_connectwait(so, &tv);
	}
	if (error != 0) {
		fail("sock_connectwait", error);
		goto out;
	}
	if (!sock_isconnected(so)) {
		fprintf(stderr, "tcp_stream: sock_connectwait returned 0 but "
		    "the socket is not connected\n");
		error = ENOTCONN;
		goto out;
	}
	printf("tcp_stream: connected to 127.0.0.1:%lu\n", port);
	fflush(stdout);

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (pieces = 0; pieces < max_pieces; pieces++) {
		n = fread(buf, 1, sizeof(buf), f);
		if (n == 0) {
			break;
		}
		hash = fnv1a(hash, buf, n);
		error = send_piece(so, buf, n);
		if (error != 0) {
			goto out;
		}
		total += n;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec > (time_t)seconds) {
			fprintf(stderr, "tcp_stream: time is up after %" PRIu64
			    " bytes\n", total);
			error = ETIMEDOUT;
			goto out;
		}
	}
	if (ferror(f) || total != (uint64_t)st.st_size) {
		fprintf(stderr, "tcp_stream: read %" PRIu64 " of %jd bytes "
		    "of %s\n", total, (intmax_t)st.st_size, argv[optind]);
		error = EIO;
		goto out;
	}

	/* The peer sees EOF once everything queued has gone out. */
	error = sock_shutdown(so, SHUT_WR);
	if (error != 0) {
		fail("sock_shutdown", error);
		goto out;
	}
	printf("sent %" PRIu64 " bytes, fnv1a 0x%016" PRIx64 "\n", total,
	    hash);
	fflush(stdout);

	/* Events come from the loop thread: give them a moment to land. */
	if (!wait_events(&ev, SO_FILT_HINT_CONNECTED, 2)) {
		fprintf(stderr, "tcp_stream: no CONNECTED event\n");
		error = ENOTCONN;
	}
	if (!wait_events(&ev, SO_FILT_HINT_CANTSENDMORE, 2)) {
		fprintf(stderr, "tcp_stream: no CANTSENDMORE event after "
		    "the shutdown\n");
		error = EIO;
	}
	status = error == 0 ? 0 : 1;

out:
	sock_close(so);
	fclose(f);
	pthread_mutex_lock(&ev.ev_lock);
	printf("tcp_stream: %u event callback(s), seen %s\n", ev.ev_calls,
	    hint_string(ev.ev_seen, names, sizeof(names)));
	pthread_mutex_unlock(&ev.ev_lock);
	pthread_cond_destroy(&ev.ev_cv);
	pthread_mutex_destroy(&ev.ev_lock);
	return status;
}
