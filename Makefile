# luksvol: a from-scratch LUKS2 implementation and the `luksvol` command.
#
#   make            build/luksvol and build/libluksvol.a (-O2)
#   make test       ASan+UBSan build, then every test (tests/run.sh)
#   make check      the edit-test loop: unit and interop tests only
#   make demo       the main job, see README.md
#   make static     build/luksvol-static: fully static, kernel crypto backend
#   make install    PREFIX=/usr/local DESTDIR=: binary, libraries, header, .pc, man page
#
# Build flags (see README.md "Build"): CRYPTO=openssl|kernel, WITH_TPM, WITH_KMS,
# WITH_CLEVIS, WITH_YAML, WITH_BLKID (=0|1), STATIC=1, CC, EXTRA_CFLAGS.

.DEFAULT_GOAL := all
CRYPTO ?= openssl
CC ?= cc
BUILD ?= build
LV_VERSION := 0.1.0
SO_MAJOR := 0

# Feature flags: 1 builds a feature, 0 leaves out its sources (by the
# directory or file names below), its verbs and its library.  A static
# build is the minimal one an initramfs carries: it leaves out TPM, KMS,
# clevis and libblkid (src/talos/device_edges.h stands in) unless asked for
# them.
ifeq ($(STATIC),1)
WITH_TPM ?= 0
WITH_KMS ?= 0
WITH_CLEVIS ?= 0
WITH_BLKID ?= 0
endif
WITH_TPM ?= 1
WITH_KMS ?= 1
WITH_CLEVIS ?= 1
WITH_YAML ?= 1
WITH_BLKID ?= 1
FEATURE_FLAGS := -DLV_WITH_TPM=$(WITH_TPM) -DLV_WITH_KMS=$(WITH_KMS) \
	-DLV_WITH_CLEVIS=$(WITH_CLEVIS) -DLV_WITH_YAML=$(WITH_YAML) -DLV_WITH_BLKID=$(WITH_BLKID)
