/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The rest of the mbuf KPI (headers/sys/kpi_mbuf.h, second part): raw
 * clusters, offload requests and results, traffic and service classes,
 * timestamps, transmit completion, driver data and software checksums.
 *
 * XNU keeps the per-packet values in its packet header; here they live in
 * one tag of the library's own ("pktmeta"), made when a value is first
 * set, so a packet that has none costs nothing.  A getter of a packet
 * without the tag answers what XNU's zeroed header would.  Tags move with
 * mbuf_copym() at offset 0 and are copied by mbuf_dup(), as every tag is.
 */
#include "core/xk.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <sys/kpi_mbuf.h>

#include "core/ip_var.h"
#include "core/mbuf_var.h"

#define K_TRUE		1
#define K_FALSE		0

/* XNU's flag for a valid 802.1Q tag, in its csum_flags. */
#define CSUM_VLAN_TAG_VALID	0x00010000
#define CSUM_REQ_MASK	(MBUF_CSUM_REQ_IP | MBUF_CSUM_REQ_TCP | \
    MBUF_CSUM_REQ_UDP | MBUF_CSUM_REQ_TCPIPV6 | MBUF_CSUM_REQ_UDPIPV6 | \
    MBUF_CSUM_PARTIAL | MBUF_CSUM_REQ_ZERO_INVERT)
#define CSUM_DID_MASK	(MBUF_CSUM_DID_IP | MBUF_CSUM_IP_GOOD | \
    MBUF_CSUM_DID_DATA | MBUF_CSUM_PSEUDO_HDR | MBUF_CSUM_PARTIAL)
#define TSO_MASK	(MBUF_TSO_IPV4 | MBUF_TSO_IPV6)

/* pm_flags */
#define PM_TS_VALID	0x0001	/* mbuf_set_timestamp(valid) */
#define PM_TS_CLEARED	0x0002	/* mbuf_set_timestamp(!valid) */
#define PM_TS_REQ	0x0004	/* mbuf_set_timestamp_requested */
#define PM_KEEPALIVE	0x0008
#define PM_WAKE		0x0010

#define SCRATCH_LEN	32
#define DRVAUX_MAXLEN	128
#define TX_COMPL_MAX	32

#define TAG_PKTMETA	1
#define TAG_DRVAUX	2

struct pkt_meta {
	uint32_t	pm_csum_flags;	/* XNU's csum_flags: requests,
					   results, VLAN valid, TSO */
	uint32_t	pm_csum_data;
	uint32_t	pm_svc;		/* mbuf_svc_class_t; 0 is BE */
	uint32_t	pm_flags;	/* PM_* */
	uint64_t	pm_ts;
	uint16_t	pm_vlan;
	uint16_t	pm_flowid;
	uint16_t	pm_seg_size;	/* TSO / GSO */
	uint16_t	pm_hdr_len;
	int32_t		pm_status;
	uint32_t	pm_compl_callbacks;
	uintptr_t	pm_compl_arg;
	uintptr_t	pm_compl_data;
	uintptr_t	pm_compl_id;
	uint8_t		pm_rx_seg_cnt;
	uint8_t		pm_scratch[SCRATCH_LEN];
};

struct drvaux_hdr {
	uint32_t	da_family;
	uint32_t	da_subfamily;
	uint32_t	da_length;
	uint32_t	da_pad;
};

static pthread_once_t tag_once = PTHREAD_ONCE_INIT;
static mbuf_tag_id_t meta_tag_id;
static bool meta_tag_ok;

static pthread_mutex_t compl_mtx = PTHREAD_MUTEX_INITIALIZER;
static mbuf_tx_compl_func compl_table[TX_COMPL_MAX];
static _Atomic uint32_t compl_next_id;

static void
tag_init(void)
{
	meta_tag_ok = xk_m_tag_id_find("org.xkpi.library.pktmeta",
	    &meta_tag_id) == 0;
}

static bool
m_ok(mbuf_t m, const char *fn)
{
	return m != NULL && xk_m_check(m, fn) == 0;
}

/* A packet the per-packet calls may work on. */
static bool
pkt_ok(mbuf_t m, const char *fn)
{
	return m_ok(m, fn) && (m->m_flags & M_PKTHDR);
}

/* The packet's tag of @type, or NULL. */
static struct xk_mtag *
tag_find(mbuf_t m, mbuf_tag_type_t type)
{
	pthread_once(&tag_once, tag_init);
	if (!meta_tag_ok) {
		return NULL;
	}
	return xk_m_tag_locate(m, meta_tag_id, type);
}

/* What a packet carries, read only: NULL means XNU's zeroed header. */
static const struct pkt_meta *
meta_get(mbuf_t m)
{
	struct xk_mtag *t = tag_find(m, TAG_PKTMETA);

	return t != NULL ? (const struct pkt_meta *)(void *)t->mt_data : NULL;
}

/* What a packet carries, to change: made when absent; NULL: no memory. */
static struct pkt_meta *
meta_mut(mbuf_t m)
{
	struct xk_mtag *t = tag_find(m, TAG_PKTMETA);

	if (t == NULL) {
		if (!meta_tag_ok || (t = xk_m_tag_alloc(meta_tag_id,
		    TAG_PKTMETA, sizeof(struct pkt_meta))) == NULL) {
			return NULL;
		}
		memset(t->mt_data, 0, sizeof(struct pkt_meta));
		xk_m_tag_prepend(m, t);
	}
	return (struct pkt_meta *)(void *)t->mt_data;
}

static uint32_t
meta_csum_flags(mbuf_t m)
{
	const struct pkt_meta *pm = meta_get(m);

	return pm != NULL ? pm->pm_csum_flags : 0;
}

