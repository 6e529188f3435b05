# t_kernel.sh: the kernel crypto backend (AF_ALG) and the minimal static
# build on a kernel that has AF_ALG skciphers (issue 7): the crypto unit
# tests on the kernel backend, PBKDF2's system calls, volumes each tool
# formats and the other opens, Adiantum both ways, and the core verbs of
# the static binary cross-checked with cryptsetup; first, the same kernel
# with its AF_ALG modules unloaded (the errors say what is missing).
#
# /bin/luksvol-static is `make static` (CRYPTO=kernel); /bin/test_crypto is
# tests/unit/test_crypto.c and /bin/pbkdf2_calls tests/vm/pbkdf2_calls.c,
# linked against that build's library.

STATIC=/bin/luksvol-static
KAT=/bin/test_crypto
PBKDF2=/bin/pbkdf2_calls

# What the known answers and volumes below need beyond /init's modules.
kernel_modules() {
	for module in sha1_generic sha512_generic sha3_generic rmd160 wp512 camellia_generic \
		camellia_x86_64 cbc ecb xts essiv hmac; do
		modprobe "$module" 2>/dev/null
	done
}

kernel_have_binaries() {
	if [ -x $STATIC ] && [ -x $KAT ]; then
		pass kernel/binaries-present
		return 0
	fi
	fail kernel/binaries-present "missing $STATIC or $KAT (make static)"
	return 1
}

# test_crypto.c's TAP lines as kernel/kat/<test>; LV_TEST_KERNEL_CRYPTO
# turns "Adiantum unsupported" into a failure here.
kernel_kat() {
	local line rc count=0
	LV_TEST_KERNEL_CRYPTO=1 CMOCKA_MESSAGE_OUTPUT=TAP $KAT >/tmp/kat.tap 2>&1
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*)
			pass "kernel/kat/${line#ok * - }"
			count=$((count + 1))
			;;
		"not ok "*)
			fail "kernel/kat/${line#not ok * - }" "$(grep -v '^ok' /tmp/kat.tap | head -c 400 | tr '\n' ' ')"
			count=$((count + 1))
			;;
		esac
	done </tmp/kat.tap
	if [ $count -gt 0 ] && { [ $rc -eq 0 ] || grep -q '^not ok' /tmp/kat.tap; }; then
		pass kernel/kat-ran
	else
		fail kernel/kat-ran "exit $rc after $count tests: $(tail -c 300 /tmp/kat.tap | tr '\n' ' ')"
	fi
	if grep -q 'checked the unsupported error only' /tmp/kat.tap; then
		fail kernel/kat-adiantum-ran "the KAT saw no Adiantum in this kernel"
	else
		pass kernel/kat-adiantum-ran
	fi
}

# Every system call of one PBKDF2-HMAC-HASH of ITERATIONS iterations and
# a 64-byte key (tests/vm/pbkdf2_calls.c).
syscalls_for() {
	strace -f -qq -c -o /tmp/trace $PBKDF2 "$1" "$2" || return 1
	awk '$NF == "total" { print $4 }' /tmp/trace
}

