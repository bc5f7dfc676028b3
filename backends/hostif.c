/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The host's interfaces, routes and neighbours through rtnetlink (libmnl).
 *
 * Queries open a netlink socket of their own, send one request, read the
 * answer and close it: no state is shared between calls, so they need no
 * lock and can run on any thread, with or without the core lock.  The
 * monitor is one more socket, subscribed to link, address and neighbour
 * notifications and read on the loop thread.
 */
#include "core/xk.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <xkpi.h>

#include "backends/backend.h"
#include "backends/hostif.h"
#include "core/if_var.h"
#include "core/ip_var.h"
#include "core/socket_var.h"

_Static_assert(XK_NUD_USABLE == (NUD_REACHABLE | NUD_STALE | NUD_DELAY |
    NUD_PROBE | NUD_PERMANENT | NUD_NOARP),
    "XK_NUD_USABLE must be the kernel's usable neighbour states");

/*
 * Replies are read into a buffer of this size.  A single link message
 * with its statistics and per-family blocks runs to a few kilobytes, and
 * the kernel fills dump buffers up to 32 KiB when the reader offers that
 * much; a smaller buffer would truncate (ENOSPC from libmnl).
 */
#define NL_BUFSIZE	32768
#define NL_SHORTSIZE	8192	/* an answer of one route or neighbour */
#define NL_REQSIZE	256	/* a request: header and two attributes */
#define NL_DUMP_TRIES	3	/* a dump the kernel marks inconsistent */
#define NL_TIMEOUT_S	1	/* longest wait for an answer */
#define MON_BATCH	64	/* receives per monitor callback */
#define MON_RCVBUF	(4 << 20)	/* monitor socket buffer asked for */
#define MON_DISCARD_MAX	65536	/* reads discarded after an overrun */

static atomic_uint nl_seq;

/*
 * One request, its answer: opens a socket, sends @req, runs @cb on every
 * message of the answer and closes the socket.  A dump (NLM_F_DUMP) ends
 * with NLMSG_DONE; any other request is answered by one message (the
 * reply, or an error or acknowledgement when NLM_F_ACK asked for one).
 * Returns 0 or the errno of the kernel, of the socket or of @cb; EINTR
 * when the kernel marked a dump inconsistent (the table changed under
 * it: the caller may retry); ETIMEDOUT when no answer came; ENOSPC when
 * an answer did not fit.
 *
 * Nothing here allocates but a dump's or a link's buffer: a route or a
 * neighbour is asked on the packet path (be_route, a next hop to frame
 * for), and its answer (a few hundred bytes, an acknowledgement with the
 * request quoted no more) is read on the stack, from a socket of plain
 * system calls (libmnl's own socket object is allocated).
 */
static int
nl_query(struct nlmsghdr *req, mnl_cb_t cb, void *arg)
{
	struct timeval tmo = { .tv_sec = NL_TIMEOUT_S };
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	union {
		char			buf[NL_SHORTSIZE];
		struct nlmsghdr		align;
	} small;
	socklen_t salen = sizeof(sa);
	unsigned int portid, seq;
	char *buf = small.buf;
	size_t size = sizeof(small.buf);
	bool dump;
	ssize_t n;
	int error = 0, fd, ret;

	dump = (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_ROUTE)) < 0) {
		return errno;
	}
	/*
	 * The kernel answers while it handles the request (a dump's next
	 * part while we read the previous one), so a read never waits for
	 * long; the bound only keeps a caller holding the core lock from
	 * hanging if that ever stops being true.  Bound to port 0, the
	 * socket gets a port of the kernel's choosing.
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &salen) < 0) {
		error = errno;
		goto out;
	}
	portid = sa.nl_pid;
	/* Zero means "do not check" to libmnl: skip it. */
	while ((seq = atomic_fetch_add(&nl_seq, 1) + 1) == 0) {
		continue;
	}
	req->nlmsg_seq = seq;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;	/* to the kernel */
	if (sendto(fd, req, req->nlmsg_len, 0, (struct sockaddr *)&sa,
	    sizeof(sa)) < 0) {
		error = errno;
		goto out;
	}
	if (dump || req->nlmsg_type == RTM_GETLINK) {
		if ((buf = g_try_malloc(NL_BUFSIZE)) == NULL) {
			error = ENOMEM;
			goto out;
		}
		size = NL_BUFSIZE;
	}
	for (;;) {
		struct iovec iov = { buf, size };
		struct msghdr mh = { 0 };

		mh.msg_name = &sa;
		mh.msg_namelen = sizeof(sa);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		if ((n = recvmsg(fd, &mh, 0)) < 0) {
			if (errno == EINTR) {
				continue;
			}
			error = errno == EAGAIN ? ETIMEDOUT : errno;
			break;
		}
		if (n == 0) {
			/* Not something netlink does: do not spin on it. */
			error = EPROTO;
			break;
		}
		if ((mh.msg_flags & MSG_TRUNC) != 0) {
			error = ENOSPC;
			break;
		}
		if (sa.nl_pid != 0) {
			continue;	/* not the kernel's */
		}
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, cb, arg);
		if (ret == MNL_CB_ERROR) {
			error = errno != 0 ? errno : EPROTO;
			break;
		}
		if (ret == MNL_CB_STOP || !dump) {
			break;
		}
	}
out:
	if (buf != small.buf) {
		g_free(buf);
	}
	close(fd);
	return error;
}

/*
 * A request of @type with @flags and a family header of @hdrlen, in @buf
 * (NL_REQSIZE bytes).  The buffer is cleared whole: libmnl leaves the
 * padding after an attribute as it finds it, and it goes to the kernel.
 */
static struct nlmsghdr *
nl_request(char *buf, uint16_t type, uint16_t flags, void **hdrp,
    size_t hdrlen)
{
	struct nlmsghdr *nlh;

	memset(buf, 0, NL_REQSIZE);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	*hdrp = mnl_nlmsg_put_extra_header(nlh, hdrlen);
	return nlh;
}

/*
 * Attribute tables.  A policy names, per attribute type, the libmnl type
 * it must validate as; types it leaves at 0 are not read and not kept.
 * An attribute that fails validation is dropped, as if absent: every
 * reader below treats a missing attribute as a normal case.
 */
#define NL_SKIP	0	/* policy entry: not read */

struct nl_attrs {
	const struct nlattr	**na_tb;
	const uint8_t		*na_policy;
	unsigned int		 na_max;
};

