/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * libFuzzer harness: sequences of mbuf KPI calls.
 *
 * The input is read as operations, one opcode byte and its argument bytes
 * each (missing bytes read as 0; the opcodes are in fuzz.h), on four
 * slots that each hold a chain or nothing.  Beside every chain the
 * harness keeps what the KPI documents it must hold: its bytes (those it
 * knows), whether it has a packet header, and its tags.  After every
 * operation it checks the mbufs against themselves (lengths within their
 * buffers, the packet length equal to the sum of mbuf_len() over the
 * chain, the header flag as expected); after every eighth and at the end
 * (after every one with FZ_MBUF_EVERYOP set in the environment, to find
 * the operation that broke a chain) also the data against the model and
 * every tag, found with its length and bytes.  FZ_MBUF_TRACE prints each
 * operation and the chains after it.  An operation may make
 * the next allocations fail (the pool's fault injection), and every
 * result must be one the header documents.
 * At the end everything is freed, and no mbuf, cluster or tag may be
 * left alive.  A failed check aborts, which libFuzzer reports.
 *
 * Where clusters are shared (mbuf_copym, mbuf_split), writing into one
 * chain in place may change the other, as in BSD: the harness then
 * forgets what it knew of the other chains that share with it.  Writes
 * that must never reach a shared cluster (into the leading or trailing
 * space the KPI reports, and what mbuf_copyback appends) keep the model.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/kpi_mbuf.h>
#include <xkpi.h>

#include "core/mbuf_var.h"
#include "tests/fuzz/fuzz.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NSLOT		4
#define NIDS		2
#define NTYPES		4
#define FZ_MAXLEN	(32 * 1024)	/* longest chain the harness makes */
#define FZ_MAXOPS	256
#define FZ_MAXMBUFS	10000		/* longer chains are a loop */

struct fz_tag {
	bool		 on;
	uint16_t	 len;
	uint8_t		 fill;
};

struct fz_slot {
	mbuf_t		 m;
	uint8_t		*data;		/* the chain's bytes, as known */
	uint8_t		*known;		/* 1: data[i] is known */
	size_t		 len;
	size_t		 cap;
	bool		 hdr;		/* the first mbuf has MBUF_PKTHDR */
	struct fz_tag	 tags[NIDS][NTYPES];
	int		 group;		/* slots that may share clusters */
	bool		 alias;		/* may hold one cluster twice */
};

struct fz_rd {
	const uint8_t	*p;
	size_t		 n;
};

static struct fz_slot slots[NSLOT];
static mbuf_tag_id_t fz_ids[NIDS];
static struct xk_mb_live fz_live0;
static bool fz_injecting;		/* allocations may fail this op */
static bool fz_everyop;			/* FZ_MBUF_EVERYOP set */
static bool fz_trace;			/* FZ_MBUF_TRACE set */
static uint8_t fz_buf[FZ_MAXLEN + 16];
static unsigned int fz_op;		/* number of the running op */
static const char *fz_opname = "";

static void
fz_fail(const char *what, long a, long b)
{
	fprintf(stderr, "fuzz_mbuf: op %u (%s): %s (%ld, %ld)\n", fz_op,
	    fz_opname, what, a, b);
	abort();
}

#define FZ_CHECK(c, what, a, b) do {					\
	if (!(c)) {							\
		fz_fail((what), (long)(a), (long)(b));			\
	}								\
} while (0)

static void	sh_reserve(struct fz_slot *s, size_t len);

static void
fz_panic(const char *msg, void *ctx)
{
	(void)ctx;
	fprintf(stderr, "fuzz_mbuf: op %u (%s): xkpi panic: %s\n", fz_op,
	    fz_opname, msg);
	abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xkpi_set_panic_hook(fz_panic, NULL);
	if (mbuf_tag_id_find("org.xkpi.fuzz.a", &fz_ids[0]) != 0 ||
	    mbuf_tag_id_find("org.xkpi.fuzz.b", &fz_ids[1]) != 0) {
		fz_fail("mbuf_tag_id_find", 0, 0);
	}
	for (int i = 0; i < NSLOT; i++) {
		slots[i].group = i;
		/* Never NULL: memcpy from a NULL model is undefined. */
		sh_reserve(&slots[i], 1);
	}
	fz_everyop = getenv("FZ_MBUF_EVERYOP") != NULL;
	fz_trace = getenv("FZ_MBUF_TRACE") != NULL;
	xk_mb_live(&fz_live0);
	return 0;
}

/* Input bytes. */

static unsigned int
rd8(struct fz_rd *r)
{
	if (r->n == 0) {
		return 0;
	}
	r->n--;
	return *r->p++;
}

static unsigned int
rd16(struct fz_rd *r)
{
	unsigned int v = rd8(r) << 8;

	return v | rd8(r);
}

/* A length: mostly around the mbuf and cluster sizes, now and then large. */
static size_t
rdlen(struct fz_rd *r)
{
	unsigned int v = rd16(r);

	switch (v >> 14) {
	case 0:
		return v % 300;
	case 1:
		return v % 2100;
	case 2:
		return v % 4200;
	default:
		return (size_t)(v & 0x3fff) * 2;
	}
}

static uint32_t
rd32(struct fz_rd *r)
{
	uint32_t v = (uint32_t)rd16(r) << 16;

	return v | rd16(r);
}

/* The model. */

static void
sh_reserve(struct fz_slot *s, size_t len)
{
	if (len <= s->cap) {
		return;
	}
	s->cap = len + 256;
	s->data = realloc(s->data, s->cap);
	s->known = realloc(s->known, s->cap);
	FZ_CHECK(s->data != NULL && s->known != NULL, "realloc", len, 0);
}

/* Inserts @n bytes at @at: @src's, or unknown ones when @src is NULL. */
static void
sh_insert(struct fz_slot *s, size_t at, size_t n, const uint8_t *src)
{
	sh_reserve(s, s->len + n);
	memmove(s->data + at + n, s->data + at, s->len - at);
	memmove(s->known + at + n, s->known + at, s->len - at);
	if (src != NULL) {
		memcpy(s->data + at, src, n);
	}
	memset(s->known + at, src != NULL, n);
	s->len += n;
}

