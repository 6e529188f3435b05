#!/bin/bash
# compat_table.sh: the "file" rows of tests/compat/table.txt (issue 19):
# the cryptsetup command lines Talos runs, and the other LUKS2 verbs, on
# image files, once with cryptsetup 2.6.1 and once with luksvol called as
# `cryptsetup`; exit codes, stdout/stderr and the resulting headers must
# be the table's and each other's.  See tests/compat/README.md.
#
# LV_COMPAT_TOOLS: the tools compared, "cryptsetup luksvol" by default
# ("cryptsetup" alone checks the oracle's side of the table).
# LV_COMPAT_ONLY: a shell pattern of row names to run (extglob: make check
# gives "@(format|token|...)/*").
set -u
shopt -s extglob
source "$(dirname "$0")/../lib.sh"
COMPAT_DIR=$LV_TOP/tests/compat
COMPAT_WORK=$LV_WORK/compat
FIXTURES=$COMPAT_WORK/fixtures
COMPAT_DEV=$COMPAT_WORK/dev.img
COMPAT_ONLY=${LV_COMPAT_ONLY:-}

compat_pass() { t_pass "$1"; }
compat_fail() { t_fail "$1" "$2"; }

compat_hdr_view() {
	local opts=()
	case ${2:-} in *bench*) opts+=(--bench) ;; esac
	case ${2:-} in *fresh*) opts+=(--fresh) ;; esac
	/usr/bin/python3 "$COMPAT_DIR/hdr_view.py" "$COMPAT_DEV" $COMPAT_HDR "${opts[@]}"
}

source "$COMPAT_DIR/lib.sh"

# Talos's token JSON (talos-encryption.md §3): UserData, type, empty keyslots.
KMS_TOKEN='{"UserData":{"sealedData":"c2VhbGVkLWJ5LWttcw=="},"type":"sideroKMS","keyslots":[]}'
TPM_TOKEN='{"UserData":{"keyslots":[1],"sealed_blob_private":"cHJpdg==","sealed_blob_public":"cHVi","pubkey_pcrs":[11],"alg":"sha256","encryption_version":"1","policy_hash":"cG9s","key_name":"a2V5"},"type":"talos-tpm2","keyslots":[]}'

# Each fixture is made once, by cryptsetup, and copied for every run.
make_fixtures() {
	mkdir -p "$FIXTURES"
	truncate -s 32M "$FIXTURES/blank.img"
	truncate -s 1M "$FIXTURES/small.img"
	cp --sparse=always "$FIXTURES/blank.img" "$FIXTURES/luks.img"
	printf 'talos-key-0' | cryptsetup luksFormat -q --type luks2 $COMPAT_FAST --key-file=- \
		--key-slot=0 "$FIXTURES/luks.img" || return 1
	cp --sparse=always "$FIXTURES/luks.img" "$FIXTURES/luks-tokens.img"
	printf 'talos-key-0talos-key-1' | cryptsetup luksAddKey "$FIXTURES/luks-tokens.img" \
		--key-file=- --keyfile-size=11 --key-slot=1 $COMPAT_FAST >/dev/null || return 1
	printf '%s' "$KMS_TOKEN" | cryptsetup token import -q "$FIXTURES/luks-tokens.img" \
		--token-id 0 --json-file=- || return 1
	printf '%s' "$TPM_TOKEN" | cryptsetup token import -q "$FIXTURES/luks-tokens.img" \
		--token-id 1 --json-file=- || return 1
	cryptsetup token add "$FIXTURES/luks-tokens.img" --key-description talos --key-slot 0 \
		--token-id 3 || return 1
	# Slot 1 holds a key of its own (luksAddKey --unbound): it never counts
	# as a keyslot of the volume key, nor proves knowledge of one.
	cp --sparse=always "$FIXTURES/luks.img" "$FIXTURES/luks-unbound.img"
	printf 'talos-key-u' | cryptsetup luksAddKey --unbound --key-size 512 --key-slot 1 \
		$COMPAT_FAST "$FIXTURES/luks-unbound.img" - >/dev/null || return 1
	cp --sparse=always "$FIXTURES/blank.img" "$FIXTURES/ext4.img"
	mkfs.ext4 -q -F "$FIXTURES/ext4.img" || return 1
	cp --sparse=always "$FIXTURES/blank.img" "$FIXTURES/luks-kscipher.img"
	printf 'talos-key-0' | cryptsetup luksFormat -q --type luks2 $COMPAT_FAST --key-file=- \
		--keyslot-cipher aes-cbc-essiv:sha256 --keyslot-key-size 256 \
		"$FIXTURES/luks-kscipher.img" || return 1
	rm -f "$FIXTURES/luks.backup"
	cryptsetup luksHeaderBackup "$FIXTURES/luks.img" --header-backup-file "$FIXTURES/luks.backup" ||
		return 1
	cp --sparse=always "$FIXTURES/blank.img" "$FIXTURES/detached.img"
	printf 'talos-key-0' | cryptsetup luksFormat -q --type luks2 $COMPAT_FAST --key-file=- \
		--header "$FIXTURES/detached.hdr" "$FIXTURES/detached.img" || return 1
	for f in luks luks-tokens luks-unbound detached luks-kscipher; do
		local header=()
		[ -f "$FIXTURES/$f.hdr" ] && header=(--header "$FIXTURES/$f.hdr")
		printf 'talos-key-0' | cryptsetup luksDump --dump-volume-key -q --key-file=- \
			"${header[@]}" "$FIXTURES/$f.img" | sed -n '/MK dump:/,$p' | sed 's/MK dump://' |
			tr -d ' \t\n' >"$FIXTURES/$f.vk"
	done
}