# PBKDF2 over AF_ALG: the HMAC transform is keyed once, each iteration is
# one send and one recv per digest block (64 bytes are one SHA-512 block).
# strace is slow under emulation: one hash, small counts; the difference
# is exact anyway.
kernel_pbkdf2_syscalls() {
	local low high delta hundredths hash blocks spec
	if ! command -v strace >/dev/null 2>&1 || [ ! -x $PBKDF2 ]; then
		fail kernel/pbkdf2-syscalls "no strace or $PBKDF2 in the VM"
		return
	fi
	for spec in sha512:1; do
		hash=${spec%:*}
		blocks=${spec#*:}
		low=$(syscalls_for $hash 100)
		high=$(syscalls_for $hash 600)
		if [ -z "$low" ] || [ -z "$high" ]; then
			fail kernel/pbkdf2-syscalls-$hash "pbkdf2_calls or strace failed"
			continue
		fi
		delta=$((high - low))
		hundredths=$((delta * 100 / (500 * blocks)))
		echo "kernel: PBKDF2-HMAC-$hash over AF_ALG: $((hundredths / 100)).$((hundredths % 100 / 10))$((hundredths % 10)) system calls per iteration and block ($delta for 500 more iterations x $blocks blocks; $low in all for 100)"
		if [ $delta -gt 0 ] && [ $delta -le $((2 * 500 * blocks)) ]; then
			pass kernel/pbkdf2-two-syscalls-per-iteration-$hash
		else
			fail kernel/pbkdf2-two-syscalls-per-iteration-$hash "$delta calls for 500 iterations x $blocks blocks"
		fi
	done
}

# luksvol-static formats, cryptsetup unlocks; and the other way round.
kernel_format_unlock() {
	local cipher bits hash name spec
	# The default (aes-xts-plain64, 512 bits, sha256) is static-core's.
	for spec in aes-xts-plain64:256:sha1 aes-cbc-essiv:sha256:256:sha512 \
		aes-xts-plain64be:512:sha256; do
		hash=${spec##*:}
		bits=${spec%:*}
		bits=${bits##*:}
		cipher=${spec%:*:*}
		name=$(echo "$cipher-$bits-$hash" | tr ':' '_')
		expect kernel/format/$name 0 $STATIC format -q $FAST --cipher $cipher --key-size $bits \
			--hash $hash --key-file $KEY /dev/vda
		expect kernel/format/$name/cryptsetup-unlocks 0 cryptsetup open --test-passphrase \
			--key-file $KEY /dev/vda
		expect kernel/format/$name/cryptsetup-refuses-wrong 2 cryptsetup open --test-passphrase \
			--key-file $WRONG /dev/vda

		cryptsetup luksFormat -q $FAST --cipher $cipher --key-size $bits --hash $hash \
			--key-file $KEY /dev/vda
		expect kernel/cryptsetup-format/$name/static-unlocks 0 $STATIC open --test-passphrase \
			--key-file $KEY /dev/vda
		expect kernel/cryptsetup-format/$name/static-refuses-wrong 2 $STATIC open \
			--test-passphrase --key-file $WRONG /dev/vda
	done
	# Argon2id comes from libargon2 in either backend.
	expect kernel/format/argon2id 0 $STATIC format -q --pbkdf argon2id --pbkdf-force-iterations 4 \
		--pbkdf-memory 32768 --pbkdf-parallel 2 --key-file $KEY /dev/vda
	expect kernel/format/argon2id/cryptsetup-unlocks 0 cryptsetup open --test-passphrase \
		--key-file $KEY /dev/vda
}

# adiantum_case NAME FORMATTER OPENER STREAM [format options]: FORMATTER
# formats and writes through its mapping, OPENER reads the data back.
# FORMATTER and OPENER are luksvol binaries or "cryptsetup".
adiantum_case() {
	local name=$1 formatter=$2 opener=$3 cipher=xchacha$4,aes-adiantum-plain64 got table
	shift 4
	close_all
	if [ "$formatter" = cryptsetup ]; then
		cryptsetup luksFormat -q $FAST --cipher $cipher --key-size 256 "$@" --key-file $KEY /dev/vda
		expect adiantum/$name/format 0 cryptsetup open --key-file $KEY /dev/vda adw
	else
		expect adiantum/$name/format 0 $formatter format -q $FAST --cipher $cipher --key-size 256 \
			"$@" --key-file $KEY /dev/vda
		expect adiantum/$name/open-to-write 0 $formatter open --key-file $KEY /dev/vda adw
		table=$(dmsetup table adw)
		case $table in
		*" $cipher "*) pass adiantum/$name/table-cipher ;;
		*) fail adiantum/$name/table-cipher "$table" ;;
		esac
	fi
	dd if=/tmp/adiantum-data of=/dev/mapper/adw bs=1M conv=fsync 2>/dev/null
	dmsetup remove adw
	if cryptsetup luksDump /dev/vda | grep -q "Cipher: *$cipher"; then
		pass adiantum/$name/cryptsetup-sees-cipher
	else
		fail adiantum/$name/cryptsetup-sees-cipher "$(cryptsetup luksDump /dev/vda | grep -i cipher)"
	fi
	if [ "$opener" = cryptsetup ]; then
		expect adiantum/$name/open-to-read 0 cryptsetup open --key-file $KEY /dev/vda adr
	else
		expect adiantum/$name/open-to-read 0 $opener open --key-file $KEY /dev/vda adr
	fi
	got=$(head -c 4194304 /dev/mapper/adr 2>/dev/null | sha256sum | cut -d' ' -f1)
	same adiantum/$name/reads-what-was-written "$got" "$adiantum_sum"
	dmsetup remove adr 2>/dev/null
	expect adiantum/$name/wrong-passphrase 2 $opener open --test-passphrase --key-file $WRONG /dev/vda
}

# Talos's ciphers: the OpenSSL build (falling back to the kernel) and the
# kernel build, each against cryptsetup, both directions.
kernel_adiantum() {
	dd if=/dev/urandom of=/tmp/adiantum-data bs=1M count=4 2>/dev/null
	adiantum_sum=$(sha256sum </tmp/adiantum-data | cut -d' ' -f1)
	adiantum_case openssl-12-to-cryptsetup $LUKSVOL cryptsetup 12
	adiantum_case cryptsetup-12-to-openssl cryptsetup $LUKSVOL 12
	adiantum_case static-20-to-cryptsetup $STATIC cryptsetup 20 --sector-size 4096
	adiantum_case cryptsetup-20-to-static cryptsetup $STATIC 20 --sector-size 4096
	close_all
}

# The core verbs with the static binary, cryptsetup as the oracle.
kernel_static_core() {
	local uuid sum got
	dd if=/dev/urandom of=/tmp/core-data bs=1M count=8 2>/dev/null
	sum=$(sha256sum </tmp/core-data | cut -d' ' -f1)

	expect static-core/format 0 $STATIC format -q $FAST --key-file $KEY /dev/vda
	expect static-core/cryptsetup-dump 0 cryptsetup luksDump /dev/vda
	uuid=$(cryptsetup luksUUID /dev/vda)
	expect static-core/dump 0 $STATIC dump /dev/vda
	if grep -q "$uuid" /tmp/out; then pass static-core/dump-uuid; else fail static-core/dump-uuid "no $uuid in the dump"; fi
	expect static-core/is-luks 0 $STATIC is-luks /dev/vda

	expect static-core/open 0 $STATIC open --key-file $KEY /dev/vda score
	dd if=/tmp/core-data of=/dev/mapper/score bs=1M conv=fsync 2>/dev/null
	expect static-core/status 0 $STATIC status score
	expect static-core/close 0 $STATIC close score
	same static-core/closed "$(mappings)" ""
	cryptsetup open --key-file $KEY /dev/vda ccore
	got=$(head -c 8388608 /dev/mapper/ccore | sha256sum | cut -d' ' -f1)
	same static-core/cryptsetup-reads-static-writes "$got" "$sum"
	expect static-core/status-of-cryptsetup-mapping 0 $STATIC status ccore
	expect static-core/close-cryptsetup-mapping 0 $STATIC close ccore

	expect static-core/add-key 0 $STATIC add-key $FAST --key-file $KEY --new-key-file $KEY2 --key-slot 3 /dev/vda
	expect static-core/cryptsetup-unlocks-added-slot 0 cryptsetup open --test-passphrase --key-slot 3 \
		--key-file $KEY2 /dev/vda
	expect static-core/kill-slot 0 $STATIC kill-slot -q --key-file $KEY /dev/vda 3
	if cryptsetup luksDump /dev/vda | grep -q '^  3: luks2'; then
		fail static-core/cryptsetup-sees-slot-killed "slot 3 still listed"
	else
		pass static-core/cryptsetup-sees-slot-killed
	fi
	expect static-core/killed-key-refused 2 cryptsetup open --test-passphrase --key-file $KEY2 /dev/vda

	echo -n "second vm passphrase" | cryptsetup luksAddKey -q $FAST --key-file $KEY /dev/vda -
	expect static-core/static-unlocks-cryptsetup-slot 0 $STATIC open --test-passphrase --key-file $KEY2 /dev/vda
	expect static-core/remove-key 0 $STATIC remove-key -q --key-file $KEY2 /dev/vda
	expect static-core/removed-key-refused 2 cryptsetup open --test-passphrase --key-file $KEY2 /dev/vda
	expect static-core/change-key 0 $STATIC change-key $FAST --key-file $KEY --new-key-file $KEY2 /dev/vda
	expect static-core/cryptsetup-unlocks-changed-key 0 cryptsetup open --test-passphrase --key-file $KEY2 /dev/vda
	expect static-core/old-key-refused 2 cryptsetup open --test-passphrase --key-file $KEY /dev/vda

	cryptsetup open --key-file $KEY2 /dev/vda ccore
	got=$(head -c 8388608 /dev/mapper/ccore | sha256sum | cut -d' ' -f1)
	cryptsetup close ccore
	same static-core/data-survives-key-changes "$got" "$sum"
}

# A key file longer than net.core.optmem_max (20 KiB on this kernel) as a
# PBKDF2 passphrase: the kernel refuses so long an HMAC key, so luksvol
# hashes it first, as HMAC does (kernel_afalg.c hmac_open).
kernel_long_keyfile() {
	local long=/tmp/long.key
	head -c 65536 /dev/urandom >$long
	same kernel/long-keyfile/above-optmem_max \
		"$(($(cat /proc/sys/net/core/optmem_max) < 65536))" 1
	for hash in sha256 sha512; do
		expect kernel/long-keyfile/$hash/format 0 $STATIC format -q $FAST --hash $hash \
			--key-file $long /dev/vda
		expect kernel/long-keyfile/$hash/cryptsetup-unlocks 0 cryptsetup open \
			--test-passphrase --key-file $long /dev/vda
		cryptsetup luksFormat -q $FAST --hash $hash --key-file $long /dev/vda
		expect kernel/long-keyfile/$hash/static-unlocks-cryptsetups 0 $STATIC open \
			--test-passphrase --key-file $long /dev/vda
		expect kernel/long-keyfile/$hash/static-refuses-wrong 2 $STATIC open \
			--test-passphrase --key-file $KEY /dev/vda
	done
	rm -f $long
}

# A kernel without the crypto user API (issue 13 item 19): the AF_ALG
# modules unloaded and the kernel's module autoloading pointed at
# /bin/false, so socket(AF_ALG) fails with EAFNOSUPPORT as on a kernel
# built without CONFIG_CRYPTO_USER_API.  Then af_alg alone: hash sockets
# are missing (CONFIG_CRYPTO_USER_API_HASH).  The static build says which.
algif_loaded() {
	awk '$1 == "af_alg" || $1 ~ /^algif_/ {print $1}' /proc/modules
}

no_af_alg_expect() {
	local name=$1 want=$2
	shift 2
	expect "$name" 1 $STATIC dump "$@"
	if grep -q "$want" /tmp/err; then
		pass "$name-message"
	else
		fail "$name-message" "$(head -c 300 /tmp/err | tr '\n' ' ')"
	fi
}

kernel_no_af_alg() {
	local img=/tmp/no-af-alg.img autoload module
	truncate -s 20M $img
	cryptsetup luksFormat -q --type luks2 $FAST --key-file $KEY $img >/dev/null 2>&1
	expect kernel/no-af-alg/before 0 $STATIC dump $img
	autoload=$(cat /proc/sys/kernel/modprobe)
	echo /bin/false >/proc/sys/kernel/modprobe
	for module in $(algif_loaded | grep -v '^af_alg$') af_alg; do
		rmmod "$module" 2>/dev/null
	done
	same kernel/no-af-alg/unloaded "$(algif_loaded | tr '\n' ' ')" ""
	no_af_alg_expect kernel/no-af-alg/dump \
		"the kernel lacks the crypto user API (AF_ALG); it needs CONFIG_CRYPTO_USER_API_HASH and CONFIG_CRYPTO_USER_API_SKCIPHER" $img
	modprobe af_alg
	no_af_alg_expect kernel/no-af-alg/no-algif-hash \
		"the kernel gives no such hash through AF_ALG; it needs CONFIG_CRYPTO_USER_API_HASH (module algif_hash)" $img
	echo "$autoload" >/proc/sys/kernel/modprobe
	modprobe algif_hash
	modprobe algif_skcipher
	expect kernel/no-af-alg/after 0 $STATIC dump $img
	rm -f $img
}

# timed PHASE: runs the function PHASE and prints how long it took.
timed() {
	local start=$(date +%s)
	"$1"
	close_all
	echo "kernel: $1 took $(($(date +%s) - start)) s"
}

close_all
kernel_modules
if kernel_have_binaries; then
	timed kernel_no_af_alg
	timed kernel_kat
	timed kernel_pbkdf2_syscalls
	timed kernel_format_unlock
	timed kernel_long_keyfile
	timed kernel_adiantum
	timed kernel_static_core
fi
