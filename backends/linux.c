/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The linux backend: copies of the host's IP traffic from packet sockets,
 * and raw IP sockets to send.
 *
 * Receive.  Each attached interface has AF_PACKET sockets of type
 * SOCK_DGRAM (the kernel strips the link header) bound to it, with a
 * classic BPF filter that lets only IPv4 and IPv6 through, so ARP and the
 * rest never cross into userspace.  Two ways to drain a socket:
 *
 *  ring	a TPACKET_V3 ring mapped into the process; each frame is
 *		copied once into an mbuf, with the interface, direction and
 *		kernel timestamp from its header.  Measured here
 *		(bench/README.md) it takes more packets per second than
 *		either bare method, at a fraction of recvmmsg's CPU per
 *		packet.  But a block is handed over only when full or after
 *		its timeout (1 ms), which adds up to 1 ms of latency to a
 *		packet that comes alone.
 *  direct	recvmmsg(2) of up to LX_BATCH packets straight into mbuf
 *		clusters, the metadata from each packet's sockaddr_ll and
 *		SCM_TIMESTAMPNS.  No added latency, but a wakeup for every
 *		few packets, which costs more CPU per packet when busy.
 *
 * XKPI_LINUX_RX chooses:
 *
 *  auto	(the default) both sockets, in one PACKET_FANOUT group whose
 *		classic BPF program sends every packet to one of them: the
 *		direct socket while traffic is sparse, the ring once a
 *		wakeup of the direct socket finds LX_BUSY_PKTS packets or
 *		more waiting, and the direct socket again once a ring block
 *		is handed over by its timeout with fewer than LX_QUIET_PKTS
 *		packets and the next one is empty.  The switch is one
 *		setsockopt(PACKET_FANOUT_DATA), atomic in the kernel: no
 *		packet goes to both or neither.  A lone packet meets no
 *		block timeout, and dense traffic gets the ring's throughput.
 *		TPACKET_V2 (a wakeup per frame) was measured instead and
 *		lost to both (bench/README.md).  A kernel without
 *		PACKET_FANOUT_CBPF gets the direct socket alone.
 *  ring	the ring alone (the 1 ms block timeout on sparse traffic).
 *  mmsg	the direct socket alone.
 *
 * Loops.  With several loops (XKPI_THREADS), each interface has a lane
 * per loop: a set of the sockets above, read on that loop's thread only.
 * All the lanes' sockets are in one fanout group (in auto, the group
 * above) whose program deals packets out by their address pair: the
 * IPv4 source and destination, or the last 96 bits of the IPv6 ones,
 * xor-folded (so that both directions agree) modulo the number of lanes.
 * One pair's packets always reach the same lane, in order; in auto each
 * lane switches between its direct socket and its ring on its own.
 * Fragments carry their addresses, so a datagram's pieces meet on one
 * lane.  A kernel without PACKET_FANOUT_CBPF gets one lane, on loop 0.
 *
 * The host's own outgoing packets are not copied at all
 * (PACKET_IGNORE_OUTGOING, and the filter drops PACKET_OUTGOING for a
 * fanout group): they are not input, and the engine would only count
 * them.
 *
 * Send.  Two ways out, chosen per packet:
 *
 *  TX ring	an Ethernet interface has an AF_PACKET TX ring of its own
 *		(TPACKET_V2, LX_TX_FRAMES frames; XKPI_LINUX_TX=ring, the
 *		default).  A unicast packet whose next hop the host has
 *		resolved is framed here (the link address from the host's
 *		route and neighbour tables, remembered while the host's
 *		state does not change, for at most LX_NH_TTL_US, after
 *		which the host's entry is confirmed with NTF_USE) and
 *		copied once into a frame under the core lock.  The kernel
 *		is kicked (send(2) of nothing) by the sender itself once
 *		LX_TX_KICK frames wait, else by the loop on its next turn:
 *		a lone packet leaves at once, a burst in batches, and a
 *		flood costs the sender one system call per LX_TX_KICK
 *		packets, as the bare TX ring does.  A full ring is ENOBUFS
 *		(`<if>.txring_full`).  The frames leave below the host's IP
 *		layer: its netfilter OUTPUT and POSTROUTING hooks, routing
 *		policy and IPsec do not see them (XKPI_LINUX_TX=raw when
 *		they must).
 *  raw socket	everything else: multicast and broadcast, a next hop not
 *		resolved yet (the host holds the packet and resolves, and
 *		counts its failure, below), a destination the host routes
 *		out of another interface, links without a link layer
 *		(loopback, tun), packets larger than a frame, and while
 *		packets wait here, so that none overtakes another.  As BSD's
 *		if_output, the engine's output only enqueues on the
 *		interface output queue (4096 packets; full is ENOBUFS); the
 *		loop drains it with sendmmsg(2) on one raw socket per
 *		family with the IP header included (IPPROTO_RAW): the
 *		kernel routes, resolves the link address and builds the
 *		frame.  The interface the engine chose is pinned with an
 *		IP_PKTINFO / IPV6_PKTINFO control message.  Errors the host
 *		reports then (a netfilter EPERM, say) are counted
 *		(`txerrors`), as a driver's would be.  That queue and its
 *		sockets are rawtx.c's, which the nfqueue backend shares.
 *
 * Either way a packet counts in the interface's opackets when the host
 * takes it, in its oqdrops when it does not (XK_BEF_OCOUNT);
 * xkpi_shutdown() and the exit hook send what is still kept (lx_drain),
 * within a bound, and count the rest lost.
 *
 * Faults.  The kernel says ENETDOWN on the packet socket when the
 * interface goes down or is deleted; it is read and counted, and a
 * deleted interface's socket is no longer watched (lx_rx_error).  The
 * host resolves next hops itself and drops the packets of a neighbour it
 * gives up on: those failures are counted (lx_neigh_cb).
 */
#include "core/xk.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <xkpi.h>

#include "backends/backend.h"
#include "backends/hostif.h"
#include "backends/rawtx.h"
#include "core/if_var.h"
#include "core/mbuf_var.h"
#include "core/socket_var.h"

#define LX_BATCH	32	/* packets per recvmmsg or per input batch */
#define LX_ROUNDS	8	/* batches per readable event, for fairness */
#define LX_RING_BLOCK	(1U << 18)	/* 256 KiB per ring block */
#define LX_RING_BLOCKS	16
#define LX_RING_TOV_MS	1	/* a partial block is handed over after */
#define LX_BUSY_PKTS	(2 * LX_BATCH)	/* auto: to the ring at this many */
#define LX_QUIET_PKTS	32	/* auto: back, a block with fewer */
#define LX_TX_FRAME	2048	/* TX ring frame, header included */
#define LX_TX_FRAMES	1024	/* 2 MiB per Ethernet interface */
#define LX_TX_DATA	TPACKET_ALIGN(sizeof(struct tpacket2_hdr))
#define LX_TX_MAXLEN	(LX_TX_FRAME - LX_TX_DATA)	/* the frame's bytes */
#define LX_TX_KICK	32	/* frames the sender kicks out itself */
#define LX_TX_GAP_US	20	/* sends closer than this: a stream */
#define LX_TX_TAIL_US	50	/* a stream's last frames wait at most */
#define LX_NHC_SIZE	256	/* next hops remembered, direct mapped */
#define LX_NH_TTL_US	G_USEC_PER_SEC	/* then asked again */

enum lx_rxmode { LX_RX_AUTO, LX_RX_MMSG, LX_RX_RING };

#ifndef PACKET_FANOUT_FLAG_IGNORE_OUTGOING
#define PACKET_FANOUT_FLAG_IGNORE_OUTGOING 0x4000
#endif

/*
 * Per-interface counters (be.linux.<if>.*).  The loop thread counts
 * receive without the core lock while xkpi_stats() reads them on another
 * thread: atomic.
 */
struct lx_ifstats {
	_Atomic uint64_t rx;		/* handed to the engine */
	_Atomic uint64_t truncated;	/* larger than the receive buffer */
	_Atomic uint64_t nomem;		/* no mbuf for a packet */
	_Atomic uint64_t kdrops;	/* the kernel dropped (socket full) */
	_Atomic uint64_t rxerrors;	/* the host reported a receive error */
	_Atomic uint64_t gone;		/* the interface was deleted */
	_Atomic uint64_t neigh_failed;	/* the host failed to resolve a
					   neighbour */
	_Atomic uint64_t to_ring;	/* auto: switched to the ring */
	_Atomic uint64_t to_direct;	/* auto: back to the direct socket */
	/* The TX ring's, under the core lock. */
	uint64_t	 txring;	/* frames the host took */
	uint64_t	 txring_full;	/* refused: no free frame (ENOBUFS) */
	uint64_t	 txring_errors;	/* the host refused a kick */
	uint64_t	 txring_kicks;	/* send(2) calls that kicked the ring */
};

/*
 * An Ethernet interface's TX ring.  Frames are filled in order at
 * tx_head and taken by the kernel in order; tx_done is the oldest the
 * kernel has not taken.  The counters run modulo 2^32, a frame is
 * counter % LX_TX_FRAMES.
 */
struct lx_tx {
	int		 tx_fd;		/* AF_PACKET SOCK_RAW, bound */
	uint8_t		*tx_ring;
	size_t		 tx_ringlen;
	/* Under the core lock: */
	uint32_t	 tx_head;	/* next frame to fill */
	uint32_t	 tx_done;	/* oldest frame not taken */
	uint32_t	 tx_kicked;	/* tx_head at the last kick */
	bool		 tx_armed;	/* tx_kick is active */
	bool		 tx_tailing;	/* tx_tail is pending */
	int64_t		 tx_last;	/* when a frame was last filled */
	/* One send(2) on the ring at a time; taken after the core lock. */
	pthread_mutex_t	 tx_kmtx;
	struct event	*tx_kick;	/* the loop's kick, at its next turn */
	struct event	*tx_tail;	/* the loop's kick for a stream's end */
	struct event	*tx_wev;	/* room again in the socket buffer */
};

/*
 * One loop's share of an interface's receive: its packet sockets, read
 * on that loop's thread only.  There is a lane per loop (XKPI_THREADS);
 * with several, every lane's sockets are in one fanout group whose
 * program deals the packets out by their address pair (lx_deal_prog):
 * one pair's packets always reach the same lane, in order.
 */
struct lx_lane {
	struct lx_if	*ln_if;
	int		 ln_num;	/* its loop */
	/*
	 * The socket first opened, watched by ln_ev: the direct socket
	 * (mmsg, auto), or the ring's (ring).  In auto, the ring's socket
	 * is ln_rfd, watched by ln_rev; -1 and NULL otherwise.
	 */
	int		 ln_fd;
	struct event	*ln_ev;
	int		 ln_rfd;
	struct event	*ln_rev;
	int		 ln_ringfd;	/* the ring's socket: ln_fd or ln_rfd */
	bool		 ln_toring;	/* auto: the kernel feeds the ring */
	uint32_t	 ln_lastblk;	/* ring: packets in the last block */
	uint32_t	 ln_bufsize;	/* cluster size for mmsg receive;
					   0: the MTU needs more (lx_rx_big) */
	uint8_t		*ln_big;	/* mmsg, MTU over 16 KiB: 64 KiB */
	struct __mbuf	*ln_spare[LX_BATCH]; /* mmsg: mbufs ready to fill */
	uint8_t		*ln_ring;	/* ring: the mapping */
	size_t		 ln_ringlen;
	unsigned int	 ln_block;	/* ring: next block to read */
	uint32_t	 ln_done;	/* ring: frames read in that block */
	_Atomic uint64_t ln_rx;		/* handed to the engine (lane<n>.rx) */
	/* auto: order kept across a switch (lx_rx_cb, lx_rx_quiet). */
	bool		 ln_drain;	/* read the direct socket first */
	int		 ln_wait_blk;	/* the direct socket waits until the
					   ring's block of this number is
					   read; -1: it does not */
};

struct lx_if {
	struct __ifnet	*li_ifp;
	struct xk_backend *li_be;
	uint32_t	 li_index;
	enum lx_rxmode	 li_mode;	/* auto falls back to mmsg */
	int		 li_nlanes;
	struct lx_lane	 li_lanes[XK_LOOPS_MAX];
	/*
	 * auto: bit n set while lane n's ring is fed; the group's program
	 * is made again from it (lx_steer), one change at a time.
	 */
	uint32_t	 li_steer;
	pthread_mutex_t	 li_steer_mtx;
	struct lx_tx	*li_tx;		/* Ethernet: the TX ring, or NULL */
	struct lx_ifstats li_st;
};

/*
 * A next hop's link address as the host last said it (nc_ring), or that
 * packets to that destination go the host's way (!nc_ring): valid while
 * the host's state has not changed (nc_gen) and until nc_until.
 */
struct lx_nhc {
	uint64_t	 nc_gen;	/* 0: empty */
	int64_t		 nc_until;
	uint32_t	 nc_ifindex;
	int		 nc_family;
	bool		 nc_ring;
	union {
		struct in_addr	v4;
		struct in6_addr	v6;
	}		 nc_dst;
	uint8_t		 nc_lladdr[ETHER_ADDR_LEN];
};

struct lx_softc {
	enum lx_rxmode	 ls_mode;
	GPtrArray	*ls_ifs;	/* struct lx_if */
	struct xk_hostif_mon *ls_mon;
	struct xk_rawtx	*ls_tx;		/* the interface output queue */
	bool		 ls_txring;	/* XKPI_LINUX_TX=ring */
	struct lx_nhc	 ls_nhc[LX_NHC_SIZE];	/* core lock */
};

#define LX_NUD_FAILED	0x20		/* linux/neighbour.h NUD_FAILED */

/*
 * A neighbour changed on the host.  The host resolves link addresses for
 * what this backend sends, and when it gives up on a neighbour it drops
 * the packets that waited, without telling the sender: the failure is
 * counted on the interface (neigh_failed), the one trace of that loss.
 */
static void
lx_neigh_cb(void *ctx, int family, uint32_t ifindex, const void *addr,
    const uint8_t *lladdr, size_t lllen, uint16_t state)
{
	struct lx_softc *sc = ctx;

	(void)family;
	(void)addr;
	(void)lladdr;
	(void)lllen;
	if ((state & LX_NUD_FAILED) == 0) {
		return;
	}
	xk_core_lock();
	for (guint i = 0; i < sc->ls_ifs->len; i++) {
		struct lx_if *li = g_ptr_array_index(sc->ls_ifs, i);

		if (li->li_index == ifindex) {
			li->li_st.neigh_failed++;
		}
	}
	xk_core_unlock();
}

/* Frees what lx_open made, however far it got. */
static void
lx_softc_free(struct lx_softc *sc)
{
	if (sc->ls_mon != NULL) {
		xk_hostif_unfollow(sc->ls_mon);
	}
	xk_rawtx_free(sc->ls_tx);
	if (sc->ls_ifs != NULL) {
		g_ptr_array_free(sc->ls_ifs, TRUE);
	}
	g_free(sc);
}

static int
lx_open(struct xk_backend *be)
{
	struct lx_softc *sc;
	const char *mode = getenv("XKPI_LINUX_RX");
	const char *txmode = getenv("XKPI_LINUX_TX");
	int error;

	if ((sc = g_try_new0(struct lx_softc, 1)) == NULL) {
		return ENOMEM;
	}
	if (mode == NULL || *mode == '\0' || strcmp(mode, "auto") == 0) {
		sc->ls_mode = LX_RX_AUTO;
	} else if (strcmp(mode, "ring") == 0) {
		sc->ls_mode = LX_RX_RING;
	} else if (strcmp(mode, "mmsg") == 0) {
		sc->ls_mode = LX_RX_MMSG;
	} else {
		xk_log(XKPI_LOG_ERROR, "XKPI_LINUX_RX=%s: not auto, mmsg or "
		    "ring", mode);
		error = EINVAL;
		goto fail;
	}
	if (txmode == NULL || *txmode == '\0' || strcmp(txmode, "ring") == 0) {
		sc->ls_txring = true;
	} else if (strcmp(txmode, "raw") != 0) {
		xk_log(XKPI_LOG_ERROR, "XKPI_LINUX_TX=%s: not ring or raw",
		    txmode);
		error = EINVAL;
		goto fail;
	}
	/* EPERM without CAP_NET_RAW, as the kernel says. */
	if ((sc->ls_tx = xk_rawtx_open(be->be_base, "linux", 0, &error)) ==
	    NULL) {
		goto fail;
	}
	sc->ls_ifs = g_ptr_array_new();
	/*
	 * Attached interfaces follow the host's MTU and address changes;
	 * neighbours the host fails to resolve are counted (lx_neigh_cb).
	 */
	if ((sc->ls_mon = xk_hostif_follow(be->be_base, lx_neigh_cb, sc)) ==
	    NULL) {
		error = errno;
		goto fail;
	}
	be->be_softc = sc;
	return 0;
fail:
	lx_softc_free(sc);
	return error;
}

/*
 * Lets IPv4 and IPv6 through, by the packet's link-layer protocol, but
 * not the host's own output (PACKET_IGNORE_OUTGOING does not reach a
 * fanout group on every kernel); with @none, nothing.
 */
static int
lx_attach_filter(int fd, bool none)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS,
		    (uint32_t)(SKF_AD_OFF + SKF_AD_PKTTYPE)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 4, 0),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS,
		    (uint32_t)(SKF_AD_OFF + SKF_AD_PROTOCOL)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0x40000),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_filter nothing[] = {
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog;

	memset(&prog, 0, sizeof(prog));	/* the padding goes to the kernel */
	prog.len = none ? 1 : sizeof(code) / sizeof(code[0]);
	prog.filter = none ? nothing : code;

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
	    sizeof(prog)) == 0 ? 0 : errno;
}

