/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * IPv4 and IPv6 fragmentation on output and reassembly on input, with
 * BSD's rules: fragment data in multiples of 8 bytes, only the "copied"
 * IPv4 options in later fragments, overlaps trimmed from the newer data,
 * bounded queues that time out.  Every fragment received ends in a
 * reassembled packet or in a drop counter; every fragment made is sent
 * or counted.
 */
#include "core/xk.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <stdatomic.h>
#include <string.h>

#include <xkpi.h>

#include "core/ip_var.h"
#include "core/socket_var.h"

#define IP_MAXPACKET_LEN	65535
#define IPOPT_COPIED_BIT	0x80
#define FRAG_TICK_MS		1000	/* the expiry timer's period */

/* Output. */

/* A fresh packet-header mbuf holding @len bytes of @hdr; NULL: no memory. */
static struct __mbuf *
frag_hdr_mbuf(const void *hdr, size_t len)
{
	struct __mbuf *n;

	if ((n = xk_m_get(MBUF_TYPE_DATA, true)) == NULL) {
		return NULL;
	}
	if (xk_m_copyback(n, 0, len, hdr) != 0) {
		xk_m_freem(n);
		return NULL;
	}
	return n;
}

/*
 * One fragment: the header @hdr (@hlen bytes), then @len bytes of @m at
 * @off, sharing @m's clusters.  NULL without memory.
 */
static struct __mbuf *
frag_build(const void *hdr, size_t hlen, struct __mbuf *m, size_t off,
    size_t len)
{
	struct __mbuf *n, *data;
	int error;

	if ((n = frag_hdr_mbuf(hdr, hlen)) == NULL) {
		return NULL;
	}
	if ((data = xk_m_copym(m, off, len, &error)) == NULL) {
		xk_m_freem(n);
		return NULL;
	}
	xk_m_cat(n, data);
	n->m_pkthdr.len = (int32_t)(hlen + len);
	return n;
}

static void
frag_list_free(struct __mbuf *m)
{
	while (m != NULL) {
		struct __mbuf *next = m->m_nextpkt;

		m->m_nextpkt = NULL;
		xk_m_freem(m);
		m = next;
	}
}

/*
 * The options a later fragment carries (ip_optcopy): those whose copied
 * bit is set, NOPs kept for alignment, EOL padding to a 4-byte multiple.
 * A malformed option ends the copy.  Returns the length written to @dp.
 */
static size_t
ip_optcopy(const uint8_t *cp, size_t cnt, uint8_t *dp)
{
	size_t n = 0, optlen;

	for (; cnt > 0; cnt -= optlen, cp += optlen) {
		uint8_t opt = cp[0];

		if (opt == IPOPT_EOL) {
			break;
		}
		if (opt == IPOPT_NOP) {
			dp[n++] = IPOPT_NOP;
			optlen = 1;
			continue;
		}
		if (cnt < 2 || cp[1] < 2 || cp[1] > cnt) {
			break;
		}
		optlen = cp[1];
		if (opt & IPOPT_COPIED_BIT) {
			memcpy(dp + n, cp, optlen);
			n += optlen;
		}
	}
	while (n & 3) {
		dp[n++] = IPOPT_EOL;
	}
	return n;
}

/* Trims @m to @len bytes when it is longer. */
static void
trim_to(struct __mbuf *m, size_t len)
{
	size_t have = xk_m_length(m);

	if (have > len) {
		xk_m_adj(m, -(int)(have - len));
	}
}

