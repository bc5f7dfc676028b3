/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * xkpi_stats and xkpi_pcblist: every counter by name and every socket,
 * copied under the core lock, then handed to the caller without it.
 */
#include "core/xk.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sys/kpi_mbuf.h>
#include <xkpi.h>

#include "backends/backend.h"
#include "core/if_var.h"
#include "core/ip_var.h"
#include "core/ipf_var.h"
#include "core/socket_var.h"

struct stat_row {
	char		name[48 + IF_NAMESIZE];
	uint64_t	value;
};

static void
row(GArray *rows, uint64_t value, const char *fmt, ...)
{
	struct stat_row r;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r.name, sizeof(r.name), fmt, ap);
	va_end(ap);
	r.value = value;
	g_array_append_val(rows, r);
}

static void
if_rows(struct __ifnet *ifp, void *ctx)
{
	GArray *rows = ctx;

	row(rows, ifp->if_ipackets, "if.%s.ipackets", ifp->if_name);
	row(rows, ifp->if_opackets, "if.%s.opackets", ifp->if_name);
	row(rows, ifp->if_oerrors, "if.%s.oerrors", ifp->if_name);
	row(rows, ifp->if_oqdrops, "if.%s.oqdrops", ifp->if_name);
}

static void
div_row(void *ctx, const char *name, uint64_t value)
{
	row(ctx, value, "%s", name);
}

static void
be_row(void *ctx, const char *name, uint64_t value)
{
	row(ctx, value, "be.%s", name);
}

XK_EXPORT errno_t
xkpi_stats(xkpi_stat_fn fn, void *ctx)
{
	const struct xk_ip_stats *s = &xk_ipstat;
	struct xk_backend *be;
	struct mbuf_stat mst;
	GArray *rows;

	if (fn == NULL) {
		return EINVAL;
	}
	rows = g_array_new(FALSE, FALSE, sizeof(struct stat_row));
	mbuf_stats(&mst);
	xk_core_lock();
	row(rows, s->ips_total, "ip.in");
	for (int i = 1; i < XK_IPDROP_COUNT; i++) {
		row(rows, s->ips_drop[i], "ip.drop.%s", xk_ipdrop_name(i));
	}
	row(rows, s->ips_delivered, "ip.delivered");
	row(rows, s->ips_noproto, "ip.noproto");
	row(rows, s->ips_rawfull, "ip.rawfull");
	row(rows, s->ips_rawnomem, "ip.rawnomem");
	row(rows, s->ips_rawdropped, "ip.rawdropped");
	row(rows, s->ips_notforus, "ip.notforus");
	row(rows, s->ips_hostproto, "ip.hostproto");
	row(rows, s->ips_outseen, "ip.outseen");
	row(rows, s->ips_badfamily, "ip.badfamily");
	row(rows, s->ips_localout, "ip.out");
	row(rows, s->ips_direct, "ip.out.direct");
	row(rows, s->ips_noroute, "ip.noroute");
	row(rows, s->ips_cantfrag, "ip.cantfrag");
	row(rows, s->ips_oerrors, "ip.oerrors");
	row(rows, s->ips_fragments, "ip.frag.in");
	row(rows, s->ips_reassembled, "ip.frag.reassembled");
	row(rows, s->ips_fragdropped, "ip.frag.dropped");
	row(rows, s->ips_fragtimeout, "ip.frag.timeout");
	row(rows, s->ips_ofragments, "ip.frag.out");
	row(rows, s->ips_fragmented, "ip.frag.fragmented");
	row(rows, s->ips_odropped, "ip.frag.odropped");
	row(rows, s->ip6s_total, "ip6.in");
	for (int i = 1; i < XK_IPDROP_COUNT; i++) {
		row(rows, s->ip6s_drop[i], "ip6.drop.%s", xk_ipdrop_name(i));
	}
	row(rows, s->ip6s_delivered, "ip6.delivered");
	row(rows, s->ip6s_noproto, "ip6.noproto");
	row(rows, s->ip6s_notforus, "ip6.notforus");
	row(rows, s->ip6s_badsum, "ip6.badsum");
	row(rows, s->ip6s_fullsock, "ip6.fullsock");
	row(rows, s->ip6s_rawnomem, "ip6.rawnomem");
	row(rows, s->ip6s_rawdropped, "ip6.rawdropped");
	row(rows, s->ip6s_noroute, "ip6.noroute");
	row(rows, s->ip6s_cantfrag, "ip6.cantfrag");
	row(rows, s->ip6s_localout, "ip6.out");
	row(rows, s->ip6s_direct, "ip6.out.direct");
	row(rows, s->ip6s_fragments, "ip6.frag.in");
	row(rows, s->ip6s_reassembled, "ip6.frag.reassembled");
	row(rows, s->ip6s_fragdropped, "ip6.frag.dropped");
	row(rows, s->ip6s_fragtimeout, "ip6.frag.timeout");
	row(rows, s->ip6s_atomicfrags, "ip6.frag.atomic");
	row(rows, s->ip6s_ofragments, "ip6.frag.out");
	row(rows, s->ip6s_fragmented, "ip6.frag.fragmented");
	row(rows, s->ip6s_odropped, "ip6.frag.odropped");
	row(rows, s->ips_fwdeny, "ip.fw.deny");
	row(rows, s->ip6s_fwdeny, "ip6.fw.deny");
	row(rows, s->ip6s_fwdivskip, "ip6.fw.divertskipped");
	row(rows, s->ips_heldfrag, "ip.frag.held");
	row(rows, s->ip6s_heldfrag, "ip6.frag.held");
	row(rows, s->ips_verdictlate, "ip.verdict.late");
	row(rows, s->ips_verdictnomem, "ip.verdict.nomem");
	row(rows, s->ips_injectfail, "ip.inject.failed");
	row(rows, s->ip6s_icmp6filtered, "ip6.icmp6filtered");
	row(rows, s->ips_mcastnomember, "ip.mcast.notmember");
	row(rows, s->ip6s_mcastnomember, "ip6.mcast.notmember");
	row(rows, s->ips_mcastloop, "ip.mcast.looped");
	row(rows, s->ip6s_mcastloop, "ip6.mcast.looped");
	xk_div_stats_rows_locked(div_row, rows);
	xk_send_stats_rows_locked(div_row, rows);
	xk_ipf_stats_rows(div_row, rows);
	xk_if_foreach_locked(if_rows, rows);
	be = xk_engine_backend();
	if (be != NULL && be->be_ops->be_stats != NULL) {
		be->be_ops->be_stats(be, be_row, rows);
	}
	row(rows, xk_host_stats.rx_full, "host.rx_full");
	row(rows, xk_host_stats.rx_nomem, "host.rx_nomem");
	row(rows, xk_host_stats.accept_fail, "host.accept_fail");
	row(rows, xk_host_stats.tx_lost, "host.tx_lost");
	row(rows, xk_so_stats.upcalls, "so.upcalls");
	row(rows, xk_so_stats.events, "so.events");
	row(rows, xk_so_stats.rcv_full, "so.rcv_full");
	xk_core_unlock();
	row(rows, mst.drops, "mbuf.drops");
	row(rows, xk_mb_limit_drops(), "mbuf.limit");
	for (guint i = 0; i < rows->len; i++) {
		struct stat_row *r = &g_array_index(rows, struct stat_row, i);

		fn(r->name, r->value, ctx);
	}
	g_array_free(rows, TRUE);
	return 0;
}

