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

#ifdef __cplusplus
}
#endif

#endif /* _XKPI_SYS_KPI_MBUF_H_ */
