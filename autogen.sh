#!/bin/sh
# Regenerates configure, aclocal.m4 and config.h.in from configure.ac.
# Needs autoconf, automake (for aclocal) and pkg-config (for pkg.m4).
set -e
cd "$(dirname "$0")"
for tool in aclocal autoheader autoconf; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "autogen.sh: $tool not found (apt-get install autoconf automake pkg-config)" >&2
		exit 1
	}
done
aclocal
autoheader
autoconf
rm -rf autom4te.cache
echo "autogen.sh: now run ./bootstrap, or mkdir build && cd build && ../configure"
