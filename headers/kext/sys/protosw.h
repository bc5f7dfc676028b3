/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/sys/protosw.h
 * @abstract The protocol switch's constants: PR_* flags, PRC_* control
 *     commands, PRCO_* and PRU_* requests, with XNU's values.
 * @discussion XNU keeps `struct protosw` private to the kernel; kexts
 *     include this header for its constants, which are all here.  No
 *     protocol can be added (`net_add_proto()` does not exist).
 */
#ifndef _XKPI_KEXT_SYS_PROTOSW_H_
#define _XKPI_KEXT_SYS_PROTOSW_H_

#include <xkpi_kext.h>

#include <sys/socket.h>

struct protosw;

/*! @abstract Slow timeouts per second. */
#define	PR_SLOWHZ	2
/*! @abstract Fast timeouts per second. */
#define	PR_FASTHZ	5

/*! @abstract Messages are atomic (datagrams). */
#define	PR_ATOMIC	0x01
/*! @abstract Each message comes with an address. */
#define	PR_ADDR		0x02
/*! @abstract The protocol needs a connection. */
#define	PR_CONNREQUIRED	0x04
/*! @abstract The protocol wants to be told when data is taken. */
#define	PR_WANTRCVD	0x08
/*! @abstract The protocol passes access rights. */
#define	PR_RIGHTS	0x10
/*! @abstract Open and close are implied. */
#define	PR_IMPLOPCL	0x20
/*! @abstract The last header of a packet (for IPsec policy). */
#define	PR_LASTHDR	0x40
/*! @abstract The protocol does its own locking. */
#define	PR_PROTOLOCK	0x80
/*! @abstract The protocol locks per control block. */
#define	PR_PCBLOCK	0x100
/*! @abstract The protocol disposes of lists late. */
#define	PR_DISPOSE	0x200

/*! @abstract Control command: an interface went down. */
#define	PRC_IFDOWN		0
/*! @abstract Control command: the route died. */
#define	PRC_ROUTEDEAD		1
/*! @abstract Control command: an interface came back up. */
#define	PRC_IFUP		2
/*! @abstract Control command: congestion bit seen. */
#define	PRC_QUENCH2		3
/*! @abstract Control command: source quench. */
#define	PRC_QUENCH		4
/*! @abstract Control command: message size forced a drop. */
#define	PRC_MSGSIZE		5
/*! @abstract Control command: the host seems down. */
#define	PRC_HOSTDEAD		6
/*! @abstract Control command: host unreachable (old). */
#define	PRC_HOSTUNREACH		7
/*! @abstract Control command: no route to the network. */
#define	PRC_UNREACH_NET		8
/*! @abstract Control command: no route to the host. */
#define	PRC_UNREACH_HOST	9
/*! @abstract Control command: the protocol is unreachable. */
#define	PRC_UNREACH_PROTOCOL	10
/*! @abstract Control command: the port is unreachable. */
#define	PRC_UNREACH_PORT	11
/*! @abstract Control command: the source route failed. */
#define	PRC_UNREACH_SRCFAIL	13
/*! @abstract Control command: network redirect. */
#define	PRC_REDIRECT_NET	14
/*! @abstract Control command: host redirect. */
#define	PRC_REDIRECT_HOST	15
/*! @abstract Control command: redirect for a type of service and net. */
#define	PRC_REDIRECT_TOSNET	16
/*! @abstract Control command: redirect for a type of service and host. */
#define	PRC_REDIRECT_TOSHOST	17
/*! @abstract Control command: time to live exceeded in transit. */
#define	PRC_TIMXCEED_INTRANS	18
/*! @abstract Control command: time exceeded in reassembly. */
#define	PRC_TIMXCEED_REASS	19
/*! @abstract Control command: a parameter problem. */
#define	PRC_PARAMPROB		20
/*! @abstract Control command: administratively prohibited. */
#define	PRC_UNREACH_ADMIN_PROHIB	21
/*! @abstract The number of control commands. */
#define	PRC_NCMDS		22
/*!
 * @abstract Whether a control command is a redirect.
 * @param cmd The command.
 */
#define	PRC_IS_REDIRECT(cmd)						\
	((cmd) >= PRC_REDIRECT_NET && (cmd) <= PRC_REDIRECT_TOSHOST)

/*! @abstract Option request: get. */
#define	PRCO_GETOPT	0
/*! @abstract Option request: set. */
#define	PRCO_SETOPT	1
/*! @abstract The number of option requests. */
#define	PRCO_NCMDS	2

/*! @abstract User request: attach. */
#define	PRU_ATTACH	0
/*! @abstract User request: detach. */
#define	PRU_DETACH	1
/*! @abstract User request: bind. */
#define	PRU_BIND	2
/*! @abstract User request: listen. */
#define	PRU_LISTEN	3
/*! @abstract User request: connect. */
#define	PRU_CONNECT	4
/*! @abstract User request: accept. */
#define	PRU_ACCEPT	5
/*! @abstract User request: disconnect. */
#define	PRU_DISCONNECT	6
/*! @abstract User request: shut down. */
#define	PRU_SHUTDOWN	7
/*! @abstract User request: data was taken. */
#define	PRU_RCVD	8
/*! @abstract User request: send. */
#define	PRU_SEND	9
/*! @abstract User request: abort. */
#define	PRU_ABORT	10
/*! @abstract User request: control. */
#define	PRU_CONTROL	11
/*! @abstract User request: status. */
#define	PRU_SENSE	12
/*! @abstract User request: receive out-of-band data. */
#define	PRU_RCVOOB	13
/*! @abstract User request: send out-of-band data. */
#define	PRU_SENDOOB	14
/*! @abstract User request: the socket's address. */
#define	PRU_SOCKADDR	15
/*! @abstract User request: the peer's address. */
#define	PRU_PEERADDR	16
/*! @abstract User request: connect two sockets. */
#define	PRU_CONNECT2	17
/*! @abstract User request: fast timeout. */
#define	PRU_FASTTIMO	18
/*! @abstract User request: slow timeout. */
#define	PRU_SLOWTIMO	19
/*! @abstract User request: receive from below. */
#define	PRU_PROTORCV	20
/*! @abstract User request: send to below. */
#define	PRU_PROTOSEND	21
/*! @abstract User request: send and close. */
#define	PRU_SEND_EOF	22
/*! @abstract The number of user requests. */
#define	PRU_NREQ	22

#endif /* _XKPI_KEXT_SYS_PROTOSW_H_ */
