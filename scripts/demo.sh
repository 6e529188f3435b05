#!/bin/bash
# demo.sh: the main job (`make demo`).  A GPT disk with partitions named
# STATE, EPHEMERAL and u-data, and the Talos example config: nodeID keys
# for STATE and EPHEMERAL, a user volume with a static key locked to STATE.
# `luksvol apply` formats and maps them, files survive a reboot, and a key
# is rotated.  dm-crypt runs directly when this host has it and we are
# root; otherwise in the test VM (Debian's kernel under qemu).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
LV_TOP=$PWD
WORK=$BUILD/demo
rm -rf "$WORK"
mkdir -p "$WORK/configs"

DEMO_UUID=4c4c4544-0042-3510-8052-b4c04f4b4d32

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

state_doc() {
	cat <<'YAML'
apiVersion: v1alpha1
kind: VolumeConfig
name: STATE
encryption:
  provider: luks2
  keys:
    - slot: 0
      nodeID: {}
YAML
}

# user_keys KEYS...: the u-data document with these key entries.
user_doc() {
	cat <<'YAML'
---
apiVersion: v1alpha1
kind: VolumeConfig
name: EPHEMERAL
encryption:
  provider: luks2
  keys:
    - slot: 0
      nodeID: {}
---
apiVersion: v1alpha1
kind: UserVolumeConfig
name: data
provisioning:
  diskSelector:
    match: "!system_disk"
  minSize: 32MiB
filesystem:
  type: ext4
encryption:
  provider: luks2
  keys:
YAML
	printf '%s\n' "$@"
}

OLD_KEY='    - slot: 0
      static:
        passphrase: data passphrase
      lockToState: true'
NEW_KEY='    - slot: 1
      static:
        passphrase: rotated data passphrase
      lockToState: true'

write_configs() {
	state_doc >"$WORK/configs/state.yaml"
	{ state_doc; user_doc "$OLD_KEY"; } >"$WORK/configs/volumes.yaml"
	{ state_doc; user_doc "$OLD_KEY" "$NEW_KEY"; } >"$WORK/configs/rotate-1.yaml"
	{ state_doc; user_doc "$NEW_KEY"; } >"$WORK/configs/rotate-2.yaml"
}

make_disk() {
	truncate -s 160M "$WORK/disk.img"
	printf 'label: gpt\nsize=48M, name=STATE\nsize=48M, name=EPHEMERAL\nsize=48M, name=u-data\n' |
		sfdisk -q "$WORK/disk.img"
	sfdisk -l "$WORK/disk.img" | sed -n '/^Device/,$p'
}

host_has_dm_crypt() {
	[ "$(id -u)" = 0 ] && [ -e /dev/mapper/control ] && modprobe dm-crypt 2>/dev/null &&
		grep -qw crypt <(dmsetup targets 2>/dev/null)
}

run_on_host() {
	local loop
	loop=$(losetup -f --show -P "$WORK/disk.img")
	udevadm settle 2>/dev/null || sleep 1
	LUKSVOL=$LV_TOP/$BUILD/luksvol DEMO=$WORK/configs PART=${loop}p sh scripts/demo_volumes.sh
	losetup -d "$loop"
}

run_in_vm() {
	local overlay=$WORK/overlay out=$WORK/console.txt
	source tests/vm/vm.sh
	mkdir -p "$overlay/test" "$overlay/demo"
	vm_add_program "$overlay" "$BUILD/luksvol"
	cp "$WORK"/configs/*.yaml "$overlay/demo/"
	cp scripts/demo_volumes.sh "$overlay/test/demo_volumes.sh"
	printf 'modprobe crc32c_generic; modprobe ext4\nPART=/dev/vda sh /test/demo_volumes.sh\n' >"$overlay/test/run.sh"
	echo "(booting Debian's kernel under qemu; this takes a minute)"
	VM_QEMU_ARGS="-uuid $DEMO_UUID" vm_run "$overlay" "$WORK/disk.img" "$out" 900 || { tail -20 "$out"; exit 1; }
	tr -d '\r' <"$out" | sed -n '/=== LVTEST BEGIN ===/,/=== LVTEST END/p' | sed '1d;$d'
	grep -q '^=== LVTEST END rc=0 ' <(tr -d '\r' <"$out") || { echo "demo: failed in the VM"; exit 1; }
}

step "the volume config (Talos's VolumeConfig and UserVolumeConfig documents)"
write_configs
cat "$WORK/configs/volumes.yaml"
step "luksvol config check, and the effective config with defaults filled in"
"$BUILD/luksvol" config check -f "$WORK/configs/volumes.yaml" && echo "config OK"
"$BUILD/luksvol" config show -f "$WORK/configs/volumes.yaml"
step "a GPT disk image with partitions named STATE, EPHEMERAL and u-data"
make_disk
if host_has_dm_crypt; then
	step "this host has dm-crypt: running directly"
	run_on_host
else
	step "no dm-crypt on this host: running in the VM"
	run_in_vm
fi