/*
 * The start of a fanout program that leaves in A the lane a packet goes
 * to, of @nlanes: its address pair (IPv4: source and destination; IPv6:
 * their last 96 bits, which hold the interface identifiers) folded by
 * xor, so that both directions of a pair agree, then modulo @nlanes.  The
 * program sees the packet from its network header.  A packet too short
 * to read ends the program with 0: lane 0.  Returns the number of
 * instructions written to @c, at most LX_DEAL_LEN.
 */
#define LX_DEAL_LEN	36
static unsigned int
lx_deal_prog(struct sock_filter *c, int nlanes)
{
	unsigned int n = 0;

	c[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_H | BPF_ABS,
	    (uint32_t)(SKF_AD_OFF + SKF_AD_PROTOCOL));
	/* IPv4: the five instructions that follow; else skip them. */
	c[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
	    ETH_P_IP, 0, 5);
	c[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 12);
	c[n++] = (struct sock_filter)BPF_STMT(BPF_MISC | BPF_TAX, 0);
	c[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 16);
	c[n++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0);
	c[n++] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, 1 + 5 * 3);
	/* IPv6: words 3 to 5 of the source (12 to 20), 7 to 9 (28 to 36). */
	c[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 12);
	for (uint32_t k = 16; k <= 36; k += 4) {
		if (k == 24) {
			k = 28;
		}
		c[n++] = (struct sock_filter)BPF_STMT(BPF_MISC | BPF_TAX, 0);
		c[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W |
		    BPF_ABS, k);
		c[n++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_XOR |
		    BPF_X, 0);
	}
	/* Fold the high bits in, then the lane. */
	c[n++] = (struct sock_filter)BPF_STMT(BPF_MISC | BPF_TAX, 0);
	c[n++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 16);
	c[n++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0);
	c[n++] = (struct sock_filter)BPF_STMT(BPF_MISC | BPF_TAX, 0);
	c[n++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 8);
	c[n++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0);
	c[n++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_MOD | BPF_K,
	    (uint32_t)nlanes);
	return n;
}

