#!/bin/sh
# Integration over loopback: the examples against each other (the demo),
# reported as TAP, one case per step.  Run from the build directory.
#
# The ping steps depend on where the demo runs: over namespaces and the
# host backends as root (`ping linux', `ping6 linux', `ping pcap',
# `ping6 pcap'), in-process otherwise (`ping mem', `ping6 mem').  Every
# ping step the summary names is one case; a skipped step is a SKIP.
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
# "  ping6 linux  skipped: backend not built" -> "ping6 linux|skipped: ..."
pings=$(printf '%s\n' "$out" |
    sed -n 's/^  \(ping6\{0,1\} [a-z]*\)  *\([a-zA-Z]\)/\1|\2/p')
if [ -z "$pings" ]; then
	n=$((n + 1))
	echo "not ok $n - examples: ping (no ping step in the summary)"
fi
while IFS='|' read -r step result; do
	[ -n "$step" ] || continue
	n=$((n + 1))
	case $result in
	ok:*)
		echo "ok $n - examples: $step"
		;;
	skipped:*)
		echo "ok $n - examples: $step # SKIP ${result#skipped: }"
		;;
	*)
		echo "not ok $n - examples: $step"
		;;
	esac
done <<EOF
$pings
EOF
echo "1..$n"
exit $rc
