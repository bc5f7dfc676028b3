/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header sys/kpi_mbuf.h
 * @abstract The mbuf KPI: packets and socket data as chains of buffers.
 * @discussion An mbuf is a small buffer (mbuf_get_mlen() bytes, or
 *     mbuf_get_mhlen() when it carries a packet header) or a handle on an
 *     external cluster of 2048, 4096 or 16384 bytes.  Clusters are
 *     reference counted: copies made with mbuf_copym() share them, and a
 *     shared cluster offers no leading or trailing space.  A packet is a
 *     chain of mbufs linked by mbuf_next() whose first mbuf carries the
 *     packet header (MBUF_PKTHDR): total length, receive interface and
 *     tags.  Packets are linked into lists by mbuf_nextpkt().
 *
 *     The functions behave as XNU's do, errors included; the few places
 *     where xkpi differs (mostly where XNU would crash or panic) are listed
 *     on the deviations page.
 *
 *     Memory comes from a bounded pool.  An allocation that the pool
 *     cannot satisfy fails at once with the errno XNU returns for that
 *     function, whatever the mbuf_how_t: MBUF_WAITOK never sleeps.  The
 *     pool's bound can be set in bytes (`mbuf_limit_bytes` in struct
 *     xkpi_config, xkpi.h).
 *
 *     <b>A freed mbuf.</b> An mbuf must not be used once freed, as in
 *     XNU.  A freed mbuf is marked MBUF_TYPE_FREE, and its memory is not
 *     reused before 256 more mbufs were freed (sooner only when the pool
 *     is at a bound, at xkpi_init() with a byte bound, and at
 *     xkpi_shutdown()), so every function here that takes an mbuf_t
 *     finds the mark and hands the misuse, a second free included, to
 *     the panic hook (xkpi_set_panic_hook() in xkpi.h), whose default
 *     prints and aborts.  When a hook returns, the call changes nothing
 *     and fails with EINVAL (returns NULL, 0 or MBUF_TYPE_FREE, or
 *     nothing, where it returns no errno).  Only the mbuf passed is
 *     checked, not the rest of its chain.
 *
 * @locking Every function may be called from any thread, including from
 *     upcalls.  A chain must not be used by two threads at once; distinct
 *     chains may be, even when copies share clusters.
 */
#ifndef _XKPI_SYS_KPI_MBUF_H_
#define _XKPI_SYS_KPI_MBUF_H_

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <sys/kernel_types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*!
 * @abstract Flags of an mbuf, as returned by mbuf_flags().
 * @discussion Only these flags can be read or set through the KPI.
 */
enum {
	MBUF_EXT = 0x0001,	 /*!< Data lives in an external cluster
				      (read-only). */
	MBUF_PKTHDR = 0x0002,	 /*!< The mbuf starts a packet and carries
				      its header. */
	MBUF_EOR = 0x0004,	 /*!< The mbuf ends a record. */
	MBUF_LOOP = 0x0040,	 /*!< The packet was looped back. */
	MBUF_BCAST = 0x0100,	 /*!< Sent or received as a link-level
				      broadcast. */
	MBUF_MCAST = 0x0200,	 /*!< Sent or received as a link-level
				      multicast. */
	MBUF_FRAG = 0x0400,	 /*!< The packet is a fragment. */
	MBUF_FIRSTFRAG = 0x0800, /*!< The packet is the first fragment. */
	MBUF_LASTFRAG = 0x1000,	 /*!< The packet is the last fragment. */
	MBUF_PROMISC = 0x2000,	 /*!< Received only because the interface
				      is promiscuous. */
	MBUF_HASFCS = 0x4000	 /*!< The packet ends with a frame check
				      sequence. */
};
/*! @abstract A set of MBUF_* flags. */
typedef uint32_t mbuf_flags_t;

/*!
 * @abstract What an mbuf holds.
 * @discussion The type is a label kept for the caller; it does not change
 *     how the mbuf behaves.
 */
enum {
	MBUF_TYPE_FREE = 0,	/*!< On the free list: never valid in use. */
	MBUF_TYPE_DATA = 1,	/*!< Data. */
	MBUF_TYPE_HEADER = 2,	/*!< A packet header. */
	MBUF_TYPE_SOCKET = 3,	/*!< A socket structure. */
	MBUF_TYPE_PCB = 4,	/*!< A protocol control block. */
	MBUF_TYPE_RTABLE = 5,	/*!< Routing table data. */
	MBUF_TYPE_HTABLE = 6,	/*!< IMP host table data. */
	MBUF_TYPE_ATABLE = 7,	/*!< Address resolution table data. */
	MBUF_TYPE_SONAME = 8,	/*!< A socket name (an address). */
	MBUF_TYPE_SOOPTS = 10,	/*!< Socket options. */
	MBUF_TYPE_FTABLE = 11,	/*!< A fragment reassembly header. */
	MBUF_TYPE_RIGHTS = 12,	/*!< Access rights. */
	MBUF_TYPE_IFADDR = 13,	/*!< An interface address. */
	MBUF_TYPE_CONTROL = 14, /*!< Control (ancillary) data. */
	MBUF_TYPE_OOBDATA = 15	/*!< Out-of-band data. */
};
/*! @abstract An MBUF_TYPE_* value. */
typedef uint32_t mbuf_type_t;

/*!
 * @abstract Whether an allocation may wait.
 * @discussion The values equal XNU's M_WAITOK and M_DONTWAIT, so the
 *     @c waitf argument of a socket upcall can be passed as a how.  In
 *     xkpi neither value sleeps: the pool bound is a hard limit.
 */
enum {
	MBUF_WAITOK = 0,  /*!< The caller could wait (never does in xkpi). */
	MBUF_DONTWAIT = 1 /*!< The caller must not wait. */
};
/*! @abstract MBUF_WAITOK or MBUF_DONTWAIT. */
typedef uint32_t mbuf_how_t;

/*! @abstract A module identifier for mbuf tags, from mbuf_tag_id_find(). */
typedef uint32_t mbuf_tag_id_t;
/*! @abstract A tag type, chosen freely by the module that owns the id. */
typedef uint16_t mbuf_tag_type_t;

/*!
 * @abstract Statistics of the mbuf allocator, filled by mbuf_stats().
 * @discussion The layout is XNU's, so code that reads @c mhlen or
 *     @c minclsize from it keeps working.
 */
struct mbuf_stat {
	uint32_t mbufs;		 /*!< mbufs obtained from the heap. */
	uint32_t clusters;	 /*!< 2 KB clusters obtained from the heap. */
	uint32_t clfree;	 /*!< 2 KB clusters cached, free. */
	uint32_t drops;		 /*!< Allocations that failed. */
	uint32_t wait;		 /*!< Allocations that waited (always 0). */
	uint32_t drain;		 /*!< Protocol drains (always 0). */
	unsigned short mtypes[256]; /*!< mbufs in use, by type (saturates
					  at 65535). */
	uint32_t mcfail;	 /*!< mbuf_copym() failures. */
	uint32_t mpfail;	 /*!< mbuf_pullup() failures. */
	uint32_t msize;		 /*!< Size of an mbuf (MSIZE, 256). */
	uint32_t mclbytes;	 /*!< Size of a cluster (2048). */
	uint32_t minclsize;	 /*!< Smallest length worth a cluster. */
	uint32_t mlen;		 /*!< Data bytes in a plain mbuf. */
	uint32_t mhlen;		 /*!< Data bytes in a packet-header mbuf. */
	uint32_t bigclusters;	 /*!< 4 KB clusters obtained from the heap. */
	uint32_t bigclfree;	 /*!< 4 KB clusters cached, free. */
	uint32_t bigmclbytes;	 /*!< Size of a big cluster (4096). */
};

/*! @abstract Length argument of mbuf_copym() meaning "to the end". */
#define MBUF_COPYALL 1000000000

/* Data access */

/*!
 * @function mbuf_data
 * @abstract The start of the data held by this mbuf.
 * @discussion Only mbuf_len() bytes are valid there; the rest of the
 *     packet, if any, is in the following mbufs.
 * @param mbuf The mbuf.
 * @result A pointer to the first data byte.
 */
extern void *mbuf_data(mbuf_t mbuf);

/*!
 * @function mbuf_datastart
 * @abstract The start of the buffer the data lives in.
 * @discussion Equals mbuf_data() minus mbuf_leadingspace() for an mbuf
 *     whose cluster is not shared: the cluster for MBUF_EXT, else the
 *     mbuf's own storage (after the packet header for MBUF_PKTHDR).
 * @param mbuf The mbuf.
 * @result A pointer to the lowest address the data may start at.
 */
extern void *mbuf_datastart(mbuf_t mbuf);

/*!
 * @function mbuf_setdata
 * @abstract Points the mbuf at other data inside its own buffer.
 * @param mbuf The mbuf.
 * @param data The new data pointer.
 * @param len The new data length.
 * @result 0, or EINVAL if [data, data + len) is not inside the buffer
 *     that starts at mbuf_datastart() and holds mbuf_maxlen() bytes.
 */
extern errno_t mbuf_setdata(mbuf_t mbuf, void *data, size_t len);

/*!
 * @function mbuf_len
 * @abstract The number of data bytes in this mbuf (not in the chain).
 * @param mbuf The mbuf.
 * @result The length.
 */
extern size_t mbuf_len(mbuf_t mbuf);

/*!
 * @function mbuf_setlen
 * @abstract Sets the data length of this mbuf.
 * @discussion No check is made, as in XNU: the caller keeps the length
 *     within mbuf_len() + mbuf_trailingspace(), and keeps the packet
 *     header length in step (mbuf_pkthdr_setlen()).
 * @param mbuf The mbuf.
 * @param len The new length.
 */