/*
 * Sets the program of @li's fanout group for @steer (auto: bit n, lane
 * n's ring is fed).  Members are numbered in the order they joined:
 * lane n's first socket is n * per, in auto its ring's is n * 2 + 1.
 * Atomic in the kernel: no packet goes to both sockets or neither.
 * Called with li_steer_mtx held, or before the lanes run.
 */
static int
lx_steer_locked(struct lx_if *li, uint32_t steer)
{
	struct sock_filter code[LX_DEAL_LEN + 2 * XK_LOOPS_MAX + 2];
	struct sock_fprog prog;
	unsigned int n = 0;
	bool per2 = li->li_mode == LX_RX_AUTO;

	if (li->li_nlanes == 1) {
		code[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		    steer & 1);
	} else {
		n = lx_deal_prog(code, li->li_nlanes);
		if (!per2) {
			code[n++] = (struct sock_filter)BPF_STMT(BPF_RET |
			    BPF_A, 0);
		}
		for (int l = 0; per2 && l < li->li_nlanes; l++) {
			code[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP |
			    BPF_JEQ | BPF_K, (uint32_t)l, 0, 1);
			code[n++] = (struct sock_filter)BPF_STMT(BPF_RET |
			    BPF_K, (uint32_t)l * 2 + ((steer >> l) & 1));
		}
		code[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
	}
	memset(&prog, 0, sizeof(prog));	/* the padding goes to the kernel */
	prog.len = (unsigned short)n;
	prog.filter = code;

	return setsockopt(li->li_lanes[0].ln_fd, SOL_PACKET,
	    PACKET_FANOUT_DATA, &prog, sizeof(prog)) == 0 ? 0 : errno;
}

/* auto: lane @ln's packets to its ring (@toring) or its direct socket. */
static int
lx_steer(struct lx_lane *ln, bool toring)
{
	struct lx_if *li = ln->ln_if;
	uint32_t steer;
	int error;

	pthread_mutex_lock(&li->li_steer_mtx);
	steer = toring ? li->li_steer | (1U << ln->ln_num) :
	    li->li_steer & ~(1U << ln->ln_num);
	if ((error = lx_steer_locked(li, steer)) == 0) {
		li->li_steer = steer;
	}
	pthread_mutex_unlock(&li->li_steer_mtx);
	return error;
}

static int
lx_ring_setup(struct lx_lane *ln)
{
	struct tpacket_req3 req;
	int v = TPACKET_V3;

	if (setsockopt(ln->ln_ringfd, SOL_PACKET, PACKET_VERSION, &v,
	    sizeof(v)) != 0) {
		return errno;
	}
	memset(&req, 0, sizeof(req));
	req.tp_block_size = LX_RING_BLOCK;
	req.tp_block_nr = LX_RING_BLOCKS;
	req.tp_frame_size = 2048;	/* V3 packs frames; a hint only */
	req.tp_frame_nr = LX_RING_BLOCK / 2048 * LX_RING_BLOCKS;
	req.tp_retire_blk_tov = LX_RING_TOV_MS;
	if (setsockopt(ln->ln_ringfd, SOL_PACKET, PACKET_RX_RING, &req,
	    sizeof(req)) != 0) {
		return errno;
	}
	ln->ln_ringlen = (size_t)LX_RING_BLOCK * LX_RING_BLOCKS;
	ln->ln_ring = mmap(NULL, ln->ln_ringlen, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_LOCKED | MAP_POPULATE, ln->ln_ringfd, 0);
	if (ln->ln_ring == MAP_FAILED) {
		/* MAP_LOCKED may exceed RLIMIT_MEMLOCK: try without. */
		ln->ln_ring = mmap(NULL, ln->ln_ringlen,
		    PROT_READ | PROT_WRITE, MAP_SHARED, ln->ln_ringfd, 0);
	}
	if (ln->ln_ring == MAP_FAILED) {
		ln->ln_ring = NULL;
		return errno;
	}
	return 0;
}

static void lx_rx_cb(evutil_socket_t fd, short what, void *arg);
static void lx_ring_cb(evutil_socket_t fd, short what, void *arg);
static struct lx_tx *lx_tx_open(struct lx_if *li, struct event_base *base,
	    const char *name);
static void lx_tx_free(struct lx_tx *tx);
static unsigned int lx_tx_discard_locked(struct lx_if *li);

/* Closes lane @ln's sockets and frees its buffers; it can open again. */
static void
lx_lane_close(struct lx_lane *ln)
{
	if (ln->ln_ev != NULL) {
		event_free(ln->ln_ev);
	}
	if (ln->ln_rev != NULL) {
		event_free(ln->ln_rev);
	}
	if (ln->ln_rfd >= 0) {
		close(ln->ln_rfd);
	}
	for (int i = 0; i < LX_BATCH; i++) {
		xk_m_freem(ln->ln_spare[i]);
	}
	if (ln->ln_ring != NULL) {
		munmap(ln->ln_ring, ln->ln_ringlen);
	}
	g_free(ln->ln_big);
	if (ln->ln_fd >= 0) {
		close(ln->ln_fd);
	}
	ln->ln_ev = ln->ln_rev = NULL;
	ln->ln_fd = ln->ln_rfd = ln->ln_ringfd = -1;
	ln->ln_ring = ln->ln_big = NULL;
	memset(ln->ln_spare, 0, sizeof(ln->ln_spare));
	ln->ln_toring = ln->ln_drain = false;
	ln->ln_wait_blk = -1;
	ln->ln_block = ln->ln_done = ln->ln_lastblk = 0;
}

/* A new interface of index @index and MTU @mtu, its lanes unopened. */
static struct lx_if *
lx_if_new(struct xk_backend *be, uint32_t index, uint32_t mtu)
{
	struct lx_if *li;

	if ((li = g_try_new0(struct lx_if, 1)) == NULL) {
		return NULL;
	}
	li->li_be = be;
	li->li_index = index;
	for (int n = 0; n < XK_LOOPS_MAX; n++) {
		struct lx_lane *ln = &li->li_lanes[n];

		ln->ln_if = li;
		ln->ln_num = n;
		ln->ln_fd = ln->ln_rfd = ln->ln_ringfd = -1;
		ln->ln_wait_blk = -1;
		ln->ln_bufsize = xk_m_clsize_for(mtu);
	}
	pthread_mutex_init(&li->li_steer_mtx, NULL);
	return li;
}

/*
 * Stops watching every lane's sockets.  Without the core lock: event_del
 * waits for a receive callback that runs on another loop.  The ring's
 * first: its callback may watch the direct socket again (lx_ring_cb).
 */
static void
lx_if_unwatch(struct lx_if *li)
{
	for (int n = 0; n < li->li_nlanes; n++) {
		if (li->li_lanes[n].ln_rev != NULL) {
			event_del(li->li_lanes[n].ln_rev);
		}
		if (li->li_lanes[n].ln_ev != NULL) {
			event_del(li->li_lanes[n].ln_ev);
		}
	}
}

static void
lx_if_free(struct lx_if *li)
{
	lx_tx_free(li->li_tx);
	for (int n = 0; n < XK_LOOPS_MAX; n++) {
		lx_lane_close(&li->li_lanes[n]);
	}
	pthread_mutex_destroy(&li->li_steer_mtx);
	g_free(li);
}

/*
 * A packet socket for lane @ln, bound to its interface, in *@fdp; with
 * @ring, its TPACKET_V3 ring too.  With @join, it joins the fanout group
 * of lane 0's first socket (lx_fanout) as its next member, and receives
 * nothing until it has.
 */
static int
lx_sock_open(struct lx_lane *ln, int *fdp, bool ring, bool join)
{
	struct sockaddr_ll sll;
	int fd, one = 1;
	int error;

	if ((fd = *fdp = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0) {
		return errno;
	}
	/* The filter before the bind: nothing else is ever queued. */
	if ((error = lx_attach_filter(fd, join)) != 0) {
		return error;
	}
	(void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
	    sizeof(one));
	if (ring) {
		ln->ln_ringfd = fd;
		if ((error = lx_ring_setup(ln)) != 0) {
			return error;
		}
	} else {
		int rcvbuf = 4 << 20;

		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		    sizeof(rcvbuf));
		if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one,
		    sizeof(one)) != 0) {
			return errno;
		}
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)ln->ln_if->li_index;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		return errno;
	}
	if (join) {
		uint32_t arg;
		socklen_t len = sizeof(arg);

		/*
		 * The group lane 0 made (lx_fanout): id, type and flags, as
		 * joining spells them.
		 */
		if (getsockopt(ln->ln_if->li_lanes[0].ln_fd, SOL_PACKET,
		    PACKET_FANOUT, &arg,
		    &len) != 0) {
			return errno;
		}
		if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg,
		    sizeof(arg)) != 0) {
			return errno;
		}
		return lx_attach_filter(fd, false);
	}
	return 0;
}

/*
 * Makes lane 0's first socket the first member of a fanout group of its
 * own, whose program (lx_steer_locked) will deal packets out to the
 * lanes, and in auto choose between each lane's direct socket and its
 * ring.  Until a program is set the kernel sends every packet to
 * member 0.
 */
static int
lx_fanout(struct lx_if *li)
{
	uint32_t base = PACKET_FANOUT_FLAG_UNIQUEID |
	    PACKET_FANOUT_FLAG_IGNORE_OUTGOING;
	uint32_t arg = (base | PACKET_FANOUT_CBPF) << 16;
	int fd = li->li_lanes[0].ln_fd;

	if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg,
	    sizeof(arg)) == 0) {
		return 0;
	}
	/* Older kernels know no IGNORE_OUTGOING: the filter does it. */
	arg = ((uint32_t)(PACKET_FANOUT_FLAG_UNIQUEID | PACKET_FANOUT_CBPF))
	    << 16;
	return setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg,
	    sizeof(arg)) == 0 ? 0 : errno;
}

