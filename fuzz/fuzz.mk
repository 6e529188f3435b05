# fuzz.mk: fuzzing targets, included by the top-level Makefile.
#
#   make fuzz            libFuzzer + ASan + UBSan targets in $(BUILD)/fuzz/<target> (clang)
#   make fuzz-afl        AFL++ targets in $(BUILD)/fuzz-afl/<target> (ASan + UBSan)
#                        and <target>.cmplog (CMPLOG, no sanitizer)
#   make fuzz-replay     $(BUILD)/fuzz-replay/<target> ($(CC), ASan + UBSan, no libFuzzer)
#                        run over the target's corpus (fuzz/corpus_dirs.sh) and
#                        fuzz/regressions/<target>
#   make fuzz-smoke      every libFuzzer target for FUZZ_SMOKE_SECONDS (default 30)
#   make fuzz-coverage   source-based coverage of the corpora, per file of src/luks2
#   make fuzz-valgrind   the corpora under valgrind memcheck (in place of MSan, see README)
#   make fuzz-seeds      regenerate and minimize fuzz/corpus (fuzz/make_seeds.sh)
#
# The library sources (LIB_SRCS) are compiled again for each flavour: the
# sanitizer and instrumentation flags differ from build/libluksvol.a.  The
# replay flavour is the exception: it links build/asan/libluksvol.a, which
# `make test` builds anyway with the same flags.  See fuzz/README.md.

# One line: tests/fuzz/run.sh, smoke.sh and replay.sh read it with sed.
FUZZ_TARGETS := luks2_load luks2_dump luks2_json json_tree luks2_unlock luks2_roundtrip token_import config_yaml meta_adv kms_wire tpm_token tpm_pcrsig systemd_tpm2_token clevis_token tang_adv
# The scripts read the line above; a build without clevis has no clevis targets.
ifeq ($(WITH_CLEVIS),0)
  FUZZ_TARGETS := $(filter-out clevis_token tang_adv,$(FUZZ_TARGETS))
endif
FUZZ_CC ?= clang
AFL_CC ?= afl-clang-fast
LLVM_PROFDATA ?= llvm-profdata-14
LLVM_COV ?= llvm-cov-14
FUZZ_SMOKE_SECONDS ?= 30

FUZZ_COMMON_SRCS := fuzz/fuzz_common.c
# Large-block reuse for the libFuzzer and AFL++ builds (see fuzz/fuzz_alloc.c),
# and each sealed header copy hashed once a run (fuzz/hash_memo.c).
FUZZ_ALLOC_SRCS := fuzz/fuzz_alloc.c fuzz/hash_memo.c
FUZZ_WRAP_LDFLAGS := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free \
	-Wl,--wrap=lv_hash_init,--wrap=lv_hash_update,--wrap=lv_hash_final,--wrap=lv_hash_free
FUZZ_HDRS := fuzz/fuzz_common.h $(HDRS)
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_OPT := -O1 -g -fno-omit-frame-pointer

# ---- libFuzzer -----------------------------------------------------------

FUZZ_DIR := $(BUILD)/fuzz
FUZZ_CFLAGS := $(CFLAGS_BASE) $(FUZZ_OPT) $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
	-fsanitize-coverage-allowlist=fuzz/coverage.allowlist
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_HARNESS_OBJS := $(FUZZ_COMMON_SRCS:%.c=$(FUZZ_DIR)/obj/%.o) \
	$(FUZZ_ALLOC_SRCS:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_OBJS := $(FUZZ_LIB_OBJS) $(FUZZ_HARNESS_OBJS)
# The targets link the library as an archive: only the objects a target
# reaches come in, with their coverage counters.  libFuzzer clears and
# scans every counter of the binary after each run; linked as objects, the
# whole library gave luks2_load 18,751 counters for the 900-odd it can hit.
FUZZ_LIB := $(FUZZ_DIR)/libluksvol-fuzz.a
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/%)
# The JSON parser and printer (json_tree.c, json_print.c, their arena)
# give the LUKS2 targets no coverage feedback, as json-c, a system library,
# never did: their branches are the JSON grammar's, which the json_tree
# target explores against json-c, and their instrumentation would cost
# luks2_load two thirds of a run.  Still under ASan and UBSan everywhere.
# json_tree links copies with the feedback (obj-json/).  See README.md
# "Speed".
FUZZ_NOCOV_SRCS := src/luks2/json_tree.c src/luks2/json_print.c src/luks2/arena.c
FUZZ_JSON_OBJS := $(FUZZ_NOCOV_SRCS:%.c=$(FUZZ_DIR)/obj-json/%.o)

