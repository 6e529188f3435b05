#!/bin/bash
# kernel_crypto.sh: Talos's Adiantum ciphers on this host, where they come
# from the kernel's crypto API even in the OpenSSL build.  A kernel with
# AF_ALG and Adiantum formats a volume cryptsetup opens; a kernel without
# them gets a clear "unsupported" error (exit 1) and an untouched image.
# (The VM suite, tests/vm/t_kernel.sh, always has them.)
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