# The fixture's bytes on @DEV@ (and @HDR@), its volume key in COMPAT_FIXTURE_VK
# and, raw, in @WORK@/fixture.vk.
compat_fixture() {
	COMPAT_FIXTURE=$1
	COMPAT_HDR=
	cp --sparse=always "$FIXTURES/$1.img" "$COMPAT_DEV" || return 1
	if [ -f "$FIXTURES/$1.hdr" ]; then
		COMPAT_HDR=$COMPAT_WORK/hdr.img
		cp --sparse=always "$FIXTURES/$1.hdr" "$COMPAT_HDR" || return 1
	fi
	COMPAT_FIXTURE_VK=$(cat "$FIXTURES/$1.vk" 2>/dev/null)
	cp "$FIXTURES/luks.backup" "$COMPAT_ROWDIR/fixture-luks.hdr"
	/usr/bin/python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' \
		"$COMPAT_FIXTURE_VK" >"$COMPAT_ROWDIR/fixture.vk"
}

compat_fixture_same() {
	cmp -s "$FIXTURES/$COMPAT_FIXTURE.img" "$1" &&
		{ [ -z "${2:-}" ] || cmp -s "$FIXTURES/$COMPAT_FIXTURE.hdr" "$2"; }
}

compat_cleanup() {
	rm -f "$COMPAT_DEV" "$COMPAT_WORK/hdr.img"
}

# "cryptsetup" is the oracle; luksvol runs through a symlink named
# cryptsetup, as an image that replaces cryptsetup would install it.
mkdir -p "$COMPAT_WORK/bin"
ln -sf "$LUKSVOL" "$COMPAT_WORK/bin/cryptsetup"
COMPAT_TOOLS=
for tool in ${LV_COMPAT_TOOLS:-cryptsetup luksvol}; do
	case $tool in
	cryptsetup) COMPAT_TOOLS="$COMPAT_TOOLS cryptsetup=$(command -v cryptsetup)" ;;
	luksvol) COMPAT_TOOLS="$COMPAT_TOOLS luksvol=$COMPAT_WORK/bin/cryptsetup" ;;
	esac
done

# A detached header luksvol-as-cryptsetup makes is cryptsetup's: a new file
# of mode 0600 and 16 MiB, the data at offset 0, opened by cryptsetup; a
# format refused before writing leaves no header file behind.
detached_header_by_luksvol() {
	local dir=$COMPAT_WORK/detached-by-luksvol cs=$COMPAT_WORK/bin/cryptsetup
	rm -rf "$dir"
	mkdir -p "$dir"
	truncate -s 8M "$dir/data.img"
	if printf 'hdr-key' | "$cs" luksFormat -q --type luks2 --key-file=- $COMPAT_FAST \
		--header "$dir/hdr.img" "$dir/data.img" >"$dir/out" 2>&1 &&
		[ "$(stat -c '%a %s' "$dir/hdr.img")" = "600 16777216" ] &&
		printf 'hdr-key' | cryptsetup open --test-passphrase --header "$dir/hdr.img" \
			"$dir/data.img" --key-file=- &&
		cryptsetup luksDump --dump-json-metadata --header "$dir/hdr.img" "$dir/data.img" |
			tr -d ' \n' | grep -q '"offset":"0"' &&
		[ -z "$(tr -d '\0' <"$dir/data.img" | head -c 1)" ]; then
		t_pass compat/detached/luksvol-header-opened-by-cryptsetup
	else
		t_fail compat/detached/luksvol-header-opened-by-cryptsetup "$(head -c 300 "$dir/out")"
	fi
	printf 'hdr-key' | "$cs" luksFormat -q --type luks2 --key-file=- --sector-size 3 \
		--header "$dir/refused.img" "$dir/data.img" >/dev/null 2>&1
	if [ $? = 1 ] && [ ! -e "$dir/refused.img" ]; then
		t_pass compat/detached/refused-format-leaves-no-file
	else
		t_fail compat/detached/refused-format-leaves-no-file "exit or $dir/refused.img left"
	fi
	ln -s "$dir/victim" "$dir/link.img"
	printf 'hdr-key' | "$cs" luksFormat -q --type luks2 --key-file=- $COMPAT_FAST \
		--header "$dir/link.img" "$dir/data.img" >/dev/null 2>&1
	if [ ! -e "$dir/victim" ]; then
		t_pass compat/detached/no-header-through-a-dangling-symlink
	else
		t_fail compat/detached/no-header-through-a-dangling-symlink "$dir/victim was created"
	fi
	rm -rf "$dir"
}

# The same syntax through luksvol --cryptsetup-compat, and luksvol's own
# syntax under any other name.
compat_invocations() {
	local out
	out=$("$LUKSVOL" --cryptsetup-compat --version 2>&1)
	case $out in
	"cryptsetup 2.6.1"*) t_pass compat/invoked/--cryptsetup-compat ;;
	*) t_fail compat/invoked/--cryptsetup-compat "$out" ;;
	esac
	out=$("$LUKSVOL" isLuks /dev/null 2>&1)
	if [ $? = 1 ] && [ -n "$out" ]; then
		t_pass compat/invoked/luksvol-name-keeps-its-syntax
	else
		t_fail compat/invoked/luksvol-name-keeps-its-syntax "isLuks ran as a cryptsetup action: $out"
	fi
}

if make_fixtures; then
	t_pass compat/fixtures
	compat_run_table "$COMPAT_DIR/table.txt" file
	case "${COMPAT_ONLY}: ${LV_COMPAT_TOOLS:-cryptsetup luksvol} " in
	": "*" luksvol "*)
		detached_header_by_luksvol
		compat_invocations ;;
	esac
else
	t_fail compat/fixtures "cryptsetup could not make the fixtures"
fi