static int
nl_attr_cb(const struct nlattr *attr, void *arg)
{
	const struct nl_attrs *na = arg;
	uint16_t type = mnl_attr_get_type(attr);

	if (type > na->na_max || na->na_policy[type] == NL_SKIP) {
		return MNL_CB_OK;
	}
	if (mnl_attr_validate(attr,
	    (enum mnl_attr_data_type)na->na_policy[type]) < 0) {
		return MNL_CB_OK;
	}
	na->na_tb[type] = attr;
	return MNL_CB_OK;
}

/*
 * Parses the attributes after the family header (@hdrlen) of @nlh into
 * @tb (@max + 1 entries, cleared here).  False when the message is too
 * short to hold the family header.
 */
static bool
nl_parse(const struct nlmsghdr *nlh, size_t hdrlen, const uint8_t *policy,
    const struct nlattr **tb, unsigned int max)
{
	struct nl_attrs na = { tb, policy, max };

	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (mnl_nlmsg_get_payload_len(nlh) < hdrlen) {
		return false;
	}
	(void)mnl_attr_parse(nlh, (unsigned int)hdrlen, nl_attr_cb, &na);
	return true;
}

/* The payload of @attr when it is @len bytes long, else NULL. */
static const void *
nl_attr_exact(const struct nlattr *attr, size_t len)
{
	if (attr == NULL || mnl_attr_get_payload_len(attr) != len) {
		return NULL;
	}
	return mnl_attr_get_payload(attr);
}

static size_t
af_size(int family)
{
	switch (family) {
	case AF_INET:
		return sizeof(struct in_addr);
	case AF_INET6:
		return sizeof(struct in6_addr);
	default:
		return 0;
	}
}

/* Links. */

static const uint8_t link_policy[IFLA_MAX + 1] = {
	[IFLA_IFNAME] = MNL_TYPE_NUL_STRING,
	[IFLA_MTU] = MNL_TYPE_U32,
	[IFLA_ADDRESS] = MNL_TYPE_BINARY,
};

/*
 * Reads an RTM_NEWLINK or RTM_DELLINK message into @hi.  False when it is
 * not one, or is not about a device: AF_BRIDGE link messages describe a
 * bridge port, and a port leaving its bridge is an RTM_DELLINK of that
 * family for a device that still exists.
 */
static bool
link_parse(const struct nlmsghdr *nlh, struct xk_hostif *hi)
{
	const struct nlattr *tb[IFLA_MAX + 1];
	const struct ifinfomsg *ifi;
	size_t len;

	if ((nlh->nlmsg_type != RTM_NEWLINK &&
	    nlh->nlmsg_type != RTM_DELLINK) ||
	    !nl_parse(nlh, sizeof(*ifi), link_policy, tb, IFLA_MAX)) {
		return false;
	}
	ifi = mnl_nlmsg_get_payload(nlh);
	if (ifi->ifi_family != AF_UNSPEC || ifi->ifi_index <= 0) {
		return false;
	}
	memset(hi, 0, sizeof(*hi));
	hi->hi_index = (uint32_t)ifi->ifi_index;
	hi->hi_type = ifi->ifi_type;
	hi->hi_flags = ifi->ifi_flags;
	if (tb[IFLA_IFNAME] != NULL) {
		g_strlcpy(hi->hi_name, mnl_attr_get_str(tb[IFLA_IFNAME]),
		    sizeof(hi->hi_name));
	}
	if (tb[IFLA_MTU] != NULL) {
		hi->hi_mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	}
	/*
	 * A link address longer than we keep (InfiniBand's 20 bytes) is
	 * reported as none rather than cut: no backend can use half of it.
	 */
	if (tb[IFLA_ADDRESS] != NULL &&
	    (len = mnl_attr_get_payload_len(tb[IFLA_ADDRESS])) <=
	    sizeof(hi->hi_hwaddr)) {
		memcpy(hi->hi_hwaddr, mnl_attr_get_payload(tb[IFLA_ADDRESS]),
		    len);
		hi->hi_hwlen = (uint8_t)len;
	}
	return true;
}

struct link_arg {
	struct xk_hostif	*la_hi;
	bool			 la_found;
};

static int
link_get_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct link_arg *la = arg;

	if (nlh->nlmsg_type == RTM_NEWLINK && link_parse(nlh, la->la_hi)) {
		la->la_found = true;
	}
	return MNL_CB_OK;
}

/* Reads the link by @index, or by @name when @index is 0. */
static int
link_get(uint32_t index, const char *name, struct xk_hostif *out)
{
	char req[NL_REQSIZE];
	struct link_arg la = { out, false };
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int error;

	nlh = nl_request(req, RTM_GETLINK, 0, (void **)&ifi, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)index;
	if (index == 0) {
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	}
	error = nl_query(nlh, link_get_cb, &la);
	if (error == ENODEV) {
		return ENXIO;
	}
	if (error == 0 && !la.la_found) {
		/* An answer that was not a link: the kernel is confused. */
		return EPROTO;
	}
	if (error == 0 && out->hi_name[0] == '\0' && name != NULL) {
		g_strlcpy(out->hi_name, name, sizeof(out->hi_name));
	}
	return error;
}

int
xk_hostif_get(const char *name, struct xk_hostif *out)
{
	if (name == NULL || out == NULL) {
		return EINVAL;
	}
	/*
	 * No interface can have an empty name or one longer than the kernel
	 * takes in IFLA_IFNAME (it would refuse the request with EINVAL).
	 */
	if (name[0] == '\0' || strlen(name) >= IF_NAMESIZE) {
		return ENXIO;
	}
	return link_get(0, name, out);
}

/* Addresses. */

static const uint8_t addr_policy[IFA_MAX + 1] = {
	[IFA_ADDRESS] = MNL_TYPE_BINARY,
	[IFA_LOCAL] = MNL_TYPE_BINARY,
};

/*
 * Reads an RTM_NEWADDR or RTM_DELADDR message: the address into @ifa and
 * its interface into *@index.  The interface's own address is IFA_LOCAL
 * when there is one: on a point-to-point address (either family) the
 * kernel puts the peer in IFA_ADDRESS; otherwise only IFA_ADDRESS comes.
 */
