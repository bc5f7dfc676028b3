#!/bin/sh
# CI, as root on a machine of its own: `make install` into the default
# system prefix must leave a library the dynamic linker finds (install
# runs ldconfig), so that an example built from the installed sources
# with pkg-config alone runs with no LD_LIBRARY_PATH and no rpath; then
# `make uninstall` takes it all away again.  Usage: system.sh BUILDDIR
# SPDX-License-Identifier: BSD-2-Clause
set -eu
build=$1
[ "$(id -u)" -eq 0 ] || { echo "system.sh: needs root" >&2; exit 1; }
libdir=$(make -s -C "$build" print-libdir)
docdir=$(make -s -C "$build" print-docdir)
if [ -e "$libdir/libxkpi.so.0" ]; then
	echo "system.sh: $libdir/libxkpi.so.0 exists: not a scratch machine" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'make -s -C "$build" uninstall >/dev/null 2>&1; rm -rf "$tmp"' EXIT
make -s -C "$build" install DOXYGEN= >/dev/null
export PKG_CONFIG_PATH="$libdir/pkgconfig"
# shellcheck disable=SC2046
cc -Wall -Werror -o "$tmp/mbuf_packet" "$docdir/examples/mbuf_packet.c" \
    $(pkg-config --cflags --libs xkpi)
env -u LD_LIBRARY_PATH "$tmp/mbuf_packet" >/dev/null || {
	echo "system.sh: an installed program does not find libxkpi" >&2
	exit 1
}
make -s -C "$build" uninstall >/dev/null
if ldconfig -p | grep -q 'libxkpi\.so'; then
	echo "system.sh: libxkpi still in the linker's cache after uninstall" >&2
	exit 1
fi
echo "system.sh: ok"
