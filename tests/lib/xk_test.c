/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Helpers shared by the cmocka unit tests.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/xk_test.h"

#include "core/mbuf_var.h"

/*
 * What was alive when the running test started.  Zero, unless an earlier
 * test failed half-way: cmocka jumps out of a failed test past its frees,
 * and charging that leak to every later test would bury the real failure.
 */
static struct xk_mb_live xk_base;

int
xk_test_setup(void **state)
{
	(void)state;
	xk_mb_inject_failures(0, 0);
	xk_mb_live(&xk_base);
	return (0);
}

void
xk_test_live(struct xk_mb_live *out)
{
	xk_mb_live(out);
	out->mbufs -= xk_base.mbufs;
	out->clusters -= xk_base.clusters;
	out->tags -= xk_base.tags;
}

int
xk_test_teardown(void **state)
{
	struct xk_mb_live live;
	int zone;

	(void)state;
	xk_mb_inject_failures(0, 0);
	/* A test that failed before restoring a bound must not starve others. */
	for (zone = 0; zone < XK_ZONE_COUNT; zone++) {
		xk_mb_set_limit((enum xk_mb_zone)zone, 0);
	}
	xk_mb_live(&live);
	if (live.mbufs != xk_base.mbufs || live.clusters != xk_base.clusters ||
	    live.tags != xk_base.tags) {
		fail_msg("leak: %" PRIu64 " mbufs, %" PRIu64 " clusters, %"
		    PRIu64 " tags alive after the test (want %" PRIu64 ", %"
		    PRIu64 ", %" PRIu64 ")", live.mbufs, live.clusters,
		    live.tags, xk_base.mbufs, xk_base.clusters, xk_base.tags);
	}
	return (0);
}

void
xk_pattern_fill(void *buf, size_t off, size_t len)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		p[i] = xk_pattern(off + i);
	}
}

/* The smallest cluster that holds @len bytes. */
static size_t
chain_clsize(size_t len)
{
	if (len <= 2048) {
		return (2048);
	}
	if (len <= 4096) {
		return (4096);
	}
	return (16384);
}

mbuf_t
xk_chain_new(const size_t *lens, size_t nseg, unsigned int flags)
{
	mbuf_t head = NULL, tail = NULL, m;
	size_t i, off = 0, room;
	int pkthdr;

	assert_true(nseg > 0);
	for (i = 0; i < nseg; i++) {
		pkthdr = (i == 0 && (flags & XK_CHAIN_NOPKTHDR) == 0);
		m = NULL;
		if (pkthdr) {
			assert_int_equal(mbuf_gethdr(MBUF_WAITOK,
			    MBUF_TYPE_DATA, &m), 0);
			room = mbuf_get_mhlen();
		} else {
			assert_int_equal(mbuf_get(MBUF_WAITOK,
			    MBUF_TYPE_DATA, &m), 0);
			room = mbuf_get_mlen();
		}
		assert_non_null(m);
		if ((flags & XK_CHAIN_CLUSTERS) != 0 || lens[i] > room) {
			assert_true(lens[i] <= 16384);
			assert_int_equal(mbuf_getcluster(MBUF_WAITOK,
			    MBUF_TYPE_DATA, chain_clsize(lens[i]), &m), 0);
		}
		xk_pattern_fill(mbuf_data(m), off, lens[i]);
		mbuf_setlen(m, lens[i]);
		off += lens[i];
		if (head == NULL) {
			head = m;
		} else {
			assert_int_equal(mbuf_setnext(tail, m), 0);
		}
		tail = m;
	}
	if ((flags & XK_CHAIN_NOPKTHDR) == 0) {
		mbuf_pkthdr_setlen(head, off);
	}
	return (head);
}

size_t
xk_chain_len(mbuf_t m)
{
	size_t len = 0;

	for (; m != NULL; m = mbuf_next(m)) {
		len += mbuf_len(m);
	}
	return (len);
}

size_t
xk_chain_count(mbuf_t m)
{
	size_t n = 0;

	for (; m != NULL; m = mbuf_next(m)) {
		n++;
	}
	return (n);
}

void
xk_chain_check_at(mbuf_t m, size_t off, size_t len, size_t patoff)
{
	uint8_t *buf;
	size_t i;
	int error;

	if (len == 0) {
		return;
	}
	buf = malloc(len);
	assert_non_null(buf);
	error = mbuf_copydata(m, off, len, buf);
	if (error != 0) {
		free(buf);
		fail_msg("mbuf_copydata(off %zu, len %zu) = %d", off, len,
		    error);
	}
	for (i = 0; i < len; i++) {
		if (buf[i] != xk_pattern(patoff + i)) {
			uint8_t got = buf[i];

			free(buf);
			fail_msg("chain byte %zu is 0x%02x, want 0x%02x "
			    "(pattern offset %zu)", off + i, got,
			    xk_pattern(patoff + i), patoff + i);
		}
	}
	free(buf);
}
