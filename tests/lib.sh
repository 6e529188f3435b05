# lib.sh: helpers for luksvol's shell test suites (sourced, not run).
# Results go to $LV_RESULTS as "PASS name" / "FAIL name: reason" lines,
# each in one write(): suites run side by side append to the same file
# (O_APPEND keeps whole writes whole; a line written in parts can be cut by
# another's, which tests/run.sh then reports as malformed).

: "${LV_TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${BUILD:=build}"
: "${LV_RESULTS:=$LV_TOP/$BUILD/test-results.txt}"
: "${LV_WORK:=$LV_TOP/$BUILD/testwork}"
LUKSVOL=${LUKSVOL:-$LV_TOP/$BUILD/asan/luksvol}
SHARED=${SHARED:-$LV_TOP/../shared}
TESTDATA=$SHARED/testdata/cryptsetup
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

t_pass() { echo "PASS $1" >>"$LV_RESULTS"; }
t_fail() {
	echo "FAIL $1: $2" >>"$LV_RESULTS"
	echo "FAIL $1: $2" >&2
}

# t_expect NAME WANT_RC CMD...: run CMD, pass when its exit code is WANT_RC.
# A signal death (rc >= 128) always fails, whatever WANT_RC is.
t_expect() {
	local name=$1 want=$2 rc
	shift 2
	"$@" >"$LV_WORK/last.out" 2>"$LV_WORK/last.err"
	rc=$?
	# Every command's output stays in one log (tests/reliability/zz_log_secrets.sh).
	cat "$LV_WORK/last.out" "$LV_WORK/last.err" >>"$LV_WORK/commands.log" 2>/dev/null
	if [ "$rc" -ge 128 ]; then
		t_fail "$name" "killed by signal $((rc - 128)): $(head -c 300 "$LV_WORK/last.err")"
	elif [ "$rc" -eq "$want" ]; then
		t_pass "$name"
	else
		t_fail "$name" "exit $rc, want $want: $(head -c 300 "$LV_WORK/last.err")"
	fi
}

# t_same NAME A B: pass when strings A and B are equal.
t_same() {
	if [ "$2" = "$3" ]; then t_pass "$1"; else t_fail "$1" "'$2' != '$3'"; fi
}

# t_same_luksdump NAME IMG: `luksvol dump IMG` (without its own "Header
# copy:" line) is, byte for byte, what `cryptsetup luksDump IMG` prints.
t_same_luksdump() {
	local name=$1 img=$2 delta
	"$LUKSVOL" dump "$img" 2>"$LV_WORK/dump.err" | grep -v '^Header copy:' >"$LV_WORK/dump.ours"
	cryptsetup luksDump "$img" >"$LV_WORK/dump.theirs" 2>/dev/null
	if [ ! -s "$LV_WORK/dump.theirs" ]; then
		t_fail "$name" "cryptsetup cannot dump $img"
	elif delta=$(diff "$LV_WORK/dump.ours" "$LV_WORK/dump.theirs"); then
		t_pass "$name"
	else
		t_fail "$name" "differs from luksDump: $(echo "$delta" | head -6 | tr '\n' ' ') $(head -c 200 "$LV_WORK/dump.err")"
	fi
}

# t_token_reimported NAME IMG ID: token ID of IMG (a real tool's), exported
# by cryptsetup, is imported by `luksvol token import` into a copy of IMG
# without it, and that copy dumps as cryptsetup dumps it.
t_token_reimported() {
	local name=$1 img=$2 id=$3 copy=$LV_WORK/token-copy.img
	cryptsetup token export --token-id "$id" "$img" >"$LV_WORK/token.json"
	cp "$img" "$copy"
	cryptsetup token remove --token-id "$id" "$copy"
	t_expect "$name/imported" 0 "$LUKSVOL" token import --token-id "$id" \
		--json-file "$LV_WORK/token.json" "$copy"
	t_same "$name/same-json" "$(cryptsetup token export --token-id "$id" "$copy")" \
		"$(cat "$LV_WORK/token.json")"
	t_same_luksdump "$name/dump" "$copy"
	rm -f "$copy"
}

