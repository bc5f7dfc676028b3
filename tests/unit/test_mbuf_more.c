/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Unit tests of the second part of the mbuf KPI (kpi/kpi_mbuf_more.c):
 * raw clusters and their property word, offload requests and results,
 * software checksums and finalize, classes, timestamps, transmit
 * completion bookkeeping, driver data, and the calls that answer
 * ENOTSUP or "never".  The teardown proves that no mbuf, cluster or tag
 * is left alive and that no panic went uncollected.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"

#include "tests/lib/xk_test.h"

#include "core/mbuf_var.h"

#define TRUE	1
#define FALSE	0

static int
setup(void **state)
{
	return xk_test_sock_setup(state);
}

static int
teardown(void **state)
{
	return xk_test_sock_teardown(state);
}

static mbuf_t
packet(size_t len)
{
	mbuf_t m;

	assert_int_equal(mbuf_allocpacket(MBUF_WAITOK, len, NULL, &m), 0);
	for (mbuf_t n = m; n != NULL; n = mbuf_next(n)) {
		mbuf_setlen(n, mbuf_maxlen(n));
	}
	mbuf_pkthdr_setlen(m, len);
	/* Trim the last segment to the packet length. */
	{
		size_t left = len;

		for (mbuf_t n = m; n != NULL; n = mbuf_next(n)) {
			size_t l = mbuf_len(n) < left ? mbuf_len(n) : left;

			mbuf_setlen(n, l);
			left -= l;
		}
	}
	return m;
}

/* RFC 1071 over a buffer, as a reference independent of the library. */
static uint16_t
ref_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2) {
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	}
	if (len & 1) {
		sum += (uint32_t)(p[len - 1] << 8);
	}
	while (sum >> 16) {
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return (uint16_t)~sum;
}

/* An IPv4 + UDP datagram of @plen payload bytes, checksums zero. */
static size_t
udp4(uint8_t *b, size_t plen)
{
	size_t len = 20 + 8 + plen;

	memset(b, 0, len);
	b[0] = 0x45;
	b[2] = (uint8_t)(len >> 8);
	b[3] = (uint8_t)len;
	b[8] = 64;
	b[9] = IPPROTO_UDP;
	b[12] = 10, b[13] = 0, b[14] = 0, b[15] = 1;
	b[16] = 10, b[17] = 0, b[18] = 0, b[19] = 2;
	b[20] = 0x12, b[21] = 0x34, b[22] = 0x00, b[23] = 0x35;
	b[24] = (uint8_t)((8 + plen) >> 8);
	b[25] = (uint8_t)(8 + plen);
	for (size_t i = 0; i < plen; i++) {
		b[28 + i] = xk_pattern(i);
	}
	return len;
}

/* An IPv6 + TCP segment of @plen payload bytes, checksum zero. */
static size_t
tcp6(uint8_t *b, size_t plen)
{
	size_t len = 40 + 20 + plen;

	memset(b, 0, len);
	b[0] = 0x60;
	b[4] = (uint8_t)((20 + plen) >> 8);
	b[5] = (uint8_t)(20 + plen);
	b[6] = IPPROTO_TCP;
	b[7] = 64;
	b[8] = 0x20, b[9] = 0x01, b[10] = 0x0d, b[11] = 0xb8, b[23] = 1;
	b[24] = 0x20, b[25] = 0x01, b[26] = 0x0d, b[27] = 0xb8, b[39] = 2;
	b[40] = 0x04, b[41] = 0xd2, b[42] = 0x00, b[43] = 0x50;
	b[52] = 0x50;	/* data offset 5 */
	b[53] = 0x18;
	for (size_t i = 0; i < plen; i++) {
		b[60 + i] = xk_pattern(i);
	}
	return len;
}

static mbuf_t
from_buf(const uint8_t *b, size_t len)
{
	mbuf_t m = packet(len);

	assert_int_equal(mbuf_copyback(m, 0, len, b, MBUF_WAITOK), 0);
	return m;
}

