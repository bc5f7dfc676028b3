#!/bin/sh
# Divert sockets on the host's own traffic (spec section 6, divert(4)),
# over the nfqueue backend, and the NAT example end to end, reported as
# TAP.  Run from the build directory, as root.
#
# Divert cases: two namespaces joined by a veth pair,
#   a (the library):  xka0  10.203.0.1/24; NFQUEUE 0 on INPUT (-i xka0)
#                     and OUTPUT (-o xka0), packets marked 0x786b (the
#                     library's own) excepted, --queue-bypass
#   b (the peer):     xkb0  10.203.0.2/24
# with examples/divert_tap in a and tests/integration/netpeer (plain
# sockets) at both ends, UDP to port 7000 of a:
#   divert in and out, changed   divert_tap -T 0x20: a's socket sees the
#                                requests with TOS 0x20, b the echoes
#   tshark on the peer           the same packets captured in b: all of
#                                them, nothing malformed, checksums good,
#                                the echoes with TOS 0x20
#   tee                          tee rule, divert_tap -e: the tap gets a
#                                copy of each packet, the host every
#                                packet once
#   eat                          divert_tap -e: once the tap has eaten
#                                every datagram, a's socket saw none
#   no socket bound              a rule diverting to a port nobody bound:
#                                div.noport counts every datagram (read
#                                with xkpi-stat from XKPI_STATS_SOCKET),
#                                a's socket saw none
#   resume after the cookie      rules 100 and 200 divert to two ports;
#                                each packet written back with cookie 100
#                                reaches rule 200, then the host, once
#   fail open after kill -9      divert_tap -e killed with SIGKILL: the
#                                next datagrams pass (--queue-bypass)
# NAT cases: three namespaces, client (10.1.0.2/24, default route via
# 10.1.0.1), nat (xkn0 10.1.0.1/24 inside, xkn1 10.2.0.1/24 outside,
# forwarding on, NFQUEUE 0 on mangle PREROUTING and POSTROUTING) and
# server (10.2.0.2/24, no route back to 10.1.0.0/24); examples/divert_nat
# in nat with `divert 8668 ip from any to any via xkn1':
#   nat: ping                    client pings server
#   nat: udp exchange            every datagram echoed; the server saw
#                                only 10.2.0.1 as source
#   nat: tcp transfer            1 MiB, sha256 the same at both ends; the
#                                server's peer is 10.2.0.1
#   nat: tshark on the server    no 10.1.0.0/24 address on the server's
#                                link; what the NAT rewrote is well formed
#                                with good IP, ICMP, UDP, TCP checksums
# Everything is skipped without root, ip(8), timeout(1) or iptables (or
# its NFQUEUE target), or when the nfqueue backend is not built (the
# library answers ENOTSUP); the tshark cases without tshark.  Every wait
# is for its event, bounded by the liveness bound; the namespaces (and
# with them the iptables rules) and the processes this script made are
# removed by name and pid on any exit.  XK_TEST_WRAPPER (valgrind, say)
# is put in front of divert_tap and divert_nat.

builddir=$(pwd)
xk_lib=$(cd "$(dirname "$0")/../lib" && pwd)
. "$xk_lib/xk_test.sh"		# XK_LIVE: the liveness bound, seconds
# shellcheck source=SCRIPTDIR/../lib/xk_tap.sh
. "$xk_lib/xk_tap.sh"		# TAP, jobs, namespaces (netns_*)
TAP=$builddir/examples/divert_tap
NAT=$builddir/examples/divert_nat
PEER=$builddir/tests/integration/netpeer
XKSTAT=$builddir/tools/xkpi-stat
XPING=$builddir/examples/ping
WRAP=${XK_TEST_WRAPPER:-}
COUNT=5			# datagrams per divert case
NAT_COUNT=20		# datagrams of the NAT's UDP exchange
NAT_BYTES=1048576	# bytes of the NAT's TCP transfer
MARK=0x786b		# what the library marks its own packets with

