#!/bin/bash
# layers.sh: the layers run one way (GUIDE "Layout"), checked on the
# #include lines of src/: each module may include only the modules below
# it (and the public headers, lv_features.h and system headers).
#
#   base    <- everything            luks2  <- dm, keys, talos (public API only)
#   crypto  <- luks2, keys           config <- keys, talos
#   keys    <- talos                 cli    <- nothing: it uses include/ only
#   kms     <- keys (the kms key source over the KMS engine)
#   tpm     <- keys (its key source)
#   clevis  <- keys (the tang key), unlock
set -u
source "$(dirname "$0")/../lib.sh"

# allowed MODULE DIRS...: the src/ directories MODULE may include from.
declare -A allowed=(
	[base]="base"
	[crypto]="base crypto"
	[luks2]="base crypto luks2"
	[dm]="base dm"
	[config]="base config"
	# A key source uses its kind's engine (key_kms.c: src/kms, key_tpm.c: src/tpm,
	# key_clevis_tang.c: src/clevis).
	[keys]="base clevis config crypto keys kms tpm"
	[talos]="base config keys talos"
	[cli]="cli"
	# Engines on other branches, as they stand: their luks2 includes
	# (metadata.h, storage.h) are to become the format's public API.
	[meta]="base crypto config luks2 meta"
	[kms]="base crypto kms luks2"
	[tpm]="base crypto luks2 tpm"
	[clevis]="base clevis crypto tpm"
	# Token unlockers: over the engines of each token type and the public API.
	[unlock]="base clevis tpm unlock"
)

# The src/ directories a module's files include from ("luks2" for
# "luks2/device.h"); public headers and lv_features.h are not modules.
included_dirs() {
	grep -ho '^#include "[^"]*/[^"]*"' "$LV_TOP/src/$1"/*.[ch] 2>/dev/null |
		sed 's/#include "//; s|/.*||' | sort -u
}

check_module() {
	local module=$1 dir bad=""
	for dir in $(included_dirs "$module"); do
		case " ${allowed[$module]} " in
		*" $dir "*) ;;
		*) bad="$bad $dir" ;;
		esac
	done
	t_same "layers/$module" "${bad# }" ""
}

for module in "$LV_TOP"/src/*/; do
	module=$(basename "$module")
	if [ -z "${allowed[$module]+set}" ]; then
		t_fail "layers/$module" "src/$module is not in tests/interop/layers.sh's table"
		continue
	fi
	check_module "$module"
done

# The files of these modules that name a src/luks2 header: none (config
# and dm above all: issue 14, the base layer; tests and fuzzers may).
outside=$(grep -l '#include "luks2/' "$LV_TOP"/src/{base,crypto,dm,config,keys,talos,cli}/*.[ch] \
	2>/dev/null | sed "s|$LV_TOP/||" | tr '\n' ' ')
t_same layers/luks2-internals-used-outside "$outside" ""

# The Talos engine has no include cycle: what apply.c uses (sync, run,
# slot) never includes apply.h.
cycle=$(grep -l '#include "talos/apply.h"' "$LV_TOP"/src/talos/{sync,slot,report,rules}.[ch] \
	"$LV_TOP"/src/talos/{run,sync,report,rules}.h 2>/dev/null | sed "s|$LV_TOP/||" | tr '\n' ' ')
t_same layers/talos-no-apply-cycle "$cycle" ""
