#!/bin/sh
# xkpi: fault injection over the unit suite (make check-fault).
#
# usage: run.sh PROGRAM...
# from a build directory (ASan/UBSan/LSan: make check-fault makes one)
# holding the unit programs linked with tests/fault/fault.c.
#
# 1. Runs each program once, recording every call site it reaches of an
#    allocation, an mbuf allocation or a host call (see fault.c).
# 2. Keeps the sites in the library (core/, kpi/, backends/), by source
#    line.  A site several programs reach is failed in the quickest of
#    them (XK_FAULT_EVERY=1: in each of them).
# 3. Reruns that program once per site with the first call there failing
#    (XK_FAULT_NTH=N: the Nth; XK_FAULT_COUNT=N: N calls, 0 every call),
#    under a time bound, and judges the run:
#      crash   a signal, an ASan or UBSan report, an engine panic
#      leak    LeakSanitizer found memory nobody can free, and either
#              the tests passed or a leaked block was allocated under the
#              function whose call was failed
#      hang    the time bound ran out
#      ok      the tests saw the failure ("failed": an assertion did not
#              hold, as expected of an injected fault) or saw nothing
#              ("absorbed": recovered, or swallowed: worth a look for a
#              loss with no counter)
#      unreached  the run did not reach the site (timing-dependent paths),
#              or an mbuf allocator call there never allocated
#    A leak in a run where a test failed, none of it from the failed
#    call's function, is the test's own (cmocka leaves a failed test's
#    frees undone): "leak-test-owned", listed apart, not a failure.
#
# Environment: XK_FAULT_LIMIT=N fails N sites spread over the list (0 or
# unset: all); XK_FAULT_KIND=alloc|host|all; XK_FAULT_JOBS (2);
# XK_FAULT_TIMEOUT, seconds per run (120); XK_FAULT_OUT, the results
# directory (fault-results); XK_TEST_LIVENESS_MS, the tests' wait bound
# (3000 here: most waits are for what the fault prevented).
# Exit status 1 when any run crashed, leaked (with its tests passing) or
# hung.

if [ "$1" = --one ]; then
	# One run: --one ID PROGRAM OFFSET (from the driver, through xargs).
	id=$2 prog=$3 off=$4 dir=$XK_FAULT_OUT/runs
	XK_FAULT_SITE=$off XK_FAULT_LOG=$dir/$id.log \
	    CMOCKA_MESSAGE_OUTPUT=TAP \
	    timeout -k 10 "$XK_FAULT_TIMEOUT" \
	    sh -c 'echo $$ >"$1"; exec "$2"' sh "$dir/$id.pid" "./$prog" \
	    >"$dir/$id.out" 2>&1
	echo $? >"$dir/$id.rc"
	# A program killed by the bound leaves its namespaces and links.
	pid=$(cat "$dir/$id.pid" 2>/dev/null)
	if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
		for ns in $(ip netns list 2>/dev/null | awk '{print $1}' |
		    grep "^xk[a-zA-Z]*$pid\$"); do
			ip netns del "$ns" 2>/dev/null
		done
		for l in $(ip -o link 2>/dev/null |
		    sed -n "s/^[0-9]*: \(xk[a-z]*$pid\)[@:].*/\1/p"); do
			ip link del "$l" 2>/dev/null
		done
	fi
	exit 0
fi

: "${XK_FAULT_LIMIT:=0}" "${XK_FAULT_KIND:=all}" "${XK_FAULT_JOBS:=2}"
: "${XK_FAULT_TIMEOUT:=120}" "${XK_FAULT_OUT:=fault-results}"
: "${XK_TEST_LIVENESS_MS:=3000}"
# Sanitizers: report a SEGV themselves (cmocka would catch it as a
# failed test), and leaks at exit.
: "${ASAN_OPTIONS:=allow_user_segv_handler=0:detect_leaks=1}"
: "${UBSAN_OPTIONS:=print_stacktrace=1}"
export XK_FAULT_OUT XK_FAULT_TIMEOUT XK_TEST_LIVENESS_MS ASAN_OPTIONS \
    UBSAN_OPTIONS XK_FAULT_NTH XK_FAULT_COUNT
out=$XK_FAULT_OUT
self=$0
case $self in /*) ;; *) self=$PWD/$self ;; esac

ALLOC='malloc calloc realloc strdup g_malloc g_malloc0 g_malloc_n g_malloc0_n
g_realloc g_try_malloc g_try_malloc0 g_try_malloc_n g_try_malloc0_n
g_try_realloc mmap xk_m_get xk_m_clget xk_m_getcl xk_m_devget xk_m_copym
xk_m_dup xk_m_split xk_m_prepend xk_m_pullup xk_m_pulldown xk_m_copyback
xk_m_tag_alloc mbuf_gethdr mbuf_allocpacket'

if [ -n "${XK_FAULT_REJUDGE:-}" ]; then
	# Judge the runs of $out again (after a change to this script).
	goto_judge=1
else
	goto_judge=0
	rm -rf "$out"
	mkdir -p "$out/rec" "$out/runs" || exit 1
	: >"$out/sites"
fi

# 1. Record.
[ "$goto_judge" -eq 1 ] && set --
for p in "$@"; do
	n=${p##*/}
	t0=$(date +%s%N)
	XK_FAULT_LOG=$out/rec/$n.log CMOCKA_MESSAGE_OUTPUT=TAP \
	    timeout -k 10 "$XK_FAULT_TIMEOUT" "./$p" >"$out/rec/$n.out" 2>&1
	rc=$?
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	nok=$(grep -c '^not ok' "$out/rec/$n.out")
	if [ "$rc" -ne 0 ]; then
		echo "fault: $n fails without a fault (status $rc, $nok" \
		    "failed): its runs are judged against that" >&2
	fi
	echo "$nok" >"$out/rec/$n.nok"
	grep -c 'xkpi: panic' "$out/rec/$n.out" >"$out/rec/$n.panics"
	# Offsets are return addresses: the call is the byte before.
	awk '$1 == "site" { print $2, $3 }' "$out/rec/$n.log" >"$out/rec/$n.s"
	while read -r off fn; do
		printf '%x\n' $((off - 1))
	done <"$out/rec/$n.s" | addr2line -f -e "$p" | paste - - |
	    paste -d ' ' "$out/rec/$n.s" - |
	    while read -r off fn func where rest; do
		where=${where%% *}
		case $where in
		*/core/*|*/kpi/*|*/backends/*) ;;
		*) continue ;;
		esac
		kind=host
		for a in $ALLOC; do
			[ "$fn" = "$a" ] && kind=alloc
		done
		echo "$ms $p $off $fn $func ${where##*/} $kind"
	    done >>"$out/sites"
