#!/bin/sh
# Raw IPv4 and IPv6 sockets against a real peer (spec sections 4 and 5),
# once per host backend, reported as TAP.  Run from the build directory.
#
# Two network namespaces joined by a veth pair:
#   a (the library):  xka0  10.202.0.1/24, 10.202.0.3/24, fd00:202::1/64
#   b (the peer):     xkb0  10.202.0.2/24, fd00:202::2/64
# Cases, for each backend among RAWNET_BACKENDS (default "linux pcap"):
#   demux matrix            rawnet demux in a counts, per KPI raw socket,
#                           what rawnet send in b sends (plain sockets)
#   emitted packets sniffed rawnet emit in a, rawnet sniff in b
#   tshark clean            the same packets, captured in b: the count,
#                           nothing malformed, every checksum good
#   icmpv6 echo a->b        examples/ping -6 (else rawnet ping6) in a
#   icmpv6 echo b->a        ping(8) -6 in b; the library's ICMPv6 socket
#                           in a (rawnet watch6) sees each request once
# A backend this build lacks is skipped (rawnet probe exits 77); so is
# everything without root, ip(8) or timeout(1), the tshark case without
# tshark and the b->a case without ping(8).  Every wait is for its event,
# bounded by the suite's liveness bound (tests/lib/xk_test.sh); the
# namespaces and processes
# this script made are removed by name and pid on any exit.
# XK_TEST_WRAPPER (valgrind, say) is put in front of the programs that
# use the library; the peer's side runs bare.

builddir=$(pwd)
xk_lib=$(cd "$(dirname "$0")/../lib" && pwd)
. "$xk_lib/xk_test.sh"		# XK_LIVE: the liveness bound, seconds
# shellcheck source=SCRIPTDIR/../lib/xk_tap.sh
. "$xk_lib/xk_tap.sh"		# TAP, jobs, namespaces (netns_*)
RAWNET=${RAWNET:-$builddir/tests/integration/rawnet}
PING=$builddir/examples/ping
BACKENDS=${RAWNET_BACKENDS:-linux pcap}
COUNT=20		# packets of each kind emit sends
PINGS=3
WRAP=${XK_TEST_WRAPPER:-}

A4=10.202.0.1 A4B=10.202.0.3 A6=fd00:202::1
B4=10.202.0.2 B6=fd00:202::2

CASES="demux matrix
emitted packets sniffed
tshark clean
icmpv6 echo a->b
icmpv6 echo b->a"

skip_all() {	# reason, for every case of every backend
	for be in $BACKENDS; do
		printf '%s\n' "$CASES" | while IFS= read -r c; do
			echo "$be: $c"
		done
	done | tap_skip_each "$1"
	exit 0
}

cleanup_on_exit
need_root_netns
[ -x "$RAWNET" ] || skip_all "$RAWNET not built"
have_tshark=0 have_ping=0
command -v tshark >/dev/null 2>&1 && have_tshark=1
command -v ping >/dev/null 2>&1 && have_ping=1

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rawnet.XXXXXX") || exit 1

# netns_up BACKEND: the two namespaces and the veth pair.
netns_up() {
	netns_pair xkit-a-$$-$1 xkit-b-$$-$1 || return 1
	ip -n "$nsa" addr add $A4/24 dev xka0 || return 1
	ip -n "$nsa" addr add $A4B/24 dev xka0 || return 1
	ip -n "$nsa" -6 addr add $A6/64 dev xka0 nodad || return 1
	ip -n "$nsb" addr add $B4/24 dev xkb0 || return 1
	ip -n "$nsb" -6 addr add $B6/64 dev xkb0 nodad || return 1
	netns_pair_up $((XK_LIVE * 10))
}

case_demux() {
	bg demux "$nsa" env XKPI_BACKEND="$be" XKPI_IFACES=xka0 \
	    timeout $((XK_LIVE * 3)) $WRAP "$RAWNET" demux $A4 $A4B $A6 $B4 \
	    $B6 $((XK_LIVE * 2))
	dpid=$bgpid
	if ! wait_for "$tmp/demux.out" '^ready' "$dpid" $((XK_LIVE * 10)); then
		kill "$dpid" 2>/dev/null
		reap "$dpid"
		diag "demux did not get ready (status $rc)"
		diag_file "demux stdout" "$tmp/demux.out"
		diag_file "demux stderr" "$tmp/demux.err"
		tap_fail "$be: demux matrix"
		return
	fi
	pace=5
	[ -z "$WRAP" ] || pace=100
	ip netns exec "$nsb" env XK_RAWNET_PACE_MS=$pace \
	    timeout $((XK_LIVE * 2)) "$RAWNET" send $A4 $A4B $A6 $B4 $B6 \
	    >"$tmp/send.out" 2>"$tmp/send.err"
	src=$?
	reap "$dpid"
	diag_file "send" "$tmp/send.out"
	diag_file "send stderr" "$tmp/send.err"
	diag_file "demux" "$tmp/demux.out"
	diag_file "demux stderr" "$tmp/demux.err"
	[ "$src" -eq 0 ] || diag "send exited with $src"
	[ "$rc" -eq 0 ] || diag "demux exited with $rc"
	[ "$src" -eq 0 ] && [ "$rc" -eq 0 ]
	tap_result $? "$be: demux matrix"
}

