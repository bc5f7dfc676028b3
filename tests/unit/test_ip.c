/*
 * Unit tests for the IPv4/IPv6 input checks, the Internet checksum and
 * the BSD raw header forms (core/ip_check.c): every drop reason, headers
 * split across mbufs, extension-header chains that run off the end.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <string.h>

#include <sys/kpi_mbuf.h>

#include "core/ip_var.h"
#include "core/mbuf_var.h"
#include "tests/lib/xk_test.h"

/* Loads @len bytes into a packet whose first mbuf holds @first bytes. */
static mbuf_t
load(const void *p, size_t len, size_t first)
{
	mbuf_t m, n;

	assert_int_equal(mbuf_gethdr(MBUF_WAITOK, MBUF_TYPE_DATA, &m), 0);
	if (first > len) {
		first = len;
	}
	assert_int_equal(mbuf_copyback(m, 0, first, p, MBUF_WAITOK), 0);
	if (len > first) {
		/* A second mbuf, so the split really is where asked. */
		assert_int_equal(mbuf_get(MBUF_WAITOK, MBUF_TYPE_DATA, &n), 0);
		assert_int_equal(mbuf_setnext(m, n), 0);
		assert_int_equal(mbuf_copyback(m, first, len - first,
		    (const char *)p + first, MBUF_WAITOK), 0);
	}
	assert_int_equal(mbuf_pkthdr_len(m), len);
	return m;
}

/* A valid IPv4 packet: 20-byte header, @payload bytes of pattern. */
static size_t
make_ip4(uint8_t *buf, size_t payload, uint8_t proto)
{
	struct ip *ip = (struct ip *)buf;

	memset(ip, 0, sizeof(*ip));
	ip->ip_v = 4;
	ip->ip_hl = 5;
	ip->ip_len = htons((uint16_t)(sizeof(*ip) + payload));
	ip->ip_id = htons(0x1234);
	ip->ip_off = htons(IP_DF);
	ip->ip_ttl = 64;
	ip->ip_p = proto;
	ip->ip_src.s_addr = htonl(0x0a000001);
	ip->ip_dst.s_addr = htonl(0x0a000002);
	xk_pattern_fill(buf + sizeof(*ip), 0, payload);
	ip->ip_sum = xk_in_cksum_buf(ip, sizeof(*ip));
	return sizeof(*ip) + payload;
}

static void
test_cksum_rfc1071_example(void **state)
{
	/* RFC 1071 section 3: the sum of these words is 0xddf2. */
	static const uint8_t w[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5,
	    0xf6, 0xf7 };

	(void)state;
	assert_int_equal(ntohs(xk_in_cksum_buf(w, sizeof(w))),
	    (uint16_t)~0xddf2);
}

static void
test_cksum_chain_equals_flat_odd_split(void **state)
{
	uint8_t buf[301];
	mbuf_t m;

	(void)state;
	xk_pattern_fill(buf, 0, sizeof(buf));
	/* An odd split puts a word across two mbufs. */
	m = load(buf, sizeof(buf), 37);
	assert_int_equal(xk_in_cksum(m, 0, sizeof(buf)),
	    xk_in_cksum_buf(buf, sizeof(buf)));
	assert_int_equal(xk_in_cksum(m, 10, 200),
	    xk_in_cksum_buf(buf + 10, 200));
	mbuf_freem(m);
}

/* The Internet checksum a byte at a time, as RFC 1071 defines it. */
static uint16_t
ref_cksum(const uint8_t *p, size_t len)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < len; i++) {
		sum += i % 2 == 0 ? (uint32_t)p[i] << 8 : p[i];
	}
	while (sum >> 16) {
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return htons((uint16_t)~sum);
}

/*
 * The word-at-a-time sum against the byte-at-a-time definition: every
 * length to 300 at odd and even starts, chains split at odd places,
 * bytes that carry at every add (all 0xff), and a buffer long enough
 * to carry out of 32 bits.
 */
