#!/bin/sh
# What a new user finds in a fresh clone, reported as TAP.  Run from the
# build directory.
#
# Cases:
#   tree: no backup or stray generated file committed
#       (git ls-files: no *~, *.orig, *.rej, *.bak, *.swp, config.h,
#       config.status, config.log, Makefile, xkpi.pc, Doxyfile, objects
#       or libraries; the generated files kept on purpose are configure,
#       config.h.in and aclocal.m4, and the README names them)
#   tree: documents cited exist
#       (every relative Markdown link in README.md, docs/*.md and
#       tests/fuzz/README.md and bench/README.md names a file of the
#       tree, and every docs/NAME.md named in a comment of the sources or
#       the public headers exists)
# Without git or outside a clone, the first case is skipped.
# SPDX-License-Identifier: BSD-2-Clause
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
. "$srcdir/tests/lib/xk_tap.sh"

# Committed files.
if ! command -v git >/dev/null 2>&1; then
	tap_skip "tree: no backup or stray generated file committed" \
	    "git missing"
elif ! files=$(git -C "$srcdir" ls-files 2>/dev/null) || [ -z "$files" ]; then
	tap_skip "tree: no backup or stray generated file committed" \
	    "not a git clone"
else
	bad=$(printf '%s\n' "$files" | grep -E \
	    '(~|\.orig|\.rej|\.bak|\.swp|\.o|\.a|\.so(\.[0-9.]+)?)$|(^|/)(config\.h|config\.status|config\.log|Makefile|xkpi\.pc|Doxyfile|autom4te\.cache/.*)$')
	kept=1
	for g in configure config.h.in aclocal.m4; do
		grep -q "\`$g\`" "$srcdir/README.md" || {
			diag "README.md does not name $g as kept on purpose"
			kept=0
		}
	done
	if [ -z "$bad" ] && [ "$kept" -eq 1 ]; then
		tap_ok "tree: no backup or stray generated file committed"
	else
		[ -z "$bad" ] || diag "committed by mistake:" "$bad"
		tap_fail "tree: no backup or stray generated file committed"
	fi
fi

# Documents cited: Markdown links, @ref pages, and NAME.md named in the
# sources, the headers, the tests and the documents themselves.
ok=0
for md in "$srcdir"/README.md "$srcdir"/docs/*.md "$srcdir"/bench/README.md \
    "$srcdir"/tests/fuzz/README.md; do
	[ -f "$md" ] || continue
	dir=$(dirname "$md")
	for l in $(grep -o '\](\([^)#]*\)[^)]*)' "$md" |
	    sed 's/^](\([^)#]*\).*/\1/' | grep -v '^[a-z]*:' | sort -u); do
		[ -e "$dir/$l" ] || {
			diag "${md#"$srcdir"/}: link to $l: no such file"
			ok=1
		}
	done
done
for r in $(cat "$srcdir"/docs/*.md "$srcdir"/headers/*.h \
    "$srcdir"/headers/*/*.h | grep -o '@ref [A-Za-z_0-9]*' |
    sed 's/@ref //' | sort -u); do
	grep -q "{#$r}" "$srcdir"/docs/*.md || {
		diag "@ref $r: no page {#$r} in docs/"
		ok=1
	}
done
for m in $(cd "$srcdir" && grep -rhoI '[A-Za-z0-9_./-]*[A-Za-z0-9_-]\.md\b' \
    --exclude=tree.sh README.md docs core kpi backends headers tools \
    examples tests bench \
    2>/dev/null | sort -u); do
	# A path from the top, from docs/, or a file name found in the tree.
	[ -e "$srcdir/$m" ] || [ -e "$srcdir/docs/$m" ] ||
	    [ -n "$(find "$srcdir" -path "$srcdir/.git" -prune -o \
	    -name "$(basename "$m")" -print | head -n 1)" ] || {
		diag "$m is cited but not in the tree"
		ok=1
	}
done
if [ "$ok" -eq 0 ]; then
	tap_ok "tree: documents cited exist"
else
	tap_fail "tree: documents cited exist"
fi

echo "1..$n"
exit "$failed"
