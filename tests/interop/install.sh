#!/bin/bash
# install.sh: `make install` into a DESTDIR: every file where PREFIX puts it,
# the shared library's soname and exports, a program built against the
# installed headers (luksvol.h, and luksvol-talos.h for the Talos calls)
# and luksvol.pc (dynamically and statically), the multiarch library
# directory (and LIBDIR= overriding it), the features header, and a man
# page that renders without warnings and names every verb and option.
set -u
source "$(dirname "$0")/../lib.sh"
DIR=$LV_WORK/install
DEST=$DIR/dest
PREFIX=/usr
rm -rf "$DIR"
mkdir -p "$DIR"

t_expect install/make 0 make -s -C "$LV_TOP" BUILD="$BUILD" DESTDIR="$DEST" PREFIX=$PREFIX install
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
LIBREL=lib/$MULTIARCH
LIB=$DEST$PREFIX/$LIBREL
SO=$(cd "$LIB" 2>/dev/null && ls libluksvol.so.*.*.* 2>/dev/null | head -1)

installed_files() {
	local f missing=""
	for f in sbin/luksvol $LIBREL/libluksvol.a $LIBREL/libluksvol.so $LIBREL/libluksvol.so.0 \
		include/luksvol.h include/luksvol-talos.h include/luksvol-clevis.h include/luksvol_features.h \
		$LIBREL/pkgconfig/luksvol.pc share/man/man8/luksvol.8; do
		[ -e "$DEST$PREFIX/$f" ] || missing="$missing $f"
	done
	t_same install/files-present "$missing" ""
	t_same install/binary-executable "$([ -x "$DEST$PREFIX/sbin/luksvol" ] && echo yes)" yes
	t_same install/so-symlink "$(readlink "$LIB/libluksvol.so.0")" "$SO"
	t_same install/dev-symlink "$(readlink "$LIB/libluksvol.so")" libluksvol.so.0
	t_same install/soname "$(readelf -d "$LIB/$SO" 2>/dev/null | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')" \
		libluksvol.so.0
	t_same install/header-identical "$(cmp -s "$LV_TOP/include/luksvol.h" "$DEST$PREFIX/include/luksvol.h" && echo same)" same
	t_same install/nothing-in-plain-lib "$(ls "$DEST$PREFIX/lib" | grep -v "^$MULTIARCH\$")" ""
	t_same install/talos-header-identical "$(cmp -s "$LV_TOP/include/luksvol-talos.h" \
		"$DEST$PREFIX/include/luksvol-talos.h" && echo same)" same
	t_same install/clevis-header-identical "$(cmp -s "$LV_TOP/include/luksvol-clevis.h" \
		"$DEST$PREFIX/include/luksvol-clevis.h" && echo same)" same
	t_expect install/binary-runs 0 "$DEST$PREFIX/sbin/luksvol" --help
}

# The .so exports what luksvol.h, luksvol-talos.h and luksvol-clevis.h
# declare: all of it, and nothing else.
exports() {
	local declared exported
	declared=$(for h in luksvol-talos.h luksvol-clevis.h; do
		gcc -I"$LV_TOP/include" -E -P "$LV_TOP/include/$h"; done |
		grep -o '\blv_[a-z0-9_]*[[:space:]]*(' |
		sed 's/[[:space:]]*($//' | sort -u)
	exported=$(nm -D --defined-only "$LIB/$SO" | awk '$2 == "T" {print $3}' | sed 's/@.*//' | sort -u)
	t_same install/exports-every-declared-function \
		"$(comm -23 <(echo "$declared") <(echo "$exported") | tr '\n' ' ')" ""
	t_same install/exports-nothing-else "$(comm -13 <(echo "$declared") <(echo "$exported") | tr '\n' ' ')" ""
	# The internal helpers stay inside: the error setter, the config parser.
	t_same install/internal-not-exported \
		"$(echo "$exported" | grep -E '^(lv_err_set|lv_err_prefix|cfg_)' | tr '\n' ' ')" ""
	for f in lv_version lv_header_info lv_keyslot_info lv_token_info lv_segment_info; do
		grep -qx "$f" <<<"$exported" || t_fail "install/exports-$f" "$f is not exported"
	done
}