/* Lane @ln's sockets, joining lane 0's group: the first, and auto's ring. */
static int
lx_lane_open(struct lx_lane *ln)
{
	struct lx_if *li = ln->ln_if;
	int error;

	if ((error = lx_sock_open(ln, &ln->ln_fd, li->li_mode == LX_RX_RING,
	    true)) != 0) {
		return error;
	}
	if (li->li_mode == LX_RX_AUTO) {
		return lx_sock_open(ln, &ln->ln_rfd, true, true);
	}
	return 0;
}

/*
 * Opens the packet sockets of @li's lanes, bound to its interface: one
 * lane per loop, all in one fanout group when there are several or in
 * auto.  Without PACKET_FANOUT_CBPF (an old kernel): one lane, and auto
 * becomes mmsg.
 */
static int
lx_if_open(struct lx_softc *sc, struct lx_if *li)
{
	struct lx_lane *ln0 = &li->li_lanes[0];
	int error;

	li->li_mode = sc->ls_mode;
	li->li_nlanes = xk_loop_count();
	if ((error = lx_sock_open(ln0, &ln0->ln_fd, li->li_mode == LX_RX_RING,
	    false)) != 0) {
		return error;
	}
	if (li->li_mode != LX_RX_AUTO && li->li_nlanes == 1) {
		return 0;
	}
	if ((error = lx_fanout(li)) == 0 && li->li_mode == LX_RX_AUTO) {
		error = lx_sock_open(ln0, &ln0->ln_rfd, true, true);
	}
	if (error != 0) {
		/* A socket left in a group of one is harmless. */
		if (li->li_mode == LX_RX_AUTO) {
			xk_log(XKPI_LOG_INFO, "linux: no fanout between a "
			    "direct socket and a ring (%s): receiving as "
			    "XKPI_LINUX_RX=mmsg%s", strerror(error),
			    li->li_nlanes > 1 ? ", on one loop" : "");
			if (ln0->ln_ring != NULL) {
				munmap(ln0->ln_ring, ln0->ln_ringlen);
				ln0->ln_ring = NULL;
			}
			if (ln0->ln_rfd >= 0) {
				close(ln0->ln_rfd);
				ln0->ln_rfd = -1;
			}
			ln0->ln_ringfd = -1;
			li->li_mode = LX_RX_MMSG;
		} else {
			xk_log(XKPI_LOG_WARN, "linux: no fanout group (%s): "
			    "one loop receives", strerror(error));
		}
		li->li_nlanes = 1;
		return 0;
	}
	for (int n = 1; n < li->li_nlanes; n++) {
		if ((error = lx_lane_open(&li->li_lanes[n])) != 0) {
			return error;
		}
	}
	return li->li_nlanes > 1 ? lx_steer_locked(li, 0) : 0;
}

static int
lx_attach(struct xk_backend *be, const char *name, struct __ifnet **ifpp)
{
	struct lx_softc *sc = be->be_softc;
	struct xk_hostif hi;
	struct lx_if *li;
	int error;

	if ((error = xk_hostif_get(name, &hi)) != 0) {
		return error;
	}
	xk_core_lock();
	error = xk_if_byname_locked(name) != NULL ? EEXIST : 0;
	xk_core_unlock();
	if (error != 0) {
		return error;
	}
	if ((li = lx_if_new(be, hi.hi_index, hi.hi_mtu)) == NULL) {
		return ENOMEM;
	}
	if ((error = lx_if_open(sc, li)) != 0) {
		lx_if_free(li);
		return error;
	}
	if (sc->ls_txring && hi.hi_type == ARPHRD_ETHER &&
	    hi.hi_hwlen == ETHER_ADDR_LEN) {
		li->li_tx = lx_tx_open(li, be->be_base, name);
	}
	/* Each lane's events on its own loop. */
	for (int n = 0; n < li->li_nlanes; n++) {
		struct lx_lane *ln = &li->li_lanes[n];
		struct event_base *base = xk_loop_base_at(n);

		ln->ln_ev = event_new(base, ln->ln_fd, EV_READ | EV_PERSIST,
		    ln->ln_ringfd == ln->ln_fd ? lx_ring_cb : lx_rx_cb, ln);
		if (ln->ln_rfd >= 0) {
			ln->ln_rev = event_new(base, ln->ln_rfd,
			    EV_READ | EV_PERSIST, lx_ring_cb, ln);
		}
		if (ln->ln_ev == NULL ||
		    (ln->ln_rfd >= 0 && ln->ln_rev == NULL)) {
			lx_if_free(li);
			return ENOMEM;
		}
	}
	if ((error = xk_hostif_attach(name, li, &li->li_ifp)) != 0) {
		lx_if_free(li);
		return error;
	}
	xk_core_lock();
	g_ptr_array_add(sc->ls_ifs, li);
	xk_core_unlock();
	for (int n = 0; n < li->li_nlanes; n++) {
		struct lx_lane *ln = &li->li_lanes[n];

		if (event_add(ln->ln_ev, NULL) != 0 ||
		    (ln->ln_rev != NULL && event_add(ln->ln_rev, NULL) != 0)) {
			/* Left attached but partly deaf: say so. */
			xk_log(XKPI_LOG_ERROR, "linux: %s: cannot watch its "
			    "socket", name);
		}
	}
	*ifpp = li->li_ifp;
	return 0;
}

/*
 * The packet socket's event goes first, without the core lock (event_del
 * waits for a receive callback that runs): then nothing uses @li or its
 * ifnet but through the table.
 */
static int
lx_detach(struct xk_backend *be, const char *name)
{
	struct lx_softc *sc = be->be_softc;
	struct lx_if *li = NULL;
	struct __ifnet *ifp;

	xk_core_lock();
	if ((ifp = xk_if_byname_locked(name)) != NULL) {
		li = ifp->if_besc;
	}
	xk_core_unlock();
	if (li == NULL) {
		return ENXIO;
	}
	lx_if_unwatch(li);
	xk_core_lock();
	if (!g_ptr_array_remove(sc->ls_ifs, li)) {
		/* Detached meanwhile by another thread. */
		xk_core_unlock();
		return ENXIO;
	}
	if (li->li_tx != NULL) {
		/* Frames not taken yet go with it, counted (if_oqdrops). */
		xk_rawtx_count_lost(sc->ls_tx, lx_tx_discard_locked(li));
	}
	xk_if_detach_locked(li->li_ifp);
	xk_core_unlock();
	lx_if_free(li);
	return 0;
}

/* The batch's entry for a packet of @m, received on @ln. */
static void
lx_pkt(struct xk_be_pkt *p, const struct lx_lane *ln, struct __mbuf *m,
    unsigned char pkttype, const struct timespec *ts)
{
	memset(p, 0, sizeof(*p));
	p->bp_m = m;
	p->bp_ifindex = ln->ln_if->li_index;
	p->bp_dir = pkttype == PACKET_OUTGOING ? XK_DIR_OUT : XK_DIR_IN;
	p->bp_ts = *ts;
}

/*
 * The host reported an error on lane @ln's packet socket (@error, from
 * recvmmsg or SO_ERROR): counted in rxerrors.  The kernel says ENETDOWN
 * both when the interface goes down, after which the socket receives
 * again once it is up, and when the interface is deleted, after which it
 * never will: then the lane's events are removed, so that nothing wakes
 * for them again.  Every lane hears of it; lane 0 counts and logs it.
 */
static void
lx_rx_error(struct lx_lane *ln, int error)
{
	char name[IF_NAMESIZE];

	ln->ln_if->li_st.rxerrors++;
	if (error != ENETDOWN && error != ENODEV && error != ENXIO) {
		return;
	}
	if (if_indextoname(ln->ln_if->li_index, name) == NULL &&
	    errno == ENXIO) {
		ln->ln_wait_blk = -1;	/* not watched again */
		event_del(ln->ln_ev);
		if (ln->ln_rev != NULL) {
			event_del(ln->ln_rev);
		}
		if (ln->ln_num != 0) {
			return;
		}
		ln->ln_if->li_st.gone++;
		xk_core_lock();
		g_strlcpy(name, ln->ln_if->li_ifp->if_name, sizeof(name));
		xk_core_unlock();
		xk_log(XKPI_LOG_WARN, "linux: %s is gone; receive on it stops",
		    name);
	}
}

/*
 * Reads and clears the packet socket's pending error.  A ring socket is
 * never read, so nothing else clears it, and while it is set the socket
 * polls readable (EPOLLERR): the loop would spin.
 */
static void
lx_rx_sockerr(struct lx_lane *ln)
{
	socklen_t len;
	int error = 0;

	len = sizeof(error);
	if (getsockopt(ln->ln_ringfd, SOL_SOCKET, SO_ERROR, &error,
	    &len) == 0 &&
	    error != 0) {
		lx_rx_error(ln, error);
	}
}

/*
 * A packet of @len bytes at @data, copied once into a new packet: into
 * the mbuf itself when it fits (no cluster to take and give back, the
 * common case of small packets), else into a cluster.
 */
static struct __mbuf *
lx_devget(const void *data, size_t len)
{
	struct __mbuf *m;

	if (len > (size_t)XK_MHLEN) {
		return xk_m_devget(data, len);
	}
	if ((m = xk_m_get(MBUF_TYPE_DATA, true)) == NULL) {
		return NULL;
	}
	memcpy(m->m_data, data, len);
	m->m_len = m->m_pkthdr.len = (int32_t)len;
	return m;
}

/*
 * One packet of an interface whose MTU no cluster holds (loopback's
 * 64 KiB): received whole into a buffer, then copied into a chain.
 */
