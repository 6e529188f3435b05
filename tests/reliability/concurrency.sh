#!/bin/bash
# concurrency.sh: concurrent metadata writers.  luksvol takes cryptsetup's
# metadata lock (flock on the image file) from before it reads the header to
# after it writes it, so concurrent luksvol and cryptsetup writers serialize;
# and a writer that bypasses the lock is caught by the seqid check before
# the keyslot area and the header are written (lv_device_check_seqid:
# -EBUSY, exit 5); concurrent applies on one blank device format it once.
set -u
source "$(dirname "$0")/../lib.sh"
DIR=$LV_WORK/concurrency
mkdir -p "$DIR"
FAST=(--pbkdf pbkdf2 --pbkdf-force-iterations 1000)
SLOW=(--pbkdf argon2id --pbkdf-memory 65536 --pbkdf-force-iterations 4)
OPT_LUKSVOL=${OPT_LUKSVOL:-$LV_TOP/$BUILD/luksvol}
IMG=$DIR/conc.img

fresh() { rm -f "$IMG"; truncate -s 40M "$IMG"; }

# Eight luksvol add-key (ASan build) and two cryptsetup luksAddKey at once.
#
# cryptsetup 2.6.1 loads the header under a short read lock, releases it,
# unlocks the base keyslot, and only then takes the write lock; right after
# taking it, it compares the on-disk seqid with the one it loaded and aborts
# with "Detected attempt for concurrent LUKS2 metadata update" (exit 1) when
# another writer committed in between - before it writes any keyslot area.
# That is cryptsetup's own protocol (read and write are separate lock
# sections), not a luksvol bug, so the test retries such a cryptsetup command
# (up to 5 times).  luksvol holds the lock across read..write and must never
# fail.
test_concurrent_add() {
	local i pids=() rc slot slots=() n name
	fresh
	printf 'base passphrase %s' "$RANDOM" >"$DIR/base.key"
	if ! "$LUKSVOL" format -q "${FAST[@]}" --key-file "$DIR/base.key" "$IMG"; then
		t_fail concurrency/add/format "format failed"
		return
	fi
	for i in 1 2 3 4 5 6 7 8 9 10; do
		printf 'new passphrase %d-%s' "$i" "$RANDOM$RANDOM" >"$DIR/new$i.key"
	done
	for i in 1 2 3 4 5 6 7 8; do
		"$LUKSVOL" add-key -v "${SLOW[@]}" --key-file "$DIR/base.key" \
			--new-key-file "$DIR/new$i.key" "$IMG" >"$DIR/add$i.out" 2>"$DIR/add$i.err" &
		pids[i]=$!
	done
	for i in 9 10; do
		(
			for try in 1 2 3 4 5; do
				cryptsetup luksAddKey -v -q "${SLOW[@]}" --key-file "$DIR/base.key" \
					"$IMG" "$DIR/new$i.key" >"$DIR/add$i.out" 2>"$DIR/add$i.err"
				rc=$?
				echo "$try" >"$DIR/add$i.tries"
				[ $rc -eq 0 ] && exit 0
				grep -q 'concurrent LUKS2 metadata update' "$DIR/add$i.err" || exit $rc
				cp "$DIR/add$i.err" "$DIR/add$i.err.$try"
			done
			exit $rc
		) &
		pids[i]=$!
	done
	for i in 1 2 3 4 5 6 7 8 9 10; do
		wait "${pids[i]}"
		rc=$?
		[ $i -le 8 ] && name=concurrency/add/luksvol-$i || name=concurrency/add/cryptsetup-$i
		if [ $rc -eq 0 ]; then t_pass "$name"; else
			t_fail "$name" "exit $rc: $(head -c 300 "$DIR/add$i.err")"; fi
		slots[i]=$(sed -n 's/^Key slot \([0-9]*\) created\.$/\1/p' "$DIR/add$i.out")
	done
	for i in 9 10; do
		n=$(cat "$DIR/add$i.tries" 2>/dev/null)
		echo "concurrency: cryptsetup luksAddKey $i needed ${n:-?} attempt(s)" >&2
	done
	# Every new key opens its slot with both tools (--key-slot keeps the
	# argon2 trials to one per key).
	for i in 1 2 3 4 5 6 7 8 9 10; do
		slot=${slots[i]:-}
		if [ -z "$slot" ]; then
			t_fail "concurrency/add/key$i-slot" "no 'Key slot N created.' line"
			continue
		fi
		# Both tools at once (each check is one 64 MiB argon2).
		"$OPT_LUKSVOL" open --test-passphrase --key-slot "$slot" --key-file "$DIR/new$i.key" \
			"$IMG" 2>"$DIR/open$i.lv.err" &
		pids[1]=$!
		cryptsetup open --test-passphrase --key-slot "$slot" --key-file "$DIR/new$i.key" \
			"$IMG" 2>"$DIR/open$i.cs.err" &
		pids[2]=$!
		wait "${pids[1]}"
		rc=$?
		if [ $rc -eq 0 ]; then t_pass "concurrency/add/key$i-opens-luksvol"; else
			t_fail "concurrency/add/key$i-opens-luksvol" "exit $rc: $(head -c 300 "$DIR/open$i.lv.err")"; fi
		wait "${pids[2]}"
		rc=$?
		if [ $rc -eq 0 ]; then t_pass "concurrency/add/key$i-opens-cryptsetup"; else
			t_fail "concurrency/add/key$i-opens-cryptsetup" "exit $rc: $(head -c 300 "$DIR/open$i.cs.err")"; fi
	done
	t_expect concurrency/add/base-opens 0 "$OPT_LUKSVOL" open --test-passphrase --key-slot 0 \
		--key-file "$DIR/base.key" "$IMG"
	n=$(printf '%s\n' "${slots[@]}" | sort -u | grep -c .)
	t_same concurrency/add/distinct-slots "$n" 10
	t_expect concurrency/add/cryptsetup-luksDump 0 cryptsetup luksDump "$IMG"
	n=$(grep -c -E '^  [0-9]+: luks2' "$LV_WORK/last.out")
	t_same concurrency/add/eleven-keyslots "$n" 11
	t_expect concurrency/add/luksvol-dump 0 "$LUKSVOL" dump "$IMG"
	t_expect concurrency/add/cryptsetup-repair-nothing 0 cryptsetup repair -q "$IMG"
}

