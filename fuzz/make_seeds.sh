#!/bin/bash
# make_seeds.sh: regenerate the fuzz seeds; with --merge, also replace
# fuzz/corpus/<target> by the libFuzzer-minimized (-merge=1) union of the
# fresh seeds and whatever fuzz/corpus/<target> and $EXTRA_CORPUS/<target>
# (e.g. a campaign's output directory) hold, files up to
# $FUZZ_CORPUS_MAX_BYTES (150 KiB) only.  The merge counts edges, not hit
# counts (-use_counters=0): the committed corpus is a small set that
# covers every edge the inputs reach.
#
#   BUILD=build fuzz/make_seeds.sh [--merge | --merge-only]
#   (make fuzz-seeds runs it with --merge; --merge-only skips the regeneration
#   and merges the seeds an earlier run left in $BUILD/fuzz-seeds)
#
# Raw seeds go to $BUILD/fuzz-seeds/<target>/:
#   luks2_load, luks2_roundtrip   header parts (both metadata copies, no keyslots
#                                 area; and each primary copy alone) of:
#                                 cryptsetup luksFormat images for every
#                                 metadata size 16k..4m x pbkdf2/argon2i/argon2id,
#                                 with every token kind (keyring, systemd, clevis,
#                                 sideroKMS, talos-tpm2, external), labels, more
#                                 keyslots, priorities, reencryption metadata;
#                                 luksvol format images;
#                                 ../shared/testdata/cryptsetup images; the header
#                                 mutations of tests/generators/mutate.py; crafted
#                                 variants (seedtool.py variants)
#   luks2_json                    the JSON text (+ NUL) of every copy of the above
#   luks2_unlock                  tiny images (metadata + keyslots area) formatted
#                                 with the harness passphrase and KDF costs within
#                                 its caps, so the passphrase opens them
#   config_yaml                   the volume-config fixtures of tests/config
#   clevis_token, tang_adv        tokens and advertisements from tang and
#                                 clevis (fuzz/clevis_seeds.sh)
# Needs: cryptsetup, python3, xz, tar; $BUILD/luksvol; for the clevis seeds
# tangd, socat, clevis and $BUILD/asan/tests/clevis_tool; for --merge
# $BUILD/fuzz/<target>.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
LUKSVOL=${LUKSVOL:-$BUILD/luksvol}
TESTDATA=${TESTDATA:-../shared/testdata/cryptsetup}
OUT=$BUILD/fuzz-seeds
WORK=$OUT/work
PASS=fuzz-passphrase		# luks2_unlock.c's FZ_PASSPHRASE
TARGETS="luks2_load luks2_dump luks2_json json_tree luks2_unlock luks2_roundtrip config_yaml meta_adv clevis_token tang_adv"
PYTHON=/usr/bin/python3
SEEDTOOL="$PYTHON fuzz/seedtool.py"
MERGE=0 REGEN=1
case ${1:-} in
--merge) MERGE=1 ;;
--merge-only) MERGE=1 REGEN=0 ;;	# reuse $OUT from an earlier run
"") ;;
*) echo "usage: $0 [--merge|--merge-only]" >&2; exit 1 ;;
esac

generate() {
rm -rf "$OUT"
mkdir -p "$WORK" "$OUT/images" "$OUT/unlock-images"
for t in $TARGETS; do mkdir -p "$OUT/$t"; done
printf '%s' "$PASS" >"$WORK/pass"
printf '%s' "second-$PASS" >"$WORK/pass2"

n=0
img() { n=$((n + 1)); IMG=$WORK/img$n; }	# sets IMG to a fresh path

# Sizes in bytes of a metadata size name (16k .. 4m).
bytes_of() { case $1 in *k) echo $((${1%k} * 1024)) ;; *m) echo $((${1%m} * 1048576)) ;; esac; }

