#!/bin/bash
# writer.sh: luksvol's writer and keyslot manager against cryptsetup, both ways.
#  - luksvol formats over a matrix; cryptsetup opens, reports the same volume
#    key, adds and kills keyslots on it, and finds nothing to repair;
#  - the layout of a luksvol header equals cryptsetup's with the same options;
#  - cryptsetup formats the same matrix; luksvol unlocks to the same key and
#    its add-key/kill-slot/change-key/token edits open with exactly the
#    expected passphrases in cryptsetup;
#  - every test image with a known passphrase unlocks to cryptsetup's key;
#  - a wrong passphrase exits 2 and writes nothing; concurrent add-keys;
#  - a 200-step chain alternating both tools (chain.py).
set -u
source "$(dirname "$0")/../lib.sh"
DIR=$LV_WORK/writer
mkdir -p "$DIR"
FAST_PBKDF2=(--pbkdf pbkdf2 --pbkdf-force-iterations 1000)
FAST_ARGON=(--pbkdf argon2id --pbkdf-memory 32 --pbkdf-force-iterations 4)

keyfile() { printf '%s' "$2" >"$DIR/$1.key"; echo "$DIR/$1.key"; }
PASS_A=$(keyfile a "passphrase A")
PASS_B=$(keyfile b "second passphrase")
PASS_C=$(keyfile c "third: with spaces & symbols")
PASS_WRONG=$(keyfile wrong "not it")

new_image() { rm -f "$1"; truncate -s "${2:-40M}" "$1"; }

cs_volume_key() {
	cryptsetup luksDump --dump-volume-key -q --key-file "$2" "$1" 2>/dev/null | grep -A8 '^MK dump' | tr -d ' \t\n'
}

lv_volume_key() {
	"$LUKSVOL" dump --volume-key -q --key-file "$2" "$1" 2>/dev/null | grep -A8 '^MK dump' | tr -d ' \t\n'
}

same_volume_key() {
	local name=$1 img=$2 key=$3 ours theirs
	ours=$(lv_volume_key "$img" "$key")
	theirs=$(cs_volume_key "$img" "$key")
	if [ -n "$theirs" ] && [ "$ours" = "$theirs" ]; then
		t_pass "$name"
	else
		t_fail "$name" "volume keys differ or are missing: luksvol '${ours:0:24}...' cryptsetup '${theirs:0:24}...'"
	fi
}

# opens_only IMG SLOT KEY TOOL: KEY opens SLOT (and the any-slot unlock works).
cs_opens() { cryptsetup open --test-passphrase --key-file "$3" --key-slot "$2" "$1" >/dev/null 2>&1; }
lv_opens() { "$LUKSVOL" open --test-passphrase --key-file "$3" --key-slot "$2" "$1" >/dev/null 2>&1; }

# Layout of a header with random values blanked, for field-by-field comparison.
layout_of() {
	cryptsetup luksDump --dump-json-metadata "$1" 2>/dev/null | jq -S '
		walk(if type == "object" then (del(.salt, .digest)) else . end)
		| .digests[].iterations = "benchmarked"'
}

format_pair() {
	local name=$1
	shift
	new_image "$DIR/lv-$name.img"
	new_image "$DIR/cs-$name.img"
	t_expect "format/$name/luksvol" 0 "$LUKSVOL" format -q --key-file "$PASS_A" "$@" "$DIR/lv-$name.img"
	cryptsetup luksFormat -q --type luks2 --key-file "$PASS_A" "$@" "$DIR/cs-$name.img" >/dev/null 2>&1 ||
		t_fail "format/$name/cryptsetup" "cryptsetup luksFormat failed"
}

