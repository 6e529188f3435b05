#!/bin/bash
# tpm.sh: the tpm key (src/tpm) against swtpm, with tpm2-tools and Python
# (tests/tpm/tpmtest.py: python3-cryptography, written from the specs) as
# the oracles.  Each swtpm has a fresh state directory and an ephemeral
# loopback port pair; every one is stopped on exit.
#
# Signed policy (Talos): the test makes the PCR-signing RSA key, measures
# PCR 11 as Talos does (enter-initrd, leave-initrd, enter-machined) and
# writes systemd-stub's .pcrsig JSON; luksvol enrols and unseals;
# tpm2-tools unseals luksvol's token and luksvol unseals one tpm2-tools
# sealed.  Then every way it must fail, the PCR-only mode, the checks
# before sealing, and that no transient handle is left in the TPM.
set -u
source "$(dirname "$0")/../lib.sh"
DIR=$LV_WORK/tpm
LVTPM=$LV_TOP/$BUILD/asan/tpm/lvtpm
rm -rf "$DIR"
mkdir -p "$DIR"
source "$LV_TOP/tests/tpm/swtpm.sh"

# ---- the three primaries are tpm2-tools' --------------------------------

swtpm_start "$DIR/state-a" || { t_fail tpm/swtpm "swtpm did not start: $(tail -3 "$DIR/swtpm.log")"; exit 1; }
tpm2 createprimary -Q "${SRK_ARGS[@]}" -c p.ctx && tpm2 readpublic -Q -c p.ctx -n p1.name
tpm2 flushcontext -t
tpm2 createprimary -Q -C o -g sha256 -G ecc -c p.ctx && tpm2 readpublic -Q -c p.ctx -n p2.name
tpm2 flushcontext -t
tpm2 createprimary -Q -C o -g sha256 -G rsa -c p.ctx && tpm2 readpublic -Q -c p.ctx -n p3.name
tpm2 flushcontext -t
i=1
for which in srk-ecc tools-ecc tools-rsa; do
	t_same "tpm/primary/$which-is-tpm2-tools" "$("$LVTPM" primary --tcti "$TCTI" "$which")" \
		"$(xxd -p -c80 "p$i.name")"
	i=$((i + 1))
done
no_handles tpm/primary/no-handles-left

# ---- checks before sealing ------------------------------------------------

"$PY" "$AUX" keygen priv.pem pub.pem
"$PY" "$AUX" keygen other-priv.pem other-pub.pem
t_expect tpm/check/pcr11-zero 2 "$LVTPM" enrol --tcti "$TCTI" --pubkey pub.pem t.json p
message tpm/check/pcr11-zero-message 'PCR 11 \(sha256\) is all zeroes'
for phase in enter-initrd leave-initrd enter-machined; do extend 11 "$phase"; done
t_expect tpm/check/pcr7-zero 2 "$LVTPM" enrol --tcti "$TCTI" --pubkey pub.pem t.json p
message tpm/check/pcr7-zero-message 'PCR 7 \(sha256\) is all zeroes'
extend 7 secureboot-enabled
no_handles tpm/check/no-handles-left

# checkSecurebootStatusOnEnroll: efivarfs files are 4 attribute bytes, then the value.
GUID=8be4df61-93ca-11d2-aa0d-00e098032b8c
efivar() { mkdir -p "$1" && printf "\\x06\\x00\\x00\\x00\\x$(printf %02x "$3")" >"$1/$2-$GUID"; }
efivar efi-on SecureBoot 1 && efivar efi-on SetupMode 0
efivar efi-off SecureBoot 0 && efivar efi-off SetupMode 0
efivar efi-setup SecureBoot 1 && efivar efi-setup SetupMode 1
mkdir -p efi-none
t_expect tpm/secureboot/on 0 "$LVTPM" enrol --tcti "$TCTI" --pubkey pub.pem --check-secureboot \
	--efivars efi-on t.json p
