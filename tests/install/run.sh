#!/bin/sh
# make installcheck: install into a scratch DESTDIR, then, outside the
# tree and with pkg-config alone: build and run a program; build every
# example from the sources installed under $(docdir); link one of them
# with the static library (pkg-config --static) and run it; check that
# the documents and the HTML reference (when doxygen is found) are there.
set -eu
srcdir=$1
docdir=$2
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
make -s install DESTDIR="$dest" >/dev/null
pcdir=$(dirname "$(find "$dest" -name xkpi.pc | head -n 1)")
for h in sys/kpi_socket.h sys/kpi_mbuf.h sys/kernel_types.h \
    netinet/ip_divert.h netinet6/send.h xkpi.h xkpi_fw.h; do
	[ -f "$(find "$dest" -path "*/include/xkpi/$h" | head -n 1)" ] || {
		echo "installcheck: $h not installed under include/xkpi" >&2
		exit 1
	}
done
export PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$dest"
cflags=$(pkg-config --cflags xkpi)
libs=$(pkg-config --libs xkpi)
# shellcheck disable=SC2086
cc -std=c11 -Wall -Werror -o "$dest/consumer" \
    "$srcdir/tests/install/consumer.c" $cflags $libs
LD_LIBRARY_PATH="$(dirname "$pcdir")" "$dest/consumer"

# The kext include set, as pkg-config xkpi-kext gives it (its directory
# ahead of the plain one): the example kext builds unchanged, starts and
# stops.
[ -f "$(find "$dest" -path "*/include/xkpi/kext/sys/socket.h" |
    head -n 1)" ] || {
	echo "installcheck: the kext set is not under include/xkpi/kext" >&2
	exit 1
}
kcflags=$(pkg-config --cflags xkpi-kext)
klibs=$(pkg-config --libs xkpi-kext)
case $kcflags in
*/include/xkpi/kext\ *-I*/include/xkpi\ *) ;;
*)	echo "installcheck: xkpi-kext's flags: $kcflags" >&2; exit 1 ;;
esac
# shellcheck disable=SC2086
cc -std=c11 -Wall -Werror -o "$dest/echokext" \
    "$srcdir/examples/kext/echokext.c" "$srcdir/examples/kext/main.c" \
    $kcflags $klibs
LD_LIBRARY_PATH="$(dirname "$pcdir")" "$dest/echokext" \
    $((20000 + $$ % 20000)) 0 >/dev/null
rm -f "$dest/echokext"

# docs/porting.md's compile line, as written there, on code that uses
# the RFC 3542 names.
line=$(grep -m 1 '^cc .* -c rpc_socket\.c' "$srcdir/docs/porting.md") || {
	echo "installcheck: no compile line in docs/porting.md" >&2
	exit 1
}
cp "$srcdir/tests/install/rfc3542.c" "$dest/rpc_socket.c"
(cd "$dest" && eval "$line -Werror") || {
	echo "installcheck: porting.md's line fails: $line" >&2
	exit 1
}
rm -f "$dest/rpc_socket.c" "$dest/rpc_socket.o"

# The documents and the examples, where the README says.
doc=$dest$docdir
for f in README.md docs/porting.md docs/deviations.md docs/semantics.md \
    examples/ping.c; do
	[ -f "$doc/$f" ] || {
		echo "installcheck: $f not installed under $docdir" >&2
		exit 1
	}
done
if [ -n "$(make -s -f Makefile print-doxygen 2>/dev/null)" ] &&
    [ ! -f "$doc/html/index.html" ]; then
	echo "installcheck: the HTML reference is not under $docdir/html" >&2
	exit 1
fi
# Every installed example builds with pkg-config alone, as a user would.
mkdir "$dest/ex"
for c in "$doc"/examples/*.c; do
	# shellcheck disable=SC2086
	cc -Wall -Werror -o "$dest/ex/$(basename "$c" .c)" "$c" $cflags $libs ||
	    { echo "installcheck: $c does not build" >&2; exit 1; }
done
# Static: with the archive alone in the library directory, what
# pkg-config --static lists must be all the archive needs (ping pulls in
# the whole library, every backend with it); it then runs over mem.
libdir=$(dirname "$pcdir")
mkdir "$dest/shared"
mv "$libdir"/libxkpi.so* "$dest/shared/"
slibs=$(pkg-config --static --libs xkpi)
# shellcheck disable=SC2086
cc -Wall -Werror -o "$dest/ex/ping_static" "$doc/examples/ping.c" \
    $cflags $slibs
mv "$dest/shared"/libxkpi.so* "$libdir/"
if ldd "$dest/ex/ping_static" | grep -q libxkpi; then
	echo "installcheck: the static build needs libxkpi.so" >&2
	exit 1
fi
"$dest/ex/ping_static" --mem -c 2 -i 10 >/dev/null
make -s uninstall DESTDIR="$dest" >/dev/null
rm -rf "$dest/ex" "$dest/shared"
left=$(find "$dest" -type f ! -name consumer | head -n 5)
[ -z "$left" ] || { echo "installcheck: uninstall left: $left" >&2; exit 1; }
echo "installcheck: ok"
