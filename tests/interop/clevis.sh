#!/bin/bash
# clevis.sh: the clevis engine (src/clevis, driven by tests/clevis/clevis_tool)
# against Debian's clevis, tang and jose on image files, with tangd behind
# socat on loopback and fresh keys for each server (tests/clevis/tang_lib.sh):
#   - a `clevis luks bind ... tang` token gives a passphrase that opens its
#     keyslot (cryptsetup checks it), and the engine unlocks it;
#   - a server that refuses or hangs fails in bounded time with one line
#     naming it; after tangd-rotate-keys the old binding still opens;
#   - sss t=1 over two tangs opens through B with A down, and a fleet of five
#     (two up, two hanging, one refusing) opens at once;
#   - the engine's own tang and sss bindings are listed by `clevis luks list`
#     and opened by `clevis luks pass`; JWEs go both ways with `clevis
#     encrypt/decrypt`, nested sss included;
#   - untrusted advertisements, wrong thumbprints, servers down and hostile
#     tokens are refused with the header byte-identical.
# Passphrases only ever go to *.key files, never through t_expect's logs.
set -u
source "$(dirname "$0")/../lib.sh"
source "$LV_TOP/tests/clevis/tang_lib.sh"
DIR=$LV_WORK/clevis
TANG_DIR=$DIR/tang
TOOL=$LV_TOP/$BUILD/asan/tests/clevis_tool
FAST=(--pbkdf pbkdf2 --pbkdf-force-iterations 1000)
rm -rf "$DIR"
mkdir -p "$DIR" "$TANG_DIR"
trap tang_cleanup EXIT

if [ ! -x "$TOOL" ]; then
	t_fail clevis/tool "$TOOL is missing (make $BUILD/asan/tests/clevis_tool)"
	exit 0
fi

printf 'clevis test passphrase' >"$DIR/pw.key"

# token_of IMG SLOT: the id of the clevis token of keyslot SLOT.
token_of() {
	cryptsetup luksDump "$1" | grep -E -B1 "^\s+Keyslot:\s+$2$" | sed -rn 's|^\s+([0-9]+): clevis|\1|p'
}

# engine_opens NAME IMG TOKEN SLOT: the engine's passphrase for TOKEN opens
# keyslot SLOT (cryptsetup), and the engine unlocks it.
engine_opens() {
	local name=$1 img=$2 token=$3 slot=$4 key=$DIR/$1.key
	"$TOOL" pass "$img" "$token" >"$key" 2>"$DIR/$name.err"
	t_expect "$name/passphrase-opens-slot" 0 cryptsetup open --test-passphrase --key-slot "$slot" \
		--key-file "$key" "$img"
	t_expect "$name/engine-unlocks" 0 "$TOOL" unlock "$img" "$token"
	t_same "$name/engine-slot" "$(cat "$LV_WORK/last.out")" "token $token opened keyslot $slot"
}

# err_has NAME TEXT: the last command's stderr holds TEXT, on one line.
err_has() {
	if grep -qF -- "$2" "$LV_WORK/last.err" && [ "$(wc -l <"$LV_WORK/last.err")" -eq 1 ]; then
		t_pass "$1"
	else
		t_fail "$1" "stderr '$(head -c 300 "$LV_WORK/last.err")' lacks '$2'"
	fi
}

# within NAME START_MS MAX_MS: the time since START_MS is at most MAX_MS.
within() {
	local took=$(($(now_ms) - $2))
	if [ "$took" -le "$3" ]; then t_pass "$1"; else t_fail "$1" "took $took ms, bound $3 ms"; fi
}

