#!/bin/bash
# apply_tpm.sh: tpm keys through `luksvol apply` (--no-activate, image
# files) on swtpm, with cryptsetup, tpm2-tools and tests/tpm/tpmtest.py as
# the oracles.  The test signs PCR 11's policy as a UKI build does
# (tpm.sh has the engine's own cases): apply enrols, imports the
# talos-tpm2 token at token id = keyslot, checked field by field, and a
# second apply unseals and opens; the key K that tpm2-tools unseals from
# the token's blobs opens the keyslot as base64(K) in cryptsetup.  A PCR
# 7 change, a wrong signature, a wrong public key, another TPM, a TPM that
# stops answering and a signature that is a FIFO or a directory each fall
# back to the static key, leave the TPM keyslot and its token
# byte-identical and say why (a public key that is a FIFO: the static key
# formats); then the PCR-only mode with its warning, lockToState over
# tpm, Secure Boot checks and --dry-run.
set -u
source "$(dirname "$0")/../lib.sh"
DIR=$LV_WORK/apply_tpm
rm -rf "$DIR"
mkdir -p "$DIR/state"
source "$LV_TOP/tests/tpm/swtpm.sh"
LUKSVOL=$(cd "$(dirname "$LUKSVOL")" && pwd)/$(basename "$LUKSVOL")
IMG=$DIR/data.img
FAST=(--pbkdf-memory 32 --pbkdf-force-iterations 4 --pbkdf-parallel 1)
# The PCR public key and signature apply is given ("" leaves the option out).
PCR_KEY=pub.pem
PCR_SIG=sig.json

new_image() { rm -f "$IMG"; truncate -s 24M "$IMG"; }
digest() { sha256sum "$1" | cut -d' ' -f1; }

# config NAME KEYS...: $DIR/NAME.yaml, a data_volume_config (tests/lib.sh).
config() { data_volume_config "$DIR/$1.yaml" "${@:2}"; }

apply() {
	local tpm_args=(--tpm-tcti "$TCTI")
	[ -n "$PCR_KEY" ] && tpm_args+=(--tpm-pcr-public-key "$PCR_KEY")
	[ -n "$PCR_SIG" ] && tpm_args+=(--tpm-pcr-signature "$PCR_SIG")
	"$LUKSVOL" apply --device "u-data=$IMG" --state-dir "$DIR/state" --no-activate "${FAST[@]}" \
		"${tpm_args[@]}" "$@"
}

# opens NAME SLOT KEYFILE / rejects: cryptsetup and exactly those bytes.
opens() { t_expect "$1" 0 cryptsetup open --test-passphrase --key-slot "$2" --key-file "$3" "$IMG"; }
rejects() { t_expect "$1" 2 cryptsetup open --test-passphrase --key-slot "$2" --key-file "$3" "$IMG"; }

# The JSON of keyslot N and token N, as cryptsetup reads them.
slot_and_token() {
	cryptsetup luksDump --dump-json-metadata "$IMG" 2>/dev/null | "$PY" -c '
import json, sys
m = json.load(sys.stdin)
n = sys.argv[1]
print(json.dumps([m["keyslots"].get(n), m["tokens"].get(n)], sort_keys=True))' "$1"
}

token_ids() {
	cryptsetup luksDump --dump-json-metadata "$IMG" 2>/dev/null |
		"$PY" -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin)["tokens"], key=int)))'
}

# falls_back NAME PATTERN [SYNC_PATTERN]: apply opened with the static key
# after the TPM key failed with PATTERN, the sync reported keyslot 1 as
# failed with SYNC_PATTERN (PATTERN) and left it and token 1 as they were
# (the whole image, in fact), and keyslot 1 still opens with K.
falls_back() {
	local name=$1 pattern=$2 sync_pattern=${3:-$2} before slot1
	before=$(digest "$IMG")
	slot1=$(slot_and_token 1)
	t_expect "$name" 0 apply -f "$CFG"
	t_said_like "$name-tpm-fails" "^u-data: keyslot 1 \(tpm\) does not open it: .*$pattern"
	t_said "$name-static-opens" "u-data: opened with keyslot 2 (static)"
	t_said_like "$name-sync-reports" "^u-data: cannot check keyslot 1 \(tpm\): left as it is: .*$sync_pattern"
	t_same "$name-image-unchanged" "$(digest "$IMG")" "$before"
	t_same "$name-slot-and-token-unchanged" "$(slot_and_token 1)" "$slot1"
	opens "$name-keyslot-still-opens" 1 k1.b64
}

