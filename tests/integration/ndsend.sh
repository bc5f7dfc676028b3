#!/bin/sh
# Neighbor Discovery sent through the library's raw ICMPv6 sockets on two
# links at once, once per host backend, reported as TAP.  Run from the
# build directory.
#
# Three network namespaces, two veth pairs:
#   h (the library):  xkh0 fe80::a1/64, fd00:a::1/64   (link a)
#                     xkh1 fe80::b1/64, fd00:b::1/64   (link b)
#   a (peer):         xka0 fe80::2/64                   (link a)
#   b (peer, router): xkb0 fe80::2/64                   (link b)
# No automatic link-local addresses and no DAD: every address is the
# one above and usable at once.  The peers share their link-local
# address, and h has a global address on each link, so only the scope
# id (or the interface option) can pick the link, and a source chosen
# without regard to scope shows.
# Cases, for each backend among NDSEND_BACKENDS (default "linux pcap"):
#   packets on their links  ndsend send in h: RS, NS and RA to multicast
#                           and to fe80::2 on each link, the interface
#                           chosen by scope id, IPV6_PKTINFO or
#                           IPV6_MULTICAST_IF/sticky IPV6_PKTINFO in
#                           turn, each with its own traffic class; tshark
#                           in a and in b (every ICMPv6 packet the peer
#                           did not send) must show each packet once, on
#                           its link only, from h's link-local address of
#                           that link, hop limit 255, with a good checksum,
#                           h's link-layer address of that link in the
#                           option, and the right target or prefix
#   rdisc6 on link a/b      rdisc6 in a (in b), waiting while ndsend runs,
#                           prints the prefix of the program's RA on its
#                           link and not the other link's
#   radvd answers the RS    radvd in b (its configuration written here,
#                           prefix fd00:bb::/64); ndsend rs in h sends an
#                           RS on link b and receives radvd's unicast
#                           answer: from fe80::2, hop limit 255, that
#                           prefix, sin6_scope_id and the IPV6_PKTINFO
#                           index both link b's index in h
# A backend this build lacks is skipped (ndsend probe exits 77); so is
# everything without root, ip(8) or timeout(1), and each case without
# the tool it needs (tshark, rdisc6, radvd).  Every wait is for its
# event, bounded by the suite's liveness bound; namespaces and processes
# this script made are removed by name and pid on any exit.
# XK_TEST_WRAPPER (valgrind, say) is put in front of ndsend.

builddir=$(pwd)
xk_lib=$(cd "$(dirname "$0")/../lib" && pwd)
. "$xk_lib/xk_test.sh"		# XK_LIVE: the liveness bound, seconds
# shellcheck source=SCRIPTDIR/../lib/xk_tap.sh
. "$xk_lib/xk_tap.sh"		# TAP, jobs, namespaces
NDSEND=${NDSEND:-$builddir/tests/integration/ndsend}
BACKENDS=${NDSEND_BACKENDS:-linux pcap}
ROUNDS=3		# every message of every link sent each way once
WRAP=${XK_TEST_WRAPPER:-}

HA=fe80::a1 HB=fe80::b1 PEER=fe80::2
GA=fd00:a::1 GB=fd00:b::1
PFXA=fd00:a:: PFXB=fd00:b:: PFXR=fd00:bb::

CASES="packets on their links
rdisc6 on link a
rdisc6 on link b
radvd answers the RS"

skip_all() {	# reason, for every case of every backend
	for be in $BACKENDS; do
		printf '%s\n' "$CASES" | while IFS= read -r c; do
			echo "$be: $c"
		done
	done | tap_skip_each "$1"
	exit 0
}

# each_case VERB REASON: every case of this backend failed or skipped.
each_case() {
	printf '%s\n' "$CASES" | while IFS= read -r c; do
		echo "$be: $c"
	done >"$tmp/cases"
	while IFS= read -r c; do
		if [ "$1" = skip ]; then
			tap_skip "$c" "$2"
		else
			tap_fail "$c"
		fi
	done <"$tmp/cases"
}

