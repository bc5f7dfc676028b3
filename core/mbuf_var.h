/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The mbuf itself, the allocator and the chain operations the engine and
 * the KPI facade share.  Private to the library (and its unit tests).
 */
#ifndef _XK_CORE_MBUF_VAR_H_
#define _XK_CORE_MBUF_VAR_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/kpi_mbuf.h>

#define XK_MSIZE	256
#define XK_MCLBYTES	2048
#define XK_MBIGCLBYTES	4096
#define XK_M16KCLBYTES	16384

/* The part of every mbuf that is not data: 32 bytes. */
struct xk_mhdr {
	struct __mbuf	*mh_next;	/* next mbuf of the packet */
	struct __mbuf	*mh_nextpkt;	/* next packet of a list */
	char		*mh_data;	/* first data byte */
	int32_t		 mh_len;	/* data bytes in this mbuf */
	uint16_t	 mh_type;	/* MBUF_TYPE_* */
	uint16_t	 mh_flags;	/* MBUF_* and private M_* flags */
};

/* A cluster's shared part, in front of its bytes. */
struct xk_cluster {
	_Atomic uint32_t cl_refs;	/* mbufs pointing at the cluster */
	uint32_t	 cl_size;	/* bytes after this header */
	_Atomic uint32_t cl_prop;	/* mbuf_cluster_set_prop()'s word */
	uint32_t	 cl_pad0;
	uint64_t	 cl_pad[2];	/* keep the data 32-byte aligned */
};

struct xk_mext {
	char		  *ext_buf;	/* first byte of the cluster */
	struct xk_cluster *ext_cl;	/* its reference count */
	uint32_t	   ext_size;	/* cluster size */
};

struct xk_mtag {
	struct xk_mtag	*mt_next;
	mbuf_tag_id_t	 mt_id;
	mbuf_tag_type_t	 mt_type;
	uint16_t	 mt_len;
	_Alignas(16) unsigned char mt_data[];
};

struct xk_pkthdr {
	int32_t		 len;		/* packet length */
	uint32_t	 csum_flags;	/* reserved for checksum offload */
	ifnet_t		 rcvif;		/* receive interface */
	void		*header;	/* frame header, not owned */
	struct xk_mtag	*tags;		/* singly linked */
	uint64_t	 rcvts;		/* when the backend saw it: ns since
					   the epoch, 0 when not received */
	uint64_t	 hold;		/* the host packet an intercepting
					   backend holds for it (bp_hold),
					   0: none */
};

#define XK_MLEN		((int)(XK_MSIZE - sizeof(struct xk_mhdr)))
#define XK_MHLEN	((int)(XK_MLEN - sizeof(struct xk_pkthdr)))
#define XK_MINCLSIZE	(XK_MLEN + XK_MHLEN)

/*
 * As in BSD, the packet header overlays the start of the data area, and
 * the cluster handle always sits after the packet header, so setting or
 * clearing M_PKTHDR on a cluster mbuf never moves it.
 */
struct __mbuf {
	struct xk_mhdr m_hdr;
	union {
		struct {
			struct xk_pkthdr MH_pkthdr;
			union {
				struct xk_mext MH_ext;
				char MH_databuf[XK_MHLEN];
			} MH_dat;
		} MH;
		char M_databuf[XK_MLEN];
	} M_dat;
};

_Static_assert(sizeof(struct __mbuf) == XK_MSIZE, "mbuf size is MSIZE");

#define m_next		m_hdr.mh_next
#define m_nextpkt	m_hdr.mh_nextpkt
#define m_data		m_hdr.mh_data
#define m_len		m_hdr.mh_len
#define m_type		m_hdr.mh_type
#define m_flags		m_hdr.mh_flags
#define m_pkthdr	M_dat.MH.MH_pkthdr
#define m_ext		M_dat.MH.MH_dat.MH_ext
#define m_pktdat	M_dat.MH.MH_dat.MH_databuf
#define m_dat		M_dat.M_databuf

#define M_EXT		MBUF_EXT
#define M_PKTHDR	MBUF_PKTHDR
#define M_EOR		MBUF_EOR
/* Flags a packet header carries along when it moves. */
#define M_COPYFLAGS	(M_PKTHDR | M_EOR | MBUF_LOOP | MBUF_BCAST | \
    MBUF_MCAST | MBUF_FRAG | MBUF_FIRSTFRAG | MBUF_LASTFRAG | \
    MBUF_PROMISC | MBUF_HASFCS)
/* What mbuf_flags() shows and mbuf_setflags() may change. */
#define M_PUBLICFLAGS	(M_COPYFLAGS | M_EXT)

#define mtod(m, t)	((t)(void *)((m)->m_data))

/*
 * The misuse detector: a KPI entry given a freed mbuf calls the panic
 * hook, then fails (EINVAL, or NULL, 0 or nothing where it returns no
 * errno).  A freed mbuf keeps MBUF_TYPE_FREE in a quarantine of
 * XK_MB_QUARANTINE mbufs, then in the zone's cache, until it is
 * allocated again (core/mbuf.c).  One compare on the fast path.
 */
#define XK_MB_QUARANTINE	256
int		 xk_m_misuse(const struct __mbuf *m, const char *fn);
static inline int
xk_m_check(const struct __mbuf *m, const char *fn)
{
	if (__builtin_expect(m->m_type != MBUF_TYPE_FREE, 1)) {
		return 0;
	}
	return xk_m_misuse(m, fn);
}

