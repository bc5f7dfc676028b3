/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The mbuf allocator and the chain operations, with BSD semantics.
 *
 * Four zones (small mbufs, 2 KB, 4 KB and 16 KB clusters) each keep a
 * bounded number of objects obtained from the heap and a cache of free
 * ones.  Clusters carry an atomic reference count in front of their bytes
 * so that copies can share them.  Nothing here sleeps: when a zone is at
 * its bound, or all zones together at the byte bound of
 * xkpi_config.mbuf_limit_bytes, allocation fails and the caller maps that
 * to XNU's errno.
 *
 * A freed mbuf keeps MBUF_TYPE_FREE and waits in a quarantine ring before
 * its memory can serve again (from the cache or the heap), so that a
 * stale mbuf_t still finds an mbuf that says it is free: the KPI's entry
 * check (xk_m_check) and xk_m_free catch it.  Under pressure (a zone or
 * byte bound reached) the quarantine gives up its oldest first.
 */
#include "core/xk.h"

#include <errno.h>
#include <glib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/mbuf_var.h"

struct xk_zone {
	pthread_mutex_t	 z_lock;
	void		*z_free;	/* cached objects, linked by 1st word */
	uint64_t	 z_nfree;
	uint64_t	 z_total;	/* obtained from the heap, not returned */
	uint64_t	 z_limit;
	uint64_t	 z_deflimit;
	size_t		 z_size;
};

/* Default bounds: 256 MiB of small mbufs, 128 MiB of each cluster size. */
static struct xk_zone zones[XK_ZONE_COUNT] = {
	[XK_ZONE_MBUF] = { .z_deflimit = 1u << 20, .z_size = XK_MSIZE },
	[XK_ZONE_CL2K] = { .z_deflimit = 1u << 16,
	    .z_size = sizeof(struct xk_cluster) + XK_MCLBYTES },
	[XK_ZONE_CL4K] = { .z_deflimit = 1u << 15,
	    .z_size = sizeof(struct xk_cluster) + XK_MBIGCLBYTES },
	[XK_ZONE_CL16K] = { .z_deflimit = 1u << 13,
	    .z_size = sizeof(struct xk_cluster) + XK_M16KCLBYTES },
};

/* Free objects a zone keeps for reuse; 0 sends every free to the heap. */
static uint64_t cache_max = 4096;
static pthread_once_t zones_once = PTHREAD_ONCE_INIT;

static _Atomic uint64_t live_mbufs, live_clusters;

/* Bytes of the objects every zone holds from the heap; their bound. */
static _Atomic uint64_t heap_bytes;
static _Atomic uint64_t byte_limit;	/* 0: none */
static _Atomic uint64_t stat_limit;	/* allocations the bound refused */

/* Freed mbufs, oldest first, under zones[XK_ZONE_MBUF].z_lock. */
static struct __mbuf *mq_ring[XK_MB_QUARANTINE];
static unsigned int mq_head, mq_len;
static _Atomic uint32_t stat_drops, stat_mcfail, stat_mpfail;
static _Atomic uint32_t stat_mtypes[256];

/* Fault injection for tests: skip N allocations, then fail M. */
static _Atomic bool inj_on;
static pthread_mutex_t inj_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int inj_skip, inj_count;

static void
zones_init(void)
{
	const char *env;

#ifdef XK_MBUF_NO_CACHE
	cache_max = 0;
#endif
	env = getenv("XKPI_MBUF_CACHE");
	if (env != NULL && strcmp(env, "0") == 0) {
		cache_max = 0;
	}
	for (int i = 0; i < XK_ZONE_COUNT; i++) {
		pthread_mutex_init(&zones[i].z_lock, NULL);
		zones[i].z_limit = zones[i].z_deflimit;
	}
}

static inline void
zones_ready(void)
{
	pthread_once(&zones_once, zones_init);
}

/* True when the fault injector wants this allocation to fail. */
bool
xk_mb_inject_fail(void)
{
	bool fail = false;

	if (!atomic_load_explicit(&inj_on, memory_order_relaxed)) {
		return false;
	}
	pthread_mutex_lock(&inj_lock);
	if (inj_skip > 0) {
		inj_skip--;
	} else if (inj_count > 0) {
		inj_count--;
		fail = true;
	}
	if (inj_skip == 0 && inj_count == 0) {
		atomic_store(&inj_on, false);
	}
	pthread_mutex_unlock(&inj_lock);
	return fail;
}

void
xk_mb_inject_failures(unsigned int skip, unsigned int count)
{
	zones_ready();
	pthread_mutex_lock(&inj_lock);
	inj_skip = skip;
	inj_count = count;
	atomic_store(&inj_on, count > 0);
	pthread_mutex_unlock(&inj_lock);
}

/* Room for one more object of @z under the byte bound, taken or not. */
static bool
bytes_take(const struct xk_zone *z)
{
	uint64_t lim = atomic_load_explicit(&byte_limit, memory_order_relaxed);
	uint64_t was = atomic_fetch_add(&heap_bytes, z->z_size);

	if (lim != 0 && was + z->z_size > lim) {
		atomic_fetch_sub(&heap_bytes, z->z_size);
		return false;
	}
	return true;
}