int
xk_ip_fragment_locked(struct __mbuf *m, size_t mtu, struct __mbuf **listp)
{
	_Alignas(struct ip) uint8_t hdr[60], mhdr[60];
	struct __mbuf *head = NULL, **tail = &head, *n;
	size_t hlen, mhlen, iplen, chunk, payload;
	uint16_t ipoff, base, mf;
	struct ip ip;

	XK_LOCK_ASSERT();
	*listp = NULL;
	xk_m_copydata(m, 0, sizeof(ip), &ip);
	hlen = (size_t)ip.ip_hl << 2;
	iplen = ntohs(ip.ip_len);
	ipoff = ntohs(ip.ip_off);
	/* The MTU must hold the first header and 8 data bytes. */
	if ((ipoff & IP_DF) || mtu < hlen + 8 || hlen < sizeof(ip) ||
	    iplen < hlen || iplen > xk_m_length(m)) {
		xk_ipstat.ips_cantfrag++;
		xk_m_freem(m);
		return EMSGSIZE;
	}
	/* Bytes past ip_len (an IP_HDRINCL caller's) are not the packet's. */
	trim_to(m, iplen);
	xk_m_copydata(m, 0, hlen, hdr);
	/* Later fragments: the fixed header and the copied options. */
	memcpy(mhdr, hdr, sizeof(ip));
	mhlen = sizeof(ip) + ip_optcopy(hdr + sizeof(ip), hlen - sizeof(ip),
	    mhdr + sizeof(ip));
	((struct ip *)(void *)mhdr)->ip_hl = (unsigned int)(mhlen >> 2);
	chunk = (mtu - hlen) & ~(size_t)7;
	payload = iplen - hlen;
	/* A fragment of a fragment: offsets from its own, its MF last. */
	base = ipoff & IP_OFFMASK;
	mf = ipoff & IP_MF;
	for (size_t off = 0; off < payload; off += chunk) {
		size_t len = payload - off < chunk ? payload - off : chunk;
		bool first = off == 0, last = off + len == payload;
		uint8_t *h = first ? hdr : mhdr;
		size_t hl = first ? hlen : mhlen;
		struct ip *fip = (struct ip *)(void *)h;

		fip->ip_len = htons((uint16_t)(hl + len));
		fip->ip_off = htons((uint16_t)((ipoff & IP_RF) |
		    (base + off / 8) | (last ? mf : IP_MF)));
		fip->ip_sum = 0;
		fip->ip_sum = xk_in_cksum_buf(h, hl);
		if ((n = frag_build(h, hl, m, hlen + off, len)) == NULL) {
			frag_list_free(head);
			xk_m_freem(m);
			xk_ipstat.ips_odropped++;
			return ENOBUFS;
		}
		*tail = n;
		tail = &n->m_nextpkt;
		xk_ipstat.ips_ofragments++;
	}
	xk_m_freem(m);
	*listp = head;
	return 0;
}

/*
 * The unfragmentable part of an IPv6 packet (RFC 8200 4.5): the fixed
 * header, Hop-by-Hop options, and everything up to a Routing header.
 * Its length goes to *@unfragp and the offset of the next-header byte
 * the Fragment header is named in to *@prevp.  EMSGSIZE: a Fragment
 * header is already there.
 */
static int
ip6_unfrag_len(const struct __mbuf *m, size_t *unfragp, size_t *prevp)
{
	size_t total = xk_m_length(m), off = sizeof(struct ip6_hdr);
	size_t prev = offsetof(struct ip6_hdr, ip6_nxt);
	uint8_t nxt, eh[2];

	*unfragp = off;
	*prevp = prev;
	xk_m_copydata(m, prev, 1, &nxt);
	for (int i = 0; i < 32; i++) {
		size_t len;

		if (nxt == IPPROTO_FRAGMENT) {
			return EMSGSIZE;
		}
		if ((nxt != IPPROTO_HOPOPTS || off != sizeof(struct ip6_hdr)) &&
		    nxt != IPPROTO_DSTOPTS && nxt != IPPROTO_ROUTING) {
			break;
		}
		if (off + 2 > total) {
			break;
		}
		xk_m_copydata(m, off, 2, eh);
		len = ((size_t)eh[1] + 1) * 8;
		if (off + len > total) {
			break;
		}
		/* Destination options count only before a Routing header. */
		if (nxt != IPPROTO_DSTOPTS) {
			*unfragp = off + len;
			*prevp = off;
		}
		prev = off;
		off += len;
		nxt = eh[0];
	}
	return 0;
}

