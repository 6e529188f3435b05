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
