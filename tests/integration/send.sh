#!/bin/sh
# SeND sockets on the host's own Neighbor Discovery (spec section 7,
# netinet6/send.h), over the nfqueue backend, reported as TAP.  Run from
# the build directory, as root.
#
# Two namespaces joined by a veth pair, no DAD:
#   a (the library):  xka0  fd00:5e::1/64; NFQUEUE 0 on INPUT and OUTPUT
#                     for ICMPv6 types 133 to 137, packets marked 0x786b
#                     (the library's own) excepted, --queue-bypass
#   b (the peer):     xkb0  fd00:5e::2/64
# with tests/integration/sendnd in a holding the SeND socket, and ping
# from a to b after a's neighbour cache is flushed, so that a resolves b
# (its NS out, b's NA in) each time:
#   no daemon                 ping works: the queue is bypassed
#   incoming NA dropped       sendnd -d 136: ping fails, a's entry for b
#                             stays unresolved; sendnd saw a's NS go out
#                             (and passed it) and b's NA come in (and
#                             dropped it)
#   closing restores ND       the same sendnd closes its socket (SIGUSR1)
#                             and runs on: ping works
#   everything written back   sendnd passing all: ping works; it saw the
#                             NS out and the NA in, every write-back
#                             answered its held message (send.answered),
#                             none refused
#   kill -9, ND recovers      sendnd -d 136 killed with SIGKILL: ping
#                             works (--queue-bypass)
#   rules removed             the test's ip6tables rules deleted: none of
#                             them is left in a
# Everything is skipped without root, ip(8), timeout(1), ping(8) or
# ip6tables (or its NFQUEUE target), or when the nfqueue backend is not
# built (sendnd's xkpi_init answers "not supported").  Every wait is for
# its event, bounded by the liveness bound; the namespaces (and with them
# the rules) and the processes this script made are removed by name and
# pid on any exit.  XK_TEST_WRAPPER (valgrind, say) is put in front of
# sendnd.

builddir=$(pwd)
xk_lib=$(cd "$(dirname "$0")/../lib" && pwd)
. "$xk_lib/xk_test.sh"		# XK_LIVE: the liveness bound, seconds
# shellcheck source=SCRIPTDIR/../lib/xk_tap.sh
. "$xk_lib/xk_tap.sh"		# TAP, jobs, namespaces (netns_*)
SENDND=$builddir/tests/integration/sendnd
WRAP=${XK_TEST_WRAPPER:-}
MARK=0x786b		# what the library marks its own packets with
A6=fd00:5e::1 B6=fd00:5e::2

CASES="no daemon
incoming NA dropped
closing restores ND
everything written back
kill -9, ND recovers
rules removed"

skip_all() {
	printf '%s\n' "$CASES" | tap_skip_each "$1"
	exit 0
}

cleanup_on_exit
need_root_netns
command -v ip6tables >/dev/null 2>&1 || skip_all "ip6tables missing"
command -v ping >/dev/null 2>&1 || skip_all "ping missing"
[ -x "$SENDND" ] || skip_all "$SENDND not built"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/send.XXXXXX") || exit 1

