/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * IP filters (<netinet/kpi_ipfilter.h>) and the interface KPI subset
 * (<net/kpi_interface.h>) over the mem backend: argument errors, XNU's
 * order (last attached runs first), each return value, taking a packet
 * and injecting it later in both directions, resuming after the
 * injecting filter, removal from inside a callback, filters that change
 * or free the packet, IPv6's one call per header, and the counters.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <stdatomic.h>
#include <string.h>

#include <net/kpi_interface.h>
#include <netinet/kpi_ipfilter.h>
#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>
#include <xkpi.h>
#include <xkpi_mem.h>

#include "core/ip_var.h"
#include "core/socket_var.h"
#include "tests/lib/xk_test.h"

#define PROTO_EXP	253
#define WAIT_MS		XK_TEST_WAIT_MS

static uint32_t vx0_index;

/* What a test filter does, and what it saw. */
struct tf {
	const char	*name;
	int		 ret;		/* what ipf_input/output return */
	bool		 take;		/* keep the packet (EJUSTRETURN) */
	bool		 free_it;	/* free the packet, NULL it, ret */
	bool		 remove_self;
	bool		 trim;		/* cut 4 payload bytes, fix ip_len */
	ipfilter_t	 ref;
	atomic_int	 in_calls, out_calls, detached;
	int		 offs[8];
	uint8_t		 protos[8];
	mbuf_t		 kept;
	char		 rcvname[IF_NAMESIZE];
	uint32_t	 rcvunit, rcvindex;
};

static int call_order[16];
static atomic_int ncalls;

static void
note_call(struct tf *t, int id)
{
	int n = atomic_fetch_add(&ncalls, 1);

	(void)t;
	if (n < 16) {
		call_order[n] = id;
	}
}

static errno_t
tf_act(struct tf *t, mbuf_t *data)
{
	if (t->remove_self) {
		assert_int_equal(ipf_remove(t->ref), 0);
	}
	if (t->take) {
		t->kept = *data;
		return EJUSTRETURN;
	}
	if (t->free_it) {
		mbuf_freem(*data);
		*data = NULL;
		return t->ret;
	}
	return t->ret;
}

static errno_t
tf_input(void *cookie, mbuf_t *data, int offset, uint8_t protocol)
{
	struct tf *t = cookie;
	int n = atomic_fetch_add(&t->in_calls, 1);
	ifnet_t ifp = mbuf_pkthdr_rcvif(*data);

	if (n < 8) {
		t->offs[n] = offset;
		t->protos[n] = protocol;
	}
	note_call(t, t->name[0]);
	if (ifp != NULL) {
		strncpy(t->rcvname, ifnet_name(ifp), sizeof(t->rcvname) - 1);
		t->rcvunit = ifnet_unit(ifp);
		t->rcvindex = ifnet_index(ifp);
	}
	if (t->trim) {
		struct ip ip;

		assert_int_equal(mbuf_copydata(*data, 0, sizeof(ip), &ip), 0);
		ip.ip_len = htons((uint16_t)(ntohs(ip.ip_len) - 4));
		ip.ip_sum = 0;
		assert_int_equal(mbuf_copyback(*data, 0, sizeof(ip), &ip,
		    MBUF_DONTWAIT), 0);
		mbuf_adj(*data, -4);
	}
	return tf_act(t, data);
}

static errno_t
tf_output(void *cookie, mbuf_t *data, ipf_pktopts_t options)
{
	struct tf *t = cookie;

	assert_null(options);
	atomic_fetch_add(&t->out_calls, 1);
	note_call(t, t->name[0]);
	return tf_act(t, data);
}

static void
tf_detach(void *cookie)
{
	struct tf *t = cookie;

	atomic_fetch_add(&t->detached, 1);
}

static void
tf_add(struct tf *t, int family)
{
	struct ipf_filter f = { .cookie = t, .name = t->name,
	    .ipf_input = tf_input, .ipf_output = tf_output,
	    .ipf_detach = tf_detach };

	assert_int_equal(family == AF_INET ? ipf_addv4(&f, &t->ref) :
	    ipf_addv6(&f, &t->ref), 0);
}

