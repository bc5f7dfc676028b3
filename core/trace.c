/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * XKPI_LOG=debug: a log line for every packet that enters the engine,
 * naming the counters it moved (which are the engine's decision:
 * ip6.delivered, ip.noproto, ip.drop.badsum, ip.fw.deny, ...), for every
 * packet handed to the backend to send, with what became of it, and for
 * every verdict on a held packet.
 *
 * Installed when the engine starts at the debug level, by putting these
 * functions in front of the backend's entry points (its input callback,
 * be_output, be_verdict); the packet path itself does not change.  At
 * that level the engine takes its input one packet at a time, reading
 * every counter (xkpi_stats()) before and after: slow, and for reading
 * only.  A counter that another thread moved meanwhile (a send) shows
 * in the line too.
 */
#include "core/xk.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <sys/kpi_mbuf.h>
#include <xkpi.h>

#include "backends/backend.h"
#include "core/if_var.h"
#include "core/ip_var.h"
#include "core/socket_var.h"

static xk_be_input_t *trace_input_next;
static const struct xk_backend_ops *trace_ops_next;
static struct xk_backend_ops trace_ops;

struct trace_row {
	char		name[64];
	uint64_t	value;
};

static void
trace_row_add(const char *name, uint64_t value, void *ctx)
{
	struct trace_row r;

	g_strlcpy(r.name, name, sizeof(r.name));
	r.value = value;
	g_array_append_val((GArray *)ctx, r);
}

static GArray *
trace_counters(void)
{
	GArray *rows = g_array_new(FALSE, FALSE, sizeof(struct trace_row));

	(void)xkpi_stats(trace_row_add, rows);
	return rows;
}

/* "name +N, ..." for every counter that grew from @before to @after. */
static void
trace_moved(const GArray *before, const GArray *after, GString *out)
{
	for (guint i = 0; i < after->len; i++) {
		const struct trace_row *a = &g_array_index(after,
		    struct trace_row, i);
		uint64_t was = 0;

		/* The same order unless an interface came or went. */
		if (i < before->len && strcmp(g_array_index(before,
		    struct trace_row, i).name, a->name) == 0) {
			was = g_array_index(before, struct trace_row, i).value;
		} else {
			for (guint j = 0; j < before->len; j++) {
				if (strcmp(g_array_index(before,
				    struct trace_row, j).name, a->name) == 0) {
					was = g_array_index(before,
					    struct trace_row, j).value;
					break;
				}
			}
		}
		if (a->value > was) {
			g_string_append_printf(out, "%s%s +%" G_GUINT64_FORMAT,
			    out->len > 0 ? ", " : "", a->name,
			    (guint64)(a->value - was));
		}
	}
}

/*
 * "IPv6 fe80::1 > ff02::1 icmp6 type 134 len 64": what the first bytes
 * of packet @m say.
 */
static void
trace_describe(mbuf_t m, char *buf, size_t size)
{
	uint8_t h[68];
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	size_t len = mbuf_pkthdr_len(m), have = MIN(len, sizeof(h));
	unsigned int hl, proto;

	if (have == 0 || mbuf_copydata(m, 0, have, h) != 0) {
		snprintf(buf, size, "len %zu", len);
		return;
	}
	if ((h[0] >> 4) == 4 && have >= 20) {
		hl = (h[0] & 0x0fu) * 4;
		proto = h[9];
		inet_ntop(AF_INET, h + 12, src, sizeof(src));
		inet_ntop(AF_INET, h + 16, dst, sizeof(dst));
		if (proto == IPPROTO_ICMP && hl >= 20 && have > hl) {
			snprintf(buf, size, "IPv4 %s > %s icmp type %u len %zu",
			    src, dst, h[hl], len);
		} else {
			snprintf(buf, size, "IPv4 %s > %s proto %u len %zu", src,
			    dst, proto, len);
		}
	} else if ((h[0] >> 4) == 6 && have >= 40) {
		proto = h[6];
		inet_ntop(AF_INET6, h + 8, src, sizeof(src));
		inet_ntop(AF_INET6, h + 24, dst, sizeof(dst));
		if (proto == IPPROTO_ICMPV6 && have > 40) {
			snprintf(buf, size, "IPv6 %s > %s icmp6 type %u len %zu",
			    src, dst, h[40], len);
		} else {
			snprintf(buf, size, "IPv6 %s > %s next %u len %zu", src,
			    dst, proto, len);
		}
	} else {
		snprintf(buf, size, "version %u len %zu", h[0] >> 4, len);
	}
}

