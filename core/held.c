/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The held-packet matcher (core/held.h).  Entries live in one array and
 * name each other by index (NIL: none):
 *	- the age list, oldest to newest, doubly linked (the free list
 *	  reuses he_newer);
 *	- the hold id table: a chain per bucket through he_idnext;
 *	- the key table: a chain per bucket through he_keynext, of the
 *	  oldest entry of each key only (its head); the entries of one key
 *	  form a ring through he_sprev/he_snext in age order, so that the
 *	  head's he_sprev is the newest.  Keys of 0 bytes: no key table,
 *	  and the key links are left unset.
 * The pool is taken in index order until every entry was used once
 * (h_fresh), then from the free list: a large pool's memory is touched
 * only as far as it fills.
 * Chains are singly linked: an unlink walks its bucket, which holds
 * about one entry even when the pool is full (as many buckets as
 * entries by default).
 */
#include "core/xk.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#include "core/held.h"

#define NIL		UINT32_MAX
#define HELD_KEYMAX	256
#define HELD_CAPMAX	(1u << 24)

struct held_ent {
	uint64_t	he_hold;
	int64_t		he_when;
	uint32_t	he_data;
	uint32_t	he_hash;	/* of the key */
	uint32_t	he_idnext;	/* in the hold id's bucket */
	uint32_t	he_keynext;	/* in the key's bucket; heads only */
	uint32_t	he_older;	/* age list */
	uint32_t	he_newer;	/* age list, or free list */
	uint32_t	he_sprev;	/* the ring of the entries of its key */
	uint32_t	he_snext;
	uint32_t	he_head;	/* the oldest of its key (in he_keynext) */
	uint32_t	he_pad;
	/* The key, h_keylen bytes. */
};

struct xk_held {
	uint8_t		*h_ents;	/* h_cap entries of h_stride bytes */
	uint32_t	*h_byid;	/* h_mask + 1 chain heads */
	uint32_t	*h_bykey;	/* h_mask + 1 chain heads; NULL:
					   keys of 0 bytes */
	size_t		 h_keylen;
	size_t		 h_stride;
	uint64_t	 h_seed;
	uint32_t	 h_cap;
	uint32_t	 h_mask;
	uint32_t	 h_count;
	uint32_t	 h_free;	/* free list, of entries used before */
	uint32_t	 h_fresh;	/* entries from here on never used */
	uint32_t	 h_oldest;
	uint32_t	 h_newest;
};

static inline struct held_ent *
ent(const struct xk_held *h, uint32_t i)
{
	return (struct held_ent *)(void *)(h->h_ents + (size_t)i * h->h_stride);
}

static inline uint8_t *
ent_key(struct held_ent *e)
{
	return (uint8_t *)(e + 1);
}

/* A 64-bit finalizer (murmur3's constants): every bit moves every bit. */
static inline uint64_t
held_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/*
 * Hold ids are the backend's, not the sender's, and nearly sequential
 * (nfqueue: the queue's packet id under the queue number): folded, not
 * mixed, they fill neighbouring buckets, which stay in the cache.
 */
static inline uint32_t
held_id_hash(const struct xk_held *h, uint64_t hold)
{
	(void)h;
	return (uint32_t)hold ^ (uint32_t)(hold >> 32);
}

/*
 * The key's bytes eight at a time (the tail zero-padded), each word
 * multiplied in and folded, then the whole mixed once.
 */
static uint32_t
held_key_hash(const struct xk_held *h, const void *key)
{
	const uint8_t *p = key;
	size_t n = h->h_keylen;
	uint64_t x = h->h_seed, w;

	for (; n > 0; p += 8, n -= n < 8 ? n : 8) {
		w = 0;
		memcpy(&w, p, n < 8 ? n : 8);
		x = (x ^ w) * 0x9e3779b97f4a7c15ULL;
		x ^= x >> 29;
	}
	return (uint32_t)held_mix(x);
}

static void
held_init(struct xk_held *h)
{
	memset(h->h_byid, 0xff, ((size_t)h->h_mask + 1) * sizeof(uint32_t));
	if (h->h_bykey != NULL) {
		memset(h->h_bykey, 0xff,
		    ((size_t)h->h_mask + 1) * sizeof(uint32_t));
	}
	h->h_free = NIL;
	h->h_fresh = 0;
	h->h_oldest = h->h_newest = NIL;
	h->h_count = 0;
}