t_expect tpm/secureboot/off 2 "$LVTPM" enrol --tcti "$TCTI" --pubkey pub.pem --check-secureboot \
	--efivars efi-off t.json p
message tpm/secureboot/off-message 'SecureBoot is disabled'
t_expect tpm/secureboot/setup-mode 2 "$LVTPM" enrol --tcti "$TCTI" --pubkey pub.pem \
	--check-secureboot --efivars efi-setup t.json p
message tpm/secureboot/setup-mode-message 'setup mode'
t_expect tpm/secureboot/not-efi 2 "$LVTPM" enrol --tcti "$TCTI" --pubkey pub.pem \
	--check-secureboot --efivars efi-none t.json p
t_expect tpm/secureboot/unchecked 0 "$LVTPM" enrol --tcti "$TCTI" --pubkey pub.pem \
	--efivars efi-off t.json p

# ---- the signed policy: enrol, the token, unseal, both oracles -------------

t_expect tpm/signed/enrol 0 "$LVTPM" enrol --tcti "$TCTI" --pubkey pub.pem --slot 3 token.json pass
t_same tpm/signed/passphrase-is-base64-of-32-bytes "$(base64 -d pass | wc -c)/$(wc -c <pass)" "32/44"
P7=$(pcr_hex 7)
POLICY=$("$PY" "$AUX" sealing-policy pub.pem 7 "$P7")
t_expect tpm/signed/token-as-talos-writes-it 0 "$PY" "$AUX" check-token token.json 3 7 11 "$POLICY"
t_expect tpm/signed/token-reads-back 0 "$LVTPM" token token.json
t_same tpm/signed/token-formats-identically "$(tail -1 "$LV_WORK/last.out")" "$(cat token.json)"
"$PY" "$AUX" pcrsig priv.pem "$(pcr_hex 11)" sig.json
t_expect tpm/signed/unseal 0 "$LVTPM" unseal --tcti "$TCTI" --pubkey pub.pem --sig sig.json \
	token.json pass2
same_file tpm/signed/unseal-same-passphrase pass pass2
t_same tpm/signed/tpm2-tools-unseals "$(oracle token.json oracle.pass signed 7)" ok
same_file tpm/signed/tpm2-tools-same-passphrase pass oracle.pass
no_handles tpm/signed/no-handles-left

# ---- a TPM that stops answering: the bound holds (--timeout) -----------------

# timeout(1) turns a hang into exit 124: the bound is what ends each command.
hung() { t_expect "$1" 3 timeout -k 5 60 "$LVTPM" "${@:2}"; }
kill -STOP "$SWTPM_PID"
hung tpm/hung/unseal-times-out unseal --tcti "$TCTI" --pubkey pub.pem --sig sig.json \
	--timeout 1500 token.json p
message tpm/hung/unseal-message "^lvtpm: TPM $TCTI: cannot connect: no answer within 1500 ms$"
hung tpm/hung/enrol-times-out enrol --tcti "$TCTI" --pubkey pub.pem --timeout 1500 t.json p
kill -CONT "$SWTPM_PID"
t_expect tpm/hung/answers-again 0 "$LVTPM" unseal --tcti "$TCTI" --pubkey pub.pem --sig sig.json \
	--timeout 20000 token.json p
same_file tpm/hung/answers-again-same-passphrase pass p
# Stalled in the middle (stall_proxy.py answers the first commands, then
# none): the command under way fails, and so does every later one at once
# (the flushes on the way out): the TPM keeps what it made.
port=$(free_port_pair)
"$PY" "$LV_TOP/tests/tpm/stall_proxy.py" "$port" "${TCTI##*port=}" 8 >stall.out 2>&1 &
STALL_PID=$!
for _ in $(seq 50); do grep -q ready stall.out 2>/dev/null && break; sleep 0.1; done
hung tpm/hung/stalled-mid-unseal unseal --tcti "swtpm:host=127.0.0.1,port=$port" \
	--pubkey pub.pem --sig sig.json --timeout 1500 token.json p
