#!/bin/bash
# features.sh: the feature flags remove what they say (README.md, "Build").
# One dynamic build with WITH_YAML=0 WITH_BLKID=0 WITH_KMS=0 WITH_TPM=0
# WITH_CLEVIS=0: it links neither libyaml, libblkid, libcurl, tpm2-tss,
# libjose nor libjansson, has no Talos verbs, no KMS, TPM or clevis code,
# and its plain verbs still make and open volumes that cryptsetup opens, and
# open cryptsetup's.  No build links libcurl, libjose or libjansson: they
# are loaded when a KMS, a clevis token or a tang key is first used
# (src/base/dl_table.h), so json-c's json_object_get is the only one
# luksvol's code can bind to.  (The static build, WITH_BLKID=0 by default, runs in the VM:
# tests/vm/t_kernel.sh.)
set -u
source "$(dirname "$0")/../lib.sh"
DIR=$LV_WORK/features
FEAT_BUILD=$LV_TOP/$BUILD/features
LV=$FEAT_BUILD/luksvol
FAST=(--pbkdf pbkdf2 --pbkdf-force-iterations 1000)
rm -rf "$DIR"
mkdir -p "$DIR"

# A make started from make test must not inherit its jobserver.
t_expect features/build 0 env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	make -s -C "$LV_TOP" -j2 BUILD="$FEAT_BUILD" WITH_YAML=0 WITH_BLKID=0 WITH_KMS=0 WITH_TPM=0 \
	WITH_CLEVIS=0 "$FEAT_BUILD/luksvol" "$FEAT_BUILD/libluksvol.so.0.1.0"

libs=$(ldd "$LV" 2>/dev/null)
t_same features/links-no-libyaml "$(grep -c libyaml <<<"$libs")" 0
t_same features/links-no-libblkid "$(grep -c libblkid <<<"$libs")" 0
t_same features/links-json-c "$(grep -c libjson-c <<<"$libs")" 1
t_same features/links-no-tpm2-tss "$(grep -c libtss2 <<<"$libs")" 0
# The shared library has every object the flags keep: no KMS, TPM or clevis
# code, no libcurl, tpm2-tss, libjose or libjansson.  The default one has
# them (so the checks can fail).
for lib in libcurl libtss2 libjose libjansson; do
	t_same "features/so-links-no-$lib" "$(ldd "$FEAT_BUILD/libluksvol.so.0.1.0" | grep -c "$lib")" 0
done
t_same features/so-no-kms-code "$(nm "$FEAT_BUILD/libluksvol.so.0.1.0" |
	grep -c ' lv_kms_')" 0
t_same features/so-no-tpm-code "$(nm "$FEAT_BUILD/libluksvol.so.0.1.0" |
	grep -c ' lv_tpm_\| lv_talos_tpm2_\| U Esys_')" 0
t_same features/so-no-clevis-code "$(nm "$FEAT_BUILD/libluksvol.so.0.1.0" |
	grep -cE ' (lv_clevis_|lv_shamir_)')" 0
t_expect features/default-so 0 env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	make -s -C "$LV_TOP" BUILD="$BUILD" "$BUILD/libluksvol.so.0.1.0"
default_so=$LV_TOP/$BUILD/libluksvol.so.0.1.0
# libcurl (and its thirty libraries) is loaded by the first KMS or tang
# request, libjose and libjansson by the first clevis token or tang key,
# tpm2-tss by the first TPM use, never at start (kms.sh, clevis.sh and
# apply_tpm.sh run them).
t_same features/default-so-links-no-libcurl "$(ldd "$default_so" | grep -c libcurl)" 0
for soname in libcurl.so.4 libjose.so.0 libjansson.so.4 libtss2-esys.so.0 libtss2-mu.so.0 \
	libtss2-tctildr.so.0 libtss2-sys.so.1 libtss2-rc.so.0; do
	t_same "features/default-so-loads-$soname" "$(grep -qaF "$soname" "$default_so" && echo yes)" yes
	for object in "$default_so" "$LV_TOP/$BUILD/luksvol" "$LV_TOP/$BUILD/asan/luksvol" "$LV" \
		"$LV_TOP/$BUILD/asan/tests/test_clevis"; do
		t_same "features/needs-no-$soname/${object#"$LV_TOP/"}" \
			"$(readelf -d "$object" | grep NEEDED | grep -cF "[${soname%%.so*}.so")" 0
	done
done
t_same features/default-so-has-kms-code "$(nm "$default_so" |
	grep -q ' lv_kms_seal$' && echo yes)" yes