extern void mbuf_setlen(mbuf_t mbuf, size_t len);

/*!
 * @function mbuf_adjustlen
 * @abstract Grows or shrinks the data length of this mbuf.
 * @param mbuf The mbuf.
 * @param amount Bytes to add (positive) or remove (negative) at the end.
 * @result 0, or EINVAL if the new length would be negative or would run
 *     past the end of the buffer.  The packet header is not changed.
 */
extern errno_t mbuf_adjustlen(mbuf_t mbuf, int amount);

/*!
 * @function mbuf_maxlen
 * @abstract The size of the buffer this mbuf's data lives in.
 * @param mbuf The mbuf.
 * @result The cluster size for MBUF_EXT, else mbuf_get_mhlen() or
 *     mbuf_get_mlen().
 */
extern size_t mbuf_maxlen(mbuf_t mbuf);

/*!
 * @function mbuf_leadingspace
 * @abstract Free bytes in front of the data.
 * @param mbuf The mbuf.
 * @result The space between mbuf_datastart() and mbuf_data(); 0 when the
 *     cluster is shared with another mbuf (writing there would change the
 *     other mbuf's view).
 */
extern size_t mbuf_leadingspace(mbuf_t mbuf);

/*!
 * @function mbuf_trailingspace
 * @abstract Free bytes after the data.
 * @param mbuf The mbuf.
 * @result The space between the end of the data and the end of the
 *     buffer; 0 when the cluster is shared with another mbuf.
 */
extern size_t mbuf_trailingspace(mbuf_t mbuf);

/* Allocation */

/*!
 * @function mbuf_get
 * @abstract Allocates one small mbuf without a packet header.
 * @param how MBUF_WAITOK or MBUF_DONTWAIT (neither waits).
 * @param type The type to give the mbuf (MBUF_TYPE_DATA, usually).
 * @param mbuf Receives the new mbuf, or NULL on failure.
 * @result 0, EINVAL if @p mbuf is NULL or @p type is MBUF_TYPE_FREE or
 *     256 or more, or ENOMEM (whatever @p how) when the pool is exhausted.
 * @ownership The caller owns the new mbuf and frees it with mbuf_free()
 *     or mbuf_freem().
 */
extern errno_t mbuf_get(mbuf_how_t how, mbuf_type_t type, mbuf_t *mbuf);

/*!
 * @function mbuf_gethdr
 * @abstract Allocates one small mbuf with an empty packet header.
 * @discussion The packet length is 0, there is no receive interface and
 *     no tag.  The mbuf holds mbuf_get_mhlen() bytes.
 * @param how MBUF_WAITOK or MBUF_DONTWAIT (neither waits).
 * @param type The type to give the mbuf.
 * @param mbuf Receives the new mbuf, or NULL on failure.
 * @result 0, EINVAL if @p mbuf is NULL or @p type is MBUF_TYPE_FREE or
 *     256 or more, or ENOMEM (whatever @p how).
 * @ownership The caller owns the new mbuf.
 */
extern errno_t mbuf_gethdr(mbuf_how_t how, mbuf_type_t type, mbuf_t *mbuf);

/*!
 * @function mbuf_getpacket
 * @abstract Allocates a packet-header mbuf with a 2 KB cluster attached.
 * @param how MBUF_WAITOK or MBUF_DONTWAIT (neither waits).
 * @param mbuf Receives the packet, or NULL on failure.
 * @result 0, EINVAL if @p mbuf is NULL, ENOMEM on failure with
 *     MBUF_WAITOK, EWOULDBLOCK on failure with MBUF_DONTWAIT.
 * @ownership The caller owns the new packet.
 */
extern errno_t mbuf_getpacket(mbuf_how_t how, mbuf_t *mbuf);

/*!
 * @function mbuf_mclget
 * @abstract Attaches a 2 KB cluster to an mbuf, allocating the mbuf too
 *     if needed.
 * @discussion The data pointer moves to the start of the cluster; bytes
 *     already held in the mbuf's own storage are not carried over, and
 *     mbuf_len() is left unchanged, as in XNU.
 * @param how MBUF_WAITOK or MBUF_DONTWAIT (neither waits).
 * @param type The type of the mbuf, when one is allocated.
 * @param mbuf In: an mbuf without a cluster, or NULL to allocate one.
 *     Out: the mbuf.
 * @result 0; EINVAL if @p mbuf is NULL or the mbuf already has a cluster;
 *     ENOMEM if no mbuf or no cluster could be had.  An mbuf allocated
 *     by the call is freed again on failure and NULL is stored; a
 *     caller's mbuf is left as it was.
 * @ownership The caller owns the mbuf, in every case.
 */
extern errno_t mbuf_mclget(mbuf_how_t how, mbuf_type_t type, mbuf_t *mbuf);

/*!
 * @function mbuf_getcluster
 * @abstract Attaches a cluster of a chosen size to an mbuf, allocating the
 *     mbuf too if needed.
 * @param how MBUF_WAITOK or MBUF_DONTWAIT (neither waits).
 * @param type The type of the mbuf, when one is allocated.
 * @param size 2048, 4096 or 16384.
 * @param mbuf In: an mbuf without a cluster, or NULL to allocate one.
 *     Out: the mbuf.
 * @result 0; EINVAL for another size, a NULL @p mbuf, or an mbuf that
 *     already has a cluster; ENOMEM if no mbuf or no cluster could be
 *     had.  An mbuf allocated by the call is freed on failure and NULL
 *     stored.
 * @ownership The caller owns the mbuf, in every case.
 */
extern errno_t mbuf_getcluster(mbuf_how_t how, mbuf_type_t type, size_t size,
    mbuf_t *mbuf);

/*!
 * @function mbuf_allocpacket
 * @abstract Allocates a packet able to hold @p packetlen bytes.
 * @discussion Up to mbuf_get_mhlen() bytes fit one small mbuf; up to
 *     mbuf_get_minclsize() two small mbufs (or one 2 KB cluster when
 *     only one segment is allowed); larger packets use 2 KB clusters up
 *     to 2048 bytes, one 4 KB cluster up to 4096 and 16 KB clusters
 *     beyond.  As in XNU, every segment is returned with length 0 and the
 *     packet length is 0: set the lengths, or fill the packet with
 *     mbuf_copyback().  Every mbuf has type MBUF_TYPE_DATA.
 * @param how MBUF_WAITOK or MBUF_DONTWAIT (neither waits).
 * @param packetlen Bytes the packet must hold; must not be 0.
 * @param maxchunks In: the most segments allowed (NULL or 0: any).
 *     Out, on success: the number of segments used.
 * @param mbuf Receives the packet, or NULL on failure.
 * @result 0; EINVAL if @p packetlen is 0 or @p mbuf is NULL; ENOBUFS if
 *     more than @p *maxchunks segments are needed; ENOMEM when the pool
 *     is exhausted, or at once, allocating nothing, when @p packetlen is
 *     over INT32_MAX (the most a packet length holds).
 * @ownership The caller owns the new packet.
 */
extern errno_t mbuf_allocpacket(mbuf_how_t how, size_t packetlen,
    unsigned int *maxchunks, mbuf_t *mbuf);

/*!
 * @function mbuf_free
 * @abstract Frees one mbuf (and its cluster reference and tags).
 * @param mbuf The mbuf; NULL is ignored.
 * @result The mbuf that followed it in its chain, or NULL.
 * @ownership Consumes @p mbuf.
 */
extern mbuf_t mbuf_free(mbuf_t mbuf);

/*!
 * @function mbuf_freem
 * @abstract Frees a chain of mbufs (one packet).
 * @discussion Only the mbuf_next() chain is freed, not the packets linked
 *     by mbuf_nextpkt().
 * @param mbuf The first mbuf; NULL is ignored.
 * @ownership Consumes the chain.
 */
extern void mbuf_freem(mbuf_t mbuf);

/*!
 * @function mbuf_freem_list
 * @abstract Frees a list of packets linked by mbuf_nextpkt().
 * @param mbuf The first packet; NULL is ignored.
 * @result The number of packets freed.
 * @ownership Consumes every packet of the list.
 */
extern int mbuf_freem_list(mbuf_t mbuf);

/* Chains */

/*!
 * @function mbuf_next
 * @abstract The next mbuf of the same packet.
 * @param mbuf The mbuf.
 * @result The next mbuf, or NULL at the end of the chain.
 */
extern mbuf_t mbuf_next(mbuf_t mbuf);

/*!
 * @function mbuf_setnext
 * @abstract Links an mbuf after another, replacing the old tail.
 * @discussion The mbuf that followed @p mbuf before is not freed; the
 *     caller keeps it.  The packet length is not changed.
 * @param mbuf The mbuf.
 * @param next The mbuf to link after it, or NULL to end the chain there.
 * @result 0, or EINVAL if @p mbuf is NULL, or @p next heads a packet of
 *     a packet list (its mbuf_nextpkt() is set) or is a freed mbuf (a
 *     misuse that also goes to the panic hook).
 * @ownership On success the chain owns @p next.
 */
extern errno_t mbuf_setnext(mbuf_t mbuf, mbuf_t next);

/*!
 * @function mbuf_nextpkt
 * @abstract The next packet of a packet list.
 * @param mbuf The first mbuf of a packet.
 * @result The first mbuf of the next packet, or NULL.
 */
extern mbuf_t mbuf_nextpkt(mbuf_t mbuf);

/*!
 * @function mbuf_setnextpkt
 * @abstract Links a packet after another in a packet list.
 * @param mbuf The first mbuf of a packet.
 * @param nextpkt The first mbuf of the next packet, or NULL.
 */
extern void mbuf_setnextpkt(mbuf_t mbuf, mbuf_t nextpkt);

