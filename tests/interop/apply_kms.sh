#!/bin/bash
# apply_kms.sh: `luksvol apply` with kms keys (talos-encryption.md §2.3,
# §3, §4) against a real gRPC server on loopback (tests/kms/server.py),
# with cryptsetup as the oracle: a kms key at slot 0 and a static one at
# slot 1 format an image; the token is exactly Talos's; slot 0 opens with
# base64(K), K being what the server received in Seal; the next apply
# unseals and opens through slot 0.  Plaintext and TLS (--kms-ca); every
# TLS refusal, a server that is down or misbehaves: one clear error naming
# the endpoint, the static slot opens the volume, slot 0 and its token stay
# byte for byte.  lockToState over kms; tokens that are missing or foreign.
set -u
source "$(dirname "$0")/../lib.sh"
LV_WORK=$(realpath "$LV_WORK")
LV_RESULTS=$(realpath "$LV_RESULTS")
DIR=$LV_WORK/apply_kms
KMS_DIR=$DIR/kms
source "$LV_TOP/tests/kms/lib_kms.sh"
rm -rf "$DIR"
mkdir -p "$DIR/state" "$KMS_DIR"
UUID=4c4c4544-0042-3510-8052-b4c04f4b4d32
FAST=(--pbkdf-memory 32 --pbkdf-force-iterations 4 --pbkdf-parallel 1)
IMG=$DIR/data.img
RECORD=$KMS_DIR/record
MASTER=$KMS_DIR/master.key

new_image() { rm -f "$IMG"; truncate -s 24M "$IMG"; }
digest() { sha256sum "$IMG" | cut -d' ' -f1; }

# config NAME ENDPOINT [LOCK]: kms at slot 0 (lockToState when LOCK is
# "true"), static "alpha one" at slot 1; a fourth argument kms-only: slot 0 alone.
config() {
	local keys=("    - slot: 0" "      kms:" "        endpoint: $2")
	[ "${3:-}" = true ] && keys+=("      lockToState: true")
	[ "${4:-}" = kms-only ] || keys+=("    - slot: 1" "      static:" "        passphrase: alpha one")
	data_volume_config "$DIR/$1.yaml" "${keys[@]}"
}

apply() {
	"$LUKSVOL" apply --device "u-data=$IMG" --node-uuid "$UUID" --state-dir "$DIR/state" \
		--no-activate "${FAST[@]}" "$@"
}

# The passphrase of the last Seal: base64 of the K the server received.
last_sealed_passphrase() {
	tail -1 "$RECORD" | awk '{print $3}' | xxd -r -p | base64 -w0
}

# no_key_in_output NAME: the last command's output holds neither K (hex)
# nor the passphrase base64(K) of the last Seal.
no_key_in_output() {
	local hex passphrase
	hex=$(tail -1 "$RECORD" | awk '{print $3}')
	passphrase=$(last_sealed_passphrase)
	if [ -z "$hex" ]; then
		t_fail "$1" "no Seal recorded"
	elif grep -qiF -e "$hex" -e "$passphrase" "$LV_WORK/last.out" "$LV_WORK/last.err"; then
		t_fail "$1" "the KMS key is in apply's output"
	else
		t_pass "$1"
	fi
}

token0() { cryptsetup token export --token-id 0 "$IMG" 2>/dev/null; }

# formats NAME CFG ARGS...: apply formats a new image with kms at slot 0
# and static at slot 1; the token, K and both keyslots checked.
formats() {
	local name=$1 cfg=$2 token
	shift 2
	new_image
	: >"$RECORD"
	t_expect "$name/format" 0 apply -f "$cfg" "$@"
	t_said_like "$name/format-report" '^u-data: formatted with keyslot 0 \(kms\)' \
		'^u-data: added keyslot 1 \(static\)$'
	no_key_in_output "$name/format-no-key-in-output"
	t_same "$name/one-seal" "$(wc -l <"$RECORD")" 1
	t_same "$name/seal-node-uuid" "$(awk '{print $2}' "$RECORD")" "$UUID"
	token=$(token0)
	if grep -qE "$KMS_TOKEN_RE" <<<"$token"; then t_pass "$name/token-talos-shape"; else
		t_fail "$name/token-talos-shape" "$token"; fi
	t_same "$name/sealed-60-bytes" "$(jq -r .UserData.sealedData <<<"$token" | base64 -d | wc -c)" 60
	t_same "$name/only-token-0" "$(cryptsetup luksDump --dump-json-metadata "$IMG" | jq -c '.tokens | keys')" \
		'["0"]'
	last_sealed_passphrase >"$DIR/k.pass"
	t_same "$name/passphrase-44" "$(wc -c <"$DIR/k.pass")" 44
	t_expect "$name/slot0-opens-with-base64-K" 0 cryptsetup open --test-passphrase --key-slot 0 \
		--key-file "$DIR/k.pass" "$IMG"
	printf '%s' 'alpha one' >"$DIR/static.pass"
	t_expect "$name/slot1-static" 0 cryptsetup open --test-passphrase --key-slot 1 \
		--key-file "$DIR/static.pass" "$IMG"
}

