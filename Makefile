# libroam — the two commands (see README.md):
#   make run    installs what is missing, builds, runs the demo
#   make test   installs what is missing, builds, runs every test suite
# Other targets: build, install (PREFIX, DESTDIR), asan, vectors, bench, clean.

BUILD      ?= build
ASAN_BUILD ?= build-asan
BUILD_TYPE ?= RelWithDebInfo
PREFIX     ?= /usr/local
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

.PHONY: all deps deps-rust configure build run test install asan asan-build vectors abi-baseline bench clean

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
# UndefinedBehaviorSanitizer and LeakSanitizer (one summary for both).
test: deps-rust build asan-build
	@scripts/run-tests.sh $(BUILD) $(ASAN_BUILD)

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

# Regenerates tests/vectors/*.hex with the Rust interop peer (roam 7.3.0).
vectors: deps-rust build
	@cmake --build $(BUILD) --target roam-vectors

# Rewrites the ABI baseline after symbols were added on purpose.
abi-baseline: build
	@abidw --no-corpus-path --no-show-locs --exported-interfaces-only \
	  --headers-dir include/roam --drop-private-types \
	  --out-file tests/abi/libroam.abi $(BUILD)/libroam.so
	@echo "tests/abi/libroam.abi updated: review and commit it"

bench: build
	@cmake --build $(BUILD) --target bench-run

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
