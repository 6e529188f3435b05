#!/bin/bash
# header_file_hostile.sh: format --header H DATA where H is not a plain
# new name (issue 19): a symbolic link, dangling or planted by another
# user, a FIFO, a directory, an existing file too small or big enough; and
# a name swapped for a symbolic link by another user while luksvol formats
# in a shared directory.  cryptsetup 2.6.1 and luksvol-as-cryptsetup run the
# same command lines; nothing outside the intended file may be written.
set -u
source "$(dirname "$0")/../lib.sh"
DIR=$LV_WORK/header-hostile
rm -rf "$DIR"
mkdir -p "$DIR/bin"
ln -s "$LUKSVOL" "$DIR/bin/cryptsetup"
FAST=(--pbkdf pbkdf2 --pbkdf-force-iterations 1000)
DATA=$DIR/data.img
truncate -s 8M "$DATA"
printf 'hostile-0' >"$DIR/k0"

# fmt TOOL H: luksFormat --header H DATA with TOOL (cryptsetup's path or
# luksvol's symlink); its exit code in RC, its stderr in $DIR/err.
fmt() {
	"$1" luksFormat -q --type luks2 "${FAST[@]}" --key-file "$DIR/k0" --header "$2" "$DATA" \
		>"$DIR/out" 2>"$DIR/err"
	RC=$?
}

digest() { sha256sum <"$1" | cut -d' ' -f1; }

# One hostile name, in a fresh directory for each tool: the exit code and
# message (cryptsetup's, or luksvol's WANT_MSG where it refuses on purpose)
# and the victim's bytes.
case_for() {
	local name=$1 want_cs=$2 want_lv=$3 msg=$4 setup=$5 tool dir rc_want
	for tool in cryptsetup luksvol; do
		dir=$DIR/$name-$tool
		rm -rf "$dir"
		mkdir -p "$dir"
		head -c 1048576 /dev/urandom >"$dir/victim"
		(cd "$dir" && eval "$setup")
		local before
		before=$(digest "$dir/victim")
		if [ "$tool" = cryptsetup ]; then
			fmt "$(command -v cryptsetup)" "$dir/hdr"
			rc_want=$want_cs
		else
			fmt "$DIR/bin/cryptsetup" "$dir/hdr"
			rc_want=$want_lv
		fi
		t_same "hostile/$name/$tool/exit" "$RC" "$rc_want"
		if [ "$tool" = cryptsetup ]; then
			CS_VICTIM_WRITTEN=$([ "$(digest "$dir/victim")" = "$before" ] && echo no || echo yes)
		else
			if { [ -z "$msg" ] && [ ! -s "$DIR/err" ]; } ||
				{ [ -n "$msg" ] && grep -qE -- "$msg" "$DIR/err"; }; then
				t_pass "hostile/$name/luksvol/message"
			else
				t_fail "hostile/$name/luksvol/message" "$(head -c 300 "$DIR/err")"
			fi
			t_same "hostile/$name/luksvol/victim-untouched" "$(digest "$dir/victim")" "$before"
			t_same "hostile/$name/luksvol/no-file-left" \
				"$(cd "$dir" && ls | grep -vx 'victim\|hdr\|target' | tr '\n' ' ')" ""
		fi
	done
}

