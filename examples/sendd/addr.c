/*
 * sendd: the CGA on its interface, through rtnetlink (the routing
 * socket of Linux): add it, remove it, and read its flags to follow
 * Duplicate Address Detection.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "sendd.h"

#define NL_BUF		16384

struct nl_addr_req {
	struct nlmsghdr	 nh;
	struct ifaddrmsg ifa;
	char		 attrs[64];
};

static int
nl_open(void)
{
	struct sockaddr_nl sa;
	int s;

	if ((s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_ROUTE)) < 0) {
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(s);
		return -1;
	}
	return s;
}

static void
nl_attr(struct nlmsghdr *nh, unsigned short type, const void *data,
    size_t len)
{
	struct rtattr *rta;

	rta = (struct rtattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));
	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/* Sends @nh and waits for the kernel's acknowledgement: an errno. */
static int
nl_request(struct nlmsghdr *nh)
{
	char buf[NL_BUF] __attribute__((aligned(4)));
	struct nlmsghdr *r;
	struct nlmsgerr *e;
	ssize_t n;
	int s, error = EPROTO;

	if ((s = nl_open()) < 0) {
		return errno;
	}
	nh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nh->nlmsg_seq = 1;
	if (send(s, nh, nh->nlmsg_len, 0) < 0) {
		error = errno;
		goto out;
	}
	if ((n = recv(s, buf, sizeof(buf), 0)) < 0) {
		error = errno;
		goto out;
	}
	for (r = (struct nlmsghdr *)buf; NLMSG_OK(r, (size_t)n);
	    r = NLMSG_NEXT(r, n)) {
		if (r->nlmsg_type == NLMSG_ERROR &&
		    r->nlmsg_len >= NLMSG_LENGTH(sizeof(*e))) {
			e = NLMSG_DATA(r);
			error = -e->error;
			break;
		}
	}
out:
	close(s);
	return error;
}

static int
addr_change(int type, int flags, int ifidx, const struct in6_addr *a)
{
	struct nl_addr_req req;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifa));
	req.nh.nlmsg_type = (unsigned short)type;
	req.nh.nlmsg_flags = (unsigned short)flags;
	req.ifa.ifa_family = AF_INET6;
	req.ifa.ifa_prefixlen = 64;
	req.ifa.ifa_scope = RT_SCOPE_LINK;
	req.ifa.ifa_index = (unsigned int)ifidx;
	nl_attr(&req.nh, IFA_LOCAL, a, sizeof(*a));
	nl_attr(&req.nh, IFA_ADDRESS, a, sizeof(*a));
	return nl_request(&req.nh);
}

/* Adds @a/64 on @ifidx; Duplicate Address Detection runs on it. */
int
addr_add(int ifidx, const struct in6_addr *a)
{
	return addr_change(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifidx, a);
}

int
addr_del(int ifidx, const struct in6_addr *a)
{
	return addr_change(RTM_DELADDR, 0, ifidx, a);
}

/*
 * The IFA_F_* flags of @a on @ifidx (IFA_F_TENTATIVE while DAD runs,
 * IFA_F_DADFAILED after a duplicate): 0, or ENOENT when it is not there.
 */
int
addr_flags(int ifidx, const struct in6_addr *a, uint32_t *flagsp)
{
	char buf[NL_BUF] __attribute__((aligned(4)));
	struct nl_addr_req req;
	struct nlmsghdr *r;
	struct ifaddrmsg *ifa;
	struct rtattr *rta;
	const struct in6_addr *local;
	uint32_t flags;
	ssize_t n;
	int s, len, done = 0, error = ENOENT;

	if ((s = nl_open()) < 0) {
		return errno;
	}
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifa));
	req.nh.nlmsg_type = RTM_GETADDR;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nh.nlmsg_seq = 1;
	req.ifa.ifa_family = AF_INET6;
	if (send(s, &req, req.nh.nlmsg_len, 0) < 0) {
		error = errno;
		goto out;
	}
	while (!done) {
		if ((n = recv(s, buf, sizeof(buf), 0)) <= 0) {
			error = n < 0 ? errno : EPROTO;
			break;
		}
		for (r = (struct nlmsghdr *)buf; NLMSG_OK(r, (size_t)n);
		    r = NLMSG_NEXT(r, n)) {
			if (r->nlmsg_type == NLMSG_DONE ||
			    r->nlmsg_type == NLMSG_ERROR) {
				done = 1;
				break;
			}
			if (r->nlmsg_type != RTM_NEWADDR ||
			    r->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa))) {
				continue;
			}
			ifa = NLMSG_DATA(r);
			if ((int)ifa->ifa_index != ifidx) {
				continue;
			}
			flags = ifa->ifa_flags;
			local = NULL;
			len = (int)IFA_PAYLOAD(r);
			for (rta = IFA_RTA(ifa); RTA_OK(rta, len);
			    rta = RTA_NEXT(rta, len)) {
				if ((rta->rta_type == IFA_ADDRESS ||
				    rta->rta_type == IFA_LOCAL) &&
				    RTA_PAYLOAD(rta) == sizeof(*local)) {
					local = RTA_DATA(rta);
				} else if (rta->rta_type == IFA_FLAGS &&
				    RTA_PAYLOAD(rta) == sizeof(flags)) {
					memcpy(&flags, RTA_DATA(rta),
					    sizeof(flags));
				}
			}
			if (local != NULL &&
			    memcmp(local, a, sizeof(*a)) == 0) {
				*flagsp = flags;
				error = 0;
			}
		}
	}
out:
	close(s);
	return error;
}
