/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/net/if_types.h
 * @abstract Interface types (IFT_*), with XNU's values.
 * @discussion Linux has no such numbers.  The library reports an
 *     interface's type in `sdl_type` of a `struct sockaddr_dl` (see
 *     `<net/if_dl.h>`): IFT_ETHER, IFT_LOOP or IFT_OTHER.
 */
#ifndef _XKPI_KEXT_NET_IF_TYPES_H_
#define _XKPI_KEXT_NET_IF_TYPES_H_

#include <xkpi_kext.h>

#ifndef IFT_OTHER
/*! @abstract Interface type: none of the others. */
#define	IFT_OTHER	0x1
#endif
#ifndef IFT_1822
/*! @abstract Interface type: old-style ARPANET IMP. */
#define	IFT_1822	0x2
#endif
#ifndef IFT_HDH1822
/*! @abstract Interface type: HDH ARPANET IMP. */
#define	IFT_HDH1822	0x3
#endif
#ifndef IFT_X25DDN
/*! @abstract Interface type: X.25 to IMP. */
#define	IFT_X25DDN	0x4
#endif
#ifndef IFT_X25
/*! @abstract Interface type: PDN X.25 (RFC 877). */
#define	IFT_X25	0x5
#endif
#ifndef IFT_ETHER
/*! @abstract Interface type: Ethernet (veth, bridges and tap here). */
#define	IFT_ETHER	0x6
#endif
#ifndef IFT_ISO88023
/*! @abstract Interface type: CSMA/CD. */
#define	IFT_ISO88023	0x7
#endif
#ifndef IFT_ISO88024
/*! @abstract Interface type: token bus. */
#define	IFT_ISO88024	0x8
#endif
#ifndef IFT_ISO88025
/*! @abstract Interface type: token ring. */
#define	IFT_ISO88025	0x9
#endif
#ifndef IFT_ISO88026
/*! @abstract Interface type: MAN. */
#define	IFT_ISO88026	0xa
#endif
#ifndef IFT_STARLAN
/*! @abstract Interface type: StarLAN. */
#define	IFT_STARLAN	0xb
#endif
#ifndef IFT_P10
/*! @abstract Interface type: Proteon 10 Mbit ring. */
#define	IFT_P10	0xc
#endif
#ifndef IFT_P80
/*! @abstract Interface type: Proteon 80 Mbit ring. */
#define	IFT_P80	0xd
#endif
#ifndef IFT_HY
/*! @abstract Interface type: Hyperchannel. */
#define	IFT_HY	0xe
#endif
#ifndef IFT_FDDI
/*! @abstract Interface type: FDDI. */
#define	IFT_FDDI	0xf
#endif
#ifndef IFT_LAPB
/*! @abstract Interface type: LAPB. */
#define	IFT_LAPB	0x10
#endif
#ifndef IFT_SDLC
/*! @abstract Interface type: SDLC. */
#define	IFT_SDLC	0x11
#endif
#ifndef IFT_T1
/*! @abstract Interface type: T1. */
#define	IFT_T1	0x12
#endif
#ifndef IFT_CEPT
/*! @abstract Interface type: E1. */
#define	IFT_CEPT	0x13
#endif
#ifndef IFT_ISDNBASIC
/*! @abstract Interface type: ISDN basic rate. */
#define	IFT_ISDNBASIC	0x14
#endif
#ifndef IFT_ISDNPRIMARY
/*! @abstract Interface type: ISDN primary rate. */
#define	IFT_ISDNPRIMARY	0x15
#endif
#ifndef IFT_PTPSERIAL
/*! @abstract Interface type: proprietary point-to-point serial. */
#define	IFT_PTPSERIAL	0x16
#endif
#ifndef IFT_PPP
/*! @abstract Interface type: PPP (RFC 1331). */
#define	IFT_PPP	0x17
#endif
#ifndef IFT_LOOP
/*! @abstract Interface type: loopback. */
#define	IFT_LOOP	0x18
#endif
#ifndef IFT_EON
/*! @abstract Interface type: ISO over IP. */
#define	IFT_EON	0x19
#endif
#ifndef IFT_XETHER
/*! @abstract Interface type: experimental 3 Mbit Ethernet. */
#define	IFT_XETHER	0x1a
#endif
#ifndef IFT_NSIP
/*! @abstract Interface type: XNS over IP. */
#define	IFT_NSIP	0x1b
#endif
#ifndef IFT_SLIP
/*! @abstract Interface type: SLIP. */
#define	IFT_SLIP	0x1c
#endif
#ifndef IFT_ULTRA
/*! @abstract Interface type: Ultra Technologies. */
#define	IFT_ULTRA	0x1d
#endif
#ifndef IFT_DS3
/*! @abstract Interface type: T3. */
#define	IFT_DS3	0x1e
#endif
#ifndef IFT_SIP
/*! @abstract Interface type: SMDS. */
#define	IFT_SIP	0x1f
#endif
#ifndef IFT_FRELAY
/*! @abstract Interface type: frame relay DTE. */
#define	IFT_FRELAY	0x20
#endif
#ifndef IFT_RS232
/*! @abstract Interface type: RS-232. */
#define	IFT_RS232	0x21
#endif
#ifndef IFT_PARA
/*! @abstract Interface type: parallel port. */
#define	IFT_PARA	0x22
#endif
#ifndef IFT_ARCNET
/*! @abstract Interface type: ARCnet. */
#define	IFT_ARCNET	0x23
#endif
#ifndef IFT_ARCNETPLUS
/*! @abstract Interface type: ARCnet Plus. */
#define	IFT_ARCNETPLUS	0x24
#endif
#ifndef IFT_ATM
/*! @abstract Interface type: ATM cells. */
#define	IFT_ATM	0x25
#endif
#ifndef IFT_MIOX25
/*! @abstract Interface type: MIO X.25. */
#define	IFT_MIOX25	0x26
#endif
#ifndef IFT_SONET
/*! @abstract Interface type: SONET or SDH. */
#define	IFT_SONET	0x27
#endif
#ifndef IFT_X25PLE
/*! @abstract Interface type: X.25 packet level. */
#define	IFT_X25PLE	0x28
#endif
#ifndef IFT_ISO88022LLC
/*! @abstract Interface type: 802.2 LLC. */
#define	IFT_ISO88022LLC	0x29
#endif
#ifndef IFT_LOCALTALK
/*! @abstract Interface type: LocalTalk. */
#define	IFT_LOCALTALK	0x2a
#endif
#ifndef IFT_SMDSDXI
/*! @abstract Interface type: SMDS DXI. */
#define	IFT_SMDSDXI	0x2b
#endif
#ifndef IFT_FRELAYDCE
/*! @abstract Interface type: frame relay DCE. */
#define	IFT_FRELAYDCE	0x2c
#endif
#ifndef IFT_V35
/*! @abstract Interface type: V.35. */
#define	IFT_V35	0x2d
#endif
#ifndef IFT_HSSI
/*! @abstract Interface type: HSSI. */
#define	IFT_HSSI	0x2e
#endif
#ifndef IFT_HIPPI
/*! @abstract Interface type: HIPPI. */
#define	IFT_HIPPI	0x2f
#endif
#ifndef IFT_MODEM
/*! @abstract Interface type: generic modem. */
#define	IFT_MODEM	0x30
#endif
#ifndef IFT_AAL5
/*! @abstract Interface type: AAL5 over ATM. */
#define	IFT_AAL5	0x31
#endif
#ifndef IFT_SONETPATH
/*! @abstract Interface type: SONET path. */
#define	IFT_SONETPATH	0x32
#endif
#ifndef IFT_SONETVT
/*! @abstract Interface type: SONET virtual tributary. */
#define	IFT_SONETVT	0x33
#endif
#ifndef IFT_SMDSICIP
/*! @abstract Interface type: SMDS inter-carrier interface. */
#define	IFT_SMDSICIP	0x34
#endif
#ifndef IFT_PROPVIRTUAL
/*! @abstract Interface type: proprietary virtual. */
#define	IFT_PROPVIRTUAL	0x35
#endif
#ifndef IFT_PROPMUX
/*! @abstract Interface type: proprietary multiplexing. */
#define	IFT_PROPMUX	0x36
#endif
#ifndef IFT_GIF
/*! @abstract Interface type: generic tunnel (gif; ipip, gre, sit here). */
#define	IFT_GIF	0x37
#endif
#ifndef IFT_FAITH
/*! @abstract Interface type: IPv6-to-IPv4 TCP relay. */
#define	IFT_FAITH	0x38
#endif
#ifndef IFT_STF
/*! @abstract Interface type: 6to4 tunnel. */
#define	IFT_STF	0x39
#endif
#ifndef IFT_6LOWPAN
/*! @abstract Interface type: 6LoWPAN (RFC 6282). */
#define	IFT_6LOWPAN	0x40
#endif
#ifndef IFT_L2VLAN
/*! @abstract Interface type: 802.1Q VLAN. */
#define	IFT_L2VLAN	0x87
#endif
#ifndef IFT_IEEE8023ADLAG
/*! @abstract Interface type: 802.3ad link aggregate. */
#define	IFT_IEEE8023ADLAG	0x88
#endif
#ifndef IFT_IEEE1394
/*! @abstract Interface type: IEEE 1394. */
#define	IFT_IEEE1394	0x90
#endif
#ifndef IFT_BRIDGE
/*! @abstract Interface type: transparent bridge. */
#define	IFT_BRIDGE	0xd1
#endif
#ifndef IFT_ENC
/*! @abstract Interface type: encapsulation. */
#define	IFT_ENC	0xf4
#endif
#ifndef IFT_PFLOG
/*! @abstract Interface type: packet filter logging. */
#define	IFT_PFLOG	0xf5
#endif
#ifndef IFT_PFSYNC
/*! @abstract Interface type: packet filter state sync. */
#define	IFT_PFSYNC	0xf6
#endif
#ifndef IFT_CARP
/*! @abstract Interface type: CARP. */
#define	IFT_CARP	0xf8
#endif
#ifndef IFT_PKTAP
/*! @abstract Interface type: packet tap. */
#define	IFT_PKTAP	0xfe
#endif
#ifndef IFT_CELLULAR
/*! @abstract Interface type: cellular packet data. */
#define	IFT_CELLULAR	0xff
#endif
/*! @abstract The old name of IFT_CELLULAR. */
#ifndef IFT_PDP
#define	IFT_PDP		IFT_CELLULAR
#endif

#endif /* _XKPI_KEXT_NET_IF_TYPES_H_ */