int
xk_held_create(size_t keylen, uint32_t capacity, uint32_t nbuckets,
    struct xk_held **hp)
{
	struct xk_held *h;

	*hp = NULL;
	if (keylen > HELD_KEYMAX || capacity == 0 ||
	    capacity > HELD_CAPMAX || (nbuckets & (nbuckets - 1)) != 0 ||
	    nbuckets > 2 * HELD_CAPMAX) {
		return EINVAL;
	}
	if (nbuckets == 0) {
		for (nbuckets = 1; nbuckets < capacity; nbuckets <<= 1) {
			continue;
		}
	}
	if ((h = g_try_new0(struct xk_held, 1)) == NULL) {
		return ENOMEM;
	}
	h->h_keylen = keylen;
	h->h_stride = (sizeof(struct held_ent) + keylen + 7) & ~(size_t)7;
	h->h_cap = capacity;
	h->h_mask = nbuckets - 1;
	h->h_ents = g_try_malloc((size_t)capacity * h->h_stride);
	h->h_byid = g_try_new(uint32_t, nbuckets);
	if (keylen > 0) {
		h->h_bykey = g_try_new(uint32_t, nbuckets);
	}
	if (h->h_ents == NULL || h->h_byid == NULL ||
	    (keylen > 0 && h->h_bykey == NULL)) {
		xk_held_destroy(h);
		return ENOMEM;
	}
	/* Chains an outsider cannot predict, from keys partly theirs. */
	h->h_seed = (uint64_t)g_random_int() << 32 | g_random_int();
	held_init(h);
	*hp = h;
	return 0;
}

void
xk_held_destroy(struct xk_held *h)
{
	if (h == NULL) {
		return;
	}
	g_free(h->h_ents);
	g_free(h->h_byid);
	g_free(h->h_bykey);
	g_free(h);
}

uint32_t
xk_held_count(const struct xk_held *h)
{
	return h->h_count;
}

static uint32_t
held_find_id(const struct xk_held *h, uint64_t hold)
{
	uint32_t i = h->h_byid[held_id_hash(h, hold) & h->h_mask];

	while (i != NIL && ent(h, i)->he_hold != hold) {
		i = ent(h, i)->he_idnext;
	}
	return i;
}

/* The head (oldest entry) of the key at @key, of hash @hash. */
static uint32_t
held_find_key(const struct xk_held *h, const void *key, uint32_t hash)
{
	uint32_t i = h->h_bykey[hash & h->h_mask];
	struct held_ent *e;

	for (; i != NIL; i = e->he_keynext) {
		e = ent(h, i);
		if (e->he_hash == hash &&
		    memcmp(ent_key(e), key, h->h_keylen) == 0) {
			return i;
		}
	}
	return NIL;
}

/*
 * Puts head @to in head @from's place in its key bucket's chain (NIL:
 * takes @from out).
 */
static void
held_key_replace(struct xk_held *h, uint32_t from, uint32_t to)
{
	uint32_t *pp = &h->h_bykey[ent(h, from)->he_hash & h->h_mask];

	while (*pp != from) {
		pp = &ent(h, *pp)->he_keynext;
	}
	*pp = to != NIL ? to : ent(h, from)->he_keynext;
	if (to != NIL) {
		ent(h, to)->he_keynext = ent(h, from)->he_keynext;
		ent(h, to)->he_head = 1;
	}
}

/* Unlinks entry @i from everything and puts it on the free list. */
static void
held_forget(struct xk_held *h, uint32_t i)
{
	struct held_ent *e = ent(h, i);
	uint32_t *pp = &h->h_byid[held_id_hash(h, e->he_hold) & h->h_mask];

	while (*pp != i) {
		pp = &ent(h, *pp)->he_idnext;
	}
	*pp = e->he_idnext;
	if (h->h_bykey == NULL) {
		/* No key. */
	} else if (e->he_snext == i) {
		held_key_replace(h, i, NIL);
	} else {
		ent(h, e->he_sprev)->he_snext = e->he_snext;
		ent(h, e->he_snext)->he_sprev = e->he_sprev;
		if (e->he_head) {
			/* The next oldest of the key takes its place. */
			held_key_replace(h, i, e->he_snext);
		}
	}
	if (e->he_older != NIL) {
		ent(h, e->he_older)->he_newer = e->he_newer;
	} else {
		h->h_oldest = e->he_newer;
	}
	if (e->he_newer != NIL) {
		ent(h, e->he_newer)->he_older = e->he_older;
	} else {
		h->h_newest = e->he_older;
	}
	e->he_newer = h->h_free;
	h->h_free = i;
	h->h_count--;
}

