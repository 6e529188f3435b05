#!/bin/bash
# zz_log_secrets.sh: no test passphrase in any log line (issue 8, "Secret
# hygiene").  Runs last (tests/run.sh runs zz_*.sh after every other
# suite, the VM included): every passphrase the suites wrote to a key file
# under $LV_WORK (*.key, writer.sh's chain keys) is searched for in every
# log they left: the output of each t_expect command (commands.log, see
# tests/lib.sh), the suites' own *.out/*.err/*.log/*.txt files, the unit
# tests' TAP output, the VM console, and the results file.  Key files
# themselves, images, backups and configs are not logs and are not
# searched, nor is a small file that begins with a passphrase (one fed
# on stdin).  Passphrases shorter than 8 bytes are skipped: they occur in
# ordinary text.
#
# secrets.sh's test_argv passes secrets/argv.key's passphrase on the
# command line on purpose: the refusal must not echo it either.
set -u
source "$(dirname "$0")/../lib.sh"
CONTROL=$(mktemp -d)
trap 'rm -rf "$CONTROL"' EXIT

# scan ROOT RESULTS: prints "needles haystacks" on the first line, then
# one "LEAK log <- keyfile" line per passphrase found in a log.
scan() {
	/usr/bin/python3 - "$1" "$2" <<'EOF'
import os, re, sys
root, results = sys.argv[1], sys.argv[2]
key_name = re.compile(r'(\.key$|^k[0-9]+$)')
log_name = re.compile(r'(\.(out|err|log|tap|txt)$|^(out|err|last\.out|last\.err)$)')
needles, logs = {}, []
for top, dirs, files in os.walk(root):
    # vm-overlay: the VM's input, copies of committed test files (the compat
    # table's rows name their passphrases), not logs.
    dirs[:] = [d for d in dirs if d not in ('data', 'vm-overlay')]
    for f in files:
        path = os.path.join(top, f)
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        if key_name.search(f):
            if os.path.getsize(path) <= 4096:
                text = open(path, 'rb').read().rstrip(b'\n')
                if len(text) >= 8:
                    needles.setdefault(text, path)
        elif log_name.search(f):
            logs.append(path)
if os.path.isfile(results):
    logs.append(results)
print(len(needles), len(logs))
for log in logs:
    data = open(log, 'rb').read()
    if len(data) <= 4096 and os.path.basename(log) != 'commands.log' and \
            any(data.startswith(needle) for needle in needles):
        continue
    for needle, source in needles.items():
        if needle in data:
            print('LEAK %s <- %s' % (os.path.relpath(log, root), os.path.relpath(source, root)))
EOF
}

# The check must be able to fail: a passphrase planted in a log is found.
control() {
	local root=$CONTROL out
	mkdir -p "$root/suite"
	printf 'planted passphrase %s' "$RANDOM" >"$root/suite/p.key"
	{ echo 'luksvol: some message'; cat "$root/suite/p.key"; echo; } >"$root/suite/run.err"
	out=$(scan "$root" /nonexistent)
	if grep -q '^LEAK suite/run.err <- suite/p.key$' <<<"$out"; then
		t_pass log-secrets/control-caught
	else
		t_fail log-secrets/control-caught "a planted passphrase was not found: $out"
	fi
}

control
out=$(scan "$LV_WORK" "$LV_RESULTS")
read -r needles logs <<<"$(head -1 <<<"$out")"
echo "log-secrets: $needles test passphrases searched for in $logs logs" >&2
if [ "${needles:-0}" -ge 20 ] && [ "${logs:-0}" -ge 20 ]; then
	t_pass log-secrets/searched
else
	t_fail log-secrets/searched "only ${needles:-0} passphrases and ${logs:-0} logs found under $LV_WORK"
fi
leaks=$(grep '^LEAK ' <<<"$out")
if [ -z "$leaks" ]; then
	t_pass log-secrets/no-passphrase-in-logs
else
	t_fail log-secrets/no-passphrase-in-logs "$(head -5 <<<"$leaks" | tr '\n' ';')"
fi
