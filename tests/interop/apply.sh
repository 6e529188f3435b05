#!/bin/bash
# apply.sh: `luksvol apply` on image files (--no-activate), checked with
# cryptsetup: an empty image is formatted; every configured keyslot opens
# with exactly the bytes Talos would derive (talos-encryption.md §2);
# a second apply changes nothing; rotation leaves exactly the configured
# keyslots; ext4, LUKS1, an LVM PV and a bad nodeID are refused with the
# image byte-identical; --dry-run writes nothing; wipe empties a volume.
set -u
source "$(dirname "$0")/../lib.sh"
DIR=$LV_WORK/apply
rm -rf "$DIR"
mkdir -p "$DIR/state"
UUID=4c4c4544-0042-3510-8052-b4c04f4b4d32
BAD_UUID=11111111-0000-1111-1111-111111111111
FAST=(--pbkdf-memory 32 --pbkdf-force-iterations 4 --pbkdf-parallel 1)
IMG=$DIR/data.img

new_image() { rm -f "$1"; truncate -s "${2:-24M}" "$1"; }
digest() { sha256sum "$1" | cut -d' ' -f1; }

# config NAME KEYS...: $DIR/NAME.yaml, a data_volume_config (tests/lib.sh).
config() { data_volume_config "$DIR/$1.yaml" "${@:2}"; }

apply() {
	"$LUKSVOL" apply --device "u-data=$IMG" --node-uuid "$UUID" --state-dir "$DIR/state" \
		--no-activate "${FAST[@]}" "$@"
}

# keyfile NAME BYTES...: printf's %b of each argument, concatenated.
keyfile() {
	local file=$DIR/$1.key
	shift
	: >"$file"
	for part in "$@"; do printf '%s' "$part" >>"$file"; done
	echo "$file"
}

# The salt bytes of encryption-salt.yaml, as a file.
salt_file() {
	/usr/bin/python3 - "$DIR/state/encryption-salt.yaml" "$DIR/salt.bin" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
values = [int(v) for v in re.findall(r"^    - (\d+)$", text, re.M)]
assert text.startswith("diskSalt:\n") and len(values) == 32, text
open(sys.argv[2], "wb").write(bytes(values))
PY
	echo "$DIR/salt.bin"
}

# opens NAME SLOT KEYFILE: cryptsetup opens IMG's SLOT with exactly KEYFILE.
opens() {
	t_expect "$1" 0 cryptsetup open --test-passphrase --key-slot "$2" --key-file "$3" "$IMG"
}
rejects() {
	t_expect "$1" 2 cryptsetup open --test-passphrase --key-slot "$2" --key-file "$3" "$IMG"
}

# slots NAME WANT: the keyslot ids cryptsetup's JSON lists, space-separated.
slots() {
	local got
	got=$(cryptsetup luksDump --dump-json-metadata "$IMG" 2>/dev/null |
		/usr/bin/python3 -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin)["keyslots"], key=int)))')
	t_same "$1" "$got" "$2"
}

STATIC0='    - slot: 0
      static:
        passphrase: alpha one'
NODEID1='    - slot: 1
      nodeID: {}'
LOCKED2='    - slot: 2
      static:
        passphrase: beta two
      lockToState: true'

