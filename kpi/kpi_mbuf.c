/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The mbuf KPI facade: argument checks and XNU's errno for each failure,
 * then the engine's chain operations (core/mbuf.c).  Where XNU would
 * dereference NULL we return EINVAL, 0 or NULL instead.
 */
#include "core/xk.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <sys/kpi_mbuf.h>

#include "core/mbuf_var.h"

#define TAG_NAME_MAX	2048
#define TAG_LEN_MAX	65535

static inline bool
type_ok(mbuf_type_t type)
{
	return type != MBUF_TYPE_FREE && type < 256;
}

/* An mbuf the caller may use: not NULL, and not freed (that panics). */
static inline bool
m_ok(mbuf_t m, const char *fn)
{
	return m != NULL && xk_m_check(m, fn) == 0;
}

/* Data access */

XK_EXPORT void *
mbuf_data(mbuf_t m)
{
	return m_ok(m, __func__) ? m->m_data : NULL;
}

XK_EXPORT void *
mbuf_datastart(mbuf_t m)
{
	return m_ok(m, __func__) ? xk_m_datastart(m) : NULL;
}

XK_EXPORT errno_t
mbuf_setdata(mbuf_t m, void *data, size_t len)
{
	char *start, *p = data;
	size_t max;

	if (!m_ok(m, __func__) || p == NULL) {
		return EINVAL;
	}
	start = xk_m_datastart(m);
	max = xk_m_maxlen(m);
	if (p < start || (size_t)(p - start) > max ||
	    len > max - (size_t)(p - start)) {
		return EINVAL;
	}
	m->m_data = p;
	m->m_len = (int32_t)len;
	return 0;
}

XK_EXPORT size_t
mbuf_len(mbuf_t m)
{
	return m_ok(m, __func__) ? (size_t)m->m_len : 0;
}

XK_EXPORT void
mbuf_setlen(mbuf_t m, size_t len)
{
	if (m_ok(m, __func__)) {
		m->m_len = (int32_t)len;
	}
}

XK_EXPORT errno_t
mbuf_adjustlen(mbuf_t m, int amount)
{
	if (!m_ok(m, __func__)) {
		return EINVAL;
	}
	if (amount > 0) {
		if ((size_t)amount > xk_m_trailingspace(m)) {
			return EINVAL;
		}
	} else if (-(long)amount > (long)m->m_len) {
		return EINVAL;
	}
	m->m_len += amount;
	return 0;
}

XK_EXPORT size_t
mbuf_maxlen(mbuf_t m)
{
	return m_ok(m, __func__) ? xk_m_maxlen(m) : 0;
}

XK_EXPORT size_t
mbuf_leadingspace(mbuf_t m)
{
	return m_ok(m, __func__) ? xk_m_leadingspace(m) : 0;
}

XK_EXPORT size_t
mbuf_trailingspace(mbuf_t m)
{
	return m_ok(m, __func__) ? xk_m_trailingspace(m) : 0;
}

/* Allocation */

static errno_t
get_common(mbuf_type_t type, bool pkthdr, mbuf_t *mp)
{
	if (mp == NULL) {
		return EINVAL;
	}
	*mp = NULL;
	if (!type_ok(type)) {
		return EINVAL;
	}
	/* XNU answers ENOMEM here whatever the how. */
	if ((*mp = xk_m_get((int)type, pkthdr)) == NULL) {
		return ENOMEM;
	}
	return 0;
}

XK_EXPORT errno_t
mbuf_get(mbuf_how_t how, mbuf_type_t type, mbuf_t *mp)
{
	(void)how;
	return get_common(type, false, mp);
}

XK_EXPORT errno_t
mbuf_gethdr(mbuf_how_t how, mbuf_type_t type, mbuf_t *mp)
{
	(void)how;
	return get_common(type, true, mp);
}

XK_EXPORT errno_t
mbuf_getpacket(mbuf_how_t how, mbuf_t *mp)
{
	if (mp == NULL) {
		return EINVAL;
	}
	*mp = xk_m_getcl(MBUF_TYPE_DATA, true, XK_MCLBYTES);
	if (*mp == NULL) {
		return how == MBUF_DONTWAIT ? EWOULDBLOCK : ENOMEM;
	}
	return 0;
}