# new_image META KEYSLOTS: sets IMG to a new image file just large enough and
# SECTORS to its data offset: right after the keyslots area, 1 MiB aligned.
new_image() {
	local mda ks off
	mda=$(bytes_of "$1")
	ks=$(bytes_of "$2")
	off=$(((2 * mda + ks + 1048575) / 1048576 * 1048576))
	img
	truncate -s $((off + 1048576)) "$IMG"
	SECTORS=$((off / 512))
}

fast_kdf() {	# fast_kdf TYPE: cryptsetup/luksvol options within luks2_unlock's caps
	case $1 in
	pbkdf2) echo "--pbkdf pbkdf2 --pbkdf-force-iterations 1000" ;;
	*) echo "--pbkdf $1 --pbkdf-memory 32 --pbkdf-parallel 1 --pbkdf-force-iterations 4" ;;
	esac
}

# cryptsetup without its "keyslots area is very small" chatter: stderr is shown
# only when the command fails; cs_try is for commands allowed to fail (a
# cipher the kernel lacks, reencryption the kernel cannot set up).
cs() {
	cryptsetup "$@" >"$WORK/cs.err" 2>&1 && return 0
	local rc=$?
	cat "$WORK/cs.err" >&2
	return $rc
}
cs_try() { cryptsetup "$@" >/dev/null 2>&1; }

keep() { cp "$1" "$OUT/images/$(basename "$1")"; }			# a header seed
keep_unlock() { cp "$1" "$OUT/unlock-images/$(basename "$1")"; }	# also an unlock seed

