# t_dm_live.sh: resize, refresh, suspend and resume of live mappings by
# the library (tests/vm/dm_calls) against cryptsetup 2.6.1 doing the same
# to the same device: dmsetup's table and info and cryptsetup's status
# must come out identical.  Oracle facts: tests/compat/README.md.
DMC=/bin/dm_calls

# dmsetup's table (no keys), DM UUID and attributes, and cryptsetup's status.
live_view() {
	echo "$(dmsetup table "$1") | $(dmsetup info -c -o uuid,attr --noheadings "$1") |" \
		"$(cryptsetup status "$1" 2>&1 | tr -s ' ' | tr '\n' ';')"
}

# The key field of the live table: hex, or :<bytes>:logon:<description>.
live_key() {
	dmsetup table --showkeys "$1" | cut -d' ' -f5
}

live_size() {
	dmsetup table "$1" | cut -d' ' -f2
}

# same_view NAME MAPPING WANT: the mapping looks as cryptsetup left its own.
same_view() {
	got=$(live_view "$2")
	if [ -n "$3" ] && [ "$got" = "$3" ]; then pass "$1"; else fail "$1" "luksvol '$got' cryptsetup '$3'"; fi
}

live_pattern() {
	dd if=/dev/urandom of=/tmp/live.pat bs=512 count=200 2>/dev/null
	dd if=/tmp/live.pat of="/dev/mapper/$1" bs=512 conv=fsync 2>/dev/null
}

live_data_intact() {
	got=$(head -c 102400 "/dev/mapper/$2" | sha256sum | cut -d' ' -f1)
	same "$1" "$got" "$(sha256sum </tmp/live.pat | cut -d' ' -f1)"
}

# /dev/vda (64 MiB, data at 16 MiB: 98304 sectors), keyring key.
live_resize_block() {
	$LUKSVOL format -q $FAST --key-file $KEY /dev/vda
	cryptsetup open --key-file $KEY /dev/vda rs
	cryptsetup resize --key-file $KEY --size 20000 rs
	want=$(live_view rs)
	cryptsetup close rs

	$LUKSVOL open --key-file $KEY /dev/vda rs
	live_pattern rs
	expect resize/shrink 0 $DMC resize /dev/vda rs 20000 $KEY
	same_view resize/shrink-as-cryptsetup rs "$want"
	case $(live_key rs) in
	:64:logon:cryptsetup:*) pass resize/keyring-key-kept ;;
	*) fail resize/keyring-key-kept "key field $(live_key rs | cut -c1-12)..." ;;
	esac
	live_data_intact resize/data-intact rs
	expect resize/same-size 0 $DMC resize /dev/vda rs 20000 $KEY
	expect resize/whole-device 0 $DMC resize /dev/vda rs 0 $KEY
	same resize/whole-device-size "$(live_size rs)" 98304

	before=$(live_view rs)
	expect resize/past-device 1 $DMC resize /dev/vda rs 98305 $KEY
	same resize/past-device-unchanged "$(live_view rs)" "$before"
	expect resize/keyring-needs-key 2 $DMC resize /dev/vda rs 1000 -
	expect resize/wrong-passphrase 2 $DMC resize /dev/vda rs 1000 $WRONG
	same resize/refused-unchanged "$(live_view rs)" "$before"
	expect resize/no-such-mapping 4 $DMC resize /dev/vda nonesuch 1000 $KEY
	$LUKSVOL close rs
}

# A hex key in the table (--disable-keyring) is reused without a passphrase.
live_resize_hex_key() {
	$LUKSVOL format -q $FAST --key-file $KEY /dev/vda
	$LUKSVOL open --disable-keyring --key-file $KEY /dev/vda hx
	key=$(live_key hx)
	expect resize/hex-key-without-passphrase 0 $DMC resize /dev/vda hx 30000 -
	same resize/hex-key-size "$(live_size hx)" 30000
	same resize/hex-key-kept "$(live_key hx)" "$key"
	$LUKSVOL close hx
}

# An image file: its loop device re-reads the grown file's size first.
live_resize_loop() {
	dd if=/dev/zero of=/tmp/grow.img bs=1M count=24 2>/dev/null
	$LUKSVOL format -q $FAST --key-file $KEY /tmp/grow.img
	cryptsetup open --key-file $KEY /tmp/grow.img gr
	truncate -s 40M /tmp/grow.img
	cryptsetup resize --key-file $KEY gr
	want=$(live_view gr)
	cryptsetup close gr
	truncate -s 24M /tmp/grow.img

	$LUKSVOL open --key-file $KEY /tmp/grow.img gr
	same resize/loop-before "$(live_size gr)" 16384
	truncate -s 40M /tmp/grow.img
	expect resize/loop-grown 0 $DMC resize /tmp/grow.img gr 0 $KEY
	same resize/loop-size "$(live_size gr)" 49152
	same_view resize/loop-as-cryptsetup gr "$want"
	$LUKSVOL close gr
	same resize/loop-detached "$(losetup -a 2>/dev/null)" ""
}

