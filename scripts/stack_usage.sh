#!/bin/sh
# stack_usage.sh [MAX_BYTES] OBJDIR...: every function's stack frame, as gcc's
# -fstack-usage wrote it (OBJDIR/**/*.su), is at most MAX_BYTES (default
# 16384: a library call must fit a small thread stack, e.g. musl's 128 KiB,
# with room to spare) and bounded (gcc's "static" or "dynamic,bounded"; an
# unbounded "dynamic" frame is an alloca or a VLA).  Prints each
# offender and exits 1 when there is one; prints the largest frame otherwise.
max=16384
case ${1:-} in
[0-9]*) max=$1; shift ;;
esac
[ $# -gt 0 ] || { echo "usage: stack_usage.sh [MAX_BYTES] OBJDIR..." >&2; exit 2; }
# A .su file whose source is gone (removed or renamed since that build
# directory was made) is stale: its frames are no function of today's.
top=$(cd "$(dirname "$0")/.." && pwd)
files=$(find "$@" -name '*.su' 2>/dev/null | while IFS= read -r su; do
	src=$(head -n 1 "$su" | cut -d: -f1)
	case $src in
	'') echo "$su" ;;
	/*) [ -e "$src" ] && echo "$su" ;;
	*) [ -e "$top/$src" ] && echo "$su" ;;
	esac
done)
[ -n "$files" ] || { echo "stack_usage.sh: no .su files under $* (built without -fstack-usage?)" >&2; exit 2; }
# A line: "src/luks2/hdr_write.c:145:5:lv_device_commit<TAB>336<TAB>static"
cat $files | awk -F'\t' -v max="$max" '
	{ n++ }
	$2 + 0 > max || $3 == "dynamic" { bad++; printf "stack_usage.sh: %s: %d bytes (%s), limit %d\n", $1, $2, $3, max }
	$2 + 0 > top { top = $2 + 0; where = $1 }
	END {
		if (bad) exit 1
		printf "stack_usage.sh: %d functions, largest frame %d bytes (%s), limit %d\n", n, top, where, max
	}'
