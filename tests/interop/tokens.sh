#!/bin/bash
# tokens.sh: `luksvol bind tang|tpm2|sss`, `unbind` and `open --token-only`
# against the real tools, both ways, on image files:
#   - tang (Debian's tangd behind socat, fresh keys): a `clevis luks bind`
#     volume opens with --token-only; luksvol's bindings are listed by
#     `clevis luks list`, decrypted by `clevis luks pass` (cryptsetup takes
#     the passphrase) and removed by `clevis luks unbind`; luksvol unbinds
#     clevis's; untrusted keys, a server down, a taken keyslot and a wrong
#     passphrase change nothing;
#   - swtpm: clevis tpm2 bindings (sha256 and sha1 banks) and
#     systemd-cryptenroll enrolments (PCR policy, PIN, signed policy) open
#     with --token-only; luksvol's tpm2 bindings are decrypted by `clevis
#     luks pass`; after PCR 7 changes none opens, each with its reason;
#     luksvol leaves no session or object in the TPM.
# The oracles leave sessions behind in a TPM without a resource manager:
# every oracle call is followed by a flush (flush_oracle).
set -u
source "$(dirname "$0")/../lib.sh"
DIR=$LV_WORK/tokens
rm -rf "$DIR"
mkdir -p "$DIR"
source "$LV_TOP/tests/tpm/swtpm.sh"
TANG_DIR=$DIR/tang
mkdir -p "$TANG_DIR"
source "$LV_TOP/tests/clevis/tang_lib.sh"
trap 'tang_cleanup; cleanup' EXIT
FAST=(--pbkdf pbkdf2 --pbkdf-force-iterations 1000)

printf 'tokens test passphrase' >"$DIR/pw.key"

# clevis_pass_opens NAME IMG SLOT: `clevis luks pass` decrypts SLOT's
# token and cryptsetup opens SLOT with it.
clevis_pass_opens() {
	local key=$DIR/$1.key
	TPM2TOOLS_TCTI=${TCTI:-} clevis luks pass -d "$2" -s "$3" >"$key" 2>>"$DIR/oracle.log"
	flush_oracle
	t_expect "$1/clevis-pass-opens-slot" 0 cryptsetup open --test-passphrase --key-slot "$3" \
		--key-file "$key" "$2"
}

# token_opens NAME RC IMG [luksvol options]: open --token-only
# --test-passphrase exits RC.
token_opens() {
	local name=$1 rc=$2 img=$3
	t_expect "$name" "$rc" "$LUKSVOL" open --token-only --test-passphrase "${@:4}" "$img"
}

flush_oracle() { [ -z "${TCTI:-}" ] || tpm2 flushcontext -t -s -l 2>/dev/null; }

# Malformed tokens of each type luksvol has ops for are refused at import
# (src/luks2/token_*.c), naming the field, the image untouched.
clevis_token_refusals() {
	local img=$1 head='{"type":"clevis","keyslots":["1"],'
	t_token_refused tang/clevis-no-jwe "$img" "$head\"jwe\":\"x\"}" 'jwe: not an object'
	t_token_refused tang/clevis-no-tag "$img" \
		"$head\"jwe\":{\"protected\":\"eyJ\",\"encrypted_key\":\"\",\"iv\":\"\",\"ciphertext\":\"\"}}" 'jwe.tag: missing'
	t_token_refused tang/clevis-recipients "$img" \
		"$head\"jwe\":{\"recipients\":[],\"protected\":\"eyJ\",\"encrypted_key\":\"\",\"iv\":\"\",\"ciphertext\":\"\",\"tag\":\"\"}}" 'jwe.recipients'
}