static void
test_cksum_matches_bytewise_definition(void **state)
{
	static uint8_t big[1 << 17];
	uint8_t buf[320];
	uint32_t x = 12345;

	(void)state;
	for (int fill = 0; fill < 3; fill++) {
		for (size_t i = 0; i < sizeof(buf); i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = fill == 0 ? (uint8_t)(x >> 16) :
			    fill == 1 ? 0xff : (uint8_t)(i & 1 ? 0xff : 0);
		}
		for (size_t len = 0; len <= 300; len++) {
			for (size_t off = 0; off < 3; off++) {
				assert_int_equal(xk_in_cksum_buf(buf + off,
				    len), ref_cksum(buf + off, len));
			}
		}
		for (size_t seg = 1; seg < 40; seg += 3) {
			mbuf_t m = load(buf, 301, seg);

			for (size_t off = 0; off < 4; off++) {
				assert_int_equal(xk_in_cksum(m, off,
				    301 - off), ref_cksum(buf + off,
				    301 - off));
			}
			mbuf_freem(m);
		}
	}
	memset(big, 0xff, sizeof(big));
	assert_int_equal(xk_in_cksum_buf(big, sizeof(big)),
	    ref_cksum(big, sizeof(big)));
	assert_int_equal(xk_in_cksum_buf(big, sizeof(big) - 1),
	    ref_cksum(big, sizeof(big) - 1));
}

/*
 * A buffer cut into pieces at every place (empty pieces among them), with
 * two bytes at every offset replaced through xk_iov_split: the pieces
 * read back as the buffer with those bytes replaced, no piece is empty,
 * and xk_in_cksum_iov over them is the flat checksum of that buffer.
 * Too little room is -1.
 */
static void
test_iov_split_and_cksum(void **state)
{
	uint8_t buf[37], want[37], got[37], mid[2] = { 0xa5, 0x5a };
	struct iovec in[4], out[6];

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++) {
		buf[i] = (uint8_t)(i * 29 + 3);
	}
	for (size_t c1 = 0; c1 <= sizeof(buf); c1++) {
		for (size_t c2 = c1; c2 <= sizeof(buf); c2 += 5) {
			in[0] = (struct iovec){ buf, c1 };
			in[1] = (struct iovec){ buf + c1, 0 };
			in[2] = (struct iovec){ buf + c1, c2 - c1 };
			in[3] = (struct iovec){ buf + c2, sizeof(buf) - c2 };
			for (size_t off = 0; off + 2 <= sizeof(buf); off++) {
				int n = xk_iov_split(in, 4, off, 2, mid, out,
				    6);
				size_t at = 0;

				assert_true(n > 0 && n <= 6);
				for (int i = 0; i < n; i++) {
					assert_true(out[i].iov_len > 0);
					assert_true(at + out[i].iov_len <=
					    sizeof(got));
					memcpy(got + at, out[i].iov_base,
					    out[i].iov_len);
					at += out[i].iov_len;
				}
				memcpy(want, buf, sizeof(buf));
				memcpy(want + off, mid, sizeof(mid));
				assert_int_equal(at, sizeof(buf));
				assert_memory_equal(got, want, sizeof(want));
				assert_int_equal(xk_in_cksum_iov(out, n),
				    ref_cksum(want, sizeof(want)));
			}
		}
	}
	assert_int_equal(xk_iov_split(in, 4, 0, 2, mid, out, 5), -1);
}

static void
test_ip_check_valid_trims_padding(void **state)
{
	uint8_t buf[128];
	size_t len = make_ip4(buf, 30, IPPROTO_ICMP), hlen = 0;
	mbuf_t m;

	(void)state;
	/* Ethernet pads short frames: the bytes past ip_len must go. */
	memset(buf + len, 0xee, 10);
	m = load(buf, len + 10, 64);
	assert_int_equal(xk_ip_check(m, &hlen), XK_IPDROP_NONE);
	assert_int_equal(hlen, 20);
	assert_int_equal(mbuf_pkthdr_len(m), len);
	assert_int_equal(xk_chain_len(m), len);
	mbuf_freem(m);
}

static void
test_ip_check_header_split_across_mbufs(void **state)
{
	uint8_t buf[64];
	size_t len = make_ip4(buf, 20, IPPROTO_ICMP), hlen = 0;
	mbuf_t m;

	(void)state;
	m = load(buf, len, 7);
	assert_int_equal(xk_ip_check(m, &hlen), XK_IPDROP_NONE);
	assert_int_equal(hlen, 20);
	mbuf_freem(m);
}

