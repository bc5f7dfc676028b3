#!/bin/sh
# The host backends under faults, reported as TAP.  Run from the build
# directory.
#
# Two network namespaces joined by a veth pair, made afresh per case:
#   a (the library):  xka0  10.207.0.1/24
#   b (the peer):     xkb0  10.207.0.2/24
# Cases:
#   <rx>: down/up, no spin     faults recv in a counts what faults blast
#                              in b sends; xka0 goes down and up; the
#                              process then uses under 1 s of CPU in 4 s
#                              (/proc/PID/stat), and traffic comes again
#   <rx>: deleted, no spin     the same with xka0 deleted
#     for <rx> in "linux auto", "linux ring", "linux mmsg" (XKPI_LINUX_RX)
#     and "pcap"
#   <be>: neighbour fails      faults unreach sends to 10.207.0.9, where
#                              nobody answers: every send that returned 0
#                              is counted as sent or as a named drop;
#                              pcap answers EHOSTUNREACH or counts the
#                              drop, linux counts the failed neighbour
#                              (be.linux.xka0.neigh_failed)
#   <be>: stats socket after kill  faults recv with XKPI_STATS_SOCKET is
#                              killed (SIGKILL), started again on the same
#                              path, and xkpi-stat reads its counters
#   <be>: shutdown drains      faults send: 1000 packets, then
#                              xkpi_shutdown(); faults sniff in b: every
#                              packet arrives or the log counts it lost
#   <be>: exit drains          faults send: packets, then exit() at once:
#                              every packet arrives, as if.xka0.opackets
#                              says after exit, or is in if.xka0.oqdrops
#     for <be> in "linux" and "pcap"
# A backend this build lacks is skipped (faults probe exits 77); so is
# everything without root, ip(8) or timeout(1).  CPU time is the only
# measure of time, and it is a bound: a spinning loop uses a second per
# second.  Every wait is bounded; the namespaces and processes this
# script made are removed by name and pid on any exit.  No wrapper
# (valgrind) is put in front of the programs: CPU time is measured.
# SPDX-License-Identifier: BSD-2-Clause

builddir=$(pwd)
xk_lib=$(cd "$(dirname "$0")/../lib" && pwd)
# shellcheck source=SCRIPTDIR/../lib/xk_tap.sh
. "$xk_lib/xk_tap.sh"		# TAP, jobs, namespaces (netns_*)
FAULTS=${FAULTS:-$builddir/tests/integration/faults}
XKSTAT=${XKSTAT:-$builddir/tools/xkpi-stat}
PROTO=253
A4=10.207.0.1 B4=10.207.0.2 NOBODY4=10.207.0.9
IDLE=4			# seconds of CPU watched after a fault
CPU_MAX_MS=1000		# CPU the process may use in them

RX_MODES="linux:auto linux:ring linux:mmsg pcap:ring"
BACKENDS="linux pcap"
RX_CASES="down/up, no spin
deleted, no spin"
BE_CASES="neighbour fails
stats socket after kill
shutdown drains
exit drains"

rx_name() {	# linux:ring -> "linux ring", pcap:ring -> "pcap"
	case $1 in
	pcap:*) echo pcap ;;
	*) echo "${1%%:*} ${1#*:}" ;;
	esac
}

all_cases() {
	for m in $RX_MODES; do
		printf '%s\n' "$RX_CASES" | while IFS= read -r c; do
			echo "$(rx_name "$m"): $c"
		done
	done
	for be in $BACKENDS; do
		printf '%s\n' "$BE_CASES" | while IFS= read -r c; do
			echo "$be: $c"
		done
	done
}

skip_all() {	# reason
	all_cases | tap_skip_each "$1"
	exit 0
}

cleanup_on_exit
need_root_netns
[ -x "$FAULTS" ] || skip_all "$FAULTS not built"
[ -r /proc/self/stat ] || skip_all "no /proc"
HZ=$(getconf CLK_TCK 2>/dev/null) || HZ=100
have_ping=0
command -v ping >/dev/null 2>&1 && have_ping=1

tmp=$(mktemp -d "${TMPDIR:-/tmp}/faults.XXXXXX") || exit 1

# cpu_ms PID: CPU time (user + system, all threads) used by PID so far.
cpu_ms() {
	awk -v hz="$HZ" '{ sub(/^.*\) /, ""); print int(($12 + $13) * 1000 / hz) }' \
	    "/proc/$1/stat" 2>/dev/null
}