/*!
 * @function mbuf_copydata
 * @abstract Copies bytes out of a chain into a flat buffer.
 * @param mbuf The chain.
 * @param offset Offset of the first byte to copy.
 * @param length Bytes to copy.
 * @param out_data Where to copy them.
 * @result 0; 0 without copying if @p out_data is NULL or @p length is 0;
 *     EINVAL if @p offset or @p length is INT32_MAX or more, or the chain
 *     ends before @p offset + @p length (bytes before the end may have
 *     been copied already).
 */
extern errno_t mbuf_copydata(mbuf_t mbuf, size_t offset, size_t length,
    void *out_data);

/*!
 * @function mbuf_copyback
 * @abstract Copies a flat buffer into a chain, growing the chain as
 *     needed.
 * @discussion The chain grows first into the trailing space of its last
 *     mbuf, then by appending mbufs (clusters for long runs).  Bytes
 *     between the old end of the chain and @p offset are zeroed.  For a
 *     packet, the packet length is raised to the end of what was
 *     written; it is never lowered.
 * @param mbuf The chain.
 * @param offset Where the first byte goes.
 * @param length Bytes to copy.
 * @param data The bytes.
 * @param how MBUF_WAITOK or MBUF_DONTWAIT (neither waits).
 * @result 0; EINVAL if @p mbuf or @p data is NULL or @p length is 0;
 *     ENOBUFS if the chain could not grow enough (what fit was written,
 *     and the packet length counts it).
 */
extern errno_t mbuf_copyback(mbuf_t mbuf, size_t offset, size_t length,
    const void *data, mbuf_how_t how);

/*!
 * @function mbuf_copym
 * @abstract Makes a copy of a range of a chain that shares its clusters.
 * @discussion Clusters are shared (reference counted), small mbufs are
 *     copied.  When @p offset is 0 and the source carries a packet header,
 *     the header is @em moved to the copy, as in every XNU release: the
 *     copy receives the source's tags and the source is left with none
 *     (XNU's own header says tags are not copied; its code moves them).
 *     Use mbuf_dup() to keep tags on both.  The copy's packet length is
 *     @p len, or what remains after @p offset for MBUF_COPYALL.
 * @param src The chain to copy; it is not consumed.
 * @param offset Offset of the first byte to copy.
 * @param len Bytes to copy, or MBUF_COPYALL.
 * @param how MBUF_WAITOK or MBUF_DONTWAIT (neither waits).
 * @param new_mbuf Receives the copy, or NULL on failure.
 * @result 0; EINVAL if @p src or @p new_mbuf is NULL, @p len is 0,
 *     @p offset is not inside the chain (at or past its last byte, empty
 *     mbufs at its end notwithstanding) or the chain is shorter than
 *     @p offset + @p len (XNU panics on each); ENOMEM when the pool is
 *     exhausted.
 * @ownership The caller owns the copy; @p src stays the caller's.
 */
extern errno_t mbuf_copym(mbuf_t src, size_t offset, size_t len,
    mbuf_how_t how, mbuf_t *new_mbuf);

/*!
 * @function mbuf_dup
 * @abstract Makes a deep copy of a chain: data, packet header and tags.
 * @param src The chain to copy; it is not consumed and keeps its tags.
 * @param how MBUF_WAITOK or MBUF_DONTWAIT (neither waits).
 * @param new_mbuf Receives the copy, or NULL on failure.
 * @result 0; EINVAL if @p src or @p new_mbuf is NULL; ENOMEM when the
 *     pool is exhausted.
 * @ownership The caller owns the copy.
 */
extern errno_t mbuf_dup(mbuf_t src, mbuf_how_t how, mbuf_t *new_mbuf);

/*!
 * @function mbuf_prepend
 * @abstract Makes room for @p len bytes in front of a chain.
 * @discussion The room is taken from the leading space of the first mbuf
 *     when there is enough; otherwise a new first mbuf is allocated and
 *     the packet header moves to it.  The packet length grows by @p len.
 *     The new bytes are not initialised.
 * @param mbuf In: the chain. Out: its new first mbuf, or NULL on failure.
 * @param len Bytes to add; at most 16384.
 * @param how MBUF_WAITOK or MBUF_DONTWAIT (neither waits).
 * @result 0; EINVAL if @p mbuf or @p *mbuf is NULL, or @p len is more
 *     than 16384; ENOMEM when the pool is exhausted.
 * @ownership Consumes the chain: on any failure after the NULL checks
 *     the whole chain is freed and @p *mbuf set to NULL, as in XNU.
 * @deviation XNU asserts when @p len exceeds what a new small mbuf
 *     holds; xkpi gives the new first mbuf a cluster instead.
 */
extern errno_t mbuf_prepend(mbuf_t *mbuf, size_t len, mbuf_how_t how);

/*!
 * @function mbuf_split
 * @abstract Splits a chain in two at an offset.
 * @discussion The first @p offset bytes stay in @p src; the rest moves to
 *     a new chain, which gets a packet header (with the receive interface
 *     but no tags) when @p src has one.  Packet lengths are updated.
 *     Splitting inside a cluster shares it.
 * @param src The chain; it keeps the head.
 * @param offset Where to split; equal to the chain length gives an empty
 *     tail (a packet header alone) when @p src has a packet header, and
 *     ENOMEM when it has none, as in XNU.
 * @param how MBUF_WAITOK or MBUF_DONTWAIT (neither waits).
 * @param new_mbuf Receives the tail, or NULL on failure.
 * @result 0; EINVAL if @p src or @p new_mbuf is NULL; ENOMEM if @p offset
 *     is beyond the chain or the pool is exhausted.  On failure @p src is
 *     left as it was.
 * @ownership The caller owns both chains.
 */
extern errno_t mbuf_split(mbuf_t src, size_t offset, mbuf_how_t how,
    mbuf_t *new_mbuf);

/*!
 * @function mbuf_pullup
 * @abstract Makes the first @p len bytes of a chain contiguous in its
 *     first mbuf.
 * @discussion As in XNU the data is moved into a small mbuf, so @p len
 *     may not exceed mbuf_get_mhlen() for a packet (mbuf_get_mlen()
 *     otherwise) <em>even when the bytes are already contiguous in a
 *     cluster</em>.  Test mbuf_len() first, as kexts do.  The chain is
 *     returned untouched only when its first mbuf is a small one with room
 *     for @p len bytes, a successor, and @p len bytes already there.
 * @param mbuf In: the chain.  Out: its new first mbuf, or NULL.
 * @param len Bytes needed contiguous.
 * @result 0; EINVAL if @p mbuf or @p *mbuf is NULL; ENOMEM if @p len is
 *     too large for a small mbuf, the chain is shorter than @p len, or the
 *     pool is exhausted.
 * @ownership On ENOMEM the whole chain is freed and @p *mbuf set to NULL.
 */
extern errno_t mbuf_pullup(mbuf_t *mbuf, size_t len);

/*!
 * @function mbuf_pulldown
 * @abstract Makes @p length bytes at an offset contiguous in one mbuf.
 * @param src The chain.
 * @param offset In: offset of the bytes in the chain.  Out: their offset
 *     inside the mbuf returned in @p location.
 * @param length Bytes needed contiguous; at most 2048.
 * @param location Receives the mbuf that holds them, or NULL on failure.
 * @result 0; EINVAL if an argument is NULL; ENOMEM if @p length is over
 *     2048, the chain is shorter than @p *offset + @p length, or the pool
 *     is exhausted.
 * @ownership On ENOMEM the whole chain is freed, as in XNU.
 */
extern errno_t mbuf_pulldown(mbuf_t src, size_t *offset, size_t length,
    mbuf_t *location);

/*!
 * @function mbuf_adj
 * @abstract Trims bytes from the head or the tail of a chain.
 * @discussion mbufs emptied by the trim stay in the chain with length 0.
 *     The packet length is reduced by what was trimmed.
 * @param mbuf The chain.
 * @param len Bytes to trim: positive from the head, negative from the
 *     tail.  Trimming more than the chain holds empties it.
 */
extern void mbuf_adj(mbuf_t mbuf, int len);

/*!
 * @function mbuf_concatenate
 * @abstract Appends chain @p src to chain @p dst.
 * @discussion Data of small mbufs is copied into the last mbuf of @p dst
 *     when it fits (those mbufs are freed); otherwise the chains are
 *     linked.  As in XNU, no packet header is updated: the caller adjusts
 *     the length of @p dst (mbuf_pkthdr_adjustlen()).
 * @param dst The chain to extend.
 * @param src The chain to append.
 * @result @p dst, or NULL (and nothing done) when @p dst is NULL.
 * @ownership @p dst owns @p src afterwards, unless @p dst was NULL.
 */
extern mbuf_t mbuf_concatenate(mbuf_t dst, mbuf_t src);

/* Type and flags */

/*!
 * @function mbuf_type
 * @abstract The type of an mbuf.
 * @param mbuf The mbuf.
 * @result An MBUF_TYPE_* value.
 */
extern mbuf_type_t mbuf_type(mbuf_t mbuf);

/*!
 * @function mbuf_settype
 * @abstract Changes the type of an mbuf.
 * @param mbuf The mbuf.
 * @param new_type Any type but MBUF_TYPE_FREE, below 256.
 * @result 0, or EINVAL for MBUF_TYPE_FREE, a type of 256 or more, or a
 *     NULL mbuf.
 */
extern errno_t mbuf_settype(mbuf_t mbuf, mbuf_type_t new_type);

/*!
 * @function mbuf_flags
 * @abstract The public flags of an mbuf.
 * @param mbuf The mbuf.
 * @result A set of MBUF_* flags.
 */
extern mbuf_flags_t mbuf_flags(mbuf_t mbuf);