/* Hides a quarantined mbuf from the sanitizers, all but its m_type. */
static void
mq_poison(struct __mbuf *m)
{
	size_t t = offsetof(struct xk_mhdr, mh_type);

	XK_ASAN_POISON(m, offsetof(struct xk_mhdr, mh_len));
	XK_ASAN_POISON((char *)m + sizeof(struct xk_mhdr),
	    XK_MSIZE - sizeof(struct xk_mhdr));
	XK_VG_NOACCESS(m, t);
	XK_VG_NOACCESS((char *)m + t + sizeof(m->m_type),
	    XK_MSIZE - t - sizeof(m->m_type));
}

static void
mq_unpoison(struct __mbuf *m)
{
	XK_ASAN_UNPOISON(m, XK_MSIZE);
	XK_VG_DEFINED(m, XK_MSIZE);
}

/* The oldest quarantined mbuf, or NULL; the mbuf zone's lock held. */
static struct __mbuf *
mq_take_locked(void)
{
	struct __mbuf *m;

	if (mq_len == 0) {
		return NULL;
	}
	m = mq_ring[mq_head];
	mq_ring[mq_head] = NULL;
	mq_head = (mq_head + 1) % XK_MB_QUARANTINE;
	mq_len--;
	mq_unpoison(m);
	return m;
}

static void *
zone_alloc(struct xk_zone *z)
{
	bool mbufs = z == &zones[XK_ZONE_MBUF], reclaimed = false, full;
	void *p;

	zones_ready();
	if (xk_mb_inject_fail()) {
		goto fail;
	}
again:
	pthread_mutex_lock(&z->z_lock);
	if ((p = z->z_free) != NULL) {
		z->z_free = *(void **)p;
		z->z_nfree--;
		pthread_mutex_unlock(&z->z_lock);
		return p;
	}
	full = z->z_total >= z->z_limit;
	if (full || !bytes_take(z)) {
		/* At a bound: the quarantine's oldest serves before failing. */
		p = mbufs ? mq_take_locked() : NULL;
		pthread_mutex_unlock(&z->z_lock);
		if (p != NULL) {
			return p;
		}
		if (!full && !reclaimed) {
			/* The byte bound: what other zones cache counts too. */
			reclaimed = true;
			xk_mb_reclaim();
			goto again;
		}
		if (!full) {
			atomic_fetch_add(&stat_limit, 1);
		}
		goto fail;
	}
	z->z_total++;
	pthread_mutex_unlock(&z->z_lock);
	if ((p = malloc(z->z_size)) == NULL) {
		pthread_mutex_lock(&z->z_lock);
		z->z_total--;
		pthread_mutex_unlock(&z->z_lock);
		atomic_fetch_sub(&heap_bytes, z->z_size);
		goto fail;
	}
	return p;
fail:
	atomic_fetch_add(&stat_drops, 1);
	return NULL;
}

/* Caches @p, or returns it for free(); z_lock held. */
static void *
zone_put_locked(struct xk_zone *z, void *p)
{
	if (z->z_nfree < cache_max && z->z_total <= z->z_limit) {
		*(void **)p = z->z_free;
		z->z_free = p;
		z->z_nfree++;
		return NULL;
	}
	z->z_total--;
	atomic_fetch_sub(&heap_bytes, z->z_size);
	return p;
}

static void
zone_free(struct xk_zone *z, void *p)
{
	pthread_mutex_lock(&z->z_lock);
	p = zone_put_locked(z, p);
	pthread_mutex_unlock(&z->z_lock);
	free(p);
}

/* Quarantines a freed mbuf; the oldest one leaves for the zone. */
static void
mq_put(struct __mbuf *m)
{
	struct xk_zone *z = &zones[XK_ZONE_MBUF];
	struct __mbuf *old = NULL;
	void *p = NULL;

	mq_poison(m);
	pthread_mutex_lock(&z->z_lock);
	if (mq_len == XK_MB_QUARANTINE) {
		old = mq_take_locked();
	}
	mq_ring[(mq_head + mq_len) % XK_MB_QUARANTINE] = m;
	mq_len++;
	if (old != NULL) {
		p = zone_put_locked(z, old);
	}
	pthread_mutex_unlock(&z->z_lock);
	free(p);
}

int
xk_m_misuse(const struct __mbuf *m, const char *fn)
{
	xk_panic("%s: mbuf %p is free", fn, (const void *)m);
	return EINVAL;
}

void
xk_mb_set_limit(enum xk_mb_zone zone, uint64_t limit)
{
	struct xk_zone *z = &zones[zone];

	zones_ready();
	pthread_mutex_lock(&z->z_lock);
	z->z_limit = limit != 0 ? limit : z->z_deflimit;
	pthread_mutex_unlock(&z->z_lock);
	/* Cached objects count against the bound: give them back. */
	xk_mb_reclaim();
}