static unsigned int
lx_rx_big(struct lx_lane *ln, struct xk_be_pkt *pkts, bool *more)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { ln->ln_big, IP_MAXPACKET + 1 };
	struct sockaddr_ll from;
	struct timespec ts = { 0, 0 };
	struct msghdr mh;
	struct cmsghdr *cm;
	struct __mbuf *m;
	ssize_t n;

	*more = false;
	if (ln->ln_big == NULL &&
	    (ln->ln_big = g_try_malloc(IP_MAXPACKET + 1)) == NULL) {
		/* No buffer: drop the packet rather than be woken by it. */
		if (recv(ln->ln_fd, &cbuf, 0, MSG_DONTWAIT | MSG_TRUNC) >= 0) {
			ln->ln_if->li_st.nomem++;
			*more = true;
		}
		return 0;
	}
	iov.iov_base = ln->ln_big;
	memset(&mh, 0, sizeof(mh));
	mh.msg_name = &from;
	mh.msg_namelen = sizeof(from);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf.buf;
	mh.msg_controllen = sizeof(cbuf.buf);
	if ((n = recvmsg(ln->ln_fd, &mh, MSG_DONTWAIT)) < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			lx_rx_error(ln, errno);
		}
		return 0;
	}
	*more = true;
	if ((mh.msg_flags & MSG_TRUNC) != 0) {
		ln->ln_if->li_st.truncated++;
		return 0;
	}
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_TIMESTAMPNS) {
			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
		}
	}
	if ((m = xk_m_devget(ln->ln_big, (size_t)n)) == NULL) {
		ln->ln_if->li_st.nomem++;
		return 0;
	}
	lx_pkt(&pkts[0], ln, m, from.sll_pkttype, &ts);
	return 1;
}

/* One recvmmsg round into the spare mbufs; the packets go to @pkts. */
static unsigned int
lx_rx_mmsg(struct lx_lane *ln, struct xk_be_pkt *pkts, bool *more)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} cbuf[LX_BATCH];
	struct mmsghdr msgs[LX_BATCH];
	struct sockaddr_ll from[LX_BATCH];
	struct iovec iov[LX_BATCH];
	unsigned int n = 0;
	int got;

	*more = false;
	if (ln->ln_bufsize == 0) {
		return lx_rx_big(ln, pkts, more);
	}
	for (int i = 0; i < LX_BATCH; i++) {
		struct __mbuf *m = ln->ln_spare[i];

		if (m == NULL) {
			m = ln->ln_spare[i] = xk_m_getcl(MBUF_TYPE_DATA, true,
			    ln->ln_bufsize);
		}
		if (m == NULL) {
			/* Out of mbufs: take what fits; retry next time. */
			ln->ln_if->li_st.nomem++;
			break;
		}
		iov[i].iov_base = m->m_data;
		iov[i].iov_len = xk_m_trailingspace(m);
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_name = &from[i];
		msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_control = cbuf[i].buf;
		msgs[i].msg_hdr.msg_controllen = sizeof(cbuf[i].buf);
		n++;
	}
	if (n == 0) {
		return 0;
	}
	got = recvmmsg(ln->ln_fd, msgs, n, MSG_DONTWAIT, NULL);
	if (got <= 0) {
		if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			lx_rx_error(ln, errno);
		}
		return 0;
	}
	*more = (unsigned int)got == n;
	n = 0;
	for (int i = 0; i < got; i++) {
		struct msghdr *mh = &msgs[i].msg_hdr;
		struct __mbuf *m = ln->ln_spare[i];
		struct timespec ts = { 0, 0 };
		struct cmsghdr *cm;

		if ((mh->msg_flags & MSG_TRUNC) != 0) {
			ln->ln_if->li_st.truncated++;
			continue;	/* the mbuf stays a spare */
		}
		for (cm = CMSG_FIRSTHDR(mh); cm != NULL;
		    cm = CMSG_NXTHDR(mh, cm)) {
			if (cm->cmsg_level == SOL_SOCKET &&
			    cm->cmsg_type == SCM_TIMESTAMPNS) {
				memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			}
		}
		ln->ln_spare[i] = NULL;
		m->m_len = m->m_pkthdr.len = (int32_t)msgs[i].msg_len;
		lx_pkt(&pkts[n++], ln, m, from[i].sll_pkttype, &ts);
	}
	/* Keep the spares packed at the front for the next round. */
	for (int i = 0, j = 0; i < LX_BATCH; i++) {
		if (ln->ln_spare[i] != NULL) {
			struct __mbuf *m = ln->ln_spare[i];

			ln->ln_spare[i] = NULL;
			ln->ln_spare[j++] = m;
		}
	}
	return n;
}

/*
 * One ring block, if the kernel has handed it over, into @pkts (at most
 * LX_BATCH at a time: the block stays ours until every frame is read).
 */
static unsigned int
lx_rx_ring(struct lx_lane *ln, struct xk_be_pkt *pkts, bool *more)
{
	struct tpacket_block_desc *bd;
	struct tpacket3_hdr *h;
	unsigned int n = 0;

	*more = false;
	bd = (struct tpacket_block_desc *)(void *)(ln->ln_ring +
	    (size_t)ln->ln_block * LX_RING_BLOCK);
	if ((__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
	    TP_STATUS_USER) == 0) {
		return 0;
	}
	h = (struct tpacket3_hdr *)(void *)((uint8_t *)bd +
	    bd->hdr.bh1.offset_to_first_pkt);
	for (uint32_t i = 0; i < ln->ln_done; i++) {
		h = (struct tpacket3_hdr *)(void *)((uint8_t *)h +
		    h->tp_next_offset);
	}
	while (ln->ln_done < bd->hdr.bh1.num_pkts && n < LX_BATCH) {
		const struct sockaddr_ll *sll = (const void *)((uint8_t *)h +
		    TPACKET_ALIGN(sizeof(*h)));
		struct timespec ts = { h->tp_sec, h->tp_nsec };
		struct __mbuf *m;

		if (h->tp_snaplen < h->tp_len) {
			ln->ln_if->li_st.truncated++;
		} else if ((m = lx_devget((uint8_t *)h + h->tp_net,
		    h->tp_snaplen)) == NULL) {
			ln->ln_if->li_st.nomem++;
		} else {
			lx_pkt(&pkts[n++], ln, m, sll->sll_pkttype, &ts);
		}
		ln->ln_done++;
		h = (struct tpacket3_hdr *)(void *)((uint8_t *)h +
		    h->tp_next_offset);
	}
	if (ln->ln_done == bd->hdr.bh1.num_pkts) {
		/* Give the block back and go on to the next. */
		ln->ln_lastblk = ln->ln_done;
		ln->ln_done = 0;
		__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL,
		    __ATOMIC_RELEASE);
		ln->ln_block = (ln->ln_block + 1) % LX_RING_BLOCKS;
	}
	*more = true;
	return n;
}

/*
 * auto, the ring fed: back to the direct socket when the last block was
 * handed over with fewer than LX_QUIET_PKTS packets (its timeout, then:
 * the traffic is sparse) and the next one is still empty.  The kernel
 * may still have put a packet into that block between the look and the
 * switch; once the switch returns it puts none (the old program is out
 * of use), so a second look says for sure.  If that block holds packets
 * now, they are older than anything the direct socket gets from here
 * on: the direct socket is not read (ln_wait_blk) until the block is
 * handed over, at its timeout, and read.  Order is kept either way.
 */
static void
lx_rx_quiet(struct lx_lane *ln)
{
	struct tpacket_block_desc *bd;

	bd = (struct tpacket_block_desc *)(void *)(ln->ln_ring +
	    (size_t)ln->ln_block * LX_RING_BLOCK);
	if (ln->ln_lastblk >= LX_QUIET_PKTS ||
	    __atomic_load_n(&bd->hdr.bh1.num_pkts, __ATOMIC_RELAXED) != 0) {
		return;
	}
	if (lx_steer(ln, false) != 0) {
		return;
	}
	ln->ln_toring = false;
	ln->ln_if->li_st.to_direct++;
	if (__atomic_load_n(&bd->hdr.bh1.num_pkts, __ATOMIC_ACQUIRE) != 0) {
		ln->ln_wait_blk = (int)ln->ln_block;
		event_del(ln->ln_ev);
	}
}

/* @n packets lane @ln read, counted and handed to the engine. */
static void
lx_lane_input(struct lx_lane *ln, struct xk_be_pkt *pkts, unsigned int n)
{
	struct xk_backend *be = ln->ln_if->li_be;

	ln->ln_if->li_st.rx += n;
	ln->ln_rx += n;
	be->be_input(be, pkts, n);
}

/*
 * Up to LX_ROUNDS batches from the direct socket into the engine; adds
 * their number to *@got.  Returns whether more may wait.
 */
static bool
lx_rx_direct(struct lx_lane *ln, unsigned int *got)
{
	struct xk_be_pkt pkts[LX_BATCH];
	bool more = true;

	for (int round = 0; round < LX_ROUNDS && more; round++) {
		unsigned int n = lx_rx_mmsg(ln, pkts, &more);

		if (n > 0) {
			*got += n;
			lx_lane_input(ln, pkts, n);
		}
	}
	return more;
}

/* The direct socket is readable (mmsg, auto). */
static void
lx_rx_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lx_lane *ln = arg;
	uint32_t size;
	unsigned int got = 0;
	bool was;

	(void)fd;
	(void)what;
	was = xk_loop_enter();
	/* The host may have changed the MTU: buffers to match. */
	xk_core_lock();
	size = xk_m_clsize_for(ln->ln_if->li_ifp->if_mtu);
	xk_core_unlock();
	if (size != ln->ln_bufsize) {
		for (int i = 0; i < LX_BATCH; i++) {
			xk_m_freem(ln->ln_spare[i]);
			ln->ln_spare[i] = NULL;
		}
		ln->ln_bufsize = size;
	}
	(void)lx_rx_direct(ln, &got);
	/*
	 * auto: this many at one wakeup, the traffic is dense: the ring
	 * takes it from the next packet on.  What is queued here is older:
	 * it is read before the ring is (ln_drain).
	 */
	if (got >= LX_BUSY_PKTS && ln->ln_rfd >= 0 && !ln->ln_toring &&
	    lx_steer(ln, true) == 0) {
		ln->ln_toring = true;
		ln->ln_drain = true;
		ln->ln_if->li_st.to_ring++;
	}
	xk_loop_leave(was);
}

