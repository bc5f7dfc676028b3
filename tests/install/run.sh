#!/bin/sh
# make installcheck: install into a scratch DESTDIR, then build and run a
# program outside the tree with pkg-config alone.
set -eu
srcdir=$1
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
make -s uninstall DESTDIR="$dest" >/dev/null
left=$(find "$dest" -type f ! -name consumer | head -n 5)
[ -z "$left" ] || { echo "installcheck: uninstall left: $left" >&2; exit 1; }
echo "installcheck: ok"