void
xk_mb_reclaim(void)
{
	zones_ready();
	for (int i = 0; i < XK_ZONE_COUNT; i++) {
		struct xk_zone *z = &zones[i];
		void *p;

		pthread_mutex_lock(&z->z_lock);
		while (i == XK_ZONE_MBUF && (p = mq_take_locked()) != NULL) {
			z->z_total--;
			atomic_fetch_sub(&heap_bytes, z->z_size);
			free(p);
		}
		while ((p = z->z_free) != NULL) {
			z->z_free = *(void **)p;
			z->z_nfree--;
			z->z_total--;
			atomic_fetch_sub(&heap_bytes, z->z_size);
			free(p);
		}
		pthread_mutex_unlock(&z->z_lock);
	}
}

void
xk_mb_set_byte_limit(size_t bytes)
{
	zones_ready();
	atomic_store(&byte_limit, (uint64_t)bytes);
	if (bytes != 0) {
		/* Cached objects count against the bound: give them back. */
		xk_mb_reclaim();
	}
}

uint64_t
xk_mb_limit_drops(void)
{
	return atomic_load(&stat_limit);
}

void
xk_mb_live(struct xk_mb_live *out)
{
	out->mbufs = atomic_load(&live_mbufs);
	out->clusters = atomic_load(&live_clusters);
	out->tags = xk_m_tag_live();
}

void
xk_mb_count_failure(int which)
{
	if (which == XK_MB_FAIL_COPYM) {
		atomic_fetch_add(&stat_mcfail, 1);
	} else if (which == XK_MB_FAIL_PULLUP) {
		atomic_fetch_add(&stat_mpfail, 1);
	}
}

void
xk_mb_fill_stats(struct mbuf_stat *st)
{
	uint64_t v[XK_ZONE_COUNT][2];

	zones_ready();
	for (int i = 0; i < XK_ZONE_COUNT; i++) {
		pthread_mutex_lock(&zones[i].z_lock);
		v[i][0] = zones[i].z_total;
		v[i][1] = zones[i].z_nfree;
		pthread_mutex_unlock(&zones[i].z_lock);
	}
	memset(st, 0, sizeof(*st));
	st->mbufs = (uint32_t)v[XK_ZONE_MBUF][0];
	st->clusters = (uint32_t)v[XK_ZONE_CL2K][0];
	st->clfree = (uint32_t)v[XK_ZONE_CL2K][1];
	st->bigclusters = (uint32_t)v[XK_ZONE_CL4K][0];
	st->bigclfree = (uint32_t)v[XK_ZONE_CL4K][1];
	st->drops = atomic_load(&stat_drops);
	for (int t = 0; t < 256; t++) {
		uint32_t n = atomic_load(&stat_mtypes[t]);

		st->mtypes[t] = (unsigned short)(n > 65535 ? 65535 : n);
	}
	st->mcfail = atomic_load(&stat_mcfail);
	st->mpfail = atomic_load(&stat_mpfail);
	st->msize = XK_MSIZE;
	st->mclbytes = XK_MCLBYTES;
	st->minclsize = XK_MINCLSIZE;
	st->mlen = XK_MLEN;
	st->mhlen = XK_MHLEN;
	st->bigmclbytes = XK_MBIGCLBYTES;
}

/* Allocation. */

void
xk_m_pkthdr_init(struct __mbuf *m)
{
	memset(&m->m_pkthdr, 0, sizeof(m->m_pkthdr));
}

struct __mbuf *
xk_m_get(int type, bool pkthdr)
{
	struct __mbuf *m;

	if ((m = zone_alloc(&zones[XK_ZONE_MBUF])) == NULL) {
		return NULL;
	}
	m->m_next = NULL;
	m->m_nextpkt = NULL;
	m->m_len = 0;
	m->m_type = (uint16_t)type;
	if (pkthdr) {
		m->m_flags = M_PKTHDR;
		m->m_data = m->m_pktdat;
		xk_m_pkthdr_init(m);
	} else {
		m->m_flags = 0;
		m->m_data = m->m_dat;
	}
	atomic_fetch_add(&live_mbufs, 1);
	atomic_fetch_add(&stat_mtypes[type & 0xff], 1);
	return m;
}

static enum xk_mb_zone
cl_zone(uint32_t size)
{
	switch (size) {
	case XK_MCLBYTES:
		return XK_ZONE_CL2K;
	case XK_MBIGCLBYTES:
		return XK_ZONE_CL4K;
	default:
		return XK_ZONE_CL16K;
	}
}

uint32_t
xk_m_clsize_for(size_t len)
{
	if (len <= XK_MCLBYTES) {
		return XK_MCLBYTES;
	}
	if (len <= XK_MBIGCLBYTES) {
		return XK_MBIGCLBYTES;
	}
	if (len <= XK_M16KCLBYTES) {
		return XK_M16KCLBYTES;
	}
	return 0;
}

