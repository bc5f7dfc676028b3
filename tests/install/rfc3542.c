/*
 * Built with the compile line of docs/porting.md, against an installed
 * xkpi: the RFC 3542 names raw IPv6 code uses, and the BSD ones of raw
 * IPv4, must all be declared (glibc shows them with _GNU_SOURCE only).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/icmp6.h>

#include <sys/kpi_socket.h>
#include <xkpi.h>

int	rfc3542_names(socket_t so);

int
rfc3542_names(socket_t so)
{
	struct in6_pktinfo pi = { .ipi6_ifindex = 1 };
	struct ip_mreqn mr = { .imr_ifindex = 1 };
	struct icmp6_filter f;
	int on = 1;

	ICMP6_FILTER_SETBLOCKALL(&f);
	ICMP6_FILTER_SETPASS(ND_ROUTER_ADVERT, &f);
	return sock_setsockopt(so, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on,
	    sizeof(on)) + sock_setsockopt(so, IPPROTO_IPV6, IPV6_RECVHOPLIMIT,
	    &on, sizeof(on)) + sock_setsockopt(so, IPPROTO_IPV6, IPV6_PKTINFO,
	    &pi, sizeof(pi)) + sock_setsockopt(so, IPPROTO_IPV6, IPV6_TCLASS,
	    &on, sizeof(on)) + sock_setsockopt(so, IPPROTO_ICMPV6, ICMP6_FILTER,
	    &f, sizeof(f)) + sock_setsockopt(so, IPPROTO_IP, IP_MULTICAST_IF,
	    &mr, sizeof(mr)) + sock_setsockopt(so, IPPROTO_IP, IP_PKTINFO, &on,
	    sizeof(on)) + IPV6_HOPLIMIT + IPV6_RECVTCLASS;
}