static bool
addr_parse(const struct nlmsghdr *nlh, struct xk_ifaddr *ifa,
    uint32_t *index)
{
	const struct nlattr *tb[IFA_MAX + 1];
	const struct ifaddrmsg *ifm;
	const void *a;
	size_t size;

	if ((nlh->nlmsg_type != RTM_NEWADDR &&
	    nlh->nlmsg_type != RTM_DELADDR) ||
	    !nl_parse(nlh, sizeof(*ifm), addr_policy, tb, IFA_MAX)) {
		return false;
	}
	ifm = mnl_nlmsg_get_payload(nlh);
	if ((size = af_size(ifm->ifa_family)) == 0 ||
	    ifm->ifa_prefixlen > size * 8) {
		return false;
	}
	if ((a = nl_attr_exact(tb[IFA_LOCAL], size)) == NULL &&
	    (a = nl_attr_exact(tb[IFA_ADDRESS], size)) == NULL) {
		return false;
	}
	memset(ifa, 0, sizeof(*ifa));
	ifa->ifa_family = ifm->ifa_family;
	ifa->ifa_plen = ifm->ifa_prefixlen;
	memcpy(&ifa->ifa_addr, a, size);
	*index = ifm->ifa_index;
	return true;
}

struct addrs_arg {
	uint32_t	 aa_index;
	GArray		*aa_addrs;	/* struct xk_ifaddr */
};

static int
addrs_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct addrs_arg *aa = arg;
	struct xk_ifaddr ifa;
	uint32_t index;

	if (nlh->nlmsg_type == RTM_NEWADDR &&
	    addr_parse(nlh, &ifa, &index) && index == aa->aa_index) {
		g_array_append_val(aa->aa_addrs, ifa);
	}
	return MNL_CB_OK;
}

/*
 * Fills @addrs with the addresses of interface @index.  The dump is of
 * both families at once; the kernel ignores ifa_index unless strict
 * checking is on, so the filter is ours.  A dump the kernel marks
 * inconsistent is run again, from an empty array, so that nothing is
 * reported twice.
 */
static int
addrs_collect(uint32_t index, GArray *addrs)
{
	struct addrs_arg aa = { index, addrs };
	char req[NL_REQSIZE];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifm;
	int error = EINTR;

	for (int tries = 0; tries < NL_DUMP_TRIES && error == EINTR;
	    tries++) {
		g_array_set_size(addrs, 0);
		nlh = nl_request(req, RTM_GETADDR, NLM_F_DUMP, (void **)&ifm,
		    sizeof(*ifm));
		ifm->ifa_family = AF_UNSPEC;
		error = nl_query(nlh, addrs_cb, &aa);
	}
	/* Still changing after a few tries: let the caller try later. */
	return error == EINTR ? EAGAIN : error;
}

int
xk_hostif_addrs(uint32_t index,
    void (*fn)(int family, const void *addr, unsigned int plen, void *ctx),
    void *ctx)
{
	GArray *addrs;
	int error;

	if (index == 0 || fn == NULL) {
		return EINVAL;
	}
	/* Collected first: @fn sees one consistent dump, never a partial. */
	addrs = g_array_new(FALSE, FALSE, sizeof(struct xk_ifaddr));
	if ((error = addrs_collect(index, addrs)) == 0) {
		for (guint i = 0; i < addrs->len; i++) {
			const struct xk_ifaddr *ifa = &g_array_index(addrs,
			    struct xk_ifaddr, i);

			fn(ifa->ifa_family, &ifa->ifa_addr, ifa->ifa_plen,
			    ctx);
		}
	}
	g_array_free(addrs, TRUE);
	return error;
}

/* Attaching. */

/* Copies what the host says of a link into an attached interface. */
static void
link_apply_locked(struct __ifnet *ifp, const struct xk_hostif *hi)
{
	XK_LOCK_ASSERT();
	if (hi->hi_mtu != 0) {
		ifp->if_mtu = hi->hi_mtu;
	}
	ifp->if_type = hi->hi_type;
	ifp->if_flags = hi->hi_flags;
	/* ip link set NAME name NEW: the table says what the host says. */
	if (hi->hi_name[0] != '\0') {
		g_strlcpy(ifp->if_name, hi->hi_name, sizeof(ifp->if_name));
	}
	/* An address change (ip link set address) is a link change too. */
	memcpy(ifp->if_hwaddr, hi->hi_hwaddr, sizeof(ifp->if_hwaddr));
	ifp->if_hwlen = hi->hi_hwlen;
}

static void
addrs_clear_locked(struct __ifnet *ifp)
{
	XK_LOCK_ASSERT();
	while (ifp->if_addrs->len > 0) {
		/* A copy: the entry moves as the array shrinks. */
		struct xk_ifaddr ifa = g_array_index(ifp->if_addrs,
		    struct xk_ifaddr, ifp->if_addrs->len - 1);

		(void)xk_if_deladdr_locked(ifp, ifa.ifa_family,
		    &ifa.ifa_addr, ifa.ifa_plen);
	}
}

/* Replaces @ifp's addresses by @addrs. */
static void
addrs_set_locked(struct __ifnet *ifp, const GArray *addrs)
{
	XK_LOCK_ASSERT();
	addrs_clear_locked(ifp);
	for (guint i = 0; i < addrs->len; i++) {
		const struct xk_ifaddr *ifa = &g_array_index(addrs,
		    struct xk_ifaddr, i);

		/* Parsed with the kernel's bounds: cannot be refused. */
		(void)xk_if_addaddr_locked(ifp, ifa->ifa_family,
		    &ifa->ifa_addr, ifa->ifa_plen);
	}
}

/*
 * The link and its addresses are read before the core lock is taken (no
 * netlink round trip under it).  A change the host makes between the
 * read and the attach is missed unless the monitor reports it after the
 * attach; the monitor's own resynchronisation (after an overrun) reads
 * everything again.
 */
int
xk_hostif_attach(const char *name, void *besc, struct __ifnet **ifpp)
{
	struct xk_hostif hi;
	struct __ifnet *ifp;
	GArray *addrs;
	int error;

	if (name == NULL || ifpp == NULL) {
		return EINVAL;
	}
	if ((error = xk_hostif_get(name, &hi)) != 0) {
		return error;
	}
	addrs = g_array_new(FALSE, FALSE, sizeof(struct xk_ifaddr));
	if ((error = addrs_collect(hi.hi_index, addrs)) != 0) {
		goto out;
	}
	xk_core_lock();
	/*
	 * The table takes the kernel's spelling of the name: @name may be
	 * an alternative name (ip link property add ... altname) that
	 * if_indextoname() would never give back.
	 */
	error = xk_if_attach_locked(hi.hi_name, hi.hi_index, hi.hi_mtu, besc,
	    &ifp);
	if (error == 0) {
		link_apply_locked(ifp, &hi);
		ifp->if_host = true;
		addrs_set_locked(ifp, addrs);
		*ifpp = ifp;
	}
	xk_core_unlock();
out:
	g_array_free(addrs, TRUE);
	return error;
}

