/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header net/kpi_interface.h
 * @abstract The interface KPI: the part an IP filter uses to name and
 *     find network interfaces.
 * @discussion The functions of XNU's `<net/kpi_interface.h>` that read an
 *     interface (name, unit, index, family, flags, MTU, link address),
 *     find one by name, list them, and keep one alive.  An `ifnet_t` is
 *     an interface attached to the library (see xkpi_if_attach() in
 *     <xkpi.h>): on a host backend, one of the host's interfaces; on
 *     `mem`, a virtual one.  The value mbuf_pkthdr_rcvif() returns for a
 *     received packet is one, and every function here accepts it.
 *
 *     <b>Names.</b> XNU splits an interface name into a driver name and
 *     a unit number (`en0` is `en` and 0).  Linux names are free-form, so
 *     the split is made the same way: ifnet_name() is the name without
 *     its trailing decimal digits, ifnet_unit() those digits as a number
 *     (0 when there are none).  `eth1` is `eth` and 1, `veth-out` is
 *     `veth-out` and 0.  ifnet_find_by_name() takes the whole name.  The
 *     XNU idiom `printf("%s%u", ifnet_name(ifp), ifnet_unit(ifp))` gives
 *     a name ending in digits back unchanged, but a name without one
 *     gains a 0 (`veth-out0`): print the whole name from the two only
 *     when ifnet_unit() is not 0, or keep the name ifnet_find_by_name()
 *     was given.
 *
 *     <b>Lifetime.</b> An interface detached from the library (the host
 *     removed it, say) stays readable while someone holds a reference
 *     (ifnet_reference(), ifnet_find_by_name(), ifnet_list_get()); it is
 *     freed at the last ifnet_release().  A pointer taken from a packet
 *     without a reference is valid while the library has the packet, in
 *     an IP filter's callback for example.
 *
 *     Only these functions exist; the rest of XNU's interface KPI
 *     (attaching interfaces, interface filters, statistics) does not.
 *     None of them blocks; all may be called from any thread, callbacks
 *     and upcalls included.
 */
#ifndef _XKPI_NET_KPI_INTERFACE_H_
#define _XKPI_NET_KPI_INTERFACE_H_

#include <stddef.h>
#include <stdint.h>

#include <sys/kernel_types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*!
 * @typedef ifnet_family_t
 * @abstract The family of an interface, XNU's IFNET_FAMILY_* values.
 */
typedef uint32_t ifnet_family_t;

/*! @abstract Any family: for ifnet_list_get(). */
#define	IFNET_FAMILY_ANY	0
/*! @abstract A loopback interface. */
#define	IFNET_FAMILY_LOOPBACK	1
/*! @abstract An Ethernet interface (veth and bridges included). */
#define	IFNET_FAMILY_ETHERNET	2
/*! @abstract A tunnel without link header (tun, or the mem backend's). */
#define	IFNET_FAMILY_TUN	4
/*! @abstract A VLAN interface. */
#define	IFNET_FAMILY_VLAN	5
/*! @abstract A point-to-point (PPP) interface. */
#define	IFNET_FAMILY_PPP	6
/*! @abstract An IP-in-IP tunnel (gre, sit, ipip). */
#define	IFNET_FAMILY_GIF	10
/*! @abstract Any other kind of link. */
#define	IFNET_FAMILY_OTHER	0xffff

/*!
 * @function ifnet_name
 * @abstract The interface's name without its unit number.
 * @param interface The interface.
 * @result The name (`eth` for `eth1`), valid while the interface is; NULL
 *     for a NULL interface.
 */
extern const char *ifnet_name(ifnet_t interface);

/*!
 * @function ifnet_unit
 * @abstract The interface's unit number: the decimal digits that end its
 *     name.
 * @param interface The interface.
 * @result The unit (1 for `eth1`), 0 when the name ends in no digit or
 *     the interface is NULL.
 */
extern uint32_t ifnet_unit(ifnet_t interface);