done

# 2. One run per site (source line and function), in the quickest program.
sort -n "$out/sites" | awk -v every="${XK_FAULT_EVERY:-0}" \
    -v kind="$XK_FAULT_KIND" '
	kind != "all" && $7 != kind { next }
	{ key = $6 " " $4 }
	every == 1 || !(key in seen) { seen[key] = 1; print }
' | sort -k6,6 -k4,4 >"$out/chosen"
total=$(wc -l <"$out/chosen")
if [ "$XK_FAULT_LIMIT" -gt 0 ] && [ "$total" -gt "$XK_FAULT_LIMIT" ]; then
	awk -v n="$total" -v k="$XK_FAULT_LIMIT" \
	    'int((NR - 1) * k / n) != int(NR * k / n)' "$out/chosen" \
	    >"$out/chosen.k"
	mv "$out/chosen.k" "$out/chosen"
fi
if [ "$goto_judge" -eq 0 ]; then
	awk '{ printf "%d %s %s\n", NR, $2, $3 }' "$out/chosen" >"$out/jobs"
	echo "fault: $(wc -l <"$out/chosen") runs of $total sites," \
	    "$XK_FAULT_JOBS at a time, each bounded to" \
	    "${XK_FAULT_TIMEOUT}s"
	xargs -P "$XK_FAULT_JOBS" -L 1 sh "$self" --one <"$out/jobs"
fi

# 3. Judge.
: >"$out/verdicts"
i=0
while read -r ms p off fn func where kind; do
	i=$((i + 1))
	n=${p##*/}
	r=$out/runs/$i
	rc=$(cat "$r.rc" 2>/dev/null || echo 999)
	nok=$(grep -c '^not ok' "$r.out")
	panics=$(grep -c 'xkpi: panic' "$r.out")
	fired=$(grep -c '^fired' "$r.log" 2>/dev/null)
	unused=$(grep -c '^unused' "$r.log" 2>/dev/null)
	# Leaked blocks allocated under the failed call's function.
	mine=$(sed -n '/ERROR: LeakSanitizer/,/^SUMMARY/p' "$r.out" |
	    grep -c " in $func ")
	if [ "${fired:-0}" -eq 0 ] || [ "$fired" -eq "${unused:-0}" ]; then
		v=unreached
	elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		v=hang
	elif grep -q 'ERROR: AddressSanitizer\|runtime error:' "$r.out" ||
	    [ "$rc" -ge 128 ] ||
	    [ "$panics" -gt "$(cat "$out/rec/$n.panics")" ]; then
		v=crash
	elif grep -q 'ERROR: LeakSanitizer' "$r.out"; then
		if [ "$nok" -gt "$(cat "$out/rec/$n.nok")" ] &&
		    [ "$mine" -eq 0 ]; then
			v=leak-test-owned
		else
			v=leak
		fi
	elif [ "$nok" -gt "$(cat "$out/rec/$n.nok")" ]; then
		v=failed
	else
		v=absorbed
	fi
	echo "$v $kind $fn $func $where $n run=$i" >>"$out/verdicts"
done <"$out/chosen"

count() {
	awk -v v="$1" -v k="$2" '($1 == v || v == "") && ($2 == k || k == "")' \
	    "$out/verdicts" | wc -l
}
reached() {
	awk -v k="$1" '$1 != "unreached" && ($2 == k || k == "")' \
	    "$out/verdicts" | wc -l
}
{
	echo "fault: sites in the library reached by the suite:" \
	    "$(awk '$7 == "alloc"' "$out/sites" | awk '{print $6, $4}' |
	    sort -u | wc -l) allocation," \
	    "$(awk '$7 == "host"' "$out/sites" | awk '{print $6, $4}' |
	    sort -u | wc -l) host call"
	echo "fault: failed: $(reached alloc) allocation sites," \
	    "$(reached host) host-call sites ($(count unreached) runs did" \
	    "not reach their site)"
	echo "fault: verdicts: $(count failed) failed as expected," \
	    "$(count absorbed) absorbed, $(count crash) crash," \
	    "$(count leak) leak, $(count hang) hang" \
	    "($(count leak-test-owned) runs leaked what a failed test held)"
	grep '^\(crash\|leak\|hang\) ' "$out/verdicts" | sort |
	    sed 's/^/fault:   /'
} | tee "$out/summary"
echo "fault: details in $out/ (runs/N.out, verdicts)"
! grep -q '^\(crash\|leak\|hang\) ' "$out/verdicts"