/* Routes. */

static const uint8_t route_policy[RTA_MAX + 1] = {
	[RTA_OIF] = MNL_TYPE_U32,
	[RTA_GATEWAY] = MNL_TYPE_BINARY,
	[RTA_VIA] = MNL_TYPE_BINARY,
};

struct route_arg {
	size_t		 ra_size;
	bool		 ra_found;
	uint8_t		 ra_type;	/* RTN_* */
	uint32_t	 ra_oif;
	bool		 ra_via;	/* a next hop of another family */
	bool		 ra_hasgw;
	uint8_t		 ra_gw[sizeof(struct in6_addr)];
};

static int
route_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct route_arg *ra = arg;
	const struct nlattr *tb[RTA_MAX + 1];
	const struct rtmsg *rtm;
	const void *gw;

	if (nlh->nlmsg_type != RTM_NEWROUTE || ra->ra_found ||
	    !nl_parse(nlh, sizeof(*rtm), route_policy, tb, RTA_MAX)) {
		return MNL_CB_OK;
	}
	rtm = mnl_nlmsg_get_payload(nlh);
	ra->ra_found = true;
	ra->ra_type = rtm->rtm_type;
	if (tb[RTA_OIF] != NULL) {
		ra->ra_oif = mnl_attr_get_u32(tb[RTA_OIF]);
	}
	if ((gw = nl_attr_exact(tb[RTA_GATEWAY], ra->ra_size)) != NULL) {
		memcpy(ra->ra_gw, gw, ra->ra_size);
		ra->ra_hasgw = true;
	}
	ra->ra_via = tb[RTA_VIA] != NULL;
	return MNL_CB_OK;
}

int
xk_hostif_route(int family, const void *dst, uint32_t oif_hint,
    uint32_t *oif, void *nexthop)
{
	struct route_arg ra = { .ra_size = af_size(family) };
	char req[NL_REQSIZE];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int error;

	if (dst == NULL || oif == NULL || nexthop == NULL) {
		return EINVAL;
	}
	if (ra.ra_size == 0) {
		return EAFNOSUPPORT;
	}
	/* A get without NLM_F_DUMP: the kernel's lookup, not the table. */
	nlh = nl_request(req, RTM_GETROUTE, 0, (void **)&rtm, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_dst_len = (uint8_t)(ra.ra_size * 8);
	mnl_attr_put(nlh, RTA_DST, ra.ra_size, dst);
	if (oif_hint != 0) {
		mnl_attr_put_u32(nlh, RTA_OIF, oif_hint);
	}
	error = nl_query(nlh, route_cb, &ra);
	if (error != 0) {
		/*
		 * IPv4 answers "no route" with ENETUNREACH, an unreachable
		 * route with EHOSTUNREACH, a blackhole with EINVAL and a
		 * prohibit route with EACCES; a bad hint gives ENODEV.  To
		 * the caller all of these mean the destination cannot be
		 * reached.
		 */
		return error == ENETUNREACH ? ENETUNREACH : EHOSTUNREACH;
	}
	if (!ra.ra_found) {
		return EHOSTUNREACH;
	}
	switch (ra.ra_type) {
	case RTN_UNICAST:
	case RTN_LOCAL:		/* our own address: the kernel says lo */
	case RTN_BROADCAST:
	case RTN_MULTICAST:
	case RTN_ANYCAST:
		break;
	default:
		/*
		 * IPv6 answers a lookup that fails with a route of type
		 * unreachable (or blackhole, prohibit, throw) out of lo
		 * rather than with an error.
		 */
		return EHOSTUNREACH;
	}
	/*
	 * A next hop of the other family (RTA_VIA, an IPv4 route through an
	 * IPv6 gateway) cannot be given back in @dst's size.
	 */
	if (ra.ra_oif == 0 || (ra.ra_via && !ra.ra_hasgw)) {
		return EHOSTUNREACH;
	}
	*oif = ra.ra_oif;
	memcpy(nexthop, ra.ra_hasgw ? ra.ra_gw : dst, ra.ra_size);
	return 0;
}

/* Neighbours. */

static const uint8_t neigh_policy[NDA_MAX + 1] = {
	[NDA_DST] = MNL_TYPE_BINARY,
	[NDA_LLADDR] = MNL_TYPE_BINARY,
};

/* One neighbour entry, pointing into the message it came from. */
struct neigh_ent {
	int		 ne_family;
	uint32_t	 ne_ifindex;
	const void	*ne_addr;
	const uint8_t	*ne_lladdr;	/* NULL: no link address */
	size_t		 ne_lllen;
	uint16_t	 ne_state;	/* NUD_* */
};

/* Reads an RTM_NEWNEIGH or RTM_DELNEIGH of IPv4 or IPv6. */
static bool
neigh_parse(const struct nlmsghdr *nlh, struct neigh_ent *ne)
{
	const struct nlattr *tb[NDA_MAX + 1];
	const struct ndmsg *ndm;

	if ((nlh->nlmsg_type != RTM_NEWNEIGH &&
	    nlh->nlmsg_type != RTM_DELNEIGH) ||
	    !nl_parse(nlh, sizeof(*ndm), neigh_policy, tb, NDA_MAX)) {
		return false;
	}
	ndm = mnl_nlmsg_get_payload(nlh);
	/* Bridge forwarding entries (AF_BRIDGE) come in the same group. */
	if (af_size(ndm->ndm_family) == 0 || ndm->ndm_ifindex <= 0 ||
	    (ne->ne_addr = nl_attr_exact(tb[NDA_DST],
	    af_size(ndm->ndm_family))) == NULL) {
		return false;
	}
	ne->ne_family = ndm->ndm_family;
	ne->ne_ifindex = (uint32_t)ndm->ndm_ifindex;
	ne->ne_state = ndm->ndm_state;
	ne->ne_lladdr = NULL;
	ne->ne_lllen = 0;
	/* The kernel sends a link address only for a valid entry. */
	if (tb[NDA_LLADDR] != NULL) {
		ne->ne_lladdr = mnl_attr_get_payload(tb[NDA_LLADDR]);
		ne->ne_lllen = mnl_attr_get_payload_len(tb[NDA_LLADDR]);
	}
	return true;
}

struct neigh_arg {
	int		 nga_family;
	uint32_t	 nga_ifindex;
	const void	*nga_addr;
	bool		 nga_found;
	uint16_t	 nga_state;
	bool		 nga_hasll;
	uint8_t		*nga_lladdr;
	size_t		 nga_cap;
	size_t		 nga_lllen;
};

static int
neigh_get_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct neigh_arg *nga = arg;
	struct neigh_ent ne;

	if (nlh->nlmsg_type != RTM_NEWNEIGH || nga->nga_found ||
	    !neigh_parse(nlh, &ne) || ne.ne_family != nga->nga_family ||
	    ne.ne_ifindex != nga->nga_ifindex ||
	    memcmp(ne.ne_addr, nga->nga_addr, af_size(ne.ne_family)) != 0) {
		return MNL_CB_OK;
	}
	nga->nga_found = true;
	nga->nga_state = ne.ne_state;
	if (ne.ne_lladdr != NULL) {
		nga->nga_hasll = true;
		nga->nga_lllen = ne.ne_lllen;
		if (nga->nga_cap > 0) {
			memcpy(nga->nga_lladdr, ne.ne_lladdr,
			    MIN(ne.ne_lllen, nga->nga_cap));
		}
	}
	return MNL_CB_OK;
}

