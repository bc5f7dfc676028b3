/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * IP filters (core/ipfilter.c) as the packet path (core/ip.c) sees them.
 * Every function here is called WITHOUT the core lock.
 */
#ifndef _XK_CORE_IPF_VAR_H_
#define _XK_CORE_IPF_VAR_H_

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <netinet/kpi_ipfilter.h>
#include <sys/kernel_types.h>

/* Whether any filter of @family (AF_INET, AF_INET6) is attached. */
bool	xk_ipf_active(int family);
/*
 * Runs the input (output) filters of @family over *@mp, after @after
 * (NULL: all).  Returns 0 (the packet goes on, *@mp maybe replaced),
 * EJUSTRETURN (a filter took it), or a filter's error (the caller frees
 * and counts).
 */
int	xk_ipf_input(int family, struct __mbuf **mp, int off, uint8_t proto,
	    ipfilter_t after);
int	xk_ipf_output(int family, struct __mbuf **mp, ipfilter_t after);
/* Detaches every filter (shutdown) and zeroes the counters. */
void	xk_ipf_reset(void);

/* The packet path's entries for the inject calls (core/ip.c). */
void	xk_ip_inject_input(struct __mbuf *m, ipfilter_t after);
int	xk_ip_inject_output(struct __mbuf *m, ipfilter_t after,
	    const struct ipf_pktopts *opts);

struct xk_ipf_stats {
	_Atomic uint64_t in_taken;	/* EJUSTRETURN on input */
	_Atomic uint64_t in_dropped;	/* an error on input */
	_Atomic uint64_t out_taken;
	_Atomic uint64_t out_dropped;
	_Atomic uint64_t inject_in;
	_Atomic uint64_t inject_out;
	_Atomic uint64_t inject_failed;	/* ipf_inject_output's errors */
};
extern struct xk_ipf_stats xk_ipfstat;

/* The ipf.* counters, for xkpi_stats(). */
void	xk_ipf_stats_rows(void (*row)(void *ctx, const char *name,
	    uint64_t value), void *ctx);

#define XK_ASSERT_UNLOCKED()	g_assert(!xk_core_owned())

#endif /* _XK_CORE_IPF_VAR_H_ */
