/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The interface table.  Interfaces come from the backend (the in-memory
 * backend makes its own); the engine's routing is "the interface whose
 * prefix holds the destination".
 */
#include "core/xk.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <xkpi.h>

#include "core/if_var.h"
#include "core/socket_var.h"

static GQueue ifnets = G_QUEUE_INIT;

int
xk_if_attach_locked(const char *name, uint32_t index, uint32_t mtu,
    void *besc, struct __ifnet **ifpp)
{
	struct __ifnet *ifp;
	size_t n;

	XK_LOCK_ASSERT();
	if (strlen(name) >= IF_NAMESIZE || index == 0) {
		return EINVAL;
	}
	if (xk_if_byname_locked(name) != NULL ||
	    xk_if_byindex_locked(index) != NULL) {
		return EEXIST;
	}
	if ((ifp = g_try_new0(struct __ifnet, 1)) == NULL) {
		return ENOMEM;
	}
	strcpy(ifp->if_name, name);
	/* ifnet_name(): the name less its unit digits, unless all are. */
	strcpy(ifp->if_basename, name);
	n = strlen(name);
	while (n > 0 && name[n - 1] >= '0' && name[n - 1] <= '9') {
		n--;
	}
	if (n > 0) {
		ifp->if_basename[n] = '\0';
	}
	ifp->if_index = index;
	ifp->if_mtu = mtu;
	ifp->if_besc = besc;
	ifp->if_addrs = g_array_new(FALSE, TRUE, sizeof(struct xk_ifaddr));
	ifp->if_link.data = ifp;
	atomic_init(&ifp->if_refcnt, 1);	/* the table's */
	g_queue_push_tail_link(&ifnets, &ifp->if_link);
	xk_log(XKPI_LOG_DEBUG, "interface %s attached (index %u, MTU %u)",
	    name, index, mtu);
	*ifpp = ifp;
	return 0;
}

static void
if_free(struct __ifnet *ifp)
{
	g_array_free(ifp->if_addrs, TRUE);
	g_free(ifp);
}

void
xk_if_detach_locked(struct __ifnet *ifp)
{
	XK_LOCK_ASSERT();
	xk_log(XKPI_LOG_DEBUG, "interface %s detached (index %u)",
	    ifp->if_name, ifp->if_index);
	g_queue_unlink(&ifnets, &ifp->if_link);
	/* The table's reference goes; others keep it readable. */
	atomic_store(&ifp->if_detached, true);
	if (atomic_fetch_sub(&ifp->if_refcnt, 1) == 1) {
		if_free(ifp);
	}
}

void
xk_if_ref(struct __ifnet *ifp)
{
	atomic_fetch_add(&ifp->if_refcnt, 1);
}

void
xk_if_unref(struct __ifnet *ifp)
{
	if (atomic_fetch_sub(&ifp->if_refcnt, 1) == 1) {
		if_free(ifp);
	}
}

void
xk_if_detach_all_locked(void)
{
	while (ifnets.head != NULL) {
		xk_if_detach_locked(ifnets.head->data);
	}
}

/* The index in @ifp's addresses of @addr of @family, or -1. */
static int
addr_index(const struct __ifnet *ifp, int family, const void *addr)
{
	size_t size = family == AF_INET ? sizeof(struct in_addr) :
	    sizeof(struct in6_addr);

	for (guint i = 0; i < ifp->if_addrs->len; i++) {
		const struct xk_ifaddr *ifa = &g_array_index(ifp->if_addrs,
		    struct xk_ifaddr, i);

		if (ifa->ifa_family == family &&
		    memcmp(&ifa->ifa_addr, addr, size) == 0) {
			return (int)i;
		}
	}
	return -1;
}

int
xk_if_addaddr_locked(struct __ifnet *ifp, int family, const void *addr,
    unsigned int plen)
{
	struct xk_ifaddr ifa = { .ifa_family = family };
	int i;

	XK_LOCK_ASSERT();
	if ((family == AF_INET && plen > 32) ||
	    (family == AF_INET6 && plen > 128) ||
	    (family != AF_INET && family != AF_INET6)) {
		return EINVAL;
	}
	ifa.ifa_plen = (uint8_t)plen;
	memcpy(&ifa.ifa_addr, addr, family == AF_INET ?
	    sizeof(struct in_addr) : sizeof(struct in6_addr));
	if ((i = addr_index(ifp, family, addr)) >= 0) {
		/* The host repeats an address when it changes: update. */
		g_array_index(ifp->if_addrs, struct xk_ifaddr, i) = ifa;
		return 0;
	}
	g_array_append_val(ifp->if_addrs, ifa);
	return 0;
}

int
xk_if_deladdr_locked(struct __ifnet *ifp, int family, const void *addr,
    unsigned int plen)
{
	int i;

	XK_LOCK_ASSERT();
	(void)plen;
	if ((family != AF_INET && family != AF_INET6) ||
	    (i = addr_index(ifp, family, addr)) < 0) {
		return ENOENT;
	}
	g_array_remove_index(ifp->if_addrs, (guint)i);
	return 0;
}

