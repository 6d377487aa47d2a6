#!/usr/bin/env bash
# Builds the Go binding's Testbed program (bindings/go/cmd/roam-testbed) to
# $1 against the library found through PKG_CONFIG_PATH.
set -euo pipefail
out=$1
[[ -x /usr/local/go/bin/go ]] && PATH=/usr/local/go/bin:$PATH
cd "${ROAM_SOURCE_DIR:?}/bindings/go"
go build -o "$out" ./cmd/roam-testbed
echo "built $out with $(go version)"
