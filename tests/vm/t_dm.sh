# t_dm.sh: dm-crypt activation by luksvol against cryptsetup and dmsetup,
# on a real kernel (luks2-reference.md §4; issue: dm-crypt activation).

# Data written through one tool's mapping reads back through the other's.
dm_data_both_ways() {
	dd if=/dev/urandom of=/tmp/data bs=1M count=16 2>/dev/null
	data_sum=$(sha256sum </tmp/data | cut -d' ' -f1)

	$LUKSVOL format -q $FAST --key-file $KEY /dev/vda
	expect data/luksvol-open 0 $LUKSVOL open --key-file $KEY /dev/vda lvdata
	if [ -b /dev/mapper/lvdata ]; then pass data/node-created; else fail data/node-created "no /dev/mapper/lvdata"; fi
	dd if=/tmp/data of=/dev/mapper/lvdata bs=1M conv=fsync 2>/dev/null
	expect data/luksvol-close 0 $LUKSVOL close lvdata
	if [ -e /dev/mapper/lvdata ]; then fail data/node-removed "node left behind"; else pass data/node-removed; fi
	expect data/cryptsetup-open 0 cryptsetup open --key-file $KEY /dev/vda csdata
	got=$(head -c 16777216 /dev/mapper/csdata | sha256sum | cut -d' ' -f1)
	same data/cryptsetup-reads-luksvol-writes "$got" "$data_sum"
	cryptsetup close csdata

	echo -n "reverse" | cryptsetup luksFormat -q $FAST --key-file $KEY /dev/vda
	cryptsetup open --key-file $KEY /dev/vda csdata
	dd if=/tmp/data of=/dev/mapper/csdata bs=1M conv=fsync 2>/dev/null
	cryptsetup close csdata
	expect data/luksvol-opens-cryptsetup-volume 0 $LUKSVOL open --key-file $KEY /dev/vda lvdata
	got=$(head -c 16777216 /dev/mapper/lvdata | sha256sum | cut -d' ' -f1)
	same data/luksvol-reads-cryptsetup-writes "$got" "$data_sum"
	$LUKSVOL close lvdata
}

# dmsetup's view of a mapping: table without keys, DM UUID, attributes.
dm_view() {
	echo "$(dmsetup table "$1") | $(dmsetup info -c -o uuid,attr --noheadings "$1")"
}

# Each option, each sector size: luksvol's table equals cryptsetup's.
dm_tables_match() {
	for sector in 512 4096; do
		$LUKSVOL format -q $FAST --sector-size $sector --key-file $KEY /dev/vda
		for opt in "" --allow-discards --perf-same_cpu_crypt --perf-submit_from_crypt_cpus \
			--perf-no_read_workqueue --perf-no_write_workqueue --readonly \
			"--allow-discards --perf-no_read_workqueue --perf-no_write_workqueue"; do
			name=table/s$sector$(echo "$opt" | tr -d ' ')
			$LUKSVOL open $opt --key-file $KEY /dev/vda same
			ours=$(dm_view same)
			$LUKSVOL close same
			cryptsetup open $opt --key-file $KEY /dev/vda same
			theirs=$(dm_view same)
			cryptsetup close same
			if [ -n "$ours" ] && [ "$ours" = "$theirs" ]; then
				pass "$name"
			else
				fail "$name" "luksvol '$ours' cryptsetup '$theirs'"
			fi
		done
	done
}

