/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * What the harnesses and the seed generator (mkcorpus.c) share: the layout
 * of each harness's input, and the checksum fix-up that lets mutated
 * packets get past the checksum checks (without it nearly every mutation
 * of an IPv4 header would die on ip.drop.badsum).
 */
#ifndef _XK_TESTS_FUZZ_FUZZ_H_
#define _XK_TESTS_FUZZ_FUZZ_H_

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * A fuzz_input input: FZ_HDRLEN bytes of socket options, then records of
 * [ctl][length, 2 bytes big-endian][that many bytes of packet].  A record
 * longer than what is left is cut to it; a record of length 0 is skipped.
 */
#define FZ_HDRLEN	5

/* Header byte 0: options of every raw IPv4 socket (rotated per socket). */
#define FZ_V4_RECVIF	0x01
#define FZ_V4_STRIPHDR	0x02
#define FZ_V4_DSTADDR	0x04
#define FZ_V4_RECVTTL	0x08
#define FZ_V4_PKTINFO	0x10
#define FZ_V4_TSTAMP	0x20
#define FZ_V4_DONTTRUNC	0x40
#define FZ_V4_SMALLBUF	0x80

/* Header byte 1: options of every raw IPv6 socket (rotated per socket). */
#define FZ_V6_PKTINFO	0x01
#define FZ_V6_HOPLIMIT	0x02
#define FZ_V6_TCLASS	0x04
#define FZ_V6_TSTAMP	0x08
#define FZ_V6_DONTTRUNC	0x10
#define FZ_V6_SMALLBUF	0x20
#define FZ_V6_FILTER	0x40	/* ICMP6_FILTER: pass only header byte 3 */
#define FZ_V6_ICMPCK	0x80	/* IPV6_CHECKSUM tried on ICMPv6 (EINVAL) */

/*
 * Header byte 2: the IPV6_CHECKSUM offset of the protocol 253 socket
 * (byte & 0x3e; XNU cannot turn the option off again, so it is always
 * on).  Byte 3: the ICMPv6 type the filter passes.  Byte 4: how the
 * sockets are drained.
 */
#define FZ_CKSUM_OFF(b)	((int)((b) & 0x3e))
#define FZ_RX_DATA(b)	((b) & 0x03)	/* data buffer: 7, 64, 1500, 65536 */
#define FZ_RX_CTL(b)	(((b) >> 2) & 0x03) /* control: 0, 16, 40, 512 */
#define FZ_RX_MBUF	0x10	/* sock_receivembuf, not sock_receive */
#define FZ_RX_PEEK	0x20	/* MSG_PEEK first, then the same read */
#define FZ_RX_NONAME	0x40	/* no msg_name */

/* Record ctl byte. */
#define FZ_REC_IF(c)	((c) & 0x03)	/* fz0, fz1, the long name, none */
#define FZ_REC_DRAIN	0x04	/* run the loop and drain before it */
#define FZ_REC_FIXSUM	0x08	/* fix the checksums before injecting */

/* One's-complement sum of @len bytes (odd byte padded), added to @sum. */
static inline uint32_t
fz_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	}
	if (i < len) {
		sum += (uint32_t)p[i] << 8;
	}
	return sum;
}

static inline void
fz_store_sum(uint8_t *at, uint32_t sum)
{
	while (sum >> 16) {
		sum = (sum & 0xffff) + (sum >> 16);
	}
	sum = ~sum & 0xffff;
	at[0] = (uint8_t)(sum >> 8);
	at[1] = (uint8_t)sum;
}

static inline void
fz_fix_ip4(uint8_t *p, size_t len)
{
	size_t hl, total, ulen;
	uint16_t off;

	hl = (size_t)(p[0] & 0x0f) * 4;
	if (len < 20 || hl < 20 || hl > len) {
		return;
	}
	p[10] = p[11] = 0;
	fz_store_sum(p + 10, fz_sum(p, hl, 0));
	total = (size_t)p[2] << 8 | p[3];
	if (total > len) {
		total = len;
	}
	off = (uint16_t)(p[6] << 8 | p[7]);
	/* ICMP and IGMP, unfragmented: the message's own checksum. */
	if (total < hl + 4 || (off & 0x3fff) != 0 ||
	    (p[9] != 1 && p[9] != 2)) {
		return;
	}
	ulen = total - hl;
	p[hl + 2] = p[hl + 3] = 0;
	fz_store_sum(p + hl + 2, fz_sum(p + hl, ulen, 0));
}

/*
 * IPv6: walks Hop-by-Hop, Routing, Destination Options, AH and atomic
 * Fragment headers to the upper layer; fixes ICMPv6's checksum, or the
 * one at @cksum_off of protocol 253 (-1: none), over the pseudo-header.
 */
