# luksvol: a from-scratch LUKS2 implementation and the `luksvol` command.
#
#   make            build/luksvol and build/libluksvol.a (-O2)
#   make test       ASan+UBSan build, then every test (tests/run.sh)
#   make demo       the main job, see README.md
#
# Build flags (see README.md): CRYPTO=openssl|kernel, CC, EXTRA_CFLAGS.

CRYPTO ?= openssl
CC ?= cc
BUILD ?= build
PKGS := json-c libargon2 openssl blkid yaml-0.1

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
CFLAGS_BASE := -std=c11 -D_GNU_SOURCE $(WARN) -Iinclude -Isrc $(PKG_CFLAGS) $(EXTRA_CFLAGS)
CFLAGS_OPT := $(CFLAGS_BASE) -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong
CFLAGS_SAN := $(CFLAGS_BASE) -O1 -g -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS_SAN := -fsanitize=address,undefined

CRYPTO_BACKENDS := $(wildcard src/crypto/backend_*.c)
LIB_SRCS := $(filter-out $(CRYPTO_BACKENDS),$(wildcard src/luks2/*.c src/crypto/*.c \
	src/dm/*.c src/keys/*.c src/config/*.c)) src/crypto/backend_$(CRYPTO).c
CLI_SRCS := $(wildcard src/cli/*.c)
HDRS := $(wildcard include/*.h src/*/*.h)

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
SAN_LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/asan/obj/%.o)
SAN_CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/asan/obj/%.o)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
RELIABILITY_SRCS := $(wildcard tests/reliability/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/asan/tests/%) \
	$(RELIABILITY_SRCS:tests/reliability/%.c=$(BUILD)/asan/tests/%)
DEPS_STAMP := $(BUILD)/.deps-ok

.PHONY: all test test-long demo clean deps asan unit
all: $(BUILD)/luksvol $(BUILD)/libluksvol.a

$(DEPS_STAMP): scripts/deps.sh
	@mkdir -p $(BUILD)
	@./scripts/deps.sh
	@touch $@

deps: $(DEPS_STAMP)

$(BUILD)/obj/%.o: %.c $(HDRS) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_OPT) -c $< -o $@

$(BUILD)/asan/obj/%.o: %.c $(HDRS) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC-SAN  $<"
	@$(CC) $(CFLAGS_SAN) -c $< -o $@

$(BUILD)/libluksvol.a: $(LIB_OBJS)
	@echo "  AR      $@"
	@rm -f $@ && ar rcs $@ $^

$(BUILD)/asan/libluksvol.a: $(SAN_LIB_OBJS)
	@echo "  AR      $@"
	@rm -f $@ && ar rcs $@ $^

$(BUILD)/luksvol: $(CLI_OBJS) $(BUILD)/libluksvol.a
	@echo "  LD      $@"
	@$(CC) -o $@ $(CLI_OBJS) $(BUILD)/libluksvol.a $(PKG_LIBS)

$(BUILD)/asan/luksvol: $(SAN_CLI_OBJS) $(BUILD)/asan/libluksvol.a
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS_SAN) -o $@ $(SAN_CLI_OBJS) $(BUILD)/asan/libluksvol.a $(PKG_LIBS)

$(BUILD)/asan/tests/%: tests/unit/%.c tests/unit/unit.h $(BUILD)/asan/libluksvol.a
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

asan: $(BUILD)/asan/luksvol
unit: $(UNIT_BINS)

test: $(DEPS_STAMP) $(BUILD)/luksvol $(BUILD)/asan/luksvol $(UNIT_BINS)
	@BUILD=$(BUILD) ./tests/run.sh

# The exhaustive sweeps: every byte of both JSON areas flipped.
test-long: $(DEPS_STAMP) $(BUILD)/asan/tests/test_corruption
	LV_CORRUPTION_LONG=1 $(BUILD)/asan/tests/test_corruption

demo: $(DEPS_STAMP) $(BUILD)/luksvol
	@BUILD=$(BUILD) ./scripts/demo.sh

clean:
	rm -rf $(BUILD)

-include fuzz/fuzz.mk