int
xk_ip6_fragment_locked(struct __mbuf *m, size_t mtu, struct __mbuf **listp)
{
	struct __mbuf *head = NULL, **tail = &head, *n;
	size_t unfrag, prev, chunk, payload, total;
	struct ip6_frag fh;
	uint8_t *hdr;
	uint32_t id;

	XK_LOCK_ASSERT();
	*listp = NULL;
	total = xk_m_length(m);
	if (ip6_unfrag_len(m, &unfrag, &prev) != 0 ||
	    mtu < unfrag + sizeof(fh) + 8) {
		xk_ipstat.ip6s_cantfrag++;
		xk_m_freem(m);
		return EMSGSIZE;
	}
	if ((hdr = g_try_malloc(unfrag + sizeof(fh))) == NULL) {
		xk_m_freem(m);
		xk_ipstat.ip6s_odropped++;
		return ENOBUFS;
	}
	xk_m_copydata(m, 0, unfrag, hdr);
	memset(&fh, 0, sizeof(fh));
	fh.ip6f_nxt = hdr[prev];
	hdr[prev] = IPPROTO_FRAGMENT;
	id = xk_ip6_randomid();
	fh.ip6f_ident = htonl(id);
	chunk = (mtu - unfrag - sizeof(fh)) & ~(size_t)7;
	payload = total - unfrag;
	for (size_t off = 0; off < payload; off += chunk) {
		size_t len = payload - off < chunk ? payload - off : chunk;
		struct ip6_hdr *ip6 = (struct ip6_hdr *)(void *)hdr;

		ip6->ip6_plen = htons((uint16_t)(unfrag - sizeof(*ip6) +
		    sizeof(fh) + len));
		fh.ip6f_offlg = htons((uint16_t)off);
		if (off + len < payload) {
			fh.ip6f_offlg |= IP6F_MORE_FRAG;
		}
		memcpy(hdr + unfrag, &fh, sizeof(fh));
		n = frag_build(hdr, unfrag + sizeof(fh), m, unfrag + off, len);
		if (n == NULL) {
			frag_list_free(head);
			xk_m_freem(m);
			g_free(hdr);
			xk_ipstat.ip6s_odropped++;
			return ENOBUFS;
		}
		*tail = n;
		tail = &n->m_nextpkt;
		xk_ipstat.ip6s_ofragments++;
	}
	g_free(hdr);
	xk_m_freem(m);
	*listp = head;
	return 0;
}

/* Reassembly. */

struct fragq_key {
	uint8_t		fk_family;	/* AF_INET, AF_INET6 */
	uint8_t		fk_proto;	/* IPv4 only */
	uint16_t	fk_pad;
	uint32_t	fk_id;
	uint8_t		fk_src[16];
	uint8_t		fk_dst[16];
};

struct frag {
	struct __mbuf	*f_m;		/* its data only */
	uint32_t	 f_off;		/* data offset in the packet's data */
	uint32_t	 f_len;
};

struct fragq {
	struct fragq_key fq_key;
	struct frag	 fq_frags[XK_IPFRAG_MAXFRAGS]; /* by offset */
	unsigned int	 fq_nfrags;
	bool		 fq_last;	/* the fragment without MF came */
	uint32_t	 fq_end;	/* data length, once fq_last */
	int64_t		 fq_born;	/* g_get_monotonic_time() */
	uint8_t		*fq_hdr;	/* first fragment's header, or NULL */
	size_t		 fq_hlen;	/* (IPv6: the unfragmentable part) */
	size_t		 fq_prev;	/* IPv6: next-header byte to patch */
	uint8_t		 fq_nxt;	/* IPv6: the Fragment header's next */
	GList		 fq_link;	/* in frag_age, oldest first */
};

static GHashTable *frag_table;		/* fragq_key -> fragq */
static GQueue frag_age = G_QUEUE_INIT;
static unsigned int frag_count[2];	/* queues: IPv4, IPv6 */
static _Atomic unsigned int frag_timeout_ms = XK_IPFRAG_TIMEOUT_MS;
static struct event *frag_timer;
static void frag_timer_arm(void);

static guint
fragq_hash(gconstpointer p)
{
	const struct fragq_key *k = p;
	guint h = 2166136261u;

	for (size_t i = 0; i < sizeof(*k); i++) {
		h = (h ^ ((const uint8_t *)k)[i]) * 16777619u;
	}
	return h;
}

static gboolean
fragq_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, sizeof(struct fragq_key)) == 0;
}