# A program that formats nothing: it probes a LUKS2 image through the API,
# then reads it with the getters, the installed headers only.
client_program() {
	cat >"$DIR/client.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <luksvol.h>
#include <luksvol_features.h>

int main(int argc, char **argv)
{
	enum lv_luks_version version;
	struct lv_err err = { 0 };
	struct lv_device *dev;
	struct lv_header_info header;
	struct lv_keyslot_info ks;
	struct lv_segment_info seg;
	int keyslots = 0;

	if (argc != 2 || lv_probe(argv[1], &version, &err) < 0) {
		fprintf(stderr, "probe failed: %s\n", err.msg);
		return 1;
	}
	if (lv_device_load(&dev, argv[1], LV_LOAD_NONBLOCK, &err) < 0 ||
	    lv_segment_info(dev, &seg, &err) < 0) {
		fprintf(stderr, "load failed: %s\n", err.msg);
		return 1;
	}
	lv_header_info(dev, &header);
	for (int i = 0; i < LV_KEYSLOT_COUNT; i++)
		keyslots += lv_keyslot_info(dev, i, &ks) == 0;
	printf("LUKS%d %s %s %d %s %s\n", (int)version, header.label, seg.cipher, keyslots,
	       strcmp(lv_version(), LUKSVOL_VERSION) == 0 ? "same-version" : "other-version",
	       LUKSVOL_CRYPTO_BACKEND);
	lv_device_free(&dev);
	return 0;
}
EOF
	# The Talos calls, from their own header: a config read and printed.
	cat >"$DIR/talos-client.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <luksvol-talos.h>

int main(int argc, char **argv)
{
	struct lv_config_file *cfg = NULL;
	struct lv_err err = { 0 };
	char *diagnostics = NULL;

	if (argc != 2 || lv_config_load(argv[1], &cfg, &diagnostics, &err) < 0) {
		fprintf(stderr, "config: %s%s\n", err.msg, diagnostics ? diagnostics : "");
		free(diagnostics);
		return 1;
	}
	free(diagnostics);
	if (lv_config_print(cfg, stdout, 1, &err) < 0)
		return 1;
	lv_config_free(&cfg);
	return 0;
}
EOF
	printf 'apiVersion: v1alpha1\nkind: VolumeConfig\nname: STATE\nencryption:\n  keys:\n    - nodeID: {}\n' \
		>"$DIR/state.yaml"
	truncate -s 20M "$DIR/probe.img"
	printf pass >"$DIR/pass.key"
	"$LV_TOP/$BUILD/luksvol" format -q --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
		--label probed --key-file "$DIR/pass.key" "$DIR/probe.img"
}

pkg() {
	PKG_CONFIG_SYSROOT_DIR=$DEST PKG_CONFIG_LIBDIR=$LIB/pkgconfig:$(pkg-config --variable pc_path pkg-config) \
		pkg-config "$@" luksvol
}

compile_against_install() {
	local flags
	t_same install/pkg-config-cflags "$(pkg --cflags | awk '{print $1}')" "-I$DEST$PREFIX/include"
	t_same install/pkg-config-libs "$(pkg --libs)" "-L$DEST$PREFIX/$LIBREL -lluksvol "
	flags=$(pkg --cflags --libs)
	t_expect install/compile-shared 0 gcc -std=c11 -Wall -Werror -o "$DIR/client" "$DIR/client.c" $flags
	t_expect install/run-shared 0 env LD_LIBRARY_PATH="$LIB" "$DIR/client" "$DIR/probe.img"
	t_same install/shared-result "$(cat "$LV_WORK/last.out")" \
		"LUKS2 probed aes-xts-plain64 1 same-version openssl"
	t_expect install/compile-talos-shared 0 gcc -std=c11 -Wall -Werror -o "$DIR/talos-client" \
		"$DIR/talos-client.c" $flags
	t_expect install/run-talos-shared 0 env LD_LIBRARY_PATH="$LIB" "$DIR/talos-client" "$DIR/state.yaml"
	grep -q '"volumeType"\|"name": "STATE"' "$LV_WORK/last.out" && t_pass install/talos-result ||
		t_fail install/talos-result "$(head -c 300 "$LV_WORK/last.out")"
	t_same install/uses-installed-so "$(LD_LIBRARY_PATH="$LIB" ldd "$DIR/client" | grep -c "$LIB/libluksvol.so.0")" 1
	# The archive in a dynamically linked program: the shared libraries of
	# Requires.private (json-c, libargon2, the crypto library, libcurl...).
	# Not `--static`: that lists the libraries' own private dependencies,
	# and Debian's libcurl names some (librtmp, ...) that ship no -dev link.
	flags="$(pkg --cflags) $(pkg-config --libs $(pkg --print-requires-private | awk '{print $1}'))"
	t_expect install/compile-static-archive 0 gcc -std=c11 -Wall -Werror -o "$DIR/client-a" \
		"$DIR/client.c" "$LIB/libluksvol.a" $flags
	t_expect install/run-static-archive 0 "$DIR/client-a" "$DIR/probe.img"
	t_same install/static-archive-result "$(cat "$LV_WORK/last.out")" \
		"LUKS2 probed aes-xts-plain64 1 same-version openssl"
}

