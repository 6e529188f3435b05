#!/bin/bash
# limits.sh: headers past every limit luksvol's metadata once had, which
# cryptsetup 2.6 writes and dumps without complaint: a token type of 200
# characters, 32 tokens with long types, 33 and 200 config.flags.
#  - cryptsetup makes each header (token import; the flags are put into its
#    JSON and cryptsetup then rewrites it with `config --label`), luksvol
#    makes the same ones (token import; its own `config --label` rewrite);
#  - each is dumped identically by both tools: `dump` against luksDump line
#    for line (less luksvol's "Header copy:" line), `dump --json` against
#    --dump-json-metadata byte for byte;
#  - each tool then edits the other's header (add a key, remove and import a
#    token, relabel) and both tools still dump it identically and open it
#    with the new passphrase; luksvol's edits give byte for byte the JSON
#    cryptsetup's same edits give (salts and digests set aside).
set -u
source "$(dirname "$0")/../lib.sh"
DIR=$LV_WORK/limits
rm -rf "$DIR"
mkdir -p "$DIR"
FAST=(--pbkdf pbkdf2 --pbkdf-force-iterations 1000)
printf 'passphrase one' >"$DIR/one.key"
printf 'passphrase two' >"$DIR/two.key"

# What a header's JSON says, without the values that are random per write.
json_of() { cryptsetup luksDump --dump-json-metadata "$1" 2>/dev/null; }
stable_json_of() {
	json_of "$1" | jq -c 'walk(if type == "object" then del(.salt, .digest) else . end)'
}

# same_dumps NAME IMG: both dumps of both tools agree.
same_dumps() {
	local name=$1 img=$2
	t_same_luksdump "$name/dump" "$img"
	"$LUKSVOL" dump --json "$img" >"$DIR/ours.json" 2>"$DIR/err"
	json_of "$img" >"$DIR/theirs.json"
	if [ -s "$DIR/theirs.json" ] && cmp -s "$DIR/ours.json" "$DIR/theirs.json"; then
		t_pass "$name/dump-json"
	else
		t_fail "$name/dump-json" "not byte for byte --dump-json-metadata: $(diff "$DIR/ours.json" "$DIR/theirs.json" | head -4 | tr '\n' ' ') $(head -c 200 "$DIR/err")"
	fi
}

# long_type N LEN: a token type of exactly LEN characters, distinct per N.
long_type() { printf 'type-%03d-%s' "$1" "$(head -c $(($2 - 9)) /dev/zero | tr '\0' x)"; }

# with_flags IMG COUNT: COUNT config.flags (the seven cryptsetup knows, then
# unknown ones) written into both metadata copies, checksums resealed.
with_flags() {
	/usr/bin/python3 - "$LV_TOP/tests/generators" "$@" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import mutate
path, count = sys.argv[2], int(sys.argv[3])
known = ["allow-discards", "same-cpu-crypt", "submit-from-crypt-cpus", "no-journal",
         "no-read-workqueue", "no-write-workqueue", "high_priority"]
flags = (known + ["unknown-flag-%03d" % i for i in range(count)])[:count]
img = bytearray(open(path, "rb").read())
for off in (0, mutate.secondary_off(img)):
    obj = mutate.read_json(img, off)
    obj["config"]["flags"] = flags
    mutate.put_json(img, off, obj)
open(path, "wb").write(img)
PY
}

new_image() {
	rm -f "$1"
	truncate -s 40M "$1"
}

cs_image() {
	new_image "$1"
	cryptsetup luksFormat -q --type luks2 "${FAST[@]}" --key-file "$DIR/one.key" "$1" >/dev/null 2>&1
}

lv_image() {
	new_image "$1"
	"$LUKSVOL" format -q "${FAST[@]}" --key-file "$DIR/one.key" "$1" >/dev/null 2>&1
}

# make_headers TOOL: the four headers, made and written by TOOL (cs or lv).
make_headers() {
	local tool=$1 img i
	local import=(cryptsetup token import) relabel=(cryptsetup config)
	if [ "$tool" = lv ]; then
		import=("$LUKSVOL" token import)
		relabel=("$LUKSVOL" config)
	fi
	img=$DIR/$tool-type200.img
	${tool}_image "$img"
	echo "{\"type\":\"$(long_type 0 200)\",\"keyslots\":[\"0\"],\"payload\":{\"a\":[1,2]}}" |
		"${import[@]}" "$img" >/dev/null
	img=$DIR/$tool-tokens32.img
	${tool}_image "$img"
	for i in $(seq 0 31); do
		echo "{\"type\":\"$(long_type "$i" 150)\",\"keyslots\":[]}" | "${import[@]}" "$img" >/dev/null
	done
	for i in 33 200; do
		img=$DIR/$tool-flags$i.img
		${tool}_image "$img"
		with_flags "$img" "$i"
		"${relabel[@]}" --label "flags-$i" "$img" >/dev/null
	done
}