cleanup_on_exit
need_root_netns
[ -x "$NDSEND" ] || skip_all "$NDSEND not built"
have_tshark=0 have_rdisc6=0 have_radvd=0
command -v tshark >/dev/null 2>&1 && have_tshark=1
command -v rdisc6 >/dev/null 2>&1 && have_rdisc6=1
command -v radvd >/dev/null 2>&1 && have_radvd=1
# rdisc6's "Soliciting" line, which says it is listening, comes through
# a pipe only line-buffered.
LINEBUF=
command -v stdbuf >/dev/null 2>&1 && LINEBUF="stdbuf -oL"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ndsend.XXXXXX") || exit 1

# nd_up BACKEND: the three namespaces and the two links, up.
nd_up() {
	nsh=xknd-h-$$-$1 nsa=xknd-a-$$-$1 nsb=xknd-b-$$-$1
	for ns in "$nsh" "$nsa" "$nsb"; do
		ip netns add "$ns" || return 1
		nslist="$nslist $ns"
	done
	ip link add name xkh0 netns "$nsh" type veth peer name xka0 \
	    netns "$nsa" || return 1
	ip link add name xkh1 netns "$nsh" type veth peer name xkb0 \
	    netns "$nsb" || return 1
	for l in "$nsh xkh0" "$nsh xkh1" "$nsa xka0" "$nsb xkb0"; do
		# shellcheck disable=SC2086
		set -- $l
		ip -n "$1" link set "$2" addrgenmode none || return 1
	done
	ip -n "$nsh" addr add $HA/64 dev xkh0 nodad || return 1
	ip -n "$nsh" addr add $GA/64 dev xkh0 nodad || return 1
	ip -n "$nsh" addr add $HB/64 dev xkh1 nodad || return 1
	ip -n "$nsh" addr add $GB/64 dev xkh1 nodad || return 1
	ip -n "$nsa" addr add $PEER/64 dev xka0 nodad || return 1
	ip -n "$nsb" addr add $PEER/64 dev xkb0 nodad || return 1
	# radvd wants a router.
	ip netns exec "$nsb" sysctl -qw net.ipv6.conf.all.forwarding=1 ||
	    return 1
	for l in "$nsh lo" "$nsa lo" "$nsb lo" "$nsh xkh0" "$nsh xkh1" \
	    "$nsa xka0" "$nsb xkb0"; do
		# shellcheck disable=SC2086
		set -- $l
		ip -n "$1" link set "$2" up || return 1
	done
	i=0
	for l in "$nsh xkh0" "$nsh xkh1" "$nsa xka0" "$nsb xkb0"; do
		# shellcheck disable=SC2086
		set -- $l
		until ip -n "$1" link show "$2" | grep -q LOWER_UP; do
			i=$((i + 1))
			[ "$i" -lt $((XK_LIVE * 10)) ] || return 1
			sleep 0.1
		done
	done
	mac_h0=$(link_mac "$nsh" xkh0) mac_h1=$(link_mac "$nsh" xkh1)
	mac_a=$(link_mac "$nsa" xka0) mac_b=$(link_mac "$nsb" xkb0)
	idx_h1=$(ip -n "$nsh" -o link show xkh1 | cut -d: -f1)
	[ -n "$mac_h0" ] && [ -n "$mac_h1" ] && [ -n "$mac_a" ] &&
	    [ -n "$mac_b" ] && [ -n "$idx_h1" ]
}

# netns_down3: deletes the namespaces of nd_up, and forgets them.
netns_down3() {
	rest=
	for ns in $nslist; do
		case "$ns" in
		"$nsh" | "$nsa" | "$nsb")
			ip netns del "$ns" 2>/dev/null
			;;
		*)
			rest="$rest $ns"
			;;
		esac
	done
	nslist=$rest
}

