#!/bin/bash
# secrets.sh: secret hygiene.  Passphrases and volume keys must not reach a
# core dump (they live in mlocked MADV_DONTDUMP pages, src/base/secret.c),
# argv, or error messages; --keyfile-size must cut the key file exactly.
set -u
source "$(dirname "$0")/../lib.sh"
DIR=$LV_WORK/secrets
mkdir -p "$DIR"
FAST=(--pbkdf pbkdf2 --pbkdf-force-iterations 1000)
ARGON=(--pbkdf argon2id --pbkdf-memory 32 --pbkdf-force-iterations 4)
# The -O2 build (with -g) for gdb: ASan's shadow memory would make cores huge.
OPT_LUKSVOL=${OPT_LUKSVOL:-$LV_TOP/$BUILD/luksvol}
IMG=$DIR/secrets.img

fresh() { rm -f "$IMG"; truncate -s 20M "$IMG"; }

# random_pass: 24 random printable characters (no newline, no quote issues).
random_pass() { LC_ALL=C tr -dc 'A-Za-z0-9!#%+,.:=@^_~' </dev/urandom | head -c 24; }

# volume_key_hex KEYFILE: the volume key of $IMG as plain hex.
volume_key_hex() {
	"$LV_TOP/$BUILD/luksvol" dump --volume-key -q --key-file "$1" "$IMG" | /usr/bin/python3 -c '
import re, sys
t = sys.stdin.read()
bits = int(re.search(r"MK bits:\s*(\d+)", t).group(1))
print("".join(re.findall(r"\b[0-9a-f]{2}\b", t.split("MK dump:", 1)[1])[:bits // 8]))'
}

# count FILE NEEDLE_FILE: how many times NEEDLE_FILE's bytes occur in FILE.
count() {
	/usr/bin/python3 -c 'import sys
d = open(sys.argv[1], "rb").read(); n = open(sys.argv[2], "rb").read()
print(d.count(n) if n else -1)' "$1" "$2"
}

# Core dumps of `open --test-passphrase`, stopped right after lv_unlock has
# returned (to cmd_keyslot.c's load_and_unlock): the passphrase is not freed yet and the
# volume key has been recovered, so both secrets are live in the process.
# core.filtered is gdb's ordinary gcore (honours MADV_DONTDUMP, as the
# kernel's core dumper does); core.full has `set dump-excluded-mappings on`
# and is the positive control: the secrets are in memory at that point, and
# the search finds them.  A second stop at cli_test_passphrase's
# lv_secret_free(&volume_key) (passphrase already freed) checks the
# passphrase was wiped, not merely excluded from dumps.
test_core() {
	local kdf=$1 name=secrets/core-$1 pass vk line out
	shift
	fresh
	pass=$(random_pass)
	printf '%s' "$pass" >"$DIR/pass.key"
	if ! "$LUKSVOL" format -q "$@" --key-file "$DIR/pass.key" "$IMG"; then
		t_fail "$name/format" "format failed"
		return
	fi
	vk=$(volume_key_hex "$DIR/pass.key")
	if [ "${#vk}" -ne 128 ]; then
		t_fail "$name/volume-key" "cannot read the volume key ('$vk')"
		return
	fi
	printf '%s' "$vk" | xxd -r -p >"$DIR/vk.bin"
	printf '%s' "${vk:0:64}" | xxd -r -p >"$DIR/vk1.bin"	# XTS: two AES keys
	printf '%s' "${vk:64:64}" | xxd -r -p >"$DIR/vk2.bin"
	printf '%s' "$vk" >"$DIR/vk.hex"
	printf '%s' "$IMG" >"$DIR/control"
	line=$(awk '/^int cli_test_passphrase\(/{f=1} f && /lv_secret_free\(&volume_key\);/{print NR; exit}' \
		"$LV_TOP/src/cli/cmd_keyslot.c")
	rm -f "$DIR"/core.*
	out=$(gdb -q -nx -batch \
		-ex 'set breakpoint pending on' -ex 'set confirm off' \
		-ex 'break lv_unlock' -ex run -ex finish \
		-ex 'printf "VK=%p\n", *volume_key' \
		-ex "gcore $DIR/core.filtered" \
		-ex 'set dump-excluded-mappings on' -ex "gcore $DIR/core.full" \
		-ex 'set dump-excluded-mappings off' \
		-ex 'delete' -ex "break cmd_keyslot.c:$line" -ex continue \
		-ex "gcore $DIR/core.late" \
		-ex 'set dump-excluded-mappings on' -ex "gcore $DIR/core.latefull" \
		-ex continue \
		--args "$OPT_LUKSVOL" open --test-passphrase --key-file "$DIR/pass.key" "$IMG" 2>&1)
	if ! grep -q 'exited normally' <<<"$out" || ! grep -q '^VK=0x[1-9a-f]' <<<"$out"; then
		t_fail "$name/gdb" "open under gdb: $(tail -c 400 <<<"$out")"
		return
	fi
	local c size ok=1 what n
	for c in filtered full late latefull; do
		if [ ! -f "$DIR/core.$c" ]; then
			t_fail "$name/gcore-$c" "no core file"
			return
		fi
	done
	size=$(stat -c %s "$DIR/core.filtered")
	if [ "$size" -gt 102400 ]; then t_pass "$name/core-non-trivial"; else
		t_fail "$name/core-non-trivial" "core is $size bytes"; fi
	# Positive controls.
	n=$(count "$DIR/core.filtered" "$DIR/control")
	if [ "$n" -ge 1 ]; then t_pass "$name/control-argv-found"; else
		t_fail "$name/control-argv-found" "image path not found in the core"; fi
	for what in pass.key vk.bin; do
		n=$(count "$DIR/core.full" "$DIR/$what")
		if [ "$n" -ge 1 ]; then t_pass "$name/control-$what-in-memory"; else
			t_fail "$name/control-$what-in-memory" "$what not in the unfiltered core: the stop point is wrong"; fi
	done
	# The secrets themselves.
	for c in filtered late; do
		ok=1
		for what in pass.key vk.bin vk1.bin vk2.bin vk.hex; do
			n=$(count "$DIR/core.$c" "$DIR/$what")
			if [ "$n" -ne 0 ]; then
				ok=0
				t_fail "$name/no-secret-in-core-$c" "$what found $n times in core.$c"
			fi
		done
		[ $ok -eq 1 ] && t_pass "$name/no-secret-in-core-$c"
	done
	# After the passphrase's lv_secret_free, no copy of it anywhere (not
	# even in excluded mappings); the volume key is still held, once.
	n=$(count "$DIR/core.latefull" "$DIR/pass.key")
	if [ "$n" -eq 0 ]; then t_pass "$name/passphrase-wiped-after-free"; else
		t_fail "$name/passphrase-wiped-after-free" "passphrase found $n times in memory after its free"; fi
	n=$(count "$DIR/core.latefull" "$DIR/vk.bin")
	if [ "$n" -eq 1 ]; then t_pass "$name/volume-key-single-copy"; else
		t_fail "$name/volume-key-single-copy" "volume key found $n times in memory (want 1)"; fi
	rm -f "$DIR"/core.*
}

# Passphrases never come from argv: no option takes one as its value.
test_argv() {
	local opt bad
	fresh
	printf 'argv-test' >"$DIR/argv.key"
	"$LUKSVOL" format -q "${FAST[@]}" --key-file "$DIR/argv.key" "$IMG"
	for opt in --passphrase --password --pass --new-passphrase --key; do
		t_expect "secrets/argv-rejects$opt" 1 "$LUKSVOL" open --test-passphrase "$opt=argv-test" "$IMG"
		t_expect "secrets/argv-rejects$opt-add-key" 1 "$LUKSVOL" add-key --key-file "$DIR/argv.key" \
			"$opt" argv-test "$IMG"
	done
	# The refusal names the option, not the value after '='.
	if "$LUKSVOL" open --test-passphrase --passphrase=argv-test "$IMG" 2>&1 |
		grep -q argv-test; then
		t_fail secrets/argv-refusal-no-echo "the refusal echoes the passphrase"
	else
		t_pass secrets/argv-refusal-no-echo
	fi
	# The option table: nothing passphrase-like takes an argument.
	bad=$(grep -E '"[a-z-]*(pass|pw|secret)[a-z-]*",[[:space:]]*(required|optional)_argument' \
		"$LV_TOP"/src/cli/*.c)
	if [ -z "$bad" ]; then t_pass secrets/argv-no-passphrase-option; else
		t_fail secrets/argv-no-passphrase-option "$bad"; fi
	bad=$("$LUKSVOL" --help 2>&1 | grep -E -- '--[a-z-]*pass[a-z-]*[ =][A-Z]')
	if [ -z "$bad" ]; then t_pass secrets/argv-help; else t_fail secrets/argv-help "$bad"; fi
}

# exact_and_long_keys: a fresh volume formatted with exact.key (24 random
# bytes); long.key is the same bytes with more after them.
exact_and_long_keys() {
	local pass
	fresh
	pass=$(random_pass)
	printf '%s' "$pass" >"$DIR/exact.key"
	printf '%sTRAILING-BYTES\n' "$pass" >"$DIR/long.key"
	"$LUKSVOL" format -q "${FAST[@]}" --key-file "$DIR/exact.key" "$IMG"
}

# --keyfile-size N uses exactly the first N bytes.
test_keyfile_size() {
	exact_and_long_keys
	t_expect secrets/keyfile-size-opens 0 "$LUKSVOL" open --test-passphrase \
		--key-file "$DIR/long.key" --keyfile-size 24 "$IMG"
	t_expect secrets/keyfile-size-whole-file-wrong 2 "$LUKSVOL" open --test-passphrase \
		--key-file "$DIR/long.key" "$IMG"
	t_expect secrets/keyfile-size-one-short-wrong 2 "$LUKSVOL" open --test-passphrase \
		--key-file "$DIR/long.key" --keyfile-size 23 "$IMG"
	fresh
	"$LUKSVOL" format -q "${FAST[@]}" --key-file "$DIR/long.key" --keyfile-size 24 "$IMG"
	t_expect secrets/keyfile-size-format-cryptsetup 0 cryptsetup open --test-passphrase \
		--key-file "$DIR/exact.key" "$IMG"
}

# The key file is read with a bound: 8 MiB, cryptsetup's default, or
# --keyfile-size (which may be larger, as in cryptsetup); an endless one is
# refused, not read forever.
test_keyfile_bounds() {
	exact_and_long_keys
	head -c $((8 * 1024 * 1024 + 1)) /dev/urandom >"$DIR/huge.key"
	t_expect secrets/keyfile-over-8mib-refused 1 "$LUKSVOL" open --test-passphrase \
		--key-file "$DIR/huge.key" "$IMG"
	grep -q 'exceeds 8388608 bytes' "$LV_WORK/last.err" && t_pass secrets/keyfile-over-8mib-message ||
		t_fail secrets/keyfile-over-8mib-message "$(head -c 300 "$LV_WORK/last.err")"
	t_expect secrets/keyfile-endless-refused 1 timeout 60 "$LUKSVOL" open --test-passphrase \
		--key-file /dev/zero "$IMG"
	# --keyfile-size may exceed 8 MiB, as in cryptsetup: all of it is read
	# (the wrong passphrase here: exit 2 from both).
	t_expect secrets/keyfile-size-over-8mib-read 2 "$LUKSVOL" open --test-passphrase \
		--key-file "$DIR/huge.key" --keyfile-size $((8 * 1024 * 1024 + 1)) "$IMG"
	t_expect secrets/keyfile-size-over-8mib-cryptsetup 2 cryptsetup open --test-passphrase \
		--key-file "$DIR/huge.key" --keyfile-size $((8 * 1024 * 1024 + 1)) "$IMG"
	# --new-keyfile-size cuts the new key file exactly.
	t_expect secrets/new-keyfile-size-add 0 "$LUKSVOL" add-key "${FAST[@]}" --key-file "$DIR/exact.key" \
		--new-key-file "$DIR/long.key" --new-keyfile-size 24 "$IMG"
	t_expect secrets/new-keyfile-size-cryptsetup 0 cryptsetup open --test-passphrase --key-slot 1 \
		--key-file "$DIR/exact.key" "$IMG"
	rm -f "$DIR/huge.key"
}

# no_leak NAME FILE...: none of the given passphrase files' contents appear
# in the last command's stdout or stderr.
no_leak() {
	local name=$1 f s
	shift
	for f in "$@"; do
		s=$(cat "$f")
		if grep -q -a -F -- "$s" "$LV_WORK/last.out" "$LV_WORK/last.err"; then
			t_fail "$name-no-leak" "passphrase from $(basename "$f") printed"
			return
		fi
	done
	t_pass "$name-no-leak"
}

test_error_messages() {
	fresh
	random_pass >"$DIR/good.key"
	random_pass >"$DIR/wrong.key"
	random_pass >"$DIR/new.key"
	random_pass >"$DIR/fmt.key"
	"$LUKSVOL" format -q "${FAST[@]}" --key-file "$DIR/good.key" "$IMG"
	t_expect secrets/err-open-wrong 2 "$LUKSVOL" open --test-passphrase -v --key-file "$DIR/wrong.key" "$IMG"
	no_leak secrets/err-open-wrong "$DIR/wrong.key" "$DIR/good.key"
	t_expect secrets/err-add-key-wrong-old 2 "$LUKSVOL" add-key -v "${FAST[@]}" --key-file "$DIR/wrong.key" \
		--new-key-file "$DIR/new.key" "$IMG"
	no_leak secrets/err-add-key-wrong-old "$DIR/wrong.key" "$DIR/new.key" "$DIR/good.key"
	t_expect secrets/err-change-key-wrong-old 2 "$LUKSVOL" change-key "${FAST[@]}" --key-file "$DIR/wrong.key" \
		--new-key-file "$DIR/new.key" "$IMG"
	no_leak secrets/err-change-key-wrong-old "$DIR/wrong.key" "$DIR/new.key"
	t_expect secrets/err-dump-vk-wrong 2 "$LUKSVOL" dump --volume-key -q --key-file "$DIR/wrong.key" "$IMG"
	no_leak secrets/err-dump-vk-wrong "$DIR/wrong.key" "$DIR/good.key"
	t_expect secrets/err-format-bad-cipher 1 "$LUKSVOL" format -q "${FAST[@]}" --cipher nosuch-cipher-mode \
		--key-file "$DIR/fmt.key" "$IMG"
	no_leak secrets/err-format-bad-cipher "$DIR/fmt.key"
	t_expect secrets/err-format-bad-key-size 1 "$LUKSVOL" format -q "${FAST[@]}" --key-size 7 \
		--key-file "$DIR/fmt.key" "$IMG"
	no_leak secrets/err-format-bad-key-size "$DIR/fmt.key"
	t_expect secrets/err-short-keyfile 1 "$LUKSVOL" open --test-passphrase --key-file "$DIR/wrong.key" \
		--keyfile-size 100 "$IMG"
	no_leak secrets/err-short-keyfile "$DIR/wrong.key"
	# The refused format changed nothing.
	t_expect secrets/err-format-left-volume 0 "$LUKSVOL" open --test-passphrase --key-file "$DIR/good.key" "$IMG"
}

if command -v gdb >/dev/null; then
	test_core pbkdf2 "${FAST[@]}"
	test_core argon2id "${ARGON[@]}"
else
	t_fail secrets/core "gdb not installed"
fi
test_argv
test_keyfile_size
test_keyfile_bounds
test_error_messages
