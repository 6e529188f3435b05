#!/bin/bash
# run.sh: the VM suite of `make test`: one boot of Debian's kernel under
# qemu, running every tests/vm/t_*.sh against build/luksvol with cryptsetup
# and dmsetup inside as oracles (LV_VM_TESTS="t_tpm.sh ...": only those).
# Results land in $LV_RESULTS as vm/...
set -u
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/vm.sh"
OVERLAY=$LV_WORK/vm-overlay
OUT=$LV_WORK/vm-console.txt
DISK=$LV_WORK/vm-disk.img
LVTPM_VM=$LV_TOP/$BUILD/tpm/lvtpm
VM_TPM=$LV_WORK/vm-tpm
VM_TPM_PID=
KMS_DIR=$(mkdir -p "$LV_WORK/vm-kms" && cd "$LV_WORK/vm-kms" && pwd)
KMS_UUID=4c4c4544-0042-3510-8052-b4c04f4b4d32
KMS_DISK=$LV_WORK/vm-kms-disk.img
source "$LV_TOP/tests/kms/lib_kms.sh"
trap 'stop_vm_tpm; kms_stop_all' EXIT

# What tests/vm/t_tpm.sh needs, when this build has the TPM code: the
# driver, tpm2-tools, the device TCTI tpm2-tss loads at run time (ldd cannot
# see it), and a PCR-signing key with the signature of PCR 11 as Talos's
# three phases leave it (made here: the VM has no Python).
add_tpm_files() {
	local tss=/lib/x86_64-linux-gnu/libtss2-tcti-device.so.0 py=/usr/bin/python3
	local aux=$LV_TOP/tests/tpm/tpmtest.py pcr11
	vm_add_program "$OVERLAY" "$LVTPM_VM" && vm_add_program "$OVERLAY" /usr/bin/tpm2 &&
		install -D -m 0755 "$(readlink -f "$tss")" "$OVERLAY$tss" &&
		mkdir -p "$OVERLAY/test/tpm" &&
		"$py" "$aux" keygen "$VM_TPM/priv.pem" "$OVERLAY/test/tpm/pub.pem" &&
		pcr11=$("$py" "$aux" pcr-after enter-initrd leave-initrd enter-machined) &&
		"$py" "$aux" pcrsig "$VM_TPM/priv.pem" "$pcr11" "$OVERLAY/test/tpm/sig.json"
}