/* Kernels before 4.20 can only dump the neighbour table: read it all. */
static int
neigh_dump(struct neigh_arg *nga)
{
	char req[NL_REQSIZE];
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;
	int error = EINTR;

	for (int tries = 0; tries < NL_DUMP_TRIES && error == EINTR;
	    tries++) {
		nga->nga_found = nga->nga_hasll = false;
		nlh = nl_request(req, RTM_GETNEIGH, NLM_F_DUMP, (void **)&ndm,
		    sizeof(*ndm));
		ndm->ndm_family = (uint8_t)nga->nga_family;
		error = nl_query(nlh, neigh_get_cb, nga);
	}
	return error == EINTR ? EAGAIN : error;
}

int
xk_hostif_neigh(int family, uint32_t ifindex, const void *addr,
    uint8_t *lladdr, size_t cap, size_t *lllen)
{
	struct neigh_arg nga = {
		.nga_family = family,
		.nga_ifindex = ifindex,
		.nga_addr = addr,
		.nga_lladdr = lladdr,
		.nga_cap = cap,
	};
	char req[NL_REQSIZE];
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;
	size_t size = af_size(family);
	int error;

	if (addr == NULL || lllen == NULL || (lladdr == NULL && cap > 0) ||
	    ifindex == 0 || ifindex > INT32_MAX) {
		return EINVAL;
	}
	if (size == 0) {
		return EAFNOSUPPORT;
	}
	/*
	 * One entry by address and device.  The kernel refuses the request
	 * if ndm_state, ndm_type or any attribute but NDA_DST is set.
	 */
	nlh = nl_request(req, RTM_GETNEIGH, 0, (void **)&ndm, sizeof(*ndm));
	ndm->ndm_family = (uint8_t)family;
	ndm->ndm_ifindex = (int)ifindex;
	mnl_attr_put(nlh, NDA_DST, size, addr);
	error = nl_query(nlh, neigh_get_cb, &nga);
	if (error == EOPNOTSUPP) {
		error = neigh_dump(&nga);
	}
	/* ENODEV: no such interface, so no such entry either. */
	if (error == ENOENT || error == ENODEV ||
	    (error == 0 && !nga.nga_found)) {
		return ENOENT;
	}
	if (error != 0) {
		return error;
	}
	if (nga.nga_state & NUD_FAILED) {
		return EHOSTUNREACH;
	}
	/* Usable only with a link address (of length 0 on some links). */
	if ((nga.nga_state & XK_NUD_USABLE) == 0 || !nga.nga_hasll) {
		return ENOENT;
	}
	*lllen = nga.nga_lllen;
	return 0;
}

/* The acknowledgement of a change request: nothing to read but errors. */
static int
ack_cb(const struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	(void)arg;
	return MNL_CB_OK;
}

/*
 * NTF_USE makes the kernel treat the entry as used by a packet waiting
 * for it (neigh_event_send): a new or failed entry goes INCOMPLETE and
 * the first ARP request or Neighbor Solicitation leaves at once; a stale
 * one goes DELAY and is probed; a reachable one is left alone.  With
 * NTF_USE the kernel takes neither a link address nor the state from the
 * request, and NLM_F_CREATE lets it make the entry.  The state is
 * NUD_NONE, not iproute2's NUD_PERMANENT: a permanent state asked at
 * creation exempts the entry from garbage collection.  NLM_F_ACK, since
 * a successful change is otherwise not answered at all.  Needs
 * CAP_NET_ADMIN (EPERM otherwise).
 */
int
xk_hostif_neigh_resolve(int family, uint32_t ifindex, const void *addr)
{
	char req[NL_REQSIZE];
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;
	size_t size = af_size(family);

	if (addr == NULL || ifindex == 0 || ifindex > INT32_MAX) {
		return EINVAL;
	}
	if (size == 0) {
		return EAFNOSUPPORT;
	}
	nlh = nl_request(req, RTM_NEWNEIGH,
	    NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK, (void **)&ndm,
	    sizeof(*ndm));
	ndm->ndm_family = (uint8_t)family;
	ndm->ndm_ifindex = (int)ifindex;
	ndm->ndm_state = NUD_NONE;
	ndm->ndm_flags = NTF_USE;
	mnl_attr_put(nlh, NDA_DST, size, addr);
	return nl_query(nlh, ack_cb, NULL);
}

/* The monitor. */

struct xk_hostif_mon {
	struct mnl_socket	*hm_nl;
	struct event		*hm_ev;
	xk_hostif_neigh_cb	*hm_neigh_cb;
	void			*hm_ctx;
	char			*hm_buf;	/* NL_BUFSIZE */
	_Atomic uint64_t	 hm_overruns;	/* ENOBUFS seen */
	_Atomic uint64_t	 hm_gen;	/* state changes seen */
	/* Loop thread only: */
	bool			 hm_running;	/* inside mon_cb */
	bool			 hm_dead;	/* unfollowed from its cb */
	GPtrArray		*hm_recreated;	/* names of attached interfaces
						   the host may have made
						   again (mon_reattach) */
	GPtrArray		*hm_lost;	/* of those, names made again
						   that could not be attached
						   yet (down, say) */
};

