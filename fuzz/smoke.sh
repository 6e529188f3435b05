#!/bin/bash
# smoke.sh: each libFuzzer target ($BUILD/fuzz/<target>, make fuzz) for
# FUZZ_SMOKE_SECONDS (default 20) from its committed corpus, with its
# dictionary.  New inputs go to $BUILD/fuzz/smoke/<target>; the committed
# corpus is only read.  A crash, leak, timeout (-timeout=30) or OOM is a
# failure; its reproducer is $BUILD/fuzz/artifacts/<target>-*.
#
# FUZZ_SMOKE_JOBS (default: the number of CPUs) targets run at a time.
# Prints "PASS fuzz-smoke/<target> (N runs, E exec/s)" or
# "FAIL fuzz-smoke/<target>: reason" for every target, also appended to
# $LV_RESULTS when set, and exits non-zero when one failed.
#   BUILD=build FUZZ_TARGETS="luks2_load ..." fuzz/smoke.sh
# FUZZ_SKIP_KNOWN_BUGS is passed on (see README.md "known bugs").
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SECONDS_EACH=${FUZZ_SMOKE_SECONDS:-20}
TARGETS=${FUZZ_TARGETS:-$(sed -n 's/^FUZZ_TARGETS := //p' fuzz/fuzz.mk)}
# Targets run with FUZZ_HASH_MEMO_CHECK=1: their stand-in digests are checked
# against OpenSSL (fuzz/hash_memo.c), and a run that checked none fails.
MEMO_CHECK_TARGETS=${FUZZ_MEMO_CHECK_TARGETS:-luks2_load}
DIR=$BUILD/fuzz

result() {
	echo "$1"
	if [ -n "${LV_RESULTS:-}" ]; then echo "$1" >>"$LV_RESULTS"; fi
}

# smoke_one TARGET: runs it and writes its result line to smoke/TARGET.result.
smoke_one() {
	local t=$1 bin=$DIR/$1 log=$DIR/smoke/$1.log out=$DIR/smoke/$1.result
	local corpus=() d rc runs speed what artifact checked
	mkdir -p "$DIR/smoke/$t" "$DIR/artifacts"
	if [ ! -x "$bin" ]; then
		echo "FAIL fuzz-smoke/$t: $bin is missing (make fuzz)" >"$out"
		return
	fi
	for d in $(fuzz/corpus_dirs.sh "$t"); do
		if [ -d "$d" ]; then corpus+=("$d"); fi
	done
	local check_memo=0
	case " $MEMO_CHECK_TARGETS " in *" $t "*) check_memo=1 ;; esac
	FUZZ_HASH_MEMO_CHECK=$check_memo \
	"$bin" -max_total_time="$SECONDS_EACH" -timeout=30 -rss_limit_mb=2048 \
		-dict="$(fuzz/dict_for.sh "$t")" -print_final_stats=1 \
		-artifact_prefix="$DIR/artifacts/$t-" "$DIR/smoke/$t" "${corpus[@]}" \
		>"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	checked=$(sed -n 's/^hash_memo: \([0-9]*\) memo digests checked.*/\1/p' "$log")
	if [ $rc -eq 0 ] && [ $check_memo = 1 ] && [ "${checked:-0}" -eq 0 ]; then
		echo "FAIL fuzz-smoke/$t: FUZZ_HASH_MEMO_CHECK=1 checked no memo digest" >"$out"
	elif [ $rc -eq 0 ] && [ -n "$runs" ]; then
		echo "PASS fuzz-smoke/$t ($runs runs, $speed exec/s${checked:+, $checked memo digests checked})" >"$out"
	else
		what=$(grep -m1 -E 'ERROR: |runtime error|invariant violated' "$log")
		artifact=$(grep -m1 -o 'Test unit written to .*' "$log")
		echo "FAIL fuzz-smoke/$t: exit $rc: ${what:-see $log} ${artifact}" >"$out"
	fi
}

# FUZZ_SMOKE_JOBS targets at a time (default: one per CPU), each one
# process for its full SECONDS_EACH.
JOBS=${FUZZ_SMOKE_JOBS:-$(nproc)}
for t in $TARGETS; do
	rm -f "$DIR/smoke/$t.result"
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
	echo "== fuzz-smoke: $t for $SECONDS_EACH s"
	smoke_one "$t" &
done
wait
failed=0
for t in $TARGETS; do
	line=$(cat "$DIR/smoke/$t.result" 2>/dev/null)
	result "${line:-FAIL fuzz-smoke/$t: no result (killed?)}"
	case $line in PASS*) ;; *) failed=1 ;; esac
done
exit $failed
