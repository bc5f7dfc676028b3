/*
 * xkpi example: a TCP sink written the way a kext writes a server: a
 * listening socket whose read upcall accepts connections, and a read
 * upcall per connection that drains the data as mbuf chains, counts it
 * and hashes it (FNV-1a, 64 bits) until the peer shuts down.  Uses the
 * public headers only.
 *
 *	tcp_sink [-1] [-p port] [-t seconds]
 *
 * Listens on 127.0.0.1:port (port 0 picks a free one and prints it).
 * For each connection that ends it prints "received N bytes, fnv1a 0x..."
 * (tcp_stream prints the same line for what it sent).  With -1 it exits
 * after the first connection ends; otherwise it runs until the time is
 * up.
 *
 *	cc tcp_sink.c $(pkg-config --cflags --libs xkpi)
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
#include <time.h>
#include <unistd.h>

#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>
#include <xkpi.h>

#define CONNS_MAX	16	/* connections open at once */
#define ACCEPT_MAX	64	/* accepts per upcall, a safety bound */
#define DRAIN_MAX	65536	/* receives per upcall, a safety bound */
#define TIME_MAX	3600UL

#define FNV1A_BASIS	0xcbf29ce484222325ULL
#define FNV1A_PRIME	0x100000001b3ULL

enum conn_state {
	CONN_FREE = 0,	/* slot unused */
	CONN_OPEN,	/* accepted (or being accepted); the upcall owns it */
	CONN_ENDING,	/* EOF or error seen; its upcall is closing it */
	CONN_ENDED,	/* closed by its upcall */
	CONN_CLOSED	/* closed by main at exit */
};

struct sink;

struct conn {
	struct sink	*c_sink;
	socket_t	 c_so;
	enum conn_state	 c_state;
	unsigned	 c_id;
	uint64_t	 c_bytes;
	uint64_t	 c_hash;
	errno_t		 c_error;
	struct sockaddr_in c_peer;
};

struct sink {
	pthread_mutex_t	 s_lock;
	pthread_cond_t	 s_cv;
	struct conn	 s_conns[CONNS_MAX];
	unsigned	 s_accepted;
	unsigned	 s_ended;	/* connections that ended, any way */
	unsigned	 s_failed;	/* ... of which with an error */
	errno_t		 s_first_error;	/* how the first one ended */
	int		 s_first_done;
	int		 s_stopping;
	errno_t		 s_accept_error;
};