/* Attaches a cluster of @size to *mp, allocating the mbuf if needed. */
static errno_t
cluster_attach(mbuf_type_t type, uint32_t size, mbuf_t *mp)
{
	bool created = false;

	if (*mp == NULL) {
		if (!type_ok(type)) {
			return EINVAL;
		}
		if ((*mp = xk_m_get((int)type, false)) == NULL) {
			return ENOMEM;
		}
		created = true;
	} else if ((*mp)->m_flags & M_EXT) {
		/* XNU would leak the old cluster. */
		return EINVAL;
	}
	if (xk_m_clget(*mp, size) != 0) {
		if (created) {
			xk_m_free(*mp);
			*mp = NULL;
		}
		return ENOMEM;
	}
	return 0;
}

XK_EXPORT errno_t
mbuf_mclget(mbuf_how_t how, mbuf_type_t type, mbuf_t *mp)
{
	(void)how;
	if (mp == NULL || (*mp != NULL && xk_m_check(*mp, __func__) != 0)) {
		return EINVAL;
	}
	return cluster_attach(type, XK_MCLBYTES, mp);
}

XK_EXPORT errno_t
mbuf_getcluster(mbuf_how_t how, mbuf_type_t type, size_t size, mbuf_t *mp)
{
	(void)how;
	if (mp == NULL || (*mp != NULL && xk_m_check(*mp, __func__) != 0)) {
		return EINVAL;
	}
	if (size != XK_MCLBYTES && size != XK_MBIGCLBYTES &&
	    size != XK_M16KCLBYTES) {
		return EINVAL;
	}
	return cluster_attach(type, (uint32_t)size, mp);
}

XK_EXPORT errno_t
mbuf_allocpacket(mbuf_how_t how, size_t len, unsigned int *maxchunks,
    mbuf_t *mp)
{
	unsigned int limit = maxchunks != NULL ? *maxchunks : 0;
	struct __mbuf *top = NULL, **np = &top, *m;
	uint32_t clsize;
	size_t nsegs;

	(void)how;
	if (mp == NULL) {
		return EINVAL;
	}
	*mp = NULL;
	if (len == 0) {
		return EINVAL;
	}
	/* Choose the segment size, then how many segments it takes. */
	if (len <= (size_t)XK_MHLEN) {
		clsize = 0;
		nsegs = 1;
	} else if (len <= (size_t)XK_MINCLSIZE && limit != 1) {
		clsize = 0;
		nsegs = 2;
	} else if (len <= XK_MCLBYTES) {
		clsize = XK_MCLBYTES;
		nsegs = 1;
	} else if (len <= XK_MBIGCLBYTES) {
		clsize = XK_MBIGCLBYTES;
		nsegs = 1;
	} else {
		/* Rounded up without len + 16383, which wraps near SIZE_MAX. */
		clsize = XK_M16KCLBYTES;
		nsegs = len / XK_M16KCLBYTES + (len % XK_M16KCLBYTES != 0);
	}
	if (limit != 0 && nsegs > limit) {
		return ENOBUFS;
	}
	/*
	 * A packet's length is an int32_t: no pool holds more.  XNU fails
	 * such a request with ENOMEM as well (its segment count, an
	 * unsigned int, wraps to nothing allocatable).
	 */
	if (len > INT32_MAX) {
		return ENOMEM;
	}
	for (size_t i = 0; i < nsegs; i++) {
		m = clsize != 0 ? xk_m_getcl(MBUF_TYPE_DATA, i == 0, clsize) :
		    xk_m_get(MBUF_TYPE_DATA, i == 0);
		if (m == NULL) {
			xk_m_freem(top);
			return ENOMEM;
		}
		*np = m;
		np = &m->m_next;
	}
	if (maxchunks != NULL) {
		*maxchunks = (unsigned int)nsegs;
	}
	*mp = top;
	return 0;
}

XK_EXPORT mbuf_t
mbuf_free(mbuf_t m)
{
	return m != NULL ? xk_m_free(m) : NULL;
}

XK_EXPORT void
mbuf_freem(mbuf_t m)
{
	xk_m_freem(m);
}

XK_EXPORT int
mbuf_freem_list(mbuf_t m)
{
	struct __mbuf *next;
	int count = 0;

	for (; m != NULL; m = next) {
		if (xk_m_check(m, __func__) != 0) {
			break;
		}
		next = m->m_nextpkt;
		m->m_nextpkt = NULL;
		xk_m_freem(m);
		count++;
	}
	return count;
}

/* Chains */

XK_EXPORT mbuf_t
mbuf_next(mbuf_t m)
{
	return m_ok(m, __func__) ? m->m_next : NULL;
}