# bump_seqid IMG: rewrite the primary header's seqid (+1) and checksum
# without taking the lock (flock is advisory: a plain open bypasses it).
bump_seqid() {
	/usr/bin/python3 - "$1" <<'EOF'
import hashlib, os, struct, sys
fd = os.open(sys.argv[1], os.O_RDWR)
hdr_size = struct.unpack(">Q", os.pread(fd, 8, 8))[0]
hdr = bytearray(os.pread(fd, hdr_size, 0))
seqid = struct.unpack(">Q", hdr[0x10:0x18])[0] + 1
hdr[0x10:0x18] = struct.pack(">Q", seqid)
hdr[0x1C0:0x200] = bytes(64)
hdr[0x1C0:0x1C0 + 32] = hashlib.sha256(hdr).digest()
os.pwrite(fd, bytes(hdr[:0x200]), 0)
os.fsync(fd)
os.close(fd)
print(seqid)
EOF
}

# primary_seqid IMG
primary_seqid() {
	/usr/bin/python3 -c 'import struct,sys
print(struct.unpack(">Q", open(sys.argv[1], "rb").read(0x18)[0x10:])[0])' "$1"
}

# wait_in_kdf PID: wait (at most 20 s) until PID's resident memory passes
# 128 MiB: it is inside the 256 MiB argon2 of the new keyslot, so it has
# read the header and unlocked, and has not committed yet.
wait_in_kdf() {
	local pid=$1 i rss
	for i in $(seq 400); do
		rss=$(awk '/^VmRSS:/{print $2}' "/proc/$pid/status" 2>/dev/null)
		[ -z "$rss" ] && return 1
		[ "$rss" -gt 131072 ] && return 0
		sleep 0.05
	done
	return 1
}