# stat_of FILE NAME: the value of "stat NAME V" in FILE, 0 when absent.
stat_of() {
	awk -v n="$2" '$1 == "stat" && $2 == n { v = $3 } END { print v + 0 }' \
	    "$1"
}

# netns_up: the two namespaces and the veth pair, both ends up.
netns_up() {
	netns_pair xkft-a-$$ xkft-b-$$ || return 1
	ip -n "$nsa" addr add $A4/24 dev xka0 || return 1
	ip -n "$nsb" addr add $B4/24 dev xkb0 || return 1
	netns_pair_up 50
}

# libenv BE RX: the environment of the library's side.
libenv() {
	echo "XKPI_BACKEND=$1 XKPI_LINUX_RX=$2 XKPI_IFACES=xka0"
}

# recv_start BE RX [ENV...]: faults recv in a; its pid in $rpid (the
# program's own, from its "ready" line) and $rbg (the background job).
recv_start() {
	be=$1 rx=$2
	shift 2
	# shellcheck disable=SC2046
	bg recv "$nsa" env $(libenv "$be" "$rx") "$@" timeout 60 \
	    "$FAULTS" recv $PROTO 50
	rbg=$bgpid
	rpid=
	if wait_for "$tmp/recv.out" '^ready pid=' "$rbg" 100; then
		rpid=$(sed -n 's/^ready pid=//p' "$tmp/recv.out")
		return 0
	fi
	diag "recv did not get ready"
	return 1
}

# rx_count: the last "rx N" of recv, 0 before any.
rx_count() {
	awk '$1 == "rx" { v = $2 } END { print v + 0 }' "$tmp/recv.out"
}

# blast_and_wait COUNT: faults blast in b, then waits (bounded) until
# recv has counted COUNT more; 0 when it did.
blast_and_wait() {
	want=$(($(rx_count) + $1))
	ip netns exec "$nsb" timeout 20 "$FAULTS" blast $A4 $PROTO "$1" \
	    >>"$tmp/blast.out" 2>&1 || diag "blast failed"
	wait_for "$tmp/recv.out" "^rx $want\$" "$rbg" 100
}

recv_stop() {
	kill "$rbg" 2>/dev/null
	reap "$rbg"
}

