#!/bin/sh
# Runs each cmocka test program given on the command line, with TAP
# output, and each integration script (*.sh, which prints TAP itself);
# ends with one line: N passed, N failed, N skipped.
# XK_TEST_WRAPPER (valgrind, say) is put in front of each program.
pass=0 fail=0 skip=0 status=0
for t in "$@"; do
	case $t in
	*.sh)	out=$(sh "$t" 2>&1) ;;
	*)	out=$(CMOCKA_MESSAGE_OUTPUT=TAP ${XK_TEST_WRAPPER:-} "./$t" 2>&1) ;;
	esac
	rc=$?
	printf '%s\n' "$out"
	# cmocka 1.1 reports a skipped test as "not ok N # SKIP".
	s=$(printf '%s\n' "$out" | grep -ci '^\(not \)\{0,1\}ok .*# *skip')
	ok=$(printf '%s\n' "$out" | grep -ci '^ok ')
	nok=$(printf '%s\n' "$out" | grep -ci '^not ok ')
	ok_skip=$(printf '%s\n' "$out" | grep -ci '^ok .*# *skip')
	f=$((nok - (s - ok_skip)))
	pass=$((pass + ok - ok_skip))
	skip=$((skip + s))
	fail=$((fail + f))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		# The program died, or a wrapper (valgrind) found errors.
		echo "$t: exited with status $rc" >&2
		fail=$((fail + 1))
	fi
	[ "$rc" -eq 0 ] || status=1
done
echo "$pass passed, $fail failed, $skip skipped"
exit $status
