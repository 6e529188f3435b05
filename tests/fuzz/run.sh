#!/bin/bash
# run.sh: the fuzzing part of `make test`: every committed corpus file and
# every reproducer in fuzz/regressions through each target under ASan+UBSan
# (fuzz/replay.sh), then each libFuzzer target for FUZZ_SMOKE_SECONDS
# (make fuzz-smoke).  Results go to $LV_RESULTS as fuzz-replay/<target>
# and fuzz-smoke/<target>.
set -u
source "$(dirname "$0")/../lib.sh"
cd "$LV_TOP"
bash fuzz/replay.sh >"$LV_WORK/fuzz-replay.txt" 2>&1
grep -E '^(PASS|FAIL) ' "$LV_WORK/fuzz-replay.txt"
# A make started from make test must not inherit its jobserver.
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s BUILD="$BUILD" fuzz-smoke \
	>"$LV_WORK/fuzz-smoke.txt" 2>&1
grep -E '^(PASS|FAIL) fuzz-smoke/' "$LV_WORK/fuzz-smoke.txt" >>"$LV_RESULTS"
if ! grep -q '^PASS fuzz-smoke/' "$LV_WORK/fuzz-smoke.txt" ||
	grep -q '^FAIL fuzz-smoke/' "$LV_WORK/fuzz-smoke.txt"; then
	tail -20 "$LV_WORK/fuzz-smoke.txt"
fi
for t in $(sed -n 's/^FUZZ_TARGETS := //p' fuzz/fuzz.mk); do
	grep -q "^\(PASS\|FAIL\) fuzz-smoke/$t\$" "$LV_WORK/fuzz-smoke.txt" ||
		t_fail "fuzz-smoke/$t" "did not run: $(tail -c 300 "$LV_WORK/fuzz-smoke.txt")"
done
# The same harnesses build for AFL++ (afl-clang-fast) and run an input.
if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s BUILD="$BUILD" fuzz-afl \
	>"$LV_WORK/fuzz-afl.txt" 2>&1; then
	for t in $(sed -n 's/^FUZZ_TARGETS := //p' fuzz/fuzz.mk); do
		input=$(find "$(fuzz/corpus_dirs.sh "$t" | tail -1)" -maxdepth 1 -type f | sort | head -1)
		t_expect "fuzz-afl/$t" 0 timeout 120 "$BUILD/fuzz-afl/$t" "$input"
	done
else
	t_fail fuzz-afl/build "$(tail -c 300 "$LV_WORK/fuzz-afl.txt")"
fi
