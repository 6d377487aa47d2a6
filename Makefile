# libroam — the two commands (see README.md):
#   make run    installs what is missing, builds, runs the demo
#   make test   installs what is missing, builds, runs every test suite
# Other targets: build, install (PREFIX, DESTDIR), asan, vectors, bench, clean.

BUILD      ?= build
BUILD_TYPE ?= RelWithDebInfo
PREFIX     ?= /usr/local
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

.PHONY: all deps deps-rust configure build run test install asan vectors bench clean

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

run: build
	@$(BUILD)/tools/roam-demo

test: deps-rust build
	@scripts/run-tests.sh $(BUILD)

install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

# Every suite again under AddressSanitizer + UndefinedBehaviorSanitizer.
asan:
	@$(MAKE) --no-print-directory test BUILD=build-asan BUILD_TYPE=Debug \
	  CMAKE_ARGS="-DROAM_SANITIZE=ON $(CMAKE_ARGS)"

# Regenerates tests/vectors/*.hex with the Rust interop peer (roam 7.3.0).
vectors: deps-rust build
	@cmake --build $(BUILD) --target roam-vectors

bench: build
	@cmake --build $(BUILD) --target bench-run

clean:
	rm -rf build build-asan