TPM_SRCS := $(wildcard src/tpm/*.c src/*/*tpm*.c)
KMS_SRCS := $(wildcard src/kms/*.c src/*/*kms*.c)
# clevis (tang, sss) tokens: libjose for JOSE (src/clevis/jose_api.c loads
# it and libjansson on first use), libcurl for HTTP, and the
# Shamir sharing of src/crypto/shamir.c (OpenSSL bignums, so libcrypto even
# when CRYPTO=kernel).
CLEVIS_SRCS := $(wildcard src/clevis/*.c src/*/*clevis*.c) src/crypto/shamir.c
# Without YAML only the plain verbs remain: no volume config, no Talos keys
# (whose state salt is YAML too), no apply, wipe or config check/show.
YAML_SRCS := $(wildcard src/config/*.c src/keys/*.c src/talos/*.c src/cli/cmd_config.c \
	src/cli/cmd_apply.c src/cli/cmd_talos.c \
	src/cli/cmd_wipe.c)
# libcurl's one initialisation, for whichever of KMS and clevis is built.
CURL_SRCS := src/base/curl_global.c
OFF_SRCS := $(if $(filter 0,$(WITH_TPM)),$(TPM_SRCS)) $(if $(filter 0,$(WITH_KMS)),$(KMS_SRCS)) \
	$(if $(filter 0,$(WITH_CLEVIS)),$(CLEVIS_SRCS)) $(if $(filter 0,$(WITH_YAML)),$(YAML_SRCS)) \
	$(if $(filter 00,$(WITH_KMS)$(WITH_CLEVIS)),$(CURL_SRCS))
# tss2-tctildr loads the TCTI named at run time (libtss2-tcti-device,
# -swtpm, -mssim: dependencies of Debian's libtss2-tctildr0); tss2-sys gives
# the response buffer to wipe, tss2-rc the text of a response code.
TPM_PKGS := tss2-esys tss2-mu tss2-tctildr tss2-sys tss2-rc
on = $(if $(filter 1,$(1)),$(2))
# Libraries loaded on first use (src/base/dl_table.h): their headers at
# compile time, never the libraries at link time.  libcurl
# (src/base/curl_global.h) for KMS and clevis; libjose and libjansson
# (src/clevis/jose_api.h) for clevis; tpm2-tss (src/tpm/tpm_tss2.h) for TPM.
DLOPEN_PKGS := $(if $(filter 1,$(WITH_KMS) $(WITH_CLEVIS)),libcurl) $(call on,$(WITH_CLEVIS),jose) \
	$(call on,$(WITH_TPM),$(TPM_PKGS))
CLEVIS_PKGS := libcrypto

# json-c is luksvol's JSON library; libjansson, which also exports
# json_object_get and json_object_iter_next, is opened RTLD_LOCAL and
# called only through src/clevis's table.
PKGS := json-c libargon2 $(if $(filter openssl,$(CRYPTO)),openssl) $(call on,$(WITH_BLKID),blkid) \
	$(call on,$(WITH_YAML),yaml-0.1) $(call on,$(WITH_CLEVIS),$(CLEVIS_PKGS))

# Packages (scripts/deps.sh): the build ones before anything is compiled
# or installed; all of them (tests, VM, fuzzing, benchmarks) before a
# target that runs tests.
BUILD_DEPS_STAMP := $(BUILD)/.deps-build-ok
DEPS_STAMP := $(BUILD)/.deps-ok

# pkg-config's answers are a makefile of their own, made only once the
# build packages are installed; GNU make remakes an included makefile
# first and then starts over reading it, so even the first `make test` on
# a fresh machine compiles with them.  One file per package set.
PKG_MK := $(BUILD)/.pkg-$(shell echo '$(PKGS) $(DLOPEN_PKGS) $(STATIC)' | md5sum | cut -c1-12).mk
$(PKG_MK): $(BUILD_DEPS_STAMP)
	@mkdir -p $(dir $@)
	@cflags=$$(pkg-config --cflags $(PKGS) $(DLOPEN_PKGS)) && \
	libs=$$(pkg-config $(call on,$(STATIC),--static) --libs $(PKGS)) && \
	printf 'PKG_CFLAGS := %s\nPKG_LIBS := %s\n' "$$cflags" "$$libs" >$@.tmp && mv $@.tmp $@
ifneq ($(MAKECMDGOALS),clean)
include $(PKG_MK)
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
# LV_BUILDING_LIBRARY: luksvol.h adds the internal helpers (src/base/lv_internal.h).
CFLAGS_BASE := -std=c11 -D_GNU_SOURCE $(WARN) -Iinclude -Isrc $(FEATURE_FLAGS) \
	-DLV_BUILDING_LIBRARY -DLV_VERSION_TEXT='"$(LV_VERSION)"' $(PKG_CFLAGS) $(EXTRA_CFLAGS)
# -fstack-usage: each object's frame sizes, checked by scripts/stack_usage.sh
# (tests/checks/stack_usage.sh): none over 16 KiB.
CFLAGS_OPT := $(CFLAGS_BASE) -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-usage
# A static binary keeps only the functions it calls and is sized for an
# initramfs (-Os; no unwind tables: it is stripped, and no C++ or thread
# cancellation unwinds through luksvol); every other build's objects also
# go into libluksvol.so, hence -fPIC.
ifeq ($(STATIC),1)
CFLAGS_OPT += -Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables
LDFLAGS_OPT := -static -Wl,--gc-sections -s
else
CFLAGS_OPT += -fPIC
LDFLAGS_OPT :=
endif
CFLAGS_SAN := $(CFLAGS_BASE) -O1 -g -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS_SAN := -fsanitize=address,undefined

CRYPTO_BACKENDS := $(wildcard src/crypto/backend_*.c)
LIB_SRCS := $(filter-out $(CRYPTO_BACKENDS) $(OFF_SRCS),$(wildcard src/base/*.c src/luks2/*.c \
	src/crypto/*.c src/dm/*.c src/keys/*.c src/talos/*.c src/config/*.c src/meta/*.c src/tpm/*.c \
	src/kms/*.c src/clevis/*.c src/unlock/*.c)) src/crypto/backend_$(CRYPTO).c
CLI_SRCS := $(filter-out $(OFF_SRCS),$(wildcard src/cli/*.c))
HDRS := $(wildcard include/*.h src/*/*.h)

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
# What every verb runs to start and to load a header (callgrind of `dump`):
# linked first, in this order, its code fills two 64 KiB windows of the
# kernel's fault-around instead of touching six spread over the whole text
# (two page faults less a command; bench/issue14.md).
LOAD_PATH_SRCS := src/cli/main.c src/cli/cmd_dump.c src/cli/compat_main.c src/cli/options.c \
	src/cli/verbs.c src/base/secret.c src/luks2/arena.c src/luks2/lock.c src/luks2/base64.c \
	src/luks2/storage.c src/luks2/strict.c src/luks2/device.c src/luks2/dump.c \
	src/luks2/hdr_disk.c src/luks2/keyslot.c src/luks2/validate.c src/luks2/metadata.c \
	src/luks2/json_tree.c src/luks2/json_read.c src/crypto/sector_spec.c \
	src/crypto/backend_$(CRYPTO).c