# Every verb `luksvol --help` lists and every long option of options.c.
man_page() {
	local page=$DEST$PREFIX/share/man/man8/luksvol.8 text verbs options missing=""
	LC_ALL=C MANWIDTH=100 man --warnings -l "$page" >"$DIR/man.txt" 2>"$DIR/man.err"
	t_same install/man-renders "$?" 0
	t_same install/man-no-warnings "$(head -c 400 "$DIR/man.err")" ""
	text=$(col -b <"$DIR/man.txt")
	verbs=$("$LV_TOP/$BUILD/luksvol" --help | awk '$1 == "luksvol" {print $2}' | sort -u)
	for verb in $verbs; do
		grep -q "^ *luksvol $verb\b\|^ *$verb\b" <<<"$text" || missing="$missing $verb"
	done
	t_same install/man-documents-every-verb "$missing" ""
	missing=""
	options=$(sed -n '/cli_options\[\] = {/,/^};/p' "$LV_TOP/src/cli/options.c" |
		grep -o '{ "[a-z_-]*"' | sed 's/{ "//; s/"//')
	for option in $options; do
		grep -qE -- "--$option([^a-z_-]|$)" <<<"$text" || missing="$missing --$option"
	done
	t_same install/man-documents-every-option "$missing" ""
}

# luksvol_features.h says what the build has, and compiles alone.
features_header() {
	local h=$DEST$PREFIX/include/luksvol_features.h
	t_same install/features-match-build "$(grep -E '^#define LUKSVOL_(WITH_[A-Z]+|CRYPTO_BACKEND)' "$h" |
		awk '{print $2 "=" $3}' | tr '\n' ' ')" \
		"LUKSVOL_WITH_TPM=1 LUKSVOL_WITH_KMS=1 LUKSVOL_WITH_CLEVIS=1 LUKSVOL_WITH_YAML=1 LUKSVOL_WITH_BLKID=1 LUKSVOL_CRYPTO_BACKEND=\"openssl\" "
	echo '#include <luksvol_features.h>' >"$DIR/features.c"
	t_expect install/features-header-alone 0 gcc -std=c11 -Wall -Werror -fsyntax-only \
		-I"$DEST$PREFIX/include" "$DIR/features.c"
}

# LIBDIR= puts the libraries (and luksvol.pc) where it says.
libdir_override() {
	local dest=$DIR/dest-libdir
	t_expect install/libdir-override 0 make -s -C "$LV_TOP" BUILD="$BUILD" DESTDIR="$dest" \
		PREFIX=$PREFIX LIBDIR=$PREFIX/lib64 install
	t_same install/libdir-override-files "$(cd "$dest$PREFIX/lib64" 2>/dev/null && ls | tr '\n' ' ')" \
		"libluksvol.a libluksvol.so libluksvol.so.0 libluksvol.so.0.1.0 pkgconfig "
	t_same install/libdir-override-pc "$(sed -n 's/^libdir=//p' "$dest$PREFIX/lib64/pkgconfig/luksvol.pc")" \
		"$PREFIX/lib64"
}

installed_files
features_header
libdir_override
exports
client_program
compile_against_install
man_page
