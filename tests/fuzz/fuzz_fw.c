/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * libFuzzer harness: the rule table (<xkpi_fw.h>).
 *
 * The input is rule text up to its first NUL byte, one rule a line, then
 * packet records (fuzz.h: FZF_*).  Each line goes to xkpi_fw_add(), which
 * must answer 0, adding exactly one rule and logging nothing, or EINVAL,
 * leaving the table as it was and logging exactly one line.  The table
 * is then listed, flushed and built again from its own listing ("NUM
 * text" each), which must give back the same listing.  Each packet goes
 * through xk_fw_check_locked(), which must leave it unchanged and answer
 * with a rule of the table (or 0) and a port exactly for divert and tee;
 * packets counted on the rules and the default must add up to at least
 * the packets checked.  Then every number is deleted (0, then ENOENT),
 * and nothing may be left alive.  A failed check aborts.
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/kpi_mbuf.h>
#include <xkpi.h>
#include <xkpi_fw.h>
#include <xkpi_mem.h>

#include "core/fw_var.h"
#include "core/if_var.h"
#include "core/mbuf_var.h"
#include "core/socket_var.h"
#include "tests/fuzz/fuzz.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_MAXLINES	256
#define FZ_MAXLINE	1024
#define FZ_MAXROWS	(FZ_MAXLINES + 1)

static const char *const fz_ifs[] = { "fz0", "fz1", NULL, NULL };

struct fz_row {
	unsigned int	 num;
	char		 text[FZ_MAXLINE + 64];
	uint64_t	 packets;
};

struct fz_rows {
	unsigned int	 n;
	struct fz_row	 r[FZ_MAXROWS];
};

static struct fz_rows fz_a, fz_b;
static int fz_logs;
static char fz_lastlog[600];
static struct xk_mb_live fz_live0;
static struct event_base *fz_base;

static void
fz_fail(const char *what, long a, long b)
{
	fprintf(stderr, "fuzz_fw: %s (%ld, %ld)\n", what, a, b);
	abort();
}

static void
fz_check(bool ok, const char *what, long a, long b)
{
	if (!ok) {
		fz_fail(what, a, b);
	}
}

static void
fz_log(int level, const char *msg, void *ctx)
{
	(void)level;
	(void)ctx;
	fz_logs++;
	snprintf(fz_lastlog, sizeof(fz_lastlog), "%s", msg);
}

static void
fz_panic(const char *msg, void *ctx)
{
	(void)ctx;
	fprintf(stderr, "fuzz_fw: panic: %s\n", msg);
	abort();
}

static void
fz_row(unsigned int num, const char *text, uint64_t packets,
    uint64_t bytes, void *ctx)
{
	struct fz_rows *rows = ctx;
	struct fz_row *r;

	(void)bytes;
	fz_check(rows->n < FZ_MAXROWS, "too many rows", rows->n, 0);
	fz_check(strlen(text) < sizeof(r->text), "row text too long",
	    (long)strlen(text), 0);
	r = &rows->r[rows->n++];
	r->num = num;
	r->packets = packets;
	strcpy(r->text, text);
}

static void
fz_list(struct fz_rows *rows)
{
	rows->n = 0;
	fz_check(xkpi_fw_list(fz_row, rows) == 0, "xkpi_fw_list", 0, 0);
	fz_check(rows->n >= 1 && rows->r[rows->n - 1].num == 65535,
	    "no default rule last", rows->n, 0);
	for (unsigned int i = 1; i < rows->n; i++) {
		fz_check(rows->r[i - 1].num <= rows->r[i].num,
		    "rules out of order", rows->r[i - 1].num, rows->r[i].num);
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "mem",
	    .ifaces = "");
	struct in_addr a;
	struct in6_addr a6;
	int e;

	(void)argc;
	(void)argv;
	xkpi_set_panic_hook(fz_panic, NULL);
	xkpi_set_log_hook(fz_log, NULL);
	/* A base nobody runs: no loop thread, nothing for leak checkers. */
	fz_check(evthread_use_pthreads() == 0, "evthread_use_pthreads", 0, 0);
	fz_check((fz_base = event_base_new()) != NULL, "event_base_new", 0,
	    0);
	e = xkpi_init_with_base(fz_base, &cfg);
	fz_check(e == 0, "xkpi_init_with_base", e, 0);
	fz_check(xkpi_mem_vif_create("fz0", 1500, NULL) == 0, "vif fz0", 0, 0);
	fz_check(xkpi_mem_vif_create("fz1", 1500, NULL) == 0, "vif fz1", 0, 0);
	memset(&a, 0, sizeof(a));
	a.s_addr = htonl(0xc0000201);		/* 192.0.2.1 */
	fz_check(xkpi_mem_vif_addaddr("fz0", AF_INET, &a, 24) == 0,
	    "addr fz0", 0, 0);
	memset(&a6, 0, sizeof(a6));
	a6.s6_addr[0] = 0x20;
	a6.s6_addr[1] = 0x01;
	a6.s6_addr[2] = 0x0d;
	a6.s6_addr[3] = 0xb8;
	a6.s6_addr[15] = 1;			/* 2001:db8::1 */
	fz_check(xkpi_mem_vif_addaddr("fz1", AF_INET6, &a6, 64) == 0,
	    "addr fz1", 0, 0);
	xk_mb_live(&fz_live0);
	return 0;
}

/* Adds one rule; the table and the log must say what the answer says. */
static void
fz_add(const char *line)
{
	unsigned int before;
	errno_t e;

	fz_list(&fz_a);
	before = fz_a.n;
	fz_logs = 0;
	e = xkpi_fw_add(line);
	fz_list(&fz_a);
	if (e == 0) {
		fz_check(fz_a.n == before + 1, "added, not one more rule",
		    before, fz_a.n);
		fz_check(fz_logs == 0, "added, and logged", fz_logs, 0);
	} else {
		fz_check(e == EINVAL, "neither 0 nor EINVAL", e, 0);
		fz_check(fz_a.n == before, "refused, but the table changed",
		    before, fz_a.n);
		fz_check(fz_logs == 1, "refused, not one log line", fz_logs,
		    0);
		fz_check(strncmp(fz_lastlog, "xkpi_fw_add: \"", 14) == 0 &&
		    strchr(fz_lastlog, '\n') == NULL, "log line", 0, 0);
	}
}

/* The table rebuilt from its own listing is the same table. */
static void
fz_roundtrip(void)
{
	char line[FZ_MAXLINE + 80];

	fz_list(&fz_a);
	fz_check(xkpi_fw_flush() == 0, "flush", 0, 0);
	for (unsigned int i = 0; i + 1 < fz_a.n; i++) {
		errno_t e;

		snprintf(line, sizeof(line), "%u %s", fz_a.r[i].num,
		    fz_a.r[i].text);
		if ((e = xkpi_fw_add(line)) != 0) {
			fprintf(stderr, "fuzz_fw: \"%s\" refused\n", line);
			fz_fail("a listed rule does not parse", e, i);
		}
	}
	fz_list(&fz_b);
	fz_check(fz_a.n == fz_b.n, "listing changed size", fz_a.n, fz_b.n);
	for (unsigned int i = 0; i < fz_a.n; i++) {
		if (fz_a.r[i].num != fz_b.r[i].num ||
		    strcmp(fz_a.r[i].text, fz_b.r[i].text) != 0) {
			fprintf(stderr, "fuzz_fw: \"%u %s\" became \"%u %s\"\n",
			    fz_a.r[i].num, fz_a.r[i].text, fz_b.r[i].num,
			    fz_b.r[i].text);
			fz_fail("listing changed", i, 0);
		}
	}
}

/* Runs one packet (false: none to run); checks the answer. */
static bool
fz_packet(uint8_t ctl, const uint8_t *p, size_t len)
{
	struct xk_fw_args a = { .fa_out = (ctl & FZF_OUT) != 0 };
	const char *ifname = fz_ifs[FZF_IF(ctl)];
	enum xk_fw_action act;
	struct xk_fw_result r;
	uint8_t back[FZF_MAXPKT];
	struct __mbuf *m;
	bool known = false;

	fz_list(&fz_a);
	if ((ctl & FZF_AFTER) != 0) {
		a.fa_after = (uint16_t)fz_a.r[(ctl >> 4) % fz_a.n].num;
	}
	if (len == 0 || (m = xk_m_devget(p, len)) == NULL) {
		return false;
	}
	a.fa_m = m;
	xk_core_lock();
	a.fa_ifp = ifname != NULL ? xk_if_byname_locked(ifname) : NULL;
	act = xk_fw_check_locked(&a, &r);
	xk_core_unlock();
	fz_check(xk_m_length(m) == len, "packet length changed", len, 0);
	fz_check(xk_m_copydata(m, 0, len, back) == 0 &&
	    memcmp(back, p, len) == 0, "packet changed", 0, 0);
	xk_m_freem(m);
	fz_check(act <= XK_FW_TEE, "action", act, 0);
	fz_check((r.fr_port != 0) == (act == XK_FW_DIVERT || act == XK_FW_TEE),
	    "port without divert or tee", act, r.fr_port);
	if (r.fr_rule == 0) {
		return true;
	}
	fz_check(r.fr_rule > a.fa_after, "rule before the resume point",
	    r.fr_rule, a.fa_after);
	for (unsigned int i = 0; i + 1 < fz_a.n; i++) {
		known |= fz_a.r[i].num == r.fr_rule;
	}
	fz_check(known, "answer names no rule", r.fr_rule, 0);
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t tlen = nul != NULL ? (size_t)(nul - data) : size, off;
	char line[FZ_MAXLINE + 1];
	uint64_t counted = 0, before = 0;
	unsigned int nlines = 0, npkts = 0;
	struct xk_mb_live live;

	fz_check(xkpi_fw_flush() == 0, "flush", 0, 0);
	/* Rules, a line each. */
	for (size_t i = 0; i < tlen && nlines < FZ_MAXLINES; nlines++) {
		const uint8_t *nl = memchr(data + i, '\n', tlen - i);
		size_t end = nl != NULL ? (size_t)(nl - data) : tlen;
		size_t n = end - i < FZ_MAXLINE ? end - i : FZ_MAXLINE;

		memcpy(line, data + i, n);
		line[n] = '\0';
		fz_add(line);
		i = end + 1;
	}
	fz_roundtrip();
	fz_list(&fz_a);
	for (unsigned int i = 0; i < fz_a.n; i++) {
		before += fz_a.r[i].packets;
	}
	/* Packets. */
	for (off = tlen + 1; nul != NULL && off + 3 <= size;) {
		uint8_t ctl = data[off];
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];

		off += 3;
		if (len > size - off) {
			len = size - off;
		}
		if (len > FZF_MAXPKT) {
			len = FZF_MAXPKT;
		}
		npkts += fz_packet(ctl, data + off, len);
		off += len;
	}
	/* Each packet checked counted once at least (where it ended). */
	fz_list(&fz_a);
	for (unsigned int i = 0; i < fz_a.n; i++) {
		counted += fz_a.r[i].packets;
	}
	fz_check(counted >= before + npkts, "packets not counted",
	    (long)counted, (long)(before + npkts));
	/* Deleting: every number once, then ENOENT. */
	for (unsigned int i = 0; i + 1 < fz_a.n; i++) {
		errno_t e = xkpi_fw_delete(fz_a.r[i].num);

		if (i > 0 && fz_a.r[i - 1].num == fz_a.r[i].num) {
			fz_check(e == ENOENT, "second delete", e, 0);
		} else {
			fz_check(e == 0, "delete", e, fz_a.r[i].num);
		}
	}
	fz_list(&fz_a);
	fz_check(fz_a.n == 1, "rules left after deleting them all", fz_a.n,
	    0);
	xk_mb_live(&live);
	fz_check(live.mbufs == fz_live0.mbufs && live.clusters ==
	    fz_live0.clusters, "mbufs left alive", (long)live.mbufs,
	    (long)fz_live0.mbufs);
	return 0;
}