# tshark_count FILE FILTER: packets of FILE that match FILTER.
tshark_count() {
	tshark -n -r "$1" -o ip.check_checksum:TRUE -Y "$2" \
	    2>>"$tmp/tshark.err" | wc -l | tr -d ' '
}

# Malformed packets, or a checksum tshark finds wrong (ICMP and ICMPv6
# checksums are always checked; the IPv4 header's needs the preference).
BAD='_ws.malformed || ip.checksum.status == "Bad" ||
    icmp.checksum.status == "Bad" || icmpv6.checksum.status == "Bad"'


case_emit() {
	cap=$tmp/emit.pcapng
	total=$((COUNT * 4))
	filter="(ip src $A4 and ip dst $B4 and (ip proto 253 or"
	filter="$filter (icmp and icmp[0] == 8))) or (ip6 src $A6 and"
	filter="$filter ip6 dst $B6 and (ip6 proto 253 or"
	filter="$filter (icmp6 and ip6[40] == 128)))"

	bg sniff "$nsb" timeout $((XK_LIVE * 3)) "$RAWNET" sniff $A4 $B4 \
	    $A6 $B6 $COUNT $((XK_LIVE * 2))
	spid=$bgpid
	tpid=
	if [ "$have_tshark" -eq 1 ]; then
		bg tshark "$nsb" timeout $((XK_LIVE * 3)) tshark -n -i xkb0 \
		    -f "$filter" -c "$total" -a duration:$((XK_LIVE * 2)) \
		    -w "$cap"
		tpid=$bgpid
	fi
	ready=0
	if wait_for "$tmp/sniff.out" '^ready' "$spid" $((XK_LIVE * 10)); then
		ready=1
		if [ -n "$tpid" ] && ! wait_capture "$tmp/tshark.err" \
		    "$tpid" $((XK_LIVE * 10)); then
			diag "tshark did not start capturing"
			ready=0
		fi
	else
		diag "sniff did not get ready"
	fi
	erc=1
	if [ "$ready" -eq 1 ]; then
		ip netns exec "$nsa" env XKPI_BACKEND="$be" XKPI_IFACES=xka0 \
		    timeout $((XK_LIVE * 2)) $WRAP "$RAWNET" emit $A4 $B4 \
		    $A6 $B6 $COUNT \
		    >"$tmp/emit.out" 2>"$tmp/emit.err"
		erc=$?
	else
		kill "$spid" $tpid 2>/dev/null
	fi
	reap "$spid"
	snrc=$rc
	diag_file "emit" "$tmp/emit.out"
	diag_file "emit stderr" "$tmp/emit.err"
	diag_file "sniff" "$tmp/sniff.out"
	diag_file "sniff stderr" "$tmp/sniff.err"
	[ "$erc" -eq 0 ] || diag "emit exited with $erc"
	[ "$snrc" -eq 0 ] || diag "sniff exited with $snrc"
	[ "$erc" -eq 0 ] && [ "$snrc" -eq 0 ]
	tap_result $? "$be: emitted packets sniffed"

	if [ -z "$tpid" ]; then
		tap_skip "$be: tshark clean" "tshark missing"
		return
	fi
	reap "$tpid"
	trc=$rc
	if [ "$trc" -ne 0 ] || [ ! -s "$cap" ]; then
		diag "tshark exited with $trc"
		diag_file "tshark stderr" "$tmp/tshark.err"
		tap_fail "$be: tshark clean"
		return
	fi
	got=$(tshark_count "$cap" "frame")
	bad=$(tshark_count "$cap" "$BAD")
	ip_good=$(tshark_count "$cap" 'ip.checksum.status == "Good"')
	icmp_good=$(tshark_count "$cap" 'icmp.checksum.status == "Good"')
	icmp6_good=$(tshark_count "$cap" 'icmpv6.checksum.status == "Good"')
	diag "tshark: $got packets (want $total), $bad malformed or with a" \
	    "bad checksum (want 0); good checksums: ip $ip_good (want" \
	    "$((COUNT * 2))), icmp $icmp_good (want $COUNT), icmpv6" \
	    "$icmp6_good (want $COUNT)"
	if [ "$bad" != 0 ]; then
		tshark -n -r "$cap" -o ip.check_checksum:TRUE -Y "$BAD" \
		    2>/dev/null | head -n 10 | sed 's/^/#   /'
	fi
	[ "$got" = "$total" ] && [ "$bad" = 0 ] &&
	    [ "$ip_good" = $((COUNT * 2)) ] && [ "$icmp_good" = "$COUNT" ] &&
	    [ "$icmp6_good" = "$COUNT" ]
	rc=$?
	[ "$rc" -eq 0 ] || diag_file "tshark stderr" "$tmp/tshark.err"
	tap_result $rc "$be: tshark clean"
}