# Every tpm2-tss call goes through src/tpm's table: an undefined Esys_ or
# Tss2_ name would be one that does not.
t_same features/default-so-calls-no-tss2-directly "$(nm -D "$default_so" | grep -cE ' U (Esys|Tss2)_')" 0
t_same features/default-so-has-tpm-code "$(nm "$default_so" |
	grep -q ' lv_talos_tpm2_unseal$' && echo yes)" yes
t_same features/default-so-has-clevis-code "$(nm "$default_so" |
	grep -q ' lv_clevis_decrypt$' && echo yes)" yes
# Both JSON libraries in one object: a json_object_get it imports (the
# format no longer does, since its own JSON tree) must be json-c's, never
# jansson's lookup of the same name.
for object in "$default_so" "$LV_TOP/$BUILD/asan/tests/clevis_tool"; do
	t_same "features/json-object-get-is-json-c/$(basename "$object")" \
		"$(objdump -T "$object" 2>/dev/null |
			awk '$NF == "json_object_get" && $(NF-1) != "(JSONC_0.14)" { print $(NF-1) }')" \
		""
done
symbols=$(nm -D "$LV" 2>/dev/null)
t_same features/no-yaml-symbols "$(grep -c ' yaml_' <<<"$symbols")" 0
t_same features/no-blkid-symbols "$(grep -c ' blkid_' <<<"$symbols")" 0
t_same features/no-curl-symbols "$(grep -c ' curl_' <<<"$symbols")" 0
t_same features/no-tss2-symbols "$(grep -c ' Esys_\| Tss2_' <<<"$symbols")" 0
t_same features/no-kms-objects "$(find "$FEAT_BUILD/obj/src/kms" -name '*.o' 2>/dev/null | wc -l)" 0
t_same features/no-tpm-objects "$(find "$FEAT_BUILD/obj/src/tpm" -name '*.o' 2>/dev/null | wc -l)" 0
t_same features/no-jose-symbols "$(grep -c ' jose_' <<<"$symbols")" 0
t_same features/no-clevis-objects "$(find "$FEAT_BUILD/obj/src/clevis" "$FEAT_BUILD/obj/src/crypto" \
	-name '*.o' 2>/dev/null | grep -cE '/(src/clevis/|src/crypto/shamir)')" 0

for verb in apply wipe; do
	t_expect "features/no-$verb" 1 "$LV" "$verb" -f /dev/null
	t_same "features/no-$verb-message" "$(grep -c "unknown verb \"$verb\"" "$LV_WORK/last.err")" 1
done
printf 'kind: VolumeConfig\n' >"$DIR/vc.yaml"
t_expect features/no-config-check 1 "$LV" config check -f "$DIR/vc.yaml"
t_same features/help-no-apply "$("$LV" --help 2>&1 | grep -c 'luksvol apply\|check|show')" 0

# The plain verbs, both ways with cryptsetup.
printf 'features passphrase' >"$DIR/pass.key"
printf 'features second one' >"$DIR/second.key"
truncate -s 20M "$DIR/lv.img" "$DIR/cs.img"
t_expect features/format 0 "$LV" format -q "${FAST[@]}" --key-file "$DIR/pass.key" "$DIR/lv.img"
t_expect features/cryptsetup-opens 0 cryptsetup open --test-passphrase \
	--key-file "$DIR/pass.key" "$DIR/lv.img"
t_expect features/add-key 0 "$LV" add-key "${FAST[@]}" --key-file "$DIR/pass.key" \
	--new-key-file "$DIR/second.key" "$DIR/lv.img"
t_expect features/cryptsetup-opens-added 0 cryptsetup open --test-passphrase \
	--key-file "$DIR/second.key" "$DIR/lv.img"
t_expect features/cs-format 0 cryptsetup luksFormat -q "${FAST[@]}" --key-file "$DIR/pass.key" \
	"$DIR/cs.img"
t_expect features/opens-cryptsetups 0 "$LV" open --test-passphrase --key-file "$DIR/pass.key" \
	"$DIR/cs.img"
t_expect features/wrong-passphrase 2 "$LV" open --test-passphrase --key-file "$DIR/second.key" \
	"$DIR/cs.img"
t_expect features/dump 0 "$LV" dump "$DIR/cs.img"
t_expect features/is-luks 0 "$LV" is-luks "$DIR/cs.img"
t_expect features/label 0 "$LV" config --label plain "$DIR/cs.img"
t_same features/cryptsetup-sees-label \
	"$(cryptsetup luksDump "$DIR/cs.img" | sed -n 's/^Label:[[:space:]]*//p')" plain