TPM1='    - slot: 1
      tpm: {}'
STATIC2='    - slot: 2
      static:
        passphrase: alpha two'
printf 'alpha two' >static2.key

swtpm_start "$DIR/state-a" || { t_fail apply_tpm/swtpm "swtpm did not start: $(tail -3 swtpm.log)"; exit 1; }
measure_boot
"$PY" "$AUX" keygen priv.pem pub.pem
"$PY" "$AUX" keygen other-priv.pem other-pub.pem
"$PY" "$AUX" pcrsig priv.pem "$(pcr_hex 11)" sig.json
"$PY" "$AUX" pcrsig other-priv.pem "$(pcr_hex 11)" other-sig.json
# The right key's fingerprint, another key's signature.
"$PY" "$AUX" swap-signature sig.json other-sig.json bad-sig.json
if [ -e /.extra/tpm2-pcr-public-key.pem ]; then
	t_fail apply_tpm/precondition "/.extra/tpm2-pcr-public-key.pem exists: the PCR-only cases need it absent"
fi

# ---- the signed policy: enrol, the token, K, reopen ---------------------------

# A talos-tpm2 token with one field broken: luksvol token import refuses
# it, naming the field (token1.json: Talos's shape, as apply wrote it).
talos_token_refusals() {
	local name field value
	while read -r name field value; do
		jq -c --argjson v "$value" ".UserData[\"$field\"] = \$v" token1.json >bad.json
		t_token_refused "apply_tpm/token-$name" "$IMG" "$(cat bad.json)" "UserData.$field"
	done <<-'EOF'
	pcr-range pcrs [7,24]
	pcr-twice pcrs [7,7]
	pcrs-string pcrs "7"
	hash-short policy_hash "AAAA"
	blob-not-base64 sealed_blob_private "A*=="
	key-name-missing key_name null
	alg alg "sha1"
	version encryption_version "2"
	EOF
}

test_signed() {
	local before
	CFG=$(config signed "$TPM1" "$STATIC2")
	new_image
	t_expect apply_tpm/enrol 0 apply -f "$CFG"
	t_said apply_tpm/enrol-report "u-data: formatted with keyslot 1 (tpm): cipher aes-xts-plain64" \
		"u-data: added keyslot 2 (static)"
	t_same apply_tpm/token-id-is-slot "$(token_ids)" 1
	cryptsetup token export --token-id 1 "$IMG" >token1.json
	t_same_luksdump apply_tpm/dump "$IMG"
	t_token_reimported apply_tpm/token "$IMG" 1
	talos_token_refusals
	t_expect apply_tpm/token-field-by-field 0 "$PY" "$AUX" check-token token1.json 1 7 11 \
		"$("$PY" "$AUX" sealing-policy pub.pem 7 "$(pcr_hex 7)")"
	t_same apply_tpm/tpm2-tools-unseals "$(oracle token1.json k1.b64 signed 7)" ok
	opens apply_tpm/base64-K-opens-keyslot 1 k1.b64
	# The same bytes with one character changed: the check can fail.
	sed 's/^./A/;t;s/^/A/' k1.b64 | tr -d '\n' >k1-wrong.b64
	cmp -s k1.b64 k1-wrong.b64 && sed -i 's/^A/B/' k1-wrong.b64
	rejects apply_tpm/another-passphrase-rejected 1 k1-wrong.b64
	opens apply_tpm/static-opens-keyslot-2 2 static2.key
	before=$(digest "$IMG")
	t_expect apply_tpm/reopen 0 apply -f "$CFG"
	t_said apply_tpm/reopen-report "u-data: opened with keyslot 1 (tpm)" \
		"u-data: in sync: keyslot 2 (static)"
	t_same apply_tpm/reopen-writes-nothing "$(digest "$IMG")" "$before"
	no_handles apply_tpm/no-handles-left
}

# ---- failures fall back to the static key and leave the TPM keyslot ----------

