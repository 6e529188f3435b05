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

# escape_fixtures: a config whose every string field holds terminal
# escapes (ESC CSI, ESC OSC ... BEL, and the 8-bit CSI U+009B), with an
# error at each such field (esc-errors.yaml), and a valid one whose
# notices and `show` carry them (esc-valid.yaml).
escape_fixtures() {
	$PY - "$DIR" <<'PY'
import json, sys
X = "\x1b[31mRED\x1b]0;title\x07\u009b31m"
q = lambda s: json.dumps(s)      # a JSON string is a YAML double-quoted scalar
errors = f"""apiVersion: {q('v1alpha1' + X)}
kind: VolumeConfig
name: STATE
---
apiVersion: v1alpha1
kind: UserVolumeConfig
name: {q('data' + X)}
volumeType: {q('partition' + X)}
provisioning:
  diskSelector:
    match: {q('system_disk' + X)}
  grow: {q('yes' + X)}
  minSize: {q('10' + X)}
  maxSize: {q('20GiB' + X)}
filesystem:
  type: {q('xfs' + X)}
  projectQuotaSupport: {q('on' + X)}
  xfs:
    minAllocationGroupSize: {q('1' + X)}
encryption:
  provider: {q('luks2' + X)}
  cipher: {q('aes-xts' + X)}
  keySize: {q('512' + X)}
  blockSize: {q('4096' + X)}
  options: [{q('no_read_workqueue' + X)}]
  allowDiscards: {q('yes' + X)}
  keys:
    - slot: {q('1' + X)}
      static:
        passphrase: {q('pass' + X)}
      lockToState: {q('true' + X)}
    - slot: 2
      kms:
        endpoint: {q('https://kms' + X)}
    - slot: 3
      nodeID: {q(X)}
    - slot: 4
      tpm:
        options:
          pcrs: [{q('7' + X)}]
        checkSecurebootStatusOnEnroll: {q('no' + X)}
      {q('extra' + X)}: 1
mount:
  secure: {q('on' + X)}
  disableAccessTime: {q('off' + X)}
trim:
  interval: {q('1h' + X)}
scrub:
  enabled: {q('y' + X)}
  interval: {q('1d' + X)}
{q('unknown' + X)}: 1
---
apiVersion: v1alpha1
kind: {q('SwapVolumeConfig' + X)}
name: s
---
apiVersion: v1alpha1
kind: RawVolumeConfig
name: r
provisioning:
  minSize: {q('1' + X + 'GiB')}
encryption: {{provider: luks2, keys: [{{slot: 0, static: {{passphrase: b}}}}], cipher: {q(X)}}}
"""
valid = f"""apiVersion: v1alpha1
kind: {q('Unknown' + X)}
name: x
---
version: v1alpha1
machine: {{install: {{disk: {q('/dev/sda' + X)}}}}}
---
apiVersion: v1alpha1
kind: UserVolumeConfig
name: data
provisioning:
  diskSelector:
    match: {q('system_disk' + X)}
  minSize: 10GiB
encryption:
  keys:
    - slot: 1
      static:
        passphrase: {q('pass' + X)}
      lockToSTATE: true
    - slot: 2
      kms:
        endpoint: {q('https://kms' + X)}
"""
open(sys.argv[1] + "/esc-errors.yaml", "w").write(errors)
open(sys.argv[1] + "/esc-valid.yaml", "w").write(valid)
PY
}

# no_raw_controls NAME FILE...: no byte a terminal acts on (C0 but the
# newline, DEL, C1 as UTF-8) in the files.
no_raw_controls() {
	local name=$1
	shift
	if LC_ALL=C grep -aqP '[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' "$@"; then
		t_fail "$name" "raw control bytes: $(LC_ALL=C grep -aP '[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' "$@" | head -3 | cat -v)"
	else
		t_pass "$name"
	fi
}

# Every diagnostic escapes what the config wrote, in one way: each error
# and notice that quotes a field shows \x1b, \x07 and \xc2\x9b, never the
# bytes; so do apply's, and show's output is escaped YAML and JSON.
check_terminal_escapes() {
	local echoed escaped
	escape_fixtures
	run_in "$DIR" "$DIR/esc-errors.out" "$DIR/esc-errors.err" config check -f esc-errors.yaml
	t_same config/escapes/errors-exit "$?" 1
	no_raw_controls config/escapes/errors-raw "$DIR/esc-errors.out" "$DIR/esc-errors.err"
	echoed=$(grep -ci 'red' "$DIR/esc-errors.err")
	escaped=$(grep -ci 'RED\\x1b\]0;title\\x07\\xc2\\x9b31m' "$DIR/esc-errors.err")
	t_same config/escapes/errors-escaped "$escaped" "$echoed"
	[ "$echoed" -ge 25 ] && t_pass config/escapes/errors-every-field ||
		t_fail config/escapes/errors-every-field "only $echoed diagnostics quote a field: $(cat "$DIR/esc-errors.err")"
	run_in "$DIR" "$DIR/esc-apply.out" "$DIR/esc-apply.err" apply --dry-run --no-activate -f esc-errors.yaml
	t_same config/escapes/apply-exit "$?" 1
	no_raw_controls config/escapes/apply-raw "$DIR/esc-apply.out" "$DIR/esc-apply.err"
	run_in "$DIR" "$DIR/esc-valid.out" "$DIR/esc-valid.err" config check -f esc-valid.yaml
	t_same config/escapes/notices-exit "$?" 0
	no_raw_controls config/escapes/notices-raw "$DIR/esc-valid.err"
	grep -q 'skipping the Unknown\\x1b\[31mRED\\x1b\]0;title\\x07\\xc2\\x9b31m document' "$DIR/esc-valid.err" &&
		t_pass config/escapes/kind-notice || t_fail config/escapes/kind-notice "$(cat "$DIR/esc-valid.err")"
	run_in "$DIR" "$DIR/esc-show.yaml" "$DIR/esc-show.err" config show -f esc-valid.yaml
	run_in "$DIR" "$DIR/esc-show.json" "$DIR/esc-show-json.err" config show --json -f esc-valid.yaml
	no_raw_controls config/escapes/show-raw "$DIR/esc-show.yaml" "$DIR/esc-show.json"
	$PY -c 'import json, sys; d = json.load(open(sys.argv[1]))
assert d[0]["provisioning"]["diskSelector"]["match"] == "system_disk\x1b[31mRED\x1b]0;title\x07\u009b31m"' \
		"$DIR/esc-show.json" && t_pass config/escapes/show-json-round-trip ||
		t_fail config/escapes/show-json-round-trip "$(head -c 300 "$DIR/esc-show.json")"
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
check_terminal_escapes