# check_luksvol_image NAME [SLOT]: SLOT is the keyslot format created.
check_luksvol_image() {
	local name=$1 slot=${2:-0} img=$DIR/lv-$1.img sum_before sum_after
	t_expect "lv2cs/$name/open" 0 cryptsetup open --test-passphrase --key-file "$PASS_A" "$img"
	same_volume_key "lv2cs/$name/volume-key" "$img" "$PASS_A"
	if diff <(layout_of "$img") <(layout_of "$DIR/cs-$name.img") >"$DIR/layout.diff"; then
		t_pass "lv2cs/$name/layout"
	else
		t_fail "lv2cs/$name/layout" "$(head -12 "$DIR/layout.diff" | tr '\n' ' ')"
	fi
	for field in Epoch 'Metadata area' 'Keyslots area'; do
		t_same "lv2cs/$name/dump-$field" \
			"$(cryptsetup luksDump "$img" | grep "^$field:")" \
			"$(cryptsetup luksDump "$DIR/cs-$name.img" | grep "^$field:")"
	done
	sum_before=$(sha256sum <"$img")
	t_expect "lv2cs/$name/repair-nothing" 0 cryptsetup repair -q "$img"
	sum_after=$(sha256sum <"$img")
	t_same "lv2cs/$name/repair-unchanged" "$sum_before" "$sum_after"
	t_expect "lv2cs/$name/cs-addkey" 0 cryptsetup luksAddKey -q "${FAST_PBKDF2[@]}" \
		--key-file "$PASS_A" "$img" "$PASS_B"
	t_expect "lv2cs/$name/lv-opens-cs-key" 0 "$LUKSVOL" open --test-passphrase --key-file "$PASS_B" "$img"
	t_expect "lv2cs/$name/cs-killslot" 0 cryptsetup luksKillSlot -q "$img" "$slot"
	t_expect "lv2cs/$name/old-key-gone" 2 "$LUKSVOL" open --test-passphrase --key-file "$PASS_A" "$img"
	t_expect "lv2cs/$name/new-key-works" 0 cryptsetup open --test-passphrase --key-file "$PASS_B" "$img"
}

check_cryptsetup_image() {
	local name=$1 slot=${2:-0} img=$DIR/cs-$1.img
	same_volume_key "cs2lv/$name/volume-key" "$img" "$PASS_A"
	t_expect "cs2lv/$name/add-key" 0 "$LUKSVOL" add-key "${FAST_PBKDF2[@]}" --key-file "$PASS_A" \
		--new-key-file "$PASS_B" --key-slot 3 "$img"
	t_expect "cs2lv/$name/cs-opens-added" 0 cryptsetup open --test-passphrase --key-file "$PASS_B" --key-slot 3 "$img"
	t_expect "cs2lv/$name/change-key" 0 "$LUKSVOL" change-key "${FAST_PBKDF2[@]}" --key-file "$PASS_B" \
		--new-key-file "$PASS_C" "$img"
	t_expect "cs2lv/$name/cs-opens-changed" 0 cryptsetup open --test-passphrase --key-file "$PASS_C" --key-slot 3 "$img"
	t_expect "cs2lv/$name/cs-refuses-old" 2 cryptsetup open --test-passphrase --key-file "$PASS_B" "$img"
	t_expect "cs2lv/$name/token-import" 0 "$LUKSVOL" token import --token-id 2 \
		--json-file <(echo '{"type":"some-token","keyslots":["3"],"data":{"x":[1,2]}}') "$img"
	t_same "cs2lv/$name/cs-sees-token" \
		"$(cryptsetup token export --token-id 2 "$img" | jq -c -S .)" \
		'{"data":{"x":[1,2]},"keyslots":["3"],"type":"some-token"}'
	t_expect "cs2lv/$name/kill-slot" 0 "$LUKSVOL" kill-slot -q "$img" "$slot" </dev/null
	t_expect "cs2lv/$name/cs-refuses-killed" 2 cryptsetup open --test-passphrase --key-file "$PASS_A" "$img"
	t_expect "cs2lv/$name/cs-opens-rest" 0 cryptsetup open --test-passphrase --key-file "$PASS_C" "$img"
	same_volume_key "cs2lv/$name/volume-key-kept" "$img" "$PASS_C"
	t_expect "cs2lv/$name/cs-repair-nothing" 0 cryptsetup repair -q "$img"
}

