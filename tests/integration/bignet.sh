#!/bin/sh
# Packets larger than a link: fragments on a veth pair and loopback's
# 64 KiB MTU, per host backend, with examples/ping as the kext.  TAP; run
# from the build directory.
#
#   <be>: fragmented echo v4    ping -s 4000 to a peer with MTU 1500: the
#   <be>: fragmented echo v6    library cuts the requests, the peer's
#                               kernel reassembles them and answers in
#                               fragments the library puts back together
#                               (ip.frag.* / ip6.frag.* counted)
#   linux <mode>: loopback      ping 127.0.0.1 on lo (MTU 65536, more than
#                               a cluster), ring and mmsg receive
#
# Namespaces and veth names are this run's own, addresses only
# 10.205.0.0/24 and fd00:205::/64 inside them; every program runs under
# timeout(1); the namespaces go on any exit.  Skipped without root, ip(8)
# or timeout(1); a backend this build lacks is a skip.
# SPDX-License-Identifier: BSD-2-Clause

builddir=$(pwd)
xk_lib=$(cd "$(dirname "$0")/../lib" && pwd)
. "$xk_lib/xk_test.sh"		# XK_LIVE: the liveness bound, seconds
# shellcheck source=SCRIPTDIR/../lib/xk_tap.sh
. "$xk_lib/xk_tap.sh"		# tap_*, cleanup
PING=$builddir/examples/ping
WRAP=${XK_TEST_WRAPPER:-}
LIMIT=$((XK_LIVE * 2))		# a program's whole run
# The last replies: ping waits for them as long as the suite waits.
REPLY_MS=$((XK_LIVE * 1000))
CASES="linux: fragmented echo v4
linux: fragmented echo v6
pcap: fragmented echo v4
pcap: fragmented echo v6
linux ring: loopback
linux mmsg: loopback"

skip_all() {
	printf '%s\n' "$CASES" | tap_skip_each "$1"
	exit 0
}

cleanup_on_exit
need_root_netns
[ -x "$PING" ] || skip_all "$PING not built"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bignet.XXXXXX") || exit 1
out=$tmp/ping.out

# case NAME WANT NS ENV... -- PING-ARGS...: one ping in NS; ok when it
# exits 0 and its counters include every "name value" line of WANT.
case_run() {
	name=$1 want=$2 ns=$3
	shift 3
	ip netns exec "$ns" env "$@" >"$out" 2>&1
	rc=$?
	sed 's/^/# /' "$out"
	if grep -q 'xkpi_init: Operation not supported' "$out"; then
		tap_skip "$name" "backend not built"
		return
	fi
	if [ $rc -eq 0 ] && printf '%s\n' "$want" | while read -r line; do
		[ -z "$line" ] && continue
		grep -q "^  $line\$" "$out" || exit 1
	done; then
		tap_ok "$name"
	else
		tap_fail "$name"
	fi
}

a=xkbig-a-$$ b=xkbig-b-$$ va=xkga$$ vb=xkgb$$
ip netns add "$a" && nslist="$a" && ip netns add "$b" &&
    nslist="$nslist $b" &&
    ip -n "$a" link add "$va" type veth peer name "$vb" netns "$b" &&
    ip -n "$a" addr add 10.205.0.1/24 dev "$va" &&
    ip -n "$b" addr add 10.205.0.2/24 dev "$vb" &&
    ip -n "$a" addr add fd00:205::1/64 dev "$va" nodad &&
    ip -n "$b" addr add fd00:205::2/64 dev "$vb" nodad &&
    ip -n "$a" link set lo up && ip -n "$b" link set lo up &&
    ip -n "$a" link set "$va" up && ip -n "$b" link set "$vb" up ||
    skip_all "cannot make network namespaces here"
# The peer's IPv6 multicast routes arrive a moment after the link is up.
i=0
while [ $i -lt $((XK_LIVE * 20)) ] && [ -z "$(ip -n "$b" -6 route show \
    table local ff00::/8 dev "$vb" 2>/dev/null)" ]; do
	sleep 0.05
	i=$((i + 1))
done

# 4000 bytes of echo data over MTU 1500: 3 fragments each way, 2 echoes.
for be in linux pcap; do
	case_run "$be: fragmented echo v4" "ip.frag.fragmented 2
ip.frag.out 6
ip.frag.reassembled 2" "$a" XKPI_BACKEND=$be XKPI_IFACES="$va" \
	    timeout $LIMIT $WRAP "$PING" -s 4000 -c 2 -i 100 -W $REPLY_MS \
	    10.205.0.2
	case_run "$be: fragmented echo v6" "ip6.frag.fragmented 2
ip6.frag.out 6
ip6.frag.reassembled 2" "$a" XKPI_BACKEND=$be XKPI_IFACES="$va" \
	    timeout $LIMIT $WRAP "$PING" -6 -s 4000 -c 2 -i 100 -W $REPLY_MS \
	    fd00:205::2
done
# Loopback: the requests loop back as input too (counted as "other").
for mode in ring mmsg; do
	case_run "linux $mode: loopback" "ip.delivered 4" "$a" \
	    XKPI_BACKEND=linux XKPI_LINUX_RX=$mode XKPI_IFACES=lo \
	    timeout $LIMIT $WRAP "$PING" -c 2 -i 100 -W $REPLY_MS 127.0.0.1
done
echo "1..$n"
exit $failed
