#!/bin/bash
# native_compat_verbs.sh: luksvol's own verbs that run cryptsetup actions'
# code (issue 19): uuid (luksUUID), convert-key (luksConvertKey), token add,
# token unassign, token import --token-replace, --keyslot-cipher and
# --version.  Each verb runs on a copy of a cryptsetup-made image while
# cryptsetup runs its action on another; the headers must then be the same
# (tests/compat/hdr_view.py: cryptsetup's luksDump, salts reduced).
set -u
source "$(dirname "$0")/../lib.sh"
DIR=$LV_WORK/native-compat
rm -rf "$DIR"
mkdir -p "$DIR"
FAST=(--pbkdf pbkdf2 --pbkdf-force-iterations 1000)
THEIRS=$DIR/theirs.img
OURS=$DIR/ours.img
UUID=01234567-89ab-cdef-0123-456789abcdef
printf 'native-0' >"$DIR/k0"
printf 'native-1' >"$DIR/k1"

view() { /usr/bin/python3 "$LV_TOP/tests/compat/hdr_view.py" "$@" 2>&1; }

# A fresh pair: keyslots 0 and 1, a token on keyslots 0 and 1.
fresh_pair() {
	rm -f "$THEIRS" "$OURS"
	truncate -s 20M "$THEIRS"
	cryptsetup luksFormat -q --type luks2 "${FAST[@]}" --key-file "$DIR/k0" "$THEIRS" &&
		cryptsetup luksAddKey -q "${FAST[@]}" --key-file "$DIR/k0" "$THEIRS" "$DIR/k1" &&
		printf '%s' '{"type":"user-kind","keyslots":["0","1"]}' |
		cryptsetup token import -q --token-id 2 --json-file=- "$THEIRS" &&
		cp "$THEIRS" "$OURS"
}

# same_header NAME: the two images' headers are the same.
same_header() {
	local delta
	if delta=$(diff <(view "$THEIRS") <(view "$OURS")); then t_pass "$1"; else
		t_fail "$1" "$(echo "$delta" | head -8 | tr '\n' ' ')"; fi
}

test_uuid() {
	fresh_pair || return
	t_same native/uuid-prints "$("$LUKSVOL" uuid "$OURS" 2>&1)" "$(cryptsetup luksUUID "$THEIRS")"
	cryptsetup luksUUID -q --uuid "$UUID" "$THEIRS"
	t_expect native/uuid-set 0 "$LUKSVOL" uuid -q --uuid "$UUID" "$OURS"
	same_header native/uuid-set-header
	cp "$OURS" "$DIR/before"
	t_expect native/uuid-bad 1 "$LUKSVOL" uuid -q --uuid not-a-uuid "$OURS"
	if cmp -s "$OURS" "$DIR/before"; then t_pass native/uuid-bad-unchanged; else
		t_fail native/uuid-bad-unchanged "a refused uuid wrote"; fi
	t_expect native/uuid-not-with-key-file 1 "$LUKSVOL" uuid --key-file "$DIR/k0" "$OURS"
}

test_tokens() {
	fresh_pair || return
	cryptsetup token add --key-description talos --key-slot 1 "$THEIRS"
	t_expect native/token-add 0 "$LUKSVOL" token add --key-description talos --key-slot 1 "$OURS"
	same_header native/token-add-header
	t_expect native/token-add-needs-description 1 "$LUKSVOL" token add --key-slot 1 "$OURS"
	cryptsetup token unassign --token-id 2 --key-slot 0 "$THEIRS"
	t_expect native/token-unassign 0 "$LUKSVOL" token unassign --token-id 2 --key-slot 0 "$OURS"
	same_header native/token-unassign-header
	t_expect native/token-unassign-again 1 "$LUKSVOL" token unassign --token-id 2 --key-slot 0 \
		"$OURS"
	printf '%s' '{"type":"other-kind","keyslots":[],"x":1}' >"$DIR/token.json"
	t_expect native/token-import-in-use 5 "$LUKSVOL" token import --token-id 2 \
		--json-file "$DIR/token.json" "$OURS"
	cryptsetup token import -q --token-id 2 --token-replace --json-file "$DIR/token.json" "$THEIRS"
	t_expect native/token-import-replace 0 "$LUKSVOL" token import --token-id 2 --token-replace \
		--json-file "$DIR/token.json" "$OURS"
	same_header native/token-import-replace-header
}

