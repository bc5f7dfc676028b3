#!/bin/sh
# The SeND daemon (examples/sendd) protecting real Neighbor Discovery,
# over the nfqueue backend, reported as TAP.  Run from the build
# directory, as root.
#
# Three namespaces on one link: a and b each run `sendd run` (keys made
# by openssl(1), link-local CGAs, the kernel's own link-local addresses
# off), c holds the bridge the link is (b0, with ports ca and cb, IPv6
# off) and forges frames on it with a packet socket (python3).  a and b
# queue ICMPv6 types 133 to 137 on INPUT and OUTPUT to NFQUEUE 0 (the
# library's own packets, marked 0x786b, excepted; --queue-bypass).
#   two daemons               both --secure-only: a pings b's CGA after
#                             forgetting its neighbours; each daemon
#                             signed its NS or NA and verified the
#                             other's (in.secured); a's entry for b has
#                             b's link address
#   tshark: SeND options      the NS and NA captured on a's port carry
#                             CGA, RSA Signature, Timestamp and Nonce
#                             options as tshark decodes them, and
#                             nothing is malformed
#   forged NA refused         c sends a an NA for b's CGA with c's link
#                             address (override): a's sendd drops it as
#                             unsecured, a's entry for b keeps b's link
#                             address, a still reaches b
#   unsigned NS refused       c sends a an NS for a's CGA from another
#                             address: dropped, and a sends no NA to it
#   mixed mode                a's sendd again without --secure-only:
#                             after a secured exchange with b, the
#                             forged NA is refused (in.drop.shadowed,
#                             b's entry kept); c's unsecured NS from an
#                             address of its own passes (in.unsecured)
#                             and a's answer is signed
#   counters at exit          a's first sendd, stopped by SIGTERM,
#                             exited 0 and printed its counters:
#                             in.secured, out.signed, in.drop.unsecured
#                             (the two forgeries), and as many messages
#                             counted as it printed lines for
#   kill -9, ND unprotected   both sendd killed with SIGKILL: a reaches
#                             b again (--queue-bypass), and the forged
#                             NA now takes b's entry (what the daemon
#                             kept from happening)
# Everything is skipped without root, ip(8), timeout(1), ping(8),
# ip6tables (or its NFQUEUE target), openssl(1) or python3, or when the
# nfqueue backend is not built; the tshark case without tshark.  Every
# wait is for its event, bounded by the liveness bound; the namespaces
# (and with them the rules and addresses) and the processes this script
# made are removed by name and pid on any exit.  XK_TEST_WRAPPER
# (valgrind, say) is put in front of sendd.

builddir=$(pwd)
xk_lib=$(cd "$(dirname "$0")/../lib" && pwd)
. "$xk_lib/xk_test.sh"		# XK_LIVE: the liveness bound, seconds
# shellcheck source=SCRIPTDIR/../lib/xk_tap.sh
. "$xk_lib/xk_tap.sh"		# TAP, jobs, namespaces
SENDD=$builddir/examples/sendd
WRAP=${XK_TEST_WRAPPER:-}
MARK=0x786b
CMAC=02:00:5e:dd:00:0c	# the forger's link address

CASES="two daemons
tshark: SeND options
forged NA refused
unsigned NS refused
mixed mode
counters at exit
kill -9, ND unprotected"

skip_all() {
	printf '%s\n' "$CASES" | tap_skip_each "$1"
	exit 0
}

cleanup_on_exit
need_root_netns
command -v ip6tables >/dev/null 2>&1 || skip_all "ip6tables missing"
command -v ping >/dev/null 2>&1 || skip_all "ping missing"
command -v openssl >/dev/null 2>&1 || skip_all "openssl missing"
command -v python3 >/dev/null 2>&1 || skip_all "python3 missing"
[ -x "$SENDD" ] || skip_all "$SENDD not built"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sendd_nd.XXXXXX") || exit 1
nsa=xksd-a-$$ nsb=xksd-b-$$ nsc=xksd-c-$$

