/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The held-packet matcher (core/held.c) of divert (core/divert.c) and
 * SeND (core/send.c) sockets: the packets of an intercepting backend a
 * socket has, each remembered by its hold id with a key of the caller's
 * (a fixed number of bytes, compared whole) and a word of data, so that
 * the packet written back answers its own hold id, else the oldest held
 * packet with its key.  With keys of 0 bytes, by hold id only: the
 * nfqueue backend's table of the packets the engine holds
 * (backends/nfqueue.c).
 *
 * Allocation-free once made: the entries come from a pool of a capacity
 * fixed at creation, linked through themselves (the age list, the ring
 * of the entries sharing a key, the hash chains), on bucket arrays also
 * sized at creation; the pool's memory is first touched as it fills.
 * When the pool is full, remembering a packet forgets the oldest one
 * for it: the oldest is the likeliest to be stale (a daemon that eats a
 * packet never answers it, and the backend drops it after its bound),
 * while the new one is about to be answered.
 *
 * Not locked: the caller serialises (divert, SeND and nfqueue hold the
 * core lock).
 */
#ifndef _XK_CORE_HELD_H_
#define _XK_CORE_HELD_H_

#include <stddef.h>
#include <stdint.h>

struct xk_held;

/*
 * Makes in *@hp a matcher for keys of @keylen bytes (0 to 256; 0: no
 * keys, packets are answered by hold id only) with room for @capacity
 * packets (1 to 2^24) and hash tables of @nbuckets buckets (a power of
 * two; 0: the first one at or above @capacity).
 * Returns 0, EINVAL or ENOMEM.
 */
int	xk_held_create(size_t keylen, uint32_t capacity, uint32_t nbuckets,
	    struct xk_held **hp);
/* Frees @h (NULL: nothing), forgetting what it holds uncounted. */
void	xk_held_destroy(struct xk_held *h);

/*
 * Remembers held packet @hold (not 0) with the @keylen bytes at @key
 * (not read when @keylen is 0) and @data, at time @now (microseconds,
 * monotonic, never decreasing).  A @hold already remembered stays as it
 * was.  Returns how many packets were forgotten to make room: 1 when the
 * pool was full (the oldest went), else 0.
 */
unsigned int xk_held_remember(struct xk_held *h, uint64_t hold,
	    const void *key, uint32_t data, int64_t now);
/*
 * The held packet a written one answers, forgotten here: @hold's own
 * entry when @hold is not 0 and remembered, else the oldest with the
 * key at @key (NULL: none; not read when @keylen is 0).  Returns its
 * hold id and puts its data in *@datap (NULL: not wanted), or returns 0
 * when it answers none.
 */
uint64_t xk_held_answer(struct xk_held *h, uint64_t hold, const void *key,
	    uint32_t *datap);
/*
 * The oldest packet remembered: returns its hold id and puts its time
 * in *@whenp and its data in *@datap (NULL: not wanted), or returns 0
 * when there is none.  It stays remembered.
 */
uint64_t xk_held_oldest(const struct xk_held *h, int64_t *whenp,
	    uint32_t *datap);
/*
 * Forgets the packets remembered before @before (as @now went); returns
 * how many.
 */
unsigned int xk_held_expire(struct xk_held *h, int64_t before);
/*
 * Forgets every packet, oldest first, calling @fn (NULL: none) with
 * @ctx, its hold id and data for each before it goes; returns how many.
 */
unsigned int xk_held_clear(struct xk_held *h,
	    void (*fn)(void *ctx, uint64_t hold, uint32_t data), void *ctx);
/* How many packets @h remembers. */
uint32_t xk_held_count(const struct xk_held *h);

#endif /* _XK_CORE_HELD_H_ */