case_ping_ab() {
	if [ -x "$PING" ]; then
		ip netns exec "$nsa" env XKPI_BACKEND="$be" XKPI_IFACES=xka0 \
		    timeout $((XK_LIVE * 2)) $WRAP "$PING" -6 -c $PINGS -i 200 \
		    -W $((XK_LIVE * 1000)) $B6 \
		    >"$tmp/ping.out" 2>&1
		rc=$?
	else
		diag "examples/ping not built: rawnet ping6 instead"
		ip netns exec "$nsa" env XKPI_BACKEND="$be" XKPI_IFACES=xka0 \
		    timeout $((XK_LIVE * 2)) $WRAP "$RAWNET" ping6 $A6 $B6 \
		    $PINGS $XK_LIVE \
		    >"$tmp/ping.out" 2>&1
		rc=$?
	fi
	diag_file "ping a->b" "$tmp/ping.out"
	[ "$rc" -eq 0 ] || diag "exited with $rc"
	tap_result $rc "$be: icmpv6 echo a->b"
}

case_ping_ba() {
	if [ "$have_ping" -eq 0 ]; then
		tap_skip "$be: icmpv6 echo b->a" "ping(8) missing"
		return
	fi
	bg watch6 "$nsa" env XKPI_BACKEND="$be" XKPI_IFACES=xka0 \
	    timeout $((XK_LIVE * 3)) $WRAP "$RAWNET" watch6 $A6 $B6 $PINGS \
	    $((XK_LIVE * 2))
	wpid=$bgpid
	prc=1
	if wait_for "$tmp/watch6.out" '^ready' "$wpid" $((XK_LIVE * 10)); then
		ip netns exec "$nsb" timeout $((XK_LIVE * 2)) ping -6 -n \
		    -c $PINGS -i 0.2 -W $XK_LIVE $A6 >"$tmp/ping6.out" 2>&1
		prc=$?
	else
		diag "watch6 did not get ready"
		kill "$wpid" 2>/dev/null
	fi
	reap "$wpid"
	diag_file "ping(8) b->a" "$tmp/ping6.out"
	diag_file "watch6 (the library's ICMPv6 socket)" "$tmp/watch6.out"
	diag_file "watch6 stderr" "$tmp/watch6.err"
	[ "$prc" -eq 0 ] || diag "ping exited with $prc"
	[ "$rc" -eq 0 ] || diag "watch6 exited with $rc"
	[ "$prc" -eq 0 ] && [ "$rc" -eq 0 ]
	tap_result $? "$be: icmpv6 echo b->a"
}

for be in $BACKENDS; do
	rm -f "$tmp"/*
	if ! netns_up "$be"; then
		diag "$be: could not set up the namespaces"
		netns_down
		printf '%s\n' "$CASES" | while IFS= read -r c; do
			echo "$be: $c"
		done >"$tmp/cases"
		while IFS= read -r c; do
			tap_fail "$c"
		done <"$tmp/cases"
		continue
	fi
	ip netns exec "$nsa" env XKPI_BACKEND="$be" XKPI_IFACES=xka0 \
	    timeout $((XK_LIVE * 2)) $WRAP "$RAWNET" probe >"$tmp/probe.out" \
	    2>&1
	prc=$?
	if [ "$prc" -eq 77 ]; then
		netns_down
		printf '%s\n' "$CASES" | while IFS= read -r c; do
			echo "$be: $c"
		done >"$tmp/cases"
		while IFS= read -r c; do
			tap_skip "$c" "backend $be not built"
		done <"$tmp/cases"
		continue
	fi
	diag "backend $be:"
	diag_file "probe" "$tmp/probe.out"
	case_demux
	case_emit
	case_ping_ab
	case_ping_ba
	netns_down
done
echo "1..$n"
exit $failed