static void
test_ip_check_drop_reasons(void **state)
{
	uint8_t buf[128];
	size_t len, hlen;
	struct ip *ip = (struct ip *)buf;
	mbuf_t m;

	(void)state;
	/* Shorter than a header. */
	len = make_ip4(buf, 10, IPPROTO_ICMP);
	m = load(buf, 19, 19);
	assert_int_equal(xk_ip_check(m, &hlen), XK_IPDROP_TOOSMALL);
	mbuf_freem(m);
	/* Version 6 in an IPv4 packet. */
	make_ip4(buf, 10, IPPROTO_ICMP);
	ip->ip_v = 6;
	m = load(buf, len, len);
	assert_int_equal(xk_ip_check(m, &hlen), XK_IPDROP_BADVERS);
	mbuf_freem(m);
	/* Header length 4 words. */
	make_ip4(buf, 10, IPPROTO_ICMP);
	ip->ip_hl = 4;
	m = load(buf, len, len);
	assert_int_equal(xk_ip_check(m, &hlen), XK_IPDROP_BADHLEN);
	mbuf_freem(m);
	/* Header length past the end of the packet. */
	make_ip4(buf, 10, IPPROTO_ICMP);
	ip->ip_hl = 15;
	m = load(buf, len, len);
	assert_int_equal(xk_ip_check(m, &hlen), XK_IPDROP_BADHLEN);
	mbuf_freem(m);
	/* Checksum off by one. */
	make_ip4(buf, 10, IPPROTO_ICMP);
	ip->ip_sum ^= htons(1);
	m = load(buf, len, len);
	assert_int_equal(xk_ip_check(m, &hlen), XK_IPDROP_BADSUM);
	mbuf_freem(m);
	/* ip_len below the header length (checksum made right again). */
	make_ip4(buf, 10, IPPROTO_ICMP);
	ip->ip_len = htons(12);
	ip->ip_sum = 0;
	ip->ip_sum = xk_in_cksum_buf(ip, 20);
	m = load(buf, len, len);
	assert_int_equal(xk_ip_check(m, &hlen), XK_IPDROP_BADLEN);
	mbuf_freem(m);
	/* ip_len larger than the packet. */
	make_ip4(buf, 10, IPPROTO_ICMP);
	ip->ip_len = htons((uint16_t)(len + 1));
	ip->ip_sum = 0;
	ip->ip_sum = xk_in_cksum_buf(ip, 20);
	m = load(buf, len, len);
	assert_int_equal(xk_ip_check(m, &hlen), XK_IPDROP_TOOSHORT);
	mbuf_freem(m);
}

static void
test_ipdrop_names(void **state)
{
	(void)state;
	assert_string_equal(xk_ipdrop_name(XK_IPDROP_BADSUM), "badsum");
	assert_string_equal(xk_ipdrop_name(XK_IPDROP_TOOSHORT), "tooshort");
	assert_string_equal(xk_ipdrop_name(XK_IPDROP_BADEXTHDR),
	    "badexthdr");
	assert_string_equal(xk_ipdrop_name(XK_IPDROP_COUNT), "?");
}

static void
test_bsd_input_form(void **state)
{
	uint8_t buf[64];
	size_t len = make_ip4(buf, 24, IPPROTO_ICMP);
	struct ip ip;
	mbuf_t m;

	(void)state;
	m = load(buf, len, 5);
	xk_ip_bsd_input_form(m, 20);
	assert_int_equal(mbuf_copydata(m, 0, sizeof(ip), &ip), 0);
	/* Host order, header length subtracted; ip_off host order. */
	assert_int_equal(ip.ip_len, 24);
	assert_int_equal(ip.ip_off, IP_DF);
	assert_int_equal(ip.ip_p, IPPROTO_ICMP);
	assert_int_equal(ntohs(ip.ip_id), 0x1234);
	mbuf_freem(m);
}

