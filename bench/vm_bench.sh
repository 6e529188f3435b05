# vm_bench.sh: the VM figures of `make bench`, run by the test initramfs's
# /init as /test/run.sh (busybox sh).  bench.py reads the console: one line
#   BENCH FIGURE ROUND VARIANT NANOSECONDS EXIT_CODE
# per timed run, timed by /bin/lvtime (bench/lvtime.c, static).
. /test/bench.conf
KEY=/test/keys/pass.key
FAST="--pbkdf pbkdf2 --pbkdf-force-iterations 1000"

# timed FIGURE ROUND VARIANT CMD... [:: CMD...]
timed() {
	local figure=$1 round=$2 variant=$3 ns rc
	shift 3
	ns=$(/bin/lvtime "$@")
	rc=$?
	echo "BENCH $figure $round $variant ${ns:-0} $rc"
}

# in_order ROUND WORDS...: the words, reversed on odd rounds.
in_order() {
	local round=$1
	shift
	if [ $((round % 2)) -eq 1 ]; then
		echo "$@" | tr ' ' '\n' | sed -n '1!G;h;$p'
	else
		echo "$@"
	fi
}

# cycle ROUND VARIANT PROGRAM: one open + close of /dev/vda by PROGRAM.
cycle() {
	case $3 in
	cryptsetup) timed openclose "$1" "$2" cryptsetup open --key-file $KEY /dev/vda bench \
		:: cryptsetup close bench ;;
	link-floor) timed openclose "$1" "$2" /bin/link-floor :: /bin/link-floor ;;
	*) timed openclose "$1" "$2" "$3" open --key-file $KEY /dev/vda bench :: "$3" close bench ;;
	esac
}

# Open/close: a pbkdf2-1000 keyslot, so that the KDF does not dominate.
# Round 0 is the warm-up; the order alternates from one round to the next.
# link-floor: two starts of a program that does nothing but link
# build/luksvol's shared libraries, the floor of a dynamic luksvol cycle.
bench_openclose() {
	local i=0 variants
	cryptsetup luksFormat -q --type luks2 $FAST --key-file $KEY /dev/vda || {
		echo "BENCH-ERROR openclose cryptsetup luksFormat failed"
		return
	}
	variants="luksvol cryptsetup link-floor"
	[ -x /bin/luksvol-static ] && variants="$variants luksvol-static"
	while [ $i -le "$OPENCLOSE_ROUNDS" ]; do
		for v in $(in_order $i $variants); do
			case $v in
			luksvol) cycle $i luksvol /bin/luksvol ;;
			luksvol-static) cycle $i luksvol-static /bin/luksvol-static ;;
			cryptsetup) cycle $i cryptsetup cryptsetup ;;
			link-floor) cycle $i link-floor link-floor ;;
			esac
		done
		i=$((i + 1))
	done
}

# The kernel backend: unlock (open --test-passphrase) of a PBKDF2 keyslot
# by the static CRYPTO=kernel build (HMAC over AF_ALG) and by the OpenSSL
# build, with cryptsetup for reference.
bench_kernel() {
	local i=0 img=/tmp/kernel.img
	if [ ! -x /bin/luksvol-static ]; then
		echo "BENCH-ERROR kernel no /bin/luksvol-static in the VM"
		return
	fi
	truncate -s 20M $img
	cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations "$KERNEL_ITERATIONS" \
		--key-file $KEY $img || {
		echo "BENCH-ERROR kernel cryptsetup luksFormat failed"
		return
	}
	while [ $i -le "$KERNEL_ROUNDS" ]; do
		for v in $(in_order $i kernel openssl cryptsetup); do
			case $v in
			kernel) timed kernel $i kernel /bin/luksvol-static open --test-passphrase --key-file $KEY $img ;;
			openssl) timed kernel $i openssl /bin/luksvol open --test-passphrase --key-file $KEY $img ;;
			cryptsetup) timed kernel $i cryptsetup cryptsetup open --test-passphrase --key-file $KEY $img ;;
			esac
		done
		i=$((i + 1))
	done
}

echo "BENCH-INFO uname $(uname -r) cpus $(grep -c ^processor /proc/cpuinfo)"
echo "BENCH-INFO loadavg-before $(cat /proc/loadavg)"
bench_openclose
bench_kernel
echo "BENCH-INFO loadavg-after $(cat /proc/loadavg)"