static void
test_raw_clusters(void **state)
{
	size_t size;
	char *a, *b, *c, *d;

	(void)state;
	size = 1;
	assert_int_equal(mbuf_alloccluster(MBUF_WAITOK, &size, &a), 0);
	assert_int_equal(size, 2048);
	size = 3000;
	assert_int_equal(mbuf_alloccluster(MBUF_DONTWAIT, &size, &b), 0);
	assert_int_equal(size, 4096);
	size = 9000;
	assert_int_equal(mbuf_alloccluster(MBUF_WAITOK, &size, &c), 0);
	assert_int_equal(size, 16384);
	memset(c, 0x5a, 16384);
	size = 16385;
	assert_int_equal(mbuf_alloccluster(MBUF_WAITOK, &size, &d), ENOMEM);
	assert_int_equal(size, 0);
	assert_null(d);
	size = 0;
	assert_int_equal(mbuf_alloccluster(MBUF_WAITOK, &size, &d), EINVAL);
	assert_int_equal(mbuf_alloccluster(MBUF_WAITOK, NULL, &d), EINVAL);
	/* A wrong size panics and frees nothing; the teardown counts. */
	mbuf_freecluster(a, 4096);
	assert_int_equal(xk_test_panic_take(), 1);
	mbuf_freecluster(a, 2048);
	mbuf_freecluster(b, 4096);
	mbuf_freecluster(c, 16384);
	assert_int_equal(xk_test_panic_take(), 0);
}

static void
test_cluster_prop_and_reference(void **state)
{
	mbuf_t m, copy;
	uint32_t prop;

	(void)state;
	m = XK_CHAIN(XK_CHAIN_CLUSTERS, 3000);
	assert_int_equal(mbuf_mclhasreference(m), 0);
	assert_int_equal(mbuf_cluster_get_prop(m, &prop), 0);
	assert_int_equal(prop, 0);
	assert_int_equal(mbuf_cluster_set_prop(m, 1, 7), EBUSY);
	assert_int_equal(mbuf_cluster_set_prop(m, 0, 7), 0);
	assert_int_equal(mbuf_copym(m, 0, MBUF_COPYALL, MBUF_WAITOK, &copy),
	    0);
	/* The copy shares the cluster, its reference and its property. */
	assert_int_equal(mbuf_mclhasreference(m), 1);
	assert_int_equal(mbuf_mclhasreference(copy), 1);
	assert_int_equal(mbuf_cluster_get_prop(copy, &prop), 0);
	assert_int_equal(prop, 7);
	mbuf_freem(copy);
	assert_int_equal(mbuf_mclhasreference(m), 0);
	mbuf_freem(m);
	m = XK_CHAIN(0, 10);
	assert_int_equal(mbuf_cluster_get_prop(m, &prop), EINVAL);
	assert_int_equal(mbuf_cluster_set_prop(m, 0, 1), EINVAL);
	assert_int_equal(mbuf_mclhasreference(m), 0);
	mbuf_freem(m);
	/* A new cluster starts at 0 again, even from a recycled one. */
	m = XK_CHAIN(XK_CHAIN_CLUSTERS, 3000);
	assert_int_equal(mbuf_cluster_get_prop(m, &prop), 0);
	assert_int_equal(prop, 0);
	mbuf_freem(m);
}