static int
setup(void **state)
{
	struct in_addr a;
	struct in6_addr a6;

	xk_test_sock_setup(state);
	xkpi_mem_reset();
	assert_int_equal(xkpi_mem_vif_create("vx0", 1500, &vx0_index), 0);
	a = xk_test_a4("10.0.0.1");
	assert_int_equal(xkpi_mem_vif_addaddr("vx0", AF_INET, &a, 24), 0);
	a6 = xk_test_a6("fd00::1");
	assert_int_equal(xkpi_mem_vif_addaddr("vx0", AF_INET6, &a6, 64), 0);
	xk_ipstat_reset();
	atomic_store(&ncalls, 0);
	memset(call_order, 0, sizeof(call_order));
	return 0;
}

static int
teardown(void **state)
{
	xkpi_mem_reset();
	return xk_test_sock_teardown(state);
}

static void
inject(const uint8_t *pkt, size_t len)
{
	struct xk_ip_stats s0 = xk_test_ipstat();
	int64_t end = xk_test_now_us() + (int64_t)WAIT_MS * 1000;

	assert_int_equal(xkpi_mem_inject("vx0", pkt, len), 0);
	for (;;) {
		struct xk_ip_stats s = xk_test_ipstat();

		if (s.ips_total + s.ip6s_total > s0.ips_total + s0.ip6s_total ||
		    xk_test_now_us() >= end) {
			break;
		}
		xk_test_sleep_ms(1);
	}
	xk_test_loop_barrier();
}

static socket_t
raw(int family, int proto)
{
	socket_t so = NULL;

	assert_int_equal(sock_socket(family, SOCK_RAW, proto, NULL, NULL,
	    &so), 0);
	return so;
}

static ssize_t
recv1(socket_t so)
{
	uint8_t buf[2048];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	size_t got = 0;

	if (sock_receive(so, &msg, MSG_DONTWAIT, &got) != 0) {
		return -1;
	}
	return (ssize_t)got;
}

static errno_t
send_to(socket_t so, const char *dst, size_t len)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	uint8_t buf[256];
	struct iovec iov = { buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_name = &sin, .msg_namelen = sizeof(sin) };
	size_t sent;

	memset(buf, 0x42, sizeof(buf));
	sin.sin_addr = xk_test_a4(dst);
	return sock_send(so, &msg, 0, &sent);
}

static void
test_add_remove_errors(void **state)
{
	struct tf t = { .name = "a" };
	struct ipf_filter f = { .cookie = &t, .name = "a",
	    .ipf_input = tf_input };
	ipfilter_t ref = NULL;

	(void)state;
	assert_int_equal(ipf_addv4(NULL, &ref), EINVAL);
	assert_int_equal(ipf_addv4(&f, NULL), EINVAL);
	f.name = NULL;
	assert_int_equal(ipf_addv4(&f, &ref), EINVAL);
	f.name = "a";
	f.ipf_input = NULL;
	assert_int_equal(ipf_addv6(&f, &ref), EINVAL);
	f.ipf_output = tf_output;
	f.ipf_detach = tf_detach;
	assert_int_equal(ipf_addv6(&f, &ref), 0);
	assert_int_equal(ipf_remove(NULL), EINVAL);
	assert_int_equal(ipf_remove(ref), 0);
	assert_int_equal(atomic_load(&t.detached), 1);
	assert_int_equal(ipf_remove(ref), ENOENT);
	assert_int_equal(atomic_load(&t.detached), 1);
}

static void
test_order_last_attached_first(void **state)
{
	struct tf a = { .name = "a" }, b = { .name = "b" };
	socket_t r = raw(AF_INET, PROTO_EXP);
	uint8_t pkt[64];

	(void)state;
	tf_add(&a, AF_INET);
	tf_add(&b, AF_INET);
	inject(pkt, xk_test_pkt4(pkt, "10.0.0.2", "10.0.0.1", PROTO_EXP, 16, 99));
	assert_int_equal(atomic_load(&ncalls), 2);
	assert_int_equal(call_order[0], 'b');
	assert_int_equal(call_order[1], 'a');
	/* IPv4: once, with the header length and ip_p. */
	assert_int_equal(a.offs[0], 20);
	assert_int_equal(a.protos[0], PROTO_EXP);
	/* The receiving interface, through the interface KPI. */
	assert_string_equal(a.rcvname, "vx");
	assert_int_equal(a.rcvunit, 0);
	assert_int_equal(a.rcvindex, vx0_index);
	assert_int_equal(recv1(r), 36);
	assert_int_equal(ipf_remove(a.ref), 0);
	assert_int_equal(ipf_remove(b.ref), 0);
	sock_close(r);
}

