#!/bin/sh
# Run the benchmarks and print one table: library (xkpi) against the bare
# syscalls, measured in the same run.  Run from the build directory
# ("make -C build bench" does).  A missed goal is reported, not failed:
# the exit status is non-zero only when a benchmark program fails.
#
# Environment: BENCH_DIR (where the programs are, default ./bench),
# BENCH_UDP_ARGS, BENCH_LAT_ARGS, BENCH_FW_ARGS, BENCH_RAW_RECV_ARGS,
# BENCH_RAW_SEND_ARGS, BENCH_RAW_LAT_ARGS, BENCH_DEMUX_ARGS,
# BENCH_RAW_LOOPS_ARGS,
# BENCH_DIVERT_ARGS, BENCH_SENDSIG_ARGS, BENCH_IPF_ARGS and
# BENCH_SEND_ARGS (extra options for each program).  The raw IP, divert,
# ipf and SeND round-trip benchmarks run only as root, each in two
# namespaces of its own (bench/netns.sh); otherwise they are skipped with
# a note.
#
# SPDX-License-Identifier: BSD-2-Clause

dir=${BENCH_DIR:-./bench}
here=$(dirname "$0")
wrap=
out=$(mktemp "${TMPDIR:-/tmp}/xkpi-bench.XXXXXX") || exit 1
trap 'rm -f "$out" "$out.rc"' EXIT INT TERM
status=0

run() {
	name=$1
	shift
	if [ ! -x "$dir/$name" ]; then
		echo "run.sh: $dir/$name: not built" >&2
		status=1
		return
	fi
	echo "== $name $*"
	# Keep the program's own report visible, and its status.
	# shellcheck disable=SC2086  # $wrap is a command line, or nothing
	{ $wrap "$dir/$name" "$@" 2>&1; echo $? >"$out.rc"; } | tee -a "$out" |
	    grep -v -e '^ROW|' -e '^NOTE|'
	rc=$(cat "$out.rc")
	if [ "$rc" != 0 ]; then
		echo "run.sh: $name failed (exit $rc)" >&2
		status=1
	fi
	echo
}

# shellcheck disable=SC2086  # the argument lists are meant to split
run bench_udp_recv $BENCH_UDP_ARGS
# shellcheck disable=SC2086
run bench_latency $BENCH_LAT_ARGS
# shellcheck disable=SC2086
run bench_fw $BENCH_FW_ARGS
# shellcheck disable=SC2086
run bench_sendsig $BENCH_SENDSIG_ARGS

if [ "$(id -u)" = 0 ]; then
	wrap="sh $here/netns.sh"
	# shellcheck disable=SC2086
	run bench_raw_recv $BENCH_RAW_RECV_ARGS
	# shellcheck disable=SC2086
	run bench_raw_send $BENCH_RAW_SEND_ARGS
	# shellcheck disable=SC2086
	run bench_raw_lat $BENCH_RAW_LAT_ARGS
	# shellcheck disable=SC2086
	run bench_demux $BENCH_DEMUX_ARGS
	# shellcheck disable=SC2086
	run bench_raw_loops $BENCH_RAW_LOOPS_ARGS
	# Divert needs the nfqueue backend (configure builds bench_divert
	# only with it) and iptables, which it runs inside its namespace.
	if [ ! -x "$dir/bench_divert" ]; then
		echo "NOTE|divert benchmarks skipped: bench_divert not built" \
		    "(no nfqueue backend in this build)" >>"$out"
	elif ! command -v iptables >/dev/null 2>&1; then
		echo "NOTE|divert benchmarks skipped: no iptables" >>"$out"
	else
		# shellcheck disable=SC2086
		run bench_divert $BENCH_DIVERT_ARGS
	fi
	# IP filters and SeND need the nfqueue backend too (configure
	# builds bench_ipf and bench_send only with it); SeND ip6tables.
	if [ ! -x "$dir/bench_ipf" ]; then
		echo "NOTE|ipf and SeND benchmarks skipped: not built" \
		    "(no nfqueue backend in this build)" >>"$out"
	else
		if command -v iptables >/dev/null 2>&1; then
			# shellcheck disable=SC2086
			run bench_ipf $BENCH_IPF_ARGS
		else
			echo "NOTE|ipf benchmark skipped: no iptables" >>"$out"
		fi
		if command -v ip6tables >/dev/null 2>&1; then
			# shellcheck disable=SC2086
			run bench_send $BENCH_SEND_ARGS
		else
			echo "NOTE|SeND benchmark skipped: no ip6tables" \
			    >>"$out"
		fi
	fi
	wrap=
else
	echo "run.sh: raw IP benchmarks skipped: they need root" >&2
	echo "NOTE|raw IP benchmarks skipped: not root (they make network" \
	    "namespaces and raw sockets)" >>"$out"
fi

echo "machine: $(nproc) CPUs, $(uname -sr), $(uname -m)"
awk -F'|' '
BEGIN {
	fmt = "%-50s | %10s | %10s | %7s\n"
	printf fmt, "benchmark", "bare", "xkpi", "ratio"
	printf fmt, "--------------------------------------------------", \
	    "----------", \
	    "----------", "-------"
}
$1 == "ROW" { printf fmt, $2, $3, $4, $5 }
$1 == "NOTE" { notes[++n] = $2 }
END {
	for (i = 1; i <= n; i++) {
		print "note: " notes[i]
	}
}' "$out"
exit $status
