/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The rule table: ipfw(8)'s `add` syntax (a subset, see <xkpi_fw.h>), the
 * rules in lookup order, and the lookup the packet path makes.
 *
 * Lookup is a tuple-space search.  A "simple" rule (no `not`, no `me`,
 * at most one port on each side) matches exactly the packets whose
 * fields, masked by the rule's shape (its family, prefix lengths, and
 * which of protocol, ports, direction and interface it names), equal the
 * rule's.  Rules of one shape share a hash table from that masked key to
 * the positions of the rules that have it.  A packet costs one lookup per
 * shape whatever the number of rules; the rules that are not simple sit
 * in a short list scanned in order, and the answer is the lowest position
 * found at or after where the search resumes.  The index is rebuilt,
 * when a packet needs it, after every change of the table (fw_gen).
 */
#include "core/xk.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <glib.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xkpi.h>
#include <xkpi_fw.h>

#include "core/fw_var.h"
#include "core/if_var.h"
#include "core/mbuf_var.h"
#include "core/socket_var.h"

#define FW_MAXNUM	65534		/* highest number a rule may have */
#define FW_DEFNUM	65535		/* the default rule */
#define FW_STEP		100		/* automatic numbers: last + 100 */
#define FW_MAXPORTS	32		/* entries of one port list */
#define FW_MAXWORDS	64		/* words of one rule */
#define FW_TEXTMAX	1536		/* longest normalised rule */
#define FW_NATD_PORT	8668		/* `divert natd` */
#define FW_MAXEXTHDR	16		/* IPv6 extension headers walked */

enum fw_act { A_ALLOW, A_DENY, A_DIVERT, A_TEE, A_COUNT, A_SKIPTO };
enum fw_dir { D_ANY, D_IN, D_OUT };
enum fw_ifm { IFM_NONE, IFM_VIA, IFM_RECV, IFM_XMIT };
enum fw_ak { AK_ANY, AK_ME, AK_NET };

/* Families, as rules and packets name them: 4, 6, or 0 (either, none). */

struct fw_addr {
	uint8_t		 ad_kind;	/* AK_* */
	uint8_t		 ad_fam;	/* AK_NET: 4 or 6; AK_ME: 0, 4, 6 */
	uint8_t		 ad_plen;
	bool		 ad_not;
	uint8_t		 ad_addr[16];	/* host bits cleared */
};

struct fw_ports {
	unsigned int	 pt_n;		/* 0: any port */
	uint16_t	 pt_lo[FW_MAXPORTS];
	uint16_t	 pt_hi[FW_MAXPORTS];
};

struct fw_rule {
	uint16_t	 r_num;
	uint8_t		 r_act;		/* A_* */
	uint16_t	 r_arg;		/* divert or tee port, skipto target */
	int		 r_proto;	/* -1: any */
	uint8_t		 r_fam;		/* what PROTO asks: 0, 4, 6 */
	struct fw_addr	 r_src, r_dst;
	struct fw_ports	 r_sport, r_dport;
	uint8_t		 r_dirw;	/* D_*: the `in` or `out` written */
	uint8_t		 r_dir;		/* D_*: with recv and xmit's */
	uint8_t		 r_ifm;		/* IFM_* */
	char		 r_ifname[IF_NAMESIZE];
	uint64_t	 r_packets, r_bytes;
	char		*r_text;
};

/* A packet, as the rules see it. */
struct fw_pkt {
	uint8_t		 p_fam;		/* 4, 6; 0: neither could be read */
	int		 p_proto;	/* upper layer; -1 when p_fam is 0 */
	bool		 p_ports;	/* p_sport and p_dport were read */
	uint16_t	 p_sport, p_dport;
	uint8_t		 p_src[16], p_dst[16];
	bool		 p_out;
	const struct __ifnet *p_ifp;
	size_t		 p_len;
};

/* The masked fields a hash table of the index is keyed by. */
struct fw_key {
	uint8_t		 k_fam, k_proto, k_dir, k_pad;
	uint16_t	 k_sport, k_dport;
	uint8_t		 k_src[16], k_dst[16];
	char		 k_if[IF_NAMESIZE];
};

G_STATIC_ASSERT(sizeof(struct fw_key) % 8 == 0);

struct fw_bucket {
	struct fw_key	 bk_key;
	GArray		*bk_pos;	/* guint positions, increasing */
};

/* One shape of simple rules. */
#define SH_PROTO	0x01
#define SH_SPORT	0x02
#define SH_DPORT	0x04
#define SH_DIR		0x08
#define SH_IF		0x10

struct fw_tuple {
	uint8_t		 t_fam, t_splen, t_dplen, t_flags;
	GHashTable	*t_ht;		/* struct fw_key * -> fw_bucket */
};

/* The table, under the core lock. */
static GPtrArray *fw_rules;		/* struct fw_rule *, lookup order */
static bool fw_deny;			/* the default rule denies */
static uint64_t fw_defpackets, fw_defbytes;
static uint64_t fw_gen = 1;		/* bumped by every change */

/* The index, built for fw_idxgen. */
static uint64_t fw_idxgen;
static GArray *fw_tuples;		/* struct fw_tuple */
static GArray *fw_slow;			/* guint positions, increasing */
static bool fw_linear;			/* no index: scan every rule */

/* Parsing. */

struct fw_word {
	const char	*w_p;
	size_t		 w_len;
};

/* Why a rule was refused: a phrase and the word it is about (or none). */
struct fw_err {
	const char	*e_what;
	char		 e_word[64];
	bool		 e_end;		/* the rule ended too early */
};

/* A rule, parsed but not numbered yet. */
struct fw_parsed {
	struct fw_rule	*pr_rule;
	bool		 pr_hasnum;
};

static int
fw_fail(struct fw_err *e, const char *what, const struct fw_word *w)
{
	e->e_what = what;
	e->e_end = w == NULL;
	if (w != NULL) {
		snprintf(e->e_word, sizeof(e->e_word), "%.*s",
		    (int)(w->w_len < 60 ? w->w_len : 60), w->w_p);
	} else {
		e->e_word[0] = '\0';
	}
	return EINVAL;
}

