# t_faults.sh: real I/O faults under luksvol (issue 8, "Real I/O faults").
# The LUKS device is a device-mapper stack over /dev/vda: linear, except
# one range that is either dm-flakey failing writes (error_writes) or
# silently dropping them (drop_writes), or dm-error (reads and writes
# fail).  add-key runs on the stack; after the fault is removed (and the
# page caches dropped, so the checks read the disk) every passphrase that
# should still work opens /dev/vda with luksvol and cryptsetup.
#
# dm-flakey's error_writes also fails every cache flush sent to the stack
# (a flush is a write to each target), so under it the first fsync fails:
# the one after the keyslot area.  Failing writes past that point take
# dm-error, which flushes ignore; the header copies are read at load, so
# there luksvol's recovery of the unreadable copy is what fails.

FAULT=lvfault
FAULT_DEV=/dev/mapper/$FAULT
NEWKEY=/tmp/fault-new.key

# fault_map START COUNT TARGET: /dev/vda 1:1 as $FAULT_DEV, with sectors
# START..START+COUNT-1 behind TARGET: error_writes or drop_writes (dm-flakey,
# "down" all the time with up interval 0) or error (dm-error).
fault_map() {
	local start=$1 count=$2 target=$3 size end
	size=$(blockdev --getsz /dev/vda)
	end=$((start + count))
	{
		[ "$start" -gt 0 ] && echo "0 $start linear /dev/vda 0"
		if [ "$target" = error ]; then
			echo "$start $count error"
		else
			echo "$start $count flakey /dev/vda $start 0 1 1 $target"
		fi
		[ "$end" -lt "$size" ] && echo "$end $((size - end)) linear /dev/vda $end"
	} | dmsetup create $FAULT
}

# The checks read /dev/vda itself, past any cached page of either device.
fault_unmap() {
	dmsetup remove $FAULT >/dev/null 2>&1
	sync
	blockdev --flushbufs /dev/vda
	echo 3 >/proc/sys/vm/drop_caches
}

# luksDump field of keyslot 0: "Area offset" or "Area length", in bytes.
slot0_area() {
	cryptsetup luksDump /dev/vda | sed -n "/^  0: luks2/,/^  [1-9]/s/^[[:space:]]*$1:[[:space:]]*\([0-9]*\) \[bytes\]/\1/p" |
		head -1
}

# io_error_reported NAME WHAT: the stderr of the last `expect` is one
# line naming the device, WHAT failed, and the I/O error.
io_error_reported() {
	if grep -q "$FAULT: $2: Input/output error" /tmp/err && [ "$(grep -c . /tmp/err)" -eq 1 ]; then
		pass "$1"
	else
		fail "$1" "stderr: $(head -c 300 /tmp/err | tr '\n' ' ')"
	fi
}

# opens NAME KEYFILE WANT: luksvol and cryptsetup on /dev/vda, exit WANT.
opens() {
	expect "$1-luksvol" "$3" $LUKSVOL open --test-passphrase --key-file "$2" /dev/vda
	expect "$1-cryptsetup" "$3" cryptsetup open --test-passphrase --key-file "$2" /dev/vda
}

# fault_add_key NAME START COUNT TARGET [WHAT]: a fresh volume (slot 0
# opens with $KEY), then add-key of $NEWKEY through the fault; with WHAT
# it must fail (exit 1) and report that WHAT failed, without it succeed.
fault_add_key() {
	local name=faults/$1 start=$2 count=$3 target=$4 what=${5:-}
	$LUKSVOL format -q $FAST --key-file $KEY /dev/vda
	fault_unmap
	if ! fault_map "$start" "$count" "$target"; then
		fail "$name/map" "dmsetup create failed"
		return 1
	fi
	expect "$name/add-key-exit" "$([ -n "$what" ] && echo 1 || echo 0)" $LUKSVOL add-key $FAST \
		--key-file $KEY --new-key-file $NEWKEY $FAULT_DEV
	[ -n "$what" ] && io_error_reported "$name/reports-io-error" "$what"
	fault_unmap
	expect "$name/cryptsetup-loads" 0 cryptsetup luksDump /dev/vda
	expect "$name/luksvol-loads" 0 $LUKSVOL dump /dev/vda
	opens "$name/old-key-opens" $KEY 0
}

# repaired NAME: `repair` leaves both copies current, new key opening.
repaired() {
	expect "$1/repair" 0 $LUKSVOL repair /dev/vda
	same "$1/both-copies-current" "$(seqid 0)" "$(seqid $((hdr * 512)))"
	opens "$1/after-repair" $NEWKEY 0
}

