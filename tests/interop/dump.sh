#!/bin/bash
# dump.sh: `luksvol dump` against `cryptsetup luksDump` on the same images.
#  - every LUKS2 image of cryptsetup's test data: --json equals
#    --dump-json-metadata as JSON values;
#  - images cryptsetup formats over a matrix of metadata sizes, sector sizes,
#    KDFs, labels, keyslots and tokens: the human output equals luksDump's
#    line for line (luksvol adds one "Header copy:" line);
#  - a wiped primary and a corrupted secondary;
#  - key sizes out of range (2^62, -1, 2^63 - 1, 2^29 + 1 bytes): printed as
#    luksDump prints them, with no arithmetic overflow under UBSan.
set -u
source "$(dirname "$0")/../lib.sh"
DIR=$LV_WORK/dump
mkdir -p "$DIR"

# JSON equality through jq's canonical sort.
same_json() {
	local name=$1 img=$2 ours theirs
	ours=$("$LUKSVOL" dump --json "$img" 2>"$DIR/err" | jq -S .) || true
	theirs=$(cryptsetup luksDump --dump-json-metadata "$img" 2>/dev/null | jq -S .) || true
	if [ -z "$theirs" ]; then
		t_fail "$name" "cryptsetup could not dump $img"
	elif [ "$ours" = "$theirs" ]; then
		t_pass "$name"
	else
		t_fail "$name" "JSON differs from cryptsetup's: $(diff <(echo "$ours") <(echo "$theirs") | head -5 | tr '\n' ' ') $(head -c 200 "$DIR/err")"
	fi
}

header_copy_is() {
	local name=$1 img=$2 want=$3 line
	line=$("$LUKSVOL" dump "$img" 2>/dev/null | grep '^Header copy:')
	case $line in
	*"$want"*) t_pass "$name" ;;
	*) t_fail "$name" "want '$want', got '$line'" ;;
	esac
}

test_data_images() {
	local img mda req
	same_json json/luks2_valid_hdr "$(unpack_xz luks2_valid_hdr.img.xz)"
	same_json json/compatimage2 "$(unpack_xz compatimage2.img.xz)"
	same_json json/keyslot_unassigned "$(unpack_xz luks2_keyslot_unassigned.img.xz)"
	same_json json/invalid_cipher "$(unpack_xz luks2_invalid_cipher.img.xz)"
	req=$(unpack_tar luks2_header_requirements.tar.xz)
	same_json json/header_requirements "$req/luks2_header_requirements"
	same_json json/header_requirements_free "$req/luks2_header_requirements_free"
	mda=$(unpack_tar luks2_mda_images.tar.xz)
	for img in "$mda"/test_image_*; do
		same_json "json/mda/$(basename "$img")" "$img"
		t_same_luksdump "human/mda/$(basename "$img")" "$img"
	done
	for img in luks2_valid_hdr compatimage2 luks2_keyslot_unassigned luks2_invalid_cipher; do
		t_same_luksdump "human/$img" "$LV_WORK/data/$img.img"
	done
	t_same_luksdump human/header_requirements "$req/luks2_header_requirements"
}

# format NAME [cryptsetup luksFormat options...]: a 40 MiB image keyed "pass".
format_image() {
	local img=$DIR/$1.img
	shift
	rm -f "$img"
	truncate -s 40M "$img"
	echo -n pass | cryptsetup luksFormat -q --type luks2 --key-file - "$@" "$img" >/dev/null
	echo "$img"
}

FAST_ARGON=(--pbkdf argon2id --pbkdf-memory 32 --pbkdf-force-iterations 4)

test_formatted_matrix() {
	local size img kdf sector
	for size in 16k 32k 64k 128k 256k 512k 1m 2m 4m; do
		img=$(format_image "mda-$size" "${FAST_ARGON[@]}" --luks2-metadata-size "$size")
		t_same_luksdump "human/format/metadata-$size" "$img"
		same_json "json/format/metadata-$size" "$img"
	done
	for sector in 512 4096; do
		img=$(format_image "sector-$sector" "${FAST_ARGON[@]}" --sector-size "$sector")
		t_same_luksdump "human/format/sector-$sector" "$img"
	done
	for kdf in pbkdf2 argon2i argon2id; do
		if [ $kdf = pbkdf2 ]; then
			img=$(format_image "kdf-$kdf" --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --hash sha512)
		else
			img=$(format_image "kdf-$kdf" --pbkdf $kdf --pbkdf-memory 64 --pbkdf-force-iterations 5 --pbkdf-parallel 1)
		fi
		t_same_luksdump "human/format/kdf-$kdf" "$img"
	done
	img=$(format_image labels "${FAST_ARGON[@]}" --label "my label" --subsystem "sub-system" \
		--cipher aes-cbc-essiv:sha256 --key-size 256)
	t_same_luksdump human/format/label-subsystem-cbc "$img"
}

test_keyslots_and_tokens() {
	local img i
	img=$(format_image eight "${FAST_ARGON[@]}")
	for i in 1 2 3 4 5 6 7; do
		echo -n "pass$i" | cryptsetup luksAddKey -q --key-file <(echo -n pass) \
			--pbkdf pbkdf2 --pbkdf-force-iterations 1000 "$img" - >/dev/null
	done
	cryptsetup config --priority prefer --key-slot 3 "$img"
	cryptsetup config --priority ignore --key-slot 5 "$img"
	echo '{"type":"luks2-keyring","keyslots":["1"],"key_description":"test:key"}' |
		cryptsetup token import "$img"
	echo '{"type":"talos-tpm2","keyslots":["2","4"],"pcrs":[7],"blob":"AAAA"}' |
		cryptsetup token import --token-id 7 "$img"
	cryptsetup config --label eight-slots "$img"
	t_same_luksdump human/eight-keyslots-tokens "$img"
	same_json json/eight-keyslots-tokens "$img"
}