link_mac() {	# ns ifname
	ip -n "$1" -o link show "$2" |
	    sed -n 's|.*link/ether \([0-9a-f:]*\) .*|\1|p'
}

# The fields tshark prints of each packet, '|' between them.
FIELDS="ipv6.tclass.dscp ipv6.src ipv6.dst ipv6.hlim icmpv6.type
    icmpv6.checksum.status icmpv6.nd.ns.target_address icmpv6.opt.linkaddr
    icmpv6.opt.prefix _ws.malformed"

# capture NAME NS IFNAME PEERMAC: tshark on IFNAME in NS, every ICMPv6
# packet the peer did not send, printed as it comes.
capture() {
	set -- "$1" "$2" "$3" "$4" ""
	for f in $FIELDS; do
		set -- "$1" "$2" "$3" "$4" "$5 -e $f"
	done
	# shellcheck disable=SC2086
	bg "$1" "$2" timeout $((XK_LIVE * 3)) tshark -l -n -i "$3" \
	    -f "icmp6 and not ether src $4" -T fields -E separator='|' \
	    $5 -a duration:$((XK_LIVE * 2))
}

# check_capture: compares what ndsend said it sent with the two
# captures; one diagnostic line per difference, status 0 when none.
# Each packet is known by its DSCP (its sequence number + 1; 63 the end
# marker, 0 the host's own ND).
check_capture() {
	awk -F'|' -v ha=$HA -v hb=$HB -v maca="$mac_h0" -v macb="$mac_h1" \
	    -v peer=$PEER -v pfxa=$PFXA -v pfxb=$PFXB '
	FILENAME ~ /ndsend\.out$/ {
		if ($0 ~ /^sent /) {
			split($0, w, " ")
			d = w[6] / 4
			want[d] = w[3] == "xkh0" ? "a" : "b"
			wtype[d] = w[4]
			wdst[d] = w[5]
			name[d] = "seq " w[2] " (" w[3] " type " w[4] " to " \
			    w[5] " by " w[7] ")"
			nsent++
		}
		next
	}
	{
		cap = FILENAME ~ /cap_a\.out$/ ? "a" : "b"
		d = $1 + 0
		if (d == 0)
			next
		if (d == 63) {
			ends[cap]++
			next
		}
		got[d, cap]++
		if (!(d in want)) {
			printf "link %s: packet with DSCP %d not sent\n", cap, d
			bad++
			next
		}
		if (want[d] != cap)
			next	# reported below
		ll = cap == "a" ? ha : hb
		mac = cap == "a" ? maca : macb
		pfx = cap == "a" ? pfxa : pfxb
		why = ""
		if ($2 != ll)
			why = why " source " $2 " (want " ll ")"
		if ($3 != wdst[d])
			why = why " destination " $3
		if ($4 != 255)
			why = why " hop limit " $4
		if ($5 != wtype[d])
			why = why " type " $5
		if ($6 != 1)
			why = why " checksum status " $6
		if ($8 != mac)
			why = why " link-layer address option " $8 \
			    " (want " mac ")"
		if ($5 == 135 && $7 != peer)
			why = why " target " $7
		if ($5 == 134 && $9 != pfx)
			why = why " prefix " $9 " (want " pfx ")"
		if ($10 != "")
			why = why " malformed"
		if (why != "") {
			printf "%s on link %s:%s\n", name[d], cap, why
			bad++
		}
	}
	END {
		if (nsent == 0) {
			print "ndsend reported nothing sent"
			bad++
		}
		for (d in want) {
			other = want[d] == "a" ? "b" : "a"
			if (got[d, want[d]] != 1) {
				printf "%s: seen %d times on link %s\n", \
				    name[d], got[d, want[d]], want[d]
				bad++
			}
			if (got[d, other] != 0) {
				printf "%s: seen %d times on link %s " \
				    "(the wrong link)\n", name[d], \
				    got[d, other], other
				bad++
			}
		}
		if (ends["a"] != 1 || ends["b"] != 1) {
			printf "end markers: %d on link a, %d on link b " \
			    "(want 1 each)\n", ends["a"], ends["b"]
			bad++
		}
		exit bad != 0
	}' "$tmp/ndsend.out" "$tmp/cap_a.out" "$tmp/cap_b.out"
}

