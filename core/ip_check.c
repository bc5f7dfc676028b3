/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * IPv4 and IPv6 input checks, the Internet checksum, and the BSD raw
 * socket header forms.  Headers are read and written through copydata and
 * copyback, so a header split across mbufs is handled like any other.
 */
#include "core/xk.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "core/ip_var.h"

#define IP_MAXPACKET_LEN	65535
/* The version nibble of ip6_vfc (glibc does not name these). */
#define IP6_VERSION_MASK	0xf0
#define IP6_VERSION		0x60
#define IP6_MAXEXTHDRS		32	/* bound on the extension walk */

static const char *const ipdrop_names[XK_IPDROP_COUNT] = {
	[XK_IPDROP_NONE] = "none",
	[XK_IPDROP_TOOSMALL] = "toosmall",
	[XK_IPDROP_BADVERS] = "badvers",
	[XK_IPDROP_BADHLEN] = "badhlen",
	[XK_IPDROP_BADSUM] = "badsum",
	[XK_IPDROP_BADLEN] = "badlen",
	[XK_IPDROP_TOOSHORT] = "tooshort",
	[XK_IPDROP_BADEXTHDR] = "badexthdr",
};

const char *
xk_ipdrop_name(enum xk_ipdrop why)
{
	return (unsigned int)why < XK_IPDROP_COUNT ? ipdrop_names[why] : "?";
}

/*
 * Adds @len bytes at @p to a running 32-bit sum of big-endian 16-bit
 * words; @odd says the previous byte began a word.  The whole words are
 * read eight bytes at a time in host order: a ones' complement sum does
 * not depend on byte order (RFC 1071), so theirs is folded to 16 bits
 * and swapped once.
 */
static uint32_t
sum_bytes(uint32_t sum, const uint8_t *p, size_t len, bool *odd)
{
	uint64_t acc = 0;
	size_t i = 0;

	if (len > 0 && *odd) {
		sum += p[0];
		i = 1;
		*odd = false;
	}
	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, sizeof(w));
		acc += (w & 0xffffffffu) + (w >> 32);
	}
	for (; i + 2 <= len; i += 2) {
		uint16_t h;

		memcpy(&h, p + i, sizeof(h));
		acc += h;
	}
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	while (acc >> 16) {
		acc = (acc & 0xffff) + (acc >> 16);
	}
	sum += ntohs((uint16_t)acc);
	if (i < len) {
		sum += (uint32_t)p[i] << 8;
		*odd = true;
	}
	return sum;
}

static uint16_t
sum_fold(uint32_t sum)
{
	while (sum >> 16) {
		sum = (sum & 0xffff) + (sum >> 16);
	}
	/* The sum was taken big-endian: return it in network byte order. */
	return htons((uint16_t)~sum);
}

uint16_t
xk_in_cksum(const struct __mbuf *m, size_t off, size_t len)
{
	uint32_t sum = 0;
	bool odd = false;

	for (; m != NULL && off >= (size_t)m->m_len; m = m->m_next) {
		off -= (size_t)m->m_len;
	}
	for (; m != NULL && len > 0; m = m->m_next) {
		size_t n = (size_t)m->m_len - off;

		if (n > len) {
			n = len;
		}
		sum = sum_bytes(sum, (const uint8_t *)m->m_data + off, n, &odd);
		/* Fold early so long chains never overflow 32 bits. */
		sum = (sum & 0xffff) + (sum >> 16);
		len -= n;
		off = 0;
	}
	return sum_fold(sum);
}

uint16_t
xk_in_cksum_buf(const void *p, size_t len)
{
	bool odd = false;

	return sum_fold(sum_bytes(0, p, len, &odd));
}