struct __ifnet *
xk_if_byindex_locked(uint32_t index)
{
	for (GList *l = ifnets.head; l != NULL; l = l->next) {
		struct __ifnet *ifp = l->data;

		if (ifp->if_index == index) {
			return ifp;
		}
	}
	return NULL;
}

struct __ifnet *
xk_if_first_locked(void)
{
	return ifnets.head != NULL ? ifnets.head->data : NULL;
}

struct __ifnet *
xk_if_byname_locked(const char *name)
{
	for (GList *l = ifnets.head; l != NULL; l = l->next) {
		struct __ifnet *ifp = l->data;

		if (strcmp(ifp->if_name, name) == 0) {
			return ifp;
		}
	}
	return NULL;
}

void
xk_if_foreach_locked(void (*fn)(struct __ifnet *, void *), void *ctx)
{
	for (GList *l = ifnets.head; l != NULL; l = l->next) {
		fn(l->data, ctx);
	}
}

unsigned int
xk_if_count_locked(void)
{
	return ifnets.length;
}

/* Whether the first @plen bits of @a and @b agree. */
static bool
prefix_match(const uint8_t *a, const uint8_t *b, unsigned int plen)
{
	unsigned int bytes = plen / 8, bits = plen % 8;

	if (memcmp(a, b, bytes) != 0) {
		return false;
	}
	return bits == 0 ||
	    ((a[bytes] ^ b[bytes]) & (uint8_t)(0xff << (8 - bits))) == 0;
}

static size_t
addr_size(int family)
{
	return family == AF_INET ? sizeof(struct in_addr) :
	    sizeof(struct in6_addr);
}

/*
 * Walks every address of @family on every interface; @visit returns true
 * to stop.  Returns the interface it stopped on, or NULL.
 */
static struct __ifnet *
walk_addrs(int family,
    bool (*visit)(struct __ifnet *, const struct xk_ifaddr *, void *),
    void *arg)
{
	for (GList *l = ifnets.head; l != NULL; l = l->next) {
		struct __ifnet *ifp = l->data;

		for (guint i = 0; i < ifp->if_addrs->len; i++) {
			const struct xk_ifaddr *ifa = &g_array_index(
			    ifp->if_addrs, struct xk_ifaddr, i);

			if (ifa->ifa_family == family &&
			    visit(ifp, ifa, arg)) {
				return ifp;
			}
		}
	}
	return NULL;
}

struct addr_arg {
	int		 family;
	const void	*addr;
};

static bool
visit_equal(struct __ifnet *ifp, const struct xk_ifaddr *ifa, void *arg)
{
	const struct addr_arg *a = arg;

	(void)ifp;
	return memcmp(&ifa->ifa_addr, a->addr, addr_size(a->family)) == 0;
}

struct __ifnet *
xk_if_withaddr_locked(int family, const void *addr)
{
	struct addr_arg a = { family, addr };

	return walk_addrs(family, visit_equal, &a);
}

struct route_arg {
	const void	*dst;
	struct __ifnet	*best;
	int		 bestlen;
};

static bool
visit_route(struct __ifnet *ifp, const struct xk_ifaddr *ifa, void *arg)
{
	struct route_arg *r = arg;

	/* The longest matching prefix wins; the first of equals. */
	if ((int)ifa->ifa_plen > r->bestlen &&
	    prefix_match((const uint8_t *)&ifa->ifa_addr, r->dst,
	    ifa->ifa_plen)) {
		r->best = ifp;
		r->bestlen = ifa->ifa_plen;
	}
	return false;
}

struct __ifnet *
xk_if_route_locked(int family, const void *dst)
{
	struct route_arg r = { dst, NULL, -1 };

	(void)walk_addrs(family, visit_route, &r);
	return r.best;
}

const struct xk_ifaddr *
xk_if_firstaddr_locked(const struct __ifnet *ifp, int family)
{
	for (guint i = 0; i < ifp->if_addrs->len; i++) {
		const struct xk_ifaddr *ifa = &g_array_index(ifp->if_addrs,
		    struct xk_ifaddr, i);

		if (ifa->ifa_family == family) {
			return ifa;
		}
	}
	return NULL;
}

static bool
visit_bcast4(struct __ifnet *ifp, const struct xk_ifaddr *ifa, void *arg)
{
	const struct in_addr *dst = arg;
	uint32_t d = ntohl(dst->s_addr), host;

	(void)ifp;
	if (ifa->ifa_plen >= 31) {
		return false;
	}
	host = 0xffffffffu >> ifa->ifa_plen;
	return (d & host) == host && prefix_match(
	    (const uint8_t *)&ifa->ifa_addr, (const uint8_t *)dst,
	    ifa->ifa_plen);
}

bool
xk_if_forus4_locked(struct in_addr dst)
{
	uint32_t d = ntohl(dst.s_addr);

	if (IN_MULTICAST(d) || d == INADDR_BROADCAST ||
	    xk_if_withaddr_locked(AF_INET, &dst) != NULL) {
		return true;
	}
	/* A subnet's broadcast address. */
	return walk_addrs(AF_INET, visit_bcast4, &dst) != NULL;
}