static void
test_align_32_and_lists(void **state)
{
	unsigned int chunks = 0;
	mbuf_t m, copy, list, n;
	char *start;
	size_t off;
	int count = 0;

	(void)state;
	assert_int_equal(mbuf_get(MBUF_WAITOK, MBUF_TYPE_DATA, &m), 0);
	assert_int_equal(mbuf_align_32(m, 15), 0);
	start = mbuf_datastart(m);
	off = (size_t)((char *)mbuf_data(m) - start);
	assert_int_equal((uintptr_t)mbuf_data(m) % 4, 0);
	assert_true(off + 15 <= mbuf_maxlen(m));
	assert_true(mbuf_maxlen(m) - off - 15 < 4);
	assert_int_equal(mbuf_align_32(m, mbuf_maxlen(m) + 1), EINVAL);
	mbuf_free(m);
	m = XK_CHAIN(XK_CHAIN_CLUSTERS, 100);
	assert_int_equal(mbuf_copym(m, 0, 100, MBUF_WAITOK, &copy), 0);
	assert_int_equal(mbuf_align_32(m, 4), ENOTSUP);
	mbuf_freem(copy);
	mbuf_freem(m);

	assert_int_equal(mbuf_allocpacket_list(3, MBUF_WAITOK, 5000, &chunks,
	    &list), 0);
	assert_true(chunks >= 1);
	for (n = list; n != NULL; n = mbuf_nextpkt(n)) {
		assert_true(mbuf_flags(n) & MBUF_PKTHDR);
		assert_true(mbuf_pkthdr_maxlen(n) >= 5000);
		mbuf_pkthdr_setlen(n, 100);
		count++;
	}
	assert_int_equal(count, 3);
	assert_int_equal(mbuf_pkt_list_len(list), 300);
	assert_int_equal(mbuf_pkt_list_maxlen(list),
	    mbuf_pkthdr_maxlen(list) * 3);
	mbuf_freem_list(list);
	chunks = 1;
	assert_int_equal(mbuf_allocpacket_list(2, MBUF_WAITOK, 50000, &chunks,
	    &list), ENOBUFS);
	assert_int_equal(mbuf_allocpacket_list(0, MBUF_WAITOK, 100, NULL,
	    &list), EINVAL);
	assert_int_equal(mbuf_allocpacket_list(1, MBUF_WAITOK, 0, NULL,
	    &list), EINVAL);
	assert_int_equal(mbuf_get_msize(), 256);
}

static void
test_csum_flags(void **state)
{
	mbuf_csum_request_flags_t req;
	mbuf_csum_performed_flags_t did;
	mbuf_t m = packet(64), plain;
	uint32_t v;

	(void)state;
	assert_int_equal(mbuf_get_csum_requested(m, &req, &v), 0);
	assert_int_equal(req, 0);
	assert_int_equal(v, 0);
	assert_int_equal(mbuf_set_csum_requested(m, MBUF_CSUM_REQ_TCP |
	    MBUF_CSUM_REQ_IP | 0x8000, 16), 0);
	assert_int_equal(mbuf_get_csum_requested(m, &req, NULL), 0);
	assert_int_equal(req, MBUF_CSUM_REQ_TCP | MBUF_CSUM_REQ_IP);
	assert_int_equal(mbuf_get_csum_requested(m, &req, &v), 0);
	assert_int_equal(v, 16);
	assert_int_equal(mbuf_clear_csum_requested(m), 0);
	assert_int_equal(mbuf_get_csum_requested(m, &req, &v), 0);
	assert_int_equal(req, 0);
	assert_int_equal(mbuf_set_csum_performed(m, MBUF_CSUM_DID_IP |
	    MBUF_CSUM_IP_GOOD | MBUF_CSUM_DID_DATA, 0xabcd), 0);
	assert_int_equal(mbuf_get_csum_performed(m, &did, &v), 0);
	assert_int_equal(did, MBUF_CSUM_DID_IP | MBUF_CSUM_IP_GOOD |
	    MBUF_CSUM_DID_DATA);
	assert_int_equal(v, 0xabcd);
	mbuf_inbound_modified(m);
	assert_int_equal(mbuf_get_csum_performed(m, &did, &v), 0);
	assert_int_equal(did, 0);
	assert_int_equal(mbuf_clear_csum_performed(m), 0);
	assert_int_equal(mbuf_get_csum_requested(m, NULL, &v), EINVAL);
	assert_int_equal(mbuf_get_csum_performed(m, &did, NULL), EINVAL);
	assert_int_equal(mbuf_set_csum_requested(NULL, 0, 0), EINVAL);
	/* The values live in the packet header: none, none. */
	assert_int_equal(mbuf_get(MBUF_WAITOK, MBUF_TYPE_DATA, &plain), 0);
	assert_int_equal(mbuf_set_csum_requested(plain, MBUF_CSUM_REQ_IP, 0),
	    EINVAL);
	assert_int_equal(mbuf_get_csum_requested(plain, &req, &v), EINVAL);
	mbuf_free(plain);
	mbuf_freem(m);
}

