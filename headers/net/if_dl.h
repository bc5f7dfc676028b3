/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header net/if_dl.h
 * @abstract The BSD link-level socket address, for IP_RECVIF.
 * @discussion Linux has no `struct sockaddr_dl`: link addresses there are
 *     `struct sockaddr_ll` of family AF_PACKET.  xkpi gives raw IPv4
 *     sockets' IP_RECVIF control message in BSD's form, so kext code that
 *     reads `sdl_index` or the name with `sdl_nlen` keeps working, and
 *     this header declares that form with BSD's field layout.
 */
#ifndef _XKPI_NET_IF_DL_H_
#define _XKPI_NET_IF_DL_H_

#include <sys/socket.h>
#include <sys/types.h>

#ifndef AF_LINK
/*!
 * @abstract The address family of a `struct sockaddr_dl`.
 * @discussion BSD's value.  Linux has no AF_LINK; its own 18 is
 *     AF_ATMSVC, which no IP socket ever reports, so `sdl_family ==
 *     AF_LINK` tests ported from BSD hold for xkpi's messages.
 */
#define	AF_LINK		18
#endif

/*! @abstract Interface types found in `sdl_type` (BSD's IFT_* values). */
#ifndef IFT_OTHER
#define	IFT_OTHER	0x1	/*!< Anything else (virtual interfaces). */
#endif
#ifndef IFT_ETHER
#define	IFT_ETHER	0x6	/*!< Ethernet, veth included. */
#endif
#ifndef IFT_LOOP
#define	IFT_LOOP	0x18	/*!< Loopback. */
#endif

/*!
 * @abstract A link-level address: interface index, type, name and
 *     link-layer address, as BSD lays it out.
 * @discussion `sdl_data` holds the name (`sdl_nlen` bytes, not
 *     terminated) followed by the link address (`sdl_alen` bytes, see
 *     LLADDR()); a structure longer than its declaration says so in
 *     `sdl_len`.
 */
struct sockaddr_dl {
	unsigned char	sdl_len;	/*!< Total length, data included. */
	unsigned char	sdl_family;	/*!< AF_LINK. */
	unsigned short	sdl_index;	/*!< The interface's index. */
	unsigned char	sdl_type;	/*!< IFT_ETHER, IFT_LOOP, IFT_OTHER. */
	unsigned char	sdl_nlen;	/*!< Length of the name in sdl_data. */
	unsigned char	sdl_alen;	/*!< Length of the link address. */
	unsigned char	sdl_slen;	/*!< Link selector length (0). */
	char		sdl_data[12];	/*!< Name, then link address. */
};

/*! @abstract The link address inside a `struct sockaddr_dl`. */
#define	LLADDR(s)	((char *)((s)->sdl_data + (s)->sdl_nlen))

#endif /* _XKPI_NET_IF_DL_H_ */