/*
 * Entry @i takes the key at @key: the head of its key's ring when it is
 * the only one, else the newest, last in the ring.
 */
static void
held_key_link(struct xk_held *h, uint32_t i, const void *key)
{
	struct held_ent *e = ent(h, i), *he;
	uint32_t head, hash = held_key_hash(h, key), b;

	e->he_hash = hash;
	memcpy(ent_key(e), key, h->h_keylen);
	if ((head = held_find_key(h, key, hash)) == NIL) {
		b = hash & h->h_mask;
		e->he_keynext = h->h_bykey[b];
		h->h_bykey[b] = i;
		e->he_head = 1;
		e->he_sprev = e->he_snext = i;
		return;
	}
	he = ent(h, head);
	e->he_head = 0;
	e->he_keynext = NIL;
	e->he_sprev = he->he_sprev;
	e->he_snext = head;
	ent(h, he->he_sprev)->he_snext = i;
	he->he_sprev = i;
}

unsigned int
xk_held_remember(struct xk_held *h, uint64_t hold, const void *key,
    uint32_t data, int64_t now)
{
	unsigned int forgot = 0;
	struct held_ent *e;
	uint32_t i, b;

	if (held_find_id(h, hold) != NIL) {
		return 0;
	}
	if (h->h_count == h->h_cap) {
		held_forget(h, h->h_oldest);
		forgot = 1;
	}
	if (h->h_free != NIL) {
		i = h->h_free;
		e = ent(h, i);
		h->h_free = e->he_newer;
	} else {
		i = h->h_fresh++;
		e = ent(h, i);
	}
	h->h_count++;
	e->he_hold = hold;
	e->he_when = now;
	e->he_data = data;
	b = held_id_hash(h, hold) & h->h_mask;
	e->he_idnext = h->h_byid[b];
	h->h_byid[b] = i;
	if (h->h_bykey != NULL) {
		held_key_link(h, i, key);
	}
	e->he_older = h->h_newest;
	e->he_newer = NIL;
	if (h->h_newest != NIL) {
		ent(h, h->h_newest)->he_newer = i;
	} else {
		h->h_oldest = i;
	}
	h->h_newest = i;
	return forgot;
}

uint64_t
xk_held_answer(struct xk_held *h, uint64_t hold, const void *key,
    uint32_t *datap)
{
	uint32_t i = NIL;
	struct held_ent *e;

	if (h->h_count == 0) {
		return 0;
	}
	if (hold != 0) {
		i = held_find_id(h, hold);
	}
	if (i == NIL && key != NULL && h->h_bykey != NULL) {
		i = held_find_key(h, key, held_key_hash(h, key));
	}
	if (i == NIL) {
		return 0;
	}
	e = ent(h, i);
	hold = e->he_hold;
	if (datap != NULL) {
		*datap = e->he_data;
	}
	held_forget(h, i);
	return hold;
}

uint64_t
xk_held_oldest(const struct xk_held *h, int64_t *whenp, uint32_t *datap)
{
	const struct held_ent *e;

	if (h->h_oldest == NIL) {
		return 0;
	}
	e = ent(h, h->h_oldest);
	if (whenp != NULL) {
		*whenp = e->he_when;
	}
	if (datap != NULL) {
		*datap = e->he_data;
	}
	return e->he_hold;
}

unsigned int
xk_held_expire(struct xk_held *h, int64_t before)
{
	unsigned int n = 0;

	while (h->h_oldest != NIL && ent(h, h->h_oldest)->he_when < before) {
		held_forget(h, h->h_oldest);
		n++;
	}
	return n;
}

unsigned int
xk_held_clear(struct xk_held *h,
    void (*fn)(void *ctx, uint64_t hold, uint32_t data), void *ctx)
{
	unsigned int n = 0;
	struct held_ent *e;

	for (uint32_t i = h->h_oldest; i != NIL; i = e->he_newer) {
		e = ent(h, i);
		if (fn != NULL) {
			fn(ctx, e->he_hold, e->he_data);
		}
		n++;
	}
	if (n > 0) {
		held_init(h);
	}
	return n;
}