test_matrix() {
	local name
	format_pair xts512-argon2id "${FAST_ARGON[@]}"
	format_pair xts256-pbkdf2-sha512 --key-size 256 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --hash sha512
	format_pair cbc-essiv-argon2i --cipher aes-cbc-essiv:sha256 --key-size 256 --pbkdf argon2i \
		--pbkdf-memory 64 --pbkdf-force-iterations 4 --pbkdf-parallel 1
	format_pair cbc-essiv128 --cipher aes-cbc-essiv:sha256 --key-size 128 "${FAST_PBKDF2[@]}"
	format_pair sector512 --sector-size 512 "${FAST_ARGON[@]}"
	format_pair sector4096 --sector-size 4096 "${FAST_PBKDF2[@]}"
	format_pair meta64k --luks2-metadata-size 64k "${FAST_PBKDF2[@]}"
	format_pair meta4m --luks2-metadata-size 4m "${FAST_PBKDF2[@]}"
	format_pair keyslots2m --luks2-keyslots-size 2m "${FAST_PBKDF2[@]}"
	format_pair offset32m --offset 65536 "${FAST_PBKDF2[@]}"
	format_pair label --label "data volume" --subsystem "luksvol-test" "${FAST_PBKDF2[@]}"
	format_pair slot5 --key-slot 5 "${FAST_PBKDF2[@]}"
	for name in xts512-argon2id xts256-pbkdf2-sha512 cbc-essiv-argon2i cbc-essiv128 sector512 \
		sector4096 meta64k meta4m keyslots2m offset32m label; do
		check_luksvol_image "$name"
		check_cryptsetup_image "$name"
	done
	check_luksvol_image slot5 5
	check_cryptsetup_image slot5 5
}

test_known_images() {
	local mda img req
	mda=$(unpack_tar luks2_mda_images.tar.xz)
	for img in "$mda"/test_image_*; do
		same_volume_key "images/mda/$(basename "$img")" "$img" "$(keyfile mda Qx3qn46vq0v)"
	done
	same_volume_key images/compatimage2 "$(unpack_xz compatimage2.img.xz)" "$(keyfile compat compatkey)"
	img=$(unpack_xz luks2_keyslot_unassigned.img.xz)
	same_volume_key images/keyslot_unassigned-ks0 "$img" "$DIR/compat.key"
	t_expect images/keyslot_unassigned-ks1-named 0 "$LUKSVOL" open --test-passphrase \
		--key-slot 1 --key-file "$(keyfile unassigned 93R4P4pIqAH8)" "$img"
	t_expect images/keyslot_unassigned-ks1-not-any 2 "$LUKSVOL" open --test-passphrase \
		--key-file "$DIR/unassigned.key" "$img"
	same_volume_key images/invalid_cipher "$(unpack_xz luks2_invalid_cipher.img.xz)" "$DIR/unassigned.key"
	req=$(unpack_tar luks2_header_requirements.tar.xz)
	same_volume_key images/header_requirements "$req/luks2_header_requirements" "$(keyfile req blablabl)"
	cp "$req/luks2_header_requirements" "$DIR/req.img"
	t_expect images/requirements-refuse-write 1 "$LUKSVOL" add-key "${FAST_PBKDF2[@]}" \
		--key-file "$DIR/req.key" --new-key-file "$PASS_B" "$DIR/req.img"
	t_expect images/requirements-refuse-label 1 "$LUKSVOL" config --label x "$DIR/req.img"
	t_same images/requirements-untouched "$(sha256sum <"$DIR/req.img")" \
		"$(sha256sum <"$req/luks2_header_requirements")"
}

test_wrong_passphrase() {
	local img=$DIR/wrong.img before
	new_image "$img"
	"$LUKSVOL" format -q --key-file "$PASS_A" "${FAST_PBKDF2[@]}" "$img"
	before=$(sha256sum <"$img")
	t_expect wrong/test-passphrase 2 "$LUKSVOL" open --test-passphrase --key-file "$PASS_WRONG" "$img"
	t_expect wrong/add-key 2 "$LUKSVOL" add-key --key-file "$PASS_WRONG" --new-key-file "$PASS_B" "$img"
	t_expect wrong/change-key 2 "$LUKSVOL" change-key --key-file "$PASS_WRONG" --new-key-file "$PASS_B" "$img"
	t_expect wrong/remove-key 2 "$LUKSVOL" remove-key --key-file "$PASS_WRONG" "$img"
	t_expect wrong/named-slot 2 "$LUKSVOL" open --test-passphrase --key-slot 0 --key-file "$PASS_WRONG" "$img"
	t_same wrong/nothing-written "$before" "$(sha256sum <"$img")"
	if grep -q -F "not it" "$LV_WORK/last.err"; then
		t_fail wrong/no-secret-in-error "the passphrase appears in the error message"
	else
		t_pass wrong/no-secret-in-error
	fi
}

