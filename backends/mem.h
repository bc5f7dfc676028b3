/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The in-memory backend's control API, for tests and the demo without
 * root: virtual interfaces with addresses, links between them, packets
 * injected as if received and packets captured as sent.  Everything is
 * deterministic: injected packets reach the engine on the loop thread,
 * in order.  Every call starts the library if it is not running and
 * fails with ENXIO when the open backend is not `mem`.
 */
#ifndef _XK_BACKENDS_MEM_H_
#define _XK_BACKENDS_MEM_H_

#include <stddef.h>
#include <stdint.h>

/* Creates interface @name (index given back in *ifindex). */
int	xk_mem_vif_create(const char *name, uint32_t mtu, uint32_t *ifindex);
/* Adds an AF_INET or AF_INET6 address with a prefix length. */
int	xk_mem_vif_addaddr(const char *name, int family, const void *addr,
	    unsigned int plen);
/* Joins two interfaces: what one sends, the other receives. */
int	xk_mem_link(const char *a, const char *b);
/* Queues an IP packet as received on @name. */
int	xk_mem_inject(const char *name, const void *pkt, size_t len);
/* Takes the oldest packet sent out of @name; ENOENT when none. */
int	xk_mem_capture(const char *name, void *buf, size_t cap, size_t *len);
/* Removes every virtual interface (and what they hold). */
void	xk_mem_reset(void);

#endif /* _XK_BACKENDS_MEM_H_ */
