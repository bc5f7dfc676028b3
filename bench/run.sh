#!/bin/sh
# Run the benchmarks and print one table: library (xkpi) against the bare
# syscalls, measured in the same run.  Run from the build directory
# ("make -C build bench" does).  A missed goal is reported, not failed:
# the exit status is non-zero only when a benchmark program fails.
#
# Environment: BENCH_DIR (where the programs are, default ./bench),
# BENCH_UDP_ARGS and BENCH_LAT_ARGS (extra options for each program).
#
# SPDX-License-Identifier: BSD-2-Clause

dir=${BENCH_DIR:-./bench}
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
	{ "$dir/$name" "$@" 2>&1; echo $? >"$out.rc"; } | tee -a "$out" |
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

echo "machine: $(nproc) CPUs, $(uname -sr), $(uname -m)"
awk -F'|' '
BEGIN {
	fmt = "%-34s | %10s | %10s | %7s\n"
	printf fmt, "benchmark", "bare", "xkpi", "ratio"
	printf fmt, "----------------------------------", "----------", \
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