static void
test_input_error_drops_counted(void **state)
{
	struct tf a = { .name = "a", .ret = EPERM };
	socket_t r = raw(AF_INET, PROTO_EXP);
	uint8_t pkt[64];

	(void)state;
	tf_add(&a, AF_INET);
	inject(pkt, xk_test_pkt4(pkt, "10.0.0.2", "10.0.0.1", PROTO_EXP, 16, 99));
	assert_int_equal(recv1(r), -1);
	assert_int_equal(xk_test_stat("ipf.in.dropped"), 1);
	/* One that frees the packet itself and says so with NULL. */
	a.ret = EHOSTUNREACH;
	a.free_it = true;
	inject(pkt, xk_test_pkt4(pkt, "10.0.0.2", "10.0.0.1", PROTO_EXP, 16, 99));
	assert_int_equal(recv1(r), -1);
	assert_int_equal(xk_test_stat("ipf.in.dropped"), 2);
	assert_int_equal(ipf_remove(a.ref), 0);
	sock_close(r);
}

static void
test_take_and_inject_input_resumes_after(void **state)
{
	struct tf a = { .name = "a" }, b = { .name = "b", .take = true };
	socket_t r = raw(AF_INET, PROTO_EXP);
	uint8_t pkt[64];

	(void)state;
	tf_add(&a, AF_INET);		/* runs second */
	tf_add(&b, AF_INET);		/* runs first, takes */
	inject(pkt, xk_test_pkt4(pkt, "10.0.0.2", "10.0.0.1", PROTO_EXP, 16, 99));
	assert_non_null(b.kept);
	assert_int_equal(atomic_load(&a.in_calls), 0);
	assert_int_equal(recv1(r), -1);
	assert_int_equal(xk_test_stat("ipf.in.taken"), 1);
	/* Back after b: a runs, b does not, the socket gets it. */
	b.take = false;
	assert_int_equal(ipf_inject_input(b.kept, b.ref), 0);
	assert_int_equal(atomic_load(&b.in_calls), 1);
	assert_int_equal(atomic_load(&a.in_calls), 1);
	assert_int_equal(recv1(r), 36);
	/* With NULL every filter runs again. */
	b.take = true;
	inject(pkt, xk_test_pkt4(pkt, "10.0.0.2", "10.0.0.1", PROTO_EXP, 16, 99));
	b.take = false;
	assert_int_equal(ipf_inject_input(b.kept, NULL), 0);
	assert_int_equal(atomic_load(&b.in_calls), 3);
	assert_int_equal(atomic_load(&a.in_calls), 2);
	assert_int_equal(recv1(r), 36);
	assert_int_equal(xk_test_stat("ipf.inject.in"), 2);
	assert_int_equal(ipf_remove(a.ref), 0);
	assert_int_equal(ipf_remove(b.ref), 0);
	sock_close(r);
}

static void
test_inject_input_errors(void **state)
{
	mbuf_t m;
	uint8_t junk[20] = { 0x50 };

	(void)state;
	assert_int_equal(ipf_inject_input(NULL, NULL), EINVAL);
	assert_int_equal(mbuf_allocpacket(MBUF_DONTWAIT, sizeof(junk), NULL,
	    &m), 0);
	assert_int_equal(mbuf_copyback(m, 0, sizeof(junk), junk,
	    MBUF_DONTWAIT), 0);
	/* Not IPv4 or IPv6: ENOTSUP, and the packet is still ours. */
	assert_int_equal(ipf_inject_input(m, NULL), ENOTSUP);
	assert_int_equal(ipf_inject_output(NULL, NULL, NULL), EINVAL);
	/* Output always consumes it. */
	assert_int_equal(ipf_inject_output(m, NULL, NULL), ENOTSUP);
}

