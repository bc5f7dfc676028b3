# xkpi: the suite's liveness bound, for the shell scripts (sourced).
# SPDX-License-Identifier: BSD-2-Clause
#
# Set xk_lib to this directory, then source this file: XK_LIVE is the
# longest, in seconds, a script or the programs it runs wait for an event
# they need (a process ready, a reply, a route) before they fail.  It is
# the bound of the C tests, XK_TEST_LIVENESS_DEFAULT_MS in xk_test.h, or
# XK_TEST_LIVENESS_MS from the environment.  Waits end as soon as their
# event comes: the bound only has to outlast a loaded machine.

xk_live_ms=${XK_TEST_LIVENESS_MS:-$(sed -n \
    's/^#define[[:space:]]*XK_TEST_LIVENESS_DEFAULT_MS[[:space:]]*\([0-9]*\).*/\1/p' \
    "$xk_lib/xk_test.h")}
if [ -z "$xk_live_ms" ] || [ "$xk_live_ms" -le 0 ]; then
	echo "xk_test.sh: no liveness bound in $xk_lib/xk_test.h" >&2
	exit 1
fi
XK_LIVE=$(((xk_live_ms + 999) / 1000))
