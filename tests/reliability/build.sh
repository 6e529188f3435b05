#!/bin/bash
# build.sh: the build itself (issue 13 items 20-22), in scratch BUILD dirs.
#  - A fresh machine.  This machine has every package, and removing some
#    would break everyone's builds, so the packages' absence is played by
#    shims first on PATH: dpkg-query reports libblkid-dev, libjson-c-dev
#    and three test-only packages (qemu-system-x86, afl++, gnuplot-nox)
#    as not installed until apt-get (which logs what it is asked) has
#    "installed" them, and pkg-config fails for blkid and json-c until
#    then, as the real tools do on such a machine.  scripts/deps.sh and
#    make run unchanged.  `make` then builds in one go (the -dev packages
#    installed before pkg-config is asked), and neither `make` nor `make
#    install` asks for a test-only package; `make deps` (what make test
#    and make check use) asks for all of them.
#  - A user who is not root builds, test-only packages missing.
#  - The sanitizer objects follow a feature flag (WITH_BLKID=0).
#  - tests/run.sh runs only the unit binaries whose source exists and
#    reports a missing one.
#  - make check runs the unit tests and the interop suites only.
set -u
source "$(dirname "$0")/../lib.sh"
DIR=$(realpath -m "$LV_WORK/build")
rm -rf "$DIR"
mkdir -p "$DIR"
SHIM=$DIR/shim
# A make started from make test must not inherit its jobserver.
submake() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$LV_TOP" "$@"; }

# shims MISSING...: the packages listed are missing until apt-get installs them.
make_shims() {
	rm -rf "$SHIM"
	mkdir -p "$SHIM/bin" "$SHIM/installed"
	printf '%s\n' "$@" >"$SHIM/missing"
	: >"$SHIM/apt.log"
	chmod -R a+rwX "$SHIM"
	cat >"$SHIM/bin/dpkg-query" <<EOF
#!/bin/sh
pkg=\$(eval echo \\\${\$#})
if grep -qx "\$pkg" "$SHIM/missing" && [ ! -e "$SHIM/installed/\$pkg" ]; then
	echo not-installed
	exit 0
fi
exec /usr/bin/dpkg-query "\$@"
EOF
	cat >"$SHIM/bin/apt-get" <<EOF
#!/bin/sh
echo "\$*" >>"$SHIM/apt.log"
[ "\$1" = install ] || exit 0
for arg; do
	case \$arg in -*|install) ;; *) touch "$SHIM/installed/\$arg" ;; esac
done
EOF
	cat >"$SHIM/bin/pkg-config" <<EOF
#!/bin/sh
for arg; do
	case \$arg in
	blkid) dev=libblkid-dev ;;
	json-c) dev=libjson-c-dev ;;
	*) continue ;;
	esac
	if grep -qx "\$dev" "$SHIM/missing" && [ ! -e "$SHIM/installed/\$dev" ]; then
		echo "Package \$arg was not found in the pkg-config search path." >&2
		exit 1
	fi
