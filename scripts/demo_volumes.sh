#!/bin/sh
# demo_volumes.sh: the part of `make demo` that needs dm-crypt, run by
# scripts/demo.sh inside the VM (or directly on a root host with dm-crypt).
# POSIX sh, because the VM has busybox.  Expects LUKSVOL, DEMO (the
# configs) and DISK (the GPT disk, partitions ${PART}1..3).
set -eu
: "${LUKSVOL:=/bin/luksvol}" "${DEMO:=/demo}"
# --yes: at boot standard input is the console, a terminal, where apply
# would otherwise ask before its key sync removes a keyslot.
APPLY_OPTS="--yes --pbkdf-memory 16384 --pbkdf-force-iterations 4"
STATE_MNT=/run/state

say() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

mount_volume() {
	mkdir -p "$2"
	mount -t ext2 "/dev/mapper/luks2-$1" "$2"
}

boot_state() {
	say "boot: STATE comes up first (nodeID key), and is mounted"
	run $LUKSVOL apply -f "$DEMO/state.yaml" $APPLY_OPTS
	if [ "${1:-}" = format ]; then
		mke2fs /dev/mapper/luks2-STATE >/dev/null 2>&1
	fi
	mount_volume STATE "$STATE_MNT"
}

boot_volumes() {
	say "boot: every volume of the config; lockToState salts live on STATE"
	run $LUKSVOL apply -f "$DEMO/volumes.yaml" --state-dir "$STATE_MNT" $APPLY_OPTS
}

shutdown() {
	say "shutdown: unmount and close every volume"
	for vol in u-data EPHEMERAL STATE; do
		if [ "$vol" = STATE ]; then umount "$STATE_MNT"; else umount "/mnt/$vol"; fi
		run $LUKSVOL close "luks2-$vol"
	done
}

first_boot() {
	say "the node UUID (SMBIOS) that nodeID keys derive from"
	cat /sys/class/dmi/id/product_uuid
	say "the plan for the empty disk: --dry-run writes nothing"
	run $LUKSVOL apply --dry-run -f "$DEMO/state.yaml"
	boot_state format
	boot_volumes
	ls -l "$STATE_MNT/encryption-salt.yaml"
	for part in 1 2 3; do
		say "luksvol dump ${PART}$part"
		$LUKSVOL dump "${PART}$part"
	done
	say "the opened volumes get a filesystem and a file each"
	for vol in EPHEMERAL u-data; do
		mke2fs "/dev/mapper/luks2-$vol" >/dev/null 2>&1
		mount_volume "$vol" "/mnt/$vol"
	done
	for vol in EPHEMERAL u-data; do
		echo "written to $vol on the first boot" >"/mnt/$vol/hello.txt"
	done
	echo "written to STATE on the first boot" >"$STATE_MNT/hello.txt"
	sync
	run $LUKSVOL status
}

second_boot() {
	boot_state
	boot_volumes
	for vol in EPHEMERAL u-data; do
		mount_volume "$vol" "/mnt/$vol"
	done
	say "the files written before the reboot read back"
	run cat "$STATE_MNT/hello.txt" /mnt/EPHEMERAL/hello.txt /mnt/u-data/hello.txt
}

rotate() {
	say "key rotation, step 1: the config adds a new key in slot 1 of u-data"
	run $LUKSVOL apply -f "$DEMO/rotate-1.yaml" --state-dir "$STATE_MNT" $APPLY_OPTS
	say "key rotation, step 2: the config drops the old key in slot 0"
	run $LUKSVOL apply -f "$DEMO/rotate-2.yaml" --state-dir "$STATE_MNT" $APPLY_OPTS
	say "u-data now has exactly the configured keyslot"
	$LUKSVOL dump "${PART}3" | sed -n '/^Keyslots:/,/^Tokens:/p' | grep -E '^  [0-9]+: |^Tokens'
	say "cryptsetup agrees: the rotated passphrase (with the STATE salt) opens slot 1"
	{
		printf '%s' 'rotated data passphrase'
		for n in $(sed -n 's/^    - //p' "$STATE_MNT/encryption-salt.yaml"); do
			printf "\\$(printf %03o "$n")"
		done
	} >/tmp/rotated.key
	run cryptsetup open --test-passphrase --key-slot 1 --key-file /tmp/rotated.key "${PART}3" &&
		echo "cryptsetup: slot 1 opens"
	rm -f /tmp/rotated.key
}

first_boot
shutdown
second_boot
rotate
shutdown
