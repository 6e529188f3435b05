#!/bin/bash
# meta.sh: the META partition through the command line, on image files.
#   - `luksvol meta set|get|delete|dump`: every named tag and binary values
#     round trip, checked by the independent reader tests/meta/adv_ref.py
#     (and luksvol reads its images); sensitive tags printed only with
#     --show-secrets; values never from argv; bad values, value files and
#     devices refused with the image byte-identical; a corrupt META left
#     alone unless --force-meta.
#   - `luksvol apply --meta`: STATE's config written to tag 9 in Talos's Go
#     JSON (the bytes compared), only when it changed; a second apply
#     without a STATE document opens STATE from tag 9 (modern and legacy
#     shapes); tag 15 replaces the node UUID and --node-uuid wins; a
#     corrupt META is reported, keeps every byte and no nodeID keyslot is
#     touched while it cannot be read, and --force-meta writes over it;
#     the cleartext warning; --dry-run and --no-sync write nothing.
#   - `luksvol talos open` refuses a corrupt META, a tag 9 that is not a
#     STATE config and a disk that is not a block device, writing nothing.
set -u
source "$(dirname "$0")/../lib.sh"
DIR=$LV_WORK/meta
rm -rf "$DIR"
mkdir -p "$DIR"
META=$DIR/meta.img
STATE_IMG=$DIR/state.img
REF=$LV_TOP/tests/meta/adv_ref.py
PY=/usr/bin/python3
UUID_A=4c4c4544-0042-3510-8052-b4c04f4b4d32
UUID_B=9a0f3e21-77c4-4d1b-8e55-2f6b0c9d4e13
FAST=(--pbkdf-memory 32 --pbkdf-force-iterations 4 --pbkdf-parallel 1)

# The bytes and the last write's time: a write of the same bytes counts.
digest() { echo "$(sha256sum "$1" | cut -d' ' -f1) $(stat -c %y "$1")"; }
lv() { "$LUKSVOL" "$@"; }
out_has() { grep -q -- "$2" "$LV_WORK/last.out" && t_pass "$1" || t_fail "$1" "$(head -c 600 "$LV_WORK/last.out")"; }
err_has() { grep -q -- "$2" "$LV_WORK/last.err" && t_pass "$1" || t_fail "$1" "$(head -c 600 "$LV_WORK/last.err")"; }
out_lacks() { grep -q -- "$2" "$LV_WORK/last.out" && t_fail "$1" "$(head -c 600 "$LV_WORK/last.out")" || t_pass "$1"; }

# ref_tag TAG: the hex of TAG as adv_ref.py reads the META image.
ref_tag() { "$PY" "$REF" read "$META" | awk -v t="$1" '$1 == "talos" && $2 == t {print $3}'; }
hex_of() { od -An -v -tx1 "$1" | tr -d ' \n'; }

# unchanged NAME CMD...: CMD (expected to fail, exit 1) leaves META as it was.
unchanged() {
	local name=$1 before
	shift
	before=$(digest "$META")
	t_expect "$name" 1 "$@"
	t_same "$name-unchanged" "$(digest "$META")" "$before"
}