# ---- cryptsetup: every metadata size x every pbkdf ------------------------
if command -v cryptsetup >/dev/null; then
	for mda in 16k 32k 64k 128k 256k 512k 1m 2m 4m; do
		for kdf in pbkdf2 argon2i argon2id; do
			new_image $mda 128k; path=$IMG sectors=$SECTORS
			# shellcheck disable=SC2046
			cs luksFormat -q --type luks2 $(fast_kdf $kdf) \
				--luks2-metadata-size $mda --luks2-keyslots-size 128k \
				--offset "$sectors" -c aes-cbc-essiv:sha256 -s 128 \
				--key-file "$WORK/pass" "$path"
			keep "$path"
			case $mda in 16k | 64k) keep_unlock "$path" ;; esac
			if [ $mda = 16k ] && [ $kdf = pbkdf2 ]; then CS_BASE=$path; fi
		done
	done

	# Ciphers, hashes, sector sizes, labels (16 KiB metadata).
	while read -r cipher bits hash ks extra; do
		new_image 16k "$ks"; path=$IMG sectors=$SECTORS
		# shellcheck disable=SC2046,SC2086
		cs_try luksFormat -q --type luks2 $(fast_kdf pbkdf2) --luks2-metadata-size 16k \
			--luks2-keyslots-size "$ks" --offset "$sectors" -c "$cipher" -s "$bits" \
			--hash "$hash" --key-file "$WORK/pass" $extra "$path" || continue
		keep "$path"
		keep_unlock "$path"
	done <<-'EOF'
	aes-xts-plain64 512 sha256 256k --sector-size=4096
	aes-cbc-essiv:sha256 256 sha1 128k --label=fuzz-label
	aes-xts-plain64 256 sha512 128k --subsystem=fuzz-subsystem
	aes-cbc-plain64 128 sha256 128k --uuid=01234567-89ab-cdef-0123-456789abcdef
	camellia-xts-plain64 256 sha256 128k
	aes-xts-plain 256 sha256 128k
	serpent-xts-plain64 256 sha256 128k
	twofish-cbc-essiv:sha256 256 ripemd160 128k
	EOF

	# Several keyslots, priorities, tokens, config.
	new_image 16k 512k; path=$IMG sectors=$SECTORS
	# shellcheck disable=SC2046
	cs luksFormat -q --type luks2 $(fast_kdf pbkdf2) --luks2-metadata-size 16k \
		--luks2-keyslots-size 512k --offset "$sectors" -s 256 --key-file "$WORK/pass" "$path"
	# shellcheck disable=SC2046
	cs luksAddKey -q $(fast_kdf argon2id) --key-file "$WORK/pass" --key-slot 3 \
		"$path" "$WORK/pass2"
	cs config --priority prefer --key-slot 3 "$path"
	cs config --priority ignore --key-slot 0 "$path"
	cp "$path" "$path.prio"		# only slot 3 (the other passphrase) is tried
	keep_unlock "$path.prio"
	cs config --priority normal --key-slot 0 "$path"
	cs token add --key-description fuzz:keyring --key-slot 0 "$path"
	printf '{"type":"fuzz-external","keyslots":["3"],"payload":{"a":[1,2,{"b":null}]},"n":-1}' \
		>"$WORK/token.json"
	cs token import --json-file "$WORK/token.json" --token-id 7 "$path"
	cs config --label fuzz-label --subsystem fuzz-subsystem "$path"
	keep "$path"
	keep_unlock "$path"
	keep "$path.prio"

	# Every token kind luksvol may meet, as cryptsetup stores them: systemd's,
	# clevis, and Talos's sideroKMS and talos-tpm2 (talos-encryption.md §3).
	new_image 16k 128k; path=$IMG sectors=$SECTORS
	# shellcheck disable=SC2046
	cs luksFormat -q --type luks2 $(fast_kdf pbkdf2) --luks2-metadata-size 16k \
		--luks2-keyslots-size 128k --offset "$sectors" -s 256 --key-file "$WORK/pass" "$path"
	id=0
	while read -r token; do
		printf '%s' "$token" >"$WORK/kind.json"
		cs token import --json-file "$WORK/kind.json" --token-id $id "$path"
		id=$((id + 1))
	done <<-'EOF'
	{"type":"systemd-tpm2","keyslots":["0"],"tpm2-blob":"AJ4AIA==","tpm2-pcrs":[7],"tpm2-pcr-bank":"sha256","tpm2-primary-alg":"ecc","tpm2-policy-hash":"1bb3e21e","tpm2-pin":false}
	{"type":"systemd-fido2","keyslots":["0"],"fido2-credential":"AAAA","fido2-salt":"AAAA","fido2-rp":"io.systemd.cryptsetup","fido2-clientPin-required":true,"fido2-up-required":false,"fido2-uv-required":false}
	{"type":"systemd-recovery","keyslots":["0"]}
	{"type":"clevis","keyslots":["0"],"jwe":{"protected":"eyJhbGciOiJkaXIifQ","encrypted_key":"","iv":"AAAA","ciphertext":"AAAA","tag":"AAAA"}}
	{"type":"sideroKMS","keyslots":[],"UserData":{"sealedData":"c2VhbGVk"}}
	{"type":"talos-tpm2","keyslots":[],"UserData":{"keyslots":[0],"sealed_blob_private":"AAAA","sealed_blob_public":"AAAA","pcrs":[7],"pubkey_pcrs":[11],"alg":"sha256","encryption_version":"1","policy_hash":"AAAA","key_name":"AAAA"}}
	{"type":"luks2-keyring","keyslots":["0"],"key_description":"fuzz:kr"}
	EOF
	keep "$path"

	# Reencryption metadata (reencrypt keyslot, backup segments, requirement).
	for mode in "" "--decrypt"; do
		new_image 16k 1m; path=$IMG sectors=$SECTORS
		# shellcheck disable=SC2046
		cs luksFormat -q --type luks2 $(fast_kdf pbkdf2) --luks2-metadata-size 16k \
			--luks2-keyslots-size 1m --offset "$sectors" -s 256 --key-file "$WORK/pass" "$path"
		# shellcheck disable=SC2046,SC2086
		if cs_try reencrypt --init-only -q $mode $(fast_kdf pbkdf2) \
			--key-file "$WORK/pass" "$path"; then
			keep "$path"
			REENC_BASE=$path
		fi
	done
	img; path=$IMG
	truncate -s 8M "$path"
	# shellcheck disable=SC2046
	if cs_try reencrypt --encrypt --init-only -q --type luks2 $(fast_kdf pbkdf2) \
		--reduce-device-size 4m --luks2-metadata-size 16k --luks2-keyslots-size 1m \
		--key-file "$WORK/pass" "$path"; then keep "$path"; fi

	# A LUKS1 header: recognised and refused.
	img; path=$IMG
	truncate -s 4M "$path"
	cs luksFormat -q --type luks1 --pbkdf-force-iterations 1000 -s 256 \
		--key-file "$WORK/pass" "$path"
	head -c 4096 "$path" >"$path.luks1"
	keep "$path.luks1"
