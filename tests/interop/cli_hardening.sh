#!/bin/bash
# cli_hardening.sh: the command line without a terminal (issue 13; prompt.py
# has the terminal half), with cryptsetup side by side:
#  - options are whole words: an abbreviation is unknown, --header is "not
#    supported yet", and nothing is touched (item 1);
#  - each verb accepts its own options and refuses the others as cryptsetup
#    does; `luksvol VERB --help` lists exactly those (item 18);
#  - key input: piped passphrases over 8 MiB refused, --keyfile-size above
#    8 MiB read, an offset past the end refused (items 9, 10);
#  - token export: output errors, mode 0600, `-` for stdout, no writing
#    through links, FIFOs or directories, no truncated file (item 12);
#  - -v prints what cryptsetup -v prints; erase keeps the tokens (item 18).
set -u
source "$(dirname "$0")/../lib.sh"
DIR=$(realpath -m "$LV_WORK/cli_hardening")
rm -rf "$DIR"
mkdir -p "$DIR"
FAST=(--pbkdf pbkdf2 --pbkdf-force-iterations 1000)
# Parsing sweeps use the -O2 build: the ASan one runs every other test.
OPT_LUKSVOL=${OPT_LUKSVOL:-$LV_TOP/$BUILD/luksvol}
# LV_OPTION_SAMPLE=N (make check): of the every-verb-times-every-option
# loops, only the pairs whose running count is a multiple of N, so each
# verb and each option still meets several of the others; make test
# runs every pair.
LV_OPTION_SAMPLE=${LV_OPTION_SAMPLE:-1}
sampled() { pair_count=$((pair_count + 1)); [ $((pair_count % LV_OPTION_SAMPLE)) -eq 0 ]; }
pair_count=0

