/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * IP filters (<netinet/kpi_ipfilter.h>): two lists, IPv4 and IPv6, the
 * newest filter first, walked by the packet path without the core lock.
 *
 * As in XNU's kpi_ipfilter.c, a count of running walks keeps every list
 * entry in place: ipf_remove() during a walk only clears the filter's
 * functions and files it for removal; the walk that brings the count to
 * zero unlinks it and calls its detach function.  The list lock guards
 * the lists and the count; it is never held while a filter runs, and the
 * core lock is never taken under it.
 */
#include "core/xk.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>

#include <netinet/kpi_ipfilter.h>

#include "core/ipf_var.h"
#include "core/mbuf_var.h"
#include "core/socket_var.h"

struct opaque_ipfilter {
	struct ipf_filter f;
	int		 family;	/* AF_INET or AF_INET6 */
	bool		 removing;	/* ipf_remove() was called */
	GList		 link;		/* in its list */
	GList		 tbr;		/* in ipf_tbr: detach when idle */
};

static pthread_mutex_t ipf_mtx = PTHREAD_MUTEX_INITIALIZER;
static GQueue ipf_v4 = G_QUEUE_INIT, ipf_v6 = G_QUEUE_INIT;
static GQueue ipf_tbr = G_QUEUE_INIT;	/* removed while walks ran */
static GHashTable *ipf_live;		/* every filter not yet detached */
static unsigned long ipf_running;	/* walks in progress */
static atomic_uint ipf_count[2];	/* attached, per family: fast path */

struct xk_ipf_stats xk_ipfstat;

static GQueue *
ipf_list(int family)
{
	return family == AF_INET ? &ipf_v4 : &ipf_v6;
}

bool
xk_ipf_active(int family)
{
	return atomic_load_explicit(&ipf_count[family == AF_INET6],
	    memory_order_relaxed) != 0;
}

static errno_t
ipf_add(const struct ipf_filter *filter, ipfilter_t *filter_ref,
    int family)
{
	struct opaque_ipfilter *nf;

	int error;

	if (filter == NULL || filter_ref == NULL || filter->name == NULL ||
	    (filter->ipf_input == NULL && filter->ipf_output == NULL)) {
		return EINVAL;
	}
	/* A kext's start function may attach filters and nothing else. */
	if ((error = xk_lib_ensure()) != 0) {
		return error;
	}
	if ((nf = g_try_new0(struct opaque_ipfilter, 1)) == NULL) {
		return ENOMEM;
	}
	nf->f = *filter;
	nf->family = family;
	nf->link.data = nf->tbr.data = nf;
	pthread_mutex_lock(&ipf_mtx);
	if (ipf_live == NULL) {
		ipf_live = g_hash_table_new(g_direct_hash, g_direct_equal);
	}
	g_hash_table_add(ipf_live, nf);
	/* The head: the filter attached last runs first, as XNU's code. */
	g_queue_push_head_link(ipf_list(family), &nf->link);
	atomic_fetch_add(&ipf_count[family == AF_INET6], 1);
	pthread_mutex_unlock(&ipf_mtx);
	*filter_ref = nf;
	return 0;
}

XK_EXPORT errno_t
ipf_addv4(const struct ipf_filter *filter, ipfilter_t *filter_ref)
{
	return ipf_add(filter, filter_ref, AF_INET);
}

XK_EXPORT errno_t
ipf_addv6(const struct ipf_filter *filter, ipfilter_t *filter_ref)
{
	return ipf_add(filter, filter_ref, AF_INET6);
}

/* Unlinks @f and forgets it; ipf_mtx held.  The caller detaches it. */
static void
ipf_unlink_locked(struct opaque_ipfilter *f)
{
	g_queue_unlink(ipf_list(f->family), &f->link);
	g_hash_table_remove(ipf_live, f);
	if (g_hash_table_size(ipf_live) == 0) {
		g_hash_table_destroy(ipf_live);
		ipf_live = NULL;
	}
}

static void
ipf_detach_one(struct opaque_ipfilter *f)
{
	if (f->f.ipf_detach != NULL) {
		f->f.ipf_detach(f->f.cookie);
	}
	g_free(f);
}

XK_EXPORT errno_t
ipf_remove(ipfilter_t filter_ref)
{
	struct opaque_ipfilter *f = filter_ref;

	if (f == NULL) {
		return EINVAL;
	}
	pthread_mutex_lock(&ipf_mtx);
	/* A filter removed already is not dereferenced: it may be gone. */
	if (ipf_live == NULL || !g_hash_table_contains(ipf_live, f) ||
	    f->removing) {
		pthread_mutex_unlock(&ipf_mtx);
		return ENOENT;
	}
	f->removing = true;
	atomic_fetch_sub(&ipf_count[f->family == AF_INET6], 1);
	if (ipf_running != 0) {
		/* A walk may be in it: detach when the last walk ends. */
		g_queue_push_tail_link(&ipf_tbr, &f->tbr);
		pthread_mutex_unlock(&ipf_mtx);
		return 0;
	}
	ipf_unlink_locked(f);
	pthread_mutex_unlock(&ipf_mtx);
	ipf_detach_one(f);
	return 0;
}

/* Ends a walk; the last one detaches what was removed meanwhile. */
static void
ipf_unref_locked(void)
{
	struct opaque_ipfilter *f;

	ipf_running--;
	while (ipf_running == 0 && (f = g_queue_peek_head(&ipf_tbr)) != NULL) {
		g_queue_unlink(&ipf_tbr, &f->tbr);
		ipf_unlink_locked(f);
		pthread_mutex_unlock(&ipf_mtx);
		ipf_detach_one(f);
		pthread_mutex_lock(&ipf_mtx);
	}
}