static bool
wis(const struct fw_word *w, const char *s)
{
	size_t n = strlen(s);

	return w != NULL && w->w_len == n && memcmp(w->w_p, s, n) == 0;
}

/* A decimal number, digits only, at most @max. */
static bool
fw_num(const char *p, size_t len, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (len == 0 || len > 6) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9') {
			return false;
		}
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	if (v > max) {
		return false;
	}
	*out = v;
	return true;
}

static bool
wnum(const struct fw_word *w, unsigned long max, unsigned long *out)
{
	return w != NULL && fw_num(w->w_p, w->w_len, max, out);
}

/* Clears the bits of @a past @plen (16 bytes). */
static void
fw_mask(uint8_t *a, unsigned int plen)
{
	for (unsigned int i = 0; i < 16; i++) {
		if (plen >= 8) {
			plen -= 8;
		} else {
			a[i] &= (uint8_t)(0xff00 >> plen);
			plen = 0;
		}
	}
}

static int
fw_parse_addr(const struct fw_word *w, size_t nw, size_t *ip,
    struct fw_addr *a, struct fw_err *e)
{
	const struct fw_word *x = *ip < nw ? &w[*ip] : NULL;
	char buf[INET6_ADDRSTRLEN + 1];
	const char *slash;
	unsigned long plen;
	size_t alen;

	memset(a, 0, sizeof(*a));
	if (wis(x, "not")) {
		a->ad_not = true;
		(*ip)++;
		x = *ip < nw ? &w[*ip] : NULL;
	}
	if (x == NULL) {
		return fw_fail(e, "missing address", NULL);
	}
	(*ip)++;
	if (wis(x, "any")) {
		if (a->ad_not) {
			return fw_fail(e, "`not any' matches nothing", x);
		}
		a->ad_kind = AK_ANY;
		return 0;
	}
	if (wis(x, "me") || wis(x, "me4") || wis(x, "me6")) {
		a->ad_kind = AK_ME;
		a->ad_fam = x->w_len == 2 ? 0 : x->w_p[2] == '4' ? 4 : 6;
		return 0;
	}
	a->ad_kind = AK_NET;
	slash = memchr(x->w_p, '/', x->w_len);
	alen = slash != NULL ? (size_t)(slash - x->w_p) : x->w_len;
	if (alen == 0 || alen >= sizeof(buf)) {
		return fw_fail(e, "bad address", x);
	}
	memcpy(buf, x->w_p, alen);
	buf[alen] = '\0';
	if (memchr(buf, ':', alen) != NULL) {
		a->ad_fam = 6;
		if (inet_pton(AF_INET6, buf, a->ad_addr) != 1) {
			return fw_fail(e, "bad address", x);
		}
	} else {
		a->ad_fam = 4;
		if (inet_pton(AF_INET, buf, a->ad_addr) != 1) {
			return fw_fail(e, "bad address", x);
		}
	}
	plen = a->ad_fam == 4 ? 32 : 128;
	if (slash != NULL && !fw_num(slash + 1, x->w_len - alen - 1, plen,
	    &plen)) {
		return fw_fail(e, "bad prefix length", x);
	}
	a->ad_plen = (uint8_t)plen;
	fw_mask(a->ad_addr, a->ad_plen);
	return 0;
}

static int
fw_parse_ports(const struct fw_word *x, struct fw_ports *pt,
    struct fw_err *e)
{
	const char *p = x->w_p, *end = x->w_p + x->w_len;

	pt->pt_n = 0;
	while (p <= end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *item_end = comma != NULL ? comma : end;
		const char *dash = memchr(p, '-', (size_t)(item_end - p));
		unsigned long lo, hi;

		if (pt->pt_n == FW_MAXPORTS) {
			return fw_fail(e, "too many ports", x);
		}
		if (dash == NULL) {
			if (!fw_num(p, (size_t)(item_end - p), 65535, &lo)) {
				return fw_fail(e, "bad port", x);
			}
			hi = lo;
		} else if (!fw_num(p, (size_t)(dash - p), 65535, &lo) ||
		    !fw_num(dash + 1, (size_t)(item_end - dash - 1), 65535,
		    &hi) || lo > hi) {
			return fw_fail(e, "bad port range", x);
		}
		pt->pt_lo[pt->pt_n] = (uint16_t)lo;
		pt->pt_hi[pt->pt_n] = (uint16_t)hi;
		pt->pt_n++;
		if (comma == NULL) {
			break;
		}
		p = comma + 1;
	}
	return 0;
}

/* The family an address restricts its rule to: 0, 4 or 6. */
static uint8_t
fw_addr_fam(const struct fw_addr *a)
{
	return a->ad_kind == AK_ANY ? 0 : a->ad_fam;
}

static bool
fw_isdigit_word(const struct fw_word *w)
{
	return w != NULL && w->w_len > 0 && w->w_p[0] >= '0' &&
	    w->w_p[0] <= '9';
}

/*
 * Parses @s into @r (zeroed by the caller); *@hasnum says whether a
 * number was written.  EINVAL with @e filled on a syntax error.
 */