/* The ring's socket is readable: blocks were handed over (ring, auto). */
static void
lx_ring_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lx_lane *ln = arg;
	struct xk_be_pkt pkts[LX_BATCH];
	unsigned int got = 0;
	bool was, more = true;

	(void)fd;
	(void)what;
	was = xk_loop_enter();
	/*
	 * auto, just switched to the ring: what the direct socket still
	 * holds came first.  The ring's block stays ready (and its event
	 * with it) until that is read.
	 */
	if (ln->ln_drain) {
		if (lx_rx_direct(ln, &got)) {
			xk_loop_leave(was);
			return;
		}
		ln->ln_drain = false;
	}
	for (int round = 0; round < LX_ROUNDS && more; round++) {
		unsigned int n = lx_rx_ring(ln, pkts, &more);

		if (n > 0) {
			lx_lane_input(ln, pkts, n);
		}
		if (round == 0 && !more) {
			/* Woken with no block ready: an error, most likely. */
			lx_rx_sockerr(ln);
		}
		if (ln->ln_wait_blk >= 0 &&
		    ln->ln_wait_blk != (int)ln->ln_block) {
			/* The block behind the switch is read: direct again. */
			ln->ln_wait_blk = -1;
			if (event_add(ln->ln_ev, NULL) != 0) {
				xk_log(XKPI_LOG_ERROR, "linux: cannot watch a "
				    "socket again");
			}
		}
	}
	if (!more && ln->ln_toring) {
		lx_rx_quiet(ln);
	}
	xk_loop_leave(was);
}

/* The TX ring. */

static struct tpacket2_hdr *
lx_tx_frame(const struct lx_tx *tx, uint32_t n)
{
	return (struct tpacket2_hdr *)(void *)(tx->tx_ring +
	    (size_t)(n % LX_TX_FRAMES) * LX_TX_FRAME);
}

static void lx_tx_kick_cb(evutil_socket_t fd, short what, void *arg);
static void lx_tx_tail_cb(evutil_socket_t fd, short what, void *arg);

static void
lx_tx_free(struct lx_tx *tx)
{
	if (tx == NULL) {
		return;
	}
	if (tx->tx_kick != NULL) {
		event_free(tx->tx_kick);
	}
	if (tx->tx_tail != NULL) {
		event_free(tx->tx_tail);
	}
	if (tx->tx_wev != NULL) {
		event_free(tx->tx_wev);
	}
	if (tx->tx_ring != NULL) {
		munmap(tx->tx_ring, tx->tx_ringlen);
	}
	if (tx->tx_fd >= 0) {
		close(tx->tx_fd);
	}
	pthread_mutex_destroy(&tx->tx_kmtx);
	g_free(tx);
}

/* An event that does nothing (lx_tx_open). */
static void
lx_noop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

/*
 * The TX ring of Ethernet interface @li: an AF_PACKET socket that
 * receives nothing (protocol 0), bound to the interface.  PACKET_LOSS:
 * a frame the kernel finds malformed is skipped, not left to stop the
 * ring.  NULL (logged) when the kernel refuses: the raw sockets send.
 */
static struct lx_tx *
lx_tx_open(struct lx_if *li, struct event_base *base, const char *name)
{
	struct tpacket_req req;
	struct sockaddr_ll sll;
	struct event *ev;
	struct lx_tx *tx;
	int v = TPACKET_V2, one = 1;

	if ((tx = g_try_new0(struct lx_tx, 1)) == NULL) {
		return NULL;
	}
	pthread_mutex_init(&tx->tx_kmtx, NULL);
	memset(&req, 0, sizeof(req));
	req.tp_block_size = 1U << 16;
	req.tp_frame_size = LX_TX_FRAME;
	req.tp_frame_nr = LX_TX_FRAMES;
	req.tp_block_nr = LX_TX_FRAMES * LX_TX_FRAME / req.tp_block_size;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)li->li_index;
	tx->tx_ringlen = (size_t)LX_TX_FRAMES * LX_TX_FRAME;
	if ((tx->tx_fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(tx->tx_fd, SOL_PACKET, PACKET_VERSION, &v,
	    sizeof(v)) != 0 ||
	    setsockopt(tx->tx_fd, SOL_PACKET, PACKET_LOSS, &one,
	    sizeof(one)) != 0 ||
	    setsockopt(tx->tx_fd, SOL_PACKET, PACKET_TX_RING, &req,
	    sizeof(req)) != 0 ||
	    (tx->tx_ring = mmap(NULL, tx->tx_ringlen, PROT_READ | PROT_WRITE,
	    MAP_SHARED, tx->tx_fd, 0)) == MAP_FAILED ||
	    bind(tx->tx_fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		xk_log(XKPI_LOG_WARN, "linux: %s: no TX ring (%s): the raw "
		    "sockets send", name, strerror(errno));
		if (tx->tx_ring == MAP_FAILED) {
			tx->tx_ring = NULL;
		}
		lx_tx_free(tx);
		return NULL;
	}
	tx->tx_kick = event_new(base, -1, 0, lx_tx_kick_cb, li);
	tx->tx_tail = evtimer_new(base, lx_tx_tail_cb, li);
	tx->tx_wev = event_new(base, tx->tx_fd, EV_WRITE, lx_tx_kick_cb, li);
	/*
	 * libevent allocates its entry for a descriptor the first time an
	 * event on it is added, and keeps it until the base goes: made here
	 * with an event of no consequence (tx_wev's callback would find no
	 * li_tx yet), so that the first full socket buffer (lx_tx_kick)
	 * allocates nothing on the packet path.  event_free() waits for
	 * its callback if the loop is running it.
	 */
	ev = event_new(base, tx->tx_fd, EV_WRITE, lx_noop_cb, NULL);
	if (ev == NULL || event_add(ev, NULL) != 0 || tx->tx_kick == NULL ||
	    tx->tx_tail == NULL || tx->tx_wev == NULL) {
		if (ev != NULL) {
			event_free(ev);
		}
		lx_tx_free(tx);
		return NULL;
	}
	event_free(ev);
	return tx;
}

/*
 * Counts the frames the kernel has taken since the last call (in order:
 * up to the first still waiting) in if_opackets.  Core lock held.
 */
static void
lx_tx_confirm_locked(struct lx_if *li)
{
	struct lx_tx *tx = li->li_tx;

	XK_LOCK_ASSERT();
	while (tx->tx_done != tx->tx_head) {
		struct tpacket2_hdr *h = lx_tx_frame(tx, tx->tx_done);

		if (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) ==
		    TP_STATUS_SEND_REQUEST) {
			break;
		}
		li->li_ifp->if_opackets++;
		li->li_st.txring++;
		tx->tx_done++;
	}
}

/*
 * Gives back every frame the kernel has not taken, as never filled;
 * counts them in if_oqdrops and returns how many.  Core lock held; the
 * ring's kick lock is taken, so that no send(2) runs meanwhile.
 */
static unsigned int
lx_tx_discard_locked(struct lx_if *li)
{
	struct lx_tx *tx = li->li_tx;
	unsigned int n = 0;

	XK_LOCK_ASSERT();
	pthread_mutex_lock(&tx->tx_kmtx);
	lx_tx_confirm_locked(li);
	/* The kernel looks at tx_done next: fill from there again. */
	for (; tx->tx_head != tx->tx_done; tx->tx_head--, n++) {
		__atomic_store_n(&lx_tx_frame(tx, tx->tx_head - 1)->tp_status,
		    TP_STATUS_AVAILABLE, __ATOMIC_RELEASE);
	}
	tx->tx_kicked = tx->tx_head;
	pthread_mutex_unlock(&tx->tx_kmtx);
	li->li_ifp->if_oqdrops += n;
	return n;
}

/*
 * Hands the frames filled so far to the kernel (which sends them, on a
 * veth the peer's receive included, in this thread), then counts what it
 * took.  With @locked the core lock is held (the sender's kick); else it
 * is taken after the send(2).
 */
static void
lx_tx_kick(struct lx_if *li, bool locked)
{
	struct lx_tx *tx = li->li_tx;
	int error = 0;

	if (locked) {
		tx->tx_kicked = tx->tx_head;
	}
	pthread_mutex_lock(&tx->tx_kmtx);
	if (send(tx->tx_fd, NULL, 0, MSG_DONTWAIT) < 0) {
		error = errno;
	}
	pthread_mutex_unlock(&tx->tx_kmtx);
	if (!locked) {
		xk_core_lock();
	}
	li->li_st.txring_kicks++;
	lx_tx_confirm_locked(li);
	if (tx->tx_done != tx->tx_head) {
		switch (error) {
		case 0:
		case EAGAIN:
		case ENOBUFS:
			/* The socket's buffer is full: on, once it has room. */
			event_add(tx->tx_wev, NULL);
			break;
		case ENETDOWN:
		case ENXIO:
		case ENODEV:
			/*
			 * Down or gone: what waits is dropped, as the raw
			 * socket's sends would fail (ENOBUFS would follow).
			 */
			li->li_st.txring_errors++;
			(void)lx_tx_discard_locked(li);
			break;
		default:
			li->li_st.txring_errors++;
			break;
		}
	}
	if (!locked) {
		xk_core_unlock();
	}
}

/*
 * The loop's kick: frames were filled on the loop thread (an upcall's
 * answers leave together once the callback returns), or the socket has
 * room again.
 */
static void
lx_tx_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lx_if *li = arg;
	struct lx_tx *tx = li->li_tx;
	bool was;

	(void)fd;
	(void)what;
	was = xk_loop_enter();
	xk_core_lock();
	/* Frames filled from now on arm it again. */
	tx->tx_armed = false;
	tx->tx_kicked = tx->tx_head;
	xk_core_unlock();
	lx_tx_kick(li, false);
	xk_loop_leave(was);
}