message tpm/hung/stalled-mid-unseal-message \
	"^lvtpm: TPM swtpm:host=127.0.0.1,port=$port: [A-Za-z_]+[^:]*: no answer within 1500 ms$"
kill "$STALL_PID" 2>/dev/null
wait "$STALL_PID" 2>/dev/null
STALL_PID=
for kind in -t -l -s; do tpm2 flushcontext "$kind" 2>/dev/null; done
t_expect tpm/hung/no-bound-is-no-bound 0 "$LVTPM" unseal --tcti "$TCTI" --pubkey pub.pem \
	--sig sig.json token.json p
no_handles tpm/hung/no-handles-left

# luksvol unseals what tpm2-tools sealed: the policy from tpmtest.py, the
# object from tpm2_create under the go-tpm SRK, the token from Python.
printf 'sealed-by-tpm2-tools-32-bytes!!!' >tools-key.bin
tpm2 createprimary -Q "${SRK_ARGS[@]}" -c t-srk.ctx && tpm2 flushcontext -t &&
	tpm2 readpublic -Q -c t-srk.ctx -n t-srk.name && tpm2 flushcontext -t
printf '%s' "$POLICY" | xxd -r -p >t-policy.bin
tpm2 create -Q -C t-srk.ctx -g sha256 -a 'fixedtpm|fixedparent|noda' -L t-policy.bin \
	-i tools-key.bin -u t-pub.bin -r t-priv.bin
tpm2 flushcontext -t
"$PY" "$AUX" make-token t-priv.bin t-pub.bin t-srk.name "$POLICY" 5 7 tools-token.json
t_expect tpm/signed/unseals-tpm2-tools-token 0 "$LVTPM" unseal --tcti "$TCTI" --pubkey pub.pem \
	--sig sig.json tools-token.json tools.pass
t_same tpm/signed/tpm2-tools-token-passphrase "$(cat tools.pass)" "$(base64 -w0 tools-key.bin)"

# Talos < 1.12 sealed to PolicyAuthorize + PolicyPCR(7) and wrote pcrs [11].
"$PY" "$AUX" legacy token.json legacy.json
t_expect tpm/legacy/unseal 0 "$LVTPM" unseal --tcti "$TCTI" --pubkey pub.pem --sig sig.json \
	legacy.json legacy.pass
same_file tpm/legacy/same-passphrase pass legacy.pass

# Unsorted PCRs: the TPM hashes a selection in ascending order.
extend 8 some-measurement
t_expect tpm/unsorted/enrol 0 "$LVTPM" enrol --tcti "$TCTI" --pubkey pub.pem --pcrs 8,7 \
	unsorted.json unsorted.pass
t_expect tpm/unsorted/token 0 "$PY" "$AUX" check-token unsorted.json 0 8,7 11 \
	"$("$PY" "$AUX" sealing-policy pub.pem 7,8 "$P7" "$(pcr_hex 8)")"
t_expect tpm/unsorted/unseal 0 "$LVTPM" unseal --tcti "$TCTI" --pubkey pub.pem --sig sig.json \
	unsorted.json unsorted.pass2
same_file tpm/unsorted/same-passphrase unsorted.pass unsorted.pass2
t_expect tpm/pcrs/duplicate 1 "$LVTPM" enrol --tcti "$TCTI" --pubkey pub.pem --pcrs 7,7 t.json p
message tpm/pcrs/duplicate-message 'PCR 7: listed twice'
t_expect tpm/pcrs/out-of-range 1 "$LVTPM" enrol --tcti "$TCTI" --pubkey pub.pem --pcrs 24 t.json p
message tpm/pcrs/out-of-range-message 'PCR 24: out of range'