$(FUZZ_OBJS): $(FUZZ_DIR)/obj/%.o: %.c $(FUZZ_HDRS) fuzz/coverage.allowlist | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC-FUZZ $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) \
		$(if $(filter $<,$(FUZZ_NOCOV_SRCS)),-fsanitize-coverage-ignorelist=fuzz/coverage.ignorelist) \
		-c $< -o $@

$(FUZZ_JSON_OBJS): $(FUZZ_DIR)/obj-json/%.o: %.c $(FUZZ_HDRS) fuzz/coverage.allowlist | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC-FUZZ $< (with feedback)"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	@rm -f $@ && ar rcs $@ $(FUZZ_LIB_OBJS)

$(filter-out $(FUZZ_DIR)/json_tree,$(FUZZ_BINS)): $(FUZZ_DIR)/%: fuzz/%.c $(FUZZ_HARNESS_OBJS) \
		$(FUZZ_LIB)
	@echo "  LD-FUZZ $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_WRAP_LDFLAGS) -o $@ $< \
		$(FUZZ_HARNESS_OBJS) $(FUZZ_LIB) $(PKG_LIBS)

# The objects with feedback come before the archive: its copies of them
# are never pulled in.
$(FUZZ_DIR)/json_tree: fuzz/json_tree.c $(FUZZ_HARNESS_OBJS) $(FUZZ_JSON_OBJS) $(FUZZ_LIB)
	@echo "  LD-FUZZ $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_WRAP_LDFLAGS) -o $@ $< \
		$(FUZZ_HARNESS_OBJS) $(FUZZ_JSON_OBJS) $(FUZZ_LIB) $(PKG_LIBS)

# ---- AFL++ ---------------------------------------------------------------
# afl-clang-fast turns -fsanitize=fuzzer into a link with libAFLDriver.a
# (persistent mode, shared-memory test cases): the harnesses are unchanged.

FUZZ_AFL_DIR := $(BUILD)/fuzz-afl
AFL_ENV := AFL_QUIET=1
FUZZ_AFL_CFLAGS := $(CFLAGS_BASE) $(FUZZ_OPT) $(FUZZ_SAN)
FUZZ_AFL_CMPLOG_CFLAGS := $(CFLAGS_BASE) -O2 -g
FUZZ_AFL_LIB_OBJS := $(LIB_SRCS:%.c=$(FUZZ_AFL_DIR)/obj/%.o)
FUZZ_AFL_HARNESS_OBJS := $(FUZZ_COMMON_SRCS:%.c=$(FUZZ_AFL_DIR)/obj/%.o) \
	$(FUZZ_ALLOC_SRCS:%.c=$(FUZZ_AFL_DIR)/obj/%.o)
FUZZ_AFL_OBJS := $(FUZZ_AFL_LIB_OBJS) $(FUZZ_AFL_HARNESS_OBJS)
# As FUZZ_LIB: only what a target reaches, so a smaller coverage map.
FUZZ_AFL_LIB := $(FUZZ_AFL_DIR)/libluksvol-afl.a
FUZZ_AFL_CMPLOG_OBJS := $(LIB_SRCS:%.c=$(FUZZ_AFL_DIR)/cmplog-obj/%.o) \
	$(FUZZ_COMMON_SRCS:%.c=$(FUZZ_AFL_DIR)/cmplog-obj/%.o)
FUZZ_AFL_BINS := $(FUZZ_TARGETS:%=$(FUZZ_AFL_DIR)/%) $(FUZZ_TARGETS:%=$(FUZZ_AFL_DIR)/%.cmplog)

$(FUZZ_AFL_OBJS): $(FUZZ_AFL_DIR)/obj/%.o: %.c $(FUZZ_HDRS) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC-AFL  $<"
	@$(AFL_ENV) $(AFL_CC) $(FUZZ_AFL_CFLAGS) -c $< -o $@