/* An attached host interface by index, or NULL. */
static struct __ifnet *
host_ifp_locked(uint32_t index)
{
	struct __ifnet *ifp;

	XK_LOCK_ASSERT();
	ifp = xk_if_byindex_locked(index);
	return ifp != NULL && ifp->if_host ? ifp : NULL;
}

/* The interface disappeared: down, and without addresses. */
static void
link_gone_locked(struct __ifnet *ifp)
{
	XK_LOCK_ASSERT();
	ifp->if_flags &= ~(uint32_t)(IFF_UP | IFF_RUNNING);
	addrs_clear_locked(ifp);
}

/* Whether @names holds @name. */
static bool
names_have(GPtrArray *names, const char *name, guint *at)
{
	for (guint i = 0; i < names->len; i++) {
		if (strcmp(g_ptr_array_index(names, i), name) == 0) {
			if (at != NULL) {
				*at = i;
			}
			return true;
		}
	}
	return false;
}

/* Interface @name may have been made again: mon_reattach will see. */
static void
mon_recreated_note(struct xk_hostif_mon *mon, const char *name)
{
	if (!names_have(mon->hm_recreated, name, NULL)) {
		g_ptr_array_add(mon->hm_recreated, g_strdup(name));
	}
}

static void
mon_link(struct xk_hostif_mon *mon, const struct nlmsghdr *nlh)
{
	struct __ifnet *ifp;
	struct xk_hostif hi;

	if (!link_parse(nlh, &hi)) {
		return;
	}
	xk_core_lock();
	if ((ifp = host_ifp_locked(hi.hi_index)) != NULL) {
		if (nlh->nlmsg_type == RTM_DELLINK) {
			link_gone_locked(ifp);
		} else {
			link_apply_locked(ifp, &hi);
		}
	} else if (nlh->nlmsg_type == RTM_NEWLINK && hi.hi_name[0] != '\0' &&
	    (((ifp = xk_if_byname_locked(hi.hi_name)) != NULL &&
	    ifp->if_host) || names_have(mon->hm_lost, hi.hi_name, NULL))) {
		/*
		 * A new link with the name of one we have, by another index,
		 * or of one made again that we could not attach yet.
		 */
		mon_recreated_note(mon, hi.hi_name);
	}
	xk_core_unlock();
}

/*
 * The host deleted an attached interface and made another of the same
 * name (a veth pair made again, an adapter plugged back in): the old one
 * leaves the engine and the new one takes its place, through the backend
 * (be_detach, be_attach), so that receive starts on it.  Only when the
 * old index is gone from the host: a link renamed away keeps its place.
 * A new link the backend cannot attach yet (pcap: not up) is tried again
 * at each change the host reports of it, until it is attached or the
 * backend stops.
 */
static void
mon_reattach(struct xk_hostif_mon *mon)
{
	struct xk_backend *be;
	struct xk_hostif hi, old;
	struct __ifnet *ifp;
	uint32_t index;
	bool lost;
	guint at = 0;
	int error;

	for (guint i = 0; i < mon->hm_recreated->len && !mon->hm_dead; i++) {
		const char *name = g_ptr_array_index(mon->hm_recreated, i);

		if (xk_hostif_get(name, &hi) != 0) {
			continue;	/* gone again */
		}
		lost = names_have(mon->hm_lost, name, &at);
		xk_core_lock();
		be = xk_engine_backend();
		ifp = xk_if_byname_locked(name);
		index = ifp != NULL && ifp->if_host ? ifp->if_index : 0;
		xk_core_unlock();
		if (be == NULL || be->be_ops->be_detach == NULL) {
			continue;
		}
		if (index != 0) {
			/* Ours, the old one: unless it is still there. */
			if (index == hi.hi_index ||
			    link_get(index, NULL, &old) != ENXIO) {
				if (lost) {
					/* Attached meanwhile (by the user). */
					g_ptr_array_remove_index(mon->hm_lost,
					    at);
				}
				continue;
			}
			if ((error = be->be_ops->be_detach(be, name)) != 0) {
				continue;	/* detached meanwhile */
			}
		}
		error = be->be_ops->be_attach(be, name, &ifp);
		if (error == 0) {
			if (lost) {
				g_ptr_array_remove_index(mon->hm_lost, at);
			}
			xk_log(XKPI_LOG_WARN, "interface %s was made again by "
			    "the host (index %u): attached again", name,
			    hi.hi_index);
		} else if (!lost) {
			g_ptr_array_add(mon->hm_lost, g_strdup(name));
			xk_log(XKPI_LOG_WARN, "interface %s was made again by "
			    "the host (index %u): cannot attach it yet (%s); "
			    "trying again at its next change", name,
			    hi.hi_index, strerror(error));
		}
	}
	g_ptr_array_set_size(mon->hm_recreated, 0);
}

static void
mon_addr(const struct nlmsghdr *nlh)
{
	struct xk_ifaddr ifa;
	struct __ifnet *ifp;
	uint32_t index;

	if (!addr_parse(nlh, &ifa, &index)) {
		return;
	}
	xk_core_lock();
	if ((ifp = host_ifp_locked(index)) != NULL) {
		/*
		 * Neither can fail on a parsed address but for ENOENT on a
		 * removal we never saw added (attached meanwhile): fine.
		 */
		if (nlh->nlmsg_type == RTM_NEWADDR) {
			(void)xk_if_addaddr_locked(ifp, ifa.ifa_family,
			    &ifa.ifa_addr, ifa.ifa_plen);
		} else {
			(void)xk_if_deladdr_locked(ifp, ifa.ifa_family,
			    &ifa.ifa_addr, ifa.ifa_plen);
		}
	}
	xk_core_unlock();
}

/*
 * A neighbour change, to the callback without the core lock.  A removed
 * entry is reported with state NUD_NONE and no link address, whatever
 * state it died in, so that the callback can tell it from a change.
 */
static void
mon_neigh(struct xk_hostif_mon *mon, const struct nlmsghdr *nlh)
{
	struct neigh_ent ne;

	if (mon->hm_neigh_cb == NULL || !neigh_parse(nlh, &ne)) {
		return;
	}
	if (nlh->nlmsg_type == RTM_DELNEIGH) {
		mon->hm_neigh_cb(mon->hm_ctx, ne.ne_family, ne.ne_ifindex,
		    ne.ne_addr, NULL, 0, NUD_NONE);
	} else {
		mon->hm_neigh_cb(mon->hm_ctx, ne.ne_family, ne.ne_ifindex,
		    ne.ne_addr, ne.ne_lladdr, ne.ne_lllen, ne.ne_state);
	}
}

