#!/bin/bash
# run.sh: the fuzzing part of `make test` (fuzz/README.md):
#   fuzz-replay/<target>  every committed corpus file and every reproducer in
#                         fuzz/regressions/<target> through the target under
#                         ASan+UBSan ($CC, fuzz/replay.sh), in seconds;
#   fuzz-smoke/<target>   each libFuzzer target for FUZZ_SMOKE_SECONDS (20)
#                         (fuzz/smoke.sh, what `make fuzz-smoke` runs);
#   fuzz-afl/<target>     the same harnesses built with afl-clang-fast
#                         (make fuzz-afl), each run over one corpus file.
# Every line goes to $LV_RESULTS through the scripts or tests/lib.sh.
set -u
source "$(dirname "$0")/../lib.sh"
cd "$LV_TOP"
TARGETS=$(sed -n 's/^FUZZ_TARGETS := //p' fuzz/fuzz.mk)

# A make started from make test must not inherit its jobserver.
submake() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -j2 BUILD="$BUILD" "$@"; }

BUILD="$BUILD" bash fuzz/replay.sh >"$LV_WORK/fuzz-replay.txt" 2>&1
grep -E '^(PASS|FAIL) ' "$LV_WORK/fuzz-replay.txt"

if submake fuzz >"$LV_WORK/fuzz-build.txt" 2>&1; then
	BUILD="$BUILD" bash fuzz/smoke.sh >"$LV_WORK/fuzz-smoke.txt" 2>&1
	grep -E '^(PASS|FAIL) ' "$LV_WORK/fuzz-smoke.txt"
	for t in $TARGETS; do
		grep -q "^\(PASS\|FAIL\) fuzz-smoke/$t[ :]" "$LV_WORK/fuzz-smoke.txt" ||
			t_fail "fuzz-smoke/$t" "did not run: $(tail -c 300 "$LV_WORK/fuzz-smoke.txt")"
	done
	# The libFuzzer build seals copies with stand-in digests
	# (fuzz/hash_memo.c): what must load still loads there, and what must
	# be refused still is.
	for f in fuzz/regressions/luks2_load/must-load/*; do
		t_expect "fuzz-stand-in/must-load/$(basename "$f")" 0 \
			env FUZZ_EXPECT_LOAD=1 "$BUILD/fuzz/luks2_load" "$f"
	done
	for f in fuzz/regressions/luks2_load/must-reject/*; do
		t_expect "fuzz-stand-in/must-reject/$(basename "$f")" 0 \
			env FUZZ_EXPECT_REJECT=1 "$BUILD/fuzz/luks2_load" "$f"
	done
else
	for t in $TARGETS; do
		t_fail "fuzz-smoke/$t" "make fuzz failed: $(tail -c 300 "$LV_WORK/fuzz-build.txt")"
	done
fi

# The same harnesses for AFL++: persistent-mode binaries also run a file
# given as an argument, outside afl-fuzz.
if submake fuzz-afl >"$LV_WORK/fuzz-afl.txt" 2>&1; then
	for t in $TARGETS; do
		input=$(find "fuzz/corpus/$t" -maxdepth 1 -type f | sort | head -1)
		if [ -z "$input" ]; then
			t_fail "fuzz-afl/$t" "fuzz/corpus/$t is empty"
			continue
		fi
		t_expect "fuzz-afl/$t" 0 timeout 120 "$BUILD/fuzz-afl/$t" "$input"
		t_expect "fuzz-afl/$t.cmplog" 0 timeout 120 "$BUILD/fuzz-afl/$t.cmplog" "$input"
	done
else
	t_fail fuzz-afl/build "make fuzz-afl failed: $(tail -c 300 "$LV_WORK/fuzz-afl.txt")"
fi
