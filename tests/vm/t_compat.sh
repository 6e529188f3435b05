# t_compat.sh: the "vm" rows of tests/compat/table.txt (issue 19): open,
# status, close, resize, refresh, luksSuspend and luksResume as Talos and
# scripts run them, on /dev/vda and a loop-backed image, once with
# cryptsetup 2.6.1 and once with luksvol called as `cryptsetup`.
# COMPAT_TOOLS is set by run.sh's overlay (both by default; LV_COMPAT_TOOLS
# =cryptsetup checks the oracle alone).
. /test/compat/lib.sh
. /test/compat/tools.sh

COMPAT_WORK=/tmp/compat
COMPAT_FIXTURE_DIR=/tmp/compat-fixtures
HEADER_BYTES=4194304

compat_pass() { pass "$1"; }
compat_fail() { fail "$1" "$2"; }

# Made once by cryptsetup: /dev/vda with keyslot 0 "talos-key-0" and
# keyslot 1 "talos-key-1" (its first 4 MiB are saved: both binary headers,
# the JSON and the keyslot areas in use; no row writes further), a detached
# header for vda, and a 24 MiB image; each row gets the same bytes back.
compat_vm_fixtures() {
	mkdir -p "$COMPAT_FIXTURE_DIR" "$COMPAT_WORK"
	dd if=/dev/zero of=/dev/vda bs=1M count=64 2>/dev/null
	printf 'talos-key-0' | cryptsetup luksFormat -q --type luks2 $COMPAT_FAST --key-file=- \
		--key-slot=0 /dev/vda || return 1
	printf 'talos-key-0talos-key-1' | cryptsetup luksAddKey /dev/vda --key-file=- \
		--keyfile-size=11 --key-slot=1 $COMPAT_FAST >/dev/null || return 1
	head -c $HEADER_BYTES /dev/vda >"$COMPAT_FIXTURE_DIR/vda.hdr"
	rm -f "$COMPAT_FIXTURE_DIR/detached.hdr"
	printf 'talos-key-0' | cryptsetup luksFormat -q --type luks2 $COMPAT_FAST --key-file=- \
		--header "$COMPAT_FIXTURE_DIR/detached.hdr" /dev/vda || return 1
	dd if=/dev/zero of="$COMPAT_FIXTURE_DIR/file.img" bs=1M count=24 2>/dev/null
	printf 'talos-key-0' | cryptsetup luksFormat -q --type luks2 $COMPAT_FAST --key-file=- \
		"$COMPAT_FIXTURE_DIR/file.img" || return 1
}

compat_fixture() {
	COMPAT_FIXTURE=$1
	COMPAT_DEV=/dev/vda
	COMPAT_HDR=
	COMPAT_FIXTURE_VK=
	dd if="$COMPAT_FIXTURE_DIR/vda.hdr" of=/dev/vda bs=1M conv=fsync 2>/dev/null || return 1
	case $1 in
	vm-luks) ;;
	vm-open|vm-busy|vm-suspended)
		printf 'talos-key-0' | cryptsetup open /dev/vda "$COMPAT_NAME" --key-file=- || return 1
		case $1 in
		vm-busy) exec 3<"/dev/mapper/$COMPAT_NAME" ;;
		vm-suspended) cryptsetup luksSuspend "$COMPAT_NAME" || return 1 ;;
		esac ;;
	vm-zero)
		dmsetup create "$COMPAT_NAME" --table "0 8 zero" || return 1 ;;
	vm-detached)
		COMPAT_HDR=$COMPAT_WORK/header.img
		cp "$COMPAT_FIXTURE_DIR/detached.hdr" "$COMPAT_HDR" || return 1 ;;
	vm-header-copy)
		COMPAT_HDR=$COMPAT_WORK/header.img
		head -c 16777216 /dev/vda >"$COMPAT_HDR" || return 1 ;;
	vm-file)
		COMPAT_DEV=$COMPAT_WORK/file.img
		cp "$COMPAT_FIXTURE_DIR/file.img" "$COMPAT_DEV" || return 1
		printf 'talos-key-0' | cryptsetup open "$COMPAT_DEV" "$COMPAT_NAME" --key-file=- || return 1
		truncate -s 40M "$COMPAT_DEV" ;;
	*) return 1 ;;
	esac
}

compat_fixture_same() {
	case $COMPAT_FIXTURE in
	vm-file) return 1 ;;
	vm-detached) cmp -s "$COMPAT_FIXTURE_DIR/detached.hdr" "$COMPAT_HDR" ;;
	vm-header-copy) return 1 ;;
	*) head -c $HEADER_BYTES /dev/vda | cmp -s "$COMPAT_FIXTURE_DIR/vda.hdr" - ;;
	esac
}

compat_cleanup() {
	exec 3<&-
	for m in $(mappings); do
		dmsetup resume "$m" >/dev/null 2>&1
		dmsetup remove "$m" >/dev/null 2>&1
	done
	rm -f "$COMPAT_WORK/file.img" "$COMPAT_WORK/header.img"
}

# A detached header each tool makes, on a real mapping of the other: the
# sector written through one tool's mapping reads back through the other's,
# and both pick the data device's sector size (512 on /dev/vda).
detached_both_ways() {
	local maker opener label hdr=$COMPAT_WORK/both.hdr name=compat-both
	head -c 512 /dev/urandom >"$COMPAT_WORK/sector"
	for label in cryptsetup luksvol; do
		maker=/bin/cryptsetup opener=/test/compat/bin/cryptsetup
		[ $label = luksvol ] && maker=/test/compat/bin/cryptsetup opener=/bin/cryptsetup
		rm -f "$hdr"
		dd if=/dev/zero of=/dev/vda bs=1M count=4 2>/dev/null
		if printf 'both-key' | "$maker" luksFormat -q --type luks2 $COMPAT_FAST --key-file=- \
			--header "$hdr" /dev/vda &&
			printf 'both-key' | "$maker" open --header "$hdr" /dev/vda $name --key-file=- &&
			dd if="$COMPAT_WORK/sector" of=/dev/mapper/$name bs=512 count=1 conv=fsync 2>/dev/null &&
			"$maker" close $name &&
			printf 'both-key' | "$opener" open --header "$hdr" /dev/vda $name --key-file=- &&
			head -c 512 /dev/mapper/$name | cmp -s - "$COMPAT_WORK/sector" &&
			"$opener" status $name | grep -q '^  offset:  0 sectors$' &&
			"$opener" status $name | grep -q '^  sector size:  512$' &&
			"$opener" close $name; then
			pass "compat/detached-header/made-by-$label-opened-by-the-other"
		else
			fail "compat/detached-header/made-by-$label-opened-by-the-other" \
				"$(dmsetup table 2>&1 | head -3)"
		fi
		dmsetup remove $name >/dev/null 2>&1
	done
	rm -f "$hdr" "$COMPAT_WORK/sector"
}

close_all
if compat_vm_fixtures; then
	pass compat/vm-fixtures
	compat_run_table /test/compat/table.txt vm
	case $COMPAT_TOOLS in *luksvol=*) detached_both_ways ;; esac
else
	fail compat/vm-fixtures "cryptsetup could not make the fixtures"
fi
close_all