check_made() {
	local tool=$1 name
	for name in type200 tokens32 flags33 flags200; do
		same_dumps "made-by-$tool/$name" "$DIR/$tool-$name.img"
	done
	t_same "made-by-$tool/type200-type-length" \
		"$(json_of "$DIR/$tool-type200.img" | jq -r '.tokens["0"].type | length')" 200
	t_same "made-by-$tool/tokens32-count" \
		"$(json_of "$DIR/$tool-tokens32.img" | jq '.tokens | length')" 32
	t_same "made-by-$tool/flags33-count" \
		"$(json_of "$DIR/$tool-flags33.img" | jq '.config.flags | length')" 33
	t_same "made-by-$tool/flags200-count" \
		"$(json_of "$DIR/$tool-flags200.img" | jq '.config.flags | length')" 200
}

# edit TOOL IMG: add a key, remove token 3 (when there is one) and import a
# long-type token in its place, relabel.
edit() {
	local tool=$1 img=$2
	if [ "$tool" = lv ]; then
		"$LUKSVOL" add-key "${FAST[@]}" --key-file "$DIR/one.key" --new-key-file "$DIR/two.key" "$img" &&
			{ ! "$LUKSVOL" token export --token-id 3 "$img" >/dev/null 2>&1 ||
				"$LUKSVOL" token remove --token-id 3 "$img"; } &&
			echo "{\"type\":\"$(long_type 99 180)\",\"keyslots\":[\"1\"]}" |
			"$LUKSVOL" token import --token-id 3 "$img" &&
			"$LUKSVOL" config --label edited "$img"
	else
		cryptsetup luksAddKey -q "${FAST[@]}" --key-file "$DIR/one.key" "$img" "$DIR/two.key" &&
			{ ! cryptsetup token export --token-id 3 "$img" >/dev/null 2>&1 ||
				cryptsetup token remove --token-id 3 "$img"; } &&
			echo "{\"type\":\"$(long_type 99 180)\",\"keyslots\":[\"1\"]}" |
			cryptsetup token import --token-id 3 "$img" &&
			cryptsetup config --label edited "$img"
	fi
}

# edit_both_ways MAKER EDITOR NAME: EDITOR edits MAKER's header; the other
# tool verifies.  The same edit by the maker itself, on a copy, gives the
# same JSON.
edit_both_ways() {
	local maker=$1 editor=$2 name=$3 img=$DIR/$1-$3.img other
	other=$maker
	cp --sparse=always "$img" "$img.editor"
	cp --sparse=always "$img" "$img.maker"
	if edit "$editor" "$img.editor" >"$DIR/edit.log" 2>&1; then
		t_pass "$editor-edits-$maker/$name/edit"
	else
		t_fail "$editor-edits-$maker/$name/edit" "$(head -c 300 "$DIR/edit.log")"
		return
	fi
	edit "$other" "$img.maker" >/dev/null 2>&1 || t_fail "$editor-edits-$maker/$name/reference" "the maker's own edit failed"
	same_dumps "$editor-edits-$maker/$name" "$img.editor"
	t_expect "$editor-edits-$maker/$name/cryptsetup-opens-new-key" 0 \
		cryptsetup open --test-passphrase --key-file "$DIR/two.key" "$img.editor"
	t_expect "$editor-edits-$maker/$name/luksvol-opens-new-key" 0 \
		"$LUKSVOL" open --test-passphrase --key-file "$DIR/two.key" "$img.editor"
	t_expect "$editor-edits-$maker/$name/old-key-still-opens" 0 \
		"$LUKSVOL" open --test-passphrase --key-slot 0 --key-file "$DIR/one.key" "$img.editor"
	t_same "$editor-edits-$maker/$name/same-json-as-$maker-edit" \
		"$(stable_json_of "$img.editor")" "$(stable_json_of "$img.maker")"
}

# Relabelling touches the binary header only: the JSON stays byte for byte.
relabel_keeps_json() {
	local maker=$1 name=$2 img=$DIR/$1-$2.img before
	before=$(json_of "$img" | sha256sum)
	t_expect "lv-relabels-$maker/$name" 0 "$LUKSVOL" config --label relabelled "$img"
	t_same "lv-relabels-$maker/$name/json-unchanged" "$(json_of "$img" | sha256sum)" "$before"
}

for tool in cs lv; do
	make_headers "$tool"
	check_made "$tool"
done
for name in type200 tokens32 flags33 flags200; do
	edit_both_ways cs lv "$name"
	edit_both_ways lv cs "$name"
	relabel_keeps_json cs "$name"
done
# All 32 token ids in use: both tools refuse one more, and change nothing.
before=$(sha256sum <"$DIR/cs-tokens32.img")
t_expect tokens32/luksvol-refuses-33rd 1 "$LUKSVOL" token import --json-file \
	<(echo '{"type":"one-too-many","keyslots":[]}') "$DIR/cs-tokens32.img"
t_same tokens32/refusal-writes-nothing "$(sha256sum <"$DIR/cs-tokens32.img")" "$before"