test_format() {
	local cfg
	cfg=$(config three "$STATIC0" "$NODEID1" "$LOCKED2")
	new_image "$IMG"
	t_expect apply/format 0 apply -f "$cfg"
	grep -q "u-data: formatted with keyslot 0 (static)" "$LV_WORK/last.out" &&
		t_pass apply/format-report || t_fail apply/format-report "$(cat "$LV_WORK/last.out")"
	[ "$(stat -c %a "$DIR/state/encryption-salt.yaml" 2>/dev/null)" = 600 ] &&
		t_pass apply/salt-created-0600 || t_fail apply/salt-created-0600 "no salt file, mode 0600"
	slots apply/format-slots "0 1 2"
	opens apply/static-bytes 0 "$(keyfile s0 'alpha one')"
	opens apply/nodeid-bytes 1 "$(keyfile n1 "${UUID}u-data")"
	cat "$(keyfile s2 'beta two')" "$(salt_file)" >"$DIR/s2salted.key"
	opens apply/lockToState-bytes 2 "$DIR/s2salted.key"
	rejects apply/lockToState-needs-salt 2 "$DIR/s2.key"
	rejects apply/slot-bound-to-its-key 1 "$DIR/s0.key"
	local kdfs
	kdfs=$(cryptsetup luksDump "$IMG" | awk '/PBKDF:/{print $2}' | sort -u | tr '\n' ' ')
	t_same apply/argon2id-keyslots "$kdfs" "argon2id "
	before=$(digest "$IMG")
	t_expect apply/reapply 0 apply -f "$cfg"
	t_same apply/reapply-writes-nothing "$(digest "$IMG")" "$before"
	grep -q "u-data: opened with keyslot 0 (static)" "$LV_WORK/last.out" &&
		grep -q "in sync: keyslot 2 (static, lockToState)" "$LV_WORK/last.out" &&
		t_pass apply/reapply-report || t_fail apply/reapply-report "$(cat "$LV_WORK/last.out")"
}

test_json_report() {
	local cfg
	cfg=$(config three "$STATIC0" "$NODEID1" "$LOCKED2")
	t_expect apply/json 0 apply --json -f "$cfg"
	/usr/bin/python3 - "$LV_WORK/last.out" <<'PY' && t_pass apply/json-shape || t_fail apply/json-shape "$(head -c 300 "$LV_WORK/last.out")"
import json, sys
doc = json.load(open(sys.argv[1]))
vol = doc["volumes"][0]
assert vol["volume"] == "u-data" and vol["outcome"] == "opened" and vol["slot"] == 0, vol
keep = [a for a in vol["actions"] if a["action"] == "keep"]
assert sorted(a["slot"] for a in keep) == [1, 2], vol
PY
}