# new_image NAME KEY [KEY2]: a 20 MiB image cryptsetup formats with KEY
# (slot 0) and KEY2 (slot 1); prints its path.
new_image() {
	local img=$DIR/$1
	rm -f "$img"
	truncate -s 20M "$img"
	cryptsetup luksFormat -q "${FAST[@]}" --key-file "$2" "$img"
	[ $# -lt 3 ] || cryptsetup luksAddKey "${FAST[@]}" --key-file "$2" "$img" "$3"
	echo "$img"
}

checksum() { sha256sum <"$1" | cut -c1-64; }

# t_grep NAME PATTERN FILE: pass when FILE matches the extended regex.
t_grep() {
	if grep -qE -- "$2" "$3"; then t_pass "$1"; else t_fail "$1" "no /$2/ in: $(head -c 300 "$3")"; fi
}

# ---- item 1: whole option names ----

test_whole_names() {
	local img before verb="" opt bad="" rc line
	printf 'names' >"$DIR/names.key"
	img=$(new_image names.img "$DIR/names.key")
	before=$(checksum "$img")
	# --header is the detached header itself, not --header-backup-file.
	t_expect options/header-whole-name 0 "$LUKSVOL" dump --header "$img" "$DIR/D.data"
	t_grep options/header-read '^LUKS header information' "$LV_WORK/last.out"
	# What getopt_long made of it: --header-backup-file, and a format.
	t_expect options/head-unknown 1 "$LUKSVOL" format -q "${FAST[@]}" \
		--key-file "$DIR/names.key" --head "$DIR/D.hdr" "$img"
	t_grep options/head-message '^luksvol: unknown option --head$' "$LV_WORK/last.err"
	for opt in --key-f --test-pass --json-f --vol --header-backup; do
		t_expect "options/abbreviation$opt" 1 "$LUKSVOL" open --test-passphrase "$opt" x "$img"
	done
	t_same options/nothing-written "$(checksum "$img")" "$before"
	t_same options/no-data-file "$(ls "$DIR"/D.data 2>/dev/null)" ""
	# Every long option of every verb's help, one letter short, is unknown
	# (in $DIR: what getopt_long made of them wrote files named x).
	cd "$DIR" || return
	for verb in $("$OPT_LUKSVOL" --help | awk '$1 == "luksvol" {print $2}' | sort -u); do
		for opt in $("$OPT_LUKSVOL" "$verb" --help | grep -oE -- '--[a-z0-9_-]+' | sort -u); do
			sampled || continue
			"$OPT_LUKSVOL" "$verb" "${opt%?}" x "$img" >/dev/null 2>"$DIR/abbr.err"
			rc=$?
			IFS= read -r line <"$DIR/abbr.err"
			[ $rc -eq 1 ] && [ "$line" = "luksvol: unknown option ${opt%?}" ] ||
				bad="$bad $verb:${opt%?}"
		done
	done
	cd "$LV_TOP" || return
	[ -n "$verb" ] || bad="no verb found"
	t_same options/every-abbreviation-unknown "$bad" ""
	t_same options/still-nothing-written "$(checksum "$img")" "$before"
}

# ---- item 18: options per verb ----

# The verbs (one or two words) with the options their --help lists, one
# "VERB|OPTION..." line each, from `luksvol --help` and `VERB --help`.
verb_options() {
	local word
	for word in $("$OPT_LUKSVOL" --help | awk '$1 == "luksvol" {print $2}' | sort -u); do
		"$OPT_LUKSVOL" "$word" --help | awk '
			/^usage: / { if (name) print name "|" opts; name = ""; opts = ""
				for (i = 3; i <= NF && $i ~ /^[a-z][a-z0-9-]*$/; i++) name = name (name ? " " : "") $i }
			/^ +-/ { for (i = 1; i <= NF; i++) if ($i ~ /^--/) opts = opts " " $i }
			END { if (name) print name "|" opts }'
	done
}

# Every option of the catalogue on every verb: refused "with VERB" exactly
# when the verb's help does not list it.
test_per_verb_options() {
	local line verb listed option arg bad="" names=""
	verb_options >"$DIR/verbs.txt"
	# (An empty list would check nothing: it fails here.)
	t_same per-verb/helps-found "$(grep -c . "$DIR/verbs.txt")" \
		"$("$OPT_LUKSVOL" --help | awk '$1 == "luksvol" { n = ""
			for (i = 2; i <= NF && $i ~ /^[a-z][a-z0-9-]*$/; i++) n = n " " $i; print n }' |
			sort -u | grep -c .)"
	while IFS= read -r option; do
		names="$names $option"
	done < <(sed -n '/cli_options\[\] = {/,/^};/p' "$LV_TOP/src/cli/options.c" |
		grep -oE '\{ "[a-z_-]+", [a-z_]+' | sed 's/{ "\([a-z_-]*\)", \([a-z_]*\)/\1:\2/')
	cd "$DIR" || return
	while IFS='|' read -r verb listed; do
		for option in $names; do
			arg=()
			[ "${option#*:}" = required_argument ] && arg=(x)
			option=--${option%%:*}
			case $option in --help | --header) continue ;; esac
			sampled || continue
			# shellcheck disable=SC2086
			"$OPT_LUKSVOL" $verb "$option" "${arg[@]}" >/dev/null 2>"$DIR/opt.err"
			line=
			IFS= read -r line <"$DIR/opt.err"
			if [ "$line" = "luksvol: option $option is not allowed with $verb" ]; then
				[[ " $listed " == *" $option "* ]] && bad="$bad $verb:$option(refused)"
			else
				[[ " $listed " == *" $option "* ]] || bad="$bad $verb:$option(accepted)"
			fi
		done
	done <"$DIR/verbs.txt"
	cd "$LV_TOP" || return
	[ -s "$DIR/verbs.txt" ] || bad="no verb and options found"
	t_same per-verb/refused-iff-not-listed "$bad" ""
}

# `luksvol VERB --help`: that verb's synopsis and options, not the list.
test_verb_help() {
	local out
	out=$("$LUKSVOL" dump --help)
	t_same per-verb/help-exit 0 "$?"
	t_same per-verb/help-usage-line "$(head -1 <<<"$out")" \
		"usage: luksvol dump [--json] [--volume-key [--key-file F]] DEVICE"
	t_same per-verb/help-no-other-verbs "$(grep -c 'luksvol format' <<<"$out")" 0
	t_same per-verb/help-lists-volume-key "$(grep -c -- '--volume-key  ' <<<"$out")" 1
	t_same per-verb/help-not-label "$(grep -c -- '--label' <<<"$out")" 0
}