static unsigned int
fam_index(const struct fragq *fq)
{
	return fq->fq_key.fk_family == AF_INET6;
}

/* Frees a queue and its fragments, adding their number to @counter. */
static void
fragq_free(struct fragq *fq, uint64_t *counter)
{
	*counter += fq->fq_nfrags;
	for (unsigned int i = 0; i < fq->fq_nfrags; i++) {
		xk_m_freem(fq->fq_frags[i].f_m);
	}
	g_hash_table_remove(frag_table, &fq->fq_key);
	g_queue_unlink(&frag_age, &fq->fq_link);
	frag_count[fam_index(fq)]--;
	g_free(fq->fq_hdr);
	g_free(fq);
}

static uint64_t *
dropped_counter(int family)
{
	return family == AF_INET ? &xk_ipstat.ips_fragdropped :
	    &xk_ipstat.ip6s_fragdropped;
}

/*
 * The queue of @key, made (the oldest of its family evicted) if new; NULL
 * when there is no memory for it.
 */
static struct fragq *
fragq_lookup(const struct fragq_key *key)
{
	unsigned int fam = key->fk_family == AF_INET6;
	struct fragq *fq;

	if (frag_table == NULL) {
		frag_table = g_hash_table_new(fragq_hash, fragq_equal);
	}
	if ((fq = g_hash_table_lookup(frag_table, key)) != NULL) {
		return fq;
	}
	if (frag_count[fam] >= XK_IPFRAG_MAXPACKETS) {
		for (GList *l = frag_age.head; l != NULL; l = l->next) {
			struct fragq *old = l->data;

			if (fam_index(old) == fam) {
				fragq_free(old,
				    dropped_counter(key->fk_family));
				break;
			}
		}
	}
	if ((fq = g_try_new0(struct fragq, 1)) == NULL) {
		return NULL;
	}
	fq->fq_key = *key;
	fq->fq_born = g_get_monotonic_time();
	fq->fq_link.data = fq;
	g_queue_push_tail_link(&frag_age, &fq->fq_link);
	g_hash_table_insert(frag_table, &fq->fq_key, fq);
	frag_count[fam]++;
	frag_timer_arm();
	return fq;
}

/*
 * Inserts data [@off, @off + @len) held by @m (consumed) into @fq, with
 * BSD's overlap rules: what earlier data already covers is cut from the
 * new fragment (all of it: a duplicate, dropped); later fragments the
 * new one covers are cut at their front, or dropped whole.  Then the
 * queue must stay consistent with its last fragment.  Returns false when
 * the queue is garbage and must go (the caller frees it).
 */
static bool
fragq_insert(struct fragq *fq, struct __mbuf *m, uint32_t off, uint32_t len,
    bool more, uint64_t *dropped)
{
	uint32_t end = off + len;
	unsigned int i, j;

	/* Consistency with the last fragment (a stricter check than BSD). */
	if (fq->fq_last && (end > fq->fq_end || (!more && end != fq->fq_end))) {
		goto bad;
	}
	if (!more && fq->fq_nfrags > 0) {
		const struct frag *l = &fq->fq_frags[fq->fq_nfrags - 1];

		if (l->f_off + l->f_len > end) {
			goto bad;
		}
	}
	if (!more) {
		fq->fq_last = true;
		fq->fq_end = end;
	}
	/* The first fragment that begins after this one. */
	for (i = 0; i < fq->fq_nfrags && fq->fq_frags[i].f_off <= off; i++) {
		continue;
	}
	if (i > 0) {
		const struct frag *p = &fq->fq_frags[i - 1];
		uint32_t pend = p->f_off + p->f_len;

		if (pend > off) {
			if (pend >= end) {
				(*dropped)++;	/* nothing new in it */
				xk_m_freem(m);
				return true;
			}
			xk_m_adj(m, (int)(pend - off));
			off = pend;
			len = end - off;
		}
	}
	/* Later fragments this one covers. */
	for (j = i; j < fq->fq_nfrags && fq->fq_frags[j].f_off < end; ) {
		struct frag *q = &fq->fq_frags[j];
		uint32_t cut = end - q->f_off;

		if (cut < q->f_len) {
			xk_m_adj(q->f_m, (int)cut);
			q->f_off += cut;
			q->f_len -= cut;
			break;
		}
		(*dropped)++;
		xk_m_freem(q->f_m);
		memmove(q, q + 1, (fq->fq_nfrags - j - 1) * sizeof(*q));
		fq->fq_nfrags--;
	}
	if (fq->fq_nfrags == XK_IPFRAG_MAXFRAGS) {
		goto bad;
	}
	memmove(&fq->fq_frags[i + 1], &fq->fq_frags[i],
	    (fq->fq_nfrags - i) * sizeof(fq->fq_frags[0]));
	fq->fq_frags[i].f_m = m;
	fq->fq_frags[i].f_off = off;
	fq->fq_frags[i].f_len = len;
	fq->fq_nfrags++;
	return true;
bad:
	(*dropped)++;
	xk_m_freem(m);
	return false;
}