test_clevis_tang_binding() {
	local img token start
	tang_start a
	img=$(new_image tang)
	t_expect tang/clevis-bind 0 clevis luks bind -y -d "$img" -k "$DIR/pw.key" tang \
		"{\"url\":\"${TANG_URL[a]}\"}"
	token=$(token_of "$img" 1)
	t_same tang/token-for-slot-1 "${token:-none}" 0
	engine_opens tang "$img" 0 1
	"$TOOL" token-decode <<<"$(cryptsetup token export --token-id 0 "$img")" >"$DIR/tang.jwe"
	t_expect tang/describe 0 "$TOOL" describe <<<"$(cut -d' ' -f2 "$DIR/tang.jwe")"
	t_same tang/describe-as-clevis-lists "1: $(cat "$LV_WORK/last.out")" \
		"$(clevis luks list -d "$img" -s 1)"

	# Down: refused at once, or hanging until the timeout; one line naming it.
	tang_stop a
	start=$(now_ms)
	t_expect tang/down-refused 2 "$TOOL" unlock "$img" 0
	err_has tang/down-refused-names-server "tang server ${TANG_URL[a]} (key recovery)"
	within tang/down-refused-fast "$start" 5000
	tang_hang a
	start=$(now_ms)
	t_expect tang/hang-timeout 2 "$TOOL" --timeout 2000 unlock "$img" 0
	err_has tang/hang-names-server "tang server ${TANG_URL[a]} (key recovery): no answer within 2000 ms"
	within tang/hang-bounded "$start" 8000
	start=$(now_ms)
	t_expect tang/hang-default-timeout 2 "$TOOL" unlock "$img" 0
	err_has tang/hang-default-10s "no answer within 10000 ms"
	within tang/hang-default-bounded "$start" 20000

	# Rotation: new keys advertised, the old one still answers /rec.
	tang_restart a
	tang_rotate a
	t_same tang/rotated-keys-hidden "$(ls -A "$TANG_DIR/a" | grep -c '^\..*\.jwk$')" 2
	engine_opens tang-rotated "$img" 0 1
	t_expect tang/engine-binds-after-rotation 0 "$TOOL" -y bind "$img" "$DIR/pw.key" tang \
		"{\"url\":\"${TANG_URL[a]}\"}"
	engine_opens tang-new-key "$img" 1 2
	tang_stop a
}