/*
 * Walks @family's filters from the head, skipping those up to and
 * including @after when it is not NULL (an injected packet resumes after
 * its injector; an @after no longer listed skips every filter, as XNU).
 * Stops at the first callback that does not return 0 and returns what it
 * returned.
 */
static int
ipf_walk(int family, bool out, struct __mbuf **mp, int off, uint8_t proto,
    ipfilter_t after)
{
	bool seen = after == NULL;
	int result = 0;
	GList *l;

	XK_ASSERT_UNLOCKED();
	pthread_mutex_lock(&ipf_mtx);
	ipf_running++;
	for (l = ipf_list(family)->head; l != NULL; l = l->next) {
		struct opaque_ipfilter *f = l->data;
		ipf_output_func ofn = f->f.ipf_output;
		ipf_input_func ifn = f->f.ipf_input;
		void *cookie = f->f.cookie;

		if (!seen) {
			seen = f == after;
			continue;
		}
		if (f->removing || (out ? ofn == NULL : ifn == NULL)) {
			continue;
		}
		pthread_mutex_unlock(&ipf_mtx);
		result = out ? ofn(cookie, mp, NULL) : ifn(cookie, mp, off,
		    proto);
		pthread_mutex_lock(&ipf_mtx);
		if (result != 0 || *mp == NULL) {
			/* A filter that lost the chain and said 0: taken. */
			if (result == 0) {
				result = EJUSTRETURN;
			}
			break;
		}
	}
	ipf_unref_locked();
	pthread_mutex_unlock(&ipf_mtx);
	return result;
}

int
xk_ipf_input(int family, struct __mbuf **mp, int off, uint8_t proto,
    ipfilter_t after)
{
	return ipf_walk(family, false, mp, off, proto, after);
}

int
xk_ipf_output(int family, struct __mbuf **mp, ipfilter_t after)
{
	return ipf_walk(family, true, mp, 0, 0, after);
}

void
xk_ipf_stats_rows(void (*row)(void *ctx, const char *name, uint64_t value),
    void *ctx)
{
	row(ctx, "ipf.in.taken", atomic_load(&xk_ipfstat.in_taken));
	row(ctx, "ipf.in.dropped", atomic_load(&xk_ipfstat.in_dropped));
	row(ctx, "ipf.out.taken", atomic_load(&xk_ipfstat.out_taken));
	row(ctx, "ipf.out.dropped", atomic_load(&xk_ipfstat.out_dropped));
	row(ctx, "ipf.inject.in", atomic_load(&xk_ipfstat.inject_in));
	row(ctx, "ipf.inject.out", atomic_load(&xk_ipfstat.inject_out));
	row(ctx, "ipf.inject.failed", atomic_load(&xk_ipfstat.inject_failed));
}

void
xk_ipf_reset(void)
{
	struct opaque_ipfilter *f;

	/* Shutdown: every filter still attached is detached, as XNU never
	 * does; no walk runs any more. */
	pthread_mutex_lock(&ipf_mtx);
	for (int fam = 0; fam < 2; fam++) {
		GQueue *q = fam == 0 ? &ipf_v4 : &ipf_v6;

		while ((f = g_queue_peek_head(q)) != NULL) {
			if (!f->removing) {
				f->removing = true;
				atomic_fetch_sub(&ipf_count[fam], 1);
			} else {
				g_queue_unlink(&ipf_tbr, &f->tbr);
			}
			ipf_unlink_locked(f);
			pthread_mutex_unlock(&ipf_mtx);
			ipf_detach_one(f);
			pthread_mutex_lock(&ipf_mtx);
		}
	}
	pthread_mutex_unlock(&ipf_mtx);
	atomic_store(&xk_ipfstat.in_taken, 0);
	atomic_store(&xk_ipfstat.in_dropped, 0);
	atomic_store(&xk_ipfstat.out_taken, 0);
	atomic_store(&xk_ipfstat.out_dropped, 0);
	atomic_store(&xk_ipfstat.inject_in, 0);
	atomic_store(&xk_ipfstat.inject_out, 0);
	atomic_store(&xk_ipfstat.inject_failed, 0);
}

XK_EXPORT errno_t
ipf_inject_input(mbuf_t data, ipfilter_t filter_ref)
{
	uint8_t vers = 0;
	int error;

	if (data == NULL) {
		return EINVAL;
	}
	if (xk_m_check(data, __func__) != 0) {
		return EINVAL;
	}
	(void)xk_m_copydata(data, 0, 1, &vers);
	if ((vers >> 4) != 4 && (vers >> 4) != 6) {
		return ENOTSUP;
	}
	if ((error = xk_lib_ensure()) != 0) {
		return error;
	}
	atomic_fetch_add(&xk_ipfstat.inject_in, 1);
	xk_ip_inject_input(data, filter_ref);
	return 0;
}

XK_EXPORT errno_t
ipf_inject_output(mbuf_t data, ipfilter_t filter_ref, ipf_pktopts_t options)
{
	uint8_t vers = 0;
	int error;

	if (data == NULL) {
		return EINVAL;
	}
	if (xk_m_check(data, __func__) != 0) {
		return EINVAL;
	}
	(void)xk_m_copydata(data, 0, 1, &vers);
	if ((vers >> 4) != 4 && (vers >> 4) != 6) {
		xk_m_freem(data);
		return ENOTSUP;
	}
	if ((error = xk_lib_ensure()) != 0) {
		xk_m_freem(data);
		return error;
	}
	atomic_fetch_add(&xk_ipfstat.inject_out, 1);
	error = xk_ip_inject_output(data, filter_ref, options);
	if (error != 0) {
		atomic_fetch_add(&xk_ipfstat.inject_failed, 1);
	}
	return error;
}