static int
fw_parse(const char *s, struct fw_rule *r, bool *hasnum, struct fw_err *e)
{
	struct fw_word w[FW_MAXWORDS];
	const struct fw_word *x;
	uint8_t buf6[16];
	size_t nw = 0, i = 0;
	unsigned long v;
	uint8_t fam, srcfam = 0;
	int error;

	for (const char *p = s; *p != '\0';) {
		if (isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		if (nw == FW_MAXWORDS) {
			struct fw_word extra = { p, strcspn(p, " \t\r\n\v\f") };

			return fw_fail(e, "too many words", &extra);
		}
		w[nw].w_p = p;
		while (*p != '\0' && !isspace((unsigned char)*p)) {
			p++;
		}
		w[nw].w_len = (size_t)(p - w[nw].w_p);
		nw++;
	}
#define NEXT()	(i < nw ? &w[i] : NULL)
	r->r_proto = -1;
	*hasnum = false;
	if (wis(NEXT(), "add")) {
		i++;
	}
	if (fw_isdigit_word(NEXT())) {
		x = &w[i++];
		if (!fw_num(x->w_p, x->w_len, FW_MAXNUM, &v) || v == 0) {
			return fw_fail(e, "rule number not within 1 to 65534",
			    x);
		}
		r->r_num = (uint16_t)v;
		*hasnum = true;
	}
	if ((x = NEXT()) == NULL) {
		return fw_fail(e, "missing action", NULL);
	}
	i++;
	if (wis(x, "allow") || wis(x, "accept") || wis(x, "pass") ||
	    wis(x, "permit")) {
		r->r_act = A_ALLOW;
	} else if (wis(x, "deny") || wis(x, "drop")) {
		r->r_act = A_DENY;
	} else if (wis(x, "count")) {
		r->r_act = A_COUNT;
	} else if (wis(x, "divert") || wis(x, "tee")) {
		r->r_act = x->w_p[0] == 'd' ? A_DIVERT : A_TEE;
		if ((x = NEXT()) == NULL) {
			return fw_fail(e, "missing divert port", NULL);
		}
		i++;
		if (wis(x, "natd")) {
			v = FW_NATD_PORT;
		} else if (!wnum(x, 65535, &v) || v == 0) {
			return fw_fail(e, "bad divert port", x);
		}
		r->r_arg = (uint16_t)v;
	} else if (wis(x, "skipto")) {
		r->r_act = A_SKIPTO;
		if ((x = NEXT()) == NULL) {
			return fw_fail(e, "missing skipto target", NULL);
		}
		i++;
		if (!wnum(x, FW_DEFNUM, &v) || v == 0) {
			return fw_fail(e, "bad skipto target", x);
		}
		r->r_arg = (uint16_t)v;
	} else {
		return fw_fail(e, "unknown or unsupported action", x);
	}
	if ((x = NEXT()) == NULL) {
		return fw_fail(e, "missing protocol", NULL);
	}
	i++;
	if (wis(x, "ip") || wis(x, "all")) {
		/* any */
	} else if (wis(x, "ip4") || wis(x, "ipv4")) {
		r->r_fam = 4;
	} else if (wis(x, "ip6") || wis(x, "ipv6")) {
		r->r_fam = 6;
	} else if (wis(x, "icmp")) {
		r->r_proto = IPPROTO_ICMP;
	} else if (wis(x, "tcp")) {
		r->r_proto = IPPROTO_TCP;
	} else if (wis(x, "udp")) {
		r->r_proto = IPPROTO_UDP;
	} else if (wis(x, "icmp6") || wis(x, "ipv6-icmp")) {
		r->r_proto = IPPROTO_ICMPV6;
		r->r_fam = 6;
	} else if (wnum(x, 255, &v)) {
		r->r_proto = v == 0 ? -1 : (int)v;
	} else {
		return fw_fail(e, "unknown or unsupported protocol", x);
	}
	if (!wis(NEXT(), "from")) {
		return fw_fail(e, "expected `from'", NEXT());
	}
	i++;
	fam = r->r_fam;
	if ((error = fw_parse_addr(w, nw, &i, &r->r_src, e)) != 0) {
		return error;
	}
	if (fw_addr_fam(&r->r_src) != 0) {
		if (fam != 0 && fam != fw_addr_fam(&r->r_src)) {
			return fw_fail(e, "address family conflicts with the "
			    "protocol", &w[i - 1]);
		}
		srcfam = fw_addr_fam(&r->r_src);
		fam = srcfam;
	}
	if (fw_isdigit_word(NEXT())) {
		if (r->r_proto != IPPROTO_TCP && r->r_proto != IPPROTO_UDP) {
			return fw_fail(e, "ports need tcp or udp", NEXT());
		}
		if ((error = fw_parse_ports(&w[i++], &r->r_sport, e)) != 0) {
			return error;
		}
	}
	if (!wis(NEXT(), "to")) {
		return fw_fail(e, "expected `to'", NEXT());
	}
	i++;
	if ((error = fw_parse_addr(w, nw, &i, &r->r_dst, e)) != 0) {
		return error;
	}
	if (fw_addr_fam(&r->r_dst) != 0 && fam != 0 &&
	    fam != fw_addr_fam(&r->r_dst)) {
		return fw_fail(e, srcfam != 0 ? "addresses of both families" :
		    "address family conflicts with the protocol", &w[i - 1]);
	}
	if (fw_isdigit_word(NEXT())) {
		if (r->r_proto != IPPROTO_TCP && r->r_proto != IPPROTO_UDP) {
			return fw_fail(e, "ports need tcp or udp", NEXT());
		}
		if ((error = fw_parse_ports(&w[i++], &r->r_dport, e)) != 0) {
			return error;
		}
	}
	/* The options, in any order, each once. */
	while ((x = NEXT()) != NULL) {
		i++;
		if (wis(x, "in") || wis(x, "out")) {
			if (r->r_dirw != D_ANY) {
				return fw_fail(e, "second direction", x);
			}
			r->r_dirw = x->w_len == 2 ? D_IN : D_OUT;
		} else if (wis(x, "via") || wis(x, "recv") || wis(x, "xmit")) {
			const struct fw_word *name = NEXT();

			if (r->r_ifm != IFM_NONE) {
				return fw_fail(e, "second interface clause",
				    x);
			}
			r->r_ifm = x->w_p[0] == 'v' ? IFM_VIA :
			    x->w_p[0] == 'r' ? IFM_RECV : IFM_XMIT;
			if (name == NULL) {
				return fw_fail(e, "missing interface name",
				    NULL);
			}
			i++;
			if (name->w_len >= IF_NAMESIZE) {
				return fw_fail(e, "interface name too long",
				    name);
			}
			if (memchr(name->w_p, '*', name->w_len) != NULL) {
				return fw_fail(e, "interface wildcards are "
				    "not supported", name);
			}
			memcpy(r->r_ifname, name->w_p, name->w_len);
			if (inet_pton(AF_INET, r->r_ifname, buf6) == 1 ||
			    inet_pton(AF_INET6, r->r_ifname, buf6) == 1) {
				return fw_fail(e, "interface addresses are "
				    "not supported", name);
			}
		} else if (wis(x, "src-port") || wis(x, "dst-port")) {
			struct fw_ports *pt = x->w_p[0] == 's' ?
			    &r->r_sport : &r->r_dport;

			if (r->r_proto != IPPROTO_TCP &&
			    r->r_proto != IPPROTO_UDP) {
				return fw_fail(e, "ports need tcp or udp", x);
			}
			if (pt->pt_n != 0) {
				return fw_fail(e, "ports given twice", x);
			}
			if (NEXT() == NULL) {
				return fw_fail(e, "missing ports", NULL);
			}
			if ((error = fw_parse_ports(&w[i++], pt, e)) != 0) {
				return error;
			}
		} else {
			return fw_fail(e, "unknown or unsupported option", x);
		}
	}
#undef NEXT
	r->r_dir = r->r_dirw;
	if (r->r_ifm == IFM_RECV || r->r_ifm == IFM_XMIT) {
		uint8_t need = r->r_ifm == IFM_RECV ? D_IN : D_OUT;

		if (r->r_dir != D_ANY && r->r_dir != need) {
			struct fw_word ifw = {
				r->r_ifm == IFM_RECV ? "recv" : "xmit", 4 };

			return fw_fail(e, "interface clause contradicts the "
			    "direction", &ifw);
		}
		r->r_dir = need;
	}
	return 0;
}

/* Normalised text. */

static void
fw_text_addr(GString *s, const struct fw_addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	if (a->ad_not) {
		g_string_append(s, "not ");
	}
	switch (a->ad_kind) {
	case AK_ANY:
		g_string_append(s, "any");
		break;
	case AK_ME:
		g_string_append(s, a->ad_fam == 0 ? "me" : a->ad_fam == 4 ?
		    "me4" : "me6");
		break;
	default:
		inet_ntop(a->ad_fam == 4 ? AF_INET : AF_INET6, a->ad_addr,
		    buf, sizeof(buf));
		g_string_append(s, buf);
		if (a->ad_plen != (a->ad_fam == 4 ? 32 : 128)) {
			g_string_append_printf(s, "/%u", a->ad_plen);
		}
		break;
	}
}

static void
fw_text_ports(GString *s, const struct fw_ports *pt)
{
	for (unsigned int i = 0; i < pt->pt_n; i++) {
		g_string_append_printf(s, "%s%u", i == 0 ? " " : ",",
		    pt->pt_lo[i]);
		if (pt->pt_hi[i] != pt->pt_lo[i]) {
			g_string_append_printf(s, "-%u", pt->pt_hi[i]);
		}
	}
}

static void
fw_text(GString *s, const struct fw_rule *r)
{
	static const char *acts[] = { "allow", "deny", "divert", "tee",
	    "count", "skipto" };

	g_string_append(s, acts[r->r_act]);
	if (r->r_act == A_DIVERT || r->r_act == A_TEE ||
	    r->r_act == A_SKIPTO) {
		g_string_append_printf(s, " %u", r->r_arg);
	}
	if (r->r_proto < 0) {
		g_string_append(s, r->r_fam == 4 ? " ip4" : r->r_fam == 6 ?
		    " ip6" : " ip");
	} else if (r->r_proto == IPPROTO_ICMPV6 && r->r_fam == 6) {
		g_string_append(s, " ipv6-icmp");
	} else if (r->r_proto == IPPROTO_ICMP) {
		g_string_append(s, " icmp");
	} else if (r->r_proto == IPPROTO_TCP) {
		g_string_append(s, " tcp");
	} else if (r->r_proto == IPPROTO_UDP) {
		g_string_append(s, " udp");
	} else {
		g_string_append_printf(s, " %d", r->r_proto);
	}
	g_string_append(s, " from ");
	fw_text_addr(s, &r->r_src);
	fw_text_ports(s, &r->r_sport);
	g_string_append(s, " to ");
	fw_text_addr(s, &r->r_dst);
	fw_text_ports(s, &r->r_dport);
	if (r->r_dirw != D_ANY) {
		g_string_append(s, r->r_dirw == D_IN ? " in" : " out");
	}
	if (r->r_ifm != IFM_NONE) {
		g_string_append_printf(s, " %s %s", r->r_ifm == IFM_VIA ?
		    "via" : r->r_ifm == IFM_RECV ? "recv" : "xmit",
		    r->r_ifname);
	}
}

static void
fw_rule_free(struct fw_rule *r)
{
	if (r != NULL) {
		g_free(r->r_text);
		g_free(r);
	}
}

/*
 * Parses @s into a new rule with its text, not numbered yet.  EINVAL
 * (with @e), or ENOMEM.
 */
static int
fw_prepare(const char *s, struct fw_parsed *pp, struct fw_err *e)
{
	struct fw_rule *r;
	GString *text;
	int error;

	pp->pr_rule = NULL;
	if ((r = g_try_new0(struct fw_rule, 1)) == NULL) {
		return ENOMEM;
	}
	if ((error = fw_parse(s, r, &pp->pr_hasnum, e)) != 0) {
		g_free(r);
		return error;
	}
	text = g_string_sized_new(128);
	fw_text(text, r);
	r->r_text = g_try_malloc(text->len + 1);
	if (r->r_text == NULL) {
		g_string_free(text, TRUE);
		g_free(r);
		return ENOMEM;
	}
	memcpy(r->r_text, text->str, text->len + 1);
	g_string_free(text, TRUE);
	pp->pr_rule = r;
	return 0;
}

/* The table. */

static guint
fw_count_locked(void)
{
	return fw_rules != NULL ? fw_rules->len : 0;
}

static struct fw_rule *
fw_at(guint pos)
{
	return g_ptr_array_index(fw_rules, pos);
}

/* The position of the first rule numbered @num or more. */
static guint
fw_first_atleast(unsigned int num)
{
	guint lo = 0, hi = fw_count_locked();

	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;

		if (fw_at(mid)->r_num < num) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

/*
 * Numbers the prepared rule and puts it in the table, after every rule
 * numbered the same or less; the table owns it then.  EINVAL (with @e)
 * when no number is left or a skipto target is not above the number.
 */
static int
fw_insert_locked(struct fw_parsed *pp, struct fw_err *e)
{
	struct fw_rule *r = pp->pr_rule;
	char buf[16];

	XK_LOCK_ASSERT();
	if (!pp->pr_hasnum) {
		unsigned int last = fw_count_locked() == 0 ? 0 :
		    fw_at(fw_rules->len - 1)->r_num;

		if (last + FW_STEP > FW_MAXNUM) {
			struct fw_word lw = { buf, 0 };

			lw.w_len = (size_t)snprintf(buf, sizeof(buf), "%u",
			    last);
			return fw_fail(e, "no rule number left after", &lw);
		}
		r->r_num = (uint16_t)(last == 0 ? FW_STEP : last + FW_STEP);
	}
	if (r->r_act == A_SKIPTO && r->r_arg <= r->r_num) {
		struct fw_word tw = { buf, 0 };

		tw.w_len = (size_t)snprintf(buf, sizeof(buf), "%u", r->r_arg);
		return fw_fail(e, "skipto target not above the rule number",
		    &tw);
	}
	if (fw_rules == NULL) {
		fw_rules = g_ptr_array_new();
	}
	g_ptr_array_insert(fw_rules, (gint)fw_first_atleast(r->r_num + 1u),
	    r);
	fw_gen++;
	return 0;
}

static void
fw_log(const char *who, const char *rule, const struct fw_err *e)
{
	if (e->e_end) {
		xk_log(XKPI_LOG_ERROR, "%s: \"%.200s\": %s at the end of the "
		    "rule", who, rule, e->e_what);
	} else {
		xk_log(XKPI_LOG_ERROR, "%s: \"%.200s\": %s: '%s'", who, rule,
		    e->e_what, e->e_word);
	}
}

/* Strips blanks from both ends of @s, in place; returns it. */
static char *
fw_strip(char *s)
{
	char *end;

	while (isspace((unsigned char)*s)) {
		s++;
	}
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1])) {
		*--end = '\0';
	}
	return s;
}