static void
sh_delete(struct fz_slot *s, size_t at, size_t n)
{
	memmove(s->data + at, s->data + at + n, s->len - at - n);
	memmove(s->known + at, s->known + at + n, s->len - at - n);
	s->len -= n;
}

static void
sh_clear_tags(struct fz_slot *s)
{
	memset(s->tags, 0, sizeof(s->tags));
}

/* Forgets the slot (its chain is gone or owned elsewhere). */
static void
sh_forget(struct fz_slot *s)
{
	s->m = NULL;
	s->len = 0;
	s->hdr = false;
	sh_clear_tags(s);
	s->group = (int)(s - slots);
	s->alias = false;
}

static void
sh_copy(struct fz_slot *d, const struct fz_slot *s, size_t off, size_t n)
{
	sh_reserve(d, n);
	memcpy(d->data, s->data + off, n);
	memcpy(d->known, s->known + off, n);
	d->len = n;
}

/* @b joins @a's group (and so do the slots of @b's old group). */
static void
sh_join(struct fz_slot *a, struct fz_slot *b)
{
	int old = b->group;

	for (int i = 0; i < NSLOT; i++) {
		if (slots[i].group == old) {
			slots[i].group = a->group;
		}
	}
}

/*
 * After an in-place write into the first @old bytes of @s: its group's
 * other chains may have changed, and so may all of those bytes of @s
 * if it holds a cluster twice (a byte written twice keeps the last).
 */
static void
sh_touched(struct fz_slot *s, size_t old)
{
	if (s->alias) {
		memset(s->known, 0, old < s->len ? old : s->len);
	}
	for (int i = 0; i < NSLOT; i++) {
		if (&slots[i] != s && slots[i].group == s->group &&
		    slots[i].m != NULL) {
			memset(slots[i].known, 0, slots[i].len);
		}
	}
}

/*
 * The byte loops of the harness stay out of the coverage instrumentation:
 * traced byte by byte, they took most of every run.
 */
#ifdef __clang__
#define FZ_UNTRACED	__attribute__((no_sanitize("coverage"), noinline))
#else
#define FZ_UNTRACED
#endif

/*
 * The first of @len bytes where @got differs from a byte the model knows,
 * or @len.
 */
FZ_UNTRACED static size_t
sh_differs(const uint8_t *got, const struct fz_slot *s, size_t off,
    size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s->known[off + i] && got[i] != s->data[off + i]) {
			return i;
		}
	}
	return len;
}

FZ_UNTRACED static void
fz_pattern(uint8_t *p, size_t n, unsigned int seed)
{
	for (size_t i = 0; i < n; i++) {
		p[i] = (uint8_t)(seed + i * 7);
	}
}

/* The checks. */

static size_t
chain_count(mbuf_t m)
{
	size_t n = 0;

	for (; m != NULL; m = mbuf_next(m)) {
		n++;
	}
	return n;
}

/* The mbuf @idx of the chain (the last for an index past the end). */
static mbuf_t
chain_at(mbuf_t m, size_t idx, size_t *offp)
{
	size_t off = 0;

	while (idx > 0 && mbuf_next(m) != NULL) {
		off += mbuf_len(m);
		m = mbuf_next(m);
		idx--;
	}
	*offp = off;
	return m;
}

static void
check_mbuf(mbuf_t m)
{
	uint8_t *start = mbuf_datastart(m), *d = mbuf_data(m);
	size_t max = mbuf_maxlen(m), len = mbuf_len(m);
	size_t lead = mbuf_leadingspace(m), trail = mbuf_trailingspace(m);
	mbuf_flags_t f = mbuf_flags(m);

	FZ_CHECK(mbuf_type(m) != MBUF_TYPE_FREE, "mbuf of type FREE in a chain",
	    0, 0);
	if (f & MBUF_EXT) {
		FZ_CHECK(max == 2048 || max == 4096 || max == 16384,
		    "cluster size", max, 0);
	} else {
		FZ_CHECK(max == ((f & MBUF_PKTHDR) ? mbuf_get_mhlen() :
		    mbuf_get_mlen()), "small mbuf maxlen", max, f);
	}
	FZ_CHECK(d >= start && (size_t)(d - start) <= max,
	    "data pointer outside the buffer", d - start, max);
	FZ_CHECK(len <= max - (size_t)(d - start), "data runs past the buffer",
	    (d - start) + (long)len, max);
	FZ_CHECK(lead == 0 || lead == (size_t)(d - start), "leading space",
	    lead, d - start);
	FZ_CHECK(trail == 0 || trail == max - (size_t)(d - start) - len,
	    "trailing space", trail, max - (size_t)(d - start) - len);
}

static void
check_tags(struct fz_slot *s)
{
	for (int i = 0; i < NIDS; i++) {
		for (int t = 0; t < NTYPES; t++) {
			struct fz_tag *g = &s->tags[i][t];
			size_t len = 0;
			void *p = NULL;
			errno_t e;

			e = mbuf_tag_find(s->m, fz_ids[i], (mbuf_tag_type_t)t,
			    &len, &p);
			if (!s->hdr) {
				FZ_CHECK(e == EINVAL, "tag_find without header",
				    e, 0);
				continue;
			}
			if (!g->on) {
				FZ_CHECK(e == ENOENT,
				    "tag found, none expected", e, t);
				continue;
			}
			FZ_CHECK(e == 0, "tag lost", e, t);
			FZ_CHECK(len == g->len, "tag length", len, g->len);
			/* Its ends and middle: enough to see it moved whole. */
			for (int k = 0; k < 3; k++) {
				size_t at = k == 0 ? 0 : k == 1 ? len / 2 :
				    len - 1;

				FZ_CHECK(((uint8_t *)p)[at] == g->fill,
				    "tag data", at, ((uint8_t *)p)[at]);
			}
		}
	}
}

