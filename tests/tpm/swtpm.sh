# swtpm.sh: swtpm, tpm2-tools and the Python oracle for the TPM suites
# (tests/interop/tpm.sh, apply_tpm.sh).  Sourced after tests/lib.sh with
# DIR set to the suite's fresh working directory; the suite runs in it
# (tpm2-tools and the drivers take short names).  Each swtpm gets a fresh
# state directory and an ephemeral loopback port pair; every process
# started here is stopped on exit.
PY=/usr/bin/python3
AUX=$LV_TOP/tests/tpm/tpmtest.py
DIR=$(cd "$DIR" && pwd)
LV_WORK=$(cd "$LV_WORK" && pwd)
LV_RESULTS=$(cd "$(dirname "$LV_RESULTS")" && pwd)/$(basename "$LV_RESULTS")
cd "$DIR" || exit 1

SWTPM_PID=
STALL_PID=
TCTI=
cleanup() {
	local pid
	for pid in $SWTPM_PID $STALL_PID; do
		kill -CONT "$pid" 2>/dev/null
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
}
trap cleanup EXIT

# A free port P with P+1 free too (swtpm's control channel).
free_port_pair() {
	"$PY" - <<'EOF'
import random, socket
for _ in range(200):
    p = random.randrange(20000, 60000, 2)
    try:
        socks = []
        for q in (p, p + 1):
            s = socket.socket()
            s.bind(("127.0.0.1", q))
            socks.append(s)
        print(p)
        break
    except OSError:
        pass
    finally:
        for s in socks:
            s.close()
EOF
}

# swtpm_start STATE_DIR: (re)starts the one swtpm of this suite on STATE_DIR
# (created when new) and sets TCTI.  A restart on the same state is a reboot:
# the same seeds, PCRs back to zero.
swtpm_start() {
	local state=$1 port tries
	swtpm_stop
	mkdir -p "$state"
	for tries in 1 2 3 4 5; do
		port=$(free_port_pair)
		swtpm socket --tpm2 --tpmstate dir="$state" \
			--server type=tcp,port="$port",bindaddr=127.0.0.1 \
			--ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 \
			--flags not-need-init,startup-clear >>"$DIR/swtpm.log" 2>&1 &
		SWTPM_PID=$!
		TCTI=swtpm:host=127.0.0.1,port=$port
		for _ in $(seq 50); do
			if tpm2_getcap -T "$TCTI" properties-fixed >/dev/null 2>&1; then
				return 0
			fi
			kill -0 "$SWTPM_PID" 2>/dev/null || break
			sleep 0.1
		done
		swtpm_stop
	done
	echo "swtpm did not start" >&2
	return 1
}

swtpm_stop() {
	if [ -n "$SWTPM_PID" ]; then
		kill "$SWTPM_PID" 2>/dev/null
		wait "$SWTPM_PID" 2>/dev/null
	fi
	SWTPM_PID=
}

tpm2() { "tpm2_$1" -T "$TCTI" "${@:2}"; }
extend() { tpm2 pcrextend "$1:sha256=$("$PY" "$AUX" extend-hex "$2")"; }
pcr_hex() { tpm2 pcrread "sha256:$1" -o "$DIR/pcr.bin" >/dev/null && xxd -p -c64 "$DIR/pcr.bin"; }

# What Talos's boot chain leaves: PCR 7 (Secure Boot state, measured by
# the firmware) and PCR 11 at enter-machined, the phase the UKI signs.
measure_boot() {
	extend 7 secureboot-enabled
	for phase in enter-initrd leave-initrd enter-machined; do extend 11 "$phase"; done
}

# No transient object or session left behind in the TPM.
no_handles() {
	t_same "$1" "$(tpm2 getcap handles-transient; tpm2 getcap handles-loaded-session)" ""
}

# message NAME PATTERN: the last command's stderr says PATTERN (grep -E).
message() {
	if grep -qE -- "$2" "$LV_WORK/last.err"; then
		t_pass "$1"
	else
		t_fail "$1" "stderr lacks /$2/: $(head -c 300 "$LV_WORK/last.err")"
	fi
}

same_file() {
	if cmp -s "$2" "$3"; then t_pass "$1"; else t_fail "$1" "$2 and $3 differ"; fi
}

# tpm2-tools' go-tpm SRK (tpm2-tools reads -u as a C TPMS_ECC_POINT).
"$PY" "$AUX" srk-unique "$DIR/srk-unique.bin"
SRK_ARGS=(-C o -g sha256 -G ecc256:aes128cfb -u "$DIR/srk-unique.bin"
	-a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda|restricted|decrypt')

# oracle_unseal TOKEN OUT [signed]: tpm2-tools unseals TOKEN's blobs,
# signed mode with pub.pem/priv.pem for the current PCR 11, then
# PolicyPCR(PCRS); OUT gets base64 of the data, as the passphrase is.
oracle_unseal() {
	local token=$1 out=$2 signed=$3 pcrs=$4 p11
	"$PY" "$AUX" split-token "$token" o-priv.bin o-pub.bin o-name.bin &&
		tpm2 createprimary -Q "${SRK_ARGS[@]}" -c o-srk.ctx &&
		tpm2 flushcontext -t && tpm2 readpublic -Q -c o-srk.ctx -n o-srk.name &&
		tpm2 flushcontext -t && cmp -s o-srk.name o-name.bin &&
		tpm2 load -Q -C o-srk.ctx -u o-pub.bin -r o-priv.bin -c o-obj.ctx &&
		tpm2 flushcontext -t &&
		tpm2 startauthsession --policy-session -S o-s.ctx || return 1
	if [ "$signed" = signed ]; then
		p11=$(pcr_hex 11)
		"$PY" "$AUX" tpm2b-public pub.pem o-key.pub &&
			"$PY" "$AUX" policy-digest "$p11" o-pol.bin &&
			"$PY" "$AUX" signature priv.pem "$p11" o-sig.bin &&
			tpm2 loadexternal -Q -C o -u o-key.pub -c o-key.ctx -n o-key.name &&
			tpm2 flushcontext -t &&
			tpm2 verifysignature -Q -c o-key.ctx -g sha256 -m o-pol.bin -s o-sig.bin \
				-f rsassa -t o-ticket.bin &&
			tpm2 flushcontext -t &&
			tpm2 policypcr -Q -S o-s.ctx -l sha256:11 &&
			tpm2 policyauthorize -Q -S o-s.ctx -i o-pol.bin -n o-key.name \
				-t o-ticket.bin || return 1
	fi
	tpm2 policypcr -Q -S o-s.ctx -l "sha256:$pcrs" &&
		tpm2 unseal -p session:o-s.ctx -c o-obj.ctx >o-data.bin &&
		tpm2 flushcontext o-s.ctx && tpm2 flushcontext -t &&
		base64 -w0 o-data.bin >"$out"
	local rc=$?
	tpm2 flushcontext -t -s -l 2>/dev/null
	return $rc
}

oracle() { if oracle_unseal "$@" 2>>"$DIR/oracle.log"; then echo ok; else echo failed; fi; }