/* A BSD IP_HDRINCL packet: ip_len and ip_off in host order. */
static size_t
make_hdrincl(uint8_t *buf, size_t payload)
{
	struct ip *ip = (struct ip *)buf;
	size_t len = make_ip4(buf, payload, 253);

	ip->ip_len = (uint16_t)len;
	ip->ip_off = IP_DF;
	ip->ip_id = 0;
	ip->ip_sum = 0;
	return len;
}

static void
test_hdrincl_prepare_converts_and_sums(void **state)
{
	uint8_t buf[128];
	size_t len = make_hdrincl(buf, 40), hlen = 0;
	struct ip ip;
	mbuf_t m;

	(void)state;
	m = load(buf, len, 9);
	assert_int_equal(xk_ip_hdrincl_prepare(m, false), 0);
	assert_int_equal(mbuf_copydata(m, 0, sizeof(ip), &ip), 0);
	assert_int_equal(ntohs(ip.ip_len), len);
	assert_int_equal(ntohs(ip.ip_off), IP_DF);
	assert_int_not_equal(ip.ip_id, 0);
	/* The result passes the input checks: a well-formed packet. */
	assert_int_equal(xk_ip_check(m, &hlen), XK_IPDROP_NONE);
	mbuf_freem(m);
}

static void
test_hdrincl_prepare_errors(void **state)
{
	uint8_t buf[70000];
	struct ip *ip = (struct ip *)buf;
	size_t len;
	mbuf_t m;

	(void)state;
	/* Under 20 bytes. */
	len = make_hdrincl(buf, 0);
	m = load(buf, 19, 19);
	assert_int_equal(xk_ip_hdrincl_prepare(m, false), EINVAL);
	mbuf_freem(m);
	/* ip_len (host order) over the packet length. */
	len = make_hdrincl(buf, 10);
	ip->ip_len = (uint16_t)(len + 1);
	m = load(buf, len, len);
	assert_int_equal(xk_ip_hdrincl_prepare(m, false), EINVAL);
	mbuf_freem(m);
	/* ip_len under the header length. */
	len = make_hdrincl(buf, 10);
	ip->ip_len = 19;
	m = load(buf, len, len);
	assert_int_equal(xk_ip_hdrincl_prepare(m, false), EINVAL);
	mbuf_freem(m);
	/* A 24-byte header while the socket has IP options. */
	len = make_hdrincl(buf, 10);
	ip->ip_hl = 6;
	m = load(buf, len, len);
	assert_int_equal(xk_ip_hdrincl_prepare(m, true), EINVAL);
	mbuf_freem(m);
	/* ...which is fine without socket options. */
	m = load(buf, len, len);
	assert_int_equal(xk_ip_hdrincl_prepare(m, false), 0);
	mbuf_freem(m);
	/* Over 65535 bytes. */
	memset(buf, 0, sizeof(buf));
	make_hdrincl(buf, 0);
	m = load(buf, 65536, 100);
	assert_int_equal(xk_ip_hdrincl_prepare(m, false), EMSGSIZE);
	mbuf_freem(m);
}

static void
test_randomid_never_zero(void **state)
{
	(void)state;
	for (int i = 0; i < 10000; i++) {
		assert_int_not_equal(xk_ip_randomid(), 0);
	}
}

/* IPv6 */

/* Fixed header + @elen bytes of extension headers + @ulen of payload. */
static size_t
make_ip6(uint8_t *buf, uint8_t nxt, const uint8_t *ext, size_t elen,
    size_t ulen)
{
	struct ip6_hdr *ip6 = (struct ip6_hdr *)buf;

	memset(ip6, 0, sizeof(*ip6));
	ip6->ip6_vfc = 0x60;
	ip6->ip6_plen = htons((uint16_t)(elen + ulen));
	ip6->ip6_nxt = nxt;
	ip6->ip6_hlim = 255;
	if (elen > 0) {
		memcpy(buf + sizeof(*ip6), ext, elen);
	}
	xk_pattern_fill(buf + sizeof(*ip6) + elen, 0, ulen);
	return sizeof(*ip6) + elen + ulen;
}