XK_EXPORT errno_t
mbuf_setnext(mbuf_t m, mbuf_t next)
{
	if (!m_ok(m, __func__)) {
		return EINVAL;
	}
	if (next != NULL && (xk_m_check(next, __func__) != 0 ||
	    next->m_nextpkt != NULL)) {
		return EINVAL;
	}
	m->m_next = next;
	return 0;
}

XK_EXPORT mbuf_t
mbuf_nextpkt(mbuf_t m)
{
	return m_ok(m, __func__) ? m->m_nextpkt : NULL;
}

XK_EXPORT void
mbuf_setnextpkt(mbuf_t m, mbuf_t nextpkt)
{
	if (m_ok(m, __func__) && (nextpkt == NULL ||
	    xk_m_check(nextpkt, __func__) == 0)) {
		m->m_nextpkt = nextpkt;
	}
}

XK_EXPORT errno_t
mbuf_copydata(mbuf_t m, size_t off, size_t len, void *out)
{
	if (off >= INT32_MAX || len >= INT32_MAX) {
		return EINVAL;
	}
	if (m != NULL && xk_m_check(m, __func__) != 0) {
		return EINVAL;
	}
	if (out == NULL || len == 0) {
		return 0;
	}
	return xk_m_copydata(m, off, len, out);
}

XK_EXPORT errno_t
mbuf_copyback(mbuf_t m, size_t off, size_t len, const void *data,
    mbuf_how_t how)
{
	(void)how;
	if (!m_ok(m, __func__) || data == NULL || len == 0) {
		return EINVAL;
	}
	/* The packet length is an int32_t. */
	if (off >= INT32_MAX || len >= INT32_MAX - off) {
		return EINVAL;
	}
	return xk_m_copyback(m, off, len, data);
}

XK_EXPORT errno_t
mbuf_copym(mbuf_t src, size_t off, size_t len, mbuf_how_t how,
    mbuf_t *new_mbuf)
{
	int error;

	(void)how;
	if (new_mbuf == NULL) {
		return EINVAL;
	}
	*new_mbuf = NULL;
	if (!m_ok(src, __func__)) {
		return EINVAL;
	}
	*new_mbuf = xk_m_copym(src, off, len, &error);
	return error;
}

XK_EXPORT errno_t
mbuf_dup(mbuf_t src, mbuf_how_t how, mbuf_t *new_mbuf)
{
	(void)how;
	if (new_mbuf == NULL) {
		return EINVAL;
	}
	*new_mbuf = NULL;
	if (!m_ok(src, __func__)) {
		return EINVAL;
	}
	if ((*new_mbuf = xk_m_dup(src)) == NULL) {
		return ENOMEM;
	}
	return 0;
}

XK_EXPORT errno_t
mbuf_prepend(mbuf_t *mp, size_t len, mbuf_how_t how)
{
	(void)how;
	if (mp == NULL || !m_ok(*mp, __func__)) {
		return EINVAL;
	}
	if (len > XK_M16KCLBYTES) {
		xk_m_freem(*mp);
		*mp = NULL;
		return EINVAL;
	}
	if ((*mp = xk_m_prepend(*mp, len)) == NULL) {
		return ENOMEM;
	}
	return 0;
}

XK_EXPORT errno_t
mbuf_split(mbuf_t src, size_t off, mbuf_how_t how, mbuf_t *new_mbuf)
{
	(void)how;
	if (new_mbuf == NULL) {
		return EINVAL;
	}
	*new_mbuf = NULL;
	if (!m_ok(src, __func__)) {
		return EINVAL;
	}
	if ((*new_mbuf = xk_m_split(src, off)) == NULL) {
		return ENOMEM;
	}
	return 0;
}

XK_EXPORT errno_t
mbuf_pullup(mbuf_t *mp, size_t len)
{
	if (mp == NULL || !m_ok(*mp, __func__)) {
		return EINVAL;
	}
	if ((*mp = xk_m_pullup(*mp, len)) == NULL) {
		return ENOMEM;
	}
	return 0;
}

XK_EXPORT errno_t
mbuf_pulldown(mbuf_t src, size_t *offset, size_t len, mbuf_t *location)
{
	if (location == NULL) {
		return EINVAL;
	}
	*location = NULL;
	if (!m_ok(src, __func__) || offset == NULL) {
		return EINVAL;
	}
	if ((*location = xk_m_pulldown(src, *offset, len, offset)) == NULL) {
		return ENOMEM;
	}
	return 0;
}