# Sector size 4096: the length must be whole 4096-byte sectors.
live_resize_sector() {
	$LUKSVOL format -q $FAST --sector-size 4096 --key-file $KEY /dev/vda
	$LUKSVOL open --key-file $KEY /dev/vda s4
	expect resize/unaligned-refused 1 $DMC resize /dev/vda s4 1001 $KEY
	expect resize/aligned 0 $DMC resize /dev/vda s4 1000 $KEY
	same resize/aligned-size "$(live_size s4)" 1000
	case $(dmsetup table s4) in
	*sector_size:4096*) pass resize/sector-size-kept ;;
	*) fail resize/sector-size-kept "$(dmsetup table s4)" ;;
	esac
	$LUKSVOL close s4
}

# Another device's header, or a copy of this one on another device.
live_wrong_header() {
	$LUKSVOL format -q $FAST --key-file $KEY /dev/vda
	$LUKSVOL open --key-file $KEY /dev/vda wh
	before=$(live_view wh)
	dd if=/dev/zero of=/tmp/other.img bs=1M count=20 2>/dev/null
	$LUKSVOL format -q $FAST --key-file $KEY /tmp/other.img
	expect wrong-header/other-uuid 1 $DMC resize /tmp/other.img wh 1000 $KEY
	expect wrong-header/other-uuid-refresh 1 $DMC refresh /tmp/other.img wh $KEY
	dd if=/dev/vda of=/tmp/clone.img bs=1M count=20 2>/dev/null
	expect wrong-header/same-uuid-other-device 1 $DMC resize /tmp/clone.img wh 1000 $KEY
	same wrong-header/unchanged "$(live_view wh)" "$before"
	$LUKSVOL close wh
	rm -f /tmp/other.img /tmp/clone.img
}

live_refresh() {
	$LUKSVOL format -q $FAST --key-file $KEY /dev/vda
	cryptsetup open --key-file $KEY /dev/vda rf
	cryptsetup refresh --key-file $KEY --allow-discards --perf-no_read_workqueue rf
	want_flags=$(live_view rf)
	cryptsetup refresh --key-file $KEY rf
	want_plain=$(live_view rf)
	cryptsetup close rf

	$LUKSVOL open --key-file $KEY /dev/vda rf
	live_pattern rf
	expect refresh/flags 0 $DMC refresh /dev/vda rf $KEY --allow-discards --perf-no_read_workqueue
	same_view refresh/flags-as-cryptsetup rf "$want_flags"
	expect refresh/no-flags 0 $DMC refresh /dev/vda rf $KEY
	same_view refresh/no-flags-as-cryptsetup rf "$want_plain"
	live_data_intact refresh/data-intact rf
	before=$(live_view rf)
	expect refresh/wrong-passphrase 2 $DMC refresh /dev/vda rf $WRONG --allow-discards
	same refresh/wrong-passphrase-unchanged "$(live_view rf)" "$before"
	expect refresh/no-such-mapping 4 $DMC refresh /dev/vda nonesuch $KEY
	$LUKSVOL close rf

	$LUKSVOL open --readonly --key-file $KEY /dev/vda ro
	expect refresh/readonly 0 $DMC refresh /dev/vda ro $KEY --allow-discards
	case $(dmsetup info -c -o attr --noheadings ro) in
	*r*) pass refresh/readonly-kept ;;
	*) fail refresh/readonly-kept "$(dmsetup info -c -o attr --noheadings ro)" ;;
	esac
	$LUKSVOL close ro
}