systemd_token_refusals() {
	local img=$1 t='"type":"systemd-tpm2","keyslots":["1"]' ok='"tpm2-blob":"AAAA","tpm2-policy-hash":"00ff"'
	t_token_refused tpm/systemd-no-pcrs "$img" "{$t,$ok}" 'tpm2-pcrs'
	t_token_refused tpm/systemd-pcr-24 "$img" "{$t,$ok,\"tpm2-pcrs\":[7,24]}" 'tpm2-pcrs[1]'
	t_token_refused tpm/systemd-bank "$img" "{$t,$ok,\"tpm2-pcrs\":[7],\"tpm2-pcr-bank\":\"md5\"}" 'tpm2-pcr-bank'
	t_token_refused tpm/systemd-alg "$img" "{$t,$ok,\"tpm2-pcrs\":[7],\"tpm2-primary-alg\":7}" 'tpm2-primary-alg'
	t_token_refused tpm/systemd-blob "$img" "{$t,\"tpm2-pcrs\":[7],\"tpm2-blob\":\"A!==\",\"tpm2-policy-hash\":\"00\"}" 'tpm2-blob'
	t_token_refused tpm/systemd-hash "$img" "{$t,\"tpm2-pcrs\":[7],\"tpm2-blob\":\"AAAA\",\"tpm2-policy-hash\":\"0g\"}" 'tpm2-policy-hash'
	t_token_refused tpm/systemd-pin "$img" "{$t,$ok,\"tpm2-pcrs\":[7],\"tpm2-pin\":\"yes\"}" 'tpm2-pin'
}

