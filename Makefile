# kbisect: the two set-up commands of the README are `make demo` and `make check`.
# Both install what is missing (scripts/install-deps.sh), configure and build.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
MESON_OPTS ?=
FUZZ_SECONDS ?= 60

.PHONY: all deps build asan check test demo demo-kernel fuzz fuzz-run bench-report bench-strategy bench-local-slots format clean

# The kernel end-to-end test (real kernel builds, QEMU boots; about 15 min on
# a cold 2-core machine, docs/kernel.md) is part of `make check`;
# `make check KERNEL=0` leaves it out (and does not install the kernel packages).
KERNEL ?= 1
DEPS_GROUP ?= base
SLOW ?= false
check: DEPS_GROUP := $(if $(filter 1,$(KERNEL)),all,base)
check: SLOW := $(if $(filter 1,$(KERNEL)),true,false)

all: build

deps:
	@scripts/install-deps.sh $(DEPS_GROUP)

$(BUILD)/build.ninja: | deps
	meson setup $(BUILD) $(MESON_OPTS)

build: deps $(BUILD)/build.ninja
	@meson configure $(BUILD) -Dslow_tests=$(SLOW)
	ninja -C $(BUILD)

$(ASAN_BUILD)/build.ninja: | deps
	meson setup $(ASAN_BUILD) -Dbuildtype=debug -Db_sanitize=address,undefined \
		-Db_lundef=false -Dc_args=-fno-sanitize-recover=all $(MESON_OPTS)

asan: deps $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)

# All tests, then all tests again under ASan+UBSan; one summary line at the end.
check: build asan
	@rc=0; \
	meson test -C $(BUILD) --print-errorlogs --num-processes 2 || rc=1; \
	meson test -C $(ASAN_BUILD) --print-errorlogs --num-processes 2 --timeout-multiplier 4 || rc=1; \
	scripts/test-summary.py $(BUILD) $(ASAN_BUILD) || rc=1; \
	exit $$rc

test: build
	meson test -C $(BUILD) --print-errorlogs

demo: build
	@scripts/demo.sh $(BUILD)

# Kernel bisection end to end (docs/kernel.md): real kernel builds, QEMU runs; prints the log.
demo-kernel: build
	@scripts/install-deps.sh kernel
	@KBISECT_SRCDIR=$(CURDIR) tests/kernel/t-kernel-e2e.sh $(BUILD)/src/kbisect --show

$(FUZZ_BUILD)/build.ninja: | deps
	CC=clang meson setup $(FUZZ_BUILD) -Dbuildtype=debug -Dfuzzing=true -Dtests=false \
		-Db_lundef=false $(MESON_OPTS)

fuzz: deps $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD)

# Run the fuzz targets for FUZZ_SECONDS in total (split evenly, at least 10 s each), starting from the committed corpus.
fuzz-run: fuzz
	@scripts/fuzz-run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench-report: build
	$(BUILD)/bench/bench-report $(ARGS)

# The strategy benchmark: the engine on the simulator, both strategies.
bench-strategy: build
	$(BUILD)/bench/bench-strategy $(ARGS)

# Build slots with the real local backend on the demo repository (ARGS: build and run delays).
bench-local-slots: build
	@bench/local-slots.sh $(BUILD) $(ARGS)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
