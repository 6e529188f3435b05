#!/bin/bash
# config.sh: `luksvol config check|show` over the fixtures in tests/config.
#  - valid/*.yaml: check exits 0, prints "NAME: valid", and stderr holds
#    exactly NAME.notices (nothing when there is none);
#  - invalid/*.yaml: check exits 1, stdout is empty and stderr holds
#    exactly NAME.expect (every error, FILE:LINE:COL each);
#  - show: its YAML reads back to the same show output (round trip), its
#    JSON is the same documents, no passphrase is printed, and NAME.show /
#    NAME.json goldens match where present;
#  - the verb: check/show need -f, a missing file exits 1, and
#    `config --label` on a LUKS2 device still works.
set -u
source "$(dirname "$0")/../lib.sh"
FIXTURES=$LV_TOP/tests/config
mkdir -p "$LV_WORK/config"
DIR=$(cd "$LV_WORK/config" && pwd)
PY=/usr/bin/python3

# same_file NAME WANT GOT: pass when the files are byte-identical.
same_file() {
	if cmp -s "$2" "$3"; then
		t_pass "$1"
	else
		t_fail "$1" "differs from $(basename "$2"): $(diff "$2" "$3" | head -6 | tr '\n' '|')"
	fi
}

# run_in DIR OUT ERR ARGS...: luksvol in DIR, so messages name the bare file.
run_in() {
	local dir=$1 out=$2 err=$3
	shift 3
	(cd "$dir" && "$LUKSVOL" "$@" >"$out" 2>"$err")
}

check_valid() {
	local f=$1 name rc
	name=$(basename "$f" .yaml)
	run_in "$FIXTURES/valid" "$DIR/$name.out" "$DIR/$name.err" config check -f "$name.yaml"
	rc=$?
	t_same "config/valid/$name/exit" "$rc" 0
	t_same "config/valid/$name/stdout" "$(cat "$DIR/$name.out")" "$name.yaml: valid"
	if [ -f "$FIXTURES/valid/$name.notices" ]; then
		same_file "config/valid/$name/notices" "$FIXTURES/valid/$name.notices" "$DIR/$name.err"
	else
		same_file "config/valid/$name/no-notices" /dev/null "$DIR/$name.err"
	fi
}

check_invalid() {
	local f=$1 name rc
	name=$(basename "$f" .yaml)
	if [ ! -f "$FIXTURES/invalid/$name.expect" ]; then
		t_fail "config/invalid/$name" "no $name.expect beside the fixture"
		return
	fi
	run_in "$FIXTURES/invalid" "$DIR/$name.out" "$DIR/$name.err" config check -f "$name.yaml"
	rc=$?
	t_same "config/invalid/$name/exit" "$rc" 1
	same_file "config/invalid/$name/stdout-empty" /dev/null "$DIR/$name.out"
	same_file "config/invalid/$name/messages" "$FIXTURES/invalid/$name.expect" "$DIR/$name.err"
}

# show refuses an invalid file with the same messages as check.
check_invalid_show() {
	local name=$1 rc
	run_in "$FIXTURES/invalid" "$DIR/$name.show" "$DIR/$name.show.err" config show -f "$name.yaml"
	rc=$?
	t_same "config/invalid/$name/show-exit" "$rc" 1
	same_file "config/invalid/$name/show-messages" "$FIXTURES/invalid/$name.expect" \
		"$DIR/$name.show.err"
}

# The YAML and JSON writers print the same documents (PyYAML reads the YAML).
same_documents() {
	"$PY" - "$1" "$2" <<'EOF'
import json, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None]
sys.exit(0 if docs == json.load(open(sys.argv[2])) else 1)
EOF
}

check_show() {
	local f=$1 name show again
	name=$(basename "$f" .yaml)
	show=$DIR/$name.show.yaml
	again=$DIR/$name.again.yaml
	t_expect "config/show/$name/exit" 0 "$LUKSVOL" config show -f "$f"
	cp "$LV_WORK/last.out" "$show"
	t_expect "config/show/$name/reparse" 0 "$LUKSVOL" config show -f "$show"
	cp "$LV_WORK/last.out" "$again"
	same_file "config/show/$name/round-trip" "$show" "$again"
	t_expect "config/show/$name/json-exit" 0 "$LUKSVOL" config show --json -f "$f"
	cp "$LV_WORK/last.out" "$DIR/$name.json"
	if same_documents "$show" "$DIR/$name.json"; then
		t_pass "config/show/$name/json-equals-yaml"
	else
		t_fail "config/show/$name/json-equals-yaml" "YAML and JSON documents differ"
	fi
	[ -f "$FIXTURES/valid/$name.show" ] &&
		same_file "config/show/$name/golden" "$FIXTURES/valid/$name.show" "$show"
	[ -f "$FIXTURES/valid/$name.json" ] &&
		same_file "config/show/$name/golden-json" "$FIXTURES/valid/$name.json" "$DIR/$name.json"
}

# No passphrase written in a fixture appears in any show output.
check_no_passphrase_printed() {
	local leaked=""
	for p in supersecret oldkey newkey topsecret exampleKey "correct horse" 12345 multi; do
		if cat "$DIR"/*.show.yaml "$DIR"/*.json | grep -q -- "$p"; then
			leaked="$leaked $p"
		fi
	done
	t_same config/show/passphrases-redacted "$leaked" ""
}

check_verb() {
	local img=$DIR/label.img
	t_expect config/verb/check-needs-file 1 "$LUKSVOL" config check
	t_same config/verb/check-needs-file-message "$(cat "$LV_WORK/last.err")" \
		"luksvol: config check needs -f FILE"
	t_expect config/verb/missing-file 1 "$LUKSVOL" config show -f "$DIR/none.yaml"
	t_same config/verb/missing-file-message "$(cat "$LV_WORK/last.err")" \
		"luksvol: $DIR/none.yaml: cannot open: No such file or directory"
	t_expect config/verb/stdin 0 sh -c "\"$LUKSVOL\" config check -f - <\"$FIXTURES/valid/guide-tpm-pcrs.yaml\""
	t_same config/verb/stdin-name "$(cat "$LV_WORK/last.out")" "-: valid"
	# The cryptsetup-style form: `config --label L DEVICE`.
	rm -f "$img"
	truncate -s 20M "$img"
	printf 'pw' >"$DIR/label.key"
	cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
		--key-file "$DIR/label.key" "$img" >/dev/null 2>&1
	t_expect config/verb/label 0 "$LUKSVOL" config --label from-luksvol "$img"
	t_same config/verb/label-set "$(cryptsetup luksDump "$img" | sed -n 's/^Label:[[:space:]]*//p')" \
		from-luksvol
}

for f in "$FIXTURES"/valid/*.yaml; do
	check_valid "$f"
	check_show "$f"
done
for f in "$FIXTURES"/invalid/*.yaml; do
	check_invalid "$f"
done
for name in many-errors syntax-error wrong-types; do
	check_invalid_show "$name"
done
check_no_passphrase_printed
check_verb
