/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/netinet/in_var.h
 * @abstract What XNU's `<netinet/in_var.h>` gives a kext: the address
 *     request of SIOCAIFADDR and the IPv4 kernel events' structures.
 * @discussion The structures have XNU's layout, with BSD socket
 *     addresses.  The library posts no kernel events (there are no
 *     PF_SYSTEM sockets): the event structures and codes are declared for
 *     code that names them.
 */
#ifndef _XKPI_KEXT_NETINET_IN_VAR_H_
#define _XKPI_KEXT_NETINET_IN_VAR_H_

#include <xkpi_kext.h>

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <net/if.h>

/*! @abstract An IPv4 address request for an interface (SIOCAIFADDR). */
struct in_aliasreq {
	char		ifra_name[IFNAMSIZ];	/*!< Interface name. */
	struct sockaddr_in ifra_addr;		/*!< The address. */
	struct sockaddr_in ifra_broadaddr;	/*!< Broadcast or peer. */
	struct sockaddr_in ifra_mask;		/*!< The netmask. */
};
/*! @abstract The peer address of a point-to-point interface. */
#define	ifra_dstaddr	ifra_broadaddr

/*! @abstract The interface a network kernel event is about. */
struct net_event_data {
	u_int32_t	if_family;		/*!< Interface family. */
	u_int32_t	if_unit;		/*!< Interface unit. */
	char		if_name[IFNAMSIZ];	/*!< Interface name. */
};

/*! @abstract An IPv4 address event. */
struct kev_in_data {
	struct net_event_data link_data;	/*!< The interface. */
	struct in_addr	ia_addr;		/*!< The address. */
	u_int32_t	ia_net;			/*!< Network number. */
	u_int32_t	ia_netmask;		/*!< Its mask. */
	u_int32_t	ia_subnet;		/*!< Subnet number. */
	u_int32_t	ia_subnetmask;		/*!< Its mask. */
	struct in_addr	ia_netbroadcast;	/*!< Broadcast address. */
	struct in_addr	ia_dstaddr;		/*!< Peer address. */
};

/*! @abstract An ARP collision event. */
struct kev_in_collision {
	struct net_event_data link_data;	/*!< The interface. */
	struct in_addr	ia_ipaddr;		/*!< The address in conflict. */
	u_char		hw_len;			/*!< Length of hw_addr. */
	u_char		hw_addr[];		/*!< The other host's link
						     address. */
};

/*! @abstract An ARP failure event for a router. */
struct kev_in_arpfailure {
	struct net_event_data link_data;	/*!< The interface. */
};

/*! @abstract An ARP success event for a router. */
struct kev_in_arpalive {
	struct net_event_data link_data;	/*!< The interface. */
};

/*! @abstract A port-in-use event. */
struct kev_in_portinuse {
	u_int16_t	port;			/*!< The port, host order. */
	u_int32_t	req_pid;		/*!< The process asking. */
	u_int32_t	reserved[2];		/*!< Reserved. */
};

/*! @abstract Kernel event vendor: Apple. */
#define	KEV_VENDOR_APPLE	1
/*! @abstract Kernel event class: network. */
#define	KEV_NETWORK_CLASS	1
/*! @abstract Network event subclass: IPv4. */
#define	KEV_INET_SUBCLASS	1
/*! @abstract IPv4 event: an address was configured. */
#define	KEV_INET_NEW_ADDR	1
/*! @abstract IPv4 event: an address changed. */
#define	KEV_INET_CHANGED_ADDR	2
/*! @abstract IPv4 event: an address was deleted. */
#define	KEV_INET_ADDR_DELETED	3
/*! @abstract IPv4 event: a peer address was set. */
#define	KEV_INET_SIFDSTADDR	4
/*! @abstract IPv4 event: a broadcast address was set. */
#define	KEV_INET_SIFBRDADDR	5
/*! @abstract IPv4 event: a netmask was set. */
#define	KEV_INET_SIFNETMASK	6
/*! @abstract IPv4 event: an ARP collision. */
#define	KEV_INET_ARPCOLLISION	7
/*! @abstract IPv4 event: a port is in use. */
#define	KEV_INET_PORTINUSE	8
/*! @abstract IPv4 event: ARP failed for a router. */
#define	KEV_INET_ARPRTRFAILURE	9
/*! @abstract IPv4 event: ARP succeeded for a router. */
#define	KEV_INET_ARPRTRALIVE	10

#endif /* _XKPI_KEXT_NETINET_IN_VAR_H_ */
