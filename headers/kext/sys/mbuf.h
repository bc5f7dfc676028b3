/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/sys/mbuf.h
 * @abstract What XNU's `<sys/mbuf.h>` gives a kext: the mbuf KPI, the
 *     mbuf types and the allocator's statistics structures.
 * @discussion A kext sees mbufs only through `<sys/kpi_mbuf.h>`, which
 *     this header includes, as XNU's does for kernel code outside XNU.
 *     `struct mbuf`, `mtod()`, `MLEN`, `MHLEN` and the M_* flags are
 *     private to XNU and absent here too: use mbuf_data(),
 *     mbuf_get_mlen(), mbuf_get_mhlen() and the MBUF_* flags.
 */
#ifndef _XKPI_KEXT_SYS_MBUF_H_
#define _XKPI_KEXT_SYS_MBUF_H_

#include <xkpi_kext.h>

#include <sys/types.h>
#include <sys/kpi_mbuf.h>

/*! @abstract mbuf type: on the free list. */
#define	MT_FREE		0
/*! @abstract mbuf type: data. */
#define	MT_DATA		1
/*! @abstract mbuf type: a packet header. */
#define	MT_HEADER	2
/*! @abstract mbuf type: a socket structure. */
#define	MT_SOCKET	3
/*! @abstract mbuf type: a protocol control block. */
#define	MT_PCB		4
/*! @abstract mbuf type: routing tables. */
#define	MT_RTABLE	5
/*! @abstract mbuf type: IMP host tables. */
#define	MT_HTABLE	6
/*! @abstract mbuf type: address resolution tables. */
#define	MT_ATABLE	7
/*! @abstract mbuf type: a socket name. */
#define	MT_SONAME	8
/*! @abstract mbuf type: socket options. */
#define	MT_SOOPTS	10
/*! @abstract mbuf type: a fragment reassembly header. */
#define	MT_FTABLE	11
/*! @abstract mbuf type: access rights. */
#define	MT_RIGHTS	12
/*! @abstract mbuf type: an interface address. */
#define	MT_IFADDR	13
/*! @abstract mbuf type: control data. */
#define	MT_CONTROL	14
/*! @abstract mbuf type: out-of-band data. */
#define	MT_OOBDATA	15
/*! @abstract mbuf type: packet metadata (tags). */
#define	MT_TAG		16
/*! @abstract The number of mbuf types counted. */
#define	MT_MAX		32

/*!
 * @abstract The allocator's statistics in XNU's legacy layout.
 * @discussion mbuf_stats() fills the KPI's `struct mbuf_stat`; this
 *     structure is XNU's sysctl form, declared for code that names it.
 */
struct mbstat {
	u_int32_t	m_mbufs;	/*!< mbufs obtained. */
	u_int32_t	m_clusters;	/*!< Clusters obtained. */
	u_int32_t	m_spare;	/*!< Spare. */
	u_int32_t	m_clfree;	/*!< Free clusters. */
	u_int32_t	m_drops;	/*!< Allocations that failed. */
	u_int32_t	m_wait;		/*!< Allocations that waited. */
	u_int32_t	m_drain;	/*!< Protocol drains. */
	u_short		m_mtypes[256];	/*!< mbufs in use, by type. */
	u_int32_t	m_mcfail;	/*!< m_copym failures. */
	u_int32_t	m_mpfail;	/*!< m_pullup failures. */
	u_int32_t	m_msize;	/*!< Size of an mbuf. */
	u_int32_t	m_mclbytes;	/*!< Size of a cluster. */
	u_int32_t	m_minclsize;	/*!< Smallest length given a cluster. */
	u_int32_t	m_mlen;		/*!< Data bytes in an mbuf. */
	u_int32_t	m_mhlen;	/*!< Data bytes in a header mbuf. */
	u_int32_t	m_bigclusters;	/*!< 4 KB clusters obtained. */
	u_int32_t	m_bigclfree;	/*!< Free 4 KB clusters. */
	u_int32_t	m_bigmclbytes;	/*!< Size of a 4 KB cluster. */
	u_int32_t	m_forcedefunct;	/*!< Sockets forced defunct. */
};

/*! @abstract The longest name of an mbuf class, less its NUL. */
#define	MAX_MBUF_CNAME	15

/*! @abstract The statistics of one mbuf class (XNU's sysctl layout). */
typedef struct mb_class_stat {
	char		mbcl_cname[MAX_MBUF_CNAME + 1]; /*!< Class name. */
	u_int32_t	mbcl_size;	/*!< Buffer size. */
	u_int32_t	mbcl_total;	/*!< Buffers created. */
	u_int32_t	mbcl_active;	/*!< Buffers in use. */
	u_int32_t	mbcl_infree;	/*!< Buffers free. */
	u_int32_t	mbcl_slab_cnt;	/*!< Slabs free. */
	u_int32_t	mbcl_pad;	/*!< Padding. */
	u_int64_t	mbcl_alloc_cnt;	/*!< Allocations. */
	u_int64_t	mbcl_free_cnt;	/*!< Frees. */
	u_int64_t	mbcl_notified;	/*!< Wakeups notified. */
	u_int64_t	mbcl_purge_cnt;	/*!< Purges. */
	u_int64_t	mbcl_fail_cnt;	/*!< Allocation failures. */
	u_int32_t	mbcl_ctotal;	/*!< Total of this class only. */
	u_int32_t	mbcl_release_cnt; /*!< Memory returned. */
	u_int32_t	mbcl_mc_state;	/*!< Cache state (MCS_*). */
	u_int32_t	mbcl_mc_cached;	/*!< Buffers cached. */
	u_int32_t	mbcl_mc_waiter_cnt; /*!< Waiters on the cache. */
	u_int32_t	mbcl_mc_wretry_cnt; /*!< Wait retries. */
	u_int32_t	mbcl_mc_nwretry_cnt; /*!< No-wait retries. */
	u_int32_t	mbcl_peak_reported; /*!< Last peak reported. */
	u_int32_t	mbcl_reserved[7]; /*!< Reserved. */
} mb_class_stat_t;

/*! @abstract Cache state: disabled. */
#define	MCS_DISABLED	0
/*! @abstract Cache state: online. */
#define	MCS_ONLINE	1
/*! @abstract Cache state: purging. */
#define	MCS_PURGING	2
/*! @abstract Cache state: offline. */
#define	MCS_OFFLINE	3

/*! @abstract The statistics of every mbuf class (XNU's sysctl layout). */
typedef struct mb_stat {
	u_int32_t	mbs_cnt;	/*!< Number of classes. */
	u_int32_t	mbs_pad;	/*!< Padding. */
	mb_class_stat_t	mbs_class[1];	/*!< One entry per class. */
} mb_stat_t;

#endif /* _XKPI_KEXT_SYS_MBUF_H_ */
