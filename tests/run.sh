#!/bin/bash
# run.sh: run every luksvol test and print one summary line "N passed, N failed".
#
# Unit tests are cmocka binaries (TAP output); interop and VM suites are shell
# scripts that record results through tests/lib.sh.  Every suite appends
# "PASS name" or "FAIL name: reason" lines to $LV_RESULTS.
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

for bin in "$BUILD"/asan/tests/test_*; do
	[ -x "$bin" ] && run_unit "$bin"
done

# zz_*.sh suites run last: they check what all the others left behind.
suites=${LV_SUITES:-$(ls tests/checks/*.sh tests/interop/*.sh tests/reliability/*.sh tests/fuzz/run.sh tests/vm/run.sh \
	2>/dev/null | grep -v '/zz_'; ls tests/*/zz_*.sh 2>/dev/null)}
for suite in $suites; do
	echo "== suite: $suite"
	started=$SECONDS
	bash "$suite" || echo "FAIL $suite: suite exited $?" >>"$LV_RESULTS"
	echo "== $suite took $((SECONDS - started)) s"
done

passed=$(grep -c '^PASS ' "$LV_RESULTS")
failed=$(grep -c '^FAIL ' "$LV_RESULTS")
if [ "$failed" -ne 0 ]; then
	echo "== failures:"
	grep '^FAIL ' "$LV_RESULTS"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
