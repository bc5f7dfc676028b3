#!/bin/sh
# Integration over loopback: the examples against each other (the demo),
# reported as TAP, one case per step.  Run from the build directory.
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
out=$(sh "$srcdir/examples/demo.sh" 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
n=0
for step in "mbuf" "udp echo" "tcp stream"; do
	n=$((n + 1))
	if printf '%s\n' "$out" | grep -q "^  $step  *ok:"; then
		echo "ok $n - examples: $step"
	else
		echo "not ok $n - examples: $step"
	fi
done
echo "1..$n"
exit $rc
