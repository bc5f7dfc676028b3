/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * libFuzzer harness: what a divert daemon writes back, and what the rule
 * table makes of what arrives, over the mem backend.
 *
 * Two virtual interfaces (one with a 15-character name, cut in sin_zero),
 * a divert socket on port 5000, a raw socket for every protocol, and a
 * rule table with divert, tee, deny, count and skipto rules in both
 * directions.  Each record of the input (fuzz.h: FZD_*) is a packet that
 * is either injected as received or written back on the divert socket,
 * inward or outward, with the cookie and the interface name the record
 * chooses.  Whatever the bytes, a write-back ends in 0 or one of the
 * errors ip_divert.h names; then every socket and interface is drained,
 * what the divert socket read is written back once (a daemon that
 * reinjects everything), and at the end, once the fragments still
 * waiting for the rest are flushed, not one mbuf, cluster or tag may be
 * alive.  A failed check aborts, which libFuzzer reports as a crash.
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/ip_divert.h>
#include <sys/kpi_mbuf.h>
#include <sys/kpi_socket.h>
#include <xkpi.h>
#include <xkpi_fw.h>
#include <xkpi_mem.h>

#include "core/ip_var.h"
#include "core/mbuf_var.h"
#include "tests/fuzz/fuzz.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_LONGIF	"fzlongname0123"
#define FZ_PORT		5000
#define FZ_MAXREADS	10000	/* reads of one socket per drain */

static struct event_base *fz_base;
static struct xk_mb_live fz_live0;
static socket_t fz_div, fz_raw;
static uint8_t fz_buf[65536];

static const char *const fz_rules[] = {
	"100 count ip from any to any",
	"200 skipto 400 icmp from any to any",
	"300 deny tcp from any to any 7",
	"400 divert 5000 ip from any to 192.0.2.0/24 in recv fz0",
	"500 tee 5000 udp from any to any",
	"600 divert 5000 ip from any to 198.51.100.0/24 out",
	"700 deny ip from 203.0.113.66 to any",
};
static const uint16_t fz_cookies[] = { 0, 100, 400, 500, 600, 700, 1, 65535 };
static const char *const fz_names[] = { "", "fz0", "fzlongn", "bogus" };
static const char *const fz_addrs[] = { "192.0.2.1", "203.0.113.1",
	"198.51.100.7", "10.9.9.9" };

static void
fz_panic(const char *msg, void *ctx)
{
	(void)ctx;
	fprintf(stderr, "fuzz_divert: xkpi panic: %s\n", msg);
	abort();
}

static void
fz_check(bool ok, const char *what, long a, long b)
{
	if (!ok) {
		fprintf(stderr, "fuzz_divert: %s (%ld, %ld)\n", what, a, b);
		abort();
	}
}

static void
fz_addr(const char *ifname, const char *s, unsigned int plen)
{
	struct in_addr a;

	fz_check(inet_pton(AF_INET, s, &a) == 1, "inet_pton", 0, 0);
	fz_check(xkpi_mem_vif_addaddr(ifname, AF_INET, &a, plen) == 0,
	    "xkpi_mem_vif_addaddr", (long)plen, 0);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "mem",
	    .ifaces = "", .log_level = XKPI_LOG_OFF);
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int e;

	(void)argc;
	(void)argv;
	xkpi_set_panic_hook(fz_panic, NULL);
	fz_check(evthread_use_pthreads() == 0, "evthread_use_pthreads", 0, 0);
	fz_base = event_base_new();
	fz_check(fz_base != NULL, "event_base_new", 0, 0);
	e = xkpi_init_with_base(fz_base, &cfg);
	fz_check(e == 0, "xkpi_init_with_base", e, 0);
	fz_check(xkpi_mem_vif_create("fz0", 1500, NULL) == 0, "vif fz0", 0, 0);
	fz_check(xkpi_mem_vif_create(FZ_LONGIF, 576, NULL) == 0, "vif long",
	    0, 0);
	fz_addr("fz0", "192.0.2.1", 24);
	fz_addr("fz0", "198.51.100.1", 24);
	fz_addr(FZ_LONGIF, "203.0.113.1", 24);
	for (size_t i = 0; i < sizeof(fz_rules) / sizeof(fz_rules[0]); i++) {
		e = xkpi_fw_add(fz_rules[i]);
		fz_check(e == 0, "xkpi_fw_add", e, (long)i);
	}
	e = sock_socket(PF_INET, SOCK_RAW, IPPROTO_DIVERT, NULL, NULL,
	    &fz_div);
	fz_check(e == 0, "divert socket", e, 0);
	sin.sin_port = htons(FZ_PORT);
	e = sock_bind(fz_div, (struct sockaddr *)&sin);
	fz_check(e == 0, "divert bind", e, 0);
	e = sock_socket(PF_INET, SOCK_RAW, 0, NULL, NULL, &fz_raw);
	fz_check(e == 0, "raw socket", e, 0);
	event_base_loop(fz_base, EVLOOP_NONBLOCK);
	xk_mb_live(&fz_live0);
	return 0;
}

/* What a write-back may answer: 0 or an error ip_divert.h names. */
static void
fz_check_send(errno_t e)
{
	fz_check(e == 0 || e == EINVAL || e == EADDRNOTAVAIL ||
	    e == ENOBUFS || e == EACCES || e == EHOSTUNREACH ||
	    e == EMSGSIZE, "divert write-back error", e, 0);
}