test_round_trip() {
	local tag name
	truncate -s 1M "$META"
	# Every tag Talos names, by name, in different cases, with values of
	# every byte (a NUL, a newline, bytes above 0x7f).
	for name in Reserved1 reserved2 RESERVED3 Upgrade StagedUpgradeImageRef \
		StagedUpgradeInstallOptions StateEncryptionConfig MetalNetworkPlatformConfig \
		DownloadURLCode UserReserved1 UserReserved2 UserReserved3 UUIDOverride \
		UniqueMachineToken DiskImageBootloader; do
		printf '%s\0\n\377-%s' "$name" "$RANDOM" >"$DIR/v-$name"
		t_expect "meta/set-$name" 0 lv meta set --value-file "$DIR/v-$name" "$name" "$META"
	done
	# Numbers, decimal and hex, from standard input.
	printf 'by number' | lv meta set 200 "$META" && t_pass meta/set-stdin || t_fail meta/set-stdin "exit $?"
	t_expect meta/set-hex 0 lv meta set --value-file - 0xfe "$META" <"$DIR/v-Upgrade"
: >"$DIR/empty"
	t_expect meta/set-empty 0 lv meta set --value-file "$DIR/empty" 100 "$META"
	local bad=""
	for name in Reserved1 reserved2 RESERVED3 Upgrade StagedUpgradeImageRef \
		StagedUpgradeInstallOptions MetalNetworkPlatformConfig DownloadURLCode UserReserved1 \
		UserReserved2 UserReserved3 UUIDOverride DiskImageBootloader; do
		lv meta get "$name" "$META" >"$DIR/got" && cmp -s "$DIR/got" "$DIR/v-$name" || bad="$bad $name"
	done
	for name in StateEncryptionConfig UniqueMachineToken; do
		lv meta get --show-secrets "$name" "$META" >"$DIR/got" && cmp -s "$DIR/got" "$DIR/v-$name" ||
			bad="$bad $name"
	done
	t_same meta/get-every-tag "$bad" ""
	t_same meta/get-number "$(lv meta get 200 "$META")" "by number"
	t_same meta/get-hex "$(lv meta get 254 "$META" | od -An -tx1)" "$(od -An -tx1 <"$DIR/v-Upgrade")"
	t_same meta/get-empty "$(lv meta get 0x64 "$META" | wc -c)" 0
	# The independent reader sees the same values, in both copies.
	"$PY" "$REF" read "$META" >"$DIR/ref.txt"
	t_same meta/ref-copies "$(head -2 "$DIR/ref.txt" | tr '\n' ' ')" "copy1 valid copy2 valid "
	t_same meta/ref-uuid "$(ref_tag 15)" "$(hex_of "$DIR/v-UUIDOverride")"
	t_same meta/ref-tag9 "$(ref_tag 9)" "$(hex_of "$DIR/v-StateEncryptionConfig")"
	t_same meta/ref-tag200 "$(ref_tag 200)" "$(printf 'by number' | od -An -v -tx1 | tr -d ' \n')"
	t_same meta/ref-tag-count "$(grep -c '^talos ' "$DIR/ref.txt")" 18
	# Delete, by name and by number.
	t_expect meta/delete-name 0 lv meta delete userreserved2 "$META"
	t_expect meta/delete-number 0 lv meta delete 200 "$META"
	t_same meta/ref-deleted "$(ref_tag 13)$(ref_tag 200)" ""
	unchanged meta/delete-absent lv meta delete 200 "$META"
	err_has meta/delete-absent-message "no tag 200"
	t_expect meta/get-absent 1 lv meta get 13 "$META"
	err_has meta/get-absent-message "no tag 13"
}

# luksvol reads what the independent writer wrote, the legacy ADV's tags
# included (Talos falls back to it), and deletes a tag only it holds.
test_reads_reference() {
	local ref=$DIR/ref.img
	"$PY" "$REF" write "$ref" 1048576 15=$(printf '%s' "$UUID_A" | od -An -v -tx1 | tr -d ' \n') \
		legacy:12=6c6567616379
	t_same meta/reads-ref-uuid "$(lv meta get UUIDOverride "$ref")" "$UUID_A"
	t_same meta/reads-ref-legacy "$(lv meta get 12 "$ref")" legacy
	t_expect meta/dump-ref 0 lv meta dump "$ref"
	out_has meta/dump-ref-legacy "12 (0x0c) UserReserved1 \[legacy ADV\]: 6 bytes: \"legacy\""
	t_expect meta/delete-legacy 0 lv meta delete 12 "$ref"
	t_same meta/legacy-deleted "$("$PY" "$REF" read "$ref" | grep -c '^legacy 12 ')" 0
	"$PY" "$REF" write "$ref" 1048576 15=00 --break-copy1
	t_same meta/reads-ref-copy2 "$(lv meta get 15 "$ref" | od -An -tx1 | tr -d ' ')" 00
}

