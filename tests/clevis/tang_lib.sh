# tang_lib.sh: tang servers on loopback for the clevis tests (sourced):
# Debian's tangd behind socat (tokens-clevis-systemd.md §4), fresh keys for
# each server, and servers that refuse or hang.  Every process started is
# killed by tang_cleanup (by its own PID), which the caller traps on EXIT.
#   tang_start NAME      keys in $TANG_DIR/NAME, sets TANG_URL[NAME]
#   tang_stop NAME       the port then refuses connections
#   tang_hang NAME       the port accepts and never answers
#   tang_rotate NAME     tangd-rotate-keys: new keys, the old ones kept
#   tang_sig_thp NAME [ALG]  the S256 (or ALG) thumbprint of its signing key
#   new_image NAME       $DIR/NAME.img: a LUKS2 image (cryptsetup, ${FAST[@]})
#                        with $DIR/pw.key in keyslot 0 and room for several
#                        tokens (each tang JWE carries its advertisement:
#                        ~3.5 KiB)
#   digest IMG           the sha256 of its first 16 MiB; now_ms: the clock in ms
TANGD=/usr/libexec/tangd
declare -A TANG_URL TANG_PORT TANG_PID
TANG_PIDS=()

free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until the port answers /adv (or, with "hang", accepts).
tang_wait() {
	local name=$1 i
	for i in $(seq 50); do
		curl -sf -m 1 -o /dev/null "${TANG_URL[$name]}/adv" && return 0
		sleep 0.1
	done
	echo "tang_lib: ${TANG_URL[$name]} did not come up" >&2
	return 1
}

tang_listen() {
	local name=$1
	socat "TCP-LISTEN:${TANG_PORT[$name]},bind=127.0.0.1,reuseaddr,fork" \
		EXEC:"$TANGD $TANG_DIR/$name" 2>/dev/null &
	TANG_PID[$name]=$!
	TANG_PIDS+=($!)
	tang_wait "$name"
}

tang_start() {
	local name=$1
	mkdir -p "$TANG_DIR/$name"
	/usr/libexec/tangd-keygen "$TANG_DIR/$name" >/dev/null 2>&1
	TANG_PORT[$name]=$(free_port)
	TANG_URL[$name]=http://127.0.0.1:${TANG_PORT[$name]}
	tang_listen "$name"
}

tang_kill() {
	local name=$1
	if [ -n "${TANG_PID[$name]:-}" ]; then
		kill "${TANG_PID[$name]}" 2>/dev/null
		wait "${TANG_PID[$name]}" 2>/dev/null
		TANG_PID[$name]=
	fi
}

tang_stop() { tang_kill "$1"; }

tang_hang() {
	local name=$1 fifo=$TANG_DIR/$1.ready
	tang_kill "$name"
	/usr/bin/python3 "$LV_TOP/tests/clevis/blackhole.py" "${TANG_PORT[$name]}" >"$fifo" &
	TANG_PID[$name]=$!
	TANG_PIDS+=($!)
	for _ in $(seq 50); do
		grep -q ready "$fifo" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

tang_restart() { tang_kill "$1"; tang_listen "$1"; }

tang_rotate() { /usr/libexec/tangd-rotate-keys -d "$TANG_DIR/$1" >/dev/null 2>&1; }

tang_sig_thp() {
	local key
	for key in "$TANG_DIR/$1"/*.jwk; do
		if jose jwk use -i "$key" -r -u verify >/dev/null 2>&1; then
			jose jwk thp -i "$key" -a "${2:-S256}"
			return
		fi
	done
}

tang_cleanup() {
	local pid
	for pid in "${TANG_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${TANG_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	TANG_PIDS=()
}

digest() { head -c 16M "$1" | sha256sum | cut -d' ' -f1; }
now_ms() { date +%s%3N; }

new_image() {
	local img=$DIR/$1.img
	rm -f "$img"
	truncate -s 32M "$img"
	cryptsetup luksFormat -q "${FAST[@]}" --luks2-metadata-size 256k --key-file "$DIR/pw.key" \
		"$img" >/dev/null
	echo "$img"
}