# The network: a (xka0) and b (xkb0) on c's bridge b0.
up() {
	for ns in $nsa $nsb $nsc; do
		ip netns add "$ns" || return 1
		nslist="$nslist $ns"
		ip -n "$ns" link set lo up || return 1
	done
	ip netns exec "$nsc" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
	    >/dev/null || return 1
	ip netns exec "$nsc" sysctl -qw \
	    net.ipv6.conf.default.disable_ipv6=1 >/dev/null || return 1
	ip -n "$nsc" link add b0 type bridge mcast_snooping 0 || return 1
	ip link add name xka0 netns "$nsa" type veth peer name ca \
	    netns "$nsc" || return 1
	ip link add name xkb0 netns "$nsb" type veth peer name cb \
	    netns "$nsc" || return 1
	ip -n "$nsa" link set xka0 addrgenmode none || return 1
	ip -n "$nsb" link set xkb0 addrgenmode none || return 1
	for p in ca cb; do
		ip -n "$nsc" link set "$p" master b0 up || return 1
	done
	ip -n "$nsc" link set b0 address $CMAC up || return 1
	ip -n "$nsa" link set xka0 up || return 1
	ip -n "$nsb" link set xkb0 up || return 1
	i=0
	until ip -n "$nsa" link show xka0 | grep -q LOWER_UP &&
	    ip -n "$nsb" link show xkb0 | grep -q LOWER_UP; do
		i=$((i + 1))
		[ "$i" -lt $((XK_LIVE * 10)) ] || return 1
		sleep 0.1
	done
	amac=$(ip -n "$nsa" link show xka0 | awk '/link\/ether/ {print $2}')
	bmac=$(ip -n "$nsb" link show xkb0 | awk '/link\/ether/ {print $2}')
}

rules() {	# NS
	for chain in INPUT OUTPUT; do
		for t in 133 134 135 136 137; do
			ip netns exec "$1" ip6tables -A "$chain" -p icmpv6 \
			    --icmpv6-type $t -m mark ! --mark $MARK -j NFQUEUE \
			    --queue-num 0 --queue-bypass || return 1
		done
	done
}

