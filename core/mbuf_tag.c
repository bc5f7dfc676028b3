/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * mbuf tags: the registry that turns module names into ids, and the tag
 * lists hanging off packet headers.
 */
#include "core/xk.h"

#include <errno.h>
#include <glib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/mbuf_var.h"

/* Ids handed out start here, as in XNU. */
#define TAG_ID_FIRST	1000

static pthread_mutex_t tagid_lock = PTHREAD_MUTEX_INITIALIZER;
static GHashTable *tagid_names;	/* name -> id, for the process' life */
static mbuf_tag_id_t tagid_next = TAG_ID_FIRST;

static _Atomic uint64_t live_tags;

int
xk_m_tag_id_find(const char *name, mbuf_tag_id_t *out)
{
	gpointer found;
	char *key;
	int error = 0;

	pthread_mutex_lock(&tagid_lock);
	if (tagid_names == NULL) {
		tagid_names = g_hash_table_new_full(g_str_hash, g_str_equal,
		    free, NULL);
	}
	if (g_hash_table_lookup_extended(tagid_names, name, NULL, &found)) {
		*out = (mbuf_tag_id_t)GPOINTER_TO_UINT(found);
	} else if ((key = strdup(name)) == NULL) {
		error = ENOMEM;
	} else {
		*out = tagid_next++;
		g_hash_table_insert(tagid_names, key, GUINT_TO_POINTER(*out));
	}
	pthread_mutex_unlock(&tagid_lock);
	return error;
}

bool
xk_m_tag_id_valid(mbuf_tag_id_t id)
{
	bool ok;

	pthread_mutex_lock(&tagid_lock);
	ok = id >= TAG_ID_FIRST && id < tagid_next;
	pthread_mutex_unlock(&tagid_lock);
	return ok;
}

uint64_t
xk_m_tag_live(void)
{
	return atomic_load(&live_tags);
}

struct xk_mtag *
xk_m_tag_alloc(mbuf_tag_id_t id, mbuf_tag_type_t type, size_t len)
{
	struct xk_mtag *t;

	if (xk_mb_inject_fail() ||
	    (t = malloc(sizeof(*t) + len)) == NULL) {
		return NULL;
	}
	t->mt_next = NULL;
	t->mt_id = id;
	t->mt_type = type;
	t->mt_len = (uint16_t)len;
	atomic_fetch_add(&live_tags, 1);
	return t;
}

static void
tag_free(struct xk_mtag *t)
{
	atomic_fetch_sub(&live_tags, 1);
	free(t);
}

struct xk_mtag *
xk_m_tag_locate(const struct __mbuf *m, mbuf_tag_id_t id,
    mbuf_tag_type_t type)
{
	struct xk_mtag *t;

	for (t = m->m_pkthdr.tags; t != NULL; t = t->mt_next) {
		if (t->mt_id == id && t->mt_type == type) {
			return t;
		}
	}
	return NULL;
}

void
xk_m_tag_prepend(struct __mbuf *m, struct xk_mtag *t)
{
	t->mt_next = m->m_pkthdr.tags;
	m->m_pkthdr.tags = t;
}

void
xk_m_tag_unlink_free(struct __mbuf *m, struct xk_mtag *t)
{
	struct xk_mtag **tp;

	for (tp = &m->m_pkthdr.tags; *tp != NULL; tp = &(*tp)->mt_next) {
		if (*tp == t) {
			*tp = t->mt_next;
			tag_free(t);
			return;
		}
	}
}

void
xk_m_tag_delete_chain(struct __mbuf *m)
{
	struct xk_mtag *t, *next;

	for (t = m->m_pkthdr.tags; t != NULL; t = next) {
		next = t->mt_next;
		tag_free(t);
	}
	m->m_pkthdr.tags = NULL;
}

int
xk_m_tag_copy_chain(struct __mbuf *to, const struct __mbuf *from)
{
	struct xk_mtag *t, *c, **tail = &to->m_pkthdr.tags;

	while (*tail != NULL) {
		tail = &(*tail)->mt_next;
	}
	/* Keep the source's order, so finds see the same tag first. */
	for (t = from->m_pkthdr.tags; t != NULL; t = t->mt_next) {
		if ((c = xk_m_tag_alloc(t->mt_id, t->mt_type,
		    t->mt_len)) == NULL) {
			return ENOMEM;
		}
		memcpy(c->mt_data, t->mt_data, t->mt_len);
		*tail = c;
		tail = &c->mt_next;
	}
	return 0;
}