test_tang() {
	local img before thp start
	tang_start ta
	tang_start tb
	thp=$(tang_sig_thp ta)
	sss="{\"t\":1,\"pins\":{\"tang\":[{\"url\":\"${TANG_URL[tb]}\"},{\"url\":\"${TANG_URL[ta]}\"}]}}"
	img=$(new_image tang)

	# clevis binds, luksvol opens.
	clevis luks bind -y -k "$DIR/pw.key" -d "$img" tang "{\"url\":\"${TANG_URL[ta]}\"}" \
		2>>"$DIR/oracle.log"
	token_opens tang/clevis-binding-opens 0 "$img"
	message tang/clevis-binding-says "token 0 \(clevis\) opened keyslot 1$"
	t_same_luksdump tang/clevis-token-dump "$img"
	t_token_reimported tang/clevis-token "$img" 0
	clevis_token_refusals "$img"

	# luksvol binds, clevis lists and decrypts, cryptsetup opens.
	t_expect tang/bind-thumbprint 0 "$LUKSVOL" bind tang --url "${TANG_URL[ta]}" \
		--thumbprint "$thp" --key-file "$DIR/pw.key" "$img"
	# clevis also takes a SHA-1 thumbprint (27 characters).
	t_expect tang/bind-sha1-thumbprint 0 "$LUKSVOL" bind tang --url "${TANG_URL[ta]}" -S 6 \
		--thumbprint "$(tang_sig_thp ta S1)" --key-file "$DIR/pw.key" "$img"
	t_expect tang/unbind-sha1-thumbprint-binding 0 "$LUKSVOL" unbind -q --key-slot 6 "$img"
	t_expect tang/bind-q 0 "$LUKSVOL" bind tang -q --url "${TANG_URL[tb]}" -S 5 --token-id 7 \
		--key-file "$DIR/pw.key" "$img"
	t_same tang/clevis-lists "$(clevis luks list -d "$img")" \
		"1: tang '{\"url\":\"${TANG_URL[ta]}\"}'
2: tang '{\"url\":\"${TANG_URL[ta]}\"}'
5: tang '{\"url\":\"${TANG_URL[tb]}\"}'"
	clevis_pass_opens tang-bound "$img" 2
	clevis_pass_opens tang-bound-q "$img" 5
	t_same tang/token-id-kept "$(cryptsetup luksDump "$img" | grep -cE '^  7: clevis')" 1
	t_same tang/pbkdf2-1000 "$(cryptsetup luksDump "$img" | sed -n '/^  5: luks2/,/^  [0-9]*:/p' |
		grep -cE 'PBKDF:\s+pbkdf2|Iterations:\s+1000$')" 2
	token_opens tang/token-id 0 "$img" --token-id 7
	message tang/token-id-says "token 7 \(clevis\) opened keyslot 5$"

	# Refusals change nothing.
	before=$(digest "$img")
	t_expect tang/bind-untrusted-no-tty 2 "$LUKSVOL" bind tang --url "${TANG_URL[ta]}" \
		--key-file "$DIR/pw.key" "$img" </dev/null
	message tang/untrusted-says "pass --thumbprint, or -q"
	t_expect tang/bind-wrong-thumbprint 2 "$LUKSVOL" bind tang --url "${TANG_URL[ta]}" \
		--thumbprint "$(tang_sig_thp tb)" --key-file "$DIR/pw.key" "$img"
	t_expect tang/bind-wrong-passphrase 2 "$LUKSVOL" bind tang -q --url "${TANG_URL[ta]}" \
		--key-file "$DIR/tang.img" --keyfile-size 20 "$img"
	t_expect tang/bind-slot-taken 5 "$LUKSVOL" bind tang -q --url "${TANG_URL[ta]}" -S 1 \
		--key-file "$DIR/pw.key" "$img"
	t_expect tang/bind-no-url 1 "$LUKSVOL" bind tang -q --key-file "$DIR/pw.key" "$img"
	# A thumbprint that cannot be one is a bad parameter, named, before any server is asked.
	t_expect tang/bind-short-thumbprint 1 "$LUKSVOL" bind tang --url "${TANG_URL[ta]}" \
		--thumbprint "${thp:1}" --key-file "$DIR/pw.key" "$img"
	t_same tang/bind-short-thumbprint-says "$(cat "$LV_WORK/last.err")" \
		"luksvol: --thumbprint has 42 characters: a SHA-256 thumbprint has 43, a SHA-1 one 27"
	t_expect tang/bind-padded-thumbprint 1 "$LUKSVOL" bind tang --url "${TANG_URL[ta]}" \
		--thumbprint "$thp=" --key-file "$DIR/pw.key" "$img"
	message tang/bind-padded-thumbprint-says "^luksvol: --thumbprint is not base64url: '=' at offset 43$"
	t_expect tang/bind-sss-bad-config 1 "$LUKSVOL" bind sss -q --config '{"t":1,' \
		--key-file "$DIR/pw.key" "$img"
	t_expect tang/unbind-no-slot 1 "$LUKSVOL" unbind -q "$img"
	t_expect tang/unbind-slot-without-token 1 "$LUKSVOL" unbind -q --key-slot 0 "$img"
	t_expect tang/unbind-empty-slot 1 "$LUKSVOL" unbind -q --key-slot 9 "$img"
	tang_stop ta
	t_expect tang/bind-server-down 2 "$LUKSVOL" bind tang -q --url "${TANG_URL[ta]}" \
		--key-file "$DIR/pw.key" "$img"
	message tang/bind-down-names-server "${TANG_URL[ta]}"
	t_expect tang/bind-sss-one-down-refused 2 "$LUKSVOL" bind sss -q --config "$sss" \
		--key-file "$DIR/pw.key" "$img"
	t_same tang/refusals-change-nothing "$(digest "$img")" "$before"
	# On a terminal, the thumbprints are shown; anything but YES refuses.
	t_expect tang/bind-tty-declined 2 /usr/bin/python3 "$LV_TOP/tests/interop/tty_run.py" no \
		"$DIR/tty-no.txt" "$LUKSVOL" bind tang --url "${TANG_URL[tb]}" --key-file "$DIR/pw.key" "$img"
	t_same tang/bind-tty-shows-thumbprint "$(grep -c "^  $(tang_sig_thp tb)" "$DIR/tty-no.txt")" 1
	t_same tang/bind-tty-declined-changes-nothing "$(digest "$img")" "$before"
	t_expect tang/bind-tty-yes 0 /usr/bin/python3 "$LV_TOP/tests/interop/tty_run.py" YES \
		"$DIR/tty-yes.txt" "$LUKSVOL" bind tang --url "${TANG_URL[tb]}" -S 8 --key-file "$DIR/pw.key" \
		"$img"
	clevis_pass_opens tang-tty-yes "$img" 8
	t_expect tang/unbind-tty-yes 0 /usr/bin/python3 "$LV_TOP/tests/interop/tty_run.py" YES \
		"$DIR/tty-unbind.txt" "$LUKSVOL" unbind --key-slot 8 "$img"
	t_same tang/unbind-tty-removed "$(clevis luks list -d "$img" -s 8 2>/dev/null)" ""

	# A server down: every token is tried in id order, one line each.
	token_opens tang/one-down-opens 0 "$img" --timeout 2
	t_same tang/one-down-lines "$(grep -cE "token [01] \(clevis\): .*${TANG_URL[ta]}" \
		"$LV_WORK/last.err")" 2
	message tang/one-down-says "token 7 \(clevis\) opened keyslot 5$"
	tang_hang tb
	start=$(now_ms)
	token_opens tang/all-down 2 "$img" --timeout 1
	local took=$(($(now_ms) - start))
	if [ "$took" -le 10000 ]; then t_pass tang/all-down-bounded; else
		t_fail tang/all-down-bounded "took $took ms"; fi
	t_same tang/all-down-one-line-each "$(grep -c 'token [0-9] (clevis): ' "$LV_WORK/last.err")" 3
	tang_restart ta
	tang_restart tb

	# sss t=1 over both tangs: with B down, opens through A.
	t_expect tang/bind-sss 0 "$LUKSVOL" bind sss -q --config "$sss" --key-file "$DIR/pw.key" "$img"
	t_expect tang/bind-sss-t2 0 "$LUKSVOL" bind sss -q --config "${sss/\"t\":1/\"t\":2}" \
		--key-file "$DIR/pw.key" "$img"
	clevis_pass_opens tang-sss "$img" 3
	clevis_pass_opens tang-sss-t2 "$img" 4
	tang_stop tb
	token_opens tang/sss-one-down-opens 0 "$img" --token-id 2 --timeout 2
	message tang/sss-one-down-says "token 2 \(clevis\) opened keyslot 3$"
	token_opens tang/sss-t2-one-down-fails 2 "$img" --token-id 3 --timeout 2
	message tang/sss-t2-one-down-says "token 3 \(clevis\): .*${TANG_URL[tb]}"

	# Unbinding both ways.
	t_expect tang/unbind 0 "$LUKSVOL" unbind -q --key-slot 1 "$img"
	t_same tang/unbind-slot-gone "$(cryptsetup luksDump "$img" | grep -cE '^  1: luks2|^  0: clevis')" 0
	clevis luks unbind -f -d "$img" -s 5 >>"$DIR/oracle.log" 2>&1
	t_same tang/clevis-unbinds-luksvol-binding "$(clevis luks list -d "$img" | cut -d: -f1 | tr '\n' ' ')" \
		"2 3 4 "
	t_same tang/clevis-unbind-took-token "$(cryptsetup luksDump "$img" | grep -cE '^  7: clevis')" 0
	tang_stop ta
	tang_stop tb
}

