/*
 * The held-packet matcher of divert, SeND and nfqueue (core/held.c)
 * alone: the hold id first, else the oldest of the key; what answers,
 * expires or clears is forgotten; a full pool forgets its oldest; keys
 * colliding in one bucket; the oldest shown without being forgotten;
 * keys of 0 bytes (nfqueue's: by hold id only); and random runs, with
 * and without keys, against a plain model.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <glib.h>
#include <stdbool.h>
#include <string.h>

#include "core/held.h"

static void
test_create_errors(void **state)
{
	static int other;
	struct xk_held *h = (struct xk_held *)(void *)&other;

	(void)state;
	/* A failed create leaves NULL, whatever was there. */
	assert_int_equal(xk_held_create(257, 4, 0, &h), EINVAL);
	assert_null(h);
	assert_int_equal(xk_held_create(0, 0, 0, &h), EINVAL);
	assert_int_equal(xk_held_create(8, 0, 0, &h), EINVAL);
	assert_int_equal(xk_held_create(8, 4, 3, &h), EINVAL);
	assert_int_equal(xk_held_create(8, (1u << 24) + 1, 0, &h), EINVAL);
	assert_int_equal(xk_held_create(8, 4, 1, &h), 0);
	assert_int_equal(xk_held_count(h), 0);
	xk_held_destroy(h);
	xk_held_destroy(NULL);
}

static void
test_id_first_else_oldest_of_key(void **state)
{
	struct xk_held *h;
	uint64_t ka = 7, kb = 8;
	uint32_t data = 0;

	(void)state;
	assert_int_equal(xk_held_create(sizeof(uint64_t), 16, 0, &h), 0);
	assert_int_equal(xk_held_remember(h, 101, &ka, 1, 10), 0);
	assert_int_equal(xk_held_remember(h, 102, &kb, 2, 11), 0);
	assert_int_equal(xk_held_remember(h, 103, &ka, 3, 12), 0);
	assert_int_equal(xk_held_remember(h, 104, &ka, 4, 13), 0);
	/* Remembered again: the first stays, with its data and age. */
	assert_int_equal(xk_held_remember(h, 103, &kb, 9, 14), 0);
	assert_int_equal(xk_held_count(h), 4);
	/* By id, though the key names another. */
	assert_int_equal(xk_held_answer(h, 103, &kb, &data), 103);
	assert_int_equal(data, 3);
	/* Answered once: forgotten; the key answers its oldest. */
	assert_int_equal(xk_held_answer(h, 103, &ka, &data), 101);
	assert_int_equal(data, 1);
	/* An unknown id falls back on the key; no key, nothing. */
	assert_int_equal(xk_held_answer(h, 999, NULL, &data), 0);
	assert_int_equal(xk_held_answer(h, 0, &ka, NULL), 104);
	assert_int_equal(xk_held_answer(h, 0, &ka, &data), 0);
	assert_int_equal(xk_held_count(h), 1);
	assert_int_equal(xk_held_answer(h, 0, &kb, &data), 102);
	assert_int_equal(data, 2);
	assert_int_equal(xk_held_count(h), 0);
	assert_int_equal(xk_held_answer(h, 102, &kb, &data), 0);
	xk_held_destroy(h);
}

/* Full: the oldest goes for the new one, even the head of a busy key. */
static void
test_pool_full_forgets_oldest(void **state)
{
	struct xk_held *h;
	uint64_t ka = 1, kb = 2;
	uint32_t data;

	(void)state;
	assert_int_equal(xk_held_create(sizeof(uint64_t), 4, 0, &h), 0);
	assert_int_equal(xk_held_remember(h, 1, &ka, 1, 1), 0);
	assert_int_equal(xk_held_remember(h, 2, &kb, 2, 2), 0);
	assert_int_equal(xk_held_remember(h, 3, &ka, 3, 3), 0);
	assert_int_equal(xk_held_remember(h, 4, &kb, 4, 4), 0);
	assert_int_equal(xk_held_remember(h, 5, &ka, 5, 5), 1);
	assert_int_equal(xk_held_count(h), 4);
	assert_int_equal(xk_held_remember(h, 6, &kb, 6, 6), 1);
	assert_int_equal(xk_held_count(h), 4);
	/* 1 and 2 went; 3 is the oldest of a now, 4 of b. */
	assert_int_equal(xk_held_answer(h, 1, NULL, NULL), 0);
	assert_int_equal(xk_held_answer(h, 2, NULL, NULL), 0);
	assert_int_equal(xk_held_answer(h, 0, &ka, &data), 3);
	assert_int_equal(xk_held_answer(h, 0, &kb, &data), 4);
	assert_int_equal(xk_held_answer(h, 0, &ka, &data), 5);
	assert_int_equal(xk_held_answer(h, 0, &kb, &data), 6);
	assert_int_equal(data, 6);
	assert_int_equal(xk_held_count(h), 0);
	/* A hold id remembered while full and known: nothing goes. */
	for (uint64_t i = 10; i < 14; i++) {
		assert_int_equal(xk_held_remember(h, i, &ka, 0, 20), 0);
	}
	assert_int_equal(xk_held_remember(h, 12, &ka, 0, 21), 0);
	assert_int_equal(xk_held_count(h), 4);
	assert_int_equal(xk_held_answer(h, 0, &ka, NULL), 10);
	xk_held_destroy(h);
}