static void
test_software_checksums(void **state)
{
	uint8_t b[200], ph[240];
	uint16_t sum, want;
	size_t len;
	mbuf_t m;

	(void)state;
	/* IPv4 header checksum (no protocol): the reference value. */
	len = udp4(b, 37);
	m = from_buf(b, len);
	assert_int_equal(mbuf_inet_cksum(m, 0, 0, 20, &sum), 0);
	want = htons(ref_sum(b, 20, 0));
	assert_int_equal(sum, want);
	/* UDP with the pseudo header, against the reference. */
	memcpy(ph, b + 12, 8);
	ph[8] = 0;
	ph[9] = IPPROTO_UDP;
	ph[10] = (uint8_t)((len - 20) >> 8);
	ph[11] = (uint8_t)(len - 20);
	memcpy(ph + 12, b + 20, len - 20);
	assert_int_equal(mbuf_inet_cksum(m, IPPROTO_UDP, 20,
	    (uint32_t)(len - 20), &sum), 0);
	want = htons(ref_sum(ph, 12 + len - 20, 0));
	assert_int_equal(sum, want);
	assert_int_equal(mbuf_inet_cksum(m, IPPROTO_UDP, 20,
	    (uint32_t)len, &sum), EINVAL);
	assert_int_equal(mbuf_inet_cksum(m, IPPROTO_UDP, 20, 0, &sum),
	    EINVAL);
	assert_int_equal(mbuf_inet_cksum(m, 0, 0, 20, NULL), EINVAL);
	mbuf_freem(m);

	/* IPv6 and TCP, pseudo header of RFC 8200. */
	len = tcp6(b, 33);
	m = from_buf(b, len);
	memset(ph, 0, sizeof(ph));
	memcpy(ph, b + 8, 32);
	{
		uint8_t full[40 + 200];
		size_t tl = len - 40;

		memcpy(full, ph, 32);
		full[32] = 0, full[33] = 0;
		full[34] = (uint8_t)(tl >> 8), full[35] = (uint8_t)tl;
		full[36] = 0, full[37] = 0, full[38] = 0;
		full[39] = IPPROTO_TCP;
		memcpy(full + 40, b + 40, tl);
		want = htons(ref_sum(full, 40 + tl, 0));
		assert_int_equal(mbuf_inet6_cksum(m, IPPROTO_TCP, 40,
		    (uint32_t)tl, &sum), 0);
		assert_int_equal(sum, want);
	}
	mbuf_freem(m);
}

static void
test_outbound_finalize(void **state)
{
	mbuf_csum_request_flags_t req;
	uint8_t b[200];
	uint16_t sum;
	size_t len;
	mbuf_t m;
	uint32_t v;

	(void)state;
	/* IPv4/UDP at offset 0: both sums computed, requests cleared. */
	len = udp4(b, 41);
	m = from_buf(b, len);
	assert_int_equal(mbuf_set_csum_requested(m, MBUF_CSUM_REQ_IP |
	    MBUF_CSUM_REQ_UDP, 6), 0);
	mbuf_outbound_finalize(m, PF_INET, 0);
	assert_int_equal(mbuf_get_csum_requested(m, &req, &v), 0);
	assert_int_equal(req, 0);
	assert_int_equal(mbuf_inet_cksum(m, 0, 0, 20, &sum), 0);
	assert_int_equal(sum, 0);	/* a correct header sums to 0 */
	assert_int_equal(mbuf_inet_cksum(m, IPPROTO_UDP, 20,
	    (uint32_t)(len - 20), &sum), 0);
	assert_int_equal(sum, 0);
	mbuf_freem(m);

	/* IPv6/TCP behind 14 bytes of link header. */
	len = tcp6(b + 14, 27) + 14;
	memset(b, 0xee, 14);
	m = from_buf(b, len);
	assert_int_equal(mbuf_set_csum_requested(m, MBUF_CSUM_REQ_TCPIPV6,
	    16), 0);
	mbuf_outbound_finalize(m, PF_INET6, 14);
	assert_int_equal(mbuf_get_csum_requested(m, &req, &v), 0);
	assert_int_equal(req, 0);
	mbuf_adj(m, 14);
	assert_int_equal(mbuf_inet6_cksum(m, IPPROTO_TCP, 40,
	    (uint32_t)(len - 14 - 40), &sum), 0);
	assert_int_equal(sum, 0);
	mbuf_freem(m);

	/* Nothing asked, another family: left alone. */
	len = udp4(b, 3);
	m = from_buf(b, len);
	mbuf_outbound_finalize(m, PF_INET, 0);
	assert_int_equal(mbuf_set_csum_requested(m, MBUF_CSUM_REQ_IP, 0), 0);
	mbuf_outbound_finalize(m, PF_UNIX, 0);
	assert_int_equal(mbuf_get_csum_requested(m, &req, &v), 0);
	assert_int_equal(req, MBUF_CSUM_REQ_IP);
	assert_int_equal(mbuf_copydata(m, 10, 2, &sum), 0);
	assert_int_equal(sum, 0);
	mbuf_freem(m);
}

