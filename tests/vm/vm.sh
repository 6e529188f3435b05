# vm.sh: boot Debian's own kernel under qemu (TCG) with a test initramfs.
# Sourced by tests/vm/run.sh (and later suites).  This host's kernel has no
# device-mapper and KVM does not work here, so dm tests run in the VM.
#
#   vm_prepare            kernel + base initramfs, cached under $VM_DIR
#   vm_run OVERLAY DISK OUT [TIMEOUT]
#                         boots with OVERLAY's files added to the initramfs
#                         and DISK as /dev/vda, a virtio NIC on QEMU's user
#                         network (the host's loopback is 10.0.2.2); the
#                         console goes to OUT.
#                         Fails unless the test script ran to its end.
#
# Nothing is installed: the kernel package is fetched with apt-get download
# and unpacked with dpkg -x.

: "${LV_TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${BUILD:=build}"
VM_DIR=$LV_TOP/$BUILD/vm
VM_MODULE_DIRS="kernel/drivers/md kernel/drivers/block kernel/drivers/virtio kernel/crypto
kernel/arch/x86/crypto kernel/lib kernel/security/keys kernel/fs/ext4 kernel/fs/jbd2
kernel/fs/mbcache.ko kernel/fs/xfs kernel/drivers/net/virtio_net.ko kernel/drivers/net/net_failover.ko
kernel/net/core/failover.ko"

vm_log() { echo "vm: $*" >&2; }

# Unpacks linux-image-6.x-amd64 (the dependency of linux-image-amd64) once.
vm_kernel() {
	local pkg deb
	if [ -f "$VM_DIR/kernel/.unpacked" ]; then
		return 0
	fi
	mkdir -p "$VM_DIR/download"
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
	if [ -z "$pkg" ]; then
		apt-get update -qq >/dev/null
		pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
	fi
	[ -n "$pkg" ] || { vm_log "no linux-image-6.x-amd64 package found"; return 1; }
	vm_log "downloading $pkg"
	(cd "$VM_DIR/download" && apt-get download "$pkg" >/dev/null 2>&1) || {
		vm_log "apt-get download $pkg failed"
		return 1
	}
	deb=$(ls "$VM_DIR"/download/"$pkg"_*.deb | head -1)
	rm -rf "$VM_DIR/kernel"
	dpkg -x "$deb" "$VM_DIR/kernel"
	touch "$VM_DIR/kernel/.unpacked"
}

vm_kernel_version() {
	ls "$VM_DIR/kernel/lib/modules" | head -1
}

# Libraries a program may dlopen by soname, which ldd cannot see: luksvol
# loads libcurl at its first KMS or tang request (src/base/curl_global.h),
# libjose and libjansson at its first clevis token or tang key
# (src/clevis/jose_api.h), tpm2-tss at its first TPM use (src/tpm/tpm_tss2.h).
VM_DLOPEN_SONAMES="libcurl.so.4 libjose.so.0 libjansson.so.4 libtss2-esys.so.0 libtss2-mu.so.0 libtss2-tctildr.so.0 libtss2-sys.so.1 libtss2-rc.so.0"

# Copies a library (or program) and every library ldd lists for it.
vm_add_libraries_of() {
	local root=$1 object=$2 lib
	for lib in $(ldd "$object" 2>/dev/null | grep -o '/[^ ]*'); do
		[ -e "$root$lib" ] || install -D -m 0755 "$lib" "$root$lib"
	done
}

# Copies a dynamically linked program, every library ldd lists, and the
# libraries of VM_DLOPEN_SONAMES it names, with theirs.
vm_add_program() {
	local root=$1 program=$2 soname path
	install -D -m 0755 "$program" "$root/bin/$(basename "$program")"
	vm_add_libraries_of "$root" "$program"
	for soname in $VM_DLOPEN_SONAMES; do
		grep -qa "$soname" "$program" || continue
		path=$(ldconfig -p | awk -v so="$soname" '$1 == so && /x86-64/ { print $NF; exit }')
		[ -n "$path" ] || { echo "vm: $program loads $soname, which is not installed" >&2; return 1; }
		[ -e "$root$path" ] || install -D -m 0755 "$path" "$root$path"
		vm_add_libraries_of "$root" "$path"
	done
}

