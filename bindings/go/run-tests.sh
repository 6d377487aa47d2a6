#!/usr/bin/env bash
# Runs the Go binding's whole suite: go vet, then go test -race over every
# package (the library, the testbed package, the roam-testbed command).
# Environment (set by CTest, tests/bindings/CMakeLists.txt):
#   PKG_CONFIG_PATH  where roam.pc is (an installed prefix's lib/pkgconfig, or
#                    the build tree's pkgconfig-uninstalled)
#   LD_LIBRARY_PATH  where libroam.so.1 is
#   ROAM_PEER, ROAM_SUBJECT, ROAM_BUILD_DIR  the Rust peer, roam-subject, the build tree
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here" || exit 1

if ! command -v go >/dev/null 2>&1; then
  export PATH="/usr/local/go/bin:$PATH"
fi
if ! command -v go >/dev/null 2>&1; then
  echo "run-tests.sh: no go toolchain (install Go >= 1.19; /usr/local/go/bin is tried)" >&2
  echo "GO BINDING TESTS FAILED (no go)"
  exit 1
fi
if ! pkg-config --exists roam; then
  echo "run-tests.sh: pkg-config cannot find roam (set PKG_CONFIG_PATH)" >&2
  echo "GO BINDING TESTS FAILED (no roam.pc)"
  exit 1
fi
# Nothing to download (standard library only); keep the caches out of $HOME
# when it is not writable.
export GOFLAGS="${GOFLAGS:-} -mod=mod"
export GOTOOLCHAIN=local
if [ ! -w "${HOME:-/nonexistent}" ]; then
  export GOCACHE="${GOCACHE:-${TMPDIR:-/tmp}/roam-go-cache}"
  export GOPATH="${GOPATH:-${TMPDIR:-/tmp}/roam-go-path}"
fi
export CGO_ENABLED=1

echo "== go version: $(go version)"
echo "== libroam: $(pkg-config --modversion roam) ($(pkg-config --libs roam))"
status=0
echo "== go vet ./..."
go vet ./... || status=1
echo "== go test -race -count=1 ./..."
go test -race -count=1 ./... || status=1

if [ "$status" -eq 0 ]; then
  echo "GO BINDING TESTS PASSED"
else
  echo "GO BINDING TESTS FAILED"
fi
exit "$status"
