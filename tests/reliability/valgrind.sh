#!/bin/bash
# valgrind.sh: valgrind memcheck over luksvol (issue 8), besides the
# ASan/UBSan build: the tests/unit binaries, and a subset of the interop
# suites' luksvol commands, all built without sanitizers (`make valgrind`,
# $BUILD/valgrind).  Every run must end with 0 errors and 0 bytes
# definitely lost (--error-exitcode, --errors-for-leak-kinds=definite).
#
# The interop suites run luksvol ~190 times (writer.sh's chain far more),
# about a second of CPU each under valgrind, so `make test` runs the
# representative subset in interop_commands: every verb but activation
# (this host has no device-mapper), on luksvol's and cryptsetup's volumes,
# with their error paths (wrong passphrase, key-file bounds, refused token,
# damaged, foreign and requirement-flagged headers from cryptsetup's test
# data), cryptsetup checking the results.  LV_VALGRIND_SUITES="tests/interop/
# cli.sh ..." also runs whole suites with "$LUKSVOL" under valgrind (their
# checks are recorded as valgrind/...).
set -u
source "$(dirname "$0")/../lib.sh"
DIR=$LV_WORK/valgrind
VG_BUILD=$LV_TOP/$BUILD/valgrind/asan
SUITES=${LV_VALGRIND_SUITES:-}
VALGRIND=(valgrind -q --tool=memcheck --error-exitcode=99 --leak-check=full
	--errors-for-leak-kinds=definite --show-leak-kinds=definite)
rm -rf "$DIR"
mkdir -p "$DIR/logs" "$DIR/work"

if ! command -v valgrind >/dev/null; then
	t_fail valgrind/installed "valgrind is not installed (scripts/deps.sh)"
	exit 0
fi
if [ ! -x "$VG_BUILD/luksvol" ]; then
	t_fail valgrind/build "$VG_BUILD/luksvol missing: run make valgrind"
	exit 0
fi

# The check itself must be able to fail: a definite leak and an invalid
# read, each under the same options, must give exit 99.
positive_controls() {
	local name
	for name in leak invalid-read; do
		printf '%s\n' '#include <stdlib.h>' \
			'int main(int c, char **v) { char *p = malloc(16); (void)v;' \
			"$([ $name = leak ] && echo 'p = 0; return c - 1; }' ||
				echo 'int x = p[c + 20]; free(p); return x & 0; }')" >"$DIR/$name.c"
		if ! cc -O0 -g -o "$DIR/$name" "$DIR/$name.c"; then
			t_fail "valgrind/control-$name" "cannot build the control program"
			continue
		fi
		"${VALGRIND[@]}" --log-file="$DIR/$name.log" "$DIR/$name" >/dev/null 2>&1
		t_same "valgrind/control-$name-caught" "$?" 99
	done
}

# Each unit binary under valgrind: its own cmocka results must pass and
# valgrind must report nothing.
unit_tests() {
	local bin name rc
	for bin in "$VG_BUILD"/tests/test_*; do
		[ -x "$bin" ] || continue
		name=$(basename "$bin")
		"${VALGRIND[@]}" --log-file="$DIR/$name.log" "$bin" >"$DIR/$name.out" 2>&1
		rc=$?
		if [ $rc -eq 0 ] && [ ! -s "$DIR/$name.log" ]; then
			t_pass "valgrind/unit/$name"
		else
			t_fail "valgrind/unit/$name" "exit $rc: $(head -c 400 "$DIR/$name.log")$(grep -m3 -E '^\[  (FAILED|ERROR)' "$DIR/$name.out")"
		fi
	done
}

# "$DIR/luksvol": the unsanitized luksvol under valgrind, one log a run.
make_wrapper() {
	cat >"$DIR/luksvol" <<EOF
#!/bin/sh
exec ${VALGRIND[*]} --log-file=$DIR/logs/%p.log $VG_BUILD/luksvol "\$@"
EOF
	chmod +x "$DIR/luksvol"
}

# vg_run NAME CMD...: passes on any exit below 128 but valgrind's 99 (for
# images whose exit codes other suites pin down).
vg_run() {
	local name=$1 rc
	shift
	"$@" >"$LV_WORK/last.out" 2>"$LV_WORK/last.err"
	rc=$?
	if [ $rc -lt 128 ] && [ $rc -ne 99 ]; then t_pass "$name"; else
		t_fail "$name" "exit $rc: $(head -c 300 "$LV_WORK/last.err")"; fi
}