A4=10.203.0.1 B4=10.203.0.2
CLIENT=10.1.0.2 NAT_IN=10.1.0.1 NAT_OUT=10.2.0.1 SERVER=10.2.0.2

CASES="divert in and out, changed and reinjected
tshark on the peer
tee
eat
no socket bound
resume after the cookie
fail open after kill -9
nat: ping
nat: udp exchange
nat: tcp transfer
nat: tshark on the server"

skip_all() {
	printf '%s\n' "$CASES" | tap_skip_each "$1"
	exit 0
}

# fail_cases PATTERN: every case whose name matches PATTERN failed.
fail_cases() {
	printf '%s\n' "$CASES" | grep -- "$1" >"$tmp/cases"
	while IFS= read -r c; do
		tap_fail "$c"
	done <"$tmp/cases"
}

cleanup_on_exit
need_root_netns
command -v iptables >/dev/null 2>&1 || skip_all "iptables missing"
for p in "$TAP" "$NAT" "$PEER"; do
	[ -x "$p" ] || skip_all "$p not built"
done
have_tshark=0
command -v tshark >/dev/null 2>&1 && have_tshark=1

tmp=$(mktemp -d "${TMPDIR:-/tmp}/divert.XXXXXX") || exit 1

# queue NS CHAIN IFOPT: NFQUEUE 0 on CHAIN of NS's mangle table, for the
# packets not marked by the library.
queue() {
	# shellcheck disable=SC2086
	ip netns exec "$1" iptables -t mangle -A "$2" $3 -m mark ! \
	    --mark $MARK -j NFQUEUE --queue-num 0 --queue-bypass
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

# ended PID: waits (the bound at most) for PID to end by itself, and
# reaps it; 1 (and SIGKILL) if it did not.
ended() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt $((XK_LIVE * 20)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1" 2>/dev/null
		reap "$1"
		return 1
	fi
	reap "$1"
	return 0
}

# lines PATTERN FILE: how many lines of FILE match PATTERN.
lines() {
	grep -c -- "$1" "$2" 2>/dev/null || true
}

# wait_lines FILE PATTERN COUNT PID: until FILE has COUNT lines matching
# PATTERN (0), PID ended (1), or the bound is over (2).
wait_lines() {
	i=0
	while [ "$(lines "$2" "$1")" -lt "$3" ]; do
		kill -0 "$4" 2>/dev/null || return 1
		[ $i -lt $((XK_LIVE * 10)) ] || return 2
		sleep 0.1
		i=$((i + 1))
	done
	return 0
}

# tap_start ENV... -- ARGS...: divert_tap in a on nfqueue with ARGS, its
# pid in $tpid; 1 when it did not get ready.  Bounded by -t.
tap_start() {
	envs=
	while [ "$1" != "--" ]; do
		envs="$envs $1"
		shift
	done
	shift
	# shellcheck disable=SC2086
	bg tap "$nsa" env XKPI_BACKEND=nfqueue XKPI_IFACES=xka0 $envs \
	    $WRAP "$TAP" -t $((XK_LIVE * 4)) "$@"
	tpid=$bgpid
	wait_for "$tmp/tap.out" '^divert_tap: ready' "$tpid" \
	    $((XK_LIVE * 10)) && return 0
	diag "divert_tap did not get ready"
	stop "$tpid"
	return 1
}

# srv_start: netpeer udp-serve on port 7000 in a, until stopped; its pid
# in $spid.
srv_start() {
	bg srv "$nsa" "$PEER" udp-serve 7000 0 $((XK_LIVE * 4))
	spid=$bgpid
	wait_for "$tmp/srv.out" '^ready' "$spid" $((XK_LIVE * 10)) &&
	    return 0
	diag "netpeer udp-serve did not get ready"
	stop "$spid"
	return 1
}

# peer CMD ARGS...: netpeer in b, output in $tmp/peer.out; status in $prc.
peer() {
	ip netns exec "$nsb" timeout $((XK_LIVE * 3)) "$PEER" "$@" \
	    >"$tmp/peer.out" 2>&1
	prc=$?
}

# show: what the programs of a case printed, as TAP comments.
show() {
	diag_file "divert_tap" "$tmp/tap.out"
	diag_file "divert_tap stderr" "$tmp/tap.err"
	diag_file "a: netpeer udp-serve" "$tmp/srv.out"
	diag_file "a: netpeer stderr" "$tmp/srv.err"
	diag_file "b: netpeer" "$tmp/peer.out"
}

# check WHAT COND...: COND true, or a diagnostic naming WHAT and ok=1.
check() {
	what=$1
	shift
	if ! "$@"; then
		diag "failed: $what"
		ok=1
	fi
}

# tshark_count FILE FILTER: packets of FILE that match FILTER.
tshark_count() {
	tshark -n -r "$1" -o ip.check_checksum:TRUE \
	    -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE \
	    -Y "$2" 2>>"$tmp/tshark.err" | wc -l | tr -d ' '
}

BAD='_ws.malformed || _ws.expert.severity == error ||
    ip.checksum.status == "Bad" || icmp.checksum.status == "Bad" ||
    udp.checksum.status == "Bad" || tcp.checksum.status == "Bad"'

# The NAT's TCP packets larger than the link's frames are GSO packets
# (veth offloads segmentation): the kernel leaves their TCP checksum to
# the device and the capture shows the pseudo-header's sum there, so
# their TCP checksum is not checked; the rest of them is.
GSO='tcp && frame.len > 1514'
NAT_BAD='_ws.malformed || _ws.expert.severity == error && !(GSO) ||
    ip.checksum.status == "Bad" || icmp.checksum.status == "Bad" ||
    udp.checksum.status == "Bad" || tcp.checksum.status == "Bad" && !(GSO)'
NAT_BAD=$(printf '%s' "$NAT_BAD" | sed "s/GSO/$GSO/g")

# tshark_start NS IF FILTER: captures into $tmp/cap.pcapng until
# stopped; its pid in $cpid (empty without tshark).
tshark_start() {
	cpid=
	[ "$have_tshark" -eq 1 ] || return 0
	rm -f "$tmp/cap.pcapng"
	bg tshark "$1" timeout $((XK_LIVE * 8)) tshark -n -i "$2" -f "$3" \
	    -w "$tmp/cap.pcapng"
	cpid=$bgpid
	if ! wait_capture "$tmp/tshark.err" "$cpid" $((XK_LIVE * 10)); then
		diag "tshark did not start capturing"
		diag_file "tshark stderr" "$tmp/tshark.err"
		stop "$cpid"
		cpid=
		return 1
	fi
	return 0
}

# tshark_stop [MIN]: ends the capture once its file holds MIN packets
# (within the bound; packets the capture has taken but not written yet
# would be lost to the stop); 1 when there is no capture file.
tshark_stop() {
	[ -n "$cpid" ] || return 1
	i=0
	while [ "$i" -lt $((XK_LIVE * 10)) ] &&
	    [ "$(tshark -r "$tmp/cap.pcapng" 2>/dev/null | wc -l)" -lt \
	    "${1:-0}" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -INT "$cpid" 2>/dev/null
	ended "$cpid"
	cpid=
	[ -s "$tmp/cap.pcapng" ]
}

divert_up() {
	netns_pair xkdv-a-$$ xkdv-b-$$ || return 1
	ip -n "$nsa" addr add $A4/24 dev xka0 || return 1
	ip -n "$nsb" addr add $B4/24 dev xkb0 || return 1
	netns_pair_up $((XK_LIVE * 10)) || return 1
	queue "$nsa" INPUT "-i xka0" 2>"$tmp/iptables.err" &&
	    queue "$nsa" OUTPUT "-o xka0" 2>>"$tmp/iptables.err"
}

# The changed packets, and the capture of them in b.
case_change() {
	ok=0
	rm -f "$tmp"/*.out "$tmp"/*.err
	tshark_start "$nsb" xkb0 "udp port 7000" || true
	if srv_start && tap_start -- -T 0x20 -c $((COUNT * 2)) \
	    -r "divert 8668 udp from any to any via xka0" 8668; then
		peer udp-send $A4 7000 $COUNT $((XK_LIVE * 2))
		check "every datagram echoed" [ "$prc" -eq 0 ]
		check "divert_tap ended after its $((COUNT * 2)) packets" \
		    ended "$tpid"
		check "divert_tap exit status 0" [ "$rc" -eq 0 ]
		stop "$spid"
		check "a's socket saw $COUNT requests with TOS 0x20" [ \
		    "$(lines "^from $B4:.* tos 0x20$" "$tmp/srv.out")" -eq \
		    $COUNT ]
		check "b saw $COUNT echoes with TOS 0x20" [ \
		    "$(lines "^echo from $A4:7000 .* tos 0x20$" \
		    "$tmp/peer.out")" -eq $COUNT ]
		in="^\[8668\] in xka0 $A4 cookie 100: udp $B4:[0-9]* >"
		in="$in $A4:7000 .*: reinjected tos 0x20$"
		out="^\[8668\] out - cookie 100: udp $A4:7000 >"
		out="$out $B4:[0-9]* .*: reinjected tos 0x20$"
		check "the tap changed $COUNT incoming packets" [ "$(lines \
		    "$in" "$tmp/tap.out")" -eq $COUNT ]
		check "the tap changed $COUNT outgoing packets" [ "$(lines \
		    "$out" "$tmp/tap.out")" -eq $COUNT ]
	else
		ok=1
	fi
	show
	tap_result $ok "divert in and out, changed and reinjected"

	if [ "$have_tshark" -eq 0 ]; then
		tap_skip "tshark on the peer" "tshark missing"
		return
	fi
	ok=0
	if tshark_stop $((COUNT * 2)); then
		# What a sent went through the tap; b's own requests carry
		# the checksum its kernel left to the device (offload).
		cap=$tmp/cap.pcapng
		from="ip.src == $A4"
		got=$(tshark_count "$cap" "udp")
		bad=$(tshark_count "$cap" "$from && ($BAD)")
		echoes=$(tshark_count "$cap" "$from && ip.dsfield == 0x20")
		good=$(tshark_count "$cap" "$from &&"' ip.checksum.status ==
		    "Good" && udp.checksum.status == "Good"')
		diag "tshark: $got packets (want $((COUNT * 2))); from $A4:" \
		    "$bad bad (want 0), $echoes with TOS 0x20 (want" \
		    "$COUNT), $good with good IP and UDP checksums (want" \
		    "$COUNT)"
		[ "$got" -eq $((COUNT * 2)) ] && [ "$bad" -eq 0 ] &&
		    [ "$echoes" -eq $COUNT ] && [ "$good" -eq $COUNT ]
		check "tshark counts" [ $? -eq 0 ]
		[ "$bad" -eq 0 ] || tshark -n -r "$cap" \
		    -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
		    -Y "$from && ($BAD)" 2>/dev/null | head -n 10 |
		    sed 's/^/#   /'
	else
		diag "no capture"
		diag_file "tshark stderr" "$tmp/tshark.err"
		ok=1
	fi
	tap_result $ok "tshark on the peer"
}

case_tee() {
	ok=0
	rm -f "$tmp"/*.out "$tmp"/*.err
	if srv_start && tap_start -- -e -c $((COUNT * 2)) \
	    -r "tee 8668 udp from any to any via xka0" 8668; then
		peer udp-send $A4 7000 $COUNT $((XK_LIVE * 2))
		check "every datagram echoed" [ "$prc" -eq 0 ]
		check "divert_tap ended after its $((COUNT * 2)) copies" \
		    ended "$tpid"
		check "divert_tap exit status 0" [ "$rc" -eq 0 ]
		stop "$spid"
		check "a's socket saw each datagram once" [ \
		    "$(lines "^from $B4:" "$tmp/srv.out")" -eq $COUNT ]
		check "the tap had a copy of each incoming" [ \
		    "$(lines '^\[8668\] in .*: eaten$' "$tmp/tap.out")" -eq \
		    $COUNT ]
		check "the tap had a copy of each outgoing" [ \
		    "$(lines '^\[8668\] out .*: eaten$' "$tmp/tap.out")" -eq \
		    $COUNT ]
	else
		ok=1
	fi
	show
	tap_result $ok "tee"
}

# The tap keeps running: at its exit the backend fails open and lets
# the packets it still holds pass, those eaten included (they are held
# until XKPI_NFQUEUE_HOLD_MS).
case_eat() {
	ok=0
	rm -f "$tmp"/*.out "$tmp"/*.err
	if srv_start && tap_start -- -e \
	    -r "divert 8668 udp from any to any in via xka0" 8668; then
		peer udp-blast $A4 7000 $COUNT
		check "b sent" [ "$prc" -eq 0 ]
		# Once the tap has had them all, none can reach the host.
		check "the tap ate $COUNT" wait_lines "$tmp/tap.out" \
		    "^\[8668\] in xka0 $A4 cookie 100: udp .*: eaten$" \
		    $COUNT "$tpid"
		stop "$spid"
		stop "$tpid"
		check "divert_tap exit status 0" [ "$rc" -eq 0 ]
		check "a's socket saw nothing" [ \
		    "$(lines '^from ' "$tmp/srv.out")" -eq 0 ]
	else
		ok=1
	fi
	show
	tap_result $ok "eat"
}

case_noport() {
	ok=0
	rm -f "$tmp"/*.out "$tmp"/*.err "$tmp/stats.sock"
	if [ ! -x "$XKSTAT" ]; then
		tap_skip "no socket bound" "$XKSTAT not built"
		return
	fi
	if srv_start && tap_start XKPI_STATS_SOCKET="$tmp/stats.sock" -- \
	    -r "divert 8669 udp from any to any in via xka0" 8668; then
		peer udp-blast $A4 7000 $COUNT
		check "b sent" [ "$prc" -eq 0 ]
		# Every datagram counted, read from the running process.
		i=0 v=0
		while [ $i -lt $((XK_LIVE * 10)) ]; do
			v=$(ip netns exec "$nsa" "$XKSTAT" -s \
			    "$tmp/stats.sock" 2>/dev/null |
			    awk '$1 == "div.noport" { print $2 }')
			[ "${v:-0}" -ge $COUNT ] && break
			sleep 0.1
			i=$((i + 1))
		done
		diag "div.noport: ${v:-none} (want $COUNT)"
		check "div.noport counts every datagram" [ "${v:-0}" -eq \
		    $COUNT ]
		stop "$tpid"
		check "divert_tap exit status 0" [ "$rc" -eq 0 ]
		stop "$spid"
		check "a's socket saw nothing" [ \
		    "$(lines '^from ' "$tmp/srv.out")" -eq 0 ]
		check "the tap read nothing" [ \
		    "$(lines '^\[' "$tmp/tap.out")" -eq 0 ]
	else
		ok=1
	fi
	show
	tap_result $ok "no socket bound"
}

case_resume() {
	ok=0
	rm -f "$tmp"/*.out "$tmp"/*.err
	if srv_start && tap_start -- -c $((COUNT * 4)) \
	    -r "100 divert 8668 udp from any to any via xka0" \
	    -r "200 divert 8669 udp from any to any via xka0" 8668 8669; then
		peer udp-send $A4 7000 $COUNT $((XK_LIVE * 2))
		check "every datagram echoed" [ "$prc" -eq 0 ]
		check "divert_tap ended after its $((COUNT * 4)) packets" \
		    ended "$tpid"
		check "divert_tap exit status 0" [ "$rc" -eq 0 ]
		stop "$spid"
		check "a's socket saw each datagram once" [ \
		    "$(lines "^from $B4:" "$tmp/srv.out")" -eq $COUNT ]
		for w in "8668\] in xka0 $A4 cookie 100" \
		    "8669\] in xka0 $A4 cookie 200" \
		    "8668\] out - cookie 100" "8669\] out - cookie 200"; do
			check "$COUNT packets at [$w" [ "$(lines \
			    "^\[$w: .*: reinjected$" "$tmp/tap.out")" -eq \
			    $COUNT ]
		done
	else
		ok=1
	fi
	show
	tap_result $ok "resume after the cookie"
}

case_failopen() {
	ok=0
	rm -f "$tmp"/*.out "$tmp"/*.err
	if srv_start && tap_start -- -e \
	    -r "divert 8668 udp from any to any in via xka0" 8668; then
		peer udp-blast $A4 7000 1
		if wait_for "$tmp/tap.out" ': eaten$' "$tpid" \
		    $((XK_LIVE * 10)); then
			kill -KILL "$tpid"
			reap "$tpid"
			# No process on the queue: the kernel lets it pass.
			peer udp-send $A4 7000 $COUNT $((XK_LIVE * 2))
			check "every datagram echoed after the kill" \
			    [ "$prc" -eq 0 ]
		else
			check "the tap ate the first datagram" false
			stop "$tpid"
		fi
		stop "$spid"
		check "a's socket saw only those after the kill" [ \
		    "$(lines "^from $B4:" "$tmp/srv.out")" -eq $COUNT ]
	else
		ok=1
	fi
	show
	tap_result $ok "fail open after kill -9"
}

nat_up() {
	nsc=xknt-c-$$ nsn=xknt-n-$$ nss=xknt-s-$$
	for ns in $nsc $nsn $nss; do
		ip netns add "$ns" || return 1
		nslist="$nslist $ns"
		ip -n "$ns" link set lo up || return 1
	done
	ip link add name xkc0 netns $nsc type veth peer name xkn0 \
	    netns $nsn || return 1
	ip link add name xkn1 netns $nsn type veth peer name xks0 \
	    netns $nss || return 1
	ip -n $nsc addr add $CLIENT/24 dev xkc0 || return 1
	ip -n $nsn addr add $NAT_IN/24 dev xkn0 || return 1
	ip -n $nsn addr add $NAT_OUT/24 dev xkn1 || return 1
	ip -n $nss addr add $SERVER/24 dev xks0 || return 1
	for l in "$nsc xkc0" "$nsn xkn0" "$nsn xkn1" "$nss xks0"; do
		# shellcheck disable=SC2086
		set -- $l
		ip -n "$1" link set "$2" up || return 1
	done
	ip -n $nsc route add default via $NAT_IN || return 1
	ip netns exec $nsn sysctl -q -w net.ipv4.ip_forward=1 || return 1
	# PREROUTING and POSTROUTING: a rewritten destination is routed
	# after the verdict.
	queue $nsn PREROUTING "" && queue $nsn POSTROUTING ""
}

# nat_cases: the client's traffic through divert_nat to the server.
nat_cases() {
	rm -f "$tmp"/*.out "$tmp"/*.err
	bg nat "$nsn" env XKPI_BACKEND=nfqueue XKPI_IFACES=xkn0,xkn1 $WRAP \
	    "$NAT" -i 10.1.0.0/24 -a $NAT_OUT -t $((XK_LIVE * 8)) \
	    -r "divert 8668 ip from any to any via xkn1"
	npid=$bgpid
	if ! wait_for "$tmp/nat.out" '^divert_nat: ready' "$npid" \
	    $((XK_LIVE * 10)); then
		stop "$npid"
		diag "divert_nat did not get ready"
		diag_file "divert_nat" "$tmp/nat.out"
		diag_file "divert_nat stderr" "$tmp/nat.err"
		fail_cases '^nat: '
		return
	fi
	tshark_start $nss xks0 "ip" || true

	# Ping: ping(8) where it is, else the library's own on linux.
	if command -v ping >/dev/null 2>&1; then
		ip netns exec $nsc timeout $((XK_LIVE * 2)) ping -n -c 3 \
		    -i 0.2 -W $XK_LIVE $SERVER >"$tmp/ping.out" 2>&1
	else
		ip netns exec $nsc env XKPI_BACKEND=linux XKPI_IFACES=xkc0 \
		    timeout $((XK_LIVE * 2)) "$XPING" -c 3 -i 200 \
		    -W $((XK_LIVE * 1000)) $SERVER >"$tmp/ping.out" 2>&1
	fi
	prc=$?
	diag_file "client: ping $SERVER" "$tmp/ping.out"
	tap_result $prc "nat: ping"

	ok=0
	bg usrv $nss "$PEER" udp-serve 7000 $NAT_COUNT $((XK_LIVE * 4))
	upid=$bgpid
	if wait_for "$tmp/usrv.out" '^ready' "$upid" $((XK_LIVE * 10)); then
		ip netns exec $nsc timeout $((XK_LIVE * 3)) "$PEER" udp-send \
		    $SERVER 7000 $NAT_COUNT $((XK_LIVE * 2)) \
		    >"$tmp/ucli.out" 2>&1
		check "every datagram echoed" [ $? -eq 0 ]
		check "the server ended after $NAT_COUNT" ended "$upid"
		check "the server saw $NAT_COUNT from $NAT_OUT" [ "$(lines \
		    "^from $NAT_OUT:" "$tmp/usrv.out")" -eq $NAT_COUNT ]
		check "the server saw nothing else" [ "$(lines '^from ' \
		    "$tmp/usrv.out")" -eq $NAT_COUNT ]
	else
		stop "$upid"
		check "the server got ready" false
	fi
	diag_file "server: netpeer udp-serve" "$tmp/usrv.out"
	diag_file "server: stderr" "$tmp/usrv.err"
	diag_file "client: netpeer udp-send" "$tmp/ucli.out"
	tap_result $ok "nat: udp exchange"

	ok=0
	head -c $NAT_BYTES /dev/urandom >"$tmp/data.in"
	bg tsrv $nss "$PEER" tcp-serve 8000 "$tmp/data.got" $((XK_LIVE * 4))
	wpid=$bgpid
	if wait_for "$tmp/tsrv.out" '^ready' "$wpid" $((XK_LIVE * 10)); then
		ip netns exec $nsc timeout $((XK_LIVE * 3)) "$PEER" tcp-send \
		    $SERVER 8000 "$tmp/data.in" $((XK_LIVE * 2)) \
		    >"$tmp/tcli.out" 2>&1
		check "the client sent it all" [ $? -eq 0 ]
		check "the server ended" ended "$wpid"
		check "the server's peer is $NAT_OUT" [ "$(lines \
		    "^peer $NAT_OUT:" "$tmp/tsrv.out")" -eq 1 ]
		sent=$(sha256sum <"$tmp/data.in" | cut -d' ' -f1)
		got=$(sha256sum <"$tmp/data.got" 2>/dev/null | cut -d' ' -f1)
		diag "sha256 sent $sent"
		diag "sha256 got  $got"
		check "the same sha256 at both ends" [ "$sent" = "$got" ]
	else
		stop "$wpid"
		check "the server got ready" false
	fi
	diag_file "server: netpeer tcp-serve" "$tmp/tsrv.out"
	diag_file "server: stderr" "$tmp/tsrv.err"
	diag_file "client: netpeer tcp-send" "$tmp/tcli.out"
	# SIGTERM: divert_nat prints its counters and exits with 0.
	stop "$npid"
	check "divert_nat exit status 0" [ "$rc" -eq 0 ]
	diag_file "divert_nat" "$tmp/nat.out"
	diag_file "divert_nat stderr" "$tmp/nat.err"
	tap_result $ok "nat: tcp transfer"

	if [ "$have_tshark" -eq 0 ]; then
		tap_skip "nat: tshark on the server" "tshark missing"
		return
	fi
	ok=0
	if tshark_stop $((NAT_COUNT + 1)); then
		cap=$tmp/cap.pcapng
		got=$(tshark_count "$cap" "ip")
		inside=$(tshark_count "$cap" "ip.addr == 10.1.0.0/24")
		# What the NAT wrote: the packets from its outside address.
		# The capture may start while the first echo request is on
		# its way: 1 to 3 of them, every one with a good checksum.
		from="ip.src == $NAT_OUT"
		bad=$(tshark_count "$cap" "$from && ($NAT_BAD)")
		gso=$(tshark_count "$cap" "$from && $GSO")
		icmp=$(tshark_count "$cap" \
		    "$from && icmp.checksum.status == \"Good\"")
		udp=$(tshark_count "$cap" \
		    "$from && udp.checksum.status == \"Good\"")
		tcp=$(tshark_count "$cap" \
		    "$from && tcp.checksum.status == \"Good\"")
		diag "tshark: $got packets, $inside with an inside address" \
		    "(want 0); from $NAT_OUT: $bad bad (want 0), good" \
		    "checksums: icmp $icmp (want 1 to 3), udp $udp (want" \
		    "$NAT_COUNT), tcp $tcp (want some); $gso GSO packets" \
		    "(TCP checksum not checked)"
		[ "$got" -gt 0 ] && [ "$inside" -eq 0 ] && [ "$bad" -eq 0 ] &&
		    [ "$icmp" -ge 1 ] && [ "$icmp" -le 3 ] &&
		    [ "$udp" -eq $NAT_COUNT ] &&
		    [ "$tcp" -gt 0 ]
		check "tshark counts" [ $? -eq 0 ]
		[ "$bad" -eq 0 ] || tshark -n -r "$cap" \
		    -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
		    -o tcp.check_checksum:TRUE -Y "$from && ($NAT_BAD)" \
		    2>/dev/null | head -n 10 | sed 's/^/#   /'
	else
		diag "no capture"
		diag_file "tshark stderr" "$tmp/tshark.err"
		ok=1
	fi
	tap_result $ok "nat: tshark on the server"
}

if ! divert_up; then
	diag_file "iptables" "$tmp/iptables.err"
	if grep -qi 'nfqueue\|no chain\|extension' "$tmp/iptables.err"; then
		skip_all "no NFQUEUE target here"
	fi
	diag "could not set up the namespaces"
	fail_cases ''
	echo "1..$n"
	exit 1
fi
# The probe: nfqueue is there when divert_tap gets ready.
ip netns exec "$nsa" env XKPI_BACKEND=nfqueue XKPI_IFACES=xka0 \
    timeout $((XK_LIVE * 2)) "$TAP" -t 1 8668 >"$tmp/probe.out" 2>&1
if grep -q 'xkpi_init: Operation not supported' "$tmp/probe.out"; then
	skip_all "nfqueue backend not built"
fi
if ! grep -q '^divert_tap: ready' "$tmp/probe.out"; then
	diag_file "probe" "$tmp/probe.out"
fi

case_change
case_tee
case_eat
case_noport
case_resume
case_failopen
netns_down

if nat_up 2>"$tmp/nat_up.err"; then
	nat_cases
else
	diag "could not set up the NAT namespaces"
	diag_file "errors" "$tmp/nat_up.err"
	fail_cases '^nat: '
fi
echo "1..$n"
exit $failed