test_hostile_names() {
	# A dangling symbolic link: neither tool creates its target.
	case_for dangling-link 1 1 '^Cannot create header file .*/hdr\.$' 'ln -s target hdr'
	[ -e "$DIR/dangling-link-luksvol/target" ] && t_fail hostile/dangling-link/no-target made ||
		t_pass hostile/dangling-link/no-target
	# A directory or a FIFO: the wrong device (cryptsetup blocks on the FIFO:
	# luksvol's side only).
	case_for directory 4 4 '^Device .*/hdr is not compatible\.$' 'mkdir hdr'
	mkfifo "$DIR/fifo"
	fmt "$DIR/bin/cryptsetup" "$DIR/fifo"
	t_same hostile/fifo/luksvol/exit "$RC" 4
	# An existing file shorter than a sector is too small for both; one of
	# a sector or more is formatted and grown to the header area by both.
	case_for small-file 1 1 '^Device .*/hdr is too small\.$' 'head -c 100 /dev/zero >hdr'
	case_for existing-file 0 0 '' 'truncate -s 4096 hdr'
	t_same hostile/existing-file/grown "$(stat -c %s "$DIR/existing-file-luksvol/hdr")" 16777216
	# A link to the victim, planted by another user: cryptsetup formats the
	# victim; luksvol refuses to follow it.
	case_for planted-link 0 1 'a symbolic link owned by another user' \
		'ln -s victim hdr && chown -h nobody hdr'
	t_same hostile/planted-link/cryptsetup-writes-the-victim "$CS_VICTIM_WRITTEN" yes
}

# The caller's own link (as /dev/disk/by-* links are root's) is followed.
test_own_link() {
	local dir=$DIR/own-link
	mkdir -p "$dir"
	truncate -s 1M "$dir/target"
	ln -s target "$dir/hdr"
	fmt "$DIR/bin/cryptsetup" "$dir/hdr"
	t_same hostile/own-link/exit "$RC" 0
	t_expect hostile/own-link/cryptsetup-opens 0 cryptsetup open --test-passphrase \
		--key-file "$DIR/k0" --header "$dir/target" "$DATA"
}

# A failed format names the header as given (not the descriptor it writes
# through) and removes the file it made; cryptsetup leaves it behind.
test_failure_names_the_header() {
	(trap '' XFSZ; ulimit -f 1024; exec "$LUKSVOL" format -q "${FAST[@]}" --key-file "$DIR/k0" \
		--header "$DIR/big.hdr" "$DATA") >"$DIR/out" 2>"$DIR/err"
	t_same hostile/too-big/exit "$?" 1
	if grep -q "^luksvol: $DIR/big.hdr: cannot extend the header file" "$DIR/err" &&
		! grep -q /proc/ "$DIR/err"; then
		t_pass hostile/too-big/message-names-the-header
	else
		t_fail hostile/too-big/message-names-the-header "$(head -c 300 "$DIR/err")"
	fi
	[ -e "$DIR/big.hdr" ] && t_fail hostile/too-big/file-removed "$DIR/big.hdr is left" ||
		t_pass hostile/too-big/file-removed
}

# Another user swaps the header name for a link to the victim, over and
# over, in a directory both may write, while luksvol formats there: every
# run formats the file it made or refuses the link; the victim is never
# written.
test_race() {
	local race=$DIR/race victim=$DIR/race-victim before rc bad="" i pid
	mkdir -p "$race"
	chmod 0777 "$race"
	head -c 1048576 /dev/urandom >"$victim"
	before=$(digest "$victim")
	setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups -- /bin/sh -c '
		while :; do
			ln -s "$1" "$2/l" 2>/dev/null; mv -fT "$2/l" "$2/hdr" 2>/dev/null
			rm -f "$2/hdr"
		done' race "$victim" "$race" &
	pid=$!
	for i in $(seq 20); do
		rm -f "$race/hdr"
		"$LUKSVOL" format -q "${FAST[@]}" --key-file "$DIR/k0" --header "$race/hdr" "$DATA" \
			>/dev/null 2>"$DIR/race.err"
		rc=$?
		case $rc in
		0) ;;
		1) grep -q 'owned by another user\|changed while being opened' "$DIR/race.err" ||
			bad="$bad $i:$(head -c 100 "$DIR/race.err")" ;;
		*) bad="$bad $i:exit-$rc" ;;
		esac
	done
	kill "$pid"
	wait "$pid" 2>/dev/null
	t_same hostile/race/victim-untouched "$(digest "$victim")" "$before"
	t_same hostile/race/outcomes "$bad" ""
}

test_hostile_names
test_own_link
test_failure_names_the_header
test_race
rm -rf "$DIR"