interop_commands() {
	local L=$DIR/luksvol W=$DIR/work img cs token data k
	local FAST=(--pbkdf pbkdf2 --pbkdf-force-iterations 1000)
	img=$W/vg.img
	cs=$W/cs.img
	for k in a b c wrong; do printf 'valgrind passphrase %s %s' "$k" "$RANDOM$RANDOM" >"$W/$k.key"; done
	head -c $((8 * 1024 * 1024 + 1)) /dev/zero >"$W/huge.key"
	truncate -s 20M "$img" "$cs"
	t_expect valgrind/format 0 "$L" format -q "${FAST[@]}" --key-file "$W/a.key" "$img"
	t_expect valgrind/format-cs-opens 0 cryptsetup open --test-passphrase --key-file "$W/a.key" "$img"
	t_expect valgrind/open 0 "$L" open --test-passphrase --key-file "$W/a.key" "$img"
	t_expect valgrind/open-wrong 2 "$L" open --test-passphrase --key-file "$W/wrong.key" "$img"
	t_expect valgrind/keyfile-too-big 1 "$L" open --test-passphrase --key-file "$W/huge.key" "$img"
	t_expect valgrind/keyfile-size-short 1 "$L" open --test-passphrase --key-file "$W/a.key" \
		--keyfile-size 4096 "$img"
	t_expect valgrind/add-key 0 "$L" add-key "${FAST[@]}" --key-file "$W/a.key" \
		--new-key-file "$W/b.key" "$img"
	t_expect valgrind/add-key-argon2 0 "$L" add-key --pbkdf argon2id --pbkdf-memory 64 \
		--pbkdf-force-iterations 4 --key-file "$W/a.key" --new-key-file "$W/c.key" "$img"
	t_expect valgrind/add-key-cs-opens 0 cryptsetup open --test-passphrase --key-file "$W/c.key" "$img"
	t_expect valgrind/change-key 0 "$L" change-key "${FAST[@]}" --key-file "$W/b.key" \
		--new-key-file "$W/wrong.key" "$img"
	t_expect valgrind/kill-slot 0 "$L" kill-slot -q "$img" 2 </dev/null
	t_expect valgrind/remove-key 0 "$L" remove-key -q --key-file "$W/wrong.key" "$img"
	t_expect valgrind/dump 0 "$L" dump "$img"
	t_expect valgrind/dump-json 0 "$L" dump --json "$img"
	t_expect valgrind/dump-volume-key 0 "$L" dump --volume-key -q --key-file "$W/a.key" "$img"
	t_expect valgrind/is-luks 0 "$L" is-luks -v "$img"
	token=$W/token.json
	echo '{"type":"valgrind","keyslots":["0"],"x":[1,2,{"y":null}]}' >"$token"
	t_expect valgrind/token-import 0 "$L" token import --token-id 3 --json-file "$token" "$img"
	t_expect valgrind/token-export 0 "$L" token export --token-id 3 "$img"
	echo '{"type":"luks2-x","keyslots":[]}' >"$token"
	t_expect valgrind/token-reserved-refused 1 "$L" token import --json-file "$token" "$img"
	t_expect valgrind/token-remove 0 "$L" token remove --token-id 3 "$img"
	t_expect valgrind/config-label 0 "$L" config --label vg --subsystem sub "$img"
	rm -f "$W/hdr.backup"
	t_expect valgrind/header-backup 0 "$L" header-backup --header-backup-file "$W/hdr.backup" "$img"
	# Roll back an added key and a killed one (moves nothing), then a
	# keyslot re-created in place (moves it aside first).
	"$VG_BUILD/luksvol" add-key "${FAST[@]}" --key-file "$W/a.key" --new-key-file "$W/b.key" "$img"
	"$VG_BUILD/luksvol" kill-slot -q "$img" 0 </dev/null
	t_expect valgrind/header-restore 0 "$L" header-restore -q --header-backup-file "$W/hdr.backup" "$img"
	t_expect valgrind/header-restore-cs-opens 0 cryptsetup open --test-passphrase --key-file "$W/a.key" "$img"
	"$VG_BUILD/luksvol" change-key "${FAST[@]}" --key-file "$W/a.key" --new-key-file "$W/b.key" "$img"
	"$VG_BUILD/luksvol" change-key "${FAST[@]}" --key-file "$W/b.key" --new-key-file "$W/a.key" "$img"
	t_expect valgrind/header-restore-in-place 0 "$L" header-restore -q \
		--header-backup-file "$W/hdr.backup" "$img"
	t_expect valgrind/header-restore-in-place-cs-opens 0 cryptsetup open --test-passphrase \
		--key-file "$W/a.key" "$img"
	# A damaged secondary: read, then repaired.
	printf 'x' | dd of="$img" bs=1 seek=$((16384 + 4096 + 100)) conv=notrunc 2>/dev/null
	t_expect valgrind/dump-damaged 0 "$L" dump "$img"
	t_expect valgrind/repair 0 "$L" repair "$img"
	# cryptsetup's volume (argon2) through luksvol.
	cryptsetup luksFormat -q --pbkdf argon2id --pbkdf-memory 64 --pbkdf-force-iterations 4 \
		--key-file "$W/a.key" "$cs"
	t_expect valgrind/cs-volume-open 0 "$L" open --test-passphrase --key-file "$W/a.key" "$cs"
	t_expect valgrind/cs-volume-add-key 0 "$L" add-key "${FAST[@]}" --key-file "$W/a.key" \
		--new-key-file "$W/b.key" "$cs"
	t_expect valgrind/cs-volume-add-key-cs-opens 0 cryptsetup open --test-passphrase \
		--key-file "$W/b.key" "$cs"
	t_expect valgrind/erase 0 "$L" erase -q "$img"
	t_expect valgrind/erased-refuses 1 "$L" open --test-passphrase --key-file "$W/a.key" "$img"
	t_expect valgrind/format-bad-cipher 1 "$L" format -q "${FAST[@]}" --cipher nosuch-mode \
		--key-file "$W/a.key" "$img"
	# cryptsetup's test images: damaged, foreign and unusual headers.
	for data in luks2_valid_hdr.img compatimage2.img luks2_keyslot_unassigned.img \
		luks2_invalid_cipher.img blkid-luks2-pv.img evil_hdr-keyslot_overlap \
		evil_hdr-luks_hdr_damage evil_hdr-small_luks_device evil_hdr-stripes_payload_dmg; do
		vg_run "valgrind/testdata-$data" "$L" dump "$(unpack_xz "$data.xz")"
	done
	vg_run valgrind/testdata-requirements "$L" dump --json \
		"$(unpack_tar luks2_header_requirements.tar.xz)/luks2_header_requirements"
}