/*!
 * @function mbuf_setflags
 * @abstract Replaces the public flags of an mbuf.
 * @discussion Setting MBUF_PKTHDR gives the mbuf a fresh, empty packet
 *     header; clearing it drops the header and its tags.
 * @param mbuf The mbuf.
 * @param flags The new flags.
 * @result 0; EINVAL if @p flags changes MBUF_EXT or has bits outside the
 *     public set; EBUSY if MBUF_PKTHDR is set on a small mbuf that already
 *     holds data (the header would overlay it).  On error nothing changes.
 *     Clearing MBUF_PKTHDR on an empty small mbuf gives it back the whole
 *     of its buffer.
 */
extern errno_t mbuf_setflags(mbuf_t mbuf, mbuf_flags_t flags);

/*!
 * @function mbuf_setflags_mask
 * @abstract Changes only the public flags selected by a mask.
 * @param mbuf The mbuf.
 * @param flags The new values of the selected flags.
 * @param mask The flags to change.
 * @result As mbuf_setflags().
 */
extern errno_t mbuf_setflags_mask(mbuf_t mbuf, mbuf_flags_t flags,
    mbuf_flags_t mask);

/* Packet header */

/*!
 * @function mbuf_copy_pkthdr
 * @abstract Moves the packet header of one mbuf to another.
 * @discussion Length, receive interface, frame header pointer and the
 *     copyable flags are copied; the tags are @em moved, as in XNU: @p dest
 *     loses its old tags and receives those of @p src, which is left with
 *     none.  The data pointer of a small @p dest goes to the start of
 *     its buffer's packet-header area, as in XNU.
 * @param dest The mbuf to receive the header.
 * @param src The packet-header mbuf to take it from.
 * @result 0; EINVAL if either is NULL or @p src has no packet header;
 *     EBUSY if @p dest is a small mbuf without packet header that holds
 *     data (the header would overlay it; XNU moves the data pointer and
 *     the data then runs past the buffer).  On error nothing changes.
 */
extern errno_t mbuf_copy_pkthdr(mbuf_t dest, mbuf_t src);

/*!
 * @function mbuf_pkthdr_len
 * @abstract The length of the packet that starts at this mbuf.
 * @param mbuf The first mbuf of a packet.
 * @result The packet length, or 0 if the mbuf has no packet header.
 */
extern size_t mbuf_pkthdr_len(mbuf_t mbuf);

/*!
 * @function mbuf_pkthdr_setlen
 * @abstract Sets the packet length.
 * @discussion No check is made against the chain; values above INT32_MAX
 *     are clamped to it.
 * @param mbuf The first mbuf of a packet.
 * @param len The new length.
 */
extern void mbuf_pkthdr_setlen(mbuf_t mbuf, size_t len);

/*!
 * @function mbuf_pkthdr_adjustlen
 * @abstract Adds to or subtracts from the packet length, without check.
 * @discussion The length is an int32_t and wraps as XNU's does: a length
 *     that goes negative reads as 0 through mbuf_pkthdr_len().
 * @param mbuf The first mbuf of a packet.
 * @param amount The change.
 */
extern void mbuf_pkthdr_adjustlen(mbuf_t mbuf, int amount);

/*!
 * @function mbuf_pkthdr_rcvif
 * @abstract The interface the packet was received on.
 * @param mbuf The first mbuf of a packet.
 * @result The interface, or NULL.
 */
extern ifnet_t mbuf_pkthdr_rcvif(mbuf_t mbuf);

/*!
 * @function mbuf_pkthdr_setrcvif
 * @abstract Records the interface the packet was received on.
 * @param mbuf The first mbuf of a packet.
 * @param ifp The interface, or NULL.
 * @result 0.
 */
extern errno_t mbuf_pkthdr_setrcvif(mbuf_t mbuf, ifnet_t ifp);

/*!
 * @function mbuf_pkthdr_header
 * @abstract The frame (link-layer) header pointer stored in the packet.
 * @param mbuf The first mbuf of a packet.
 * @result The pointer, or NULL.
 */
extern void *mbuf_pkthdr_header(mbuf_t mbuf);

/*!
 * @function mbuf_pkthdr_setheader
 * @abstract Stores the frame (link-layer) header pointer of the packet.
 * @param mbuf The first mbuf of a packet.
 * @param header The pointer; the packet does not own what it points to.
 */
extern void mbuf_pkthdr_setheader(mbuf_t mbuf, void *header);

/* Tags */

/*!
 * @function mbuf_tag_id_find
 * @abstract Turns a module name into a tag id, the same id for the same
 *     name for the life of the process.
 * @param string A unique name for the module, reverse-DNS style.
 * @param out_id Receives the id (1000 or more).
 * @result 0; EINVAL if an argument is NULL or the name is longer than
 *     2048 characters; ENOMEM if the registry cannot grow.
 */
extern errno_t mbuf_tag_id_find(const char *string, mbuf_tag_id_t *out_id);

/*!
 * @function mbuf_tag_allocate
 * @abstract Attaches a tag of @p length bytes to a packet.
 * @discussion The tag's data is not zeroed.  Tags move with the packet
 *     header (mbuf_copym() at offset 0, mbuf_copy_pkthdr()), are copied by
 *     mbuf_dup() and are freed with the packet.
 * @param mbuf The first mbuf of a packet.
 * @param module_id An id from mbuf_tag_id_find().
 * @param type The tag type.
 * @param length Bytes of data, 1 to 65535.
 * @param how MBUF_WAITOK or MBUF_DONTWAIT (neither waits).
 * @param data_p Receives a pointer to the tag's data; set to NULL first.
 * @result 0; EINVAL if @p mbuf is NULL or has no packet header,
 *     @p module_id was never handed out, @p length is 0 or 65536 or more,
 *     or @p data_p is NULL; EEXIST if the packet already has a tag with
 *     this id and type; ENOMEM (MBUF_WAITOK) or EWOULDBLOCK
 *     (MBUF_DONTWAIT) when memory runs out.
 * @ownership The packet owns the tag.
 */
extern errno_t mbuf_tag_allocate(mbuf_t mbuf, mbuf_tag_id_t module_id,
    mbuf_tag_type_t type, size_t length, mbuf_how_t how, void **data_p);

/*!
 * @function mbuf_tag_find
 * @abstract Finds a tag of a packet.
 * @param mbuf The first mbuf of a packet.
 * @param module_id The tag's module id.
 * @param type The tag's type.
 * @param length Receives the tag's data length (0 if not found).
 * @param data_p Receives a pointer to the tag's data (NULL if not found).
 * @result 0; EINVAL if an argument is NULL, the mbuf has no packet header
 *     or the id was never handed out; ENOENT if there is no such tag.
 */
extern errno_t mbuf_tag_find(mbuf_t mbuf, mbuf_tag_id_t module_id,
    mbuf_tag_type_t type, size_t *length, void **data_p);

/*!
 * @function mbuf_tag_free
 * @abstract Removes and frees a tag of a packet.
 * @discussion Bad arguments and missing tags are ignored.
 * @param mbuf The first mbuf of a packet.
 * @param module_id The tag's module id.
 * @param type The tag's type.
 */
extern void mbuf_tag_free(mbuf_t mbuf, mbuf_tag_id_t module_id,
    mbuf_tag_type_t type);

/* Sizes and statistics */

/*!
 * @function mbuf_stats
 * @abstract Reports the allocator's counters and sizes.
 * @param stats Filled in; NULL is ignored.
 */
extern void mbuf_stats(struct mbuf_stat *stats);

/*!
 * @function mbuf_get_mlen
 * @abstract Data bytes a small mbuf without packet header holds (MLEN).
 * @result MLEN.
 */
extern uint32_t mbuf_get_mlen(void);

/*!
 * @function mbuf_get_mhlen
 * @abstract Data bytes a small packet-header mbuf holds (MHLEN).
 * @result MHLEN.
 */
extern uint32_t mbuf_get_mhlen(void);

/*!
 * @function mbuf_get_minclsize
 * @abstract The smallest amount of data worth a cluster (MINCLSIZE).
 * @discussion Up to this many bytes fit two small mbufs; it equals
 *     mbuf_get_mlen() + mbuf_get_mhlen().
 * @result MINCLSIZE.
 */
extern uint32_t mbuf_get_minclsize(void);

/*
 * The rest of XNU's mbuf KPI (xnu-7195, and the later gso, lro and
 * wake-packet calls): offload, traffic classes, timestamps, transmit
 * completion, driver data.  No backend offloads anything: every request
 * and result is kept in the packet for whoever reads it, and the library
 * acts on none of them.
 */

/*! @abstract An address in the machine's physical memory. */
typedef uint64_t addr64_t;
#ifndef __XKPI_BOOLEAN_T
/*! @abstract Defined once boolean_t is (here or in the kext set). */
#define	__XKPI_BOOLEAN_T
/*! @abstract A truth value (an int, as in XNU's kernel). */
typedef int boolean_t;
#endif
#ifndef __XKPI_KERN_RETURN_T
/*! @abstract Defined once kern_return_t is. */
#define	__XKPI_KERN_RETURN_T
/*! @abstract A Mach return code; 0 is KERN_SUCCESS. */
typedef int kern_return_t;
#endif

/*!
 * @abstract Segmentation offload requested for a packet
 *     (mbuf_get_tso_requested()).
 */
enum {
	MBUF_TSO_IPV4 = 0x100000,	/*!< TCP segmentation over IPv4. */
	MBUF_TSO_IPV6 = 0x200000	/*!< TCP segmentation over IPv6. */
};
/*! @abstract A set of MBUF_TSO_* flags. */
typedef uint32_t mbuf_tso_request_flags_t;

/*!
 * @abstract Checksums the stack asks the driver to compute
 *     (mbuf_set_csum_requested()).
 */