static void
test_segmentation_and_vlan(void **state)
{
	mbuf_tso_request_flags_t tso;
	mbuf_gso_type_t type;
	uint16_t seg, hdr, vlan;
	uint8_t cnt, dup;
	uint32_t v = 99;
	mbuf_t m = packet(10);

	(void)state;
	assert_int_equal(mbuf_get_tso_requested(m, &tso, &v), 0);
	assert_int_equal(tso, 0);
	assert_int_equal(v, 99);	/* untouched without a request */
	assert_int_equal(mbuf_set_gso_info(m, MBUF_GSO_TYPE_IPV4, 1448, 52),
	    0);
	assert_int_equal(mbuf_get_tso_requested(m, &tso, &v), 0);
	assert_int_equal(tso, MBUF_TSO_IPV4);
	assert_int_equal(v, 1448);
	assert_int_equal(mbuf_get_gso_info(m, &type, &seg, &hdr), 0);
	assert_int_equal(type, MBUF_GSO_TYPE_IPV4);
	assert_int_equal(seg, 1448);
	assert_int_equal(hdr, 52);
	assert_int_equal(mbuf_set_gso_info(m, MBUF_GSO_TYPE_NONE, 1, 0),
	    EINVAL);
	assert_int_equal(mbuf_set_gso_info(m, MBUF_GSO_TYPE_IPV6, 0, 0),
	    EINVAL);
	assert_int_equal(mbuf_set_gso_info(m, 9, 1, 1), EINVAL);
	assert_int_equal(mbuf_set_gso_info(m, MBUF_GSO_TYPE_NONE, 0, 0), 0);
	assert_int_equal(mbuf_get_gso_info(m, &type, &seg, &hdr), 0);
	assert_int_equal(type, MBUF_GSO_TYPE_NONE);
	assert_int_equal(seg, 0);

	assert_int_equal(mbuf_get_lro_info(m, &cnt, &dup), 0);
	assert_int_equal(cnt, 0);
	assert_int_equal(mbuf_set_lro_info(m, 1, 0), EINVAL);
	assert_int_equal(mbuf_set_lro_info(m, 3, 1), EINVAL);
	assert_int_equal(mbuf_set_lro_info(m, 3, 0), 0);
	assert_int_equal(mbuf_get_lro_info(m, &cnt, &dup), 0);
	assert_int_equal(cnt, 3);
	assert_int_equal(dup, 0);

	assert_int_equal(mbuf_get_vlan_tag(m, &vlan), ENXIO);
	assert_int_equal(mbuf_set_vlan_tag(m, 100), 0);
	assert_int_equal(mbuf_get_vlan_tag(m, &vlan), 0);
	assert_int_equal(vlan, 100);
	assert_int_equal(mbuf_clear_vlan_tag(m), 0);
	assert_int_equal(mbuf_get_vlan_tag(m, &vlan), ENXIO);
	mbuf_freem(m);
}