# Whole interop suites with "$LUKSVOL" under valgrind (LV_VALGRIND_SUITES).
interop_suites() {
	local suite
	: >"$DIR/results.txt"
	for suite in $SUITES; do
		LUKSVOL=$DIR/luksvol LV_RESULTS=$DIR/results.txt LV_WORK=$DIR/work \
			bash "$LV_TOP/$suite" >"$DIR/$(basename "$suite").out" 2>&1 ||
			t_fail "valgrind/$suite" "suite exited $?"
	done
	sed -u -E 's/^(PASS|FAIL) /\1 valgrind\//' "$DIR/results.txt" >>"$LV_RESULTS"
}

# Every luksvol run's valgrind log must be empty.
check_logs() {
	local runs bad=0 log
	runs=$(ls "$DIR/logs" | wc -l)
	if [ "$runs" -ge 39 ]; then t_pass valgrind/interop-runs; else
		t_fail valgrind/interop-runs "only $runs luksvol runs under valgrind"; fi
	for log in "$DIR"/logs/*.log; do
		[ -s "$log" ] || continue
		bad=$((bad + 1))
		t_fail "valgrind/interop/$(basename "$log" .log)" "$(head -c 600 "$log" | tr '\n' ' ')"
	done
	[ $bad -eq 0 ] && t_pass valgrind/interop-clean
	echo "valgrind: $runs luksvol runs under memcheck, $bad with errors" >&2
}

SECONDS=0
positive_controls
unit_tests
echo "valgrind: unit tests took ${SECONDS}s" >&2
SECONDS=0
make_wrapper
interop_commands
interop_suites
check_logs
echo "valgrind: interop commands took ${SECONDS}s" >&2
