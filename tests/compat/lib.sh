# compat/lib.sh: the table-driven comparison of luksvol-as-cryptsetup with
# cryptsetup 2.6.1 (issue 19), shared by tests/interop/compat_table.sh
# (rows "file": image files, bash on this host) and tests/vm/t_compat.sh
# (rows "vm": /dev/vda and device-mapper, busybox sh in the VM).  POSIX sh.
#
# Every row of table.txt is run once per tool of $COMPAT_TOOLS, each time
# on a device holding the same bytes (fixtures are made by cryptsetup),
# and each run must give the row's exit code, stdout and stderr; its
# checks then look at the result with the real cryptsetup and dmsetup.
# With two tools the results are also compared with each other: the
# header views (JSON metadata with ids and values, binary header fields),
# byte-exact stdout where the row asks for it, dmsetup's view.
#
# The caller defines:
#   compat_pass NAME, compat_fail NAME REASON
#   compat_fixture FIXTURE     make $COMPAT_DEV (and @NAME@ ...) the fixture
#   compat_fixture_same FILE... whether the device (and header) still hold
#                              the fixture's bytes
#   compat_cleanup             undo what a row left (mappings, fds)
#   COMPAT_WORK                scratch directory
#   COMPAT_DEV                 the device rows run on (@DEV@)
# and may define compat_hdr_view DIR (file rows: the header view).

COMPAT_FAST="--pbkdf argon2id --pbkdf-force-iterations 4 --pbkdf-memory 32 --pbkdf-parallel 1"
COMPAT_NAME=luks2-compat
COMPAT_HDR=${COMPAT_HDR:-}

# Where there is no header view (the VM has no python), "hdr" fails.
if ! command -v compat_hdr_view >/dev/null 2>&1; then
	compat_hdr_view() { echo "no header view here"; return 1; }
fi

compat_trim() {
	printf '%s' "$1" | sed 's/^[[:space:]]*//;s/[[:space:]]*$//'
}

# @DEV@ @NAME@ @HDR@ @WORK@ @FAST@ in a table field.
compat_subst() {
	printf '%s' "$1" | sed -e "s#@DEV@#$COMPAT_DEV#g" -e "s#@NAME@#$COMPAT_NAME#g" \
		-e "s#@HDR@#$COMPAT_HDR#g" -e "s#@WORK@#$COMPAT_ROWDIR#g" -e "s#@FAST@#$COMPAT_FAST#g"
}

# Whether @DEV@ and @HDR@ hold the bytes the fixture gave them.
compat_unchanged() {
	compat_fixture_same "$COMPAT_DEV" ${COMPAT_HDR:+"$COMPAT_HDR"}
}

# The volume key, hex, as cryptsetup reads it with passphrase $1 (printf %b).
compat_vk() {
	printf '%b' "$1" | cryptsetup luksDump --dump-volume-key -q --key-file=- "$COMPAT_DEV" \
		${COMPAT_HDR:+--header "$COMPAT_HDR"} 2>/dev/null |
		sed -n '/MK dump:/,$p' | sed 's/MK dump://' | tr -d ' \t\n'
}

# compat_unlock PASS[@SLOT]: cryptsetup's exit code for the passphrase.
compat_unlock() {
	local pass=${1%@*} slot=
	case $1 in *@*) slot="--key-slot=${1##*@}" ;; esac
	printf '%b' "$pass" | cryptsetup open --test-passphrase $slot --key-file=- "$COMPAT_DEV" \
		${COMPAT_HDR:+--header "$COMPAT_HDR"} >/dev/null 2>&1
	echo $?
}

# dmsetup's table (no keys), DM UUID and attributes, and cryptsetup's status.
compat_dm_view() {
	echo "$(dmsetup table "$1" 2>&1) | $(dmsetup info -c -o uuid,attr --noheadings "$1" 2>&1) |" \
		"$(cryptsetup status "$1" 2>&1 | tr -s ' ' | tr '\n' ';')"
}

# compat_expect_text NAME FILE WANT: "-" empty, "*" anything, else an
# extended regex one line of FILE must match.
compat_expect_text() {
	case $3 in
	'*') return 0 ;;
	-)
		if [ -s "$2" ]; then compat_fail "$1" "not empty: $(head -c 200 "$2" | tr '\n' ' ')"; else compat_pass "$1"; fi ;;
	*)
		if grep -qE -- "$3" "$2"; then compat_pass "$1"; else compat_fail "$1" "no line matches /$3/: $(head -c 300 "$2" | tr '\n' ' ')"; fi ;;
	esac
}