# stop PID [SIG]: the signal (TERM), then KILL past the bound; reaped.
stop() {
	kill "-${2:-TERM}" "$1" 2>/dev/null
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt $((XK_LIVE * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$1" 2>/dev/null
	reap "$1"
}

# sendd_start NAME NS IF KEY ARGS...: `sendd run` in NS, its pid in
# $dpid and its address in $daddr; 1 when it did not get ready.
sendd_start() {
	name=$1 ns=$2 ifn=$3 key=$4
	shift 4
	rm -f "$tmp/$name.out" "$tmp/$name.err"
	# shellcheck disable=SC2086
	bg "$name" "$ns" env XKPI_BACKEND=nfqueue $WRAP "$SENDD" run \
	    -i "$ifn" -k "$key" -v -t $((XK_LIVE * 12)) "$@"
	dpid=$bgpid
	if ! wait_for "$tmp/$name.out" '^sendd: ready' "$dpid" \
	    $((XK_LIVE * 10)); then
		diag "$name: sendd did not get ready"
		diag_file "$name" "$tmp/$name.out"
		diag_file "$name stderr" "$tmp/$name.err"
		stop "$dpid"
		return 1
	fi
	daddr=$(sed -n 's/^sendd: address \([^,]*\),.*/\1/p' \
	    "$tmp/$name.out" | tail -n 1)
}

# lines PATTERN FILE: how many lines of FILE match PATTERN.
lines() {
	grep -c -- "$1" "$2" 2>/dev/null || true
}

# reach: a forgets its neighbours and pings b's CGA; status in $prc.
reach() {
	ip -n "$nsa" -6 neigh flush dev xka0 2>/dev/null
	ip netns exec "$nsa" timeout $((XK_LIVE * 2)) ping -6 -n -c 1 \
	    -W "$XK_LIVE" "$baddr%xka0" >"$tmp/ping.out" 2>&1
	prc=$?
}

# lladdr_of ADDR: a's neighbour entry's link address for ADDR.
lladdr_of() {
	ip -n "$nsa" -6 neigh show "$1" dev xka0 |
	    sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p'
}

# forge TYPE SRC DST TARGET: c sends a, on its bridge, an unsigned NA
# (override, for TARGET, with c's link address) or NS (for TARGET, with
# c's link address as source link address).
forge() {
	ip netns exec "$nsc" python3 - b0 "$CMAC" "$amac" "$@" <<'EOF'
import socket, struct, sys
ifn, smac, dmac, kind, src, dst, target = sys.argv[1:8]
mac = lambda s: bytes.fromhex(s.replace(":", ""))
a6 = lambda s: socket.inet_pton(socket.AF_INET6, s)
if kind == "na":
    body = struct.pack("!BBHI", 136, 0, 0, 0x20 << 24) + a6(target) + \
        bytes([2, 1]) + mac(smac)
else:
    body = struct.pack("!BBHI", 135, 0, 0, 0) + a6(target) + \
        bytes([1, 1]) + mac(smac)
ph = a6(src) + a6(dst) + struct.pack("!I3xB", len(body), 58) + body
s = sum(struct.unpack("!%dH" % (len(ph) // 2), ph))
while s >> 16:
    s = (s & 0xffff) + (s >> 16)
body = body[:2] + struct.pack("!H", ~s & 0xffff) + body[4:]
ip6 = struct.pack("!IHBB", 6 << 28, len(body), 58, 255) + a6(src) + a6(dst)
sk = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
sk.bind((ifn, 0))
sk.send(mac(dmac) + mac(smac) + b"\x86\xdd" + ip6 + body)
EOF
}

# wait_line FILE PATTERN: 0 once FILE has PATTERN, within the bound.
wait_line() {
	i=0
	while [ $i -lt $((XK_LIVE * 10)) ]; do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

check() {
	what=$1
	shift
	if ! "$@"; then
		diag "failed: $what"
		ok=1
	fi
}

show() {
	for f in a b; do
		diag_file "sendd $f" "$tmp/$f.out"
		diag_file "sendd $f stderr" "$tmp/$f.err"
	done
	diag_file "ping" "$tmp/ping.out"
	diag "a's neighbours: $(ip -n "$nsa" -6 neigh show dev xka0 |
	    tr '\n' ';')"
}

if ! up; then
	printf '%s\n' "$CASES" | while IFS= read -r c; do
		echo "not ok - $c (no network)"
	done
	exit 1
fi
for ns in $nsa $nsb; do
	if ! rules "$ns" 2>"$tmp/ip6tables.err"; then
		diag_file "ip6tables" "$tmp/ip6tables.err"
		skip_all "ip6tables cannot queue (NFQUEUE target missing?)"
	fi
done
for k in a b; do
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 \
	    -out "$tmp/$k.pem" 2>/dev/null || skip_all "openssl genpkey failed"
done

# tshark on a's port, for the tshark case: from before the daemons start.
have_tshark=0
if command -v tshark >/dev/null 2>&1; then
	bg tshark "$nsc" timeout $((XK_LIVE * 6)) tshark -n -i ca \
	    -f icmp6 -w "$tmp/cap.pcap"
	tpid=$bgpid
	wait_capture "$tmp/tshark.err" "$tpid" $((XK_LIVE * 10)) &&
	    have_tshark=1
fi
# two daemons
ok=0
if ! sendd_start a "$nsa" xka0 "$tmp/a.pem" --secure-only; then
	grep -q "not supported" "$tmp/a.err" 2>/dev/null &&
	    skip_all "the nfqueue backend is not built"
	skip_all "sendd cannot start: $(head -n 1 "$tmp/a.err")"
fi
apid=$dpid aaddr=$daddr
if ! sendd_start b "$nsb" xkb0 "$tmp/b.pem" --secure-only; then
	skip_all "sendd cannot start in b"
fi
bpid=$dpid baddr=$daddr
reach
check "a reaches b's CGA" [ "$prc" -eq 0 ]
check "a signed its NS" [ "$(lines "^sendd: out NS $aaddr > .*out.signed" \
    "$tmp/a.out")" -ge 1 ]
check "a verified b's NA" [ "$(lines "^sendd: in NA $baddr > .*in.secured" \
    "$tmp/a.out")" -ge 1 ]
check "b verified a's NS" [ "$(lines "^sendd: in NS $aaddr > .*in.secured" \
    "$tmp/b.out")" -ge 1 ]
check "b signed its NA" [ "$(lines "^sendd: out NA $baddr > .*out.signed" \
    "$tmp/b.out")" -ge 1 ]
check "a's entry for b is b's" [ "$(lladdr_of "$baddr")" = "$bmac" ]
[ $ok -eq 0 ] || show
tap_result $ok "two daemons"

# tshark: SeND options
if [ "$have_tshark" -eq 1 ]; then
	sleep 1
	stop "$tpid" INT
	ok=0
	tshark -n -r "$tmp/cap.pcap" -V -Y "icmpv6.type == 135 ||
	    icmpv6.type == 136" >"$tmp/cap.txt" 2>&1
	check "NS captured" grep -q "Neighbor Solicitation" "$tmp/cap.txt"
	check "NA captured" grep -q "Neighbor Advertisement" "$tmp/cap.txt"
	for o in "CGA" "RSA Signature" "Timestamp" "Nonce"; do
		check "$o option decoded" grep -q "ICMPv6 Option ($o)" \
		    "$tmp/cap.txt"
	done
	check "nothing malformed" [ "$(grep -ci malformed "$tmp/cap.txt")" \
	    -eq 0 ]
	if [ $ok -ne 0 ]; then
		diag "$(head -c 3000 "$tmp/cap.txt")"
	fi
	tap_result $ok "tshark: SeND options"
else
	tap_skip "tshark: SeND options" "no tshark"
fi

# forged NA refused
ok=0
reach
forge na "$baddr" "$aaddr" "$baddr"
check "a's sendd dropped the forged NA" wait_line "$tmp/a.out" \
    "^sendd: in NA $baddr > $aaddr len 72 .*in.drop.unsecured"
check "a's entry for b is still b's" [ "$(lladdr_of "$baddr")" = "$bmac" ]
ip netns exec "$nsa" timeout $((XK_LIVE * 2)) ping -6 -n -c 1 \
    -W "$XK_LIVE" "$baddr%xka0" >"$tmp/ping.out" 2>&1
check "a still reaches b" [ $? -eq 0 ]
[ $ok -eq 0 ] || show
tap_result $ok "forged NA refused"

# unsigned NS refused
ok=0
forge ns fe80::c "$aaddr" "$aaddr"
check "a's sendd dropped the NS" wait_line "$tmp/a.out" \
    "^sendd: in NS fe80::c > $aaddr .*in.drop.unsecured"
check "a answered nothing" [ "$(lines "^sendd: out NA $aaddr > fe80::c " \
    "$tmp/a.out")" -eq 0 ]
[ $ok -eq 0 ] || show
tap_result $ok "unsigned NS refused"

# mixed mode (a's first sendd stopped: its counters for the next case)
ok=0
stop "$apid"
arc=$rc
cp "$tmp/a.out" "$tmp/a1.out"
if sendd_start a "$nsa" xka0 "$tmp/a.pem"; then
	apid=$dpid aaddr=$daddr
	reach
	check "a reaches b" [ "$prc" -eq 0 ]
	forge na "$baddr" "$aaddr" "$baddr"
	check "the forged NA shadowed" wait_line "$tmp/a.out" \
	    "^sendd: in NA $baddr > $aaddr len 72 .*in.drop.shadowed"
	check "a's entry for b is still b's" [ "$(lladdr_of "$baddr")" = \
	    "$bmac" ]
	forge ns fe80::c "$aaddr" "$aaddr"
	check "c's NS passed unsecured" wait_line "$tmp/a.out" \
	    "^sendd: in NS fe80::c > $aaddr .*in.unsecured"
	check "a's answer signed" wait_line "$tmp/a.out" \
	    "^sendd: out NA $aaddr > fe80::c .*out.signed"
else
	ok=1
fi
[ $ok -eq 0 ] || show
tap_result $ok "mixed mode"

# counters at exit
ok=0
check "a's first sendd exited 0" [ "$arc" -eq 0 ]
counter() {
	v=$(sed -n "s/^sendd: $1 *//p" "$tmp/a1.out")
	echo "${v:-0}"
}
check "in.secured counted" [ "$(counter in.secured)" -ge 1 ]
check "out.signed counted" [ "$(counter out.signed)" -ge 1 ]
check "in.drop.unsecured counted" [ "$(counter in.drop.unsecured)" -ge 2 ]
check "every message counted once" [ "$(($(grep -c '^sendd: in ' \
    "$tmp/a1.out") + $(grep -c '^sendd: out ' "$tmp/a1.out")))" -eq \
    "$(sed -n 's/^sendd: \(in\|out\)\.[a-z.]* *//p' "$tmp/a1.out" |
    awk '{ s += $1 } END { print s }')" ]
[ $ok -eq 0 ] || diag_file "sendd a" "$tmp/a1.out"
tap_result $ok "counters at exit"

# kill -9, ND unprotected (both daemons: b's would refuse a's NS)
ok=0
stop "$apid" KILL
stop "$bpid" KILL
reach
check "a reaches b with no daemon" [ "$prc" -eq 0 ]
check "a's entry for b is b's" [ "$(lladdr_of "$baddr")" = "$bmac" ]
forge na "$baddr" "$aaddr" "$baddr"
i=0
while [ "$(lladdr_of "$baddr")" != "$CMAC" ] && [ $i -lt $((XK_LIVE * 10)) ]
do
	sleep 0.1
	i=$((i + 1))
done
check "the forged NA took b's entry" [ "$(lladdr_of "$baddr")" = "$CMAC" ]
[ $ok -eq 0 ] || show
tap_result $ok "kill -9, ND unprotected"

echo "1..$n"
exit "$failed"
