#!/bin/bash
# kms.sh: the KMS engine (src/kms) against a real gRPC server on loopback
# (tests/kms/server.py: grpcio, and python3-h2 for broken framing), through
# tests/kms/kms_call (ASan + UBSan): Seal/Unseal and enrol/open round trips
# in plaintext and TLS, certificates that must be refused, every way the
# server can misbehave, a server that is down, bad endpoints and tokens.
# Every failure must be one clear line naming the endpoint, in bounded time,
# without a crash.
set -u
source "$(dirname "$0")/../lib.sh"
# The suite works in its own directory: every path it keeps is absolute.
LV_WORK=$(realpath "$LV_WORK")
LV_RESULTS=$(realpath "$LV_RESULTS")
KMS_DIR=$LV_WORK/kms
source "$LV_TOP/tests/kms/lib_kms.sh"
KC=$LV_TOP/$BUILD/asan/tests/kms_call
UUID=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0
rm -rf "$KMS_DIR"
mkdir -p "$KMS_DIR"
cd "$KMS_DIR" || exit 1

if [ ! -x "$KC" ]; then
	t_fail kms/kms_call "$KC is missing (make $BUILD/asan/tests/kms_call)"
	exit 1
fi

# expect_error NAME WANT_RC PATTERN CMD...: CMD fails with WANT_RC and one
# stderr line that names the endpoint and matches PATTERN.
expect_error() {
	local name=$1 want=$2 pattern=$3
	shift 3
	t_expect "$name" "$want" "$@"
	local msg
	msg=$(cat "$LV_WORK/last.err")
	t_same "$name-one-line" "$(wc -l <"$LV_WORK/last.err")" 1
	if grep -qE -- "$pattern" <<<"$msg"; then t_pass "$name-says-why"; else
		t_fail "$name-says-why" "'$msg' does not match '$pattern'"; fi
}

# The sideroKMS token Talos writes: exactly this shape, 60 sealed bytes.
TOKEN_RE='^\{"UserData":\{"sealedData":"[A-Za-z0-9+/]{80}"\},"type":"sideroKMS","keyslots":\[\]\}$'

# enrol_and_open NAME ENDPOINT: enrol, check the token, the passphrase
# against what the server received, and that open gives it back.
enrol_and_open() {
	local name=$1 ep=$2 token pass key
	: >record
	t_expect "$name/enrol" 0 "$KC" enrol "$ep" "$UUID"
	token=$(sed -n 1p "$LV_WORK/last.out")
	pass=$(sed -n 2p "$LV_WORK/last.out")
	if grep -qE "$TOKEN_RE" <<<"$token"; then t_pass "$name/token-shape"; else
		t_fail "$name/token-shape" "$token"; fi
	t_same "$name/sealed-60-bytes" "$(jq -r .UserData.sealedData <<<"$token" | base64 -d | wc -c)" 60
	t_same "$name/one-seal" "$(wc -l <record)" 1
	t_same "$name/seal-node-uuid" "$(awk '{print $2}' record)" "$UUID"
	key=$(awk '{print $3}' record)
	t_same "$name/passphrase-is-base64-of-K" "$pass" "$(xxd -r -p <<<"$key" | base64 -w0)"
	t_same "$name/passphrase-44" "${#pass}" 44
	printf '%s\n' "$token" >"$name.token"
	t_expect "$name/open" 0 "$KC" open "$ep" "$UUID" "$name.token"
	t_same "$name/open-same-passphrase" "$(cat "$LV_WORK/last.out")" "$pass"
	# Another node cannot get the key: the reference server keys by nothing
	# but its master key, so only the token's own bytes are checked here.
}

# ---- plaintext -----------------------------------------------------------
kms_start plain --record "$KMS_DIR/record" || exit 1
P=$KMS_PORT
enrol_and_open plain-noscheme "127.0.0.1:$P"
enrol_and_open plain-grpc "grpc://127.0.0.1:$P"
enrol_and_open plain-GRPC "GRPC://127.0.0.1:$P"

