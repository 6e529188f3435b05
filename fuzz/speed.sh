#!/bin/bash
# speed.sh: luks2_load's (or another LUKS2 target's) libFuzzer speed on the
# 16 KiB headers of its corpus, the way fuzz/README.md "Speed" reports it.
#
#   fuzz/speed.sh [-t SECONDS] [-r ROUNDS] [-c CORPUS] [-s] BIN...
#
# Each round runs every BIN in turn (so binaries to compare share the
# machine's load), for SECONDS (default 30) from a fresh copy of the corpus
# files whose hdr_size is 16 KiB (default corpus fuzz/corpus/luks2_load),
# with the LUKS2 dictionary.  With -s, round N runs every BIN with
# libFuzzer's -seed=N: binaries with the same coverage then make the same
# mutations, and their figures differ by their own cost, not by which
# inputs the random seed led to (rounds of one binary vary by a third
# without it).  Prints per run: libFuzzer's exec/s (wall
# clock), the runs per CPU second of the process (user + system: what one
# core would do with the machine to itself), and the load average before.
set -u
cd "$(dirname "$0")/.."
SECS=30 ROUNDS=1 CORPUS=fuzz/corpus/luks2_load SEEDED=0
while getopts t:r:c:s opt; do
	case $opt in
	t) SECS=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	c) CORPUS=$OPTARG ;;
	s) SEEDED=1 ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "usage: fuzz/speed.sh [-t SECONDS] [-r ROUNDS] [-c CORPUS] [-s] BIN..." >&2; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/lv-speed.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/seeds"
# The 16 KiB headers: "LUKS", version, then hdr_size 0x4000 big-endian.
for f in "$CORPUS"/*; do
	[ "$(head -c 16 "$f" | od -An -tx1 | tr -d ' \n')" = "4c554b53babe00020000000000004000" ] &&
		cp "$f" "$WORK/seeds/"
done
echo "speed.sh: $(ls "$WORK/seeds" | wc -l) 16 KiB headers from $CORPUS, $SECS s per run"
for round in $(seq 1 "$ROUNDS"); do
	seed=()
	if [ "$SEEDED" = 1 ]; then seed=(-seed="$round"); fi
	for bin in "$@"; do
		rm -rf "$WORK/new" && mkdir "$WORK/new"
		load=$(cut -d' ' -f1-3 /proc/loadavg)
		/usr/bin/time -f '%U %S' -o "$WORK/time" "$bin" -max_total_time="$SECS" "${seed[@]}" \
			-print_final_stats=1 -dict=fuzz/dict/luks2.dict "$WORK/new" "$WORK/seeds" \
			>"$WORK/log" 2>&1
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$WORK/log")
		wall=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$WORK/log")
		cpu=$(awk -v runs="${runs:-0}" '{ t = $1 + $2; printf "%d", (t > 0 ? runs / t : 0) }' "$WORK/time")
		printf 'round %d  %-40s %8s exec/s  %8s runs/CPU-s  load %s\n' "$round" "$bin" \
			"${wall:-?}" "$cpu" "$load"
	done
done