/* Expiry takes the oldest first, whatever the keys, and stops. */
static void
test_expire_in_age_order(void **state)
{
	struct xk_held *h;
	uint64_t k[3] = { 5, 6, 5 };

	(void)state;
	assert_int_equal(xk_held_create(sizeof(uint64_t), 8, 0, &h), 0);
	for (uint64_t i = 0; i < 6; i++) {
		assert_int_equal(xk_held_remember(h, 20 + i, &k[i % 3],
		    (uint32_t)i, 100 + 10 * (int64_t)i), 0);
	}
	/* One in the middle answered first: expiry steps over its gap. */
	assert_int_equal(xk_held_answer(h, 21, NULL, NULL), 21);
	/* Remembered before 100: none; the bound is strict. */
	assert_int_equal(xk_held_expire(h, 100), 0);
	assert_int_equal(xk_held_expire(h, 105), 1);
	assert_int_equal(xk_held_answer(h, 20, NULL, NULL), 0);
	assert_int_equal(xk_held_expire(h, 121), 1);
	assert_int_equal(xk_held_answer(h, 22, NULL, NULL), 0);
	assert_int_equal(xk_held_count(h), 3);
	/* Key 5 lost 20 and 22 to expiry: its oldest is 23 (at 130). */
	assert_int_equal(xk_held_answer(h, 0, &k[0], NULL), 23);
	assert_int_equal(xk_held_expire(h, 1000), 2);
	assert_int_equal(xk_held_count(h), 0);
	assert_int_equal(xk_held_answer(h, 0, &k[1], NULL), 0);
	assert_int_equal(xk_held_answer(h, 0, &k[2], NULL), 0);
	xk_held_destroy(h);
}

/*
 * Keys of 0 bytes: answered by hold id only (a key given is not read);
 * the oldest is shown and stays; a full pool forgets its oldest; ids in
 * one bucket leave from the middle.
 */
static void
test_keyless(void **state)
{
	struct xk_held *h;
	uint32_t data = 0;
	int64_t when = 0;

	(void)state;
	assert_int_equal(xk_held_create(0, 4, 2, &h), 0);
	assert_int_equal(xk_held_oldest(h, &when, &data), 0);
	for (uint64_t i = 1; i <= 4; i++) {
		/* Ids 2 apart share a bucket of the two. */
		assert_int_equal(xk_held_remember(h, 2 * i, NULL,
		    (uint32_t)(10 + i), (int64_t)(100 + i)), 0);
	}
	assert_int_equal(xk_held_oldest(h, &when, &data), 2);
	assert_int_equal(when, 101);
	assert_int_equal(data, 11);
	assert_int_equal(xk_held_oldest(h, NULL, NULL), 2);
	assert_int_equal(xk_held_count(h), 4);
	/* No key to fall back on: an unknown id answers none. */
	assert_int_equal(xk_held_answer(h, 0, NULL, &data), 0);
	assert_int_equal(xk_held_answer(h, 3, NULL, &data), 0);
	assert_int_equal(xk_held_answer(h, 3, "x", &data), 0);
	assert_int_equal(xk_held_answer(h, 4, NULL, &data), 4);
	assert_int_equal(data, 12);
	assert_int_equal(xk_held_remember(h, 10, NULL, 15, 105), 0);
	/* Full: 2 goes for 12, then 6 for 14. */
	assert_int_equal(xk_held_remember(h, 12, NULL, 16, 106), 1);
	assert_int_equal(xk_held_oldest(h, &when, &data), 6);
	assert_int_equal(when, 103);
	assert_int_equal(xk_held_remember(h, 12, NULL, 0, 107), 0);
	assert_int_equal(xk_held_remember(h, 14, NULL, 17, 107), 1);
	assert_int_equal(xk_held_answer(h, 2, NULL, NULL), 0);
	assert_int_equal(xk_held_answer(h, 6, NULL, NULL), 0);
	assert_int_equal(xk_held_oldest(h, NULL, &data), 8);
	assert_int_equal(data, 14);
	assert_int_equal(xk_held_expire(h, 106), 2);
	assert_int_equal(xk_held_oldest(h, &when, NULL), 12);
	assert_int_equal(when, 106);
	assert_int_equal(xk_held_answer(h, 14, NULL, &data), 14);
	assert_int_equal(data, 17);
	assert_int_equal(xk_held_answer(h, 12, NULL, &data), 12);
	assert_int_equal(xk_held_count(h), 0);
	assert_int_equal(xk_held_oldest(h, &when, &data), 0);
	xk_held_destroy(h);
}