XK_EXPORT errno_t
xkpi_fw_add(const char *rule)
{
	struct fw_parsed pp;
	struct fw_err e;
	int error;

	if (rule == NULL) {
		return EINVAL;
	}
	if ((error = fw_prepare(rule, &pp, &e)) == 0) {
		xk_core_lock();
		error = fw_insert_locked(&pp, &e);
		xk_core_unlock();
		if (error != 0) {
			fw_rule_free(pp.pr_rule);
		}
	}
	if (error == EINVAL) {
		/* After the lock: a log hook may call us. */
		fw_log("xkpi_fw_add", rule, &e);
	}
	return error;
}

static void
fw_free_all_locked(void)
{
	if (fw_rules != NULL) {
		for (guint i = 0; i < fw_rules->len; i++) {
			fw_rule_free(fw_at(i));
		}
		g_ptr_array_free(fw_rules, TRUE);
		fw_rules = NULL;
	}
	fw_gen++;
}

XK_EXPORT errno_t
xkpi_fw_delete(unsigned int num)
{
	guint from, to;

	if (num == 0 || num >= FW_DEFNUM) {
		return EINVAL;
	}
	xk_core_lock();
	from = fw_first_atleast(num);
	to = fw_first_atleast(num + 1);
	if (from == to) {
		xk_core_unlock();
		return ENOENT;
	}
	for (guint i = from; i < to; i++) {
		fw_rule_free(fw_at(i));
	}
	g_ptr_array_remove_range(fw_rules, from, to - from);
	fw_gen++;
	xk_core_unlock();
	return 0;
}

