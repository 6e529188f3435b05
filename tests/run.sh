#!/bin/bash
# run.sh: run every luksvol test and print one summary line "N passed, N failed".
#
# Unit tests are cmocka binaries (TAP output); interop and VM suites are shell
# scripts that record results through tests/lib.sh.  Every suite appends
# "PASS name" or "FAIL name: reason" lines to $LV_RESULTS.
#
#   LV_UNITS="test_a test_b"   only these unit binaries (default: every
#                              tests/*/test_*.c's)
#   LV_SUITES="a.sh b.sh"      only these suites (default: all, zz_* last)
#   LV_JOBS=N                  N suites at a time (make check: 2)
set -u
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
export LV_TOP=$PWD
export LV_RESULTS=$BUILD/test-results.txt
export LV_WORK=$BUILD/testwork
rm -rf "$LV_WORK"
mkdir -p "$LV_WORK"
: >"$LV_RESULTS"

run_unit() {
	local bin=$1 name line
	name=$(basename "$bin")
	echo "== unit: $name"
	local started=$SECONDS
	# A hang is a failure too (exit 124), not a stuck `make test`.
	CMOCKA_MESSAGE_OUTPUT=TAP timeout -k 10 "${LV_UNIT_TIMEOUT:-1800}" "$bin" >"$LV_WORK/$name.tap" 2>&1
	local rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*) echo "PASS $name:${line#ok }" >>"$LV_RESULTS" ;;
		"not ok "*) echo "FAIL $name:${line#not ok }" >>"$LV_RESULTS" ;;
		esac
	done <"$LV_WORK/$name.tap"
	if [ $rc -ne 0 ] && ! grep -q '^not ok' "$LV_WORK/$name.tap"; then
		echo "FAIL $name: exited $rc without a failed test (crash?)" >>"$LV_RESULTS"
	fi
	grep -E '^(not ok|#)' "$LV_WORK/$name.tap" | head -40
	echo "== $name took $((SECONDS - started)) s"
}

# The unit binaries of the tests that exist (tests/*/test_*.c; a binary
# left behind by a deleted or renamed test is not run), or those LV_UNITS
# names.
units=${LV_UNITS:-$(ls tests/*/test_*.c 2>/dev/null | sed 's|.*/||; s|\.c$||')}
for name in $units; do
	if [ -x "$BUILD/asan/tests/$name" ]; then
		run_unit "$BUILD/asan/tests/$name"
	else
		echo "FAIL $name: $BUILD/asan/tests/$name is not built (make unit)" >>"$LV_RESULTS"
	fi
done

# CPU seconds (user + system) of this shell's finished children, into
# CPU: on a shared machine the wall time says little about a suite's cost.
children_cpu() {
	local file=$LV_WORK/.times.$BASHPID user sys
	times >"$file"
	{ read -r _ _ && read -r user sys; } <"$file"
	rm -f "$file"
	CPU=$(echo "$user $sys" | awk '{ for (i = 1; i <= 2; i++) { split($i, t, /[ms]/)
		s += t[1] * 60 + t[2] } printf "%.0f", s }')
}

run_suite() {
	local started=$SECONDS cpu
	echo "== suite: $1"
	children_cpu
	cpu=$CPU
	bash "$1" || echo "FAIL $1: suite exited $?" >>"$LV_RESULTS"
	children_cpu
	echo "== $1 took $((SECONDS - started)) s, $((CPU - cpu)) s CPU"
	echo "$((CPU - cpu)) $1" >>"$SUITE_COSTS.new"
}

# Each suite's CPU seconds in the last run, kept across runs: parallel runs
# start the costliest first (a suite not measured yet counts as costliest),
# so that no long suite is left to run alone at the end.
# A fresh build starts from tests/suite-costs.txt (a full run's, committed).
SUITE_COSTS=$BUILD/suite-costs.txt
rm -f "$SUITE_COSTS.new"
costliest_first() {
	local suite costs=$SUITE_COSTS
	[ -f "$costs" ] || costs=tests/suite-costs.txt
	for suite in "$@"; do
		awk -v s="$suite" '$2 == s {c = $1} END {print (c == "" ? 999999 : c), s}' \
			"$costs" 2>/dev/null || echo "999999 $suite"
	done | sort -rn | awk '{print $2}'
}

# LV_JOBS suites at a time (make check), each with a work directory of
# its own (tests/lib.sh keeps a command's output in $LV_WORK/last.*), its
# output shown when all are done.
run_suites_parallel() {
	local suite name names=""
	for suite in "$@"; do
		while [ "$(jobs -rp | wc -l)" -ge "$LV_JOBS" ]; do wait -n; done
		name=$(echo "$suite" | tr / -)
		names="$names $name"
		mkdir -p "$LV_WORK/$name"
		LV_WORK="$LV_WORK/$name" run_suite "$suite" >"$LV_WORK/$name.log" 2>&1 &
	done
	wait
	for name in $names; do cat "$LV_WORK/$name.log"; done
}

# zz_*.sh suites run last, alone: they check what all the others left behind.
suites=${LV_SUITES:-$(ls tests/checks/*.sh tests/interop/*.sh tests/reliability/*.sh tests/fuzz/run.sh tests/vm/run.sh \
	2>/dev/null | grep -v '/zz_')}
last=$(ls tests/*/zz_*.sh 2>/dev/null)
[ -n "${LV_SUITES:-}" ] && last=""
if [ "${LV_JOBS:-1}" -gt 1 ]; then
	# shellcheck disable=SC2046,SC2086
	run_suites_parallel $(costliest_first $suites)
else
	for suite in $suites; do run_suite "$suite"; done
fi
for suite in $last; do run_suite "$suite"; done
# Keep the last cost of every suite, this run's where it ran.
cat "$SUITE_COSTS.new" "$SUITE_COSTS" 2>/dev/null | awk '!seen[$2]++' >"$SUITE_COSTS.tmp" &&
	mv "$SUITE_COSTS.tmp" "$SUITE_COSTS"
rm -f "$SUITE_COSTS.new"

# A result line two writers mixed, or one a full disk cut short, is a
# failure: it may be hiding one.  So is a run that ended with its disk
# (nearly) full, when results and cores may have been lost.
grep -nE '^PASS .*(PASS|FAIL) ' "$LV_RESULTS" | sed 's/^/FAIL results: malformed line /' >"$LV_RESULTS.bad"
grep -nvE '^(PASS|FAIL) ' "$LV_RESULTS" | sed 's/^/FAIL results: malformed line /' >>"$LV_RESULTS.bad"
free_kib=$(df -Pk "$BUILD" | awk 'NR == 2 { print $4 }')
if [ "${free_kib:-0}" -lt 262144 ]; then
	echo "FAIL results: $BUILD's file system has ${free_kib:-0} KiB free: results and core files may have been lost" >>"$LV_RESULTS.bad"
fi
cat "$LV_RESULTS.bad" >>"$LV_RESULTS"
rm -f "$LV_RESULTS.bad"
passed=$(grep -c '^PASS ' "$LV_RESULTS")
failed=$(grep -c '^FAIL ' "$LV_RESULTS")
passed=$((passed - $(grep -cE '^PASS .*(PASS|FAIL) ' "$LV_RESULTS")))
if [ "$failed" -ne 0 ]; then
	echo "== failures:"
	grep '^FAIL ' "$LV_RESULTS"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