# Secrets: the values of tags 9 and 16 are printed only when asked for.
test_sensitive() {
	printf 'hunter2-state-passphrase' >"$DIR/secret"
	lv meta set --value-file "$DIR/secret" StateEncryptionConfig "$META"
	t_expect meta/get-sensitive-refused 1 lv meta get StateEncryptionConfig "$META"
	t_same meta/get-sensitive-prints-nothing "$(wc -c <"$LV_WORK/last.out")" 0
	err_has meta/get-sensitive-message "add --show-secrets"
	t_expect meta/dump 0 lv meta dump "$META"
	out_lacks meta/dump-hides-secret hunter2
	out_has meta/dump-says-sensitive "9 (0x09) StateEncryptionConfig: 24 bytes, sensitive"
	t_expect meta/dump-json 0 lv meta dump --json "$META"
	out_lacks meta/dump-json-hides-secret "hunter2\|68756e74657232"
	"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); t=[x for x in d["tags"] if x["tag"]==9][0]; assert t["sensitive"] and "text" not in t and "hex" not in t and t["size"]==24, t' \
		"$LV_WORK/last.out" && t_pass meta/dump-json-shape || t_fail meta/dump-json-shape "$(head -c 300 "$LV_WORK/last.out")"
	t_expect meta/dump-show-secrets 0 lv meta dump --show-secrets "$META"
	out_has meta/dump-shows-secret '"hunter2-state-passphrase"'
	t_expect meta/get-show-secrets 0 lv meta get --show-secrets 9 "$META"
	t_same meta/get-show-secrets-bytes "$(cat "$LV_WORK/last.out")" hunter2-state-passphrase
}

# Refusals: each leaves every byte of the META as it was.
test_refusals() {
	local fifo=$DIR/fifo small=$DIR/small.img
	unchanged meta/value-in-argv lv meta set 15 "$UUID_A" "$META"
	unchanged meta/tag-zero lv meta set --value-file "$DIR/secret" 0 "$META"
	unchanged meta/tag-256 lv meta set --value-file "$DIR/secret" 256 "$META"
	unchanged meta/tag-unknown-name lv meta set --value-file "$DIR/secret" NoSuchTag "$META"
	err_has meta/tag-unknown-message '"NoSuchTag" is not a tag'
	unchanged meta/value-file-missing lv meta set --value-file "$DIR/none" 15 "$META"
	mkfifo "$fifo"
	unchanged meta/value-file-fifo timeout 10 "$LUKSVOL" meta set --value-file "$fifo" 15 "$META"
	err_has meta/value-file-fifo-message "not a regular file"
	unchanged meta/value-file-dir lv meta set --value-file "$DIR" 15 "$META"
	unchanged meta/value-file-device lv meta set --value-file /dev/null 15 "$META"
	head -c 262097 /dev/zero >"$DIR/huge"
	unchanged meta/value-too-big lv meta set --value-file "$DIR/huge" 15 "$META"
	err_has meta/value-too-big-message "longer than the 262096 bytes"
	unchanged meta/value-stdin-terminal "$PY" "$LV_TOP/tests/interop/tty_run.py" - "$DIR/tty.txt" \
		"$LUKSVOL" meta set 15 "$META"
	grep -q "not a terminal" "$DIR/tty.txt" && t_pass meta/value-stdin-terminal-message ||
		t_fail meta/value-stdin-terminal-message "$(head -c 300 "$DIR/tty.txt")"
	t_expect meta/device-fifo 1 timeout 10 "$LUKSVOL" meta dump "$fifo"
	err_has meta/device-fifo-message "not a regular file or a block device"
	truncate -s 300K "$small"
	t_expect meta/device-too-small 1 lv meta dump "$small"
	err_has meta/device-too-small-message "holds two 262144-byte ADV copies"
	t_expect meta/device-missing 4 lv meta dump "$DIR/none.img"
}

