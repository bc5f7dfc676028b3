/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The protocol switch: (domain, type, protocol) to one entry, with XNU's
 * socreate errors.  A new protocol is one table and one line here.
 */
#include "core/xk.h"

#include <errno.h>
#include <sys/socket.h>

#include "core/socket_var.h"

static const struct {
	const struct xk_protosw	*tab;
	const size_t		*n;
} tables[] = {
	{ xk_host_protosw, &xk_host_nprotosw },
	/* Before raw IPv4, whose wildcard would take its number. */
	{ xk_div_protosw, &xk_div_nprotosw },
	{ xk_rip_protosw, &xk_rip_nprotosw },
	/* Before raw IPv6, whose wildcard would take SeND's number. */
	{ xk_send_protosw, &xk_send_nprotosw },
	{ xk_rip6_protosw, &xk_rip6_nprotosw },
};

static bool
domain_known(int domain)
{
	return domain == AF_INET || domain == AF_INET6 || domain == AF_UNIX;
}

int
xk_pr_find(int domain, int type, int protocol, const struct xk_protosw **prp)
{
	bool proto_seen = false;

	if (!domain_known(domain)) {
		return EAFNOSUPPORT;
	}
	for (size_t t = 0; t < G_N_ELEMENTS(tables); t++) {
		for (size_t i = 0; i < *tables[t].n; i++) {
			const struct xk_protosw *pr = &tables[t].tab[i];

			if (pr->pr_domain != domain) {
				continue;
			}
			/* XNU's pffindproto: the raw wildcard serves raw only. */
			if (pr->pr_protocol == XK_PR_ANY) {
				if (pr->pr_type == type) {
					*prp = pr;
					return 0;
				}
				continue;
			}
			/* Raw protocol 0 is the wildcard's, never divert's. */
			if ((protocol == 0 && pr->pr_type != SOCK_RAW) ||
			    pr->pr_protocol == protocol) {
				if (pr->pr_type == type) {
					*prp = pr;
					return 0;
				}
				if (protocol != 0) {
					proto_seen = true;
				}
			}
		}
	}
	/* XNU: the protocol exists, with another type. */
	return proto_seen ? EPROTOTYPE : EPROTONOSUPPORT;
}
