# bench.mk: `make bench`, included by the Makefile.  luksvol against
# cryptsetup, side by side (bench/bench.py); writes bench/RESULTS.md and
# bench/results.png.  Not part of `make test`: no timing is asserted there.
# BENCH_ARGS passes options to bench.py (e.g. --no-vm, --only dump-16k).
BENCH_ARGS ?=

.PHONY: bench
bench: $(DEPS_STAMP) $(BUILD)/luksvol $(BUILD)/bench/lvtime $(BUILD)/bench/link-floor
	@# The static builds are figures of their own; their failure is reported
	@# in RESULTS.md as pending, it does not stop the rest.
	-@$(MAKE) --no-print-directory static
	@BUILD=$(BUILD) /usr/bin/python3 bench/bench.py $(BENCH_ARGS)

# The timer runs inside the VM too, where there is no libc: static.
$(BUILD)/bench/lvtime: bench/lvtime.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) -std=c11 -D_GNU_SOURCE -O2 $(WARN) -static -o $@ $<

# Nothing but the dynamic linking of the libraries build/luksvol needs.
$(BUILD)/bench/link-floor: bench/null.c $(BUILD)/luksvol
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) -std=c11 -O2 $(WARN) -o $@ $< -Wl,--no-as-needed \
		$$(readelf -d $(BUILD)/luksvol | sed -n 's/.*Shared library: \[\(.*\)\]/-l:\1/p')
