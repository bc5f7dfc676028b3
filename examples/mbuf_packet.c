/*
 * xkpi example: build, tag, copy and parse a packet with the mbuf KPI,
 * the way a kext's output path does.  Uses the public headers only.
 *
 *	cc mbuf_packet.c $(pkg-config --cflags --libs xkpi)
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>
#include <netinet/ip_divert.h>
#include <netinet6/send.h>
#include <xkpi.h>

#define PAYLOAD_LEN	3000	/* more than one 2 KB cluster */

struct flow_tag {
	uint32_t	flow_id;
	uint32_t	hops;
};

static int
fail(const char *what, errno_t error)
{
	fprintf(stderr, "mbuf_packet: %s: %s\n", what, strerror(error));
	return 1;
}

static uint16_t
in_cksum_hdr(const void *hdr, size_t len)
{
	const uint16_t *w = hdr;
	uint32_t sum = 0;

	for (; len > 1; len -= 2) {
		sum += *w++;
	}
	while (sum >> 16) {
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return (uint16_t)~sum;
}

int
main(void)
{
	char payload[PAYLOAD_LEN], check[PAYLOAD_LEN];
	struct mbuf_stat st;
	struct flow_tag *ft;
	struct udphdr *uh;
	struct ip *ip;
	mbuf_tag_id_t tag_id;
	mbuf_t m, n, copy = NULL;
	unsigned int chunks = 0;
	size_t len, off;
	void *p;
	errno_t error;
	int segs = 0;

	for (size_t i = 0; i < sizeof(payload); i++) {
		payload[i] = (char)('a' + i % 26);
	}

	/* 1. A packet big enough for the payload, filled by copyback. */
	error = mbuf_allocpacket(MBUF_WAITOK, sizeof(payload), &chunks, &m);
	if (error != 0) {
		return fail("mbuf_allocpacket", error);
	}
	error = mbuf_copyback(m, 0, sizeof(payload), payload, MBUF_WAITOK);
	if (error != 0) {
		mbuf_freem(m);
		return fail("mbuf_copyback", error);
	}
	printf("payload: %zu bytes in %u segment(s) of %zu bytes\n",
	    mbuf_pkthdr_len(m), chunks, mbuf_maxlen(m));

	/* 2. Headers in front, as an output path prepends them. */
	error = mbuf_prepend(&m, sizeof(*uh), MBUF_WAITOK);
	if (error == 0) {
		error = mbuf_prepend(&m, sizeof(*ip), MBUF_WAITOK);
	}
	if (error != 0) {
		return fail("mbuf_prepend", error);	/* chain already freed */
	}
	len = mbuf_pkthdr_len(m);
	error = mbuf_pullup(&m, sizeof(*ip) + sizeof(*uh));
	if (error != 0) {
		return fail("mbuf_pullup", error);
	}
	ip = mbuf_data(m);
	memset(ip, 0, sizeof(*ip) + sizeof(*uh));
	ip->ip_v = 4;
	ip->ip_hl = sizeof(*ip) >> 2;
	ip->ip_len = htons((uint16_t)len);
	ip->ip_ttl = 64;
	ip->ip_p = IPPROTO_UDP;
	ip->ip_src.s_addr = htonl(INADDR_LOOPBACK);
	ip->ip_dst.s_addr = htonl(INADDR_LOOPBACK);
	ip->ip_sum = in_cksum_hdr(ip, sizeof(*ip));
	uh = (struct udphdr *)(ip + 1);
	uh->uh_sport = htons(4000);
	uh->uh_dport = htons(4001);
	uh->uh_ulen = htons((uint16_t)(len - sizeof(*ip)));

	/* 3. A tag that travels with the packet. */
	error = mbuf_tag_id_find("org.xkpi.example.flow", &tag_id);
	if (error == 0) {
		error = mbuf_tag_allocate(m, tag_id, 1, sizeof(*ft),
		    MBUF_WAITOK, &p);
	}
	if (error != 0) {
		mbuf_freem(m);
		return fail("mbuf_tag_allocate", error);
	}
	ft = p;
	ft->flow_id = 42;
	ft->hops = 1;

	/* 4. A deep copy keeps the tag on both packets. */
	error = mbuf_dup(m, MBUF_WAITOK, &copy);
	if (error != 0) {
		mbuf_freem(m);
		return fail("mbuf_dup", error);
	}
	error = mbuf_tag_find(copy, tag_id, 1, &len, &p);
	printf("dup: %zu bytes, tag %s (flow %u)\n", mbuf_pkthdr_len(copy),
	    error == 0 ? "kept" : "missing",
	    error == 0 ? ((struct flow_tag *)p)->flow_id : 0);

	/* 5. Parse it back the way an input path would. */
	for (n = copy; n != NULL; n = mbuf_next(n)) {
		segs++;
	}
	off = sizeof(struct ip) + sizeof(struct udphdr);
	error = mbuf_copydata(copy, off, sizeof(check), check);
	printf("parse: %d mbufs, payload %s, ip_sum %s\n", segs,
	    error == 0 && memcmp(check, payload, sizeof(check)) == 0 ?
	    "intact" : "CORRUPT",
	    in_cksum_hdr(mbuf_data(copy), sizeof(struct ip)) == 0 ?
	    "valid" : "INVALID");

	mbuf_freem(copy);
	mbuf_freem(m);

	mbuf_stats(&st);
	printf("allocator: msize %u mlen %u mhlen %u minclsize %u, "
	    "%u mbufs and %u+%u clusters obtained, %u drops\n",
	    st.msize, st.mlen, st.mhlen, st.minclsize, st.mbufs,
	    st.clusters, st.bigclusters, st.drops);
	return error == 0 ? 0 : 1;
}