$(FUZZ_AFL_CMPLOG_OBJS): $(FUZZ_AFL_DIR)/cmplog-obj/%.o: %.c $(FUZZ_HDRS) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC-CMPL $<"
	@$(AFL_ENV) AFL_LLVM_CMPLOG=1 $(AFL_CC) $(FUZZ_AFL_CMPLOG_CFLAGS) -c $< -o $@

$(FUZZ_TARGETS:%=$(FUZZ_AFL_DIR)/%.cmplog): $(FUZZ_AFL_DIR)/%.cmplog: fuzz/%.c \
		$(FUZZ_AFL_CMPLOG_OBJS)
	@echo "  LD-CMPL $@"
	@$(AFL_ENV) AFL_LLVM_CMPLOG=1 $(AFL_CC) $(FUZZ_AFL_CMPLOG_CFLAGS) -fsanitize=fuzzer \
		-o $@ $< $(FUZZ_AFL_CMPLOG_OBJS) $(PKG_LIBS)

$(FUZZ_AFL_LIB): $(FUZZ_AFL_LIB_OBJS)
	@rm -f $@ && ar rcs $@ $(FUZZ_AFL_LIB_OBJS)

$(FUZZ_TARGETS:%=$(FUZZ_AFL_DIR)/%): $(FUZZ_AFL_DIR)/%: fuzz/%.c $(FUZZ_AFL_HARNESS_OBJS) \
		$(FUZZ_AFL_LIB)
	@echo "  LD-AFL  $@"
	@$(AFL_ENV) $(AFL_CC) $(FUZZ_AFL_CFLAGS) -fsanitize=fuzzer $(FUZZ_WRAP_LDFLAGS) -o $@ $< \
		$(FUZZ_AFL_HARNESS_OBJS) $(FUZZ_AFL_LIB) $(PKG_LIBS)

# ---- replay: the normal compiler, ASan + UBSan, standalone_main.c ---------

FUZZ_REPLAY_DIR := $(BUILD)/fuzz-replay
FUZZ_REPLAY_BINS := $(FUZZ_TARGETS:%=$(FUZZ_REPLAY_DIR)/%)
FUZZ_REPLAY_SRCS := $(FUZZ_COMMON_SRCS) fuzz/standalone_main.c

$(FUZZ_REPLAY_BINS): $(FUZZ_REPLAY_DIR)/%: fuzz/%.c $(FUZZ_REPLAY_SRCS) fuzz/fuzz_common.h \
		$(BUILD)/asan/libluksvol.a
	@mkdir -p $(dir $@)
	@echo "  LD-RPLY $@"
	@$(CC) $(CFLAGS_SAN) -o $@ $< $(FUZZ_REPLAY_SRCS) $(BUILD)/asan/libluksvol.a $(PKG_LIBS)

# ---- valgrind: no sanitizer, build/libluksvol.a, standalone_main.c --------
# What MSan would find (uses of uninitialized memory), across json-c,
# OpenSSL and libargon2 too, which an MSan build cannot instrument.

FUZZ_PLAIN_DIR := $(BUILD)/fuzz-plain
FUZZ_PLAIN_BINS := $(FUZZ_TARGETS:%=$(FUZZ_PLAIN_DIR)/%)

$(FUZZ_PLAIN_BINS): $(FUZZ_PLAIN_DIR)/%: fuzz/%.c $(FUZZ_REPLAY_SRCS) fuzz/fuzz_common.h \
		$(BUILD)/libluksvol.a
	@mkdir -p $(dir $@)
	@echo "  LD-PLN  $@"
	@$(CC) $(CFLAGS_BASE) -O1 -g -o $@ $< $(FUZZ_REPLAY_SRCS) $(BUILD)/libluksvol.a $(PKG_LIBS)

# ---- coverage: clang source-based coverage, standalone_main.c -------------
# FUZZ_COV_CORE: the files that read and check an untrusted header (the
# binary header and checksum, the copy choice and probe, the JSON parser,
# the JSON area, typed structs, validation, strict checks, base64).

