#!/bin/bash
# kernel_crypto.sh: Talos's Adiantum ciphers on this host, where they come
# from the kernel's crypto API even in the OpenSSL build.  A kernel with
# AF_ALG and Adiantum formats a volume cryptsetup opens; a kernel without
# them gets a clear "unsupported" error (exit 1) and an untouched image.
# (The VM suite, tests/vm/t_kernel.sh, always has them.)  Last, on any
# kernel: what a kernel without AF_ALG at all gets (no_af_alg.c).
set -u
source "$(dirname "$0")/../lib.sh"
DIR=$LV_WORK/kernel_crypto
mkdir -p "$DIR"
printf '%s' 'adiantum passphrase' >"$DIR/pass.key"

# 0 when this kernel gives AF_ALG adiantum(STREAM,aes) to unprivileged code.
kernel_has() {
	/usr/bin/python3 - "$1" <<'EOF' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_ALG, socket.SOCK_SEQPACKET, 0)
s.bind(("skcipher", "adiantum(%s,aes)" % sys.argv[1]))
EOF
}

for stream in xchacha12 xchacha20; do
	cipher=$stream,aes-adiantum-plain64
	img=$DIR/$stream.img
	rm -f "$img"
	truncate -s 24M "$img"
	before=$(sha256sum <"$img")
	if kernel_has $stream; then
		t_expect kernel-crypto/$stream/format 0 "$LUKSVOL" format -q --pbkdf pbkdf2 \
			--pbkdf-force-iterations 1000 --cipher "$cipher" --key-size 256 \
			--key-file "$DIR/pass.key" "$img"
		t_expect kernel-crypto/$stream/cryptsetup-unlocks 0 cryptsetup open --test-passphrase \
			--key-file "$DIR/pass.key" "$img"
		t_same kernel-crypto/$stream/keyslot-cipher \
			"$(cryptsetup luksDump "$img" | sed -n 's/^\tCipher: *//p' | head -1)" "$cipher"
	else
		t_expect kernel-crypto/$stream/unsupported-exit 1 "$LUKSVOL" format -q --pbkdf pbkdf2 \
			--pbkdf-force-iterations 1000 --cipher "$cipher" --key-size 256 \
			--key-file "$DIR/pass.key" "$img"
		if grep -q "cipher $cipher .*unsupported" "$LV_WORK/last.err"; then
			t_pass kernel-crypto/$stream/unsupported-message
		else
			t_fail kernel-crypto/$stream/unsupported-message "$(head -c 300 "$LV_WORK/last.err")"
		fi
		t_same kernel-crypto/$stream/image-untouched "$(sha256sum <"$img")" "$before"
	fi
done

# A kernel without the crypto user API (issue 13 item 19), on any host:
# no_af_alg makes socket(AF_ALG) fail with EAFNOSUPPORT through seccomp,
# as such a kernel does.  The static build (CRYPTO=kernel) cannot check a
# header's checksum there, and the OpenSSL build cannot run Adiantum; both
# say that the kernel lacks AF_ALG and which options it needs.
NO_AF_ALG=$DIR/no_af_alg
STATIC_LV=$LV_TOP/$BUILD/luksvol-static
no_af_alg_message() {
	if grep -q 'the kernel lacks the crypto user API (AF_ALG); it needs CONFIG_CRYPTO_USER_API_HASH and CONFIG_CRYPTO_USER_API_SKCIPHER' \
		"$LV_WORK/last.err"; then
		t_pass "$1"
	else
		t_fail "$1" "$(head -c 300 "$LV_WORK/last.err")"
	fi
}
if ! ${CC:-cc} -O2 -Wall -Werror -o "$NO_AF_ALG" "$LV_TOP/tests/interop/no_af_alg.c"; then
	t_fail kernel-crypto/no-af-alg/helper "cannot build tests/interop/no_af_alg.c"
else
	t_same kernel-crypto/no-af-alg/socket-refused "$("$NO_AF_ALG" /usr/bin/python3 -c '
import errno, socket
try:
    socket.socket(socket.AF_ALG, socket.SOCK_SEQPACKET, 0)
except OSError as e:
    print(errno.errorcode[e.errno])')" EAFNOSUPPORT
	t_same kernel-crypto/no-af-alg/other-sockets "$("$NO_AF_ALG" /usr/bin/python3 -c '
import socket
socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, 0)
print("ok")')" ok
	img=$DIR/no-af-alg.img
	cs_image "$img" 24M "$DIR/pass.key"
	before=$(sha256sum <"$img")
	if [ -x "$STATIC_LV" ]; then
		t_expect kernel-crypto/no-af-alg/static-dump 1 "$NO_AF_ALG" "$STATIC_LV" dump "$img"
		no_af_alg_message kernel-crypto/no-af-alg/static-dump-message
		t_expect kernel-crypto/no-af-alg/static-format 1 "$NO_AF_ALG" "$STATIC_LV" format -q \
			--pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file "$DIR/pass.key" "$img"
		no_af_alg_message kernel-crypto/no-af-alg/static-format-message
		t_expect kernel-crypto/no-af-alg/static-is-luks 1 "$NO_AF_ALG" "$STATIC_LV" is-luks -v "$img"
		if grep -q 'not a LUKS' "$LV_WORK/last.out" "$LV_WORK/last.err"; then
			t_fail kernel-crypto/no-af-alg/static-is-luks-message "called a valid header not LUKS"
		else
			no_af_alg_message kernel-crypto/no-af-alg/static-is-luks-message
		fi
	else
		t_fail kernel-crypto/no-af-alg/static "$STATIC_LV is not built (make static)"
	fi
	t_expect kernel-crypto/no-af-alg/adiantum-format 1 "$NO_AF_ALG" "$LUKSVOL" format -q \
		--pbkdf pbkdf2 --pbkdf-force-iterations 1000 --cipher xchacha12,aes-adiantum-plain64 \
		--key-size 256 --key-file "$DIR/pass.key" "$img"
	no_af_alg_message kernel-crypto/no-af-alg/adiantum-format-message
	t_same kernel-crypto/no-af-alg/image-untouched "$(sha256sum <"$img")" "$before"
	rm -f "$img"
fi