/* Whether every byte from 0 to the last fragment's end is there. */
static bool
fragq_complete(const struct fragq *fq)
{
	uint32_t next = 0;

	if (!fq->fq_last || fq->fq_hdr == NULL) {
		return false;
	}
	for (unsigned int i = 0; i < fq->fq_nfrags; i++) {
		if (fq->fq_frags[i].f_off != next) {
			return false;
		}
		next += fq->fq_frags[i].f_len;
	}
	return next == fq->fq_end;
}

/*
 * Joins the data of a complete queue behind its first fragment's header
 * and empties the queue.  The packet header is the first fragment's.
 * NULL without memory (the fragments are then counted in @dropped).
 */
static struct __mbuf *
fragq_join(struct fragq *fq, uint64_t *dropped)
{
	struct __mbuf *m = fq->fq_frags[0].f_m;
	unsigned int nfrags = fq->fq_nfrags;

	for (unsigned int i = 1; i < fq->fq_nfrags; i++) {
		struct __mbuf *n = fq->fq_frags[i].f_m;

		/* A packet header in mid-chain would be wrong: demote it. */
		if (n->m_flags & M_PKTHDR) {
			xk_m_tag_delete_chain(n);
			n->m_flags &= (uint16_t)~M_PKTHDR;
		}
		xk_m_cat(m, n);
	}
	fq->fq_nfrags = 0;
	m->m_pkthdr.len = (int32_t)xk_m_length(m);
	if ((m = xk_m_prepend(m, fq->fq_hlen)) != NULL) {
		(void)xk_m_copyback(m, 0, fq->fq_hlen, fq->fq_hdr);
	} else {
		*dropped += nfrags;	/* they went as one chain */
	}
	return m;
}

/*
 * What both families do with a parsed fragment: refuse a bad length, and
 * a packet that would pass 64 KiB (with its whole queue); keep the first
 * fragment's @hlen header bytes (and, for IPv6, where the Fragment header
 * was named, @prev, and what it named, @nxt); queue the data that follows
 * @strip bytes.  @base is the part of the header the 64 KiB does not
 * count (IPv6's fixed header).  Returns the queue once no hole is left,
 * else NULL; what is dropped is counted in *@dropped.
 */
static struct fragq *
frag_add_locked(const struct fragq_key *key, struct __mbuf *m, size_t hlen,
    size_t strip, size_t base, uint32_t off, uint32_t len, bool more,
    size_t prev, uint8_t nxt, uint64_t *dropped)
{
	struct fragq *fq;

	/* Only the last fragment may hold other than 8-byte multiples. */
	if (more && (len == 0 || (len & 7) != 0)) {
		(*dropped)++;
		xk_m_freem(m);
		return NULL;
	}
	if (hlen - base + off + len > IP_MAXPACKET_LEN) {
		(*dropped)++;
		xk_m_freem(m);
		if (frag_table != NULL &&
		    (fq = g_hash_table_lookup(frag_table, key)) != NULL) {
			fragq_free(fq, dropped);
		}
		return NULL;
	}
	if ((fq = fragq_lookup(key)) == NULL) {
		(*dropped)++;
		xk_m_freem(m);
		return NULL;
	}
	if (off == 0 && fq->fq_hdr == NULL) {
		/* The header (IPv6: unfragmentable part) of the first. */
		if ((fq->fq_hdr = g_try_malloc(hlen)) == NULL) {
			(*dropped)++;
			xk_m_freem(m);
			fragq_free(fq, dropped);
			return NULL;
		}
		fq->fq_hlen = hlen;
		fq->fq_prev = prev;
		fq->fq_nxt = nxt;
		xk_m_copydata(m, 0, hlen, fq->fq_hdr);
	}
	xk_m_adj(m, (int)strip);
	if (!fragq_insert(fq, m, off, len, more, dropped)) {
		fragq_free(fq, dropped);
		return NULL;
	}
	if (!fragq_complete(fq)) {
		return NULL;
	}
	if (fq->fq_hlen - base + fq->fq_end > IP_MAXPACKET_LEN) {
		fragq_free(fq, dropped);
		return NULL;
	}
	return fq;
}