test_pcr7_changed() {
	local json
	extend 7 dbx-update
	falls_back apply_tpm/pcr7-changed \
		"TPM $TCTI: sealing policy digest does not match: PCRs 7 changed since enrolment"
	t_expect apply_tpm/pcr7-changed-json 0 apply --json -f "$CFG"
	json=$("$PY" -c '
import json, sys
vol = json.load(open(sys.argv[1]))["volumes"][0]
print(vol["outcome"], vol["slot"], [(a["action"], a["status"], a.get("slot"), a.get("key"))
      for a in vol["actions"] if a["action"] in ("open", "check")])' "$LV_WORK/last.out")
	t_same apply_tpm/pcr7-changed-json-report "$json" \
		"opened 2 [('open', 'failed', 1, 'tpm'), ('open', 'done', 2, 'static'), ('check', 'failed', 1, 'tpm')]"
	# A reboot measures PCR 7 as at enrolment: the TPM key opens again.
	swtpm_start "$DIR/state-a"
	measure_boot
	t_expect apply_tpm/after-reboot 0 apply -f "$CFG"
	t_said apply_tpm/after-reboot-report "u-data: opened with keyslot 1 (tpm)"
}

test_wrong_signature_key_tpm() {
	local before
	PCR_SIG=bad-sig.json
	falls_back apply_tpm/wrong-signature "bad-sig.json: TPM $TCTI: VerifySignature"
	PCR_SIG=sig.json PCR_KEY=other-pub.pem
	falls_back apply_tpm/wrong-public-key "sig.json: the signature of PCR 11 policy [0-9a-f]{64} is by another key"
	PCR_KEY=pub.pem
	swtpm_start "$DIR/state-b"
	measure_boot
	falls_back apply_tpm/another-tpm \
		"TPM $TCTI: the storage root key's Name differs from the token's key_name"
	# With no other key the volume stays shut: exit 2, nothing written.
	before=$(digest "$IMG")
	t_expect apply_tpm/another-tpm-only-key 2 apply -f "$(config only-tpm "$TPM1")"
	grep -q "no configured key opens the volume" "$LV_WORK/last.err" &&
		t_pass apply_tpm/another-tpm-only-key-message ||
		t_fail apply_tpm/another-tpm-only-key-message "$(cat "$LV_WORK/last.err")"
	t_same apply_tpm/another-tpm-only-key-unchanged "$(digest "$IMG")" "$before"
	no_handles apply_tpm/failures-leave-no-handles
	swtpm_start "$DIR/state-a"
	measure_boot
}

# A TPM that stops answering: the key's 20 s bound (Talos's), then the
# static key; the sync does not ask the same TPM again.
test_hung_tpm() {
	kill -STOP "$SWTPM_PID"
	falls_back apply_tpm/hung-tpm "TPM $TCTI: cannot connect: no answer within [0-9]+ ms" \
		"TPM $TCTI: cannot connect: no answer within [0-9]+ ms \(earlier in this run: not asked again\)$"
	kill -CONT "$SWTPM_PID"
	t_expect apply_tpm/hung-tpm-answers-again 0 apply -f "$CFG"
	t_said apply_tpm/hung-tpm-answers-again-report "u-data: opened with keyslot 1 (tpm)"
}

# ---- tpm2-tss is loaded at the first TPM use (src/tpm/tpm_tss2.h) -----------

# luksvol finding a libtss2-esys.so.0 first (LD_LIBRARY_PATH) that lacks
# its calls, or is no library at all: the TPM key fails naming it, the
# static key opens and the TPM keyslot stays as it was; with only the TPM
# key an empty volume is not formatted (exit 1: a broken installation, as
# a missing libcurl) and stays as it was.
test_tss2_unusable() {
	local fake=$DIR/faketss2 IMG=$IMG before lib
	mkdir -p "$fake/lacking" "$fake/garbage"
	printf 'int lv_not_tss2;\n' >"$fake/empty.c"
	cc -shared -fPIC -o "$fake/lacking/libtss2-esys.so.0" "$fake/empty.c" ||
		{ t_fail apply_tpm/tss2-unusable "cannot build an empty shared library"; return; }
	printf 'not an ELF object\n' >"$fake/garbage/libtss2-esys.so.0"
	for lib in lacking garbage; do
		printf '#!/bin/sh\nLD_LIBRARY_PATH=%s exec %s "$@"\n' "$fake/$lib" "$LUKSVOL" >"$fake/$lib.sh"
		chmod +x "$fake/$lib.sh"
	done
	LUKSVOL=$fake/lacking.sh falls_back apply_tpm/tss2-lacking \
		"libtss2-esys\.so\.0: no Esys_Initialize in it$" "libtss2-esys\.so\.0: no Esys_Initialize in it"
	IMG=$DIR/empty.img
	new_image
	before=$(digest "$IMG")
	LUKSVOL=$fake/garbage.sh t_expect apply_tpm/tss2-missing 1 apply -f "$(config only-tpm "$TPM1")"
	t_same apply_tpm/tss2-missing-message "$(grep -cE \
		"^luksvol: .*: cannot load libtss2-esys\.so\.0: .+$" \
		"$LV_WORK/last.err")" 1
	t_same apply_tpm/tss2-missing-writes-nothing "$(digest "$IMG")" "$before"
	rm -f "$IMG"
}

# ---- PCR-only: no PCR public key at all ---------------------------------------

test_pcr_only() {
	local warning before
	warning="u-data: keyslot 1 (tpm): warning: tpm key: no PCR public key at /.extra/tpm2-pcr-public-key.pem: sealing to PCRs 7 alone (pcr-only), weaker than a signed PCR policy: any boot that reproduces those PCR values unseals it"
	PCR_KEY= PCR_SIG=
	CFG=$(config pcr-only "$TPM1" "$STATIC2")
	new_image
	before=$(digest "$IMG")
	t_expect apply_tpm/pcr-only-dry-run-json 0 apply --dry-run --json -f "$CFG"
	"$PY" - "$LV_WORK/last.out" "${warning#u-data: keyslot 1 (tpm): warning: }" <<'EOF' &&
import json, sys
actions = json.load(open(sys.argv[1]))["volumes"][0]["actions"]
notice = {"action": "warning", "status": "done", "slot": 1, "key": "tpm", "lockToState": False,
          "detail": sys.argv[2]}
assert actions[0] == notice and actions[1]["action"] == "format", actions
EOF
		t_pass apply_tpm/pcr-only-json-notice || t_fail apply_tpm/pcr-only-json-notice "$(head -c 600 "$LV_WORK/last.out")"
	t_same apply_tpm/pcr-only-dry-run-unchanged "$(digest "$IMG")" "$before"
	t_expect apply_tpm/pcr-only-enrol 0 apply -f "$CFG"
	t_said apply_tpm/pcr-only-warning "$warning" "u-data: formatted with keyslot 1 (tpm): cipher aes-xts-plain64"
	t_same apply_tpm/pcr-only-warning-first "$(sed -n 2p "$LV_WORK/last.out")" "$warning"
	cryptsetup token export --token-id 1 "$IMG" >token-pcronly.json
	t_expect apply_tpm/pcr-only-token 0 "$PY" "$AUX" check-token token-pcronly.json 1 7 none \
		"$("$PY" "$AUX" sealing-policy - 7 "$(pcr_hex 7)")" pcr-only
	t_same apply_tpm/pcr-only-tpm2-tools-unseals "$(oracle token-pcronly.json k1.b64 unsigned 7)" ok
	opens apply_tpm/pcr-only-base64-K-opens 1 k1.b64
	t_expect apply_tpm/pcr-only-reopen 0 apply -f "$CFG"
	t_said apply_tpm/pcr-only-reopen-report "u-data: opened with keyslot 1 (tpm)"
	t_same apply_tpm/pcr-only-no-warning-at-open "$(grep -c warning "$LV_WORK/last.out")" 0
	extend 7 dbx-update
	falls_back apply_tpm/pcr-only-pcr-changed \
		"sealing policy digest does not match: PCRs 7 changed since enrolment"
	swtpm_start "$DIR/state-a"
	measure_boot
	PCR_KEY=pub.pem PCR_SIG=sig.json
}

# ---- lockToState over tpm: base64(K) then the salt ------------------------------

test_lock_to_state() {
	CFG=$(config locked "$TPM1
      lockToState: true" "$STATIC2")
	new_image
	rm -f "$DIR/state/encryption-salt.yaml"
	t_expect apply_tpm/locked-enrol 0 apply -f "$CFG"
	t_said apply_tpm/locked-report "u-data: formatted with keyslot 1 (tpm, lockToState): cipher aes-xts-plain64"
	cryptsetup token export --token-id 1 "$IMG" >token-locked.json
	t_same apply_tpm/locked-tpm2-tools-unseals "$(oracle token-locked.json k1.b64 signed 7)" ok
	"$PY" - "$DIR/state/encryption-salt.yaml" k1.b64 k1-salted.key <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
salt = bytes(int(v) for v in re.findall(r"^    - (\d+)$", text, re.M))
assert len(salt) == 32
open(sys.argv[3], "wb").write(open(sys.argv[2], "rb").read() + salt)
EOF
	opens apply_tpm/locked-base64-K-and-salt-opens 1 k1-salted.key
	rejects apply_tpm/locked-base64-K-alone-rejected 1 k1.b64
	t_expect apply_tpm/locked-reopen 0 apply -f "$CFG"
	t_said apply_tpm/locked-reopen-report "u-data: opened with keyslot 1 (tpm, lockToState)"
}

# ---- checkSecurebootStatusOnEnroll through --efivars-dir ------------------------

test_secureboot() {
	local guid=8be4df61-93ca-11d2-aa0d-00e098032b8c
	mkdir -p efi-on efi-off
	printf '\x06\x00\x00\x00\x01' >"efi-on/SecureBoot-$guid"
	printf '\x06\x00\x00\x00\x00' >"efi-on/SetupMode-$guid"
	printf '\x06\x00\x00\x00\x00' >"efi-off/SecureBoot-$guid"
	printf '\x06\x00\x00\x00\x00' >"efi-off/SetupMode-$guid"
	CFG=$(config secureboot '    - slot: 1
      tpm:
        checkSecurebootStatusOnEnroll: true' "$STATIC2")
	new_image
	t_expect apply_tpm/secureboot-off 0 apply --efivars-dir efi-off -f "$CFG"
	t_said_like apply_tpm/secureboot-off-report "^u-data: cannot format with keyslot 1 \(tpm\): .*SecureBoot is disabled"
	t_said apply_tpm/secureboot-off-static-formats "u-data: formatted with keyslot 2 (static): cipher aes-xts-plain64"
	t_same apply_tpm/secureboot-off-no-token "$(token_ids)" ""
	# The next apply with Secure Boot on adds the TPM keyslot and its token.
	t_expect apply_tpm/secureboot-on 0 apply --efivars-dir efi-on -f "$CFG"
	t_said apply_tpm/secureboot-on-report "u-data: opened with keyslot 2 (static)" \
		"u-data: added keyslot 1 (tpm)"
	t_same apply_tpm/secureboot-on-token "$(token_ids)" 1
}

# A signature or public key that is a FIFO or a directory is refused at
# once (never waited on): the static key opens, or formats, the volume.
test_not_regular_files() {
	mkfifo sig.fifo key.fifo
	mkdir -p sig.dir
	PCR_SIG=sig.fifo
	falls_back apply_tpm/signature-fifo "sig.fifo: not a regular file"
	PCR_SIG=sig.dir
	falls_back apply_tpm/signature-directory "sig.dir: not a regular file"
	PCR_SIG=sig.json PCR_KEY=key.fifo
	new_image
	t_expect apply_tpm/public-key-fifo 0 apply -f "$CFG"
	t_said_like apply_tpm/public-key-fifo-report \
		"^u-data: cannot format with keyslot 1 \(tpm\): .*key.fifo: not a regular file$"
	t_said apply_tpm/public-key-fifo-static-formats "u-data: formatted with keyslot 2 (static): cipher aes-xts-plain64"
	t_same apply_tpm/public-key-fifo-no-token "$(token_ids)" ""
	PCR_KEY=pub.pem
}

# ---- --dry-run and a bad TCTI write nothing --------------------------------------

test_dry_run_and_tcti() {
	local before
	CFG=$(config signed "$TPM1" "$STATIC2")
	new_image
	before=$(digest "$IMG")
	t_expect apply_tpm/dry-run 0 apply --dry-run -f "$CFG"
	t_said apply_tpm/dry-run-plan "u-data: would format with keyslot 1 (tpm): cipher aes-xts-plain64" \
		"u-data: would add keyslot 2 (static)"
	t_same apply_tpm/dry-run-unchanged "$(digest "$IMG")" "$before"
	TCTI=cmd:/bin/true t_expect apply_tpm/bad-tcti 0 apply --dry-run -f "$CFG"
	t_said apply_tpm/bad-tcti-report "u-data: cannot format with keyslot 1 (tpm): TPM TCTI \"cmd:/bin/true\": unknown driver (device:PATH, swtpm:host=H,port=P, mssim:host=H,port=P, or a device path)"
	t_same apply_tpm/bad-tcti-unchanged "$(digest "$IMG")" "$before"
	no_handles apply_tpm/dry-run-no-handles-left
}

# ---- systemd-measure signs the policy (the UKI build's own tool) ------------

# A fresh TPM measured as systemd-stub measures a UKI whose one section is
# .linux (its name with the NUL, then its bytes) before Talos's three
# phases; systemd-measure computes PCR 11 from the same UKI (the check
# that this test measures as systemd-stub does) and signs its policy.
# apply enrols and opens with that .pcrsig: its format, the policy digest,
# pkfp and the signature scheme are systemd's, not this suite's oracle's.
test_systemd_measure() {
	local measure=/lib/systemd/systemd-measure phases=enter-initrd:leave-initrd:enter-machined
	local part want
	swtpm_start "$DIR/state-sd" || { t_fail apply_tpm/systemd-measure-swtpm "swtpm did not start"; return; }
	extend 7 secureboot-enabled
	printf 'a kernel image' >uki-linux
	for part in "$(printf '.linux\0' | sha256sum)" "$(sha256sum <uki-linux)"; do
		tpm2 pcrextend "11:sha256=${part%% *}"
	done
	for part in enter-initrd leave-initrd enter-machined; do extend 11 "$part"; done
	want=$("$measure" calculate --linux=uki-linux --phase="$phases" --bank=sha256 --json=short |
		"$PY" -c 'import json, sys; print(json.load(sys.stdin)["sha256"][0]["hash"])')
	t_same apply_tpm/systemd-measure-pcr11 "$(pcr_hex 11)" "$want"
	t_expect apply_tpm/systemd-measure-signs 0 "$measure" sign --linux=uki-linux --phase="$phases" \
		--bank=sha256 --private-key=priv.pem --public-key=pub.pem --tpm2-device="$TCTI" \
		--json=short
	cp "$LV_WORK/last.out" sd-sig.json
	PCR_SIG=sd-sig.json
	CFG=$(config signed "$TPM1" "$STATIC2")
	new_image
	t_expect apply_tpm/systemd-measure-enrol 0 apply -f "$CFG"
	t_said apply_tpm/systemd-measure-enrol-report \
		"u-data: formatted with keyslot 1 (tpm): cipher aes-xts-plain64"
	# k1.b64: K as tpm2-tools unseals it, for falls_back below.
	cryptsetup token export --token-id 1 "$IMG" >sd-token.json
	t_same apply_tpm/systemd-measure-tpm2-tools-unseals "$(oracle sd-token.json k1.b64 signed 7)" ok
	opens apply_tpm/systemd-measure-base64-K-opens 1 k1.b64
	t_expect apply_tpm/systemd-measure-reopen 0 apply -f "$CFG"
	t_said apply_tpm/systemd-measure-reopen-report "u-data: opened with keyslot 1 (tpm)"
	# The signature's "pol" is what the TPM's PolicyPCR(11) gives: a
	# signature for another PCR 11 (one phase further) opens nothing.
	extend 11 start-the-world
	falls_back apply_tpm/systemd-measure-next-phase \
		"sd-sig.json: no sha256 signature for the current PCR 11 policy [0-9a-f]{64}: PCR 11 is not at a phase the UKI signed"
	PCR_SIG=sig.json
	no_handles apply_tpm/systemd-measure-no-handles-left
}

test_signed
test_pcr7_changed
test_wrong_signature_key_tpm
test_hung_tpm
test_tss2_unusable
test_not_regular_files
test_pcr_only
test_lock_to_state
test_secureboot
test_dry_run_and_tcti
test_systemd_measure
