#!/bin/sh
# The worked port (examples/kext/echokext, built with the kext include
# set, unchanged): started as its loader starts it, served over loopback
# by netpeer (UDP echoes, a TCP stream), stopped by SIGTERM.  Run from
# the build directory; prints TAP.  XK_TEST_WRAPPER (valgrind) goes in
# front of the kext's process.
tmp=$(mktemp -d)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
port=$((20000 + $$ % 20000))
n=0
report() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - echokext: $2"
	else
		echo "not ok $n - echokext: $2"
		sed 's/^/# /' "$tmp/log"
	fi
}
# Waits, at most the liveness bound (10 s), for a line in the log.
await() {
	i=0
	while ! grep -q "$1" "$tmp/log" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
		sleep 0.1
	done
	return 0
}
echo "1..5"
${XK_TEST_WRAPPER:-} ./examples/kext/echokext "$port" 60 >"$tmp/log" 2>&1 &
pid=$!
await '^ready'
report $? "started on port $port"
./tests/integration/netpeer udp-send 127.0.0.1 "$port" 20 10 >"$tmp/udp" 2>&1
rc=$?
grep -q "sent 20, echoed 20, mismatches 0" "$tmp/udp" || rc=1
report $rc "20 datagrams echoed by the UDP upcall"
seq 1 20000 >"$tmp/data"
bytes=$(wc -c <"$tmp/data" | tr -d ' ')
./tests/integration/netpeer tcp-send 127.0.0.1 "$port" "$tmp/data" 10 \
    >"$tmp/tcp" 2>&1
rc=$?
await "connection closed after $bytes bytes" || rc=1
# Each chain's packet header gave the length received.
grep -q "header length" "$tmp/log" && rc=1
grep -q "address length 16" "$tmp/log" || rc=1
report $rc "a $bytes-byte stream summed and closed at end of file"
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=""
report $rc "stopped by SIGTERM, exit status 0"
grep -q "stopped: 20 datagrams echoed, 1 connections, $bytes bytes" \
    "$tmp/log"
report $? "counters at stop"
