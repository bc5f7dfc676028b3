/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header xkpi.h
 * @abstract xkpi's own interface: start and stop the library, choose its
 *     backend and behaviour, and catch its log and its panics.
 * @discussion Nothing here exists in XNU.  Code ported from a kernel
 *     extension needs none of it: the first call of a KPI function that
 *     needs the engine (`sock_socket()`, the first of the socket KPI,
 *     `ipf_addv4()`, `ipf_addv6()`, the `ipf_inject_*` calls,
 *     `ifnet_find_by_name()`, `ifnet_list_get()`) initialises the library
 *     from the environment.  The mbuf KPI works without it.
 *     xkpi_init() is for programs and tests that want to choose instead,
 *     and xkpi_shutdown() for those that want everything freed before they
 *     exit (under a leak checker, say).
 *
 *     <b>Environment.</b> Read when the library initialises.  A field set
 *     in struct xkpi_config takes precedence over its variable.
 *     - `XKPI_BACKEND`: the packet backend: `mem` (in-process virtual
 *       links, the default: no privilege needed), `linux` (raw and packet
 *       sockets), `pcap` (libpcap) or `nfqueue` (netfilter queues: the
 *       host's own packets, held until the engine's verdict, for divert
 *       and SeND sockets; built when libnetfilter_queue is installed,
 *       naming it fails with ENOTSUP otherwise).
 *     - `XKPI_IFACES`: a comma-separated list of the interfaces to attach,
 *       for example `eth0,eth1` (see xkpi_if_attach()).  Unset or empty,
 *       none is: `linux` and `pcap` then receive nothing until
 *       xkpi_if_attach() is called (the first raw socket made while they
 *       have no interface logs a warning), `nfqueue` attaches every host
 *       interface when its loop first runs, and `mem` has only the
 *       virtual interfaces a test creates.  Set while the backend is
 *       `mem`, each name becomes a virtual interface linked to nothing,
 *       with a warning (XKPI_BACKEND was most likely forgotten).
 *     - `XKPI_NFQUEUE`: the netfilter queues the `nfqueue` backend binds:
 *       `N`, `N-M` or a comma list of them (default 0).
 *       `XKPI_NFQUEUE_FAIL`: `open` (the default: a full queue lets
 *       packets pass) or `closed` (the kernel drops them).
 *       `XKPI_NFQUEUE_HOLD_MS`: how long a packet may wait for the
 *       engine's verdict before it is dropped (default 2000).
 *       `XKPI_NFQUEUE_MARK`: the mark on every packet the library sends,
 *       which the iptables rules skip (default 0x786b).
 *       `XKPI_NFQUEUE_MAXLEN`: the kernel's queue length (default its
 *       own, 1024).  A bad value fails initialisation with EINVAL; the
 *       rules to install are on the Backend notes page
 *       (docs/backends.md).
 *     - `XKPI_LINUX_RX`: how the `linux` backend receives: `auto` (the
 *       default: per interface, a packet socket read with recvmmsg(2)
 *       while traffic is sparse, so that a packet alone meets no added
 *       latency, and a TPACKET_V3 ring, the most packets for the least
 *       CPU, once packets queue up; the kernel sends each packet to one
 *       of them, switched with PACKET_FANOUT), `ring` (the ring alone:
 *       up to 1 ms of added latency on sparse traffic) or `mmsg` (the
 *       packet socket alone: more CPU per packet when busy).
 *     - `XKPI_THREADS`: the number of event-loop threads, 1 (the
 *       default) to 16; any other value fails initialisation with
 *       EINVAL, and an empty one counts as unset.
 *       The `threads` field of struct xkpi_config, when not 0, wins.
 *       What runs on which loop is on the main page ("Threads and
 *       upcalls").
 *     - `XKPI_LINUX_TX`: how the `linux` backend sends on an Ethernet
 *       interface: `ring` (the default: a unicast packet whose next hop
 *       the host has resolved is framed by the library and written into
 *       an AF_PACKET TX ring, below the host's IP layer, so that the
 *       host's netfilter OUTPUT and POSTROUTING hooks do not see it;
 *       everything else goes as with `raw`) or `raw` (raw IP sockets
 *       with the header included: the host routes, filters and resolves
 *       every packet).
 *     - `XKPI_STATS_SOCKET`: a path.  When set, the running process
 *       listens on a Unix socket there and answers every connection with
 *       its counters (xkpi_stats()), sockets (xkpi_pcblist()) and rule
 *       table (xkpi_fw_list()) in text, which the `xkpi-stat` tool
 *       prints; the file is removed at xkpi_shutdown().  A path that
 *       another running process answers on is refused: initialisation
 *       fails with EADDRINUSE and the log names that process; so is a
 *       file that is not a socket (EEXIST), which is left alone; a socket
 *       file nobody answers on (left by a process that died) is
 *       replaced.  Unset, nothing listens.
 *     - `XKPI_FW`, `XKPI_FW_DEFAULT`: rules loaded into the rule table,
 *       and what its default rule does (see <xkpi_fw.h>); a bad value
 *       fails initialisation with EINVAL.
 *     - `XKPI_LOG`: the log level: `off`, `error`, `warn` (the default),
 *       `info` or `debug` (which adds a line per interface attached, per
 *       socket opened and closed, and per packet in and out, naming the
 *       counters the packet moved: the engine's decision).  An unknown
 *       value is warned about and `warn` is used.
 *     - `XKPI_UPCALL`: `arm64` makes sock_socket(), sock_accept() and
 *       sock_setupcall() install their callback on the read and the write
 *       side, as XNU on Apple silicon does; anything else, or none, keeps
 *       XNU x86_64's read side only.  The `upcall_mode` field, when set to
 *       XKPI_UPCALL_ARM64, wins.
 *     - `XKPI_MBUF_CACHE`: `0` frees every cluster to the heap at once,
 *       and every mbuf once it leaves the quarantine that keeps the last
 *       256 freed mbufs marked free (see kpi_mbuf.h; the library makes
 *       quarantined mbufs inaccessible to valgrind and AddressSanitizer,
 *       but for their type), so that those tools see each use after
 *       free; any other value, or none, keeps freed buffers in a cache
 *       for reuse.
 *
 *     <b>Versions.</b> The XKPI_VERSION_* macros give the version of the
 *     headers; the shared library's soname follows the major number.
 */
#ifndef _XKPI_XKPI_H_
#define _XKPI_XKPI_H_

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/kernel_types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*! @abstract Major version of the headers: changes break compatibility. */
#define	XKPI_VERSION_MAJOR	0
/*! @abstract Minor version of the headers: additions. */
#define	XKPI_VERSION_MINOR	1
/*! @abstract Patch version of the headers: fixes only. */
#define	XKPI_VERSION_PATCH	0

/*
 * A libevent event base.  Declared only: this header does not include
 * libevent, and callers of xkpi_init_with_base() include it themselves.
 */
struct event_base;

/*!
 * @abstract Which sides the single-callback functions install an upcall
 *     on.
 * @discussion sock_socket(), sock_accept() and sock_setupcall() take one
 *     callback.  XNU installs it on the read side only on x86_64, and on
 *     both sides on arm64; the mode chooses which of the two a port
 *     reproduces.  sock_setupcalls() is not affected.
 */
enum xkpi_upcall_mode {
	XKPI_UPCALL_X86_64 = 0,	/*!< The read side only, as XNU on x86_64.
				     The default. */
	XKPI_UPCALL_ARM64 = 1	/*!< The read and the write side, as XNU
				     on arm64 (Apple silicon). */
};

/*!
 * @abstract Log levels, from the most to the least severe.
 * @discussion A message is logged when its level is at most the level
 *     chosen (XKPI_LOG, or the `log_level` field of struct xkpi_config).
 *     Messages carry ERROR to DEBUG; OFF and DEFAULT only choose.
 */
enum xkpi_log_level {
	XKPI_LOG_OFF = -1,	/*!< Log nothing. */
	XKPI_LOG_DEFAULT = 0,	/*!< In struct xkpi_config: take the level
				     from XKPI_LOG, else XKPI_LOG_WARN. */
	XKPI_LOG_ERROR = 1,	/*!< A call failed for a reason the caller
				     should know about (a backend error). */
	XKPI_LOG_WARN = 2,	/*!< Something was refused or dropped. */
	XKPI_LOG_INFO = 3,	/*!< Start, stop, interfaces attached. */
	XKPI_LOG_DEBUG = 4	/*!< Per-packet and per-call detail. */
};

/*!
 * @abstract The configuration given to xkpi_init() or
 *     xkpi_init_with_base().
 * @discussion A zeroed structure means "everything from the environment",
 *     as a NULL pointer does; set only the fields you want to choose, with
 *     designated initializers, in XKPI_CONFIG_INIT():
 *
 *     <pre>struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "mem");</pre>
 *
 *     <b>Size.</b> The first field, `size`, tells the library how large
 *     the caller's structure is, so that fields can be added in later
 *     versions without breaking programs built before them: the library
 *     reads only the fields that lie wholly within `size` bytes, and takes
 *     every other field as 0, its default.  XKPI_CONFIG_INIT() sets `size`
 *     to sizeof(struct xkpi_config) as the caller's header declares it.
 *     A `size` of 0 (a zeroed structure, or designated initializers
 *     without XKPI_CONFIG_INIT()) stands for the fields of this version,
 *     `backend` to `mbuf_limit_bytes`; fields added later are read only
 *     from a structure whose `size` covers them.  A `size` larger than the
 *     library's own structure (a program built against a newer header) is
 *     accepted when every byte the library does not know is 0, and refused
 *     with E2BIG otherwise: the program asked for something this library
 *     cannot do.
 */
struct xkpi_config {
	size_t		 size;		/*!< sizeof(struct xkpi_config) as
					     the caller compiled it, set by
					     XKPI_CONFIG_INIT(); 0: this
					     version's fields. */
	const char	*backend;	/*!< Backend name (`mem`, `linux`,
					     `pcap`, `nfqueue`); NULL: from
					     XKPI_BACKEND, else `mem`. */
	const char	*ifaces;	/*!< Comma-separated names of the
					     interfaces to attach; NULL: from
					     XKPI_IFACES. */
	int		 log_level;	/*!< An enum xkpi_log_level value;
					     XKPI_LOG_DEFAULT (0): from
					     XKPI_LOG, else XKPI_LOG_WARN. */
	enum xkpi_upcall_mode upcall_mode; /*!< Sides the single-callback
					     functions install an upcall on;
					     XKPI_UPCALL_X86_64 (0) by
					     default. */
	size_t		 mbuf_limit_bytes; /*!< Most memory mbufs and
					     clusters may hold together,
					     counted as 256 bytes an mbuf
					     and a cluster's size plus 32,
					     free ones kept for reuse
					     included; beyond it allocations
					     fail as the mbuf KPI documents,
					     counted in `mbuf.limit`.  0: no
					     byte bound, only the library's
					     default bounds per size. */
	unsigned int	 threads;	/*!< Event-loop threads, 1 to 16;
					     0: from XKPI_THREADS, else 1.
					     Each socket gets one of the
					     loops, in turn, when it is
					     made; see "Threads and upcalls"
					     on the main page for what runs
					     where. */
	/* New fields go here, at the end, and only here. */
};

/*!
 * @abstract An initializer for struct xkpi_config: its `size` set, the
 *     fields given as designated initializers, every other field 0.
 * @discussion XKPI_CONFIG_INIT() alone is the default configuration.
 */
#define	XKPI_CONFIG_INIT(...) \
	{ .size = sizeof(struct xkpi_config), __VA_ARGS__ }

/*!
 * @abstract Receives the library's log messages.
 * @param level The message's level, XKPI_LOG_ERROR to XKPI_LOG_DEBUG.
 * @param msg The message: one line, without a trailing newline, valid
 *     during the call only.
 * @param ctx The context pointer given to xkpi_set_log_hook().
 * @locking Called on whichever thread logs, possibly on several threads at
 *     once and possibly with the library's core lock held: the hook must
 *     not call xkpi functions.
 */
typedef void (*xkpi_log_hook)(int level, const char *msg, void *ctx);

/*!
 * @function xkpi_set_log_hook
 * @abstract Sends the library's log messages to a function of the caller.
 * @discussion Only messages at or under the chosen log level reach the
 *     hook.  By default they go to standard error, prefixed with "xkpi: ".
 *     The hook stays in place across xkpi_shutdown().  May be called at
 *     any time, before initialisation too.
 * @param hook The hook, or NULL to restore the default.
 * @param ctx A context pointer passed to the hook.
 * @ownership `ctx` stays the caller's; it must remain valid while the hook
 *     is installed.
 */
extern void xkpi_set_log_hook(xkpi_log_hook hook, void *ctx);

/*!
 * @abstract Receives the library's panics.
 * @discussion A panic is an impossible state the caller has caused, where
 *     XNU would panic the kernel or use freed memory: a sock_release()
 *     without a sock_retain(), a socket used after it was closed or
 *     closed twice, an mbuf used after it was freed or freed twice.
 * @param msg What went wrong: one line, valid during the call only.
 * @param ctx The context pointer given to xkpi_set_panic_hook().
 * @locking Called on the thread of the offending call, possibly with the
 *     library's core lock held: the hook must call no xkpi, sock_ or mbuf_
 *     function.
 */
typedef void (*xkpi_panic_hook)(const char *msg, void *ctx);

/*!
 * @function xkpi_set_panic_hook
 * @abstract Replaces what the library does on a panic.
 * @discussion The default hook prints the message to standard error and
 *     calls abort().  If a hook returns, the offending call returns
 *     without doing anything further (a release without a retain changes
 *     no count; a second free of an mbuf frees nothing): a call given a
 *     closed or freed socket fails with EBADF, one given a freed mbuf
 *     with EINVAL (0, NULL or nothing where the call returns no errno),
 *     so a test can record the panic and go on.  The hook stays in place
 *     across xkpi_shutdown().  May be called at any time, before
 *     initialisation too.
 * @param hook The hook, or NULL to restore the default.
 * @param ctx A context pointer passed to the hook.
 * @ownership `ctx` stays the caller's; it must remain valid while the hook
 *     is installed.
 */
extern void xkpi_set_panic_hook(xkpi_panic_hook hook, void *ctx);

/*!
 * @function xkpi_init
 * @abstract Initialises the library with a chosen configuration.
 * @discussion Attaches the backend and its interfaces and starts the
 *     event-loop thread, on which upcalls and event callbacks run.
 *     Without this call the first KPI call does the same from the
 *     environment.  If the configuration is wrong (an unknown backend,
 *     a bad `XKPI_FW`), that start fails, the reason is logged in one
 *     line and the KPI call fails with the error where it can return
 *     one.  If only the backend or its interfaces cannot start (no
 *     privilege, no such interface), the library starts without them:
 *     one line says why, host TCP, UDP and local sockets work, and raw,
 *     divert and SeND sockets, and xkpi_if_attach(), fail with that
 *     error.  xkpi_init() itself fails instead, having logged the same
 *     line.
 *
 *     Calling it again while the library is initialised (explicitly or
 *     by a KPI call) is harmless: it changes nothing and returns 0.  To
 *     change the configuration, call xkpi_shutdown() first.
 * @param cfg The configuration, or NULL for everything from the
 *     environment.
 * @result 0 on success; EINVAL for an unknown backend name or a
 *     malformed interface list (in `cfg` or in the environment), an
 *     unknown upcall mode or log level in `cfg`, a number of threads
 *     over 16 in `cfg` or other than 1 to 16 in XKPI_THREADS, or a
 *     `size` other than 0 that does not hold the `size` field itself; E2BIG for a `size` beyond the
 *     library's structure with a non-zero byte the library does not
 *     know; ENOTSUP for a backend this build does not include (see
 *     `configure --with-backends`); ENXIO when a listed interface does
 *     not exist; EEXIST when the list names one twice; or any error of
 *     xkpi_if_attach() for a listed interface; ENOMEM when memory runs
 *     out; or the error of a backend that cannot start (EPERM without
 *     the privilege it needs, for example).
 * @locking Call it from any thread but the event-loop thread (not from
 *     an upcall or callback).
 * @ownership `cfg` and its strings are read during the call only.
 */
extern errno_t xkpi_init(const struct xkpi_config *cfg);

/*!
 * @function xkpi_init_with_base
 * @abstract Initialises the library on the caller's libevent event base.
 * @discussion Like xkpi_init(), but `base` is the library's main loop:
 *     the library adds its events to it, and the thread that runs `base`
 *     (event_base_dispatch() or event_base_loop()) is the event-loop
 *     thread, on which upcalls and event callbacks run.  With one thread
 *     (`threads` and XKPI_THREADS unset) the library starts no thread of
 *     its own; with more, it starts one for each loop after the first,
 *     and the sockets it gives those loops are served there.  Nothing is
 *     delivered while `base` is not running, so a test can drive the loop
 *     by hand, one event_base_loop(base, EVLOOP_ONCE) at a time, to
 *     fix the order of events.
 *
 *     Other threads hand work to the loop, so `base` must be made after
 *     evthread_use_pthreads() was called.  The library never frees
 *     `base`: call xkpi_shutdown() before event_base_free().
 * @param base The event base.
 * @param cfg The configuration, or NULL for everything from the
 *     environment.
 * @result 0 on success; EINVAL when `base` is NULL; EBUSY when the library
 *     is already initialised (explicitly or by a KPI call); otherwise the
 *     errors of xkpi_init().
 * @locking Call it from any thread but a thread running `base`.
 * @ownership `base` stays the caller's and must outlive the library's use
 *     of it (until xkpi_shutdown() returns).  `cfg` and its strings are
 *     read during the call only.
 */
extern errno_t xkpi_init_with_base(struct event_base *base,
    const struct xkpi_config *cfg);

/*!
 * @function xkpi_if_attach
 * @abstract Attaches one more interface to the running library.
 * @discussion What `XKPI_IFACES` does at initialisation, for one interface
 *     at a time: on the host backends (`linux`, `pcap`) the library reads
 *     the host interface's index, MTU, link type and addresses, starts
 *     receiving on it and from then on follows the host's changes to its
 *     MTU and addresses; on `mem` it creates an unlinked virtual interface
 *     of MTU 1500.  Initialises the library from the environment first
 *     if no call has done so yet.
 * @param name The interface's name, as the host knows it (`eth0`).
 * @result 0 on success; EINVAL for a NULL, empty or over-long name;
 *     ENXIO when the host has no such interface; EEXIST when it is
 *     attached already; EPROTONOSUPPORT for a link type the backend
 *     cannot carry (the `pcap` backend carries Ethernet only); EPERM
 *     without the privilege the backend needs; or the error of
 *     initialisation.
 * @locking Any thread, including the event-loop thread.
 */
extern errno_t xkpi_if_attach(const char *name);

/*!
 * @function xkpi_if_detach
 * @abstract Detaches an interface from the running library.
 * @discussion The reverse of xkpi_if_attach(): the library stops
 *     receiving on the interface and forgets it (its `if.NAME.*` and
 *     backend counters go with it); packets the backend still kept for
 *     it (the `pcap` backend's, waiting for a link address) are dropped
 *     and counted.  Sockets stay open.  On `mem` the virtual
 *     interface is removed, as xkpi_mem_reset() removes them all.  On
 *     `nfqueue` the interface's packets pass unattached from then on
 *     (unless every interface is attached: its next packet attaches it
 *     again).
 *
 *     The host backends need no call when the host deletes an attached
 *     interface and makes another of the same name (a veth pair made
 *     again, a USB adapter plugged back in): the library detaches the
 *     old one and attaches the new one by itself, and logs it.
 * @param name The interface's name, as xkpi_if_attach() took it.
 * @result 0 on success; EINVAL for a NULL, empty or over-long name; ENXIO
 *     when no interface of that name is attached, or the library is not
 *     running.
 * @locking Any thread, including the event-loop thread.
 */
extern errno_t xkpi_if_detach(const char *name);

/*!
 * @function xkpi_shutdown
 * @abstract Closes everything and frees everything.
 * @discussion Closes every socket (no upcall or event callback is called
 *     after it returns), then lets out the packets the backend accepted
 *     for output and still keeps (the `linux` backend's interface output
 *     queue, the `pcap` backend's packets waiting for a link address),
 *     waiting for the host up to one second; packets that have not left
 *     by then are discarded, counted (`if.NAME.oqdrops`, and
 *     `be.linux.txlost` or `be.pcap.NAME.hold_lost`) and reported in a
 *     log message at the warning level, which says how many.  Then it
 *     detaches the backend and its interfaces, stops the library's own
 *     event-loop thread, or removes the library's events from the
 *     caller's base, and frees every mbuf and buffer the library holds.
 *     Sockets and mbufs the application still holds become invalid.
 *     Afterwards the library can be initialised again, by xkpi_init() or
 *     by the next KPI call.  Does nothing when the library is not
 *     initialised.  The log and panic hooks stay in place.
 *
 *     <b>At exit.</b> A program that calls exit() (or returns from
 *     main()) without xkpi_shutdown() loses nothing silently either:
 *     when the library first starts in a process it registers an
 *     atexit() handler that, while the library runs, lets the queued
 *     packets out within the same bound and counts and logs the rest, as
 *     above; it tears nothing down.  Handlers the program registered before the library
 *     started run after it, and see the final counters.  The handler
 *     does nothing in a child of fork() that has not started the library
 *     itself, nor while another thread is in xkpi_init() or
 *     xkpi_shutdown().  A process that ends any other way (_exit(), a
 *     signal) loses what was queued, uncounted.
 *
 *     <b>Output counters.</b> `if.NAME.opackets` counts a packet when it
 *     leaves: when the host takes it (`linux`, `pcap`), or joins the
 *     link (`mem`).  A packet that a send accepted (returned 0 for) but
 *     that never left is in `if.NAME.oqdrops`, with the reason in a
 *     backend counter; one refused at once is in `if.NAME.oerrors`, and
 *     the send returned the error.
 * @locking Call it from any thread but the event-loop thread (not from an
 *     upcall or callback), with no other thread inside a KPI call.  It
 *     waits for upcalls already running.
 */
extern void xkpi_shutdown(void);

/*!
 * @abstract Receives one counter from xkpi_stats().
 * @param name The counter's name, dotted: `ip.drop.badsum`,
 *     `if.eth0.ipackets`, `host.rx_full` ...
 * @param value Its value since the library started (or since it was last
 *     started after xkpi_shutdown()).
 * @param ctx The context pointer given to xkpi_stats().
 */
typedef void (*xkpi_stat_fn)(const char *name, uint64_t value, void *ctx);

/*!
 * @function xkpi_stats
 * @abstract Reports every counter of the library, one call each.
 * @discussion Every packet that enters the engine ends delivered, sent,
 *     or counted under a named reason, and these are the counters:
 *     - `ip.in`, `ip6.in`: packets the input path received;
 *     - `ip.drop.REASON`, `ip6.drop.REASON`: malformed packets, REASON
 *       one of `toosmall`, `badvers`, `badhlen`, `badsum`, `badlen`,
 *       `tooshort`, `badexthdr`;
 *     - `ip.delivered`, `ip.noproto`, `ip.notforus`, `ip.hostproto`
 *       (TCP and UDP of both families, which belong to the host),
 *       `ip.outseen`, `ip.badfamily`, and `ip6.delivered`,
 *       `ip6.noproto`, `ip6.notforus`, `ip6.badsum`: where input went
 *       (a packet is delivered when one copy or more was queued);
 *     - `ip.rawfull`, `ip.rawnomem`, `ip6.fullsock`, `ip6.rawnomem`:
 *       copies a matching raw socket could not take (buffer full, no
 *       mbuf); `ip.rawdropped`, `ip6.rawdropped`: packets that matched
 *       raw sockets of which none took its copy, so that every packet
 *       that reached the raw demux is in exactly one of `delivered`,
 *       `noproto` and `rawdropped`;
 *     - `ip.out`, `ip6.out`, `ip.noroute`, `ip6.noroute`, `ip.cantfrag`,
 *       `ip6.cantfrag` (over the MTU with IP_DF set, or not cuttable),
 *       `ip.oerrors`: output; `ip.out.direct`, `ip6.out.direct`: those
 *       of `ip.out` and `ip6.out` that sock_send() copied from the
 *       caller's memory straight into the `linux` backend's TX ring or
 *       the `pcap` backend's frame, without an mbuf;
 *     - `ip.frag.in`, `ip.frag.reassembled`, `ip.frag.dropped`,
 *       `ip.frag.timeout`: fragments received, packets put back together,
 *       fragments dropped (malformed, duplicate, over the limits of 64
 *       packets and 16 fragments each) and fragments whose packet did
 *       not complete in 30 s; `ip.frag.fragmented`, `ip.frag.out`,
 *       `ip.frag.odropped`: packets cut on output, fragments made, and
 *       packets or fragments that could not go (no memory, or an earlier
 *       fragment failed); the same under `ip6.frag.`, plus
 *       `ip6.frag.atomic` (atomic fragments, RFC 6946, taken whole);
 *     - `if.NAME.ipackets`, `if.NAME.opackets`, `if.NAME.oerrors`,
 *       `if.NAME.oqdrops`: per interface, packets received, packets that
 *       left, packets the backend refused, and packets it accepted that
 *       never left (see xkpi_shutdown());
 *     - `be.BACKEND.NAME`: the backend's own counters, packets it refused
 *       or lost before or after the engine (`be.mem.*` are listed in
 *       xkpi_mem.h; the `linux` and `pcap` ones, such as
 *       `be.linux.NAME.rxerrors` and `be.pcap.NAME.hold_timeout`, on the
 *       deviations page, with the event each counts);
 *     - `host.rx_full`, `host.rx_nomem`, `host.accept_fail`,
 *       `host.tx_lost`: host TCP/UDP/local sockets (datagrams dropped on
 *       a full buffer or without memory, failed accepts, bytes unsent at
 *       close);
 *     - `so.upcalls`, `so.events`, `so.rcv_full`: upcalls and event
 *       callbacks made, times a receive buffer filled;
 *     - `mbuf.drops`: failed allocations; `mbuf.limit`: those of them
 *       refused by the `mbuf_limit_bytes` bound.
 *     Names may be added in later versions; code must ignore names it
 *     does not know.
 * @param fn Called once per counter.
 * @param ctx Passed to `fn`.
 * @result 0, or EINVAL when `fn` is NULL.
 * @locking `fn` runs on the caller's thread, after the counters were
 *     copied, with no lock held: it may call any KPI function.
 */
extern errno_t xkpi_stats(xkpi_stat_fn fn, void *ctx);

/*!
 * @abstract One socket, as xkpi_pcblist() reports it.
 */
struct xkpi_pcb {
	int		xp_domain;	/*!< PF_INET, PF_INET6 or PF_LOCAL. */
	int		xp_type;	/*!< SOCK_STREAM, SOCK_DGRAM, SOCK_RAW. */
	int		xp_protocol;	/*!< The protocol (0: any, raw). */
	uint32_t	xp_state;	/*!< XNU's so_state bits (SS_*). */
	struct sockaddr_storage xp_laddr; /*!< Local address (zero when
					     none). */
	struct sockaddr_storage xp_faddr; /*!< Peer address (zero when
					     none). */
	uint32_t	xp_rcv_cc;	/*!< Bytes queued for receiving. */
	uint32_t	xp_rcv_hiwat;	/*!< Receive buffer size. */
	uint32_t	xp_snd_cc;	/*!< Bytes queued for sending. */
	uint32_t	xp_snd_hiwat;	/*!< Send buffer size. */
	int		xp_retaincnt;	/*!< sock_retain() calls outstanding. */
};

/*!
 * @abstract Receives one socket from xkpi_pcblist().
 * @param pcb The socket's description, valid during the call only.
 * @param ctx The context pointer given to xkpi_pcblist().
 */
typedef void (*xkpi_pcb_fn)(const struct xkpi_pcb *pcb, void *ctx);

/*!
 * @function xkpi_pcblist
 * @abstract Reports every socket the library has, one call each.
 * @discussion Sockets being closed are not reported.
 * @param fn Called once per socket.
 * @param ctx Passed to `fn`.
 * @result 0; EINVAL when `fn` is NULL; ENOMEM when the list cannot be
 *     copied.
 * @locking `fn` runs on the caller's thread with no lock held, after the
 *     list was copied.
 */
extern errno_t xkpi_pcblist(xkpi_pcb_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif

#endif /* _XKPI_XKPI_H_ */
