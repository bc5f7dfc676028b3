/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The interface table: every interface attached to the engine, with its
 * index, MTU and addresses.  Guarded by the core lock.
 */
#ifndef _XK_CORE_IF_VAR_H_
#define _XK_CORE_IF_VAR_H_

#include <glib.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <sys/kernel_types.h>

struct xk_ifaddr {
	int		 ifa_family;	/* AF_INET or AF_INET6 */
	uint8_t		 ifa_plen;	/* prefix length */
	union {
		struct in_addr	v4;
		struct in6_addr	v6;
	} ifa_addr;
};

struct __ifnet {
	char		 if_name[IF_NAMESIZE];
	char		 if_basename[IF_NAMESIZE]; /* without the unit digits
					   (ifnet_name()); all of a name of
					   digits only */
	uint32_t	 if_index;
	uint32_t	 if_mtu;
	uint16_t	 if_type;	/* ARPHRD_*, from the host */
	uint8_t		 if_hwlen;	/* link address length, 0 if none */
	uint8_t		 if_hwaddr[16];	/* link address */
	uint32_t	 if_flags;	/* IFF_*, from the host */
	bool		 if_host;	/* a host interface (netlink follows) */
	GArray		*if_addrs;	/* struct xk_ifaddr */
	void		*if_besc;	/* the backend's per-interface state */
	uint64_t	 if_ipackets;	/* handed to the input path */
	uint64_t	 if_opackets;	/* left (handed to the backend, or as
					   XK_BEF_OCOUNT says) */
	uint64_t	 if_oerrors;	/* the backend refused them */
	uint64_t	 if_oqdrops;	/* the backend accepted them, then
					   discarded them (XK_BEF_OCOUNT) */
	GList		 if_link;
	/*
	 * References beyond the table's (ifnet_reference(), a filter
	 * running on a packet of it): a detached interface is freed at the
	 * last one.  Atomic: taken and given back without the core lock.
	 */
	_Atomic int	 if_refcnt;
	_Atomic bool	 if_detached;
};

int	xk_if_attach_locked(const char *name, uint32_t index, uint32_t mtu,
	    void *besc, struct __ifnet **ifpp);
void	xk_if_detach_locked(struct __ifnet *ifp);
/* A reference on @ifp, and its release (frees a detached interface). */
void	xk_if_ref(struct __ifnet *ifp);
void	xk_if_unref(struct __ifnet *ifp);
void	xk_if_detach_all_locked(void);
int	xk_if_addaddr_locked(struct __ifnet *ifp, int family, const void *addr,
	    unsigned int plen);
/* Removes an address; ENOENT when @ifp does not have it. */
int	xk_if_deladdr_locked(struct __ifnet *ifp, int family, const void *addr,
	    unsigned int plen);
struct __ifnet *xk_if_byindex_locked(uint32_t index);
struct __ifnet *xk_if_byname_locked(const char *name);
/* The interface attached first, or NULL. */
struct __ifnet *xk_if_first_locked(void);
unsigned int xk_if_count_locked(void);
void	xk_if_foreach_locked(void (*fn)(struct __ifnet *, void *), void *ctx);
/* The interface that has @addr, or NULL. */
struct __ifnet *xk_if_withaddr_locked(int family, const void *addr);
/* The interface whose prefix holds @dst, or NULL: the engine's routes. */
struct __ifnet *xk_if_route_locked(int family, const void *dst);
/* Whether IPv4 @dst is for this host: local, broadcast or multicast. */
bool	xk_if_forus4_locked(struct in_addr dst);
/* The first address of @family on @ifp, or NULL. */
const struct xk_ifaddr *xk_if_firstaddr_locked(const struct __ifnet *ifp,
	    int family);

#endif /* _XK_CORE_IF_VAR_H_ */