struct __mbuf *
xk_m_devget(const void *data, size_t len)
{
	uint32_t size = xk_m_clsize_for(len);
	struct __mbuf *m;

	m = size != 0 ? xk_m_getcl(MBUF_TYPE_DATA, true, size) :
	    xk_m_get(MBUF_TYPE_DATA, true);
	if (m == NULL) {
		return NULL;
	}
	if (size != 0) {
		/* The common case: one cluster, one copy. */
		memcpy(m->m_data, data, len);
		m->m_len = m->m_pkthdr.len = (int32_t)len;
	} else if (xk_m_copyback(m, 0, len, data) != 0) {
		xk_m_freem(m);
		return NULL;
	}
	return m;
}

int
xk_m_clget(struct __mbuf *m, uint32_t size)
{
	struct xk_cluster *cl;

	if ((cl = zone_alloc(&zones[cl_zone(size)])) == NULL) {
		return ENOMEM;
	}
	atomic_init(&cl->cl_refs, 1);
	atomic_init(&cl->cl_prop, 0);
	cl->cl_size = size;
	m->m_ext.ext_buf = (char *)(cl + 1);
	m->m_ext.ext_cl = cl;
	m->m_ext.ext_size = size;
	m->m_flags |= M_EXT;
	m->m_data = m->m_ext.ext_buf;
	atomic_fetch_add(&live_clusters, 1);
	return 0;
}

char *
xk_m_cl_alloc(uint32_t size)
{
	struct xk_cluster *cl;

	if ((cl = zone_alloc(&zones[cl_zone(size)])) == NULL) {
		return NULL;
	}
	atomic_init(&cl->cl_refs, 1);
	atomic_init(&cl->cl_prop, 0);
	cl->cl_size = size;
	atomic_fetch_add(&live_clusters, 1);
	return (char *)(cl + 1);
}

static void cl_unref(struct xk_cluster *cl);

void
xk_m_cl_free(char *buf)
{
	cl_unref((struct xk_cluster *)(void *)buf - 1);
}

struct __mbuf *
xk_m_getcl(int type, bool pkthdr, uint32_t size)
{
	struct __mbuf *m;

	if ((m = xk_m_get(type, pkthdr)) == NULL) {
		return NULL;
	}
	if (xk_m_clget(m, size) != 0) {
		xk_m_free(m);
		return NULL;
	}
	return m;
}

/* Makes @n point at the same cluster bytes as @m. */
static void
cl_share(struct __mbuf *n, const struct __mbuf *m)
{
	atomic_fetch_add(&m->m_ext.ext_cl->cl_refs, 1);
	n->m_ext = m->m_ext;
	n->m_flags |= M_EXT;
}

static void
cl_unref(struct xk_cluster *cl)
{
	if (atomic_fetch_sub(&cl->cl_refs, 1) == 1) {
		zone_free(&zones[cl_zone(cl->cl_size)], cl);
		atomic_fetch_sub(&live_clusters, 1);
	}
}

struct __mbuf *
xk_m_free(struct __mbuf *m)
{
	struct __mbuf *n;

	if (m->m_type == MBUF_TYPE_FREE) {
		xk_panic("mbuf_free: mbuf %p is already free", (void *)m);
		return NULL;
	}
	n = m->m_next;
	if (m->m_flags & M_PKTHDR) {
		xk_m_tag_delete_chain(m);
	}
	if (m->m_flags & M_EXT) {
		cl_unref(m->m_ext.ext_cl);
	}
	atomic_fetch_sub(&stat_mtypes[m->m_type & 0xff], 1);
	atomic_fetch_sub(&live_mbufs, 1);
	m->m_type = MBUF_TYPE_FREE;
	m->m_next = NULL;
	m->m_nextpkt = NULL;
	mq_put(m);
	return n;
}

void
xk_m_freem(struct __mbuf *m)
{
	while (m != NULL) {
		m = xk_m_free(m);
	}
}

void
xk_m_settype(struct __mbuf *m, int type)
{
	atomic_fetch_sub(&stat_mtypes[m->m_type & 0xff], 1);
	atomic_fetch_add(&stat_mtypes[type & 0xff], 1);
	m->m_type = (uint16_t)type;
}

/* Buffer geometry. */

bool
xk_m_cl_shared(const struct __mbuf *m)
{
	return (m->m_flags & M_EXT) &&
	    atomic_load(&m->m_ext.ext_cl->cl_refs) > 1;
}

char *
xk_m_datastart(const struct __mbuf *m)
{
	if (m->m_flags & M_EXT) {
		return m->m_ext.ext_buf;
	}
	if (m->m_flags & M_PKTHDR) {
		return (char *)m->m_pktdat;
	}
	return (char *)m->m_dat;
}

size_t
xk_m_maxlen(const struct __mbuf *m)
{
	if (m->m_flags & M_EXT) {
		return m->m_ext.ext_size;
	}
	return (size_t)(m->m_dat + XK_MLEN - xk_m_datastart(m));
}

size_t
xk_m_leadingspace(const struct __mbuf *m)
{
	if (xk_m_cl_shared(m)) {
		return 0;
	}
	return (size_t)(m->m_data - xk_m_datastart(m));
}