static void
test_classes(void **state)
{
	mbuf_t m = packet(10);
	uint32_t idx;

	(void)state;
	assert_int_equal(mbuf_get_service_class(m), MBUF_SC_BE);
	assert_int_equal(mbuf_get_traffic_class(m), MBUF_TC_BE);
	assert_int_equal(mbuf_set_traffic_class(m, MBUF_TC_VO), 0);
	assert_int_equal(mbuf_get_service_class(m), MBUF_SC_VO);
	assert_int_equal(mbuf_get_traffic_class(m), MBUF_TC_VO);
	assert_int_equal(mbuf_set_service_class(m, MBUF_SC_RD), 0);
	assert_int_equal(mbuf_get_traffic_class(m), MBUF_TC_BE);
	assert_int_equal(mbuf_set_service_class(m, MBUF_SC_AV), 0);
	assert_int_equal(mbuf_get_traffic_class(m), MBUF_TC_VI);
	assert_int_equal(mbuf_set_service_class(m, MBUF_SC_BK_SYS), 0);
	assert_int_equal(mbuf_get_traffic_class(m), MBUF_TC_BK);
	assert_int_equal(mbuf_set_service_class(m, 0x1234), EINVAL);
	assert_int_equal(mbuf_set_traffic_class(m, MBUF_TC_MAX), EINVAL);
	assert_int_equal(mbuf_get_service_class(m), MBUF_SC_BK_SYS);
	/* XNU's indexes: BE 0, BK_SYS 1, ... VI and SIG 7, VO 8, CTL 9. */
	assert_int_equal(mbuf_get_service_class_index(MBUF_SC_BK_SYS, &idx),
	    0);
	assert_int_equal(idx, 1);
	assert_int_equal(mbuf_get_service_class_index(MBUF_SC_BE, &idx), 0);
	assert_int_equal(idx, 0);
	assert_int_equal(mbuf_get_service_class_index(MBUF_SC_CTL, &idx), 0);
	assert_int_equal(idx, 9);
	assert_int_equal(mbuf_get_service_class_index(MBUF_SC_SIG, &idx), 0);
	assert_int_equal(idx, 7);	/* VI's index, as in XNU */
	assert_int_equal(mbuf_get_service_class_index(5, &idx), EINVAL);
	assert_int_equal(mbuf_get_traffic_class_index(MBUF_TC_VO, &idx), 0);
	assert_int_equal(idx, 8);
	assert_int_equal(mbuf_get_traffic_class_index(MBUF_TC_BK, &idx), 0);
	assert_int_equal(idx, 2);
	assert_int_equal(mbuf_get_traffic_class_index(MBUF_TC_BE, &idx), 0);
	assert_int_equal(idx, 0);
	assert_int_equal(mbuf_get_traffic_class_max_count(), 4);
	assert_int_equal(mbuf_get_service_class_max_count(), 10);
	assert_int_equal(mbuf_is_traffic_class_privileged(m), 0);
	assert_int_equal(mbuf_is_service_class_privileged(m), 0);
	assert_int_equal(mbuf_get_service_class(NULL), MBUF_SC_BE);
	mbuf_freem(m);
}

static void
txc_a(uintptr_t pktid, ifnet_t ifp, uint64_t ts, uintptr_t arg,
    uintptr_t data, kern_return_t status)
{
	(void)pktid, (void)ifp, (void)ts, (void)arg, (void)data,
	    (void)status;
	fail_msg("no backend reports transmit completion");
}

static void
txc_b(uintptr_t pktid, ifnet_t ifp, uint64_t ts, uintptr_t arg,
    uintptr_t data, kern_return_t status)
{
	txc_a(pktid, ifp, ts, arg, data, status);
}

