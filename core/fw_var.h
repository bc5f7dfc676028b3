/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The rule table (core/fw.c): ipfw(8)'s `add` syntax, a subset, run by the
 * engine at IPv4 and IPv6 input (after reassembly) and output.  The public
 * calls are in <xkpi_fw.h>; this is what the packet path asks.
 *
 * Locking: the table is guarded by the core lock.  Functions named
 * *_locked expect it held; xkpi_fw_* take it themselves.
 */
#ifndef _XK_CORE_FW_VAR_H_
#define _XK_CORE_FW_VAR_H_

#include <stdbool.h>
#include <stdint.h>

#include <sys/kernel_types.h>

/* What the table decided for a packet. */
enum xk_fw_action {
	XK_FW_PASS = 0,		/* an allow rule, or no rule and default pass */
	XK_FW_DENY,		/* a deny rule, or no rule and default deny */
	XK_FW_DIVERT,		/* give it to divert port fr_port; stop */
	XK_FW_TEE		/* give a copy to fr_port; go on after fr_rule */
};

/* The packet the table looks at. */
struct xk_fw_args {
	struct __mbuf	*fa_m;		/* IPv4 or IPv6 packet, network order,
					   whole (not a fragment); not changed */
	bool		 fa_out;	/* output path (else input) */
	/*
	 * The interface: the receiving one on input (`recv`, `via`), the
	 * outgoing one on output (`xmit`, `via`); NULL when unknown, which
	 * no interface clause matches.
	 */
	struct __ifnet	*fa_ifp;
	/*
	 * Resume point: only rules numbered above this one are looked at
	 * (0: the whole table).  The cookie of a packet written back on a
	 * divert socket, or the rule of a tee.
	 */
	uint16_t	 fa_after;
};

struct xk_fw_result {
	uint16_t	 fr_rule;	/* the deciding rule; 0 for the default */
	uint16_t	 fr_port;	/* divert or tee port, network order */
};

/*
 * Runs the table over one packet: counts it on every rule it matches
 * (count, skipto, and the deciding rule, as ipfw does) and returns the
 * first terminal action.  count goes on to the next rule, skipto to the
 * first rule numbered at or above its target.  No matching rule: the
 * default (XKPI_FW_DEFAULT).  Never changes or frees the packet.
 */
enum xk_fw_action xk_fw_check_locked(const struct xk_fw_args *a,
	    struct xk_fw_result *r);

/*
 * Whether the packet path must ask at all: false when the table is empty
 * and the default is pass (the fast path of every packet).
 */
bool	xk_fw_active_locked(void);

/*
 * Loads XKPI_FW (rules separated by `;` or newlines) and XKPI_FW_DEFAULT
 * (`allow` or `deny`) from the environment at init, after any rule added
 * before.  A bad rule or value: EINVAL, logged, none of XKPI_FW's rules
 * added.
 */
int	xk_fw_init_env(void);
/* Empties the table and restores the default (shutdown, tests). */
void	xk_fw_reset(void);

#endif /* _XK_CORE_FW_VAR_H_ */