enum {
	MBUF_CSUM_REQ_IP = 0x0001,	/*!< The IPv4 header checksum. */
	MBUF_CSUM_REQ_TCP = 0x0002,	/*!< The TCP checksum over IPv4. */
	MBUF_CSUM_REQ_UDP = 0x0004,	/*!< The UDP checksum over IPv4. */
	MBUF_CSUM_REQ_TCPIPV6 = 0x0020,	/*!< The TCP checksum over IPv6. */
	MBUF_CSUM_REQ_UDPIPV6 = 0x0040,	/*!< The UDP checksum over IPv6. */
	MBUF_CSUM_PARTIAL = 0x1000,	/*!< A 16-bit one's complement sum
					     (private in XNU). */
	MBUF_CSUM_REQ_SUM16 = 0x1000,	/*!< MBUF_CSUM_PARTIAL. */
	MBUF_CSUM_REQ_ZERO_INVERT = 0x2000 /*!< A sum of 0 is sent as
					     0xffff (private in XNU). */
};
/*! @abstract A set of MBUF_CSUM_REQ_* flags. */
typedef uint32_t mbuf_csum_request_flags_t;

/*!
 * @abstract Checksums a driver verified (mbuf_set_csum_performed()).
 */
enum {
	MBUF_CSUM_DID_IP = 0x0100,	/*!< The IPv4 header checksum was
					     checked. */
	MBUF_CSUM_IP_GOOD = 0x0200,	/*!< ... and it was good. */
	MBUF_CSUM_DID_DATA = 0x0400,	/*!< The TCP or UDP sum was computed;
					     the value holds it. */
	MBUF_CSUM_PSEUDO_HDR = 0x0800,	/*!< The value includes the pseudo
					     header. */
	MBUF_CSUM_TCP_SUM16 = 0x1000	/*!< MBUF_CSUM_PARTIAL. */
};
/*! @abstract A set of MBUF_CSUM_* performed flags. */
typedef uint32_t mbuf_csum_performed_flags_t;

/*! @abstract Segmentation offload types (mbuf_set_gso_info()). */
enum {
	MBUF_GSO_TYPE_NONE = 0,		/*!< None. */
	MBUF_GSO_TYPE_IPV4 = 1,		/*!< TCP over IPv4. */
	MBUF_GSO_TYPE_IPV6 = 2		/*!< TCP over IPv6. */
};
/*! @abstract An MBUF_GSO_TYPE_* value. */
typedef uint8_t mbuf_gso_type_t;

/*!
 * @abstract Traffic classes, the four WMM access classes.
 */
typedef enum {
	MBUF_TC_UNSPEC = -1,	/*!< Not specified (internal). */
	MBUF_TC_BE = 0,		/*!< Best effort. */
	MBUF_TC_BK = 1,		/*!< Background. */
	MBUF_TC_VI = 2,		/*!< Interactive video. */
	MBUF_TC_VO = 3,		/*!< Interactive voice. */
	MBUF_TC_MAX = 4		/*!< The number of classes (internal). */
} mbuf_traffic_class_t;

/*!
 * @abstract Service classes, finer than traffic classes, with XNU's
 *     values.
 * @discussion Each maps to the traffic class of its access category:
 *     BK_SYS and BK to MBUF_TC_BK; BE, RD and OAM to MBUF_TC_BE; AV, RV,
 *     VI and SIG to MBUF_TC_VI; VO and CTL to MBUF_TC_VO.
 */
typedef enum {
	MBUF_SC_UNSPEC = -1,		/*!< Not specified (internal). */
	MBUF_SC_BK_SYS = 0x00080090,	/*!< Background, system-initiated. */
	MBUF_SC_BK = 0x00100080,	/*!< Background, user-initiated. */
	MBUF_SC_BE = 0x00000000,	/*!< Best effort. */
	MBUF_SC_RD = 0x00180010,	/*!< Responsive data. */
	MBUF_SC_OAM = 0x00200020,	/*!< Operations and management. */
	MBUF_SC_AV = 0x00280120,	/*!< Multimedia streaming. */
	MBUF_SC_RV = 0x00300110,	/*!< Responsive multimedia. */
	MBUF_SC_VI = 0x00380100,	/*!< Interactive video. */
	MBUF_SC_SIG = 0x00380130,	/*!< Signaling. */
	MBUF_SC_VO = 0x00400180,	/*!< Interactive voice. */
	MBUF_SC_CTL = 0x00480190	/*!< Network control. */
} mbuf_svc_class_t;

/*! @abstract Auxiliary packet flags (mbuf_pkthdr_aux_flags()). */
enum {
	MBUF_PKTAUXF_INET_RESOLVE_RTR = 0x0004,	 /*!< An ARP request to
						      resolve a router. */
	MBUF_PKTAUXF_INET6_RESOLVE_RTR = 0x0008	 /*!< An ND solicitation to
						      resolve a router. */
};
/*! @abstract A set of MBUF_PKTAUXF_* flags. */
typedef uint32_t mbuf_pkthdr_aux_flags_t;

/*!
 * @abstract Data waiting to be sent behind a packet
 *     (mbuf_get_buffer_status()).
 */
typedef struct {
	int32_t	buf_interface;	/*!< Bytes queued at the interface. */
	int32_t	buf_sndbuf;	/*!< Bytes in the socket's send buffer. */
} mbuf_buffer_status_t;

/*!
 * @abstract A transmit completion callback
 *     (mbuf_register_tx_compl_callback()).
 * @param pktid The id mbuf_set_timestamp_requested() gave the packet.
 * @param ifp The interface that sent it.
 * @param ts When it was sent, in absolute time units.
 * @param tx_compl_arg The driver's argument (mbuf_set_tx_compl_data()).
 * @param tx_compl_data The driver's data.
 * @param tx_status The transmit status.
 */
typedef void (*mbuf_tx_compl_func)(uintptr_t pktid, ifnet_t ifp,
    uint64_t ts, uintptr_t tx_compl_arg, uintptr_t tx_compl_data,
    kern_return_t tx_status);

/*!
 * @function mbuf_data_to_physical
 * @abstract The physical address of an mbuf's data.
 * @discussion A process has no physical addresses: the result is always
 *     0, where XNU gives the address for a device's DMA.
 * @param ptr A pointer into an mbuf's data.
 * @result 0.
 */
extern addr64_t mbuf_data_to_physical(void *ptr);

/*!
 * @function mbuf_alloccluster
 * @abstract Allocates a cluster on its own, without an mbuf.
 * @discussion The size asked is rounded up to 2048, 4096 or 16384 bytes.
 * @param how MBUF_WAITOK or MBUF_DONTWAIT (never waits).
 * @param size In: the bytes wanted (1 to 16384).  Out: the cluster's
 *     size, or 0 on failure.
 * @param addr Receives the cluster, or NULL on failure.
 * @result 0; EINVAL for a NULL argument or a size of 0; ENOMEM when the
 *     size is over 16384 or the pool is exhausted.
 * @ownership The cluster is the caller's until mbuf_freecluster().
 */
extern errno_t mbuf_alloccluster(mbuf_how_t how, size_t *size, char **addr);

/*!
 * @function mbuf_freecluster
 * @abstract Frees a cluster from mbuf_alloccluster().
 * @discussion A size other than the cluster's calls the panic hook (XNU
 *     panics); the cluster is then not freed.
 * @param addr The cluster.
 * @param size Its size, as mbuf_alloccluster() gave it.
 */
extern void mbuf_freecluster(char *addr, size_t size);

/*!
 * @function mbuf_attachcluster
 * @abstract Attaches a buffer of the caller's to an mbuf as its cluster.
 * @discussion Not supported: the library's mbufs hold only clusters of
 *     its own pool.  Copy the bytes into an mbuf instead (mbuf_copyback()).
 * @param how MBUF_WAITOK or MBUF_DONTWAIT.
 * @param type The mbuf's type.
 * @param mbuf The mbuf, or NULL for a new one.
 * @param extbuf The buffer.
 * @param extfree Its free function.
 * @param extsize Its size.
 * @param extarg The free function's argument.
 * @result EINVAL for a NULL mbuf pointer, buffer or free function or a
 *     size of 0; else ENOTSUP.  The buffer stays the caller's.
 */
extern errno_t mbuf_attachcluster(mbuf_how_t how, mbuf_type_t type,
    mbuf_t *mbuf, char *extbuf, void (*extfree)(char *, unsigned int, char *),
    size_t extsize, char *extarg);

/*!
 * @function mbuf_ring_cluster_alloc
 * @abstract Allocates a cluster paired with an mbuf, for a driver's ring.
 * @discussion Not supported (no driver rings here).
 * @param how MBUF_WAITOK or MBUF_DONTWAIT.
 * @param type The mbuf's type.
 * @param mbuf Receives the mbuf.
 * @param extfree The cluster's free function.
 * @param size The size.
 * @result EINVAL for a NULL argument or a size of 0; else ENOTSUP.
 */
extern errno_t mbuf_ring_cluster_alloc(mbuf_how_t how, mbuf_type_t type,
    mbuf_t *mbuf, void (*extfree)(char *, unsigned int, char *),
    size_t *size);

/*!
 * @function mbuf_ring_cluster_is_active
 * @abstract Whether a ring cluster is in use.
 * @param mbuf The mbuf.
 * @result 0: there are no ring clusters.
 */
extern int mbuf_ring_cluster_is_active(mbuf_t mbuf);

/*!
 * @function mbuf_ring_cluster_activate
 * @abstract Marks a ring cluster in use.
 * @param mbuf The mbuf.
 * @result EINVAL: no mbuf holds a ring cluster.
 */
extern errno_t mbuf_ring_cluster_activate(mbuf_t mbuf);

