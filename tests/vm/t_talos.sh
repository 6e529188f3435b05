# t_talos.sh: `luksvol talos open` on a disk laid out as Talos lays it, and
# built the way Talos builds it: a GPT disk with EFI, META (1 MiB, an ADV
# whose tag 15 holds the node's UUID and whose tag 9 apply writes), STATE
# (LUKS2, nodeID and static keys, XFS holding the machine config
# config.yaml with its volume documents, and encryption-salt.yaml),
# EPHEMERAL (XFS, a lockToState key) and one user volume u-data (XFS,
# lockToState and nodeID keys).  apply with no STATE document must open
# STATE from tag 9.  talos open must map all three (cryptsetup checks the
# passphrases and the mappings), mount STATE read-only, let every file
# read back, change no byte of the disk (each header area, META, each
# volume's data and the whole disk are checksummed before and after, also
# when STATE's XFS log is dirty), refuse a second open, and talos close
# must undo it all, also after a busy mapping made the first close stop
# halfway.

TALOS_UUID=2b1e5e0a-6c1f-4f7e-9d3a-5a4c1e7b9f20
TALOS_FAST="--pbkdf-memory 64 --pbkdf-force-iterations 4"
TALOS_IMG=/tmp/talos.img
# mkfs.xfs makes filesystems under 300 MB only for xfstests' runs.
TALOS_XFS="env TEST_DIR=1 TEST_DEV=1 QA_CHECK_FS=1 mkfs.xfs -q -f"
# The test's own read-only mounts: XFS writes its log's unmount record
# even on a read-only mount unless norecovery, and the disk's checksum
# must see talos open's writes only.
TALOS_RO=ro,norecovery

talos_state_doc() {
	system_volume_head STATE
	cat <<'YAML'
    - slot: 0
      nodeID: {}
    - slot: 1
      static:
        passphrase: state recovery
YAML
}

# The user volume u-data's document, up to its keys.
talos_data_head() {
	user_volume_head data system_disk 30MiB
}

# The machine config: v1alpha1, then the volume documents.
talos_machine_config() {
	cat <<'YAML'
version: v1alpha1
machine:
  type: worker
  token: rescue.0123456789abcdef
  install:
    disk: /dev/vda
cluster:
  clusterName: rescue
  controlPlane:
    endpoint: https://10.5.0.2:6443
---
YAML
	talos_state_doc
	echo ---
	system_volume_head EPHEMERAL
	cat <<'YAML'
    - slot: 0
      static:
        passphrase: ephemeral secret
      lockToState: true
---
YAML
	talos_data_head
	cat <<'YAML'
    - slot: 0
      static:
        passphrase: data secret
      lockToState: true
    - slot: 1
      nodeID: {}
YAML
}