/* The chain's structure always; its bytes and tags when @full. */
static void
check_slot(struct fz_slot *s, bool full)
{
	size_t sum = 0, n = 0, i;
	mbuf_t m;

	if (s->m == NULL) {
		return;
	}
	for (m = s->m; m != NULL; m = mbuf_next(m)) {
		FZ_CHECK(++n < FZ_MAXMBUFS, "chain too long (a loop?)", n, 0);
		check_mbuf(m);
		sum += mbuf_len(m);
	}
	FZ_CHECK(sum == s->len, "chain length differs from the model", sum,
	    s->len);
	FZ_CHECK(((mbuf_flags(s->m) & MBUF_PKTHDR) != 0) == s->hdr,
	    "MBUF_PKTHDR differs from the model", mbuf_flags(s->m), s->hdr);
	if (s->hdr) {
		FZ_CHECK(mbuf_pkthdr_len(s->m) == sum,
		    "mbuf_pkthdr_len != sum of mbuf_len", mbuf_pkthdr_len(s->m),
		    sum);
	}
	FZ_CHECK(mbuf_nextpkt(s->m) == NULL, "stray nextpkt", 0, 0);
	if (!full) {
		return;
	}
	FZ_CHECK(mbuf_copydata(s->m, 0, sum, fz_buf) == 0, "copydata of all",
	    sum, 0);
	i = sh_differs(fz_buf, s, 0, sum);
	FZ_CHECK(i == sum, "chain byte differs from the model", i,
	    i < sum ? fz_buf[i] : 0);
	check_tags(s);
}

static void
check_all(bool full)
{
	for (int i = 0; i < NSLOT; i++) {
		check_slot(&slots[i], full);
	}
}

/* Helpers of the operations. */

static void
slot_free(struct fz_slot *s)
{
	if (s->m != NULL) {
		mbuf_freem(s->m);
	}
	sh_forget(s);
}

/*
 * @s (its model length set) takes over the chain @m, the tail of another.
 * A tail may start with a header mbuf: one that mbuf_concatenate linked
 * into the middle of a chain.  Its length is then fixed, and its tags,
 * which the model does not follow, freed.
 */
static void
slot_adopt(struct fz_slot *s, mbuf_t m)
{
	s->m = m;
	s->hdr = (mbuf_flags(m) & MBUF_PKTHDR) != 0;
	sh_clear_tags(s);
	if (!s->hdr) {
		return;
	}
	mbuf_pkthdr_setlen(m, s->len);
	for (int i = 0; i < NIDS; i++) {
		for (int t = 0; t < NTYPES; t++) {
			mbuf_tag_free(m, fz_ids[i], (mbuf_tag_type_t)t);
		}
	}
}

/* The error an allocation failure may give: @ok with injection on. */
static bool
err_ok(errno_t e, errno_t want)
{
	if (e == want) {
		return true;
	}
	return fz_injecting && (e == ENOMEM || e == ENOBUFS ||
	    e == EWOULDBLOCK);
}

static void
fz_result(errno_t e, errno_t want)
{
	FZ_CHECK(err_ok(e, want), "unexpected result", e, want);
}

/* A new chain of one mbuf in @s. */
static void
op_get(struct fz_rd *r, int kind)
{
	struct fz_slot *s = &slots[rd8(r) % NSLOT];
	unsigned int how = rd8(r) & 1, type = rd8(r) % 17;
	errno_t e;
	mbuf_t m = NULL;

	slot_free(s);
	switch (kind) {
	case 0:
		e = mbuf_gethdr(how, type, &m);
		break;
	case 1:
		e = mbuf_get(how, type, &m);
		break;
	default:
		e = mbuf_getpacket(how, &m);
		type = MBUF_TYPE_DATA;
		break;
	}
	fz_result(e, type == MBUF_TYPE_FREE ? EINVAL : 0);
	FZ_CHECK((e == 0) == (m != NULL), "mbuf on failure, or none", e, 0);
	if (m == NULL) {
		return;
	}
	FZ_CHECK(mbuf_type(m) == type, "type", mbuf_type(m), type);
	FZ_CHECK(mbuf_len(m) == 0, "new mbuf not empty", mbuf_len(m), 0);
	s->m = m;
	s->hdr = kind != 1;
}

static void
op_allocpacket(struct fz_rd *r)
{
	struct fz_slot *s = &slots[rd8(r) % NSLOT];
	unsigned int sel = rd8(r), chunks = rd8(r) % 8, out;
	size_t len = rdlen(r), cap = 0, nseg;
	bool fill = sel & 0x10;
	errno_t e, want = 0;
	mbuf_t m = (mbuf_t)1;

	switch (sel & 3) {
	case 1:
		len = len % (FZ_MAXLEN / 2) * 2;
		break;
	case 2:
		len = SIZE_MAX - (len & 0xff);
		want = ENOMEM;
		break;
	case 3:
		len = (size_t)INT32_MAX + 1 + (len & 0xff);
		want = ENOMEM;
		break;
	}
	if (len == 0) {
		want = EINVAL;
	}
	slot_free(s);
	out = chunks;
	e = mbuf_allocpacket(sel & 0x20 ? MBUF_DONTWAIT : MBUF_WAITOK, len,
	    sel & 0x40 ? NULL : &out, &m);
	if (e == ENOBUFS && chunks != 0 && !(sel & 0x40)) {
		FZ_CHECK(m == NULL, "allocpacket ENOBUFS with a chain", 0, 0);
		return;
	}
	FZ_CHECK(err_ok(e, want) || (want == ENOMEM && e == ENOBUFS),
	    "allocpacket result", e, want);
	FZ_CHECK((e == 0) == (m != NULL), "allocpacket: packet on failure, "
	    "or none on success", e, len);
	if (m == NULL) {
		return;
	}
	nseg = chain_count(m);
	if (!(sel & 0x40)) {
		FZ_CHECK(out == nseg, "maxchunks out", out, nseg);
		FZ_CHECK(chunks == 0 || nseg <= chunks, "over maxchunks", nseg,
		    chunks);
	}
	s->m = m;
	s->hdr = true;
	FZ_CHECK(mbuf_pkthdr_len(m) == 0, "allocpacket length", 0, 0);
	for (mbuf_t n = m; n != NULL; n = mbuf_next(n)) {
		FZ_CHECK(mbuf_len(n) == 0, "allocpacket segment not empty",
		    mbuf_len(n), 0);
		cap += mbuf_trailingspace(n);
	}
	FZ_CHECK(cap >= len, "allocpacket holds less than asked", cap, len);
	if (!fill) {
		return;
	}
	/* Fill it as a kext does: each segment to its room, in order. */
	for (mbuf_t n = m; n != NULL && s->len < len; n = mbuf_next(n)) {
		size_t t = mbuf_trailingspace(n);

		if (t > len - s->len) {
			t = len - s->len;
		}
		fz_pattern(mbuf_data(n), t, sel + (unsigned int)s->len);
		mbuf_setlen(n, t);
		sh_insert(s, s->len, t, mbuf_data(n));
	}
	mbuf_pkthdr_setlen(m, s->len);
}

