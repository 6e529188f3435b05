#!/bin/sh
# corpus_dirs.sh TARGET: the corpus directories of a fuzz target, one per line:
# fuzz/corpus/TARGET, then its base corpus when it has one.
# corpus_dirs.sh --base TARGET: only the base target's name (empty if none).
#
# luks2_dump, luks2_unlock and luks2_roundtrip read the same device images as luks2_load;
# their own directories hold only the inputs that add coverage beyond
# fuzz/corpus/luks2_load (make_seeds.sh merges them that way), so the two
# directories always go together.
base() {
	case $1 in
	luks2_dump | luks2_unlock | luks2_roundtrip) echo luks2_load ;;
	esac
}
if [ "${1:-}" = --base ]; then
	base "$2"
	exit 0
fi
echo "fuzz/corpus/$1"
b=$(base "$1")
if [ -n "$b" ]; then echo "fuzz/corpus/$b"; fi