live_suspend() {
	$LUKSVOL format -q $FAST --key-file $KEY /dev/vda
	cryptsetup open --key-file $KEY /dev/vda sp
	cryptsetup luksSuspend sp
	want_suspended=$(live_view sp)
	cryptsetup luksResume --key-file $KEY sp
	want_resumed=$(live_view sp)
	cryptsetup close sp

	$LUKSVOL open --key-file $KEY /dev/vda sp
	live_pattern sp
	expect suspend/luksvol 0 $DMC suspend sp
	same_view suspend/as-cryptsetup sp "$want_suspended"
	case $(live_key sp) in
	*[1-9a-f]*|"") fail suspend/key-wiped "key field not all zeros" ;;
	*) pass suspend/key-wiped ;;
	esac
	# I/O waits while suspended and completes after the resume.
	dd if=/dev/mapper/sp of=/tmp/blocked bs=4096 skip=2000 count=1 2>/dev/null &
	reader=$!
	sleep 1
	if kill -0 $reader 2>/dev/null; then pass suspend/io-waits; else fail suspend/io-waits "read finished while suspended"; fi
	expect suspend/again-refused 1 $DMC suspend sp
	expect resume/wrong-passphrase 2 $DMC resume /dev/vda sp $WRONG
	same resume/wrong-passphrase-still-suspended "$(dmsetup info -c -o attr --noheadings sp | cut -c3)" s
	expect resize/suspended-refused 1 $DMC resize /dev/vda sp 1000 $KEY
	expect resume/luksvol 0 $DMC resume /dev/vda sp $KEY
	same_view resume/as-cryptsetup sp "$want_resumed"
	wait $reader
	same resume/io-completed "$(stat -c %s /tmp/blocked)" 4096
	live_data_intact resume/data-intact sp
	expect resume/not-suspended 1 $DMC resume /dev/vda sp $KEY

	# Across the tools, both ways.
	cryptsetup luksSuspend sp
	expect resume/after-cryptsetup-suspend 0 $DMC resume /dev/vda sp $KEY
	expect suspend/then-cryptsetup-resume 0 $DMC suspend sp
	expect resume/cryptsetup-resumes-luksvol 0 cryptsetup luksResume --key-file $KEY sp
	live_data_intact resume/data-intact-across sp

	$DMC suspend sp
	expect resume/disable-keyring 0 $DMC resume /dev/vda sp $KEY --disable-keyring
	vk=$($LUKSVOL dump --volume-key -q --key-file $KEY /dev/vda | sed -n '/MK dump/,$p' |
		sed 's/MK dump://' | tr -d ' \t\n')
	same resume/hex-key-is-volume-key "$(live_key sp)" "$vk"
	$LUKSVOL close sp

	expect suspend/no-such-mapping 4 $DMC suspend nonesuch
	dmsetup create notluks --table "0 8 zero"
	expect suspend/not-luks 4 $DMC suspend notluks
	dmsetup remove notluks
}

# The same through the command line: luksvol resize, refresh, suspend,
# resume and status against cryptsetup's verbs on the same volume.
live_cli() {
	$LUKSVOL format -q $FAST --key-file $KEY /dev/vda
	cryptsetup open --key-file $KEY /dev/vda cl
	cryptsetup resize --key-file $KEY --size 20000 cl
	cryptsetup luksSuspend cl
	want_suspended=$(live_view cl)
	cryptsetup luksResume --key-file $KEY cl
	want_resumed=$(live_view cl)
	cryptsetup close cl

	$LUKSVOL open --key-file $KEY /dev/vda cl
	live_pattern cl
	expect cli/resize 0 $LUKSVOL resize --key-file $KEY --size 20000 cl
	expect cli/suspend 0 $LUKSVOL suspend cl
	same_view cli/suspend-as-cryptsetup cl "$want_suspended"
	expect cli/status-suspended 0 $LUKSVOL status cl
	if grep -q '^  mode:    read/write (suspended)$' /tmp/out; then pass cli/status-says-suspended; else fail cli/status-says-suspended "$(cat /tmp/out)"; fi
	expect cli/suspend-again 1 $LUKSVOL suspend cl
	expect cli/resume-wrong-passphrase 2 $LUKSVOL resume --key-file $WRONG cl
	expect cli/resume 0 $LUKSVOL resume --key-file $KEY cl
	same_view cli/resume-as-cryptsetup cl "$want_resumed"
	expect cli/resume-not-suspended 1 $LUKSVOL resume --key-file $KEY cl
	expect cli/resize-wrong-passphrase 2 $LUKSVOL resize --key-file $WRONG --size 10000 cl
	expect cli/resize-device-size 0 $LUKSVOL resize --key-file $KEY --device-size 10M cl
	same cli/resize-device-size-sectors "$(live_size cl)" 20480
	expect cli/resize-whole 0 $LUKSVOL resize --key-file $KEY cl
	same cli/resize-whole-sectors "$(live_size cl)" 98304
	expect cli/resize-both-sizes 1 $LUKSVOL resize --key-file $KEY --size 8 --device-size 4096 cl
	expect cli/refresh-discards 0 $LUKSVOL refresh --key-file $KEY --allow-discards cl
	case $(dmsetup table cl) in
	*" 1 allow_discards") pass cli/refresh-table ;;
	*) fail cli/refresh-table "$(dmsetup table cl)" ;;
	esac
	live_data_intact cli/data-intact cl
	$LUKSVOL close cl
	expect cli/no-such-mapping 4 $LUKSVOL resize --key-file $KEY nonesuch
	expect cli/suspend-no-such-mapping 4 $LUKSVOL suspend nonesuch
}

close_all
live_resize_block
close_all
live_resize_hex_key
close_all
live_resize_loop
close_all
live_resize_sector
close_all
live_wrong_header
close_all
live_refresh
close_all
live_suspend
close_all
live_cli
close_all