# Both copies broken: read refused clearly, nothing written unless forced.
test_corrupt() {
	local bad=$DIR/bad.img before
	cp "$META" "$bad"
	printf 'XX' | dd of="$bad" bs=1 seek=200 conv=notrunc status=none
	printf 'XX' | dd of="$bad" bs=1 seek=$((262144 + 200)) conv=notrunc status=none
	t_expect meta/corrupt-dump 0 lv meta dump "$bad"
	out_has meta/corrupt-dump-state "State:      corrupt"
	t_expect meta/corrupt-get 1 lv meta get 15 "$bad"
	err_has meta/corrupt-get-message "neither ADV copy is valid (copy 1: bad checksum, copy 2: bad checksum)"
	before=$(digest "$bad")
	t_expect meta/corrupt-set-refused 1 lv meta set --value-file "$DIR/secret" 15 "$bad"
	err_has meta/corrupt-set-message "refusing to write: META .*neither ADV copy is valid"
	t_same meta/corrupt-set-unchanged "$(digest "$bad")" "$before"
	t_expect meta/corrupt-delete-refused 1 lv meta delete 15 "$bad"
	t_same meta/corrupt-delete-unchanged "$(digest "$bad")" "$before"
	t_expect meta/corrupt-set-forced 0 lv meta set --force-meta --value-file "$DIR/secret" 15 "$bad"
	"$PY" "$REF" read "$bad" >"$DIR/ref.txt"
	t_same meta/corrupt-forced-only-new-tag "$(grep '^talos ' "$DIR/ref.txt" | tr '\n' ' ')" \
		"talos 15 $(hex_of "$DIR/secret") "
}

# ---- apply ----

state_config() {
	local file=$DIR/$1.yaml
	shift
	{
		printf 'apiVersion: v1alpha1\nkind: VolumeConfig\nname: STATE\n'
		printf 'encryption:\n  provider: luks2\n  keys:\n'
		printf '%s\n' "$@"
	} >"$file"
	echo "$file"
}

STATIC0='    - slot: 0
      static:
        passphrase: state secret'
NODEID1='    - slot: 1
      nodeID: {}'
NODEID0='    - slot: 0
      nodeID: {}'
# Talos's Go JSON for STATIC0 + NODEID1, as encoding/json writes it.
TAG9_JSON='{"EncryptionProvider":"luks2","EncryptionKeys":[{"KeySlot":0,"KeyStatic":{"KeyData":"state secret"},"KeyNodeID":null,"KeyKMS":null,"KeyTPM":null,"KeyLockToSTATE":null},{"KeySlot":1,"KeyStatic":null,"KeyNodeID":{},"KeyKMS":null,"KeyTPM":null,"KeyLockToSTATE":null}],"EncryptionCipher":"","EncryptionKeySize":0,"EncryptionBlockSize":0,"EncryptionPerfOptions":null,"EncryptionAllowDiscards":null}'

# A config with no STATE document: a user volume only.
OTHER=$DIR/other.yaml
printf 'apiVersion: v1alpha1\nkind: HostnameConfig\nauto: stable\n' >"$OTHER"

apply_meta() {
	"$LUKSVOL" apply --device "STATE=$STATE_IMG" --meta "$META" --no-activate "${FAST[@]}" "$@"
}
cs_opens() {
	printf '%s' "$3" >"$DIR/k"
	t_expect "$1" 0 cryptsetup open --test-passphrase --key-slot "$2" --key-file "$DIR/k" "$STATE_IMG"
}

