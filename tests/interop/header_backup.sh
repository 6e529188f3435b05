#!/bin/bash
# header_backup.sh: the backup file luksvol creates, as a hostile user
# would attack it (issue 13 item 2), with cryptsetup alongside.
#  - race: root backs up into a directory another user owns while that
#    user's process swaps a symlink to a root-owned victim in for every
#    backup file that appears; the victim must never change;
#  - a user who owns the image backs it up (mode 0400 file), as with
#    cryptsetup luksHeaderBackup, and both backups are the same bytes;
#  - an existing name, a symlink, a missing directory and a directory are
#    refused without touching what is there.
set -u
source "$(dirname "$0")/../lib.sh"
DIR=$(realpath -m "$LV_WORK/header_backup")
mkdir -p "$DIR"
USER_NAME=nobody
GROUP_NAME=$(id -gn nobody)
RACE_RUNS=${LV_BACKUP_RACE_RUNS:-30}
# The same race with a window that does not depend on the scheduler:
# strace holds luksvol for 20 ms after each openat returns (the backup's
# creation is one), as a preemption at that point would.
SLOW_RUNS=${LV_BACKUP_SLOW_RUNS:-10}
SLOW_OPENAT=(env ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 strace -f -o /dev/null
	-e inject=openat:delay_exit=20000)

as_user() { setpriv --reuid="$USER_NAME" --regid="$GROUP_NAME" --clear-groups -- "$@"; }

printf '%s' 'backup passphrase' >"$DIR/pass.key"
IMG=$DIR/img
# A 1 MiB keyslots area keeps each of the many backups below cheap.
cs_image "$IMG" 24M "$DIR/pass.key" --luks2-keyslots-size 1m

# The attacker: for every regular file named backup in its directory, put
# a symlink to the victim in its place (rename is atomic), as fast as it
# can, until told to stop.
race_helper() {
	/usr/bin/python3 - "$1" "$2" <<'EOF'
import os, stat, sys
d, victim = sys.argv[1], sys.argv[2]
name, link = os.path.join(d, "backup"), os.path.join(d, "link")
stop = os.path.join(d, "stop")
swaps = 0
while not os.path.exists(stop):
    try:
        if stat.S_ISREG(os.lstat(name).st_mode):
            os.symlink(victim, link)
            os.rename(link, name)
            swaps += 1
    except FileNotFoundError:
        pass
    except FileExistsError:
        os.unlink(link)
print(swaps)
EOF
}

test_symlink_race() {
	local race=$DIR/race victim=$DIR/victim before i changed=0 swapped rc
	rm -rf "$race"
	mkdir -p "$race"
	chown "$USER_NAME:$GROUP_NAME" "$race"
	head -c 4096 /dev/urandom >"$victim"
	chmod 600 "$victim"
	before=$(sha256sum <"$victim")
	as_user bash -c "$(declare -f race_helper); race_helper '$race' '$victim'" >"$DIR/swaps" &
	local helper=$!
	for ((i = 0; i < RACE_RUNS + SLOW_RUNS; i++)); do
		# root removes whatever the last run left (its file or the symlink)
		rm -f "$race/backup"
		if [ $i -lt "$RACE_RUNS" ]; then
			"$LUKSVOL" header-backup --header-backup-file "$race/backup" "$IMG" >/dev/null 2>&1
		else
			"${SLOW_OPENAT[@]}" "$LUKSVOL" header-backup --header-backup-file "$race/backup" \
				"$IMG" >/dev/null 2>&1
		fi
		rc=$?
		[ $rc -ge 128 ] && t_fail backup-race/no-crash "run $i: exit $rc"
		if [ "$(sha256sum <"$victim")" != "$before" ]; then
			changed=$((changed + 1))
			head -c 4096 /dev/urandom >"$victim"
			before=$(sha256sum <"$victim")
		fi
	done
	touch "$race/stop"
	wait "$helper"
	swapped=$(cat "$DIR/swaps")
	# The test means something only if the helper did swap files in.
	if [ "${swapped:-0}" -gt 0 ]; then
		t_pass backup-race/helper-swapped
	else
		t_fail backup-race/helper-swapped "the helper never swapped a backup file"
	fi
	t_same backup-race/victim-never-written "$changed of $((RACE_RUNS + SLOW_RUNS)) runs" \
		"0 of $((RACE_RUNS + SLOW_RUNS)) runs"
}

# A user who owns the image and the directory backs it up, with both tools.
test_user_backup() {
	local home=$DIR/user mode
	rm -rf "$home"
	mkdir -p "$home"
	cp "$IMG" "$home/img"
	chown -R "$USER_NAME:$GROUP_NAME" "$home"
	t_expect backup-user/cryptsetup 0 as_user cryptsetup luksHeaderBackup \
		--header-backup-file "$home/cs.backup" "$home/img"
	t_expect backup-user/luksvol 0 as_user "$LUKSVOL" header-backup \
		--header-backup-file "$home/lv.backup" "$home/img"
	mode=$(stat -c '%a %U' "$home/lv.backup" 2>/dev/null)
	t_same backup-user/mode-and-owner "$mode" "$(stat -c '%a %U' "$home/cs.backup" 2>/dev/null)"
	t_same backup-user/mode-0400 "$mode" "400 $USER_NAME"
	if cmp -s "$home/lv.backup" "$home/cs.backup"; then
		t_pass backup-user/same-bytes-as-cryptsetup
	else
		t_fail backup-user/same-bytes-as-cryptsetup "$(cmp "$home/lv.backup" "$home/cs.backup" 2>&1)"
	fi
	t_expect backup-user/cryptsetup-restores-it 0 cryptsetup luksHeaderRestore -q \
		--header-backup-file "$home/lv.backup" "$home/img"
}

# Refusals change nothing on disk.
test_refusals() {
	local d=$DIR/refusals before
	rm -rf "$d"
	mkdir -p "$d/dir"
	printf 'keep me' >"$d/existing"
	printf 'victim' >"$d/victim"
	ln -s "$d/victim" "$d/link"
	ln -s "$d/nowhere" "$d/dangling"
	before=$(cat "$d/existing" "$d/victim" | sha256sum)
	t_expect backup-refused/existing 5 "$LUKSVOL" header-backup --header-backup-file "$d/existing" "$IMG"
	t_expect backup-refused/symlink 5 "$LUKSVOL" header-backup --header-backup-file "$d/link" "$IMG"
	t_expect backup-refused/dangling-symlink 5 "$LUKSVOL" header-backup \
		--header-backup-file "$d/dangling" "$IMG"
	t_expect backup-refused/missing-directory 1 "$LUKSVOL" header-backup \
		--header-backup-file "$d/no/such" "$IMG"
	t_expect backup-refused/directory 5 "$LUKSVOL" header-backup --header-backup-file "$d/dir" "$IMG"
	t_expect backup-refused/trailing-slash 1 "$LUKSVOL" header-backup --header-backup-file "$d/new/" "$IMG"
	t_same backup-refused/nothing-changed "$(cat "$d/existing" "$d/victim" | sha256sum)" "$before"
	t_same backup-refused/nothing-created "$(ls "$d" | tr '\n' ' ')" "dangling dir existing link victim "
}

test_user_backup
test_refusals
test_symlink_race
