# t_tpm.sh: the tpm key's engine on the kernel's TPM driver: QEMU's
# tpm-tis device, backed by swtpm on the host (tests/vm/run.sh).  Without
# --tpm-tcti it opens /dev/tpmrm0 (the kernel's resource manager); through
# /dev/tpm0 (none) it must leave no transient handle behind.  The PCR
# public key and signature come from the host (tests/tpm/tpmtest.py), for
# PCR 11 measured here as Talos measures it.

LVTPM=/bin/lvtpm
TPMDATA=/test/tpm

tpm_extend() {
	tpm2 pcrextend -T "$1" "$2:sha256=$(printf '%s' "$3" | sha256sum | cut -c1-64)"
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
	expect tpm/unseal-tpm0 0 "$LVTPM" unseal --tcti /dev/tpm0 --pubkey "$TPMDATA/pub.pem" \
		--sig "$TPMDATA/sig.json" "$tok" /tmp/tpm-pass3
	same tpm/tpm0-same-passphrase "$(cat /tmp/tpm-pass3)" "$(cat /tmp/tpm-pass)"
	same tpm/tpm0-no-handles-left \
		"$(tpm2 getcap -T device:/dev/tpm0 handles-transient; tpm2 getcap -T device:/dev/tpm0 handles-loaded-session)" ""
	tpm_extend device:/dev/tpmrm0 7 dbx-update
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
