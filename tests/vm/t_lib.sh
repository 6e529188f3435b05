# t_lib.sh: helpers for the scripts that run inside the VM (busybox sh).
# Each check prints "PASS name" or "FAIL name: reason" on the console.

LUKSVOL=/bin/luksvol
KEY=/test/keys/pass.key
KEY2=/test/keys/pass2.key
WRONG=/test/keys/wrong.key
FAST="--pbkdf pbkdf2 --pbkdf-force-iterations 1000"

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

# expect NAME WANT_RC CMD...
expect() {
	local name=$1 want=$2 rc
	shift 2
	"$@" >/tmp/out 2>/tmp/err
	rc=$?
	if [ "$rc" -eq "$want" ]; then
		pass "$name"
	else
		fail "$name" "exit $rc, want $want: $(head -c 300 /tmp/err | tr '\n' ' ')"
	fi
}

same() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "'$2' != '$3'"; fi
}

# The list of mappings, one name a line ("" when none).
mappings() {
	dmsetup ls 2>/dev/null | grep -v '^No devices found' | awk '{print $1}' | sort
}

close_all() {
	for m in $(mappings); do
		dmsetup remove "$m" >/dev/null 2>&1
	done
}

# crypt_mapped NAME MAPPING [WHY]: /dev/mapper/MAPPING is a dm-crypt
# mapping (else WHY, if given, follows the failure).
crypt_mapped() {
	if [ -b "/dev/mapper/$2" ] && dmsetup table "$2" | grep -q ' crypt '; then
		pass "$1"
	else
		fail "$1" "no crypt mapping $2${3:+: $3}"
	fi
}

# The head of a volume document, up to its keys (each "    - slot: N"
# that follows is one of them).
# system_volume_head NAME: a VolumeConfig (STATE, EPHEMERAL).
system_volume_head() {
	printf 'apiVersion: v1alpha1\nkind: VolumeConfig\nname: %s\n' "$1"
	printf 'encryption:\n  provider: luks2\n  keys:\n'
}

# user_volume_head NAME [MATCH] [MIN_SIZE]: a UserVolumeConfig, on a disk
# that is not the system disk and at least 20 MiB unless told otherwise.
user_volume_head() {
	printf 'apiVersion: v1alpha1\nkind: UserVolumeConfig\nname: %s\n' "$1"
	printf 'provisioning:\n  diskSelector:\n    match: "%s"\n  minSize: %s\n' \
		"${2:-!system_disk}" "${3:-20MiB}"
	printf 'encryption:\n  provider: luks2\n  keys:\n'
}
