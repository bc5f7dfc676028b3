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
#
# Steps 1-3 run on 127.0.0.1.  Every program runs under timeout(1); the
# script kills only the processes it started, deletes the namespaces it
# made (by their names), removes its temporary files and exits non-zero
# if any step failed.
#
# SPDX-License-Identifier: BSD-2-Clause

set -u

ex=./examples
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

for prog in mbuf_packet udp_echo tcp_sink tcp_stream ping; do
	if [ ! -x "$ex/$prog" ]; then
		echo "demo: $ex/$prog is missing (run make first)" >&2
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

echo "== summary"
printf '%s' "$summary"
if [ $failed -ne 0 ]; then
	echo "demo: FAILED"
	exit 1
fi
echo "demo: all steps passed"
exit 0
