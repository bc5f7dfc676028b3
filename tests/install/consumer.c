/*
 * Built outside the tree against an installed xkpi, with nothing but
 * `pkg-config --cflags --libs xkpi`: proves the install layout, the
 * include path and the exported symbols.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <string.h>

#include <sys/kpi_socket.h>
#include <sys/kpi_mbuf.h>
#include <netinet6/send.h>
#include <netinet/ip_divert.h>
#include <net/if_dl.h>
#include <xkpi.h>
#include <xkpi_fw.h>

int
main(void)
{
	static const char msg[] = "installed";
	char back[sizeof(msg)];
	mbuf_t m;
	errno_t error;

	if ((error = mbuf_gethdr(MBUF_WAITOK, MBUF_TYPE_DATA, &m)) != 0) {
		fprintf(stderr, "mbuf_gethdr: %d\n", error);
		return 1;
	}
	error = mbuf_copyback(m, 0, sizeof(msg), msg, MBUF_WAITOK);
	if (error == 0) {
		error = mbuf_copydata(m, 0, sizeof(back), back);
	}
	mbuf_freem(m);
	if (error != 0 || memcmp(back, msg, sizeof(msg)) != 0) {
		fprintf(stderr, "round trip failed: %d\n", error);
		return 1;
	}
	if ((error = xkpi_fw_add("divert natd ip from any to any")) != 0 ||
	    (error = xkpi_fw_flush()) != 0) {
		fprintf(stderr, "xkpi_fw: %d\n", error);
		return 1;
	}
	printf("consumer: %s, IPPROTO_DIVERT %d, IPPROTO_SEND %d, mhlen %u\n",
	    back, IPPROTO_DIVERT, IPPROTO_SEND, mbuf_get_mhlen());
	return 0;
}