# A writer that bypasses the lock, between luksvol's read and its commit.
test_seqid_check() {
	local pid rc before after areas
	local VSLOW=(--pbkdf argon2id --pbkdf-memory 262144 --pbkdf-force-iterations 4)
	fresh
	printf 'seqid base' >"$DIR/sbase.key"
	printf 'seqid new' >"$DIR/snew.key"
	"$LUKSVOL" format -q "${FAST[@]}" --key-file "$DIR/sbase.key" "$IMG"
	# The -O2 build: ASan would only make the 256 MiB argon2 slower.
	"$OPT_LUKSVOL" add-key "${VSLOW[@]}" --key-file "$DIR/sbase.key" \
		--new-key-file "$DIR/snew.key" "$IMG" >"$DIR/seqid.out" 2>"$DIR/seqid.err" &
	pid=$!
	if ! wait_in_kdf "$pid"; then
		wait "$pid"
		t_fail concurrency/seqid/timing "add-key never reached its KDF (exit $?): $(head -c 300 "$DIR/seqid.err")"
		return
	fi
	before=$(primary_seqid "$IMG")
	after=$(bump_seqid "$IMG")
	areas=$(tail -c +32769 "$IMG" | sha256sum)
	if kill -0 "$pid" 2>/dev/null; then t_pass concurrency/seqid/bumped-while-running; else
		t_fail concurrency/seqid/bumped-while-running "add-key finished before the bump"; fi
	wait "$pid"
	rc=$?
	t_same concurrency/seqid/exit-5 "$rc" 5
	if grep -q 'detected a concurrent metadata update' "$DIR/seqid.err"; then
		t_pass concurrency/seqid/message
	else
		t_fail concurrency/seqid/message "stderr: $(head -c 300 "$DIR/seqid.err")"
	fi
	t_same concurrency/seqid/nothing-written "$(primary_seqid "$IMG")" "$after"
	# Not even the keyslot area: it could be one the other writer took.
	t_same concurrency/seqid/area-not-written "$(tail -c +32769 "$IMG" | sha256sum)" "$areas"
	[ "$after" -eq $((before + 1)) ] || t_fail concurrency/seqid/bump "seqid $before -> $after"
	t_expect concurrency/seqid/cryptsetup-loads 0 cryptsetup luksDump "$IMG"
	t_expect concurrency/seqid/luksvol-loads 0 "$LUKSVOL" dump "$IMG"
	t_expect concurrency/seqid/base-opens 0 "$OPT_LUKSVOL" open --test-passphrase --key-slot 0 \
		--key-file "$DIR/sbase.key" "$IMG"
	t_expect concurrency/seqid/new-key-not-added 2 cryptsetup open --test-passphrase \
		--key-file "$DIR/snew.key" "$IMG"
	# The image stays writable: a retry succeeds.
	t_expect concurrency/seqid/retry-succeeds 0 "$LUKSVOL" add-key "${FAST[@]}" \
		--key-file "$DIR/sbase.key" --new-key-file "$DIR/snew.key" "$IMG"
	t_expect concurrency/seqid/retry-opens 0 cryptsetup open --test-passphrase \
		--key-file "$DIR/snew.key" "$IMG"
}

# hold_lock NAME: another process takes cryptsetup's metadata lock (flock
# on the image) and keeps it until $DIR/NAME.release exists.
hold_lock() {
	rm -f "$DIR/$1.locked" "$DIR/$1.release"
	(
		flock -x 9 && touch "$DIR/$1.locked" &&
			while [ ! -e "$DIR/$1.release" ]; do sleep 0.05; done
	) 9<"$IMG" &
	HOLDER=$!
	for _ in $(seq 200); do [ -e "$DIR/$1.locked" ] && return 0; sleep 0.05; done
	return 1
}

# wipe is a writer: while another process holds the metadata lock it waits
# (as config --label, a header writer, does), writing nothing, and wipes
# once the lock is let go.
test_wipe_waits_for_lock() {
	local wipe_pid label_pid rc before
	fresh
	printf 'wipe base' >"$DIR/wbase.key"
	"$LUKSVOL" format -q "${FAST[@]}" --key-file "$DIR/wbase.key" "$IMG"
	before=$(sha256sum <"$IMG")
	if ! hold_lock wipe; then
		t_fail concurrency/wipe/lock-held "flock never took the image's lock"
		kill "$HOLDER" 2>/dev/null
		return
	fi
	"$LUKSVOL" config --label waited "$IMG" >"$DIR/label.out" 2>&1 &
	label_pid=$!
	sleep 1
	"$LUKSVOL" wipe --yes "$IMG" >"$DIR/wipe.out" 2>&1 &
	wipe_pid=$!
	sleep 1
	if kill -0 "$label_pid" 2>/dev/null; then t_pass concurrency/wipe/writer-waits; else
		t_fail concurrency/wipe/writer-waits "config --label did not wait for the lock"; fi
	if kill -0 "$wipe_pid" 2>/dev/null; then t_pass concurrency/wipe/waits; else
		t_fail concurrency/wipe/waits "wipe did not wait for the lock: $(head -c 300 "$DIR/wipe.out")"; fi
	t_same concurrency/wipe/nothing-written-while-locked "$(sha256sum <"$IMG")" "$before"
	touch "$DIR/wipe.release"
	wait "$HOLDER"
	# flock does not queue: the label writer may run before or after the
	# wipe (then finding no LUKS), so only that it waited is checked.
	wait "$label_pid"
	wait "$wipe_pid"
	rc=$?
	t_same concurrency/wipe/wiped-after-release "$rc" 0
	if cmp -s -n $((16 << 20)) "$IMG" /dev/zero; then t_pass concurrency/wipe/header-zeroed; else
		t_fail concurrency/wipe/header-zeroed "the header area is not zero"; fi
}