struct seen {
	uint64_t	hold[8];
	uint32_t	data[8];
	unsigned int	n;
};

static void
note_one(void *ctx, uint64_t hold, uint32_t data)
{
	struct seen *s = ctx;

	assert_true(s->n < 8);
	s->hold[s->n] = hold;
	s->data[s->n++] = data;
}

static void
test_clear_oldest_first(void **state)
{
	struct xk_held *h;
	struct seen s = { 0 };
	uint8_t key[13] = { 1 };

	(void)state;
	/* An odd key length: the hash reads a tail. */
	assert_int_equal(xk_held_create(sizeof(key), 4, 0, &h), 0);
	assert_int_equal(xk_held_clear(h, note_one, &s), 0);
	for (unsigned int i = 0; i < 3; i++) {
		key[12] = (uint8_t)(i & 1);
		assert_int_equal(xk_held_remember(h, 30 + i, key, 40 + i, i),
		    0);
	}
	assert_int_equal(xk_held_clear(h, note_one, &s), 3);
	assert_int_equal(s.n, 3);
	for (unsigned int i = 0; i < 3; i++) {
		assert_int_equal(s.hold[i], 30 + i);
		assert_int_equal(s.data[i], 40 + i);
	}
	assert_int_equal(xk_held_count(h), 0);
	assert_int_equal(xk_held_answer(h, 30, key, NULL), 0);
	/* Usable again, all four entries. */
	for (unsigned int i = 0; i < 4; i++) {
		assert_int_equal(xk_held_remember(h, 50 + i, key, 0, 9), 0);
	}
	assert_int_equal(xk_held_answer(h, 0, key, NULL), 50);
	assert_int_equal(xk_held_clear(h, NULL, NULL), 3);
	xk_held_destroy(h);
}

/*
 * Every key in one bucket (a table of one): each key still answers its
 * own oldest, whichever entries and heads leave first.
 */
static void
test_keys_colliding_in_one_bucket(void **state)
{
	enum { NKEYS = 200, PER = 3 };
	struct xk_held *h;
	uint64_t key;

	(void)state;
	assert_int_equal(xk_held_create(sizeof(key), NKEYS * PER, 1, &h), 0);
	for (uint64_t r = 0; r < PER; r++) {
		for (key = 0; key < NKEYS; key++) {
			assert_int_equal(xk_held_remember(h,
			    1 + r * NKEYS + key, &key, (uint32_t)key, 0), 0);
		}
	}
	/* Every odd key loses its middle entry by id, every third its head. */
	for (key = 1; key < NKEYS; key += 2) {
		assert_int_equal(xk_held_answer(h, 1 + NKEYS + key, NULL,
		    NULL), 1 + NKEYS + key);
	}
	for (key = 0; key < NKEYS; key += 3) {
		assert_int_equal(xk_held_answer(h, 1 + key, NULL, NULL),
		    1 + key);
	}
	for (key = 0; key < NKEYS; key++) {
		for (uint64_t r = 0; r < PER; r++) {
			uint64_t hold = 1 + r * NKEYS + key;
			uint32_t data = UINT32_MAX;

			if ((r == 1 && key % 2 == 1) ||
			    (r == 0 && key % 3 == 0)) {
				continue;
			}
			assert_int_equal(xk_held_answer(h, 0, &key, &data),
			    hold);
			assert_int_equal(data, key);
		}
		assert_int_equal(xk_held_answer(h, 0, &key, NULL), 0);
	}
	assert_int_equal(xk_held_count(h), 0);
	xk_held_destroy(h);
}

/*
 * The plain model: an array in age order.  Random remembers, answers
 * (by id, by key, both), expiries and clears on a small pool with few
 * buckets and few keys, checked step by step (the oldest too); the
 * pool is often full.
 */
#define MODEL_CAP	32

struct model {
	uint64_t	hold[MODEL_CAP];
	uint64_t	key[MODEL_CAP];
	uint32_t	data[MODEL_CAP];
	int64_t		when[MODEL_CAP];
	unsigned int	n;
};

static void
model_drop(struct model *m, unsigned int i)
{
	m->n--;
	memmove(&m->hold[i], &m->hold[i + 1], (m->n - i) * sizeof(m->hold[0]));
	memmove(&m->key[i], &m->key[i + 1], (m->n - i) * sizeof(m->key[0]));
	memmove(&m->data[i], &m->data[i + 1], (m->n - i) * sizeof(m->data[0]));
	memmove(&m->when[i], &m->when[i + 1], (m->n - i) * sizeof(m->when[0]));
}