K=$(head -c 32 /dev/urandom | xxd -p -c 64)
t_expect kms/seal 0 "$KC" seal "127.0.0.1:$P" "$UUID" "$K"
SEALED=$(cat "$LV_WORK/last.out")
t_same kms/seal-60-bytes "${#SEALED}" 120
t_expect kms/unseal 0 "$KC" unseal "127.0.0.1:$P" "$UUID" "$SEALED"
t_same kms/unseal-round-trip "$(cat "$LV_WORK/last.out")" "$K"

# The reference server refuses any length but 32 to seal and 60 to unseal.
expect_error kms/seal-31-bytes 1 "^kms 127.0.0.1:$P: Seal: gRPC status 3 INVALID_ARGUMENT: incorrect data length$" \
	"$KC" seal "127.0.0.1:$P" "$UUID" "${K:2}"
expect_error kms/unseal-59-bytes 1 "Unseal: gRPC status 3 INVALID_ARGUMENT" \
	"$KC" unseal "127.0.0.1:$P" "$UUID" "${SEALED:2}"
# A sealed blob that does not decrypt: 32 random bytes, as the reference
# server answers; only the keyslot will tell (the apply tests).
TAMPERED=$(printf '%s' "$SEALED" | sed 's/^../00/')
[ "$TAMPERED" = "$SEALED" ] && TAMPERED=$(printf '%s' "$SEALED" | sed 's/^../01/')
t_expect kms/unseal-tampered-gives-random 0 "$KC" unseal "127.0.0.1:$P" "$UUID" "$TAMPERED"
t_same kms/unseal-tampered-32-bytes "$(tr -d '\n' <"$LV_WORK/last.out" | wc -c)" 64
[ "$(cat "$LV_WORK/last.out")" != "$K" ] && t_pass kms/unseal-tampered-not-K ||
	t_fail kms/unseal-tampered-not-K "the tampered blob unsealed to K"

# Tokens: none and foreign ones are "token invalid" (exit 3), a broken
# sideroKMS one is an error (exit 1); nothing is sent for either.
expect_error kms/token-none 3 "no token" "$KC" open "127.0.0.1:$P" "$UUID" -
printf '{"type":"luks2-keyring","keyslots":[],"key_description":"x"}' >foreign.token
expect_error kms/token-foreign 3 'type "luks2-keyring"' "$KC" open "127.0.0.1:$P" "$UUID" foreign.token
printf '{"type":"talos-tpm2","keyslots":[],"UserData":{}}' >tpm.token
expect_error kms/token-tpm 3 'talos-tpm2' "$KC" open "127.0.0.1:$P" "$UUID" tpm.token
printf '{"UserData":{"sealedData":"@@@@"},"type":"sideroKMS","keyslots":[]}' >bad64.token
expect_error kms/token-bad-base64 1 "not base64" "$KC" open "127.0.0.1:$P" "$UUID" bad64.token
printf '{"UserData":{"sealedData":"AAAA","x":1},"type":"sideroKMS","keyslots":[]}' >extra.token
expect_error kms/token-unknown-field 1 "unknown field UserData.x" "$KC" open "127.0.0.1:$P" "$UUID" extra.token
printf '{"type":"sideroKMS","keyslots":[]}' >nouser.token
expect_error kms/token-no-userdata 1 "no UserData" "$KC" open "127.0.0.1:$P" "$UUID" nouser.token

# Node UUIDs go out as a proto3 string: valid UTF-8 only.
expect_error kms/uuid-not-utf8 1 "not valid UTF-8" "$KC" seal "127.0.0.1:$P" $'\xff\xfe' "$K"

# Proxy variables are not followed (README.md, "KMS keys"): a dead proxy
# changes nothing.
http_proxy=http://127.0.0.1:1 HTTPS_PROXY=http://127.0.0.1:1 ALL_PROXY=http://127.0.0.1:1 \
	t_expect kms/proxy-env-ignored 0 "$KC" seal "127.0.0.1:$P" "$UUID" "$K"

