#!/bin/bash
# stack_usage.sh: no function of the library or the command has a stack
# frame over 16 KiB, or one of dynamic size (scripts/stack_usage.sh over the
# -fstack-usage output of the -O2 build, and of the static -Os build when
# make test has built it).
set -u
source "$(dirname "$0")/../lib.sh"
dirs=$LV_TOP/$BUILD/obj
[ -d "$LV_TOP/$BUILD/static/obj" ] && dirs="$dirs $LV_TOP/$BUILD/static/obj"
if out=$("$LV_TOP/scripts/stack_usage.sh" 16384 $dirs 2>&1); then
	t_pass "checks/stack-frames ($(echo "$out" | tail -1 | sed 's/^stack_usage.sh: //'))"
else
	t_fail checks/stack-frames "$(echo "$out" | head -5 | tr '\n' ' ')"
fi