test_concurrent_add_key() {
	local img=$DIR/concurrent.img
	new_image "$img"
	"$LUKSVOL" format -q --key-file "$PASS_A" "${FAST_PBKDF2[@]}" "$img"
	"$LUKSVOL" add-key "${FAST_ARGON[@]}" --pbkdf-memory 65536 --key-file "$PASS_A" --new-key-file "$PASS_B" "$img" &
	"$LUKSVOL" add-key "${FAST_ARGON[@]}" --pbkdf-memory 65536 --key-file "$PASS_A" --new-key-file "$PASS_C" "$img" &
	wait
	t_expect concurrent/key-b 0 cryptsetup open --test-passphrase --key-file "$PASS_B" "$img"
	t_expect concurrent/key-c 0 cryptsetup open --test-passphrase --key-file "$PASS_C" "$img"
}

test_header_verbs() {
	local img=$DIR/hdr.img backup=$DIR/hdr.backup
	new_image "$img"
	"$LUKSVOL" format -q --key-file "$PASS_A" "${FAST_PBKDF2[@]}" "$img"
	rm -f "$backup"
	t_expect header/backup 0 "$LUKSVOL" header-backup --header-backup-file "$backup" "$img"
	t_expect header/backup-exists 5 "$LUKSVOL" header-backup --header-backup-file "$backup" "$img"
	t_expect header/cs-reads-backup 0 cryptsetup open --test-passphrase --key-file "$PASS_A" "$backup"
	t_expect header/label 0 "$LUKSVOL" config --label relabelled --subsystem sub "$img"
	t_same header/cs-sees-label "$(cryptsetup luksDump "$img" | grep -E '^(Label|Subsystem):' | tr -s ' \t' ' ')" \
		"$(printf 'Label: relabelled\nSubsystem: sub')"
	t_expect header/kill-all 0 "$LUKSVOL" kill-slot -q "$img" 0 </dev/null
	t_expect header/restore 0 "$LUKSVOL" header-restore -q --header-backup-file "$backup" "$img"
	t_expect header/restored-opens 0 cryptsetup open --test-passphrase --key-file "$PASS_A" "$img"
	t_expect header/erase 0 "$LUKSVOL" erase -q "$img"
	t_expect header/erased-refuses 1 cryptsetup open --test-passphrase --key-file "$PASS_A" "$img"
	t_expect header/erased-still-luks 0 cryptsetup isLuks "$img"
	t_expect header/erased-no-keyslot 1 "$LUKSVOL" open --test-passphrase --key-file "$PASS_A" "$img"
	# cryptsetup's own backup restores through luksvol too.
	rm -f "$DIR/cs.backup"
	cryptsetup luksHeaderBackup --header-backup-file "$DIR/cs.backup" "$backup"
	t_expect header/restore-cs-backup 0 "$LUKSVOL" header-restore -q --header-backup-file "$DIR/cs.backup" "$img"
	t_expect header/cs-backup-opens 0 "$LUKSVOL" open --test-passphrase --key-file "$PASS_A" "$img"
	test_restore_refusals "$img" "$DIR/cs.backup"
}

# restore_with_requirement IN OUT REQUIREMENT: a copy of backup IN whose
# two copies carry config.requirements.mandatory [REQUIREMENT], resealed.
restore_with_requirement() {
	/usr/bin/python3 - "$@" <<'PY'
import hashlib, json, struct, sys
src, dst, requirement = sys.argv[1:4]
data = bytearray(open(src, 'rb').read())
hdr_size = struct.unpack('>Q', data[8:16])[0]
for off in (0, hdr_size):
    area = bytes(data[off + 4096:off + hdr_size])
    meta = json.loads(area.split(b'\0', 1)[0])
    meta['config']['requirements'] = {'mandatory': [requirement]}
    text = json.dumps(meta, separators=(',', ':')).encode()
    data[off + 4096:off + hdr_size] = text + bytes(hdr_size - 4096 - len(text))
    data[off + 0x1c0:off + 0x200] = bytes(64)
    data[off + 0x1c0:off + 0x1e0] = hashlib.sha256(bytes(data[off:off + hdr_size])).digest()
open(dst, 'wb').write(data)
PY
}