static void
op_getcluster(struct fz_rd *r)
{
	static const size_t sizes[] = { 2048, 4096, 16384, 1000, 9216, 0 };
	struct fz_slot *s = &slots[rd8(r) % NSLOT];
	unsigned int sel = rd8(r), type = rd8(r) % 17;
	size_t size = sizes[sel % 6];
	bool onhead = (sel & 0x80) && s->m != NULL;
	bool mcl = sel & 0x40;
	errno_t e, want;
	mbuf_t m;

	if (!onhead) {
		slot_free(s);
	}
	m = onhead ? s->m : NULL;
	if (mcl) {
		size = 2048;
	}
	want = 0;
	if (size != 2048 && size != 4096 && size != 16384) {
		want = EINVAL;
	} else if (onhead && (mbuf_flags(m) & MBUF_EXT)) {
		want = EINVAL;
	} else if (!onhead && type == MBUF_TYPE_FREE) {
		want = EINVAL;
	}
	e = mcl ? mbuf_mclget(MBUF_WAITOK, type, &m) :
	    mbuf_getcluster(MBUF_WAITOK, type, size, &m);
	fz_result(e, want);
	if (onhead) {
		FZ_CHECK(m == s->m, "getcluster changed the caller's mbuf", 0,
		    0);
		if (e == 0) {
			/* The data moved to the new cluster; mbuf_len stays. */
			FZ_CHECK(mbuf_flags(m) & MBUF_EXT, "no cluster", 0, 0);
			memset(s->known, 0, mbuf_len(m));
		}
		return;
	}
	FZ_CHECK((e == 0) == (m != NULL), "getcluster: mbuf on failure", e, 0);
	if (m != NULL) {
		FZ_CHECK(mbuf_maxlen(m) == size, "cluster size", mbuf_maxlen(m),
		    size);
		s->m = m;
	}
}

static void
op_copyback(struct fz_rd *r)
{
	struct fz_slot *s = &slots[rd8(r) % NSLOT];
	unsigned int sel = rd8(r);
	size_t off = rdlen(r), len = rdlen(r), old = s->len, end, over;
	errno_t e;

	if (s->m == NULL) {
		return;
	}
	if (sel & 1) {
		off %= old + 1;
	}
	if (sel & 2) {
		len %= 300;
	}
	if (off + len > FZ_MAXLEN) {
		return;
	}
	fz_pattern(fz_buf, len, sel);
	e = mbuf_copyback(s->m, off, len, fz_buf,
	    sel & 4 ? MBUF_DONTWAIT : MBUF_WAITOK);
	if (len == 0) {
		FZ_CHECK(e == EINVAL, "copyback of nothing", e, 0);
		return;
	}
	over = off < old ? (off + len < old ? len : old - off) : 0;
	if (e != 0) {
		size_t now = 0;

		FZ_CHECK(fz_injecting && e == ENOBUFS, "copyback result", e, 0);
		/* What fit was written: forget all from @off on. */
		for (mbuf_t n = s->m; n != NULL; n = mbuf_next(n)) {
			now += mbuf_len(n);
		}
		FZ_CHECK(now >= old, "copyback failure shrank the chain", now,
		    old);
		sh_insert(s, old, now - old, NULL);
		if (off < s->len) {
			memset(s->known + off, 0, s->len - off);
		}
		if (s->hdr && mbuf_pkthdr_len(s->m) != s->len) {
			/* The packet length counts what fit; check it. */
			FZ_CHECK(mbuf_pkthdr_len(s->m) == s->len,
			    "copyback failure: packet length",
			    mbuf_pkthdr_len(s->m), s->len);
		}
		if (over > 0) {
			sh_touched(s, old);
		}
		return;
	}
	end = off + len;
	if (off > old) {
		static const uint8_t zeros[4096];
		size_t gap = off - old;

		while (gap > 0) {
			size_t t = gap < sizeof(zeros) ? gap : sizeof(zeros);

			sh_insert(s, s->len, t, zeros);
			gap -= t;
		}
	}
	if (end > s->len) {
		sh_insert(s, s->len, end - s->len, NULL);
	}
	memcpy(s->data + off, fz_buf, len);
	memset(s->known + off, 1, len);
	if (over > 0) {
		sh_touched(s, old);
	}
}

static void
op_copydata(struct fz_rd *r)
{
	struct fz_slot *s = &slots[rd8(r) % NSLOT];
	size_t off = rd16(r), len = rdlen(r) % 2048;
	errno_t e;

	if (s->m == NULL) {
		return;
	}
	off %= s->len + 2;
	e = mbuf_copydata(s->m, off, len, fz_buf);
	if (len == 0) {
		FZ_CHECK(e == 0, "copydata of nothing", e, 0);
		return;
	}
	if (off + len > s->len) {
		FZ_CHECK(e == EINVAL, "copydata past the end", e, off + len);
		return;
	}
	FZ_CHECK(e == 0, "copydata", e, 0);
	FZ_CHECK(sh_differs(fz_buf, s, off, len) == len, "copydata byte",
	    off + sh_differs(fz_buf, s, off, len), 0);
}