done
exec /usr/bin/pkg-config "\$@"
EOF
	chmod 755 "$SHIM/bin"/*
}

asked_for() { grep -c -w -e "$1" "$SHIM/apt.log"; }

test_fresh_machine() {
	local b=$DIR/fresh
	make_shims libblkid-dev libjson-c-dev qemu-system-x86 afl++ gnuplot-nox
	t_expect build/fresh/make 0 env PATH="$SHIM/bin:$PATH" bash -c \
		"$(declare -f submake); submake -j2 BUILD='$b'"
	t_expect build/fresh/binary-runs 0 "$b/luksvol" --help
	t_same build/fresh/installed-dev-packages "$(asked_for libblkid-dev) $(asked_for libjson-c-dev)" "1 1"
	t_expect build/fresh/install 0 env PATH="$SHIM/bin:$PATH" bash -c \
		"$(declare -f submake); submake BUILD='$b' DESTDIR='$DIR/dest' PREFIX=/usr install"
	t_same build/fresh/no-test-packages "$(asked_for qemu-system-x86) $(asked_for 'afl++') $(asked_for gnuplot-nox)" \
		"0 0 0"
	t_expect build/fresh/deps-all 0 env PATH="$SHIM/bin:$PATH" bash -c \
		"$(declare -f submake); submake BUILD='$b' deps"
	t_same build/fresh/deps-all-asks-test-packages \
		"$(asked_for qemu-system-x86) $(asked_for 'afl++') $(asked_for gnuplot-nox)" "1 1 1"
}

test_user_build() {
	local b=$DIR/user
	make_shims gnuplot-nox afl++
	mkdir -p "$b"
	chown nobody "$b"
	t_expect build/user/make 0 setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
		env PATH="$SHIM/bin:$PATH" HOME="$b" bash -c "$(declare -f submake); submake -j2 BUILD='$b'"
	t_expect build/user/binary-runs 0 "$b/luksvol" --help
	t_same build/user/nothing-asked "$(wc -l <"$SHIM/apt.log")" 0
}

# has_blkid OBJECT: 1 when the object calls into libblkid.
has_blkid() { nm "$1" 2>/dev/null | grep -c ' U blkid_new_probe$'; }

test_sanitizer_flags() {
	local b=$DIR/flags obj
	for obj in obj asan/obj; do
		submake -s BUILD="$b" "$b/$obj/src/luks2/signature.o" >/dev/null
		t_same "build/flags/$obj/blkid" "$(has_blkid "$b/$obj/src/luks2/signature.o")" 1
		submake -s BUILD="$b" WITH_BLKID=0 "$b/$obj/src/luks2/signature.o" >/dev/null
		t_same "build/flags/$obj/without-blkid-rebuilt" "$(has_blkid "$b/$obj/src/luks2/signature.o")" 0
	done
}

test_run_sh_units() {
	local b=$DIR/units out
	mkdir -p "$b/asan/tests"
	printf '#!/bin/sh\necho "not ok 1 - a deleted test ran"\nexit 1\n' >"$b/asan/tests/test_zz_deleted"
	chmod 755 "$b/asan/tests/test_zz_deleted"
	printf 'echo "PASS build/units/suite-ran" >>"$LV_RESULTS"\n' >"$b/suite.sh"
	out=$(env -u LV_UNITS -u LV_JOBS BUILD="$b" LV_SUITES="$b/suite.sh" "$LV_TOP/tests/run.sh" 2>&1)
	t_same build/units/deleted-test-not-run "$(grep -c test_zz_deleted "$b/test-results.txt")" 0
	t_same build/units/missing-binary-reported "$(grep -c '^FAIL test_header: .* is not built' \
		"$b/test-results.txt")" 1
	t_same build/units/suite-ran "$(grep -c 'PASS build/units/suite-ran' "$b/test-results.txt")" 1
	t_same build/units/summary-line "$(echo "$out" | tail -1 | sed 's/[0-9]\+/N/g')" "N passed, N failed"
}

test_check_target() {
	local cmd
	cmd=$(submake -n check | tr '\n' ' ')
	# The unit tests: tests/unit's, and tests/tpm's (WITH_TPM=1, the default).
	t_same build/check/units \
		"$(echo "$cmd" | sed -n 's/.*LV_UNITS="\([^"]*\)".*/\1/p' | tr ' ' '\n' | sort | xargs)" \
		"$(ls tests/unit/test_*.c tests/tpm/test_*.c | sed 's|.*/||; s|\.c$||' | sort | xargs)"
	# Every interop suite but features.sh (its builds are make test's).
	t_same build/check/suites "$(echo "$cmd" | sed -n 's/.*LV_SUITES="\([^"]*\)".*/\1/p')" \
		"$(ls tests/interop/*.sh | grep -v '/features\.sh$' | tr '\n' ' ' | sed 's/ $//')"
}

cd "$LV_TOP" || exit 1
test_fresh_machine
test_user_build
test_sanitizer_flags
test_run_sh_units
test_check_target
rm -rf "$DIR"
