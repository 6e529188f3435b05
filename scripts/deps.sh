#!/bin/sh
# deps.sh: install the Debian packages luksvol's build, tests and demo need.
# Idempotent: only missing packages are installed, apt-get update runs at
# most once per call and only when something is missing.
set -eu

BUILD_PKGS="build-essential pkg-config libssl-dev libjson-c-dev libargon2-dev
libblkid-dev libyaml-dev libcurl4-openssl-dev libtss2-dev libjose-dev"
TEST_PKGS="libcmocka-dev cryptsetup-bin xz-utils jq xxd python3 python3-yaml clang llvm
libclang-rt-14-dev afl++ util-linux e2fsprogs lvm2 gdb valgrind man-db groff-base
python3-grpcio python3-cryptography python3-h2 openssl swtpm swtpm-tools tpm2-tools tang clevis
clevis-luks jose socat curl systemd"
VM_PKGS="qemu-system-x86 busybox-static dmsetup cpio kmod fdisk strace xfsprogs"
# make bench: the Argon2 floor, peak RSS, the plot; linux-perf to profile.
BENCH_PKGS="argon2 time gnuplot-nox linux-perf"

want="$BUILD_PKGS $TEST_PKGS $VM_PKGS $BENCH_PKGS"
case "${1:-all}" in
build) want="$BUILD_PKGS" ;;
all) ;;
*) echo "usage: $0 [build|all]" >&2; exit 1 ;;
esac

missing=""
for pkg in $want; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = installed ] || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages:$missing (run as root to install)" >&2
	exit 1
fi
echo "deps.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