/*!
 * @function mbuf_cluster_get_prop
 * @abstract Reads the property word of an mbuf's cluster.
 * @discussion A new cluster's property is 0; the copies that share a
 *     cluster share it.
 * @param mbuf An mbuf with a cluster.
 * @param prop Receives the property.
 * @result 0, or EINVAL for a NULL argument or an mbuf without cluster.
 */
extern errno_t mbuf_cluster_get_prop(mbuf_t mbuf, uint32_t *prop);

/*!
 * @function mbuf_cluster_set_prop
 * @abstract Changes the property word of an mbuf's cluster if it still
 *     holds the value expected, atomically.
 * @param mbuf An mbuf with a cluster.
 * @param oldprop The value expected.
 * @param newprop The new value.
 * @result 0; EBUSY when the property was not `oldprop`; EINVAL for a NULL
 *     mbuf or one without cluster.
 */
extern errno_t mbuf_cluster_set_prop(mbuf_t mbuf, uint32_t oldprop,
    uint32_t newprop);

/*!
 * @function mbuf_mclhasreference
 * @abstract Whether an mbuf's cluster is shared with another mbuf.
 * @param mbuf The mbuf.
 * @result 1 when shared, 0 otherwise (no cluster included).
 */
extern int mbuf_mclhasreference(mbuf_t mbuf);

/*!
 * @function mbuf_align_32
 * @abstract Moves an mbuf's data pointer so that `len` bytes end on a
 *     32-bit boundary at the end of its buffer.
 * @discussion For an mbuf about to be filled from the end (a header to be
 *     prepended later); the length is not changed.
 * @param mbuf The mbuf.
 * @param len The bytes to make room for.
 * @result 0; ENOTSUP when its cluster is shared; EINVAL for NULL or a
 *     length over the buffer's room.
 */
extern errno_t mbuf_align_32(mbuf_t mbuf, size_t len);

/*!
 * @function mbuf_allocpacket_list
 * @abstract Allocates a list of packets, each as mbuf_allocpacket() would.
 * @param numpkts The number of packets.
 * @param how MBUF_WAITOK or MBUF_DONTWAIT (never waits).
 * @param packetlen Bytes each packet must hold.
 * @param maxchunks As for mbuf_allocpacket(), for each packet; receives
 *     the mbufs per packet.
 * @param mbuf Receives the first packet; the others follow by
 *     mbuf_nextpkt().
 * @result 0; EINVAL for 0 packets or 0 bytes; ENOBUFS when a packet needs
 *     more than `*maxchunks` mbufs; ENOMEM when the pool is exhausted
 *     (nothing is kept then).
 */
extern errno_t mbuf_allocpacket_list(unsigned int numpkts, mbuf_how_t how,
    size_t packetlen, unsigned int *maxchunks, mbuf_t *mbuf);

/*!
 * @function mbuf_pkthdr_maxlen
 * @abstract The bytes a chain's buffers can hold, summed.
 * @param mbuf The first mbuf of a chain.
 * @result The sum of mbuf_maxlen() over the chain.
 */
extern size_t mbuf_pkthdr_maxlen(const mbuf_t mbuf);

/*!
 * @function mbuf_pkt_list_len
 * @abstract The packet lengths of a list of packets, summed.
 * @param mbuf The first packet; the others follow by mbuf_nextpkt().
 * @result The sum of mbuf_pkthdr_len().
 */
extern size_t mbuf_pkt_list_len(const mbuf_t mbuf);

/*!
 * @function mbuf_pkt_list_maxlen
 * @abstract The room of a list of packets, summed.
 * @param mbuf The first packet.
 * @result The sum of mbuf_pkthdr_maxlen().
 */
extern size_t mbuf_pkt_list_maxlen(const mbuf_t mbuf);

/*!
 * @function mbuf_get_msize
 * @abstract The size of an mbuf (MSIZE).
 * @result 256.
 */
extern uint32_t mbuf_get_msize(void);

/*!
 * @function mbuf_get_csum_requested
 * @abstract The checksums asked of the driver, and the value that goes
 *     with them.
 * @param mbuf A packet.
 * @param request Receives the MBUF_CSUM_REQ_* flags.
 * @param value Receives the value (for TCP and UDP, the offset of the
 *     checksum field in the transport header); may be NULL.
 * @result 0, or EINVAL for a NULL mbuf or request, or an mbuf without
 *     packet header.
 */
extern errno_t mbuf_get_csum_requested(mbuf_t mbuf,
    mbuf_csum_request_flags_t *request, uint32_t *value);

/*!
 * @function mbuf_set_csum_requested
 * @abstract Asks the driver for checksums (replacing what was asked).
 * @discussion No backend computes them: a packet sent with requests
 *     still pending goes out as it is.  mbuf_outbound_finalize() computes
 *     them in software.
 * @param mbuf A packet.
 * @param request MBUF_CSUM_REQ_* flags (others are ignored).
 * @param value The value that goes with them.
 * @result 0; EINVAL for NULL or an mbuf without packet header; ENOMEM
 *     when no memory holds the value.
 */
extern errno_t mbuf_set_csum_requested(mbuf_t mbuf,
    mbuf_csum_request_flags_t request, uint32_t value);

/*!
 * @function mbuf_clear_csum_requested
 * @abstract Withdraws every checksum request, and the value.
 * @param mbuf A packet.
 * @result 0, or EINVAL for NULL or an mbuf without packet header.
 */
extern errno_t mbuf_clear_csum_requested(mbuf_t mbuf);

/*!
 * @function mbuf_get_csum_performed
 * @abstract The checksums a driver verified, and the sum it computed.
 * @discussion No backend verifies checksums: received packets have none.
 * @param mbuf A packet.
 * @param flags Receives the MBUF_CSUM_* performed flags.
 * @param value Receives the sum.
 * @result 0, or EINVAL for a NULL argument or an mbuf without packet
 *     header.
 */
extern errno_t mbuf_get_csum_performed(mbuf_t mbuf,
    mbuf_csum_performed_flags_t *flags, uint32_t *value);

/*!
 * @function mbuf_set_csum_performed
 * @abstract Records checksums verified (replacing the earlier record).
 * @param mbuf A packet.
 * @param flags MBUF_CSUM_* performed flags (others are ignored).
 * @param value The sum computed.
 * @result 0; EINVAL for NULL or an mbuf without packet header; ENOMEM
 *     when no memory holds the value.
 */
extern errno_t mbuf_set_csum_performed(mbuf_t mbuf,
    mbuf_csum_performed_flags_t flags, uint32_t value);

/*!
 * @function mbuf_clear_csum_performed
 * @abstract Forgets the checksums verified.
 * @param mbuf A packet.
 * @result 0, or EINVAL for NULL or an mbuf without packet header.
 */
extern errno_t mbuf_clear_csum_performed(mbuf_t mbuf);

/*!
 * @function mbuf_inbound_modified
 * @abstract Says a received packet was changed: its verified checksums
 *     no longer hold, and every checksum flag is cleared.
 * @param mbuf A packet.
 */
extern void mbuf_inbound_modified(mbuf_t mbuf);

/*!
 * @function mbuf_outbound_finalize
 * @abstract Computes in software the checksums a packet still asks for.
 * @discussion For PF_INET: the IPv4 header checksum if
 *     MBUF_CSUM_REQ_IP is asked, and the TCP or UDP checksum if
 *     MBUF_CSUM_REQ_TCP or MBUF_CSUM_REQ_UDP is (a UDP sum of 0 is
 *     written 0xffff).  For PF_INET6: the TCP or UDP checksum if
 *     MBUF_CSUM_REQ_TCPIPV6 or MBUF_CSUM_REQ_UDPIPV6 is asked, the
 *     transport header taken to follow the fixed IPv6 header.  Each sum
 *     is computed afresh (the field is zeroed first) and its request
 *     cleared.  Other families, and packets too short for their headers,
 *     are left alone.
 * @param mbuf A packet.
 * @param protocol_family PF_INET or PF_INET6.
 * @param protocol_offset Where the IP header starts in the packet.
 */
extern void mbuf_outbound_finalize(mbuf_t mbuf, uint32_t protocol_family,
    size_t protocol_offset);

/*!
 * @function mbuf_inet_cksum
 * @abstract The Internet checksum of part of an IPv4 packet, with the
 *     pseudo header when a protocol is given.
 * @param mbuf A packet starting with its IPv4 header.
 * @param protocol The transport protocol, for the pseudo header (its
 *     addresses are those of the header at offset 0); 0 for none.
 * @param offset Where the summed bytes start.
 * @param length How many bytes.
 * @param csum Receives the checksum, ready to store in the header.
 * @result 0; EINVAL for NULL, a length of 0, or a range past the packet
 *     length (or a packet too short for an IPv4 header when a protocol
 *     is given, where XNU panics).
 */
extern errno_t mbuf_inet_cksum(mbuf_t mbuf, int protocol, uint32_t offset,
    uint32_t length, uint16_t *csum);

/*!
 * @function mbuf_inet6_cksum
 * @abstract The Internet checksum of part of an IPv6 packet, with the
 *     pseudo header when a protocol is given.
 * @param mbuf A packet starting with its IPv6 header.
 * @param protocol The transport protocol, for the pseudo header; 0 for
 *     none.
 * @param offset Where the summed bytes start.
 * @param length How many bytes.
 * @param csum Receives the checksum, ready to store in the header.
 * @result 0; EINVAL as for mbuf_inet_cksum().
 */
extern errno_t mbuf_inet6_cksum(mbuf_t mbuf, int protocol, uint32_t offset,
    uint32_t length, uint16_t *csum);

