#!/usr/bin/env bash
# Installs the Debian packages libroam needs to build and test, and only those
# that are missing. Called by the Makefile before every build so that a fresh
# machine needs nothing but `make test` or `make run`.
#
# As root it runs apt-get; as anyone else it prints the exact command to run.
# The Rust toolchain (for the interop peer) cannot come from Debian at the
# version the roam crates need, so it is checked and reported, not installed.
set -euo pipefail

packages=(
  cmake            # build system
  make
  g++              # C++17 core
  pkg-config       # finds libuv, checks the installed roam.pc
  libuv1-dev       # the event loop lib/uv is built on
  libcmocka-dev    # C test framework
  abigail-tools    # abidiff: ABI baseline check
  clang-14         # libFuzzer targets (make fuzz, tests/fuzz), the ThreadSanitizer tree
  libclang-rt-14-dev  # libFuzzer and sanitizer (TSan) runtimes for clang-14
  python3          # test drivers and the Python binding tests
  python3-pip      # pip: pytest and `pip install bindings/python`
  ruby             # the Ruby binding (bindings/ruby) and its minitest suite
  ruby-ffi         # the ffi gem the Ruby binding loads libroam.so.1 with
  libgrpc++-dev    # bench/: gRPC C++, the peer the benchmark compares with
  protobuf-compiler-grpc  # bench/: protoc and grpc_cpp_plugin for its echo service
  python3-venv     # bench/: a venv for matplotlib (the plots)
)

# Go for the Go binding: the toolchain on PATH or in /usr/local/go (the
# official tarball's place) if there is one, else Debian's (Go >= 1.19).
if ! command -v go >/dev/null 2>&1 && [[ ! -x /usr/local/go/bin/go ]]; then
  packages+=(golang-go)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "install-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "install-deps: missing Debian packages: ${missing[*]}" >&2
    echo "install-deps: run as root:  apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

# With --rust (what `make test` passes): cargo builds the Rust interop peer
# (tests/interop/peer) against the published roam crates; they need Rust >= 1.91.
[[ "${1:-}" == "--rust" ]] || exit 0
if command -v cargo >/dev/null 2>&1; then
  have=$(rustc --version | awk '{print $2}')
  if ! printf '1.91.0\n%s\n' "$have" | sort -V -C; then
    echo "install-deps: rustc $have is too old for the roam 7.3.0 crates (need >= 1.91);" >&2
    echo "install-deps: install a current toolchain with rustup (https://rustup.rs) and retry." >&2
    exit 1
  fi
else
  echo "install-deps: cargo not found: the interop tests need a Rust toolchain >= 1.91" >&2
  echo "install-deps: install it with rustup (https://rustup.rs) and retry." >&2
  exit 1
fi
