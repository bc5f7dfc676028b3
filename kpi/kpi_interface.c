/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The interface KPI subset (<net/kpi_interface.h>): reading, finding and
 * keeping the engine's interfaces.
 */
#include "core/xk.h"

#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <string.h>

#include <net/kpi_interface.h>

#include "core/if_var.h"
#include "core/socket_var.h"

/* Where the unit number starts: after the name's last non-digit. */
static size_t
if_unit_start(const char *name)
{
	size_t n = strnlen(name, IF_NAMESIZE);

	while (n > 0 && isdigit((unsigned char)name[n - 1])) {
		n--;
	}
	return n;
}

/* The name without its unit: made at attach, valid while @interface is. */
XK_EXPORT const char *
ifnet_name(ifnet_t interface)
{
	return interface != NULL ? interface->if_basename : NULL;
}

XK_EXPORT uint32_t
ifnet_unit(ifnet_t interface)
{
	const char *p;
	uint32_t unit = 0;

	if (interface == NULL) {
		return 0;
	}
	p = interface->if_name + if_unit_start(interface->if_name);
	if (p == interface->if_name) {
		return 0;
	}
	for (; *p != '\0' && unit < 100000000; p++) {
		unit = unit * 10 + (uint32_t)(*p - '0');
	}
	return unit;
}

XK_EXPORT uint32_t
ifnet_index(ifnet_t interface)
{
	return interface != NULL ? interface->if_index : 0;
}

XK_EXPORT ifnet_family_t
ifnet_family(ifnet_t interface)
{
	if (interface == NULL) {
		return IFNET_FAMILY_ANY;
	}
	if (!interface->if_host) {
		return IFNET_FAMILY_TUN;	/* mem: IP without link header */
	}
	switch (interface->if_type) {
	case ARPHRD_LOOPBACK:
		return IFNET_FAMILY_LOOPBACK;
	case ARPHRD_ETHER:
		return IFNET_FAMILY_ETHERNET;
	case ARPHRD_NONE:
		return IFNET_FAMILY_TUN;
	case ARPHRD_PPP:
		return IFNET_FAMILY_PPP;
	case ARPHRD_TUNNEL:
	case ARPHRD_TUNNEL6:
	case ARPHRD_SIT:
	case ARPHRD_IPGRE:
		return IFNET_FAMILY_GIF;
	default:
		return IFNET_FAMILY_OTHER;
	}
}

XK_EXPORT uint16_t
ifnet_flags(ifnet_t interface)
{
	if (interface == NULL) {
		return 0;
	}
	if (!interface->if_host) {
		return IFF_UP | IFF_RUNNING;
	}
	return (uint16_t)interface->if_flags;
}

XK_EXPORT uint32_t
ifnet_mtu(ifnet_t interface)
{
	return interface != NULL ? interface->if_mtu : 0;
}

XK_EXPORT errno_t
ifnet_lladdr_copy_bytes(ifnet_t interface, void *lladdr, size_t length)
{
	if (interface == NULL || lladdr == NULL) {
		return EINVAL;
	}
	xk_core_lock();
	if (length != interface->if_hwlen) {
		xk_core_unlock();
		memset(lladdr, 0, length);
		return EMSGSIZE;
	}
	memcpy(lladdr, interface->if_hwaddr, length);
	xk_core_unlock();
	return 0;
}

XK_EXPORT errno_t
ifnet_reference(ifnet_t interface)
{
	if (interface == NULL) {
		return EINVAL;
	}
	xk_if_ref(interface);
	return 0;
}

XK_EXPORT errno_t
ifnet_release(ifnet_t interface)
{
	int refs;

	if (interface == NULL) {
		return EINVAL;
	}
	/* The table's own reference is never the caller's to give back. */
	refs = atomic_load(&interface->if_refcnt);
	if (refs <= (atomic_load(&interface->if_detached) ? 0 : 1)) {
		xk_panic("ifnet_release: %s released more than referenced",
		    interface->if_name);
		return EINVAL;
	}
	xk_if_unref(interface);
	return 0;
}

XK_EXPORT errno_t
ifnet_find_by_name(const char *ifname, ifnet_t *interface)
{
	struct __ifnet *ifp;
	int error;

	if (ifname == NULL || interface == NULL) {
		return EINVAL;
	}
	*interface = NULL;
	if ((error = xk_lib_ensure()) != 0) {
		return error;
	}
	xk_core_lock();
	if ((ifp = xk_if_byname_locked(ifname)) != NULL) {
		xk_if_ref(ifp);
	}
	xk_core_unlock();
	if (ifp == NULL) {
		return ENXIO;
	}
	*interface = ifp;
	return 0;
}

struct list_ctx {
	ifnet_family_t	 family;
	GPtrArray	*list;
};

static void
list_one(struct __ifnet *ifp, void *arg)
{
	struct list_ctx *c = arg;

	if (c->family == IFNET_FAMILY_ANY || ifnet_family(ifp) == c->family) {
		xk_if_ref(ifp);
		g_ptr_array_add(c->list, ifp);
	}
}

XK_EXPORT errno_t
ifnet_list_get(ifnet_family_t family, ifnet_t **interfaces, uint32_t *count)
{
	struct list_ctx c = { .family = family };
	ifnet_t *out;
	int error;

	if (interfaces == NULL || count == NULL) {
		return EINVAL;
	}
	*interfaces = NULL;
	*count = 0;
	if ((error = xk_lib_ensure()) != 0) {
		return error;
	}
	c.list = g_ptr_array_new();
	xk_core_lock();
	xk_if_foreach_locked(list_one, &c);
	xk_core_unlock();
	/* Plain malloc, so that a failure is ENOMEM and not an abort. */
	if ((out = calloc(c.list->len + 1, sizeof(*out))) == NULL) {
		for (guint i = 0; i < c.list->len; i++) {
			xk_if_unref(c.list->pdata[i]);
		}
		g_ptr_array_free(c.list, TRUE);
		return ENOMEM;
	}
	if (c.list->len > 0) {
		memcpy(out, c.list->pdata, c.list->len * sizeof(*out));
	}
	*count = c.list->len;
	*interfaces = out;
	g_ptr_array_free(c.list, TRUE);
	return 0;
}

XK_EXPORT void
ifnet_list_free(ifnet_t *interfaces)
{
	if (interfaces == NULL) {
		return;
	}
	for (ifnet_t *p = interfaces; *p != NULL; p++) {
		xk_if_unref(*p);
	}
	free(interfaces);
}
