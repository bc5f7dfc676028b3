/*
 * xkpi benchmark: rule table lookup (<xkpi_fw.h>) with 10, 1,000 and
 * 10,000 rules ahead of the one that matches.
 *
 *	bench_fw [-r runs] [-n lookups] [-c count]...
 *
 * The rules ahead never match the packet but are of the shapes a real
 * table has: source hosts with a UDP port, destination hosts with a TCP
 * port, /24 source networks, UDP ports on an interface, IPv6 /64s, in
 * turn.  The matching rule (`divert 8668 udp from 10.0.0.1 to 10.0.0.2
 * 53`) comes last.  Each measurement times -n calls of
 * xk_fw_check_locked() on one UDP packet under the core lock, as the
 * packet path makes them, after one call that builds the index; the
 * counts alternate within each run and the median of the runs is
 * reported.
 *
 * The lookup is an internal call: this program is linked with the static
 * library, as the unit tests are, and built with -O2 whatever configure
 * said (the library itself is built as configured).
 *
 * Prints its own report, then ROW| and NOTE| lines for bench/run.sh:
 * "bare" is the time with the fewest rules, "xkpi" with more.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xkpi.h>
#include <xkpi_fw.h>

#include "bench/bench_util.h"
#include "core/fw_var.h"
#include "core/mbuf_var.h"
#include "core/socket_var.h"

#define MAXCOUNTS	4
#define GOAL		1.2	/* issue 8: at most 1.2x from 10 to 10,000 */

static int	opt_runs = 5;
static long	opt_lookups = 1000000;
static int	opt_counts[MAXCOUNTS];
static int	opt_ncounts;

static void
usage(void)
{
	fprintf(stderr, "usage: bench_fw [-r runs] [-n lookups] "
	    "[-c count]...\n"
	    "  -r runs     runs, the median is reported (5, at most %d)\n"
	    "  -n lookups  lookups timed per measurement (1000000)\n"
	    "  -c count    rules ahead of the match, repeatable "
	    "(10 1000 10000)\n", MAXRUNS);
	exit(2);
}

/* Rule @i of those that never match the packet below. */
static void
other_rule(int i, char *buf, size_t cap)
{
	int a = (i / 250) % 250, b = i % 250 + 1;

	switch (i % 5) {
	case 0:
		snprintf(buf, cap, "%d allow udp from 10.1.%d.%d to any 53",
		    i + 1, a, b);
		break;
	case 1:
		snprintf(buf, cap, "%d deny tcp from any to 192.168.%d.%d 80",
		    i + 1, a, b);
		break;
	case 2:
		snprintf(buf, cap, "%d count ip from 172.%d.%d.0/24 to any",
		    i + 1, 16 + a % 16, b);
		break;
	case 3:
		snprintf(buf, cap, "%d allow udp from any to any %d in via "
		    "eth1", i + 1, 1024 + i);
		break;
	default:
		snprintf(buf, cap, "%d deny ip6 from 2001:db8:%x:%x::/64 to "
		    "any", i + 1, a, b);
		break;
	}
}

/* Fills the table with @count rules ahead of the matching one. */
static void
load(int count)
{
	char buf[128];

	if (xkpi_fw_flush() != 0) {
		fprintf(stderr, "bench_fw: flush failed\n");
		exit(1);
	}
	for (int i = 0; i < count; i++) {
		other_rule(i, buf, sizeof(buf));
		if (xkpi_fw_add(buf) != 0) {
			fprintf(stderr, "bench_fw: \"%s\" refused\n", buf);
			exit(1);
		}
	}
	if (xkpi_fw_add("65000 divert 8668 udp from 10.0.0.1 to 10.0.0.2 "
	    "53") != 0) {
		fprintf(stderr, "bench_fw: the matching rule was refused\n");
		exit(1);
	}
}