static void
test_ip6_check_no_extensions(void **state)
{
	uint8_t buf[128];
	size_t len = make_ip6(buf, IPPROTO_ICMPV6, NULL, 0, 24), off = 0;
	uint8_t nxt = 0;
	mbuf_t m;

	(void)state;
	m = load(buf, len + 6, 13);	/* with link padding */
	assert_int_equal(xk_ip6_check(m, &nxt, &off), XK_IPDROP_NONE);
	assert_int_equal(nxt, IPPROTO_ICMPV6);
	assert_int_equal(off, 40);
	assert_int_equal(mbuf_pkthdr_len(m), len);
	mbuf_freem(m);
}

static void
test_ip6_check_extension_chain(void **state)
{
	/* Hop-by-hop (8), destination options (16), fragment (8). */
	uint8_t ext[32] = { 0 };
	uint8_t buf[128];
	size_t len, off = 0;
	uint8_t nxt = 0;
	mbuf_t m;

	(void)state;
	ext[0] = IPPROTO_DSTOPTS;
	ext[1] = 0;
	ext[8] = IPPROTO_FRAGMENT;
	ext[9] = 1;
	ext[24] = IPPROTO_UDP;
	len = make_ip6(buf, IPPROTO_HOPOPTS, ext, sizeof(ext), 12);
	m = load(buf, len, 50);	/* a split inside the options */
	assert_int_equal(xk_ip6_check(m, &nxt, &off), XK_IPDROP_NONE);
	assert_int_equal(nxt, IPPROTO_UDP);
	assert_int_equal(off, 40 + 32);
	mbuf_freem(m);
}

static void
test_ip6_check_ah_length_in_words(void **state)
{
	/* AH: length field in 4-byte words, minus 2: 1 means 12 bytes. */
	uint8_t ext[12] = { IPPROTO_ICMPV6, 1 };
	uint8_t buf[128];
	size_t len = make_ip6(buf, IPPROTO_AH, ext, sizeof(ext), 8), off;
	uint8_t nxt;
	mbuf_t m;

	(void)state;
	m = load(buf, len, len);
	assert_int_equal(xk_ip6_check(m, &nxt, &off), XK_IPDROP_NONE);
	assert_int_equal(nxt, IPPROTO_ICMPV6);
	assert_int_equal(off, 52);
	mbuf_freem(m);
}

static void
test_ip6_check_drop_reasons(void **state)
{
	uint8_t ext[16] = { 0 };
	uint8_t buf[128];
	struct ip6_hdr *ip6 = (struct ip6_hdr *)buf;
	size_t len, off;
	uint8_t nxt;
	mbuf_t m;

	(void)state;
	/* Shorter than the fixed header. */
	len = make_ip6(buf, IPPROTO_ICMPV6, NULL, 0, 8);
	m = load(buf, 39, 39);
	assert_int_equal(xk_ip6_check(m, &nxt, &off), XK_IPDROP_TOOSMALL);
	mbuf_freem(m);
	/* Version 4. */
	ip6->ip6_vfc = 0x40;
	m = load(buf, len, len);
	assert_int_equal(xk_ip6_check(m, &nxt, &off), XK_IPDROP_BADVERS);
	mbuf_freem(m);
	/* Payload length past the end. */
	len = make_ip6(buf, IPPROTO_ICMPV6, NULL, 0, 8);
	ip6->ip6_plen = htons(9);
	m = load(buf, len, len);
	assert_int_equal(xk_ip6_check(m, &nxt, &off), XK_IPDROP_TOOSHORT);
	mbuf_freem(m);
	/* A zero payload length with a payload: a jumbogram. */
	len = make_ip6(buf, IPPROTO_ICMPV6, NULL, 0, 8);
	ip6->ip6_plen = 0;
	m = load(buf, len, len);
	assert_int_equal(xk_ip6_check(m, &nxt, &off), XK_IPDROP_BADLEN);
	mbuf_freem(m);
	/* A destination-options header longer than the packet. */
	ext[0] = IPPROTO_UDP;
	ext[1] = 3;	/* 32 bytes, only 16 there */
	len = make_ip6(buf, IPPROTO_DSTOPTS, ext, sizeof(ext), 0);
	m = load(buf, len, len);
	assert_int_equal(xk_ip6_check(m, &nxt, &off), XK_IPDROP_BADEXTHDR);
	mbuf_freem(m);
	/* A chain cut in the middle of an extension header's first bytes. */
	len = make_ip6(buf, IPPROTO_ROUTING, NULL, 0, 1);
	m = load(buf, len, len);
	assert_int_equal(xk_ip6_check(m, &nxt, &off), XK_IPDROP_BADEXTHDR);
	mbuf_freem(m);
	/* A fragment header cut short. */
	len = make_ip6(buf, IPPROTO_FRAGMENT, ext, 4, 0);
	m = load(buf, len, len);
	assert_int_equal(xk_ip6_check(m, &nxt, &off), XK_IPDROP_BADEXTHDR);
	mbuf_freem(m);
	/* Hop-by-hop options anywhere but first. */
	memset(ext, 0, sizeof(ext));
	ext[0] = IPPROTO_HOPOPTS;
	ext[8] = IPPROTO_UDP;
	len = make_ip6(buf, IPPROTO_DSTOPTS, ext, sizeof(ext), 0);
	m = load(buf, len, len);
	assert_int_equal(xk_ip6_check(m, &nxt, &off), XK_IPDROP_BADEXTHDR);
	mbuf_freem(m);
}