static int
mon_msg_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct xk_hostif_mon *mon = arg;

	/* Whatever it says, what a backend remembers may be stale now. */
	atomic_fetch_add_explicit(&mon->hm_gen, 1, memory_order_release);
	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		mon_link(mon, nlh);
		break;
	case RTM_NEWADDR:
	case RTM_DELADDR:
		mon_addr(nlh);
		break;
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
		mon_neigh(mon, nlh);
		break;
	default:
		break;
	}
	/* The neighbour callback unfollowed: read no further. */
	return mon->hm_dead ? MNL_CB_STOP : MNL_CB_OK;
}

static void
collect_host(struct __ifnet *ifp, void *arg)
{
	if (ifp->if_host) {
		g_array_append_val((GArray *)arg, ifp->if_index);
	}
}

static bool
index_in(const GArray *indexes, uint32_t index)
{
	for (guint i = 0; i < indexes->len; i++) {
		if (g_array_index(indexes, uint32_t, i) == index) {
			return true;
		}
	}
	return false;
}

struct replay_arg {
	struct xk_hostif_mon	*rp_mon;
	const GArray		*rp_indexes;
};

static int
replay_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct replay_arg *rp = arg;
	struct neigh_ent ne;

	if (nlh->nlmsg_type == RTM_NEWNEIGH && !rp->rp_mon->hm_dead &&
	    neigh_parse(nlh, &ne) && index_in(rp->rp_indexes, ne.ne_ifindex)) {
		rp->rp_mon->hm_neigh_cb(rp->rp_mon->hm_ctx, ne.ne_family,
		    ne.ne_ifindex, ne.ne_addr, ne.ne_lladdr, ne.ne_lllen,
		    ne.ne_state);
	}
	return MNL_CB_OK;
}

/*
 * Re-reads one attached interface after lost notifications: its link
 * (gone: marked down, addresses dropped) and all its addresses.
 */
static void
resync_one(struct xk_hostif_mon *mon, uint32_t index)
{
	struct __ifnet *ifp;
	struct xk_hostif hi;
	GArray *addrs;
	int error;

	addrs = g_array_new(FALSE, FALSE, sizeof(struct xk_ifaddr));
	if ((error = link_get(index, NULL, &hi)) == 0) {
		error = addrs_collect(index, addrs);
	}
	xk_core_lock();
	if ((ifp = host_ifp_locked(index)) != NULL) {
		if (error == ENXIO) {
			link_gone_locked(ifp);
			/* Perhaps deleted and made again meanwhile. */
			mon_recreated_note(mon, ifp->if_name);
		} else if (error == 0) {
			link_apply_locked(ifp, &hi);
			addrs_set_locked(ifp, addrs);
		} else {
			xk_log(XKPI_LOG_WARN, "hostif: cannot re-read %s: %s",
			    ifp->if_name, strerror(error));
		}
	}
	xk_core_unlock();
	g_array_free(addrs, TRUE);
}

/*
 * The kernel dropped notifications (the socket buffer overflowed): read
 * again every attached host interface, then report their current
 * neighbour entries, since a resolution the callback waits for may be
 * among what was lost.
 */
static void
mon_resync(struct xk_hostif_mon *mon)
{
	struct replay_arg rp;
	char req[NL_REQSIZE];
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;
	GArray *indexes;
	int error;

	indexes = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	xk_core_lock();
	xk_if_foreach_locked(collect_host, indexes);
	xk_core_unlock();
	xk_log(XKPI_LOG_WARN, "hostif: netlink notifications lost, "
	    "re-reading %u interface(s)", indexes->len);
	for (guint i = 0; i < indexes->len; i++) {
		resync_one(mon, g_array_index(indexes, uint32_t, i));
	}
	if (mon->hm_neigh_cb != NULL && indexes->len > 0) {
		rp.rp_mon = mon;
		rp.rp_indexes = indexes;
		nlh = nl_request(req, RTM_GETNEIGH, NLM_F_DUMP, (void **)&ndm,
		    sizeof(*ndm));
		ndm->ndm_family = AF_UNSPEC;
		/* An inconsistent dump still reports true entries: no retry. */
		if ((error = nl_query(nlh, replay_cb, &rp)) != 0 &&
		    error != EINTR) {
			xk_log(XKPI_LOG_WARN, "hostif: neighbour dump: %s",
			    strerror(error));
		}
	}
	g_array_free(indexes, TRUE);
}

static void
mon_free(struct xk_hostif_mon *mon)
{
	if (mon->hm_ev != NULL) {
		event_free(mon->hm_ev);
	}
	mnl_socket_close(mon->hm_nl);
	g_free(mon->hm_buf);
	if (mon->hm_recreated != NULL) {
		g_ptr_array_free(mon->hm_recreated, TRUE);
		g_ptr_array_free(mon->hm_lost, TRUE);
	}
	g_free(mon);
}

/*
 * After an overrun, what is still queued is older than the gap: applied
 * after the re-read, a stale MTU or address would overwrite the fresh
 * one, and the notification that corrected it is the one lost.  So it is
 * read and thrown away, up to the first empty read (bounded: the buffer
 * holds a few thousand notifications, and more may keep coming).
 */
static void
mon_discard(struct xk_hostif_mon *mon)
{
	for (int i = 0; i < MON_DISCARD_MAX; i++) {
		if (mnl_socket_recvfrom(mon->hm_nl, mon->hm_buf,
		    NL_BUFSIZE) < 0) {
			if (errno == ENOBUFS) {
				atomic_fetch_add_explicit(&mon->hm_overruns,
				    1, memory_order_relaxed);
			} else if (errno != EINTR && errno != ENOSPC) {
				break;
			}
		}
	}
}

/*
 * Reads what is waiting, at most MON_BATCH datagrams: the event is
 * persistent and level-triggered, so a longer backlog brings us back on
 * the next turn of the loop, after the other events.
 */