uint16_t
xk_in_cksum_iov(const struct iovec *iov, int iovcnt)
{
	uint32_t sum = 0;
	bool odd = false;

	for (int i = 0; i < iovcnt; i++) {
		sum = sum_bytes(sum, iov[i].iov_base, iov[i].iov_len, &odd);
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return sum_fold(sum);
}

int
xk_iov_split(const struct iovec *iov, int iovcnt, size_t off, size_t len,
    void *mid, struct iovec *out, int max)
{
	size_t at = 0;
	int n = 0;

	/* Each piece gives at most three: before, @mid, after. */
	if (iovcnt + 2 > max) {
		return -1;
	}
	for (int i = 0; i < iovcnt; i++) {
		const uint8_t *b = iov[i].iov_base;
		size_t l = iov[i].iov_len, s = 0, e = l;

		/* The part of [off, off + len) in this piece: [s, e). */
		if (off + len > at && off < at + l) {
			s = off > at ? off - at : 0;
			e = off + len < at + l ? off + len - at : l;
			if (s > 0) {
				out[n++] = (struct iovec){ (void *)(uintptr_t)b,
				    s };
			}
			if (off >= at) {
				out[n++] = (struct iovec){ mid, len };
			}
			if (e < l) {
				out[n++] = (struct iovec){
				    (void *)(uintptr_t)(b + e), l - e };
			}
		} else if (l > 0) {
			out[n++] = iov[i];
		}
		at += l;
	}
	return n;
}

/* Trims a packet to @len bytes (never grows it). */
static void
trim_to(struct __mbuf *m, size_t len)
{
	size_t have = xk_m_length(m);

	if (have > len) {
		xk_m_adj(m, -(int)(have - len));
	}
}

enum xk_ipdrop
xk_ip_check(struct __mbuf *m, size_t *hlenp)
{
	size_t plen = xk_m_length(m), hlen, iplen;
	struct ip ip;

	if (plen < sizeof(ip)) {
		return XK_IPDROP_TOOSMALL;
	}
	xk_m_copydata(m, 0, sizeof(ip), &ip);
	if (ip.ip_v != IPVERSION) {
		return XK_IPDROP_BADVERS;
	}
	hlen = (size_t)ip.ip_hl << 2;
	if (hlen < sizeof(ip) || hlen > plen) {
		return XK_IPDROP_BADHLEN;
	}
	if (xk_in_cksum(m, 0, hlen) != 0) {
		return XK_IPDROP_BADSUM;
	}
	iplen = ntohs(ip.ip_len);
	if (iplen < hlen) {
		return XK_IPDROP_BADLEN;
	}
	if (plen < iplen) {
		return XK_IPDROP_TOOSHORT;
	}
	trim_to(m, iplen);	/* link-layer padding goes */
	*hlenp = hlen;
	return XK_IPDROP_NONE;
}

enum xk_ipdrop
xk_ip6_check_hdrs(struct __mbuf *m, struct xk_ip6_hdrs *h)
{
	size_t plen = xk_m_length(m), end, off = sizeof(struct ip6_hdr);
	size_t prev = offsetof(struct ip6_hdr, ip6_nxt);
	struct ip6_hdr ip6;
	struct ip6_frag fh;
	uint8_t nxt, eh[2];

	memset(h, 0, sizeof(*h));
	if (plen < sizeof(ip6)) {
		return XK_IPDROP_TOOSMALL;
	}
	xk_m_copydata(m, 0, sizeof(ip6), &ip6);
	if ((ip6.ip6_vfc & IP6_VERSION_MASK) != IP6_VERSION) {
		return XK_IPDROP_BADVERS;
	}
	if (ip6.ip6_plen == 0 && plen > sizeof(ip6)) {
		return XK_IPDROP_BADLEN;	/* jumbograms are not carried */
	}
	end = sizeof(ip6) + ntohs(ip6.ip6_plen);
	if (plen < end) {
		return XK_IPDROP_TOOSHORT;
	}
	trim_to(m, end);
	nxt = ip6.ip6_nxt;
	for (int i = 0; i < IP6_MAXEXTHDRS; i++) {
		size_t len;

		switch (nxt) {
		case IPPROTO_HOPOPTS:
			/* Only right after the fixed header (RFC 8200). */
			if (off != sizeof(ip6)) {
				return XK_IPDROP_BADEXTHDR;
			}
			/* FALLTHROUGH */
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (off + 2 > end) {
				return XK_IPDROP_BADEXTHDR;
			}
			xk_m_copydata(m, off, 2, eh);
			len = ((size_t)eh[1] + 1) * 8;
			break;
		case IPPROTO_FRAGMENT:
			if (off + sizeof(fh) > end) {
				return XK_IPDROP_BADEXTHDR;
			}
			xk_m_copydata(m, off, sizeof(fh), &fh);
			h->ih_fragoff = off;
			h->ih_fragprev = prev;
			if (fh.ip6f_offlg & (IP6F_OFF_MASK | IP6F_MORE_FRAG)) {
				/* A real fragment: what follows is its data. */
				h->ih_nxt = IPPROTO_FRAGMENT;
				h->ih_off = off;
				return XK_IPDROP_NONE;
			}
			/* Atomic (RFC 6946): the packet is whole, walk on. */
			h->ih_atomic = true;
			eh[0] = fh.ip6f_nxt;
			len = sizeof(fh);
			break;
		case IPPROTO_AH:
			if (off + 2 > end) {
				return XK_IPDROP_BADEXTHDR;
			}
			xk_m_copydata(m, off, 2, eh);
			len = ((size_t)eh[1] + 2) * 4;
			break;
		default:
			/* An upper layer, ESP or no-next-header: done. */
			h->ih_nxt = nxt;
			h->ih_off = off;
			return XK_IPDROP_NONE;
		}
		if (off + len > end) {
			return XK_IPDROP_BADEXTHDR;
		}
		nxt = eh[0];
		prev = off;
		off += len;
	}
	return XK_IPDROP_BADEXTHDR;	/* more headers than any real packet */
}

enum xk_ipdrop
xk_ip6_check(struct __mbuf *m, uint8_t *nxtp, size_t *offp)
{
	struct xk_ip6_hdrs h;
	enum xk_ipdrop why;

	if ((why = xk_ip6_check_hdrs(m, &h)) == XK_IPDROP_NONE) {
		*nxtp = h.ih_nxt;
		*offp = h.ih_off;
	}
	return why;
}

void
xk_ip_bsd_input_form(struct __mbuf *m, size_t hlen)
{
	struct ip ip;

	xk_m_copydata(m, 0, sizeof(ip), &ip);
	ip.ip_len = (uint16_t)(ntohs(ip.ip_len) - hlen);
	ip.ip_off = ntohs(ip.ip_off);
	(void)xk_m_copyback(m, 0, sizeof(ip), &ip);
}

/*
 * Random bytes from the kernel's generator, 512 at a time per thread:
 * glibc 2.36's arc4random makes a getrandom(2) call for every id, which
 * was a sixth of the cost of a raw send.
 */
static void
random_bytes(void *out, size_t n)
{
	static _Thread_local uint8_t pool[512];
	static _Thread_local size_t left;

	if (left < n) {
		size_t got = 0;

		while (got < sizeof(pool)) {
			ssize_t r = getrandom(pool + got, sizeof(pool) - got,
			    0);

			if (r > 0) {
				got += (size_t)r;
			} else if (r < 0 && errno != EINTR) {
				/* No kernel generator: still never stall. */
				arc4random_buf(pool + got, sizeof(pool) - got);
				got = sizeof(pool);
			}
		}
		left = sizeof(pool);
	}
	memcpy(out, pool + sizeof(pool) - left, n);
	left -= n;
}

uint16_t
xk_ip_randomid(void)
{
	uint16_t id;

	/* 0 means "no id" to the kernel's IP_HDRINCL: draw again. */
	do {
		random_bytes(&id, sizeof(id));
	} while (id == 0);
	return id;
}

uint32_t
xk_ip6_randomid(void)
{
	uint32_t id;

	do {
		random_bytes(&id, sizeof(id));
	} while (id == 0);
	return id;
}

void
xk_ip_cksum_hdr(struct __mbuf *m)
{
	struct ip ip;
	size_t hlen;

	uint16_t sum = 0;
	uint8_t *p = (uint8_t *)m->m_data;

	if (m->m_len >= 1 && (size_t)m->m_len >= (size_t)(p[0] & 0xf) << 2 &&
	    (p[0] & 0xf) >= 5) {
		/* The header in the first mbuf: summed in place. */
		bool odd = false;

		hlen = (size_t)(p[0] & 0xf) << 2;
		memcpy(p + offsetof(struct ip, ip_sum), &sum, sizeof(sum));
		sum = sum_fold(sum_bytes(0, p, hlen, &odd));
		memcpy(p + offsetof(struct ip, ip_sum), &sum, sizeof(sum));
		return;
	}
	xk_m_copydata(m, 0, sizeof(ip), &ip);
	hlen = (size_t)ip.ip_hl << 2;
	ip.ip_sum = 0;
	(void)xk_m_copyback(m, 0, sizeof(ip), &ip);
	ip.ip_sum = xk_in_cksum(m, 0, hlen);
	(void)xk_m_copyback(m, 0, sizeof(ip), &ip);
}

int
xk_ip_hdrincl_prepare(struct __mbuf *m, bool socket_has_opts)
{
	size_t plen = xk_m_length(m), hlen;
	struct ip ip;

	if (plen > IP_MAXPACKET_LEN) {
		return EMSGSIZE;
	}
	if (plen < sizeof(ip)) {
		return EINVAL;
	}
	xk_m_copydata(m, 0, sizeof(ip), &ip);
	hlen = (size_t)ip.ip_hl << 2;
	/* Compared in host order: the caller wrote ip_len in host order. */
	if ((socket_has_opts && hlen != sizeof(ip)) || ip.ip_len > plen ||
	    ip.ip_len < hlen || hlen < sizeof(ip) || hlen > plen) {
		return EINVAL;
	}
	if (ip.ip_id == 0) {
		ip.ip_id = xk_ip_randomid();
	}
	ip.ip_len = htons(ip.ip_len);
	ip.ip_off = htons(ip.ip_off);
	(void)xk_m_copyback(m, 0, sizeof(ip), &ip);
	xk_ip_cksum_hdr(m);
	return 0;
}

void
xk_ip_ctl_add(uint8_t *buf, size_t cap, size_t *len, int level, int type,
    const void *data, size_t dlen)
{
	struct cmsghdr cm;

	if (*len + CMSG_SPACE(dlen) > cap) {
		return;
	}
	memset(buf + *len, 0, CMSG_SPACE(dlen));
	cm.cmsg_len = CMSG_LEN(dlen);
	cm.cmsg_level = level;
	cm.cmsg_type = type;
	memcpy(buf + *len, &cm, sizeof(cm));
	memcpy(buf + *len + CMSG_LEN(0), data, dlen);
	*len += CMSG_SPACE(dlen);
}

void
xk_ip_ctl_timestamp(const struct __mbuf *m, uint8_t *buf, size_t cap,
    size_t *len)
{
	struct timeval tv;

	/* The backend's time of arrival, as BSD's microtime(). */
	if (m->m_pkthdr.rcvts != 0) {
		tv.tv_sec = (time_t)(m->m_pkthdr.rcvts / 1000000000u);
		tv.tv_usec = (suseconds_t)(m->m_pkthdr.rcvts % 1000000000u /
		    1000);
	} else {
		gettimeofday(&tv, NULL);
	}
	xk_ip_ctl_add(buf, cap, len, SOL_SOCKET, SCM_TIMESTAMP, &tv,
	    sizeof(tv));
}

int
xk_ip_ctl_walk(const void *ctl, size_t len, int (*fn)(int level, int type,
    const void *data, size_t dlen, void *arg), void *arg)
{
	const uint8_t *p = ctl;
	size_t off = 0;
	int error;

	while (ctl != NULL && len - off >= sizeof(struct cmsghdr)) {
		struct cmsghdr cm;

		memcpy(&cm, p + off, sizeof(cm));
		if (cm.cmsg_len < CMSG_LEN(0) || cm.cmsg_len > len - off) {
			return EINVAL;
		}
		if ((error = fn(cm.cmsg_level, cm.cmsg_type,
		    p + off + CMSG_LEN(0), cm.cmsg_len - CMSG_LEN(0),
		    arg)) != 0) {
			return error;
		}
		off += CMSG_ALIGN(cm.cmsg_len);
		if (off > len) {
			break;
		}
	}
	return 0;
}
