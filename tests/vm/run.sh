#!/bin/bash
# run.sh: the VM suite of `make test`: one boot of Debian's kernel under
# qemu, running every tests/vm/t_*.sh against build/luksvol with cryptsetup
# and dmsetup inside as oracles.  Results land in $LV_RESULTS as vm/...
set -u
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/vm.sh"
OVERLAY=$LV_WORK/vm-overlay
OUT=$LV_WORK/vm-console.txt
DISK=$LV_WORK/vm-disk.img

build_overlay() {
	rm -rf "$OVERLAY"
	mkdir -p "$OVERLAY/test/keys"
	vm_add_program "$OVERLAY" "$LV_TOP/$BUILD/luksvol"
	# t_kernel.sh: `make static` and its kernel-backend crypto unit tests.
	vm_add_program "$OVERLAY" "$LV_TOP/$BUILD/luksvol-static"
	vm_add_program "$OVERLAY" "$LV_TOP/$BUILD/static/tests/test_crypto"
	vm_add_program "$OVERLAY" "$LV_TOP/$BUILD/static/tests/pbkdf2_calls"
	[ -x /usr/bin/strace ] && vm_add_program "$OVERLAY" /usr/bin/strace
	# glibc loads libgcc_s when a thread exits: Argon2 lanes in cryptsetup
	# and in dynamically linked test programs.
	install -D -m 0644 /lib/x86_64-linux-gnu/libgcc_s.so.1 "$OVERLAY/lib/x86_64-linux-gnu/libgcc_s.so.1"
	cp "$LV_TOP"/tests/vm/t_*.sh "$OVERLAY/test/"
	cat >"$OVERLAY/test/run.sh" <<'INNER'
. /test/t_lib.sh
for t in /test/t_*.sh; do
	[ "$t" = /test/t_lib.sh ] || . "$t"
done
INNER
	printf '%s' 'vm passphrase' >"$OVERLAY/test/keys/pass.key"
	printf '%s' 'second vm passphrase' >"$OVERLAY/test/keys/pass2.key"
	printf '%s' 'wrong' >"$OVERLAY/test/keys/wrong.key"
	printf '%s' 'blablabl' >"$OVERLAY/test/keys/req.key"
	printf '%s' '93R4P4pIqAH8' >"$OVERLAY/test/keys/capi.key"
	cp "$(unpack_tar luks2_header_requirements.tar.xz)/luks2_header_requirements" \
		"$OVERLAY/test/requirements.img"
	cp "$(unpack_xz luks2_invalid_cipher.img.xz)" "$OVERLAY/test/invalid-cipher.img"
	truncate -s 20M "$OVERLAY/test/null-cipher.img"
	"$LV_TOP/$BUILD/luksvol" format -q --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
		--key-file "$OVERLAY/test/keys/pass.key" "$OVERLAY/test/null-cipher.img" &&
		/usr/bin/python3 "$LV_TOP/tests/vm/edit_segment.py" "$OVERLAY/test/null-cipher.img" cipher_null-ecb
}

if ! build_overlay; then
	t_fail vm/overlay "cannot build the VM overlay"
	exit 0
fi
rm -f "$DISK"
truncate -s 64M "$DISK"
start=$(date +%s)
# A hang guard, not a speed target: a loaded 2-core host runs TCG slowly.
if vm_run "$OVERLAY" "$DISK" "$OUT" "${LV_VM_TIMEOUT:-1800}"; then
	t_pass vm/boot
else
	t_fail vm/boot "the VM run failed: $(tail -5 "$OUT" | tr '\n' ' ')"
fi
vm_results "$OUT" vm >>"$LV_RESULTS"
echo "vm: $(( $(date +%s) - start )) s, $(vm_results "$OUT" vm | grep -c '^PASS') checks passed in the VM"