# No PCRs beyond the signed PCR 11 (options: {pcrs: []}).
t_expect tpm/no-pcrs/enrol 0 "$LVTPM" enrol --tcti "$TCTI" --pubkey pub.pem --pcrs none \
	nopcrs.json nopcrs.pass
t_expect tpm/no-pcrs/token 0 "$PY" "$AUX" check-token nopcrs.json 0 none 11 \
	"$("$PY" "$AUX" sealing-policy pub.pem none)"
t_expect tpm/no-pcrs/unseal 0 "$LVTPM" unseal --tcti "$TCTI" --pubkey pub.pem --sig sig.json \
	nopcrs.json nopcrs.pass2
same_file tpm/no-pcrs/same-passphrase nopcrs.pass nopcrs.pass2

# ---- how unsealing fails -------------------------------------------------

# The right key's fingerprint, another key's signature.
"$PY" "$AUX" pcrsig other-priv.pem "$(pcr_hex 11)" other-sig.json
"$PY" "$AUX" swap-signature sig.json other-sig.json bad-sig.json
t_expect tpm/fail/wrong-signature 2 "$LVTPM" unseal --tcti "$TCTI" --pubkey pub.pem \
	--sig bad-sig.json token.json p
message tpm/fail/wrong-signature-message 'bad-sig.json: TPM swtpm:.*VerifySignature'
t_expect tpm/fail/wrong-public-key 2 "$LVTPM" unseal --tcti "$TCTI" --pubkey other-pub.pem \
	--sig sig.json token.json p
message tpm/fail/wrong-public-key-message 'is by another key'
t_expect tpm/fail/another-signing-key 2 "$LVTPM" unseal --tcti "$TCTI" --pubkey other-pub.pem \
	--sig other-sig.json token.json p
message tpm/fail/another-signing-key-message 'sealing policy digest does not match: PCRs 7 changed since enrolment, or the key was sealed to another PCR public key'
t_expect tpm/fail/no-signature-file 1 "$LVTPM" unseal --tcti "$TCTI" --pubkey pub.pem \
	--sig missing.json token.json p
message tpm/fail/no-signature-file-message 'PCR signature missing.json: No such file'
no_handles tpm/fail/no-handles-left

# A reboot: same TPM, PCRs measured again: the key unseals.
swtpm_start "$DIR/state-a"
measure_boot
extend 8 some-measurement
t_expect tpm/reboot/unseal 0 "$LVTPM" unseal --tcti "$TCTI" --pubkey pub.pem --sig sig.json \
	token.json reboot.pass
same_file tpm/reboot/same-passphrase pass reboot.pass

# PCR 7 changes after enrolment (a dbx update): a clear refusal.
extend 7 dbx-update
t_expect tpm/fail/pcr7-changed 2 "$LVTPM" unseal --tcti "$TCTI" --pubkey pub.pem --sig sig.json \
	token.json p
message tpm/fail/pcr7-changed-message 'PCRs 7 changed since enrolment'
t_expect tpm/fail/legacy-pcr7-changed 2 "$LVTPM" unseal --tcti "$TCTI" --pubkey pub.pem \
	--sig sig.json legacy.json p
t_expect tpm/fail/pcr7-changed-no-pcrs-unaffected 0 "$LVTPM" unseal --tcti "$TCTI" \
	--pubkey pub.pem --sig sig.json nopcrs.json p

# Talos's last phase: PCR 11 past enter-machined has no signature.
extend 11 start-the-world
t_expect tpm/fail/pcr11-past-signed-phase 2 "$LVTPM" unseal --tcti "$TCTI" --pubkey pub.pem \
	--sig sig.json nopcrs.json p
message tpm/fail/pcr11-past-signed-phase-message 'no sha256 signature for the current PCR 11 policy [0-9a-f]{64}'
no_handles tpm/fail/no-handles-left-after-failures

