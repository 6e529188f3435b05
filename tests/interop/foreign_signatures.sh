#!/bin/bash
# foreign_signatures.sh: a LUKS2 device with a damaged header copy that now
# also carries another signature (someone ran mkfs, mkswap or a
# partitioner over it) is never "recovered" on top of it (issue 13 item 5).
# Each signature is made by its real tool on a scratch image and the bytes
# that carry it are copied over a cryptsetup header, damaging one copy.
# For each: luksvol's add-key refuses (exit 1, every byte unchanged), as
# cryptsetup's luksAddKey does ("Device contains ambiguous signatures");
# `luksvol repair` then recovers the header, as `cryptsetup repair` does.
# A damaged copy with no foreign signature is recovered by add-key.
set -u
source "$(dirname "$0")/../lib.sh"
pristine_fixture foreign_signatures 32M 'signature passphrase' 'a second passphrase'

# copy_bytes FROM TO OFFSET LENGTH
copy_bytes() {
	dd if="$1" of="$2" bs=1 skip="$3" seek="$3" count="$4" conv=notrunc status=none
}

# with_signature KIND IMG: PRISTINE with KIND's signature in IMG.
with_signature() {
	local kind=$1 img=$2 scratch=$DIR/scratch.img
	rm -f "$scratch"
	cp "$PRISTINE" "$img"
	case $kind in
	ext4) # superblock at 1024, inside the primary binary header
		truncate -s 32M "$scratch"
		mkfs.ext4 -q -F "$scratch"
		copy_bytes "$scratch" "$img" 1024 1024 ;;
	swap) # swap header 1024..4095, "SWAPSPACE2" at 4086
		truncate -s 32M "$scratch"
		mkswap -q "$scratch" >/dev/null
		copy_bytes "$scratch" "$img" 1024 3072 ;;
	xfs) # superblock at 0: the primary's magic is gone
		truncate -s 512M "$scratch"
		mkfs.xfs -q -f "$scratch"
		copy_bytes "$scratch" "$img" 0 512 ;;
	dos) # partition entries and 0x55AA at 446..511
		truncate -s 32M "$scratch"
		echo 'start=2048, size=4096, type=83' | sfdisk -q -X dos "$scratch"
		copy_bytes "$scratch" "$img" 440 72 ;;
	gpt) # protective MBR, GPT header and a 4-entry table; backup at the end
		truncate -s 32M "$scratch"
		printf 'label: gpt\ntable-length: 4\nfirst-lba: 2048\nstart=2048, size=4096\n' |
			sfdisk -q "$scratch"
		copy_bytes "$scratch" "$img" 0 1536
		copy_bytes "$scratch" "$img" $((32 * 1024 * 1024 - 1024)) 1024 ;;
	garbage) # no signature: random bytes over the primary's JSON
		head -c 512 /dev/urandom | dd of="$img" bs=1 seek=8192 conv=notrunc status=none ;;
	esac
	rm -f "$scratch"
}

# The signature is there (wipefs lists every one blkid finds), and one
# header copy is damaged, so a writable load wants to recover it.
check_setup() {
	local kind=$1 img=$2 found
	found=$(wipefs -n -O TYPE --noheadings "$img" | grep -v crypto_LUKS | tr '\n' ' ')
	if [ "$kind" = garbage ]; then
		t_same "signature/$kind/setup-no-foreign" "$found" ""
	else
		case "$found" in
		*"$kind"* | *PMBR*) t_pass "signature/$kind/setup" ;;
		*) t_fail "signature/$kind/setup" "wipefs found '$found'" ;;
		esac
	fi
	if "$LUKSVOL" dump "$img" 2>&1 >/dev/null | grep -q 'header copy is damaged'; then
		t_pass "signature/$kind/setup-copy-damaged"
	else
		t_fail "signature/$kind/setup-copy-damaged" "dump shows no damaged copy"
	fi
}

for kind in ext4 swap xfs dos gpt; do
	img=$DIR/$kind.img
	with_signature "$kind" "$img"
	check_setup "$kind" "$img"
	before=$(sha256sum <"$img")
	cp "$img" "$DIR/cs.img"
	cryptsetup luksAddKey -q "${FAST[@]}" --key-file "$KEY" "$DIR/cs.img" "$NEW" >"$DIR/cs.out" 2>&1
	rc=$?
	t_same "signature/$kind/cryptsetup-refuses" "$rc $(grep -c 'ambiguous signatures' "$DIR/cs.out")" "1 1"
	t_expect "signature/$kind/add-key-refused" 1 "$LUKSVOL" add-key "${FAST[@]}" --key-file "$KEY" \
		--new-key-file "$NEW" "$img"
	if grep -q "signature besides LUKS2 is on the device ($kind" "$LV_WORK/last.err"; then
		t_pass "signature/$kind/message"
	else
		t_fail "signature/$kind/message" "$(head -c 300 "$LV_WORK/last.err")"
	fi
	t_same "signature/$kind/unchanged" "$(sha256sum <"$img")" "$before"
	t_same "signature/$kind/still-there" \
		"$(wipefs -n -O TYPE --noheadings "$img" | sort | tr '\n' ' ')" \
		"$(wipefs -n -O TYPE --noheadings "$DIR/cs.img" | sort | tr '\n' ' ')"
	# An explicit repair is what both tools offer instead.
	t_expect "signature/$kind/repair" 0 "$LUKSVOL" repair "$img"
	t_expect "signature/$kind/cryptsetup-opens-repaired" 0 cryptsetup open --test-passphrase \
		--key-file "$KEY" "$img"
done

# No foreign signature: the damaged copy is recovered by the write, as
# cryptsetup recovers it.
img=$DIR/garbage.img
with_signature garbage "$img"
check_setup garbage "$img"
cp "$img" "$DIR/cs.img"
t_expect signature/none/cryptsetup-add-key 0 cryptsetup luksAddKey -q "${FAST[@]}" --key-file "$KEY" \
	"$DIR/cs.img" "$NEW"
t_expect signature/none/add-key 0 "$LUKSVOL" add-key "${FAST[@]}" --key-file "$KEY" \
	--new-key-file "$NEW" "$img"
t_expect signature/none/cryptsetup-opens-new-key 0 cryptsetup open --test-passphrase --key-file "$NEW" "$img"
if "$LUKSVOL" dump "$img" 2>&1 >/dev/null | grep -q 'damaged'; then
	t_fail signature/none/recovered "a copy is still damaged"
else
	t_pass signature/none/recovered
fi
rm -f "$DIR"/*.img
