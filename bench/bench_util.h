/*
 * Helpers the benchmarks share: the clock, CPU pinning, medians and
 * round-trip percentiles.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _XK_BENCH_UTIL_H_
#define _XK_BENCH_UTIL_H_

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define NSEC		1000000000ULL
#define MAXRUNS		15	/* most runs a median is taken over */
#define PING_STALE_MAX	8	/* late replies skipped per ping */

static inline uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

/* Pins the calling thread to @cpu; a negative @cpu leaves it free. */
static inline int
pin_self(int cpu)
{
	cpu_set_t set;

	if (cpu < 0) {
		return 0;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/*
 * The first two CPUs we may run on, for the measured side and the
 * traffic side; both -1 (no pinning) when @nopin or fewer than two.
 */
static inline void
choose_two_cpus(bool nopin, int *first, int *second)
{
	cpu_set_t set;
	int cpu, found = 0;

	*first = *second = -1;
	if (nopin || sched_getaffinity(0, sizeof(set), &set) != 0) {
		return;
	}
	for (cpu = 0; cpu < CPU_SETSIZE && found < 2; cpu++) {
		if (CPU_ISSET(cpu, &set)) {
			*(found++ == 0 ? first : second) = cpu;
		}
	}
	if (found < 2) {
		*first = *second = -1;
	}
}

static inline int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * A -m (or -t) option: turns on the one of the @n choices in @names that
 * @arg names, in @on, and sets *@any; false when @arg names none.
 */
static inline bool
choice_opt(const char *arg, const char *const *names, int n, bool *on,
    int *any)
{
	for (int k = 0; k < n; k++) {
		if (strcmp(arg, names[k]) == 0) {
			on[k] = true;
			*any = 1;
			return true;
		}
	}
	return false;
}

/* The median of @n (at most MAXRUNS) values. */
/*
 * The measurement-window options four benches share: -d seconds (0.05 to
 * 60), -r runs (1 to MAXRUNS), -w warm-up ms (0 to 10000).  1 when @ch is
 * one of them with a good value, -1 for a bad value, 0 for another
 * option.
 */
static inline int
window_opt(int ch, const char *arg, double *dur, int *runs, int *warmup_ms)
{
	switch (ch) {
	case 'd':
		*dur = atof(arg);
		return *dur >= 0.05 && *dur <= 60 ? 1 : -1;
	case 'r':
		*runs = atoi(arg);
		return *runs >= 1 && *runs <= MAXRUNS ? 1 : -1;
	case 'w':
		*warmup_ms = atoi(arg);
		return *warmup_ms >= 0 && *warmup_ms <= 10000 ? 1 : -1;
	default:
		return 0;
	}
}

static inline double
median(const double *v, int n)
{
	double s[MAXRUNS];

	memcpy(s, v, (size_t)n * sizeof(*v));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	if (n % 2 == 1) {
		return s[n / 2];
	}
	return (s[n / 2 - 1] + s[n / 2]) / 2;
}

static inline int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The @p quantile of @n sorted ns values, in us: the nearest rank. */
static inline double
pct_us(const uint64_t *s, int n, double p)
{
	return (double)s[(int)(p * (double)(n - 1) + 0.5)] / 1000.0;
}

/*
 * One round trip on the connected socket @fd: the @size bytes at @out
 * (at least 8), the first 8 set to @seq, sent; then replies read until
 * one of @hdr + @size bytes (@hdr: an IP header, on a raw socket) whose
 * payload starts with @seq, skipping up to PING_STALE_MAX others (late
 * replies of lost round trips).  An ICMP error for an earlier ping
 * (ENOPROTOOPT, ECONNREFUSED) and EINTR are read, not counted.  Returns
 * the round trip in ns; 0 when lost (the socket's receive timeout, or
 * only stale replies), with *@err set on another send or receive error.
 */
static inline uint64_t
ping_once(int fd, char *out, size_t size, size_t hdr, uint64_t seq,
    int *err)
{
	char in[2048];
	uint64_t t0, got;
	ssize_t n;
	int tries;

	memcpy(out, &seq, sizeof(seq));
	t0 = now_ns();
	if (send(fd, out, size, 0) < 0) {
		*err = errno;
		return 0;
	}
	for (tries = 0; tries < PING_STALE_MAX; tries++) {
		n = recv(fd, in, sizeof(in), 0);
		if (n < 0 && (errno == ENOPROTOOPT || errno == ECONNREFUSED ||
		    errno == EINTR)) {
			tries--;
			continue;
		}
		if (n < 0) {
			if (errno != EAGAIN) {
				*err = errno;
			}
			return 0;
		}
		if ((size_t)n != hdr + size) {
			continue;
		}
		memcpy(&got, in + hdr, sizeof(got));
		if (got == seq) {
			return now_ns() - t0;
		}
	}
	return 0;
}

/* One run's round trips, in microseconds, and the probes lost. */
struct latres {
	double		p50, p99, max;
	int		lost;
};

/* Sorts @n (at least 1) round trips @rtt (ns) and sums them up in @r. */
static inline void
latres_of(uint64_t *rtt, int n, int lost, struct latres *r)
{
	qsort(rtt, (size_t)n, sizeof(*rtt), cmp_u64);
	r->p50 = (double)rtt[n / 2] / 1000;
	r->p99 = (double)rtt[(size_t)((double)n * 0.99)] / 1000;
	r->max = (double)rtt[n - 1] / 1000;
	r->lost = lost;
}

#endif /* _XK_BENCH_UTIL_H_ */
