# lib_kms.sh: the KMS test server (tests/kms/server.py) for shell suites
# (sourced after tests/lib.sh).  Every server started here is stopped when
# the suite exits, and stops by itself anyway (--lifetime, parent death).
#   kms_certs DIR            a CA, a second CA, and server certificates:
#                            good (IP 127.0.0.1), expired, wronghost, byother (signed by otherca)
#   kms_start NAME ARGS...   starts server.py; sets KMS_PORT
#   kms_stop NAME            stops it (the port stays closed: "server down")

# The token Talos writes for a kms key: exactly this shape, 60 sealed bytes.
KMS_TOKEN_RE='^\{"UserData":\{"sealedData":"[A-Za-z0-9+/]{80}"\},"type":"sideroKMS","keyslots":\[\]\}$'
KMS_SERVER=${KMS_SERVER:-$LV_TOP/tests/kms/server.py}
KMS_PYTHON=/usr/bin/python3
declare -A KMS_PIDS=()

kms_stop() {
	local pid=${KMS_PIDS[$1]:-}
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset "KMS_PIDS[$1]"
}

kms_stop_all() {
	local name
	for name in "${!KMS_PIDS[@]}"; do kms_stop "$name"; done
}
trap kms_stop_all EXIT

# kms_start NAME [server.py args...]: the port file is $KMS_DIR/NAME.port.
kms_start() {
	local name=$1 i
	shift
	rm -f "$KMS_DIR/$name.port"
	"$KMS_PYTHON" "$KMS_SERVER" --port-file "$KMS_DIR/$name.port" --lifetime 600 "$@" \
		2>>"$KMS_DIR/$name.log" &
	KMS_PIDS[$name]=$!
	for i in $(seq 100); do
		[ -s "$KMS_DIR/$name.port" ] && break
		sleep 0.1
	done
	KMS_PORT=$(cat "$KMS_DIR/$name.port" 2>/dev/null)
	if [ -z "$KMS_PORT" ]; then
		t_fail "kms/server-$name" "server.py did not start: $(tail -c 300 "$KMS_DIR/$name.log")"
		return 1
	fi
}

# kms_cert NAME SAN START END [CA]: a P-256 server key and certificate
# signed by CA (default "ca") with openssl ca, for the dates given.
kms_cert() {
	local name=$1 san=$2 start=$3 end=$4 ca=${5:-ca} d=$KMS_DIR/certs
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/$name.key" -out "$d/$name.csr" -subj "/CN=$name" \
		-addext "subjectAltName=$san" 2>/dev/null
	openssl ca -batch -config "$d/$ca.cnf" -cert "$d/$ca.pem" -keyfile "$d/$ca.key" \
		-in "$d/$name.csr" -out "$d/$name.pem" -startdate "$start" -enddate "$end" \
		-notext >/dev/null 2>&1
}

kms_ca() {
	local ca=$1 d=$KMS_DIR/certs
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-keyout "$d/$ca.key" -out "$d/$ca.pem" -subj "/CN=luksvol test $ca" 2>/dev/null
	: >"$d/$ca.index"
	echo 01 >"$d/$ca.serial"
	printf '[ca]\ndefault_ca=d\n[d]\ndatabase=%s\nnew_certs_dir=%s\nserial=%s\n%s\n%s\n[p]\ncommonName=supplied\n' \
		"$d/$ca.index" "$d" "$d/$ca.serial" "default_md=sha256" \
		"policy=p
copy_extensions=copy
unique_subject=no" >"$d/$ca.cnf"
}

kms_certs() {
	local d=$KMS_DIR/certs
	mkdir -p "$d"
	kms_ca ca
	kms_ca otherca
	kms_cert good IP:127.0.0.1 20200101000000Z 20991231000000Z
	kms_cert expired IP:127.0.0.1 20200101000000Z 20200102000000Z
	kms_cert wronghost DNS:kms.example 20200101000000Z 20991231000000Z
	kms_cert byother IP:127.0.0.1 20200101000000Z 20991231000000Z otherca
	[ -s "$d/good.pem" ] && [ -s "$d/expired.pem" ] && [ -s "$d/wronghost.pem" ] &&
		[ -s "$d/byother.pem" ]
}