# rdisc_start NAME NS IFNAME: rdisc6 waiting on IFNAME, its pid in
# $rdpid; 1 when it did not get to listening.
rdisc_start() {
	bg "$1" "$2" timeout $((XK_LIVE * 3)) $LINEBUF rdisc6 -1 -n -r 1 \
	    -w $((XK_LIVE * 2000)) "$3"
	rdpid=$bgpid
	wait_for "$tmp/$1.out" 'Soliciting' "$rdpid" $((XK_LIVE * 10))
}

# rdisc_result NAME PID LINK WANT OTHER: rdisc6's verdict, reported.
rdisc_result() {
	reap "$2"
	diag_file "rdisc6 on link $3" "$tmp/$1.out"
	diag_file "rdisc6 on link $3 stderr" "$tmp/$1.err"
	if [ "$rc" -ne 0 ]; then
		diag "rdisc6 on link $3 exited with $rc"
		tap_fail "$be: rdisc6 on link $3"
		return
	fi
	grep -q "Prefix *: *$4/64" "$tmp/$1.out" &&
	    ! grep -q "$5/64" "$tmp/$1.out"
	tap_result $? "$be: rdisc6 on link $3"
}

case_send() {
	tpa='' tpb='' rpa='' rpb=''
	ready=1
	if [ "$have_tshark" -eq 1 ]; then
		capture cap_a "$nsa" xka0 "$mac_a"
		tpa=$bgpid
		capture cap_b "$nsb" xkb0 "$mac_b"
		tpb=$bgpid
		for t in "cap_a $tpa" "cap_b $tpb"; do
			# shellcheck disable=SC2086
			set -- $t
			if ! wait_capture "$tmp/$1.err" "$2" \
			    $((XK_LIVE * 10)); then
				diag "tshark ($1) did not start capturing"
				ready=0
			fi
		done
	fi
	if [ "$have_rdisc6" -eq 1 ]; then
		rdisc_start rdisc_a "$nsa" xka0 || {
			diag "rdisc6 on link a did not start listening"
			ready=0
		}
		rpa=$rdpid
		rdisc_start rdisc_b "$nsb" xkb0 || {
			diag "rdisc6 on link b did not start listening"
			ready=0
		}
		rpb=$rdpid
	fi
	src=1
	if [ "$ready" -eq 1 ]; then
		ip netns exec "$nsh" env XKPI_BACKEND="$be" \
		    XKPI_IFACES=xkh0,xkh1 timeout $((XK_LIVE * 2)) $WRAP \
		    "$NDSEND" send $ROUNDS xkh0 $PEER $PFXA xkh1 $PEER $PFXB \
		    >"$tmp/ndsend.out" 2>"$tmp/ndsend.err"
		src=$?
	fi
	diag_file "ndsend send" "$tmp/ndsend.out"
	diag_file "ndsend send stderr" "$tmp/ndsend.err"
	[ "$src" -eq 0 ] || diag "ndsend send exited with $src"
	if [ -n "$tpa" ]; then
		# Each link's end marker comes after all the rest.
		for t in "cap_a $tpa" "cap_b $tpb"; do
			# shellcheck disable=SC2086
			set -- $t
			if [ "$src" -ne 0 ] || ! wait_for "$tmp/$1.out" \
			    '^63|' "$2" $((XK_LIVE * 10)); then
				diag "$1: no end marker"
			fi
			kill "$2" 2>/dev/null
			reap "$2"
		done
		check_capture >"$tmp/check.out"
		crc=$?
		diag_file "differences" "$tmp/check.out"
		if [ "$crc" -ne 0 ] || [ "$src" -ne 0 ]; then
			diag_file "tshark on link a" "$tmp/cap_a.out"
			diag_file "tshark on link b" "$tmp/cap_b.out"
		fi
		[ "$crc" -eq 0 ] && [ "$src" -eq 0 ]
		tap_result $? "$be: packets on their links"
	else
		tap_skip "$be: packets on their links" "tshark missing"
	fi
	if [ -n "$rpa" ]; then
		rdisc_result rdisc_a "$rpa" a $PFXA $PFXB
		rdisc_result rdisc_b "$rpb" b $PFXB $PFXA
	else
		tap_skip "$be: rdisc6 on link a" "rdisc6 missing"
		tap_skip "$be: rdisc6 on link b" "rdisc6 missing"
	fi
}

