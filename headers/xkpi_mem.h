/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header xkpi_mem.h
 * @abstract The `mem` backend's control calls: virtual interfaces and
 *     links inside the process, for tests and demonstrations.
 * @discussion With `XKPI_BACKEND=mem` (the default) the engine's
 *     interfaces exist only in this process.  These calls create them,
 *     give them addresses, join two of them with a virtual wire (what one
 *     sends the other receives), inject an IP packet as if it had been
 *     received, and capture the packets sent out of an interface.
 *
 *     Everything is deterministic: injected packets reach the engine on
 *     the event-loop thread, in order.  Raw sockets need no privilege
 *     while the backend is `mem`, since no host traffic is touched.
 *
 *     Every call initialises the library from the environment if no call
 *     has done so yet, and fails with ENXIO when the open backend is not
 *     `mem`.  A NULL name, address, packet or length pointer is EINVAL.
 *     Any thread may call them, the event-loop thread included.
 *
 *     <b>Queues and counters.</b> Injected packets and packets sent over
 *     links wait in one receive queue of at most 65536 packets until the
 *     event-loop thread hands them to the engine.  When it is full, the
 *     packet is refused, never dropped unseen: xkpi_mem_inject() returns
 *     ENOBUFS, and a packet sent over a link does not leave, as when an
 *     interface's output queue is full (sock_send() and the other send
 *     calls return ENOBUFS; `if.NAME.oerrors` and `ip.oerrors` count it).
 *     xkpi_stats() shows the backend's counters:
 *     - `be.mem.rxq_full`: packets refused because the receive queue was
 *       full (injected or sent over a link);
 *     - `be.mem.rxq_flushed`: received packets still waiting when
 *       xkpi_mem_reset() discarded them;
 *     - `be.mem.capture_overwritten`: captured packets discarded, oldest
 *       first, to keep the newest 4096 of an interface;
 *     - `be.mem.capture_nomem`: packets sent over a link whose capture
 *       copy could not be made (no mbuf);
 *     - `be.mem.rxq_nomem`: packets refused, as when the queue is full,
 *       because there was no memory to queue them.
 */
#ifndef _XKPI_XKPI_MEM_H_
#define _XKPI_XKPI_MEM_H_

#include <stddef.h>
#include <stdint.h>

#include <sys/kernel_types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*!
 * @function xkpi_mem_vif_create
 * @abstract Creates a virtual interface.
 * @param name Its name (shorter than IF_NAMESIZE).
 * @param mtu Its MTU, at least 68.
 * @param ifindex Receives its index; may be NULL.
 * @result 0; EINVAL for a NULL, empty or over-long name or an MTU under 68;
 *     EEXIST when an interface of that name exists; ENXIO when the
 *     backend is not `mem`.
 */
extern errno_t xkpi_mem_vif_create(const char *name, uint32_t mtu,
    uint32_t *ifindex);

/*!
 * @function xkpi_mem_vif_addaddr
 * @abstract Gives a virtual interface an IPv4 or IPv6 address.
 * @discussion The engine routes by the longest prefix among all
 *     interfaces' addresses, and a packet is for this host when its
 *     destination is one of them.  Adding an address the interface has
 *     already updates its prefix length.
 * @param name The interface.
 * @param family AF_INET or AF_INET6.
 * @param addr A `struct in_addr` or `struct in6_addr`.
 * @param plen The prefix length (at most 32 or 128).
 * @result 0; EINVAL for a NULL name or address, or a bad family or prefix
 *     length; ENXIO when there is no such interface or the backend is not
 *     `mem`.
 */
extern errno_t xkpi_mem_vif_addaddr(const char *name, int family,
    const void *addr, unsigned int plen);

/*!
 * @function xkpi_mem_link
 * @abstract Joins two virtual interfaces with a wire.
 * @discussion From then on what one sends, the other receives (and the
 *     sender still keeps a copy for xkpi_mem_capture()).  A packet the
 *     receive queue has no room for does not leave: the send fails with
 *     ENOBUFS (see the header's discussion).
 * @param a One interface's name.
 * @param b The other's.
 * @result 0; EINVAL when either name is NULL or both are the same
 *     interface; ENXIO when either does not exist or the backend is not
 *     `mem`.
 */
extern errno_t xkpi_mem_link(const char *a, const char *b);

/*!
 * @function xkpi_mem_inject
 * @abstract Queues an IP packet as received on a virtual interface.
 * @param name The interface.
 * @param pkt The packet, IPv4 or IPv6 header first.
 * @param len Its length, 1 to 65535.
 * @result 0; EINVAL for a NULL name or packet or a bad length; ENOBUFS
 *     when no mbuf is left or the receive queue holds 65536 packets
 *     already (counted in `be.mem.rxq_full`; nothing was queued, the
 *     caller may retry once the engine has caught up); ENXIO when there
 *     is no such interface or the backend is not `mem`.
 * @ownership `pkt` is copied.
 */
extern errno_t xkpi_mem_inject(const char *name, const void *pkt,
    size_t len);

/*!
 * @function xkpi_mem_capture
 * @abstract Takes the oldest packet sent out of a virtual interface.
 * @discussion The backend keeps the last 4096 packets sent out of each
 *     interface: when a 4097th is sent before any is taken, the oldest
 *     is discarded and counted in `be.mem.capture_overwritten`.
 * @param name The interface.
 * @param buf Receives the packet; may be NULL when `cap` is 0 (the
 *     packet is then only consumed).
 * @param cap The size of `buf`.
 * @param len Receives the packet's full length.
 * @result 0; EINVAL for a NULL name or `len`, or a NULL `buf` with a
 *     non-zero `cap`; ENOENT when nothing was sent; EMSGSIZE when the
 *     packet was longer than `cap` (the first `cap` bytes are copied and
 *     the packet is consumed); ENXIO when there is no such interface or
 *     the backend is not `mem`.
 */
extern errno_t xkpi_mem_capture(const char *name, void *buf, size_t cap,
    size_t *len);

/*!
 * @function xkpi_mem_reset
 * @abstract Removes every virtual interface and what they hold.
 * @discussion Does nothing when the backend is not `mem`.
 */
extern void xkpi_mem_reset(void);

#ifdef __cplusplus
}
#endif

#endif /* _XKPI_XKPI_MEM_H_ */