# Another TPM: a new state, new seeds, another SRK.
swtpm_start "$DIR/state-b"
measure_boot
t_expect tpm/fail/other-tpm 2 "$LVTPM" unseal --tcti "$TCTI" --pubkey pub.pem --sig sig.json \
	nopcrs.json p
message tpm/fail/other-tpm-message "storage root key's Name differs from the token's key_name"
no_handles tpm/fail/other-tpm-no-handles-left

# ---- PCR-only: no PCR public key (the default path is absent here) ----------

if [ -e /.extra/tpm2-pcr-public-key.pem ]; then
	t_fail tpm/pcr-only/precondition "/.extra/tpm2-pcr-public-key.pem exists on this machine"
else
	t_pass tpm/pcr-only/precondition
fi
t_expect tpm/pcr-only/enrol 0 "$LVTPM" enrol --tcti "$TCTI" --slot 1 --pcrs 7 pcronly.json \
	pcronly.pass
message tpm/pcr-only/warning 'warning: tpm key: no PCR public key at /.extra/tpm2-pcr-public-key.pem: sealing to PCRs 7 alone \(pcr-only\), weaker than a signed PCR policy'
t_expect tpm/pcr-only/token 0 "$PY" "$AUX" check-token pcronly.json 1 7 none \
	"$("$PY" "$AUX" sealing-policy - 7 "$(pcr_hex 7)")" pcr-only
t_expect tpm/pcr-only/unseal 0 "$LVTPM" unseal --tcti "$TCTI" pcronly.json pcronly.pass2
same_file tpm/pcr-only/same-passphrase pcronly.pass pcronly.pass2
t_same tpm/pcr-only/tpm2-tools-unseals "$(oracle pcronly.json pcronly.oracle unsigned 7)" ok
same_file tpm/pcr-only/tpm2-tools-same-passphrase pcronly.pass pcronly.oracle
# Without a UKI PCR 11 stays zero: PCR-only does not need it.
swtpm_start "$DIR/state-b"
extend 7 secureboot-enabled
t_expect tpm/pcr-only/pcr11-unused 0 "$LVTPM" unseal --tcti "$TCTI" pcronly.json pcronly.pass3
same_file tpm/pcr-only/pcr11-unused-same-passphrase pcronly.pass pcronly.pass3
extend 7 dbx-update
t_expect tpm/pcr-only/pcr-changed 2 "$LVTPM" unseal --tcti "$TCTI" pcronly.json p
message tpm/pcr-only/pcr-changed-message 'sealing policy digest does not match: PCRs 7 changed since enrolment'
t_expect tpm/pcr-only/no-pcrs 1 "$LVTPM" enrol --tcti "$TCTI" --pcrs none t.json p
message tpm/pcr-only/no-pcrs-message 'no PCR public key .* and no PCRs: nothing to seal to'
t_expect tpm/pcr-only/explicit-key-missing 1 "$LVTPM" enrol --tcti "$TCTI" --pubkey missing.pem \
	t.json p
message tpm/pcr-only/explicit-key-missing-message 'PCR public key missing.pem: No such file'
no_handles tpm/pcr-only/no-handles-left

# ---- the SHA-256 bank --------------------------------------------------------

tpm2 pcrallocate -Q sha1:all+sha256:none
swtpm_start "$DIR/state-b"
t_expect tpm/check/no-sha256-bank 1 "$LVTPM" enrol --tcti "$TCTI" --pubkey pub.pem t.json p
message tpm/check/no-sha256-bank-message 'no SHA-256 PCR bank'
tpm2 pcrallocate -Q sha1:none+sha256:0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16
swtpm_start "$DIR/state-b"
t_expect tpm/check/sha256-bank-incomplete 1 "$LVTPM" enrol --tcti "$TCTI" --pubkey pub.pem t.json p
message tpm/check/sha256-bank-incomplete-message 'does not have all 24 PCRs allocated \(select ff ff 01\)'
swtpm_stop

