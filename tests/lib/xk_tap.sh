# xkpi: TAP output, background jobs and network namespaces for the
# integration scripts (sourced).
# SPDX-License-Identifier: BSD-2-Clause
#
# Sourcing this file sets n=0 (the cases reported so far) and failed=0
# (1 once a case failed: the script's exit status), and empties tmp (a
# scratch file or directory), pids (background jobs) and nslist
# (network namespaces), which cleanup() removes.  The script defines
# skip_all REASON (reports every case skipped and exits 0) for
# need_root_netns().

n=0 failed=0
tmp="" pids="" nslist=""

# tap_ok NAME, tap_fail NAME, tap_skip NAME REASON: the next TAP line.
tap_ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}

tap_fail() {
	n=$((n + 1))
	failed=1
	echo "not ok $n - $1"
}

tap_skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

# tap_skip_each REASON: each case named on standard input, one a line,
# skipped, then the plan (for skip_all, before any case ran).
tap_skip_each() {
	while IFS= read -r c; do
		tap_skip "$c" "$1"
	done
	echo "1..$n"
}

tap_result() {	# rc name
	if [ "$1" -eq 0 ]; then
		tap_ok "$2"
	else
		tap_fail "$2"
	fi
}

# diag TEXT...: TAP comment lines.
diag() {
	printf '%s\n' "$*" | sed 's/^/# /'
}

diag_file() {	# label file
	[ -s "$2" ] || return 0
	echo "# $1:"
	sed 's/^/#   /' "$2"
}

# cleanup: kills and reaps the jobs in $pids, deletes the namespaces in
# $nslist and removes $tmp.  cleanup_on_exit runs it on any exit.
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null
	done
	for p in $pids; do
		wait "$p" 2>/dev/null
	done
	pids=
	for ns in $nslist; do
		ip netns del "$ns" 2>/dev/null
	done
	nslist=
	[ -n "$tmp" ] && rm -rf "$tmp"
}

cleanup_on_exit() {
	trap cleanup EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# need_root_netns: skip_all unless root, with ip(8) and timeout(1).
need_root_netns() {
	[ "$(id -u)" -eq 0 ] || skip_all "not root"
	command -v ip >/dev/null 2>&1 || skip_all "ip(8) missing"
	command -v timeout >/dev/null 2>&1 || skip_all "timeout(1) missing"
}

# bg NAME NS CMD...: starts CMD in namespace NS, output in $tmp/NAME.*
# ($tmp a directory); its pid in $bgpid and $pids.
bg() {
	name=$1 ns=$2
	shift 2
	ip netns exec "$ns" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	bgpid=$!
	pids="$pids $bgpid"
}

# reap PID: waits for it, forgets it; the status in $rc (the shell's
# note of a job killed by a signal is not TAP: it goes).
reap() {
	wait "$1" 2>/dev/null
	rc=$?
	rest=
	for p in $pids; do
		[ "$p" = "$1" ] || rest="$rest $p"
	done
	pids=$rest
}

# wait_for FILE PATTERN PID TENTHS: 0 once FILE has PATTERN, 1 if PID
# ended first, 2 when the time is up.
wait_for() {
	i=0
	while [ "$i" -lt "$4" ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || {
			grep -q "$2" "$1" 2>/dev/null && return 0
			return 1
		}
		sleep 0.1
		i=$((i + 1))
	done
	return 2
}

# wait_capture ERRFILE PID TENTHS: as wait_for, until the tshark whose
# standard error goes to ERRFILE takes packets.  Its "Capturing on" line
# comes when dumpcap has opened the interface, up to a second before the
# capture starts (packets sent between the two are never seen); tshark
# says "Capture started." then.
wait_capture() {
	wait_for "$1" 'Capture started' "$2" "$3"
}

# netns_pair NSA NSB: the namespaces NSA and NSB (kept in $nsa, $nsb and
# $nslist) joined by a veth pair, xka0 in NSA and xkb0 in NSB, down.
netns_pair() {
	nsa=$1 nsb=$2
	ip netns add "$nsa" || return 1
	nslist="$nslist $nsa"
	ip netns add "$nsb" || return 1
	nslist="$nslist $nsb"
	ip link add name xka0 netns "$nsa" type veth peer name xkb0 \
	    netns "$nsb"
}

# netns_pair_up TENTHS: lo, xka0 and xkb0 up, then links_up TENTHS.
netns_pair_up() {
	for ns in "$nsa" "$nsb"; do
		ip -n "$ns" link set lo up || return 1
	done
	ip -n "$nsa" link set xka0 up || return 1
	ip -n "$nsb" link set xkb0 up || return 1
	links_up "$1"
}

# links_up TENTHS: waits until xka0 and xkb0 have a carrier; 1 when they
# have none after TENTHS tenths of a second.
links_up() {
	i=0
	until ip -n "$nsa" link show xka0 | grep -q LOWER_UP &&
	    ip -n "$nsb" link show xkb0 | grep -q LOWER_UP; do
		i=$((i + 1))
		[ "$i" -lt "$1" ] || return 1
		sleep 0.1
	done
	return 0
}

# netns_down: deletes the namespaces $nsa and $nsb, and forgets them.
netns_down() {
	rest=
	for ns in $nslist; do
		if [ "$ns" = "$nsa" ] || [ "$ns" = "$nsb" ]; then
			ip netns del "$ns" 2>/dev/null
		else
			rest="$rest $ns"
		fi
	done
	nslist=$rest
}