/* A UDP packet from 10.0.0.1:40000 to 10.0.0.2:53, 64 bytes. */
static struct __mbuf *
packet(void)
{
	static const uint8_t hdr[28] = {
		0x45, 0, 0, 64, 0, 1, 0x40, 0, 64, 17, 0, 0,
		10, 0, 0, 1, 10, 0, 0, 2,
		0x9c, 0x40, 0, 53, 0, 44, 0, 0 };
	uint8_t buf[64] = { 0 };
	struct __mbuf *m;

	memcpy(buf, hdr, sizeof(hdr));
	if ((m = xk_m_devget(buf, sizeof(buf))) == NULL) {
		fprintf(stderr, "bench_fw: no mbuf\n");
		exit(1);
	}
	return m;
}

/* Nanoseconds per lookup; exits if the packet is not diverted. */
static double
measure(struct __mbuf *m)
{
	struct xk_fw_args a = { .fa_m = m, .fa_out = false };
	struct xk_fw_result r;
	uint64_t t0, t1;
	unsigned int bad = 0;

	xk_core_lock();
	/* The first lookup builds the index. */
	if (xk_fw_check_locked(&a, &r) != XK_FW_DIVERT || r.fr_rule != 65000) {
		bad++;
	}
	t0 = now_ns();
	for (long i = 0; i < opt_lookups; i++) {
		bad += xk_fw_check_locked(&a, &r) != XK_FW_DIVERT;
	}
	t1 = now_ns();
	xk_core_unlock();
	if (bad != 0) {
		fprintf(stderr, "bench_fw: the packet was not diverted\n");
		exit(1);
	}
	return (double)(t1 - t0) / (double)opt_lookups;
}

int
main(int argc, char **argv)
{
	double ns[MAXCOUNTS][MAXRUNS], med[MAXCOUNTS];
	struct __mbuf *m;
	int c;

	while ((c = getopt(argc, argv, "r:n:c:")) != -1) {
		switch (c) {
		case 'r':
			opt_runs = atoi(optarg);
			if (opt_runs < 1 || opt_runs > MAXRUNS) {
				usage();
			}
			break;
		case 'n':
			opt_lookups = atol(optarg);
			if (opt_lookups < 1000 || opt_lookups > 1000000000L) {
				usage();
			}
			break;
		case 'c':
			if (opt_ncounts == MAXCOUNTS ||
			    (opt_counts[opt_ncounts] = atoi(optarg)) < 0 ||
			    opt_counts[opt_ncounts] > 60000) {
				usage();
			}
			opt_ncounts++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc) {
		usage();
	}
	if (opt_ncounts == 0) {
		opt_counts[0] = 10;
		opt_counts[1] = 1000;
		opt_counts[2] = 10000;
		opt_ncounts = 3;
	}
	if ((c = xkpi_init(NULL)) != 0) {
		fprintf(stderr, "bench_fw: xkpi_init: %s\n", strerror(c));
		return 1;
	}
	m = packet();
	printf("rule lookup, %ld lookups per measurement, %d runs\n",
	    opt_lookups, opt_runs);
	for (int r = 0; r < opt_runs; r++) {
		for (int k = 0; k < opt_ncounts; k++) {
			load(opt_counts[k]);
			ns[k][r] = measure(m);
			printf("  run %d: %5d rules ahead: %7.1f ns/lookup\n",
			    r + 1, opt_counts[k], ns[k][r]);
		}
	}
	for (int k = 0; k < opt_ncounts; k++) {
		med[k] = median(ns[k], opt_runs);
	}
	printf("median ns/lookup:");
	for (int k = 0; k < opt_ncounts; k++) {
		printf(" %d rules %.1f%s", opt_counts[k], med[k],
		    k + 1 < opt_ncounts ? "," : "\n");
	}
	for (int k = 1; k < opt_ncounts; k++) {
		printf("ratio %d / %d rules: %.3f (goal <= %.1f)\n",
		    opt_counts[k], opt_counts[0], med[k] / med[0], GOAL);
		printf("ROW|fw lookup, %d -> %d rules ahead (ns)|%.1f|%.1f|"
		    "%.3f\n", opt_counts[0], opt_counts[k], med[0], med[k],
		    med[k] / med[0]);
	}
	printf("NOTE|fw lookup: bare = %d rules ahead of the match, xkpi = "
	    "more; goal <= %.1fx from 10 to 10,000\n", opt_counts[0], GOAL);
	xk_m_freem(m);
	xkpi_fw_flush();
	xkpi_shutdown();
	return 0;
}
