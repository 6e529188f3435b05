# tpm.mk: the TPM test programs, included by the top-level Makefile.
#
#   $(BUILD)/asan/tpm/lvtpm        the driver tests/interop/tpm.sh runs
#                                  against swtpm (ASan + UBSan)
#   $(BUILD)/tpm/lvtpm             the same without sanitizers, for the VM
#                                  (tests/vm/t_tpm.sh, the kernel's TPM driver)
#   $(BUILD)/asan/tests/test_tpm_* cmocka tests of src/tpm that need no TPM
#                                  (tests/run.sh runs those of tests/*/test_*.c)
# Built by `make test` and `make check` when WITH_TPM=1.

ifeq ($(WITH_TPM),1)
TPM_TEST_SRCS := $(wildcard tests/tpm/test_*.c)
TPM_TEST_BINS := $(TPM_TEST_SRCS:tests/tpm/%.c=$(BUILD)/asan/tests/%)
LVTPM := $(BUILD)/asan/tpm/lvtpm
LVTPM_VM := $(BUILD)/tpm/lvtpm

$(LVTPM): tests/tpm/lvtpm.c $(BUILD)/asan/libluksvol.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_SAN) -o $@ $< $(BUILD)/asan/libluksvol.a $(PKG_LIBS)

$(LVTPM_VM): tests/tpm/lvtpm.c $(BUILD)/libluksvol.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_OPT) -o $@ $< $(BUILD)/libluksvol.a $(PKG_LIBS)

$(TPM_TEST_BINS): $(BUILD)/asan/tests/%: tests/tpm/%.c tests/unit/unit.h $(BUILD)/asan/libluksvol.a
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) $(CFLAGS_SAN) -Itests/unit -o $@ $< $(BUILD)/asan/libluksvol.a $(PKG_LIBS) -lcmocka

.PHONY: tpm-tests
tpm-tests: $(LVTPM) $(LVTPM_VM) $(TPM_TEST_BINS)
test: tpm-tests
check: $(LVTPM) $(TPM_TEST_BINS)
endif
