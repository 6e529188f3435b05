# t_kms.sh: a kms key on real dm-crypt.  The KMS test server
# (tests/kms/server.py) runs on the host (tests/vm/run.sh) and is reached
# through QEMU's user networking: 10.0.2.2 is the host's loopback as the
# guest sees it.  apply formats /dev/vdb (a disk of its own) with a kms key
# at slot 0 and a static one at slot 1 and maps it as
# /dev/mapper/luks2-u-kmsdata; after a close, the next apply unseals, opens
# through slot 0 and maps it again.  cryptsetup and dmsetup check the
# mapping: cryptsetup sees a LUKS2 mapping, and its own mapping through the
# static slot has the same table and reads the same data.  (The host then
# checks what the server received, the token, and slot 0 with base64(K).)

KMS_ENDPOINT_FILE=/test/kms/endpoint
KMS_DEV=/dev/vdb
KMS_MAPPING=luks2-u-kmsdata

# QEMU's user network: the guest is 10.0.2.15, the host 10.0.2.2.
kms_net_up() {
	ip link set lo up &&
		ip link set eth0 up &&
		ip addr add 10.0.2.15/24 dev eth0 &&
		ip route add default via 10.0.2.2
}

kms_config() {
	user_volume_head kmsdata >/tmp/kms.yaml
	cat >>/tmp/kms.yaml <<YAML
    - slot: 0
      kms:
        endpoint: $(cat "$KMS_ENDPOINT_FILE")
    - slot: 1
      static:
        passphrase: kms fallback
YAML
}

kms_apply() {
	$LUKSVOL apply --yes -f /tmp/kms.yaml --device "u-kmsdata=$KMS_DEV" --state-dir /tmp/kms-state \
		--node-uuid "$(cat /test/kms/node-uuid)" --pbkdf-memory 64 --pbkdf-force-iterations 4
}

# kms_reported NAME PATTERN: a line of apply's report matches PATTERN.
kms_reported() {
	if grep -q "$2" /tmp/out; then pass "$1"; else fail "$1" "$(tr '\n' '|' </tmp/out)"; fi
}

kms_mapped() { crypt_mapped "kms/$1-mapped" "$KMS_MAPPING"; }

# A mapping's table with the key field blanked: the key is a keyring
# reference or hex, depending on who made the mapping.
kms_table() {
	dmsetup table "$1" | awk '{ $5 = "-"; print }'
}

kms_data_digest() {
	head -c 1048576 "/dev/mapper/$1" | sha256sum | cut -d' ' -f1
}

# cryptsetup's own mapping of the volume through the static slot: the same
# table and the same data as the one the kms key made.
kms_cryptsetup_cross_check() {
	local table=$1 data=$2
	printf '%s' 'kms fallback' >/tmp/kms-static.key
	expect kms/cryptsetup-opens-static-slot 0 cryptsetup open --key-slot 1 \
		--key-file /tmp/kms-static.key $KMS_DEV kms-cs
	same kms/cryptsetup-same-table "$(kms_table kms-cs)" "$table"
	same kms/cryptsetup-same-data "$(kms_data_digest kms-cs)" "$data"
	cryptsetup close kms-cs
	rm -f /tmp/kms-static.key
}

kms_vm_tests() {
	local table
	kms_config
	expect kms/format 0 kms_apply
	kms_reported kms/format-report 'u-kmsdata: formatted with keyslot 0 (kms)'
	kms_reported kms/format-mapped-report "u-kmsdata: mapped as /dev/mapper/$KMS_MAPPING"
	kms_mapped format
	dd if=/dev/urandom of=/tmp/kms-data bs=1M count=1 2>/dev/null
	dd if=/tmp/kms-data of=/dev/mapper/$KMS_MAPPING bs=1M conv=fsync 2>/dev/null
	expect kms/close 0 $LUKSVOL close $KMS_MAPPING
	expect kms/reopen 0 kms_apply
	kms_reported kms/reopen-through-kms 'u-kmsdata: opened with keyslot 0 (kms)'
	kms_reported kms/reopen-static-in-sync 'u-kmsdata: in sync: keyslot 1 (static)'
	kms_mapped reopen
	same kms/data-survives "$(kms_data_digest $KMS_MAPPING)" "$(sha256sum </tmp/kms-data | cut -d' ' -f1)"
	if cryptsetup status $KMS_MAPPING | grep -q 'type: *LUKS2'; then pass kms/cryptsetup-status-luks2
	else fail kms/cryptsetup-status-luks2 "$(cryptsetup status $KMS_MAPPING 2>&1 | tr '\n' '|')"; fi
	table=$(kms_table $KMS_MAPPING)
	expect kms/close-reopened 0 $LUKSVOL close $KMS_MAPPING
	kms_cryptsetup_cross_check "$table" "$(sha256sum </tmp/kms-data | cut -d' ' -f1)"
	rm -f /tmp/kms-data
	same kms/nothing-left "$(mappings | grep -E "^($KMS_MAPPING|kms-cs)\$")" ""
}

if [ ! -f "$KMS_ENDPOINT_FILE" ]; then
	fail kms/endpoint "the host started no KMS server"
elif [ ! -b $KMS_DEV ]; then
	fail kms/disk "no $KMS_DEV: the host did not attach the kms disk"
elif kms_net_up; then
	pass kms/network
	kms_vm_tests
else
	fail kms/network "cannot configure eth0 (virtio_net)"
fi
