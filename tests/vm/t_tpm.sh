# t_tpm.sh: the tpm key's engine on the kernel's TPM driver: QEMU's
# tpm-tis device, backed by swtpm on the host (tests/vm/run.sh).  Without
# --tpm-tcti it opens /dev/tpmrm0 (the kernel's resource manager); through
# /dev/tpm0 (none), bounded in time as apply bounds it, it must leave no
# transient handle behind.  The PCR public key and signature come from the
# host (tests/tpm/tpmtest.py), for PCR 11 measured here as Talos measures
# it.  Then `luksvol apply` with a tpm key: it formats and maps the volume
# as /dev/mapper/luks2-u-tpmdata, reopens and maps it after a close, and
# after a PCR 7 change maps it with the static key, leaving the TPM
# keyslot as it was.

LVTPM=/bin/lvtpm
TPMDATA=/test/tpm
TPM_IMG=/tmp/tpm-volume.img

tpm_extend() {
	tpm2 pcrextend -T "$1" "$2:sha256=$(printf '%s' "$3" | sha256sum | cut -c1-64)"
}

tpm_apply_config() {
	user_volume_head tpmdata >/tmp/tpm-apply.yaml
	cat >>/tmp/tpm-apply.yaml <<'YAML'
    - slot: 0
      tpm: {}
    - slot: 1
      static:
        passphrase: tpm volume fallback
YAML
}

# The default TCTI (/dev/tpmrm0), the host's PCR public key and signature.
tpm_apply() {
	$LUKSVOL apply --yes -f /tmp/tpm-apply.yaml --device "u-tpmdata=$TPM_IMG" \
		--tpm-pcr-public-key "$TPMDATA/pub.pem" --tpm-pcr-signature "$TPMDATA/sig.json" \
		--pbkdf-memory 64 --pbkdf-force-iterations 4
}

tpm_apply_mapped() {
	crypt_mapped "tpm/apply-$1-mapped" luks2-u-tpmdata "$(tr '\n' ' ' </tmp/out)"
}

tpm_apply_said() {
	if grep -qxF "$2" /tmp/out; then pass "$1"; else fail "$1" "$(tr '\n' ' ' </tmp/out)"; fi
}

# Before PCR 7 changes: enrol and map, close, reopen with the TPM and map.
tpm_apply_tests() {
	local data=/tmp/tpm-data
	rm -f "$TPM_IMG"
	dd if=/dev/zero of="$TPM_IMG" bs=1M count=0 seek=24 2>/dev/null
	tpm_apply_config
	expect tpm/apply-enrol 0 tpm_apply
	tpm_apply_said tpm/apply-enrol-report 'u-tpmdata: formatted with keyslot 0 (tpm): cipher aes-xts-plain64'
	tpm_apply_mapped enrol
	dd if=/dev/urandom of="$data" bs=1M count=2 2>/dev/null
	dd if="$data" of=/dev/mapper/luks2-u-tpmdata bs=1M conv=fsync 2>/dev/null
	$LUKSVOL close luks2-u-tpmdata
	expect tpm/apply-reopen 0 tpm_apply
	tpm_apply_said tpm/apply-reopen-report 'u-tpmdata: opened with keyslot 0 (tpm)'
	tpm_apply_mapped reopen
	same tpm/apply-data-survives "$(head -c 2097152 /dev/mapper/luks2-u-tpmdata | sha256sum | cut -d' ' -f1)" \
		"$(sha256sum <"$data" | cut -d' ' -f1)"
	# The token's key, unsealed by the engine, opens keyslot 0 in cryptsetup.
	cryptsetup token export --token-id 0 "$TPM_IMG" >/tmp/tpm-volume-token.json
	expect tpm/apply-token-unseals 0 "$LVTPM" unseal --pubkey "$TPMDATA/pub.pem" \
		--sig "$TPMDATA/sig.json" /tmp/tpm-volume-token.json /tmp/tpm-volume-pass
	expect tpm/apply-cryptsetup-opens-keyslot-0 0 cryptsetup open --test-passphrase --key-slot 0 \
		--key-file /tmp/tpm-volume-pass "$TPM_IMG"
	$LUKSVOL close luks2-u-tpmdata
	same tpm/apply-no-handles-left \
		"$(tpm2 getcap -T device:/dev/tpm0 handles-transient; tpm2 getcap -T device:/dev/tpm0 handles-loaded-session)" ""
}