vm_build_base() {
	local root=$VM_DIR/base-root kver applet
	kver=$(vm_kernel_version)
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,proc,sys,dev,run,tmp,etc,test,lib/modules/"$kver"}
	install -m 0755 /bin/busybox "$root/bin/busybox"
	for applet in $("$root/bin/busybox" --list); do
		[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
	done
	for dir in $VM_MODULE_DIRS; do
		[ -e "$VM_DIR/kernel/lib/modules/$kver/$dir" ] || continue
		mkdir -p "$root/lib/modules/$kver/$(dirname "$dir")"
		cp -a "$VM_DIR/kernel/lib/modules/$kver/$dir" "$root/lib/modules/$kver/$(dirname "$dir")/"
	done
	cp "$VM_DIR/kernel/lib/modules/$kver"/modules.{order,builtin,builtin.modinfo} "$root/lib/modules/$kver/" 2>/dev/null
	depmod -b "$root" "$kver"
	for program in /sbin/cryptsetup /sbin/dmsetup /usr/bin/sha256sum /sbin/blkid /sbin/sfdisk \
		/sbin/losetup /sbin/mkfs.xfs /usr/sbin/xfs_io; do
		[ -x "$program" ] && vm_add_program "$root" "$program"
	done
	# glibc dlopens libgcc_s when a thread exits (argon2's lanes): ldd can't see it.
	for lib in /lib/x86_64-linux-gnu/libgcc_s.so.1; do
		[ -e "$lib" ] && install -D -m 0755 "$lib" "$root$lib"
	done
	# busybox's applets must not shadow the real tools copied above.
	install -m 0755 "$LV_TOP/tests/vm/init" "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$VM_DIR/base.cpio.gz"
	echo "$(vm_base_key)" >"$VM_DIR/base.key"
}

# What the cached base depends on: kernel package, tools and the init script.
vm_base_key() {
	cat "$LV_TOP/tests/vm/init" "$LV_TOP/tests/vm/vm.sh" | sha256sum | cut -c1-16
	ls "$VM_DIR/download" 2>/dev/null
	sha256sum /sbin/cryptsetup /sbin/dmsetup /bin/busybox /sbin/mkfs.xfs /usr/sbin/xfs_io 2>/dev/null | cut -c1-16
}

vm_prepare() {
	vm_kernel || return 1
	if [ ! -f "$VM_DIR/base.cpio.gz" ] || [ "$(cat "$VM_DIR/base.key" 2>/dev/null)" != "$(vm_base_key)" ]; then
		vm_log "building the base initramfs"
		vm_build_base || return 1
	fi
}

# vm_run OVERLAY DISK OUT [TIMEOUT]
vm_run() {
	local overlay=$1 disk=$2 out=$3 timeout=${4:-600} initrd=$VM_DIR/initrd-run.gz rc
	vm_prepare || return 1
	cp "$VM_DIR/base.cpio.gz" "$initrd"
	# Concatenated cpio archives: the overlay's files land on top.
	(cd "$overlay" && find . | cpio -o -H newc --quiet | gzip -1) >>"$initrd"
	timeout "$timeout" qemu-system-x86_64 -cpu max -m 1024 -smp 2 -nographic -no-reboot \
		-monitor none -kernel "$(ls "$VM_DIR"/kernel/boot/vmlinuz-* | head -1)" \
		-initrd "$initrd" -append "console=ttyS0 quiet panic=-1" \
		-drive file="$disk",if=virtio,format=raw \
		-netdev user,id=net0 -device virtio-net-pci,netdev=net0,romfile= \
		${VM_QEMU_ARGS:-} </dev/null >"$out" 2>&1
	rc=$?
	if [ $rc -eq 124 ]; then
		vm_log "the VM did not finish within ${timeout}s (see $out)"
		return 1
	fi
	if ! grep -q '^=== LVTEST END rc=' "$out"; then
		vm_log "the test script did not run to its end (qemu exit $rc, see $out)"
		return 1
	fi
}

# The PASS/FAIL lines the VM printed, prefixed with the suite name.
vm_results() {
	local out=$1 prefix=$2
	tr -d '\r' <"$out" | sed -n '/=== LVTEST BEGIN ===/,/=== LVTEST END/p' |
		grep -E '^(PASS|FAIL) ' | sed -u -E "s/^(PASS|FAIL) /\\1 $prefix\\//"
}