# reopens NAME CFG ARGS...: the next apply unseals, opens through slot 0
# and writes nothing.
reopens() {
	local name=$1 cfg=$2 before
	shift 2
	before=$(digest)
	t_expect "$name/reopen" 0 apply -f "$cfg" "$@"
	t_said_like "$name/reopen-report" '^u-data: opened with keyslot 0 \(kms' \
		'^u-data: in sync: keyslot 1 \(static\)$'
	no_key_in_output "$name/reopen-no-key-in-output"
	t_expect "$name/reopen-json" 0 apply --json -f "$cfg" "$@"
	no_key_in_output "$name/reopen-json-no-key-in-output"
	t_same "$name/reopen-writes-nothing" "$(digest)" "$before"
}

# falls_back NAME CFG PATTERN ARGS...: apply opens through the static
# slot, reports slot 0's failure (PATTERN, after "kms <endpoint>: ") in
# the open and in the sync, and leaves every byte as it was.
falls_back() {
	local name=$1 cfg=$2 pattern=$3 before started ep
	shift 3
	ep=$(awk '/endpoint:/{print $2}' "$cfg")
	before=$(digest)
	started=$SECONDS
	t_expect "$name" 0 apply -f "$cfg" "$@"
	t_said_like "$name-report" \
		"^u-data: keyslot 0 \\(kms\\) does not open it: kms $ep: $pattern" \
		'^u-data: opened with keyslot 1 \(static\)$' \
		"^u-data: cannot check keyslot 0 \\(kms\\): left as it is: kms $ep: $pattern"
	t_same "$name-unchanged" "$(digest)" "$before"
	# bounded: twice the 10 s KMS timeout (open, then sync) plus slack
	t_same "$name-bounded" "$(( SECONDS - started <= 35 ))" 1
}

# ---- plaintext: format, reopen, lockToState ------------------------------
kms_start plain --record "$RECORD" --master-key-file "$MASTER" || exit 1
PLAIN=$KMS_PORT
CFG=$(config plain "127.0.0.1:$PLAIN")
formats kms-plain "$CFG"
t_expect kms-plain/luksdump-token 0 cryptsetup luksDump "$IMG"
grep -qE '^  0: sideroKMS$' "$LV_WORK/last.out" && t_pass kms-plain/luksdump-sideroKMS ||
	t_fail kms-plain/luksdump-sideroKMS "$(sed -n '/^Tokens/,/^Digests/p' "$LV_WORK/last.out")"
t_same_luksdump kms-plain/dump "$IMG"
t_token_reimported kms-plain/token "$IMG" 0
KMS_HEAD='{"type":"sideroKMS","keyslots":[]'
t_token_refused kms-plain/token-no-userdata "$IMG" "$KMS_HEAD}" 'UserData: missing'
t_token_refused kms-plain/token-extra-field "$IMG" \
	"$KMS_HEAD,\"UserData\":{\"sealedData\":\"AAAA\",\"x\":1}}" 'sealedData must be its only field'
t_token_refused kms-plain/token-not-base64 "$IMG" \
	"$KMS_HEAD,\"UserData\":{\"sealedData\":\"AAA\"}}" 'UserData.sealedData'
t_token_refused kms-plain/token-empty "$IMG" \
	"$KMS_HEAD,\"UserData\":{\"sealedData\":\"\"}}" 'UserData.sealedData'