XK_EXPORT errno_t
xkpi_fw_flush(void)
{
	xk_core_lock();
	fw_free_all_locked();
	xk_core_unlock();
	return 0;
}

struct fw_row {
	unsigned int	 num;
	const char	*text;
	uint64_t	 packets, bytes;
};

XK_EXPORT errno_t
xkpi_fw_list(xkpi_fw_list_fn fn, void *ctx)
{
	struct fw_row *rows;
	size_t textlen = 0;
	guint n;
	char *p;

	if (fn == NULL) {
		return EINVAL;
	}
	xk_core_lock();
	n = fw_count_locked();
	for (guint i = 0; i < n; i++) {
		textlen += strlen(fw_at(i)->r_text) + 1;
	}
	/* The rows, then their texts, in one block. */
	rows = g_try_malloc((n + 1) * sizeof(*rows) + textlen + 32);
	if (rows == NULL) {
		xk_core_unlock();
		return ENOMEM;
	}
	p = (char *)(rows + n + 1);
	for (guint i = 0; i < n; i++) {
		const struct fw_rule *r = fw_at(i);
		size_t len = strlen(r->r_text) + 1;

		rows[i].num = r->r_num;
		rows[i].text = memcpy(p, r->r_text, len);
		rows[i].packets = r->r_packets;
		rows[i].bytes = r->r_bytes;
		p += len;
	}
	rows[n].num = FW_DEFNUM;
	rows[n].text = fw_deny ? "deny ip from any to any" :
	    "allow ip from any to any";
	rows[n].packets = fw_defpackets;
	rows[n].bytes = fw_defbytes;
	xk_core_unlock();
	for (guint i = 0; i <= n; i++) {
		fn(rows[i].num, rows[i].text, rows[i].packets, rows[i].bytes,
		    ctx);
	}
	g_free(rows);
	return 0;
}

bool
xk_fw_active_locked(void)
{
	XK_LOCK_ASSERT();
	return fw_count_locked() > 0 || fw_deny;
}

