#!/bin/sh
# xkpi-stat and the stats socket (XKPI_STATS_SOCKET), reported as TAP.
# Run from the build directory; no privilege needed.
#
# Cases:
#   xkpi-stat: help             -h and --help print the usage on standard
#                               output and exit 0; a bad option exits 2
#   xkpi-stat: no such path     says no process was started with it
#   xkpi-stat: not a socket     says so; a library started with that path
#                               refuses it and leaves the file alone
#   xkpi-stat: live process     udp_echo's counters, and its socket with
#                               its state in words
#   stats socket: held          a second process started with the path a
#                               live one holds fails to start, saying
#                               which process holds it; the first still
#                               answers there
#   stats socket: early close   300 readers that close at once (python3)
#                               cost the process nothing (it once died of
#                               SIGPIPE)
#   xkpi-stat: stale socket     after kill -9 of the process: nothing
#                               answers, said in words; the next process
#                               started with the path replaces the file
#   xkpi-stat: foreign socket   something else answering there (python3)
#                               is said not to be an xkpi process
# SPDX-License-Identifier: BSD-2-Clause
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
. "$srcdir/tests/lib/xk_tap.sh"
cleanup_on_exit

XKSTAT=./tools/xkpi-stat
tmp=$(mktemp -d)
sock=$tmp/stats.sock

# check NAME: the case passes when the commands before it all held.
ok=0
check() {
	if [ "$ok" -eq 0 ]; then
		tap_ok "$1"
	else
		tap_fail "$1"
	fi
	ok=0
}
want() {	# file pattern
	grep -q -- "$2" "$1" || {
		diag "$1 lacks: $2"
		diag_file "$1" "$1"
		ok=1
	}
}

# Help.
"$XKSTAT" -h >"$tmp/h.out" 2>"$tmp/h.err" || ok=1
want "$tmp/h.out" "usage: xkpi-stat"
"$XKSTAT" --help >"$tmp/h2.out" 2>&1 || ok=1
want "$tmp/h2.out" "XKPI_STATS_SOCKET"
"$XKSTAT" -z "$sock" >/dev/null 2>&1
[ $? -eq 2 ] || { diag "bad option: not exit 2"; ok=1; }
check "xkpi-stat: help"

# No such path.
"$XKSTAT" "$tmp/none" >"$tmp/n.out" 2>&1 && ok=1
want "$tmp/n.out" "no running process was started with XKPI_STATS_SOCKET"
check "xkpi-stat: no such path"

# Not a socket: neither read nor taken.
echo "keep me" >"$tmp/file"
"$XKSTAT" "$tmp/file" >"$tmp/f.out" 2>&1 && ok=1
want "$tmp/f.out" "not a socket"
XKPI_STATS_SOCKET="$tmp/file" timeout 20 ./examples/ping --mem -c 1 -i 10 \
    >"$tmp/pf.out" 2>&1 && ok=1
want "$tmp/pf.out" "XKPI_STATS_SOCKET=$tmp/file: not a socket"
grep -q "keep me" "$tmp/file" || { diag "the file was replaced"; ok=1; }
check "xkpi-stat: not a socket"

# A live process: udp_echo's socket, its state in words.
XKPI_STATS_SOCKET="$sock" ./examples/udp_echo -p 0 -t 60 \
    >"$tmp/echo.out" 2>&1 &
echo_pid=$!
pids="$pids $echo_pid"
i=0
until "$XKSTAT" "$sock" >"$tmp/live.out" 2>&1; do
	i=$((i + 1))
	[ "$i" -lt 100 ] && kill -0 "$echo_pid" 2>/dev/null || break
	sleep 0.1
done
want "$tmp/live.out" "^sockets"
# pcb: domain type protocol local peer rcv snd state (words, not hex)
grep -Eq '^  inet dgram 17 127\.0\.0\.1:[0-9]+ - [0-9]+/[0-9]+ [0-9]+/[0-9]+ [a-z,-]+$' \
    "$tmp/live.out" || { diag_file "no socket line in words" \
    "$tmp/live.out"; ok=1; }
check "xkpi-stat: live process"

# A second process on the same path: refused, naming the holder.
XKPI_STATS_SOCKET="$sock" timeout 20 ./examples/ping --mem -c 1 -i 10 \
    >"$tmp/second.out" 2>&1 && { diag "the second process started"; ok=1; }
want "$tmp/second.out" "process $echo_pid answers there already"
"$XKSTAT" -p "$sock" >"$tmp/after.out" 2>&1 || ok=1
want "$tmp/after.out" "inet dgram 17 127.0.0.1"
check "stats socket: held"

# Readers that go away before the answer: no SIGPIPE for the process.
if command -v python3 >/dev/null 2>&1; then
	python3 -c '
import socket, sys
for i in range(300):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.close()
' "$sock" || ok=1
	sleep 0.2
	kill -0 "$echo_pid" 2>/dev/null || { diag "udp_echo died"; ok=1; }
	"$XKSTAT" -p "$sock" >"$tmp/early.out" 2>&1 || ok=1
	want "$tmp/early.out" "inet dgram 17 127.0.0.1"
	check "stats socket: early close"
else
	tap_skip "stats socket: early close" "python3 missing"
fi

# Stale: the holder killed; the file stays, nothing answers.
kill -9 "$echo_pid" 2>/dev/null
reap "$echo_pid"
[ -S "$sock" ] || { diag "no stale socket file left"; ok=1; }
"$XKSTAT" "$sock" >"$tmp/stale.out" 2>&1 && ok=1
want "$tmp/stale.out" "nothing answers there"
XKPI_STATS_SOCKET="$sock" timeout 20 ./examples/ping --mem -c 1 -i 10 \
    >"$tmp/third.out" 2>&1 || { diag_file "restart" "$tmp/third.out"; ok=1; }
check "xkpi-stat: stale socket"

# Something else answers there.
if command -v python3 >/dev/null 2>&1; then
	rm -f "$sock"
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(1)
s.settimeout(30)
c, _ = s.accept()
c.sendall(b"hello from elsewhere\n")
c.close()
' "$sock" &
	py=$!
	pids="$pids $py"
	i=0
	while [ ! -S "$sock" ] && [ "$i" -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	"$XKSTAT" "$sock" >"$tmp/foreign.out" 2>&1 && ok=1
	want "$tmp/foreign.out" "not an xkpi process"
	reap "$py"
	check "xkpi-stat: foreign socket"
else
	tap_skip "xkpi-stat: foreign socket" "python3 missing"
fi

echo "1..$n"
exit "$failed"