# case_rx MODE FAULT: a fault under the receive socket of MODE.
case_rx() {
	be=${1%%:*} rx=${1#*:}
	cname="$(rx_name "$1"): $2"
	ok=0
	recv_start "$be" "$rx" || ok=1
	if [ "$ok" -eq 0 ] && ! blast_and_wait 20; then
		diag "no traffic before the fault (rx $(rx_count))"
		ok=1
	fi
	if [ "$ok" -eq 0 ]; then
		if [ "$2" = "down/up, no spin" ]; then
			ip -n "$nsa" link set xka0 down &&
			    ip -n "$nsa" link set xka0 up && links_up 50 ||
			    { diag "down/up failed"; ok=1; }
		else
			ip -n "$nsa" link del xka0 ||
			    { diag "delete failed"; ok=1; }
		fi
	fi
	if [ "$ok" -eq 0 ]; then
		sleep 0.5
		c0=$(cpu_ms "$rpid")
		sleep "$IDLE"
		c1=$(cpu_ms "$rpid")
		if [ -z "$c0" ] || [ -z "$c1" ]; then
			diag "recv (pid $rpid) is gone"
			ok=1
		else
			used=$((c1 - c0))
			diag "CPU after the fault: $used ms in $IDLE s" \
			    "(bound $CPU_MAX_MS ms)"
			[ "$used" -lt "$CPU_MAX_MS" ] || ok=1
		fi
	fi
	if [ "$ok" -eq 0 ] && [ "$2" = "down/up, no spin" ]; then
		if blast_and_wait 20; then
			diag "traffic again after up: rx $(rx_count)"
		else
			diag "no traffic after up (rx $(rx_count))"
			ok=1
		fi
	fi
	recv_stop
	grep -v '^rx ' "$tmp/recv.out" | grep -v '^stat ip6\.' \
	    >"$tmp/recv.diag"
	diag_file "recv" "$tmp/recv.diag"
	diag_file "recv stderr" "$tmp/recv.err"
	tap_result $ok "$cname"
}

# case_unreach BE: a neighbour that never answers.
case_unreach() {
	be=$1
	cname="$be: neighbour fails"
	# Three probes 300 ms apart: the host gives up within a second.
	ip netns exec "$nsa" sh -c "sysctl -qw \
	    net.ipv4.neigh.xka0.retrans_time_ms=300 && sysctl -qw \
	    net.ipv4.neigh.xka0.mcast_solicit=3" || diag "sysctl failed"
	# shellcheck disable=SC2046
	ip netns exec "$nsa" env $(libenv "$be" ring) timeout 60 \
	    "$FAULTS" unreach $NOBODY4 $PROTO 3 >"$tmp/unreach.out" \
	    2>"$tmp/unreach.err"
	urc=$?
	sent=$(grep -c '^send 0$' "$tmp/unreach.out")
	unreach=$(grep -c '^send EHOSTUNREACH$' "$tmp/unreach.out")
	op=$(stat_of "$tmp/unreach.out" if.xka0.opackets)
	oq=$(stat_of "$tmp/unreach.out" if.xka0.oqdrops)
	diag "$sent sends returned 0, $unreach EHOSTUNREACH;" \
	    "if.xka0.opackets $op, if.xka0.oqdrops $oq"
	grep -v '^send \|^stat ip6\.' "$tmp/unreach.out" >"$tmp/unreach.diag"
	diag_file "unreach" "$tmp/unreach.diag"
	diag_file "unreach stderr" "$tmp/unreach.err"
	ok=1
	if [ "$urc" -ne 0 ]; then
		diag "unreach exited with $urc"
	elif [ "$be" = pcap ]; then
		# Nothing left: each accepted packet was dropped, counted.
		[ "$op" -eq 0 ] && [ "$oq" -eq "$sent" ] &&
		    { [ "$unreach" -gt 0 ] || [ "$oq" -gt 0 ]; } && ok=0
	else
		# The host took each; its failure is counted.
		nf=$(stat_of "$tmp/unreach.out" be.linux.xka0.neigh_failed)
		[ "$op" -eq "$sent" ] && [ "$nf" -gt 0 ] && ok=0
	fi
	tap_result $ok "$cname"
}

# case_statsd BE: killed and started again on the same socket path.
case_statsd() {
	be=$1
	cname="$be: stats socket after kill"
	sock=$tmp/stats.sock
	ok=0
	if [ ! -x "$XKSTAT" ]; then
		tap_skip "$cname" "$XKSTAT not built"
		return
	fi
	recv_start "$be" ring XKPI_STATS_SOCKET="$sock" || ok=1
	if [ "$ok" -eq 0 ]; then
		"$XKSTAT" -s "$sock" >"$tmp/stat1.out" 2>&1 ||
		    { diag "xkpi-stat failed on the first run"; ok=1; }
		kill -KILL "$rpid"
		reap "$rbg"
		[ -S "$sock" ] || diag "no stale socket file left: nothing" \
		    "to prove"
	fi
	if [ "$ok" -eq 0 ] && recv_start "$be" ring \
	    XKPI_STATS_SOCKET="$sock"; then
		blast_and_wait 5 || diag "no traffic after the restart"
		"$XKSTAT" -s "$sock" >"$tmp/stat2.out" 2>&1
		src=$?
		diag_file "xkpi-stat after the restart" "$tmp/stat2.out"
		v=$(awk '$1 == "if.xka0.ipackets" { print $2 }' \
		    "$tmp/stat2.out")
		[ "$src" -eq 0 ] && [ "${v:-0}" -ge 5 ] || ok=1
		recv_stop
	else
		ok=1
	fi
	diag_file "recv stderr" "$tmp/recv.err"
	tap_result $ok "$cname"
}

# case_send BE MODE COUNT RESOLVE: COUNT packets, then xkpi_shutdown()
# (MODE shutdown) or exit() (MODE exit); RESOLVE 1 has the host learn the
# peer's link address first.
case_send() {
	be=$1 mode=$2 count=$3
	cname="$be: $mode drains"
	if [ "$4" -eq 1 ]; then
		if [ "$have_ping" -eq 1 ]; then
			ip netns exec "$nsa" ping -n -c 1 -W 2 $B4 \
			    >/dev/null 2>&1 || diag "ping $B4 failed"
		else
			diag "ping(8) missing: the first packets wait for ARP"
		fi
	fi
	bg sniff "$nsb" timeout 40 "$FAULTS" sniff $A4 $PROTO "$count" 20
	spid=$bgpid
	if ! wait_for "$tmp/sniff.out" '^ready' "$spid" 100; then
		diag "sniff did not get ready"
		kill "$spid" 2>/dev/null
		reap "$spid"
		tap_fail "$cname"
		return
	fi
	# shellcheck disable=SC2046
	ip netns exec "$nsa" env $(libenv "$be" ring) timeout 30 \
	    "$FAULTS" send $B4 $PROTO "$count" "$mode" >"$tmp/send.out" \
	    2>"$tmp/send.err"
	src=$?
	reap "$spid"
	got=$(sed -n 's/^got //p' "$tmp/sniff.out")
	acc=$(sed -n 's/^sent ok=\([0-9]*\).*/\1/p' "$tmp/send.out")
	grep -v '^stat ip6\.\|^stat so\.\|^stat mbuf' "$tmp/send.out" \
	    >"$tmp/send.diag"
	diag_file "send" "$tmp/send.diag"
	diag_file "send stderr" "$tmp/send.err"
	diag "arrived: ${got:-?} of ${acc:-?} accepted"
	ok=1
	if [ "$src" -ne 0 ] || [ -z "$got" ] || [ -z "$acc" ]; then
		diag "send exited with $src"
	elif [ "$mode" = shutdown ]; then
		# Before xkpi_shutdown(): drops already counted; during it:
		# the log's count of what did not leave.
		oq=$(stat_of "$tmp/send.out" if.xka0.oqdrops)
		lost=$(sed -n 's/^log .*: \([0-9]*\) [a-z]* packet(s) did not leave by shutdown.*/\1/p' \
		    "$tmp/send.out" | awk '{ s += $1 } END { print s + 0 }')
		diag "counted lost: $oq before shutdown, $lost at shutdown"
		[ $((got + oq + lost)) -eq "$acc" ] && ok=0
	else
		# After the library's exit handler: the final counts.
		if grep -q '^after exit hooks' "$tmp/send.out"; then
			op=$(stat_of "$tmp/send.out" if.xka0.opackets)
			oq=$(stat_of "$tmp/send.out" if.xka0.oqdrops)
			diag "after exit: if.xka0.opackets $op," \
			    "if.xka0.oqdrops $oq"
			[ "$got" -eq "$op" ] && [ $((op + oq)) -eq "$acc" ] &&
			    ok=0
		fi
	fi
	tap_result $ok "$cname"
}

# probe BE: 0 when the backend is built, 77 when not, else a failure.
probe() {
	# shellcheck disable=SC2046
	ip netns exec "$nsa" env $(libenv "$1" ring) timeout 20 "$FAULTS" \
	    probe >"$tmp/probe.out" 2>&1
}

# fresh NAME...: new namespaces for one case; 1 (and the case failed)
# when they cannot be made.
fresh() {
	netns_down
	rm -f "$tmp"/*
	if ! netns_up; then
		diag "could not set up the namespaces"
		netns_down
		tap_fail "$1"
		return 1
	fi
	return 0
}

for m in $RX_MODES; do
	be=${m%%:*}
	built=1
	if fresh "$(rx_name "$m"): setup"; then
		probe "$be"
		prc=$?
		if [ "$prc" -eq 77 ]; then
			built=0
		elif [ "$prc" -ne 0 ]; then
			diag_file "probe" "$tmp/probe.out"
		fi
	else
		continue
	fi
	printf '%s\n' "$RX_CASES" >"$tmp/cases"
	while IFS= read -r c; do
		if [ "$built" -eq 0 ]; then
			tap_skip "$(rx_name "$m"): $c" "backend $be not built"
		elif fresh "$(rx_name "$m"): $c"; then
			case_rx "$m" "$c"
		fi
	done <"$tmp/cases"
done

for be in $BACKENDS; do
	built=1
	if fresh "$be: setup"; then
		probe "$be"
		[ $? -eq 77 ] && built=0
	else
		continue
	fi
	if [ "$built" -eq 0 ]; then
		printf '%s\n' "$BE_CASES" >"$tmp/cases"
		while IFS= read -r c; do
			tap_skip "$be: $c" "backend $be not built"
		done <"$tmp/cases"
		continue
	fi
	fresh "$be: neighbour fails" && case_unreach "$be"
	fresh "$be: stats socket after kill" && case_statsd "$be"
	fresh "$be: shutdown drains" && case_send "$be" shutdown 1000 1
	if [ "$be" = pcap ]; then
		# Ten packets wait for the peer's link address (the hold).
		fresh "$be: exit drains" && case_send "$be" exit 10 0
	else
		fresh "$be: exit drains" && case_send "$be" exit 1000 1
	fi
done
netns_down
echo "1..$n"
exit $failed