int
xk_fw_init_env(void)
{
	const char *def = getenv("XKPI_FW_DEFAULT"), *env = getenv("XKPI_FW");
	struct fw_parsed *pp = NULL;
	gchar **parts = NULL;
	char **texts = NULL;
	const char *bad = "";
	guint n = 0, done = 0;
	struct fw_err e;
	bool deny = false;
	int error = 0;

	if (def != NULL && *def != '\0') {
		if (strcmp(def, "deny") == 0) {
			deny = true;
		} else if (strcmp(def, "allow") != 0) {
			xk_log(XKPI_LOG_ERROR, "XKPI_FW_DEFAULT=%.100s: "
			    "neither allow nor deny", def);
			return EINVAL;
		}
	}
	if (env != NULL) {
		parts = g_strsplit_set(env, ";\n", -1);
		texts = g_try_new0(char *, g_strv_length(parts) + 1);
		pp = g_try_new0(struct fw_parsed, g_strv_length(parts) + 1);
		if (texts == NULL || pp == NULL) {
			error = ENOMEM;
		}
		for (gchar **s = parts; *s != NULL && error == 0; s++) {
			if (*(texts[n] = fw_strip(*s)) == '\0') {
				continue;
			}
			if ((error = fw_prepare(texts[n], &pp[n], &e)) != 0) {
				bad = texts[n];
			} else {
				n++;
			}
		}
	}
	xk_core_lock();
	while (error == 0 && done < n) {
		if ((error = fw_insert_locked(&pp[done], &e)) != 0) {
			bad = texts[done];
		} else {
			done++;
		}
	}
	if (error != 0) {
		/* All or nothing: take back the rules that went in. */
		for (guint i = 0; i < done; i++) {
			g_ptr_array_remove(fw_rules, pp[i].pr_rule);
			fw_gen++;
		}
	} else {
		fw_deny = deny;
		n = 0;		/* the table has them all */
	}
	xk_core_unlock();
	if (error == EINVAL) {
		fw_log("XKPI_FW", bad, &e);
	} else if (error != 0) {
		xk_log(XKPI_LOG_ERROR, "XKPI_FW: %s", strerror(error));
	}
	for (guint i = 0; i < n; i++) {
		fw_rule_free(pp[i].pr_rule);
	}
	g_free(pp);
	g_free(texts);
	g_strfreev(parts);
	return error;
}

static void fw_index_free(void);

void
xk_fw_reset(void)
{
	xk_core_lock();
	fw_free_all_locked();
	fw_index_free();
	fw_deny = false;
	fw_defpackets = fw_defbytes = 0;
	xk_core_unlock();
}

/* The packet. */

static void
fw_pkt_parse(const struct xk_fw_args *a, struct fw_pkt *p)
{
	const struct __mbuf *m = a->fa_m;
	uint8_t b[64], h[4];
	size_t len, n, off, hl;
	unsigned int nxt;

	memset(p, 0, sizeof(*p));
	p->p_proto = -1;
	p->p_out = a->fa_out;
	p->p_ifp = a->fa_ifp;
	p->p_len = len = m != NULL ? xk_m_length(m) : 0;
	n = len < sizeof(b) ? len : sizeof(b);
	if (n == 0 || xk_m_copydata(m, 0, n, b) != 0) {
		return;
	}
	switch (b[0] >> 4) {
	case 4:
		hl = (size_t)(b[0] & 0x0f) * 4;
		if (n < 20 || hl < 20) {
			return;
		}
		p->p_fam = 4;
		p->p_proto = b[9];
		memcpy(p->p_src, b + 12, 4);
		memcpy(p->p_dst, b + 16, 4);
		/* Only the first fragment has the ports. */
		if ((p->p_proto == IPPROTO_TCP || p->p_proto == IPPROTO_UDP) &&
		    ((b[6] & 0x1f) | b[7]) == 0 && hl + 4 <= n) {
			p->p_ports = true;
			p->p_sport = (uint16_t)(b[hl] << 8 | b[hl + 1]);
			p->p_dport = (uint16_t)(b[hl + 2] << 8 | b[hl + 3]);
		}
		return;
	case 6:
		if (n < 40) {
			return;
		}
		p->p_fam = 6;
		memcpy(p->p_src, b + 8, 16);
		memcpy(p->p_dst, b + 24, 16);
		nxt = b[6];
		off = 40;
		for (int k = 0; k < FW_MAXEXTHDR; k++) {
			if (nxt != IPPROTO_HOPOPTS && nxt != IPPROTO_ROUTING &&
			    nxt != IPPROTO_DSTOPTS && nxt != IPPROTO_AH &&
			    nxt != IPPROTO_FRAGMENT) {
				break;
			}
			if (off + 4 > len ||
			    xk_m_copydata(m, off, 4, h) != 0) {
				break;	/* cut short: what names it */
			}
			if (nxt == IPPROTO_FRAGMENT) {
				if (((h[2] << 8 | h[3]) & 0xfff8) != 0) {
					/* Not the first: no ports. */
					p->p_proto = h[0];
					return;
				}
				off += 8;
			} else if (nxt == IPPROTO_AH) {
				off += ((size_t)h[1] + 2) * 4;
			} else {
				off += ((size_t)h[1] + 1) * 8;
			}
			nxt = h[0];
		}
		p->p_proto = (int)nxt;
		if ((nxt == IPPROTO_TCP || nxt == IPPROTO_UDP) &&
		    off + 4 <= len && xk_m_copydata(m, off, 4, h) == 0) {
			p->p_ports = true;
			p->p_sport = (uint16_t)(h[0] << 8 | h[1]);
			p->p_dport = (uint16_t)(h[2] << 8 | h[3]);
		}
		return;
	default:
		return;
	}
}

/* Matching one rule, the whole of it (the slow list, and the tests). */

static bool
fw_prefix_eq(const uint8_t *net, const uint8_t *addr, unsigned int plen)
{
	unsigned int full = plen / 8, rest = plen % 8;

	if (memcmp(net, addr, full) != 0) {
		return false;
	}
	return rest == 0 ||
	    ((net[full] ^ addr[full]) & (uint8_t)(0xff00 >> rest)) == 0;
}

static bool
fw_addr_match(const struct fw_addr *a, const struct fw_pkt *p,
    const uint8_t *addr)
{
	bool m;

	switch (a->ad_kind) {
	case AK_ANY:
		return true;
	case AK_ME:
		m = p->p_fam != 0 && (a->ad_fam == 0 ||
		    a->ad_fam == p->p_fam) &&
		    xk_if_withaddr_locked(p->p_fam == 4 ? AF_INET : AF_INET6,
		    addr) != NULL;
		break;
	default:
		m = p->p_fam == a->ad_fam &&
		    fw_prefix_eq(a->ad_addr, addr, a->ad_plen);
		break;
	}
	return m != a->ad_not;
}