# tang_config NAME URL THP [EXTRA_KEY_LINES...]: a UserVolumeConfig "data"
# with one tang key at slot 0.
tang_config() {
	local file=$DIR/$1.yaml
	{
		printf 'apiVersion: v1alpha1\nkind: UserVolumeConfig\nname: data\n'
		printf 'provisioning:\n  diskSelector:\n    match: system_disk\n  minSize: 20MiB\n'
		printf 'encryption:\n  provider: luks2\n  keys:\n'
		printf '    - slot: 0\n      tang:\n        url: %s\n' "$2"
		[ -z "$3" ] || printf '        thumbprint: %s\n' "$3"
		printf '%s\n' "${@:4}"
	} >"$file"
	echo "$file"
}

apply_tang() {
	"$LUKSVOL" apply --device "u-data=$1" --node-uuid 0f6b8e2a-43c1-4b7e-9d2f-5a1c3e7b9d40 \
		--state-dir "$DIR/state" --no-activate --pbkdf-memory 32 --pbkdf-force-iterations 4 \
		--pbkdf-parallel 1 -f "$2" "${@:3}"
}

# The tang key kind: `apply` binds a volume to tang as clevis does, and
# opens it through the server.
test_tang_key() {
	local img=$DIR/apply.img cfg thp bad name value why
	tang_start tk
	thp=$(tang_sig_thp tk)
	mkdir -p "$DIR/state"
	cfg=$(tang_config tk "${TANG_URL[tk]}" "$thp")
	t_expect tang-key/config-check 0 "$LUKSVOL" config check -f "$cfg"
	message tang-key/marked-as-extension "tang \(slot 0\) is a luksvol extension: Talos refuses"
	t_expect tang-key/no-thumbprint 1 "$LUKSVOL" config check -f "$(tang_config nothp "${TANG_URL[tk]}" "")"
	message tang-key/no-thumbprint-says "must have a thumbprint"
	# NAME|THUMBPRINT|WHY: refused, naming the slot and the field.
	for bad in "short|${thp:1}|has 42 characters: a SHA-256 thumbprint has 43, a SHA-1 one 27" \
		"spare-bits|${thp:0:42}B|cannot be a digest's base64url: its last character has bits past the digest" \
		"not-base64url|${thp:0:20}+${thp:21}|is not base64url: '\+' at offset 20" \
		"empty|''|is empty"; do
		IFS='|' read -r name value why <<<"$bad"
		t_expect "tang-key/thumbprint-$name" 1 "$LUKSVOL" config check \
			-f "$(tang_config badthp "${TANG_URL[tk]}" "$value")"
		message "tang-key/thumbprint-$name-says" "tang key at slot 0: thumbprint $why"
	done
	t_expect tang-key/sha1-thumbprint 0 "$LUKSVOL" config check \
		-f "$(tang_config sha1thp "${TANG_URL[tk]}" "$(tang_sig_thp tk S1)")"
	t_expect tang-key/bad-url 1 "$LUKSVOL" config check -f "$(tang_config badurl "file:///etc/passwd" "$thp")"
	sed 's/^kind: UserVolumeConfig/kind: VolumeConfig/; s/^name: data/name: STATE/; /^provisioning:/,/minSize/d' \
		"$cfg" >"$DIR/state-tang.yaml"
	t_expect tang-key/not-for-state 1 "$LUKSVOL" config check -f "$DIR/state-tang.yaml"
	message tang-key/not-for-state-says "tang key is not allowed for the \"STATE\" volume"

	truncate -s 24M "$img"
	t_expect tang-key/apply-formats 0 apply_tang "$img" "$cfg"
	t_same tang-key/clevis-lists "$(clevis luks list -d "$img")" "0: tang '{\"url\":\"${TANG_URL[tk]}\"}'"
	clevis_pass_opens tang-key "$img" 0
	token_opens tang-key/token-only-opens 0 "$img"
	t_expect tang-key/apply-opens 0 apply_tang "$img" "$cfg"
	# tangd-rotate-keys: the old keys stay (hidden), the old binding opens.
	tang_rotate tk
	tang_restart tk
	t_same tang-key/rotated "$(tang_sig_thp tk | grep -c "^$thp$")" 0
	token_opens tang-key/rotated-token-only-opens 0 "$img"
	t_expect tang-key/rotated-apply-opens 0 apply_tang "$img" "$cfg"
	tang_stop tk
	# No key to be had: 2, as open --token-only and bind (README "Exit codes").
	t_expect tang-key/apply-server-down 2 apply_tang "$img" "$cfg"
	t_same tang-key/server-down-names-server "$(grep -c "keyslot 0 (tang) does not open it: slot 0: tang server ${TANG_URL[tk]} (key recovery)" \
		"$LV_WORK/last.out")" 1
}

