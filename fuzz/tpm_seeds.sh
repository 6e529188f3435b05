#!/bin/bash
# tpm_seeds.sh: seeds of tpm_token and tpm_pcrsig from what
# tests/interop/tpm.sh leaves in $LV_WORK/tpm (tokens luksvol and tpm2-tools
# sealed on swtpm, tampered tokens, .pcrsig files, PEM keys), into
# $BUILD/fuzz-seeds/<target>; with --merge, fuzz/corpus/<target> becomes the
# -merge=1 minimization of those seeds and its old content.
#   LV_SUITES=tests/interop/tpm.sh tests/run.sh && BUILD=build fuzz/tpm_seeds.sh --merge
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SRC=${TPM_WORK:-$BUILD/testwork/tpm}
OUT=$BUILD/fuzz-seeds
PYTHON=/usr/bin/python3

[ -f "$SRC/token.json" ] || { echo "tpm_seeds.sh: run tests/interop/tpm.sh first ($SRC)" >&2; exit 1; }
rm -rf "$OUT/tpm_token" "$OUT/tpm_pcrsig"
mkdir -p "$OUT/tpm_token" "$OUT/tpm_pcrsig"
cp "$SRC"/*.json "$OUT/tpm_token/"
rm -f "$OUT/tpm_token/"*sig*.json
# Each token's blobs alone, behind their type byte (tpm_token.c).
"$PYTHON" - "$OUT/tpm_token" "$SRC"/token.json "$SRC"/pcronly.json "$SRC"/tools-token.json <<'PY'
import base64, json, os, sys
out = sys.argv[1]
for i, path in enumerate(sys.argv[2:]):
    u = json.load(open(path))["UserData"]
    for kind, field in ((0, "sealed_blob_public"), (1, "sealed_blob_private"), (2, "key_name")):
        with open(os.path.join(out, "blob-%d-%s" % (i, field)), "wb") as f:
            f.write(bytes([kind]) + base64.b64decode(u[field]))
PY
cp "$SRC"/*sig*.json "$SRC"/*pub*.pem "$OUT/tpm_pcrsig/"
"$PYTHON" tests/tpm/tpmtest.py keygen "$OUT/k.pem" "$OUT/tpm_pcrsig/pub-1024.pem" 1024
"$PYTHON" tests/tpm/tpmtest.py keygen "$OUT/k.pem" "$OUT/tpm_pcrsig/pub-4096.pem" 4096
rm -f "$OUT/k.pem"

if [ "${1:-}" = --merge ]; then
	for t in tpm_token tpm_pcrsig; do
		mkdir -p "fuzz/corpus/$t" "$OUT/$t-merged"
		"$BUILD/fuzz/$t" -merge=1 -use_counters=0 "$OUT/$t-merged" "fuzz/corpus/$t" "$OUT/$t" \
			>"$OUT/$t-merge.log" 2>&1
		rm -rf "fuzz/corpus/$t"
		mv "$OUT/$t-merged" "fuzz/corpus/$t"
		echo "fuzz/corpus/$t: $(ls "fuzz/corpus/$t" | wc -l) files"
	done
fi