# Sectors per header copy (binary header + JSON area) of /dev/vda.
metadata_sectors() {
	echo $(($(cryptsetup luksDump /dev/vda | sed -n 's/^Metadata area:[[:space:]]*\([0-9]*\) \[bytes\]/\1/p') / 512))
}

# The seqid of the header copy at byte OFFSET of /dev/vda, as hex.
seqid() {
	dd if=/dev/vda bs=8 skip=$((($1 + 16) / 8)) count=1 2>/dev/null | od -An -tx1 | tr -d ' \n'
}

faults_add_key() {
	local hdr area_start area_sectors
	printf '%s' 'fault test new passphrase' >$NEWKEY
	$LUKSVOL format -q $FAST --key-file $KEY /dev/vda
	hdr=$(metadata_sectors)
	# The new keyslot 1 takes the first free area: right after slot 0's.
	area_start=$((($(slot0_area 'Area offset') + $(slot0_area 'Area length')) / 512))
	area_sectors=$(($(slot0_area 'Area length') / 512))
	if [ "$hdr" -le 0 ] || [ "$area_start" -le $((2 * hdr)) ] || [ "$area_sectors" -le 0 ]; then
		fail faults/layout "cannot read the metadata size or keyslot 0's area from luksDump"
		return
	fi

	# The keyslot area write fails (its fsync): nothing names the area
	# yet, nothing changed.
	fault_add_key area-error "$area_start" "$area_sectors" error_writes \
		"keyslot 1: cannot write its area" &&
		opens faults/area-error/new-key-absent $NEWKEY 2
	# The device fails every cache flush (error_writes on sectors no one
	# writes): the first sync fails, the header is untouched.
	fault_add_key flush-error $(($(blockdev --getsz /dev/vda) - 8)) 8 error_writes \
		"keyslot 1: cannot write its area" &&
		opens faults/flush-error/new-key-absent $NEWKEY 2
	# A header copy neither reads nor writes (dm-error): luksvol loads the
	# other copy, and its recovery of this one fails before any change.
	fault_add_key secondary-error "$hdr" "$hdr" error "cannot recover the secondary header" &&
		opens faults/secondary-error/new-key-absent $NEWKEY 2
	fault_add_key primary-error 0 "$hdr" error "cannot recover the primary header" &&
		opens faults/primary-error/new-key-absent $NEWKEY 2
	# The secondary's writes vanish (drop_writes) after the area and the
	# primary were synced: the primary holds the new state (higher seqid)
	# and the new key works; repair rewrites the secondary.
	if fault_add_key secondary-dropped "$hdr" "$hdr" drop_writes; then
		opens faults/secondary-dropped/new-key-opens $NEWKEY 0
		repaired faults/secondary-dropped
	fi
	# The primary's writes vanish: the secondary holds the new state.
	if fault_add_key primary-dropped 0 "$hdr" drop_writes; then
		opens faults/primary-dropped/new-key-opens $NEWKEY 0
		repaired faults/primary-dropped
	fi
	# Every write vanishes: no tool can notice, add-key "succeeds", and
	# the disk keeps the old state untouched.
	fault_add_key all-dropped 0 "$(blockdev --getsz /dev/vda)" drop_writes &&
		opens faults/all-dropped/new-key-absent $NEWKEY 2
	# Only the keyslot area's writes vanish: the header names a keyslot
	# whose area holds no key.  It fails cleanly as a wrong passphrase,
	# and the other keyslot is unharmed.
	fault_add_key area-dropped "$area_start" "$area_sectors" drop_writes &&
		opens faults/area-dropped/new-key-fails-cleanly $NEWKEY 2
}

# ---- apply's key sync under faults ----

# apply_config FILE SECOND_PASSPHRASE [THIRD]: a user volume "data" with
# static keys in slots 0, 1 (and 2).
apply_config() {
	user_volume_head data >"$1"
	cat >>"$1" <<YAML
    - slot: 0
      static:
        passphrase: fault data secret
    - slot: 1
      static:
        passphrase: $2
YAML
	[ -n "${3:-}" ] && printf '    - slot: 2\n      static:\n        passphrase: %s\n' "$3" >>"$1"
}

# fault_apply CONFIG DEVICE: apply without mapping, cheap argon2; --yes:
# /init's standard input is the console, where the sync would ask first.
fault_apply() {
	$LUKSVOL apply --yes -f "$1" --device "u-data=$2" --no-activate --pbkdf-memory 64 \
		--pbkdf-force-iterations 4
}