LOAD_PATH_OBJS := $(LOAD_PATH_SRCS:%.c=$(BUILD)/obj/%.o)
# Their string literals stay in their own .rodata, beside their tables, not
# in the one merged pool at the end of .rodata: dump reads one 64 KiB
# window of .rodata, not two (bench/issue14.md).
LOAD_PATH_CFLAGS := -fno-merge-constants
$(LOAD_PATH_OBJS): CFLAGS_OPT += $(LOAD_PATH_CFLAGS)
SAN_LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/asan/obj/%.o)
SAN_CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/asan/obj/%.o)

UNIT_SRCS := $(filter-out $(if $(filter 0,$(WITH_CLEVIS)),tests/unit/test_clevis.c), \
	$(wildcard tests/unit/test_*.c))
RELIABILITY_SRCS := $(wildcard tests/reliability/test_*.c)
UNIT_NAMES := $(UNIT_SRCS:tests/unit/%.c=%)
UNIT_BINS := $(UNIT_NAMES:%=$(BUILD)/asan/tests/%) \
	$(RELIABILITY_SRCS:tests/reliability/%.c=$(BUILD)/asan/tests/%)

.PHONY: all test check test-long demo clean deps asan unit static static-tests install valgrind
all: $(BUILD)/luksvol $(BUILD)/libluksvol.a $(FEATURES_HDR)

$(BUILD_DEPS_STAMP): scripts/deps.sh
	@mkdir -p $(dir $@)
	@./scripts/deps.sh build
	@touch $@

$(DEPS_STAMP): scripts/deps.sh
	@mkdir -p $(dir $@)
	@./scripts/deps.sh all
	@touch $@

deps: $(DEPS_STAMP)

# Changing CRYPTO, a WITH_ flag or STATIC rebuilds what they shape, in
# the -O2 and in the sanitizer build.
flags_stamp = $(1)/.flags-$(shell echo '$(CC) $(2) $(CRYPTO)' | md5sum | cut -c1-12)
FLAGS_STAMP := $(call flags_stamp,$(BUILD),$(CFLAGS_OPT) $(LOAD_PATH_CFLAGS))
SAN_FLAGS_STAMP := $(call flags_stamp,$(BUILD)/asan,$(CFLAGS_SAN))
$(FLAGS_STAMP) $(SAN_FLAGS_STAMP):
	@mkdir -p $(dir $@)
	@rm -f $(dir $@).flags-*
	@touch $@

# So is a feature flag's change to the list of objects: this file changes
# only when the list does.
OBJS_STAMP := $(BUILD)/.objs
$(OBJS_STAMP): FORCE
	@mkdir -p $(dir $@)
	@echo '$(LIB_OBJS) $(CLI_OBJS)' | cmp -s - $@ || echo '$(LIB_OBJS) $(CLI_OBJS)' >$@

.PHONY: FORCE
FORCE:

$(BUILD)/obj/%.o: %.c $(HDRS) $(FLAGS_STAMP) | $(BUILD_DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_OPT) -c $< -o $@

$(BUILD)/asan/obj/%.o: %.c $(HDRS) $(SAN_FLAGS_STAMP) | $(BUILD_DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC-SAN  $<"
	@$(CC) $(CFLAGS_SAN) -c $< -o $@

$(BUILD)/libluksvol.a: $(LIB_OBJS) $(FLAGS_STAMP) $(OBJS_STAMP)
	@echo "  AR      $@"
	@rm -f $@ && ar rcs $@ $(LIB_OBJS)

$(BUILD)/asan/libluksvol.a: $(SAN_LIB_OBJS) $(SAN_FLAGS_STAMP) $(OBJS_STAMP)
	@echo "  AR      $@"
	@rm -f $@ && ar rcs $@ $(SAN_LIB_OBJS)

$(BUILD)/luksvol: $(CLI_OBJS) $(LOAD_PATH_OBJS) $(BUILD)/libluksvol.a $(OBJS_STAMP)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS_OPT) -o $@ $(LOAD_PATH_OBJS) $(filter-out $(LOAD_PATH_OBJS),$(CLI_OBJS)) \
		$(BUILD)/libluksvol.a $(PKG_LIBS)