static void
test_output_take_inject_and_drop(void **state)
{
	struct tf a = { .name = "a", .take = true };
	socket_t r = raw(AF_INET, PROTO_EXP);
	uint8_t cap[256];
	size_t caplen;

	(void)state;
	tf_add(&a, AF_INET);
	assert_int_equal(send_to(r, "10.0.0.9", 10), 0);
	assert_int_equal(atomic_load(&a.out_calls), 1);
	assert_int_equal(xkpi_mem_capture("vx0", cap, sizeof(cap), &caplen),
	    ENOENT);
	assert_int_equal(xk_test_stat("ipf.out.taken"), 1);
	a.take = false;
	assert_int_equal(ipf_inject_output(a.kept, a.ref, NULL), 0);
	assert_int_equal(atomic_load(&a.out_calls), 1);
	assert_int_equal(xkpi_mem_capture("vx0", cap, sizeof(cap), &caplen),
	    0);
	assert_int_equal(caplen, 30);
	/* An error: dropped and counted; nothing leaves. */
	a.ret = EACCES;
	assert_int_equal(send_to(r, "10.0.0.9", 10), 0);
	assert_int_equal(xkpi_mem_capture("vx0", cap, sizeof(cap), &caplen),
	    ENOENT);
	assert_int_equal(xk_test_stat("ipf.out.dropped"), 1);
	assert_int_equal(ipf_remove(a.ref), 0);
	sock_close(r);
}

static void
test_inject_output_no_route(void **state)
{
	uint8_t pkt[64];
	mbuf_t m;
	size_t len = xk_test_pkt4(pkt, "10.0.0.1", "192.0.2.9", PROTO_EXP, 8, 99);

	(void)state;
	assert_int_equal(mbuf_allocpacket(MBUF_DONTWAIT, len, NULL, &m), 0);
	assert_int_equal(mbuf_copyback(m, 0, len, pkt, MBUF_DONTWAIT), 0);
	assert_int_equal(ipf_inject_output(m, NULL, NULL), ENETUNREACH);
	assert_int_equal(xk_test_stat("ipf.inject.failed"), 1);
}

static void
test_remove_inside_callback(void **state)
{
	struct tf a = { .name = "a", .remove_self = true };
	socket_t r = raw(AF_INET, PROTO_EXP);
	uint8_t pkt[64];

	(void)state;
	tf_add(&a, AF_INET);
	inject(pkt, xk_test_pkt4(pkt, "10.0.0.2", "10.0.0.1", PROTO_EXP, 16, 99));
	/* Detached once its callback returned; the packet went on. */
	assert_int_equal(atomic_load(&a.detached), 1);
	assert_int_equal(recv1(r), 36);
	a.remove_self = false;
	inject(pkt, xk_test_pkt4(pkt, "10.0.0.2", "10.0.0.1", PROTO_EXP, 16, 99));
	assert_int_equal(atomic_load(&a.in_calls), 1);
	assert_int_equal(ipf_remove(a.ref), ENOENT);
	sock_close(r);
}

static void
test_filter_changes_length(void **state)
{
	struct tf a = { .name = "a", .trim = true };
	socket_t r = raw(AF_INET, PROTO_EXP);
	uint8_t pkt[64];

	(void)state;
	tf_add(&a, AF_INET);
	inject(pkt, xk_test_pkt4(pkt, "10.0.0.2", "10.0.0.1", PROTO_EXP, 16, 99));
	assert_int_equal(recv1(r), 32);
	assert_int_equal(ipf_remove(a.ref), 0);
	sock_close(r);
}