# rules OP: adds (-A) or deletes (-D) the NFQUEUE rules in a.
rules() {
	for chain in INPUT OUTPUT; do
		for t in 133 134 135 136 137; do
			ip netns exec "$nsa" ip6tables "$1" "$chain" -p icmpv6 \
			    --icmpv6-type $t -m mark ! --mark $MARK -j NFQUEUE \
			    --queue-num 0 --queue-bypass || return 1
		done
	done
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

# lines PATTERN FILE: how many lines of FILE match PATTERN.
lines() {
	grep -c -- "$1" "$2" 2>/dev/null || true
}

# stat NAME: the counter sendnd printed at its end (0 when absent).
stat() {
	v=$(sed -n "s/^stat $1 //p" "$tmp/nd.out")
	echo "${v:-0}"
}

# nd_start ARGS...: sendnd in a on nfqueue, its pid in $dpid; 1 when it
# did not get ready.  Bounded by -t.
nd_start() {
	rm -f "$tmp/nd.out" "$tmp/nd.err"
	# shellcheck disable=SC2086
	bg nd "$nsa" env XKPI_BACKEND=nfqueue XKPI_IFACES=xka0 \
	    $WRAP "$SENDND" -t $((XK_LIVE * 6)) "$@"
	dpid=$bgpid
	wait_for "$tmp/nd.out" '^sendnd: ready' "$dpid" \
	    $((XK_LIVE * 10)) && return 0
	diag "sendnd did not get ready"
	stop "$dpid"
	return 1
}

# resolve: a forgets its neighbours, then pings b (at most 3 s of
# resolution); the status in $prc.
resolve() {
	ip -n "$nsa" -6 neigh flush all 2>/dev/null
	ip netns exec "$nsa" timeout $((XK_LIVE * 2)) ping -6 -n -c 1 \
	    -W 3 "$B6" >"$tmp/ping.out" 2>&1
	prc=$?
}

show() {
	diag_file "sendnd" "$tmp/nd.out"
	diag_file "sendnd stderr" "$tmp/nd.err"
	diag_file "ping" "$tmp/ping.out"
	diag "a's neighbours: $(ip -n "$nsa" -6 neigh show dev xka0 | tr '\n' ';')"
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

# The network: no DAD, so addresses are usable at once.
up() {
	netns_pair xksd-a-$$ xksd-b-$$ || return 1
	ip netns exec "$nsa" sysctl -qw net.ipv6.conf.xka0.accept_dad=0 \
	    >/dev/null 2>&1
	ip netns exec "$nsb" sysctl -qw net.ipv6.conf.xkb0.accept_dad=0 \
	    >/dev/null 2>&1
	ip -n "$nsa" addr add $A6/64 dev xka0 nodad || return 1
	ip -n "$nsb" addr add $B6/64 dev xkb0 nodad || return 1
	netns_pair_up $((XK_LIVE * 10))
}

if ! up; then
	printf '%s\n' "$CASES" | while IFS= read -r c; do
		echo "not ok - $c (no network)"
	done
	exit 1
fi
if ! rules -A 2>"$tmp/ip6tables.err"; then
	diag_file "ip6tables" "$tmp/ip6tables.err"
	skip_all "ip6tables cannot queue (NFQUEUE target missing?)"
fi
# Is the backend there at all?
if ! nd_start; then
	if grep -q "not supported" "$tmp/nd.err" 2>/dev/null; then
		skip_all "the nfqueue backend is not built"
	fi
	skip_all "sendnd cannot start: $(head -1 "$tmp/nd.err")"
fi
stop "$dpid"

# no daemon
ok=0
resolve
check "ping with no daemon" [ "$prc" -eq 0 ]
[ $ok -eq 0 ] || show
tap_result $ok "no daemon"

# incoming NA dropped, then the socket closed
ok=0
if nd_start -d 136; then
	resolve
	check "ping fails while NAs are dropped" [ "$prc" -ne 0 ]
	check "a never learnt b's link address" [ -z "$(ip -n "$nsa" -6 \
	    neigh show "$B6" dev xka0 | grep -E 'REACHABLE|STALE|DELAY|PROBE')" ]
	check "sendnd passed a's NS going out" [ "$(lines \
	    '^out [0-9]* type 135 len [0-9]*: passed$' "$tmp/nd.out")" -ge 1 ]
	check "sendnd dropped b's NA coming in" [ "$(lines \
	    '^in [0-9]* type 136 len [0-9]*: dropped$' "$tmp/nd.out")" -ge 1 ]
	[ $ok -eq 0 ] || show
	tap_result $ok "incoming NA dropped"
	ok=0
	kill -USR1 "$dpid"
	if wait_for "$tmp/nd.out" '^sendnd: closed' "$dpid" \
	    $((XK_LIVE * 10)); then
		resolve
		check "ping works once the socket is closed" [ "$prc" -eq 0 ]
		check "sendnd still runs" kill -0 "$dpid"
	else
		check "sendnd closed its socket" false
	fi
	stop "$dpid"
	check "sendnd exit status 0" [ "$rc" -eq 0 ]
	[ $ok -eq 0 ] || show
	tap_result $ok "closing restores ND"
else
	show
	tap_fail "incoming NA dropped"
	tap_fail "closing restores ND"
fi

# everything written back
ok=0
if nd_start; then
	resolve
	check "ping works through the daemon" [ "$prc" -eq 0 ]
	stop "$dpid"
	check "sendnd exit status 0" [ "$rc" -eq 0 ]
	check "sendnd saw a's NS go out" [ "$(lines \
	    '^out [0-9]* type 135 len [0-9]*: passed$' "$tmp/nd.out")" -ge 1 ]
	check "sendnd saw b's NA come in" [ "$(lines \
	    '^in [0-9]* type 136 len [0-9]*: passed$' "$tmp/nd.out")" -ge 1 ]
	check "no write-back failed" [ "$(lines ': error' "$tmp/nd.out")" \
	    -eq 0 ]
	check "NS and NA answered held messages" [ \
	    "$(stat send.answered)" -ge 2 ]
	check "every write-back answered a held message" [ \
	    "$(stat send.answered)" -eq \
	    $(($(stat send.wrote_in) + $(stat send.wrote_out))) ]
	check "none refused" [ "$(stat send.refused)" -eq 0 ]
	[ $ok -eq 0 ] || show
else
	show
	ok=1
fi
tap_result $ok "everything written back"

# kill -9
ok=0
if nd_start -d 136; then
	resolve
	check "ping fails while NAs are dropped" [ "$prc" -ne 0 ]
	kill -KILL "$dpid"
	reap "$dpid"
	resolve
	check "ping works after kill -9" [ "$prc" -eq 0 ]
	[ $ok -eq 0 ] || show
else
	show
	ok=1
fi
tap_result $ok "kill -9, ND recovers"

# rules removed
ok=0
rules -D 2>"$tmp/ip6tables.err"
check "the rules deleted" [ $? -eq 0 ]
check "no NFQUEUE rule left" [ "$(ip netns exec "$nsa" ip6tables -S | \
    grep -c NFQUEUE)" -eq 0 ]
[ $ok -eq 0 ] || diag_file "ip6tables" "$tmp/ip6tables.err"
tap_result $ok "rules removed"

echo "1..$n"
exit $failed