FUZZ_COV_DIR := $(BUILD)/fuzz-cov
FUZZ_COV_CFLAGS := $(CFLAGS_BASE) -O0 -g -fprofile-instr-generate -fcoverage-mapping
FUZZ_COV_OBJS := $(LIB_SRCS:%.c=$(FUZZ_COV_DIR)/obj/%.o) \
	$(FUZZ_REPLAY_SRCS:%.c=$(FUZZ_COV_DIR)/obj/%.o)
FUZZ_COV_BINS := $(FUZZ_TARGETS:%=$(FUZZ_COV_DIR)/%)
FUZZ_COV_CORE := $(addprefix $(CURDIR)/src/luks2/,hdr_disk.c device.c json_tree.c json_read.c \
	validate.c strict.c base64.c)
FUZZ_COV_OBJECT_ARGS = $(firstword $(FUZZ_COV_BINS)) \
	$(patsubst %,-object %,$(wordlist 2,99,$(FUZZ_COV_BINS)))

$(FUZZ_COV_OBJS): $(FUZZ_COV_DIR)/obj/%.o: %.c $(FUZZ_HDRS) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC-COV  $<"
	@$(FUZZ_CC) $(FUZZ_COV_CFLAGS) -c $< -o $@

$(FUZZ_COV_BINS): $(FUZZ_COV_DIR)/%: fuzz/%.c $(FUZZ_COV_OBJS)
	@echo "  LD-COV  $@"
	@$(FUZZ_CC) $(FUZZ_COV_CFLAGS) -o $@ $< $(FUZZ_COV_OBJS) $(PKG_LIBS)

# ---- phony entry points --------------------------------------------------

.PHONY: fuzz fuzz-afl fuzz-replay fuzz-replay-bins fuzz-smoke fuzz-coverage fuzz-seeds \
	fuzz-valgrind fuzz-clean
.SECONDARY: $(FUZZ_OBJS) $(FUZZ_JSON_OBJS) $(FUZZ_AFL_OBJS) $(FUZZ_AFL_CMPLOG_OBJS) $(FUZZ_COV_OBJS)

fuzz: $(FUZZ_BINS)
fuzz-afl: $(FUZZ_AFL_BINS)
fuzz-replay-bins: $(FUZZ_REPLAY_BINS)

# One line per target; PASS/FAIL lines also go to $(LV_RESULTS) when set.
fuzz-replay: $(FUZZ_REPLAY_BINS)
	@BUILD=$(BUILD) FUZZ_REPLAY_NO_BUILD=1 ./fuzz/replay.sh

# One target at a time (fuzz/smoke.sh); new inputs go to
# $(FUZZ_DIR)/smoke/<target>, the committed corpus is only read.  One
# PASS/FAIL line per target, also appended to $(LV_RESULTS) when set.
# FUZZ_SKIP_KNOWN_BUGS=all goes past the bugs README.md lists as known.
fuzz-smoke: $(FUZZ_BINS)
	@BUILD=$(BUILD) FUZZ_TARGETS="$(FUZZ_TARGETS)" FUZZ_SMOKE_SECONDS=$(FUZZ_SMOKE_SECONDS) \
		FUZZ_SKIP_KNOWN_BUGS=$(FUZZ_SKIP_KNOWN_BUGS) ./fuzz/smoke.sh