size_t
xk_m_trailingspace(const struct __mbuf *m)
{
	if (xk_m_cl_shared(m)) {
		return 0;
	}
	return (size_t)(xk_m_datastart(m) + xk_m_maxlen(m) -
	    (m->m_data + m->m_len));
}

size_t
xk_m_length(const struct __mbuf *m)
{
	size_t len = 0;

	for (; m != NULL; m = m->m_next) {
		len += (size_t)m->m_len;
	}
	return len;
}

/* Chain operations. */

/*
 * Gives @to the packet header of @from.  The tags move, as XNU's
 * m_copy_pkthdr does: @to's old tags are freed and @from keeps none.
 */
void
xk_m_copy_pkthdr(struct __mbuf *to, struct __mbuf *from)
{
	if (to->m_flags & M_PKTHDR) {
		xk_m_tag_delete_chain(to);
	}
	to->m_flags = (uint16_t)((from->m_flags & M_COPYFLAGS) |
	    (to->m_flags & M_EXT));
	if (!(to->m_flags & M_EXT)) {
		to->m_data = to->m_pktdat;
	}
	to->m_pkthdr = from->m_pkthdr;
	from->m_pkthdr.tags = NULL;
}

struct __mbuf *
xk_m_copym(struct __mbuf *m, size_t off, size_t len, int *error)
{
	struct __mbuf *src = m, *top = NULL, **np = &top, *n;
	bool copyhdr = off == 0 && (m->m_flags & M_PKTHDR);
	size_t off0 = off, rest;

	/* Find the mbuf holding @off; the chain must reach past it. */
	while (m != NULL && off > 0 && off >= (size_t)m->m_len) {
		off -= (size_t)m->m_len;
		m = m->m_next;
	}
	/*
	 * Some byte must follow @off: empty mbufs at the end of the chain
	 * (XNU panics on an offset at or past the end) do not count.
	 */
	rest = m != NULL ? xk_m_length(m) - off : 0;
	if (rest == 0 || len == 0 || (len != MBUF_COPYALL && len > rest)) {
		*error = EINVAL;
		return NULL;
	}
	while (len > 0 && m != NULL) {
		size_t cap, chunk;

		n = xk_m_get(m->m_type, copyhdr);
		if (n == NULL) {
			goto nomem;
		}
		*np = n;
		np = &n->m_next;
		if (copyhdr) {
			xk_m_copy_pkthdr(n, src);
			n->m_pkthdr.len = len == MBUF_COPYALL ?
			    n->m_pkthdr.len - (int32_t)off0 : (int32_t)len;
			copyhdr = false;
		}
		chunk = (size_t)m->m_len - off;
		if (len != MBUF_COPYALL && chunk > len) {
			chunk = len;
		}
		if (m->m_flags & M_EXT) {
			cl_share(n, m);
			n->m_data = m->m_data + off;
		} else {
			cap = xk_m_trailingspace(n);
			if (chunk > cap) {
				chunk = cap;
			}
			memcpy(n->m_data, m->m_data + off, chunk);
		}
		n->m_len = (int32_t)chunk;
		if (len != MBUF_COPYALL) {
			len -= chunk;
		}
		off += chunk;
		if (off >= (size_t)m->m_len) {
			off = 0;
			m = m->m_next;
		}
	}
	*error = 0;
	return top;
nomem:
	/* Hand the tags back: a failed copy must not strip the source. */
	if (top != NULL && (top->m_flags & M_PKTHDR) && off0 == 0 &&
	    (src->m_flags & M_PKTHDR) && src->m_pkthdr.tags == NULL) {
		src->m_pkthdr.tags = top->m_pkthdr.tags;
		top->m_pkthdr.tags = NULL;
	}
	xk_m_freem(top);
	xk_mb_count_failure(XK_MB_FAIL_COPYM);
	*error = ENOMEM;
	return NULL;
}

struct __mbuf *
xk_m_dup(const struct __mbuf *m)
{
	struct __mbuf *top = NULL, **np = &top, *n;
	bool first = true;

	for (; m != NULL; m = m->m_next) {
		bool hdr = first && (m->m_flags & M_PKTHDR);
		size_t cap = hdr ? XK_MHLEN : XK_MLEN;

		n = xk_m_get(m->m_type, hdr);
		if (n == NULL) {
			goto nomem;
		}
		*np = n;
		np = &n->m_next;
		if (hdr) {
			n->m_flags = (uint16_t)(m->m_flags & M_COPYFLAGS);
			n->m_pkthdr = m->m_pkthdr;
			n->m_pkthdr.tags = NULL;
			if (xk_m_tag_copy_chain(n, m) != 0) {
				goto nomem;
			}
		} else {
			n->m_flags |= (uint16_t)(m->m_flags & M_EOR);
		}
		if ((size_t)m->m_len > cap &&
		    xk_m_clget(n, xk_m_clsize_for((size_t)m->m_len)) != 0) {
			goto nomem;
		}
		memcpy(n->m_data, m->m_data, (size_t)m->m_len);
		n->m_len = m->m_len;
		first = false;
	}
	return top;
nomem:
	xk_m_freem(top);
	return NULL;
}