XK_EXPORT void
mbuf_adj(mbuf_t m, int len)
{
	if (m_ok(m, __func__)) {
		xk_m_adj(m, len);
	}
}

XK_EXPORT mbuf_t
mbuf_concatenate(mbuf_t dst, mbuf_t src)
{
	if (!m_ok(dst, __func__) ||
	    (src != NULL && xk_m_check(src, __func__) != 0)) {
		return NULL;
	}
	if (src != NULL) {
		xk_m_cat(dst, src);
	}
	return dst;
}

/* Type and flags */

XK_EXPORT mbuf_type_t
mbuf_type(mbuf_t m)
{
	return m_ok(m, __func__) ? m->m_type : MBUF_TYPE_FREE;
}

XK_EXPORT errno_t
mbuf_settype(mbuf_t m, mbuf_type_t new_type)
{
	if (!m_ok(m, __func__) || !type_ok(new_type)) {
		return EINVAL;
	}
	xk_m_settype(m, (int)new_type);
	return 0;
}

XK_EXPORT mbuf_flags_t
mbuf_flags(mbuf_t m)
{
	return m_ok(m, __func__) ?
	    (mbuf_flags_t)(m->m_flags & M_PUBLICFLAGS) : 0;
}

/* Installs @nflags, re-initialising the packet header when it toggles. */
static errno_t
flags_apply(mbuf_t m, mbuf_flags_t nflags)
{
	bool had = m->m_flags & M_PKTHDR, has = nflags & M_PKTHDR;

	if (!had && has && !(m->m_flags & M_EXT) && m->m_len > 0) {
		/* The header would overlay data already in the mbuf. */
		return EBUSY;
	}
	if (had && !has) {
		xk_m_tag_delete_chain(m);
		/* An empty mbuf gets its whole buffer back. */
		if (!(m->m_flags & M_EXT) && m->m_len == 0) {
			m->m_data = m->m_dat;
		}
	}
	m->m_flags = (uint16_t)(nflags | (m->m_flags & ~M_PUBLICFLAGS));
	if (!had && has) {
		xk_m_pkthdr_init(m);
		if (!(m->m_flags & M_EXT)) {
			m->m_data = m->m_pktdat;
		}
	}
	return 0;
}

XK_EXPORT errno_t
mbuf_setflags(mbuf_t m, mbuf_flags_t flags)
{
	if (!m_ok(m, __func__)) {
		return EINVAL;
	}
	if (((flags ^ m->m_flags) & M_EXT) || (flags & ~M_PUBLICFLAGS)) {
		return EINVAL;
	}
	return flags_apply(m, flags);
}

XK_EXPORT errno_t
mbuf_setflags_mask(mbuf_t m, mbuf_flags_t flags, mbuf_flags_t mask)
{
	if (!m_ok(m, __func__)) {
		return EINVAL;
	}
	if (mask & (~(mbuf_flags_t)M_PUBLICFLAGS | M_EXT)) {
		return EINVAL;
	}
	return flags_apply(m, ((flags & mask) |
	    (m->m_flags & ~mask)) & M_PUBLICFLAGS);
}

/* Packet header */

XK_EXPORT errno_t
mbuf_copy_pkthdr(mbuf_t dest, mbuf_t src)
{
	if (!m_ok(dest, __func__) || !m_ok(src, __func__) ||
	    !(src->m_flags & M_PKTHDR)) {
		return EINVAL;
	}
	if (!(dest->m_flags & (M_PKTHDR | M_EXT)) && dest->m_len > 0) {
		/* The header would overlay the data (XNU's would run past). */
		return EBUSY;
	}
	if (dest != src) {
		xk_m_copy_pkthdr(dest, src);
	}
	return 0;
}

XK_EXPORT size_t
mbuf_pkthdr_len(mbuf_t m)
{
	if (!m_ok(m, __func__) || !(m->m_flags & M_PKTHDR) ||
	    m->m_pkthdr.len < 0) {
		return 0;
	}
	return (size_t)m->m_pkthdr.len;
}

XK_EXPORT void
mbuf_pkthdr_setlen(mbuf_t m, size_t len)
{
	if (m_ok(m, __func__) && (m->m_flags & M_PKTHDR)) {
		m->m_pkthdr.len = (int32_t)(len > INT32_MAX ? INT32_MAX : len);
	}
}