static void
mon_cb(evutil_socket_t fd, short what, void *arg)
{
	struct xk_hostif_mon *mon = arg;
	bool resync = false;
	ssize_t n;
	bool was;

	(void)fd;
	(void)what;
	was = xk_loop_enter();
	mon->hm_running = true;
	for (int i = 0; i < MON_BATCH && !mon->hm_dead; i++) {
		n = mnl_socket_recvfrom(mon->hm_nl, mon->hm_buf, NL_BUFSIZE);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			if (errno == ENOBUFS) {
				atomic_fetch_add_explicit(&mon->hm_overruns, 1,
				    memory_order_relaxed);
				mon_discard(mon);
				resync = true;
				break;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				/*
				 * ENOSPC: a datagram was cut, and lost; what
				 * follows it is newer and still good.
				 */
				xk_log(XKPI_LOG_WARN, "hostif: netlink: %s",
				    strerror(errno));
				resync = true;
			}
			break;
		}
		/*
		 * Notifications carry sequence 0 and the port of whoever
		 * caused them: check neither.  Only the kernel (or a
		 * CAP_NET_ADMIN process) can send to a route socket.
		 */
		(void)mnl_cb_run(mon->hm_buf, (size_t)n, 0, 0, mon_msg_cb,
		    mon);
	}
	if (resync && !mon->hm_dead) {
		atomic_fetch_add_explicit(&mon->hm_gen, 1,
		    memory_order_release);
		mon_resync(mon);
	}
	if (mon->hm_recreated->len > 0) {
		mon_reattach(mon);
	}
	mon->hm_running = false;
	if (mon->hm_dead) {
		mon_free(mon);
	}
	xk_loop_leave(was);
}

struct xk_hostif_mon *
xk_hostif_follow(struct event_base *base, xk_hostif_neigh_cb *neigh_cb,
    void *ctx)
{
	struct xk_hostif_mon *mon;
	int size = MON_RCVBUF;
	int error;

	if (base == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if ((mon = g_try_new0(struct xk_hostif_mon, 1)) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	mon->hm_neigh_cb = neigh_cb;
	mon->hm_ctx = ctx;
	mon->hm_nl = mnl_socket_open2(NETLINK_ROUTE,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (mon->hm_nl == NULL) {
		error = errno;
		g_free(mon);
		errno = error;
		return NULL;
	}
	/*
	 * A burst (a few hundred neighbour changes) overflows the default
	 * buffer; ask for more, beyond rmem_max when we may.  Failing is
	 * not fatal: an overrun is detected and recovered from.
	 */
	if (setsockopt(mnl_socket_get_fd(mon->hm_nl), SOL_SOCKET,
	    SO_RCVBUFFORCE, &size, sizeof(size)) < 0) {
		(void)setsockopt(mnl_socket_get_fd(mon->hm_nl), SOL_SOCKET,
		    SO_RCVBUF, &size, sizeof(size));
	}
	/*
	 * Neighbours and routes only for a backend that resolves next hops
	 * itself (it passes @neigh_cb); routes only count as changes
	 * (xk_hostif_generation).  The others are not woken by them.
	 */
	if (mnl_socket_bind(mon->hm_nl, RTMGRP_LINK | RTMGRP_IPV4_IFADDR |
	    RTMGRP_IPV6_IFADDR | (neigh_cb != NULL ? RTMGRP_NEIGH |
	    RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE : 0),
	    MNL_SOCKET_AUTOPID) < 0) {
		error = errno;
		goto fail;
	}
	mon->hm_buf = g_try_malloc(NL_BUFSIZE);
	mon->hm_recreated = g_ptr_array_new_with_free_func(g_free);
	mon->hm_lost = g_ptr_array_new_with_free_func(g_free);
	mon->hm_ev = event_new(base, mnl_socket_get_fd(mon->hm_nl),
	    EV_READ | EV_PERSIST, mon_cb, mon);
	if (mon->hm_buf == NULL || mon->hm_ev == NULL ||
	    event_add(mon->hm_ev, NULL) != 0) {
		error = ENOMEM;
		goto fail;
	}
	return mon;
fail:
	mon_free(mon);
	errno = error;
	return NULL;
}

/*
 * From another thread, event_del() waits for a running callback to
 * return (on a base made thread-safe, as the library's are), so the
 * monitor can go at once.  From its own neighbour callback, it cannot:
 * mon_cb frees it on its way out.
 */
void
xk_hostif_unfollow(struct xk_hostif_mon *mon)
{
	if (mon == NULL) {
		return;
	}
	event_del(mon->hm_ev);
	if (mon->hm_running) {
		mon->hm_dead = true;
		return;
	}
	mon_free(mon);
}

uint64_t
xk_hostif_overruns(const struct xk_hostif_mon *mon)
{
	return atomic_load_explicit(&mon->hm_overruns, memory_order_relaxed);
}

uint64_t
xk_hostif_generation(const struct xk_hostif_mon *mon)
{
	return atomic_load_explicit(&mon->hm_gen, memory_order_acquire);
}

/*
 * Multicast joins for the engine's sockets: one datagram socket per
 * family, never read, whose memberships make the host's interfaces accept
 * the groups.  Linux refuses a second join of a group on one socket; the
 * engine joins each (interface, group) once.
 */
static int hostif_mcast_fd[2] = { -1, -1 };
static pthread_mutex_t hostif_mcast_mtx = PTHREAD_MUTEX_INITIALIZER;

int
xk_hostif_mcast(struct xk_backend *be, int family, const void *group,
    uint32_t ifindex, bool join)
{
	int i = family == AF_INET6, fd, error = 0;

	(void)be;
	pthread_mutex_lock(&hostif_mcast_mtx);
	if ((fd = hostif_mcast_fd[i]) < 0) {
		fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			error = errno;
			pthread_mutex_unlock(&hostif_mcast_mtx);
			return error;
		}
		hostif_mcast_fd[i] = fd;
	}
	if (family == AF_INET6) {
		struct ipv6_mreq mr;

		memcpy(&mr.ipv6mr_multiaddr, group, sizeof(struct in6_addr));
		mr.ipv6mr_interface = ifindex;
		if (setsockopt(fd, IPPROTO_IPV6, join ? IPV6_ADD_MEMBERSHIP :
		    IPV6_DROP_MEMBERSHIP, &mr, sizeof(mr)) != 0) {
			error = errno;
		}
	} else {
		struct ip_mreqn mr;

		memset(&mr, 0, sizeof(mr));
		memcpy(&mr.imr_multiaddr, group, sizeof(struct in_addr));
		mr.imr_ifindex = (int)ifindex;
		if (setsockopt(fd, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP :
		    IP_DROP_MEMBERSHIP, &mr, sizeof(mr)) != 0) {
			error = errno;
		}
	}
	pthread_mutex_unlock(&hostif_mcast_mtx);
	/* Already a member (the host joined it itself): as good. */
	return error == EADDRINUSE ? 0 : error;
}