/* Raw clusters */

XK_EXPORT addr64_t
mbuf_data_to_physical(void *ptr)
{
	(void)ptr;
	return 0;
}

XK_EXPORT errno_t
mbuf_alloccluster(mbuf_how_t how, size_t *size, char **addr)
{
	uint32_t clsize;

	(void)how;
	if (size == NULL || *size == 0 || addr == NULL) {
		return EINVAL;
	}
	*addr = NULL;
	if ((clsize = xk_m_clsize_for(*size)) == 0 ||
	    (*addr = xk_m_cl_alloc(clsize)) == NULL) {
		*size = 0;
		return ENOMEM;
	}
	*size = clsize;
	return 0;
}

XK_EXPORT void
mbuf_freecluster(char *addr, size_t size)
{
	const struct xk_cluster *cl;

	if (addr == NULL) {
		return;
	}
	cl = (const struct xk_cluster *)(const void *)addr - 1;
	if (size != cl->cl_size) {
		xk_panic("mbuf_freecluster: invalid size %zu for cluster %p "
		    "of %u bytes", size, (void *)addr, cl->cl_size);
		return;
	}
	xk_m_cl_free(addr);
}

XK_EXPORT errno_t
mbuf_attachcluster(mbuf_how_t how, mbuf_type_t type, mbuf_t *mbuf,
    char *extbuf, void (*extfree)(char *, unsigned int, char *),
    size_t extsize, char *extarg)
{
	(void)how;
	(void)type;
	(void)extarg;
	if (mbuf == NULL || extbuf == NULL || extfree == NULL ||
	    extsize == 0) {
		return EINVAL;
	}
	return ENOTSUP;
}

XK_EXPORT errno_t
mbuf_ring_cluster_alloc(mbuf_how_t how, mbuf_type_t type, mbuf_t *mbuf,
    void (*extfree)(char *, unsigned int, char *), size_t *size)
{
	(void)how;
	(void)type;
	if (mbuf == NULL || extfree == NULL || size == NULL || *size == 0) {
		return EINVAL;
	}
	return ENOTSUP;
}

XK_EXPORT int
mbuf_ring_cluster_is_active(mbuf_t mbuf)
{
	(void)mbuf;
	return 0;
}

XK_EXPORT errno_t
mbuf_ring_cluster_activate(mbuf_t mbuf)
{
	(void)mbuf;
	return EINVAL;
}

XK_EXPORT errno_t
mbuf_cluster_get_prop(mbuf_t mbuf, uint32_t *prop)
{
	if (prop == NULL || !m_ok(mbuf, __func__) ||
	    !(mbuf->m_flags & M_EXT)) {
		return EINVAL;
	}
	*prop = atomic_load(&mbuf->m_ext.ext_cl->cl_prop);
	return 0;
}

XK_EXPORT errno_t
mbuf_cluster_set_prop(mbuf_t mbuf, uint32_t oldprop, uint32_t newprop)
{
	if (!m_ok(mbuf, __func__) || !(mbuf->m_flags & M_EXT)) {
		return EINVAL;
	}
	return atomic_compare_exchange_strong(&mbuf->m_ext.ext_cl->cl_prop,
	    &oldprop, newprop) ? 0 : EBUSY;
}

XK_EXPORT int
mbuf_mclhasreference(mbuf_t mbuf)
{
	if (!m_ok(mbuf, __func__) || !(mbuf->m_flags & M_EXT)) {
		return 0;
	}
	return xk_m_cl_shared(mbuf) ? 1 : 0;
}

XK_EXPORT errno_t
mbuf_align_32(mbuf_t mbuf, size_t len)
{
	size_t room;

	if (!m_ok(mbuf, __func__)) {
		return EINVAL;
	}
	if ((mbuf->m_flags & M_EXT) && xk_m_cl_shared(mbuf)) {
		return ENOTSUP;
	}
	room = xk_m_maxlen(mbuf) - (size_t)mbuf->m_len;
	if (len > room) {
		return EINVAL;
	}
	mbuf->m_data = xk_m_datastart(mbuf) +
	    ((room - len) & ~(sizeof(uint32_t) - 1));
	return 0;
}

XK_EXPORT errno_t
mbuf_allocpacket_list(unsigned int numpkts, mbuf_how_t how, size_t packetlen,
    unsigned int *maxchunks, mbuf_t *mbuf)
{
	mbuf_t head = NULL, tail = NULL, m;
	unsigned int chunks = 0;
	errno_t error;

	if (numpkts == 0 || packetlen == 0 || mbuf == NULL) {
		return EINVAL;
	}
	for (unsigned int i = 0; i < numpkts; i++) {
		unsigned int want = maxchunks != NULL ? *maxchunks : 0;

		if ((error = mbuf_allocpacket(how, packetlen,
		    maxchunks != NULL ? &want : NULL, &m)) != 0) {
			mbuf_freem_list(head);
			return error;
		}
		chunks = want;
		if (tail == NULL) {
			head = m;
		} else {
			mbuf_setnextpkt(tail, m);
		}
		tail = m;
	}
	if (maxchunks != NULL) {
		*maxchunks = chunks;
	}
	*mbuf = head;
	return 0;
}

XK_EXPORT size_t
mbuf_pkthdr_maxlen(const mbuf_t mbuf)
{
	size_t n = 0;

	for (mbuf_t m = mbuf; m != NULL && m_ok(m, __func__); m = m->m_next) {
		n += xk_m_maxlen(m);
	}
	return n;
}