static void
test_ip6_check_endless_chain_is_bounded(void **state)
{
	/* 40 destination-options headers, each pointing at the next. */
	uint8_t ext[40 * 8] = { 0 };
	uint8_t buf[40 + sizeof(ext)];
	size_t len, off;
	uint8_t nxt;
	mbuf_t m;

	(void)state;
	for (size_t i = 0; i < 40; i++) {
		ext[i * 8] = IPPROTO_DSTOPTS;
	}
	len = make_ip6(buf, IPPROTO_DSTOPTS, ext, sizeof(ext), 0);
	m = load(buf, len, len);
	assert_int_equal(xk_ip6_check(m, &nxt, &off), XK_IPDROP_BADEXTHDR);
	mbuf_freem(m);
}

/*
 * A received buffer as a packet (the backends' m_devget): one cluster of
 * the smallest fitting size, a chain past 16 KiB, the bytes intact.
 */
static void
test_devget(void **state)
{
	static uint8_t buf[40000], out[40000];
	static const struct {
		size_t	len;
		size_t	ext;	/* cluster size, 0 for a chain */
	} cases[] = {
		{ 1, 2048 }, { 2048, 2048 }, { 2049, 4096 }, { 16384, 16384 },
		{ 16385, 0 }, { 40000, 0 },
	};

	(void)state;
	xk_pattern_fill(buf, 0, sizeof(buf));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct __mbuf *m = xk_m_devget(buf, cases[i].len);

		assert_non_null(m);
		assert_int_equal(xk_m_length(m), cases[i].len);
		assert_int_equal(m->m_pkthdr.len, (int32_t)cases[i].len);
		if (cases[i].ext != 0) {
			assert_null(m->m_next);
			assert_int_equal(m->m_ext.ext_size, cases[i].ext);
		} else {
			assert_non_null(m->m_next);
		}
		assert_int_equal(xk_m_copydata(m, 0, cases[i].len, out), 0);
		xk_test_check_pattern(out, cases[i].len, 0);
		xk_m_freem(m);
	}
	assert_int_equal(xk_m_clsize_for(16385), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, xk_test_setup, \
    xk_test_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_cksum_rfc1071_example),
		T(test_cksum_chain_equals_flat_odd_split),
		T(test_cksum_matches_bytewise_definition),
		T(test_iov_split_and_cksum),
		T(test_ip_check_valid_trims_padding),
		T(test_ip_check_header_split_across_mbufs),
		T(test_ip_check_drop_reasons),
		T(test_ipdrop_names),
		T(test_bsd_input_form),
		T(test_hdrincl_prepare_converts_and_sums),
		T(test_hdrincl_prepare_errors),
		T(test_randomid_never_zero),
		T(test_ip6_check_no_extensions),
		T(test_ip6_check_extension_chain),
		T(test_ip6_check_ah_length_in_words),
		T(test_ip6_check_drop_reasons),
		T(test_ip6_check_endless_chain_is_bounded),
		T(test_devget),
	};

	return cmocka_run_group_tests_name("ip", tests, NULL, NULL);
}