static void
op_copym(struct fz_rd *r)
{
	unsigned int a = rd8(r) % NSLOT, b = rd8(r) % NSLOT, sel = rd8(r);
	struct fz_slot *s = &slots[a], *d = &slots[b];
	size_t off = rd16(r), len = rd16(r), n;
	mbuf_t m = (mbuf_t)1;
	errno_t e, want = 0;

	if (a == b || s->m == NULL) {
		return;
	}
	slot_free(d);
	off = sel & 1 ? 0 : off % (s->len + 2);
	if (sel & 2) {
		len = MBUF_COPYALL;
		n = off < s->len ? s->len - off : 0;
	} else {
		len %= s->len + 2;
		n = len;
	}
	/* Some byte must follow @off, and the chain must hold @len. */
	if (off >= s->len || n == 0 || off + n > s->len) {
		want = EINVAL;
	}
	e = mbuf_copym(s->m, off, len, sel & 4 ? MBUF_DONTWAIT : MBUF_WAITOK,
	    &m);
	fz_result(e, want);
	FZ_CHECK((e == 0) == (m != NULL), "copym: chain on failure, or none",
	    e, 0);
	if (m == NULL) {
		return;
	}
	d->m = m;
	sh_copy(d, s, off, n);
	d->alias = s->alias;
	d->hdr = off == 0 && s->hdr;
	if (d->hdr) {
		/* The header, tags and all, moves to the copy. */
		memcpy(d->tags, s->tags, sizeof(d->tags));
		sh_clear_tags(s);
	}
	sh_join(s, d);
}

static void
op_dup(struct fz_rd *r)
{
	unsigned int a = rd8(r) % NSLOT, b = rd8(r) % NSLOT;
	struct fz_slot *s = &slots[a], *d = &slots[b];
	mbuf_t m = (mbuf_t)1;
	errno_t e;

	if (a == b || s->m == NULL) {
		return;
	}
	slot_free(d);
	e = mbuf_dup(s->m, MBUF_WAITOK, &m);
	fz_result(e, 0);
	FZ_CHECK((e == 0) == (m != NULL), "dup: chain on failure, or none", e,
	    0);
	if (m == NULL) {
		return;
	}
	d->m = m;
	sh_copy(d, s, 0, s->len);
	d->hdr = s->hdr;
	memcpy(d->tags, s->tags, sizeof(d->tags));
}

static void
op_prepend(struct fz_rd *r)
{
	struct fz_slot *s = &slots[rd8(r) % NSLOT];
	unsigned int sel = rd8(r);
	size_t len = rdlen(r) + (rd8(r) == 0xff ? 16384 : 0);
	mbuf_t m;
	errno_t e;

	if (s->m == NULL) {
		return;
	}
	if (sel & 1) {
		len %= 64;
	}
	if (s->len + len > FZ_MAXLEN) {
		return;
	}
	m = s->m;
	e = mbuf_prepend(&m, len, MBUF_WAITOK);
	fz_result(e, len > 16384 ? EINVAL : 0);
	if (e != 0) {
		/* The chain was consumed. */
		FZ_CHECK(m == NULL, "prepend failure left a chain", e, 0);
		sh_forget(s);
		return;
	}
	FZ_CHECK(m != NULL && mbuf_len(m) >= len,
	    "prepended room not in the first mbuf", mbuf_len(m), len);
	s->m = m;
	/* Room nobody else sees: write it directly. */
	fz_pattern(mbuf_data(m), len, sel);
	sh_insert(s, 0, len, mbuf_data(m));
}

static void
op_split(struct fz_rd *r)
{
	unsigned int a = rd8(r) % NSLOT, b = rd8(r) % NSLOT;
	struct fz_slot *s = &slots[a], *d = &slots[b];
	size_t off = rd16(r);
	mbuf_t m = (mbuf_t)1;
	errno_t e;

	if (a == b || s->m == NULL) {
		return;
	}
	slot_free(d);
	off %= s->len + 2;
	e = mbuf_split(s->m, off, MBUF_WAITOK, &m);
	if (e == ENOMEM && off == s->len && !s->hdr) {
		/*
		 * No packet header and nothing after @off: XNU's m_split
		 * returns NULL, which mbuf_split reports as ENOMEM.
		 */
		FZ_CHECK(m == NULL, "split ENOMEM with a tail", 0, 0);
		return;
	}
	fz_result(e, off > s->len ? ENOMEM : 0);
	FZ_CHECK((e == 0) == (m != NULL), "split: tail on failure, or none", e,
	    0);
	if (m == NULL) {
		return;
	}
	sh_copy(d, s, off, s->len - off);
	s->len = off;
	d->alias = s->alias;
	if (s->hdr) {
		FZ_CHECK(mbuf_flags(m) & MBUF_PKTHDR, "split tail without "
		    "a header", 0, 0);
		d->m = m;
		d->hdr = true;
	} else {
		slot_adopt(d, m);
	}
	sh_join(s, d);
}

static void
op_pullup(struct fz_rd *r)
{
	struct fz_slot *s = &slots[rd8(r) % NSLOT];
	size_t len = rd16(r) % 600, lim;
	mbuf_t m;
	errno_t e;

	if (s->m == NULL) {
		return;
	}
	lim = s->hdr ? mbuf_get_mhlen() : mbuf_get_mlen();
	m = s->m;
	e = mbuf_pullup(&m, len);
	if (e != 0) {
		FZ_CHECK(e == ENOMEM, "pullup error", e, 0);
		FZ_CHECK(m == NULL, "pullup failure left a chain", 0, 0);
		FZ_CHECK(fz_injecting || len > lim || len > s->len,
		    "pullup failed", len, s->len);
		sh_forget(s);
		return;
	}
	FZ_CHECK(len <= mbuf_get_mlen() && len <= s->len,
	    "pullup succeeded beyond its limits", len, s->len);
	FZ_CHECK(m != NULL && mbuf_len(m) >= len, "pullup: bytes not in the "
	    "first mbuf", mbuf_len(m), len);
	s->m = m;
}