reopens kms-plain "$CFG"
t_same kms-plain/reopen-no-seal "$(wc -l <"$RECORD")" 1
reopens kms-grpc-scheme "$(config grpc "grpc://127.0.0.1:$PLAIN")"

# --dry-run on an empty image: planned with the KMS reached, nothing written.
new_image
before=$(digest)
t_expect kms-plain/dry-run 0 apply --dry-run -f "$CFG"
t_said_like kms-plain/dry-run-report '^u-data: would format with keyslot 0 \(kms\)'
t_same kms-plain/dry-run-unchanged "$(digest)" "$before"

# lockToState: passphrase = base64(K) ‖ the 32 salt bytes.
LOCKED=$(config locked "127.0.0.1:$PLAIN" true)
new_image
: >"$RECORD"
t_expect kms-locked/format 0 apply -f "$LOCKED"
t_said_like kms-locked/format-report '^u-data: formatted with keyslot 0 \(kms, lockToState\)'
/usr/bin/python3 - "$DIR/state/encryption-salt.yaml" "$DIR/salt.bin" <<'PY'
import re, sys
values = [int(v) for v in re.findall(r"^    - (\d+)$", open(sys.argv[1]).read(), re.M)]
assert len(values) == 32
open(sys.argv[2], "wb").write(bytes(values))
PY
{ last_sealed_passphrase; cat "$DIR/salt.bin"; } >"$DIR/locked.pass"
t_same kms-locked/passphrase-76-bytes "$(wc -c <"$DIR/locked.pass")" 76
t_expect kms-locked/slot0-opens-with-base64-K-and-salt 0 cryptsetup open --test-passphrase \
	--key-slot 0 --key-file "$DIR/locked.pass" "$IMG"
last_sealed_passphrase >"$DIR/unsalted.pass"
t_expect kms-locked/slot0-needs-the-salt 2 cryptsetup open --test-passphrase --key-slot 0 \
	--key-file "$DIR/unsalted.pass" "$IMG"
reopens kms-locked "$LOCKED"

# ---- the server down, then back ------------------------------------------
formats kms-down "$CFG"
SLOT0=$(cryptsetup luksDump --dump-json-metadata "$IMG" | jq -c '.keyslots["0"]')
TOKEN=$(token0)
kms_stop plain
falls_back kms-down/open "$CFG" 'Unseal: cannot connect'
t_same kms-down/slot0-same "$(cryptsetup luksDump --dump-json-metadata "$IMG" | jq -c '.keyslots["0"]')" \
	"$SLOT0"
t_same kms-down/token0-same "$(token0)" "$TOKEN"
kms_start plain --port "$PLAIN" --record "$RECORD" --master-key-file "$MASTER" || exit 1
reopens kms-back "$CFG"

# Down while formatting: the static key formats, slot 0 waits for the
# server, which the next apply enrols.
kms_stop plain
new_image
t_expect kms-down-format/format 0 apply -f "$CFG"
t_said_like kms-down-format/report \
	"^u-data: cannot format with keyslot 0 \\(kms\\): kms 127.0.0.1:$PLAIN: Seal: cannot connect" \
	'^u-data: formatted with keyslot 1 \(static\)'
t_same kms-down-format/no-slot0 "$(cryptsetup luksDump --dump-json-metadata "$IMG" |
	jq -c '[(.keyslots | keys), (.tokens | keys)]')" '[["1"],[]]'
kms_start plain --port "$PLAIN" --record "$RECORD" --master-key-file "$MASTER" || exit 1
: >"$RECORD"
t_expect kms-down-format/server-back 0 apply -f "$CFG"
t_said_like kms-down-format/server-back-report '^u-data: opened with keyslot 1 \(static\)$' \
	'^u-data: added keyslot 0 \(kms\)$'
last_sealed_passphrase >"$DIR/k.pass"
t_expect kms-down-format/slot0-opens 0 cryptsetup open --test-passphrase --key-slot 0 \
	--key-file "$DIR/k.pass" "$IMG"
reopens kms-down-format "$CFG"

