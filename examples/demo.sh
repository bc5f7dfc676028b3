#!/bin/sh
#
# xkpi demo: the README's main job.  `make -C build demo' runs it from the
# build directory, where the example programs are ./examples/*.
#
#  1. mbuf_packet: a packet built, tagged, copied and parsed (mbuf KPI).
#  2. udp_echo: an upcall-driven UDP echo service and a client that checks
#     every echo (sock_receivembuf / sock_sendmbuf with addresses).
#  3. tcp_sink + tcp_stream: 1 MiB streamed over TCP as mbuf chains, the
#     sink's byte count and FNV-1a hash compared with the sender's.
#  4. ping: ICMP and ICMPv6 echo from a raw socket with a read upcall.
#     As root with iproute2: two network namespaces made for this run,
#     joined by a veth pair (10.201.0.1/24 + fd00:201::1/64 on side a,
#     10.201.0.2/24 + fd00:201::2/64 on side b); ping runs in side a on
#     the linux and then the pcap backend, and side b's kernel answers.
#     A backend this build lacks is skipped.  Otherwise (no root, no ip,
#     or no namespaces): ping --mem, where an echo responder kext in the
#     same process answers over two linked in-memory interfaces.
#  5. divert_nat: a natd on a divert socket, between three namespaces made
#     for this run: client (10.1.0.2/24, default route via the NAT), nat
#     (10.1.0.1/24 inside on xkn0, 10.2.0.1/24 outside on xkn1, forwarding
#     on, NFQUEUE rules on mangle PREROUTING and POSTROUTING) and server
#     (10.2.0.2/24, no route back to the client's network: it can only
#     answer the NAT's address).  divert_nat runs in nat on the nfqueue
#     backend with `divert 8668 ip from any to any via xkn1'; the client
#     pings the server (ping on the linux backend), exchanges UDP
#     datagrams with it and sends it 1 MiB over TCP, with plain sockets
#     (tests/integration/netpeer); the server must see only 10.2.0.1,
#     and the sha256 of what it received must be the client's.  Needs
#     root, ip(8), iptables and the nfqueue backend: skipped otherwise.
#  6. ipfilter_log: an IP filter kext (ipf_addv4, ipf_addv6) on the real
#     traffic of a namespace made for this run, filter (10.3.0.1/24 on
#     xkf0, NFQUEUE rules on INPUT and OUTPUT), joined by a veth pair to
#     peer (10.3.0.2/24 on xkp0).  ipfilter_log runs in filter on the
#     nfqueue backend with port 7000 blocked; filter listens on 7000 and
#     7001 (tests/integration/netpeer).  The peer's TCP connect to 7000
#     must fail, its pings (ping on the linux backend) pass and 1 MiB
#     sent to 7001 arrive with the same sha256; ipfilter_log then stops
#     (its filters removed and detached) and prints its flow table, which
#     must list the blocked flow.  Needs what step 5 needs.
#  7. sendd: a Secure Neighbor Discovery daemon (RFC 3971) on a SeND
#     socket, in each of two namespaces made for this run, s1 and s2,
#     whose links (xks1, xks2) meet on a bridge in a third, x.  Each
#     `sendd run --secure-only` makes a link-local CGA from its own key
#     (openssl genpkey) and protects its host's ND (NFQUEUE rules for
#     ICMPv6 types 133 to 137 on INPUT and OUTPUT); s1 pings s2's CGA,
#     and the NS and NA between them, captured on s1's port, carry the
#     CGA, RSA Signature, Timestamp and Nonce options as tshark decodes
#     them.  Then x forges an NA for s2's address with its own link
#     address (a packet socket, python3): s1's sendd drops it and s1's
#     neighbour entry keeps s2's link address.  Needs root, ip(8),
#     ip6tables, openssl and the nfqueue backend; the capture tshark, the
#     forgery python3.
#
# Steps 1-3 run on 127.0.0.1.  Every program runs under timeout(1); the
# script kills only the processes it started, deletes the namespaces it
# made (by their names), removes its temporary files and exits non-zero
# if any step failed.
#
# SPDX-License-Identifier: BSD-2-Clause

set -u

ex=./examples
netpeer=./tests/integration/netpeer
# XK_LIVE: how long, in seconds, to wait for an event before giving up
# (the test suite's liveness bound; each wait ends when its event comes).
xk_lib=$(cd "$(dirname "$0")/../tests/lib" && pwd)
. "$xk_lib/xk_test.sh"
limit=$((XK_LIVE + 10))	# seconds any one program may run
udp_count=200		# datagrams the UDP client sends
tcp_bytes=1048576	# size of the file streamed over TCP
# Three echo requests, 200 ms apart; the replies awaited up to XK_LIVE.
ping_args="-c 3 -i 200 -W $((XK_LIVE * 1000))"

pids=""
tmp=""
failed=0
summary=""
netns=""		# namespaces this run made, deleted at exit

cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null
	done
	for p in $pids; do
		wait "$p" 2>/dev/null
	done
	pids=""
	for ns in $netns; do
		ip netns delete "$ns" 2>/dev/null
	done
	netns=""
	if [ -n "$tmp" ]; then
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xkpi-demo.XXXXXX") || exit 1