talos_attach() {
	TALOS_LOOP=$(losetup -f)
	losetup -P "$TALOS_LOOP" "$TALOS_IMG"
	i=0
	while [ ! -b "${TALOS_LOOP}p5" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
}

# The partitions as Talos's installer makes them on a UEFI machine
# (talos:pkg/machinery/imager/quirks/partitions.go): EFI (an ESP; its
# content does not matter here), META (1 MiB), STATE, EPHEMERAL, then the
# user volume, all but EFI of type "Linux filesystem data".  STATE and
# EPHEMERAL are smaller than Talos's 100 MiB and 2 GiB, to fit the VM.
TALOS_LINUX_TYPE=0FC63DAF-8483-4772-8E79-3D69D8477DE4
talos_partitions() {
	grep -qw xfs /proc/filesystems && pass talos/xfs-in-kernel ||
		fail talos/xfs-in-kernel "no xfs in /proc/filesystems: $(modprobe xfs 2>&1)"
	rm -f "$TALOS_IMG"
	dd if=/dev/zero of="$TALOS_IMG" bs=1M count=0 seek=156 2>/dev/null
	{
		echo "label: gpt"
		echo "size=4M, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=EFI"
		echo "size=1M, type=$TALOS_LINUX_TYPE, name=META"
		echo "size=48M, type=$TALOS_LINUX_TYPE, name=STATE"
		echo "size=44M, type=$TALOS_LINUX_TYPE, name=EPHEMERAL"
		echo "size=44M, type=$TALOS_LINUX_TYPE, name=u-data"
	} | sfdisk -q "$TALOS_IMG" >/dev/null 2>&1
	talos_attach
	if [ -b "${TALOS_LOOP}p5" ]; then pass talos/gpt-disk; else fail talos/gpt-disk "no partitions on $TALOS_LOOP"; fi
}

# talos_fs MAPPING DIR FILE...: an XFS filesystem on the mapping, with a
# file of random bytes for each name, kept in /tmp/talos-files/.
talos_fs() {
	local mapping=$1 dir=$2
	shift 2
	$TALOS_XFS "/dev/mapper/$mapping" >/dev/null 2>&1 || fail "talos/mkfs-$mapping" "mkfs.xfs failed"
	mkdir -p "$dir" /tmp/talos-files
	mount -t xfs "/dev/mapper/$mapping" "$dir" || fail "talos/mount-$mapping" "cannot mount"
	for f in "$@"; do
		dd if=/dev/urandom of="/tmp/talos-files/$mapping-$f" bs=4k count=8 2>/dev/null
		cp "/tmp/talos-files/$mapping-$f" "$dir/$f"
	done
}

# Built the way Talos builds it: META's tag 15 set, STATE formatted by
# apply (which finds META by its name and writes tag 9), its filesystem,
# the machine config on it, then EPHEMERAL and u-data formatted with the
# salt apply creates on STATE.
talos_build() {
	printf '%s' "$TALOS_UUID" | $LUKSVOL meta set UUIDOverride "${TALOS_LOOP}p2"
	talos_machine_config >/tmp/talos-config.yaml
	talos_state_doc >/tmp/talos-state.yaml
	expect talos/build-state 0 $LUKSVOL apply --yes -f /tmp/talos-state.yaml $TALOS_FAST
	grep -q "META: wrote tag 9 (StateEncryptionConfig)" /tmp/out &&
		grep -q "META: read tag 15 (UUIDOverride)" /tmp/out && pass talos/build-tag9-written ||
		fail talos/build-tag9-written "$(tr '\n' ' ' </tmp/out)"
	talos_fs luks2-STATE /tmp/talos-state
	cp /tmp/talos-config.yaml /tmp/talos-state/config.yaml
	chmod 0600 /tmp/talos-state/config.yaml
	expect talos/build-volumes 0 $LUKSVOL apply --yes -f /tmp/talos-config.yaml \
		--state-dir /tmp/talos-state $TALOS_FAST
	grep -q 'EPHEMERAL: formatted with keyslot 0 (static, lockToState)' /tmp/out &&
		grep -q 'u-data: added keyslot 1 (nodeID)' /tmp/out && pass talos/build-volumes-report ||
		fail talos/build-volumes-report "$(tr '\n' ' ' </tmp/out)"
	cp /tmp/talos-state/encryption-salt.yaml /tmp/talos-files/salt.yaml
	talos_fs luks2-EPHEMERAL /tmp/talos-eph var-log
	talos_fs luks2-u-data /tmp/talos-data payload other
	umount /tmp/talos-eph
	umount /tmp/talos-data
	umount /tmp/talos-state
	for vol in u-data EPHEMERAL STATE; do
		$LUKSVOL close luks2-$vol
	done
	same talos/built-no-mapping "$(mappings | tr '\n' ' ')" ""
}

# The second apply, with no STATE document: STATE from tag 9, the node
# UUID from tag 15 (Talos's boot before the machine config is on STATE).
talos_apply_from_tag9() {
	printf 'apiVersion: v1alpha1\nkind: HostnameConfig\nauto: stable\n' >/tmp/talos-other.yaml
	expect talos/apply-from-tag9 0 $LUKSVOL apply --yes -f /tmp/talos-other.yaml
	grep -q "META: read tag 9 (StateEncryptionConfig): STATE's encryption config (modern shape)" /tmp/out &&
		grep -q "STATE: opened with keyslot 0 (nodeID)" /tmp/out &&
		grep -q "STATE: in sync: keyslot 1 (static)" /tmp/out && pass talos/apply-from-tag9-report ||
		fail talos/apply-from-tag9-report "$(tr '\n' '|' </tmp/out)"
	if dmsetup table luks2-STATE | grep -q " crypt aes-xts-plain64 "; then
		pass talos/apply-from-tag9-mapped
	else
		fail talos/apply-from-tag9-mapped "$(dmsetup table luks2-STATE 2>&1)"
	fi
	$LUKSVOL close luks2-STATE
}

# Each LUKS header area (16 MiB: apply's data offset), META, each
# volume's data (past its header), the disk: talos open writes nothing.
TALOS_SUM_NAMES="STATE-header EPHEMERAL-header u-data-header META STATE-data EPHEMERAL-data
u-data-data disk"
talos_sums() {
	for part in 3 4 5; do
		head -c 16777216 "${TALOS_LOOP}p$part" | sha256sum | cut -c1-64
	done
	sha256sum <"${TALOS_LOOP}p2" | cut -c1-64
	for part in 3 4 5; do
		tail -c +16777217 "${TALOS_LOOP}p$part" | sha256sum | cut -c1-64
	done
	sha256sum <"$TALOS_IMG" | cut -c1-64
}

# talos_check_unchanged [PREFIX]
talos_check_unchanged() {
	local prefix=${1:+$1-}
	talos_sums >/tmp/talos-sums-now
	set -- $TALOS_SUM_NAMES
	while read -r before && read -r now <&3; do
		same "talos/$prefix$1-unchanged" "$now" "$before"
		shift
	done <"/tmp/talos-sums-before" 3<"/tmp/talos-sums-now"
}

talos_files_read_back() {
	same talos/state-config-read-back "$(sha256sum </run/luksvol/talos-STATE/config.yaml)" \
		"$(sha256sum </tmp/talos-config.yaml)"
	same talos/state-salt-read-back "$(sha256sum </run/luksvol/talos-STATE/encryption-salt.yaml)" \
		"$(sha256sum </tmp/talos-files/salt.yaml)"
	if [ ! -f /run/luksvol/talos-STATE/config.yaml ]; then
		fail talos/state-read-only "STATE is not mounted"
	elif touch /run/luksvol/talos-STATE/x 2>/dev/null; then
		fail talos/state-read-only "wrote a file"
	else
		pass talos/state-read-only
	fi
	mkdir -p /tmp/talos-check
	for pair in EPHEMERAL:var-log u-data:payload u-data:other; do
		vol=${pair%%:*}
		file=${pair#*:}
		mount -t xfs -o $TALOS_RO "/dev/mapper/luks2-$vol" /tmp/talos-check &&
			same "talos/$vol-$file-read-back" "$(sha256sum </tmp/talos-check/$file)" \
				"$(sha256sum </tmp/talos-files/luks2-$vol-$file)"
		umount /tmp/talos-check
	done
}

# The salt's 32 bytes, from encryption-salt.yaml ("    - N" lines).
talos_salt_bytes() {
	for n in $(awk '$1 == "-" {print $2}' "$1"); do
		printf "\\$(printf %o "$n")"
	done
}

# cryptsetup as the oracle of what talos open derived and mapped: the
# lockToState passphrase is Talos's (the static bytes, then the salt),
# and the mappings are LUKS2 ones cryptsetup recognises, over the right
# partitions, with the header's cipher.
talos_cryptsetup_checks() {
	{ printf '%s' "data secret"; talos_salt_bytes /tmp/talos-files/salt.yaml; } >/tmp/k
	same talos/salt-32-bytes "$(wc -c </tmp/k)" 43
	expect talos/cs-u-data-lockToState 0 cryptsetup open --test-passphrase --key-slot 0 \
		--key-file /tmp/k "${TALOS_LOOP}p5"
	{ printf '%s' "ephemeral secret"; talos_salt_bytes /tmp/talos-files/salt.yaml; } >/tmp/k
	expect talos/cs-EPHEMERAL-lockToState 0 cryptsetup open --test-passphrase --key-slot 0 \
		--key-file /tmp/k "${TALOS_LOOP}p4"
	for pair in STATE:3 EPHEMERAL:4 u-data:5; do
		vol=${pair%%:*}
		cryptsetup status "luks2-$vol" >/tmp/cs-status 2>&1
		grep -q "type: *LUKS2" /tmp/cs-status &&
			grep -q "device: *${TALOS_LOOP}p${pair#*:}\$" /tmp/cs-status &&
			grep -q "cipher: *aes-xts-plain64" /tmp/cs-status && pass "talos/cs-status-$vol" ||
			fail "talos/cs-status-$vol" "$(tr '\n' '|' </tmp/cs-status)"
	done
}

talos_open_checks() {
	expect talos/open 0 $LUKSVOL talos open --disk "$TALOS_LOOP"
	cat /tmp/out
	for vol in STATE EPHEMERAL u-data; do
		crypt_mapped "talos/mapped-$vol" "luks2-$vol"
	done
	grep -q "^STATE .*/dev/mapper/luks2-STATE .*opened with keyslot 0 (nodeID)" /tmp/out &&
		grep -q "^EPHEMERAL .*/dev/mapper/luks2-EPHEMERAL .*opened with keyslot 0 (static, lockToState)" /tmp/out &&
		grep -q "^u-data .*/dev/mapper/luks2-u-data .*opened with keyslot 0 (static, lockToState)" /tmp/out &&
		grep -q "^META .*${TALOS_LOOP}p2 " /tmp/out && ! grep -q "^EFI " /tmp/out &&
		pass talos/open-table ||
		fail talos/open-table "$(tr '\n' '|' </tmp/out)"
	grep -q "STATE is mounted read-only at /run/luksvol/talos-STATE" /tmp/out && pass talos/open-says-mount ||
		fail talos/open-says-mount "$(tr '\n' '|' </tmp/out)"
	grep -q " /run/luksvol/talos-STATE xfs ro," /proc/mounts && pass talos/state-mounted-ro ||
		fail talos/state-mounted-ro "$(grep talos /proc/mounts)"
	talos_files_read_back
	talos_cryptsetup_checks
	expect talos/open-twice 5 $LUKSVOL talos open --disk "$TALOS_LOOP"
	grep -q "a Talos disk is open already" /tmp/err && pass talos/open-twice-message ||
		fail talos/open-twice-message "$(cat /tmp/err)"
}

# A mapping in use stops talos close; what is left stays recorded.
talos_close_checks() {
	mount -t xfs -o $TALOS_RO /dev/mapper/luks2-u-data /tmp/talos-check
	expect talos/close-busy 5 $LUKSVOL talos close
	if grep -q talos-STATE /proc/mounts; then fail talos/close-busy-unmounted-state "still mounted"; else pass talos/close-busy-unmounted-state; fi
	same talos/close-busy-left "$(mappings | tr '\n' ' ')" "luks2-EPHEMERAL luks2-STATE luks2-u-data "
	umount /tmp/talos-check
	expect talos/close 0 $LUKSVOL talos close
	grep -q "closed /dev/mapper/luks2-STATE" /tmp/out && pass talos/close-report ||
		fail talos/close-report "$(tr '\n' '|' </tmp/out)"
	same talos/closed-all "$(mappings | tr '\n' ' ')" ""
	if [ -e /run/luksvol/talos-STATE ] || [ -e /run/luksvol/talos-open ]; then
		fail talos/closed-clean "$(ls -la /run/luksvol)"
	else
		pass talos/closed-clean
	fi
	expect talos/close-nothing 4 $LUKSVOL talos close
}

talos_json_check() {
	expect talos/open-json 0 $LUKSVOL talos open --json --disk "$TALOS_LOOP"
	grep -q '"mapping":"/dev/mapper/luks2-u-data"' /tmp/out &&
		grep -q '"stateMount":"/run/luksvol/talos-STATE"' /tmp/out && pass talos/open-json-shape ||
		fail talos/open-json-shape "$(tr -d '\n ' </tmp/out | head -c 400)"
	expect talos/close-after-json 0 $LUKSVOL talos close
}

# A node that lost power: STATE's XFS log holds transactions that were
# never checkpointed.  talos open cannot replay them on its read-only
# mapping: it mounts with norecovery, says so, and still writes nothing.
talos_dirty_state() {
	printf '%s' "${TALOS_UUID}STATE" >/tmp/k
	$LUKSVOL open --key-file /tmp/k "${TALOS_LOOP}p3" luks2-STATE &&
		mount -t xfs /dev/mapper/luks2-STATE /tmp/talos-state &&
		echo late >/tmp/talos-state/late.txt && sync &&
		xfs_io -x -c shutdown /tmp/talos-state
	umount /tmp/talos-state
	$LUKSVOL close luks2-STATE
	talos_sums >/tmp/talos-sums-before
	expect talos/dirty-open 0 $LUKSVOL talos open --disk "$TALOS_LOOP"
	grep -q "warning: STATE's XFS log needs recovery" /tmp/out && pass talos/dirty-open-warns ||
		fail talos/dirty-open-warns "$(tr '\n' '|' </tmp/out)"
	same talos/dirty-config-read-back "$(sha256sum </run/luksvol/talos-STATE/config.yaml)" \
		"$(sha256sum </tmp/talos-config.yaml)"
	if dmsetup table luks2-STATE >/dev/null 2>&1 && dmsetup info luks2-STATE | grep -q "(READ-ONLY)"; then
		pass talos/dirty-state-mapped-ro
	else
		fail talos/dirty-state-mapped-ro "$(dmsetup info luks2-STATE 2>&1 | tr '\n' '|')"
	fi
	expect talos/dirty-close 0 $LUKSVOL talos close
	talos_check_unchanged dirty
}

# Talos's default: STATE not encrypted (META has no tag 9), a user volume
# with a nodeID key.  talos open mounts STATE through a read-only loop
# device (a read-only mount of the partition itself would write XFS's
# unmount record) and opens u-data; the disk keeps every byte.
talos_plain_state() {
	local plain=/tmp/talos-plain.img loop before
	rm -f "$plain"
	dd if=/dev/zero of="$plain" bs=1M count=0 seek=84 2>/dev/null
	{
		echo "label: gpt"
		echo "size=1M, type=$TALOS_LINUX_TYPE, name=META"
		echo "size=36M, type=$TALOS_LINUX_TYPE, name=STATE"
		echo "size=44M, type=$TALOS_LINUX_TYPE, name=u-data"
	} | sfdisk -q "$plain" >/dev/null 2>&1
	loop=$(losetup -f)
	losetup -P "$loop" "$plain"
	i=0
	while [ ! -b "${loop}p3" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	printf '%s' "$TALOS_UUID" | $LUKSVOL meta set UUIDOverride "${loop}p1"
	{
		printf 'version: v1alpha1\nmachine:\n  type: worker\n---\n'
		talos_data_head
		printf '    - slot: 0\n      nodeID: {}\n'
	} >/tmp/talos-plain.yaml
	$TALOS_XFS "${loop}p2" >/dev/null 2>&1
	mount -t xfs "${loop}p2" /tmp/talos-state &&
		cp /tmp/talos-plain.yaml /tmp/talos-state/config.yaml
	umount /tmp/talos-state
	expect talos/plain-build 0 $LUKSVOL apply --yes -f /tmp/talos-plain.yaml $TALOS_FAST
	$LUKSVOL close luks2-u-data
	before=$(sha256sum <"$plain")
	expect talos/plain-open 0 $LUKSVOL talos open --disk "$loop"
	grep -q "^STATE .*${loop}p2 .*not encrypted" /tmp/out &&
		grep -q "^u-data .*/dev/mapper/luks2-u-data .*opened with keyslot 0 (nodeID)" /tmp/out &&
		grep -q "STATE is mounted read-only at /run/luksvol/talos-STATE (xfs from /dev/loop[0-9]*, a read-only loop over ${loop}p2)" /tmp/out &&
		pass talos/plain-open-table || fail talos/plain-open-table "$(tr '\n' '|' </tmp/out)"
	same talos/plain-config-read-back "$(sha256sum </run/luksvol/talos-STATE/config.yaml)" \
		"$(sha256sum </tmp/talos-plain.yaml)"
	expect talos/plain-close 0 $LUKSVOL talos close
	same talos/plain-disk-unchanged "$(sha256sum <"$plain")" "$before"
	same talos/plain-loops-left "$(losetup -a | grep -v "$plain" | grep -c loop)" 0
	# Why the loop: a plain read-only mount of the partition writes.
	mount -t xfs -o ro "${loop}p2" /tmp/talos-check && umount /tmp/talos-check
	if [ "$(sha256sum <"$plain")" != "$before" ]; then
		pass talos/plain-ro-mount-writes
	else
		fail talos/plain-ro-mount-writes "a read-only XFS mount of the partition wrote nothing"
	fi
	losetup -d "$loop"
	rm -f "$plain"
}

talos_in_vm() {
	talos_partitions
	talos_build
	printf '%s' "${TALOS_UUID}STATE" >/tmp/k
	expect talos/state-nodeid-from-tag15 0 cryptsetup open --test-passphrase --key-slot 0 \
		--key-file /tmp/k "${TALOS_LOOP}p3"
	talos_apply_from_tag9
	talos_sums >/tmp/talos-sums-before
	talos_open_checks
	talos_close_checks
	talos_json_check
	talos_check_unchanged
	talos_dirty_state
	losetup -d "$TALOS_LOOP"
	rm -f "$TALOS_IMG"
}

talos_in_vm
talos_plain_state
