#!/bin/bash
# exit_codes.sh: exit codes where the device is not what a verb expects,
# and when the metadata lock cannot be taken (issue 13 item 16), each
# checked against cryptsetup on the same input.
#  - a directory, /dev/null, /dev/zero, a FIFO: "wrong device", exit 4 (as
#    cryptsetup's "Device X is not compatible"), never a hang on the FIFO
#    (cryptsetup hangs there);
#  - flock failing (ENOLCK, injected into the flock system call by strace,
#    as a filesystem without locks returns it): exit 5 for every verb but
#    format, whose lock failure cryptsetup reports as exit 1; is-luks does
#    not call a valid image "not a LUKS device".
set -u
source "$(dirname "$0")/../lib.sh"
pristine_fixture exit_codes 24M 'exit code passphrase' 'exit code second'
IMG=$DIR/img

# verb NAME: the luksvol and cryptsetup command lines of each verb, with
# DEV where the device goes.
lv_args() {
	case $1 in
	dump) echo dump DEV ;;
	is-luks) echo is-luks DEV ;;
	format) echo format -q "${FAST[*]}" --key-file "$KEY" DEV ;;
	add-key) echo add-key "${FAST[*]}" --key-file "$KEY" --new-key-file "$NEW" DEV ;;
	test-passphrase) echo open --test-passphrase --key-file "$KEY" DEV ;;
	header-backup) echo header-backup --header-backup-file "$DIR/backup.$RANDOM" DEV ;;
	config) echo config --label x DEV ;;
	repair) echo repair DEV ;;
	esac
}
cs_args() {
	case $1 in
	dump) echo luksDump DEV ;;
	is-luks) echo isLuks DEV ;;
	format) echo luksFormat -q --type luks2 "${FAST[*]}" --key-file "$KEY" DEV ;;
	add-key) echo luksAddKey "${FAST[*]}" --key-file "$KEY" DEV "$NEW" ;;
	test-passphrase) echo open --test-passphrase --key-file "$KEY" DEV ;;
	header-backup) echo luksHeaderBackup --header-backup-file "$DIR/backup.$RANDOM" DEV ;;
	config) echo config --label x DEV ;;
	repair) echo repair -q DEV ;;
	esac
}
VERBS="dump is-luks format add-key test-passphrase header-backup config repair"

# run_with DEV ARGS...: the command with DEV in place; exit code on stdout.
run_with() {
	local dev=$1 a out=()
	shift
	for a in "$@"; do [ "$a" = DEV ] && out+=("$dev") || out+=("$a"); done
	timeout -s KILL 20 "${out[@]}" </dev/null >"$DIR/run.out" 2>&1
	echo $?
}

# Not a device: luksvol's exit code, cryptsetup's, and an untouched target.
test_not_a_device() {
	local target name verb lv cs
	mkdir -p "$DIR/dir"
	rm -f "$DIR/fifo"
	mkfifo "$DIR/fifo"
	for target in "$DIR/dir" /dev/null /dev/zero "$DIR/fifo"; do
		name=$(basename "$target")
		for verb in $VERBS; do
			# shellcheck disable=SC2046
			lv=$(run_with "$target" "$LUKSVOL" $(lv_args $verb))
			cp "$DIR/run.out" "$DIR/lv.out"
			t_same "exit-code/$name/$verb" "$lv" 4
			if ! grep -q 'not a block device or a regular file' "$DIR/lv.out"; then
				t_fail "exit-code/$name/$verb/message" "$(head -c 200 "$DIR/lv.out")"
			fi
			# cryptsetup blocks in open(2) on a FIFO, and it ignores
			# SIGTERM: it is compared on the others only.
			[ "$name" = fifo ] && continue
			# shellcheck disable=SC2046
			cs=$(run_with "$target" cryptsetup $(cs_args $verb))
			t_same "exit-code/$name/$verb/cryptsetup" "$cs" "$lv"
		done
	done
	t_same exit-code/dir-still-empty "$(ls -A "$DIR/dir")" ""
	rm -f "$DIR/fifo"
}

# flock fails: strace makes the flock system call return ENOLCK.  (Leak
# checking cannot run under ptrace: the ASan build runs without it here.)
NO_LOCKS=(env ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 strace -f -o /dev/null
	-e inject=flock:error=ENOLCK)
test_flock_fails() {
	local verb lv cs want
	for verb in $VERBS; do
		want=5
		[ "$verb" = format ] && want=1
		cp "$PRISTINE" "$IMG"
		# shellcheck disable=SC2046
		lv=$(run_with "$IMG" "${NO_LOCKS[@]}" "$LUKSVOL" $(lv_args $verb))
		cp "$DIR/run.out" "$DIR/lv.out"
		t_same "exit-code/flock/$verb" "$lv" "$want"
		if grep -q 'cannot lock the metadata' "$DIR/lv.out"; then
			t_pass "exit-code/flock/$verb/message"
		else
			t_fail "exit-code/flock/$verb/message" "$(head -c 200 "$DIR/lv.out")"
		fi
		if grep -q 'not a LUKS' "$DIR/lv.out"; then
			t_fail "exit-code/flock/$verb/not-called-not-luks" "$(head -c 200 "$DIR/lv.out")"
		fi
		if cmp -s "$IMG" "$PRISTINE"; then
			t_pass "exit-code/flock/$verb/unchanged"
		else
			t_fail "exit-code/flock/$verb/unchanged" "the image changed"
		fi
		cp "$PRISTINE" "$IMG"
		# shellcheck disable=SC2046
		cs=$(run_with "$IMG" "${NO_LOCKS[@]}" cryptsetup $(cs_args $verb))
		t_same "exit-code/flock/$verb/cryptsetup" "$cs" "$lv"
	done
	# The same image without the fault: is-luks says yes.
	t_expect exit-code/flock/is-luks-without-fault 0 "$LUKSVOL" is-luks "$PRISTINE"
}

test_not_a_device
test_flock_fails
rm -f "$DIR"/*.img "$IMG" "$DIR"/backup.*