else
	echo "make_seeds.sh: cryptsetup not found, skipping cryptsetup-made seeds" >&2
fi

# ---- luksvol format ---------------------------------------------------------
for mda in 16k 32k 64k 128k 256k 512k 1m 2m 4m; do
	for kdf in pbkdf2 argon2i argon2id; do
		[ $mda = 16k ] || [ $kdf = pbkdf2 ] || continue
		new_image $mda 128k; path=$IMG sectors=$SECTORS
		# shellcheck disable=SC2046
		"$LUKSVOL" format -q $(fast_kdf $kdf) --luks2-metadata-size $mda \
			--luks2-keyslots-size 128k --offset "$sectors" -c aes-cbc-essiv:sha256 \
			-s 128 --key-file "$WORK/pass" "$path"
		keep "$path"
		if [ $mda = 16k ]; then keep_unlock "$path"; fi
		if [ $mda = 16k ] && [ $kdf = pbkdf2 ]; then LV_BASE=$path; fi
	done
done
while read -r cipher bits hash ks extra; do
	new_image 16k "$ks"; path=$IMG sectors=$SECTORS
	# shellcheck disable=SC2046,SC2086
	"$LUKSVOL" format -q $(fast_kdf pbkdf2) --luks2-metadata-size 16k --luks2-keyslots-size "$ks" \
		--offset "$sectors" -c "$cipher" -s "$bits" --hash "$hash" \
		--key-file "$WORK/pass" $extra "$path"
	keep "$path"
	keep_unlock "$path"
done <<-'EOF'
aes-xts-plain64 512 sha256 256k --sector-size=512
aes-cbc-essiv:sha256 256 sha1 128k --label=fuzz-label
aes-xts-plain64 256 sha512 128k --subsystem=fuzz-subsystem
camellia-cbc-plain64be 128 sha256 128k
aes-ecb 128 sha256 128k
EOF
new_image 16k 512k; path=$IMG sectors=$SECTORS
# shellcheck disable=SC2046
"$LUKSVOL" format -q $(fast_kdf pbkdf2) --luks2-metadata-size 16k --luks2-keyslots-size 512k \
	--offset "$sectors" -s 256 --key-file "$WORK/pass" "$path"
# shellcheck disable=SC2046
"$LUKSVOL" add-key -q $(fast_kdf argon2i) --key-file "$WORK/pass" --new-key-file "$WORK/pass2" \
	--key-slot 2 "$path"
printf '{"type":"luks2-keyring","keyslots":["2"],"key_description":"fuzz:k"}' >"$WORK/kr.json"
"$LUKSVOL" token import --json-file "$WORK/kr.json" "$path"
"$LUKSVOL" token import --json-file "$WORK/token.json" --token-id 9 "$path" 2>/dev/null || true
"$LUKSVOL" config --label luksvol-label --subsystem luksvol-sub "$path"
keep "$path"
keep_unlock "$path"

