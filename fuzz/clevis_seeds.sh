#!/bin/bash
# clevis_seeds.sh OUT: seeds for the clevis_token and tang_adv targets, from
# Debian's tang and clevis and from the engine (make_seeds.sh calls it):
#   tang_adv       advertisements as tangd sends them: one signing key
#                  (flattened JWS), /adv/<thp>, two signing keys (general
#                  JWS), after a rotation /adv/<old thp>
#   clevis_token   tokens `clevis luks bind` wrote (tang, sss t=1 over two
#                  tangs, sss nested in sss) and the engine wrote (tang, sss)
# Needs tangd, socat, clevis, cryptsetup, curl and $BUILD/asan/tests/clevis_tool.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$1
BUILD=${BUILD:-build}
LV_TOP=$PWD
TOOL=$BUILD/asan/tests/clevis_tool
TANG_DIR=$(mktemp -d)
source tests/clevis/tang_lib.sh
trap 'tang_cleanup; rm -rf "$TANG_DIR"' EXIT
mkdir -p "$OUT/clevis_token" "$OUT/tang_adv"

tang_start one
tang_start two
/usr/libexec/tangd-keygen "$TANG_DIR/two" >/dev/null 2>&1	# a second signing key
curl -sf "${TANG_URL[one]}/adv" >"$OUT/tang_adv/one-signing-key"
curl -sf "${TANG_URL[one]}/adv/$(tang_sig_thp one)" >"$OUT/tang_adv/by-thumbprint"
curl -sf "${TANG_URL[two]}/adv" >"$OUT/tang_adv/two-signing-keys"
old=$(tang_sig_thp one)
tang_rotate one
curl -sf "${TANG_URL[one]}/adv/$old" >"$OUT/tang_adv/rotated-key"

img=$TANG_DIR/img
printf 'seed passphrase' >"$TANG_DIR/pw"
truncate -s 32M "$img"
cryptsetup luksFormat -q --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --luks2-metadata-size 256k \
	--key-file "$TANG_DIR/pw" "$img"
a="{\"url\":\"${TANG_URL[one]}\"}" b="{\"url\":\"${TANG_URL[two]}\"}"
clevis luks bind -y -d "$img" -k "$TANG_DIR/pw" tang "$a" 2>/dev/null
clevis luks bind -y -d "$img" -k "$TANG_DIR/pw" sss "{\"t\":1,\"pins\":{\"tang\":[$a,$b]}}" 2>/dev/null
clevis luks bind -y -d "$img" -k "$TANG_DIR/pw" sss \
	"{\"t\":2,\"pins\":{\"tang\":[$a],\"sss\":{\"t\":1,\"pins\":{\"tang\":[$b]}}}}" 2>/dev/null
"$TOOL" -y bind "$img" "$TANG_DIR/pw" tang "$a" >/dev/null
"$TOOL" -y bind "$img" "$TANG_DIR/pw" sss "{\"t\":2,\"pins\":{\"tang\":[$a,$b]}}" >/dev/null
for id in 0 1 2 3 4; do
	cryptsetup token export --token-id $id "$img" >"$OUT/clevis_token/token-$id"
done