test_rotation() {
	local cfg gamma
	gamma='    - slot: 3
      static:
        passphrase: gamma three'
	# Step 1 of the documented rotation: add the new key, apply.
	cfg=$(config rot1 "$STATIC0" "$NODEID1" "$LOCKED2" "$gamma")
	t_expect apply/rotate-add 0 apply -f "$cfg"
	slots apply/rotate-add-slots "0 1 2 3"
	opens apply/rotate-new-key 3 "$(keyfile g3 'gamma three')"
	# Step 2: remove the old key, apply.
	cfg=$(config rot2 "$NODEID1" "$LOCKED2" "$gamma")
	t_expect apply/rotate-remove 0 apply -f "$cfg"
	slots apply/rotate-remove-slots "1 2 3"
	grep -q "removed keyslot 0" "$LV_WORK/last.out" && t_pass apply/rotate-remove-report ||
		t_fail apply/rotate-remove-report "$(cat "$LV_WORK/last.out")"
	# A static passphrase changed in place: slot 3 is replaced.
	cfg=$(config rot3 "$NODEID1" "$LOCKED2" '    - slot: 3
      static:
        passphrase: delta four')
	t_expect apply/change-in-place 0 apply -f "$cfg"
	grep -q "replaced keyslot 3 (static)" "$LV_WORK/last.out" && t_pass apply/change-report ||
		t_fail apply/change-report "$(cat "$LV_WORK/last.out")"
	slots apply/change-in-place-slots "1 2 3"
	opens apply/changed-key-opens 3 "$(keyfile d3 'delta four')"
	rejects apply/old-key-gone 3 "$DIR/g3.key"
	# A keyslot added out of band is removed, as Talos does (§4 step 3).
	cryptsetup luksAddKey -q --pbkdf argon2id --pbkdf-memory 32 --pbkdf-force-iterations 4 \
		--key-slot 7 --key-file "$DIR/d3.key" "$IMG" "$(keyfile oob 'out of band')"
	t_expect apply/oob-removed 0 apply -f "$cfg"
	slots apply/oob-removed-slots "1 2 3"
}

test_no_key_opens() {
	local cfg before
	cfg=$(config wrong '    - slot: 1
      static:
        passphrase: not the key')
	before=$(digest "$IMG")
	t_expect apply/no-key-opens 2 apply -f "$cfg"
	grep -q "no configured key opens the volume" "$LV_WORK/last.err" &&
		t_pass apply/no-key-opens-message || t_fail apply/no-key-opens-message "$(cat "$LV_WORK/last.err")"
	t_same apply/no-key-opens-unchanged "$(digest "$IMG")" "$before"
}

# apply_refused NAME WANT_RC MESSAGE ARGS...: apply ARGS exits WANT_RC,
# says MESSAGE (a grep pattern) on stderr and leaves IMG byte-identical.
apply_refused() {
	local name=$1 want=$2 message=$3 before
	shift 3
	before=$(digest "$IMG")
	t_expect "$name" "$want" apply "$@"
	grep -q -- "$message" "$LV_WORK/last.err" && t_pass "$name-message" ||
		t_fail "$name-message" "$(cat "$LV_WORK/last.err")"
	t_same "$name-unchanged" "$(digest "$IMG")" "$before"
}

# refused NAME: apply must refuse IMG (exit 4) and leave it byte-identical.
refused() {
	local cfg before
	cfg=$(config refuse "$STATIC0")
	before=$(digest "$IMG")
	t_expect "apply/refuse-$1" 4 apply -f "$cfg"
	t_same "apply/refuse-$1-unchanged" "$(digest "$IMG")" "$before"
	grep -q "refusing to format" "$LV_WORK/last.err" && t_pass "apply/refuse-$1-message" ||
		t_fail "apply/refuse-$1-message" "$(cat "$LV_WORK/last.err")"
}

# An LVM2 PV label (LVM's on-disk label, CRC included), as pvcreate writes
# it; libblkid must see LVM2_member before the refusal means anything.
write_lvm_label() {
	/usr/bin/python3 - "$1" <<'PY'
import struct, sys, zlib
def lvm_crc(data):
    return (~zlib.crc32(data, ~0xf597a6cf & 0xffffffff)) & 0xffffffff
sector = bytearray(512)
pv = b"Qx0lNfxyIh3fgh1Y7n5rGQKQpBb2u1vy" + struct.pack("<Q", 24 << 20)
pv += struct.pack("<QQ", 1 << 20, 0) + struct.pack("<QQ", 0, 0)
pv += struct.pack("<QQ", 4096, (1 << 20) - 4096) + struct.pack("<QQ", 0, 0)
sector[32:32 + len(pv)] = pv
sector[0:8] = b"LABELONE"
sector[8:16] = struct.pack("<Q", 1)
sector[20:24] = struct.pack("<I", 32)
sector[24:32] = b"LVM2 001"
sector[16:20] = struct.pack("<I", lvm_crc(bytes(sector[20:])))
with open(sys.argv[1], "r+b") as f:
    f.seek(512)
    f.write(sector)
PY
}

test_refusals() {
	new_image "$IMG"
	mkfs.ext4 -q -F "$IMG" >/dev/null 2>&1
	refused ext4
	new_image "$IMG"
	cryptsetup luksFormat -q --type luks1 --pbkdf-force-iterations 1000 --key-file "$DIR/s0.key" "$IMG"
	refused luks1
	new_image "$IMG"
	write_lvm_label "$IMG"
	if [ "$(blkid -p -o value -s TYPE "$IMG")" = LVM2_member ]; then
		t_pass apply/lvm-label-is-lvm
	else
		t_fail apply/lvm-label-is-lvm "blkid does not see the crafted PV"
	fi
	refused lvm-pv
	new_image "$IMG"
	printf 'label: gpt\nsize=4M, name=x\n' | sfdisk -q "$IMG" >/dev/null 2>&1
	refused gpt
}

test_bad_nodeid() {
	local cfg before
	cfg=$(config nodeid "$NODEID1")
	new_image "$IMG"
	before=$(digest "$IMG")
	t_expect apply/bad-nodeid 1 "$LUKSVOL" apply --device "u-data=$IMG" --node-uuid "$BAD_UUID" \
		--no-activate "${FAST[@]}" -f "$cfg"
	t_same apply/bad-nodeid-unchanged "$(digest "$IMG")" "$before"
	grep -q "machine UUID $BAD_UUID entropy check failed" "$LV_WORK/last.out" &&
		t_pass apply/bad-nodeid-message || t_fail apply/bad-nodeid-message "$(cat "$LV_WORK/last.out" "$LV_WORK/last.err")"
}

test_dry_run() {
	local cfg before
	cfg=$(config three "$STATIC0" "$NODEID1" "$LOCKED2")
	new_image "$IMG"
	rm -f "$DIR/state/encryption-salt.yaml"
	before=$(digest "$IMG")
	t_expect apply/dry-run-empty 0 apply --dry-run -f "$cfg"
	t_same apply/dry-run-writes-nothing "$(digest "$IMG")" "$before"
	[ ! -e "$DIR/state/encryption-salt.yaml" ] && t_pass apply/dry-run-no-salt ||
		t_fail apply/dry-run-no-salt "the salt was created"
	grep -q "would format with keyslot 0" "$LV_WORK/last.out" &&
		grep -q "would add keyslot 2 (static, lockToState)" "$LV_WORK/last.out" &&
		t_pass apply/dry-run-plan || t_fail apply/dry-run-plan "$(cat "$LV_WORK/last.out")"
	t_expect apply/format-again 0 apply -f "$cfg"
	cryptsetup luksAddKey -q --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-slot 5 \
		--key-file "$DIR/s0.key" "$IMG" "$DIR/oob.key"
	before=$(digest "$IMG")
	# pbkdf2 is outside Talos's header rules: the open itself is refused.
	t_expect apply/talos-rules-pbkdf2 1 apply --dry-run -f "$cfg"
	grep -q "keyslot 5: kdf pbkdf2" "$LV_WORK/last.out" && t_pass apply/talos-rules-message ||
		t_fail apply/talos-rules-message "$(cat "$LV_WORK/last.out")"
	t_same apply/talos-rules-unchanged "$(digest "$IMG")" "$before"
}

test_wipe() {
	local cfg
	cfg=$(config three "$STATIC0" "$NODEID1" "$LOCKED2")
	new_image "$IMG"
	t_expect apply/wipe-setup 0 apply -f "$cfg"
	t_expect apply/wipe 0 "$LUKSVOL" wipe --yes "$IMG"
	if cmp -s -n $((16 << 20)) "$IMG" /dev/zero && [ -z "$(blkid -p -o value -s TYPE "$IMG")" ]; then
		t_pass apply/wipe-zeroed
	else
		t_fail apply/wipe-zeroed "the header area is not zero, or blkid still finds a signature"
	fi
	t_expect apply/wipe-then-format 0 apply -f "$cfg"
	grep -q "formatted with keyslot 0" "$LV_WORK/last.out" && t_pass apply/wipe-reformatted ||
		t_fail apply/wipe-reformatted "$(cat "$LV_WORK/last.out")"
}

# Talos's Adiantum ciphers need the kernel's skciphers: where this host
# has them the volume is formatted and cryptsetup opens it; elsewhere the
# refusal is clear and nothing is written.
test_adiantum() {
	local cfg file=$DIR/adiantum.yaml before rc
	cfg=$(config adiantum-base "$STATIC0")
	sed 's/^  provider: luks2$/  provider: luks2\n  cipher: xchacha12,aes-adiantum-plain64/' "$cfg" >"$file"
	new_image "$IMG"
	before=$(digest "$IMG")
	apply -f "$file" >"$LV_WORK/last.out" 2>"$LV_WORK/last.err"
	rc=$?
	case $rc in
	0) opens apply/adiantum-opens 0 "$DIR/s0.key" ;;
	1) grep -q "xchacha12,aes-adiantum-plain64 .*unsupported" "$LV_WORK/last.err" &&
		[ "$(digest "$IMG")" = "$before" ] && t_pass apply/adiantum-unsupported-clean ||
		t_fail apply/adiantum-unsupported-clean "$(cat "$LV_WORK/last.err")" ;;
	*) t_fail apply/adiantum "exit $rc: $(cat "$LV_WORK/last.err")" ;;
	esac
}