XK_EXPORT size_t
mbuf_pkt_list_len(const mbuf_t mbuf)
{
	size_t n = 0;

	for (mbuf_t m = mbuf; m != NULL && m_ok(m, __func__);
	    m = m->m_nextpkt) {
		n += mbuf_pkthdr_len(m);
	}
	return n;
}

XK_EXPORT size_t
mbuf_pkt_list_maxlen(const mbuf_t mbuf)
{
	size_t n = 0;

	for (mbuf_t m = mbuf; m != NULL && m_ok(m, __func__);
	    m = m->m_nextpkt) {
		n += mbuf_pkthdr_maxlen(m);
	}
	return n;
}

XK_EXPORT uint32_t
mbuf_get_msize(void)
{
	return XK_MSIZE;
}

/* Checksum offload */

XK_EXPORT errno_t
mbuf_get_csum_requested(mbuf_t mbuf, mbuf_csum_request_flags_t *request,
    uint32_t *value)
{
	const struct pkt_meta *pm;

	if (request == NULL || !pkt_ok(mbuf, __func__)) {
		return EINVAL;
	}
	pm = meta_get(mbuf);
	*request = pm != NULL ? pm->pm_csum_flags & CSUM_REQ_MASK : 0;
	if (value != NULL) {
		*value = pm != NULL ? pm->pm_csum_data : 0;
	}
	return 0;
}

/* XNU's csum_flags: the low 16 bits replaced, the rest kept. */
static errno_t
csum_set(mbuf_t m, uint32_t flags, uint32_t value, const char *fn)
{
	struct pkt_meta *pm;

	if (!pkt_ok(m, fn)) {
		return EINVAL;
	}
	if ((pm = meta_mut(m)) == NULL) {
		return ENOMEM;
	}
	pm->pm_csum_flags = (pm->pm_csum_flags & 0xffff0000) | flags;
	pm->pm_csum_data = value;
	return 0;
}

static errno_t
csum_clear(mbuf_t m, const char *fn)
{
	struct pkt_meta *pm;

	if (!pkt_ok(m, fn)) {
		return EINVAL;
	}
	if ((pm = (struct pkt_meta *)(uintptr_t)meta_get(m)) != NULL) {
		pm->pm_csum_flags &= 0xffff0000;
		pm->pm_csum_data = 0;
	}
	return 0;
}

XK_EXPORT errno_t
mbuf_set_csum_requested(mbuf_t mbuf, mbuf_csum_request_flags_t request,
    uint32_t value)
{
	return csum_set(mbuf, request & CSUM_REQ_MASK, value, __func__);
}

XK_EXPORT errno_t
mbuf_clear_csum_requested(mbuf_t mbuf)
{
	return csum_clear(mbuf, __func__);
}

XK_EXPORT errno_t
mbuf_get_csum_performed(mbuf_t mbuf, mbuf_csum_performed_flags_t *flags,
    uint32_t *value)
{
	const struct pkt_meta *pm;

	if (flags == NULL || value == NULL || !pkt_ok(mbuf, __func__)) {
		return EINVAL;
	}
	pm = meta_get(mbuf);
	*flags = pm != NULL ? pm->pm_csum_flags & CSUM_DID_MASK : 0;
	*value = pm != NULL ? pm->pm_csum_data : 0;
	return 0;
}

XK_EXPORT errno_t
mbuf_set_csum_performed(mbuf_t mbuf, mbuf_csum_performed_flags_t flags,
    uint32_t value)
{
	return csum_set(mbuf, flags & CSUM_DID_MASK, value, __func__);
}

XK_EXPORT errno_t
mbuf_clear_csum_performed(mbuf_t mbuf)
{
	return csum_clear(mbuf, __func__);
}

XK_EXPORT void
mbuf_inbound_modified(mbuf_t mbuf)
{
	struct pkt_meta *pm;

	if (pkt_ok(mbuf, __func__) &&
	    (pm = (struct pkt_meta *)(uintptr_t)meta_get(mbuf)) != NULL) {
		pm->pm_csum_flags = 0;
	}
}

/*
 * The complemented sum of a pseudo header and @len bytes at @off,
 * as it goes in the header: sum the two complemented sums.
 */
