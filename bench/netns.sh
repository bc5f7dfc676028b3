#!/bin/sh
# Runs one raw IP benchmark between two network namespaces of its own:
#
#	netns.sh program [args...]
#
# makes xkb-a-PID and xkb-b-PID joined by a veth pair (10.203.0.1/24 in
# a, 10.203.0.2/24 in b), runs the program inside a with XKB_IF_A,
# XKB_IF_B and XKB_NS_B in its environment (the program's threads join b
# by that path), and removes both namespaces on every exit path.  Needs
# root (CAP_SYS_ADMIN and CAP_NET_RAW).
#
# SPDX-License-Identifier: BSD-2-Clause

if [ $# -lt 1 ]; then
	echo "usage: netns.sh program [args...]" >&2
	exit 2
fi
if [ "$(id -u)" != 0 ]; then
	echo "netns.sh: needs root" >&2
	exit 77
fi

nsa=xkb-a-$$
nsb=xkb-b-$$
ifa=xkva
ifb=xkvb
pid=

# shellcheck disable=SC2317  # called by the traps
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	ip netns del "$nsa" 2>/dev/null
	ip netns del "$nsb" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

ip netns add "$nsa" || exit 1
ip netns add "$nsb" || exit 1
# Made inside a, so the names never meet another run's.
ip -n "$nsa" link add "$ifa" type veth peer name "$ifb" netns "$nsb" ||
    exit 1
ip -n "$nsa" addr add 10.203.0.1/24 dev "$ifa" || exit 1
ip -n "$nsb" addr add 10.203.0.2/24 dev "$ifb" || exit 1
# More sources in b, for benchmarks that spread address pairs over loops.
for i in 11 12 13 14 15 16 17 18; do
	ip -n "$nsb" addr add "10.203.0.$i/24" dev "$ifb" || exit 1
done
for ns in "$nsa" "$nsb"; do
	ip -n "$ns" link set lo up || exit 1
done
ip -n "$nsa" link set "$ifa" up || exit 1
ip -n "$nsb" link set "$ifb" up || exit 1
# Resolve the neighbours before timing anything.
ip netns exec "$nsa" ping -c 1 -W 2 10.203.0.2 >/dev/null 2>&1

XKB_IF_A=$ifa XKB_IF_B=$ifb XKB_NS_B=/run/netns/$nsb \
    ip netns exec "$nsa" "$@" &
pid=$!
wait "$pid"
rc=$?
pid=
exit $rc
