#!/bin/sh
# xkpi: every fuzz seed and regression input, replayed through each
# harness without libFuzzer (make check; run from the build directory).
# SPDX-License-Identifier: BSD-2-Clause
#
# The seeds come from tests/fuzz/mkcorpus, the regression inputs from
# tests/fuzz/regress/NAME.  One TAP line per harness; a failed check
# aborts the replay, which names the input on stderr.
# XK_TEST_WRAPPER (valgrind, say) is put in front of each replay.
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/xkreplay.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

n=0
for replay in tests/fuzz/replay_*; do
	[ -x "$replay" ] || continue
	n=$((n + 1))
	name=fuzz_${replay##*/replay_}
	if [ "$n" -eq 1 ] && ! ./tests/fuzz/mkcorpus "$tmp" >"$tmp/mkcorpus.out" 2>&1; then
		echo "not ok $n - $name: mkcorpus failed"
		sed 's/^/# /' "$tmp/mkcorpus.out"
		continue
	fi
	set -- "$tmp/$name"
	[ -d "$here/regress/$name" ] && set -- "$@" "$here/regress/$name"
	${XK_TEST_WRAPPER:-} "./$replay" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	inputs=$(grep -c '^ok ' "$tmp/out")
	if [ "$rc" -eq 0 ] && [ "$inputs" -gt 0 ]; then
		echo "ok $n - $name: $inputs seed and regression inputs replayed"
	else
		echo "not ok $n - $name: status $rc after $inputs inputs"
		tail -n 20 "$tmp/err" | sed 's/^/# /'
	fi
done
if [ "$n" -eq 0 ]; then
	echo "not ok 1 - no replay program built"
	n=1
fi
echo "1..$n"