# ---- endpoints -----------------------------------------------------------
expect_error kms/endpoint-empty-port 1 'the port is not a number' "$KC" seal "grpc://127.0.0.1:" "$UUID" "$K"
expect_error kms/endpoint-port-range 1 'the port is not a number' "$KC" seal "127.0.0.1:65536" "$UUID" "$K"
expect_error kms/endpoint-no-host 1 'no host' "$KC" seal "https://" "$UUID" "$K"
expect_error kms/endpoint-space 1 'bad character' "$KC" seal "kms example:4050" "$UUID" "$K"
expect_error kms/endpoint-opaque 1 'no host' "$KC" seal "9x://kms:1" "$UUID" "$K"
# Path, query and user info are ignored, as in Talos.
t_expect kms/endpoint-path-query 0 "$KC" seal "grpc://user@127.0.0.1:$P/a/b?jointoken=x#f" "$UUID" "$K"
# Any scheme but grpc is TLS: http:// too.
expect_error kms/endpoint-http-is-tls 1 "^kms http://127.0.0.1:$P: Seal: (TLS|transfer)" \
	"$KC" seal "http://127.0.0.1:$P" "$UUID" "$K"

# ---- server down: refused at once ----------------------------------------
kms_stop plain
started=$SECONDS
expect_error kms/server-down 1 "^kms 127.0.0.1:$P: Seal: cannot connect" "$KC" seal "127.0.0.1:$P" "$UUID" "$K"
t_same kms/server-down-fast "$(( SECONDS - started < 5 ))" 1

# ---- libcurl is loaded on first use (src/base/curl_global.h) ---------------
# One that lacks its calls (an empty library under its soname, found first
# through LD_LIBRARY_PATH) is named, and nothing is sent.
mkdir -p fakecurl
printf 'int lv_not_curl;\n' >fakecurl/empty.c
if cc -shared -fPIC -o fakecurl/libcurl.so.4 fakecurl/empty.c; then
	expect_error kms/libcurl-unusable 1 "libcurl\.so\.4: no curl_global_init in it" \
		env LD_LIBRARY_PATH="$KMS_DIR/fakecurl" "$KC" seal "127.0.0.1:$P" "$UUID" "$K"
else
	t_fail kms/libcurl-unusable "cannot build an empty shared library"
fi

# ---- TLS -----------------------------------------------------------------
if kms_certs; then
	C=$KMS_DIR/certs
	kms_start tls --tls "$C/good.pem" "$C/good.key" --record "$KMS_DIR/record" || exit 1
	T=$KMS_PORT
	KMS_CA=$C/ca.pem enrol_and_open tls-https "https://127.0.0.1:$T"
	KMS_CA=$C/ca.pem enrol_and_open tls-other-scheme "grpcs://127.0.0.1:$T"
	expect_error kms/tls-no-ca 1 "^kms https://127.0.0.1:$T: Seal: TLS: server not trusted" \
		"$KC" seal "https://127.0.0.1:$T" "$UUID" "$K"
	KMS_CA=$C/otherca.pem expect_error kms/tls-wrong-ca 1 \
		"^kms https://127.0.0.1:$T: Seal: TLS: server not trusted" \
		"$KC" seal "https://127.0.0.1:$T" "$UUID" "$K"
	KMS_CA=$C/ca.pem expect_error kms/tls-to-plaintext-endpoint 1 "^kms grpc://127.0.0.1:$T: Seal: " \
		"$KC" seal "grpc://127.0.0.1:$T" "$UUID" "$K"
	KMS_CA=$C/ca.pem.missing expect_error kms/tls-ca-missing 1 "CA file .*ca.pem.missing: No such file" \
		"$KC" seal "https://127.0.0.1:$T" "$UUID" "$K"
	KMS_CA=$C/ca.cnf expect_error kms/tls-ca-not-pem 1 "no PEM certificate" \
		"$KC" seal "https://127.0.0.1:$T" "$UUID" "$K"
	KMS_CA=$C expect_error kms/tls-ca-directory 1 "not a regular file" \
		"$KC" seal "https://127.0.0.1:$T" "$UUID" "$K"
	mkfifo "$KMS_DIR/ca.fifo"
	KMS_CA=$KMS_DIR/ca.fifo expect_error kms/tls-ca-fifo 1 "not a regular file" \
		timeout 20 "$KC" seal "https://127.0.0.1:$T" "$UUID" "$K"
	ln -s "$C/ca.pem" "$KMS_DIR/ca-link.pem"
	KMS_CA=$KMS_DIR/ca-link.pem t_expect kms/tls-ca-symlink 0 \
		"$KC" seal "https://127.0.0.1:$T" "$UUID" "$K"
	kms_stop tls

	kms_start expired --tls "$C/expired.pem" "$C/expired.key" || exit 1
	KMS_CA=$C/ca.pem expect_error kms/tls-expired 1 \
		"^kms https://127.0.0.1:$KMS_PORT: Seal: TLS: server not trusted: .*expired" \
		"$KC" seal "https://127.0.0.1:$KMS_PORT" "$UUID" "$K"
	kms_stop expired
	kms_start wronghost --tls "$C/wronghost.pem" "$C/wronghost.key" || exit 1
	KMS_CA=$C/ca.pem expect_error kms/tls-hostname-mismatch 1 \
		"^kms https://127.0.0.1:$KMS_PORT: Seal: TLS: server not trusted: .*(match|name)" \
		"$KC" seal "https://127.0.0.1:$KMS_PORT" "$UUID" "$K"
	kms_stop wronghost
	kms_start byother --tls "$C/byother.pem" "$C/byother.key" || exit 1
	KMS_CA=$C/ca.pem expect_error kms/tls-signed-by-other-ca 1 "server not trusted" \
		"$KC" seal "https://127.0.0.1:$KMS_PORT" "$UUID" "$K"
	kms_stop byother