/* The packet of complete queue @fq, which goes; NULL without memory. */
static struct __mbuf *
frag_finish_locked(struct fragq *fq, uint64_t *dropped)
{
	struct __mbuf *m = fragq_join(fq, dropped);

	fragq_free(fq, dropped);
	return m;
}

struct __mbuf *
xk_ip_reass_locked(struct __mbuf *m, size_t hlen, size_t *hlenp)
{
	uint64_t *dropped = &xk_ipstat.ips_fragdropped;
	struct fragq_key key;
	struct fragq *fq;
	struct ip ip;
	uint32_t off, len;
	bool more;

	XK_LOCK_ASSERT();
	xk_ipstat.ips_fragments++;
	xk_m_copydata(m, 0, sizeof(ip), &ip);
	off = (uint32_t)(ntohs(ip.ip_off) & IP_OFFMASK) * 8;
	len = (uint32_t)(ntohs(ip.ip_len) - hlen);
	more = (ntohs(ip.ip_off) & IP_MF) != 0;
	memset(&key, 0, sizeof(key));
	key.fk_family = AF_INET;
	key.fk_proto = ip.ip_p;
	key.fk_id = ip.ip_id;
	memcpy(key.fk_src, &ip.ip_src, sizeof(ip.ip_src));
	memcpy(key.fk_dst, &ip.ip_dst, sizeof(ip.ip_dst));
	if ((fq = frag_add_locked(&key, m, hlen, hlen, 0, off, len, more, 0,
	    0, dropped)) == NULL) {
		return NULL;
	}
	hlen = fq->fq_hlen;
	if ((m = frag_finish_locked(fq, dropped)) == NULL) {
		return NULL;
	}
	xk_ipstat.ips_reassembled++;
	xk_m_copydata(m, 0, sizeof(ip), &ip);
	ip.ip_len = htons((uint16_t)xk_m_length(m));
	ip.ip_off = 0;
	(void)xk_m_copyback(m, 0, sizeof(ip), &ip);
	xk_ip_cksum_hdr(m);
	*hlenp = hlen;
	return m;
}

struct __mbuf *
xk_ip6_reass_locked(struct __mbuf *m, const struct xk_ip6_hdrs *h)
{
	uint64_t *dropped = &xk_ipstat.ip6s_fragdropped;
	size_t hlen = h->ih_fragoff;
	struct fragq_key key;
	struct ip6_hdr ip6;
	struct ip6_frag fh;
	struct fragq *fq;
	uint32_t off, len;
	bool more;

	XK_LOCK_ASSERT();
	xk_ipstat.ip6s_fragments++;
	xk_m_copydata(m, 0, sizeof(ip6), &ip6);
	xk_m_copydata(m, hlen, sizeof(fh), &fh);
	off = ntohs(fh.ip6f_offlg & IP6F_OFF_MASK);
	len = (uint32_t)(xk_m_length(m) - hlen - sizeof(fh));
	more = (fh.ip6f_offlg & IP6F_MORE_FRAG) != 0;
	memset(&key, 0, sizeof(key));
	key.fk_family = AF_INET6;
	key.fk_id = fh.ip6f_ident;
	memcpy(key.fk_src, &ip6.ip6_src, sizeof(ip6.ip6_src));
	memcpy(key.fk_dst, &ip6.ip6_dst, sizeof(ip6.ip6_dst));
	if ((fq = frag_add_locked(&key, m, hlen, hlen + sizeof(fh),
	    sizeof(ip6), off, len, more, h->ih_fragprev, fh.ip6f_nxt,
	    dropped)) == NULL) {
		return NULL;
	}
	/* The Fragment header goes: who named it names what it named. */
	fq->fq_hdr[fq->fq_prev] = fq->fq_nxt;
	if ((m = frag_finish_locked(fq, dropped)) == NULL) {
		return NULL;
	}
	xk_ipstat.ip6s_reassembled++;
	xk_m_copydata(m, 0, sizeof(ip6), &ip6);
	ip6.ip6_plen = htons((uint16_t)(xk_m_length(m) - sizeof(ip6)));
	(void)xk_m_copyback(m, 0, sizeof(ip6), &ip6);
	return m;
}