# note STEP RESULT...: one line of the closing summary.
note() {
	step=$1
	shift
	summary="$summary$(printf '  %-12s %s' "$step" "$*")
"
}

# show FILE: a program's output, indented.
show() {
	sed 's/^/    | /' "$1"
}

# forget PID: the process has been waited for, no need to kill it.
forget() {
	rest=""
	for p in $pids; do
		if [ "$p" != "$1" ]; then
			rest="$rest $p"
		fi
	done
	pids=$rest
}

# port_of NAME LOG PID: wait (XK_LIVE at most) for NAME to print the port
# it listens on, and print it.
port_of() {
	i=0
	while [ $i -lt $((XK_LIVE * 10)) ]; do
		port=$(sed -n \
		    "s/^$1: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p" "$2")
		if [ -n "$port" ]; then
			echo "$port"
			return 0
		fi
		if ! kill -0 "$3" 2>/dev/null; then
			return 1	# it died before listening
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

for prog in $ex/mbuf_packet $ex/udp_echo $ex/tcp_sink $ex/tcp_stream \
    $ex/ping $ex/divert_nat $ex/ipfilter_log $netpeer; do
	if [ ! -x "$prog" ]; then
		echo "demo: $prog is missing (run make first)" >&2
		exit 1
	fi
done

# 1. The mbuf KPI alone.
echo "== 1. mbuf_packet: a packet through the mbuf KPI"
if timeout $limit "$ex/mbuf_packet" >"$tmp/mbuf.out" 2>&1; then
	show "$tmp/mbuf.out"
	note "mbuf" "ok: packet built, tagged, copied and parsed"
else
	show "$tmp/mbuf.out"
	note "mbuf" "FAILED (see above)"
	failed=1
fi

# 2. UDP echo: a server driven by its read upcall, a blocking client.
echo "== 2. udp_echo: $udp_count datagrams through an upcall-driven echo"
timeout $limit "$ex/udp_echo" -p 0 -n $udp_count -t $((limit - 5)) \
    >"$tmp/udp_server.out" 2>&1 &
server=$!
pids="$pids $server"
if port=$(port_of udp_echo "$tmp/udp_server.out" $server); then
	echo "    server on 127.0.0.1:$port"
	timeout $limit "$ex/udp_echo" -c -p "$port" -n $udp_count -t $XK_LIVE \
	    >"$tmp/udp_client.out" 2>&1
	client_rc=$?
	wait $server
	server_rc=$?
	forget $server
	echo "    client:"
	show "$tmp/udp_client.out"
	echo "    server:"
	show "$tmp/udp_server.out"
	line=$(grep '^sent ' "$tmp/udp_client.out")
	if [ $client_rc -eq 0 ] && [ $server_rc -eq 0 ] && \
	    [ "$line" = "sent $udp_count, echoed $udp_count, mismatches 0" ]
	then
		note "udp echo" "ok: $udp_count datagrams of 1..1400 bytes," \
		    "every echo intact"
	else
		note "udp echo" "FAILED (client exit $client_rc," \
		    "server exit $server_rc)"
		failed=1
	fi
else
	show "$tmp/udp_server.out"
	note "udp echo" "FAILED: the server did not start"
	failed=1
fi

# 3. TCP: a sink that accepts from its listener's upcall, a streaming
#    client, and the two ends' counts and hashes compared.
echo "== 3. tcp_stream -> tcp_sink: $tcp_bytes bytes as mbuf chains"
data=$(mktemp "$tmp/data.XXXXXX") || exit 1
head -c $tcp_bytes /dev/urandom >"$data"
timeout $limit "$ex/tcp_sink" -1 -p 0 -t $((limit - 5)) \
    >"$tmp/sink.out" 2>&1 &
sink=$!
pids="$pids $sink"
if port=$(port_of tcp_sink "$tmp/sink.out" $sink); then
	echo "    sink on 127.0.0.1:$port"
	timeout $limit "$ex/tcp_stream" -p "$port" "$data" \
	    >"$tmp/stream.out" 2>&1
	stream_rc=$?
	wait $sink
	sink_rc=$?
	forget $sink
	echo "    client:"
	show "$tmp/stream.out"
	echo "    sink:"
	show "$tmp/sink.out"
	sent=$(sed -n 's/^sent \([0-9]* bytes, fnv1a 0x[0-9a-f]*\)$/\1/p' \
	    "$tmp/stream.out")
	got=$(sed -n 's/^received \([0-9]* bytes, fnv1a 0x[0-9a-f]*\)$/\1/p' \
	    "$tmp/sink.out")
	if [ $stream_rc -eq 0 ] && [ $sink_rc -eq 0 ] && [ -n "$sent" ] && \
	    [ "$sent" = "$got" ] && [ "${sent%% *}" = "$tcp_bytes" ]; then
		note "tcp stream" "ok: $sent, same at both ends"
	else
		note "tcp stream" "FAILED (client exit $stream_rc, sink exit" \
		    "$sink_rc; sent '${sent:-?}', received '${got:-?}')"
		failed=1
	fi
else
	show "$tmp/sink.out"
	note "tcp stream" "FAILED: the sink did not start"
	failed=1
fi

# ping_step STEP COMMAND...: runs one ping, shows what it printed and
# notes the result.  A backend this build lacks is a skip; anything else
# that fails is a failure.
ping_step() {
	step=$1
	shift
	"$@" >"$tmp/ping.out" 2>&1
	rc=$?
	show "$tmp/ping.out"
	line=$(sed -n 's/^\([0-9]* sent, [0-9]* received, .*\)$/\1/p' \
	    "$tmp/ping.out")
	if [ $rc -eq 0 ]; then
		note "$step" "ok: $line"
	elif grep -q '^ping: xkpi_init: Operation not supported' \
	    "$tmp/ping.out"; then
		note "$step" "skipped: backend not built"
	else
		note "$step" "FAILED (exit $rc${line:+; $line})"
		failed=1
	fi
}

# netns_up: the two namespaces and their veth pair, names unique to this
# run.  Every namespace is recorded before anything can fail, so that the
# exit trap deletes it; the veth pair goes with them.
netns_up() {
	ns_a=xkdemo-a-$$
	ns_b=xkdemo-b-$$
	veth_a=xkva$$
	veth_b=xkvb$$
	ip netns add "$ns_a" || return 1
	netns="$netns $ns_a"
	ip netns add "$ns_b" || return 1
	netns="$netns $ns_b"
	ip -n "$ns_a" link add "$veth_a" type veth peer name "$veth_b" \
	    netns "$ns_b" || return 1
	ip -n "$ns_a" addr add 10.201.0.1/24 dev "$veth_a" || return 1
	ip -n "$ns_b" addr add 10.201.0.2/24 dev "$veth_b" || return 1
	# nodad: usable at once, no duplicate detection to wait for.
	have_v6=1
	ip -n "$ns_a" addr add fd00:201::1/64 dev "$veth_a" nodad &&
	    ip -n "$ns_b" addr add fd00:201::2/64 dev "$veth_b" nodad ||
	    have_v6=0
	# The link-local addresses too, or the first neighbour solicitation
	# waits a second for their duplicate detection (best effort).
	if [ $have_v6 -eq 1 ]; then
		ip netns exec "$ns_a" sh -c "echo 0 > \
		    /proc/sys/net/ipv6/conf/$veth_a/accept_dad" 2>/dev/null
		ip netns exec "$ns_b" sh -c "echo 0 > \
		    /proc/sys/net/ipv6/conf/$veth_b/accept_dad" 2>/dev/null
	fi
	for ns in "$ns_a" "$ns_b"; do
		ip -n "$ns" link set lo up || return 1
	done
	ip -n "$ns_a" link set "$veth_a" up || return 1
	ip -n "$ns_b" link set "$veth_b" up || return 1
	# The kernel adds the multicast routes a moment after the link comes
	# up; a neighbour solicitation that arrives before is dropped and the
	# first echo waits a second.  Wait for them (XK_LIVE at most).
	i=0
	while [ $have_v6 -eq 1 ] && [ $i -lt $((XK_LIVE * 20)) ]; do
		if [ -n "$(ip -n "$ns_a" -6 route show table local ff00::/8 \
		    dev "$veth_a" 2>/dev/null)" ] &&
		    [ -n "$(ip -n "$ns_b" -6 route show table local ff00::/8 \
		    dev "$veth_b" 2>/dev/null)" ]; then
			break
		fi
		sleep 0.05
		i=$((i + 1))
	done
	return 0
}

# 4. ping: over a veth pair between namespaces, or in-process over mem.
use_netns=0
if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null 2>&1; then
	if netns_up 2>"$tmp/netns.err"; then
		use_netns=1
	else
		echo "demo: no network namespaces here, ping uses --mem:"
		show "$tmp/netns.err"
		for ns in $netns; do
			ip netns delete "$ns" 2>/dev/null
		done
		netns=""
	fi
fi
if [ $use_netns -eq 1 ]; then
	echo "== 4. ping: from $ns_a ($veth_a) to $ns_b ($veth_b), whose" \
	    "kernel answers"
	for be in linux pcap; do
		echo "  -- XKPI_BACKEND=$be ping $ping_args 10.201.0.2"
		ping_step "ping $be" ip netns exec "$ns_a" env \
		    XKPI_BACKEND=$be XKPI_IFACES="$veth_a" \
		    timeout $limit "$ex/ping" $ping_args 10.201.0.2
		if [ $have_v6 -eq 0 ]; then
			note "ping6 $be" "skipped: no IPv6 in the namespaces"
			continue
		fi
		echo "  -- XKPI_BACKEND=$be ping -6 $ping_args fd00:201::2"
		ping_step "ping6 $be" ip netns exec "$ns_a" env \
		    XKPI_BACKEND=$be XKPI_IFACES="$veth_a" \
		    timeout $limit "$ex/ping" -6 $ping_args fd00:201::2
	done
else
	echo "== 4. ping --mem: an echo responder kext in the same process," \
	    "over two linked mem interfaces"
	echo "  -- ping --mem $ping_args"
	ping_step "ping mem" timeout $limit "$ex/ping" --mem $ping_args
	echo "  -- ping --mem -6 $ping_args"
	ping_step "ping6 mem" timeout $limit "$ex/ping" --mem -6 $ping_args
fi

# wait_line FILE PATTERN PID: wait (XK_LIVE at most) until FILE has a line
# matching PATTERN; 1 if PID ended first or the time is up.
wait_line() {
	i=0
	while [ $i -lt $((XK_LIVE * 10)) ]; do
		if grep -q "$2" "$1" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$3" 2>/dev/null; then
			grep -q "$2" "$1" 2>/dev/null
			return
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# stop_job PID: SIGTERM (timeout(1) passes it on), then wait for it.
stop_job() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	forget "$1"
}

# nat_up: the three namespaces and their two veth pairs, names unique to
# this run, each recorded before anything can fail; the NFQUEUE rules in
# nat skip the packets the library marks as its own (0x786b).
nat_up() {
	ns_c=xkdemo-c-$$
	ns_n=xkdemo-n-$$
	ns_s=xkdemo-s-$$
	for ns in "$ns_c" "$ns_n" "$ns_s"; do
		ip netns add "$ns" || return 1
		netns="$netns $ns"
		ip -n "$ns" link set lo up || return 1
	done
	ip link add name xkc0 netns "$ns_c" type veth peer name xkn0 \
	    netns "$ns_n" || return 1
	ip link add name xkn1 netns "$ns_n" type veth peer name xks0 \
	    netns "$ns_s" || return 1
	ip -n "$ns_c" addr add 10.1.0.2/24 dev xkc0 || return 1
	ip -n "$ns_n" addr add 10.1.0.1/24 dev xkn0 || return 1
	ip -n "$ns_n" addr add 10.2.0.1/24 dev xkn1 || return 1
	ip -n "$ns_s" addr add 10.2.0.2/24 dev xks0 || return 1
	ip -n "$ns_c" link set xkc0 up || return 1
	ip -n "$ns_n" link set xkn0 up || return 1
	ip -n "$ns_n" link set xkn1 up || return 1
	ip -n "$ns_s" link set xks0 up || return 1
	ip -n "$ns_c" route add default via 10.1.0.1 || return 1
	ip netns exec "$ns_n" sysctl -q -w net.ipv4.ip_forward=1 || return 1
	for chain in PREROUTING POSTROUTING; do
		ip netns exec "$ns_n" iptables -t mangle -A $chain -m mark ! \
		    --mark 0x786b -j NFQUEUE --queue-num 0 --queue-bypass ||
		    return 1
	done
	return 0
}

# nat_udp: datagrams from the client to the server's echo and back.
nat_udp() {
	timeout $limit ip netns exec "$ns_s" "$netpeer" udp-serve 7000 \
	    $nat_dgrams $((limit - 5)) >"$tmp/nat_usrv.out" 2>&1 &
	usrv=$!
	pids="$pids $usrv"
	if ! wait_line "$tmp/nat_usrv.out" '^ready' $usrv; then
		show "$tmp/nat_usrv.out"
		note "nat udp" "FAILED: the server did not start"
		failed=1
		return
	fi
	timeout $limit ip netns exec "$ns_c" "$netpeer" udp-send 10.2.0.2 \
	    7000 $nat_dgrams $XK_LIVE >"$tmp/nat_ucli.out" 2>&1
	ucli_rc=$?
	wait $usrv
	usrv_rc=$?
	forget $usrv
	echo "    client: $(tail -n 1 "$tmp/nat_ucli.out")"
	echo "    server: datagrams by source:"
	sed -n 's/^from \([^ ]*\) .*/\1/p' "$tmp/nat_usrv.out" | sort |
	    uniq -c | sed 's/^ */    | /'
	seen=$(sed -n 's/^from \([0-9.]*\):.*/\1/p' "$tmp/nat_usrv.out" |
	    sort -u | tr '\n' ' ')
	if [ $ucli_rc -eq 0 ] && [ $usrv_rc -eq 0 ] &&
	    [ "$seen" = "10.2.0.1 " ]; then
		note "nat udp" "ok: $nat_dgrams datagrams echoed; the server" \
		    "saw only 10.2.0.1"
	else
		note "nat udp" "FAILED (client exit $ucli_rc, server exit" \
		    "$usrv_rc, sources seen: ${seen:-none})"
		failed=1
	fi
}

# nat_tcp: 1 MiB from the client to the server, hashed at both ends.
nat_tcp() {
	head -c $tcp_bytes /dev/urandom >"$tmp/nat_data" || return 1
	timeout $limit ip netns exec "$ns_s" "$netpeer" tcp-serve 8000 \
	    "$tmp/nat_got" $((limit - 5)) >"$tmp/nat_tsrv.out" 2>&1 &
	tsrv=$!
	pids="$pids $tsrv"
	if ! wait_line "$tmp/nat_tsrv.out" '^ready' $tsrv; then
		show "$tmp/nat_tsrv.out"
		note "nat tcp" "FAILED: the server did not start"
		failed=1
		return
	fi
	timeout $limit ip netns exec "$ns_c" "$netpeer" tcp-send 10.2.0.2 \
	    8000 "$tmp/nat_data" $XK_LIVE >"$tmp/nat_tcli.out" 2>&1
	tcli_rc=$?
	wait $tsrv
	tsrv_rc=$?
	forget $tsrv
	echo "    client:"
	show "$tmp/nat_tcli.out"
	echo "    server:"
	grep -v '^ready' "$tmp/nat_tsrv.out" | sed 's/^/    | /'
	sent=$(sha256sum <"$tmp/nat_data" | cut -d' ' -f1)
	got=$(sha256sum <"$tmp/nat_got" 2>/dev/null | cut -d' ' -f1)
	echo "    sha256 sent     $sent"
	echo "    sha256 received $got"
	peer=$(sed -n 's/^peer \([0-9.]*\):.*/\1/p' "$tmp/nat_tsrv.out")
	if [ $tcli_rc -eq 0 ] && [ $tsrv_rc -eq 0 ] && [ "$sent" = "$got" ] &&
	    [ "$peer" = 10.2.0.1 ]; then
		note "nat tcp" "ok: $tcp_bytes bytes, the same sha256 at both" \
		    "ends; the server's peer was 10.2.0.1"
	else
		note "nat tcp" "FAILED (client exit $tcli_rc, server exit" \
		    "$tsrv_rc, peer ${peer:-none})"
		failed=1
	fi
}

# 5. NAT: client -> divert_nat -> server, across three namespaces.
nat_dgrams=20
nat_rule="divert 8668 ip from any to any via xkn1"
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null 2>&1 ||
    ! command -v iptables >/dev/null 2>&1; then
	echo "== 5. divert_nat: skipped (needs root, ip(8) and iptables)"
	note "nat" "skipped: needs root, ip(8) and iptables"
elif ! nat_up 2>"$tmp/nat_up.err"; then
	echo "== 5. divert_nat: skipped, no namespaces or NFQUEUE here:"
	show "$tmp/nat_up.err"
	note "nat" "skipped: no namespaces or NFQUEUE here"
else
	echo "== 5. divert_nat: client $ns_c (10.1.0.2) -> nat $ns_n" \
	    "(10.1.0.1 | 10.2.0.1) -> server $ns_s (10.2.0.2)"
	echo "  -- XKPI_BACKEND=nfqueue divert_nat -i 10.1.0.0/24" \
	    "-a 10.2.0.1 -r '$nat_rule'"
	timeout $limit ip netns exec "$ns_n" env XKPI_BACKEND=nfqueue \
	    XKPI_IFACES=xkn0,xkn1 "$ex/divert_nat" -i 10.1.0.0/24 \
	    -a 10.2.0.1 -r "$nat_rule" -t $((limit - 5)) \
	    >"$tmp/nat.out" 2>&1 &
	natd=$!
	pids="$pids $natd"
	if wait_line "$tmp/nat.out" '^divert_nat: ready' $natd; then
		echo "  -- ping (linux backend) from the client to 10.2.0.2"
		ping_step "nat ping" ip netns exec "$ns_c" env \
		    XKPI_BACKEND=linux XKPI_IFACES=xkc0 \
		    timeout $limit "$ex/ping" $ping_args 10.2.0.2
		echo "  -- UDP: $nat_dgrams datagrams to the server's echo"
		nat_udp
		echo "  -- TCP: $tcp_bytes bytes to the server"
		nat_tcp
		stop_job $natd
		echo "  -- divert_nat:"
		show "$tmp/nat.out"
	else
		stop_job $natd
		show "$tmp/nat.out"
		if grep -q 'xkpi_init: Operation not supported' \
		    "$tmp/nat.out"; then
			note "nat" "skipped: nfqueue backend not built"
		else
			note "nat" "FAILED: divert_nat did not start"
			failed=1
		fi
	fi
fi

# ipf_up: the filter and peer namespaces and their veth pair, names unique
# to this run, each recorded before anything can fail; NFQUEUE rules on
# filter's INPUT and OUTPUT, the library's own packets (0x786b) excepted.
ipf_up() {
	ns_f=xkdemo-f-$$
	ns_p=xkdemo-p-$$
	for ns in "$ns_f" "$ns_p"; do
		ip netns add "$ns" || return 1
		netns="$netns $ns"
		ip -n "$ns" link set lo up || return 1
	done
	ip link add name xkf0 netns "$ns_f" type veth peer name xkp0 \
	    netns "$ns_p" || return 1
	ip -n "$ns_f" addr add 10.3.0.1/24 dev xkf0 || return 1
	ip -n "$ns_p" addr add 10.3.0.2/24 dev xkp0 || return 1
	ip -n "$ns_f" link set xkf0 up || return 1
	ip -n "$ns_p" link set xkp0 up || return 1
	for chain in INPUT OUTPUT; do
		ip netns exec "$ns_f" iptables -A $chain -m mark ! \
		    --mark 0x786b -j NFQUEUE --queue-num 0 --queue-bypass ||
		    return 1
	done
	return 0
}

# ipf_blocked: a listener on the blocked port, and the peer's connect to
# it, which must fail (its SYNs dropped: no answer, not even a reset).
ipf_blocked() {
	timeout $limit ip netns exec "$ns_f" "$netpeer" tcp-serve $ipf_block \
	    "$tmp/ipf_blocked" $((limit - 5)) >"$tmp/ipf_bsrv.out" 2>&1 &
	bsrv=$!
	pids="$pids $bsrv"
	if ! wait_line "$tmp/ipf_bsrv.out" '^ready' $bsrv; then
		stop_job $bsrv
		show "$tmp/ipf_bsrv.out"
		note "ipf block" "FAILED: the listener did not start"
		failed=1
		return
	fi
	timeout $limit ip netns exec "$ns_p" "$netpeer" tcp-send 10.3.0.1 \
	    $ipf_block "$tmp/ipf_data" 3 >"$tmp/ipf_bcli.out" 2>&1
	bcli_rc=$?
	stop_job $bsrv
	show "$tmp/ipf_bcli.out"
	if [ $bcli_rc -ne 0 ] &&
	    grep -q '^netpeer: connect: ' "$tmp/ipf_bcli.out" &&
	    ! grep -q refused "$tmp/ipf_bcli.out" &&
	    ! grep -q '^peer ' "$tmp/ipf_bsrv.out"; then
		note "ipf block" "ok: the connect to port $ipf_block failed," \
		    "unanswered"
	else
		note "ipf block" "FAILED: the connect to port $ipf_block was" \
		    "not blocked (exit $bcli_rc)"
		failed=1
	fi
}

# ipf_tcp: 1 MiB from the peer to port 7001, hashed at both ends.
ipf_tcp() {
	timeout $limit ip netns exec "$ns_f" "$netpeer" tcp-serve 7001 \
	    "$tmp/ipf_got" $((limit - 5)) >"$tmp/ipf_tsrv.out" 2>&1 &
	tsrv=$!
	pids="$pids $tsrv"
	if ! wait_line "$tmp/ipf_tsrv.out" '^ready' $tsrv; then
		stop_job $tsrv
		show "$tmp/ipf_tsrv.out"
		note "ipf tcp" "FAILED: the server did not start"
		failed=1
		return
	fi
	timeout $limit ip netns exec "$ns_p" "$netpeer" tcp-send 10.3.0.1 \
	    7001 "$tmp/ipf_data" $XK_LIVE >"$tmp/ipf_tcli.out" 2>&1
	tcli_rc=$?
	wait $tsrv
	tsrv_rc=$?
	forget $tsrv
	show "$tmp/ipf_tcli.out"
	sent=$(sha256sum <"$tmp/ipf_data" | cut -d' ' -f1)
	got=$(sha256sum <"$tmp/ipf_got" 2>/dev/null | cut -d' ' -f1)
	echo "    sha256 sent     $sent"
	echo "    sha256 received $got"
	if [ $tcli_rc -eq 0 ] && [ $tsrv_rc -eq 0 ] && [ "$sent" = "$got" ]
	then
		note "ipf tcp" "ok: $tcp_bytes bytes to port 7001, the same" \
		    "sha256 at both ends"
	else
		note "ipf tcp" "FAILED (client exit $tcli_rc, server exit" \
		    "$tsrv_rc)"
		failed=1
	fi
}

# 6. An IP filter kext on a namespace's real traffic.
ipf_block=7000
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null 2>&1 ||
    ! command -v iptables >/dev/null 2>&1; then
	echo "== 6. ipfilter_log: skipped (needs root, ip(8) and iptables)"
	note "ipf" "skipped: needs root, ip(8) and iptables"
elif ! ipf_up 2>"$tmp/ipf_up.err"; then
	echo "== 6. ipfilter_log: skipped, no namespaces or NFQUEUE here:"
	show "$tmp/ipf_up.err"
	note "ipf" "skipped: no namespaces or NFQUEUE here"
else
	echo "== 6. ipfilter_log: an IP filter kext on $ns_f's traffic" \
	    "(10.3.0.1), peer $ns_p (10.3.0.2)"
	echo "  -- XKPI_BACKEND=nfqueue ipfilter_log -b $ipf_block"
	timeout $limit ip netns exec "$ns_f" env XKPI_BACKEND=nfqueue \
	    "$ex/ipfilter_log" -b $ipf_block -t $((limit - 5)) \
	    >"$tmp/ipf.out" 2>&1 &
	ipfd=$!
	pids="$pids $ipfd"
	if wait_line "$tmp/ipf.out" '^ipfilter_log: ready' $ipfd; then
		head -c $tcp_bytes /dev/urandom >"$tmp/ipf_data"
		echo "  -- TCP connect from the peer to port $ipf_block" \
		    "(blocked), 3 s given"
		ipf_blocked
		echo "  -- ping (linux backend) from the peer to 10.3.0.1"
		ping_step "ipf ping" ip netns exec "$ns_p" env \
		    XKPI_BACKEND=linux XKPI_IFACES=xkp0 \
		    timeout $limit "$ex/ping" $ping_args 10.3.0.1
		echo "  -- TCP: $tcp_bytes bytes from the peer to port 7001"
		ipf_tcp
		stop_job $ipfd
		echo "  -- ipfilter_log (stopped: filters removed, flow table):"
		show "$tmp/ipf.out"
		# dir, if, proto, source, destination, packets, bytes,
		# blocked: the SYNs to the blocked port, each one blocked.
		flow="^  in +xkf0 +tcp +10\.3\.0\.2:[0-9]+ +10\.3\.0\.1:"
		flow="$flow$ipf_block +[0-9]+ +[0-9]+ +[1-9][0-9]*\$"
		if grep -q '^ipfilter_log: filters removed and detached' \
		    "$tmp/ipf.out" && grep -Eq "$flow" "$tmp/ipf.out"; then
			note "ipf flows" "ok: filters detached; the flow table" \
			    "lists the blocked flow"
		else
			note "ipf flows" "FAILED: no detach, or no blocked" \
			    "flow in the table"
			failed=1
		fi
	else
		stop_job $ipfd
		show "$tmp/ipf.out"
		if grep -q 'xkpi_init: Operation not supported' \
		    "$tmp/ipf.out"; then
			note "ipf" "skipped: nfqueue backend not built"
		else
			note "ipf" "FAILED: ipfilter_log did not start"
			failed=1
		fi
	fi
fi

# snd_up: s1 and s2 on x's bridge, names unique to this run, each
# recorded before anything can fail; the hosts' kernels make no
# link-local address of their own, x has no IPv6; NFQUEUE rules for ND in
# s1 and s2, the library's own packets (0x786b) excepted.
snd_up() {
	ns_s1=xkdemo-s1-$$
	ns_s2=xkdemo-s2-$$
	ns_x=xkdemo-x-$$
	for ns in "$ns_s1" "$ns_s2" "$ns_x"; do
		ip netns add "$ns" || return 1
		netns="$netns $ns"
		ip -n "$ns" link set lo up || return 1
	done
	ip netns exec "$ns_x" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
	    >/dev/null || return 1
	ip netns exec "$ns_x" sysctl -qw \
	    net.ipv6.conf.default.disable_ipv6=1 >/dev/null || return 1
	ip -n "$ns_x" link add xkbr type bridge mcast_snooping 0 || return 1
	for h in 1 2; do
		eval "ns=\$ns_s$h"
		ip link add name xks$h netns "$ns" type veth peer name \
		    xkx$h netns "$ns_x" || return 1
		ip -n "$ns" link set xks$h addrgenmode none || return 1
		ip -n "$ns_x" link set xkx$h master xkbr up || return 1
		for chain in INPUT OUTPUT; do
			for t in 133 134 135 136 137; do
				ip netns exec "$ns" ip6tables -A $chain \
				    -p icmpv6 --icmpv6-type $t -m mark ! \
				    --mark 0x786b -j NFQUEUE --queue-num 0 \
				    --queue-bypass || return 1
			done
		done
	done
	ip -n "$ns_x" link set xkbr address 02:00:5e:dd:00:0c up || return 1
	ip -n "$ns_s1" link set xks1 up || return 1
	ip -n "$ns_s2" link set xks2 up || return 1
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 \
	    -out "$tmp/s1.pem" 2>/dev/null || return 1
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 \
	    -out "$tmp/s2.pem" 2>/dev/null || return 1
}

# snd_start N: sendd --secure-only in sN, on nfqueue; its pid in $sndd.
snd_start() {
	eval "ns=\$ns_s$1"
	timeout $limit ip netns exec "$ns" "$ex/sendd" run -i xks$1 \
	    -k "$tmp/s$1.pem" --secure-only -v -t $((limit - 5)) \
	    >"$tmp/sendd$1.out" 2>&1 &
	sndd=$!
	pids="$pids $sndd"
	wait_line "$tmp/sendd$1.out" '^sendd: ready' $sndd
}

# snd_forge: x sends s1 an NA for s2's CGA with x's link address
# (override), unsigned, on a packet socket.
snd_forge() {
	ip netns exec "$ns_x" python3 - xkbr 02:00:5e:dd:00:0c "$mac1" \
	    "$addr2" "$addr1" <<'PY'
import socket, struct, sys
ifn, smac, dmac, src, dst = sys.argv[1:6]
mac = lambda s: bytes.fromhex(s.replace(":", ""))
a6 = lambda s: socket.inet_pton(socket.AF_INET6, s)
body = struct.pack("!BBHI", 136, 0, 0, 0x20 << 24) + a6(src) + \
    bytes([2, 1]) + mac(smac)
ph = a6(src) + a6(dst) + struct.pack("!I3xB", len(body), 58) + body
s = sum(struct.unpack("!%dH" % (len(ph) // 2), ph))
while s >> 16:
    s = (s & 0xffff) + (s >> 16)
body = body[:2] + struct.pack("!H", ~s & 0xffff) + body[4:]
ip6 = struct.pack("!IHBB", 6 << 28, len(body), 58, 255) + a6(src) + a6(dst)
sk = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
sk.bind((ifn, 0))
sk.send(mac(dmac) + mac(smac) + b"\x86\xdd" + ip6 + body)
PY
}

# snd_lladdr: s1's neighbour entry's link address for s2's CGA.
snd_lladdr() {
	ip -n "$ns_s1" -6 neigh show "$addr2" dev xks1 |
	    sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p'
}

# snd_tshark: the capture stopped, its NS and NA, one NS decoded.
snd_tshark() {
	sleep 1
	kill -INT $tsh 2>/dev/null
	wait $tsh 2>/dev/null
	forget $tsh
	echo "  -- tshark: the NS and NA on s1's port (DAD's, then the ping's)"
	tshark -n -r "$tmp/snd.pcap" -Y "icmpv6.type == 135 ||
	    icmpv6.type == 136" 2>/dev/null | head -n 8 | sed 's/^/    | /'
	tshark -n -r "$tmp/snd.pcap" -V -Y "icmpv6.type == 135" \
	    >"$tmp/snd_ns.txt" 2>/dev/null
	opts='^    (Type|Target)|^ *ICMPv6 Option'
	opts="$opts|^ *(Modifier|Key Hash|Timestamp|Nonce):"
	sed -n '/^Internet Control Message Protocol v6/,/^Frame /p' \
	    "$tmp/snd_ns.txt" | grep -E "$opts" | sed 's/^/    | /'
	for o in CGA "RSA Signature" Timestamp Nonce; do
		if ! grep -q "ICMPv6 Option ($o)" "$tmp/snd_ns.txt"; then
			note "send tshark" "FAILED: no $o option decoded"
			failed=1
			return
		fi
	done
	if grep -qi malformed "$tmp/snd_ns.txt"; then
		note "send tshark" "FAILED: malformed"
		failed=1
		return
	fi
	note "send tshark" "ok: CGA, RSA Signature, Timestamp and Nonce" \
	    "options decoded"
}

# snd_forged: x's forged NA, dropped by s1's sendd; s2's entry kept.
snd_forged() {
	echo "  -- x forges an NA for $addr2 with its own link address, to s1"
	snd_forge
	drop="^sendd: in NA $addr2 > $addr1 len 72 .*in.drop.unsecured"
	if wait_line "$tmp/sendd1.out" "$drop" $s1d &&
	    [ "$(snd_lladdr)" = "$mac2" ]; then
		note "send forged" "ok: s1's sendd dropped the forged NA," \
		    "s2's entry kept $mac2"
	else
		note "send forged" "FAILED: the forged NA was not dropped"
		failed=1
	fi
	ip -n "$ns_s1" -6 neigh show dev xks1 | sed 's/^/    | /'
}

# snd_run: both daemons up: the ping, the capture, the forgery.
snd_run() {
	addr1=$(sed -n 's/^sendd: address \([^,]*\),.*/\1/p' "$tmp/sendd1.out")
	addr2=$(sed -n 's/^sendd: address \([^,]*\),.*/\1/p' "$tmp/sendd2.out")
	mac1=$(ip -n "$ns_s1" link show xks1 | awk '/link\/ether/ {print $2}')
	mac2=$(ip -n "$ns_s2" link show xks2 | awk '/link\/ether/ {print $2}')
	echo "  -- s1: $addr1 ($mac1), s2: $addr2 ($mac2)"
	echo "  -- ping -6 -c 3 from s1 to s2's CGA"
	if ip netns exec "$ns_s1" timeout $limit ping -6 -n -c 3 -i 0.2 \
	    -W $XK_LIVE "$addr2%xks1" >"$tmp/snd_ping.out" 2>&1 &&
	    [ "$(snd_lladdr)" = "$mac2" ]; then
		note "send ping" "ok: s1 reached s2's CGA, ND signed and" \
		    "verified"
	else
		note "send ping" "FAILED: s1 did not reach s2's CGA"
		failed=1
	fi
	show "$tmp/snd_ping.out"
	if [ $cap -eq 1 ]; then
		snd_tshark
	else
		note "send tshark" "skipped: no tshark"
	fi
	if command -v python3 >/dev/null 2>&1; then
		snd_forged
	else
		note "send forged" "skipped: no python3"
	fi
}

# 7. SeND: two hosts protecting their Neighbor Discovery, one forger.
s1d="" s2d=""
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null 2>&1 ||
    ! command -v ip6tables >/dev/null 2>&1 ||
    ! command -v openssl >/dev/null 2>&1; then
	echo "== 7. sendd: skipped (needs root, ip(8), ip6tables, openssl)"
	note "send" "skipped: needs root, ip(8), ip6tables and openssl"
elif ! snd_up 2>"$tmp/snd_up.err"; then
	echo "== 7. sendd: skipped, no namespaces or NFQUEUE here:"
	show "$tmp/snd_up.err"
	note "send" "skipped: no namespaces or NFQUEUE here"
else
	echo "== 7. sendd: SeND in $ns_s1 and $ns_s2, on a bridge in $ns_x"
	# The capture on s1's port first: it sees the daemons start.
	cap=0
	if command -v tshark >/dev/null 2>&1; then
		timeout $limit ip netns exec "$ns_x" tshark -n -i xkx1 \
		    -f icmp6 -w "$tmp/snd.pcap" >"$tmp/tshark.out" 2>&1 &
		tsh=$!
		pids="$pids $tsh"
		wait_line "$tmp/tshark.out" 'Capture started' $tsh && cap=1
	fi
	echo "  -- sendd run -i xks1 -k s1.pem --secure-only (and s2)"
	if snd_start 1 && s1d=$sndd && snd_start 2; then
		s2d=$sndd
		snd_run
		stop_job $s1d
		stop_job $s2d
		echo "  -- sendd in s1 (stopped):"
		show "$tmp/sendd1.out"
	else
		for p in $sndd $s1d; do
			stop_job "$p"
		done
		show "$tmp/sendd1.out"
		[ -f "$tmp/sendd2.out" ] && show "$tmp/sendd2.out"
		if grep -q 'xkpi_init: Operation not supported' \
		    "$tmp/sendd1.out"; then
			note "send" "skipped: nfqueue backend not built"
		else
			note "send" "FAILED: sendd did not start"
			failed=1
		fi
	fi
fi

echo "== summary"
printf '%s' "$summary"
if [ $failed -ne 0 ]; then
	echo "demo: FAILED"
	exit 1
fi
echo "demo: all steps passed"
exit 0