static void
op_pulldown(struct fz_rd *r)
{
	struct fz_slot *s = &slots[rd8(r) % NSLOT];
	size_t off = rd16(r), len = rd16(r) % 2600, noff, orig;
	mbuf_t loc = (mbuf_t)1, n;
	errno_t e;

	if (s->m == NULL) {
		return;
	}
	off %= s->len + 2;
	orig = off;
	noff = off;
	e = mbuf_pulldown(s->m, &noff, len, &loc);
	if (e != 0) {
		FZ_CHECK(e == ENOMEM, "pulldown error", e, 0);
		FZ_CHECK(loc == NULL, "pulldown failure with a location", 0,
		    0);
		FZ_CHECK(fz_injecting || len > 2048 || orig + len > s->len,
		    "pulldown failed", orig, len);
		sh_forget(s);
		return;
	}
	FZ_CHECK(len <= 2048 && orig + len <= s->len,
	    "pulldown succeeded beyond its limits", orig + len, s->len);
	for (n = s->m; n != NULL && n != loc; n = mbuf_next(n)) {
		;
	}
	FZ_CHECK(n != NULL, "pulldown location not in the chain", 0, 0);
	FZ_CHECK(noff + len <= mbuf_len(loc), "pulldown bytes not contiguous",
	    noff + len, mbuf_len(loc));
	FZ_CHECK(sh_differs((uint8_t *)mbuf_data(loc) + noff, s, orig, len) ==
	    len, "pulldown byte", orig, len);
}

static void
op_adj(struct fz_rd *r)
{
	struct fz_slot *s = &slots[rd8(r) % NSLOT];
	unsigned int sel = rd8(r);
	int v = (int16_t)rd16(r);
	size_t n;

	if (s->m == NULL) {
		return;
	}
	if (sel & 1) {
		v = (int32_t)rd32(r);
	}
	mbuf_adj(s->m, v);
	if (v >= 0) {
		n = (size_t)v < s->len ? (size_t)v : s->len;
		sh_delete(s, 0, n);
	} else {
		n = (size_t)(-(long)v) < s->len ? (size_t)(-(long)v) : s->len;
		sh_delete(s, s->len - n, n);
	}
}

static void
op_concatenate(struct fz_rd *r)
{
	unsigned int a = rd8(r) % NSLOT, b = rd8(r) % NSLOT;
	struct fz_slot *d = &slots[a], *s = &slots[b];
	mbuf_t m;

	if (a == b || d->m == NULL) {
		return;
	}
	if (s->m == NULL) {
		FZ_CHECK(mbuf_concatenate(d->m, NULL) == d->m,
		    "concatenate nothing", 0, 0);
		return;
	}
	if (d->len + s->len > FZ_MAXLEN) {
		return;
	}
	m = mbuf_concatenate(d->m, s->m);
	FZ_CHECK(m == d->m, "concatenate result", 0, 0);
	/* The caller keeps the packet length (XNU's m_cat does not). */
	if (d->hdr) {
		mbuf_pkthdr_adjustlen(d->m, (int)s->len);
	}
	sh_insert(d, d->len, s->len, s->data);
	memcpy(d->known + d->len - s->len, s->known, s->len);
	/* Two chains sharing a cluster make one that may hold it twice. */
	d->alias = d->alias || s->alias || d->group == s->group;
	sh_join(d, s);
	sh_forget(s);
}

static void
op_tag_allocate(struct fz_rd *r)
{
	struct fz_slot *s = &slots[rd8(r) % NSLOT];
	unsigned int sel = rd8(r), id = sel & 1, type = (sel >> 1) % NTYPES;
	size_t len = rdlen(r) % 5000;
	mbuf_tag_id_t mid = fz_ids[id];
	errno_t e, want = 0;
	void *p = (void *)1;

	if (s->m == NULL) {
		return;
	}
	if (sel & 0x10) {
		len = 65536;
	}
	if (sel & 0x20) {
		mid = 7;		/* never handed out */
	}
	if (!s->hdr || len == 0 || len > 65535 || mid == 7) {
		want = EINVAL;
	} else if (s->tags[id][type].on) {
		want = EEXIST;
	}
	e = mbuf_tag_allocate(s->m, mid, (mbuf_tag_type_t)type, len,
	    sel & 0x40 ? MBUF_DONTWAIT : MBUF_WAITOK, &p);
	fz_result(e, want);
	FZ_CHECK((e == 0) == (p != NULL), "tag data pointer", e, 0);
	if (e != 0) {
		return;
	}
	memset(p, (int)(sel ^ len), len);
	s->tags[id][type].on = true;
	s->tags[id][type].len = (uint16_t)len;
	s->tags[id][type].fill = (uint8_t)(sel ^ len);
}

static void
op_tag_free(struct fz_rd *r)
{
	struct fz_slot *s = &slots[rd8(r) % NSLOT];
	unsigned int sel = rd8(r), id = sel & 1, type = (sel >> 1) % NTYPES;

	if (s->m == NULL) {
		return;
	}
	mbuf_tag_free(s->m, fz_ids[id], (mbuf_tag_type_t)type);
	if (s->hdr) {
		s->tags[id][type].on = false;
	}
}

static void
op_freem(struct fz_rd *r)
{
	slot_free(&slots[rd8(r) % NSLOT]);
}

/* mbuf_free of the first mbuf: the rest stays, without a header. */
static void
op_free1(struct fz_rd *r)
{
	struct fz_slot *s = &slots[rd8(r) % NSLOT];
	size_t first;
	mbuf_t next;

	if (s->m == NULL) {
		return;
	}
	first = mbuf_len(s->m);
	next = mbuf_next(s->m);
	FZ_CHECK(mbuf_free(s->m) == next, "mbuf_free result", 0, 0);
	if (next == NULL) {
		sh_forget(s);
		return;
	}
	sh_delete(s, 0, first);
	slot_adopt(s, next);
}

/* Grows or shrinks one mbuf of the chain with mbuf_adjustlen. */
static void
op_adjustlen(struct fz_rd *r)
{
	struct fz_slot *s = &slots[rd8(r) % NSLOT];
	unsigned int sel = rd8(r);
	size_t idx = rd8(r), n = rd16(r), off, t, l;
	mbuf_t m;
	errno_t e;

	if (s->m == NULL) {
		return;
	}
	m = chain_at(s->m, idx, &off);
	t = mbuf_trailingspace(m);
	l = mbuf_len(m);
	if (sel & 1) {
		/* Shrink; past the length is refused. */
		e = mbuf_adjustlen(m, -(int)n);
		FZ_CHECK(e == (n > l ? EINVAL : 0), "adjustlen shrink", e, n);
		if (e == 0) {
			sh_delete(s, off + l - n, n);
			if (s->hdr) {
				mbuf_pkthdr_adjustlen(s->m, -(int)n);
			}
		}
		return;
	}
	if (sel & 2) {
		FZ_CHECK(mbuf_adjustlen(m, (int)t + 1) == EINVAL,
		    "adjustlen past the buffer", t, 0);
		return;
	}
	if (n > t) {
		n = t;
	}
	if (s->len + n > FZ_MAXLEN) {
		return;
	}
	/* Trailing space is the caller's: nobody else may see it. */
	fz_pattern((uint8_t *)mbuf_data(m) + l, n, sel);
	FZ_CHECK(mbuf_adjustlen(m, (int)n) == 0, "adjustlen grow", n, t);
	sh_insert(s, off + l, n, (uint8_t *)mbuf_data(m) + l);
	if (s->hdr) {
		mbuf_pkthdr_adjustlen(s->m, (int)n);
	}
}