# libjose and libjansson are loaded on first use (src/clevis/jose_api.h):
# one that lacks a call (an empty library under its soname, found first
# through LD_LIBRARY_PATH) is named in one line, as libcurl is (kms.sh),
# and nothing is written: bind and apply refuse with 1; open --token-only
# reports the token, as any that fails, and then no key (2).
test_jose_unusable() {
	local img=$DIR/nojose.img empty=$DIR/nojose-empty.img fake soname first before cfg
	tang_start tu
	new_image nojose >/dev/null
	t_expect jose/bind 0 "$LUKSVOL" bind tang -q --url "${TANG_URL[tu]}" --key-file "$DIR/pw.key" \
		"$img"
	truncate -s 24M "$empty"
	cfg=$(tang_config nojose "${TANG_URL[tu]}" "$(tang_sig_thp tu)")
	before=$(sha256sum <"$img")$(sha256sum <"$empty")
	printf 'int lv_not_jose;\n' >"$DIR/nojose.c"
	for soname in libjose.so.0:jose_b64_dec libjansson.so.4:json_array; do
		first=${soname#*:} soname=${soname%:*}
		fake=$DIR/fake-$soname
		mkdir -p "$fake"
		if ! cc -shared -fPIC -o "$fake/$soname" "$DIR/nojose.c"; then
			t_fail "jose/$soname" "cannot build an empty shared library"
			continue
		fi
		t_expect "jose/$soname/bind" 1 env LD_LIBRARY_PATH="$fake" "$LUKSVOL" bind tang -q \
			--url "${TANG_URL[tu]}" --key-file "$DIR/pw.key" "$img"
		t_same "jose/$soname/bind-says" "$(cat "$LV_WORK/last.err")" \
			"luksvol: $soname: no $first in it"
		t_expect "jose/$soname/token-only" 2 env LD_LIBRARY_PATH="$fake" "$LUKSVOL" open \
			--token-only --test-passphrase "$img"
		message "jose/$soname/token-only-says" "^luksvol: $img: token 0 \(clevis\): $soname: no $first in it$"
		t_expect "jose/$soname/tang-key" 1 env LD_LIBRARY_PATH="$fake" "$LUKSVOL" apply \
			--device "u-data=$empty" --node-uuid 0f6b8e2a-43c1-4b7e-9d2f-5a1c3e7b9d40 \
			--state-dir "$DIR/state" --no-activate -f "$cfg"
		t_same "jose/$soname/tang-key-says" "$(grep -cx "u-data: cannot format with keyslot 0 (tang): slot 0: $soname: no $first in it" \
			"$LV_WORK/last.out")" 1
	done
	t_same jose/unusable-writes-nothing "$(sha256sum <"$img")$(sha256sum <"$empty")" "$before"
	token_opens jose/token-only-opens 0 "$img"
	tang_stop tu
}

# tpm_bind_opens NAME IMG SLOT CONFIG: clevis binds SLOT to tpm2 with
# CONFIG; luksvol opens it.
clevis_tpm2_bind() {
	TPM2TOOLS_TCTI=$TCTI clevis luks bind -y -k "$DIR/pw.key" -d "$1" -s "$2" tpm2 "$3" \
		2>>"$DIR/oracle.log"
	flush_oracle
}

# pin_prompt GROUP CHECKS IMG TOKEN: tests/interop/pin_prompt.py's GROUP
# against TOKEN (PIN 4711); all CHECKS of its results reported.
pin_prompt() {
	/usr/bin/python3 "$LV_TOP/tests/interop/pin_prompt.py" "$1" "$LUKSVOL" "$3" "$TCTI" "$4" 4711 \
		>"$DIR/pin-$1.out" 2>&1
	grep --line-buffered -E '^(PASS|FAIL) ' "$DIR/pin-$1.out" >>"$LV_RESULTS"
	t_same "tpm-pin/$1-reported" "$(grep -cE '^(PASS|FAIL) ' "$DIR/pin-$1.out")" "$2"
}

cryptenroll() {
	PASSWORD=$(cat "$DIR/pw.key") systemd-cryptenroll --tpm2-device="$TCTI" "$@" \
		>>"$DIR/oracle.log" 2>&1
	flush_oracle
}

test_tpm() {
	local img before
	swtpm_start "$DIR/swtpm"
	extend 7 secureboot-enabled
	img=$(new_image tpm)

	clevis_tpm2_bind "$img" 1 '{"pcr_bank":"sha256","pcr_ids":"0,7"}'
	clevis_tpm2_bind "$img" 2 '{"pcr_bank":"sha1","pcr_ids":"7"}'
	cryptenroll --tpm2-pcrs=7 "$img"
	NEWPIN=4711 cryptenroll --tpm2-pcrs=7 --tpm2-with-pin=yes "$img"
	t_same tpm/oracles-enrolled "$(cryptsetup luksDump "$img" | grep -cE '^  [0-9]: (clevis|systemd-tpm2)')" 4
	t_same_luksdump tpm/oracles-dump "$img"
	t_token_reimported tpm/systemd-token "$img" 2
	t_token_reimported tpm/systemd-pin-token "$img" 3
	t_token_reimported tpm/clevis-tpm2-token "$img" 0
	systemd_token_refusals "$img"
	for token in 0 1 2; do
		token_opens "tpm/oracle-token-$token-opens" 0 "$img" --token-id "$token" --tpm-tcti "$TCTI"
		no_handles "tpm/oracle-token-$token-no-handles"
	done
	t_expect tpm/pin-opens 0 "$LUKSVOL" open --token-only --test-passphrase --token-id 3 \
		--tpm-tcti "$TCTI" --key-file <(printf 4711) "$img"
	message tpm/pin-opens-says "token 3 \(systemd-tpm2\) opened keyslot 4$"
	t_expect tpm/wrong-pin 2 "$LUKSVOL" open --token-only --test-passphrase --token-id 3 \
		--tpm-tcti "$TCTI" --key-file <(printf 4712) "$img"
	message tpm/wrong-pin-says "wrong PIN"
	no_handles tpm/wrong-pin-no-handles
	# The PIN typed at a terminal: right, wrong, ^C; nothing left in the TPM.
	pin_prompt pin 9 "$img" 3
	no_handles tpm/pin-tty-no-handles
	tpm2 dictionarylockout -c -Q 2>/dev/null
	# No terminal and no --key-file: standard input is read, as cryptsetup
	# reads a token PIN; a piped PIN opens, nothing there is no PIN.
	t_expect tpm/pin-piped 0 "$LUKSVOL" open --token-only --test-passphrase --token-id 3 \
		--tpm-tcti "$TCTI" "$img" <<<4711
	t_expect tpm/pin-no-tty-no-key-file 2 "$LUKSVOL" open --token-only --test-passphrase \
		--token-id 3 --tpm-tcti "$TCTI" "$img" </dev/null
	message tpm/pin-no-tty-says "token 3 \(systemd-tpm2\): cannot read its PIN: standard input: nothing to read on input$"
	t_same tpm/pin-no-tty-no-prompt "$(grep -c 'Enter token PIN' "$LV_WORK/last.err")" 0
	tpm2 dictionarylockout -c -Q 2>/dev/null
	token_opens tpm/type-filter 0 "$img" --token-type systemd-tpm2 --tpm-tcti "$TCTI"
	message tpm/type-filter-says "token 2 \(systemd-tpm2\) opened keyslot 3$"

	# luksvol binds, clevis decrypts.
	t_expect tpm/bind 0 "$LUKSVOL" bind tpm2 --pcrs 7 --tpm-tcti "$TCTI" -S 6 \
		--key-file "$DIR/pw.key" "$img"
	t_expect tpm/bind-sha1 0 "$LUKSVOL" bind tpm2 --pcrs 0,7 --pcr-bank sha1 --tpm-tcti "$TCTI" \
		-S 7 --key-file "$DIR/pw.key" "$img"
	no_handles tpm/bind-no-handles
	t_same tpm/clevis-lists "$(clevis luks list -d "$img" -s 6; clevis luks list -d "$img" -s 7)" \
		"6: tpm2 '{\"hash\":\"sha256\",\"key\":\"ecc\",\"pcr_bank\":\"sha256\",\"pcr_ids\":\"7\"}'
7: tpm2 '{\"hash\":\"sha256\",\"key\":\"ecc\",\"pcr_bank\":\"sha1\",\"pcr_ids\":\"0,7\"}'"
	clevis_pass_opens tpm-bound "$img" 6
	clevis_pass_opens tpm-bound-sha1 "$img" 7
	before=$(digest "$img")
	t_expect tpm/bind-bad-bank 1 "$LUKSVOL" bind tpm2 --pcrs 7 --pcr-bank md5 --tpm-tcti "$TCTI" \
		--key-file "$DIR/pw.key" "$img"
	t_expect tpm/bind-bad-pcr 1 "$LUKSVOL" bind tpm2 --pcrs 7,24 --tpm-tcti "$TCTI" \
		--key-file "$DIR/pw.key" "$img"
	t_expect tpm/bind-no-pcrs-option 1 "$LUKSVOL" bind tpm2 --tpm-tcti "$TCTI" \
		--key-file "$DIR/pw.key" "$img"
	t_same tpm/refusals-change-nothing "$(digest "$img")" "$before"

	# PCR 7 changes: nothing opens, each token says why.
	tpm2 pcrextend "7:sha1=$(printf off | sha1sum | cut -d' ' -f1),sha256=$(printf off | sha256sum |
		cut -d' ' -f1)"
	token_opens tpm/pcr7-changed 2 "$img" --tpm-tcti "$TCTI" --key-file /dev/null
	t_same tpm/pcr7-changed-clevis-lines "$(grep -cE 'token [0-9] \(clevis\): .*PCRs .*7.* changed' \
		"$LV_WORK/last.err")" 4
	t_same tpm/pcr7-changed-systemd-line "$(grep -cE 'token 2 \(systemd-tpm2\): .*PCRs 7 \(sha256\) changed' \
		"$LV_WORK/last.err")" 1
	no_handles tpm/pcr7-changed-no-handles
	# The PIN token's PCR moved, or no TPM answers: refused with that
	# reason, no PIN asked.
	pin_prompt pcr-changed 6 "$img" 3

	# luksvol unbinds systemd-cryptenroll's and its own.
	t_expect tpm/unbind-systemd 0 "$LUKSVOL" unbind -q --key-slot 3 "$img"
	t_same tpm/unbind-systemd-token-gone "$(cryptsetup luksDump "$img" | grep -cE '^  [0-9]: systemd-tpm2')" 1
	TPM2TOOLS_TCTI=$TCTI clevis luks unbind -f -d "$img" -s 6 >>"$DIR/oracle.log" 2>&1
	t_same tpm/clevis-unbinds "$(clevis luks list -d "$img" | cut -d: -f1 | tr '\n' ' ')" "1 2 7 "
}