test_engine_bindings() {
	local img before pass
	tang_start b1
	tang_start b2
	img=$(new_image engine)
	t_expect engine/bind-tang 0 "$TOOL" -y bind "$img" "$DIR/pw.key" tang "{\"url\":\"${TANG_URL[b1]}\"}"
	t_same engine/bind-tang-output "$(cat "$LV_WORK/last.out")" "keyslot 1 token 0"
	t_expect engine/bind-sss 0 "$TOOL" -y bind "$img" "$DIR/pw.key" sss \
		"{\"t\":1,\"pins\":{\"tang\":[{\"url\":\"${TANG_URL[b1]}\"},{\"url\":\"${TANG_URL[b2]}\"}]}}"
	t_same engine/clevis-lists "$(clevis luks list -d "$img")" \
		"1: tang '{\"url\":\"${TANG_URL[b1]}\"}'
2: sss '{\"t\":1,\"pins\":{\"tang\":[{\"url\":\"${TANG_URL[b1]}\"},{\"url\":\"${TANG_URL[b2]}\"}]}}'"
	for slot in 1 2; do
		clevis luks pass -d "$img" -s "$slot" >"$DIR/engine-clevis-$slot.key" 2>/dev/null
		t_expect "engine/clevis-pass-opens-slot-$slot" 0 cryptsetup open --test-passphrase \
			--key-slot "$slot" --key-file "$DIR/engine-clevis-$slot.key" "$img"
	done
	pass=$(cat "$DIR/engine-clevis-1.key")
	t_same engine/passphrase-54-base64url "$(grep -cE '^[A-Za-z0-9_-]{54}$' <<<"$pass")" 1
	t_same engine/keyslot-pbkdf2-1000 "$(cryptsetup luksDump "$img" | sed -n '/^  1: luks2/,/^  2:/p' |
		grep -cE 'PBKDF:\s+pbkdf2|Iterations:\s+1000$')" 2
	tang_stop b1
	engine_opens engine-sss-one-down "$img" 1 2

	# Refusals change nothing: b1 down, untrusted keys, a wrong thumbprint.
	before=$(digest "$img")
	t_expect engine/bind-server-down 2 "$TOOL" -y bind "$img" "$DIR/pw.key" tang \
		"{\"url\":\"${TANG_URL[b1]}\"}"
	err_has engine/bind-down-names-server "tang server ${TANG_URL[b1]} (advertisement)"
	t_expect engine/bind-untrusted 2 "$TOOL" bind "$img" "$DIR/pw.key" tang "{\"url\":\"${TANG_URL[b2]}\"}"
	err_has engine/bind-untrusted-says "is not trusted"
	t_expect engine/bind-trust-refused 2 "$TOOL" --trust no bind "$img" "$DIR/pw.key" tang \
		"{\"url\":\"${TANG_URL[b2]}\"}"
	t_same engine/trust-asked-with-thumbprint "$(grep '^trust asked' "$LV_WORK/last.err")" \
		"trust asked for ${TANG_URL[b2]}: $(tang_sig_thp b2)"
	t_expect engine/bind-wrong-thp 2 "$TOOL" bind "$img" "$DIR/pw.key" tang \
		"{\"url\":\"${TANG_URL[b2]}\",\"thp\":\"$(tang_sig_thp b1)\"}"
	err_has engine/bind-wrong-thp-says "has no signing key with thumbprint $(tang_sig_thp b1)"
	t_expect engine/bind-bad-config 1 "$TOOL" bind "$img" "$DIR/pw.key" tang '{"url":'
	mkfifo "$DIR/adv.fifo"
	t_expect engine/bind-adv-fifo 1 timeout 20 "$TOOL" bind "$img" "$DIR/pw.key" tang \
		"{\"url\":\"${TANG_URL[b2]}\",\"adv\":\"$DIR/adv.fifo\"}"
	err_has engine/bind-adv-fifo-says "not a regular file"
	t_same engine/refusals-change-nothing "$(digest "$img")" "$before"
	t_expect engine/bind-trust-accepted 0 "$TOOL" --trust yes bind "$img" "$DIR/pw.key" tang \
		"{\"url\":\"${TANG_URL[b2]}\"}"
	t_expect engine/bind-thp 0 "$TOOL" bind "$img" "$DIR/pw.key" tang \
		"{\"url\":\"${TANG_URL[b2]}\",\"thp\":\"$(tang_sig_thp b2)\"}"
	engine_opens engine-thp "$img" 3 4
	tang_stop b2
}

test_sss_one_down() {
	local img start
	tang_start sa
	tang_start sb
	img=$(new_image sss)
	t_expect sss/clevis-bind 0 clevis luks bind -y -d "$img" -k "$DIR/pw.key" sss \
		"{\"t\":1,\"pins\":{\"tang\":[{\"url\":\"${TANG_URL[sa]}\"},{\"url\":\"${TANG_URL[sb]}\"}]}}"
	t_expect sss/engine-bind-t2 0 "$TOOL" -y bind "$img" "$DIR/pw.key" sss \
		"{\"t\":2,\"pins\":{\"tang\":[{\"url\":\"${TANG_URL[sa]}\"},{\"url\":\"${TANG_URL[sb]}\"}]}}"
	engine_opens sss-both-up "$img" 0 1
	tang_stop sa
	engine_opens sss-a-down "$img" 0 1
	tang_hang sa
	start=$(now_ms)
	engine_opens sss-a-hangs "$img" 0 1
	within sss/a-hangs-not-waited-for "$start" 8000
	t_expect sss/t2-a-hangs 2 "$TOOL" --timeout 2000 unlock "$img" 1
	err_has sss/t2-names-a "sss: 1 of 2 pins decrypted, 2 needed: tang server ${TANG_URL[sa]}"
	tang_stop sa
	tang_stop sb
	t_expect sss/both-down 2 "$TOOL" unlock "$img" 0
	err_has sss/both-down-names-a "${TANG_URL[sa]}"
	err_has sss/both-down-names-b "${TANG_URL[sb]}"
}