# cs_slot_opens NAME SLOT PASSPHRASE WANT: cryptsetup, that keyslot only.
cs_slot_opens() {
	printf '%s' "$3" >/tmp/fault-slot.key
	expect "$1-cryptsetup" "$4" cryptsetup open --test-passphrase --key-slot "$2" \
		--key-file /tmp/fault-slot.key /dev/vda
}

# slot_opens NAME SLOT PASSPHRASE WANT: luksvol too.
slot_opens() {
	cs_slot_opens "$@"
	expect "$1-luksvol" "$4" $LUKSVOL open --test-passphrase --key-slot "$2" \
		--key-file /tmp/fault-slot.key /dev/vda
}

# fault_apply_case NAME START COUNT TARGET WANT_RC UNTOUCHED [REPORTED]: a
# volume apply formatted from v1 (slots 0, 1), then apply of v2 (slot 1
# changed, slot 2 added) through the fault: exit WANT_RC, and REPORTED
# (the start of one line of its output) names the device and the I/O
# error.  After the fault slot 0 opens, and with UNTOUCHED=1 v1's slot 1
# too; a clean apply of v2 then converges.
fault_apply_case() {
	local name=faults/apply-$1 start=$2 count=$3 target=$4 want=$5 untouched=$6 reported=${7:-}
	dd if=/dev/zero of=/dev/vda bs=1M count=16 conv=fsync 2>/dev/null
	expect "$name/format" 0 fault_apply /tmp/faults-v1.yaml /dev/vda
	fault_unmap
	if ! fault_map "$start" "$count" "$target"; then
		fail "$name/map" "dmsetup create failed"
		return
	fi
	expect "$name/apply-exit" "$want" fault_apply /tmp/faults-v2.yaml $FAULT_DEV
	if [ -n "$reported" ]; then
		if cat /tmp/out /tmp/err | grep -q "^u-data: $reported.*$FAULT.*Input/output error"; then
			pass "$name/reports-io-error"
		else
			fail "$name/reports-io-error" "output: $(cat /tmp/out /tmp/err | head -c 400 | tr '\n' ' ')"
		fi
	fi
	fault_unmap
	expect "$name/cryptsetup-loads" 0 cryptsetup luksDump /dev/vda
	slot_opens "$name/slot0-opens" 0 'fault data secret' 0
	[ "$untouched" = 1 ] && slot_opens "$name/v1-slot1-opens" 1 'fault second secret' 0
	expect "$name/clean-apply" 0 fault_apply /tmp/faults-v2.yaml /dev/vda
	cs_slot_opens "$name/converged-slot0" 0 'fault data secret' 0
	cs_slot_opens "$name/converged-slot1" 1 'fault second secret changed' 0
	cs_slot_opens "$name/converged-slot2" 2 'fault third secret' 0
	cs_slot_opens "$name/converged-old-slot1-gone" 1 'fault second secret' 2
}

faults_apply() {
	local hdr
	if ! $LUKSVOL apply --help >/dev/null 2>&1; then
		fail faults/apply "this luksvol has no apply verb"
		return
	fi
	apply_config /tmp/faults-v1.yaml 'fault second secret'
	apply_config /tmp/faults-v2.yaml 'fault second secret changed' 'fault third secret'
	dd if=/dev/zero of=/dev/vda bs=1M count=16 conv=fsync 2>/dev/null
	fault_apply /tmp/faults-v1.yaml /dev/vda >/dev/null
	hdr=$(metadata_sectors)
	if [ "$hdr" -le 0 ]; then
		fail faults/apply-layout "cannot read the metadata size from luksDump"
		return
	fi
	# Every cache flush fails: the first sync of the key sync fails, the
	# volume stays open and usable (exit 0), the failures are reported.
	fault_apply_case flush-error $(($(blockdev --getsz /dev/vda) - 8)) 8 error_writes 0 0 \
		"cannot replace keyslot 1"
	# The secondary header is unreadable and unwritable: opening it
	# writable recovers that copy, which fails; nothing is changed.
	fault_apply_case secondary-error "$hdr" "$hdr" error 1 1 "failed:"
	# Every write vanishes: apply "succeeds", and the disk keeps v1.
	fault_apply_case all-dropped 0 "$(blockdev --getsz /dev/vda)" drop_writes 0 1
}

faults_add_key
faults_apply
fault_unmap