static void
op_setdata(struct fz_rd *r)
{
	struct fz_slot *s = &slots[rd8(r) % NSLOT];
	size_t idx = rd8(r), a = rd16(r), b = rd16(r), off, max, l;
	uint8_t *start;
	mbuf_t m;
	errno_t e;

	if (s->m == NULL) {
		return;
	}
	m = chain_at(s->m, idx, &off);
	max = mbuf_maxlen(m);
	l = mbuf_len(m);
	a %= max + 2;
	b %= max + 2;
	if (s->len - l + b > FZ_MAXLEN) {
		return;
	}
	start = mbuf_datastart(m);
	e = mbuf_setdata(m, start + a, b);
	FZ_CHECK(e == (a > max || b > max - a ? EINVAL : 0), "setdata", a, b);
	if (e != 0) {
		return;
	}
	sh_delete(s, off, l);
	sh_insert(s, off, b, NULL);
	if (s->hdr) {
		mbuf_pkthdr_setlen(s->m, s->len);
	}
}

static void
op_setflags(struct fz_rd *r)
{
	struct fz_slot *s = &slots[rd8(r) % NSLOT];
	mbuf_flags_t flags = rd16(r), mask = rd16(r), pub = 0x7f47, now;
	bool had, has;
	errno_t e, want = 0;

	if (s->m == NULL) {
		return;
	}
	had = mbuf_flags(s->m) & MBUF_PKTHDR;
	has = (mask & MBUF_PKTHDR) ? (flags & MBUF_PKTHDR) != 0 : had;
	if (mask & (~pub | MBUF_EXT)) {
		want = EINVAL;
	} else if (!had && has && !(mbuf_flags(s->m) & MBUF_EXT) &&
	    mbuf_len(s->m) > 0) {
		want = EBUSY;
	}
	now = mbuf_flags(s->m);
	e = mbuf_setflags_mask(s->m, flags, mask);
	FZ_CHECK(e == want, "setflags_mask", e, want);
	if (e != 0) {
		FZ_CHECK(mbuf_flags(s->m) == now, "setflags failure changed "
		    "the flags", mbuf_flags(s->m), now);
		return;
	}
	FZ_CHECK((mbuf_flags(s->m) & mask) == (flags & mask),
	    "flags not set", mbuf_flags(s->m), flags);
	if (had != has) {
		sh_clear_tags(s);
		s->hdr = has;
		if (has) {
			mbuf_pkthdr_setlen(s->m, s->len);
		}
	}
}

static void
op_copy_pkthdr(struct fz_rd *r)
{
	unsigned int a = rd8(r) % NSLOT, b = rd8(r) % NSLOT;
	struct fz_slot *d = &slots[a], *s = &slots[b];
	errno_t e, want = 0;

	if (d->m == NULL || s->m == NULL) {
		return;
	}
	/* A small mbuf without a header has its data where it would go. */
	if (!s->hdr) {
		want = EINVAL;
	} else if (!d->hdr && !(mbuf_flags(d->m) & MBUF_EXT) &&
	    mbuf_len(d->m) > 0) {
		want = EBUSY;
	}
	e = mbuf_copy_pkthdr(d->m, s->m);
	FZ_CHECK(e == want, "copy_pkthdr", e, want);
	if (e != 0 || a == b) {
		return;
	}
	memcpy(d->tags, s->tags, sizeof(d->tags));
	sh_clear_tags(s);
	d->hdr = true;
	mbuf_pkthdr_setlen(d->m, d->len);
	/*
	 * As XNU's m_copy_pkthdr, the data pointer of a small mbuf goes
	 * back to the start of its buffer, the data staying where it was.
	 */
	if (!(mbuf_flags(d->m) & MBUF_EXT)) {
		memset(d->known, 0, mbuf_len(d->m));
	}
}

static void
op_settype(struct fz_rd *r)
{
	struct fz_slot *s = &slots[rd8(r) % NSLOT];
	size_t idx = rd8(r), off;
	unsigned int type = rd16(r) % 260;
	mbuf_t m;
	errno_t e;

	if (s->m == NULL) {
		return;
	}
	m = chain_at(s->m, idx, &off);
	e = mbuf_settype(m, type);
	FZ_CHECK(e == (type == MBUF_TYPE_FREE || type >= 256 ? EINVAL : 0),
	    "settype", e, type);
	if (e == 0) {
		FZ_CHECK(mbuf_type(m) == type, "type not set", mbuf_type(m),
		    type);
	}
}

/* Cuts the chain after mbuf @idx with mbuf_setnext; the tail moves. */
static void
op_setnext(struct fz_rd *r)
{
	unsigned int a = rd8(r) % NSLOT, b = rd8(r) % NSLOT;
	struct fz_slot *s = &slots[a], *d = &slots[b];
	size_t idx = rd8(r), off;
	mbuf_t m, tail;

	if (a == b || s->m == NULL) {
		return;
	}
	m = chain_at(s->m, idx, &off);
	if ((tail = mbuf_next(m)) == NULL) {
		return;
	}
	slot_free(d);
	FZ_CHECK(mbuf_setnext(m, NULL) == 0, "setnext NULL", 0, 0);
	off += mbuf_len(m);
	sh_copy(d, s, off, s->len - off);
	s->len = off;
	if (s->hdr) {
		mbuf_pkthdr_setlen(s->m, s->len);
	}
	slot_adopt(d, tail);
	d->alias = s->alias;
	sh_join(s, d);
}

