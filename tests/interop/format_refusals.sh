#!/bin/bash
# format_refusals.sh: every way `luksvol format` refuses leaves the device
# byte-identical (issue 13 item 3).  The device already holds a LUKS2
# header cryptsetup made; each refused format is checked with a checksum of
# the whole image, and cryptsetup's luksFormat runs the same parameters on
# a copy: where it refuses too, its exit code must be luksvol's.  (It often
# wipes the header before it refuses; luksvol must not.)  Formats just
# inside each limit succeed and cryptsetup opens them, so the refusals are
# the limits and not a broken format.
set -u
source "$(dirname "$0")/../lib.sh"
DIR=$LV_WORK/format_refusals
mkdir -p "$DIR"
FAST=(--pbkdf pbkdf2 --pbkdf-force-iterations 1000)
ARGON=(--pbkdf argon2id --pbkdf-force-iterations 4 --pbkdf-memory 32)
KEY=$DIR/pass.key
printf '%s' 'format refusal passphrase' >"$KEY"

# pristine NAME SIZE [cryptsetup options]: an image holding cryptsetup's header.
pristine() {
	local img=$DIR/$1.pristine size=$2
	shift 2
	cs_image "$img" "$size" "$KEY" "$@" || t_fail format-refused/setup "cryptsetup luksFormat $* failed"
	echo "$img"
}

# refused NAME LV_RC CS_RC PRISTINE ARGS...: luksvol format ARGS exits
# LV_RC and changes no byte; cryptsetup exits CS_RC ("-": not compared:
# cryptsetup accepts these, see the comment at the case).
refused() {
	local name=$1 lv_rc=$2 cs_rc=$3 base=$4 before rc
	shift 4
	cp "$base" "$DIR/lv.img"
	before=$(sha256sum <"$DIR/lv.img")
	t_expect "format-refused/$name" "$lv_rc" "$LUKSVOL" format -q --key-file "$KEY" "$@" "$DIR/lv.img"
	t_same "format-refused/$name/unchanged" "$(sha256sum <"$DIR/lv.img")" "$before"
	[ "$cs_rc" = - ] && return
	cp "$base" "$DIR/cs.img"
	cryptsetup luksFormat -q --type luks2 --key-file "$KEY" "$@" "$DIR/cs.img" \
		>"$DIR/cs.out" 2>&1 </dev/null
	rc=$?
	t_same "format-refused/$name/cryptsetup-exit" "$rc" "$cs_rc"
}

# accepted NAME PRISTINE ARGS...: the format succeeds and cryptsetup opens it.
accepted() {
	local name=$1 base=$2
	shift 2
	cp "$base" "$DIR/lv.img"
	t_expect "format-limit/$name" 0 "$LUKSVOL" format -q --key-file "$KEY" "$@" "$DIR/lv.img"
	t_expect "format-limit/$name/cryptsetup-opens" 0 cryptsetup open --test-passphrase \
		--key-file "$KEY" "$DIR/lv.img"
}

BASE=$(pristine base 20M)
SMALL=$(pristine small 2M --luks2-keyslots-size 1m)

# The layout.  A keyslot for a 512-bit key takes 258048 bytes, for a
# 256-bit key 131072 (4000 stripes, 4 KiB aligned).
refused keyslots-unaligned 1 1 "$BASE" "${FAST[@]}" --luks2-keyslots-size 4097
refused keyslots-below-4k 1 1 "$BASE" "${FAST[@]}" --luks2-keyslots-size 1000
refused keyslots-4k-no-keyslot 1 1 "$BASE" "${FAST[@]}" --luks2-keyslots-size 4096
refused keyslots-12k-no-keyslot 1 1 "$BASE" "${FAST[@]}" --luks2-keyslots-size 12288
refused keyslots-one-block-short 1 1 "$BASE" "${FAST[@]}" --luks2-keyslots-size 253952
refused keyslots-256bit-one-block-short 1 1 "$BASE" "${FAST[@]}" --key-size 256 \
	--luks2-keyslots-size 126976
