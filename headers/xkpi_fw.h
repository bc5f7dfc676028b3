/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header xkpi_fw.h
 * @abstract The rule table: an ipfw(8)-style list of rules that decides,
 *     for every IPv4 and IPv6 packet the engine sees, whether it passes,
 *     is dropped, or goes to a divert socket.
 * @discussion The table holds numbered rules, looked at in increasing
 *     number (rules with the same number in the order they were added),
 *     then the default rule, number 65535, which matches everything and
 *     allows (or, with `XKPI_FW_DEFAULT=deny`, denies).  The first rule a
 *     packet matches whose action is final decides.  The syntax is the
 *     `add` command of FreeBSD's ipfw(8), a subset chosen so that the
 *     classic natd and divert setups paste in unchanged: a line such as
 *     `ipfw add 100 divert natd ip from any to any via eth0` is accepted
 *     once the leading `ipfw` is removed.
 *
 *     <b>Syntax.</b> Words are separated by white space (spaces, tabs):
 *
 *     `[add] [NUM] ACTION PROTO from SRC [PORTS] to DST [PORTS] [OPTIONS]`
 *
 *     - `NUM`: the rule number, 1 to 65534.  Left out: the highest number
 *       in the table plus 100 (100 in an empty table); EINVAL when that
 *       is above 65534.  Several rules may share a number.
 *     - `ACTION`: `allow` (also `accept`, `pass`, `permit`); `deny` (also
 *       `drop`); `divert PORT` and `tee PORT` (PORT 1 to 65535, or `natd`
 *       for 8668); `count` (counts the packet and goes on with the next
 *       rule); `skipto NUM` (goes on with the first rule numbered NUM or
 *       more; NUM must be above the rule's own number, and may be 65535,
 *       the default rule).
 *     - `PROTO`: `ip` or `all` (any packet), `ip4` or `ipv4` (any IPv4
 *       packet), `ip6` or `ipv6` (any IPv6 packet), `icmp` (protocol 1),
 *       `tcp` (6), `udp` (17), `icmp6` or `ipv6-icmp` (protocol 58 in an
 *       IPv6 packet), or a protocol number from 0 to 255 (0 is `ip`).  For
 *       IPv6 the protocol is that of the upper-layer header, found by
 *       walking the hop-by-hop, routing, fragment, destination options and
 *       AH extension headers.
 *     - `SRC`, `DST`: `any`; `me` (any IPv4 or IPv6 address of an attached
 *       interface, looked up when the packet is matched), `me4` and `me6`
 *       (only those of one family); an IPv4 or IPv6 address, `ADDR`, or a
 *       prefix, `ADDR/LEN` (bits past LEN are ignored).  `not` before any
 *       of them but `any` inverts the test, as in ipfw: `not 10.0.0.0/8`
 *       matches every packet whose address is not in that IPv4 prefix,
 *       IPv6 packets included.  An address restricts the rule to its
 *       family; addresses of both families, or an IPv4 address with `ip6`
 *       or `icmp6` (an IPv6 one with `ip4`), are EINVAL.
 *     - `PORTS`, only after `tcp` or `udp` (protocol 6 or 17; EINVAL
 *       otherwise): a comma-separated list of at most 32 ports (`N`) and
 *       ranges (`N-M`, N at most M), 0 to 65535, with no blanks, for
 *       example `20-21,80,8000-8080`.  A packet whose ports cannot be read
 *       (an IPv4 or IPv6 fragment other than the first, a header cut
 *       short) matches no rule with ports.  `src-port PORTS` and
 *       `dst-port PORTS` among the options say the same.
 *     - `OPTIONS`, after DST and its ports, in any order, each at most
 *       once: `in` (input only) or `out` (output only); and one of
 *       `via IF` (the interface, either direction), `recv IF` (input
 *       received on IF) or `xmit IF` (output sent on IF).  IF is an
 *       interface name; it need not exist yet.  A packet whose interface
 *       is unknown matches no rule with an interface.  `in xmit IF` and
 *       `out recv IF` are EINVAL.
 *
 *     <b>Not supported</b> (EINVAL, naming the word): every other ipfw
 *     action (`reject`, `unreach`, `fwd`, `nat`, `pipe`, `queue`,
 *     `check-state`, `setfib` ...) and option (`log`, `keep-state`,
 *     `limit`, `established`, `setup`, `frag`, `icmptypes`, `tcpflags`,
 *     `ipoptions`, `uid`, `mac`, `//` comments ...); `set N`, `prob P`;
 *     host names, service names (but `natd`), `ADDR:MASK`, address sets
 *     `{...}` and lists, tables; interface wildcards (`eth*`) and
 *     addresses after `via`, `recv` or `xmit`; `recv` and `xmit` in the
 *     same rule; `me` with its IPv4-only meaning (use `me4`).  Dynamic
 *     rules and sets do not exist.
 *
 *     <b>Matching.</b> A packet is counted (packets, and bytes of the
 *     whole IP packet) on every rule it matches: `count` and `skipto`
 *     rules, and the rule that decides.  The default rule counts the
 *     packets no rule decided.  A `divert` rule hands an IPv4 packet to
 *     the divert socket bound to PORT (see <netinet/ip_divert.h>) and it
 *     leaves the path; a `tee` rule hands that socket a copy and the
 *     packet goes on with the rules numbered above it.  A packet written
 *     back on a divert socket with the address it was read with goes on
 *     with the rules numbered above the one that diverted it.  Divert
 *     sockets are IPv4 only: an IPv6 packet that matches a `divert` or
 *     `tee` rule is counted there and goes on with the rules numbered
 *     above it.  The table runs at the engine's IPv4 and IPv6 input
 *     (after reassembly) and output, on the backends that intercept
 *     packets (`mem` and `nfqueue`; `linux` and `pcap` only see copies,
 *     and the table does not run there).  Lookup time does not grow with
 *     the number of rules ahead of the matching one: rules are grouped
 *     by the shape of what they match (which fields, prefix lengths) and
 *     found by hashing; only rules with `not`, `me`, port ranges or port
 *     lists are looked at one by one.
 *
 *     <b>Environment</b>, read by xkpi_init() (and by the first KPI call
 *     of a program that never calls it):
 *     - `XKPI_FW`: rules separated by `;` or newlines, added in order
 *       after any rule added before the library started, as
 *       xkpi_fw_add() adds them (empty rules are skipped).  One bad rule
 *       and none of them is added, the error is logged and xkpi_init()
 *       fails with EINVAL.
 *     - `XKPI_FW_DEFAULT`: `allow` (the default, also when unset or
 *       empty) or `deny`: what the default rule does.  Anything else
 *       fails xkpi_init() with EINVAL.
 *     xkpi_shutdown() empties the table, zeroes the default rule's
 *     counters and puts its action back to `allow`; so does an
 *     xkpi_init() that fails after reading these two.
 *
 *     <b>Errors.</b> A rule that is refused changes nothing, and one
 *     line goes to the log (xkpi_set_log_hook(), level error) naming the
 *     rule and the offending word.
 *
 *     These calls work whether or not the library has started (they do
 *     not start it), from any thread, the event-loop thread included.
 */