# ---- ../shared/testdata/cryptsetup images -------------------------------------
if [ -d "$TESTDATA" ]; then
	mkdir -p "$WORK/testdata"
	for f in "$TESTDATA"/*.xz; do
		case $f in
		*.tar.xz) tar -xJf "$f" -C "$WORK/testdata" ;;
		*) name=$(basename "$f" .xz); xz -dc "$f" >"$WORK/testdata/$name" ;;
		esac
	done
	# LUKS1 images: one is enough (they share the code path).
	find "$WORK/testdata" -type f -path '*luks1*' -name '*.img' | sort | tail -n +2 |
		xargs -r rm -f
	find "$WORK/testdata" -type f ! -name '*.log' ! -name README ! -name keyfile1 | sort |
		while read -r f; do
			$SEEDTOOL header "$f" "$OUT/images/testdata-$(basename "$f")"
		done
else
	echo "make_seeds.sh: $TESTDATA not found, skipping the test images" >&2
fi

# ---- tests/generators/mutate.py ----------------------------------------------
if [ -f "$TESTDATA/luks2_valid_hdr.img.xz" ]; then
	$PYTHON tests/generators/mutate.py --base "$TESTDATA/luks2_valid_hdr.img.xz" \
		--out "$WORK/mutate" >/dev/null
	for f in "$WORK"/mutate/*.img; do
		$SEEDTOOL header "$f" "$OUT/images/mutate-$(basename "$f" .img)"
	done
fi

# ---- crafted variants on a luksvol and a cryptsetup 16k image ---------------
for f in "${CS_BASE:-}" "${LV_BASE:-}" "${REENC_BASE:-}"; do
	if [ -n "$f" ]; then $SEEDTOOL variants "$f" "$OUT/variants" "$OUT/luks2_json"; fi
done
if [ -d "$OUT/variants" ]; then cp "$OUT"/variants/* "$OUT/images/"; fi

# An empty input: the JSON area size check, and whatever a target does with nothing.
for t in $TARGETS; do : >"$OUT/$t/empty"; done

# ---- config_yaml: the volume-config fixtures of tests/config ------------------
mkdir -p "$OUT/config_yaml"
for f in tests/config/valid/* tests/config/invalid/*.yaml; do
	case $f in *.yaml | *.json) cp "$f" "$OUT/config_yaml/$(basename "$(dirname "$f")")-$(basename "$f")" ;; esac
done

# ---- meta_adv: compact META images and tag 9 values (fuzz/meta_seeds.py) -------
/usr/bin/python3 fuzz/meta_seeds.py "$OUT/meta_adv"

# ---- clevis_token, tang_adv: Debian's tang and clevis, and the engine ------------
BUILD=$BUILD fuzz/clevis_seeds.sh "$OUT"

# ---- distribute ------------------------------------------------------------------
for f in "$OUT"/images/*; do
	case $(basename "$f") in
	testdata-* | mutate-* | *-*) cp "$f" "$OUT/luks2_load/" ;;	# already header parts
	*) $SEEDTOOL header "$f" "$OUT/luks2_load/$(basename "$f")" ;;
	esac
	$SEEDTOOL json "$OUT/luks2_load/$(basename "$f")" "$OUT/luks2_json"
	# Most checks need one copy only: a 5 KiB input instead of 21 KiB.
	$SEEDTOOL primary "$OUT/luks2_load/$(basename "$f")" "$OUT/luks2_load/$(basename "$f").p"
done
cp "$OUT"/luks2_load/* "$OUT/luks2_roundtrip/"
cp "$OUT"/luks2_load/* "$OUT/luks2_dump/"
# json_tree: the same JSON areas (their first byte, '{', picks the C-string mode).
cp "$OUT"/luks2_json/* "$OUT/json_tree/"
for f in "$OUT"/unlock-images/*; do
	$SEEDTOOL keyslots "$f" "$OUT/luks2_unlock/$(basename "$f")"
done

for t in $TARGETS; do
	printf '%-16s %4d seeds, %6d KiB\n' "$t" "$(find "$OUT/$t" -type f | wc -l)" \
		"$(du -sk "$OUT/$t" | cut -f1)"
done

}	# generate

if [ $REGEN = 1 ]; then generate; fi
[ $MERGE = 1 ] || exit 0

# ---- minimize into fuzz/corpus -------------------------------------------------
# Inputs above FUZZ_CORPUS_MAX_BYTES (default 150 KiB: metadata sizes 256k..4m)
# stay out of the committed corpus: they add no line coverage over the smaller
# sizes, only megabytes.  Campaigns can add $OUT/<target> as a second corpus.
#
# luks2_dump, luks2_unlock and luks2_roundtrip take the same device images as luks2_load,
# so their directories hold only what luks2_load's corpus does not already
# cover for them: they are always used together with fuzz/corpus/luks2_load
# (fuzz/corpus_dirs.sh; replay.sh, fuzz.mk and README.md do so).
MAX_BYTES=${FUZZ_CORPUS_MAX_BYTES:-153600}
# The base corpora as they were before this merge: an input the base target's
# merge drops may still be what a target built on it needs.
rm -rf "$WORK/base-before"
mkdir -p "$WORK/base-before"
for t in $TARGETS; do
	base=$(fuzz/corpus_dirs.sh --base "$t")
	if [ -n "$base" ] && [ ! -d "$WORK/base-before/$base" ]; then
		cp -r "fuzz/corpus/$base" "$WORK/base-before/$base"
	fi
done
for t in $TARGETS; do
	bin=$BUILD/fuzz/$t
	[ -x "$bin" ] || { echo "make_seeds.sh: $bin missing (make fuzz)" >&2; exit 1; }
	base=$(fuzz/corpus_dirs.sh --base "$t")
	in=$WORK/merge-in/$t out=$WORK/merge-out/$t
	rm -rf "$in" "$out"
	mkdir -p "$in" "$out"
	for d in fuzz/corpus/$t "$OUT/$t" ${base:+"$WORK/base-before/$base"} \
		${EXTRA_CORPUS:+"$EXTRA_CORPUS/$t"}; do
		[ -d "$d" ] || continue
		find "$d" -maxdepth 1 -type f ! -name '.*' -size -$((MAX_BYTES + 1))c \
			-exec cp -t "$in" {} +
	done
	# The base corpus counts as already merged: only what adds to it is kept.
	[ -z "$base" ] || cp -t "$out" fuzz/corpus/"$base"/*
	# Without FUZZ_SKIP_KNOWN_BUGS: inputs that trip a known bug are dropped
	# (the crash-resistant merge skips them); their reproducer is in
	# fuzz/regressions, and the corpus itself must replay cleanly.
	env -u FUZZ_SKIP_KNOWN_BUGS \
		"$bin" -merge=1 -use_counters=0 -timeout=60 -rss_limit_mb=4096 \
		-artifact_prefix="$WORK/merge-$t-" "$out" "$in" \
		2>"$WORK/merge-$t.log" ||
		{ echo "make_seeds.sh: merge of $t failed, see $WORK/merge-$t.log" >&2; exit 1; }
	if [ -n "$base" ]; then
		for f in fuzz/corpus/"$base"/*; do rm -f "$out/$(basename "$f")"; done
	fi
	# The merge names what it keeps by its SHA-1: a named seed kept keeps its name.
	for f in "$in"/*; do
		name=$(basename "$f")
		[[ $name =~ ^[0-9a-f]{40}$ ]] && continue
		hashed="$out/$(sha1sum "$f" | cut -c1-40)"
		if [ -e "$hashed" ]; then mv "$hashed" "$out/$name"; fi
	done
	rm -rf fuzz/corpus/$t
	mkdir -p fuzz/corpus/$t
	cp -t fuzz/corpus/$t "$out"/* 2>/dev/null || true
	printf 'fuzz/corpus/%-16s %4d files, %6d KiB%s\n' "$t" \
		"$(find fuzz/corpus/$t -type f | wc -l)" "$(du -sk fuzz/corpus/$t | cut -f1)" \
		"${base:+ (beyond fuzz/corpus/$base)}"
done