# compat_pick FIELD LABEL: a field may give one tool its own value,
# "DEFAULT @@LABEL: VALUE" (where luksvol deliberately differs).
compat_pick() {
	case $1 in
	*"@@$2:"*) compat_trim "$(printf '%s' "${1#*@@$2:}" | sed 's/@@.*//')" ;;
	*) compat_trim "$(printf '%s' "$1" | sed 's/@@.*//')" ;;
	esac
}

# One check item of a row's last field; "LABEL:ITEM" is for that tool only.
compat_check() {
	local name=$1 item=$2 key value
	case $item in
	*:*)
		case ${item%%:*} in
		*[!a-z]*) ;;
		"$COMPAT_LABEL") item=${item#*:} ;;
		*) return 0 ;;
		esac ;;
	esac
	key=${item%%=*}
	value=
	case $item in *=*) value=${item#*=} ;; esac
	case $key in
	same)
		if compat_unchanged; then compat_pass "$name/unchanged"; else compat_fail "$name/unchanged" "the device changed"; fi ;;
	vk)
		if [ -n "$COMPAT_FIXTURE_VK" ] && [ "$(compat_vk "$value")" = "$COMPAT_FIXTURE_VK" ]; then
			compat_pass "$name/volume-key-kept"
		else
			compat_fail "$name/volume-key-kept" "the volume key changed or does not unlock"
		fi ;;
	unlock)
		if [ "$(compat_unlock "$value")" = 0 ]; then compat_pass "$name/unlocks"; else compat_fail "$name/unlocks" "cryptsetup does not open it with $value"; fi ;;
	nounlock)
		if [ "$(compat_unlock "$value")" != 0 ]; then compat_pass "$name/no-longer-unlocks"; else compat_fail "$name/no-longer-unlocks" "cryptsetup still opens it with $value"; fi ;;
	json)
		cryptsetup luksDump --dump-json-metadata "$COMPAT_DEV" ${COMPAT_HDR:+--header "$COMPAT_HDR"} 2>&1 |
			tr -d ' \n' >"$COMPAT_ROWDIR/json.txt"
		if grep -qE -- "$value" "$COMPAT_ROWDIR/json.txt"; then compat_pass "$name/json"; else compat_fail "$name/json" "metadata does not match /$value/: $(head -c 300 "$COMPAT_ROWDIR/json.txt")"; fi ;;
	hdr)
		if compat_hdr_view "$COMPAT_ROWDIR" "$value" >"$COMPAT_ROWDIR/hdr.txt" 2>&1; then
			compat_pass "$name/header-readable"
		else
			compat_fail "$name/header-readable" "$(head -c 300 "$COMPAT_ROWDIR/hdr.txt")"
		fi ;;
	status)
		cryptsetup status "$COMPAT_NAME" 2>&1 | tr -s ' ' | tr '\n' ';' >"$COMPAT_ROWDIR/status.txt"
		if grep -qE -- "$value" "$COMPAT_ROWDIR/status.txt"; then compat_pass "$name/status"; else compat_fail "$name/status" "/$value/ not in: $(cat "$COMPAT_ROWDIR/status.txt")"; fi ;;
	table)
		dmsetup table "$COMPAT_NAME" >"$COMPAT_ROWDIR/table.txt" 2>&1
		if grep -qE -- "$value" "$COMPAT_ROWDIR/table.txt"; then compat_pass "$name/table"; else compat_fail "$name/table" "/$value/ not in: $(cat "$COMPAT_ROWDIR/table.txt")"; fi ;;
	noloop)
		if [ -z "$(losetup -a 2>/dev/null)" ]; then compat_pass "$name/loop-detached"; else compat_fail "$name/loop-detached" "$(losetup -a)"; fi ;;
	inactive)
		if dmsetup info "$COMPAT_NAME" >/dev/null 2>&1; then compat_fail "$name/no-mapping" "$COMPAT_NAME exists"; else compat_pass "$name/no-mapping"; fi ;;
	dm)
		compat_dm_view "$COMPAT_NAME" >"$COMPAT_ROWDIR/dm.txt" ;;
	out) ;;
	*)
		compat_fail "$name/table-syntax" "unknown check \"$item\"" ;;
	esac
}