static void
test_timestamps_and_completion(void **state)
{
	boolean_t valid, req;
	uintptr_t id1, id2, arg, data;
	struct timespec now;
	uint64_t ts, mono;
	mbuf_t m = packet(10), rx;
	kern_return_t st;

	(void)state;
	assert_int_equal(mbuf_get_timestamp(m, &ts, &valid), 0);
	assert_false(valid);
	assert_int_equal(ts, 0);
	assert_int_equal(mbuf_set_timestamp(m, 12345, TRUE), 0);
	assert_int_equal(mbuf_get_timestamp(m, &ts, &valid), 0);
	assert_true(valid);
	assert_int_equal(ts, 12345);
	assert_int_equal(mbuf_set_timestamp(m, 1, FALSE), 0);
	assert_int_equal(mbuf_get_timestamp(m, &ts, NULL), 0);
	assert_int_equal(ts, 0);

	/* A received packet: when the backend saw it, on the monotonic clock. */
	rx = packet(10);
	clock_gettime(CLOCK_REALTIME, &now);
	rx->m_pkthdr.rcvts = (uint64_t)now.tv_sec * 1000000000u +
	    (uint64_t)now.tv_nsec - 5000000u;
	clock_gettime(CLOCK_MONOTONIC, &now);
	mono = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
	assert_int_equal(mbuf_get_timestamp(rx, &ts, &valid), 0);
	assert_true(valid);
	assert_true(ts < mono);
	assert_true(mono - ts < 1000000000u);	/* a second of slack */
	assert_int_equal(mbuf_set_timestamp(rx, 0, FALSE), 0);
	assert_int_equal(mbuf_get_timestamp(rx, &ts, &valid), 0);
	assert_false(valid);
	mbuf_freem(rx);

	assert_int_equal(mbuf_register_tx_compl_callback(NULL), EINVAL);
	assert_int_equal(mbuf_set_timestamp_requested(m, &id1, txc_a), ENOENT);
	assert_int_equal(mbuf_register_tx_compl_callback(txc_a), 0);
	assert_int_equal(mbuf_register_tx_compl_callback(txc_a), EEXIST);
	assert_int_equal(mbuf_register_tx_compl_callback(txc_b), 0);
	assert_int_equal(mbuf_get_timestamp_requested(m, &req), 0);
	assert_false(req);
	assert_int_equal(mbuf_set_timestamp_requested(m, &id1, txc_a), 0);
	assert_int_equal(mbuf_set_timestamp_requested(m, &id2, txc_b), 0);
	assert_int_equal(id1, id2);	/* one id a packet */
	assert_int_equal(mbuf_get_timestamp_requested(m, &req), 0);
	assert_true(req);
	assert_int_equal(mbuf_unregister_tx_compl_callback(txc_a), 0);
	assert_int_equal(mbuf_unregister_tx_compl_callback(txc_a), ENOENT);
	assert_int_equal(mbuf_unregister_tx_compl_callback(txc_b), 0);

	assert_int_equal(mbuf_get_status(m, &st), 0);
	assert_int_equal(st, 0);
	assert_int_equal(mbuf_set_status(m, 5), 0);
	assert_int_equal(mbuf_get_status(m, &st), 0);
	assert_int_equal(st, 5);
	assert_int_equal(mbuf_set_tx_compl_data(m, 1, 2), 0);
	assert_int_equal(mbuf_get_tx_compl_data(m, &arg, &data), 0);
	assert_int_equal(arg, 1);
	assert_int_equal(data, 2);
	mbuf_freem(m);
}