# apply_config N: a user volume whose one key (slot 0) is "apply pass N".
apply_config() {
	printf 'apiVersion: v1alpha1\nkind: UserVolumeConfig\nname: data\n'
	printf 'encryption:\n  provider: luks2\n  keys:\n'
	printf '    - slot: 0\n      static:\n        passphrase: apply pass %s\n' "$1"
}

# N applies at once on one blank image, each with its own passphrase, in
# many rounds: the device's lock is taken before the emptiness probe and
# held through the format, so exactly one run formats; every other one
# finds LUKS2 under the lock and takes the open path (its key opens
# nothing: exit 2, never a second format), and the header that is left
# opens with the formatting run's passphrase only.
test_concurrent_apply() {
	local runs=${LV_APPLY_RUNS:-4} rounds=${LV_APPLY_ROUNDS:-10} round i rc pids=()
	local formats winner bad=0 good=0
	local APPLY_FAST=(--pbkdf-memory 32 --pbkdf-force-iterations 4 --pbkdf-parallel 1)
	for i in $(seq "$runs"); do
		apply_config "$i" >"$DIR/apply$i.yaml"
		printf 'apply pass %s' "$i" >"$DIR/apply$i.key"
	done
	for round in $(seq "$rounds"); do
		fresh
		for i in $(seq "$runs"); do
			"$LUKSVOL" apply -f "$DIR/apply$i.yaml" --device "u-data=$IMG" --no-activate \
				"${APPLY_FAST[@]}" >"$DIR/apply$i.out" 2>"$DIR/apply$i.err" &
			pids[i]=$!
		done
		formats=0
		winner=
		for i in $(seq "$runs"); do
			wait "${pids[i]}"
			rc=$?
			if [ $rc -eq 0 ] && grep -q '^u-data: formatted with keyslot 0' "$DIR/apply$i.out"; then
				formats=$((formats + 1))
				winner=$i
			elif [ $rc -eq 2 ] && grep -q '^u-data: keyslot 0 (static) does not open it' "$DIR/apply$i.out" &&
				grep -q 'no configured key opens the volume' "$DIR/apply$i.err"; then
				:
			else
				bad=$((bad + 1))
				t_fail "concurrency/apply/round$round-run$i" "exit $rc, neither formatted nor opened: $(head -c 300 "$DIR/apply$i.out" "$DIR/apply$i.err")"
			fi
		done
		if [ "$formats" -ne 1 ]; then
			bad=$((bad + 1))
			t_fail "concurrency/apply/round$round-one-format" "$formats of $runs runs formatted"
			continue
		fi
		cryptsetup luksDump "$IMG" >/dev/null 2>&1 &&
			cryptsetup open --test-passphrase --key-slot 0 --key-file "$DIR/apply$winner.key" "$IMG" ||
			{ bad=$((bad + 1)); t_fail "concurrency/apply/round$round-winner-opens" \
				"cryptsetup does not open the header with run $winner's passphrase"; continue; }
		for i in $(seq "$runs"); do
			[ "$i" = "$winner" ] && continue
			if cryptsetup open --test-passphrase --key-file "$DIR/apply$i.key" "$IMG" 2>/dev/null; then
				bad=$((bad + 1))
				t_fail "concurrency/apply/round$round-loser$i" "run $i's passphrase opens the header"
			fi
		done
		good=$((good + 1))
	done
	t_same concurrency/apply/rounds-one-format-each "$good" "$rounds"
	[ "$bad" -eq 0 ] && t_pass concurrency/apply/no-double-format
	t_expect concurrency/apply/luksvol-loads 0 "$LUKSVOL" dump "$IMG"
}

SECONDS=0
test_concurrent_add
echo "concurrency: concurrent add-key phase took ${SECONDS}s" >&2
SECONDS=0
test_seqid_check
test_wipe_waits_for_lock
echo "concurrency: seqid phase took ${SECONDS}s" >&2
SECONDS=0
test_concurrent_apply
echo "concurrency: concurrent apply phase took ${SECONDS}s" >&2