static int
model_find_id(const struct model *m, uint64_t hold)
{
	for (unsigned int i = 0; i < m->n; i++) {
		if (m->hold[i] == hold) {
			return (int)i;
		}
	}
	return -1;
}

/* With @keyed, keys of 8 bytes; without, of 0 (by hold id only). */
static void
random_run(bool keyed)
{
	struct model m = { 0 };
	struct xk_held *h;
	GRand *rnd = g_rand_new_with_seed(20261207);
	uint64_t next = 1;
	int64_t now = 0;
	unsigned int fulls = 0;

	assert_int_equal(xk_held_create(keyed ? sizeof(uint64_t) : 0,
	    MODEL_CAP, 4, &h), 0);
	for (int step = 0; step < 200000; step++) {
		uint32_t op = g_rand_int_range(rnd, 0, 1000);
		uint64_t key = (uint64_t)g_rand_int_range(rnd, 0, 6) << 40;
		uint64_t hold;
		uint32_t data = 0;
		int i = -1;

		now += g_rand_int_range(rnd, 0, 3);
		if (op < 550) {
			/* Mostly new ids, some known. */
			hold = g_rand_int_range(rnd, 0, 4) == 0 && m.n > 0 ?
			    m.hold[g_rand_int_range(rnd, 0, (gint32)m.n)] :
			    next++;
			if (model_find_id(&m, hold) >= 0) {
				assert_int_equal(xk_held_remember(h, hold,
				    &key, 0, now), 0);
			} else {
				unsigned int full = m.n == MODEL_CAP;

				if (full) {
					model_drop(&m, 0);
					fulls++;
				}
				m.hold[m.n] = hold;
				m.key[m.n] = key;
				m.data[m.n] = (uint32_t)step;
				m.when[m.n++] = now;
				assert_int_equal(xk_held_remember(h, hold,
				    &key, (uint32_t)step, now), full);
			}
		} else if (op < 950) {
			bool bykey = g_rand_boolean(rnd);

			/* A known id, an unknown one, or none. */
			hold = g_rand_boolean(rnd) && m.n > 0 ?
			    m.hold[g_rand_int_range(rnd, 0, (gint32)m.n)] :
			    g_rand_boolean(rnd) ? next + 5 : 0;
			if (hold != 0) {
				i = model_find_id(&m, hold);
			}
			for (unsigned int j = 0; i < 0 && bykey && keyed &&
			    j < m.n; j++) {
				if (m.key[j] == key) {
					i = (int)j;
					break;
				}
			}
			hold = xk_held_answer(h, hold, bykey ? &key : NULL,
			    &data);
			if (i < 0) {
				assert_int_equal(hold, 0);
			} else {
				assert_int_equal(hold, m.hold[i]);
				assert_int_equal(data, m.data[i]);
				model_drop(&m, (unsigned int)i);
			}
		} else if (op < 995) {
			int64_t before = now - g_rand_int_range(rnd, 0, 400);
			unsigned int n = 0;

			while (m.n > 0 && m.when[0] < before) {
				model_drop(&m, 0);
				n++;
			}
			assert_int_equal(xk_held_expire(h, before), n);
		} else {
			assert_int_equal(xk_held_clear(h, NULL, NULL), m.n);
			m.n = 0;
		}
		assert_int_equal(xk_held_count(h), m.n);
		if (m.n > 0) {
			int64_t when = -1;

			assert_int_equal(xk_held_oldest(h, &when, &data),
			    m.hold[0]);
			assert_int_equal(when, m.when[0]);
			assert_int_equal(data, m.data[0]);
		} else {
			assert_int_equal(xk_held_oldest(h, NULL, NULL), 0);
		}
	}
	print_message("# %u remembered into a full pool\n", fulls);
	assert_true(fulls > 1000);
	/* What is left answers in age order by id. */
	for (unsigned int j = 0; j < m.n; j++) {
		assert_int_equal(xk_held_answer(h, m.hold[j], NULL, NULL),
		    m.hold[j]);
	}
	xk_held_destroy(h);
	g_rand_free(rnd);
}

static void
test_random_against_model(void **state)
{
	(void)state;
	random_run(true);
}

static void
test_random_keyless(void **state)
{
	(void)state;
	random_run(false);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_errors),
		cmocka_unit_test(test_id_first_else_oldest_of_key),
		cmocka_unit_test(test_pool_full_forgets_oldest),
		cmocka_unit_test(test_expire_in_age_order),
		cmocka_unit_test(test_keyless),
		cmocka_unit_test(test_clear_oldest_first),
		cmocka_unit_test(test_keys_colliding_in_one_bucket),
		cmocka_unit_test(test_random_against_model),
		cmocka_unit_test(test_random_keyless),
	};

	return cmocka_run_group_tests_name("held", tests, NULL, NULL);
}
