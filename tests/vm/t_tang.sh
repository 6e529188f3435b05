# t_tang.sh: `open --token-only` maps a volume bound to tang, on the
# kernel's dm-crypt: tangd behind socat on the VM's loopback, its keys
# made on the host (tests/vm/run.sh), the binding made by `luksvol bind
# tang`.  A server that is down maps nothing and says which server.

TANG_URL=http://127.0.0.1:7500

tang_vm_tests() {
	local img=/tmp/tang.img pid
	ip link set lo up
	socat TCP-LISTEN:7500,bind=127.0.0.1,reuseaddr,fork EXEC:"/bin/tangd /test/tang" 2>/dev/null &
	pid=$!
	sleep 1
	truncate -s 20M "$img"
	expect tang/format 0 "$LUKSVOL" format -q $FAST --key-file "$KEY" "$img"
	expect tang/bind 0 "$LUKSVOL" bind tang -q --url "$TANG_URL" --key-file "$KEY" "$img"
	expect tang/open-token-only 0 "$LUKSVOL" open --token-only "$img" tangvol
	same tang/mapped "$(mappings | grep -c '^tangvol$')" 1
	printf 'tang-bound data' | dd of=/dev/mapper/tangvol conv=fsync 2>/dev/null
	expect tang/close 0 "$LUKSVOL" close tangvol
	expect tang/reopen-with-passphrase 0 "$LUKSVOL" open --key-file "$KEY" "$img" tangvol
	same tang/data-kept "$(head -c 15 /dev/mapper/tangvol)" 'tang-bound data'
	expect tang/close-again 0 "$LUKSVOL" close tangvol
	kill "$pid"
	wait "$pid" 2>/dev/null
	expect tang/server-down 2 "$LUKSVOL" open --token-only --timeout 2 "$img" tangvol
	if grep -q "tang server $TANG_URL" /tmp/err; then
		pass tang/server-down-names-server
	else
		fail tang/server-down-names-server "$(head -c 300 /tmp/err | tr '\n' ' ')"
	fi
	same tang/server-down-maps-nothing "$(mappings | grep -c '^tangvol$')" 0
	rm -f "$img"
}

if [ -x /bin/tangd ] && [ -x /bin/socat ]; then
	tang_vm_tests
else
	fail tang/tools "tangd or socat is not in the VM (a build without WITH_CLEVIS?)"
fi