# tests/vm/t_kms.sh's KMS (as tests/interop/apply_kms.sh, it needs WITH_KMS=1): the test server
# on the host's loopback, which the VM reaches as 10.0.2.2 through QEMU's
# user network; it lives as long as the VM may.  The kms volume is a disk
# of its own (/dev/vdb in the VM), so the host can check what the VM wrote.
add_kms_files() {
	rm -f "$KMS_DIR"/* "$KMS_DISK"
	kms_start vm --record "$KMS_DIR/record" --lifetime "$(( ${LV_VM_TIMEOUT:-1800} + 60 ))" ||
		return 1
	mkdir -p "$OVERLAY/test/kms"
	echo "10.0.2.2:$KMS_PORT" >"$OVERLAY/test/kms/endpoint"
	echo "$KMS_UUID" >"$OVERLAY/test/kms/node-uuid"
	truncate -s 24M "$KMS_DISK"
	VM_QEMU_ARGS="${VM_QEMU_ARGS:-} -drive file=$KMS_DISK,if=virtio,format=raw"
	export VM_QEMU_ARGS
}

# What the VM's kms key sent and wrote, with cryptsetup as the oracle: one
# Seal of 32 bytes K for the node UUID, Talos's token at id 0, and slot 0
# opening with base64(K).
check_kms_disk() {
	local token
	t_same vm/kms-host-one-seal "$(wc -l <"$KMS_DIR/record" 2>/dev/null)" 1
	t_same vm/kms-host-seal-node-uuid "$(awk '{print $2, length($3)}' "$KMS_DIR/record" 2>/dev/null)" \
		"$KMS_UUID 64"
	token=$(cryptsetup token export --token-id 0 "$KMS_DISK" 2>&1)
	if grep -qE "$KMS_TOKEN_RE" <<<"$token"; then t_pass vm/kms-host-token-talos-shape; else
		t_fail vm/kms-host-token-talos-shape "$token"; fi
	awk '{print $3}' "$KMS_DIR/record" | xxd -r -p | base64 -w0 >"$KMS_DIR/k.pass"
	t_expect vm/kms-host-slot0-opens-with-base64-K 0 cryptsetup open --test-passphrase \
		--key-slot 0 --key-file "$KMS_DIR/k.pass" "$KMS_DISK"
	rm -f "$KMS_DIR/k.pass"
}

# The VM's TPM: QEMU's tpm-tis device backed by swtpm on the host, over a
# unix control socket, fresh state each run; swtpm ends with QEMU.
start_vm_tpm() {
	local i
	swtpm socket --tpm2 --tpmstate dir="$VM_TPM" --ctrl type=unixio,path="$VM_TPM/swtpm.sock" \
		--terminate --log file="$VM_TPM/swtpm.log" >>"$VM_TPM/swtpm.log" 2>&1 &
	VM_TPM_PID=$!
	for i in $(seq 50); do
		[ -S "$VM_TPM/swtpm.sock" ] && break
		sleep 0.1
	done
	[ -S "$VM_TPM/swtpm.sock" ] || return 1
	VM_QEMU_ARGS="${VM_QEMU_ARGS:-} -chardev socket,id=chrtpm,path=$VM_TPM/swtpm.sock"
	VM_QEMU_ARGS="$VM_QEMU_ARGS -tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0"
	export VM_QEMU_ARGS
}

stop_vm_tpm() {
	if [ -n "$VM_TPM_PID" ]; then
		kill "$VM_TPM_PID" 2>/dev/null
		wait "$VM_TPM_PID" 2>/dev/null
	fi
	VM_TPM_PID=
}

# What tests/vm/t_tang.sh needs: tangd and socat, and tang keys made here.
add_tang_files() {
	vm_add_program "$OVERLAY" /usr/libexec/tangd && vm_add_program "$OVERLAY" /usr/bin/socat &&
		mkdir -p "$OVERLAY/test/tang" && /usr/libexec/tangd-keygen "$OVERLAY/test/tang"
}

build_overlay() {
	local t
	rm -rf "$OVERLAY"
	mkdir -p "$OVERLAY/test/keys"
	vm_add_program "$OVERLAY" "$LV_TOP/$BUILD/luksvol"
	# t_kernel.sh: `make static` and its kernel-backend crypto unit tests.
	vm_add_program "$OVERLAY" "$LV_TOP/$BUILD/luksvol-static"
	vm_add_program "$OVERLAY" "$LV_TOP/$BUILD/static/tests/test_crypto"
	vm_add_program "$OVERLAY" "$LV_TOP/$BUILD/static/tests/pbkdf2_calls"
	# t_dm_live.sh: resize, refresh, suspend and resume through the library.
	vm_add_program "$OVERLAY" "$LV_TOP/$BUILD/tests/dm_calls"
	[ -x /usr/bin/strace ] && vm_add_program "$OVERLAY" /usr/bin/strace
	# glibc loads libgcc_s when a thread exits: Argon2 lanes in cryptsetup
	# and in dynamically linked test programs.
	install -D -m 0644 /lib/x86_64-linux-gnu/libgcc_s.so.1 "$OVERLAY/lib/x86_64-linux-gnu/libgcc_s.so.1"
	# LV_VM_TESTS="t_kms t_dm.sh": only those scripts, for a developer's run.
	cp "$LV_TOP/tests/vm/t_lib.sh" "$OVERLAY/test/"
	for t in ${LV_VM_TESTS:-$(cd "$LV_TOP/tests/vm" && ls t_*.sh)}; do
		t=$(basename "${t%.sh}")
		cp "$LV_TOP/tests/vm/$t.sh" "$OVERLAY/test/" || return 1
	done
	if [ -x "$LVTPM_VM" ]; then
		add_tpm_files || return 1
	fi
	if [ -f "$OVERLAY/test/t_kms.sh" ]; then
		add_kms_files || return 1
	fi
	# t_compat.sh: the compat table, cryptsetup's side and (issue 19 phase 2)
	# luksvol's, called through a symlink named cryptsetup.
	mkdir -p "$OVERLAY/test/compat/bin"
	cp "$LV_TOP"/tests/compat/lib.sh "$LV_TOP"/tests/compat/table.txt "$OVERLAY/test/compat/"
	ln -s /bin/luksvol "$OVERLAY/test/compat/bin/cryptsetup"
	tools="cryptsetup=/bin/cryptsetup"
	case " ${LV_COMPAT_TOOLS:-cryptsetup luksvol} " in
	*" luksvol "*) tools="$tools luksvol=/test/compat/bin/cryptsetup" ;;
	esac
	echo "COMPAT_TOOLS=\"$tools\"" >"$OVERLAY/test/compat/tools.sh"
	if [ -f "$OVERLAY/test/t_tang.sh" ] && "$LV_TOP/$BUILD/luksvol" bind --help >/dev/null 2>&1; then
		add_tang_files || return 1
	fi
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
		/usr/bin/python3 "$LV_TOP/tests/generators/edit_json.py" "$OVERLAY/test/null-cipher.img" \
			segments.0.encryption cipher_null-ecb
}

VM_TPM=$(mkdir -p "$VM_TPM" && cd "$VM_TPM" && pwd)
rm -rf "${VM_TPM:?}"/*
if ! build_overlay; then
	t_fail vm/overlay "cannot build the VM overlay"
	exit 0
fi
rm -f "$DISK"
truncate -s 64M "$DISK"
if [ -x "$LVTPM_VM" ] && ! start_vm_tpm; then
	t_fail vm/tpm "swtpm did not start: $(tail -3 "$VM_TPM/swtpm.log")"
fi
start=$(date +%s)
# A hang guard, not a speed target: a loaded 2-core host runs TCG slowly.
if vm_run "$OVERLAY" "$DISK" "$OUT" "${LV_VM_TIMEOUT:-1800}"; then
	t_pass vm/boot
else
	t_fail vm/boot "the VM run failed: $(tail -5 "$OUT" | tr '\n' ' ')"
fi
vm_results "$OUT" vm >>"$LV_RESULTS"
[ -f "$OVERLAY/test/kms/endpoint" ] && check_kms_disk
echo "vm: $(( $(date +%s) - start )) s, $(vm_results "$OUT" vm | grep -c '^PASS') checks passed in the VM"