# Without libblkid nothing can tell whether another signature shares the
# device: a damaged copy is not recovered automatically, only by repair.
dd if=/dev/zero of="$DIR/lv.img" bs=4096 count=1 conv=notrunc status=none
t_expect features/damaged-primary-still-opens 0 "$LV" open --test-passphrase \
	--key-file "$DIR/pass.key" "$DIR/lv.img"
t_expect features/repair 0 "$LV" repair "$DIR/lv.img"
t_expect features/repaired-cryptsetup-opens 0 cryptsetup open --test-passphrase \
	--key-file "$DIR/second.key" "$DIR/lv.img"

# WITH_CLEVIS=0 alone (KMS, TPM and YAML kept), as `make WITH_CLEVIS=0`
# builds it, at -O0: this checks the flag's #ifs and the Makefile's lists
# (the default build checks the optimiser's warnings), cheaply.  No clevis
# code, libjose or libjansson; libcurl for the KMS through the one shared
# initialisation; no bind verbs; a clevis token and a tang key are named
# as compiled out.
NC_BUILD=$LV_TOP/$BUILD/features-no-clevis
NC=$NC_BUILD/luksvol
t_expect features/no-clevis-build 0 env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	make -s -C "$LV_TOP" -j2 BUILD="$NC_BUILD" WITH_CLEVIS=0 'CFLAGS_OPT=$(CFLAGS_BASE) -O0' "$NC"
nc_libs=$(ldd "$NC" 2>/dev/null)
for lib in libjose libjansson; do
	t_same "features/no-clevis-links-no-$lib" "$(grep -c "$lib" <<<"$nc_libs")" 0
done
t_same features/no-clevis-links-no-libcurl "$(grep -c libcurl <<<"$nc_libs")" 0
t_same features/no-clevis-loads-libcurl "$(grep -qa 'libcurl\.so\.4' "$NC" && echo yes)" yes
t_same features/no-clevis-needs-no-tpm2-tss "$(readelf -d "$NC" | grep NEEDED | grep -c 'libtss2-')" 0
nc_symbols=$(nm "$NC" 2>/dev/null)
t_same features/no-clevis-code "$(grep -cE ' (lv_clevis_|lv_shamir_|lv_http_)' <<<"$nc_symbols")" 0
t_same features/no-clevis-keeps-curl-init "$(grep -c ' T lv_curl_global_init$' <<<"$nc_symbols")" 1
# (unbind stays: it removes systemd-cryptenroll's bindings too.)
t_same features/no-clevis-help "$("$NC" --help 2>&1 | grep -c 'luksvol bind ')" 0
t_expect features/no-clevis-no-bind 1 "$NC" bind tang --url http://127.0.0.1:1 "$DIR/cs.img"
# A clevis token (as clevis luks bind writes it) on a cryptsetup volume.
cp "$DIR/cs.img" "$DIR/clevis.img"
printf '{"type":"clevis","keyslots":["0"],"jwe":{"ciphertext":"","encrypted_key":"","iv":"","protected":"eyJhbGciOiJkaXIifQ","tag":""}}' |
	cryptsetup token import --token-id 0 "$DIR/clevis.img"
before=$(sha256sum <"$DIR/clevis.img")
t_expect features/no-clevis-token-only 1 "$NC" open --token-only --test-passphrase "$DIR/clevis.img"
t_same features/no-clevis-token-says "$(cat "$LV_WORK/last.err")" \
	"luksvol: $DIR/clevis.img: No usable token is available (token 0 is clevis: built with WITH_CLEVIS=0)."
t_same features/no-clevis-token-unchanged "$(sha256sum <"$DIR/clevis.img")" "$before"
cfg=$(data_volume_config "$DIR/tang.yaml" '    - slot: 0
      tang:
        url: http://127.0.0.1:1
        thumbprint: aGVsbG8td29ybGQtdGhpcy1pcy00My1jaGFycy1sb24')
truncate -s 20M "$DIR/empty.img"
t_expect features/no-clevis-tang-key 1 "$NC" apply --dry-run --device "u-data=$DIR/empty.img" \
	--node-uuid 0f6b8e2a-43c1-4b7e-9d2f-5a1c3e7b9d40 --state-dir "$DIR/state" --no-activate -f "$cfg"
t_same features/no-clevis-tang-key-says "$(grep -cx 'u-data: cannot format with keyslot 0 (tang): slot 0: tang keys are not supported by this build (built with WITH_CLEVIS=0)' \
	"$LV_WORK/last.out")" 1
t_same features/no-clevis-tang-key-nothing-written "$(cmp -s "$DIR/empty.img" <(head -c 20M /dev/zero) && echo zero)" zero