/* Expiry. */

static void
frag_expire_locked(int64_t now)
{
	int64_t ttl = (int64_t)atomic_load(&frag_timeout_ms) * 1000;
	GList *l, *next;

	for (l = frag_age.head; l != NULL; l = next) {
		struct fragq *fq = l->data;

		next = l->next;
		/* Oldest first: the first one still young ends the walk. */
		if (now - fq->fq_born < ttl) {
			break;
		}
		fragq_free(fq, fq->fq_key.fk_family == AF_INET ?
		    &xk_ipstat.ips_fragtimeout : &xk_ipstat.ip6s_fragtimeout);
	}
}

static void
frag_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	bool was;

	(void)fd;
	(void)what;
	(void)arg;
	was = xk_loop_enter();
	xk_core_lock();
	frag_expire_locked(g_get_monotonic_time());
	/* Nothing left to age: the loop need not wake for us. */
	if (frag_age.length == 0) {
		(void)event_del(frag_timer);
	}
	xk_core_unlock();
	xk_loop_leave(was);
}

/* The timer's period: a second, or less for a shorter queue lifetime. */
static struct timeval
frag_tick(void)
{
	unsigned int ms = atomic_load(&frag_timeout_ms) / 2;
	struct timeval tv;

	if (ms > FRAG_TICK_MS) {
		ms = FRAG_TICK_MS;
	}
	if (ms < 5) {
		ms = 5;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	return tv;
}

/* Starts the ageing timer if it is not running; core lock held. */
static void
frag_timer_arm(void)
{
	struct timeval tv = frag_tick();

	if (frag_timer != NULL &&
	    !event_pending(frag_timer, EV_TIMEOUT, NULL) &&
	    event_add(frag_timer, &tv) != 0) {
		xk_log(XKPI_LOG_ERROR, "fragments: cannot start the timer");
	}
}

int
xk_ip_frag_open(struct event_base *base)
{
	/* Armed while queues wait (frag_timer_arm). */
	frag_timer = event_new(base, -1, EV_PERSIST, frag_timer_cb, NULL);
	return frag_timer != NULL ? 0 : ENOMEM;
}

void
xk_ip_frag_close(void)
{
	GList *l;

	/* Without the core lock: event_free waits for a running callback. */
	if (frag_timer != NULL) {
		event_free(frag_timer);
		frag_timer = NULL;
	}
	xk_core_lock();
	while ((l = frag_age.head) != NULL) {
		struct fragq *fq = l->data;

		fragq_free(fq, dropped_counter(fq->fq_key.fk_family));
	}
	if (frag_table != NULL) {
		g_hash_table_destroy(frag_table);
		frag_table = NULL;
	}
	xk_core_unlock();
}

void
xk_ip_frag_set_timeout_ms(unsigned int ms)
{
	struct timeval tv;

	atomic_store(&frag_timeout_ms, ms != 0 ? ms : XK_IPFRAG_TIMEOUT_MS);
	tv = frag_tick();
	/* Re-armed with the new period; libevent takes its own lock. */
	if (frag_timer != NULL && event_pending(frag_timer, EV_TIMEOUT, NULL)) {
		(void)event_add(frag_timer, &tv);
	}
}

unsigned int
xk_ip_frag_queues(void)
{
	unsigned int n;

	xk_core_lock();
	n = frag_count[0] + frag_count[1];
	xk_core_unlock();
	return n;
}
