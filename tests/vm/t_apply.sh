# t_apply.sh: `luksvol apply` on a GPT disk whose partitions are named
# STATE, EPHEMERAL and u-data, found by label through libblkid: the first
# apply formats and maps all three as /dev/mapper/luks2-*, a second one
# after a simulated reboot opens and syncs them, and cryptsetup opens each
# keyslot with the passphrase Talos would derive (talos-encryption.md §2).
# A mapping of another device under a volume's name makes that volume
# fail before its key sync: nothing is written to it.

APPLY_UUID=4c4c4544-0042-3510-8052-b4c04f4b4d32
APPLY_FAST="--pbkdf-memory 64 --pbkdf-force-iterations 4"

apply_config() {
	{
		system_volume_head STATE
		printf '    - slot: 0\n      nodeID: {}\n---\n'
		system_volume_head EPHEMERAL
		apply_locked_and_nodeid "ephemeral secret"
		echo ---
		user_volume_head data
		apply_locked_and_nodeid "data secret"
	} >/tmp/apply.yaml
}

# Slot 0 static PASSPHRASE locked to STATE, slot 1 nodeID.
apply_locked_and_nodeid() {
	cat <<YAML
    - slot: 0
      static:
        passphrase: $1
      lockToState: true
    - slot: 1
      nodeID: {}
YAML
}