/*
 * Moves what follows byte @len of mbuf @m into the empty mbuf @n (sharing
 * a cluster, copying small data); @n takes over the rest of the chain.
 */
static void
move_tail(struct __mbuf *n, struct __mbuf *m, size_t len)
{
	size_t remain = (size_t)m->m_len - len;

	if (m->m_flags & M_EXT) {
		cl_share(n, m);
		n->m_data = m->m_data + len;
	} else {
		memcpy(n->m_data, m->m_data + len, remain);
	}
	n->m_len = (int32_t)remain;
	m->m_len = (int32_t)len;
	n->m_next = m->m_next;
	m->m_next = NULL;
}

/* move_tail into a new plain mbuf; NULL (and @m intact) without memory. */
static struct __mbuf *
split_tail(struct __mbuf *m, size_t len)
{
	struct __mbuf *n;

	if ((n = xk_m_get(m->m_type, false)) != NULL) {
		move_tail(n, m, len);
	}
	return n;
}

struct __mbuf *
xk_m_split(struct __mbuf *m0, size_t len0)
{
	struct __mbuf *m = m0, *n, *t;
	size_t len = len0, remain;

	while (m != NULL && len > (size_t)m->m_len) {
		len -= (size_t)m->m_len;
		m = m->m_next;
	}
	if (m == NULL) {
		return NULL;
	}
	remain = (size_t)m->m_len - len;
	if (!(m0->m_flags & M_PKTHDR)) {
		if (remain == 0) {
			n = m->m_next;
			m->m_next = NULL;
			return n;
		}
		return split_tail(m, len);
	}
	if ((n = xk_m_get(m0->m_type, true)) == NULL) {
		return NULL;
	}
	n->m_pkthdr.rcvif = m0->m_pkthdr.rcvif;
	n->m_pkthdr.len = m0->m_pkthdr.len - (int32_t)len0;
	if (remain == 0) {
		n->m_next = m->m_next;
		m->m_next = NULL;
	} else if ((m->m_flags & M_EXT) || remain <= (size_t)XK_MHLEN) {
		/* The new header mbuf can hold the remainder itself. */
		move_tail(n, m, len);
	} else {
		if ((t = split_tail(m, len)) == NULL) {
			xk_m_free(n);
			return NULL;
		}
		n->m_next = t;
	}
	m0->m_pkthdr.len = (int32_t)len0;
	return n;
}

struct __mbuf *
xk_m_prepend(struct __mbuf *m, size_t len)
{
	bool hdr = m->m_flags & M_PKTHDR;
	struct __mbuf *n;
	size_t cap;

	if (xk_m_leadingspace(m) >= len) {
		m->m_data -= len;
		m->m_len += (int32_t)len;
	} else {
		if ((n = xk_m_get(m->m_type, hdr)) == NULL) {
			goto fail;
		}
		cap = hdr ? XK_MHLEN : XK_MLEN;
		if (len > cap && xk_m_clget(n, xk_m_clsize_for(len)) != 0) {
			xk_m_free(n);
			goto fail;
		}
		if (hdr) {
			xk_m_copy_pkthdr(n, m);
			m->m_flags &= (uint16_t)~M_PKTHDR;
		}
		/* Leave the room in front free for the next prepend. */
		n->m_data = xk_m_datastart(n) +
		    ((xk_m_maxlen(n) - len) & ~(sizeof(long) - 1));
		n->m_len = (int32_t)len;
		n->m_next = m;
		m = n;
	}
	if (hdr) {
		m->m_pkthdr.len += (int32_t)len;
	}
	return m;
fail:
	xk_m_freem(m);
	return NULL;
}

/*
 * xk_m_prepend for a chain the library owns outright (a packet handed to
 * a send), which no caller still points into: when the first mbuf lacks
 * the room in front but has it behind, its bytes (at most a 2 KB
 * cluster's) move back, which costs less than another mbuf in front and
 * leaves the packet in one piece.
 */
struct __mbuf *
xk_m_prepend_own(struct __mbuf *m, size_t len)
{
	if (xk_m_leadingspace(m) < len && (size_t)m->m_len <= XK_MCLBYTES &&
	    xk_m_trailingspace(m) >= len) {
		if (m->m_len > 0) {
			memmove(m->m_data + len, m->m_data,
			    (size_t)m->m_len);
		}
		m->m_data += len;
	}
	return xk_m_prepend(m, len);
}

/*
 * Places @len bytes to come at the end of @m's storage (BSD's M_ALIGN
 * and MH_ALIGN, long-aligned), so that headers prepended later fit in
 * front; @m is empty.
 */
void
xk_m_align_end(struct __mbuf *m, size_t len)
{
	size_t max = xk_m_maxlen(m);

	if (len <= max && m->m_len == 0) {
		m->m_data = xk_m_datastart(m) +
		    ((max - len) & ~(sizeof(long) - 1));
	}
}