static void
pcb_row(struct __socket *so, void *ctx)
{
	GArray *pcbs = ctx;
	struct xkpi_pcb p;
	socklen_t len;

	memset(&p, 0, sizeof(p));
	p.xp_domain = so->so_domain;
	p.xp_type = so->so_type;
	p.xp_protocol = so->so_protocol;
	p.xp_state = so->so_state;
	p.xp_rcv_cc = xk_sb_datalen(&so->so_rcv);
	p.xp_rcv_hiwat = so->so_rcv.sb_hiwat;
	p.xp_snd_cc = xk_sb_datalen(&so->so_snd);
	p.xp_snd_hiwat = so->so_snd.sb_hiwat;
	p.xp_retaincnt = so->so_retaincnt;
	if (!(so->so_flags & SOF_DETACHED)) {
		if (so->so_proto->pr_sockaddr(so, &p.xp_laddr, &len) != 0) {
			memset(&p.xp_laddr, 0, sizeof(p.xp_laddr));
		}
		if (!(so->so_state & SS_ISCONNECTED) ||
		    so->so_proto->pr_peeraddr(so, &p.xp_faddr, &len) != 0) {
			memset(&p.xp_faddr, 0, sizeof(p.xp_faddr));
		}
	}
	g_array_append_val(pcbs, p);
}

XK_EXPORT errno_t
xkpi_pcblist(xkpi_pcb_fn fn, void *ctx)
{
	GArray *pcbs;

	if (fn == NULL) {
		return EINVAL;
	}
	pcbs = g_array_new(FALSE, FALSE, sizeof(struct xkpi_pcb));
	xk_core_lock();
	xk_so_foreach_locked(pcb_row, pcbs);
	xk_core_unlock();
	for (guint i = 0; i < pcbs->len; i++) {
		fn(&g_array_index(pcbs, struct xkpi_pcb, i), ctx);
	}
	g_array_free(pcbs, TRUE);
	return 0;
}