/* The name of the interface of @index (the core lock held or not). */
static void
trace_ifname(uint32_t index, char *buf, size_t size)
{
	struct __ifnet *ifp;
	bool held = xk_core_owned();

	if (!held) {
		xk_core_lock();
	}
	ifp = xk_if_byindex_locked(index);
	if (ifp != NULL) {
		g_strlcpy(buf, ifp->if_name, size);
	} else {
		snprintf(buf, size, "index %u", index);
	}
	if (!held) {
		xk_core_unlock();
	}
}

static void
trace_input(struct xk_backend *be, struct xk_be_pkt *pkts, unsigned int n)
{
	char desc[160], ifname[IF_NAMESIZE + 8];
	GArray *before, *after;
	GString *moved;

	for (unsigned int i = 0; i < n; i++) {
		trace_describe(pkts[i].bp_m, desc, sizeof(desc));
		trace_ifname(pkts[i].bp_ifindex, ifname, sizeof(ifname));
		if (xk_core_owned()) {
			/* xkpi_stats() would deadlock: the packet alone. */
			trace_input_next(be, &pkts[i], 1);
			xk_log(XKPI_LOG_DEBUG, "%s %s: %s",
			    pkts[i].bp_dir == XK_DIR_OUT ? "seen out" : "in",
			    ifname, desc);
			continue;
		}
		before = trace_counters();
		trace_input_next(be, &pkts[i], 1);
		after = trace_counters();
		moved = g_string_new(NULL);
		trace_moved(before, after, moved);
		xk_log(XKPI_LOG_DEBUG, "%s %s: %s: %s",
		    pkts[i].bp_dir == XK_DIR_OUT ? "seen out" : "in", ifname,
		    desc, moved->len > 0 ? moved->str : "no counter moved");
		g_string_free(moved, TRUE);
		g_array_free(before, TRUE);
		g_array_free(after, TRUE);
	}
}

/* Core lock held (be_output's contract). */
static void
trace_output(struct xk_backend *be, struct xk_be_pkt *pkts, unsigned int n,
    unsigned int *sent)
{
	char (*desc)[160], ifname[IF_NAMESIZE + 8];

	/* The packets are the backend's once handed over: describe first. */
	desc = g_try_malloc_n(n > 0 ? n : 1, sizeof(*desc));
	for (unsigned int i = 0; i < n && desc != NULL; i++) {
		trace_describe(pkts[i].bp_m, desc[i], sizeof(desc[i]));
	}
	trace_ops_next->be_output(be, pkts, n, sent);
	for (unsigned int i = 0; i < n; i++) {
		trace_ifname(pkts[i].bp_ifindex, ifname, sizeof(ifname));
		xk_log(XKPI_LOG_DEBUG, "out %s: %s: %s", ifname,
		    desc != NULL ? desc[i] : "(no memory to describe it)",
		    pkts[i].bp_error == 0 ? "handed to the backend" :
		    strerror(pkts[i].bp_error));
	}
	g_free(desc);
}

static int
trace_verdict(struct xk_backend *be, uint64_t hold, enum xk_verdict verdict,
    struct __mbuf *m)
{
	int error;

	error = trace_ops_next->be_verdict(be, hold, verdict, m);
	xk_log(XKPI_LOG_DEBUG, "verdict on held packet %" G_GUINT64_FORMAT
	    ": %s%s%s", (guint64)hold, verdict == XK_VERDICT_ACCEPT ?
	    "accept" : "drop", m != NULL ? " with new bytes" : "",
	    error == ENOENT ? " (no longer held)" : "");
	return error;
}

void
xk_trace_attach(void)
{
	struct xk_backend *be = xk_engine_backend();

	if (be == NULL || be->be_ops == &trace_ops) {
		return;
	}
	trace_ops_next = be->be_ops;
	trace_ops = *be->be_ops;
	trace_ops.be_output = trace_output;
	if (trace_ops.be_verdict != NULL) {
		trace_ops.be_verdict = trace_verdict;
	}
	trace_input_next = be->be_input;
	be->be_input = trace_input;
	be->be_ops = &trace_ops;
}