GAMMA3='    - slot: 3
      static:
        passphrase: gamma three'
DELTA3='    - slot: 3
      static:
        passphrase: delta four'

# stale_image NAME: IMG opened by keyslot 0 (alpha one); keyslot 3 holds
# "gamma three" where the config "delta" says "delta four" (a sync
# replaces it), and keyslot 7 was added out of band (a sync removes it).
stale_image() {
	new_image "$IMG"
	apply -f "$(config gamma "$STATIC0" "$GAMMA3")" >/dev/null 2>&1
	cryptsetup luksAddKey -q --pbkdf argon2id --pbkdf-memory 32 --pbkdf-force-iterations 4 \
		--key-slot 7 --key-file "$(keyfile s0 'alpha one')" "$IMG" "$(keyfile oob 'out of band')"
	slots "apply/$1-setup" "0 3 7"
}

# The key sync runs only once the volume is unlocked and mapped.  No
# mapping can be made here (a build host has no device-mapper; where there
# is one, a mapping of another device holds the name): the volume fails
# and every keyslot stays, the out-of-band one too.
test_map_failure_keeps_keyslots() {
	local cfg before blocker= rc
	cfg=$(config delta "$STATIC0" "$DELTA3")
	stale_image mapfail
	if dmsetup version >/dev/null 2>&1; then
		blocker=luks2-u-data
		dmsetup create "$blocker" --table "0 8 zero"
	fi
	before=$(digest "$IMG")
	"$LUKSVOL" apply --device "u-data=$IMG" "${FAST[@]}" -f "$cfg" >"$LV_WORK/last.out" 2>"$LV_WORK/last.err"
	rc=$?
	[ -n "$blocker" ] && dmsetup remove "$blocker"
	case $rc in
	4|5) t_pass apply/mapfail-exit ;;
	*) t_fail apply/mapfail-exit "exit $rc, want 4 (no device-mapper) or 5 (name taken)" ;;
	esac
	t_same apply/mapfail-writes-nothing "$(digest "$IMG")" "$before"
	slots apply/mapfail-slots "0 3 7"
	grep -q "u-data: cannot map" "$LV_WORK/last.out" && ! grep -qE "removed|replaced" "$LV_WORK/last.out" &&
		t_pass apply/mapfail-report || t_fail apply/mapfail-report "$(cat "$LV_WORK/last.out")"
}