/* Allocation and release. */
struct __mbuf	*xk_m_get(int type, bool pkthdr);
int		 xk_m_clget(struct __mbuf *m, uint32_t size);
struct __mbuf	*xk_m_getcl(int type, bool pkthdr, uint32_t size);
/*
 * A cluster on its own (mbuf_alloccluster): its bytes, or NULL; given
 * back with xk_m_cl_free(), which drops the reference it holds.
 */
char		*xk_m_cl_alloc(uint32_t size);
void		 xk_m_cl_free(char *buf);
/* The smallest cluster size that holds @len bytes, or 0 if none does. */
uint32_t	 xk_m_clsize_for(size_t len);
/*
 * A received buffer as a new packet (BSD's m_devget): one cluster when
 * one holds it, a chain beyond; NULL when memory runs out.
 */
struct __mbuf	*xk_m_devget(const void *data, size_t len);
struct __mbuf	*xk_m_free(struct __mbuf *m);
void		 xk_m_freem(struct __mbuf *m);
void		 xk_m_pkthdr_init(struct __mbuf *m);
struct xk_mtag	*xk_m_tag_alloc(mbuf_tag_id_t id, mbuf_tag_type_t type,
		    size_t len);
void		 xk_m_tag_delete_chain(struct __mbuf *m);
int		 xk_m_tag_id_find(const char *name, mbuf_tag_id_t *out);
struct xk_mtag	*xk_m_tag_locate(const struct __mbuf *m, mbuf_tag_id_t id,
		    mbuf_tag_type_t type);
void		 xk_m_tag_prepend(struct __mbuf *m, struct xk_mtag *t);
void		 xk_m_tag_unlink_free(struct __mbuf *m, struct xk_mtag *t);
int		 xk_m_tag_copy_chain(struct __mbuf *to, const struct __mbuf *from);
bool		 xk_m_tag_id_valid(mbuf_tag_id_t id);

/* Buffer geometry. */
char		*xk_m_datastart(const struct __mbuf *m);
size_t		 xk_m_maxlen(const struct __mbuf *m);
size_t		 xk_m_leadingspace(const struct __mbuf *m);
size_t		 xk_m_trailingspace(const struct __mbuf *m);
bool		 xk_m_cl_shared(const struct __mbuf *m);
size_t		 xk_m_length(const struct __mbuf *m);

/* Chain operations, with BSD semantics.  NULL means failure. */
void		 xk_m_copy_pkthdr(struct __mbuf *to, struct __mbuf *from);
void		 xk_m_settype(struct __mbuf *m, int type);
struct __mbuf	*xk_m_copym(struct __mbuf *m, size_t off, size_t len,
		    int *error);
struct __mbuf	*xk_m_dup(const struct __mbuf *m);
struct __mbuf	*xk_m_split(struct __mbuf *m, size_t off);
struct __mbuf	*xk_m_prepend(struct __mbuf *m, size_t len);
struct __mbuf	*xk_m_prepend_own(struct __mbuf *m, size_t len);
void		 xk_m_align_end(struct __mbuf *m, size_t len);
struct __mbuf	*xk_m_pullup(struct __mbuf *m, size_t len);
struct __mbuf	*xk_m_pulldown(struct __mbuf *m, size_t off, size_t len,
		    size_t *offp);
void		 xk_m_adj(struct __mbuf *m, int len);
void		 xk_m_cat(struct __mbuf *m, struct __mbuf *n);
int		 xk_m_copydata(const struct __mbuf *m, size_t off, size_t len,
		    void *out);
int		 xk_m_copyback(struct __mbuf *m, size_t off, size_t len,
		    const void *data);

/*
 * Counters and test hooks.  Live counts are what is allocated and not yet
 * freed; every unit test ends by asserting they are back to zero.
 */
struct xk_mb_live {
	uint64_t	mbufs;
	uint64_t	clusters;	/* of every size */
	uint64_t	tags;
};

enum xk_mb_zone {
	XK_ZONE_MBUF,
	XK_ZONE_CL2K,
	XK_ZONE_CL4K,
	XK_ZONE_CL16K,
	XK_ZONE_COUNT
};

void	xk_mb_live(struct xk_mb_live *out);
uint64_t xk_m_tag_live(void);
bool	xk_mb_inject_fail(void);
void	xk_mb_count_failure(int which);	/* XK_MB_FAIL_* */
#define XK_MB_FAIL_COPYM	1
#define XK_MB_FAIL_PULLUP	2
/* Skip @skip allocations, then fail the next @count (0, 0: off). */
void	xk_mb_inject_failures(unsigned int skip, unsigned int count);
/* Bound a zone to @limit objects obtained from the heap (0: default). */
void	xk_mb_set_limit(enum xk_mb_zone zone, uint64_t limit);
/* Returns cached free objects, and the quarantine, to the heap. */
void	xk_mb_reclaim(void);
/*
 * Bounds the bytes of every zone's objects taken from the heap together
 * (struct xkpi_config.mbuf_limit_bytes); 0 removes the bound.
 */
void	xk_mb_set_byte_limit(size_t bytes);
/* Allocations refused by that bound. */
uint64_t xk_mb_limit_drops(void);
void	xk_mb_fill_stats(struct mbuf_stat *st);

#endif /* _XK_CORE_MBUF_VAR_H_ */