# The shared library exports what the public headers declare, nothing
# else: include/luksvol.h, include/luksvol-meta.h (the META partition),
# include/luksvol-talos.h (the Talos calls) in a WITH_YAML=1 build,
# include/luksvol-clevis.h (bindings) with WITH_CLEVIS=1.
SO_NAME := libluksvol.so.$(SO_MAJOR)
SO_FILE := libluksvol.so.$(LV_VERSION)
PUBLIC_HDRS := include/luksvol.h include/luksvol-meta.h \
	$(call on,$(WITH_YAML),include/luksvol-talos.h) \
	$(call on,$(WITH_CLEVIS),include/luksvol-clevis.h)

$(BUILD)/luksvol.map: $(PUBLIC_HDRS) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	@{ echo 'LUKSVOL_$(SO_MAJOR) {'; echo 'global:'; \
	  cat $(PUBLIC_HDRS) | $(CC) -Iinclude -E -P - | grep -o '\blv_[a-z0-9_]*[[:space:]]*(' | \
	  sed 's/[[:space:]]*($$/;/' | sort -u; echo 'local: *;'; echo '};'; } >$@

$(BUILD)/$(SO_FILE): $(LIB_OBJS) $(BUILD)/luksvol.map $(OBJS_STAMP)
	@echo "  LD      $@"
	@$(CC) -shared -Wl,-soname,$(SO_NAME) -Wl,--version-script,$(BUILD)/luksvol.map -Wl,-z,defs \
		-o $@ $(LIB_OBJS) $(PKG_LIBS)

$(BUILD)/asan/luksvol: $(SAN_CLI_OBJS) $(BUILD)/asan/libluksvol.a $(OBJS_STAMP)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS_SAN) -o $@ $(SAN_CLI_OBJS) $(BUILD)/asan/libluksvol.a $(PKG_LIBS)

$(BUILD)/asan/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(BUILD)/asan/libluksvol.a
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) $(CFLAGS_SAN) -Itests/unit -o $@ $< $(BUILD)/asan/libluksvol.a $(PKG_LIBS) -lcmocka

RELIABILITY_LIB := tests/reliability/faultdisk.c tests/reliability/rel_common.c