static void
test_flags_and_driver_data(void **state)
{
	uint32_t fam, sub, len, r;
	mbuf_pkthdr_aux_flags_t aux;
	mbuf_buffer_status_t bs;
	uint8_t *area;
	size_t alen;
	boolean_t on;
	uint16_t flow;
	void *d, *d2;
	mbuf_t m = packet(10), dup, copy;

	(void)state;
	assert_int_equal(mbuf_get_flowid(m, &flow), 0);
	assert_int_equal(flow, 0);
	assert_int_equal(mbuf_set_flowid(m, 77), 0);
	assert_int_equal(mbuf_get_flowid(m, &flow), 0);
	assert_int_equal(flow, 77);
	assert_int_equal(mbuf_set_keepalive_flag(m, TRUE), 0);
	assert_int_equal(mbuf_get_keepalive_flag(m, &on), 0);
	assert_true(on);
	assert_int_equal(mbuf_set_keepalive_flag(m, FALSE), 0);
	assert_int_equal(mbuf_get_keepalive_flag(m, &on), 0);
	assert_false(on);
	assert_int_equal(mbuf_set_wake_packet_flag(m, TRUE), 0);
	assert_int_equal(mbuf_get_wake_packet_flag(m, &on), 0);
	assert_true(on);

	assert_int_equal(mbuf_get_driver_scratch(m, &area, &alen), 0);
	assert_int_equal(alen, 32);
	for (size_t i = 0; i < alen; i++) {
		assert_int_equal(area[i], 0);
	}
	memset(area, 0x77, alen);

	assert_int_equal(mbuf_find_drvaux(m, &fam, &sub, &len, &d), ENOENT);
	assert_int_equal(mbuf_add_drvaux(m, MBUF_WAITOK, 1, 2, 129, &d),
	    EINVAL);
	assert_int_equal(mbuf_add_drvaux(m, MBUF_WAITOK, 1, 2, 24, &d), 0);
	memset(d, 0x42, 24);
	assert_int_equal(mbuf_add_drvaux(m, MBUF_WAITOK, 1, 2, 8, &d2),
	    EEXIST);
	assert_int_equal(mbuf_find_drvaux(m, &fam, &sub, &len, &d2), 0);
	assert_ptr_equal(d, d2);
	assert_int_equal(fam, 1);
	assert_int_equal(sub, 2);
	assert_int_equal(len, 24);

	/* mbuf_dup copies it all; mbuf_copym at 0 moves it (tags move). */
	assert_int_equal(mbuf_dup(m, MBUF_WAITOK, &dup), 0);
	assert_int_equal(mbuf_get_flowid(dup, &flow), 0);
	assert_int_equal(flow, 77);
	assert_int_equal(mbuf_find_drvaux(dup, NULL, NULL, NULL, &d2), 0);
	assert_int_equal(((uint8_t *)d2)[23], 0x42);
	mbuf_freem(dup);
	assert_int_equal(mbuf_copym(m, 0, MBUF_COPYALL, MBUF_WAITOK, &copy),
	    0);
	assert_int_equal(mbuf_get_flowid(copy, &flow), 0);
	assert_int_equal(flow, 77);
	assert_int_equal(mbuf_get_flowid(m, &flow), 0);
	assert_int_equal(flow, 0);
	mbuf_del_drvaux(copy);
	assert_int_equal(mbuf_find_drvaux(copy, NULL, NULL, NULL, &d2),
	    ENOENT);
	mbuf_freem(copy);

	assert_int_equal(mbuf_pkthdr_aux_flags(m, &aux), 0);
	assert_int_equal(aux, 0);
	assert_int_equal(mbuf_pkt_new_flow(m, &r), 0);
	assert_int_equal(r, 0);
	assert_int_equal(mbuf_last_pkt(m, &r), 0);
	assert_int_equal(r, 0);
	assert_int_equal(mbuf_get_unsent_data_bytes(m, &r), EINVAL);
	assert_int_equal(mbuf_get_buffer_status(m, &bs), EINVAL);
	mbuf_freem(m);
}

static void
test_unsupported(void **state)
{
	size_t size = 2048;
	char buf[16];
	mbuf_t m = NULL;

	(void)state;
	assert_int_equal(mbuf_data_to_physical(buf), 0);
	assert_int_equal(mbuf_attachcluster(MBUF_WAITOK, MBUF_TYPE_DATA, &m,
	    buf, (void (*)(char *, unsigned int, char *))abort, sizeof(buf),
	    NULL), ENOTSUP);
	assert_null(m);
	assert_int_equal(mbuf_attachcluster(MBUF_WAITOK, MBUF_TYPE_DATA, &m,
	    NULL, NULL, 0, NULL), EINVAL);
	assert_int_equal(mbuf_ring_cluster_alloc(MBUF_WAITOK, MBUF_TYPE_DATA,
	    &m, (void (*)(char *, unsigned int, char *))abort, &size),
	    ENOTSUP);
	m = packet(10);
	assert_int_equal(mbuf_ring_cluster_is_active(m), 0);
	assert_int_equal(mbuf_ring_cluster_activate(m), EINVAL);
	mbuf_freem(m);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_raw_clusters),
		T(test_cluster_prop_and_reference),
		T(test_align_32_and_lists),
		T(test_csum_flags),
		T(test_software_checksums),
		T(test_outbound_finalize),
		T(test_segmentation_and_vlan),
		T(test_classes),
		T(test_timestamps_and_completion),
		T(test_flags_and_driver_data),
		T(test_unsupported),
	};

	return cmocka_run_group_tests_name("mbuf_more", tests, NULL,
	    xk_test_sock_group_teardown);
}
