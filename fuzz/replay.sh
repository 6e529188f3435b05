#!/bin/bash
# replay.sh: run every file of the target's corpus (fuzz/corpus/<target>/, plus
# fuzz/corpus/luks2_load/ for the targets that build on it, see
# fuzz/corpus_dirs.sh) and of fuzz/regressions/<target>/
# through $BUILD/fuzz-replay/<target> (the normal $CC with ASan + UBSan and
# fuzz/standalone_main.c; no libFuzzer, no clang needed).
#
# fuzz/regressions/<target>/must-load/ holds inputs luks2_load must load
# (FUZZ_EXPECT_LOAD=1): headers cryptsetup accepts that luksvol once refused;
# must-reject/ inputs it must refuse (FUZZ_EXPECT_REJECT=1): headers
# cryptsetup refuses that luksvol once loaded.
#
# Prints one line per target, "PASS fuzz-replay/<target> (N inputs)" or
# "FAIL fuzz-replay/<target>: reason", and appends the same PASS/FAIL lines
# to $LV_RESULTS when it is set (tests/run.sh runs this file as a suite).
# Exits non-zero when a target failed.
#
# Builds the replay binaries first (make fuzz-replay-bins) unless
# FUZZ_REPLAY_NO_BUILD=1.  Logs: $BUILD/fuzz-replay/<target>.log.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
TARGETS=${FUZZ_TARGETS:-$(sed -n 's/^FUZZ_TARGETS := //p' fuzz/fuzz.mk)}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

result() {
	echo "$1"
	if [ -n "${LV_RESULTS:-}" ]; then echo "$1" >>"$LV_RESULTS"; fi
}

if [ "${FUZZ_REPLAY_NO_BUILD:-0}" != 1 ]; then
	# A make started from a make recipe (make test) must not inherit its
	# jobserver: this is a separate build.
	if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s BUILD="$BUILD" fuzz-replay-bins \
		>"$BUILD/fuzz-replay-build.log" 2>&1; then
		for t in $TARGETS; do
			result "FAIL fuzz-replay/$t: build failed: $(tail -c 300 "$BUILD/fuzz-replay-build.log")"
		done
		exit 1
	fi
fi

# run_one LOG PATH...: the replay binary over PATHs; prints why it failed.
run_one() {
	local log=$1 rc why what
	shift
	# (a subshell that outlives the command: its "Aborted" notice goes to the log)
	(
		timeout 900 "$bin" "$@"
		exit $?
	) >"$log" 2>&1
	rc=$?
	[ $rc -eq 0 ] && return 0
	# The input and the first report line say what went wrong.
	why=$(grep -m1 -E 'crashed on input|^input: ' "$log")
	what=$(grep -m1 -E 'ERROR: |runtime error|invariant violated' "$log")
	[ $rc -eq 124 ] && what="timed out after 900 s"
	echo "exit $rc: ${what:-see $log} ${why}"
	return 1
}

failed=0
for t in $TARGETS; do
	bin=$BUILD/fuzz-replay/$t
	log=$BUILD/fuzz-replay/$t.log
	corpus=()
	for d in $(fuzz/corpus_dirs.sh "$t"); do
		if [ -d "$d" ]; then corpus+=("$d"); fi
	done
	regressions=()
	if [ -d fuzz/regressions/$t ]; then
		while IFS= read -r f; do regressions+=("$f"); done < <(
			find fuzz/regressions/$t -maxdepth 1 -type f ! -name '.*' | sort)
	fi
	must_load=()
	if [ -d fuzz/regressions/$t/must-load ]; then
		while IFS= read -r f; do must_load+=("$f"); done < <(
			find fuzz/regressions/$t/must-load -maxdepth 1 -type f ! -name '.*' | sort)
	fi
	must_reject=()
	if [ -d fuzz/regressions/$t/must-reject ]; then
		while IFS= read -r f; do must_reject+=("$f"); done < <(
			find fuzz/regressions/$t/must-reject -maxdepth 1 -type f ! -name '.*' | sort)
	fi
	count=$((${#regressions[@]} + ${#must_load[@]} + ${#must_reject[@]}))
	for d in "${corpus[@]}"; do
		count=$((count + $(find "$d" -maxdepth 1 -type f ! -name '.*' | wc -l)))
	done
	if [ ! -x "$bin" ]; then
		result "FAIL fuzz-replay/$t: $bin is missing (make fuzz-replay-bins)"
		failed=1
		continue
	fi
	if [ "$count" -eq 0 ]; then
		result "FAIL fuzz-replay/$t: no inputs in fuzz/corpus/$t or fuzz/regressions/$t"
		failed=1
		continue
	fi
	# The corpus in one process; each regression alone, so that one known
	# bug does not hide another.
	reasons=""
	if [ ${#corpus[@]} -gt 0 ] && ! why=$(run_one "$log" "${corpus[@]}"); then
		reasons="corpus: $why"
	fi
	for f in "${regressions[@]}"; do
		if ! why=$(run_one "$log.$(basename "$f")" "$f"); then
			reasons="${reasons:+$reasons; }$(basename "$f"): $why"
		fi
	done
	# Headers cryptsetup accepts that luksvol once refused: refusing one
	# again fails (FUZZ_EXPECT_LOAD, luks2_load.c).
	for f in "${must_load[@]}"; do
		if ! why=$(FUZZ_EXPECT_LOAD=1 run_one "$log.$(basename "$f")" "$f"); then
			reasons="${reasons:+$reasons; }must-load/$(basename "$f"): $why"
		fi
	done
	# Headers cryptsetup refuses that luksvol once loaded.
	for f in "${must_reject[@]}"; do
		if ! why=$(FUZZ_EXPECT_REJECT=1 run_one "$log.$(basename "$f")" "$f"); then
			reasons="${reasons:+$reasons; }must-reject/$(basename "$f"): $why"
		fi
	done
	if [ -z "$reasons" ]; then
		result "PASS fuzz-replay/$t ($count inputs)"
	else
		result "FAIL fuzz-replay/$t: $reasons"
		failed=1
	fi
done
exit $failed