$(BUILD)/asan/tests/%: tests/reliability/%.c $(RELIABILITY_LIB) $(wildcard tests/reliability/*.h) \
		tests/unit/unit.h $(BUILD)/asan/libluksvol.a
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) $(CFLAGS_SAN) -Itests/unit -Itests/reliability -o $@ $< $(RELIABILITY_LIB) \
		$(BUILD)/asan/libluksvol.a $(PKG_LIBS) -lcmocka

# Test programs the suites drive: tests/kms/kms_call.c (the KMS engine),
# tests/clevis/clevis_tool.c (the clevis engine).
TEST_TOOLS := $(if $(filter 1,$(WITH_KMS)),$(BUILD)/asan/tests/kms_call) \
	$(if $(filter 1,$(WITH_CLEVIS)),$(BUILD)/asan/tests/clevis_tool)

$(BUILD)/asan/tests/kms_call: tests/kms/kms_call.c
$(BUILD)/asan/tests/clevis_tool: tests/clevis/clevis_tool.c
$(BUILD)/asan/tests/kms_call $(BUILD)/asan/tests/clevis_tool: $(BUILD)/asan/libluksvol.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_SAN) -o $@ $(filter %.c,$^) $(BUILD)/asan/libluksvol.a $(PKG_LIBS)

asan: $(BUILD)/asan/luksvol
unit: $(UNIT_BINS)

# Suites at a time in make test: most wait on timeouts, servers and the VM
# rather than compute, so two keep both cores busy (zz_* still run last, alone).
TEST_JOBS ?= 2
test: $(DEPS_STAMP) $(BUILD)/luksvol $(BUILD)/asan/luksvol $(UNIT_BINS) $(TEST_TOOLS) \
		$(BUILD)/tests/dm_calls static-tests valgrind
	@BUILD=$(BUILD) LV_JOBS=$(TEST_JOBS) ./tests/run.sh

# The edit-test loop: the unit tests (ASan+UBSan) and the interop suites
# against the -O2 luksvol (half the CPU time: an ASan process costs much
# to start), two suites at a time, with a 40-step tool-alternating chain
# and only the header-backup races whose window strace holds open (make
# test: ASan+UBSan everywhere, 200 steps, 30 more plain races against a
# spinning helper), one in 5 of cli_hardening's verb-times-option pairs
# (make test: all ~3,000); no VM, fuzzing, valgrind, power-cut sweeps or
# build tests (features.sh's three builds among them).
# CHECK_LUKSVOL=$(BUILD)/asan/luksvol runs the suites under ASan.
CHECK_LUKSVOL ?= $(BUILD)/luksvol
# The compat table (issue 19) costs ~4.6 CPU-min in full: make check runs
# luksvol's side alone (the checks still ask the real cryptsetup) of the
# rows of the verbs Talos calls (35 of 152), but for format/talos, whose
# benchmarked argon2id (1 GiB, 4 threads, then unlocked by cryptsetup) is
# ~20 CPU-s alone; make test runs every row with both tools.
CHECK_COMPAT_ROWS ?= @(format|token|test)/!(talos)
# (tests/tpm/tpm.mk adds its programs to both.)
CHECK_UNITS = $(UNIT_NAMES) $(TPM_TEST_BINS:$(BUILD)/asan/tests/%=%)
check: $(DEPS_STAMP) $(BUILD)/luksvol $(BUILD)/asan/luksvol $(UNIT_NAMES:%=$(BUILD)/asan/tests/%) \
		$(TEST_TOOLS) static
	@BUILD=$(BUILD) LV_UNITS="$(CHECK_UNITS)" \
		LV_SUITES="$(filter-out tests/interop/features.sh,$(wildcard tests/interop/*.sh))" \
		LUKSVOL=$(abspath $(CHECK_LUKSVOL)) LV_JOBS=3 LV_CHAIN_STEPS=40 LV_BACKUP_RACE_RUNS=0 \
		LV_OPTION_SAMPLE=5 \
		LV_COMPAT_TOOLS=luksvol LV_COMPAT_ONLY='$(CHECK_COMPAT_ROWS)' ./tests/run.sh

# The exhaustive sweeps: every byte of both JSON areas flipped.
test-long: $(DEPS_STAMP) $(BUILD)/asan/tests/test_corruption
	LV_CORRUPTION_LONG=1 $(BUILD)/asan/tests/test_corruption

# For valgrind memcheck (tests/reliability/valgrind.sh): the CLI and the
# tests/unit binaries without sanitizers, -O1 -g, in $(BUILD)/valgrind
# (under its asan/ only because that is where the test rules put them).
VALGRIND_BUILD := $(BUILD)/valgrind
valgrind: $(DEPS_STAMP)
	@$(MAKE) --no-print-directory BUILD=$(VALGRIND_BUILD) DEPS_STAMP=$(DEPS_STAMP) \
		BUILD_DEPS_STAMP=$(BUILD_DEPS_STAMP) CFLAGS_SAN='$$(CFLAGS_BASE) -O1 -g' LDFLAGS_SAN= $(VALGRIND_BUILD)/asan/luksvol \
		$(UNIT_SRCS:tests/unit/%.c=$(VALGRIND_BUILD)/asan/tests/%)

demo: $(DEPS_STAMP) $(BUILD)/luksvol
	@BUILD=$(BUILD) ./scripts/demo.sh

# The minimal static build an initramfs carries: the kernel's crypto
# (STATIC_CRYPTO=openssl for the other), built in $(BUILD)/static.
STATIC_CRYPTO ?= kernel
STATIC_MAKE = $(MAKE) --no-print-directory BUILD=$(BUILD)/static CRYPTO=$(STATIC_CRYPTO) STATIC=1 \
	DEPS_STAMP=$(DEPS_STAMP) BUILD_DEPS_STAMP=$(BUILD_DEPS_STAMP)
static: $(BUILD_DEPS_STAMP)
	+@$(STATIC_MAKE) $(BUILD)/static/luksvol
	@cp $(BUILD)/static/luksvol $(BUILD)/luksvol-static
	@echo "  STATIC  $(BUILD)/luksvol-static: $$(stat -c %s $(BUILD)/luksvol-static) bytes"

# What the VM suite runs with it: that build's crypto unit tests
# (dynamically linked: Debian ships no static cmocka) and a PBKDF2 probe.
static-tests: $(DEPS_STAMP) static
	+@$(STATIC_MAKE) $(BUILD)/static/tests/test_crypto $(BUILD)/static/tests/pbkdf2_calls

$(BUILD)/tests/test_crypto: tests/unit/test_crypto.c tests/unit/unit.h $(BUILD)/libluksvol.a
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) $(CFLAGS_OPT) -DLV_TEST_BACKEND='"$(CRYPTO)"' -Itests/unit -o $@ $< \
		$(BUILD)/libluksvol.a $(PKG_LIBS) -lcmocka

# One PBKDF2 and nothing else: the VM counts its system calls.
$(BUILD)/tests/pbkdf2_calls: tests/vm/pbkdf2_calls.c $(BUILD)/libluksvol.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_OPT) $(LDFLAGS_OPT) -o $@ $< $(BUILD)/libluksvol.a $(PKG_LIBS)

# The live-mapping calls (resize, refresh, suspend, resume) one at a time,
# for the VM (tests/vm/t_dm_live.sh).
$(BUILD)/tests/dm_calls: tests/vm/dm_calls.c $(BUILD)/libluksvol.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_OPT) $(LDFLAGS_OPT) -o $@ $< $(BUILD)/libluksvol.a $(PKG_LIBS)

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
# Debian's multiarch library directory (lib/x86_64-linux-gnu), from
# dpkg-architecture or the compiler; LIBDIR= overrides it.
MULTIARCH ?= $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || \
	$(CC) -print-multiarch 2>/dev/null)
LIBDIR ?= $(PREFIX)/lib$(if $(MULTIARCH),/$(MULTIARCH))
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig

# The installed luksvol_features.h: what this build has.
FEATURES_HDR := $(BUILD)/include/luksvol_features.h

$(FEATURES_HDR): $(FLAGS_STAMP) Makefile
	@mkdir -p $(dir $@)
	@{ echo '/* luksvol_features.h: what this build of libluksvol has (generated by make). */'; \
	  echo '#ifndef LUKSVOL_FEATURES_H'; echo '#define LUKSVOL_FEATURES_H'; echo; \
	  echo '#define LUKSVOL_VERSION "$(LV_VERSION)"'; \
	  echo '/* 1: built in; 0: left out (README.md "Build"). */'; \
	  echo '#define LUKSVOL_WITH_TPM $(WITH_TPM)'; echo '#define LUKSVOL_WITH_KMS $(WITH_KMS)'; \
	  echo '#define LUKSVOL_WITH_CLEVIS $(WITH_CLEVIS)'; \
	  echo '#define LUKSVOL_WITH_YAML $(WITH_YAML)'; echo '#define LUKSVOL_WITH_BLKID $(WITH_BLKID)'; \
	  echo '/* The crypto backend: "openssl" (OpenSSL 3) or "kernel" (AF_ALG). */'; \
	  echo '#define LUKSVOL_CRYPTO_BACKEND "$(CRYPTO)"'; \
	  echo '#define LUKSVOL_CRYPTO_OPENSSL $(if $(filter openssl,$(CRYPTO)),1,0)'; \
	  echo '#define LUKSVOL_CRYPTO_KERNEL $(if $(filter kernel,$(CRYPTO)),1,0)'; echo; \
	  echo '#endif'; } >$@