/*
 * The end of a stream: the frames another thread filled since its last
 * kick leave.  While the stream goes on (a frame filled in the last
 * LX_TX_GAP_US), its sender kicks every LX_TX_KICK frames itself: look
 * again in LX_TX_TAIL_US, without the core lock the sender holds most of
 * the time (waiting for it cost the sender a futex wake and two context
 * switches per look) and without a kick.
 */
static void
lx_tx_tail_cb(evutil_socket_t fd, short what, void *arg)
{
	struct timeval tv = { 0, LX_TX_TAIL_US };
	struct lx_if *li = arg;
	struct lx_tx *tx = li->li_tx;
	bool was;

	(void)fd;
	(void)what;
	if (g_get_monotonic_time() - __atomic_load_n(&tx->tx_last,
	    __ATOMIC_RELAXED) < LX_TX_GAP_US && evtimer_add(tx->tx_tail,
	    &tv) == 0) {
		return;
	}
	was = xk_loop_enter();
	xk_core_lock();
	tx->tx_kicked = tx->tx_head;
	if (g_get_monotonic_time() - tx->tx_last >= LX_TX_GAP_US ||
	    evtimer_add(tx->tx_tail, &tv) != 0) {
		tx->tx_tailing = false;
	}
	xk_core_unlock();
	lx_tx_kick(li, false);
	xk_loop_leave(was);
}

/*
 * The family and destination of the IP packet whose first @len bytes are
 * @p; false for neither IP, or a header cut short.
 */
static bool
lx_dst(const uint8_t *p, size_t len, int *family, void *dst)
{
	if (len >= sizeof(struct ip) && p[0] >> 4 == 4) {
		*family = AF_INET;
		memcpy(dst, p + offsetof(struct ip, ip_dst),
		    sizeof(struct in_addr));
		return true;
	}
	if (len >= sizeof(struct ip6_hdr) && p[0] >> 4 == 6) {
		*family = AF_INET6;
		memcpy(dst, p + offsetof(struct ip6_hdr, ip6_dst),
		    sizeof(struct in6_addr));
		return true;
	}
	return false;
}

/*
 * Where a packet to @dst out of @li goes: its next hop's link address
 * (true), or the host's way (false): multicast and broadcast, a route
 * out of another interface or none, a neighbour the host has not
 * resolved.  Remembered in the cache.  Core lock held.
 */
static bool
lx_nexthop_locked(struct lx_softc *sc, struct lx_if *li, int family,
    const void *dst, int64_t now, const uint8_t **lladdr)
{
	union {
		struct in_addr	v4;
		struct in6_addr	v6;
	} nh;
	size_t alen = family == AF_INET ? sizeof(struct in_addr) :
	    sizeof(struct in6_addr), lllen = 0;
	const uint8_t *b = dst;
	struct lx_nhc *nc;
	uint8_t ll[16];
	uint32_t h = li->li_index * 2654435761u, oif = 0;
	uint64_t gen;
	bool ring = false, renew;

	for (size_t i = 0; i < alen; i++) {
		h = (h ^ b[i]) * 16777619u;
	}
	nc = &sc->ls_nhc[h % LX_NHC_SIZE];
	gen = xk_hostif_generation(sc->ls_mon) + 1;	/* never 0 */
	if (nc->nc_gen == gen && nc->nc_ifindex == li->li_index &&
	    nc->nc_family == family && memcmp(&nc->nc_dst, dst, alen) == 0 &&
	    now < nc->nc_until) {
		*lladdr = nc->nc_lladdr;
		return nc->nc_ring;
	}
	renew = nc->nc_gen != 0 && nc->nc_ring &&
	    nc->nc_ifindex == li->li_index && nc->nc_family == family &&
	    memcmp(&nc->nc_dst, dst, alen) == 0;
	memset(&nh, 0, sizeof(nh));
	if (family == AF_INET ? IN_MULTICAST(ntohl(((const struct in_addr *)
	    dst)->s_addr)) || ((const struct in_addr *)dst)->s_addr ==
	    INADDR_BROADCAST : IN6_IS_ADDR_MULTICAST((const struct in6_addr *)
	    dst)) {
		ring = false;
	} else if (family == AF_INET6 &&
	    IN6_IS_ADDR_LINKLOCAL((const struct in6_addr *)dst)) {
		/* On this link by definition: no route to ask. */
		memcpy(&nh, dst, alen);
		oif = li->li_index;
	} else if (xk_hostif_route(family, dst, 0, &oif, &nh) != 0) {
		oif = 0;
	}
	if (oif == li->li_index && xk_hostif_neigh(family, li->li_index, &nh,
	    ll, sizeof(ll), &lllen) == 0 && lllen == ETHER_ADDR_LEN) {
		ring = true;
		/*
		 * Frames sent here never confirm the host's entry: ask the
		 * host to (NTF_USE), as its own traffic would, every
		 * LX_NH_TTL_US, so that a stale entry is probed again.
		 */
		if (renew) {
			(void)xk_hostif_neigh_resolve(family, li->li_index,
			    &nh);
		}
	}
	nc->nc_gen = gen;
	nc->nc_until = now + LX_NH_TTL_US;
	nc->nc_ifindex = li->li_index;
	nc->nc_family = family;
	nc->nc_ring = ring;
	memset(&nc->nc_dst, 0, sizeof(nc->nc_dst));
	memcpy(&nc->nc_dst, dst, alen);
	if (ring) {
		memcpy(nc->nc_lladdr, ll, ETHER_ADDR_LEN);
	}
	*lladdr = nc->nc_lladdr;
	return ring;
}

/*
 * A frame of @li's TX ring for an IP packet of @len bytes whose first
 * @hlen bytes are @hdr, its Ethernet header written: 1 and the place for
 * the packet in *@datap; 0 when the packet goes the raw socket's way
 * (nothing done); -1 when the ring is full (counted).  Core lock held.
 */
static int
lx_tx_claim_locked(struct lx_softc *sc, struct lx_if *li, const void *hdr,
    size_t hlen, size_t len, int64_t now, uint8_t **datap)
{
	struct lx_tx *tx = li->li_tx;
	struct tpacket2_hdr *h;
	struct ether_header *eh;
	union {
		struct in_addr	v4;
		struct in6_addr	v6;
	} dst;
	const uint8_t *lladdr;
	int family;

	if (len > LX_TX_MAXLEN - ETHER_HDR_LEN ||
	    !lx_dst(hdr, hlen, &family, &dst) ||
	    !lx_nexthop_locked(sc, li, family, &dst, now, &lladdr) ||
	    xk_rawtx_pending(sc->ls_tx) != 0) {
		return 0;
	}
	h = lx_tx_frame(tx, tx->tx_head);
	if (tx->tx_head - tx->tx_done >= LX_TX_FRAMES ||
	    __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) !=
	    TP_STATUS_AVAILABLE) {
		/* Full: what waits goes first, then look again. */
		lx_tx_kick(li, true);
		if (tx->tx_head - tx->tx_done >= LX_TX_FRAMES ||
		    __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) !=
		    TP_STATUS_AVAILABLE) {
			li->li_st.txring_full++;
			return -1;
		}
	}
	eh = (struct ether_header *)(void *)((uint8_t *)h + LX_TX_DATA);
	memcpy(eh->ether_dhost, lladdr, ETHER_ADDR_LEN);
	memcpy(eh->ether_shost, li->li_ifp->if_hwaddr, ETHER_ADDR_LEN);
	eh->ether_type = htons(family == AF_INET ? ETHERTYPE_IP :
	    ETHERTYPE_IPV6);
	*datap = (uint8_t *)(eh + 1);
	return 1;
}

/*
 * A kick by the sending thread.  The gap to its next send counts from
 * the kick's end: the kernel's time for the frames (longer than
 * LX_TX_GAP_US for a batch, on a slow host for one) is not the
 * sender's, and counted in, every frame after a kick would look alone
 * and cost a kick of its own.  Core lock held.
 */
static void
lx_tx_kick_sender(struct lx_if *li)
{
	lx_tx_kick(li, true);
	/* Read by lx_tx_tail_cb without the core lock. */
	__atomic_store_n(&li->li_tx->tx_last, g_get_monotonic_time(),
	    __ATOMIC_RELAXED);
}

/*
 * The frame lx_tx_claim_locked gave, now holding its @len bytes of IP
 * packet, goes to the kernel: at once, with the next frames, or with the
 * loop's kick.  Core lock held.
 */
static void
lx_tx_commit_locked(struct lx_if *li, size_t len, int64_t now)
{
	struct lx_tx *tx = li->li_tx;
	struct tpacket2_hdr *h = lx_tx_frame(tx, tx->tx_head);
	bool stream;

	h->tp_len = (uint32_t)(ETHER_HDR_LEN + len);
	__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST,
	    __ATOMIC_RELEASE);
	tx->tx_head++;
	stream = now - tx->tx_last < LX_TX_GAP_US;
	/* Read by lx_tx_tail_cb without the core lock. */
	__atomic_store_n(&tx->tx_last, now, __ATOMIC_RELAXED);
	if (tx->tx_head - tx->tx_kicked >= LX_TX_KICK) {
		/* A flood: the sender pays the kernel, as a bare sender. */
		lx_tx_kick_sender(li);
	} else if (xk_on_loop_thread()) {
		/* After the callback: an upcall's answers leave together. */
		if (!tx->tx_armed) {
			tx->tx_armed = true;
			event_active(tx->tx_kick, 0, 0);
		}
	} else if (!stream) {
		/* A packet alone leaves at once, as with a bare send. */
		lx_tx_kick_sender(li);
	} else if (!tx->tx_tailing) {
		/*
		 * A stream: the sender kicks every LX_TX_KICK frames, and
		 * the loop sends what is left when it stops.  Waking the
		 * loop for every few frames would cost more than the kick.
		 */
		struct timeval tv = { 0, LX_TX_TAIL_US };

		if (evtimer_add(tx->tx_tail, &tv) == 0) {
			tx->tx_tailing = true;
		} else {
			lx_tx_kick_sender(li);
		}
	}
}