dm_keyring() {
	$LUKSVOL format -q $FAST --key-file $KEY /dev/vda
	$LUKSVOL open --key-file $KEY /dev/vda keyed
	table=$(dmsetup table --showkeys keyed)
	case $table in
	*" :64:logon:cryptsetup:"*) pass keyring/table-names-key ;;
	*) fail keyring/table-names-key "$table" ;;
	esac
	$LUKSVOL close keyed
	$LUKSVOL open --disable-keyring --key-file $KEY /dev/vda keyed
	hex=$(dmsetup table --showkeys keyed | cut -d' ' -f5)
	vk=$($LUKSVOL dump --volume-key -q --key-file $KEY /dev/vda | sed -n '/MK dump/,$p' |
		sed 's/MK dump://' | tr -d ' \t\n')
	if [ ${#hex} -eq 128 ] && [ "$hex" = "$vk" ]; then
		pass keyring/disabled-gives-hex-key
	else
		fail keyring/disabled-gives-hex-key "table key of ${#hex} characters does not match"
	fi
	$LUKSVOL close keyed
}

dm_cross_status_close() {
	$LUKSVOL format -q $FAST --key-file $KEY /dev/vda
	$LUKSVOL open --key-file $KEY /dev/vda ours
	expect status/cryptsetup-on-luksvol 0 cryptsetup status ours
	if grep -q 'type: *LUKS2' /tmp/out; then pass status/cryptsetup-sees-luks2; else fail status/cryptsetup-sees-luks2 "$(cat /tmp/out)"; fi
	expect close/cryptsetup-closes-luksvol 0 cryptsetup close ours
	cryptsetup open --key-file $KEY /dev/vda theirs
	expect status/luksvol-on-cryptsetup 0 $LUKSVOL status theirs
	expect status/luksvol-json 0 $LUKSVOL status --json theirs
	if grep -q '"type": "LUKS2"' /tmp/out; then pass status/json-type; else fail status/json-type "$(cat /tmp/out)"; fi
	expect close/luksvol-closes-cryptsetup 0 $LUKSVOL close theirs
	same close/nothing-left "$(mappings)" ""
}

dm_bad_cases() {
	$LUKSVOL format -q $FAST --key-file $KEY /dev/vda
	expect bad/wrong-passphrase 2 $LUKSVOL open --key-file $WRONG /dev/vda nope
	same bad/wrong-passphrase-no-mapping "$(mappings)" ""

	$LUKSVOL open --key-file $KEY /dev/vda taken
	before=$(dm_view taken)
	expect bad/name-exists 5 $LUKSVOL open --key-file $KEY /dev/vda taken
	same bad/existing-untouched "$(dm_view taken)" "$before"

	exec 3</dev/mapper/taken
	expect bad/close-busy 5 $LUKSVOL close taken
	same bad/busy-still-mapped "$(mappings)" "taken"
	exec 3<&-
	expect bad/close-after-release 0 $LUKSVOL close taken

	expect bad/null-cipher-refused 1 $LUKSVOL open --key-file $KEY /test/null-cipher.img nullc
	same bad/null-cipher-no-mapping "$(mappings)" ""
	expect bad/requirements-refused 1 $LUKSVOL open --key-file /test/keys/req.key /test/requirements.img req
	same bad/requirements-no-mapping "$(mappings)" ""
	expect bad/capi-cipher-refused 1 $LUKSVOL open --key-file /test/keys/capi.key /test/invalid-cipher.img capi
	same bad/capi-no-mapping "$(mappings)" ""
	same bad/no-loop-left "$(losetup -a 2>/dev/null)" ""
}

# An image file gets a loop device that goes away with the mapping.
dm_image_file() {
	dd if=/dev/zero of=/tmp/file.img bs=1M count=24 2>/dev/null
	$LUKSVOL format -q $FAST --key-file $KEY /tmp/file.img
	expect file/open 0 $LUKSVOL open --key-file $KEY /tmp/file.img onfile
	expect file/status 0 $LUKSVOL status onfile
	if grep -q 'loop: */tmp/file.img' /tmp/out; then pass file/status-names-file; else fail file/status-names-file "$(cat /tmp/out)"; fi
	echo hello | dd of=/dev/mapper/onfile conv=fsync 2>/dev/null
	expect file/close 0 $LUKSVOL close onfile
	same file/loop-detached "$(losetup -a 2>/dev/null)" ""
	expect file/cryptsetup-reads 0 cryptsetup open --key-file $KEY /tmp/file.img csfile
	same file/data "$(head -c 5 /dev/mapper/csfile)" "hello"
	cryptsetup close csfile
}

dm_persistent() {
	$LUKSVOL format -q $FAST --key-file $KEY /dev/vda
	expect persistent/open 0 $LUKSVOL open --persistent --allow-discards --key-file $KEY /dev/vda pers
	$LUKSVOL close pers
	if cryptsetup luksDump /dev/vda | grep -q '^Flags:.*allow-discards'; then
		pass persistent/stored
	else
		fail persistent/stored "$(cryptsetup luksDump /dev/vda | grep Flags)"
	fi
	$LUKSVOL open --key-file $KEY /dev/vda pers
	case $(dmsetup table pers) in
	*allow_discards*) pass persistent/applied ;;
	*) fail persistent/applied "$(dmsetup table pers)" ;;
	esac
	$LUKSVOL close pers
}

close_all
dm_data_both_ways
close_all
dm_tables_match
close_all
dm_keyring
close_all
dm_cross_status_close
close_all
dm_bad_cases
close_all
dm_image_file
close_all
dm_persistent
close_all

# LIST_DEVICES replies larger than the first 16 KiB buffer: the ioctl is
# retried with a bigger one, and every mapping is still listed.
dm_list_many() {
	long=$(printf 'x%.0s' $(seq 1 100))
	i=0
	while [ $i -lt 200 ]; do
		dmsetup create "z$i$long" --table "0 8 zero" >/dev/null 2>&1
		i=$((i + 1))
	done
	# Without the zero mappings the reply would fit the first buffer and
	# the retry would go untested.
	same list/200-other-mappings "$(mappings | grep -c '^z')" 200
	$LUKSVOL format -q $FAST --key-file $KEY /dev/vda
	$LUKSVOL open --key-file $KEY /dev/vda listed
	expect list/status-all 0 $LUKSVOL status
	same list/finds-crypt-among-200 "$(cut -f1 /tmp/out)" "listed"
	same list/type "$(cut -f2 /tmp/out)" "LUKS2"
	$LUKSVOL close listed
}
dm_list_many
close_all