# t_token_refused NAME IMG JSON FIELD: `luksvol token import` of JSON exits
# 1 with a message naming FIELD, and IMG keeps every byte.
t_token_refused() {
	local name=$1 img=$2 json=$3 field=$4 before
	before=$(sha256sum <"$img")
	printf '%s' "$json" >"$LV_WORK/bad-token.json"
	t_expect "$name/refused" 1 "$LUKSVOL" token import --json-file "$LV_WORK/bad-token.json" "$img"
	if grep -qF -- "$field" "$LV_WORK/last.err"; then
		t_pass "$name/names-field"
	else
		t_fail "$name/names-field" "no '$field' in: $(head -c 200 "$LV_WORK/last.err")"
	fi
	t_same "$name/unchanged" "$(sha256sum <"$img")" "$before"
}

# unpack_xz NAME: decompress $TESTDATA/NAME.xz into $LV_WORK and print the path.
unpack_xz() {
	local out=$LV_WORK/data/${1%.xz}
	mkdir -p "$LV_WORK/data"
	[ -f "$out" ] || xz -dc "$TESTDATA/$1" >"$out"
	echo "$out"
}

# unpack_tar NAME: untar $TESTDATA/NAME into $LV_WORK/data/<NAME without .tar.xz>.
unpack_tar() {
	local dir=$LV_WORK/data/${1%.tar.xz}
	if [ ! -d "$dir" ]; then
		mkdir -p "$dir"
		tar -xJf "$TESTDATA/$1" -C "$dir"
	fi
	echo "$dir"
}

# cs_image IMG SIZE KEYFILE [luksFormat options]: a fresh image of SIZE
# holding a LUKS2 header cryptsetup made (pbkdf2, 1000 iterations) for the
# passphrase in KEYFILE.  Fails (non-zero) when cryptsetup does.
cs_image() {
	local img=$1 size=$2 key=$3
	shift 3
	rm -f "$img"
	truncate -s "$size" "$img" &&
		cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
			--key-file "$key" "$@" "$img" >/dev/null 2>&1
}

# t_said NAME LINE...: each LINE is a whole line of the last command's
# stdout.  t_said_like NAME PATTERN...: each PATTERN (grep -E) matches one.
t_said() { said_with -qxF "$@"; }
t_said_like() { said_with -qE "$@"; }
said_with() {
	local flags=$1 name=$2 line
	shift 2
	for line in "$@"; do
		if ! grep $flags -- "$line" "$LV_WORK/last.out"; then
			t_fail "$name" "no line '$line' in: $(head -c 600 "$LV_WORK/last.out")"
			return
		fi
	done
	t_pass "$name"
}

# pristine_fixture NAME SIZE PASSPHRASE NEW_PASSPHRASE: a suite's work
# directory DIR ($LV_WORK/NAME), FAST (pbkdf2, 1000 iterations), the key
# files KEY and NEW holding the two passphrases, and PRISTINE, an image of
# SIZE that cryptsetup formatted for KEY.
pristine_fixture() {
	DIR=$LV_WORK/$1
	mkdir -p "$DIR"
	FAST=(--pbkdf pbkdf2 --pbkdf-force-iterations 1000)
	KEY=$DIR/pass.key
	NEW=$DIR/new.key
	printf '%s' "$3" >"$KEY"
	printf '%s' "$4" >"$NEW"
	PRISTINE=$DIR/pristine.img
	cs_image "$PRISTINE" "$2" "$KEY"
}

# data_volume_config FILE KEYS...: FILE made a UserVolumeConfig "data" (the
# system disk, 20 MiB at least) whose encryption keys are KEYS, YAML lines;
# prints FILE.
data_volume_config() {
	local file=$1
	shift
	{
		printf 'apiVersion: v1alpha1\nkind: UserVolumeConfig\nname: data\n'
		printf 'provisioning:\n  diskSelector:\n    match: system_disk\n  minSize: 20MiB\n'
		printf 'encryption:\n  provider: luks2\n  keys:\n'
		printf '%s\n' "$@"
	} >"$file"
	echo "$file"
}