# ---- TCTIs -------------------------------------------------------------

port=$(free_port_pair)
t_expect tpm/tcti/nothing-listening 1 "$LVTPM" enrol --tcti "swtpm:host=127.0.0.1,port=$port" \
	--pubkey pub.pem t.json p
message tpm/tcti/nothing-listening-message "^lvtpm: TPM swtpm:host=127.0.0.1,port=$port: cannot connect"
t_expect tpm/tcti/unknown-driver 1 "$LVTPM" enrol --tcti cmd:/bin/true --pubkey pub.pem t.json p
message tpm/tcti/unknown-driver-message 'TPM TCTI "cmd:/bin/true": unknown driver'
t_expect tpm/tcti/no-device 1 "$LVTPM" enrol --tcti /dev/nonexistent-tpm --pubkey pub.pem t.json p
message tpm/tcti/no-device-message 'TPM device:/dev/nonexistent-tpm: /dev/nonexistent-tpm does not exist'
printf 'not a TPM' >not-a-tpm
t_expect tpm/tcti/regular-file 1 "$LVTPM" enrol --tcti device:not-a-tpm --pubkey pub.pem t.json p
message tpm/tcti/regular-file-message 'TPM device:not-a-tpm: not-a-tpm is not a character device'
t_same tpm/tcti/regular-file-untouched "$(cat not-a-tpm)" 'not a TPM'
t_expect tpm/tcti/not-a-tpm 1 "$LVTPM" enrol --tcti /dev/null --pubkey pub.pem t.json p
message tpm/tcti/not-a-tpm-message 'TPM device:/dev/null: /dev/null is not a TPM \(a mem device\)'
t_expect tpm/tcti/control-characters 1 "$LVTPM" enrol --tcti "$(printf 'swtpm:\nport=1')" \
	--pubkey pub.pem t.json p

# ---- tokens that are not right ---------------------------------------------

# tamper NAME EXPR MESSAGE: a copy of token.json changed by a Python
# expression over u (its UserData), refused with MESSAGE.
tamper() {
	"$PY" - token.json "tampered-$1.json" "$2" <<'EOF'
import base64, json, sys
tok = json.load(open(sys.argv[1]))
u = tok["UserData"]
exec(sys.argv[3])
json.dump(tok, open(sys.argv[2], "w"))
EOF
	t_expect "tpm/token/$1" 1 "$LVTPM" token "tampered-$1.json"
	message "tpm/token/$1-message" "$3"
}
tamper type 'tok["type"] = "talos-tpm3"' 'type is not "talos-tpm2"'
tamper blob-size 'u["sealed_blob_public"] = base64.b64encode(base64.b64decode(u["sealed_blob_public"])[:-1]).decode()' 'sealed_blob_public: TPM2B_PUBLIC says 78 bytes, 77 follow'
tamper blob-base64 'u["sealed_blob_private"] = "AAA"' 'sealed_blob_private: not padded standard base64'
tamper policy-hash 'u["policy_hash"] = "AAAA"' 'policy_hash: 3 bytes, not 32'
tamper key-name 'u["key_name"] = base64.b64encode(b"\x00\x02\x00\x04").decode()' 'key_name: not a SHA-256 Name'
tamper pcr-range 'u["pcrs"] = [24]' 'pcrs\[0\]: 24 is out of range 0-23'
tamper alg 'u["alg"] = "sha1"' 'alg: "sha1", only sha256 is known'
tamper version 'u["encryption_version"] = "2"' 'encryption_version: "2" is unknown'
tamper mode 'u["luksvol_policy"] = "none"' 'luksvol_policy: "none" is unknown'
tamper pcr-only-with-pubkey 'u["luksvol_policy"] = "pcr-only"' 'pcr-only needs pcrs and no pubkey_pcrs'
tamper missing 'del u["key_name"]' 'key_name: missing'