static bool
fw_ports_match(const struct fw_ports *pt, bool have, uint16_t port)
{
	if (pt->pt_n == 0) {
		return true;
	}
	if (!have) {
		return false;
	}
	for (unsigned int i = 0; i < pt->pt_n; i++) {
		if (port >= pt->pt_lo[i] && port <= pt->pt_hi[i]) {
			return true;
		}
	}
	return false;
}

static bool
fw_match(const struct fw_rule *r, const struct fw_pkt *p)
{
	if (r->r_fam != 0 && r->r_fam != p->p_fam) {
		return false;
	}
	if (r->r_proto >= 0 && r->r_proto != p->p_proto) {
		return false;
	}
	if (r->r_dir == D_IN && p->p_out) {
		return false;
	}
	if (r->r_dir == D_OUT && !p->p_out) {
		return false;
	}
	if (r->r_ifm != IFM_NONE && (p->p_ifp == NULL ||
	    strncmp(p->p_ifp->if_name, r->r_ifname, IF_NAMESIZE) != 0)) {
		return false;
	}
	return fw_addr_match(&r->r_src, p, p->p_src) &&
	    fw_addr_match(&r->r_dst, p, p->p_dst) &&
	    fw_ports_match(&r->r_sport, p->p_ports, p->p_sport) &&
	    fw_ports_match(&r->r_dport, p->p_ports, p->p_dport);
}

/* The index. */

static guint
fw_key_hash(gconstpointer kp)
{
	const uint8_t *b = kp;
	uint64_t h = 0x9e3779b97f4a7c15ULL, w;

	for (size_t i = 0; i < sizeof(struct fw_key); i += 8) {
		memcpy(&w, b + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	return (guint)h;
}

static gboolean
fw_key_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, sizeof(struct fw_key)) == 0;
}

static void
fw_bucket_free(gpointer p)
{
	struct fw_bucket *bk = p;

	g_array_free(bk->bk_pos, TRUE);
	g_free(bk);
}

static void
fw_index_free(void)
{
	if (fw_tuples != NULL) {
		for (guint i = 0; i < fw_tuples->len; i++) {
			g_hash_table_destroy(g_array_index(fw_tuples,
			    struct fw_tuple, i).t_ht);
		}
		g_array_free(fw_tuples, TRUE);
		fw_tuples = NULL;
	}
	if (fw_slow != NULL) {
		g_array_free(fw_slow, TRUE);
		fw_slow = NULL;
	}
	fw_idxgen = 0;
}

/* Whether a port list is one port, or none. */
static bool
fw_ports_exact(const struct fw_ports *pt)
{
	return pt->pt_n == 0 || (pt->pt_n == 1 && pt->pt_lo[0] == pt->pt_hi[0]);
}

/* Whether the rule can be found by its masked key. */
static bool
fw_simple(const struct fw_rule *r)
{
	return !r->r_src.ad_not && !r->r_dst.ad_not &&
	    r->r_src.ad_kind != AK_ME && r->r_dst.ad_kind != AK_ME &&
	    fw_ports_exact(&r->r_sport) && fw_ports_exact(&r->r_dport);
}

static void
fw_rule_shape(const struct fw_rule *r, struct fw_tuple *t)
{
	memset(t, 0, sizeof(*t));
	t->t_fam = r->r_fam != 0 ? r->r_fam : r->r_src.ad_kind == AK_NET ?
	    r->r_src.ad_fam : r->r_dst.ad_kind == AK_NET ? r->r_dst.ad_fam :
	    0;
	t->t_splen = r->r_src.ad_kind == AK_NET ? r->r_src.ad_plen : 0;
	t->t_dplen = r->r_dst.ad_kind == AK_NET ? r->r_dst.ad_plen : 0;
	t->t_flags = (r->r_proto >= 0 ? SH_PROTO : 0) |
	    (r->r_sport.pt_n != 0 ? SH_SPORT : 0) |
	    (r->r_dport.pt_n != 0 ? SH_DPORT : 0) |
	    (r->r_dir != D_ANY ? SH_DIR : 0) |
	    (r->r_ifm != IFM_NONE ? SH_IF : 0);
}

static void
fw_rule_key(const struct fw_rule *r, const struct fw_tuple *t,
    struct fw_key *k)
{
	memset(k, 0, sizeof(*k));
	k->k_fam = t->t_fam;
	k->k_proto = r->r_proto >= 0 ? (uint8_t)r->r_proto : 0;
	k->k_dir = r->r_dir;
	k->k_sport = r->r_sport.pt_n != 0 ? r->r_sport.pt_lo[0] : 0;
	k->k_dport = r->r_dport.pt_n != 0 ? r->r_dport.pt_lo[0] : 0;
	if (r->r_src.ad_kind == AK_NET) {
		memcpy(k->k_src, r->r_src.ad_addr, 16);
	}
	if (r->r_dst.ad_kind == AK_NET) {
		memcpy(k->k_dst, r->r_dst.ad_addr, 16);
	}
	if (r->r_ifm != IFM_NONE) {
		memcpy(k->k_if, r->r_ifname, IF_NAMESIZE);
	}
}

/* The key of @p under shape @t; false when no rule of @t can match. */
static bool
fw_pkt_key(const struct fw_tuple *t, const struct fw_pkt *p,
    struct fw_key *k)
{
	if ((t->t_fam != 0 && t->t_fam != p->p_fam) ||
	    ((t->t_flags & SH_PROTO) != 0 && p->p_proto < 0) ||
	    ((t->t_flags & (SH_SPORT | SH_DPORT)) != 0 && !p->p_ports) ||
	    ((t->t_flags & SH_IF) != 0 && p->p_ifp == NULL)) {
		return false;
	}
	memset(k, 0, sizeof(*k));
	k->k_fam = t->t_fam;
	if (t->t_splen != 0) {
		memcpy(k->k_src, p->p_src, 16);
		fw_mask(k->k_src, t->t_splen);
	}
	if (t->t_dplen != 0) {
		memcpy(k->k_dst, p->p_dst, 16);
		fw_mask(k->k_dst, t->t_dplen);
	}
	if ((t->t_flags & SH_PROTO) != 0) {
		k->k_proto = (uint8_t)p->p_proto;
	}
	if ((t->t_flags & SH_SPORT) != 0) {
		k->k_sport = p->p_sport;
	}
	if ((t->t_flags & SH_DPORT) != 0) {
		k->k_dport = p->p_dport;
	}
	if ((t->t_flags & SH_DIR) != 0) {
		k->k_dir = p->p_out ? D_OUT : D_IN;
	}
	if ((t->t_flags & SH_IF) != 0) {
		memcpy(k->k_if, p->p_ifp->if_name,
		    strnlen(p->p_ifp->if_name, IF_NAMESIZE));
	}
	return true;
}