# ---- tokens: none or foreign is Talos's ErrTokenInvalid: sync replaces ----
formats kms-token "$CFG"
cryptsetup token remove --token-id 0 "$IMG"
: >"$RECORD"
t_expect kms-token/missing 0 apply -f "$CFG"
t_said_like kms-token/missing-report '^u-data: keyslot 0 \(kms\) does not open it: slot 0: no token$' \
	'^u-data: opened with keyslot 1 \(static\)$' '^u-data: replaced keyslot 0 \(kms\)'
grep -qE "$KMS_TOKEN_RE" <<<"$(token0)" && t_pass kms-token/missing-new-token ||
	t_fail kms-token/missing-new-token "$(token0)"
last_sealed_passphrase >"$DIR/k.pass"
t_expect kms-token/missing-slot0-reenrolled 0 cryptsetup open --test-passphrase --key-slot 0 \
	--key-file "$DIR/k.pass" "$IMG"
cryptsetup token remove --token-id 0 "$IMG"
printf '{"type":"talos-tpm2","keyslots":[],"UserData":{}}' |
	cryptsetup token import --token-id 0 --json-file - "$IMG"
t_expect kms-token/foreign 0 apply -f "$CFG"
t_said_like kms-token/foreign-report \
	'^u-data: keyslot 0 \(kms\) does not open it: slot 0: its token is not of type sideroKMS$' \
	'^u-data: replaced keyslot 0 \(kms\)'
reopens kms-token "$CFG"
# A sideroKMS token that is malformed is no proof the slot is stale: left.
cryptsetup token remove --token-id 0 "$IMG"
printf '{"UserData":{"sealedData":"@@@@"},"type":"sideroKMS","keyslots":[]}' |
	cryptsetup token import --token-id 0 --json-file - "$IMG"
before=$(digest)
t_expect kms-token/malformed 0 apply -f "$CFG"
t_said_like kms-token/malformed-report '^u-data: opened with keyslot 1 \(static\)$' \
	'^u-data: cannot check keyslot 0 \(kms\): left as it is: .*not base64'
t_same kms-token/malformed-unchanged "$(digest)" "$before"

# ---- TLS: --kms-ca; every certificate that must be refused ---------------
if kms_certs; then
	C=$KMS_DIR/certs
	kms_start tls --tls "$C/good.pem" "$C/good.key" --record "$RECORD" \
		--master-key-file "$MASTER" || exit 1
	TLS=$(config tls "https://127.0.0.1:$KMS_PORT")
	formats kms-tls "$TLS" --kms-ca "$C/ca.pem"
	reopens kms-tls "$TLS" --kms-ca "$C/ca.pem"
	falls_back kms-tls/no-ca "$TLS" 'Unseal: TLS: server not trusted'
	falls_back kms-tls/wrong-ca "$TLS" 'Unseal: TLS: server not trusted' --kms-ca "$C/otherca.pem"
	# A --kms-ca that cannot be a CA file is a bad option: refused before
	# anything is read or written, not a KMS that fails (which would let
	# a format go on without the kms key).
	mkfifo "$C/fifo.pem"
	printf 'not a certificate\n' >"$C/junk.pem"
	before=$(digest)
	for ca in missing:'No such file or directory' fifo:'not a regular file' \
		junk:'no PEM certificate in it' certs:'not a regular file'; do
		file=$C/${ca%%:*}.pem
		[ "${ca%%:*}" = certs ] && file=$C
		t_expect "kms-tls/ca-${ca%%:*}-refused" 1 apply -f "$TLS" --kms-ca "$file"
		t_same "kms-tls/ca-${ca%%:*}-message" "$(cat "$LV_WORK/last.err")" \
			"luksvol: CA file $file: ${ca#*:}"
		t_same "kms-tls/ca-${ca%%:*}-unchanged" "$(digest)" "$before"
	done
	# On an empty image: no format with the static key alone.
	IMG=$DIR/empty.img new_image
	IMG=$DIR/empty.img t_expect kms-tls/ca-missing-no-format 1 apply -f "$TLS" --kms-ca "$C/missing.pem"
	t_same kms-tls/ca-missing-no-format-unchanged "$(IMG=$DIR/empty.img digest)" \
		"$(head -c 24M /dev/zero | sha256sum | cut -d' ' -f1)"
	kms_stop tls
	# The same sealed token, served with certificates that must be refused.
	for cert in expired:'server not trusted: .*expired' \
		wronghost:'server not trusted: .*(match|name)' byother:'server not trusted'; do
		kms_start "${cert%%:*}" --tls "$C/${cert%%:*}.pem" "$C/${cert%%:*}.key" \
			--master-key-file "$MASTER" || continue
		sed -i "s|endpoint: .*|endpoint: https://127.0.0.1:$KMS_PORT|" "$TLS"
		falls_back "kms-tls/${cert%%:*}" "$TLS" "Unseal: TLS: ${cert#*:}" --kms-ca "$C/ca.pem"
		kms_stop "${cert%%:*}"
	done
	# TLS to a plaintext server, plaintext to a TLS one.
	sed -i "s|endpoint: .*|endpoint: https://127.0.0.1:$PLAIN|" "$TLS"
	falls_back kms-tls/tls-to-plaintext "$TLS" 'Unseal: ' --kms-ca "$C/ca.pem"
