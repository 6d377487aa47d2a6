# libroam — the two commands (see README.md):
#   make run    installs what is missing, builds, runs the demo
#   make test   installs what is missing, builds, runs every test suite
# Other targets: build, install (PREFIX, DESTDIR), asan, fuzz (FUZZ_SECONDS), vectors, bench, clean.

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
TSAN_BUILD ?= build-tsan
FUZZ_SECONDS ?= 60
BUILD_TYPE ?= RelWithDebInfo
PREFIX     ?= /usr/local
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

.PHONY: all deps deps-rust configure build run test install asan asan-build fuzz fuzz-build tsan-build vectors abi-baseline bench clean

all: build

deps:
	@scripts/install-deps.sh

deps-rust:
	@scripts/install-deps.sh --rust

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_ARGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# Builds just the demo (quietly: the log is shown only if the build fails).
run: configure
	@cmake --build $(BUILD) -j $(JOBS) --target roam-demo > $(BUILD)/build-run.log 2>&1 \
	  || { cat $(BUILD)/build-run.log; exit 1; }
	@$(BUILD)/tools/roam-demo

# Every suite twice: the optimized build, and again under AddressSanitizer,
# UndefinedBehaviorSanitizer and LeakSanitizer; then a few seconds of each
# fuzz target; and the runtime's thread-safe entry points under
# ThreadSanitizer (one summary for all).
test: deps-rust build asan-build fuzz-build tsan-build
	@scripts/run-tests.sh $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(TSAN_BUILD)

install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

# The sanitizer tree shares the Rust peer's cargo build with the main one.
asan-build: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DROAM_SANITIZE=ON \
	  -DROAM_CARGO_TARGET_DIR=$(CURDIR)/$(BUILD)/cargo $(CMAKE_ARGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

# Only the sanitizer run.
asan: deps-rust asan-build
	@scripts/run-tests.sh $(ASAN_BUILD)

# ThreadSanitizer needs clang here: only the library and test_capi_threads
# (post / wake / stop from many threads), no tools, no cargo.
tsan-build: deps
	@CC=clang-14 CXX=clang++-14 cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DROAM_TSAN=ON >/dev/null
	@cmake --build $(TSAN_BUILD) -j $(JOBS)

# libFuzzer targets (tests/fuzz) in their own clang tree: only the sans-I/O
# core, the C API objects (for fuzz_capi) and the targets, no C tests, no cargo.
fuzz-build: deps
	@CC=clang-14 CXX=clang++-14 cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DROAM_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)

# Each target for FUZZ_SECONDS on its corpus ($(FUZZ_BUILD)/fuzz/corpus, kept
# between runs, seeded from tests/vectors) and tests/fuzz/regressions/.
fuzz: fuzz-build
	@status=0; for target in fuzz_frame_decoder fuzz_message_decoder fuzz_session fuzz_capi fuzz_postcard; do \
	  tests/fuzz/run_fuzz.sh $(FUZZ_BUILD)/tests/fuzz/$$target $(FUZZ_SECONDS) \
	    $(FUZZ_BUILD)/fuzz tests/fuzz/regressions || status=1; \
	done; exit $$status

# Regenerates tests/vectors/*.hex with the Rust interop peer (roam 7.3.0).
vectors: deps-rust build
	@cmake --build $(BUILD) --target roam-vectors

# Rewrites the ABI baseline after symbols were added on purpose.
# Absolute header paths, as in the DWARF: with relative ones --drop-private-types
# reduces public structs (roam_postcard_writer) to declarations.
abi-baseline: build
	@abidw --no-corpus-path --no-show-locs --exported-interfaces-only \
	  --header-file $(CURDIR)/include/roam/roam.h --header-file $(CURDIR)/include/roam/roam_errors.h \
	  --header-file $(CURDIR)/include/roam/roam_postcard.h \
	  --header-file $(CURDIR)/include/roam/roam_method_id.h \
	  --drop-private-types --suppressions tests/abi/experimental.suppr \
	  --out-file tests/abi/libroam.abi $(BUILD)/libroam.so
	@echo "tests/abi/libroam.abi updated: review and commit it"

bench: build
	@cmake --build $(BUILD) --target bench-run

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(TSAN_BUILD)