/* Writes @len bytes back on the divert socket as record @ctl says. */
static void
fz_write(uint8_t ctl, const uint8_t *pkt, size_t len)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct msghdr msg;
	struct iovec iov;
	size_t sent = 0;
	mbuf_t m;
	errno_t e;

	memset(&msg, 0, sizeof(msg));
	if (!(ctl & FZD_NOADDR)) {
		to.sin_port = fz_cookies[FZD_COOKIE(ctl)];
		if (ctl & FZD_IN) {
			fz_check(inet_pton(AF_INET,
			    fz_addrs[FZD_NAME(ctl)], &to.sin_addr) == 1,
			    "inet_pton", 0, 0);
		}
		/* Unterminated when the name fills sin_zero: no name. */
		memcpy(to.sin_zero, fz_names[FZD_NAME(ctl)],
		    strlen(fz_names[FZD_NAME(ctl)]));
		msg.msg_name = &to;
		msg.msg_namelen = sizeof(to);
	}
	if (ctl & FZD_MBUF) {
		e = mbuf_allocpacket(MBUF_DONTWAIT, len > 0 ? len : 1, NULL,
		    &m);
		fz_check(e == 0, "mbuf_allocpacket", e, (long)len);
		if (len > 0) {
			e = mbuf_copyback(m, 0, len, pkt, MBUF_DONTWAIT);
			fz_check(e == 0, "mbuf_copyback", e, (long)len);
		}
		mbuf_pkthdr_setlen(m, len);
		if (len == 0) {
			mbuf_setlen(m, 0);
		}
		e = sock_sendmbuf(fz_div, &msg, m, 0, &sent);
	} else {
		iov.iov_base = (void *)(uintptr_t)pkt;
		iov.iov_len = len;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		e = sock_send(fz_div, &msg, 0, &sent);
	}
	fz_check_send(e);
}

/* Reads every queued datagram of @so; @reinject writes each back. */
static void
fz_drain(socket_t so, bool reinject)
{
	for (int n = 0; n < FZ_MAXREADS; n++) {
		struct sockaddr_in from;
		struct msghdr msg;
		size_t got = 1 << 17;
		mbuf_t m = NULL;
		errno_t e;

		memset(&msg, 0, sizeof(msg));
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		e = sock_receivembuf(so, &msg, &m, MSG_DONTWAIT, &got);
		if (e == EWOULDBLOCK) {
			return;
		}
		fz_check(e == 0, "receive", e, 0);
		if (!reinject) {
			mbuf_freem(m);
			continue;
		}
		fz_check(from.sin_family == AF_INET, "divert source family",
		    from.sin_family, 0);
		fz_check(from.sin_zero[sizeof(from.sin_zero) - 1] == '\0',
		    "sin_zero unterminated", 0, 0);
		/* The same mbuf back, as read: it resumes after its rule. */
		fz_check_send(sock_sendmbuf(so, &msg, m, 0, &got));
	}
	fz_check(false, "socket never drained", 0, 0);
}

static void
fz_capture_drain(const char *ifname)
{
	size_t len;

	for (int n = 0; n < FZ_MAXREADS; n++) {
		if (xkpi_mem_capture(ifname, fz_buf, sizeof(fz_buf), &len) ==
		    ENOENT) {
			return;
		}
	}
	fz_check(false, "capture never drained", 0, 0);
}

/* The loop, the sockets, the interfaces: until nothing moves. */
static void
fz_settle(bool reinject)
{
	for (int i = 0; i < 4; i++) {
		event_base_loop(fz_base, EVLOOP_NONBLOCK);
		fz_drain(fz_div, reinject && i == 0);
		fz_drain(fz_raw, false);
	}
	fz_capture_drain("fz0");
	fz_capture_drain(FZ_LONGIF);
	event_base_loop(fz_base, EVLOOP_NONBLOCK);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xk_mb_live live;
	size_t off = 0;

	while (off + 3 <= size) {
		uint8_t ctl = data[off];
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
		uint8_t *pkt = fz_buf;

		off += 3;
		if (len > size - off) {
			len = size - off;
		}
		memcpy(pkt, data + off, len);
		off += len;
		if ((ctl & FZD_FIXSUM) && len >= 20 && (pkt[0] >> 4) == 4) {
			fz_fix_cksums(pkt, len, 0);
		}
		if (ctl & FZD_INJECT) {
			if (len > 0) {
				(void)xkpi_mem_inject(FZD_NAME(ctl) & 1 ?
				    FZ_LONGIF : "fz0", pkt, len);
			}
		} else {
			/* fz_buf is reused by the drains: write first. */
			fz_write(ctl, pkt, len);
		}
		fz_settle((ctl & FZD_REINJECT) != 0);
	}
	fz_settle(false);
	/* Fragments still waiting for the rest go, as in fuzz_input. */
	if (xk_ip_frag_queues() != 0) {
		xk_ip_frag_close();
		fz_check(xk_ip_frag_open(fz_base) == 0, "xk_ip_frag_open", 0,
		    0);
	}
	xk_mb_live(&live);
	fz_check(live.mbufs == fz_live0.mbufs, "mbufs alive after the input",
	    (long)live.mbufs, (long)fz_live0.mbufs);
	fz_check(live.clusters == fz_live0.clusters,
	    "clusters alive after the input", (long)live.clusters,
	    (long)fz_live0.clusters);
	fz_check(live.tags == fz_live0.tags, "tags alive after the input",
	    (long)live.tags, (long)fz_live0.tags);
	return 0;
}