/* Two packets as a list, freed by mbuf_freem_list. */
static void
op_freem_list(struct fz_rd *r)
{
	unsigned int a = rd8(r) % NSLOT, b = rd8(r) % NSLOT;
	struct fz_slot *s = &slots[a], *t = &slots[b];
	int n;

	if (s->m == NULL) {
		return;
	}
	if (a != b && t->m != NULL) {
		mbuf_setnextpkt(s->m, t->m);
		n = mbuf_freem_list(s->m);
		FZ_CHECK(n == 2, "freem_list count", n, 2);
		sh_forget(t);
	} else {
		n = mbuf_freem_list(s->m);
		FZ_CHECK(n == 1, "freem_list count", n, 1);
	}
	sh_forget(s);
}

static void
op_stats(struct fz_rd *r)
{
	struct mbuf_stat st;

	(void)r;
	mbuf_stats(&st);
	FZ_CHECK(st.mlen == mbuf_get_mlen() && st.mhlen == mbuf_get_mhlen() &&
	    st.minclsize == mbuf_get_minclsize() && st.msize == 256 &&
	    st.mclbytes == 2048 && st.bigmclbytes == 4096, "mbuf_stats sizes",
	    st.mlen, st.mhlen);
}

/* The next operation's allocations may fail. */
static void
op_inject(struct fz_rd *r)
{
	unsigned int skip = rd8(r) % 6, count = 1 + rd8(r) % 3;

	xk_mb_inject_failures(skip, count);
	fz_injecting = true;
}

struct fz_opdef {
	const char	*name;
	void		(*fn)(struct fz_rd *);
};

static void op_gethdr(struct fz_rd *r) { op_get(r, 0); }
static void op_getplain(struct fz_rd *r) { op_get(r, 1); }
static void op_getpacket(struct fz_rd *r) { op_get(r, 2); }

static const struct fz_opdef fz_ops[FZM_NOPS] = {
	[FZM_GETHDR] = { "gethdr", op_gethdr },
	[FZM_GET] = { "get", op_getplain },
	[FZM_GETPACKET] = { "getpacket", op_getpacket },
	[FZM_ALLOCPACKET] = { "allocpacket", op_allocpacket },
	[FZM_GETCLUSTER] = { "getcluster", op_getcluster },
	[FZM_COPYBACK] = { "copyback", op_copyback },
	[FZM_COPYDATA] = { "copydata", op_copydata },
	[FZM_COPYM] = { "copym", op_copym },
	[FZM_DUP] = { "dup", op_dup },
	[FZM_PREPEND] = { "prepend", op_prepend },
	[FZM_SPLIT] = { "split", op_split },
	[FZM_PULLUP] = { "pullup", op_pullup },
	[FZM_PULLDOWN] = { "pulldown", op_pulldown },
	[FZM_ADJ] = { "adj", op_adj },
	[FZM_CONCATENATE] = { "concatenate", op_concatenate },
	[FZM_TAG_ALLOCATE] = { "tag_allocate", op_tag_allocate },
	[FZM_TAG_FREE] = { "tag_free", op_tag_free },
	[FZM_FREEM] = { "freem", op_freem },
	[FZM_FREE] = { "free", op_free1 },
	[FZM_ADJUSTLEN] = { "adjustlen", op_adjustlen },
	[FZM_SETDATA] = { "setdata", op_setdata },
	[FZM_SETFLAGS_MASK] = { "setflags_mask", op_setflags },
	[FZM_COPY_PKTHDR] = { "copy_pkthdr", op_copy_pkthdr },
	[FZM_SETTYPE] = { "settype", op_settype },
	[FZM_SETNEXT] = { "setnext", op_setnext },
	[FZM_FREEM_LIST] = { "freem_list", op_freem_list },
	[FZM_STATS] = { "stats", op_stats },
	[FZM_INJECT] = { "inject", op_inject },
};

/* FZ_MBUF_TRACE: each operation and the slots after it, to stderr. */
static void
fz_trace_op(const char *name, long at)
{
	fprintf(stderr, "op %u %s (to byte %ld):", fz_op, name, at);
	for (int i = 0; i < NSLOT; i++) {
		const struct fz_slot *s = &slots[i];

		if (s->m == NULL) {
			fprintf(stderr, " [-]");
			continue;
		}
		fprintf(stderr, " [%zu%s g%d:", s->len, s->hdr ? " hdr" : "",
		    s->group);
		for (mbuf_t m = s->m; m != NULL; m = mbuf_next(m)) {
			fprintf(stderr, " %zu%s/%zu", mbuf_len(m),
			    (mbuf_flags(m) & MBUF_EXT) ? "c" : "",
			    mbuf_maxlen(m));
		}
		fprintf(stderr, "]");
	}
	fprintf(stderr, "\n");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_rd r = { data, size };
	struct xk_mb_live live;
	bool inject;

	for (fz_op = 0; r.n > 0 && fz_op < FZ_MAXOPS; fz_op++) {
		const struct fz_opdef *op = &fz_ops[rd8(&r) % FZM_NOPS];

		fz_opname = op->name;
		inject = op->fn == op_inject;
		op->fn(&r);
		if (!inject) {
			xk_mb_inject_failures(0, 0);
			fz_injecting = false;
		}
		if (fz_trace) {
			fz_trace_op(op->name, r.p - data);
		}
		check_all(fz_everyop || fz_op % 8 == 7);
	}
	check_all(true);
	xk_mb_inject_failures(0, 0);
	fz_injecting = false;
	fz_opname = "end";
	for (int i = 0; i < NSLOT; i++) {
		slot_free(&slots[i]);
	}
	xk_mb_live(&live);
	FZ_CHECK(live.mbufs == fz_live0.mbufs, "mbufs alive at the end",
	    live.mbufs, fz_live0.mbufs);
	FZ_CHECK(live.clusters == fz_live0.clusters,
	    "clusters alive at the end", live.clusters, fz_live0.clusters);
	FZ_CHECK(live.tags == fz_live0.tags, "tags alive at the end",
	    live.tags, fz_live0.tags);
	return 0;
}