case_radvd() {
	if [ "$have_radvd" -eq 0 ]; then
		tap_skip "$be: radvd answers the RS" "radvd missing"
		return
	fi
	cat >"$tmp/radvd.conf" <<-EOF
	interface xkb0 {
		AdvSendAdvert on;
		AdvRASolicitedUnicast on;
		prefix $PFXR/64 {
		};
	};
	EOF
	rm -f "$tmp/radvd.pid"
	bg radvd "$nsb" timeout $((XK_LIVE * 3)) radvd -n -m stderr -d 1 \
	    -C "$tmp/radvd.conf" -p "$tmp/radvd.pid"
	rvpid=$bgpid
	nrc=1
	if wait_for "$tmp/radvd.err" 'started' "$rvpid" $((XK_LIVE * 10)); then
		ip netns exec "$nsh" env XKPI_BACKEND="$be" \
		    XKPI_IFACES=xkh0,xkh1 timeout $((XK_LIVE * 2)) $WRAP \
		    "$NDSEND" rs xkh1 $((XK_LIVE * 2)) \
		    >"$tmp/rs.out" 2>"$tmp/rs.err"
		nrc=$?
	else
		diag "radvd did not start"
	fi
	# Its own pid file names it; the job is the same process.
	if [ -s "$tmp/radvd.pid" ]; then
		kill "$(cat "$tmp/radvd.pid")" 2>/dev/null
	fi
	kill "$rvpid" 2>/dev/null
	reap "$rvpid"
	diag_file "ndsend rs" "$tmp/rs.out"
	diag_file "ndsend rs stderr" "$tmp/rs.err"
	diag_file "radvd" "$tmp/radvd.err"
	[ "$nrc" -eq 0 ] || diag "ndsend rs exited with $nrc"
	want="ra from $PEER scope $idx_h1 ifindex $idx_h1 dst $HB hlim 255"
	want="$want lifetime [1-9][0-9]* prefix $PFXR/64"
	[ "$nrc" -eq 0 ] && grep -q "^$want\$" "$tmp/rs.out"
	rc=$?
	[ "$rc" -eq 0 ] || diag "want a line: $want"
	tap_result $rc "$be: radvd answers the RS"
}

for be in $BACKENDS; do
	rm -f "$tmp"/*
	if ! nd_up "$be"; then
		diag "$be: could not set up the namespaces"
		netns_down3
		each_case fail
		continue
	fi
	ip netns exec "$nsh" env XKPI_BACKEND="$be" XKPI_IFACES=xkh0,xkh1 \
	    timeout $((XK_LIVE * 2)) $WRAP "$NDSEND" probe >"$tmp/probe.out" \
	    2>&1
	prc=$?
	if [ "$prc" -eq 77 ]; then
		netns_down3
		each_case skip "backend $be not built"
		continue
	fi
	diag "backend $be:"
	diag_file "probe" "$tmp/probe.out"
	case_send
	case_radvd
	netns_down3
done
echo "1..$n"
exit $failed