else
	t_fail kms-tls/certs "openssl could not make the test certificates"
fi

# ---- misbehaving servers: a clear error in bounded time, nothing written --
formats kms-misbehave "$CFG"
# (Every other way to misbehave is tests/interop/kms.sh's, on the engine.)
for mode in garbage:'Unseal: Response: ' status:'Unseal: gRPC status 7 PERMISSION_DENIED: node not allowed$' \
	truncated:'Unseal: truncated gRPC message: 60 bytes announced, 10 sent$'; do
	kms_start "${mode%%:*}" --mode "${mode%%:*}" || continue
	falls_back "kms-misbehave/${mode%%:*}" "$(config "${mode%%:*}" "127.0.0.1:$KMS_PORT")" "${mode#*:}"
	kms_stop "${mode%%:*}"
done

# A server that never answers: with the kms key alone nothing opens the
# volume after the 10 s KMS timeout (exit 2: no key to be had, as for a
# tang server down), and nothing is written.
kms_start hang --mode hang || exit 1
HANG=$(config hang "127.0.0.1:$KMS_PORT" false kms-only)
before=$(digest)
started=$SECONDS
t_expect kms-misbehave/hang 2 apply -f "$HANG"
grep -q "kms 127.0.0.1:$KMS_PORT: Unseal: no complete answer within 10000 ms" "$LV_WORK/last.out" \
	"$LV_WORK/last.err" && t_pass kms-misbehave/hang-message ||
	t_fail kms-misbehave/hang-message "$(cat "$LV_WORK/last.out" "$LV_WORK/last.err")"
t_same kms-misbehave/hang-bounded "$(( SECONDS - started <= 20 ))" 1
t_same kms-misbehave/hang-unchanged "$(digest)" "$before"
kms_stop hang

# A server that answers 32 random bytes (the reference server when the
# sealed blob does not decrypt, e.g. under another master key): the
# passphrase is rejected by keyslot 0.  The volume opens through slot 1,
# and Talos's sync replaces slot 0 with a key the server now seals (§4:
# a rejected passphrase is a stale slot); with --no-sync nothing is written.
kms_start random --mode random-unseal --record "$RECORD" || exit 1
RANDOM_CFG=$(config random "127.0.0.1:$KMS_PORT")
before=$(digest)
t_expect kms-misbehave/random-unseal-no-sync 0 apply --no-sync -f "$RANDOM_CFG"
t_said_like kms-misbehave/random-unseal-no-sync-report \
	'^u-data: keyslot 0 \(kms\) does not open it: ' '^u-data: opened with keyslot 1 \(static\)$'
t_same kms-misbehave/random-unseal-no-sync-unchanged "$(digest)" "$before"
t_expect kms-misbehave/random-unseal-kms-only 2 apply -f "$(config random1 "127.0.0.1:$KMS_PORT" false kms-only)"
t_same kms-misbehave/random-unseal-kms-only-unchanged "$(digest)" "$before"
: >"$RECORD"
t_expect kms-misbehave/random-unseal-sync 0 apply -f "$RANDOM_CFG"
t_said_like kms-misbehave/random-unseal-sync-report '^u-data: opened with keyslot 1 \(static\)$' \
	'^u-data: replaced keyslot 0 \(kms\)'
