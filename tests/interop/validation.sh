#!/bin/bash
# validation.sh: header validation verdicts on mutated LUKS2 headers.
#
# tests/generators/mutate.py derives every image of cryptsetup's header
# validation test (docs/luks2-reference.md section 5.1) from
# luks2_valid_hdr.img, with the expected outcome in manifest.tsv:
#   R  luksDump succeeds   F  luksDump fails (non-zero, not a crash)
#   T  `token remove --token-id 0`, then luksDump succeeds
#
#  - gen-cryptsetup/<case>: the installed cryptsetup gives the manifest's
#    outcome (this checks the generator and the manifest);
#  - gen-verdict/<case>: `luksvol dump` accepts exactly the images cryptsetup
#    accepts; for T cases luksvol's own token remove must leave a header that
#    both luksvol and cryptsetup load.
# Every command works on its own copy of the image: cryptsetup may recover a
# damaged copy in place, and token remove rewrites the header.
# A crash (exit >= 128) always fails.
set -u
source "$(dirname "$0")/../lib.sh"
GEN=$LV_WORK/generators
SCRATCH=$LV_WORK/validation
TABLE_CASES=90 # rows of the reference table (85, one per image) and the 5 verdict classes of issue 14

# run CMD...: run quietly; sets RC and ERR (start of stderr, one line).
run() {
	"$@" >/dev/null 2>"$SCRATCH/err"
	RC=$?
	ERR=$(head -c 300 "$SCRATCH/err" | tr '\n' ' ')
}

# outcome_of RC: accept, reject or crash.
outcome_of() {
	if [ "$1" -eq 0 ]; then
		echo accept
	elif [ "$1" -ge 128 ]; then
		echo crash
	else
		echo reject
	fi
}

# fresh NAME: a private copy of image NAME (holes kept: the images are sparse).
fresh() {
	cp --sparse=always "$GEN/$1.img" "$SCRATCH/$1.img"
	echo "$SCRATCH/$1.img"
}

generate() {
	rm -rf "$GEN" "$SCRATCH"
	mkdir -p "$GEN" "$SCRATCH"
	if /usr/bin/python3 "$LV_TOP/tests/generators/mutate.py" \
		--base "$TESTDATA/luks2_valid_hdr.img.xz" --out "$GEN" 2>"$SCRATCH/mutate.err"; then
		t_pass gen/generate
	else
		t_fail gen/generate "$(head -c 600 "$SCRATCH/mutate.err" | tr '\n' ' ')"
	fi
	t_same gen/case-count "$TABLE_CASES" "$(grep -c . "$GEN/manifest.tsv" 2>/dev/null)"
}

# cryptsetup_outcome NAME WANT: sets CS (accept/reject/crash) and CS_WHY.
# For T the outcome is that of token remove followed by luksDump.
cryptsetup_outcome() {
	local img
	img=$(fresh "$1")
	CS_WHY=
	if [ "$2" = T ]; then
		run cryptsetup -q token remove --token-id 0 "$img"
		if [ "$RC" -ne 0 ]; then
			CS=$(outcome_of "$RC")
			CS_WHY="token remove exit $RC: $ERR"
			return
		fi
	fi
	run cryptsetup luksDump "$img"
	CS=$(outcome_of "$RC")
	CS_WHY="luksDump exit $RC: $ERR"
}

check_cryptsetup() {
	local name=$1 want=$2 expected=accept
	[ "$want" = F ] && expected=reject
	if [ "$CS" = "$expected" ]; then
		t_pass "gen-cryptsetup/$name"
	else
		t_fail "gen-cryptsetup/$name" "cryptsetup: $CS, manifest says $want ($CS_WHY)"
	fi
}

# luksvol_outcome IMG: sets LV (accept/reject/crash) and LV_WHY.
luksvol_outcome() {
	run "$LUKSVOL" dump "$1"
	LV=$(outcome_of "$RC")
	LV_WHY="luksvol dump exit $RC: $ERR"
}

# A reject from luksvol only means something if luksvol accepts the
# untouched base image (otherwise a missing command or a usage error would
# "pass" every F case).
check_base_image() {
	BASE_OK=0
	if [ ! -x "$LUKSVOL" ]; then
		t_fail gen-verdict/base-image "no luksvol binary at $LUKSVOL"
		return
	fi
	luksvol_outcome "$(unpack_xz luks2_valid_hdr.img.xz)"
	if [ "$LV" = accept ]; then
		BASE_OK=1
		t_pass gen-verdict/base-image
	else
		t_fail gen-verdict/base-image "unmodified base image: $LV ($LV_WHY)"
	fi
}

check_luksvol_dump() {
	local name=$1
	if [ "$CS" = crash ]; then
		t_fail "gen-verdict/$name" "no reference: cryptsetup crashed ($CS_WHY)"
		return
	fi
	luksvol_outcome "$(fresh "$name")"
	if [ "$LV" = crash ]; then
		t_fail "gen-verdict/$name" "$LV_WHY"
	elif [ "$LV" != "$CS" ]; then
		t_fail "gen-verdict/$name" "luksvol: $LV, cryptsetup: $CS ($LV_WHY)"
	elif [ "$LV" = reject ] && [ "$BASE_OK" -ne 1 ]; then
		t_fail "gen-verdict/$name" "reject proves nothing: luksvol does not accept the unmodified base image either ($LV_WHY)"
	else
		t_pass "gen-verdict/$name"
	fi
}

# step NAME LABEL CMD...: run CMD; on failure record it against NAME.
step() {
	local name=$1 label=$2
	shift 2
	run "$@"
	[ "$RC" -eq 0 ] && return 0
	t_fail "gen-verdict/$name" "$label: exit $RC ($(outcome_of "$RC")): $ERR"
	return 1
}

# T: luksvol's token remove, then luksvol dump and cryptsetup luksDump of
# the header luksvol wrote.
check_luksvol_token_remove() {
	local name=$1 img
	img=$(fresh "$name")
	step "$name" "luksvol token remove" "$LUKSVOL" token remove --token-id 0 "$img" &&
		step "$name" "luksvol dump after token remove" "$LUKSVOL" dump "$img" &&
		step "$name" "cryptsetup luksDump of luksvol's header" cryptsetup luksDump "$img" &&
		t_pass "gen-verdict/$name"
}

check_all_cases() {
	local name want note
	while IFS=$'\t' read -r name want note; do
		[ -n "$name" ] || continue
		if [ ! -f "$GEN/$name.img" ]; then
			t_fail "gen-cryptsetup/$name" "image not generated"
			continue
		fi
		cryptsetup_outcome "$name" "$want"
		check_cryptsetup "$name" "$want"
		if [ "$want" = T ]; then
			check_luksvol_token_remove "$name"
		else
			check_luksvol_dump "$name"
		fi
		rm -f "$SCRATCH/$name.img"
	done <"$GEN/manifest.tsv"
}

generate
if [ -f "$GEN/manifest.tsv" ]; then
	check_base_image
	check_all_cases
fi
exit 0