test_apply_writes_tag9() {
	local cfg before
	rm -f "$META" "$STATE_IMG"
	truncate -s 1M "$META"
	truncate -s 24M "$STATE_IMG"
	cfg=$(state_config two "$STATIC0" "$NODEID1")
	t_expect meta/apply-format 0 apply_meta -f "$cfg" --node-uuid "$UUID_A"
	out_has meta/apply-wrote-tag9 "META: wrote tag 9 (StateEncryptionConfig)"
	out_has meta/apply-cleartext-warning \
		"META: warning: tag 9 holds STATE's static passphrase of keyslot 0 in cleartext"
	lv meta get --show-secrets 9 "$META" >"$DIR/tag9"
	t_same meta/tag9-go-json "$(cat "$DIR/tag9")" "$TAG9_JSON"
	t_same meta/tag9-ref "$(ref_tag 9)" "$(hex_of "$DIR/tag9")"
	cs_opens meta/apply-static 0 "state secret"
	cs_opens meta/apply-nodeid 1 "${UUID_A}STATE"
	before=$(digest "$META")
	t_expect meta/apply-again 0 apply_meta -f "$cfg" --node-uuid "$UUID_A"
	out_has meta/apply-again-in-sync "META: in sync: tag 9 (StateEncryptionConfig) holds STATE's config"
	t_same meta/apply-again-writes-nothing "$(digest "$META")" "$before"
	# A changed config is written, and only then.
	cfg=$(state_config nodeid-only "$NODEID1")
	t_expect meta/apply-dry-run 0 apply_meta --dry-run -f "$cfg" --node-uuid "$UUID_A"
	out_has meta/apply-dry-run-plan "META: would write tag 9"
	t_same meta/apply-dry-run-writes-nothing "$(digest "$META")" "$before"
	t_expect meta/apply-no-sync 0 apply_meta --no-sync -f "$cfg" --node-uuid "$UUID_A"
	out_has meta/apply-no-sync-plan "not written, --no-sync writes nothing"
	t_same meta/apply-no-sync-writes-nothing "$(digest "$META")" "$before"
	cfg=$(state_config two-again "$STATIC0" "$NODEID1" '    - slot: 2
      nodeID: {}')
	t_expect meta/apply-changed 0 apply_meta -f "$cfg" --node-uuid "$UUID_A"
	out_has meta/apply-changed-wrote "META: wrote tag 9"
	lv meta get --show-secrets 9 "$META" >"$DIR/tag9"
	grep -q '{"KeySlot":2,"KeyStatic":null,"KeyNodeID":{}' "$DIR/tag9" && t_pass meta/apply-changed-tag9 ||
		t_fail meta/apply-changed-tag9 "$(cat "$DIR/tag9")"
	# No static key: no warning.
	t_expect meta/apply-nodeid-config 0 apply_meta -f "$(state_config n "$NODEID1" '    - slot: 2
      nodeID: {}')" --node-uuid "$UUID_A"
	out_lacks meta/apply-no-warning-without-static "cleartext"
	t_expect meta/apply-restore 0 apply_meta -f "$(state_config two "$STATIC0" "$NODEID1")" \
		--node-uuid "$UUID_A"
}

# No STATE document: STATE's config comes from tag 9.
test_apply_from_tag9() {
	local before
	before=$(digest "$STATE_IMG")
	t_expect meta/from-tag9 0 apply_meta -f "$OTHER" --node-uuid "$UUID_A"
	out_has meta/from-tag9-read "META: read tag 9 (StateEncryptionConfig): STATE's encryption config (modern shape)"
	out_has meta/from-tag9-opened "STATE: opened with keyslot 0 (static)"
	out_has meta/from-tag9-in-sync "STATE: in sync: keyslot 1 (nodeID)"
	out_has meta/from-tag9-warning "warning: tag 9 holds STATE's static passphrase"
	t_same meta/from-tag9-header-unchanged "$(digest "$STATE_IMG")" "$before"
	# Talos's legacy shape (v1alpha1.EncryptionConfig, provider "").
	cp "$META" "$DIR/meta-modern.img"
	printf '%s' '{"EncryptionProvider":"","EncryptionKeys":[{"KeyStatic":null,"KeyNodeID":{},"KeyKMS":null,"KeySlot":1,"KeyTPM":null}],"EncryptionCipher":"","EncryptionKeySize":0,"EncryptionBlockSize":0,"EncryptionPerfOptions":null}' |
		lv meta set 9 "$META"
	t_expect meta/from-tag9-legacy 0 apply_meta --no-sync -f "$OTHER" --node-uuid "$UUID_A"
	out_has meta/from-tag9-legacy-read "STATE's encryption config (legacy shape)"
	out_has meta/from-tag9-legacy-opened "STATE: opened with keyslot 1 (nodeID)"
	# Not JSON: STATE fails, clearly, and nothing is written.
	printf 'not json' | lv meta set 9 "$META"
	before=$(digest "$STATE_IMG")
	t_expect meta/from-tag9-garbage 1 apply_meta -f "$OTHER" --node-uuid "$UUID_A"
	err_has meta/from-tag9-garbage-message "STATE: no STATE document in the config, and META's tag 9 is not a STATE config: META .* tag 9: not JSON"
	t_same meta/from-tag9-garbage-unchanged "$(digest "$STATE_IMG")" "$before"
	# No tag 9: Talos's unencrypted STATE; --device STATE= names no volume.
	lv meta delete 9 "$META"
	t_expect meta/no-tag9 1 apply_meta -f "$OTHER" --node-uuid "$UUID_A"
	err_has meta/no-tag9-message "no volume STATE in .* nor in META's tag 9"
	cp "$DIR/meta-modern.img" "$META"
}

# Tag 15 replaces the node UUID; --node-uuid still wins.  STATE's only key
# is its nodeID key at slot 1 here: it opens only with UUID_A.
test_uuid_override() {
	local cfg before
	cfg=$(state_config nodeid-only "$NODEID1")
	printf '%s' "$UUID_A" | lv meta set UUIDOverride "$META"
	t_expect meta/uuid-from-tag15 0 apply_meta --no-sync -f "$cfg"
	out_has meta/uuid-from-tag15-read "META: read tag 15 (UUIDOverride): the node UUID"
	out_has meta/uuid-from-tag15-opened "STATE: opened with keyslot 1 (nodeID)"
	out_lacks meta/uuid-not-printed "$UUID_A"
	printf '%s' "$UUID_B" | lv meta set UUIDOverride "$META"
	t_expect meta/uuid-tag15-wrong 2 apply_meta --no-sync -f "$cfg"
	t_expect meta/uuid-flag-wins 0 apply_meta --no-sync -f "$cfg" --node-uuid "$UUID_A"
	out_has meta/uuid-flag-wins-opened "STATE: opened with keyslot 1 (nodeID)"
	# An empty tag 15 is no override (Talos's rule): the flag's UUID then.
	lv meta set --value-file "$DIR/empty" 15 "$META"
	t_expect meta/uuid-tag15-empty 0 apply_meta --no-sync -f "$cfg" --node-uuid "$UUID_A"
	out_lacks meta/uuid-tag15-empty-not-read "tag 15"
	lv meta delete 15 "$META"
}

# A META whose copies are both bad: reported; the machine config's STATE
# still opens; nothing is written to META, and the nodeID keyslot (whose
# UUID META's unreadable tag 15 might override) is left alone.
test_apply_corrupt() {
	local cfg before_meta before_state
	cfg=$(state_config two "$STATIC0" "$NODEID1")
	cp "$META" "$DIR/meta-good.img"
	printf 'XX' | dd of="$META" bs=1 seek=100 conv=notrunc status=none
	printf 'XX' | dd of="$META" bs=1 seek=$((262144 + 100)) conv=notrunc status=none
	before_meta=$(digest "$META")
	before_state=$(digest "$STATE_IMG")
	t_expect meta/corrupt-apply 0 apply_meta -f "$cfg"
	out_has meta/corrupt-apply-reported "META: cannot read META .*: neither ADV copy is valid (copy 1: bad checksum, copy 2: bad checksum)"
	out_has meta/corrupt-apply-not-written "META: did not write tag 9: META .*left as it is (--force-meta writes over it)"
	out_has meta/corrupt-apply-state-opened "STATE: opened with keyslot 0 (static)"
	out_has meta/corrupt-apply-nodeid-left "STATE: cannot check keyslot 1 (nodeID): left as it is: no node UUID: META"
	t_same meta/corrupt-apply-meta-unchanged "$(digest "$META")" "$before_meta"
	t_same meta/corrupt-apply-state-unchanged "$(digest "$STATE_IMG")" "$before_state"
	# No STATE document: STATE fails (exit 1), nothing written.
	t_expect meta/corrupt-no-state-doc 1 apply_meta -f "$OTHER" --node-uuid "$UUID_A"
	err_has meta/corrupt-no-state-doc-message "STATE: no STATE document in the config, and STATE's config in META cannot be read: META .*neither ADV copy is valid"
	t_same meta/corrupt-no-state-doc-meta-unchanged "$(digest "$META")" "$before_meta"
	t_same meta/corrupt-no-state-doc-state-unchanged "$(digest "$STATE_IMG")" "$before_state"
	# --force-meta: tag 9 written over it, as Talos would.
	t_expect meta/corrupt-forced 0 apply_meta --force-meta -f "$cfg" --node-uuid "$UUID_A"
	out_has meta/corrupt-forced-wrote "META: wrote tag 9 (StateEncryptionConfig): STATE's encryption config, over a META neither of whose copies was valid (--force-meta)"
	t_same meta/corrupt-forced-tag9 "$(lv meta get --show-secrets 9 "$META")" "$TAG9_JSON"
	t_same meta/corrupt-forced-ref "$("$PY" "$REF" read "$META" | head -2 | tr '\n' ' ')" "copy1 valid copy2 valid "
	cs_opens meta/corrupt-forced-nodeid-kept 1 "${UUID_A}STATE"
}

# talos open refuses a META it cannot use before it maps, mounts or
# records anything (the rest of talos open needs dm: tests/vm/t_talos.sh).
test_talos_open_refusals() {
	local before_meta before_state
	cp "$META" "$DIR/meta-corrupt.img"
	printf 'XX' | dd of="$DIR/meta-corrupt.img" bs=1 seek=100 conv=notrunc status=none
	printf 'XX' | dd of="$DIR/meta-corrupt.img" bs=1 seek=$((262144 + 100)) conv=notrunc status=none
	before_meta=$(digest "$DIR/meta-corrupt.img")
	before_state=$(digest "$STATE_IMG")
	t_expect meta/talos-open-corrupt 1 lv talos open --meta "$DIR/meta-corrupt.img" \
		--device "STATE=$STATE_IMG"
	err_has meta/talos-open-corrupt-message "META .*meta-corrupt.img: neither ADV copy is valid"
	t_same meta/talos-open-corrupt-unchanged "$(digest "$DIR/meta-corrupt.img")" "$before_meta"
	rm -f "$DIR/meta-garbage.img"
	truncate -s 1M "$DIR/meta-garbage.img"
	printf 'garbage' | lv meta set 9 "$DIR/meta-garbage.img"
	before_meta=$(digest "$DIR/meta-garbage.img")
	t_expect meta/talos-open-tag9-garbage 1 lv talos open --meta "$DIR/meta-garbage.img" \
		--device "STATE=$STATE_IMG"
	err_has meta/talos-open-tag9-garbage-message "^luksvol: META's tag 9 is not a STATE config: META .*tag 9: not JSON"
	t_same meta/talos-open-tag9-garbage-unchanged "$(digest "$DIR/meta-garbage.img")" "$before_meta"
	t_same meta/talos-open-state-unchanged "$(digest "$STATE_IMG")" "$before_state"
	t_expect meta/talos-open-not-a-disk 4 lv talos open --disk "$STATE_IMG"
	err_has meta/talos-open-not-a-disk-message "not a block device (attach an image with losetup -P first)"
}

test_round_trip
test_reads_reference
test_sensitive
test_refusals
test_corrupt
test_apply_writes_tag9
test_apply_from_tag9
test_uuid_override
test_apply_corrupt
test_talos_open_refusals