# Five servers, t=2: two answer, two hang, one refuses.  The hanging ones
# are abandoned once two shares are in.
test_fleet() {
	local img pins="" name start
	for name in f1 f2 f3 f4 f5; do
		tang_start "$name"
		pins="$pins${pins:+,}{\"url\":\"${TANG_URL[$name]}\"}"
	done
	# A token too large for a 16 KiB header: the keyslot made for it goes again.
	img=$DIR/small.img
	truncate -s 20M "$img"
	cryptsetup luksFormat -q "${FAST[@]}" --key-file "$DIR/pw.key" "$img" >/dev/null
	t_expect fleet/too-large-for-header 1 "$TOOL" -y bind "$img" "$DIR/pw.key" sss \
		"{\"t\":2,\"pins\":{\"tang\":[$pins,$pins]}}"
	err_has fleet/too-large-names-image "$img: metadata JSON"
	t_same fleet/too-large-keyslot-removed "$(cryptsetup luksDump "$img" | grep -cE '^  [0-9]+: (luks2|clevis)')" 1
	img=$(new_image fleet)
	t_expect fleet/engine-bind 0 "$TOOL" -y bind "$img" "$DIR/pw.key" sss \
		"{\"t\":2,\"pins\":{\"tang\":[$pins]}}"
	tang_hang f1
	tang_hang f2
	tang_stop f3
	start=$(now_ms)
	engine_opens fleet "$img" 0 1
	within fleet/hanging-servers-not-waited-for "$start" 8000
	for name in f1 f2 f3 f4 f5; do tang_stop "$name"; done
}

# JWEs both ways, nested sss included.
test_both_ways() {
	local nested
	tang_start w1
	tang_start w2
	printf 'both ways plaintext' >"$DIR/plain.key"
	nested="{\"t\":2,\"pins\":{\"tang\":[{\"url\":\"${TANG_URL[w1]}\"}],\"sss\":{\"t\":1,\"pins\":{\"tang\":[{\"url\":\"${TANG_URL[w2]}\"}]}}}}"
	t_expect both/engine-encrypts-tang 0 "$TOOL" -y encrypt tang "{\"url\":\"${TANG_URL[w1]}\"}" \
		<"$DIR/plain.key"
	cp "$LV_WORK/last.out" "$DIR/engine-tang.jwe"
	clevis decrypt <"$DIR/engine-tang.jwe" >"$DIR/clevis-decrypted.key" 2>/dev/null
	t_expect both/clevis-decrypts-tang 0 cmp "$DIR/plain.key" "$DIR/clevis-decrypted.key"
	t_expect both/engine-encrypts-nested-sss 0 "$TOOL" -y encrypt sss "$nested" <"$DIR/plain.key"
	cp "$LV_WORK/last.out" "$DIR/engine-sss.jwe"
	clevis decrypt <"$DIR/engine-sss.jwe" >"$DIR/clevis-decrypted-sss.key" 2>/dev/null
	t_expect both/clevis-decrypts-nested-sss 0 cmp "$DIR/plain.key" "$DIR/clevis-decrypted-sss.key"
	clevis encrypt sss "$nested" -y <"$DIR/plain.key" >"$DIR/clevis-sss.jwe" 2>/dev/null
	"$TOOL" decrypt <"$DIR/clevis-sss.jwe" >"$DIR/engine-decrypted-sss.key" 2>"$DIR/both.err"
	t_expect both/engine-decrypts-clevis-nested-sss 0 cmp "$DIR/plain.key" \
		"$DIR/engine-decrypted-sss.key"
	t_expect both/engine-describes-nested 0 "$TOOL" describe <"$DIR/clevis-sss.jwe"
	t_same both/describe-nested "$(cat "$LV_WORK/last.out")" \
		"sss '{\"t\":2,\"pins\":{\"tang\":[{\"url\":\"${TANG_URL[w1]}\"}],\"sss\":{\"t\":1,\"pins\":{\"tang\":[{\"url\":\"${TANG_URL[w2]}\"}]}}}}'"
	tang_stop w1
	tang_stop w2
}