# What header-restore refuses, with cryptsetup's exit codes, and nothing
# written: a backup with a requirement cryptsetup refuses to restore, a
# missing backup file (1), a missing device (4).
test_restore_refusals() {
	local img=$1 backup=$2 req before
	before=$(sha256sum <"$img")
	for req in foo-bar offline-reencrypt; do
		restore_with_requirement "$backup" "$DIR/req-$req.backup" "$req"
		t_expect header/restore-cs-refuses-$req 1 cryptsetup luksHeaderRestore -q \
			--header-backup-file "$DIR/req-$req.backup" "$img"
		t_expect header/restore-refuses-$req 1 "$LUKSVOL" header-restore -q \
			--header-backup-file "$DIR/req-$req.backup" "$img"
		t_same header/restore-refusal-names-$req \
			"$(grep -c "requirement \"$req\"" "$LV_WORK/last.err")" 1
	done
	t_expect header/restore-missing-backup 1 "$LUKSVOL" header-restore -q \
		--header-backup-file "$DIR/no-such.backup" "$img"
	t_expect header/restore-missing-device 4 "$LUKSVOL" header-restore -q \
		--header-backup-file "$backup" "$DIR/no-such.img"
	t_same header/restore-refusals-write-nothing "$(sha256sum <"$img")" "$before"
}

test_tokens() {
	local img=$DIR/tok.img
	new_image "$img"
	"$LUKSVOL" format -q --key-file "$PASS_A" "${FAST_PBKDF2[@]}" "$img"
	t_expect token/keyring 0 "$LUKSVOL" token import --json-file \
		<(echo '{"type":"luks2-keyring","keyslots":["0"],"key_description":"k:1"}') "$img"
	t_expect token/reserved-refused 1 "$LUKSVOL" token import --json-file \
		<(echo '{"type":"luks2-other","keyslots":[]}') "$img"
	t_expect token/bad-keyslot-refused 1 "$LUKSVOL" token import --json-file \
		<(echo '{"type":"x","keyslots":["9"]}') "$img"
	t_expect token/not-json-refused 1 "$LUKSVOL" token import --json-file <(echo 'nope') "$img"
	t_expect token/taken-id 5 "$LUKSVOL" token import --token-id 0 --json-file \
		<(echo '{"type":"x","keyslots":[]}') "$img"
	t_same token/export "$("$LUKSVOL" token export --token-id 0 "$img" | jq -c -S .)" \
		"$(cryptsetup token export --token-id 0 "$img" | jq -c -S .)"
	t_expect token/remove 0 "$LUKSVOL" token remove --token-id 0 "$img"
	t_expect token/cs-sees-removed 1 cryptsetup token export --token-id 0 "$img"
}

# blkid-luks2-pv.img: wiped primary, valid secondary, an LVM2 PV signature.
# Writers must not recover the primary over it on their own; repair does.
test_ambiguous_signature() {
	local img=$DIR/pv.img before
	cp "$(unpack_xz blkid-luks2-pv.img.xz)" "$img"
	before=$(sha256sum <"$img")
	t_expect ambiguous/dump-reads-secondary 0 "$LUKSVOL" dump "$img"
	t_expect ambiguous/write-refused 1 "$LUKSVOL" config --label x "$img"
	if grep -q 'signature besides LUKS2 is on the device (LVM2_member)' "$LV_WORK/last.err"; then
		t_pass ambiguous/message-names-signature
	else
		t_fail ambiguous/message-names-signature "$(cat "$LV_WORK/last.err")"
	fi
	t_same ambiguous/nothing-written "$(sha256sum <"$img")" "$before"
	t_expect ambiguous/repair 0 "$LUKSVOL" repair "$img"
	t_expect ambiguous/cryptsetup-loads-repaired 0 cryptsetup luksDump "$img"
	t_same ambiguous/only-luks-left "$(blkid -p -o value -s TYPE "$img")" crypto_LUKS
}

test_matrix
test_ambiguous_signature
test_known_images
test_wrong_passphrase
test_concurrent_add_key
test_header_verbs
test_tokens
/usr/bin/python3 "$(dirname "$0")/chain.py" --luksvol "$LUKSVOL" --work "$DIR/chain" \
	--steps "${LV_CHAIN_STEPS:-200}" >>"$LV_RESULTS" || t_fail chain/run "chain.py exited $?"