# Options a verb cannot use, refused by luksvol and by cryptsetup's
# counterpart ("Option --X is not allowed with Y action."), image untouched.
test_refused_like_cryptsetup() {
	local img before lv cs name
	printf 'refused' >"$DIR/refused.key"
	img=$(new_image refused.img "$DIR/refused.key")
	echo '{"type":"x","keyslots":[]}' | cryptsetup token import "$img"
	before=$(checksum "$img")
	while IFS='|' read -r name lv cs; do
		# shellcheck disable=SC2086
		t_expect "refused/$name" 1 "$LUKSVOL" $lv "$img"
		t_grep "refused/$name-message" "is not allowed with" "$LV_WORK/last.err"
		# shellcheck disable=SC2086
		t_expect "refused/$name-cryptsetup" 1 cryptsetup $cs "$img"
		t_grep "refused/$name-cryptsetup-message" "is not allowed with" "$LV_WORK/last.err"
	done <<EOF
dump-label|dump --label x|luksDump --label x
dump-allow-discards|dump --allow-discards|luksDump --allow-discards
dump-pbkdf|dump --pbkdf pbkdf2|luksDump --pbkdf pbkdf2
is-luks-label|is-luks --label x|isLuks --label x
header-backup-label|header-backup --label x --header-backup-file $DIR/r.bak|luksHeaderBackup --label x --header-backup-file $DIR/r.bak
erase-uuid|erase -q --uuid 1|luksErase -q --uuid 1
add-key-label|add-key --label x --key-file $DIR/refused.key|luksAddKey --label x --key-file $DIR/refused.key
token-export-label|token export --token-id 0 --label x|token export --token-id 0 --label x
config-allow-discards|config --allow-discards|config --allow-discards
config-pbkdf|config --label y --pbkdf pbkdf2|config --label y --pbkdf pbkdf2
format-persistent|format -q --key-file $DIR/refused.key --persistent|luksFormat -q --key-file $DIR/refused.key --persistent
format-deferred|format -q --key-file $DIR/refused.key --deferred|luksFormat -q --key-file $DIR/refused.key --deferred
test-passphrase-label|open --test-passphrase --label x|open --test-passphrase --label x
change-key-label|change-key --label x|luksChangeKey --label x
remove-key-allow-discards|remove-key --allow-discards|luksRemoveKey --allow-discards
repair-label|repair --label x|repair --label x
EOF
	t_same refused/nothing-written "$(checksum "$img")" "$before"
	t_same refused/no-backup-file "$(ls "$DIR"/r.bak 2>/dev/null)" ""
}

# ---- items 9, 10: key input as cryptsetup reads it ----

test_key_input() {
	local img big mib=$((1024 * 1024))
	printf 'bounds' >"$DIR/bounds.key"
	img=$(new_image bounds.img "$DIR/bounds.key")
	# Piped stdin, one line: 8 MiB without a newline and one more byte is
	# refused, not cut to 8 MiB (cryptsetup: "Maximum keyfile size
	# exceeded.", exit 1; its byte-at-a-time read of this costs a minute,
	# so the same limit is checked on its --key-file read below).
	head -c $((8 * mib + 1)) /dev/zero | tr '\0' 'a' >"$DIR/over.txt"
	t_expect keyinput/piped-over-8mib 1 "$LUKSVOL" open --test-passphrase "$img" <"$DIR/over.txt"
	t_grep keyinput/piped-over-8mib-message 'maximum keyfile size exceeded' "$LV_WORK/last.err"
	t_expect keyinput/key-file-over-8mib 1 "$LUKSVOL" open --test-passphrase \
		--key-file "$DIR/over.txt" "$img"
	t_expect keyinput/key-file-over-8mib-cryptsetup 1 cryptsetup open --test-passphrase \
		--key-file "$DIR/over.txt" "$img"
	t_grep keyinput/key-file-over-8mib-cryptsetup-message 'Maximum keyfile size exceeded' \
		"$LV_WORK/last.err"
	# A line of exactly 8 MiB is the passphrase, whole.
	head -c $((8 * mib)) /dev/zero | tr '\0' 'b' >"$DIR/8mib.key"
	big=$(new_image big.img "$DIR/8mib.key")
	{ cat "$DIR/8mib.key"; echo; } >"$DIR/8mib.line"
	t_expect keyinput/piped-8mib-line-opens 0 "$LUKSVOL" open --test-passphrase "$big" \
		<"$DIR/8mib.line"
	# --keyfile-size above 8 MiB reads that much (cryptsetup allows up to
	# 2^32 - 1), both ways.
	head -c $((9 * mib)) /dev/urandom >"$DIR/9mib.key"
	cryptsetup luksFormat -q "${FAST[@]}" --key-file "$DIR/9mib.key" --keyfile-size $((8 * mib + 7)) "$big"
	t_expect keyinput/keyfile-size-over-8mib 0 "$LUKSVOL" open --test-passphrase \
		--key-file "$DIR/9mib.key" --keyfile-size $((8 * mib + 7)) "$big"
	t_expect keyinput/keyfile-size-over-8mib-one-less 2 "$LUKSVOL" open --test-passphrase \
		--key-file "$DIR/9mib.key" --keyfile-size $((8 * mib + 6)) "$big"
	t_expect keyinput/keyfile-size-over-8mib-format 0 "$LUKSVOL" format -q "${FAST[@]}" \
		--key-file "$DIR/9mib.key" --keyfile-size $((8 * mib + 5)) "$big"
	t_expect keyinput/keyfile-size-over-8mib-cryptsetup-opens 0 cryptsetup open --test-passphrase \
		--key-file "$DIR/9mib.key" --keyfile-size $((8 * mib + 5)) "$big"
	t_expect keyinput/keyfile-size-over-32-bits 1 "$LUKSVOL" open --test-passphrase \
		--key-file "$DIR/9mib.key" --keyfile-size 4294967296 "$big"
	t_expect keyinput/keyfile-size-over-32-bits-cryptsetup 1 cryptsetup open --test-passphrase \
		--key-file "$DIR/9mib.key" --keyfile-size 4294967296 "$big"
	rm -f "$DIR/over.txt" "$DIR/8mib.key" "$DIR/8mib.line" "$DIR/9mib.key" "$big"
	test_key_input_offsets "$img"
}