test_damaged_copies() {
	local img copy
	img=$(format_image damaged "${FAST_ARGON[@]}")
	copy=$DIR/wiped-primary.img
	cp "$img" "$copy"
	dd if=/dev/zero of="$copy" bs=4096 count=1 conv=notrunc status=none
	header_copy_is damage/wiped-primary-uses-secondary "$copy" "secondary (primary copy damaged)"
	# luksDump recovers the primary in place, so cryptsetup reads its own copy.
	cp "$copy" "$copy.cs"
	"$LUKSVOL" dump "$copy" 2>/dev/null | grep -v -E '^(Header copy|Epoch):' >"$DIR/ours.txt"
	cryptsetup luksDump "$copy.cs" 2>/dev/null | grep -v '^Epoch:' >"$DIR/theirs.txt"
	if diff -q "$DIR/ours.txt" "$DIR/theirs.txt" >/dev/null; then
		t_pass damage/wiped-primary-fields
	else
		t_fail damage/wiped-primary-fields "$(diff "$DIR/ours.txt" "$DIR/theirs.txt" | head -4 | tr '\n' ' ')"
	fi
	copy=$DIR/bad-secondary.img
	cp "$img" "$copy"
	printf 'garbage' | dd of="$copy" bs=1 seek=$((0x4000 + 4096 + 10)) conv=notrunc status=none
	local before
	before=$(sha256sum <"$copy")
	header_copy_is damage/corrupt-secondary-uses-primary "$copy" "primary (secondary copy damaged)"
	"$LUKSVOL" dump "$copy" 2>"$DIR/err" >/dev/null
	if grep -q 'secondary header copy is damaged' "$DIR/err"; then
		t_pass damage/corrupt-secondary-warns
	else
		t_fail damage/corrupt-secondary-warns "no warning: $(head -c 200 "$DIR/err")"
	fi
	t_same damage/dump-never-writes "$before" "$(sha256sum <"$copy")"
	# luksDump recovers in place: give it its own copy.
	cp "$copy" "$copy.cs"
	"$LUKSVOL" dump "$copy" 2>/dev/null | grep -v '^Header copy:' >"$DIR/ours.txt"
	cryptsetup luksDump "$copy.cs" >"$DIR/theirs.txt" 2>/dev/null
	if diff -q "$DIR/ours.txt" "$DIR/theirs.txt" >/dev/null; then
		t_pass damage/corrupt-secondary-fields
	else
		t_fail damage/corrupt-secondary-fields "$(diff "$DIR/ours.txt" "$DIR/theirs.txt" | head -4 | tr '\n' ' ')"
	fi
}

# cryptsetup prints a key size as its uint32 value times 8 in 32-bit
# arithmetic; luksvol once multiplied the int64 (UBSan: overflow at 2^62).
test_key_size_overflow() {
	local img=$DIR/key-size.img base field value
	base=$DIR/key-size.base
	cs_image "$base" 24M /etc/hostname
	for field in area.key_size:4611686018427387904 area.key_size:-1 \
		area.key_size:9223372036854775807 area.key_size:536870913 key_size:536870913; do
		value=${field#*:}
		cp "$base" "$img"
		/usr/bin/python3 "$LV_TOP/tests/generators/edit_json.py" "$img" \
			"keyslots.0.${field%%:*}" "$value"
		t_expect "key-size/${field%%:*}=$value/dump" 0 "$LUKSVOL" dump "$img"
		t_same_luksdump "key-size/${field%%:*}=$value/as-luksDump" "$img"
		if grep -q "key_size $value out of range" "$LV_WORK/dump.err"; then
			t_pass "key-size/${field%%:*}=$value/warned"
		else
			t_fail "key-size/${field%%:*}=$value/warned" "$(head -c 200 "$LV_WORK/dump.err")"
		fi
	done
	rm -f "$img" "$base"
}

test_verdicts() {
	local luks1
	t_expect cli/dump-missing-device 4 "$LUKSVOL" dump "$DIR/does-not-exist"
	t_expect cli/dump-not-luks 1 "$LUKSVOL" dump /etc/hostname
	t_expect cli/is-luks-yes 0 "$LUKSVOL" is-luks "$LV_WORK/data/compatimage2.img"
	t_expect cli/is-luks-no 1 "$LUKSVOL" is-luks /etc/hostname
	luks1=$(unpack_xz valid_header_file.xz)
	t_expect cli/is-luks-luks1 0 "$LUKSVOL" is-luks "$luks1"
	t_expect cli/dump-luks1-refused 1 "$LUKSVOL" dump "$luks1"
	if grep -q 'LUKS1' "$LV_WORK/last.err"; then
		t_pass cli/dump-luks1-named
	else
		t_fail cli/dump-luks1-named "message does not name LUKS1: $(cat "$LV_WORK/last.err")"
	fi
	t_expect cli/options-after-device 0 "$LUKSVOL" dump "$LV_WORK/data/compatimage2.img" --json
}

test_data_images
test_formatted_matrix
test_keyslots_and_tokens
test_damaged_copies
test_key_size_overflow
test_verdicts