/*!
 * @function ifnet_index
 * @abstract The interface's index: the host's ifindex, or the mem
 *     backend's.
 * @param interface The interface.
 * @result The index; 0 for a NULL interface.
 */
extern uint32_t ifnet_index(ifnet_t interface);

/*!
 * @function ifnet_family
 * @abstract The interface's family (IFNET_FAMILY_*), from its link type.
 * @param interface The interface.
 * @result The family; IFNET_FAMILY_ANY (0) for a NULL interface.
 */
extern ifnet_family_t ifnet_family(ifnet_t interface);

/*!
 * @function ifnet_flags
 * @abstract The interface's flags, as the host reports them.
 * @discussion The IFF_* bits of glibc's `<net/if.h>` (IFF_UP,
 *     IFF_BROADCAST, IFF_LOOPBACK, IFF_RUNNING, IFF_MULTICAST, ...): the
 *     names mean what they mean on XNU, the values are Linux's, as for
 *     every name glibc defines.  Virtual interfaces of the mem backend
 *     report IFF_UP | IFF_RUNNING.
 * @param interface The interface.
 * @result The flags, in 16 bits as XNU returns them; 0 for NULL.
 */
extern uint16_t ifnet_flags(ifnet_t interface);

/*!
 * @function ifnet_mtu
 * @abstract The interface's MTU in bytes.
 * @param interface The interface.
 * @result The MTU; 0 for a NULL interface.
 */
extern uint32_t ifnet_mtu(ifnet_t interface);

/*!
 * @function ifnet_lladdr_copy_bytes
 * @abstract Copies the interface's link-layer address.
 * @param interface The interface.
 * @param lladdr Receives the address.
 * @param length The size of `lladdr`: it must be the address's length
 *     (6 for Ethernet; 0 for an interface without one).
 * @result 0; EINVAL for a NULL interface or buffer; EMSGSIZE when
 *     `length` is not the address's length (`lladdr` is then zeroed).
 */
extern errno_t ifnet_lladdr_copy_bytes(ifnet_t interface, void *lladdr,
    size_t length);

/*!
 * @function ifnet_find_by_name
 * @abstract Finds an interface by its whole name (`eth1`).
 * @param ifname The name.
 * @param interface Receives the interface, with a reference the caller
 *     gives back with ifnet_release().
 * @result 0; EINVAL for a NULL argument; ENXIO when no attached
 *     interface has that name.
 */
extern errno_t ifnet_find_by_name(const char *ifname, ifnet_t *interface);

/*!
 * @function ifnet_list_get
 * @abstract Lists the attached interfaces of a family.
 * @param family IFNET_FAMILY_ANY for all, else one family.
 * @param interfaces Receives an array of the interfaces, each with a
 *     reference, followed by a NULL entry.  Free it with
 *     ifnet_list_free().
 * @param count Receives the number of interfaces.
 * @result 0; EINVAL for a NULL argument; ENOMEM when memory runs out.
 */
extern errno_t ifnet_list_get(ifnet_family_t family, ifnet_t **interfaces,
    uint32_t *count);

/*!
 * @function ifnet_list_free
 * @abstract Releases every interface of a list from ifnet_list_get() and
 *     frees the list.
 * @param interfaces The list; NULL does nothing.
 */
extern void ifnet_list_free(ifnet_t *interfaces);

/*!
 * @function ifnet_reference
 * @abstract Takes a reference on an interface: it stays readable, even
 *     detached, until the matching ifnet_release().
 * @param interface The interface.
 * @result 0; EINVAL for NULL.
 */
extern errno_t ifnet_reference(ifnet_t interface);

/*!
 * @function ifnet_release
 * @abstract Gives back a reference taken with ifnet_reference(),
 *     ifnet_find_by_name() or ifnet_list_get().
 * @discussion Releasing more than was taken calls the panic hook, as XNU
 *     panics.
 * @param interface The interface.
 * @result 0; EINVAL for NULL or a release without a reference.
 */
extern errno_t ifnet_release(ifnet_t interface);

#ifdef __cplusplus
}
#endif

#endif /* _XKPI_NET_KPI_INTERFACE_H_ */