# Flips a byte of the secondary header copy's JSON area.
damage_secondary_json() {
	/usr/bin/python3 - "$IMG" <<'PY'
import struct, sys
with open(sys.argv[1], "r+b") as f:
    hdr_size = struct.unpack(">Q", f.read(16)[8:16])[0]
    f.seek(hdr_size + 4096 + 2)
    byte = f.read(1)
    f.seek(hdr_size + 4096 + 2)
    f.write(bytes([byte[0] ^ 0x20]))
PY
}

# --no-sync opens (and maps) only: no keyslot is replaced or removed, a
# damaged copy is not recovered, an empty device is not formatted.
test_no_sync() {
	local cfg before
	cfg=$(config delta "$STATIC0" "$DELTA3")
	stale_image nosync
	before=$(digest "$IMG")
	t_expect apply/no-sync 0 apply --no-sync -f "$cfg"
	t_same apply/no-sync-writes-nothing "$(digest "$IMG")" "$before"
	grep -q "u-data: opened with keyslot 0 (static)" "$LV_WORK/last.out" &&
		! grep -qE "replace|remove|add|in sync" "$LV_WORK/last.out" &&
		t_pass apply/no-sync-report || t_fail apply/no-sync-report "$(cat "$LV_WORK/last.out")"
	damage_secondary_json
	before=$(digest "$IMG")
	t_expect apply/no-sync-damaged-copy 0 apply --no-sync -f "$cfg"
	t_same apply/no-sync-no-recovery "$(digest "$IMG")" "$before"
	new_image "$IMG"
	apply_refused apply/no-sync-empty 4 "never formats" --no-sync -f "$cfg"
}

# on_tty NAME WANT_RC ANSWER ARGS...: apply on a terminal, ANSWER typed at
# its question ("-": none); the transcript is in $LV_WORK/last.out.
on_tty() {
	local name=$1 want=$2 answer=$3
	shift 3
	t_expect "$name" "$want" /usr/bin/python3 "$LV_TOP/tests/interop/tty_run.py" "$answer" \
		"$DIR/tty.txt" "$LUKSVOL" apply --device "u-data=$IMG" --node-uuid "$UUID" \
		--state-dir "$DIR/state" --no-activate "${FAST[@]}" "$@"
	cp "$DIR/tty.txt" "$LV_WORK/last.out"
}