# key_case NAME WANT STDIN ARGS...: luksvol and cryptsetup, the same stdin
# (a file), the same exit code WANT.
key_case() {
	local name=$1 want=$2 input=$3
	shift 3
	t_expect "keyinput/$name" "$want" "$LUKSVOL" open --test-passphrase "$@" <"$input"
	t_expect "keyinput/$name-cryptsetup" "$want" cryptsetup open --test-passphrase "$@" <"$input"
}

test_key_input_offsets() {
	local img=$1 k=$DIR/bounds.key
	printf 'xxbounds' >"$DIR/offset.key"
	printf 'xxbounds\nrest' >"$DIR/offset.line"
	# Past the end of a key file, of --key-file - and of piped stdin: an
	# error (cryptsetup: "Cannot seek to requested keyfile offset."), not
	# an empty passphrase.
	t_expect keyinput/offset-past-end-luksvol 1 "$LUKSVOL" open --test-passphrase --key-file "$k" \
		--keyfile-offset 7 "$img"
	t_grep keyinput/offset-past-end-message 'cannot seek to requested keyfile offset' \
		"$LV_WORK/last.err"
	key_case offset-past-end 1 /dev/null --key-file "$k" --keyfile-offset 7 "$img"
	key_case offset-past-end-stdin 1 "$k" --key-file - --keyfile-offset 7 "$img"
	key_case offset-past-end-piped 1 "$k" --keyfile-offset 7 "$img"
	key_case offset-at-end-piped 1 "$k" --keyfile-offset 6 "$img"
	key_case offset-key-file 0 /dev/null --key-file "$DIR/offset.key" --keyfile-offset 2 "$img"
	key_case offset-piped-line 0 "$DIR/offset.line" --keyfile-offset 2 "$img"
	key_case size-piped 0 "$DIR/offset.line" --keyfile-offset 2 --keyfile-size 6 "$img"
	key_case size-piped-line-short 1 "$DIR/offset.line" --keyfile-size 12 "$img"
	key_case nothing-piped 1 /dev/null "$img"
	echo >"$DIR/empty.line"
	key_case empty-line-piped 2 "$DIR/empty.line" "$img"
	key_case key-file-shorter-than-size 1 /dev/null --key-file "$k" --keyfile-size 7 "$img"
}

# ---- item 12: token export's output ----