static inline void
fz_fix_ip6(uint8_t *p, size_t len, int cksum_off)
{
	size_t end, off = 40, at;
	uint32_t sum;
	uint8_t nxt;
	int i;

	if (len < 40) {
		return;
	}
	end = 40 + ((size_t)p[4] << 8 | p[5]);
	if (end > len) {
		end = len;
	}
	nxt = p[6];
	for (i = 0; i < 8; i++) {
		if (nxt == 0 || nxt == 43 || nxt == 60) {
			if (off + 2 > end) {
				return;
			}
			nxt = p[off];
			off += ((size_t)p[off + 1] + 1) * 8;
		} else if (nxt == 51) {
			if (off + 2 > end) {
				return;
			}
			nxt = p[off];
			off += ((size_t)p[off + 1] + 2) * 4;
		} else if (nxt == 44) {
			/* Only an atomic fragment holds the whole message. */
			if (off + 8 > end ||
			    (p[off + 2] << 8 | p[off + 3]) != 0) {
				return;
			}
			nxt = p[off];
			off += 8;
		} else {
			break;
		}
	}
	if (nxt == 58) {
		at = off + 2;
	} else if (nxt == 253 && cksum_off >= 0) {
		at = off + (size_t)cksum_off;
	} else {
		return;
	}
	if (off > end || at + 2 > end) {
		return;
	}
	p[at] = p[at + 1] = 0;
	sum = fz_sum(p + 8, 32, 0);
	sum += (uint32_t)(end - off);
	sum += nxt;
	fz_store_sum(p + at, fz_sum(p + off, end - off, sum));
}

static inline void
fz_fix_cksums(uint8_t *p, size_t len, int cksum_off)
{
	if (len == 0) {
		return;
	}
	if ((p[0] >> 4) == 4) {
		fz_fix_ip4(p, len);
	} else if ((p[0] >> 4) == 6) {
		fz_fix_ip6(p, len, cksum_off);
	}
}

/*
 * A fuzz_divert input: records of [ctl][length, 2 bytes big-endian][that
 * many bytes], as fuzz_input's, without a header.  The ctl byte says what
 * happens to the packet.
 */
#define FZD_INJECT	0x01	/* received on an interface, not written */
#define FZD_IN		0x02	/* written inward (an address is given) */
#define FZD_NOADDR	0x04	/* written with no address at all */
#define FZD_FIXSUM	0x08	/* fix the checksums first */
#define FZD_NAME(c)	(((c) >> 4) & 0x03) /* sin_zero name and address */
#define FZD_MBUF	0x40	/* sock_sendmbuf, not sock_send */
#define FZD_REINJECT	0x80	/* write back what the socket reads */
#define FZD_COOKIE(c)	((((c) >> 4) & 0x03) | (((c) >> 5) & 0x04))

/*
 * A fuzz_mbuf input: operations, each an opcode byte (modulo FZM_NOPS)
 * and its argument bytes, read by fuzz_mbuf.c.  Append new operations at
 * the end: the numbers are in the seeds.
 */
enum {
	FZM_GETHDR, FZM_GET, FZM_GETPACKET, FZM_ALLOCPACKET, FZM_GETCLUSTER,
	FZM_COPYBACK, FZM_COPYDATA, FZM_COPYM, FZM_DUP, FZM_PREPEND,
	FZM_SPLIT, FZM_PULLUP, FZM_PULLDOWN, FZM_ADJ, FZM_CONCATENATE,
	FZM_TAG_ALLOCATE, FZM_TAG_FREE, FZM_FREEM, FZM_FREE, FZM_ADJUSTLEN,
	FZM_SETDATA, FZM_SETFLAGS_MASK, FZM_COPY_PKTHDR, FZM_SETTYPE,
	FZM_SETNEXT, FZM_FREEM_LIST, FZM_STATS, FZM_INJECT,
	FZM_NOPS
};

/*
 * A fuzz_fw input: rule text, one rule a line, up to the first NUL byte;
 * then records of [ctl][length, 2 bytes big-endian][that many bytes of
 * packet] (cut to what is left, and to FZF_MAXPKT), each run through the
 * table.
 */
#define FZF_MAXPKT	2048
#define FZF_OUT		0x01	/* the output path (else input) */
#define FZF_IF(c)	(((c) >> 1) & 0x03) /* fz0, fz1, none, none */
#define FZF_AFTER	0x08	/* resume after rule (ctl >> 4) of the list */

#endif /* _XK_TESTS_FUZZ_FUZZ_H_ */