fuzz-coverage: $(FUZZ_COV_BINS)
	@rm -rf $(FUZZ_COV_DIR)/prof && mkdir -p $(FUZZ_COV_DIR)/prof
	@for t in $(FUZZ_TARGETS); do \
		dirs=""; \
		for d in $$(fuzz/corpus_dirs.sh $$t) fuzz/regressions/$$t fuzz/regressions/$$t/must-load \
			fuzz/regressions/$$t/must-reject; do \
			[ -d $$d ] && dirs="$$dirs $$d"; \
		done; \
		LLVM_PROFILE_FILE=$(FUZZ_COV_DIR)/prof/$$t.profraw \
			$(FUZZ_COV_DIR)/$$t $$dirs >/dev/null 2>$(FUZZ_COV_DIR)/prof/$$t.log || \
			{ echo "fuzz-coverage: $$t failed, see $(FUZZ_COV_DIR)/prof/$$t.log"; exit 1; }; \
		$(LLVM_PROFDATA) merge -sparse $(FUZZ_COV_DIR)/prof/$$t.profraw \
			-o $(FUZZ_COV_DIR)/prof/$$t.profdata; \
	done
	@$(LLVM_PROFDATA) merge -sparse $(FUZZ_TARGETS:%=$(FUZZ_COV_DIR)/prof/%.profraw) \
		-o $(FUZZ_COV_DIR)/prof/all.profdata
	@echo "== line coverage of src/luks2 by all fuzz targets (corpora + regressions)"
	@$(LLVM_COV) report $(FUZZ_COV_OBJECT_ARGS) -instr-profile=$(FUZZ_COV_DIR)/prof/all.profdata \
		-show-region-summary=false -show-branch-summary=false \
		$(sort $(wildcard $(CURDIR)/src/luks2/*.c))
	@for t in $(FUZZ_TARGETS); do \
		printf '%-16s ' $$t; \
		$(LLVM_COV) report $(FUZZ_COV_DIR)/$$t -instr-profile=$(FUZZ_COV_DIR)/prof/$$t.profdata \
			-show-region-summary=false -show-branch-summary=false \
			$(sort $(wildcard $(CURDIR)/src/luks2/*.c)) | \
			awk '/^TOTAL/ { printf "src/luks2 lines: %s (%d of %d)\n", $$NF, $$(NF-2) - $$(NF-1), $$(NF-2) }'; \
	done
	@echo "== the header-load and JSON-validation files (goal: 85% of their lines each)"
	@$(LLVM_COV) report $(FUZZ_COV_OBJECT_ARGS) -instr-profile=$(FUZZ_COV_DIR)/prof/all.profdata \
		-show-region-summary=false -show-branch-summary=false $(FUZZ_COV_CORE) | \
		sed -n '/^Filename/,$$p' | grep -v '^-'
	@$(LLVM_COV) show $(FUZZ_COV_OBJECT_ARGS) -instr-profile=$(FUZZ_COV_DIR)/prof/all.profdata \
		$(FUZZ_COV_CORE) | awk '/^\/.*:$$/ { file = $$0 } \
		/^ *[0-9]+\| *0\|/ { print file " " $$0 }' | sed 's|^$(CURDIR)/||' \
		>$(FUZZ_COV_DIR)/unreached.txt
	@echo "== their unreached lines: $(FUZZ_COV_DIR)/unreached.txt ($$(wc -l <$(FUZZ_COV_DIR)/unreached.txt))"
	@$(LLVM_COV) show $(FUZZ_COV_OBJECT_ARGS) \
		-instr-profile=$(FUZZ_COV_DIR)/prof/all.profdata -format=html \
		-output-dir=$(FUZZ_COV_DIR)/html $(sort $(wildcard $(CURDIR)/src/luks2/*.c))
	@echo "== annotated sources: $(FUZZ_COV_DIR)/html/index.html"

# Every corpus and regression file under valgrind memcheck, one target at a time.
fuzz-valgrind: $(FUZZ_PLAIN_BINS)
	@for t in $(FUZZ_TARGETS); do \
		dirs=""; \
		for d in $$(fuzz/corpus_dirs.sh $$t) fuzz/regressions/$$t fuzz/regressions/$$t/must-load \
			fuzz/regressions/$$t/must-reject; do \
			[ -d $$d ] && dirs="$$dirs $$d"; \
		done; \
		if valgrind -q --error-exitcode=99 --track-origins=yes \
			$(FUZZ_PLAIN_DIR)/$$t $$dirs >$(FUZZ_PLAIN_DIR)/$$t.valgrind.log 2>&1; then \
			echo "PASS fuzz-valgrind/$$t"; \
		else \
			echo "FAIL fuzz-valgrind/$$t: see $(FUZZ_PLAIN_DIR)/$$t.valgrind.log"; exit 1; \
		fi; \
	done

# Regenerates the raw seeds under $(BUILD)/fuzz-seeds and merges them into
# fuzz/corpus (replacing it) with the libFuzzer targets.
fuzz-seeds: $(BUILD)/luksvol $(FUZZ_BINS)
	@BUILD=$(BUILD) ./fuzz/make_seeds.sh --merge

fuzz-clean:
	rm -rf $(FUZZ_DIR) $(FUZZ_AFL_DIR) $(FUZZ_REPLAY_DIR) $(FUZZ_COV_DIR) $(FUZZ_PLAIN_DIR)