test_token_export() {
	local img out want
	printf 'export' >"$DIR/export.key"
	img=$(new_image export.img "$DIR/export.key")
	echo '{"type":"x-export","keyslots":["0"],"note":"some text"}' | cryptsetup token import "$img"
	want=$(cryptsetup token export --token-id 0 "$img" | jq -c -S .)
	out=$DIR/out
	mkdir -p "$out"
	# (t_expect would take stdout.)
	"$LUKSVOL" token export --token-id 0 "$img" >/dev/full 2>"$DIR/full.err"
	t_same export/dev-full "$?" 1
	t_grep export/dev-full-message 'standard output: cannot write' "$DIR/full.err"
	t_same export/dev-full-one-line "$(wc -l <"$DIR/full.err")" 1
	cryptsetup token export --token-id 0 "$img" >/dev/full 2>/dev/null
	t_same export/dev-full-cryptsetup "$?" 1
	(cd "$out" && "$LUKSVOL" token export --token-id 0 --json-file - "$img" >"$DIR/stdout.json")
	t_same export/dash-is-stdout "$(jq -c -S . "$DIR/stdout.json")" "$want"
	t_same export/dash-no-file "$(ls -A "$out")" ""
	t_expect export/file 0 "$LUKSVOL" token export --token-id 0 --json-file "$out/t.json" "$img"
	t_same export/file-content "$(jq -c -S . "$out/t.json")" "$want"
	t_same export/file-mode "$(stat -c %a "$out/t.json")" 600
	cryptsetup token export --token-id 0 --json-file "$out/cs.json" "$img"
	t_same export/file-mode-cryptsetup "$(stat -c %a "$out/cs.json")" 600
	# An existing file is replaced whole, never left with a stale tail.
	head -c 5000 /dev/zero | tr '\0' 'z' >"$out/t.json"
	t_expect export/replace 0 "$LUKSVOL" token export --token-id 0 --json-file "$out/t.json" "$img"
	t_same export/replaced-whole "$(jq -c -S . "$out/t.json")" "$want"
	test_export_refusals "$img" "$out"
	test_export_full_disk "$img" "$want"
}

# A symbolic link, a FIFO, a directory or a device where the file goes:
# refused, the target untouched, no blocking on the FIFO.
test_export_refusals() {
	local img=$1 out=$2
	printf 'precious' >"$out/target"
	ln -s "$out/target" "$out/link"
	mkfifo "$out/fifo"
	mkdir "$out/dir"
	t_expect export/symlink-refused 1 "$LUKSVOL" token export --token-id 0 --json-file "$out/link" "$img"
	t_same export/symlink-target-untouched "$(cat "$out/target")" precious
	t_same export/symlink-kept "$(readlink "$out/link")" "$out/target"
	t_expect export/fifo-refused 1 timeout 20 "$LUKSVOL" token export --token-id 0 \
		--json-file "$out/fifo" "$img"
	t_same export/fifo-kept "$(stat -c %F "$out/fifo")" fifo
	t_expect export/directory-refused 1 "$LUKSVOL" token export --token-id 0 --json-file "$out/dir" "$img"
	t_expect export/device-refused 1 "$LUKSVOL" token export --token-id 0 --json-file /dev/null "$img"
	t_same export/no-temporary-left "$(ls -A "$out" | grep -c '^\.')" 0
	t_expect export/missing-token 1 "$LUKSVOL" token export --token-id 5 --json-file "$out/none" "$img"
	t_same export/missing-token-no-file "$(ls "$out"/none 2>/dev/null)" ""
}

# A full filesystem (a 64 KiB tmpfs, filled): exit 1, and the file that
# was there is still whole.
test_export_full_disk() {
	local img=$1 want=$2 mnt=$DIR/full
	mkdir -p "$mnt"
	if ! mount -t tmpfs -o size=64k tmpfs "$mnt"; then
		t_fail export/full-disk-mount "cannot mount a tmpfs (needs root)"
		return
	fi
	printf 'old json' >"$mnt/t.json"
	head -c 1M /dev/zero >"$mnt/filler" 2>/dev/null
	t_expect export/full-disk 1 "$LUKSVOL" token export --token-id 0 --json-file "$mnt/t.json" "$img"
	t_same export/full-disk-old-file-whole "$(cat "$mnt/t.json")" "old json"
	t_same export/full-disk-no-temporary "$(ls -A "$mnt" | grep -c '^\.')" 0
	rm -f "$mnt/filler"
	t_expect export/after-room 0 "$LUKSVOL" token export --token-id 0 --json-file "$mnt/t.json" "$img"
	t_same export/after-room-content "$(jq -c -S . "$mnt/t.json")" "$want"
	umount "$mnt"
}

# ---- item 18: -v as cryptsetup -v; erase keeps tokens ----