struct __mbuf *
xk_m_pullup(struct __mbuf *n, size_t len)
{
	struct __mbuf *m;
	size_t space, count;

	if (len > (size_t)XK_MLEN) {
		goto bad;
	}
	if (!(n->m_flags & M_EXT) && n->m_next != NULL &&
	    n->m_data + len <= n->m_dat + XK_MLEN) {
		/* Pull the bytes up into the first mbuf itself. */
		if ((size_t)n->m_len >= len) {
			return n;
		}
		m = n;
		n = n->m_next;
		len -= (size_t)m->m_len;
	} else {
		if (len > (size_t)((n->m_flags & M_PKTHDR) ? XK_MHLEN :
		    XK_MLEN)) {
			goto bad;
		}
		if ((m = xk_m_get(n->m_type, n->m_flags & M_PKTHDR)) == NULL) {
			goto bad;
		}
		if (n->m_flags & M_PKTHDR) {
			xk_m_copy_pkthdr(m, n);
			n->m_flags &= (uint16_t)~M_PKTHDR;
		}
	}
	space = xk_m_trailingspace(m);
	do {
		count = len < space ? len : space;
		if (count > (size_t)n->m_len) {
			count = (size_t)n->m_len;
		}
		memcpy(m->m_data + m->m_len, n->m_data, count);
		len -= count;
		m->m_len += (int32_t)count;
		n->m_len -= (int32_t)count;
		space -= count;
		if (n->m_len > 0) {
			n->m_data += count;
		} else {
			n = xk_m_free(n);
		}
	} while (len > 0 && n != NULL);
	if (len > 0) {
		/* The chain was too short: the whole of it goes, as in XNU. */
		xk_m_free(m);
		goto bad;
	}
	m->m_next = n;
	return m;
bad:
	xk_m_freem(n);
	xk_mb_count_failure(XK_MB_FAIL_PULLUP);
	return NULL;
}

/* Removes @len bytes from the front of a chain, leaving empty mbufs. */
static void
trim_front(struct __mbuf *m, size_t len)
{
	for (; m != NULL && len > 0; m = m->m_next) {
		size_t t = (size_t)m->m_len < len ? (size_t)m->m_len : len;

		m->m_data += t;
		m->m_len -= (int32_t)t;
		len -= t;
	}
}

struct __mbuf *
xk_m_pulldown(struct __mbuf *m, size_t off, size_t len, size_t *offp)
{
	struct __mbuf *n = m, *o;
	size_t hlen, need;

	if (len > XK_MCLBYTES) {
		goto bad;
	}
	while (n != NULL && off >= (size_t)n->m_len &&
	    !(off == (size_t)n->m_len && len == 0)) {
		off -= (size_t)n->m_len;
		n = n->m_next;
	}
	if (n == NULL) {
		goto bad;
	}
	if (off + len <= (size_t)n->m_len) {
		*offp = off;
		return n;
	}
	hlen = (size_t)n->m_len - off;
	need = len - hlen;
	if (xk_m_length(n->m_next) < need) {
		goto bad;
	}
	if (xk_m_trailingspace(n) >= need) {
		/* Room in place: pull the missing bytes up behind. */
		xk_m_copydata(n->m_next, 0, need, n->m_data + n->m_len);
		n->m_len += (int32_t)need;
		trim_front(n->m_next, need);
		*offp = off;
		return n;
	}
	o = len <= (size_t)XK_MLEN ? xk_m_get(MBUF_TYPE_DATA, false) :
	    xk_m_getcl(MBUF_TYPE_DATA, false, XK_MCLBYTES);
	if (o == NULL) {
		goto bad;
	}
	memcpy(o->m_data, n->m_data + off, hlen);
	xk_m_copydata(n->m_next, 0, need, o->m_data + hlen);
	o->m_len = (int32_t)len;
	n->m_len = (int32_t)off;
	trim_front(n->m_next, need);
	o->m_next = n->m_next;
	n->m_next = o;
	*offp = 0;
	return o;
bad:
	xk_m_freem(m);
	return NULL;
}

void
xk_m_adj(struct __mbuf *mp, int req_len)
{
	struct __mbuf *m;
	size_t len, count = 0;

	if (req_len >= 0) {
		len = (size_t)req_len;
		for (m = mp; m != NULL && len > 0; m = m->m_next) {
			if ((size_t)m->m_len <= len) {
				len -= (size_t)m->m_len;
				m->m_len = 0;
			} else {
				m->m_data += len;
				m->m_len -= (int32_t)len;
				len = 0;
			}
		}
		if (mp->m_flags & M_PKTHDR) {
			mp->m_pkthdr.len -= (int32_t)((size_t)req_len - len);
		}
		return;
	}
	/* Trim from the tail: keep the first (total - len) bytes. */
	len = (size_t)(-(long)req_len);
	count = xk_m_length(mp);
	count = len >= count ? 0 : count - len;
	if (mp->m_flags & M_PKTHDR) {
		mp->m_pkthdr.len = (int32_t)count;
	}
	for (m = mp; m != NULL; m = m->m_next) {
		if ((size_t)m->m_len >= count) {
			m->m_len = (int32_t)count;
			count = 0;
		} else {
			count -= (size_t)m->m_len;
		}
	}
}

