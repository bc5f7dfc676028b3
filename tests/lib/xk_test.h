/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Helpers shared by the cmocka unit tests: a setup and a teardown that
 * prove every test leaves nothing alive, and packet builders and checkers
 * that work through the public mbuf KPI only.
 */
#ifndef _XK_TESTS_LIB_XK_TEST_H_
#define _XK_TESTS_LIB_XK_TEST_H_

/* cmocka.h needs these first. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/kpi_mbuf.h>

/*
 * Per-test fixtures.  xk_test_setup() turns fault injection off and
 * records what is alive; xk_test_teardown() turns injection off, puts
 * the pool bounds back to their defaults and fails unless no mbuf,
 * cluster or tag is alive.  (If an earlier test failed half-way, cmocka
 * has skipped its frees: later tests then check they add nothing.)
 */
int	xk_test_setup(void **state);
int	xk_test_teardown(void **state);

/*
 * What the running test holds: xk_mb_live() less what was alive when it
 * started (nothing, unless an earlier test failed half-way).  Counts are
 * uint64_t, as in struct xk_mb_live.
 */
struct xk_mb_live;
void	xk_test_live(struct xk_mb_live *out);

/* The byte every builder writes at packet offset @off. */
static inline uint8_t
xk_pattern(size_t off)
{
	return ((uint8_t)(off * 7 + 3));
}

/* Writes the pattern of packet offsets [@off, @off + @len) to @buf. */
void	xk_pattern_fill(void *buf, size_t off, size_t len);

/* Flags of xk_chain_new(). */
#define XK_CHAIN_CLUSTERS	0x1	/* every segment in a cluster */
#define XK_CHAIN_NOPKTHDR	0x2	/* first mbuf without packet header */

/*
 * Builds a chain of @nseg mbufs holding @lens[i] bytes each, filled with
 * the pattern from packet offset 0.  A segment lives in a small mbuf when
 * it fits one, else in the smallest cluster that holds it (at most
 * 16384).  Data starts at the beginning of each buffer.  The first mbuf
 * carries a packet header whose length is the sum of @lens, unless
 * XK_CHAIN_NOPKTHDR.  Fails the test if an allocation fails.
 */
mbuf_t	xk_chain_new(const size_t *lens, size_t nseg, unsigned int flags);

/* Convenience: xk_chain_new() from a literal list of lengths. */
#define XK_CHAIN(flags, ...) \
	xk_chain_new((const size_t[]){ __VA_ARGS__ }, \
	    sizeof((const size_t[]){ __VA_ARGS__ }) / sizeof(size_t), (flags))

/* Sum of mbuf_len() over the mbuf_next() chain. */
size_t	xk_chain_len(mbuf_t m);

/* Number of mbufs in the mbuf_next() chain. */
size_t	xk_chain_count(mbuf_t m);

/*
 * Fails the test unless the @len bytes at chain offset @off, read with
 * mbuf_copydata(), equal the pattern of packet offsets starting at
 * @patoff.  The message names the first wrong byte.
 */
void	xk_chain_check_at(mbuf_t m, size_t off, size_t len, size_t patoff);

/* The usual case: chain offset and pattern offset agree. */
#define xk_chain_check(m, off, len) \
	xk_chain_check_at((m), (off), (len), (off))

#endif /* _XK_TESTS_LIB_XK_TEST_H_ */
