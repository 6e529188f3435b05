#!/bin/bash
# sizes.sh: build every static feature combination and print a Markdown
# table of the stripped binaries' sizes (issue 7 goals: <= 1.2 MB for the
# minimal kernel-backend build, <= 5 MB with CRYPTO=openssl), then the
# dynamic build and cryptsetup with their shared libraries for comparison.
#
#   scripts/sizes.sh [BUILD_ROOT]     (default build/sizes; reuses objects)
#
# TPM and KMS have no code yet: their flags are left at 0 here.
set -eu
cd "$(dirname "$0")/.."
ROOT=${1:-build/sizes}
JOBS=${JOBS:-2}
mkdir -p "$ROOT"

mb() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1000000 }'; }

# Bytes of a dynamically linked program plus every library ldd lists.
with_libs() {
	local total lib
	total=$(stat -L -c %s "$1")
	for lib in $(ldd "$1" | grep -o '/[^ ]*'); do
		total=$((total + $(stat -L -c %s "$lib")))
	done
	echo "$total"
}

echo "| CRYPTO | WITH_YAML | WITH_BLKID | bytes | MB |"
echo "|---|---|---|---|---|"
for crypto in kernel openssl; do
	for yaml in 1 0; do
		for blkid in 1 0; do
			dir=$ROOT/$crypto-yaml$yaml-blkid$blkid
			nice make -s -j"$JOBS" BUILD="$dir" CRYPTO=$crypto STATIC=1 WITH_TPM=0 WITH_KMS=0 \
				WITH_YAML=$yaml WITH_BLKID=$blkid DEPS_STAMP=build/.deps-ok "$dir/luksvol" \
				>"$dir.log" 2>&1 || { echo "| $crypto | $yaml | $blkid | build failed, see $dir.log | |"; continue; }
			bytes=$(stat -c %s "$dir/luksvol")
			echo "| $crypto | $yaml | $blkid | $bytes | $(mb "$bytes") |"
		done
	done
done

echo
echo "| dynamic, with shared libraries | bytes | MB |"
echo "|---|---|---|"
if [ -x build/luksvol ]; then
	strip -o "$ROOT/luksvol-dynamic" build/luksvol
	bytes=$(with_libs "$ROOT/luksvol-dynamic")
	echo "| build/luksvol (CRYPTO=openssl, stripped) | $bytes | $(mb "$bytes") |"
fi
if command -v cryptsetup >/dev/null; then
	bytes=$(with_libs "$(command -v cryptsetup)")
	echo "| cryptsetup $(cryptsetup --version | awk '{print $2}') | $bytes | $(mb "$bytes") |"
fi