# After PCR 7 changed: the static key maps it, the TPM keyslot is left.
tpm_apply_after_pcr7() {
	local before
	before=$(cryptsetup luksDump --dump-json-metadata "$TPM_IMG" | md5sum)
	expect tpm/apply-pcr7-changed 0 tpm_apply
	tpm_apply_said tpm/apply-pcr7-changed-static 'u-tpmdata: opened with keyslot 1 (static)'
	if grep -q '^u-tpmdata: cannot check keyslot 0 (tpm): left as it is: .*PCRs 7 changed since enrolment' /tmp/out; then
		pass tpm/apply-pcr7-changed-left
	else
		fail tpm/apply-pcr7-changed-left "$(tr '\n' ' ' </tmp/out)"
	fi
	tpm_apply_mapped pcr7-changed
	same tpm/apply-pcr7-changed-header-unchanged \
		"$(cryptsetup luksDump --dump-json-metadata "$TPM_IMG" | md5sum)" "$before"
	$LUKSVOL close luks2-u-tpmdata
	rm -f "$TPM_IMG"
}

tpm_vm_tests() {
	local tok=/tmp/tpm-token.json
	same tpm/sysfs-class "$(readlink "/sys/dev/char/$(cat /sys/class/tpmrm/tpmrm0/dev)/subsystem" |
		sed 's|.*/||')" tpmrm
	for phase in enter-initrd leave-initrd enter-machined; do
		tpm_extend device:/dev/tpmrm0 11 "$phase"
	done
	tpm_extend device:/dev/tpmrm0 7 secureboot-enabled
	expect tpm/enrol-default-device 0 "$LVTPM" enrol --pubkey "$TPMDATA/pub.pem" "$tok" /tmp/tpm-pass
	expect tpm/unseal-default-device 0 "$LVTPM" unseal --pubkey "$TPMDATA/pub.pem" \
		--sig "$TPMDATA/sig.json" "$tok" /tmp/tpm-pass2
	same tpm/same-passphrase "$(cat /tmp/tpm-pass2)" "$(cat /tmp/tpm-pass)"
	expect tpm/unseal-tpm0 0 "$LVTPM" unseal --tcti /dev/tpm0 --timeout 60000 --pubkey "$TPMDATA/pub.pem" \
		--sig "$TPMDATA/sig.json" "$tok" /tmp/tpm-pass3
	same tpm/tpm0-same-passphrase "$(cat /tmp/tpm-pass3)" "$(cat /tmp/tpm-pass)"
	same tpm/tpm0-no-handles-left \
		"$(tpm2 getcap -T device:/dev/tpm0 handles-transient; tpm2 getcap -T device:/dev/tpm0 handles-loaded-session)" ""
	tpm_apply_tests
	tpm_extend device:/dev/tpmrm0 7 dbx-update
	tpm_apply_after_pcr7
	expect tpm/pcr7-changed 2 "$LVTPM" unseal --pubkey "$TPMDATA/pub.pem" \
		--sig "$TPMDATA/sig.json" "$tok" /tmp/tpm-pass4
	if grep -q 'PCRs 7 changed since enrolment' /tmp/err; then
		pass tpm/pcr7-changed-message
	else
		fail tpm/pcr7-changed-message "$(head -c 300 /tmp/err)"
	fi
}

if [ -x "$LVTPM" ]; then
	if [ -c /dev/tpmrm0 ] && [ -c /dev/tpm0 ]; then
		tpm_vm_tests
	else
		fail tpm/device "no /dev/tpmrm0 and /dev/tpm0 in the VM"
	fi
fi