static void
test_ipv6_once_per_header(void **state)
{
	struct tf a = { .name = "a" };
	socket_t r = raw(AF_INET6, PROTO_EXP);
	uint8_t pkt[128];
	struct ip6_hdr *ip6 = (struct ip6_hdr *)pkt;

	(void)state;
	tf_add(&a, AF_INET6);
	memset(pkt, 0, sizeof(pkt));
	ip6->ip6_vfc = 0x60;
	ip6->ip6_plen = htons(8 + 8 + 8);
	ip6->ip6_nxt = IPPROTO_HOPOPTS;
	ip6->ip6_hlim = 64;
	ip6->ip6_src = xk_test_a6("fd00::2");
	ip6->ip6_dst = xk_test_a6("fd00::1");
	/* Hop-by-hop (8 bytes, PadN), destination options (8), then 253. */
	pkt[40] = IPPROTO_DSTOPTS;
	pkt[41] = 0;
	pkt[42] = 1;
	pkt[43] = 4;
	pkt[48] = PROTO_EXP;
	pkt[49] = 0;
	pkt[50] = 1;
	pkt[51] = 4;
	inject(pkt, 40 + 24);
	assert_int_equal(atomic_load(&a.in_calls), 2);
	assert_int_equal(a.offs[0], 48);
	assert_int_equal(a.protos[0], IPPROTO_DSTOPTS);
	assert_int_equal(a.offs[1], 56);
	assert_int_equal(a.protos[1], PROTO_EXP);
	assert_int_equal(recv1(r), 8);
	assert_int_equal(ipf_remove(a.ref), 0);
	sock_close(r);
}

static void
test_ifnet_kpi(void **state)
{
	uint8_t ll[6] = { 1, 2, 3, 4, 5, 6 };
	ifnet_t ifp = NULL, *list = NULL;
	uint32_t count = 0;

	(void)state;
	assert_int_equal(xkpi_mem_vif_create("mem12", 1280, NULL), 0);
	assert_int_equal(ifnet_find_by_name("nosuch", &ifp), ENXIO);
	assert_null(ifp);
	assert_int_equal(ifnet_find_by_name(NULL, &ifp), EINVAL);
	assert_int_equal(ifnet_find_by_name("mem12", &ifp), 0);
	assert_string_equal(ifnet_name(ifp), "mem");
	assert_int_equal(ifnet_unit(ifp), 12);
	assert_int_equal(ifnet_mtu(ifp), 1280);
	assert_int_equal(ifnet_family(ifp), IFNET_FAMILY_TUN);
	assert_int_equal(ifnet_flags(ifp) & IFF_UP, IFF_UP);
	assert_true(ifnet_index(ifp) != 0);
	/* No link address: only a length of 0 fits. */
	assert_int_equal(ifnet_lladdr_copy_bytes(ifp, ll, sizeof(ll)),
	    EMSGSIZE);
	assert_int_equal(ll[0], 0);
	assert_int_equal(ifnet_lladdr_copy_bytes(ifp, ll, 0), 0);
	assert_int_equal(ifnet_lladdr_copy_bytes(NULL, ll, 0), EINVAL);
	assert_null(ifnet_name(NULL));
	assert_int_equal(ifnet_unit(NULL), 0);
	assert_int_equal(ifnet_list_get(IFNET_FAMILY_ANY, &list, &count), 0);
	assert_int_equal(count, 2);
	assert_null(list[2]);
	ifnet_list_free(list);
	assert_int_equal(ifnet_list_get(IFNET_FAMILY_ETHERNET, &list, &count),
	    0);
	assert_int_equal(count, 0);
	ifnet_list_free(list);
	assert_int_equal(ifnet_list_get(0, NULL, &count), EINVAL);
	/* Detached while referenced: still readable until released. */
	assert_int_equal(ifnet_reference(ifp), 0);
	xkpi_mem_reset();
	assert_string_equal(ifnet_name(ifp), "mem");
	assert_int_equal(ifnet_release(ifp), 0);
	assert_int_equal(ifnet_release(ifp), 0);
	assert_int_equal(ifnet_reference(NULL), EINVAL);
	assert_int_equal(ifnet_release(NULL), EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_add_remove_errors),
		T(test_order_last_attached_first),
		T(test_input_error_drops_counted),
		T(test_take_and_inject_input_resumes_after),
		T(test_inject_input_errors),
		T(test_output_take_inject_and_drop),
		T(test_inject_output_no_route),
		T(test_remove_inside_callback),
		T(test_filter_changes_length),
		T(test_ipv6_once_per_header),
		T(test_ifnet_kpi),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