# systemd-cryptenroll's signed policy: PCR 11 signed by pub.pem's key, the
# signature handed over in systemd-stub's .pcrsig JSON.
test_tpm_signed() {
	local img
	img=$(new_image signed)
	"$PY" "$AUX" keygen priv.pem pub.pem
	cryptenroll --tpm2-public-key=pub.pem --tpm2-public-key-pcrs=11 --tpm2-pcrs= "$img"
	t_same_luksdump tpm-signed/dump "$img"
	t_token_reimported tpm-signed/token "$img" 0
	extend 11 enter-initrd
	"$PY" "$AUX" pcrsig priv.pem "$(pcr_hex 11)" sig.json
	token_opens tpm-signed/opens 0 "$img" --tpm-tcti "$TCTI" --tpm-pcr-signature sig.json
	message tpm-signed/says "token 0 \(systemd-tpm2\) opened keyslot 1$"
	token_opens tpm-signed/no-signature 2 "$img" --tpm-tcti "$TCTI"
	extend 11 leave-initrd
	token_opens tpm-signed/pcr11-moved-on 2 "$img" --tpm-tcti "$TCTI" --tpm-pcr-signature sig.json
	no_handles tpm-signed/no-handles
}

# A TPM with no SHA-256 bank: systemd-cryptenroll seals to SHA-1 PCRs.
test_tpm_sha1_only() {
	local img
	swtpm_start "$DIR/swtpm-sha1"
	tpm2 pcrallocate -Q sha1:all+sha256:none
	swtpm_start "$DIR/swtpm-sha1"
	tpm2 pcrextend "7:sha1=$(printf on | sha1sum | cut -d' ' -f1)"
	img=$(new_image sha1)
	cryptenroll --tpm2-pcrs=7 "$img"
	t_same tpm-sha1/enrolled-in-sha1 "$(cryptsetup luksDump "$img" | grep -cE 'tpm2-pcr-bank:\s+sha1$')" 1
	token_opens tpm-sha1/opens 0 "$img" --tpm-tcti "$TCTI"
	message tpm-sha1/says "token 0 \(systemd-tpm2\) opened keyslot 1$"
	tpm2 pcrextend "7:sha1=$(printf off | sha1sum | cut -d' ' -f1)"
	token_opens tpm-sha1/pcr7-changed 2 "$img" --tpm-tcti "$TCTI"
	message tpm-sha1/pcr7-changed-says "PCRs 7 \(sha1\) changed"
	no_handles tpm-sha1/no-handles
}

test_tang
test_tang_key
test_jose_unusable
test_tpm
test_tpm_signed
test_tpm_sha1_only
tang_cleanup
cleanup
