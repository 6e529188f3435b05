# lib.sh: helpers for luksvol's shell test suites (sourced, not run).
# Results go to $LV_RESULTS as "PASS name" / "FAIL name: reason" lines.

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
