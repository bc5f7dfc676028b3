#!/bin/sh
# The kext include set's build test, run by make check from the build
# directory: every header of the set compiles first and alone, and
# layout.c and the example kext compile, under gcc and clang (when
# installed), with -Werror -Wimplicit-function-declaration, as
# pkg-config xkpi-kext would have them compiled.  Prints TAP.
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
flags="-std=c11 -Wall -Wextra -Werror -Wimplicit-function-declaration \
-Wno-unused-parameter -I$srcdir/headers/kext -I$srcdir/headers -DKERNEL \
-D_DEFAULT_SOURCE"
headers=$(cd "$srcdir/headers/kext" && find . -name '*.h' | sed 's|^\./||' |
    sort)
n=0
out=""
ok() { n=$((n + 1)); out="$out
ok $n - $1"; }
notok() { n=$((n + 1)); out="$out
not ok $n - $1"; }
skip() { n=$((n + 1)); out="$out
ok $n - $1 # SKIP $2"; }
for cc in gcc clang; do
	if ! command -v $cc >/dev/null 2>&1; then
		skip "$cc: every header alone" "$cc not installed"
		skip "$cc: every header in one file" "$cc not installed"
		skip "$cc: layout.c" "$cc not installed"
		skip "$cc: examples/kext" "$cc not installed"
		continue
	fi
	bad=""
	for h in $headers; do
		printf '#include <%s>\n' "$h" > "$tmp/one.c"
		# shellcheck disable=SC2086
		$cc $flags -c -o "$tmp/one.o" "$tmp/one.c" \
		    2>"$tmp/err" || { bad="$bad $h"; cat "$tmp/err" >&2; }
	done
	if [ -z "$bad" ]; then
		ok "$cc: every header of the kext set compiles alone"
	else
		notok "$cc: headers that do not compile alone:$bad"
	fi
	# And all of them in one file, with the plain KPI headers a kext
	# includes.
	{
		for h in $headers sys/kpi_socket.h sys/kpi_mbuf.h \
		    netinet/kpi_ipfilter.h net/kpi_interface.h net/if_dl.h; do
			printf '#include <%s>\n' "$h"
		done
	} > "$tmp/all.c"
	# shellcheck disable=SC2086
	if $cc $flags -c -o "$tmp/all.o" "$tmp/all.c"; then
		ok "$cc: every header of the kext set in one file"
	else
		notok "$cc: every header of the kext set in one file"
	fi
	# shellcheck disable=SC2086
	if $cc $flags -c -o "$tmp/layout.o" "$srcdir/tests/kext/layout.c"; then
		ok "$cc: layout.c (BSD socket addresses, kext idioms)"
	else
		notok "$cc: layout.c"
	fi
	for f in "$srcdir"/examples/kext/*.c; do
		[ -f "$f" ] || continue
		# shellcheck disable=SC2086
		if $cc $flags -c -o "$tmp/ex.o" "$f"; then
			ok "$cc: examples/kext/$(basename "$f") unchanged"
		else
			notok "$cc: examples/kext/$(basename "$f")"
		fi
	done
done
echo "1..$n"
printf '%s\n' "$out" | sed '1d'