# On a terminal, what the sync would destroy is shown and asked about;
# "no" writes nothing, YES syncs, -q and --yes do not ask.
test_confirm_on_terminal() {
	local cfg before flag
	cfg=$(config delta "$STATIC0" "$DELTA3")
	stale_image tty
	before=$(digest "$IMG")
	on_tty apply/tty-declined 1 no -f "$cfg"
	grep -q "u-data: would replace keyslot 3 (static)" "$LV_WORK/last.out" &&
		grep -q "u-data: would remove keyslot 7" "$LV_WORK/last.out" &&
		grep -q "Are you sure?" "$LV_WORK/last.out" &&
		grep -q "not confirmed, nothing written" "$LV_WORK/last.out" &&
		t_pass apply/tty-shows-plan || t_fail apply/tty-shows-plan "$(cat "$LV_WORK/last.out")"
	t_same apply/tty-declined-writes-nothing "$(digest "$IMG")" "$before"
	on_tty apply/tty-confirmed 0 YES -f "$cfg"
	grep -q "u-data: removed keyslot 7" "$LV_WORK/last.out" && t_pass apply/tty-confirmed-report ||
		t_fail apply/tty-confirmed-report "$(cat "$LV_WORK/last.out")"
	slots apply/tty-confirmed-slots "0 3"
	opens apply/tty-replaced-opens 3 "$(keyfile d3 'delta four')"
	for flag in -q --yes; do
		stale_image "tty$flag"
		on_tty "apply/tty$flag" 0 - "$flag" -f "$cfg"
		! grep -q "Are you sure?" "$LV_WORK/last.out" && t_pass "apply/tty$flag-no-question" ||
			t_fail "apply/tty$flag-no-question" "$(cat "$LV_WORK/last.out")"
		slots "apply/tty$flag-slots" "0 3"
	done
}

# locked_apply STATE_DIR [VAR=VALUE]...: apply a lockToState key with
# STATE_DIR and those environment variables, bounded in time (a hang is a
# failure: exit 124).
locked_apply() {
	local state=$1
	shift
	env "$@" timeout -k 5 30 "$LUKSVOL" apply --device "u-data=$IMG" --state-dir "$state" \
		--no-activate "${FAST[@]}" -f "$(config locked "$LOCKED2")"
}

# The salt file must be a regular file: a FIFO (which hung apply forever),
# a directory, a device node or a symbolic link is refused at once, and
# nothing is written.
test_salt_not_regular() {
	local kind state=$DIR/bad-state before
	for kind in fifo directory device symlink; do
		rm -rf "$state"
		mkdir -p "$state"
		case $kind in
		fifo) mkfifo "$state/encryption-salt.yaml" ;;
		directory) mkdir "$state/encryption-salt.yaml" ;;
		device) mknod "$state/encryption-salt.yaml" c 1 3 ;;
		symlink) /usr/bin/python3 -c 'print("diskSalt:"); [print("    - 1") for _ in range(32)]' \
				>"$DIR/real-salt.yaml"
			ln -s "$DIR/real-salt.yaml" "$state/encryption-salt.yaml" ;;
		esac
		new_image "$IMG"
		before=$(digest "$IMG")
		t_expect "apply/salt-$kind-refused" 1 locked_apply "$state"
		grep -qE "encryption-salt.yaml: (not a regular file|a symbolic link)" "$LV_WORK/last.err" &&
			t_pass "apply/salt-$kind-message" || t_fail "apply/salt-$kind-message" "$(cat "$LV_WORK/last.err")"
		t_same "apply/salt-$kind-writes-nothing" "$(digest "$IMG")" "$before"
	done
	rm -rf "$state"
}

# salt_bytes YAML OUT: the 32 salt bytes of a salt file, as a file.
salt_bytes() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import re, sys
values = [int(v) for v in re.findall(r"^    - (\d+)$", open(sys.argv[1]).read(), re.M)]
assert len(values) == 32
open(sys.argv[2], "wb").write(bytes(values))
PY
}