install: $(BUILD)/luksvol $(BUILD)/libluksvol.a $(BUILD)/$(SO_FILE) $(FEATURES_HDR)
	install -D -m 0755 $(BUILD)/luksvol $(DESTDIR)$(SBINDIR)/luksvol
	install -D -m 0644 $(BUILD)/libluksvol.a $(DESTDIR)$(LIBDIR)/libluksvol.a
	install -D -m 0755 $(BUILD)/$(SO_FILE) $(DESTDIR)$(LIBDIR)/$(SO_FILE)
	ln -sf $(SO_FILE) $(DESTDIR)$(LIBDIR)/$(SO_NAME)
	ln -sf $(SO_NAME) $(DESTDIR)$(LIBDIR)/libluksvol.so
	for h in $(PUBLIC_HDRS); do install -D -m 0644 $$h $(DESTDIR)$(INCLUDEDIR)/$${h#include/}; done
	install -D -m 0644 $(FEATURES_HDR) $(DESTDIR)$(INCLUDEDIR)/luksvol_features.h
	install -D -m 0644 src/cli/luksvol.8 $(DESTDIR)$(MANDIR)/man8/luksvol.8
	mkdir -p $(DESTDIR)$(PKGCONFIGDIR)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
		-e 's|@VERSION@|$(LV_VERSION)|' -e 's|@REQUIRES_PRIVATE@|$(strip $(PKGS))|' \
		scripts/luksvol.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/luksvol.pc

clean:
	rm -rf $(BUILD)

-include fuzz/fuzz.mk
-include bench/bench.mk
-include tests/tpm/tpm.mk