/*
 * One packet into @li's TX ring: 1 when it went (consumed), 0 when it
 * goes the raw socket's way (left in @p), -1 when the ring is full
 * (consumed, ENOBUFS in @p).  Core lock held.
 */
static int
lx_tx1_locked(struct lx_softc *sc, struct lx_if *li, struct xk_be_pkt *p)
{
	struct __mbuf *m = p->bp_m;
	uint8_t hdr[sizeof(struct ip6_hdr)], *data;
	size_t len = xk_m_length(m), hlen = MIN(len, sizeof(hdr));
	int64_t now = g_get_monotonic_time();
	int r;

	(void)xk_m_copydata(m, 0, hlen, hdr);
	if ((r = lx_tx_claim_locked(sc, li, hdr, hlen, len, now,
	    &data)) == 0) {
		return 0;
	}
	p->bp_m = NULL;
	if (r < 0) {
		p->bp_error = ENOBUFS;
		xk_m_freem(m);
		return -1;
	}
	if (m->m_next == NULL) {
		memcpy(data, m->m_data, len);
	} else {
		xk_m_copydata(m, 0, len, data);
	}
	xk_m_freem(m);
	lx_tx_commit_locked(li, len, now);
	return 1;
}

/*
 * be_drain: the output queue leaves, or is counted (rawtx.h); so do the
 * TX rings, kicked until they are empty or @deadline passes.
 */
static void
lx_drain(struct xk_backend *be, int64_t deadline, const char *why)
{
	struct lx_softc *sc = be->be_softc;
	unsigned int lost = 0;
	GPtrArray *ifs;

	xk_rawtx_drain(sc->ls_tx, deadline, why);
	/* Interfaces may come and go meanwhile: a copy, under the lock. */
	xk_core_lock();
	ifs = g_ptr_array_copy(sc->ls_ifs, NULL, NULL);
	xk_core_unlock();
	for (guint i = 0; i < ifs->len; i++) {
		struct lx_if *li = g_ptr_array_index(ifs, i);
		bool waiting = li->li_tx != NULL;

		while (waiting) {
			lx_tx_kick(li, false);
			xk_core_lock();
			waiting = li->li_tx->tx_done != li->li_tx->tx_head;
			xk_core_unlock();
			if (!waiting || g_get_monotonic_time() >= deadline) {
				break;
			}
			g_usleep(1000);
		}
		if (waiting) {
			xk_core_lock();
			lost += lx_tx_discard_locked(li);
			xk_core_unlock();
		}
	}
	g_ptr_array_free(ifs, TRUE);
	if (lost > 0) {
		xk_core_lock();
		xk_rawtx_count_lost(sc->ls_tx, lost);
		xk_core_unlock();
		xk_log(XKPI_LOG_WARN, "linux: %u queued packet(s) did not "
		    "leave by %s (if.*.oqdrops, be.linux.txlost)", lost, why);
	}
}

/*
 * The engine's output: an Ethernet interface's TX ring when the packet
 * can go that way, else the interface output queue (rawtx.h).
 */
static void
lx_output(struct xk_backend *be, struct xk_be_pkt *pkts, unsigned int n,
    unsigned int *sent)
{
	struct lx_softc *sc = be->be_softc;

	XK_LOCK_ASSERT();
	*sent = 0;
	for (unsigned int i = 0; i < n; i++) {
		struct __ifnet *ifp;
		struct lx_if *li;
		unsigned int one = 0;
		int r = 0;

		if (sc->ls_txring &&
		    (ifp = xk_if_byindex_locked(pkts[i].bp_ifindex)) != NULL &&
		    (li = ifp->if_besc) != NULL && li->li_tx != NULL &&
		    (r = lx_tx1_locked(sc, li, &pkts[i])) != 0) {
			*sent += r > 0;
			continue;
		}
		xk_rawtx_output(sc->ls_tx, &pkts[i], 1, &one);
		*sent += one;
	}
}

/*
 * be_output_direct: the packet goes into the interface's TX ring from
 * the caller's memory when lx_output would put it there; EAGAIN for
 * everything that goes the raw socket's way.
 */
static int
lx_output_direct(struct xk_backend *be, uint32_t ifindex, const void *hdr,
    size_t hlen, const struct iovec *iov, int iovcnt, size_t paylen)
{
	struct lx_softc *sc = be->be_softc;
	struct __ifnet *ifp;
	struct lx_if *li;
	uint8_t *data;
	int64_t now;
	int r;

	XK_LOCK_ASSERT();
	if (!sc->ls_txring || (ifp = xk_if_byindex_locked(ifindex)) == NULL ||
	    (li = ifp->if_besc) == NULL || li->li_tx == NULL) {
		return EAGAIN;
	}
	now = g_get_monotonic_time();
	if ((r = lx_tx_claim_locked(sc, li, hdr, hlen, hlen + paylen, now,
	    &data)) <= 0) {
		return r == 0 ? EAGAIN : ENOBUFS;
	}
	xk_be_copy_direct(data, hdr, hlen, iov, iovcnt);
	lx_tx_commit_locked(li, hlen + paylen, now);
	return 0;
}

static int
lx_route(struct xk_backend *be, int family, const void *dst,
    uint32_t *ifindex)
{
	uint8_t nexthop[sizeof(struct in6_addr)];

	(void)be;
	return xk_hostif_route(family, dst, 0, ifindex, nexthop);
}

/* Adds the kernel's drop count on socket @fd since the last call to @li's. */
static void
lx_kdrops_fd(struct lx_if *li, int fd)
{
	union {
		struct tpacket_stats v2;
		struct tpacket_stats_v3 v3;
	} st;
	socklen_t len = sizeof(st);

	memset(&st, 0, sizeof(st));
	/* Reading the kernel's counters resets them. */
	if (fd >= 0 && getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st,
	    &len) == 0) {
		li->li_st.kdrops += st.v2.tp_drops;
	}
}

/* Adds the kernel's drop count of @li since the last call to its own. */
static void
lx_kdrops(struct lx_if *li)
{
	for (int n = 0; n < li->li_nlanes; n++) {
		lx_kdrops_fd(li, li->li_lanes[n].ln_fd);
		lx_kdrops_fd(li, li->li_lanes[n].ln_rfd);
	}
}

static void
lx_stats(struct xk_backend *be, void (*fn)(void *, const char *, uint64_t),
    void *ctx)
{
	struct lx_softc *sc = be->be_softc;
	char name[64];

	for (guint i = 0; i < sc->ls_ifs->len; i++) {
		struct lx_if *li = g_ptr_array_index(sc->ls_ifs, i);
		const char *ifn = li->li_ifp->if_name;
		const struct {
			const char *n;
			uint64_t v;
		} rows[] = {
			{ "rx", li->li_st.rx },
			{ "truncated", li->li_st.truncated },
			{ "nomem", li->li_st.nomem },
			{ "kdrops", li->li_st.kdrops },
			{ "rxerrors", li->li_st.rxerrors },
			{ "gone", li->li_st.gone },
			{ "neigh_failed", li->li_st.neigh_failed },
			{ "to_ring", li->li_st.to_ring },
			{ "to_direct", li->li_st.to_direct },
			{ "txring", li->li_st.txring },
			{ "txring_full", li->li_st.txring_full },
			{ "txring_errors", li->li_st.txring_errors },
			{ "txring_kicks", li->li_st.txring_kicks },
		};

		lx_kdrops(li);
		for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
			snprintf(name, sizeof(name), "linux.%s.%s", ifn,
			    rows[r].n);
			fn(ctx, name, r == 3 ? li->li_st.kdrops : rows[r].v);
		}
		for (int n = 0; li->li_nlanes > 1 && n < li->li_nlanes; n++) {
			snprintf(name, sizeof(name), "linux.%s.lane%d.rx", ifn,
			    n);
			fn(ctx, name, li->li_lanes[n].ln_rx);
		}
	}
	fn(ctx, "linux.netlink_overruns", sc->ls_mon != NULL ?
	    xk_hostif_overruns(sc->ls_mon) : 0);
	xk_rawtx_stats(sc->ls_tx, fn, ctx);
}

static void
lx_stop(struct xk_backend *be)
{
	struct lx_softc *sc = be->be_softc;

	for (guint i = 0; i < sc->ls_ifs->len; i++) {
		struct lx_if *li = g_ptr_array_index(sc->ls_ifs, i);

		lx_if_unwatch(li);
		if (li->li_tx != NULL) {
			event_del(li->li_tx->tx_kick);
			event_del(li->li_tx->tx_tail);
			event_del(li->li_tx->tx_wev);
		}
	}
	xk_rawtx_stop(sc->ls_tx);
	if (sc->ls_mon != NULL) {
		xk_hostif_unfollow(sc->ls_mon);
		sc->ls_mon = NULL;
	}
}

static void
lx_close(struct xk_backend *be)
{
	struct lx_softc *sc = be->be_softc;

	for (guint i = 0; i < sc->ls_ifs->len; i++) {
		lx_if_free(g_ptr_array_index(sc->ls_ifs, i));
	}
	/* Packets still queued go with the backend. */
	lx_softc_free(sc);
	be->be_softc = NULL;
}

const struct xk_backend_ops xk_be_linux_ops = {
	.be_version = XK_BACKEND_OPS_VERSION,
	.be_name = "linux",
	.be_features = XK_BEF_COPIES | XK_BEF_OCOUNT,
	.be_open = lx_open,
	.be_attach = lx_attach,
	.be_output = lx_output,
	.be_output_direct = lx_output_direct,
	.be_route = lx_route,
	.be_stats = lx_stats,
	.be_drain = lx_drain,
	.be_mcast = xk_hostif_mcast,
	.be_detach = lx_detach,
	.be_stop = lx_stop,
	.be_close = lx_close,
};