/*!
 * @function mbuf_get_tso_requested
 * @abstract The segmentation offload asked of the driver.
 * @param mbuf A packet.
 * @param request Receives the MBUF_TSO_* flags.
 * @param value Receives the segment size when a flag is set.
 * @result 0, or EINVAL for a NULL argument or an mbuf without packet
 *     header.
 */
extern errno_t mbuf_get_tso_requested(mbuf_t mbuf,
    mbuf_tso_request_flags_t *request, uint32_t *value);

/*!
 * @function mbuf_get_gso_info
 * @abstract The segmentation offload asked, as a type, segment size and
 *     header length.
 * @param mbuf A packet.
 * @param type Receives an MBUF_GSO_TYPE_* value.
 * @param seg_size Receives the segment size (0 with no offload).
 * @param hdr_len Receives the header length (0 with no offload).
 * @result 0, or EINVAL for a NULL argument or an mbuf without packet
 *     header.
 */
extern errno_t mbuf_get_gso_info(mbuf_t mbuf, mbuf_gso_type_t *type,
    uint16_t *seg_size, uint16_t *hdr_len);

/*!
 * @function mbuf_set_gso_info
 * @abstract Asks for segmentation offload, or clears it.
 * @param mbuf A packet.
 * @param type An MBUF_GSO_TYPE_* value; MBUF_GSO_TYPE_NONE clears.
 * @param seg_size The segment size: not 0 for a type, 0 to clear.
 * @param hdr_len The IP and TCP header length: 0 to clear.
 * @result 0; EINVAL for NULL, an mbuf without packet header, an unknown
 *     type or sizes that do not fit the type; ENOMEM when no memory holds
 *     the sizes.
 */
extern errno_t mbuf_set_gso_info(mbuf_t mbuf, mbuf_gso_type_t type,
    uint16_t seg_size, uint16_t hdr_len);

/*!
 * @function mbuf_get_lro_info
 * @abstract How many received segments were coalesced into a packet.
 * @param mbuf A packet.
 * @param seg_cnt Receives the count (0: not coalesced).
 * @param dup_ack_cnt Receives the duplicate ACKs: always 0.
 * @result 0, or EINVAL for a NULL argument or an mbuf without packet
 *     header.
 */
extern errno_t mbuf_get_lro_info(mbuf_t mbuf, uint8_t *seg_cnt,
    uint8_t *dup_ack_cnt);

/*!
 * @function mbuf_set_lro_info
 * @abstract Records how many received segments a packet coalesces.
 * @param mbuf A packet.
 * @param seg_cnt The count: 0, or 2 and more.
 * @param dup_ack_cnt Must be 0.
 * @result 0; EINVAL for NULL, an mbuf without packet header, a count of
 *     1 or duplicate ACKs; ENOMEM when no memory holds the count.
 * @deviation XNU stores the count and returns EINVAL even then.
 */
extern errno_t mbuf_set_lro_info(mbuf_t mbuf, uint8_t seg_cnt,
    uint8_t dup_ack_cnt);

/*!
 * @function mbuf_get_vlan_tag
 * @abstract The 802.1Q tag of a packet.
 * @discussion No backend reads tags off frames: only a tag set with
 *     mbuf_set_vlan_tag() is found.
 * @param mbuf A packet.
 * @param vlan Receives the tag.
 * @result 0; ENXIO when the packet has none; EINVAL for a NULL argument
 *     or an mbuf without packet header.
 */
extern errno_t mbuf_get_vlan_tag(mbuf_t mbuf, uint16_t *vlan);

/*!
 * @function mbuf_set_vlan_tag
 * @abstract Gives a packet an 802.1Q tag.
 * @discussion No backend inserts it into frames.
 * @param mbuf A packet.
 * @param vlan The tag.
 * @result 0; EINVAL for NULL or an mbuf without packet header; ENOMEM
 *     when no memory holds it.
 */
extern errno_t mbuf_set_vlan_tag(mbuf_t mbuf, uint16_t vlan);

/*!
 * @function mbuf_clear_vlan_tag
 * @abstract Removes a packet's 802.1Q tag.
 * @param mbuf A packet.
 * @result 0, or EINVAL for NULL or an mbuf without packet header.
 */
extern errno_t mbuf_clear_vlan_tag(mbuf_t mbuf);

/*!
 * @function mbuf_get_traffic_class
 * @abstract A packet's traffic class, from its service class.
 * @param mbuf A packet.
 * @result An MBUF_TC_* value; MBUF_TC_BE for NULL or an mbuf without
 *     packet header.
 */
extern mbuf_traffic_class_t mbuf_get_traffic_class(mbuf_t mbuf);

/*!
 * @function mbuf_set_traffic_class
 * @abstract Sets a packet's service class to the one of a traffic class
 *     (MBUF_TC_BK: MBUF_SC_BK, and so on).
 * @param mbuf A packet.
 * @param tc MBUF_TC_BE, MBUF_TC_BK, MBUF_TC_VI or MBUF_TC_VO.
 * @result 0; EINVAL for NULL, an mbuf without packet header or another
 *     class; ENOMEM when no memory holds it.
 */
extern errno_t mbuf_set_traffic_class(mbuf_t mbuf, mbuf_traffic_class_t tc);

/*!
 * @function mbuf_is_traffic_class_privileged
 * @abstract Whether the packet's class was granted by privilege.
 * @discussion The library grants no class by privilege.
 * @param mbuf A packet.
 * @result 0.
 */
extern int mbuf_is_traffic_class_privileged(mbuf_t mbuf);

/*!
 * @function mbuf_get_traffic_class_max_count
 * @abstract The number of traffic classes.
 * @result 4.
 */
extern uint32_t mbuf_get_traffic_class_max_count(void);

/*!
 * @function mbuf_get_traffic_class_index
 * @abstract The index (see mbuf_get_service_class_index()) of a traffic
 *     class's service class: BE 0, BK 2, VI 7, VO 8.
 * @param tc A traffic class.
 * @param index Receives the index.
 * @result 0, or EINVAL for NULL or a class out of range.
 */
extern errno_t mbuf_get_traffic_class_index(mbuf_traffic_class_t tc,
    uint32_t *index);

/*!
 * @function mbuf_get_service_class
 * @abstract A packet's service class.
 * @param mbuf A packet.
 * @result An MBUF_SC_* value; MBUF_SC_BE for NULL, an mbuf without
 *     packet header, or one that has none set.
 */
extern mbuf_svc_class_t mbuf_get_service_class(mbuf_t mbuf);

/*!
 * @function mbuf_set_service_class
 * @abstract Sets a packet's service class.
 * @param mbuf A packet.
 * @param sc An MBUF_SC_* value.
 * @result 0; EINVAL for NULL, an mbuf without packet header or an
 *     unknown class; ENOMEM when no memory holds it.
 */
extern errno_t mbuf_set_service_class(mbuf_t mbuf, mbuf_svc_class_t sc);

/*!
 * @function mbuf_is_service_class_privileged
 * @abstract Whether the packet's service class was granted by privilege.
 * @discussion XNU declares it without exporting it; here it answers as
 *     mbuf_is_traffic_class_privileged() does.
 * @param mbuf A packet.
 * @result 0.
 */
extern int mbuf_is_service_class_privileged(mbuf_t mbuf);

/*!
 * @function mbuf_get_service_class_max_count
 * @abstract The number of service classes.
 * @result 10.
 */
extern uint32_t mbuf_get_service_class_max_count(void);

/*!
 * @function mbuf_get_service_class_index
 * @abstract The index of a service class, as XNU numbers them: BE 0,
 *     BK_SYS 1, BK 2, RD 3, OAM 4, AV 5, RV 6, VI and SIG 7, VO 8, CTL 9.
 * @param sc A service class.
 * @param index Receives the index.
 * @result 0, or EINVAL for NULL or an unknown class.
 */
extern errno_t mbuf_get_service_class_index(mbuf_svc_class_t sc,
    uint32_t *index);

/*!
 * @function mbuf_pkthdr_aux_flags
 * @abstract A packet's auxiliary flags.
 * @discussion The library sets none.
 * @param mbuf A packet.
 * @param paux_flags Receives the MBUF_PKTAUXF_* flags.
 * @result 0, or EINVAL for a NULL argument or an mbuf without packet
 *     header.
 */
extern errno_t mbuf_pkthdr_aux_flags(mbuf_t mbuf,
    mbuf_pkthdr_aux_flags_t *paux_flags);

/*!
 * @function mbuf_get_driver_scratch
 * @abstract A packet's scratch area for a driver: 32 bytes, zeroed when
 *     first asked for.
 * @param m A packet.
 * @param area Receives the area.
 * @param area_ln Receives its size.
 * @result 0; EINVAL for a NULL argument or an mbuf without packet
 *     header; ENOMEM when no memory holds the area.
 * @ownership The area belongs to the packet and goes with it.
 */
extern errno_t mbuf_get_driver_scratch(mbuf_t m, uint8_t **area,
    size_t *area_ln);

/*!
 * @function mbuf_get_unsent_data_bytes
 * @abstract The bytes queued behind a packet, at the interface and in
 *     the socket.
 * @discussion The library records no such figure on its packets.
 * @param m A packet.
 * @param unsent_data Receives the count.
 * @result EINVAL: no packet carries a valid count (as XNU for a packet
 *     without one).
 */
extern errno_t mbuf_get_unsent_data_bytes(const mbuf_t m,
    uint32_t *unsent_data);

/*!
 * @function mbuf_get_buffer_status
 * @abstract The bytes queued behind a packet, apart.
 * @param m A packet.
 * @param buf_status Receives the counts.
 * @result EINVAL: no packet carries valid counts.
 */
extern errno_t mbuf_get_buffer_status(const mbuf_t m,
    mbuf_buffer_status_t *buf_status);