static uint16_t
cksum_pseudo(const void *ph, size_t phlen, mbuf_t m, size_t off, size_t len)
{
	uint16_t a = (uint16_t)~xk_in_cksum_buf(ph, phlen);
	uint16_t b = (uint16_t)~xk_in_cksum(m, off, len);
	uint32_t sum = (uint32_t)ntohs(a) + ntohs(b);

	sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* XNU's pseudo headers: addresses, then htonl(length + protocol). */
struct ph4 {
	struct in_addr	src, dst;
	uint32_t	lenproto;
};

struct ph6 {
	struct in6_addr	src, dst;
	uint32_t	lenproto;
};

static size_t
pkt_len(mbuf_t m)
{
	return (m->m_flags & M_PKTHDR) ? (size_t)m->m_pkthdr.len :
	    xk_m_length(m);
}

XK_EXPORT errno_t
mbuf_inet_cksum(mbuf_t mbuf, int protocol, uint32_t offset, uint32_t length,
    uint16_t *csum)
{
	struct ph4 ph;
	uint8_t ip[20];

	if (csum == NULL || length == 0 || !m_ok(mbuf, __func__) ||
	    (uint64_t)offset + length > pkt_len(mbuf)) {
		return EINVAL;
	}
	if (protocol == 0) {
		*csum = xk_in_cksum(mbuf, offset, length);
		return 0;
	}
	if (xk_m_copydata(mbuf, 0, sizeof(ip), ip) != 0) {
		return EINVAL;
	}
	memcpy(&ph.src, ip + 12, 4);
	memcpy(&ph.dst, ip + 16, 4);
	ph.lenproto = htonl(length + (uint32_t)protocol);
	*csum = cksum_pseudo(&ph, sizeof(ph), mbuf, offset, length);
	return 0;
}

XK_EXPORT errno_t
mbuf_inet6_cksum(mbuf_t mbuf, int protocol, uint32_t offset, uint32_t length,
    uint16_t *csum)
{
	struct ph6 ph;
	uint8_t ip6[40];

	if (csum == NULL || length == 0 || !m_ok(mbuf, __func__) ||
	    (uint64_t)offset + length > pkt_len(mbuf)) {
		return EINVAL;
	}
	if (protocol == 0) {
		*csum = xk_in_cksum(mbuf, offset, length);
		return 0;
	}
	if (xk_m_copydata(mbuf, 0, sizeof(ip6), ip6) != 0) {
		return EINVAL;
	}
	memcpy(&ph.src, ip6 + 8, 16);
	memcpy(&ph.dst, ip6 + 24, 16);
	ph.lenproto = htonl(length + (uint32_t)protocol);
	*csum = cksum_pseudo(&ph, sizeof(ph), mbuf, offset, length);
	return 0;
}

/*
 * Writes the transport checksum of the segment at @toff (@tlen bytes,
 * protocol @proto) computed with pseudo header @ph; UDP's 0 is 0xffff.
 */
static void
finalize_l4(mbuf_t m, int proto, size_t toff, size_t tlen, void *ph,
    size_t phlen)
{
	size_t field = proto == IPPROTO_TCP ? 16 : 6;
	uint16_t zero = 0, sum;

	if (tlen < field + 2 || xk_m_copyback(m, toff + field, 2, &zero) != 0) {
		return;
	}
	sum = cksum_pseudo(ph, phlen, m, toff, tlen);
	if (proto == IPPROTO_UDP && sum == 0) {
		sum = 0xffff;
	}
	xk_m_copyback(m, toff + field, 2, &sum);
}

XK_EXPORT void
mbuf_outbound_finalize(mbuf_t mbuf, uint32_t protocol_family,
    size_t protocol_offset)
{
	struct pkt_meta *pm;
	size_t o = protocol_offset, total, hlen, tlen;
	uint32_t req;
	uint8_t h[40];

	if (!pkt_ok(mbuf, __func__) ||
	    (pm = (struct pkt_meta *)(uintptr_t)meta_get(mbuf)) == NULL) {
		return;
	}
	req = pm->pm_csum_flags;
	total = pkt_len(mbuf);
	if (protocol_family == PF_INET) {
		struct ph4 ph;
		uint16_t zero = 0, sum;
		int proto;

		if (o + 20 > total || xk_m_copydata(mbuf, o, 20, h) != 0) {
			return;
		}
		hlen = (size_t)(h[0] & 0x0f) * 4;
		tlen = (size_t)((h[2] << 8) | h[3]);
		if (hlen < 20 || tlen < hlen || o + tlen > total) {
			return;
		}
		proto = h[9];
		if (req & MBUF_CSUM_REQ_IP) {
			xk_m_copyback(mbuf, o + 10, 2, &zero);
			sum = xk_in_cksum(mbuf, o, hlen);
			xk_m_copyback(mbuf, o + 10, 2, &sum);
			pm->pm_csum_flags &= ~(uint32_t)MBUF_CSUM_REQ_IP;
		}
		if ((req & (MBUF_CSUM_REQ_TCP | MBUF_CSUM_REQ_UDP)) &&
		    (proto == IPPROTO_TCP || proto == IPPROTO_UDP)) {
			memcpy(&ph.src, h + 12, 4);
			memcpy(&ph.dst, h + 16, 4);
			ph.lenproto = htonl((uint32_t)(tlen - hlen) +
			    (uint32_t)proto);
			finalize_l4(mbuf, proto, o + hlen, tlen - hlen, &ph,
			    sizeof(ph));
			pm->pm_csum_flags &= ~(uint32_t)(MBUF_CSUM_REQ_TCP |
			    MBUF_CSUM_REQ_UDP);
		}
	} else if (protocol_family == PF_INET6) {
		struct ph6 ph;
		int proto;

		if (o + 40 > total || xk_m_copydata(mbuf, o, 40, h) != 0) {
			return;
		}
		tlen = (size_t)((h[4] << 8) | h[5]);
		proto = h[6];
		if (o + 40 + tlen > total ||
		    !(req & (MBUF_CSUM_REQ_TCPIPV6 | MBUF_CSUM_REQ_UDPIPV6)) ||
		    (proto != IPPROTO_TCP && proto != IPPROTO_UDP)) {
			return;
		}
		memcpy(&ph.src, h + 8, 16);
		memcpy(&ph.dst, h + 24, 16);
		ph.lenproto = htonl((uint32_t)tlen + (uint32_t)proto);
		finalize_l4(mbuf, proto, o + 40, tlen, &ph, sizeof(ph));
		pm->pm_csum_flags &= ~(uint32_t)(MBUF_CSUM_REQ_TCPIPV6 |
		    MBUF_CSUM_REQ_UDPIPV6);
	}
}

/* Segmentation and coalescing offload */

XK_EXPORT errno_t
mbuf_get_tso_requested(mbuf_t mbuf, mbuf_tso_request_flags_t *request,
    uint32_t *value)
{
	const struct pkt_meta *pm;

	if (request == NULL || value == NULL || !pkt_ok(mbuf, __func__)) {
		return EINVAL;
	}
	pm = meta_get(mbuf);
	*request = pm != NULL ? pm->pm_csum_flags & TSO_MASK : 0;
	if (*request != 0) {
		*value = pm->pm_seg_size;
	}
	return 0;
}

XK_EXPORT errno_t
mbuf_get_gso_info(mbuf_t mbuf, mbuf_gso_type_t *type, uint16_t *seg_size,
    uint16_t *hdr_len)
{
	const struct pkt_meta *pm;
	uint32_t f;

	if (type == NULL || seg_size == NULL || hdr_len == NULL ||
	    !pkt_ok(mbuf, __func__)) {
		return EINVAL;
	}
	pm = meta_get(mbuf);
	f = pm != NULL ? pm->pm_csum_flags & TSO_MASK : 0;
	*type = (f & MBUF_TSO_IPV4) ? MBUF_GSO_TYPE_IPV4 :
	    (f & MBUF_TSO_IPV6) ? MBUF_GSO_TYPE_IPV6 : MBUF_GSO_TYPE_NONE;
	*seg_size = f != 0 ? pm->pm_seg_size : 0;
	*hdr_len = f != 0 ? pm->pm_hdr_len : 0;
	return 0;
}

XK_EXPORT errno_t
mbuf_set_gso_info(mbuf_t mbuf, mbuf_gso_type_t type, uint16_t seg_size,
    uint16_t hdr_len)
{
	struct pkt_meta *pm;
	uint32_t f;

	if (!pkt_ok(mbuf, __func__)) {
		return EINVAL;
	}
	switch (type) {
	case MBUF_GSO_TYPE_NONE:
		if (seg_size != 0 || hdr_len != 0) {
			return EINVAL;
		}
		if ((pm = (struct pkt_meta *)(uintptr_t)meta_get(mbuf)) !=
		    NULL) {
			pm->pm_csum_flags &= ~(uint32_t)TSO_MASK;
			pm->pm_seg_size = 0;
			pm->pm_hdr_len = 0;
		}
		return 0;
	case MBUF_GSO_TYPE_IPV4:
		f = MBUF_TSO_IPV4;
		break;
	case MBUF_GSO_TYPE_IPV6:
		f = MBUF_TSO_IPV6;
		break;
	default:
		return EINVAL;
	}
	if (seg_size == 0) {
		return EINVAL;
	}
	if ((pm = meta_mut(mbuf)) == NULL) {
		return ENOMEM;
	}
	pm->pm_csum_flags |= f;
	pm->pm_seg_size = seg_size;
	pm->pm_hdr_len = hdr_len;
	return 0;
}

XK_EXPORT errno_t
mbuf_get_lro_info(mbuf_t mbuf, uint8_t *seg_cnt, uint8_t *dup_ack_cnt)
{
	const struct pkt_meta *pm;

	if (seg_cnt == NULL || dup_ack_cnt == NULL ||
	    !pkt_ok(mbuf, __func__)) {
		return EINVAL;
	}
	pm = meta_get(mbuf);
	*seg_cnt = pm != NULL ? pm->pm_rx_seg_cnt : 0;
	*dup_ack_cnt = 0;
	return 0;
}

XK_EXPORT errno_t
mbuf_set_lro_info(mbuf_t mbuf, uint8_t seg_cnt, uint8_t dup_ack_cnt)
{
	struct pkt_meta *pm;

	if (!pkt_ok(mbuf, __func__) || dup_ack_cnt != 0 || seg_cnt == 1) {
		return EINVAL;
	}
	if ((pm = meta_mut(mbuf)) == NULL) {
		return ENOMEM;
	}
	pm->pm_rx_seg_cnt = seg_cnt;
	return 0;
}

/* VLAN tags */

XK_EXPORT errno_t
mbuf_get_vlan_tag(mbuf_t mbuf, uint16_t *vlan)
{
	if (vlan == NULL || !pkt_ok(mbuf, __func__)) {
		return EINVAL;
	}
	if (!(meta_csum_flags(mbuf) & CSUM_VLAN_TAG_VALID)) {
		return ENXIO;
	}
	*vlan = meta_get(mbuf)->pm_vlan;
	return 0;
}

XK_EXPORT errno_t
mbuf_set_vlan_tag(mbuf_t mbuf, uint16_t vlan)
{
	struct pkt_meta *pm;

	if (!pkt_ok(mbuf, __func__)) {
		return EINVAL;
	}
	if ((pm = meta_mut(mbuf)) == NULL) {
		return ENOMEM;
	}
	pm->pm_csum_flags |= CSUM_VLAN_TAG_VALID;
	pm->pm_vlan = vlan;
	return 0;
}

XK_EXPORT errno_t
mbuf_clear_vlan_tag(mbuf_t mbuf)
{
	struct pkt_meta *pm;

	if (!pkt_ok(mbuf, __func__)) {
		return EINVAL;
	}
	if ((pm = (struct pkt_meta *)(uintptr_t)meta_get(mbuf)) != NULL) {
		pm->pm_csum_flags &= ~(uint32_t)CSUM_VLAN_TAG_VALID;
		pm->pm_vlan = 0;
	}
	return 0;
}

/* Traffic and service classes */

static bool
sc_valid(uint32_t sc)
{
	switch (sc) {
	case MBUF_SC_BK_SYS:
	case MBUF_SC_BK:
	case MBUF_SC_BE:
	case MBUF_SC_RD:
	case MBUF_SC_OAM:
	case MBUF_SC_AV:
	case MBUF_SC_RV:
	case MBUF_SC_VI:
	case MBUF_SC_SIG:
	case MBUF_SC_VO:
	case MBUF_SC_CTL:
		return true;
	default:
		return false;
	}
}

/* XNU's encoding: bits 16-23 hold the index times 8, bits 7-8 the class. */
#define SC_INDEX(sc)	((((uint32_t)(sc) >> 16) & 0xff) >> 3)
#define SC_TO_TC(sc)	(((uint32_t)(sc) & 0xffff) >> 7)

/* The service class whose traffic class is @tc (BE, BK, VI, VO). */
static mbuf_svc_class_t
tc_to_sc(mbuf_traffic_class_t tc)
{
	switch (tc) {
	case MBUF_TC_BK:
		return MBUF_SC_BK;
	case MBUF_TC_VI:
		return MBUF_SC_VI;
	case MBUF_TC_VO:
		return MBUF_SC_VO;
	default:
		return MBUF_SC_BE;
	}
}

XK_EXPORT mbuf_svc_class_t
mbuf_get_service_class(mbuf_t mbuf)
{
	const struct pkt_meta *pm;

	if (!pkt_ok(mbuf, __func__) || (pm = meta_get(mbuf)) == NULL ||
	    !sc_valid(pm->pm_svc)) {
		return MBUF_SC_BE;
	}
	return (mbuf_svc_class_t)pm->pm_svc;
}

XK_EXPORT errno_t
mbuf_set_service_class(mbuf_t mbuf, mbuf_svc_class_t sc)
{
	struct pkt_meta *pm;

	if (!pkt_ok(mbuf, __func__) || !sc_valid((uint32_t)sc)) {
		return EINVAL;
	}
	if ((pm = meta_mut(mbuf)) == NULL) {
		return ENOMEM;
	}
	pm->pm_svc = (uint32_t)sc;
	return 0;
}

XK_EXPORT mbuf_traffic_class_t
mbuf_get_traffic_class(mbuf_t mbuf)
{
	return (mbuf_traffic_class_t)SC_TO_TC(mbuf_get_service_class(mbuf));
}

XK_EXPORT errno_t
mbuf_set_traffic_class(mbuf_t mbuf, mbuf_traffic_class_t tc)
{
	if ((uint32_t)tc >= MBUF_TC_MAX) {
		return EINVAL;
	}
	return mbuf_set_service_class(mbuf, tc_to_sc(tc));
}

XK_EXPORT int
mbuf_is_traffic_class_privileged(mbuf_t mbuf)
{
	(void)mbuf;
	return 0;
}

XK_EXPORT int
mbuf_is_service_class_privileged(mbuf_t mbuf)
{
	(void)mbuf;
	return 0;
}

XK_EXPORT uint32_t
mbuf_get_traffic_class_max_count(void)
{
	return MBUF_TC_MAX;
}

XK_EXPORT errno_t
mbuf_get_traffic_class_index(mbuf_traffic_class_t tc, uint32_t *index)
{
	if (index == NULL || (uint32_t)tc >= MBUF_TC_MAX) {
		return EINVAL;
	}
	*index = SC_INDEX(tc_to_sc(tc));
	return 0;
}

XK_EXPORT uint32_t
mbuf_get_service_class_max_count(void)
{
	return 10;
}

XK_EXPORT errno_t
mbuf_get_service_class_index(mbuf_svc_class_t sc, uint32_t *index)
{
	if (index == NULL || !sc_valid((uint32_t)sc)) {
		return EINVAL;
	}
	*index = SC_INDEX(sc);
	return 0;
}

/* Flags the library never sets, and driver data */

XK_EXPORT errno_t
mbuf_pkthdr_aux_flags(mbuf_t mbuf, mbuf_pkthdr_aux_flags_t *paux_flags)
{
	if (paux_flags == NULL || !pkt_ok(mbuf, __func__)) {
		return EINVAL;
	}
	*paux_flags = 0;
	return 0;
}

XK_EXPORT errno_t
mbuf_get_driver_scratch(mbuf_t m, uint8_t **area, size_t *area_ln)
{
	struct pkt_meta *pm;

	if (area == NULL || area_ln == NULL || !pkt_ok(m, __func__)) {
		return EINVAL;
	}
	if ((pm = meta_mut(m)) == NULL) {
		return ENOMEM;
	}
	*area = pm->pm_scratch;
	*area_ln = sizeof(pm->pm_scratch);
	return 0;
}

XK_EXPORT errno_t
mbuf_get_unsent_data_bytes(const mbuf_t m, uint32_t *unsent_data)
{
	(void)m;
	(void)unsent_data;
	return EINVAL;
}

XK_EXPORT errno_t
mbuf_get_buffer_status(const mbuf_t m, mbuf_buffer_status_t *buf_status)
{
	(void)m;
	(void)buf_status;
	return EINVAL;
}

XK_EXPORT errno_t
mbuf_pkt_new_flow(const mbuf_t m, uint32_t *retval)
{
	if (retval == NULL || !pkt_ok(m, __func__)) {
		return EINVAL;
	}
	*retval = 0;
	return 0;
}

XK_EXPORT errno_t
mbuf_last_pkt(const mbuf_t m, uint32_t *retval)
{
	if (retval == NULL || !pkt_ok(m, __func__)) {
		return EINVAL;
	}
	*retval = 0;
	return 0;
}

/* Timestamps */

XK_EXPORT errno_t
mbuf_get_timestamp(mbuf_t mbuf, uint64_t *ts, boolean_t *valid)
{
	const struct pkt_meta *pm;
	struct timespec mono, real;
	uint64_t rt, skew;

	if (ts == NULL || !pkt_ok(mbuf, __func__)) {
		return EINVAL;
	}
	pm = meta_get(mbuf);
	if (pm != NULL && (pm->pm_flags & (PM_TS_VALID | PM_TS_CLEARED))) {
		*ts = (pm->pm_flags & PM_TS_VALID) ? pm->pm_ts : 0;
	} else if ((rt = mbuf->m_pkthdr.rcvts) != 0) {
		/* When the backend saw it, on the monotonic clock. */
		clock_gettime(CLOCK_MONOTONIC, &mono);
		clock_gettime(CLOCK_REALTIME, &real);
		skew = (uint64_t)real.tv_sec * 1000000000u +
		    (uint64_t)real.tv_nsec - ((uint64_t)mono.tv_sec *
		    1000000000u + (uint64_t)mono.tv_nsec);
		*ts = rt > skew ? rt - skew : 0;
	} else {
		*ts = 0;
	}
	if (valid != NULL) {
		*valid = *ts != 0 || (pm != NULL &&
		    (pm->pm_flags & PM_TS_VALID)) ? K_TRUE : K_FALSE;
	}
	return 0;
}

XK_EXPORT errno_t
mbuf_set_timestamp(mbuf_t mbuf, uint64_t ts, boolean_t valid)
{
	struct pkt_meta *pm;

	if (!pkt_ok(mbuf, __func__)) {
		return EINVAL;
	}
	if ((pm = meta_mut(mbuf)) == NULL) {
		return ENOMEM;
	}
	pm->pm_flags &= ~(uint32_t)(PM_TS_VALID | PM_TS_CLEARED);
	if (valid) {
		pm->pm_flags |= PM_TS_VALID;
		pm->pm_ts = ts;
	} else {
		pm->pm_flags |= PM_TS_CLEARED;
		pm->pm_ts = 0;
	}
	return 0;
}

/* Transmit completion: registered, recorded, never reported. */

static int
compl_index_locked(mbuf_tx_compl_func cb)
{
	for (int i = 0; i < TX_COMPL_MAX; i++) {
		if (compl_table[i] == cb) {
			return i;
		}
	}
	return -1;
}

XK_EXPORT errno_t
mbuf_register_tx_compl_callback(mbuf_tx_compl_func callback)
{
	errno_t error = ENOSPC;
	int i;

	if (callback == NULL) {
		return EINVAL;
	}
	pthread_mutex_lock(&compl_mtx);
	if (compl_index_locked(callback) >= 0) {
		error = EEXIST;
	} else if ((i = compl_index_locked(NULL)) >= 0) {
		compl_table[i] = callback;
		error = 0;
	}
	pthread_mutex_unlock(&compl_mtx);
	return error;
}

XK_EXPORT errno_t
mbuf_unregister_tx_compl_callback(mbuf_tx_compl_func callback)
{
	errno_t error = ENOENT;
	int i;

	if (callback == NULL) {
		return EINVAL;
	}
	pthread_mutex_lock(&compl_mtx);
	if ((i = compl_index_locked(callback)) >= 0) {
		compl_table[i] = NULL;
		error = 0;
	}
	pthread_mutex_unlock(&compl_mtx);
	return error;
}

XK_EXPORT errno_t
mbuf_set_timestamp_requested(mbuf_t mbuf, uintptr_t *pktid,
    mbuf_tx_compl_func callback)
{
	struct pkt_meta *pm;
	int i;

	if (pktid == NULL || callback == NULL || !pkt_ok(mbuf, __func__)) {
		return EINVAL;
	}
	pthread_mutex_lock(&compl_mtx);
	i = compl_index_locked(callback);
	pthread_mutex_unlock(&compl_mtx);
	if (i < 0) {
		return ENOENT;
	}
	if ((pm = meta_mut(mbuf)) == NULL) {
		return ENOMEM;
	}
	if (!(pm->pm_flags & PM_TS_REQ)) {
		pm->pm_flags |= PM_TS_REQ;
		pm->pm_compl_callbacks = 0;
		pm->pm_compl_id = atomic_fetch_add(&compl_next_id, 1);
	}
	pm->pm_compl_callbacks |= 1u << i;
	*pktid = pm->pm_compl_id;
	return 0;
}

XK_EXPORT errno_t
mbuf_get_timestamp_requested(mbuf_t mbuf, boolean_t *requested)
{
	const struct pkt_meta *pm;

	if (requested == NULL || !pkt_ok(mbuf, __func__)) {
		return EINVAL;
	}
	pm = meta_get(mbuf);
	*requested = pm != NULL && (pm->pm_flags & PM_TS_REQ) ? K_TRUE :
	    K_FALSE;
	return 0;
}

XK_EXPORT errno_t
mbuf_set_status(mbuf_t mbuf, kern_return_t status)
{
	struct pkt_meta *pm;

	if (!pkt_ok(mbuf, __func__)) {
		return EINVAL;
	}
	if ((pm = meta_mut(mbuf)) == NULL) {
		return ENOMEM;
	}
	pm->pm_status = status;
	return 0;
}

XK_EXPORT errno_t
mbuf_get_status(mbuf_t mbuf, kern_return_t *status)
{
	const struct pkt_meta *pm;

	if (status == NULL || !pkt_ok(mbuf, __func__)) {
		return EINVAL;
	}
	pm = meta_get(mbuf);
	*status = pm != NULL ? pm->pm_status : 0;
	return 0;
}

XK_EXPORT errno_t
mbuf_set_tx_compl_data(mbuf_t m, uintptr_t arg, uintptr_t data)
{
	struct pkt_meta *pm;

	if (!pkt_ok(m, __func__)) {
		return EINVAL;
	}
	if ((pm = meta_mut(m)) == NULL) {
		return ENOMEM;
	}
	pm->pm_compl_arg = arg;
	pm->pm_compl_data = data;
	return 0;
}

XK_EXPORT errno_t
mbuf_get_tx_compl_data(mbuf_t m, uintptr_t *arg, uintptr_t *data)
{
	const struct pkt_meta *pm;

	if (arg == NULL || data == NULL || !pkt_ok(m, __func__)) {
		return EINVAL;
	}
	pm = meta_get(m);
	*arg = pm != NULL ? pm->pm_compl_arg : 0;
	*data = pm != NULL ? pm->pm_compl_data : 0;
	return 0;
}

XK_EXPORT errno_t
mbuf_set_flowid(mbuf_t mbuf, uint16_t flowid)
{
	struct pkt_meta *pm;

	if (!pkt_ok(mbuf, __func__)) {
		return EINVAL;
	}
	if ((pm = meta_mut(mbuf)) == NULL) {
		return ENOMEM;
	}
	pm->pm_flowid = flowid;
	return 0;
}

XK_EXPORT errno_t
mbuf_get_flowid(mbuf_t mbuf, uint16_t *flowid)
{
	const struct pkt_meta *pm;

	if (flowid == NULL || !pkt_ok(mbuf, __func__)) {
		return EINVAL;
	}
	pm = meta_get(mbuf);
	*flowid = pm != NULL ? pm->pm_flowid : 0;
	return 0;
}

static errno_t
flag_set(mbuf_t m, uint32_t flag, boolean_t on, const char *fn)
{
	struct pkt_meta *pm;

	if (!pkt_ok(m, fn)) {
		return EINVAL;
	}
	if (!on) {
		if ((pm = (struct pkt_meta *)(uintptr_t)meta_get(m)) != NULL) {
			pm->pm_flags &= ~flag;
		}
		return 0;
	}
	if ((pm = meta_mut(m)) == NULL) {
		return ENOMEM;
	}
	pm->pm_flags |= flag;
	return 0;
}

static errno_t
flag_get(mbuf_t m, uint32_t flag, boolean_t *on, const char *fn)
{
	const struct pkt_meta *pm;

	if (on == NULL || !pkt_ok(m, fn)) {
		return EINVAL;
	}
	pm = meta_get(m);
	*on = pm != NULL && (pm->pm_flags & flag) ? K_TRUE : K_FALSE;
	return 0;
}

XK_EXPORT errno_t
mbuf_set_keepalive_flag(mbuf_t mbuf, boolean_t is_keepalive)
{
	return flag_set(mbuf, PM_KEEPALIVE, is_keepalive, __func__);
}

XK_EXPORT errno_t
mbuf_get_keepalive_flag(mbuf_t mbuf, boolean_t *is_keepalive)
{
	return flag_get(mbuf, PM_KEEPALIVE, is_keepalive, __func__);
}

XK_EXPORT errno_t
mbuf_set_wake_packet_flag(mbuf_t mbuf, boolean_t is_wake_packet)
{
	return flag_set(mbuf, PM_WAKE, is_wake_packet, __func__);
}

XK_EXPORT errno_t
mbuf_get_wake_packet_flag(mbuf_t mbuf, boolean_t *is_wake_packet)
{
	return flag_get(mbuf, PM_WAKE, is_wake_packet, __func__);
}

/* Driver auxiliary data: a tag of its own, as in XNU. */

XK_EXPORT errno_t
mbuf_add_drvaux(mbuf_t mbuf, mbuf_how_t how, uint32_t family,
    uint32_t subfamily, size_t length, void **data_p)
{
	struct drvaux_hdr *da;
	struct xk_mtag *t;

	if (!pkt_ok(mbuf, __func__) || length == 0 ||
	    length > DRVAUX_MAXLEN) {
		return EINVAL;
	}
	if (data_p != NULL) {
		*data_p = NULL;
	}
	if (tag_find(mbuf, TAG_DRVAUX) != NULL) {
		return EEXIST;
	}
	if (!meta_tag_ok || (t = xk_m_tag_alloc(meta_tag_id, TAG_DRVAUX,
	    sizeof(*da) + length)) == NULL) {
		return how == MBUF_WAITOK ? ENOMEM : EWOULDBLOCK;
	}
	memset(t->mt_data, 0, sizeof(*da) + length);
	da = (struct drvaux_hdr *)(void *)t->mt_data;
	da->da_family = family;
	da->da_subfamily = subfamily;
	da->da_length = (uint32_t)length;
	xk_m_tag_prepend(mbuf, t);
	if (data_p != NULL) {
		*data_p = da + 1;
	}
	return 0;
}

XK_EXPORT errno_t
mbuf_find_drvaux(mbuf_t mbuf, uint32_t *family_p, uint32_t *subfamily_p,
    uint32_t *length_p, void **data_p)
{
	struct drvaux_hdr *da;
	struct xk_mtag *t;

	if (data_p == NULL || !pkt_ok(mbuf, __func__)) {
		return EINVAL;
	}
	*data_p = NULL;
	if ((t = tag_find(mbuf, TAG_DRVAUX)) == NULL) {
		return ENOENT;
	}
	da = (struct drvaux_hdr *)(void *)t->mt_data;
	if (family_p != NULL) {
		*family_p = da->da_family;
	}
	if (subfamily_p != NULL) {
		*subfamily_p = da->da_subfamily;
	}
	if (length_p != NULL) {
		*length_p = da->da_length;
	}
	*data_p = da + 1;
	return 0;
}

XK_EXPORT void
mbuf_del_drvaux(mbuf_t mbuf)
{
	struct xk_mtag *t;

	if (pkt_ok(mbuf, __func__) &&
	    (t = tag_find(mbuf, TAG_DRVAUX)) != NULL) {
		xk_m_tag_unlink_free(mbuf, t);
	}
}