XK_EXPORT void
mbuf_pkthdr_adjustlen(mbuf_t m, int amount)
{
	if (m_ok(m, __func__) && (m->m_flags & M_PKTHDR)) {
		/* Wraps as XNU's int would, without signed overflow. */
		m->m_pkthdr.len = (int32_t)((uint32_t)m->m_pkthdr.len +
		    (uint32_t)amount);
	}
}

XK_EXPORT ifnet_t
mbuf_pkthdr_rcvif(mbuf_t m)
{
	if (!m_ok(m, __func__) || !(m->m_flags & M_PKTHDR)) {
		return NULL;
	}
	return m->m_pkthdr.rcvif;
}

XK_EXPORT errno_t
mbuf_pkthdr_setrcvif(mbuf_t m, ifnet_t ifp)
{
	if (!m_ok(m, __func__) || !(m->m_flags & M_PKTHDR)) {
		return EINVAL;
	}
	m->m_pkthdr.rcvif = ifp;
	return 0;
}

XK_EXPORT void *
mbuf_pkthdr_header(mbuf_t m)
{
	if (!m_ok(m, __func__) || !(m->m_flags & M_PKTHDR)) {
		return NULL;
	}
	return m->m_pkthdr.header;
}

XK_EXPORT void
mbuf_pkthdr_setheader(mbuf_t m, void *header)
{
	if (m_ok(m, __func__) && (m->m_flags & M_PKTHDR)) {
		m->m_pkthdr.header = header;
	}
}

/* Tags */

XK_EXPORT errno_t
mbuf_tag_id_find(const char *string, mbuf_tag_id_t *out_id)
{
	if (string == NULL || out_id == NULL ||
	    strnlen(string, TAG_NAME_MAX + 1) > TAG_NAME_MAX) {
		return EINVAL;
	}
	return xk_m_tag_id_find(string, out_id);
}

XK_EXPORT errno_t
mbuf_tag_allocate(mbuf_t m, mbuf_tag_id_t id, mbuf_tag_type_t type,
    size_t len, mbuf_how_t how, void **data_p)
{
	struct xk_mtag *t;

	if (data_p == NULL) {
		return EINVAL;
	}
	*data_p = NULL;
	if (!m_ok(m, __func__) || !(m->m_flags & M_PKTHDR) ||
	    !xk_m_tag_id_valid(id) || len == 0 || len > TAG_LEN_MAX) {
		return EINVAL;
	}
	if (xk_m_tag_locate(m, id, type) != NULL) {
		return EEXIST;
	}
	if ((t = xk_m_tag_alloc(id, type, len)) == NULL) {
		return how == MBUF_DONTWAIT ? EWOULDBLOCK : ENOMEM;
	}
	xk_m_tag_prepend(m, t);
	*data_p = t->mt_data;
	return 0;
}

XK_EXPORT errno_t
mbuf_tag_find(mbuf_t m, mbuf_tag_id_t id, mbuf_tag_type_t type,
    size_t *length, void **data_p)
{
	struct xk_mtag *t;

	if (length != NULL) {
		*length = 0;
	}
	if (data_p != NULL) {
		*data_p = NULL;
	}
	if (!m_ok(m, __func__) || length == NULL || data_p == NULL ||
	    !(m->m_flags & M_PKTHDR) || !xk_m_tag_id_valid(id)) {
		return EINVAL;
	}
	if ((t = xk_m_tag_locate(m, id, type)) == NULL) {
		return ENOENT;
	}
	*length = t->mt_len;
	*data_p = t->mt_data;
	return 0;
}

XK_EXPORT void
mbuf_tag_free(mbuf_t m, mbuf_tag_id_t id, mbuf_tag_type_t type)
{
	struct xk_mtag *t;

	if (!m_ok(m, __func__) || !(m->m_flags & M_PKTHDR)) {
		return;
	}
	if ((t = xk_m_tag_locate(m, id, type)) != NULL) {
		xk_m_tag_unlink_free(m, t);
	}
}

/* Sizes and statistics */

XK_EXPORT void
mbuf_stats(struct mbuf_stat *stats)
{
	if (stats != NULL) {
		xk_mb_fill_stats(stats);
	}
}

XK_EXPORT uint32_t
mbuf_get_mlen(void)
{
	return XK_MLEN;
}

XK_EXPORT uint32_t
mbuf_get_mhlen(void)
{
	return XK_MHLEN;
}

XK_EXPORT uint32_t
mbuf_get_minclsize(void)
{
	return XK_MINCLSIZE;
}