# The salt file is created under no name others can reach: O_TMPFILE, or
# (salt_swap.so: a filesystem without it) a temporary name checked after
# the link.  A user owning the directory who swaps the temporary file for
# their own (SALT_SWAP=1) never gets a keyslot made with a salt other than
# the file's: apply refuses that salt and writes nothing.
test_salt_creation_race() {
	local shim=$DIR/salt_swap.so state=$DIR/swap-state before
	local preload=(LD_PRELOAD="$shim" ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0")
	if ! cc -shared -fPIC -O1 -o "$shim" "$LV_TOP/tests/interop/salt_swap.c" -ldl; then
		t_fail apply/salt-swap-build "cannot build salt_swap.so"
		return
	fi
	rm -rf "$state"
	mkdir -p "$state"
	new_image "$IMG"
	t_expect apply/salt-named-temp 0 locked_apply "$state" "${preload[@]}"
	salt_bytes "$state/encryption-salt.yaml" "$DIR/swap-salt.bin"
	cat "$(keyfile s2 'beta two')" "$DIR/swap-salt.bin" >"$DIR/swap.key"
	opens apply/salt-named-temp-opens 2 "$DIR/swap.key"
	t_same apply/salt-named-temp-cleaned "$(ls -A "$state")" encryption-salt.yaml
	rm -rf "$state"
	mkdir -p "$state"
	new_image "$IMG"
	before=$(digest "$IMG")
	t_expect apply/salt-swapped-refused 5 locked_apply "$state" "${preload[@]}" SALT_SWAP=1
	grep -q "replaced while it was being created" "$LV_WORK/last.err" && t_pass apply/salt-swapped-message ||
		t_fail apply/salt-swapped-message "$(cat "$LV_WORK/last.out" "$LV_WORK/last.err")"
	t_same apply/salt-swapped-writes-nothing "$(digest "$IMG")" "$before"
	# What matters: no keyslot whose salt is not the file's (the volume
	# could not be opened again).
	if cryptsetup isLuks "$IMG" && [ -f "$state/encryption-salt.yaml" ]; then
		salt_bytes "$state/encryption-salt.yaml" "$DIR/swap-salt.bin"
		cat "$DIR/s2.key" "$DIR/swap-salt.bin" >"$DIR/swap.key"
		opens apply/salt-swapped-keyslot-matches-file 2 "$DIR/swap.key"
	fi
	rm -rf "$state"
}

# wipe takes the DEVICE or --label, never apply's --device; apply takes
# one --device per volume ID.
test_device_options() {
	local cfg before
	t_expect apply/wipe-unknown-label 4 "$LUKSVOL" wipe --yes --label no-such-label
	if grep -q -- "--device" "$LV_WORK/last.err" ||
		! grep -q "no partition is named no-such-label: give the DEVICE" "$LV_WORK/last.err"; then
		t_fail apply/wipe-label-hint "$(cat "$LV_WORK/last.err")"
	else
		t_pass apply/wipe-label-hint
	fi
	new_image "$IMG"
	before=$(digest "$IMG")
	t_expect apply/wipe-device-option 1 "$LUKSVOL" wipe --yes --device "u-data=$IMG" "$IMG"
	t_same apply/wipe-device-option-unchanged "$(digest "$IMG")" "$before"
	cfg=$(config dup "$STATIC0")
	t_expect apply/duplicate-device 1 apply --device "u-data=$DIR/other.img" -f "$cfg"
	[ "$(grep -c . "$LV_WORK/last.err")" -eq 1 ] &&
		grep -q "u-data already has --device u-data=$IMG" "$LV_WORK/last.err" &&
		t_pass apply/duplicate-device-message || t_fail apply/duplicate-device-message "$(cat "$LV_WORK/last.err")"
	t_same apply/duplicate-device-unchanged "$(digest "$IMG")" "$before"
}

# kms, tpm and tang keys whose KMS, TPM or tang server is not there: the
# dry run reports each failure and guesses nothing; a build without them
# (the static build: WITH_KMS=0 WITH_TPM=0 WITH_CLEVIS=0) names the flag.
# (Working kms, tpm and tang keys: apply_kms.sh, apply_tpm.sh, tokens.sh.)
test_kinds_without_source() {
	local static=$LV_TOP/$BUILD/luksvol-static cfg before kms tpm tang
	cfg=$(config nosource "$STATIC0" '    - slot: 2
      kms:
        endpoint: 127.0.0.1:1' '    - slot: 3
      tpm: {}' '    - slot: 4
      tang:
        url: http://127.0.0.1:1
        thumbprint: aGVsbG8td29ybGQtdGhpcy1pcy00My1jaGFycy1sb24')
	new_image "$IMG"
	before=$(digest "$IMG")
	kms="u-data: cannot add keyslot 2 (kms): slot 2: kms keys are not supported by this build"
	tpm="u-data: cannot add keyslot 3 (tpm): slot 3: tpm keys are not supported by this build"
	tang="u-data: cannot add keyslot 4 (tang): slot 4: tang keys are not supported by this build"
	t_expect apply/kinds-without-source 0 apply --dry-run --tpm-tcti /dev/nonexistent-tpm -f "$cfg"
	grep -q "^u-data: cannot add keyslot 2 (kms): kms 127.0.0.1:1: Seal: cannot connect" \
		"$LV_WORK/last.out" &&
		grep -qx "u-data: cannot add keyslot 3 (tpm): TPM device:/dev/nonexistent-tpm: /dev/nonexistent-tpm does not exist" "$LV_WORK/last.out" &&
		grep -q "^u-data: cannot add keyslot 4 (tang): .*tang server http://127.0.0.1:1 (advertisement): " \
			"$LV_WORK/last.out" &&
		t_pass apply/kinds-without-source-report ||
		t_fail apply/kinds-without-source-report "$(cat "$LV_WORK/last.out")"
	if [ ! -x "$static" ]; then
		t_fail apply/kinds-left-out "no $static: make static builds it"
		return
	fi
	t_expect apply/kinds-left-out 0 "$static" apply --dry-run --device "u-data=$IMG" --no-activate \
		-f "$cfg"
	grep -qx "$kms (built with WITH_KMS=0)" "$LV_WORK/last.out" &&
		grep -qx "$tpm (built with WITH_TPM=0)" "$LV_WORK/last.out" &&
		grep -qx "$tang (built with WITH_CLEVIS=0)" "$LV_WORK/last.out" &&
		t_pass apply/kinds-left-out-report || t_fail apply/kinds-left-out-report "$(cat "$LV_WORK/last.out")"
	t_same apply/kinds-without-source-unchanged "$(digest "$IMG")" "$before"
}

# Talos's header rules, read from the header's JSON: a data segment or a
# keyslot area in a cipher Talos does not use is refused before any key is
# tried, and nothing is written.
test_talos_rules() {
	local cfg
	cfg=$(config rules "$STATIC0")
	new_image "$IMG"
	cryptsetup luksFormat -q --type luks2 --cipher aes-cbc-essiv:sha256 --key-size 256 \
		--keyslot-cipher aes-xts-plain64 --keyslot-key-size 512 \
		--pbkdf argon2id --pbkdf-memory 32 --pbkdf-force-iterations 4 \
		--key-file "$(keyfile s0 'alpha one')" "$IMG"
	apply_refused apply/rules-segment-cipher 1 \
		"segment 0: encryption aes-cbc-essiv:sha256 is not a Talos cipher" -f "$cfg"
	new_image "$IMG"
	apply -f "$cfg" >/dev/null 2>&1
	cryptsetup luksAddKey -q --pbkdf argon2id --pbkdf-memory 32 --pbkdf-force-iterations 4 \
		--keyslot-cipher aes-cbc-essiv:sha256 --keyslot-key-size 256 --key-slot 4 \
		--key-file "$DIR/s0.key" "$IMG" "$(keyfile oob 'out of band')"
	apply_refused apply/rules-keyslot-cipher 1 \
		"keyslot 4: area.encryption aes-cbc-essiv:sha256 is not a Talos cipher" -f "$cfg"
}

test_format
test_json_report
test_rotation
test_no_key_opens
test_refusals
test_bad_nodeid
test_dry_run
test_wipe
test_adiantum
test_map_failure_keeps_keyslots
test_no_sync
test_confirm_on_terminal
test_salt_not_regular
test_salt_creation_race
test_device_options
test_kinds_without_source
test_talos_rules