# convert-key with a keyslot cipher: the same header as luksConvertKey's, and
# each tool opens the keyslot the other rewrote.
test_convert_key() {
	local opts=("${FAST[@]}" --pbkdf-force-iterations 1200 --keyslot-cipher aes-cbc-essiv:sha256
		--keyslot-key-size 256)
	fresh_pair || return
	cryptsetup luksConvertKey -q "${opts[@]}" --key-file "$DIR/k1" "$THEIRS"
	t_expect native/convert-key 0 "$LUKSVOL" convert-key "${opts[@]}" --key-file "$DIR/k1" "$OURS"
	same_header native/convert-key-header
	t_expect native/convert-key-cryptsetup-opens 0 cryptsetup open --test-passphrase --key-slot 1 \
		--key-file "$DIR/k1" "$OURS"
	t_expect native/convert-key-luksvol-opens 0 "$LUKSVOL" open --test-passphrase --key-slot 1 \
		--key-file "$DIR/k1" "$THEIRS"
	t_expect native/convert-key-wrong 2 "$LUKSVOL" convert-key "${FAST[@]}" --key-file "$DIR/k0" \
		--key-slot 1 "$OURS"
	cp "$OURS" "$DIR/before"
	t_expect native/keyslot-cipher-unsupported 1 "$LUKSVOL" add-key "${FAST[@]}" \
		--keyslot-cipher serpent-xts-plain64 --keyslot-key-size 512 --key-file "$DIR/k0" \
		--new-key-file "$DIR/k1" "$OURS"
	t_expect native/keyslot-cipher-needs-size 1 "$LUKSVOL" change-key "${FAST[@]}" \
		--keyslot-cipher aes-xts-plain64 --key-file "$DIR/k0" --new-key-file "$DIR/k1" "$OURS"
	if cmp -s "$OURS" "$DIR/before"; then t_pass native/keyslot-cipher-refusals-unchanged; else
		t_fail native/keyslot-cipher-refusals-unchanged "a refused keyslot cipher wrote"; fi
}

# On a detached header made by cryptsetup: uuid and token add read and
# write the header file only.
test_detached() {
	rm -f "$DIR/data.img" "$DIR/hdr.img"
	truncate -s 8M "$DIR/data.img"
	cryptsetup luksFormat -q --type luks2 "${FAST[@]}" --key-file "$DIR/k0" \
		--header "$DIR/hdr.img" "$DIR/data.img" || return
	t_same native/detached-uuid "$("$LUKSVOL" uuid --header "$DIR/hdr.img" "$DIR/data.img")" \
		"$(cryptsetup luksUUID "$DIR/hdr.img")"
	t_expect native/detached-token-add 0 "$LUKSVOL" token add --key-description d --key-slot 0 \
		--header "$DIR/hdr.img" "$DIR/data.img"
	t_same native/detached-token-added \
		"$(cryptsetup token export --token-id 0 "$DIR/hdr.img")" \
		'{"type":"luks2-keyring","keyslots":["0"],"key_description":"d"}'
	t_same native/detached-data-untouched "$(tr -d '\0' <"$DIR/data.img" | head -c 1 | wc -c)" 0
}

test_version_and_help() {
	t_same native/version "$("$LUKSVOL" --version)" "luksvol $("$LUKSVOL" -V | cut -d' ' -f2)"
	case $("$LUKSVOL" --version) in
	"luksvol "[0-9]*.[0-9]*.[0-9]*) t_pass native/version-format ;;
	*) t_fail native/version-format "$("$LUKSVOL" --version 2>&1)" ;;
	esac
	t_expect native/version-with-verb 0 "$LUKSVOL" uuid --version
	for verb in uuid convert-key "token add" "token unassign" "token import"; do
		# shellcheck disable=SC2086
		if "$LUKSVOL" $verb --help | head -1 | grep -q "^usage: luksvol $verb "; then
			t_pass "native/help/${verb// /-}"
		else
			t_fail "native/help/${verb// /-}" "$("$LUKSVOL" $verb --help 2>&1 | head -2)"
		fi
	done
	"$LUKSVOL" token import --help | grep -q -- '--token-replace' &&
		t_pass native/help/token-import-replace ||
		t_fail native/help/token-import-replace "--token-replace not in token import --help"
}

test_uuid
test_tokens
test_convert_key
test_detached
test_version_and_help
rm -rf "$DIR"