/*!
 * @function mbuf_pkt_new_flow
 * @abstract Whether a packet starts a new flow.
 * @param m A packet.
 * @param retval Receives 1 or 0 (the library marks no packet: 0).
 * @result 0, or EINVAL for a NULL argument or an mbuf without packet
 *     header.
 */
extern errno_t mbuf_pkt_new_flow(const mbuf_t m, uint32_t *retval);

/*!
 * @function mbuf_last_pkt
 * @abstract Whether a packet is the last of a flow's burst.
 * @param m A packet.
 * @param retval Receives 1 or 0 (the library marks no packet: 0).
 * @result 0, or EINVAL for a NULL argument or an mbuf without packet
 *     header.
 */
extern errno_t mbuf_last_pkt(const mbuf_t m, uint32_t *retval);

/*!
 * @function mbuf_get_timestamp
 * @abstract A packet's timestamp, in absolute time units.
 * @discussion The one set with mbuf_set_timestamp(); else, for a packet
 *     a backend received, when the backend saw it.
 * @param mbuf A packet.
 * @param ts Receives the timestamp (0 when there is none).
 * @param valid Receives whether there is one; may be NULL.
 * @result 0, or EINVAL for NULL, a NULL `ts` or an mbuf without packet
 *     header.
 */
extern errno_t mbuf_get_timestamp(mbuf_t mbuf, uint64_t *ts, boolean_t *valid);

/*!
 * @function mbuf_set_timestamp
 * @abstract Sets or clears a packet's timestamp.
 * @param mbuf A packet.
 * @param ts The timestamp, in absolute time units.
 * @param valid FALSE clears the timestamp (and hides the backend's).
 * @result 0; EINVAL for NULL or an mbuf without packet header; ENOMEM
 *     when no memory holds it.
 */
extern errno_t mbuf_set_timestamp(mbuf_t mbuf, uint64_t ts, boolean_t valid);

/*!
 * @function mbuf_register_tx_compl_callback
 * @abstract Registers a transmit completion callback (at most 32).
 * @discussion No backend reports transmit completion: a registered
 *     callback is never called.
 * @param callback The callback.
 * @result 0; EINVAL for NULL; EEXIST when registered already; ENOSPC
 *     when 32 are.
 */
extern errno_t mbuf_register_tx_compl_callback(mbuf_tx_compl_func callback);

/*!
 * @function mbuf_unregister_tx_compl_callback
 * @abstract Unregisters a transmit completion callback.
 * @param callback The callback.
 * @result 0; EINVAL for NULL; ENOENT when not registered.
 */
extern errno_t mbuf_unregister_tx_compl_callback(mbuf_tx_compl_func callback);

/*!
 * @function mbuf_set_timestamp_requested
 * @abstract Asks for a registered callback to be told when a packet is
 *     sent.
 * @discussion Recorded; no backend reports completion, so the callback
 *     is not called.
 * @param mbuf A packet.
 * @param pktid Receives the packet's id, which the callback would be
 *     given.
 * @param callback A registered callback.
 * @result 0; EINVAL for a NULL argument or an mbuf without packet
 *     header; ENOENT when the callback is not registered; ENOMEM when no
 *     memory holds the request.
 */
extern errno_t mbuf_set_timestamp_requested(mbuf_t mbuf, uintptr_t *pktid,
    mbuf_tx_compl_func callback);

/*!
 * @function mbuf_get_timestamp_requested
 * @abstract Whether completion was asked for a packet.
 * @param mbuf A packet.
 * @param requested Receives TRUE or FALSE.
 * @result 0, or EINVAL for a NULL argument or an mbuf without packet
 *     header.
 */
extern errno_t mbuf_get_timestamp_requested(mbuf_t mbuf,
    boolean_t *requested);

/*!
 * @function mbuf_set_status
 * @abstract Records a packet's transmit status, for a driver.
 * @param mbuf A packet.
 * @param status The status.
 * @result 0; EINVAL for NULL or an mbuf without packet header; ENOMEM
 *     when no memory holds it.
 */
extern errno_t mbuf_set_status(mbuf_t mbuf, kern_return_t status);

/*!
 * @function mbuf_get_status
 * @abstract A packet's transmit status.
 * @param mbuf A packet.
 * @param status Receives the status (0 when none was set).
 * @result 0, or EINVAL for a NULL argument or an mbuf without packet
 *     header.
 */
extern errno_t mbuf_get_status(mbuf_t mbuf, kern_return_t *status);

/*!
 * @function mbuf_set_tx_compl_data
 * @abstract Records a driver's completion argument and data on a packet.
 * @param m A packet.
 * @param arg The argument.
 * @param data The data.
 * @result 0; EINVAL for NULL or an mbuf without packet header; ENOMEM
 *     when no memory holds them.
 */
extern errno_t mbuf_set_tx_compl_data(mbuf_t m, uintptr_t arg,
    uintptr_t data);

/*!
 * @function mbuf_get_tx_compl_data
 * @abstract A packet's completion argument and data.
 * @param m A packet.
 * @param arg Receives the argument (0 when none was set).
 * @param data Receives the data (0 when none was set).
 * @result 0, or EINVAL for a NULL argument or an mbuf without packet
 *     header.
 */
extern errno_t mbuf_get_tx_compl_data(mbuf_t m, uintptr_t *arg,
    uintptr_t *data);

/*!
 * @function mbuf_set_flowid
 * @abstract Records a driver's flow id on a packet.
 * @param mbuf A packet.
 * @param flowid The id.
 * @result 0; EINVAL for NULL or an mbuf without packet header; ENOMEM
 *     when no memory holds it.
 */
extern errno_t mbuf_set_flowid(mbuf_t mbuf, uint16_t flowid);

/*!
 * @function mbuf_get_flowid
 * @abstract A packet's flow id.
 * @param mbuf A packet.
 * @param flowid Receives the id (0 when none was set).
 * @result 0, or EINVAL for a NULL argument or an mbuf without packet
 *     header.
 */
extern errno_t mbuf_get_flowid(mbuf_t mbuf, uint16_t *flowid);

/*!
 * @function mbuf_set_keepalive_flag
 * @abstract Marks or unmarks a packet as a keepalive.
 * @param mbuf A packet.
 * @param is_keepalive TRUE or FALSE.
 * @result 0; EINVAL for NULL or an mbuf without packet header; ENOMEM
 *     when no memory holds the mark.
 */
extern errno_t mbuf_set_keepalive_flag(mbuf_t mbuf, boolean_t is_keepalive);

/*!
 * @function mbuf_get_keepalive_flag
 * @abstract Whether a packet is marked as a keepalive.
 * @param mbuf A packet.
 * @param is_keepalive Receives TRUE or FALSE.
 * @result 0, or EINVAL for a NULL argument or an mbuf without packet
 *     header.
 */
extern errno_t mbuf_get_keepalive_flag(mbuf_t mbuf, boolean_t *is_keepalive);

/*!
 * @function mbuf_set_wake_packet_flag
 * @abstract Marks or unmarks a packet as the one that woke the host.
 * @param mbuf A packet.
 * @param is_wake_packet TRUE or FALSE.
 * @result 0; EINVAL for NULL or an mbuf without packet header; ENOMEM
 *     when no memory holds the mark.
 */
extern errno_t mbuf_set_wake_packet_flag(mbuf_t mbuf,
    boolean_t is_wake_packet);

/*!
 * @function mbuf_get_wake_packet_flag
 * @abstract Whether a packet is marked as the one that woke the host.
 * @param mbuf A packet.
 * @param is_wake_packet Receives TRUE or FALSE.
 * @result 0, or EINVAL for a NULL argument or an mbuf without packet
 *     header.
 */
extern errno_t mbuf_get_wake_packet_flag(mbuf_t mbuf,
    boolean_t *is_wake_packet);

/*!
 * @function mbuf_add_drvaux
 * @abstract Attaches a driver's auxiliary data to a packet.
 * @discussion One block a packet, of at most 128 bytes, zeroed; it goes
 *     with the packet's tags (so mbuf_copym() at offset 0 moves it, as it
 *     moves tags).
 * @param mbuf A packet.
 * @param how MBUF_WAITOK or MBUF_DONTWAIT (never waits).
 * @param family The driver's family.
 * @param subfamily The driver's subfamily.
 * @param length The block's size, 1 to 128.
 * @param data_p Receives the block; may be NULL.
 * @result 0; EINVAL for NULL, an mbuf without packet header or a length
 *     out of range; EEXIST when the packet has a block already; ENOMEM
 *     (EWOULDBLOCK with MBUF_DONTWAIT) when memory runs out.
 */
extern errno_t mbuf_add_drvaux(mbuf_t mbuf, mbuf_how_t how, uint32_t family,
    uint32_t subfamily, size_t length, void **data_p);

/*!
 * @function mbuf_find_drvaux
 * @abstract Finds a packet's auxiliary data.
 * @param mbuf A packet.
 * @param family_p Receives the family; may be NULL.
 * @param subfamily_p Receives the subfamily; may be NULL.
 * @param length_p Receives the length; may be NULL.
 * @param data_p Receives the block.
 * @result 0; ENOENT when there is none; EINVAL for NULL `data_p`, NULL
 *     or an mbuf without packet header.
 */
extern errno_t mbuf_find_drvaux(mbuf_t mbuf, uint32_t *family_p,
    uint32_t *subfamily_p, uint32_t *length_p, void **data_p);

/*!
 * @function mbuf_del_drvaux
 * @abstract Removes a packet's auxiliary data, if any.
 * @param mbuf A packet.
 */
extern void mbuf_del_drvaux(mbuf_t mbuf);

#ifdef __cplusplus
}
#endif

#endif /* _XKPI_SYS_KPI_MBUF_H_ */