# verbose_case NAME SOURCE "LUKSVOL ARGS" "CRYPTSETUP ARGS": both tools with
# -v (after luksvol's verb) on copies of SOURCE (IMG in the arguments);
# stdout must be equal.
verbose_case() {
	local name=$1 src=$2 lv cs
	# shellcheck disable=SC2206
	local args=(${3//IMG/$DIR/v-lv.img})
	cp "$src" "$DIR/v-lv.img"
	cp "$src" "$DIR/v-cs.img"
	lv=$("$LUKSVOL" "${args[0]}" -v "${args[@]:1}" 2>"$DIR/v-lv.err" </dev/null)
	# cryptsetup tries tokens first and says so; luksvol unlocks no token.
	# shellcheck disable=SC2086
	cs=$(cryptsetup -v ${4//IMG/$DIR/v-cs.img} 2>"$DIR/v-cs.err" </dev/null |
		grep -v '^No usable token is available\.$')
	t_same "verbose/$name" "$lv" "$cs"
}

test_verbose() {
	local one two k0=$DIR/v0.key k1=$DIR/v1.key backup=$DIR/v.backup
	printf 'verbose zero' >"$k0"
	printf 'verbose one' >"$k1"
	one=$(new_image verbose1.img "$k0")
	two=$(new_image verbose2.img "$k0" "$k1")
	echo '{"type":"x","keyslots":["0"]}' | cryptsetup token import "$two"
	rm -f "$backup" "$backup.cs"
	truncate -s 20M "$DIR/blank.img"
	verbose_case format "$DIR/blank.img" "format -q ${FAST[*]} --key-file $k0 IMG" \
		"luksFormat -q ${FAST[*]} --key-file $k0 IMG"
	verbose_case add-key "$one" "add-key ${FAST[*]} --key-file $k0 --new-key-file $k1 IMG" \
		"luksAddKey ${FAST[*]} --key-file $k0 IMG $k1"
	verbose_case change-key "$two" "change-key ${FAST[*]} --key-file $k1 --new-key-file $k0 IMG" \
		"luksChangeKey ${FAST[*]} --key-file $k1 IMG $k0"
	verbose_case remove-key "$two" "remove-key --key-file $k1 IMG" "luksRemoveKey --key-file $k1 IMG"
	verbose_case kill-slot "$two" "kill-slot --key-file $k0 IMG 1" "luksKillSlot --key-file $k0 IMG 1"
	verbose_case kill-slot-batch "$two" "kill-slot -q IMG 1" "luksKillSlot -q IMG 1"
	verbose_case test-passphrase "$two" "open --test-passphrase --key-file $k1 IMG" \
		"open --test-passphrase --key-file $k1 IMG"
	verbose_case config "$two" "config --label v IMG" "config --label v IMG"
	verbose_case token-remove "$two" "token remove --token-id 0 IMG" "token remove --token-id 0 IMG"
	verbose_case header-backup "$two" "header-backup --header-backup-file $backup IMG" \
		"luksHeaderBackup --header-backup-file $backup.cs IMG"
	verbose_case erase "$two" "erase -q IMG" "luksErase -q IMG"
	verbose_case is-luks-no "$DIR/v0.key" "is-luks IMG" "isLuks IMG"
	printf 'verbose wrong' >"$DIR/vwrong.key"
	verbose_case wrong-passphrase "$two" "open --test-passphrase --key-file $DIR/vwrong.key IMG" \
		"open --test-passphrase --key-file $DIR/vwrong.key IMG"
	verbose_case is-luks "$two" "is-luks IMG" "isLuks IMG"
	# Options before the verb, as cryptsetup takes them.
	t_same verbose/before-the-verb "$("$LUKSVOL" -v is-luks "$two" 2>/dev/null)" \
		"Command successful."
	test_erase_keeps_tokens "$two"
}

test_erase_keeps_tokens() {
	local src=$1
	cp "$src" "$DIR/e-lv.img"
	cp "$src" "$DIR/e-cs.img"
	t_expect erase/luksvol 0 "$LUKSVOL" erase -q "$DIR/e-lv.img"
	t_expect erase/cryptsetup 0 cryptsetup luksErase -q "$DIR/e-cs.img"
	t_same erase/tokens-as-cryptsetup \
		"$(cryptsetup luksDump --dump-json-metadata "$DIR/e-lv.img" | jq -c -S '.tokens, .keyslots')" \
		"$(cryptsetup luksDump --dump-json-metadata "$DIR/e-cs.img" | jq -c -S '.tokens, .keyslots')"
	t_same erase/token-kept "$(cryptsetup luksDump --dump-json-metadata "$DIR/e-lv.img" |
		jq -c '.tokens."0".type')" '"x"'
}

test_whole_names
test_per_verb_options
test_verb_help
test_refused_like_cryptsetup
test_key_input
test_token_export
test_verbose