static void
usage(void)
{
	fprintf(stderr, "usage: tcp_sink [-1] [-p port] [-t seconds]\n");
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
	fprintf(stderr, "tcp_sink: %s: %s\n", what, strerror(error));
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

/*
 * The connection's end, seen by its upcall: report it, close the socket
 * (allowed inside its own upcall, and it does not wait), then tell main.
 * Main exits only after that, so the report is never cut short.
 */
static void
conn_end(struct conn *c, socket_t so, errno_t error)
{
	struct sink *sk = c->c_sink;
	uint64_t bytes, hash;
	unsigned id;

	/*
	 * Main may have taken the socket to close it at exit (then the
	 * error is that close's doing); it must not be closed twice.
	 */
	pthread_mutex_lock(&sk->s_lock);
	if (c->c_state != CONN_OPEN) {
		pthread_mutex_unlock(&sk->s_lock);
		return;
	}
	c->c_state = CONN_ENDING;
	c->c_error = error;
	id = c->c_id;
	bytes = c->c_bytes;
	hash = c->c_hash;
	pthread_mutex_unlock(&sk->s_lock);

	if (error != 0) {
		fprintf(stderr, "tcp_sink: connection %u: sock_receivembuf: "
		    "%s\n", id, strerror(error));
	}
	printf("received %" PRIu64 " bytes, fnv1a 0x%016" PRIx64 "%s\n",
	    bytes, hash, error != 0 ? " (incomplete)" : "");
	fflush(stdout);
	sock_close(so);

	pthread_mutex_lock(&sk->s_lock);
	c->c_state = CONN_ENDED;
	sk->s_ended++;
	if (error != 0) {
		sk->s_failed++;
	}
	if (!sk->s_first_done) {
		sk->s_first_done = 1;
		sk->s_first_error = error;
	}
	pthread_cond_broadcast(&sk->s_cv);
	pthread_mutex_unlock(&sk->s_lock);
}

/*
 * A connection's read upcall: take whatever is queued, as chains, until
 * EWOULDBLOCK.  A successful receive of no bytes is the peer's FIN.
 */
static void
conn_upcall(socket_t so, void *cookie, int waitf)
{
	struct conn *c = cookie;
	struct sink *sk = c->c_sink;
	uint64_t bytes, hash;
	size_t len, walked;
	errno_t error;
	mbuf_t m, n;
	int i, is_open;

	for (i = 0; i < DRAIN_MAX; i++) {
		/* Main may have closed it at exit; then it is not ours. */
		pthread_mutex_lock(&sk->s_lock);
		is_open = c->c_state == CONN_OPEN;
		pthread_mutex_unlock(&sk->s_lock);
		if (!is_open) {
			return;
		}

		m = NULL;
		len = 1000000000;
		error = sock_receivembuf(so, NULL, &m, MSG_DONTWAIT, &len);
		if (error == EWOULDBLOCK) {
			return;
		}
		if (error != 0 || len == 0 || m == NULL) {
			mbuf_freem(m);
			conn_end(c, so, error);
			return;
		}

		/*
		 * Walk the chain rather than copy it out.  xkpi runs one
		 * upcall at a time; a kext on XNU, where upcalls of one
		 * socket may overlap, would serialise this part itself.
		 */
		walked = 0;
		bytes = c->c_bytes;
		hash = c->c_hash;
		for (n = m; n != NULL; n = mbuf_next(n)) {
			hash = fnv1a(hash, mbuf_data(n), mbuf_len(n));
			walked += mbuf_len(n);
		}
		mbuf_freem(m);
		if (walked != len) {
			fprintf(stderr, "tcp_sink: connection %u: chain holds "
			    "%zu bytes, sock_receivembuf said %zu\n", c->c_id,
			    walked, len);
			conn_end(c, so, EIO);
			return;
		}
		c->c_bytes = bytes + walked;
		c->c_hash = hash;
	}
}

/*
 * The listener's read upcall: a connection (or nothing, it is a hint)
 * is ready.  Accept until EWOULDBLOCK, giving each connection its own
 * upcall and context.
 */
static void
listen_upcall(socket_t so, void *cookie, int waitf)
{
	struct sink *sk = cookie;
	struct sockaddr_in from;
	struct conn *c;
	socket_t child;
	errno_t error;
	int i, k, stopping;

	for (i = 0; i < ACCEPT_MAX; i++) {
		/* Reserve a slot before accepting: the cookie must exist. */
		c = NULL;
		pthread_mutex_lock(&sk->s_lock);
		if (sk->s_stopping) {
			pthread_mutex_unlock(&sk->s_lock);
			return;
		}
		for (k = 0; k < CONNS_MAX; k++) {
			if (sk->s_conns[k].c_state == CONN_FREE ||
			    sk->s_conns[k].c_state == CONN_ENDED) {
				c = &sk->s_conns[k];
				memset(c, 0, sizeof(*c));
				c->c_sink = sk;
				c->c_state = CONN_OPEN;
				c->c_hash = FNV1A_BASIS;
				c->c_id = sk->s_accepted + 1;
				break;
			}
		}
		pthread_mutex_unlock(&sk->s_lock);

		memset(&from, 0, sizeof(from));
		child = NULL;
		error = sock_accept(so, (struct sockaddr *)&from, sizeof(from),
		    MSG_DONTWAIT, c != NULL ? conn_upcall : NULL, c, &child);
		if (error != 0) {
			if (c != NULL) {
				pthread_mutex_lock(&sk->s_lock);
				c->c_state = CONN_FREE;
				pthread_mutex_unlock(&sk->s_lock);
			}
			if (error == EWOULDBLOCK) {
				return;
			}
			/* While main closes the listener, errors are its. */
			pthread_mutex_lock(&sk->s_lock);
			stopping = sk->s_stopping;
			if (!stopping) {
				sk->s_accept_error = error;
				pthread_cond_broadcast(&sk->s_cv);
			}
			pthread_mutex_unlock(&sk->s_lock);
			if (!stopping) {
				fail("sock_accept", error);
			}
			return;
		}
		if (c == NULL) {
			fprintf(stderr, "tcp_sink: %d connections open, "
			    "refusing one\n", CONNS_MAX);
			sock_close(child);
			continue;
		}

		pthread_mutex_lock(&sk->s_lock);
		c->c_so = child;
		c->c_peer = from;
		sk->s_accepted++;
		pthread_mutex_unlock(&sk->s_lock);
		printf("tcp_sink: connection %u from %s:%u\n", c->c_id,
		    inet_ntoa(from.sin_addr), ntohs(from.sin_port));
		fflush(stdout);

		/*
		 * Data (even the FIN) may have been queued before the
		 * upcall was installed, and no new upcall would announce
		 * it: drain once now, as kexts do after an accept.
		 */
		conn_upcall(child, c, waitf);
	}
}

int
main(int argc, char **argv)
{
	unsigned long port = 0, seconds = 30;
	struct sockaddr_in sin;
	struct timespec deadline;
	struct sink *sk;
	struct conn *c;
	socket_t lso = NULL, so;
	errno_t error;
	int ch, once = 0, on, rc, k, status, timed_out = 0;

	while ((ch = getopt(argc, argv, "1p:t:")) != -1) {
		switch (ch) {
		case '1':
			once = 1;
			break;
		case 'p':
			port = number(optarg, 65535);
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
	if (optind != argc) {
		usage();
	}

	/* Freed only once every socket whose upcalls use it is closed. */
	sk = calloc(1, sizeof(*sk));
	if (sk == NULL) {
		return fail("calloc", ENOMEM);
	}
	pthread_mutex_init(&sk->s_lock, NULL);
	if (cond_init_monotonic(&sk->s_cv) != 0) {
		return fail("pthread_cond_init", ENOMEM);
	}

	error = sock_socket(PF_INET, SOCK_STREAM, IPPROTO_TCP, listen_upcall,
	    sk, &lso);
	if (error != 0) {
		return fail("sock_socket", error);
	}
	on = 1;
	error = sock_setsockopt(lso, SOL_SOCKET, SO_REUSEADDR, &on,
	    sizeof(on));
	if (error != 0) {
		fail("sock_setsockopt SO_REUSEADDR", error);
		goto out;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	error = sock_bind(lso, (struct sockaddr *)&sin);
	if (error != 0) {
		fail("sock_bind", error);
		goto out;
	}
	error = sock_listen(lso, 8);
	if (error != 0) {
		fail("sock_listen", error);
		goto out;
	}
	memset(&sin, 0, sizeof(sin));
	error = sock_getsockname(lso, (struct sockaddr *)&sin, sizeof(sin));
	if (error != 0) {
		fail("sock_getsockname", error);
		goto out;
	}
	printf("tcp_sink: listening on 127.0.0.1:%u\n", ntohs(sin.sin_port));
	fflush(stdout);

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += (time_t)seconds;
	pthread_mutex_lock(&sk->s_lock);
	while (!(once && sk->s_first_done) && sk->s_accept_error == 0) {
		rc = pthread_cond_timedwait(&sk->s_cv, &sk->s_lock, &deadline);
		if (rc == ETIMEDOUT) {
			timed_out = 1;
			break;
		}
	}
	sk->s_stopping = 1;
	pthread_mutex_unlock(&sk->s_lock);

out:
	/* The listener first, so no connection appears while we close. */
	sock_close(lso);
	for (k = 0; k < CONNS_MAX; k++) {
		c = &sk->s_conns[k];
		pthread_mutex_lock(&sk->s_lock);
		so = NULL;
		if (c->c_state == CONN_OPEN && c->c_so != NULL) {
			c->c_state = CONN_CLOSED;
			so = c->c_so;
		}
		pthread_mutex_unlock(&sk->s_lock);
		if (so != NULL) {
			/* Never under our lock: the upcall takes it. */
			sock_close(so);
			printf("tcp_sink: connection %u still open at exit, "
			    "%" PRIu64 " bytes so far\n", c->c_id, c->c_bytes);
		}
	}
	/* Let upcalls that are closing their connection finish (2 s). */
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += 2;
	pthread_mutex_lock(&sk->s_lock);
	for (k = 0; k < CONNS_MAX; k++) {
		while (sk->s_conns[k].c_state == CONN_ENDING) {
			if (pthread_cond_timedwait(&sk->s_cv, &sk->s_lock,
			    &deadline) == ETIMEDOUT) {
				break;
			}
		}
	}
	pthread_mutex_unlock(&sk->s_lock);

	if (error != 0) {
		status = 1;
	} else if (sk->s_accept_error != 0) {
		status = 1;
	} else if (once) {
		if (timed_out && !sk->s_first_done) {
			fprintf(stderr, "tcp_sink: no connection ended within "
			    "%lu s\n", seconds);
		}
		status = sk->s_first_done && sk->s_first_error == 0 ? 0 : 1;
	} else {
		status = sk->s_failed == 0 ? 0 : 1;
	}
	printf("tcp_sink: %u connection(s), %u ended, %u with errors\n",
	    sk->s_accepted, sk->s_ended, sk->s_failed);
	pthread_cond_destroy(&sk->s_cv);
	pthread_mutex_destroy(&sk->s_lock);
	free(sk);
	return status;
}