refused keyslots-over-128m 1 1 "$BASE" "${FAST[@]}" --luks2-keyslots-size 129m
refused metadata-3k 1 1 "$BASE" "${FAST[@]}" --luks2-metadata-size 3k
refused metadata-20k 1 1 "$BASE" "${FAST[@]}" --luks2-metadata-size 20k
refused metadata-8m 1 1 "$BASE" "${FAST[@]}" --luks2-metadata-size 8m
refused offset-in-metadata 1 1 "$BASE" "${FAST[@]}" --offset 8
refused offset-unaligned 1 1 "$BASE" "${FAST[@]}" --offset 1
refused offset-not-sector-aligned 1 1 "$BASE" "${FAST[@]}" --sector-size 4096 --offset 32769
# cryptsetup shrinks an explicit keyslots area to fit an explicit offset
# (and a default one to fit a small device); luksvol refuses both.
refused offset-in-keyslots 1 - "$BASE" "${FAST[@]}" --offset 2048 --luks2-keyslots-size 1m
# cryptsetup grows an image file that is too small; a device too small is
# refused.
refused device-too-small 1 - "$SMALL" "${FAST[@]}"
refused device-too-small-for-keyslots 1 - "$SMALL" "${FAST[@]}" --luks2-keyslots-size 16m
# The cipher and the key (cryptsetup needs device-mapper to check a
# cipher, which this host lacks; it refuses with exit 1 all the same).
refused key-size-7 1 1 "$BASE" "${FAST[@]}" --key-size 7
refused key-size-8192 1 1 "$BASE" "${FAST[@]}" --key-size 8192
refused key-size-xts-128 1 1 "$BASE" "${FAST[@]}" --key-size 128
refused key-size-xts-384 1 1 "$BASE" "${FAST[@]}" --key-size 384
refused cipher-unknown 1 1 "$BASE" "${FAST[@]}" --cipher foo-bar
refused cipher-bad-iv 1 1 "$BASE" "${FAST[@]}" --cipher aes-cbc-foo
refused cipher-null 1 1 "$BASE" "${FAST[@]}" --cipher cipher_null-ecb
refused cipher-essiv-512 1 1 "$BASE" "${FAST[@]}" --cipher aes-cbc-essiv:sha256 --key-size 512
refused sector-8192 1 1 "$BASE" "${FAST[@]}" --sector-size 8192
refused sector-1536 1 1 "$BASE" "${FAST[@]}" --sector-size 1536
refused sector-256 1 1 "$BASE" "${FAST[@]}" --sector-size 256
# Header fields.  cryptsetup cuts a label or subsystem of 48 bytes or more
# to 47 and formats; luksvol refuses rather than change what it was given.
refused uuid-bad 1 1 "$BASE" "${FAST[@]}" --uuid bad
refused uuid-no-dashes 1 1 "$BASE" "${FAST[@]}" --uuid 0123456789abcdef0123456789abcdef0123
refused label-48 1 - "$BASE" "${FAST[@]}" --label "$(printf 'x%.0s' $(seq 1 48))"
refused subsystem-48 1 - "$BASE" "${FAST[@]}" --subsystem "$(printf 's%.0s' $(seq 1 48))"
# The keyslot and its KDF.  cryptsetup caps --pbkdf-parallel at the CPUs;
# luksvol refuses above 4, its documented range.
refused key-slot-32 1 1 "$BASE" "${FAST[@]}" --key-slot 32
refused key-slot-40 1 1 "$BASE" "${FAST[@]}" --key-slot 40
refused pbkdf-unknown 1 1 "$BASE" --pbkdf foo
refused hash-unknown 1 1 "$BASE" "${FAST[@]}" --hash nohash
refused pbkdf2-999 1 1 "$BASE" --pbkdf pbkdf2 --pbkdf-force-iterations 999
refused argon2-time-3 1 1 "$BASE" --pbkdf argon2id --pbkdf-force-iterations 3 --pbkdf-memory 32
refused argon2i-time-1 1 1 "$BASE" --pbkdf argon2i --pbkdf-force-iterations 1 --pbkdf-memory 32
refused argon2-memory-10 1 1 "$BASE" "${ARGON[@]}" --pbkdf-memory 10
refused argon2-memory-5000000 1 1 "$BASE" "${ARGON[@]}" --pbkdf-memory 5000000
refused argon2-parallel-100 1 - "$BASE" "${ARGON[@]}" --pbkdf-parallel 100
# The passphrase.
refused passphrase-empty 1 1 "$BASE" "${FAST[@]}" --key-file /dev/null
refused key-file-missing 1 1 "$BASE" "${FAST[@]}" --key-file "$DIR/no-such.key"

# A declined confirmation on a terminal (its exit code is the confirmation
# rule's, checked elsewhere; here: nothing written).
declined() {
	local before
	cp "$BASE" "$DIR/lv.img"
	before=$(sha256sum <"$DIR/lv.img")
	/usr/bin/python3 - "$LUKSVOL" format "${FAST[@]}" --key-file "$KEY" "$DIR/lv.img" \
		>"$DIR/declined.out" 2>&1 <<'PY'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
seen = b""
while b"capital letters" not in seen:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
os.write(fd, b"no\n")
while True:
    try:
        if not os.read(fd, 4096):
            break
    except OSError:
        break
_, status = os.waitpid(pid, 0)
sys.stdout.write(seen.decode(errors="replace") + "\n%d\n" % os.waitstatus_to_exitcode(status))
PY
	if grep -q 'capital letters' "$DIR/declined.out" && [ "$(tail -1 "$DIR/declined.out")" != 0 ]; then
		t_pass format-refused/declined
	else
		t_fail format-refused/declined "$(tail -c 300 "$DIR/declined.out")"
	fi
	t_same format-refused/declined/unchanged "$(sha256sum <"$DIR/lv.img")" "$before"
}
declined

# Just inside the limits.
accepted keyslots-one-keyslot "$BASE" "${FAST[@]}" --luks2-keyslots-size 258048
accepted keyslots-256bit-one-keyslot "$BASE" "${FAST[@]}" --key-size 256 --luks2-keyslots-size 131072
accepted keyslots-128m "$(pristine big 200M)" "${FAST[@]}" --luks2-keyslots-size 128m
accepted offset-after-keyslots "$BASE" "${FAST[@]}" --offset 2112 --luks2-keyslots-size 1m
accepted argon2-time-4 "$BASE" "${ARGON[@]}"
rm -f "$DIR"/*.img "$DIR"/*.pristine