# compat_run_row TOOL_LABEL TOOL_PATH NAME FIXTURE STDIN COMMAND RC STDOUT STDERR CHECKS
compat_run_row() {
	local label=$1 tool=$2 name=$3 fixture=$4 stdin=$5 cmd=$6 want_rc=$7 want_out=$8 want_err=$9
	local checks=${10} result="compat/$1/$3" rc item rest
	COMPAT_LABEL=$label
	COMPAT_ROWDIR=$COMPAT_WORK/$label/$name
	rm -rf "$COMPAT_ROWDIR"
	mkdir -p "$COMPAT_ROWDIR"
	printf 'talos-key-new' >"$COMPAT_ROWDIR/new.key"
	want_rc=$(compat_pick "$want_rc" "$label")
	want_out=$(compat_pick "$want_out" "$label")
	want_err=$(compat_pick "$want_err" "$label")
	if ! compat_fixture "$fixture"; then
		compat_fail "$result" "cannot make fixture $fixture"
		return
	fi
	cmd=$(compat_subst "$cmd")
	want_out=$(compat_subst "$want_out")
	want_err=$(compat_subst "$want_err")
	eval "set -- $cmd"
	if [ "$stdin" = - ]; then
		"$tool" "$@" </dev/null >"$COMPAT_ROWDIR/out" 2>"$COMPAT_ROWDIR/err"
	else
		printf '%b' "$stdin" | "$tool" "$@" >"$COMPAT_ROWDIR/out" 2>"$COMPAT_ROWDIR/err"
	fi
	rc=$?
	echo "$rc" >"$COMPAT_ROWDIR/rc"
	if [ "$rc" -ge 128 ]; then
		compat_fail "$result" "killed by signal $((rc - 128)): $(head -c 300 "$COMPAT_ROWDIR/err")"
	elif [ "$rc" = "$want_rc" ]; then
		compat_pass "$result"
	else
		compat_fail "$result" "exit $rc, want $want_rc: $(head -c 300 "$COMPAT_ROWDIR/err" | tr '\n' ' ')"
	fi
	compat_expect_text "$result/stdout" "$COMPAT_ROWDIR/out" "$want_out"
	compat_expect_text "$result/stderr" "$COMPAT_ROWDIR/err" "$want_err"
	rest=$(compat_subst "$checks")
	while [ -n "$rest" ]; do
		item=$(compat_trim "${rest%%;*}")
		case $rest in *';'*) rest=${rest#*;} ;; *) rest= ;; esac
		[ -n "$item" ] && [ "$item" != - ] && compat_check "$result" "$item"
	done
	compat_cleanup
}

# compat_cross NAME CHECKS RC: with two or more tools, every tool's result
# equals the first tool's (cryptsetup's) wherever the row records one.
compat_cross() {
	local name=$1 checks=$2 rcs=$3 first= label file what
	for label in $COMPAT_LABELS; do
		if [ -z "$first" ]; then first=$label; continue; fi
		for what in rc hdr.txt dm.txt out; do
			file=$COMPAT_WORK/$label/$name/$what
			# A view the row takes of one tool only (cryptsetup:hdr) is not compared.
			[ -f "$COMPAT_WORK/$first/$name/$what" ] && [ -f "$file" ] || continue
			[ "$what" = out ] && case "; $checks;" in *"; out;"*) ;; *) continue ;; esac
			[ "$what" = rc ] && case $rcs in *@@*) continue ;; esac
			if cmp -s "$COMPAT_WORK/$first/$name/$what" "$file"; then
				compat_pass "compat/$label-vs-$first/$name/${what%.txt}"
			else
				compat_fail "compat/$label-vs-$first/$name/${what%.txt}" \
					"$(diff "$COMPAT_WORK/$first/$name/$what" "$file" 2>&1 | head -8 | tr '\n' ' ')"
			fi
		done
	done
}

# compat_run_table TABLE WHERE: every row of TABLE whose first field is WHERE,
# once per "label=path" of $COMPAT_TOOLS.
compat_run_table() {
	local table=$1 where=$2 spec label tool line
	COMPAT_LABELS=
	for spec in $COMPAT_TOOLS; do COMPAT_LABELS="$COMPAT_LABELS ${spec%%=*}"; done
	while IFS= read -r line; do
		case $line in ''|'#'*) continue ;; esac
		IFS='|' read -r f_where f_name f_fixture f_stdin f_cmd f_rc f_out f_err f_checks <<EOF
$line
EOF
		[ "$(compat_trim "$f_where")" = "$where" ] || continue
		f_name=$(compat_trim "$f_name")
		if [ -n "${COMPAT_ONLY:-}" ]; then
			case $f_name in $COMPAT_ONLY) ;; *) continue ;; esac
		fi
		for spec in $COMPAT_TOOLS; do
			label=${spec%%=*}
			tool=${spec#*=}
			compat_run_row "$label" "$tool" "$f_name" "$(compat_trim "$f_fixture")" \
				"$(compat_trim "$f_stdin")" "$(compat_trim "$f_cmd")" "$(compat_trim "$f_rc")" \
				"$(compat_trim "$f_out")" "$(compat_trim "$f_err")" "$(compat_trim "$f_checks")" \
				</dev/null
		done
		compat_cross "$f_name" "$(compat_trim "$f_checks")" "$f_rc"
	done <"$table"
}
