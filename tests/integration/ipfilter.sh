#!/bin/sh
# IP filters (<netinet/kpi_ipfilter.h>) on the host's real traffic, over
# the nfqueue backend: examples/ipfilter_log, an IP filter kext, between
# two namespaces, reported as TAP.  Run from the build directory, as root.
#
# Two namespaces joined by a veth pair,
#   a (the filter): xka0  10.204.0.1/24, fd00:204::1/64; NFQUEUE 0 on
#                   INPUT and OUTPUT (iptables, and ip6tables when it
#                   works), the library's own packets (mark 0x786b)
#                   excepted, --queue-bypass
#   b (the peer):   xkb0  10.204.0.2/24, fd00:204::2/64
# with `ipfilter_log -b 7000' in a (XKPI_BACKEND=nfqueue, every interface)
# and tests/integration/netpeer (plain sockets) at both ends:
#   filter ready                  ipfilter_log attached its filters
#   blocked port: connect fails   a listener on a's port 7000; b's TCP
#                                 connect to it fails (times out: the
#                                 SYNs are dropped, no reset comes) and
#                                 the listener never sees a peer
#   ipf.in.dropped grows          read from the running process (xkpi-stat
#                                 on XKPI_STATS_SOCKET) before and after
#   ping passes                   b pings a (the system's ping)
#   ping6 passes                  the same over IPv6 (SKIP without
#                                 ip6tables)
#   tcp transfer passes           1 MiB of random data from b to a's port
#                                 7001: the same sha256 at both ends
#   stop detaches the filters     SIGTERM: ipf_remove, both detach
#                                 callbacks, exit 0
#   flow table names the flows    the table printed at exit has the
#                                 blocked flow (in xka0 tcp ... > :7000,
#                                 blocked > 0), the transfer both ways,
#                                 the echo requests in and the replies out
#                                 (and ICMPv6 likewise), and its counters
#                                 have ipf.in.dropped > 0
#   kill -9: traffic flows again  ipfilter_log started again and killed
#                                 with SIGKILL: b pings a, and a TCP
#                                 transfer to port 7000, blocked before,
#                                 now arrives intact (--queue-bypass)
# Everything is skipped without root, ip(8), timeout(1) or iptables (or
# its NFQUEUE target), or when the nfqueue backend is not built (the
# library answers ENOTSUP).  Every wait is for its event, bounded by the
# liveness bound; the namespaces (and with them the rules) and the
# processes this script made are removed by name and pid on any exit.
# XK_TEST_WRAPPER (valgrind, say) is put in front of ipfilter_log.
#
# SPDX-License-Identifier: BSD-2-Clause

builddir=$(pwd)
xk_lib=$(cd "$(dirname "$0")/../lib" && pwd)
. "$xk_lib/xk_test.sh"		# XK_LIVE: the liveness bound, seconds
# shellcheck source=SCRIPTDIR/../lib/xk_tap.sh
. "$xk_lib/xk_tap.sh"		# TAP, jobs, namespaces (netns_*)
IPFLOG=$builddir/examples/ipfilter_log
PEER=$builddir/tests/integration/netpeer
XKSTAT=$builddir/tools/xkpi-stat
WRAP=${XK_TEST_WRAPPER:-}
BLOCK=7000		# the port ipfilter_log blocks
OPEN=7001		# a port it lets through
BYTES=1048576		# the transfer's size
CONNECT_S=3		# how long the blocked connect is given
MARK=0x786b		# what the library marks its own packets with
A4=10.204.0.1 B4=10.204.0.2
A6=fd00:204::1 B6=fd00:204::2

CASES="filter ready
blocked port: connect fails
ipf.in.dropped grows
ping passes
ping6 passes
tcp transfer passes
stop detaches the filters
flow table names the flows
kill -9: traffic flows again"

skip_all() {
	printf '%s\n' "$CASES" | tap_skip_each "$1"
	exit 0
}

cleanup_on_exit
need_root_netns
command -v iptables >/dev/null 2>&1 || skip_all "iptables missing"
command -v ping >/dev/null 2>&1 || skip_all "ping missing"
command -v sha256sum >/dev/null 2>&1 || skip_all "sha256sum missing"
for p in "$IPFLOG" "$PEER" "$XKSTAT"; do
	[ -x "$p" ] || skip_all "$p not built"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ipfilter.XXXXXX") || exit 1

# queue CMD NS CHAIN: NFQUEUE 0 on CHAIN of NS's filter table (CMD is
# iptables or ip6tables), for the packets not marked by the library.
queue() {
	ip netns exec "$2" "$1" -A "$3" -m mark ! --mark $MARK -j NFQUEUE \
	    --queue-num 0 --queue-bypass
}