void
xk_m_cat(struct __mbuf *m, struct __mbuf *n)
{
	while (m->m_next != NULL) {
		m = m->m_next;
	}
	while (n != NULL) {
		if ((m->m_flags & M_EXT) ||
		    xk_m_trailingspace(m) < (size_t)n->m_len) {
			m->m_next = n;
			return;
		}
		memcpy(m->m_data + m->m_len, n->m_data, (size_t)n->m_len);
		m->m_len += n->m_len;
		n = xk_m_free(n);
	}
}

int
xk_m_copydata(const struct __mbuf *m, size_t off, size_t len, void *out)
{
	char *cp = out;

	if (m != NULL && len > 0 && len <= (size_t)m->m_len &&
	    off <= (size_t)m->m_len - len) {
		/* The common case: bytes the first mbuf holds (a header). */
		memcpy(cp, m->m_data + off, len);
		return 0;
	}
	while (off > 0) {
		if (m == NULL) {
			return EINVAL;
		}
		if (off < (size_t)m->m_len) {
			break;
		}
		off -= (size_t)m->m_len;
		m = m->m_next;
	}
	while (len > 0) {
		size_t count;

		if (m == NULL) {
			return EINVAL;
		}
		count = (size_t)m->m_len - off;
		if (count > len) {
			count = len;
		}
		memcpy(cp, m->m_data + off, count);
		cp += count;
		len -= count;
		off = 0;
		m = m->m_next;
	}
	return 0;
}

/*
 * Appends @len bytes (zeros when @src is NULL) to the chain whose last
 * mbuf is @last: its trailing space first, then new mbufs, with clusters
 * for long runs.  Returns the bytes appended.
 */
static size_t
append_bytes(struct __mbuf *last, const char *src, size_t len)
{
	size_t done = 0;

	while (len > 0) {
		size_t t = xk_m_trailingspace(last);

		if (t > len) {
			t = len;
		}
		if (src != NULL) {
			memcpy(last->m_data + last->m_len, src + done, t);
		} else {
			memset(last->m_data + last->m_len, 0, t);
		}
		last->m_len += (int32_t)t;
		done += t;
		len -= t;
		if (len == 0) {
			break;
		}
		struct __mbuf *n = xk_m_get(last->m_type, false);

		if (n == NULL) {
			break;
		}
		/* A failed cluster is fine: the chain grows by small mbufs. */
		if (len > (size_t)XK_MINCLSIZE) {
			(void)xk_m_clget(n, len >= XK_M16KCLBYTES ?
			    XK_M16KCLBYTES : XK_MCLBYTES);
		}
		last->m_next = n;
		last = n;
	}
	return done;
}

int
xk_m_copyback(struct __mbuf *m0, size_t off, size_t len, const void *data)
{
	struct __mbuf *m = m0, *last = m0;
	size_t chain = 0, done = 0, end, pos = 0;
	const char *cp = data;
	int error = 0;

	/*
	 * The common cases in one mbuf: bytes it holds already (a header
	 * rewritten), or bytes that fit after its end (a payload copied in).
	 */
	if (len > 0 && len <= (size_t)m0->m_len &&
	    off <= (size_t)m0->m_len - len) {
		memcpy(m0->m_data + off, data, len);
		done = len;
		goto out;
	}
	if (len > 0 && m0->m_next == NULL && off == (size_t)m0->m_len &&
	    len <= xk_m_trailingspace(m0)) {
		memcpy(m0->m_data + off, data, len);
		m0->m_len += (int32_t)len;
		done = len;
		goto out;
	}
	for (; last->m_next != NULL; last = last->m_next) {
		chain += (size_t)last->m_len;
	}
	chain += (size_t)last->m_len;
	if (off > chain) {
		/* The gap before @off reads as zeros. */
		size_t gap = off - chain;
		size_t got = append_bytes(last, NULL, gap);

		chain += got;
		if (got < gap) {
			error = ENOBUFS;
			goto out;
		}
		while (last->m_next != NULL) {
			last = last->m_next;
		}
	}
	/* Overwrite what the chain already holds from @off on. */
	for (m = m0; m != NULL && done < len; m = m->m_next) {
		size_t mlen = (size_t)m->m_len, cur = off + done;

		if (cur < pos + mlen) {
			size_t at = cur - pos;
			size_t t = mlen - at;

			if (t > len - done) {
				t = len - done;
			}
			memcpy(m->m_data + at, cp + done, t);
			done += t;
		}
		pos += mlen;
	}
	if (done < len) {
		while (last->m_next != NULL) {
			last = last->m_next;
		}
		done += append_bytes(last, cp + done, len - done);
		if (done < len) {
			error = ENOBUFS;
		}
	}
out:
	end = error != 0 && done == 0 ? chain : off + done;
	if ((m0->m_flags & M_PKTHDR) && (size_t)m0->m_pkthdr.len < end) {
		m0->m_pkthdr.len = (int32_t)end;
	}
	return error;
}