last_sealed_passphrase >"$DIR/k.pass"
t_expect kms-misbehave/random-unseal-new-slot0 0 cryptsetup open --test-passphrase --key-slot 0 \
	--key-file "$DIR/k.pass" "$IMG"
kms_stop random

# Interrupted while it waits for the KMS (Ctrl-C, a service manager's
# SIGTERM): ended at once, nothing written, and nothing left that stops the
# next apply (which adds the missing slot 0).
interrupted() {
	/usr/bin/python3 - "$@" <<'PY'
import signal, subprocess, sys, time
sig = getattr(signal, sys.argv[1])
# As at a terminal: the signal's default action, even when this suite
# runs as a background job (SIGINT ignored) or under nohup.
def default_action():
    signal.signal(sig, signal.SIG_DFL)
p = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     preexec_fn=default_action)
time.sleep(2)
if p.poll() is not None:
    sys.exit("ended before the signal: exit %d" % p.returncode)
sent = time.monotonic()
p.send_signal(sig)
try:
    rc = p.wait(timeout=5)
except subprocess.TimeoutExpired:
    p.kill()
    sys.exit("still running 5 s after %s" % sys.argv[1])
print("rc %d after %.1f s" % (rc, time.monotonic() - sent))
PY
}
kms_start hang --mode hang || exit 1
HANG_EP=127.0.0.1:$KMS_PORT
HANG=$(config hang "$HANG_EP" false kms-only)
for sig in SIGINT SIGTERM; do
	new_image
	before=$(digest)
	t_expect "kms-misbehave/hang-format-$sig" 0 interrupted $sig "$LUKSVOL" apply --device "u-data=$IMG" \
		--node-uuid "$UUID" --state-dir "$DIR/state" --no-activate "${FAST[@]}" -f "$HANG"
	t_same "kms-misbehave/hang-format-$sig-unchanged" "$(digest)" "$before"
done
# Interrupted in the sync, while the KMS seals a key for the missing slot
# 0 of a volume the static key formatted (the KMS was down then).
kms_start gone && kms_stop gone
new_image
t_expect kms-misbehave/static-only-format 0 apply -f "$(config gone "127.0.0.1:$KMS_PORT")"
before=$(digest)
t_expect kms-misbehave/hang-sync-SIGINT 0 interrupted SIGINT "$LUKSVOL" apply --device "u-data=$IMG" \
	--node-uuid "$UUID" --state-dir "$DIR/state" --no-activate "${FAST[@]}" \
	-f "$(config hang-sync "${HANG_EP}")"
t_same kms-misbehave/hang-sync-SIGINT-unchanged "$(digest)" "$before"
kms_stop hang
t_expect kms-misbehave/after-interrupts-syncs 0 apply -f "$(config after-int "127.0.0.1:$PLAIN")"
t_said_like kms-misbehave/after-interrupts-report '^u-data: opened with keyslot 1 \(static\)$' \
	'^u-data: added keyslot 0 \(kms\)$'

# Two applies at once on an empty image, with a KMS slow to seal: one
# formats, the other waits for it and opens through slot 0; one Seal, one
# K, one keyslot 0.
kms_start slow --delay 2 --record "$RECORD" || exit 1
SLOW=$(config slow "127.0.0.1:$KMS_PORT")
new_image
: >"$RECORD"
apply -f "$SLOW" >"$DIR/first.out" 2>&1 &
first=$!
apply -f "$SLOW" >"$DIR/second.out" 2>&1
second_rc=$?
wait $first
t_same kms-twice/both-succeed "$? $second_rc" "0 0"
t_same kms-twice/one-formats "$(cat "$DIR/first.out" "$DIR/second.out" | grep -c '^u-data: formatted with keyslot 0 (kms)')" 1
t_same kms-twice/other-opens-slot0 "$(cat "$DIR/first.out" "$DIR/second.out" | grep -c '^u-data: opened with keyslot 0 (kms)$')" 1
t_same kms-twice/one-seal "$(wc -l <"$RECORD")" 1
last_sealed_passphrase >"$DIR/k.pass"
t_expect kms-twice/slot0-opens-with-base64-K 0 cryptsetup open --test-passphrase --key-slot 0 \
	--key-file "$DIR/k.pass" "$IMG"
kms_stop slow

kms_stop_all