#ifndef _XKPI_XKPI_FW_H_
#define _XKPI_XKPI_FW_H_

#include <stdint.h>

#include <sys/kernel_types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*!
 * @function xkpi_fw_add
 * @abstract Adds one rule to the table.
 * @discussion The syntax is described above; a leading `add` is allowed
 *     and ignored.  The rule goes after every rule with a lower or the
 *     same number.  Its counters start at 0.
 * @param rule The rule, NUL-terminated; not kept.
 * @result 0; EINVAL for a NULL rule, a syntax error, a number of 0 or
 *     above 65534 (or no number left for an automatic one), a `skipto`
 *     target not above the rule's number, or ports on a protocol other
 *     than TCP and UDP (the table is then unchanged and one line is
 *     logged); ENOMEM when memory runs out.
 * @locking Takes the library's core lock.
 */
extern errno_t xkpi_fw_add(const char *rule);

/*!
 * @function xkpi_fw_delete
 * @abstract Deletes every rule with a number.
 * @param num The rule number.
 * @result 0; ENOENT when no rule has that number; EINVAL for 0 and for
 *     65535 and above (the default rule cannot be deleted).
 * @locking Takes the library's core lock.
 */
extern errno_t xkpi_fw_delete(unsigned int num);

/*!
 * @function xkpi_fw_flush
 * @abstract Deletes every rule.
 * @discussion The default rule stays, with its action and its counters.
 * @result 0.
 * @locking Takes the library's core lock.
 */
extern errno_t xkpi_fw_flush(void);

/*!
 * @abstract Receives one rule from xkpi_fw_list().
 * @param num The rule number; 65535 for the default rule.
 * @param text The rule without its number, in a normalised form, as
 *     `ipfw show` prints it: the first word of each synonym (`allow`,
 *     `deny`, `ip`, `ipv6-icmp`), `tcp`, `udp` and `icmp` for protocols 6,
 *     17 and 1, prefixes without their host bits and without a full
 *     length, ports in the order given, then `in` or `out`, then the
 *     interface clause; for example
 *     `divert 8668 ip from any to any in via eth0`.  The default rule is
 *     `allow ip from any to any` or `deny ip from any to any`.  Valid
 *     during the call only.
 * @param packets Packets the rule matched.
 * @param bytes Bytes of those packets (whole IP packets).
 * @param ctx The context pointer given to xkpi_fw_list().
 */
typedef void (*xkpi_fw_list_fn)(unsigned int num, const char *text,
    uint64_t packets, uint64_t bytes, void *ctx);

/*!
 * @function xkpi_fw_list
 * @abstract Reports every rule with its counters, in the order rules are
 *     looked at, then the default rule.
 * @param fn Called once per rule, the default rule last.
 * @param ctx Passed to `fn`.
 * @result 0; EINVAL when `fn` is NULL; ENOMEM when the table cannot be
 *     copied.
 * @locking `fn` runs on the caller's thread with no lock held, after the
 *     table was copied: it may call any function, xkpi_fw_* included.
 */
extern errno_t xkpi_fw_list(xkpi_fw_list_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif

#endif /* _XKPI_XKPI_FW_H_ */