apply_attach() {
	# busybox losetup: no --show.
	APPLY_LOOP=$(losetup -f)
	losetup -P "$APPLY_LOOP" /tmp/gpt.img
	i=0
	while [ ! -b "${APPLY_LOOP}p3" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
}

apply_disk() {
	rm -f /tmp/gpt.img
	dd if=/dev/zero of=/tmp/gpt.img bs=1M count=0 seek=96 2>/dev/null
	printf 'label: gpt\nsize=28M, name=STATE\nsize=28M, name=EPHEMERAL\nsize=28M, name=u-data\n' |
		sfdisk -q /tmp/gpt.img >/dev/null 2>&1
	apply_attach
	if [ -b "${APPLY_LOOP}p3" ]; then pass apply/gpt-disk; else fail apply/gpt-disk "no partitions on $APPLY_LOOP"; fi
}

# --yes: /init's standard input is the console, a terminal, where apply
# would otherwise ask before its sync removes a keyslot (as a boot script
# must pass it too).
apply_run() {
	$LUKSVOL apply --yes -f /tmp/apply.yaml --node-uuid $APPLY_UUID --state-dir /tmp/state \
		$APPLY_FAST
}

# The keyslot ids of DEVICE, space-separated.
apply_slots() {
	cryptsetup luksDump "$1" | sed -n 's/^  \([0-9]*\): luks2$/\1/p' | tr '\n' ' '
}

# apply_blocked NAME: with luks2-u-data taken by a mapping of something
# else, u-data fails (exit 5) before its sync: its partition (out-of-band
# keyslot 7 included) is byte-identical.  $1 names the check, $2 the
# message expected.
apply_blocked() {
	before=$(sha256sum "${APPLY_LOOP}p3" | cut -d' ' -f1)
	expect "apply/taken-$1" 5 apply_run
	grep -q "u-data: cannot map .*$2" /tmp/out && ! grep -q 'u-data: removed' /tmp/out &&
		pass "apply/taken-$1-report" || fail "apply/taken-$1-report" "$(tr '\n' ' ' </tmp/out)"
	same "apply/taken-$1-writes-nothing" "$(sha256sum "${APPLY_LOOP}p3" | cut -d' ' -f1)" "$before"
}

# luks2-u-data taken by a dm-zero mapping, then by a LUKS2 crypt mapping
# of another image: u-data fails both times and keeps keyslot 7; once the
# name is free, apply maps it and the sync removes keyslot 7.
apply_name_taken() {
	$LUKSVOL close luks2-u-data
	printf '%s' "${APPLY_UUID}u-data" >/tmp/k
	printf '%s' 'out of band' >/tmp/k7
	cryptsetup luksAddKey -q --pbkdf argon2id --pbkdf-memory 64 --pbkdf-force-iterations 4 \
		--key-slot 7 --key-file /tmp/k "${APPLY_LOOP}p3" /tmp/k7
	same apply/taken-setup "$(apply_slots "${APPLY_LOOP}p3")" "0 1 7 "
	dmsetup create luks2-u-data --table "0 8 zero"
	apply_blocked zero 'a mapping with this name already exists'
	dmsetup remove luks2-u-data
	dd if=/dev/zero of=/tmp/other.img bs=1M count=20 2>/dev/null
	cryptsetup luksFormat -q --type luks2 $FAST --key-file /tmp/k7 /tmp/other.img
	cryptsetup open --key-file /tmp/k7 /tmp/other.img luks2-u-data
	apply_blocked other-luks2 '/dev/mapper/luks2-u-data exists and maps another device (/tmp/other.img)'
	cryptsetup close luks2-u-data
	rm -f /tmp/other.img
	expect apply/taken-freed 0 apply_run
	grep -q 'u-data: removed keyslot 7' /tmp/out && pass apply/taken-freed-report ||
		fail apply/taken-freed-report "$(tr '\n' ' ' </tmp/out)"
	same apply/taken-freed-slots "$(apply_slots "${APPLY_LOOP}p3")" "0 1 "
}

apply_mapped() {
	for vol in STATE EPHEMERAL u-data; do
		crypt_mapped "apply/$1-mapped-$vol" "luks2-$vol"
	done
}

# The salt of encryption-salt.yaml as raw bytes.
apply_salt_bytes() {
	for n in $(sed -n 's/^    - //p' /tmp/state/encryption-salt.yaml); do
		printf "\\$(printf %03o "$n")"
	done
}

# apply_opens NAME DEVICE SLOT: cryptsetup opens SLOT with /tmp/k.
apply_opens() {
	expect "apply/cryptsetup-$1" 0 cryptsetup open --test-passphrase --key-slot "$3" \
		--key-file /tmp/k "$2"
}

apply_cryptsetup_checks() {
	printf '%s' "${APPLY_UUID}STATE" >/tmp/k
	apply_opens STATE-nodeID "${APPLY_LOOP}p1" 0
	{ printf '%s' 'ephemeral secret'; apply_salt_bytes; } >/tmp/k
	apply_opens EPHEMERAL-static-lockToState "${APPLY_LOOP}p2" 0
	printf '%s' "${APPLY_UUID}EPHEMERAL" >/tmp/k
	apply_opens EPHEMERAL-nodeID "${APPLY_LOOP}p2" 1
	{ printf '%s' 'data secret'; apply_salt_bytes; } >/tmp/k
	apply_opens u-data-static-lockToState "${APPLY_LOOP}p3" 0
	printf '%s' "${APPLY_UUID}u-data" >/tmp/k
	apply_opens u-data-nodeID "${APPLY_LOOP}p3" 1
	if [ "$(apply_salt_bytes | wc -c)" -eq 32 ]; then pass apply/salt-32-bytes; else fail apply/salt-32-bytes "$(cat /tmp/state/encryption-salt.yaml)"; fi
}

apply_write_data() {
	for vol in STATE EPHEMERAL u-data; do
		dd if=/dev/urandom of=/tmp/data-$vol bs=1M count=2 2>/dev/null
		dd if=/tmp/data-$vol of=/dev/mapper/luks2-$vol bs=1M conv=fsync 2>/dev/null
	done
}

apply_read_data() {
	for vol in STATE EPHEMERAL u-data; do
		got=$(head -c 2097152 /dev/mapper/luks2-$vol | sha256sum | cut -d' ' -f1)
		same "apply/data-survives-$vol" "$got" "$(sha256sum </tmp/data-$vol | cut -d' ' -f1)"
	done
}

apply_reboot() {
	for vol in STATE EPHEMERAL u-data; do
		$LUKSVOL close luks2-$vol
	done
	losetup -d "$APPLY_LOOP"
	apply_attach
}

apply_in_vm() {
	mkdir -p /tmp/state
	apply_config
	apply_disk
	expect apply/first 0 apply_run
	grep -q 'STATE: formatted with keyslot 0 (nodeID)' /tmp/out && pass apply/first-report ||
		fail apply/first-report "$(tr '\n' ' ' </tmp/out)"
	apply_mapped first
	apply_write_data
	apply_reboot
	if [ -e /dev/mapper/luks2-STATE ]; then fail apply/closed "luks2-STATE still mapped"; else pass apply/closed; fi
	expect apply/second 0 apply_run
	grep -q 'u-data: opened with keyslot 0 (static, lockToState)' /tmp/out &&
		grep -q 'EPHEMERAL: in sync: keyslot 1 (nodeID)' /tmp/out && pass apply/second-report ||
		fail apply/second-report "$(tr '\n' ' ' </tmp/out)"
	apply_mapped second
	apply_read_data
	expect apply/third-already-active 0 apply_run
	grep -q 'already active' /tmp/out && pass apply/third-report || fail apply/third-report "$(tr '\n' ' ' </tmp/out)"
	apply_name_taken
	apply_cryptsetup_checks
	expect apply/wipe-busy 5 $LUKSVOL wipe --yes --label u-data
	$LUKSVOL close luks2-u-data
	expect apply/wipe-label 0 $LUKSVOL wipe --yes --label u-data
	if [ -z "$(blkid -p -o value -s TYPE "${APPLY_LOOP}p3")" ]; then pass apply/wiped-empty; else fail apply/wiped-empty "a signature is left"; fi
	expect apply/reformat-after-wipe 0 apply_run
	grep -q 'u-data: formatted with keyslot 0' /tmp/out && pass apply/reformat-report ||
		fail apply/reformat-report "$(tr '\n' ' ' </tmp/out)"
	for vol in STATE EPHEMERAL u-data; do
		$LUKSVOL close luks2-$vol 2>/dev/null
	done
	losetup -d "$APPLY_LOOP"
	rm -f /tmp/gpt.img
}

apply_in_vm
