/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The backend registry: a new backend is one file, one line here and one
 * configure case.
 */
#include "core/xk.h"

#include <stdio.h>
#include <string.h>

#include "backends/backend.h"

static const struct xk_backend_ops *const backends[] = {
	&xk_be_mem_ops,
#ifdef XK_HAVE_BACKEND_LINUX
	&xk_be_linux_ops,
#endif
#ifdef XK_HAVE_BACKEND_PCAP
	&xk_be_pcap_ops,
#endif
#ifdef XK_HAVE_BACKEND_NFQUEUE
	&xk_be_nfqueue_ops,
#endif
};

/* Every backend xkpi has, built in this configuration or not. */
static const char *const known[] = { "mem", "linux", "pcap", "nfqueue" };

const struct xk_backend_ops *
xk_backend_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		if (strcmp(backends[i]->be_name, name) == 0) {
			return backends[i];
		}
	}
	return NULL;
}

void
xk_backend_names(bool built, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	if (built) {
		for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]);
		    i++) {
			len += (size_t)snprintf(buf + len, len < size ?
			    size - len : 0, "%s%s", i > 0 ? ", " : "",
			    backends[i]->be_name);
		}
	} else {
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
			len += (size_t)snprintf(buf + len, len < size ?
			    size - len : 0, "%s%s", i > 0 ? ", " : "",
			    known[i]);
		}
	}
}

const char *
xk_backend_caps(const char *name)
{
	/*
	 * linux: a packet socket per interface and a raw socket to send;
	 * pcap: libpcap's packet sockets; nfqueue: netfilter queues and
	 * SO_MARK (CAP_NET_ADMIN) and a raw socket to send.
	 */
	if (strcmp(name, "linux") == 0 || strcmp(name, "pcap") == 0) {
		return "cap_net_raw";
	}
	if (strcmp(name, "nfqueue") == 0) {
		return "cap_net_admin,cap_net_raw";
	}
	return NULL;
}

bool
xk_backend_known(const char *name)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (strcmp(known[i], name) == 0) {
			return true;
		}
	}
	return false;
}