/*
 * Builds the index of the table as it is.  Without memory for it, the
 * table is scanned rule by rule until it next changes (fw_linear): slower,
 * the same answers.
 */
static void
fw_index_build(void)
{
	fw_index_free();
	fw_tuples = g_array_new(FALSE, FALSE, sizeof(struct fw_tuple));
	fw_slow = g_array_new(FALSE, FALSE, sizeof(guint));
	for (guint i = 0; i < fw_count_locked(); i++) {
		const struct fw_rule *r = fw_at(i);
		struct fw_tuple shape, *t = NULL;
		struct fw_bucket *bk;
		struct fw_key k;

		if (!fw_simple(r)) {
			g_array_append_val(fw_slow, i);
			continue;
		}
		fw_rule_shape(r, &shape);
		for (guint j = 0; j < fw_tuples->len; j++) {
			struct fw_tuple *u = &g_array_index(fw_tuples,
			    struct fw_tuple, j);

			if (u->t_fam == shape.t_fam &&
			    u->t_splen == shape.t_splen &&
			    u->t_dplen == shape.t_dplen &&
			    u->t_flags == shape.t_flags) {
				t = u;
				break;
			}
		}
		if (t == NULL) {
			shape.t_ht = g_hash_table_new_full(fw_key_hash,
			    fw_key_equal, NULL, fw_bucket_free);
			g_array_append_val(fw_tuples, shape);
			t = &g_array_index(fw_tuples, struct fw_tuple,
			    fw_tuples->len - 1);
		}
		fw_rule_key(r, t, &k);
		if ((bk = g_hash_table_lookup(t->t_ht, &k)) == NULL) {
			if ((bk = g_try_new0(struct fw_bucket, 1)) == NULL) {
				fw_index_free();
				fw_linear = true;
				fw_idxgen = fw_gen;
				return;
			}
			bk->bk_key = k;
			bk->bk_pos = g_array_new(FALSE, FALSE, sizeof(guint));
			g_hash_table_insert(t->t_ht, &bk->bk_key, bk);
		}
		g_array_append_val(bk->bk_pos, i);
	}
	fw_linear = false;
	fw_idxgen = fw_gen;
}

/* The first of the increasing positions @v at or after @start. */
static guint
fw_first_pos(const GArray *v, guint start, guint none)
{
	guint lo = 0, hi = v->len;

	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;

		if (g_array_index(v, guint, mid) < start) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo < v->len ? g_array_index(v, guint, lo) : none;
}

/* The position of the first rule at or after @start that @p matches. */
static guint
fw_find(const struct fw_pkt *p, guint start)
{
	guint best = fw_count_locked(), lo, hi;

	if (fw_linear) {
		for (guint pos = start; pos < best; pos++) {
			if (fw_match(fw_at(pos), p)) {
				return pos;
			}
		}
		return best;
	}
	for (guint i = 0; i < fw_tuples->len; i++) {
		const struct fw_tuple *t = &g_array_index(fw_tuples,
		    struct fw_tuple, i);
		const struct fw_bucket *bk;
		struct fw_key k;
		guint pos;

		if (!fw_pkt_key(t, p, &k) ||
		    (bk = g_hash_table_lookup(t->t_ht, &k)) == NULL) {
			continue;
		}
		if ((pos = fw_first_pos(bk->bk_pos, start, best)) < best) {
			best = pos;
		}
	}
	/* The slow rules between @start and the best so far, in order. */
	lo = 0;
	hi = fw_slow->len;
	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;

		if (g_array_index(fw_slow, guint, mid) < start) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	for (; lo < fw_slow->len; lo++) {
		guint pos = g_array_index(fw_slow, guint, lo);

		if (pos >= best) {
			break;
		}
		if (fw_match(fw_at(pos), p)) {
			return pos;
		}
	}
	return best;
}

enum xk_fw_action
xk_fw_check_locked(const struct xk_fw_args *a, struct xk_fw_result *res)
{
	struct fw_pkt p;
	guint pos, n;

	XK_LOCK_ASSERT();
	res->fr_rule = 0;
	res->fr_port = 0;
	fw_pkt_parse(a, &p);
	n = fw_count_locked();
	if (n > 0 && fw_idxgen != fw_gen) {
		fw_index_build();
	}
	pos = n > 0 ? fw_first_atleast((unsigned int)a->fa_after + 1) : 0;
	while (pos < n && (pos = fw_find(&p, pos)) < n) {
		struct fw_rule *r = fw_at(pos);

		r->r_packets++;
		r->r_bytes += p.p_len;
		switch (r->r_act) {
		case A_COUNT:
			pos++;
			continue;
		case A_SKIPTO:
			pos = fw_first_atleast(r->r_arg);
			continue;
		default:
			break;
		}
		res->fr_rule = r->r_num;
		switch (r->r_act) {
		case A_ALLOW:
			return XK_FW_PASS;
		case A_DENY:
			return XK_FW_DENY;
		case A_DIVERT:
			res->fr_port = htons(r->r_arg);
			return XK_FW_DIVERT;
		default:
			res->fr_port = htons(r->r_arg);
			return XK_FW_TEE;
		}
	}
	fw_defpackets++;
	fw_defbytes += p.p_len;
	return fw_deny ? XK_FW_DENY : XK_FW_PASS;
}
