#!/bin/bash
# demo.sh: what `make demo` shows today: luksvol formats a LUKS2 image,
# cryptsetup opens it, keys are added, changed and removed by either tool,
# and both always agree.  (Activation and Talos configs come with later work.)
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
LUKSVOL=$BUILD/luksvol
WORK=$BUILD/demo
rm -rf "$WORK"
mkdir -p "$WORK"
IMG=$WORK/volume.img
FAST=(--pbkdf argon2id --pbkdf-memory 65536 --pbkdf-force-iterations 4)

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

printf '%s' 'first passphrase' >"$WORK/first.key"
printf '%s' 'second passphrase' >"$WORK/second.key"
printf '%s' 'rotated passphrase' >"$WORK/rotated.key"
truncate -s 64M "$IMG"

step "luksvol formats a 64 MiB image (cryptsetup's default layout)"
run "$LUKSVOL" format -q --label demo "${FAST[@]}" --key-file "$WORK/first.key" "$IMG"
run "$LUKSVOL" dump "$IMG"

step "cryptsetup opens what luksvol wrote, and both report the same volume key"
run cryptsetup open --test-passphrase --key-file "$WORK/first.key" "$IMG" && echo "cryptsetup: passphrase OK"
ours=$("$LUKSVOL" dump --volume-key -q --key-file "$WORK/first.key" "$IMG" | grep -A4 'MK dump' | tr -d ' \t\n')
theirs=$(cryptsetup luksDump --dump-volume-key -q --key-file "$WORK/first.key" "$IMG" | grep -A4 'MK dump' | tr -d ' \t\n')
[ "$ours" = "$theirs" ] && echo "volume keys agree (not shown: they are secrets)"

step "cryptsetup adds a keyslot; luksvol opens it"
run cryptsetup luksAddKey -q --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
	--key-file "$WORK/first.key" "$IMG" "$WORK/second.key"
run "$LUKSVOL" open --test-passphrase -v --key-file "$WORK/second.key" "$IMG"

step "luksvol rotates keyslot 1 and imports a token; cryptsetup sees both"
run "$LUKSVOL" change-key -v --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
	--key-file "$WORK/second.key" --new-key-file "$WORK/rotated.key" "$IMG"
echo '{"type":"demo-token","keyslots":["1"],"note":"imported by luksvol"}' >"$WORK/token.json"
run "$LUKSVOL" token import --token-id 3 --json-file "$WORK/token.json" "$IMG"
run cryptsetup open --test-passphrase --key-slot 1 --key-file "$WORK/rotated.key" "$IMG" && echo "cryptsetup: rotated passphrase OK"
run cryptsetup token export --token-id 3 "$IMG"; echo

step "luksvol kills keyslot 0; the first passphrase no longer opens the volume"
run "$LUKSVOL" kill-slot -q "$IMG" 0
if ! cryptsetup open --test-passphrase --key-file "$WORK/first.key" "$IMG" 2>/dev/null; then
	echo "cryptsetup: first passphrase refused, as expected"
fi

step "a damaged primary header: dump reads the secondary, repair restores it"
dd if=/dev/zero of="$IMG" bs=4096 count=1 conv=notrunc status=none
printf "$ %s\n" "$LUKSVOL dump $IMG | grep '^Header copy'"; "$LUKSVOL" dump "$IMG" | grep "^Header copy"
run "$LUKSVOL" repair "$IMG"
printf "$ %s\n" "$LUKSVOL dump $IMG | grep '^Header copy'"; "$LUKSVOL" dump "$IMG" | grep "^Header copy"
run cryptsetup luksDump "$IMG" | head -5