# stop PID: SIGTERM, then SIGKILL if it has not ended within the bound;
# reaped, status in $rc.
stop() {
	kill "$1" 2>/dev/null
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt $((XK_LIVE * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$1" 2>/dev/null
	reap "$1"
}

# counter NAME: counter NAME of the running ipfilter_log, or nothing.
counter() {
	ip netns exec "$nsa" "$XKSTAT" -a -s "$tmp/stats.sock" 2>/dev/null |
	    awk -v n="$1" '$1 == n { print $2 }'
}

# ipflog_start: ipfilter_log in a on nfqueue, port $BLOCK blocked, its
# pid in $fpid; 1 when it did not get ready.  Bounded by -t.
ipflog_start() {
	rm -f "$tmp/stats.sock"
	# shellcheck disable=SC2086
	bg ipflog "$nsa" env XKPI_BACKEND=nfqueue \
	    XKPI_STATS_SOCKET="$tmp/stats.sock" $WRAP "$IPFLOG" -b $BLOCK \
	    -t $((XK_LIVE * 6))
	fpid=$bgpid
	wait_for "$tmp/ipflog.out" '^ipfilter_log: ready' "$fpid" \
	    $((XK_LIVE * 10)) && return 0
	stop "$fpid"
	return 1
}

# serve PORT NAME: netpeer tcp-serve on PORT in a, writing to $tmp/NAME;
# its pid in $spid, 1 when it did not get ready.
serve() {
	bg "$2" "$nsa" "$PEER" tcp-serve "$1" "$tmp/$2" $((XK_LIVE * 3))
	spid=$bgpid
	wait_for "$tmp/$2.out" '^ready' "$spid" $((XK_LIVE * 10)) &&
	    return 0
	diag "netpeer tcp-serve $1 did not get ready"
	stop "$spid"
	return 1
}

# transfer PORT NAME: $tmp/data from b to a's PORT, served into $tmp/NAME;
# 0 when both ends ended well with the same sha256.
transfer() {
	serve "$1" "$2" || return 1
	ip netns exec "$nsb" timeout $((XK_LIVE * 3)) "$PEER" tcp-send $A4 \
	    "$1" "$tmp/data" $((XK_LIVE * 2)) >"$tmp/send.out" 2>&1
	src=$?
	reap "$spid"
	diag_file "netpeer tcp-send" "$tmp/send.out"
	diag_file "netpeer tcp-serve" "$tmp/$2.out"
	diag_file "netpeer tcp-serve errors" "$tmp/$2.err"
	want=$(sha256sum <"$tmp/data" | cut -d' ' -f1)
	got=$(sha256sum <"$tmp/$2" 2>/dev/null | cut -d' ' -f1)
	diag "sha256 sent $want" "sha256 received ${got:-none}"
	[ "$src" -eq 0 ] && [ "$rc" -eq 0 ] && [ "$want" = "$got" ]
}

# pings FAMILY ADDR: three echoes from b to ADDR, every one answered.
pings() {
	ip netns exec "$nsb" timeout $((XK_LIVE * 2)) ping "$1" -n -c 3 \
	    -i 0.2 -W "$XK_LIVE" "$2" >"$tmp/ping.out" 2>&1
	prc=$?
	diag_file "ping $1 $2" "$tmp/ping.out"
	[ "$prc" -eq 0 ] &&
	    grep -q '3 packets transmitted, 3 received' "$tmp/ping.out"
}

# flow PATTERN: the flow table printed at exit has a line matching the
# extended regular expression PATTERN.
flow() {
	sed -n '/^ipfilter_log: [0-9]* flows*/,/^ipfilter_log: counters/p' \
	    "$tmp/ipflog.out" | grep -Eq -- "$1"
}

# The namespaces, the addresses and the rules.
netns_pair "xkipf-a-$$" "xkipf-b-$$" || skip_all "no network namespaces"
ip -n "$nsa" addr add $A4/24 dev xka0 || skip_all "no veth pair"
ip -n "$nsb" addr add $B4/24 dev xkb0 || skip_all "no veth pair"
have6=1
ip -n "$nsa" addr add $A6/64 dev xka0 nodad 2>/dev/null &&
    ip -n "$nsb" addr add $B6/64 dev xkb0 nodad 2>/dev/null || have6=0
netns_pair_up $((XK_LIVE * 10)) || skip_all "the veth pair has no carrier"
for chain in INPUT OUTPUT; do
	queue iptables "$nsa" $chain 2>"$tmp/ipt.err" ||
	    skip_all "no NFQUEUE target: $(head -n 1 "$tmp/ipt.err")"
done
if [ $have6 -eq 1 ] && command -v ip6tables >/dev/null 2>&1; then
	for chain in INPUT OUTPUT; do
		queue ip6tables "$nsa" $chain 2>/dev/null || have6=0
	done
else
	have6=0
fi
head -c $BYTES /dev/urandom >"$tmp/data" || exit 1

# filter ready
if ! ipflog_start; then
	diag_file "ipfilter_log" "$tmp/ipflog.out"
	diag_file "ipfilter_log errors" "$tmp/ipflog.err"
	if grep -q 'xkpi_init: Operation not supported' "$tmp/ipflog.err"
	then
		skip_all "nfqueue backend not built"
	fi
	printf '%s\n' "$CASES" >"$tmp/cases"
	while IFS= read -r c; do
		tap_fail "$c (ipfilter_log did not start)"
	done <"$tmp/cases"
	echo "1..$n"
	exit 1
fi
tap_ok "filter ready"

# blocked port: a listener there, and a connect that cannot reach it.
dropped0=$(counter ipf.in.dropped)
diag "ipf.in.dropped before: ${dropped0:-none}"
ok=1
if serve $BLOCK blocked; then
	ip netns exec "$nsb" timeout $((XK_LIVE * 2)) "$PEER" tcp-send $A4 \
	    $BLOCK "$tmp/data" $CONNECT_S >"$tmp/blocked_send.out" 2>&1
	brc=$?
	diag_file "netpeer tcp-send to the blocked port" \
	    "$tmp/blocked_send.out"
	# The connect failed, by timing out: not refused, nothing sent.
	if [ $brc -ne 0 ] &&
	    grep -q '^netpeer: connect: ' "$tmp/blocked_send.out" &&
	    ! grep -q 'refused' "$tmp/blocked_send.out" &&
	    ! grep -q '^sent ' "$tmp/blocked_send.out"; then
		ok=0
	fi
	# The listener never had a peer.
	grep -q '^peer ' "$tmp/blocked.out" && ok=1
	stop "$spid"
fi
tap_result $ok "blocked port: connect fails"

dropped1=$(counter ipf.in.dropped)
diag "ipf.in.dropped after: ${dropped1:-none}"
if [ -n "$dropped0" ] && [ -n "$dropped1" ] &&
    [ "$dropped1" -gt "$dropped0" ]; then
	tap_ok "ipf.in.dropped grows"
else
	tap_fail "ipf.in.dropped grows"
fi

pings -4 $A4
tap_result $? "ping passes"

if [ $have6 -eq 1 ]; then
	pings -6 $A6
	tap_result $? "ping6 passes"
else
	tap_skip "ping6 passes" "no IPv6 or ip6tables in the namespaces"
fi

transfer $OPEN open
tap_result $? "tcp transfer passes"

# stop: SIGTERM; the stop path removes the filters and waits for them.
stop "$fpid"
diag_file "ipfilter_log" "$tmp/ipflog.out"
diag_file "ipfilter_log errors" "$tmp/ipflog.err"
ok=1
if [ "$rc" -eq 0 ] && grep -q '^ipfilter_log: Terminated' \
    "$tmp/ipflog.out" && grep -q \
    '^ipfilter_log: filters removed and detached' "$tmp/ipflog.out"; then
	ok=0
fi
tap_result $ok "stop detaches the filters"

# The flow table: dir, if, proto, source, destination, packets, bytes,
# blocked.
a4=$(printf '%s' $A4 | sed 's/\./\\./g')
b4=$(printf '%s' $B4 | sed 's/\./\\./g')
num='[0-9]+'
ok=0
check_flow() {
	if ! flow "$2"; then
		diag "no flow in the table: $1"
		ok=1
	fi
}
check_flow "the blocked SYNs" \
    "^  in +xka0 +tcp +$b4:$num +$a4:$BLOCK +$num +$num +[1-9][0-9]*\$"
check_flow "the transfer in" \
    "^  in +xka0 +tcp +$b4:$num +$a4:$OPEN +[1-9][0-9]* +[1-9][0-9]{6,} +0\$"
check_flow "the transfer's acknowledgements out" \
    "^  out +- +tcp +$a4:$OPEN +$b4:$num +[1-9][0-9]* +$num +0\$"
check_flow "the echo requests in" \
    "^  in +xka0 +icmp/8 +$b4 +$a4 +([3-9]|[1-9][0-9]+) "
check_flow "the echo replies out" \
    "^  out +- +icmp/0 +$a4 +$b4 +([3-9]|[1-9][0-9]+) "
if [ $have6 -eq 1 ]; then
	check_flow "the IPv6 echo requests in" \
	    "^  in +xka0 +icmp6/128 +$B6 +$A6 +([3-9]|[1-9][0-9]+) "
	check_flow "the IPv6 echo replies out" \
	    "^  out +- +icmp6/129 +$A6 +$B6 +([3-9]|[1-9][0-9]+) "
fi
sed -n '/^ipfilter_log: counters/,$p' "$tmp/ipflog.out" >"$tmp/counters"
if ! awk '$1 == "ipf.in.dropped" && $2 > 0 { f = 1 } END { exit !f }' \
    "$tmp/counters"; then
	diag "ipf.in.dropped is not > 0 in the counters printed at exit"
	ok=1
fi
tap_result $ok "flow table names the flows"

# kill -9: the queue is gone with the process; --queue-bypass lets
# everything pass, the formerly blocked port too.
ok=1
if ipflog_start; then
	kill -KILL "$fpid" 2>/dev/null
	reap "$fpid"
	diag "ipfilter_log killed (status $rc)"
	if pings -4 $A4 && transfer $BLOCK after_kill; then
		ok=0
	fi
else
	diag_file "ipfilter_log" "$tmp/ipflog.out"
	diag_file "ipfilter_log errors" "$tmp/ipflog.err"
fi
tap_result $ok "kill -9: traffic flows again"

echo "1..$n"
exit $failed
