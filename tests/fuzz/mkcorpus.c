/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Writes the fuzzers' seed corpora: mkcorpus DIR makes DIR/fuzz_input
 * (valid IPv4 ICMP, IGMP, UDP, TCP and option-carrying packets, IPv6
 * ICMPv6 behind Hop-by-Hop, Routing, Fragment and Destination Options
 * headers, fragments of both families in and out of order, overlaps, and
 * a few malformed ones), DIR/fuzz_mbuf (call sequences touching every
 * operation), DIR/fuzz_divert and DIR/fuzz_fw (rule tables with every
 * word, good and bad, and packets of both families).  The layouts are in
 * fuzz.h.  The seeds are the same on every run, so they are made at build
 * time and never committed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz.h"

#define ALL4	0x7f		/* every IPv4 option but the small buffer */
#define ALL6	0x1f		/* every IPv6 receive option */

static const char *outdir;

static void
writefile(const char *harness, const char *name, const uint8_t *buf,
    size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, harness);
	if (mkdir(path, 0777) != 0 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, harness, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* fuzz_input. */

struct input {
	uint8_t	 b[65536];
	size_t	 len;
};

static void
in_start(struct input *in, uint8_t o4, uint8_t o6, uint8_t cksum,
    uint8_t type, uint8_t how)
{
	in->b[0] = o4;
	in->b[1] = o6;
	in->b[2] = cksum;
	in->b[3] = type;
	in->b[4] = how;
	in->len = FZ_HDRLEN;
}

static void
in_add(struct input *in, uint8_t ctl, const uint8_t *pkt, size_t len)
{
	if (in->len + 3 + len > sizeof(in->b)) {
		fprintf(stderr, "mkcorpus: seed too long\n");
		exit(1);
	}
	in->b[in->len] = ctl;
	in->b[in->len + 1] = (uint8_t)(len >> 8);
	in->b[in->len + 2] = (uint8_t)len;
	memcpy(in->b + in->len + 3, pkt, len);
	in->len += 3 + len;
}

static void
in_write(struct input *in, const char *name)
{
	writefile("fuzz_input", name, in->b, in->len);
}

static void
addr(int family, const char *s, uint8_t *out)
{
	if (inet_pton(family, s, out) != 1) {
		fprintf(stderr, "mkcorpus: bad address %s\n", s);
		exit(1);
	}
}

/*
 * An IPv4 packet: header with @opts (a multiple of 4 bytes), @frag the
 * ip_off field, then @plen bytes of payload.  Checksums fixed.
 */
static size_t
ip4(uint8_t *p, const char *src, const char *dst, uint8_t proto,
    uint16_t id, uint16_t frag, const uint8_t *opts, size_t olen,
    const uint8_t *pay, size_t plen)
{
	size_t hl = 20 + olen, len = hl + plen;

	memset(p, 0, 20);
	p[0] = (uint8_t)(0x40 | hl / 4);
	p[1] = 0x10;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[4] = (uint8_t)(id >> 8);
	p[5] = (uint8_t)id;
	p[6] = (uint8_t)(frag >> 8);
	p[7] = (uint8_t)frag;
	p[8] = 64;
	p[9] = proto;
	addr(AF_INET, src, p + 12);
	addr(AF_INET, dst, p + 16);
	memcpy(p + 20, opts, olen);
	memcpy(p + hl, pay, plen);
	fz_fix_cksums(p, len, -1);
	return len;
}

/* An ICMP echo request with @n bytes of data. */
static size_t
icmp_echo(uint8_t *p, uint8_t type, size_t n)
{
	memset(p, 0, 8);
	p[0] = type;
	p[4] = 0x12;
	p[5] = 0x34;
	p[7] = 1;
	for (size_t i = 0; i < n; i++) {
		p[8 + i] = (uint8_t)(i * 7 + 3);
	}
	return 8 + n;
}

/*
 * An IPv6 packet: fixed header, @ext (extension headers, their next
 * header fields filled by the caller), the upper layer @nxt_first being
 * the fixed header's next header.  Checksums fixed with @cksum_off.
 */
static size_t
ip6(uint8_t *p, const char *src, const char *dst, uint8_t nxt_first,
    const uint8_t *ext, size_t elen, const uint8_t *pay, size_t plen,
    int cksum_off)
{
	size_t len = 40 + elen + plen;

	memset(p, 0, 40);
	p[0] = 0x60 | 0x0b;		/* traffic class 0xb8 */
	p[1] = 0x80;
	p[4] = (uint8_t)((elen + plen) >> 8);
	p[5] = (uint8_t)(elen + plen);
	p[6] = nxt_first;
	p[7] = 64;
	addr(AF_INET6, src, p + 8);
	addr(AF_INET6, dst, p + 24);
	memcpy(p + 40, ext, elen);
	memcpy(p + 40 + elen, pay, plen);
	fz_fix_cksums(p, len, cksum_off);
	return len;
}

/*
 * IPv4 fragments of the whole packet @pkt (20-byte header), @chunk data
 * bytes each (a multiple of 8), in the order of @order (indices), added
 * to @in.
 */
static void
frag4(struct input *in, uint8_t ctl, const uint8_t *pkt, size_t len,
    size_t chunk, const int *order, int n)
{
	uint8_t f[2048];

	for (int k = 0; k < n; k++) {
		size_t off = (size_t)order[k] * chunk, dl;
		uint16_t fo;

		if (off >= len - 20) {
			continue;
		}
		dl = len - 20 - off < chunk ? len - 20 - off : chunk;
		memcpy(f, pkt, 20);
		memcpy(f + 20, pkt + 20 + off, dl);
		fo = (uint16_t)(off / 8);
		if (off + dl < len - 20) {
			fo |= 0x2000;
		}
		f[2] = (uint8_t)((20 + dl) >> 8);
		f[3] = (uint8_t)(20 + dl);
		f[6] = (uint8_t)(fo >> 8);
		f[7] = (uint8_t)fo;
		fz_fix_cksums(f, 20 + dl, -1);
		in_add(in, ctl, f, 20 + dl);
	}
}

/*
 * IPv6 fragments of @pkt: the first @unfrag bytes (fixed header and the
 * headers before the Fragment header; the byte at @prev is the next
 * header field to point at it) are repeated, then a Fragment header, then
 * @chunk bytes of the rest each, in the order of @order.
 */
static void
frag6(struct input *in, uint8_t ctl, const uint8_t *pkt, size_t len,
    size_t unfrag, size_t prev, size_t chunk, uint32_t id, const int *order,
    int n)
{
	size_t rest = len - unfrag;
	uint8_t f[2048];

	for (int k = 0; k < n; k++) {
		size_t off = (size_t)order[k] * chunk, dl, fl;
		uint16_t fo;

		if (off >= rest) {
			continue;
		}
		dl = rest - off < chunk ? rest - off : chunk;
		memcpy(f, pkt, unfrag);
		f[unfrag] = pkt[prev];
		f[unfrag + 1] = 0;
		fo = (uint16_t)off | (off + dl < rest ? 1 : 0);
		f[unfrag + 2] = (uint8_t)(fo >> 8);
		f[unfrag + 3] = (uint8_t)fo;
		f[unfrag + 4] = (uint8_t)(id >> 24);
		f[unfrag + 5] = (uint8_t)(id >> 16);
		f[unfrag + 6] = (uint8_t)(id >> 8);
		f[unfrag + 7] = (uint8_t)id;
		f[prev] = 44;
		memcpy(f + unfrag + 8, pkt + unfrag + off, dl);
		fl = unfrag + 8 + dl;
		f[4] = (uint8_t)((fl - 40) >> 8);
		f[5] = (uint8_t)(fl - 40);
		in_add(in, ctl, f, fl);
	}
}

static void
seeds_input(void)
{
	static struct input in;
	uint8_t pkt[8192], pay[8192], ext[256];
	size_t n, len;
	static const int fwd[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8 };
	static const int rev[] = { 8, 7, 6, 5, 4, 3, 2, 1, 0 };
	static const int mix[] = { 2, 0, 3, 1, 1, 4, 5, 6, 7, 8 };

	/* IPv4 ICMP echo, every option on, then each option alone. */
	n = icmp_echo(pay, 8, 56);
	len = ip4(pkt, "192.0.2.9", "192.0.2.1", 1, 1, 0, NULL, 0, pay, n);
	in_start(&in, ALL4, ALL6, 0, 128, 0x0e);
	in_add(&in, 0, pkt, len);
	in_write(&in, "v4-icmp-allopts");
	for (int b = 0; b < 8; b++) {
		char name[64];

		in_start(&in, (uint8_t)(1 << b), 0, 0, 0, (uint8_t)(b * 37));
		in_add(&in, FZ_REC_FIXSUM, pkt, len);
		snprintf(name, sizeof(name), "v4-icmp-opt%d", b);
		in_write(&in, name);
	}
	/* To the bound socket's address on fz0, from the connected peer. */
	len = ip4(pkt, "192.0.2.9", "192.0.2.1", 253, 2, 0x4000, NULL, 0,
	    pay, 32);
	in_start(&in, ALL4, 0, 0, 0, FZ_RX_PEEK | 0x03);
	in_add(&in, 0, pkt, len);
	in_write(&in, "v4-253-peer");
	/* IGMP, and IP options: NOP, Router Alert, Record Route. */
	{
		static const uint8_t opts[] = { 1, 148, 4, 0, 0, 7, 11, 4,
		    0, 0, 0, 0, 0, 0, 0, 0 };
		uint8_t igmp[8] = { 0x11, 100, 0, 0, 0, 0, 0, 0 };

		len = ip4(pkt, "198.51.100.7", "198.51.100.1", 2, 3, 0, opts,
		    sizeof(opts), igmp, sizeof(igmp));
		in_start(&in, ALL4 | FZ_V4_SMALLBUF, 0, 0, 0, FZ_RX_MBUF);
		in_add(&in, 1, pkt, len);
		in_write(&in, "v4-igmp-options");
	}
	/* UDP and TCP are the host's; a long name; an unknown protocol. */
	in_start(&in, ALL4, ALL6, 0, 0, 0x0f);
	len = ip4(pkt, "192.0.2.9", "192.0.2.1", 17, 4, 0, NULL, 0, pay, 20);
	in_add(&in, 0, pkt, len);
	len = ip4(pkt, "192.0.2.9", "192.0.2.1", 6, 5, 0, NULL, 0, pay, 40);
	in_add(&in, 0, pkt, len);
	len = ip4(pkt, "203.0.113.9", "203.0.113.1", 99, 6, 0, NULL, 0, pay,
	    100);
	in_add(&in, 2, pkt, len);
	len = ip4(pkt, "203.0.113.9", "203.0.113.77", 1, 6, 0, NULL, 0, pay,
	    100);
	in_add(&in, 2, pkt, len);
	in_write(&in, "v4-hostproto-notforus");
	/* A big ICMP packet (clusters). */
	n = icmp_echo(pay, 8, 4000);
	len = ip4(pkt, "192.0.2.9", "192.0.2.1", 1, 7, 0, NULL, 0, pay, n);
	in_start(&in, ALL4, 0, 0, 0, 0x03 | FZ_RX_MBUF);
	in_add(&in, 0, pkt, len);
	in_write(&in, "v4-icmp-big");
	/* Fragments: in order, reversed, overlapping and duplicated. */
	n = icmp_echo(pay, 8, 1400);
	len = ip4(pkt, "198.51.100.9", "198.51.100.1", 1, 0x4242, 0, NULL, 0,
	    pay, n);
	in_start(&in, ALL4, 0, 0, 0, 0x02);
	frag4(&in, 1, pkt, len, 512, fwd, 3);
	in_write(&in, "v4-frag-inorder");
	in_start(&in, ALL4, 0, 0, 0, 0x02);
	frag4(&in, 1, pkt, len, 256, rev, 9);
	in_write(&in, "v4-frag-reverse");
	in_start(&in, ALL4, 0, 0, 0, 0x02);
	frag4(&in, 1, pkt, len, 256, mix, 10);
	frag4(&in, 1, pkt, len, 512, fwd, 1);
	in_write(&in, "v4-frag-overlap");
	in_start(&in, ALL4, 0, 0, 0, 0x02);
	frag4(&in, 1, pkt, len, 512, fwd, 2);	/* never completed */
	in_write(&in, "v4-frag-incomplete");

	/* IPv6 ICMPv6 echo, every option on, and each alone. */
	n = icmp_echo(pay, 128, 56);
	len = ip6(pkt, "2001:db8::9", "2001:db8::1", 58, NULL, 0, pay, n, -1);
	in_start(&in, ALL4, ALL6 | FZ_V6_FILTER, 0, 128, 0x0e);
	in_add(&in, 0, pkt, len);
	in_write(&in, "v6-icmp6-allopts");
	for (int b = 0; b < 8; b++) {
		char name[64];

		in_start(&in, 0, (uint8_t)(1 << b), 2, 129, (uint8_t)(b * 41));
		in_add(&in, FZ_REC_FIXSUM, pkt, len);
		snprintf(name, sizeof(name), "v6-icmp6-opt%d", b);
		in_write(&in, name);
	}
	/* Hop-by-Hop (Router Alert, PadN), Routing, Destination Options. */
	memset(ext, 0, sizeof(ext));
	ext[0] = 43;		/* HBH -> Routing */
	ext[1] = 0;
	ext[2] = 5; ext[3] = 2; ext[4] = 0; ext[5] = 0;	/* router alert */
	ext[6] = 1; ext[7] = 0;				/* PadN */
	ext[8] = 60;		/* Routing (type 2, 0 left) -> Dest opts */
	ext[9] = 2;
	ext[10] = 2;
	ext[11] = 0;
	addr(AF_INET6, "2001:db8::1", ext + 16);
	ext[32] = 58;		/* Dest opts -> ICMPv6 */
	ext[33] = 0;
	ext[34] = 1; ext[35] = 4;			/* PadN 4 */
	n = icmp_echo(pay, 128, 24);
	len = ip6(pkt, "2001:db8::9", "2001:db8::1", 0, ext, 40, pay, n, -1);
	in_start(&in, 0, ALL6, 0, 0, 0x0a);
	in_add(&in, 0, pkt, len);
	in_write(&in, "v6-exthdrs");
	/* Protocol 253 with IPV6_CHECKSUM at offset 4; to the peer socket. */
	memset(pay, 0x5a, 64);
	len = ip6(pkt, "2001:db8::9", "2001:db8::1", 253, NULL, 0, pay, 64,
	    4);
	in_start(&in, 0, ALL6 | FZ_V6_ICMPCK, 4, 0, FZ_RX_PEEK | 0x02);
	in_add(&in, 0, pkt, len);
	in_add(&in, FZ_REC_DRAIN, pkt, len);
	in_write(&in, "v6-253-cksum");
	/* Multicast, link-local on fz1, No Next Header, TCP and UDP. */
	{
		uint8_t ns[32] = { 135, 0, 0, 0, 0, 0, 0, 0 };

		addr(AF_INET6, "fe80::1", ns + 8);
		ns[24] = 1;		/* source link-layer address option */
		ns[25] = 1;
		memset(ns + 26, 0xaa, 6);
		in_start(&in, 0, ALL6, 0, 135, 0x0b);
		len = ip6(pkt, "fe80::9", "ff02::1:ff00:1", 58, NULL, 0, ns,
		    sizeof(ns), -1);
		pkt[7] = 255;
		fz_fix_cksums(pkt, len, -1);
		in_add(&in, 1, pkt, len);
		len = ip6(pkt, "fe80::9", "fe80::1", 59, NULL, 0, pay, 8, -1);
		in_add(&in, 1, pkt, len);
		len = ip6(pkt, "2001:db8::9", "2001:db8::1", 6, NULL, 0, pay,
		    20, -1);
		in_add(&in, 0, pkt, len);
		len = ip6(pkt, "2001:db8::9", "2001:db8::1", 17, NULL, 0, pay,
		    8, -1);
		in_add(&in, 0, pkt, len);
		len = ip6(pkt, "2001:db8::9", "2001:db8:2::1", 58, NULL, 0,
		    ns, 8, -1);
		in_add(&in, 2, pkt, len);
		in_write(&in, "v6-mcast-linklocal-misc");
	}
	/* Fragments: Destination Options before them, in and out of order. */
	n = icmp_echo(pay, 128, 1800);
	memset(ext, 0, 8);
	ext[0] = 58;
	ext[2] = 1;
	ext[3] = 4;
	len = ip6(pkt, "2001:db8::9", "2001:db8::1", 60, ext, 8, pay, n, -1);
	in_start(&in, 0, ALL6, 0, 0, 0x02);
	frag6(&in, 0, pkt, len, 40, 6, 600, 7, fwd, 4);
	in_write(&in, "v6-frag-inorder");
	in_start(&in, 0, ALL6, 0, 0, 0x03 | FZ_RX_MBUF);
	frag6(&in, 0, pkt, len, 48, 40, 256, 8, rev, 9);
	in_write(&in, "v6-frag-reverse");
	in_start(&in, 0, ALL6, 0, 0, 0x02);
	frag6(&in, 0, pkt, len, 40, 6, 256, 9, mix, 10);
	in_write(&in, "v6-frag-overlap");
	/* An atomic fragment (offset 0, no M). */
	n = icmp_echo(pay, 128, 16);
	len = ip6(pkt, "2001:db8::9", "2001:db8::1", 58, NULL, 0, pay, n, -1);
	in_start(&in, 0, ALL6, 0, 0, 0x02);
	frag6(&in, 0, pkt, len, 40, 6, 1024, 10, fwd, 1);
	in_write(&in, "v6-frag-atomic");

	/* Malformed: short, bad lengths, bad version, a bad sum. */
	in_start(&in, ALL4, ALL6, 0, 0, 0x0f);
	n = icmp_echo(pay, 8, 8);
	len = ip4(pkt, "192.0.2.9", "192.0.2.1", 1, 11, 0, NULL, 0, pay, n);
	in_add(&in, 0, pkt, 10);
	pkt[0] = 0x4f;
	in_add(&in, FZ_REC_FIXSUM, pkt, len);
	pkt[0] = 0x45;
	pkt[3] = 200;
	in_add(&in, FZ_REC_FIXSUM, pkt, len);
	pkt[3] = (uint8_t)len;
	pkt[10] ^= 0xff;
	in_add(&in, 0, pkt, len);
	pkt[0] = 0x75;
	in_add(&in, 0, pkt, len);
	len = ip6(pkt, "2001:db8::9", "2001:db8::1", 58, NULL, 0, pay, n, -1);
	pkt[5] = 200;
	in_add(&in, 0, pkt, len);
	pkt[5] = (uint8_t)n;
	pkt[45] ^= 1;
	in_add(&in, 0, pkt, len);
	in_add(&in, 3, pkt, len);
	in_write(&in, "malformed");

	/* Everything at once, interleaved with drains. */
	in_start(&in, 0xff, 0xff, 2, 128, FZ_RX_PEEK | FZ_RX_MBUF | 0x05);
	n = icmp_echo(pay, 8, 100);
	len = ip4(pkt, "192.0.2.9", "192.0.2.1", 1, 12, 0, NULL, 0, pay, n);
	in_add(&in, 0, pkt, len);
	n = icmp_echo(pay, 128, 100);
	len = ip6(pkt, "2001:db8:1::9", "2001:db8:1::1", 58, NULL, 0, pay, n,
	    -1);
	in_add(&in, 1 | FZ_REC_DRAIN, pkt, len);
	len = ip4(pkt, "203.0.113.9", "203.0.113.1", 1, 13, 0, NULL, 0, pay,
	    n);
	in_add(&in, 2, pkt, len);
	in_write(&in, "mixed");
}

/* fuzz_mbuf. */

struct seq {
	uint8_t	 b[4096];
	size_t	 len;
};

static void
op(struct seq *s, int code, int nargs, ...)
{
	va_list ap;

	s->b[s->len++] = (uint8_t)code;
	va_start(ap, nargs);
	for (int i = 0; i < nargs; i++) {
		s->b[s->len++] = (uint8_t)va_arg(ap, int);
	}
	va_end(ap);
}

static void
seq_write(struct seq *s, const char *name)
{
	writefile("fuzz_mbuf", name, s->b, s->len);
	s->len = 0;
}

static void
seeds_mbuf(void)
{
	static struct seq s;

	/* A packet built up and taken apart. */
	op(&s, FZM_GETHDR, 3, 0, 0, 1);
	op(&s, FZM_COPYBACK, 6, 0, 0, 0, 0, 1, 200);	/* 456 bytes */
	op(&s, FZM_COPYBACK, 6, 0, 1, 0, 100, 0, 50);
	op(&s, FZM_COPYDATA, 5, 0, 0, 10, 0, 100);
	op(&s, FZM_PREPEND, 4, 0, 1, 0, 14);
	op(&s, FZM_PULLUP, 3, 0, 0, 40);
	op(&s, FZM_PULLDOWN, 5, 0, 0, 100, 0, 64);
	op(&s, FZM_ADJ, 4, 0, 0, 0, 14);
	op(&s, FZM_ADJ, 4, 0, 0, 0xff, 0xf0);
	op(&s, FZM_FREEM, 1, 0);
	seq_write(&s, "build-take-apart");

	/* Tags through copym, dup, split and copy_pkthdr. */
	op(&s, FZM_ALLOCPACKET, 5, 0, 0x11, 0, 0x0b, 0xb8);	/* 3000 */
	op(&s, FZM_TAG_ALLOCATE, 4, 0, 0, 0, 16);
	op(&s, FZM_TAG_ALLOCATE, 4, 0, 3, 0, 40);
	op(&s, FZM_DUP, 2, 0, 1);
	op(&s, FZM_COPYM, 7, 0, 2, 3, 0, 0, 0, 0);	/* all of it */
	op(&s, FZM_SPLIT, 4, 2, 3, 0x05, 0xdc);
	op(&s, FZM_COPY_PKTHDR, 2, 3, 1);
	op(&s, FZM_TAG_FREE, 2, 3, 0);
	op(&s, FZM_CONCATENATE, 2, 0, 2);
	op(&s, FZM_SETNEXT, 3, 0, 3, 1);
	op(&s, FZM_FREEM_LIST, 2, 0, 1);
	op(&s, FZM_FREEM, 1, 3);
	seq_write(&s, "tags-copies");

	/* Shared clusters: copym in the middle, writes on both sides. */
	op(&s, FZM_GETPACKET, 3, 0, 0, 0);
	op(&s, FZM_ADJUSTLEN, 5, 0, 0, 0, 0x07, 0xd0);
	op(&s, FZM_COPYM, 7, 0, 1, 0, 0, 100, 0x01, 0);	/* 100, 256 */
	op(&s, FZM_COPYBACK, 6, 1, 3, 0, 10, 0, 20);
	op(&s, FZM_COPYBACK, 6, 0, 2, 0x07, 0xd0, 0, 60);
	op(&s, FZM_ADJUSTLEN, 5, 1, 0, 0, 0, 50);
	op(&s, FZM_SETDATA, 6, 1, 0, 0, 8, 0, 16);
	op(&s, FZM_PULLUP, 3, 1, 0, 100);
	op(&s, FZM_FREE, 1, 0);
	seq_write(&s, "shared-clusters");

	/* Flags, types, small mbufs, stats and injected failures. */
	op(&s, FZM_GET, 3, 0, 0, 3);
	op(&s, FZM_ADJUSTLEN, 5, 0, 0, 0, 0, 80);
	op(&s, FZM_SETFLAGS_MASK, 5, 0, 0, 0x02, 0, 0x02);	/* EBUSY */
	op(&s, FZM_GET, 3, 1, 0, 1);
	op(&s, FZM_SETFLAGS_MASK, 5, 1, 0x01, 0x06, 0x01, 0x06);
	op(&s, FZM_CONCATENATE, 2, 1, 0);
	op(&s, FZM_SETTYPE, 4, 1, 1, 0, 14);
	op(&s, FZM_GETCLUSTER, 3, 2, 0x02, 1);
	op(&s, FZM_STATS, 0);
	op(&s, FZM_INJECT, 2, 0, 0);
	op(&s, FZM_DUP, 2, 1, 3);
	op(&s, FZM_INJECT, 2, 1, 0);
	op(&s, FZM_PREPEND, 4, 1, 0, 0x01, 0x00);
	op(&s, FZM_INJECT, 2, 0, 1);
	op(&s, FZM_COPYBACK, 6, 1, 0, 0x10, 0, 0x20, 0);
	seq_write(&s, "flags-failures");

	/* Limits: huge allocpacket, pullup past MHLEN, pulldown past 2048. */
	op(&s, FZM_ALLOCPACKET, 5, 0, 0x02, 0, 0, 0);
	op(&s, FZM_ALLOCPACKET, 5, 0, 0x03, 3, 0, 1);
	op(&s, FZM_ALLOCPACKET, 5, 0, 0x11, 1, 0x40, 0);
	op(&s, FZM_PULLUP, 3, 0, 0x02, 0x30);
	op(&s, FZM_GETHDR, 3, 1, 0, 1);
	op(&s, FZM_COPYBACK, 6, 1, 0, 0x10, 0, 0x10, 0);
	op(&s, FZM_PULLDOWN, 5, 1, 0, 0, 0x0a, 0);
	op(&s, FZM_SPLIT, 4, 1, 2, 0x20, 0x00);
	op(&s, FZM_COPYM, 7, 2, 3, 0, 0x10, 0, 0, 0);
	seq_write(&s, "limits");
}

/* fuzz_divert. */

static void
div_add(struct input *in, uint8_t ctl, const uint8_t *pkt, size_t len)
{
	in_add(in, ctl, pkt, len);
}

static void
seeds_divert(void)
{
	static struct input in;
	uint8_t pkt[2048], pay[1500];
	size_t n, len;

	/* Received, diverted, read and written back by the harness. */
	in.len = 0;
	n = icmp_echo(pay, 8, 64);
	len = ip4(pkt, "192.0.2.9", "192.0.2.1", 1, 21, 0, NULL, 0, pay, n);
	div_add(&in, FZD_INJECT | FZD_REINJECT, pkt, len);
	memset(pay, 0x5a, 100);
	len = ip4(pkt, "192.0.2.9", "192.0.2.1", 17, 22, 0, NULL, 0, pay,
	    100);
	div_add(&in, FZD_INJECT | FZD_FIXSUM | FZD_REINJECT, pkt, len);
	writefile("fuzz_divert", "received", in.b, in.len);

	/* Written inward by name, by address, by a bogus name. */
	in.len = 0;
	len = ip4(pkt, "192.0.2.9", "192.0.2.1", 6, 23, 0, NULL, 0, pay, 40);
	div_add(&in, FZD_IN | FZD_FIXSUM | 0x10, pkt, len);
	div_add(&in, FZD_IN | FZD_FIXSUM | 0x20, pkt, len);
	div_add(&in, FZD_IN | FZD_FIXSUM | 0x30 | FZD_MBUF, pkt, len);
	div_add(&in, FZD_IN | 0x10, pkt, len);
	writefile("fuzz_divert", "write-in", in.b, in.len);

	/* Written outward: no address, cookies, a packet over the MTU. */
	in.len = 0;
	len = ip4(pkt, "198.51.100.1", "198.51.100.7", 17, 24, 0, NULL, 0, pay,
	    60);
	div_add(&in, FZD_NOADDR | FZD_REINJECT, pkt, len);
	div_add(&in, 0x90 | FZD_MBUF, pkt, len);
	len = ip4(pkt, "203.0.113.1", "203.0.113.9", 17, 25, 0, NULL, 0, pay,
	    1000);
	div_add(&in, FZD_NOADDR, pkt, len);
	writefile("fuzz_divert", "write-out", in.b, in.len);

	/* Garbage: short, wrong version, ip_len past the end, empty. */
	in.len = 0;
	div_add(&in, FZD_NOADDR, pkt, 19);
	pkt[0] = 0x65;
	div_add(&in, FZD_NOADDR, pkt, len);
	pkt[0] = 0x45;
	pkt[2] = 0xff;
	div_add(&in, FZD_IN | 0x10, pkt, 100);
	div_add(&in, FZD_MBUF, pkt, 0);
	writefile("fuzz_divert", "garbage", in.b, in.len);
}

/* fuzz_fw. */

/* An input: @rules, a NUL, then the packets added with in_add. */
static void
fw_start(struct input *in, const char *rules)
{
	in->len = strlen(rules) + 1;
	memcpy(in->b, rules, in->len);
}

static void
seeds_fw(void)
{
	static const uint8_t hop[8] = { 17, 0 };	/* hop-by-hop, then UDP */
	static struct input in;
	uint8_t pkt[2048], pay[512];
	size_t n, len;

	/* natd's rules, and packets both ways, resumed after the divert. */
	fw_start(&in, "add 100 divert natd ip from any to any via fz0\n"
	    "allow ip from any to any\n"
	    "65000 deny ip from any to any");
	n = icmp_echo(pay, 8, 32);
	len = ip4(pkt, "198.51.100.7", "192.0.2.1", 1, 1, 0, NULL, 0, pay, n);
	in_add(&in, 0x00, pkt, len);			/* in, fz0 */
	in_add(&in, 0x01, pkt, len);			/* out, fz0 */
	in_add(&in, 0x08, pkt, len);			/* after rule 0 */
	in_add(&in, 0x04, pkt, len);			/* no interface */
	writefile("fuzz_fw", "natd", in.b, in.len);

	/* Every word, good and bad, and packets of both families. */
	fw_start(&in, "10 count ip from any to any\n"
	    "20 skipto 1000 udp from 192.0.2.0/24 53,67-68 to not me in\n"
	    "30 tee 5 tcp from any 1024-65535 to me4 22 recv fz1\n"
	    "40 deny icmp6 from 2001:db8::/32 to me6 xmit fz0\n"
	    "50 allow ip6 from any to any\n"
	    "60 pass 47 from 198.51.100.0/24 to any out\n"
	    "deny tcp from any to any dst-port 80 src-port 1-9\n"
	    "1000 permit ipv6-icmp from ::/0 to ff02::1\n"
	    "1000 drop all from me to any via fz1\n"
	    "0 allow ip from any to any\n"
	    "allow ip from any to any log\n"
	    "100 skipto 50 ip from any to any\n"
	    "allow icmp from any 80 to any\n"
	    "allow ip from 10.0.0.1/33 to any\n"
	    "allow ip6 from 10.0.0.1 to any\n"
	    "allow ip from any to any in xmit fz0");
	memset(pay, 0, 8);
	pay[1] = 53;
	pay[3] = 53;
	len = ip4(pkt, "192.0.2.7", "192.0.2.1", 17, 2, 0, NULL, 0, pay, 16);
	in_add(&in, 0x00, pkt, len);
	in_add(&in, 0x09 | 0x30, pkt, len);		/* after rule 3 */
	len = ip4(pkt, "192.0.2.7", "192.0.2.1", 17, 3, 1, NULL, 0, pay, 16);
	in_add(&in, 0x00, pkt, len);			/* a later fragment */
	len = ip6(pkt, "2001:db8::7", "2001:db8::1", 0, hop, sizeof(hop), pay,
	    16, -1);
	in_add(&in, 0x02, pkt, len);			/* in, fz1 */
	n = icmp_echo(pay, 128, 16);
	len = ip6(pkt, "2001:db8::7", "ff02::1", 58, NULL, 0, pay, n, -1);
	in_add(&in, 0x03, pkt, len);
	in_add(&in, 0x00, pkt, 7);			/* cut short */
	writefile("fuzz_fw", "words", in.b, in.len);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkcorpus DIR\n");
		return 2;
	}
	outdir = argv[1];
	if (mkdir(outdir, 0777) != 0 && errno != EEXIST) {
		perror(outdir);
		return 1;
	}
	seeds_input();
	seeds_mbuf();
	seeds_divert();
	seeds_fw();
	return 0;
}