# import_token IMG JSON: replaces token 0 (cryptsetup checks the generic shape).
import_token() {
	cryptsetup token remove --token-id 0 "$1" 2>/dev/null
	printf '%s' "$2" >"$DIR/token.json"
	cryptsetup token import --token-id 0 --json-file "$DIR/token.json" "$1"
}

# Tokens edited by someone with write access to the header: refused before
# anything reaches the network, or by the server, with one line.
test_hostile_tokens() {
	local img token hostile
	tang_start h1
	tang_start h2
	img=$(new_image hostile)
	"$TOOL" -y bind "$img" "$DIR/pw.key" tang "{\"url\":\"${TANG_URL[h1]}\"}" >/dev/null
	token=$(cryptsetup token export --token-id 0 "$img")
	# A header pointing elsewhere: file://, and another tang (no such kid).
	for target in file:///etc/passwd "${TANG_URL[h2]}"; do
		hostile=$(/usr/bin/python3 - "$token" "$target" <<'PY'
import base64, json, sys
token, url = json.loads(sys.argv[1]), sys.argv[2]
p = token["jwe"]["protected"]
hdr = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
hdr["clevis"]["tang"]["url"] = url
token["jwe"]["protected"] = base64.urlsafe_b64encode(
    json.dumps(hdr, separators=(",", ":"), sort_keys=True).encode()).decode().rstrip("=")
print(json.dumps(token))
PY
)
		import_token "$img" "$hostile"
		case $target in
		file:*)
			t_expect hostile/file-url-refused 1 "$TOOL" unlock "$img" 0
			err_has hostile/file-url-says "not http:// or https://" ;;
		*)
			t_expect hostile/other-server-refuses 2 "$TOOL" unlock "$img" 0
			err_has hostile/other-server-says "tang server ${TANG_URL[h2]} (key recovery): HTTP status 404" ;;
		esac
	done
	import_token "$img" "${token/\"keyslots\":\[\"1\"\]/\"keyslots\":[\"1\",\"0\"]}"
	t_expect hostile/two-keyslots 1 "$TOOL" unlock "$img" 0
	err_has hostile/two-keyslots-says "exactly one keyslot"
	import_token "$img" "${token/\"tag\":/\"tag_\":}"
	t_expect hostile/no-tag 1 "$TOOL" unlock "$img" 0
	err_has hostile/no-tag-says "jwe.tag is not a string"
	# A damaged ciphertext: the tag does not verify.
	import_token "$img" "$(/usr/bin/python3 -c 'import json,sys; t=json.loads(sys.argv[1]); c=t["jwe"]["ciphertext"]; t["jwe"]["ciphertext"]=("B" if c[0]!="B" else "C")+c[1:]; print(json.dumps(t))' "$token")"
	t_expect hostile/damaged-ciphertext 2 "$TOOL" unlock "$img" 0
	err_has hostile/damaged-says "authentication tag mismatch"
	import_token "$img" '{"type":"luks2-keyring","keyslots":["1"],"key_description":"x"}'
	t_expect hostile/not-clevis 1 "$TOOL" unlock "$img" 0
	err_has hostile/not-clevis-says "is not clevis"
	import_token "$img" "$token"
	engine_opens hostile-restored "$img" 0 1
	tang_stop h1
	tang_stop h2
}

test_clevis_tang_binding
test_engine_bindings
test_sss_one_down
test_fleet
test_both_ways
test_hostile_tokens
tang_cleanup
t_same clevis/no-process-left "$(jobs -rp | wc -l)" 0