else
	t_fail kms/certs "openssl could not make the test certificates"
fi

# ---- misbehaving servers -------------------------------------------------
# misbehave MODE VERB PATTERN: a server in MODE; VERB fails with PATTERN.
printf '%s\n' "$(sed -n 1p "$KMS_DIR/plain-grpc.token")" >any.token
misbehave() {
	local mode=$1 verb=$2 pattern=$3 arg
	kms_start "$mode" --mode "$mode" || return
	case $verb in
	seal) arg=$K ;;
	unseal) arg=$SEALED ;;
	open) arg=any.token ;;
	esac
	started=$SECONDS
	expect_error "kms/misbehave-$mode-$verb" 1 "^kms 127.0.0.1:$KMS_PORT: (Seal|Unseal): $pattern" \
		"$KC" "$verb" "127.0.0.1:$KMS_PORT" "$UUID" "$arg"
	# bounded: the 10 s timeout plus slack for ASan and a loaded machine
	t_same "kms/misbehave-$mode-$verb-bounded" "$(( SECONDS - started <= 20 ))" 1
	kms_stop "$mode"
}
misbehave garbage seal 'Response: '
misbehave garbage unseal 'Response: '
misbehave status seal 'gRPC status 7 PERMISSION_DENIED: node not allowed$'
misbehave status open 'gRPC status 7 PERMISSION_DENIED'
misbehave truncated seal 'truncated gRPC message: 60 bytes announced, 10 sent$'
misbehave huge unseal 'truncated gRPC message: 4294967295 bytes announced'
misbehave no-status seal 'no grpc-status in the reply$'
misbehave not-grpc seal 'content-type "text/html" is not application/grpc$'
misbehave hang seal 'no complete answer within 10000 ms$'

# random-unseal: Unseal "succeeds" with 32 random bytes, not K.
kms_start random-unseal --mode random-unseal || exit 1
t_expect kms/random-unseal-answers 0 "$KC" unseal "127.0.0.1:$KMS_PORT" "$UUID" "$SEALED"
[ "$(cat "$LV_WORK/last.out")" != "$K" ] && t_pass kms/random-unseal-not-K ||
	t_fail kms/random-unseal-not-K "got K back"
kms_stop random-unseal

# A shorter timeout is honoured too (the key source's per-handler timeout).
kms_start hang2 --mode hang || exit 1
started=$SECONDS
KMS_TIMEOUT_MS=1500 expect_error kms/timeout-configurable 1 "no complete answer within 1500 ms$" \
	"$KC" seal "127.0.0.1:$KMS_PORT" "$UUID" "$K"
t_same kms/timeout-configurable-bounded "$(( SECONDS - started <= 8 ))" 1
kms_stop hang2

kms_stop_all
