#!/bin/bash
# detached_header.sh: luksvol's own syntax with --header F DEVICE (issue 19):
# a header luksvol makes is cryptsetup's (opened by it, data at offset 0),
# and luksvol's keyslot, token, dump and label verbs work on a detached
# header cryptsetup made, writing only the header file.
set -u
source "$(dirname "$0")/../lib.sh"
DIR=$LV_WORK/detached
rm -rf "$DIR"
mkdir -p "$DIR"
FAST=(--pbkdf pbkdf2 --pbkdf-force-iterations 1000)
DATA=$DIR/data.img
HDR=$DIR/hdr.img
printf 'detached-0' >"$DIR/k0"
printf 'detached-1' >"$DIR/k1"

test_luksvol_makes() {
	truncate -s 8M "$DATA"
	t_expect detached/format 0 "$LUKSVOL" format -q "${FAST[@]}" --key-file "$DIR/k0" \
		--header "$HDR" "$DATA"
	t_same detached/format-mode-and-size "$(stat -c '%a %s' "$HDR")" "600 16777216"
	t_same detached/format-leaves-data-alone "$(tr -d '\0' <"$DATA" | head -c 1 | wc -c)" 0
	t_expect detached/cryptsetup-opens 0 cryptsetup open --test-passphrase --header "$HDR" \
		--key-file "$DIR/k0" "$DATA"
	t_same detached/data-offset-0 \
		"$(cryptsetup luksDump --dump-json-metadata --header "$HDR" "$DATA" | tr -d ' \n' |
			grep -o '"segments":{"0":{"type":"crypt","offset":"[0-9]*"')" \
		'"segments":{"0":{"type":"crypt","offset":"0"'
	t_expect detached/data-alone-is-not-luks 1 "$LUKSVOL" is-luks "$DATA"
	t_expect detached/is-luks 0 "$LUKSVOL" is-luks --header "$HDR" "$DATA"
	rm -f "$HDR"
	t_expect detached/empty-passphrase-refused 1 "$LUKSVOL" format -q "${FAST[@]}" \
		--key-file /dev/null --header "$HDR" "$DATA"
	if [ -e "$HDR" ]; then t_fail detached/refused-format-leaves-no-file "$HDR exists"; else
		t_pass detached/refused-format-leaves-no-file; fi
	t_expect detached/missing-data-device 4 "$LUKSVOL" format -q "${FAST[@]}" \
		--key-file "$DIR/k0" --header "$HDR" "$DIR/missing.img"
	ln -s "$DIR/victim" "$DIR/link.hdr"
	"$LUKSVOL" format -q "${FAST[@]}" --key-file "$DIR/k0" --header "$DIR/link.hdr" "$DATA" \
		>/dev/null 2>&1
	if [ -e "$DIR/victim" ]; then t_fail detached/no-file-through-symlink "victim created"; else
		t_pass detached/no-file-through-symlink; fi
}

test_cryptsetup_makes() {
	rm -f "$HDR"
	truncate -s 8M "$DATA"
	cryptsetup luksFormat -q --type luks2 "${FAST[@]}" --key-file "$DIR/k0" --header "$HDR" "$DATA"
	cp "$DATA" "$DIR/data.before"
	t_expect detached/open-test 0 "$LUKSVOL" open --test-passphrase --key-file "$DIR/k0" \
		--header "$HDR" "$DATA"
	t_expect detached/add-key 0 "$LUKSVOL" add-key "${FAST[@]}" --key-file "$DIR/k0" \
		--new-key-file "$DIR/k1" --key-slot 3 --header "$HDR" "$DATA"
	t_expect detached/cryptsetup-opens-added 0 cryptsetup open --test-passphrase --key-slot 3 \
		--key-file "$DIR/k1" --header "$HDR" "$DATA"
	t_expect detached/config-label 0 "$LUKSVOL" config --label detached --header "$HDR" "$DATA"
	t_same detached/label "$(cryptsetup luksDump --header "$HDR" "$DATA" | awk '/^Label:/{print $2}')" detached
	printf '%s' '{"type":"user-kind","keyslots":[]}' >"$DIR/token.json"
	t_expect detached/token-import 0 "$LUKSVOL" token import --token-id 2 --json-file "$DIR/token.json" \
		--header "$HDR" "$DATA"
	t_expect detached/dump 0 "$LUKSVOL" dump --header "$HDR" "$DATA"
	t_expect detached/kill-slot 0 "$LUKSVOL" kill-slot -q --key-file "$DIR/k0" --header "$HDR" "$DATA" 3
	t_expect detached/killed 1 cryptsetup open --test-passphrase --key-slot 3 --key-file "$DIR/k1" \
		--header "$HDR" "$DATA"
	if cmp -s "$DATA" "$DIR/data.before"; then t_pass detached/data-device-untouched; else
		t_fail detached/data-device-untouched "the header verbs wrote to the data device"; fi
	t_expect detached/not-with-close 1 "$LUKSVOL" close --header "$HDR" name
}

test_luksvol_makes
test_cryptsetup_makes
rm -rf "$DIR"
