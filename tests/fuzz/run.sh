#!/bin/sh
# Runs each libFuzzer harness for a while: run.sh SECONDS HARNESS...
# from the fuzz build directory (make fuzz does it).
#
# A harness's corpus lives in corpus/NAME (seeded by tests/fuzz/mkcorpus,
# grown by every run); the inputs in tests/fuzz/regress/NAME run first
# on every run.  Its log is log/NAME.log, a crash input
# artifacts/NAME-crash-..., and the executions of every run so far add up
# in stats/NAME.  Any crash, leak, timeout or failed check fails the run.
# FUZZ_ARGS adds libFuzzer options (-jobs=N, -max_len=N, -dict=FILE...).
set -u

secs=${1:?usage: run.sh SECONDS HARNESS...}
shift
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p corpus log artifacts stats
./tests/fuzz/mkcorpus corpus || exit 1

fail=0
for h in "$@"; do
	name=$(basename "$h")
	dirs=corpus/$name
	mkdir -p "$dirs"
	if [ -d "$here/regress/$name" ]; then
		dirs="$dirs $here/regress/$name"
	fi
	# shellcheck disable=SC2086
	"./$h" -max_total_time="$secs" -timeout=30 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="artifacts/$name-" \
	    ${FUZZ_ARGS:-} $dirs >"log/$name.log" 2>&1
	rc=$?
	# "Done N runs", or after a crash the last progress line's "#N".
	runs=$(sed -n 's/^Done \([0-9]*\) runs in.*/\1/p' "log/$name.log" |
	    tail -n 1)
	if [ -z "$runs" ]; then
		runs=$(sed -n 's/^#\([0-9]*\)[[:space:]].*/\1/p' \
		    "log/$name.log" | tail -n 1)
	fi
	runs=${runs:-0}
	total=$(cat "stats/$name" 2>/dev/null || echo 0)
	total=$((total + runs))
	echo "$total" >"stats/$name"
	echo "$name: $runs runs in $secs s ($total in all runs so far)," \
	    "corpus $(ls "corpus/$name" | wc -l) inputs"
	if [ "$rc" -ne 0 ]; then
		echo "$name: FAILED (exit $rc), log in $(pwd)/log/$name.log:"
		grep -E 'ERROR|SUMMARY|fuzz_[a-z]*:|panic|Test unit written' \
		    "log/$name.log" | head -n 20
		fail=1
	fi
done
exit $fail
